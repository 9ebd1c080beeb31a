#!/usr/bin/env bash
# escrow verify: good bundles, every kind of tampering, the contract, sealed
# bundles. Bundles are built by tests/mkbundle.py (tarfile + zstd + minisign)
# and, for the good path, by escrow pack.
. "$(dirname "$0")/lib.sh"
MK="python3 $ESCROW_SRC/tests/mkbundle.py"
# expect_exit runs commands with stdin from /dev/null; this feeds a file instead.
from_stdin() {
	local f=$1
	shift
	"$@" <"$f"
}

expect_exit 0 "$ESCROW" keygen -W -q -o k
expect_exit 0 "$ESCROW" keygen -W -q -o evil

mkdir -p src/app src/models src/data src/docs
printf 'print("fraud")\n' >src/app/main.py
chmod +x src/app/main.py
printf '[project]\nname = "fraud"\n' >src/pyproject.toml
printf 'id,amount,label\n1,10.5,0\n2,99.0,1\n' >src/data/train.csv
printf '# Runbook\n' >src/docs/runbook.md
ln -s ../docs/runbook.md src/app/RUNBOOK
make_safetensors src/models/classifier.safetensors
cat >contract.yaml <<'EOF'
escrow-contract: 1
contract: FRAUD-2026-07
agency: Agence Exemple SAS
deliverables:
  - id: classifier
    kind: model
    include: ["models/classifier.safetensors"]
    format: safetensors
  - id: source
    kind: code
    include: ["app/**", pyproject.toml]
  - id: training-data
    kind: data
    include: ["data/*.csv"]
forbid: ["**/*.pyc"]
EOF
# The same contract with a deliverable the deposit lacks.
sed 's/^forbid.*//' contract.yaml >strict.yaml
cat >>strict.yaml <<'EOF'
  - id: onnx-export
    kind: model
    include: ["models/*.onnx"]
EOF

$MK build src -o good.escrow -s k.key -c contract.yaml --name fraud --release 2.4.0

# --- the good path ---
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub -c contract.yaml && expect_grep 'verified' out
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub -c contract.yaml --json
expect_true "json verdict verified" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "verified", r["verdict"]
assert r["signature"]["status"] == "good"
assert r["integrity"]["status"] == "ok" and r["integrity"]["files"] == 5, r["integrity"]
assert r["contract"]["bundle_copy"] == "same"
st = {d["id"]: d["status"] for d in r["deliverables"]}
assert st == {"classifier": "ok", "source": "ok", "training-data": "ok"}, st
assert r["bundle"]["name"] == "fraud" and r["bundle"]["release"] == "2.4.0"' out
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub -c contract.yaml --json
# The bundle file's own SHA-256 and size, in the report whenever it is shown
# (-q without --json shows none, and leaves that hash out).
expect_true "bundle.sha256 and size are the file's" python3 -c '
import hashlib, json, os, sys
b = json.load(open(sys.argv[1]))["bundle"]
assert b["sha256"] == hashlib.sha256(open("good.escrow", "rb").read()).hexdigest(), b
assert b["size"] == os.path.getsize("good.escrow"), b
' out
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub --json -q
expect_grep "\"sha256\": \"$(sha256sum good.escrow | cut -c1-64)\"" out
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub
expect_grep "sha256: *$(sha256sum good.escrow | cut -c1-64)" out
expect_exit 0 from_stdin good.escrow "$ESCROW" verify - -p k.pub -c contract.yaml
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub -q && expect_true "quiet prints nothing" test ! -s out
# Without -c: the report says only integrity and authenticity were checked.
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub --json && expect_grep '"checked": false' out
expect_grep 'only integrity and authenticity' out
# (a bundle escrow pack made: a pack that failed left these two out, unsaid)
if expect_exit 0 "$ESCROW" pack src -o packed.escrow -s k.key -c contract.yaml -q; then
	expect_exit 0 "$ESCROW" verify packed.escrow -p k.pub -c contract.yaml
	expect_exit 0 from_stdin packed.escrow "$ESCROW" verify - -p k.pub
fi

# --- the contract ---
expect_exit 2 "$ESCROW" verify good.escrow -p k.pub -c strict.yaml && expect_grep 'onnx-export' err
expect_grep 'incomplete' out
expect_exit 2 "$ESCROW" verify good.escrow -p k.pub -c strict.yaml --json && expect_grep '"bundle_copy": "differs"' out
cp -r src src-pyc && printf 'x' >src-pyc/app/cache.pyc
$MK build src-pyc -o pyc.escrow -s k.key -c contract.yaml
expect_exit 2 "$ESCROW" verify pyc.escrow -p k.pub -c contract.yaml && expect_grep 'forbidden' err
expect_grep 'app/cache.pyc' out

