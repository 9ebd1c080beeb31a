/* tree_walk_stat.c -- a folder's names stat'ed on two cores. The walk is
 * the first phase of a pack and ran on one core while the others waited:
 * 2.5 s of a 1,000,000-file pack, most of it fstatat. A large folder's
 * names are now split between the walking thread and one helper, taking
 * chunks in turn; the results go to an array the caller holds for that
 * folder only, so memory does not grow with the tree. */
#include "escrow_private.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <sys/stat.h>

/* Below this a folder is stat'ed by the caller alone: waking the helper
 * costs about what a few dozen fstatat do. */
#define STAT_MIN 48
#define STAT_CHUNK 16

struct esc_statpool {
	pthread_t th;
	pthread_mutex_t mu;
	pthread_cond_t go, done;
	unsigned gen;            /* the job's number; the helper works on each once */
	bool quit, busy;
	/* the job, set under mu before gen moves */
	int dfd;
	char *const *names;
	size_t n;
	struct esc_wstat *out;
	size_t next;             /* the next chunk, taken atomically by both */
};

static void stat_one(int dfd, const char *name, struct esc_wstat *r)
{
	struct stat st;

	if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		r->err = errno;
		return;
	}
	r->err = 0;
	r->mode = st.st_mode;
	r->size = st.st_size;
	r->mtime = st.st_mtime;
	r->dev = st.st_dev;
	r->ino = st.st_ino;
}

static void work(struct esc_statpool *p)
{
	for (;;) {
		size_t i = __atomic_fetch_add(&p->next, STAT_CHUNK, __ATOMIC_RELAXED), end;

		if (i >= p->n)
			return;
		end = i + STAT_CHUNK < p->n ? i + STAT_CHUNK : p->n;
		for (; i < end; i++)
			stat_one(p->dfd, p->names[i], &p->out[i]);
	}
}

static void *helper(void *arg)
{
	struct esc_statpool *p = arg;
	unsigned seen = 0;

	pthread_mutex_lock(&p->mu);
	for (;;) {
		while (!p->quit && p->gen == seen)
			pthread_cond_wait(&p->go, &p->mu);
		if (p->quit)
			break;
		seen = p->gen;
		pthread_mutex_unlock(&p->mu);
		work(p);
		pthread_mutex_lock(&p->mu);
		p->busy = false;
		pthread_cond_signal(&p->done);
	}
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

struct esc_statpool *esc_statpool_new(const escrow_ctx *ctx)
{
	struct esc_statpool *p;

	if (esc_threads(ctx) < 2 || (p = calloc(1, sizeof *p)) == NULL)
		return NULL;
	if (pthread_mutex_init(&p->mu, NULL) != 0)
		goto no_mu;
	if (pthread_cond_init(&p->go, NULL) != 0)
		goto no_go;
	if (pthread_cond_init(&p->done, NULL) != 0)
		goto no_done;
	if (pthread_create(&p->th, NULL, helper, p) == 0)
		return p;
	pthread_cond_destroy(&p->done);
no_done:
	pthread_cond_destroy(&p->go);
no_go:
	pthread_mutex_destroy(&p->mu);
no_mu:
	free(p);
	return NULL; /* the walk stats alone */
}

void esc_statpool_run(struct esc_statpool *p, int dfd, char *const *names, size_t n, struct esc_wstat *out)
{
	size_t i;

	if (p == NULL || n < STAT_MIN) {
		for (i = 0; i < n; i++)
			stat_one(dfd, names[i], &out[i]);
		return;
	}
	pthread_mutex_lock(&p->mu);
	p->dfd = dfd;
	p->names = names;
	p->n = n;
	p->out = out;
	p->next = 0;
	p->busy = true;
	p->gen++;
	pthread_cond_signal(&p->go);
	pthread_mutex_unlock(&p->mu);
	work(p);
	pthread_mutex_lock(&p->mu);
	while (p->busy)
		pthread_cond_wait(&p->done, &p->mu);
	pthread_mutex_unlock(&p->mu);
}

void esc_statpool_free(struct esc_statpool *p)
{
	if (p == NULL)
		return;
	pthread_mutex_lock(&p->mu);
	p->quit = true;
	pthread_cond_signal(&p->go);
	pthread_mutex_unlock(&p->mu);
	pthread_join(p->th, NULL);
	pthread_cond_destroy(&p->go);
	pthread_cond_destroy(&p->done);
	pthread_mutex_destroy(&p->mu);
	free(p);
}
