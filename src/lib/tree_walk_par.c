/* tree_walk_par.c -- the walk on more than one core. On a tree of 50,000
 * small files the walk (an fstatat per entry, the kernel's path lookups)
 * took 0.1 s of a 0.85 s pack with the other core idle: nothing can be read
 * before the whole list is known (links are checked against it first).
 *
 * The first folder from the top with two subfolders or more is split: its
 * own entries are added first, in order, on this thread; then each
 * subfolder is listed whole, into a list of its own, by whichever thread
 * takes it next; the lists are joined in key order. So the list, the
 * warnings (held back per part, given in order) and the failure (the first
 * in key order; what a walk on one core would have stopped at) are those of
 * esc_walk_dir, whatever the number of threads. Each thread keeps its paths
 * in a pool of its own, whose blocks go to the caller's pool at the end. */
#include "esc_walk_int.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

/* More threads find the dentry cache's locks and one disk, not more speed. */
#define PAR_MAX 4

struct seg {
	struct esc_files fs;
	struct walk_warns warns;
	escrow_status st;
	char *err;              /* the failure's message */
	size_t k0, k1;          /* the listing's keys it covers */
	bool desc;              /* a subfolder's children (else the folder's own entries) */
};

struct par {
	struct listing *l;
	int dfd;
	const char *rel, *full;
	struct seg *s;
	size_t n;
	pthread_mutex_t mu;
	size_t next;            /* the next part to take */
	size_t cut;             /* the first part that failed: none after it is needed */
};

struct lane {
	struct par *p;
	struct walker w;
	struct esc_walk_pool pool;
	pthread_t th;
	bool started;
};

static void run_seg(struct lane *ln, size_t i)
{
	struct par *p = ln->p;
	struct seg *s = &p->s[i];

	ln->w.out = &s->fs;
	ln->w.warns = &s->warns;
	s->st = esc_walk_keys(&ln->w, p->l, p->dfd, p->rel, p->full, s->k0, s->k1, esc_walk_dir);
	if (s->st != ESCROW_OK) {
		s->err = strdup(esc_ctx_message(ln->w.ctx));
		pthread_mutex_lock(&p->mu);
		if (i < p->cut)
			p->cut = i;
		pthread_mutex_unlock(&p->mu);
	} else if (s->fs.n > 0 && s->fs.n < s->fs.cap) {
		struct esc_file *v = realloc(s->fs.v, s->fs.n * sizeof *v); /* its slack, until joined */

		if (v != NULL) {
			s->fs.v = v;
			s->fs.cap = s->fs.n;
		}
	}
}

static void *lane_run(void *arg)
{
	struct lane *ln = arg;
	struct par *p = ln->p;

	for (;;) {
		size_t i = SIZE_MAX;

		pthread_mutex_lock(&p->mu);
		while (p->next < p->cut && !p->s[p->next].desc)
			p->next++;
		if (p->next < p->cut)
			i = p->next++;
		pthread_mutex_unlock(&p->mu);
		if (i == SIZE_MAX)
			return NULL;
		run_seg(ln, i);
	}
}

static void seg_free(struct seg *s, bool pooled)
{
	size_t i;

	if (pooled)
		for (i = 0; i < s->fs.n; i++)
			s->fs.v[i].path = NULL;
	esc_files_free(&s->fs);
	for (i = 0; i < s->warns.n; i++)
		free(s->warns.v[i]);
	free(s->warns.v);
	free(s->err);
}

/* The folder's own entries in runs between its subfolders, a part each. */
static struct seg *cut_parts(const struct listing *l, size_t nd, size_t *n)
{
	struct seg *s = calloc(2 * nd + 1, sizeof *s);
	size_t i, k = 0;

