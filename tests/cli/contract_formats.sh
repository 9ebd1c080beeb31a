#!/usr/bin/env bash
# A deliverable's format is judged on the file's bytes whichever deliverable
# holds the file first and whether it is reached through a symlink: a torch
# checkpoint (a zip) in a `format: zip` deliverable, a .npz in one, a JSON
# file in a `format: yaml` one (JSON is YAML), each also held by an earlier
# deliverable ("**", or pytorch), and a symlink in a `format: zip`
# deliverable to a .npz no other deliverable holds, are ok in check, pack
# --strict and verify -c; the same paths with broken bytes are bad-format in
# all three. The files are real (tests/fixtures/real: torch.save,
# numpy.savez, json.dump, PyYAML).
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}
R=$SRC/tests/fixtures/real

"$ESCROW" keygen -o agency -W >/dev/null 2>&1

mkdir -p good/models good/cfg
cp "$R/torch_linear_zip.pt" good/models/linear.pt
cp "$R/numpy_stored.npz" good/models/weights.npz
cp "$R/json_config.json" good/cfg/settings.json
cp "$R/numpy_deflated.npz" good/models/extra.npz
ln -s extra.npz good/models/current.npz

cat >contract.yaml <<'EOF'
escrow-contract: 1
contract: FORMATS-1
deliverables:
  - id: everything
    include: ["**"]
  - id: checkpoint
    include: [models/linear.pt]
    format: pytorch
  - id: checkpoint-zip
    include: [models/linear.pt]
    format: zip
  - id: weights-zip
    include: [models/weights.npz]
    format: zip
  - id: settings
    include: [cfg/settings.json]
    format: yaml
  - id: linked
    include: [models/current.npz]
    format: zip
EOF

# statuses FILE: "id=status ..." of a --json report
statuses() {
	python3 -c 'import json,sys
d=json.load(open(sys.argv[1]))
print(" ".join(x["id"] + "=" + x["status"] for x in d["deliverables"]))' "$1"
}

all_ok="everything=ok checkpoint=ok checkpoint-zip=ok weights-zip=ok settings=ok linked=ok"
expect_exit 0 "$ESCROW" check good -c contract.yaml --json && cp "$T/out" check.json
expect_true "check: every deliverable ok" test "$(statuses check.json)" = "$all_ok"
expect_exit 0 "$ESCROW" pack good -o good.escrow -s agency.key -c contract.yaml --strict -q
expect_exit 0 "$ESCROW" verify good.escrow -p agency.pub -c contract.yaml --json && cp "$T/out" verify.json
expect_true "verify: every deliverable ok" test "$(statuses verify.json)" = "$all_ok"

# The same names, broken bytes: never ok.
cp -a good bad
printf 'not a checkpoint\n' >bad/models/linear.pt
printf 'PK\003\004 not a zip at all' >bad/models/weights.npz
printf '{"a": [1, 2}\n' >bad/cfg/settings.json
printf 'PK\003\004 not a zip either' >bad/models/extra.npz
bad_st="everything=ok checkpoint=bad-format checkpoint-zip=bad-format weights-zip=bad-format settings=bad-format linked=bad-format"
expect_exit 2 "$ESCROW" check bad -c contract.yaml --json && cp "$T/out" check.json
expect_true "check: every format deliverable bad-format" test "$(statuses check.json)" = "$bad_st"
expect_exit 2 "$ESCROW" pack bad -o bad.escrow -s agency.key -c contract.yaml --strict -q
expect_true "pack --strict wrote nothing" test ! -e bad.escrow
expect_exit 0 "$ESCROW" pack bad -o bad.escrow -s agency.key -c contract.yaml -q
expect_exit 2 "$ESCROW" verify bad.escrow -p agency.pub -c contract.yaml --json && cp "$T/out" verify.json
expect_true "verify: every format deliverable bad-format" test "$(statuses verify.json)" = "$bad_st"

