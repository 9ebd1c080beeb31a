#!/usr/bin/env bash
# A second reader's findings on the bundle reader (verify/extract): each check
# failed before its fix. Bundles are made with tests/mkbundle.py's helpers
# (Python's tarfile, zstd, minisign), signed by the depositor's own key.
. "$(dirname "$0")/lib.sh"
MK="python3 $ESCROW_SRC/tests/mkbundle.py"

expect_exit 0 "$ESCROW" keygen -W -q -o k
mkdir -p src/app
printf 'print(1)\n' >src/app/main.py
chmod 755 src/app/main.py
printf 'hello\n' >src/README.md
$MK build src -o good.escrow -s k.key

# --- Ctrl-C while the input stalls: the reader thread waits on a pipe that
# sends nothing more; the interrupt must still end the run (130), clean. ---
mkdir stall && cd stall
mkfifo in.fifo
exec 3<>in.fifo
head -c 600 ../good.escrow >&3
"$ESCROW" extract in.fifo -C out -p ../k.pub >/dev/null 2>../stall.err &
pid=$!
# A background job of a non-interactive shell starts with SIGINT ignored
# until escrow installs its handler: wait for its temporary folder first
# (for up to a minute: a signal sent before it would be lost, and the
# watchdog below would end the run as a failure).
for _ in $(seq 600); do
	ls -A | grep -q '^\.out\.escrow-' && break
	sleep 0.1
done
kill -INT "$pid"
# A watchdog, not a timing: without the fix the run never ends by itself.
(exec >/dev/null 2>&1; sleep 20; kill -KILL "$pid") &
dog=$!
wait "$pid" && rc=0 || rc=$?
kill "$dog" 2>/dev/null
wait "$dog" 2>/dev/null
exec 3>&-
expect_true "interrupted on a stalled input (exit $rc, want 130)" test "$rc" = 130
expect_true "nothing left after Ctrl-C on a stalled input" test "$(ls -A)" = in.fifo
cd "$T"

# --- tar headers that libarchive consumes silently (FORMAT.md: only 0, 5, 2
# and x entries; pax records path, linkpath, size) ---
cat >odd.py <<'EOF'
import importlib.util, io, sys, tarfile
spec = importlib.util.spec_from_file_location("mk", sys.argv[1])
mk = importlib.util.module_from_spec(spec)
spec.loader.exec_module(mk)
kind, out = sys.argv[2], sys.argv[3]
bag, entries, raws = "demo-1.0", mk.walk("src"), []
if kind == "gnu-longname":
    name = bag + "/data/" + "z" * 120
    raws.append((mk.ti("././@LongLink", tarfile.GNUTYPE_LONGNAME, len(name) + 1), name.encode() + b"\0"))
    raws.append((mk.ti(name[:99], tarfile.REGTYPE, 3), b"hi\n"))
    listed = entries + [mk.Entry("z" * 120, "file", b"hi\n")]
elif kind == "global":
    rec = b"21 comment=unsigned!\n"
    raws.append((mk.ti("pax_global_header", tarfile.XGLTYPE, len(rec)), rec))
    listed = entries
elif kind == "volume":
    raws.append((mk.ti("volume", b"V"), None))
    listed = entries
elif kind == "contiguous":
    raws.append((mk.ti(bag + "/data/zc", tarfile.CONTTYPE, 3), b"hi\n"))
    listed = entries + [mk.Entry("zc", "file", b"hi\n")]
elif kind in ("pax-comment", "pax-huge"):
    listed = entries
tags, tc = mk.manifests(listed, "demo", "1.0", None)
sig = mk.sign(tags[-1][1], "k.key", tc)
buf = io.BytesIO()
if kind in ("pax-comment", "pax-huge"):
    f = [e for e in entries if e.type == "file"][0]
    t = mk.ti(bag + "/data/" + f.path, tarfile.REGTYPE, len(f.data), f.mode, f.mtime)
    t.pax_headers = {"comment": "not signed" if kind == "pax-comment" else "x" * 50000}
    payload = [(t, f.data) if e is f else e for e in entries]
    mk.write_tar(buf, bag, payload, tags, sig)
else:
    mk.write_tar(buf, bag, entries + raws, tags, sig)
mk.compress(buf.getvalue(), out)
EOF
for kind in gnu-longname global volume contiguous pax-comment pax-huge; do
	python3 odd.py "$ESCROW_SRC/tests/mkbundle.py" "$kind" "odd-$kind.escrow"
	expect_exit 1 "$ESCROW" verify "odd-$kind.escrow" -p k.pub || echo "  (odd tar entry: $kind)" >&2
done
expect_exit 1 "$ESCROW" verify odd-global.escrow -p k.pub && expect_grep "entry type 'g'" err
expect_exit 1 "$ESCROW" verify odd-pax-comment.escrow -p k.pub && expect_grep "pax record 'comment'" err
expect_exit 1 "$ESCROW" verify odd-pax-huge.escrow -p k.pub && expect_grep "pax header larger" err
# Bundles that need pax records (long and non-ASCII paths, long link targets) still verify.
mkdir -p "long/$(printf 'd%.0s' {1..70})/$(printf 'e%.0s' {1..70})"
printf 'x\n' >"long/$(printf 'd%.0s' {1..70})/$(printf 'e%.0s' {1..70})/f.txt"
printf 'y\n' >"long/caf$(printf '\xc3\xa9').txt"
ln -s "$(printf 'd%.0s' {1..70})/$(printf 'e%.0s' {1..70})/f.txt" long/link
$MK build long -o long.escrow -s k.key
expect_exit 0 "$ESCROW" verify long.escrow -p k.pub
# --- the client's umask applies, as with tar: with umask 077 nothing
# extracted is readable by others (owner bits as in the bundle). ---
(umask 077 && "$ESCROW" extract good.escrow -C private -p k.pub -q) && rc=0 || rc=$?
expect_true "extract under umask 077 (exit $rc)" test "$rc" = 0
expect_true "umask 077: no group/other bits anywhere" test -z "$(find private -perm /077 ! -type l)"
expect_true "umask 077: executable bit kept for the owner" test "$(stat -c %a private/data/app/main.py)" = 700
expect_true "umask 077: plain file" test "$(stat -c %a private/data/README.md)" = 600
expect_true "umask 077: folders" test "$(stat -c %a private/data/app)" = 700
(umask 022 && "$ESCROW" extract good.escrow -C public -p k.pub -q) && rc=0 || rc=$?
expect_true "umask 022: modes as packed" test "$(stat -c %a public public/data public/data/app public/data/app/main.py public/data/README.md public/bagit.txt | tr '\n' ' ')" = "755 755 755 755 644 644 "
# A zstd frame that asks for a 128 MiB window is refused before any memory
# is reserved for it (readers stay under 64 MiB whatever the input).
python3 -c 'import sys; sys.stdout.buffer.write(bytes([0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x88, 0x09, 0, 0]) + b"x" + bytes(4))' >window.escrow
expect_exit 1 "$ESCROW" verify window.escrow -p k.pub && expect_grep 'too much memory' err
finish
