#!/usr/bin/env bash
# escrow init: a first contract drafted from the tree. The draft passes check
# on the same tree; on the example project it covers every file that
# examples/contract.yaml's deliverables cover, with the same kind and format;
# hostile file names come out as valid YAML that reads back as the names.
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}

# Every file a deliverable of contract A holds is held by a deliverable of
# draft B of the same kind (and the same format when A names one).
covers() { # report-of-A report-of-B
	python3 - "$1" "$2" <<'PY'
import json, sys
a = json.load(open(sys.argv[1])); b = json.load(open(sys.argv[2]))
held = {}
for d in b["deliverables"]:
    for p in d["paths"]:
        held.setdefault(p, []).append(d)
bad = 0
for d in a["deliverables"]:
    for p in d["paths"]:
        ok = [x for x in held.get(p, []) if x["kind"] == d["kind"] and (d["format"] is None or x["format"] == d["format"])]
        if not ok:
            print("not covered alike: %s (%s, kind %s, format %s)" % (p, d["id"], d["kind"], d["format"]))
            bad += 1
sys.exit(1 if bad else 0)
PY
}

# The example project.
python3 "$SRC/examples/make-project.py" p >/dev/null
expect_exit 0 "$ESCROW" init p -o draft.yaml
expect_grep 'wrote draft.yaml' "$T/err"
expect_exit 0 "$ESCROW" check p -c draft.yaml --json
cp "$T/out" draft.json
expect_grep '"verdict": "complete"' draft.json
expect_exit 0 "$ESCROW" check p -c "$SRC/examples/contract.yaml" --json
cp "$T/out" example.json
expect_exit 0 covers example.json draft.json
# Models: one deliverable each, the format their bytes pass, a min-bytes.
expect_grep '^    format: safetensors$' draft.yaml
expect_grep '^    format: onnx$' draft.yaml
expect_grep '^    format: gguf$' draft.yaml
expect_grep '^    format: csv$' draft.yaml
expect_grep '^    min-bytes: 830$' draft.yaml   # classifier.safetensors is 1660 bytes
expect_grep '^  # REVIEW:' draft.yaml
expect_grep '^  - "\*\*/\*\.pyc"$' draft.yaml
expect_grep '^  - "\.git/\*\*"$' draft.yaml
# The covering test can fail: a draft without the model misses it. (Its
# deliverable goes whole: without its include line the draft was malformed,
# check printed an error, and covers exited 1 on a KeyError.)
awk '/^  - id: classifier-safetensors$/ { cut = 1 } cut && /^$/ { cut = 0; next } !cut' draft.yaml >partial.yaml
expect_exit 0 "$ESCROW" check p -c partial.yaml --json
cp "$T/out" partial.json
expect_exit 1 covers example.json partial.json
expect_grep '^not covered alike: models/classifier\.safetensors \(classifier, kind model' "$T/out"

# Outputs: never replaced without --force, '-' is stdout, atomic.
printf 'keep\n' >exists.yaml
expect_exit 73 "$ESCROW" init p -o exists.yaml
expect_grep 'exists.yaml exists \(use --force' "$T/err"
expect_grep '^keep$' exists.yaml
expect_exit 0 "$ESCROW" init p -o exists.yaml --force
expect_grep '^escrow-contract: 1$' exists.yaml
expect_exit 0 "$ESCROW" init p -o -
expect_true "stdout is the same draft as the file" cmp -s "$T/out" draft.yaml
expect_true "no temporary file left" test -z "$(ls -A | grep -F .tmp.)"
(cd p && "$ESCROW" init . -q >/dev/null 2>&1)
expect_true "default output contract.yaml" test -s p/contract.yaml
rm -f p/contract.yaml
expect_exit 66 "$ESCROW" init nowhere -o x.yaml
expect_true "nothing written for a missing SRC" test ! -e x.yaml
mkdir empty
expect_exit 65 "$ESCROW" init empty -o x.yaml
expect_grep 'no files to draft a contract from' "$T/err"
expect_exit 64 "$ESCROW" init
expect_exit 64 "$ESCROW" init p --json

