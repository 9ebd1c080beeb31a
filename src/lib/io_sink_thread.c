/* io_sink_thread.c -- a sink that hands its bytes to a thread of its own. Put
 * after zstd, it moves the bundle's SHA-256, the detached signature's
 * BLAKE2b, age encryption and write() off the thread that reads and hashes
 * the project: with two cores, the reader was the slowest stage on weights.
 * The bytes and their order are unchanged, so the output is too. */
#include "esc_pack.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define TS_CHUNK (1u << 20)
#define TS_SLOTS 4

struct esc_tsink {
	escrow_ctx *ctx;         /* the caller's */
	escrow_ctx *tctx;        /* the thread's: the stages after us report here */
	struct esc_sink next;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	uint8_t *buf[TS_SLOTS];
	size_t len[TS_SLOTS];
	unsigned head, tail, count; /* head: slot being filled by the caller */
	bool end;
	escrow_status st;        /* the thread's first failure */
};

static void *run(void *arg)
{
	esc_tsink *s = arg;

	for (;;) {
		unsigned slot;
		escrow_status st = ESCROW_OK;
		bool healthy;

		pthread_mutex_lock(&s->mu);
		while (s->count == 0 && !s->end)
			pthread_cond_wait(&s->can_take, &s->mu);
		if (s->count == 0) {
			pthread_mutex_unlock(&s->mu);
			return NULL;
		}
		slot = s->tail;
		healthy = s->st == ESCROW_OK;
		pthread_mutex_unlock(&s->mu);
		if (healthy) /* after a failure, drain without writing */
			st = s->next.write(s->next.state, s->buf[slot], s->len[slot]);
		pthread_mutex_lock(&s->mu);
		if (st != ESCROW_OK)
			s->st = st;
		s->tail = (s->tail + 1) % TS_SLOTS;
		s->count--;
		pthread_cond_signal(&s->can_put);
		pthread_mutex_unlock(&s->mu);
	}
}

escrow_status esc_tsink_new(escrow_ctx *ctx, escrow_ctx *tctx, struct esc_sink next, esc_tsink **out)
{
	esc_tsink *s = calloc(1, sizeof *s);
	unsigned i;

	*out = NULL;
	if (s == NULL)
		return esc_nomem(ctx);
	s->ctx = ctx;
	s->tctx = tctx;
	s->next = next;
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->can_put, NULL);
	pthread_cond_init(&s->can_take, NULL);
	for (i = 0; i < TS_SLOTS; i++) {
		/* aligned: the file sink writes them around the page cache */
		s->buf[i] = aligned_alloc(ESC_DIO_ALIGN, TS_CHUNK);
		if (s->buf[i] == NULL) {
			esc_tsink_free(s);
			return esc_nomem(ctx);
		}
	}
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
	return esc_error(s->ctx, s->st, "%s", msg);
}

/* Hands the slot being filled to the thread; waits for a free one. */
static escrow_status push(esc_tsink *s)
{
	escrow_status st;

	pthread_mutex_lock(&s->mu);
	s->count++;
	s->head = (s->head + 1) % TS_SLOTS;
	pthread_cond_signal(&s->can_take);
	/* Filled slots run from tail for count; the new head must be free. */
	while (s->count == TS_SLOTS && s->st == ESCROW_OK)
		pthread_cond_wait(&s->can_put, &s->mu);
	st = s->st;
	pthread_mutex_unlock(&s->mu);
	if (st == ESCROW_OK)
		s->len[s->head] = 0;
	return st == ESCROW_OK ? ESCROW_OK : failed(s);
}

escrow_status esc_tsink_write(void *state, const void *buf, size_t len)
{
	esc_tsink *s = state;
	const uint8_t *p = buf;

	while (len > 0) {
		size_t k = TS_CHUNK - s->len[s->head];
		escrow_status st;

		if (k > len)
			k = len;
		memcpy(s->buf[s->head] + s->len[s->head], p, k);
		s->len[s->head] += k;
		p += k;
		len -= k;
		if (s->len[s->head] == TS_CHUNK) {
			st = push(s);
			if (st != ESCROW_OK)
				return st;
		}
	}
	return ESCROW_OK;
}

static void stop(esc_tsink *s)
{
	if (!s->started)
		return;
	pthread_mutex_lock(&s->mu);
	s->end = true;
	pthread_cond_signal(&s->can_take);
	pthread_mutex_unlock(&s->mu);
	pthread_join(s->th, NULL);
	s->started = false;
}

escrow_status esc_tsink_finish(esc_tsink *s)
{
	escrow_status st = ESCROW_OK;

	if (s->len[s->head] > 0)
		st = push(s);
	stop(s);
	if (st == ESCROW_OK && s->st != ESCROW_OK)
		st = failed(s);
	return st;
}

void esc_tsink_free(esc_tsink *s)
{
	unsigned i;

	if (s == NULL)
		return;
	if (s->started) {
		/* Abandoned: let the thread drain without writing, then stop it. */
		pthread_mutex_lock(&s->mu);
		if (s->st == ESCROW_OK)
			s->st = ESCROW_E_INTERRUPTED;
		pthread_mutex_unlock(&s->mu);
		stop(s);
	}
	for (i = 0; i < TS_SLOTS; i++)
		free(s->buf[i]);
	pthread_mutex_destroy(&s->mu);
	pthread_cond_destroy(&s->can_put);
	pthread_cond_destroy(&s->can_take);
	free(s);
}