	if (s == NULL)
		return NULL;
	for (i = 0; i < l->n_keys; i++) {
		bool desc = l->keys[i].desc;

		if (desc || k == 0 || s[k - 1].desc)
			s[k++] = (struct seg){.k0 = i, .desc = desc};
		s[k - 1].k1 = i + 1;
	}
	*n = k;
	return s;
}

/* A joined part's records go back, shrunk first: glibc raises its mmap
 * threshold to the size of a mapped block when it is freed, and every later
 * allocation below that (zstd's workspaces) then comes from the heap, which
 * does not give address space back (cli_pack_memory_bound failed). */
static void drop(struct esc_file *v)
{
	struct esc_file *small = v != NULL ? realloc(v, sizeof *v) : NULL;

	free(small != NULL ? small : v);
}

static bool append(struct esc_files *out, struct esc_files *in)
{
	if (out->n + in->n > out->cap) {
		size_t cap = out->cap + out->cap / 8 + 256;
		struct esc_file *v;

		if (cap < out->n + in->n)
			cap = out->n + in->n;
		v = realloc(out->v, cap * sizeof *v);
		if (v == NULL)
			return false;
		out->v = v;
		out->cap = cap;
	}
	if (in->n > 0)
		memcpy(out->v + out->n, in->v, in->n * sizeof *in->v);
	out->n += in->n;
	drop(in->v);
	memset(in, 0, sizeof *in);
	return true;
}

static bool merge_pool(struct esc_walk_pool *to, struct esc_walk_pool *from)
{
	if (to->n + from->n > to->cap) {
		size_t cap = to->n + from->n + 64;
		char **v = realloc(to->blocks, cap * sizeof *v);

		if (v == NULL)
			return false;
		to->blocks = v;
		to->cap = cap;
	}
	if (from->n > 0)
		memcpy(to->blocks + to->n, from->blocks, from->n * sizeof *from->blocks);
	to->n += from->n;
	free(from->blocks);
	memset(from, 0, sizeof *from);
	return true;
}

/* Warnings go on as esc_walk_dir would have given them. */
static escrow_status pass_warns(struct walker *w, struct walk_warns *ws)
{
	size_t i;

	for (i = 0; i < ws->n; i++) {
		char **v;

		if (w->warns == NULL) {
			esc_warn(w->ctx, "%s", ws->v[i]);
			continue;
		}
		v = realloc(w->warns->v, (w->warns->n + 1) * sizeof *v);
		if (v == NULL)
			return esc_nomem(w->ctx);
		w->warns->v = v;
		v[w->warns->n++] = ws->v[i];
		ws->v[i] = NULL;
	}
	return ESCROW_OK;
}

/* Parts in key order: joined up to the first failure, which is the walk's. */
static escrow_status join(struct walker *w, struct par *p, bool pooled)
{
	escrow_status st = ESCROW_OK;
	size_t i;

	for (i = 0; i < p->n; i++) {
		struct seg *s = &p->s[i];

		if (st == ESCROW_OK && i <= p->cut)
			st = pass_warns(w, &s->warns);
		if (st == ESCROW_OK && s->st != ESCROW_OK)
			st = esc_error(w->ctx, s->st, "%s", s->err != NULL ? s->err : "out of memory");
		if (st == ESCROW_OK && !append(w->out, &s->fs))
			st = esc_nomem(w->ctx);
		seg_free(s, pooled);
	}
	return st;
}

