#!/usr/bin/env bash
# escrow list: the signed manifest's files, once the digests held.
. "$(dirname "$0")/lib.sh"
MK="python3 $ESCROW_SRC/tests/mkbundle.py"

expect_exit 0 "$ESCROW" keygen -W -q -o k
expect_exit 0 "$ESCROW" keygen -W -q -o evil
mkdir -p src/app src/data
printf 'print(1)\n' >src/app/main.py
printf 'a,b\n1,2\n' >src/data/t.csv
printf 'notes\n' >src/NOTES.txt
cat >contract.yaml <<'EOF2'
escrow-contract: 1
contract: L-1
deliverables:
  - id: source
    kind: code
    include: ["app/**"]
EOF2
cat >mine.yaml <<'EOF2'
escrow-contract: 1
contract: L-1
deliverables:
  - id: dataset
    kind: data
    include: ["data/*.csv"]
EOF2
$MK build src -o b.escrow -s k.key -c contract.yaml

expect_exit 0 "$ESCROW" list b.escrow -p k.pub && expect_grep 'app/main.py' out
expect_grep 'data/t.csv' out
expect_exit 0 "$ESCROW" list b.escrow -p k.pub --json
expect_true "files, sizes, deliverables from the bundle's copy" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "verified" and r["signature"]["status"] == "good"
assert r["deliverables_from"] == "bundle", r["deliverables_from"]
f = {x["path"]: x for x in r["files"]}
assert f["app/main.py"]["size"] == 9 and f["app/main.py"]["deliverable"] == "source"
assert f["app/main.py"]["kind"] == "code" and len(f["app/main.py"]["sha256"]) == 64
assert f["data/t.csv"]["deliverable"] is None
assert f["app"]["type"] == "dir"' out
expect_exit 0 "$ESCROW" list b.escrow -c mine.yaml --json
expect_true "deliverables from -c; signature not checked" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["deliverables_from"] == "contract"
assert r["signature"]["status"] == "not-checked"
assert any("signature not checked" in w["message"] for w in r["warnings"])
f = {x["path"]: x for x in r["files"]}
assert f["data/t.csv"]["deliverable"] == "dataset" and f["app/main.py"]["deliverable"] is None' out
expect_exit 0 "$ESCROW" list b.escrow && expect_grep 'signature not checked' out
# Tampered: nothing listed.
$MK rewrite b.escrow -o t.escrow --replace app/main.py=evil
expect_exit 1 "$ESCROW" list t.escrow && expect_grep 'was changed' err
expect_exit 1 "$ESCROW" list b.escrow -p evil.pub
expect_exit 66 "$ESCROW" list missing.escrow
# The table's title counts what its rows are: 2 files, a link and 2 folders
# ("files (5)" disagreed with "payload: 2 files" above it).
mkdir -p cnt/a && printf 'x\n' >cnt/a/x.txt && printf 'y\n' >cnt/y.txt && ln -s y.txt cnt/l
expect_exit 0 "$ESCROW" pack cnt -s k.key -o cnt.escrow -q
expect_exit 0 "$ESCROW" list cnt.escrow
expect_grep '^payload: +2 files, 4 bytes$' out
expect_grep '^files \(2, 1 link, 1 folder\):$' out

finish
