/* bundle_diff.c -- escrow_diff: two deposits read once each with the reader
 * verify and list use (with a public key the signatures are checked as verify
 * does, without one the digests only, as list), nothing extracted; their file
 * records kept (no file contents), then compared (bundle_diff_cmp.c) against
 * one contract: the caller's, else the copy inside the new bundle, else the
 * old one's, and the report says which. */
#include "esc_api.h"
#include "esc_diff.h"

#include <stdlib.h>
#include <string.h>

void esc_diff_side_free(struct esc_diff_side *s)
{
	size_t i;

	if (s == NULL)
		return;
	/* the records' strings and link records live in the arena */
	for (i = 0; i < s->n_arena; i++)
		free(s->arena[i]);
	free(s->arena);
	free(s->files.v);
	esc_notes_free(s->files.notes);
	json_decref(s->info);
	free(s->contract);
	free(s);
}

/* What the reading report says of the bundle, without its command. */
static json_t *side_info(struct esc_rd *rd, escrow_status st)
{
	escrow_report *r = esc_rd_report(rd, "diff", st);
	json_t *info;

	if (r == NULL)
		return NULL;
	info = json_incref(r->root);
	escrow_report_free(r);
	json_object_del(info, "command");
	json_object_del(info, "tool");
	json_object_del(info, "schema");
	return info;
}

escrow_status esc_diff_side_take(struct esc_rd *rd, escrow_status st, struct esc_diff_side **out)
{
	struct esc_diff_side *s = calloc(1, sizeof *s);
	const struct esc_tagfile *t = &rd->tags[ESC_T_CONTRACT];

	*out = NULL;
	if (s == NULL || (s->info = side_info(rd, st)) == NULL)
		goto nomem;
	s->status = st;
	s->key_checked = rd->key != NULL;
	if (st == ESCROW_OK && t->present && t->buf != NULL) {
		if ((s->contract = malloc(t->len + 1)) == NULL)
			goto nomem;
		memcpy(s->contract, t->buf, t->len + 1);
		s->contract_len = t->len;
	}
	if (st == ESCROW_OK) {
		/* moved, not copied: the strings stay in the arena, which moves too */
		s->files = rd->files;
		memset(&rd->files, 0, sizeof rd->files);
		s->arena = rd->arena;
		s->n_arena = rd->n_arena;
		rd->arena = NULL;
		rd->n_arena = rd->arena_left = 0;
		rd->arena_cur = NULL;
		esc_files_sort(&s->files);
	}
	*out = s;
	return ESCROW_OK;
nomem:
	esc_diff_side_free(s);
	return esc_nomem(rd->ctx);
}

escrow_status esc_diff_side_read(escrow_ctx *ctx, const char *path, const escrow_pubkey *key,
                                 const escrow_contract *contract, const escrow_identities *ids,
                                 struct esc_diff_side **out)
{
	struct esc_rd rd;
	escrow_status st;

	*out = NULL;
	esc_rd_init(&rd, ctx, path, key, contract, ids);
	st = esc_rd_run(&rd);
	if (esc_is_outcome(st))
		st = esc_diff_side_take(&rd, st, out);
	esc_rd_clear(&rd);
	return st;
}

static const char *side_verdict(const struct esc_diff_side *s)
{
	const char *v = json_string_value(json_object_get(s->info, "verdict"));

	return v != NULL ? v : "";
}

static const char *side_path(const struct esc_diff_side *s)
{
	const char *p = json_string_value(json_object_get(json_object_get(s->info, "bundle"), "path"));

	return p != NULL ? p : "";
}

/* The side's warnings move to the report's, saying which side. */
static void side_warnings(escrow_report *r, json_t *info, const char *which)
{
	const json_t *w = json_object_get(info, "warnings"), *e;
	size_t i;

	json_array_foreach(w, i, e)
		esc_report_warn(r, json_string_value(json_object_get(e, "file")), 0, "%s bundle: %s", which,
		                json_string_value(json_object_get(e, "message")));
	json_object_del(info, "warnings");
}

