/* age_keys.c -- age X25519 keys: age-keygen's identity file, recipients. */
#include "escrow_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define ID_HRP "AGE-SECRET-KEY-"
#define RCPT_HRP "age"
#define ID_FILE_MAX (64u * 1024u) /* identity files hold a few 74-byte lines */

void esc_age_recipient_string(const uint8_t pk[32], char out[64])
{
	(void)esc_bech32_encode(out, 64, RCPT_HRP, pk, 32, 0);
}

void esc_age_identity_string(const uint8_t sk[32], char out[80])
{
	(void)esc_bech32_encode(out, 80, ID_HRP, sk, 32, 1);
}

int esc_age_parse_recipient(const char *s, size_t len, uint8_t pk[32])
{
	char hrp[8];
	uint8_t buf[33];
	long n = esc_bech32_decode(s, len, 0, hrp, sizeof hrp, buf, sizeof buf);

	if (n != 32 || strcmp(hrp, RCPT_HRP) != 0)
		return -1;
	memcpy(pk, buf, 32);
	return 0;
}

static int parse_identity(const char *s, size_t len, uint8_t sk[32])
{
	char hrp[16];
	uint8_t buf[33];
	long n = esc_bech32_decode(s, len, 0, hrp, sizeof hrp, buf, sizeof buf);
	int ok = n == 32 && strcmp(hrp, ID_HRP) == 0;

	if (ok)
		memcpy(sk, buf, 32);
	sodium_memzero(buf, sizeof buf);
	return ok ? 0 : -1;
}

escrow_status esc_identities_push(escrow_ctx *ctx, escrow_identities **ids, const uint8_t sk[32])
{
	escrow_identities *cur = *ids, *nw;
	struct esc_age_identity *id;

	if (cur == NULL || cur->n == cur->cap) {
		size_t cap = cur ? cur->cap * 2 : 4;

		nw = sodium_malloc(sizeof *nw + cap * sizeof nw->v[0]);
		if (nw == NULL)
			return esc_error(ctx, ESCROW_E_NOMEM, "out of memory for age identities");
		nw->n = 0;
		nw->cap = cap;
		if (cur != NULL) {
			memcpy(nw->v, cur->v, cur->n * sizeof cur->v[0]);
			nw->n = cur->n;
			sodium_free(cur);
		}
		*ids = cur = nw;
	}
	id = &cur->v[cur->n++];
	memcpy(id->sk, sk, 32);
	crypto_scalarmult_base(id->pk, id->sk);
	return ESCROW_OK;
}

void escrow_identities_free(escrow_identities *ids)
{
	if (ids != NULL)
		sodium_free(ids); /* sodium_free wipes the block */
}

/* Calls fn on each line that is not blank or a '#' comment, with a trailing
 * '\r' removed (files edited on Windows). */
typedef escrow_status (*line_fn)(escrow_ctx *ctx, const char *path, unsigned lineno, const char *s,
                                 size_t len, void *user);

static escrow_status each_line(escrow_ctx *ctx, const char *path, const char *text, size_t len,
                               line_fn fn, void *user)
{
	size_t pos = 0;
	unsigned lineno = 0;

	while (pos < len) {
		const char *s = text + pos, *nl = memchr(s, '\n', len - pos);
		size_t l = nl ? (size_t)(nl - s) : len - pos;
		escrow_status st;

		pos += l + (nl ? 1 : 0);
		lineno++;
		if (l > 0 && s[l - 1] == '\r')
			l--;
		if (l == 0 || s[0] == '#')
			continue;
		st = fn(ctx, path, lineno, s, l, user);
		if (st != ESCROW_OK)
			return st;
	}
	return ESCROW_OK;
}

static escrow_status identity_line(escrow_ctx *ctx, const char *path, unsigned lineno, const char *s,
                                   size_t len, void *user)
{
	escrow_identities **ids = user;
	uint8_t *sk = sodium_malloc(32);
	escrow_status st;

	if (sk == NULL)
		return esc_nomem(ctx);
	if (parse_identity(s, len, sk) != 0) {
		sodium_free(sk);
		if (len >= 3 && memcmp(s, "age", 3) == 0)
			return esc_error(ctx, ESCROW_E_INPUT,
			                 "%s:%u: this is an age file or a recipient, not an identity (give the "
			                 "file made by 'escrow keygen --age' or 'age-keygen')", path, lineno);
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s:%u: not an age X25519 identity (expected a line AGE-SECRET-KEY-1...; "
		                 "SSH keys, plugins and passphrase-protected files are not supported)",
		                 path, lineno);
	}
	st = esc_identities_push(ctx, ids, sk);
	sodium_free(sk);
	return st;
}

escrow_status escrow_identities_load(escrow_ctx *ctx, const char *path, escrow_identities **ids)
{
	char *text = NULL;
	size_t len = 0, before = *ids ? (*ids)->n : 0;
	int had = *ids != NULL;
	escrow_status st;

	st = esc_read_secret_file(ctx, path, ID_FILE_MAX, "an age identity file", &text, &len);
	if (st != ESCROW_OK)
		return st;
	st = esc_key_kind_check(ctx, path, text, len, ESC_WANT_AGE_IDENTITY);
	if (st == ESCROW_OK)
		st = each_line(ctx, path, text, len, identity_line, ids);
	if (st == ESCROW_OK && (*ids == NULL || (*ids)->n == before))
		st = esc_error(ctx, ESCROW_E_INPUT, "%s: no identity in this file (expected a line "
		               "AGE-SECRET-KEY-1...)", path);
	sodium_free(text);
	/* All or nothing: a file that fails adds no identity. */
	if (st != ESCROW_OK && *ids != NULL) {
		if (!had) {
			escrow_identities_free(*ids);
			*ids = NULL;
		} else {
			sodium_memzero((*ids)->v + before, ((*ids)->n - before) * sizeof (*ids)->v[0]);
			(*ids)->n = before;
		}
	}
	return st;
}

