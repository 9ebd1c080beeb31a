#!/usr/bin/env bash
# escrow extract: the bag, the payload, deliverables; atomic (nothing left on
# failure); executable bits and times kept.
. "$(dirname "$0")/lib.sh"
MK="python3 $ESCROW_SRC/tests/mkbundle.py"
from_stdin() {
	local f=$1
	shift
	"$@" <"$f"
}
# Nothing but the expected entries in the current folder (no DIR, no .DIR.escrow-*).
only_here() {
	local got
	got=$(ls -A | sort | tr '\n' ' ')
	[ "$got" = "${*:+$* }" ] || { echo "  folder holds: $got" >&2; return 1; }
}

expect_exit 0 "$ESCROW" keygen -W -q -o k
mkdir -p src/app/lib src/models src/docs src/empty
printf 'print("fraud")\n' >src/app/main.py
chmod 755 src/app/main.py
printf 'x = 1\n' >src/app/lib/util.py
head -c 300000 /dev/urandom >src/models/weights.bin
printf '# Runbook\n' >src/docs/runbook.md
printf 'odd name\n' >'src/docs/na%me with space.txt'
printf 'caf\xc3\xa9\n' >"src/docs/caf$(printf '\xc3\xa9').md"
ln -s ../docs/runbook.md src/app/RUNBOOK
ln -s docs src/doclink
touch -d '2020-02-03 04:05:06' src/app/main.py src/docs/runbook.md src/app/lib
touch -h -d '2019-01-02 03:04:05' src/app/RUNBOOK src/doclink
cat >contract.yaml <<'EOF2'
escrow-contract: 1
contract: X-1
deliverables:
  - id: source
    kind: code
    include: ["app/**"]
  - id: model
    kind: model
    include: ["models/*.bin"]
  - id: docs
    kind: docs
    include: ["docs/**"]
EOF2
$MK build src -o good.escrow -s k.key -c contract.yaml

mkdir w && cd w
# --- the bag ---
expect_exit 0 "$ESCROW" extract ../good.escrow -C out -p ../k.pub -q
expect_true "bag validates" python3 "$ESCROW_SRC/tests/bagit_validate.py" out
expect_true "sha256sum -c inside the bag" sh -c 'cd out && sha256sum -c --quiet tagmanifest-sha256.txt && grep -v "%25" manifest-sha256.txt | sha256sum -c --quiet'
expect_true "payload identical" diff -r --no-dereference ../src out/data
expect_true "executable bit kept" test -x out/data/app/main.py
expect_true "no executable bit added" test ! -x out/data/app/lib/util.py
expect_true "file mtime kept" test "$(stat -c %Y ../src/app/main.py)" = "$(stat -c %Y out/data/app/main.py)"
expect_true "folder mtime kept" test "$(stat -c %Y ../src/app/lib)" = "$(stat -c %Y out/data/app/lib)"
expect_true "symlink kept" test "$(readlink out/data/app/RUNBOOK)" = "../docs/runbook.md"
expect_true "signature kept" test -s out/tagmanifest-sha256.txt.minisig
# Times as stock tar sets them: the bag's folders 'created' (each left at the
# time of the extract before). A symlink gets its own only when manifest.json
# signs it (escrow pack does, below); this bundle's writer (mkbundle.py) leaves
# it out, and the tar header's time, which nothing signs, is not used.
expect_true "unsigned symlink time not used" test "$(stat -c %Y ../src/app/RUNBOOK)" != "$(stat -c %Y out/data/app/RUNBOOK)"
mkdir tarx && zstd -dc ../good.escrow | tar -x -C tarx
for d in . data escrow; do
	expect_true "folder '$d' has tar's time" test "$(stat -c %Y "out/$d")" = "$(stat -c %Y tarx/*/"$d")"
