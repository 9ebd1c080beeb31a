/* bundle_read_tar.c -- the tar headers: the read path's only tar parser
 * (bundle_read_next.c hands out its entries and their data in place). It is
 * strict: a header is accepted only in the one form escrow's writer produces
 * (libarchive's restricted pax writer, FORMAT.md "The tar layer"), where no
 * field can be read two ways: no blanks or tabs in numeric fields, no
 * base-256, one checksum sum, no GNU long names (L/K), pax globals (g) or
 * volume labels (V), no pax record a bundle does not hold, and names as
 * their raw bytes (never turned into NFC). Header types a bundle never holds
 * but a tar can (hard links, devices, fifos) pass here in canonical form and
 * are refused by the reader, which names them. */
#include "esc_bundle_read.h"
#include "esc_pack.h"

#include <archive_entry.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { TS_HDR, TS_SKIP, TS_ZPAD, TS_PAX, TS_END };

/* ustar field offsets */
enum {
	F_NAME = 0, F_MODE = 100, F_UID = 108, F_GID = 116, F_SIZE = 124, F_MTIME = 136, F_SUM = 148,
	F_TYPE = 156, F_LINK = 157, F_MAGIC = 257, F_UNAME = 265, F_GNAME = 297, F_DEVMAJ = 329,
	F_DEVMIN = 337, F_PREFIX = 345, F_PAD = 500
};

static int fail(struct esc_tarscan *t, const char *fmt, const char *arg)
{
	snprintf(t->why, sizeof t->why, fmt, arg);
	return -1;
}

/* n octal digits exactly, then the terminator bytes `term` (libarchive's
 * "%06o \0" and "%011o " forms); -1 for any other form. */
static int octal(const uint8_t *f, size_t n, const char *term, size_t tn, uint64_t *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (f[i] < '0' || f[i] > '7')
			return -1;
		*v = *v << 3 | (uint64_t)(f[i] - '0');
	}
	return memcmp(f + n, term, tn) == 0 ? 0 : -1;
}

/* Eight bytes at a time: a small file's padding is most of a block. */
bool esc_tar_zero(const void *buf, size_t n)
{
	const uint8_t *f = buf;
	uint64_t any = 0, w;
	size_t i = 0;

	for (; i + 8 <= n; i += 8) {
		memcpy(&w, f + i, 8);
		any |= w;
	}
	for (; i < n; i++)
		any |= f[i];
	return any == 0;
}

/* A text field: bytes up to the first NUL, then only NULs. Its length, or
 * -1 when something follows the NUL (or, unless full_ok, there is none). */
static long text(const uint8_t *f, size_t n, bool full_ok)
{
	const uint8_t *z = memchr(f, 0, n);

	if (z == NULL)
		return full_ok ? (long)n : -1;
	return esc_tar_zero(z, n - (size_t)(z - f)) ? (long)(z - f) : -1;
}

static bool zero(const uint8_t *f, size_t n)
{
	return text(f, n, false) == 0;
}

/* Canonical decimal: no sign (unless neg_ok), no leading zero, <= 19 digits. */
static int decimal(const char *v, size_t n, bool neg_ok, int64_t *out)
{
	bool neg = false;
	uint64_t x = 0;
	size_t i = 0;

	if (neg_ok && n > 1 && v[0] == '-') {
		neg = true;
		i = 1;
	}
	if (n - i == 0 || n - i > 18 || (v[i] == '0' && n - i > 1) || (neg && v[i] == '0'))
		return -1;
	for (; i < n; i++) {
		if (v[i] < '0' || v[i] > '9')
			return -1;
		x = x * 10 + (uint64_t)(v[i] - '0');
	}
	*out = neg ? -(int64_t)x : (int64_t)x;
	return 0;
}

static void clear_pending(struct esc_tarscan *t)
{
	free(t->xpath);
	free(t->xlink);
	t->xpath = t->xlink = NULL;
	t->has_size = t->has_mtime = false;
}

static int pax_string(struct esc_tarscan *t, char **dst, const char *v, size_t n, size_t max, const char *key)
{
	if (*dst != NULL)
		return fail(t, "pax record '%s' twice in one header", key);
	if (n == 0 || n > max || memchr(v, '\0', n) != NULL)
		return fail(t, "pax record '%s' is empty, too long or holds a NUL", key);
	*dst = strndup(v, n);
	if (*dst == NULL)
		return fail(t, "out of memory%s", "");
	return 0;
}

