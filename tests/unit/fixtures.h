/* fixtures.h -- builders for tiny model files, made by the tests in C so a
 * reader sees how each valid and broken fixture is built. Header-only. */
#ifndef ESC_TEST_FIXTURES_H
#define ESC_TEST_FIXTURES_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct fx {
	uint8_t *p;
	size_t n, cap;
};

static inline void fx_put(struct fx *b, const void *d, size_t n)
{
	if (b->n + n > b->cap) {
		b->cap = (b->n + n) * 2 + 64;
		b->p = realloc(b->p, b->cap);
		if (!b->p)
			abort();
	}
	if (n)
		memcpy(b->p + b->n, d, n);
	b->n += n;
}

static inline void fx_le(struct fx *b, uint64_t v, unsigned bytes)
{
	uint8_t t[8];

	for (unsigned i = 0; i < bytes; i++)
		t[i] = (uint8_t)(v >> (8 * i));
	fx_put(b, t, bytes);
}

/* A literal that may hold NUL bytes. */
#define FX_LIT(b, lit) fx_put((b), lit, sizeof lit - 1)

static inline void fx_s(struct fx *b, const char *s)
{
	fx_put(b, s, strlen(s));
}

static inline void fx_fill(struct fx *b, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++) {
		uint8_t c = (uint8_t)(seed + i * 7);

		fx_put(b, &c, 1);
	}
}

static inline void fx_free(struct fx *b)
{
	free(b->p);
	b->p = NULL;
	b->n = b->cap = 0;
}

/* safetensors: u64 header length, the JSON header, data_len bytes. */
static inline void fx_safetensors(struct fx *b, const char *json, size_t data_len)
{
	fx_le(b, strlen(json), 8);
	fx_s(b, json);
	fx_fill(b, data_len, 1);
}

/* ---- protobuf (ONNX) ---- */
static inline void fx_varint(struct fx *b, uint64_t v)
{
	do {
		uint8_t c = (uint8_t)(v & 0x7f);

		v >>= 7;
		if (v)
			c |= 0x80;
		fx_put(b, &c, 1);
	} while (v);
}

static inline void fx_pb_bytes(struct fx *b, unsigned field, const void *d, size_t n)
{
	fx_varint(b, (uint64_t)field << 3 | 2);
	fx_varint(b, n);
	fx_put(b, d, n);
}

/* A ModelProto: ir_version (if ir), producer, a graph holding one node and
 * one initializer (with external data at `location` when given), opset. */
static inline void fx_onnx(struct fx *b, uint64_t ir, bool graph, bool opset, const char *location)
{
	struct fx g = { 0 }, t = { 0 }, e = { 0 }, o = { 0 };

	if (ir) {
		fx_varint(b, 0x08);
		fx_varint(b, ir);
	}
	fx_pb_bytes(b, 2, "escrow-test", 11);
	if (graph) {
		fx_pb_bytes(&g, 1, "\x0a\x01x\x12\x01y\x22\x04Relu", 12); /* node */
		fx_varint(&t, 0x08);
		fx_varint(&t, 4);                                     /* dims */
		fx_varint(&t, 0x10);
		fx_varint(&t, 1);                                     /* data_type FLOAT */
		fx_pb_bytes(&t, 8, "w", 1);                           /* name */
		if (location) {
			fx_pb_bytes(&e, 1, "location", 8);
			fx_pb_bytes(&e, 2, location, strlen(location));
			fx_pb_bytes(&t, 13, e.p, e.n);
			fx_varint(&t, 14 << 3);
			fx_varint(&t, 1);                             /* data_location EXTERNAL */
		} else {
			fx_pb_bytes(&t, 9, "\0\0\x80?\0\0\0@\0\0@@\0\0\x80@", 16); /* raw_data */
		}
		fx_pb_bytes(&g, 5, t.p, t.n);
		fx_pb_bytes(&g, 2, "g", 1);
		fx_pb_bytes(b, 7, g.p, g.n);
	}
	if (opset) {
		fx_varint(&o, 0x10);
		fx_varint(&o, 17);
		fx_pb_bytes(b, 8, o.p, o.n);
	}
	fx_free(&g);
	fx_free(&t);
	fx_free(&e);
	fx_free(&o);
}

/* ---- GGUF ---- */
static inline void fx_gguf_str(struct fx *b, const char *s)
{
	fx_le(b, strlen(s), 8);
	fx_s(b, s);
}

