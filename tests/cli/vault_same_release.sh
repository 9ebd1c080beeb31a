#!/usr/bin/env bash
# vault receive of another bundle of a release the vault holds already (same
# contract, bundle name and release, other bytes: the agency deposited that
# release again, or someone substituted it): both are recorded, and receive
# says so, naming the deposit that holds that release, in its warning, its
# text and --json, the receipt and the receive event (hash-chained).
# With ESCROW_TEST_PG set (tests/pg.sh; ctest cli_vault_same_release_pg)
# the ledger is a database of that PostgreSQL server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
vault_keys agency notary
vault_projects
vault_contract c1.yaml
vault_pack a.escrow full agency.key c1.yaml --release 1.0
echo 'print("hello")' >full/src/app.py
vault_pack b.escrow full agency.key c1.yaml --release 1.0
echo 'print("hello again")' >full/src/app.py
vault_pack c.escrow full agency.key c1.yaml --release 1.0
vault_pack d.escrow full agency.key c1.yaml --release 1.1
vault_pack e.escrow full agency.key c1.yaml --release 1.0 --name other
vault_pack f.escrow part agency.key c1.yaml --release 1.1
vault_new V V
SHA_A=$(sha256sum a.escrow | cut -d' ' -f1)
SHA_B=$(sha256sum b.escrow | cut -d' ' -f1)
SHA_C=$(sha256sum c.escrow | cut -d' ' -f1)
# field FILE PATH: a member of a JSON file ("predicate.escrow.same_release.deposit"), as JSON
field() {
	python3 -c 'import json, sys
v = json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v.get(k) if isinstance(v, dict) else None
print(json.dumps(v, sort_keys=True))' "$1" "$2"
}
event_same() { sql V "SELECT body FROM events WHERE seq = $1" >"$T/ev.json" && field "$T/ev.json" data.same_release; }

# the first deposit of release 1.0: nothing to say
expect_exit 0 "$ESCROW" vault receive V a.escrow --json
expect_true "a first deposit has no same_release" test "$(field out same_release)" = null
expect_true "a first receipt has no same_release" test \
	"$(field "V/receipts/$SHA_A.json" predicate.escrow.same_release)" = null

# another bundle of release 1.0: recorded, and said, naming deposit 1
expect_exit 0 "$ESCROW" vault receive V b.escrow
expect_grep '^deposit 2: verified$' out
expect_grep "^same release as deposit 1 \(verified, sha256 ${SHA_A:0:16}\): another bundle; both are recorded$" out
expect_grep "^escrow: warning: b\.escrow is release 1\.0 of C-2026-01, which vault V holds already as deposit 1 \(verified, sha256 ${SHA_A:0:16}\): this is another bundle; both are recorded as deposits 1 and 2" err
expect_true "the receipt names deposit 1" test "$(field "V/receipts/$SHA_B.json" predicate.escrow.same_release)" = \
	"{\"count\": 1, \"deposit\": 1, \"sha256\": \"$SHA_A\", \"verdict\": \"verified\"}"
expect_true "the receive event names deposit 1" test "$(event_same "$(sql V "SELECT event_seq FROM deposits WHERE id = 2")")" = \
	"{\"count\": 1, \"deposit\": 1, \"sha256\": \"$SHA_A\", \"verdict\": \"verified\"}"
expect_exit 0 "$ESCROW" receipt verify "V/receipts/$SHA_B.json" -p notary.pub --bundle b.escrow

# a third: the latest earlier one, and how many (--json)
expect_exit 0 "$ESCROW" vault receive V c.escrow --json -o c.json
expect_true "JSON same_release names deposit 2 of 2" test "$(field out same_release)" = \
	"{\"count\": 2, \"deposit\": 2, \"sha256\": \"$SHA_B\", \"verdict\": \"verified\"}"
expect_grep 'among others' err
expect_true "the receipt -o names deposit 2" test "$(field c.json predicate.escrow.same_release.deposit)" = 2
# another release, another name: nothing to say
expect_exit 0 "$ESCROW" vault receive V d.escrow --json
expect_true "release 1.1 is no re-deposit" test "$(field out same_release)" = null
expect_true "no warning for release 1.1" test ! -s err
expect_exit 0 "$ESCROW" vault receive V e.escrow --json
expect_true "another name is no re-deposit" test "$(field out same_release)" = null
# a refused deposit of release 1.1 is told too (its verdict stays its own)
expect_exit 2 "$ESCROW" vault receive V f.escrow -q --json
expect_true "-q: JSON still names deposit 4" test "$(field out same_release.deposit)" = 4
expect_true "-q: no warning" test "$(grep -c warning err)" = 0
# the same bytes again: in the vault already, nothing new to say
expect_exit 0 "$ESCROW" vault receive V b.escrow --json
expect_true "a bundle in the vault already has no same_release" test "$(field out same_release)" = null
expect_true "no warning for a bundle in the vault already" test "$(grep -c warning err)" = 0

# every deposit kept, the chain and the receipts intact
expect_true "six deposits" test "$(sql V "SELECT count(*) FROM deposits")" = 6
expect_exit 0 "$ESCROW" vault log V --verify
expect_exit 0 "$ESCROW" vault list V --json
# the event's same_release is in the chain: editing it is found
sql V "UPDATE events SET body = replace(body, '\"same_release\":{\"count\":1', '\"same_release\":{\"count\":7') WHERE seq = $(sql V "SELECT event_seq FROM deposits WHERE id = 2")" >/dev/null
expect_exit 1 "$ESCROW" vault log V --verify
expect_grep "event $(sql V "SELECT event_seq FROM deposits WHERE id = 2")\b" err
finish
