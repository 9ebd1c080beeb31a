/* crypto_bulk.c -- the two primitives that run over every byte of a sealed
 * bundle: ChaCha20-Poly1305 IETF (age STREAM chunks) and unkeyed BLAKE2b-512
 * (minisign's prehash), through OpenSSL's libcrypto, already linked for
 * SHA-256. The algorithms are the ones libsodium implements, byte for byte;
 * libcrypto's code is faster on these machines (one core, 64 KiB chunks):
 * ChaCha20-Poly1305 3.9 GB/s against 1.0-1.3, BLAKE2b-512 1.1-1.2 GB/s
 * against 0.63-0.67. Everything else (X25519, Ed25519, HKDF, the header's
 * MAC and stanzas, scrypt, secure memory) stays with libsodium.
 *
 * A libcrypto that does not offer them (FIPS mode: neither is an approved
 * algorithm) gets libsodium's, same bytes at libsodium's speed.
 *
 * Key hygiene: the caller's payload key stays in sodium_malloc memory. With
 * libcrypto, the cipher context holds a copy in ordinary heap memory for the
 * life of the stream, cleared by libcrypto when the context is freed; with
 * libsodium the copy is in sodium_malloc memory. */
#include "escrow_private.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

bool esc_bulk_force_sodium;

struct esc_blake2b {
	crypto_generichash_state hs; /* the fallback; first: 64-byte alignment */
	EVP_MD_CTX *md;              /* NULL: libsodium */
	bool failed;
};

esc_blake2b *esc_blake2b_new(void)
{
	esc_blake2b *h = aligned_alloc(64, (sizeof *h + 63) / 64 * 64);

	if (h == NULL)
		return NULL;
	memset(h, 0, sizeof *h);
	h->md = esc_bulk_force_sodium ? NULL : EVP_MD_CTX_new();
	if (h->md != NULL && EVP_DigestInit_ex(h->md, EVP_blake2b512(), NULL) != 1) {
		EVP_MD_CTX_free(h->md);
		h->md = NULL;
	}
	if (h->md == NULL && crypto_generichash_init(&h->hs, NULL, 0, 64) != 0) {
		free(h);
		return NULL;
	}
	return h;
}

void esc_blake2b_update(esc_blake2b *h, const void *buf, size_t len)
{
	if (len == 0 || h->failed)
		return;
	if (h->md != NULL ? EVP_DigestUpdate(h->md, buf, len) != 1
	                  : crypto_generichash_update(&h->hs, buf, len) != 0)
		h->failed = true;
}

int esc_blake2b_final(esc_blake2b *h, uint8_t out[64])
{
	unsigned int n = 64;
	int ok;

	if (h->failed)
		ok = 0;
	else if (h->md != NULL)
		ok = EVP_DigestFinal_ex(h->md, out, &n) == 1 && n == 64;
	else
		ok = crypto_generichash_final(&h->hs, out, 64) == 0;
	h->failed = true; /* once */
	if (!ok)
		memset(out, 0, 64);
	return ok ? 0 : -1;
}

void esc_blake2b_free(esc_blake2b *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

struct esc_aead {
	EVP_CIPHER_CTX *c;           /* NULL: libsodium, with key */
	uint8_t *key;                /* sodium memory */
	int encrypt;
};

esc_aead *esc_aead_new(const uint8_t key[32], int encrypt)
{
	esc_aead *a = calloc(1, sizeof *a);

	if (a == NULL)
		return NULL;
	a->encrypt = encrypt;
	a->c = esc_bulk_force_sodium ? NULL : EVP_CIPHER_CTX_new();
	if (a->c != NULL && EVP_CipherInit_ex(a->c, EVP_chacha20_poly1305(), NULL, key, NULL, encrypt) == 1)
		return a;
	EVP_CIPHER_CTX_free(a->c);
	a->c = NULL;
	a->key = sodium_malloc(32);
	if (a->key == NULL) {
		free(a);
		return NULL;
	}
	memcpy(a->key, key, 32);
	return a;
}

int esc_aead_seal(esc_aead *a, uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12])
{
	int n = 0, m = 0;

	if (!a->encrypt || len > INT32_MAX)
		return -1;
	if (a->c == NULL)
		return crypto_aead_chacha20poly1305_ietf_encrypt(out, NULL, in, len, NULL, 0, NULL, nonce, a->key);
	if (EVP_CipherInit_ex(a->c, NULL, NULL, NULL, nonce, 1) != 1 ||
	    (len > 0 && EVP_CipherUpdate(a->c, out, &n, in, (int)len) != 1) ||
	    EVP_CipherFinal_ex(a->c, out + n, &m) != 1 || (size_t)(n + m) != len ||
	    EVP_CIPHER_CTX_ctrl(a->c, EVP_CTRL_AEAD_GET_TAG, 16, out + len) != 1)
		return -1;
	return 0;
}

int esc_aead_open(esc_aead *a, uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12])
{
	uint8_t tag[16];
	int n = 0, m = 0, ok;

	if (a->encrypt || len < 16 || len - 16 > INT32_MAX)
		return -1;
	if (a->c == NULL) /* libsodium checks the tag first, in constant time */
		return crypto_aead_chacha20poly1305_ietf_decrypt(out, NULL, NULL, in, len, NULL, 0, nonce, a->key);
	len -= 16;
	memcpy(tag, in + len, 16);
	ok = EVP_CipherInit_ex(a->c, NULL, NULL, NULL, nonce, 0) == 1 &&
	     EVP_CIPHER_CTX_ctrl(a->c, EVP_CTRL_AEAD_SET_TAG, 16, tag) == 1 &&
	     (len == 0 || EVP_CipherUpdate(a->c, out, &n, in, (int)len) == 1) &&
	     /* libcrypto compares the tag in constant time (CRYPTO_memcmp) */
	     EVP_CipherFinal_ex(a->c, out + n, &m) == 1 && (size_t)(n + m) == len;
	if (!ok) {
		/* plaintext of a chunk that does not authenticate never leaves */
		sodium_memzero(out, len);
		return -1;
	}
	return 0;
}

void esc_aead_free(esc_aead *a)
{
	if (a == NULL)
		return;
	EVP_CIPHER_CTX_free(a->c);
	sodium_free(a->key);
	free(a);
}
