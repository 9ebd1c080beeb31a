#!/usr/bin/env bash
# pack --strict and --fail-on-warning: a deposit the contract refuses leaves
# nothing behind and exits as check would; an accepted one is the very bundle
# pack makes without the flag.
. "$(dirname "$0")/lib.sh"

export SOURCE_DATE_EPOCH=1767225600
"$ESCROW" keygen -o agency -W -q || exit 1
"$ESCROW" keygen -o notary --age -q || exit 1

mkdir -p p/src p/models
printf 'print("score")\n' >p/src/main.py
make_safetensors p/models/classifier.safetensors
cat >contract.yaml <<'YAML'
escrow-contract: 1
contract: STRICT-1
agency: Agence Exemple SAS
deliverables:
  - id: source
    kind: code
    include: ["src/**"]
  - id: classifier
    kind: model
    include: ["models/classifier.safetensors"]
    format: safetensors
  - id: runbook
    kind: docs
    include: [docs/runbook.md]
YAML
mkdir dest
empty_out() { [ -z "$(ls -A dest)" ]; }

# Incomplete (the runbook is missing): exit 2, check's report on stdout, the
# reason on stderr, nothing in the output folder (no bundle, no temporary).
expect_exit 2 "$ESCROW" pack p -o dest/b.escrow -s agency.key -c contract.yaml --strict
expect_grep "^  missing +runbook " out
expect_grep "^verdict: incomplete -- deliverable 'runbook' is missing" out
expect_grep "pack --strict: the deposit does not meet contract STRICT-1 .*no bundle written" err
expect_true "nothing left in dest/ (incomplete)" empty_out
# The same verdict and exit as check's, from the same tree.
expect_exit 2 "$ESCROW" check p -c contract.yaml
# Sealed: no .minisig either.
expect_exit 2 "$ESCROW" pack p -o dest/b.escrow -s agency.key -c contract.yaml --strict -R notary.age.pub
expect_true "nothing left in dest/ (sealed, incomplete)" empty_out
# --json: check's JSON report, its verdict incomplete.
expect_exit 2 "$ESCROW" pack p -o dest/b.escrow -s agency.key -c contract.yaml --strict --json
expect_true "JSON report says incomplete" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["command"] == "check" and r["verdict"] == "incomplete", r
assert [d["status"] for d in r["deliverables"] if d["id"] == "runbook"] == ["missing"]' "$T/out"
expect_true "nothing left in dest/ (json)" empty_out
# Without --strict the same tree packs (a warning only), as before.
expect_exit 0 "$ESCROW" pack p -o dest/loose.escrow -s agency.key -c contract.yaml -q
rm -f dest/*

# Standard output cannot be taken back: a usage error before anything.
expect_exit 64 "$ESCROW" pack p -o - -s agency.key -c contract.yaml --strict
expect_grep "cannot write to standard output" err
expect_exit 64 "$ESCROW" pack p -o - -s agency.key -c contract.yaml --fail-on-warning

# Complete: the bundle is byte for byte the one made without --strict.
mkdir -p p/docs
printf '# Runbook\n' >p/docs/runbook.md
expect_exit 0 "$ESCROW" pack p -o dest/strict.escrow -s agency.key -c contract.yaml --strict
expect_exit 0 "$ESCROW" pack p -o dest/plain.escrow -s agency.key -c contract.yaml
expect_true "same bytes with and without --strict" cmp dest/strict.escrow dest/plain.escrow
expect_exit 0 "$ESCROW" verify dest/strict.escrow -p agency.pub -c contract.yaml
rm -f dest/*

# Unsafe: a pickle that runs code, outside the deliverables: exit 1.
python3 -c '
import sys
# protocol 2: GLOBAL os system, a string, TUPLE1, REDUCE
sys.stdout.buffer.write(b"\x80\x02cos\nsystem\nX\x04\x00\x00\x00trueq\x00\x85q\x01Rq\x02.")' >p/helper.pkl
expect_exit 1 "$ESCROW" pack p -o dest/b.escrow -s agency.key -c contract.yaml --strict
expect_grep "^verdict: unsafe -- 1 file is unsafe" out
expect_grep "no bundle written" err
expect_true "nothing left in dest/ (unsafe)" empty_out
# Unsafe without a contract too.
expect_exit 1 "$ESCROW" pack p -o dest/b.escrow -s agency.key --strict
expect_true "nothing left in dest/ (unsafe, no contract)" empty_out
rm p/helper.pkl

# Warnings: a possible secret. --strict packs (exit 0), --fail-on-warning
# refuses (exit 2) and says why.
printf 'AWS_ACCESS_KEY_ID=AKIAQ7ZKW2MNX4P3T9RB\n' >p/src/settings.py
expect_exit 0 "$ESCROW" pack p -o dest/b.escrow -s agency.key -c contract.yaml --strict
rm -f dest/*
expect_exit 2 "$ESCROW" pack p -o dest/b.escrow -s agency.key -c contract.yaml --fail-on-warning
expect_grep "possible secret" out
expect_grep "^verdict: incomplete -- 1 warning, and --fail-on-warning refuses any" out
expect_true "nothing left in dest/ (warning)" empty_out
rm p/src/settings.py
# A Git LFS pointer instead of a file is a warning too.
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 12345\n' 0 >p/weights.bin
expect_exit 2 "$ESCROW" pack p -o dest/b.escrow -s agency.key -c contract.yaml --fail-on-warning
expect_grep "Git LFS pointer" out
expect_true "nothing left in dest/ (LFS pointer)" empty_out
rm p/weights.bin
# Clean again: --fail-on-warning packs the same bytes as a plain pack.
expect_exit 0 "$ESCROW" pack p -o dest/fow.escrow -s agency.key -c contract.yaml --fail-on-warning
expect_exit 0 "$ESCROW" pack p -o dest/plain.escrow -s agency.key -c contract.yaml
expect_true "same bytes with --fail-on-warning" cmp dest/fow.escrow dest/plain.escrow

# A deliverable that is a symbolic link is judged by its target, as check
# judges it: accepted, the same bytes as without --strict.
rm -f dest/*
mkdir -p p/real
mv p/models/classifier.safetensors p/real/classifier.safetensors
ln -s ../real/classifier.safetensors p/models/classifier.safetensors
expect_exit 0 "$ESCROW" check p -c contract.yaml
expect_exit 0 "$ESCROW" pack p -o dest/link-strict.escrow -s agency.key -c contract.yaml --strict
expect_exit 0 "$ESCROW" pack p -o dest/link-plain.escrow -s agency.key -c contract.yaml
expect_true "same bytes with a linked deliverable" cmp dest/link-strict.escrow dest/link-plain.escrow

finish
