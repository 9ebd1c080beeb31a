#!/usr/bin/env bash
# vault receive names the bundle's file in the receipt's subject: a file name
# that is not UTF-8 (Latin-1 from an old file server) or holds a bidi control
# still earns its receipt, signed, with the name as JSON can hold it (U+FFFD
# for each byte that is not UTF-8; controls as \u escapes, never raw). Before,
# such a name ended the receive with "out of memory" (70) after the deposit
# was recorded, and no receipt was written. The release record likewise (the
# evidence's and the release file's names).
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"

vault_keys agency notary
vault_contract c1.yaml code
mkdir -p p/src && echo 'print("hi")' >p/src/app.py
vault_pack b.escrow p agency.key c1.yaml
vault_new V vnames
latin=$(printf 'd\351p\364t.escrow')    # "dépôt" in Latin-1
rlo=$(printf 'rtl\342\200\256gpj.escrow') # U+202E RIGHT-TO-LEFT OVERRIDE
cp b.escrow "$latin"
expect_exit 0 "$ESCROW" vault receive V "$latin" -o latin.json
expect_true "the receipt names the file, each byte not UTF-8 as U+FFFD" \
	/usr/bin/python3 -c 'import json,sys; n=json.load(open("latin.json"))["subject"][0]["name"]; sys.exit(n != "d\ufffdp\ufffdt.escrow")'
vault_pack b2.escrow p agency.key c1.yaml --release 2
cp b2.escrow "$rlo"
expect_exit 0 "$ESCROW" vault receive V "$rlo" -o rlo.json
expect_true "the bidi control is escaped in the receipt" sh -c "test -s rlo.json && ! grep -q \"\$(printf '\\342\\200\\256')\" rlo.json"
expect_true "and reads back as itself" \
	/usr/bin/python3 -c 'import json,sys; n=json.load(open("rlo.json"))["subject"][0]["name"]; sys.exit(n != "rtl\u202egpj.escrow")'
if need_tool minisign minisign; then
	expect_exit 0 minisign -Vm latin.json -p notary.pub
	expect_exit 0 minisign -Vm rlo.json -p notary.pub
fi
expect_exit 0 "$ESCROW" receipt verify latin.json -p notary.pub --bundle "$latin"

# A vault whose own path is not UTF-8: when the previous deposit's copy and records
# cannot be read to compare with, the receipt says why (the path as JSON
# holds it) rather than the receive ending in "out of memory" (70).
lv=$(printf 'vo\373te')
vault_new "$lv" vnames2
expect_exit 0 "$ESCROW" vault receive "$lv" b.escrow -o d1.json
rm -f "$lv"/store/sha256/*/*.escrow "$lv"/records/*.jsonl.zst
expect_exit 0 "$ESCROW" vault receive "$lv" b2.escrow -o d2.json
expect_true "the receipt says the comparison failed" /usr/bin/python3 -c '
import json, sys
d = json.load(open("d2.json"))["predicate"]["escrow"]["diff"]
sys.exit(d["compared"] is not False or "vo\ufffdte" not in d["failed"])'

# The release record names the evidence and the release file the same way.
vault_age_keys notary client
vault_pack s.escrow p agency.key c1.yaml --release 3 -r "$(cat notary.age.pub)"
ledger_args W
"$ESCROW" vault init W -s notary.key -i notary.age "${LEDGER[@]}" -q
"$ESCROW" vault contract add W c1.yaml -p agency.pub -q
expect_exit 0 "$ESCROW" vault receive W s.escrow
printf 'ordonnance\n' >"$(printf 'ordonnance-\351.txt')"
expect_exit 0 "$ESCROW" vault release W C-2026-01 --event bankruptcy --evidence "$(printf 'ordonnance-\351.txt')" \
	-r "$(cat client.age.pub)" -o "$rlo.out"
expect_true "the release record names both files, as JSON holds them" /usr/bin/python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
sys.exit(r["subject"][0]["name"] != "rtl\u202egpj.escrow.out" or
         r["predicate"]["evidence"]["name"] != "ordonnance-\ufffd.txt")' "$rlo.out.release.json"
expect_true "no raw bidi control in it" sh -c "test -s '$rlo.out.release.json' && ! grep -q \"\$(printf '\\342\\200\\256')\" '$rlo.out.release.json'"
finish
