/* bundle_read_next.c -- the tar stream's entries and their data, as the
 * strict header scanner (bundle_read_tar.c) reads them: the read path's one
 * tar parser. Each buffer the pipe hands over is scanned whole as it
 * arrives (every header in it checked before any of its entries is used);
 * a cursor then walks the same buffer, handing out entries from the
 * scanner's queue and their data in place, never copied. What the caller
 * does not take is skipped. Where the stream is taken up to, and where it
 * may stop, is where libarchive, which read bundles before, had it: an
 * entry's padding is taken with its data, the end is the first zero block
 * and the second when it is there whole, and a stream may end at a header's
 * first byte (the reader then finds the end marker missing). */
#include "esc_bundle_read.h"

#include <string.h>

/* A buffer to read from, scanned when it is new: 1, 0 at the stream's end,
 * -1 when it failed. */
static int fill(struct esc_tarrd *r)
{
	const void *b;
	long k;

	if (r->n > 0)
		return 1;
	k = r->more(r->user, &b);
	if (k < 0) {
		r->fail = ESC_TR_STREAM;
		return -1;
	}
	if (k == 0)
		return 0;
	if (esc_tarscan_feed(&r->scan, b, (size_t)k) != 0) {
		r->fail = ESC_TR_SCAN;
		return -1;
	}
	r->p = b;
	r->n = (size_t)k;
	return 1;
}

static void advance(struct esc_tarrd *r, size_t k)
{
	if (k == 0)
		return; /* p may be NULL yet */
	r->p += k;
	r->n -= k;
	r->off += k;
}

/* The cursor to stream offset `to`, past bytes the scanner has seen or
 * will see as their buffers come: 0, or -1 when the stream fails or ends
 * first (inside an entry's data or padding). */
static int skip_to(struct esc_tarrd *r, uint64_t to)
{
	while (r->off < to) {
		int f = fill(r);

		if (f == 0) {
			r->fail = ESC_TR_SHORT;
			r->short_in_data = true;
		}
		if (f <= 0)
			return -1;
		advance(r, r->n < to - r->off ? r->n : (size_t)(to - r->off));
	}
	return 0;
}

/* After the first zero block: a second one is taken when the stream holds
 * it whole (what follows the end is esc_pipe_drain's to bound, zeros only). */
static void second_zero_block(struct esc_tarrd *r)
{
	size_t got = 0;

	while (got < 512 && fill(r) > 0) {
		size_t k = r->n < 512 - got ? r->n : 512 - got;

		if (!esc_tar_zero(r->p, k))
			break;
		r->p += k;
		r->n -= k;
		got += k;
	}
	r->fail = ESC_TR_OK; /* a failure here is the drain's to report */
	if (got == 512)
		r->off += 512;
}

int esc_tarrd_next(struct esc_tarrd *r, struct esc_tarent *e)
{
	if (r->fail != ESC_TR_OK)
		return -1;
	if (r->at_end)
		return 0;
	if (skip_to(r, (r->data_end + 511) & ~(uint64_t)511) != 0)
		return -1;
	for (;;) {
		int f;

		if (esc_tarscan_pop(&r->scan, e)) {
			/* Its header is behind the scanner, in this buffer. */
			advance(r, (size_t)(e->data_off - r->off));
			r->data_end = e->data_off + (e->type == '0' ? e->size : 0);
			return 1;
		}
		if (esc_tarscan_ended(&r->scan)) {
			advance(r, (size_t)(r->scan.end_off - r->off));
			second_zero_block(r);
			r->at_end = true;
			return 0;
		}
		/* No entry starts in what is left of this buffer. */
		advance(r, r->n);
		f = fill(r);
		if (f < 0)
			return -1;
		if (f == 0) {
			if (esc_tarscan_between(&r->scan))
				return 0;
			r->fail = ESC_TR_SHORT;
			r->short_in_data = esc_tarscan_in_data(&r->scan);
			return -1;
		}
	}
}

int esc_tarrd_data(struct esc_tarrd *r, const void **buf, size_t *len, size_t max)
{
	int f;
	size_t k;

	*len = 0;
	if (r->fail != ESC_TR_OK)
		return -1;
	if (r->off >= r->data_end)
		return skip_to(r, (r->data_end + 511) & ~(uint64_t)511) == 0 ? 0 : -1;
	f = fill(r);
	if (f == 0) {
		r->fail = ESC_TR_SHORT;
		r->short_in_data = true;
	}
	if (f <= 0)
		return -1;
	k = r->n < r->data_end - r->off ? r->n : (size_t)(r->data_end - r->off);
	k = k < max ? k : max;
	*buf = r->p;
	*len = k;
	advance(r, k);
	return 1;
}
