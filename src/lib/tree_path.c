/* tree_path.c -- BagIt path encoding and payload path safety. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

char *esc_bag_path_encode(const char *path)
{
	size_t n = 0;
	const char *p;
	char *out, *o;

	for (p = path; *p; p++)
		n += (*p == '%' || *p == '\r' || *p == '\n') ? 3 : 1;
	out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	for (p = path, o = out; *p; p++) {
		if (*p == '%' || *p == '\r' || *p == '\n') {
			*o++ = '%';
			*o++ = *p == '%' ? '2' : '0';
			*o++ = *p == '%' ? '5' : (*p == '\r' ? 'D' : 'A');
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
	return out;
}

char *esc_bag_path_decode(const char *path)
{
	char *out = malloc(strlen(path) + 1), *o = out;
	const char *p;

	if (out == NULL)
		return NULL;
	for (p = path; *p; p++) {
		if (*p != '%') {
			*o++ = *p;
			continue;
		}
		if (p[1] == '2' && p[2] == '5')
			*o++ = '%';
		else if (p[1] == '0' && (p[2] == 'D' || p[2] == 'd'))
			*o++ = '\r';
		else if (p[1] == '0' && (p[2] == 'A' || p[2] == 'a'))
			*o++ = '\n';
		else {
			free(out);
			return NULL;
		}
		p += 2;
	}
	*o = '\0';
	return out;
}

/* One pass (a million entries each once took five: strlen, a control byte
 * scan, a UTF-8 scan, then strchr and strlen per segment): no control bytes
 * but CR, LF and tab; strict UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF); no empty, "." or ".." segment; at most 4096 bytes.
 * Bytes of a multibyte sequence are 0x80 or more, so no '/', NUL or control
 * byte hides in one. */
int esc_path_is_safe(const char *path)
{
	return esc_path_is_safe_n(path, 4096);
}

int esc_path_is_safe_n(const char *path, size_t max)
{
	const unsigned char *s = (const unsigned char *)path, *seg = s;

	if (path == NULL || *path == '\0' || *path == '/')
		return 0;
	for (;;) {
		unsigned c = *s, n, cp, i;

		if (c == '/' || c == '\0') {
			size_t len = (size_t)(s - seg);

			if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
				return 0;
			if (c == '\0')
				break;
			seg = ++s;
			continue;
		}
		if (c < 0x80) {
			if (c < 0x20 && c != '\r' && c != '\n' && c != '\t')
				return 0;
			s++;
			continue;
		}
		if (c >= 0xC2 && c <= 0xDF) {
			n = 1;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			n = 2;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			n = 3;
			cp = c & 0x07;
		} else {
			return 0;
		}
		for (i = 1; i <= n; i++) {
			if ((s[i] & 0xC0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i] & 0x3F);
		}
		if ((n == 2 && cp < 0x800) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)) ||
		    (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		s += n + 1;
	}
	return (size_t)(s - (const unsigned char *)path) <= max;
}
