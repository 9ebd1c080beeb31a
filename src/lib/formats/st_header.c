/* st_header.c -- the JSON header of a safetensors file, read without a
 * document tree. A 16 MiB header of empty objects ("x":[{},{},...]) made
 * jansson build millions of nodes (1.29 GB for one file); here the header is
 * read once, in place, and all that is kept is what it describes: one range
 * per tensor (16 bytes) and the keys of the objects still open, to refuse
 * duplicates (16 bytes a key). A key costs at least 5 bytes of header, so
 * memory stays within about 3x the header (with the vectors' doubling).
 *
 * The JSON rules are jansson's strict ones: one object, whitespace around
 * it, strings of valid UTF-8 without raw control characters or \u0000,
 * paired surrogates, RFC 8259 numbers, integers within 64 bits, no key twice
 * in one object. Members a tensor has beyond dtype, shape and data_offsets
 * are ignored by the loaders; they are checked all the same, nested at most
 * ST_DEPTH deep. Strings are decoded in place (a decoded string is never
 * longer than its text). */
#include "formats/esc_fmt.h"
#include "formats/esc_stj.h"

#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	unsigned bits;
} dtypes[] = {
	{ "BOOL", 8 }, { "U8", 8 }, { "I8", 8 }, { "F8_E5M2", 8 }, { "F8_E4M3", 8 },
	{ "F8_E8M0", 8 }, { "I16", 16 }, { "U16", 16 }, { "F16", 16 }, { "BF16", 16 },
	{ "I32", 32 }, { "U32", 32 }, { "F32", 32 }, { "F64", 64 }, { "I64", 64 },
	{ "U64", 64 }, { "C64", 64 }, { "F4", 4 }, { "F6_E2M3", 6 }, { "F6_E3M2", 6 },
};
#define N_DTYPES (sizeof dtypes / sizeof dtypes[0])
_Static_assert(N_DTYPES <= 32, "esc_st_sum.dtypes is a 32-bit mask");

static unsigned dtype_index(const char *d)
{
	for (unsigned i = 0; i < N_DTYPES; i++)
		if (strcmp(d, dtypes[i].name) == 0)
			return i;
	return N_DTYPES;
}

unsigned esc_st_dtype_bits(const char *d)
{
	unsigned i = dtype_index(d);

	return i < N_DTYPES ? dtypes[i].bits : 0;
}

const char *esc_st_dtype_name(unsigned i)
{
	return i < N_DTYPES ? dtypes[i].name : NULL;
}

/* Members of an object, one callback each: fn reads the value at p->i. */
static int members(struct sp *p, const char *where, int (*fn)(struct sp *, const char *, size_t, void *),
                   void *arg)
{
	struct keys *k = &p->keys;
	const char *s;
	size_t len, from = k->n;
	int c;

	if (esc_stj_expect(p, '{', "expected an object") != 0)
		return -1;
	if (++p->depth > ST_DEPTH)
		return esc_stj_fail(p, "header nested deeper than %d levels", ST_DEPTH);
	if (esc_stj_peek(p) == '}') {
		p->i++;
	} else {
		for (;;) {
			if (esc_stj_peek(p) != '"')
				return esc_stj_syntax(p, "expected a string key");
			if (esc_stj_str(p, &s, &len) != 0 || esc_stj_key_add(p, k, s, len) != 0 ||
			    esc_stj_expect(p, ':', "expected ':' after a key") != 0 || fn(p, s, len, arg) != 0)
				return -1;
			c = esc_stj_peek(p);
			if (c != '}' && c != ',')
				return esc_stj_syntax(p, "expected ',' or '}'");
			p->i++;
			if (c == '}')
				break;
		}
	}
	p->depth--;
	return esc_stj_key_dups(p, k, from, where);
}

static int meta_member(struct sp *p, const char *key, size_t klen, void *arg)
{
	const char *s;
	size_t len;

	(void)arg;
	if (esc_stj_peek(p) != '"')
		return esc_stj_fail(p, "__metadata__ value of '%.*s' is not a string", (int)(klen < 60 ? klen : 60), key);
	return esc_stj_str(p, &s, &len);
}