# Byte-code, secrets and build outputs: forbidden, and left out today.
mkdir -p q/src/pkg/__pycache__ q/node_modules/lib q/build q/models
printf 'def f():\n    return 1\n' >q/src/pkg/mod.py
printf 'x' >q/src/pkg/__pycache__/mod.cpython-311.pyc
printf 'stray' >q/src/stale.pyc
printf 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY\n' >q/.env
printf 'module.exports = 1\n' >q/node_modules/lib/index.js
printf 'obj' >q/build/out.o
make_safetensors q/models/net.safetensors
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 123456\n' 0 >q/models/big.safetensors
expect_exit 0 "$ESCROW" init q -o q.yaml
expect_grep '^  - "\*\*/__pycache__/\*\*"$' q.yaml
expect_grep '^  - "\*\*/node_modules/\*\*"$' q.yaml
expect_grep '^  - "\*\*/build/\*\*"$' q.yaml
expect_grep '^  - "src/stale\.pyc"$' q.yaml
expect_grep '^  - "/\.env"$' q.yaml
expect_grep 'Git LFS pointer' q.yaml
expect_grep '^    required: false$' q.yaml
expect_exit 0 "$ESCROW" check q -c q.yaml --json
expect_true "nothing forbidden in the deposit" python3 -c '
import json, sys; r = json.load(open(sys.argv[1])); sys.exit(1 if r["forbidden"] else 0)' "$T/out"
expect_true "net.safetensors held as a safetensors model" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
sys.exit(0 if any(d["paths"] == ["models/net.safetensors"] and d["format"] == "safetensors" and d["kind"] == "model"
                  for d in r["deliverables"]) else 1)' "$T/out"

# Hostile names: quotes, YAML specials, glob characters, newline, tab, CR,
# bidi controls. The draft parses, and every file is in a deliverable.
mkdir -p h/docs h/src
for n in 'a"b.md' "it's.md" '#hash.md' 'key: value.md' '- dash.md' '&anchor.md' '*star.md' '[x].md' \
	'{y}.md' 'back\slash.md' '!tag.md' '%pct.md' '@at.md' '`tick`.md' 'null' 'true' '~' ' lead.md' \
	'trail .md' $'new\nline.md' $'tab\there.md' $'cr\rhere.md' $'bidi\u202egnp.md' $'nel\u0085x.md' \
	$'bom\ufeffx.md' 'café.md'; do
	printf 'text\n' >"h/docs/$n"
done
printf 'print(1)\n' >'h/src/we ird"[1].py'
printf 'top\n' >'h/*[x]{y}.md'
printf 'print(2)\n' >$'h/src/new\nline.py'
mkdir -p $'h/d\nir'
printf 'x\n' >$'h/d\nir/n.md'
expect_exit 0 "$ESCROW" init h -o h.yaml
expect_exit 0 "$ESCROW" check h -c h.yaml --json
expect_true "every hostile name is in a deliverable" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
held = {p for d in r["deliverables"] for p in d["paths"]}
left = sorted(r["unassigned"])  # no extension: kind other, listed in a comment
sys.exit(0 if len(held) == 27 and left == ["docs/null", "docs/true", "docs/~"] else (print(sorted(held), left) or 1))' "$T/out"
expect_grep '^#   "docs/~"$' h.yaml
expect_true "glob characters and control characters escaped with '\\'" /usr/bin/python3 -c '
import sys, yaml; c = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
inc = [g for d in c["deliverables"] for g in d["include"]]
sys.exit(0 if "/\\*\\[x\\]\\{y\\}.md" in inc and "d\\\nir/n.md" in inc else (print(inc) or 1))' h.yaml
cat >"$T/clean.py" <<'PY'
import sys
bad = set(range(0x202A, 0x202F)) | set(range(0x2066, 0x206A)) | {0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0xFEFF}
t = open(sys.argv[1], encoding="utf-8").read()
sys.exit(1 if any((ord(c) < 32 and c != "\n") or 0x7f <= ord(c) <= 0x9f or ord(c) in bad for c in t) else 0)
PY
expect_true "no raw control character in the draft" python3 "$T/clean.py" h.yaml
expect_true "draft is valid YAML for PyYAML too" /usr/bin/python3 -c '
import sys, yaml; c = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
assert c["escrow-contract"] == 1 and len(c["deliverables"]) >= 2' h.yaml

