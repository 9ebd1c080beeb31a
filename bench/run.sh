#!/usr/bin/env bash
# bench/run.sh -- escrow against the stock tools, side by side in one run, on a
# ~1 GB tree (float32 weights as safetensors, CSV, source code) and on a
# 50,000-file tree: `escrow pack` against `tar -cf - DIR | zstd -T2 -3`,
# `escrow verify` against `zstd -dc B > /dev/null`, `escrow extract` against
# `zstd -dc B | tar -x`. Prints wall time, CPU time, size and peak memory, and
# the ratios. Not a test: numbers depend on the machine and on what else runs.
#
# usage: bench/run.sh [WORKDIR]     (WORKDIR keeps the generated trees between runs)
# env:   ESCROW=path/to/escrow (default: build/escrow), RUNS=3, THREADS=2,
#        PARTS="pack read vault" (pack: the 1 GB tree, the 50,000-file tree and a
#        copy of /usr/lib/python3 without its symlinks, each against
#        `tar | zstd`, and the 1 GB tree sealed against `tar | zstd | age`;
#        read: verify and extract, 1 GB tree only;
#        vault: `escrow vault receive` of the 1 GB bundle, unsealed and sealed,
#        as a contract's first deposit and as its next release (compared with
#        the first: that one is read too), against `escrow verify` of it, and
#        `escrow vault audit` against `sha256sum`/`openssl dgst` of the store;
#        sealed: verify and extract of the sealed 1 GB bundle with its
#        .minisig against `age -d | zstd -dc [| tar -x]`; jobs: verify with
#        -j 1, 2, ... nproc; million: pack and verify of 1,000,000 empty files
#        and of 1,000,000 files of 1 KB against `tar | zstd` and
#        `zstd -dc | tar -t` (MRUNS=RUNS); model: pack and verify of one
#        MODEL_GB=20 GB safetensors file against the same pipelines, and the
#        last --progress line of a verify).  PARTS=all runs every part.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ESCROW=${ESCROW:-$here/../build/escrow}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
PARTS=${PARTS:-pack read vault}
[ "$PARTS" != all ] || PARTS="pack read sealed jobs vault million model"
MRUNS=${MRUNS:-$RUNS}
MDIRS=${MDIRS:-1000}   # the million part's trees: MDIRS folders x MPER files
MPER=${MPER:-1000}
MODEL_GB=${MODEL_GB:-20}
W=${1:-$(mktemp -d "${TMPDIR:-/tmp}/escrow-bench.XXXXXX")}
mkdir -p "$W"
W=$(cd "$W" && pwd)
[ -x "$ESCROW" ] || { echo "bench: $ESCROW not built (set ESCROW=...)" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "bench: needs GNU time (apt-get install time)" >&2; exit 1; }
for t in tar zstd minisign age-keygen cc python3; do
	command -v "$t" >/dev/null || { echo "bench: needs $t" >&2; exit 1; }
done

cc -O2 -o "$W/gen" "$here/gen.c" -lm
if [ ! -e "$W/big.done" ]; then
	echo "bench: generating the 1 GB tree in $W/big" >&2
	rm -rf "$W/big" && mkdir -p "$W/big/models" "$W/big/data" "$W/big/src"
	for i in 1 2 3 4 5 6; do
		"$W/gen" csv 50000000 "$((100 + i))" >"$W/big/data/part$i.csv"
	done
	for i in $(seq 1 2000); do
		mkdir -p "$W/big/src/mod$((i % 40))"
		"$W/gen" code 50000 "$((1000 + i))" >"$W/big/src/mod$((i % 40))/file$i.c"
	done
	touch "$W/big.done"
