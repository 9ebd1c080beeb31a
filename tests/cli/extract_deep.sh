#!/usr/bin/env bash
# A failed extract leaves nothing behind however deep the tree it had made:
# a payload path may have 4096 bytes, some 2,000 nested folders, and the
# temporary tree was removed holding one descriptor a level, so past the
# open-file limit (1024 in most shells) it stayed behind, beside a message
# saying nothing was extracted. The next run's sweep of a temporary left by a
# killed extract stopped at 512 levels and could never remove a deeper one.
# Both are checked here with 600 levels (under 'ulimit -n 256' for the first).
. "$(dirname "$0")/lib.sh"
MK="python3 $ESCROW_SRC/tests/mkbundle.py"

expect_exit 0 "$ESCROW" keygen -W -q -o k
mkdir src
python3 -c '
import os
os.chdir("src")
os.makedirs("/".join(["d"] * 600))
open("/".join(["d"] * 600) + "/deep.txt", "w").write("deep\n")
open("zzz.txt", "w").write("last\n")'
expect_exit 0 "$ESCROW" pack src -o deep.escrow -s k.key --name deep --release 1 -q
expect_exit 0 "$ESCROW" verify deep.escrow -p k.pub
# zzz.txt, after the deep folders, changed in transit (the signature kept).
$MK rewrite deep.escrow -o changed.escrow --replace zzz.txt=changed
expect_exit 1 "$ESCROW" verify changed.escrow -p k.pub && expect_grep "'data/zzz.txt' was changed" err

mkdir w
cd w || exit 1
expect_exit 1 bash -c 'ulimit -n 256 && exec "$0" extract ../changed.escrow -C out -p ../k.pub' "$ESCROW"
expect_grep "nothing was extracted" "$T/err"
expect_true "a failed extract of 600 nested folders leaves nothing ($(ls -A | head -c 200))" test -z "$(ls -A)"
# The same bundle intact extracts under that limit.
expect_exit 0 bash -c 'ulimit -n 256 && exec "$0" extract ../deep.escrow -C out -p ../k.pub -q' "$ESCROW"
expect_true "600 nested folders extracted" test -f "out/data/$(printf 'd/%.0s' $(seq 600))deep.txt"
rm -rf out

# A temporary left by an extract that was killed (its process gone), 600
# folders deep: the next extract to the same place removes it.
sh -c 'exit 0' &
dead=$!
wait "$dead"
tmp=".out.escrow-tmp.$(hostname -s | tr -cd 'A-Za-z0-9-' | cut -c1-32).$dead.0123abcd"
mkdir "$tmp"
python3 -c '
import os, sys
os.chdir(sys.argv[1])
os.makedirs("/".join(["d"] * 600))
open("/".join(["d"] * 600) + "/f", "w").write("x")
os.symlink("../../k.key", "link")' "$tmp"
expect_exit 0 "$ESCROW" extract ../deep.escrow -C out -p ../k.pub
expect_grep "$tmp: removed: a temporary output left by process $dead" "$T/err"
expect_true "the killed extract's 600 folders are gone ($(ls -A | head -c 200))" test "$(ls -A)" = out
expect_true "a symlink in it was not followed" test -f ../k.key
cd "$T" || exit 1
finish
