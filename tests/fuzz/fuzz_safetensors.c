/* fuzz_safetensors.c -- the safetensors checker on arbitrary bytes. Oracle:
 * a header our reader (st_header.c) accepts is one jansson loads as an
 * object with no duplicate key (the JSON rules the reader keeps). */
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "formats/esc_st.h"
#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_both(&esc_fmt_safetensors, "fuzz/input.safetensors", data, size);
	if (size >= 8) {
		uint64_t n = 0;

		for (int k = 7; k >= 0; k--)
			n = n << 8 | data[k];
		if (n <= size - 8) {
			char *h = malloc(n ? (size_t)n : 1), why[200];
			struct esc_st_range *r = NULL;
			size_t nr = 0;
			json_error_t e;
			json_t *j;

			if (h == NULL)
				abort();
			memcpy(h, data + 8, (size_t)n);
			j = json_loadb((const char *)data + 8, (size_t)n, JSON_REJECT_DUPLICATES, &e);
			if (esc_st_header(h, (size_t)n, &r, &nr, why, sizeof why) && !json_is_object(j))
				abort();
			free(r);
			free(h);
			json_decref(j);
		}
	}
	return 0;
}