# A Git LFS pointer with one of the v1 version aliases git-lfs reads
# (lfs/pointer.go: hawser.github.com, git-media.io) is not the model:
# lfs-pointer in all three, whatever the deliverable's format; a file that
# only starts like one stays a file.
mkdir lfs
oid=$(printf '%064d' 7)
printf 'version http://git-media.io/v/2\noid sha256:%s\nsize 123456\n' "$oid" >lfs/media.safetensors
printf 'version https://hawser.github.com/spec/v1\noid sha256:%s\nsize 123456\n' "$oid" >lfs/hawser.bin
printf 'version https://git-lfs.github.com/spec/v1 and then some\noid sha256:%s\nsize 1\n' "$oid" >lfs/notes.txt
cat >lfs.yaml <<'EOF'
escrow-contract: 1
contract: LFS-1
deliverables:
  - id: media
    include: [media.safetensors]
    format: safetensors
  - id: hawser
    include: [hawser.bin]
  - id: notes
    include: [notes.txt]
EOF
lfs_st="media=lfs-pointer hawser=lfs-pointer notes=ok"
expect_exit 2 "$ESCROW" check lfs -c lfs.yaml --json && cp "$T/out" check.json
expect_true "check: the pointers are lfs-pointer" test "$(statuses check.json)" = "$lfs_st"
expect_exit 2 "$ESCROW" pack lfs -o lfs-strict.escrow -s agency.key -c lfs.yaml --strict -q
expect_exit 0 "$ESCROW" pack lfs -o lfs.escrow -s agency.key -c lfs.yaml -q
expect_exit 2 "$ESCROW" verify lfs.escrow -p agency.pub -c lfs.yaml --json && cp "$T/out" verify.json
expect_true "verify: the pointers are lfs-pointer" test "$(statuses verify.json)" = "$lfs_st"

# ONNX external data must hold what the model's tensors read from it
# (offset + length of each, as onnx.load and onnxruntime read them): a data
# file cut short, by one byte of its last tensor or to nothing, is bad-format
# in all three; whole, it is ok (tests/fixtures/onnx_external, written by onnx).
for cut in whole 59 0; do
	rm -rf "onnx-$cut"
	mkdir -p "onnx-$cut/models"
	cp "$SRC/tests/fixtures/onnx_external/model.onnx" "$SRC/tests/fixtures/onnx_external/model.onnx.data" "onnx-$cut/models/"
	[ "$cut" = whole ] || truncate -s "$cut" "onnx-$cut/models/model.onnx.data"
done
cat >onnx.yaml <<'EOF'
escrow-contract: 1
contract: ONNX-1
deliverables:
  - id: scorer
    include: ["models/**"]
    format: onnx
EOF
expect_exit 0 "$ESCROW" check onnx-whole -c onnx.yaml
expect_exit 0 "$ESCROW" pack onnx-whole -o onnx-whole.escrow -s agency.key -c onnx.yaml --strict -q
expect_exit 0 "$ESCROW" verify onnx-whole.escrow -p agency.pub -c onnx.yaml
for cut in 59 0; do
	expect_exit 2 "$ESCROW" check "onnx-$cut" -c onnx.yaml --json && cp "$T/out" check.json
	expect_true "check: data cut to $cut is bad-format" test "$(statuses check.json)" = "scorer=bad-format"
	expect_grep "holds $cut bytes, its tensors need 60" check.json
	expect_exit 2 "$ESCROW" pack "onnx-$cut" -o "onnx-$cut-strict.escrow" -s agency.key -c onnx.yaml --strict -q
	expect_exit 0 "$ESCROW" pack "onnx-$cut" -o "onnx-$cut.escrow" -s agency.key -c onnx.yaml -q
	expect_exit 2 "$ESCROW" verify "onnx-$cut.escrow" -p agency.pub -c onnx.yaml --json && cp "$T/out" verify.json
	expect_true "verify: data cut to $cut is bad-format" test "$(statuses verify.json)" = "scorer=bad-format"
done

# A legacy torch.save (no zip) made with pickle_protocol=3, 4 or 5 (4 and 5
# frame each pickle) is a pytorch file like protocol 2's: ok in all three;
# one byte short, bad-format (not unsafe) in all three
# (tests/fixtures/torch_protocols, written by torch).
rm -rf tp-good tp-cut
mkdir tp-good tp-cut
for p in 3 4 5; do
	cp "$SRC/tests/fixtures/torch_protocols/legacy_p$p.pt" tp-good/
	head -c $(($(wc -c <"tp-good/legacy_p$p.pt") - 1)) "tp-good/legacy_p$p.pt" >"tp-cut/legacy_p$p.pt"
