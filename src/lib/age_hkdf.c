/* age_hkdf.c -- HKDF-SHA-256 (RFC 5869). libsodium 1.0.18 has HMAC-SHA-256
 * but its crypto_kdf_hkdf_* API only arrived in 1.0.19. */
#include "escrow_private.h"

#include <sodium.h>
#include <string.h>

void esc_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt, size_t salt_len,
                     const uint8_t *ikm, size_t ikm_len, const char *info, size_t info_len)
{
	static const uint8_t zero_salt[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256_state st;
	uint8_t prk[crypto_auth_hmacsha256_BYTES], t[crypto_auth_hmacsha256_BYTES];
	size_t done = 0, tlen = 0;
	uint8_t counter = 1;

	if (salt == NULL || salt_len == 0) {
		salt = zero_salt;
		salt_len = sizeof zero_salt;
	}
	/* Extract: PRK = HMAC(salt, IKM). */
	crypto_auth_hmacsha256_init(&st, salt, salt_len);
	crypto_auth_hmacsha256_update(&st, ikm, ikm_len);
	crypto_auth_hmacsha256_final(&st, prk);
	/* Expand: T(i) = HMAC(PRK, T(i-1) || info || i). */
	while (done < out_len && counter != 0) {
		size_t take;

		crypto_auth_hmacsha256_init(&st, prk, sizeof prk);
		crypto_auth_hmacsha256_update(&st, t, tlen);
		crypto_auth_hmacsha256_update(&st, (const uint8_t *)info, info_len);
		crypto_auth_hmacsha256_update(&st, &counter, 1);
		crypto_auth_hmacsha256_final(&st, t);
		tlen = sizeof t;
		take = out_len - done < tlen ? out_len - done : tlen;
		memcpy(out + done, t, take);
		done += take;
		counter++;
	}
	sodium_memzero(&st, sizeof st);
	sodium_memzero(prk, sizeof prk);
	sodium_memzero(t, sizeof t);
}
