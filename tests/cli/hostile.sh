#!/usr/bin/env bash
# Hostile bundles from a malicious depositor: validly signed by its own key,
# manifests consistent (the hostile entry listed in them). verify and extract
# refuse each one (exit 1), nothing is written outside the target, and
# nothing is left beside it. Then the same entries added in transit to an
# honest signed bundle by someone without the key (--transit, listed in no
# manifest): "tampered", with the signature good, never "unsafe".
. "$(dirname "$0")/lib.sh"
MK="python3 $ESCROW_SRC/tests/mkbundle.py"

expect_exit 0 "$ESCROW" keygen -W -q -o k
mkdir -p src/app
printf 'print(1)\n' >src/app/main.py
printf 'hello\n' >src/README.md

# Paths a successful attack would create (see mkbundle.py's hostile entries).
evidence() {
	find "$T" -name 'escrow-evil*' | grep -q . && return 1
	[ ! -e /tmp/escrow-evil-absolute ] || return 1
	return 0
}
for kind in dotdot absolute symlink-dir symlink-abs symlink-escape hardlink chardev blockdev setuid fifo \
	duplicate outside unsorted after-sig dir-through-file symlink-file-slash; do
	$MK build src -o "h-$kind.escrow" -s k.key --hostile "$kind"
	expect_exit 1 "$ESCROW" verify "h-$kind.escrow" -p k.pub || echo "  (hostile: $kind)" >&2
	# Hostile paths and entry types are "unsafe", and the report still says the
	# depositor's key signed them; a broken order is "tampered".
	case $kind in
	duplicate | outside | after-sig) expect_grep '^verdict: tampered -- ' out ;;
	*) expect_grep '^verdict: unsafe -- ' out && expect_grep '^signature:  good' out ;;
	esac
	mkdir -p "w/$kind/deep"
	# run from deep inside, in this shell: in a ( subshell ) a failed
	# expect_exit was counted there and lost, and the test passed
	cd "w/$kind/deep" || exit 1
	expect_exit 1 "$ESCROW" extract "$T/h-$kind.escrow" -C out -p "$T/k.pub" || echo "  (hostile extract: $kind)" >&2
	cd "$T" || exit 1
	expect_true "$kind: nothing left beside the target" test -z "$(ls -A "w/$kind/deep")"
	expect_true "$kind: nothing written outside" evidence
	expect_true "$kind: nothing in the parents" test "$(ls -A "w/$kind")" = deep
done
# Each hostile entry type added in transit, listed in no signed manifest.
for kind in dotdot absolute symlink-dir symlink-abs symlink-escape hardlink chardev blockdev setuid fifo \
	dir-through-file; do
	$MK build src -o "t-$kind.escrow" -s k.key --hostile "$kind" --transit
	expect_exit 1 "$ESCROW" verify "t-$kind.escrow" -p k.pub || echo "  (transit: $kind)" >&2
	expect_grep '^verdict: tampered -- ' out && expect_grep '^signature:  good' out
	case $kind in
	symlink-escape) expect_grep '^verdict: .*manifest.json lists' out ;;
	*) expect_grep '^verdict: .*an entry that no signed manifest lists: ' out ;;
	esac
	mkdir -p "wt/$kind/deep"
	cd "wt/$kind/deep" || exit 1
	expect_exit 1 "$ESCROW" extract "$T/t-$kind.escrow" -C out -p "$T/k.pub" || echo "  (transit extract: $kind)" >&2
	cd "$T" || exit 1
	expect_grep '^escrow: error: tampered: ' err
	expect_true "transit $kind: nothing left beside the target" test -z "$(ls -A "wt/$kind/deep")"
	expect_true "transit $kind: nothing written outside" evidence
done
expect_exit 1 "$ESCROW" verify t-chardev.escrow -p k.pub &&
	expect_grep 'no signed manifest lists: demo-1.0/data/zdev \(a character device\)' err
expect_exit 1 "$ESCROW" verify t-setuid.escrow -p k.pub &&
	expect_grep 'no signed manifest lists: demo-1.0/data/zsuid \(a file\).*setuid' err
# The reasons name the problem.
expect_exit 1 "$ESCROW" verify h-dotdot.escrow -p k.pub && expect_grep 'unsafe path' err
expect_exit 1 "$ESCROW" verify h-hardlink.escrow -p k.pub && expect_grep 'hard link' err
expect_exit 1 "$ESCROW" verify h-chardev.escrow -p k.pub && expect_grep 'character device' err
expect_exit 1 "$ESCROW" verify h-setuid.escrow -p k.pub && expect_grep 'setuid' err
expect_exit 1 "$ESCROW" verify h-fifo.escrow -p k.pub && expect_grep 'fifo' err
expect_exit 1 "$ESCROW" verify h-duplicate.escrow -p k.pub && expect_grep 'twice' err
expect_exit 1 "$ESCROW" verify h-outside.escrow -p k.pub && expect_grep 'top folder' err
expect_exit 1 "$ESCROW" verify h-symlink-escape.escrow -p k.pub && expect_grep 'outside the payload' err
expect_exit 1 "$ESCROW" verify h-after-sig.escrow -p k.pub && expect_grep 'after the signature' err
# A link to "README.md/" dangles on disk (ENOTDIR): the reader took it for
# README.md, and a bundle listing README.md's digest for it verified, and
# extracted a link that 'sha256sum -c manifest-sha256.txt' cannot read.
expect_exit 1 "$ESCROW" verify h-symlink-file-slash.escrow -p k.pub &&
	expect_grep "symlink 'data/zlink' -> 'README.md/' leads outside the payload or to nothing" err
python3 - "$ESCROW_SRC/tests" <<'PY'
import subprocess, sys
sys.path.insert(0, sys.argv[1])
import mkbundle
mkbundle.resolve = lambda entries, e: [x for x in entries if x.path == "README.md"][0] if e.path == "zlink" else None
a = type("A", (), dict(src="src", output="slash-listed.escrow", seckey="k.key", name="demo", release="1.0",
                       contract=None, hostile=["symlink-file-slash"], transit=False, recipient=None, detached=False))
mkbundle.build(a)
PY
expect_exit 1 "$ESCROW" verify slash-listed.escrow -p k.pub && expect_grep '^verdict: tampered' out
expect_exit 1 "$ESCROW" extract slash-listed.escrow -C slash-out -p k.pub
expect_true "nothing extracted of a link listed as a file it cannot reach" test ! -e slash-out
# Listed under the same name is not enough: a device where the signer listed a
# file, or setuid bits on a file the signer listed as 0644, were not signed.
mkdir -p src2
printf 'print(1)\n' >src2/zdev
printf 'print(1)\n' >src2/zsuid
for kind in chardev setuid; do
	$MK build src2 -o "s-$kind.escrow" -s k.key --hostile "$kind" --transit
	expect_exit 1 "$ESCROW" verify "s-$kind.escrow" -p k.pub || echo "  (same name: $kind)" >&2
	expect_grep '^verdict: tampered -- .*no signed manifest lists' out && expect_grep '^signature:  good' out
done
# And a sane bundle from the same depositor still verifies (the checks are not blanket refusals).
$MK build src -o fine.escrow -s k.key
expect_exit 0 "$ESCROW" verify fine.escrow -p k.pub
finish
