#!/usr/bin/env bash
# escrow vault and escrow receipt end to end: init, contract add/amend, key
# add/revoke, receive (verified, incomplete, unknown contract, unregistered and
# revoked keys, sealed, a duplicate), list, show, receipts checked by stock
# minisign, by 'escrow receipt verify' and by python (in-toto Statement v1 +
# SLSA VSA v1 fields), a ledger of a newer schema, 10 concurrent receives and
# the hash chain recomputed outside escrow.
# With ESCROW_TEST_PG set (tests/pg.sh; ctest cli_vault_pg) every vault's
# ledger is a database of that PostgreSQL server instead of SQLite.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
# chain_ok VAULT: every event's hash is SHA-256(previous hash || body), in
# order from 1 with no gap, computed here with python's hashlib.
chain_ok() {
	sql "$1" "SELECT seq, prev_hash, hash, body FROM events ORDER BY seq" >"$T/chain.txt"
	python3 - "$T/chain.txt" <<'PY'
import hashlib, sys
prev, n = "0" * 64, 0
for line in open(sys.argv[1], encoding="utf-8"):
    seq, p, h, body = line.rstrip("\n").split("|", 3)
    n += 1
    assert int(seq) == n, f"event {seq}: expected {n}"
    assert p == prev, f"event {seq}: prev_hash does not link"
    assert hashlib.sha256(bytes.fromhex(p) + body.encode()).hexdigest() == h, f"event {seq}: hash"
    prev = h
assert n > 0
PY
}
count() { sql "$1" "SELECT count(*) FROM deposits"; }

# Keys, a contract, projects.
vault_keys agency agency2 notary
vault_age_keys notary
NOTARY_ID=$(sed -n 2p notary.pub | base64 -d | od -An -tx1 -j2 -N8 | tr -d ' \n' |
	python3 -c 'import sys; print(bytes.fromhex(sys.stdin.read())[::-1].hex().upper())')
vault_projects
vault_contract c1.yaml
sed 's/^client: Client$/client: Client SA/' c1.yaml >c1v2.yaml
sed 's/C-2026-01/C-OTHER/' c1.yaml >other.yaml
vault_pack full.escrow full agency.key c1.yaml --release 1.0
vault_pack part.escrow part agency.key c1.yaml --release 1.1
vault_pack other.escrow full agency.key other.yaml
vault_pack by2.escrow full agency2.key c1.yaml --release 2.0
vault_pack by2b.escrow full agency2.key c1.yaml --release 2.1
vault_pack sealed.escrow full agency.key c1.yaml --release 3.0 -r "$(cat notary.age.pub)"

# usage
expect_exit 64 "$ESCROW" vault
expect_exit 64 "$ESCROW" vault frobnicate V
expect_grep "unknown vault subcommand 'frobnicate V'" err
expect_exit 0 "$ESCROW" vault receive --help
expect_grep '^usage: escrow vault receive VAULT BUNDLE' out
expect_exit 64 "$ESCROW" vault receive V
expect_grep 'missing VAULT or BUNDLE' err
expect_exit 64 "$ESCROW" receipt
expect_exit 64 "$ESCROW" receipt verify r.json
expect_grep 'missing -p NOTARY.pub' err

# init
ledger_args V
expect_exit 64 "$ESCROW" vault init V
expect_grep 'missing -s' err
expect_exit 0 "$ESCROW" vault init V -s notary.key -i notary.age "${LEDGER[@]}"
expect_grep '"format": "escrow-vault/1"' V/vault.json
expect_grep "\"notary_key_id\": \"$NOTARY_ID\"" V/vault.json
expect_true "store and receipts folders made" test -d V/store/sha256 -a -d V/receipts
[ -n "$PG" ] || expect_true "SQLite ledger in the vault" test -s V/ledger.sqlite
[ -z "$PG" ] || expect_true "no SQLite ledger with --ledger" test ! -e V/ledger.sqlite
expect_exit 73 "$ESCROW" vault init V -s notary.key
expect_grep 'not empty' err
expect_exit 74 "$ESCROW" vault init V3 -s notary.key --ledger "host=$T/no-server dbname=x user=escrow"
expect_true "a failed init leaves no folder" test ! -e V3
expect_exit 65 "$ESCROW" vault init V3 -s agency.pub
expect_true "nor with a bad key" test ! -e V3
expect_exit 66 "$ESCROW" vault list nowhere
expect_grep "nowhere is not a vault" err

