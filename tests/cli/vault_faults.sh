#!/usr/bin/env bash
# escrow vault receive under faults (docs/VAULT.md, "The store"):
# - SIGKILL at many points of a receive (right away, once the temporary copy
#   appears, half written, once renamed to its name, once SQLite's WAL holds
#   the deposit's transaction, once the receipt's signature is written, and
#   after a series of delays). No time is asserted,
#   only invariants after each kill: the deposit is recorded with its store
#   file whole (its SHA-256), or not recorded; a file under its final name is
#   always whole; `vault log --verify` passes; `vault audit` passes or reports
#   only strays (no FAILED deposit); a new receive of the same bundle then
#   succeeds, leaving one deposit and one store file, and audit passes once
#   the reported temporaries are removed.
# - A full disk (a 4 MiB tmpfs, when this runs as root and may mount it):
#   exit 74 naming the store, nothing recorded, no file left in the store, and
#   the vault works once space is freed.
# - The ledger's file system full (SQLite; the vault on a small tmpfs, its
#   store on a tmpfs of its own with room): from 0 to 128 KiB left, so that
#   the receive fails opening the ledger, while committing the deposit, while
#   writing the receipt, or goes through; after each, exit 0 or 74 with a
#   message naming the file and the fix, the deposit recorded with its store
#   file whole or absent with no store file, `log --verify` and `audit` pass
#   once space is freed, and receiving again leaves one deposit.
# - The receipt's file system full (-o on a full tmpfs, both backends):
#   exit 74, the deposit recorded, nothing partial beside -o, the signed
#   receipt kept in VAULT/receipts and the message saying to copy it from
#   there; it verifies, `log --verify` and `audit` pass.
# With ESCROW_TEST_PG set (tests/pg.sh; ctest cli_vault_faults_pg) the kill
# points run with every vault's ledger a database of that PostgreSQL server.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
vault_need_sqlite3

vault_keys agency notary
vault_contract c1.yaml code
# a bundle big enough that a receive takes a moment: 24 MiB of random bytes
mkdir -p big/src small/src
head -c $((24 << 20)) /dev/urandom >big/src/blob.bin
head -c $((3 << 20)) /dev/urandom >small/src/blob.bin
vault_pack big.escrow big agency.key c1.yaml --release 1.0
vault_pack small.escrow small agency.key c1.yaml --release 2.0
[ -s big.escrow ] && [ -s small.escrow ] || { echo "FAIL: pack" >&2; exit 1; }
SHA=$(sha256sum big.escrow | cut -c1-64)
STORED=store/sha256/${SHA:0:2}/$SHA.escrow

new_vault() { vault_new "${2:-$1}" "$1"; } # NAME [DIR]: an empty vault with the contract registered
deposits() { sql "$1" "SELECT count(*) FROM deposits WHERE bundle_sha256 = '$SHA'"; }
whole() { [ "$(sha256sum "$1" | cut -c1-64)" = "$SHA" ]; }

# the invariants after a kill, then a new receive of the same bundle
check_after_kill() {
	local v=$1 what=$2 n rc
	n=$(deposits "$v")
	case "$n" in
	1) expect_true "$what: recorded, its store file whole" whole "$v/$STORED" ;;
	0) ;;
	*) expect_true "$what: $n deposits of one bundle" false ;;
	esac
	[ ! -e "$v/$STORED" ] || expect_true "$what: the file under its final name is whole" whole "$v/$STORED"
	expect_exit 0 "$ESCROW" vault log "$v" --verify || echo "  (after kill $what)" >&2
	"$ESCROW" vault audit "$v" >audit.out 2>audit.err && rc=0 || rc=$?
	if [ "$rc" = 1 ]; then
		expect_true "$what: audit names no failed deposit" test -z "$(grep '^FAILED' audit.out)"
		expect_true "$what: audit reports strays only" grep -q '^STRAY ' audit.out
	else
		expect_true "$what: audit exit $rc (0 or 1 with strays)" test "$rc" = 0
	fi
	expect_exit 0 "$ESCROW" vault receive "$v" big.escrow -q || echo "  (receive after kill $what)" >&2
	expect_true "$what: one deposit after the new receive" test "$(deposits "$v")" = 1
	expect_true "$what: one store file" test "$(find "$v/store" -name '*.escrow' | wc -l)" = 1
	expect_true "$what: it is whole" whole "$v/$STORED"
	# leftover temporaries are for the operator, reported by audit
	for f in "$v"/store/sha256/.incoming.*; do
		[ -e "$f" ] || continue
		expect_exit 1 "$ESCROW" vault audit "$v"
		expect_grep "^STRAY store/sha256/${f##*/}: a temporary copy" out
		rm -f "$f"
	done
	expect_exit 0 "$ESCROW" vault audit "$v" || echo "  (audit after kill $what)" >&2
	expect_exit 0 "$ESCROW" vault log "$v" --verify
}

