#!/usr/bin/env bash
# Many files with findings never change a verdict: 40,000 files each holding
# a secret-looking line, and a contract asking `format: csv` of 40,000 files
# (a few broken). Every file keeps its findings' flags in its record, whatever
# their number (the reader once refused more than 32,768 such files as
# "tampered"); their texts are bounded in bytes (test_notes.c lowers the
# bound to cross it).
. "$(dirname "$0")/lib.sh"

N=40000
expect_exit 0 "$ESCROW" keygen -W -q -o k
python3 - "$N" <<'PY'
import os, sys
n = int(sys.argv[1])
def key(k):  # 8 of [A-Z0-9], distinct per file (no placeholder run)
    s = ""
    for _ in range(8):
        s += "ABCDEFGHJKLMNPRSTUVWXY3456789"[k % 29]
        k //= 29
    return s
for k in range(n):
    d = "sec/cfg/d%03d" % (k // 250)
    c = "csv/data/d%03d" % (k // 250)
    if k % 250 == 0:
        os.makedirs(d)
        os.makedirs(c)
    with open("%s/s%05d.py" % (d, k), "w") as f:
        # an AWS access key id (AKIA + 16 of [A-Z0-9]); not a real one
        f.write("# settings\nAWS_ID = 'AKIAQ7ZKW2MN%s'\n" % key(k))
    with open("%s/t%05d.csv" % (c, k), "w") as f:
        if k in (7, 20001, 39999):
            f.write("a,b,c\n1,2,3\n4,5\n")   # a record with a column missing
        else:
            f.write("a,b,c\n1,2,%d\n" % k)
with open("csv.yaml", "w") as f:
    f.write("escrow-contract: 1\ncontract: CSV-1\ndeliverables:\n"
            "  - id: tables\n    kind: data\n    include: [\"data/**\"]\n    format: csv\n")
with open("sec.yaml", "w") as f:
    f.write("escrow-contract: 1\ncontract: SEC-1\ndeliverables:\n"
            "  - id: config\n    kind: config\n    include: [\"cfg/**\"]\n    format: text\n")
PY

# count_warnings FILE PATTERN WANT [VERDICT]: the JSON report's warnings
# whose message matches PATTERN number WANT, and its verdict is VERDICT.
count_warnings() {
	python3 - "$@" <<'PY'
import json, re, sys
r = json.load(open(sys.argv[1]))
r = r.get("report", r)  # pack's summary holds its report
n = sum(1 for w in r.get("warnings", []) if re.search(sys.argv[2], w["message"]))
assert n == int(sys.argv[3]), (n, sys.argv[3])
assert not any("left out" in w["message"] for w in r.get("warnings", [])), "details left out"
if len(sys.argv) > 4:
    assert r["verdict"] == sys.argv[4], r["verdict"]
PY
}

# 1. 40,000 files with a possible secret each: intact, so verified
expect_exit 0 "$ESCROW" pack sec -o sec.escrow -s k.key -c sec.yaml -q --json
expect_true "pack: one warning per secret" count_warnings out 'possible secret' "$N"
expect_exit 0 "$ESCROW" verify sec.escrow -p k.pub -c sec.yaml --json
expect_true "verify -c: verified, one warning per secret" count_warnings out 'possible secret' "$N" verified
expect_grep '"status": "ok"' out
expect_exit 0 "$ESCROW" verify sec.escrow -p k.pub
expect_grep '^verdict: *verified' out
expect_exit 0 "$ESCROW" check sec -c sec.yaml --json
expect_true "check: complete, one warning per secret" count_warnings out 'possible secret' "$N" complete

# 2. format: csv over 40,000 files, three broken: incomplete naming the
# first, never tampered
expect_exit 0 "$ESCROW" pack csv -o csv.escrow -s k.key -c csv.yaml -q --json
expect_true "pack: a warning for each broken CSV" count_warnings out 'not valid csv' 3
expect_exit 2 "$ESCROW" verify csv.escrow -p k.pub -c csv.yaml --json
python3 - out <<'PY' || { echo "FAIL: verify -c csv: incomplete naming the broken file" >&2; fails=$((fails + 1)); }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "incomplete", r["verdict"]
d = r["deliverables"][0]
assert d["status"] == "bad-format" and d["files"] == 40000, d["status"]
assert d["reason"].startswith("data/d000/t00007.csv: "), d["reason"]
PY
checks=$((checks + 1))
expect_exit 2 "$ESCROW" verify csv.escrow -p k.pub -c csv.yaml
expect_grep '^verdict: *incomplete' out
expect_grep 'bad-format.*data/d000/t00007.csv' out
expect_true "never tampered" sh -c "! grep -q tampered '$T/out' '$T/err'"
expect_exit 2 "$ESCROW" check csv -c csv.yaml
expect_grep 'bad-format.*data/d000/t00007.csv' out

finish
