/* test_options.c -- escrow_options and escrow_result, the growable public
 * API: every setter, types and ranges refused with a reason, lists that
 * append, strings copied, unknown ids refused, NULL-safe frees; and what the
 * operations read from the object (each refuses what it lacks). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>
#include <stdlib.h>
#include <string.h>

#include "esc_api.h"
#include "options.h"

static void test_new_free(void **state)
{
	escrow_options *o = opts_new();

	(void)state;
	escrow_options_free(NULL);
	escrow_result_free(NULL);
	assert_string_equal(escrow_options_error(NULL), "");
	assert_string_equal(escrow_options_error(o), "");
	assert_null(o->source);
	assert_int_equal(o->level, 0);
	assert_int_equal(o->flags, 0);
	assert_int_equal(o->excludes.n, 0);
	escrow_options_free(o);
}

static void test_strings_copied(void **state)
{
	escrow_options *o = opts_new();
	static const enum escrow_option ids[] = {ESCROW_OPT_SOURCE, ESCROW_OPT_OUTPUT, ESCROW_OPT_BUNDLE,
	                                         ESCROW_OPT_TARGET, ESCROW_OPT_NAME, ESCROW_OPT_RELEASE};
	char *const *fields[] = {&o->source, &o->output, &o->bundle, &o->target, &o->name, &o->release};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof ids / sizeof ids[0]; i++) {
		char *buf = strdup("first value");

		assert_non_null(buf);
		opt_str(o, ids[i], buf);
		memset(buf, 'X', strlen(buf)); /* the caller's buffer changes, then goes */
		free(buf);
		assert_string_equal(*fields[i], "first value");
		opt_str(o, ids[i], "second"); /* replaces */
		assert_string_equal(*fields[i], "second");
		opt_str(o, ids[i], NULL); /* unsets */
		assert_null(*fields[i]);
		opt_str(o, ids[i], "kept until free");
	}
	escrow_options_free(o); /* frees the copies (ASan and valgrind see a leak otherwise) */
}

static void test_lists_append(void **state)
{
	escrow_options *o = opts_new();
	char buf[32];
	size_t i;

	(void)state;
	for (i = 0; i < 20; i++) { /* past the first allocation */
		snprintf(buf, sizeof buf, "glob-%zu/**", i);
		opt_str(o, ESCROW_OPT_EXCLUDE, buf);
	}
	memset(buf, 0, sizeof buf);
	assert_int_equal(o->excludes.n, 20);
	assert_string_equal(o->excludes.v[0], "glob-0/**");
	assert_string_equal(o->excludes.v[19], "glob-19/**");
	opt_str(o, ESCROW_OPT_DELIVERABLE, "classifier");
	opt_str(o, ESCROW_OPT_DELIVERABLE, "docs");
	assert_int_equal(o->deliverables.n, 2);
	assert_string_equal(o->deliverables.v[1], "docs");
	assert_int_equal(o->excludes.n, 20); /* lists are apart */
	opt_str(o, ESCROW_OPT_EXCLUDE, NULL); /* empties the list */
	assert_int_equal(o->excludes.n, 0);
	opt_str(o, ESCROW_OPT_EXCLUDE, "again");
	assert_int_equal(o->excludes.n, 1);
	assert_string_equal(o->excludes.v[0], "again");
	escrow_options_free(o);
}

static void test_ints_and_ranges(void **state)
{
	escrow_options *o = opts_new();

	(void)state;
	opt_int(o, ESCROW_OPT_LEVEL, 19);
	assert_int_equal(o->level, 19);
	opt_int(o, ESCROW_OPT_LEVEL, 0);
	assert_int_equal(o->level, 0);
	opt_int(o, ESCROW_OPT_LEVEL, 7);
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_LEVEL, 20), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "ESCROW_OPT_LEVEL: "));
	assert_non_null(strstr(escrow_options_error(o), "20 is out of range 0..19"));
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_LEVEL, -1), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_LEVEL, INT64_MAX), ESCROW_E_USAGE);
	assert_int_equal(o->level, 7); /* unchanged by a refusal */
	opt_int(o, ESCROW_OPT_LEVEL, 3);
	assert_string_equal(escrow_options_error(o), ""); /* a success clears the reason */

	opt_int(o, ESCROW_OPT_FLAGS, ESCROW_FORCE | ESCROW_INCLUDE_VCS | ESCROW_SKIP_SYMLINKS | ESCROW_PAYLOAD_ONLY |
	                             ESCROW_QUIET);
	assert_int_equal(o->flags, 0x1f);
	/* the first bit that is no ESCROW_* flag (0x100, 0x200 and 0x400 became
	 * ESCROW_STRICT, ESCROW_FAIL_ON_WARNING and ESCROW_NO_DIGEST) */
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_FLAGS, 0x800), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "0x800"));
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_FLAGS, -1), ESCROW_E_USAGE);
	assert_int_equal(o->flags, 0x1f);
	opt_int(o, ESCROW_OPT_FLAGS, ESCROW_STRICT | ESCROW_FAIL_ON_WARNING);
	assert_int_equal(o->flags, 0x300);
	opt_int(o, ESCROW_OPT_FLAGS, 0);
	assert_int_equal(o->flags, 0);
	escrow_options_free(o);
}

