/* bundle_api.c -- escrow_verify, escrow_extract and escrow_list, the public
 * doors of the reading side: the options object into struct esc_verify_opts
 * and the run (bundle_verify.c, bundle_extract.c, bundle_list.c). */
#include "esc_api.h"

#include <string.h>

/* NULL when o is NULL, so that each run gives its own "required" message. */
static const struct esc_verify_opts *from_options(const escrow_options *o, struct esc_verify_opts *vo)
{
	if (o == NULL)
		return NULL;
	memset(vo, 0, sizeof *vo);
	vo->bundle = o->bundle;
	vo->key = o->public_key;
	vo->contract = o->contract;
	vo->identities = o->identities;
	vo->target = o->target;
	vo->deliverables = (const char *const *)o->deliverables.v;
	vo->n_deliverables = o->deliverables.n;
	vo->flags = o->flags;
	return vo;
}

escrow_status escrow_verify(escrow_ctx *ctx, const escrow_options *o, escrow_report **report)
{
	struct esc_verify_opts vo;

	return esc_verify(ctx, from_options(o, &vo), report);
}

escrow_status escrow_extract(escrow_ctx *ctx, const escrow_options *o, escrow_report **report)
{
	struct esc_verify_opts vo;

	return esc_extract(ctx, from_options(o, &vo), report);
}

escrow_status escrow_list(escrow_ctx *ctx, const escrow_options *o, escrow_report **report)
{
	struct esc_verify_opts vo;

	return esc_list(ctx, from_options(o, &vo), report);
}
