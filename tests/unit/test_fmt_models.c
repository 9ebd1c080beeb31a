/* test_fmt_models.c -- safetensors, ONNX, GGUF, npy, HDF5, Parquet: a valid
 * fixture and broken ones, each inspected whole and in 1- and 7-byte chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "escrow_private.h"
#include "fixtures.h"

#define ST_OK "{\"__metadata__\":{\"format\":\"pt\"},\"b\":{\"dtype\":\"F16\",\"shape\":[2],\"data_offsets\":[16,20]}," \
              "\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]}}"

static struct esc_inspection st_case(const char *json, size_t data, enum esc_format want)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	fx_safetensors(&b, json, data);
	r = fx_inspect("m/model.safetensors", &b, want);
	fx_free(&b);
	return r;
}

static void test_safetensors(void **state)
{
	struct esc_inspection r;
	struct fx b = { 0 };

	(void)state;
	r = st_case(ST_OK, 20, ESC_FMT_SAFETENSORS);
	assert_true(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_SAFETENSORS);
	assert_int_equal(r.pickle, ESC_PICKLE_NONE);

	r = st_case(ST_OK "    ", 20, ESC_FMT_SAFETENSORS); /* padded with spaces */
	assert_true(r.wanted_ok);

	r = st_case(ST_OK, 21, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "1 bytes after the last tensor"));
	assert_int_equal(r.detected, ESC_FMT_NONE);

	r = st_case(ST_OK, 19, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "truncated"));

	r = st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,16]},"
	            "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[12,20]}}", 20, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "overlap"));

	r = st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[2,2],\"data_offsets\":[0,8]}}", 8, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "8 bytes for 4 elements of F32 (expected 16)"));

	r = st_case("{\"a\":{\"dtype\":\"F33\",\"shape\":[1],\"data_offsets\":[0,4]}}", 4, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "unknown dtype"));

	r = st_case("{\"a\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}", 8, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "gap"));

	r = st_case("{\"a\":1,\"a\":2}", 0, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);

	/* header length larger than the file */
	fx_le(&b, 812, 8);
	fx_s(&b, "{\"a\":1}");
	fx_fill(&b, 81, 0);
	r = fx_inspect("x.safetensors", &b, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "header length 812 exceeds file size 96");
	fx_free(&b);

	/* cut inside the length field */
	fx_put(&b, "\x10\x00\x00", 3);
	r = fx_inspect("x.safetensors", &b, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	fx_free(&b);

	/* empty file */
	r = fx_inspect("x.safetensors", &b, ESC_FMT_SAFETENSORS);
	assert_false(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_NONE);
}

/* A graph of n initializers, tensor i at location loc(i) with offset
 * 8 * (i % 2) and length 8 (ONNX's external data entries). */
static void onnx_tensors(struct fx *b, unsigned n, const char *(*loc)(unsigned))
{
	struct fx g = { 0 }, o = { 0 };

	fx_varint(b, 0x08);
	fx_varint(b, 8);
	for (unsigned i = 0; i < n; i++) {
		struct fx t = { 0 }, e = { 0 };
		const char *l = loc(i);

		fx_varint(&t, 0x10);
		fx_varint(&t, 1);
		fx_pb_bytes(&e, 1, "location", 8);
		fx_pb_bytes(&e, 2, l, strlen(l));
		fx_pb_bytes(&t, 13, e.p, e.n);
		e.n = 0;
		fx_pb_bytes(&e, 1, "offset", 6);
		fx_pb_bytes(&e, 2, i % 2 ? "8" : "0", 1);
		fx_pb_bytes(&t, 13, e.p, e.n);
		e.n = 0;
		fx_pb_bytes(&e, 1, "length", 6);
		fx_pb_bytes(&e, 2, "8", 1);
		fx_pb_bytes(&t, 13, e.p, e.n);
		fx_varint(&t, 14 << 3);
		fx_varint(&t, 1);
		fx_pb_bytes(&g, 5, t.p, t.n);
		fx_free(&t);
		fx_free(&e);
	}
	fx_pb_bytes(b, 7, g.p, g.n);
	fx_varint(&o, 0x10);
	fx_varint(&o, 17);
	fx_pb_bytes(b, 8, o.p, o.n);
	fx_free(&g);
	fx_free(&o);
}

static const char *three(unsigned i)
{
	return i < 2 ? "a" : "d/b\nc";
}

