#!/usr/bin/env bash
# keygen checks its outputs before it asks for a passphrase; rewrap of an
# unsealed bundle says it is not sealed before anything is written.
. "$(dirname "$0")/lib.sh"
unset ESCROW_PASSPHRASE

# No terminal (setsid) and no ESCROW_PASSPHRASE: asking would fail with a
# passphrase message. An existing output or a missing folder must be named first.
expect_exit 0 "$ESCROW" keygen -W -o k -q
expect_exit 73 setsid -w "$ESCROW" keygen -o k
expect_grep 'k\.key: already exists \(use --force' "$T/err"
expect_true "no passphrase asked" sh -c "! grep -qi passphrase '$T/err'"
rm k.key
expect_exit 73 setsid -w "$ESCROW" keygen -o k
expect_grep 'k\.pub: already exists' "$T/err"
expect_exit 73 setsid -w "$ESCROW" keygen -o no/such/dir/k
expect_grep 'no/such/dir: no such folder' "$T/err"
expect_true "no passphrase asked" sh -c "! grep -qi passphrase '$T/err'"
expect_exit 0 "$ESCROW" keygen --age -o a -q
expect_exit 73 "$ESCROW" keygen --age -o a
expect_grep 'a\.age: already exists' "$T/err"
# With the outputs free, the passphrase is what is missing (65), as before.
expect_exit 65 setsid -w "$ESCROW" keygen -o fresh
expect_true "nothing written" test ! -e fresh.key -a ! -e fresh.pub
# --force goes on to the passphrase.
expect_exit 0 env ESCROW_PASSPHRASE=secret "$ESCROW" keygen -o k --force -q

# rewrap of an unsealed bundle: "not sealed", nothing written.
mkdir s && printf 'x\n' >s/f.txt
expect_exit 0 "$ESCROW" keygen -W -o agency -q
expect_exit 0 "$ESCROW" pack s -o b.escrow -s agency.key -q
expect_exit 65 "$ESCROW" rewrap b.escrow -p agency.pub -i a.age -r "$(cat a.age.pub)" -o rel.escrow
expect_grep 'b\.escrow is not sealed' "$T/err"
expect_true "no release written" test ! -e rel.escrow

finish
