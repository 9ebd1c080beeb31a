/* test_io_queue.c -- the bounded queue (io_queue.c): the capacity and cost
 * bounds hold, close drains, a failure wakes both sides and the first one is
 * kept, many producers reach one consumer in order, and an interrupt on the
 * watched ctx wakes a blocked claim and a blocked take. No timing: a thread
 * that may or may not have blocked yet must give the same answer. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "esc_queue.h"

#define CAP 4

static esc_queue *mk(size_t cap, size_t total, size_t batch, const escrow_ctx *watch)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_queue *q = NULL;

	assert_non_null(ctx);
	assert_int_equal(esc_queue_new(ctx, cap, total, batch, watch, &q), ESCROW_OK);
	escrow_ctx_free(ctx);
	return q;
}

static void bad_shapes(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_queue *q = (esc_queue *)1;

	(void)state;
	assert_int_equal(esc_queue_new(ctx, 0, SIZE_MAX, 1, NULL, &q), ESCROW_E_INTERNAL);
	assert_null(q);
	assert_int_equal(esc_queue_new(ctx, 4, SIZE_MAX, 5, NULL, &q), ESCROW_E_INTERNAL);
	assert_int_equal(esc_queue_new(ctx, 4, SIZE_MAX, 0, NULL, &q), ESCROW_E_INTERNAL);
	escrow_ctx_free(ctx);
	esc_queue_free(NULL);
}

/* ---- the capacity bound: a producer that never waits on its own ---- */
struct bound {
	esc_queue *q;
	size_t n;
	atomic_size_t claimed, released, most;
};

static void *bound_producer(void *arg)
{
	struct bound *b = arg;
	size_t seq;

	while (esc_queue_claim(b->q, &seq)) {
		size_t in = atomic_fetch_add(&b->claimed, 1) + 1 - atomic_load(&b->released);

		if (in > atomic_load(&b->most))
			atomic_store(&b->most, in);
		esc_queue_commit(b->q, seq, 1);
		if (seq + 1 == b->n)
			break;
	}
	esc_queue_close(b->q, ESCROW_OK);
	return NULL;
}

static void capacity_bound_holds(void **state)
{
	struct bound b = {.n = 200};
	pthread_t th;
	size_t seq, want = 0;

	(void)state;
	b.q = mk(CAP, SIZE_MAX, 1, NULL);
	assert_int_equal(pthread_create(&th, NULL, bound_producer, &b), 0);
	/* The producer fills every slot before anything is taken. */
	while (atomic_load(&b.claimed) < CAP)
		sched_yield();
	while (esc_queue_take(b.q, &seq)) {
		assert_int_equal(seq, want++);
		atomic_fetch_add(&b.released, 1); /* before the queue frees the slot */
		esc_queue_release(b.q);
	}
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(want, b.n);
	assert_int_equal(esc_queue_status(b.q), ESCROW_OK);
	assert_int_equal(atomic_load(&b.most), CAP); /* reached, never passed */
	esc_queue_free(b.q);
}

static void close_drains(void **state)
{
	esc_queue *q = mk(CAP, SIZE_MAX, 1, NULL);
	size_t seq, k;

	(void)state;
	for (k = 0; k < 3; k++) {
		assert_true(esc_queue_claim(q, &seq));
		assert_int_equal(seq, k);
		esc_queue_commit(q, seq, 0);
	}
	assert_true(esc_queue_claim(q, &seq)); /* claimed, never committed: dropped */
	esc_queue_close(q, ESCROW_OK);
	assert_true(esc_queue_closed(q));
	assert_false(esc_queue_claim(q, &seq));
	for (k = 0; k < 3; k++) {
		assert_true(esc_queue_take(q, &seq));
		assert_int_equal(seq, k);
		esc_queue_release(q);
	}
	assert_false(esc_queue_take(q, &seq));
	assert_int_equal(esc_queue_status(q), ESCROW_OK);
	esc_queue_free(q);
}