/* --meta: KEY=VALUE pairs, appended; a malformed one refused, the list kept. */
static void test_meta(void **state)
{
	escrow_options *o = escrow_options_new();
	char long_value[600];

	(void)state;
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "Ticket=REL-42"), ESCROW_OK);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "CI-Run=https://ci.example/1?a=b"), ESCROW_OK);
	assert_int_equal(o->meta.n, 2);
	assert_string_equal(o->meta.v[1], "CI-Run=https://ci.example/1?a=b");
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "bad key=x"), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "not KEY=VALUE"));
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "Key"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "=v"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "Key="), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "Key= leading blank"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "Key=a\nb"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "Key=\xe2\x80\xae" "evil"), ESCROW_E_USAGE);
	/* the refused value is shown escaped, never raw */
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, "K=\x1b[31m"), ESCROW_E_USAGE);
	assert_null(strchr(escrow_options_error(o), 0x1b));
	memset(long_value, 'v', sizeof long_value - 1);
	long_value[sizeof long_value - 1] = '\0';
	memcpy(long_value, "K=", 2);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, long_value), ESCROW_E_USAGE);
	long_value[514] = '\0'; /* 512 bytes of value */
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, long_value), ESCROW_OK);
	assert_int_equal(o->meta.n, 3);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_META, NULL), ESCROW_OK); /* NULL clears */
	assert_int_equal(o->meta.n, 0);
	escrow_options_free(o);
}

static void test_objects_borrowed(void **state)
{
	escrow_options *o = opts_new();
	/* Never dereferenced by the setters: stand-ins of the right types. */
	const escrow_seckey *sk = (const escrow_seckey *)(uintptr_t)0x1000;
	const escrow_pubkey *pk = (const escrow_pubkey *)(uintptr_t)0x2000;
	const escrow_contract *c = (const escrow_contract *)(uintptr_t)0x3000;
	const escrow_recipients *rs = (const escrow_recipients *)(uintptr_t)0x4000;
	const escrow_identities *ids = (const escrow_identities *)(uintptr_t)0x5000;

	(void)state;
	opt_seckey(o, sk);
	opt_pubkey(o, pk);
	opt_contract(o, c);
	opt_recipients(o, rs);
	opt_identities(o, ids);
	assert_ptr_equal(o->signing_key, sk);
	assert_ptr_equal(o->public_key, pk);
	assert_ptr_equal(o->contract, c);
	assert_ptr_equal(o->recipients, rs);
	assert_ptr_equal(o->identities, ids);
	opt_seckey(o, NULL);
	opt_contract(o, NULL);
	assert_null(o->signing_key);
	assert_null(o->contract);
	escrow_options_free(o); /* must not free what it borrowed */
}

