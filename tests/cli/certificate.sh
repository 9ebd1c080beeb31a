#!/usr/bin/env bash
# escrow certificate, rendered in a real browser: the example project's
# certificate (English and French) printed by headless Chromium to PDF and
# drawn to PNG; pdftotext finds the bundle and contract SHA-256, the verdict
# and every deliverable, and the PDF is one A4 page. A hostile agency name,
# description, release and file name show as text in the PDF and escaped in
# the HTML, which holds only our own tags, no script and nothing fetched. A
# refused bundle gets a certificate saying so (exit as verify); a vault
# deposit's certificate shows the receipt and its signature, or the verdict
# recorded at receive when it cannot be verified again. Usage errors.
# The example's PNG is left in the build folder ($ESCROW_BUILD/certificate.png):
# docs/certificate.png is a copy of it.
. "$(dirname "$0")/lib.sh"
export SOURCE_DATE_EPOCH=1796558400 # 2026-12-06T12:00:00Z
SRC=${ESCROW_SRC:?set by ctest}

command -v chromium >/dev/null 2>&1 || skip_test "chromium is not installed (Debian package chromium)"
for t in pdftotext pdfinfo; do
	command -v $t >/dev/null 2>&1 || skip_test "$t is not installed (Debian package poppler-utils)"
done

# render HTML: HTML.pdf (A4, no header or footer) and HTML.png (1240 x 1754,
# A4 at 150 dpi), each by its own headless Chromium in a throwaway profile.
# Chromium's stderr (dbus noise) goes to a log, shown only when it fails.
render() {
	local html=$1 ok=0
	mkdir -p "$T/home"
	HOME=$T/home timeout 180 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome-pdf" \
		--no-pdf-header-footer --print-to-pdf="${html%.html}.pdf" "file://$html" >"$T/chrome.log" 2>&1 || ok=$?
	HOME=$T/home timeout 180 chromium --headless --no-sandbox --disable-gpu --user-data-dir="$T/chrome-png" \
		--hide-scrollbars --window-size=1240,1754 --screenshot="${html%.html}.png" "file://$html" \
		>>"$T/chrome.log" 2>&1 || ok=$?
	checks=$((checks + 1))
	if [ "$ok" != 0 ] || [ ! -s "${html%.html}.pdf" ] || [ ! -s "${html%.html}.png" ]; then
		echo "FAIL: chromium could not render $html (exit $ok):" >&2
		tail -20 "$T/chrome.log" | sed 's/^/  /' >&2
		fails=$((fails + 1))
		return 1
	fi
	pdftotext -layout "${html%.html}.pdf" "${html%.html}.txt"
	pdftotext -raw "${html%.html}.pdf" "${html%.html}.raw"
}
# pages PDF: its page count and size, as pdfinfo reads them.
pages() { pdfinfo "$1" | sed -n 's/^Pages: *//p'; }
# in_text FILE STRING: the exact string is in FILE (the text pdftotext
# extracted from a PDF, or an HTML file).
in_text() {
	checks=$((checks + 1))
	if ! grep -q -F -- "$2" "$1"; then
		echo "FAIL: '$2' is not in $1" >&2
		fails=$((fails + 1))
	fi
}
# in_flat FILE STRING: the same with every blank and line break left out of
# both (a long name wraps across lines in the PDF, possibly inside a word).
in_flat() {
	checks=$((checks + 1))
	if ! tr -d '[:space:]' <"$1" | grep -q -F -- "$(printf '%s' "$2" | tr -d '[:space:]')"; then
		echo "FAIL: '$2' is not in $1 (blanks left out)" >&2
		fails=$((fails + 1))
	fi
}
# clean_html HTML: only the tags and attributes the certificate writes, no
# script, no event handler, no URL, no outside resource of any kind.
clean_html() {
	python3 - "$1" <<'PY'
import html.parser, re, sys
text = open(sys.argv[1], encoding="utf-8").read()
allowed = {"html", "head", "meta", "title", "style", "body", "div", "header", "h1", "h2", "p", "b", "span",
           "table", "tr", "th", "td", "section", "svg", "text", "rect", "ul", "li", "pre", "footer", "br"}
attrs_ok = {"lang", "charset", "name", "content", "class", "colspan", "role", "width", "height", "viewbox",
            "x", "y"}
bad = []
class P(html.parser.HTMLParser):
    def handle_starttag(self, tag, attrs):
        if tag not in allowed:
            bad.append("tag <%s>" % tag)
        for k, v in attrs:
            if k not in attrs_ok:
                bad.append("attribute %s on <%s>" % (k, tag))
            if v and re.search(r"(?i)(https?:|url\(|javascript:|data:)", v):
                bad.append("value %r" % v)
P().feed(text)
if re.search(r"(?i)<script|https?://|url\(|@import|<link|<img|<iframe|<object", text):
    bad.append("a script or an outside reference in the text")
if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text):
    bad.append("a raw control character")
