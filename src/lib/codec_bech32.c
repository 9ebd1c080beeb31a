/* codec_bech32.c -- Bech32 (BIP173) as age uses it: the original checksum
 * constant (not Bech32m) and, unlike BIP173, no 90-character limit. */
#include "escrow_private.h"

#include <string.h>

static const char charset[] = "qpzry9x8gf2tvdw0s3jn54khce6mua7l";

static uint32_t polymod_step(uint32_t chk, uint8_t v)
{
	static const uint32_t gen[5] = {0x3b6a57b2u, 0x26508e6du, 0x1ea119fau, 0x3d4233ddu, 0x2a1462b3u};
	uint8_t top = (uint8_t)(chk >> 25);
	int i;

	chk = ((chk & 0x1ffffffu) << 5) ^ v;
	for (i = 0; i < 5; i++)
		if ((top >> i) & 1)
			chk ^= gen[i];
	return chk;
}

static char lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

static uint32_t hrp_polymod(const char *hrp, size_t n)
{
	uint32_t chk = 1;
	size_t i;

	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (uint8_t)(lower(hrp[i]) >> 5));
	chk = polymod_step(chk, 0);
	for (i = 0; i < n; i++)
		chk = polymod_step(chk, (uint8_t)(lower(hrp[i]) & 31));
	return chk;
}

int esc_bech32_encode(char *out, size_t outmax, const char *hrp, const uint8_t *data, size_t len,
                      int upper)
{
	size_t hlen = strlen(hrp), n5 = (len * 8 + 4) / 5, need = hlen + 1 + n5 + 6 + 1, o = 0, i;
	uint32_t chk, acc = 0;
	int bits = 0;

	if (hlen == 0 || outmax < need)
		return -1;
	for (i = 0; i < hlen; i++) {
		if (hrp[i] < 33 || hrp[i] > 126)
			return -1;
		out[o++] = upper ? hrp[i] : lower(hrp[i]);
	}
	out[o++] = '1';
	chk = hrp_polymod(hrp, hlen);
	for (i = 0; i < len || bits > 0;) {
		uint8_t v;

		if (bits < 5 && i < len) {
			acc = (acc << 8) | data[i++];
			bits += 8;
		}
		if (bits >= 5) {
			v = (uint8_t)((acc >> (bits - 5)) & 31);
			bits -= 5;
		} else {
			v = (uint8_t)((acc << (5 - bits)) & 31); /* zero-padded tail */
			bits = 0;
		}
		chk = polymod_step(chk, v);
		out[o++] = charset[v];
	}
	for (i = 0; i < 6; i++)
		chk = polymod_step(chk, 0);
	chk ^= 1;
	for (i = 0; i < 6; i++)
		out[o++] = charset[(chk >> (5 * (5 - i))) & 31];
	out[o] = '\0';
	if (upper)
		for (i = hlen; i < o; i++)
			if (out[i] >= 'a' && out[i] <= 'z')
				out[i] = (char)(out[i] - 'a' + 'A');
	return 0;
}

static int charset_rev(char c)
{
	const char *p;

	c = lower(c);
	if (c == '\0')
		return -1;
	p = strchr(charset, c);
	return p ? (int)(p - charset) : -1;
}

long esc_bech32_decode(const char *s, size_t slen, size_t max_len, char *hrp, size_t hrpmax,
                       uint8_t *data, size_t datamax)
{
	size_t sep = 0, i, o = 0;
	int has_lower = 0, has_upper = 0, bits = 0;
	uint32_t chk, acc = 0;

	if (max_len != 0 && slen > max_len)
		return -1;
	for (i = 0; i < slen; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < 33 || c > 126)
			return -1;
		if (c >= 'a' && c <= 'z')
			has_lower = 1;
		if (c >= 'A' && c <= 'Z')
			has_upper = 1;
		if (c == '1')
			sep = i;
	}
	if (has_lower && has_upper)
		return -1;
	/* The separator is the last '1'; the hrp is not empty, the checksum has 6 characters. */
	if (sep == 0 || s[sep] != '1' || sep + 7 > slen || sep + 1 > hrpmax)
		return -1;
	memcpy(hrp, s, sep);
	hrp[sep] = '\0';
	chk = hrp_polymod(s, sep);
	for (i = sep + 1; i < slen; i++) {
		int v = charset_rev(s[i]);

		if (v < 0)
			return -1;
		chk = polymod_step(chk, (uint8_t)v);
		if (i + 6 >= slen)
			continue; /* checksum characters */
		if (data == NULL) {
			o++;
			continue;
		}
		acc = ((acc << 5) | (uint32_t)v) & 0xfffu;
		bits += 5;
		if (bits >= 8) {
			bits -= 8;
			if (o >= datamax)
				return -1;
			data[o++] = (uint8_t)(acc >> bits);
		}
	}
	if (chk != 1)
		return -1;
	if (data == NULL)
		return (long)o;
	/* Leftover padding must be short and zero (canonical encoding). */
	if (bits >= 5 || (acc & ((1u << bits) - 1u)) != 0)
		return -1;
	return (long)o;
}
