/* list.c -- escrow_list: the files of a bundle as its signed manifest.json
 * names them, shown only once every digest (and, with a key, the signature)
 * held. Deliverables come from the caller's contract, else from the copy
 * packed in the bundle; the report says which, and gives each deliverable's
 * status by the rules verify uses. */
#include "esc_bundle_read.h"

#include <stdlib.h>
#include <string.h>

static json_t *file_json(const struct esc_rd *rd, size_t i, const escrow_contract *c)
{
	const struct esc_file *f = &rd->files.v[i];
	static const char *const tn[] = {"file", "dir", "symlink"};
	json_t *o = json_object();
	const struct esc_deliverable *d = NULL;
	const char *kind = rd->list_kind[i];
	enum esc_format fmt = (enum esc_format)rd->list_format[i];
	char hex[65];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "path", json_string(f->path));
	json_object_set_new(o, "type", json_string(tn[f->type]));
	if (f->type == ESC_FT_FILE)
		json_object_set_new(o, "size", json_integer((json_int_t)f->size));
	if (f->has_sha256) {
		esc_hex(f->sha256, 32, hex);
		json_object_set_new(o, "sha256", json_string(hex));
	}
	if (f->type == ESC_FT_SYMLINK)
		json_object_set_new(o, "target", esc_json_string(esc_file_target(f)));
	if (kind == NULL && f->type != ESC_FT_DIR)
		kind = esc_kind_name(f->kind);
	if (kind != NULL)
		json_object_set_new(o, "kind", json_string(kind));
	if (c != NULL && f->type != ESC_FT_DIR && !(f->type == ESC_FT_SYMLINK && f->link_to_dir))
		d = esc_contract_owner(c, f->path);
	json_object_set_new(o, "deliverable", d ? json_string(d->id) : json_null());
	json_object_set_new(o, "format", fmt != ESC_FMT_NONE ? json_string(esc_format_name(fmt)) : json_null());
	return o;
}

/* The contract whose deliverables are shown, and where it came from. */
static const escrow_contract *pick_contract(struct esc_rd *rd, escrow_report *r, escrow_contract **own,
                                            const char **from)
{
	const struct esc_tagfile *t = &rd->tags[ESC_T_CONTRACT];
	escrow_ctx *tmp;

	*from = "none";
	if (rd->contract != NULL) {
		*from = "contract";
		return rd->contract;
	}
	if (!t->present)
		return NULL;
	tmp = escrow_ctx_new();
	if (tmp == NULL)
		return NULL;
	if (escrow_contract_parse(tmp, ESC_TAG_CONTRACT, t->buf, t->len, own) == ESCROW_OK)
		*from = "bundle";
	else
		esc_report_warn(r, ESC_TAG_CONTRACT, 0, "the bundle's contract copy cannot be read (%s): no "
		                "deliverables shown", esc_ctx_message(tmp));
	escrow_ctx_free(tmp);
	return *own;
}

escrow_status escrow_list(escrow_ctx *ctx, const struct escrow_verify_options *o, escrow_report **report)
{
	struct esc_rd rd;
	escrow_report *r = NULL;
	escrow_contract *own = NULL;
	const escrow_contract *c;
	const char *from;
	json_t *files;
	escrow_status st;
	size_t i;

	if (report != NULL)
		*report = NULL;
	if (ctx == NULL || o == NULL || o->bundle == NULL || report == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_list: a bundle and a report pointer are required");
	memset(&rd, 0, sizeof rd);
	rd.ctx = ctx;
	rd.path = o->bundle;
	rd.key = o->key;
	rd.contract = o->contract;
	rd.ids = o->identities;
	rd.want_list = true;
	st = esc_rd_run(&rd);
	if (!esc_is_outcome(st))
		goto out;
	r = esc_rd_report(&rd, "list", st);
	if (r == NULL) {
		st = esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
		goto out;
	}
	if (st != ESCROW_OK)
		goto out;
	if (rd.key == NULL)
		esc_report_warn(r, NULL, 0, "signature not checked (no -p PUBKEY): the digests hold, but nothing "
		                "says who made this bundle");
	c = pick_contract(&rd, r, &own, &from);
	json_object_set_new(r->root, "deliverables_from", json_string(from));
	if (c != NULL) /* each deliverable's status, as verify judges it; list's verdict stays the bundle's */
		(void)esc_contract_evaluate(c, &rd.files, r);
	files = json_array();
	for (i = 0; files != NULL && i < rd.files.n; i++) {
		json_t *e = file_json(&rd, i, c);

		if (e == NULL || json_array_append_new(files, e) != 0) {
			json_decref(files);
			files = NULL;
		}
	}
	if (files == NULL) {
		st = esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
		goto out;
	}
	json_object_set_new(r->root, "files", files);
out:
	escrow_contract_free(own);
	esc_rd_clear(&rd);
	if (!esc_is_outcome(st)) {
		escrow_report_free(r);
		r = NULL;
	}
	*report = r;
	return st;
}