static const char *each(unsigned i)
{
	static char name[16];

	snprintf(name, sizeof name, "t%u", i);
	return name;
}

/* Every distinct location is kept with what its tensors read (not only the
 * first); past 65,536 of them the model says so instead. */
static void test_onnx_locations(void **state)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	(void)state;
	onnx_tensors(&b, 3, three);
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_true(r.wanted_ok);
	assert_string_equal(r.external, "a\n16\\d/b\nc\n8");
	fx_free(&b);
	onnx_tensors(&b, ESC_ONNX_LOCATIONS_MAX, each);
	r = fx_inspect_chunked("m/model.onnx", &b, ESC_FMT_ONNX, 0);
	assert_true(r.wanted_ok);
	assert_true(strncmp(r.external, "t0\n8\\t1\n16\\", 11) == 0);
	fx_free(&b);
	onnx_tensors(&b, ESC_ONNX_LOCATIONS_MAX + 1, each);
	r = fx_inspect_chunked("m/model.onnx", &b, ESC_FMT_ONNX, 0);
	assert_true(r.wanted_ok);
	assert_string_equal(r.external, "\\more than 65536 external data files, or 4 MiB of their names");
	fx_free(&b);
}

static void test_onnx(void **state)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	(void)state;
	fx_onnx(&b, 8, true, true, NULL);
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_true(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_ONNX);
	assert_null(r.external);
	/* detected by content without the name or the contract */
	r = fx_inspect("m/model.data", &b, ESC_FMT_NONE);
	assert_int_equal(r.detected, ESC_FMT_ONNX);

	b.n -= 3; /* cut inside the last field */
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "truncated"));
	fx_free(&b);

	fx_onnx(&b, 8, false, true, NULL);
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "no graph (field 7)");
	fx_free(&b);

	/* nested messages are parsed as protobuf does: a node whose attribute
	 * ends inside a varint fails onnx.load(), so it fails here; a tensor
	 * with packed dims (2, 3) and a packed float of 4 bytes passes */
	FX_LIT(&b, "\x08\x08" "\x3a\x05" "\x0a\x03" "\x2a\x01\x80" "\x42\x02\x10\x0d");
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "varint runs past the end of its message"));
	fx_free(&b);
	FX_LIT(&b, "\x08\x08" "\x3a\x0c" "\x2a\x0a" "\x0a\x02\x02\x03" "\x22\x04\x00\x00\x80\x3f" "\x42\x02\x10\x0d");
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_true(r.wanted_ok);
	b.p[9] = 0x82; /* packed dims end inside a varint */
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	b.p[9] = 0x03;
	b.p[11] = 0x03; /* packed floats: 3 bytes */
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "whole numbers"));
	fx_free(&b);

	fx_onnx(&b, 0, true, true, NULL);
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "ir_version"));
	fx_free(&b);

	fx_varint(&b, 0x08);
	fx_varint(&b, 0);
	fx_onnx(&b, 0, true, true, NULL);
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "ir_version is 0");
	fx_free(&b);

	fx_onnx(&b, 8, true, false, NULL);
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "opset_import"));
	fx_free(&b);

	fx_onnx(&b, 8, true, true, "weights/model.onnx.data");
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_true(r.wanted_ok);
	assert_string_equal(r.external, "weights/model.onnx.data\n0"); /* no offset nor length */
	fx_free(&b);

	fx_onnx(&b, 8, true, true, "../../etc/passwd");
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "not a relative path"));
	fx_free(&b);

	/* a length running past the end */
	fx_onnx(&b, 8, true, true, NULL);
	fx_put(&b, "\x3a\x7f", 2);
	r = fx_inspect("m/model.onnx", &b, ESC_FMT_ONNX);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "runs past"));
	fx_free(&b);
}

