/* contract_draft_group.c -- the draft's files sorted into deliverables, each
 * with include globs that match its files and no file of another one. */
#include "escrow_private.h"
#include "contract_draft.h"

#include <stdlib.h>
#include <string.h>

/* Deliverables other than code and models, in the order written. */
static const struct {
	const char *kind, *id;
} OTHERS[] = {
	{"data", "datasets"}, {"prompts", "prompts"}, {"pipeline", "pipelines"}, {"config", "configuration"},
	{"docs", "documentation"},
};

char *esc_draft_glob_escape(const char *path)
{
	char *out = malloc(2 * strlen(path) + 1), *o = out;
	const char *p;

	if (out == NULL)
		return NULL;
	for (p = path; *p; p++) {
		/* a control character escaped is itself (tree_glob.c); as '?' it
		 * also matched "aXb" and "a\tb" beside "a\nb", which met the
		 * literal when "a\nb" was gone */
		if ((unsigned char)*p < 0x20 || *p == 0x7f || strchr("*?[]{}\\", *p) != NULL)
			*o++ = '\\';
		*o++ = *p;
	}
	*o = '\0';
	return out;
}

/* path as an include or exclude of the draft: escaped, and a root file's
 * anchored ("/README.md"), since a glob without '/' matches the name at any
 * depth: "w.safetensors" also took "old/w.safetensors" into the root
 * model's deliverable (bad-format when that one was no model), and met the
 * literal when the root file was gone. */
char *esc_draft_path_glob(const char *path)
{
	char *e = esc_draft_glob_escape(path), *out;

	if (e == NULL || strchr(path, '/') != NULL)
		return e;
	out = esc_strf("/%s", e);
	free(e);
	return out;
}

static int id_taken(const struct dr_draft *d, const char *id)
{
	size_t i;

	for (i = 0; i < d->n_g; i++)
		if (strcmp(d->g[i].id, id) == 0)
			return 1;
	return 0;
}

/* A deliverable id (a-z, 0-9, '-') from free text. */
static void sanitize(const char *text, size_t len, char *id)
{
	size_t i, o = 0;

	for (i = 0; i < len && o + 1 < 48; i++) {
		char c = text[i];

		if (c >= 'A' && c <= 'Z')
			c = (char)(c - 'A' + 'a');
		if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
			id[o++] = c;
		else if (o > 0 && id[o - 1] != '-')
			id[o++] = '-';
	}
	while (o > 0 && id[o - 1] == '-')
		o--;
	id[o] = '\0';
}

/* A model's id: its name without the extension, else with it
 * (classifier-onnx beside classifier), else numbered. */
static void model_id(const struct dr_draft *d, const char *base, char *id, size_t idlen)
{
	const char *dot = strrchr(base, '.');
	char full[48];
	unsigned n;

	sanitize(base, dot && dot != base ? (size_t)(dot - base) : strlen(base), id);
	if (*id == '\0')
		snprintf(id, idlen, "model");
	if (!id_taken(d, id))
		return;
	sanitize(base, strlen(base), full);
	if (*full != '\0' && !id_taken(d, full)) {
		snprintf(id, idlen, "%s", full);
		return;
	}
	for (n = 2;; n++) {
		char alt[64];

		snprintf(alt, sizeof alt, "%.48s-%u", id, n);
		if (!id_taken(d, alt)) {
			snprintf(id, idlen, "%.63s", alt);
			return;
		}
	}
}

static struct dr_group *new_group(struct dr_draft *d, const char *kind)
{
	struct dr_group *g = realloc(d->g, (d->n_g + 1) * sizeof *g);

	if (g == NULL)
		return NULL;
	d->g = g;
	g = &d->g[d->n_g];
	memset(g, 0, sizeof *g);
	g->kind = kind;
	return g;
}

/* The glob for the files of path's top folder with its extension, or NULL
 * when path is at the top or has no plain extension. */
