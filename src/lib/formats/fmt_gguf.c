/* fmt_gguf.c -- GGUF v2/v3: header, key/value section, tensor infos, then
 * aligned tensor data that must fit in the file. Only the metadata is read
 * (a few MB at most for a tokenizer vocabulary); the data is checked by
 * arithmetic. */
#include "formats/esc_fmt.h"

#include <string.h>

#define GG_KEY_MAX 65535u
#define GG_NAME_MAX 64u
#define GG_DIMS_MAX 4u

enum { G_HDR, G_KEYLEN, G_KEY, G_VTYPE, G_VAL, G_STRLEN, G_ARRHDR, G_TNAMELEN, G_TNAME, G_NDIMS,
       G_DIM, G_TTYPE, G_TOFF, G_ARCH, G_DONE };
#define GG_ARCH_MAX 63u

struct gguf_state {
	uint64_t size, off;
	int st;
	uint8_t b[GG_ARCH_MAX + 1]; /* a fixed field, a key short enough to matter, the architecture */
	size_t need, have;
	uint64_t skip;
	uint64_t n_tensors, n_kv, i_kv, i_tensor;
	size_t key_len;
	uint32_t vtype, atype;
	uint64_t arr_left;
	bool in_array, is_align, is_arch;
	char arch[GG_ARCH_MAX + 1];  /* general.architecture, "" if absent or longer */
	uint64_t ttypes;             /* bit t: a tensor of ggml type t */
	uint64_t align;
	uint32_t ndims, idim, ttype;
	uint64_t elems, ne0, data_end;
	bool failed;
	char reason[200];
};

/* Bytes of a fixed-size value type; 0 for string/array, -1 for unknown. */
static int vsize(uint32_t t)
{
	static const int s[] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

	return t < 13 ? s[t] : -1;
}

/* ggml types: elements per block and bytes per block (0: unknown/removed). */
static const struct {
	uint16_t blck, bytes;
} ggml_types[] = {
	{ 1, 4 }, { 1, 2 }, { 32, 18 }, { 32, 20 }, { 0, 0 }, { 0, 0 }, { 32, 22 }, { 32, 24 },
	{ 32, 34 }, { 32, 36 }, { 256, 84 }, { 256, 110 }, { 256, 144 }, { 256, 176 }, { 256, 210 },
	{ 256, 292 }, { 256, 66 }, { 256, 74 }, { 256, 98 }, { 256, 50 }, { 32, 18 }, { 256, 110 },
	{ 256, 82 }, { 256, 136 }, { 1, 1 }, { 1, 2 }, { 1, 4 }, { 1, 8 }, { 1, 8 }, { 256, 56 },
	{ 1, 2 }, { 0, 0 }, { 0, 0 }, { 0, 0 }, { 256, 54 }, { 256, 66 }, { 0, 0 }, { 0, 0 }, { 0, 0 },
	{ 32, 17 },
};

static uint64_t le(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i > 0; i--)
		v = v << 8 | b[i - 1];
	return v;
}

static void gfail(struct gguf_state *g, const char *fmt, unsigned long long a, unsigned long long b)
{
	if (!g->failed)
		snprintf(g->reason, sizeof g->reason, fmt, a, b);
	g->failed = true;
}

static void need(struct gguf_state *g, int st, size_t n)
{
	g->st = st;
	g->need = n;
	g->have = 0;
}

static void gguf_init(void *s, const char *path, uint64_t size)
{
	struct gguf_state *g = s;

	memset(g, 0, sizeof *g);
	g->size = size;
	g->align = 32;
	need(g, G_HDR, 24);
}

static void next_kv(struct gguf_state *g)
{
	if (g->i_kv < g->n_kv) {
		g->i_kv++;
		need(g, G_KEYLEN, 8);
	} else if (g->i_tensor < g->n_tensors) {
		need(g, G_TNAMELEN, 8);
	} else {
		g->st = G_DONE;
	}
}

