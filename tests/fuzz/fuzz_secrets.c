/* fuzz_secrets.c -- the secrets scanner: the first byte picks a chunk size
 * and whether the file is a .env file; the findings must match a
 * single-chunk run, and each one must read "line N: ...". */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"
#include "formats/esc_fmt.h"

static unsigned scan(const char *path, const uint8_t *d, size_t n, size_t chunk, char (*out)[128])
{
	esc_secrets *s = esc_secrets_new(path);
	size_t off = 0;
	unsigned total;

	if (!s)
		abort();
	while (off < n) {
		size_t k = chunk < n - off ? chunk : n - off;

		esc_secrets_update(s, d + off, k);
		off += k;
	}
	total = esc_secrets_final(s, out, 4);
	esc_secrets_free(s);
	return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[4][128], b[4][128];
	const char *path;
	unsigned na, nb;
	size_t chunk;

	if (size < 1)
		return 0;
	memset(a, 0, sizeof a);
	memset(b, 0, sizeof b);
	chunk = data[0] % 64 + 1;
	path = data[0] & 0x80 ? "app/.env" : "app/settings.py";
	na = scan(path, data + 1, size - 1, size, a);
	nb = scan(path, data + 1, size - 1, chunk, b);
	if (na != nb || memcmp(a, b, sizeof a) != 0)
		abort();
	for (unsigned i = 0; i < na && i < 4; i++)
		if (strncmp(a[i], "line ", 5) != 0)
			abort();
	return 0;
}
