#!/usr/bin/env bash
# verify, list and extract of a bundle written as independent zstd frames
# (each declaring its content size, as stock `zstd --content-size` writes a
# file): the frames are decoded by -j threads, and the verdicts, reports and
# messages are those of one thread. The bundle is re-framed here with stock
# zstd: the signatures cover the tar, not its compression, so it still
# verifies. Stock zstd and tar read it too.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -q -o k
mkdir -p src/app src/data
printf 'print(1)\n' >src/app/main.py
# some 1.5 MB of files, so that 64 KiB frames make two dozen of them
for i in 1 2 3; do
	head -c 300000 /dev/urandom >"src/data/r$i.bin"
	seq 1 40000 | sed "s/^/$i,/" >"src/data/t$i.csv"
done
expect_exit 0 "$ESCROW" pack src -o one.escrow -s k.key -q
zstd -q -dc one.escrow >b.tar
mkdir parts
split -b 65536 -a 4 b.tar parts/p
for f in parts/p*; do zstd -q -3 --content-size -c "$f"; done >multi.escrow
n=$(ls parts | wc -l)
expect_true "re-framed into several frames ($n)" test "$n" -gt 20
expect_exit 0 zstd -q -t multi.escrow
zstd -q -dc multi.escrow | cmp - b.tar >/dev/null
expect_true "stock zstd gives the same tar" test $? -eq 0

for j in 1 2 3; do
	expect_exit 0 "$ESCROW" verify -j "$j" multi.escrow -p k.pub && expect_grep '^verdict: verified' out
	expect_exit 0 "$ESCROW" list --threads "$j" multi.escrow -p k.pub && expect_grep 'app/main.py' out
	expect_exit 0 "$ESCROW" extract -j "$j" -q multi.escrow -C "x$j" -p k.pub
	expect_true "extract -j $j gives the files" diff -r src "x$j/data"
done
"$ESCROW" verify multi.escrow -p k.pub --json | sed -e 's/"sha256": "[0-9a-f]*"/"sha256": ""/' -e 's/"verified_at": "[^"]*"/"verified_at": ""/' >all.json
"$ESCROW" verify -j 1 multi.escrow -p k.pub --json | sed -e 's/"sha256": "[0-9a-f]*"/"sha256": ""/' -e 's/"verified_at": "[^"]*"/"verified_at": ""/' >one.json
expect_true "the report does not depend on -j" cmp all.json one.json

# A byte changed in a frame in the middle, a frame cut short, bytes after the
# last frame: the same verdict and message with one thread and with three.
size=$(stat -c %s multi.escrow)
python3 - multi.escrow flip.escrow cut.escrow tail.escrow <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
f = bytearray(b); f[len(b) // 2] ^= 0x10
open(sys.argv[2], "wb").write(f)
open(sys.argv[3], "wb").write(b[: len(b) * 2 // 3])
open(sys.argv[4], "wb").write(b + b"\x28\xb5\x2f")
PY
for bad in flip cut tail; do
	expect_exit 1 "$ESCROW" verify -j 1 "$bad.escrow" -p k.pub
	cp err "$bad.err1"
	expect_exit 1 "$ESCROW" verify -j 3 "$bad.escrow" -p k.pub
	expect_true "$bad: the same message with -j 1 and -j 3" cmp "$bad.err1" err
	expect_grep 'tampered' err
done
expect_true "the bundle kept its size ($size)" test "$(stat -c %s multi.escrow)" = "$size"

# Many small files in large frames: a frame of 8 MiB (the most a reader
# decodes whole) holds 8,192 files of one or two bytes, more than the digests
# the hashing thread keeps until they are read (4,096). Each file's digest
# must still be its own: with a good bundle verified, and with a file whose
# bytes were swapped for those of an identical twin 4,096 files later
# refused (one digest taken for another let it through).
mkdir many
python3 - <<'PY'
for i in range(10000):
    with open("many/f%05d" % i, "wb") as fh:
        fh.write(b"same" if i in (1000, 5096) else i.to_bytes(2, "big"))
PY
expect_exit 0 "$ESCROW" pack many -o many.escrow -s k.key -q
zstd -q -dc many.escrow >many.tar
mkdir mparts
split -b 8388608 -a 2 many.tar mparts/p
for f in mparts/p*; do zstd -q -3 --content-size -c "$f"; done >big-frames.escrow
for j in 1 2; do
	expect_exit 0 "$ESCROW" verify -j "$j" big-frames.escrow -p k.pub && expect_grep '^verdict: verified' out
done
python3 - <<'PY'
import re
tar = bytearray(open("many.tar", "rb").read())
# f01000's data block is the block after its header: "same" -> "SAME"
off = tar.index(b"/data/f01000\0")
off -= off % 512  # its header's first byte
assert tar[off + 512:off + 516] == b"same"
tar[off + 512:off + 516] = b"SAME"
open("many-bad.tar", "wb").write(bytes(tar))
PY
rm -rf mparts && mkdir mparts
split -b 8388608 -a 2 many-bad.tar mparts/p
for f in mparts/p*; do zstd -q -3 --content-size -c "$f"; done >big-frames-bad.escrow
for j in 1 2; do
	expect_exit 1 "$ESCROW" verify -j "$j" big-frames-bad.escrow -p k.pub
	expect_grep "data/f01000' was changed" err
done

# -j takes a count from 1 to 256
expect_exit 64 "$ESCROW" verify -j 0 multi.escrow -p k.pub && expect_grep 'thread count' err
expect_exit 64 "$ESCROW" extract -j x multi.escrow -C y -p k.pub && expect_grep 'thread count' err
expect_exit 64 "$ESCROW" list -j 257 multi.escrow && expect_grep 'thread count' err
expect_exit 0 "$ESCROW" verify --help && expect_grep '\-j, --threads' out
finish
