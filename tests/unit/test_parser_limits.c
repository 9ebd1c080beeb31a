/* test_parser_limits.c -- every parser of outside input at the limits it
 * accepts, fed the input that is worst for it (deep nesting, many tiny
 * elements, counts in headers far beyond the file, one huge token, long
 * lines), generated here: the verdict is the expected one, and the child
 * that ran it stayed within 256 MiB of memory (RLIMIT_AS, and the peak RSS
 * wait4() reports) and 60 s of CPU (limits.h). Streaming checkers see 64 MiB
 * and more: a thousand times the fuzz inputs and far past any window they
 * keep, so memory that grows with the input shows. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "escrow_private.h"
#include "fixtures.h"
#include "limits.h"

/* ---- json: nesting at and past the limit, 64 MiB of tiny elements ---- */
static int json_deep(void)
{
	struct lim_input ok = { 0 }, bad = { 0 };

	lim_adds(&ok, "[", 512);
	lim_adds(&ok, "]", 512);
	lim_adds(&bad, "[", 64 * MiB);
	return lim_verdict(&esc_fmt_json, "d.json", &ok, 1) | lim_verdict(&esc_fmt_json, "d.json", &bad, 0);
}

static int json_wide(void)
{
	struct lim_input a = { 0 }, o = { 0 };

	lim_adds(&a, "[", 1);
	lim_adds(&a, "0,", 32 * MiB);
	lim_adds(&a, "0]", 1);
	lim_adds(&o, "{", 1);
	lim_adds(&o, "\"k\":{},", 8 * MiB);
	lim_adds(&o, "\"k\":1}", 1);
	return lim_verdict(&esc_fmt_json, "a.json", &a, 1) | lim_verdict(&esc_fmt_json, "o.json", &o, 1);
}

static int json_long_str(void)
{
	struct lim_input s = { 0 };

	lim_adds(&s, "\"", 1);
	lim_adds(&s, "\xe2\x82\xac\\u00e9", 8 * MiB);
	lim_adds(&s, "\"", 1);
	return lim_verdict(&esc_fmt_json, "s.json", &s, 1);
}

/* ---- yaml (libyaml on a thread): nesting, many nodes, anchors, one huge
 * scalar ---- */
static int yaml_deep(void)
{
	struct lim_input ok = { 0 }, bad = { 0 }, blk = { 0 };

	lim_adds(&ok, "[", 255);
	lim_adds(&ok, "]", 255);
	lim_adds(&bad, "[", 64 * MiB);
	lim_adds(&blk, "- ", 64 * MiB);
	return lim_verdict(&esc_fmt_yaml, "d.yaml", &ok, 1) | lim_verdict(&esc_fmt_yaml, "d.yaml", &bad, 0) |
	       lim_verdict(&esc_fmt_yaml, "b.yaml", &blk, 0);
}

static int yaml_wide(void)
{
	struct lim_input seq = { 0 }, map = { 0 };

	lim_adds(&seq, "- 0\n", 4 * MiB);
	lim_adds(&map, "? [a, b]\n: {c: d}\n", 1 * MiB);
	return lim_verdict(&esc_fmt_yaml, "s.yaml", &seq, 1) | lim_verdict(&esc_fmt_yaml, "m.yaml", &map, 1);
}

static int yaml_anchors(void)
{
	static char doc[100000 * 16];
	struct lim_input in = { 0 };
	size_t n = 0;

	for (unsigned i = 0; i < 100000; i++)
		n += (size_t)snprintf(doc + n, sizeof doc - n, "- &a%u 0\n", i);
	lim_add(&in, doc, n, 1);
	lim_adds(&in, "- *a99999\n", 1 * MiB);
	return lim_verdict(&esc_fmt_yaml, "a.yaml", &in, 1);
}

