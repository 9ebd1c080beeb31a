#!/usr/bin/env bash
# --progress auto|bar|plain|json|none on pack, verify (a file and stdin),
# extract, check, certificate, vault receive and vault audit --full, off a
# terminal:
# every json line validates against docs/schema/escrow-progress-1.schema.json,
# counters only grow within a phase, the last line of each phase says
# done, and its counters are the real totals (pack: the payload's files and
# bytes; verify and extract: the bundle file's size); plain lines carry no
# carriage return; auto and none print nothing, -q neither; the line before
# an scrypt unlock; a bar under `script` (a pty) redraws with \r and clears
# itself at the end. ESCROW_PROGRESS_INTERVAL=0 shows every call the library
# makes (it makes at most one per MiB or 256 files), so that a small run
# gives many lines; no check here depends on timing.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"
SRC=${ESCROW_SRC:?set by ctest}
SCHEMA=$SRC/docs/schema/escrow-progress-1.schema.json
PY=/usr/bin/python3
"$PY" -c 'import jsonschema' 2>/dev/null || skip_test "python3-jsonschema is not installed (Debian package python3-jsonschema)"

# check_lines FILE PHASE FILES BYTES: every line of FILE is a progress object
# valid under the schema, counters grow within each run of a phase, each
# phase's runs end with done; the last line of PHASE is done with files ==
# files_total == FILES and bytes == bytes_total == BYTES ("-": not checked).
check_lines() {
	"$PY" - "$SCHEMA" "$@" <<'PY'
import json, sys
import jsonschema
schema = json.load(open(sys.argv[1]))
path, phase, files, nbytes = sys.argv[2:6]
v = jsonschema.Draft202012Validator(schema)
lines = open(path, encoding="utf-8").read().split("\n")
assert lines[-1] == "", "no newline at the end"
objs = []
for i, l in enumerate(lines[:-1], 1):
    o = json.loads(l)
    errs = list(v.iter_errors(o))
    assert not errs, f"line {i}: {errs[0].message}: {l}"
    objs.append(o)
assert objs, "no progress line"
prev = {}
for o in objs:
    p = prev.get(o["phase"])
    if p is not None and not p["done"]:
        for k in ("files", "bytes", "elapsed_s"):
            assert o[k] >= p[k], f"{o['phase']}: {k} went back from {p[k]} to {o[k]}"
    prev[o["phase"]] = o
for ph, o in prev.items():
    assert o["done"] or ph == "unlock", f"phase {ph} has no last line with done: {o}"
last = prev.get(phase)
assert last is not None, f"no {phase} line"
assert last["done"], f"the last {phase} line is not done: {last}"
if files != "-":
    assert last["files"] == last["files_total"] == int(files), f"files: {last}, want {files}"
if nbytes != "-":
    assert last["bytes"] == last["bytes_total"] == int(nbytes), f"bytes: {last}, want {nbytes}"
PY
}
# keep_lines FILE: a copy of each line of FILE in the folder of --json outputs
# (tests/cli/lib.sh), so that ctest cli_json_schemas sees escrow-progress/1
# outputs too.
keep_lines() {
	[ -n "${json_keep_dir:-}" ] || return 0
	local line
	while IFS= read -r line; do
		printf '%s\n' "$line" >"$(mktemp "$json_keep_dir/$json_keep_name-XXXXXX.json")"
	done < <(sed -n '1p;$p' "$1")
}
# json_only FILE: FILE.json, only the progress lines of FILE (stderr holds
# other lines too: "extracted into DIR", warnings).
json_only() { grep '^{' "$1" >"$1.json" || true; }

mkdir -p src/a
for i in $(seq 1 600); do echo "file $i" >"src/a/f$i.txt"; done
head -c 3000000 /dev/urandom >src/big.bin
nfiles=$(find src -type f | wc -l)
nbytes=$(find src -type f -printf '%s\n' | awk '{s += $1} END {print s}')
"$ESCROW" keygen -W -q -o agency
export ESCROW_PROGRESS_INTERVAL=0

