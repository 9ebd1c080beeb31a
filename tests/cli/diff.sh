#!/usr/bin/env bash
# escrow diff: two releases of the example project (examples/make-project.py,
# Python's standard library only), the second edited by hand: each kind of
# change shows, a removed deliverable is a regression listed first, model
# files say what their check read before and after (the ONNX pair is two
# committed real fixtures), sealed bundles with -i, a tampered bundle, and
# --json validates against docs/schema/escrow-diff-1.schema.json.
. "$(dirname "$0")/lib.sh"
REAL=$ESCROW_SRC/tests/fixtures/real
SCHEMA=$ESCROW_SRC/docs/schema/escrow-diff-1.schema.json
export SOURCE_DATE_EPOCH=1767225600

# validate FILE: the JSON report against the schema (Debian's python3-jsonschema)
validate() {
	checks=$((checks + 1))
	if ! /usr/bin/python3 - "$SCHEMA" "$1" <<'PY'
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft202012Validator.check_schema(schema)
jsonschema.Draft202012Validator(schema).validate(json.load(open(sys.argv[2])))
PY
	then
		echo "FAIL: $1 does not validate against $SCHEMA" >&2
		fails=$((fails + 1))
	fi
}
have_schema=0
need_tool /usr/bin/python3 python3 && /usr/bin/python3 -c 'import jsonschema' 2>/dev/null && have_schema=1
[ $have_schema = 1 ] || need_tool jsonschema-for-/usr/bin/python3 python3-jsonschema

expect_exit 0 "$ESCROW" keygen -W -q -o ag
expect_exit 0 "$ESCROW" keygen --age -q -o notary
expect_exit 0 python3 "$ESCROW_SRC/examples/make-project.py" p1
cp "$REAL/onnx_mlp.onnx" p1/models/aux.onnx
make_safetensors p1/models/small.safetensors          # w: F32 [2, 2]
printf 'def test_old():\n    pass\n' >p1/tests/test_old.py
ln -s runbook.md p1/docs/latest.md
cp "$REAL/numpy_f32.npy" p1/models/stats.npy
cp -a p1 p2

# release 2: a deliverable's only file removed, a model's inputs and another's
# tensors changed (one named to drive a terminal), a file renamed, one added,
# one removed, one grown, one changed at the same size
rm p2/models/classifier.onnx
cp "$REAL/onnx_if_subgraph.onnx" p2/models/aux.onnx
cp "$REAL/numpy_i64_fortran.npy" p2/models/stats.npy
python3 - p2/models/small.safetensors <<'PY'
import json, struct, sys
h = json.dumps({"w": {"dtype": "F16", "shape": [4, 2], "data_offsets": [0, 16]},
                "b\x1b[31m": {"dtype": "F32", "shape": [2], "data_offsets": [16, 24]}}).encode()
h += b" " * (-len(h) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + bytes(24))
PY
mv p2/src/scoring/model.py p2/src/scoring/scorer.py
printf 'EXTRA = 1\n' >p2/src/scoring/extra.py
rm p2/tests/test_old.py
sed -n '2,40p' p1/data/train.csv >>p2/data/train.csv
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[0] ^= 0x20; open(p, "wb").write(b)' \
	p2/prompts/system.md
printf 'x\n' >p2/NOTES.txt
cp p2/models/embeddings.gguf p2/models/embeddings-v2.gguf   # a copy is added, not renamed
ln -sfn ../README.md p2/docs/latest.md                       # a symlink with another target
mkdir p2/notes && mv p2/prompts/summarise-claim.md p2/notes/ # out of its deliverable

C=$ESCROW_SRC/examples/contract.yaml
expect_exit 0 "$ESCROW" pack p1 -c "$C" -s ag.key --name claimscore --release 1.0 -o r1.escrow -q
expect_exit 0 "$ESCROW" pack p2 -c "$C" -s ag.key --name claimscore --release 2.0 -o r2.escrow -q

