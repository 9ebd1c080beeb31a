/* fuzz_pickle.c -- the pickle opcode walker, whole and byte by byte. */
#include "escrow_private.h"
#include "formats/esc_fmt.h"

#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char a[256], b[256];
	esc_pickle *p = esc_pickle_new(), *q = esc_pickle_new();

	if (p && q) {
		esc_pickle_update(p, data, size);
		for (size_t i = 0; i < size; i++)
			esc_pickle_update(q, data + i, 1);
		/* chunking must not change the verdict */
		if (esc_pickle_final(p, a, sizeof a) != esc_pickle_final(q, b, sizeof b) || strcmp(a, b) != 0)
			__builtin_trap();
	}
	esc_pickle_free(p);
	esc_pickle_free(q);
	return 0;
}
