/* fuzz_fmt.h -- shared by the per-format fuzz targets: runs one checker
 * over the input twice, whole and in small chunks (fuzz_both), or checks
 * that its verdict and reason do not depend on the chunking (fuzz_same). */
#ifndef FUZZ_FMT_H
#define FUZZ_FMT_H

#include "escrow_private.h"
#include "formats/esc_fmt.h"

#include <stdlib.h>
#include <string.h>

static inline void fuzz_checker(const struct esc_fmt_ops *o, const char *path, const uint8_t *d, size_t n,
                                size_t chunk)
{
	struct esc_inspection out;
	char reason[256];
	void *st = calloc(1, o->state_size);

	if (!st)
		return;
	memset(&out, 0, sizeof out);
	o->init(st, path, n);
	if (o->sniff)
		o->sniff(d, n < 64 ? n : 64, n);
	for (size_t off = 0; off < n; off += chunk)
		if (o->update(st, d + off, n - off < chunk ? n - off : chunk, off))
			break;
	o->final(st, reason, sizeof reason);
	if (o->report)
		o->report(st, &out);
	esc_inspection_clear(&out);
	if (o->release)
		o->release(st);
	free(st);
}

/* Whole, then in chunks of 1..13 bytes picked by the input's length. */
static inline void fuzz_both(const struct esc_fmt_ops *o, const char *path, const uint8_t *d, size_t n)
{
	fuzz_checker(o, path, d, n, n ? n : 1);
	fuzz_checker(o, path, d, n, 1 + n % 13);
}

/* One run over d in chunks of chunk bytes: the verdict, the reason in
 * reason[256]. */
static inline int fuzz_run(const struct esc_fmt_ops *o, const char *path, const uint8_t *d, size_t n,
                           size_t chunk, char *reason)
{
	void *st = malloc(o->state_size);
	size_t off = 0;
	int ok;

	if (!st)
		abort();
	o->init(st, path, n);
	while (off < n) {
		size_t k = chunk < n - off ? chunk : n - off;

		if (o->update(st, d + off, k, off))
			break;
		off += k;
	}
	reason[0] = '\0';
	ok = o->final(st, reason, 256);
	if (o->release)
		o->release(st);
	free(st);
	return ok;
}

/* The verdict and reason (in reason[256]) of a single-chunk run, which a run
 * in chunks of chunk bytes must match, else abort(). */
static inline int fuzz_same(const struct esc_fmt_ops *o, const char *path, const uint8_t *d, size_t n,
                            size_t chunk, char *reason)
{
	char r2[256];
	int a = fuzz_run(o, path, d, n, n ? n : 1, reason), b = fuzz_run(o, path, d, n, chunk, r2);

	if (a != b || strcmp(reason, r2) != 0)
		abort();
	return a;
}

#endif
