/* bundle_diff_cmp.c -- the comparison of two deposits' file records: by path
 * (added, removed, changed, unchanged), then the removed and added files
 * paired by digest (renamed), each change put in the deliverable that holds
 * the file (or "unassigned"), and each deliverable's status before and after.
 * Memory: two index arrays over the records and the JSON of the changes
 * listed, at most esc_diff_listed_max of them (the counts stay exact). */
#include "esc_diff.h"

#include <stdlib.h>
#include <string.h>

size_t esc_diff_listed_max = ESC_DIFF_LISTED_MAX;

enum { ADDED, REMOVED, CHANGED, RENAMED, UNCHANGED, N_WHAT };
static const char *const what_name[N_WHAT] = {"added", "removed", "changed", "renamed", "unchanged"};

struct group {
	uint64_t n[N_WHAT];
	json_t *list[RENAMED + 1];
};

struct cmp {
	const struct esc_diff_side *o, *n;
	const escrow_contract *c;
	struct group *g;           /* one per deliverable, then "unassigned" */
	size_t n_groups;
	uint64_t listed, total[N_WHAT];
	bool truncated, nomem;
};

static bool is_entry(const struct esc_file *f)
{
	return f->type != ESC_FT_DIR;
}

/* The deliverable holding f (as list and verify say), else the last group. */
static size_t group_of(const struct cmp *m, const struct esc_file *f)
{
	const struct esc_deliverable *d = NULL;

	if (m->c != NULL && !(f->type == ESC_FT_SYMLINK && f->link_to_dir))
		d = esc_contract_owner(m->c, f->path);
	return d != NULL ? (size_t)(d - m->c->d) : m->n_groups - 1;
}

static void record(struct cmp *m, size_t g, int what, json_t *entry)
{
	m->g[g].n[what]++;
	m->total[what]++;
	if (what != UNCHANGED && m->listed >= esc_diff_listed_max) {
		m->truncated = true;
		json_decref(entry);
		return;
	}
	if (entry == NULL)
		return;
	if (m->g[g].list[what] == NULL && (m->g[g].list[what] = json_array()) == NULL) {
		m->nomem = true;
		json_decref(entry);
		return;
	}
	if (json_array_append_new(m->g[g].list[what], entry) != 0)
		m->nomem = true;
	m->listed++;
}

/* Whether another entry can still be listed: past the bound, none is built. */
static bool listing(const struct cmp *m)
{
	return m->listed < esc_diff_listed_max;
}

static json_t *model_of(const struct esc_diff_side *s, const struct esc_file *f)
{
	struct esc_note_view v;

	esc_note_get(&s->files, f, &v);
	return v.model[0] ? json_loads(v.model, 0, NULL) : NULL;
}

/* What one side says of a file, without its path. */
static json_t *file_json(const struct esc_diff_side *s, const struct esc_file *f)
{
	json_t *o = json_object();
	char hex[65];

	if (o == NULL)
		return NULL;
	json_object_set_new(o, "type", json_string(f->type == ESC_FT_SYMLINK ? "symlink" : "file"));
	if (f->type == ESC_FT_SYMLINK) {
		json_object_set_new(o, "target", esc_json_string(esc_file_target(f) ? esc_file_target(f) : ""));
	} else {
		json_object_set_new(o, "size", json_integer((json_int_t)f->size));
		esc_hex(f->sha256, 32, hex);
		json_object_set_new(o, "sha256", json_string(hex));
		json_object_set_new(o, "executable", json_boolean((f->mode & 0111) != 0));
	}
	if (esc_kind_name(f->kind) != NULL)
		json_object_set_new(o, "kind", json_string(esc_kind_name(f->kind)));
	if (f->fnd.bits & ESC_FND_INSPECTED && f->fnd.detected != ESC_FMT_NONE)
		json_object_set_new(o, "format", json_string(esc_format_name((enum esc_format)f->fnd.detected)));
	json_object_set_new(o, "model", model_of(s, f));
	if (json_object_get(o, "model") == NULL || json_is_null(json_object_get(o, "model")))
		json_object_del(o, "model");
	return o;
}

