/* pack_tar.c -- the tar layer of the writer. Entries are built by hand so
 * that only path, type, mode, size, mtime, uid/gid 0, empty names and the
 * link target reach the archive (entries read from disk would bring atime,
 * ctime, xattrs and ACLs as pax records).
 *
 * The common header (ASCII path and target of at most 99 bytes, small size
 * and mtime) is a plain ustar block formatted here, byte for byte what
 * libarchive's restricted pax writer makes of it: libarchive took ~3 us per
 * entry, 7% of packing 50,000 small files. Any other header (long or non-ASCII
 * path or target, size >= 8 GiB, mtime outside 0..8^11) is made by libarchive
 * into a scratch buffer, so its pax rules stay libarchive's. Data and the
 * padding to 512 bytes are written here. */
#include "esc_locale.h"
#include "esc_pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#define BLOCK 512
#define OCT11 (UINT64_C(1) << 33) /* 8^11: the largest value an 11-digit octal field holds, plus one */

struct esc_ptar {
	escrow_ctx *ctx;
	struct esc_sink next;
	uint64_t size, left;     /* the current file entry's size, and bytes still owed to it */
	unsigned pad;            /* zero bytes owed after the current file's data */
	const char *cur;         /* its path, for messages */
	/* libarchive's header for an entry that needs pax records */
	uint8_t *cap;
	size_t cap_len, cap_size;
	bool cap_on, cap_failed;
};

static const uint8_t zeros[2 * BLOCK];

escrow_status esc_ptar_new(escrow_ctx *ctx, struct esc_sink next, esc_ptar **out)
{
	esc_ptar *t = calloc(1, sizeof *t);

	*out = NULL;
	if (t == NULL)
		return esc_nomem(ctx);
	t->ctx = ctx;
	t->next = next;
	*out = t;
	return ESCROW_OK;
}

static void octal(uint8_t *field, size_t digits, uint64_t v)
{
	size_t i;

	for (i = digits; i-- > 0; v >>= 3)
		field[i] = (uint8_t)('0' + (v & 7));
}

