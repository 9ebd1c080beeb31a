#!/usr/bin/env bash
# Verdicts do not depend on threads: with -j 1 the reader hashes on its own
# thread and extract writes on one lane; with -j 2 and 3 payload files and
# the two manifests are hashed on a thread of their own and files are written
# on two lanes. Some 85 bundles, mutated from three packed trees by a seeded
# generator (bit flips in headers and data, header fields rewritten with their
# checksum fixed, entries swapped, duplicated or dropped, a file's bytes
# replaced by a same-sized file's, truncations) and re-framed with stock zstd
# in frames of various sizes (headers split across frames), must each get the
# same exit code and the same JSON report at -j 1, 2 and 3; extract must end
# the same way and leave the same tree, or nothing. Mutations whose verdict is
# known are checked for it too. (The reports go unsaved by the JSON wrapper:
# cli_json_schemas need not check some 250 more.)
. "$(dirname "$0")/lib.sh"

expect_exit 0 "$ESCROW" keygen -W -q -o k
python3 - <<'PY'
import os, random
rng = random.Random(1)
def w(p, b):
    os.makedirs(os.path.dirname(p), exist_ok=True)
    open(p, "wb").write(b)
for n in (0, 1, 511, 512, 513, 1024, 70000):
    w("a/s/size-%06d" % n, rng.randbytes(n))
w("a/s/twin-a", b"twin\n" * 50)
w("a/s/twin-b", b"twin\n" * 50)
w("a/s/twin-c", b"TWIN\n" * 50)
w("a/" + "n" * 91, b"a 100-byte path\n")
w("a/uni/caf\u00e9 \u65e5.txt", b"unicode\n")
os.makedirs("a/empty-dir")
os.symlink("s/twin-a", "a/link")
for i in range(1500):
    w("b/d%d/f%04d" % (i % 3, i), bytes([i & 255]) * (i % 3))
for i in range(40):
    w("c/" + "/".join("d%d" % rng.randrange(3) for _ in range(rng.randrange(4))) + "/f%d" % i,
      rng.randbytes(rng.choice([0, 1, 512, rng.randrange(3000)])))
PY
for s in a b c; do
	SOURCE_DATE_EPOCH=1767225600 "$ESCROW" pack "$s" -o "$s.escrow" -s k.key --name "$s" --release 1 -q
	zstd -q -dc "$s.escrow" >"$s.tar"
done

cat >mut.py <<'EOF'
import os, random, subprocess, sys
rng = random.Random(int(sys.argv[1]))
out = sys.argv[2]
os.makedirs(out, exist_ok=True)

