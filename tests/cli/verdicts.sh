#!/usr/bin/env bash
# One verdict per outcome (docs/FORMAT.md), each built with real commands:
# escrow keygen/pack, and stock age, minisign, zstd and tar (plus
# tests/mkbundle.py for a validly signed hostile bundle). For each case:
# the exit code, the text report's verdict line, the JSON "verdict", and that
# no line of the report contradicts another (no "integrity: failed" when
# every digest held, no "not checked" about a signature that was checked).
. "$(dirname "$0")/lib.sh"
MK="python3 $ESCROW_SRC/tests/mkbundle.py"

# The judge of one report: text in $1, JSON in $2, then the verdict, the
# signature status and the integrity status the case must have.
cat >judge.py <<'EOF'
import json, re, sys
text, js, want_v, want_sig, want_int = sys.argv[1:6]
lines = open(text).read().splitlines()
r = json.load(open(js))
def fail(msg):
    print("  report contradicts itself or the case: " + msg)
    print("\n".join("    | " + l for l in lines))
    sys.exit(1)
# One verdict line, the JSON's, and the reason the JSON gives.
vl = [l for l in lines if l.startswith("verdict:")]
if len(vl) != 1:
    fail("%d verdict lines" % len(vl))
m = re.match(r"^verdict: ([a-z-]+)( -- (.*))?$", vl[0])
if not m or m.group(1) != want_v:
    fail("text verdict %r, expected %r" % (vl[0], want_v))
if r.get("verdict") != want_v:
    fail("JSON verdict %r, expected %r" % (r.get("verdict"), want_v))
if want_v not in ("verified", "intact") and r.get("reason", "") not in vl[0]:
    fail("the text verdict line does not carry the JSON reason %r" % r.get("reason"))
sig, integ = r.get("signature", {}), r.get("integrity", {})
if sig.get("status") != want_sig:
    fail("JSON signature %r, expected %r" % (sig.get("status"), want_sig))
if integ.get("status") != want_int:
    fail("JSON integrity %r, expected %r" % (integ.get("status"), want_int))
# The text's trust lines say what the JSON says, once each.
sl = [l for l in lines if l.startswith("signature:")]
il = [l for l in lines if l.startswith("integrity:")]
if len(sl) != 1 or len(il) != 1:
    fail("%d signature and %d integrity lines" % (len(sl), len(il)))
sig_word = {"not-checked": "not checked"}.get(want_sig, want_sig)
int_word = {"not-checked": "not checked"}.get(want_int, want_int)
if not sl[0].startswith("signature:  " + sig_word):
    fail("signature line %r, expected %r" % (sl[0], sig_word))
if not il[0].startswith("integrity:  " + int_word):
    fail("integrity line %r, expected %r" % (il[0], int_word))
# What each verdict implies about the other lines.
implied = {
    "verified": ({"good"}, {"ok"}), "incomplete": ({"good"}, {"ok"}),
    "tampered": ({"good", "not-checked", "missing"}, {"failed"}),
    "bad-signature": ({"bad", "good"}, {"ok", "failed", "not-checked"}),
    "unsafe": ({"good", "not-checked"}, {"not-checked"}),
    "not-opened": ({"not-checked"}, {"not-checked"}),
    "not-a-bundle": ({"not-checked"}, {"not-checked"}),
    "intact": ({"not-checked"}, {"ok"}),
}[want_v]
if want_sig not in implied[0] or want_int not in implied[1]:
    fail("verdict %s with signature %s and integrity %s" % (want_v, want_sig, want_int))
if want_v == "bad-signature" and want_sig == "good" and r["bundle"].get("detached_signature") != "bad":
    fail("bad-signature with a good signature and no bad detached one")