/* claim_n takes the consecutive free slots (never past the total), commit_n
 * hands them over at once, in order, with their costs. */
static void claim_n_takes_what_is_free(void **state)
{
	esc_queue *q = mk(CAP, 6, 1, NULL);
	size_t first = 99, seq, k;

	(void)state;
	assert_int_equal(esc_queue_claim_n(q, 8, &first), CAP);
	assert_int_equal(first, 0);
	esc_queue_commit_n(q, first, CAP, 1);
	assert_int_equal(esc_queue_cost(q), CAP);
	for (k = 0; k < 3; k++) {
		assert_true(esc_queue_take(q, &seq));
		assert_int_equal(seq, k);
		esc_queue_release(q);
	}
	assert_int_equal(esc_queue_cost(q), 1);
	/* three slots free, two items left of the six */
	assert_int_equal(esc_queue_claim_n(q, 8, &first), 2);
	assert_int_equal(first, CAP);
	esc_queue_commit_n(q, first, 2, 0);
	for (k = 3; k < 6; k++) {
		assert_true(esc_queue_take(q, &seq));
		assert_int_equal(seq, k);
		esc_queue_release(q);
	}
	assert_int_equal(esc_queue_claim_n(q, 8, &first), 0);
	assert_false(esc_queue_take(q, &seq));
	assert_int_equal(esc_queue_cost(q), 0);
	esc_queue_free(q);
}

static void close_with_error_drains_then_fails(void **state)
{
	esc_queue *q = mk(CAP, SIZE_MAX, 1, NULL);
	size_t seq;

	(void)state;
	assert_true(esc_queue_claim(q, &seq));
	esc_queue_commit(q, seq, 0);
	esc_queue_close(q, ESCROW_TAMPERED);
	assert_true(esc_queue_take(q, &seq)); /* what was committed still comes */
	esc_queue_release(q);
	assert_false(esc_queue_take(q, &seq));
	assert_int_equal(esc_queue_status(q), ESCROW_TAMPERED);
	esc_queue_free(q);
}

static void first_error_is_kept(void **state)
{
	esc_queue *q = mk(CAP, SIZE_MAX, 1, NULL);
	size_t seq;

	(void)state;
	esc_queue_fail(q, ESCROW_E_IO);
	esc_queue_fail(q, ESCROW_E_INTERRUPTED);
	esc_queue_close(q, ESCROW_TAMPERED);
	assert_int_equal(esc_queue_status(q), ESCROW_E_IO);
	assert_false(esc_queue_claim(q, &seq));
	assert_false(esc_queue_take(q, &seq));
	esc_queue_free(q);
}

/* ---- a side blocked in claim or take ---- */
struct side {
	esc_queue *q;
	bool claim;              /* else take */
	bool got;
};

static void *one_call(void *arg)
{
	struct side *s = arg;
	size_t seq;

	s->got = s->claim ? esc_queue_claim(s->q, &seq) : esc_queue_take(s->q, &seq);
	return NULL;
}

/* A full queue (for claim) or an empty one (for take), a thread calling
 * it, then stop() from here: the thread must come back without an item. */
static escrow_status blocked_then(bool claim, const escrow_ctx *watch, void (*stop)(esc_queue *, void *), void *arg)
{
	esc_queue *q = mk(1, SIZE_MAX, 1, watch);
	struct side s = {q, claim, true};
	pthread_t th;
	size_t seq;
	escrow_status st;

	if (claim) {
		assert_true(esc_queue_claim(q, &seq));
		esc_queue_commit(q, seq, 0);
	}
	assert_int_equal(pthread_create(&th, NULL, one_call, &s), 0);
	sched_yield();
	stop(q, arg);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_false(s.got);
	st = esc_queue_status(q);
	esc_queue_free(q);
	return st;
}

