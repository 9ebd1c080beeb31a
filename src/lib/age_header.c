/* age_header.c -- the age v1 header: a strict push parser, the X25519 unwrap
 * with the header MAC check, and the writer of new headers.
 *
 * The parser accepts only what age itself writes: unpadded canonical base64,
 * 64-column body lines ending with a short (possibly empty) line, arguments of
 * printable ASCII separated by single spaces, LF line ends. Because the
 * encoding is canonical, the bytes read are the bytes the MAC covers. */
#include "escrow_private.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define INTRO "age-encryption.org/v1"
#define X25519_INFO "age-encryption.org/v1/X25519"
#define BODY_COLS 64
#define BODY_BYTES 48

enum { H_INTRO, H_LINE, H_BODY };

void esc_age_header_init(struct esc_age_header *h, const char *name)
{
	memset(h, 0, sizeof *h);
	h->name = name ? name : "age file";
	h->state = H_INTRO;
}

void esc_age_header_clear(struct esc_age_header *h)
{
	free(h->raw);
	free(h->st);
	h->raw = NULL;
	h->st = NULL;
}

static unsigned line_no(const struct esc_age_header *h)
{
	unsigned n = 1;
	size_t i;

	for (i = 0; i < h->line_start; i++)
		n += h->raw[i] == '\n';
	return n;
}

static escrow_status bad(escrow_ctx *ctx, const struct esc_age_header *h, const char *what)
{
	return esc_error(ctx, ESCROW_E_INPUT, "%s: malformed age header, line %u: %s", h->name, line_no(h), what);
}

static escrow_status footer_line(escrow_ctx *ctx, struct esc_age_header *h, const char *s, size_t l)
{
	size_t n = 0;

	if (l < 4 || s[3] != ' ' || memchr(s + 4, ' ', l - 4) != NULL)
		return bad(ctx, h, "the last line must be '--- ' and the MAC");
	if (esc_age_b64_decode(s + 4, l - 4, h->mac, sizeof h->mac, &n) != 0 || n != sizeof h->mac)
		return bad(ctx, h, "the header MAC is not 32 bytes of canonical base64");
	if (h->n_scrypt > 0 && h->nst > 1)
		return bad(ctx, h, "an scrypt stanza must be the only one");
	h->mac_end = h->line_start + 3;
	h->done = 1;
	return ESCROW_OK;
}

static escrow_status stanza_line(escrow_ctx *ctx, struct esc_age_header *h, const char *s, size_t l)
{
	struct esc_age_stanza *st;
	const char *arg[3] = {NULL, NULL, NULL};
	size_t alen[3] = {0, 0, 0}, nargs = 0, i, start, n = 0;

	if (l < 3 || s[2] != ' ')
		return bad(ctx, h, "a stanza line must be '-> TYPE ARGS...'");
	for (start = 3, i = 3; i <= l; i++) {
		if (i < l && s[i] != ' ') {
			if ((unsigned char)s[i] < 33 || (unsigned char)s[i] > 126)
				return bad(ctx, h, "a stanza argument holds a character outside printable ASCII");
			continue;
		}
		if (i == start)
			return bad(ctx, h, "empty stanza argument (two spaces, or a space at the end)");
		if (nargs < 3) {
			arg[nargs] = s + start;
			alen[nargs] = i - start;
		}
		nargs++;
		start = i + 1;
	}
	if (h->nst >= ESC_AGE_MAX_STANZAS)
		return bad(ctx, h, "too many stanzas");
	if (h->nst == h->capst) {
		size_t cap = h->capst ? h->capst * 2 : 4;
		struct esc_age_stanza *v = realloc(h->st, cap * sizeof *v);

		if (v == NULL)
			return esc_nomem(ctx);
		h->st = v;
		h->capst = cap;
	}
	st = &h->st[h->nst++];
	memset(st, 0, sizeof *st);
	h->cur_is_x25519 = 0;
	if (alen[0] == 6 && memcmp(arg[0], "X25519", 6) == 0) {
		if (nargs != 2)
			return bad(ctx, h, "an X25519 stanza takes exactly one argument");
		if (esc_age_b64_decode(arg[1], alen[1], st->share, sizeof st->share, &n) != 0 || n != 32)
			return bad(ctx, h, "the X25519 share is not 32 bytes of canonical base64");
		st->x25519 = 1;
		h->cur_is_x25519 = 1;
	} else if (alen[0] == 6 && memcmp(arg[0], "scrypt", 6) == 0) {
		h->n_scrypt++;
	}
	h->body_len = 0;
	h->state = H_BODY;
	return ESCROW_OK;
}