# contracts and keys
expect_exit 0 "$ESCROW" vault contract add V c1.yaml -p agency.pub
expect_grep 'version 1' err
expect_exit 73 "$ESCROW" vault contract add V c1.yaml
printf 'escrow-contract: 1\ncontract: [\n' >bad.yaml
expect_exit 65 "$ESCROW" vault contract add V bad.yaml
expect_exit 0 "$ESCROW" vault contract add V c1v2.yaml
expect_grep 'version 2' err
expect_exit 66 "$ESCROW" vault key add V NO-SUCH -p agency2.pub
expect_exit 64 "$ESCROW" vault key add V C-2026-01
expect_true "3 events: contract-add, key-add, contract-amend" test "$(sql V 'SELECT count(*) FROM events')" = 3

# receive: a receipt is never written over a file there: neither the
# receipt nor its signature beside it (nothing received then)
echo keep >r1.json.minisig
expect_exit 73 "$ESCROW" vault receive V full.escrow -o r1.json
expect_grep 'r1.json.minisig: already exists, where the receipt.s signature goes' err
expect_true "the file there is kept" test "$(cat r1.json.minisig)" = keep
expect_true "nothing received" test "$(sql V 'SELECT count(*) FROM deposits')" = 0
rm r1.json.minisig
# receive: verified
expect_exit 0 "$ESCROW" vault receive V full.escrow -o r1.json
expect_grep '^deposit 1: verified' out
SHA=$(sha256sum full.escrow | cut -c1-64)
expect_true "stored by SHA-256, same bytes" cmp full.escrow "V/store/sha256/${SHA:0:2}/$SHA.escrow"
need_tool minisign minisign && expect_exit 0 minisign -Vm r1.json -p notary.pub
expect_exit 0 "$ESCROW" receipt verify r1.json -p notary.pub --bundle full.escrow
expect_grep 'good receipt.*PASSED' out
# the receipt's shape, field by field
python3 - r1.json "$SHA" "$(sha256sum c1v2.yaml | cut -c1-64)" "$NOTARY_ID" PASSED \
	>"$T/py.out" 2>&1 <<'PY' || { cat "$T/py.out" >&2; fails=$((fails + 1)); }
import json, sys
r = json.load(open(sys.argv[1]))
sha, csha, kid, result = sys.argv[2:6]
assert r["_type"] == "https://in-toto.io/Statement/v1"
assert r["predicateType"] == "https://slsa.dev/verification_summary/v1"
assert r["subject"] == [{"name": "full.escrow", "digest": {"sha256": sha}}], r["subject"]
p = r["predicate"]
assert p["verifier"]["id"] == "escrow-vault:" + kid
assert p["timeVerified"] == "2026-01-01T00:00:00Z"
assert p["resourceUri"].startswith("escrow-vault:" + kid + "/store/sha256/")
assert p["policy"] == {"uri": "escrow-contract:C-2026-01", "digest": {"sha256": csha}}
assert p["verificationResult"] == result
assert p["verifiedLevels"] == (["ESCROW_DEPOSIT_VERIFIED"] if result == "PASSED" else ["FAILED"])
assert p["slsaVersion"] == "1.0"
e = p["escrow"]
assert e["deposit"] == 1 and e["verdict"] == "verified"
assert e["deliverables"] == {"code": "ok", "model": "ok"}, e["deliverables"]
assert e["ledger_head"]["seq"] == 4 and len(e["ledger_head"]["hash"]) == 64
PY
checks=$((checks + 1))
HEAD4=$(sql V "SELECT hash FROM events WHERE seq = 4")
expect_grep "\"hash\": \"$HEAD4\"" r1.json