static escrow_status split(struct walker *w, struct listing *l, size_t nd, int dfd, const char *rel,
                           const char *full, int lanes)
{
	struct lane ln[PAR_MAX];
	struct par p;
	escrow_status st = ESCROW_OK;
	size_t i;
	int k;

	memset(&p, 0, sizeof p);
	memset(ln, 0, sizeof ln);
	p.l = l;
	p.dfd = dfd;
	p.rel = rel;
	p.full = full;
	p.s = cut_parts(l, nd, &p.n);
	p.cut = p.n;
	if (p.s == NULL || pthread_mutex_init(&p.mu, NULL) != 0) {
		free(p.s);
		return esc_nomem(w->ctx);
	}
	for (k = 0; k < lanes; k++) {
		ln[k].p = &p;
		ln[k].w = *w;
		ln[k].w.ctx = escrow_ctx_new(); /* each part's failure, kept apart */
		ln[k].w.unsorted = false;
		if (k > 0) {
			ln[k].w.pctx = NULL; /* progress is the calling thread's */
			ln[k].w.n_files = ln[k].w.n_bytes = 0;
			ln[k].w.pool = w->pool != NULL ? &ln[k].pool : NULL;
		}
		if (ln[k].w.ctx == NULL)
			st = esc_nomem(w->ctx);
	}
	/* The folder's own entries first: a subfolder's part needs to know
	 * whether its entry was taken as a folder (is_dir). */
	for (i = 0; i < p.n && i < p.cut && st == ESCROW_OK; i++)
		if (!p.s[i].desc)
			run_seg(&ln[0], i);
	for (k = 1; k < lanes && st == ESCROW_OK; k++)
		ln[k].started = pthread_create(&ln[k].th, NULL, lane_run, &ln[k]) == 0;
	if (st == ESCROW_OK)
		lane_run(&ln[0]);
	for (k = 1; k < lanes; k++)
		if (ln[k].started)
			pthread_join(ln[k].th, NULL);
	w->n_files = ln[0].w.n_files;
	w->n_bytes = ln[0].w.n_bytes;
	for (k = 0; k < lanes; k++) {
		if (k > 0) {
			w->n_files += ln[k].w.n_files;
			w->n_bytes += ln[k].w.n_bytes;
		}
		w->unsorted |= ln[k].w.unsorted;
		if (k > 0 && w->pool != NULL && !merge_pool(w->pool, &ln[k].pool) && st == ESCROW_OK)
			st = esc_nomem(w->ctx);
	}
	if (st == ESCROW_OK)
		st = join(w, &p, w->pool != NULL);
	else
		for (i = 0; i < p.n; i++)
			seg_free(&p.s[i], w->pool != NULL);
	for (k = 0; k < lanes; k++) {
		escrow_ctx_free(ln[k].w.ctx);
		if (k > 0)
			esc_walk_pool_free(&ln[k].pool); /* emptied by merge_pool, unless it failed */
	}
	pthread_mutex_destroy(&p.mu);
	free(p.s);
	return st;
}

/* A folder with one subfolder at most: its keys in order here, and the
 * split looked for further down. */
static escrow_status chain(struct walker *w, const char *rel, const char *full)
{
	return esc_walk_par(w, rel, full);
}

escrow_status esc_walk_par(struct walker *w, const char *rel, const char *full)
{
	struct listing l;
	escrow_status st;
	size_t i, nd = 0;
	int lanes;
	DIR *d;

	if (esc_interrupted(w->ictx))
		return esc_error(w->ctx, ESCROW_E_INTERRUPTED, "interrupted");
	d = opendir(full);
	if (d == NULL)
		return esc_error(w->ctx, ESCROW_E_IO, "%s: cannot read the folder: %s", full, strerror(errno));
	memset(&l, 0, sizeof l);
	st = esc_walk_list_dir(w, d, full, &l);
	for (i = 0; i < l.n_keys; i++)
		nd += l.keys[i].desc;
	lanes = w->threads < PAR_MAX ? w->threads : PAR_MAX;
	if (nd < (size_t)lanes)
		lanes = (int)nd;
	if (st == ESCROW_OK && lanes >= 2)
		st = split(w, &l, nd, dirfd(d), rel, full, lanes);
	else if (st == ESCROW_OK)
		st = esc_walk_keys(w, &l, dirfd(d), rel, full, 0, l.n_keys, nd == 1 ? chain : esc_walk_dir);
	closedir(d);
	esc_walk_listing_free(&l);
	return st;
}
