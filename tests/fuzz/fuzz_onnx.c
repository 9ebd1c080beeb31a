/* fuzz_onnx.c -- the onnx checker on arbitrary bytes. */
#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_both(&esc_fmt_onnx, "fuzz/input.onnx", data, size);
	return 0;
}
