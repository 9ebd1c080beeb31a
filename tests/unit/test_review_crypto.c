/* test_review_crypto.c -- regression tests for problems found in a second
 * reading of the minisign and age code: each test failed before its fix. */
#define _GNU_SOURCE /* memmem */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_private.h"

static char tmpdir[64];

static int setup(void **state)
{
	(void)state;
	if (escrow_init() != ESCROW_OK)
		return -1;
	snprintf(tmpdir, sizeof tmpdir, "/tmp/escrow-review-XXXXXX");
	return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

/* An identity passed where a recipient belongs must not be echoed into the
 * error message (which ends up on stderr and in logs). */
static void test_recipient_error_hides_identity(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_recipients *rs = NULL;
	uint8_t sk[32];
	char id[80];

	(void)state;
	memset(sk, 0x5a, sizeof sk);
	esc_age_identity_string(sk, id);
	assert_int_equal(escrow_recipients_add(ctx, id, &rs), ESCROW_E_INPUT);
	assert_null(rs);
	assert_null(strstr(escrow_ctx_error(ctx), id + 20));
	/* Lowercase is the same secret. */
	for (char *p = id; *p; p++)
		*p = (char)(*p >= 'A' && *p <= 'Z' ? *p - 'A' + 'a' : *p);
	assert_int_equal(escrow_recipients_add(ctx, id, &rs), ESCROW_E_INPUT);
	assert_null(strstr(escrow_ctx_error(ctx), id + 20));
	/* A plain typo is still shown, to help the user. */
	assert_int_equal(escrow_recipients_add(ctx, "age1typo", &rs), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "age1typo"));
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recipient_error_hides_identity),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
