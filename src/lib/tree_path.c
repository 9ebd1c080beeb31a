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

/* Strict UTF-8: no overlongs, no surrogates, nothing above U+10FFFF. */
static int utf8_valid(const unsigned char *s)
{
	while (*s) {
		unsigned c = *s, n, cp, i;

		if (c < 0x80) {
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
	return 1;
}

int esc_path_is_safe(const char *path)
{
	const char *seg = path, *p;

	if (path == NULL || *path == '\0' || *path == '/' || strlen(path) > 4096)
		return 0;
	for (p = path; *p; p++)
		if ((unsigned char)*p < 0x20 && *p != '\r' && *p != '\n' && *p != '\t')
			return 0;
	if (!utf8_valid((const unsigned char *)path))
		return 0;
	for (;;) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);

		if (len == 0 || (len == 1 && seg[0] == '.') || (len == 2 && seg[0] == '.' && seg[1] == '.'))
			return 0;
		if (end == NULL)
			break;
		seg = end + 1;
	}
	return 1;
}
