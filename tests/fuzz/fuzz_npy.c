/* fuzz_npy.c -- the npy checker on arbitrary bytes. */
#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_both(&esc_fmt_npy, "fuzz/input.npy", data, size);
	return 0;
}