fi
# The weights are safetensors files (a tree made before had raw .f32 ones),
# so that a contract can ask for their format and verify checks it.
if [ ! -e "$W/big-models.done" ]; then
	rm -f "$W"/big/models/*
	for i in 1 2 3 4 5 6; do
		"$W/gen" safetensors 100000000 "$i" >"$W/big/models/layer$i.safetensors"
	done
	touch "$W/big-models.done"
fi
cat >"$W/contract.yaml" <<'EOF'
escrow-contract: 1
contract: BENCH-1
deliverables:
  - id: models
    kind: model
    include: ["models/**"]
    format: safetensors
  - id: rest
    include: ["data/**", "src/**"]
EOF
if [ ! -e "$W/small.done" ]; then
	echo "bench: generating the 50,000-file tree in $W/small" >&2
	rm -rf "$W/small"
	"$W/gen" tree "$W/small" 50000 7
	touch "$W/small.done"
fi
# /usr/lib/python3 as a project: its folders and regular files, not its
# symlinks (escrow records a symlink, tar too, but a link into the system is
# no deliverable); copied so that both sides read the same tree.
case " $PARTS " in
*" pack "*)
	if [ ! -e "$W/pylib.done" ] && [ -d /usr/lib/python3 ]; then
		echo "bench: copying /usr/lib/python3 (folders and regular files) to $W/pylib" >&2
		rm -rf "$W/pylib" && mkdir -p "$W/pylib"
		(cd /usr/lib/python3 && find . \( -type f -o -type d \) -print0 |
			tar --null --no-recursion -T - -cf -) | tar -x -C "$W/pylib"
		touch "$W/pylib.done"
	fi
	;;
esac
[ -e "$W/k.key" ] || minisign -G -W -p "$W/k.pub" -s "$W/k.key" -f >/dev/null 2>&1
[ -e "$W/id.age" ] || age-keygen -o "$W/id.age" 2>/dev/null
RECIPIENT=$(sed -n 's/^# public key: //p' "$W/id.age")

# Both sides read from the page cache.
warm() { tar -cf - -C "$W" "$1" | cat >/dev/null; }

res="$W/results.tsv"
: >"$res"
printf 'load average at the start: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >"$W/load.txt"
one() { # tree tool command...
	local tree=$1 tool=$2 out=0
	shift 2
	/usr/bin/time -f "%e %U %S %M" -o "$W/time.txt" "$@"
	[ ! -e "$W/out.bin" ] || out=$(ls -l "$W/out.bin" | awk '{print $5}')
	printf '%s\t%s\t%s\t%s\n' "$tree" "$tool" "$(tr ' ' '\t' <"$W/time.txt")" "$out" >>"$res"
	rm -f "$W/out.bin" "$W/out.bin.minisig"
}
case " $PARTS " in *" pack "*) ;; *) skip_pack=1 ;; esac
for tree in big small pylib; do
	[ -z "${skip_pack:-}" ] || break
	[ -d "$W/$tree" ] || continue
	warm "$tree"
	# the size a pipeline needs to carry what a bag carries: a SHA-256 list of
	# every file, compressed (not timed)
	(cd "$W/$tree" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) | zstd -3 -q >"$W/list.zst"
	printf '%s\tsha256 list\t0\t0\t0\t0\t%s\n' "$tree" "$(stat -c %s "$W/list.zst")" >>"$res"
	for r in $(seq 1 "$RUNS"); do
		one "$tree" "tar|zstd" sh -c "tar -cf - -C '$W' '$tree' | zstd -T$THREADS -3 -q >'$W/out.bin'"
		one "$tree" "escrow" "$ESCROW" pack "$W/$tree" -o "$W/out.bin" -s "$W/k.key" -j "$THREADS" -q
		# -o FILE ends with fsync (an escrow deposit must be on disk before it is
		# renamed into place); to stdout there is none, like the pipeline.
		one "$tree" "escrow-stdout" sh -c "'$ESCROW' pack '$W/$tree' -o - -s '$W/k.key' -j $THREADS -q >'$W/out.bin'"
		if [ "$tree" = big ]; then
			one "$tree" "tar|zstd|age" sh -c "tar -cf - -C '$W' '$tree' | zstd -T$THREADS -3 -q | age -r '$RECIPIENT' >'$W/out.bin'"
			one "$tree" "escrow-sealed" "$ESCROW" pack "$W/$tree" -o "$W/out.bin" -s "$W/k.key" -j "$THREADS" \
				-r "$RECIPIENT" -q
		fi
	done
done

# verify and extract read a bundle packed against the contract (format
# checks on the weights), from the page cache like the pipeline.
case " $PARTS " in
*" read "*)
	B="$W/read.escrow"
	rm -f "$B"
	"$ESCROW" pack "$W/big" -o "$B" -c "$W/contract.yaml" -s "$W/k.key" -j "$THREADS" -q
	cat "$B" >/dev/null
	for r in $(seq 1 "$RUNS"); do
		one read "zstd -dc" sh -c "zstd -dc -q '$B' >/dev/null"
		one read "verify" "$ESCROW" verify "$B" -p "$W/k.pub" -q
		one read "verify -c" "$ESCROW" verify "$B" -p "$W/k.pub" -c "$W/contract.yaml" -q
		# -q shows no report, so the bundle's own SHA-256 (in the report only)
		# is left out; shown, the report costs that hash too.
		one read "verify, report shown" sh -c "'$ESCROW' verify '$B' -p '$W/k.pub' >/dev/null"
		# sync: the last run's gigabyte is written back before the next starts
		rm -rf "$W/x1" && mkdir "$W/x1" && sync
		one read "zstd -dc|tar -x" sh -c "zstd -dc -q '$B' | tar -x -C '$W/x1'"
		rm -rf "$W/x1" "$W/x2" && sync
		one read "extract" "$ESCROW" extract "$B" -C "$W/x2" -p "$W/k.pub" -q
		rm -rf "$W/x2" && sync
	done
	;;
esac

# The notary's everyday case: a sealed bundle with its detached signature,
# against decrypting and decompressing with the stock tools.
case " $PARTS " in
*" sealed "*)
	S="$W/sealed-r.escrow"
	rm -f "$S" "$S.minisig"
	"$ESCROW" pack "$W/big" -o "$S" -c "$W/contract.yaml" -s "$W/k.key" -j "$THREADS" -r "$RECIPIENT" -q
	cat "$S" >/dev/null
	for r in $(seq 1 "$RUNS"); do
		one sealed "age -d|zstd -dc" sh -c "age -d -i '$W/id.age' '$S' | zstd -dc -q >/dev/null"
		one sealed "verify" "$ESCROW" verify "$S" -p "$W/k.pub" -i "$W/id.age" -q
		one sealed "verify, report shown" sh -c "'$ESCROW' verify '$S' -p '$W/k.pub' -i '$W/id.age' >/dev/null"
		rm -rf "$W/x1" && mkdir "$W/x1" && sync
		one sealed "age -d|zstd -dc|tar -x" sh -c "age -d -i '$W/id.age' '$S' | zstd -dc -q | tar -x -C '$W/x1'"
		rm -rf "$W/x1" "$W/x2" && sync
		one sealed "extract" "$ESCROW" extract "$S" -C "$W/x2" -p "$W/k.pub" -i "$W/id.age" -q
		rm -rf "$W/x2" && sync
	done
	rm -f "$S" "$S.minisig"
	;;
esac

# verify on 1, 2, ... nproc decoding threads
case " $PARTS " in
*" jobs "*)
	B="$W/read.escrow"
	[ -s "$B" ] || "$ESCROW" pack "$W/big" -o "$B" -c "$W/contract.yaml" -s "$W/k.key" -j "$THREADS" -q
	cat "$B" >/dev/null
	for r in $(seq 1 "$RUNS"); do
		for j in $(seq 1 "$(nproc)"); do
			one jobs "verify -j $j" "$ESCROW" verify "$B" -p "$W/k.pub" -j "$j" -q
		done
	done
	;;
esac

# A million entries: empty files, and files of 1 KB (1000 folders x 1000).
case " $PARTS " in
*" million "*)
	for m in m0 m1k; do
		if [ ! -e "$W/$m.$MDIRS.$MPER.done" ]; then
			echo "bench: making $MDIRS x $MPER files in $W/$m" >&2
			rm -rf "$W/$m" "$W/$m".*.done
			python3 - "$W/$m" "$m" "$MDIRS" "$MPER" <<'PY'
import os, sys
root, kind, dirs, per = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
for d in range(dirs):
    sub = os.path.join(root, "d%04d" % d)
    os.makedirs(sub)
    for f in range(per):
        with open(os.path.join(sub, "f%04d.txt" % f), "wb") as fh:
            if kind == "m1k":
                line = b"folder %04d file %04d: " % (d, f)
                fh.write((line * (1024 // len(line) + 1))[:1023] + b"\n")
PY
			touch "$W/$m.$MDIRS.$MPER.done"
		fi
		warm "$m"
		for r in $(seq 1 "$MRUNS"); do
			one "$m" "tar|zstd" sh -c "tar -cf - -C '$W' '$m' | zstd -T$THREADS -3 -q >'$W/out.bin'"
			one "$m" "escrow pack" "$ESCROW" pack "$W/$m" -o "$W/out.bin" -s "$W/k.key" -j "$THREADS" -q
		done
		"$ESCROW" pack "$W/$m" -o "$W/$m.escrow" -s "$W/k.key" -j "$THREADS" -q
		cat "$W/$m.escrow" >/dev/null
		for r in $(seq 1 "$MRUNS"); do
			one "$m" "zstd -dc|tar -t" sh -c "zstd -dc -q '$W/$m.escrow' | tar -t >/dev/null"
			one "$m" "escrow verify" "$ESCROW" verify "$W/$m.escrow" -p "$W/k.pub" -q
		done
		rm -f "$W/$m.escrow"
	done
	;;
esac

# One large model file: memory flat, the pipelines' speed, progress right.
case " $PARTS " in
*" model "*)
	M="$W/model"
	if [ ! -e "$W/model.$MODEL_GB.done" ]; then  # MODEL_GB may be a fraction (0.1) to try the part
		echo "bench: generating a $MODEL_GB GB safetensors file in $M" >&2
		rm -rf "$M" "$W"/model.*.done && mkdir -p "$M"
		"$W/gen" safetensors "$(python3 -c "print(int($MODEL_GB * 1000000000))")" 11 >"$M/weights.safetensors"
		touch "$W/model.$MODEL_GB.done"
	fi
	for r in $(seq 1 "$MRUNS"); do
		one model "tar|zstd" sh -c "tar -cf - -C '$W' model | zstd -T$THREADS -3 -q >'$W/out.bin'"
		one model "escrow pack" "$ESCROW" pack "$M" -o "$W/out.bin" -s "$W/k.key" -j "$THREADS" -q
	done
	# the progress a user sees: the last line of each must name every byte
	"$ESCROW" pack "$M" -o "$W/model.escrow" -s "$W/k.key" -j "$THREADS" --progress=json 2>"$W/progress.txt" >/dev/null
	tail -n 1 "$W/progress.txt" >"$W/progress.last"
	for r in $(seq 1 "$MRUNS"); do
		one model "zstd -dc" sh -c "zstd -dc -q '$W/model.escrow' >/dev/null"
		one model "escrow verify" "$ESCROW" verify "$W/model.escrow" -p "$W/k.pub" -q
	done
	"$ESCROW" verify "$W/model.escrow" -p "$W/k.pub" --progress=json 2>"$W/progress.txt" >/dev/null || true
	tail -n 1 "$W/progress.txt" >>"$W/progress.last"
	echo "model file: $(stat -c %s "$M/weights.safetensors") bytes; bundle: $(stat -c %s "$W/model.escrow") bytes" >>"$W/progress.last"
	rm -f "$W/model.escrow"
	;;
esac

# The notary's desk: receive reads the bundle once (verify, and the store's
# copy written from the same bytes, synced); audit hashes the store.
case " $PARTS " in
*" vault "*)
	B="$W/read.escrow" B2="$W/read2.escrow" S="$W/sealed.escrow" V="$W/vault" V2="$W/vault2"
	[ -s "$B" ] || "$ESCROW" pack "$W/big" -o "$B" -c "$W/contract.yaml" -s "$W/k.key" -j "$THREADS" -q
	rm -f "$S" "$S.minisig" "$B2"
	"$ESCROW" pack "$W/big" -o "$S" -c "$W/contract.yaml" -s "$W/k.key" -j "$THREADS" -r "$RECIPIENT" -q
	# the next release of the same contract: compared with the first at receive
	"$ESCROW" pack "$W/big" -o "$B2" -c "$W/contract.yaml" -s "$W/k.key" -j "$THREADS" --release 2 -q
	[ -e "$W/notary.key" ] || "$ESCROW" keygen -W -q -o "$W/notary"
	cat "$B" "$B2" "$S" >/dev/null
	for r in $(seq 1 "$RUNS"); do
		rm -rf "$V" "$V2" && sync
		for v in "$V" "$V2"; do
			"$ESCROW" vault init "$v" -s "$W/notary.key" -i "$W/id.age" -q
			"$ESCROW" vault contract add "$v" "$W/contract.yaml" -p "$W/k.pub" -q
		done
		one vault "verify -c" "$ESCROW" verify "$B" -p "$W/k.pub" -c "$W/contract.yaml" -q
		one vault "vault receive" "$ESCROW" vault receive "$V" "$B" -q
		one vault "vault receive, 2nd release (diff)" "$ESCROW" vault receive "$V" "$B2" -q
		one vault "verify -c -i (sealed)" "$ESCROW" verify "$S" -p "$W/k.pub" -c "$W/contract.yaml" -i "$W/id.age" -q
		one vault "vault receive (sealed)" "$ESCROW" vault receive "$V2" "$S" -q
		one vault "sha256sum store" sh -c "sha256sum '$V'/store/sha256/*/*.escrow >/dev/null"
		# OpenSSL's SHA-256 uses the CPU's SHA extensions, as escrow's does
		! command -v openssl >/dev/null ||
			one vault "openssl sha256 store" sh -c "openssl dgst -sha256 '$V'/store/sha256/*/*.escrow >/dev/null"
		one vault "vault audit" "$ESCROW" vault audit "$V" -q
	done
	rm -rf "$V" "$V2" "$S" "$S.minisig" "$B2"
	;;
