#!/usr/bin/env bash
# escrow pack: the bundle stock tools open, the bag a BagIt validator accepts,
# determinism, exclusions, symlinks, odd names, and every bad input with its
# exit code and no partial file left.
. "$(dirname "$0")/lib.sh"
VALIDATE="$ESCROW_SRC/tests/bagit_validate.py"
export SOURCE_DATE_EPOCH=1767225600
unset ESCROW_PASSPHRASE

expect_exit 0 "$ESCROW" keygen -W -q -o k
# The project: odd names, an executable, empty file and folder, internal links.
mkdir -p src/sub src/emptydir "src/ünï code" src/.git
echo hello >src/a.txt
printf '#!/bin/sh\necho hi\n' >src/run.sh && chmod 755 src/run.sh
: >src/empty.txt
echo space >"src/sp ace.txt"
echo pct >"src/per%cent.txt"
echo utf >"src/ünï code/çà.txt"
echo nl >"src/new
line.txt"
ln -s ../a.txt src/sub/link
ln -s sub src/dirlink
echo "[core]" >src/.git/config
head -c 300000 /dev/urandom >src/sub/random.bin

# ---- a plain pack and what stock tools say about it
expect_exit 0 "$ESCROW" pack src -o b.escrow -s k.key --name demo --release 1.0
expect_grep '^sha256: [0-9a-f]{64}$' out
# minisign writes the key id without its leading zeros, escrow with all 16 digits
kid=$(sed -n 's/.*public key //p' k.pub)
while [ ${#kid} -lt 16 ]; do kid=0$kid; done
expect_grep "^signed by: $kid\$" out
expect_exit 0 bsdtar -tf b.escrow && expect_grep '^demo-1.0/data/a.txt$' out
expect_exit 0 tar --zstd -tf b.escrow && expect_grep '^demo-1.0/tagmanifest-sha256.txt.minisig$' out
expect_exit 0 zstd -qt b.escrow
mkdir x && tar --zstd -xf b.escrow -C x
B=x/demo-1.0
expect_exit 0 python3 "$VALIDATE" "$B" && expect_grep '^valid$' out
expect_exit 0 minisign -Vm "$B/tagmanifest-sha256.txt" -x "$B/tagmanifest-sha256.txt.minisig" -p k.pub
expect_grep 'escrow-bundle/1 name=demo release=1.0 contract=none created=2026-01-01T00:00:00Z' out
(cd "$B" && sha256sum -c --quiet tagmanifest-sha256.txt) >/dev/null 2>&1
expect_true "sha256sum -c tagmanifest-sha256.txt" [ $? -eq 0 ]
# sha256sum cannot read BagIt's %-encoded names: check the other lines.
(cd "$B" && grep -v '%' manifest-sha256.txt >plain.txt && sha256sum -c --quiet plain.txt && rm plain.txt)
expect_true "sha256sum -c manifest-sha256.txt (lines without %)" [ $? -eq 0 ]
rm -rf src.nogit && cp -a src src.nogit && rm -rf src.nogit/.git
expect_exit 0 diff -r --no-dereference src.nogit "$B/data"
expect_true "executable bit kept" test -x "$B/data/run.sh"
expect_true "a.txt not executable" test ! -x "$B/data/a.txt"
expect_true "internal symlink kept" [ "$(readlink "$B/data/sub/link")" = ../a.txt ]
expect_true "empty folder kept" test -d "$B/data/emptydir"
expect_true ".git excluded by default" test ! -e "$B/data/.git"
expect_grep '^[0-9a-f]{64}  data/per%25cent.txt$' "$B/manifest-sha256.txt"
expect_grep '^[0-9a-f]{64}  data/new%0Aline.txt$' "$B/manifest-sha256.txt"
expect_grep "^$(sha256sum src/a.txt | cut -c1-64)  data/sub/link$" "$B/manifest-sha256.txt"
expect_grep '^Payload-Oxum: [0-9]+\.9$' "$B/bag-info.txt"
# manifest.json: every payload entry, files with their SHA-256.
# (a file, not a here-document: expect_exit gives the command /dev/null as
# its input, and 'python3 -' then ran nothing and passed whatever the bundle)
cat >manifest_check.py <<'PY'
import hashlib, json, os, sys
bag, src = sys.argv[1], sys.argv[2]
m = json.load(open(os.path.join(bag, "escrow/manifest.json"), encoding="utf-8"))
assert m["format"] == "escrow-bundle/1" and m["contract"] is None, m
by = {f["path"]: f for f in m["files"]}
n = 0
for root, dirs, files in os.walk(src):
    for name in dirs + files:
        full = os.path.join(root, name)
        rel = os.path.relpath(full, src)
        e = by.pop(rel)
        if os.path.islink(full):
            assert e["type"] == "symlink" and e["target"] == os.readlink(full), e
        elif os.path.isdir(full):
            assert e["type"] == "dir", e
        else:
            n += 1
            assert e["type"] == "file" and e["size"] == os.path.getsize(full), e
            assert e["sha256"] == hashlib.sha256(open(full, "rb").read()).hexdigest(), e
            assert e["mode"] == ("0755" if os.access(full, os.X_OK) else "0644"), e
assert not by, by
assert m["totals"]["files"] == n, m["totals"]
print("manifest.json lists", n, "files")
PY
expect_exit 0 python3 manifest_check.py "$B" src.nogit
expect_grep '^manifest.json lists 8 files$' out

# ---- determinism: same tree, same bytes; to a file, to stdout, any -j
expect_exit 0 "$ESCROW" pack src -o b2.escrow -s k.key --name demo --release 1.0 -j 1 -q
expect_true "two packs are identical" cmp -s b.escrow b2.escrow
"$ESCROW" pack src -o - -s k.key --name demo --release 1.0 -j 2 -q >b3.escrow
expect_true "stdout pack is identical" cmp -s b.escrow b3.escrow
"$ESCROW" pack src -o - -s k.key --name demo --release 1.0 -j 3 -q >b4.escrow
expect_true "second stdout pack is identical" cmp -s b3.escrow b4.escrow

# ---- summary as JSON
expect_exit 0 "$ESCROW" pack src -o j.escrow -s k.key --json && cp out j.json
expect_exit 0 python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["files"]==8 and len(d["sha256"])==64 and d["key_id"], d' j.json
expect_grep "\"sha256\": \"$(sha256sum j.escrow | cut -c1-64)\"" j.json

# ---- exclusions: -x, .escrowignore, contract exclude:, --include-vcs
printf '# comment\n*.bin\n' >src/.escrowignore
cat >c.yaml <<'Y'
escrow-contract: 1
contract: DEMO-1
agency: Agence Test
deliverables:
  - id: source
    include: ["**/*.txt"]
exclude: ["run.sh"]
Y
expect_exit 0 "$ESCROW" pack src -o e.escrow -s k.key -c c.yaml -x 'sub/link' --include-vcs -q
tar --zstd -tf e.escrow >list.txt
expect_grep '^DEMO-1-unreleased/data/.git/config$' list.txt
expect_grep '^DEMO-1-unreleased/escrow/contract.yaml$' list.txt
expect_true "-x excludes" bash -c '! grep -q "data/sub/link$" list.txt'
expect_true ".escrowignore excludes" bash -c '! grep -q "random.bin" list.txt'
expect_true "contract exclude: applies" bash -c '! grep -q "data/run.sh" list.txt'
mkdir xe && tar --zstd -xf e.escrow -C xe
expect_exit 0 python3 "$VALIDATE" xe/DEMO-1-unreleased
expect_grep '^External-Identifier: DEMO-1$' xe/DEMO-1-unreleased/bag-info.txt
expect_grep '^Source-Organization: Agence Test$' xe/DEMO-1-unreleased/bag-info.txt
expect_true "contract copied byte for byte" cmp -s c.yaml xe/DEMO-1-unreleased/escrow/contract.yaml
# A UTF-8 byte order mark and CRLF line ends (a Windows editor): the first
# pattern is still *.bin (with the mark kept it matched nothing, and the file
# the agency meant to leave out was packed).
printf '\357\273\277*.bin\r\n# comment\r\n' >src/.escrowignore
expect_exit 0 "$ESCROW" pack src -o bom.escrow -s k.key -x 'sub/link' -q
tar --zstd -tf bom.escrow >list.txt
expect_true ".escrowignore with a BOM and CRLF excludes" bash -c '! grep -q "random.bin" list.txt'
expect_grep '/data/\.escrowignore$' list.txt
# './x' in .escrowignore or -x names x at the root ('/x'): as written it
# matched nothing (no path starts with './') and the file was packed, silently.
printf './sub/random.bin\n./random.bin\n' >src/.escrowignore
expect_exit 0 "$ESCROW" pack src -o dot.escrow -s k.key -x './sub/link' -x '././a.txt' -q
tar --zstd -tf dot.escrow >list.txt
expect_true "'./sub/random.bin' in .escrowignore excludes it" bash -c '! grep -q "random.bin" list.txt'
expect_true "-x '././a.txt' excludes it" bash -c '! grep -q "/data/a.txt$" list.txt'
expect_true "-x './sub/link' excludes it" bash -c '! grep -q "/data/sub/link$" list.txt'
printf './sub.bin\n' >src/.escrowignore
expect_exit 0 "$ESCROW" pack src -o dot2.escrow -s k.key -x './random.bin' -x 'sub/link' -q
tar --zstd -tf dot2.escrow >list.txt
expect_grep '/data/sub/random\.bin$' list.txt # './random.bin' is the root's only
# A name ending in a space, escaped as .gitignore has it ('notes\ '): the
# escaped space stays (trimmed, the pattern ended in a lone '\', matched
# nothing and the file was packed); unescaped trailing spaces still go.
printf 'k\n' >'src/notes ' && printf 'k\n' >src/notes2
printf 'notes\\ \nnotes2  \n' >src/.escrowignore
expect_exit 0 "$ESCROW" pack src -o sp.escrow -s k.key -x 'sub/link' -q
tar --zstd -tf sp.escrow >list.txt
expect_true "'notes\\ ' in .escrowignore leaves 'notes ' out" bash -c '! grep -q "/data/notes $" list.txt'
expect_true "'notes2  ' in .escrowignore leaves notes2 out" bash -c '! grep -q "/data/notes2$" list.txt'
expect_exit 0 "$ESCROW" check src -c c.yaml -x 'sub/link' --json
expect_true "check leaves 'notes ' out too" bash -c '! grep -q "\"notes \"" out'
rm 'src/notes ' src/notes2
rm src/.escrowignore
# An unmet contract warns (run 'escrow check') but packs.
cat >c2.yaml <<'Y'
escrow-contract: 1
contract: DEMO-2
deliverables:
  - id: weights
    include: ["models/**"]
Y
expect_exit 0 "$ESCROW" pack src -o u.escrow -s k.key -c c2.yaml
expect_grep "escrow check" err

# ---- the output inside SRC is never packed into itself
expect_exit 0 "$ESCROW" pack src -o src/self.escrow -s k.key -q
expect_exit 0 "$ESCROW" pack src -o src/self.escrow -s k.key -q --force
tar --zstd -tf src/self.escrow >self.txt
expect_true "bundle not inside itself" bash -c '! grep -q "self.escrow" self.txt'
"$ESCROW" pack src -o - -s k.key -q >src/stdout.escrow
tar --zstd -tf src/stdout.escrow >self2.txt
expect_true "stdout file not inside itself" bash -c '! grep -q "stdout.escrow" self2.txt'
rm -f src/self.escrow src/stdout.escrow

# ---- symlinks that leave SRC or dangle; fifos
mkdir -p s2 && echo in >s2/in.txt && ln -s ../k.pub s2/escape
expect_exit 65 "$ESCROW" pack s2 -o s2.escrow -s k.key && expect_grep 'escape' err
expect_true "no bundle after a failed pack" test ! -e s2.escrow
expect_exit 0 "$ESCROW" pack s2 -o s2.escrow -s k.key --skip-symlinks
expect_true "skipped link absent" bash -c '! tar --zstd -tf s2.escrow | grep -q escape'
rm -f s2/escape s2.escrow && ln -s nowhere s2/dangling
expect_exit 65 "$ESCROW" pack s2 -o s2.escrow -s k.key && expect_grep 'dangling' err
rm -f s2/dangling && ln -s in.txt s2/to-excluded
expect_exit 65 "$ESCROW" pack s2 -o s2.escrow -s k.key -x in.txt && expect_grep 'to-excluded' err
expect_true "no bundle after a failed pack" test ! -e s2.escrow
expect_exit 0 "$ESCROW" pack s2 -o s2.escrow -s k.key -x in.txt --skip-symlinks
expect_true "link to an excluded file skipped" bash -c '! tar --zstd -tf s2.escrow | grep -q to-excluded'
rm -f s2/to-excluded s2.escrow && mkfifo s2/fifo
expect_exit 0 "$ESCROW" pack s2 -o s2.escrow -s k.key && expect_grep 'warning: .*fifo' err
expect_true "fifo not packed" bash -c '! tar --zstd -tf s2.escrow | grep -q fifo'
# A link that reaches a packed file through a link or folder left out
# ("via -> mid -> in.txt", mid excluded; "up -> gone/../in.txt", gone
# excluded): only the final target was checked against the excludes, so
# check passed, pack wrote the link, and verify called pack's own bundle
# tampered ('lists data/via, which is not a file of the bundle'). Refused
# now as the other links that lead nowhere, in check and pack; skipped with
# --skip-symlinks, and the bundle verifies.
rm -rf s3 s3.escrow && mkdir -p s3/gone && echo in >s3/in.txt && ln -s in.txt s3/mid && ln -s mid s3/via
printf 'escrow-contract: 1\ncontract: LINKS-1\ndeliverables:\n  - id: all\n    include: ["**"]\n' >l.yaml
expect_exit 65 "$ESCROW" check s3 -c l.yaml -x mid
expect_grep "^escrow: error: via: symlink to 'mid' goes through 'mid', which is not in the deposit" err
expect_exit 65 "$ESCROW" pack s3 -o s3.escrow -s k.key -x mid
expect_grep "^escrow: error: via: symlink to 'mid' goes through 'mid'" err
expect_true "no bundle after a failed pack" test ! -e s3.escrow
expect_exit 0 "$ESCROW" pack s3 -o s3.escrow -s k.key -x mid --skip-symlinks
expect_grep "warning: via: skipped: symlink to 'mid' goes through 'mid'" err
expect_exit 0 "$ESCROW" verify s3.escrow -p k.pub
rm -f s3/via s3.escrow && ln -s gone/../in.txt s3/up
expect_exit 65 "$ESCROW" check s3 -c l.yaml -x gone
expect_grep "^escrow: error: up: symlink to 'gone/../in.txt' goes through 'gone'" err
expect_exit 0 "$ESCROW" pack s3 -o s3.escrow -s k.key -x gone --skip-symlinks -q
expect_exit 0 "$ESCROW" verify s3.escrow -p k.pub
expect_exit 0 "$ESCROW" check s3 -c l.yaml
# links to their own folder and to the root, from a subfolder, lead there
mkdir -p s3/sub && ln -s . s3/sub/here && ln -s .. s3/sub/up && ln -s ./. s3/sub/here2
expect_exit 0 "$ESCROW" check s3 -c l.yaml
# and a link through one of them verifies: the reader took 'sub/here -> .'
# for the root, so 'via2 -> sub/here/x.txt' looked for x.txt at the root
# and verify called pack's own bundle tampered
echo x >s3/sub/x.txt && ln -s sub/here/x.txt s3/via2 && rm -f s3.escrow
expect_exit 0 "$ESCROW" pack s3 -o s3.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify s3.escrow -p k.pub -c l.yaml

# ---- bad input: exit code, message, nothing left behind
expect_exit 66 "$ESCROW" pack no-such-dir -o m.escrow -s k.key && expect_grep 'no-such-dir' err
expect_exit 73 "$ESCROW" pack src -o no-such-dir/b.escrow -s k.key
expect_true "nothing in the missing folder" test ! -e no-such-dir
cp b.escrow keep.escrow
expect_exit 73 "$ESCROW" pack src -o keep.escrow -s k.key && expect_grep 'already exists' err
expect_true "existing bundle untouched" cmp -s b.escrow keep.escrow
expect_exit 0 "$ESCROW" pack src -o keep.escrow -s k.key --force -q
# --force replaces a file, never a pipe or a device (as root, -o /dev/null
# --force put a regular file in /dev/null's place): refused, left as it was
mkfifo fifo.escrow
expect_exit 73 "$ESCROW" pack src -o fifo.escrow -s k.key --force -q
expect_grep '^escrow: error: fifo.escrow: is a pipe, which --force does not replace' err
expect_true "the pipe is still a pipe" test -p fifo.escrow
if mknod -m 666 null c 1 3 2>/dev/null && mknod -m 666 nk.key c 1 3 2>/dev/null; then
	expect_exit 73 "$ESCROW" pack src -o null -s k.key --force -q
	expect_grep 'null: is a device, which --force does not replace .*-o - >/dev/null' err
	expect_exit 73 "$ESCROW" certificate b.escrow -p k.pub -o null --force
	expect_grep 'null: is a device, which --force does not replace' err
	expect_exit 73 "$ESCROW" keygen -W -o nk --force -q
	expect_grep 'nk.key: is a device, which --force does not replace' err
	expect_true "the devices are still devices" test -c null -a -c nk.key
	expect_true "keygen wrote neither half" test ! -e nk.pub
else
	echo "SKIP: mknod (not root): the device case of --force is not checked"
fi
echo "not a key" >bad.key
expect_exit 65 "$ESCROW" pack src -o bad.escrow -s bad.key
expect_exit 66 "$ESCROW" pack src -o bad.escrow -s missing.key
ESCROW_PASSPHRASE=right "$ESCROW" keygen -o enc -q >/dev/null 2>&1
expect_exit 65 env ESCROW_PASSPHRASE=wrong "$ESCROW" pack src -o bad.escrow -s enc.key
expect_exit 0 env ESCROW_PASSPHRASE=right "$ESCROW" pack src -o enc.escrow -s enc.key -q
expect_true "no bundle from bad keys" test ! -e bad.escrow
expect_exit 64 "$ESCROW" pack src -s k.key
expect_exit 64 "$ESCROW" pack src -o x.escrow -s k.key -l 42
expect_exit 64 "$ESCROW" pack src -o x.escrow -s k.key -o y.escrow
# A file that cannot be read: 74, named. Root reads everything, so run as nobody.
mkdir -p ur && echo ok >ur/ok.txt && echo secret >ur/locked.txt && chmod 000 ur/locked.txt
chmod 755 . && chmod 644 k.key
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	mkdir -p urout && chmod 777 urout
	expect_exit 74 setpriv --reuid=nobody --regid=nogroup --clear-groups "$ESCROW" pack ur -o urout/u.escrow -s k.key
else
	mkdir -p urout
	expect_exit 74 "$ESCROW" pack ur -o urout/u.escrow -s k.key
fi
expect_grep 'locked.txt: cannot read: Permission denied \(make it readable by this user, or leave it out with -x\)' err
expect_true "no partial file after a read error" [ -z "$(ls -A urout)" ]
# Each way a file or folder goes unread for want of permission names the fix:
# a large file (read in place, not ahead), a folder, check and init.
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null; then
	nb() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	fix='Permission denied \(make it readable by this user, or leave it out with -x\)'
	printf 'escrow-contract: 1\ncontract: U-1\ndeliverables:\n  - id: all\n    kind: code\n    include: ["**"]\n' >ur.yaml
	chmod 644 ur.yaml
	expect_exit 74 nb "$ESCROW" check ur -c ur.yaml
	expect_grep "ur/locked.txt: cannot read: $fix" err
	expect_exit 74 nb "$ESCROW" init ur -o -
	expect_grep "ur/locked.txt: cannot read: $fix" err
	rm ur/locked.txt
	head -c 1000000 /dev/zero >ur/big.bin
	chmod 000 ur/big.bin
	expect_exit 74 nb "$ESCROW" pack ur -o urout/u.escrow -s k.key
	expect_grep "big.bin: cannot read: $fix" err
	rm ur/big.bin
	mkdir ur/closed && chmod 000 ur/closed
	expect_exit 74 nb "$ESCROW" pack ur -o urout/u.escrow -s k.key
	expect_grep "ur/closed: cannot read the folder: $fix" err
	expect_exit 0 nb "$ESCROW" pack ur -o urout/u.escrow -s k.key -x closed -q
	rm -rf ur/closed urout/u.escrow
fi
# Disk full: on stdout (/dev/full), and on a 1 MiB tmpfs when we may mount one.
head -c 3000000 /dev/urandom >s2/big.bin
expect_exit 74 bash -c "'$ESCROW' pack s2 -o - -s k.key -q >/dev/full"
mkdir -p full
if mount -t tmpfs -o size=1m tmpfs full 2>/dev/null; then
	expect_exit 74 "$ESCROW" pack s2 -o full/b.escrow -s k.key
	expect_grep 'b.escrow' err
	expect_true "no partial file on a full disk" [ -z "$(ls -A full)" ]
	umount full
else
	echo "note: cannot mount a tmpfs here; disk-full covered by /dev/full and the unit test"
fi

# ---- a sparse file over 4 GiB (zeros compress fast)
mkdir -p big && truncate -s 5G big/sparse.bin && echo tail >big/z.txt
expect_exit 0 "$ESCROW" pack big -o big.escrow -s k.key -q
expect_exit 0 bash -c "tar --zstd -tvf big.escrow | grep -E ' 5368709120 .*data/sparse.bin$'"
zstd -dc big.escrow | tar -xO --wildcards '*/manifest-sha256.txt' >big.man
# SHA-256 of 5 GiB of zeros (head -c 5368709120 /dev/zero | sha256sum).
expect_grep '^7f06c62352aebd8125b2a1841e2b9e1ffcbed602f381c3dcb3200200e383d1d5  data/sparse.bin$' big.man
# Ctrl-C: exit 130 and nothing left (5 GiB cannot be hashed in 1 s).
mkdir -p intr
"$ESCROW" pack big -o intr/i.escrow -s k.key -q 2>intr.err &
pid=$!
# A background job of a non-interactive shell starts with SIGINT ignored
# until escrow installs its handler: wait for its temporary file first.
for _ in $(seq 300); do
	[ -n "$(ls -A intr)" ] && break
	sleep 0.1
done
kill -INT "$pid"
wait "$pid" && rc=0 || rc=$?
expect_true "interrupted pack exits 130 (got $rc)" [ "$rc" = 130 ]
expect_true "no partial file after Ctrl-C" [ -z "$(ls -A intr)" ]
rm -rf big big.escrow
finish
