/* tree_glob.c -- the globs of contracts, -x and .escrowignore, with the rules people
 * know from .gitignore (see docs/CONTRACT.md, "Globs"):
 *  - '*' matches any run of characters inside one path segment, '?' one
 *    character (a whole UTF-8 sequence), [abc] [a-z] [!abc] one byte of a set;
 *    '\' makes the next character literal;
 *  - a "**" segment matches zero or more whole segments;
 *  - a pattern without '/' (other than a trailing one) matches the base name at
 *    any depth ("*.pyc", ".env"); a pattern with a '/' is anchored at the
 *    project root; a leading '/' only anchors;
 *  - a trailing '/' matches folders only;
 *  - a pattern that matches a folder matches everything under it.
 * Matching is linear-ish: one backtrack point per level (segment '**' and
 * in-segment '*'), so hostile patterns cannot make it exponential. */
#include "escrow_private.h"

#include <string.h>

/* Length of the UTF-8 sequence starting at s (1 when it is not a valid lead). */
static size_t u8len(const char *s, const char *end)
{
	unsigned char c = (unsigned char)*s;
	size_t n, i;

	if (c < 0xC2 || c > 0xF4)
		return 1;
	n = c < 0xE0 ? 2 : c < 0xF0 ? 3 : 4;
	if ((size_t)(end - s) < n)
		return 1;
	for (i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			return 1;
	return n;
}

/* [set] at p (p points after '['); *pend receives the position after ']'.
 * Returns 1 if byte c is in the set; -1 when the class is not terminated
 * (the '[' is then a literal). */
static int class_match(const char *p, const char *pe, unsigned char c, const char **pend)
{
	int neg = 0, hit = 0;
	const char *q = p;

	if (q < pe && (*q == '!' || *q == '^')) {
		neg = 1;
		q++;
	}
	if (q < pe && *q == ']') { /* a leading ']' is literal */
		hit |= c == ']';
		q++;
	}
	while (q < pe && *q != ']') {
		unsigned char lo = (unsigned char)*q, hi;

		if (*q == '\\' && q + 1 < pe) {
			q++;
			lo = (unsigned char)*q;
		}
		hi = lo;
		if (q + 2 < pe && q[1] == '-' && q[2] != ']') {
			q += 2;
			if (*q == '\\' && q + 1 < pe)
				q++;
			hi = (unsigned char)*q;
		}
		if (c >= lo && c <= hi)
			hit = 1;
		q++;
	}
	if (q >= pe)
		return -1;
	*pend = q + 1;
	return hit != neg;
}

/* One segment: pattern [p, pe) against name [n, ne). */
static int seg_match(const char *p, const char *pe, const char *n, const char *ne)
{
	const char *sp = NULL, *sn = NULL;

	while (n < ne || p < pe) {
		if (p < pe && *p == '*') {
			while (p < pe && *p == '*')
				p++;
			sp = p;
			sn = n;
			continue;
		}
		if (p < pe && n < ne) {
			if (*p == '?') {
				p++;
				n += u8len(n, ne);
				continue;
			}
			if (*p == '[') {
				const char *after = NULL;
				int m = class_match(p + 1, pe, (unsigned char)*n, &after);

				if (m == 1) {
					p = after;
					n++;
					continue;
				}
				if (m == -1 && *n == '[') {
					p++;
					n++;
					continue;
				}
			} else {
				const char *lit = p;

				if (*lit == '\\' && lit + 1 < pe)
					lit++;
				if (*lit == *n) {
					p = lit + 1;
					n++;
					continue;
				}
			}
		}
		if (sp == NULL || sn >= ne)
			return 0;
		sn += u8len(sn, ne);
		n = sn;
		p = sp;
	}
	return 1;
}

static const char *seg_end(const char *s, const char *e)
{
	const char *q = memchr(s, '/', (size_t)(e - s));

	return q ? q : e;
}

static const char *seg_next(const char *s, const char *e)
{
	const char *q = seg_end(s, e);

	return q < e ? q + 1 : e;
}

static int is_globstar(const char *p, const char *pe)
{
	return seg_end(p, pe) - p == 2 && p[0] == '*' && p[1] == '*';
}

/* Whole pattern [p, pe) against path [n, ne), segment by segment. */
static int path_match(const char *p, const char *pe, const char *n, const char *ne)
{
	const char *sp = NULL, *sn = NULL;

	for (;;) {
		if (p >= pe && n >= ne)
			return 1;
		if (p < pe && is_globstar(p, pe)) {
			while (p < pe && is_globstar(p, pe))
				p = seg_next(p, pe);
			sp = p;
			sn = n;
			continue;
		}
		if (p < pe && n < ne && seg_match(p, seg_end(p, pe), n, seg_end(n, ne))) {
			p = seg_next(p, pe);
			n = seg_next(n, ne);
			continue;
		}
		if (sp == NULL || sn >= ne)
			return 0;
		sn = seg_next(sn, ne);
		n = sn;
		p = sp;
	}
}

int esc_glob_match_dir(const char *pattern, const char *path, int is_dir)
{
	const char *p = pattern, *pe, *q, *ne;
	int anchored = 0, dir_only = 0, base_only;

	if (pattern == NULL || path == NULL || *path == '\0')
		return 0;
	while (*p == '/') {
		anchored = 1;
		p++;
	}
	pe = p + strlen(p);
	while (pe > p && pe[-1] == '/') {
		dir_only = 1;
		pe--;
	}
	if (pe == p)
		return 0;
	base_only = !anchored && memchr(p, '/', (size_t)(pe - p)) == NULL;
	/* The path itself, then each folder above it (deepest first). */
	ne = path + strlen(path);
	for (;;) {
		if (!dir_only || is_dir) {
			const char *n = path;

			if (base_only) {
				for (q = path; q < ne; q++)
					if (*q == '/')
						n = q + 1;
			}
			if (path_match(p, pe, n, ne))
				return 1;
		}
		q = ne;
		while (q > path && q[-1] != '/')
			q--;
		if (q == path)
			return 0;
		ne = q - 1;
		is_dir = 1;
	}
}

int esc_glob_match(const char *pattern, const char *path)
{
	return esc_glob_match_dir(pattern, path, 0);
}

int esc_glob_valid(const char *pattern, const char **why)
{
	const char *p = pattern;
	size_t len = pattern ? strlen(pattern) : 0;

	if (len == 0) {
		*why = "empty glob";
		return 0;
	}
	if (len > ESC_GLOB_MAX) {
		*why = "glob longer than 4096 bytes";
		return 0;
	}
	while (*p == '/')
		p++;
	if (*p == '\0') {
		*why = "glob matches nothing (only '/')";
		return 0;
	}
	for (p = pattern; *p; p++) {
		if ((unsigned char)*p < 0x20) {
			*why = "control character in glob";
			return 0;
		}
		if (*p == '\\' && p[1] != '\0') {
			p++;
		} else if (*p == '[') {
			const char *after = NULL;

			if (class_match(p + 1, seg_end(p, pattern + len), 'a', &after) < 0) {
				*why = "'[' without a closing ']' (write '\\[' for a literal bracket)";
				return 0;
			}
			p = after - 1;
		}
	}
	return 1;
}
