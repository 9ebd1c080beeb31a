/* zip_names.c -- small zip helpers: the sniff, the first member's name,
 * and the rules a member name must follow to be extracted safely. */
#include "formats/esc_zip.h"

#include <string.h>

static uint16_t le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

int esc_zip_sniff(const uint8_t *head, size_t len, uint64_t size)
{
	if (len >= 4 && memcmp(head, "PK\x03\x04", 4) == 0)
		return 1;
	return len >= 4 && memcmp(head, "PK\x05\x06", 4) == 0 && size >= 22;
}

int esc_zip_first_name(const uint8_t *head, size_t len, const char **name, size_t *nlen)
{
	if (len < 30 || memcmp(head, "PK\x03\x04", 4) != 0 || 30 + (size_t)le16(head + 26) > len)
		return 0;
	*name = (const char *)head + 30;
	*nlen = le16(head + 26);
	return 1;
}

bool esc_zip_name_ends(const char *name, size_t len, const char *suffix)
{
	size_t n = strlen(suffix);

	return len >= n && memcmp(name + len - n, suffix, n) == 0;
}

int esc_zip_name_ok(const char *name, size_t len, const char **why)
{
	size_t i, start = 0;

	if (len == 0) {
		*why = "an empty member name";
		return 0;
	}
	if (name[0] == '/' || (len >= 2 && name[1] == ':')) {
		*why = "an absolute member name";
		return 0;
	}
	if (memchr(name, '\\', len)) {
		*why = "a backslash in a member name";
		return 0;
	}
	for (i = 0; i <= len; i++) {
		if (i < len && name[i] != '/')
			continue;
		if (i - start == 2 && name[start] == '.' && name[start + 1] == '.') {
			*why = "a '..' component in a member name";
			return 0;
		}
		start = i + 1;
	}
	return 1;
}
