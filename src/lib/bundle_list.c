/* bundle_list.c -- escrow_list: the files of a bundle as its signed manifest.json
 * names them, shown only once every digest (and, with a key, the signature)
 * held. Deliverables come from the caller's contract, else from the copy
 * packed in the bundle; the report says which, and gives each deliverable's
 * status by the rules verify uses. */
#include "esc_api.h"
#include "esc_bundle_read.h"

#include <stdlib.h>
#include <string.h>

/* The reader's records become the report's listing (esc_listing): moved, not
 * copied, so that a million files cost what verify holds and no JSON object
 * each. The deliverable shown is the file's owner in c, by verify's rules. */
static escrow_status take_files(struct esc_rd *rd, const escrow_contract *c, escrow_report *r)
{
	struct esc_listing *l = calloc(1, sizeof *l);
	size_t i, n = rd->files.n;

	if (l == NULL)
		return ESCROW_E_NOMEM;
	l->kind = rd->list_kind ? rd->list_kind : calloc(n + 1, sizeof *l->kind);
	l->format = rd->list_format ? rd->list_format : calloc(n + 1, 1);
	rd->list_kind = NULL;
	rd->list_format = NULL;
	if (c != NULL) {
		l->deliv = malloc((n + 1) * sizeof *l->deliv);
		l->ids = calloc(c->n_d + 1, sizeof *l->ids);
		for (i = 0; l->ids != NULL && i < c->n_d; i++, l->n_ids++)
			if ((l->ids[i] = strdup(c->d[i].id)) == NULL)
				break;
	}
	if (l->kind == NULL || l->format == NULL || (c != NULL && (l->deliv == NULL || l->ids == NULL ||
	                                                            l->n_ids < c->n_d))) {
		esc_listing_free(l);
		return ESCROW_E_NOMEM;
	}
	for (i = 0; i < n; i++) {
		struct esc_file *f = &rd->files.v[i];

		if (l->kind[i] == NULL && f->type != ESC_FT_DIR)
			l->kind[i] = esc_kind_name(f->kind);
		if (l->deliv != NULL) {
			const struct esc_deliverable *d = NULL;

			if (f->type != ESC_FT_DIR && !(f->type == ESC_FT_SYMLINK && f->link_to_dir))
				d = esc_contract_owner(c, f->path);
			l->deliv[i] = d != NULL ? (uint32_t)(d - c->d) : UINT32_MAX;
		}
	}
	/* the findings' texts are not shown */
	esc_notes_free(rd->files.notes);
	/* the strings stay in the arena, which moves with the records */
	l->v = rd->files.v;
	l->n = n;
	memset(&rd->files, 0, sizeof rd->files);
	l->arena = rd->arena;
	l->n_arena = rd->n_arena;
	rd->arena = NULL;
	rd->n_arena = rd->arena_left = 0;
	rd->arena_cur = NULL;
	r->list = l;
	return json_object_set_new(r->root, "files", json_array()) == 0 ? ESCROW_OK : ESCROW_E_NOMEM;
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

/* The contract the deliverables come from, as evidence: its id, file and
 * the SHA-256 of its bytes (docs/JSON.md). */
static void contract_json(escrow_report *r, const escrow_contract *c)
{
	json_t *co = json_object();
	char hex[65];

	if (co == NULL)
		return;
	esc_hex(c->raw_sha256, 32, hex);
	json_object_set_new(co, "checked", json_true());
	json_object_set_new(co, "id", esc_json_string(escrow_contract_id(c) ? escrow_contract_id(c) : ""));
	if (c->source_name != NULL)
		json_object_set_new(co, "path", esc_json_string(c->source_name));
	json_object_set_new(co, "sha256", json_string(hex));
	json_object_set_new(r->root, "contract", co);
}

escrow_status esc_list(escrow_ctx *ctx, const struct esc_verify_opts *o, escrow_report **report)
{
	struct esc_rd rd;
	escrow_report *r = NULL;
	escrow_contract *own = NULL;
	const escrow_contract *c;
	const char *from;
	escrow_status st;

	if (report != NULL)
		*report = NULL;
	if (ctx == NULL || o == NULL || o->bundle == NULL || report == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_list: a bundle and a report pointer are required");
	esc_rd_init(&rd, ctx, o->bundle, o->key, o->contract, o->identities);
	rd.want_list = true;
	st = esc_rd_run(&rd);
	if (!esc_is_outcome(st))
		goto out;
	r = esc_rd_report(&rd, "list", st);
	if (r == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	if (st != ESCROW_OK)
		goto out;
	if (rd.key == NULL)
		esc_report_warn(r, NULL, 0, "signature not checked (no -p PUBKEY): the digests hold, but nothing "
		                "says who made this bundle");
	c = pick_contract(&rd, r, &own, &from);
	json_object_set_new(r->root, "deliverables_from", json_string(from));
	if (c != NULL)
		contract_json(r, c);
	if (c != NULL) /* each deliverable's status, as verify judges it; list's verdict stays the bundle's */
		(void)esc_contract_evaluate(c, &rd.files, r);
	if (take_files(&rd, c, r) != ESCROW_OK)
		st = esc_nomem(ctx);
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
