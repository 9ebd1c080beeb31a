/* test_vault_hint.c -- the hint vault receive takes from a signature's text
 * (vault_receive_hint.c): the signer's key id from the signature line, the
 * contract from the trusted comment's last "contract=" before its last
 * "created=". pack writes the name and the release before them, so a release
 * holding " contract=X created=y" must not choose the contract. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "esc_vault.h"

/* A minisign signature text with the given trusted comment (the signature
 * bytes are zeros: only the key id is read here). */
static char *sig_text(const char *comment)
{
	/* "ED", key id 01..08 (little-endian in the blob), 64 zero bytes */
	static const char line2[] = "RUQBAgMEBQYHCAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";
	size_t n = strlen(comment) + sizeof line2 + 64;
	char *s = malloc(n);

	assert_non_null(s);
	snprintf(s, n, "untrusted comment: signature\n%s\ntrusted comment: %s\nAAAA\n", line2, comment);
	return s;
}

static void hint_of(const char *comment, const char *want_contract)
{
	char *text = sig_text(comment), *contract = NULL, *signer = NULL;
	bool ok = esc_receive_hint_text(text, strlen(text), &contract, &signer);

	if (want_contract == NULL) {
		assert_false(ok);
		assert_null(contract);
		assert_null(signer);
	} else {
		assert_true(ok);
		assert_string_equal(contract, want_contract);
		assert_int_equal(strlen(signer), 16);
	}
	free(text);
	free(contract);
	free(signer);
}

static void test_plain_comment(void **state)
{
	(void)state;
	hint_of("escrow-bundle/1 name=p release=1.0 contract=C-2026-01 created=2026-01-01T00:00:00Z", "C-2026-01");
	hint_of("escrow-bundle/1 name=p release=1.0 contract=none created=2026-01-01T00:00:00Z", "none");
}

/* The release (or name) comes first and may hold the words themselves. */
static void test_release_cannot_choose(void **state)
{
	(void)state;
	hint_of("escrow-bundle/1 name=p release=1 contract=C-2026-01 created=x contract=none "
	        "created=2026-01-01T00:00:00Z", "none");
	hint_of("escrow-bundle/1 name=a contract=EVIL created=b release=c contract=C-1 created=2026-01-01T00:00:00Z",
	        "C-1");
}

static void test_no_contract(void **state)
{
	(void)state;
	hint_of("escrow-bundle/1 name=p release=1.0 created=2026-01-01T00:00:00Z", NULL);
	hint_of("escrow-bundle/1 name=p contract= created=2026", NULL);
	hint_of("escrow-bundle/1 name=p created=x contract=C-1", NULL); /* not before the last created= */
	hint_of("escrow-bundle/1 contract=a b created=x", NULL);         /* an id holds no space */
	hint_of("", NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_comment),
		cmocka_unit_test(test_release_cannot_choose),
		cmocka_unit_test(test_no_contract),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
