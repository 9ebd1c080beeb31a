#!/usr/bin/env bash
# rewrap.sh -- the notary signs only what it verified: 'escrow rewrap'
# refuses junk sealed to the notary's public recipient with stock age, a
# deposit signed by another agency's key, a tampered sealed bundle and a
# deposit that does not meet the notary's contract, writing nothing; a good
# deposit is released, its .minisig checks with stock minisign and its trusted
# comment names the source deposit's SHA-256, name, release and time.
. "$(dirname "$0")/lib.sh"

for tool in age minisign sha256sum; do
	command -v "$tool" >/dev/null || { echo "FAIL: stock $tool is needed" >&2; exit 1; }
done

"$ESCROW" keygen -W -o agency -q
"$ESCROW" keygen -W -o intruder -q
"$ESCROW" keygen -W -o notary -q
"$ESCROW" keygen --age -o vault -q
"$ESCROW" keygen --age -o client -q
NOTARY_R=$(cat vault.age.pub)
CLIENT_R=$(cat client.age.pub)
mkdir -p src/models src/app
head -c 400000 /dev/urandom >src/models/weights.bin
echo 'print("score")' >src/app/main.py
cat >contract.yaml <<'EOF'
escrow-contract: 1
contract: CLAIMS-2026-03
agency: Agence Exemple SAS
client: Client PME SA
deliverables:
  - id: app
    kind: code
    include: ["app/**"]
  - id: manual
    kind: docs
    include: ["docs/manual.pdf"]
EOF
expect_exit 0 "$ESCROW" pack src -o dep.escrow -s agency.key -r "$NOTARY_R" --name claimscore --release 1.3.0 -q

# nothing_written NAME: the release NAME and its signature were not written, nor
# any temporary.
nothing_written() {
	test ! -e "$1" && test ! -e "$1.minisig" && test -z "$(ls -A | grep escrow-tmp)"
}
rewrap() { # BUNDLE OUT [more options]
	local in=$1 out=$2
	shift 2
	"$ESCROW" rewrap "$in" -p agency.pub -i vault.age -r "$CLIENT_R" -o "$out" -s notary.key "$@"
}

# 1. Junk age-encrypted to the notary by stock age: it opens, it is not a deposit.
head -c 70000 /dev/urandom >junk
expect_exit 0 age -r "$NOTARY_R" -o junk.age junk
expect_exit 65 rewrap junk.age r1.escrow
expect_grep '^verdict: not-a-bundle' out
expect_grep 'error: not-a-bundle: junk.age is not an escrow bundle' err
expect_grep 'nothing was released' err
expect_true "junk: nothing written" nothing_written r1.escrow
# ... nor a real tar+zstd stream that carries no signed bag.
mkdir loose && echo hello >loose/a.txt
tar -C loose -cf - a.txt | zstd -q -c >loose.tzst
expect_exit 0 age -r "$NOTARY_R" -o loose.age loose.tzst
expect_exit 65 rewrap loose.age r1.escrow
expect_grep '^verdict: not-a-bundle' out
expect_true "unsigned tar: nothing written" nothing_written r1.escrow

# 2. A well-formed deposit, sealed to the notary, but signed by another key.
expect_exit 0 "$ESCROW" pack src -o intruder.escrow -s intruder.key -r "$NOTARY_R" -q
expect_exit 1 rewrap intruder.escrow r2.escrow
expect_grep '^verdict: bad-signature' out
expect_grep "not by key $(sed -n 's/.*public key //p' agency.pub)" err
expect_true "another agency's key: nothing written" nothing_written r2.escrow
# ... also when no release signature is asked for.
expect_exit 1 "$ESCROW" rewrap intruder.escrow -p agency.pub -i vault.age -r "$CLIENT_R" -o r2.escrow
expect_true "unsigned release: nothing written either" nothing_written r2.escrow

# 3. Tampered sealed bundles: one bit in the middle, one in the last chunk,
# a cut.
size=$(stat -c %s dep.escrow)
for at in $((size / 2)) $((size - 30)); do
	cp dep.escrow t.escrow
	python3 -c 'import sys; f = open(sys.argv[1], "r+b"); f.seek(int(sys.argv[2])); b = f.read(1); f.seek(int(sys.argv[2])); f.write(bytes([b[0] ^ 4]))' t.escrow "$at"
	expect_exit 1 rewrap t.escrow r3.escrow
	expect_grep '^verdict: tampered' out
	expect_true "flipped bit at $at: nothing written" nothing_written r3.escrow
done
head -c $((size - 1000)) dep.escrow >t.escrow
expect_exit 1 rewrap t.escrow r3.escrow
expect_true "truncated: nothing written" nothing_written r3.escrow

# 4. Intact and authentic, but the notary's contract is not met: exit 2.
expect_exit 2 rewrap dep.escrow r4.escrow -c contract.yaml
expect_grep '^verdict: incomplete' out
expect_true "incomplete: nothing written" nothing_written r4.escrow

# 5. The good deposit is released.
expect_exit 0 env SOURCE_DATE_EPOCH=1767225600 "$ESCROW" rewrap dep.escrow -p agency.pub -i vault.age \
	-r "$CLIENT_R" -o release.escrow -s notary.key --json
python3 - out <<'PY' || { echo "FAIL: the JSON report of the release" >&2; fails=$((fails + 1)); }
import json, sys
r = json.load(open(sys.argv[1]))
assert r["verdict"] == "verified", r["verdict"]
rel = r["release"]
assert rel["output"] == "release.escrow" and rel["signature"] == "release.escrow.minisig", rel
assert len(rel["source_sha256"]) == 64 and rel["trusted_comment"].startswith("escrow-release/1 "), rel
PY
expect_exit 0 minisign -Vm release.escrow -p notary.pub
src_sha=$(sha256sum dep.escrow | cut -d' ' -f1)
expect_grep "^Trusted comment: escrow-release/1 name=claimscore release=1.3.0 source=dep.escrow source-sha256=$src_sha released=2026-01-01T00:00:00Z file=release.escrow$" out
expect_true "the JSON names the same source" grep -q "$src_sha" <("$ESCROW" rewrap dep.escrow -p agency.pub \
	-i vault.age -r "$CLIENT_R" -o release2.escrow --json 2>/dev/null)
expect_exit 0 "$ESCROW" rewrap dep.escrow -p agency.pub -i vault.age -r "$CLIENT_R" -o release.escrow -s notary.key \
	--force --json
expect_grep "\"output_sha256\": \"[0-9a-f]{64}\"" out
expect_exit 1 minisign -Vm release.escrow -p agency.pub
expect_exit 0 "$ESCROW" verify release.escrow -p agency.pub -i client.age -q
expect_exit 1 "$ESCROW" verify release.escrow -p agency.pub -i vault.age -q
expect_exit 0 "$ESCROW" extract release.escrow -C out.d -p agency.pub -i client.age -q --payload-only
expect_true "the client gets the deposit" cmp -s src/models/weights.bin out.d/models/weights.bin
expect_true "no temporary left" test -z "$(ls -A | grep escrow-tmp)"
finish