static int yaml_scalar(void)
{
	struct lim_input plain = { 0 }, quoted = { 0 }, block = { 0 };

	lim_adds(&plain, "k: ", 1);
	lim_adds(&plain, "x", 512 * MiB);
	lim_adds(&quoted, "k: \"", 1);
	lim_adds(&quoted, "x\\n", 256 * MiB);
	lim_adds(&quoted, "\"\n", 1);
	lim_adds(&block, "k: |\n", 1);
	lim_adds(&block, "  x\n", 128 * MiB);
	return lim_verdict(&esc_fmt_yaml, "p.yaml", &plain, 0) | lim_verdict(&esc_fmt_yaml, "q.yaml", &quoted, 0) |
	       lim_verdict(&esc_fmt_yaml, "b.yaml", &block, 0);
}

/* ---- csv: one huge record, many records, a huge quoted field ---- */
static int csv_cases(void)
{
	struct lim_input cols = { 0 }, rows = { 0 }, quoted = { 0 }, ragged = { 0 };

	lim_adds(&cols, "a,", 32 * MiB);
	lim_adds(&cols, "a\n", 1);
	lim_adds(&rows, "0,1\n", 16 * MiB);
	lim_adds(&quoted, "a,\"", 1);
	lim_adds(&quoted, "\"\"\n", 16 * MiB);
	lim_adds(&quoted, "\"\n", 1);
	lim_adds(&ragged, "a,", 8 * MiB);
	lim_adds(&ragged, "a\nb\n", 1);
	return lim_verdict(&esc_fmt_csv, "c.csv", &cols, 1) | lim_verdict(&esc_fmt_csv, "r.csv", &rows, 1) |
	       lim_verdict(&esc_fmt_csv, "q.csv", &quoted, 1) | lim_verdict(&esc_fmt_csv, "g.csv", &ragged, 0);
}

/* ---- text, pdf, parquet: 256 MiB streamed ---- */
static int text_cases(void)
{
	struct lim_input ok = { 0 }, cut = { 0 };

	lim_adds(&ok, "\xf0\x9f\x98\x80" "abc\xc3\xa9", 32 * MiB);
	lim_adds(&cut, "x", 64 * MiB);
	lim_adds(&cut, "\xf0\x9f\x98", 1);
	return lim_verdict(&esc_fmt_text, "t.txt", &ok, 1) | lim_verdict(&esc_fmt_text, "t.txt", &cut, 0);
}

static int pdf_parquet(void)
{
	static char tail[64];
	struct lim_input pdf = { 0 }, pq = { 0 };
	uint64_t body = 256 * MiB;

	snprintf(tail, sizeof tail, "startxref\n%llu\n%%%%EOF\n", (unsigned long long)body - 100);
	lim_adds(&pdf, "%PDF-1.7\n", 1);
	lim_adds(&pdf, "startxref\n%%EOF\n", body / 16);
	lim_adds(&pdf, tail, 1);
	lim_adds(&pq, "PAR1", 1);
	lim_adds(&pq, "PAR1", body / 4);
	lim_add(&pq, "\x10\x00\x00\x00" "PAR1", 8, 1);
	return lim_verdict(&esc_fmt_pdf, "d.pdf", &pdf, 1) | lim_verdict(&esc_fmt_parquet, "t.parquet", &pq, 1);
}

/* ---- npy: the largest header, the most dimensions, a shape whose size
 * wraps, a header length far past the file ---- */
