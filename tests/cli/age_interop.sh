#!/usr/bin/env bash
# age interop: keys from 'escrow keygen --age' work with stock age and keys
# from stock age-keygen work with escrow; a deposit sealed by stock age is
# verified and rewrapped by 'escrow rewrap', whose output opens with stock
# 'age -d' for the new recipient only, and keeps the payload bytes.
. "$(dirname "$0")/lib.sh"

if ! command -v age >/dev/null || ! command -v age-keygen >/dev/null; then
	echo "FAIL: stock age and age-keygen are needed (Debian package 'age')" >&2
	exit 1
fi

# Bytes after the age header ("--- MAC\n" is always 48 bytes).
payload_of() { # file -> the nonce and payload on stdout
	local off
	off=$(grep -a -b -m1 '^--- ' "$1" | cut -d: -f1)
	tail -c +$((off + 49)) "$1"
}

# age -o creates its output only on the first byte: write through stdout.
age_d() { # identity file output
	age -d -i "$1" "$2" >"$3"
}

head -c 100000 /dev/urandom >f
head -c 131072 /dev/urandom >f2 # two full chunks: a full final chunk
: >f0

# 1. escrow's identity file and recipient with stock age.
expect_exit 0 "$ESCROW" keygen --age -o p
expect_true "p.age is mode 600" test "$(stat -c %a p.age)" = 600
expect_grep '^# created: ' p.age
expect_grep '^# public key: age1[a-z0-9]{58}$' p.age
expect_grep '^AGE-SECRET-KEY-1[A-Z0-9]{58}$' p.age
expect_grep '^age1[a-z0-9]{58}$' p.age.pub
expect_true "age-keygen -y gives our recipient" test "$(age-keygen -y p.age)" = "$(cat p.age.pub)"
for x in f f2 f0; do
	expect_exit 0 age -r "$(cat p.age.pub)" -o "$x.age" "$x"
	expect_exit 0 age_d p.age "$x.age" "$x.out"
	expect_true "stock age round trip with escrow keys ($x)" cmp -s "$x" "$x.out"
done
expect_exit 73 "$ESCROW" keygen --age -o p
expect_exit 0 "$ESCROW" keygen --age -o p --force -q

# 2. A deposit sealed by stock age for a stock identity, rewrapped by escrow:
# escrow packs it unsealed, stock age seals it, escrow verifies and rewraps it,
# and stock age opens the release to the very bundle the agency packed.
age-keygen -o k.txt 2>/dev/null
expect_exit 0 "$ESCROW" keygen --age -o client -q
expect_exit 0 "$ESCROW" keygen -W -o agency -q
mkdir src
cp f src/weights.bin
echo 'print("hi")' >src/main.py
expect_exit 0 "$ESCROW" pack src -o dep.escrow -s agency.key -q
expect_exit 0 age -r "$(age-keygen -y k.txt)" -o dep.sealed dep.escrow
expect_exit 0 "$ESCROW" rewrap dep.sealed -p agency.pub -i k.txt -r "$(cat client.age.pub)" -o dep.rewrapped
expect_grep '^verdict: verified' out
expect_exit 0 age_d client.age dep.rewrapped dep.released
expect_true "client opens the release to the agency's bundle" cmp -s dep.escrow dep.released
expect_exit 1 age -d -i k.txt -o /dev/null dep.rewrapped
payload_of dep.sealed >p1
payload_of dep.rewrapped >p2
expect_true "payload bytes unchanged by rewrap" cmp -s p1 p2
expect_true "payload is not empty" test -s p1
expect_exit 0 "$ESCROW" verify dep.rewrapped -p agency.pub -i client.age -q

# Several identities (-i twice), recipients from a file and on the command line.
age-keygen -o other.txt 2>/dev/null
{ echo "# the client and the court"; cat client.age.pub; echo; age-keygen -y other.txt; } >rcpts.txt
expect_exit 0 "$ESCROW" rewrap dep.sealed -p agency.pub -i p.age -i k.txt -R rcpts.txt -r "$(cat p.age.pub)" \
	-o multi.age -q
expect_true "quiet means no output" test ! -s out
for id in client.age other.txt p.age; do
	expect_exit 0 age -d -i "$id" -o multi.out multi.age
	expect_true "multi-recipient file opens with $id" cmp -s dep.escrow multi.out
	rm -f multi.out
done

# 3. Signed release: OUT.minisig checks with stock minisign, and its trusted
# comment names the source deposit.
if need_tool minisign minisign; then
	expect_exit 0 "$ESCROW" keygen -W -o sign -q
	expect_exit 0 "$ESCROW" rewrap dep.sealed -p agency.pub -i k.txt -r "$(cat client.age.pub)" -o signed.age \
		-s sign.key
	expect_exit 0 minisign -Vm signed.age -p sign.pub
	expect_grep "source-sha256=$(sha256sum dep.sealed | cut -d' ' -f1) " out
fi

