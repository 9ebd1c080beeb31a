/* fuzz_gguf.c -- the gguf checker on arbitrary bytes. */
#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_both(&esc_fmt_gguf, "fuzz/input.gguf", data, size);
	return 0;
}
