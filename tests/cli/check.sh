#!/usr/bin/env bash
# escrow check: a project against its contract, before packing.
. "$(dirname "$0")/lib.sh"

# A small AI delivery: code, a (tiny but valid) safetensors model, data, docs.
mkdir -p p/src/app p/models p/data p/docs p/.git
printf 'print("fraud")\n' >p/src/app/main.py
printf '[project]\nname = "fraud"\n' >p/pyproject.toml
printf 'id,amount,label\n1,10.5,0\n2,99.0,1\n' >p/data/train.csv
printf '# Runbook\nRestart the scorer.\n' >p/docs/runbook.md
printf 'ref: refs/heads/main\n' >p/.git/HEAD
make_safetensors p/models/classifier.safetensors
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
    include: ["src/**", pyproject.toml]
  - id: training-data
    kind: data
    include: ["data/*.csv"]
    format: csv
  - id: runbook
    kind: docs
    include: [docs/runbook.md]
forbid: ["**/*.pyc", .env]
EOF

# Complete: exit 0, one line per deliverable, the verdict last.
expect_exit 0 "$ESCROW" check p -c contract.yaml
expect_grep '^  ok +classifier +1 file, [0-9.]+ bytes? +models/classifier.safetensors$' out
expect_grep '^  ok +runbook ' out
expect_true "verdict is the last line" test "$(tail -n 1 out | cut -c1-18)" = "verdict: complete "
expect_true "the .git folder is not listed" sh -c '! grep -q "HEAD" out'
expect_exit 0 "$ESCROW" check p -c contract.yaml --include-vcs
expect_grep '^  \.git/HEAD$' out # unassigned

# --json parses and carries the verdict.
expect_exit 0 "$ESCROW" check p -c contract.yaml --json
expect_true "--json is valid JSON" python3 -m json.tool out
expect_true "--json verdict complete" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "complete" and r["command"] == "check", r
assert [d["status"] for d in r["deliverables"]] == ["ok"] * 4
assert r["totals"]["files"] == 5, r["totals"]' out

# A missing deliverable: exit 2, and the report names it and why.
mv p/docs/runbook.md p/docs/RUNBOOK.txt
expect_exit 2 "$ESCROW" check p -c contract.yaml
expect_grep '^  missing +runbook +0 files +no file matches docs/runbook.md$' out
expect_grep "^verdict: incomplete -- deliverable 'runbook' is missing" out
expect_grep 'docs/RUNBOOK.txt' out # unassigned
mv p/docs/RUNBOOK.txt p/docs/runbook.md

# A forbidden file: exit 2, listed.
mkdir -p p/src/app/__pycache__
printf '\x00\x01' >p/src/app/__pycache__/main.cpython-311.pyc
expect_exit 2 "$ESCROW" check p -c contract.yaml
expect_grep '^  src/app/__pycache__/main.cpython-311.pyc$' out
expect_grep 'forbidden' out
# ... unless excluded with -x, as pack would.
expect_exit 0 "$ESCROW" check p -c contract.yaml -x '__pycache__/'
expect_exit 0 "$ESCROW" check -q p -c contract.yaml -x '*.pyc'
expect_true "-q prints nothing" test ! -s out
rm -r p/src/app/__pycache__

# A model that is not what it claims: bad-format with the checker's reason.
cp p/models/classifier.safetensors saved.safetensors
head -c 40 saved.safetensors >p/models/classifier.safetensors
expect_exit 2 "$ESCROW" check p -c contract.yaml
expect_grep '^  bad-format +classifier ' out
cp saved.safetensors p/models/classifier.safetensors

# A TF SavedModel folder: checked as a whole (index magic, every shard).
mkdir -p p/export/tf/variables
printf '\x08\x01' >p/export/tf/saved_model.pb
printf 'idx\x57\xfb\x80\x8b\x24\x75\x47\xdb' >p/export/tf/variables/variables.index
printf 'w' >p/export/tf/variables/variables.data-00000-of-00002
printf 'w' >p/export/tf/variables/variables.data-00001-of-00002
{ sed '/^forbid:/,$d' contract.yaml; cat; grep '^forbid:' contract.yaml; } >tf.yaml <<'EOF'
  - id: tf-export
    kind: model
    include: ["export/tf/**"]
    format: tf-savedmodel
EOF
expect_exit 0 "$ESCROW" check p -c tf.yaml
expect_grep '^  ok +tf-export +4 files' out
rm p/export/tf/variables/variables.data-00001-of-00002
expect_exit 2 "$ESCROW" check p -c tf.yaml
expect_grep '^  bad-format +tf-export ' out
rm -r p/export

# A pickle that runs code when loaded: unsafe, naming the import.
python3 - p/models/helper.pkl <<'EOF'
import os, pickle, sys
class Evil:
    def __reduce__(self):
        return (os.system, ("true",))
open(sys.argv[1], "wb").write(pickle.dumps(Evil(), protocol=2))
EOF
{ sed '/^forbid:/,$d' contract.yaml; cat; grep '^forbid:' contract.yaml; } >pkl.yaml <<'EOF'
  - id: helper
    kind: model
    include: [models/helper.pkl]
EOF
expect_exit 2 "$ESCROW" check p -c pkl.yaml
expect_grep '^  unsafe +helper +1 file, .*models/helper.pkl: unsafe pickle: (posix|os)\.system' out
# outside any deliverable it is a warning, not a failure
expect_exit 0 "$ESCROW" check p -c contract.yaml
expect_grep 'models/helper.pkl: unsafe pickle: (posix|os)\.system \(loading it may run code' out
rm p/models/helper.pkl

