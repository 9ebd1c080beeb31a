/* contract_match.c -- which deliverables hold a path, for every command that
 * asks (check, pack, verify, list, extract --deliverable): one rule, one
 * index. The includes of all deliverables form one glob set, in deliverable
 * order, so the candidates of a path come out by deliverable; a
 * deliverable's excludes are tried only on the paths its includes matched. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

struct esc_contract_ix {
	char **inc;          /* every include, deliverable by deliverable (not owned) */
	uint32_t *inc_d;     /* the deliverable of each */
	size_t *first;       /* per deliverable: its first include's number */
	size_t n_inc;
	esc_globset *incl, *forbid;
	esc_globset **excl;  /* per deliverable: its excludes, NULL when it has none */
	uint32_t formats;    /* 1 << format, for each a deliverable names */
};

void esc_contract_index_free(escrow_contract *c)
{
	size_t i;

	if (c == NULL || c->ix == NULL)
		return;
	esc_globset_free(c->ix->incl);
	esc_globset_free(c->ix->forbid);
	for (i = 0; c->ix->excl != NULL && i < c->n_d; i++)
		esc_globset_free(c->ix->excl[i]);
	free(c->ix->excl);
	free(c->ix->inc);
	free(c->ix->inc_d);
	free(c->ix->first);
	free(c->ix);
	c->ix = NULL;
}

int esc_contract_index(escrow_contract *c)
{
	struct esc_contract_ix *ix;
	size_t i, k, n = 0;

	esc_contract_index_free(c);
	for (i = 0; i < c->n_d; i++)
		n += c->d[i].n_include;
	ix = calloc(1, sizeof *ix);
	if (ix == NULL)
		return -1;
	ix->formats = esc_contract_format_mask(c); /* before c->ix is set: counted, not cached */
	c->ix = ix;
	ix->inc = malloc((n ? n : 1) * sizeof *ix->inc);
	ix->inc_d = malloc((n ? n : 1) * sizeof *ix->inc_d);
	ix->first = malloc((c->n_d ? c->n_d : 1) * sizeof *ix->first);
	ix->excl = calloc(c->n_d ? c->n_d : 1, sizeof *ix->excl);
	if (ix->inc == NULL || ix->inc_d == NULL || ix->first == NULL || ix->excl == NULL || c->n_d > UINT32_MAX)
		goto fail;
	/* tried one by one, a deliverable's excludes cost its paths x its excludes
	 * ('check' of 20,000 files, one deliverable of 2,000 excludes: 11.9 s) */
	for (i = 0; i < c->n_d; i++) {
		if (c->d[i].n_exclude == 0)
			continue;
		ix->excl[i] = esc_globset_new(c->d[i].exclude, c->d[i].n_exclude);
		if (ix->excl[i] == NULL)
			goto fail;
	}
	for (i = 0; i < c->n_d; i++) {
		ix->first[i] = ix->n_inc;
		for (k = 0; k < c->d[i].n_include; k++) {
			ix->inc[ix->n_inc] = c->d[i].include[k];
			ix->inc_d[ix->n_inc++] = (uint32_t)i;
		}
	}
	ix->incl = esc_globset_new(ix->inc, ix->n_inc);
	ix->forbid = esc_globset_new(c->forbid, c->n_forbid);
	if (ix->incl == NULL || ix->forbid == NULL)
		goto fail;
	return 0;
fail:
	esc_contract_index_free(c);
	return -1;
}

uint32_t esc_contract_format_mask(const escrow_contract *c)
{
	uint32_t m = 0;
	size_t i;

	if (c == NULL)
		return 0;
	if (c->ix != NULL)
		return c->ix->formats;
	for (i = 0; i < c->n_d; i++) {
		enum esc_format f = c->d[i].format ? esc_format_from_name(c->d[i].format) : ESC_FMT_NONE;

		/* a folder format is judged over the file list, not file by file */
		if (f != ESC_FMT_NONE && f != ESC_FMT_TF_SAVEDMODEL)
			m |= UINT32_C(1) << f;
	}
	return m;
}

/* A glob character escaped with '\' is itself: "docs/b\[1\].md" names one
 * file as "docs/a.md" does (escrow init escapes file names so), and its
 * absence makes the deliverable missing. */