# Nothing on any line says "not checked" about what was checked.
det = r.get("bundle", {}).get("detached_signature", "")
for l in lines:
    if "not checked" in l and "signature" in l and not l.startswith("signature:"):
        if want_sig != "not-checked" and "detached" not in l:
            fail("line %r says a signature was not checked" % l)
        if "detached" in l and det in ("good", "bad", "other-key"):
            fail("line %r says the detached signature was not checked (%s)" % (l, det))
    if want_int == "ok" and re.search(r"^integrity: +failed|was changed|SHA-256 differs", l) and not l.startswith("verdict:"):
        fail("line %r next to intact digests" % l)
# Integrity "ok" counts what was checked; "not-checked" counts nothing.
if want_int == "ok" and integ.get("files", 0) != r.get("totals", {}).get("files", -1):
    fail("integrity files %r, totals %r" % (integ.get("files"), r.get("totals")))
if want_int == "not-checked" and "files" in integ:
    fail("counts given for what was not checked")
EOF

# case WANT_EXIT VERDICT SIG INTEGRITY [GREP] -- COMMAND...: runs the command
# for text and with --json, and judges both. GREP (extended regex) must be
# on the verdict line.
case_n=0
check_case() {
	local want=$1 verdict=$2 sig=$3 integ=$4 grep_for=$5
	shift 6
	case_n=$((case_n + 1))
	if ! expect_exit "$want" "$@"; then
		echo "  (case $case_n: $verdict)" >&2
		return
	fi
	cp out "text.$case_n"
	cp err "err.$case_n"
	expect_exit "$want" "$@" --json
	cp out "json.$case_n"
	expect_true "case $case_n ($verdict): the report is consistent" python3 judge.py "text.$case_n" "json.$case_n" \
		"$verdict" "$sig" "$integ"
	[ -z "$grep_for" ] || expect_grep "^verdict: $verdict -- .*$grep_for" "text.$case_n"
	if [ "$want" != 0 ]; then
		expect_grep "^escrow: error: $verdict: " "err.$case_n"
	fi
}

# --- the parties: the agency, another agency, the notary and the client ---
"$ESCROW" keygen -o agency -W >/dev/null 2>&1
"$ESCROW" keygen -o other -W >/dev/null 2>&1
"$ESCROW" keygen -o notary --age >/dev/null 2>&1
age-keygen -o client.age 2>/dev/null
age-keygen -o stranger.age 2>/dev/null

mkdir -p src/app src/docs
printf 'print("scoring the claims")\n' >src/app/main.py
printf '# Runbook\nRestart the service.\n' >src/docs/runbook.md
cat >contract.yaml <<'EOF'
escrow-contract: 1
contract: CLAIMS-2026-03
agency: Agence Exemple SAS
deliverables:
  - id: source
    kind: code
    include: ["app/**"]
  - id: runbook
    kind: docs
    include: [docs/runbook.md]
EOF
cp contract.yaml strict.yaml
cat >>strict.yaml <<'EOF'
  - id: model-card
    kind: docs
    include: [docs/MODEL_CARD.md]
EOF
"$ESCROW" pack src -o good.escrow -s agency.key -c contract.yaml -q
"$ESCROW" pack src -o sealed.escrow -s agency.key -c contract.yaml -q \
	-r "$(cat notary.age.pub)" -r "$(age-keygen -y client.age)"

# The key ids as escrow prints them (16 hex digits).
key_id() { "$ESCROW" verify good.escrow -p "$1" --json 2>/dev/null | python3 -c 'import json, sys; print(json.load(sys.stdin)["signature"]["key_id"])'; }
agency_id=$(key_id agency.pub)
other_id=$(key_id other.pub)
expect_true "two different key ids" test "${#agency_id}" = 16 -a "${#other_id}" = 16 -a "$agency_id" != "$other_id"

