#!/usr/bin/env bash
# escrow pack with stock tools on the other side: a key made by minisign,
# sealed bundles opened by stock age, zstd and tar, detached signatures
# checked by stock minisign.
. "$(dirname "$0")/lib.sh"
VALIDATE="$ESCROW_SRC/tests/bagit_validate.py"
export SOURCE_DATE_EPOCH=1767225600

minisign -G -W -p agency.pub -s agency.key -f >/dev/null 2>&1
age-keygen -o notary.txt 2>/dev/null
NOTARY=$(sed -n 's/^# public key: //p' notary.txt)
age-keygen -o other.txt 2>/dev/null
OTHER=$(sed -n 's/^# public key: //p' other.txt)
mkdir -p proj/models proj/src
head -c 2000000 /dev/urandom >proj/models/w.bin
for i in $(seq 1 50); do echo "int f$i(void) { return $i; }" >"proj/src/f$i.c"; done

# ---- sealed for one recipient
expect_exit 0 "$ESCROW" pack proj -o s.escrow -s agency.key -r "$NOTARY" --release 2.0
expect_grep 'sealed' out
expect_true "starts with the age header" [ "$(head -c 22 s.escrow)" = "age-encryption.org/v1" ]
expect_true "detached signature beside it" test -s s.escrow.minisig
expect_exit 0 minisign -Vm s.escrow -p agency.pub
expect_grep 'escrow-bundle/1 name=proj release=2.0 contract=none' out
expect_exit 0 age -d -i notary.txt -o s.tar.zst s.escrow
expect_exit 0 zstd -qt s.tar.zst
expect_exit 0 tar --zstd -tf s.tar.zst && expect_grep '^proj-2.0/data/models/w.bin$' out
mkdir x && tar --zstd -xf s.tar.zst -C x
expect_exit 0 python3 "$VALIDATE" x/proj-2.0
expect_exit 0 diff -r --no-dereference proj x/proj-2.0/data
expect_exit 0 minisign -Vm x/proj-2.0/tagmanifest-sha256.txt -x x/proj-2.0/tagmanifest-sha256.txt.minisig -p agency.pub
expect_exit 1 age -d -i other.txt -o /dev/null s.escrow
# A flipped byte in the sealed file: the detached signature fails.
cp s.escrow t.escrow && cp s.escrow.minisig t.escrow.minisig
flip_byte t.escrow 2000
expect_exit 1 minisign -Vm t.escrow -p agency.pub

# ---- several recipients, from -r and -R
printf '# the notary\n%s\n' "$OTHER" >recips.txt
expect_exit 0 "$ESCROW" pack proj -o m.escrow -s agency.key -r "$NOTARY" -R recips.txt -q
expect_exit 0 age -d -i other.txt -o m1.tar.zst m.escrow
expect_exit 0 age -d -i notary.txt -o m2.tar.zst m.escrow
expect_true "both recipients get the same bundle" cmp -s m1.tar.zst m2.tar.zst
expect_exit 0 minisign -Vm m.escrow -p agency.pub

# ---- sealed to stdout: no .minisig, and a warning says so
"$ESCROW" pack proj -o - -s agency.key -r "$NOTARY" >o.escrow 2>o.err
expect_true "sealed stdout pack succeeds" [ -s o.escrow ]
expect_grep 'no detached signature' o.err
expect_exit 0 age -d -i notary.txt -o o.tar.zst o.escrow
expect_exit 0 zstd -qt o.tar.zst

# ---- bad recipients
expect_exit 65 "$ESCROW" pack proj -o bad.escrow -s agency.key -r age1notarecipient
expect_exit 66 "$ESCROW" pack proj -o bad.escrow -s agency.key -R missing.txt
expect_true "no bundle from bad recipients" test ! -e bad.escrow

# ---- the same tree unsealed equals the sealed one's plaintext (same SOURCE_DATE_EPOCH)
expect_exit 0 "$ESCROW" pack proj -o u.escrow -s agency.key --release 2.0 -q
expect_true "sealed plaintext is the unsealed bundle" cmp -s u.escrow s.tar.zst
# ---- a tree with no file (an empty folder only): its empty manifest-sha256.txt
# is a valid bag (the validator called its empty text a malformed line)
mkdir -p none/empty
expect_exit 0 "$ESCROW" pack none -o none.escrow -s agency.key -q
mkdir xnone && zstd -qdc none.escrow | tar -xf - -C xnone
expect_true "the empty manifest is empty" test ! -s xnone/none-unreleased/manifest-sha256.txt
expect_exit 0 python3 "$VALIDATE" xnone/none-unreleased
finish
