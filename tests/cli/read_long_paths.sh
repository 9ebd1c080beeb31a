#!/usr/bin/env bash
# A payload path pack takes (up to 4096 bytes under data/) is longer in the
# tar header: BAG/data/PATH, the bag folder NAME-RELEASE being up to 401
# bytes (200-byte --name and --release). A bundle with a 3,799-byte payload
# path and such a bag folder (a 4,206-byte tar path) was called tampered by
# verify, extract and list ("pax record 'path' is empty, too long or holds a
# NUL"): the reader bounded the whole tar path at 4096 bytes. It verifies,
# lists and extracts; a payload path past 4096 bytes is still refused.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -q -o k
n() { python3 -c "import sys; print(sys.argv[1] * int(sys.argv[2]))" "$1" "$2"; }
# data/ + 18 folders of 200 bytes + a 181-byte name: a 3,799-byte payload path
python3 - <<'PY'
import os
p = os.path.join("src", *(["p" * 200] * 18))
os.makedirs(p)
open(os.path.join(p, "f" * 181), "w").write("deep\n")
open(os.path.join("src", "top.txt"), "w").write("top\n")
PY
N=$(n N 200)
R=$(n R 200)
SOURCE_DATE_EPOCH=1767225600 "$ESCROW" pack src -o b.escrow -s k.key --name "$N" --release "$R" -q
expect_true "pack wrote the bundle" test -s b.escrow
expect_exit 0 sh -c 'zstd -q -dc b.escrow | tar -t'
expect_true "the tar path is longer than 4096 bytes" \
	test "$(awk '{ if (length($0) > m) m = length($0) } END { print m }' out)" -eq 4206

for j in 1 3; do
	expect_exit 0 "$ESCROW" verify -j "$j" b.escrow -p k.pub && expect_grep '^verdict: verified' out
done
expect_exit 0 "$ESCROW" verify b.escrow -p k.pub --json
expect_grep '"verdict": "verified"' out
expect_exit 0 "$ESCROW" list b.escrow --json
expect_grep "\"$(n p 200)/" out
expect_exit 0 "$ESCROW" extract -q b.escrow -C x -p k.pub
expect_true "extract gives the deep file" \
	test "$(cat "x/data/$(python3 -c 'print("/".join(["p" * 200] * 18 + ["f" * 181]))')")" = deep
expect_exit 0 "$ESCROW" extract -q b.escrow -C y -p k.pub --payload-only
expect_true "extract --payload-only gives the tree" diff -r src y

# The deep file's bytes changed in the tar (re-compressed): tampered, so the
# long entry is read and hashed, not skipped.
zstd -q -dc b.escrow >b.tar
off=$(python3 -c '
t = open("b.tar", "rb").read()
print(t.index(b"deep\n"))')
flip_byte b.tar "$off"
zstd -q -c b.tar >t.escrow
expect_exit 1 "$ESCROW" verify t.escrow -p k.pub && expect_grep '^verdict: tampered' out
finish