static json_t *with_path(json_t *o, const char *key, const char *path)
{
	if (o != NULL)
		json_object_set_new(o, key, esc_json_string(path));
	return o;
}

static bool same_content(const struct esc_file *a, const struct esc_file *b)
{
	if (a->type != b->type)
		return false;
	if (a->type == ESC_FT_SYMLINK) {
		const char *x = esc_file_target(a), *y = esc_file_target(b);

		return strcmp(x ? x : "", y ? y : "") == 0;
	}
	/* the executable bit is what the bundle keeps of a file's mode (0755 or
	 * 0644): one turned off was 'unchanged', and the bundles 'identical' */
	return a->size == b->size && memcmp(a->sha256, b->sha256, 32) == 0 && (a->mode & 0111) == (b->mode & 0111);
}

/* The keys of two model summaries whose values differ ("cut" aside). */
static json_t *model_changes(const json_t *a, const json_t *b)
{
	json_t *out = json_array(), *v;
	const char *k;

	if (out == NULL)
		return NULL;
	json_object_foreach((json_t *)a, k, v)
		if (strcmp(k, "cut") != 0 && !json_equal(v, json_object_get(b, k)))
			json_array_append_new(out, json_string(k));
	json_object_foreach((json_t *)b, k, v)
		if (strcmp(k, "cut") != 0 && json_object_get(a, k) == NULL)
			json_array_append_new(out, json_string(k));
	return out;
}

static void changed(struct cmp *m, const struct esc_file *fo, const struct esc_file *fn)
{
	json_t *e = NULL, *a, *b;

	if (listing(m) && (e = json_object()) != NULL) {
		json_object_set_new(e, "path", esc_json_string(fn->path));
		a = file_json(m->o, fo);
		b = file_json(m->n, fn);
		if (fo->type != ESC_FT_SYMLINK && fn->type != ESC_FT_SYMLINK)
			json_object_set_new(e, "size_change", json_integer((json_int_t)fn->size - (json_int_t)fo->size));
		if (json_object_get(a, "model") != NULL || json_object_get(b, "model") != NULL) {
			json_t *none = json_object(), *ma = json_object_get(a, "model"), *mb = json_object_get(b, "model");

			if (none != NULL)
				json_object_set_new(e, "model_changes", model_changes(ma ? ma : none, mb ? mb : none));
			json_decref(none);
		}
		json_object_set_new(e, "old", a);
		json_object_set_new(e, "new", b);
	}
	record(m, group_of(m, fn), CHANGED, e);
}

/* Removed files (old) waiting to be paired with an added one by digest. */
struct cand {
	const struct esc_file *f;
	size_t at;                 /* position in the removed list */
};

static int cmp_cand(const void *x, const void *y)
{
	const struct cand *a = x, *b = y;
	int c = memcmp(a->f->sha256, b->f->sha256, 32);

	return c != 0 ? c : (a->at < b->at ? -1 : a->at > b->at);
}

/* The first unpaired removed file with f's digest, or NULL. The paired
 * files of a digest's run are its first ones (each pairing takes the first
 * unpaired): bisected too, as stepping over them cost the run's length
 * squared (20,000 identical files moved). */
