#!/usr/bin/env bash
# A file of 8 GiB and more (LLM checkpoints are 100 GB): its size goes in a
# pax record, and the ustar field under it holds what libarchive writes there
# (twelve octal digits without a terminator up to 64 GiB). pack, verify and
# list take it and stock tar reads its size (unit_tar_watch: the forms above
# 64 GiB, and a changed byte in that field refused). A sparse file: nothing
# large on disk, and the bundle is small.
. "$(dirname "$0")/lib.sh"
mkdir p
echo 'print("hi")' >p/main.py
truncate -s 8589934593 p/weights.bin # 8 GiB + 1
expect_exit 0 "$ESCROW" keygen -W -q -o k
expect_exit 0 "$ESCROW" pack p -o b.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify b.escrow -p k.pub
expect_grep '^verdict: verified' out
expect_exit 0 "$ESCROW" list b.escrow -p k.pub --json
expect_true "list gives the size" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert [f["size"] for f in r["files"] if f["path"] == "weights.bin"] == [8589934593]
' out
expect_exit 0 sh -c 'zstd -dc b.escrow | tar -tv'
expect_grep ' 8589934593 .*/data/weights\.bin$' out
finish
