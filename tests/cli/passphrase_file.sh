#!/usr/bin/env bash
# Secrets for CI: the passphrase from a file (--passphrase-file,
# ESCROW_PASSPHRASE_FILE), the secret key from standard input (-s -). Never
# on the command line, never echoed.
. "$(dirname "$0")/lib.sh"
unset ESCROW_PASSPHRASE ESCROW_PASSPHRASE_FILE

pass='c0rrect horse: battery staple'
umask 077
printf '%s\n' "$pass" >pass.txt
printf '%s' "$pass" >pass-nonl.txt
printf '%s\r\n' "$pass" >pass-crlf.txt
printf 'wrong\n' >wrong.txt
printf '%s\nsecond line\n' "$pass" >two-lines.txt
umask 022
mkdir p && printf 'print(1)\n' >p/main.py

# keygen takes the passphrase from the file (no second prompt, no terminal:
# stdin is /dev/null and setsid leaves no controlling terminal).
expect_exit 0 setsid "$ESCROW" keygen -o agency --passphrase-file pass.txt
expect_true "the key is encrypted (scrypt)" sh -c "sed -n 2p agency.key | base64 -d | head -c 4 | grep -q '^EdSc'"
expect_true "the passphrase is not echoed" sh -c "! grep -q -F 'battery' '$T/out' '$T/err'"

# pack: the file with its newline, or CRLF (without one: below), or named by
# the environment; the wrong one is refused (65), nothing written.
expect_exit 0 setsid "$ESCROW" pack p -o a.escrow -s agency.key --passphrase-file pass.txt
expect_exit 0 "$ESCROW" verify a.escrow -p agency.pub
expect_exit 0 setsid "$ESCROW" pack p -o c.escrow -s agency.key --passphrase-file pass-crlf.txt
# --passphrase-file comes before the environment's file and passphrase.
expect_exit 0 setsid env ESCROW_PASSPHRASE_FILE="$T/wrong.txt" ESCROW_PASSPHRASE=wrong \
	"$ESCROW" pack p -o e.escrow -s agency.key --passphrase-file pass.txt
# ESCROW_PASSPHRASE_FILE comes before ESCROW_PASSPHRASE.
expect_exit 0 setsid env ESCROW_PASSPHRASE_FILE="$T/pass.txt" ESCROW_PASSPHRASE=wrong \
	"$ESCROW" pack p -o f.escrow -s agency.key
expect_exit 65 setsid "$ESCROW" pack p -o g.escrow -s agency.key --passphrase-file wrong.txt
expect_grep 'wrong passphrase' err
expect_true "no bundle with the wrong passphrase" test ! -e g.escrow
expect_exit 65 setsid "$ESCROW" pack p -o g.escrow -s agency.key --passphrase-file two-lines.txt
expect_grep 'two-lines.txt: the passphrase file must hold one line' err
expect_true "the file's content is not echoed" sh -c "! grep -q -F 'second line' '$T/err'"
expect_exit 65 setsid "$ESCROW" pack p -o g.escrow -s agency.key --passphrase-file missing.txt
expect_grep 'missing.txt: No such file' err
# A file others can read is used, with a warning (the secret is out already);
# this one has no final newline.
cp pass-nonl.txt open.txt && chmod 644 open.txt
expect_exit 0 setsid "$ESCROW" pack p -o h.escrow -s agency.key --passphrase-file open.txt
expect_grep 'open.txt: the passphrase file is readable by others \(mode 644\): chmod 600 it' err
# The option is refused where no secret key is loaded.
expect_exit 64 "$ESCROW" verify a.escrow -p agency.pub --passphrase-file pass.txt

# -s -: the secret key from standard input, encrypted (passphrase from the
# file) or not; its bytes are not echoed.
checks=$((checks + 1))
if ! setsid "$ESCROW" pack p -o i.escrow -s - --passphrase-file pass.txt <agency.key >"$T/out" 2>"$T/err"; then
	echo "FAIL: pack -s - with an encrypted key on stdin" >&2
	cat "$T/err" >&2
	fails=$((fails + 1))