/* GGUF with general.alignment 32, a string and an array key, one F32
 * [4, 2] tensor at offset 0, padding, then data_len bytes of data (32 is
 * the exact size). */
static inline void fx_gguf(struct fx *b, uint32_t version, uint64_t n_tensors, size_t data_len)
{
	fx_s(b, "GGUF");
	fx_le(b, version, 4);
	fx_le(b, n_tensors, 8);
	fx_le(b, 3, 8);
	fx_gguf_str(b, "general.alignment");
	fx_le(b, 4, 4);
	fx_le(b, 32, 4);
	fx_gguf_str(b, "general.name");
	fx_le(b, 8, 4);
	fx_gguf_str(b, "tiny");
	fx_gguf_str(b, "tokenizer.ggml.tokens");
	fx_le(b, 9, 4);
	fx_le(b, 8, 4);
	fx_le(b, 2, 8);
	fx_gguf_str(b, "<s>");
	fx_gguf_str(b, "</s>");
	fx_gguf_str(b, "w");
	fx_le(b, 2, 4);
	fx_le(b, 4, 8);
	fx_le(b, 2, 8);
	fx_le(b, 0, 4);  /* F32 */
	fx_le(b, 0, 8);  /* offset */
	while (b->n % 32)
		fx_put(b, "", 1);
	fx_fill(b, data_len, 3);
}

/* ---- zip (stored members) ---- */
struct fx_member {
	const char *name;
	const void *data;
	size_t len;
};

static inline uint32_t fx_crc32(const uint8_t *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	for (size_t i = 0; i < n; i++) {
		c ^= p[i];
		for (int k = 0; k < 8; k++)
			c = c & 1 ? (c >> 1) ^ 0xedb88320u : c >> 1;
	}
	return ~c;
}

/* A zip of stored members; bit3: sizes in data descriptors (as torch's
 * writer does) instead of the local headers. */
static inline void fx_zip(struct fx *b, const struct fx_member *m, size_t n, bool bit3)
{
	struct fx cd = { 0 };
	uint64_t *offs = calloc(n + 1, sizeof *offs), cd_off;

	for (size_t i = 0; i < n; i++) {
		uint32_t crc = fx_crc32(m[i].data, m[i].len);

		offs[i] = b->n;
		fx_le(b, 0x04034b50, 4);
		fx_le(b, 20, 2);
		fx_le(b, bit3 ? 8 : 0, 2);
		fx_le(b, 0, 2);               /* stored */
		fx_le(b, 0, 4);               /* time, date */
		fx_le(b, bit3 ? 0 : crc, 4);
		fx_le(b, bit3 ? 0 : m[i].len, 4);
		fx_le(b, bit3 ? 0 : m[i].len, 4);
		fx_le(b, strlen(m[i].name), 2);
		fx_le(b, 0, 2);
		fx_s(b, m[i].name);
		fx_put(b, m[i].data, m[i].len);
		if (bit3) {
			fx_le(b, 0x08074b50, 4);
			fx_le(b, crc, 4);
			fx_le(b, m[i].len, 4);
			fx_le(b, m[i].len, 4);
		}
		fx_le(&cd, 0x02014b50, 4);
		fx_le(&cd, 20, 2);
		fx_le(&cd, 20, 2);
		fx_le(&cd, bit3 ? 8 : 0, 2);
		fx_le(&cd, 0, 2);
		fx_le(&cd, 0, 4);
		fx_le(&cd, crc, 4);
		fx_le(&cd, m[i].len, 4);
		fx_le(&cd, m[i].len, 4);
		fx_le(&cd, strlen(m[i].name), 2);
		fx_le(&cd, 0, 2);
		fx_le(&cd, 0, 2);
		fx_le(&cd, 0, 2);
		fx_le(&cd, 0, 2);
		fx_le(&cd, 0, 4);
		fx_le(&cd, offs[i], 4);
		fx_s(&cd, m[i].name);
	}
	cd_off = b->n;
	fx_put(b, cd.p, cd.n);
	fx_le(b, 0x06054b50, 4);
	fx_le(b, 0, 2);
	fx_le(b, 0, 2);
	fx_le(b, n, 2);
	fx_le(b, n, 2);
	fx_le(b, cd.n, 4);
	fx_le(b, cd_off, 4);
	fx_le(b, 0, 2);
	fx_free(&cd);
	free(offs);
}

/* ---- npy ---- */
/* magic, v1.0, the dict padded with spaces so that the data starts at a
 * multiple of `align` (64 is right), then data_len bytes. */
