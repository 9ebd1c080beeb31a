/* pack_prefetch.c -- small files are read, hashed and inspected ahead, by
 * two reader threads, while the packing thread puts the previous ones into
 * the tar. On a tree of many small files the per-file work (open, read,
 * SHA-256, inspection) was the slowest stage: one reader kept its core busy
 * while the zstd workers waited. Files are still read once each; the readers
 * claim them in order and the packing thread takes them in order. Only files
 * up to ESC_PF_MAX bytes are taken, and at most PF_SLOTS of them wait in
 * memory. */
#include "esc_pack_stream.h"
#include "esc_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define PF_SLOTS 32
#define PF_READERS 2
/* Wake the other side only every PF_BATCH files: a wake-up per small file
 * cost more than reading it. */
#define PF_BATCH 8
/* Files a reader claims at once (see run). */
#define PF_CLAIM 8

struct pf_slot {
	size_t idx;
	uint8_t *buf;            /* kept between files, grown as needed */
	size_t cap;
	uint8_t sha[32];
	struct esc_inspection insp;
	escrow_status st;
	char err[512];
};

struct esc_prefetch;
struct pf_reader {
	struct esc_prefetch *p;
	esc_sha256 *sha;         /* the reader's own */
};

struct esc_prefetch {
	struct esc_pack_run *r;
	struct esc_prefetch_hooks hooks;
	pthread_t th[PF_READERS];
	int started;
	esc_queue *q;            /* item k is the k-th file taken, in slot[k % PF_SLOTS] */
	/* The readers claim an item and find its file under mu, so items and
	 * files pair in order; no list of them is kept (8 bytes a file). */
	pthread_mutex_t mu;
	size_t next;             /* where the search for the next file taken starts */
	struct pf_slot slot[PF_SLOTS];
	struct pf_reader rd[PF_READERS];
};

bool esc_prefetch_takes(const struct esc_file *f)
{
	return f->type == ESC_FT_FILE && f->size > 0 && f->size <= ESC_PF_MAX;
}

static void fill(struct esc_prefetch *p, struct pf_slot *s, const struct esc_file *f, esc_sha256 *sha)
{
	esc_inspector *in = NULL;
	struct stat sb;
	size_t have = 0;
	int fd;

	s->st = ESCROW_OK;
	fd = openat(p->r->srcfd, f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		s->st = ESCROW_E_IO;
		snprintf(s->err, sizeof s->err, "cannot read: %s%s", strerror(errno), esc_unreadable_fix(errno));
		return;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != f->size) {
		s->st = ESCROW_E_IO;
		snprintf(s->err, sizeof s->err, "changed while packing (run pack again)");
		goto out;
	}
	/* One byte more than the walk saw is asked for: a file that grew
	 * since is told by the same read (see still_as_opened in
	 * pack_stream.c). */
	if (s->cap < f->size + 1) {
		uint8_t *nb = realloc(s->buf, (size_t)f->size + 1);

		if (nb != NULL) {
			s->buf = nb;
			s->cap = (size_t)f->size + 1;
		}
	}
	in = esc_inspect_new(f->path, f->size, p->hooks.wanted(p->r, f->path));
	esc_inspect_also(in, esc_contract_formats_of(p->r->contract, f->path));
	if (s->cap < f->size + 1 || in == NULL) {
		s->st = ESCROW_E_NOMEM;
		snprintf(s->err, sizeof s->err, "out of memory");
		goto out;
	}
	while (have < f->size) {
		ssize_t n = read(fd, s->buf + have, (size_t)f->size + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			s->st = ESCROW_E_IO;
			snprintf(s->err, sizeof s->err, n < 0 ? "read error: %s" : "shrank while packing (run pack again)",
			         strerror(errno));
			goto out;
		}
		have += (size_t)n;
	}
	if (have > f->size) {
		s->st = ESCROW_E_IO;
		snprintf(s->err, sizeof s->err, "changed while packing: it grew while it was read (run pack again "
		         "once nothing writes to it)");
		goto out;
	}
	esc_sha256_reset(sha);
	esc_sha256_update(sha, s->buf, have);
	esc_sha256_final(sha, s->sha);
	esc_inspect_update(in, s->buf, have);
	esc_inspect_final(in, &s->insp);
	in = NULL;
out:
	esc_inspect_free(in);
	close(fd);
}

static void *run(void *arg)
{
	struct pf_reader *rd = arg;
	struct esc_prefetch *p = rd->p;
	size_t seq, n, k;

	for (;;) {
		const struct esc_files *fs = p->r->files;

		/* A run of up to PF_CLAIM files at once: the two readers took
		 * turns on mu for every file, and a million small files made it
		 * the most contended lock of a pack. */
		pthread_mutex_lock(&p->mu);
		n = esc_queue_claim_n(p->q, PF_CLAIM, &seq);
		for (k = 0; k < n; k++) {
			size_t idx;

			for (idx = p->next; idx < fs->n && !esc_prefetch_takes(&fs->v[idx]); idx++)
				;
			p->next = idx + 1;
			/* < fs->n: the queue hands out as many items as there are such files */
			p->slot[(seq + k) % PF_SLOTS].idx = idx;
		}
		pthread_mutex_unlock(&p->mu);
		if (n == 0)
			break;
		for (k = 0; k < n; k++) {
			struct pf_slot *s = &p->slot[(seq + k) % PF_SLOTS];

			fill(p, s, &fs->v[s->idx], rd->sha);
		}
		esc_queue_commit_n(p->q, seq, n, 1);
	}
	return NULL;
}