/* After one value (scalar, string, or array element). */
static void value_done(struct gguf_state *g)
{
	if (g->in_array && g->arr_left > 0) {
		g->arr_left--;
		if (g->atype == 8)
			need(g, G_STRLEN, 8);
		else
			need(g, G_VAL, (size_t)vsize(g->atype));
		return;
	}
	g->in_array = false;
	next_kv(g);
}

static void start_value(struct gguf_state *g, uint32_t t)
{
	if (t == 8)
		need(g, G_STRLEN, 8);
	else if (t == 9)
		need(g, G_ARRHDR, 12);
	else
		need(g, G_VAL, (size_t)vsize(t));
}

static void on_hdr(struct gguf_state *g, const uint8_t *b)
{
	if (memcmp(b, "GGUF", 4) != 0) {
		gfail(g, "no GGUF magic at offset 0", 0, 0);
		return;
	}
	if (le(b + 4, 4) != 2 && le(b + 4, 4) != 3) {
		gfail(g, "unsupported GGUF version %llu (2 or 3 expected)", le(b + 4, 4), 0);
		return;
	}
	g->n_tensors = le(b + 8, 8);
	g->n_kv = le(b + 16, 8);
	/* a tensor info takes at least 8+1+4+8+4+8 bytes, a key/value 8+1+4+1 */
	if (g->n_tensors > g->size / 33 || g->n_kv > g->size / 14) {
		gfail(g, "tensor count %llu or key/value count %llu cannot fit in the file", g->n_tensors, g->n_kv);
		return;
	}
	next_kv(g);
}

static void on_keylen(struct gguf_state *g, const uint8_t *b)
{
	uint64_t v = le(b, 8);

	if (v == 0 || v > GG_KEY_MAX) {
		gfail(g, "key %llu has length %llu (1..65535)", g->i_kv, v);
		return;
	}
	g->key_len = (size_t)v;
	need(g, G_KEY, v < sizeof g->b ? (size_t)v : 0);
	g->skip = v < sizeof g->b ? 0 : v;
}

static void on_key(struct gguf_state *g, const uint8_t *b)
{
	g->is_align = g->key_len == 17 && memcmp(b, "general.alignment", 17) == 0;
	g->is_arch = g->key_len == 20 && memcmp(b, "general.architecture", 20) == 0;
	need(g, G_VTYPE, 4);
}

static void on_vtype(struct gguf_state *g, const uint8_t *b)
{
	g->vtype = (uint32_t)le(b, 4);
	if (g->vtype > 12) {
		gfail(g, "key %llu has unknown value type %llu", g->i_kv, g->vtype);
		return;
	}
	start_value(g, g->vtype);
}

static void on_arrhdr(struct gguf_state *g, const uint8_t *b)
{
	g->atype = (uint32_t)le(b, 4);
	g->arr_left = le(b + 4, 8);
	if (g->atype > 12 || g->atype == 9) {
		gfail(g, "key %llu: array of unsupported type %llu", g->i_kv, g->atype);
		return;
	}
	if (g->arr_left > g->size - g->off) {
		gfail(g, "key %llu: array of %llu items cannot fit in the file", g->i_kv, g->arr_left);
		return;
	}
	if (g->atype != 8) {
		/* fixed-size items: skipped in one step, not item by item */
		g->skip = g->arr_left * (uint64_t)vsize(g->atype);
		if (g->skip > g->size - g->off) {
			gfail(g, "key %llu: array of %llu items cannot fit in the file", g->i_kv, g->arr_left);
			return;
		}
		next_kv(g);
		return;
	}
	g->in_array = true;
	value_done(g);
}

static void on_strlen(struct gguf_state *g, const uint8_t *b)
{
	uint64_t v = le(b, 8);

	if (v > g->size - g->off) {
		gfail(g, "string of %llu bytes at offset %llu runs past the end of the file", v, g->off);
		return;
	}
	if (g->is_arch && !g->in_array && v > 0 && v <= GG_ARCH_MAX) {
		need(g, G_ARCH, (size_t)v);
		return;
	}
	g->skip = v;
	value_done(g);
}

