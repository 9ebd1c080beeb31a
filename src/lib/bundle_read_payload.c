/* bundle_read_payload.c -- a payload entry of the tar stream (bundle_read.c):
 * its path judged and recorded, a file's bytes hashed (here, or on the
 * hashing thread) and inspected as they stream by, under the bounds a reader
 * keeps (FORMAT.md, "What a reader may refuse"). */
#include "esc_bundle_run.h"

#include <stdlib.h>
#include <string.h>

struct payload_arg {
	struct esc_file *f;
	esc_inspector *in;
	bool async;                     /* hashed by r->th */
};

static escrow_status payload_block(struct run *r, void *arg, const void *buf, size_t len)
{
	struct payload_arg *pa = arg;
	const struct esc_rd_hooks *hk = r->rd->hooks;

	if (pa->async)
		esc_thash_update(r->th, buf, len);
	else
		esc_sha256_update(r->h, buf, len);
	esc_inspect_update(pa->in, buf, len);
	r->done += len;
	esc_progress(r->ctx, r->done, 0);
	if (hk != NULL && hk->data != NULL)
		return hk->data(hk->user, buf, len);
	return ESCROW_OK;
}

static enum esc_format wanted_format(const escrow_contract *c, const char *path)
{
	const struct esc_deliverable *d = c ? esc_contract_owner(c, path) : NULL;

	/* tf-savedmodel is a folder format, checked over the file list. */
	if (d == NULL || d->format == NULL || strcmp(d->format, "tf-savedmodel") == 0)
		return ESC_FMT_NONE;
	return esc_format_from_name(d->format);
}

/* n bytes of the payload arena, aligned to align; count of them go against
 * the bound on paths and link targets. */
static void *arena_alloc(struct run *r, size_t n, size_t align, size_t count)
{
	char *p;

	if (r->path_bytes + count > MAX_NAME_BYTES) {
		esc_error(r->ctx, ESCROW_TAMPERED, "%s: more than %u MiB of payload paths and link targets", r->rd->path,
		          MAX_NAME_BYTES >> 20);
		return NULL;
	}
	p = esc_rd_arena(r->rd, n, align);
	if (p != NULL)
		r->path_bytes += count;
	return p;
}

/* A copy of s in the payload arena (s need not be NUL-terminated). */
static char *arena_dup(struct run *r, const char *s, size_t n)
{
	char *p = arena_alloc(r, n + 1, 1, n + 1);

	if (p != NULL) {
		memcpy(p, s, n);
		p[n] = '\0';
	}
	return p;
}

/* Every file keeps its findings' flags in its record, whatever their number;
 * their texts are bounded in bytes (esc_notes.h). */
static escrow_status keep_inspection(struct run *r, struct esc_file *f, const struct esc_inspection *in)
{
	f->kind = esc_kind_of(in->kind);
	if (esc_files_note(&r->rd->nfs, f, in) != 0)
		return esc_nomem(r->ctx);
	return ESCROW_OK;
}

/* The hashing thread, started on first use; false when there is none (one
 * thread asked for with -j 1 or one core, or no memory for it): this one
 * hashes then, as it did before there was one. */
bool esc_run_hash_thread(struct run *r)
{
	if (r->th != NULL)
		return true;
	if (r->no_th || esc_threads(r->ctx) < 2)
		return false;
	if ((r->pend = malloc(ESC_THASH_DIGESTS * sizeof *r->pend)) == NULL ||
	    (r->th = esc_thash_new()) == NULL) {
		free(r->pend);
		r->pend = NULL;
		r->no_th = true;
		return false;
	}
	return true;
}

/* A regular file's data: hashed (here, or on the hashing thread) and
 * inspected as it streams by; record idx gets what was learnt. */
