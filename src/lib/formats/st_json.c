/* st_json.c -- the JSON reader under st_header.c: jansson's strict rules
 * (RFC 8259, UTF-8 checked, \u escapes paired and never \u0000, integers in
 * 64 bits, reals within a double, no key twice in an object) over a buffer
 * it decodes in place, with no document tree: what it keeps is the keys of
 * the objects still open. Nesting stops at ST_DEPTH. */
#include "formats/esc_fmt.h"
#include "formats/esc_stj.h"

#include <float.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

int esc_stj_fail(struct sp *p, const char *fmt, ...)
{
	va_list ap;

	if (p->why[0] != '\0')
		return -1;
	va_start(ap, fmt);
	vsnprintf(p->why, p->wlen, fmt, ap);
	va_end(ap);
	return -1;
}

int esc_stj_syntax(struct sp *p, const char *what)
{
	return esc_stj_fail(p, "header is not valid JSON (byte %zu: %s)", p->i, what);
}

static void ws(struct sp *p)
{
	while (p->i < p->n && (p->h[p->i] == ' ' || p->h[p->i] == '\t' || p->h[p->i] == '\n' || p->h[p->i] == '\r'))
		p->i++;
}

int esc_stj_peek(struct sp *p)
{
	ws(p);
	return p->i < p->n ? (unsigned char)p->h[p->i] : -1;
}