static bool plain(const char *s, size_t len, size_t max)
{
	size_t i;

	if (len > max)
		return false;
	for (i = 0; i < len; i++)
		if ((unsigned char)s[i] == 0 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* The ustar block libarchive writes for such an entry: "%06o \0" for mode,
 * uid, gid and the device numbers, "%011o " for size and mtime, "%06o\0 "
 * for the checksum, magic "ustar\0" "00", empty user and group names. */
static void ustar(uint8_t h[BLOCK], const char *path, size_t plen, const char *suffix, char type, uint32_t perm,
                  uint64_t size, int64_t mtime, const char *target)
{
	unsigned sum = 0;
	size_t i;

	memset(h, 0, BLOCK);
	memcpy(h, path, plen);
	if (suffix != NULL)
		memcpy(h + plen, suffix, strlen(suffix));
	octal(h + 100, 6, perm);
	memcpy(h + 106, " ", 2);
	memcpy(h + 108, "000000 ", 8);
	memcpy(h + 116, "000000 ", 8);
	octal(h + 124, 11, size);
	h[135] = ' ';
	octal(h + 136, 11, (uint64_t)mtime);
	h[147] = ' ';
	h[156] = (uint8_t)type;
	if (target != NULL)
		memcpy(h + 157, target, strlen(target));
	memcpy(h + 257, "ustar\0" "00", 8);
	memcpy(h + 329, "000000 ", 8);
	memcpy(h + 337, "000000 ", 8);
	memset(h + 148, ' ', 8);
	for (i = 0; i < BLOCK; i++)
		sum += h[i];
	octal(h + 148, 6, sum);
	h[154] = '\0';
	h[155] = ' ';
}

static la_ssize_t on_capture(struct archive *a, void *user, const void *buf, size_t len)
{
	esc_ptar *t = user;

	(void)a;
	if (!t->cap_on)
		return -1; /* nothing after the header: see by_libarchive */
	if (t->cap_len + len > t->cap_size) {
		size_t n = (t->cap_len + len) * 2;
		uint8_t *nb = realloc(t->cap, n);

		if (nb == NULL) {
			t->cap_failed = true;
			return -1;
		}
		t->cap = nb;
		t->cap_size = n;
	}
	memcpy(t->cap + t->cap_len, buf, len);
	t->cap_len += len;
	return (la_ssize_t)len;
}

/* libarchive's restricted pax header (an 'x' entry, then the ustar block)
 * for one entry, into t->cap. */
static escrow_status by_libarchive(esc_ptar *t, const char *path, unsigned type, uint32_t perm, uint64_t size,
                                   int64_t mtime, const char *target)
{
	struct archive *a = archive_write_new();
	struct archive_entry *e = archive_entry_new();
	escrow_status st = ESCROW_OK;

	t->cap_len = 0;
	t->cap_failed = false;
	t->cap_on = true;
	if (a == NULL || e == NULL) {
		st = esc_nomem(t->ctx);
		goto out;
	}
	/* No blocking: the header comes out of archive_write_header whole. */
	if (archive_write_set_format_pax_restricted(a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(a, 0) != ARCHIVE_OK ||
	    archive_write_open2(a, t, NULL, on_capture, NULL, NULL) != ARCHIVE_OK) {
		st = esc_error(t->ctx, ESCROW_E_INTERNAL, "%s: tar: %s", path, archive_error_string(a));
		goto out;
	}
	/* The locale's setters, not the _utf8 ones: libarchive converts a UTF-8
	 * name to the locale's charset "from UTF-8" and normalises it to NFC on
	 * the way (archive_string.c, SCONV_NORMALIZATION_C), so a macOS NFD name
	 * would reach the tar in another form than the manifests'. The locale is
	 * C.UTF-8 (esc_ctx_new), so the bytes go through as they are. */
	archive_entry_set_pathname(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, (mode_t)perm);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname_utf8(e, "");
	archive_entry_set_gname_utf8(e, "");
	if (target != NULL)
		archive_entry_set_symlink(e, target);
	if (archive_write_header(a, e) != ARCHIVE_OK)
		st = t->cap_failed ? esc_nomem(t->ctx)
		                   : esc_error(t->ctx, ESCROW_E_INTERNAL, "%s: tar: %s", path,
		                               archive_error_string(a) ? archive_error_string(a) : "unknown error");
	else if (t->cap_len == 0 || t->cap_len % BLOCK != 0)
		st = esc_error(t->ctx, ESCROW_E_INTERNAL, "%s: tar: a header of %zu bytes", path, t->cap_len);
out:
	t->cap_on = false;
	archive_entry_free(e);
	/* The close that comes with the free would first write the entry's
	 * data as zeros (20 GB of them for a 20 GB file), then the end blocks:
	 * on_capture refuses the first write after the header, which ends the
	 * close there (archive_write_fail instead leaks the writer's state). */
	if (a != NULL)
		archive_write_free(a);
	return st;
}

static escrow_status pad(esc_ptar *t)
{
	unsigned n = t->pad;

	t->pad = 0;
	return n ? t->next.write(t->next.state, zeros, n) : ESCROW_OK;
}

/* An entry's header bytes: h itself, or libarchive's in t->cap. */
static escrow_status header_bytes(esc_ptar *t, uint8_t h[BLOCK], const char *path, unsigned type, uint32_t perm,
                                  uint64_t size, int64_t mtime, const char *target, const uint8_t **out,
                                  size_t *len)
{
	size_t plen = strlen(path);
	bool dir = type == AE_IFDIR;
	escrow_status st;
	locale_t prev;

	if (plain(path, plen, dir ? 98 : 99) && (target == NULL || plain(target, strlen(target), 99)) &&
	    size < OCT11 && mtime >= 0 && (uint64_t)mtime < OCT11) {
		ustar(h, path, plen, dir ? "/" : NULL, dir ? '5' : type == AE_IFLNK ? '2' : '0', perm, size, mtime,
		      target);
		*out = h;
		*len = BLOCK;
		return ESCROW_OK;
	}
	prev = esc_utf8_locale_enter();
	st = by_libarchive(t, path, type, perm, size, mtime, target);
	esc_utf8_locale_leave(prev);
	*out = t->cap;
	*len = t->cap_len;
	return st;
}

static escrow_status put(esc_ptar *t, const char *path, unsigned type, uint32_t perm, uint64_t size,
                         int64_t mtime, const char *target)
{
	uint8_t h[BLOCK];
	const uint8_t *b;
	size_t n;
	escrow_status st = pad(t);

	if (st == ESCROW_OK)
		st = header_bytes(t, h, path, type, perm, size, mtime, target, &b, &n);
	return st == ESCROW_OK ? t->next.write(t->next.state, b, n) : st;
}

escrow_status esc_ptar_header(const char *path, unsigned type, uint32_t perm, uint64_t size, int64_t mtime,
                              const char *target, uint8_t *out, size_t cap, size_t *len)
{
	esc_ptar t;
	uint8_t h[BLOCK];
	const uint8_t *b;
	size_t n;
	escrow_status st;

	memset(&t, 0, sizeof t);
	st = header_bytes(&t, h, path, type, perm, size, mtime, target, &b, &n);
	if (st == ESCROW_OK && n > cap)
		st = ESCROW_E_INPUT;
	if (st == ESCROW_OK) {
		memcpy(out, b, n);
		*len = n;
	}
	free(t.cap);
	return st;
}

escrow_status esc_ptar_dir(esc_ptar *t, const char *path, int64_t mtime)
{
	return put(t, path, AE_IFDIR, 0755, 0, mtime, NULL);
}

escrow_status esc_ptar_symlink(esc_ptar *t, const char *path, const char *target, int64_t mtime)
{
	return put(t, path, AE_IFLNK, 0777, 0, mtime, target);
}

escrow_status esc_ptar_file_begin(esc_ptar *t, const char *path, uint32_t mode, uint64_t size,
                                  int64_t mtime)
{
	escrow_status st = put(t, path, AE_IFREG, (mode & 0111) ? 0755 : 0644, size, mtime, NULL);

	t->size = t->left = size;
	t->cur = path;
	return st;
}

escrow_status esc_ptar_data(esc_ptar *t, const void *buf, size_t len)
{
	if (len > t->left)
		return esc_error(t->ctx, ESCROW_E_INTERNAL, "%s: more data than its size", t->cur);
	t->left -= len;
	return len ? t->next.write(t->next.state, buf, len) : ESCROW_OK;
}

escrow_status esc_ptar_file_end(esc_ptar *t)
{
	if (t->left != 0)
		return esc_error(t->ctx, ESCROW_E_INTERNAL, "%s: entry ended %llu bytes early", t->cur,
		                 (unsigned long long)t->left);
	/* The padding to 512 bytes goes out with the next header or the close,
	 * as libarchive did: the same bytes either way. */
	t->pad = (unsigned)((BLOCK - t->size % BLOCK) % BLOCK);
	return ESCROW_OK;
}

escrow_status esc_ptar_close(esc_ptar *t)
{
	escrow_status st = pad(t);

	return st == ESCROW_OK ? t->next.write(t->next.state, zeros, sizeof zeros) : st;
}

void esc_ptar_free(esc_ptar *t)
{
	if (t == NULL)
		return;
	free(t->cap);
	free(t);
}