# start_receive VAULT: a receive in the background, $pid its process
start_receive() {
	"$ESCROW" vault receive "$1" big.escrow -q >/dev/null 2>&1 </dev/null &
	pid=$!
}
# kill_when VAULT WHAT CONDITION...: kills the receive once CONDITION holds
# (or when it has ended); the invariants checked.
kills=0
landed=0
kill_when() {
	local v=$1 what=$2
	shift 2
	new_vault "$v"
	start_receive "$v"
	while kill -0 "$pid" 2>/dev/null && ! "$@"; do :; done
	local ran=no
	if kill -9 "$pid" 2>/dev/null; then ran=yes landed=$((landed + 1)); fi
	wait "$pid" 2>/dev/null
	kills=$((kills + 1))
	echo "kill $what: running $ran, recorded $(deposits "$v"), final name $([ -e "$v/$STORED" ] && echo yes || echo no)," \
		"temporaries $(compgen -G "$v/store/sha256/.incoming.*" | wc -l), receipt $([ -e "$v/receipts/$SHA.json" ] && echo yes || echo no)"
	check_after_kill "$v" "$what"
	rm -rf "$v"
}
has_incoming() { compgen -G "$1/store/sha256/.incoming.*" >/dev/null; }
half_written() {
	local f
	for f in "$1"/store/sha256/.incoming.*; do
		[ -e "$f" ] && [ "$(stat -c %s "$f" 2>/dev/null || echo 0)" -ge $(($(stat -c %s big.escrow) / 2)) ] && return 0
	done
	return 1
}
has_file() { [ -e "$1" ]; }
wal_written() { [ -s "$1/ledger.sqlite-wal" ]; } # the deposit's transaction being committed
sleep_for() { sleep "$1"; }

kill_when K0 "at once" true
kill_when K1 "temporary created" has_incoming K1
kill_when K2 "temporary half written" half_written K2
kill_when K3 "renamed to its name" has_file "K3/$STORED"
[ -n "$PG" ] || kill_when KW "ledger WAL written" wal_written KW
kill_when K4 "receipt signature written" has_file "K4/receipts/$SHA.json.minisig"
i=5
for d in 0.002 0.005 0.01 0.015 0.02 0.03 0.04 0.05 0.06 0.07 0.08 0.1 0.15 0.3; do
	kill_when K$i "after ${d}s" sleep_for "$d"
	i=$((i + 1))
done
echo "$kills kill points exercised, $landed killed a running receive"
expect_true "kills landed on a running receive" test "$landed" -ge 3

# the full-disk parts need root and tmpfs mounts
can_mount=no
if [ "$(id -u)" = 0 ] && mkdir -p mnt && mount -t tmpfs -o size=4m tmpfs mnt 2>/dev/null; then
	can_mount=yes
	umount_all() { # every mount under $T, innermost first
		local m
		for m in $(findmnt -rn -o TARGET | grep "^$T/" | sort -r); do umount "$m"; done
	}
	trap 'umount_all; rm -rf "$T"' EXIT
else
	echo "NOTE: full-disk parts left out: they need root and 'mount -t tmpfs' (not available here)" >&2
	skips="${skips:+$skips, }root with 'mount -t tmpfs' (for the full-disk parts)"
fi
SSHA=$(sha256sum small.escrow | cut -c1-64)
SSTORED=store/sha256/${SSHA:0:2}/$SSHA.escrow
fill_but() { # DIR BYTES: fills DIR's file system but for BYTES
	rm -f "$1/filler"
	head -c $(($(df -B1 --output=avail "$1" | tail -1) - $2)) /dev/zero >"$1/filler"
}

# a full disk: the vault in a 4 MiB tmpfs, filled but for 1 MiB
if [ -n "$PG" ]; then
	echo "NOTE: the store's and the ledger's full-disk parts run with SQLite only (cli_vault_faults)" >&2
