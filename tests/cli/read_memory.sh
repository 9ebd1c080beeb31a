#!/usr/bin/env bash
# The readers (verify, list, extract) hold a million entries in 128 MiB: the
# kernel asserts it, at the same budget per entry, on what an entry more
# costs. The address space a run may take is capped with `ulimit -v`
# (RLIMIT_AS: the kernel refuses any mapping past it, so malloc fails instead
# of the run growing):
#   limit = base + (N - N/2) x 134 bytes
# base is the smallest limit under which the same command reads a bundle of
# half the tree (found by bisection here, so it holds whatever the
# libraries, thread stacks, the decoding slots and the tag frame's 16 MiB
# zstd window take on this machine, in whichever phase of the read peaks), N
# the whole tree's entries, and 134 bytes = 128 MiB / 1,000,000 entries. The
# half is large, not a one-file bundle: the phases of a read (frames decoded
# on two threads, then the tag frame's window, then the records rebuilt)
# peak at different places, and only with many entries is the last one the
# peak. Both trees hold the same 20 MB file (every decoding slot filled), and
# -j 2 and one malloc arena fix what does not depend on the tree. A control
# run under base plus 16 bytes an entry (less than the 32-byte digest each
# entry keeps) must fail cleanly: exit 70, the bundle named, out of memory
# said, no signal, nothing left behind by extract. Paths are shaped like
# bench/million.sh's (d0012/f0456.txt): a path's bytes are part of what an
# entry costs.
. "$(dirname "$0")/lib.sh"

# A sanitizer build maps terabytes of shadow memory: no cap fits it.
( ulimit -v 4194304 && exec "$ESCROW_BIN" --help ) >/dev/null 2>&1 ||
	skip_test "escrow does not run under a 4 GiB address-space cap (a sanitizer build?)"

N_DIRS=50
PER=1000
N=$((N_DIRS * PER + N_DIRS + 1))   # payload entries: files, their folders, the 20 MB file
HALF=$((N_DIRS / 2 * PER + N_DIRS / 2 + 1))
BUDGET=134                     # bytes an entry: 128 MiB / 1,000,000
SHORT=16                       # bytes an entry for the control run

