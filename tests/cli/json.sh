#!/usr/bin/env bash
# --json as a program reads it (docs/JSON.md): every command's output names its
# schema; verify, list and extract reports carry their evidence (verified_at
# from SOURCE_DATE_EPOCH, the key id and the public key file, the contract's
# SHA-256); on exits 64, 65, 66, 73 and 74 stdout holds one error object
# (escrow-error/1) naming the file, and stderr still has the message; every
# vault command and receipt verify answer in JSON. Each output here is also
# validated against its schema by ctest cli_json_schemas (lib.sh keeps them).
. "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=1767225600 # 2026-01-01T00:00:00Z
sha() { sha256sum "$1" | cut -c1-64; }
# jq-like: python3 EXPR over the JSON in $T/out as d; true when EXPR is true
jt() {
	python3 -c 'import json, sys
d = json.load(open(sys.argv[1]))
ok = eval(sys.argv[2])
if not ok:
    print("  (JSON was: %s)" % json.dumps(d)[:600], file=sys.stderr)
sys.exit(0 if ok else 1)' "$T/out" "$1"
}
# expect_error CODE STATUS FILE|null CMD...: exit CODE, one error object on stdout
expect_error() {
	local code=$1 status=$2 file=$3
	shift 3
	expect_exit "$code" "$@" || return
	local want=None
	[ "$file" = null ] || want="'$file'"
	expect_true "$* : an escrow-error/1 object, code $code, status $status, file $file" \
		jt "d['schema'] == 'escrow-error/1' and d['code'] == $code and d['status'] == '$status' and d['file'] == $want and d['message'] and d['tool'].startswith('escrow ')"
	expect_true "$* : still the message on stderr" grep -q -E '^(escrow: error: |escrow [a-z ]+: )' "$T/err"
	expect_true "$* : one object, nothing else, on stdout" python3 -c 'import json, sys; json.loads(open(sys.argv[1]).read())' "$T/out"
}

"$ESCROW" keygen -W -q -o agency
"$ESCROW" keygen -W -q -o notary
"$ESCROW" keygen --age -q -o notary
"$ESCROW" keygen --age -q -o client
mkdir -p src/src src/models
echo 'print("hi")' >src/src/app.py
make_safetensors src/models/m.safetensors
cat >c.yaml <<'Y'
escrow-contract: 1
contract: C-JSON-1
agency: Agence
client: Client
deliverables:
  - id: code
    kind: code
    include: ["src/**"]
  - id: model
    kind: model
    include: ["models/*.safetensors"]
    format: safetensors
Y
KID=$(sed -n 's/^untrusted comment: minisign public key \([0-9A-F]*\)$/\1/p' agency.pub)
CSHA=$(sha c.yaml)

# --- check, pack, verify, list, extract: schema and evidence ---
expect_exit 0 "$ESCROW" check src -c c.yaml --json &&
	expect_true "check: escrow-check/1, the contract's SHA-256" \
		jt "d['schema'] == 'escrow-check/1' and d['contract']['sha256'] == '$CSHA' and d['verdict'] == 'complete'"
expect_exit 0 "$ESCROW" pack src -o b.escrow -s agency.key -c c.yaml --release 1.0 --json &&
	expect_true "pack: escrow-pack/1, the bundle's SHA-256, the key id" \
		jt "d['schema'] == 'escrow-pack/1' and d['sha256'] == '$(sha b.escrow)' and d['key_id'] == '$KID' and 'schema' not in d['report']"
expect_exit 0 "$ESCROW" verify b.escrow -p agency.pub -c c.yaml --json &&
	expect_true "verify: evidence (verified_at, key id, key file, contract SHA-256, tool)" \
		jt "d['schema'] == 'escrow-verify/1' and d['verified_at'] == '2026-01-01T00:00:00Z' and d['signature']['key_id'] == '$KID' and d['signature']['key_file'] == 'agency.pub' and d['contract']['sha256'] == '$CSHA' and d['tool'].startswith('escrow ') and d['verdict'] == 'verified'"
expect_exit 0 env -u SOURCE_DATE_EPOCH "$ESCROW" verify b.escrow -p agency.pub --json &&
	expect_true "verify without SOURCE_DATE_EPOCH: verified_at is the clock's, UTC" \
		jt "d['verified_at'] != '2026-01-01T00:00:00Z' and d['verified_at'].endswith('Z') and d['verified_at'][:2] == '20'"
"$ESCROW" verify - -p agency.pub --json <b.escrow >"$T/out" 2>"$T/err" # expect_exit reads /dev/null
expect_true "verify -: the report names the key file" jt "d['signature']['key_file'] == 'agency.pub'"
expect_exit 0 "$ESCROW" list b.escrow -p agency.pub --json &&
	expect_true "list: escrow-list/1 with verified_at and the key file" \
		jt "d['schema'] == 'escrow-list/1' and d['verified_at'] == '2026-01-01T00:00:00Z' and d['signature']['key_file'] == 'agency.pub' and len(d['files']) >= 2"
