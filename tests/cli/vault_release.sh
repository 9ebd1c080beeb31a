#!/usr/bin/env bash
# escrow vault release end to end: the latest accepted deposit released on a
# bankruptcy to the client's age recipient, the client opening it with escrow
# and with stock age + zstd + tar, the release record checked by stock
# minisign and sha256sum, the evidence stored by SHA-256 and the release event
# in the ledger; --deposit by number and by SHA-256 prefix; a refused
# (incomplete) deposit never released; an unknown event, contract, missing
# evidence, an existing OUT; a deposit whose stored bytes were altered refused
# with nothing written and nothing recorded.
# With ESCROW_TEST_PG set (tests/pg.sh; ctest cli_vault_release_pg) the ledger
# is a database of that PostgreSQL server instead of SQLite.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
events() { sql V "SELECT count(*) FROM events"; }
sha() { sha256sum "$1" | cut -c1-64; }

vault_keys agency notary
vault_age_keys notary client
CLIENT=$(cat client.age.pub)
vault_projects
vault_contract c1.yaml
pack() { # OUT SRC RELEASE
	vault_pack "$1" "$2" agency.key c1.yaml --release "$3" -r "$(cat notary.age.pub)"
}
pack d1.escrow full 1.0
pack d2.escrow full 1.1
pack d3.escrow part 1.2 # incomplete: no model
printf 'Tribunal de commerce: liquidation judiciaire of Agence, 2026-06-01\n' >order.txt

ledger_args V
expect_exit 0 "$ESCROW" vault init V -s notary.key -i notary.age "${LEDGER[@]}"
expect_exit 0 "$ESCROW" vault contract add V c1.yaml -p agency.pub
expect_exit 0 "$ESCROW" vault receive V d1.escrow
expect_exit 0 "$ESCROW" vault receive V d2.escrow
expect_exit 2 "$ESCROW" vault receive V d3.escrow
N=$(events)

# usage and bad input, nothing written, nothing recorded
expect_exit 0 "$ESCROW" vault release --help
expect_grep '^usage: escrow vault release VAULT CONTRACT_ID --event EVENT --evidence FILE' out
expect_exit 64 "$ESCROW" vault release V C-2026-01 --evidence order.txt -r "$CLIENT" -o out.escrow
expect_grep 'missing --event' err
expect_exit 64 "$ESCROW" vault release V C-2026-01 --event fire --evidence order.txt -r "$CLIENT" -o out.escrow
expect_grep "event 'fire' is not a release event \(give one of bankruptcy, acquisition, end-of-support, other\)" err
expect_exit 66 "$ESCROW" vault release V NO-SUCH --event bankruptcy --evidence order.txt -r "$CLIENT" -o out.escrow
expect_grep 'contract NO-SUCH is not registered' err
expect_exit 66 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence nowhere.pdf -r "$CLIENT" -o out.escrow
expect_grep 'nowhere.pdf: the evidence document cannot be read' err
# evidence that is no document: a folder, a device (66), an empty file (65)
mkdir evdir && : >empty.pdf
expect_exit 66 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence evdir -r "$CLIENT" -o out.escrow
expect_grep 'evdir: the evidence is not a file but a folder' err
expect_exit 66 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence /dev/null -r "$CLIENT" -o out.escrow
expect_grep '/dev/null: the evidence is not a file but a device' err
expect_exit 65 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence empty.pdf -r "$CLIENT" -o out.escrow
expect_grep 'empty.pdf: the evidence document is empty' err
expect_exit 65 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r age1nonsense -o out.escrow
expect_true "nothing written after bad input" test ! -e out.escrow -a ! -e out.escrow.release.json
expect_true "nothing recorded after bad input" test "$(events)" = "$N"
expect_true "no evidence stored after bad input" test -z "$(find V/store -name '*.evidence')"

# the refused deposit is never released
D3=$(sha d3.escrow)
expect_exit 65 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o out.escrow --deposit 3
expect_grep 'deposit 3 of contract C-2026-01 was refused at receive \(verdict incomplete\)' err
expect_exit 65 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o out.escrow --deposit "${D3:0:12}"
expect_exit 66 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o out.escrow --deposit 9
expect_true "nothing written for a refused deposit" test ! -e out.escrow -a "$(events)" = "$N"

