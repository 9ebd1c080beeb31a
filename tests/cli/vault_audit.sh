#!/usr/bin/env bash
# escrow vault audit and escrow vault log end to end: the fixity audit (fast
# and --full, a sealed deposit among them), a stored bundle whose bytes were
# replaced, a store file deleted, a stray file, a stale temporary, --sample
# (least recently audited first: two runs of 50% cover all), --max-duration
# recorded in the audit event (stopping cleanly between deposits, and going on
# at the next run, is tested in tests/unit/test_vault_audit.c with a clock of
# its own), a deleted detached signature, the audit events and migrations 2
# and 3; the log as text and
# JSON, --verify after a ledger row is changed with the sqlite3 (or psql)
# client, --against an earlier receipt after the last event is deleted, and a
# kept receipt tampered with; a sealed deposit with another key's detached
# signature (not stored: audits pass), one refused for its detached signature
# (fast and --full audits agree).
# With ESCROW_TEST_PG set (tests/pg.sh; ctest cli_vault_audit_pg) every
# vault's ledger is a database of that PostgreSQL server instead of SQLite.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
vault_need_sqlite3
# store PATH of a bundle file in vault $1
stored() { local s; s=$(sha256sum "$2" | cut -c1-64); echo "$1/store/sha256/${s:0:2}/$s.escrow"; }

vault_keys agency notary
vault_age_keys notary
vault_projects
vault_contract c1.yaml
pack() { vault_pack "$1" full agency.key c1.yaml --release "$2" "${@:3}"; }
for r in 1.0 1.1 1.2; do pack "b$r.escrow" "$r"; done
pack sealed.escrow 3.0 -r "$(cat notary.age.pub)"
# new_vault NAME: a vault with the contract and the four deposits (1..4)
new_vault() {
	vault_new "$1" "$1" -i notary.age
	for b in b1.0 b1.1 b1.2 sealed; do
		"$ESCROW" vault receive "$1" "$b.escrow" -q >/dev/null 2>&1 || echo "receive $b failed" >&2
	done
}

# usage
expect_exit 0 "$ESCROW" vault audit --help
expect_grep '^usage: escrow vault audit VAULT' out
expect_exit 0 "$ESCROW" vault log --help
expect_grep '^usage: escrow vault log VAULT' out
expect_exit 64 "$ESCROW" vault audit
expect_exit 64 "$ESCROW" vault audit V --sample 0
expect_grep "give a whole number from 1 to 100" err
expect_exit 64 "$ESCROW" vault audit V --sample 101
expect_exit 64 "$ESCROW" vault audit V --max-duration 1s
expect_exit 64 "$ESCROW" vault log V --full
expect_exit 66 "$ESCROW" vault audit nowhere

new_vault V
expect_true "4 deposits" test "$(sql V 'SELECT count(*) FROM deposits')" = 4
expect_true "ledger at schema 3" test "$(sql V "SELECT value FROM ledger_meta WHERE name = 'schema_version'")" = 3
expect_true "the sealed deposit's signature recorded as stored, none for the others" \
	test "$(sql V 'SELECT id, minisig_stored FROM deposits ORDER BY id' | tr '\n' ' ')" = "1|0 2|0 3|0 4|1 "
expect_true "never audited yet" test "$(sql V 'SELECT count(*) FROM deposits WHERE audited_at IS NULL')" = 4

# a clean audit: every deposit checked, one audit event, audited_at set
expect_exit 0 "$ESCROW" vault audit V
expect_grep '4 deposit\(s\) checked, 0 failed, 0 left for the next run, 0 stray' out
expect_true "one audit event" test "$(sql V "SELECT count(*) FROM events WHERE kind = 'audit'")" = 1
expect_true "audited_at set for all" test "$(sql V 'SELECT count(*) FROM deposits WHERE audited_at IS NULL')" = 0
expect_grep '"ok":\[1,2,3,4\]' <(sql V "SELECT body FROM events WHERE kind = 'audit'")
expect_exit 0 "$ESCROW" vault audit V --json
expect_true "JSON: 4 checked, none failed" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
assert r["checked"] == 4 and r["failed"] == [] and r["strays"] == [] and r["mode"] == "fast", r
assert sorted(r["ok"]) == [1, 2, 3, 4] and r["event"] > 0' out
# --full: every deposit verified again (the sealed one opened with the vault's identity)
expect_exit 0 "$ESCROW" vault audit V --full
expect_grep 'audit \(full\).*4 deposit\(s\) checked, 0 failed' out
# --full verifies for real: with the recorded contract version made stricter
# in the ledger (its model must now be ONNX), fast still holds, full does not
sql V "UPDATE contracts SET yaml = replace(yaml, 'format: safetensors', 'format: onnx')" >/dev/null
expect_exit 0 "$ESCROW" vault audit V
expect_exit 1 "$ESCROW" vault audit V --full
expect_grep '^FAILED deposit 4 .*verified again as incomplete, received as verified' out
expect_grep '4 deposit\(s\) checked, 4 failed' out
sql V "UPDATE contracts SET yaml = replace(yaml, 'format: onnx', 'format: safetensors')" >/dev/null
expect_exit 0 "$ESCROW" vault audit V --full