expect_exit 0 "$ESCROW" list b.escrow --json &&
	expect_true "list without -p: no key file, signature not checked" \
		jt "'key_file' not in d['signature'] and d['signature']['status'] == 'not-checked' and d['verdict'] == 'intact' and d['deliverables_from'] == 'bundle' and d['contract']['sha256'] == '$CSHA'"
expect_exit 0 "$ESCROW" extract b.escrow -C x1 -p agency.pub -c c.yaml --json &&
	expect_true "extract: escrow-extract/1 with its evidence and what was extracted" \
		jt "d['schema'] == 'escrow-extract/1' and d['verified_at'] == '2026-01-01T00:00:00Z' and d['signature']['key_file'] == 'agency.pub' and d['contract']['sha256'] == '$CSHA' and d['extracted']['layout'] == 'bag'"
# a failed verification is a report (exit 1), not an error object
cp b.escrow t.escrow
flip_byte t.escrow 600
expect_exit 1 "$ESCROW" verify t.escrow -p agency.pub --json &&
	expect_true "a changed bundle: the report, with its verdict" jt "d['schema'] == 'escrow-verify/1' and d['verdict'] == 'tampered'"
expect_exit 1 "$ESCROW" verify b.escrow -p notary.pub --json &&
	expect_true "another key: the report, with its verdict" jt "d['schema'] == 'escrow-verify/1' and d['verdict'] != 'verified'"

# --- error objects: 64, 65, 66, 73, 74 ---
expect_error 64 usage null "$ESCROW" verify b.escrow --bogus -p agency.pub --json
expect_error 64 usage null "$ESCROW" verify --json b.escrow              # -p missing
expect_error 64 usage null "$ESCROW" pack src --json                      # -o missing
expect_error 64 usage null "$ESCROW" check src -c c.yaml --json extra     # an extra operand
expect_error 64 usage null "$ESCROW" frobnicate --json
expect_true "an unknown command: command null" jt "d['command'] is None"
expect_error 64 usage null "$ESCROW" vault frob V --json
expect_true "an unknown vault subcommand: command vault" jt "d['command'] == 'vault'"
expect_error 64 usage null "$ESCROW" verify b.escrow -p agency.pub --jso -l 3 # a prefix of --json counts
printf 'escrow-contract: 1\ncontract: [oops\n' >bad.yaml
expect_error 65 bad-input bad.yaml "$ESCROW" check src -c bad.yaml --json
expect_error 65 bad-input bad.yaml "$ESCROW" verify b.escrow -p agency.pub -c bad.yaml --json
echo 'not a key' >bad.pub
expect_error 65 bad-input bad.pub "$ESCROW" verify b.escrow -p bad.pub --json
expect_error 66 cannot-open nothere.escrow "$ESCROW" verify nothere.escrow -p agency.pub --json
expect_true "66: the command is named" jt "d['command'] == 'verify'"
expect_error 66 cannot-open none.pub "$ESCROW" list b.escrow -p none.pub --json
expect_error 66 cannot-open nosrc "$ESCROW" check nosrc -c c.yaml --json
expect_error 66 cannot-open nosrc "$ESCROW" pack nosrc -o n.escrow -s agency.key --json
mkdir -p full && echo x >full/f
expect_error 73 exists full "$ESCROW" extract b.escrow -C full -p agency.pub --json
expect_error 73 exists b.escrow "$ESCROW" pack src -o b.escrow -s agency.key --json
# 74: the extraction runs out of room (a file size limit: the kernel's EFBIG)
mkdir -p bigsrc && head -c 300000 /dev/urandom >bigsrc/blob.bin
"$ESCROW" pack bigsrc -o big.escrow -s agency.key -q
limited() { (trap "" XFSZ; ulimit -f 100; exec "$@"); }
# (the message names the temporary folder beside DIR, not an argument: file is null)
expect_error 74 io-error null limited "$ESCROW" extract big.escrow -C big -p agency.pub --json
expect_true "74: nothing extracted" test ! -e big

# --- the vault, every command with --json ---
expect_exit 0 "$ESCROW" vault init V -s notary.key -i notary.age --json &&
	expect_true "vault init: escrow-vault-init/1" jt "d['schema'] == 'escrow-vault-init/1' and d['vault'] == 'V' and d['ledger'] == 'sqlite'"
expect_exit 0 "$ESCROW" vault contract add V c.yaml -p agency.pub --json &&
	expect_true "contract add: id, version 1, one key" \
		jt "d['schema'] == 'escrow-vault-contract-add/1' and d['contract'] == 'C-JSON-1' and d['version'] == 1 and d['keys'] == 1 and d['event'] >= 1"
