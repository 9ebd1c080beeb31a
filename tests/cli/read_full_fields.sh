#!/usr/bin/env bash
# Full ustar name fields: libarchive (the writer) puts a path of exactly 100
# bytes whole in the name field with no NUL after it, a 155-byte prefix whole
# in the prefix field, and a symlink target of exactly 100 bytes whole in the
# link field. Such bundles, as pack makes them, verify, list and extract
# (they were called tampered: "a name field not in the writer's form"); the
# same path put in another ustar form than the writer's is still refused.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -q -o k
n() { python3 -c "import sys; print(sys.argv[1] * int(sys.argv[2]))" "$1" "$2"; }
mkdir -p src/"$(n a 146)" src/"$(n d 89)"
# The bag folder is "t-1": "t-1/data/" is 9 bytes.
printf 'full name\n' >src/"$(n n 91)"                   # t-1/data/n*91: 100 bytes
printf 'full prefix\n' >src/"$(n a 146)"/"$(n b 50)"    # prefix t-1/data/a*146: 155 bytes
printf 'in a folder\n' >src/"$(n d 89)"/f               # t-1/data/d*89/f: 100 bytes
printf 'target\n' >src/"$(n t 100)"
ln -s "$(n t 100)" src/link                             # a 100-byte target
SOURCE_DATE_EPOCH=1767225600 "$ESCROW" pack src -o b.escrow -s k.key --name t --release 1 -q
zstd -q -dc b.escrow >b.tar
python3 - b.tar <<'PY'
import sys
t = open(sys.argv[1], "rb").read()
full = {"name": 0, "prefix": 0, "link": 0}
for off in range(0, len(t) - 511, 512):
    h = t[off:off + 512]
    if h[257:263] != b"ustar\0" or h[156:157] == b"x":
        continue
    full["name"] += 0 not in h[0:100]
    full["prefix"] += 0 not in h[345:500]
    full["link"] += 0 not in h[157:257]
print("full fields:", full)
sys.exit(0 if full == {"name": 3, "prefix": 1, "link": 1} else 1)
PY
expect_true "the writer filled three name fields, a prefix and a link field whole" test $? -eq 0

for j in 1 2 3; do
	expect_exit 0 "$ESCROW" verify -j "$j" b.escrow -p k.pub && expect_grep '^verdict: verified' out
	expect_exit 0 "$ESCROW" extract -j "$j" -q b.escrow -C "x$j" -p k.pub
	expect_true "extract -j $j gives the tree" diff -r --no-dereference src "x$j/data"
done
expect_exit 0 "$ESCROW" list b.escrow && expect_grep "$(n n 91)" out
# Re-framed so that headers lie across frame boundaries, too.
split -b 1000 -a 3 b.tar part.
for f in part.*; do zstd -q -1 --content-size -c "$f"; done >framed.escrow
expect_exit 0 "$ESCROW" verify -j 2 framed.escrow -p k.pub

# The 100-byte path split into prefix "t-1/data" and name n*91 instead: a
# valid ustar spelling of the same path, but not the writer's; the same for
# the link target with a NUL at its end moved into the name: refused.
python3 - b.tar <<'PY'
import subprocess
t = bytearray(open("b.tar", "rb").read())

def fix(off):
    t[off + 148:off + 156] = b" " * 8
    t[off + 148:off + 156] = b"%06o\0 " % sum(t[off:off + 512])

def find(pred):
    for off in range(0, len(t) - 511, 512):
        h = t[off:off + 512]
        if h[257:263] == b"ustar\0" and pred(h):
            return off
    raise SystemExit("not found")

def save(name, buf):
    open(name, "wb").write(subprocess.run(["zstd", "-q", "-1", "-c"], input=bytes(buf),
                                          stdout=subprocess.PIPE, check=True).stdout)

orig = bytes(t)
off = find(lambda h: h[0:100] == b"t-1/data/" + b"n" * 91)
t[off:off + 100] = (b"n" * 91).ljust(100, b"\0")
t[off + 345:off + 500] = b"t-1/data".ljust(155, b"\0")
fix(off)
save("split.escrow", t)
t[:] = orig
off = find(lambda h: h[156:157] == b"2")
t[off + 157 + 99] = 0  # the target cut to 99 bytes: another symlink than signed
fix(off)
save("cut.escrow", t)
PY
expect_exit 1 "$ESCROW" verify split.escrow -p k.pub && expect_grep "not the writer's form" err
expect_exit 1 "$ESCROW" verify cut.escrow -p k.pub
finish
