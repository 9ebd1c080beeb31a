#!/usr/bin/env bash
# Provenance: a pack of a git work tree records the commit, the tags at HEAD,
# origin's URL without its credentials and whether packed files differ from
# the commit (read with libgit2); --meta adds Escrow-Meta-* fields. verify
# (text and JSON) and the certificate show them; hostile values are bounded
# and escaped.
. "$(dirname "$0")/lib.sh"

need_tool git git || { finish; exit $?; }
export HOME=$T GIT_CONFIG_NOSYSTEM=1 SOURCE_DATE_EPOCH=1767225600
export GIT_AUTHOR_NAME=Agency GIT_AUTHOR_EMAIL=dev@agency.example
export GIT_COMMITTER_NAME=Agency GIT_COMMITTER_EMAIL=dev@agency.example
"$ESCROW" keygen -o agency -W -q || exit 1

bag_info() { # BUNDLE: bag-info.txt's text on stdout
	zstd -dc "$1" | tar -xOf - --wildcards '*/bag-info.txt'
}
# BUNDLE PYTHON-EXPR: the expression over r, verify --json's report
report_true() {
	"$ESCROW" verify "$1" -p agency.pub --json >"$T/report.json" 2>/dev/null
	expect_true "$2 ($1)" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
p = r["bundle"].get("provenance", {})
g = p.get("git", {})
sys.exit(0 if eval(sys.argv[2]) else 1)' "$T/report.json" "$2"
}

mkdir p
git -C p init -q -b main
mkdir -p p/src
printf 'print("score")\n' >p/src/main.py
printf 'build/\n' >p/.gitignore
git -C p add -A && git -C p commit -q -m "first"
git -C p tag v0.9
printf '# Runbook\n' >p/README.md
git -C p add -A && git -C p commit -q -m "second"
git -C p tag v1.0
git -C p tag -a v1.0-final -m "release 1.0"
git -C p remote add origin 'https://ci-bot:glpat-SECRET123@git.agency.example/client/scoring.git'
head=$(git -C p rev-parse HEAD)

# Clean: commit, both tags at HEAD (not v0.9), the URL without credentials.
expect_exit 0 "$ESCROW" pack p -o clean.escrow -s agency.key --meta Ticket=REL-42 --meta Build-Url=https://ci.example/1
bag_info clean.escrow >info.txt
expect_grep "^Escrow-Git-Commit: $head\$" info.txt
expect_grep '^Escrow-Git-Tags: v1.0 v1.0-final$' info.txt
expect_grep '^Escrow-Git-Remote: https://git.agency.example/client/scoring.git$' info.txt
expect_grep '^Escrow-Git-Dirty: false$' info.txt
expect_grep '^Escrow-Meta-Ticket: REL-42$' info.txt
expect_grep '^Escrow-Meta-Build-Url: https://ci.example/1$' info.txt
expect_true "the credentials are nowhere in the bundle" sh -c '! zstd -dc clean.escrow | grep -a -q -e SECRET123 -e ci-bot'
expect_exit 0 "$ESCROW" verify clean.escrow -p agency.pub
expect_grep "^git: +commit $head, clean; tags v1.0, v1.0-final\$" out
expect_grep '^remote: +https://git.agency.example/client/scoring.git$' out
expect_grep '^meta: +Ticket: REL-42$' out
report_true clean.escrow "g['commit'] == '$head' and g['dirty'] is False and g['tags'] == ['v1.0', 'v1.0-final']"
report_true clean.escrow "g['remote'] == 'https://git.agency.example/client/scoring.git'"
report_true clean.escrow "p['meta'] == {'Ticket': 'REL-42', 'Build-Url': 'https://ci.example/1'}"
# manifest.json holds the same (the signed record verify reads).
expect_true "manifest.json has the provenance" sh -c "zstd -dc clean.escrow | tar -xOf - --wildcards '*/escrow/manifest.json' |
	python3 -c 'import json,sys; g=json.load(sys.stdin)[\"provenance\"][\"git\"]; sys.exit(g[\"commit\"] != \"$head\")'"
# The certificate shows them in its facts table.
expect_exit 0 "$ESCROW" certificate clean.escrow -p agency.pub -o cert.html
expect_grep "Git commit</th><td class=\"mono\">$head<" cert.html
expect_grep 'Git tags</th><td>v1.0, v1.0-final<' cert.html
expect_grep '<th>Ticket</th><td>REL-42<' cert.html

