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
#include "formats/esc_st.h"

#include <float.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#define ST_DEPTH 64

struct kv {
	const char *p;
	size_t len;
};

struct keys {
	struct kv *v;
	size_t n, cap;
};

struct sp {
	char *h;
	size_t n, i;
	unsigned depth;
	char *why;
	size_t wlen;
	struct keys keys;        /* the keys of every object still open, outermost first */
	struct esc_st_range *r;
	size_t n_r, cap_r;
};

static int fail(struct sp *p, const char *fmt, ...)
{
	va_list ap;

	if (p->why[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->why, p->wlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int syntax(struct sp *p, const char *what)
{
	return fail(p, "header is not valid JSON (byte %zu: %s)", p->i, what);
}

static void ws(struct sp *p)
{
	while (p->i < p->n && (p->h[p->i] == ' ' || p->h[p->i] == '\t' || p->h[p->i] == '\n' || p->h[p->i] == '\r'))
		p->i++;
}

static int peek(struct sp *p)
{
	ws(p);
	return p->i < p->n ? (unsigned char)p->h[p->i] : -1;
}

static int hex4(struct sp *p, uint32_t *cp)
{
	size_t k;

	*cp = 0;
	if (p->n - p->i < 4)
		return syntax(p, "\\u escape cut short");
	for (k = 0; k < 4; k++) {
		int d = esc_hex_digit((unsigned char)p->h[p->i + k]);

		if (d < 0)
			return syntax(p, "a \\u escape needs four hex digits");
		*cp = *cp << 4 | (uint32_t)d;
	}
	p->i += 4;
	return 0;
}

/* A UTF-8 sequence at p->i (first byte c >= 0x80), copied to h[*w]. */
static int utf8(struct sp *p, size_t *w)
{
	unsigned char c = (unsigned char)p->h[p->i], lo = 0x80, hi = 0xBF;
	size_t need, k;

	if (c >= 0xC2 && c <= 0xDF) {
		need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		need = 2;
		lo = c == 0xE0 ? 0xA0 : 0x80;
		hi = c == 0xED ? 0x9F : 0xBF;
	} else if (c >= 0xF0 && c <= 0xF4) {
		need = 3;
		lo = c == 0xF0 ? 0x90 : 0x80;
		hi = c == 0xF4 ? 0x8F : 0xBF;
	} else {
		return syntax(p, "invalid UTF-8 in a string");
	}
	if (p->n - p->i <= need)
		return syntax(p, "invalid UTF-8 in a string");
	for (k = 1; k <= need; k++) {
		unsigned char b = (unsigned char)p->h[p->i + k];

		if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
			return syntax(p, "invalid UTF-8 in a string");
	}
	for (k = 0; k <= need; k++)
		p->h[(*w)++] = p->h[p->i++];
	return 0;
}

static void put_cp(char *h, size_t *w, uint32_t cp)
{
	if (cp < 0x80) {
		h[(*w)++] = (char)cp;
	} else if (cp < 0x800) {
		h[(*w)++] = (char)(0xC0 | cp >> 6);
		h[(*w)++] = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		h[(*w)++] = (char)(0xE0 | cp >> 12);
		h[(*w)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		h[(*w)++] = (char)(0x80 | (cp & 0x3F));
	} else {
		h[(*w)++] = (char)(0xF0 | cp >> 18);
		h[(*w)++] = (char)(0x80 | ((cp >> 12) & 0x3F));
		h[(*w)++] = (char)(0x80 | ((cp >> 6) & 0x3F));
		h[(*w)++] = (char)(0x80 | (cp & 0x3F));
	}
}

/* A string at p->i (a '"'): decoded in place to [*s, *s + *len). */
static int str(struct sp *p, const char **s, size_t *len)
{
	size_t w = ++p->i, start = w;

	for (;;) {
		unsigned char c;
		uint32_t cp, lo;

		if (p->i >= p->n)
			return syntax(p, "string not closed");
		c = (unsigned char)p->h[p->i];
		if (c == '"') {
			p->i++;
			*s = p->h + start;
			*len = w - start;
			return 0;
		}
		if (c < 0x20)
			return syntax(p, "control character in a string");
		if (c >= 0x80) {
			if (utf8(p, &w) != 0)
				return -1;
			continue;
		}
		if (c != '\\') {
			p->h[w++] = p->h[p->i++];
			continue;
		}
		if (++p->i >= p->n)
			return syntax(p, "string not closed");
		c = (unsigned char)p->h[p->i++];
		switch (c) {
		case '"': case '\\': case '/': p->h[w++] = (char)c; continue;
		case 'b': p->h[w++] = '\b'; continue;
		case 'f': p->h[w++] = '\f'; continue;
		case 'n': p->h[w++] = '\n'; continue;
		case 'r': p->h[w++] = '\r'; continue;
		case 't': p->h[w++] = '\t'; continue;
		case 'u': break;
		default: return syntax(p, "invalid escape");
		}
		if (hex4(p, &cp) != 0)
			return -1;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return syntax(p, "lone low surrogate \\u escape");
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (p->n - p->i < 2 || p->h[p->i] != '\\' || p->h[p->i + 1] != 'u')
				return syntax(p, "high surrogate \\u escape without a low one");
			p->i += 2;
			if (hex4(p, &lo) != 0)
				return -1;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return syntax(p, "high surrogate \\u escape without a low one");
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
		if (cp == 0)
			return syntax(p, "\\u0000 in a string");
		put_cp(p->h, &w, cp);
	}
}

static int is_digit(const struct sp *p)
{
	return p->i < p->n && p->h[p->i] >= '0' && p->h[p->i] <= '9';
}

/* A real's magnitude must fit a double (jansson refuses an overflow, as the
 * loaders do): its first significant digit and the exponent tell, strtod
 * decides the last decade before DBL_MAX. */
static int real_fits(struct sp *p, size_t int0, size_t int1, size_t frac0, size_t frac1, long long exp10)
{
	const char *h = p->h;
	char buf[64];
	size_t k, o = 0;
	long long e;

	for (k = int0; k < int1 && h[k] == '0'; k++)
		;
	if (k < int1) {
		e = (long long)(int1 - k) - 1 + exp10;
	} else {
		for (k = frac0; k < frac1 && h[k] == '0'; k++)
			;
		if (k >= frac1)
			return 0; /* zero */
		e = -(long long)(k - frac0) - 1 + exp10;
	}
	if (e < 308)
		return 0;
	if (e > 308)
		return syntax(p, "number too large for a double");
	for (; o < 40 && k < frac1; k++) { /* d.ddd...e308 from the significant digits */
		if (k == int1 || (k > int1 && k < frac0))
			continue;
		buf[o++] = h[k];
		if (o == 1)
			buf[o++] = '.';
	}
	snprintf(buf + o, sizeof buf - o, "e308");
	return strtod(buf, NULL) > DBL_MAX ? syntax(p, "number too large for a double") : 0;
}

/* A number (RFC 8259). *kind: 1 a non-negative integer (its value in *v),
 * -1 a negative integer, 0 a real. Integers must fit 64 bits, reals a
 * double, as jansson requires. */
static int num(struct sp *p, int *kind, uint64_t *v)
{
	const char *h = p->h;
	size_t int0, int1, frac0 = 0, frac1 = 0;
	int neg = 0, real = 0, big = 0, eneg = 0;
	long long exp10 = 0;
	uint64_t limit;

	*v = 0;
	if (h[p->i] == '-') {
		neg = 1;
		p->i++;
	}
	limit = neg ? UINT64_C(1) << 63 : (UINT64_C(1) << 63) - 1;
	if (!is_digit(p))
		return syntax(p, "a digit must follow '-'");
	int0 = p->i;
	if (h[p->i] == '0') {
		p->i++;
		if (is_digit(p))
			return syntax(p, "leading zero in a number");
	} else {
		for (; is_digit(p); p->i++) {
			unsigned d = (unsigned)(h[p->i] - '0');

			if (*v > (limit - d) / 10)
				big = 1;
			else
				*v = *v * 10 + d;
		}
	}
	int1 = frac0 = frac1 = p->i;
	if (p->i < p->n && h[p->i] == '.') {
		real = 1;
		p->i++;
		if (!is_digit(p))
			return syntax(p, "a digit must follow '.'");
		frac0 = p->i;
		while (is_digit(p))
			p->i++;
		frac1 = p->i;
	}
	if (p->i < p->n && (h[p->i] == 'e' || h[p->i] == 'E')) {
		real = 1;
		if (++p->i < p->n && (h[p->i] == '+' || h[p->i] == '-'))
			eneg = h[p->i++] == '-';
		if (!is_digit(p))
			return syntax(p, "a digit must be in the exponent");
		for (; is_digit(p); p->i++)
			if (exp10 < 1000000000)
				exp10 = exp10 * 10 + (h[p->i] - '0');
	}
	if (real) {
		*kind = 0;
		return real_fits(p, int0, int1, frac0, frac1, eneg ? -exp10 : exp10);
	}
	if (big)
		return syntax(p, "integer too large");
	*kind = neg && *v != 0 ? -1 : 1;
	return 0;
}

static int expect(struct sp *p, char c, const char *what)
{
	if (peek(p) != (unsigned char)c)
		return syntax(p, what);
	p->i++;
	return 0;
}

static int value(struct sp *p);
static int key_add(struct sp *p, struct keys *k, const char *s, size_t len);
static int key_dups(struct sp *p, struct keys *k, size_t from, const char *where);

/* An array or object nobody reads: its syntax and unique keys. */
static int container(struct sp *p)
{
	char close = p->h[p->i] == '{' ? '}' : ']';
	const char *s;
	size_t len, from = p->keys.n;
	int first = 1;

	if (++p->depth > ST_DEPTH)
		return fail(p, "header nested deeper than %d levels", ST_DEPTH);
	p->i++;
	for (;;) {
		int c = peek(p);

		if (c == close && first) {
			p->i++;
			break;
		}
		if (!first && expect(p, ',', close == '}' ? "expected ',' or '}'" : "expected ',' or ']'") != 0)
			return -1;
		first = 0;
		if (close == '}') {
			if (peek(p) != '"')
				return syntax(p, "expected a string key");
			if (str(p, &s, &len) != 0 || key_add(p, &p->keys, s, len) != 0 ||
			    expect(p, ':', "expected ':' after a key") != 0)
				return -1;
		}
		if (value(p) != 0)
			return -1;
		c = peek(p);
		if (c == close) {
			p->i++;
			break;
		}
	}
	p->depth--;
	return close == '}' ? key_dups(p, &p->keys, from, "an object of the header") : 0;
}

static int value(struct sp *p)
{
	const char *s;
	size_t len;
	uint64_t v;
	int c = peek(p), kind;

	if (c == '{' || c == '[')
		return container(p);
	if (c == '"')
		return str(p, &s, &len);
	if (c == '-' || (c >= '0' && c <= '9'))
		return num(p, &kind, &v);
	if (c == 't' || c == 'f' || c == 'n') {
		const char *lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
		size_t l = strlen(lit);

		if (p->n - p->i < l || memcmp(p->h + p->i, lit, l) != 0)
			return syntax(p, "invalid literal");
		p->i += l;
		return 0;
	}
	return syntax(p, c < 0 ? "value missing at the end" : "expected a value");
}

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

static int key_add(struct sp *p, struct keys *k, const char *s, size_t len)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		struct kv *v = realloc(k->v, cap * sizeof *v);

		if (v == NULL)
			return fail(p, "out of memory for the header's keys");
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n].p = s;
	k->v[k->n++].len = len;
	return 0;
}

/* At the end of an object whose keys start at from: any key twice? Then
 * its keys are forgotten. */
static int key_dups(struct sp *p, struct keys *k, size_t from, const char *where)
{
	size_t i;

	if (k->n - from < 2) { /* nothing to compare (and no vector yet for {}) */
		k->n = from;
		return 0;
	}
	qsort(k->v + from, k->n - from, sizeof *k->v, cmp_kv);
	for (i = from + 1; i < k->n; i++)
		if (cmp_kv(&k->v[i - 1], &k->v[i]) == 0)
			return fail(p, "duplicate key '%.*s' in %s", (int)(k->v[i].len < 60 ? k->v[i].len : 60),
			            k->v[i].p, where);
	k->n = from;
	return 0;
}

/* Members of an object, one callback each: fn reads the value at p->i. */
static int members(struct sp *p, const char *where, int (*fn)(struct sp *, const char *, size_t, void *),
                   void *arg)
{
	struct keys *k = &p->keys;
	const char *s;
	size_t len, from = k->n;
	int c;

	if (expect(p, '{', "expected an object") != 0)
		return -1;
	if (++p->depth > ST_DEPTH)
		return fail(p, "header nested deeper than %d levels", ST_DEPTH);
	if (peek(p) == '}') {
		p->i++;
	} else {
		for (;;) {
			if (peek(p) != '"')
				return syntax(p, "expected a string key");
			if (str(p, &s, &len) != 0 || key_add(p, k, s, len) != 0 ||
			    expect(p, ':', "expected ':' after a key") != 0 || fn(p, s, len, arg) != 0)
				return -1;
			c = peek(p);
			if (c != '}' && c != ',')
				return syntax(p, "expected ',' or '}'");
			p->i++;
			if (c == '}')
				break;
		}
	}
	p->depth--;
	return key_dups(p, k, from, where);
}

static int meta_member(struct sp *p, const char *key, size_t klen, void *arg)
{
	const char *s;
	size_t len;

	(void)arg;
	if (peek(p) != '"')
		return fail(p, "__metadata__ value of '%.*s' is not a string", (int)(klen < 60 ? klen : 60), key);
	return str(p, &s, &len);
}

struct tensor {
	const char *dtype;
	size_t dlen;
	int has_dtype, has_shape, n_off, bad_shape, big_shape, bad_off, dtype_not_str;
	uint64_t elems, off[2];
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
		return fail(p, "header nested deeper than %d levels", ST_DEPTH);
	if (peek(p) == ']') {
		p->i++;
		p->depth--;
		return 0;
	}
	for (;;) {
		c = peek(p);
		if (c == '-' || (c >= '0' && c <= '9')) {
			if (num(p, &kind, &v) != 0)
				return -1;
		} else {
			if (value(p) != 0)
				return -1;
			kind = -2;
		}
		if (which == 0) {
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
		c = peek(p);
		if (c != ']' && c != ',')
			return syntax(p, "expected ',' or ']'");
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
		if (peek(p) != '"') {
			t->dtype_not_str = 1;
			return value(p);
		}
		return str(p, &t->dtype, &t->dlen);
	}
	if (key_is(key, klen, "shape") && peek(p) == '[') {
		t->has_shape = 1;
		return ints(p, t, 0);
	}
	if (key_is(key, klen, "data_offsets") && peek(p) == '[') {
		t->n_off = 0;
		return ints(p, t, 1);
	}
	if (key_is(key, klen, "data_offsets"))
		t->n_off = -1;
	return value(p);
}

#define TFAIL(...) fail(p, __VA_ARGS__)

static int top_member(struct sp *p, const char *key, size_t klen, void *arg)
{
	struct tensor t;
	char name[61], dt[21];
	unsigned bits;
	uint64_t b, e;

	(void)arg;
	snprintf(name, sizeof name, "%.*s", (int)(klen < 60 ? klen : 60), key);
	if (key_is(key, klen, "__metadata__")) {
		if (peek(p) != '{')
			return fail(p, "__metadata__ is not an object");
		return members(p, "__metadata__", meta_member, NULL);
	}
	if (p->n_r >= ESC_ST_TENSORS_MAX)
		return fail(p, "more than %u tensors", ESC_ST_TENSORS_MAX);
	memset(&t, 0, sizeof t);
	t.elems = 1;
	t.n_off = -1;
	if (peek(p) != '{')
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
			return fail(p, "out of memory for %zu tensors", p->n_r);
		p->r = v;
		p->cap_r = cap;
	}
	p->r[p->n_r].b = b;
	p->r[p->n_r++].e = e;
	return 0;
}

int esc_st_header(char *h, size_t n, struct esc_st_range **ranges, size_t *n_ranges, char *why, size_t wlen)
{
	struct sp p;
	int ok;

	memset(&p, 0, sizeof p);
	p.h = h;
	p.n = n;
	p.why = why;
	p.wlen = wlen;
	why[0] = '\0';
	*ranges = NULL;
	*n_ranges = 0;
	if (n == 0 || h[0] != '{') {
		fail(&p, "header does not start with '{'");
		return 0;
	}
	ok = members(&p, "the header", top_member, NULL) == 0;
	if (ok && peek(&p) >= 0)
		ok = syntax(&p, "anything after the header's object but spaces") == 0;
	free(p.keys.v);
	if (!ok) {
		free(p.r);
		return 0;
	}
	*ranges = p.r;
	*n_ranges = p.n_r;
	return 1;
}
