#!/usr/bin/env bash
# escrow vault receive reads a bundle once (docs/VAULT.md, "Receive"): the
# signer and the contract come from the signature without reading the bundle
# (the tag signature in the last zstd frame of an unsealed bundle, the
# detached .minisig of a sealed one), and the store's copy is written from the
# bytes the verification reads. Measured without timing: the bytes the
# process read with read(2) (rchar of /proc/PID/io, which the kernel adds to
# the parent's when it waits for the child), against the bundle's size.
# A deposit with a previous accepted one is compared with it from the file
# records that one's receive kept (docs/VAULT.md, receive step 6): the
# previous bundle is not read.
# When the hint is missing (a sealed bundle without its .minisig), or the
# verdict comes before the end of the file (a damaged payload), two readings
# are made and the stored copy is still the whole file, byte for byte.
# `vault audit --full` reads each stored file once as well.
. "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=1767225600
[ -r /proc/self/io ] || skip_test "/proc/self/io is not readable here (no I/O accounting)"

for k in agency notary; do "$ESCROW" keygen -W -q -o $k; done
"$ESCROW" keygen --age -q -o notary
cat >c1.yaml <<'Y'
escrow-contract: 1
contract: C-2026-01
agency: Agence
client: Client
deliverables:
  - id: code
    kind: code
    include: ["src/**"]
Y
# 8 MiB of random bytes: incompressible, so the bundle is about that size and
# the keys, contract and ledger read besides are small against it
mkdir -p p/src
head -c $((8 << 20)) /dev/urandom >p/src/blob.bin
echo 'print("hi")' >p/src/app.py
pack() { "$ESCROW" pack p -o "$1" -s agency.key -c c1.yaml -q "${@:2}" 2>/dev/null; }
pack u.escrow --release 1.0
pack s.escrow --release 2.0 -r "$(cat notary.age.pub)"
pack s2.escrow --release 3.0 -r "$(cat notary.age.pub)"
rm s2.escrow.minisig
pack t.escrow --release 4.0
# t.escrow damaged in the middle of its payload: the frame's checksum or the
# file's digest fails there, long before the end
python3 - t.escrow <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 0x55
open(p, "wb").write(b)
PY
"$ESCROW" vault init V -s notary.key -i notary.age -q
"$ESCROW" vault contract add V c1.yaml -p agency.pub -q

# receive_read BUNDLE EXIT: receives it, sets READ to the bytes read
receive_read() {
	local rc
	sh -c '"$@" >/dev/null 2>&1; rc=$?; echo "$rc $(sed -n "s/^rchar: //p" /proc/$$/io)"' sh \
		"$ESCROW" vault receive V "$1" >rchar.out
	read -r rc READ <rchar.out
	expect_true "receive $1: exit $2 (got $rc)" test "$rc" = "$2"
}
size() { stat -c %s "$1"; }
stored() { local h; h=$(sha256sum "$1" | cut -c1-64); echo "V/store/sha256/${h:0:2}/$h.escrow"; }
once() { # BUNDLE: read at most once (10% for everything else)
	local s
	s=$(size "$1")
	expect_true "$1 read once: $READ bytes read for $s" test "$READ" -ge "$s" -a "$READ" -le $((s + s / 10))
}

receive_read u.escrow 0
once u.escrow
expect_true "unsealed: the stored copy is the bundle" cmp u.escrow "$(stored u.escrow)"

# the second deposit is compared with the first (the contract's previous
# accepted deposit) from the records its receive kept: read once too
receive_read s.escrow 0
once s.escrow
expect_true "sealed: the stored copy is the bundle" cmp s.escrow "$(stored s.escrow)"
expect_true "sealed: its .minisig beside it" cmp s.escrow.minisig "$(stored s.escrow).minisig"

# no hint: stored first, then read for its names, then verified
receive_read s2.escrow 0
expect_true "without .minisig: read twice or more ($READ bytes)" test "$READ" -ge $((2 * $(size s2.escrow)))
expect_true "without .minisig: the stored copy is the bundle" cmp s2.escrow "$(stored s2.escrow)"

# a verdict before the end: the refused bundle is stored whole and recorded
receive_read t.escrow 1
expect_true "damaged: the stored copy is the whole bundle" cmp t.escrow "$(stored t.escrow)"
expect_exit 0 "$ESCROW" vault list V --json
expect_grep '"verdict": "tampered"' out

# the same bundle again: nothing new stored, read once (no diff: it is not new)
receive_read u.escrow 0
once u.escrow
expect_true "4 store files, no temporary left" \
	test "$(find V/store -type f -name '*.escrow' | wc -l)" = 4 -a -z "$(find V/store -name '.incoming.*')"
expect_exit 0 "$ESCROW" vault log V --verify
expect_exit 0 "$ESCROW" vault audit V

# audit --full: each stored file read once (the verification's reading gives
# its SHA-256, size and detached signature)
sh -c '"$@" >/dev/null 2>&1; echo "$? $(sed -n "s/^rchar: //p" /proc/$$/io)"' sh \
	"$ESCROW" vault audit V --full >rchar.out
read -r rc READ <rchar.out
total=$(cat V/store/sha256/*/*.escrow | wc -c)
expect_true "audit --full: exit 0 (got $rc)" test "$rc" = 0
expect_true "audit --full read each file once: $READ bytes for $total" \
	test "$READ" -ge "$total" -a "$READ" -le $((total + total / 10))
# and still finds a changed byte, by its digest
f=$(stored u.escrow)
cp "$f" saved.escrow
python3 - "$f" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[100] ^= 1
open(p, "wb").write(b)
PY
expect_exit 1 "$ESCROW" vault audit V --full
expect_grep "has SHA-256 .*, the ledger recorded .* \\(its bytes changed\\)" out
cp saved.escrow "$f"
expect_exit 0 "$ESCROW" vault audit V --full

# A bundle packed without a contract is recorded under none, even when its
# signed comment names one first (a release "1 contract=C-2026-01 created=x"
# came before pack's own "contract=none"): the hint is not the bag's word.
mkdir -p q/src && echo 'print(2)' >q/src/app.py
"$ESCROW" pack q -o nc.escrow -s agency.key -q --release "1 contract=C-2026-01 created=x"
before=$(find V/store -type f | wc -l)
expect_exit 65 "$ESCROW" vault receive V nc.escrow
expect_grep "packed without a contract" err
expect_true "nothing stored" test "$(find V/store -type f | wc -l)" = "$before"
finish