if bad:
    sys.exit("; ".join(bad))
PY
}
png_size() { python3 -c 'import struct, sys; d = open(sys.argv[1], "rb").read(24); assert d[:8] == b"\x89PNG\r\n\x1a\n"; print("%dx%d" % struct.unpack(">II", d[16:24]))' "$1"; }

# ---- the example project, sealed for the notary ----
python3 "$SRC/examples/make-project.py" project >/dev/null
cp "$SRC/examples/contract.yaml" contract.yaml
"$ESCROW" keygen -W -q -o agency
"$ESCROW" keygen -W -q -o notary
"$ESCROW" keygen --age -q -o notary
expect_exit 0 "$ESCROW" pack project -c contract.yaml -s agency.key --name claimscore --release 1.3.0 \
	-r "$(cat notary.age.pub)" -o deposit.escrow -q
BUNDLE_SHA=$(sha256sum deposit.escrow | cut -c1-64)
CONTRACT_SHA=$(sha256sum contract.yaml | cut -c1-64)
KEY_ID=$(sed -n '1s/.* //p' agency.pub)
IDS=$(sed -n 's/^  - id: *//p' contract.yaml)
[ "$(echo "$IDS" | wc -l)" -ge 10 ] || { echo "FAIL: the example contract's ids were not read" >&2; exit 1; }

for lang in en fr; do
	expect_exit 0 "$ESCROW" certificate deposit.escrow -p agency.pub -i notary.age -c contract.yaml --lang $lang \
		-o "$T/example-$lang.html"
	expect_grep "^certificate .*example-$lang.html: verified$" "$T/out"
	expect_true "example-$lang.html holds only the certificate's own markup" clean_html "$T/example-$lang.html"
	expect_grep "<html lang=\"$lang\">" "$T/example-$lang.html"
	render "$T/example-$lang.html" || continue
	expect_true "example-$lang.pdf is one page (pdfinfo: $(pages "$T/example-$lang.pdf"))" \
		test "$(pages "$T/example-$lang.pdf")" = 1
	expect_grep 'Page size: +594.9[0-9] x 841.9[0-9] pts \(A4\)' <(pdfinfo "$T/example-$lang.pdf")
	expect_true "example-$lang.png is 1240x1754 ($(png_size "$T/example-$lang.png"))" \
		test "$(png_size "$T/example-$lang.png")" = 1240x1754
	txt=$T/example-$lang.txt
	in_text "$txt" "$BUNDLE_SHA"
	in_text "$txt" "$CONTRACT_SHA"
	in_text "$txt" "$KEY_ID"
	in_text "$txt" "verdict: verified"
	in_text "$txt" "CLAIMS-2026-03"
	in_text "$txt" "Atelier Data SAS"
	in_text "$txt" "2026-12-06T12:00:00Z"
	in_text "$txt" "sha256sum -c tagmanifest-sha256.txt"
	in_text "$txt" "F='deposit.escrow'"
	in_text "$txt" 'minisign -Vm "$F" -p agency.pub'
	in_text "$txt" 'age -d -i notary.age "$F" | zstd -dc | tar -xf -'
	for id in $IDS; do in_text "$txt" "$id"; done
	expect_true "no header or footer in example-$lang.pdf" sh -c "! grep -q 'file://' '$txt'"
done
in_text "$T/example-en.txt" "Escrow deposit certificate"
in_text "$T/example-en.txt" "VERIFIED"
in_text "$T/example-fr.txt" "Certificat de dépôt sous séquestre"
in_text "$T/example-fr.txt" "VÉRIFIÉ"
in_text "$T/example-fr.txt" "VÉRIFIER À LA MAIN, AVEC LES OUTILS STANDARD" # h2 is upper case
in_text "$T/example-fr.txt" "Taille du dépôt"
expect_grep "[0-9]{2} [0-9]{3} octets" "$T/example-fr.html" # French grouping: a narrow no-break space
# The README's picture, made from the example project.
[ -n "${ESCROW_BUILD:-}" ] && [ -s "$T/example-en.png" ] && cp "$T/example-en.png" "$ESCROW_BUILD/certificate.png"

