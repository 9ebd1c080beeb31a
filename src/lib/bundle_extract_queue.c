/* bundle_extract_queue.c -- extract's writing threads. Extracting 1 GB spent
 * half its time in write(2) on the thread that also parses, hashes and
 * inspects: the writes run in threads of their own, and so does creating
 * each file, which allocates an inode (on a file system where files were
 * just deleted, ext4 searched ~0.5 ms for each of 2,000 files, and the
 * verifying thread waited). Each file goes whole to one of the lanes, in
 * turn; a lane is one thread with its records (create, write, or mode +
 * time + close) packed into a few 1 MiB slots: memory stays bounded and a
 * file's records keep their order. At most MAX_OPEN handed-over files per
 * lane wait to be closed. Folders are made by the caller, which hands a
 * lane a duplicate of a folder's descriptor when its next file is in
 * another folder than its last: files are still created only with openat
 * relative to folders opened with O_NOFOLLOW, and a million files in a
 * thousand folders cost two thousand duplicates, not a million. */
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
#define MAX_LANES 2

enum { R_DIR, R_OPEN, R_WRITE, R_CLOSE };

struct rec {
	uint32_t op, len;        /* len: data bytes (R_WRITE) or path bytes with NUL */
	int dirfd;               /* R_DIR: the folder of the next files (the lane's to close) */
	uint32_t leaf;           /* R_OPEN: where the last component starts in the path */
	mode_t mode;             /* R_CLOSE */
	int64_t mtime;
};
#define REC_ALIGN 8
#define REC_SPACE(n) ((sizeof(struct rec) + (n) + REC_ALIGN - 1) / REC_ALIGN * REC_ALIGN)

struct lane {
	esc_xq *x;
	pthread_t th;
	bool started;
	/* Items are slots of records; an item's cost is the files it closes. */
	esc_queue *q;
	uint8_t *slot[NSLOT];
	size_t used[NSLOT];
	unsigned closes[NSLOT];  /* close records in the slot */
	size_t fill;             /* producer: the item being filled, when have */
	bool have;
	char *dir;               /* producer: the folder last handed over (relative path) */
	size_t dir_len;
	bool dir_sent;
	/* the thread's own: the folder it creates in, the file it writes, and
	 * a failed write, named by the file's close record */
	int dfd;
	int fd;
	int werr;
};

struct esc_xq {
	escrow_ctx *ctx;
	char *prefix;
	unsigned n, cur, next;   /* lanes; the producer's current file's lane, the next one's */
	struct lane lane[MAX_LANES];
	/* The first failure of any lane, set once under mu, before every
	 * lane's queue is failed: the producer reads it only after that. */
	pthread_mutex_t mu;
	bool failed;
	int err;
	const char *what;
	char *fail_path;
};

static void fail(esc_xq *x, int err, const char *what, const char *path)
{
	unsigned i;

	pthread_mutex_lock(&x->mu);
	if (x->failed) {
		pthread_mutex_unlock(&x->mu);
		return;
	}
	x->failed = true;
	x->err = err;
	x->what = what;
	x->fail_path = strdup(path);
	pthread_mutex_unlock(&x->mu);
	for (i = 0; i < x->n; i++)
		esc_queue_fail(x->lane[i].q, ESCROW_E_IO);
}

static bool stopped(const struct lane *l)
{
	return esc_queue_status(l->q) != ESCROW_OK;
}

static void run_dir(struct lane *l, const struct rec *r)
{
	if (l->dfd >= 0)
		close(l->dfd);
	l->dfd = r->dirfd;
}

