/* fuzz_yaml.c -- the YAML checker (libyaml on its helper thread): the
 * first byte picks a chunk size; the verdict and reason must match a
 * single-chunk run, and the thread must always end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"
#include "formats/esc_fmt.h"

static int run(const uint8_t *d, size_t n, size_t chunk, char *reason)
{
	const struct esc_fmt_ops *ops = &esc_fmt_yaml;
	void *st = malloc(ops->state_size);
	size_t off = 0;
	int ok;

	if (!st)
		abort();
	ops->init(st, "f.yaml", n);
	while (off < n) {
		size_t k = chunk < n - off ? chunk : n - off;

		if (ops->update(st, d + off, k, off))
			break;
		off += k;
	}
	reason[0] = '\0';
	ok = ops->final(st, reason, 256);
	ops->release(st);
	free(st);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char r1[256], r2[256];
	size_t chunk;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] * 64 + 1;
	if (run(data + 1, size - 1, size, r1) != run(data + 1, size - 1, chunk, r2) || strcmp(r1, r2))
		abort();
	return 0;
}