# the ledger's rows must say what its log says: a refused deposit turned
# 'verified' by a hand edit of its row, or an agency key slipped into the
# keys table without an event, stop the release before anything is written
DELIV3=$(sql V "SELECT deliverables FROM deposits WHERE id = 3")
sql V "UPDATE deposits SET verdict = 'verified', deliverables = '{}' WHERE id = 3" >/dev/null
expect_exit 1 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o out.escrow --deposit 3
expect_grep "nothing was released: the ledger does not hold what its log says \('escrow vault log --verify' shows it\)" err
expect_grep 'deposit 3 was edited: its verdict differs from its receive event \(event [0-9]*\)' err
expect_exit 1 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o out.escrow
expect_true "nothing written, recorded or stored for an edited ledger" \
	test ! -e out.escrow -a "$(events)" = "$N" -a -z "$(find V/store -name '*.evidence')"
expect_exit 1 "$ESCROW" vault log V --verify
expect_grep 'deposit 3 was edited: its verdict differs from its receive event' err
expect_exit 1 "$ESCROW" vault log V --verify --json
expect_grep '"tampered": ".*deposit 3 was edited' out
sql V "UPDATE deposits SET verdict = 'incomplete', deliverables = '$DELIV3' WHERE id = 3" >/dev/null
expect_exit 0 "$ESCROW" vault log V --verify
ADDED=$(sql V "SELECT added_event FROM agency_keys LIMIT 1")
sql V "INSERT INTO agency_keys (contract_id, key_id, public_key, added_event) VALUES ('C-2026-01', 'FEDCBA9876543210', 'untrusted comment: forged', $ADDED)" >/dev/null
expect_exit 1 "$ESCROW" vault log V --verify
expect_grep "key FEDCBA9876543210 for contract C-2026-01 was inserted or edited: its key_id differs from its registration \(event $ADDED\)" err
expect_exit 1 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o out.escrow
expect_grep 'nothing was released: the ledger does not hold what its log says' err
sql V "DELETE FROM agency_keys WHERE key_id = 'FEDCBA9876543210'" >/dev/null
expect_exit 0 "$ESCROW" vault log V --verify
expect_true "the ledger as it was: nothing recorded" test "$(events)" = "$N"

# the latest accepted deposit (2), on a bankruptcy
expect_exit 0 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o rel.escrow
expect_grep '^released deposit 2 of C-2026-01' out
expect_true "one release event" test "$(events)" = $((N + 1))
expect_true "OUT, OUT.minisig, the record and its signature" \
	test -s rel.escrow -a -s rel.escrow.minisig -a -s rel.escrow.release.json -a -s rel.escrow.release.json.minisig
EV=$(sha order.txt)
expect_true "evidence stored by SHA-256" cmp order.txt "V/store/sha256/${EV:0:2}/$EV.evidence"
if need_tool minisign minisign; then
	expect_exit 0 minisign -Vm rel.escrow.release.json -p notary.pub
	expect_grep "escrow-release/1 event=$((N + 1)) deposit=2 sha256=$(sha rel.escrow)" out
	expect_exit 0 minisign -Vm rel.escrow -p notary.pub
	cp rel.escrow.release.json forged.json && cp rel.escrow.release.json.minisig forged.json.minisig
	sed -i 's/bankruptcy/acquisition/' forged.json
	expect_exit 1 minisign -Vm forged.json -p notary.pub
fi
expect_true "the record: subject, predicate, event, evidence, deposit, recipients" python3 - \
	"$(sha rel.escrow)" "$EV" "$(sha d2.escrow)" "$CLIENT" "$((N + 1))" <<'PY'
import json, sys
out, ev, dep, client, seq = sys.argv[1:]
r = json.load(open("rel.escrow.release.json"))
assert r["_type"] == "https://in-toto.io/Statement/v1"
assert r["subject"] == [{"name": "rel.escrow", "digest": {"sha256": out}}], r["subject"]
assert r["predicateType"] == "urn:escrow:release:1"
p = r["predicate"]
assert p["format"] == "escrow-release/1" and p["event"] == "bankruptcy"
assert p["evidence"] == {"name": "order.txt", "sha256": ev, "size": 67}, p["evidence"]
assert p["deposit"]["id"] == 2 and p["deposit"]["bundle_sha256"] == dep and p["deposit"]["release"] == "1.1"
assert p["deposit"]["contract"]["id"] == "C-2026-01"
assert p["recipients"] == [client]
assert p["ledger_event"]["seq"] == int(seq) and len(p["ledger_event"]["hash"]) == 64
assert p["releasedBy"].startswith("escrow-vault:") and p["timeReleased"] == "2026-01-01T00:00:00Z"
PY
sql V "SELECT kind, body FROM events ORDER BY seq DESC LIMIT 1" >ev.txt
expect_grep "^release\|.*\"event\":\"bankruptcy\"" ev.txt
expect_grep "\"evidence\":\{\"sha256\":\"$EV\"" ev.txt
expect_grep "\"output\":\{\"sha256\":\"$(sha rel.escrow)\"" ev.txt
expect_grep "\"recipients\":\[\"$CLIENT\"\]" ev.txt
expect_grep "\"bundle_sha256\":\"$(sha d2.escrow)\"" ev.txt

