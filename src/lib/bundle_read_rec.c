/* bundle_read_rec.c -- the payload records while the stream goes by. A
 * million entries are kept until the manifests arrive at the end, beside the
 * tag frame's zstd window and the reader's queue: so each is 52 bytes here
 * (struct esc_rrec: digest, findings, the path as an offset in the reader's
 * arena, size and mtime in 32 bits each), against struct esc_file's 80. What
 * does not fit (sizes of 4 GiB and more, mtimes more than 68 years from the
 * first entry's, symlinks, findings texts) goes to small side tables kept in
 * record order, found by binary search. esc_rd_records_done turns them into
 * the struct esc_file records the verdict and the reports read, once the
 * stream (its window and queue) is gone; their links go to the arena. */
#include "esc_bundle_read.h"

#include <stdlib.h>
#include <string.h>

/* Records in chunks of 65536 (3.4 MB, the first one grown as it fills),
 * paths in arena chunks of 64 KiB: a bundle of a few files takes little more
 * than its files need, so that the cost of an entry shows from the first
 * ones (cli_read_memory). */
#define RCHUNK_LOG 16u
#define RCHUNK (1u << RCHUNK_LOG)
#define ARENA_LOG 16u
/* past glibc's largest mmap threshold: see esc_rd_records_done */
#define FIRST_STEP (((size_t)32 << 20) / sizeof(struct esc_file) + 1)

enum {
	RR_TYPE = 3u,          /* enum esc_ftype */
	RR_EXEC = 1u << 2,     /* files: mode 0755 (else 0644) */
	RR_SHA = 1u << 3,      /* has_sha256 */
	RR_TODIR = 1u << 4,    /* link_to_dir */
	RR_BIG = 1u << 5,      /* size and mtime are in rd->rbig */
	RR_NOTE = 1u << 6,     /* note is in rd->rnote (not a symlink) */
	RR_LINK = 1u << 7      /* a symlink: its record in rd->rlink */
};

struct esc_rrec {
	uint8_t sha256[32];
	uint32_t path;         /* arena chunk << ARENA_LOG | offset */
	uint32_t size;         /* RR_BIG: 0 */
	int32_t mtime;         /* minus rd->mtime_base; RR_BIG: 0 */
	struct esc_fnd fnd;
	uint8_t kind;
	uint8_t bits;          /* RR_* */
};
_Static_assert(sizeof(struct esc_rrec) == 52, "a million payload records are kept while the stream goes by");

struct esc_rlink {
	uint32_t i;
	uint32_t note;
	struct esc_link l;     /* its strings in the arena */
};
struct esc_rbig {
	uint32_t i;
	uint64_t size;
	int64_t mtime;
};
struct esc_rnote {
	uint32_t i;
	uint32_t note;
};

/* Grows a side table by one slot (zeroed); NULL when out of memory. */
static void *grow(void **v, size_t *n, size_t *cap, size_t size)
{
	char *p;

	if (*n == *cap) {
		size_t nc = *cap ? *cap * 2 : 16;
		void *nv = realloc(*v, nc * size);

		if (nv == NULL)
			return NULL;
		*v = nv;
		*cap = nc;
	}
	p = (char *)*v + (*n)++ * size;
	memset(p, 0, size);
	return p;
}