/* Each record is "LEN key=value\n", LEN counting the whole record, written
 * in decimal without leading zeros. */
static int pax_records(struct esc_tarscan *t)
{
	size_t pos = 0;

	while (pos < t->pax_len) {
		const char *r = (const char *)t->pax + pos, *eq, *v;
		size_t len = 0, i, left = t->pax_len - pos, kn, vn;
		int64_t num;

		for (i = 0; i < left && i < 6 && r[i] >= '0' && r[i] <= '9'; i++)
			len = len * 10 + (size_t)(r[i] - '0');
		if (i == 0 || r[0] == '0' || i >= left || r[i] != ' ' || len <= i + 3 || len > left ||
		    r[len - 1] != '\n')
			return fail(t, "malformed pax record%s", "");
		eq = memchr(r + i + 1, '=', len - i - 2);
		if (eq == NULL)
			return fail(t, "malformed pax record%s", "");
		kn = (size_t)(eq - (r + i + 1));
		v = eq + 1;
		vn = (size_t)(r + len - 1 - v);
		if (kn == 4 && memcmp(r + i + 1, "path", 4) == 0) {
			if (pax_string(t, &t->xpath, v, vn, ESC_TAR_MAX_NAME, "path") != 0)
				return -1;
		} else if (kn == 8 && memcmp(r + i + 1, "linkpath", 8) == 0) {
			if (pax_string(t, &t->xlink, v, vn, ESC_TAR_MAX_PATH, "linkpath") != 0)
				return -1;
		} else if (kn == 4 && memcmp(r + i + 1, "size", 4) == 0) {
			if (t->has_size || decimal(v, vn, false, &num) != 0)
				return fail(t, "malformed or repeated pax size%s", "");
			t->xsize = (uint64_t)num;
			t->has_size = true;
		} else if (kn == 5 && memcmp(r + i + 1, "mtime", 5) == 0) {
			if (t->has_mtime || decimal(v, vn, true, &num) != 0)
				return fail(t, "malformed or repeated pax mtime%s", "");
			t->xmtime = num;
			t->has_mtime = true;
		} else {
			char key[40];

			snprintf(key, sizeof key, "%.*s", (int)(kn < 32 ? kn : 32), r + i + 1);
			for (i = 0; key[i]; i++)
				if ((unsigned char)key[i] < 0x20 || (unsigned char)key[i] >= 0x7f)
					key[i] = '?';
			return fail(t, "pax record '%s' (a bundle holds only path, linkpath, size and mtime)", key);
		}
		pos += len;
	}
	return 0;
}

static int push(struct esc_tarscan *t, const struct esc_tarent *e)
{
	if (t->qhead > 0 && t->qhead == t->qn) {
		t->qhead = t->qn = 0;
	}
	if (t->qn == t->qcap) {
		size_t cap = t->qcap ? t->qcap * 2 : 64;
		struct esc_tarent *nq = realloc(t->q, cap * sizeof *nq);

		if (nq == NULL)
			return fail(t, "out of memory%s", "");
		t->q = nq;
		t->qcap = cap;
	}
	t->q[t->qn++] = *e;
	return 0;
}

/* Size and mtime: eleven octal digits and a space. Under a pax record for
 * the same field the writer (libarchive) puts what that form cannot hold as
 * twelve octal digits without a terminator (8 GiB up to 64 GiB) or in
 * base-256 beyond: no reader uses it (the record wins), and the comparison
 * with the writer's bytes (same_as_writer) pins it. */
static int num11(const uint8_t *f, bool overridden, uint64_t *v)
{
	if (overridden && (f[0] & 0x80)) {
		*v = 0;
		return 0;
	}
	if (overridden && f[11] >= '0' && f[11] <= '7')
		return octal(f, 12, "", 0, v);
	return octal(f, 11, " ", 1, v);
}

