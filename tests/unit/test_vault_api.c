/* test_vault_api.c -- the vault's public doors without the CLI: the new
 * options and their types, init's refusals leaving nothing, open of a folder
 * that is no vault or of a newer format, the notary key path remembered, and
 * the argument checks of each operation (the end-to-end runs are in
 * tests/cli/vault.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esc_api.h"
#include "options.h"
#include "tmpdir.h"

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("vault-api");
}

static void test_options_types(void **state)
{
	escrow_options *o = opts_new();

	(void)state;
	opt_str(o, ESCROW_OPT_LEDGER, "host=/x dbname=y");
	assert_string_equal(o->ledger, "host=/x dbname=y");
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_LEDGER, 1), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_options_error(o), "(ledger) is of type string"));
	opt_str(o, ESCROW_OPT_KEY_FILE, "a.pub");
	opt_str(o, ESCROW_OPT_KEY_FILE, "b.pub");
	assert_int_equal(o->key_files.n, 2);
	opt_str(o, ESCROW_OPT_KEY_FILE, NULL);
	assert_int_equal(o->key_files.n, 0);
	opt_str(o, ESCROW_OPT_DEPOSIT, "12");
	opt_str(o, ESCROW_OPT_RECEIPT, "r.json");
	assert_string_equal(o->deposit, "12");
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_FLAGS, ESCROW_JSON), ESCROW_OK);
	assert_int_equal(escrow_options_set_seckey(o, ESCROW_OPT_NOTARY_KEY, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, (enum escrow_option)9997, "x"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_SAMPLE, "x"), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_SAMPLE, 101), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_SAMPLE, 100), ESCROW_OK);
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_MAX_SECONDS, -1), ESCROW_E_USAGE);
	assert_int_equal(escrow_options_set_int(o, ESCROW_OPT_FLAGS, ESCROW_FULL | ESCROW_VERIFY), ESCROW_OK);
	opt_str(o, ESCROW_OPT_EVENT, "bankruptcy");
	assert_string_equal(o->event, "bankruptcy");
	escrow_options_free(o);
}

static void test_init_refusals_leave_nothing(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	struct stat st;

	(void)state;
	assert_int_equal(escrow_vault_init(ctx, tpath("v1"), o), ESCROW_E_USAGE);
	opt_str(o, ESCROW_OPT_NOTARY_KEY, tpath("missing.key"));
	assert_int_equal(escrow_vault_init(ctx, tpath("v1"), o), ESCROW_E_OPEN);
	assert_int_not_equal(stat(tpath("v1"), &st), 0);
	assert_int_equal(escrow_keygen(ctx, tpath("notary"), NULL, 0), ESCROW_OK);
	opt_str(o, ESCROW_OPT_NOTARY_KEY, tpath("notary.key"));
	opt_str(o, ESCROW_OPT_LEDGER, "postgresql://[broken");
	assert_int_not_equal(escrow_vault_init(ctx, tpath("v1"), o), ESCROW_OK);
	assert_int_not_equal(stat(tpath("v1"), &st), 0);
	opt_str(o, ESCROW_OPT_LEDGER, NULL);
	assert_int_equal(mkdir(tpath("full"), 0700), 0);
	assert_int_equal(mkdir(tpath("full/x"), 0700), 0);
	assert_int_equal(escrow_vault_init(ctx, tpath("full"), o), ESCROW_E_EXISTS);
	assert_int_equal(stat(tpath("full/x"), &st), 0); /* what was there stays */
	escrow_options_free(o);
	escrow_ctx_free(ctx);
}

