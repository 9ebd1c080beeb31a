/* options.h -- setting escrow_options in a test: each setter must succeed.
 * Include after cmocka.h. Header-only. */
#ifndef ESC_TEST_OPTIONS_H
#define ESC_TEST_OPTIONS_H

#include "escrow.h"

static inline escrow_options *opts_new(void)
{
	escrow_options *o = escrow_options_new();

	assert_non_null(o);
	return o;
}

static inline void opt_str(escrow_options *o, enum escrow_option k, const char *v)
{
	assert_int_equal(escrow_options_set_string(o, k, v), ESCROW_OK);
}

static inline void opt_int(escrow_options *o, enum escrow_option k, int64_t v)
{
	assert_int_equal(escrow_options_set_int(o, k, v), ESCROW_OK);
}

static inline void opt_seckey(escrow_options *o, const escrow_seckey *v)
{
	assert_int_equal(escrow_options_set_seckey(o, ESCROW_OPT_SIGNING_KEY, v), ESCROW_OK);
}

static inline void opt_pubkey(escrow_options *o, const escrow_pubkey *v)
{
	assert_int_equal(escrow_options_set_pubkey(o, ESCROW_OPT_PUBLIC_KEY, v), ESCROW_OK);
}

static inline void opt_contract(escrow_options *o, const escrow_contract *v)
{
	assert_int_equal(escrow_options_set_contract(o, ESCROW_OPT_CONTRACT, v), ESCROW_OK);
}

static inline void opt_recipients(escrow_options *o, const escrow_recipients *v)
{
	assert_int_equal(escrow_options_set_recipients(o, ESCROW_OPT_RECIPIENTS, v), ESCROW_OK);
}

static inline void opt_identities(escrow_options *o, const escrow_identities *v)
{
	assert_int_equal(escrow_options_set_identities(o, ESCROW_OPT_IDENTITIES, v), ESCROW_OK);
}

#endif
