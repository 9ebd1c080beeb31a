/* io_queue.c -- the bounded queue between a library thread and its helper
 * (see esc_queue.h). One mutex, one condition per side; a side is signalled
 * only when it waits and what it waits for is there (or, with batch > 1,
 * enough of it): a wake-up per small item cost more than the item. */
#include "esc_queue.h"

#include <errno.h>
#include <stdlib.h>
#include <time.h>

#define WATCH_MS 100

struct esc_queue {
	pthread_mutex_t mu;
	pthread_cond_t can_put, can_take;
	const escrow_ctx *watch;
	size_t cap, batch;
	size_t end;              /* no item at or after this one (total, or where close stopped) */
	size_t claimed, committed, taken, released;
	size_t cost;             /* of the items committed and not released */
	unsigned char *ready;    /* per slot: committed, not yet taken */
	size_t *costs;           /* per slot */
	int put_waiting, cost_waiting;
	bool take_waiting, closed;
	escrow_status st;
};

escrow_status esc_queue_new(escrow_ctx *ctx, size_t cap, size_t total, size_t batch,
                            const escrow_ctx *watch, esc_queue **out)
{
	esc_queue *q;

	*out = NULL;
	if (cap == 0 || batch == 0 || batch > cap)
		return esc_error(ctx, ESCROW_E_INTERNAL, "queue of %zu items in batches of %zu", cap, batch);
	q = calloc(1, sizeof *q);
	if (q == NULL)
		return esc_nomem(ctx);
	q->ready = calloc(cap, 1);
	q->costs = calloc(cap, sizeof *q->costs);
	if (q->ready == NULL || q->costs == NULL) {
		free(q->ready);
		free(q->costs);
		free(q);
		return esc_nomem(ctx);
	}
	if (pthread_mutex_init(&q->mu, NULL) != 0)
		goto no_mutex;
	if (pthread_cond_init(&q->can_put, NULL) != 0)
		goto no_put;
	if (pthread_cond_init(&q->can_take, NULL) != 0)
		goto no_take;
	q->cap = cap;
	q->batch = batch;
	q->end = total;
	q->watch = watch;
	*out = q;
	return ESCROW_OK;
no_take:
	pthread_cond_destroy(&q->can_put);
no_put:
	pthread_mutex_destroy(&q->mu);
no_mutex:
	free(q->ready);
	free(q->costs);
	free(q);
	return esc_error(ctx, ESCROW_E_INTERNAL, "cannot set up the queue between threads");
}

void esc_queue_free(esc_queue *q)
{
	if (q == NULL)
		return;
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->can_put);
	pthread_cond_destroy(&q->can_take);
	free(q->ready);
	free(q->costs);
	free(q);
}

/* Called locked. */
static void fail_locked(esc_queue *q, escrow_status st)
{
	if (q->st == ESCROW_OK)
		q->st = st;
	pthread_cond_broadcast(&q->can_put);
	pthread_cond_broadcast(&q->can_take);
}

/* Waits on cv; with a watch, wakes every WATCH_MS to look at its flag and
 * fails the queue once it is set. Called locked. */
static void wait_on(esc_queue *q, pthread_cond_t *cv)
{
	struct timespec t;

	if (q->watch == NULL) {
		pthread_cond_wait(cv, &q->mu);
		return;
	}
	if (esc_interrupted(q->watch)) {
		fail_locked(q, ESCROW_E_INTERRUPTED);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_nsec += WATCH_MS * 1000000L;
	if (t.tv_nsec >= 1000000000L) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000L;
	}
	if (pthread_cond_timedwait(cv, &q->mu, &t) == ETIMEDOUT && esc_interrupted(q->watch))
		fail_locked(q, ESCROW_E_INTERRUPTED);
}

size_t esc_queue_claim_n(esc_queue *q, size_t max, size_t *first)
{
	size_t n = 0;

	pthread_mutex_lock(&q->mu);
	while (q->st == ESCROW_OK && q->claimed < q->end && q->claimed - q->released >= q->cap) {
		q->put_waiting++;
		wait_on(q, &q->can_put);
		q->put_waiting--;
	}
	if (q->st == ESCROW_OK) {
		*first = q->claimed;
		while (n < max && q->claimed < q->end && q->claimed - q->released < q->cap) {
			q->claimed++;
			n++;
		}
	}
	pthread_mutex_unlock(&q->mu);
	return n;
}

bool esc_queue_claim(esc_queue *q, size_t *seq)
{
	return esc_queue_claim_n(q, 1, seq) == 1;
}

/* Whether the consumer has what it waits for: the next item, and with
 * batch > 1 the batch after it (or all that is left). Called locked. */
