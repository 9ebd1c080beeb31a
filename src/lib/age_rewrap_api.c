/* age_rewrap_api.c -- escrow_rewrap, the public door: the options object into
 * struct esc_rewrap_opts, the run (age_rewrap.c), its figures into an
 * escrow_result. */
#include "esc_api.h"

#include <string.h>

escrow_status escrow_rewrap(escrow_ctx *ctx, const escrow_options *o, escrow_result **res, escrow_report **report)
{
	struct esc_rewrap_opts ro;
	struct esc_rewrap_res rr;
	escrow_result *out = NULL;
	escrow_status st;

	if (res != NULL)
		*res = NULL;
	if (report != NULL)
		*report = NULL;
	if (ctx == NULL)
		return ESCROW_E_USAGE;
	memset(&ro, 0, sizeof ro);
	if (o != NULL) {
		ro.bundle = o->bundle;
		ro.output = o->output;
		ro.identities = o->identities;
		ro.recipients = o->recipients;
		ro.key = o->public_key;
		ro.contract = o->contract;
		ro.sign_key = o->signing_key;
		ro.flags = o->flags;
	}
	if (res != NULL) {
		out = esc_result_new();
		if (out == NULL)
			return esc_nomem(ctx);
	}
	st = esc_rewrap(ctx, o != NULL ? &ro : NULL, out != NULL ? &rr : NULL, report);
	if (st != ESCROW_OK || out == NULL) {
		escrow_result_free(out);
		return st;
	}
	esc_result_set_string(out, ESCROW_RESULT_SOURCE_SHA256, rr.source_sha256);
	esc_result_set_string(out, ESCROW_RESULT_SHA256, rr.output_sha256);
	esc_result_set_u64(out, ESCROW_RESULT_BYTES_OUT, rr.bytes);
	esc_result_set_u64(out, ESCROW_RESULT_SIGNED, rr.signed_ ? 1 : 0);
	*res = out;
	return ESCROW_OK;
}
