#!/usr/bin/env bash
# Damaged copies of real torch.save files (tests/fixtures/real) that
# torch.load refuses must not pass `format: pytorch`: one byte inverted where
# the pickle reads a memo index never set ("Memo value not found"), inside a
# BINUNICODE string (UnicodeDecodeError), in the zip version record
# ("Couldn't parse the version"), or in a member name of the central
# directory (torch lists names as Python str), in the zip end records miniz
# reads, or in a tensor's offset, size or stride, or a storage's numel
# (past its storage: torch cannot set the tensor on it). Offsets and torch's own
# errors were found with tests/fixtures/real/differential.py (by hand, torch
# 1.13 from Debian); the untouched files must still pass.
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}
REAL=$SRC/tests/fixtures/real
need_tool python3 python3

mkdir -p p
# name fixture offset what-torch-says
cases='
memo-zip torch_linear_zip.pt 92 Memo value not found
memo-zip2 torch_dict_zip.pth 116 Memo value not found
memo-legacy torch_linear_legacy.pt 165 Memo value not found
utf8-zip torch_linear_zip.pt 103 UnicodeDecodeError in a pickle string
utf8-legacy torch_linear_legacy.pt 32 UnicodeDecodeError in a pickle string
version-zip torch_linear_zip.pt 704 version record not a number
cdname-zip torch_linear_zip.pt 856 central directory name not UTF-8
cdname-zip2 torch_dict_zip.pth 788 central directory name not UTF-8
cdsize-z64 torch_linear_zip.pt 1046 zip64 end record: unsupported central directory size
cdoff-z64 torch_linear_zip.pt 1051 zip64 end record: central directory offset out of bounds
disks-loc64 torch_linear_zip.pt 1074 zip64 locator: unsupported multidisk archive
resize-size torch_linear_zip.pt 211 tensor size 253 past its storage: storage not resizable
resize-stride torch_dict_zip.pth 190 tensor stride past its storage: storage not resizable
bytesize-numel torch_linear_legacy.pt 284 persistent id numel 249, the file holds 6: wrong byte size
bytesize-offset torch_dict_legacy.pth 254 tensor offset past its storage: wrong byte size
cdmethod-zip torch_linear_zip.pt 803 data/0 method 255 in the central directory: unsupported method
proto-legacy torch_linear_legacy.pt 18 Invalid protocol version: 790
dirattr-pkl torch_linear_zip.pt 760 data.pkl marked as a folder: invalid load key
dirattr-ver torch_linear_zip.pt 969 version marked as a folder: empty RuntimeError
verxlen-zip torch_linear_zip.pt 628 version local extra length moved: version a/ not a number
'
# damaged copies torch.load still reads (miniz ignores these bytes): they pass
loads='
z64sig-loads torch_linear_zip.pt 1001 zip64 end record signature (miniz then reads the end record)
eocdcount-loads torch_linear_zip.pt 1085 end record count (ignored once the zip64 record is taken)
comment-loads torch_linear_zip.pt 1098 end record comment length
lname-loads torch_linear_zip.pt 40 a byte of the data.pkl local header name (miniz reads only its length)
lmethod-loads torch_linear_zip.pt 378 data/0 local header method 255 (miniz reads the central directory one)
lnamelen-loads torch_linear_zip.pt 396 data/0 local name length: its name runs into NUL bytes
'
contract='escrow-contract: 1
contract: TORCH-DAMAGED
agency: Fixture Agency
deliverables:'
while read -r name fx off _; do
	[ -n "$name" ] || continue
	ext=${fx##*.}
	python3 - "$REAL/$fx" "p/$name.$ext" "$off" <<'PY'
import sys
data = bytearray(open(sys.argv[1], "rb").read())
data[int(sys.argv[3])] ^= 0xFF
open(sys.argv[2], "wb").write(data)
PY
	contract="$contract
  - id: $name
    kind: model
    include: [\"$name.$ext\"]
    format: pytorch"
done <<<"$cases$loads"
for fx in torch_linear_zip.pt torch_dict_zip.pth torch_linear_legacy.pt torch_kernel_zip.pt; do
	cp "$REAL/$fx" "p/good_$fx"
	contract="$contract
  - id: good-$(echo ${fx%%.*} | tr _ -)
    kind: model
    include: [\"good_$fx\"]
    format: pytorch"
done
printf '%s\n' "$contract" >c.yaml

expect_exit 2 "$ESCROW" check p -c c.yaml --json
python3 - "$T/out" <<'PY' >statuses
import json, sys
for d in json.load(open(sys.argv[1]))["deliverables"]:
    print(d["id"], d["status"], d.get("reason", "").replace("\n", " "))
PY
cat statuses
while read -r name _; do
	[ -n "$name" ] || continue
	expect_true "$name: refused" sh -c "grep -E '^$name ' statuses | grep -vqE '^$name (met|ok|complete) '"
done <<<"$cases"
while read -r name _; do
	[ -n "$name" ] || continue
	expect_true "$name: passes" sh -c "grep -E '^$name ' statuses | grep -qE '^$name (met|ok|complete) '"
done <<<"$loads"
for g in good-torch-linear-zip good-torch-dict-zip good-torch-linear-legacy good-torch-kernel-zip; do
	expect_true "$g: passes" sh -c "grep -E '^$g ' statuses | grep -qE '^$g (met|ok|complete) '"
done
expect_grep '^memo-zip .*memo index [0-9]+ read before it was set' statuses
expect_grep '^utf8-zip .*not UTF-8' statuses
expect_grep '^version-zip .*version holds' statuses
expect_grep '^cdname-zip .*member name is not UTF-8' statuses
expect_grep '^cdsize-z64 .*unsupported central directory size' statuses
expect_grep '^disks-loc64 .*multidisk' statuses
expect_grep '^resize-size .*a tensor reaches element [0-9]+ of a storage of 6' statuses
expect_grep '^bytesize-numel .*holds 6 elements, its persistent id says 249' statuses
expect_grep '^dirattr-pkl .*marked as a folder' statuses
expect_grep '^proto-legacy .*protocol version 790' statuses
expect_grep '^cdmethod-zip .*compression method 255' statuses
expect_grep '^verxlen-zip .*version holds' statuses
finish