/* The common fields of every header, 'x' ones included. */
static int common(struct esc_tarscan *t, const uint8_t *h, uint64_t *mode, uint64_t *size, uint64_t *mtime)
{
	uint64_t uid, gid, sum, dmaj, dmin, s = 0;
	size_t i;

	if (octal(h + F_SUM, 6, "\0 ", 2, &sum) != 0)
		return fail(t, "a header checksum not in the writer's form%s", "");
	/* The sum with the checksum field read as spaces: eight bytes at a
	 * time, in four 16-bit lanes (64 words add at most 32640 to a lane). */
	for (i = 0; i < 512; i += 8) {
		uint64_t w;

		memcpy(&w, h + i, 8);
		s += (w & 0x00ff00ff00ff00ffu) + (w >> 8 & 0x00ff00ff00ff00ffu);
	}
	s = (s & 0xffff) + (s >> 16 & 0xffff) + (s >> 32 & 0xffff) + (s >> 48);
	for (i = F_SUM; i < F_SUM + 8; i++)
		s = s - h[i] + ' ';
	if (s != sum)
		return fail(t, "a header with a wrong checksum%s", "");
	if (memcmp(h + F_MAGIC, "ustar\0" "00", 8) != 0)
		return fail(t, "a header that is not POSIX ustar (magic and version)%s", "");
	if (octal(h + F_MODE, 6, " \0", 2, mode) != 0 || *mode > 07777 || octal(h + F_UID, 6, " \0", 2, &uid) != 0 ||
	    octal(h + F_GID, 6, " \0", 2, &gid) != 0 || num11(h + F_SIZE, t->has_size, size) != 0 ||
	    num11(h + F_MTIME, t->has_mtime, mtime) != 0 || octal(h + F_DEVMAJ, 6, " \0", 2, &dmaj) != 0 ||
	    octal(h + F_DEVMIN, 6, " \0", 2, &dmin) != 0)
		return fail(t, "a numeric header field not in the writer's form (octal digits and "
		            "terminators exactly as escrow writes them)%s", "");
	if (uid != 0 || gid != 0 || dmaj != 0 || dmin != 0)
		return fail(t, "a header with an owner or device number (bundles hold uid/gid 0)%s", "");
	if (!zero(h + F_UNAME, 32) || !zero(h + F_GNAME, 32))
		return fail(t, "a header with a user or group name (bundles hold none)%s", "");
	if (!zero(h + F_PAD, 12))
		return fail(t, "a header with bytes after its prefix field%s", "");
	return 0;
}

static int xheader(struct esc_tarscan *t, uint64_t size)
{
	if (t->after_x)
		return fail(t, "two pax headers in a row%s", "");
	if (text(t->h + F_NAME, 100, true) < 0 || !zero(t->h + F_LINK, 100) ||
	    text(t->h + F_PREFIX, 155, true) < 0)
		return fail(t, "a pax header whose name fields are not in the writer's form%s", "");
	if (size > sizeof t->pax)
		return fail(t, "a pax header larger than a bundle ever needs%s", "");
	if (size == 0)
		return fail(t, "an empty pax header%s", "");
	t->after_x = true;
	memcpy(t->xhdr, t->h, 512);
	t->pax_len = 0;
	t->want = size;
	t->state = TS_PAX;
	return 0;
}

/* An entry's path from the ustar name and prefix fields. Either may be full,
 * with no NUL: libarchive writes a 100-byte name, a 155-byte prefix and a
 * 100-byte link target that way (same_as_writer then pins the bytes). */
static char *ustar_path(const uint8_t *h)
{
	long n = text(h + F_NAME, 100, true), p = text(h + F_PREFIX, 155, true);
	char *s;

	if (n <= 0 || p < 0)
		return NULL;
	s = malloc((size_t)p + 1 + (size_t)n + 1);
	if (s == NULL)
		return NULL;
	if (p > 0) {
		memcpy(s, h + F_PREFIX, (size_t)p);
		s[p++] = '/';
	}
	memcpy(s + p, h + F_NAME, (size_t)n);
	s[p + n] = '\0';
	return s;
}

/* Only bytes 0x01-0x7e, as the writer's plain ustar form takes them. */
static bool plain_bytes(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s > 0x7e)
			return false;
	return true;
}

/* The common case of same_as_writer without making the header again: no pax
 * header, an empty prefix field and plain bytes in the path and target, so
 * that the writer's form is its plain ustar block (pack_tar.c, ustar()).
 * Every other byte of that block has been pinned by the checks already made
 * on this header: common() took mode, uid, gid, size, mtime, the device
 * numbers and the checksum only as "%06o \0", "%011o " and "%06o\0 " with
 * the values the writer puts there (uid, gid and devices 0, no pax record
 * overriding size or mtime), the magic, empty user and group names and zero
 * padding; ustar_path() the name field as the path (a folder's with its one
 * '/') and zeros; the link field as the target and zeros, or zeros. What is
 * left is what decides the writer's form: true only when it is that block
 * (false: same_as_writer decides). */