# the bytes of a stored bundle replaced (same size): named
S2=$(stored V b1.1.escrow)
SHA2=$(sha256sum b1.1.escrow | cut -c1-16)
python3 - "$S2" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 1
open(p, "wb").write(bytes(b))
PY
expect_exit 1 "$ESCROW" vault audit V
expect_grep "^FAILED deposit 2 \($SHA2\): .*has SHA-256 .* the ledger recorded $SHA2" out
expect_grep '1 deposit\(s\) failed' err
expect_true "the failure recorded in the audit event" test \
	"$(sql V "SELECT count(*) FROM events WHERE kind = 'audit' AND body LIKE '%\"failed\":[{\"deposit\":2,%'")" = 1
cp b1.1.escrow "$S2"
# truncated: the size named
head -c 100 b1.2.escrow >"$(stored V b1.2.escrow)"
expect_exit 1 "$ESCROW" vault audit V
expect_grep '^FAILED deposit 3 .*holds 100 bytes, the ledger recorded' out
cp b1.2.escrow "$(stored V b1.2.escrow)"
# the sealed deposit's detached signature altered: named
SS=$(stored V sealed.escrow)
sed -i '4{s/^A/B/;t;s/^./A/}' "$SS.minisig" # its first character changed, whatever it was
expect_exit 1 "$ESCROW" vault audit V
expect_grep '^FAILED deposit 4 .*detached signature' out
cp sealed.escrow.minisig "$SS.minisig"
# the sealed deposit's detached signature deleted: named, as the ledger knows
# it was stored with the deposit
rm "$SS.minisig"
expect_exit 1 "$ESCROW" vault audit V
expect_grep '^FAILED deposit 4 .*\.escrow\.minisig is missing from the store \(the deposit was received with this detached signature\)' out
expect_grep '1 deposit\(s\) failed' err
expect_true "the deleted signature recorded in the audit event" test \
	"$(sql V "SELECT count(*) FROM events WHERE kind = 'audit' AND body LIKE '%\"failed\":[{\"deposit\":4,%minisig is missing%'")" = 1
# ... and hidden by the row turned to "not stored" (0) or "not known" (NULL)
# with the database's own client: the receive event says it was stored, so
# audit refuses (nothing audited, no event) and log --verify names the row
NA=$(sql V "SELECT count(*) FROM events WHERE kind = 'audit'")
for v in 0 NULL; do
	sql V "UPDATE deposits SET minisig_stored = $v WHERE id = 4" >/dev/null
	expect_exit 1 "$ESCROW" vault audit V
	expect_grep "nothing was audited: the ledger does not hold what its log says .*deposit 4 was edited: its minisig_stored differs from its receive event" err
	expect_exit 1 "$ESCROW" vault log V --verify
	expect_grep 'deposit 4 was edited: its minisig_stored differs from its receive event \(event 6\)' err
done
expect_true "nothing audited on an edited ledger" test "$(sql V "SELECT count(*) FROM events WHERE kind = 'audit'")" = "$NA"
expect_true "the receive event records the stored signature" \
	test "$(sql V "SELECT count(*) FROM events WHERE seq = 6 AND body LIKE '%\"minisig_stored\":true%'")" = 1
