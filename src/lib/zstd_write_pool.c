/* zstd_write_pool.c -- the payload as independent zstd frames, compressed on
 * every core and written in order (pzstd's scheme). The caller copies bytes
 * into the frame it fills; a full frame (ESC_ZW_FRAME_MAX bytes), or one
 * ended early, goes to the workers, each of which compresses whole frames
 * with a single-threaded context of its own (ZSTD_compress2: the content
 * size goes into the frame header, the content checksum after the last
 * block). Finished frames are written by the caller, in order.
 *
 * Not libzstd's own workers with a pledged size per frame: each frame end
 * waits for every job of the frame, so workers idle at every frame end, and
 * a pledged size needs the frame's length before its first byte, which a
 * level change mid-frame does not give. On the 1 GB tree's tar stream
 * (4 MiB frames, 2 workers, medians of 3 at load 8): 8.9 s wall and 4.1 s
 * of CPU here, 10.4 s and 4.7 s with libzstd's workers.
 *
 * Determinism: a frame's bytes depend only on its content and its level;
 * where frames end depends only on byte counts and on the level changes
 * the caller asks for. The number of workers changes neither.
 *
 * Memory: THREADS + 1 frames in flight (one per worker, and the one the
 * caller fills, which a worker takes as soon as it finishes), each an input
 * buffer of ESC_ZW_FRAME_MAX and an output buffer of its compress bound;
 * plus each worker's context: about 9 MiB per worker at 4 MiB frames. A
 * spare frame (THREADS + 2) cost 8 MiB more for the same time on the 1 GB
 * tree (-j 2, medians of 3: 8.8 s against 8.6 s at load 10). */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_c_literalCompressionMode; a stable enum value */
#include "esc_pack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <zstd.h>
#include <zstd_errors.h>

/* log2 of ESC_ZW_FRAME_MAX: a frame's window holds all of it */
#define ZW_FRAME_WINDOW_LOG 22
_Static_assert((1u << ZW_FRAME_WINDOW_LOG) == ESC_ZW_FRAME_MAX, "a frame's window covers the frame");

enum slot_state { SLOT_FREE, SLOT_QUEUED, SLOT_DONE };

struct zp_slot {
	uint8_t *in, *out;
	size_t len, out_len;
	int level;
	enum slot_state state;
	size_t err;             /* a zstd error code from the worker, or 0 */
};

struct zp_worker {
	esc_zpool *p;
	ZSTD_CCtx *cctx;
	pthread_t th;
};

struct esc_zpool {
	escrow_ctx *ctx;
	struct esc_sink next;
	size_t out_cap;
	struct zp_slot *slot;
	size_t n_slots;
	struct zp_worker *w;
	int n_workers, started;
	pthread_mutex_t mu;
	pthread_cond_t work;    /* workers: a frame was queued, or quit */
	pthread_cond_t done;    /* caller: a frame was compressed */
	bool quit;
	/* sequence numbers: frame f lives in slot f % n_slots */
	size_t queued;          /* frames handed to the workers (the one filled is this one) */
	size_t taken;           /* frames a worker took */
	size_t written;         /* frames written out */
	bool filling;           /* slot queued % n_slots is claimed by the caller */
	int level;
	escrow_status failed;   /* sticky: the first failure */
};

/* A frame is compressed alone, so the level's window and tables, sized for
 * a stream, leave gains on the table: for levels 1-9 the window covers the
 * whole frame and the hash and chain tables are twice the level's.
 * /usr/lib/python3's tar stream in 4 MiB frames at level 3: 101.06 MB with
 * the level's own parameters (a single stream: 100.10 MB), 99.78 MB with
 * these; tables four times the level's give 99.28 MB but cost 2.25 MiB more
 * per worker, which a million-entry pack cannot spare (its peak is in the
 * payload phase: 124.7 -> 129.3 MiB against the 128 MiB budget); twice cost
 * 0.75 MiB per worker. A generated source tree with little to find
 * (bench/gen.c): -0.03%. Faster levels keep theirs (their speed is the
 * point), higher ones have large tables already. Depends only on the level:
 * the bytes stay the same for any number of workers. */
static size_t frame_params(ZSTD_CCtx *c, int level)
{
	ZSTD_compressionParameters cp = ZSTD_getCParams(level, ESC_ZW_FRAME_MAX, 0);
	bool tune = level >= 1 && level <= 9;
	size_t r = ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, level);

	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, tune ? ZW_FRAME_WINDOW_LOG : 0);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(c, ZSTD_c_hashLog, tune ? (int)cp.hashLog + 1 : 0);
	if (!ZSTD_isError(r))
		r = ZSTD_CCtx_setParameter(c, ZSTD_c_chainLog, tune ? (int)cp.chainLog + 1 : 0);
	return r;
}

