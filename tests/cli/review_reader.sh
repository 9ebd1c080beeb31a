#!/usr/bin/env bash
# A second reader's findings on the bundle reader (verify/extract): each check
# failed before its fix. Bundles are made with tests/mkbundle.py's helpers
# (Python's tarfile, zstd, minisign), signed by the depositor's own key.
. "$(dirname "$0")/lib.sh"
MK="python3 $ESCROW_SRC/tests/mkbundle.py"

minisign -G -W -p k.pub -s k.key >/dev/null 2>&1
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
for _ in $(seq 100); do
	ls -A | grep -q '^\.out\.escrow-' && break
	sleep 0.1
done
kill -INT "$pid"
# A watchdog, not a timing: without the fix the run never ends by itself.
(sleep 20 && kill -KILL "$pid" 2>/dev/null) &
dog=$!
wait "$pid" && rc=0 || rc=$?
kill "$dog" 2>/dev/null
wait "$dog" 2>/dev/null
exec 3>&-
expect_true "interrupted on a stalled input (exit $rc, want 130)" test "$rc" = 130
expect_true "nothing left after Ctrl-C on a stalled input" test "$(ls -A)" = in.fifo
cd "$T"

finish
