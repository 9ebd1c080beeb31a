/* bundle_extract_queue.c -- extract's writer thread. Extracting 1 GB spent half its
 * time in write(2) on the thread that also parses, hashes and inspects, while
 * the reader thread (decompression) had time to spare: the writes now run in
 * a thread of their own. Records (write, or mode+time+close) are packed into
 * a few 1 MiB slots: memory stays bounded, and a file's records keep their
 * order. At most MAX_OPEN handed-over files wait to be closed. */
#include "esc_extract_queue.h"
#include "esc_queue.h"

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
	/* Items are slots of records; an item's cost is the files it closes.
	 * The queue's failure is the writer's, published once its message is
	 * complete (below): the producer reads these fields only after it. */
	esc_queue *q;
	uint8_t *slot[NSLOT];
	size_t used[NSLOT];
	unsigned closes[NSLOT];  /* close records in the slot */
	size_t fill;             /* producer: the item being filled, when have */
	bool have;
	int err;
	const char *what;
	char *fail_path;
	/* the writer's own: its first failure, before it has a name */
	bool failed;
	int fail_fd, ferr;
	const char *fwhat;
};

/* Writer side. A failed write is named by its file's close record; any
 * other failure has its name at once. */
static void fail(esc_xq *q, int fd, int err, const char *what, const char *path)
{
	if (q->failed)
		return;
	q->failed = true;
	q->fail_fd = fd;
	q->ferr = err;
	q->fwhat = what;
	if (path != NULL) {
		q->err = err;
		q->what = what;
		q->fail_path = strdup(path);
		esc_queue_fail(q->q, ESCROW_E_IO);
	}
}

static void run_close(esc_xq *q, const struct rec *r, const char *path)
{
	struct timespec ts[2];

	if (q->failed && q->fail_fd == r->fd && esc_queue_status(q->q) == ESCROW_OK) {
		/* a write to it failed: this is its name */
		q->err = q->ferr;
		q->what = q->fwhat;
		q->fail_path = strdup(path);
		esc_queue_fail(q->q, ESCROW_E_IO);
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

static void run_slot(esc_xq *q, unsigned k)
{
	const uint8_t *s = q->slot[k];
	size_t off = 0;

	while (off < q->used[k]) {
		struct rec r;

		memcpy(&r, s + off, sizeof r);
		if (r.op == R_WRITE)
			run_write(q, &r, s + off + sizeof r);
		else
			run_close(q, &r, (const char *)(s + off + sizeof r));
		off += REC_SPACE(r.len);
	}
	q->used[k] = 0;
	q->closes[k] = 0;
}

static void *writer(void *arg)
{
	esc_xq *q = arg;
	size_t seq;

	while (esc_queue_take(q->q, &seq)) {
		run_slot(q, (unsigned)(seq % NSLOT));
		esc_queue_release(q->q);
	}
	return NULL;
}

escrow_status esc_xq_new(escrow_ctx *ctx, const char *prefix, esc_xq **out)
{
	esc_xq *q = calloc(1, sizeof *q);
	escrow_status st;
	unsigned i;

	*out = NULL;
	if (q == NULL)
		return esc_nomem(ctx);
	q->ctx = ctx;
	st = esc_queue_new(ctx, NSLOT, SIZE_MAX, 1, NULL, &q->q);
	if (st != ESCROW_OK) {
		free(q);
		return st;
	}
	q->prefix = strdup(prefix);
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

/* Hands the slot being filled to the writer, if it holds anything. */
static void hand_over(esc_xq *q)
{
	unsigned k = (unsigned)(q->fill % NSLOT);

	if (!q->have || q->used[k] == 0)
		return;
	esc_queue_commit(q->q, q->fill, q->closes[k]);
	q->have = false;
}

/* Room for a record with n bytes after it in the slot being filled; NULL
 * once the writer failed (nothing more is written). */
static uint8_t *room(esc_xq *q, size_t n)
{
	unsigned k;

	if (q->have && q->used[q->fill % NSLOT] + REC_SPACE(n) > SLOT_SIZE)
		hand_over(q);
	if (!q->have) {
		if (!esc_queue_claim(q->q, &q->fill))
			return NULL;
		q->have = true;
	}
	if (esc_queue_status(q->q) != ESCROW_OK)
		return NULL;
	/* the writer never touches the slot being filled */
	k = (unsigned)(q->fill % NSLOT);
	return q->slot[k] + q->used[k];
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
		q->used[q->fill % NSLOT] += REC_SPACE(k);
		p += k;
		len -= k;
	}
	return ESCROW_OK;
}

escrow_status esc_xq_close(esc_xq *q, int fd, mode_t mode, int64_t mtime, const char *path)
{
	size_t n = strlen(path) + 1;
	struct rec r = {R_CLOSE, 0, fd, mode, mtime};
	unsigned k;
	uint8_t *at;

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
	k = (unsigned)(q->fill % NSLOT);
	q->used[k] += REC_SPACE(n);
	q->closes[k]++;
	/* Files handed over and not closed yet hold descriptors: at most
	 * MAX_OPEN, then wait until half of them are closed. */
	if (q->closes[k] + esc_queue_cost(q->q) >= MAX_OPEN) {
		hand_over(q);
		esc_queue_wait_cost(q->q, MAX_OPEN / 2);
	}
	return esc_queue_status(q->q) != ESCROW_OK ? failure(q) : ESCROW_OK;
}

escrow_status esc_xq_drain(esc_xq *q)
{
	hand_over(q);
	esc_queue_wait_cost(q->q, 0);
	return esc_queue_status(q->q) != ESCROW_OK ? failure(q) : ESCROW_OK;
}

void esc_xq_free(esc_xq *q)
{
	size_t seq;
	unsigned i;

	if (q == NULL)
		return;
	if (q->started) {
		hand_over(q);
		esc_queue_close(q->q, ESCROW_OK);
		pthread_join(q->th, NULL);
		/* After a failure the writer stops at what was committed when it
		 * looked: the records left still close their files. */
		while (esc_queue_take(q->q, &seq)) {
			run_slot(q, (unsigned)(seq % NSLOT));
			esc_queue_release(q->q);
		}
	}
	for (i = 0; i < NSLOT; i++)
		free(q->slot[i]);
	esc_queue_free(q->q);
	free(q->fail_path);
	free(q->prefix);
	free(q);
}
