#!/usr/bin/env bash
# escapes.sh -- issue 13 section 1: text from outside never reaches a terminal
# raw. Escape sequences (OSC 52 clipboard write, ESC [ 2J, CSI as U+009B, the
# raw byte 0x9b, bidi U+202E, invalid UTF-8) go into every outside field: file
# names in the tree, link targets, the contract (id, agency, descriptions),
# bag-info's Source-Organization, the bag folder name, key and identity files,
# the trusted comment, paths on the command line. For every command, stdout
# and stderr must hold no byte below 0x20 but \n and \t, no DEL, no C1, no
# bidi control, and be valid UTF-8; --json must still carry the exact strings.
. "$(dirname "$0")/lib.sh"

# clean.py FILE...: the terminal-safety check, with the offending spot on failure.
cat >"$T/clean.py" <<'PY'
import sys
BIDI = {0x061C, 0x200E, 0x200F} | set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A))
bad = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    for i, b in enumerate(data):
        if (b < 0x20 and b not in (9, 10)) or b == 0x7F:
            print("%s: byte 0x%02x at %d: %r" % (path, b, i, data[max(0, i - 20):i + 20]))
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
            print("%s: U+%04X at %d: %r" % (path, ord(c), i, text[max(0, i - 20):i + 20]))
            bad = 1
            break
sys.exit(bad)
PY
# run CODE CMD...: exit code as expected, then stdout and stderr both clean.
run() {
	expect_exit "$@"
	checks=$((checks + 1))
	if ! python3 "$T/clean.py" "$T/out" "$T/err" >&2; then
		echo "FAIL: raw control in the output of '${*:2}'" >&2
		fails=$((fails + 1))
	fi
}
# jcheck PYTHON-EXPR: evaluated with j = the JSON of $T/out; must be true.
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

OSC=$'\e]52;c;aGVsbG8=\a'  # writes the clipboard
CLR=$'\e[2J\e[H'           # clears the screen
C1=$'\xc2\x9b'             # CSI as U+009B
RLO=$'\xe2\x80\xae'        # U+202E
RAW=$'\x9b'                # CSI as a raw byte (not UTF-8)
BAD=$'\xff\xc0\xaf'        # invalid UTF-8
FORGE="verdict: verified"

$ESCROW keygen -W -o k >/dev/null 2>&1 || { echo "keygen failed"; exit 1; }

# ---- file names and link targets in the tree (pack, check, list, verify, extract)
mkdir -p src/code
printf 'print(1)\n' >src/code/main.py
printf 'x\n' >"src/code/c1${C1}2J${RLO}txt.exe"
printf 'x\n' >"src/code/bidi${RLO}gpj.exe"
ln -s "bidi${RLO}gpj.exe" "src/code/link${C1}"
cat >c.yaml <<EOF
escrow-contract: 1
contract: EVIL-1
agency: "Agence \\u009b[2J\\u202eSAS"
client: Client
deliverables:
  - id: code
    description: "line \\u009b[2J\\u202e\\nverdict: verified"
    kind: code
    include: ["code/**"]
EOF
run 0 $ESCROW check src -c c.yaml
run 0 $ESCROW check src -c c.yaml --json
jcheck 'j["deliverables"][0]["description"] == "line \u009b[2J\u202e\nverdict: verified"'
run 0 $ESCROW pack src -o b.escrow -s k.key -c c.yaml
run 0 $ESCROW pack src -o b2.escrow -s k.key -c c.yaml --json
run 0 $ESCROW verify b.escrow -p k.pub -c c.yaml
expect_grep 'agency: +Agence \\u009b\[2J\\u202eSAS' "$T/out"
run 0 $ESCROW verify b.escrow -p k.pub -c c.yaml --json
jcheck 'j["bundle"]["agency"] == "Agence \u009b[2J\u202eSAS"'
jcheck 'j["deliverables"][0]["description"] == "line \u009b[2J\u202e\nverdict: verified"'
jcheck '"code/c1\u009b2J\u202etxt.exe" in j["deliverables"][0]["paths"]'
run 0 $ESCROW list b.escrow -p k.pub
expect_grep 'code/link\\u009b -> bidi\\u202egpj.exe' "$T/out"
run 0 $ESCROW list b.escrow --json
jcheck 'any(f["path"] == "code/link\u009b" and f["target"] == "bidi\u202egpj.exe" for f in j["files"])'
jcheck 'any(f["path"] == "code/bidi\u202egpj.exe" for f in j["files"])'
run 0 $ESCROW extract b.escrow -C out1 -p k.pub
expect_true "extract wrote the exact name" test -f "out1/data/code/bidi${RLO}gpj.exe"
run 0 $ESCROW extract b.escrow -C out2 -p k.pub -c c.yaml --deliverable code