# --- the text report ---
expect_exit 0 "$ESCROW" diff r1.escrow r2.escrow -p ag.pub -c "$C" && cp out text
expect_grep '^signatures: checked' text
expect_grep '^contract: +CLAIMS-2026-03 \(given with -c' text
expect_grep "^changes: +3 added, 2 removed, 6 changed, 2 renamed, " text
expect_grep '^  classifier-onnx: ok -> missing' text
expect_grep '^  classifier-onnx: ok -> missing \(REGRESSION\); 1 removed' text
expect_grep '^    removed +models/classifier.onnx' text
expect_grep '^    renamed +src/scoring/model.py -> src/scoring/scorer.py' text
expect_grep '^    added +src/scoring/extra.py \(10 bytes\)' text
expect_grep '^    removed +tests/test_old.py' text
expect_grep '^    changed +data/train.csv \(201.9 KiB -> ' text
expect_grep '^    changed +prompts/system.md \(.*same size, other bytes\)' text
expect_grep 'shape w: \[2,2\] -> \[4,2\]' text
expect_grep 'shape b\\x1b\[31m: none -> \[2\]' text
expect_grep 'dtypes: \["F32"\] -> \["F16","F32"\]' text
expect_grep 'tensors: 1 -> 2' text
expect_grep 'inputs: \[\{"dtype":"FLOAT","name":"x","shape":\[1,2\]\}\] -> \[\{"dtype":"BOOL","name":"c"' text
expect_grep '^verdict: compared -- 1 regression, 13 files differ' text
expect_grep '^ +shape: \[3,4\] -> \[2,3\]' text
expect_grep '^    renamed +prompts/summarise-claim.md -> notes/summarise-claim.md \(from prompts\)' text
expect_grep '^    changed +docs/latest.md \(symlink -> symlink\)' text
expect_grep '^ +target runbook.md -> ../README.md' text
# the regression comes before the deliverables, and the hostile name is escaped
expect_true "regressions listed first" test "$(grep -n '^REGRESSIONS' text | cut -d: -f1)" -lt \
	"$(grep -n '^deliverables' text | cut -d: -f1)"
expect_true "no raw escape byte on the terminal" sh -c "! grep -q \"$(printf '\033')\" text"

# --- the JSON report ---
expect_exit 0 "$ESCROW" diff r1.escrow r2.escrow -p ag.pub -c "$C" --json && cp out d.json
[ $have_schema = 1 ] && validate d.json
expect_true "the JSON says what changed" python3 - d.json <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
assert r["schema"] == "escrow-diff/1" and r["verdict"] == "compared" and r["compared"] is True
assert r["signatures"] == "checked" and r["contract"]["from"] == "contract"
assert r["regressions"] == [{"deliverable": "classifier-onnx", "required": True, "old": "ok", "new": "missing",
                             "reason": "no file matches models/classifier.onnx"}], r["regressions"]