# the same bundle again: said so, exit 0, no second copy, no new deposit
expect_exit 0 "$ESCROW" vault receive V full.escrow
expect_grep 'already, as deposit 1' out
expect_true "one deposit" test "$(count V)" = 1
expect_true "one stored file" test "$(find V/store -name '*.escrow' | wc -l)" = 1

# incomplete: exit 2, recorded, FAILED receipt naming the missing deliverable
expect_exit 2 "$ESCROW" vault receive V part.escrow -o r2.json --json
expect_grep '"verdict": "incomplete"' out
expect_grep "incomplete: deliverable 'model' is missing" err
expect_exit 0 "$ESCROW" receipt verify r2.json -p notary.pub
expect_grep 'FAILED' out
expect_grep '"model": "missing"' r2.json
need_tool minisign minisign && expect_exit 0 minisign -Vm r2.json -p notary.pub
# the refused bundle again: its recorded verdict again (exit 2), not a
# success, and nothing new
N2=$(sql V "SELECT count(*) FROM events")
expect_exit 2 "$ESCROW" vault receive V part.escrow
expect_grep '^part.escrow is in vault V already, as deposit 2, refused at receive \(incomplete\): nothing stored twice, no new receipt$' out
expect_grep 'as deposit 2, refused at receive \(incomplete\): receiving it again changes nothing' err
expect_exit 2 "$ESCROW" vault receive V part.escrow --json
expect_grep '"existing": true' out
expect_grep '"verdict": "incomplete"' out
expect_exit 0 "$ESCROW" vault receive V full.escrow --json
expect_grep '"verdict": "verified"' out
expect_true "nothing recorded by receiving again" test "$(sql V "SELECT count(*) FROM events")" = "$N2" -a "$(count V)" = 2

# a contract the vault does not know: refused, nothing recorded or stored
expect_exit 65 "$ESCROW" vault receive V other.escrow
expect_grep 'C-OTHER, which is not registered in vault V' err
expect_true "still two deposits" test "$(count V)" = 2
expect_true "nothing stored for it" test ! -e "V/store/sha256/$(sha256sum other.escrow | cut -c1-2)/$(sha256sum other.escrow | cut -c1-64).escrow"

# a key not registered: refused (bad-signature), recorded, FAILED receipt
expect_exit 1 "$ESCROW" vault receive V by2.escrow -o r3.json
expect_grep 'not a registered, unrevoked key of contract C-2026-01' err
expect_grep '"verificationResult": "FAILED"' r3.json
expect_true "recorded as bad-signature" test "$(sql V "SELECT verdict FROM deposits WHERE id = 3")" = bad-signature
expect_exit 1 "$ESCROW" vault receive V by2.escrow
expect_grep 'already, as deposit 3, refused at receive \(bad-signature\)' out
# a key slipped into the ledger by hand (a row, no key-add event): no deposit
# is taken on it; nor on a contract whose registered text was edited by hand
K2=$(sed -n 's/^untrusted comment: minisign public key //p' agency2.pub)
KEV=$(sql V "SELECT added_event FROM agency_keys LIMIT 1")
N3=$(sql V "SELECT count(*) FROM events")
sql V "INSERT INTO agency_keys (contract_id, key_id, public_key, added_event) VALUES ('C-2026-01', '$K2', '$(cat agency2.pub)', $KEV)" >/dev/null
expect_exit 65 "$ESCROW" vault receive V by2b.escrow
expect_grep "nothing was received: the ledger does not hold what its log says \('escrow vault log --verify' shows it\): .*key $K2 for contract C-2026-01 was inserted or edited" err
expect_true "nothing recorded or stored on a forged key" test "$(sql V "SELECT count(*) FROM events")" = "$N3" \
	-a ! -e "V/store/sha256/$(sha256sum by2b.escrow | cut -c1-2)/$(sha256sum by2b.escrow | cut -c1-64).escrow"