static void *work(void *arg)
{
	struct zp_worker *w = arg;
	esc_zpool *p = w->p;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		struct zp_slot *s;
		size_t r;

		while (!p->quit && p->taken == p->queued)
			pthread_cond_wait(&p->work, &p->mu);
		if (p->quit)
			break;
		s = &p->slot[p->taken++ % p->n_slots];
		pthread_mutex_unlock(&p->mu);
		r = frame_params(w->cctx, s->level);
		if (!ZSTD_isError(r))
			r = ZSTD_compress2(w->cctx, s->out, p->out_cap, s->in, s->len);
		pthread_mutex_lock(&p->mu);
		s->err = ZSTD_isError(r) ? r : 0;
		s->out_len = ZSTD_isError(r) ? 0 : r;
		s->state = SLOT_DONE;
		pthread_cond_broadcast(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static escrow_status fail(esc_zpool *p, escrow_status st)
{
	if (p->failed == ESCROW_OK)
		p->failed = st;
	return st;
}

static escrow_status zstd_failed(esc_zpool *p, size_t r)
{
	if (ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
		return fail(p, esc_nomem(p->ctx));
	return fail(p, esc_error(p->ctx, ESCROW_E_INTERNAL, "zstd: %s", ZSTD_getErrorName(r)));
}

/* Writes the oldest frame out; waits for it when wait is set. *wrote says
 * whether there was one to write. */
static escrow_status write_oldest(esc_zpool *p, bool wait, bool *wrote)
{
	struct zp_slot *s;
	escrow_status st;
	bool ready;

	*wrote = false;
	if (p->written == p->queued)
		return ESCROW_OK;
	s = &p->slot[p->written % p->n_slots];
	pthread_mutex_lock(&p->mu);
	while (wait && s->state != SLOT_DONE)
		pthread_cond_wait(&p->done, &p->mu);
	ready = s->state == SLOT_DONE;
	pthread_mutex_unlock(&p->mu);
	if (!ready)
		return ESCROW_OK;
	if (s->err != 0)
		return zstd_failed(p, s->err);
	st = p->next.write(p->next.state, s->out, s->out_len);
	if (st != ESCROW_OK)
		return fail(p, st);
	s->state = SLOT_FREE;
	p->written++;
	*wrote = true;
	return ESCROW_OK;
}

/* The frame to fill next: its slot must have been written out. */
static escrow_status claim(esc_zpool *p)
{
	escrow_status st = ESCROW_OK;
	bool wrote = true;

	while (st == ESCROW_OK && p->queued - p->written >= p->n_slots)
		st = write_oldest(p, true, &wrote);
	if (st != ESCROW_OK)
		return st;
	p->slot[p->queued % p->n_slots].len = 0;
	p->filling = true;
	return ESCROW_OK;
}

static escrow_status submit(esc_zpool *p)
{
	struct zp_slot *s = &p->slot[p->queued % p->n_slots];
	escrow_status st = ESCROW_OK;
	bool wrote = true;

	s->level = p->level;
	pthread_mutex_lock(&p->mu);
	s->state = SLOT_QUEUED;
	p->queued++;
	p->filling = false;
	pthread_cond_signal(&p->work);
	pthread_mutex_unlock(&p->mu);
	/* what is ready goes out now, without waiting */
	while (st == ESCROW_OK && wrote)
		st = write_oldest(p, false, &wrote);
	return st;
}

escrow_status esc_zpool_new(escrow_ctx *ctx, int level, int threads, struct esc_sink next, esc_zpool **out)
{
	esc_zpool *p = calloc(1, sizeof *p);
	size_t i;
	int k;

	*out = NULL;
	if (p == NULL)
		return esc_nomem(ctx);
	p->ctx = ctx;
	p->next = next;
	p->level = level;
	p->n_workers = threads < 1 ? 1 : threads;
	p->n_slots = (size_t)p->n_workers + 1;
	p->out_cap = ZSTD_compressBound(ESC_ZW_FRAME_MAX);
	p->slot = calloc(p->n_slots, sizeof *p->slot);
	p->w = calloc((size_t)p->n_workers, sizeof *p->w);
	if (p->slot == NULL || p->w == NULL || pthread_mutex_init(&p->mu, NULL) != 0) {
		free(p->slot);
		free(p->w);
		free(p);
		return esc_nomem(ctx);
	}
	pthread_cond_init(&p->work, NULL);
	pthread_cond_init(&p->done, NULL);
	/* The input is filled whole, frame after frame: in huge pages where
	 * the kernel can (core_mem.c). The output's pages are touched only as
	 * far as frames compress to (a tenth of it, for source code): malloc'd,
	 * as a huge page would take 2 MiB for the first byte. */
	for (i = 0; i < p->n_slots; i++) {
		p->slot[i].in = esc_big_alloc(ESC_ZW_FRAME_MAX);
		p->slot[i].out = malloc(p->out_cap);
		if (p->slot[i].in == NULL || p->slot[i].out == NULL)
			goto nomem;
	}
	for (k = 0; k < p->n_workers; k++) {
		ZSTD_CCtx *c = esc_zstd_cctx();

		p->w[k].p = p;
		p->w[k].cctx = c;
		if (c == NULL)
			goto nomem;
		/* Negative levels keep Huffman-coded literals: that is all float
		 * weights compress by, and it costs little next to match finding. */
		if (ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 1)) ||
		    ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_literalCompressionMode, ZSTD_ps_enable))) {
			esc_zpool_free(p);
			return esc_error(ctx, ESCROW_E_INTERNAL, "zstd: cannot set the frame parameters");
		}
	}
	for (k = 0; k < p->n_workers; k++) {
		if (pthread_create(&p->w[k].th, NULL, work, &p->w[k]) != 0) {
			esc_zpool_free(p);
			return esc_error(ctx, ESCROW_E_INTERNAL, "cannot start the zstd workers");
		}
		p->started++;
	}
	*out = p;
	return ESCROW_OK;
