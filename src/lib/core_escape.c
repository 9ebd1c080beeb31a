/* core_escape.c -- the one escaping function for text that comes from outside
 * (bundles, contracts, keys, file names, trusted comments, command lines) on
 * its way to a terminal. Terminals act on C0 controls and DEL, on C1 controls
 * (U+0080-U+009F: U+009B is CSI) and reorder text around bidi controls
 * (Trojan Source), so those are shown as visible escapes; bytes that are not
 * UTF-8 are shown one by one. JSON keeps the exact text: the same decoder
 * writes \u escapes instead, so a JSON reader gets back the original. */
#include "esc_escape.h"

#include <stdlib.h>
#include <string.h>

/* Length of the valid UTF-8 sequence at s (1-4) and its code point, or 0 when
 * s does not start one: overlongs, surrogates, code points above U+10FFFF,
 * stray continuation bytes and truncated sequences are all invalid. */
static size_t utf8_next(const unsigned char *s, size_t len, uint32_t *cp)
{
	unsigned c = s[0];
	unsigned lo = 0x80, hi = 0xBF;
	size_t n, i;
	uint32_t v;

	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	if (c >= 0xC2 && c <= 0xDF) {
		n = 2;
		v = c & 0x1F;
	} else if (c >= 0xE0 && c <= 0xEF) {
		n = 3;
		v = c & 0x0F;
		if (c == 0xE0)
			lo = 0xA0; /* overlong */
		else if (c == 0xED)
			hi = 0x9F; /* surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		n = 4;
		v = c & 0x07;
		if (c == 0xF0)
			lo = 0x90; /* overlong */
		else if (c == 0xF4)
			hi = 0x8F; /* above U+10FFFF */
	} else {
		return 0;
	}
	if (len < n || s[1] < lo || s[1] > hi)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xC0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3F);
	}
	*cp = v;
	return n;
}

bool esc_is_control(uint32_t cp)
{
	return cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) ||
	       cp == 0x061C ||                     /* Arabic letter mark */
	       cp == 0x200E || cp == 0x200F ||     /* LRM, RLM */
	       (cp >= 0x2028 && cp <= 0x202E) ||   /* line/paragraph separators, LRE..RLO */
	       (cp >= 0x2066 && cp <= 0x2069);     /* LRI..PDI */
}

struct out {
	char *p;
	size_t size;
	size_t w;  /* bytes written */
	size_t n;  /* length of the whole output, written or not */
	bool full; /* a piece did not fit: nothing more is written, so a cut
	            * output never ends inside an escape or a character */
};

static void put(struct out *o, const char *s, size_t len)
{
	if (!o->full && o->w + len < o->size) {
		memcpy(o->p + o->w, s, len);
		o->w += len;
	} else {
		o->full = true;
	}
	o->n += len;
}

static void put_esc(struct out *o, const char *fmt, unsigned v)
{
	char b[8];
	int k = snprintf(b, sizeof b, fmt, v);

	put(o, b, (size_t)k);
}

/* A C0 control as json_dumps writes it in a string. */
static void put_dump_control(struct out *o, uint32_t cp)
{
	char b[3] = {'\\', 0, 0};

	switch (cp) {
	case '\b': b[1] = 'b'; break;
	case '\f': b[1] = 'f'; break;
	case '\n': b[1] = 'n'; break;
	case '\r': b[1] = 'r'; break;
	case '\t': b[1] = 't'; break;
	default: put_esc(o, "\\u%04X", cp); return;
	}
	put(o, b, 2);
}

size_t esc_escape(char *out, size_t size, const char *s, size_t len, enum esc_escape_mode mode)
{
	struct out o = {out, size, 0, 0, false};
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_next(p + i, len - i, &cp);

		if (n == 0) {
			if (mode == ESC_ESCAPE_TEXT)
				put_esc(&o, "\\x%02x", p[i]);
			else
				put(&o, mode == ESC_ESCAPE_JSON ? "\\ufffd" : "\xEF\xBF\xBD", mode == ESC_ESCAPE_JSON ? 6 : 3);
			i++;
			continue;
		}
		if (mode == ESC_ESCAPE_LOSSY || !esc_is_control(cp)) {
			if ((mode == ESC_ESCAPE_JSON || mode == ESC_ESCAPE_JSON_DUMP) && (cp == '"' || cp == '\\'))
				put(&o, cp == '"' ? "\\\"" : "\\\\", 2);
			else if (mode == ESC_ESCAPE_TEXT && cp == '\\')
				put(&o, "\\\\", 2);
			else
				put(&o, s + i, n);
		} else if (mode == ESC_ESCAPE_TEXT && cp < 0x80) {
			put_esc(&o, "\\x%02x", cp);
		} else if (mode == ESC_ESCAPE_JSON_DUMP && cp < 0x20) {
			put_dump_control(&o, cp);
		} else if (mode == ESC_ESCAPE_JSON_DOC && cp < 0x20) {
			put(&o, s + i, n); /* JSON's own whitespace: the encoder escaped those in strings */
		} else {
			put_esc(&o, "\\u%04x", cp);
		}
		i += n;
	}
	if (size > 0)
		out[o.w] = '\0';
	return o.n;
}

bool esc_utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	uint32_t cp;

	for (size_t i = 0, n; i < len; i += n)
		if ((n = utf8_next(p + i, len - i, &cp)) == 0)
			return false;
	return true;
}

bool esc_text_is_plain(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;

	while (i < len) {
		uint32_t cp = 0;
		size_t n = utf8_next(p + i, len - i, &cp);

		if (n == 0 || esc_is_control(cp))
			return false;
		i += n;
	}
	return true;
}

size_t escrow_escape(char *out, size_t size, const char *s, unsigned flags)
{
	if (s == NULL)
		s = "";
	return esc_escape(out, size, s, strlen(s), flags & ESCROW_ESCAPE_JSON ? ESC_ESCAPE_JSON : ESC_ESCAPE_TEXT);
}

char *esc_escape_dup(const char *s, size_t len, enum esc_escape_mode mode)
{
	size_t need = esc_escape(NULL, 0, s, len, mode);
	char *out = malloc(need + 1);

	if (out != NULL)
		esc_escape(out, need + 1, s, len, mode);
	return out;
}

json_t *esc_json_string(const char *s)
{
	json_t *j;
	char *fixed;

	if (s == NULL)
		return NULL;
	j = json_string(s);
	if (j != NULL)
		return j;
	fixed = esc_escape_dup(s, strlen(s), ESC_ESCAPE_LOSSY);
	if (fixed == NULL)
		return NULL;
	j = json_string(fixed);
	free(fixed);
	return j;
}

char *esc_json_safe(char *doc)
{
	char *safe;

	if (doc == NULL)
		return NULL;
	safe = esc_escape_dup(doc, strlen(doc), ESC_ESCAPE_JSON_DOC);
	free(doc);
	return safe;
}