static void test_wrong_type_refused(void **state)
{
	escrow_options *o = opts_new();

	(void)state;
	opt_str(o, ESCROW_OPT_NAME, "kept");
	/* A string option through the int setter, and the other way round. */
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_NAME, 5), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "option 5 (name) is of type string, not int"));
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_LEVEL, "5"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_FLAGS, "5"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_CONTRACT, "c.yaml"), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "(contract)"));
	/* Each object setter accepts its own id only. */
	assert_int_equal(escrow_options_set_seckey(o, ESCROW_OPT_PUBLIC_KEY, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_pubkey(o, ESCROW_OPT_SIGNING_KEY, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_contract(o, ESCROW_OPT_SOURCE, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_recipients(o, ESCROW_OPT_IDENTITIES, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_identities(o, ESCROW_OPT_RECIPIENTS, NULL), ESCROW_E_USAGE);
	assert_string_equal(o->name, "kept");
	escrow_options_free(o);
}

static void test_unknown_refused(void **state)
{
	escrow_options *o = opts_new();

	(void)state;
	assert_int_equal(escrow_options_set_string(o, (enum escrow_option)0, "x"), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "option 0: no such option"));
	assert_int_equal(escrow_options_set_string(o, (enum escrow_option)9999, "x"), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "option 9999"));
	assert_int_equal(escrow_options_set_int(o, (enum escrow_option)-3, 1), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_seckey(o, (enum escrow_option)9998, NULL), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "option 9998: no such option"));
	/* No object: refused, nothing to say it in. */
	assert_int_equal(escrow_options_set_string(NULL, ESCROW_OPT_NAME, "x"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_int(NULL, ESCROW_OPT_LEVEL, 1), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_identities(NULL, ESCROW_OPT_IDENTITIES, NULL), ESCROW_E_USAGE);
	escrow_options_free(o);
}

static void test_result_accessors(void **state)
{
	escrow_result *r = esc_result_new();
	char long_text[100];

	(void)state;
	assert_non_null(r);
	assert_int_equal(escrow_result_u64(NULL, ESCROW_RESULT_FILES), 0);
	assert_string_equal(escrow_result_string(NULL, ESCROW_RESULT_SHA256), "");
	assert_int_equal(escrow_result_u64(r, ESCROW_RESULT_FILES), 0); /* not set */
	assert_string_equal(escrow_result_string(r, ESCROW_RESULT_SHA256), "");
	esc_result_set_u64(r, ESCROW_RESULT_FILES, 12345678901ull);
	esc_result_set_string(r, ESCROW_RESULT_KEY_ID, "E8604306A4C6C2A9");
	assert_int_equal(escrow_result_u64(r, ESCROW_RESULT_FILES), 12345678901ull);
	assert_string_equal(escrow_result_string(r, ESCROW_RESULT_KEY_ID), "E8604306A4C6C2A9");
	assert_string_equal(escrow_result_string(r, ESCROW_RESULT_FILES), "");
	assert_int_equal(escrow_result_u64(r, ESCROW_RESULT_KEY_ID), 0);
	assert_int_equal(escrow_result_u64(r, (enum escrow_result_key)0), 0);
	assert_int_equal(escrow_result_u64(r, (enum escrow_result_key)500), 0);
	assert_string_equal(escrow_result_string(r, (enum escrow_result_key)-1), "");
	memset(long_text, 'a', sizeof long_text - 1);
	long_text[sizeof long_text - 1] = '\0';
	esc_result_set_string(r, ESCROW_RESULT_SHA256, long_text); /* bounded, never past its room */
	assert_int_equal(strlen(escrow_result_string(r, ESCROW_RESULT_SHA256)), ESC_RESULT_STRING_MAX);
	escrow_result_free(r);
}

/* Each operation refuses what it needs and was not given, before any work,
 * and leaves its out pointers NULL. */
static void test_operations_need(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_report *rep = (escrow_report *)(uintptr_t)1;
	escrow_result *res = (escrow_result *)(uintptr_t)1;

	(void)state;
	assert_non_null(ctx);
	assert_int_equal(escrow_pack(ctx, o, &res, &rep), ESCROW_E_USAGE);
	assert_null(res);
	assert_null(rep);
	assert_non_null(strstr(escrow_ctx_error(ctx), "a source folder and an output are required"));
	opt_str(o, ESCROW_OPT_SOURCE, "/nonexistent");
	opt_str(o, ESCROW_OPT_OUTPUT, "/nonexistent/out.escrow");
	assert_int_equal(escrow_pack(ctx, o, NULL, NULL), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_ctx_error(ctx), "a signing key is required"));
	assert_int_equal(escrow_pack(NULL, o, NULL, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_pack(ctx, NULL, NULL, NULL), ESCROW_E_USAGE);
	res = (escrow_result *)(uintptr_t)1;
	assert_int_equal(escrow_rewrap(ctx, o, &res, &rep), ESCROW_E_USAGE);
	assert_null(res);
	assert_non_null(strstr(escrow_ctx_error(ctx), "escrow_rewrap:"));
	assert_int_equal(escrow_rewrap(ctx, NULL, NULL, &rep), ESCROW_E_USAGE);
	assert_int_equal(escrow_check(ctx, o, &rep), ESCROW_E_USAGE); /* no contract */
	assert_null(rep);
	assert_int_equal(escrow_check(ctx, NULL, &rep), ESCROW_E_USAGE);
	assert_int_equal(escrow_verify(ctx, o, &rep), ESCROW_E_USAGE); /* no bundle, no key */
	assert_int_equal(escrow_list(ctx, o, &rep), ESCROW_E_USAGE);   /* no bundle */
	assert_int_equal(escrow_extract(ctx, o, &rep), ESCROW_E_USAGE);
	assert_null(rep);
	escrow_options_free(o);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_new_free),         cmocka_unit_test(test_strings_copied),
		cmocka_unit_test(test_lists_append),     cmocka_unit_test(test_ints_and_ranges),
		cmocka_unit_test(test_meta),
		cmocka_unit_test(test_objects_borrowed), cmocka_unit_test(test_wrong_type_refused),
		cmocka_unit_test(test_unknown_refused),  cmocka_unit_test(test_result_accessors),
		cmocka_unit_test(test_operations_need),
	};

	return escrow_init() == ESCROW_OK ? cmocka_run_group_tests(tests, NULL, NULL) : 1;
}
