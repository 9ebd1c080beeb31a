#!/usr/bin/env bash
# pack_tty.sh -- pack -o - refuses to write a bundle to a terminal, as zstd
# and gzip refuse: where the tree's bytes do not compress, zstd stores them as
# they are, so a file in the deposit (random bytes around an OSC 52 clipboard
# write, say) reached the terminal raw. Standard output that is a pipe or a
# file still gets the bundle. The terminal is a pseudo-terminal from script(1).
. "$(dirname "$0")/lib.sh"

need_tool script bsdutils || { finish; exit; }
expect_exit 0 "$ESCROW" keygen -W -q -o k
mkdir -p src
OSC=$'\e]52;c;aGVsbG8=\a'
python3 - "$OSC" <<'PY'
import os, sys
# incompressible bytes around the sequence: zstd keeps the block raw
with open("src/blob.bin", "wb") as f:
    f.write(os.urandom(40000) + sys.argv[1].encode() + os.urandom(40000))
PY

# script -e: its exit code is the command's; all the terminal saw goes to tty.out
expect_exit 64 script -qec "'$ESCROW' pack src -o - -s k.key" /dev/null
cp "$T/out" tty.out
expect_grep 'will not write a bundle to a terminal' tty.out
expect_true "no byte of the bundle reached the terminal" \
	python3 -c 'import sys; d = open("tty.out", "rb").read(); sys.exit(b"\x1b]52;" in d or b"\x28\xb5\x2f\xfd" in d)'

# a pipe and a file still get the bundle, which verifies
expect_true "pack -o - into a pipe" sh -c "'$ESCROW' pack src -o - -s k.key -q | cat >piped.escrow"
expect_exit 0 "$ESCROW" verify piped.escrow -p k.pub -q
expect_exit 0 "$ESCROW" pack src -o - -s k.key -q
expect_true "pack -o - into a file wrote the bundle" test -s "$T/out"

finish