struct tensor {
	const char *dtype;
	size_t dlen;
	int has_dtype, has_shape, n_off, bad_shape, big_shape, bad_off, dtype_not_str;
	uint64_t elems, off[2];
	unsigned nd;                 /* dimensions of the shape; the first ESC_ST_DIMS kept */
	uint64_t dims[ESC_ST_DIMS];
};

static int key_is(const char *key, size_t len, const char *name)
{
	return len == strlen(name) && memcmp(key, name, len) == 0;
}

/* An array of integers for shape (which = 0) or data_offsets (which = 1). */
static int ints(struct sp *p, struct tensor *t, int which)
{
	uint64_t v;
	int kind, c;

	p->i++; /* '[' */
	if (++p->depth > ST_DEPTH)
		return esc_stj_fail(p, "header nested deeper than %d levels", ST_DEPTH);
	if (esc_stj_peek(p) == ']') {
		p->i++;
		p->depth--;
		return 0;
	}
	for (;;) {
		c = esc_stj_peek(p);
		if (c == '-' || (c >= '0' && c <= '9')) {
			if (esc_stj_num(p, &kind, &v) != 0)
				return -1;
		} else {
			if (esc_stj_value(p) != 0)
				return -1;
			kind = -2;
		}
		if (which == 0) {
			if (kind == 1 && t->nd < ESC_ST_DIMS)
				t->dims[t->nd] = v;
			t->nd++;
			if (kind != 1)
				t->bad_shape = 1;
			else if (v != 0 && t->elems > UINT64_MAX / 64 / v)
				t->big_shape = 1;
			else
				t->elems *= v;
		} else {
			if (kind != 1)
				t->bad_off = 1;
			else if (t->n_off < 2)
				t->off[t->n_off] = v;
			t->n_off++;
		}
		c = esc_stj_peek(p);
		if (c != ']' && c != ',')
			return esc_stj_syntax(p, "expected ',' or ']'");
		p->i++;
		if (c == ']')
			break;
	}
	p->depth--;
	return 0;
}

static int tensor_member(struct sp *p, const char *key, size_t klen, void *arg)
{
	struct tensor *t = arg;

	if (key_is(key, klen, "dtype")) {
		t->has_dtype = 1;
		if (esc_stj_peek(p) != '"') {
			t->dtype_not_str = 1;
			return esc_stj_value(p);
		}
		return esc_stj_str(p, &t->dtype, &t->dlen);
	}
	if (key_is(key, klen, "shape") && esc_stj_peek(p) == '[') {
		t->has_shape = 1;
		return ints(p, t, 0);
	}
	if (key_is(key, klen, "data_offsets") && esc_stj_peek(p) == '[') {
		t->n_off = 0;
		return ints(p, t, 1);
	}
	if (key_is(key, klen, "data_offsets"))
		t->n_off = -1;
	return esc_stj_value(p);
}

/* One well-formed tensor into the summary. */
static void add_sum(struct esc_st_sum *s, const char *key, size_t klen, const char *dt, const struct tensor *t)
{
	unsigned i = dtype_index(dt);

	s->tensors++;
	if (i < N_DTYPES)
		s->dtypes |= UINT32_C(1) << i;
	if (t->elems > UINT64_MAX - s->params)
		s->params_over = 1;
	else
		s->params += t->elems;
	if (s->n_shown < ESC_ST_SHOWN) {
		unsigned k = s->n_shown++;
		size_t cut = klen < 63 ? klen : 63;

		/* the header is valid UTF-8: cut between characters */
		while (cut < klen && cut > 0 && ((unsigned char)key[cut] & 0xC0) == 0x80)
			cut--;
		snprintf(s->name[k], sizeof s->name[k], "%.*s", (int)cut, key);
		memcpy(s->dims[k], t->dims, sizeof s->dims[k]);
		s->ndims[k] = t->nd;
	}
}

#define TFAIL(...) esc_stj_fail(p, __VA_ARGS__)

