/* minisign_keyfile.c -- writing a key pair (minisign's PREFIX.key/.pub, age's
 * PREFIX.age/.age.pub) so that a failure never leaves halves that do not
 * match, and never loses a good pair it was asked to replace. */
#include "escrow_private.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* A hard link to path under a temporary name beside it (*keep, malloc'd),
 * so the file can be put back after it was replaced. */
static escrow_status keep_old(escrow_ctx *ctx, const char *path, char **keep)
{
	const char *slash = strrchr(path, '/');
	const char *base = slash ? slash + 1 : path;
	size_t dirlen = slash ? (size_t)(slash - path) + 1 : 0, len = strlen(path) + 32;
	char *k = malloc(len);
	int i, e = EEXIST;

	*keep = NULL;
	if (k == NULL)
		return esc_nomem(ctx);
	for (i = 0; i < 100 && e == EEXIST; i++) {
		snprintf(k, len, "%.*s.%s.%08x.tmp", (int)dirlen, path, base, randombytes_random());
		e = link(path, k) == 0 ? 0 : errno;
	}
	if (e != 0) {
		free(k);
		return esc_error(ctx, ESCROW_E_CREATE, "%s: cannot keep a link to it while it is replaced: %s "
		                 "(nothing was changed)", path, strerror(e));
	}
	*keep = k;
	return ESCROW_OK;
}

/* Puts the secret file, then the public one, in place from their written
 * temporary files (both fds are consumed). Should the second fail (it is a
 * folder, or appeared meanwhile), the first is taken back: a secret file
 * this call added is removed, one it replaced under ESCROW_FORCE is put back. */
static escrow_status commit_pair(escrow_ctx *ctx, const char *sec_path, int sec_fd, const char *sec_tmp,
                                 const char *pub_path, int pub_fd, const char *pub_tmp, unsigned flags)
{
	char *keep = NULL;
	struct stat sb;
	escrow_status st = ESCROW_OK;

	if ((flags & ESCROW_FORCE) && lstat(sec_path, &sb) == 0)
		st = keep_old(ctx, sec_path, &keep);
	if (st != ESCROW_OK) {
		esc_atomic_abort(sec_fd, sec_tmp);
		esc_atomic_abort(pub_fd, pub_tmp);
		return st;
	}
	st = esc_atomic_commit(ctx, sec_fd, sec_tmp, sec_path, flags);
	if (st != ESCROW_OK) {
		esc_atomic_abort(pub_fd, pub_tmp);
		goto out;
	}
	st = esc_atomic_commit(ctx, pub_fd, pub_tmp, pub_path, flags);
	if (st == ESCROW_OK)
		goto out;
	if (keep == NULL) {
		(void)unlink(sec_path); /* a secret key without its public half is of no use */
		esc_error_prefix(ctx, "%s: removed again", sec_path);
	} else if (rename(keep, sec_path) == 0) {
		esc_error_prefix(ctx, "%s: kept as it was", sec_path);
	} else {
		esc_error_prefix(ctx, "%s: replaced, the old one is still in %s", sec_path, keep);
	}
	free(keep); /* renamed back, or left for the user */
	keep = NULL;
out:
	if (keep != NULL)
		(void)unlink(keep);
	free(keep);
	return st;
}

escrow_status esc_write_key_pair(escrow_ctx *ctx, const char *sec_path, const void *sec, size_t sec_len,
                                 const char *pub_path, const void *pub, size_t pub_len, unsigned flags)
{
	char *sec_tmp = NULL, *pub_tmp = NULL;
	int sec_fd = -1, pub_fd = -1;
	escrow_status st;

	/* Both written in full before either is put in place. */
	st = esc_atomic_open(ctx, sec_path, 0600, flags, &sec_fd, &sec_tmp);
	if (st == ESCROW_OK)
		st = esc_atomic_open(ctx, pub_path, 0644, flags, &pub_fd, &pub_tmp);
	if (st == ESCROW_OK)
		st = esc_write_all(ctx, sec_fd, sec, sec_len, sec_path);
	if (st == ESCROW_OK)
		st = esc_write_all(ctx, pub_fd, pub, pub_len, pub_path);
	if (st == ESCROW_OK) {
		st = commit_pair(ctx, sec_path, sec_fd, sec_tmp, pub_path, pub_fd, pub_tmp, flags);
		sec_fd = pub_fd = -1;
	}
	if (sec_fd >= 0)
		esc_atomic_abort(sec_fd, sec_tmp);
	if (pub_fd >= 0)
		esc_atomic_abort(pub_fd, pub_tmp);
	free(sec_tmp);
	free(pub_tmp);
	return st;
}
