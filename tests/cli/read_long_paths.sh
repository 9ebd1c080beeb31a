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
# One payload path's bounds: pack writes up to 4095 bytes (the longest path
# Linux opens in one call) and refuses 4096, naming the path and the way out,
# with nothing written; a reader takes 4096 (a bundle another writer made,
# signed, verifies and extracts) and calls 4097 unsafe, naming the path.
deep() { # deep TOP NAME: TOP/20 folders of 200 bytes/NAME, made one level at a time
	python3 - "$1" "$2" <<'PY'
import os, sys
os.makedirs(sys.argv[1]); os.chdir(sys.argv[1])
for i in range(20):
    os.mkdir("d" * 200); os.chdir("d" * 200)
open(sys.argv[2], "w").write("deep\n")
PY
}
deep p4095 "$(n f 75)"
deep p4096 "$(n g 76)"
expect_exit 0 "$ESCROW" pack p4095 -o p.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify p.escrow -p k.pub && expect_grep '1 file intact' out
expect_exit 65 "$ESCROW" pack p4096 -o q.escrow -s k.key -q
expect_grep "$(n g 76): path longer than 4095 bytes, the longest Linux opens: shorten it, or leave it out in .escrowignore" err
expect_true "a refused pack writes nothing" test ! -e q.escrow
D=$(python3 -c 'print("/".join(["d" * 200] * 20))')
MK="python3 $ESCROW_SRC/tests/mkbundle.py"
$MK rewrite p.escrow -o h4096.escrow --add "$D/$(n h 76)=x" --fix-manifests -s k.key
$MK rewrite p.escrow -o h4097.escrow --add "$D/$(n h 77)=x" --fix-manifests -s k.key
for j in 1 3; do
	expect_exit 0 "$ESCROW" verify -j "$j" h4096.escrow -p k.pub && expect_grep '2 files intact' out
	expect_exit 1 "$ESCROW" verify -j "$j" h4097.escrow -p k.pub
	expect_grep "^verdict: unsafe -- h4097.escrow: payload path 'data/d{64}[.]{3}' longer than 4096 bytes" out
done
expect_exit 0 "$ESCROW" extract -q h4096.escrow -C e4096 -p k.pub
expect_true "the 4096-byte path is extracted" test "$(cd e4096/data && find . -type f -name 'h*' | awk '{ print length($0) - 2 }')" -eq 4096
# A 4096-byte folder: its mode and time were set by its whole path, past
# what Linux takes in one call: verify said verified, and extract failed
# ("cannot set the mode of: File name too long", exit 74).
$MK rewrite p.escrow -o d4096.escrow --add "$D/$(n h 76)/=" --fix-manifests -s k.key
expect_exit 0 "$ESCROW" verify d4096.escrow -p k.pub && expect_grep '^verdict: verified' out
expect_exit 0 "$ESCROW" extract -q d4096.escrow -C f4096 -p k.pub
expect_true "the 4096-byte folder is extracted, with its time" \
	test "$(cd f4096/data && find . -type d -name 'h*' -newermt @1767225599 ! -newermt @1767225600 | awk '{ print length($0) - 2 }')" = 4096
expect_exit 1 "$ESCROW" extract -q h4097.escrow -C e4097 -p k.pub
expect_true "nothing is extracted of the 4097-byte path's bundle" test ! -e e4097
# A message holding a 4096-byte path keeps its end, which says what is wrong:
# the middle of the path gives way (" ... "), on the terminal and in JSON.
$MK rewrite p.escrow -o t4096.escrow --add "$D/$(n h 76)=x"
expect_exit 1 "$ESCROW" verify t4096.escrow -p k.pub
expect_grep "^escrow: error: tampered: t4096.escrow: 'data/d+/.* [.]{3} .*/h{76}' is in the bundle but not in manifest-sha256.txt \\(a file was added\\)$" err
expect_grep "^verdict: tampered -- .* [.]{3} .*/h{76}' is in the bundle but not in manifest-sha256.txt \\(a file was added\\)$" out
expect_exit 1 "$ESCROW" verify t4096.escrow -p k.pub --json
expect_grep "not in manifest-sha256.txt \\(a file was added\\)\"" out
# A name (one segment) of 256 bytes: no file system holds it, so the bundle
# verified and then could not be extracted ('File name too long', exit 74).
# It is unsafe in both, the same verdict; 255 bytes verify and extract.
for k in 255 256; do
	$MK rewrite p.escrow -o n$k.escrow --add "sub/=" --add "sub/$(n m $k)=x" --fix-manifests -s k.key
done
expect_exit 0 "$ESCROW" verify n255.escrow -p k.pub && expect_grep '^verdict: verified' out
expect_exit 0 "$ESCROW" extract -q n255.escrow -C x255 -p k.pub
expect_true "the 255-byte name is extracted" test -f "x255/data/sub/$(n m 255)"
expect_exit 1 "$ESCROW" verify n256.escrow -p k.pub
expect_grep "^verdict: unsafe -- .*holds a name of 256 bytes: no file system holds more than 255" out
expect_exit 1 "$ESCROW" extract -q n256.escrow -C x256 -p k.pub
expect_grep "holds a name of 256 bytes" err
expect_true "nothing is extracted of the 256-byte name's bundle" test ! -e x256
finish
