#!/usr/bin/env bash
# Safe means safe: files written by the real torch.save, torch.jit.save,
# np.save and pickle (tests/fixtures/pickle, made by make.py there). Every
# hostile one is `unsafe` in check and, once packed, in verify, naming the
# callable; every benign one passes both with no warning (a TorchScript
# archive gets exactly one, about its code).
. "$(dirname "$0")/lib.sh"
SRC=${ESCROW_SRC:?set by ctest}
FX=$SRC/tests/fixtures/pickle

"$ESCROW" keygen -W -o k -q >/dev/null

# contract NAME [FORMAT]: one deliverable, the file m/NAME
contract() {
	{
		printf 'escrow-contract: 1\ncontract: PICKLE-1\nagency: Test Agency\ndeliverables:\n'
		printf '  - id: model\n    kind: model\n    include: ["m/%s"]\n' "$1"
		[ -n "${2:-}" ] && printf '    format: %s\n' "$2"
	} >c.yaml
}
format_of() {
	case $1 in
	*.pt | *.pth) echo pytorch ;;
	*.npy) echo npy ;;
	*.npz) echo npz ;;
	*) echo "" ;;
	esac
}
# report FIELD: the deliverable's status, its reason, or the warnings, from out
report() {
	python3 -c 'import json, sys
r = json.load(open("out"))
d = r["deliverables"][0]
if sys.argv[1] == "warnings":
    print("\n".join(w["message"] for w in r.get("warnings", [])))
else:
    print(d.get(sys.argv[1], ""))' "$1"
}

for f in "$FX"/ok_*; do
	name=$(basename "$f")
	rm -rf p && mkdir -p p/m && cp "$f" p/m/
	contract "$name" "$(format_of "$name")"
	expect_exit 0 "$ESCROW" check p -c c.yaml --json || continue
	expect_true "$name: ok in check" test "$(report status)" = ok
	case $name in
	ok_torchscript.pt)
		expect_true "$name: one warning, about TorchScript code" \
			test "$(report warnings | grep -c .)" = 1
		report warnings | grep -q "m/$name: TorchScript archive: its pickles are on the allowlist" ||
			expect_true "$name: the TorchScript warning" false ;;
	*)
		expect_true "$name: no warning in check ($(report warnings))" test -z "$(report warnings)" ;;
	esac
	rm -f b.escrow
	expect_exit 0 "$ESCROW" pack p -o b.escrow -s k.key -c c.yaml -q
	expect_exit 0 "$ESCROW" verify b.escrow -p k.pub -c c.yaml --json
	expect_true "$name: ok in verify" test "$(report status)" = ok
done

# bad_NAME -> what its report must name
want_for() {
	case $1 in
	bad_timeit* | bad_torch_zip.pkl) echo 'timeit\.timeit' ;;
	bad_runstring* | bad_model.joblib) echo 'numpy\.testing\._private\.utils\.runstring' ;;
	bad_eval_legacy.pt) echo '__builtin__\.eval' ;;
	bad_object.npy) echo 'timeit\.timeit' ;;
	bad_object_bzip2.npz | bad_object_lead.npz) echo 'b: compressed with method 12: not scanned' ;;
	bad_object_after_txt.npz) echo 'b: compressed with method 14: not scanned' ;;
	bad_object_inflated_view.npz) echo 'b: method 8 in the central directory, 0 in the local header: what np.load reads was not scanned' ;;
	bad_object_stored_view.npz) echo 'b: method 0 in the central directory, 12 in the local header: what np.load reads was not scanned' ;;
	bad_object.npz | bad_object_*.npz) echo 'numpy\.testing\._private\.utils\.runstring' ;;
	bad_object_truncated.npy) echo 'cannot be fully scanned: pickle truncated' ;;
	esac
}
for f in "$FX"/bad_*; do
	name=$(basename "$f")
	rm -rf p && mkdir -p p/m && cp "$f" p/m/
	if [ "$name" = bad_legacy_truncated.pt ]; then
		# its pickles are whole and allowlisted; its storages are cut short
		contract "$name" pytorch
		expect_exit 2 "$ESCROW" check p -c c.yaml --json
		expect_true "$name: bad-format" test "$(report status)" = bad-format
		report reason | grep -q 'storage 3 of 3: 3 elements run past the end' ||
			expect_true "$name: the reason names the storage ($(report reason))" false
		continue
	fi
	want=$(want_for "$name")
	for fmt in "" "$(format_of "$name")"; do
		contract "$name" "$fmt"
		expect_exit 2 "$ESCROW" check p -c c.yaml --json
		expect_true "$name: unsafe in check [$fmt]" test "$(report status)" = unsafe
		report reason | grep -Eq "m/$name: unsafe pickle: .*$want" ||
			expect_true "$name: the reason names $want ($(report reason))" false
	done
	rm -f b.escrow
	expect_exit 0 "$ESCROW" pack p -o b.escrow -s k.key -c c.yaml -q
	expect_exit 2 "$ESCROW" verify b.escrow -p k.pub -c c.yaml --json
	expect_true "$name: unsafe in verify" test "$(report status)" = unsafe
	report reason | grep -Eq "$want" || expect_true "$name: verify names $want" false
	# outside any deliverable: a warning naming it, in check and verify
	printf 'escrow-contract: 1\ncontract: PICKLE-2\nagency: Test Agency\ndeliverables:\n  - id: x\n    include: ["m/**"]\n    exclude: ["m/%s"]\n    required: false\n' "$name" >o.yaml
	expect_exit 0 "$ESCROW" check p -c o.yaml
	expect_grep "m/$name: unsafe pickle: .*$want" out
