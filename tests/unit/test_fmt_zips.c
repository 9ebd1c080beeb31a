/* test_fmt_zips.c -- the zip walker and the zip-based formats: zip, PyTorch
 * (zip and legacy), Keras, npz. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <zlib.h>

#include "escrow_private.h"
#include "fixtures.h"
#include "formats/esc_fmt.h"

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

		/* off the allowlist: unsafe, whatever it is */
		torch_zip(&b, "mylib.layers\nrebuild\n", bit3, true);
		r = fx_inspect("m/model.bin", &b, ESC_FMT_NONE);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
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
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
	assert_non_null(strstr(r.pickle_imports, "compression method 0 in the local header, 8 in the central"));
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
	/* storages: 8-byte element count, count x 4 bytes (FloatStorage) */
	b.n -= 1;
	r = fx_inspect("m/old.pth", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "legacy PyTorch file: storage 1 of 1: 4 elements run past the end of the file "
	                              "(truncated?)");
	assert_int_equal(r.pickle, ESC_PICKLE_SAFE);
	b.n -= 16;
	r = fx_inspect("m/old.pth", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "legacy PyTorch file: truncated: 0 of 1 storages complete");
	b.n += 18;
	r = fx_inspect("m/old.pth", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "legacy PyTorch file: 1 bytes after the last of its 1 storages");
	/* cut inside the pickles: unsafe too (the loader runs what it read) */
	b.n = 40;
	r = fx_inspect("m/old.pth", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
	fx_free(&b);

	/* a .pt that is neither */
	fx_fill(&b, 100, 0);
	r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_NONE);
	fx_free(&b);

	/* torch.load runs the first pickle of any other file before it looks
	 * for the magic number: a protocol 0 pickle named .pt is judged */
	FX_LIT(&b, "ctimeit\ntimeit\n(S''\nS'import os'\ntR.");
	r = fx_inspect("m/model.pt", &b, ESC_FMT_NONE);
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
	assert_string_equal(r.pickle_imports, "timeit.timeit");
	fx_free(&b);
	/* ... and a text file the unpickler refuses before calling anything
	 * (Python's .pth path files) is no pickle */
	FX_LIT(&b, "import os; var = 'SETUPTOOLS_USE_DISTUTILS'; enabled = os.environ.get(var) == 'local'\n");
	r = fx_inspect("site/distutils-precedence.pth", &b, ESC_FMT_NONE);
	assert_int_equal(r.pickle, ESC_PICKLE_NONE);
	fx_free(&b);
	/* ... but only where the unpickler refuses it too: what it reads in a
	 * line (a NUL in a string or a number, a memo index as Python's int()
	 * reads it) must not stop the scan before the import that follows */
#define TRICK(lit) { lit, sizeof lit - 1 }
	{
		static const struct { const char *s; size_t n; } tricks[] = {
			TRICK("S'\0'\n0"), TRICK("V\0\n0"), TRICK("I1\0x\n0"), TRICK("Np0_0\n0"), TRICK("Np 1\n0"),
			TRICK("Np+1\n0"), TRICK("Np0000000000000000000001\n0"), TRICK("Np1\0z\n0"),
			TRICK("Np0\n0g-0\n0"), TRICK("Np1 \n0g 1\t\n0"),
		};

		for (size_t i = 0; i < sizeof tricks / sizeof tricks[0]; i++) {
			fx_put(&b, tricks[i].s, tricks[i].n);
			FX_LIT(&b, "ctimeit\ntimeit\n(S''\nS'import os'\ntR.");
			r = fx_inspect("m/model.pt", &b, ESC_FMT_NONE);
			assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
			assert_string_equal(r.pickle_imports, "timeit.timeit");
			fx_free(&b);
		}
	}
#undef TRICK
	/* a PROTO-led stream cut short is judged strictly */
	FX_LIT(&b, "\x80\x02]q\x00(K\x01");
	r = fx_inspect("m/model.pt", &b, ESC_FMT_NONE);
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
	fx_free(&b);
}

