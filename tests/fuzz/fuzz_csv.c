/* fuzz_csv.c -- the CSV and PDF checkers: the first byte picks a chunk
 * size (and .csv or .tsv); the verdict and reason must match a
 * single-chunk run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"
#include "formats/esc_fmt.h"

static int run(const struct esc_fmt_ops *ops, const char *path, const uint8_t *d, size_t n, size_t chunk,
               char *reason)
{
	void *st = malloc(ops->state_size);
	size_t off = 0;
	int ok;

	if (!st)
		abort();
	ops->init(st, path, n);
	while (off < n) {
		size_t k = chunk < n - off ? chunk : n - off;

		if (ops->update(st, d + off, k, off))
			break;
		off += k;
	}
	reason[0] = '\0';
	ok = ops->final(st, reason, 256);
	if (ops->release)
		ops->release(st);
	free(st);
	return ok;
}

static void same(const struct esc_fmt_ops *ops, const char *path, const uint8_t *d, size_t n, size_t chunk)
{
	char r1[256], r2[256];
	int a = run(ops, path, d, n, n ? n : 1, r1), b = run(ops, path, d, n, chunk, r2);

	if (a != b || strcmp(r1, r2) != 0)
		abort();
	if (!a && r1[0] == '\0')
		abort(); /* a failure always says why */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;
	const char *path;

	if (size < 1)
		return 0;
	chunk = data[0] % 31 + 1;
	path = data[0] & 0x80 ? "t.tsv" : "t.csv";
	same(&esc_fmt_csv, path, data + 1, size - 1, chunk);
	same(&esc_fmt_pdf, "d.pdf", data + 1, size - 1, chunk);
	(void)esc_is_lfs_pointer(data + 1, size - 1);
	return 0;
}
