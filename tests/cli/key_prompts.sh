#!/usr/bin/env bash
# Regression tests from a second reading of the key handling: Ctrl-C at a
# passphrase prompt aborts; an identity given as a recipient is not echoed.
. "$(dirname "$0")/lib.sh"

# ctrlc.py TYPED -- CMD...: runs CMD on a pty; at each passphrase prompt types
# TYPED then Ctrl-C (as a user who changes their mind would).
cat >"$T/ctrlc.py" <<'PY'
import os, pty, signal, sys, termios, time
i = sys.argv.index('--')
typed, cmd = sys.argv[1], sys.argv[i + 1:]
signal.alarm(60)
pid, fd = pty.fork()
if pid == 0:
    os.environ.pop('ESCROW_PASSPHRASE', None)
    os.execvp(cmd[0], cmd)
out = new = b''
while True:
    try:
        chunk = os.read(fd, 1024)
    except OSError:
        break
    if not chunk:
        break
    out += chunk
    new += chunk
    if new.rstrip().endswith(b':') and b'assphrase' in new and b'error' not in new:
        try:
            while termios.tcgetattr(fd)[3] & termios.ECHO:
                time.sleep(0.01)
        except termios.error:
            break
        time.sleep(0.3)  # as a person would: the program is in read() by now
        os.write(fd, typed.encode() + b'\x03')
        new = b''
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
PY

if need_tool python3 python3; then
	checks=$((checks + 1))
	python3 "$T/ctrlc.py" 'half typed' -- "$ESCROW" keygen -o cc >"$T/out" 2>&1 && rc=0 || rc=$?
	if [ "$rc" = 0 ]; then
		echo "FAIL: keygen went on after Ctrl-C at the passphrase prompt" >&2
		sed 's/^/  /' "$T/out" >&2
		fails=$((fails + 1))
	fi
	expect_true "no key written after Ctrl-C" test ! -e cc.key -a ! -e cc.pub
	expect_true "Ctrl-C at the first prompt does not ask again" \
		test "$(grep -c 'again' "$T/out")" = 0

	# Loading an encrypted key: Ctrl-C does not run scrypt on half a passphrase.
	expect_exit 0 env ESCROW_PASSPHRASE=secret "$ESCROW" keygen -o enc -q
	"$ESCROW" keygen --age -o id -q
	echo data >f
	if need_tool age age; then
		age -r "$(cat id.age.pub)" -o f.age f
		python3 "$T/ctrlc.py" 'secre' -- "$ESCROW" rewrap f.age -p enc.pub -i id.age \
			-r "$(cat id.age.pub)" -o out.age -s enc.key >"$T/out" 2>&1 && rc=0 || rc=$?
		expect_true "rewrap stops at Ctrl-C (exit $rc)" test "$rc" != 0
		expect_true "no wrong-passphrase attempt after Ctrl-C" test "$(grep -c 'wrong passphrase' "$T/out")" = 0
		expect_true "no output after Ctrl-C" test ! -e out.age
	fi
fi

# An identity where a recipient belongs: refused, and not printed back.
"$ESCROW" keygen --age -o me -q
secret=$(grep '^AGE-SECRET-KEY-' me.age)
echo data >g
"$ESCROW" keygen -W -o agency -q
expect_exit 65 "$ESCROW" rewrap g -p agency.pub -i me.age -r "$secret" -o g.age
expect_grep 'secret key' err
expect_true "the identity is not echoed" test "$(grep -c "${secret#AGE-SECRET-KEY-1}" err)" = 0
finish
