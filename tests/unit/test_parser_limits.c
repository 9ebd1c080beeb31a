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
#include "esc_age.h"
#include "esc_formats.h"
#include "fixtures.h"
#include "limits.h"

#ifdef ESCROW_HAVE_ZLIB
#include <zlib.h>
#endif

#define MiB (1ull << 20)

static char why[256];

/* 0 when the checker's verdict is `want` (else prints the reason). */
static int verdict(const struct esc_fmt_ops *o, const char *path, const struct lim_input *in, int want)
{
	int ok = lim_fmt(o, path, in, why);

	printf("      %s: %s%s%s\n", path, ok ? "pass" : "fail", why[0] ? ": " : "", why);
	if (ok != want)
		printf("      %s: expected %s\n", path, want ? "pass" : "fail");
	return ok != want;
}

/* ---- json: nesting at and past the limit, 64 MiB of tiny elements ---- */
static int json_deep(void)
{
	struct lim_input ok = { 0 }, bad = { 0 };

	lim_adds(&ok, "[", 512);
	lim_adds(&ok, "]", 512);
	lim_adds(&bad, "[", 64 * MiB);
	return verdict(&esc_fmt_json, "d.json", &ok, 1) | verdict(&esc_fmt_json, "d.json", &bad, 0);
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
	return verdict(&esc_fmt_json, "a.json", &a, 1) | verdict(&esc_fmt_json, "o.json", &o, 1);
}

static int json_long_str(void)
{
	struct lim_input s = { 0 };

	lim_adds(&s, "\"", 1);
	lim_adds(&s, "\xe2\x82\xac\\u00e9", 8 * MiB);
	lim_adds(&s, "\"", 1);
	return verdict(&esc_fmt_json, "s.json", &s, 1);
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
	return verdict(&esc_fmt_yaml, "d.yaml", &ok, 1) | verdict(&esc_fmt_yaml, "d.yaml", &bad, 0) |
	       verdict(&esc_fmt_yaml, "b.yaml", &blk, 0);
}

static int yaml_wide(void)
{
	struct lim_input seq = { 0 }, map = { 0 };

	lim_adds(&seq, "- 0\n", 4 * MiB);
	lim_adds(&map, "? [a, b]\n: {c: d}\n", 1 * MiB);
	return verdict(&esc_fmt_yaml, "s.yaml", &seq, 1) | verdict(&esc_fmt_yaml, "m.yaml", &map, 1);
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
	return verdict(&esc_fmt_yaml, "a.yaml", &in, 1);
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
	return verdict(&esc_fmt_yaml, "p.yaml", &plain, 0) | verdict(&esc_fmt_yaml, "q.yaml", &quoted, 0) |
	       verdict(&esc_fmt_yaml, "b.yaml", &block, 0);
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
	return verdict(&esc_fmt_csv, "c.csv", &cols, 1) | verdict(&esc_fmt_csv, "r.csv", &rows, 1) |
	       verdict(&esc_fmt_csv, "q.csv", &quoted, 1) | verdict(&esc_fmt_csv, "g.csv", &ragged, 0);
}

/* ---- text, pdf, parquet: 256 MiB streamed ---- */
static int text_cases(void)
{
	struct lim_input ok = { 0 }, cut = { 0 };

	lim_adds(&ok, "\xf0\x9f\x98\x80" "abc\xc3\xa9", 32 * MiB);
	lim_adds(&cut, "x", 64 * MiB);
	lim_adds(&cut, "\xf0\x9f\x98", 1);
	return verdict(&esc_fmt_text, "t.txt", &ok, 1) | verdict(&esc_fmt_text, "t.txt", &cut, 0);
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
	return verdict(&esc_fmt_pdf, "d.pdf", &pdf, 1) | verdict(&esc_fmt_parquet, "t.parquet", &pq, 1);
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
	r = verdict(&esc_fmt_npy, "a.npy", &a, 1) | verdict(&esc_fmt_npy, "b.npy", &b, 1) |
	    verdict(&esc_fmt_npy, "c.npy", &c, 0) | verdict(&esc_fmt_npy, "d.npy", &d, 0);
	fx_free(&big);
	fx_free(&wrap);
	fx_free(&dims);
	return r;
}


