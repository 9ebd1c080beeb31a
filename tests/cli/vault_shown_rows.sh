#!/usr/bin/env bash
# vault_shown_rows.sh -- vault show and vault list check what they print
# against the ledger's log. A deposit row edited by hand in the database (a
# refused deposit's verdict turned to 'verified', a row inserted without a
# receive event) was printed as it was, exit 0, while vault log --verify,
# audit and release found the edit. Now each edited row shown is marked
# ("edited" line in show, "(edited)" in list, an "edited" member in JSON),
# still printed, and the command exits 1 naming the first such row and the
# fix ('escrow vault log --verify' shows it). The certificate of such a
# deposit is refused.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
vault_need_sqlite3

vault_keys agency notary
vault_contract c1.yaml
vault_projects
vault_pack full.escrow full agency.key c1.yaml
vault_pack part.escrow part agency.key c1.yaml
vault_new V vshown
"$ESCROW" vault receive V full.escrow -q 2>/dev/null
"$ESCROW" vault receive V part.escrow -q 2>/dev/null

# as received: nothing marked
expect_exit 0 "$ESCROW" vault show V 2
expect_grep '^verdict +incomplete$' "$T/out"
expect_true "no edited line for a row as received" test "$(grep -c edited "$T/out" "$T/err" | awk -F: '{s += $2} END {print s}')" = 0
expect_exit 0 "$ESCROW" vault list V
expect_exit 0 "$ESCROW" vault list V --json
expect_true "no edited member for rows as received" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(any("edited" in d for d in j["deposits"]))' "$T/out"

# a refused deposit turned verified by hand
DELIV2=$(sql V "SELECT deliverables FROM deposits WHERE id = 2")
sql V "UPDATE deposits SET verdict = 'verified', deliverables = '{}' WHERE id = 2" >/dev/null
expect_exit 1 "$ESCROW" vault show V 2
expect_grep '^verdict +verified$' "$T/out"
expect_grep '^edited +deposit 2 was edited: its verdict differs from its receive event \(event [0-9]+\)$' "$T/out"
expect_grep "^escrow: error: vault V: deposit 2 was edited: its verdict differs .*: what is shown is not what was received \('escrow vault log --verify' shows it\)$" "$T/err"
expect_exit 1 "$ESCROW" vault show V "$(sha256sum part.escrow | cut -c1-12)"
expect_grep '^edited +deposit 2 was edited' "$T/out"
expect_exit 1 "$ESCROW" vault show V 2 --json
expect_true "show --json: the edited member" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(not (j["verdict"] == "verified" and j["edited"].startswith("deposit 2 was edited: its verdict")))' "$T/out"
# the row beside it holds what its event says
expect_exit 0 "$ESCROW" vault show V 1
expect_true "no edited line for deposit 1" test "$(grep -c edited "$T/out")" = 0
expect_exit 1 "$ESCROW" vault list V
expect_grep '^2  verified .*  \(edited\)$' "$T/out"
expect_true "deposit 1 not marked" test "$(grep -c '^1 .*(edited)' "$T/out")" = 0
expect_grep "1 of the deposits shown differ from their receive events, marked edited \(the first: deposit 2 was edited: its verdict" "$T/err"
expect_exit 1 "$ESCROW" vault list V --contract C-2026-01 --json
expect_true "list --json: only deposit 2 carries edited" python3 -c '
import json, sys
j = json.load(open(sys.argv[1]))
sys.exit(not ("edited" not in j["deposits"][0] and j["deposits"][1]["edited"].startswith("deposit 2 was edited")))' "$T/out"
expect_exit 1 "$ESCROW" certificate --vault V 2 -o cert.html
expect_grep 'deposit 2 was edited' "$T/err"
expect_true "no certificate of an edited row" test ! -e cert.html
expect_exit 1 "$ESCROW" vault log V --verify
expect_grep 'deposit 2 was edited: its verdict differs from its receive event' "$T/err"

# the row put back: nothing marked again
sql V "UPDATE deposits SET verdict = 'incomplete', deliverables = '$DELIV2' WHERE id = 2" >/dev/null
expect_exit 0 "$ESCROW" vault show V 2
expect_exit 0 "$ESCROW" vault list V

# a row inserted without a receive event (SQLite: the shell's foreign keys
# are off)
if [ -z "$PG" ]; then
	sql V "INSERT INTO deposits (id, contract_id, bundle_sha256, bundle_size, verdict, deliverables, received_at,
		store_path, event_seq) VALUES (7, 'C-2026-01', '$(printf '%064d' 7)', 1, 'verified', '{}',
		'2026-01-01T00:00:00Z', 'store/x', 99999)" >/dev/null
	expect_exit 1 "$ESCROW" vault show V 7
	expect_grep '^edited +deposit 7 was inserted or edited: event 99999, which it names as its receive, is not in the log$' "$T/out"
	expect_exit 1 "$ESCROW" vault list V
	expect_grep '^7  verified .*\(edited\)$' "$T/out"
	expect_exit 0 "$ESCROW" vault show V 1
fi

finish
