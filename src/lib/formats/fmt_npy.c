/* fmt_npy.c -- NumPy .npy: magic, version, a header dict (padded to 64
 * bytes since numpy 1.14, to 16 before), then exactly shape product x item
 * size bytes. An object dtype means the data is a pickle, which is scanned. */
#include "formats/esc_npy.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NPY_MAX_DIMS 64

struct lit {
	const char *p, *end;
};

static void skip_ws(struct lit *l)
{
	while (l->p < l->end && (*l->p == ' ' || *l->p == '\t' || *l->p == '\n' || *l->p == '\r'))
		l->p++;
}

static bool eat(struct lit *l, char c)
{
	skip_ws(l);
	if (l->p < l->end && *l->p == c) {
		l->p++;
		return true;
	}
	return false;
}

/* A Python string literal, its body as written: escapes are stepped over,
 * not decoded (repr() escapes a field name with a backslash or both
 * quotes; a type string or key with one matches nothing). */
static bool str_lit(struct lit *l, const char **s, size_t *n)
{
	char q;
	const char *e;

	skip_ws(l);
	if (l->p >= l->end || (*l->p != '\'' && *l->p != '"'))
		return false;
	q = *l->p++;
	for (e = l->p; e < l->end && *e != q; e++)
		if (*e == '\\' && ++e == l->end)
			return false;
	if (e == l->end)
		return false;
	*s = l->p;
	*n = (size_t)(e - l->p);
	l->p = e + 1;
	return true;
}

static bool word(struct lit *l, const char *w)
{
	size_t n = strlen(w);

	skip_ws(l);
	if ((size_t)(l->end - l->p) >= n && memcmp(l->p, w, n) == 0) {
		l->p += n;
		return true;
	}
	return false;
}

static bool mul(uint64_t *acc, uint64_t v)
{
	if (v != 0 && *acc > UINT64_MAX / v)
		return false;
	*acc *= v;
	return true;
}

/* (d0, d1, ...): a one-element tuple needs its trailing comma. */
static bool shape_lit(struct lit *l, uint64_t *prod, struct esc_npy *keep)
{
	unsigned dims = 0;

	*prod = 1;
	if (!eat(l, '('))
		return false;
	if (eat(l, ')'))
		return true;
	for (;;) {
		uint64_t v = 0;
		unsigned digits = 0;

		skip_ws(l);
		while (l->p < l->end && *l->p >= '0' && *l->p <= '9' && digits < 19) {
			v = v * 10 + (uint64_t)(*l->p++ - '0');
			digits++;
		}
		if (digits == 0 || digits == 19 || ++dims > NPY_MAX_DIMS || !mul(prod, v))
			return false;
		if (keep != NULL) {
			if (keep->ndim < ESC_NPY_DIMS)
				keep->dims[keep->ndim] = v;
			keep->ndim++;
		}
		if (l->p < l->end && *l->p == 'L')
			l->p++;
		if (eat(l, ',')) {
			if (eat(l, ')'))
				return true;
			continue;
		}
		return dims > 1 && eat(l, ')');
	}
}

/* One type string, as "<f4", "|S10", "<U5", "<M8[ns]", "|O", with the
 * sizes numpy (x86-64) knows for each kind: it refuses "<i3" or "|c1". */
static bool typestr(const char *s, size_t n, uint64_t *item, bool *obj)
{
	uint64_t v = 0;
	size_t i = 2;

	if (n < 2 || !strchr("<>|=", s[0]))
		return false;
	if (s[1] == 'O') {
		*obj = true;
		*item = 8;
		return n == 2 || (n == 3 && s[2] == '8');
	}
	if (!strchr("biufcmMSUVa?", s[1]))
		return false;
	if (n == 2) {
		*item = 1;
		return s[1] == '?';
	}
	while (i < n && s[i] >= '0' && s[i] <= '9' && i < 12)
		v = v * 10 + (uint64_t)(s[i++] - '0');
	if (i == 2)
		return false;
	if ((s[1] == 'm' || s[1] == 'M') && i < n && s[i] == '[' && s[n - 1] == ']')
		i = n;
	if (i != n)
		return false;
	switch (s[1]) {
	case 'b': if (v != 1) return false; break;
	case 'i': case 'u': if (v != 1 && v != 2 && v != 4 && v != 8) return false; break;
	case 'f': if (v != 2 && v != 4 && v != 8 && v != 16) return false; break;
	case 'c': if (v != 8 && v != 16 && v != 32) return false; break;
	case 'm': case 'M': if (v != 8) return false; break;
	case '?': return false;
	default: break; /* S, a, U, V: any length, 0 too */
	}
	*item = s[1] == 'U' ? v * 4 : v;
	return true;
}

