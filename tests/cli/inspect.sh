#!/usr/bin/env bash
# Issue [6/7] end to end, through pack and verify (check has its own tests):
# real model files pass their format checks; an LFS pointer, a truncated
# safetensors, an ONNX file where safetensors was agreed and a PyTorch file
# whose pickle calls posix.system make the deposit incomplete (2); unsafe
# pickles, API keys and private keys outside deliverables are warned about.
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}

python3 "$SRC/examples/make-project.py" p >/dev/null
"$ESCROW" keygen -W -o k -q >/dev/null
python3 - <<'PY'
import os, pickle, zipfile
class Evil:
    def __reduce__(self):
        return (os.system, ("true",))
evil = pickle.dumps({"weight": Evil()}, protocol=2)
os.makedirs("p/models", exist_ok=True)
with zipfile.ZipFile("p/models/ranker.pt", "w", zipfile.ZIP_STORED) as z:
    z.writestr("ranker/data.pkl", evil)
    z.writestr("ranker/version", "3\n")
    z.writestr("ranker/data/0", b"\0" * 64)
os.makedirs("p/scratch", exist_ok=True)
open("p/scratch/cache.pkl", "wb").write(evil)
PY
cat >contract.yaml <<'YAML'
escrow-contract: 1
contract: INSPECT-1
agency: Test Agency
client: Test Client
deliverables:
  - id: classifier
    kind: model
    include: ["models/classifier.safetensors"]
    format: safetensors
  - id: onnx-export
    kind: model
    include: ["models/classifier.onnx"]
    format: onnx
  - id: embeddings
    kind: model
    include: ["models/embeddings.gguf"]
    format: gguf
