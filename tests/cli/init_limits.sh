#!/usr/bin/env bash
# escrow init on trees whose file-by-file draft would pass what the contract
# parser accepts (docs/CONTRACT.md, "What the parser refuses"): more than
# 10,000 globs in one list, a file over 1 MiB, a glob over 4096 bytes. The
# draft folds what it would list into folder globs that hold only their own
# deliverable's files; check accepts it and finds every file where init put
# it. A tree that no draft within the bounds describes is refused by name.
. "$(dirname "$0")/lib.sh"

# held REPORT N UNASSIGNED...: the draft passes check, N files are in its
# deliverables, each of one kind only, and exactly UNASSIGNED are in none.
held() {
	python3 - "$@" <<'PY'
import json, sys
r = json.load(open(sys.argv[1])); n = int(sys.argv[2]); left = sorted(sys.argv[3:])
kinds = {}
for d in r["deliverables"]:
    assert d["status"] == "ok", (d["id"], d["status"], d.get("reason"))
    for p in d["paths"]:
        kinds.setdefault(p, set()).add(d["kind"])
mixed = [p for p, k in kinds.items() if len(k) > 1]
ok = r["verdict"] == "complete" and len(kinds) == n and sorted(r["unassigned"]) == left and not mixed
sys.exit(0 if ok else (print(r["verdict"], len(kinds), sorted(r["unassigned"])[:5], mixed[:5]) or 1))
PY
}

# 10,000 text files and 10,000 links without extension to them: 10,000
# literal includes and a glob in one deliverable (the parser takes 10,000).
# Beside them, a folder shared with data files: folded apart, not together.
mkdir -p t/docs t/mixed
python3 - <<'PY'
import os
for i in range(10000):
    open("t/docs/f%d.txt" % i, "w").close()
    os.symlink("f%d.txt" % i, "t/docs/l%d" % i)
for i in range(3):
    open("t/mixed/n%d.md" % i, "w").write("# notes\n")
    open("t/mixed/d%d.csv" % i, "w").write("a,b\n1,2\n")
    os.symlink("n%d.md" % i, "t/mixed/ln%d" % i)
PY
expect_exit 0 "$ESCROW" init t -o t.yaml
expect_exit 0 "$ESCROW" check t -c t.yaml --json
expect_true "20,009 files held, each by its own kind" held "$T/out" 20009
expect_grep '^      - "docs/\*\*"$' t.yaml
expect_true "the shared folder is not taken whole" test -z "$(grep -F '"mixed/**"' t.yaml)"

# 10,000 root files, each listed by its anchored path ("/f1.txt"): held,
# and one of them moved into a folder makes its include missing (written
# "f1.txt", it matched the moved file too). Root includes were each tried
# on every root file after them (50 million matches for 10,001 files).
mkdir -p r
python3 -c '
for i in range(10000): open("r/f%d.txt" % i, "w").write("t\n")'
expect_exit 0 "$ESCROW" init r -o r.yaml
expect_exit 0 "$ESCROW" check r -c r.yaml --json
expect_true "10,000 root files held" held "$T/out" 10000
expect_true "each named by its anchored path" test "$(grep -c '^      - "/f[0-9]*\.txt"$' r.yaml)" = 10000
mkdir r/sub
mv r/f7.txt r/sub/f7.txt
expect_exit 2 "$ESCROW" check r -c r.yaml --json
expect_true "the moved file's include is missing" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
sys.exit(0 if [p for d in r["deliverables"] for p in d["missing"]] == ["/f7.txt"] else 1)' "$T/out"

# 10,001 byte-code files present: excluded (and forbidden), by folder.
mkdir -p b/src/cache
python3 -c '
for i in range(10001): open("b/src/cache/m%d.pyc" % i, "w").close()'
printf 'x = 1\n' >b/src/m.py
expect_exit 0 "$ESCROW" init b -o b.yaml
expect_exit 0 "$ESCROW" check b -c b.yaml --json
expect_true "the source held, no byte-code in the deposit" held "$T/out" 1
expect_true "nothing forbidden" python3 -c '
import json, sys; sys.exit(1 if json.load(open(sys.argv[1]))["forbidden"] else 0)' "$T/out"

# 2,500 model files: one deliverable each (with its comments) is over 1 MiB.
mkdir -p m/models
printf '\002\000\000\000\000\000\000\000{}' >m/models/w0.safetensors
python3 -c '
import shutil
for i in range(1, 2500): shutil.copy("m/models/w0.safetensors", "m/models/w%d.safetensors" % i)'
printf 'print(1)\n' >m/train.py
expect_exit 0 "$ESCROW" init m -o m.yaml
expect_true "the draft is within 1 MiB" test "$(wc -c <m.yaml)" -le 1048576
expect_exit 0 "$ESCROW" check m -c m.yaml --json
expect_true "2,501 files held" held "$T/out" 2501
expect_grep '^    format: safetensors$' m.yaml

# A path whose glob, escaped, is over 4096 bytes: 18 folders of 120 '['.
seg=$(printf '[%.0s' $(seq 120))
p=l
for i in $(seq 18); do p="$p/$seg$i"; done
mkdir -p "$p"
printf 'text\n' >"$p/x.md"
ln -s x.md "$p/link"
printf '# r\n' >l/README.md
expect_exit 0 "$ESCROW" init l -o l.yaml
expect_exit 0 "$ESCROW" check l -c l.yaml --json
expect_true "3 files held" held "$T/out" 3

# No folder glob can stand for 10,001 documents beside a data file: refused,
# naming the bound and the fix, and nothing written.
mkdir -p u/d
python3 - <<'PY'
import os
open("u/d/a.md", "w").write("# a\n")
open("u/d/data.csv", "w").write("a,b\n1,2\n")
for i in range(10001):
    os.symlink("a.md", "u/d/l%d" % i)
PY
expect_exit 65 "$ESCROW" init u -o u.yaml
expect_grep "u: no draft within the bounds a contract may have \(deliverable 'documentation' would list 10002 globs" "$T/err"
expect_grep 'leave part of the tree out \(-x GLOB, or \.escrowignore\)' "$T/err"
expect_true "nothing written" test ! -e u.yaml

finish