# An existing certificate is kept without --force, replaced with it.
cp "$T/example-en.html" keep.html
expect_exit 73 "$ESCROW" certificate deposit.escrow -p agency.pub -i notary.age -o keep.html
expect_grep 'keep.html: already exists \(use --force' "$T/err"
expect_true "keep.html unchanged" cmp -s keep.html "$T/example-en.html"
expect_exit 0 "$ESCROW" certificate deposit.escrow -p agency.pub -i notary.age -o keep.html --force -q
expect_true "keep.html replaced (no contract this time)" sh -c '! cmp -s keep.html "$1"' sh "$T/example-en.html"
expect_true "-q prints nothing" test ! -s "$T/out"

# ---- hostile text: agency, description, release, a file name, a control character ----
mkdir -p hostile/src
echo 'print(1)' >hostile/src/app.py
echo x >"hostile/<svg onload=alert(3)> \"q\" 'a'.txt"
cat >hostile.yaml <<'EOF'
escrow-contract: 1
contract: EVIL-1
agency: "<script>alert(1)</script> & Sons \"Q\" 'A'"
deliverables:
  - id: app
    description: "<img src=x onerror=alert(2)> here"
    kind: code
    include: ["src/**"]
EOF
expect_exit 0 "$ESCROW" pack hostile -c hostile.yaml -s agency.key --name evil --release '<i>9<b>' -o 'h<x>.escrow' -q
# A control character reaches the page through the bundle's own file name
# (pack refuses them in names and contract fields).
mv 'h<x>.escrow' $'h<x>\a\u202e.escrow'
expect_exit 0 "$ESCROW" certificate $'h<x>\a\u202e.escrow' -p agency.pub -c hostile.yaml -o "$T/hostile.html"
expect_true "hostile.html holds only the certificate's own markup" clean_html "$T/hostile.html"
expect_grep '&lt;script&gt;alert\(1\)&lt;/script&gt; &amp; Sons &quot;Q&quot; &#39;A&#39;' "$T/hostile.html"
expect_grep '&lt;img src=x onerror=alert\(2\)&gt; here' "$T/hostile.html"
expect_grep '&lt;svg onload=alert\(3\)&gt; &quot;q&quot; &#39;a&#39;.txt' "$T/hostile.html"
expect_grep '&lt;i&gt;9&lt;b&gt;' "$T/hostile.html"
expect_grep 'h&lt;x&gt;\\x07\\u202e.escrow' "$T/hostile.html"
if render "$T/hostile.html"; then
	raw=$T/hostile.raw
	in_flat "$raw" "<script>alert(1)</script> & Sons \"Q\" 'A'"
	in_flat "$raw" "<img src=x onerror=alert(2)> here"
	in_flat "$raw" "<svg onload=alert(3)> \"q\" 'a'.txt"
	in_flat "$raw" "<i>9<b>"
	in_flat "$raw" 'h<x>\x07\u202e.escrow'
	in_flat "$raw" "$(sha256sum h*.escrow | cut -c1-64)"
fi

# ---- long unbroken names: they wrap, and push nothing off the page ----
# An agency, a client, a description, a contract id, a bundle name and a
# release each one long word, and a missing include as long: the contract
# and signature part and the deliverables' status column used to be pushed
# past the right edge of the A4 page, and printed nowhere.
mkdir -p long/src && echo 'print(1)' >long/src/app.py
W=$(printf 'W%.0s' $(seq 300))
cat >long.yaml <<EOF
escrow-contract: 1
contract: C-$(printf 'K%.0s' $(seq 120))
agency: A$W
client: B$W
deliverables:
  - id: app
    description: D$W
    kind: code
    include: ["src/**"]
  - id: gone
    description: missing one
    kind: docs
    include: ["nothere/$(printf 'm%.0s' $(seq 200)).md"]
EOF
expect_exit 0 "$ESCROW" pack long -c long.yaml -s agency.key --name "N$(printf 'n%.0s' $(seq 150))" \
	--release "R$(printf 'r%.0s' $(seq 100))" -o long.escrow -q
expect_exit 2 "$ESCROW" certificate long.escrow -p agency.pub -c long.yaml -o "$T/long.html"
if render "$T/long.html"; then
	pdftotext -bbox "$T/long.pdf" "$T/long.bbox"
	expect_true "long.pdf: no word past the right margin (12 mm)" python3 - "$T/long.bbox" <<'PY'
import re, sys
t = open(sys.argv[1]).read()
width = float(re.search(r'<page width="([\d.]+)"', t).group(1))
words = re.findall(r'<word xMin="[\d.]+" yMin="[\d.]+" xMax="([\d.]+)" yMax="[\d.]+">([^<]*)</word>', t)
out = [w for x, w in words if float(x) > width - 12 * 72 / 25.4 + 1]
assert words and not out, out[:5]
PY
	# the rows that went off the page: the signature, the status column
	in_text "$T/long.txt" "Signature"
	in_text "$T/long.txt" "SIGNATURE AND VERIFICATION"
	expect_grep '^ *gone .* missing *$' "$T/long.txt"