done
cat >tp.yaml <<'EOF'
escrow-contract: 1
contract: TORCH-1
deliverables:
  - id: p3
    include: [legacy_p3.pt]
    format: pytorch
  - id: p4
    include: [legacy_p4.pt]
    format: pytorch
  - id: p5
    include: [legacy_p5.pt]
    format: pytorch
EOF
for t in good cut; do
	if [ $t = good ]; then want=0 st=ok; else want=2 st=bad-format; fi
	expect_exit $want "$ESCROW" check "tp-$t" -c tp.yaml --json && cp "$T/out" check.json
	expect_true "check: legacy torch ($t) is $st" test "$(statuses check.json)" = "p3=$st p4=$st p5=$st"
	expect_exit $want "$ESCROW" pack "tp-$t" -o "tp-$t-strict.escrow" -s agency.key -c tp.yaml --strict -q
	expect_exit 0 "$ESCROW" pack "tp-$t" -o "tp-$t.escrow" -s agency.key -c tp.yaml -q
	expect_exit $want "$ESCROW" verify "tp-$t.escrow" -p agency.pub -c tp.yaml --json && cp "$T/out" verify.json
	expect_true "verify: legacy torch ($t) is $st" test "$(statuses verify.json)" = "p3=$st p4=$st p5=$st"
done

# Each tensor in its own data file, named after it (onnx's
# all_tensors_to_one_file=False, torch.onnx.export of a large model): the
# data files are part of the model, not ONNX files to check: ok in all three
# (tests/fixtures/onnx_external_split, written by onnx). Without the first
# tensor's file the model is bad-format; every location is checked, not only
# the first: without the second (B), or with B shorter than its tensor's
# offset + length (12 bytes), bad-format in check, pack --strict and verify.
rm -rf split split-nw split-nb split-cb
mkdir -p split/models split-nw/models split-nb/models split-cb/models
cp "$SRC"/tests/fixtures/onnx_external_split/{model.onnx,W,B} split/models/
cp "$SRC"/tests/fixtures/onnx_external_split/{model.onnx,B} split-nw/models/
cp "$SRC"/tests/fixtures/onnx_external_split/{model.onnx,W} split-nb/models/
cp "$SRC"/tests/fixtures/onnx_external_split/{model.onnx,W,B} split-cb/models/
truncate -s 8 split-cb/models/B
expect_exit 0 "$ESCROW" check split -c onnx.yaml
expect_exit 0 "$ESCROW" pack split -o split.escrow -s agency.key -c onnx.yaml --strict -q
expect_exit 0 "$ESCROW" verify split.escrow -p agency.pub -c onnx.yaml --json && cp "$T/out" verify.json
expect_true "verify: split external data ok" test "$(statuses verify.json)" = "scorer=ok"
expect_exit 2 "$ESCROW" check split-nw -c onnx.yaml
expect_grep "external data 'W' is not in the deposit" out
for v in nb:"external data 'B' is not in the deposit" cb:"external data 'B' holds 8 bytes, its tensors need 12"; do
	d=split-${v%%:*} msg=${v#*:}
	expect_exit 2 "$ESCROW" check "$d" -c onnx.yaml --json && cp "$T/out" check.json
	expect_true "check: $d is bad-format" test "$(statuses check.json)" = "scorer=bad-format"
	expect_grep "$msg" check.json
	expect_exit 2 "$ESCROW" pack "$d" -o "$d-strict.escrow" -s agency.key -c onnx.yaml --strict -q
	expect_exit 0 "$ESCROW" pack "$d" -o "$d.escrow" -s agency.key -c onnx.yaml -q
	expect_exit 2 "$ESCROW" verify "$d.escrow" -p agency.pub -c onnx.yaml --json && cp "$T/out" verify.json
	expect_true "verify: $d is bad-format" test "$(statuses verify.json)" = "scorer=bad-format"
	expect_grep "$msg" verify.json
done
finish
