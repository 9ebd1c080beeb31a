/* bundle_extract_queue.c -- extract's writer thread. Extracting 1 GB spent half its
 * time in write(2) on the thread that also parses, hashes and inspects, while
 * the reader thread (decompression) had time to spare: the writes now run in
 * a thread of their own. Records (write, or mode+time+close) are packed into
 * a few 1 MiB slots: memory stays bounded, and a file's records keep their
 * order. At most MAX_OPEN handed-over files wait to be closed. */
#include "esc_extract_queue.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NSLOT 4
#define SLOT_SIZE (1u << 20)
#define MAX_OPEN 64

enum { R_WRITE, R_CLOSE };

struct rec {
	uint32_t op, len;        /* len: data bytes (R_WRITE) or path bytes with NUL (R_CLOSE) */
	int fd;
	mode_t mode;
	int64_t mtime;
};
#define REC_ALIGN 8
#define REC_SPACE(n) ((sizeof(struct rec) + (n) + REC_ALIGN - 1) / REC_ALIGN * REC_ALIGN)

struct esc_xq {
	escrow_ctx *ctx;
	char *prefix;
	pthread_t th;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	uint8_t *slot[NSLOT];
	size_t used[NSLOT];
	unsigned head, full;     /* handed-over slots: head .. head+full-1; the producer fills head+full */
	bool busy, stop;         /* busy: the writer is on slot head */
	unsigned open;           /* handed-over files not closed yet */
	/* the writer's first failure */
	bool failed;
	int err;
	const char *what;
	char *fail_path;
	int fail_fd;
};

/* Writer side: only the writer sets these, under mu for the producer. */
static void fail(esc_xq *q, int fd, int err, const char *what, const char *path)
{
	if (q->failed)
		return;
	pthread_mutex_lock(&q->mu);
	q->failed = true;
	q->err = err;
	q->what = what;
	q->fail_fd = fd;
	if (path != NULL)
		q->fail_path = strdup(path);
	pthread_mutex_unlock(&q->mu);
}

static void run_close(esc_xq *q, const struct rec *r, const char *path)
{
	struct timespec ts[2];

	if (q->failed && q->fail_fd == r->fd && q->fail_path == NULL) {
		pthread_mutex_lock(&q->mu);
		q->fail_path = strdup(path); /* a write to it failed: this is its name */
		pthread_mutex_unlock(&q->mu);
	}
	ts[0].tv_sec = ts[1].tv_sec = (time_t)r->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (!q->failed && (fchmod(r->fd, r->mode) != 0 || futimens(r->fd, ts) != 0))
		fail(q, r->fd, errno, "set the mode and time of", path);
	if (close(r->fd) != 0 && !q->failed)
		fail(q, r->fd, errno, "write", path);
}

