/* test_vault_release.c -- escrow_vault_release's refusals without the CLI,
 * each before anything is written or recorded: NULL arguments, a missing
 * option, an event not in the list, unreadable evidence, an existing OUT, an
 * unknown contract, a contract without an accepted deposit, a malformed
 * --deposit (the end-to-end runs are in tests/cli/vault_release.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esc_api.h"
#include "options.h"
#include "tmpdir.h"

#define CLIENT "age13zgn5qekk80wee4kz3tf57avv9csrq4xyf5d398w99gq9uu90svscnj4d7"

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("vault-release");
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
}

static int deposits(escrow_vault *v)
{
	escrow_options *o = opts_new();
	char *out = NULL;
	int n;

	assert_int_equal(escrow_vault_list(v, o, ESCROW_JSON, &out), ESCROW_OK);
	n = strstr(out, "\"deposits\": []") != NULL ? 0 : 1;
	free(out);
	escrow_options_free(o);
	return n;
}

static void test_refusals(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_recipients *rs = NULL;
	escrow_vault *v = NULL;
	escrow_result *res = NULL;
	escrow_report *rep = NULL;

	(void)state;
	assert_int_equal(escrow_vault_release(NULL, o, &res, &rep), ESCROW_E_USAGE);
	assert_int_equal(escrow_keygen(ctx, tpath("n"), NULL, 0), ESCROW_OK);
	opt_str(o, ESCROW_OPT_NOTARY_KEY, tpath("n.key"));
	assert_int_equal(escrow_vault_init(ctx, tpath("v"), o), ESCROW_OK);
	assert_int_equal(escrow_vault_open(ctx, tpath("v"), &v), ESCROW_OK);
	assert_int_equal(escrow_vault_release(v, NULL, &res, &rep), ESCROW_E_USAGE);
	/* nothing set: usage */
	assert_int_equal(escrow_vault_release(v, o, &res, &rep), ESCROW_E_USAGE);
	assert_null(res);
	assert_null(rep);
	assert_int_equal(escrow_recipients_add(ctx, CLIENT, &rs), ESCROW_OK);
	assert_int_equal(escrow_options_set_recipients(o, ESCROW_OPT_RECIPIENTS, rs), ESCROW_OK);
	opt_str(o, ESCROW_OPT_CONTRACT_ID, "C-1");
	opt_str(o, ESCROW_OPT_EVENT, "fire");
	opt_str(o, ESCROW_OPT_EVIDENCE, tpath("order.txt"));
	opt_str(o, ESCROW_OPT_OUTPUT, tpath("out.escrow"));
	assert_int_equal(escrow_vault_release(v, o, &res, &rep), ESCROW_E_USAGE);
	assert_non_null(strstr(escrow_ctx_error(ctx), "bankruptcy, acquisition, end-of-support, other"));
	opt_str(o, ESCROW_OPT_EVENT, "bankruptcy");
	assert_int_equal(escrow_vault_release(v, o, &res, &rep), ESCROW_E_OPEN); /* no evidence yet */
	assert_non_null(strstr(escrow_ctx_error(ctx), "the evidence document cannot be read"));
	write_text(tpath("order.txt"), "judgment\n");
	write_text(tpath("out.escrow"), "there\n");
	assert_int_equal(escrow_vault_release(v, o, &res, &rep), ESCROW_E_EXISTS);
	assert_int_equal(unlink(tpath("out.escrow")), 0);
	assert_int_equal(escrow_vault_release(v, o, &res, &rep), ESCROW_E_OPEN); /* unknown contract */
	assert_non_null(strstr(escrow_ctx_error(ctx), "contract C-1 is not registered"));
	write_text(tpath("c.yaml"), "escrow-contract: 1\ncontract: C-1\nagency: A\nclient: B\ndeliverables:\n"
	                            "  - id: code\n    kind: code\n    include: [\"src/**\"]\n");
	opt_str(o, ESCROW_OPT_CONTRACT_FILE, tpath("c.yaml"));
	assert_int_equal(escrow_vault_contract_add(v, o, &res), ESCROW_OK);
	escrow_result_free(res);
	res = NULL;
	assert_int_equal(escrow_vault_release(v, o, &res, &rep), ESCROW_E_OPEN);
	assert_non_null(strstr(escrow_ctx_error(ctx), "has no accepted (verified) deposit"));
	opt_str(o, ESCROW_OPT_DEPOSIT, "xyz");
	assert_int_equal(escrow_vault_release(v, o, &res, &rep), ESCROW_E_USAGE);
	opt_str(o, ESCROW_OPT_DEPOSIT, "12");
	assert_int_equal(escrow_vault_release(v, o, &res, &rep), ESCROW_E_OPEN);
	assert_null(res);
	assert_null(rep);
	assert_int_equal(access(tpath("out.escrow"), F_OK), -1);
	assert_int_equal(access(tpath("out.escrow.release.json"), F_OK), -1);
	assert_int_equal(deposits(v), 0);
	escrow_vault_close(v);
	escrow_recipients_free(rs);
	escrow_options_free(o);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
