/* fuzz_jent.c -- one manifest.json "files" entry: the in-place reader
 * (bundle_read_jent.c) must never take a text jansson refuses or read one
 * differently; abort when it does. */
#include "jent_oracle.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fast;
	const char *why = jent_oracle((const char *)data, size, &fast);

	if (why != NULL) {
		fprintf(stderr, "fuzz_jent: %s differs from jansson\n", why);
		abort();
	}
	return 0;
}