sql V "DELETE FROM agency_keys WHERE key_id = '$K2'" >/dev/null
sql V "UPDATE contracts SET yaml = yaml || '# edited' WHERE contract_id = 'C-2026-01'" >/dev/null
expect_exit 65 "$ESCROW" vault receive V by2b.escrow
expect_grep 'contract C-2026-01 version 1 was edited: its text differs from its registration' err
sql V "UPDATE contracts SET yaml = substr(yaml, 1, length(yaml) - 8) WHERE contract_id = 'C-2026-01'" >/dev/null
expect_exit 0 "$ESCROW" vault log V --verify
# rotation: the key added, its next deposit accepted; revoked, the next refused
expect_exit 0 "$ESCROW" vault key add V C-2026-01 -p agency2.pub
expect_exit 0 "$ESCROW" vault receive V by2b.escrow -q
A2=$(sql V "SELECT key_id FROM agency_keys WHERE revoked_event IS NULL ORDER BY added_event DESC LIMIT 1")
expect_exit 0 "$ESCROW" vault key revoke V "$A2" --reason "laptop stolen"
expect_exit 66 "$ESCROW" vault key revoke V "$A2"
vault_pack by2c.escrow full agency2.key c1.yaml --release 2.2
expect_exit 1 "$ESCROW" vault receive V by2c.escrow -o r4.json
expect_grep "signed by key $A2, which is not a registered, unrevoked key" err
expect_true "the revoked key's deposit recorded as bad-signature" \
	test "$(sql V "SELECT verdict FROM deposits WHERE id = 5")" = bad-signature

# sealed: opened with the vault's identity, the detached signature stored
expect_exit 0 "$ESCROW" vault receive V sealed.escrow
SSHA=$(sha256sum sealed.escrow | cut -c1-64)
expect_true "its .minisig stored beside it" cmp sealed.escrow.minisig "V/store/sha256/${SSHA:0:2}/$SSHA.escrow.minisig"
expect_true "default receipt in VAULT/receipts" test -s "V/receipts/$SSHA.json" -a -s "V/receipts/$SSHA.json.minisig"
expect_true "sealed: verified" test "$(sql V "SELECT verdict FROM deposits WHERE bundle_sha256 = '$SSHA'")" = verified
# sealed by the revoked key (its .minisig names it): refused and recorded; a
# sealed bundle without its .minisig is still read (two readings)
vault_pack sealed2.escrow full agency2.key c1.yaml --release 3.1 -r "$(cat notary.age.pub)"
expect_exit 1 "$ESCROW" vault receive V sealed2.escrow -q
vault_pack sealed3.escrow full agency.key c1.yaml --release 3.2 -r "$(cat notary.age.pub)"
rm sealed3.escrow.minisig
expect_exit 0 "$ESCROW" vault receive V sealed3.escrow -q

# what a receive killed after the store's rename and before the ledger's
# commit leaves (a stray store file, a leftover .incoming copy): the next
# receive of that bundle adopts the file and records the deposit once
vault_pack stray.escrow full agency.key c1.yaml --release 4.0
STSHA=$(sha256sum stray.escrow | cut -c1-64)
mkdir -p "V/store/sha256/${STSHA:0:2}"
cp stray.escrow "V/store/sha256/${STSHA:0:2}/$STSHA.escrow"
head -c 100 stray.escrow >V/store/sha256/.incoming.ABC123
expect_exit 0 "$ESCROW" vault receive V stray.escrow -q
expect_true "the stray adopted: one deposit names it" \
	test "$(sql V "SELECT count(*) FROM deposits WHERE bundle_sha256 = '$STSHA'")" = 1
expect_true "still one file" test "$(ls "V/store/sha256/${STSHA:0:2}" | grep -c "^$STSHA.escrow$")" = 1
rm V/store/sha256/.incoming.ABC123

