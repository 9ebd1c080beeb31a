#!/usr/bin/env bash
# vault receive of what is no bundle file: a folder, a device (a copy of
# /dev/zero would fill the store's disk), each refused before anything is
# stored, exit 66 naming it; a pipe (<(...)) is still read as a file.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
vault_keys agency notary
vault_projects
vault_contract c1.yaml
vault_pack full.escrow full agency.key c1.yaml --release 1.0
vault_new V V
mkdir adir
expect_exit 66 "$ESCROW" vault receive V adir
expect_grep '^escrow: error: adir: is a folder, not a bundle; nothing was recorded$' err
expect_exit 66 "$ESCROW" vault receive V /dev/null --json
expect_grep '/dev/null: is a device or a socket, not a bundle file .*nothing was recorded' err
expect_true "nothing stored" test -z "$(find V/store -type f)"
expect_true "nothing recorded" test "$(sql V "SELECT count(*) FROM deposits")" = 0
expect_exit 0 "$ESCROW" vault receive V <(cat full.escrow)
expect_grep '^deposit 1: verified$' out
finish