static escrow_status body_line(escrow_ctx *ctx, struct esc_age_header *h, const char *s, size_t l)
{
	struct esc_age_stanza *st = &h->st[h->nst - 1];
	uint8_t buf[BODY_BYTES];
	size_t n = 0;

	if (l > BODY_COLS)
		return bad(ctx, h, "a stanza body line is longer than 64 columns");
	if (esc_age_b64_decode(s, l, buf, sizeof buf, &n) != 0)
		return bad(ctx, h, "a stanza body line is not canonical unpadded base64");
	if (h->cur_is_x25519) {
		if (h->body_len + n > sizeof st->body)
			return bad(ctx, h, "the X25519 stanza body is not a 16-byte wrapped file key");
		memcpy(st->body + h->body_len, buf, n);
	}
	h->body_len += n;
	if (l < BODY_COLS) {
		if (h->cur_is_x25519 && h->body_len != sizeof st->body)
			return bad(ctx, h, "the X25519 stanza body is not a 16-byte wrapped file key");
		h->state = H_LINE;
	}
	return ESCROW_OK;
}

static escrow_status header_line(escrow_ctx *ctx, struct esc_age_header *h, const char *s, size_t l)
{
	switch (h->state) {
	case H_INTRO:
		if (l != strlen(INTRO) || memcmp(s, INTRO, l) != 0)
			return bad(ctx, h, "not an age v1 file (the first line is not 'age-encryption.org/v1')");
		h->state = H_LINE;
		return ESCROW_OK;
	case H_LINE:
		if (l >= 3 && memcmp(s, "---", 3) == 0)
			return footer_line(ctx, h, s, l);
		if (l >= 2 && memcmp(s, "->", 2) == 0)
			return stanza_line(ctx, h, s, l);
		return bad(ctx, h, "expected a stanza ('-> ') or the MAC line ('--- ')");
	default:
		return body_line(ctx, h, s, l);
	}
}

escrow_status esc_age_header_push(escrow_ctx *ctx, struct esc_age_header *h, const uint8_t *buf,
                                  size_t len, size_t *used)
{
	static const char magic[] = ESC_AGE_MAGIC;
	escrow_status st;

	*used = 0;
	while (*used < len && !h->done) {
		const uint8_t *p = buf + *used, *nl = memchr(p, '\n', len - *used);
		size_t take = nl ? (size_t)(nl - p) + 1 : len - *used;

		if (h->len + take > ESC_AGE_MAX_HEADER)
			return esc_error(ctx, ESCROW_E_INPUT, "%s: the age header is longer than %u bytes "
			                 "(not an age file, or a hostile one)", h->name, ESC_AGE_MAX_HEADER);
		if (h->len + take > h->cap) {
			size_t cap = h->cap ? h->cap : 1024;
			uint8_t *nb;

			while (cap < h->len + take)
				cap *= 2;
			nb = realloc(h->raw, cap);
			if (nb == NULL)
				return esc_nomem(ctx);
			h->raw = nb;
			h->cap = cap;
		}
		memcpy(h->raw + h->len, p, take);
		h->len += take;
		*used += take;
		/* Say "not age" as soon as the first bytes disagree, not after 1 MiB. */
		if (h->state == H_INTRO &&
		    memcmp(h->raw, magic, h->len < sizeof magic - 1 ? h->len : sizeof magic - 1) != 0)
			return bad(ctx, h, "not an age v1 file (the first line is not 'age-encryption.org/v1')");
		if (h->state == H_BODY && h->len - h->line_start > BODY_COLS + 1)
			return bad(ctx, h, "a stanza body line is longer than 64 columns");
		if (nl == NULL)
			break;
		st = header_line(ctx, h, (const char *)h->raw + h->line_start, h->len - 1 - h->line_start);
		if (st != ESCROW_OK)
			return st;
		h->line_start = h->len;
	}
	return ESCROW_OK;
}

/* HMAC-SHA-256 over the header through "---", keyed from the file key. */
static void header_mac(const struct esc_age_header *h, const uint8_t *raw, size_t len,
                       const uint8_t file_key[ESC_AGE_FILE_KEY_LEN], uint8_t mac[32])
{
	uint8_t key[32];

	(void)h;
	esc_hkdf_sha256(key, sizeof key, NULL, 0, file_key, ESC_AGE_FILE_KEY_LEN, "header", 6);
	crypto_auth_hmacsha256(mac, raw, len, key);
	sodium_memzero(key, sizeof key);
}

/* 1: opened, 0: not this identity, -1: the share is a low-order point. */
static int unwrap(const struct esc_age_identity *id, const struct esc_age_stanza *s, uint8_t *file_key)
{
	static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t ss[32], salt[64], wrap[32];
	unsigned long long n = 0;
	int r = 0;

	if (crypto_scalarmult(ss, id->sk, s->share) != 0)
		return -1; /* libsodium refuses an all-zero shared secret */
	memcpy(salt, s->share, 32);
	memcpy(salt + 32, id->pk, 32);
	esc_hkdf_sha256(wrap, sizeof wrap, salt, sizeof salt, ss, sizeof ss, X25519_INFO, strlen(X25519_INFO));
	if (crypto_aead_chacha20poly1305_ietf_decrypt(file_key, &n, NULL, s->body, sizeof s->body, NULL, 0,
	                                              zero_nonce, wrap) == 0 &&
	    n == ESC_AGE_FILE_KEY_LEN)
		r = 1;
	sodium_memzero(ss, sizeof ss);
	sodium_memzero(wrap, sizeof wrap);
	return r;
}