int esc_glob_is_literal(const char *pattern)
{
	const char *p;

	if (pattern == NULL)
		return 0;
	for (p = pattern; *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (strchr("*?[]{}", *p) != NULL)
			return 0;
	}
	return 1;
}

static int excluded(const struct esc_deliverable *d, const char *path)
{
	size_t i;

	for (i = 0; i < d->n_exclude; i++)
		if (esc_glob_match_dir(d->exclude[i], path, 0))
			return 1;
	return 0;
}

struct hold_walk {
	const escrow_contract *c;
	const char *path;
	int (*fn)(size_t d, size_t k, void *user);
	void *user;
	size_t last_d;
	int last_out; /* whether last_d excludes the path */
};

static int on_include(size_t i, void *arg)
{
	struct hold_walk *w = arg;
	const struct esc_contract_ix *ix = w->c->ix;
	size_t d = ix->inc_d[i];

	if (d != w->last_d) {
		w->last_d = d;
		w->last_out = ix->excl[d] != NULL && esc_globset_any(ix->excl[d], w->path, 0);
	}
	if (w->last_out)
		return 0;
	return w->fn(d, i - ix->first[d], w->user);
}

int esc_contract_each_hold(const escrow_contract *c, const struct esc_file *f,
                           int (*fn)(size_t d, size_t k, void *user), void *user)
{
	struct hold_walk w;
	size_t d, k;
	int r;

	if (c == NULL || f == NULL || f->path == NULL || f->type == ESC_FT_DIR ||
	    (f->type == ESC_FT_SYMLINK && f->link_to_dir))
		return 0;
	if (c->ix != NULL) {
		w.c = c;
		w.path = f->path;
		w.fn = fn;
		w.user = user;
		w.last_d = SIZE_MAX;
		w.last_out = 0;
		return esc_globset_each(c->ix->incl, f->path, 0, on_include, &w);
	}
	for (d = 0; d < c->n_d; d++) { /* not indexed: pattern by pattern, same answers */
		const struct esc_deliverable *dl = &c->d[d];
		int out = -1;

		for (k = 0; k < dl->n_include; k++) {
			if (!esc_glob_match_dir(dl->include[k], f->path, 0))
				continue;
			if (out < 0)
				out = excluded(dl, f->path);
			if (out)
				break;
			r = fn(d, k, user);
			if (r != 0)
				return r;
		}
	}
	return 0;
}

static int first_holder(size_t d, size_t k, void *user)
{
	(void)k;
	*(size_t *)user = d;
	return 1;
}

const struct esc_deliverable *esc_contract_owner(const escrow_contract *c, const char *path)
{
	struct esc_file f;
	size_t d = SIZE_MAX;

	if (c == NULL || path == NULL)
		return NULL;
	memset(&f, 0, sizeof f);
	f.path = (char *)(uintptr_t)path;
	f.type = ESC_FT_FILE;
	esc_contract_each_hold(c, &f, first_holder, &d);
	return d == SIZE_MAX ? NULL : &c->d[d];
}

struct formats_of {
	const escrow_contract *c;
	uint32_t m;
};

static int or_format(size_t d, size_t k, void *user)
{
	struct formats_of *u = user;
	const char *name = u->c->d[d].format;
	enum esc_format f = name ? esc_format_from_name(name) : ESC_FMT_NONE;

	(void)k;
	if (f != ESC_FMT_NONE && f != ESC_FMT_TF_SAVEDMODEL)
		u->m |= UINT32_C(1) << f;
	return 0;
}

uint32_t esc_contract_formats_of(const escrow_contract *c, const char *path)
{
	struct formats_of u = {c, 0};
	struct esc_file f;

	if (c == NULL || path == NULL || esc_contract_format_mask(c) == 0)
		return 0;
	memset(&f, 0, sizeof f);
	f.path = (char *)(uintptr_t)path;
	f.type = ESC_FT_FILE;
	esc_contract_each_hold(c, &f, or_format, &u);
	return u.m;
}

int esc_contract_forbids(const escrow_contract *c, const char *path)
{
	size_t i;

	if (c == NULL || path == NULL)
		return 0;
	if (c->ix != NULL)
		return esc_globset_any(c->ix->forbid, path, 0);
	for (i = 0; i < c->n_forbid; i++)
		if (esc_glob_match_dir(c->forbid[i], path, 0))
			return 1;
	return 0;
}