d = {x["id"]: x for x in r["deliverables"]}
assert d["classifier-onnx"]["change"] == "regression"
assert d["classifier-onnx"]["removed"][0]["model"]["inputs"][0]["shape"] == ["batch", 8]
src = d["service-source"]
assert src["change"] == "same" and src["counts"]["added"] == 1 and src["counts"]["renamed"] == 1
assert src["renamed"][0]["from"] == "src/scoring/model.py" and src["renamed"][0]["to"] == "src/scoring/scorer.py"
csv = d["training-data"]["changed"][0]
assert csv["path"] == "data/train.csv" and csv["size_change"] > 0 and csv["old"]["sha256"] != csv["new"]["sha256"]
assert d["training-data"]["new"]["status"] == "ok"
u = r["unassigned"]
ch = {x["path"]: x for x in u["changed"]}
st = ch["models/small.safetensors"]
assert st["old"]["model"]["shapes"] == {"w": [2, 2]} and st["new"]["model"]["shapes"] == {"b\x1b[31m": [2], "w": [4, 2]}
assert st["old"]["model"]["dtypes"] == ["F32"] and st["new"]["model"]["dtypes"] == ["F16", "F32"]
assert st["old"]["model"]["tensors"] == 1 and st["new"]["model"]["tensors"] == 2
assert sorted(st["model_changes"]) == ["dtypes", "params", "shapes", "tensors"], st["model_changes"]
onnx = ch["models/aux.onnx"]
assert onnx["old"]["model"]["inputs"] == [{"name": "x", "dtype": "FLOAT", "shape": [1, 2]}]
assert [i["dtype"] for i in onnx["new"]["model"]["inputs"]] == ["BOOL", "FLOAT"]
assert [x["path"] for x in u["removed"]] == ["tests/test_old.py"]
assert [x["path"] for x in u["added"]] == ["NOTES.txt"]
c = r["changes"]
assert (c["added"], c["removed"], c["changed"], c["renamed"]) == (3, 2, 6, 2), c
npy = ch["models/stats.npy"]
assert npy["old"]["model"] == {"format": "npy", "dtypes": ["<f4"], "shape": [3, 4]}, npy
assert npy["new"]["model"] == {"format": "npy", "dtypes": [">i8"], "shape": [2, 3]}, npy
assert npy["model_changes"] == ["dtypes", "shape"], npy
mv = [x for x in u["renamed"] if x["to"] == "notes/summarise-claim.md"]
assert len(mv) == 1 and mv[0]["from"] == "prompts/summarise-claim.md" and mv[0]["from_deliverable"] == "prompts", mv
ln = ch["docs/latest.md"]
assert ln["old"]["type"] == ln["new"]["type"] == "symlink" and "sha256" not in ln["old"], ln
assert ln["old"]["target"] == "runbook.md" and ln["new"]["target"] == "../README.md", ln
assert "size_change" not in ln
assert c["new_files"] == c["old_files"] + 1 and c["truncated"] is False
gg = d["embeddings"]["added"]
assert [x["path"] for x in gg] == ["models/embeddings-v2.gguf"], gg
assert gg[0]["model"] == {"format": "gguf", "architecture": "claimscore-embed", "tensors": 1, "dtypes": ["F32"]}, gg
assert d["embeddings"]["counts"]["unchanged"] == 1 and d["embeddings"]["counts"]["renamed"] == 0
PY

# --- without -p: read as list reads, and said so; the contract from NEW's copy ---
expect_exit 0 "$ESCROW" diff r1.escrow r2.escrow && cp out text2
expect_grep '^signatures: not checked' text2
expect_grep 'signatures not checked \(no -p PUBKEY\)' text2
# the key id a signature names is not said to have signed when nothing checked it
expect_grep "^old: +r1.escrow .* -- intact, its signature names $(sed -n '1s/.* //p' ag.pub) \(not checked\)$" text2
expect_true "no 'signed by' without -p" sh -c '! grep -q "signed by" "$1"' sh text2
expect_grep 'the copy inside the new bundle' text2
expect_grep 'format csv not checked' text2
expect_exit 0 "$ESCROW" diff r1.escrow r2.escrow --json && cp out d2.json
[ $have_schema = 1 ] && validate d2.json
expect_true "no -p: not checked, contract from the new bundle" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["signatures"] == "not-checked" and r["old"]["verdict"] == "intact"
assert r["old"]["signature"]["status"] == "not-checked" and r["contract"]["from"] == "new-bundle"
assert r["contract"]["formats_checked"] is False and r["regressions"][0]["deliverable"] == "classifier-onnx"
' d2.json
# standard input for one of them
expect_exit 0 sh -c "cat r2.escrow | '$ESCROW' diff r1.escrow - -p ag.pub" && expect_grep '^verdict: compared' out

