#!/usr/bin/env bash
# The tar layer against a man in the middle: every header field in a form
# other than the writer's is refused (a lenient reader and a strict one could
# read it two ways, and whatever rides along is covered by no signature); the
# bag folder's name and the tag files' times are bound to what was signed; the
# zeros after the archive are bounded; a flood of entries before the signature
# stays within a kernel-enforced memory limit; and names are bytes (NFD, NFC
# and mixed names round-trip through pack, verify and extract).
. "$(dirname "$0")/lib.sh"

"$ESCROW" keygen -W -o k >/dev/null 2>&1
mkdir -p src/app
printf 'print(1)\n' >src/app/main.py
printf 'hello\n' >src/README.md
printf '%0600d\n' 0 >src/app/long-data.txt
ln -s README.md src/readme-link
SOURCE_DATE_EPOCH=1767225600 "$ESCROW" pack src -o good.escrow -s k.key --name t --release 1 -q
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub

# mut.py IN OUT KIND: decompresses IN, changes one header the way KIND says
# (fixing the checksum unless KIND is about it), recompresses. The signature
# covers the tag manifest only, so each result is validly signed.
cat >mut.py <<'EOF'
import subprocess, sys
src, out, kind = sys.argv[1:4]
tar = bytearray(subprocess.run(["zstd", "-qdc", src], stdout=subprocess.PIPE, check=True).stdout)

