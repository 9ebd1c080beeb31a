/* fuzz_safetensors.c -- the safetensors checker on arbitrary bytes. */
#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_both(&esc_fmt_safetensors, "fuzz/input.safetensors", data, size);
	return 0;
}
