/* fuzz_jent.c -- one manifest.json "files" entry, whole and at the start
 * of a buffer: the in-place reader (bundle_read_jent.c) must never take a
 * text jansson refuses or read one differently; abort when it does. */
#include "jent_oracle.h"

#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int fast;
	const char *why = jent_oracle((const char *)data, size, &fast);
	struct esc_jent e;
	size_t used;

	/* The streaming form: what it takes is an entry the whole form takes. */
	if (why == NULL && esc_jent_prefix((const char *)data, size, &e, &used)) {
		why = jent_oracle((const char *)data, used, &fast);
		if (why == NULL && !fast)
			why = "the prefix form took an entry the whole form declines";
	}

	if (why != NULL) {
		fprintf(stderr, "fuzz_jent: %s (fast path against jansson)\n", why);
		abort();
	}
	return 0;
}
