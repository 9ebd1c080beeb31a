#!/usr/bin/env bash
# np.load against escrow on every one-byte flip of three small zips that hold
# an object array (tests/fixtures/npz_flips, made by make.py there with numpy
# and Python's zipfile): ran.txt lists the copies whose pickle ran in
# np.load(allow_pickle=True), reading every key. Each of those must be unsafe
# in escrow check. np.load reads members as the zip's central directory gives
# them, whatever is wrong with the local headers or the other members; the
# walk used to stop at the first fault, and 109 such copies were ok. The
# copies are made again here (standard library only) and named as make.py
# names them.
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}
FX=$SRC/tests/fixtures/npz_flips
need_tool python3 python3

mkdir -p p/m p/other
echo x >p/other/x
python3 - "$FX" p/m <<'PY'
import os, sys
fx, out = sys.argv[1], sys.argv[2]
for base in ("key.npz", "stored.npz", "txt.npz"):
    d = open(os.path.join(fx, base), "rb").read()
    for i in range(len(d)):
        for x in (0xFF, 0x01):
            m = bytearray(d)
            m[i] ^= x
            open(os.path.join(out, "%s-%04d-%02x.npz" % (base[:-4], i, x)), "wb").write(m)
PY
# outside every deliverable: each unsafe file gets a warning of its own
printf 'escrow-contract: 1\ncontract: NPZ-FLIPS\nagency: Test Agency\ndeliverables:\n  - id: x\n    include: ["other/**"]\n' >c.yaml
expect_exit 0 "$ESCROW" check p -c c.yaml --json
python3 - "$T/out" "$FX/ran.txt" >flips.txt <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
unsafe = set()
for w in r.get("warnings", []):
    m = re.search(r'm/([^:"]+\.npz): unsafe pickle: ', w if isinstance(w, str) else json.dumps(w))
    if m:
        unsafe.add(m.group(1))
ran = [l.strip() for l in open(sys.argv[2]) if l.strip()]
missed = [n for n in ran if n not in unsafe]
print("ran", len(ran), "unsafe", len(unsafe), "missed", len(missed))
for n in missed:
    print("missed", n)
PY
cat flips.txt
# verify reads each file from the tar stream in pieces cut elsewhere than
# check's reads: the same files unsafe, for the same reasons (a corrupt
# deflate stream once gave more or less of its output by how it was cut)
cp "$T/out" check.json
expect_exit 0 "$ESCROW" keygen -W -q -o k
expect_exit 0 "$ESCROW" pack p -o b.escrow -s k.key -c c.yaml -q
expect_exit 0 "$ESCROW" verify b.escrow -p k.pub -c c.yaml --json
python3 - check.json "$T/out" >agree.txt <<'PY'
import json, re, sys
def unsafe(path):
    out = {}
    for w in json.load(open(path)).get("warnings", []):
        m = re.search(r'm/([^:"]+\.npz): unsafe pickle: ([^"]*)', w if isinstance(w, str) else json.dumps(w))
        if m:
            out[m.group(1)] = m.group(2)
    return out
c, v = unsafe(sys.argv[1]), unsafe(sys.argv[2])
for n in sorted(set(c) | set(v)):
    if c.get(n) != v.get(n):
        print("differ", n, c.get(n), "|", v.get(n))
print("check", len(c), "verify", len(v))
PY
tail -1 agree.txt
expect_true "check and verify call the same copies unsafe, for the same reasons ($(tail -1 agree.txt))" \
	sh -c '! grep -q "^differ" agree.txt'
expect_true "np.load ran the pickle of over 1,000 copies ($(head -1 flips.txt))" \
	test "$(head -1 flips.txt | awk '{print $2}')" -gt 1000
expect_true "every copy whose pickle np.load ran is unsafe ($(head -1 flips.txt))" \
	sh -c '! grep -q "^missed" flips.txt'
finish