/* A field's name: 'name', or ('title', 'name') for a field with a title. */
static bool field_name(struct lit *l)
{
	const char *s;
	size_t n;

	if (str_lit(l, &s, &n))
		return true;
	return eat(l, '(') && str_lit(l, &s, &n) && eat(l, ',') && str_lit(l, &s, &n) && eat(l, ')');
}

/* descr: a type string, or a list of (name, descr[, shape]) fields, nested
 * as deep as numpy nests records (the bound only keeps the recursion
 * small), empty too (a record without fields is 0 bytes: np.dtype([])). */
static bool descr_lit(struct lit *l, uint64_t *item, bool *obj, unsigned depth)
{
	const char *s;
	size_t n;

	if (depth > 64)
		return false;
	if (str_lit(l, &s, &n))
		return typestr(s, n, item, obj);
	if (!eat(l, '['))
		return false;
	*item = 0;
	for (;;) {
		uint64_t fi = 0, shp = 1;

		if (eat(l, ']'))
			return true;
		if (!eat(l, '(') || !field_name(l) || !eat(l, ',') || !descr_lit(l, &fi, obj, depth + 1))
			return false;
		if (eat(l, ',') && !eat(l, ')')) {
			if (!shape_lit(l, &shp, NULL) || !(eat(l, ')') || (eat(l, ',') && eat(l, ')'))))
				return false;
		} else if (l->p[-1] != ')' && !eat(l, ')')) {
			return false;
		}
		if (!mul(&fi, shp) || fi > UINT64_MAX - *item)
			return false;
		*item += fi;
		if (!eat(l, ',')) {
			if (!eat(l, ']'))
				return false;
			return true;
		}
	}
}

static bool parse_dict(struct esc_npy *n, const char *h, size_t len)
{
	struct lit l = { h, h + len };
	bool have_d = false, have_f = false, have_s = false;
	uint64_t item = 0, prod = 1;

	if (!eat(&l, '{'))
		return false;
	for (;;) {
		const char *k;
		size_t kl;

		if (eat(&l, '}'))
			break;
		if (!str_lit(&l, &k, &kl) || !eat(&l, ':'))
			return false;
		if (kl == 5 && memcmp(k, "descr", 5) == 0 && !have_d) {
			const char *d;

			skip_ws(&l);
			d = l.p;
			have_d = descr_lit(&l, &item, &n->object, 0);
			/* the type string as written between its quotes, or a record */
			if (have_d && (*d == '\'' || *d == '"') && (size_t)(l.p - d) - 2 < sizeof n->dtype)
				snprintf(n->dtype, sizeof n->dtype, "%.*s", (int)(l.p - d - 2), d + 1);
			else if (have_d && *d == '[')
				snprintf(n->dtype, sizeof n->dtype, "structured");
			if (!have_d)
				return false;
		} else if (kl == 13 && memcmp(k, "fortran_order", 13) == 0 && !have_f) {
			have_f = word(&l, "True") || word(&l, "False");
			if (!have_f)
				return false;
		} else if (kl == 5 && memcmp(k, "shape", 5) == 0 && !have_s) {
			n->ndim = 0;
			have_s = shape_lit(&l, &prod, n);
			if (!have_s)
				return false;
		} else {
			return false;
		}
		if (!eat(&l, ',')) {
			if (!eat(&l, '}'))
				return false;
			break;
		}
	}
	skip_ws(&l);
	if (l.p != l.end || !have_d || !have_f || !have_s || !mul(&prod, item))
		return false;
	n->data_size = prod;
	return true;
}