esac

printf 'load average at the end: %s\n' "$(cut -d' ' -f1-3 /proc/loadavg)" >>"$W/load.txt"
cat "$W/load.txt"
[ ! -e "$W/progress.last" ] || { echo "last --progress=json lines (model):"; cat "$W/progress.last"; }

python3 - "$res" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
data = {}
for tree, tool, wall, user, sys_, rss, size in rows:
    data.setdefault((tree, tool), []).append((float(wall), float(user) + float(sys_), int(rss), int(size)))
def med(v, k):
    return statistics.median(r[k] for r in v)
names = {"big": "1 GB", "small": "50k files", "pylib": "/usr/lib/python3", "m0": "1M empty files",
         "m1k": "1M files of 1 KB", "model": "one model file"}
if any((t, "tar|zstd") in data for t in ("big", "small", "pylib")):
  print("| tree | tool | wall s (median) | CPU s (median) | size bytes | peak RSS MiB | time vs tar\\|zstd | CPU vs tar\\|zstd | size vs tar\\|zstd | size vs tar\\|zstd + SHA-256 list |")
  print("|---|---|---|---|---|---|---|---|---|---|")
for tree in ("big", "small", "pylib"):
    ref = data.get((tree, "tar|zstd"))
    if not ref:
        continue
    rw, rc, rs = med(ref, 0), med(ref, 1), ref[0][3]
    lst = data.get((tree, "sha256 list"))
    for tool in ("tar|zstd", "escrow", "escrow-stdout", "tar|zstd|age", "escrow-sealed"):
        v = data.get((tree, tool))
        if not v:
            continue
        w, c, m, s = med(v, 0), med(v, 1), max(r[2] for r in v) / 1024, v[0][3]
        r2 = data.get((tree, "tar|zstd|age")) if tool == "escrow-sealed" else ref
        print("| %s | %s | %.2f | %.2f | %d | %.1f | %.2fx | %.2fx | %.4fx | %s |" % (
            names[tree], tool.replace("|", "\\|"), w, c, s, m, w / med(r2, 0), c / med(r2, 1), s / r2[0][3],
            "%.4fx" % (s / (rs + lst[0][3])) if lst and tool.startswith("escrow") else ""))
