/* minisign_keygen.c -- escrow_keygen: a minisign key pair (PREFIX.key, PREFIX.pub). */
#include "escrow_private.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* minisign protects keys with scrypt at the _SENSITIVE limits. */
static uint64_t kdf_ops = crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE;
static uint64_t kdf_mem = crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE;

void esc_mkey_set_kdf_limits(uint64_t opslimit, uint64_t memlimit)
{
	kdf_ops = opslimit ? opslimit : crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_SENSITIVE;
	kdf_mem = memlimit ? memlimit : crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_SENSITIVE;
}

static void put_le64(uint8_t *p, uint64_t v)
{
	int i;

	for (i = 0; i < 8; i++)
		p[i] = (uint8_t)(v >> (8 * i));
}

/* Builds the 158-byte secret blob (minisign's SeckeyStruct) in place. */
static escrow_status seal_blob(escrow_ctx *ctx, uint8_t *blob, const uint8_t *id, const uint8_t *sk,
                               const char *passphrase)
{
	uint8_t *keynum = blob + 54, *stream = NULL;
	crypto_generichash_state hs;
	size_t i;

	memset(blob, 0, ESC_MSEC_BLOB);
	memcpy(blob, "Ed", 2);
	memcpy(blob + 4, "B2", 2);
	memcpy(keynum, id, ESC_MKEYID_LEN);
	memcpy(keynum + ESC_MKEYID_LEN, sk, 64);
	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&hs, id, ESC_MKEYID_LEN);
	crypto_generichash_update(&hs, sk, 64);
	crypto_generichash_final(&hs, keynum + ESC_MKEYID_LEN + 64, 32);
	sodium_memzero(&hs, sizeof hs);
	if (passphrase == NULL)
		return ESCROW_OK;
	memcpy(blob + 2, "Sc", 2);
	randombytes_buf(blob + 6, 32);
	put_le64(blob + 38, kdf_ops);
	put_le64(blob + 46, kdf_mem);
	stream = sodium_malloc(ESC_MKEYID_LEN + 64 + 32);
	if (stream == NULL)
		return esc_nomem(ctx);
	if (crypto_pwhash_scryptsalsa208sha256(stream, ESC_MKEYID_LEN + 64 + 32, passphrase, strlen(passphrase),
	                                       blob + 6, kdf_ops, (size_t)kdf_mem) != 0) {
		sodium_free(stream);
		return esc_error(ctx, ESCROW_E_NOMEM, "scrypt could not get %llu bytes of memory",
		                 (unsigned long long)kdf_mem);
	}
	for (i = 0; i < ESC_MKEYID_LEN + 64 + 32; i++)
		keynum[i] ^= stream[i];
	sodium_free(stream);
	return ESCROW_OK;
}

escrow_status escrow_keygen(escrow_ctx *ctx, const char *prefix, const char *passphrase, unsigned flags)
{
	static const char sec_comment[] = "untrusted comment: minisign encrypted secret key\n";
	static const char sec_plain_comment[] = "untrusted comment: minisign unencrypted secret key\n";
	char *key_path = NULL, *pub_path = NULL;
	char *sec_text = NULL, pub_text[200], idhex[17];
	uint8_t *blob = NULL, *sk = NULL, id[ESC_MKEYID_LEN], pubblob[ESC_MPUB_BLOB];
	escrow_status st;
	struct stat sb;
	size_t n;

	if (prefix == NULL || *prefix == '\0')
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_keygen: empty output prefix");
	key_path = esc_strf("%s.key", prefix);
	pub_path = esc_strf("%s.pub", prefix);
	blob = sodium_malloc(ESC_MSEC_BLOB);
	sk = sodium_malloc(64);
	sec_text = sodium_malloc(sizeof sec_plain_comment + esc_b64_encoded_len(ESC_MSEC_BLOB) + 2);
	if (key_path == NULL || pub_path == NULL || blob == NULL || sk == NULL || sec_text == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	/* Refuse before writing either file, so a refusal never leaves half a pair. */
	if (!(flags & ESCROW_FORCE)) {
		const char *which = lstat(key_path, &sb) == 0 ? key_path : lstat(pub_path, &sb) == 0 ? pub_path : NULL;

		if (which != NULL) {
			st = esc_error(ctx, ESCROW_E_EXISTS, "%s: already exists (use --force to replace the key pair)", which);
			goto out;
		}
	}
	crypto_sign_keypair(pubblob + 2 + ESC_MKEYID_LEN, sk);
	randombytes_buf(id, sizeof id);
	memcpy(pubblob, "Ed", 2);
	memcpy(pubblob + 2, id, sizeof id);
	st = seal_blob(ctx, blob, id, sk, passphrase);
	if (st != ESCROW_OK)
		goto out;
	n = strlen(passphrase ? sec_comment : sec_plain_comment);
	memcpy(sec_text, passphrase ? sec_comment : sec_plain_comment, n); /* fits: the longer of the two */
	esc_b64_encode(blob, ESC_MSEC_BLOB, sec_text + n);
	strcat(sec_text + n, "\n");
	esc_mkeyid_hex(id, idhex);
	n = (size_t)snprintf(pub_text, sizeof pub_text, "untrusted comment: minisign public key %s\n", idhex);
	esc_b64_encode(pubblob, sizeof pubblob, pub_text + n);
	strcat(pub_text + n, "\n");

	st = esc_write_key_pair(ctx, key_path, sec_text, strlen(sec_text), pub_path, pub_text, strlen(pub_text),
	                        flags);
out:
	free(key_path);
	free(pub_path);
	sodium_free(blob);
	sodium_free(sk);
	sodium_free(sec_text);
	return st;
}
