#!/usr/bin/env bash
# escrow keygen: options, outputs, modes, refusing to overwrite, --force, -q.
. "$(dirname "$0")/lib.sh"

usage_re='usage: escrow keygen -o PREFIX'
expect_exit 0 "$ESCROW" keygen --help && expect_grep "^$usage_re" out
for opt in -o -W --age --force -q ESCROW_PASSPHRASE; do
	expect_grep "$opt" out
done
expect_exit 64 "$ESCROW" keygen -W && expect_grep 'missing -o PREFIX' err
expect_grep "try 'escrow keygen --help'" err
expect_exit 64 "$ESCROW" keygen -W -o a -o b && expect_grep 'given twice' err
expect_exit 64 "$ESCROW" keygen -W -W -o a
expect_exit 64 "$ESCROW" keygen -W -o a stray && expect_grep "unexpected argument 'stray'" err
expect_exit 64 "$ESCROW" keygen -o && expect_grep 'needs an argument' err
expect_exit 64 "$ESCROW" keygen -W --age -o a
expect_true "no usage error leaves a file behind" test ! -e a.key -a ! -e a.pub -a ! -e b.key

# An unencrypted pair: the public key path and key id on stdout.
expect_exit 0 "$ESCROW" keygen -W -o k
expect_grep '^k\.pub$' out
expect_grep '^key id [0-9A-F]{16}$' out
id=$(sed -n 's/^key id //p' out)
expect_grep "^untrusted comment: minisign public key $id\$" k.pub
expect_true "k.key is mode 0600" test "$(stat -c %a k.key)" = 600
expect_true "k.pub has 2 lines" test "$(wc -l <k.pub)" = 2
expect_true "k.key is unencrypted (kdf 00 00)" \
	test "$(sed -n 2p k.key | base64 -d | head -c 6 | od -An -tx1 | tr -d ' ')" = 456400004232

# Never overwrite: either existing file stops both, and nothing changes.
sum=$(cat k.key k.pub | sha256sum)
expect_exit 73 "$ESCROW" keygen -W -o k && expect_grep 'k\.key: already exists' err
expect_grep '--force' err
expect_true "the pair is unchanged" test "$(cat k.key k.pub | sha256sum)" = "$sum"
echo 'not a key' >only.pub
expect_exit 73 "$ESCROW" keygen -W -o only && expect_grep 'only\.pub: already exists' err
expect_true "no only.key was written" test ! -e only.key
expect_exit 0 "$ESCROW" keygen -W -o k --force
expect_true "--force replaced the pair" test "$(cat k.key k.pub | sha256sum)" != "$sum"
expect_true "k.key is still mode 0600" test "$(stat -c %a k.key)" = 600

# -q prints nothing at all; a folder that does not exist is 73.
expect_exit 0 "$ESCROW" keygen -q -W -o quiet
expect_true "-q: empty stdout" test ! -s out
expect_true "-q: empty stderr" test ! -s err
expect_exit 73 "$ESCROW" keygen -W -o no/such/dir/k

# A passphrase is needed without -W: no ESCROW_PASSPHRASE and no terminal is 65.
if need_tool setsid util-linux; then
	expect_exit 65 env -u ESCROW_PASSPHRASE setsid -w "$ESCROW" keygen -o nopass
	expect_grep 'ESCROW_PASSPHRASE' err
	expect_true "no key written without a passphrase" test ! -e nopass.key
fi

expect_exit 65 env ESCROW_PASSPHRASE= "$ESCROW" keygen -o empty && expect_grep 'passphrase is empty' err
expect_true "no key written with an empty passphrase" test ! -e empty.key

# Asked on the terminal (a pty): twice, and the two must match.
cat >"$T/answer.py" <<'PY'
import os, pty, signal, sys, termios, time
# answer.py ANSWER... -- CMD...: runs CMD on a pty, answering each "...:" prompt
# once the program has turned echo off (it flushes input typed earlier).
i = sys.argv.index('--')
answers, cmd = sys.argv[1:i], sys.argv[i + 1:]
signal.alarm(120)
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
    if answers and new.rstrip().endswith(b':'):
        try:
            while termios.tcgetattr(fd)[3] & termios.ECHO:
                time.sleep(0.01)
        except termios.error:
            break
        os.write(fd, answers.pop(0).encode() + b'\n')
        out += b'\n'
        new = b''
_, status = os.waitpid(pid, 0)
sys.stdout.write(out.decode(errors='replace'))
sys.exit(os.waitstatus_to_exitcode(status))
PY
expect_exit 65 python3 "$T/answer.py" one two -- "$ESCROW" keygen -o tty && expect_grep 'do not match' out
expect_true "no key written when the passphrases differ" test ! -e tty.key -a ! -e tty.pub
expect_exit 0 python3 "$T/answer.py" 'typed secret' 'typed secret' -- "$ESCROW" keygen -o tty
expect_grep 'Passphrase \(again\):' out
expect_grep '^tty\.pub' out
expect_true "tty.key is scrypt-protected" test "$(sed -n 2p tty.key | base64 -d | head -c 4)" = EdSc
if need_tool minisign minisign; then
	checks=$((checks + 1))
	if ! printf 'typed secret\n' | minisign -S -s tty.key -m tty.pub -x tty.sig >/dev/null 2>&1; then
		echo "FAIL: minisign rejects the passphrase typed at escrow keygen" >&2
		fails=$((fails + 1))
	fi
fi

# --age: an age identity and recipient, same overwrite rules.
expect_exit 0 "$ESCROW" keygen --age -o ag
expect_grep '^ag\.age\.pub$' out
expect_true "ag.age is mode 0600" test "$(stat -c %a ag.age)" = 600
expect_grep '^age1[0-9a-z]+$' ag.age.pub
expect_exit 73 "$ESCROW" keygen --age -o ag

# --force never loses a good pair because the public half cannot be written
# (here a folder is in its place): refused before either half is written
# (--force replaces files only), the old secret half as it was. (Should the
# public half fail later, at its rename, the old secret half is put back:
# 'kept as it was', minisign_keyfile.c.)
for kind in "-W" "--age"; do
	[ "$kind" = -W ] && sec=pair.key pub=pair.pub || sec=pair.age pub=pair.age.pub
	rm -rf pair.*
	expect_exit 0 "$ESCROW" keygen $kind -o pair -q
	cp "$sec" old.sec
	rm "$pub" && mkdir "$pub"
	expect_exit 73 "$ESCROW" keygen $kind -o pair --force
	expect_grep "$pub: is a folder, which --force does not replace" err
	expect_true "$sec is still the old one ($kind)" cmp -s "$sec" old.sec
	expect_true "no temporary file left ($kind)" test -z "$(ls -a | grep 'escrow-tmp')"
done
finish
