#!/usr/bin/env bash
# libpq and libgit2 are opened at run time, not loaded by every run: libpq by
# the first ledger on PostgreSQL (vault_ledger_pg.c), libgit2 by a pack of a
# folder with a .git on the way up (pack_git.c). Without them (dlopen of
# either refused by a preloaded shim, as on a machine without Debian's libpq5
# or libgit2-1.5):
# - vault init on a PostgreSQL URL or conninfo exits 74 with a message that
#   names libpq and the package to install, and leaves nothing behind;
# - pack of a git work tree packs, warning that no provenance was recorded
#   and which package to install; pack of any other folder says nothing;
# - everything else works: keygen, pack, verify, a vault on SQLite (init,
#   contract add, receive, log --verify).
# And the binary itself names neither among the libraries it needs.
. "$(dirname "$0")/lib.sh"

if grep -qa __asan_init "$ESCROW_BIN"; then
	skip_test "sanitizer build: its runtime must be the first library loaded, before any preloaded shim"
fi
command -v cc >/dev/null 2>&1 || skip_test "no C compiler to build the dlopen shim (Debian package gcc)"

if command -v ldd >/dev/null 2>&1; then
	ldd "$ESCROW_BIN" >ldd.out 2>&1
	expect_true "escrow does not link libpq (ldd: $(grep -c . ldd.out) libraries)" sh -c '! grep -q libpq ldd.out'
	expect_true "escrow does not link libgit2" sh -c '! grep -q libgit2 ldd.out'
fi

cat >shim.c <<'C'
#define _GNU_SOURCE
#include <dlfcn.h>
#include <string.h>
/* dlopen of libpq or libgit2 fails, as where the library is absent */
void *dlopen(const char *name, int flags)
{
	static void *(*real)(const char *, int);

	if (name != NULL && (strstr(name, "libpq") != NULL || strstr(name, "libgit2") != NULL))
		return NULL;
	if (real == NULL)
		real = (void *(*)(const char *, int))dlsym(RTLD_NEXT, "dlopen");
	return real(name, flags);
}
C
cc -shared -fPIC -o shim.so shim.c || skip_test "cannot build the dlopen shim with cc"
nopq() { LD_PRELOAD=$T/shim.so "$ESCROW_BIN" "$@"; }

expect_exit 0 nopq keygen -o notary -W -q
expect_exit 0 nopq keygen -o agency -W -q
mkdir -p p/src && echo 'print("hi")' >p/src/app.py
cat >c.yaml <<'Y'
escrow-contract: 1
contract: NOPQ-1
deliverables:
  - id: src
    include: ["src/**"]
Y
expect_exit 0 nopq pack p -o b.escrow -s agency.key -c c.yaml
expect_true "no word of git outside a work tree" sh -c "! grep -qi 'git' '$T/err'"
expect_exit 0 nopq verify b.escrow -p agency.pub -c c.yaml -q
if need_tool git git; then
	export HOME=$T GIT_CONFIG_NOSYSTEM=1
	cp -r p g && git -C g init -q && git -C g add -A &&
		git -C g -c user.name=A -c user.email=a@example.org commit -q -m one
	expect_exit 0 nopq pack g/src -o g.escrow -s agency.key
	expect_grep "may be in a git work tree, but libgit2 cannot be loaded" "$T/err"
	expect_grep "apt-get install libgit2" "$T/err"
	expect_exit 0 nopq verify g.escrow -p agency.pub -q
	expect_true "no Escrow-Git- fields without libgit2" \
		sh -c "! zstd -dc g.escrow | tar -xOf - --wildcards '*/bag-info.txt' | grep -q Escrow-Git-"
fi

# a PostgreSQL ledger: refused before anything is made
for url in postgresql://escrow@127.0.0.1:1/ledger "host=/nonexistent dbname=ledger"; do
	expect_exit 74 nopq vault init PV -s notary.key --ledger "$url"
	expect_grep "PostgreSQL ledger needs libpq" "$T/err"
	expect_grep "apt-get install libpq5" "$T/err"
	expect_true "no vault folder made for $url" test ! -e PV
done

# a vault on SQLite does not need it
expect_exit 0 nopq vault init V -s notary.key -q
expect_exit 0 nopq vault contract add V c.yaml -p agency.pub -q
expect_exit 0 nopq vault receive V b.escrow -q
expect_exit 0 nopq vault log V --verify -q

finish
