/* fuzz_yaml.c -- the YAML checker (libyaml on its helper thread): the
 * first byte picks a chunk size; the verdict and reason must match a
 * single-chunk run, and the thread must always end. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char reason[256];
	size_t chunk;

	if (size < 1)
		return 0;
	chunk = (size_t)data[0] * 64 + 1;
	(void)fuzz_same(&esc_fmt_yaml, "f.yaml", data + 1, size - 1, chunk, reason);
	return 0;
}
