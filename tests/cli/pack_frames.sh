#!/usr/bin/env bash
# The payload as several zstd frames (FORMAT.md, "The zstd layer"): every
# payload frame declares its content size (at most 4 MiB) and carries a
# checksum, frames are found by walking block headers without decoding, each
# decodes on its own, stock zstd and tar read the whole, and the bytes are
# the same for any -j.
. "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=1767225600
FRAME_MAX=4194304

"$ESCROW" keygen -o k -W >/dev/null 2>&1
mkdir -p proj/src proj/models
# 6 MB of text, 5 MB of weight-like bytes (a cheaper level: a frame ends
# there), then small files at the base level again
python3 - <<'PY'
import random, struct
r = random.Random(7)
words = ["static", "int", "value", "return", "buffer", "len", "ctx", "status", "{", "}", ";"]
with open("proj/src/a.c", "w") as f:
    n = 0
    while n < 6_000_000:
        line = " ".join(r.choice(words) for _ in range(12)) + "\n"
        f.write(line)
        n += len(line)
with open("proj/models/w.bin", "wb") as f:
    f.write(b"".join(struct.pack("<f", r.gauss(0, 0.02)) for _ in range(1_250_000)))
for i in range(40):
    with open(f"proj/src/f{i}.c", "w") as f:
        f.write(f"int f{i}(void) {{ return {i}; }}\n" * (i + 1))
PY

expect_exit 0 "$ESCROW" pack proj -o b1.escrow -s k.key -j 1 -q
expect_exit 0 "$ESCROW" pack proj -o b2.escrow -s k.key -j 2 -q
expect_exit 0 "$ESCROW" pack proj -o b3.escrow -s k.key -j 3 -q
expect_true "-j 1 and -j 2 give the same bytes" cmp -s b1.escrow b2.escrow
expect_true "-j 2 and -j 3 give the same bytes" cmp -s b2.escrow b3.escrow

# ---- stock tools read it whole
expect_exit 0 zstd -qt b2.escrow
expect_exit 0 sh -c 'zstd -dc b2.escrow | tar -tf -'
expect_grep '^proj-unreleased/data/models/w.bin$' out
expect_grep '^proj-unreleased/tagmanifest-sha256.txt$' out
zstd -dc b2.escrow >whole.tar

# ---- the frames, found from their headers and block headers alone
cat >walk.py <<'PY'
import sys
b = open(sys.argv[1], "rb").read()
i, frames = 0, []
while i < len(b):
    assert b[i:i + 4] == b"\x28\xb5\x2f\xfd", f"no frame magic at {i}"
    start, fhd = i, b[i + 4]
    i += 5
    fcs_flag, single, chk, did = fhd >> 6, (fhd >> 5) & 1, (fhd >> 2) & 1, fhd & 3
    assert did == 0, "dictionary id"
    i += 0 if single else 1                       # window descriptor
    n = [1 if single else 0, 2, 4, 8][fcs_flag]
    fcs = int.from_bytes(b[i:i + n], "little") + (256 if n == 2 else 0) if n else None
    i += n
    while True:                                   # 3-byte block headers
        h = int.from_bytes(b[i:i + 3], "little")
        i += 3
        last, kind, size = h & 1, (h >> 1) & 3, h >> 3
        assert kind != 3, "reserved block type"
        i += 1 if kind == 1 else size             # RLE blocks hold one byte
        if last:
            break
    assert chk, f"frame at {start} has no checksum"
    i += 4
    frames.append((start, i, fcs))
assert i == len(b), "bytes after the last frame"
payload, tag = frames[:-1], frames[-1]
assert all(f[2] is not None and 0 < f[2] <= int(sys.argv[2]) for f in payload), payload
for k, (s, e, _) in enumerate(frames):
    open(f"frame{k:04d}.zst", "wb").write(b[s:e])
print(len(payload), sum(f[2] for f in payload))
PY
expect_exit 0 python3 walk.py b2.escrow $FRAME_MAX
read -r npayload pbytes <out
expect_true "payload above 2 x FRAME_MAX is more than 2 frames ($npayload)" [ "${npayload:-0}" -gt 2 ]
expect_true "payload frames hold more than 2 x FRAME_MAX ($pbytes)" [ "${pbytes:-0}" -gt $((2 * FRAME_MAX)) ]
# Each frame decodes alone, with stock zstd; in order they are the whole tar,
# and the declared sizes add up to where the tag frame starts.
for f in frame*.zst; do zstd -qdc "$f"; done >pieces.tar
expect_true "frames decoded one by one equal the whole" cmp -s pieces.tar whole.tar
last=$(ls frame*.zst | tail -1)
expect_true "the tag frame starts right after the payload frames" \
	[ $(($(stat -c %s whole.tar) - $(zstd -qdc "$last" | wc -c))) = "$pbytes" ]
zstd -qdc "$last" >tags.bin
expect_true "the tag files are in the last frame" grep -aq 'BagIt-Version: 1.0' tags.bin

# ---- escrow's reader
expect_exit 0 "$ESCROW" verify b2.escrow -p k.pub -q
expect_exit 0 "$ESCROW" extract b3.escrow -C x -p k.pub -q
expect_exit 0 diff -r proj x/data
finish