# Ignored and untracked files that are not packed leave the tree clean; a
# packed untracked file or a modified one makes it dirty.
mkdir -p p/build && printf 'x' >p/build/out.o
expect_exit 0 "$ESCROW" pack p -o c2.escrow -s agency.key -x 'build/**'
bag_info c2.escrow | grep -q '^Escrow-Git-Dirty: false$'
expect_true "an ignored file left out by -x is not dirt" test $? -eq 0
expect_exit 0 "$ESCROW" pack p -o d1.escrow -s agency.key
expect_true "an ignored file that is packed is dirt" sh -c "zstd -dc d1.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: true$'"
rm -r p/build
printf 'notes\n' >p/NOTES.txt
expect_exit 0 "$ESCROW" pack p -o d2.escrow -s agency.key
expect_true "a packed untracked file is dirt" sh -c "zstd -dc d2.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: true$'"
report_true d2.escrow "g['dirty'] is True"
expect_exit 0 "$ESCROW" pack p -o c3.escrow -s agency.key -x NOTES.txt
expect_true "an untracked file left out is not dirt" sh -c "zstd -dc c3.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: false$'"
rm p/NOTES.txt
printf 'print("changed")\n' >p/src/main.py
expect_exit 0 "$ESCROW" pack p -o d3.escrow -s agency.key
expect_true "a modified file is dirt" sh -c "zstd -dc d3.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: true$'"
# SRC a sub-folder: a change outside it is not its dirt.
expect_exit 0 "$ESCROW" pack p/src -o sub.escrow -s agency.key
bag_info sub.escrow >sub.txt
expect_grep '^Escrow-Git-Dirty: true$' sub.txt
git -C p checkout -q -- src/main.py
printf 'x\n' >>p/README.md
expect_exit 0 "$ESCROW" pack p/src -o sub2.escrow -s agency.key
bag_info sub2.escrow >sub2.txt
expect_grep "^Escrow-Git-Commit: $head\$" sub2.txt
expect_grep '^Escrow-Git-Dirty: false$' sub2.txt
git -C p checkout -q -- README.md
# A linked work tree (its .git a file naming the repository), and a folder
# of it: found going up, as git does (libgit2 is loaded only when a .git or
# a bare repository is on the way up: pack_git.c).
if git -C p worktree add -q --detach "$T/linked" HEAD 2>/dev/null; then
	mkdir -p linked/src/deep && printf 'x\n' >linked/src/deep/n.txt
	expect_exit 0 "$ESCROW" pack linked/src/deep -o linked.escrow -s agency.key
	bag_info linked.escrow >linked.txt
	expect_grep "^Escrow-Git-Commit: $head\$" linked.txt
	expect_grep '^Escrow-Git-Dirty: true$' linked.txt
	git -C p worktree remove --force "$T/linked"
fi

# Not a work tree: no Escrow-Git-* at all, no "provenance".
mkdir plain && printf 'x\n' >plain/a.txt
expect_exit 0 "$ESCROW" pack plain -o plain.escrow -s agency.key
expect_true "no Escrow-Git- fields outside git" sh -c "! zstd -dc plain.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q Escrow-Git-"
report_true plain.escrow "'provenance' not in r['bundle']"

# Hostile: a remote URL with control characters (a newline, an escape), a
# tag name of 616 bytes, one of 5000 (libgit2 cannot take it: left out) and
# 40 more tags at HEAD (written in packed-refs, as a hostile clone may hold).
git -C p config remote.origin.url "$(printf 'https://u:p@evil.example/x\033[31m\nEscrow-Git-Dirty: false')"
u=$(head -c 200 /dev/zero | tr '\0' U)
{
	printf '%s refs/tags/%s\n' "$head" "$(head -c 5000 /dev/zero | tr '\0' 'T')"
	printf '%s refs/tags/%s/%s/%s/end\n' "$head" "$u" "$u" "$u"
	for i in $(seq 10 49); do printf '%s refs/tags/many-%s\n' "$head" "$i"; done
} >>p/.git/packed-refs
printf 'dirt\n' >p/dirt.txt
expect_exit 0 "$ESCROW" pack p -o hostile.escrow -s agency.key
bag_info hostile.escrow >h.txt
expect_true "one Escrow-Git-Dirty line, the true one" test "$(grep -c '^Escrow-Git-Dirty:' h.txt)" = 1
expect_grep '^Escrow-Git-Dirty: true$' h.txt
expect_grep '^Escrow-Git-Remote: https://evil.example/x\\x1b\[31m\\x0aEscrow-Git-Dirty: false$' h.txt
expect_true "no escape byte in bag-info" sh -c "! grep -q \"$(printf '\033')\" h.txt"
expect_true "bag-info lines stay bounded" sh -c "! awk 'length > 8500' h.txt | grep -q ."
expect_exit 0 "$ESCROW" verify hostile.escrow -p agency.pub
expect_true "no escape byte in verify's output" sh -c "! grep -q \"$(printf '\033')\" '$T/out'"
report_true hostile.escrow "len(g['tags']) == 32 and all(len(t.encode()) <= 259 for t in g['tags'])"
report_true hostile.escrow "any(t.endswith('...') and t.startswith('UUUU') for t in g['tags'])"
report_true hostile.escrow "r'\\x1b' in g['remote'] and chr(27) not in g['remote'] and '\\n' not in g['remote']"

