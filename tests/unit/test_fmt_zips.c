/* test_fmt_zips.c -- the zip walker and the zip-based formats: zip, PyTorch
 * (zip and legacy), Keras, npz. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "escrow_private.h"
#include "fixtures.h"

static struct esc_inspection zip_case(const char *path, const struct fx_member *m, size_t n, bool bit3,
                                      enum esc_format want)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	fx_zip(&b, m, n, bit3);
	r = fx_inspect(path, &b, want);
	fx_free(&b);
	return r;
}

static void test_zip(void **state)
{
	struct fx_member ok[] = { { "a.txt", "hello\n", 6 }, { "dir/b.bin", "\0\1\2\3", 4 }, { "dir/", "", 0 } };
	struct fx_member bad[] = { { "a/../../evil.sh", "x", 1 } };
	struct fx_member abs[] = { { "/etc/cron.d/x", "x", 1 } };
	struct fx_member bs[] = { { "a\\b.txt", "x", 1 } };
	struct esc_inspection r;
	struct fx b = { 0 };

	(void)state;
	for (int bit3 = 0; bit3 < 2; bit3++) {
		r = zip_case("x/a.zip", ok, 3, bit3, ESC_FMT_ZIP);
		assert_true(r.wanted_ok);
		assert_int_equal(r.detected, ESC_FMT_ZIP);
	}
	r = zip_case("x/a.zip", bad, 1, false, ESC_FMT_ZIP);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "'..'"));
	r = zip_case("x/a.zip", bad, 1, true, ESC_FMT_ZIP);
	assert_false(r.wanted_ok);
	r = zip_case("x/a.zip", abs, 1, false, ESC_FMT_ZIP);
	assert_non_null(strstr(r.reason, "absolute"));
	r = zip_case("x/a.zip", bs, 1, false, ESC_FMT_ZIP);
	assert_non_null(strstr(r.reason, "backslash"));

	fx_zip(&b, ok, 3, false);
	b.n -= 5;
	r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "truncated"));
	b.n += 5;
	fx_put(&b, "junk", 4);
	r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
	assert_false(r.wanted_ok);
	fx_free(&b);

	/* a size in the central directory pointing past the data */
	fx_zip(&b, ok, 1, false);
	b.p[b.n - 22 - 5 - 46 + 20] = 0x70;
	r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "outside"));
	fx_free(&b);

	/* a central directory entry pointing into another member's data */
	fx_zip(&b, ok, 2, false);
	{
		size_t cd = b.p[b.n - 6] | (size_t)b.p[b.n - 5] << 8;

		b.p[cd + 46 + 5 + 42] = 32; /* dir/b.bin "starts" inside a.txt */
		b.p[cd + 46 + 5 + 43] = 0;
	}
	r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "dir/b.bin: central directory points to offset 32, where no member starts");
	fx_free(&b);

	/* an empty archive is a zip */
	FX_LIT(&b, "PK\x05\x06\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0");
	assert_true(fx_inspect("e.zip", &b, ESC_FMT_ZIP).wanted_ok);
	fx_free(&b);
}

static void torch_zip(struct fx *b, const char *rebuild, bool bit3, bool with_version)
{
	struct fx pk = { 0 };
	struct fx_member m[4];
	size_t n = 0;

	fx_torch_pickle(&pk, rebuild);
	m[n++] = (struct fx_member){ "archive/data.pkl", pk.p, pk.n };
	m[n++] = (struct fx_member){ "archive/data/0", "\0\0\x80?\0\0\0@\0\0@@\0\0\x80@", 16 };
	if (with_version)
		m[n++] = (struct fx_member){ "archive/version", "3\n", 2 };
	m[n++] = (struct fx_member){ "archive/.data/serialization_id", "1234", 4 };
	fx_zip(b, m, n, bit3);
	fx_free(&pk);
}