# the client opens it: escrow, then stock age + zstd + tar
expect_exit 0 "$ESCROW" extract rel.escrow -C got -p agency.pub -i client.age
expect_true "the client has the project" cmp full/models/m.safetensors got/data/models/m.safetensors
expect_exit 1 "$ESCROW" extract rel.escrow -C got2 -p agency.pub -i notary.age
if need_tool age age && need_tool zstd zstd; then
	age -d -i client.age rel.escrow | zstd -dc | tar -tf - >list.txt
	expect_grep 'data/src/app.py$' list.txt
fi

# an existing OUT is kept; --force replaces it
expect_exit 73 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o rel.escrow
expect_true "nothing recorded for an existing OUT" test "$(events)" = $((N + 1))
touch lone.escrow.release.json
expect_exit 73 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o lone.escrow
expect_grep 'lone.escrow.release.json: already exists' err
expect_true "nothing written or recorded for an existing record" test ! -e lone.escrow -a "$(events)" = $((N + 1))
# never into the vault, even with --force: there OUT would replace the ledger
# or a deposit's stored copy
D1=$(sha d1.escrow)
for o in V/ledger.sqlite "V/store/sha256/${D1:0:2}/$D1.escrow" V/store/../rel.escrow "$PWD/V/receipts/r.escrow"; do
	expect_exit 64 "$ESCROW" vault release V C-2026-01 --event bankruptcy --evidence order.txt -r "$CLIENT" -o "$o" --force
	expect_grep "inside vault V, whose folder holds its ledger and its store; a release is written elsewhere" err
done
expect_exit 0 "$ESCROW" vault log V --verify
expect_true "the stored deposit as it was" test "$(sha "V/store/sha256/${D1:0:2}/$D1.escrow")" = "$D1"
expect_true "nothing recorded for an OUT in the vault" test "$(events)" = $((N + 1)) -a ! -e V/rel.escrow

# --deposit by number and by SHA-256 prefix
D1=$(sha d1.escrow)
expect_exit 0 "$ESCROW" vault release V C-2026-01 --event end-of-support --evidence order.txt -r "$CLIENT" -o rel1.escrow --deposit 1
expect_grep '^released deposit 1 ' out
expect_exit 0 "$ESCROW" vault release V C-2026-01 --event other --evidence order.txt -r "$CLIENT" -o rel1b.escrow --deposit "${D1:0:10}"
expect_grep '"bundle_sha256": "'"$D1"'"' rel1b.escrow.release.json
expect_true "evidence stored once" test "$(find V/store -name '*.evidence' | wc -l)" = 1

# a stored deposit whose bytes were altered: refused, nothing written or recorded
N=$(events)
D2=$(sha d2.escrow)
STORED="V/store/sha256/${D2:0:2}/$D2.escrow"
python3 - "$STORED" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 1
open(p, "wb").write(bytes(b))
PY
printf 'another notice\n' >notice2.txt
expect_exit 1 "$ESCROW" vault release V C-2026-01 --event acquisition --evidence notice2.txt -r "$CLIENT" -o bad.escrow
expect_grep 'nothing was released' err
expect_true "nothing written for an altered deposit" test ! -e bad.escrow -a ! -e bad.escrow.minisig -a ! -e bad.escrow.release.json
expect_true "nothing recorded for an altered deposit" test "$(events)" = "$N"
expect_true "its evidence not kept" test ! -e "V/store/sha256/$(sha notice2.txt | cut -c1-2)/$(sha notice2.txt).evidence"

