#!/usr/bin/env bash
# escrow/manifest.json is read even when the signature is bad, and may be as
# large as the bundle's file count allows (1 MiB + 2 KiB a file): a forged one
# whose digest is in a matching (unsigned) tag manifest must not make jansson
# build millions of nodes. Values outside "files" are refused past 256 KiB,
# a single file entry past 64 KiB; peak memory is read from the kernel
# (getrusage of the child), never from timing.
. "$(dirname "$0")/lib.sh"
need_tool zstd zstd || finish

$ESCROW keygen -W -o k >/dev/null 2>&1 || { echo "keygen failed"; exit 1; }
mkdir -p src/d
(cd src/d && seq -f 'f%05g' 1 5000 | xargs touch)
expect_exit 0 $ESCROW pack src -o b.escrow -s k.key

cat >"$T/forge.py" <<'PY'
import hashlib, io, os, subprocess, sys, tarfile
sys.path.insert(0, os.path.join(os.environ["ESCROW_SRC"], "tests"))
from mkbundle import canonical  # the one header form a reader accepts
src, dst, where, n = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
raw = subprocess.run(["zstd", "-q", "-dc", src], stdout=subprocess.PIPE, check=True).stdout
tf = tarfile.open(fileobj=io.BytesIO(raw), mode="r")
ms = [(m, tf.extractfile(m).read() if m.isfile() else None) for m in tf.getmembers()]
def tag(name):
    return [i for i, x in enumerate(ms) if x[0].name.split("/", 1)[-1] == name][0]
j = tag("escrow/manifest.json")
old = ms[j][1]
bomb = b"[" + b"[]," * n + b"[]]"
if where == "top":  # an unknown top-level key, which readers ignore
    new = b'{"x": ' + bomb + b"," + old[1:]
else:               # an unknown key inside the first file entry
    k = old.index(b'{"', old.index(b'"files"'))
    new = old[:k + 1] + b'"x": ' + bomb + b"," + old[k + 1:]
ms[j] = (ms[j][0], new)
t = tag("tagmanifest-sha256.txt")
out = b""
for l in ms[t][1].splitlines(True):
    if l.rstrip(b"\n").endswith(b"  escrow/manifest.json"):
        l = hashlib.sha256(new).hexdigest().encode() + b"  escrow/manifest.json\n"
    out += l
ms[t] = (ms[t][0], out)  # the signature no longer matches: nobody's key needed
buf = io.BytesIO()
w = tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT)
for m, d in ms:
    m.pax_headers = {}
    if d is not None:
        m.size = len(d)
    w.addfile(m, io.BytesIO(d) if d is not None else None)
w.close()
open(dst, "wb").write(subprocess.run(["zstd", "-q", "-3", "-c"], input=canonical(buf.getvalue()),
                                     stdout=subprocess.PIPE, check=True).stdout)
PY
cat >"$T/peak.py" <<'PY'
import resource, subprocess, sys
r = subprocess.run(sys.argv[2:], stdout=open("out", "wb"), stderr=open("err", "wb"))
kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print("exit %d, peak %d KiB" % (r.returncode, kib))
sys.exit(0 if kib <= int(sys.argv[1]) else 1)
PY

# 3 million empty arrays (9 MB) at the top (427 MB peak before the limits),
# then 30,000 (90 KB) in one entry
expect_exit 0 python3 "$T/forge.py" b.escrow top.escrow top 3000000
expect_exit 0 python3 "$T/forge.py" b.escrow entry.escrow entry 30000
expect_exit 0 python3 "$T/forge.py" b.escrow top2.escrow top 100000
check() { # bundle, the refusal expected on stderr
	checks=$((checks + 1))
	python3 "$T/peak.py" 262144 $ESCROW verify "$1" -p k.pub --json >"$T/peak" 2>&1 ||
		{ echo "FAIL: verify $1: over 256 MiB: $(cat "$T/peak")" >&2; fails=$((fails + 1)); }
	echo "verify $1: $(cat "$T/peak")"
	expect_grep "\"reason\": \".*$2" out # the integrity reason (the verdict is bad-signature)
}
# the 9 MB value stops the streaming window (one value at most 4 MiB); 300 KB
# of small values outside "files" stops the top-level budget
check top.escrow "manifest.json: a value longer than 4194304 bytes"
check top2.escrow "manifest.json: more than 262144 bytes of values outside 'files'"
check entry.escrow "manifest.json: entry 0 is [0-9]+ bytes long \(at most 65536\)"
# the bundle as packed still verifies
expect_exit 0 $ESCROW verify b.escrow -p k.pub
finish
