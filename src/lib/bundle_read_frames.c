/* bundle_read_frames.c -- independent zstd frames decoded on every core.
 *
 * The producer thread hands each slice of compressed bytes here, as it
 * would to the streaming decoder. The frame scanner (zstd_frames.c) finds
 * where frames end; a frame that declares at most ESC_FRAME_MAX bytes of
 * content is gathered whole into a slot and decoded by one of the workers
 * (ZSTD_decompressDCtx into a buffer of the declared size; libzstd checks
 * the checksum, the size must match). Decoded frames go to the consumer in
 * order, without a copy. Any other frame -- and any frame a worker fails
 * on -- goes through the streaming decoder, in order, in the very slices
 * it came in: its checks, statuses and messages (with their offsets) are
 * then the ones a reader on one core gives, byte for byte.
 *
 * Memory: workers + SPARE_SLOTS slots, each holding at most one frame's
 * compressed bytes and its content (ESC_FRAME_MAX), reused from frame to
 * frame: ~8 MiB each for escrow's 4 MiB frames. */
#include "esc_bundle_read.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Slots beyond one per worker. The consumer holds one frame until the
 * hashing thread is through it; a decoded frame waits in its slot until the
 * frames before it are retired; the producer gathers the next one. With one
 * spare the workers waited on all three: on 2 cores, where the threads do
 * not run in step, verify of the 1 GB bundle took 1.35 s with one spare,
 * 1.28 s with two, 1.19 s with three, 1.16 s with four (medians of 5; `zstd
 * -dc` 1.00 s). Three cost 16 MiB more than one there; a million-file
 * bundle's peak (its records, then the tag frame's window, after the slots
 * are given back) did not move. */
#define SPARE_SLOTS 3

enum slot_state { S_FREE, S_GATHER, S_QUEUED, S_DECODING, S_DONE, S_FAILED, S_HANDED };

struct slot {
	enum slot_state state;
	uint8_t *in;
	size_t in_len, in_cap;
	size_t *cut;                 /* where each slice the frame came in ends */
	size_t ncut, cut_cap;
	uint8_t *out;
	size_t out_cap;
	uint64_t fcs;
};

struct esc_zpar {
	escrow_ctx *ctx;             /* the producer's */
	struct esc_zpar_out o;
	int nworkers, nstarted;
	pthread_t *th;
	pthread_mutex_t mu;
	pthread_cond_t work, done;   /* a frame to decode; a slot changed state */
	bool stop;
	struct slot *s;
	size_t n;
	uint64_t submitted, next_job, retired; /* frame numbers; frame f lives in slot f % n */
	bool gathering;              /* slot submitted % n holds the frame under way */
	bool streaming;              /* the streaming decoder has a frame under way */
	bool lean;                   /* since then: slots given back lose their buffers (mu) */
	struct esc_zscan scan;
};

escrow_status esc_zpar_new(escrow_ctx *ctx, int workers, const struct esc_zpar_out *o, esc_zpar **out)
{
	esc_zpar *zp = calloc(1, sizeof *zp);

	*out = NULL;
	if (zp == NULL)
		return esc_nomem(ctx);
	zp->ctx = ctx;
	zp->o = *o;
	zp->nworkers = workers < 1 ? 1 : workers;
	zp->n = (size_t)zp->nworkers + SPARE_SLOTS;
	zp->s = calloc(zp->n, sizeof *zp->s);
	zp->th = calloc((size_t)zp->nworkers, sizeof *zp->th);
	if (zp->s == NULL || zp->th == NULL) {
		free(zp->s);
		free(zp->th);
		free(zp);
		return esc_nomem(ctx);
	}
	pthread_mutex_init(&zp->mu, NULL);
	pthread_cond_init(&zp->work, NULL);
	pthread_cond_init(&zp->done, NULL);
	*out = zp;
	return ESCROW_OK;
}