YAML
# status of deliverable ID in a --json report
status() { python3 -c 'import json, sys
r = json.load(open(sys.argv[1]))
print(next((d["status"] + " " + d.get("reason", "") for d in r["deliverables"] if d["id"] == sys.argv[2]), "absent"))' "$1" "$2"; }

# Well-formed safetensors, ONNX and GGUF deliverables: verified (0).
rm p/models/ranker.pt
expect_exit 0 "$ESCROW" pack p -o good.escrow -s k.key -c contract.yaml -q
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub -c contract.yaml --json
expect_grep '"verdict": "verified"' out
for id in classifier onnx-export embeddings; do
	expect_true "$id ok" test "$(status out $id | cut -d' ' -f1)" = ok
done
# manifest.json kinds: model for .onnx/.safetensors, code for .py, data for .csv.
zstd -dc good.escrow | tar -xO --wildcards '*/escrow/manifest.json' >manifest.json
expect_exit 0 python3 -c 'import json, sys
kinds = {f["path"]: f.get("kind") for f in json.load(open("manifest.json"))["files"]}
want = {"models/classifier.onnx": "model", "models/classifier.safetensors": "model",
        "src/scoring/app.py": "code", "data/train.csv": "data"}
bad = {p: (kinds.get(p), k) for p, k in want.items() if kinds.get(p) != k}
sys.exit(1 if bad else print("kinds ok") or 0)'
# The unsafe pickle outside any deliverable is a warning, naming the file.
"$ESCROW" verify good.escrow -p k.pub -c contract.yaml >v.out 2>v.err || true
expect_grep 'scratch/cache.pkl' v.out

# An LFS pointer in place of the model: 2, and the report says LFS.
cp -a p lfs
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 1660\n' 0 >lfs/models/classifier.safetensors
expect_exit 0 "$ESCROW" pack lfs -o lfs.escrow -s k.key -q
expect_exit 2 "$ESCROW" verify lfs.escrow -p k.pub -c contract.yaml --json
expect_true "classifier is lfs-pointer" test "$(status out classifier | cut -d' ' -f1)" = lfs-pointer
expect_grep 'git lfs pull' out
# A pointer is what git-lfs reads as one, whatever the line ends: one that
# went through a CRLF checkout, or lost its final newline, in a deliverable
# that asks no format (only the pointer check can catch it): 2.
cat >nofmt.yaml <<'YAML'
escrow-contract: 1
contract: INSPECT-2
deliverables:
  - id: weights
    kind: model
    include: ["models/classifier.safetensors"]
YAML
for v in crlf nolf; do
	cp -a p "lfs-$v"
	if [ $v = crlf ]; then
		printf 'version https://git-lfs.github.com/spec/v1\r\noid sha256:%064d\r\nsize 1660\r\n' 0
	else
		printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%064d\nsize 1660' 0
	fi >"lfs-$v/models/classifier.safetensors"
	expect_exit 0 "$ESCROW" pack "lfs-$v" -o "lfs-$v.escrow" -s k.key -q
	expect_exit 2 "$ESCROW" verify "lfs-$v.escrow" -p k.pub -c nofmt.yaml --json
	expect_true "weights ($v pointer) is lfs-pointer" test "$(status out weights | cut -d' ' -f1)" = lfs-pointer
done

# A truncated safetensors: 2, bad-format.
cp -a p cut
head -c 1000 p/models/classifier.safetensors >cut/models/classifier.safetensors
expect_exit 0 "$ESCROW" pack cut -o cut.escrow -s k.key -q
expect_exit 2 "$ESCROW" verify cut.escrow -p k.pub -c contract.yaml --json
expect_true "truncated classifier is bad-format" test "$(status out classifier | cut -d' ' -f1)" = bad-format

# An ONNX file where safetensors was agreed: 2, bad-format.
cp -a p swap
cp p/models/classifier.onnx swap/models/classifier.safetensors
expect_exit 0 "$ESCROW" pack swap -o swap.escrow -s k.key -q
expect_exit 2 "$ESCROW" verify swap.escrow -p k.pub -c contract.yaml --json
expect_true "onnx-as-safetensors is bad-format" test "$(status out classifier | cut -d' ' -f1)" = bad-format

# A PyTorch deliverable whose pickle calls posix.system: 2, unsafe, naming system.
cp -a p torch
python3 - <<'PY'
import os, pickle, zipfile
class Evil:
    def __reduce__(self):
        return (os.system, ("true",))
with zipfile.ZipFile("torch/models/ranker.pt", "w", zipfile.ZIP_STORED) as z:
    z.writestr("ranker/data.pkl", pickle.dumps({"weight": Evil()}, protocol=2))
    z.writestr("ranker/version", "3\n")
    z.writestr("ranker/data/0", b"\0" * 64)
PY
cat contract.yaml - >torch.yaml <<'YAML'
  - id: ranker
    kind: model
    include: ["models/ranker.pt"]
    format: pytorch
YAML
expect_exit 0 "$ESCROW" pack torch -o torch.escrow -s k.key -q
expect_exit 2 "$ESCROW" verify torch.escrow -p k.pub -c torch.yaml --json
expect_true "ranker is unsafe" test "$(status out ranker | cut -d' ' -f1)" = unsafe
expect_true "the reason names system" bash -c "python3 -c 'import json,sys; r=json.load(open(\"out\")); print([d[\"reason\"] for d in r[\"deliverables\"] if d[\"id\"]==\"ranker\"][0])' | grep -q system"

# Secrets in an unsealed deposit: pack and verify warn, naming the files, never the secret.
cp -a p sec
printf 'OPENAI_API_KEY=sk-proj-%s\n' "Q7fA9kLm2Xp4Rt8Vw1Yz3Bc5Dn6Eh0Gj2Kl4Mn6Pq8Rs0Tu2Vw4Xy6Za8Bc0De2Fg4" >sec/.env
{
	echo '-----BEGIN OPENSSH PRIVATE KEY-----'
	echo 'b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW'
	echo 'QyNTUxOQAAACBZ0Yc3GtVrUj1pXqUo3oQ0g7nqkV5ZgvP9v1b0Vd1s7AAAAJgAAAAAAAAA'
	echo '-----END OPENSSH PRIVATE KEY-----'
} >sec/deploy_key
expect_exit 0 "$ESCROW" pack sec -o sec.escrow -s k.key
expect_grep '\.env' err
expect_grep 'deploy_key' err
expect_true "pack does not print the API key" bash -c "! grep -q Q7fA9kLm2Xp4 err"
expect_exit 0 "$ESCROW" verify sec.escrow -p k.pub
expect_grep '\.env' out
expect_grep 'deploy_key' out
expect_true "verify does not print the API key" bash -c "! grep -q Q7fA9kLm2Xp4 out err"
finish
