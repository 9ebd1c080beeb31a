#!/usr/bin/env bash
# Every payload entry lies inside a folder entry of the bundle, checked as it
# streams by (the reader looks the parent up, trying the previous entry's
# parent first): a bundle with a folder's header taken out of the tar is
# refused as unsafe by verify and extract, whichever folder is missing.
. "$(dirname "$0")/lib.sh"

"$ESCROW" keygen -W -o k >/dev/null 2>&1
mkdir -p src/a src/b src/c/d src/e
for f in a/x a/y b/z c/d/w c/v e/u; do printf '%s\n' "$f" >"src/$f"; done
"$ESCROW" pack src -o good.escrow -s k.key --name t --release 1 -q
expect_exit 0 "$ESCROW" verify good.escrow -p k.pub

# drop.py IN OUT NAME: the tar without the (data-less) header of folder NAME.
cat >drop.py <<'PY'
import subprocess, sys
src, out, name = sys.argv[1:4]
tar = bytearray(subprocess.run(["zstd", "-qdc", src], stdout=subprocess.PIPE, check=True).stdout)
off = 0
while off + 512 <= len(tar) and tar[off:off + 512] != bytes(512):
    h = tar[off:off + 512]
    size = int(bytes(h[124:135]), 8)
    if h[156:157] == b"5" and bytes(h[:100]).rstrip(b"\0").endswith(b"/data/" + name.encode() + b"/"):
        del tar[off:off + 512]
        break
    off += 512 + ((size + 511) // 512 * 512 if h[156:157] in (b"0", b"x") else 0)
else:
    raise SystemExit("no folder " + name)
subprocess.run(["zstd", "-q", "--check", "-o", out], input=bytes(tar), check=True)
PY

for d in a b c/d e; do
	python3 drop.py good.escrow "m.escrow" "$d"
	expect_exit 1 "$ESCROW" verify m.escrow -p k.pub
	expect_grep "^verdict: unsafe" "$T/out"
	expect_grep "is not inside a folder of the bundle" "$T/err"
	rm -rf x
	expect_exit 1 "$ESCROW" extract m.escrow -C x -p k.pub -q
	expect_true "extract left nothing ($d)" test ! -e x
	rm -f m.escrow
done
finish
