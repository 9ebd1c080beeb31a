#!/usr/bin/env bash
# 20,000 files x 10,000 deliverables (the contract's limit): list (with the bundle's contract copy
# and with -c), verify and check give each file its deliverable and each
# deliverable its status. Only the answers are asserted here: the time (it
# was 14 s for list, quadratic, before the globs were indexed) is measured by
# hand, never in a test.
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -q -o k
python3 - <<'PY'
import os
n = 10000
with open("scale.yaml", "w") as c:
    c.write("escrow-contract: 1\ncontract: SCALE-1\ndeliverables:\n")
    for k in range(n):
        d = "src/d%05d" % k
        os.makedirs(d)
        for name in ("a.txt", "b.bin"):
            with open(os.path.join(d, name), "w") as f:
                f.write("%s %d\n" % (name, k))
        if k == n - 1:
            continue  # its two files are in no deliverable
        inc = [
            '["d%05d/a.txt", "d%05d/*.bin"]',   # literal, literal folder then a glob
            '["d%05d/**"]',                     # a folder and all under it
            '["**/d%05d/a.txt", "d%05d/b.*"]',  # any depth, a glob with a literal head
            '["/d%05d/"]',                      # an anchored folder
        ][k % 4].replace("%05d", "%05d" % k)
        c.write("  - id: d%d\n    include: %s\n" % (k, inc))
    c.write("  - id: absent\n    include: [d99999/a.txt, \"d1*/*.md\"]\n    required: false\n")
PY
expect_exit 0 "$ESCROW" pack src -o b.escrow -s k.key -c scale.yaml -q

# every file in d<k> belongs to deliverable d<k> (but d09999's, to none);
# every deliverable is ok with its 2 files
check_json() {
	python3 - "$1" "$2" <<'PY'
import json, sys
r = json.load(open(sys.argv[1]))
d = {x["id"]: x for x in r["deliverables"]}
assert len(d) == 10000, len(d)
for k in range(9999):
    x = d["d%d" % k]
    assert x["status"] == "ok" and x["files"] == 2, x
    assert x["paths"] == ["d%05d/a.txt" % k, "d%05d/b.bin" % k], x
assert d["absent"]["status"] == "missing" and d["absent"]["missing"] == ["d99999/a.txt"], d["absent"]
assert d["absent"]["unmatched"] == ["d1*/*.md"], d["absent"]
assert r["unassigned"] == ["d09999/a.txt", "d09999/b.bin"] and r["forbidden"] == [], r["unassigned"]
if sys.argv[2] == "list":
    files = [f for f in r["files"] if f["type"] == "file"]
    assert len(files) == 20000, len(files)
    for f in files:
        k = int(f["path"][1:6])
        assert f["deliverable"] == ("d%d" % k if k < 9999 else None), f
PY
}
expect_exit 0 "$ESCROW" list b.escrow -p k.pub --json
expect_true "list (the bundle's copy): every file's deliverable" check_json out list
expect_exit 0 "$ESCROW" list b.escrow -p k.pub -c scale.yaml --json
expect_true "list -c: every file's deliverable" check_json out list
expect_exit 0 "$ESCROW" verify b.escrow -p k.pub -c scale.yaml --json
expect_true "verify: every deliverable ok" check_json out verify
expect_exit 0 "$ESCROW" check src -c scale.yaml --json
expect_true "check: every deliverable ok" check_json out check
finish