sql V "UPDATE deposits SET minisig_stored = 1 WHERE id = 4" >/dev/null
cp sealed.escrow.minisig "$SS.minisig"
# a store file deleted: named
rm "$(stored V b1.0.escrow)"
expect_exit 1 "$ESCROW" vault audit V
expect_grep '^FAILED deposit 1 .*missing from the store' out
cp b1.0.escrow "$(stored V b1.0.escrow)"
expect_exit 0 "$ESCROW" vault audit V
# a stray file and a stale temporary: reported
JUNK=V/store/sha256/ab/$(printf 'ab%062d' 0).escrow
mkdir -p V/store/sha256/ab
echo junk >"$JUNK"
echo part >V/store/sha256/.incoming.XyZ123
expect_exit 1 "$ESCROW" vault audit V
expect_grep "^STRAY store/sha256/ab/ab0+\.escrow: no deposit names it" out
expect_grep '^STRAY store/sha256/.incoming.XyZ123: a temporary copy' out
expect_grep '4 deposit\(s\) checked, 0 failed, 0 left for the next run, 2 stray' out
# each says no deposit refers to it and how to remove it, by its exact path
AV=$(realpath V)
expect_grep "^STRAY store/sha256/\.incoming\.XyZ123: .*; no deposit refers to it: remove it \(when no receive is running\) with rm -- '$AV/store/sha256/\.incoming\.XyZ123'\$" out
expect_grep "^STRAY store/sha256/ab/ab0+\.escrow: no deposit names it \(.*\); receive that bundle again to record it, or remove it \(when no receive is running\) with rm -- '$AV/${JUNK#V/}'\$" out
expect_exit 1 "$ESCROW" vault audit V --json
expect_true "JSON: each stray with its exact path to remove" python3 -c '
import json, os, sys
r = json.load(open(sys.argv[1]))
assert len(r["strays"]) == 2, r  # the two above (on an empty list, the rest held)
assert sorted(s["remove"] for s in r["strays"]) == sorted("%s/%s" % (sys.argv[2], s["path"]) for s in r["strays"]), r
assert all(os.path.isfile(s["remove"]) for s in r["strays"]), r' out "$AV"
expect_true "the audit event keeps the relative paths only" test \
	"$(sql V "SELECT count(*) FROM events WHERE kind = 'audit' AND body LIKE '%$AV%'")" = 0
# doing what it says removes only the strays: a real deposit's SHA-256 may
# start with "ab" too
expect_exit 1 "$ESCROW" vault audit V
sed -n 's/^STRAY .* with //p' out >rm.sh
expect_true "two removals" test "$(wc -l <rm.sh)" = 2
sh rm.sh
expect_true "the strays removed" test ! -e "$JUNK" -a ! -e V/store/sha256/.incoming.XyZ123
expect_exit 0 "$ESCROW" vault audit V
# a stray's name is whatever was put in the store: the rm line removes that
# file and nothing else, whatever quotes, backslashes or controls it holds
touch keep "V/store/sha256/x' keep '" 'V/store/sha256/back\slash' "V/store/sha256/esc$(printf '\033')[1m'"
expect_exit 1 "$ESCROW" vault audit V
expect_true "no raw control on the terminal" test "$(grep -c "$(printf '\033')" out)" = 0
sed -n 's/^STRAY .* with //p' out >rm.sh
expect_true "three removals" test "$(wc -l <rm.sh)" = 3
bash rm.sh
expect_true "the hostile strays removed, the decoy kept" test -e keep -a -z "$(ls -A V/store/sha256 | grep -v '^..$')"
expect_exit 0 "$ESCROW" vault audit V

# --sample: least recently audited first
new_vault S
expect_exit 0 "$ESCROW" vault audit S --sample 50 --json
expect_true "first half: deposits 1 and 2" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert sorted(r["ok"]) == [1, 2] and r["left"] == 2, r' out
expect_exit 0 "$ESCROW" vault audit S --sample 50 --json
expect_true "second half: deposits 3 and 4" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert sorted(r["ok"]) == [3, 4], r' out
expect_true "every deposit audited after two runs" test "$(sql S 'SELECT count(*) FROM deposits WHERE audited_at IS NULL')" = 0
# audited_at is to the second: the third run waits for the next one, so that
# 1 and 2 (audited by it) are later than 3 and 4 (ties go by id)
s0=$(date +%s)
while [ "$(date +%s)" = "$s0" ]; do sleep 0.1; done
expect_exit 0 "$ESCROW" vault audit S --sample 50 --json
expect_true "third run: the least recently audited (1 and 2) again" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert sorted(r["ok"]) == [1, 2], r' out
# audited_at edited with the database's own client (moved into the future: the
# deposit would never be sampled again; or cleared): not the time of the audit
# event that checked it, named by audit and log --verify
A1=$(sql S "SELECT audited_at FROM deposits WHERE id = 1")
sql S "UPDATE deposits SET audited_at = '9999-01-01T00:00:00Z' WHERE id = 1" >/dev/null
expect_exit 1 "$ESCROW" vault audit S --sample 25
expect_grep "nothing was audited: .*deposit 1 was edited: its audited_at \(9999-01-01T00:00:00Z\) is not the time of the last audit that checked it" err
expect_exit 1 "$ESCROW" vault log S --verify
expect_grep 'deposit 1 was edited: its audited_at \(9999-01-01T00:00:00Z\)' err
sql S "UPDATE deposits SET audited_at = NULL WHERE id = 1" >/dev/null
expect_exit 1 "$ESCROW" vault log S --verify
expect_grep 'deposit 1 was edited: its audited_at says never audited, and audit event [0-9]+ checked it' err
sql S "UPDATE deposits SET audited_at = '$A1' WHERE id = 1" >/dev/null
expect_exit 0 "$ESCROW" vault log S --verify
expect_exit 0 "$ESCROW" vault audit S --sample 25 --json
expect_true "the least recently audited (3) first" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert r["ok"] == [3], r' out