# 3b. A rewrap without -s over an earlier signed output removes its stale
# OUT.minisig under --force (verify would find it not matching), and only
# warns about one it may not replace.
expect_exit 0 "$ESCROW" keygen -W -o stale -q
R=(-p agency.pub -i k.txt -r "$(cat client.age.pub)")
expect_exit 0 "$ESCROW" rewrap dep.sealed "${R[@]}" -o stale.age -s stale.key -q
expect_true "a signed rewrap writes OUT.minisig" test -s stale.age.minisig
echo x >stale2.age.minisig
expect_exit 73 "$ESCROW" rewrap dep.sealed "${R[@]}" -o stale2.age -s stale.key
expect_grep 'stale2.age.minisig: already exists' err
expect_true "nothing written when OUT.minisig may not be replaced" test ! -e stale2.age
expect_exit 0 "$ESCROW" rewrap dep.sealed "${R[@]}" -o stale.age --force
expect_grep 'warning: .*stale\.age\.minisig: removed' err
expect_true "stale OUT.minisig removed" test ! -e stale.age.minisig
expect_exit 0 age_d client.age stale.age stale.out
expect_true "the new output opens" cmp -s dep.escrow stale.out
echo "not a signature" >fresh.age.minisig
expect_exit 0 "$ESCROW" rewrap dep.sealed "${R[@]}" -o fresh.age
expect_grep 'warning: .*fresh\.age\.minisig: does not sign the new' err
expect_true "without --force OUT.minisig is left" test -s fresh.age.minisig

# 4. Failures leave nothing behind and exit with the documented codes.
expect_exit 1 "$ESCROW" rewrap dep.sealed -p agency.pub -i client.age -r "$(cat p.age.pub)" -o none.age
expect_grep 'none of the 1 identities' err
expect_true "no output on failure" test ! -e none.age
cp dep.sealed bad.sealed
c=$(dd if=bad.sealed bs=1 skip=60 count=1 2>/dev/null) # inside the X25519 share
[ "$c" = A ] && c=B || c=A
printf '%s' "$c" | dd of=bad.sealed bs=1 seek=60 conv=notrunc 2>/dev/null
expect_exit 1 "$ESCROW" rewrap bad.sealed -p agency.pub -i k.txt -r "$(cat p.age.pub)" -o none.age
expect_true "no output on failure" test ! -e none.age
expect_exit 65 "$ESCROW" rewrap dep.escrow -p agency.pub -i k.txt -r "$(cat p.age.pub)" -o none.age
expect_grep 'not sealed' err
expect_exit 65 "$ESCROW" rewrap f -p agency.pub -i k.txt -r "$(cat p.age.pub)" -o none.age
expect_grep 'not an escrow bundle' err
expect_exit 66 "$ESCROW" rewrap missing.age -p agency.pub -i k.txt -r "$(cat p.age.pub)" -o none.age
expect_exit 66 "$ESCROW" rewrap dep.sealed -p agency.pub -i missing.txt -r "$(cat p.age.pub)" -o none.age
expect_exit 66 "$ESCROW" rewrap dep.sealed -p missing.pub -i k.txt -r "$(cat p.age.pub)" -o none.age
expect_exit 65 "$ESCROW" rewrap dep.sealed -p agency.pub -i k.txt -r age1notakey -o none.age
expect_grep 'not an age X25519 recipient' err
echo "AGE-SECRET-KEY-1NOTAKEY" >bad.txt
expect_exit 65 "$ESCROW" rewrap dep.sealed -p agency.pub -i bad.txt -r "$(cat p.age.pub)" -o none.age
expect_grep 'bad.txt:1:' err
expect_exit 73 "$ESCROW" rewrap dep.sealed -p agency.pub -i k.txt -r "$(cat p.age.pub)" -o dep.rewrapped
expect_grep 'already exists' err
expect_exit 0 "$ESCROW" rewrap dep.sealed -p agency.pub -i k.txt -r "$(cat p.age.pub)" -o dep.rewrapped --force -q
expect_exit 0 age -d -i p.age -o /dev/null dep.rewrapped
expect_true "no temporary files left" test -z "$(ls -a | grep 'escrow-tmp')"
expect_true "no output on failure" test ! -e none.age

# 5. Usage.
P=$(cat p.age.pub)
expect_exit 0 "$ESCROW" rewrap --help
expect_grep '^usage: escrow rewrap' out
expect_exit 64 "$ESCROW" rewrap dep.sealed -i k.txt -r "$P" -o x.age
expect_grep 'missing -p AGENCY.pub' err
expect_exit 64 "$ESCROW" rewrap dep.sealed -p agency.pub -r "$P" -o x.age
expect_exit 64 "$ESCROW" rewrap dep.sealed -p agency.pub -i k.txt -o x.age
expect_exit 64 "$ESCROW" rewrap dep.sealed -p agency.pub -i k.txt -r "$P"
expect_exit 64 "$ESCROW" rewrap -p agency.pub -i k.txt -r "$P" -o x.age
expect_exit 64 "$ESCROW" rewrap dep.sealed g.sealed -p agency.pub -i k.txt -r "$P" -o x.age
expect_exit 64 "$ESCROW" rewrap dep.sealed -p agency.pub -i k.txt -r "$P" -o x.age -o y.age
expect_grep "try 'escrow rewrap --help'" err
expect_exit 64 "$ESCROW" rewrap dep.sealed -p agency.pub -p agency.pub -i k.txt -r "$P" -o x.age
expect_exit 64 "$ESCROW" rewrap - -p agency.pub -i k.txt -r "$P" -o x.age
expect_exit 64 "$ESCROW" rewrap dep.sealed -i
finish