# --- tampering: change, remove, add a payload file ---
$MK rewrite good.escrow -o same.escrow
expect_exit 0 "$ESCROW" verify same.escrow -p k.pub -c contract.yaml
$MK rewrite good.escrow -o t.escrow --replace data/train.csv=evil
expect_exit 1 "$ESCROW" verify t.escrow -p k.pub && expect_grep "data/train.csv' was changed" err
$MK rewrite good.escrow -o t.escrow --remove data/train.csv
expect_exit 1 "$ESCROW" verify t.escrow -p k.pub && expect_grep 'removed' err
$MK rewrite good.escrow -o t.escrow --add data/extra.csv=a,b
expect_exit 1 "$ESCROW" verify t.escrow -p k.pub && expect_grep 'added' err
# ... with the manifests rewritten consistently (the signature no longer matches) ...
for op in "--replace data/train.csv=evil" "--remove data/train.csv" "--add data/extra.csv=x"; do
	$MK rewrite good.escrow -o t.escrow $op --fix-manifests
	expect_exit 1 "$ESCROW" verify t.escrow -p k.pub && expect_grep 'signature' err
	# ... and re-signed with the attacker's own key.
	$MK rewrite good.escrow -o t.escrow $op --fix-manifests -s evil.key
	expect_exit 1 "$ESCROW" verify t.escrow -p k.pub && expect_grep 'bad-signature: .*was made by key' err
done
expect_exit 1 "$ESCROW" verify good.escrow -p evil.pub && expect_grep '^verdict: bad-signature' out
# The contract given (-c) but not reached: named, not "give the contract with -c".
expect_exit 1 "$ESCROW" verify good.escrow -p evil.pub -c contract.yaml
expect_grep '^contract: +[A-Z0-9-]+ \(contract\.yaml: not judged: the bundle failed before its contract check\)$' out
expect_true "no 'give the contract' when it was given" bash -c '! grep -q "give the contract with -c" out'
expect_exit 1 "$ESCROW" verify good.escrow -p evil.pub -c contract.yaml --json
expect_true "JSON: the contract given, not checked" python3 -c '
import json, sys
c = json.load(open(sys.argv[1]))["contract"]
assert c["checked"] is False and c["path"] == "contract.yaml" and len(c["sha256"]) == 64, c' out
# With stock tar and zstd: unpack, change a file, pack again.
mkdir u && zstd -qdc good.escrow | tar -x -C u
printf 'evil\n' >u/fraud-2.4.0/data/data/train.csv
(cd u && tar --format=pax --sort=name -cf - fraud-2.4.0) | zstd -q -o stock.escrow
expect_exit 1 "$ESCROW" verify stock.escrow -p k.pub

# --- corrupt streams: truncation, random bytes, flipped bytes, odd frames ---
size=$(stat -c %s good.escrow)
# Cut to nothing, the file is no bundle at all (65); cut anywhere else, a damaged one (1).
head -c 0 good.escrow >cut.escrow
expect_exit 65 "$ESCROW" verify cut.escrow -p k.pub && expect_grep 'not-a-bundle: .*empty' err
for n in 1 3 4 5 17 100 1000 $((size / 3)) $((size / 2)) $((size - 100)) $((size - 9)) $((size - 1)); do
	head -c "$n" good.escrow >cut.escrow
	expect_exit 1 "$ESCROW" verify cut.escrow -p k.pub && expect_grep '^verdict: tampered' out
done
head -c 20000 /dev/urandom >random.escrow
expect_exit 65 "$ESCROW" verify random.escrow -p k.pub && expect_grep 'not an escrow bundle' err
zstd -qdc good.escrow >b0.tar
for i in $(seq 0 49); do
	off=$(((size - 1) * i / 49))
	python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[int(sys.argv[2])] ^= 0x10; open(sys.argv[3], "wb").write(b)' good.escrow "$off" flip.escrow
	# A few bits of a zstd frame are ignored by decoders (an unused header
	# flag, some entropy-table padding): when the decompressed stream is the
	# same, the signed content is intact and verify rightly says so.
	if zstd -qdc flip.escrow 2>/dev/null | cmp -s - b0.tar; then
		want=0
	else
		want=1
	fi
	expect_exit "$want" "$ESCROW" verify flip.escrow -p k.pub || echo "  (flipped byte at offset $off)" >&2