static escrow_status payload_file(struct run *r, const char *rel, struct esc_file *f, size_t idx)
{
	struct esc_rd *rd = r->rd;
	struct esc_inspection insp;
	struct payload_arg pa = {NULL, NULL, false};
	uint64_t ticket = 0;
	escrow_status st;

	rd->n_files++;
	rd->n_bytes += f->size;
	pa.f = f;
	pa.in = esc_inspect_new(rel, f->size, wanted_format(rd->contract, rel));
	if (pa.in == NULL)
		return esc_nomem(r->ctx);
	esc_inspect_also(pa.in, esc_contract_formats_of(rd->contract, rel));
	/* Hashed on the hashing thread while this one reads on (not
	 * for extract, whose hooks see each file's digest as it ends). */
	if (f->size > 0 && rd->hooks == NULL && esc_run_hash_thread(r))
		pa.async = true;
	/* An empty file's digest is known: its hash's set-up and
	 * finish were a tenth of reading a million empty files. */
	if (f->size > 0 && !pa.async)
		esc_sha256_reset(r->h);
	st = esc_run_read_data(r, rel, f->size, payload_block, &pa);
	if (st != ESCROW_OK) {
		esc_inspect_free(pa.in);
		return st;
	}
	if (pa.async) {
		/* The ring keeps ESC_THASH_DIGESTS digests: the oldest must be in
		 * their records before this one's end may overwrite its slot (a
		 * frame of 8 MiB holds 8,192 one-byte files). */
		if (r->npend == ESC_THASH_DIGESTS)
			esc_run_hash_sync(r);
		ticket = esc_thash_end(r->th); /* the digest comes into the record at the next hash_sync */
	}
	else if (f->size > 0)
		esc_sha256_final(r->h, f->sha256);
	else
		memcpy(f->sha256, r->empty_sha256, 32);
	f->has_sha256 = true;
	memset(&insp, 0, sizeof insp);
	esc_inspect_final(pa.in, &insp);
	st = keep_inspection(r, f, &insp);
	esc_inspection_clear(&insp);
	if (st == ESCROW_OK)
		st = esc_rd_put(rd, idx, f);
	if (st != ESCROW_OK)
		return st;
	if (pa.async) {
		r->pend[r->npend].idx = idx;
		r->pend[r->npend++].ticket = ticket;
	}
	return ESCROW_OK;
}

escrow_status esc_run_payload_entry(struct run *r, const char *rel, char type)
{
	struct esc_rd *rd = r->rd;
	const struct esc_rd_hooks *hk = rd->hooks;
	const char *slash = strrchr(rel, '/');
	struct esc_file rec, *f = &rec;
	struct esc_link link = {NULL, NULL, false};
	uint32_t pref;
	size_t idx;
	escrow_status st;

	if (rd->n_rec > 0 && strcmp(esc_rd_path(rd, rd->n_rec - 1), rel) >= 0)
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: payload entry 'data/%s' %s", rd->path, rel,
		                 strcmp(esc_rd_path(rd, rd->n_rec - 1), rel) == 0 ? "appears twice" :
		                 "is out of order (payload entries are sorted by path)");
	if (rd->n_rec >= MAX_ENTRIES)
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: more than %u payload entries", rd->path, MAX_ENTRIES);
	if (strlen(rel) > MAX_PATH_BYTES)
		return esc_error(r->ctx, ESCROW_UNSAFE, "%s: payload path 'data/%.64s...' longer than %u bytes",
		                 rd->path, rel, MAX_PATH_BYTES);
	if (slash != NULL) {
		long pi = esc_rd_find_parent(rd, rel, (size_t)(slash - rel));

		if (pi < 0 || esc_rd_type(rd, (size_t)pi) != ESC_FT_DIR)
			return esc_error(r->ctx, ESCROW_UNSAFE, "%s: payload entry 'data/%s' is not inside a folder of "
			                 "the bundle", rd->path, rel);
	}
	memset(f, 0, sizeof *f);
	f->path = arena_dup(r, rel, strlen(rel));
	if (f->path == NULL)
		return escrow_ctx_status(r->ctx);
	pref = esc_rd_arena_ref(rd, f->path); /* before the target may open another chunk */
	f->type = type == '5' ? ESC_FT_DIR : type == '2' ? ESC_FT_SYMLINK : ESC_FT_FILE;
	f->size = r->cur.size;
	f->mode = r->cur.perm & 0777u;
	f->mtime = r->cur.mtime;
	if (f->type == ESC_FT_SYMLINK) {
		const char *t = r->cur.link;

		if (t == NULL || *t == '\0' || strlen(t) > MAX_PATH_BYTES)
			return esc_error(r->ctx, ESCROW_TAMPERED, "%s: symlink 'data/%s' has no usable target", rd->path,
			                 rel);
		if (*t == '/')
			return esc_error(r->ctx, ESCROW_UNSAFE, "%s: symlink 'data/%s' points to an absolute path",
			                 rd->path, rel);
		link.target = arena_dup(r, t, strlen(t));
		if (link.target == NULL)
			return escrow_ctx_status(r->ctx);
		f->link = &link;
	}
	st = esc_rd_push(rd, f, pref, &idx);
	if (st != ESCROW_OK)
		return st;
	if (hk != NULL && hk->begin != NULL) {
		st = hk->begin(hk->user, f);
		if (st != ESCROW_OK)
			return st;
	}
	if (f->type == ESC_FT_FILE) {
		st = payload_file(r, rel, f, idx);
		if (st != ESCROW_OK)
			return st;
	}
	if (hk != NULL && hk->end != NULL)
		return hk->end(hk->user, f);
	return ESCROW_OK;
}