# A control character in a name was written as '?' in the draft's include,
# a glob that also matched "aXb.md" and "a\tb.md": with "a\nb.md" renamed to
# "aXb.md", check still said complete. Escaped ('\' then the byte), the
# include names that one file, and its absence makes the deliverable missing.
mkdir -p cc
printf 'x\n' >$'cc/a\nb.md'
printf 'y\n' >$'cc/c\x7fd.md'
printf 'r\n' >cc/README.md
expect_exit 0 "$ESCROW" init cc -o cc.yaml
expect_exit 0 "$ESCROW" check cc -c cc.yaml
mv $'cc/a\nb.md' cc/aXb.md
mv $'cc/c\x7fd.md' $'cc/c\td.md'
expect_exit 2 "$ESCROW" check cc -c cc.yaml --json
expect_true "the renamed files' includes are missing" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
m = sorted(p for d in r["deliverables"] for p in d["missing"])
sys.exit(0 if m == ["/a\\\nb.md", "/c\\\x7fd.md"] else (print(m) or 1))' "$T/out"

# A root file was named without '/', a glob that matches the name at any
# depth: "w.safetensors" also took "old/w.safetensors" into the root
# model's deliverable (bad-format: that one is no model), and a copy there
# met it when the root model was gone. Anchored ("/w.safetensors"), the
# include names the root file only.
mkdir -p an/old an/bak
printf '\002\000\000\000\000\000\000\000{}' >an/w.safetensors
printf 'garbage' >an/old/w.safetensors
printf 'r\n' >an/README.md
expect_exit 0 "$ESCROW" init an -o an.yaml
expect_grep '^      - "/w\.safetensors"$' an.yaml
expect_exit 0 "$ESCROW" check an -c an.yaml
mv an/w.safetensors an/bak/w.safetensors
mv an/README.md an/bak/README.md
expect_exit 2 "$ESCROW" check an -c an.yaml --json
expect_true "the moved root files' includes are missing" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
m = sorted(p for d in r["deliverables"] for p in d["missing"])
sys.exit(0 if m == ["/README.md", "/w.safetensors"] else (print(m) or 1))' "$T/out"

# A symlink to a folder whose name the forbid list matches ("cache.pyc",
# ".env") is forbidden by check, but the draft, which skipped links to
# folders, left it out of its exclude: the draft failed check on its own
# tree. Excluded by path with the forbidden files now.
mkdir -p fl/conf fl/sub
printf 'print(1)\n' >fl/main.py
printf 'k = v\n' >fl/conf/app.toml
ln -s conf fl/cache.pyc
ln -s ../conf fl/sub/.env
expect_exit 0 "$ESCROW" init fl -o fl.yaml
expect_grep '^  - "/cache\.pyc"$' fl.yaml
expect_grep '^  - "sub/\.env"$' fl.yaml
expect_exit 0 "$ESCROW" check fl -c fl.yaml --json
expect_true "nothing forbidden, every deliverable ok" python3 -c '
import json, sys; r = json.load(open(sys.argv[1]))
sys.exit(0 if not r["forbidden"] and all(d["status"] == "ok" for d in r["deliverables"]) else (print(r["forbidden"]) or 1))' "$T/out"

# A bidi control the draft wrote raw (U+061C: its escaping kept a list
# of its own, short of core_escape.c's): in a model's path, which the draft
# names as the include glob, and in a name in no deliverable, listed in a
# comment. Written as escapes; the glob reads back as the exact path.
mkdir -p h2/models
printf '\002\000\000\000\000\000\000\000{}' >$'h2/models/w\u061c\u200e.safetensors'
printf 'x\n' >$'h2/notes\u061c\u200f'
expect_exit 0 "$ESCROW" init h2 -o -
expect_true "no raw bidi control in the draft" python3 "$T/clean.py" "$T/out"
expect_grep '^#   "notes\\u061c\\u200f"$' "$T/out"
cp "$T/out" h2.yaml
expect_true "the model's glob reads back as its path" /usr/bin/python3 -c '
import sys, yaml; c = yaml.safe_load(open(sys.argv[1], encoding="utf-8"))
inc = [g for d in c["deliverables"] for g in d["include"]]
sys.exit(0 if "models/w\u061c\u200e.safetensors" in inc else (print(inc) or 1))' h2.yaml
expect_exit 0 "$ESCROW" check h2 -c h2.yaml

finish