# names pack must refuse: a C0 control, invalid UTF-8, a raw 0x9b byte
for evil in "osc${OSC}" "clr${CLR}${FORGE}" "bad${BAD}" "raw${RAW}2J"; do
	rm -rf s2 && mkdir -p s2 && printf 'x\n' >"s2/$evil"
	run 65 $ESCROW pack s2 -o x.escrow -s k.key
	expect_grep 'not valid UTF-8 or holds control' "$T/err"
	run 65 $ESCROW check s2 -c c.yaml
done
# a link whose target holds escapes and leads nowhere
rm -rf s3 && mkdir -p s3 && ln -s "../${OSC}${CLR}${RAW}${BAD}" "s3/l${C1}"
run 65 $ESCROW pack s3 -o x.escrow -s k.key
expect_grep 'symlink to' "$T/err"

# ---- forged bundles: bag folder renamed, link target, bag-info, trusted comment
cat >"$T/forge.py" <<'PY'
import hashlib, io, os, subprocess, sys, tarfile
sys.path.insert(0, os.path.join(os.environ["ESCROW_SRC"], "tests"))
from mkbundle import canonical  # the one header form a reader accepts
def load(p):
    raw = subprocess.run(["zstd", "-q", "-dc", p], stdout=subprocess.PIPE, check=True).stdout
    tf = tarfile.open(fileobj=io.BytesIO(raw), mode="r", encoding="utf-8", errors="surrogateescape")
    return [(m, tf.extractfile(m).read() if m.isfile() else None) for m in tf.getmembers()]
def save(members, p):
    buf = io.BytesIO()
    fmt = tarfile.USTAR_FORMAT if USTAR else tarfile.PAX_FORMAT  # ustar: raw bytes in the header itself
    tf = tarfile.open(fileobj=buf, mode="w", format=fmt, encoding="utf-8", errors="surrogateescape")
    for m, d in members:
        m.pax_headers = {}  # tarfile would write the old path/linkpath records again
        if d is not None:
            m.size = len(d)
        tf.addfile(m, io.BytesIO(d) if d is not None else None)
    tf.close()
    try:  # a name libarchive cannot write (not UTF-8) stays in tarfile's form, which a reader refuses
        tar = canonical(buf.getvalue())
    except (Exception, SystemExit):
        tar = buf.getvalue()
    z = subprocess.run(["zstd", "-q", "-3", "--check", "-c"], input=tar, stdout=subprocess.PIPE, check=True).stdout
    open(p, "wb").write(z)
def s(b):  # bytes from the shell -> tarfile's str
    return b.decode("utf-8", "surrogateescape")
def tag(members, name):
    return [x for x in members if x[0].name.split("/", 1)[-1] == name][0]
def resign(members, seckey, tc):
    tm = tag(members, "tagmanifest-sha256.txt")
    open("tm", "wb").write(tm[1])
    subprocess.run(["minisign", "-S", "-s", seckey, "-m", "tm", "-x", "tm.minisig", "-t", tc], check=True,
                   stdout=subprocess.DEVNULL, stdin=subprocess.DEVNULL)
    sig = tag(members, "tagmanifest-sha256.txt.minisig")
    members[members.index(sig)] = (sig[0], open("tm.minisig", "rb").read())
