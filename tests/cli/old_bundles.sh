#!/usr/bin/env bash
# Bundles written by an earlier version (tests/fixtures/old, escrow 8537e8c:
# the whole payload in ONE zstd frame without its content size) still verify,
# list and extract, unsealed and sealed, with today's reader, and hold the same
# tree as today's writer makes of the same project (several frames of at most
# 4 MiB, each with its content size: docs/FORMAT.md). Stock zstd and tar read
# both.
. "$(dirname "$0")/lib.sh"
OLD=$ESCROW_SRC/tests/fixtures/old
cp "$OLD/old.pub" "$OLD/single-frame.escrow" "$OLD/sealed.escrow" "$OLD/sealed.escrow.minisig" .
install -m 600 "$OLD/old.age" old.age
python3 "$OLD/tree.py" project

# frames FILE: the number of zstd frames and how many state their content
# size, found from the frame and block headers alone (RFC 8878)
frames() {
	python3 - "$1" <<'PY'
import struct, sys
b = open(sys.argv[1], "rb").read()
p = n = fcs = 0
while p < len(b):
    assert b[p:p + 4] == b"\x28\xb5\x2f\xfd", "not a frame at %d" % p
    fhd = b[p + 4]
    single = (fhd >> 5) & 1
    fcs_code = fhd >> 6
    size = (0 if single else 1) + [0, 1, 2, 4][fhd & 3] + [single, 2, 4, 8][fcs_code]
    fcs += 1 if (fcs_code or single) else 0
    q = p + 5 + size
    while True:
        h = int.from_bytes(b[q:q + 3], "little")
        q += 3 + (1 if (h >> 1) & 3 == 1 else h >> 3)
        if h & 1:
            break
    q += 4 if fhd & 4 else 0
    p, n = q, n + 1
print(n, fcs)
PY
}

expect_true "the old bundle is one payload frame and the tag frame, neither with its size" \
	[ "$(frames single-frame.escrow)" = "2 0" ]
expect_exit 0 zstd -t -q single-frame.escrow
expect_exit 0 sh -c 'zstd -dc single-frame.escrow | tar -t'
expect_grep 'data/data/big\.txt$' out

expect_exit 0 "$ESCROW" verify single-frame.escrow -p old.pub
expect_grep '^verdict: verified' out
expect_exit 0 "$ESCROW" verify single-frame.escrow -p old.pub -j 1 -q
expect_exit 0 "$ESCROW" list single-frame.escrow -p old.pub
expect_grep 'data/big\.txt' out
expect_exit 0 "$ESCROW" extract single-frame.escrow -C x1 -p old.pub -q
expect_exit 0 diff -r --no-dereference project x1/data

expect_exit 0 "$ESCROW" verify sealed.escrow -p old.pub -i old.age
expect_grep '^verdict: verified' out
expect_exit 0 "$ESCROW" extract sealed.escrow -C x2 -p old.pub -i old.age -q
# with 3 threads or more the .minisig's BLAKE2b runs on a thread of its own:
# the same verdicts, good and bad
expect_exit 0 "$ESCROW" verify sealed.escrow -p old.pub -i old.age -j 3
expect_grep '^detached: +good' out
cp sealed.escrow s2.escrow
python3 - <<'PY'
l = open("sealed.escrow.minisig").read().split("\n")
l[1] = l[1][:20] + ("A" if l[1][20] != "A" else "B") + l[1][21:]
open("s2.escrow.minisig", "w").write("\n".join(l))
PY
for j in 1 3; do
	expect_exit 1 "$ESCROW" verify s2.escrow -p old.pub -i old.age -j $j
	grep -v '^verified' out >"bad$j.txt"
	cat err >>"bad$j.txt"
done
expect_grep '^detached: +bad' bad3.txt
expect_true "a bad .minisig reads the same on 1 and 3 threads" cmp bad1.txt bad3.txt
expect_exit 0 diff -r --no-dereference project x2/data

# today's writer: several frames with their sizes, the same tree
expect_exit 0 "$ESCROW" keygen -W -q -o k
expect_exit 0 "$ESCROW" pack project -o new.escrow -s k.key -q
read -r n fcs <<<"$(frames new.escrow)"
expect_true "today's bundle has 2 or more payload frames with their sizes and the tag frame ($n frames, $fcs with sizes)" \
	[ "$n" -ge 3 ] && [ "$fcs" -ge 2 ]
expect_exit 0 zstd -t -q new.escrow
expect_exit 0 "$ESCROW" extract new.escrow -C x3 -p k.pub -q
expect_exit 0 diff -r --no-dereference x1/data x3/data
# a tampered old bundle is still caught (a byte of the payload frame: exit 1)
cp single-frame.escrow bad.escrow
python3 - bad.escrow <<'PY'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
b[len(b) // 3] ^= 0x20
open(sys.argv[1], "wb").write(b)
PY
expect_exit 1 "$ESCROW" verify bad.escrow -p old.pub -q
expect_grep "tampered: bad\.escrow: corrupt zstd data" err
finish
