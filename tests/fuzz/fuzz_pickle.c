/* fuzz_pickle.c -- the pickle opcode walker, whole and byte by byte, with
 * the legacy torch hooks watching (they read the stack and the memo). */
#include "escrow_private.h"
#include "formats/esc_fmt.h"

#include <string.h>

static unsigned seen;

static void on_storage(void *u, const char *type, const char *key)
{
	seen += (unsigned)strlen(type) + (unsigned)strlen(key);
}

static void on_string(void *u, unsigned index, const char *s)
{
	seen += index + (unsigned)strlen(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct esc_pickle_watch watch = { NULL, on_storage, on_string };
	char a[256], b[256];
	esc_pickle *p = esc_pickle_new(), *q = esc_pickle_new();

	if (p && q) {
		esc_pickle_watch(q, &watch);
		esc_pickle_update(p, data, size);
		for (size_t i = 0; i < size; i++)
			esc_pickle_update(q, data + i, 1);
		/* chunking must not change the verdict */
		if (esc_pickle_final(p, a, sizeof a) != esc_pickle_final(q, b, sizeof b) || strcmp(a, b) != 0)
			__builtin_trap();
		if (esc_pickle_final_ts(p, a, sizeof a) != esc_pickle_final_ts(q, b, sizeof b) || strcmp(a, b) != 0)
			__builtin_trap();
		/* an allowlist: the TorchScript list only adds names */
		if (esc_pickle_final(p, a, sizeof a) == ESC_PICKLE_SAFE && esc_pickle_final_ts(p, b, sizeof b) != ESC_PICKLE_SAFE)
			__builtin_trap();
	}
	esc_pickle_free(p);
	esc_pickle_free(q);
	return 0;
}
