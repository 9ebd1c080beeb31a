#!/usr/bin/env bash
# Parsers at their limits, memory bounded by the kernel (ulimit -v), never
# by timing: a 16 MiB safetensors header (the most escrow reads) of millions
# of empty objects is checked within 256 MiB of address space (the JSON
# document tree took 1.29 GB), and one nested as deep as its bytes allow is
# refused with the reason.
. "$(dirname "$0")/lib.sh"

mkdir -p wide deep
python3 - <<'PY'
import struct
N = 16 << 20
head = b'{"t":{"dtype":"U8","shape":[4],"data_offsets":[0,4],"x":['
body = b",".join([b"{}"] * ((N - len(head) - 2) // 3))
h = head + body + b"]}}"
h += b" " * (N - len(h))
assert len(h) == N
open("wide/m.safetensors", "wb").write(struct.pack("<Q", N) + h + b"\1\2\3\4")
k = (N - 2) // 6
h = b'{"a":' * k + b"{}" + b"}" * k
open("deep/m.safetensors", "wb").write(struct.pack("<Q", len(h)) + h)
PY
cat >contract.yaml <<'EOF2'
escrow-contract: 1
contract: LIMITS-1
deliverables:
  - id: model
    include: [m.safetensors]
    format: safetensors
EOF2
# A sanitizer build reserves terabytes of shadow memory: no ulimit -v there
# (the answers are still checked).
limit='ulimit -v 262144 &&'
if grep -qa __asan_init "$ESCROW_BIN"; then
	limit=''
	echo "note: sanitizer build, address space not limited" >&2
fi
expect_exit 0 bash -c "$limit"' exec "$0" check wide -c contract.yaml' "$ESCROW"
expect_grep '^  ok +model ' out
expect_exit 2 bash -c "$limit"' exec "$0" check deep -c contract.yaml' "$ESCROW"
expect_grep 'bad-format +model .*nested deeper than 64 levels' out
# A list over its bound (10,000 globs, 10,000 deliverables) is one error,
# and the rest of the file is read as it is: stopping inside the list made
# every later line an error of its own ("keys must be plain words" at 1:1).
python3 -c '
print("escrow-contract: 1\ncontract: X\ndeliverables:\n  - id: a\n    include:")
for i in range(10002): print("      - \"f%d\"" % i)
print("    kind: docs\n  - id: b\n    include: [x]\nforbid: []")' >globs.yaml
python3 -c '
print("escrow-contract: 1\ncontract: X\ndeliverables:")
for i in range(10003): print("  - id: a%d\n    include: [x]" % i)
print("forbid: []")' >dlvs.yaml
mkdir -p lim && printf 'x\n' >lim/x
expect_exit 65 "$ESCROW" check lim -c globs.yaml
expect_grep "^escrow: error: globs.yaml:10006:9: 'include' has more than 10000 globs$" "$T/err"
expect_true "one error for the globs" test "$(wc -l <"$T/err")" -eq 1
expect_exit 65 "$ESCROW" check lim -c dlvs.yaml
expect_grep '^escrow: error: dlvs.yaml:20004:5: more than 10000 deliverables$' "$T/err"
expect_true "one error for the deliverables" test "$(wc -l <"$T/err")" -eq 1

finish
