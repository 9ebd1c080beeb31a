#!/usr/bin/env bash
# The read path's one tar parser (bundle_read_tar.c, bundle_read_next.c)
# against a man in the middle, swept over a whole small bundle rather than
# case by case: one byte changed in every field of every header, in every
# entry's padding, in each entry's data and in the end marker; the stream
# cut at every block boundary (and one byte either side); the end marker
# whole, halved, followed by a part of a second zero block and then
# garbage. Each must fail with exit 1 (never verified, never an internal
# error or a crash; a stream cut before any bag file name is not-a-bundle). And the same tar re-framed by stock zstd into frames of
# odd sizes (so that decoded buffers split entries anywhere) verifies with
# -j 1, 2 and 4, and fails with each once a padding byte is changed.
. "$(dirname "$0")/lib.sh"

"$ESCROW" keygen -W -o k >/dev/null 2>&1
mkdir -p src/app src/d
printf 'print(1)\n' >src/app/main.py
printf 'hello\n' >src/README.md
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(256)) * 12)' >src/d/bin.dat
ln -s README.md src/link
SOURCE_DATE_EPOCH=1767225600 "$ESCROW" pack src -o good.escrow -s k.key --name t --release 1 -q
expect_exit 0 "$ESCROW_BIN" verify good.escrow -p k.pub -q
zstd -qdc good.escrow >good.tar

# sweep.py BIN: builds every altered stream, verifies each (two at a time),
# prints one line per unexpected outcome and a summary line.
cat >sweep.py <<'EOF'
import concurrent.futures as cf, os, subprocess, sys
E = sys.argv[1]
t = open("good.tar", "rb").read()
cases = []
# Offsets inside a header: the first and last byte of each ustar field.
fields = [0, 50, 99, 100, 106, 107, 108, 115, 116, 123, 124, 130, 134, 135, 136, 146, 147, 148, 153, 154,
          155, 156, 157, 256, 257, 262, 263, 264, 265, 296, 297, 328, 329, 336, 337, 344, 345, 499, 500, 511]
off = 0
while off + 512 <= len(t) and t[off:off + 512] != bytes(512):
    h = t[off:off + 512]
    size, typ = int(h[124:135], 8), h[156:157]
    for f in fields:
        cases.append(("header@%d+%d" % (off, f), off + f))
    if typ in (b"0", b"x") and size > 0:
        data = off + 512
        # The .minisig's first line is minisign's untrusted comment: no
        # signature covers it, by minisign's design.
        first = data + t[data:data + size].index(b"\n") + 1 if h[:100].rstrip(b"\0").endswith(b".minisig") else data
        for i in sorted({first, data + size // 2, data + size - 1}):
            cases.append(("data@%d" % i, i))
        pad = (512 - size % 512) % 512
        for i in sorted({data + size, data + size + pad // 2, data + size + pad - 1} if pad else ()):
            cases.append(("padding@%d" % i, i))
        off += 512 + (size + 511) // 512 * 512
    else:
        off += 512
end = off
for i in (end, end + 256, end + 511, end + 512, end + 1023, len(t) - 1):
    cases.append(("end-marker@%d" % i, i))
streams = []
for name, i in cases:
    b = bytearray(t)
    b[i] = b[i] ^ 0x01 if b[i] else 0x01
    streams.append((name, bytes(b)))
for n in sorted({x + d for x in range(0, end + 1024 + 1, 512) for d in (-1, 0, 1)}):
    if 0 < n < end + 1024:
        streams.append(("cut@%d" % n, t[:n]))
for k in (1, 256, 511):
    streams.append(("half-second-zero-block+%d" % k, t[:end + 512] + bytes(k)))
    streams.append(("part-second-zero-block+%d-then-garbage" % k, t[:end + 512] + bytes(k) + b"\x01"))
for k in (0, 512, 4096):
    streams.append(("garbage-%d-after-the-end" % k, t[:end + 1024] + bytes(k) + b"x"))
streams.append(("entry-after-the-end", t[:end + 1024] + t[1024:2048] + bytes(1024)))
os.makedirs("m", exist_ok=True)

def run(c):
    n, (name, b) = c
    fn = "m/%d.escrow" % n
    subprocess.run(["zstd", "-q", "-f", "-o", fn], input=b, check=True)
    r = subprocess.run([E, "verify", fn, "-p", "k.pub", "-q"], capture_output=True)
    os.unlink(fn)
    return name, r.returncode, r.stderr.decode(errors="replace").strip()

bad = 0
with cf.ThreadPoolExecutor(2) as ex:
    for name, rc, err in ex.map(run, enumerate(streams)):
        # A stream cut before any bag file name shows holds no bundle:
        # "not-a-bundle" (65) is its verdict, by design.
        if name.startswith("cut@") and rc == 65 and "not-a-bundle" in err and b"bagit.txt" not in t[:int(name[4:])]:
            continue
        if rc != 1 or not ("tampered" in err or "bad-signature" in err):
            bad += 1
            print("UNEXPECTED %s: exit %d: %s" % (name, rc, err[-300:]))
print("%d streams, %d unexpected" % (len(streams), bad))
EOF
python3 sweep.py "$ESCROW_BIN" >sweep.out 2>&1
cat sweep.out | tail -20
expect_true "every altered stream fails with exit 1 (tampered or bad-signature)" grep -q ' 0 unexpected$' sweep.out
expect_true "the sweep ran (at least 600 streams)" \
	python3 -c 'import sys; sys.exit(int(open("sweep.out").read().split()[-4]) < 600)'

# reframe.py IN OUT SEED: the tar in frames of odd sizes, each by stock zstd.
cat >reframe.py <<'EOF'
import random, subprocess, sys
src, out, seed = sys.argv[1], sys.argv[2], int(sys.argv[3])
t, pos = open(src, "rb").read(), 0
random.seed(seed)
with open(out, "wb") as o:
    while pos < len(t):
        k = random.choice([1, 511, 513, 777, 4099, 65537])
        o.write(subprocess.run(["zstd", "-q", "-1", "-c"], input=t[pos:pos + k], stdout=subprocess.PIPE,
                               check=True).stdout)
        pos += k
EOF
python3 - good.tar padflip.tar <<'EOF'
import sys
t = bytearray(open(sys.argv[1], "rb").read())
h = t[2560:3072]  # t-1/data/app/main.py: 9 bytes, then 503 of padding
assert bytes(h[:20]) == b"t-1/data/app/main.py" and int(h[124:135], 8) == 9
t[3072 + 9 + 300] = 0x20
open(sys.argv[2], "wb").write(t)
EOF
for seed in 1 2; do
	python3 reframe.py good.tar rf$seed.escrow $seed
	python3 reframe.py padflip.tar bad$seed.escrow $seed
	for j in 1 2 4; do
		expect_exit 0 "$ESCROW_BIN" verify rf$seed.escrow -p k.pub -q -j $j
		expect_exit 1 "$ESCROW_BIN" verify bad$seed.escrow -p k.pub -q -j $j &&
			expect_grep 'non-zero bytes in the padding' err
	done
done
finish
