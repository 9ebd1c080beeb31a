/* minisign_key.c -- minisign public and secret key files: strict parsing.
 * Layouts follow minisign's src/minisign.h; see esc_minisign.h for sizes. */
#include "escrow_private.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

/* Offsets in the 158-byte secret key blob. */
enum {
	SK_SIGALG = 0, SK_KDFALG = 2, SK_CHKALG = 4, SK_SALT = 6, SK_OPS = 38, SK_MEM = 46,
	SK_KEYNUM = 54, SK_SK = 62, SK_CHK = 126
};
#define SK_KEYNUM_LEN (ESC_MKEYID_LEN + 64 + 32) /* the part scrypt's stream covers */

/* Larger limits than minisign ever wrote only come from a corrupt or hostile
 * file; refusing them bounds the memory and time a key file can make us spend. */
#define KDF_OPS_MAX (1ull << 30)
#define KDF_MEM_MAX (4ull << 30)

bool esc_mline_next(const char *text, size_t len, size_t *pos, struct esc_mline *line)
{
	const char *nl;

	if (*pos >= len)
		return false;
	line->s = text + *pos;
	nl = memchr(line->s, '\n', len - *pos);
	if (nl != NULL) {
		line->len = (size_t)(nl - line->s);
		line->nl = true;
		*pos += line->len + 1;
	} else {
		line->len = len - *pos;
		line->nl = false;
		*pos = len;
	}
	return true;
}

void esc_mline_drop_cr(struct esc_mline *line)
{
	if (line->len > 0 && line->s[line->len - 1] == '\r')
		line->len--;
}

void esc_mkeyid_hex(const uint8_t id[ESC_MKEYID_LEN], char out[17])
{
	unsigned long long v = 0;
	int i;

	for (i = ESC_MKEYID_LEN - 1; i >= 0; i--)
		v = v << 8 | id[i];
	snprintf(out, 17, "%016llX", v);
}

static uint64_t le64(const uint8_t *p)
{
	uint64_t v = 0;
	int i;

	for (i = 7; i >= 0; i--)
		v = v << 8 | p[i];
	return v;
}

static bool line_is_blank(const struct esc_mline *l)
{
	return l->len == 0 || (l->len == 1 && l->s[0] == '\r');
}

/* Splits a key file into its comment line and its key line. minisign trims a
 * trailing "\r" from key lines, so a file saved with CRLF still loads. */
static escrow_status split_key_file(escrow_ctx *ctx, const char *name, const char *text, size_t len,
                                    bool comment_optional, struct esc_mline *key)
{
	struct esc_mline l1, l2, rest;
	size_t pos = 0;

	if (len > ESC_MKEY_MAX)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: %zu bytes is too large for a minisign key file", name, len);
	if (memchr(text, '\0', len) != NULL)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: contains a NUL byte, not a minisign key file", name);
	if (!esc_mline_next(text, len, &pos, &l1))
		return esc_error(ctx, ESCROW_E_INPUT, "%s: is empty, not a minisign key file", name);
	if (!esc_mline_next(text, len, &pos, &l2) || line_is_blank(&l2)) {
		if (comment_optional && strncmp(l1.s, "untrusted comment:", l1.len < 18 ? l1.len : 18) != 0) {
			*key = l1;
			goto trailing;
		}
		return esc_error(ctx, ESCROW_E_INPUT, "%s: no key line after the comment line (truncated file?)", name);
	}
	*key = l2;
trailing:
	while (esc_mline_next(text, len, &pos, &rest)) {
		if (!line_is_blank(&rest))
			return esc_error(ctx, ESCROW_E_INPUT,
			                 "%s: unexpected text after the key line (not a minisign key file?)", name);
	}
	if (key->len > 0 && key->s[key->len - 1] == '\r')
		key->len--;
	return ESCROW_OK;
}

static escrow_status decode_key_line(escrow_ctx *ctx, const char *name, const struct esc_mline *key,
                                     uint8_t *blob, size_t blob_len, const char *what)
{
	size_t want = esc_b64_encoded_len(blob_len);

	if (key->len != want)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s: the key line has %zu characters, a minisign %s has %zu (truncated or padded file?)",
		                 name, key->len, what, want);
	if (esc_b64_decode(key->s, key->len, blob, blob_len) != (long)blob_len)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: the key line is not valid base64 (corrupt key file)", name);
	if (memcmp(blob, "Ed", 2) != 0)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s: key algorithm is not Ed25519 (\"Ed\"): not a minisign %s", name, what);
	return ESCROW_OK;
}