# --meta: KEY letters, digits and dashes; VALUE one plain line, bounded.
expect_exit 64 "$ESCROW" pack plain -o m.escrow -s agency.key --meta 'bad key=x'
expect_grep "^escrow pack: --meta: 'bad key=x' is not KEY=VALUE \\(KEY: 1 to 64 letters" err
expect_grep '^usage: escrow pack' err
expect_exit 64 "$ESCROW" pack plain -o m.escrow -s agency.key --meta 'Key'
expect_exit 64 "$ESCROW" pack plain -o m.escrow -s agency.key --meta "Key=$(printf 'a\033b')"
expect_grep "^escrow pack: --meta: 'Key=a[\\]x1bb' is not KEY=VALUE" err
expect_exit 64 "$ESCROW" pack plain -o m.escrow -s agency.key --meta "Key=$(head -c 600 /dev/zero | tr '\0' v)"
expect_exit 64 "$ESCROW" pack plain -o m.escrow -s agency.key --meta 'Key='
expect_exit 64 "$ESCROW" pack plain -o m.escrow -s agency.key --meta Ticket=1 --meta ticket=2
expect_grep 'given twice' err
expect_exit 64 "$ESCROW" pack plain -o m.escrow -s agency.key $(for i in $(seq 1 65); do echo "--meta K$i=v"; done)
expect_grep 'at most 64' err
expect_true "no bundle after a refused --meta" test ! -e m.escrow

# A submodule's files are packed: one edited, one untracked in it, or the
# submodule at another commit than the one recorded is dirt; a submodule
# left out (-x) is not.
git init -q -b main sm && printf 'x\n' >sm/a.txt && git -C sm add a.txt && git -C sm commit -q -m a
git init -q -b main subrepo && printf 'v1\n' >subrepo/lib.txt
git -C subrepo add lib.txt && git -C subrepo commit -q -m lib
expect_exit 0 git -C sm -c protocol.file.allow=always submodule add -q "$T/subrepo" vendor/lib
if [ -f sm/vendor/lib/lib.txt ]; then
	git -C sm commit -q -m 'add the submodule'
	expect_exit 0 "$ESCROW" pack sm -o sm0.escrow -s agency.key
	expect_true "a clean submodule is no dirt" sh -c "zstd -dc sm0.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: false$'"
	printf 'v2\n' >sm/vendor/lib/lib.txt
	expect_exit 0 "$ESCROW" pack sm -o sm1.escrow -s agency.key
	expect_true "a file edited in a submodule is dirt" sh -c "zstd -dc sm1.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: true$'"
	expect_exit 0 "$ESCROW" pack sm -o sm2.escrow -s agency.key -x vendor
	expect_true "a submodule left out is not dirt" sh -c "zstd -dc sm2.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: false$'"
	git -C sm/vendor/lib checkout -q -- lib.txt
	printf 'new\n' >sm/vendor/lib/new.txt
	expect_exit 0 "$ESCROW" pack sm -o sm3.escrow -s agency.key
	expect_true "an untracked file in a submodule is dirt" sh -c "zstd -dc sm3.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: true$'"
	rm sm/vendor/lib/new.txt
	git -C sm/vendor/lib commit -q --allow-empty -m later
	expect_exit 0 "$ESCROW" pack sm -o sm4.escrow -s agency.key
	expect_true "a submodule at another commit is dirt" sh -c "zstd -dc sm4.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: true$'"
fi

# Files git was told not to look at (update-index --assume-unchanged,
# --skip-worktree): git status says nothing, yet an edited one is packed and
# is dirt; one left as committed is not.
git -C sm/vendor/lib reset -q --hard HEAD~1
git -C sm update-index --assume-unchanged a.txt
expect_exit 0 "$ESCROW" pack sm -o au0.escrow -s agency.key
expect_true "an assume-unchanged file as committed is no dirt" sh -c "zstd -dc au0.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: false$'"
printf 'edited\n' >sm/a.txt
expect_exit 0 "$ESCROW" pack sm -o au1.escrow -s agency.key
expect_true "an edited assume-unchanged file is dirt" sh -c "zstd -dc au1.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: true$'"
git -C sm update-index --no-assume-unchanged a.txt && git -C sm checkout -q -- a.txt
git -C sm update-index --skip-worktree a.txt
printf 'edited\n' >sm/a.txt
expect_exit 0 "$ESCROW" pack sm -o sw1.escrow -s agency.key
expect_true "an edited skip-worktree file is dirt" sh -c "zstd -dc sw1.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q '^Escrow-Git-Dirty: true$'"

finish
