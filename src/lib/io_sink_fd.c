/* io_sink_fd.c -- the last sink of the pack pipeline: bytes to a file
 * descriptor, hashed (the bundle's SHA-256 for the summary) and, for sealed
 * bundles, signed as they go so the file is never read back.
 *
 * A bundle written to a file goes around the page cache (O_DIRECT) when the
 * file system takes it: the bundle is fsynced before its rename anyway, and
 * copying 680 MB into fresh page-cache pages cost 0.4 to 1.3 s of kernel CPU
 * here (`dd bs=1M` to a new file), against 0.05-0.08 s and 0.3 s of wall
 * time for direct writes of the same bytes. It also leaves the user's page
 * cache alone. Direct writes need aligned buffers, offsets and lengths: whole
 * DIO_ALIGN blocks go out directly, the last partial block goes through the
 * page cache. A file system that refuses (EINVAL) gets buffered writes. */
#define _GNU_SOURCE /* sync_file_range, O_DIRECT */
#include "esc_pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Start the disk write-back every 16 MiB, without waiting for it, so that the
 * fsync before the final rename finds little left to write instead of the
 * whole bundle (on a 680 MB bundle it was 0.6 s of the pack's wall time). */
#define WRITE_BEHIND (16u << 20)
#define DIO_BUF (1u << 20)

escrow_status esc_outsink_init(escrow_ctx *ctx, struct esc_outsink *o, int fd, const char *what,
                               const escrow_seckey *detached_key)
{
	escrow_status st;

	memset(o, 0, sizeof *o);
	o->ctx = ctx;
	o->fd = fd;
	o->what = what;
	o->sha = esc_sha256_new();
	if (o->sha == NULL)
		return esc_nomem(ctx);
	if (detached_key != NULL) {
		st = esc_msign_new(ctx, detached_key, &o->msign);
		if (st != ESCROW_OK)
			return st;
	}
	return ESCROW_OK;
}

void esc_outsink_try_direct(struct esc_outsink *o)
{
	int fl = fcntl(o->fd, F_GETFL);

	if (fl < 0 || o->bytes != 0)
		return;
	o->dbuf = aligned_alloc(ESC_DIO_ALIGN, DIO_BUF);
	if (o->dbuf == NULL)
		return;
	if (fcntl(o->fd, F_SETFL, fl | O_DIRECT) != 0) {
		free(o->dbuf);
		o->dbuf = NULL;
	}
}

/* Back to the page cache: for the last partial block, or for good when the
 * file system refuses direct writes. */
static void buffered(struct esc_outsink *o)
{
	int fl = fcntl(o->fd, F_GETFL);

	if (fl >= 0)
		(void)fcntl(o->fd, F_SETFL, fl & ~O_DIRECT);
	o->direct_off = true;
}

/* One aligned run of whole blocks. A file system that refuses direct I/O
 * (EINVAL), or a short write, sends the rest through the page cache, where a
 * real problem (disk full) gets its message; other errors are reported. */
static escrow_status write_direct(struct esc_outsink *o, const uint8_t *p, size_t len)
{
	ssize_t n;

	do
		n = write(o->fd, p, len);
	while (n < 0 && errno == EINTR);
	if (n == (ssize_t)len)
		return ESCROW_OK;
	if (n < 0 && errno != EINVAL)
		return esc_error(o->ctx, ESCROW_E_IO, "%s: write error: %s", o->what, strerror(errno));
	buffered(o);
	if (n > 0) {
		p += n;
		len -= (size_t)n;
	}
	return esc_write_all(o->ctx, o->fd, p, len, o->what);
}

static escrow_status flush_direct(struct esc_outsink *o)
{
	size_t whole = o->dlen / ESC_DIO_ALIGN * ESC_DIO_ALIGN;
	escrow_status st = ESCROW_OK;

	if (whole > 0)
		st = write_direct(o, o->dbuf, whole);
	if (st == ESCROW_OK && whole < o->dlen) {
		buffered(o); /* the tail; nothing follows it */
		st = esc_write_all(o->ctx, o->fd, o->dbuf + whole, o->dlen - whole, o->what);
	}
	o->dlen = 0;
	return st;
}

/* Gathers into whole aligned blocks; aligned runs go straight from the
 * caller (the output thread's slots are aligned). */
static escrow_status put_direct(struct esc_outsink *o, const uint8_t *p, size_t len)
{
	escrow_status st;

	if (o->dlen == 0 && ((uintptr_t)p % ESC_DIO_ALIGN) == 0 && len >= ESC_DIO_ALIGN) {
		size_t whole = len / ESC_DIO_ALIGN * ESC_DIO_ALIGN;

		st = write_direct(o, p, whole);
		if (st != ESCROW_OK)
			return st;
		p += whole;
		len -= whole;
	}
	while (len > 0 && !o->direct_off) {
		size_t k = DIO_BUF - o->dlen < len ? DIO_BUF - o->dlen : len;

		memcpy(o->dbuf + o->dlen, p, k);
		o->dlen += k;
		p += k;
		len -= k;
		if (o->dlen == DIO_BUF) {
			st = write_direct(o, o->dbuf, DIO_BUF);
			o->dlen = 0;
			if (st != ESCROW_OK)
				return st;
		}
	}
	if (o->direct_off) {
		/* Refused: what was gathered, then the page cache for good. */
		st = o->dlen > 0 ? esc_write_all(o->ctx, o->fd, o->dbuf, o->dlen, o->what) : ESCROW_OK;
		free(o->dbuf);
		o->dbuf = NULL;
		o->dlen = 0;
		if (st == ESCROW_OK && len > 0)
			st = esc_write_all(o->ctx, o->fd, p, len, o->what);
		return st;
	}
	return ESCROW_OK;
}

/* The bytes' write-out: fd, count, write-back. */
escrow_status esc_outsink_put(void *state, const void *buf, size_t len)
{
	struct esc_outsink *o = state;
	escrow_status st;

	if (len == 0)
		return ESCROW_OK;
	if (o->after.write != NULL) /* split: the SHA-256 is this thread's */
		esc_sha256_update(o->sha, buf, len);
	o->bytes += len;
	st = o->dbuf != NULL ? put_direct(o, buf, len) : esc_write_all(o->ctx, o->fd, buf, len, o->what);
	if (st != ESCROW_OK)
		return st;
	/* Also with direct I/O: some file systems (tmpfs, ext4 data=journal)
	 * accept it and still go through the page cache. A no-op otherwise. */
	if (o->bytes - o->synced >= WRITE_BEHIND) {
		/* Fails harmlessly (ESPIPE) when the output is a pipe. */
		(void)sync_file_range(o->fd, (off64_t)o->synced, (off64_t)(o->bytes - o->synced),
		                      SYNC_FILE_RANGE_WRITE);
		o->synced = o->bytes;
	}
	return ESCROW_OK;
}

escrow_status esc_outsink_write(void *state, const void *buf, size_t len)
{
	struct esc_outsink *o = state;

	if (len == 0)
		return ESCROW_OK;
	if (o->msign != NULL)
		esc_msign_update(o->msign, buf, len);
	if (o->after.write != NULL)
		return o->after.write(o->after.state, buf, len);
	esc_sha256_update(o->sha, buf, len);
	return esc_outsink_put(o, buf, len);
}

escrow_status esc_outsink_flush(struct esc_outsink *o)
{
	return o->dbuf != NULL && o->dlen > 0 ? flush_direct(o) : ESCROW_OK;
}

void esc_outsink_clear(struct esc_outsink *o)
{
	esc_sha256_free(o->sha);
	esc_msign_free(o->msign);
	free(o->dbuf);
	o->sha = NULL;
	o->msign = NULL;
	o->dbuf = NULL;
}