/* The side table entry of record i (tables are in record order). */
static void *side(const void *v, size_t n, size_t size, uint32_t i)
{
	size_t lo = 0, hi = n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		uint32_t k = *(const uint32_t *)((const char *)v + mid * size);

		if (k == i)
			return (char *)v + mid * size;
		if (k < i)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static struct esc_rrec *rec(const struct esc_rd *rd, size_t i)
{
	return &rd->rch[i >> RCHUNK_LOG][i & (RCHUNK - 1)];
}

static struct esc_rlink *link_of(const struct esc_rd *rd, size_t i)
{
	return side(rd->rlink, rd->n_rlink, sizeof *rd->rlink, (uint32_t)i);
}

size_t esc_rd_count(const struct esc_rd *rd)
{
	return rd->files.v != NULL ? rd->files.n : rd->n_rec;
}

static const char *rec_path(const struct esc_rd *rd, size_t i)
{
	uint32_t p = rec(rd, i)->path;

	return rd->arena[p >> ARENA_LOG] + (p & ((1u << ARENA_LOG) - 1));
}

const char *esc_rd_path(const struct esc_rd *rd, size_t i)
{
	return rd->files.v != NULL ? rd->files.v[i].path : rec_path(rd, i);
}

unsigned esc_rd_type(const struct esc_rd *rd, size_t i)
{
	return rd->files.v != NULL ? rd->files.v[i].type : rec(rd, i)->bits & RR_TYPE;
}

/* Record i as a struct esc_file; its link (symlinks) is rd->rlink's, valid
 * until the next record is pushed. */
static void rec_get(const struct esc_rd *rd, size_t i, struct esc_file *f)
{
	const struct esc_rrec *r = rec(rd, i);

	memset(f, 0, sizeof *f);
	f->path = (char *)rec_path(rd, i);
	f->type = r->bits & RR_TYPE;
	f->mode = f->type == ESC_FT_SYMLINK ? 0777 : f->type == ESC_FT_DIR || (r->bits & RR_EXEC) ? 0755 : 0644;
	if (r->bits & RR_BIG) {
		const struct esc_rbig *b = side(rd->rbig, rd->n_rbig, sizeof *b, (uint32_t)i);

		f->size = b->size;
		f->mtime = b->mtime;
	} else {
		f->size = r->size;
		f->mtime = rd->mtime_base + r->mtime;
	}
	memcpy(f->sha256, r->sha256, 32);
	f->fnd = r->fnd;
	f->kind = r->kind;
	f->has_sha256 = (r->bits & RR_SHA) != 0;
	f->link_to_dir = (r->bits & RR_TODIR) != 0;
	if (r->bits & RR_LINK) {
		struct esc_rlink *l = link_of(rd, i);

		f->link = &l->l;
		f->note = l->note;
	} else if (r->bits & RR_NOTE) {
		f->note = ((const struct esc_rnote *)side(rd->rnote, rd->n_rnote, sizeof *rd->rnote, (uint32_t)i))->note;
	}
}

void esc_rd_get(const struct esc_rd *rd, size_t i, struct esc_file *f)
{
	if (rd->files.v != NULL)
		*f = rd->files.v[i];
	else
		rec_get(rd, i, f);
}

void *esc_rd_arena(struct esc_rd *rd, size_t n, size_t align)
{
	size_t skip = (size_t)(-(uintptr_t)rd->arena_cur & (align - 1));
	char *p;

	if (rd->arena_left < n + skip) {
		char **na = realloc(rd->arena, (rd->n_arena + 1) * sizeof *na);

		if (na == NULL || (na[rd->n_arena] = malloc((size_t)1 << ARENA_LOG)) == NULL) {
			if (na != NULL)
				rd->arena = na;
			esc_nomem(rd->ctx);
			return NULL;
		}
		rd->arena = na;
		rd->arena_cur = na[rd->n_arena++];
		rd->arena_left = (size_t)1 << ARENA_LOG;
		skip = 0; /* malloc's chunks are aligned */
	}
	p = rd->arena_cur + skip;
	rd->arena_cur += skip + n;
	rd->arena_left -= skip + n;
	return p;
}

uint32_t esc_rd_arena_ref(const struct esc_rd *rd, const char *p)
{
	return (uint32_t)((rd->n_arena - 1) << ARENA_LOG | (size_t)(p - rd->arena[rd->n_arena - 1]));
}

escrow_status esc_rd_put(struct esc_rd *rd, size_t i, const struct esc_file *f)
{
	struct esc_rrec *r = rec(rd, i);

	memcpy(r->sha256, f->sha256, 32);
	r->fnd = f->fnd;
	r->kind = f->kind;
	r->bits = (uint8_t)((r->bits & ~(RR_SHA | RR_TODIR)) | (f->has_sha256 ? RR_SHA : 0) |
	                    (f->link_to_dir ? RR_TODIR : 0));
	if (r->bits & RR_LINK) {
		link_of(rd, i)->note = f->note;
	} else if (f->note != 0) {
		struct esc_rnote *n = rd->n_rnote > 0 ? &rd->rnote[rd->n_rnote - 1] : NULL;

		/* a file's findings are kept as it ends: the last record */
		if (n == NULL || n->i != (uint32_t)i) {
			n = grow((void **)&rd->rnote, &rd->n_rnote, &rd->cap_rnote, sizeof *n);
			if (n == NULL)
				return esc_nomem(rd->ctx);
			n->i = (uint32_t)i;
		}
		n->note = f->note;
		r->bits |= RR_NOTE;
	}
	return ESCROW_OK;
}

void esc_rd_put_sha256(struct esc_rd *rd, size_t i, const uint8_t sha256[32])
{
	memcpy(rec(rd, i)->sha256, sha256, 32);
}

escrow_status esc_rd_push(struct esc_rd *rd, const struct esc_file *f, uint32_t path, size_t *idx)
{
	size_t i = rd->n_rec;
	struct esc_rrec *r;
	int64_t d;

	if (i < RCHUNK && i == rd->rch0_cap) {
		size_t cap = i ? i * 2 : 64;
		struct esc_rrec *c0;

		if (rd->rch == NULL && (rd->rch = calloc(1, sizeof *rd->rch)) == NULL)
			return esc_nomem(rd->ctx);
		if ((c0 = realloc(rd->rch[0], cap * sizeof *c0)) == NULL)
			return esc_nomem(rd->ctx);
		rd->rch[0] = c0;
		rd->rch0_cap = cap;
	} else if (i >= RCHUNK && (i & (RCHUNK - 1)) == 0) {
		struct esc_rrec **nc = realloc(rd->rch, ((i >> RCHUNK_LOG) + 1) * sizeof *nc);

		if (nc == NULL)
			return esc_nomem(rd->ctx);
		rd->rch = nc;
		if ((nc[i >> RCHUNK_LOG] = malloc(RCHUNK * sizeof **nc)) == NULL)
			return esc_nomem(rd->ctx);
	}
	if (i == 0)
		rd->mtime_base = f->mtime;
	r = rec(rd, i);
	memset(r, 0, sizeof *r);
	r->path = path;
	r->bits = (uint8_t)(f->type | (f->type == ESC_FT_FILE && (f->mode & 0111) ? RR_EXEC : 0));
	d = f->mtime - rd->mtime_base;
	/* both sides are int64: the subtraction may only be made when it cannot overflow */
	if (f->size < UINT32_MAX && (f->mtime >= 0) == (rd->mtime_base >= 0) && d > INT32_MIN && d <= INT32_MAX) {
		r->size = (uint32_t)f->size;
		r->mtime = (int32_t)d;
	} else {
		struct esc_rbig *b = grow((void **)&rd->rbig, &rd->n_rbig, &rd->cap_rbig, sizeof *b);

		if (b == NULL)
			return esc_nomem(rd->ctx);
		b->i = (uint32_t)i;
		b->size = f->size;
		b->mtime = f->mtime;
		r->bits |= RR_BIG;
	}
	if (f->type == ESC_FT_SYMLINK) {
		struct esc_rlink *l = grow((void **)&rd->rlink, &rd->n_rlink, &rd->cap_rlink, sizeof *l);

		if (l == NULL)
			return esc_nomem(rd->ctx);
		l->i = (uint32_t)i;
		l->l.target = f->link != NULL ? f->link->target : NULL;
		r->bits |= RR_LINK;
	}
	rd->n_rec++;
	*idx = i;
	return ESCROW_OK;
}

escrow_status esc_rd_records_done(struct esc_rd *rd)
{
	size_t n = rd->n_rec, done, end, i, k;

	if (rd->files.v != NULL || n == 0)
		return ESCROW_OK;
	/* Grown chunk by chunk as the compact records are let go, so that both
	 * are never held whole at once (in address space either). The first
	 * step is past glibc's largest mmap threshold (32 MiB): freeing the
	 * stream's 16 MiB window raised it, and a heap block grown past it would
	 * be copied out and left behind, resident (15 MB at a million records). */
	for (done = 0; done < n; done = end) {
		struct esc_file *nv;

		end = (done / RCHUNK + 1) * RCHUNK;
		if (end < FIRST_STEP)
			end = FIRST_STEP;
		if (end > n)
			end = n;
		nv = realloc(rd->files.v, end * sizeof *nv);
		if (nv == NULL)
			goto nomem;
		rd->files.v = nv;
		for (i = done; i < end; i++) {
			struct esc_file *f = &nv[i];
			struct esc_link *l;

			rec_get(rd, i, f);
			if (f->link == NULL)
				continue;
			/* into the arena, which list and the vault's diff take along */
			l = esc_rd_arena(rd, sizeof *l, _Alignof(struct esc_link));
			if (l == NULL)
				goto nomem;
			*l = *f->link;
			f->link = l;
		}
		/* the chunks now converted whole */
		for (k = done / RCHUNK; k < (end == n ? (n + RCHUNK - 1) / RCHUNK : end / RCHUNK); k++) {
			free(rd->rch[k]);
			rd->rch[k] = NULL;
		}
	}
	rd->files.n = rd->files.cap = n;
	rd->files.notes = rd->nfs.notes;
	rd->nfs.notes = NULL;
	esc_rd_records_free(rd, false);
	rd->n_rec = 0; /* files holds them (and list or the vault may take them away) */
	return ESCROW_OK;
nomem:
	esc_rd_records_free(rd, true);
	return esc_nomem(rd->ctx);
}

void esc_rd_records_free(struct esc_rd *rd, bool all)
{
	size_t k;

	for (k = 0; rd->rch != NULL && (k == 0 || k * RCHUNK < rd->n_rec); k++)
		free(rd->rch[k]);
	free(rd->rch);
	rd->rch = NULL;
	rd->rch0_cap = 0;
	free(rd->rbig);
	free(rd->rnote);
	rd->rbig = NULL;
	rd->rnote = NULL;
	rd->n_rbig = rd->cap_rbig = rd->n_rnote = rd->cap_rnote = 0;
	esc_notes_free(rd->nfs.notes);
	rd->nfs.notes = NULL;
	free(rd->rlink);
	rd->rlink = NULL;
	rd->n_rlink = rd->cap_rlink = 0;
	if (!all)
		return;
	free(rd->files.v);
	memset(&rd->files, 0, sizeof rd->files);
	rd->n_rec = 0;
}