# --- verified (0) and incomplete (2) ---
check_case 0 verified good ok "" -- "$ESCROW" verify good.escrow -p agency.pub -c contract.yaml
check_case 2 incomplete good ok "model-card" -- "$ESCROW" verify good.escrow -p agency.pub -c strict.yaml
check_case 0 verified good ok "" -- "$ESCROW" verify sealed.escrow -p agency.pub -i client.age
check_case 0 verified good ok "" -- "$ESCROW" list good.escrow -p agency.pub
# list without a key: every digest holds, but nothing says who made it.
check_case 0 intact not-checked ok "" -- "$ESCROW" list good.escrow
expect_true "intact: no error on stderr" test ! -s "err.$case_n"

# --- tampered (1): one byte flipped inside a payload file, recompressed by stock zstd ---
zstd -qdc good.escrow >good.tar
python3 - good.tar flipped.tar <<'EOF'
import sys
b = bytearray(open(sys.argv[1], "rb").read())
i = b.find(b"scoring the claims")
assert i > 0
b[i] ^= 0x01
open(sys.argv[2], "wb").write(b)
EOF
zstd -q --check -c flipped.tar >flipped.escrow
check_case 1 tampered good failed "app/main.py' was changed" -- "$ESCROW" verify flipped.escrow -p agency.pub
check_case 1 tampered good failed "was changed" -- "$ESCROW" extract flipped.escrow -p agency.pub -C x1
expect_true "tampered: nothing extracted" test ! -e x1
# A bundle cut short: the signature was never reached.
head -c $(($(stat -c %s good.escrow) / 2)) good.escrow >cut.escrow
check_case 1 tampered not-checked failed "" -- "$ESCROW" verify cut.escrow -p agency.pub

# --- bad-signature (1): another agency's key; every digest still holds ---
check_case 1 bad-signature bad ok "made by key $agency_id, not by key $other_id" -- \
	"$ESCROW" verify good.escrow -p other.pub -c contract.yaml
python3 -c '
import json, sys
s = json.load(open(sys.argv[1]))["signature"]
assert s["key_id"] == sys.argv[3] and s["signed_by"] == sys.argv[2], s' "json.$case_n" "$agency_id" "$other_id" ||
	{ echo "FAIL: JSON signature does not name both keys" >&2; fails=$((fails + 1)); }
check_case 1 bad-signature bad ok "made by key $agency_id" -- "$ESCROW" extract good.escrow -p other.pub -C x2
expect_true "bad-signature: nothing extracted" test ! -e x2
check_case 1 bad-signature bad ok "made by key $agency_id" -- "$ESCROW" list good.escrow -p other.pub
# Re-signed by stock minisign with the other key, digests rewritten: the
# same verdict, integrity ok (the files match the forged manifests).
expect_exit 0 "$ESCROW" keygen -W -q -o forger
$MK build src -o forged.escrow -s forger.key -c contract.yaml
check_case 1 bad-signature bad ok "not by key $agency_id" -- "$ESCROW" verify forged.escrow -p agency.pub
# A byte flipped in a file and signed by another key: both are said.
check_case 1 bad-signature bad failed "made by key $agency_id" -- "$ESCROW" verify flipped.escrow -p other.pub
expect_grep "^integrity:  failed.*was changed" "text.$case_n"

# --- unsafe (1): validly signed by the agency's own key, hostile structure
# (listed in the manifests it signed) ---
$MK build src -o escape.escrow -s agency.key --hostile symlink-escape
check_case 1 unsafe good not-checked "leads outside the payload" -- "$ESCROW" verify escape.escrow -p agency.pub
$MK build src -o dotdot.escrow -s agency.key --hostile dotdot
check_case 1 unsafe good not-checked "unsafe path" -- "$ESCROW" verify dotdot.escrow -p agency.pub
# Hostile and not signed by the expected key: the signature is the first link that breaks.
check_case 1 bad-signature bad not-checked "made by key $agency_id, not by key $other_id" -- \
	"$ESCROW" verify dotdot.escrow -p other.pub
