#!/usr/bin/env bash
# vault_escapes.sh -- vault log and vault audit print nothing raw that a
# terminal acts on: the vault's own path (C1 and bidi controls in a folder
# name), a key revoke's --reason (DEL, C1, bidi: canonical JSON keeps them raw
# in the event), and ledger columns altered by hand (an escape sequence in an
# event's kind, in a deposit's digest). Before, log printed each event's data
# with DEL, C1 and bidi raw, the kind and time columns raw, and --json kept
# them raw too; audit printed the vault path raw in its text and JSON, and a
# failed deposit's ledger digest raw. stdout and stderr must hold no byte
# below 0x20 but \n and \t, no DEL, no C1, no bidi control, valid UTF-8, and
# --json must be valid JSON still carrying the exact strings.
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/lib_vault.sh"

cat >"$T/clean.py" <<'PY'
import sys
BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
bad = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    for i, b in enumerate(data):
        if (b < 0x20 and b not in (9, 10)) or b == 0x7F:
            print("%s: byte 0x%02x at %d: %r" % (path, b, i, data[max(0, i - 30):i + 30]))
            bad = 1
            break
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        print("%s: not UTF-8: %s" % (path, e))
        bad = 1
        continue
    for i, c in enumerate(text):
        if 0x80 <= ord(c) <= 0x9F or ord(c) in BIDI:
            print("%s: U+%04X at %d: %r" % (path, ord(c), i, text[max(0, i - 30):i + 30]))
            bad = 1
            break
sys.exit(bad)
PY
# run CODE CMD...: the exit code, then stdout and stderr both clean.
run() {
	expect_exit "$@"
	checks=$((checks + 1))
	if ! python3 "$T/clean.py" "$T/out" "$T/err" >&2; then
		echo "FAIL: raw control in the output of '${*:2}'" >&2
		fails=$((fails + 1))
	fi
}
# jcheck PYTHON-EXPR: true with j = the JSON of $T/out.
jcheck() {
	checks=$((checks + 1))
	if ! python3 - "$T/out" "$1" <<'PY'; then
import json, sys
j = json.load(open(sys.argv[1], encoding="utf-8"))
ok = eval(sys.argv[2])
if not ok:
    print("FAIL: %s is false" % sys.argv[2])
sys.exit(0 if ok else 1)
PY
		fails=$((fails + 1))
	fi
}

C1=$'\xc2\x9b'      # CSI as U+009B
RLO=$'\xe2\x80\xae' # U+202E
DEL=$'\x7f'
CLR=$'\e[2J'

vault_keys agency notary
vault_contract c1.yaml code
mkdir -p p/src && echo 'print("hi")' >p/src/app.py
vault_pack b.escrow p agency.key c1.yaml
V="V${C1}2J${RLO}"
vault_new "$V" vescapes
expect_exit 0 "$ESCROW" vault receive "$V" b.escrow -o r.json -q
kid=$(sed -n 's/^untrusted comment: minisign public key //p' agency.pub)
run 0 "$ESCROW" vault key revoke "$V" "$kid" --reason "gone${DEL}${C1}2J${RLO}"

run 0 "$ESCROW" vault log "$V"
expect_grep 'key-revoke .*gone\\u007f\\u009b2J\\u202e' "$T/out"
run 0 "$ESCROW" vault log "$V" --verify --against r.json
run 0 "$ESCROW" vault log "$V" --json
jcheck 'j["vault"] == "V\u009b2J\u202e"'
jcheck 'any(e["kind"] == "key-revoke" and "gone\x7f\u009b2J\u202e" in json.dumps(e["data"], ensure_ascii=False) for e in j["events"])'
run 0 "$ESCROW" vault log "$V" --verify --json
jcheck 'j["verified"].startswith("chain ok")'

run 0 "$ESCROW" vault audit "$V"
expect_grep 'of vault V\\u009b2J\\u202e:' "$T/out"
run 0 "$ESCROW" vault audit "$V" --json
jcheck 'j["vault"] == "V\u009b2J\u202e"'

# the ledger altered by hand: its columns are shown escaped, the chain broken
vault_need_sqlite3
sql "$V" "UPDATE events SET kind = 'k${CLR}' WHERE seq = 1" 2>/dev/null
sql "$V" "UPDATE deposits SET bundle_sha256 = 'x${CLR}' WHERE id = 1"
run 0 "$ESCROW" vault log "$V"
expect_grep '^1  .*  k\\x1b\[2J ' "$T/out"
run 1 "$ESCROW" vault log "$V" --verify
# (the binary itself for --json here: these documents carry what the hand
# edit put in, a kind and a digest outside their schemas, which is the point;
# cli_json_schemas validates the suite's other outputs)
run 0 "$ESCROW_BIN" vault log "$V" --json
jcheck 'j["events"][0]["kind"] == "k\x1b[2J"'
# audit trusts no deposit row that differs from its receive event: nothing
# audited, the row named (its text never printed raw)
run 1 "$ESCROW" vault audit "$V"
expect_grep 'nothing was audited: .*deposit 1 was edited: its bundle_sha256 differs from its receive event' "$T/err"
run 1 "$ESCROW_BIN" vault audit "$V" --json
expect_grep 'deposit 1 was edited: its bundle_sha256 differs' "$T/err"

# a vault whose path is not UTF-8, a ledger column that is not UTF-8 (SQLite
# keeps any bytes): list and show --json and the vault's certificate were
# 'out of memory' (exit 70); now U+FFFD stands for each such byte
lv=$(printf 'v\377\233')
vault_new "$lv" vescapes2
expect_exit 0 "$ESCROW" vault receive "$lv" b.escrow -q
run 0 "$ESCROW" vault list "$lv" --json
jcheck 'j["vault"] == "v\ufffd\ufffd" and len(j["deposits"]) == 1'
# (the edited row is shown marked, exit 1, and never certified)
if [ -z "$PG" ]; then
	name=$(sql "$lv" "SELECT name FROM deposits WHERE id = 1")
	sql "$lv" "UPDATE deposits SET name = CAST(x'6eff1b5b324a' AS TEXT) WHERE id = 1"
	run 1 "$ESCROW" vault show "$lv" 1
	expect_grep '^name +n\\xff\\x1b\[2J$' "$T/out"
	expect_grep '^edited +deposit 1 was edited: its name differs' "$T/out"
	run 1 "$ESCROW" vault show "$lv" 1 --json
	jcheck 'j["name"] == "n\ufffd\x1b[2J"'
	run 1 "$ESCROW" vault list "$lv" --json
	jcheck 'j["deposits"][0]["name"] == "n\ufffd\x1b[2J"'
	run 1 "$ESCROW" certificate --vault "$lv" 1 -o cert.html
	expect_grep 'deposit 1 was edited: its name differs' "$T/err"
	sql "$lv" "UPDATE deposits SET name = '$name' WHERE id = 1"
	run 0 "$ESCROW" certificate --vault "$lv" 1 -o cert.html
fi

finish