cmd, src, dst = sys.argv[1], sys.argv[2], sys.argv[3]
USTAR = cmd.endswith("-ustar")
cmd = cmd.replace("-ustar", "")
arg = [a.encode("utf-8", "surrogateescape") for a in sys.argv[4:]]
ms = load(src)
if cmd == "rename":  # the bag folder, no key needed
    old = ms[0][0].name.rstrip("/")
    for m, _ in ms:
        m.name = s(arg[0]) + m.name[len(old):]
elif cmd == "target":  # a link target, no key needed
    for m, _ in ms:
        if m.issym():
            m.linkname = s(arg[0])
elif cmd == "baginfo":  # Source-Organization; re-signed when a key is given
    bi = tag(ms, "bag-info.txt")
    lines = [l if not l.startswith(b"Source-Organization:") else b"Source-Organization: " + arg[0]
             for l in bi[1].split(b"\n")]
    new = b"\n".join(lines)
    ms[ms.index(bi)] = (bi[0], new)
    tm = tag(ms, "tagmanifest-sha256.txt")
    out = b""
    for l in tm[1].splitlines(True):
        if l.rstrip(b"\n").endswith(b"  bag-info.txt"):
            l = hashlib.sha256(new).hexdigest().encode() + b"  bag-info.txt\n"
        out += l
    ms[ms.index(tm)] = (tm[0], out)
    if len(arg) > 1:
        resign(ms, s(arg[1]), "escrow-bundle/1 forged")
elif cmd == "comment":  # the trusted comment, signed by the key
    resign(ms, s(arg[1]), s(arg[0]))
save(ms, dst)
PY
py() { python3 "$T/forge.py" "$@"; }

py rename b.escrow f-rename.escrow "bag${OSC}${CLR}${FORGE}${C1}${RAW}${RLO}${BAD}"
for cmd in verify list; do
	run 1 $ESCROW $cmd f-rename.escrow -p k.pub
	expect_true "$cmd names a verdict" grep -q 'verdict' "$T/out"
	run 1 $ESCROW $cmd f-rename.escrow -p k.pub --json
	[ -s "$T/out" ] && jcheck 'json.dumps(j) != ""'
done
run 1 $ESCROW extract f-rename.escrow -C out3 -p k.pub
# a name that is valid UTF-8 (C1 and bidi only); whether the bag name is bound
# to the signature is another test's business: here the output stays clean
py rename b.escrow f-rename2.escrow "bag${C1}2J${RLO}"
for cmd in verify list; do
	for json in "" --json; do
		$ESCROW $cmd f-rename2.escrow -p k.pub $json >"$T/out" 2>"$T/err" </dev/null
		checks=$((checks + 1))
		python3 "$T/clean.py" "$T/out" "$T/err" >&2 || { echo "FAIL: raw control from $cmd f-rename2 $json" >&2; fails=$((fails + 1)); }
	done
done

py target b.escrow f-target.escrow "${OSC}${CLR}${C1}${RAW}${RLO}${BAD}"
for cmd in verify list; do
	run 1 $ESCROW $cmd f-target.escrow -p k.pub
	run 1 $ESCROW $cmd f-target.escrow -p k.pub --json
done
run 1 $ESCROW extract f-target.escrow -C out4 -p k.pub
py target-ustar b.escrow f-target2.escrow "x${RAW}${BAD}${CLR}"
for cmd in verify list; do
	run 1 $ESCROW $cmd f-target2.escrow -p k.pub
	# refused at its header (tarfile's form) or at the link, its target escaped
	expect_true "$cmd refuses f-target2 naming nothing raw" grep -q -e "'x\\\\x9b\\\\xff\\\\xc0\\\\xaf\\\\x1b\\[2J\\\\x1b\\[H' leads outside" -e "not in the writer's form" "$T/err"
	run 1 $ESCROW $cmd f-target2.escrow -p k.pub --json
done
run 1 $ESCROW extract f-target2.escrow -C out4 -p k.pub

