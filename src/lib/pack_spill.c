/* pack_spill.c -- the scratch file the two big tag files are rendered into
 * once the payload is in (see esc_tag_spill in esc_pack.h). Before, they were
 * rendered twice from the file records at the very end (a pass to count
 * their bytes for the tar header, a pass to write them), so the records,
 * 80 bytes and a path a file, were held until the last byte; now they are
 * freed before the tag files go out, and each file is rendered once. The
 * scratch file is unlinked from the start (O_TMPFILE, else mkstemp and
 * unlink), so nothing is left behind whatever happens. */
#include "esc_pack.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define COPY_BLOCK (256u * 1024u)
#define WHERE "(it is made beside the output, or in $TMPDIR, else /tmp, when the bundle goes to stdout)"

escrow_status esc_tag_spill_open(escrow_ctx *ctx, const char *dir, const char *what, struct esc_tag_spill *sp)
{
	const char *tmp = getenv("TMPDIR");
	char *name;

	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
	sp->what = what;
	sp->dir = strdup(dir != NULL ? dir : (tmp != NULL && *tmp != '\0' ? tmp : "/tmp"));
	if (sp->dir == NULL)
		return esc_nomem(ctx);
#ifdef O_TMPFILE
	sp->fd = open(sp->dir, O_TMPFILE | O_RDWR | O_EXCL | O_CLOEXEC, 0600);
	if (sp->fd >= 0)
		return ESCROW_OK;
#endif
	name = esc_strf("%s/.escrow-manifests.XXXXXX", sp->dir);
	if (name == NULL)
		return esc_nomem(ctx);
	sp->fd = mkstemp(name);
	if (sp->fd >= 0) {
		unlink(name);
		(void)fcntl(sp->fd, F_SETFD, FD_CLOEXEC);
	}
	free(name);
	if (sp->fd < 0)
		return esc_error(ctx, ESCROW_E_IO, "%s: cannot create the scratch file for its manifests in %s: %s "
		                 WHERE, what, sp->dir, strerror(errno));
	return ESCROW_OK;
}

escrow_status esc_tag_spill_write(escrow_ctx *ctx, const struct esc_tag_spill *sp, const void *buf, size_t len)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(sp->fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return esc_error(ctx, ESCROW_E_IO, "%s: cannot write the scratch file for its manifests in %s: %s "
			                 "(free space there) " WHERE, sp->what, sp->dir, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return ESCROW_OK;
}

escrow_status esc_tag_spill_copy(escrow_ctx *ctx, esc_ptar *t, const struct esc_tag_spill *sp, int k,
                                 const char *path, int64_t mtime)
{
	uint64_t off = k == 0 ? 0 : sp->size[0], left = sp->size[k];
	uint8_t *buf = malloc(COPY_BLOCK), h[32];
	esc_sha256 *sha = esc_sha256_new();
	escrow_status st = ESCROW_OK;

	if (buf == NULL || sha == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	st = esc_ptar_file_begin(t, path, 0644, left, mtime);
	while (st == ESCROW_OK && left > 0) {
		size_t want = left < COPY_BLOCK ? (size_t)left : COPY_BLOCK;
		ssize_t n = pread(sp->fd, buf, want, (off_t)off);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			st = esc_error(ctx, ESCROW_E_IO, "%s: the scratch file for its manifests in %s: %s", sp->what,
			               sp->dir, n < 0 ? strerror(errno) : "shorter than written");
			break;
		}
		esc_sha256_update(sha, buf, (size_t)n);
		st = esc_ptar_data(t, buf, (size_t)n);
		off += (uint64_t)n;
		left -= (uint64_t)n;
	}
	if (st == ESCROW_OK) {
		esc_sha256_final(sha, h);
		if (memcmp(h, sp->sha[k], 32) != 0)
			st = esc_error(ctx, ESCROW_E_IO, "%s: the scratch file for its manifests in %s changed while "
			               "packing (run pack again)", sp->what, sp->dir);
	}
	if (st == ESCROW_OK)
		st = esc_ptar_file_end(t);
out:
	esc_sha256_free(sha);
	free(buf);
	return st;
}

void esc_tag_spill_close(struct esc_tag_spill *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
	free(sp->dir);
	sp->dir = NULL;
}