static int hex4(struct sp *p, uint32_t *cp)
{
	size_t k;

	*cp = 0;
	if (p->n - p->i < 4)
		return esc_stj_syntax(p, "\\u escape cut short");
	for (k = 0; k < 4; k++) {
		int d = esc_hex_digit((unsigned char)p->h[p->i + k]);

		if (d < 0)
			return esc_stj_syntax(p, "a \\u escape needs four hex digits");
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
		return esc_stj_syntax(p, "invalid UTF-8 in a string");
	}
	if (p->n - p->i <= need)
		return esc_stj_syntax(p, "invalid UTF-8 in a string");
	for (k = 1; k <= need; k++) {
		unsigned char b = (unsigned char)p->h[p->i + k];

		if (b < (k == 1 ? lo : 0x80) || b > (k == 1 ? hi : 0xBF))
			return esc_stj_syntax(p, "invalid UTF-8 in a string");
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
int esc_stj_str(struct sp *p, const char **s, size_t *len)
{
	size_t w = ++p->i, start = w;

	for (;;) {
		unsigned char c;
		uint32_t cp, lo;

		if (p->i >= p->n)
			return esc_stj_syntax(p, "string not closed");
		c = (unsigned char)p->h[p->i];
		if (c == '"') {
			p->i++;
			*s = p->h + start;
			*len = w - start;
			return 0;
		}
		if (c < 0x20)
			return esc_stj_syntax(p, "control character in a string");
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
			return esc_stj_syntax(p, "string not closed");
		c = (unsigned char)p->h[p->i++];
		switch (c) {
		case '"': case '\\': case '/': p->h[w++] = (char)c; continue;
		case 'b': p->h[w++] = '\b'; continue;
		case 'f': p->h[w++] = '\f'; continue;
		case 'n': p->h[w++] = '\n'; continue;
		case 'r': p->h[w++] = '\r'; continue;
		case 't': p->h[w++] = '\t'; continue;
		case 'u': break;
		default: return esc_stj_syntax(p, "invalid escape");
		}
		if (hex4(p, &cp) != 0)
			return -1;
		if (cp >= 0xDC00 && cp <= 0xDFFF)
			return esc_stj_syntax(p, "lone low surrogate \\u escape");
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			if (p->n - p->i < 2 || p->h[p->i] != '\\' || p->h[p->i + 1] != 'u')
				return esc_stj_syntax(p, "high surrogate \\u escape without a low one");
			p->i += 2;
			if (hex4(p, &lo) != 0)
				return -1;
			if (lo < 0xDC00 || lo > 0xDFFF)
				return esc_stj_syntax(p, "high surrogate \\u escape without a low one");
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
		}
		if (cp == 0)
			return esc_stj_syntax(p, "\\u0000 in a string");
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
		return esc_stj_syntax(p, "number too large for a double");
	for (; o < 40 && k < frac1; k++) { /* d.ddd...e308 from the significant digits */
		if (k == int1 || (k > int1 && k < frac0))
			continue;
		buf[o++] = h[k];
		if (o == 1)
			buf[o++] = '.';
	}
	snprintf(buf + o, sizeof buf - o, "e308");
	return strtod(buf, NULL) > DBL_MAX ? esc_stj_syntax(p, "number too large for a double") : 0;
}

/* A number (RFC 8259). *kind: 1 a non-negative integer (its value in *v),
 * -1 a negative integer, 0 a real. Integers must fit 64 bits, reals a
 * double, as jansson requires. */
int esc_stj_num(struct sp *p, int *kind, uint64_t *v)
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
		return esc_stj_syntax(p, "a digit must follow '-'");
	int0 = p->i;
	if (h[p->i] == '0') {
		p->i++;
		if (is_digit(p))
			return esc_stj_syntax(p, "leading zero in a number");
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
			return esc_stj_syntax(p, "a digit must follow '.'");
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
			return esc_stj_syntax(p, "a digit must be in the exponent");
		for (; is_digit(p); p->i++)
			if (exp10 < 1000000000)
				exp10 = exp10 * 10 + (h[p->i] - '0');
	}
	if (real) {
		*kind = 0;
		return real_fits(p, int0, int1, frac0, frac1, eneg ? -exp10 : exp10);
	}
	if (big)
		return esc_stj_syntax(p, "integer too large");
	*kind = neg && *v != 0 ? -1 : 1;
	return 0;
}

int esc_stj_expect(struct sp *p, char c, const char *what)
{
	if (esc_stj_peek(p) != (unsigned char)c)
		return esc_stj_syntax(p, what);
	p->i++;
	return 0;
}


/* An array or object nobody reads: its syntax and unique keys. */
static int container(struct sp *p)
{
	char close = p->h[p->i] == '{' ? '}' : ']';
	const char *s;
	size_t len, from = p->keys.n;
	int first = 1;

	if (++p->depth > ST_DEPTH)
		return esc_stj_fail(p, "header nested deeper than %d levels", ST_DEPTH);
	p->i++;
	for (;;) {
		int c = esc_stj_peek(p);

		if (c == close && first) {
			p->i++;
			break;
		}
		if (!first && esc_stj_expect(p, ',', close == '}' ? "expected ',' or '}'" : "expected ',' or ']'") != 0)
			return -1;
		first = 0;
		if (close == '}') {
			if (esc_stj_peek(p) != '"')
				return esc_stj_syntax(p, "expected a string key");
			if (esc_stj_str(p, &s, &len) != 0 || esc_stj_key_add(p, &p->keys, s, len) != 0 ||
			    esc_stj_expect(p, ':', "expected ':' after a key") != 0)
				return -1;
		}
		if (esc_stj_value(p) != 0)
			return -1;
		c = esc_stj_peek(p);
		if (c == close) {
			p->i++;
			break;
		}
	}
	p->depth--;
	return close == '}' ? esc_stj_key_dups(p, &p->keys, from, "an object of the header") : 0;
}

int esc_stj_value(struct sp *p)
{
	const char *s;
	size_t len;
	uint64_t v;
	int c = esc_stj_peek(p), kind;

	if (c == '{' || c == '[')
		return container(p);
	if (c == '"')
		return esc_stj_str(p, &s, &len);
	if (c == '-' || (c >= '0' && c <= '9'))
		return esc_stj_num(p, &kind, &v);
	if (c == 't' || c == 'f' || c == 'n') {
		const char *lit = c == 't' ? "true" : c == 'f' ? "false" : "null";
		size_t l = strlen(lit);

		if (p->n - p->i < l || memcmp(p->h + p->i, lit, l) != 0)
			return esc_stj_syntax(p, "invalid literal");
		p->i += l;
		return 0;
	}
	return esc_stj_syntax(p, c < 0 ? "value missing at the end" : "expected a value");
}

static int cmp_kv(const void *a, const void *b)
{
	const struct kv *x = a, *y = b;
	int c = memcmp(x->p, y->p, x->len < y->len ? x->len : y->len);

	return c ? c : (x->len > y->len) - (x->len < y->len);
}

int esc_stj_key_add(struct sp *p, struct keys *k, const char *s, size_t len)
{
	if (k->n == k->cap) {
		size_t cap = k->cap ? 2 * k->cap : 64;
		struct kv *v = realloc(k->v, cap * sizeof *v);

		if (v == NULL)
			return esc_stj_fail(p, "out of memory for the header's keys");
		k->v = v;
		k->cap = cap;
	}
	k->v[k->n].p = s;
	k->v[k->n++].len = len;
	return 0;
}

/* At the end of an object whose keys start at from: any key twice? Then
 * its keys are forgotten. */
int esc_stj_key_dups(struct sp *p, struct keys *k, size_t from, const char *where)
{
	size_t i;

	if (k->n - from < 2) { /* nothing to compare (and no vector yet for {}) */
		k->n = from;
		return 0;
	}
	qsort(k->v + from, k->n - from, sizeof *k->v, cmp_kv);
	for (i = from + 1; i < k->n; i++)
		if (cmp_kv(&k->v[i - 1], &k->v[i]) == 0)
			return esc_stj_fail(p, "duplicate key '%.*s' in %s", (int)(k->v[i].len < 60 ? k->v[i].len : 60),
			            k->v[i].p, where);
	k->n = from;
	return 0;
}