/* Strict UTF-8 (no overlongs, surrogates or code points past U+10FFFF), as
 * Python decodes a version 3.0 header. */
static bool utf8_ok(const uint8_t *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned c = s[i], k;
		uint32_t cp;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf)
			k = 1, cp = c & 0x1f;
		else if (c >= 0xe0 && c <= 0xef)
			k = 2, cp = c & 0x0f;
		else if (c >= 0xf0 && c <= 0xf4)
			k = 3, cp = c & 0x07;
		else
			return false;
		if (k >= len - i)
			return false;
		for (unsigned j = 1; j <= k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return false;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if ((k == 2 && cp < 0x800) || (k == 3 && (cp < 0x10000 || cp > 0x10ffff)) ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return false;
		i += k + 1;
	}
	return true;
}

static void nfail(struct esc_npy *n, const char *what)
{
	snprintf(n->reason, sizeof n->reason, "%s", what);
	n->failed = true;
}

void esc_npy_init(struct esc_npy *n, uint64_t size)
{
	n->size = size;
	n->pos = 0;
	n->hdr_total = 0;
	n->hdr_len = 0;
	n->parsed = n->object = n->failed = false;
	n->data_size = 0;
	n->pk = NULL;
	n->reason[0] = '\0';
}

static void header_done(struct esc_npy *n)
{
	const uint8_t *h = n->hdr;
	size_t off = h[6] == 1 ? 10 : 12;
	uint64_t hl = n->hdr_total - off;

	/* numpy checks neither padding nor the final newline: writers before
	 * numpy 1.14 padded to 16 bytes, later ones to 64, and both still load. */
	if (hl == 0) {
		nfail(n, "empty .npy header");
		return;
	}
	if (h[6] == 3 && !utf8_ok(h + off, (size_t)hl)) {
		nfail(n, "version 3.0 header is not valid UTF-8");
		return;
	}
	if (!parse_dict(n, (const char *)h + off, (size_t)hl)) {
		nfail(n, "header is not a dict of exactly descr, fortran_order and shape");
		return;
	}
	n->parsed = true;
	if (n->object) {
		n->pk = esc_pickle_new();
		if (!n->pk) {
			nfail(n, "out of memory");
		} else {
			esc_pickle_set_max(n->pk, 1);
			if (n->size != UINT64_MAX) /* hdr_total <= size (read_length) */
				esc_pickle_set_size(n->pk, n->size - n->hdr_total);
		}
	}
}

static size_t hdr_want(const struct esc_npy *n)
{
	if (n->hdr_len < 8)
		return 8;
	if (n->hdr_total == 0)
		return n->hdr[6] == 1 ? 10 : 12;
	return (size_t)n->hdr_total;
}

/* Magic and version (8 bytes), then the length field: sets hdr_total. */
static void prefix_done(struct esc_npy *n)
{
	const uint8_t *h = n->hdr;

	if (n->hdr_len == 8) {
		if (memcmp(h, "\x93NUMPY", 6) != 0)
			nfail(n, "no NumPy magic \\x93NUMPY at offset 0");
		else if (h[6] < 1 || h[6] > 3 || h[7] != 0)
			snprintf(n->reason, sizeof n->reason, "unknown .npy version %u.%u", h[6], h[7]),
			n->failed = true;
		return;
	}
	if (h[6] == 1)
		n->hdr_total = 10 + (uint64_t)(h[8] | h[9] << 8);
	else
		n->hdr_total = 12 + ((uint64_t)h[8] | (uint64_t)h[9] << 8 | (uint64_t)h[10] << 16 |
		                     (uint64_t)h[11] << 24);
	if (n->hdr_total - n->hdr_len > ESC_NPY_HDR_MAX) {
		snprintf(n->reason, sizeof n->reason, "header of %llu bytes too large to check (limit %d)",
		         (unsigned long long)(n->hdr_total - n->hdr_len), ESC_NPY_HDR_MAX);
		n->failed = true;
	} else if (n->hdr_total > n->size) {
		snprintf(n->reason, sizeof n->reason, "header length %llu exceeds file size %llu",
		         (unsigned long long)n->hdr_total, (unsigned long long)n->size);
		n->failed = true;
	} else if (n->hdr_total == n->hdr_len) {
		header_done(n);
	}
}

