#!/usr/bin/env bash
# bench/million.sh -- peak memory and time of escrow on a 1,000,000-file tree
# (issue 13 s3: verify of a validly signed 1,000,000-file bundle within 128 MiB
# peak RSS). Makes 1000 folders x 1000 files of 30 bytes once (kept in WORKDIR),
# then runs pack, verify and extract under GNU /usr/bin/time -v and prints
# wall time and "Maximum resident set size" of each. Not a test: the figures
# depend on the machine and on what else runs.
#
# usage: bench/million.sh [WORKDIR]   env: ESCROW=path/to/escrow (build/escrow),
#        DIRS=1000 PER=1000 (the tree's shape), PARTS="pack verify extract"
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ESCROW=${ESCROW:-$here/../build/escrow}
DIRS=${DIRS:-1000}
PER=${PER:-1000}
PARTS=${PARTS:-pack verify extract}
W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/escrow-million.XXXXXX")}
mkdir -p "$W"
W=$(cd "$W" && pwd)
[ -x "$ESCROW" ] || { echo "million: $ESCROW not built (set ESCROW=...)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "million: needs GNU time (apt-get install time)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "million: needs python3" >&2; exit 1; }

tree=$W/tree
stamp=$W/tree.$DIRS.$PER.done
if [ ! -e "$stamp" ]; then
	echo "million: making $DIRS x $PER files in $tree" >&2
	rm -rf "$tree" "$W"/tree.*.done
	python3 - "$tree" "$DIRS" "$PER" <<'PY'
import os, sys
root, dirs, per = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
for d in range(dirs):
    sub = os.path.join(root, "d%04d" % d)
    os.makedirs(sub)
    for f in range(per):
        # 30 bytes, different in every file
        with open(os.path.join(sub, "f%04d.txt" % f), "w") as fh:
            fh.write("line %08d of folder %04d.\n" % (f, d))
PY
	touch "$stamp"
fi
[ -e "$W/k.key" ] || "$ESCROW" keygen -W -o "$W/k" >/dev/null

# run NAME CMD...: prints NAME, wall seconds, peak RSS in KiB and MiB
run() {
	local name=$1 out=$W/$1.time
	shift
	if ! /usr/bin/time -v -o "$out" "$@" >"$W/$name.out" 2>"$W/$name.err"; then
		echo "million: $name failed:" >&2
		cat "$W/$name.err" >&2
		exit 1
	fi
	awk -v n="$name" -F': ' '
		/Elapsed \(wall clock\)/ { w = $2 }
		/User time/ { u = $2 } /System time/ { s = $2 }
		/Maximum resident set size/ { r = $2 }
		END { printf "%-8s wall %s  cpu %.2f s  peak RSS %d KiB = %.1f MiB\n", n, w, u + s, r, r / 1024 }' "$out"
}

for p in $PARTS; do
	case $p in
	pack)
		rm -f "$W/big.escrow" "$W/big.escrow.minisig"
		run pack "$ESCROW" pack "$tree" -o "$W/big.escrow" -s "$W/k.key" -q
		ls -l "$W/big.escrow" | awk '{ printf "bundle   %d bytes\n", $5 }' ;;
	verify)
		run verify "$ESCROW" verify "$W/big.escrow" -p "$W/k.pub" -q ;;
	extract)
		rm -rf "$W/out"
		run extract "$ESCROW" extract "$W/big.escrow" -C "$W/out" -p "$W/k.pub" -q
		rm -rf "$W/out" ;;
	*) echo "million: unknown part $p" >&2; exit 2 ;;
	esac
done
