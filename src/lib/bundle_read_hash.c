/* bundle_read_hash.c -- the SHA-256 of the two large tag files
 * (manifest-sha256.txt and manifest.json, some 265 MB for a million files)
 * on a thread of its own, so that the reader's thread, which checks them line
 * by line and entry by entry, is not also the one that hashes every byte of
 * them. The slices handed over are the pipe's buffers, read in place: the
 * reader waits for them to be hashed before it asks for the next buffer
 * (esc_thash_wait), and before any digest is read. Without a thread (it
 * could not be started) every slice is hashed as it is handed over. */
#include "esc_bundle_read.h"

#include <pthread.h>
#include <stdlib.h>

#define SLOTS 64u

struct slice {
	const void *p;
	size_t n;
};

struct esc_thash {
	esc_sha256 *h;
	pthread_t th;
	bool threaded;
	pthread_mutex_t mu;
	pthread_cond_t work, idle;
	struct slice q[SLOTS];
	size_t head, tail;        /* slices taken, slices handed over (head <= tail) */
	bool quit;
};

static void *run(void *arg)
{
	esc_thash *t = arg;

	pthread_mutex_lock(&t->mu);
	for (;;) {
		struct slice s;

		while (t->head == t->tail && !t->quit)
			pthread_cond_wait(&t->work, &t->mu);
		if (t->head == t->tail)
			break;
		s = t->q[t->head % SLOTS];
		pthread_mutex_unlock(&t->mu);
		esc_sha256_update(t->h, s.p, s.n);
		pthread_mutex_lock(&t->mu);
		t->head++;
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

void esc_thash_wait(esc_thash *t)
{
	if (t == NULL || !t->threaded)
		return;
	pthread_mutex_lock(&t->mu);
	while (t->head != t->tail)
		pthread_cond_wait(&t->idle, &t->mu);
	pthread_mutex_unlock(&t->mu);
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
	if (!t->threaded) {
		esc_sha256_update(t->h, p, n);
		return;
	}
	pthread_mutex_lock(&t->mu);
	while (t->tail - t->head == SLOTS)
		pthread_cond_wait(&t->idle, &t->mu);
	t->q[t->tail % SLOTS] = (struct slice){p, n};
	t->tail++;
	pthread_cond_signal(&t->work);
	pthread_mutex_unlock(&t->mu);
}

void esc_thash_final(esc_thash *t, uint8_t out[32])
{
	esc_thash_wait(t);
	esc_sha256_final(t->h, out);
}

void esc_thash_free(esc_thash *t)
{
	if (t == NULL)
		return;
	if (t->threaded) {
		pthread_mutex_lock(&t->mu);
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