/* ---- zip family: the most members the walk cross-checks, generated
 * record by record (zip64 end records, since there are more than 65535) ---- */
struct zipgen {
	uint32_t n, i, phase; /* phase 0 locals, 1 central directory, 2 end records, 3 done */
	uint64_t off, cd_start;
	const char *prefix, *suffix; /* member names: prefix, "%07u", suffix */
};

static void le(uint8_t **p, uint64_t v, unsigned bytes)
{
	for (unsigned k = 0; k < bytes; k++)
		*(*p)++ = (uint8_t)(v >> (8 * k));
}

static size_t zipgen_fill(void *u, uint8_t *buf, size_t cap)
{
	struct zipgen *g = u;
	uint8_t *p = buf;
	char name[32];

	while (g->phase < 3 && (size_t)(p - buf) + 200 <= cap) {
		uint8_t *start = p;
		size_t nl;

		if (g->phase < 2 && g->i == g->n) {
			g->phase++;
			g->i = 0;
			if (g->phase == 1)
				g->cd_start = g->off;
			continue;
		}
		nl = (size_t)snprintf(name, sizeof name, "%s%07u%s", g->prefix, g->i, g->suffix);
		if (g->phase == 0) {
			le(&p, 0x04034b50, 4);
			le(&p, 20, 2);
			le(&p, 0, 2 + 2 + 2 + 2 + 4 + 4 + 4);
			le(&p, nl, 2);
			le(&p, 0, 2);
		} else if (g->phase == 1) {
			le(&p, 0x02014b50, 4);
			le(&p, 20, 2);
			le(&p, 20, 2);
			le(&p, 0, 2 + 2 + 2 + 2 + 4 + 4 + 4);
			le(&p, nl, 2);
			le(&p, 0, 2 + 2 + 2 + 2 + 4);
			le(&p, (uint64_t)g->i * (30 + nl), 4);
		} else {
			uint64_t cd_size = g->off - g->cd_start, e64 = g->off;

			le(&p, 0x06064b50, 4);
			le(&p, 44, 8);
			le(&p, 45, 2);
			le(&p, 45, 2);
			le(&p, 0, 8);
			le(&p, g->n, 8);
			le(&p, g->n, 8);
			le(&p, cd_size, 8);
			le(&p, g->cd_start, 8);
			le(&p, 0x07064b50, 4);
			le(&p, 0, 4);
			le(&p, e64, 8);
			le(&p, 1, 4);
			le(&p, 0x06054b50, 4);
			le(&p, 0, 4);
			le(&p, 0xffff, 2);
			le(&p, 0xffff, 2);
			le(&p, 0xffffffffu, 4);
			le(&p, 0xffffffffu, 4);
			le(&p, 0, 2);
			g->phase = 3;
			g->off += (uint64_t)(p - start);
			break;
		}
		memcpy(p, name, nl);
		p += nl;
		g->off += (uint64_t)(p - start);
		g->i++;
	}
	return (size_t)(p - buf);
}

static int zip_verdict(const struct esc_fmt_ops *o, const char *path, uint32_t n, const char *prefix,
                       const char *suffix, int want)
{
	struct zipgen g = { n, 0, 0, 0, 0, prefix, suffix };
	uint64_t size = (uint64_t)n * (30 + 46 + 2 * (7 + strlen(prefix) + strlen(suffix))) + 56 + 20 + 22;
	int ok = lim_fmt_gen(o, path, size, zipgen_fill, &g, why);

	printf("      %s (%u members, %llu bytes): %s%s%s\n", path, n, (unsigned long long)size,
	       ok ? "pass" : "fail", why[0] ? ": " : "", why);
	return ok != want;
}

static int zip_many(void)
{
	return zip_verdict(&esc_fmt_zip, "a.zip", 1u << 20, "", "", 1) |
	       zip_verdict(&esc_fmt_zip, "b.zip", 2u << 20, "", "", 1); /* past the cap: the central directory alone */
}

