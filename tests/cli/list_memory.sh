#!/usr/bin/env bash
# escrow list of many files holds no more than verify does: the files are
# written from the reader's records as the report goes out, not built as a
# JSON object each nor as one whole string (1,000,000 files once took 1.3 GB
# for the text and 1.7 GB for --json; verify 150 MB). Peak memory is what the
# kernel counts for each run (ru_maxrss), never a time.
. "$(dirname "$0")/lib.sh"

python3 - <<'PY'
import os
for d in range(50):
    p = "src/d%02d" % d
    os.makedirs(p)
    for f in range(1000):
        with open("%s/f%03d.txt" % (p, f), "w") as fh:
            fh.write("file %02d %03d of the list test\n" % (d, f))
PY
expect_exit 0 "$ESCROW" keygen -W -o k
expect_exit 0 "$ESCROW" pack src -o b.escrow -s k.key -q

# peak RSS (KiB) of one run, its output thrown away
peak() {
	python3 -c 'import resource, subprocess, sys
rc = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss if rc == 0 else -1)' "$@"
}
v=$(peak "$ESCROW" verify b.escrow -p k.pub)
t=$(peak "$ESCROW" list b.escrow -p k.pub)
j=$(peak "$ESCROW" list b.escrow -p k.pub --json)
echo "peak RSS, 50,000 files: verify $v KiB, list $t KiB, list --json $j KiB"
expect_true "verify ran" [ "$v" -gt 0 ]
# a JSON object per file costs about 1.2 KB here: 58 MB more than verify for
# the text, 75 MB for --json; the records themselves are verify's
expect_true "list's text holds at most 16 MiB more than verify ($t against $v KiB)" \
	[ "$t" -gt 0 -a "$t" -le $((v + 16384)) ]
expect_true "list --json holds at most 16 MiB more than verify ($j against $v KiB)" \
	[ "$j" -gt 0 -a "$j" -le $((v + 16384)) ]

# and the listing is whole: every file, in order, in both renderings
expect_exit 0 "$ESCROW" list b.escrow -p k.pub
expect_grep '^files \(50000, 50 folders\):$' out
expect_true "the text lists every file" [ "$(grep -c ' docs      -               d[0-9][0-9]/f[0-9]*\.txt$' out)" = 50000 ]
expect_exit 0 "$ESCROW" list b.escrow -p k.pub --json
expect_true "the JSON lists every file, in order" python3 -c '
import json, sys
r = json.load(open(sys.argv[1]))
p = [f["path"] for f in r["files"] if f["type"] == "file"]
assert len(p) == 50000 and p == sorted(p), len(p)
assert all(f["size"] == 29 and len(f["sha256"]) == 64 for f in r["files"] if f["type"] == "file")
' out
finish