escrow_status esc_age_header_open(escrow_ctx *ctx, const struct esc_age_header *h,
                                  const escrow_identities *ids, uint8_t file_key[ESC_AGE_FILE_KEY_LEN])
{
	uint8_t mac[32];
	size_t i, j, nx = 0;
	int found = 0;

	if (!h->done)
		return esc_error(ctx, ESCROW_E_INTERNAL, "%s: age header not complete", h->name);
	for (j = 0; j < h->nst; j++)
		nx += h->st[j].x25519;
	if (h->n_scrypt > 0)
		return esc_error(ctx, ESCROW_NO_IDENTITY, "%s: encrypted with a passphrase (age -p); escrow only "
		                 "opens files sealed for X25519 recipients (age1...)", h->name);
	if (ids == NULL || ids->n == 0)
		return esc_error(ctx, ESCROW_NO_IDENTITY, "%s: sealed with age for %zu X25519 recipient%s; give "
		                 "the identity that opens it with -i IDENTITY", h->name, nx, nx == 1 ? "" : "s");
	for (i = 0; i < ids->n && !found; i++) {
		for (j = 0; j < h->nst && !found; j++) {
			int r;

			if (!h->st[j].x25519)
				continue;
			r = unwrap(&ids->v[i], &h->st[j], file_key);
			if (r < 0)
				return esc_error(ctx, ESCROW_E_INPUT, "%s: malformed age header: stanza %zu has a "
				                 "low-order X25519 share", h->name, j + 1);
			found = r;
		}
	}
	if (!found)
		return esc_error(ctx, ESCROW_NO_IDENTITY, "%s: none of the %zu identities given opens this file "
		                 "(it is sealed for %zu other X25519 recipient%s; a recipient stanza altered in "
		                 "transit reads the same)", h->name, ids->n, nx, nx == 1 ? "" : "s");
	header_mac(h, h->raw, h->mac_end, file_key, mac);
	if (sodium_memcmp(mac, h->mac, sizeof mac) != 0) {
		sodium_memzero(file_key, ESC_AGE_FILE_KEY_LEN);
		return esc_error(ctx, ESCROW_TAMPERED, "%s: the age header MAC does not match (the header was "
		                 "altered)", h->name);
	}
	return ESCROW_OK;
}

escrow_status esc_age_header_build(escrow_ctx *ctx, const escrow_recipients *rs,
                                   const uint8_t file_key[ESC_AGE_FILE_KEY_LEN], uint8_t **out,
                                   size_t *out_len)
{
	static const uint8_t zero_nonce[crypto_aead_chacha20poly1305_ietf_NPUBBYTES];
	uint8_t *e = NULL, ss[32], share[32], salt[64], wrap[32], body[32], mac[32];
	char *txt = NULL, b64[64];
	size_t cap, len = 0, i;
	escrow_status st = ESCROW_OK;

	*out = NULL;
	*out_len = 0;
	if (rs == NULL || rs->n == 0)
		return esc_error(ctx, ESCROW_E_USAGE, "age: no recipients to seal for");
	cap = sizeof INTRO + rs->n * 100 + 64;
	txt = malloc(cap);
	e = sodium_malloc(32);
	if (txt == NULL || e == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	len = (size_t)snprintf(txt, cap, "%s\n", INTRO);
	for (i = 0; i < rs->n; i++) {
		randombytes_buf(e, 32);
		crypto_scalarmult_base(share, e);
		if (crypto_scalarmult(ss, e, rs->pk[i]) != 0) {
			st = esc_error(ctx, ESCROW_E_INPUT, "age recipient %zu is a low-order point, not a real "
			               "public key", i + 1);
			goto out;
		}
		memcpy(salt, share, 32);
		memcpy(salt + 32, rs->pk[i], 32);
		esc_hkdf_sha256(wrap, sizeof wrap, salt, sizeof salt, ss, sizeof ss, X25519_INFO,
		                strlen(X25519_INFO));
		crypto_aead_chacha20poly1305_ietf_encrypt(body, NULL, file_key, ESC_AGE_FILE_KEY_LEN, NULL, 0, NULL,
		                                          zero_nonce, wrap);
		esc_age_b64_encode(share, sizeof share, b64);
		len += (size_t)snprintf(txt + len, cap - len, "-> X25519 %s\n", b64);
		esc_age_b64_encode(body, sizeof body, b64); /* 43 columns: one short line */
		len += (size_t)snprintf(txt + len, cap - len, "%s\n", b64);
	}
	memcpy(txt + len, "---", 3);
	len += 3;
	header_mac(NULL, (const uint8_t *)txt, len, file_key, mac);
	esc_age_b64_encode(mac, sizeof mac, b64);
	len += (size_t)snprintf(txt + len, cap - len, " %s\n", b64);
	*out = (uint8_t *)txt;
	*out_len = len;
	txt = NULL;
out:
	sodium_memzero(ss, sizeof ss);
	sodium_memzero(wrap, sizeof wrap);
	sodium_free(e);
	free(txt);
	return st;
}