static bool plain_as_writer(const struct esc_tarscan *t, const struct esc_tarent *e)
{
	/* The writer's block holds at most 99 bytes of name and of target (a
	 * full field is libarchive's, for same_as_writer to judge). */
	return !t->after_x && esc_tar_zero(t->h + F_PREFIX, 155) && t->h[F_NAME + 99] == 0 &&
	       t->h[F_LINK + 99] == 0 && plain_bytes(e->path) && (e->link == NULL || plain_bytes(e->link));
}

/* The last word: the header bytes must be exactly what the writer makes
 * of the fields read from them, so that even the fields every pax reader
 * ignores (a ustar name under a pax path, the x header's own name, how a
 * path is split between prefix and name) carry nothing unsigned. */
static bool same_as_writer(struct esc_tarscan *t, const struct esc_tarent *e)
{
	unsigned at = e->type == '5' ? AE_IFDIR : e->type == '2' ? AE_IFLNK : AE_IFREG;
	size_t n, off = 0;

	if (esc_ptar_header(e->path, at, e->perm, e->size, e->mtime, e->link, t->gen, sizeof t->gen, &n) !=
	    ESCROW_OK)
		return false;
	if (t->after_x) {
		size_t pl = (t->pax_len + 511) & ~(size_t)511;

		if (n != 512 + pl + 512 || memcmp(t->gen, t->xhdr, 512) != 0 ||
		    memcmp(t->gen + 512, t->pax, t->pax_len) != 0 || !esc_tar_zero(t->gen + 512 + t->pax_len, pl - t->pax_len))
			return false;
		off = 512 + pl;
	} else if (n != 512) {
		return false;
	}
	return memcmp(t->gen + off, t->h, 512) == 0;
}

static int header(struct esc_tarscan *t)
{
	const uint8_t *h = t->h;
	uint8_t type = h[F_TYPE];
	uint64_t mode, size, mtime;
	struct esc_tarent e;
	size_t pl;
	long ln;
	char tn[8];

	if (h[0] == 0 && zero(h, 512)) { /* a header's name is never empty: the test is mostly one byte */
		if (t->after_x)
			return fail(t, "a pax header with no entry after it%s", "");
		/* The end, where stock readers (libarchive) end too; only zeros
		 * may follow (esc_pipe_drain checks, and bounds them). */
		t->state = TS_END;
		t->end_off = t->pos;
		return 0;
	}
	if (common(t, h, &mode, &size, &mtime) != 0)
		return -1;
	if (type == 'x')
		return xheader(t, size);
	if (!(type == '0' || type == '5' || type == '2' || type == '1' || type == '3' || type == '4' ||
	      type == '6')) {
		snprintf(tn, sizeof tn, type >= 0x21 && type < 0x7f ? "'%c'" : "0x%02x", type);
		return fail(t, "entry type %s (a bundle holds only files, folders and symlinks)", tn);
	}
	memset(&e, 0, sizeof e);
	e.type = (char)type;
	e.perm = (uint32_t)mode;
	e.size = t->has_size ? t->xsize : size;
	e.mtime = t->has_mtime ? t->xmtime : (int64_t)mtime;
	if ((t->has_size && type != '0') || (type != '0' && e.size != 0))
		return fail(t, "an entry that is not a regular file but has a size%s", "");
	if (t->xlink != NULL && type != '2')
		return fail(t, "a pax linkpath on an entry that is not a symlink%s", "");
	/* Under a pax linkpath the field holds what a ustar reader would see. */
	ln = text(h + F_LINK, 100, true);
	if (ln < 0 || (t->xlink == NULL && (ln > 0) != (type == '2' || type == '1')))
		return fail(t, "a link name field not in the writer's form%s", "");
	if (t->xpath != NULL) {
		if (text(h + F_NAME, 100, true) < 0 || text(h + F_PREFIX, 155, true) < 0)
			return fail(t, "a name field not in the writer's form%s", "");
		e.path = t->xpath;
		t->xpath = NULL;
	} else {
		e.path = ustar_path(h);
		if (e.path == NULL)
			return fail(t, "a name field not in the writer's form%s", "");
	}
	if (t->xlink != NULL) {
		e.link = t->xlink;
		t->xlink = NULL;
	} else if (type == '2' || type == '1') {
		e.link = strndup((const char *)h + F_LINK, (size_t)ln);
		if (e.link == NULL) {
			free(e.path);
			return fail(t, "out of memory%s", "");
		}
	}
	/* libarchive reads a regular file whose name ends in '/' as a folder;
	 * the writer ends folders, and only folders, with one '/'. */
	pl = strlen(e.path);
	if ((type == '5') != (pl > 0 && e.path[pl - 1] == '/') || (pl > 1 && e.path[pl - 2] == '/' && type == '5')) {
		free(e.path);
		free(e.link);
		return fail(t, "a path whose trailing '/' does not match its type%s", "");
	}
	if (type == '5')
		e.path[pl - 1] = '\0';
	if ((type == '0' || type == '5' || type == '2') && !plain_as_writer(t, &e) && !same_as_writer(t, &e)) {
		free(e.path);
		free(e.link);
		return fail(t, "a header whose bytes are not the writer's form of its fields%s", "");
	}
	clear_pending(t);
	t->after_x = false;
	e.data_off = t->pos;
	if (push(t, &e) != 0) {
		free(e.path);
		free(e.link);
		return -1;
	}
	/* Stock readers (libarchive) skip data only after regular files; for
	 * other types they read the next header right away, and so do we. */
	t->want = type == '0' ? e.size : 0;
	t->zpad = type == '0' ? (512 - e.size % 512) % 512 : 0;
	t->state = t->want ? TS_SKIP : t->zpad ? TS_ZPAD : TS_HDR;
	return 0;
}

