#!/usr/bin/env bash
# The command frame: --help, --version, unknown commands and options.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" --version && expect_grep '^escrow [0-9]+\.[0-9]+\.[0-9]+$' out
expect_exit 0 "$ESCROW" --help && expect_grep 'usage: escrow COMMAND' out
expect_exit 64 "$ESCROW"
expect_exit 64 "$ESCROW" no-such-command && expect_grep "unknown command 'no-such-command'" err
for c in keygen pack verify extract list check rewrap; do
	expect_exit 0 "$ESCROW" "$c" --help && expect_grep "usage: escrow $c" out
	expect_exit 64 "$ESCROW" "$c" --no-such-option && expect_grep "try 'escrow $c --help'" err
done
finish
