#!/usr/bin/env bash
# bench/run.sh -- escrow pack against `tar -cf - DIR | zstd -T2 -3`, side by
# side in one run, on a ~1 GB tree (float32 weights, CSV, source code) and on
# a 50,000-file tree. Prints wall time, CPU time, size and peak memory, and
# the ratios against the stock pipeline. Not a test: numbers depend on the
# machine and on what else runs on it.
#
# usage: bench/run.sh [WORKDIR]     (WORKDIR keeps the generated trees between runs)
# env:   ESCROW=path/to/escrow (default: build/escrow), RUNS=3, THREADS=2
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ESCROW=${ESCROW:-$here/../build/escrow}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/escrow-bench.XXXXXX")}
mkdir -p "$W"
W=$(cd "$W" && pwd)
[ -x "$ESCROW" ] || { echo "bench: $ESCROW not built (set ESCROW=...)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 1; }
for t in tar zstd minisign age-keygen cc python3; do
	command -v "$t" >/dev/null || { echo "bench: needs $t" >&2; exit 1; }
done

cc -O2 -o "$W/gen" "$here/gen.c" -lm
if [ ! -e "$W/big.done" ]; then
	echo "bench: generating the 1 GB tree in $W/big" >&2
	rm -rf "$W/big" && mkdir -p "$W/big/models" "$W/big/data" "$W/big/src"
	for i in 1 2 3 4 5 6; do
		"$W/gen" weights 100000000 "$i" >"$W/big/models/layer$i.f32"
		"$W/gen" csv 50000000 "$((100 + i))" >"$W/big/data/part$i.csv"
	done
	for i in $(seq 1 2000); do
		mkdir -p "$W/big/src/mod$((i % 40))"
		"$W/gen" code 50000 "$((1000 + i))" >"$W/big/src/mod$((i % 40))/file$i.c"
	done
	touch "$W/big.done"
fi
if [ ! -e "$W/small.done" ]; then
	echo "bench: generating the 50,000-file tree in $W/small" >&2
	rm -rf "$W/small"
	"$W/gen" tree "$W/small" 50000 7
	touch "$W/small.done"
fi
[ -e "$W/k.key" ] || minisign -G -W -p "$W/k.pub" -s "$W/k.key" -f >/dev/null 2>&1
[ -e "$W/id.age" ] || age-keygen -o "$W/id.age" 2>/dev/null
RECIPIENT=$(sed -n 's/^# public key: //p' "$W/id.age")

# Both sides read from the page cache.
warm() { tar -cf - -C "$W" "$1" | cat >/dev/null; }

res="$W/results.tsv"
: >"$res"
one() { # tree tool command...
	local tree=$1 tool=$2 out
	shift 2
	/usr/bin/time -f "%e %U %S %M" -o "$W/time.txt" "$@"
	out=$(ls -l "$W/out.bin" | awk '{print $5}')
	printf '%s\t%s\t%s\t%s\n' "$tree" "$tool" "$(cat "$W/time.txt")" "$out" | tr ' ' '\t' >>"$res"
	rm -f "$W/out.bin" "$W/out.bin.minisig"
}
for tree in big small; do
	warm "$tree"
	for r in $(seq 1 "$RUNS"); do
		one "$tree" "tar|zstd" sh -c "tar -cf - -C '$W' '$tree' | zstd -T$THREADS -3 -q >'$W/out.bin'"
		one "$tree" "escrow" "$ESCROW" pack "$W/$tree" -o "$W/out.bin" -s "$W/k.key" -j "$THREADS" -q
		# -o FILE ends with fsync (an escrow deposit must be on disk before it is
		# renamed into place); to stdout there is none, like the pipeline.
		one "$tree" "escrow-stdout" sh -c "'$ESCROW' pack '$W/$tree' -o - -s '$W/k.key' -j $THREADS -q >'$W/out.bin'"
		if [ "$tree" = big ]; then
			one "$tree" "escrow-sealed" "$ESCROW" pack "$W/$tree" -o "$W/out.bin" -s "$W/k.key" -j "$THREADS" \
				-r "$RECIPIENT" -q
		fi
	done
done

python3 - "$res" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
data = {}
for tree, tool, wall, user, sys_, rss, size in rows:
    data.setdefault((tree, tool), []).append((float(wall), float(user) + float(sys_), int(rss), int(size)))
print("| tree | tool | wall s (median) | CPU s (median) | size bytes | peak RSS MiB | time vs tar\\|zstd | CPU vs tar\\|zstd | size vs tar\\|zstd |")
print("|---|---|---|---|---|---|---|---|---|")
for tree in ("big", "small"):
    ref = data.get((tree, "tar|zstd"))
    if not ref:
        continue
    rw = statistics.median(r[0] for r in ref)
    rc = statistics.median(r[1] for r in ref)
    rs = ref[0][3]
    for tool in ("tar|zstd", "escrow", "escrow-stdout", "escrow-sealed"):
        v = data.get((tree, tool))
        if not v:
            continue
        w = statistics.median(r[0] for r in v)
        c = statistics.median(r[1] for r in v)
        m = max(r[2] for r in v) / 1024
        s = v[0][3]
        print("| %s | %s | %.2f | %.2f | %d | %.1f | %.2fx | %.2fx | %.4fx |" % (
            "1 GB" if tree == "big" else "50k files", tool.replace("|", "\\|"), w, c, s, m, w / rw, c / rc, s / rs))
print()
print("runs per cell: %d; all runs: %s" % (max(len(v) for v in data.values()), sys.argv[1]))
PY