expect_grep "^integrity:  not checked -- the checks stopped at an unsafe entry: .*unsafe path" "text.$case_n"
$MK build src -o device.escrow -s agency.key --hostile chardev
check_case 1 unsafe good not-checked "character device" -- "$ESCROW" extract device.escrow -p agency.pub -C x3
expect_true "unsafe: nothing extracted" test ! -e x3

# --- tampered (1), not unsafe: the agency's honest bundle, and someone without
# A signed hostile bundle cut right after its hostile entry: no signature
# vouches for the entry any more, so it is no longer "unsafe" but "tampered".
zstd -q -dc device.escrow | python3 -c '
import sys
b = sys.stdin.buffer.read()
off = 0
while off + 512 <= len(b) and b[off:off + 512] != bytes(512):
    h = b[off:off + 512]
    size = int(h[124:136].rstrip(b"\0 ") or b"0", 8)
    off += 512 + ((size + 511) // 512 * 512 if h[156:157] in (b"0", b"x") else 0)
    if h[156:157] == b"3":  # the character device
        break
sys.stdout.buffer.write(b[:off] + bytes(1024))' | zstd -q --check -c >dev-cut.escrow
check_case 1 tampered not-checked failed "no signed tag manifest follows an unsafe entry" -- \
	"$ESCROW" verify dev-cut.escrow -p agency.pub
# its key added a hostile entry in transit, listed in no signed manifest. The
# signature is good, but it does not cover the entry: "unsafe" would read as
# if the agency had signed it. ---
$MK build src -o t-device.escrow -s agency.key --hostile chardev --transit
check_case 1 tampered good failed "no signed manifest lists: demo-1.0/data/zdev \\(a character device\\)" -- \
	"$ESCROW" verify t-device.escrow -p agency.pub
expect_grep '"reason": ".*no signed manifest lists: demo-1.0/data/zdev' "json.$case_n"
check_case 1 tampered good failed "no signed manifest lists: demo-1.0/data/zdev" -- \
	"$ESCROW" extract t-device.escrow -p agency.pub -C x6
expect_true "tampered in transit: nothing extracted" test ! -e x6
$MK build src -o t-hard.escrow -s agency.key --hostile hardlink --transit
check_case 1 tampered good failed "no signed manifest lists: demo-1.0/data/zhard \\(a hard link\\)" -- \
	"$ESCROW" verify t-hard.escrow -p agency.pub
$MK build src -o t-abs.escrow -s agency.key --hostile absolute --transit
check_case 1 tampered good failed "no signed manifest lists: /tmp/escrow-evil-absolute \\(a file\\)" -- \
	"$ESCROW" verify t-abs.escrow -p agency.pub
# A symlink that leads outside is judged when the payload has been read: the
# signed manifest.json does not list it.
$MK build src -o t-escape.escrow -s agency.key --hostile symlink-escape --transit
check_case 1 tampered good failed "manifest.json lists .* entries, the bundle holds" -- \
	"$ESCROW" verify t-escape.escrow -p agency.pub
# The same entries, listed in the manifests the agency signed: unsafe.
$MK build src -o a-hard.escrow -s agency.key --hostile hardlink
check_case 1 unsafe good not-checked "is a hard link" -- "$ESCROW" verify a-hard.escrow -p agency.pub
$MK build src -o a-abs.escrow -s agency.key --hostile absolute
check_case 1 unsafe good not-checked "unsafe path '/tmp/escrow-evil-absolute'" -- \
	"$ESCROW" verify a-abs.escrow -p agency.pub

# --- not-opened (1): sealed for two recipients, no identity or a stranger's ---
check_case 1 not-opened not-checked not-checked "for 2 X25519 recipients" -- \
	"$ESCROW" verify sealed.escrow -p agency.pub
check_case 1 not-opened not-checked not-checked "sealed for 2 other X25519 recipients" -- \
	"$ESCROW" verify sealed.escrow -p agency.pub -i stranger.age
check_case 1 not-opened not-checked not-checked "for 2 X25519 recipients" -- \
	"$ESCROW" extract sealed.escrow -p agency.pub -C x4
check_case 1 not-opened not-checked not-checked "for 2 X25519 recipients" -- "$ESCROW" list sealed.escrow
expect_grep '"sealed": true' "json.$case_n"

# --- not-a-bundle (65): say what the file is instead ---
: >empty.escrow
check_case 65 not-a-bundle not-checked not-checked "an empty file" -- "$ESCROW" verify empty.escrow -p agency.pub
check_case 65 not-a-bundle not-checked not-checked "a YAML file" -- "$ESCROW" verify contract.yaml -p agency.pub
tar -cf plain.tar src
check_case 65 not-a-bundle not-checked not-checked "a plain tar archive" -- "$ESCROW" verify plain.tar -p agency.pub
zstd -q -c src/docs/runbook.md >text.zst
check_case 65 not-a-bundle not-checked not-checked "a zstd stream holding a text file" -- \
	"$ESCROW" verify text.zst -p agency.pub
tar -cf - src | zstd -q -c >project.tar.zst
check_case 65 not-a-bundle not-checked not-checked "zstd-compressed tar archive with no BagIt bag" -- \
	"$ESCROW" verify project.tar.zst -p agency.pub
# Binary bytes of no known kind, the same every run: random ones began with
# gzip's magic number 1 run in 65,536 ("gzip-compressed data", not "unknown
# binary data").
python3 -c 'import sys; sys.stdout.buffer.write(bytes(range(1, 256)) * 20)' |
	age -r "$(age-keygen -y client.age)" >junk.age
check_case 65 not-a-bundle not-checked not-checked "an age-encrypted file holding unknown binary data" -- \
	"$ESCROW" verify junk.age -p agency.pub -i client.age
age -r "$(age-keygen -y client.age)" -o yaml.age contract.yaml
check_case 65 not-a-bundle not-checked not-checked "an age-encrypted file holding a YAML file" -- \
	"$ESCROW" extract yaml.age -p agency.pub -i client.age -C x5
expect_true "not-a-bundle: nothing extracted" test ! -e x5
check_case 65 not-a-bundle not-checked not-checked "a YAML file" -- "$ESCROW" list contract.yaml
# JSON says what the file looks like.
python3 -c '
import json, sys
b = json.load(open(sys.argv[1]))["bundle"]
assert "YAML" in b["looks_like"], b' "json.$case_n" ||
	{ echo "FAIL: JSON bundle.looks_like" >&2; fails=$((fails + 1)); }

# --- the detached signature beside a sealed bundle ---
cp sealed.escrow rel.escrow
minisign -S -s forger.key -m rel.escrow >/dev/null 2>&1
check_case 0 verified good ok "" -- "$ESCROW" verify rel.escrow -p agency.pub -i client.age
expect_grep '"detached_signature": "other-key"' "json.$case_n"
expect_grep "was made by key [0-9A-F]{16}, not by key $agency_id" "text.$case_n"
# The agency's own detached signature (stock minisign reads escrow's keys): good,
# then a byte of the sealed file's signature changed: bad, though the deposit inside holds.
expect_exit 0 minisign -S -s agency.key -m rel.escrow
check_case 0 verified good ok "" -- "$ESCROW" verify rel.escrow -p agency.pub -i client.age
expect_grep '"detached_signature": "good"' "json.$case_n"
python3 -c 'import sys; p = sys.argv[1]; b = bytearray(open(p, "rb").read()); b[-30] ^= 1; open(p, "wb").write(b)' \
	rel.escrow.minisig
check_case 1 bad-signature good ok "detached signature does not verify" -- \
	"$ESCROW" verify rel.escrow -p agency.pub -i client.age
expect_grep '"detached_signature": "bad"' "json.$case_n"
finish