# list and show
expect_exit 0 "$ESCROW" vault list V
expect_true "list: 9 deposits" test "$(grep -c '^[0-9]' out)" = 9
expect_exit 0 "$ESCROW" vault list V --contract C-2026-01 --json
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert len(d["deposits"]) == 9; assert d["deposits"][0]["verdict"] == "verified"' out
expect_true "list --json parses" test $? = 0
expect_exit 0 "$ESCROW" vault list V --contract NONE --json
expect_grep '"deposits": \[\]' out
expect_exit 0 "$ESCROW" vault show V 2
expect_grep '^verdict +incomplete' out
expect_exit 0 "$ESCROW" vault show V "${SHA:0:10}" --json
expect_grep "\"bundle_sha256\": \"$SHA\"" out
expect_exit 64 "$ESCROW" vault show V abc
expect_exit 66 "$ESCROW" vault show V 99

# receipts that do not hold
expect_exit 1 "$ESCROW" receipt verify r1.json -p notary.pub --bundle part.escrow
expect_grep 'another file' err
expect_exit 1 "$ESCROW" receipt verify r1.json -p agency.pub
sed 's/"PASSED"/"FAILED"/' r1.json >forged.json && cp r1.json.minisig forged.json.minisig
expect_exit 1 "$ESCROW" receipt verify forged.json -p notary.pub
if need_tool minisign minisign; then
	echo '{"_type": "something else"}' >plain.json
	if minisign -S -s notary.key -m plain.json >/dev/null 2>&1 </dev/null; then
		expect_exit 65 "$ESCROW" receipt verify plain.json -p notary.pub
		expect_grep 'not an escrow receipt: _type' err
	fi
fi
expect_exit 66 "$ESCROW" receipt verify missing.json -p notary.pub
# a receipt without its signature beside it: which file, and the fix
cp r1.json alone.json
expect_exit 66 "$ESCROW" receipt verify alone.json -p notary.pub
expect_grep "alone.json.minisig: .*the signature of alone.json, which 'escrow vault receive' writes beside it" err

# 10 concurrent receives of 10 bundles: 10 deposits, a chain that holds
for i in 0 1 2 3 4 5 6 7 8 9; do vault_pack c$i.escrow full agency.key c1.yaml --release 9.$i; done
before=$(count V)
pids=()
for i in 0 1 2 3 4 5 6 7 8 9; do
	"$ESCROW" vault receive V c$i.escrow -q >"$T/c$i.out" 2>"$T/c$i.err" </dev/null &
	pids+=($!)
done
ok=0
for p in "${pids[@]}"; do wait "$p" && ok=$((ok + 1)); done
expect_true "10 concurrent receives exit 0 (got $ok)" test "$ok" = 10
expect_true "10 more deposits" test "$(count V)" = $((before + 10))
expect_true "10 distinct receive events" \
	test "$(sql V "SELECT count(DISTINCT event_seq) FROM deposits WHERE release_version LIKE '9.%'")" = 10
expect_true "the chain holds (recomputed with python)" chain_ok V

# an ambiguous prefix (SQLite only: a row put in by hand, with foreign keys
# off as the sqlite3 shell has them, sharing the first 12 hex digits)
if [ -z "$PG" ]; then
	FAKE="${SHA:0:12}$(printf '%052d' 0)"
	sql V "INSERT INTO deposits (id, contract_id, bundle_sha256, bundle_size, verdict, deliverables, received_at,
		store_path, event_seq) VALUES (999, 'C-2026-01', '$FAKE', 1, 'tampered', '{}', 'x', 'y', 99999)"
	expect_exit 64 "$ESCROW" vault show V "${SHA:0:12}"
	expect_grep 'matches several deposits' err
	expect_exit 0 "$ESCROW" vault show V "$SHA"
fi

# a vault of a newer version: the ledger's schema, then vault.json's format
ledger_args V2
expect_exit 0 "$ESCROW" vault init V2 -s notary.key "${LEDGER[@]}"
sql V2 "UPDATE ledger_meta SET value = '99' WHERE name = 'schema_version'"
expect_exit 65 "$ESCROW" vault list V2
expect_grep '99' err
sed -i 's#escrow-vault/1#escrow-vault/2#' V/vault.json
expect_exit 65 "$ESCROW" vault list V
expect_grep 'newer than this escrow knows' err

finish