static void test_pytorch(void **state)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	(void)state;
	for (int bit3 = 0; bit3 < 2; bit3++) {
		torch_zip(&b, "torch._utils\n_rebuild_tensor_v2\n", bit3, true);
		r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
		assert_true(r.wanted_ok);
		assert_int_equal(r.detected, ESC_FMT_PYTORCH);
		assert_int_equal(r.pickle, ESC_PICKLE_SAFE);
		/* found by content under any name, and it is a zip too */
		r = fx_inspect("m/weights", &b, ESC_FMT_ZIP);
		assert_int_equal(r.detected, ESC_FMT_PYTORCH);
		assert_true(r.wanted_ok);
		assert_int_equal(r.pickle, ESC_PICKLE_SAFE);
		fx_free(&b);

		torch_zip(&b, "posix\nsystem\n", bit3, true);
		r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
		assert_true(r.wanted_ok);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
		assert_string_equal(r.pickle_imports, "posix.system");
		fx_free(&b);

		torch_zip(&b, "mylib.layers\nrebuild\n", bit3, true);
		r = fx_inspect("m/model.bin", &b, ESC_FMT_NONE);
		assert_int_equal(r.pickle, ESC_PICKLE_UNKNOWN);
		assert_string_equal(r.pickle_imports, "mylib.layers.rebuild");
		fx_free(&b);
	}
	/* the central directory says data.pkl is deflated: readers would inflate
	 * the bytes that were scanned as a stored pickle into another pickle */
	torch_zip(&b, "torch._utils\n_rebuild_tensor_v2\n", false, true);
	{
		size_t cd = b.p[b.n - 6] | (size_t)b.p[b.n - 5] << 8;

		b.p[cd + 10] = 8;
	}
	r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
	assert_int_equal(r.pickle, ESC_PICKLE_UNKNOWN);
	assert_non_null(strstr(r.pickle_imports, "compressed in the central directory"));
	fx_free(&b);

	torch_zip(&b, "torch._utils\n_rebuild_tensor_v2\n", false, false);
	r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "not a PyTorch archive: archive/version missing");
	fx_free(&b);

	/* legacy: five pickles, then raw storage bytes */
	FX_LIT(&b, "\x80\x02\x8a\x0a\x6c\xfc\x9c\x46\xf9\x20\x6a\xa8\x50\x19\x2e");
	FX_LIT(&b, "\x80\x02M\xe9\x03.");
	FX_LIT(&b, "\x80\x02}q\x00(X\x0d\x00\x00\x00little_endianq\x01\x88u.");
	fx_torch_pickle(&b, "torch._utils\n_rebuild_tensor_v2\n");
	FX_LIT(&b, "\x80\x02]q\x00X\x01\x00\x00\x00" "0" "q\x01a.");
	fx_le(&b, 4, 8);
	fx_fill(&b, 16, 0xfe);
	r = fx_inspect("m/old.pth", &b, ESC_FMT_PYTORCH);
	assert_true(r.wanted_ok);
	assert_int_equal(r.pickle, ESC_PICKLE_SAFE);
	/* under a pickle name it is still read as five pickles, not one plus garbage */
	r = fx_inspect("m/old.pkl", &b, ESC_FMT_NONE);
	assert_int_equal(r.detected, ESC_FMT_PYTORCH);
	assert_int_equal(r.pickle, ESC_PICKLE_SAFE);
	b.n = 40;
	r = fx_inspect("m/old.pth", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_int_equal(r.pickle, ESC_PICKLE_UNKNOWN);
	fx_free(&b);

	/* a .pt that is neither */
	fx_fill(&b, 100, 0);
	r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_NONE);
	fx_free(&b);
}

static void test_keras_npz(void **state)
{
	struct fx b = { 0 }, a = { 0 }, o = { 0 };
	struct esc_inspection r;
	struct fx_member k[] = { { "metadata.json", "{}", 2 }, { "config.json", "{}", 2 },
	                         { "model.weights.h5", "\x89HDF", 4 } };

	(void)state;
	r = zip_case("m/model.keras", k, 3, false, ESC_FMT_KERAS);
	assert_true(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_KERAS);
	r = zip_case("m/model.keras", k, 2, false, ESC_FMT_KERAS);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "model.weights.h5 missing"));
	assert_int_equal(r.detected, ESC_FMT_ZIP);

	fx_npy(&a, "<i8", "(2, 2)", 32, 64);
	fx_npy(&o, "|O", "(1,)", 0, 64);
	FX_LIT(&o, "\x80\x04\x95\x20\x00\x00\x00\x00\x00\x00\x00" "\x8c\x08" "builtins" "\x94" "\x8c\x04" "eval"
	           "\x94" "\x93" "\x94" "\x8c\x01" "1" "\x85" "R" ".");
	{
		struct fx_member z[] = { { "a.npy", a.p, a.n }, { "b.npy", a.p, a.n } };
		struct fx_member zo[] = { { "a.npy", a.p, a.n }, { "obj.npy", o.p, o.n } };
		struct fx_member zbad[] = { { "a.npy", a.p, a.n - 1 } };
		struct fx_member zname[] = { { "a.npy", a.p, a.n }, { "readme.txt", "hi", 2 } };

		r = zip_case("d/x.npz", z, 2, false, ESC_FMT_NPZ);
		assert_true(r.wanted_ok);
		assert_int_equal(r.detected, ESC_FMT_NPZ);
		assert_int_equal(r.pickle, ESC_PICKLE_NONE);
		r = zip_case("d/x.npz", zo, 2, false, ESC_FMT_NPZ);
		assert_true(r.wanted_ok);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
		assert_string_equal(r.pickle_imports, "builtins.eval");
		r = zip_case("d/x.npz", zbad, 1, false, ESC_FMT_NPZ);
		assert_false(r.wanted_ok);
		assert_non_null(strstr(r.reason, "a.npy: shape and dtype give 32"));
		r = zip_case("d/x.npz", zname, 2, false, ESC_FMT_NPZ);
		assert_false(r.wanted_ok);
		assert_string_equal(r.reason, "readme.txt: not a .npy member");
	}
	fx_free(&a);
	fx_free(&o);
	fx_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zip),
		cmocka_unit_test(test_pytorch),
		cmocka_unit_test(test_keras_npz),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
