/* age_thread.c -- age decryption on a thread of its own, ahead of whoever
 * reads the plaintext: the reader of a sealed bundle reads the file and
 * opens its ChaCha20-Poly1305 chunks here while another core decompresses.
 *
 * The thread pulls ciphertext from a source, feeds esc_age_reader and packs
 * what it releases (authenticated chunks only) into NSLOT buffers of SLOTSZ
 * bytes, handed over through a bounded queue: memory is bounded by them.
 * The first failure, with its message, is the thread's; the consumer sees
 * every byte committed before it, then the failure, in the order a reader on
 * one thread would have met them. */
#include "esc_queue.h"

#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define NSLOT 8
#define SLOTSZ (1u << 20)
#define RAWSZ (1u << 20)

struct esc_age_thread {
	escrow_ctx *tctx;              /* the thread's */
	struct esc_age_source src;
	esc_age_reader *r;
	pthread_t th;
	bool started;
	esc_queue *q;                  /* closed by the thread with its status */
	uint8_t *raw;                  /* ciphertext, as read */
	size_t first;                  /* bytes of raw given at the start */
	uint8_t *buf[NSLOT];
	size_t len[NSLOT];
	size_t wseq;                   /* the slot being filled, when wheld */
	bool wheld;
	bool held;                     /* the consumer holds an item taken */
};

static escrow_status put(void *state, const void *data, size_t len)
{
	esc_age_thread *t = state;
	const uint8_t *d = data;

	while (len > 0) {
		size_t slot, k;

		if (!t->wheld) {
			if (!esc_queue_claim(t->q, &t->wseq))
				return esc_error(t->tctx, ESCROW_E_INTERRUPTED, "stopped");
			t->wheld = true;
			t->len[t->wseq % NSLOT] = 0;
		}
		slot = t->wseq % NSLOT;
		k = SLOTSZ - t->len[slot] < len ? SLOTSZ - t->len[slot] : len;
		memcpy(t->buf[slot] + t->len[slot], d, k);
		t->len[slot] += k;
		d += k;
		len -= k;
		if (t->len[slot] == SLOTSZ) {
			esc_queue_commit(t->q, t->wseq, 1);
			t->wheld = false;
		}
	}
	return ESCROW_OK;
}

static escrow_status run_stream(esc_age_thread *t)
{
	size_t have = t->first;
	escrow_status st = ESCROW_OK;

	if (have == 0)
		st = t->src.read(t->src.state, t->tctx, t->raw, RAWSZ, &have);
	while (st == ESCROW_OK && have > 0) {
		st = esc_age_reader_feed(t->r, t->raw, have);
		if (st != ESCROW_OK)
			return st;
		/* The next read may wait on a stalled pipe: what is decrypted
		 * goes to the consumer now, not when more input comes. */
		if (t->wheld && t->len[t->wseq % NSLOT] > 0) {
			esc_queue_commit(t->q, t->wseq, 1);
			t->wheld = false;
		}
		st = t->src.read(t->src.state, t->tctx, t->raw, RAWSZ, &have);
		if (st != ESCROW_OK)
			return st;
	}
	if (st != ESCROW_OK)
		return st;
	return esc_age_reader_finish(t->r);
}

static void *run(void *arg)
{
	esc_age_thread *t = arg;
	escrow_status st = run_stream(t);

	/* What was released is authentic, also before a failure: the consumer
	 * gets it first, as from a reader on its own thread. */
	if (t->wheld && t->len[t->wseq % NSLOT] > 0)
		esc_queue_commit(t->q, t->wseq, 1);
	t->wheld = false;
	esc_queue_close(t->q, st);
	return NULL;
}

escrow_status esc_age_thread_start(escrow_ctx *ctx, const escrow_identities *ids, const char *name,
                                   struct esc_age_source src, const void *first, size_t first_len,
                                   esc_age_thread **out)
{
	esc_age_thread *t = calloc(1, sizeof *t);
	escrow_status st;
	size_t i;

	*out = NULL;
	if (t == NULL)
		return esc_nomem(ctx);
	t->src = src;
	t->tctx = escrow_ctx_new();
	t->raw = malloc(RAWSZ);
	/* one block, in huge pages where it can (core_mem.c) */
	t->buf[0] = esc_big_alloc((size_t)NSLOT * SLOTSZ);
	for (i = 1; i < NSLOT && t->buf[0] != NULL; i++)
		t->buf[i] = t->buf[0] + i * SLOTSZ;
	st = esc_queue_new(ctx, NSLOT, SIZE_MAX, 1, NULL, &t->q);
	if (st != ESCROW_OK)
		goto fail;
	st = ESCROW_E_NOMEM;
	if (t->tctx == NULL || t->raw == NULL || first_len > RAWSZ)
		goto fail;
	for (i = 0; i < NSLOT; i++)
		if (t->buf[i] == NULL)
			goto fail;
	st = esc_age_reader_new(t->tctx, ids, (struct esc_sink){put, t}, &t->r);
	if (st != ESCROW_OK)
		goto fail;
	esc_age_reader_set_name(t->r, name);
	if (first_len > 0)
		memcpy(t->raw, first, first_len);
	t->first = first_len;
	if (pthread_create(&t->th, NULL, run, t) != 0) {
		st = esc_error(ctx, ESCROW_E_INTERNAL, "cannot start the decryption thread");
		goto fail;
	}
	t->started = true;
	*out = t;
	return ESCROW_OK;
fail:
	if (st == ESCROW_E_NOMEM)
		st = esc_nomem(ctx);
	else if (st != ESCROW_E_INTERNAL && t->tctx != NULL)
		st = esc_error(ctx, st, "%s", esc_ctx_message(t->tctx));
	esc_age_thread_free(t);
	return st;
}

long esc_age_thread_next(esc_age_thread *t, const void **buf)
{
	return esc_age_thread_next_wait(t, buf, -1);
}

long esc_age_thread_next_wait(esc_age_thread *t, const void **buf, int ms)
{
	size_t seq;
	int r;

	if (t->held) {
		esc_queue_release(t->q);
		t->held = false;
	}
	r = esc_queue_take_wait(t->q, &seq, ms);
	if (r < 0)
		return -2;
	if (r == 0)
		return esc_queue_status(t->q) == ESCROW_OK ? 0 : -1;
	t->held = true;
	*buf = t->buf[seq % NSLOT];
	return (long)t->len[seq % NSLOT];
}

escrow_status esc_age_thread_status(escrow_ctx *ctx, esc_age_thread *t)
{
	escrow_status st = esc_queue_status(t->q);

	/* The thread wrote its message before it closed the queue. */
	if (st != ESCROW_OK)
		esc_error(ctx, st, "%s", esc_ctx_message(t->tctx));
	return st;
}

void esc_age_thread_free(esc_age_thread *t)
{
	size_t i;

	if (t == NULL)
		return;
	if (t->started) {
		esc_queue_fail(t->q, ESCROW_E_INTERRUPTED);
		pthread_join(t->th, NULL);
	}
	esc_age_reader_free(t->r);
	esc_queue_free(t->q);
	for (i = 0; i < NSLOT; i++) {
		/* plaintext of a sealed bundle */
		if (t->buf[i] != NULL)
			sodium_memzero(t->buf[i], t->len[i]);
	}
	esc_big_free(t->buf[0]);
	free(t->raw);
	escrow_ctx_free(t->tctx);
	free(t);
}