done
# An empty .pkl / .joblib holds no pickle, so nothing that runs when loaded
# (pickle.load raises EOFError): it was "unsafe: cannot be fully scanned: no
# pickle in the file", so pack --strict refused such a deposit and verify
# called it incomplete. Not unsafe now, in check, pack --strict and verify; a
# one-byte pickle cut short still is.
for name in empty.pkl empty.joblib; do
	rm -rf p b.escrow && mkdir -p p/m && : >"p/m/$name"
	contract "$name"
	expect_exit 0 "$ESCROW" check p -c c.yaml --json
	expect_true "$name: ok in check" test "$(report status)" = ok
	expect_exit 0 "$ESCROW" pack p -o b.escrow -s k.key -c c.yaml --strict -q
	expect_exit 0 "$ESCROW" verify b.escrow -p k.pub -c c.yaml --json
	expect_true "$name: ok in verify" test "$(report status)" = ok
	expect_true "$name: no pickle warning" sh -c "! grep -q 'unsafe pickle' out"
done
rm -rf p && mkdir -p p/m && printf '\200' >p/m/cut.pkl
contract cut.pkl
expect_exit 2 "$ESCROW" check p -c c.yaml --json
expect_true "cut.pkl: unsafe" test "$(report status)" = unsafe
# The unpickler reads a FRAME's whole length before it runs any opcode in it:
# a frame longer than what follows ends pickle.load ("pickle data was
# truncated"), even when a STOP comes before. Such a file was ok. The
# pickle is Python's own (protocol 4 frames); only its length is raised.
rm -rf p && mkdir -p p/m
python3 - <<'EOF_PY'
import pickle
b = pickle.dumps({"w": [1.0, 2.0], "n": "x" * 40}, protocol=4)
assert b[2] == 0x95
n = int.from_bytes(b[3:11], "little")
open("p/m/frame.pkl", "wb").write(b)
open("p/m/long_frame.pkl", "wb").write(b[:3] + (n + 1).to_bytes(8, "little") + b[11:])
pickle.load(open("p/m/frame.pkl", "rb"))
try:
    pickle.load(open("p/m/long_frame.pkl", "rb"))
    raise SystemExit("long_frame.pkl loads")
except pickle.UnpicklingError as e:
    assert "truncated" in str(e), e
EOF_PY
contract frame.pkl
expect_exit 0 "$ESCROW" check p -c c.yaml --json
expect_true "frame.pkl: ok" test "$(report status)" = ok
contract long_frame.pkl
expect_exit 2 "$ESCROW" check p -c c.yaml --json
expect_true "long_frame.pkl: unsafe" test "$(report status)" = unsafe
report reason | grep -q 'a FRAME of [0-9]* bytes at byte 2 runs past its end' ||
	expect_true "long_frame.pkl: the reason names the FRAME ($(report reason))" false
# A pickle that runs code, or a Git LFS pointer, in a deliverable that an
# earlier rule made 'missing' (a file the annex names is absent) was named
# nowhere: not by the status, and not as a warning (only files outside every
# deliverable got one), so check and verify kept quiet about it and pack
# --strict refused the deposit as unsafe for a file its report did not name.
# It is a warning now, in all three; a deliverable whose status says it
# gets no warning besides.
rm -rf p b.escrow && mkdir -p p/m
printf "cos\nsystem\n(S'true'\ntR." >p/m/evil.pkl
printf 'version https://git-lfs.github.com/spec/v1\noid sha256:%s\nsize 12345\n' \
	"$(printf 'ab%.0s' $(seq 32))" >p/m/w.safetensors
printf 'escrow-contract: 1\ncontract: PICKLE-3\ndeliverables:\n  - id: model\n    include: [m/evil.pkl, m/card.md]\n  - id: weights\n    include: [m/w.safetensors, m/w.json]\n' >m.yaml
expect_exit 2 "$ESCROW" check p -c m.yaml --json
expect_true "masked pickle: missing in check" test "$(report status)" = missing
report warnings | grep -q '^m/evil.pkl: unsafe pickle: os.system' ||
	expect_true "masked pickle: check warns ($(report warnings))" false
report warnings | grep -q '^m/w.safetensors is a Git LFS pointer' ||
	expect_true "masked LFS pointer: check warns ($(report warnings))" false
expect_exit 1 "$ESCROW" pack p -o b.escrow -s k.key -c m.yaml --strict --json
report warnings | grep -q '^m/evil.pkl: unsafe pickle: os.system' ||
	expect_true "masked pickle: pack --strict's report names it ($(report warnings))" false
expect_exit 0 "$ESCROW" pack p -o b.escrow -s k.key -c m.yaml -q
expect_exit 2 "$ESCROW" verify b.escrow -p k.pub -c m.yaml --json
report warnings | grep -q '^m/evil.pkl: unsafe pickle: os.system' ||
	expect_true "masked pickle: verify warns ($(report warnings))" false
report warnings | grep -q '^m/w.safetensors is a Git LFS pointer' ||
	expect_true "masked LFS pointer: verify warns ($(report warnings))" false
: >p/m/card.md && printf '{}' >p/m/w.json
expect_exit 2 "$ESCROW" check p -c m.yaml --json
expect_true "told pickle: unsafe" test "$(report status)" = unsafe
expect_true "told pickle and pointer: no warning ($(report warnings))" \
	test -z "$(report warnings | grep -E 'unsafe pickle|LFS')"
finish
