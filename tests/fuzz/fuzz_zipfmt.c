/* fuzz_zipfmt.c -- the zip walker through its four users: zip, PyTorch
 * (zip and legacy), Keras and npz. */
#include "fuzz_fmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_both(&esc_fmt_zip, "fuzz/a.zip", data, size);
	fuzz_both(&esc_fmt_pytorch, "fuzz/a.pt", data, size);
	fuzz_both(&esc_fmt_keras, "fuzz/a.keras", data, size);
	fuzz_both(&esc_fmt_npz, "fuzz/a.npz", data, size);
	return 0;
}
