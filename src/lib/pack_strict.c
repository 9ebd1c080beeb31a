/* pack_strict.c -- pack --strict: the decision check would make, taken from
 * what the one read of the tree found, before the bundle is renamed into
 * place. The files were hashed and inspected as they streamed into the
 * bundle; nothing is read again. */
#include "esc_pack_job.h"

#include <stdlib.h>
#include <string.h>

static uint64_t count_unsafe(const struct esc_files *fs)
{
	uint64_t n = 0;

	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].type == ESC_FT_FILE && (fs->v[i].fnd.bits & ESC_FND_INSPECTED) &&
		    esc_fnd_pickle(&fs->v[i].fnd) == ESC_PICKLE_DANGEROUS)
			n++;
	return n;
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct esc_file *)elem)->path);
}

/* A link is judged by what it points to, as check does (contract_check.c):
 * its findings are its target's. */
static void links_take_findings(struct esc_files *fs)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct esc_file *f = &fs->v[i];
		const struct esc_file *t;

		if (f->type != ESC_FT_SYMLINK || f->link_to_dir || esc_file_resolved(f) == NULL)
			continue;
		t = bsearch(f->link->resolved, fs->v, fs->n, sizeof fs->v[0], cmp_key);
		if (t != NULL && t->type == ESC_FT_FILE) {
			f->fnd = t->fnd; /* the texts are shared */
			f->note = t->note;
		}
	}
}

/* The kinds too, for the report's inventory (check and verify count a link
 * to a CSV file as data, whatever its name), but only while the report is
 * made: the manifest, written after, keeps the kind pack gives a link (by
 * its name). swap exchanges each link's kind with kinds[i] (ESC_KIND_NONE
 * kept where the target is not a file); called twice, it puts them back. */
static void links_swap_kinds(struct esc_files *fs, uint8_t *kinds, bool take)
{
	for (size_t i = 0; i < fs->n; i++) {
		struct esc_file *f = &fs->v[i];
		const struct esc_file *t;
		uint8_t k;

		if (f->type != ESC_FT_SYMLINK || f->link_to_dir || esc_file_resolved(f) == NULL)
			continue;
		if (take) {
			t = bsearch(f->link->resolved, fs->v, fs->n, sizeof fs->v[0], cmp_key);
			kinds[i] = t != NULL && t->type == ESC_FT_FILE ? t->kind : f->kind;
		}
		k = f->kind;
		f->kind = kinds[i];
		kinds[i] = k;
	}
}

/* Without a contract there is no deliverable to meet: the report holds the
 * findings, the totals and a verdict. */
static int fill(escrow_report *r, const struct esc_pack_job *j)
{
	const struct esc_pack_opts *o = j->o;
	bool sealed = o->recipients != NULL;

	if (o->contract != NULL)
		return esc_check_fill(r, o->src, o->contract, &j->files, sealed);
	json_object_set_new(r->root, "source", esc_json_string(o->src));
	esc_report_findings(r, NULL, &j->files, sealed);
	json_object_set_new(r->root, "verdict", json_string("complete"));
	json_object_set_new(r->root, "reason", json_string("no contract checked (give one with -c)"));
	return 1;
}

static escrow_status refuse(escrow_ctx *ctx, escrow_report *r, escrow_status st, const char *verdict,
                            const char *reason)
{
	r->status = st;
	json_object_set_new(r->root, "verdict", json_string(verdict));
	json_object_set_new(r->root, "reason", esc_json_string(reason));
	return esc_error(ctx, st, "pack --strict: %s: no bundle written", reason);
}

escrow_status esc_pack_strict(struct esc_pack_job *j, escrow_report **out)
{
	const unsigned flags = j->o->flags;
	escrow_report *r;
	uint64_t unsafe;
	size_t warnings;
	uint8_t *kinds;
	char why[512];
	int met;

	*out = NULL;
	if (!(flags & (ESCROW_STRICT | ESCROW_FAIL_ON_WARNING)))
		return ESCROW_OK;
	r = esc_report_new("check");
	if (r == NULL)
		return esc_nomem(j->ctx);
	*out = r;
	links_take_findings(&j->files);
	kinds = malloc(j->files.n + 1);
	if (kinds == NULL)
		return esc_nomem(j->ctx);
	links_swap_kinds(&j->files, kinds, true);
	met = fill(r, j);
	links_swap_kinds(&j->files, kinds, false);
	free(kinds);
	unsafe = count_unsafe(&j->files);
	warnings = json_array_size(json_object_get(r->root, "warnings"));
	if (unsafe > 0) {
		snprintf(why, sizeof why, "%llu file%s unsafe (a pickle that runs code when loaded)",
		         (unsigned long long)unsafe, unsafe == 1 ? " is" : "s are");
		return refuse(j->ctx, r, ESCROW_UNSAFE, "unsafe", why);
	}
	if (!met) {
		const char *reason = json_string_value(json_object_get(r->root, "reason"));

		/* the report keeps check's verdict and reason */
		r->status = ESCROW_INCOMPLETE;
		return esc_error(j->ctx, ESCROW_INCOMPLETE, "pack --strict: the deposit does not meet contract %s (%s): "
		                 "no bundle written", escrow_contract_id(j->o->contract) ?
		                 escrow_contract_id(j->o->contract) : "?", reason ? reason : "incomplete");
	}
	if (warnings > 0 && (flags & ESCROW_FAIL_ON_WARNING)) {
		snprintf(why, sizeof why, "%zu warning%s, and --fail-on-warning refuses any", warnings,
		         warnings == 1 ? "" : "s");
		return refuse(j->ctx, r, ESCROW_INCOMPLETE, "incomplete", why);
	}
	r->status = ESCROW_OK;
	return ESCROW_OK;
}