static bool decode(ZSTD_DCtx *dctx, struct slot *sl)
{
	size_t r;

	if (sl->out_cap < sl->fcs || sl->out == NULL) {
		size_t cap = sl->fcs > 0 ? (size_t)sl->fcs : 1;
		uint8_t *b = esc_big_realloc(sl->out, 0, cap);

		if (b == NULL)
			return false; /* the streaming decoder needs no such buffer */
		sl->out = b;
		sl->out_cap = cap;
	}
	r = ZSTD_decompressDCtx(dctx, sl->out, (size_t)sl->fcs, sl->in, sl->in_len);
	return !ZSTD_isError(r) && r == sl->fcs;
}

static void *worker(void *arg)
{
	esc_zpar *zp = arg;
	ZSTD_DCtx *dctx = esc_zstd_dctx();

	if (dctx != NULL)
		ZSTD_DCtx_setParameter(dctx, ZSTD_d_windowLogMax, 25);
	pthread_mutex_lock(&zp->mu);
	for (;;) {
		struct slot *sl;
		bool ok;

		while (!zp->stop && zp->next_job == zp->submitted)
			pthread_cond_wait(&zp->work, &zp->mu);
		if (zp->stop)
			break;
		sl = &zp->s[zp->next_job++ % zp->n];
		sl->state = S_DECODING;
		pthread_mutex_unlock(&zp->mu);
		ok = dctx != NULL && decode(dctx, sl);
		pthread_mutex_lock(&zp->mu);
		sl->state = ok ? S_DONE : S_FAILED;
		pthread_cond_broadcast(&zp->done);
	}
	pthread_mutex_unlock(&zp->mu);
	ZSTD_freeDCtx(dctx);
	return NULL;
}

/* Waits a little for a slot to change state (the mutex held); fails when
 * the run was stopped or interrupted. */
static escrow_status wait_done(esc_zpar *zp)
{
	struct timespec ts;

	if (zp->o.stopped(zp->o.state))
		return esc_error(zp->ctx, ESCROW_E_INTERRUPTED, "stopped");
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000 * 1000;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(&zp->done, &zp->mu, &ts);
	return ESCROW_OK;
}

/* Through the streaming decoder, in the slices the frame came in. It must
 * end this frame where the scanner saw it end, or go on past a frame cut
 * short (whole: false). */
static escrow_status replay(esc_zpar *zp, const struct slot *sl, bool whole)
{
	size_t i, from = 0;
	bool boundary = false;

	for (i = 0; i < sl->ncut; i++) {
		size_t used = 0;
		escrow_status st = zp->o.stream(zp->o.state, sl->in + from, sl->cut[i] - from, &used, &boundary);

		if (st != ESCROW_OK)
			return st;
		if (used != sl->cut[i] - from || (boundary && (!whole || i + 1 < sl->ncut)))
			return esc_error(zp->ctx, ESCROW_E_INTERNAL, "the zstd frame scanner and decoder disagree");
		from = sl->cut[i];
	}
	if (whole && !boundary)
		return esc_error(zp->ctx, ESCROW_E_INTERNAL, "the zstd frame scanner and decoder disagree");
	return ESCROW_OK;
}

/* Hands over the oldest submitted frame if its worker is done (block: wait
 * for it). *any: one was. */
static escrow_status retire_one(esc_zpar *zp, bool block, bool *any)
{
	struct slot *sl;
	enum slot_state state;
	escrow_status st = ESCROW_OK;

	*any = false;
	pthread_mutex_lock(&zp->mu);
	sl = &zp->s[zp->retired % zp->n];
	while (zp->retired < zp->submitted && block && sl->state != S_DONE && sl->state != S_FAILED && st == ESCROW_OK)
		st = wait_done(zp);
	state = zp->retired < zp->submitted ? sl->state : S_FREE;
	pthread_mutex_unlock(&zp->mu);
	if (st != ESCROW_OK || (state != S_DONE && state != S_FAILED))
		return st;
	if (state == S_DONE) {
		bool kept = false;

		/* The slot is the consumer's until it gives the buffer back. */
		pthread_mutex_lock(&zp->mu);
		sl->state = S_HANDED;
		pthread_mutex_unlock(&zp->mu);
		st = zp->o.frame(zp->o.state, sl->out, (size_t)sl->fcs, sl->in_len, (int)(zp->retired % zp->n), &kept);
		if (!kept) {
			pthread_mutex_lock(&zp->mu);
			sl->state = S_FREE;
			pthread_mutex_unlock(&zp->mu);
		}
	} else {
		st = replay(zp, sl, true);
		pthread_mutex_lock(&zp->mu);
		sl->state = S_FREE;
		pthread_mutex_unlock(&zp->mu);
	}
	zp->retired++;
	*any = true;
	return st;
}