# --- a deliverable gone from the contract is a regression too ---
sed '/^  - id: model-card/,/^$/d' "$C" >amended.yaml
expect_exit 0 "$ESCROW" pack p1 -c amended.yaml -s ag.key --name claimscore --release 1.1 -o r3.escrow -q
expect_exit 0 "$ESCROW" diff r1.escrow r3.escrow -p ag.pub --json && cp out d3.json
[ $have_schema = 1 ] && validate d3.json
expect_true "model-card: ok -> absent" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["contract"]["from"] == "new-bundle" and r["contract"]["copies"] == "differ"
assert [(x["deliverable"], x["new"]) for x in r["regressions"]] == [("model-card", "absent")], r["regressions"]
d = {x["id"]: x for x in r["deliverables"]}
assert d["model-card"]["in_contract"] is False and d["model-card"]["old"]["status"] == "ok"
assert r["changes"]["changed"] == 0 and r["changes"]["added"] == 0
' d3.json
expect_exit 0 "$ESCROW" diff r1.escrow r3.escrow -p ag.pub && expect_grep '^  model-card: ok -> absent' out

# --- sealed bundles: opened with -i, refused without ---
R="$(cat notary.age.pub)"
expect_exit 0 "$ESCROW" pack p1 -c "$C" -s ag.key --name claimscore --release 1.0 -r "$R" -o s1.escrow -q
expect_exit 0 "$ESCROW" pack p2 -c "$C" -s ag.key --name claimscore --release 2.0 -r "$R" -o s2.escrow -q
expect_exit 0 "$ESCROW" diff s1.escrow s2.escrow -p ag.pub -c "$C" -i notary.age --json && cp out s.json
[ $have_schema = 1 ] && validate s.json
expect_true "sealed: the same changes as unsealed" python3 -c '
import json, sys
a, b = json.load(open(sys.argv[1])), json.load(open(sys.argv[2]))
assert a["old"]["bundle"]["sealed"] is True and b["old"]["bundle"]["sealed"] is False
for k in ("added", "removed", "changed", "renamed", "unchanged"):
    assert a["changes"][k] == b["changes"][k], k
assert a["regressions"] == b["regressions"]
' s.json d.json
expect_exit 1 "$ESCROW" diff s1.escrow s2.escrow -p ag.pub && expect_grep '^verdict: not-opened -- old bundle' out
expect_grep 'not-opened: old bundle \(s1.escrow\)' err

# --- a tampered bundle: said so, with verify's exit code ---
cp r2.escrow bad.escrow
python3 -c 'import os, sys; p = sys.argv[1]; f = open(p, "r+b"); n = os.path.getsize(p) // 2; f.seek(n); b = f.read(1); f.seek(n); f.write(bytes([b[0] ^ 1]))' bad.escrow
expect_exit 1 "$ESCROW" verify bad.escrow -p ag.pub
expect_exit 1 "$ESCROW" diff r1.escrow bad.escrow -p ag.pub && expect_grep '^verdict: tampered -- new bundle \(bad.escrow\) tampered, nothing compared' out
expect_grep '^escrow: error: tampered: new bundle' err
expect_exit 1 "$ESCROW" diff r1.escrow bad.escrow -p ag.pub --json && cp out bad.json
[ $have_schema = 1 ] && validate bad.json
expect_true "tampered: which one, nothing compared" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["compared"] is False and r["failed"] == "new" and r["verdict"] == "tampered"
assert r["old"]["verdict"] == "verified" and r["new"]["verdict"] == "tampered" and "deliverables" not in r
' bad.json
# signed by another key: bad-signature (1)
expect_exit 0 "$ESCROW" keygen -W -q -o mallory
expect_exit 0 "$ESCROW" pack p2 -c "$C" -s mallory.key --name claimscore --release 2.0 -o forged.escrow -q
expect_exit 1 "$ESCROW" diff r1.escrow forged.escrow -p ag.pub && expect_grep '^verdict: bad-signature -- new bundle' out
# no bundle at all: 65, as verify says
printf 'hello\n' >notes.txt
expect_exit 65 "$ESCROW" diff notes.txt r2.escrow && expect_grep '^verdict: not-a-bundle -- old bundle' out
expect_exit 66 "$ESCROW" diff r1.escrow missing.escrow