nomem:
	esc_zpool_free(p);
	return esc_nomem(ctx);
}

escrow_status esc_zpool_write(esc_zpool *p, const void *buf, size_t len)
{
	const uint8_t *b = buf;

	if (p->failed != ESCROW_OK)
		return p->failed;
	while (len > 0) {
		struct zp_slot *s;
		size_t k;
		escrow_status st;

		if (!p->filling) {
			st = claim(p);
			if (st != ESCROW_OK)
				return st;
		}
		s = &p->slot[p->queued % p->n_slots];
		k = ESC_ZW_FRAME_MAX - s->len;
		if (k > len)
			k = len;
		memcpy(s->in + s->len, b, k);
		s->len += k;
		b += k;
		len -= k;
		if (s->len == ESC_ZW_FRAME_MAX) {
			st = submit(p);
			if (st != ESCROW_OK)
				return st;
		}
	}
	return ESCROW_OK;
}

escrow_status esc_zpool_set_level(esc_zpool *p, int level)
{
	escrow_status st = ESCROW_OK;

	if (level == p->level)
		return ESCROW_OK;
	if (p->failed != ESCROW_OK)
		return p->failed;
	/* A frame has one level: the bytes that follow start a new one. */
	if (p->filling && p->slot[p->queued % p->n_slots].len > 0)
		st = submit(p);
	if (st == ESCROW_OK)
		p->level = level;
	return st;
}

escrow_status esc_zpool_drain(esc_zpool *p, bool one_frame)
{
	escrow_status st = p->failed;
	bool wrote = true;

	if (st != ESCROW_OK)
		return st;
	/* An empty stream is not a zstd stream: one_frame asks for an empty
	 * frame when there was nothing to compress. */
	one_frame = one_frame && p->queued == 0;
	if (one_frame && !p->filling)
		st = claim(p);
	if (st == ESCROW_OK && p->filling && (p->slot[p->queued % p->n_slots].len > 0 || one_frame))
		st = submit(p);
	while (st == ESCROW_OK && p->written < p->queued)
		st = write_oldest(p, true, &wrote);
	return st;
}

void esc_zpool_free(esc_zpool *p)
{
	size_t i;
	int k;

	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_broadcast(&p->work);
	pthread_mutex_unlock(&p->mu);
	for (k = 0; k < p->started; k++)
		pthread_join(p->w[k].th, NULL);
	for (k = 0; k < p->n_workers; k++)
		ZSTD_freeCCtx(p->w[k].cctx);
	for (i = 0; i < p->n_slots; i++) {
		esc_big_free(p->slot[i].in);
		free(p->slot[i].out);
	}
	pthread_cond_destroy(&p->work);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p->slot);
	free(p->w);
	free(p);
}
