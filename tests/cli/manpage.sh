#!/usr/bin/env bash
# docs/escrow.1 renders without warnings and stays in sync with the --help of
# every command: the same commands, the same long options, the same pairs of
# short and long names, and every exit code of DESIGN.md.
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}
MAN=$SRC/docs/escrow.1

if need_tool man man-db && expect_exit 0 env MANWIDTH=80 man -l "$MAN"; then
	expect_true "man -l prints no warning" test ! -s err
	expect_grep '^ESCROW\(1\)' out
fi
need_tool groff groff-base && expect_exit 0 groff -t -man -ww -z "$MAN" &&
	expect_true "groff -ww prints no warning" test ! -s err

# Options documented for one command: the .TP tags of its ".SS escrow CMD" section.
man_options() { # cmd
	awk -v sect="escrow $1" '
		/^\.SS / { s = $0; sub(/^\.SS +"?/, "", s); sub(/"$/, "", s); on = (s == sect); next }
		/^\.SH / { on = 0 }
		on && tag { print; tag = 0; next }
		on && /^\.TP/ { tag = 1 }' "$MAN" | sed -e 's/\\f[BIRP]//g' -e 's/\\-/-/g'
}
# Long options, one per line, sorted.
longs() { grep -oE -- '(^|[^a-z0-9-])--[a-z][a-z0-9-]*' | grep -oE -- '--[a-z][a-z0-9-]*' | sort -u; }
# "-o --output" pairs, as written "-o, --output".
pairs() { grep -oE -- '(^|[ ,])-[A-Za-z0-9], --[a-z][a-z0-9-]*' | sed 's/^[ ,]*//; s/,//' | sort -u; }

expect_exit 0 "$ESCROW" --help
cmds=$(awk '/^Commands:/ { on = 1; next } on && /^  [a-z]/ { print $1; next } on && /^$/ { on = 0 }' out)
expect_true "escrow --help lists the commands" test -n "$cmds"
man_cmds=$(sed -n 's/^\.SS "escrow \([a-z]*\)"$/\1/p' "$MAN" | sort)
expect_true "the man page documents exactly the commands of escrow --help" \
	test "$(echo "$cmds" | sort | tr '\n' ' ')" = "$(echo "$man_cmds" | tr '\n' ' ')"

for c in $cmds; do
	expect_grep "^\\\\fBescrow $c\\\\fR" "$MAN"
	"$ESCROW" "$c" --help >"$T/help.$c" 2>/dev/null </dev/null || true
	# every command has --help (DESIGN.md): one without is a failure, not a
	# command left out of the comparison
	expect_true "'escrow $c --help' prints its usage" sh -c "head -1 '$T/help.$c' | grep -q '^usage: escrow $c'" ||
		continue
	man_options "$c" >"$T/man.$c"
	expect_true "man page documents options for $c" test -s "$T/man.$c"
	# In --help, only the option lines count ("  -o, --output X" or "      --age"),
	# not the prose, which may name another command's options.
	grep -E -- '^ +(-[A-Za-z0-9], )?--[a-z]' "$T/help.$c" >"$T/hopt.$c" || true
	longs <"$T/hopt.$c" >"$T/hl.$c"
	longs <"$T/man.$c" >"$T/ml.$c"
	if ! diff "$T/hl.$c" "$T/ml.$c" >"$T/d.$c"; then
		echo "FAIL: long options of '$c': < in --help only, > in escrow.1 only" >&2
		sed 's/^/  /' "$T/d.$c" >&2
		fails=$((fails + 1))
	fi
	checks=$((checks + 1))
	pairs <"$T/hopt.$c" >"$T/hp.$c"
	pairs <"$T/man.$c" >"$T/mp.$c"
	if ! diff "$T/hp.$c" "$T/mp.$c" >"$T/d.$c"; then
		echo "FAIL: short/long option pairs of '$c': < in --help only, > in escrow.1 only" >&2
		sed 's/^/  /' "$T/d.$c" >&2
		fails=$((fails + 1))
	fi
	checks=$((checks + 1))
done

# Exit codes, environment, files, see also.
awk '/^\.SH "EXIT STATUS"/ { on = 1; next } /^\.SH / { on = 0 } on' "$MAN" >"$T/exit"
for code in 0 1 2 64 65 66 70 73 74; do
	expect_grep "^$code	" "$T/exit"
done
for word in ESCROW_PASSPHRASE SOURCE_DATE_EPOCH 'minisign \(1\)' 'age \(1\)' 'zstd \(1\)' 'tar \(1\)'; do
	expect_grep "$word" "$MAN"
done
finish