static void run_open(struct lane *l, const struct rec *r, const char *path)
{
	l->werr = 0;
	l->fd = -1;
	if (!stopped(l)) {
		l->fd = openat(l->dfd, path + r->leaf, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
		if (l->fd < 0)
			fail(l->x, errno, "create", path);
	}
}

static void run_write(struct lane *l, const struct rec *r, const uint8_t *p)
{
	size_t len = r->len;

	while (l->fd >= 0 && l->werr == 0 && len > 0 && !stopped(l)) {
		ssize_t n = write(l->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			l->werr = n == 0 ? ENOSPC : errno;
			return;
		}
		p += n;
		len -= (size_t)n;
	}
}

static void run_close(struct lane *l, const struct rec *r, const char *path)
{
	struct timespec ts[2];

	if (l->fd < 0)
		return; /* not created: said when it failed */
	ts[0].tv_sec = ts[1].tv_sec = (time_t)r->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (l->werr != 0)
		fail(l->x, l->werr, "write", path);
	else if (!stopped(l) && (fchmod(l->fd, r->mode) != 0 || futimens(l->fd, ts) != 0))
		fail(l->x, errno, "set the mode and time of", path);
	if (close(l->fd) != 0 && !stopped(l))
		fail(l->x, errno, "write", path);
	l->fd = -1;
}

static void run_slot(struct lane *l, unsigned k)
{
	const uint8_t *s = l->slot[k];
	size_t off = 0;

	while (off < l->used[k]) {
		struct rec r;
		const uint8_t *body = s + off + sizeof r;

		memcpy(&r, s + off, sizeof r);
		if (r.op == R_WRITE)
			run_write(l, &r, body);
		else if (r.op == R_OPEN)
			run_open(l, &r, (const char *)body);
		else if (r.op == R_DIR)
			run_dir(l, &r);
		else
			run_close(l, &r, (const char *)body);
		off += REC_SPACE(r.len);
	}
	l->used[k] = 0;
	l->closes[k] = 0;
}

static void *writer(void *arg)
{
	struct lane *l = arg;
	size_t seq;

	while (esc_queue_take(l->q, &seq)) {
		run_slot(l, (unsigned)(seq % NSLOT));
		esc_queue_release(l->q);
	}
	return NULL;
}

escrow_status esc_xq_new(escrow_ctx *ctx, const char *prefix, esc_xq **out)
{
	esc_xq *x = calloc(1, sizeof *x);
	escrow_status st = ESCROW_OK;
	unsigned i, k;

	*out = NULL;
	if (x == NULL)
		return esc_nomem(ctx);
	x->ctx = ctx;
	x->n = esc_threads(ctx) >= 2 ? MAX_LANES : 1;
	for (i = 0; i < MAX_LANES; i++)
		x->lane[i].fd = x->lane[i].dfd = -1;
	if (pthread_mutex_init(&x->mu, NULL) != 0) {
		free(x);
		return esc_nomem(ctx);
	}
	x->prefix = strdup(prefix);
	if (x->prefix == NULL)
		st = esc_nomem(ctx);
	for (i = 0; i < x->n && st == ESCROW_OK; i++) {
		struct lane *l = &x->lane[i];

		l->x = x;
		st = esc_queue_new(ctx, NSLOT, SIZE_MAX, 1, NULL, &l->q);
		/* one block, in huge pages where it can (core_mem.c) */
		if (st == ESCROW_OK && (l->slot[0] = esc_big_alloc((size_t)NSLOT * SLOT_SIZE)) == NULL)
			st = esc_nomem(ctx);
		for (k = 1; k < NSLOT && st == ESCROW_OK; k++)
			l->slot[k] = l->slot[0] + k * SLOT_SIZE;
		if (st == ESCROW_OK && pthread_create(&l->th, NULL, writer, l) != 0)
			st = esc_error(ctx, ESCROW_E_INTERNAL, "cannot start the writing threads");
		l->started = st == ESCROW_OK;
	}
	if (st != ESCROW_OK) {
		esc_xq_free(x);
		return st;
	}
	*out = x;
	return ESCROW_OK;
}

static escrow_status failure(esc_xq *x)
{
	return esc_error(x->ctx, ESCROW_E_IO, "%s/%s: cannot %s: %s%s", x->prefix,
	                 x->fail_path ? x->fail_path : "?", x->what, strerror(x->err),
	                 x->err == ENOSPC || x->err == EDQUOT ? " (nothing was left behind)" : "");
}

static escrow_status status(esc_xq *x)
{
	unsigned i;

	for (i = 0; i < x->n; i++)
		if (esc_queue_status(x->lane[i].q) != ESCROW_OK)
			return failure(x);
	return ESCROW_OK;
}

/* Hands the slot being filled to its lane's thread, if it holds anything. */
static void hand_over(struct lane *l)
{
	unsigned k = (unsigned)(l->fill % NSLOT);

	if (!l->have || l->used[k] == 0)
		return;
	esc_queue_commit(l->q, l->fill, l->closes[k]);
	l->have = false;
}

/* Room for a record with n bytes after it in the lane's slot being filled;
 * NULL once a lane failed (nothing more is written). */
static uint8_t *room(struct lane *l, size_t n)
{
	unsigned k;

	if (l->have && l->used[l->fill % NSLOT] + REC_SPACE(n) > SLOT_SIZE)
		hand_over(l);
	if (!l->have) {
		if (!esc_queue_claim(l->q, &l->fill))
			return NULL;
		l->have = true;
	}
	if (stopped(l))
		return NULL;
	/* the thread never touches the slot being filled */
	k = (unsigned)(l->fill % NSLOT);
	return l->slot[k] + l->used[k];
}

/* Appends record r with n bytes of body (copied) to the lane's slot being
 * filled: where its body went, NULL once a lane failed. */
static uint8_t *put(struct lane *l, struct rec *r, const void *body, size_t n)
{
	uint8_t *at = room(l, n);

	if (at == NULL)
		return NULL;
	r->len = (uint32_t)n;
	memcpy(at, r, sizeof *r);
	if (n > 0)
		memcpy(at + sizeof *r, body, n);
	l->used[l->fill % NSLOT] += REC_SPACE(n);
	return at + sizeof *r;
}

/* A record holding a path (R_OPEN, R_CLOSE); false once a lane failed. */
static bool put_path(struct lane *l, struct rec *r, const char *path)
{
	size_t n = strlen(path) + 1;
	uint8_t *b;

	if (n > SLOT_SIZE / 2)
		n = SLOT_SIZE / 2; /* the reader bounds paths far below */
	b = put(l, r, path, n);
	if (b == NULL)
		return false;
	b[n - 1] = '\0';
	return true;
}

/* Hands the lane the folder of path (dir_len bytes of it), unless it has it. */
static escrow_status send_dir(esc_xq *x, struct lane *l, int dirfd, const char *path, size_t dir_len)
{
	struct rec r = {R_DIR, 0, -1, 0, 0, 0};
	char *d;

	if (l->dir_sent && l->dir_len == dir_len && memcmp(l->dir, path, dir_len) == 0)
		return ESCROW_OK;
	l->dir_sent = false; /* until the record is in */
	d = realloc(l->dir, dir_len + 1);
	if (d == NULL)
		return esc_nomem(x->ctx);
	l->dir = d;
	r.dirfd = fcntl(dirfd, F_DUPFD_CLOEXEC, 0);
	if (r.dirfd < 0) {
		int e = errno;

		return esc_error(x->ctx, ESCROW_E_IO, "%s/%s: cannot create: %s", x->prefix, path, strerror(e));
	}
	if (put(l, &r, NULL, 0) == NULL) {
		close(r.dirfd);
		return status(x);
	}
	memcpy(l->dir, path, dir_len);
	l->dir[dir_len] = '\0';
	l->dir_len = dir_len;
	l->dir_sent = true;
	return ESCROW_OK;
}

escrow_status esc_xq_open(esc_xq *x, int dirfd, const char *leaf, const char *path)
{
	struct rec r = {R_OPEN, 0, -1, 0, 0, 0};
	struct lane *l;
	escrow_status st;

	x->cur = x->next;
	x->next = (x->next + 1) % x->n;
	l = &x->lane[x->cur];
	if (leaf < path || leaf > path + strlen(path))
		return esc_error(x->ctx, ESCROW_E_INTERNAL, "%s: the file's name is not in its path", path);
	r.leaf = (uint32_t)(leaf - path);
	st = send_dir(x, l, dirfd, path, r.leaf);
	if (st != ESCROW_OK)
		return st;
	return put_path(l, &r, path) ? ESCROW_OK : status(x);
}

escrow_status esc_xq_write(esc_xq *x, const void *buf, size_t len)
{
	struct lane *l = &x->lane[x->cur];
	const uint8_t *p = buf;
	const size_t max = SLOT_SIZE - REC_SPACE(0);

	while (len > 0) {
		size_t k = len < max ? len : max;
		struct rec r = {R_WRITE, 0, -1, 0, 0, 0};

		if (put(l, &r, p, k) == NULL)
			break; /* reported by the next close or the drain */
		p += k;
		len -= k;
	}
	return ESCROW_OK;
}

escrow_status esc_xq_close(esc_xq *x, mode_t mode, int64_t mtime, const char *path)
{
	struct rec r = {R_CLOSE, 0, -1, 0, mode, mtime};
	struct lane *l = &x->lane[x->cur];
	unsigned k;

	if (!put_path(l, &r, path))
		return esc_xq_drain(x);
	k = (unsigned)(l->fill % NSLOT);
	l->closes[k]++;
	/* Files handed over and not closed yet hold descriptors: at most
	 * MAX_OPEN a lane, then wait until half of them are closed. */
	if (l->closes[k] + esc_queue_cost(l->q) >= MAX_OPEN) {
		unsigned i;

		for (i = 0; i < x->n; i++) /* the others work meanwhile */
			hand_over(&x->lane[i]);
		esc_queue_wait_cost(l->q, MAX_OPEN / 2);
	}
	return status(x);
}

escrow_status esc_xq_drain(esc_xq *x)
{
	unsigned i;

	for (i = 0; i < x->n; i++)
		hand_over(&x->lane[i]);
	for (i = 0; i < x->n; i++)
		esc_queue_wait_cost(x->lane[i].q, 0);
	return status(x);
}

void esc_xq_free(esc_xq *x)
{
	size_t seq;
	unsigned i;

	if (x == NULL)
		return;
	for (i = 0; i < x->n; i++) {
		struct lane *l = &x->lane[i];

		if (l->started) {
			hand_over(l);
			esc_queue_close(l->q, ESCROW_OK);
			pthread_join(l->th, NULL);
			/* After a failure a thread stops at what was committed when it
			 * looked: the records left still close their descriptors. */
			while (esc_queue_take(l->q, &seq)) {
				run_slot(l, (unsigned)(seq % NSLOT));
				esc_queue_release(l->q);
			}
		}
		if (l->fd >= 0)
			close(l->fd);
		if (l->dfd >= 0)
			close(l->dfd);
		free(l->dir);
		esc_big_free(l->slot[0]);
		esc_queue_free(l->q);
	}
	pthread_mutex_destroy(&x->mu);
	free(x->fail_path);
	free(x->prefix);
	free(x);
}