# --max-duration: the budget recorded in the event (a budget no run here
# reaches: every deposit checked; stopping when it is spent, and the next run
# going on, is tested with a clock of its own in unit_vault_audit)
new_vault M
expect_exit 0 "$ESCROW" vault audit M --max-duration 86400 --json
expect_true "within the budget: every deposit" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert sorted(r["ok"]) == [1, 2, 3, 4] and r["left"] == 0, r' out
expect_true "max_seconds recorded in the event" test \
	"$(sql M "SELECT count(*) FROM events WHERE kind = 'audit' AND body LIKE '%\"max_seconds\":86400%'")" = 1

# as_before_receive_minisig VAULT: the vault's receive events as escrow
# wrote them before they held minisig_stored (0.2.0 up to commit e230b6f) (no minisig_stored member), the chain hashed again
# with python's hashlib, as a vault of that version holds them. Its kept
# receipts name the hashes of before and are removed.
as_before_receive_minisig() {
	sql "$1" "SELECT seq, body FROM events ORDER BY seq" >"$T/ev.txt"
	python3 - "$T/ev.txt" >"$T/ev.sql" <<'PY'
import hashlib, re, sys
prev = "0" * 64
for line in open(sys.argv[1], encoding="utf-8"):
    seq, body = line.rstrip("\n").split("|", 1)
    body = re.sub(r',"minisig_stored":(true|false)', "", body)
    h = hashlib.sha256(bytes.fromhex(prev) + body.encode()).hexdigest()
    b = body.replace("'", "''")
    print(f"UPDATE events SET body = '{b}', prev_hash = '{prev}', hash = '{h}' WHERE seq = {seq};")
    prev = h
PY
	sql "$1" "$(cat "$T/ev.sql")" >/dev/null
	rm -f "$1"/receipts/*
}

# migrations 2 and 3 on a schema-1 ledger: the columns dropped back, version 1
if [ -z "$PG" ]; then
	new_vault O
	as_before_receive_minisig O
	sqlite3 O/ledger.sqlite "DROP INDEX deposits_by_audit; ALTER TABLE deposits DROP COLUMN audited_at;
		ALTER TABLE deposits DROP COLUMN minisig_stored; UPDATE ledger_meta SET value = '1' WHERE name = 'schema_version'"
	expect_exit 0 "$ESCROW" vault audit O
	expect_true "migrated to 3" test "$(sql O "SELECT value FROM ledger_meta WHERE name = 'schema_version'")" = 3
	expect_true "audited_at set" test "$(sql O 'SELECT count(*) FROM deposits WHERE audited_at IS NOT NULL')" = 4
	expect_exit 0 "$ESCROW" vault log O --verify
fi
# migration 3 on a schema-2 vault (its ledger as schema 2 left it, with the
# sqlite3 or psql client): deposits received before it are "not known"
# (NULL); an audit that sees the sealed deposit's signature verify records
# it, and from then on its deletion is found
new_vault P
as_before_receive_minisig P
expect_true "receive events without minisig_stored" test "$(sql P "SELECT count(*) FROM events WHERE body LIKE '%minisig_stored%'")" = 0
expect_exit 0 "$ESCROW" vault log P --verify
sql P "ALTER TABLE deposits DROP COLUMN minisig_stored; UPDATE ledger_meta SET value = '2' WHERE name = 'schema_version'" >/dev/null
expect_true "a schema-2 ledger" test "$(sql P "SELECT value FROM ledger_meta WHERE name = 'schema_version'")" = 2
expect_exit 0 "$ESCROW" vault list P
expect_true "migrated to 3" test "$(sql P "SELECT value FROM ledger_meta WHERE name = 'schema_version'")" = 3
expect_true "deposits of schema 2: not known" test "$(sql P 'SELECT count(*) FROM deposits WHERE minisig_stored IS NULL')" = 4
expect_exit 0 "$ESCROW" vault audit P
expect_true "the verified signature recorded by audit, the others still not known" \
	test "$(sql P 'SELECT id, minisig_stored FROM deposits ORDER BY id' | tr '\n' ' ')" = "1| 2| 3| 4|1 "
expect_true "and in its event" test "$(sql P "SELECT count(*) FROM events WHERE kind = 'audit' AND body LIKE '%\"minisig_found\":[4]%'")" = 1
expect_exit 0 "$ESCROW" vault log P --verify
# the row set back to "not known" with the database's client: named
sql P "UPDATE deposits SET minisig_stored = NULL WHERE id = 4" >/dev/null
expect_exit 1 "$ESCROW" vault log P --verify
expect_grep 'deposit 4 was edited: its minisig_stored says not known, and audit event [0-9]+ found its detached signature stored' err
expect_exit 1 "$ESCROW" vault audit P
expect_grep 'nothing was audited' err
sql P "UPDATE deposits SET minisig_stored = 1 WHERE id = 4" >/dev/null
PS=$(stored P sealed.escrow)
rm "$PS.minisig"
expect_exit 1 "$ESCROW" vault audit P
expect_grep '^FAILED deposit 4 .*\.minisig is missing from the store' out
cp sealed.escrow.minisig "$PS.minisig"
expect_exit 0 "$ESCROW" vault audit P

# log
expect_exit 0 "$ESCROW" vault log V
expect_grep '^1  .*  contract-add ' out
expect_grep '^3  .*  receive ' out
expect_grep ' audit ' out
expect_exit 0 "$ESCROW" vault log V --json
expect_true "JSON events in order, with data" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
seqs = [e["seq"] for e in r["events"]]
assert seqs == list(range(1, len(seqs) + 1)) and r["events"][0]["kind"] == "contract-add", seqs
assert all(len(e["hash"]) == 64 for e in r["events"])' out
expect_exit 0 "$ESCROW" vault log V --verify
expect_grep '^chain ok: .* 4 kept receipt\(s\) ok' out
R1=$(ls V/receipts/*.json | head -1)
expect_exit 0 "$ESCROW" vault log V --against "$R1"

# log --verify: a ledger row changed with the database's own client
new_vault L
EARLY=$(sql L "SELECT bundle_sha256 FROM deposits WHERE id = 4")
cp "L/receipts/$EARLY.json" last.json
cp "L/receipts/$EARLY.json.minisig" last.json.minisig
expect_exit 0 "$ESCROW" vault log L --verify
sql L "UPDATE events SET body = replace(body, '\"verified\"', '\"tampered\"') WHERE seq = 4" >/dev/null
expect_exit 1 "$ESCROW" vault log L --verify
expect_grep 'event 4 was edited' err
expect_exit 1 "$ESCROW" vault log L --against last.json
expect_grep 'event 4 was edited' err
sql L "UPDATE events SET body = replace(body, '\"tampered\"', '\"verified\"') WHERE seq = 4" >/dev/null
expect_exit 0 "$ESCROW" vault log L --verify
# an audit appended, then the last events deleted: the last receipt names it
expect_exit 0 "$ESCROW" vault audit L
HEAD=$(sql L "SELECT max(seq) FROM events")
sql L "DELETE FROM events WHERE seq = $HEAD" >/dev/null
# the deposits' audited_at still name its time: found from the rows
expect_exit 1 "$ESCROW" vault log L --against last.json
expect_grep 'deposit 1 was edited: its audited_at \(.*\) is not the time of any audit event that checked it \(the row was changed, or that audit event deleted\)' err
# the rows cleared too: a shorter chain is a valid chain
sql L "UPDATE deposits SET audited_at = NULL" >/dev/null
expect_exit 0 "$ESCROW" vault log L --against last.json # the receipt's head is still there
# the last deposit and its receive event deleted (as if it never came)
expect_true "event $((HEAD - 1)) is the last receive" test "$(sql L "SELECT event_seq FROM deposits WHERE id = 4")" = $((HEAD - 1))
sql L "DELETE FROM deposits WHERE id = 4; DELETE FROM events WHERE seq = $((HEAD - 1))" >/dev/null
expect_exit 1 "$ESCROW" vault log L --against last.json
expect_grep "receipt last.json .*event $((HEAD - 1)) was deleted" err
expect_exit 1 "$ESCROW" vault log L --verify
expect_grep "event $((HEAD - 1)) was deleted" err
# a kept receipt tampered with: named
new_vault K
RK=$(ls K/receipts/*.json | head -1)
sed -i 's/"PASSED"/"FAILED"/' "$RK"
expect_exit 1 "$ESCROW" vault log K --verify
expect_grep "receipt $RK: its signature does not verify" err
# a receipt brought from outside, altered
cp "$R1" out.json
cp "$R1.minisig" out.json.minisig
sed -i 's/"PASSED"/"FAILED"/' out.json
expect_exit 1 "$ESCROW" vault log V --against out.json
expect_grep 'receipt out.json: its signature does not verify' err
expect_exit 66 "$ESCROW" vault log V --against missing.json
# a receipt of another vault (its own notary key), nothing in it changed: a
# signature by a key this vault does not know, not an altered receipt
vault_keys notary2
ledger_args V2
"$ESCROW" vault init V2 -s notary2.key -q "${LEDGER[@]}"
"$ESCROW" vault contract add V2 c1.yaml -p agency.pub -q
"$ESCROW" vault receive V2 b1.0.escrow -o other.json -q >/dev/null 2>&1
expect_exit 0 "$ESCROW" receipt verify other.json -p notary2.pub
expect_exit 1 "$ESCROW" vault log V --against other.json
expect_grep "receipt other.json: signed by key [0-9A-F]{16}, which is not the notary key of vault V \\(key [0-9A-F]{16}\\): a receipt of another vault" err
expect_true "not called altered" bash -c "! grep -q altered '$T/err'"
expect_exit 1 "$ESCROW" vault log V --against other.json --json
expect_true "JSON: bad_signature, not tampered" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); assert "another vault" in r["bad_signature"] and r["tampered"] is None and r["verified"] is None, r' out
expect_exit 1 "$ESCROW" receipt verify other.json -p notary.pub
expect_grep 'made by key [0-9A-F]{16}, not by key' err

# A sealed deposit whose detached signature another key made (verify: other-key,
# verified) is accepted; that signature says nothing about the deposit, so it
# is not stored: kept, every audit failed the accepted deposit ("the signature
# was made by key X, not by key Y"). A signature put there later is checked.
need_tool minisign minisign && {
vault_keys other
pack okey.escrow 4.0 -r "$(cat notary.age.pub)"
rm -f okey.escrow.minisig
minisign -S -s other.key -m okey.escrow >/dev/null </dev/null
vault_new OK OK -i notary.age
expect_exit 0 "$ESCROW" vault receive OK okey.escrow -q
expect_true "another key's detached signature not stored" test ! -e "$(stored OK okey.escrow).minisig"
expect_exit 0 "$ESCROW" vault audit OK
expect_exit 0 "$ESCROW" vault audit OK --full
cp okey.escrow.minisig "$(stored OK okey.escrow).minisig"
expect_exit 1 "$ESCROW" vault audit OK
expect_grep 'FAILED deposit [0-9]* .*its detached signature: .*made by key' out
}
# A sealed deposit refused at receive for its detached signature (another
# bundle's: bad-signature, its own signature good) is stored as received: the
# fast audit failed it on every run for the signature it was refused for,
# while --full (bad-signature again, as recorded) passed it. Both pass; the
# signature's deletion is still found.
pack bsig.escrow 5.0 -r "$(cat notary.age.pub)"
cp sealed.escrow.minisig bsig.escrow.minisig
vault_new BS BS -i notary.age
expect_exit 1 "$ESCROW" vault receive BS bsig.escrow -q
expect_exit 0 "$ESCROW" vault audit BS
expect_exit 0 "$ESCROW" vault audit BS --full
rm "$(stored BS bsig.escrow).minisig"
expect_exit 1 "$ESCROW" vault audit BS
expect_grep 'FAILED deposit 1 .*minisig is missing from the store' out

finish
