/* test_age_thread.c -- age decryption on its own thread (age_thread.c): the
 * same plaintext, the same verdicts and messages as esc_age_reader on the
 * caller's thread, for every way the stream can be cut or altered; the
 * source's own failure; a consumer that stops early does not hang. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"
#include "memsink.h"

#define CH ESC_AGE_CHUNK
#define ECH ESC_AGE_ENC_CHUNK

static void new_key(escrow_identities **ids, escrow_recipients **rs)
{
	escrow_ctx *ctx = escrow_ctx_new();
	uint8_t sk[32];
	char r[64];

	randombytes_buf(sk, sizeof sk);
	assert_int_equal(esc_identities_push(ctx, ids, sk), ESCROW_OK);
	esc_age_recipient_string((*ids)->v[(*ids)->n - 1].pk, r);
	assert_int_equal(escrow_recipients_add(ctx, r, rs), ESCROW_OK);
	escrow_ctx_free(ctx);
}

static uint8_t *pattern(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 16) * 7 + 3);
	return p;
}

static void encrypt(const escrow_recipients *rs, const uint8_t *pt, size_t len, struct mem *out)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_age_writer *w = NULL;

	memset(out, 0, sizeof *out);
	assert_int_equal(esc_age_writer_new(ctx, rs, mem_sink(out), &w), ESCROW_OK);
	assert_int_equal(esc_age_writer_write(w, pt, len), ESCROW_OK);
	assert_int_equal(esc_age_writer_finish(w), ESCROW_OK);
	esc_age_writer_free(w);
	escrow_ctx_free(ctx);
}

/* The ciphertext in pieces of `step` bytes; fails with ESCROW_E_IO once
 * fail_at bytes were given (when not 0). */
struct src {
	const uint8_t *p;
	size_t n, pos, step, fail_at;
};

static escrow_status src_read(void *state, escrow_ctx *ctx, uint8_t *buf, size_t max, size_t *got)
{
	struct src *s = state;
	size_t k = s->n - s->pos;

	if (s->fail_at != 0 && s->pos >= s->fail_at)
		return esc_error(ctx, ESCROW_E_IO, "test source: read error at %zu", s->pos);
	if (k > s->step)
		k = s->step;
	if (k > max)
		k = max;
	memcpy(buf, s->p + s->pos, k);
	s->pos += k;
	*got = k;
	return ESCROW_OK;
}

struct outcome {
	escrow_status st;
	char msg[ESC_ERRLEN];
	struct mem out;
};

/* On the caller's thread, as the reader did before. */
static void reference(const escrow_identities *ids, const uint8_t *ct, size_t len, struct outcome *o)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_age_reader *r = NULL;

	memset(o, 0, sizeof *o);
	assert_int_equal(esc_age_reader_new(ctx, ids, mem_sink(&o->out), &r), ESCROW_OK);
	esc_age_reader_set_name(r, "B");
	o->st = esc_age_reader_feed(r, ct, len);
	if (o->st == ESCROW_OK)
		o->st = esc_age_reader_finish(r);
	snprintf(o->msg, sizeof o->msg, "%s", o->st == ESCROW_OK ? "" : esc_ctx_message(ctx));
	esc_age_reader_free(r);
	escrow_ctx_free(ctx);
}

/* On the thread: `first` bytes given at the start, the rest pulled in steps. */
static void threaded(const escrow_identities *ids, struct src *s, size_t first, struct outcome *o)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_age_thread *t = NULL;
	const void *b;
	long n;

	memset(o, 0, sizeof *o);
	if (first > s->n)
		first = s->n;
	s->pos = first;
	assert_int_equal(esc_age_thread_start(ctx, ids, "B", (struct esc_age_source){src_read, s}, s->p, first, &t),
	                 ESCROW_OK);
	while ((n = esc_age_thread_next(t, &b)) > 0) {
		assert_true(n <= (1L << 20));
		assert_int_equal(mem_write(&o->out, b, (size_t)n), ESCROW_OK);
	}
	o->st = esc_age_thread_status(ctx, t);
	assert_int_equal(n == 0, o->st == ESCROW_OK);
	snprintf(o->msg, sizeof o->msg, "%s", o->st == ESCROW_OK ? "" : esc_ctx_message(ctx));
	esc_age_thread_free(t);
	escrow_ctx_free(ctx);
}

static void assert_same(const struct outcome *a, const struct outcome *b)
{
	assert_int_equal(a->st, b->st);
	assert_string_equal(a->msg, b->msg);
	assert_int_equal(a->out.n, b->out.n);
	if (a->out.n > 0)
		assert_memory_equal(a->out.p, b->out.p, a->out.n);
}

/* Whole streams of many sizes (more than the thread's buffers hold, so it
 * waits for room), read in pieces that cut chunks anywhere. */
static void test_same_plaintext(void **state)
{
	static const size_t sizes[] = {0, 1, 1000, CH, CH + 1, 3 * CH + 5, 40 * CH + 17};
	static const size_t steps[] = {1 << 20, ECH, 999, 70000};
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	size_t i, j;

	(void)state;
	new_key(&ids, &rs);
	for (i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		uint8_t *pt = pattern(sizes[i]);
		struct mem ct;
		struct outcome a, b;

		encrypt(rs, pt, sizes[i], &ct);
		for (j = 0; j < sizeof steps / sizeof *steps; j++) {
			struct src s = {ct.p, ct.n, 0, steps[j], 0};

			threaded(ids, &s, j == 0 ? 30 : steps[j], &b);
			assert_int_equal(b.st, ESCROW_OK);
			assert_int_equal(b.out.n, sizes[i]);
			if (sizes[i] > 0)
				assert_memory_equal(b.out.p, pt, sizes[i]);
			reference(ids, ct.p, ct.n, &a);
			assert_same(&a, &b);
			free(a.out.p);
			free(b.out.p);
		}
		free(ct.p);
		free(pt);
	}
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
}

