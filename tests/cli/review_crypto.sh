#!/usr/bin/env bash
# Regression tests from a second reading of the key handling: an identity
# given as a recipient is not echoed.
. "$(dirname "$0")/lib.sh"

# An identity where a recipient belongs: refused, and not printed back.
"$ESCROW" keygen --age -o me -q
secret=$(grep '^AGE-SECRET-KEY-' me.age)
echo data >g
expect_exit 65 "$ESCROW" rewrap g -i me.age -r "$secret" -o g.age
expect_grep 'secret key' err
expect_true "the identity is not echoed" test "$(grep -c "${secret#AGE-SECRET-KEY-1}" err)" = 0
finish
