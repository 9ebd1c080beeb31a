/* contract_check_api.c -- escrow_check, the public door: the options object
 * into the arguments of the run (contract_check.c). */
#include "esc_api.h"

escrow_status escrow_check(escrow_ctx *ctx, const escrow_options *o, escrow_report **report)
{
	if (o == NULL) {
		if (report != NULL)
			*report = NULL;
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_check: source, contract and report are required");
	}
	return esc_check(ctx, o->source, o->contract, (const char *const *)o->excludes.v, o->excludes.n, o->flags,
	                 report);
}
