/* fuzz_minisign.c -- the minisign parsers: public key, secret key (no
 * passphrase, so no scrypt), signature, and base64. The first byte picks the
 * parser; the rest is the input. */
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

/* The key that made the signature seeds in corpus/fuzz_minisign/. */
static const char fixed_pub[] = "untrusted comment: minisign public key 3E4D47EE7945019B\n"
                                "RWSbAUV57kdNPrjFHNbk4SRhJ1BsXcPRzSqOc7olLalZwq1RVh1dccyS\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static escrow_ctx *ctx;
	static escrow_pubkey *pk;
	const char *text = (const char *)data + 1;
	size_t len = size ? size - 1 : 0;

	if (ctx == NULL) {
		if (escrow_init() != ESCROW_OK)
			abort();
		ctx = escrow_ctx_new();
		if (escrow_pubkey_parse(ctx, fixed_pub, strlen(fixed_pub), &pk) != ESCROW_OK)
			abort();
	}
	if (size == 0)
		return 0;
	switch (data[0] % 4) {
	case 0: {
		escrow_pubkey *p = NULL;

		if ((escrow_pubkey_parse(ctx, text, len, &p) == ESCROW_OK) != (p != NULL))
			abort();
		escrow_pubkey_free(p);
		break;
	}
	case 1: {
		escrow_seckey *s = NULL;
		escrow_status st = esc_seckey_parse(ctx, "fuzz.key", text, len, NULL, &s);

		if ((st == ESCROW_OK) != (s != NULL))
			abort();
		escrow_seckey_free(s);
		break;
	}
	case 2: {
		char *tc = NULL;
		escrow_status st = escrow_verify_buffer(ctx, pk, "data", 4, text, len, &tc);

		if ((st == ESCROW_OK) != (tc != NULL))
			abort();
		free(tc);
		break;
	}
	default: {
		/* Strict base64: whatever decodes must re-encode to the same text. */
		uint8_t *bin = malloc(len + 1);
		char *again = malloc(len + 8);
		long n = esc_b64_decode(text, len, bin, len);

		if (n >= 0) {
			esc_b64_encode(bin, (size_t)n, again);
			if (strlen(again) != len || memcmp(again, text, len) != 0)
				abort();
		}
		free(bin);
		free(again);
		break;
	}
	}
	return 0;
}
