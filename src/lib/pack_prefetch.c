/* pack_prefetch.c -- small files are read, hashed and inspected ahead, in a
 * thread of their own, while the packing thread puts the previous ones into
 * the tar. On a tree of many small files the per-file work (open, read,
 * SHA-256, inspection) was the slowest stage, and it ran on one core.
 * Files are still read once, in order; only files up to PF_MAX bytes are
 * taken, and at most PF_SLOTS of them wait in memory. */
#include "esc_pack_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PF_SLOTS 32
/* Wake the other side only every PF_BATCH files: a wake-up per small file
 * cost more than reading it. */
#define PF_BATCH 8

struct pf_slot {
	size_t idx;
	uint8_t *buf;            /* kept between files, grown as needed */
	size_t cap;
	uint8_t sha[32];
	struct esc_inspection insp;
	escrow_status st;
	char err[512];
};

struct esc_prefetch {
	struct esc_pack_run *r;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	struct pf_slot slot[PF_SLOTS];
	unsigned tail, count;
	bool done, stop;
	esc_sha256 *sha;
};

bool esc_prefetch_takes(const struct esc_file *f)
{
	return f->type == ESC_FT_FILE && f->size <= ESC_PF_MAX;
}

static void fill(struct esc_prefetch *p, struct pf_slot *s, const struct esc_file *f)
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
	esc_sha256_reset(p->sha);
	esc_sha256_update(p->sha, s->buf, have);
	esc_sha256_final(p->sha, s->sha);
	esc_inspect_update(in, s->buf, have);
	esc_inspect_final(in, &s->insp);
	in = NULL;
out:
	esc_inspect_free(in);
	close(fd);
}

static void *run(void *arg)
{
	struct esc_prefetch *p = arg;
	size_t i;

	for (i = 0; i < p->r->files->n; i++) {
		const struct esc_file *f = &p->r->files->v[i];
		struct pf_slot *s;
		bool stop;

		if (!esc_prefetch_takes(f))
			continue;
		pthread_mutex_lock(&p->mu);

		while (p->count == PF_SLOTS && !p->stop)
			pthread_cond_wait(&p->can_put, &p->mu);
		s = &p->slot[(p->tail + p->count) % PF_SLOTS];
		stop = p->stop;
		pthread_mutex_unlock(&p->mu);
		if (stop)
			break;
		s->idx = i;
		fill(p, s, f);
		pthread_mutex_lock(&p->mu);
		p->count++;
		if (p->count >= PF_BATCH)
			pthread_cond_signal(&p->can_take);
		pthread_mutex_unlock(&p->mu);
	}
	pthread_mutex_lock(&p->mu);
	p->done = true;
	pthread_cond_signal(&p->can_take);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

escrow_status esc_prefetch_start(struct esc_pack_run *r, struct esc_prefetch **out)
{
	struct esc_prefetch *p = calloc(1, sizeof *p);

	*out = NULL;
	if (p == NULL)
		return esc_error(r->ctx, ESCROW_E_NOMEM, "out of memory");
	p->r = r;
	pthread_mutex_init(&p->mu, NULL);
	pthread_cond_init(&p->can_put, NULL);
	pthread_cond_init(&p->can_take, NULL);
	p->sha = esc_sha256_new();
	if (p->sha == NULL) {
		esc_prefetch_free(p);
		return esc_error(r->ctx, ESCROW_E_NOMEM, "out of memory");
	}
	if (pthread_create(&p->th, NULL, run, p) != 0) {
		esc_prefetch_free(p);
		return esc_error(r->ctx, ESCROW_E_INTERNAL, "cannot start the reading thread");
	}
	p->started = true;
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
	while (p->count == 0 && !p->done) {
		/* The reader may be on a big file it skips: never wait for a batch
		 * that cannot come. */
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		ts.tv_nsec += 2000000;
		if (ts.tv_nsec >= 1000000000) {
			ts.tv_sec++;
			ts.tv_nsec -= 1000000000;
		}
		pthread_cond_timedwait(&p->can_take, &p->mu, &ts);
	}
	s = p->count ? &p->slot[p->tail] : NULL;
	pthread_mutex_unlock(&p->mu);
	if (s == NULL || s->idx != idx)
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
	p->tail = (p->tail + 1) % PF_SLOTS;
	p->count--;
	if (p->count <= PF_SLOTS - PF_BATCH)
		pthread_cond_signal(&p->can_put);
	pthread_mutex_unlock(&p->mu);
	return st;
}

void esc_prefetch_free(struct esc_prefetch *p)
{
	unsigned i;

	if (p == NULL)
		return;
	if (p->started) {
		pthread_mutex_lock(&p->mu);
		p->stop = true;
		pthread_cond_signal(&p->can_put);
		pthread_mutex_unlock(&p->mu);
		pthread_join(p->th, NULL);
	}
	for (i = 0; i < PF_SLOTS; i++)
		free(p->slot[i].buf);
	esc_sha256_free(p->sha);
	pthread_mutex_destroy(&p->mu);
	pthread_cond_destroy(&p->can_put);
	pthread_cond_destroy(&p->can_take);
	free(p);
}
