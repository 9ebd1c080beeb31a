#!/usr/bin/env bash
# Without --name (and no contract), the deposit is named after the source
# folder. That name was taken as it was: a folder whose name is not UTF-8
# gave a signed bundle whose manifest.json jansson refuses, so verify,
# extract and list called pack's own bundle tampered ("malformed JSON"); one
# with an escape or a bidi control put it raw into the trusted comment that
# 'minisign -V' prints. The folder's name now obeys --name's rule (1 to 200
# bytes of UTF-8 without control characters); else pack refuses, naming the
# folder and --name, with exit 64 and no bundle.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -q -o k
n() { python3 -c "import sys; print(sys.argv[1] * int(sys.argv[2]))" "$1" "$2"; }
bad=$(printf 'bad\377')
ctl=$(printf 'a\033[31mb\342\200\256c')
for d in "$bad" "$ctl" "$(n z 201)"; do
	mkdir "$d"
	echo hi >"$d/f.txt"
	expect_exit 64 "$ESCROW" pack "$d" -o b.escrow -s k.key -q && expect_grep "the folder's name cannot name the deposit.*--name" err
	expect_true "no bundle left for a refused name" test ! -e b.escrow
done
expect_exit 64 "$ESCROW" pack "$bad" -o b.escrow -s k.key -q && expect_grep 'bad\\xff: the folder' err
# With --name the same folder packs, and the bundle verifies.
expect_exit 0 "$ESCROW" pack "$bad" -o b.escrow -s k.key -q --name ok
expect_exit 0 "$ESCROW" verify b.escrow -p k.pub && expect_grep '^verdict: verified' out
# A folder name of exactly 200 bytes is still the default name.
mkdir "$(n y 200)" && echo hi >"$(n y 200)/f.txt"
expect_exit 0 "$ESCROW" pack "$(n y 200)" -o c.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify c.escrow -p k.pub && expect_grep "^name: +$(n y 200), release unreleased" out
expect_grep '1 file intact,' out # one file: no plural
expect_exit 0 "$ESCROW" pack "$(n y 200)" -o d.escrow -s k.key
expect_grep '^packed 1 file, ' out # pack's summary too (it said '1 files')
mkdir two && echo a >two/a && echo b >two/b
expect_exit 0 "$ESCROW" pack two -o e.escrow -s k.key && expect_grep '^packed 2 files, ' out
finish