static void run_write(esc_xq *q, const struct rec *r, const uint8_t *p)
{
	size_t len = r->len;

	while (!q->failed && len > 0) {
		ssize_t n = write(r->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			fail(q, r->fd, n == 0 ? ENOSPC : errno, "write", NULL);
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void *writer(void *arg)
{
	esc_xq *q = arg;

	pthread_mutex_lock(&q->mu);
	for (;;) {
		const uint8_t *s;
		size_t off = 0, used;
		unsigned closed = 0;

		while (q->full == 0 && !q->stop)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->full == 0)
			break;
		q->busy = true;
		s = q->slot[q->head];
		used = q->used[q->head];
		pthread_mutex_unlock(&q->mu);
		while (off < used) {
			struct rec r;

			memcpy(&r, s + off, sizeof r);
			if (r.op == R_WRITE) {
				run_write(q, &r, s + off + sizeof r);
			} else {
				run_close(q, &r, (const char *)(s + off + sizeof r));
				closed++;
			}
			off += REC_SPACE(r.len);
		}
		pthread_mutex_lock(&q->mu);
		q->used[q->head] = 0;
		q->head = (q->head + 1) % NSLOT;
		q->full--;
		q->busy = false;
		q->open -= closed;
		pthread_cond_broadcast(&q->cv);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

escrow_status esc_xq_new(escrow_ctx *ctx, const char *prefix, esc_xq **out)
{
	esc_xq *q = calloc(1, sizeof *q);
	unsigned i;

	*out = NULL;
	if (q == NULL)
		return esc_nomem(ctx);
	q->ctx = ctx;
	q->prefix = strdup(prefix);
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
	for (i = 0; i < NSLOT; i++)
		q->slot[i] = malloc(SLOT_SIZE);
	for (i = 0; i < NSLOT && q->prefix != NULL; i++)
		if (q->slot[i] == NULL)
			break;
	if (q->prefix == NULL || i < NSLOT) {
		esc_xq_free(q);
		return esc_nomem(ctx);
	}
	if (pthread_create(&q->th, NULL, writer, q) != 0) {
		esc_xq_free(q);
		return esc_error(ctx, ESCROW_E_INTERNAL, "cannot start the writing thread");
	}
	q->started = true;
	*out = q;
	return ESCROW_OK;
}

static escrow_status failure(esc_xq *q)
{
	return esc_error(q->ctx, ESCROW_E_IO, "%s/%s: cannot %s: %s%s", q->prefix,
	                 q->fail_path ? q->fail_path : "?", q->what, strerror(q->err),
	                 q->err == ENOSPC || q->err == EDQUOT ? " (nothing was left behind)" : "");
}

/* Hands the slot being filled to the writer (if it holds anything) and
 * waits until another one is free; called with mu held. */
static void hand_over(esc_xq *q)
{
	unsigned fill = (q->head + q->full) % NSLOT;

	if (q->used[fill] == 0)
		return;
	q->full++;
	pthread_cond_broadcast(&q->cv);
	while (q->full == NSLOT)
		pthread_cond_wait(&q->cv, &q->mu);
}

/* Room for a record with n bytes after it in the slot being filled; NULL
 * once the writer failed (nothing more is written). */
static uint8_t *room(esc_xq *q, size_t n)
{
	unsigned fill;
	bool failed;

	pthread_mutex_lock(&q->mu);
	fill = (q->head + q->full) % NSLOT;
	if (q->used[fill] + REC_SPACE(n) > SLOT_SIZE) {
		hand_over(q);
		fill = (q->head + q->full) % NSLOT;
	}
	failed = q->failed;
	pthread_mutex_unlock(&q->mu);
	/* the writer never touches the slot being filled */
	return failed ? NULL : q->slot[fill] + q->used[fill];
}

static void added(esc_xq *q, size_t n)
{
	pthread_mutex_lock(&q->mu);
	q->used[(q->head + q->full) % NSLOT] += REC_SPACE(n);
	pthread_mutex_unlock(&q->mu);
}

escrow_status esc_xq_write(esc_xq *q, int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	const size_t max = SLOT_SIZE - REC_SPACE(0);

	while (len > 0) {
		size_t k = len < max ? len : max;
		struct rec r = {R_WRITE, 0, fd, 0, 0};
		uint8_t *at;

		at = room(q, k);
		if (at == NULL)
			break; /* reported by the next close or the drain */
		r.len = (uint32_t)k;
		memcpy(at, &r, sizeof r);
		memcpy(at + sizeof r, p, k);
		added(q, k);
		p += k;
		len -= k;
	}
	return ESCROW_OK;
}

escrow_status esc_xq_close(esc_xq *q, int fd, mode_t mode, int64_t mtime, const char *path)
{
	size_t n = strlen(path) + 1;
	struct rec r = {R_CLOSE, 0, fd, mode, mtime};
	uint8_t *at;
	bool failed;

	if (n > SLOT_SIZE / 2)
		n = SLOT_SIZE / 2; /* a message path; the reader bounds paths far below */
	at = room(q, n);
	if (at == NULL) {
		close(fd);
		return esc_xq_drain(q);
	}
	r.len = (uint32_t)n;
	memcpy(at, &r, sizeof r);
	memcpy(at + sizeof r, path, n - 1);
	at[sizeof r + n - 1] = '\0';
	added(q, n);
	pthread_mutex_lock(&q->mu);
	q->open++;
	if (q->open >= MAX_OPEN) {
		hand_over(q);
		while (q->open >= MAX_OPEN / 2 && q->full > 0)
			pthread_cond_wait(&q->cv, &q->mu);
	}
	failed = q->failed;
	pthread_mutex_unlock(&q->mu);
	return failed ? failure(q) : ESCROW_OK;
}

escrow_status esc_xq_drain(esc_xq *q)
{
	bool failed;

	pthread_mutex_lock(&q->mu);
	hand_over(q);
	while (q->full > 0)
		pthread_cond_wait(&q->cv, &q->mu);
	failed = q->failed;
	pthread_mutex_unlock(&q->mu);
	return failed ? failure(q) : ESCROW_OK;
}

void esc_xq_free(esc_xq *q)
{
	unsigned i;

	if (q == NULL)
		return;
	if (q->started) {
		pthread_mutex_lock(&q->mu);
		hand_over(q);
		q->stop = true;
		pthread_cond_broadcast(&q->cv);
		pthread_mutex_unlock(&q->mu);
		pthread_join(q->th, NULL);
	}
	for (i = 0; i < NSLOT; i++)
		free(q->slot[i]);
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
	free(q->fail_path);
	free(q->prefix);
	free(q);
}
