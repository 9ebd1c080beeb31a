/* fuzz_csv.c -- the CSV and PDF checkers: the first byte picks a chunk
 * size (and .csv or .tsv); the verdict and reason must match a
 * single-chunk run. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fmt.h"

static void same(const struct esc_fmt_ops *ops, const char *path, const uint8_t *d, size_t n, size_t chunk)
{
	char reason[256];

	if (!fuzz_same(ops, path, d, n, chunk, reason) && reason[0] == '\0')
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
