/* test_fmt_robust.c -- every strict prefix of a valid model file fails its
 * check, and every single flipped byte is handled (run under ASan/UBSan this
 * is a small exhaustive fuzz). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "escrow_private.h"
#include "fixtures.h"

struct sample {
	const char *path;
	enum esc_format fmt;
	bool prefixes_fail;       /* protobuf: a prefix cut at a field boundary may be valid */
	struct fx b;
};

static void build(struct sample *s, size_t *n)
{
	struct fx pk = { 0 }, npy = { 0 };

	s[*n] = (struct sample){ "m/a.safetensors", ESC_FMT_SAFETENSORS, true, { 0 } };
	fx_safetensors(&s[(*n)++].b, "{\"a\":{\"dtype\":\"BF16\",\"shape\":[3],\"data_offsets\":[0,6]}}", 6);
	s[*n] = (struct sample){ "m/a.onnx", ESC_FMT_ONNX, false, { 0 } };
	fx_onnx(&s[(*n)++].b, 9, true, true, "a.data");
	s[*n] = (struct sample){ "m/a.gguf", ESC_FMT_GGUF, true, { 0 } };
	fx_gguf(&s[(*n)++].b, 2, 1, 32);
	s[*n] = (struct sample){ "d/a.npy", ESC_FMT_NPY, true, { 0 } };
	fx_npy(&s[(*n)++].b, "<u2", "(2, 3)", 12, 64);
	fx_torch_pickle(&pk, "torch._utils\n_rebuild_tensor_v2\n");
	fx_npy(&npy, "<f8", "()", 8, 64);
	{
		struct fx_member t[] = { { "a/data.pkl", pk.p, pk.n }, { "a/version", "3\n", 2 } };
		struct fx_member z[] = { { "x.npy", npy.p, npy.n } };

		for (int bit3 = 0; bit3 < 2; bit3++) {
			s[*n] = (struct sample){ "m/a.pt", ESC_FMT_PYTORCH, true, { 0 } };
			fx_zip(&s[(*n)++].b, t, 2, bit3);
		}
		s[*n] = (struct sample){ "d/a.npz", ESC_FMT_NPZ, true, { 0 } };
		fx_zip(&s[(*n)++].b, z, 1, false);
	}
	s[*n] = (struct sample){ "d/a.parquet", ESC_FMT_PARQUET, true, { 0 } };
	fx_s(&s[*n].b, "PAR1");
	fx_fill(&s[*n].b, 6, 1);
	fx_le(&s[*n].b, 6, 4);
	fx_s(&s[(*n)++].b, "PAR1");
	fx_free(&pk);
	fx_free(&npy);
}

static void test_prefixes_and_flips(void **state)
{
	struct sample s[16];
	size_t n = 0;

	(void)state;
	build(s, &n);
	for (size_t k = 0; k < n; k++) {
		struct fx *b = &s[k].b;
		struct esc_inspection r = fx_inspect_chunked(s[k].path, b, s[k].fmt, 0);
		size_t full = b->n;

		if (!r.wanted_ok)
			fprintf(stderr, "%s: %s\n", s[k].path, r.reason);
		assert_true(r.wanted_ok);
		for (size_t cut = 0; cut < full; cut++) {
			b->n = cut;
			r = fx_inspect_chunked(s[k].path, b, s[k].fmt, 3);
			if (s[k].prefixes_fail && r.wanted_ok)
				fprintf(stderr, "%s: prefix of %zu bytes passes\n", s[k].path, cut);
			assert_true(!s[k].prefixes_fail || !r.wanted_ok);
		}
		b->n = full;
		for (size_t i = 0; i < full; i++) {
			for (unsigned bit = 0; bit < 8; bit += 3) {
				b->p[i] ^= (uint8_t)(1u << bit);
				r = fx_inspect_chunked(s[k].path, b, ESC_FMT_NONE, 5);
				(void)r;
				b->p[i] ^= (uint8_t)(1u << bit);
			}
		}
		fx_free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefixes_and_flips),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
