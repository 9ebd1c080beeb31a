/* test_vault_audit.c -- escrow_vault_audit's --max-duration without timing
 * anything: the audit's clock is replaced (esc_vault_set_clock, a test-only
 * internal door) by one that moves a second each time it is read, which the
 * audit does once before each deposit after the first. With a budget of 2
 * seconds a run checks 2 of 4 deposits, stops between two of them and says 2
 * are left; the next run takes the other two (the least recently audited),
 * and each run is one audit event recording its budget. The deposits are
 * recorded straight in the ledger beside store files written here (audit's
 * fast mode reads the files and the ledger only; the end-to-end runs with
 * real bundles are in tests/cli/vault_audit.sh). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "esc_api.h"
#include "esc_vault_ledger.h"
#include "options.h"
#include "tmpdir.h"

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("vault-audit");
}

/* One second more at each reading. */
static double fake_clock(void *user)
{
	double *t = user;

	*t += 1.0;
	return *t;
}

/* Deposit n: a store file and its row (and receive event). */
static void add_deposit(escrow_vault *v, int n)
{
	char text[32], sha[65], dir[3], *rel, *abs;
	uint8_t md[32];
	struct esc_deposit d = {0};
	FILE *f;

	snprintf(text, sizeof text, "deposit %d\n", n);
	esc_sha256_buf(text, strlen(text), md);
	esc_hex(md, 32, sha);
	snprintf(dir, sizeof dir, "%.2s", sha);
	rel = esc_strf("store/sha256/%s/%s.escrow", dir, sha);
	abs = esc_strf("%s/store/sha256/%s", v->path, dir);
	assert_non_null(rel);
	assert_non_null(abs);
	mkdir(abs, 0755);
	free(abs);
	abs = esc_path_join(v->path, rel);
	assert_non_null(abs);
	f = fopen(abs, "w");
	assert_non_null(f);
	assert_int_equal(fputs(text, f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	d.contract_id = "C-1";
	d.bundle_sha256 = sha;
	d.bundle_size = strlen(text);
	d.verdict = "verified";
	d.store_path = rel;
	assert_int_equal(esc_ledger_deposit_add(v->ledger, &d, NULL, NULL), ESCROW_OK);
	free(rel);
	free(abs);
}

static long count(escrow_vault *v, const char *sql)
{
	struct esc_lrows r = {0};
	long n;

	assert_int_equal(v->ledger->ops->exec(v->ledger, sql, 0, NULL, &r), ESCROW_OK);
	assert_int_equal(r.rows, 1);
	n = atol(esc_lrows_at(&r, 0, 0));
	esc_lrows_free(&r);
	return n;
}

static void test_max_duration_goes_on(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_vault *v = NULL;
	double now = 1000.0;
	json_t *j;
	char *out = NULL;
	int i;

	(void)state;
	assert_int_equal(escrow_keygen(ctx, tpath("n"), NULL, 0), ESCROW_OK);
	opt_str(o, ESCROW_OPT_NOTARY_KEY, tpath("n.key"));
	assert_int_equal(escrow_vault_init(ctx, tpath("v"), o), ESCROW_OK);
	assert_int_equal(escrow_vault_open(ctx, tpath("v"), &v), ESCROW_OK);
	for (i = 1; i <= 4; i++)
		add_deposit(v, i);
	esc_vault_set_clock(v, fake_clock, &now);
	opt_int(o, ESCROW_OPT_MAX_SECONDS, 2);

	/* the first run: 2 checked, 2 left, stopped between deposits */
	assert_int_equal(escrow_vault_audit(v, o, 0, &out), ESCROW_OK);
	assert_non_null(strstr(out, "2 deposit(s) checked, 0 failed, 2 left for the next run"));
	free(out);
	assert_int_equal(count(v, "SELECT count(*) FROM deposits WHERE audited_at IS NULL"), 2);
	assert_int_equal(count(v, "SELECT count(*) FROM deposits WHERE audited_at IS NULL AND id IN (3, 4)"), 2);

	/* the next run goes on with 3 and 4 */
	assert_int_equal(escrow_vault_audit(v, o, ESCROW_JSON, &out), ESCROW_OK);
	j = json_loads(out, 0, NULL);
	assert_non_null(j);
	assert_int_equal(json_array_size(json_object_get(j, "ok")), 2);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "ok"), 0)), 3);
	assert_int_equal(json_integer_value(json_array_get(json_object_get(j, "ok"), 1)), 4);
	assert_int_equal(json_integer_value(json_object_get(j, "left")), 2);
	json_decref(j);
	free(out);
	assert_int_equal(count(v, "SELECT count(*) FROM deposits WHERE audited_at IS NULL"), 0);
	assert_int_equal(count(v, "SELECT count(*) FROM events WHERE kind = 'audit' AND body LIKE '%\"max_seconds\":2,%'"),
	                 2);

	/* without a budget every deposit is checked, whatever the clock says */
	opt_int(o, ESCROW_OPT_MAX_SECONDS, 0);
	assert_int_equal(escrow_vault_audit(v, o, 0, &out), ESCROW_OK);
	assert_non_null(strstr(out, "4 deposit(s) checked, 0 failed, 0 left"));
	free(out);

	/* the real clock back: a budget no run here reaches checks every deposit */
	esc_vault_set_clock(v, NULL, NULL);
	opt_int(o, ESCROW_OPT_MAX_SECONDS, 86400);
	assert_int_equal(escrow_vault_audit(v, o, 0, &out), ESCROW_OK);
	assert_non_null(strstr(out, "4 deposit(s) checked, 0 failed, 0 left"));
	free(out);

	escrow_vault_close(v);
	escrow_options_free(o);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_max_duration_goes_on),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
