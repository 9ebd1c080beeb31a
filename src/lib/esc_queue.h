/* esc_queue.h -- the one bounded queue between two threads (internal). Owner:
 * io_queue.c; used by io_sink_thread.c, pack_prefetch.c,
 * bundle_extract_queue.c and bundle_read_pipe.c.
 *
 * The queue hands out sequence numbers, not data: item seq lives in slot
 * seq % cap of arrays the user keeps (buffers, lengths, results), so the
 * bytes are filled in place and never copied by the queue. A producer
 * claims the next number (waiting while cap items are claimed and not yet
 * released), fills its slot, and commits it; producers may commit out of
 * order. The one consumer takes items in sequence order and releases each
 * when done with its slot. Memory is bounded by cap slots; a cost per item
 * (e.g. files to close) can be waited on as well.
 *
 *   close: the producer is done; the consumer drains what was committed, then
 *          take returns false and the status is ESCROW_OK (or the error
 *          passed to close).
 *   fail:  either side stops the other; the first error is kept. Claims and
 *          waits return at once; take still returns what was committed,
 *          then false.
 *   watch: when given, every wait also ends, failing the queue with
 *          ESCROW_E_INTERRUPTED, once escrow_ctx_interrupt() was called on
 *          it (a signal handler cannot wake a condition variable, so such
 *          waits look at the flag every 100 ms). */
#ifndef ESC_QUEUE_H
#define ESC_QUEUE_H

#include "escrow_private.h"

#include <pthread.h>

typedef struct esc_queue esc_queue;

/* cap: items (>= 1). total: items the producers will claim in all, or
 * SIZE_MAX when only close tells. batch (>= 1): wake the consumer when the
 * next batch items are in (or all that is left), and the producers when
 * batch slots are free, rather than at every item. watch may be NULL. The
 * failure (ESCROW_E_NOMEM, ESCROW_E_INTERNAL) is reported in ctx. */
escrow_status esc_queue_new(escrow_ctx *ctx, size_t cap, size_t total, size_t batch,
                            const escrow_ctx *watch, esc_queue **out);
void esc_queue_free(esc_queue *q);

/* Producer side. Claim waits for a free slot; false when all total items
 * were claimed or the queue failed. */
bool esc_queue_claim(esc_queue *q, size_t *seq);
/* Item seq is ready for the consumer; cost counts toward esc_queue_cost
 * until the consumer releases it. */
void esc_queue_commit(esc_queue *q, size_t seq, size_t cost);
/* Several at once: claim_n waits for one free slot as claim does, then
 * takes the consecutive items free now, at most max, from *first; it
 * returns how many (0 where claim returns false). commit_n commits items
 * first .. first + n - 1, each of the cost given. */
size_t esc_queue_claim_n(esc_queue *q, size_t max, size_t *first);
void esc_queue_commit_n(esc_queue *q, size_t first, size_t n, size_t cost);
/* No more items (single producer, or after every producer stopped): a
 * claimed item not committed is dropped. st != ESCROW_OK also fails. */
void esc_queue_close(esc_queue *q, escrow_status st);
/* Waits until the cost of the items committed and not released is below
 * limit (limit 0: until none is left), or the queue failed. */
void esc_queue_wait_cost(esc_queue *q, size_t limit);
size_t esc_queue_cost(esc_queue *q);

/* Consumer side (one consumer). Take gives the next item in order, waiting
 * for it; false at the end (see esc_queue_status). Release frees the
 * oldest item taken. */
bool esc_queue_take(esc_queue *q, size_t *seq);
/* The same, waiting at most ms milliseconds: 1 taken, 0 at the end, -1 when
 * nothing came in time (the queue's watch is not looked at: the caller
 * comes back). */
int esc_queue_take_wait(esc_queue *q, size_t *seq, int ms);
void esc_queue_release(esc_queue *q);

/* Either side. The first failure is kept; everyone waiting wakes. */
void esc_queue_fail(esc_queue *q, escrow_status st);
/* ESCROW_OK, or the first failure. */
escrow_status esc_queue_status(esc_queue *q);
/* Whether close was called. */
bool esc_queue_closed(esc_queue *q);

#endif