static char *folder_glob(const char *path)
{
	const char *slash = strchr(path, '/'), *base = strrchr(path, '/'), *dot, *p;
	char *top, *glob;

	if (slash == NULL)
		return NULL;
	dot = strrchr(base + 1, '.');
	if (dot == NULL || dot == base + 1 || dot[1] == '\0')
		return NULL;
	for (p = dot + 1; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9')))
			return NULL;
	top = strndup(path, (size_t)(slash - path));
	if (top == NULL)
		return NULL;
	for (p = top; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f) {
			free(top);
			return NULL;
		}
	p = top;
	glob = esc_draft_glob_escape(p);
	free(top);
	if (glob == NULL)
		return NULL;
	top = glob;
	glob = esc_strf("%s/**/*.%s", top, dot + 1);
	free(top);
	return glob;
}

/* The first file of the sorted list whose path starts with the len bytes
 * of prefix (d->n when none does). */
static size_t first_under(const struct dr_draft *d, const char *prefix, size_t len)
{
	size_t lo = 0, hi = d->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (strncmp(d->f[mid].path, prefix, len) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* 1 if glob, the folder glob of path (folder_glob), matches only files of
 * group gi. It matches only paths under path's top folder: a run of the
 * sorted list, found by bisection (a pass over the whole tree for each top
 * folder cost folders x files). */
static int glob_only_group(const struct dr_draft *d, const char *glob, int gi, const char *path)
{
	size_t len = (size_t)(strchr(path, '/') - path) + 1, lo, i;

	lo = first_under(d, path, len);
	for (i = lo; i < d->n && strncmp(d->f[i].path, path, len) == 0; i++)
		if (d->f[i].group != gi && esc_glob_match(glob, d->f[i].path))
			return 0;
	return 1;
}

/* A set of strings (the fold's globs, taken and refused): open addressing,
 * FNV-1a. The refused ones are owned; the taken ones are the group's. */
struct strset {
	const char **v;
	size_t cap, n;
	bool owns;
};

static size_t str_hash(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ULL;

	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
	return (size_t)h;
}

static int set_has(const struct strset *set, const char *s)
{
	size_t i;

	if (set->cap == 0)
		return 0;
	for (i = str_hash(s) & (set->cap - 1); set->v[i] != NULL; i = (i + 1) & (set->cap - 1))
		if (strcmp(set->v[i], s) == 0)
			return 1;
	return 0;
}

/* Adds s (not there yet); 0, or -1 out of memory (s is then the caller's). */
static int set_add(struct strset *set, const char *s)
{
	size_t i;

	if (2 * (set->n + 1) > set->cap) {
		size_t nc = set->cap ? 2 * set->cap : 64, k;
		const char **v = calloc(nc, sizeof *v);

		if (v == NULL)
			return -1;
		for (k = 0; k < set->cap; k++)
			if (set->v[k] != NULL) {
				for (i = str_hash(set->v[k]) & (nc - 1); v[i] != NULL; i = (i + 1) & (nc - 1))
					;
				v[i] = set->v[k];
			}
		free(set->v);
		set->v = v;
		set->cap = nc;
	}
	for (i = str_hash(s) & (set->cap - 1); set->v[i] != NULL; i = (i + 1) & (set->cap - 1))
		;
	set->v[i] = s;
	set->n++;
	return 0;
}

static void set_free(struct strset *set)
{
	size_t i;

	for (i = 0; set->owns && i < set->cap; i++)
		free((char *)set->v[i]);
	free(set->v);
	memset(set, 0, sizeof *set);
}

#define MAX_FOLD_DEPTH 64
#define FOLD_EXCLUDE (-2) /* fold_one's gi for the excludes of forbidden files */

/* The globs that may stand for path when folding, widest first: each folder
 * on its way from the top ("dir/" then "**"), then, when path has a plain
 * extension, its top folder's files of that extension (as folder_glob), its
 * own folder's, or the root's ("/" then "*.ext"), and last the whole tree
 * (a deliverable that takes whatever is added later, only where nothing
 * narrower holds its files alone). Into
 * out, malloc'd; their count, or -1 out of memory. */
static int candidates(const char *path, char **out)
{
	const char *base = strrchr(path, '/'), *dot, *p;
	char *ext = NULL;
	int n = 0;

	for (p = strchr(path, '/'); p != NULL && n < MAX_FOLD_DEPTH; p = strchr(p + 1, '/')) {
		char *dir = strndup(path, (size_t)(p - path)), *e = dir ? esc_draft_glob_escape(dir) : NULL;

		free(dir);
		if (e == NULL)
			goto fail;
		out[n] = esc_strf("%s/**", e);
		free(e);
		if (out[n++] == NULL)
			goto fail;
	}
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	if (dot != NULL && dot != base && dot[1] != '\0') {
		for (p = dot + 1;
		     *p && ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'));
		     p++)
			;
		ext = *p == '\0' ? (char *)dot + 1 : NULL;
	}
	if (ext != NULL && base == path) {
		out[n] = esc_strf("/*.%s", ext);
		if (out[n++] == NULL)
			goto fail;
	} else if (ext != NULL) {
		char *e;

		out[n] = folder_glob(path);
		if (out[n] != NULL)
			n++;
		e = strndup(path, (size_t)(base - 1 - path));
		if (e == NULL)
			goto fail;
		out[n] = esc_draft_glob_escape(e);
		free(e);
		if (out[n] == NULL)
			goto fail;
		e = out[n];
		out[n] = esc_strf("%s/*.%s", e, ext);
		free(e);
		if (out[n++] == NULL)
			goto fail;
	}
	out[n] = strdup("**");
	if (out[n++] == NULL)
		goto fail;
	return n;
fail:
	while (n > 0)
		free(out[--n]);
	return -1;
}

/* 1 if every file glob matches is one of gi's (a file of no deliverable,
 * or of another, is not to be taken into gi; a forbidden file, excluded, is
 * not seen by check), or for FOLD_EXCLUDE, a forbidden file (never one that
 * check would see). Only the files under the glob's literal first folders
 * are tried: a run of the sorted list. */
static int pure(const struct dr_draft *d, const char *glob, int gi)
{
	const char *p, *lit = glob;
	size_t len = 0, lo, i;

	for (p = glob; *p && strchr("*?[]{}\\", *p) == NULL; p++)
		if (*p == '/')
			len = (size_t)(p - glob) + 1;
	if (*glob == '/')
		len = 0;
	lo = first_under(d, lit, len);
	for (i = lo; i < d->n && strncmp(d->f[i].path, lit, len) == 0; i++) {
		const struct dr_file *r = &d->f[i];
		int ok = gi == FOLD_EXCLUDE ? r->kind == NULL : r->group == gi || r->kind == NULL;

		if (!ok && esc_glob_match(glob, r->path))
			return 0;
	}
	return 1;
}

/* Folding: the glob that stands for path in gi's includes (or the excludes),
 * in *out (malloc'd), or NULL when one taken already holds it. 0, or -1 out
 * of memory. */
static int fold_one(const struct dr_draft *d, int gi, const char *path, struct strset *taken,
		    struct strset *refused, char **out)
{
	char *cand[MAX_FOLD_DEPTH + 4];
	int n = candidates(path, cand), i, rc = 0;

	*out = NULL;
	if (n < 0)
		return -1;
	for (i = 0; i < n; i++)
		if (set_has(taken, cand[i]))
			goto done;
	for (i = 0; i < n && *out == NULL; i++) {
		if (strlen(cand[i]) > ESC_GLOB_MAX || set_has(refused, cand[i]) ||
		    !esc_glob_match(cand[i], path))
			continue;
		if (pure(d, cand[i], gi)) {
			*out = cand[i];
			cand[i] = NULL;
		} else if (set_add(refused, cand[i]) == 0) {
			cand[i] = NULL;
		} else {
			rc = -1;
			goto done;
		}
	}
	if (*out == NULL)
		*out = esc_draft_path_glob(path);
	if (*out == NULL || set_add(taken, *out) != 0)
		rc = -1;
done:
	for (i = 0; i < n; i++)
		free(cand[i]);
	return rc;
}

/* Which files an include may hold but its own: 0 none (a literal path with
 * a '/', a root file's anchored: that path and what is under it), 1 only
 * under its first folder (a '/' and a literal first segment, as a folder
 * glob), 2 anywhere (a name without '/' matches at any depth; a glob in the
 * first segment). Root files' includes kept as 2 were each tried on every
 * root file after them: 10,001 root files cost 50 million matches. */
static int reach(const char *s)
{
	const char *p;

	if (strchr(s, '/') != NULL && esc_glob_is_literal(s))
		return 0;
	if (s[0] == '/' || strchr(s, '/') == NULL)
		return 2;
	for (p = s; *p != '/' && *p != '\0'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		else if (strchr("*?[]{}", *p) != NULL)
			return 2;
	}
	return 1;
}

static int has_include(const struct dr_group *g, const char *s)
{
	size_t i;

	for (i = 0; i < g->n_wide; i++)
		if (strcmp(g->wide[i], s) == 0)
			return 1;
	for (i = 0; i < g->n_local; i++)
		if (strcmp(g->local[i], s) == 0)
			return 1;
	return 0;
}

/* Takes s. Only the includes that may hold other files are tried on the
 * files that follow (and compared with a new include); those of one top
 * folder only while its files are placed (the files come sorted): tried
 * all, a folder of 10,000 files without extension cost 10,000 x 10,000
 * matches ('escrow init' 4.3 s, 0.4 s for 2,500), 10,000 top folders as
 * many. */
static int add_include(struct dr_group *g, char *s)
{
	const char ***lv;
	size_t *n, *cap;
	int r;
	char **v;

	if (s == NULL)
		return -1;
	r = reach(s);
	if (r != 0 && has_include(g, s)) {
		free(s);
		return 0;
	}
	lv = r == 2 ? &g->wide : &g->local;
	n = r == 2 ? &g->n_wide : &g->n_local;
	cap = r == 2 ? &g->cap_wide : &g->cap_local;
	if (r != 0 && *n == *cap) {
		size_t nc = *cap ? 2 * *cap : 8;
		const char **w = realloc(*lv, nc * sizeof *w);

		if (w == NULL) {
			free(s);
			return -1;
		}
		*lv = w;
		*cap = nc;
	}
	v = realloc(g->include, (g->n_include + 1) * sizeof *v);
	if (v == NULL) {
		free(s);
		return -1;
	}
	v[g->n_include++] = s;
	g->include = v;
	if (r != 0)
		(*lv)[(*n)++] = s;
	return 0;
}

/* The folder globs found to hold files of another deliverable. Asked again
 * for each file of their folder, glob_only_group (a pass over the tree) made
 * a folder shared by two deliverables cost its files x the tree ('escrow
 * init' of 10,000 .md and .csv files of four kinds under one folder: 6.5 s). */
struct refused {
	char **v;
	size_t n;
};

static int is_refused(const struct refused *no, const char *glob)
{
	size_t i;

	for (i = 0; i < no->n; i++)
		if (strcmp(no->v[i], glob) == 0)
			return 1;
	return 0;
}

/* Takes glob (freed on failure); 0, or -1 out of memory. */
static int refuse(struct refused *no, char *glob)
{
	if ((no->n & (no->n - 1)) == 0) { /* 0 or a power of two: full */
		char **v = realloc(no->v, (no->n ? 2 * no->n : 1) * sizeof *v);

		if (v == NULL) {
			free(glob);
			return -1;
		}
		no->v = v;
	}
	no->v[no->n++] = glob;
	return 0;
}

/* Folder globs where they hold only this deliverable's files, else the
 * files' own paths. */
static int fill_includes(struct dr_draft *d, int gi)
{
	struct dr_group *g = &d->g[gi];
	enum esc_format common = ESC_FMT_COUNT;
	struct refused no = {NULL, 0};
	struct strset taken = {NULL, 0, 0, false}, refused = {NULL, 0, 0, true};
	size_t i, k, top_len;
	int rc = -1;

	for (i = 0; i < d->n; i++) {
		const struct dr_file *r = &d->f[i];
		char *glob;
		int covered = 0;

		if (r->group != gi)
			continue;
		g->files++;
		g->bytes += r->size;
		common = common == ESC_FMT_COUNT || common == r->fmt ? r->fmt : ESC_FMT_NONE;
		if (d->fold > 0 && g->model == NULL) {
			if (fold_one(d, gi, r->path, &taken, &refused, &glob) != 0)
				goto out;
			if (glob != NULL && add_include(g, glob) != 0)
				goto out;
			continue;
		}
		top_len = strcspn(r->path, "/");
		if (g->top == NULL || top_len != g->top_len || memcmp(g->top, r->path, top_len) != 0) {
			g->top = r->path; /* a new top folder: the last one's local includes hold none of its files */
			g->top_len = top_len;
			g->n_local = 0;
		}
		for (k = 0; k < g->n_wide && !covered; k++)
			covered = esc_glob_match(g->wide[k], r->path);
		for (k = 0; k < g->n_local && !covered; k++)
			covered = esc_glob_match(g->local[k], r->path);
		if (covered)
			continue;
		glob = g->model ? NULL : folder_glob(r->path);
		if (glob != NULL && (!esc_glob_match(glob, r->path) || is_refused(&no, glob))) {
			free(glob);
			glob = NULL;
		} else if (glob != NULL && !glob_only_group(d, glob, gi, r->path)) {
			if (refuse(&no, glob) != 0)
				goto out;
			glob = NULL;
		}
		if (add_include(g, glob ? glob : esc_draft_path_glob(r->path)) != 0)
			goto out;
	}
	if (strcmp(g->kind, "model") == 0 || strcmp(g->kind, "data") == 0 || strcmp(g->kind, "pipeline") == 0)
		g->fmt = common == ESC_FMT_COUNT ? ESC_FMT_NONE : common;
	rc = 0;
out:
	for (i = 0; i < no.n; i++)
		free(no.v[i]);
	free(no.v);
	set_free(&taken);
	set_free(&refused);
	return rc;
}

/* Folding: the forbidden files present today excluded by folder globs that
 * hold only forbidden files, where they would be too many to list. */
static int fold_excludes(struct dr_draft *d)
{
	struct strset taken = {NULL, 0, 0, false}, refused = {NULL, 0, 0, true};
	size_t i;
	int rc = 0;

	for (i = 0; i < d->n && rc == 0; i++) {
		char *glob;

		if (d->f[i].kind != NULL)
			continue;
		rc = fold_one(d, FOLD_EXCLUDE, d->f[i].path, &taken, &refused, &glob);
		if (rc == 0 && glob != NULL)
			rc = esc_draft_push_exclude(d, glob, esc_draft_why_forbidden);
	}
	set_free(&taken);
	set_free(&refused);
	return rc;
}


static int code_groups(struct dr_draft *d)
{
	const char *langs[64];
	size_t n = 0, i, j;

	for (i = 0; i < d->n; i++) {
		const char *l = d->f[i].kind && strcmp(d->f[i].kind, "code") == 0 ? d->f[i].lang : NULL;

		if (l == NULL)
			continue;
		for (j = 0; j < n && strcmp(langs[j], l) != 0; j++)
			;
		if (j == n && n < 64)
			langs[n++] = l;
	}
	/* By name, build files last. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0; j--) {
			int a_build = strcmp(langs[j - 1], "build") == 0, b_build = strcmp(langs[j], "build") == 0;
			const char *t;

			if (!(a_build > b_build || (a_build == b_build && strcmp(langs[j - 1], langs[j]) > 0)))
				break;
			t = langs[j];
			langs[j] = langs[j - 1];
			langs[j - 1] = t;
		}
	for (i = 0; i < n; i++) {
		struct dr_group *g = new_group(d, "code");

		if (g == NULL)
			return -1;
		g->lang = langs[i];
		snprintf(g->id, sizeof g->id, "%s", strcmp(langs[i], "build") == 0 ? "build-files" : langs[i]);
		if (strcmp(langs[i], "build") != 0)
			snprintf(g->id, sizeof g->id, "%s-source", langs[i]);
		for (j = 0; j < d->n; j++)
			if (d->f[j].kind && strcmp(d->f[j].kind, "code") == 0 && d->f[j].lang == langs[i])
				d->f[j].group = (int)d->n_g;
		d->n_g++;
	}
	return 0;
}

static int model_groups(struct dr_draft *d)
{
	size_t i;

	for (i = 0; i < d->n; i++) {
		struct dr_file *r = &d->f[i];
		const char *base;
		struct dr_group *g;
		char id[72];

		if (r->kind == NULL || strcmp(r->kind, "model") != 0)
			continue;
		if (d->fold >= 2) { /* one deliverable per format (and optional ones apart) */
			bool optional = r->lfs || r->unsafe_pickle;
			size_t k;

			for (k = 0; k < d->n_g; k++)
				if (d->g[k].model == NULL && strcmp(d->g[k].kind, "model") == 0 &&
				    d->g[k].model_fmt == r->fmt && d->g[k].optional == optional)
					break;
			if (k == d->n_g) {
				g = new_group(d, "model");
				if (g == NULL)
					return -1;
				g->model_fmt = r->fmt;
				g->optional = optional;
				snprintf(g->id, sizeof g->id, "models%s%s%s", r->fmt != ESC_FMT_NONE ? "-" : "",
				         r->fmt != ESC_FMT_NONE ? esc_format_name(r->fmt) : "", optional ? "-optional" : "");
				d->n_g++;
			}
			r->group = (int)k;
			continue;
		}
		base = strrchr(r->path, '/');
		model_id(d, base ? base + 1 : r->path, id, sizeof id);
		g = new_group(d, "model");
		if (g == NULL)
			return -1;
		snprintf(g->id, sizeof g->id, "%s", id);
		g->model = r;
		r->group = (int)d->n_g++;
	}
	return 0;
}

escrow_status esc_draft_group(escrow_ctx *ctx, struct dr_draft *d)
{
	size_t i, j;

	if (code_groups(d) != 0 || model_groups(d) != 0)
		return esc_nomem(ctx);
	for (i = 0; i < sizeof OTHERS / sizeof OTHERS[0]; i++) {
		struct dr_group *g = NULL;

		for (j = 0; j < d->n; j++) {
			if (d->f[j].kind == NULL || d->f[j].group >= 0 || strcmp(d->f[j].kind, OTHERS[i].kind) != 0)
				continue;
			if (g == NULL) {
				g = new_group(d, OTHERS[i].kind);
				if (g == NULL)
					return esc_nomem(ctx);
				snprintf(g->id, sizeof g->id, "%s%s", OTHERS[i].id, id_taken(d, OTHERS[i].id) ? "-files" : "");
				d->n_g++;
			}
			d->f[j].group = (int)d->n_g - 1;
		}
	}
	for (i = 0; i < d->n_g; i++)
		if (fill_includes(d, (int)i) != 0)
			return esc_nomem(ctx);
	if (d->fold > 0 && fold_excludes(d) != 0)
		return esc_nomem(ctx);
	return ESCROW_OK;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void esc_draft_ungroup(struct dr_draft *d)
{
	size_t i, o = 0;

	for (i = 0; i < d->n_g; i++) {
		free_strv(d->g[i].include, d->g[i].n_include);
		free(d->g[i].wide);
		free(d->g[i].local);
	}
	free(d->g);
	d->g = NULL;
	d->n_g = 0;
	for (i = 0; i < d->n; i++)
		d->f[i].group = -1;
	for (i = 0; i < d->n_exclude; i++) {
		if (d->exclude_why[i] == esc_draft_why_forbidden) {
			free(d->exclude[i]);
			continue;
		}
		d->exclude[o] = d->exclude[i];
		d->exclude_why[o++] = d->exclude_why[i];
	}
	d->n_exclude = o;
}

void esc_draft_free(struct dr_draft *d)
{
	esc_draft_ungroup(d);
	free(d->f);
	free_strv(d->exclude, d->n_exclude);
	free(d->exclude_why);
	free_strv(d->forbid, d->n_forbid);
	memset(d, 0, sizeof *d);
}