int esc_tarscan_feed(struct esc_tarscan *t, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0 && t->state != TS_END) {
		size_t n;

		if (t->state == TS_HDR && t->hlen == 0 && len >= 512) {
			/* a whole header in the buffer: judged in place */
			n = 512;
			t->pos += n;
			t->h = p;
			if (header(t) != 0)
				return -1;
		} else if (t->state == TS_HDR) {
			n = len < 512 - t->hlen ? len : 512 - t->hlen;
			memcpy(t->hdr + t->hlen, p, n);
			t->hlen += n;
			t->pos += n;
			if (t->hlen == 512) {
				t->hlen = 0;
				t->h = t->hdr;
				if (header(t) != 0)
					return -1;
			}
		} else if (t->state == TS_PAX) {
			n = len < t->want - t->pax_len ? len : (size_t)(t->want - t->pax_len);
			memcpy(t->pax + t->pax_len, p, n);
			t->pax_len += n;
			t->pos += n;
			if (t->pax_len == t->want) {
				clear_pending(t);
				if (pax_records(t) != 0)
					return -1;
				t->zpad = (512 - t->want % 512) % 512;
				t->want = 0;
				t->state = t->zpad ? TS_ZPAD : TS_HDR;
			}
		} else if (t->state == TS_ZPAD) {
			/* The padding to 512 bytes: zeros, as the writer writes it (no
			 * reader looks at it, so nothing may ride in it). */
			n = len < t->zpad ? len : t->zpad;
			if (!esc_tar_zero(p, n))
				return fail(t, "non-zero bytes in the padding after an entry%s", "");
			t->zpad -= n;
			t->pos += n;
			if (t->zpad == 0)
				t->state = TS_HDR;
		} else {
			n = len < t->want ? len : (size_t)t->want;
			t->want -= n;
			t->pos += n;
			if (t->want == 0)
				t->state = t->zpad ? TS_ZPAD : TS_HDR;
		}
		p += n;
		len -= n;
	}
	return 0;
}

bool esc_tarscan_ended(const struct esc_tarscan *t)
{
	return t->state == TS_END;
}

bool esc_tarscan_between(const struct esc_tarscan *t)
{
	return t->state == TS_HDR && t->hlen == 0 && !t->after_x;
}

bool esc_tarscan_in_data(const struct esc_tarscan *t)
{
	return t->state == TS_SKIP || t->state == TS_ZPAD;
}

bool esc_tarscan_pop(struct esc_tarscan *t, struct esc_tarent *out)
{
	if (t->qhead == t->qn)
		return false;
	*out = t->q[t->qhead++];
	return true;
}

void esc_tarscan_free(struct esc_tarscan *t)
{
	while (t->qhead < t->qn) {
		free(t->q[t->qhead].path);
		free(t->q[t->qhead].link);
		t->qhead++;
	}
	free(t->q);
	clear_pending(t);
	t->q = NULL;
	t->qhead = t->qn = t->qcap = 0;
}