static int npy_cases(void)
{
	struct fx big = { 0 }, wrap = { 0 }, dims = { 0 };
	char shape[1024];
	size_t n = 0;
	struct lim_input a = { 0 }, b = { 0 }, c = { 0 }, d = { 0 };
	int r;

	n += (size_t)snprintf(shape + n, sizeof shape - n, "(");
	for (int i = 0; i < 64; i++)
		n += (size_t)snprintf(shape + n, sizeof shape - n, "1,");
	snprintf(shape + n, sizeof shape - n, ")");
	fx_npy(&dims, "<f4", shape, 4, 64);
	fx_npy(&wrap, "<f8", "(4294967296, 4294967296, 16)", 0, 64);
	/* version 2: a 4-byte header length; 16380 bytes of padding */
	FX_LIT(&big, "\x93NUMPY\x02\x00");
	fx_le(&big, 16384 - 12, 4);
	fx_s(&big, "{'descr': '<u1', 'fortran_order': False, 'shape': (64,), }");
	while (big.n < 16383)
		fx_put(&big, " ", 1);
	fx_put(&big, "\n", 1);
	fx_fill(&big, 64, 3);
	lim_add(&a, big.p, big.n, 1);
	lim_add(&b, dims.p, dims.n, 1);
	lim_add(&c, wrap.p, wrap.n, 1);
	lim_add(&c, "", 0, 1);
	lim_add(&d, "\x93NUMPY\x03\x00\xff\xff\xff\xff", 12, 1);
	lim_adds(&d, " ", 64 * MiB);
	r = lim_verdict(&esc_fmt_npy, "a.npy", &a, 1) | lim_verdict(&esc_fmt_npy, "b.npy", &b, 1) |
	    lim_verdict(&esc_fmt_npy, "c.npy", &c, 0) | lim_verdict(&esc_fmt_npy, "d.npy", &d, 0);
	fx_free(&big);
	fx_free(&wrap);
	fx_free(&dims);
	return r;
}


/* ---- gguf: the most key/values and array items a file can hold, and
 * counts in the header far beyond the file ---- */
static int gguf_cases(void)
{
	static uint8_t hdr[24], kv[14], arr[8 + 1 + 4 + 4 + 8], bad[24 + 24 + 8 + 1 + 4 + 4 + 8];
	const uint64_t n_kv = 4u << 20, n_str = 8u << 20;
	struct lim_input kvs = { 0 }, strs = { 0 }, huge = { 0 }, huge_arr = { 0 };
	uint8_t *p;
	int r;

	p = hdr;
	memcpy(p, "GGUF", 4), p += 4;
	lim_le(&p, 3, 4);
	lim_le(&p, 0, 8);
	lim_le(&p, n_kv, 8);
	p = kv;
	lim_le(&p, 1, 8);
	*p++ = 'k';
	lim_le(&p, 0, 4); /* uint8 */
	*p = 7;
	lim_add(&kvs, hdr, sizeof hdr, 1);
	lim_add(&kvs, kv, sizeof kv, n_kv);
	/* one key/value: an array of 8 Mi empty strings */
	static uint8_t hdr1[24];
	p = hdr1;
	memcpy(p, "GGUF", 4), p += 4;
	lim_le(&p, 3, 4);
	lim_le(&p, 0, 8);
	lim_le(&p, 1, 8);
	p = arr;
	lim_le(&p, 1, 8);
	*p++ = 'a';
	lim_le(&p, 9, 4);
	lim_le(&p, 8, 4);
	lim_le(&p, n_str, 8);
	lim_add(&strs, hdr1, sizeof hdr1, 1);
	lim_add(&strs, arr, sizeof arr, 1);
	lim_add(&strs, "\0\0\0\0\0\0\0\0", 8, n_str);
	/* 2^62 key/values, then an array of 2^60 uint64 in a 49-byte file */
	p = bad;
	memcpy(p, "GGUF", 4), p += 4;
	lim_le(&p, 3, 4);
	lim_le(&p, 0, 8);
	lim_le(&p, 1ull << 62, 8);
	lim_add(&huge, bad, 24, 1);
	lim_add(&huge, "\0", 1, 64 * MiB);
	memcpy(bad + 24, bad, 16);
	p = bad + 40;
	lim_le(&p, 1, 8);
	lim_le(&p, 1, 8);
	*p++ = 'a';
	lim_le(&p, 9, 4);
	lim_le(&p, 10, 4);
	lim_le(&p, 1ull << 60, 8);
	lim_add(&huge_arr, bad + 24, sizeof bad - 24, 1);
	r = lim_verdict(&esc_fmt_gguf, "k.gguf", &kvs, 1) | lim_verdict(&esc_fmt_gguf, "s.gguf", &strs, 1) |
	    lim_verdict(&esc_fmt_gguf, "h.gguf", &huge, 0) | lim_verdict(&esc_fmt_gguf, "a.gguf", &huge_arr, 0);
	return r;
}