static escrow_status retire_all(esc_zpar *zp)
{
	escrow_status st = ESCROW_OK;
	bool any = true;

	while (st == ESCROW_OK && zp->retired < zp->submitted)
		st = retire_one(zp, true, &any);
	return st;
}

/* A slot for the next frame, handing over finished frames while it waits. */
static escrow_status take_slot(esc_zpar *zp)
{
	struct slot *sl = &zp->s[zp->submitted % zp->n];
	escrow_status st = ESCROW_OK;
	bool any;

	for (;;) {
		bool free_now;

		st = retire_one(zp, false, &any);
		if (st != ESCROW_OK)
			return st;
		pthread_mutex_lock(&zp->mu);
		free_now = sl->state == S_FREE;
		if (free_now) {
			sl->state = S_GATHER;
			zp->lean = false;
		}
		else if (!any)
			st = wait_done(zp);
		pthread_mutex_unlock(&zp->mu);
		if (st != ESCROW_OK)
			return st;
		if (free_now)
			break;
	}
	sl->in_len = 0;
	sl->ncut = 0;
	zp->gathering = true;
	esc_zscan_reset(&zp->scan);
	return ESCROW_OK;
}

static escrow_status append(esc_zpar *zp, struct slot *sl, const uint8_t *b, size_t len)
{
	if (sl->in_len + len > sl->in_cap) {
		size_t cap = sl->in_cap ? sl->in_cap : 1u << 20;
		uint8_t *nb;

		while (cap < sl->in_len + len)
			cap *= 2;
		nb = esc_big_realloc(sl->in, sl->in_len, cap);
		if (nb == NULL)
			return esc_nomem(zp->ctx);
		sl->in = nb;
		sl->in_cap = cap;
	}
	if (sl->ncut == sl->cut_cap) {
		size_t cap = sl->cut_cap ? sl->cut_cap * 2 : 16;
		size_t *nc = realloc(sl->cut, cap * sizeof *nc);

		if (nc == NULL)
			return esc_nomem(zp->ctx);
		sl->cut = nc;
		sl->cut_cap = cap;
	}
	memcpy(sl->in + sl->in_len, b, len);
	sl->in_len += len;
	sl->cut[sl->ncut++] = sl->in_len;
	return ESCROW_OK;
}

static escrow_status start_workers(esc_zpar *zp)
{
	while (zp->nstarted < zp->nworkers) {
		if (pthread_create(&zp->th[zp->nstarted], NULL, worker, zp) != 0)
			break;
		zp->nstarted++;
	}
	return zp->nstarted > 0 ? ESCROW_OK : esc_error(zp->ctx, ESCROW_E_INTERNAL, "cannot start a decoding thread");
}

static escrow_status submit(esc_zpar *zp)
{
	struct slot *sl = &zp->s[zp->submitted % zp->n];
	escrow_status st = ESCROW_OK;

	if (zp->nstarted == 0)
		st = start_workers(zp);
	if (st != ESCROW_OK)
		return st;
	pthread_mutex_lock(&zp->mu);
	sl->fcs = zp->scan.fcs;
	sl->state = S_QUEUED;
	zp->submitted++;
	pthread_cond_signal(&zp->work);
	pthread_mutex_unlock(&zp->mu);
	zp->gathering = false;
	return ESCROW_OK;
}

static void drop_buffers(struct slot *sl)
{
	esc_big_free(sl->in);
	esc_big_free(sl->out);
	sl->in = sl->out = NULL;
	sl->in_cap = sl->out_cap = 0;
}