static void test_open_and_arguments(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_vault *v = NULL;
	escrow_result *res = NULL;
	char *out = NULL;

	(void)state;
	assert_int_equal(escrow_vault_open(ctx, tmpdir, &v), ESCROW_E_OPEN);
	assert_null(v);
	assert_non_null(strstr(escrow_ctx_error(ctx), "is not a vault"));
	assert_int_equal(escrow_keygen(ctx, tpath("n2"), NULL, 0), ESCROW_OK);
	opt_str(o, ESCROW_OPT_NOTARY_KEY, tpath("n2.key"));
	assert_int_equal(escrow_vault_init(ctx, tpath("v2"), o), ESCROW_OK);
	assert_int_equal(escrow_vault_open(ctx, tpath("v2"), &v), ESCROW_OK);
	assert_non_null(v);
	assert_int_equal(escrow_vault_notary_key(v)[0], '/');
	assert_non_null(strstr(escrow_vault_notary_key(v), "n2.key"));
	assert_int_equal(escrow_vault_contract_add(v, o, &res), ESCROW_E_USAGE);
	assert_null(res);
	assert_int_equal(escrow_vault_key_add(v, o, &res), ESCROW_E_USAGE);
	assert_int_equal(escrow_vault_key_revoke(v, o, &res), ESCROW_E_USAGE);
	opt_str(o, ESCROW_OPT_BUNDLE, "-");
	assert_int_equal(escrow_vault_receive(v, o, &res, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_vault_show(v, o, 0, &out), ESCROW_E_USAGE); /* no deposit given */
	opt_str(o, ESCROW_OPT_DEPOSIT, "xyz");
	assert_int_equal(escrow_vault_show(v, o, 0, &out), ESCROW_E_USAGE);
	opt_str(o, ESCROW_OPT_DEPOSIT, "7");
	assert_int_equal(escrow_vault_show(v, o, 0, &out), ESCROW_E_OPEN);
	/* a deposit given and no place for the text: the message says which */
	assert_int_equal(escrow_vault_show(v, o, 0, NULL), ESCROW_E_USAGE);
	assert_string_equal(escrow_ctx_error(ctx), "escrow_vault_show: NULL argument");
	assert_int_equal(escrow_vault_list(v, o, ESCROW_JSON, &out), ESCROW_OK);
	assert_non_null(strstr(out, "\"deposits\": []"));
	free(out);
	assert_int_equal(escrow_receipt_verify(ctx, o, &res), ESCROW_E_USAGE);
	escrow_vault_close(v);
	escrow_vault_close(NULL);
	escrow_options_free(o);
	escrow_ctx_free(ctx);
}

/* audit and log through the API: NULL arguments refused; an empty vault
 * audits clean (one audit event), its log verifies, a missing receipt for
 * AGAINST cannot be opened. */
static void test_audit_and_log(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_vault *v = NULL;
	char *out = NULL;

	(void)state;
	assert_int_equal(escrow_vault_audit(NULL, o, 0, &out), ESCROW_E_USAGE);
	assert_int_equal(escrow_vault_log(NULL, o, 0, &out), ESCROW_E_USAGE);
	assert_int_equal(escrow_keygen(ctx, tpath("na"), NULL, 0), ESCROW_OK);
	opt_str(o, ESCROW_OPT_NOTARY_KEY, tpath("na.key"));
	if (escrow_vault_init(ctx, tpath("va"), o) != ESCROW_OK)
		fail_msg("%s", escrow_ctx_error(ctx));
	assert_int_equal(escrow_vault_open(ctx, tpath("va"), &v), ESCROW_OK);
	assert_int_equal(escrow_vault_audit(v, NULL, 0, &out), ESCROW_E_USAGE);
	assert_int_equal(escrow_vault_audit(v, o, 0, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_vault_audit(v, o, ESCROW_JSON, &out), ESCROW_OK);
	assert_non_null(strstr(out, "\"checked\": 0"));
	assert_non_null(strstr(out, "\"event\": 1"));
	free(out);
	assert_int_equal(escrow_vault_log(v, o, ESCROW_VERIFY, &out), ESCROW_OK);
	assert_non_null(strstr(out, " audit "));
	assert_non_null(strstr(out, "chain ok: 1 event(s)"));
	free(out);
	opt_str(o, ESCROW_OPT_AGAINST, tpath("no-such-receipt.json"));
	assert_int_equal(escrow_vault_log(v, o, 0, &out), ESCROW_E_OPEN);
	assert_null(out);
	escrow_vault_close(v);
	escrow_options_free(o);
	escrow_ctx_free(ctx);
}

static void test_newer_format_refused(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_vault *v = NULL;
	FILE *f;

	(void)state;
	assert_int_equal(mkdir(tpath("v3"), 0700), 0);
	f = fopen(tpath("v3/vault.json"), "w");
	assert_non_null(f);
	fputs("{\"format\": \"escrow-vault/2\", \"notary_key\": \"/k\", \"notary_key_id\": \"0123456789ABCDEF\"}\n", f);
	fclose(f);
	assert_int_equal(escrow_vault_open(ctx, tpath("v3"), &v), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "newer than this escrow knows"));
	f = fopen(tpath("v3/vault.json"), "w");
	assert_non_null(f);
	fputs("[1, 2]\n", f);
	fclose(f);
	assert_int_equal(escrow_vault_open(ctx, tpath("v3"), &v), ESCROW_E_INPUT);
	assert_null(v);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_options_types),
		cmocka_unit_test(test_init_refusals_leave_nothing),
		cmocka_unit_test(test_open_and_arguments),
		cmocka_unit_test(test_newer_format_refused),
		cmocka_unit_test(test_audit_and_log),
	};
	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
