/* pack_prefetch.c -- small files are read, hashed and inspected ahead, by
 * two reader threads, while the packing thread puts the previous ones into
 * the tar. On a tree of many small files the per-file work (open, read,
 * SHA-256, inspection) was the slowest stage: one reader kept its core busy
 * while the zstd workers waited. Files are still read once each; the readers
 * claim them in order and the packing thread takes them in order. Only files
 * up to ESC_PF_MAX bytes are taken, and at most PF_SLOTS of them wait in
 * memory. */
#include "esc_pack_stream.h"

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

struct pf_slot {
	size_t idx;
	bool ready;
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
	pthread_t th[PF_READERS];
	int started;
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	size_t *order;           /* the files the readers take, in payload order */
	size_t n_order;
	size_t claimed;          /* order[claimed] is the next file to read */
	size_t consumed;         /* order[consumed] is the next file to pack */
	size_t want;             /* the packing thread waits until this one is in */
	bool taker_waits;
	int putters_wait;
	bool stop;
	struct pf_slot slot[PF_SLOTS]; /* order[k] goes to slot[k % PF_SLOTS] */
	struct pf_reader rd[PF_READERS];
};

bool esc_prefetch_takes(const struct esc_file *f)
{
	return f->type == ESC_FT_FILE && f->size <= ESC_PF_MAX;
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
		snprintf(s->err, sizeof s->err, "cannot read: %s", strerror(errno));
		return;
	}
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != f->size) {
		s->st = ESCROW_E_IO;
		snprintf(s->err, sizeof s->err, "changed while packing (run pack again)");
		goto out;
	}
	if (s->cap < f->size) {
		uint8_t *nb = realloc(s->buf, (size_t)f->size);

		if (nb != NULL) {
			s->buf = nb;
			s->cap = (size_t)f->size;
		}
	}
	in = esc_inspect_new(f->path, f->size, esc_pack_wanted_format(p->r, f->path));
	if ((f->size > 0 && s->cap < f->size) || in == NULL) {
		s->st = ESCROW_E_NOMEM;
		snprintf(s->err, sizeof s->err, "out of memory");
		goto out;
	}
	while (have < f->size) {
		ssize_t n = read(fd, s->buf + have, (size_t)f->size - have);

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

/* Whether every file from consumed to want is in (called locked). */
static bool batch_ready(const struct esc_prefetch *p)
{
	size_t k;

	for (k = p->consumed; k <= p->want; k++)
		if (!p->slot[k % PF_SLOTS].ready)
			return false;
	return true;
}

static void *run(void *arg)
{
	struct pf_reader *rd = arg;
	struct esc_prefetch *p = rd->p;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct pf_slot *s;
		size_t seq;

		while (!p->stop && p->claimed < p->n_order && p->claimed - p->consumed >= PF_SLOTS) {
			p->putters_wait++;
			pthread_cond_wait(&p->can_put, &p->mu);
			p->putters_wait--;
		}
		if (p->stop || p->claimed >= p->n_order)
			break;
		seq = p->claimed++;
		s = &p->slot[seq % PF_SLOTS];
		pthread_mutex_unlock(&p->mu);
		s->idx = p->order[seq];
		fill(p, s, &p->r->files->v[s->idx], rd->sha);
		pthread_mutex_lock(&p->mu);
		s->ready = true;
		if (p->taker_waits && batch_ready(p))
			pthread_cond_signal(&p->can_take);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}


escrow_status esc_prefetch_start(struct esc_pack_run *r, struct esc_prefetch **out)
{
	struct esc_prefetch *p = calloc(1, sizeof *p);
	size_t i;
	int k, n = esc_threads(r->ctx) >= 2 ? PF_READERS : 1;

	*out = NULL;
	if (p == NULL)
		return esc_nomem(r->ctx);
	p->r = r;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->can_put, NULL);
	pthread_cond_init(&p->can_take, NULL);
	p->order = malloc((r->files->n + 1) * sizeof *p->order);
	if (p->order == NULL) {
		esc_prefetch_free(p);
		return esc_nomem(r->ctx);
	}
	for (i = 0; i < r->files->n; i++)
		if (esc_prefetch_takes(&r->files->v[i]))
			p->order[p->n_order++] = i;
	for (k = 0; k < n; k++) {
		p->rd[k] = (struct pf_reader){p, esc_sha256_new()};
		if (p->rd[k].sha == NULL) {
			esc_prefetch_free(p);
			return esc_nomem(r->ctx);
		}
	}
	for (k = 0; k < n; k++) {
		if (pthread_create(&p->th[k], NULL, run, &p->rd[k]) != 0) {
			esc_prefetch_free(p);
			return esc_error(r->ctx, ESCROW_E_INTERNAL, "cannot start the reading threads");
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

	pthread_mutex_lock(&p->mu);
	if (p->consumed >= p->n_order) {
		pthread_mutex_unlock(&p->mu);
		return esc_error(r->ctx, ESCROW_E_INTERNAL, "%s: read ahead out of step", f->path);
	}
	s = &p->slot[p->consumed % PF_SLOTS];
	if (!s->ready) {
		/* Wait for a batch, or for what is left when less is. */
		p->want = p->consumed + PF_BATCH - 1 < p->n_order ? p->consumed + PF_BATCH - 1 : p->n_order - 1;
		while (!batch_ready(p)) {
			p->taker_waits = true;
			pthread_cond_wait(&p->can_take, &p->mu);
			p->taker_waits = false;
		}
	}
	pthread_mutex_unlock(&p->mu);
	if (s->idx != idx)
		return esc_error(r->ctx, ESCROW_E_INTERNAL, "%s: read ahead out of step", f->path);
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
		esc_pack_keep_findings(r, f, idx, &s->insp);
		r->done += f->size;
		esc_progress(r->ctx, r->done, r->total);
	}
	pthread_mutex_lock(&p->mu);
	s->ready = false;
	p->consumed++;
	if (p->putters_wait > 0 && p->claimed - p->consumed <= PF_SLOTS - PF_BATCH)
		pthread_cond_broadcast(&p->can_put);
	pthread_mutex_unlock(&p->mu);
	return st;
}

void esc_prefetch_free(struct esc_prefetch *p)
{
	unsigned i;
	int k;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->stop = true;
	pthread_cond_broadcast(&p->can_put);
	pthread_mutex_unlock(&p->mu);
	for (k = 0; k < p->started; k++)
		pthread_join(p->th[k], NULL);
	for (i = 0; i < PF_SLOTS; i++)
		free(p->slot[i].buf);
	for (k = 0; k < PF_READERS; k++)
		esc_sha256_free(p->rd[k].sha);
	free(p->order);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->can_put);
	pthread_cond_destroy(&p->can_take);
	free(p);
}