done
cat good.escrow good.escrow >twice.escrow
expect_exit 1 "$ESCROW" verify twice.escrow -p k.pub
(cat good.escrow; printf 'trailing') >trail.escrow
expect_exit 1 "$ESCROW" verify trail.escrow -p k.pub
# Several frames are fine (a writer may cut frames anywhere); a skippable
# frame between them, or a frame without checksum, is not.
zstd -qdc good.escrow >b.tar
head -c 5000 b.tar | zstd -q -c >f1.zst
tail -c +5001 b.tar | zstd -q -c >f2.zst
cat f1.zst f2.zst >multi.escrow
expect_exit 0 "$ESCROW" verify multi.escrow -p k.pub
(cat f1.zst; printf '\x50\x2a\x4d\x18\x04\x00\x00\x00abcd'; cat f2.zst) >skip.escrow
expect_exit 1 "$ESCROW" verify skip.escrow -p k.pub && expect_grep 'skippable' err
zstd -q --no-check -c b.tar >nocheck.escrow
expect_exit 1 "$ESCROW" verify nocheck.escrow -p k.pub && expect_grep 'checksum' err

# --- environment errors ---
printf 'escrow-contract: 1\ndeliverables: [\n' >bad.yaml
expect_exit 65 "$ESCROW" verify good.escrow -p k.pub -c bad.yaml
expect_exit 66 "$ESCROW" verify good.escrow -p missing.pub
expect_exit 66 "$ESCROW" verify missing.escrow -p k.pub
expect_exit 64 "$ESCROW" verify good.escrow
expect_exit 64 "$ESCROW" verify good.escrow -p k.pub -p k.pub

# --- sealed bundles (age) ---
age-keygen -o id.age 2>/dev/null
age-keygen -o other.age 2>/dev/null
rcpt=$(age-keygen -y id.age)
$MK build src -o sealed.escrow -s k.key -c contract.yaml -r "$rcpt"
expect_exit 0 "$ESCROW" verify sealed.escrow -p k.pub -c contract.yaml -i id.age --json
expect_grep '"sealed": true' out && expect_grep '"detached_signature": "absent"' out
expect_exit 1 "$ESCROW" verify sealed.escrow -p k.pub && expect_grep 'sealed.*-i IDENTITY' err
expect_exit 1 "$ESCROW" verify sealed.escrow -p k.pub -i other.age && expect_grep 'identit' err
expect_exit 0 "$ESCROW" verify sealed.escrow -p k.pub -i other.age -i id.age
expect_exit 0 from_stdin sealed.escrow "$ESCROW" verify - -p k.pub -i id.age
$MK build src -o signed.escrow -s k.key -r "$rcpt" --detached
expect_exit 0 "$ESCROW" verify signed.escrow -p k.pub -i id.age --json && expect_grep '"detached_signature": "good"' out
cp signed.escrow.minisig keep.minisig
# Another key's .minisig (after a release it is the notary's): checked, and said to be another key's.
minisign -S -s evil.key -m signed.escrow >/dev/null 2>&1
expect_exit 0 "$ESCROW" verify signed.escrow -p k.pub -i id.age --json && expect_grep '"detached_signature": "other-key"' out
expect_grep 'detached signature beside the bundle was checked and is not the agency' out
expect_true "no 'not checked' about a checked detached signature" sh -c '! grep -q "not checked" out'
# A .minisig that is not a signature at all is bad.
printf 'untrusted comment: x\nnot base64\n' >signed.escrow.minisig
expect_exit 1 "$ESCROW" verify signed.escrow -p k.pub -i id.age && expect_grep 'minisig' err
# The agency's own signature of another sealed bundle: bad, also with -q,
# which leaves out the bundle's SHA-256 but never the detached signature.
$MK build src -o other.escrow -s k.key -r "$rcpt" --detached
cp other.escrow.minisig signed.escrow.minisig
expect_exit 1 "$ESCROW" verify signed.escrow -p k.pub -i id.age --json && expect_grep '"detached_signature": "bad"' out
expect_exit 1 "$ESCROW" verify signed.escrow -p k.pub -i id.age -q && expect_grep 'minisig' err
expect_exit 1 "$ESCROW" extract signed.escrow -p k.pub -i id.age -q -C x.bad
expect_true "nothing extracted under a bad detached signature" test ! -e x.bad
cp keep.minisig signed.escrow.minisig
expect_exit 0 "$ESCROW" verify signed.escrow -p k.pub -i id.age -q
python3 -c 'import sys; b = bytearray(open(sys.argv[1], "rb").read()); b[-20] ^= 1; open(sys.argv[1], "wb").write(b)' signed.escrow
expect_exit 1 "$ESCROW" verify signed.escrow -p k.pub -i id.age
finish
