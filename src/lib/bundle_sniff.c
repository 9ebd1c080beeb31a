/* bundle_sniff.c -- what a file that is no escrow bundle looks like, from
 * its first bytes, so that "not-a-bundle" can say what was given instead (a
 * YAML contract, a plain tar, a key file, ...). A guess for the message
 * only: nothing is decided from it but the wording. */
#define _GNU_SOURCE /* memmem */
#include "esc_bundle_read.h"

#include <string.h>

static bool starts(const uint8_t *b, size_t n, const char *magic, size_t mlen)
{
	return n >= mlen && memcmp(b, magic, mlen) == 0;
}

/* A ustar or GNU tar header: the magic at 257 and a checksum that holds. */
static bool is_tar_header(const uint8_t *b, size_t n)
{
	unsigned long want = 0, sum = 0;
	size_t i;

	if (n < 512 || memcmp(b + 257, "ustar", 5) != 0)
		return false;
	for (i = 148; i < 156 && b[i] == ' '; i++)
		;
	for (; i < 156 && b[i] >= '0' && b[i] <= '7'; i++)
		want = want * 8 + (unsigned long)(b[i] - '0');
	for (i = 0; i < 512; i++)
		sum += (i >= 148 && i < 156) ? ' ' : b[i];
	return sum == want;
}

/* Printable text (UTF-8 lead and continuation bytes pass; NUL and other C0
 * controls but tab, CR, LF do not). */
static bool is_text(const uint8_t *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((b[i] < 0x20 && b[i] != '\t' && b[i] != '\n' && b[i] != '\r') || b[i] == 0x7f)
			return false;
	return n > 0;
}

/* YAML as people write contracts: "---", "key: value", "- item", comments. */
static bool looks_yaml(const uint8_t *b, size_t n)
{
	size_t i = 0;

	while (i < n) {
		const uint8_t *nl = memchr(b + i, '\n', n - i);
		size_t end = nl ? (size_t)(nl - b) : n, j = i;

		while (j < end && (b[j] == ' ' || b[j] == '\t'))
			j++;
		if (j < end && b[j] != '#') {
			if (end - j >= 3 && memcmp(b + j, "---", 3) == 0)
				return true;
			if (b[j] == '-' && j + 1 < end && b[j + 1] == ' ')
				return true;
			for (; j < end && b[j] != ' '; j++)
				if (b[j] == ':' && (j + 1 == end || b[j + 1] == ' '))
					return true;
			return false;
		}
		i = end + 1;
	}
	return false;
}

void esc_sniff(const uint8_t *b, size_t n, char *out, size_t len)
{
	static const uint8_t zero[512];
	const char *what = "unknown binary data";

	if (n == 0)
		what = "nothing (0 bytes)";
	else if (is_tar_header(b, n))
		what = "a tar archive";
	else if (n <= sizeof zero && memcmp(b, zero, n) == 0)
		what = "zero bytes only";
	else if (starts(b, n, "\x1f\x8b", 2))
		what = "gzip-compressed data";
	else if (starts(b, n, "\xfd" "7zXZ\0", 6))
		what = "xz-compressed data";
	else if (starts(b, n, "BZh", 3))
		what = "bzip2-compressed data";
	else if (starts(b, n, "PK\x03\x04", 4) || starts(b, n, "PK\x05\x06", 4))
		what = "a zip archive";
	else if (starts(b, n, "%PDF-", 5))
		what = "a PDF document";
	else if (starts(b, n, "untrusted comment:", 18))
		what = "a minisign key or signature file";
	else if (starts(b, n, "-----BEGIN AGE ENCRYPTED FILE-----", 34))
		what = "an ASCII-armored age file (age -a; a sealed bundle is binary age)";
	else if (starts(b, n, "AGE-SECRET-KEY-1", 16) || starts(b, n, "# created:", 10))
		what = "an age identity (key) file";
	else if (is_text(b, n))
		what = looks_yaml(b, n) ? "a YAML file (text)" : "a text file";
	snprintf(out, len, "%s", what);
}

/* The first bytes nearly match a magic number: a damaged bundle, not some
 * other file. Either a prefix of it (the file was cut short) or all of it
 * but one byte (a flipped byte). */
static bool near(const uint8_t *b, size_t n, const char *magic, size_t mlen)
{
	size_t i, diff = 0;

	if (n < mlen)
		return memcmp(b, magic, n) == 0;
	for (i = 0; i < mlen; i++)
		diff += b[i] != (uint8_t)magic[i];
	return diff <= 1;
}

bool esc_sniff_damaged_magic(const uint8_t *b, size_t n)
{
	static const char zmagic[4] = {0x28, (char)0xB5, 0x2F, (char)0xFD};

	return n > 0 && (near(b, n, zmagic, sizeof zmagic) || near(b, n, ESC_AGE_MAGIC, sizeof ESC_AGE_MAGIC - 1));
}

bool esc_sniff_bag_mark(const void *buf, size_t n)
{
	/* In the tar headers of the tag manifest and of the signature. */
	static const char mark[] = ESC_TAG_TAGMANIFEST;

	return memmem(buf, n, mark, sizeof mark - 1) != NULL;
}