# bag-info changed without the key: tampered, and the agency line stays clean
py baginfo b.escrow f-agency.escrow "Evil${OSC}${CLR}${FORGE}${C1}${RAW}${RLO}${BAD}"
run 1 $ESCROW verify f-agency.escrow -p k.pub
run 1 $ESCROW verify f-agency.escrow -p k.pub --json
run 0 $ESCROW list f-agency.escrow # no -p: the digests hold, nobody vouches
run 1 $ESCROW extract f-agency.escrow -C out5 -p k.pub
# ... and re-signed by a hostile depositor: verified, escaped, exact in JSON
py baginfo b.escrow f-agency2.escrow "Evil${OSC}${CLR}${FORGE}${C1}${RLO}" k.key
run 0 $ESCROW verify f-agency2.escrow -p k.pub
expect_grep 'agency: +Evil\\x1b\]52;c;aGVsbG8=\\x07\\x1b\[2J\\x1b\[Hverdict: verified\\u009b\\u202e' "$T/out"
run 0 $ESCROW verify f-agency2.escrow -p k.pub --json
jcheck 'j["bundle"]["agency"] == "Evil\x1b]52;c;aGVsbG8=\x07\x1b[2J\x1b[Hverdict: verified\u009b\u202e"'
py baginfo b.escrow f-agency3.escrow "Evil${RAW}${BAD}" k.key
run 0 $ESCROW verify f-agency3.escrow -p k.pub
run 0 $ESCROW verify f-agency3.escrow -p k.pub --json

# the trusted comment (stock minisign 0.11 signs and verifies any byte but line
# breaks and NUL in it: each is escaped where it is shown)
py comment b.escrow f-comment.escrow "tc ${C1}[2J${RLO}" k.key
run 0 $ESCROW verify f-comment.escrow -p k.pub
expect_grep 'trusted comment "tc \\u009b\[2J\\u202e"' "$T/out"
run 0 $ESCROW verify f-comment.escrow -p k.pub --json
jcheck 'j["signature"]["trusted_comment"] == "tc \u009b[2J\u202e"'
run 0 $ESCROW list f-comment.escrow -p k.pub

# ---- key and identity files, paths on the command line
{ printf 'untrusted comment: %s\n' "${OSC}${CLR}${C1}${RAW}${RLO}${BAD}"; sed -n 2p k.pub; } >evil-comment.pub
run 0 $ESCROW verify b.escrow -p evil-comment.pub
{ printf 'untrusted comment: x\n%s\n' "RW${OSC}${CLR}${C1}${RAW}${RLO}${BAD}"; } >evil-line.pub
run 65 $ESCROW verify b.escrow -p evil-line.pub
printf '%s\n' "${OSC}${CLR}${C1}${RAW}${RLO}${BAD}" >evil-first.pub
run 65 $ESCROW verify b.escrow -p evil-first.pub
{ printf 'untrusted comment: %s\n' "${OSC}${C1}${RLO}"; sed -n 2p k.key; } >evil.key
run 0 $ESCROW pack src -o b3.escrow -s evil.key
printf '# %s\nAGE-SECRET-KEY-%s\n' "${OSC}${C1}${RLO}" "${CLR}${RAW}${BAD}" >evil.age
run 65 $ESCROW list b.escrow -i evil.age
run 65 $ESCROW rewrap b.escrow -p k.pub -i evil.age -r age1qqqq -o r.escrow
EVILPATH="in${OSC}${CLR}${C1}${RAW}${RLO}${BAD}"
run 66 $ESCROW verify "$EVILPATH.escrow" -p k.pub
run 66 $ESCROW list "$EVILPATH.escrow"
run 66 $ESCROW verify b.escrow -p "$EVILPATH.pub"
run 66 $ESCROW check "$EVILPATH" -c c.yaml
run 66 $ESCROW check src -c "$EVILPATH.yaml"
run 66 $ESCROW pack "$EVILPATH" -o x.escrow -s k.key
run 66 $ESCROW pack src -o x.escrow -s "$EVILPATH.key"
run 64 $ESCROW verify b.escrow -p k.pub "--$EVILPATH"
run 64 $ESCROW "$EVILPATH"
# a 100 KB argument: every message that echoes one was a 100 KB line on the
# terminal (and in escrow-error/1's message); now the message keeps its head
# and its tail (the escaped escape sequence at its end) around " ... ", as the
# library's messages do
LONG=$(head -c 100000 /dev/zero | tr '\0' A)$CLR
for args in "verify --x$LONG" "verify b.escrow -p k.pub x$LONG" "pack src -o x.escrow --progress x$LONG" \
	"vault audit V --sample x$LONG" "certificate b.escrow -p k.pub -o c.html --lang x$LONG" "x$LONG" \
	"help vault x$LONG" "completion x$LONG"; do
	# shellcheck disable=SC2086 # $args splits into the command's words
	for json in "" --json; do
		[ "${args%% *}" = completion ] && [ -n "$json" ] && continue # no --json there
		run 64 $ESCROW $args $json
		checks=$((checks + 1))
		if [ "$(awk '{ if (length($0) > m) m = length($0) } END { print m + 0 }' "$T/err" "$T/out")" -gt 2048 ]; then
			echo "FAIL: a line over 2048 bytes from '${args:0:20}... $json'" >&2
			fails=$((fails + 1))
		fi
		expect_grep 'AAAA \.\.\. AAAA.*\\x1b\[2J\\x1b\[H' "$T/err"
		[ -n "$json" ] && jcheck '" ... " in j["message"] and len(j["message"]) < 2048'
	done
