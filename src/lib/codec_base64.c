/* codec_base64.c -- standard base64 for both key formats: with '=' padding as
 * minisign writes it, without as age does. One codec, libsodium's, which
 * runs in constant time (key material goes through here). Decoding accepts
 * only the canonical encoding, so the bytes read are the bytes signed or
 * MACed. */
#include "escrow_private.h"

#include <limits.h>
#include <sodium.h>

/* Constant-time with respect to the alphabet: key material goes through
 * here. -1 for a byte outside it. */
static int b64_value(unsigned char c)
{
	int v = -1;

	v += (((64 - c) & (c - 91)) >> 8 & 1) * (c - 64);       /* A-Z: 0..25 */
	v += (((96 - c) & (c - 123)) >> 8 & 1) * (c - 70);      /* a-z: 26..51 */
	v += (((47 - c) & (c - 58)) >> 8 & 1) * (c + 5);        /* 0-9: 52..61 */
	v += (((42 - c) & (c - 44)) >> 8 & 1) * 63;             /* '+': 62 */
	v += (((46 - c) & (c - 48)) >> 8 & 1) * 64;             /* '/': 63 */
	return v;
}

static int decode(int variant, const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen)
{
	int bad = 0;
	size_t i;

	/* libsodium 1.0.18 reads the input as plain char: on a signed-char
	 * machine some bytes above 0x7f pass as digits. Check the alphabet
	 * first, without a branch on the key's characters. */
	for (i = 0; i < inlen; i++)
		bad |= (b64_value((unsigned char)in[i]) < 0) & (in[i] != '=');
	/* With b64_end NULL, libsodium rejects any stray character, missing,
	 * misplaced or (unpadded) any '=' padding, and leftover bits that are
	 * not zero. */
	if (bad || sodium_base642bin(out, outmax, in, inlen, NULL, outlen, NULL, variant) != 0) {
		sodium_memzero(out, outmax);
		return -1;
	}
	return 0;
}

size_t esc_b64_encoded_len(size_t binlen)
{
	return (binlen + 2) / 3 * 4;
}

void esc_b64_encode(const uint8_t *bin, size_t len, char *out)
{
	sodium_bin2base64(out, sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL), bin, len,
	                  sodium_base64_VARIANT_ORIGINAL);
}

long esc_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax)
{
	size_t n = 0;

	if (inlen == 0 || inlen > (size_t)LONG_MAX)
		return -1;
	if (decode(sodium_base64_VARIANT_ORIGINAL, in, inlen, out, outmax, &n) != 0)
		return -1;
	return (long)n;
}

int esc_age_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen)
{
	return decode(sodium_base64_VARIANT_ORIGINAL_NO_PADDING, in, inlen, out, outmax, outlen);
}

void esc_age_b64_encode(const uint8_t *bin, size_t len, char *out)
{
	sodium_bin2base64(out, sodium_base64_ENCODED_LEN(len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING), bin,
	                  len, sodium_base64_VARIANT_ORIGINAL_NO_PADDING);
}