/* ---- onnx: nesting past protobuf's limit, 64 MiB of tiny fields ---- */
static int onnx_cases(void)
{
	struct fx base = { 0 }, in = { 0 }, out = { 0 };
	struct lim_input deep = { 0 }, wide = { 0 };
	int r;

	/* graph { node { attribute { g { node { ... } } } } }, 40 times over */
	fx_pb_bytes(&in, 1, "\x0a\x01x", 3);
	for (int i = 0; i < 40; i++) {
		static const unsigned fields[] = { 6, 5, 1 };

		for (int k = 0; k < 3; k++) {
			out.n = 0;
			fx_pb_bytes(&out, fields[k], in.p, in.n);
			in.n = 0;
			fx_put(&in, out.p, out.n);
		}
	}
	out.n = 0;
	fx_varint(&out, 0x08);
	fx_varint(&out, 9);
	fx_pb_bytes(&out, 7, in.p, in.n);
	lim_add(&deep, out.p, out.n, 1);
	fx_onnx(&base, 9, true, true, NULL);
	lim_add(&wide, base.p, base.n, 1);
	lim_add(&wide, "\xa0\x06\x01", 3, 16 * MiB); /* field 100, varint 1: kept as unknown */
	r = lim_verdict(&esc_fmt_onnx, "d.onnx", &deep, 0) | lim_verdict(&esc_fmt_onnx, "w.onnx", &wide, 1);
	fx_free(&base);
	fx_free(&in);
	fx_free(&out);
	return r;
}

/* ---- hdf5: a signature at every candidate offset of a 256 MiB file ---- */
static int hdf5_cases(void)
{
	static uint8_t blk[512];
	struct lim_input in = { 0 };

	memset(blk, 0xff, sizeof blk);
	memcpy(blk, "\x89HDF\r\n\x1a\n\x02\x08\x08", 11);
	lim_add(&in, blk, sizeof blk, 512 * 1024);
	return lim_verdict(&esc_fmt_hdf5, "w.h5", &in, 0);
}

/* ---- lfs pointers: the largest file looked at, all keys ---- */
static int lfs_cases(void)
{
	char buf[1024];
	size_t n = (size_t)snprintf(buf, sizeof buf, "version https://git-lfs.github.com/spec/v1\n"
	                                              "oid sha256:%064d\nsize 12345\n", 0);
	int r = 0;

	while (n + 8 < sizeof buf - 1)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "x-%04zu 1\n", n);
	r |= esc_is_lfs_pointer((const uint8_t *)buf, n) != 0; /* keys out of order */
	memset(buf, 'a', sizeof buf);
	r |= esc_is_lfs_pointer((const uint8_t *)buf, sizeof buf) != 0;
	return r;
}


LIM_TEST(json_deep)
LIM_TEST(json_wide)
LIM_TEST(json_long_str)
LIM_TEST(yaml_deep)
LIM_TEST(yaml_wide)
LIM_TEST(yaml_anchors)
LIM_TEST(yaml_scalar)
LIM_TEST(csv_cases)
LIM_TEST(text_cases)
LIM_TEST(pdf_parquet)
LIM_TEST(npy_cases)
LIM_TEST(gguf_cases)
LIM_TEST(onnx_cases)
LIM_TEST(hdf5_cases)
LIM_TEST(lfs_cases)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_json_deep),
		cmocka_unit_test(t_json_wide),
		cmocka_unit_test(t_json_long_str),
		cmocka_unit_test(t_yaml_deep),
		cmocka_unit_test(t_yaml_wide),
		cmocka_unit_test(t_yaml_anchors),
		cmocka_unit_test(t_yaml_scalar),
		cmocka_unit_test(t_csv_cases),
		cmocka_unit_test(t_text_cases),
		cmocka_unit_test(t_pdf_parquet),
		cmocka_unit_test(t_npy_cases),
		cmocka_unit_test(t_gguf_cases),
		cmocka_unit_test(t_onnx_cases),
		cmocka_unit_test(t_hdf5_cases),
		cmocka_unit_test(t_lfs_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
