/* sink_fd.c -- the last sink of the pack pipeline: bytes to a file
 * descriptor, hashed (the bundle's SHA-256 for the summary) and, for sealed
 * bundles, signed as they go so the file is never read back. */
#define _GNU_SOURCE /* sync_file_range */
#include "esc_pack.h"

#include <fcntl.h>
#include <string.h>

/* Start the disk write-back every 16 MiB, without waiting for it, so that the
 * fsync before the final rename finds little left to write instead of the
 * whole bundle (on a 680 MB bundle it was 0.6 s of the pack's wall time). */
#define WRITE_BEHIND (16u << 20)

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
		return esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
	if (detached_key != NULL) {
		st = esc_msign_new(ctx, detached_key, &o->msign);
		if (st != ESCROW_OK)
			return st;
	}
	return ESCROW_OK;
}

escrow_status esc_outsink_write(void *state, const void *buf, size_t len)
{
	struct esc_outsink *o = state;
	escrow_status st;

	if (len == 0)
		return ESCROW_OK;
	esc_sha256_update(o->sha, buf, len);
	if (o->msign != NULL)
		esc_msign_update(o->msign, buf, len);
	st = esc_write_all(o->ctx, o->fd, buf, len, o->what);
	if (st != ESCROW_OK)
		return st;
	o->bytes += len;
	if (o->bytes - o->synced >= WRITE_BEHIND) {
		/* Fails harmlessly (ESPIPE) when the output is a pipe. */
		(void)sync_file_range(o->fd, (off64_t)o->synced, (off64_t)(o->bytes - o->synced),
		                      SYNC_FILE_RANGE_WRITE);
		o->synced = o->bytes;
	}
	return ESCROW_OK;
}

void esc_outsink_clear(struct esc_outsink *o)
{
	esc_sha256_free(o->sha);
	esc_msign_free(o->msign);
	o->sha = NULL;
	o->msign = NULL;
}
