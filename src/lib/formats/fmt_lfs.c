/* fmt_lfs.c -- recognising a Git LFS pointer file (spec v1).
 * A checkout made without git-lfs leaves these ~130-byte stand-ins where
 * the model should be. The spec: under 1024 bytes, "key value\n" lines,
 * "version https://git-lfs.github.com/spec/v1" first, then the other keys
 * in byte order; "oid sha256:<64 lowercase hex>" and "size <decimal>" are
 * required, "ext-<n>-<name>" keys (extensions) may come before them.
 * Anything else makes it not a pointer: we would rather call a tiny text
 * file "not a pointer" than misreport a real file. The version may be any
 * of the v1 aliases git-lfs reads (lfs/pointer.go: the pre-release
 * hawser.github.com and the alpha git-media.io ones). */
#include <string.h>

#include "esc_fmt.h"

static const char *const versions[] = {
	"version https://git-lfs.github.com/spec/v1", "version https://hawser.github.com/spec/v1",
	"version http://git-media.io/v/2",
};

static int is_lower_hex(const uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (!((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'a' && p[i] <= 'f')))
			return 0;
	return 1;
}

/* ext-<digit(s)>-<name>: name of [a-z0-9-]; value is an oid like the main one. */
static int ext_ok(const uint8_t *key, size_t klen, const uint8_t *val, size_t vlen)
{
	size_t i = 4, digits = 0;

	if (klen < 7 || memcmp(key, "ext-", 4) != 0)
		return 0;
	for (; i < klen && key[i] >= '0' && key[i] <= '9'; i++)
		digits++;
	if (!digits || i >= klen - 1 || key[i] != '-')
		return 0;
	for (i++; i < klen; i++)
		if (!((key[i] >= 'a' && key[i] <= 'z') || (key[i] >= '0' && key[i] <= '9') || key[i] == '-'))
			return 0;
	return vlen == 71 && memcmp(val, "sha256:", 7) == 0 && is_lower_hex(val + 7, 64);
}

int esc_is_lfs_pointer(const uint8_t *buf, size_t len)
{
	const uint8_t *prev_key = NULL, *p, *nl;
	size_t prev_klen = 0, v;
	int have_oid = 0, have_size = 0;

	if (!buf || len >= 1024)
		return 0;
	nl = memchr(buf, '\n', len);
	if (nl == NULL)
		return 0;
	for (v = 0; v < sizeof versions / sizeof versions[0]; v++)
		if ((size_t)(nl - buf) == strlen(versions[v]) && memcmp(buf, versions[v], strlen(versions[v])) == 0)
			break;
	if (v == sizeof versions / sizeof versions[0])
		return 0;
	p = nl + 1;
	while (p < buf + len) {
		const uint8_t *sp, *val;
		size_t klen, valn, cmp_n;

		nl = memchr(p, '\n', (size_t)(buf + len - p));
		if (!nl)
			return 0; /* every line ends with LF */
		sp = memchr(p, ' ', (size_t)(nl - p));
		if (!sp || sp == p)
			return 0;
		klen = (size_t)(sp - p);
		val = sp + 1;
		valn = (size_t)(nl - val);
		/* Keys strictly increasing in byte order. */
		if (prev_key) {
			cmp_n = klen < prev_klen ? klen : prev_klen;
			if (memcmp(prev_key, p, cmp_n) > 0 || (memcmp(prev_key, p, cmp_n) == 0 && prev_klen >= klen))
				return 0;
		}
		if (klen == 3 && memcmp(p, "oid", 3) == 0) {
			if (valn != 71 || memcmp(val, "sha256:", 7) != 0 || !is_lower_hex(val + 7, 64))
				return 0;
			have_oid = 1;
		} else if (klen == 4 && memcmp(p, "size", 4) == 0) {
			if (valn == 0 || valn > 20 || (valn > 1 && val[0] == '0'))
				return 0;
			for (size_t i = 0; i < valn; i++)
				if (val[i] < '0' || val[i] > '9')
					return 0;
			have_size = 1;
		} else if (!ext_ok(p, klen, val, valn)) {
			return 0;
		}
		prev_key = p;
		prev_klen = klen;
		p = nl + 1;
	}
	return have_oid && have_size;
}