/* The frame under way is not one for a worker: the frames before it go
 * out, then it goes to the streaming decoder from its first byte, the
 * slices before this one as they came, then this one from start on. The
 * slots' buffers are given back meanwhile: in a bundle escrow wrote that
 * frame is the tag frame, whose window (16 MiB) would come on top. */
static escrow_status to_stream(esc_zpar *zp, size_t start, size_t *pos)
{
	struct slot *sl = &zp->s[zp->submitted % zp->n];
	escrow_status st = retire_all(zp);
	size_t i;

	if (st == ESCROW_OK)
		st = replay(zp, sl, false);
	pthread_mutex_lock(&zp->mu);
	sl->state = S_FREE;
	zp->lean = true;
	for (i = 0; i < zp->n; i++)
		if (zp->s[i].state == S_FREE)
			drop_buffers(&zp->s[i]);
	pthread_mutex_unlock(&zp->mu);
	zp->gathering = false;
	zp->streaming = true;
	*pos = start;
	return st;
}

escrow_status esc_zpar_feed(esc_zpar *zp, const uint8_t *b, size_t n)
{
	size_t pos = 0;
	escrow_status st;
	bool any;

	while (pos < n) {
		size_t start = pos, used = 0;
		enum esc_zscan_result r;

		if (zp->streaming) {
			bool boundary = false;

			st = zp->o.stream(zp->o.state, b + pos, n - pos, &used, &boundary);
			if (st != ESCROW_OK)
				return st;
			pos += used;
			if (boundary)
				zp->streaming = false;
			continue;
		}
		if (!zp->gathering) {
			st = take_slot(zp);
			if (st != ESCROW_OK)
				return st;
		}
		r = esc_zscan_step(&zp->scan, b + pos, n - pos, &used);
		if (r == ESC_ZS_OTHER) {
			st = to_stream(zp, start, &pos);
			if (st != ESCROW_OK)
				return st;
			continue;
		}
		st = append(zp, &zp->s[zp->submitted % zp->n], b + pos, used);
		if (st != ESCROW_OK)
			return st;
		pos += used;
		if (r == ESC_ZS_FRAME) {
			st = submit(zp);
			if (st != ESCROW_OK)
				return st;
		}
	}
	/* Frames done by now go out at once, not when the next one is read. */
	do {
		st = retire_one(zp, false, &any);
	} while (st == ESCROW_OK && any);
	return st;
}

escrow_status esc_zpar_end(esc_zpar *zp)
{
	escrow_status st = retire_all(zp);

	/* A frame cut short: the streaming decoder takes what there is and
	 * says how it ends. */
	if (st == ESCROW_OK && zp->gathering) {
		struct slot *sl = &zp->s[zp->submitted % zp->n];

		st = replay(zp, sl, false);
		zp->gathering = false;
	}
	return st;
}

void esc_zpar_release(esc_zpar *zp, int slot)
{
	pthread_mutex_lock(&zp->mu);
	zp->s[slot].state = S_FREE;
	if (zp->lean)
		drop_buffers(&zp->s[slot]);
	pthread_cond_broadcast(&zp->done);
	pthread_mutex_unlock(&zp->mu);
}

void esc_zpar_stop(esc_zpar *zp)
{
	int i;

	if (zp == NULL)
		return;
	pthread_mutex_lock(&zp->mu);
	zp->stop = true;
	pthread_cond_broadcast(&zp->work);
	pthread_cond_broadcast(&zp->done);
	pthread_mutex_unlock(&zp->mu);
	for (i = 0; i < zp->nstarted; i++)
		pthread_join(zp->th[i], NULL);
	zp->nstarted = 0;
}

void esc_zpar_free(esc_zpar *zp)
{
	size_t i;

	if (zp == NULL)
		return;
	esc_zpar_stop(zp);
	for (i = 0; i < zp->n; i++) {
		esc_big_free(zp->s[i].in);
		free(zp->s[i].cut);
		esc_big_free(zp->s[i].out);
	}
	free(zp->s);
	free(zp->th);
	pthread_mutex_destroy(&zp->mu);
	pthread_cond_destroy(&zp->work);
	pthread_cond_destroy(&zp->done);
	free(zp);
}