static escrow_status recipients_push(escrow_ctx *ctx, escrow_recipients **rs, const uint8_t pk[32])
{
	escrow_recipients *r = *rs;

	if (r == NULL) {
		r = calloc(1, sizeof *r);
		if (r == NULL)
			return esc_nomem(ctx);
		*rs = r;
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? r->cap * 2 : 4;
		uint8_t(*v)[32] = realloc(r->pk, cap * sizeof *v);

		if (v == NULL)
			return esc_nomem(ctx);
		r->pk = v;
		r->cap = cap;
	}
	memcpy(r->pk[r->n++], pk, 32);
	return ESCROW_OK;
}

escrow_status escrow_recipients_add(escrow_ctx *ctx, const char *recipient, escrow_recipients **rs)
{
	uint8_t pk[32];

	/* Never echo a secret key given by mistake: messages end up in logs. */
	if (recipient != NULL && strncasecmp(recipient, ID_HRP, strlen(ID_HRP)) == 0)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "this is an age secret key (identity), not a recipient: give its public key "
		                 "(age1..., from 'age-keygen -y' or PREFIX.age.pub), and keep the secret key out of "
		                 "command lines");
	if (recipient == NULL || esc_age_parse_recipient(recipient, strlen(recipient), pk) != 0)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "'%.100s': not an age X25519 recipient (expected age1... as printed by "
		                 "'age-keygen -y' or in PREFIX.age.pub)", recipient ? recipient : "");
	return recipients_push(ctx, rs, pk);
}

static escrow_status recipient_line(escrow_ctx *ctx, const char *path, unsigned lineno, const char *s,
                                    size_t len, void *user)
{
	uint8_t pk[32];

	if (esc_age_parse_recipient(s, len, pk) != 0)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s:%u: not an age X25519 recipient (expected age1...; SSH keys and "
		                 "plugins are not supported)", path, lineno);
	return recipients_push(ctx, user, pk);
}

escrow_status escrow_recipients_load(escrow_ctx *ctx, const char *path, escrow_recipients **rs)
{
	char *text = NULL;
	size_t len = 0, before = *rs ? (*rs)->n : 0;
	int had = *rs != NULL;
	escrow_status st;

	st = esc_read_small_file(ctx, path, ESC_AGE_MAX_KEYFILE, &text, &len);
	if (st != ESCROW_OK)
		return st;
	st = esc_key_kind_check(ctx, path, text, len, ESC_WANT_AGE_RECIPIENT);
	if (st == ESCROW_OK)
		st = each_line(ctx, path, text, len, recipient_line, rs);
	if (st == ESCROW_OK && (*rs == NULL || (*rs)->n == before))
		st = esc_error(ctx, ESCROW_E_INPUT, "%s: no recipient in this file (expected lines age1...)", path);
	free(text);
	if (st != ESCROW_OK && *rs != NULL) {
		if (!had) {
			escrow_recipients_free(*rs);
			*rs = NULL;
		} else {
			(*rs)->n = before;
		}
	}
	return st;
}

void escrow_recipients_free(escrow_recipients *rs)
{
	if (rs == NULL)
		return;
	free(rs->pk);
	free(rs);
}

escrow_status escrow_age_keygen(escrow_ctx *ctx, const char *prefix, unsigned flags)
{
	char *idpath = NULL, *pubpath = NULL, *text = NULL;
	uint8_t *sk = NULL, pk[32];
	char rcpt[64], when[32], pubtext[80];
	size_t plen, tlen = 0;
	struct stat sb;
	struct tm tm;
	time_t now = time(NULL);
	escrow_status st = ESCROW_OK;

	if (prefix == NULL || *prefix == '\0')
		return esc_error(ctx, ESCROW_E_USAGE, "age keygen: empty output prefix");
	plen = strlen(prefix);
	idpath = malloc(plen + 5);
	pubpath = malloc(plen + 9);
	sk = sodium_malloc(32);
	text = sodium_malloc(512);
	if (idpath == NULL || pubpath == NULL || sk == NULL || text == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	snprintf(idpath, plen + 5, "%s.age", prefix);
	snprintf(pubpath, plen + 9, "%s.age.pub", prefix);
	/* Check both before writing either, so a refusal leaves nothing half made. */
	if (!(flags & ESCROW_FORCE)) {
		const char *p = lstat(idpath, &sb) == 0 ? idpath : lstat(pubpath, &sb) == 0 ? pubpath : NULL;

		if (p != NULL) {
			st = esc_error(ctx, ESCROW_E_EXISTS, "%s: already exists (use --force to replace it)", p);
			goto out;
		}
	}
	randombytes_buf(sk, 32);
	crypto_scalarmult_base(pk, sk);
	esc_age_recipient_string(pk, rcpt);
	if (gmtime_r(&now, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(when, sizeof when, "1970-01-01T00:00:00Z");
	tlen = (size_t)snprintf(text, 512, "# created: %s\n# public key: %s\n", when, rcpt);
	esc_age_identity_string(sk, text + tlen);
	tlen += strlen(text + tlen);
	text[tlen++] = '\n';
	snprintf(pubtext, sizeof pubtext, "%s\n", rcpt);
	st = esc_write_key_pair(ctx, idpath, text, tlen, pubpath, pubtext, strlen(pubtext), flags);
out:
	sodium_free(sk);
	sodium_free(text);
	free(idpath);
	free(pubpath);
	return st;
}
