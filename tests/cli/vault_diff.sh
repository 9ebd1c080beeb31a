#!/usr/bin/env bash
# escrow vault receive compares each deposit with the contract's previous
# accepted (verified) deposit, as `escrow diff` does, and records what changed:
# in the receive event (hash-chained), in the receipt (predicate.escrow.diff,
# signed) and in its output (a "since deposit N" line; "diff" in --json). A
# refused deposit is compared too (its regressions are the point); a deposit
# is never compared with a refused one; a previous copy that cannot be read
# is said in the receipt and does not fail the receive. A vault deposit's
# certificate shows the changes.
. "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=1767225600

for k in agency notary; do "$ESCROW" keygen -W -q -o $k; done
cat >c1.yaml <<'Y'
escrow-contract: 1
contract: C-2026-01
agency: Agence
client: Client
deliverables:
  - id: code
    kind: code
    include: ["src/**"]
  - id: model
    kind: model
    include: ["models/*.safetensors"]
    format: safetensors
Y
mkdir -p p/src p/models
echo 'print("hi")' >p/src/app.py
echo 'def f(): return 1' >p/src/lib.py
make_safetensors p/models/m.safetensors
pack() { "$ESCROW" pack p -o "$1" -s agency.key -c c1.yaml -q --release "$2" 2>/dev/null; }
receipt() { echo "V/receipts/$(sha256sum "$1" | cut -c1-64).json"; }
field() { python3 -c 'import json, sys; d = json.load(open(sys.argv[1])); print(json.dumps(eval(sys.argv[2])))' "$@"; }

"$ESCROW" vault init V -s notary.key -q
"$ESCROW" vault contract add V c1.yaml -p agency.pub -q

# 1.0: the first deposit has nothing to compare with
pack r1.escrow 1.0
expect_exit 0 "$ESCROW" vault receive V r1.escrow --json
expect_grep '"diff": null' out
expect_true "no diff in the first receipt" test "$(field "$(receipt r1.escrow)" 'd["predicate"]["escrow"].get("diff")')" = null

# 1.1: the model is gone: incomplete, compared with 1.0, the regression named
mv p/models/m.safetensors m.saved
pack r2.escrow 1.1
expect_exit 2 "$ESCROW" vault receive V r2.escrow
expect_grep '^since deposit 1: 0 added, 1 removed, 0 changed, 0 renamed; 1 regression ' out
R2=$(receipt r2.escrow)
expect_true "receipt: regressions [model]" test "$(field "$R2" 'd["predicate"]["escrow"]["diff"]["regressions"]')" = '["model"]'
expect_true "receipt: compared with deposit 1" test "$(field "$R2" 'd["predicate"]["escrow"]["diff"]["previous"]["deposit"]')" = 1
expect_true "receipt: FAILED" test "$(field "$R2" 'd["predicate"]["verificationResult"]')" = '"FAILED"'
expect_exit 0 minisign -Vm "$R2" -p notary.pub -q
# the deposit's certificate shows it (from the signed receipt)
expect_exit 2 "$ESCROW" certificate --vault V 2 -o c2.html -q
expect_true "certificate: the changes since the previous deposit, the regression named" python3 - c2.html <<'PY'
import html, re, sys
t = re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", open(sys.argv[1], encoding="utf-8").read())))
assert "Changes since the previous deposit" in t, t
i = t.index("Changes since the previous deposit")
assert "1 removed" in t[i:i + 200] and "model" in t[i:i + 300], t[i:i + 300]
PY

# 1.2: the model is back, a source changed, one added: compared with 1.0
# (the previous ACCEPTED deposit), not with the refused 1.1
mv m.saved p/models/m.safetensors
echo 'def f(): return 2' >p/src/lib.py
echo 'X = 1' >p/src/new.py
pack r3.escrow 1.2
expect_exit 0 "$ESCROW" vault receive V r3.escrow --json
expect_grep '"diff": \{"previous": 1, "added": 1, "removed": 0, "changed": 1, "renamed": 0, "regressions": 0\}' out
R3=$(receipt r3.escrow)
expect_true "receipt: no regression" test "$(field "$R3" 'd["predicate"]["escrow"]["diff"]["regressions"]')" = '[]'
expect_exit 0 minisign -Vm "$R3" -p notary.pub -q
# the receive event holds it, in the chain
expect_exit 0 "$ESCROW" vault log V --json
expect_true "the receive events hold the diffs" \
	test "$(python3 -c 'import json, sys; print(sum(1 for e in json.load(open(sys.argv[1]))["events"] if e.get("kind") == "receive" and e["data"].get("diff")))' out)" = 2
expect_exit 0 "$ESCROW" vault log V --verify

# Each verified deposit's file records are kept (VAULT/records/HEX.jsonl.zst,
# their SHA-256 in the receive event): the next receive compares with them
# without reading the previous bundle. Altered records are not used (the
# digest differs): the bundle is read instead, with the same result.
H3=$(sha256sum r3.escrow | cut -c1-64)
expect_true "r3's records kept" test -s "V/records/$H3.jsonl.zst"
expect_true "their digest in r3's receive event" test "$(python3 -c 'import json, sys
print(next(e["data"]["records_sha256"] for e in json.load(open(sys.argv[1]))["events"] if e["kind"] == "receive" and e["data"]["deposit"] == 3))' <("$ESCROW" vault log V --json))" = "$(sha256sum "V/records/$H3.jsonl.zst" | cut -c1-64)"
cp "V/records/$H3.jsonl.zst" records.saved
printf 'x' >>"V/records/$H3.jsonl.zst"
echo 'Y = 2' >p/src/other.py
pack r4.escrow 1.3
expect_exit 0 "$ESCROW" vault receive V r4.escrow --json
expect_grep '"diff": \{"previous": 3, "added": 1, "removed": 0, "changed": 0, "renamed": 0, "regressions": 0\}' out
# the records alone, the previous bundle gone: still compared (the records are
# what its verification read, their digest in the chain)
cp records.saved "V/records/$H3.jsonl.zst"
H4=$(sha256sum r4.escrow | cut -c1-64)
rm "V/store/sha256/${H4:0:2}/$H4.escrow"
echo 'Z = 3' >p/src/third.py
pack r5.escrow 1.4
expect_exit 0 "$ESCROW" vault receive V r5.escrow --json
expect_grep '"diff": \{"previous": 4, "added": 1, "removed": 0, "changed": 0, "renamed": 0, "regressions": 0\}' out

# 1.5: neither records nor bundle of the previous (1.4): the receive still
# succeeds, the receipt says the two could not be compared
H5=$(sha256sum r5.escrow | cut -c1-64)
rm "V/store/sha256/${H5:0:2}/$H5.escrow" "V/records/$H5.jsonl.zst"
echo 'W = 4' >p/src/fourth.py
pack r6.escrow 1.5
expect_exit 0 "$ESCROW" vault receive V r6.escrow --json
expect_grep '"diff": null' out
R6=$(receipt r6.escrow)
expect_true "receipt: not compared" test "$(field "$R6" 'd["predicate"]["escrow"]["diff"]["compared"]')" = false
expect_true "receipt: with deposit 5" test "$(field "$R6" 'd["predicate"]["escrow"]["diff"]["previous"]["deposit"]')" = 5
expect_exit 0 "$ESCROW" vault log V --verify
finish