static int zip_models(void)
{
	return zip_verdict(&esc_fmt_keras, "m.keras", 1u << 20, "", "", 0) |
	       zip_verdict(&esc_fmt_npz, "a.npz", 1u << 20, "", ".npy", 0) |
	       zip_verdict(&esc_fmt_pytorch, "m.pt", 1u << 20, "archive/data/", "", 0);
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
	le(&p, 3, 4);
	le(&p, 0, 8);
	le(&p, n_kv, 8);
	p = kv;
	le(&p, 1, 8);
	*p++ = 'k';
	le(&p, 0, 4); /* uint8 */
	*p = 7;
	lim_add(&kvs, hdr, sizeof hdr, 1);
	lim_add(&kvs, kv, sizeof kv, n_kv);
	/* one key/value: an array of 8 Mi empty strings */
	static uint8_t hdr1[24];
	p = hdr1;
	memcpy(p, "GGUF", 4), p += 4;
	le(&p, 3, 4);
	le(&p, 0, 8);
	le(&p, 1, 8);
	p = arr;
	le(&p, 1, 8);
	*p++ = 'a';
	le(&p, 9, 4);
	le(&p, 8, 4);
	le(&p, n_str, 8);
	lim_add(&strs, hdr1, sizeof hdr1, 1);
	lim_add(&strs, arr, sizeof arr, 1);
	lim_add(&strs, "\0\0\0\0\0\0\0\0", 8, n_str);
	/* 2^62 key/values, then an array of 2^60 uint64 in a 49-byte file */
	p = bad;
	memcpy(p, "GGUF", 4), p += 4;
	le(&p, 3, 4);
	le(&p, 0, 8);
	le(&p, 1ull << 62, 8);
	lim_add(&huge, bad, 24, 1);
	lim_add(&huge, "\0", 1, 64 * MiB);
	memcpy(bad + 24, bad, 16);
	p = bad + 40;
	le(&p, 1, 8);
	le(&p, 1, 8);
	*p++ = 'a';
	le(&p, 9, 4);
	le(&p, 10, 4);
	le(&p, 1ull << 60, 8);
	lim_add(&huge_arr, bad + 24, sizeof bad - 24, 1);
	r = verdict(&esc_fmt_gguf, "k.gguf", &kvs, 1) | verdict(&esc_fmt_gguf, "s.gguf", &strs, 1) |
	    verdict(&esc_fmt_gguf, "h.gguf", &huge, 0) | verdict(&esc_fmt_gguf, "a.gguf", &huge_arr, 0);
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
	r = verdict(&esc_fmt_onnx, "d.onnx", &deep, 0) | verdict(&esc_fmt_onnx, "w.onnx", &wide, 1);
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
	return verdict(&esc_fmt_hdf5, "w.h5", &in, 0);
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

/* ---- the inspector (every checker a file's name and bytes call for,
 * the secrets scanner, the pickle scan) on a named secrets file at its
 * 16 MiB limit and a 256 MiB file that claims to be every format ---- */
static int inspect_chunk(void *u, const uint8_t *b, size_t n, uint64_t off)
{
	(void)off;
	esc_inspect_update(u, b, n);
	return 0;
}

static int inspect_one(const char *path, const struct lim_input *in, enum esc_format wanted,
                       struct esc_inspection *out)
{
	esc_inspector *x = esc_inspect_new(path, lim_size(in), wanted);

	if (!x)
		return 1;
	memset(out, 0, sizeof *out);
	lim_stream(in, inspect_chunk, x);
	esc_inspect_final(x, out);
	printf("      %s: %u secrets, wanted %s%s%s\n", path, out->n_secrets, out->wanted_ok ? "pass" : "fail",
	       out->reason[0] ? ": " : "", out->reason);
	return 0;
}

static int inspect_cases(void)
{
	struct lim_input any = { 0 }, json = { 0 };
	struct esc_inspection o2, o3;
	int r = 0;

	lim_adds(&any, "PK\x03\x04", 1);
	lim_adds(&any, "\x80\x02}q\x00(X", 64 * MiB);
	lim_adds(&json, "{\"a\":", 1);
	lim_adds(&json, "[", 64 * MiB);
	r |= inspect_one("m/model.pt", &any, ESC_FMT_PYTORCH, &o2) || o2.wanted_ok;
	r |= inspect_one("c/config.json", &json, ESC_FMT_JSON, &o3) || o3.wanted_ok;
	return r;
}

/* The secrets scanner on a file named like a secrets file, at the 16 MiB
 * it scans such files to: one line of "sk-" and "xoxb-" chains. */
static int inspect_secrets(void)
{
	struct lim_input env = { 0 };
	struct esc_inspection o;

	lim_adds(&env, "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n", 1);
	lim_adds(&env, "A=", 1);
	lim_adds(&env, "sk-xoxb-", 2 * MiB - 6);
	return inspect_one("app/.env", &env, ESC_FMT_NONE, &o) || o.n_secrets == 0;
}

/* ---- contract: 1 MiB (the limit) of deliverables, globs, nesting ---- */
static int contract_text(const char *text, size_t len, int want_ok)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_contract *c = NULL;
	escrow_status st;
	int r;

	if (!ctx)
		return 1;
	st = escrow_contract_parse(ctx, "c.yaml", text, len, &c);
	printf("      contract of %zu bytes: %s %.160s\n", len, st == ESCROW_OK ? "ok" : "refused",
	       st == ESCROW_OK ? "" : escrow_ctx_error(ctx));
	r = (st == ESCROW_OK) != want_ok;
	escrow_contract_free(c);
	escrow_ctx_free(ctx);
	return r;
}

