/* fuzz_json.c -- the JSON and text checkers. The first byte picks a chunk
 * size; the verdict and reason must match a single-chunk run. Oracles:
 * whatever jansson accepts (within our depth limit, no NUL) we accept, and what we
 * accept as JSON is also valid text (UTF-8, no NUL). */
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fmt.h"

static int same(const struct esc_fmt_ops *ops, const uint8_t *d, size_t n, size_t chunk)
{
	char reason[256];

	return fuzz_same(ops, "fuzz", d, n, chunk, reason);
}

static size_t max_depth(const uint8_t *d, size_t n)
{
	size_t depth = 0, max = 0;

	for (size_t i = 0; i < n; i++) {
		if (d[i] == '[' || d[i] == '{')
			depth++;
		if (depth > max)
			max = depth;
		if ((d[i] == ']' || d[i] == '}') && depth)
			depth--;
	}
	return max;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t chunk;
	int ours, text;
	json_error_t err;
	json_t *j;

	if (size < 1)
		return 0;
	chunk = data[0] % 17 + 1;
	data++;
	size--;
	ours = same(&esc_fmt_json, data, size, chunk);
	text = same(&esc_fmt_text, data, size, chunk);
	if (ours && !text)
		abort();
	j = json_loadb((const char *)data, size, JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
	/* jansson stops at a NUL byte outside strings; skip those inputs. */
	if (j && !ours && max_depth(data, size) <= 512 && !memchr(data, 0, size))
		abort();
	json_decref(j);
	return 0;
}
