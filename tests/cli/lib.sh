# tests/cli/lib.sh -- sourced by the CLI tests: a fresh folder per test and
# small assertions that print what they expected on failure.
set -u
ESCROW=${ESCROW:?set by ctest}
T=$(mktemp -d "${TMPDIR:-/tmp}/escrow-cli.XXXXXX")
trap 'rm -rf "$T"' EXIT
cd "$T"
# Every --json output of the test suite is kept for ctest cli_json_schemas,
# which validates each against the schema it names (docs/schema, docs/JSON.md):
# $ESCROW becomes a wrapper that, when --json is among the arguments, passes
# the output on and saves a copy in $ESCROW_BUILD/json-out/TEST-XXXXXX.json
# (anything else is exec'd unchanged). Each test first removes what its
# previous run kept. ESCROW_BIN is the binary itself.
ESCROW_BIN=$ESCROW
if [ -n "${ESCROW_BUILD:-}" ] && [ -z "${ESCROW_NO_JSON_KEEP:-}" ]; then
	json_keep_dir=$ESCROW_BUILD/json-out
	json_keep_name=${ESCROW_TEST_NAME:-cli_$(basename "$0" .sh)}
	mkdir -p "$json_keep_dir" "$T/.bin"
	rm -f "$json_keep_dir/$json_keep_name"-*.json
	cat >"$T/.bin/escrow" <<EOF_WRAP
#!/bin/bash
json=0 stdout_bundle=0 prev=
for a in "\$@"; do
	[ "\$a" = -- ] && break
	case \$a in --j | --js | --jso | --json) json=1 ;; esac
	# pack -o - : stdout is the bundle (its summary goes to stderr)
	case \$prev/\$a in -o/- | --output/- | */-o- | */--output=-) stdout_bundle=1 ;; esac
	prev=\$a
done
[ \$json = 1 ] && [ \$stdout_bundle = 0 ] || exec '$ESCROW' "\$@"
out=\$(mktemp '$json_keep_dir/$json_keep_name-XXXXXX.json')
'$ESCROW' "\$@" >"\$out"
rc=\$?
cat "\$out" # kept even when empty: cli_json_schemas fails on an empty output
exit \$rc
EOF_WRAP
	chmod +x "$T/.bin/escrow"
	ESCROW=$T/.bin/escrow
fi
fails=0
checks=0
skips=""
# Stock tools print UTF-8 names only under a UTF-8 locale (bsdtar refuses them
# under POSIX, a machine's default when none is set); C.UTF-8 is in Debian's libc.
export LC_ALL=C.UTF-8

# skip_test REASON: this test cannot run for an outside reason (a stock tool
# or an outside input missing): says why and exits 77, which ctest reports as
# skipped (SKIP_RETURN_CODE in tests/CMakeLists.txt), never as passed.
skip_test() {
	echo "SKIPPED: $*" >&2
	exit 77
}
# need_tool CMD PACKAGE: true when CMD is installed; otherwise notes why, and
# the checks that need it are left out: `need_tool man man-db && expect_exit 0 man ...`.
# finish then reports the test as skipped (or failed, if another check failed).
need_tool() {
	command -v "$1" >/dev/null 2>&1 && return 0
	echo "NOTE: '$1' is not installed (Debian package $2): checks that need it are left out" >&2
	case "$skips" in *"'$1'"*) ;; *) skips="${skips:+$skips, }'$1' (Debian package $2)" ;; esac
	return 1
}

# expect_exit CODE CMD... : runs CMD, stdout to $T/out, stderr to $T/err.
expect_exit() {
	local want=$1 got
	shift
	checks=$((checks + 1))
	"$@" >"$T/out" 2>"$T/err" </dev/null && got=0 || got=$?
	if [ "$got" != "$want" ]; then
		echo "FAIL: '$*' exited $got, expected $want" >&2
		sed 's/^/  stdout: /' "$T/out" | head -20 >&2
		sed 's/^/  stderr: /' "$T/err" | head -20 >&2
		fails=$((fails + 1))
		return 1
	fi
	return 0
}
# expect_grep PATTERN FILE
expect_grep() {
	checks=$((checks + 1))
	if ! grep -q -E -- "$1" "$2"; then
		echo "FAIL: '$1' not found in $2:" >&2
		head -20 "$2" | sed 's/^/  /' >&2
		fails=$((fails + 1))
	fi
}
expect_true() { # description, command...
	local what=$1
	shift
	checks=$((checks + 1))
	if ! "$@"; then
		echo "FAIL: $what" >&2
		fails=$((fails + 1))
	fi
}
# flip_byte FILE OFFSET: the byte at OFFSET XORed with 1, so the file always
# changes (writing a fixed byte is a no-op when the byte was already that one).
flip_byte() {
	local b
	b=$(od -An -tu1 -j "$2" -N1 "$1" 2>/dev/null | tr -d ' \n')
	if [ -z "$b" ]; then
		echo "flip_byte: $1 has no byte at offset $2" >&2
		return 1
	fi
	printf "\\$(printf '%03o' $((b ^ 1)))" | dd of="$1" bs=1 seek="$2" conv=notrunc 2>/dev/null
}
# make_safetensors PATH: a small valid safetensors file (one 2x2 F32 tensor).
make_safetensors() {
	python3 - "$1" <<'PY'
import json, struct, sys
header = json.dumps({"w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]}}).encode()
header += b" " * (-len(header) % 8)
with open(sys.argv[1], "wb") as f:
    f.write(struct.pack("<Q", len(header)) + header + struct.pack("<4f", 1, 2, 3, 4))
PY
}
finish() {
	echo "$checks checks, $fails failed"
	[ "$fails" -eq 0 ] || return 1
	[ -z "$skips" ] || skip_test "not installed: $skips"
}
