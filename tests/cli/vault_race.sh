#!/usr/bin/env bash
# Two receives of the same bundle at once, one failing (docs/VAULT.md, "The
# store"): A stores the bundle first and stops just before recording it; B
# stores the same name and stops there too; A's recording then fails (gdb
# makes esc_ledger_deposit_add return ESCROW_E_IO, as a ledger failure or
# Ctrl-C would end it) and A takes its copy back; then B records. A deposit
# row must never name a file that is not in the store: B either finds the
# copy gone and records nothing (exit 74, saying to receive again), or
# records it with the file there. Then the same for two releases on one
# new evidence document. gdb orders the steps: nothing is timed.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
need_tool gdb gdb || { finish; exit; }
# LeakSanitizer cannot run under ptrace (a sanitizer build under gdb would
# end with its refusal, exit 1, not the receive's own code): off here.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
gdb -q -batch -nx -ex run --args true >/dev/null 2>&1 && gdb -q -batch -nx -ex 'info address esc_ledger_deposit_add' "$ESCROW_BIN" 2>/dev/null | grep -q 'is a function' ||
	skip_test "gdb cannot run escrow here or the binary has no symbols (ptrace denied, or stripped)"

vault_keys agency notary
vault_projects
vault_contract c1.yaml
vault_pack b.escrow full agency.key c1.yaml
vault_new V v
SHA=$(sha256sum b.escrow | cut -c1-64)
STORED="V/store/sha256/${SHA:0:2}/$SHA.escrow"

# at_record NAME GO [gdb commands...]: a receive of b.escrow under gdb that
# stops where it records the deposit, touches NAME.at, waits for the file GO,
# then runs the commands and goes on; its stderr in NAME.err.
at_record() {
	local name=$1 go=$2
	shift 2
	gdb -q -batch -nx -ex 'set breakpoint pending on' -ex 'break esc_ledger_deposit_add' \
		-ex "set args vault receive V b.escrow 2>$name.err" -ex run \
		-ex "shell touch $name.at; while [ ! -e $go ]; do sleep 0.1; done" "$@" -ex continue \
		"$ESCROW_BIN" >"$name.gdb" 2>&1 </dev/null &
}
wait_for() { while [ ! -e "$1" ]; do sleep 0.1; done; }

at_record A go.a -ex 'return 17'
pa=$!
wait_for A.at
expect_true "A stored the bundle before recording it" test -s "$STORED"
at_record B go.b
pb=$!
wait_for B.at
touch go.a
wait "$pa"
expect_grep 'exited with code 0112' A.gdb # 74: the ledger's failure
touch go.b
wait "$pb"
N=$(sql V "SELECT count(*) FROM deposits")
for p in $(sql V "SELECT store_path FROM deposits"); do
	expect_true "deposit row's file $p is in the store" test -s "V/$p"
done
if [ "$N" = 0 ]; then
	expect_grep 'exited with code 0112' B.gdb
	expect_grep "$STORED: no longer in the store \(a receive of the same bundle that failed at the same time took its copy back\); nothing was recorded: receive the bundle again" B.err
fi
"$ESCROW" vault audit V >audit.out 2>&1
expect_true "audit names no failed deposit" test -z "$(grep '^FAILED' audit.out)"
expect_exit 0 "$ESCROW" vault receive V b.escrow
expect_true "one deposit, its file whole" test "$(sql V "SELECT count(*) FROM deposits")" = 1 -a \
	"$(sha256sum "$STORED" | cut -c1-64)" = "$SHA"
expect_exit 0 "$ESCROW" vault audit V
expect_exit 0 "$ESCROW" vault log V --verify

# The same for two releases on one new evidence document: A stores it and
# stops before rewrapping; B finds it stored (not its own) and stops there
# too; A's rewrap fails and A takes its copy back; then B goes on. A release
# event must never name evidence that is not in the store: B either finds
# the document gone and records nothing (exit 74, saying to release again),
# or records it with the document there.
vault_age_keys notary client
vault_pack s.escrow full agency.key c1.yaml --release 2.0 -r "$(cat notary.age.pub)"
ledger_args W
expect_exit 0 "$ESCROW" vault init W -s notary.key -i notary.age "${LEDGER[@]}"
expect_exit 0 "$ESCROW" vault contract add W c1.yaml -p agency.pub
expect_exit 0 "$ESCROW" vault receive W s.escrow
printf 'Tribunal de commerce: liquidation judiciaire, 2026-06-01\n' >order.txt
EV=$(sha256sum order.txt | cut -c1-64)
EVF="W/store/sha256/${EV:0:2}/$EV.evidence"
at_rewrap() { # NAME GO OUT [gdb commands...]
	local name=$1 go=$2 out=$3
	shift 3
	gdb -q -batch -nx -ex 'set breakpoint pending on' -ex 'break esc_rewrap' \
		-ex "set args vault release W C-2026-01 --event bankruptcy --evidence order.txt -r $(cat client.age.pub) -o $out 2>$name.err" \
		-ex run -ex "shell touch $name.at; while [ ! -e $go ]; do sleep 0.1; done" "$@" -ex continue \
		"$ESCROW_BIN" >"$name.gdb" 2>&1 </dev/null &
}
at_rewrap RA go.ra ra.escrow -ex 'return 17'
pa=$!
wait_for RA.at
expect_true "A stored the evidence before rewrapping" test -s "$EVF"
at_rewrap RB go.rb rb.escrow
pb=$!
wait_for RB.at
touch go.ra
wait "$pa"
expect_grep 'exited with code 0112' RA.gdb
touch go.rb
wait "$pb"
if [ "$(sql W "SELECT count(*) FROM events WHERE kind = 'release'")" = 0 ]; then
	expect_grep 'exited with code 0112' RB.gdb
	expect_grep "the evidence is no longer in the store \(a release on the same document that failed at the same time took its copy back\): release again" RB.err
	expect_true "nothing released by B" test ! -e rb.escrow
else
	expect_true "the release's evidence is in the store" test -s "$EVF"
fi
"$ESCROW" vault audit W >audit.out 2>&1
expect_true "audit names no failed evidence" test -z "$(grep '^FAILED evidence' audit.out)"
expect_exit 0 "$ESCROW" vault release W C-2026-01 --event bankruptcy --evidence order.txt -r "$(cat client.age.pub)" -o rc.escrow
expect_exit 0 "$ESCROW" vault audit W
finish