escrow_status esc_prefetch_start(struct esc_pack_run *r, const struct esc_prefetch_hooks *hooks,
                                 struct esc_prefetch **out)
{
	struct esc_prefetch *p = calloc(1, sizeof *p);
	escrow_status st;
	size_t i, n_taken = 0;
	int k, n = esc_threads(r->ctx) >= 2 ? PF_READERS : 1;

	*out = NULL;
	if (p == NULL)
		return esc_nomem(r->ctx);
	p->r = r;
	p->hooks = *hooks;
	if (pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p);
		return esc_nomem(r->ctx);
	}
	for (i = 0; i < r->files->n; i++)
		n_taken += esc_prefetch_takes(&r->files->v[i]);
	/* Wake the other side only every PF_BATCH files; a Ctrl-C wakes the
	 * packing thread while it waits. */
	st = esc_queue_new(r->ctx, PF_SLOTS, n_taken, PF_BATCH, r->ctx, &p->q);
	if (st != ESCROW_OK) {
		esc_prefetch_free(p);
		return st;
	}
	for (k = 0; k < n; k++) {
		p->rd[k] = (struct pf_reader){p, esc_sha256_new()};
		if (p->rd[k].sha == NULL) {
			esc_prefetch_free(p);
			return esc_nomem(r->ctx);
		}
	}
	for (k = 0; k < n; k++) {
		int rc = pthread_create(&p->th[k], NULL, run, &p->rd[k]);

		if (rc != 0) {
			esc_prefetch_free(p);
			if (rc == EAGAIN || rc == ENOMEM)
				return esc_error(r->ctx, ESCROW_E_NOMEM, "out of memory: cannot start the reading threads (%s)",
				                 strerror(rc));
			return esc_error(r->ctx, ESCROW_E_INTERNAL, "cannot start the reading threads: %s", strerror(rc));
		}
		p->started++;
	}
	*out = p;
	return ESCROW_OK;
}

escrow_status esc_prefetch_file(struct esc_prefetch *p, size_t idx, const char *tarpath)
{
	struct esc_pack_run *r = p->r;
	struct esc_file *f = &r->files->v[idx];
	struct pf_slot *s;
	escrow_status st;
	size_t seq;

	if (!esc_queue_take(p->q, &seq)) {
		if (esc_queue_status(p->q) == ESCROW_E_INTERRUPTED)
			return esc_error(r->ctx, ESCROW_E_INTERRUPTED, "interrupted");
		return esc_error(r->ctx, ESCROW_E_INTERNAL, "%s: read ahead out of step", f->path);
	}
	s = &p->slot[seq % PF_SLOTS];
	if (s->idx != idx) {
		esc_queue_release(p->q);
		return esc_error(r->ctx, ESCROW_E_INTERNAL, "%s: read ahead out of step", f->path);
	}
	st = s->st;
	if (st != ESCROW_OK) {
		st = esc_error(r->ctx, st, "%s: %s", f->path, s->err);
	} else {
		st = esc_ptar_file_begin(r->tar, tarpath, f->mode, f->size, f->mtime);
		if (st == ESCROW_OK && f->size > 0) {
			/* Small files go back to the base level, as in pack_stream.c. */
			st = esc_zw_set_level(r->zw, esc_zw_base_level(r->zw));
			if (st == ESCROW_OK)
				st = esc_ptar_data(r->tar, s->buf, (size_t)f->size);
		}
		if (st == ESCROW_OK)
			st = esc_ptar_file_end(r->tar);
	}
	if (st == ESCROW_OK) {
		memcpy(f->sha256, s->sha, 32);
		f->has_sha256 = true;
		p->hooks.keep(r, f, idx, &s->insp);
		r->done += f->size;
		esc_progress(r->ctx, r->done, r->total);
	}
	esc_inspection_clear(&s->insp);
	esc_queue_release(p->q);
	return st;
}

void esc_prefetch_free(struct esc_prefetch *p)
{
	unsigned i;
	int k;

	if (p == NULL)
		return;
	if (p->q != NULL)
		esc_queue_fail(p->q, ESCROW_E_INTERRUPTED); /* stops the readers */
	for (k = 0; k < p->started; k++)
		pthread_join(p->th[k], NULL);
	for (i = 0; i < PF_SLOTS; i++) {
		free(p->slot[i].buf);
		esc_inspection_clear(&p->slot[i].insp); /* filled, never taken */
	}
	for (k = 0; k < PF_READERS; k++)
		esc_sha256_free(p->rd[k].sha);
	esc_queue_free(p->q);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