def headers():
    off, res = 0, []
    while off + 512 <= len(tar) and tar[off:off + 512] != bytes(512):
        h = tar[off:off + 512]
        size = int(bytes(h[124:135]), 8)
        res.append((off, bytes(h[:100]).rstrip(b"\0"), bytes(h[156:157])))
        off += 512 + ((size + 511) // 512 * 512 if h[156:157] in (b"0", b"x") else 0)
    return res, off

def find(name):
    for off, n, t in headers()[0]:
        if n.endswith(name.encode()):
            return off
    raise SystemExit("no entry " + name)

def fix(off):
    h = tar[off:off + 512]
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    tar[off:off + 512] = h

def header(name, typ, data):
    h = bytearray(512)
    h[0:len(name)] = name
    h[100:108] = b"000644 \0"
    h[108:116] = h[116:124] = h[329:337] = h[337:345] = b"000000 \0"
    h[124:136] = b"%011o " % len(data)
    h[136:148] = b"%011o " % 1767225600
    h[156:157] = typ
    h[257:265] = b"ustar\x0000"
    h[148:156] = b" " * 8
    h[148:156] = b"%06o\0 " % sum(h)
    return bytes(h) + data + bytes(-len(data) % 512)

def pax(*recs):
    b = b""
    for k, v in recs:
        r = b" " + k + b"=" + v + b"\n"
        n = len(r) + 1
        n = len(r) + len(str(n))
        n = len(r) + len(str(n))
        b += str(n).encode() + r
    return b

f = find("app/main.py")
field = {"mode": (100, 8), "uid": (108, 8), "size": (124, 12), "mtime": (136, 12)}
if kind.startswith(("tab-", "space-", "b256-", "noterm-", "nul-")):
    form, name = kind.split("-", 1)
    o, n = field[name]
    o += f
    old = bytes(tar[o:o + n])
    digits = old.rstrip(b" \0")
    v = int(digits, 8)
    if form == "tab":
        new = b"\t" + digits[1:] + old[len(digits):]
    elif form == "space":
        new = b" " + digits[1:] + old[len(digits):]
    elif form == "b256":
        new = bytes([0x80]) + v.to_bytes(n - 1, "big")
    elif form == "noterm":
        new = (b"%0" + str(n).encode() + b"o") % v
    else:  # Python's tarfile form: one more digit, a NUL
        new = (b"%0" + str(n - 1).encode() + b"o\0") % v
    assert len(new) == n
    tar[o:o + n] = new
    fix(f)
elif kind == "uid":
    tar[f + 108:f + 116] = b"000001 \0"
    fix(f)
elif kind == "uname":
    tar[f + 265:f + 269] = b"root"
    fix(f)
elif kind == "gname":
    tar[f + 297:f + 301] = b"root"
    fix(f)
elif kind == "devmajor":
    tar[f + 329:f + 337] = b"000001 \0"
    fix(f)
elif kind == "magic-gnu":
    tar[f + 257:f + 265] = b"ustar  \0"
    fix(f)
elif kind == "checksum-form":
    s = int(bytes(tar[f + 148:f + 154]), 8)
    tar[f + 148:f + 156] = b"%07o\0" % s
elif kind == "checksum-signed":
    tar[f + 148:f + 156] = b"%06o\0 " % (int(bytes(tar[f + 148:f + 154]), 8) + 1)
elif kind == "name-tail":
    n = len(bytes(tar[f:f + 100]).rstrip(b"\0"))
    tar[f + n + 1] = ord("X")
    fix(f)
elif kind == "pad-bytes":
    tar[f + 505] = ord("X")
    fix(f)
elif kind == "data-padding":
    tar[f + 512 + 20] = ord("X")
elif kind in ("pax-extra", "pax-dup", "pax-zero-len", "pax-uname", "gnu-L", "gnu-K", "global-g"):
    name = bytes(tar[f:f + 100]).rstrip(b"\0")
    if kind == "pax-extra":
        blob = header(b"PaxHeader/main.py", b"x", pax((b"path", name), (b"comment", b"unsigned")))
    elif kind == "pax-uname":
        blob = header(b"PaxHeader/main.py", b"x", pax((b"uname", b"root")))
    elif kind == "pax-dup":
        blob = header(b"PaxHeader/main.py", b"x", pax((b"path", name + b"x"), (b"path", name)))
    elif kind == "pax-zero-len":
        rest = pax((b"path", name)).split(b" ", 1)[1]
        rec = b"0" + str(len(rest) + 4).encode() + b" " + rest  # "0NN path=...\n", NN counting it all
        assert len(rec) == int(rec.split(b" ")[0])
        blob = header(b"PaxHeader/main.py", b"x", rec)
    elif kind == "global-g":
        blob = header(b"pax_global_header", b"g", pax((b"comment", b"unsigned")))
    else:
        blob = header(b"././@LongLink", kind[-1].encode(), name + b"\0")
    tar[f:f] = blob
elif kind == "rename-bag":
    for off, n, t in headers()[0]:
        for o, ln in ((off, 100), (off + 345, 155)):
            fld = bytes(tar[o:o + ln])
            if fld.startswith(b"t-1"):
                tar[o:o + 3] = b"u-1"
        fix(off)
    for off, n, t in headers()[0]:
        if t == b"x":
            size = int(bytes(tar[off + 124:off + 135]), 8)
            d = bytes(tar[off + 512:off + 512 + size]).replace(b"=t-1/", b"=u-1/")
            tar[off + 512:off + 512 + size] = d
elif kind == "tag-mtime":
    o = find("bag-info.txt")
    tar[o + 136:o + 148] = b"%011o " % 1767225601
    fix(o)
elif kind == "dir-mtime":
    o = find("t-1/data/")
    tar[o + 136:o + 148] = b"%011o " % 1767225601
    fix(o)
elif kind.startswith("trailer-"):
    tar += bytes(int(kind[8:]))
else:
    raise SystemExit("unknown kind " + kind)
z = subprocess.run(["zstd", "-q", "-3", "--check", "-c"], input=bytes(tar), stdout=subprocess.PIPE, check=True)
open(out, "wb").write(z.stdout)
EOF

# refused KIND PATTERN: the mutated bundle is refused by verify and extract,
# with a message matching PATTERN, and extract leaves nothing behind.
refused() {
	python3 mut.py good.escrow "m-$1.escrow" "$1"
	expect_exit 1 "$ESCROW" verify "m-$1.escrow" -p k.pub && expect_grep "$2" err ||
		echo "  (mutation: $1)" >&2
	mkdir -p "x-$1"
	# in this shell: a failed expect_exit in a ( subshell ) was not counted
	cd "x-$1" || exit 1
	expect_exit 1 "$ESCROW" extract "$T/m-$1.escrow" -C out -p "$T/k.pub" || echo "  (mutation, extract: $1)" >&2
	cd "$T" || exit 1
	expect_true "$1: extract left nothing" test -z "$(ls -A "x-$1")"
}
form='not in the writer.s form'
for f in mode uid size mtime; do
	refused "tab-$f" "$form"
	refused "space-$f" "$form"
	refused "b256-$f" "$form"
	refused "nul-$f" "$form"
done
refused noterm-size "$form"
refused noterm-mtime "$form"
refused uid 'owner or device'
refused devmajor 'owner or device'
refused uname 'user or group name'
refused gname 'user or group name'
refused magic-gnu 'not POSIX ustar'
refused checksum-form 'checksum'
refused checksum-signed 'wrong checksum'
refused name-tail "name field"
refused pad-bytes 'after its prefix'
refused data-padding 'padding after an entry'
refused pax-extra "pax record 'comment'"
refused pax-uname "pax record 'uname'"
refused pax-dup "'path' twice"
refused pax-zero-len 'malformed pax record'
refused gnu-L "entry type 'L'"
refused gnu-K "entry type 'K'"
refused global-g "entry type 'g'"
# Metadata no signature covers cannot change what is reported or written.
refused rename-bag 'renamed'
refused tag-mtime "bag-info.txt's time"
refused dir-mtime "folder 't-1/data/'"
# Zeros after the archive: what tar's blocking can add is fine, more is not.
python3 mut.py good.escrow pad-ok.escrow trailer-10240
expect_exit 0 "$ESCROW" verify pad-ok.escrow -p k.pub
refused trailer-10752 'after the end of the tar archive'
refused trailer-4194304 'after the end of the tar archive'
# The untouched bundle round-trips, and stock tar still reads it.
python3 mut.py good.escrow same.escrow trailer-0
expect_exit 0 "$ESCROW" verify same.escrow -p k.pub
expect_true "stock tar lists the bundle" sh -c "zstd -qdc good.escrow | tar -tf - | grep -q 't-1/data/app/main.py'"

# Names are bytes: NFD (as macOS writes them), NFC and both in one folder.
nfd=$(printf 'cafe\xcc\x81')
nfc=$(printf 'caf\xc3\xa9')
mkdir -p "names/$nfd-dir" names/mixed
printf 'd\n' >"names/$nfd.txt"
printf 'c\n' >"names/$nfc.txt"
printf 'in d\n' >"names/$nfd-dir/$nfc.txt"
printf '1\n' >"names/mixed/$nfd"
printf '2\n' >"names/mixed/$nfc"
ln -s "$nfd.txt" "names/link-$nfc"
expect_exit 0 "$ESCROW" pack names -o names.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify names.escrow -p k.pub
expect_grep '5 files intact' out
expect_exit 0 "$ESCROW" extract names.escrow -C names-out -p k.pub -q
expect_true "NFD, NFC and mixed names extract byte for byte" diff -r names names-out/data
expect_true "the NFD name is still NFD" test -f "names-out/data/$nfd.txt"
expect_true "the NFC name is still NFC" test -f "names-out/data/$nfc.txt"
expect_true "link target kept as bytes" test "$(readlink "names-out/data/link-$nfc")" = "$nfd.txt"
expect_exit 0 "$ESCROW" extract names.escrow -C names-po -p k.pub -q --payload-only
expect_true "payload-only extract, byte for byte" diff -r names names-po
# Times ustar cannot hold go in pax mtime records, with base-256 in the ustar
# field under them (libarchive's form): they verify and extract.
mkdir times
printf 'o\n' >times/old
printf 'f\n' >times/future
touch -d '1960-01-01 00:00:00 UTC' times/old
touch -d '2300-01-01 00:00:00 UTC' times/future
expect_exit 0 "$ESCROW" pack times -o times.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify times.escrow -p k.pub
expect_exit 0 "$ESCROW" extract times.escrow -C times-out -p k.pub -q
expect_true "a 1960 mtime kept" test "$(stat -c %Y times-out/data/old)" = -315619200
expect_true "a 2300 mtime kept" test "$(stat -c %Y times-out/data/future)" = 10413792000

# A flood before authentication: 120,000 entries with 4,000-byte names and no
# signature at the end (the 1000x bundle of the issue: every name used to be
# kept until the signature). The kernel holds the reader to 360 MiB of address
# space (about 100 MiB of it are libraries and thread stacks); the reader must
# refuse the bundle by its bounds, not run out of memory.
cat >flood.py <<'EOF'
import ctypes, locale, subprocess, sys
locale.setlocale(locale.LC_CTYPE, "C.UTF-8")
la = ctypes.CDLL("libarchive.so.13")
la.archive_write_new.restype = la.archive_entry_new.restype = ctypes.c_void_p
for f, a in (("archive_write_set_format_pax_restricted", []), ("archive_write_open_fd", [ctypes.c_int]),
             ("archive_write_header", [ctypes.c_void_p]), ("archive_write_free", []),
             ("archive_entry_clear", []), ("archive_entry_set_pathname", [ctypes.c_char_p]),
             ("archive_entry_set_filetype", [ctypes.c_uint]), ("archive_entry_set_perm", [ctypes.c_uint]),
             ("archive_entry_set_uname", [ctypes.c_char_p]), ("archive_entry_set_gname", [ctypes.c_char_p]),
             ("archive_entry_set_mtime", [ctypes.c_int64, ctypes.c_long])):
    getattr(la, f).argtypes = [ctypes.c_void_p] + a
z = subprocess.Popen(["zstd", "-q", "-1", "--check", "-c"], stdin=subprocess.PIPE, stdout=open(sys.argv[1], "wb"))
a = la.archive_write_new()
la.archive_write_set_format_pax_restricted(a)
la.archive_write_open_fd(a, z.stdin.fileno())
e = la.archive_entry_new()
# 4,000-byte paths of names no longer than a file system holds (255 bytes):
# 19 folders of 200 bytes, then the flood in the deepest
deep = [b"t-1/data/" + b"/".join([b"d" * 200] * k) for k in range(1, 20)]
names = [b"t-1", b"t-1/data"] + deep + [deep[-1] + b"/" + b"n" * 190 + b"%07d" % i for i in range(int(sys.argv[2]))]
for n in names:
    la.archive_entry_clear(e)
    la.archive_entry_set_pathname(e, n)
    la.archive_entry_set_filetype(e, 0o040000)
    la.archive_entry_set_perm(e, 0o755)
    la.archive_entry_set_mtime(e, 1767225600, 0)
    la.archive_entry_set_uname(e, b"")
    la.archive_entry_set_gname(e, b"")
    if la.archive_write_header(a, e) != 0:
        raise SystemExit("libarchive")
la.archive_write_free(a)
z.stdin.close()
z.wait()
EOF
python3 flood.py flood.escrow 120000
expect_true "the flood is small on disk" test "$(stat -c %s flood.escrow)" -lt 8000000
# A sanitizer build reserves terabytes of shadow memory and cannot start under
# any address-space limit: there, only the refusal is checked.
limit='ulimit -v 368640;'
if ! bash -c "$limit"' exec "$0" --help' "$ESCROW" >/dev/null 2>&1; then
	echo "note: $ESCROW cannot start under ulimit -v (a sanitizer build): flood checked without the limit" >&2
	limit=
fi
expect_exit 1 bash -c "$limit"' exec "$0" verify flood.escrow -p k.pub' "$ESCROW" &&
	expect_grep 'MiB of payload paths' err
expect_exit 1 bash -c "$limit"' exec "$0" list flood.escrow' "$ESCROW" &&
	expect_grep 'MiB of payload paths' err
finish