"$ESCROW" keygen -W -q -o agency2
expect_exit 0 "$ESCROW" vault key add V C-JSON-1 -p agency2.pub --json &&
	expect_true "key add: escrow-vault-key-add/1" jt "d['schema'] == 'escrow-vault-key-add/1' and d['contract'] == 'C-JSON-1' and d['keys'] == 1"
"$ESCROW" pack src -o s.escrow -s agency.key -c c.yaml --release 2.0 -r "$(cat notary.age.pub)" -q 2>/dev/null
expect_exit 0 "$ESCROW" vault receive V s.escrow -o r.json --json &&
	expect_true "receive: escrow-vault-receive/1" \
		jt "d['schema'] == 'escrow-vault-receive/1' and d['verdict'] == 'verified' and d['sha256'] == '$(sha s.escrow)' and d['receipt'] == 'r.json'"
expect_exit 0 "$ESCROW" vault receive V s.escrow --json &&
	expect_true "receive again: existing, no receipt" jt "d['existing'] is True and d['receipt'] is None"
expect_exit 0 "$ESCROW" receipt verify r.json -p notary.pub --bundle s.escrow --json &&
	expect_true "receipt verify: escrow-receipt-verify/1" \
		jt "d['schema'] == 'escrow-receipt-verify/1' and d['verificationResult'] == 'PASSED' and d['bundle_checked'] is True and d['contract'] == 'C-JSON-1'"
expect_error 1 bad-signature r.json "$ESCROW" receipt verify r.json -p agency.pub --json
expect_exit 0 "$ESCROW" vault list V --json &&
	expect_true "vault list: escrow-vault-list/1" jt "d['schema'] == 'escrow-vault-list/1' and len(d['deposits']) == 1"
expect_exit 0 "$ESCROW" vault show V 1 --json &&
	expect_true "vault show: escrow-vault-show/1" jt "d['schema'] == 'escrow-vault-show/1' and d['id'] == 1"
expect_exit 0 "$ESCROW" vault audit V --json &&
	expect_true "vault audit: escrow-vault-audit/1" jt "d['schema'] == 'escrow-vault-audit/1' and d['ok'] == [1]"
expect_exit 0 "$ESCROW" vault audit V --full --json &&
	expect_true "vault audit --full" jt "d['mode'] == 'full' and d['failed'] == []"
expect_exit 0 "$ESCROW" vault log V --verify --json &&
	expect_true "vault log: escrow-vault-log/1, verified" jt "d['schema'] == 'escrow-vault-log/1' and d['verified'] and d['tampered'] is None"
echo "court order" >order.txt
expect_exit 0 "$ESCROW" vault release V C-JSON-1 --event bankruptcy --evidence order.txt -r "$(cat client.age.pub)" \
	-o rel.escrow --json &&
	expect_true "vault release: escrow-vault-release/1" \
		jt "d['schema'] == 'escrow-vault-release/1' and d['sha256'] == '$(sha rel.escrow)' and d['trigger'] == 'bankruptcy' and d['record'] == 'rel.escrow.release.json'"
expect_exit 0 "$ESCROW" rewrap s.escrow -p agency.pub -i notary.age -r "$(cat client.age.pub)" -o rw.escrow --json &&
	expect_true "rewrap: escrow-rewrap/1" jt "d['schema'] == 'escrow-rewrap/1' and d['verdict'] == 'verified'"
expect_exit 0 "$ESCROW" vault key revoke V "$(sed -n 's/^untrusted comment: minisign public key //p' agency2.pub)" \
	--reason "rotated" --json &&
	expect_true "key revoke: escrow-vault-key-revoke/1" jt "d['schema'] == 'escrow-vault-key-revoke/1' and d['reason'] == 'rotated'"
# a stored deposit altered: release --json prints the report of the failed verification
D=$(sha s.escrow)
python3 - "V/store/sha256/${D:0:2}/$D.escrow" <<'PY'
import sys
p = sys.argv[1]
b = bytearray(open(p, "rb").read())
b[len(b) // 2] ^= 1
open(p, "wb").write(bytes(b))
PY
expect_exit 1 "$ESCROW" vault release V C-JSON-1 --event other --evidence order.txt -r "$(cat client.age.pub)" \
	-o bad.escrow --json &&
	expect_true "release of an altered deposit: the rewrap report, not released" \
		jt "d['schema'] == 'escrow-rewrap/1' and d['verdict'] == 'tampered'"
expect_true "release of an altered deposit: nothing written" test ! -e bad.escrow
expect_error 66 cannot-open novault "$ESCROW" vault list novault --json
expect_error 73 exists V "$ESCROW" vault init V -s notary.key --json
expect_error 64 usage null "$ESCROW" vault release V C-JSON-1 --evidence order.txt -o x.escrow -r "$(cat client.age.pub)" --json
finish
