/* test_version.c -- the version macros of escrow.h agree with each other and
 * with the library linked, and ESCROW_VERSION_NUMBER orders like the version. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "escrow.h"

static void test_macros_agree(void **state)
{
	char text[32];

	(void)state;
	snprintf(text, sizeof text, "%d.%d.%d", ESCROW_VERSION_MAJOR, ESCROW_VERSION_MINOR, ESCROW_VERSION_PATCH);
	assert_string_equal(ESCROW_VERSION, text);
	assert_int_equal(ESCROW_VERSION_NUMBER,
	                 ESCROW_VERSION_MAJOR * 10000 + ESCROW_VERSION_MINOR * 100 + ESCROW_VERSION_PATCH);
	assert_true(ESCROW_VERSION_MINOR < 100 && ESCROW_VERSION_PATCH < 100);
	/* A literal, usable in string concatenation at compile time. */
	assert_string_equal("escrow " ESCROW_VERSION, strcat(strcpy((char[48]){0}, "escrow "), text));
}

static void test_library_matches_header(void **state)
{
	(void)state;
	/* Linked statically from the same tree: the same version. */
	assert_int_equal(escrow_version_number(), ESCROW_VERSION_NUMBER);
	assert_string_equal(escrow_version_string(), ESCROW_VERSION);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_macros_agree),
		cmocka_unit_test(test_library_matches_header),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