static bool batch_in(const esc_queue *q)
{
	size_t k, last = q->taken + q->batch - 1;

	if (last >= q->end)
		last = q->end - 1;
	for (k = q->taken; k <= last; k++)
		if (!q->ready[k % q->cap])
			return false;
	return true;
}

void esc_queue_commit_n(esc_queue *q, size_t first, size_t n, size_t cost)
{
	size_t k;

	pthread_mutex_lock(&q->mu);
	for (k = first; k < first + n; k++) {
		q->ready[k % q->cap] = 1;
		q->costs[k % q->cap] = cost;
		q->cost += cost;
		q->committed++;
	}
	if (q->take_waiting && batch_in(q))
		pthread_cond_signal(&q->can_take);
	pthread_mutex_unlock(&q->mu);
}

void esc_queue_commit(esc_queue *q, size_t seq, size_t cost)
{
	esc_queue_commit_n(q, seq, 1, cost);
}

void esc_queue_close(esc_queue *q, escrow_status st)
{
	pthread_mutex_lock(&q->mu);
	q->closed = true;
	if (q->committed < q->end)
		q->end = q->committed;
	q->claimed = q->end;
	if (st != ESCROW_OK)
		fail_locked(q, st);
	else
		pthread_cond_broadcast(&q->can_take);
	pthread_mutex_unlock(&q->mu);
}

void esc_queue_wait_cost(esc_queue *q, size_t limit)
{
	pthread_mutex_lock(&q->mu);
	while (q->st == ESCROW_OK && q->committed > q->released && q->cost >= limit) {
		q->cost_waiting++;
		wait_on(q, &q->can_put);
		q->cost_waiting--;
	}
	pthread_mutex_unlock(&q->mu);
}

size_t esc_queue_cost(esc_queue *q)
{
	size_t c;

	pthread_mutex_lock(&q->mu);
	c = q->cost;
	pthread_mutex_unlock(&q->mu);
	return c;
}

/* ms < 0: waits for as long as it takes. */
static int take(esc_queue *q, size_t *seq, int ms)
{
	struct timespec until;
	bool ok;

	if (ms >= 0) {
		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_nsec += ms * 1000000L;
		until.tv_sec += until.tv_nsec / 1000000000L;
		until.tv_nsec %= 1000000000L;
	}
	pthread_mutex_lock(&q->mu);
	if (q->taken < q->end && !q->ready[q->taken % q->cap]) {
		/* After a failure only what was committed is handed out. */
		while (q->st == ESCROW_OK && q->taken < q->end && !batch_in(q)) {
			q->take_waiting = true;
			if (ms < 0) {
				wait_on(q, &q->can_take);
			} else if (pthread_cond_timedwait(&q->can_take, &q->mu, &until) == ETIMEDOUT) {
				q->take_waiting = false;
				pthread_mutex_unlock(&q->mu);
				return -1;
			}
			q->take_waiting = false;
		}
	}
	ok = q->taken < q->end && q->ready[q->taken % q->cap];
	if (ok) {
		q->ready[q->taken % q->cap] = 0;
		*seq = q->taken++;
	}
	pthread_mutex_unlock(&q->mu);
	return ok ? 1 : 0;
}

bool esc_queue_take(esc_queue *q, size_t *seq)
{
	return take(q, seq, -1) == 1;
}

int esc_queue_take_wait(esc_queue *q, size_t *seq, int ms)
{
	return take(q, seq, ms);
}

void esc_queue_release(esc_queue *q)
{
	size_t slot;

	pthread_mutex_lock(&q->mu);
	if (q->released < q->taken) {
		slot = q->released % q->cap;
		q->cost -= q->costs[slot];
		q->costs[slot] = 0;
		q->released++;
		if (q->cost_waiting > 0 ||
		    (q->put_waiting > 0 && q->claimed - q->released <= q->cap - q->batch))
			pthread_cond_broadcast(&q->can_put);
	}
	pthread_mutex_unlock(&q->mu);
}

void esc_queue_fail(esc_queue *q, escrow_status st)
{
	pthread_mutex_lock(&q->mu);
	fail_locked(q, st);
	pthread_mutex_unlock(&q->mu);
}

escrow_status esc_queue_status(esc_queue *q)
{
	escrow_status st;

	pthread_mutex_lock(&q->mu);
	st = q->st;
	pthread_mutex_unlock(&q->mu);
	return st;
}

bool esc_queue_closed(esc_queue *q)
{
	bool c;

	pthread_mutex_lock(&q->mu);
	c = q->closed;
	pthread_mutex_unlock(&q->mu);
	return c;
}
