#!/usr/bin/env bash
# A key file of the wrong kind is named as what it is, wherever it is given:
# -s, -p, -i, -R, for escrow's own keys and for minisign's and age's.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -o agency
expect_exit 0 "$ESCROW" keygen --age -o notary
mkdir s && printf 'hello\n' >s/a.txt
expect_exit 0 "$ESCROW" pack s -o b.escrow -s agency.key -q

# -s: a public key, an age identity
expect_exit 65 "$ESCROW" pack s -o x.escrow -s agency.pub
expect_grep "agency.pub is a public key; -s wants the secret key \(agency.key\)" "$T/err"
expect_exit 65 "$ESCROW" pack s -o x.escrow -s notary.age
expect_grep "notary.age is an age identity \(a secret key\), not a minisign secret key" "$T/err"
expect_true "nothing written" test ! -e x.escrow
# -p: an age recipient, a minisign secret key (never echoed)
expect_exit 65 "$ESCROW" verify b.escrow -p notary.age.pub
expect_grep "notary.age.pub is an age recipient \(a public key\), not a minisign public key" "$T/err"
expect_exit 65 "$ESCROW" verify b.escrow -p agency.key
expect_grep "agency.key is a minisign secret key; a public key is wanted here \(agency.pub\)" "$T/err"
expect_true "the secret key's text is not in the message" sh -c "! grep -qF \"\$(sed -n 2p agency.key | cut -c1-20)\" '$T/err'"
expect_exit 65 "$ESCROW" verify b.escrow -p notary.age
expect_grep "notary.age is an age identity \(a secret key\), not a minisign public key" "$T/err"
# -i: a minisign key, an age recipient
expect_exit 65 "$ESCROW" verify b.escrow -p agency.pub -i agency.key
expect_grep "agency.key is a minisign secret key, not an age identity" "$T/err"
expect_exit 65 "$ESCROW" verify b.escrow -p agency.pub -i notary.age.pub
expect_grep "notary.age.pub is an age recipient \(a public key\), not an age identity" "$T/err"
# -R: an identity, a minisign public key
expect_exit 65 "$ESCROW" pack s -o x.escrow -s agency.key -R notary.age
expect_grep "notary.age is an age identity \(a secret key\), not a recipient" "$T/err"
expect_exit 65 "$ESCROW" pack s -o x.escrow -s agency.key -R agency.pub
expect_grep "agency.pub is a minisign public key, not an age recipient" "$T/err"
# An SSH key and a signature are named too.
printf 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGq3 user@host\n' >id.pub
expect_exit 65 "$ESCROW" verify b.escrow -p id.pub
expect_grep "id.pub is an SSH key" "$T/err"
# Keys made by the stock tools are named the same way.
if need_tool age-keygen age; then
	age-keygen -o stock.age 2>/dev/null
	expect_exit 65 "$ESCROW" pack s -o x.escrow -s stock.age
	expect_grep "stock.age is an age identity" "$T/err"
fi
# The right kinds still load.
expect_exit 0 "$ESCROW" verify b.escrow -p agency.pub -q

finish
