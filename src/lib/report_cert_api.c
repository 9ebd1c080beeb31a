/* report_cert_api.c -- escrow_certificate_write(): the certificate of a
 * verify report, written to a temporary file renamed into place. */
#include "esc_api.h"
#include "esc_cert.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

escrow_status esc_cert_write(escrow_ctx *ctx, const struct esc_cert *c, const char *path, unsigned flags)
{
	struct esc_out o = {0};
	escrow_status st;
	char *tmp = NULL;
	int fd = -1;

	esc_cert_render(c, &o);
	if (o.st != ESCROW_OK) {
		free(o.p);
		return o.st == ESCROW_E_NOMEM ? esc_nomem(ctx) : esc_error(ctx, o.st, "%s: the certificate", path);
	}
	st = esc_atomic_open(ctx, path, 0644, flags & ESCROW_FORCE, &fd, &tmp);
	if (st == ESCROW_OK)
		st = esc_write_all(ctx, fd, o.p, o.n, path);
	if (st == ESCROW_OK)
		st = esc_atomic_commit(ctx, fd, tmp, path, flags & ESCROW_FORCE);
	else if (fd >= 0)
		esc_atomic_abort(fd, tmp);
	free(tmp);
	free(o.p);
	return st;
}

/* The file's SHA-256 and size when the report does not give them: a vault
 * deposit shown with its recorded verdict (no verification ran, so the
 * stored copy is read here, to be compared with the ledger). A verification's
 * report names them (bundle.sha256, bundle.size) and the file is not read
 * again. */
static escrow_status hash_file(escrow_ctx *ctx, struct esc_cert *c, const char *path)
{
	enum { CHUNK = 1 << 20 };
	uint8_t digest[32];
	esc_sha256 *h = esc_sha256_new();
	char *buf = malloc(CHUNK);
	escrow_status st = ESCROW_OK;
	int fd = -1;
	ssize_t n;

	if (h == NULL || buf == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		st = esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
		goto out;
	}
	c->bundle_size = 0;
	while ((n = read(fd, buf, CHUNK)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = esc_error(ctx, ESCROW_E_IO, "%s: %s", path, strerror(errno));
			goto out;
		}
		esc_sha256_update(h, buf, (size_t)n);
		c->bundle_size += (uint64_t)n;
	}
	esc_sha256_final(h, digest);
	esc_hex(digest, sizeof digest, c->bundle_sha256);
	c->have_size = true;
out:
	if (fd >= 0)
		close(fd);
	esc_sha256_free(h);
	free(buf);
	return st;
}

static bool is_hex64(const char *s)
{
	size_t i;

	for (i = 0; s != NULL && i < 64; i++)
		if (esc_hex_digit((unsigned char)s[i]) < 0)
			return false;
	return s != NULL && s[64] == '\0';
}

escrow_status esc_cert_facts(escrow_ctx *ctx, struct esc_cert *c, const char *path)
{
	const json_t *b = json_object_get(c->report, "bundle");
	const char *sha = esc_cert_str(b, "sha256"), *at = esc_cert_str(c->report, "verified_at");
	int64_t size = -1, epoch = 0;
	bool have_epoch = false;
	escrow_status st = ESCROW_OK;
	struct tm tm;
	time_t t;

	if (is_hex64(sha) && esc_cert_int(b, "size", &size) && size >= 0) {
		memcpy(c->bundle_sha256, sha, 65);
		c->bundle_size = (uint64_t)size;
		c->have_size = true;
	} else if (path != NULL && strcmp(path, "-") != 0) {
		st = hash_file(ctx, c, path);
	}
	if (st != ESCROW_OK)
		return st;
	if (at != NULL && strlen(at) < sizeof c->verified_at) {
		strcpy(c->verified_at, at);
		return ESCROW_OK;
	}
	st = esc_source_date_epoch(ctx, &have_epoch, &epoch);
	if (st != ESCROW_OK)
		return st;
	t = have_epoch ? (time_t)epoch : time(NULL);
	if (gmtime_r(&t, &tm) == NULL || strftime(c->verified_at, sizeof c->verified_at, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return esc_error(ctx, ESCROW_E_USAGE, "SOURCE_DATE_EPOCH: %lld is no date", (long long)epoch);
	return ESCROW_OK;
}

escrow_status escrow_certificate_write(escrow_ctx *ctx, const escrow_options *o, const escrow_report *report)
{
	struct esc_cert c;
	escrow_status st;

	if (ctx == NULL)
		return ESCROW_E_USAGE;
	if (o == NULL || report == NULL || report->root == NULL || o->output == NULL || *o->output == '\0')
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_certificate_write: no report or no OUTPUT");
	memset(&c, 0, sizeof c);
	c.lang = o->lang ? o->lang : "en";
	c.w = esc_cert_words(c.lang);
	if (c.w == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "language '%s': the certificate is written in en or fr", o->lang);
	c.report = report->root;
	c.mode = ESC_CERT_VERIFIED_NOW;
	c.bundle_file = o->bundle ? o->bundle : esc_cert_str(json_object_get(report->root, "bundle"), "path");
	st = esc_cert_facts(ctx, &c, o->bundle);
	if (st == ESCROW_OK)
		st = esc_cert_write(ctx, &c, o->output, o->flags);
	return st;
}