done
cp b.escrow "$EVILPATH.escrow"
run 0 $ESCROW verify "$EVILPATH.escrow" -p k.pub -c c.yaml
run 0 $ESCROW verify "$EVILPATH.escrow" -p k.pub -c c.yaml --json
jcheck 'j["bundle"]["path"].startswith("in\x1b]52;c;aGVsbG8=\x07\x1b[2J\x1b[H\u009b\ufffd\u202e")'
run 0 $ESCROW pack src -o "$EVILPATH.out" -s k.key
run 0 $ESCROW pack src -o "$EVILPATH.out2" -s k.key --json
jcheck 'j["bundle"].startswith("in\x1b]52;c;aGVsbG8=\x07\x1b[2J\x1b[H\u009b\ufffd\u202e")'
run 0 $ESCROW extract b.escrow -C "$EVILPATH.dir" -p k.pub
run 0 $ESCROW keygen -W -o "$EVILPATH.k"
run 0 $ESCROW keygen --age -o "$EVILPATH.a"
run 0 $ESCROW keygen --age -o n
run 0 $ESCROW pack src -o sealed.escrow -s k.key -r "$(cat n.age.pub)"
run 0 $ESCROW rewrap sealed.escrow -p k.pub -i n.age -r "$(cat n.age.pub)" -o "$EVILPATH.rw"
run 0 $ESCROW verify "$EVILPATH.rw" -p k.pub -i n.age
run 0 $ESCROW list "$EVILPATH.rw" -i n.age --json
jcheck 'j["bundle"]["path"].endswith(".rw") and j["bundle"]["sealed"]'
# --name and --release end up in the trusted comment, which minisign -V prints raw
for evil in "$C1" "$RLO" "$RAW" "$BAD" "$CLR"; do
	run 64 $ESCROW pack src -o n.escrow -s k.key --name "a${evil}"
	run 64 $ESCROW pack src -o n.escrow -s k.key --release "1${evil}"
done
# contracts the parser refuses, with escapes in keys and values (the contract
# id names the bundle: C1 and bidi are refused there, and echoed escaped)
sed 's/^contract: EVIL-1$/contract: "EVIL-\\u009b2J\\u202e"/' c.yaml >bad0.yaml
run 65 $ESCROW check src -c bad0.yaml
expect_grep "contract id 'EVIL-\\\\u009b2J\\\\u202e' must be" "$T/err"
printf 'escrow-contract: 1\ncontract: X\n"%s": 1\n' "${OSC}${C1}${RLO}" >bad1.yaml
run 65 $ESCROW check src -c bad1.yaml
printf 'escrow-contract: 1\ncontract: "%s"\n' "${CLR}" >bad2.yaml
run 65 $ESCROW check src -c bad2.yaml
printf 'escrow-contract: 1\ncontract: X\n%s\n' "${RAW}${BAD}" >bad3.yaml
run 65 $ESCROW check src -c bad3.yaml

finish