int esc_npy_update(struct esc_npy *n, const uint8_t *buf, size_t len)
{
	size_t take, want, i = 0;

	if (n->failed || (n->parsed && !n->pk))
		return 1;
	while (!n->parsed && !n->failed && i < len) {
		want = hdr_want(n);
		take = want - n->hdr_len < len - i ? want - n->hdr_len : len - i;
		memcpy(n->hdr + n->hdr_len, buf + i, take);
		n->hdr_len += take;
		i += take;
		if (n->hdr_len < want)
			return 0;
		if (n->hdr_len <= 12 && (n->hdr_total == 0 || n->hdr_len == 8))
			prefix_done(n);
		else
			header_done(n);
	}
	if (n->failed)
		return 1;
	if (!n->pk)
		return n->parsed;
	esc_pickle_update(n->pk, buf + i, len - i);
	return esc_pickle_done(n->pk);
}

int esc_npy_final(struct esc_npy *n, char *reason, size_t rlen)
{
	if (!n->failed && !n->parsed)
		nfail(n, "truncated inside the .npy header");
	/* np.load(allow_pickle=True) runs the pickle up to where it breaks */
	if (!n->failed && n->pk && esc_pickle_count(n->pk) == 0)
		nfail(n, "object array whose pickle is truncated or unreadable");
	if (!n->failed && !n->object && n->size - n->hdr_total != n->data_size)
		snprintf(n->reason, sizeof n->reason, "shape and dtype give %llu data bytes, the file has %llu",
		         (unsigned long long)n->data_size, (unsigned long long)(n->size - n->hdr_total)),
		n->failed = true;
	if (n->failed) {
		snprintf(reason, rlen, "%s", n->reason);
		return 0;
	}
	return 1;
}

void esc_npy_report(struct esc_npy *n, struct esc_inspection *out)
{
	char imports[256];
	enum esc_pickle_verdict v;

	if (!n->pk)
		return;
	v = esc_pickle_final(n->pk, imports, sizeof imports);
	esc_insp_pickle_merge(out, v, imports);
}

void esc_npy_release(struct esc_npy *n)
{
	esc_pickle_free(n->pk);
	n->pk = NULL;
}

/* ---- as a file checker ---- */

static void npy_init(void *st, const char *path, uint64_t size)
{
	esc_npy_init(st, size);
}

static int npy_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	return esc_npy_update(st, buf, len);
}

static int npy_final(void *st, char *reason, size_t rlen)
{
	return esc_npy_final(st, reason, rlen);
}

static int npy_sniff(const uint8_t *head, size_t len, uint64_t size)
{
	return len >= 6 && memcmp(head, "\x93NUMPY", 6) == 0;
}

/* Only a file that passed: its dtype and shape. */
static void npy_report(void *st, struct esc_inspection *out)
{
	struct esc_npy *n = st;
	json_t *o;

	esc_npy_report(st, out);
	if (n->failed || !n->parsed || out->model[0]) /* final has run: failed says it all */
		return;
	if ((o = json_object()) == NULL)
		return;
	json_object_set_new(o, "format", json_string("npy"));
	if (n->dtype[0])
		json_object_set_new(o, "dtypes", json_pack("[s]", n->dtype));
	json_object_set_new(o, "shape", esc_model_shape(n->dims, n->ndim, ESC_NPY_DIMS));
	esc_insp_model(out, o);
}

static void npy_release(void *st)
{
	esc_npy_release(st);
}

const struct esc_fmt_ops esc_fmt_npy = {
	.fmt = ESC_FMT_NPY,
	.state_size = sizeof(struct esc_npy),
	.init = npy_init,
	.update = npy_update,
	.final = npy_final,
	.sniff = npy_sniff,
	.release = npy_release,
	.report = npy_report,
};