python3 - "$N_DIRS" "$PER" <<'PY'
import os, sys
dirs, per = int(sys.argv[1]), int(sys.argv[2])
for root, nd, nf in (("half", dirs // 2, per), ("big", dirs, per)):
    for d in range(nd):
        p = "%s/d%04d" % (root, d)
        os.makedirs(p)
        for f in range(nf):
            with open("%s/f%04d.txt" % (p, f), "w") as fh:
                fh.write("line %08d of folder %04d.\n" % (f, d))
# 20 MB in both: every decoding slot is filled (frames of 4 MiB, -j 2)
blob = os.urandom(20 << 20)
for root in ("half", "big"):
    with open(root + "/blob.bin", "wb") as fh:
        fh.write(blob)
PY
expect_exit 0 "$ESCROW" keygen -W -o k
expect_exit 0 "$ESCROW" pack half -o half.escrow -s k.key -q
expect_exit 0 "$ESCROW" pack big -o b.escrow -s k.key -q

# under KIB CMD...: runs CMD with the address space capped at KIB KiB and no
# core file; stdout to out, stderr to err; returns CMD's exit code.
under() {
	local kib=$1
	shift
	( ulimit -c 0 && ulimit -v "$kib" && MALLOC_ARENA_MAX=1 exec "$@" ) >out 2>err
}
# The three commands, each on bundle $1 (extract into a fresh folder x).
run_verify() { under "$1" "$ESCROW_BIN" verify "$2" -j 2 -p k.pub -q; }
run_list() { under "$1" "$ESCROW_BIN" list "$2" -j 2 -p k.pub; }
run_extract() {
	rm -rf x
	under "$1" "$ESCROW_BIN" extract "$2" -j 2 -C x -p k.pub -q
}

# base CMD: the smallest cap (KiB, to 256 KiB) under which CMD reads half.escrow.
base() {
	local lo=65536 hi=393216 mid
	"$1" "$hi" half.escrow || { echo 0; return; }
	while [ $((hi - lo)) -gt 256 ]; do
		mid=$(((lo + hi) / 2))
		if "$1" "$mid" half.escrow; then hi=$mid; else lo=$mid; fi
	done
	echo "$hi"
}

# The records are kept in chunks (4096 records, 64 KiB of paths): across
# their bounds, symlinks whose long targets open a new chunk of paths read
# back whole (2,100 files and as many links: 4,203 records).
python3 - <<'PY'
import os
os.makedirs("lt/a"); os.makedirs("lt/b")
for i in range(2100):
    name = "%s%04d.txt" % ("x" * 180, i)
    with open("lt/a/" + name, "w") as fh:
        fh.write("file %d\n" % i)
    os.symlink("../a/" + name, "lt/b/l%04d" % i)
PY
expect_exit 0 "$ESCROW" pack lt -o lt.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify lt.escrow -p k.pub -q
expect_exit 0 "$ESCROW" list lt.escrow -p k.pub --json
expect_true "list gives every link with its target across the chunks" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
links = [(f["path"], f["target"]) for f in r["files"] if f["type"] == "symlink"]
assert links == [("b/l%04d" % i, "../a/%s%04d.txt" % ("x" * 180, i)) for i in range(2100)], links[:2]
' out
expect_exit 0 "$ESCROW" extract lt.escrow -C lx -p k.pub -q
expect_true "extract makes every link as it was" \
	[ "$(cd lt && find . -type l -printf '%p %l\n' | sort)" = "$(cd lx/data && find . -type l -printf '%p %l\n' | sort)" ]
rm -rf lt lx

# mtimes kept beside the records when 32 bits from the first entry's do not
# hold them (before 1970, past 2106 or 68 years away): extract sets them all.
mkdir -p mt/a && echo a >mt/a/one && echo b >mt/a/two && echo c >mt/a/three
touch -d @-100 mt/a/one && touch -d @4200000000 mt/a/two && touch -d @0 mt/a/three
expect_exit 0 "$ESCROW" pack mt -o mt.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify mt.escrow -p k.pub -q
expect_exit 0 "$ESCROW" extract mt.escrow -C mx -p k.pub -q
expect_true "extract sets far and negative mtimes" \
	[ "$(stat -c '%n %Y' mx/data/a/one mx/data/a/three mx/data/a/two)" = "$(printf 'mx/data/a/one -100\nmx/data/a/three 0\nmx/data/a/two 4200000000')" ]
rm -rf mt mx

for cmd in verify list extract; do
	b=$(base "run_$cmd")
	expect_true "$cmd reads the half bundle under some cap ($b KiB)" [ "$b" -gt 0 ]
	limit=$((b + (N - HALF) * BUDGET / 1024))
	short=$((b + (N - HALF) * SHORT / 1024))
	echo "$cmd: $HALF entries need $b KiB; $N entries: cap $limit KiB (+$BUDGET B an entry more), control $short KiB (+$SHORT B)"

	"run_$cmd" "$limit" b.escrow
	rc=$?
	expect_true "$cmd of $N entries runs under base + $BUDGET B an entry more ($limit KiB; exit $rc: $(head -c 300 err))" \
		[ "$rc" = 0 ]
	case $cmd in
	list) expect_true "list gives every file under the cap" [ "$(grep -c 'd00[0-9][0-9]/f[0-9]*\.txt$' out)" = $((N_DIRS * PER)) ] ;;
	extract) expect_true "extract writes every file under the cap" [ "$(find x/data -type f | wc -l)" = $((N_DIRS * PER + 1)) ] ;;
	esac

	"run_$cmd" "$short" b.escrow
	rc=$?
	echo "$cmd under $short KiB: exit $rc: $(head -c 300 err)"
	expect_true "$cmd under base + $SHORT B an entry fails with exit 70 (out of memory), no signal (exit $rc)" \
		[ "$rc" = 70 ]
	expect_grep 'b\.escrow: out of memory' err
	expect_true "$cmd writes nothing to stdout when it runs out" [ ! -s out ]
	if [ "$cmd" = extract ]; then
		expect_true "extract leaves no target behind" [ ! -e x ]
		expect_true "extract leaves no temporary folder behind" [ -z "$(ls -A | grep -F escrow-tmp)" ]
	fi
	expect_true "no core file" [ -z "$(ls | grep '^core')" ]
done
finish
