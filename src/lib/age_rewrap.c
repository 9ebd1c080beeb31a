/* age_rewrap.c -- the release: a sealed bundle re-encrypted for new
 * recipients. Only the header changes: the file key is unwrapped with the
 * notary's identity and wrapped again for the client, and the nonce and
 * payload bytes are copied as they are (no payload decryption, so the cost is
 * one file copy and the payload stays byte-identical). */
#include "escrow_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define COPY_BUF (256u * 1024u)

static escrow_status read_some(escrow_ctx *ctx, int fd, const char *path, uint8_t *buf, size_t cap, size_t *n)
{
	for (;;) {
		ssize_t r = read(fd, buf, cap);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return esc_error(ctx, ESCROW_E_IO, "%s: read error: %s", path, strerror(errno));
		*n = (size_t)r;
		return ESCROW_OK;
	}
}

static escrow_status sign_output(escrow_ctx *ctx, const escrow_seckey *sk, const char *out, unsigned flags)
{
	const char *base = strrchr(out, '/'), *p;
	char comment[512];
	escrow_status st;

	base = base ? base + 1 : out;
	/* A trusted comment holds no control character but tab: a name with one
	 * is left out rather than failing a finished release. */
	for (p = base; *p != '\0' && ((unsigned char)*p >= 0x20 || *p == '\t') && *p != 0x7f; p++)
		;
	if (*p == '\0')
		snprintf(comment, sizeof comment, "timestamp:%lld\tfile:%s\tescrow rewrap", (long long)time(NULL), base);
	else
		snprintf(comment, sizeof comment, "timestamp:%lld\tescrow rewrap", (long long)time(NULL));
	st = escrow_sign_file(ctx, sk, out, NULL, comment, flags);
	if (st != ESCROW_OK) {
		/* A sealed bundle is only handed over with its signature. */
		esc_error_prefix(ctx, "%s: rewrapped but not signed, removed", out);
		unlink(out);
	}
	return st;
}

/* OUT.minisig from an earlier run signs the file this run replaced: verify
 * would report it as a bad detached signature. Never fails the release. */
static void drop_stale_signature(escrow_ctx *ctx, const char *out, unsigned flags)
{
	size_t len = strlen(out) + sizeof ".minisig";
	char *sig = malloc(len);
	struct stat sb;

	if (sig == NULL)
		return;
	snprintf(sig, len, "%s.minisig", out);
	if (lstat(sig, &sb) == 0) {
		if (!(flags & ESCROW_FORCE))
			esc_warn(ctx, "%s: does not sign the new %s; left as it was (remove it, or give -s KEY "
			         "and --force)", sig, out);
		else if (unlink(sig) == 0)
			esc_warn(ctx, "%s: removed: it signed the earlier %s (give -s KEY to sign the new one)",
			         sig, out);
		else
			esc_warn(ctx, "%s: does not sign the new %s and cannot be removed: %s", sig, out,
			         strerror(errno));
	}
	free(sig);
}

escrow_status escrow_rewrap(escrow_ctx *ctx, const char *in, const escrow_identities *ids,
                            const escrow_recipients *rs, const char *out, const escrow_seckey *sk,
                            unsigned flags)
{
	struct esc_age_header h;
	uint8_t *buf = NULL, *file_key = NULL, *hdr = NULL;
	size_t n = 0, used = 0, hlen = 0;
	uint64_t payload = 0, done = 0, total = 0;
	char *tmp = NULL;
	int fdin = -1, fdout = -1;
	struct stat sb;
	escrow_status st;

	if (in == NULL || out == NULL || rs == NULL || rs->n == 0)
		return esc_error(ctx, ESCROW_E_USAGE, "rewrap: an input, an output and at least one recipient "
		                 "are needed");
	esc_age_header_init(&h, in);
	fdin = open(in, O_RDONLY | O_CLOEXEC);
	if (fdin < 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", in, strerror(errno));
	if (fstat(fdin, &sb) == 0 && S_ISREG(sb.st_mode))
		total = (uint64_t)sb.st_size;
	buf = malloc(COPY_BUF);
	file_key = sodium_malloc(ESC_AGE_FILE_KEY_LEN);
	if (buf == NULL || file_key == NULL) {
		st = esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
		goto out;
	}
	/* The header, read in small steps so the rest of buf is the payload start. */
	while (!h.done) {
		st = read_some(ctx, fdin, in, buf, COPY_BUF, &n);
		if (st != ESCROW_OK)
			goto out;
		if (n == 0) {
			st = esc_error(ctx, ESCROW_E_INPUT, h.len == 0 ? "%s: empty, not a sealed bundle" :
			               "%s: ends inside the age header (truncated)", in);
			goto out;
		}
		st = esc_age_header_push(ctx, &h, buf, n, &used);
		if (st != ESCROW_OK)
			goto out;
	}
	st = esc_age_header_open(ctx, &h, ids, file_key);
	if (st != ESCROW_OK)
		goto out;
	st = esc_age_header_build(ctx, rs, file_key, &hdr, &hlen);
	sodium_memzero(file_key, ESC_AGE_FILE_KEY_LEN);
	if (st != ESCROW_OK)
		goto out;
	st = esc_atomic_open(ctx, out, 0644, flags, &fdout, &tmp);
	if (st != ESCROW_OK)
		goto out;
	st = esc_write_all(ctx, fdout, hdr, hlen, out);
	if (st != ESCROW_OK)
		goto out;
	n -= used;
	memmove(buf, buf + used, n);
	done = h.len;
	for (;;) {
		if (n > 0) {
			st = esc_write_all(ctx, fdout, buf, n, out);
			if (st != ESCROW_OK)
				goto out;
			payload += n;
			done += n;
			esc_progress(ctx, done, total);
		}
		st = esc_check_interrupt(ctx);
		if (st != ESCROW_OK)
			goto out;
		st = read_some(ctx, fdin, in, buf, COPY_BUF, &n);
		if (st != ESCROW_OK)
			goto out;
		if (n == 0)
			break;
	}
	/* The payload is not decrypted, but a file without even a nonce and one
	 * chunk tag is certainly cut short: say so now rather than at release. */
	if (payload < ESC_AGE_NONCE_LEN + ESC_AGE_TAG) {
		st = esc_error(ctx, payload < ESC_AGE_NONCE_LEN ? ESCROW_E_INPUT : ESCROW_TAMPERED,
		               "%s: the age payload is truncated (%llu bytes after the header)", in,
		               (unsigned long long)payload);
		goto out;
	}
	st = esc_atomic_commit(ctx, fdout, tmp, out, flags);
	fdout = -1;
	if (st != ESCROW_OK)
		goto out;
	if (sk != NULL)
		st = sign_output(ctx, sk, out, flags);
	else
		drop_stale_signature(ctx, out, flags);
out:
	if (fdout >= 0)
		esc_atomic_abort(fdout, tmp);
	if (fdin >= 0)
		close(fdin);
	esc_age_header_clear(&h);
	sodium_free(file_key);
	free(hdr);
	free(buf);
	free(tmp);
	return st;
}
