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
#        PARTS="pack read vault" (read: verify and extract, 1 GB tree only;
#        vault: `escrow vault receive` of the 1 GB bundle, unsealed and sealed,
#        as a contract's first deposit and as its next release (compared with
#        the first: that one is read too), against `escrow verify` of it, and
#        `escrow vault audit` against `sha256sum`/`openssl dgst` of the store)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
ESCROW=${ESCROW:-$here/../build/escrow}
RUNS=${RUNS:-3}
THREADS=${THREADS:-2}
PARTS=${PARTS:-pack read vault}
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
[ -e "$W/k.key" ] || minisign -G -W -p "$W/k.pub" -s "$W/k.key" -f >/dev/null 2>&1
[ -e "$W/id.age" ] || age-keygen -o "$W/id.age" 2>/dev/null
RECIPIENT=$(sed -n 's/^# public key: //p' "$W/id.age")

# Both sides read from the page cache.
warm() { tar -cf - -C "$W" "$1" | cat >/dev/null; }

res="$W/results.tsv"
: >"$res"
one() { # tree tool command...
	local tree=$1 tool=$2 out=0
	shift 2
	/usr/bin/time -f "%e %U %S %M" -o "$W/time.txt" "$@"
	[ ! -e "$W/out.bin" ] || out=$(ls -l "$W/out.bin" | awk '{print $5}')
	printf '%s\t%s\t%s\t%s\n' "$tree" "$tool" "$(tr ' ' '\t' <"$W/time.txt")" "$out" >>"$res"
	rm -f "$W/out.bin" "$W/out.bin.minisig"
}
case " $PARTS " in *" pack "*) ;; *) skip_pack=1 ;; esac
for tree in big small; do
	[ -z "${skip_pack:-}" ] || break
	warm "$tree"
	for r in $(seq 1 "$RUNS"); do
		one "$tree" "tar|zstd" sh -c "tar -cf - -C '$W' '$tree' | zstd -T$THREADS -3 -q >'$W/out.bin'"
		one "$tree" "escrow" "$ESCROW" pack "$W/$tree" -o "$W/out.bin" -s "$W/k.key" -j "$THREADS" -q
		# -o FILE ends with fsync (an escrow deposit must be on disk before it is
		# renamed into place); to stdout there is none, like the pipeline.
		one "$tree" "escrow-stdout" sh -c "'$ESCROW' pack '$W/$tree' -o - -s '$W/k.key' -j $THREADS -q >'$W/out.bin'"
		if [ "$tree" = big ]; then
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
		# sync: the last run's gigabyte is written back before the next starts
		rm -rf "$W/x1" && mkdir "$W/x1" && sync
		one read "zstd -dc|tar -x" sh -c "zstd -dc -q '$B' | tar -x -C '$W/x1'"
		rm -rf "$W/x1" "$W/x2" && sync
		one read "extract" "$ESCROW" extract "$B" -C "$W/x2" -p "$W/k.pub" -q
		rm -rf "$W/x2" && sync
	done
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

python3 - "$res" <<'PY'
import statistics, sys
rows = [l.rstrip("\n").split("\t") for l in open(sys.argv[1]) if l.strip()]
data = {}
for tree, tool, wall, user, sys_, rss, size in rows:
    data.setdefault((tree, tool), []).append((float(wall), float(user) + float(sys_), int(rss), int(size)))
def med(v, k):
    return statistics.median(r[k] for r in v)
print("| tree | tool | wall s (median) | CPU s (median) | size bytes | peak RSS MiB | time vs tar\\|zstd | CPU vs tar\\|zstd | size vs tar\\|zstd |")
print("|---|---|---|---|---|---|---|---|---|")
for tree in ("big", "small"):
    ref = data.get((tree, "tar|zstd"))
    if not ref:
        continue
    rw, rc, rs = med(ref, 0), med(ref, 1), ref[0][3]
    for tool in ("tar|zstd", "escrow", "escrow-stdout", "escrow-sealed"):
        v = data.get((tree, tool))
        if not v:
            continue
        w, c, m, s = med(v, 0), med(v, 1), max(r[2] for r in v) / 1024, v[0][3]
        print("| %s | %s | %.2f | %.2f | %d | %.1f | %.2fx | %.2fx | %.4fx |" % (
            "1 GB" if tree == "big" else "50k files", tool.replace("|", "\\|"), w, c, s, m, w / rw, c / rc, s / rs))
e, sl = data.get(("big", "escrow")), data.get(("big", "escrow-sealed"))
if e and sl:
    print()
    print("sealing (1 GB): %+.1f%% wall, %+.1f%% CPU over escrow pack" % (
        100 * (med(sl, 0) / med(e, 0) - 1), 100 * (med(sl, 1) / med(e, 1) - 1)))
refs = {"zstd -dc": None, "verify": "zstd -dc", "verify -c": "verify", "zstd -dc|tar -x": None,
        "extract": "zstd -dc|tar -x"}
if any(("read", t) in data for t in refs):
    print()
    print("| 1 GB bundle | wall s (median) | CPU s (median) | peak RSS MiB | against | time ratio | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    for tool, against in refs.items():
        v = data.get(("read", tool))
        if not v:
            continue
        w, c, m = med(v, 0), med(v, 1), max(r[2] for r in v) / 1024
        a = data.get(("read", against)) if against else None
        print("| %s | %.2f | %.2f | %.1f | %s | %s | %s |" % (
            tool.replace("|", "\\|"), w, c, m, (against or "").replace("|", "\\|"),
            "%.2fx" % (w / med(a, 0)) if a else "", "%.2fx" % (c / med(a, 1)) if a else ""))
    v, a = data.get(("read", "verify -c")), data.get(("read", "zstd -dc"))
    if v and a:
        print()
        print("verify -c against zstd -dc: %.2fx wall" % (med(v, 0) / med(a, 0)))
vrefs = {"verify -c": None, "vault receive": "verify -c", "vault receive, 2nd release (diff)": "verify -c",
         "verify -c -i (sealed)": None,
         "vault receive (sealed)": "verify -c -i (sealed)", "sha256sum store": None,
         "openssl sha256 store": None, "vault audit": "openssl sha256 store"}
if any(("vault", t) in data for t in vrefs):
    print()
    print("| vault, 1 GB bundle | wall s (median) | CPU s (median) | peak RSS MiB | against | time ratio | CPU ratio |")
    print("|---|---|---|---|---|---|---|")
    for tool, against in vrefs.items():
        v = data.get(("vault", tool))
        if not v:
            continue
        w, c, m = med(v, 0), med(v, 1), max(r[2] for r in v) / 1024
        a = data.get(("vault", against)) if against else None
        if against and not a:
            against, a = "sha256sum store", data.get(("vault", "sha256sum store"))
        print("| %s | %.2f | %.2f | %.1f | %s | %s | %s |" % (
            tool, w, c, m, against or "", "%.2fx" % (w / med(a, 0)) if a else "",
            "%.2fx" % (c / med(a, 1)) if a else ""))
print()
print("runs per cell: %d; all runs: %s" % (max(len(v) for v in data.values()), sys.argv[1]))
PY
