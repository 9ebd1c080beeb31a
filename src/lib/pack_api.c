/* pack_api.c -- escrow_pack, the public door: the options object into
 * struct esc_pack_opts, the run (pack.c), its figures into an escrow_result. */
#include "esc_api.h"

#include <string.h>

escrow_status escrow_pack(escrow_ctx *ctx, const escrow_options *o, escrow_result **res, escrow_report **report)
{
	struct esc_pack_opts po;
	struct esc_pack_res pr;
	escrow_result *out = NULL;
	escrow_status st;

	if (res != NULL)
		*res = NULL;
	if (report != NULL)
		*report = NULL;
	if (ctx == NULL)
		return ESCROW_E_USAGE;
	memset(&po, 0, sizeof po);
	if (o != NULL) {
		po.src = o->source;
		po.output = o->output;
		po.key = o->signing_key;
		po.contract = o->contract;
		po.recipients = o->recipients;
		po.excludes = (const char *const *)o->excludes.v;
		po.n_excludes = o->excludes.n;
		po.name = o->name;
		po.release = o->release;
		po.level = o->level;
		po.flags = o->flags;
		po.meta = (const char *const *)o->meta.v;
		po.n_meta = o->meta.n;
	}
	if (res != NULL) {
		out = esc_result_new();
		if (out == NULL)
			return esc_nomem(ctx);
	}
	st = esc_pack(ctx, o != NULL ? &po : NULL, out != NULL ? &pr : NULL, report);
	if (st != ESCROW_OK || out == NULL) {
		escrow_result_free(out);
		return st;
	}
	esc_result_set_u64(out, ESCROW_RESULT_FILES, pr.files);
	esc_result_set_u64(out, ESCROW_RESULT_BYTES_IN, pr.bytes_in);
	esc_result_set_u64(out, ESCROW_RESULT_BYTES_OUT, pr.bytes_out);
	esc_result_set_u64(out, ESCROW_RESULT_MICROSECONDS, pr.seconds > 0 ? (uint64_t)(pr.seconds * 1e6 + 0.5) : 0);
	esc_result_set_string(out, ESCROW_RESULT_SHA256, pr.sha256);
	esc_result_set_string(out, ESCROW_RESULT_KEY_ID, pr.key_id);
	esc_result_set_u64(out, ESCROW_RESULT_SEALED, pr.sealed ? 1 : 0);
	*res = out;
	return ESCROW_OK;
}
