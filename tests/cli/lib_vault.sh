# tests/cli/lib_vault.sh -- sourced by the vault CLI tests (vault*.sh) after
# lib.sh: the backend (SQLite, or the PostgreSQL server tests/pg.sh started:
# ESCROW_TEST_PG), the ledger's rows through the database's own client, and
# the set-up they share: keys, the contract, the projects, packing, a vault
# with the contract registered. Every helper runs unasserted set-up; what a
# test checks stays in the test.
export SOURCE_DATE_EPOCH=1767225600 # 2026-01-01T00:00:00Z
PG=${ESCROW_TEST_PG:-}
if [ -n "$PG" ]; then
	PSQL=$(command -v psql || ls /usr/lib/postgresql/*/bin/psql 2>/dev/null | tail -1)
	[ -n "$PSQL" ] || skip_test "psql is not installed (Debian package postgresql-client)"
fi

# vault_need_sqlite3: on SQLite, a test that reads rows needs the sqlite3
# client; without it the test is skipped (saying why).
vault_need_sqlite3() {
	[ -n "$PG" ] || need_tool sqlite3 sqlite3 || { finish; exit; }
}

# ledger_args VAULT: the --ledger option for a new vault (on PostgreSQL, a new
# database named as the folder, in lower case).
ledger_args() {
	LEDGER=()
	[ -n "$PG" ] || return 0
	"$PSQL" "$PG" -qXc "CREATE DATABASE ${1,,}" >/dev/null
	LEDGER=(--ledger "${PG/dbname=postgres/dbname=${1,,}}")
}
# sql VAULT QUERY: runs a query on the vault's ledger, rows as "a|b|c".
sql() {
	if [ -n "$PG" ]; then
		"$PSQL" "${PG/dbname=postgres/dbname=${1,,}}" -qXAt -F '|' -c "$2"
	else
		sqlite3 "$1/ledger.sqlite" "$2"
	fi
}

# vault_keys NAME...: minisign keys NAME.key (unencrypted) and NAME.pub.
vault_keys() {
	local k
	for k in "$@"; do "$ESCROW" keygen -W -q -o "$k"; done
}
# vault_age_keys NAME...: age identities NAME.age and recipients NAME.age.pub.
vault_age_keys() {
	local k
	for k in "$@"; do "$ESCROW" keygen --age -q -o "$k"; done
}

# vault_contract FILE [code]: contract C-2026-01 with deliverables code
# (src/**) and model (a safetensors file under models/); with "code", the
# code deliverable only.
vault_contract() {
	cat >"$1" <<'Y'
escrow-contract: 1
contract: C-2026-01
agency: Agence
client: Client
deliverables:
  - id: code
    kind: code
    include: ["src/**"]
Y
	[ "${2:-}" = code ] && return 0
	cat >>"$1" <<'Y'
  - id: model
    kind: model
    include: ["models/*.safetensors"]
    format: safetensors
Y
}

# vault_projects: full/ (code and model: meets the contract) and part/ (code
# only: incomplete).
vault_projects() {
	mkdir -p full/src full/models part/src
	echo 'print("hi")' >full/src/app.py
	make_safetensors full/models/m.safetensors
	echo 'print("hi")' >part/src/app.py
}

# vault_pack OUT SRC KEY CONTRACT [pack options...]: a bundle, quietly.
vault_pack() {
	local out=$1 src=$2 key=$3 c=$4
	shift 4
	"$ESCROW" pack "$src" -o "$out" -s "$key" -c "$c" -q "$@" 2>/dev/null
}

# vault_new DIR NAME [init options...]: a vault in DIR (its PostgreSQL
# database named NAME) signed by notary.key, with c1.yaml registered for
# agency.pub.
vault_new() {
	ledger_args "$2"
	"$ESCROW" vault init "$1" -s notary.key "${@:3}" "${LEDGER[@]}" -q
	"$ESCROW" vault contract add "$1" c1.yaml -p agency.pub -q
}
