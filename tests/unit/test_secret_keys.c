/* test_secret_keys.c -- regression tests for problems found in a second
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
#include "memsink.h"
#include "options.h"
#include "tmpdir.h"

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("secret-keys");
}

/* With read(2), not stdio: a FILE buffer would leave its own heap copy. */
static size_t slurp(const char *path, char *buf, size_t max)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	assert_true(fd >= 0);
	n = read(fd, buf, max - 1);
	close(fd);
	assert_true(n >= 0);
	buf[n] = '\0';
	return (size_t)n;
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

/* An unencrypted secret key file is secret: its text must not be left behind
 * in freed heap memory (it was, by a realloc in the small-file reader). The
 * probe reuses freed blocks of the file's size: glibc hands them back; under
 * ASan freed blocks are quarantined, so there the test cannot fail. */
static void test_seckey_load_leaves_no_heap_copy(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_seckey *sk = NULL;
	char text[1024], *probe[16], *filler[16];
	const char *key;
	size_t n;
	int i, round, hits = 0;

	(void)state;
	assert_int_equal(escrow_keygen(ctx, tpath("plain"), NULL, 0), ESCROW_OK);
	n = slurp(tpath("plain.key"), text, sizeof text);
	key = strchr(text, '\n');
	assert_non_null(key);
	key++;
	assert_true(strlen(key) > 180);
	/* Whether realloc moves the block depends on what follows it: vary the
	 * heap with fillers kept alive across rounds. */
	for (round = 0; round < 16; round++) {
		filler[round] = malloc((size_t)(round + 1) * 48);
		assert_non_null(filler[round]);
		assert_int_equal(escrow_seckey_load(ctx, tpath("plain.key"), NULL, &sk), ESCROW_OK);
		escrow_seckey_free(sk);
		sk = NULL;
		for (i = 0; i < 16; i++) {
			probe[i] = malloc(n + 1);
			assert_non_null(probe[i]);
			/* The seed is in the middle of the key line. */
			if (memmem(probe[i], n + 1, key + 100, 60) != NULL)
				hits++;
		}
		for (i = 0; i < 16; i++)
			free(probe[i]);
	}
	for (round = 0; round < 16; round++)
		free(filler[round]);
	assert_int_equal(hits, 0);
	escrow_ctx_free(ctx);
}

/* rewrap -s signs OUT with a trusted comment naming it; a name that cannot go
 * in a trusted comment must not turn a good release into a usage error. */
static void test_rewrap_signs_any_output_name(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	escrow_seckey *sk = NULL, *agency = NULL;
	escrow_pubkey *pk = NULL, *agency_pk = NULL;
	escrow_report *rep = NULL;
	escrow_options *po = opts_new(), *ro = opts_new();
	uint8_t skey[32];
	char rcpt[64], out[300], sig[320], *tc = NULL;
	FILE *f;

	(void)state;
	randombytes_buf(skey, sizeof skey);
	assert_int_equal(esc_identities_push(ctx, &ids, skey), ESCROW_OK);
	esc_age_recipient_string(ids->v[0].pk, rcpt);
	assert_int_equal(escrow_recipients_add(ctx, rcpt, &rs), ESCROW_OK);
	assert_int_equal(escrow_keygen(ctx, tpath("agency"), NULL, 0), ESCROW_OK);
	assert_int_equal(escrow_seckey_load(ctx, tpath("agency.key"), NULL, &agency), ESCROW_OK);
	assert_int_equal(escrow_pubkey_load(ctx, tpath("agency.pub"), &agency_pk), ESCROW_OK);
	assert_int_equal(mkdir(tpath("tree"), 0755), 0);
	f = fopen(tpath("tree/release.txt"), "wb");
	assert_non_null(f);
	fputs("release me\n", f);
	fclose(f);
	opt_str(po, ESCROW_OPT_SOURCE, tpath("tree"));
	opt_str(po, ESCROW_OPT_OUTPUT, tpath("in.age"));
	opt_seckey(po, agency);
	opt_recipients(po, rs);
	opt_int(po, ESCROW_OPT_FLAGS, ESCROW_QUIET);
	assert_int_equal(escrow_pack(ctx, po, NULL, &rep), ESCROW_OK);
	escrow_options_free(po);
	escrow_report_free(rep);
	rep = NULL;
	assert_int_equal(escrow_keygen(ctx, tpath("signer"), NULL, 0), ESCROW_OK);
	assert_int_equal(escrow_seckey_load(ctx, tpath("signer.key"), NULL, &sk), ESCROW_OK);
	assert_int_equal(escrow_pubkey_load(ctx, tpath("signer.pub"), &pk), ESCROW_OK);

	snprintf(out, sizeof out, "%s", tpath("out\nwith\x01" "controls.age"));
	opt_str(ro, ESCROW_OPT_BUNDLE, tpath("in.age"));
	opt_str(ro, ESCROW_OPT_OUTPUT, out);
	opt_identities(ro, ids);
	opt_recipients(ro, rs);
	opt_pubkey(ro, agency_pk);
	opt_seckey(ro, sk);
	assert_int_equal(escrow_rewrap(ctx, ro, NULL, &rep), ESCROW_OK);
	escrow_report_free(rep);
	escrow_options_free(ro);
	snprintf(sig, sizeof sig, "%s.minisig", out);
	assert_int_equal(access(out, F_OK), 0);
	assert_int_equal(access(sig, F_OK), 0);
	assert_int_equal(escrow_verify_file(ctx, pk, out, NULL, &tc), ESCROW_OK);
	assert_non_null(strstr(tc, "escrow-release/1 "));
	assert_non_null(strstr(tc, " file=out%0Awith%01controls.age"));
	free(tc);

	escrow_pubkey_free(pk);
	escrow_pubkey_free(agency_pk);
	escrow_seckey_free(sk);
	escrow_seckey_free(agency);
	escrow_recipients_free(rs);
	escrow_identities_free(ids);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_recipient_error_hides_identity),
		cmocka_unit_test(test_seckey_load_leaves_no_heap_copy),
		cmocka_unit_test(test_rewrap_signs_any_output_name),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
