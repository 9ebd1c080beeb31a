#!/usr/bin/env bash
# extract --deliverable without -c: the contract copy inside an unsealed
# bundle chooses the files, and stderr says so; a sealed bundle, a bundle
# packed without a contract, or standard input need -c.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -o agency -q
expect_exit 0 "$ESCROW" keygen --age -o notary -q
mkdir -p p/models p/src p/docs
make_safetensors p/models/net.safetensors
printf 'print(1)\n' >p/src/main.py
printf '# Runbook\n' >p/docs/runbook.md
cat >contract.yaml <<'EOF2'
escrow-contract: 1
contract: COPY-TEST-1
deliverables:
  - id: weights
    kind: model
    include: ["models/*.safetensors"]
    format: safetensors
  - id: source
    kind: code
    include: ["src/**"]
EOF2
expect_exit 0 "$ESCROW" pack p -o b.escrow -s agency.key -c contract.yaml -q
expect_exit 0 "$ESCROW" extract b.escrow -C x1 -p agency.pub --deliverable weights --json
expect_grep "no -c CONTRACT: the deliverables are those of the contract copy inside b.escrow \(COPY-TEST-1\)" "$T/err"
expect_true "only the deliverable's file" test "$(cd x1 && find . -type f | sort)" = "./models/net.safetensors"
expect_grep '"verdict": "verified"' "$T/out"
# Unknown id: named with the copy's list.
expect_exit 64 "$ESCROW" extract b.escrow -C x2 -p agency.pub --deliverable nope
expect_grep "unknown deliverable 'nope' \(b.escrow:escrow/contract.yaml lists: weights, source\)" "$T/err"
expect_true "nothing extracted" test ! -e x2
# Sealed: the copy cannot be read without opening it.
expect_exit 0 "$ESCROW" pack p -o s.escrow -s agency.key -c contract.yaml -R notary.age.pub -q
expect_exit 64 "$ESCROW" extract s.escrow -C x3 -p agency.pub -i notary.age --deliverable weights
expect_grep "give the contract with -c" "$T/err"
expect_exit 0 "$ESCROW" extract s.escrow -C x3 -p agency.pub -i notary.age --deliverable weights -c contract.yaml -q
expect_true "with -c, a sealed bundle's deliverable" test -f x3/models/net.safetensors
# Packed without a contract; standard input.
expect_exit 0 "$ESCROW" pack p -o n.escrow -s agency.key -q
expect_exit 64 "$ESCROW" extract n.escrow -C x4 -p agency.pub --deliverable weights
expect_exit 64 sh -c "'$ESCROW' extract - -C x5 -p agency.pub --deliverable weights <b.escrow"
expect_grep "needs -c CONTRACT" "$T/err"
# A last frame with a window the reader refuses (2^27 bytes, zstd --long=27)
# gives no contract copy either: the peek takes no more than the reader does.
at=$(python3 - b.escrow <<'EOF2'
import struct, sys
d = open(sys.argv[1], 'rb').read()
off, last = 0, None
while off < len(d):  # the frames' and blocks' headers, as bundle_peek.c walks them
    fhd = d[off + 4]
    fcs, single = fhd >> 6, (fhd >> 5) & 1
    p = off + 5 + (0 if single else 1) + [0, 1, 2, 4][fhd & 3] + (single if fcs == 0 else 1 << fcs)
    while True:
        bh = d[p] | d[p + 1] << 8 | d[p + 2] << 16
        p += 3 + (1 if (bh >> 1) & 3 == 1 else bh >> 3)
        if bh & 1:
            break
    last, off = off, p + (4 if fhd & 4 else 0)
print(last)
EOF2
)
head -c "$at" b.escrow >w.escrow
tail -c +"$((at + 1))" b.escrow | zstd -dc | cat | zstd -q --long=27 -c >>w.escrow
expect_exit 1 "$ESCROW" verify w.escrow -p agency.pub -c contract.yaml
expect_exit 64 "$ESCROW" extract w.escrow -C x6 -p agency.pub --deliverable weights
expect_grep "give the contract with -c" "$T/err"
expect_true "nothing extracted" test ! -e x6
# A FIFO without a writer: no copy to peek at, and no wait for a writer
# (timeout only guards against the hang; 124 is its exit).
mkfifo fifo.escrow
expect_exit 64 timeout 60 "$ESCROW" extract fifo.escrow -C x7 -p agency.pub --deliverable weights
expect_grep "give the contract with -c" "$T/err"

finish