static void test_gguf(void **state)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	(void)state;
	fx_gguf(&b, 3, 1, 32);
	r = fx_inspect("m/model.gguf", &b, ESC_FMT_GGUF);
	assert_true(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_GGUF);
	fx_free(&b);

	/* no tensors, the last key a string: the file ends with its bytes */
	fx_s(&b, "GGUF");
	fx_le(&b, 3, 4);
	fx_le(&b, 0, 8);
	fx_le(&b, 2, 8);
	fx_gguf_str(&b, "general.scores");
	fx_le(&b, 9, 4);
	fx_le(&b, 6, 4);
	fx_le(&b, 3, 8);
	fx_fill(&b, 12, 0);
	fx_gguf_str(&b, "general.name");
	fx_le(&b, 8, 4);
	fx_gguf_str(&b, "tiny");
	r = fx_inspect("m/model.gguf", &b, ESC_FMT_GGUF);
	assert_true(r.wanted_ok);
	b.n--;
	r = fx_inspect("m/model.gguf", &b, ESC_FMT_GGUF);
	assert_false(r.wanted_ok);
	fx_free(&b);

	fx_gguf(&b, 3, 1, 16);
	r = fx_inspect("m/model.gguf", &b, ESC_FMT_GGUF);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "tensor data"));
	fx_free(&b);

	fx_gguf(&b, 3, 1000000000000ull, 32);
	r = fx_inspect("m/model.gguf", &b, ESC_FMT_GGUF);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "cannot fit"));
	fx_free(&b);

	fx_gguf(&b, 7, 1, 32);
	r = fx_inspect("m/model.gguf", &b, ESC_FMT_GGUF);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "unsupported GGUF version 7 (2 or 3 expected)");
	fx_free(&b);

	fx_gguf(&b, 3, 1, 32);
	b.n = 60; /* inside the key/value section */
	r = fx_inspect("m/model.gguf", &b, ESC_FMT_GGUF);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "truncated"));
	fx_free(&b);
}

static void test_npy(void **state)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	(void)state;
	fx_npy(&b, "<f4", "(3, 4)", 48, 64);
	r = fx_inspect("d/x.npy", &b, ESC_FMT_NPY);
	assert_true(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_NPY);
	assert_int_equal(r.pickle, ESC_PICKLE_NONE);
	fx_free(&b);

	fx_npy(&b, "<f4", "(3,)", 12, 64);
	assert_true(fx_inspect("d/x.npy", &b, ESC_FMT_NPY).wanted_ok);
	fx_free(&b);

	fx_npy(&b, "<f4", "(3, 4)", 44, 64);
	r = fx_inspect("d/x.npy", &b, ESC_FMT_NPY);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "shape and dtype give 48 data bytes, the file has 44");
	fx_free(&b);

	/* numpy < 1.14 padded the header to 16 bytes: numpy still loads it */
	fx_npy(&b, "<f4", "(3, 4)", 48, 16);
	r = fx_inspect("d/x.npy", &b, ESC_FMT_NPY);
	assert_true(r.wanted_ok);
	fx_free(&b);

	/* version 2.0: a u32 header length; a structured dtype of 4 + 2*8 bytes */
	{
		const char dict[] = "{'descr': [('a', '<i4'), ('b', '>f8', (2,))], 'fortran_order': True, 'shape': (2,), }";
		size_t hl = 64 - 12;

		while (hl < sizeof dict)
			hl += 64;
		FX_LIT(&b, "\x93NUMPY\x02\x00");
		fx_le(&b, hl, 4);
		fx_s(&b, dict);
		while (b.n < 12 + hl - 1)
			fx_put(&b, " ", 1);
		fx_put(&b, "\n", 1);
		fx_fill(&b, 2 * 20, 1);
		r = fx_inspect("d/s.npy", &b, ESC_FMT_NPY);
		assert_true(r.wanted_ok);
		b.n--;
		assert_false(fx_inspect("d/s.npy", &b, ESC_FMT_NPY).wanted_ok);
		fx_free(&b);
	}

	fx_npy(&b, "<q9", "(3,)", 12, 64);
	assert_false(fx_inspect("d/x.npy", &b, ESC_FMT_NPY).wanted_ok);
	fx_free(&b);

	/* an object array: the data is a pickle that calls os.system */
	fx_npy(&b, "|O", "(1,)", 0, 64);
	FX_LIT(&b, "\x80\x03" "cos\nsystem\n" "X\x02\x00\x00\x00" "id" "\x85" "R" ".");
	r = fx_inspect("d/x.npy", &b, ESC_FMT_NPY);
	assert_true(r.wanted_ok);
	assert_int_equal(r.pickle, ESC_PICKLE_DANGEROUS);
	assert_string_equal(r.pickle_imports, "os.system");
	fx_free(&b);
}