static json_t *contract_json(const escrow_contract *c, const char *from, bool formats_checked,
                             const struct esc_diff_side *o, const struct esc_diff_side *n)
{
	json_t *co = json_object();
	char hex[65];
	uint8_t so[32], sn[32];

	if (co == NULL)
		return NULL;
	json_object_set_new(co, "from", json_string(from));
	if (c != NULL) {
		json_object_set_new(co, "id", esc_json_string(escrow_contract_id(c)));
		esc_hex(c->raw_sha256, 32, hex);
		json_object_set_new(co, "sha256", json_string(hex));
		if (strcmp(from, ESC_DIFF_FROM_CONTRACT) == 0)
			json_object_set_new(co, "path", esc_json_string(c->source_name));
		json_object_set_new(co, "formats_checked", json_boolean(formats_checked));
	}
	if (o->contract != NULL)
		esc_sha256_buf(o->contract, o->contract_len, so);
	if (n->contract != NULL)
		esc_sha256_buf(n->contract, n->contract_len, sn);
	json_object_set_new(co, "copies", json_string(o->contract == NULL && n->contract == NULL ? "absent"
	                                              : o->contract == NULL ? "old-absent"
	                                              : n->contract == NULL ? "new-absent"
	                                              : memcmp(so, sn, 32) == 0 ? "same" : "differ"));
	return co;
}

/* c without the formats the sides could not check (they were read before
 * the contract was known): a shallow copy whose deliverables array is its
 * own. NULL when out of memory. */
static escrow_contract *without_full_scan(const escrow_contract *c, escrow_report *r)
{
	escrow_contract *k = malloc(sizeof *k);
	size_t i;

	if (k == NULL)
		return NULL;
	*k = *c;
	k->d = malloc((c->n_d + 1) * sizeof *k->d);
	if (k->d == NULL) {
		free(k);
		return NULL;
	}
	memcpy(k->d, c->d, c->n_d * sizeof *k->d);
	for (i = 0; i < c->n_d; i++)
		if (c->d[i].format != NULL && esc_format_full_scan(esc_format_from_name(c->d[i].format))) {
			k->d[i].format = NULL;
			esc_report_warn(r, NULL, 0, "deliverable '%s': format %s not checked (the contract came from a "
			                "bundle, after its files were read; give it with -c to check it)", c->d[i].id,
			                c->d[i].format);
		}
	return k;
}