# pack: the walk, then the payload, files and bytes the tree's.
expect_exit 0 "$ESCROW" pack src -o b.escrow -s agency.key --progress json
cp "$T/err" pack.err
json_only pack.err
expect_true "pack: stderr holds only progress lines" cmp -s pack.err pack.err.json
expect_true "pack --progress json: valid lines, done with $nfiles files and $nbytes bytes" \
	check_lines pack.err.json pack "$nfiles" "$nbytes"
keep_lines pack.err.json
expect_true "pack --progress json: the walk ends with the same totals" check_lines pack.err.json walk "$nfiles" "$nbytes"
expect_true "pack: several lines (one per MiB or 256 files)" test "$(grep -c '"phase":"pack"' pack.err)" -ge 4
expect_grep '"command":"pack"' pack.err
size=$(stat -c %s b.escrow)

# verify: bytes of the bundle file, of its size.
expect_exit 0 "$ESCROW" verify b.escrow -p agency.pub --progress json
cp "$T/err" verify.err
expect_true "verify --progress json: done with the bundle's $size bytes and $nfiles files" \
	check_lines verify.err read "$nfiles" "$size"
keep_lines verify.err
expect_true "verify: more than the last line" test "$(wc -l <verify.err)" -ge 3
expect_grep '"subject":"b.escrow"' verify.err
expect_grep '"bytes_total":'"$size"',.*"done":false' verify.err

# stdin: no total while it streams; the size once it ended.
expect_exit 0 sh -c "'$ESCROW' verify - -p agency.pub --progress json <b.escrow"
cp "$T/err" stdin.err
expect_true "verify - --progress json: done with $size bytes" check_lines stdin.err read "$nfiles" "$size"
keep_lines stdin.err
expect_true "verify -: no total before the end" sh -c "! grep '\"done\":false' stdin.err | grep -v '\"bytes_total\":null'"

# extract reads the same way.
expect_exit 0 "$ESCROW" extract b.escrow -C tree -p agency.pub --progress json
cp "$T/err" extract.err
json_only extract.err
expect_true "extract --progress json: done with $size bytes" check_lines extract.err.json read "$nfiles" "$size"
keep_lines extract.err.json
expect_grep '"command":"extract"' extract.err

# check: the tree's files.
cat >c0.yaml <<'Y'
escrow-contract: 1
contract: P-1
agency: Agence
client: Client
deliverables:
  - id: all
    kind: other
    include: ["**"]
Y
expect_exit 0 "$ESCROW" check src -c c0.yaml --progress json
cp "$T/err" check.err
json_only check.err
expect_true "check --progress json" check_lines check.err.json check "$nfiles" "$nbytes"
keep_lines check.err.json

# certificate verifies the same way.
expect_exit 0 "$ESCROW" certificate b.escrow -p agency.pub -o c.html --progress json
cp "$T/err" cert.err
json_only cert.err
expect_true "certificate --progress json: done with $size bytes" check_lines cert.err.json read "$nfiles" "$size"
keep_lines cert.err.json

# plain: lines for a log, no carriage return, a last one that says done.
expect_exit 0 "$ESCROW" verify b.escrow -p agency.pub --progress plain
cp "$T/err" plain.err
# bash -c: dash (sh) has no $'...', it grepped for the text '$r', never there
expect_true "plain: no carriage return" bash -c "! grep -q \$'\\r' plain.err"
expect_true "plain: no escape sequence" bash -c "! grep -q \$'\\033' plain.err"
expect_grep '^escrow: verify: read [0-9]+/[0-9]+ files, .*, done$' plain.err
expect_true "plain: the last line is the one that says done" sh -c "tail -1 plain.err | grep -q 'done\$'"
expect_exit 0 "$ESCROW" pack src -o p.escrow -s agency.key --progress plain
expect_grep "^escrow: pack: pack $nfiles/$nfiles files, .* \\(100%\\), .*done\$" "$T/err"
expect_grep "^escrow: pack: walk $nfiles/$nfiles files, .* found, done\$" "$T/err"

# auto (the default) off a terminal, none, and -q: nothing at all.
unset ESCROW_PROGRESS_INTERVAL
for mode in "" "--progress auto" "--progress none" "--progress json -q" "-q --progress plain"; do
	# shellcheck disable=SC2086
	expect_exit 0 "$ESCROW" verify b.escrow -p agency.pub $mode
	expect_true "verify $mode: nothing on stderr off a terminal" test ! -s "$T/err"
