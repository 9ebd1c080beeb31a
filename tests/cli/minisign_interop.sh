#!/usr/bin/env bash
# Keys from 'escrow keygen' work with stock minisign: unencrypted (-W) and
# scrypt-protected (ESCROW_PASSPHRASE). minisign reads a passphrase from stdin
# when stdin is not a terminal. (Keys and signatures made by minisign and
# loaded by libescrow are checked in tests/unit/test_minisign_interop.c.)
. "$(dirname "$0")/lib.sh"

command -v minisign >/dev/null || skip_test "minisign is not installed (Debian package minisign)"
printf 'payload for the escrow agent\n' >data.txt

# escrow keygen -W -> minisign signs and verifies.
expect_exit 0 "$ESCROW" keygen -W -o plain
id=$(sed -n 's/^key id //p' out)
expect_exit 0 minisign -S -s plain.key -m data.txt -t "signed by minisign"
expect_exit 0 minisign -Vm data.txt -p plain.pub
expect_grep 'Signature and comment signature verified' out
expect_grep 'Trusted comment: signed by minisign' out
# minisign names the same key id when the key is wrong for the signature
# (it prints ids without leading zeros, escrow with: %016llX).
"$ESCROW" keygen -q -W -o other </dev/null
expect_exit 1 minisign -Vm data.txt -p other.pub
expect_grep "key id in data.txt.minisig is $(printf %s "$id" | sed 's/^0*//')\$" err
cp data.txt changed.txt
cp data.txt.minisig changed.txt.minisig
echo x >>changed.txt
expect_exit 1 minisign -Vm changed.txt -p plain.pub

# A passphrase key: kdf "Sc" with minisign's limits, usable by minisign.
expect_exit 0 env ESCROW_PASSPHRASE='open sesame' "$ESCROW" keygen -o locked
expect_true "locked.key is scrypt-protected (EdScB2)" \
	test "$(sed -n 2p locked.key | base64 -d | head -c 6)" = EdScB2
limits=$(sed -n 2p locked.key | base64 -d | od -An -tu8 -j38 -N16 | tr -s ' ')
expect_true "scrypt limits are minisign's (33554432 1073741824), got '$limits'" \
	test "$limits" = " 33554432 1073741824"
checks=$((checks + 1))
if ! printf 'open sesame\n' | minisign -S -s locked.key -m data.txt -x locked.sig >"$T/out" 2>"$T/err"; then
	echo "FAIL: minisign could not sign with the escrow passphrase key" >&2
	sed 's/^/  /' "$T/err" >&2
	fails=$((fails + 1))
fi
expect_exit 0 minisign -Vm data.txt -x locked.sig -p locked.pub
checks=$((checks + 1))
if printf 'wrong\n' | minisign -S -s locked.key -m data.txt -x wrong.sig >"$T/out" 2>"$T/err"; then
	echo "FAIL: minisign accepted a wrong passphrase for an escrow key" >&2
	fails=$((fails + 1))
fi

# keygen refuses to overwrite a minisign pair (73); --force replaces it.
minisign -G -W -p ms.pub -s ms.key </dev/null >/dev/null 2>&1
sum=$(cat ms.key ms.pub | sha256sum)
expect_exit 73 "$ESCROW" keygen -W -o ms
expect_true "minisign's pair is untouched" test "$(cat ms.key ms.pub | sha256sum)" = "$sum"
expect_exit 0 "$ESCROW" keygen -W -o ms --force
expect_exit 0 minisign -S -s ms.key -m data.txt -x ms.sig
expect_exit 0 minisign -Vm data.txt -x ms.sig -p ms.pub
# A sealed deposit's detached BUNDLE.minisig made by stock minisign, prehashed
# (the default) or legacy (-l), with LF or CR LF line ends (a .minisig saved
# on Windows or checked out by git with autocrlf): minisign -V verifies all
# four, and so must escrow verify (it called CR LF ends bad-signature, and
# the legacy form, which it could not stream, too). A legacy or CR LF
# signature over other bytes stays bad.
if need_tool age age; then
	age-keygen -o id.txt 2>/dev/null
	mkdir src
	printf 'print(1)\n' >src/main.py
	head -c 70000 /dev/urandom >src/w.bin
	expect_exit 0 "$ESCROW" pack src -o dep.escrow -s plain.key -q
	expect_exit 0 age -r "$(age-keygen -y id.txt)" -o dep.sealed dep.escrow
	for how in -H -l; do
		for ends in lf crlf; do
			rm -f dep.sealed.minisig
			if [ "$how" = -H ]; then
				expect_exit 0 minisign -S -s plain.key -m dep.sealed
			else
				expect_exit 0 minisign -S -l -s plain.key -m dep.sealed
			fi
			[ "$ends" = lf ] || sed -i 's/$/\r/' dep.sealed.minisig
			expect_exit 0 minisign -Vm dep.sealed -p plain.pub
			expect_exit 0 "$ESCROW" verify dep.sealed -p plain.pub -i id.txt
			expect_grep '^detached: +good' out
			expect_grep '^verdict: verified' out
			expect_exit 0 "$ESCROW" verify dep.sealed -p plain.pub -i id.txt --json
			expect_grep '"verdict": *"verified"' out
		done
	done
	expect_exit 0 age -r "$(age-keygen -y id.txt)" -o other.sealed dep.escrow
	expect_exit 0 minisign -S -l -s plain.key -m other.sealed -x dep.sealed.minisig
	expect_exit 1 minisign -Vm dep.sealed -p plain.pub
	expect_exit 1 "$ESCROW" verify dep.sealed -p plain.pub -i id.txt
	expect_grep '^detached: +bad' out
	expect_grep 'verdict: bad-signature' out
	sed -i 's/$/\r/' dep.sealed.minisig
	expect_exit 1 minisign -Vm dep.sealed -p plain.pub
	expect_exit 1 "$ESCROW" verify dep.sealed -p plain.pub -i id.txt
	expect_grep 'verdict: bad-signature' out
	expect_exit 0 minisign -S -s plain.key -m other.sealed -x dep.sealed.minisig
	expect_exit 1 "$ESCROW" verify dep.sealed -p plain.pub -i id.txt
	expect_grep 'verdict: bad-signature' out
	# A trusted comment holding control characters: minisign -S signs it and
	# -V verifies it; escrow called it bad-signature ('contains a control
	# character'). Good now, and nothing raw reaches the terminal.
	expect_exit 0 minisign -S -s plain.key -m dep.sealed -t "$(printf 'release\033[2J\001 one')"
	expect_exit 0 minisign -Vm dep.sealed -p plain.pub
	expect_exit 0 "$ESCROW" verify dep.sealed -p plain.pub -i id.txt
	expect_grep '^detached: +good' out
	expect_true "no raw control character in the report" bash -c "! grep -q \$'[\001\033]' '$T/out' '$T/err'"
	expect_exit 0 "$ESCROW" verify dep.sealed -p plain.pub -i id.txt --json
	expect_grep '"detached_signature": *"good"' out
fi
finish