static inline void fx_npy(struct fx *b, const char *descr, const char *shape, size_t data_len, unsigned align)
{
	char dict[512];
	size_t dl, total, start = b->n;

	dl = (size_t)snprintf(dict, sizeof dict, "{'descr': '%s', 'fortran_order': False, 'shape': %s, }",
	                      descr, shape);
	total = 10 + dl + 1;
	while (total % align)
		total++;
	FX_LIT(b, "\x93NUMPY\x01\x00");
	fx_le(b, total - 10, 2);
	fx_put(b, dict, dl);
	while (b->n - start < total - 1)
		fx_put(b, " ", 1);
	fx_put(b, "\n", 1);
	fx_fill(b, data_len, 5);
}

/* ---- pickles ---- */
/* A torch-like data.pkl (protocol 2): an OrderedDict holding one tensor
 * rebuilt by `rebuild` (a "module\nname\n" pair). */
static inline void fx_torch_pickle(struct fx *b, const char *rebuild)
{
	/* PROTO 2; OrderedDict() memoized as 0 and 1; key "weight" */
	FX_LIT(b, "\x80\x02" "ccollections\nOrderedDict\n" "q\x00" ")R" "q\x01");
	FX_LIT(b, "X\x06\x00\x00\x00" "weight" "q\x02");
	fx_s(b, "c");
	fx_s(b, rebuild);
	/* ((persistent id tuple) BINPERSID, offset, size, stride, False, OrderedDict()) */
	FX_LIT(b, "q\x03" "((" "X\x07\x00\x00\x00" "storage" "q\x04");
	FX_LIT(b, "ctorch\nFloatStorage\n" "q\x05");
	FX_LIT(b, "X\x01\x00\x00\x00" "0" "q\x06" "X\x03\x00\x00\x00" "cpu" "q\x07");
	FX_LIT(b, "K\x04" "t" "q\x08" "Q" "K\x00" "K\x04" "\x85" "K\x01" "\x85" "\x89" "h\x00" ")R" "q\x09");
	FX_LIT(b, "t" "q\x0a" "R" "q\x0b" "s" ".");
}

#ifdef ESC_FORMATS_H
/* The external data of the last inspections, kept for the tests that read
 * them (their results are copies: nothing else frees it). */
static char *fx_external[16];
static unsigned fx_external_at;

/* Inspects buf in chunks of `chunk` bytes (0: one chunk). */
static inline struct esc_inspection fx_inspect_chunked(const char *path, const struct fx *b,
                                                       enum esc_format want, size_t chunk)
{
	struct esc_inspection out;
	esc_inspector *in = esc_inspect_new(path, b->n, want);
	size_t off = 0;

	if (!in)
		abort();
	if (chunk == 0)
		chunk = b->n ? b->n : 1;
	for (; off < b->n; off += chunk)
		esc_inspect_update(in, b->p + off, b->n - off < chunk ? b->n - off : chunk);
	esc_inspect_final(in, &out);
	if (out.external != NULL) {
		free(fx_external[fx_external_at % 16]);
		fx_external[fx_external_at++ % 16] = out.external;
	}
	return out;
}

/* Inspects in one chunk, then 1-byte and 7-byte chunks, and requires the
 * same findings every time. */
static inline struct esc_inspection fx_inspect(const char *path, const struct fx *b, enum esc_format want)
{
	struct esc_inspection one = fx_inspect_chunked(path, b, want, 0);
	size_t sizes[2] = { 1, 7 };

	for (int i = 0; i < 2; i++) {
		struct esc_inspection o = fx_inspect_chunked(path, b, want, sizes[i]);

		if (o.detected != one.detected || o.wanted_ok != one.wanted_ok || strcmp(o.reason, one.reason) ||
		    o.pickle != one.pickle || strcmp(o.pickle_imports, one.pickle_imports) ||
		    o.lfs_pointer != one.lfs_pointer || strcmp(o.external ? o.external : "", one.external ? one.external : "") ||
		    o.tf_index_ok != one.tf_index_ok) {
			fprintf(stderr, "%s: chunks of %zu differ: detected %d/%d ok %d/%d reason '%s'/'%s' "
			        "pickle %d/%d '%s'/'%s'\n", path, sizes[i], o.detected, one.detected, o.wanted_ok,
			        one.wanted_ok, o.reason, one.reason, o.pickle, one.pickle, o.pickle_imports,
			        one.pickle_imports);
			abort();
		}
	}
	return one;
}
#endif

#endif
