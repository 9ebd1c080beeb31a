/* zip_inflate.c -- raw deflate for zip members the checkers must read
 * (deflated pickles in torch checkpoints, deflated .npy in .npz files).
 * Output goes to a sink in small pieces, never into one buffer; the total is
 * bounded so that a deflate bomb costs bounded time. */
#include "formats/esc_zip.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#define OUT_CHUNK 65536

bool esc_inflate_init(struct esc_inflate *f, uint64_t out_max)
{
	z_stream *zs = calloc(1, sizeof *zs);

	memset(f, 0, sizeof *f);
	f->out_max = out_max;
	if (zs == NULL || inflateInit2(zs, -MAX_WBITS) != Z_OK) {
		free(zs);
		snprintf(f->err, sizeof f->err, "out of memory for inflate");
		f->failed = true;
		return false;
	}
	f->zs = zs;
	return true;
}

size_t esc_inflate_feed(struct esc_inflate *f, const uint8_t *buf, size_t len,
                        int (*sink)(void *u, const uint8_t *b, size_t n), void *u)
{
	z_stream *zs = f->zs;
	uint8_t out[OUT_CHUNK];
	size_t used = 0;

	if (zs == NULL || f->ended || f->failed)
		return 0;
	for (;;) {
		uInt in = len - used > (1u << 30) ? (1u << 30) : (uInt)(len - used);
		size_t got;
		int rc;

		zs->next_in = (Bytef *)(uintptr_t)(buf + used);
		zs->avail_in = in;
		zs->next_out = out;
		zs->avail_out = sizeof out;
		rc = inflate(zs, Z_NO_FLUSH);
		used += in - zs->avail_in;
		got = sizeof out - zs->avail_out;
		if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) {
			/* what came out before the fault, all of it: else how much
			 * is seen would depend on how the input was cut */
			if (got > 0 && got <= f->out_max - f->out_total) {
				f->out_total += got;
				(void)sink(u, out, got);
			}
			snprintf(f->err, sizeof f->err, "deflate data corrupt (%s)", zs->msg ? zs->msg : "zlib error");
			f->failed = true;
			return used;
		}
		f->out_total += got;
		if (f->out_total > f->out_max) {
			snprintf(f->err, sizeof f->err, "inflates to more than the %llu bytes left to check in this file",
			         (unsigned long long)f->out_max);
			f->failed = true;
			return used;
		}
		if ((got > 0 && sink(u, out, got)) || rc == Z_STREAM_END) {
			f->ended = true; /* the caller wants no more, or there is no more */
			return used;
		}
		/* all input taken and nothing held back (zlib fills out first) */
		if (used == len && got < sizeof out)
			break;
		if (got == 0 && in == zs->avail_in)
			break;
	}
	return used;
}

void esc_inflate_end(struct esc_inflate *f)
{
	if (f->zs) {
		inflateEnd(f->zs);
		free(f->zs);
	}
	f->zs = NULL;
}