static int top_member(struct sp *p, const char *key, size_t klen, void *arg)
{
	struct tensor t;
	char name[61], dt[21];
	unsigned bits;
	uint64_t b, e;

	(void)arg;
	snprintf(name, sizeof name, "%.*s", (int)(klen < 60 ? klen : 60), key);
	if (key_is(key, klen, "__metadata__")) {
		if (esc_stj_peek(p) != '{')
			return esc_stj_fail(p, "__metadata__ is not an object");
		return members(p, "__metadata__", meta_member, NULL);
	}
	if (p->n_r >= ESC_ST_TENSORS_MAX)
		return esc_stj_fail(p, "more than %u tensors", ESC_ST_TENSORS_MAX);
	memset(&t, 0, sizeof t);
	t.elems = 1;
	t.n_off = -1;
	if (esc_stj_peek(p) != '{')
		return TFAIL("tensor '%s' lacks dtype, shape or data_offsets [begin, end]", name);
	if (members(p, "a tensor's entry", tensor_member, &t) != 0)
		return -1;
	if (!t.has_dtype || t.dtype_not_str || !t.has_shape || t.n_off != 2)
		return TFAIL("tensor '%s' lacks dtype, shape or data_offsets [begin, end]", name);
	snprintf(dt, sizeof dt, "%.*s", (int)(t.dlen < 20 ? t.dlen : 20), t.dtype);
	bits = strlen(dt) == t.dlen ? esc_st_dtype_bits(dt) : 0;
	if (!bits)
		return TFAIL("tensor '%s': unknown dtype '%s'", name, dt);
	if (t.bad_shape)
		return TFAIL("tensor '%s': shape holds something other than a non-negative integer", name);
	if (t.big_shape)
		return TFAIL("tensor '%s': shape too large", name);
	if (t.bad_off)
		return TFAIL("tensor '%s': data_offsets are not non-negative integers", name);
	b = t.off[0];
	e = t.off[1];
	if (e < b)
		return TFAIL("tensor '%s': data_offsets end %llu before begin %llu", name, (unsigned long long)e,
		             (unsigned long long)b);
	if (t.elems * bits % 8 != 0)
		return TFAIL("tensor '%s': %llu elements of %s do not fill whole bytes", name,
		             (unsigned long long)t.elems, dt);
	if (e - b != t.elems * bits / 8)
		return TFAIL("tensor '%s': %llu bytes for %llu elements of %s (expected %llu)", name,
		             (unsigned long long)(e - b), (unsigned long long)t.elems, dt,
		             (unsigned long long)(t.elems * bits / 8));
	if (p->n_r == p->cap_r) {
		size_t cap = p->cap_r ? 2 * p->cap_r : 64;
		struct esc_st_range *v = realloc(p->r, cap * sizeof *v);

		if (v == NULL)
			return esc_stj_fail(p, "out of memory for %zu tensors", p->n_r);
		p->r = v;
		p->cap_r = cap;
	}
	p->r[p->n_r].b = b;
	p->r[p->n_r++].e = e;
	if (p->sum != NULL)
		add_sum(p->sum, key, klen, dt, &t);
	return 0;
}

int esc_st_header(char *h, size_t n, struct esc_st_range **ranges, size_t *n_ranges, char *why, size_t wlen)
{
	return esc_st_header_sum(h, n, ranges, n_ranges, NULL, why, wlen);
}

int esc_st_header_sum(char *h, size_t n, struct esc_st_range **ranges, size_t *n_ranges, struct esc_st_sum *sum,
                      char *why, size_t wlen)
{
	struct sp p;
	int ok;

	memset(&p, 0, sizeof p);
	if (sum != NULL)
		memset(sum, 0, sizeof *sum);
	p.sum = sum;
	p.h = h;
	p.n = n;
	p.why = why;
	p.wlen = wlen;
	why[0] = '\0';
	*ranges = NULL;
	*n_ranges = 0;
	if (n == 0 || h[0] != '{') {
		esc_stj_fail(&p, "header does not start with '{'");
		return 0;
	}
	ok = members(&p, "the header", top_member, NULL) == 0;
	if (ok && esc_stj_peek(&p) >= 0)
		ok = esc_stj_syntax(&p, "anything after the header's object but spaces") == 0;
	free(p.keys.v);
	if (!ok) {
		free(p.r);
		return 0;
	}
	*ranges = p.r;
	*n_ranges = p.n_r;
	return 1;
}
