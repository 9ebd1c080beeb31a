#!/usr/bin/env bash
# Format checks agree with the real loaders: every file of tests/fixtures/real
# (written by numpy, h5py, PyTables, scipy, ONNX, torch, PyYAML, ...) passes
# escrow check, and each corrupted copy (cut in half, first 32 bytes zeroed,
# last 8 bytes inverted) is refused whenever its real loader refuses it.
# The loaders' verdicts were recorded by tests/fixtures/real/make.py.
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}

checks=$((checks + 1))
if ! python3 "$SRC/tests/fixtures/real/run_check.py" "$ESCROW" "$T" >"$T/log" 2>&1; then
	fails=$((fails + 1))
fi
cat "$T/log"
expect_grep '^[0-9]+ cases \(3[0-9] fixtures' "$T/log"
finish
