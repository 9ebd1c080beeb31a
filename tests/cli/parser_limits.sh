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
finish