# the store's evidence is what the releases recorded, not strays: an audit
# names no stray (the altered deposit 2 fails), and never says to remove the
# evidence of release; an evidence file no release names is a stray
expect_exit 1 "$ESCROW" vault audit V --json
expect_true "audit: deposit 2 failed, no stray, the evidence kept" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
assert [f["deposit"] for f in r["failed"]] == [2] and r["strays"] == [], r' out
expect_true "the evidence still stored" cmp order.txt "V/store/sha256/${EV:0:2}/$EV.evidence"
NE=$(sha notice2.txt)
mkdir -p "V/store/sha256/${NE:0:2}" && cp notice2.txt "V/store/sha256/${NE:0:2}/$NE.evidence"
expect_exit 1 "$ESCROW" vault audit V
expect_grep "^STRAY store/sha256/${NE:0:2}/$NE\.evidence: no release names it" out
expect_true "one stray: the evidence no release names" test "$(grep -c '^STRAY' out)" = 1
rm "V/store/sha256/${NE:0:2}/$NE.evidence"
# the releases' evidence is read again by every audit: changed or deleted, it
# fails, naming each release that rests on it; put back, it holds
EVF="V/store/sha256/${EV:0:2}/$EV.evidence"
cp "$EVF" ev.kept
expect_exit 1 "$ESCROW" vault audit V --json
expect_true "audit: every release's evidence checked and holding" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
assert r["evidence_checked"] >= 3 and r["evidence_failed"] == [], r' out
printf 'forged order\n' >"$EVF"
expect_exit 1 "$ESCROW" vault audit V --json
expect_true "audit: the changed evidence fails for every release on it" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
fe = r["evidence_failed"]
assert len(fe) == r["evidence_checked"] >= 3, r
assert all(f["sha256"] == sys.argv[2] and "(its bytes changed)" in f["why"] for f in fe), r' out "$EV"
expect_exit 1 "$ESCROW" vault audit V
expect_grep "^FAILED evidence of release event [0-9]+: store/sha256/${EV:0:2}/$EV\.evidence has SHA-256" out
expect_grep 'release evidence document\(s\)' err
rm "$EVF"
expect_exit 1 "$ESCROW" vault audit V
expect_grep "^FAILED evidence of release event [0-9]+: store/sha256/${EV:0:2}/$EV\.evidence is missing from the store" out
cp ev.kept "$EVF"
expect_exit 1 "$ESCROW" vault audit V --json
expect_true "audit: the evidence put back holds" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert r["evidence_failed"] == [], r' out

# a vault without an identity cannot open a sealed deposit
ledger_args W
expect_exit 0 "$ESCROW" vault init W -s notary.key "${LEDGER[@]}"
expect_exit 0 "$ESCROW" vault contract add W c1.yaml -p agency.pub
"$ESCROW" pack full -o open.escrow -s agency.key -c c1.yaml --release 2.0 -q 2>/dev/null # not sealed
expect_exit 0 "$ESCROW" vault receive W open.escrow
expect_exit 65 "$ESCROW" vault release W C-2026-01 --event other --evidence order.txt -r "$CLIENT" -o w.escrow
expect_grep 'vault W has no age identity' err
expect_true "nothing written without an identity" test ! -e w.escrow
# an unsealed deposit cannot be rewrapped (there is no file key to re-encrypt)
expect_exit 0 "$ESCROW" vault receive V open.escrow
expect_exit 65 "$ESCROW" vault release V C-2026-01 --event other --evidence order.txt -r "$CLIENT" -o w.escrow
expect_grep 'not sealed' err
expect_true "nothing written for an unsealed deposit" test ! -e w.escrow

# the notary's key file replaced by another key: receive, release and log
# --verify refuse it (its receipts and records would name the vault's key and
# not verify with it), naming both keys; the key put back, all is as it was
NK=$(sed -n '1s/.* //p' notary.pub)
mv notary.key notary.key.kept && vault_keys intruder && cp intruder.key notary.key
N=$(events)
pack d4.escrow full 1.3
expect_exit 65 "$ESCROW" vault receive V d4.escrow -o d4.json
expect_grep "the notary key .*notary.key is key [0-9A-F]{16}, not key $NK that the vault was made with" err
expect_true "nothing recorded or receipted with another key" test "$(events)" = "$N" -a ! -e d4.json
expect_exit 65 "$ESCROW" vault release V C-2026-01 --event other --evidence order.txt -r "$CLIENT" -o k.escrow
expect_grep "not key $NK that the vault was made with" err
expect_true "nothing released with another key" test ! -e k.escrow -a "$(events)" = "$N"
expect_exit 65 "$ESCROW" vault log V --verify
expect_grep "not key $NK that the vault was made with" err
mv notary.key.kept notary.key
expect_exit 0 "$ESCROW" vault log V --verify

# W has the same notary key as V: a receipt of V checked against W's log
# fails (its head is not there), and the message says W holds no deposit of
# its bundle, so it may be V's receipt rather than W's log rewritten
expect_exit 1 "$ESCROW" vault log W --against "V/receipts/$D1.json"
expect_grep "event 3 is not the one the known head names: the log was rewritten up to it; and vault W holds no deposit of its bundle ${D1:0:16}\.\.\.: if the receipt is of another vault made with the same notary key, check it against that vault" err
expect_exit 0 "$ESCROW" vault log V --against "V/receipts/$D1.json"
finish
