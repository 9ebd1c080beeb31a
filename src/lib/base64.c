/* base64.c -- standard base64 with '=' padding, as minisign writes it. */
#include "escrow_private.h"

#include <limits.h>
#include <sodium.h>
#include <string.h>

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

size_t esc_b64_encoded_len(size_t binlen)
{
	return (binlen + 2) / 3 * 4;
}

void esc_b64_encode(const uint8_t *bin, size_t len, char *out)
{
	size_t i = 0;

	while (len - i >= 3) {
		uint32_t v = (uint32_t)bin[i] << 16 | (uint32_t)bin[i + 1] << 8 | bin[i + 2];

		*out++ = b64_alphabet[v >> 18];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = b64_alphabet[(v >> 6) & 63];
		*out++ = b64_alphabet[v & 63];
		i += 3;
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)bin[i] << 16;

		*out++ = b64_alphabet[v >> 18];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = '=';
		*out++ = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)bin[i] << 16 | (uint32_t)bin[i + 1] << 8;

		*out++ = b64_alphabet[v >> 18];
		*out++ = b64_alphabet[(v >> 12) & 63];
		*out++ = b64_alphabet[(v >> 6) & 63];
		*out++ = '=';
	}
	*out = '\0';
}

/* Constant-time with respect to the alphabet: key material goes through here. */
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

long esc_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax)
{
	size_t pad = 0, outlen, i, o = 0;
	int bad = 0;

	if (inlen == 0 || inlen % 4 != 0 || inlen > (size_t)LONG_MAX / 3 * 4 / 2)
		return -1;
	if (in[inlen - 1] == '=')
		pad++;
	if (in[inlen - 2] == '=')
		pad++;
	if (pad == 1 && in[inlen - 2] == '=')
		return -1;
	outlen = inlen / 4 * 3 - pad;
	if (outlen > outmax)
		return -1;
	for (i = 0; i < inlen; i += 4) {
		int a = b64_value((unsigned char)in[i]);
		int b = b64_value((unsigned char)in[i + 1]);
		int c, d;
		uint32_t v;
		bool last = i + 4 == inlen;

		c = (last && pad == 2) ? 0 : b64_value((unsigned char)in[i + 2]);
		d = (last && pad >= 1) ? 0 : b64_value((unsigned char)in[i + 3]);
		bad |= (a | b | c | d) < 0;
		v = (uint32_t)(a & 63) << 18 | (uint32_t)(b & 63) << 12 | (uint32_t)(c & 63) << 6 | (uint32_t)(d & 63);
		if (last && pad == 2) {
			bad |= (v & 0xffff) != 0; /* non-canonical: stray bits under the padding */
			out[o++] = (uint8_t)(v >> 16);
		} else if (last && pad == 1) {
			bad |= (v & 0xff) != 0;
			out[o++] = (uint8_t)(v >> 16);
			out[o++] = (uint8_t)(v >> 8);
		} else {
			out[o++] = (uint8_t)(v >> 16);
			out[o++] = (uint8_t)(v >> 8);
			out[o++] = (uint8_t)v;
		}
	}
	if (bad) {
		sodium_memzero(out, outlen);
		return -1;
	}
	return (long)outlen;
}