static int contract_cases(void)
{
	static char buf[1u << 20];
	static const char head[] = "escrow-contract: 1\ncontract: X-1\nagency: A\ndeliverables:\n";
	size_t n;
	int r = 0;

	n = (size_t)snprintf(buf, sizeof buf, "%s", head);
	for (unsigned i = 0; i < 10000; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "  - id: d%u\n    include: [\"a/%u/**\"]\n", i, i);
	r |= contract_text(buf, n, 1);
	n += (size_t)snprintf(buf + n, sizeof buf - n, "  - id: last\n    include: [\"b/**\"]\n");
	r |= contract_text(buf, n, 0); /* 10,001 deliverables */
	n = (size_t)snprintf(buf, sizeof buf, "%s  - id: g\n    include: [", head);
	for (unsigned i = 0; i < 10000; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "\"*a*b*c*/**/x%u\", ", i);
	n += (size_t)snprintf(buf + n, sizeof buf - n, "\"z\"]\n");
	r |= contract_text(buf, n, 0); /* 10,001 globs */
	n = (size_t)snprintf(buf, sizeof buf, "%s  - id: g\n    include: ", head);
	memset(buf + n, '[', sizeof buf - n);
	r |= contract_text(buf, sizeof buf, 0);
	memset(buf, 'a', sizeof buf);
	r |= contract_text(buf, sizeof buf, 0);
	return r;
}

/* ---- minisign keys and signatures, age headers: their size limits ---- */
static int keys_cases(void)
{
	static char text[1u << 20];
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_pubkey *pk = NULL;
	char *tc = NULL;
	int r = 0;

	if (!ctx)
		return 1;
	memset(text, 'R', sizeof text);
	memcpy(text, "untrusted comment: ", 19);
	r |= escrow_pubkey_parse(ctx, text, 4096, &pk) == ESCROW_OK;
	r |= escrow_pubkey_parse(ctx, text, sizeof text, &pk) == ESCROW_OK;
	if (escrow_pubkey_parse(ctx, "RWSbAUV57kdNPrjFHNbk4SRhJ1BsXcPRzSqOc7olLalZwq1RVh1dccyS", 56, &pk) != ESCROW_OK)
		return 1;
	r |= escrow_verify_buffer(ctx, pk, "data", 4, text, sizeof text, &tc) == ESCROW_OK;
	free(tc);
	escrow_pubkey_free(pk);
	escrow_ctx_free(ctx);
	return r;
}


struct age_run {
	escrow_ctx *ctx;
	struct esc_age_header h;
	escrow_status st;
};

static int age_chunk(void *u, const uint8_t *b, size_t n, uint64_t off)
{
	struct age_run *a = u;
	size_t used = 0;

	(void)off;
	a->st = esc_age_header_push(a->ctx, &a->h, b, n, &used);
	return a->st != ESCROW_OK || a->h.done;
}

