/* io_sink_thread.c -- a sink that hands its bytes to a thread of its own. Put
 * after zstd, it moves the bundle's SHA-256, the detached signature's
 * BLAKE2b, age encryption and write() off the thread that reads and hashes
 * the project: with two cores, the reader was the slowest stage on weights.
 * The bytes and their order are unchanged, so the output is too. */
#include "esc_pack.h"
#include "esc_queue.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TS_CHUNK (1u << 20)
/* One slot filled, one written, one spare. A fourth cost a MiB of every
 * pack's peak (all are touched): a million-entry pack's 128 MiB budget
 * needed it for the payload workers' larger tables (zstd_write_pool.c). */
#define TS_SLOTS 3
/* esc_big_alloc gives a block this large 2 MiB alignment */
_Static_assert(TS_SLOTS * TS_CHUNK >= (2u << 20) && (2u << 20) % ESC_DIO_ALIGN == 0, "the slots are aligned");

struct esc_tsink {
	escrow_ctx *ctx;         /* the caller's */
	escrow_ctx *tctx;        /* the thread's: the stages after us report here */
	struct esc_sink next;
	pthread_t th;
	bool started;
	esc_queue *q;            /* its first failure is the thread's */
	uint8_t *buf[TS_SLOTS];
	size_t len[TS_SLOTS];
	size_t head;             /* the item the caller fills, when have */
	bool have;
};

static void *run(void *arg)
{
	esc_tsink *s = arg;
	size_t seq;

	while (esc_queue_take(s->q, &seq)) {
		unsigned slot = (unsigned)(seq % TS_SLOTS);

		/* after a failure, drain without writing */
		if (esc_queue_status(s->q) == ESCROW_OK) {
			escrow_status st = s->next.write(s->next.state, s->buf[slot], s->len[slot]);

			if (st != ESCROW_OK)
				esc_queue_fail(s->q, st);
		}
		esc_queue_release(s->q);
	}
	return NULL;
}

escrow_status esc_tsink_new(escrow_ctx *ctx, escrow_ctx *tctx, struct esc_sink next, esc_tsink **out)
{
	esc_tsink *s = calloc(1, sizeof *s);
	escrow_status st;
	unsigned i;

	*out = NULL;
	if (s == NULL)
		return esc_nomem(ctx);
	s->ctx = ctx;
	s->tctx = tctx;
	s->next = next;
	st = esc_queue_new(ctx, TS_SLOTS, SIZE_MAX, 1, NULL, &s->q);
	if (st != ESCROW_OK) {
		free(s);
		return st;
	}
	/* One block, on a 2 MiB boundary and in huge pages where it can
	 * (core_mem.c); aligned, as the file sink writes them around the page
	 * cache. */
	s->buf[0] = esc_big_alloc((size_t)TS_SLOTS * TS_CHUNK);
	if (s->buf[0] == NULL) {
		esc_tsink_free(s);
		return esc_nomem(ctx);
	}
	for (i = 1; i < TS_SLOTS; i++)
		s->buf[i] = s->buf[0] + i * TS_CHUNK;
	if (pthread_create(&s->th, NULL, run, s) != 0) {
		esc_tsink_free(s);
		return esc_error(ctx, ESCROW_E_INTERNAL, "cannot start the output thread");
	}
	s->started = true;
	*out = s;
	return ESCROW_OK;
}

/* The thread's failure, with its message, becomes the caller's. */
static escrow_status failed(esc_tsink *s)
{
	char msg[ESC_ERRLEN];

	memcpy(msg, esc_ctx_message(s->tctx), sizeof msg);
	msg[sizeof msg - 1] = '\0';
	return esc_error(s->ctx, esc_queue_status(s->q), "%s", msg);
}

escrow_status esc_tsink_write(void *state, const void *buf, size_t len)
{
	esc_tsink *s = state;
	const uint8_t *p = buf;

	while (len > 0) {
		unsigned slot;
		size_t k;

		if (!s->have) {
			if (!esc_queue_claim(s->q, &s->head))
				return failed(s);
			s->have = true;
			s->len[s->head % TS_SLOTS] = 0;
		}
		slot = (unsigned)(s->head % TS_SLOTS);
		k = TS_CHUNK - s->len[slot];
		if (k > len)
			k = len;
		memcpy(s->buf[slot] + s->len[slot], p, k);
		s->len[slot] += k;
		p += k;
		len -= k;
		if (s->len[slot] == TS_CHUNK) {
			esc_queue_commit(s->q, s->head, 1);
			s->have = false;
		}
	}
	return ESCROW_OK;
}

static void stop(esc_tsink *s)
{
	if (!s->started)
		return;
	esc_queue_close(s->q, ESCROW_OK);
	pthread_join(s->th, NULL);
	s->started = false;
}

escrow_status esc_tsink_finish(esc_tsink *s)
{
	if (s->have && s->len[s->head % TS_SLOTS] > 0)
		esc_queue_commit(s->q, s->head, 1);
	s->have = false;
	stop(s);
	return esc_queue_status(s->q) == ESCROW_OK ? ESCROW_OK : failed(s);
}

void esc_tsink_free(esc_tsink *s)
{
	if (s == NULL)
		return;
	if (s->started) {
		/* Abandoned: let the thread drain without writing, then stop it. */
		esc_queue_fail(s->q, ESCROW_E_INTERRUPTED);
		stop(s);
	}
	esc_big_free(s->buf[0]);
	esc_queue_free(s->q);
	free(s);
}
