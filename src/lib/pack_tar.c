/* pack_tar.c -- the tar layer of the writer: pax through libarchive, with
 * every entry built by hand so that only path, type, mode, size, mtime,
 * uid/gid 0, empty names and the link target reach the archive (entries read
 * from disk would bring atime, ctime, xattrs and ACLs as pax records). */
#include "esc_pack.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <sys/stat.h>

struct esc_ptar {
	escrow_ctx *ctx;
	struct archive *a;
	struct esc_sink next;
	escrow_status sink_st;   /* the sink's own status, kept across libarchive */
	uint64_t left;           /* bytes still owed to the current file entry */
	const char *cur;         /* its path, for messages */
};

static la_ssize_t on_write(struct archive *a, void *user, const void *buf, size_t len)
{
	esc_ptar *t = user;
	escrow_status st;

	if (t->next.write == NULL) /* being freed after a failure: drop the end blocks */
		return (la_ssize_t)len;
	st = t->next.write(t->next.state, buf, len);
	if (st != ESCROW_OK) {
		t->sink_st = st;
		archive_set_error(a, EIO, "output failed");
		return -1;
	}
	return (la_ssize_t)len;
}

static escrow_status aerr(esc_ptar *t, const char *path)
{
	/* A sink failure already holds the precise message (disk full, ...). */
	if (t->sink_st != ESCROW_OK)
		return t->sink_st;
	return esc_error(t->ctx, ESCROW_E_INTERNAL, "%s: tar: %s", path ? path : "bundle",
	                 archive_error_string(t->a) ? archive_error_string(t->a) : "unknown error");
}

escrow_status esc_ptar_new(escrow_ctx *ctx, struct esc_sink next, esc_ptar **out)
{
	esc_ptar *t = calloc(1, sizeof *t);

	*out = NULL;
	if (t == NULL)
		return esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
	t->ctx = ctx;
	t->next = next;
	t->a = archive_write_new();
	if (t->a == NULL) {
		free(t);
		return esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
	}
	/* Restricted pax: plain ustar headers unless a path, link or size needs
	 * an extended record. No blocking: data goes straight to the sink, and
	 * the archive ends right after the two zero blocks. */
	if (archive_write_set_format_pax_restricted(t->a) != ARCHIVE_OK ||
	    archive_write_set_bytes_per_block(t->a, 0) != ARCHIVE_OK ||
	    archive_write_open2(t->a, t, NULL, on_write, NULL, NULL) != ARCHIVE_OK) {
		escrow_status st = aerr(t, NULL);

		esc_ptar_free(t);
		return st;
	}
	*out = t;
	return ESCROW_OK;
}

static escrow_status put(esc_ptar *t, const char *path, unsigned type, uint32_t perm, uint64_t size,
                         int64_t mtime, const char *target)
{
	struct archive_entry *e = archive_entry_new();
	escrow_status st = ESCROW_OK;

	if (e == NULL)
		return esc_error(t->ctx, ESCROW_E_NOMEM, "out of memory");
	archive_entry_set_pathname_utf8(e, path);
	archive_entry_set_filetype(e, type);
	archive_entry_set_perm(e, (mode_t)perm);
	archive_entry_set_size(e, (la_int64_t)size);
	archive_entry_set_mtime(e, (time_t)mtime, 0);
	archive_entry_set_uid(e, 0);
	archive_entry_set_gid(e, 0);
	archive_entry_set_uname_utf8(e, "");
	archive_entry_set_gname_utf8(e, "");
	if (target != NULL)
		archive_entry_set_symlink_utf8(e, target);
	if (archive_write_header(t->a, e) != ARCHIVE_OK)
		st = aerr(t, path);
	archive_entry_free(e);
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
	t->left = size;
	t->cur = path;
	return put(t, path, AE_IFREG, (mode & 0111) ? 0755 : 0644, size, mtime, NULL);
}

escrow_status esc_ptar_data(esc_ptar *t, const void *buf, size_t len)
{
	const char *p = buf;

	if (len > t->left)
		return esc_error(t->ctx, ESCROW_E_INTERNAL, "%s: more data than its size", t->cur);
	while (len > 0) {
		la_ssize_t n = archive_write_data(t->a, p, len);

		if (n <= 0)
			return aerr(t, t->cur);
		p += n;
		len -= (size_t)n;
		t->left -= (uint64_t)n;
	}
	return ESCROW_OK;
}

escrow_status esc_ptar_file_end(esc_ptar *t)
{
	if (t->left != 0)
		return esc_error(t->ctx, ESCROW_E_INTERNAL, "%s: entry ended %llu bytes early", t->cur,
		                 (unsigned long long)t->left);
	/* The padding to 512 bytes goes out with the next header or the close. */
	if (archive_write_finish_entry(t->a) != ARCHIVE_OK)
		return aerr(t, t->cur);
	return ESCROW_OK;
}

escrow_status esc_ptar_close(esc_ptar *t)
{
	if (archive_write_close(t->a) != ARCHIVE_OK)
		return aerr(t, NULL);
	return ESCROW_OK;
}

void esc_ptar_free(esc_ptar *t)
{
	if (t == NULL)
		return;
	t->next.write = NULL;
	archive_write_free(t->a);
	free(t);
}