/* A flipped byte anywhere, a cut anywhere, bytes after the end, the wrong
 * identity: the verdict, the message and the plaintext released before it are
 * the reader's. */
static void test_same_verdicts(void **state)
{
	escrow_identities *ids = NULL, *other = NULL;
	escrow_recipients *rs = NULL, *ors = NULL;
	size_t len = 20 * CH + 100, i;
	uint8_t *pt = pattern(len), *longer;
	struct mem ct;
	struct outcome a, b;
	size_t at[] = {0, 30, 200, 0, 0, 0, 0, 0, 0};

	(void)state;
	new_key(&ids, &rs);
	new_key(&other, &ors);
	encrypt(rs, pt, len, &ct);
	at[3] = ct.n - 116 - 20 * ECH - 8; /* the nonce */
	at[4] = ct.n - 100 - 16 - 3 * ECH;
	at[5] = ct.n - 100 - 16 - ECH - 1;
	at[6] = ct.n - 100 - 16;        /* the last chunk */
	at[7] = ct.n - 1;
	at[8] = ct.n / 2;
	for (i = 0; i < sizeof at / sizeof *at; i++) {
		struct src s = {ct.p, ct.n, 0, 4096 + i, 0};

		ct.p[at[i]] ^= 0x20;
		reference(ids, ct.p, ct.n, &a);
		threaded(ids, &s, 100, &b);
		ct.p[at[i]] ^= 0x20;
		assert_int_not_equal(a.st, ESCROW_OK);
		assert_same(&a, &b);
		free(a.out.p);
		free(b.out.p);
	}
	for (i = 1; i < ct.n; i += ct.n / 37) { /* truncated */
		struct src s = {ct.p, i, 0, 65536, 0};

		reference(ids, ct.p, i, &a);
		threaded(ids, &s, 50, &b);
		assert_int_not_equal(a.st, ESCROW_OK);
		assert_same(&a, &b);
		free(a.out.p);
		free(b.out.p);
	}
	longer = malloc(ct.n + 3);
	assert_non_null(longer);
	memcpy(longer, ct.p, ct.n);
	memcpy(longer + ct.n, "xyz", 3);
	{
		struct src s = {longer, ct.n + 3, 0, 1 << 20, 0};

		reference(ids, longer, ct.n + 3, &a);
		threaded(ids, &s, 1 << 20, &b);
		assert_int_equal(a.st, ESCROW_TAMPERED);
		assert_same(&a, &b);
		free(a.out.p);
		free(b.out.p);
	}
	{
		struct src s = {ct.p, ct.n, 0, 1 << 20, 0};

		reference(other, ct.p, ct.n, &a);
		threaded(other, &s, 1 << 20, &b);
		assert_int_equal(a.st, ESCROW_NO_IDENTITY);
		assert_same(&a, &b);
		free(a.out.p);
		free(b.out.p);
	}
	free(longer);
	free(ct.p);
	free(pt);
	escrow_identities_free(ids);
	escrow_identities_free(other);
	escrow_recipients_free(rs);
	escrow_recipients_free(ors);
}

/* The source's failure is the thread's, with the source's message, after
 * the plaintext authenticated before it. */
static void test_source_failure(void **state)
{
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	size_t len = 10 * CH;
	uint8_t *pt = pattern(len);
	struct mem ct;
	struct src s;
	struct outcome b;

	(void)state;
	new_key(&ids, &rs);
	encrypt(rs, pt, len, &ct);
	s = (struct src){ct.p, ct.n, 0, 1000, ct.n / 2};
	threaded(ids, &s, 1000, &b);
	assert_int_equal(b.st, ESCROW_E_IO);
	assert_non_null(strstr(b.msg, "test source: read error at"));
	assert_true(b.out.n < len && b.out.n % CH == 0);
	assert_memory_equal(b.out.p, pt, b.out.n);
	free(b.out.p);
	free(ct.p);
	free(pt);
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
}

/* A consumer that stops after the first buffer of a long stream (the thread
 * waits for room then): freeing stops the thread and returns. */
static void test_early_stop(void **state)
{
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	size_t len = 200 * CH;
	uint8_t *pt = pattern(len);
	escrow_ctx *ctx = escrow_ctx_new();
	esc_age_thread *t = NULL;
	struct mem ct;
	struct src s;
	const void *b;
	long n;

	(void)state;
	new_key(&ids, &rs);
	encrypt(rs, pt, len, &ct);
	s = (struct src){ct.p, ct.n, 0, 1 << 20, 0};
	assert_int_equal(esc_age_thread_start(ctx, ids, "B", (struct esc_age_source){src_read, &s}, NULL, 0, &t),
	                 ESCROW_OK);
	n = esc_age_thread_next(t, &b);
	assert_true(n > 0);
	assert_memory_equal(b, pt, (size_t)n);
	esc_age_thread_free(t);
	assert_true(s.pos < ct.n); /* it stopped reading */
	escrow_ctx_free(ctx);
	free(ct.p);
	free(pt);
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_plaintext),
		cmocka_unit_test(test_same_verdicts),
		cmocka_unit_test(test_source_failure),
		cmocka_unit_test(test_early_stop),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