static void on_arch(struct gguf_state *g, const uint8_t *b)
{
	memcpy(g->arch, b, g->need);
	g->arch[g->need] = '\0';
	value_done(g);
}

static void on_val(struct gguf_state *g, const uint8_t *b)
{
	uint64_t v;

	if (!g->in_array && g->is_align) {
		v = le(b, (unsigned)g->need);
		if (g->vtype != 4 || v == 0 || (v & (v - 1))) {
			gfail(g, "general.alignment %llu is not a power of two (u32)", v, 0);
			return;
		}
		g->align = v;
	}
	if (g->vtype == 7 && !g->in_array && b[0] > 1) {
		gfail(g, "bool value %llu in key %llu", b[0], g->i_kv);
		return;
	}
	value_done(g);
}

static void on_tnamelen(struct gguf_state *g, const uint8_t *b)
{
	uint64_t v = le(b, 8);

	if (v == 0 || v > GG_NAME_MAX) {
		gfail(g, "tensor %llu has a name of %llu bytes (1..64)", g->i_tensor, v);
		return;
	}
	g->skip = v;
	need(g, G_NDIMS, 4);
}

static void on_ndims(struct gguf_state *g, const uint8_t *b)
{
	g->ndims = (uint32_t)le(b, 4);
	if (g->ndims == 0 || g->ndims > GG_DIMS_MAX) {
		gfail(g, "tensor %llu has %llu dimensions (1..4)", g->i_tensor, g->ndims);
		return;
	}
	g->idim = 0;
	g->elems = 1;
	need(g, G_DIM, 8);
}

static void on_dim(struct gguf_state *g, const uint8_t *b)
{
	uint64_t v = le(b, 8);

	if (g->idim == 0)
		g->ne0 = v;
	if (v != 0 && g->elems > (UINT64_MAX / 512) / v) {
		gfail(g, "tensor %llu: shape too large", g->i_tensor, 0);
		return;
	}
	g->elems *= v;
	if (++g->idim < g->ndims)
		need(g, G_DIM, 8);
	else
		need(g, G_TTYPE, 4);
}

static void on_ttype(struct gguf_state *g, const uint8_t *b)
{
	g->ttype = (uint32_t)le(b, 4);
	if (g->ttype >= sizeof ggml_types / sizeof ggml_types[0] || !ggml_types[g->ttype].blck) {
		gfail(g, "tensor %llu has unknown type %llu", g->i_tensor, g->ttype);
		return;
	}
	if (g->ne0 % ggml_types[g->ttype].blck) {
		gfail(g, "tensor %llu: first dimension %llu is not a multiple of its block size", g->i_tensor, g->ne0);
		return;
	}
	g->ttypes |= UINT64_C(1) << g->ttype;
	need(g, G_TOFF, 8);
}

static void on_toff(struct gguf_state *g, const uint8_t *b)
{
	uint64_t v = le(b, 8);

	if (v % g->align) {
		gfail(g, "tensor %llu: data offset %llu is not aligned", g->i_tensor, v);
		return;
	}
	{
		uint64_t bytes = g->elems / ggml_types[g->ttype].blck * ggml_types[g->ttype].bytes;

		if (v > g->size || bytes > g->size - v) {
			gfail(g, "tensor %llu: data at %llu runs past the end of the file", g->i_tensor, v);
			return;
		}
		if (v + bytes > g->data_end)
			g->data_end = v + bytes;
	}
	g->i_tensor++;
	next_kv(g);
}

/* One handler per field: g->b holds its g->need bytes. */
static void (*const on_field[G_DONE])(struct gguf_state *g, const uint8_t *b) = {
	[G_HDR] = on_hdr,
	[G_KEYLEN] = on_keylen,
	[G_KEY] = on_key,
	[G_VTYPE] = on_vtype,
	[G_ARRHDR] = on_arrhdr,
	[G_STRLEN] = on_strlen,
	[G_VAL] = on_val,
	[G_TNAMELEN] = on_tnamelen,
	[G_NDIMS] = on_ndims,
	[G_DIM] = on_dim,
	[G_TTYPE] = on_ttype,
	[G_TOFF] = on_toff,
	[G_ARCH] = on_arch,
};

