/* test_locale.c -- the library never changes the host program's locale.
 * A host that runs in the C locale (the default of every C program that never
 * calls setlocale) packs, verifies and lists a tree with non-ASCII names: the
 * names go through libarchive, which needs a UTF-8 LC_CTYPE (libarchive#2233),
 * and afterwards the process's locale and the thread's are what they were. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "escrow.h"
#include "options.h"
#include "tmpdir.h"

/* "données/modèle-é.txt", "café.txt" and a name longer than a ustar field,
 * all UTF-8 (NFC: an NFD name is another matter, libarchive normalises it). */
#define DIR_NFC "donn\xc3\xa9" "es"
#define FILE_NFC "mod\xc3\xa8le-\xc3\xa9.txt"
#define FILE_CAFE "caf\xc3\xa9.txt"
#define FILE_LONG "\xe6\x97\xa5\xe6\x9c\xac\xe8\xaa\x9e-" \
	"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.bin"

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_true(fputs(text, f) >= 0);
	assert_int_equal(fclose(f), 0);
}

static int setup(void **state)
{
	(void)state;
	/* What a host program that never called setlocale runs in. The test
	 * environment sets LC_ALL=C.UTF-8: this makes it "C" again. */
	if (setlocale(LC_ALL, "C") == NULL)
		return -1;
	if (tmpdir_setup("locale") != 0)
		return -1;
	if (mkdir(tpath("src"), 0755) != 0 || mkdir(tpath("src/" DIR_NFC), 0755) != 0)
		return -1;
	return 0;
}

/* Packs tmpdir/src into tmpdir/NAME, verifies and lists it; the list's JSON
 * must name each file byte for byte. */
static void pack_verify_list(escrow_ctx *ctx, const char *name)
{
	escrow_seckey *sk = NULL;
	escrow_pubkey *pk = NULL;
	escrow_report *rep = NULL;
	escrow_options *o = opts_new();
	escrow_result *pr = NULL;
	char *json;

	assert_int_equal(escrow_seckey_load(ctx, tpath("k.key"), NULL, &sk), ESCROW_OK);
	assert_int_equal(escrow_pubkey_load(ctx, tpath("k.pub"), &pk), ESCROW_OK);
	/* One options object for all three: each operation reads its own. */
	opt_str(o, ESCROW_OPT_SOURCE, tpath("src"));
	opt_str(o, ESCROW_OPT_OUTPUT, tpath(name));
	opt_seckey(o, sk);
	opt_int(o, ESCROW_OPT_FLAGS, ESCROW_QUIET);
	assert_int_equal(escrow_pack(ctx, o, &pr, &rep), ESCROW_OK);
	assert_int_equal(escrow_result_u64(pr, ESCROW_RESULT_FILES), 3);
	escrow_result_free(pr);
	escrow_report_free(rep);
	rep = NULL;

	opt_str(o, ESCROW_OPT_BUNDLE, tpath(name));
	opt_pubkey(o, pk);
	assert_int_equal(escrow_verify(ctx, o, &rep), ESCROW_OK);
	assert_string_equal(escrow_report_verdict(rep), "verified");
	escrow_report_free(rep);
	rep = NULL;

	assert_int_equal(escrow_list(ctx, o, &rep), ESCROW_OK);
	json = escrow_report_json(rep);
	assert_non_null(json);
	assert_non_null(strstr(json, DIR_NFC "/" FILE_NFC));
	assert_non_null(strstr(json, FILE_CAFE));
	assert_non_null(strstr(json, FILE_LONG));
	free(json);
	escrow_report_free(rep);
	escrow_options_free(o);
	escrow_pubkey_free(pk);
	escrow_seckey_free(sk);
}

static void test_host_locale_unchanged(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(escrow_init(), ESCROW_OK);
	assert_int_equal(escrow_keygen(ctx, tpath("k"), NULL, 0), ESCROW_OK);
	write_file(tpath("src/" DIR_NFC "/" FILE_NFC), "un mod\xc3\xa8le\n");
	write_file(tpath("src/" FILE_CAFE), "nfd\n");
	write_file(tpath("src/" FILE_LONG), "long\n");

	pack_verify_list(ctx, "a.escrow");

	/* The process's locale: still "C" in every category. */
	assert_string_equal(setlocale(LC_ALL, NULL), "C");
	assert_string_equal(setlocale(LC_CTYPE, NULL), "C");
	/* The thread's: still the global one, single-byte. */
	assert_true(uselocale((locale_t)0) == LC_GLOBAL_LOCALE);
	assert_int_equal((int)MB_CUR_MAX, 1);
	escrow_ctx_free(ctx);
}

/* A host thread that chose its own locale object with uselocale() gets that
 * object back, not the global one. */
static void test_thread_locale_given_back(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	locale_t mine = newlocale(LC_ALL_MASK, "C", (locale_t)0);
	locale_t before;

	(void)state;
	assert_non_null(ctx);
	assert_true(mine != (locale_t)0);
	before = uselocale(mine);
	assert_true(before != (locale_t)0);

	pack_verify_list(ctx, "b.escrow");

	assert_true(uselocale((locale_t)0) == mine);
	assert_int_equal((int)MB_CUR_MAX, 1);
	assert_string_equal(setlocale(LC_ALL, NULL), "C");
	uselocale(before);
	freelocale(mine);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_host_locale_unchanged),
		cmocka_unit_test(test_thread_locale_given_back),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
