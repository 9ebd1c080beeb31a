/* core_result.c -- escrow_result: what pack and rewrap hand back, read through
 * accessors keyed by an append-only enum, so that a new figure is a new key
 * and never a new struct field. The strings live in the object itself, so that
 * filling it after the work is done cannot fail. */
#include "esc_api.h"

#include <stdlib.h>
#include <string.h>

/* One past the highest key; a new key raises it. */
#define N_KEYS (ESCROW_RESULT_SAME_RELEASE_COUNT + 1)

struct escrow_result {
	uint64_t u[N_KEYS];
	char s[N_KEYS][ESC_RESULT_STRING_MAX + 1];
};

escrow_result *esc_result_new(void)
{
	return calloc(1, sizeof(escrow_result));
}

void esc_result_set_u64(escrow_result *r, enum escrow_result_key k, uint64_t v)
{
	if ((unsigned)k < N_KEYS)
		r->u[k] = v;
}

void esc_result_set_string(escrow_result *r, enum escrow_result_key k, const char *s)
{
	if ((unsigned)k < N_KEYS)
		snprintf(r->s[k], sizeof r->s[k], "%s", s);
}

uint64_t escrow_result_u64(const escrow_result *res, enum escrow_result_key key)
{
	if (res == NULL || (unsigned)key >= N_KEYS)
		return 0;
	return res->u[key];
}

const char *escrow_result_string(const escrow_result *res, enum escrow_result_key key)
{
	if (res == NULL || (unsigned)key >= N_KEYS)
		return "";
	return res->s[key];
}

void escrow_result_free(escrow_result *res)
{
	free(res);
}
