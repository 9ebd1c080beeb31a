/* bundle_read_tar.c -- a watch over the raw tar headers, ahead of libarchive.
 * libarchive consumes some headers without showing them (GNU long names L/K,
 * pax global headers g, volume labels V) and drops pax records it does not
 * know, so bytes that no signature covers could ride along in a "verified"
 * bundle. FORMAT.md allows only 0, 5, 2 and x entries, and pax records path,
 * linkpath and size (mtime too: a pax writer needs it for times that ustar
 * cannot hold). Header types that libarchive does show (hard links, devices,
 * fifos) are left to the reader, which names them. */
#include "esc_bundle_read.h"

#include <stdio.h>
#include <string.h>

enum { TS_HDR, TS_SKIP, TS_PAX, TS_END };

static uint64_t octal(const uint8_t *f, size_t n)
{
	uint64_t v = 0;
	size_t i = 0;

	while (i < n && f[i] == ' ')
		i++;
	for (; i < n && f[i] >= '0' && f[i] <= '7'; i++)
		v = v << 3 | (uint64_t)(f[i] - '0');
	return v;
}

static int fail(struct esc_tarscan *t, const char *fmt, const char *arg)
{
	snprintf(t->why, sizeof t->why, fmt, arg);
	return -1;
}

/* Each record is "LEN key=value\n", LEN counting the whole record. */
static int pax_records(struct esc_tarscan *t)
{
	size_t pos = 0;

	while (pos < t->pax_len) {
		const char *r = (const char *)t->pax + pos, *sp, *eq;
		size_t len = 0, i, left = t->pax_len - pos;
		char key[32];

		for (i = 0; i < left && i < 8 && r[i] >= '0' && r[i] <= '9'; i++)
			len = len * 10 + (size_t)(r[i] - '0');
		sp = i < left && r[i] == ' ' ? r + i : NULL;
		if (sp == NULL || len <= i + 1 || len > left || r[len - 1] != '\n')
			return fail(t, "malformed pax record%s", "");
		eq = memchr(sp + 1, '=', len - i - 1);
		if (eq == NULL || (size_t)(eq - sp - 1) >= sizeof key)
			return fail(t, "malformed pax record%s", "");
		memcpy(key, sp + 1, (size_t)(eq - sp - 1));
		key[eq - sp - 1] = '\0';
		if (strcmp(key, "size") == 0) {
			const char *v = eq + 1, *end = r + len - 1;
			uint64_t n = 0;

			if (v == end || end - v > 19)
				return fail(t, "malformed pax size%s", "");
			for (; v < end; v++) {
				if (*v < '0' || *v > '9')
					return fail(t, "malformed pax size%s", "");
				n = n * 10 + (uint64_t)(*v - '0');
			}
			t->next_size = n;
			t->has_next_size = true;
		} else if (strcmp(key, "path") != 0 && strcmp(key, "linkpath") != 0 && strcmp(key, "mtime") != 0) {
			return fail(t, "pax record '%s' (a bundle holds only path, linkpath and size)", key);
		}
		pos += len;
	}
	return 0;
}

static int header(struct esc_tarscan *t)
{
	static const uint8_t zero[512];
	uint8_t type = t->hdr[156];
	uint64_t size = octal(t->hdr + 124, 12);
	char tn[8];

	if (memcmp(t->hdr, zero, sizeof zero) == 0) {
		/* libarchive stops at the first zero block; only zeros may follow
		 * (esc_pipe_drain checks). */
		t->state = TS_END;
		return 0;
	}
	if (t->hdr[124] & 0x80)
		return fail(t, "a base-256 size field%s", "");
	if (type == 'x') {
		if (t->after_x)
			return fail(t, "two pax headers in a row%s", "");
		if (size > sizeof t->pax)
			return fail(t, "a pax header larger than a bundle ever needs%s", "");
		t->after_x = true;
		t->has_next_size = false;
		t->pax_len = 0;
		t->want = size;
		t->state = TS_PAX;
		return 0;
	}
	if (type < '0' || type > '6') {
		snprintf(tn, sizeof tn, type >= 0x21 && type < 0x7f ? "'%c'" : "0x%02x", type);
		return fail(t, "entry type %s (a bundle holds only files, folders and symlinks)", tn);
	}
	if (t->has_next_size)
		size = t->next_size;
	t->after_x = false;
	t->has_next_size = false;
	/* libarchive skips data only after regular files; for other types it
	 * reads the next header right away, and so do we. */
	t->want = type == '0' ? (size + 511) & ~(uint64_t)511 : 0;
	t->state = t->want ? TS_SKIP : TS_HDR;
	return 0;
}

int esc_tarscan_feed(struct esc_tarscan *t, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0 && t->state != TS_END) {
		size_t n;

		if (t->state == TS_HDR) {
			n = len < 512 - t->hlen ? len : 512 - t->hlen;
			memcpy(t->hdr + t->hlen, p, n);
			t->hlen += n;
			if (t->hlen == 512) {
				t->hlen = 0;
				if (header(t) != 0)
					return -1;
			}
		} else if (t->state == TS_PAX) {
			n = len < t->want - t->pax_len ? len : (size_t)(t->want - t->pax_len);
			memcpy(t->pax + t->pax_len, p, n);
			t->pax_len += n;
			if (t->pax_len == t->want) {
				if (pax_records(t) != 0)
					return -1;
				t->want = ((t->want + 511) & ~(uint64_t)511) - t->want;
				t->state = t->want ? TS_SKIP : TS_HDR;
			}
		} else {
			n = len < t->want ? len : (size_t)t->want;
			t->want -= n;
			if (t->want == 0)
				t->state = TS_HDR;
		}
		p += n;
		len -= n;
	}
	return 0;
}