# --- usage ---
expect_exit 64 "$ESCROW" diff r1.escrow
expect_exit 64 "$ESCROW" diff r1.escrow r2.escrow r3.escrow
expect_exit 64 "$ESCROW" diff - -
expect_exit 64 "$ESCROW" diff r1.escrow r2.escrow --deliverable x
expect_exit 0 "$ESCROW" diff --help && expect_grep '^usage: escrow diff OLD NEW' out

# the schema is not a formality: a report with a wrong field fails it
if [ $have_schema = 1 ]; then
	python3 -c '
import json, sys
r = json.load(open(sys.argv[1])); r["regressions"][0]["old"] = "missing"
json.dump(r, open("broken.json", "w"))' d.json
	checks=$((checks + 1))
	if /usr/bin/python3 -c 'import json, sys, jsonschema; jsonschema.validate(json.load(open(sys.argv[2])), json.load(open(sys.argv[1])), cls=jsonschema.Draft202012Validator)' "$SCHEMA" broken.json 2>/dev/null; then
		echo "FAIL: the schema accepts a regression that was not ok before" >&2
		fails=$((fails + 1))
	fi
fi
# The executable bit (the mode a bundle keeps: 0755 or 0644) turned off, the
# bytes the same: a changed file, "same bytes" and the modes, never
# "unchanged" or "0 files differ".
mkdir -p x1 && printf '#!/bin/sh\n' >x1/run.sh && chmod 755 x1/run.sh && printf 'a\n' >x1/a.txt
cp -a x1 x2 && chmod 644 x2/run.sh
expect_exit 0 "$ESCROW" pack x1 -s ag.key -o x1.escrow -q
expect_exit 0 "$ESCROW" pack x2 -s ag.key -o x2.escrow -q
expect_exit 0 "$ESCROW" diff x1.escrow x2.escrow -p ag.pub
expect_grep '^changes: +0 added, 0 removed, 1 changed, 0 renamed, 1 unchanged$' out
expect_grep '^    changed   run\.sh \(10 bytes -> 10 bytes, same bytes\)$' out
expect_grep '^ +mode 0755 -> 0644$' out
expect_grep '^verdict: compared -- 1 file differs' out
expect_exit 0 "$ESCROW" diff x1.escrow x2.escrow -p ag.pub --json
[ $have_schema = 1 ] && validate out
expect_true "the JSON says run.sh's executable bit went off" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
ch = r["unassigned"]["changed"]
assert [(c["path"], c["old"]["executable"], c["new"]["executable"]) for c in ch] == [("run.sh", True, False)], ch' "$T/out"
# Renamed and its executable bit turned off on the way: the rename says so,
# not 'renamed' alone over a mode change.
mkdir -p x3 && printf '#!/bin/sh\n' >x3/start.sh && chmod 644 x3/start.sh && printf 'a\n' >x3/a.txt
expect_exit 0 "$ESCROW" pack x3 -s ag.key -o x3.escrow -q
expect_exit 0 "$ESCROW" diff x1.escrow x3.escrow -p ag.pub
expect_grep '^    renamed   run\.sh -> start\.sh$' out
expect_grep '^ +mode 0755 -> 0644$' out
expect_exit 0 "$ESCROW" diff x1.escrow x3.escrow -p ag.pub --json
[ $have_schema = 1 ] && validate out
expect_true "the JSON says start.sh was executable as run.sh" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
rn = r["unassigned"]["renamed"]
assert [(x["from"], x["to"], x.get("from_executable"), x["executable"]) for x in rn] == [("run.sh", "start.sh", True, False)], rn' "$T/out"

finish