e, sl = data.get(("big", "escrow")), data.get(("big", "escrow-sealed"))
if e and sl:
    print()
    print("sealing (1 GB): %+.1f%% wall, %+.1f%% CPU over escrow pack; escrow-sealed's ratios are against tar|zstd|age" % (
        100 * (med(sl, 0) / med(e, 0) - 1), 100 * (med(sl, 1) / med(e, 1) - 1)))

def table(title, part, refs):
    if not any((part, t) in data for t in refs):
        return
    print()
    print("| %s | wall s (median) | CPU s (median) | peak RSS MiB | against | time ratio | CPU ratio |" % title)
    print("|---|---|---|---|---|---|---|")
    for tool, against in refs.items():
        v = data.get((part, tool))
        if not v:
            continue
        w, c, m = med(v, 0), med(v, 1), max(r[2] for r in v) / 1024
        a = data.get((part, against)) if against else None
        print("| %s | %.2f | %.2f | %.1f | %s | %s | %s |" % (
            tool.replace("|", "\\|"), w, c, m, (against or "").replace("|", "\\|"),
            "%.2fx" % (w / med(a, 0)) if a else "", "%.2fx" % (c / med(a, 1)) if a else ""))

table("1 GB bundle", "read", {"zstd -dc": None, "verify": "zstd -dc", "verify -c": "verify",
                              "verify, report shown": "zstd -dc",
                              "zstd -dc|tar -x": None, "extract": "zstd -dc|tar -x"})