elif [ "$can_mount" = yes ]; then
	new_vault F mnt/F
	fill_but mnt $((1 << 20))
	expect_exit 74 "$ESCROW" vault receive mnt/F small.escrow
	sed "s/^/full disk: /" err
	expect_grep 'mnt/F/store/sha256/\.incoming\..*(No space left on device|ENOSPC).*free space' err
	expect_true "full disk: nothing recorded" test "$(sqlite3 mnt/F/ledger.sqlite 'SELECT count(*) FROM deposits')" = 0
	expect_true "full disk: no file left in the store" test -z "$(find mnt/F/store -type f)"
	expect_exit 0 "$ESCROW" vault audit mnt/F
	expect_exit 0 "$ESCROW" vault log mnt/F --verify
	rm mnt/filler
	expect_exit 0 "$ESCROW" vault receive mnt/F small.escrow -q
	expect_true "space freed: recorded" test "$(sqlite3 mnt/F/ledger.sqlite "SELECT count(*) FROM deposits WHERE bundle_sha256 = '$SSHA'")" = 1
	expect_true "space freed: stored whole" test "$(sha256sum mnt/F/store/sha256/${SSHA:0:2}/$SSHA.escrow | cut -c1-64)" = "$SSHA"
	expect_exit 0 "$ESCROW" vault audit mnt/F
	umount mnt

	# the ledger's file system full: the vault (ledger.sqlite, its WAL, the
	# receipts) on a 4 MiB tmpfs, the store on a 32 MiB one mounted over
	# VAULT/store, so that the store's copy succeeds and the ledger runs out
	seen=" "
	for kib in 0 16 32 40 48 56 64 68 72 76 80 88 96 128; do
		mkdir -p L$kib
		mount -t tmpfs -o size=4m tmpfs L$kib
		new_vault G L$kib/G
		mount -t tmpfs -o size=32m tmpfs L$kib/G/store
		mkdir -m 700 L$kib/G/store/sha256
		fill_but L$kib $((kib << 10))
		what="ledger disk full but ${kib} KiB"
		"$ESCROW" vault receive L$kib/G small.escrow -q >out 2>err && rc=0 || rc=$?
		n=$(sqlite3 L$kib/G/ledger.sqlite "SELECT count(*) FROM deposits" 2>/dev/null || echo "?")
		stored=$([ -e "L$kib/G/$SSTORED" ] && echo yes || echo no)
		echo "$what: exit $rc, recorded $n, stored $stored: $(head -c 200 err)"
		checks=$((checks + 1))
		if [ "$rc" = 0 ]; then
			seen="$seen ok"
		elif [ "$rc" = 74 ] && grep -qE "^escrow: error: ledger L$kib/G/ledger\.sqlite: [a-z ]+: .*\(the disk is full: free space on the file system that holds it, then retry\)" err; then
			seen="$seen $(grep -q ': committing: ' err && echo commit || echo ledger)"
			rm -f L$kib/filler # the ledger is read again once there is room
			expect_true "$what: nothing recorded" test "$(sqlite3 L$kib/G/ledger.sqlite "SELECT count(*) FROM deposits")" = 0
			expect_true "$what: no store file left" test -z "$(find L$kib/G/store -type f)"
		elif [ "$rc" = 74 ] && grep -qE "^escrow: error: the receipt L$kib/G/receipts/$SSHA\.json could not be written: .*No space left on device.*; deposit 1 is recorded \(event 3, .*free space on that file system" err; then
			seen="$seen receipt"
			expect_true "$what: recorded, store file whole" test "$n $(sha256sum "L$kib/G/$SSTORED" | cut -c1-64)" = "1 $SSHA"
			expect_true "$what: no partial receipt" test -z "$(ls L$kib/G/receipts)"
		else
			echo "FAIL: $what: exit $rc, or a message that does not name the file and the fix:" >&2
			sed 's/^/  /' err >&2
			fails=$((fails + 1))
		fi
		rm -f L$kib/filler
		n=$(sqlite3 L$kib/G/ledger.sqlite "SELECT count(*) FROM deposits")
		case "$n" in
		1) expect_true "$what: recorded, its store file whole" test "$(sha256sum "L$kib/G/$SSTORED" | cut -c1-64)" = "$SSHA" ;;
		0) expect_true "$what: not recorded, not stored" test ! -e "L$kib/G/$SSTORED" ;;
		*) expect_true "$what: $n deposits" false ;;
		esac
		expect_exit 0 "$ESCROW" vault log L$kib/G --verify || echo "  ($what)" >&2
		"$ESCROW" vault audit L$kib/G >audit.out 2>audit.err && rc=0 || rc=$?
		expect_true "$what: audit passes or reports strays only (exit $rc)" test "$rc" = 0 -o \( "$rc" = 1 -a -z "$(grep '^FAILED' audit.out)" \)
		expect_exit 0 "$ESCROW" vault receive L$kib/G small.escrow -q || echo "  ($what: receive again)" >&2
		expect_true "$what: one deposit after the new receive" test "$(sqlite3 L$kib/G/ledger.sqlite "SELECT count(*) FROM deposits")" = 1
		umount L$kib/G/store
		umount L$kib
	done
	echo "ledger disk full, outcomes by space left:$seen"
	expect_true "the ledger ran out of space while committing a deposit" test -n "$(echo "$seen" | grep -w commit)"
	expect_true "and some receives went through" test -n "$(echo "$seen" | grep -w ok)"