fi
expect_exit 0 "$ESCROW" verify i.escrow -p agency.pub
expect_true "the key is not echoed" sh -c "! grep -q -F \"$(sed -n 2p agency.key | cut -c1-20)\" '$T/out' '$T/err'"
"$ESCROW" keygen -o plain -W -q
checks=$((checks + 1))
if ! "$ESCROW" pack p -o j.escrow -s - <plain.key >"$T/out" 2>"$T/err"; then
	echo "FAIL: pack -s - with an unencrypted key on stdin" >&2
	cat "$T/err" >&2
	fails=$((fails + 1))
fi
expect_exit 0 "$ESCROW" verify j.escrow -p plain.pub
# Not a key on stdin: a clear refusal, nothing written.
checks=$((checks + 1))
if printf 'not a key\n' | "$ESCROW" pack p -o k.escrow -s - >"$T/out" 2>"$T/err"; then
	echo "FAIL: pack -s - accepted a non-key" >&2
	fails=$((fails + 1))
fi
expect_grep 'standard input' err
expect_true "no bundle from a non-key" test ! -e k.escrow

# rewrap -s: the notary's key, its passphrase from a file.
"$ESCROW" keygen -o notary --age -q
"$ESCROW" keygen -o client --age -q
ESCROW_PASSPHRASE_FILE=$T/pass.txt "$ESCROW" pack p -o sealed.escrow -s agency.key -R notary.age.pub -q
expect_exit 0 setsid "$ESCROW" rewrap sealed.escrow -p agency.pub -i notary.age -R client.age.pub -o release.age \
	-s agency.key --passphrase-file pass.txt
expect_true "the release is signed" test -s release.age.minisig

# The notary's desk: the calls that load the notary's key themselves (vault
# init, log --verify, receive, release) take ESCROW_PASSPHRASE_FILE too.
ESCROW_PASSPHRASE_FILE=$T/pass.txt "$ESCROW" keygen -o vnotary -q
expect_exit 0 env -u ESCROW_PASSPHRASE ESCROW_PASSPHRASE_FILE="$T/pass.txt" setsid "$ESCROW" vault init V -s vnotary.key -q
expect_exit 0 env -u ESCROW_PASSPHRASE ESCROW_PASSPHRASE_FILE="$T/pass.txt" setsid "$ESCROW" vault log V --verify
expect_exit 65 env -u ESCROW_PASSPHRASE ESCROW_PASSPHRASE_FILE="$T/agency.pub" setsid "$ESCROW" vault log V --verify
expect_exit 66 env -u ESCROW_PASSPHRASE ESCROW_PASSPHRASE_FILE="$T/none.txt" setsid "$ESCROW" vault log V --verify
expect_grep 'ESCROW_PASSPHRASE_FILE' err
# The vault reads the file as pack does: one line, no NUL. Before, it took
# the first line (or the text before a NUL) of a file pack refuses.
printf '%s\0junk\n' "$pass" >pass-nul.txt
for f in two-lines.txt pass-nul.txt; do
	expect_exit 65 env -u ESCROW_PASSPHRASE ESCROW_PASSPHRASE_FILE="$T/$f" setsid "$ESCROW" vault log V --verify
	expect_grep "$f: the passphrase file must hold one line" err
	expect_exit 65 setsid "$ESCROW" pack p -o refused.escrow -s agency.key --passphrase-file "$f"
done
expect_true "the passphrase is not echoed" sh -c "! grep -q -F 'battery' '$T/out' '$T/err'"

# ESCROW_PASSPHRASE longer than 1023 bytes is refused, as such a file is.
# Before, it was cut to its first 1023 bytes: keygen made a key that those
# opened, and that the whole passphrase in a file could not.
long="$(printf 'p%.0s' $(seq 1 1023))-and-the-rest"
expect_exit 65 env ESCROW_PASSPHRASE="$long" setsid "$ESCROW" keygen -o longpass -q
expect_grep '^escrow: error: ESCROW_PASSPHRASE: longer than a passphrase \(1023 bytes at most\)$' err
expect_true "no key made with the cut passphrase" test ! -e longpass.key
expect_exit 0 env ESCROW_PASSPHRASE="${long:0:1023}" setsid "$ESCROW" keygen -o pass1023 -q

finish