fi

# ---- refused bundles get a certificate saying so, with verify's exit code ----
cp -a project project-1.3.1 && rm project-1.3.1/models/classifier.onnx
expect_exit 0 "$ESCROW" pack project-1.3.1 -s agency.key --name claimscore --release 1.3.1 -o part.escrow -q
expect_exit 2 "$ESCROW" certificate part.escrow -p agency.pub -c contract.yaml -o "$T/part.html"
expect_grep 'certificate .*part.html: incomplete' "$T/out"
expect_grep 'error: incomplete' "$T/err"
expect_grep 'verdict: incomplete' "$T/part.html"
expect_grep 'classifier-onnx</td>.*missing' "$T/part.html"
"$ESCROW" keygen -W -q -o mallory
expect_exit 1 "$ESCROW" certificate part.escrow -p mallory.pub -o "$T/forged.html"
expect_grep 'verdict: bad-signature' "$T/forged.html"
# the key id the signature names, said not to be proven: it did not verify
expect_grep "Signer key id</th><td>$KEY_ID <span class=\"bad\">\\(named by the signature, which did not verify\\)</span> <span class=\"muted\">\\(key given: $(sed -n '1s/.* //p' mallory.pub)\\)" \
	"$T/forged.html"
expect_grep "Signer key id</th><td>$KEY_ID</td>" "$T/example-en.html"
# Failed before its contract check (another key), the contract given: the
# page does not say none was given, nor that the bundle could not be read to
# its end (every digest held); an empty deposit's inventory is empty, not
# missing.
expect_exit 1 "$ESCROW" certificate part.escrow -p mallory.pub -c contract.yaml -o "$T/forged-c.html"
expect_grep 'No deliverables were judged: the bundle failed before its contract check' "$T/forged-c.html"
# and why it failed, as verify's reason says it
expect_grep "<th>Why</th><td>part.escrow: .*was made by key $KEY_ID, not by key $(sed -n '1s/.* //p' mallory.pub)" \
	"$T/forged-c.html"
expect_true "forged-c.html: not 'no contract given'" sh -c '! grep -qi "no contract given" "$1"' sh "$T/forged-c.html"
expect_true "forged-c.html: not 'could not be read to the end'" sh -c '! grep -q "read to the end" "$1"' sh \
	"$T/forged-c.html"
expect_exit 1 "$ESCROW" certificate part.escrow -p mallory.pub -c contract.yaml -o "$T/forged-fr.html" --lang fr
expect_grep 'Aucun livrable jugé : le dépôt a échoué avant la vérification du contrat' "$T/forged-fr.html"
expect_grep '<th>Motif</th><td>part.escrow: .*was made by key' "$T/forged-fr.html"
expect_grep 'nommée par la signature, qui ne s’est pas vérifiée' "$T/forged-fr.html"
# the statuses of the signatures and of the integrity are in French too
expect_grep '<th>Signature</th><td>invalide</td>' "$T/forged-fr.html"
expect_grep '<th>Signature détachée</th><td>sans objet</td>' "$T/forged-fr.html"
expect_grep '<th>Intégrité</th><td>conforme' "$T/forged-fr.html"
expect_true "forged-fr.html: no English status code" sh -c \
	'! grep -Eq "<td>(not-checked|not-applicable|other-key|absent|failed|good|bad|ok)( |<)" "$1"' sh "$T/forged-fr.html"
mkdir empty && expect_exit 0 "$ESCROW" pack empty -s agency.key -o empty.escrow -q
expect_exit 0 "$ESCROW" certificate empty.escrow -p agency.pub -o "$T/empty.html"
expect_grep 'No payload file\.' "$T/empty.html"
if render "$T/part.html"; then
	in_text "$T/part.txt" "INCOMPLETE"
	in_text "$T/part.txt" "verdict: incomplete"
	in_text "$T/part.txt" "$(sha256sum part.escrow | cut -c1-64)"
fi