# A malformed contract: exit 65 with file:line:column.
sed 's/^    format: csv$/    format: xls/' contract.yaml >bad.yaml
expect_exit 65 "$ESCROW" check p -c bad.yaml
expect_grep "bad.yaml:15:13: unknown format 'xls'" err
printf 'escrow-contract: 1\ncontract: X\ndeliverables:\n  - id: a\n    include: [a]\n    colour: red\n' >bad2.yaml
expect_exit 65 "$ESCROW" check p -c bad2.yaml
expect_grep "bad2.yaml:6:5: unknown key 'colour'" err

# Missing SRC or contract: 66. Usage errors: 64.
expect_exit 66 "$ESCROW" check no-such-dir -c contract.yaml
expect_grep 'no-such-dir' err
expect_exit 66 "$ESCROW" check p -c no-such.yaml
expect_exit 64 "$ESCROW" check p
expect_exit 64 "$ESCROW" check -c contract.yaml
expect_exit 64 "$ESCROW" check p q -c contract.yaml
expect_exit 64 "$ESCROW" check p -c contract.yaml -c contract.yaml
expect_exit 0 "$ESCROW" check --help && expect_grep '^usage: escrow check' out

# An escaping symlink is refused, naming it (65).
ln -s ../../contract.yaml p/docs/contract-link.yaml
expect_exit 65 "$ESCROW" check p -c contract.yaml
expect_grep 'docs/contract-link.yaml: symlink' err
expect_grep 'skip such links with --skip-symlinks' err
# --skip-symlinks, as pack takes it: the link is skipped with a warning, and
# check judges what pack --skip-symlinks would pack (init takes it too).
expect_exit 0 "$ESCROW" check p -c contract.yaml --skip-symlinks
expect_grep 'docs/contract-link.yaml: skipped: symlink' err
expect_exit 65 "$ESCROW" init p -o init-skip.yaml
expect_exit 0 "$ESCROW" init p -o init-skip.yaml --skip-symlinks -q
expect_exit 0 "$ESCROW" check p -c init-skip.yaml --skip-symlinks -q
rm p/docs/contract-link.yaml init-skip.yaml
# An absolute link is refused even when it points into the project folder:
# extracted elsewhere it would not lead into the deposit. The message says
# that and how to make it relative; it said 'points outside the project
# folder', which such a link does not.
ln -s "$PWD/p/docs/runbook.md" p/docs/abs-link.md
expect_exit 65 "$ESCROW" check p -c contract.yaml
expect_grep "docs/abs-link.md: symlink to '.*/p/docs/runbook.md' is absolute: only a relative link leads into the deposit wherever it is extracted \\(make it relative, e.g. ln -sfr\\)" err
expect_true "not said to point outside" sh -c '! grep -q "points outside" err'
rm p/docs/abs-link.md

# totals: check counted symlinks (to files and to folders) as payload files,
# pack and verify count regular files (the bundle's totals, FORMAT.md): the
# same tree was '3 files' to check and '1 file' to verify. One number now,
# in check, pack --strict's report and verify.
rm -rf t && mkdir -p t/d && printf 'x\n' >t/d/a.csv && ln -s d/a.csv t/l.md && ln -s d t/ld
printf 'escrow-contract: 1\ncontract: TOT-1\ndeliverables:\n  - id: a\n    include: [d/a.csv, nope.txt]\n' >t.yaml
"$ESCROW" keygen -W -q -o tk
totals_of() { python3 -c 'import json; t = json.load(open("out"))["totals"]; print(t["files"], t["bytes"])'; }
expect_exit 2 "$ESCROW" check t -c t.yaml --json
expect_true "check totals: 1 file, 2 bytes ($(totals_of))" test "$(totals_of)" = "1 2"
expect_exit 2 "$ESCROW" check t -c t.yaml --json
python3 -c 'import json; print(json.dumps(json.load(open("out"))["inventory"], sort_keys=True))' >inv.check
expect_exit 2 "$ESCROW" pack t -c t.yaml -o t.escrow -s tk.key --strict --json
expect_true "pack --strict's report totals: 1 file, 2 bytes ($(totals_of))" test "$(totals_of)" = "1 2"
# and its inventory is check's: a link counts with its target's kind (pack
# --strict counted docs/l.md as docs, check and verify as data, like a.csv)
python3 -c 'import json; print(json.dumps(json.load(open("out"))["inventory"], sort_keys=True))' >inv.strict
expect_true "pack --strict's inventory is check's ($(cat inv.strict))" cmp -s inv.check inv.strict
expect_grep '"data": {"bytes": 2, "files": 2}' inv.check
expect_exit 0 "$ESCROW" pack t -c t.yaml -o t.escrow -s tk.key -q
expect_exit 2 "$ESCROW" verify t.escrow -c t.yaml -p tk.pub --json
expect_true "verify totals: 1 file, 2 bytes ($(totals_of))" test "$(totals_of)" = "1 2"
python3 -c 'import json; print(json.dumps(json.load(open("out"))["inventory"], sort_keys=True))' >inv.verify
expect_true "verify's inventory is check's ($(cat inv.verify))" cmp -s inv.check inv.verify

finish
