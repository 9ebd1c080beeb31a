/* io_file.c -- small-file reads, complete writes and atomic outputs. */
#include "escrow_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

escrow_status esc_read_small_file(escrow_ctx *ctx, const char *path, size_t max, char **out, size_t *len)
{
	int fd;

	*out = NULL;
	if (len)
		*len = 0;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
	return esc_read_small_fd(ctx, fd, path, max, out, len);
}

escrow_status esc_read_small_fd(escrow_ctx *ctx, int fd, const char *path, size_t max, char **out, size_t *len)
{
	struct stat st;
	char *buf = NULL;
	size_t have = 0, cap;

	*out = NULL;
	if (len)
		*len = 0;
	if (fstat(fd, &st) != 0 || S_ISDIR(st.st_mode)) {
		close(fd);
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, S_ISDIR(st.st_mode) ? "is a folder" : strerror(errno));
	}
	cap = (S_ISREG(st.st_mode) && (uint64_t)st.st_size < max) ? (size_t)st.st_size + 1 : 4096;
	buf = malloc(cap);
	if (buf == NULL) {
		close(fd);
		return esc_nomem(ctx);
	}
	for (;;) {
		ssize_t n;

		if (have + 1 >= cap) {
			char *nb;

			if (cap > max + 1) {
				free(buf);
				close(fd);
				return esc_error(ctx, ESCROW_E_INPUT, "%s: larger than %zu bytes", path, max);
			}
			nb = realloc(buf, cap * 2);
			if (nb == NULL) {
				free(buf);
				close(fd);
				return esc_nomem(ctx);
			}
			buf = nb;
			cap *= 2;
		}
		n = read(fd, buf + have, cap - have - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			free(buf);
			close(fd);
			return esc_error(ctx, ESCROW_E_IO, "%s: read error: %s", path, strerror(errno));
		}
		if (n == 0)
			break;
		have += (size_t)n;
	}
	close(fd);
	if (have > max) {
		free(buf);
		return esc_error(ctx, ESCROW_E_INPUT, "%s: larger than %zu bytes", path, max);
	}
	buf[have] = '\0';
	*out = buf;
	if (len)
		*len = have;
	return ESCROW_OK;
}

escrow_status esc_write_all(escrow_ctx *ctx, int fd, const void *buf, size_t len, const char *what)
{
	const uint8_t *p = buf;

	while (len > 0) {
		ssize_t n = write(fd, p, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == ENOSPC || errno == EDQUOT))
			return esc_error(ctx, ESCROW_E_IO, "%s: write error: %s (free space on that file system, or "
			                 "write elsewhere)", what, strerror(errno));
		if (n < 0)
			return esc_error(ctx, ESCROW_E_IO, "%s: write error: %s", what, strerror(errno));
		p += n;
		len -= (size_t)n;
	}
	return ESCROW_OK;
}

escrow_status esc_atomic_open(escrow_ctx *ctx, const char *path, int mode, unsigned flags, int *fd,
                              char **tmp_path)
{
	struct stat st;
	escrow_status r;

	/* The temporary first: its sweep of stale ones from killed runs also
	 * happens when this run stops here because the output exists. */
	r = esc_tmp_create(ctx, path, false, mode, fd, tmp_path);
	if (r != ESCROW_OK || lstat(path, &st) != 0)
		return r;
	/* --force replaces a file (or a symlink, not what it points to); never
	 * a device or a pipe: as root, -o /dev/null --force put a regular file
	 * in its place, and every later redirect to it filled the disk */
	if ((flags & ESCROW_FORCE) && (S_ISREG(st.st_mode) || S_ISLNK(st.st_mode)))
		return r;
	esc_atomic_abort(*fd, *tmp_path);
	free(*tmp_path);
	*fd = -1;
	*tmp_path = NULL;
	if (flags & ESCROW_FORCE)
		return esc_error(ctx, ESCROW_E_CREATE, "%s: is a %s, which --force does not replace (give a file path%s)",
		                 path, S_ISDIR(st.st_mode) ? "folder" : S_ISCHR(st.st_mode) || S_ISBLK(st.st_mode) ? "device" :
		                 S_ISFIFO(st.st_mode) ? "pipe" : "special file",
		                 S_ISCHR(st.st_mode) ? "; to discard the output, -o - >/dev/null where the command takes it" : "");
	return esc_error(ctx, ESCROW_E_EXISTS, "%s: already exists (use --force to replace it)", path);
}

/* The fd stays open (its lock held, see io_tmp.c) until the file is in
 * place, so that no other run takes the temporary for a stale one. */
escrow_status esc_atomic_commit(escrow_ctx *ctx, int fd, const char *tmp_path, const char *path, unsigned flags)
{
	int e;

	if (fsync(fd) != 0 && errno != EINVAL) {
		e = errno;
		esc_atomic_abort(fd, tmp_path);
		return esc_error(ctx, ESCROW_E_IO, "%s: %s", path, strerror(e));
	}
	if (flags & ESCROW_FORCE) {
		if (rename(tmp_path, path) != 0) {
			e = errno;
			esc_atomic_abort(fd, tmp_path);
			return esc_error(ctx, ESCROW_E_CREATE, "%s: %s", path, strerror(e));
		}
	} else if (link(tmp_path, path) != 0) {
		/* link() fails with EEXIST instead of replacing a file created meanwhile. */
		e = errno;
		esc_atomic_abort(fd, tmp_path);
		if (e == EEXIST)
			return esc_error(ctx, ESCROW_E_EXISTS, "%s: already exists (use --force to replace it)", path);
		return esc_error(ctx, ESCROW_E_CREATE, "%s: %s", path, strerror(e));
	} else {
		unlink(tmp_path);
	}
	if (close(fd) != 0) {
		e = errno;
		unlink(path);
		return esc_error(ctx, ESCROW_E_IO, "%s: %s", path, strerror(e));
	}
	return ESCROW_OK;
}

void esc_atomic_abort(int fd, const char *tmp_path)
{
	if (fd >= 0)
		close(fd);
	if (tmp_path != NULL)
		unlink(tmp_path);
}

/* A secret file (key, identity) read whole into sodium_malloc memory,
 * which is locked and wiped when freed with sodium_free(). */
escrow_status esc_read_secret_file(escrow_ctx *ctx, const char *path, size_t max, const char *what, char **out,
                                   size_t *len)
{
	struct stat sb;
	char *buf = NULL;
	size_t have = 0;
	int fd;

	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || S_ISDIR(sb.st_mode)) {
		close(fd);
		return esc_error(ctx, ESCROW_E_OPEN, "%s: not a readable file", path);
	}
	buf = sodium_malloc(max + 1);
	if (buf == NULL) {
		close(fd);
		return esc_nomem(ctx);
	}
	for (;;) {
		ssize_t n = read(fd, buf + have, max + 1 - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			int e = errno;

			close(fd);
			sodium_free(buf);
			return esc_error(ctx, ESCROW_E_IO, "%s: read error: %s", path, strerror(e));
		}
		if (n == 0)
			break;
		have += (size_t)n;
		if (have > max) {
			close(fd);
			sodium_free(buf);
			return esc_error(ctx, ESCROW_E_INPUT, "%s: larger than %zu bytes, not %s", path, max, what);
		}
	}
	close(fd);
	buf[have] = '\0';
	*out = buf;
	*len = have;
	return ESCROW_OK;
}