static void act(struct gguf_state *g)
{
	if (g->st >= 0 && g->st < G_DONE && on_field[g->st] != NULL)
		on_field[g->st](g, g->b);
}

static int gguf_update(void *s, const uint8_t *buf, size_t len, uint64_t off)
{
	struct gguf_state *g = s;
	size_t i = 0, take;

	while (i < len && !g->failed && (g->st != G_DONE || g->skip)) {
		if (g->skip) {
			take = len - i < g->skip ? len - i : (size_t)g->skip;
			g->skip -= take;
		} else {
			take = g->need - g->have < len - i ? g->need - g->have : len - i;
			memcpy(g->b + g->have, buf + i, take);
			g->have += take;
		}
		i += take;
		g->off += take;
		if (!g->skip && g->have == g->need)
			act(g);
	}
	return g->failed || (g->st == G_DONE && !g->skip);
}

static int gguf_final(void *s, char *reason, size_t rlen)
{
	struct gguf_state *g = s;
	uint64_t start;

	if (!g->failed && (g->st != G_DONE || g->skip))
		gfail(g, "truncated in the metadata at offset %llu", g->off, 0);
	/* without tensor data (a vocabulary-only file) no padding is needed */
	if (!g->failed && g->data_end > 0) {
		start = g->off + (g->align - g->off % g->align) % g->align;
		if (start > g->size || g->data_end > g->size - start)
			gfail(g, "tensor data needs %llu bytes, the file holds %llu", start + g->data_end, g->size);
	}
	if (g->failed) {
		snprintf(reason, rlen, "%s", g->reason);
		return 0;
	}
	return 1;
}

/* ggml's type names, by type number ("" for numbers it removed). */
static const char *const ggml_names[] = {
	"F32", "F16", "Q4_0", "Q4_1", "", "", "Q5_0", "Q5_1", "Q8_0", "Q8_1", "Q2_K", "Q3_K", "Q4_K", "Q5_K",
	"Q6_K", "Q8_K", "IQ2_XXS", "IQ2_XS", "IQ3_XXS", "IQ1_S", "IQ4_NL", "IQ3_S", "IQ2_S", "IQ4_XS", "I8",
	"I16", "I32", "I64", "F64", "IQ1_M", "BF16", "", "", "", "TQ1_0", "TQ2_0", "", "", "", "MXFP4",
};
_Static_assert(sizeof ggml_names / sizeof ggml_names[0] == sizeof ggml_types / sizeof ggml_types[0],
               "one name per ggml type");

/* Only a file that passed. */
static void gguf_report(void *s, struct esc_inspection *out)
{
	struct gguf_state *g = s;
	json_t *o, *dt;

	if (g->failed || g->st != G_DONE || g->skip || out->model[0])
		return;
	o = json_object();
	dt = json_array();
	if (o == NULL || dt == NULL) {
		json_decref(o);
		json_decref(dt);
		return;
	}
	for (unsigned t = 0; t < sizeof ggml_names / sizeof ggml_names[0]; t++)
		if (g->ttypes >> t & 1u)
			json_array_append_new(dt, json_string(ggml_names[t]));
	json_object_set_new(o, "format", json_string("gguf"));
	json_object_set_new(o, "tensors", json_integer((json_int_t)g->n_tensors));
	json_object_set_new(o, "dtypes", dt);
	if (g->arch[0])
		json_object_set_new(o, "architecture", esc_json_string(g->arch));
	esc_insp_model(out, o);
}

static int gguf_sniff(const uint8_t *h, size_t len, uint64_t size)
{
	return len >= 4 && memcmp(h, "GGUF", 4) == 0;
}

const struct esc_fmt_ops esc_fmt_gguf = {
	.fmt = ESC_FMT_GGUF,
	.state_size = sizeof(struct gguf_state),
	.init = gguf_init,
	.update = gguf_update,
	.final = gguf_final,
	.sniff = gguf_sniff,
	.report = gguf_report,
};
