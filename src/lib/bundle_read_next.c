/* bundle_read_next.c -- the tar stream's entries and their data, as the
 * strict header scanner (bundle_read_tar.c) reads them: the read path's one
 * tar parser. Data is handed out in place, from the decoded buffers the
 * pipe hands over, never copied; what the caller does not take is skipped.
 * The end is where libarchive, which read bundles before, put it: the first
 * zero block, and the second when it is one too. */
#include "esc_bundle_read.h"

#include <string.h>

/* A buffer to read from: 1, 0 at the stream's end, -1 when it failed. */
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
	r->p = b;
	r->n = (size_t)k;
	return 1;
}

static void advance(struct esc_tarrd *r, size_t k)
{
	r->p += k;
	r->n -= k;
	r->off += k;
}

static bool zeros(const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (p[i] != 0)
			return false;
	return true;
}

/* After the first zero block: a second one is taken when the stream holds
 * it whole (anything else after the first is left to esc_pipe_drain, which
 * bounds it and allows only zeros). */
static void second_zero_block(struct esc_tarrd *r)
{
	size_t got = 0;

	while (got < 512 && fill(r) > 0) {
		size_t k = r->n < 512 - got ? r->n : 512 - got;

		if (!zeros(r->p, k))
			break;
		r->p += k;
		r->n -= k;
		got += k;
	}
	r->fail = ESC_TR_OK; /* the stream's failure, if any, is the drain's to report */
	if (got == 512)
		r->off += 512;
}

int esc_tarrd_next(struct esc_tarrd *r, struct esc_tarent *e)
{
	for (;;) {
		long used;
		int f;

		if (r->fail != ESC_TR_OK)
			return -1;
		if (esc_tarscan_ended(&r->scan))
			return 0;
		f = fill(r);
		if (f < 0)
			return -1;
		if (f == 0) {
			if (esc_tarscan_between(&r->scan))
				return 0;
			r->fail = ESC_TR_SHORT;
			return -1;
		}
		used = esc_tarscan_step(&r->scan, r->p, r->n);
		if (used < 0) {
			r->fail = ESC_TR_SCAN;
			return -1;
		}
		advance(r, (size_t)used);
		if (esc_tarscan_ended(&r->scan)) {
			second_zero_block(r);
			return 0;
		}
		if (r->scan.ready) {
			*e = r->scan.ent;
			memset(&r->scan.ent, 0, sizeof r->scan.ent);
			r->scan.ready = false;
			return 1;
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
	if (!esc_tarscan_in_data(&r->scan))
		return 0;
	f = fill(r);
	if (f < 0)
		return -1;
	if (f == 0) {
		r->fail = ESC_TR_SHORT;
		return -1;
	}
	k = esc_tarscan_take(&r->scan, r->n < max ? r->n : max);
	*buf = r->p;
	*len = k;
	advance(r, k);
	return 1;
}
