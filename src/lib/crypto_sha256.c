/* crypto_sha256.c -- SHA-256 through OpenSSL EVP, which uses SHA-NI where present
 * (about 4x libsodium's portable code on these machines). */
#include "escrow_private.h"

#include <openssl/evp.h>
#include <stdlib.h>

struct esc_sha256 {
	EVP_MD_CTX *md;
};

esc_sha256 *esc_sha256_new(void)
{
	esc_sha256 *h = calloc(1, sizeof *h);

	if (h == NULL)
		return NULL;
	h->md = EVP_MD_CTX_new();
	if (h->md == NULL || EVP_DigestInit_ex(h->md, EVP_sha256(), NULL) != 1) {
		esc_sha256_free(h);
		return NULL;
	}
	return h;
}

/* With no type, EVP keeps the digest it fetched in esc_sha256_new: passing
 * EVP_sha256() again fetches it anew each time (half the cost of hashing a
 * small file, a million times per million-file bundle). */
void esc_sha256_reset(esc_sha256 *h)
{
	if (EVP_DigestInit_ex(h->md, NULL, NULL) != 1)
		(void)EVP_DigestInit_ex(h->md, EVP_sha256(), NULL);
}

void esc_sha256_update(esc_sha256 *h, const void *buf, size_t len)
{
	if (len > 0)
		(void)EVP_DigestUpdate(h->md, buf, len);
}

void esc_sha256_final(esc_sha256 *h, uint8_t out[32])
{
	unsigned int n = 32;

	(void)EVP_DigestFinal_ex(h->md, out, &n);
}

void esc_sha256_free(esc_sha256 *h)
{
	if (h == NULL)
		return;
	EVP_MD_CTX_free(h->md);
	free(h);
}

void esc_sha256_buf(const void *buf, size_t len, uint8_t out[32])
{
	unsigned int n = 32;

	(void)EVP_Digest(buf, len, out, &n, EVP_sha256(), NULL);
}

void esc_hex(const uint8_t *bin, size_t len, char *out)
{
	static const char digits[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < len; i++) {
		out[2 * i] = digits[bin[i] >> 4];
		out[2 * i + 1] = digits[bin[i] & 15];
	}
	out[2 * len] = '\0';
}

int esc_hex_digit(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int esc_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t outlen)
{
	size_t i;

	if (hexlen != 2 * outlen)
		return -1;
	for (i = 0; i < outlen; i++) {
		int hi = esc_hex_digit((unsigned char)hex[2 * i]), lo = esc_hex_digit((unsigned char)hex[2 * i + 1]);

		if (hi < 0 || lo < 0)
			return -1;
		out[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}