def entries(t):
    off, res, start = 0, [], None
    while off + 512 <= len(t) and t[off:off + 512] != bytes(512):
        h = t[off:off + 512]
        size = int(bytes(h[124:135]), 8)
        typ = h[156:157]
        end = off + 512 + ((size + 511) // 512 * 512 if typ in (b"0", b"x") else 0)
        if typ == b"x":
            start = off if start is None else start
        else:
            res.append(dict(start=off if start is None else start, hdr=off, end=end, type=typ, size=size,
                            data=b"/data/" in bytes(h[0:100]) + bytes(h[345:500]) or start is not None))
            start = None
        off = end
    return res

def fix(t, off):
    t[off + 148:off + 156] = b" " * 8
    t[off + 148:off + 156] = b"%06o\0 " % sum(t[off:off + 512])

def mutate(tar, ents):
    t = bytearray(tar)
    files = [e for e in ents if e["type"] == b"0" and e["size"] > 0 and e["data"]]  # payload files
    kind = rng.choice(["flip_hdr", "flip_hdr", "flip_data", "field", "field", "swap", "dup", "drop",
                       "twin", "trunc"])
    if kind == "flip_hdr":
        e = rng.choice(ents); o = e["hdr"] + rng.randrange(512)
        t[o] ^= 1 << rng.randrange(8)
        if not 148 <= o - e["hdr"] < 156 and rng.random() < 0.7:
            fix(t, e["hdr"])
        return "any", t
    if kind == "flip_data":
        e = rng.choice(files); t[e["hdr"] + 512 + rng.randrange(e["size"])] ^= 1 << rng.randrange(8)
        return "tampered", t
    if kind == "field":
        e = rng.choice(ents); h = e["hdr"]
        fo, fl = rng.choice([(0, 100), (100, 8), (108, 8), (124, 12), (136, 12), (156, 1), (157, 100),
                             (257, 8), (265, 32), (329, 8), (345, 155), (500, 12)])
        old = bytes(t[h + fo:h + fo + fl])
        v = rng.choice([bytes(fl), b" " * fl, b"7" * fl, old[:-1] + b" ", b" " + old[:-1],
                        bytes(rng.randrange(256) for _ in range(fl)), old.replace(b"\0", b"/", 1)])
        t[h + fo:h + fo + fl] = v[:fl].ljust(fl, b"\0")
        fix(t, h)
        return "any", t
    if kind == "swap":
        pay = [e for e in ents if e["data"]]
        i = rng.randrange(len(pay) - 1); a, b = pay[i], pay[i + 1]
        t[a["start"]:b["end"]] = tar[b["start"]:b["end"]] + tar[a["start"]:a["end"]]
        return "any", t
    if kind == "dup":
        e = rng.choice(ents); t[e["end"]:e["end"]] = tar[e["start"]:e["end"]]
        return "any", t
    if kind == "drop":
        e = rng.choice(ents); del t[e["start"]:e["end"]]
        return "any", t
    if kind == "twin":
        by = {}
        for e in files:
            by.setdefault(e["size"], []).append(e)
        pairs = [v for v in by.values() if len(v) > 1]
        if pairs:
            a, b = rng.sample(rng.choice(pairs), 2)
            da = tar[a["hdr"] + 512:a["hdr"] + 512 + a["size"]]
            db = tar[b["hdr"] + 512:b["hdr"] + 512 + b["size"]]
            t[a["hdr"] + 512:a["hdr"] + 512 + a["size"]] = db
            return ("verified" if da == db else "tampered"), t
    return "any", t[:rng.randrange(len(t))]

n = 0
for src, count in (("a.tar", 40), ("b.tar", 15), ("c.tar", 30)):
    tar = open(src, "rb").read()
    ents = entries(tar)
    for i in range(count):
        want, t = ("verified", bytearray(tar)) if i == 0 else mutate(tar, ents)
        frame = rng.choice([None, 1000, 4096 + 7, 65536, 1 << 23])
        name = os.path.join(out, "m%03d-%s" % (n, want))
        if frame is None:
            data = subprocess.run(["zstd", "-q", "-1", "-c"], input=bytes(t), stdout=subprocess.PIPE,
                                  check=True).stdout
        else:
            parts = [bytes(t[o:o + frame]) for o in range(0, len(t), frame)] or [b""]
            data = b"".join(subprocess.run(["zstd", "-q", "-1", "--content-size", "-c"], input=p,
                                           stdout=subprocess.PIPE, check=True).stdout for p in parts)
        open(name + ".escrow", "wb").write(data)
        n += 1
EOF
python3 mut.py 7 m
expect_true "mutants made" test "$(ls m | wc -l)" -ge 85

# listing DIR: each entry's type, mode, time, a file's size and SHA-256, a
# symlink's target (data/, escrow/ and symlinks get the extraction's time; a
# folder's size depends on the order its files were created in).
listing() {
	(cd "$1" 2>/dev/null && find . -mindepth 1 -type d ! -path ./data ! -path ./escrow -printf '%y %m %T@ %p\n' &&
		find . -type f -printf '%y %m %T@ %s %p\n' &&
		find . -type l -printf '%p -> %l\n' && find . -type f -exec sha256sum {} +) | sort
}
n_same=0 n_known=0
for b in m/*.escrow; do
	want=${b%.escrow}
	want=${want##*-}
	for j in 1 2 3; do
		"$ESCROW_BIN" verify -j "$j" "$b" -p k.pub --json 2>/dev/null | grep -v '"verified_at"' >"v$j.json"
		echo "rc=${PIPESTATUS[0]}" >>"v$j.json"
	done
	# -q shows no report: the bundle's SHA-256 is left out, never the verdict.
	"$ESCROW_BIN" verify -q "$b" -p k.pub >/dev/null 2>&1
	echo "rc=$?" >vq.rc
	expect_true "$b: verify -q exits as --json does" test "$(cat vq.rc)" = "$(tail -1 v1.json)"
	if cmp -s v1.json v2.json && cmp -s v1.json v3.json; then
		n_same=$((n_same + 1))
	else
		expect_true "$b: the same report with -j 1, 2 and 3" diff v1.json v3.json
		diff v1.json v2.json | head -5 >&2
	fi
	case $want in
	verified) expect_grep '"verdict": "verified"' v1.json && n_known=$((n_known + 1)) ;;
	tampered) expect_grep '"verdict": "tampered"' v1.json && n_known=$((n_known + 1)) ;;
	esac
done
expect_true "every mutant got the same report at each -j ($n_same)" test "$n_same" -eq "$(ls m | wc -l)"
expect_true "known verdicts checked ($n_known)" test "$n_known" -ge 10

# Extract: a sample, at -j 1 (-q: no digest of the bundle) and 3 (--json:
# with it), as a bag and payload only.
for b in $(ls m/*.escrow | awk 'NR % 6 == 1'); do
	for mode in "" --payload-only; do
		rm -rf x1 x3
		"$ESCROW" extract -q -j 1 "$b" -C x1 -p k.pub $mode 2>/dev/null
		r1=$?
		"$ESCROW_BIN" extract --json -j 3 "$b" -C x3 -p k.pub $mode >/dev/null 2>&1
		r3=$?
		expect_true "$b $mode: extract exits the same at -j 1 and 3 ($r1, $r3)" test "$r1" = "$r3"
		if [ "$r1" = 0 ]; then
			expect_true "$b $mode: the same tree" test "$(listing x1)" = "$(listing x3)"
		else
			expect_true "$b $mode: nothing left behind" test ! -e x1 -a ! -e x3 -a -z "$(ls -A | grep escrow-tmp)"
		fi
	done
done
finish