done
rm -rf tarx
# The bag's folders carry the deposit's created time in the tar, as its tag
# files do, and extract gives it to them as tar -x does (they had the
# extract's time); the bundle's created time is not today's.
expect_true "bag folders get the created time" test "$(stat -c %Y out out/data out/escrow | sort -u)" = "$(stat -c %Y out/bagit.txt)"
expect_true "the created time is not the extract's" test "$(stat -c %Y out/bagit.txt)" -lt "$(date -d '1 day ago' +%s)"
expect_true "no leftovers" only_here out
# --- the payload only, from stdin ---
expect_exit 0 from_stdin ../good.escrow "$ESCROW" extract - -C tree -p ../k.pub --payload-only
expect_true "payload-only tree identical" diff -r --no-dereference ../src tree
expect_true "payload-only folder gets data/'s created time" test "$(stat -c %Y tree)" = "$(stat -c %Y out/data)"
# --- deliverables ---
expect_exit 0 "$ESCROW" extract ../good.escrow -C part -p ../k.pub -c ../contract.yaml --deliverable source --deliverable model
expect_true "only the deliverables' files" test "$(cd part && find . ! -type d | sort | tr '\n' ' ')" = "./app/RUNBOOK ./app/lib/util.py ./app/main.py ./models/weights.bin "
expect_true "deliverable file intact" cmp part/models/weights.bin ../src/models/weights.bin
# app/RUNBOOK links to docs/runbook.md, which only 'docs' holds: the link is
# made, and the warning and the report name it with the deliverable to add.
expect_grep "app/RUNBOOK: symlink to '../docs/runbook.md'.*dangles \(extract with --deliverable docs too\)" "$T/err"
expect_exit 0 "$ESCROW" extract ../good.escrow -C part-j -p ../k.pub -c ../contract.yaml --deliverable source --json
expect_true "report names the dangling link" python3 -c 'import json, sys
sys.exit(json.load(open(sys.argv[1]))["extracted"].get("dangling_links") != ["app/RUNBOOK"])' "$T/out"
expect_exit 0 "$ESCROW" extract ../good.escrow -C part-d -p ../k.pub -c ../contract.yaml --deliverable source --deliverable docs
expect_true "no warning when the target's deliverable is extracted too" sh -c '! grep -q dangles "$1"' sh "$T/err"
expect_true "link leads to its target" cmp part-d/app/RUNBOOK ../src/docs/runbook.md
rm -rf part-j part-d
expect_exit 64 "$ESCROW" extract ../good.escrow -C part2 -p ../k.pub -c ../contract.yaml --deliverable nope
expect_grep "unknown deliverable 'nope'" "$T/err"
expect_exit 64 "$ESCROW" extract ../good.escrow -C part2 -p ../k.pub --deliverable source
# --- symlinks' times: escrow pack signs them in manifest.json, and extract
# gives them to the links, as tar and bsdtar do (they had the extract's time);
# mkbundle.py leaves them out of manifest.json, and the tar's unsigned time is
# not applied ---
expect_exit 0 "$ESCROW" pack ../src -o ../links.escrow -s ../k.key -q
for how in "-j 1" "-j 3" --payload-only --deliverable; do
	rm -rf ../lt
	opts=$how
	[ "$how" = --deliverable ] && opts="-c ../contract.yaml --deliverable source --deliverable docs"
	expect_exit 0 "$ESCROW" extract ../links.escrow -C ../lt -p ../k.pub -q $opts
	d=../lt/data
	[ -d "$d" ] || d=../lt
	expect_true "link time kept ($how)" test "$(stat -c %Y ../src/app/RUNBOOK)" = "$(stat -c %Y "$d/app/RUNBOOK")"
	[ "$how" = --deliverable ] ||
		expect_true "folder link time kept ($how)" test "$(stat -c %Y ../src/doclink)" = "$(stat -c %Y "$d/doclink")"
