/* bundle_read_hash.c -- SHA-256 on a thread of its own for the reader: the
 * payload files' digests and those of the two large tag files
 * (manifest-sha256.txt and manifest.json, some 265 MB for a million files),
 * so that the reader's thread, which parses and checks everything else, is
 * not also the one that hashes every byte. The slices handed over are the
 * pipe's buffers, read in place: the reader waits for them to be hashed
 * before it asks for the next buffer (esc_thash_wait), and before it reads
 * any digest. Slices are handed over in batches (a lock and a wake-up per
 * batch, not per small file). Without a thread (it could not be started)
 * every slice is hashed as it is handed over. */
#include "esc_bundle_read.h"

#include <pthread.h>
#include <stdlib.h>

#define SLOTS 4096u
/* Slices are handed over by BATCH, or as soon as BATCH_BYTES wait: the
 * thread, faster than the reader, sleeps whenever it has caught up, and each
 * handing over may wake it (at 32 a batch, the futex calls of a million
 * small files took 0.3 s of system time). */
#define BATCH 1024u
#define BATCH_BYTES (1u << 20)
#define TAKE SLOTS       /* slices the thread takes between two looks at the queue */

struct job {
	const void *p;       /* NULL: the end of a digest, into dig[n % ESC_THASH_DIGESTS] */
	size_t n;
};

struct esc_thash {
	esc_sha256 *h;
	pthread_t th;
	bool threaded;
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	struct job q[SLOTS];
	/* head: jobs done (the thread's); tail: jobs handed over; both under mu.
	 * ptail: jobs written (the reader's own), head_seen its last look. */
	size_t head, tail, ptail, head_seen;
	size_t pbytes;       /* bytes in the jobs written, not yet handed over */
	uint64_t ends;       /* digests asked for (the reader's) */
	bool quit;
	uint8_t dig[ESC_THASH_DIGESTS][32];
};

static void *run(void *arg)
{
	esc_thash *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		size_t from, to, i;

		while (t->head == t->tail && !t->quit)
			pthread_cond_wait(&t->work, &t->mu);
		if (t->head == t->tail)
			break;
		from = t->head;
		to = t->tail - from > TAKE ? from + TAKE : t->tail;
		pthread_mutex_unlock(&t->mu);
		/* q[from..to) is the reader's to write again only once head passes it */
		for (i = from; i < to; i++) {
			const struct job *j = &t->q[i % SLOTS];

			if (j->p != NULL) {
				esc_sha256_update(t->h, j->p, j->n);
			} else {
				esc_sha256_final(t->h, t->dig[j->n % ESC_THASH_DIGESTS]);
				esc_sha256_reset(t->h);
			}
		}
		pthread_mutex_lock(&t->mu);
		t->head = to;
		pthread_cond_signal(&t->idle);
	}
	pthread_mutex_unlock(&t->mu);
	return NULL;
}

esc_thash *esc_thash_new(void)
{
	esc_thash *t = calloc(1, sizeof *t);
	pthread_attr_t at;

	if (t == NULL)
		return NULL;
	t->h = esc_sha256_new();
	if (t->h == NULL) {
		free(t);
		return NULL;
	}
	pthread_mutex_init(&t->mu, NULL);
	pthread_cond_init(&t->work, NULL);
	pthread_cond_init(&t->idle, NULL);
	/* A small stack: hashing needs little, and the reader's address space
	 * is bounded (cli_read_memory). */
	if (pthread_attr_init(&at) == 0) {
		if (pthread_attr_setstacksize(&at, 256u << 10) == 0)
			t->threaded = pthread_create(&t->th, &at, run, t) == 0;
		pthread_attr_destroy(&at);
	}
	return t;
}

/* Hands the written jobs over. */
static void publish(esc_thash *t)
{
	pthread_mutex_lock(&t->mu);
	t->tail = t->ptail;
	t->head_seen = t->head;
	pthread_cond_signal(&t->work);
	pthread_mutex_unlock(&t->mu);
	t->pbytes = 0;
}

static void push(esc_thash *t, const void *p, size_t n)
{
	if (t->ptail - t->head_seen == SLOTS) {
		pthread_mutex_lock(&t->mu);
		t->tail = t->ptail;
		pthread_cond_signal(&t->work);
		while (t->ptail - t->head == SLOTS)
			pthread_cond_wait(&t->idle, &t->mu);
		t->head_seen = t->head;
		pthread_mutex_unlock(&t->mu);
		t->pbytes = 0;
	}
	t->q[t->ptail % SLOTS] = (struct job){p, n};
	t->ptail++;
	t->pbytes += p != NULL ? n : 0;
	if (t->ptail - t->tail >= BATCH || t->pbytes >= BATCH_BYTES)
		publish(t);
}

void esc_thash_wait(esc_thash *t)
{
	if (t == NULL || !t->threaded)
		return;
	pthread_mutex_lock(&t->mu);
	t->tail = t->ptail;
	pthread_cond_signal(&t->work);
	while (t->head != t->tail)
		pthread_cond_wait(&t->idle, &t->mu);
	t->head_seen = t->head;
	pthread_mutex_unlock(&t->mu);
	t->pbytes = 0;
}

void esc_thash_begin(esc_thash *t)
{
	esc_thash_wait(t);
	esc_sha256_reset(t->h);
}

void esc_thash_update(esc_thash *t, const void *p, size_t n)
{
	if (n == 0)
		return;
	if (!t->threaded)
		esc_sha256_update(t->h, p, n);
	else
		push(t, p, n);
}

uint64_t esc_thash_end(esc_thash *t)
{
	uint64_t k = t->ends++;

	if (!t->threaded) {
		esc_sha256_final(t->h, t->dig[k % ESC_THASH_DIGESTS]);
		esc_sha256_reset(t->h);
	} else {
		push(t, NULL, (size_t)(k % ESC_THASH_DIGESTS));
	}
	return k;
}

const uint8_t *esc_thash_digest(const esc_thash *t, uint64_t k)
{
	return t->dig[k % ESC_THASH_DIGESTS];
}

void esc_thash_final(esc_thash *t, uint8_t out[32])
{
	esc_thash_wait(t);
	esc_sha256_final(t->h, out);
	esc_sha256_reset(t->h);
}

void esc_thash_free(esc_thash *t)
{
	if (t == NULL)
		return;
	if (t->threaded) {
		pthread_mutex_lock(&t->mu);
		t->tail = t->ptail;
		t->quit = true;
		pthread_cond_signal(&t->work);
		pthread_mutex_unlock(&t->mu);
		pthread_join(t->th, NULL);
	}
	pthread_cond_destroy(&t->work);
	pthread_cond_destroy(&t->idle);
	pthread_mutex_destroy(&t->mu);
	esc_sha256_free(t->h);
	free(t);
}