static void fail_io(esc_queue *q, void *arg)
{
	(void)arg;
	esc_queue_fail(q, ESCROW_E_IO);
}

static void fail_wakes_both_sides(void **state)
{
	(void)state;
	assert_int_equal(blocked_then(true, NULL, fail_io, NULL), ESCROW_E_IO);
	assert_int_equal(blocked_then(false, NULL, fail_io, NULL), ESCROW_E_IO);
}

static void interrupt(esc_queue *q, void *arg)
{
	(void)q;
	escrow_ctx_interrupt(arg);
}

static void interrupt_wakes_both_sides(void **state)
{
	escrow_ctx *w = escrow_ctx_new();
	escrow_ctx *w2 = escrow_ctx_new();

	(void)state;
	assert_int_equal(blocked_then(true, w, interrupt, w), ESCROW_E_INTERRUPTED);
	assert_int_equal(blocked_then(false, w2, interrupt, w2), ESCROW_E_INTERRUPTED);
	escrow_ctx_free(w);
	escrow_ctx_free(w2);
}

/* ---- many producers, one consumer, in order ---- */
#define MANY 2000
#define NPROD 4
struct many {
	esc_queue *q;
	size_t val[16];
};

static void *many_producer(void *arg)
{
	struct many *m = arg;
	size_t seq;

	while (esc_queue_claim(m->q, &seq)) {
		m->val[seq % 16] = seq * 3 + 1;
		esc_queue_commit(m->q, seq, 0);
	}
	return NULL;
}

static void many_producers_one_consumer(void **state)
{
	struct many m;
	pthread_t th[NPROD];
	size_t seq, want = 0;
	int k;

	(void)state;
	m.q = mk(16, MANY, 8, NULL);
	for (k = 0; k < NPROD; k++)
		assert_int_equal(pthread_create(&th[k], NULL, many_producer, &m), 0);
	while (esc_queue_take(m.q, &seq)) {
		assert_int_equal(seq, want++);
		assert_int_equal(m.val[seq % 16], seq * 3 + 1);
		esc_queue_release(m.q);
	}
	for (k = 0; k < NPROD; k++)
		assert_int_equal(pthread_join(th[k], NULL), 0);
	assert_int_equal(want, MANY);
	assert_int_equal(esc_queue_status(m.q), ESCROW_OK);
	esc_queue_free(m.q);
}

/* ---- the cost bound ---- */
static void *drain_all(void *arg)
{
	esc_queue *q = arg;
	size_t seq;

	while (esc_queue_take(q, &seq))
		esc_queue_release(q);
	return NULL;
}

static void cost_wait_holds(void **state)
{
	esc_queue *q = mk(CAP, SIZE_MAX, 1, NULL);
	pthread_t th;
	size_t seq, k;

	(void)state;
	for (k = 0; k < CAP; k++) {
		assert_true(esc_queue_claim(q, &seq));
		esc_queue_commit(q, seq, 10);
	}
	assert_int_equal(esc_queue_cost(q), 40);
	assert_int_equal(pthread_create(&th, NULL, drain_all, q), 0);
	esc_queue_wait_cost(q, 25);
	assert_true(esc_queue_cost(q) < 25);
	esc_queue_wait_cost(q, 0);
	assert_int_equal(esc_queue_cost(q), 0);
	esc_queue_close(q, ESCROW_OK);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(esc_queue_status(q), ESCROW_OK);
	esc_queue_free(q);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_shapes),
		cmocka_unit_test(capacity_bound_holds),
		cmocka_unit_test(close_drains),
		cmocka_unit_test(claim_n_takes_what_is_free),
		cmocka_unit_test(close_with_error_drains_then_fails),
		cmocka_unit_test(first_error_is_kept),
		cmocka_unit_test(fail_wakes_both_sides),
		cmocka_unit_test(interrupt_wakes_both_sides),
		cmocka_unit_test(many_producers_one_consumer),
		cmocka_unit_test(cost_wait_holds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