# ---- a vault deposit: verified again, the receipt and its signature ----
expect_exit 0 "$ESCROW" vault init vault -s notary.key -i notary.age -q
expect_exit 0 "$ESCROW" vault contract add vault contract.yaml -p agency.pub -q
expect_exit 0 "$ESCROW" vault receive vault deposit.escrow -q
RECEIPT=vault/receipts/$BUNDLE_SHA.json
expect_exit 0 "$ESCROW" certificate --vault vault 1 -o "$T/vault.html" --lang fr
expect_grep "^certificate .*vault.html: verified$" "$T/out"
expect_true "vault.html holds only the certificate's own markup" clean_html "$T/vault.html"
for n in 1 2 3 4; do in_text "$T/vault.html" "$(sed -n ${n}p "$RECEIPT.minisig")"; done
in_text "$T/vault.html" "$(sha256sum "$RECEIPT" | cut -c1-64)"
in_text "$T/vault.html" "$(sed -n '1s/.* //p' notary.pub)"
in_text "$T/vault.html" "copie du coffre revérifiée, avec le contrat et la clé enregistrés à la réception"
if render "$T/vault.html"; then
	in_text "$T/vault.txt" "$BUNDLE_SHA"
	in_text "$T/vault.txt" "$CONTRACT_SHA"
	in_text "$T/vault.txt" "RÉCÉPISSÉ DU COFFRE"
	in_text "$T/vault.txt" "verdict: verified"
	expect_true "vault.pdf is one page ($(pages "$T/vault.pdf"))" test "$(pages "$T/vault.pdf")" = 1
fi
# A deposit the vault cannot verify again (signed by an unregistered key:
# refused at receive before any verification): the recorded verdict.
expect_exit 0 "$ESCROW" pack project -c contract.yaml -s mallory.key --name claimscore --release 1.3.2 -o m.escrow -q
expect_exit 1 "$ESCROW" vault receive vault m.escrow -q
expect_exit 1 "$ESCROW" certificate --vault vault 2 -o "$T/refused.html"
expect_grep 'verdict: bad-signature' "$T/refused.html"
expect_grep 'the verdict recorded by the vault at receive \(not verified again: it was refused at receive' \
	"$T/refused.html"
# The stored copy replaced by another bundle the same agency signed: the
# certificate says the store changed, and the exit code is tampered's.
STORED=vault/store/sha256/${BUNDLE_SHA:0:2}/$BUNDLE_SHA.escrow
cp "$STORED" stored.keep && chmod u+w "$STORED" && cp part.escrow "$STORED" && rm -f "$STORED.minisig"
expect_exit 1 "$ESCROW" certificate --vault vault 1 -o "$T/swapped.html"
expect_grep 'error: tampered: .*deposit 1: the stored copy is not the bundle received' "$T/err"
expect_grep "the stored copy&#39;s SHA-256 is not the one the ledger recorded at receive" "$T/swapped.html"
expect_grep "$(sha256sum part.escrow | cut -c1-64)" "$T/swapped.html"
# Swapped for another release the agency signed, which verifies on its own:
# the page says tampered too, never VERIFIED over the exit status of tampered.
expect_exit 0 "$ESCROW" pack project -c contract.yaml -s agency.key --name claimscore --release 1.3.9 -o o.escrow -q
cp o.escrow "$STORED"
expect_exit 1 "$ESCROW" certificate --vault vault 1 -o "$T/swapped2.html"
expect_grep 'certificate .*swapped2.html: tampered' "$T/out"
expect_grep 'verdict: tampered' "$T/swapped2.html"
expect_grep '<th>Why</th><td>the stored copy is not the bundle received' "$T/swapped2.html"
expect_true "no 'VERIFIED' on the page of a swapped copy" sh -c '! grep -q "VERIFIED\|verdict: verified" "$1"' sh \
	"$T/swapped2.html"
cp stored.keep "$STORED"
expect_exit 66 "$ESCROW" certificate --vault vault 9 -o "$T/none.html"
expect_true "no certificate for a deposit that does not exist" test ! -e "$T/none.html"

# ---- usage ----
expect_exit 64 "$ESCROW" certificate deposit.escrow -p agency.pub
expect_grep 'missing -o' "$T/err"
expect_exit 64 "$ESCROW" certificate deposit.escrow -p agency.pub -o x.html --lang de
expect_grep "give en or fr" "$T/err"
expect_exit 64 "$ESCROW" certificate deposit.escrow -o x.html
expect_exit 64 "$ESCROW" certificate - -p agency.pub -o x.html
expect_exit 64 "$ESCROW" certificate --vault vault 1 -p agency.pub -o x.html
expect_exit 64 "$ESCROW" certificate deposit.escrow -p agency.pub -o x.html --json
expect_exit 66 "$ESCROW" certificate nowhere.escrow -p agency.pub -o x.html
expect_true "nothing written on errors" test ! -e x.html
expect_exit 0 "$ESCROW" certificate --help
expect_grep '^usage: escrow certificate' "$T/out"
finish