done
expect_true "link times differ from the files' (the check can fail)" test "$(stat -c %Y ../src/app/RUNBOOK)" != "$(stat -c %Y ../src/app/main.py)"
expect_true "a link time manifest.json leaves out is not applied" test "$(stat -c %Y ../src/app/RUNBOOK)" != "$(stat -c %Y out/data/app/RUNBOOK)"
rm -rf ../lt
# --- targets ---
expect_exit 73 "$ESCROW" extract ../good.escrow -C out -p ../k.pub
mkdir empty
expect_exit 0 "$ESCROW" extract ../good.escrow -C empty -p ../k.pub -q
expect_true "empty folder filled" test -f empty/bagit.txt
# An empty folder named by '.' (-C . inside it) or ending in '/.' or '/..' is
# the folder itself: filled as by its name (the temporary went inside it and
# the rename onto it failed with EBUSY, after the whole bundle was verified).
mkdir dot up up/in
expect_exit 0 sh -c 'cd dot && exec "$0" extract ../../good.escrow -C . -p ../../k.pub -q' "$ESCROW"
expect_true "-C . fills the empty current folder" test -f dot/bagit.txt -a -f dot/data/app/main.py
expect_true "-C .: nothing left inside" test "$(ls -A dot | tr '\n' ' ')" = "bag-info.txt bagit.txt data escrow manifest-sha256.txt tagmanifest-sha256.txt tagmanifest-sha256.txt.minisig "
rmdir up/in
expect_exit 0 "$ESCROW" extract ../good.escrow -C up/./ -p ../k.pub -q --payload-only
expect_true "-C DIR/./ fills DIR" test -f up/app/main.py
expect_exit 73 "$ESCROW" extract ../good.escrow -C dot/. -p ../k.pub
expect_grep 'dot/. is not empty' "$T/err"
rm -rf dot up
# An empty folder that a rename cannot replace gets the temporary inside it,
# and its entries are moved up at the end: a symlink named with a slash
# ('-C link/'), a mount point (EBUSY, and beside it another file system),
# a folder in a parent the user cannot write. Each of these verified the
# whole bundle, then failed (73) or was refused before a byte was read.
mkdir real && ln -s real linkdir
expect_exit 0 "$ESCROW" extract ../good.escrow -C linkdir/ -p ../k.pub -q
expect_true "-C link/ fills the folder it names" test -f real/bagit.txt -a -L linkdir
expect_true "-C link/: no temporary left" test -z "$(ls -A real | grep escrow-tmp)"
rm -rf real linkdir
mkdir mp
if [ "$(id -u)" = 0 ] && mount -t tmpfs -o size=4m tmpfs mp 2>/dev/null; then
	expect_exit 0 "$ESCROW" extract ../good.escrow -C mp -p ../k.pub -q --payload-only
	expect_true "a mount point is filled" diff -r --no-dereference ../src mp
	expect_true "no temporary left in the mount point" test -z "$(ls -A mp | grep escrow-tmp)"
	rm -rf mp/* mp/.[!.]*
	head -c 200000 ../good.escrow >../cut0.escrow
	expect_exit 1 "$ESCROW" extract ../cut0.escrow -C mp -p ../k.pub -q
	expect_true "a mount point stays empty after a failure" test -z "$(ls -A mp)"
	umount mp
elif [ "$(id -u)" != 0 ]; then
	mkdir mp/t && chmod 555 mp
	expect_exit 0 "$ESCROW" extract ../good.escrow -C mp/t -p ../k.pub -q --payload-only
	expect_true "a folder in a parent we cannot write is filled" diff -r --no-dereference ../src mp/t
	chmod 755 mp
fi
rm -rf mp
touch afile
expect_exit 73 "$ESCROW" extract ../good.escrow -C afile -p ../k.pub
expect_exit 73 "$ESCROW" extract ../good.escrow -C missing/sub -p ../k.pub
# The messages say what is wrong with the user's folder and the fix, not that
# a temporary could not be made beside it.
expect_grep "missing/sub: cannot be created in the folder 'missing': No such file or directory \(create it first" "$T/err"
expect_exit 73 "$ESCROW" pack ../src -o missing/b.escrow -s ../k.key
expect_grep "missing/b.escrow: cannot be created in the folder 'missing': .*\(create it first" "$T/err"
expect_exit 73 "$ESCROW" extract ../good.escrow -C afile/sub -p ../k.pub
expect_grep "afile/sub: a part of it is a file, not a folder \(give -C a new or empty folder" "$T/err"
expect_true "no leftovers after refusals" only_here afile empty out part tree
rm -rf afile empty out part tree
# --- tampered: nothing left ---
$MK rewrite ../good.escrow -o ../t.escrow --replace models/weights.bin=evil
expect_exit 1 "$ESCROW" extract ../t.escrow -C out -p ../k.pub && expect_grep 'weights.bin' "$T/err"
expect_true "nothing left after tampering" only_here
$MK rewrite ../good.escrow -o ../t.escrow --add zz.txt=evil --fix-manifests
expect_exit 1 "$ESCROW" extract ../t.escrow -C out -p ../k.pub
expect_true "nothing left after a bad signature" only_here
head -c 200000 ../good.escrow >../cut.escrow
expect_exit 1 "$ESCROW" extract ../cut.escrow -C out -p ../k.pub
expect_true "nothing left after truncation" only_here
mkdir keep
expect_exit 1 "$ESCROW" extract ../cut.escrow -C keep -p ../k.pub
expect_true "an empty target stays as it was" only_here keep
rmdir keep
# --- inputs that cannot be opened ---
expect_exit 66 "$ESCROW" extract ../missing.escrow -C out -p ../k.pub
expect_exit 66 "$ESCROW" extract ../good.escrow -C out -p ../missing.pub
expect_true "nothing left after input errors" only_here
# A write error (a file size limit stands in for a full disk): 74, nothing left.
expect_exit 74 bash -c 'trap "" XFSZ; ulimit -f 100; exec "$0" extract ../good.escrow -C out -p ../k.pub' "$ESCROW"
expect_true "nothing left after a write error" only_here
# Ctrl-C: the reader is interrupted, the temporary folder removed. The first
# 150,000 bytes come through a FIFO whose writer then stays open: extract
# stays mid-stream until the interrupt, however slow the machine (a feeder
# that slept 3 s before the rest let a run that was slow to be signalled
# finish first).
mkfifo ../slow.fifo
"$ESCROW" extract ../slow.fifo -C out -p ../k.pub >/dev/null 2>../int.err &
pid=$!
exec 3>../slow.fifo
head -c 150000 ../good.escrow >&3
# A background job of a non-interactive shell starts with SIGINT ignored
# until escrow installs its handler: wait for its temporary folder first.
for _ in $(seq 600); do
	ls -A | grep -q '^\.out\.escrow' && break
	sleep 0.1
done
kill -INT "$pid"
# A watchdog, not a timing: were the interrupt lost, the run would wait forever.
(exec >/dev/null 2>&1; sleep 60; kill -KILL "$pid") &
dog=$!
wait "$pid" && rc=0 || rc=$?
kill "$dog" 2>/dev/null
wait "$dog" 2>/dev/null
exec 3>&-
expect_true "interrupted (exit $rc)" test "$rc" = 130
expect_true "nothing left after Ctrl-C" only_here
finish
