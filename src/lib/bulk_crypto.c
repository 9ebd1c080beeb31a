/* bulk_crypto.c -- the two primitives that run over every byte of a sealed
 * bundle: ChaCha20-Poly1305 IETF (age STREAM chunks) and unkeyed BLAKE2b-512
 * (minisign's prehash), through OpenSSL's libcrypto, already linked for
 * SHA-256. The algorithms are the ones libsodium implements, byte for byte;
 * libcrypto's code is faster on these machines (one core, 64 KiB chunks):
 * ChaCha20-Poly1305 3.9 GB/s against 1.0-1.3, BLAKE2b-512 1.1-1.2 GB/s
 * against 0.63-0.67. Everything else (X25519, Ed25519, HKDF, the header's
 * MAC and stanzas, scrypt, secure memory) stays with libsodium.
 *
 * Key hygiene: the payload key stays in the caller's sodium_malloc memory;
 * the cipher context holds a copy for the life of the stream and libcrypto
 * clears it when the context is freed. */
#include "escrow_private.h"

#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct esc_blake2b {
	EVP_MD_CTX *md;
};

esc_blake2b *esc_blake2b_new(void)
{
	esc_blake2b *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->md = EVP_MD_CTX_new();
	if (h->md == NULL || EVP_DigestInit_ex(h->md, EVP_blake2b512(), NULL) != 1) {
		esc_blake2b_free(h);
		return NULL;
	}
	return h;
}

void esc_blake2b_update(esc_blake2b *h, const void *buf, size_t len)
{
	if (len > 0)
		(void)EVP_DigestUpdate(h->md, buf, len);
}

void esc_blake2b_final(esc_blake2b *h, uint8_t out[64])
{
	unsigned int n = 64;

	(void)EVP_DigestFinal_ex(h->md, out, &n);
}

void esc_blake2b_free(esc_blake2b *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

struct esc_aead {
	EVP_CIPHER_CTX *c;
	int encrypt;
};

esc_aead *esc_aead_new(const uint8_t key[32], int encrypt)
{
	esc_aead *a = calloc(1, sizeof *a);

	if (a == NULL)
		return NULL;
	a->encrypt = encrypt;
	a->c = EVP_CIPHER_CTX_new();
	if (a->c == NULL || EVP_CipherInit_ex(a->c, EVP_chacha20_poly1305(), NULL, key, NULL, encrypt) != 1) {
		esc_aead_free(a);
		return NULL;
	}
	return a;
}

int esc_aead_seal(esc_aead *a, uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12])
{
	int n = 0, m = 0;

	if (!a->encrypt || len > INT32_MAX || EVP_CipherInit_ex(a->c, NULL, NULL, NULL, nonce, 1) != 1 ||
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
	free(a);
}
