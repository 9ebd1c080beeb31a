/* fuzz_escape.c -- everything printed goes through core_escape.c. For any input:
 * the text escape holds no byte below 0x20, no DEL, no C1 control (as UTF-8
 * C2 80-C2 9F) and no bidi control, is valid UTF-8, and decodes back to the
 * input (so it is unambiguous); a cut output is a prefix of the whole one; the
 * JSON escape decodes (jansson) to the input, or to its U+FFFD form when the
 * input is not UTF-8, and a dumped document made safe keeps its value. The
 * library's printed texts (text and JSON reports, errors, warnings) made with
 * the input's pieces are safe too. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

/* Strict UTF-8 (independent of core_escape.c's decoder): the code point and the
 * length at s, or 0. */
static size_t dec(const uint8_t *s, size_t n, uint32_t *cp)
{
	size_t len, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if ((s[0] & 0xE0) == 0xC0) {
		len = 2;
		v = s[0] & 0x1F;
	} else if ((s[0] & 0xF0) == 0xE0) {
		len = 3;
		v = s[0] & 0x0F;
	} else if ((s[0] & 0xF8) == 0xF0) {
		len = 4;
		v = s[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	if ((len == 2 && v < 0x80) || (len == 3 && v < 0x800) || (len == 4 && v < 0x10000) || v > 0x10FFFF ||
	    (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

static int is_bidi(uint32_t cp)
{
	return cp == 0x061C || cp == 0x200E || cp == 0x200F || (cp >= 0x202A && cp <= 0x202E) ||
	       (cp >= 0x2066 && cp <= 0x2069);
}

/* Safe to print: valid UTF-8, no C0 (except newlines when allowed), DEL, C1
 * or bidi control. */
static void assert_safe(const char *s, size_t n, int newlines_ok)
{
	size_t i = 0;

	while (i < n) {
		uint32_t cp;
		size_t k = dec((const uint8_t *)s + i, n - i, &cp);

		if (k == 0)
			abort(); /* not UTF-8 */
		if ((cp < 0x20 && !(newlines_ok && cp == '\n')) || (cp >= 0x7F && cp <= 0x9F) || is_bidi(cp))
			abort();
		i += k;
	}
}

static int hexv(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

/* Undoes the text escape; the result must be the input. */
static size_t unescape(const char *s, size_t n, uint8_t *out)
{
	size_t i = 0, o = 0;

	while (i < n) {
		if (s[i] != '\\') {
			out[o++] = (uint8_t)s[i++];
			continue;
		}
		if (i + 1 >= n)
			abort(); /* a lone backslash: ambiguous */
		if (s[i + 1] == '\\') {
			out[o++] = '\\';
			i += 2;
		} else if (s[i + 1] == 'x' && i + 3 < n && hexv(s[i + 2]) >= 0 && hexv(s[i + 3]) >= 0) {
			out[o++] = (uint8_t)(hexv(s[i + 2]) << 4 | hexv(s[i + 3]));
			i += 4;
		} else if (s[i + 1] == 'u' && i + 5 < n) {
			uint32_t cp = 0;
			int k;

			for (k = 2; k < 6; k++) {
				if (hexv(s[i + k]) < 0)
					abort();
				cp = cp << 4 | (uint32_t)hexv(s[i + k]);
			}
			if (cp < 0x80)
				abort(); /* ASCII controls are written \xNN */
			if (cp < 0x800) {
				out[o++] = (uint8_t)(0xC0 | cp >> 6);
			} else {
				out[o++] = (uint8_t)(0xE0 | cp >> 12);
				out[o++] = (uint8_t)(0x80 | ((cp >> 6) & 0x3F));
			}
			out[o++] = (uint8_t)(0x80 | (cp & 0x3F));
			i += 6;
		} else {
			abort(); /* an escape core_escape.c does not write */
		}
	}
	return o;
}

static void text_mode(const uint8_t *data, size_t size, size_t cut)
{
	size_t need = esc_escape(NULL, 0, (const char *)data, size, ESC_ESCAPE_TEXT);
	char *out = malloc(need + 1), *part = malloc(cut + 1);
	uint8_t *back = malloc(size + 1);
	size_t n, m;

	if (out == NULL || part == NULL || back == NULL)
		abort();
	if (esc_escape(out, need + 1, (const char *)data, size, ESC_ESCAPE_TEXT) != need || strlen(out) != need)
		abort();
	assert_safe(out, need, 0);
	n = unescape(out, need, back);
	if (n != size || memcmp(back, data, size) != 0)
		abort();
	/* a cut output: a prefix of the whole, itself safe and decodable */
	if (esc_escape(part, cut + 1, (const char *)data, size, ESC_ESCAPE_TEXT) != need)
		abort();
	m = strlen(part);
	if (m > cut || memcmp(part, out, m) != 0)
		abort();
	assert_safe(part, m, 0);
	(void)unescape(part, m, back);
	free(out);
	free(part);
	free(back);
}

static void json_mode(const uint8_t *data, size_t size)
{
	char *body = esc_escape_dup((const char *)data, size, ESC_ESCAPE_JSON);
	size_t flen = esc_escape(NULL, 0, (const char *)data, size, ESC_ESCAPE_LOSSY);
	char *fixed = malloc(flen + 1), *doc, *safe;
	json_t *j, *o;
	size_t blen;

	if (body == NULL || fixed == NULL)
		abort();
	esc_escape(fixed, flen + 1, (const char *)data, size, ESC_ESCAPE_LOSSY);
	blen = strlen(body);
	assert_safe(body, blen, 0);
	doc = malloc(blen + 3);
	if (doc == NULL)
		abort();
	doc[0] = '"';
	memcpy(doc + 1, body, blen);
	memcpy(doc + 1 + blen, "\"", 2);
	j = json_loads(doc, JSON_DECODE_ANY | JSON_ALLOW_NUL, NULL);
	/* the decoded string is the input made valid UTF-8 (the input itself when it was) */
	if (j == NULL || json_string_length(j) != flen || memcmp(json_string_value(j), fixed, flen) != 0)
		abort();
	json_decref(j);
	free(doc);
	/* a dumped document made safe keeps its value */
	if (memchr(data, 0, size) == NULL) {
		o = json_pack("{s:s}", "v", fixed);
		if (o == NULL)
			abort();
		safe = esc_json_safe(json_dumps(o, JSON_INDENT(2)));
		if (safe == NULL)
			abort();
		assert_safe(safe, strlen(safe), 1);
		json_decref(o);
		o = json_loads(safe, 0, NULL);
		if (o == NULL || strcmp(json_string_value(json_object_get(o, "v")), fixed) != 0)
			abort();
		json_decref(o);
		free(safe);
	}
	free(body);
	free(fixed);
}

static void on_warn(void *user, const char *msg)
{
	(void)user;
	assert_safe(msg, strlen(msg), 0);
}

/* Everything the library prints: the text and JSON reports, errors and
 * warnings, with fields cut from the input at NUL bytes. */
static void library_mode(const uint8_t *data, size_t size)
{
	char *buf = malloc(size + 1), *f[10], *text, *js;
	escrow_report *r = esc_report_new(data[0] & 1 ? "list" : "verify");
	escrow_ctx *ctx = escrow_ctx_new();
	json_t *b, *sig, *in, *d, *fl, *j;
	size_t i, k = 0;

	if (buf == NULL || r == NULL || ctx == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	f[k++] = buf;
	for (i = 0; i < size && k < 10; i++)
		if (buf[i] == '\0')
			f[k++] = buf + i + 1;
	while (k < 10)
		f[k++] = buf + size;
	b = json_pack("{s:o,s:o,s:o,s:o,s:o,s:o}", "path", esc_json_string(f[0]), "agency", esc_json_string(f[1]),
	              "name", esc_json_string(f[2]), "release", esc_json_string(f[3]), "created",
	              esc_json_string(f[4]), "contract_id", esc_json_string(f[5]));
	sig = json_pack("{s:s,s:s,s:o,s:o}", "status", "good", "key_id", "0123456789ABCDEF", "trusted_comment",
	                esc_json_string(f[6]), "reason", esc_json_string(f[7]));
	in = json_pack("{s:s,s:o}", "status", "failed", "reason", esc_json_string(f[8]));
	d = json_pack("[{s:o,s:s,s:o,s:[o]}]", "id", esc_json_string(f[9]), "status", data[0] & 2 ? "ok" : "missing",
	              "reason", esc_json_string(f[1]), "paths", esc_json_string(f[2]));
	fl = json_pack("[{s:o,s:s,s:o,s:o}]", "path", esc_json_string(f[3]), "type", "symlink", "target",
	               esc_json_string(f[4]), "deliverable", esc_json_string(f[9]));
	if (b == NULL || sig == NULL || in == NULL || d == NULL || fl == NULL)
		abort();
	json_object_set_new(r->root, "bundle", b);
	json_object_set_new(r->root, "signature", sig);
	json_object_set_new(r->root, "integrity", in);
	json_object_set_new(r->root, "deliverables", d);
	json_object_set_new(r->root, "files", fl);
	json_object_set_new(r->root, "unassigned", json_pack("[o]", esc_json_string(f[5])));
	json_object_set_new(r->root, "verdict", json_string("tampered"));
	json_object_set_new(r->root, "reason", esc_json_string(f[6]));
	esc_report_warn(r, f[7], 1, "%s: %s", f[8], f[0]);
	text = escrow_report_text(r);
	js = escrow_report_json(r);
	if (text == NULL || js == NULL)
		abort();
	assert_safe(text, strlen(text), 1);
	assert_safe(js, strlen(js), 1);
	j = json_loads(js, 0, NULL);
	if (j == NULL)
		abort();
	json_decref(j);
	escrow_ctx_set_warn(ctx, on_warn, NULL);
	esc_error(ctx, ESCROW_UNSAFE, "%s: %s", f[0], f[1]);
	esc_error_prefix(ctx, "%s", f[2]);
	assert_safe(escrow_ctx_error(ctx), strlen(escrow_ctx_error(ctx)), 0);
	esc_warn(ctx, "%s", f[3]);
	free(text);
	free(js);
	escrow_report_free(r);
	escrow_ctx_free(ctx);
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t cut;

	if (size < 1)
		return 0;
	cut = data[0];
	text_mode(data + 1, size - 1, cut);
	json_mode(data + 1, size - 1);
	library_mode(data, size);
	return 0;
}