escrow_status esc_pubkey_parse_named(escrow_ctx *ctx, const char *name, const char *text, size_t len,
                                     escrow_pubkey **out)
{
	uint8_t blob[ESC_MPUB_BLOB];
	struct esc_mline key;
	escrow_pubkey *pk;
	escrow_status st;

	*out = NULL;
	st = esc_key_kind_check(ctx, name, text, len, ESC_WANT_MINISIGN_PUB);
	if (st == ESCROW_OK)
		st = split_key_file(ctx, name, text, len, true, &key);
	if (st != ESCROW_OK)
		return st;
	st = decode_key_line(ctx, name, &key, blob, sizeof blob, "public key");
	if (st != ESCROW_OK)
		return st;
	pk = malloc(sizeof *pk);
	if (pk == NULL)
		return esc_nomem(ctx);
	memcpy(pk->id, blob + 2, ESC_MKEYID_LEN);
	memcpy(pk->pk, blob + 2 + ESC_MKEYID_LEN, 32);
	pk->file = NULL;
	*out = pk;
	return ESCROW_OK;
}

escrow_status escrow_pubkey_parse(escrow_ctx *ctx, const char *text, size_t len, escrow_pubkey **out)
{
	if (out == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_pubkey_parse: out is NULL");
	*out = NULL;
	if (text == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_pubkey_parse: text is NULL");
	return esc_pubkey_parse_named(ctx, "public key", text, len, out);
}

escrow_status escrow_pubkey_load(escrow_ctx *ctx, const char *path, escrow_pubkey **out)
{
	char *text = NULL;
	size_t len = 0;
	escrow_status st;

	if (out == NULL || path == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_pubkey_load: path or out is NULL");
	*out = NULL;
	st = esc_read_small_file(ctx, path, ESC_MKEY_MAX, &text, &len);
	if (st == ESCROW_E_INPUT)
		return esc_error(ctx, st, "%s: larger than %d bytes, not a minisign public key", path, ESC_MKEY_MAX);
	if (st != ESCROW_OK)
		return st;
	st = esc_pubkey_parse_named(ctx, path, text, len, out);
	free(text);
	if (st == ESCROW_OK && ((*out)->file = strdup(path)) == NULL) {
		escrow_pubkey_free(*out);
		*out = NULL;
		return esc_nomem(ctx);
	}
	return st;
}

void escrow_pubkey_free(escrow_pubkey *pk)
{
	if (pk != NULL)
		free(pk->file);
	free(pk);
}

void escrow_pubkey_id(const escrow_pubkey *pk, char out[17])
{
	esc_mkeyid_hex(pk->id, out);
}

static void seckey_chk(const uint8_t *id, const uint8_t *sk, uint8_t chk[32])
{
	crypto_generichash_state hs;

	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&hs, id, ESC_MKEYID_LEN);
	crypto_generichash_update(&hs, sk, 64);
	crypto_generichash_final(&hs, chk, 32);
	sodium_memzero(&hs, sizeof hs);
}

/* Decrypts (for "Sc") and checks a decoded secret key blob in place. */
static escrow_status open_blob(escrow_ctx *ctx, const char *name, uint8_t *blob, const char *passphrase)
{
	static const uint8_t zero[32];
	uint8_t *stream = NULL, *chk = NULL;
	bool encrypted = memcmp(blob + SK_KDFALG, "Sc", 2) == 0;
	escrow_status st = ESCROW_OK;
	size_t i;

	if (!encrypted && memcmp(blob + SK_KDFALG, "\0\0", 2) != 0)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s: unknown key derivation (neither scrypt \"Sc\" nor none): not a minisign secret key", name);
	if (memcmp(blob + SK_CHKALG, "B2", 2) != 0)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s: unknown checksum algorithm (not BLAKE2b \"B2\"): not a minisign secret key", name);
	stream = sodium_malloc(SK_KEYNUM_LEN);
	chk = sodium_malloc(32);
	if (stream == NULL || chk == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	if (encrypted) {
		uint64_t ops = le64(blob + SK_OPS), mem = le64(blob + SK_MEM);

		if (passphrase == NULL) {
			st = esc_error(ctx, ESCROW_E_NEED_PASSPHRASE, "%s: the secret key is encrypted and needs its passphrase",
			               name);
			goto out;
		}
		if (ops > KDF_OPS_MAX || mem > KDF_MEM_MAX || mem > SIZE_MAX) {
			st = esc_error(ctx, ESCROW_E_INPUT,
			               "%s: scrypt limits (opslimit %llu, memlimit %llu) are beyond any minisign key (corrupt file?)",
			               name, (unsigned long long)ops, (unsigned long long)mem);
			goto out;
		}
		/* scrypt takes seconds: say so before, not after. */
		esc_progress_ex(ctx, ESCROW_PHASE_UNLOCK | ESCROW_PROGRESS_END, name, 0, ESCROW_UNKNOWN, 0, ESCROW_UNKNOWN);
		if (crypto_pwhash_scryptsalsa208sha256(stream, SK_KEYNUM_LEN, passphrase, strlen(passphrase),
		                                       blob + SK_SALT, ops, (size_t)mem) != 0) {
			st = esc_error(ctx, ESCROW_E_NOMEM, "%s: scrypt could not get %llu bytes of memory", name,
			               (unsigned long long)mem);
			goto out;
		}
		for (i = 0; i < SK_KEYNUM_LEN; i++)
			blob[SK_KEYNUM + i] ^= stream[i];
	}
	seckey_chk(blob + SK_KEYNUM, blob + SK_SK, chk);
	/* minisign -G -W (0.11) writes an all-zero checksum; the seed/public key
	 * check below still catches a corrupt unencrypted key. */
	if (sodium_memcmp(chk, blob + SK_CHK, 32) != 0 &&
	    (encrypted || sodium_memcmp(zero, blob + SK_CHK, 32) != 0)) {
		if (encrypted)
			st = esc_error(ctx, ESCROW_E_PASSPHRASE, "%s: wrong passphrase for this secret key", name);
		else
			st = esc_error(ctx, ESCROW_E_INPUT, "%s: checksum mismatch: the secret key is corrupt", name);
		goto out;
	}
	{
		uint8_t pk[32];

		crypto_sign_seed_keypair(pk, stream, blob + SK_SK);
		if (sodium_memcmp(pk, blob + SK_SK + 32, 32) != 0)
			st = esc_error(ctx, ESCROW_E_INPUT,
			               "%s: the public half does not match the secret seed: the secret key is corrupt", name);
	}
out:
	sodium_free(stream);
	sodium_free(chk);
	return st;
}

escrow_status esc_seckey_parse(escrow_ctx *ctx, const char *name, const char *text, size_t len,
                               const char *passphrase, escrow_seckey **out)
{
	uint8_t *blob = NULL;
	escrow_seckey *sk = NULL;
	struct esc_mline key;
	escrow_status st;

	*out = NULL;
	st = esc_key_kind_check(ctx, name, text, len, ESC_WANT_MINISIGN_SEC);
	if (st == ESCROW_OK)
		st = split_key_file(ctx, name, text, len, false, &key);
	if (st != ESCROW_OK)
		return st;
	blob = sodium_malloc(ESC_MSEC_BLOB);
	if (blob == NULL)
		return esc_nomem(ctx);
	st = decode_key_line(ctx, name, &key, blob, ESC_MSEC_BLOB, "secret key");
	if (st != ESCROW_OK)
		goto out;
	st = open_blob(ctx, name, blob, passphrase);
	if (st != ESCROW_OK)
		goto out;
	sk = sodium_malloc(sizeof *sk);
	if (sk == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	memcpy(sk->id, blob + SK_KEYNUM, ESC_MKEYID_LEN);
	memcpy(sk->sk, blob + SK_SK, 64);
	*out = sk;
out:
	sodium_free(blob);
	return st;
}

escrow_status escrow_seckey_load(escrow_ctx *ctx, const char *path, const char *passphrase, escrow_seckey **out)
{
	char *text = NULL;
	size_t len = 0;
	escrow_status st;

	if (out == NULL || path == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_seckey_load: path or out is NULL");
	*out = NULL;
	/* Sodium memory: the text of an unencrypted key is the key. */
	st = esc_read_secret_file(ctx, path, ESC_MKEY_MAX, "a minisign secret key", &text, &len);
	if (st != ESCROW_OK)
		return st;
	st = esc_seckey_parse(ctx, path, text, len, passphrase, out);
	sodium_free(text);
	return st;
}

escrow_status escrow_seckey_parse(escrow_ctx *ctx, const char *name, const char *text, size_t len,
                                  const char *passphrase, escrow_seckey **out)
{
	if (out == NULL || text == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_seckey_parse: text or out is NULL");
	*out = NULL;
	if (len > ESC_MKEY_MAX)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: too long for a minisign secret key", name ? name : "key");
	return esc_seckey_parse(ctx, name ? name : "secret key", text, len, passphrase, out);
}

void escrow_seckey_free(escrow_seckey *sk)
{
	if (sk != NULL)
		sodium_free(sk);
}

void escrow_seckey_id(const escrow_seckey *sk, char out[17])
{
	esc_mkeyid_hex(sk->id, out);
}