static void test_hdf5_parquet(void **state)
{
	struct fx b = { 0 };
	struct esc_inspection r;

	(void)state;
	/* superblock v0: offsets and lengths of 8 bytes, EOF address = size,
	 * the root group's object header at 96 */
	FX_LIT(&b, "\x89HDF\r\n\x1a\n" "\x00\x00\x00\x00\x00\x08\x08\x00" "\x04\x00\x10\x00" "\x00\x00\x00\x00");
	fx_le(&b, 0, 8);
	fx_le(&b, 0xffffffffffffffffull, 8);
	fx_le(&b, 800, 8);
	fx_le(&b, 0xffffffffffffffffull, 8);
	fx_le(&b, 0, 8);
	fx_le(&b, 96, 8);
	fx_le(&b, 0, 4); /* cache type: nothing cached */
	fx_fill(&b, 96 - b.n, 0);
	FX_LIT(&b, "\x01\x00\x01\x00"); /* a version 1 object header */
	fx_fill(&b, 800 - b.n, 0);
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_true(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_HDF5);
	b.n = 700;
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "truncated"));
	b.n = 800;
	b.p[96] = 2; /* not a version 1 object header: h5py refuses */
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "no valid root group object header at offset 96");
	b.p[96] = 1;
	/* zeroed addresses point into the superblock itself: h5py refuses each */
	memset(b.p + 32, 0, 8);
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "free-space address 0"));
	memset(b.p + 32, 0xff, 8);
	memset(b.p + 40, 0, 8);
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "end-of-file address 0"));
	b.p[40] = 800 & 0xff;
	b.p[41] = 800 >> 8;
	memset(b.p + 64, 0, 8);
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "root group address 0"));
	fx_free(&b);

	/* after a 512-byte user block: the superblock (v3) h5py 3.7 writes for
	 * h5py.File(..., userblock_size=512, libver="latest"), base address
	 * 512, EOF 707 (absolute), root group at 48, lookup3 checksum */
	fx_fill(&b, 512, 9);
	FX_LIT(&b, "\x89HDF\r\n\x1a\n\x03\x08\x08\x00\x00\x02\x00\x00\x00\x00\x00\x00"
	           "\xff\xff\xff\xff\xff\xff\xff\xff\xc3\x02\x00\x00\x00\x00\x00\x00"
	           "\x30\x00\x00\x00\x00\x00\x00\x00\xe9\xb5\x24\x9d");
	/* the root group's version 2 object header: times, 120 bytes of
	 * messages (a link info message, then a null message), checksum */
	FX_LIT(&b, "OHDR\x02\x20\xad\x16\x15\x6b\xad\x16\x15\x6b\xad\x16\x15\x6b\xad\x16\x15\x6b\x78"
	           "\x02\x12\x00\x00\x00\x00\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"
	           "\x0a\x02\x00\x01\x00\x00\x00\x58");
	while (b.n < 703)
		fx_put(&b, "", 1);
	FX_LIT(&b, "\xcb\x84\x81\x6b");
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_true(r.wanted_ok);
	b.p[600] ^= 1; /* inside the root group's header: its checksum fails, as in h5py */
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_false(r.wanted_ok);
	assert_string_equal(r.reason, "checksum mismatch in the root group object header at offset 560");
	b.p[600] ^= 1;
	b.n = 706;
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "ends at byte 707"));
	b.n = 707;
	b.p[512 + 13] = 0; /* base address 0: the checksum no longer matches */
	r = fx_inspect("w/model.h5", &b, ESC_FMT_HDF5);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "checksum"));
	fx_free(&b);

	fx_s(&b, "PAR1");
	fx_fill(&b, 40, 2);
	fx_le(&b, 40, 4);
	fx_s(&b, "PAR1");
	r = fx_inspect("d/t.parquet", &b, ESC_FMT_PARQUET);
	assert_true(r.wanted_ok);
	assert_int_equal(r.detected, ESC_FMT_PARQUET);
	b.n -= 10;
	r = fx_inspect("d/t.parquet", &b, ESC_FMT_PARQUET);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "truncated"));
	fx_free(&b);

	fx_s(&b, "PAR1");
	fx_fill(&b, 4, 2);
	fx_le(&b, 400, 4);
	fx_s(&b, "PAR1");
	r = fx_inspect("d/t.parquet", &b, ESC_FMT_PARQUET);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "footer length 400"));
	fx_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_safetensors),
		cmocka_unit_test(test_onnx),
		cmocka_unit_test(test_onnx_locations),
		cmocka_unit_test(test_gguf),
		cmocka_unit_test(test_npy),
		cmocka_unit_test(test_hdf5_parquet),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