table("sealed 1 GB bundle + .minisig", "sealed", {"age -d|zstd -dc": None, "verify": "age -d|zstd -dc",
                                                 "verify, report shown": "age -d|zstd -dc",
                                                 "age -d|zstd -dc|tar -x": None, "extract": "age -d|zstd -dc|tar -x"})
jobs = sorted({t for (p, t) in data if p == "jobs"}, key=lambda t: int(t.split()[-1]))
table("1 GB bundle, threads", "jobs", {t: ("verify -j 1" if t != "verify -j 1" else None) for t in jobs})
for m in ("m0", "m1k", "model"):
    table(names[m], m, {"tar|zstd": None, "escrow pack": "tar|zstd",
                        ("zstd -dc" if m == "model" else "zstd -dc|tar -t"): None,
                        "escrow verify": ("zstd -dc" if m == "model" else "zstd -dc|tar -t")})
vrefs = {"verify -c": None, "vault receive": "verify -c", "vault receive, 2nd release (diff)": "verify -c",
         "verify -c -i (sealed)": None,
         "vault receive (sealed)": "verify -c -i (sealed)", "sha256sum store": None,
         "openssl sha256 store": None, "vault audit": "openssl sha256 store"}
table("vault, 1 GB bundle", "vault", vrefs)
print()
print("runs per cell: %d; all runs: %s" % (max(len(v) for v in data.values()), sys.argv[1]))
PY
