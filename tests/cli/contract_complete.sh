#!/usr/bin/env bash
# Complete means complete: a file the contract names (a literal include) that
# is not in the tree makes its deliverable `missing`, naming the file, in
# check, pack's warnings, verify, list and extract --deliverable, in text and
# JSON, whatever else the deliverable holds. A glob include that matches
# nothing is said in the detail and the JSON.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -q -o k
mkdir -p src/docs src/app
printf '# Model card\n' >src/docs/MODEL_CARD.md
printf '# Runbook\n' >src/docs/runbook.md
printf 'print(1)\n' >src/app/main.py
cat >contract.yaml <<'EOF2'
escrow-contract: 1
contract: DOCS-1
deliverables:
  - id: docs
    kind: docs
    include: [docs/MODEL_CARD.md, docs/runbook.md, docs/ARCHITECTURE.md]
  - id: source
    kind: code
    include: ["app/**", "tools/*.sh"]
EOF2

# the JSON of one deliverable: status missing, ARCHITECTURE.md named, 2 files
json_missing() {
	python3 - "$1" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = {x["id"]: x for x in r["deliverables"]}
doc, src = d["docs"], d["source"]
assert doc["status"] == "missing", doc
assert doc["missing"] == ["docs/ARCHITECTURE.md"], doc
assert "docs/ARCHITECTURE.md" in doc["reason"] and doc["files"] == 2, doc
assert src["status"] == "ok" and src["unmatched"] == ["tools/*.sh"], src
assert "tools/*.sh" in src["reason"], src
PY
}

expect_exit 2 "$ESCROW" check src -c contract.yaml
expect_grep '^  missing +docs .*docs/ARCHITECTURE.md is not in the deposit \(2 other files matched\)' out
expect_grep '^  ok +source .*app/main.py; no file matches tools/\*\.sh' out
expect_grep "^verdict: incomplete -- deliverable 'docs' is missing: docs/ARCHITECTURE.md" out
expect_exit 2 "$ESCROW" check src -c contract.yaml --json
expect_true "check --json: docs missing, ARCHITECTURE.md named" json_missing out

expect_exit 0 "$ESCROW" pack src -o b.escrow -s k.key -c contract.yaml
expect_grep 'deliverable docs: missing: docs/ARCHITECTURE.md is not in the deposit' err
expect_grep 'deliverable source: ok: no file matches tools/\*\.sh' err
expect_grep 'does not meet contract DOCS-1' err

expect_exit 2 "$ESCROW" verify b.escrow -p k.pub -c contract.yaml
expect_grep '^  missing +docs .*docs/ARCHITECTURE.md is not in the deposit' out
expect_grep '^verdict: incomplete' out
expect_exit 2 "$ESCROW" verify b.escrow -p k.pub -c contract.yaml --json
expect_true "verify --json: docs missing, ARCHITECTURE.md named" json_missing out

for from in "-c contract.yaml" ""; do # the caller's contract, then the bundle's copy
	# shellcheck disable=SC2086
	expect_exit 0 "$ESCROW" list b.escrow -p k.pub $from
	expect_grep '^  missing +docs .*docs/ARCHITECTURE.md is not in the deposit' out
	# shellcheck disable=SC2086
	expect_exit 0 "$ESCROW" list b.escrow -p k.pub $from --json
	expect_true "list $from --json: docs missing, ARCHITECTURE.md named" json_missing out
done

expect_exit 2 "$ESCROW" extract b.escrow -C part -p k.pub -c contract.yaml --deliverable docs
expect_grep '^  missing +docs .*docs/ARCHITECTURE.md is not in the deposit' out
expect_true "the named files that are there were extracted" test -f part/docs/runbook.md -a ! -e part/app
expect_exit 2 "$ESCROW" extract b.escrow -C part2 -p k.pub -c contract.yaml --deliverable docs --json
expect_true "extract --json: docs missing, ARCHITECTURE.md named" json_missing out

# The file arrives: complete everywhere.
printf '# Architecture\n' >src/docs/ARCHITECTURE.md
expect_exit 0 "$ESCROW" check src -c contract.yaml
expect_grep '^  ok +docs ' out
expect_exit 0 "$ESCROW" pack src -o c.escrow -s k.key -c contract.yaml
expect_exit 0 "$ESCROW" verify c.escrow -p k.pub -c contract.yaml
expect_exit 0 "$ESCROW" list c.escrow -p k.pub --json
expect_true "list: docs ok" python3 -c '
import json, sys
d = {x["id"]: x for x in json.load(open(sys.argv[1]))["deliverables"]}
assert d["docs"]["status"] == "ok" and d["docs"]["missing"] == [] and d["docs"]["files"] == 3' out

# A name with glob characters escaped ('\[', '\*', as escrow init writes
# them) is a literal too: its file gone, the deliverable is missing in check,
# pack --strict and verify; back, it is ok.
mkdir -p esc/docs
printf 'a\n' >esc/docs/a.md
printf 'b\n' >'esc/docs/report[v2].md'
cat >esc.yaml <<'EOF2'
escrow-contract: 1
contract: DOCS-2
deliverables:
  - id: docs
    include: [docs/a.md, "docs/report\\[v2\\].md", "docs/notes\\*.md"]
EOF2
expect_exit 2 "$ESCROW" check esc -c esc.yaml --json
expect_true "check: docs missing, notes*.md named" python3 -c '
import json, sys
d = {x["id"]: x for x in json.load(open(sys.argv[1]))["deliverables"]}
assert d["docs"]["status"] == "missing" and d["docs"]["missing"] == ["docs/notes\\*.md"], d' out
expect_exit 2 "$ESCROW" check esc -c esc.yaml
expect_grep "missing: docs/notes[*][.]md is not in the deposit \\(2 other files matched\\)" out
expect_exit 2 "$ESCROW" pack esc -o esc-strict.escrow -s k.key -c esc.yaml --strict -q
expect_exit 0 "$ESCROW" pack esc -o esc.escrow -s k.key -c esc.yaml -q
expect_exit 2 "$ESCROW" verify esc.escrow -p k.pub -c esc.yaml
printf 'n\n' >'esc/docs/notes*.md'
expect_exit 0 "$ESCROW" check esc -c esc.yaml
expect_exit 0 "$ESCROW" pack esc -o esc2.escrow -s k.key -c esc.yaml --strict -q
expect_exit 0 "$ESCROW" verify esc2.escrow -p k.pub -c esc.yaml

# A glob with a './', '..' or empty segment is in no payload path: it would
# never match, so a present file named './docs/a.md' would be missing and a
# forbidden './.env' let through (the deposit called complete). The contract
# is refused, naming the glob's position and the fix.
printf 'SECRET=1\n' >esc/.env
cat >dot.yaml <<'EOF2'
escrow-contract: 1
contract: DOCS-3
deliverables:
  - id: docs
    include: [docs/a.md]
forbid: ["./.env"]
EOF2
expect_exit 65 "$ESCROW" check esc -c dot.yaml
expect_grep "dot.yaml:6:.*'\.', '\.\.' or empty segment.*without '\./'" err
expect_exit 65 "$ESCROW" pack esc -o dot.escrow -s k.key -c dot.yaml --strict -q
expect_true "pack wrote nothing" test ! -e dot.escrow
sed -i 's|"./.env"|".env"|' dot.yaml
expect_exit 2 "$ESCROW" check esc -c dot.yaml
expect_grep 'forbidden' out
finish