static const struct cand *pair(struct cand *v, size_t n, bool *used, const struct esc_file *f)
{
	size_t lo = 0, hi = n, end;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (memcmp(v[mid].f->sha256, f->sha256, 32) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	hi = n;
	for (end = lo; end < hi;) {
		size_t mid = end + (hi - end) / 2;

		if (memcmp(v[mid].f->sha256, f->sha256, 32) <= 0)
			end = mid + 1;
		else
			hi = mid;
	}
	for (hi = end; lo < hi;) {
		size_t mid = lo + (hi - lo) / 2;

		if (used[v[mid].at])
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < end ? &v[lo] : NULL;
}

static void renamed(struct cmp *m, const struct esc_file *fo, const struct esc_file *fn)
{
	size_t go = group_of(m, fo), gn = group_of(m, fn);
	json_t *e = NULL;

	if (listing(m) && (e = file_json(m->n, fn)) != NULL) {
		json_object_set_new(e, "from", esc_json_string(fo->path));
		json_object_set_new(e, "to", esc_json_string(fn->path));
		if (go != gn)
			json_object_set_new(e, "from_deliverable", go < m->n_groups - 1 ? json_string(m->c->d[go].id)
			                                                             : json_null());
		/* the same bytes, but the executable bit turned on or off on the
		 * way: said, as for a file that kept its path */
		if (((fo->mode & 0111) != 0) != ((fn->mode & 0111) != 0))
			json_object_set_new(e, "from_executable", json_boolean((fo->mode & 0111) != 0));
	}
	record(m, gn, RENAMED, e);
}

/* Walks both sorted lists by path, then pairs by digest. */
static escrow_status walk(struct cmp *m)
{
	const struct esc_files *a = &m->o->files, *b = &m->n->files;
	size_t i = 0, j = 0, nr = 0, na = 0, nc = 0, k;
	size_t *rem = malloc((a->n + 1) * sizeof *rem), *add = malloc((b->n + 1) * sizeof *add);
	struct cand *cv = NULL;
	bool *used = NULL;

	if (rem == NULL || add == NULL)
		goto nomem;
	while (i < a->n || j < b->n) {
		int c;

		if (i < a->n && !is_entry(&a->v[i])) {
			i++;
			continue;
		}
		if (j < b->n && !is_entry(&b->v[j])) {
			j++;
			continue;
		}
		c = i < a->n && j < b->n ? strcmp(a->v[i].path, b->v[j].path) : i < a->n ? -1 : 1;
		if (c == 0) {
			if (same_content(&a->v[i], &b->v[j]))
				record(m, group_of(m, &b->v[j]), UNCHANGED, NULL);
			else
				changed(m, &a->v[i], &b->v[j]);
			i++;
			j++;
		} else if (c < 0) {
			rem[nr++] = i++;
		} else {
			add[na++] = j++;
		}
	}
	cv = malloc((nr + 1) * sizeof *cv);
	used = calloc(nr + 1, sizeof *used);
	if (cv == NULL || used == NULL)
		goto nomem;
	for (k = 0; k < nr; k++)
		if (a->v[rem[k]].type == ESC_FT_FILE && a->v[rem[k]].has_sha256)
			cv[nc++] = (struct cand){&a->v[rem[k]], k};
	if (nc > 1)
		qsort(cv, nc, sizeof *cv, cmp_cand);
	for (k = 0; k < na; k++) {
		const struct esc_file *fn = &b->v[add[k]];
		const struct cand *p = fn->type == ESC_FT_FILE && fn->has_sha256 ? pair(cv, nc, used, fn) : NULL;

		if (p != NULL) {
			used[p->at] = true;
			renamed(m, p->f, fn);
		} else {
			record(m, group_of(m, fn), ADDED, listing(m) ? with_path(file_json(m->n, fn), "path", fn->path)
			                                             : NULL);
		}
	}
	for (k = 0; k < nr; k++) {
		const struct esc_file *fo = &a->v[rem[k]];

		if (!used[k])
			record(m, group_of(m, fo), REMOVED, listing(m) ? with_path(file_json(m->o, fo), "path", fo->path)
			                                                : NULL);
	}
	free(rem);
	free(add);
	free(cv);
	free(used);
	return m->nomem ? ESCROW_E_NOMEM : ESCROW_OK;
nomem:
	free(rem);
	free(add);
	free(cv);
	free(used);
	return ESCROW_E_NOMEM;
}

/* The group's counts and lists into o. */
static void put_group(struct group *g, json_t *o)
{
	json_t *counts = json_object();
	int w;

	for (w = 0; w < N_WHAT; w++)
		json_object_set_new(counts, what_name[w], json_integer((json_int_t)g->n[w]));
	json_object_set_new(o, "counts", counts);
	for (w = 0; w <= RENAMED; w++) {
		json_object_set_new(o, what_name[w], g->list[w] != NULL ? g->list[w] : json_array());
		g->list[w] = NULL;
	}
}

/* Each deliverable's status on one side, as verify judges it: the
 * "deliverables" array of the evaluation (NULL when out of memory). */
static json_t *statuses(const escrow_contract *c, const struct esc_diff_side *s)
{
	escrow_report *r = esc_report_new("diff");
	json_t *dl, *d;
	size_t i;

	if (r == NULL)
		return NULL;
	(void)esc_contract_evaluate(c, &s->files, r);
	dl = json_incref(json_object_get(r->root, "deliverables"));
	escrow_report_free(r);
	/* the paths are the diff's to list: only the verdicts are kept */
	json_array_foreach(dl, i, d) {
		json_object_del(d, "paths");
		json_object_del(d, "missing");
		json_object_del(d, "unmatched");
	}
	return dl;
}

static json_t *side_status(const json_t *d)
{
	return json_pack("{s:O?,s:O?,s:O?,s:O?}", "status", json_object_get(d, "status"), "files",
	                 json_object_get(d, "files"), "bytes", json_object_get(d, "bytes"), "reason",
	                 json_object_get(d, "reason"));
}

static const char *status_of(const json_t *side)
{
	const char *s = json_string_value(json_object_get(side, "status"));

	return s != NULL ? s : "";
}

/* "same", "regression" (ok before, anything else now), "fixed", "changed". */
static const char *change_of(const char *was, const char *now)
{
	if (strcmp(was, now) == 0)
		return "same";
	if (strcmp(was, "ok") == 0)
		return "regression";
	return strcmp(now, "ok") == 0 ? "fixed" : "changed";
}

static void add_regression(json_t *regs, const json_t *d)
{
	json_array_append_new(regs, json_pack("{s:O,s:O,s:s,s:s,s:O?}", "deliverable", json_object_get(d, "id"),
	                                      "required", json_object_get(d, "required"), "old",
	                                      status_of(json_object_get(d, "old")), "new",
	                                      status_of(json_object_get(d, "new")), "reason",
	                                      json_object_get(json_object_get(d, "new"), "reason")));
}

/* The deliverables of the old bundle's own contract copy that c no longer
 * lists: gone, a regression when they were ok. */
static void dropped(const struct esc_diff_side *o, const escrow_contract *c, json_t *dl, json_t *regs)
{
	escrow_contract *oc = NULL;
	escrow_ctx *tmp;
	json_t *st, *d;
	size_t k;

	if (o->contract == NULL || (tmp = escrow_ctx_new()) == NULL)
		return;
	if (escrow_contract_parse(tmp, ESC_TAG_CONTRACT, o->contract, o->contract_len, &oc) != ESCROW_OK ||
	    memcmp(oc->raw_sha256, c->raw_sha256, 32) == 0) {
		escrow_contract_free(oc);
		escrow_ctx_free(tmp);
		return;
	}
	escrow_ctx_free(tmp);
	/* the old bundle was not read with this contract: its whole-file
	 * formats were not checked, so they are not judged */
	for (k = 0; k < oc->n_d; k++)
		if (oc->d[k].format != NULL && esc_format_full_scan(esc_format_from_name(oc->d[k].format))) {
			free(oc->d[k].format);
			oc->d[k].format = NULL;
		}
	st = statuses(oc, o);
	for (k = 0; st != NULL && k < oc->n_d; k++) {
		const json_t *was = json_array_get(st, k);

		if (escrow_contract_has_deliverable(c, oc->d[k].id))
			continue;
		d = json_pack("{s:s,s:s,s:b,s:{s:s,s:i,s:i,s:s}}", "id", oc->d[k].id, "kind",
		              oc->d[k].kind ? oc->d[k].kind : "other", "required", oc->d[k].required,
		              "new", "status", "absent", "files", 0, "bytes", 0, "reason",
		              "no longer in the contract");
		if (d == NULL)
			continue;
		json_object_set_new(d, "old", side_status(was));
		json_object_set_new(d, "change", json_string(strcmp(status_of(json_object_get(d, "old")), "ok") == 0
		                                             ? "regression" : "changed"));
		json_object_set_new(d, "in_contract", json_false());
		json_object_set_new(d, "counts", json_object());
		if (strcmp(json_string_value(json_object_get(d, "change")), "regression") == 0)
			add_regression(regs, d);
		json_array_append_new(dl, d);
	}
	json_decref(st);
	escrow_contract_free(oc);
}

static escrow_status deliverables(struct cmp *m, json_t *root)
{
	json_t *dl = json_array(), *regs = json_array(), *so = NULL, *sn = NULL;
	size_t k;

	if (dl == NULL || regs == NULL)
		goto nomem;
	if (m->c != NULL) {
		so = statuses(m->c, m->o);
		sn = statuses(m->c, m->n);
		if (so == NULL || sn == NULL)
			goto nomem;
		for (k = 0; k < m->c->n_d; k++) {
			const struct esc_deliverable *d = &m->c->d[k];
			json_t *e = json_pack("{s:s,s:s,s:b,s:b}", "id", d->id, "kind", d->kind ? d->kind : "other",
			                      "required", d->required, "in_contract", 1);

			if (e == NULL)
				goto nomem;
			json_object_set_new(e, "old", side_status(json_array_get(so, k)));
			json_object_set_new(e, "new", side_status(json_array_get(sn, k)));
			json_object_set_new(e, "change", json_string(change_of(status_of(json_object_get(e, "old")),
			                                                       status_of(json_object_get(e, "new")))));
			put_group(&m->g[k], e);
			if (strcmp(json_string_value(json_object_get(e, "change")), "regression") == 0)
				add_regression(regs, e);
			json_array_append_new(dl, e);
		}
		dropped(m->o, m->c, dl, regs);
	}
	json_decref(so);
	json_decref(sn);
	json_object_set_new(root, "deliverables", dl);
	json_object_set_new(root, "regressions", regs);
	return ESCROW_OK;
nomem:
	json_decref(so);
	json_decref(sn);
	json_decref(dl);
	json_decref(regs);
	return ESCROW_E_NOMEM;
}

static void payload(const struct esc_files *fs, uint64_t *files, uint64_t *bytes)
{
	*files = *bytes = 0;
	for (size_t i = 0; i < fs->n; i++)
		if (fs->v[i].type == ESC_FT_FILE) {
			(*files)++;
			*bytes += fs->v[i].size;
		}
}

escrow_status esc_diff_compare(escrow_ctx *ctx, const struct esc_diff_side *o, const struct esc_diff_side *n,
                               const escrow_contract *c, json_t *root)
{
	struct cmp m = {.o = o, .n = n, .c = c};
	json_t *un = json_object(), *ch = json_object();
	uint64_t f, b;
	escrow_status st = ESCROW_E_NOMEM;
	size_t k;
	int w;

	m.n_groups = (c != NULL ? c->n_d : 0) + 1;
	m.g = calloc(m.n_groups, sizeof *m.g);
	if (m.g == NULL || un == NULL || ch == NULL)
		goto out;
	st = walk(&m);
	if (st == ESCROW_OK)
		st = deliverables(&m, root);
	if (st != ESCROW_OK)
		goto out;
	put_group(&m.g[m.n_groups - 1], un);
	json_object_set_new(root, "unassigned", un);
	un = NULL;
	for (w = 0; w < N_WHAT; w++)
		json_object_set_new(ch, what_name[w], json_integer((json_int_t)m.total[w]));
	payload(&o->files, &f, &b);
	json_object_set_new(ch, "old_files", json_integer((json_int_t)f));
	json_object_set_new(ch, "old_bytes", json_integer((json_int_t)b));
	payload(&n->files, &f, &b);
	json_object_set_new(ch, "new_files", json_integer((json_int_t)f));
	json_object_set_new(ch, "new_bytes", json_integer((json_int_t)b));
	json_object_set_new(ch, "listed", json_integer((json_int_t)m.listed));
	json_object_set_new(ch, "truncated", json_boolean(m.truncated));
	json_object_set_new(root, "changes", ch);
	ch = NULL;
out:
	if (m.g != NULL)
		for (k = 0; k < m.n_groups; k++)
			for (w = 0; w <= RENAMED; w++)
				json_decref(m.g[k].list[w]);
	free(m.g);
	json_decref(un);
	json_decref(ch);
	return st == ESCROW_E_NOMEM ? esc_nomem(ctx) : st;
}
