#!/usr/bin/env bash
# demo.sh -- the escrow story, told with real commands and their real output.
#
# An agency (Atelier Data SAS) builds "claimscore", a fraud-scoring service with
# its models and data, for an insurer (the client). Under an escrow agreement it
# deposits each release with a notary (the escrow agent). The demo walks through
# the deposit, the notary's checks, two deposits that must be refused, and the
# release to the client on a triggering event.
#
# On a fresh Debian 12 machine: installs what is missing, builds escrow into
# build/ (ESCROW_DEMO_BUILD overrides), works in examples/work/. Exits 0 only
# when every step behaved as the story says.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD
build=${ESCROW_DEMO_BUILD:-build}
case $build in /*) ;; *) build=$top/$build ;; esac

. tests/deps.sh
escrow_install_deps age minisign zstd python3 libcmocka-dev
escrow_utf8_locale

bold=""
norm=""
if [ -t 1 ]; then
	bold=$(printf '\033[1m')
	norm=$(printf '\033[0m')
fi
n_steps=0
out=""

section() { printf '\n%s== %s ==%s\n' "$bold" "$*" "$norm"; }
say() { printf '%s\n' "$*" | tr '\n' ' ' | fold -s -w 96 | sed 's/ *$//'; echo; }
die() {
	printf '\ndemo: FAILED: %s\n' "$*" >&2
	exit 1
}

# step CODE 'COMMAND': shows the command, runs it, shows its output (stdout and
# stderr, as a terminal would), and stops the demo unless it exits with CODE.
step() {
	local want=$1 cmd=$2 got
	n_steps=$((n_steps + 1))
	printf '%s$ %s%s\n' "$bold" "$cmd" "$norm"
	out=$(mktemp "$work/.out.XXXXXX")
	(set -o pipefail; eval "$cmd") >"$out" 2>&1 </dev/null && got=0 || got=$?
	sed 's/^/  /' "$out"
	if [ "$got" != "$want" ]; then
		die "step $n_steps: '$cmd' exited $got, the story expects $want"
	fi
	[ "$got" = 0 ] || printf '  %s[exit %s]%s\n' "$bold" "$got" "$norm"
}
# expect REGEX: the last step's output says what the story says it should.
expect() {
	grep -q -E -- "$1" "$out" || die "step $n_steps: its output does not match /$1/"
}

section "0. Building escrow"
say "Configuring and building into ${build#"$top"/}/ (log in ${build#"$top"/}/demo-build.log)."
mkdir -p "$build"
if ! { cmake -S . -B "$build" && cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)"; } \
	>"$build/demo-build.log" 2>&1; then
	tail -30 "$build/demo-build.log" >&2
	die "the build failed (see $build/demo-build.log)"
fi
export PATH=$build:$PATH
work=$top/examples/work
rm -rf "$work"
mkdir -p "$work"
cd "$work"
step 0 'escrow --version'

section "1. The parties make their keys"
say "The agency signs every deposit with a minisign key, protected by a passphrase (here given
through ESCROW_PASSPHRASE instead of being typed at the prompt). The notary and the client each
make an age key pair: deposits are sealed for the notary, and released to the client."
export AGENCY_PASS='claimscore deposits 2026' NOTARY_PASS='escrow agent seal'
step 0 'ESCROW_PASSPHRASE=$AGENCY_PASS escrow keygen -o agency'
step 0 'cat agency.pub'
step 0 'escrow keygen --age -o notary'
step 0 'escrow keygen --age -o client'
step 0 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow keygen -o notary'

section "2. The agency checks its project against the contract"
say "The project: Python and C sources, real model files (safetensors, ONNX, GGUF), a CSV training
set, prompts, a pipeline, a model card and a runbook. The contract's annex lists what every deposit
must hold."
step 0 'python3 ../make-project.py project'
step 0 'find project -type f | sort'
step 0 'cp ../contract.yaml contract.yaml && grep -E "^  - id:|^forbid|^exclude" contract.yaml'
step 0 'escrow check project -c contract.yaml'

section "3. The agency packs a sealed deposit"
say "One file: the project as a BagIt bag in a tar, compressed with zstd, signed with the agency's
key, and encrypted with age for the notary only. Beside it, a detached signature lets anyone check
who deposited it without being able to read it."
step 0 'ESCROW_PASSPHRASE=$AGENCY_PASS escrow pack project -c contract.yaml -s agency.key --name claimscore --release 1.3.0 -r "$(cat notary.age.pub)" -o deposit.escrow'
step 0 'ls -l deposit.escrow*'
step 0 'head -c 22 deposit.escrow; echo'
expect '^age-encryption.org/v1'
step 0 'minisign -Vm deposit.escrow -p agency.pub'

section "4. The notary verifies the deposit and keeps the report"
say "The notary checks everything against its own copy of the contract: the agency's signature,
every byte of every file, every deliverable and its format. It files the JSON report."
step 0 'escrow verify deposit.escrow -i notary.age -p agency.pub -c contract.yaml'
expect 'verified'
step 0 'escrow verify deposit.escrow -i notary.age -p agency.pub -c contract.yaml --json > report-1.3.0.json'
step 0 'python3 -c "import json; r = json.load(open(\"report-1.3.0.json\")); print(\"verdict:\", r[\"verdict\"]); print(\"deliverables:\", \", \".join(d[\"id\"] + \"=\" + d[\"status\"] for d in r[\"deliverables\"]))"'
expect 'verdict: verified'
say "For its files and for the lawyers, the notary also writes a certificate: one HTML page, in French
here, that prints on one A4 page: the parties, the contract's and the bundle's SHA-256, the signer,
the verdict, each deliverable, and the stock commands that check it all again."
step 0 'escrow certificate deposit.escrow -i notary.age -p agency.pub -c contract.yaml --lang fr -o certificat-1.3.0.html'
expect 'certificat-1.3.0.html: verified'
say "The certificate is $work/certificat-1.3.0.html: open it in a browser, or print it to PDF."
say "Every layer is a published format: the notary can also open the deposit with stock tools."
step 0 'age -d -i notary.age deposit.escrow | zstd -dc | tar -tvf - | sed -n "1,3p;/escrow\//p"'

section "5. A deposit with a forgotten deliverable is refused"
say "For release 1.3.1 the agency forgets the ONNX export. Its own pre-flight check says so
(exit 2)..."
step 0 'cp -a project project-1.3.1 && rm project-1.3.1/models/classifier.onnx'
step 2 'escrow check project-1.3.1 -c contract.yaml | grep -E "missing|verdict"'
expect 'classifier-onnx'
say "...and if it packs anyway, without the contract, the notary's verification catches it: the
deposit is intact and authentic, but incomplete (exit 2)."
step 0 'ESCROW_PASSPHRASE=$AGENCY_PASS escrow pack project-1.3.1 -s agency.key --name claimscore --release 1.3.1 -r "$(cat notary.age.pub)" -o deposit-1.3.1.escrow -q'
step 2 'escrow verify deposit-1.3.1.escrow -i notary.age -p agency.pub -c contract.yaml | grep -E "^(signature|integrity|contract):|missing|verdict"'
expect 'incomplete'
expect 'classifier-onnx'
say "What changed since 1.3.0? escrow diff reads the two deposits once each, without extracting
them, and lists per deliverable what was added, removed, changed or renamed; the regression comes
first (exit 0: it could compare)."
step 0 'escrow diff deposit.escrow deposit-1.3.1.escrow -i notary.age -p agency.pub -c contract.yaml | grep -E "^(changes|REGRESSIONS|  classifier-onnx|    removed|verdict)"'
expect '^  classifier-onnx: ok -> missing'
expect '^verdict: compared -- 1 regression'

section "6. A tampered copy is refused"
say "One bit of a copy of the deposit is flipped, as a failing disk or an intruder would. The age
layer's authentication catches it (exit 1)."
step 0 'cp deposit.escrow tampered.escrow && python3 -c "import os; f = open(\"tampered.escrow\", \"r+b\"); f.seek(os.path.getsize(\"tampered.escrow\") // 2); b = f.read(1); f.seek(-1, 1); f.write(bytes([b[0] ^ 1]))"'
step 1 'cmp deposit.escrow tampered.escrow'
step 1 'escrow verify tampered.escrow -i notary.age -p agency.pub -c contract.yaml'
expect '^verdict: tampered -- .*does not authenticate'
say "A deposit signed with another key than the agency's is refused too (exit 1)."
step 0 'escrow keygen -W -o mallory -q && escrow pack project -s mallory.key -c contract.yaml --name claimscore --release 1.3.0 -r "$(cat notary.age.pub)" -o forged.escrow -q'
step 1 'escrow verify forged.escrow -i notary.age -p agency.pub -c contract.yaml'
expect '^verdict: bad-signature -- .*was made by key'

section "7. The notary's desk: a vault that remembers every deposit"
say "Checking one bundle at a time forgets it. The notary keeps a vault: a content-addressed store
of every deposit received, and a ledger (SQLite here; PostgreSQL when desks share one) of contracts,
agency keys, deposits and a hash-chained log of every event. It registers the contract and the
agency's key."
step 0 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault init vault -s notary.key -i notary.age'
step 0 'escrow vault contract add vault contract.yaml -p agency.pub'
say "The deposit is received: stored by its SHA-256, verified against the registered contract and
key, recorded, and the agency gets a signed receipt (an in-toto Statement with a SLSA
Verification Summary), which stock minisign checks."
step 0 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault receive vault deposit.escrow -o receipt-1.3.0.json'
expect '^deposit 1: verified'
step 0 'minisign -Vm receipt-1.3.0.json -p notary.pub'
step 0 'escrow receipt verify receipt-1.3.0.json -p notary.pub --bundle deposit.escrow'
expect 'PASSED'
say "Release 1.3.1, without the ONNX export, packed with the contract this time, reaches the desk:
it is recorded as refused (incomplete, exit 2), and the agency gets a FAILED receipt saying why."
step 0 'ESCROW_PASSPHRASE=$AGENCY_PASS escrow pack project-1.3.1 -c contract.yaml -s agency.key --name claimscore --release 1.3.1 -r "$(cat notary.age.pub)" -o deposit-1.3.1c.escrow -q 2>/dev/null'
step 2 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault receive vault deposit-1.3.1c.escrow -o receipt-1.3.1.json 2>&1 | grep -v "^  "'
expect 'incomplete'
step 0 'minisign -Vm receipt-1.3.1.json -p notary.pub -q && python3 -c "import json; p = json.load(open(\"receipt-1.3.1.json\"))[\"predicate\"]; print(p[\"verificationResult\"], p[\"escrow\"][\"deliverables\"][\"classifier-onnx\"])"'
expect '^FAILED missing'
say "Periodically the notary audits the vault: every stored deposit is read once and its SHA-256
and size checked against the ledger (no identity needed; --full would decrypt and verify each one
again). Each audit is an event in the chain. The log's chain is recomputed, and every receipt the
vault gave still names an event the log holds: a rewritten ledger would show."
step 0 'escrow vault audit vault'
expect '2 deposit\(s\) checked, 0 failed, 0 left for the next run, 0 stray file\(s\)'
step 0 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault log vault --verify | tail -n 1'
expect '^chain ok'
step 0 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault log vault --against receipt-1.3.0.json | tail -n 1'
expect '^chain ok'
say "Key rotation: the agency makes a new signing key; the notary registers it and revokes the old
one. A deposit signed with the old key is refused from now on (bad-signature, exit 1); one signed
with the new key is accepted."
step 0 'ESCROW_PASSPHRASE=$AGENCY_PASS escrow keygen -o agency2 -q'
step 0 'escrow vault key add vault CLAIMS-2026-03 -p agency2.pub'
step 0 'escrow vault key revoke vault "$(sed -n "1s/.* //p" agency.pub)" --reason "rotated after 2026"'
step 0 'ESCROW_PASSPHRASE=$AGENCY_PASS escrow pack project -c contract.yaml -s agency.key --name claimscore --release 1.3.2 -r "$(cat notary.age.pub)" -o deposit-1.3.2.escrow -q'
step 1 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault receive vault deposit-1.3.2.escrow 2>&1 | grep -v "^  "'
expect 'not a registered, unrevoked key'
step 0 'ESCROW_PASSPHRASE=$AGENCY_PASS escrow pack project -c contract.yaml -s agency2.key --name claimscore --release 1.4.0 -r "$(cat notary.age.pub)" -o deposit-1.4.0.escrow -q'
step 0 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault receive vault deposit-1.4.0.escrow -o receipt-1.4.0.json'
expect 'verified'
step 0 'escrow vault list vault'

section "8. The triggering event: the notary releases the deposit to the client"
say "The agency ceases trading: the commercial court's judgment opens its liquidation. On that
evidence the notary releases the latest accepted deposit (1.4.0) from the vault: it is verified in
full and re-encrypted for the client, the judgment is stored in the vault by its SHA-256, the
release event (event, evidence, recipients, deposit, release SHA-256) goes into the ledger, and a
release record signed by the notary lies beside the release."
step 0 'printf "Tribunal de commerce de Paris, 2027-02-15: liquidation judiciaire of Atelier Data SAS\n" > judgment.txt'
step 0 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault release vault CLAIMS-2026-03 --event bankruptcy --evidence judgment.txt -r "$(cat client.age.pub)" -o vault-release.escrow'
expect '^released deposit 4 of CLAIMS-2026-03'
step 0 'minisign -Vm vault-release.escrow.release.json -p notary.pub'
step 0 'python3 -c "import json; r = json.load(open(\"vault-release.escrow.release.json\")); p = r[\"predicate\"]; print(p[\"event\"], p[\"deposit\"][\"release\"], p[\"evidence\"][\"sha256\"]); print(r[\"subject\"][0][\"digest\"][\"sha256\"])" && sha256sum judgment.txt vault-release.escrow'
expect "^bankruptcy 1.4.0 $(sha256sum judgment.txt | cut -c1-64)"
step 0 'escrow extract vault-release.escrow -C delivered-vault -p agency2.pub -i client.age | grep -E "^(extracted|verdict):" && diff -r --no-dereference project delivered-vault/data && echo "the client has the project, byte for byte"'
say "A refused deposit is never released, even when named (exit 65)."
step 65 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow vault release vault CLAIMS-2026-03 --deposit 2 --event bankruptcy --evidence judgment.txt -r "$(cat client.age.pub)" -o never.escrow'
say "Without a vault, the notary does the same by hand with escrow rewrap (here with deposit 1.3.0,
signed with the agency's first key): the deposit is verified in full against the agency's key
and its own copy of the contract, in the same pass, and the notary signs only what it has checked.
The payload bytes are copied unchanged; only the age header is new."
step 0 'ESCROW_PASSPHRASE=$NOTARY_PASS escrow rewrap deposit.escrow -p agency.pub -c contract.yaml -i notary.age -r "$(cat client.age.pub)" -o release.escrow -s notary.key | grep -E "^(signature|integrity|contract|verdict):"'
expect '^verdict: +verified'
say "The release signature checks with stock minisign; its trusted comment names the source
deposit by its SHA-256, with its name, release and the time."
step 0 'minisign -Vm release.escrow -p notary.pub'
expect "source-sha256=$(sha256sum deposit.escrow | cut -d' ' -f1)"
say "Junk sealed to the notary's public recipient opens, but it is no deposit: refused, nothing
written (not-a-bundle, exit 65)."
step 0 'head -c 1000 /dev/urandom | age -r "$(cat notary.age.pub)" >junk.age'
step 65 'escrow rewrap junk.age -p agency.pub -i notary.age -r "$(cat client.age.pub)" -o junk-release.escrow -q'
step 1 'test -e junk-release.escrow'
say "The notary's own identity no longer opens the release (exit 1)."
step 1 'escrow verify release.escrow -i notary.age -p agency.pub'
say "The client verifies and extracts it. The agency's signature inside still holds."
step 0 'escrow verify release.escrow -i client.age -p agency.pub -c contract.yaml | grep -E "^(signature|detached|integrity|verdict):"'
expect '^verdict: +verified'
step 0 'escrow extract release.escrow -C delivered -p agency.pub -i client.age | grep -E "^(extracted|verdict):"'
step 0 'find delivered -maxdepth 2 | sort | head -20'
step 0 'diff -r --no-dereference project delivered/data && echo "delivered/data is the agency'"'"'s project, byte for byte"'

section "9. Ten years later, without escrow"
say "Stock tools open and check the release: age, zstd, tar, minisign, sha256sum."
step 0 'mkdir stock && age -d -i client.age release.escrow | zstd -dc | tar -xf - -C stock && ls stock'
step 0 'cd stock/claimscore-1.3.0 && minisign -Vm tagmanifest-sha256.txt -p ../../agency.pub && sha256sum -c tagmanifest-sha256.txt && sha256sum -c --quiet manifest-sha256.txt && echo "all $(wc -l < manifest-sha256.txt) payload files check out"'

rm -f "$work"/.out.*
printf '\n%sdemo: all %d steps behaved as the story says.%s\n' "$bold" "$n_steps" "$norm"
