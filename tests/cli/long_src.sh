#!/usr/bin/env bash
# A project folder whose own absolute path is long: only the paths inside it
# are bounded (4,095 bytes, relative to SRC), never SRC's path plus theirs.
# init, check and pack opened SRC/path whole (opendir, open, realpath) and
# failed with "File name too long" on a tree that 'cd SRC && pack .' took;
# SRC/.escrowignore, cut at PATH_MAX, was silently not read.
. "$(dirname "$0")/lib.sh"

"$ESCROW" keygen -o k -W -q || exit 1
seg() { printf "$1%.0s" $(seq 1 200); } # a 200-byte name

# SRC just short of PATH_MAX: its .escrowignore was not found (the path cut
# in a PATH_MAX buffer), so the file it names was packed, silently.
b2=$T/$(seg e)
for i in $(seq 1 19); do b2=$b2/$(seg g); done
b2=$b2/$(printf 'x%.0s' $(seq 1 $((4085 - ${#b2} - 1))))
mkdir -p "$b2" || exit 1
(cd "$b2" && printf 'secret.env\n' >.escrowignore && printf 'TOKEN=1\n' >secret.env && printf 'a\n' >a.txt) || exit 1
expect_true "SRC/.escrowignore is longer than PATH_MAX" test $((${#b2} + 15)) -gt 4096
expect_exit 0 "$ESCROW" pack "$b2" -s k.key -o b3.escrow -q
expect_exit 0 "$ESCROW" list b3.escrow
expect_grep ' a.txt$' out
expect_true "the .escrowignore of a long SRC left secret.env out" sh -c '! grep -q secret.env out'

# SRC about 3,030 bytes from /; inside it, paths of about 1,220 bytes.
base=$T/$(seg d)
for i in $(seq 1 14); do base=$base/$(seg g); done
rel=$(seg h)
for i in 2 3 4 5 6; do rel=$rel/$(seg h); done
mkdir -p "$base" || exit 1
# mkdir -p and echo > with the whole path fail as escrow did: made from SRC
(cd "$base" && mkdir -p "$rel" && printf 'how to build\n' >"$rel/notes.md" &&
	printf 'print("hi")\n' >main.py && ln -s notes.md "$rel/readme.md" &&
	ln -s "$(seg h)" top && printf 'secret.env\n' >.escrowignore &&
	printf 'TOKEN=1\n' >"$rel/secret.env") || exit 1
expect_true "SRC plus a path inside it is longer than PATH_MAX" test $((${#base} + ${#rel})) -gt 4096

expect_exit 0 "$ESCROW" init "$base" -o c.yaml
expect_grep 'kind: docs' c.yaml
expect_exit 0 "$ESCROW" check "$base" -c c.yaml
expect_grep '^verdict: complete' out
# the link deep in the tree resolved, from SRC's descriptor, to its target
expect_exit 0 "$ESCROW" check "$base" -c c.yaml --json
expect_grep '^ *"h+(/h+){5}/readme.md",?$' out
expect_exit 0 "$ESCROW" pack "$base" -s k.key -c c.yaml -o b.escrow -q
expect_exit 0 "$ESCROW" verify b.escrow -p k.pub -c c.yaml
expect_grep '^verdict: ' out
expect_exit 0 "$ESCROW" list b.escrow
expect_grep 'h+/notes.md$' out
expect_grep 'h+/readme.md -> notes.md$' out
expect_grep '^ .* top -> h+$' out
expect_true "the .escrowignore of SRC left secret.env out" sh -c '! grep -q secret.env out'

# The same from inside SRC: the same payload.
expect_exit 0 sh -c 'cd "$1" && "$2" pack . -s "$3/k.key" -c "$3/c.yaml" -o "$3/b2.escrow" -q' sh "$base" "$ESCROW" "$T"
expect_exit 0 "$ESCROW" list b2.escrow
grep -E '^ +[0-9]' out | awk '{print $NF}' >names2
expect_exit 0 "$ESCROW" list b.escrow
grep -E '^ +[0-9]' out | awk '{print $NF}' >names1
expect_true "pack of SRC and pack of . list the same files" cmp -s names1 names2

# A link that dangles deep in the tree is named by its path in SRC.
(cd "$base" && ln -s gone.md "$rel/dead.md") || exit 1
expect_exit 65 "$ESCROW" check "$base" -c c.yaml
expect_grep 'h+/dead.md: symlink to .gone.md. dangles \(No such file or directory\)' err

# A git work tree at SRC, a deep file edited since the commit: libgit2 opens
# it by its absolute path, past PATH_MAX, and called it deleted, so the
# deposit said 'clean'. Now no provenance, and a warning that says why.
if need_tool git git; then
	export HOME=$T GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=A GIT_AUTHOR_EMAIL=a@example.org
	export GIT_COMMITTER_NAME=A GIT_COMMITTER_EMAIL=a@example.org
	(cd "$base" && rm "$rel/dead.md" && git init -q && git add -A && git commit -q -m first &&
		printf 'edited\n' >>"$rel/notes.md") || exit 1
	expect_exit 0 "$ESCROW" pack "$base" -s k.key -c c.yaml -o g.escrow
	expect_grep 'no git provenance recorded: libgit2 cannot read h+.*/notes.md of the work tree, whose path from / is longer than 4095 bytes' err
	expect_exit 0 "$ESCROW" list g.escrow
	expect_true "no git provenance claimed for the edited tree" sh -c '! grep -q "^git:" out'
fi

# A tree 400 folders deep under a limit of 256 open files: the walk held a
# descriptor a level and stopped ('Too many open files'); a depth the usual
# limit of 1,024 could not take either. Only paths inside SRC bound a tree.
dp=$(printf 'a/%.0s' $(seq 1 400))
mkdir -p "deep/$dp" && printf 'x\n' >"deep/${dp}f.md" || exit 1
lowfd() { sh -c 'ulimit -n 256 && exec "$@"' sh "$@"; }
printf 'escrow-contract: 1\ncontract: DEEP-1\ndeliverables:\n  - id: docs\n    kind: docs\n    include: ["**/*.md"]\n' >deep.yaml
expect_exit 0 lowfd "$ESCROW" init deep -o drafted.yaml
expect_exit 0 lowfd "$ESCROW" check deep -c deep.yaml
expect_exit 0 lowfd "$ESCROW" pack deep -s k.key -c deep.yaml -o deep.escrow -q
expect_exit 0 lowfd "$ESCROW" verify deep.escrow -p k.pub -c deep.yaml
expect_exit 0 lowfd "$ESCROW" extract deep.escrow -p k.pub -C x --payload-only -q
expect_true "the deepest file extracted" test -f "x/${dp}f.md"

finish
