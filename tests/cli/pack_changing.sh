#!/usr/bin/env bash
# A file written to while pack reads it (a checkpoint a training job still
# writes): pack must not seal a prefix, or a mix of two versions, under a
# digest of what it read. It stops with exit 74 and the file's name, and
# leaves no bundle, whether the file grew, shrank or was written in place
# after pack opened it. The change is made once pack holds the file open
# (seen in /proc/PID/fd), so nothing here depends on timing: if pack ended
# before the change could be made, the test says so and fails.
. "$(dirname "$0")/lib.sh"
[ -d /proc/self/fd ] || skip_test "no /proc: the test watches pack's open files"
expect_exit 0 "$ESCROW" keygen -W -q -o k

# change WHAT: packs p/ while WHAT is done to p/weights.bin as soon as pack
# has it open; the exit code in rc, stderr in err.
change() {
	rm -rf p b.escrow
	mkdir p
	echo 'print("hi")' >p/main.py
	truncate -s 1G p/weights.bin # sparse: nothing on disk, seconds to read
	"$ESCROW_BIN" pack p -o b.escrow -s k.key -q 2>err &
	pid=$!
	seen=0
	while kill -0 "$pid" 2>/dev/null; do
		if ls -l "/proc/$pid/fd" 2>/dev/null | grep -q 'p/weights\.bin$'; then
			seen=1
			case $1 in
			grow) printf x >>p/weights.bin ;;
			shrink) truncate -s 1M p/weights.bin ;;
			write) printf x | dd of=p/weights.bin bs=1 seek=4096 conv=notrunc status=none ;;
			esac
			break
		fi
		sleep 0.01
	done
	wait "$pid"
	rc=$?
	expect_true "$1: the change was made while pack had the file open" test "$seen" = 1
}

for how in grow:'grew while it was read' shrink:'shrank while packing' write:'was written to while it was read'; do
	change "${how%%:*}"
	expect_true "${how%%:*}: pack exits 74 (got $rc)" test "$rc" = 74
	expect_true "${how%%:*}: the message names the file and what happened" \
		grep -q "weights\.bin: .*${how#*:}.*run pack again" err
	expect_true "${how%%:*}: no bundle is left" test ! -e b.escrow
	expect_true "${how%%:*}: no temporary file is left" sh -c '! ls -A | grep -q "^\.b\.escrow\|\.tmp"'
done

# The same tree, left alone, packs and verifies.
rm -rf p && mkdir p && echo 'print("hi")' >p/main.py && head -c 300000 /dev/urandom >p/weights.bin
expect_exit 0 "$ESCROW" pack p -o b.escrow -s k.key -q
expect_exit 0 "$ESCROW" verify b.escrow -p k.pub -q
finish