escrow_status esc_diff_sides(escrow_ctx *ctx, const struct esc_diff_side *old_side,
                             const struct esc_diff_side *new_side, const escrow_contract *c, const char *from,
                             bool formats_checked, escrow_report **report)
{
	escrow_report *r = esc_report_new("diff");
	const struct esc_diff_side *bad = old_side->status != ESCROW_OK ? old_side
	                                  : new_side->status != ESCROW_OK ? new_side : NULL;
	escrow_contract *eff = NULL;
	escrow_status st = ESCROW_OK;

	*report = NULL;
	if (r == NULL)
		return esc_nomem(ctx);
	json_object_set_new(r->root, "schema", json_string("escrow-diff/1"));
	json_object_set_new(r->root, "old", json_deep_copy(old_side->info));
	json_object_set_new(r->root, "new", json_deep_copy(new_side->info));
	side_warnings(r, json_object_get(r->root, "old"), "old");
	side_warnings(r, json_object_get(r->root, "new"), "new");
	json_object_set_new(r->root, "signatures", json_string(old_side->key_checked && new_side->key_checked ?
	                                                       "checked" : "not-checked"));
	if (!old_side->key_checked || !new_side->key_checked)
		esc_report_warn(r, NULL, 0, "signatures not checked (no -p PUBKEY): the digests hold, but nothing says "
		                "who made these bundles");
	json_object_set_new(r->root, "contract", contract_json(c, from, formats_checked, old_side, new_side));
	if (bad != NULL) {
		const char *why = json_string_value(json_object_get(bad->info, "reason"));

		st = bad->status;
		json_object_set_new(r->root, "compared", json_false());
		json_object_set_new(r->root, "failed", json_string(bad == old_side ? "old" : "new"));
		json_object_set_new(r->root, "verdict", json_string(side_verdict(bad)));
		esc_error(ctx, st, "%s bundle (%s) %s, nothing compared: %s", bad == old_side ? "old" : "new",
		          side_path(bad), side_verdict(bad), why != NULL ? why : escrow_strerror(st));
		json_object_set_new(r->root, "reason", esc_json_string(esc_ctx_message(ctx)));
		goto out;
	}
	if (c != NULL && !formats_checked && (eff = without_full_scan(c, r)) == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	st = esc_diff_compare(ctx, old_side, new_side, eff != NULL ? eff : c, r->root);
	json_object_set_new(r->root, "compared", json_true());
	json_object_set_new(r->root, "verdict", json_string("compared"));
out:
	if (eff != NULL) {
		free(eff->d);
		free(eff);
	}
	if (st != ESCROW_OK && esc_is_outcome(st) == false) {
		escrow_report_free(r);
		return st;
	}
	r->status = st;
	*report = r;
	return st;
}

json_t *esc_diff_brief(const escrow_report *diff)
{
	const json_t *root = diff != NULL ? diff->root : NULL, *ch = json_object_get(root, "changes"), *r;
	static const char *const keys[] = {"added", "removed", "changed", "renamed", "unchanged"};
	json_t *b = json_object(), *regs = json_array();
	size_t i;

	if (b == NULL || regs == NULL || root == NULL) {
		json_decref(b);
		json_decref(regs);
		return NULL;
	}
	if (!json_is_true(json_object_get(root, "compared"))) {
		json_decref(regs);
		json_object_set_new(b, "compared", json_false());
		json_object_set(b, "failed", json_object_get(root, "failed"));
		json_object_set(b, "verdict", json_object_get(root, "verdict"));
		return b;
	}
	json_object_set_new(b, "compared", json_true());
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		json_object_set(b, keys[i], json_object_get(ch, keys[i]));
	json_array_foreach(json_object_get(root, "regressions"), i, r)
		json_array_append(regs, json_object_get(r, "deliverable"));
	json_object_set_new(b, "regressions", regs);
	return b;
}

/* The contract copy of a side read whole, parsed; NULL when it has none or
 * it cannot be read (a warning then). */
static escrow_contract *copy_of(const struct esc_diff_side *s, const char *which, char *why, size_t wlen)
{
	escrow_contract *c = NULL;
	escrow_ctx *tmp;

	if (s->status != ESCROW_OK || s->contract == NULL || (tmp = escrow_ctx_new()) == NULL)
		return NULL;
	if (escrow_contract_parse(tmp, ESC_TAG_CONTRACT, s->contract, s->contract_len, &c) != ESCROW_OK)
		snprintf(why, wlen, "the contract copy inside the %s bundle cannot be read (%s)", which,
		         esc_ctx_message(tmp));
	escrow_ctx_free(tmp);
	return c;
}

static escrow_status esc_diff(escrow_ctx *ctx, const escrow_options *o, escrow_report **report)
{
	struct esc_diff_side *a = NULL, *b = NULL;
	escrow_contract *own = NULL;
	const escrow_contract *c;
	const char *from;
	char why_new[600] = "", why_old[600] = "";
	escrow_status st;

	if (report != NULL)
		*report = NULL;
	if (ctx == NULL || o == NULL || o->bundle == NULL || o->other_bundle == NULL || report == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_diff: two bundles (BUNDLE, OTHER_BUNDLE) and a report "
		                 "pointer are required");
	if (strcmp(o->bundle, "-") == 0 && strcmp(o->other_bundle, "-") == 0)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_diff: only one of the two bundles can be standard input");
	c = o->contract;
	st = esc_diff_side_read(ctx, o->bundle, o->public_key, c, o->identities, &a);
	if (st == ESCROW_OK)
		st = esc_diff_side_read(ctx, o->other_bundle, o->public_key, c, o->identities, &b);
	if (st != ESCROW_OK)
		goto out;
	from = c != NULL ? ESC_DIFF_FROM_CONTRACT : ESC_DIFF_FROM_NONE;
	if (c == NULL && (own = copy_of(b, "new", why_new, sizeof why_new)) != NULL)
		from = ESC_DIFF_FROM_NEW;
	else if (c == NULL && (own = copy_of(a, "old", why_old, sizeof why_old)) != NULL)
		from = ESC_DIFF_FROM_OLD;
	st = esc_diff_sides(ctx, a, b, c != NULL ? c : own, from, c != NULL, report);
	if (*report != NULL && why_new[0])
		esc_report_warn(*report, ESC_TAG_CONTRACT, 0, "%s", why_new);
	if (*report != NULL && why_old[0])
		esc_report_warn(*report, ESC_TAG_CONTRACT, 0, "%s", why_old);
out:
	escrow_contract_free(own);
	esc_diff_side_free(a);
	esc_diff_side_free(b);
	return st;
}

escrow_status escrow_diff(escrow_ctx *ctx, const escrow_options *o, escrow_report **report)
{
	return esc_diff(ctx, o, report);
}
