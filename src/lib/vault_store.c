/* vault_store.c -- the vault's content-addressed store: each bundle once,
 * under store/sha256/XX/HEX.escrow, its detached signature beside it. A copy
 * is hashed as it is written to a temporary file in store/sha256, synced,
 * then renamed to its name and the folders synced: the name appears whole or
 * not at all, before the ledger records it (docs/VAULT.md, "The store"). */
#include "esc_pack.h"
#include "esc_vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define COPY_CHUNK (1u << 20)

static escrow_status sync_dir(escrow_ctx *ctx, const char *dir)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

	if (fd < 0)
		return esc_error(ctx, ESCROW_E_IO, "%s: %s", dir, strerror(errno));
	if (fsync(fd) != 0 && errno != EINVAL) {
		int e = errno;

		close(fd);
		return esc_error(ctx, ESCROW_E_IO, "%s: %s", dir, strerror(e));
	}
	close(fd);
	return ESCROW_OK;
}

/* Copies in to out, hashing; size and digest of what was copied. */
static escrow_status copy_hash(escrow_ctx *ctx, int in, const char *src, int out, const char *tmp, uint8_t md[32],
                               uint64_t *size)
{
	esc_sha256 *h = esc_sha256_new();
	uint8_t *buf = malloc(COPY_CHUNK);
	escrow_status st = ESCROW_OK;

	*size = 0;
	if (h == NULL || buf == NULL)
		st = esc_nomem(ctx);
	while (st == ESCROW_OK) {
		ssize_t n = read(in, buf, COPY_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			st = esc_error(ctx, ESCROW_E_IO, "%s: %s", src, strerror(errno));
		if (n <= 0)
			break;
		esc_sha256_update(h, buf, (size_t)n);
		*size += (uint64_t)n;
		st = esc_write_all(ctx, out, buf, (size_t)n, tmp);
		if (st == ESCROW_OK)
			st = esc_check_interrupt(ctx);
	}
	if (st == ESCROW_OK)
		esc_sha256_final(h, md);
	esc_sha256_free(h);
	free(buf);
	return st;
}

/* Copies src into a new temporary file in dir, synced; *tmp its path. */
static escrow_status copy_in(escrow_ctx *ctx, const char *src, const char *dir, char **tmp, uint8_t md[32],
                             uint64_t *size)
{
	int in, out;
	escrow_status st;

	*tmp = esc_path_join(dir, ".incoming.XXXXXX");
	if (*tmp == NULL)
		return esc_nomem(ctx);
	in = open(src, O_RDONLY | O_CLOEXEC);
	if (in < 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", src, strerror(errno));
	out = mkstemp(*tmp);
	if (out < 0) {
		st = esc_error(ctx, ESCROW_E_CREATE, "%s: %s", dir, strerror(errno));
		free(*tmp);
		*tmp = NULL;
		close(in);
		return st;
	}
	st = copy_hash(ctx, in, src, out, *tmp, md, size);
	if (st == ESCROW_OK && fsync(out) != 0)
		st = esc_error(ctx, ESCROW_E_IO, "%s: %s", *tmp, strerror(errno));
	if (close(out) != 0 && st == ESCROW_OK)
		st = esc_error(ctx, ESCROW_E_IO, "%s: %s", *tmp, strerror(errno));
	close(in);
	return st;
}

/* Renames tmp to name (a file already there is the same bytes: its name is
 * their digest), then syncs the folders. */
static escrow_status place(escrow_ctx *ctx, const char *tmp, const char *sub, const char *name, const char *top)
{
	escrow_status st;

	if (mkdir(sub, 0700) != 0 && errno != EEXIST)
		return esc_error(ctx, ESCROW_E_CREATE, "%s: %s", sub, strerror(errno));
	if (rename(tmp, name) != 0)
		return esc_error(ctx, ESCROW_E_CREATE, "%s: %s", name, strerror(errno));
	st = sync_dir(ctx, sub);
	return st == ESCROW_OK ? sync_dir(ctx, top) : st;
}

/* src.minisig, when there is one, beside the stored bundle. */
static escrow_status put_minisig(escrow_vault *v, const char *src, const char *top, struct esc_stored *s)
{
	char *sig = esc_strf("%s.minisig", src), *dst = esc_strf("%s.minisig", s->abs), *tmp = NULL;
	char *sub = dst ? strdup(dst) : NULL;
	uint8_t md[32];
	uint64_t size;
	escrow_status st = ESCROW_OK;

	if (sig == NULL || dst == NULL || sub == NULL) {
		st = esc_nomem(v->ctx);
		goto out;
	}
	if (access(sig, F_OK) != 0)
		goto out;
	*strrchr(sub, '/') = '\0';
	st = copy_in(v->ctx, sig, top, &tmp, md, &size);
	if (st == ESCROW_OK)
		st = place(v->ctx, tmp, sub, dst, top);
	if (st != ESCROW_OK && tmp != NULL)
		unlink(tmp);
	s->minisig = st == ESCROW_OK;
out:
	free(tmp);
	free(sub);
	free(dst);
	free(sig);
	return st;
}

/* Stores src as store/sha256/XX/HEX.ext; sig: take src.minisig too. */
static escrow_status store_put(escrow_vault *v, const char *src, const char *ext, bool sig, struct esc_stored *s)
{
	char *top = esc_path_join(v->path, "store/sha256"), *tmp = NULL, *sub = NULL;
	uint8_t md[32];
	escrow_status st;

	memset(s, 0, sizeof *s);
	if (top == NULL)
		return esc_nomem(v->ctx);
	st = copy_in(v->ctx, src, top, &tmp, md, &s->size);
	if (st == ESCROW_OK) {
		esc_hex(md, 32, s->sha256);
		s->rel = esc_strf("store/sha256/%.2s/%s.%s", s->sha256, s->sha256, ext);
		s->abs = s->rel ? esc_path_join(v->path, s->rel) : NULL;
		sub = s->abs ? strdup(s->abs) : NULL;
		if (sub == NULL)
			st = esc_nomem(v->ctx);
	}
	if (st == ESCROW_OK) {
		*strrchr(sub, '/') = '\0';
		s->fresh = access(s->abs, F_OK) != 0;
		st = place(v->ctx, tmp, sub, s->abs, top);
		if (st != ESCROW_OK && access(tmp, F_OK) == 0)
			s->fresh = false; /* not renamed: the name is not this copy's */
	}
	if (st == ESCROW_OK && sig)
		st = put_minisig(v, src, top, s);
	if (st != ESCROW_OK && tmp != NULL)
		unlink(tmp);
	/* A failure after the rename leaves s for the caller, whose removal
	 * checks that no receive of the same bytes recorded it meanwhile
	 * (vault_receive.c recv_drop); before it, there is nothing to remove. */
	if (st != ESCROW_OK && s->abs == NULL)
		esc_stored_free(s);
	free(sub);
	free(tmp);
	free(top);
	return st;
}

escrow_status esc_store_open(escrow_vault *v, struct esc_incoming *in)
{
	memset(in, 0, sizeof *in);
	in->fd = -1;
	in->top = esc_path_join(v->path, "store/sha256");
	in->tmp = in->top ? esc_path_join(in->top, ".incoming.XXXXXX") : NULL;
	in->wctx = escrow_ctx_new();
	in->out = calloc(1, sizeof *in->out);
	if (in->tmp == NULL || in->wctx == NULL || in->out == NULL)
		return esc_nomem(v->ctx);
	in->fd = mkstemp(in->tmp);
	if (in->fd < 0) {
		escrow_status st = esc_error(v->ctx, ESCROW_E_CREATE, "%s: %s", in->top, strerror(errno));

		free(in->tmp);
		in->tmp = NULL;
		return st;
	}
	/* Around the page cache: the copy is synced before its rename anyway. */
	if (esc_outsink_init(in->wctx, in->out, in->fd, in->tmp, NULL) != ESCROW_OK)
		return esc_nomem(v->ctx);
	esc_outsink_try_direct(in->out);
	return ESCROW_OK;
}

escrow_status esc_store_write(void *state, const void *buf, size_t len)
{
	struct esc_incoming *in = state;

	return esc_outsink_put(in->out, buf, len);
}

escrow_status esc_store_commit(escrow_vault *v, struct esc_incoming *in, const char *src, const char *sha256,
                               struct esc_stored *s)
{
	char *sub = NULL;
	escrow_status st = ESCROW_OK;

	memset(s, 0, sizeof *s);
	if (esc_outsink_flush(in->out) != ESCROW_OK)
		return esc_error(v->ctx, escrow_ctx_status(in->wctx), "%s", esc_ctx_message(in->wctx));
	if (fsync(in->fd) != 0)
		st = esc_error(v->ctx, ESCROW_E_IO, "%s: %s", in->tmp, strerror(errno));
	if (close(in->fd) != 0 && st == ESCROW_OK)
		st = esc_error(v->ctx, ESCROW_E_IO, "%s: %s", in->tmp, strerror(errno));
	in->fd = -1;
	if (st != ESCROW_OK)
		return st;
	snprintf(s->sha256, sizeof s->sha256, "%s", sha256);
	s->size = in->out->bytes;
	s->rel = esc_strf("store/sha256/%.2s/%s.escrow", s->sha256, s->sha256);
	s->abs = s->rel ? esc_path_join(v->path, s->rel) : NULL;
	sub = s->abs ? strdup(s->abs) : NULL;
	if (sub == NULL)
		return esc_nomem(v->ctx);
	*strrchr(sub, '/') = '\0';
	s->fresh = access(s->abs, F_OK) != 0;
	st = place(v->ctx, in->tmp, sub, s->abs, in->top);
	if (st != ESCROW_OK && access(in->tmp, F_OK) == 0) {
		s->fresh = false; /* not renamed (esc_store_abort removes it): the name is not this copy's */
	} else {
		free(in->tmp); /* under its name now */
		in->tmp = NULL;
	}
	if (st == ESCROW_OK)
		st = put_minisig(v, src, in->top, s);
	/* a failure leaves s for the caller's removal (as store_put) */
	free(sub);
	return st;
}

void esc_store_abort(struct esc_incoming *in)
{
	if (in->fd >= 0)
		close(in->fd);
	if (in->tmp != NULL)
		unlink(in->tmp);
	free(in->tmp);
	free(in->top);
	if (in->out != NULL)
		esc_outsink_clear(in->out);
	free(in->out);
	escrow_ctx_free(in->wctx);
	memset(in, 0, sizeof *in);
	in->fd = -1;
}

escrow_status esc_store_put(escrow_vault *v, const char *src, struct esc_stored *s)
{
	return store_put(v, src, "escrow", true, s);
}

escrow_status esc_store_put_evidence(escrow_vault *v, const char *src, struct esc_stored *s)
{
	return store_put(v, src, "evidence", false, s);
}

escrow_status esc_store_unsign(escrow_vault *v, struct esc_stored *s)
{
	char *sig = esc_strf("%s.minisig", s->abs), *sub = sig ? strdup(sig) : NULL;
	escrow_status st = ESCROW_OK;

	if (sig == NULL || sub == NULL)
		st = esc_nomem(v->ctx);
	else if (unlink(sig) != 0 && errno != ENOENT)
		st = esc_error(v->ctx, ESCROW_E_IO, "%s: %s", sig, strerror(errno));
	else {
		*strrchr(sub, '/') = '\0';
		st = sync_dir(v->ctx, sub);
	}
	if (st == ESCROW_OK)
		s->minisig = false;
	free(sub);
	free(sig);
	return st;
}

void esc_store_drop(struct esc_stored *s)
{
	if (s->fresh && s->abs != NULL) {
		char *sig = esc_strf("%s.minisig", s->abs);

		unlink(s->abs);
		if (sig != NULL && s->minisig)
			unlink(sig);
		free(sig);
	}
	esc_stored_free(s);
}

void esc_stored_free(struct esc_stored *s)
{
	free(s->rel);
	free(s->abs);
	s->rel = s->abs = NULL;
}