/* A zip written member by member the ways real writers do: stored or
 * deflated, sizes in the local header or in a data descriptor (with or
 * without its optional signature), in any order. */
struct zm {
	const char *name;
	const void *data;
	size_t len;
	int method;          /* 0 stored, 8 deflated */
	bool bit3, no_sig;
};

static size_t raw_deflate(const void *in, size_t n, uint8_t *out, size_t cap)
{
	z_stream zs = { 0 };

	assert_int_equal(deflateInit2(&zs, 9, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	zs.next_out = out;
	zs.avail_out = (uInt)cap;
	assert_int_equal(deflate(&zs, Z_FINISH), Z_STREAM_END);
	n = zs.total_out;
	deflateEnd(&zs);
	return n;
}

static void zip_build(struct fx *b, const struct zm *m, size_t n)
{
	struct fx cd = { 0 };
	uint8_t *z = malloc(65536);

	for (size_t i = 0; i < n; i++) {
		uint32_t crc = fx_crc32(m[i].data, m[i].len);
		size_t off = b->n, cl = m[i].len;
		const void *d = m[i].data;

		if (m[i].method == 8) {
			cl = raw_deflate(m[i].data, m[i].len, z, 65536);
			d = z;
		}
		fx_le(b, 0x04034b50, 4);
		fx_le(b, 20, 2);
		fx_le(b, m[i].bit3 ? 8 : 0, 2);
		fx_le(b, (uint64_t)m[i].method, 2);
		fx_le(b, 0, 4);
		fx_le(b, m[i].bit3 ? 0 : crc, 4);
		fx_le(b, m[i].bit3 ? 0 : cl, 4);
		fx_le(b, m[i].bit3 ? 0 : m[i].len, 4);
		fx_le(b, strlen(m[i].name), 2);
		fx_le(b, 0, 2);
		fx_s(b, m[i].name);
		fx_put(b, d, cl);
		if (m[i].bit3) {
			if (!m[i].no_sig)
				fx_le(b, 0x08074b50, 4);
			fx_le(b, crc, 4);
			fx_le(b, cl, 4);
			fx_le(b, m[i].len, 4);
		}
		fx_le(&cd, 0x02014b50, 4);
		fx_le(&cd, 20, 2);
		fx_le(&cd, 20, 2);
		fx_le(&cd, m[i].bit3 ? 8 : 0, 2);
		fx_le(&cd, (uint64_t)m[i].method, 2);
		fx_le(&cd, 0, 4);
		fx_le(&cd, crc, 4);
		fx_le(&cd, cl, 4);
		fx_le(&cd, m[i].len, 4);
		fx_le(&cd, strlen(m[i].name), 2);
		fx_le(&cd, 0, 6);
		fx_le(&cd, 0, 6);
		fx_le(&cd, off, 4);
		fx_s(&cd, m[i].name);
	}
	{
		size_t cd_off = b->n;

		fx_put(b, cd.p, cd.n);
		fx_le(b, 0x06054b50, 4);
		fx_le(b, 0, 4);
		fx_le(b, n, 2);
		fx_le(b, n, 2);
		fx_le(b, cd.n, 4);
		fx_le(b, cd_off, 4);
		fx_le(b, 0, 2);
	}
	fx_free(&cd);
	free(z);
}

/* torch.load reads data.pkl wherever it lies, deflated or not, with or
 * without descriptors: so does the scan, and a hostile one is unsafe in
 * every layout. */
static void test_pytorch_layouts(void **state)
{
	struct fx good = { 0 }, bad = { 0 }, b = { 0 };
	struct esc_inspection r;
	static const uint8_t tensor[16] = { 0, 0, 0x80, 0x3f, 'P', 'K', 7, 8, 16, 0, 0, 0, 0, 0, 0x40, 0x40 };

	(void)state;
	fx_torch_pickle(&good, "torch._utils\n_rebuild_tensor_v2\n");
	fx_torch_pickle(&bad, "timeit\ntimeit\n");
	for (int layout = 0; layout < 16; layout++) {
		int method = layout & 1 ? 8 : 0;
		bool bit3 = layout & 2, last = layout & 4, other_deflated = layout & 8;

		for (int hostile = 0; hostile < 2; hostile++) {
			const struct fx *pk = hostile ? &bad : &good;
			struct zm pkl = { "arch/data.pkl", pk->p, pk->n, method, bit3, false };
			struct zm m[3] = {
				{ "arch/data/0", tensor, sizeof tensor, other_deflated ? 8 : 0, bit3, false },
				{ "arch/version", "3\n", 2, other_deflated ? 8 : 0, bit3, false },
			};

			if (last) {
				m[2] = pkl;
			} else {
				m[2] = m[1];
				m[1] = m[0];
				m[0] = pkl;
			}
			zip_build(&b, m, 3);
			r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
			if (!r.wanted_ok)
				fprintf(stderr, "layout %d: %s\n", layout, r.reason);
			assert_true(r.wanted_ok);
			assert_int_equal(r.pickle, hostile ? ESC_PICKLE_DANGEROUS : ESC_PICKLE_SAFE);
			assert_string_equal(r.pickle_imports, hostile ? "timeit.timeit" : "");
			fx_free(&b);
		}
	}

	/* a descriptor without its signature: the walk cannot stay in step, and
	 * a pickle after that member is not reached: unsafe, never ok */
	{
		struct zm m[3] = {
			{ "arch/data/0", tensor, sizeof tensor, 0, true, true },
			{ "arch/version", "3\n", 2, 0, false, false },
			{ "arch/data.pkl", good.p, good.n, 0, false, false },
		};

		zip_build(&b, m, 3);
		r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
		assert_non_null(strstr(r.pickle_imports, "arch/data.pkl: a pickle the scan did not reach"));
		fx_free(&b);
		/* the same with data.pkl first: scanned before the walk lost step */
		m[2] = m[0];
		m[0] = (struct zm){ "arch/data.pkl", good.p, good.n, 0, false, false };
		zip_build(&b, m, 3);
		r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
		assert_true(r.wanted_ok);
		assert_int_equal(r.pickle, ESC_PICKLE_SAFE);
		fx_free(&b);
	}

	/* torch's reader finds DATA.PKL as data.pkl; a zip under any name and
	 * with any first record is loaded by torch.load: both are scanned */
	{
		struct zm m[3] = {
			{ "readme", "hi", 2, 0, false, false },
			{ "arch/version", "3\n", 2, 0, false, false },
			{ "arch/DATA.PKL", bad.p, bad.n, 8, true, false },
		};

		zip_build(&b, m, 3);
		r = fx_inspect("m/weights", &b, ESC_FMT_NONE);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
		assert_string_equal(r.pickle_imports, "timeit.timeit");
		assert_int_equal(r.detected, ESC_FMT_ZIP);
		fx_free(&b);
	}

	/* junk between records: torch's reader follows the central directory
	 * past it, the walk cannot: a pytorch_model.bin is then unsafe */
	{
		struct zm m[2] = { { "arch/version", "3\n", 2, 0, false, false },
		                   { "arch/data.pkl", bad.p, bad.n, 0, false, false } };
		struct fx h = { 0 };
		size_t first = 30 + strlen("arch/version") + 2;

		zip_build(&b, m, 2);
		fx_put(&h, b.p, first);
		fx_s(&h, "junk");
		fx_put(&h, b.p + first, b.n - first);
		r = fx_inspect("hf/pytorch_model.bin", &h, ESC_FMT_NONE);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
		assert_non_null(strstr(r.pickle_imports, "not every pickle could be scanned"));
		/* any other broken zip is just not a valid zip */
		r = fx_inspect("data/archive.zip", &h, ESC_FMT_NONE);
		assert_int_equal(r.pickle, ESC_PICKLE_NONE);
		fx_free(&h);
		fx_free(&b);
	}

	/* a deflated pickle whose stream is corrupt: unsafe */
	{
		struct zm m[2] = { { "arch/data.pkl", good.p, good.n, 8, false, false }, { "arch/version", "3\n", 2, 0, false, false } };
		size_t at;

		zip_build(&b, m, 2);
		at = 30 + strlen("arch/data.pkl");
		b.p[at] = 0xff; /* an invalid block type */
		b.p[at + 1] = 0xff;
		r = fx_inspect("m/model.pt", &b, ESC_FMT_PYTORCH);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
		fx_free(&b);
	}

	/* TorchScript (constants.pkl, code/): __torch__ classes are its own; the
	 * code is reported once; a hostile pickle inside stays unsafe */
	{
		static const char ts_pkl[] = "\x80\x02" "c__torch__\nTiny\n)\x81}b.";
		static const char evil[] = "\x80\x02" "ctimeit\ntimeit\n)R.";
		struct zm m[4] = {
			{ "ts/data.pkl", ts_pkl, sizeof ts_pkl - 1, 0, true, false },
			{ "ts/code/__torch__.py", "def forward(self):\n  pass\n", 26, 8, true, false },
			{ "ts/constants.pkl", "\x80\x02).", 4, 0, true, false },
			{ "ts/version", "3\n", 2, 0, true, false },
		};

		zip_build(&b, m, 4);
		r = fx_inspect("m/ts.pt", &b, ESC_FMT_PYTORCH);
		assert_true(r.wanted_ok);
		assert_int_equal(r.pickle, ESC_PICKLE_UNKNOWN);
		assert_non_null(strstr(r.pickle_imports, "TorchScript archive"));
		fx_free(&b);
		m[2] = (struct zm){ "ts/constants.pkl", evil, sizeof evil - 1, 8, true, false };
		zip_build(&b, m, 4);
		r = fx_inspect("m/ts.pt", &b, ESC_FMT_PYTORCH);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
		assert_string_equal(r.pickle_imports, "timeit.timeit");
		fx_free(&b);
		/* without constants.pkl and code/ it is no TorchScript: __torch__ is off the list */
		zip_build(&b, (struct zm[]){ m[0], m[3] }, 2);
		r = fx_inspect("m/ts.pt", &b, ESC_FMT_PYTORCH);
		assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
		assert_string_equal(r.pickle_imports, "__torch__.Tiny");
		fx_free(&b);
	}
	fx_free(&good);
	fx_free(&bad);
}

/* The zip64 locator's offset comes from the file: near 2^64 the bounds
 * check wrapped and the reader read before its buffer. */
static void test_zip64_locator_wrap(void **state)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	(void)state;
	/* a bit 3 member without a descriptor: the walk falls back to the tail */
	fx_le(&b, 0x04034b50, 4);
	fx_le(&b, 20, 2);
	fx_le(&b, 8, 2);
	fx_le(&b, 0, 2);
	fx_le(&b, 0, 8);
	fx_le(&b, 0, 8);
	fx_le(&b, 1, 2);
	fx_le(&b, 0, 2);
	fx_s(&b, "a");
	fx_fill(&b, 40, 3);
	/* zip64 locator: disk 0, end record "at" 2^64 - 8, 1 disk */
	fx_le(&b, 0x07064b50, 4);
	fx_le(&b, 0, 4);
	fx_le(&b, UINT64_MAX - 7, 8);
	fx_le(&b, 1, 4);
	fx_le(&b, 0x06054b50, 4);
	fx_le(&b, 0, 4);
	fx_le(&b, 0xffff, 2);
	fx_le(&b, 0xffff, 2);
	fx_le(&b, 0xffffffff, 4);
	fx_le(&b, 0xffffffff, 4);
	fx_le(&b, 0, 2);
	r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "zip64 end record outside the checked tail");
	r = fx_inspect("x/a.pt", &b, ESC_FMT_PYTORCH);
	assert_false(r.wanted_ok);
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS); /* a .pt whose pickles could not all be seen */
	fx_free(&b);
	assert_true(esc_fits(UINT64_MAX - 56, 56, UINT64_MAX));
	assert_false(esc_fits(UINT64_MAX - 7, 56, 100));
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
	FX_LIT(&o, "\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00" "\x8c\x08" "builtins" "\x94" "\x8c\x04" "eval"
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

/* A deflate stream that breaks: what inflates before the fault is scanned
 * whole, whatever chunks the input came in (fx_inspect compares one chunk
 * with chunks of 1 and 7 bytes and aborts on any difference). zlib hands
 * out what it decoded before the fault in the call that meets it; that
 * part used to be dropped, so a pickle was seen in some chunkings only. */
static void test_npz_corrupt_deflate(void **state)
{
	struct fx o = { 0 }, b = { 0 };
	size_t data = 30 + 1, cl, flips = 0;

	(void)state;
	fx_npy(&o, "|O", "(1,)", 0, 64);
	FX_LIT(&o, "\x80\x04\x95\x1a\x00\x00\x00\x00\x00\x00\x00" "\x8c\x08" "builtins" "\x94" "\x8c\x04" "eval"
	           "\x94" "\x93" "\x94" "\x8c\x01" "1" "\x85" "R" ".");
	{
		struct zm m[] = { { "b", o.p, o.n, 8, false, false } };

		zip_build(&b, m, 1);
	}
	cl = b.n - data - (46 + 1) - 22; /* less the central directory entry and the end record */
	for (size_t i = data; i < data + cl; i++) {
		for (unsigned x = 0x01; x <= 0xff; x += 0xfe) {
			b.p[i] ^= (uint8_t)x;
			(void)fx_inspect("d/x.npz", &b, ESC_FMT_NONE);
			b.p[i] ^= (uint8_t)x;
			flips++;
		}
	}
	assert_int_equal(flips, 2 * cl);
	fx_free(&o);
	fx_free(&b);
}

/* Python's zipfile (np.load) and miniz (torch.load) check each member's
 * CRC-32 and the local header's name against the central directory: so does
 * the walk, stored or deflated, sizes in the header or in a descriptor. */
static void test_zip_crc(void **state)
{
	static const char text[] = "weights weights weights, and more weights\n";
	struct fx b = { 0 };
	struct esc_inspection r;

	(void)state;
	for (int method = 0; method <= 8; method += 8) {
		for (int bit3 = 0; bit3 < 2; bit3++) {
			struct zm m[] = { { "a.bin", text, sizeof text - 1, method, bit3, false },
			                  { "b.bin", text, sizeof text - 1, method, bit3, false } };
			const size_t data = 30 + 5;

			zip_build(&b, m, 2);
			r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
			assert_true(r.wanted_ok);
			/* a flipped data byte: the CRC-32 (or, deflated, the stream) */
			b.p[data + 3] ^= 0x01;
			r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
			assert_false(r.wanted_ok);
			if (method == 0)
				assert_non_null(strstr(r.reason, "a.bin: CRC-32"));
			b.p[data + 3] ^= 0x01;
			/* the central directory's CRC-32 */
			{
				size_t cd = b.p[b.n - 6] | (size_t)b.p[b.n - 5] << 8;

				b.p[cd + 16] ^= 0x40;
				r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
				assert_false(r.wanted_ok);
				assert_non_null(strstr(r.reason, "a.bin: CRC-32"));
				b.p[cd + 16] ^= 0x40;
			}
			/* the local header names another file */
			b.p[30] = 'c';
			r = fx_inspect("x/a.zip", &b, ESC_FMT_ZIP);
			assert_false(r.wanted_ok);
			assert_non_null(strstr(r.reason, "a.bin: the local header at offset 0 names another file"));
			fx_free(&b);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zip),
		cmocka_unit_test(test_pytorch),
		cmocka_unit_test(test_pytorch_layouts),
		cmocka_unit_test(test_zip64_locator_wrap),
		cmocka_unit_test(test_keras_npz),
		cmocka_unit_test(test_npz_corrupt_deflate),
		cmocka_unit_test(test_zip_crc),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