static int age_feed(const struct lim_input *in, int want_ok)
{
	struct age_run a = { escrow_ctx_new(), { 0 }, ESCROW_OK };
	int r;

	if (!a.ctx)
		return 1;
	esc_age_header_init(&a.h, "x.age");
	lim_stream(in, age_chunk, &a);
	printf("      age header: %s %.160s\n", a.st == ESCROW_OK ? "ok" : "refused",
	       a.st == ESCROW_OK ? "" : escrow_ctx_error(a.ctx));
	r = (a.st == ESCROW_OK && a.h.done) != want_ok;
	esc_age_header_clear(&a.h);
	escrow_ctx_free(a.ctx);
	return r;
}

static int age_cases(void)
{
	struct lim_input many = { 0 }, args = { 0 }, body = { 0 };

	lim_adds(&many, "age-encryption.org/v1\n", 1);
	lim_adds(&many, "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nAAAA\n", 5000);
	lim_adds(&many, "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 1);
	lim_adds(&args, "age-encryption.org/v1\n-> x", 1);
	lim_adds(&args, " a", 1 * MiB);
	lim_adds(&args, "\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 1);
	lim_adds(&body, "age-encryption.org/v1\n-> x\n", 1);
	lim_adds(&body, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 64 * 1024);
	return age_feed(&many, 0) | age_feed(&args, 0) | age_feed(&body, 0);
}

#define LIM_TEST(fn)                                                                                          \
	static void t_##fn(void **state)                                                                      \
	{                                                                                                     \
		(void)state;                                                                                  \
		assert_true(lim_run(#fn, fn));                                                                \
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
LIM_TEST(zip_many)
LIM_TEST(zip_models)
LIM_TEST(gguf_cases)
LIM_TEST(onnx_cases)
LIM_TEST(hdf5_cases)
LIM_TEST(lfs_cases)
LIM_TEST(inspect_cases)
LIM_TEST(inspect_secrets)
LIM_TEST(contract_cases)
LIM_TEST(keys_cases)
LIM_TEST(age_cases)

#ifdef ESCROW_HAVE_ZLIB
/* ---- zip bombs: one deflated member that inflates to 512 MiB (2 MB in the
 * file), for the checkers that inflate members (npz, pytorch) ---- */
struct deflater {
	z_stream zs;
	struct fx out;
	uLong crc;
};

static int deflate_chunk(void *u, const uint8_t *b, size_t n, uint64_t off)
{
	struct deflater *d = u;
	uint8_t tmp[1 << 15];

	(void)off;
	d->crc = crc32(d->crc, b, (uInt)n);
	d->zs.next_in = (Bytef *)(uintptr_t)b;
	d->zs.avail_in = (uInt)n;
	do {
		d->zs.next_out = tmp;
		d->zs.avail_out = sizeof tmp;
		if (deflate(&d->zs, Z_NO_FLUSH) == Z_STREAM_ERROR)
			abort();
		fx_put(&d->out, tmp, sizeof tmp - d->zs.avail_out);
	} while (d->zs.avail_out == 0);
	return 0;
}

/* A zip of one deflated member `name` holding the generated content. */
static void bomb(struct fx *zip, const char *name, const struct lim_input *content)
{
	struct deflater d;
	uint8_t tmp[1 << 15], hdr[64], *p;
	uint64_t usize = lim_size(content), cd;
	size_t nl = strlen(name);
	int rc;

	memset(&d, 0, sizeof d);
	if (deflateInit2(&d.zs, 1, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	d.crc = crc32(0, NULL, 0);
	lim_stream(content, deflate_chunk, &d);
	do {
		d.zs.next_out = tmp;
		d.zs.avail_out = sizeof tmp;
		rc = deflate(&d.zs, Z_FINISH);
		fx_put(&d.out, tmp, sizeof tmp - d.zs.avail_out);
	} while (rc == Z_OK);
	deflateEnd(&d.zs);
	for (int central = 0; central < 2; central++) {
		p = hdr;
		if (central) {
			cd = zip->n;
			le(&p, 0x02014b50, 4);
			le(&p, 20, 2);
		} else {
			le(&p, 0x04034b50, 4);
		}
		le(&p, 20, 2);
		le(&p, 0, 2);
		le(&p, 8, 2);
		le(&p, 0, 4);
		le(&p, d.crc, 4);
		le(&p, d.out.n, 4);
		le(&p, usize, 4);
		le(&p, nl, 2);
		le(&p, 0, 2);
		if (central) {
			le(&p, 0, 2 + 2 + 2 + 4);
			le(&p, 0, 4);
		}
		fx_put(zip, hdr, (size_t)(p - hdr));
		fx_s(zip, name);
		if (!central)
			fx_put(zip, d.out.p, d.out.n);
	}
	p = hdr;
	le(&p, 0x06054b50, 4);
	le(&p, 0, 4);
	le(&p, 1, 2);
	le(&p, 1, 2);
	le(&p, zip->n - cd, 4);
	le(&p, cd, 4);
	le(&p, 0, 2);
	fx_put(zip, hdr, (size_t)(p - hdr));
	fx_free(&d.out);
}

static int bomb_cases(void)
{
	struct fx npz = { 0 }, pt = { 0 };
	struct lim_input npy = { 0 }, pkl = { 0 }, a = { 0 }, b = { 0 };
	static char hdr[128];
	const uint64_t big = 512ull << 20;
	int r, n;

	/* a 512 MiB uint8 array (valid: the check inflates at most
	 * ESC_INFLATE_FILE_MAX of it), and a pickle of one 512 MiB string: the size
	 * fields hold only its low 32 bits (0), the stream is what counts */
	memcpy(hdr, "\x93NUMPY\x01\x00\x76\x00", 10); /* 118 header bytes */
	n = 10 + snprintf(hdr + 10, sizeof hdr - 10, "{'descr': '|u1', 'fortran_order': False, 'shape': (%llu,), }",
	                  (unsigned long long)big);
	while (n < 127)
		hdr[n++] = ' ';
	hdr[127] = '\n';
	lim_add(&npy, hdr, 128, 1);
	lim_add(&npy, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, big / 16);
	bomb(&npz, "arr_0.npy", &npy);
	lim_add(&pkl, "\x80\x04\x8d\x00\x00\x00\x20\x00\x00\x00\x00", 11, 1);
	lim_add(&pkl, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, big / 16);
	lim_add(&pkl, ".", 1, 1);
	bomb(&pt, "archive/data.pkl", &pkl);
	printf("      bombs: npz %zu bytes, pt %zu bytes, each inflating to 512 MiB\n", npz.n, pt.n);
	lim_add(&a, npz.p, npz.n, 1);
	lim_add(&b, pt.p, pt.n, 1);
	r = verdict(&esc_fmt_npz, "b.npz", &a, 1) | verdict(&esc_fmt_pytorch, "b.pt", &b, 0) |
	    verdict(&esc_fmt_zip, "b.zip", &a, 1);
	fx_free(&npz);
	fx_free(&pt);
	return r;
}
LIM_TEST(bomb_cases)
#endif


int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_json_deep),   cmocka_unit_test(t_json_wide),  cmocka_unit_test(t_json_long_str),
		cmocka_unit_test(t_yaml_deep),   cmocka_unit_test(t_yaml_wide),  cmocka_unit_test(t_yaml_anchors),
		cmocka_unit_test(t_yaml_scalar), cmocka_unit_test(t_csv_cases),  cmocka_unit_test(t_text_cases),
		cmocka_unit_test(t_pdf_parquet), cmocka_unit_test(t_npy_cases),
		cmocka_unit_test(t_zip_many),     cmocka_unit_test(t_zip_models),
		cmocka_unit_test(t_gguf_cases), cmocka_unit_test(t_onnx_cases), cmocka_unit_test(t_hdf5_cases), cmocka_unit_test(t_lfs_cases),
		cmocka_unit_test(t_inspect_cases), cmocka_unit_test(t_inspect_secrets), cmocka_unit_test(t_contract_cases), cmocka_unit_test(t_keys_cases), cmocka_unit_test(t_age_cases),
#ifdef ESCROW_HAVE_ZLIB
		cmocka_unit_test(t_bomb_cases),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
