/* fmt_lfs.c -- recognising a Git LFS pointer file (spec v1).
 * A checkout made without git-lfs leaves these ~130-byte stand-ins where
 * the model should be. What is a pointer is what git-lfs itself reads as
 * one (lfs/pointer.go, DecodeFrom): under 1024 bytes; the whole text
 * stripped of leading and trailing white space; lines split at LF, a CR
 * before the LF dropped (a pointer that went through a CRLF checkout is
 * still one), empty lines skipped; each line "key value" (the value runs to
 * the end of the line); the keys "version", "oid", "size" in that order,
 * with "ext-<digit>-<name>" extension lines anywhere among them; nothing
 * after "size". The version is one of the v1 aliases git-lfs reads (the
 * pre-release hawser.github.com and the alpha git-media.io ones); the oid
 * is "sha256:" and 64 hex digits; the size a decimal of at most 63 bits.
 * One liberty: git-lfs 2 and later want the hex digits in lower case, and
 * git-lfs 1 took either; an upper-case oid is still a stand-in for the
 * real file, so it is called one. Anything else is not a pointer: a tiny
 * text file is rather "not a pointer" than a real file misreported. */
#include <string.h>

#include "esc_fmt.h"

static const char *const versions[] = {
    "https://git-lfs.github.com/spec/v1",
    "https://hawser.github.com/spec/v1",
    "http://git-media.io/v/2",
};

static int is_space(uint8_t c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\v' || c == '\f' || c == '\r';
}

static int is_hex(uint8_t c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

static int oid_ok(const uint8_t *v, size_t n)
{
	if (n != 71 || memcmp(v, "sha256:", 7) != 0)
		return 0;
	for (size_t i = 7; i < n; i++)
		if (!is_hex(v[i]))
			return 0;
	return 1;
}

/* strconv.ParseInt(v, 10, 64) >= 0: an optional sign, decimal digits. */
static int size_ok(const uint8_t *v, size_t n)
{
	unsigned long long x = 0;
	int neg = 0;
	size_t i = 0;

	if (n > 0 && (v[0] == '+' || v[0] == '-'))
		neg = v[i++] == '-';
	if (i == n)
		return 0;
	for (; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return 0;
		x = x * 10 + (unsigned)(v[i] - '0');
		if (x > 0x7fffffffffffffffULL)
			return 0;
	}
	return !neg || x == 0;
}

/* "ext-<digit>-<word char>..." (git-lfs's \Aext-\d{1}-\w+, a prefix);
 * *prio gets the digit. */
static int ext_key(const uint8_t *k, size_t n, int *prio)
{
	if (n < 7 || memcmp(k, "ext-", 4) != 0 || k[4] < '0' || k[4] > '9' || k[5] != '-')
		return 0;
	if (!((k[6] >= 'a' && k[6] <= 'z') || (k[6] >= 'A' && k[6] <= 'Z') || (k[6] >= '0' && k[6] <= '9') ||
	      k[6] == '_'))
		return 0;
	*prio = k[4] - '0';
	return 1;
}

int esc_is_lfs_pointer(const uint8_t *buf, size_t len)
{
	static const char *const keys[] = {"version", "oid", "size"};
	const uint8_t *p, *end;
	unsigned prios = 0;
	int line = 0;

	if (!buf || len >= 1024)
		return 0;
	p = buf;
	end = buf + len;
	while (p < end && is_space(*p))
		p++;
	while (end > p && is_space(end[-1]))
		end--;
	while (p < end) {
		const uint8_t *nl = memchr(p, '\n', (size_t)(end - p)), *eol = nl ? nl : end, *sp;
		size_t klen, vlen;
		int prio;

		if (eol > p && eol[-1] == '\r')
			eol--;
		if (eol == p)
			goto next; /* an empty line */
		sp = memchr(p, ' ', (size_t)(eol - p));
		if (sp == NULL || line >= 3)
			return 0;
		klen = (size_t)(sp - p);
		vlen = (size_t)(eol - sp - 1);
		if (klen == strlen(keys[line]) && memcmp(p, keys[line], klen) == 0) {
			const uint8_t *v = sp + 1;

			if (line == 0) {
				size_t i;

				for (i = 0; i < sizeof versions / sizeof versions[0]; i++)
					if (vlen == strlen(versions[i]) && memcmp(v, versions[i], vlen) == 0)
						break;
				if (i == sizeof versions / sizeof versions[0])
					return 0;
			} else if (line == 1 ? !oid_ok(v, vlen) : !size_ok(v, vlen)) {
				return 0;
			}
			line++;
		} else if (ext_key(p, klen, &prio)) {
			if ((prios & (1u << prio)) || !oid_ok(sp + 1, vlen))
				return 0; /* a priority given twice, or a bad oid */
			prios |= 1u << prio;
		} else {
			return 0;
		}
	next:
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return line == 3;
}