fi

# the receipt's file system full (-o on a full 1 MiB tmpfs, with nothing left
# or one page): the deposit is recorded, so the signed receipt is kept in the
# vault instead and the message says to copy it from there
if [ "$can_mount" = yes ]; then
	mkdir -p rcpt
	mount -t tmpfs -o size=1m tmpfs rcpt
	for left in 0 4096; do
		new_vault R$left
		fill_but rcpt $left
		what="receipt disk full but $left bytes"
		expect_exit 74 "$ESCROW" vault receive R$left small.escrow -o rcpt/receipt.json || echo "  ($what)" >&2
		sed "s/^/$what: /" err
		KEPT=R$left/receipts/$SSHA.json
		expect_grep "^escrow: error: the receipt rcpt/receipt\.json could not be written: rcpt/receipt\.json(\.minisig)?: .*No space left on device.*; deposit 1 is recorded \(event 3\) and its signed receipt was kept in the vault instead: copy $KEPT and $KEPT\.minisig from there\$" err
		expect_true "$what: nothing partial beside -o" test "$(ls -A rcpt)" = filler
		expect_true "$what: recorded" test "$(sql R$left "SELECT count(*) FROM deposits WHERE bundle_sha256 = '$SSHA'")" = 1
		expect_true "$what: stored whole" test "$(sha256sum "R$left/$SSTORED" | cut -c1-64)" = "$SSHA"
		expect_exit 0 "$ESCROW" receipt verify "$KEPT" -p notary.pub --bundle small.escrow
		! need_tool minisign minisign || expect_exit 0 minisign -Vm "$KEPT" -p notary.pub
		expect_exit 0 "$ESCROW" vault log R$left --verify
		expect_grep '1 kept receipt\(s\) ok' out
		expect_exit 0 "$ESCROW" vault audit R$left
		expect_exit 0 "$ESCROW" vault receive R$left small.escrow -q
		expect_true "$what: one deposit after receiving again" test "$(sql R$left "SELECT count(*) FROM deposits")" = 1
		rm -f rcpt/filler
	done
	umount rcpt
fi

# A vault folder deep enough that the ledger's path passes SQLite's limit
# (504 bytes from /, with its "-journal"): the message says so, not "check
# that the vault folder exists", and nothing is left; 504 itself works.
deep_at() { python3 -c 'import sys
p, n = sys.argv[1], int(sys.argv[2]) - len("/ledger.sqlite")
while len(p) < n: p += "/" + "d" * min(100, n - len(p) - 1)
print(p)' "$PWD" "$1"; }
ok=$(deep_at 504) long=$(deep_at 505)
mkdir -p "$(dirname "$ok")" "$(dirname "$long")"
expect_exit 0 "$ESCROW" vault init "$ok" -s notary.key -q
expect_exit 73 "$ESCROW" vault init "$long" -s notary.key
expect_grep "its path from / is 505 bytes, and SQLite opens a ledger at a path of at most 504" "$T/err"
expect_true "nothing left of the refused vault" test ! -e "$long"

# Bytes that are no bundle: one error that names the file given (not the
# store's copy, and no empty verdict before it), nothing on stdout (no
# "deposit 0" summary), nothing kept in the store.
expect_exit 0 "$ESCROW" vault init "$PWD/J" -s notary.key -q
head -c 5000 /dev/urandom >junk.escrow
expect_exit 65 "$ESCROW" vault receive J junk.escrow
expect_true "no summary of a deposit that was not made" test ! -s "$T/out"
expect_grep '^escrow: error: junk.escrow: the bundle names no contract the vault can read \(junk.escrow is not an escrow bundle' "$T/err"
expect_true "the store keeps nothing" test -z "$(find J/store -type f)"
# A bundle on standard input: a usage error that says why and what to do,
# in the user's words (no library function's name).
expect_exit 64 sh -c '"$1" vault receive J - <junk.escrow' sh "$ESCROW"
expect_grep '^escrow: error: vault receive: the bundle must be a file, not standard input \(-\): .*save the stream to a file' "$T/err"
expect_true "no library name in the message" sh -c '! grep -q escrow_vault "$1"' sh "$T/err"

finish
