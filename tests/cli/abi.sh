#!/usr/bin/env bash
# The ABI guard. tests/abi/escrow.symbols lists every symbol libescrow.so
# exports, sorted: a symbol gone from the library breaks the programs that
# use it, and a new one is added to the list on purpose, with its declaration
# in escrow.h. And escrow.h defines no public struct (options and results go
# through escrow_options and escrow_result), so that no new field can change
# the size of something a program was built with.
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}
BUILD=${ESCROW_BUILD:?set by ctest}
LIST=$SRC/tests/abi/escrow.symbols
HDR=$SRC/include/escrow.h
command -v nm >/dev/null || skip_test "nm is not installed (Debian package binutils)"
# The link the build made for this version (an older libescrow.so.0.1.0 may
# still lie in a build tree reused across versions).
lib=$(readlink -f "$BUILD/libescrow.so" 2>/dev/null)
expect_true "the shared library is built ($BUILD/libescrow.so)" test -f "$lib"

nm -D --defined-only "$lib" | awk '{print $3}' | LC_ALL=C sort >"$T/exports"
expect_true "tests/abi/escrow.symbols is sorted (LC_ALL=C sort)" sh -c "LC_ALL=C sort -c '$LIST'"
LC_ALL=C comm -23 "$LIST" "$T/exports" >"$T/removed"
LC_ALL=C comm -13 "$LIST" "$T/exports" >"$T/added"
if [ -s "$T/removed" ]; then
	echo "FAIL: libescrow.so no longer exports (programs built against it break):" >&2
	sed 's/^/  /' "$T/removed" >&2
fi
if [ -s "$T/added" ]; then
	echo "FAIL: libescrow.so exports symbols not in tests/abi/escrow.symbols (add them on purpose):" >&2
	sed 's/^/  /' "$T/added" >&2
fi
expect_true "no exported symbol removed" test ! -s "$T/removed"
expect_true "no exported symbol added without updating the list" test ! -s "$T/added"
expect_true "every export is a public escrow_ name" sh -c "! grep -v '^escrow_' '$T/exports'"

# Every function escrow.h declares is exported, and nothing else is.
grep -o '^ESCROW_API .*escrow_[a-z0-9_]*(' "$HDR" | grep -o 'escrow_[a-z0-9_]*($' | tr -d '(' |
	LC_ALL=C sort -u >"$T/declared"
expect_true "escrow.h declares exactly the exported functions" cmp -s "$T/declared" "$LIST" ||
	diff "$T/declared" "$LIST" | sed 's/^/  /' >&2

# No public struct body: 'struct escrow_x {' (or its brace on the next line).
if grep -nE 'struct[[:space:]]+escrow_[A-Za-z0-9_]*[[:space:]]*(\{|$)' "$HDR" >"$T/structs"; then
	echo "FAIL: include/escrow.h defines a public struct (use an opaque handle with setters or accessors):" >&2
	sed 's/^/  /' "$T/structs" >&2
fi
expect_true "include/escrow.h defines no public struct" test ! -s "$T/structs"
finish
