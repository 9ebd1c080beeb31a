#!/usr/bin/env bash
# source_date_epoch.sh -- SOURCE_DATE_EPOCH past the last date a bundle can
# hold (9999-12-31T23:59:59Z, 253402300799). pack took any number: with
# 253402300800 it wrote a bundle that verify called tampered ("created is not
# YYYY-MM-DDTHH:MM:SSZ"), with larger ones "bagit.txt's time in the tar is not
# the deposit's created time" or "malformed or repeated pax mtime"; and vault
# receive wrote a receipt, signed, whose timeVerified was bytes of the stack
# (gmtime_r failed and the time was formatted from an uninitialised struct
# tm). Now pack (and rewrap, for its release time) refuse such a value (exit 64, naming
# it), and the vault's receipts and release records, which ignore a malformed
# SOURCE_DATE_EPOCH, ignore this one too.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"

vault_keys agency notary
vault_contract c1.yaml code
mkdir -p p/src && echo 'print("hi")' >p/src/app.py

for e in 253402300800 99999999999999999 9223372036854775807; do
	SOURCE_DATE_EPOCH=$e expect_exit 64 "$ESCROW" pack p -o "b$e.escrow" -s agency.key -c c1.yaml -q
	expect_grep "^escrow: error: SOURCE_DATE_EPOCH=$e: after 9999-12-31T23:59:59Z \(253402300799\)" "$T/err"
	expect_true "no bundle for SOURCE_DATE_EPOCH=$e" test ! -e "b$e.escrow"
done
# the last second of year 9999 packs, and verifies
SOURCE_DATE_EPOCH=253402300799 expect_exit 0 "$ESCROW" pack p -o last.escrow -s agency.key -c c1.yaml -q
expect_exit 0 "$ESCROW" verify last.escrow -p agency.pub --json
expect_grep '"created": "9999-12-31T23:59:59Z"' "$T/out"

# the vault's receipt: a date, whatever SOURCE_DATE_EPOCH says
vault_new V vsde
SOURCE_DATE_EPOCH=99999999999999999 expect_exit 0 "$ESCROW" vault receive V last.escrow -o r.json -q
expect_true "the receipt's timeVerified is a date" python3 -c '
import json, re, sys
t = json.load(open(sys.argv[1]))["predicate"]["timeVerified"]
sys.exit(0 if re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z", t) else "timeVerified %r" % t)' r.json
expect_exit 0 "$ESCROW" receipt verify r.json -p notary.pub --bundle last.escrow

finish