done
expect_exit 0 "$ESCROW" pack src -o q.escrow -s agency.key
expect_true "pack (auto) off a terminal: nothing on stderr" test ! -s "$T/err"
# Without the test's interval: still one done line per phase.
expect_exit 0 "$ESCROW" verify b.escrow -p agency.pub --progress json
expect_true "default interval: valid lines, done" check_lines "$T/err" read "$nfiles" "$size"

# A bad mode is a usage error; commands without progress refuse the option.
expect_exit 64 "$ESCROW" verify b.escrow -p agency.pub --progress loud
expect_grep "auto, bar, plain, json or none" "$T/err"
expect_exit 64 "$ESCROW" list b.escrow --progress json

# The line before scrypt, in every mode but none and -q.
ESCROW_PASSPHRASE=pw "$ESCROW" keygen -q -o locked
expect_exit 0 env ESCROW_PASSPHRASE=pw "$ESCROW" pack src -o u.escrow -s locked.key --force --progress plain
expect_grep '^escrow: unlocking locked\.key \(scrypt\)\.\.\.$' "$T/err"
expect_exit 0 env ESCROW_PASSPHRASE=pw "$ESCROW" pack src -o u.escrow -s locked.key --force --progress json
expect_grep '"phase":"unlock","subject":"locked.key"' "$T/err"
cp "$T/err" unlock.err
expect_true "unlock, json: valid lines" check_lines unlock.err pack "$nfiles" "$nbytes"
keep_lines unlock.err
# -q wins over the mode: nothing at all.
expect_exit 0 env ESCROW_PASSPHRASE=pw "$ESCROW" pack src -o u.escrow -s locked.key --force --progress plain -q
expect_true "pack --progress plain -q: nothing on stderr, no unlock line" test ! -s "$T/err"

# vault receive and vault audit --full: a bundle read each.
vault_keys notary
vault_contract c1.yaml code
mkdir -p vp/src
echo 'print(1)' >vp/src/app.py
head -c 2500000 /dev/urandom >vp/src/data.bin
vault_pack d.escrow vp agency.key c1.yaml
dsize=$(stat -c %s d.escrow)
vault_new V vprog
export ESCROW_PROGRESS_INTERVAL=0
expect_exit 0 "$ESCROW" vault receive V d.escrow --progress json
cp "$T/err" receive.err
json_only receive.err
expect_true "vault receive --progress json: done with the bundle's $dsize bytes" \
	check_lines receive.err.json read 2 "$dsize"
keep_lines receive.err.json
expect_grep '"command":"vault receive"' receive.err
expect_exit 0 "$ESCROW" vault audit V --full --progress json
cp "$T/err" audit.err
json_only audit.err
expect_true "vault audit --full --progress json: one deposit of $dsize bytes" \
	check_lines audit.err.json audit 1 "$dsize"
keep_lines audit.err.json
expect_grep '"phase":"read"' audit.err.json
expect_exit 0 "$ESCROW" vault audit V --progress plain
expect_grep '^escrow: vault audit: audit 1/1 deposits, .*done$' "$T/err"

# A bar on a terminal: script(1) gives the command a pty.
if need_tool script bsdutils; then
	script -qec "'$ESCROW' verify b.escrow -p agency.pub >/dev/null" /dev/null >bar.out </dev/null
	expect_true "bar: redrawn with carriage returns" test "$(grep -o $'\r\033\\[K' bar.out | wc -l)" -ge 3
	expect_grep 'read [0-9]+ files, .* of .* \([0-9]+%\), .*/s' bar.out
	expect_true "bar: cleared at the end (ends with CR, erase line)" \
		"$PY" -c "import sys; d = open('bar.out', 'rb').read(); sys.exit(0 if d.endswith(b'\r\x1b[K') else 1)"
	script -qec "'$ESCROW' verify b.escrow -p agency.pub -q" /dev/null >barq.out </dev/null
	expect_true "bar: -q draws nothing" test ! -s barq.out
	script -qec "'$ESCROW' verify b.escrow -p agency.pub --progress none >/dev/null" /dev/null >barn.out </dev/null
	expect_true "bar: --progress none draws nothing" test ! -s barn.out
fi
finish
