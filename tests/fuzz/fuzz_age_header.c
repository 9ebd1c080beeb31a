/* fuzz_age_header.c -- the age header parser, the X25519 unwrap and the
 * STREAM reader over arbitrary bytes, with one fixed identity (the X25519
 * secret key of 32 bytes 0x42).
 *
 * The seeds (tests/fuzz/corpus/fuzz_age_header/) are small files sealed for
 * that identity with stock `age -r`, so that mutations past the header reach
 * the chunk logic instead of stopping at the unwrap or the MAC. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

struct count {
	uint64_t n;
};

static escrow_status count_write(void *state, const void *buf, size_t len)
{
	struct count *c = state;

	(void)buf;
	c->n += len;
	return ESCROW_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static escrow_ctx *ctx;
	static escrow_identities *ids;
	struct esc_age_header h;
	struct count c = {0};
	struct esc_sink sink = {count_write, &c};
	esc_age_reader *r = NULL;
	uint8_t fk[ESC_AGE_FILE_KEY_LEN];
	size_t used = 0, split;
	escrow_status st;

	if (ctx == NULL) {
		uint8_t sk[32];

		if (escrow_init() != ESCROW_OK)
			abort();
		ctx = escrow_ctx_new();
		memset(sk, 0x42, sizeof sk);
		if (ctx == NULL || esc_identities_push(ctx, &ids, sk) != ESCROW_OK)
			abort();
	}

	/* The header alone, in one push. */
	esc_age_header_init(&h, "fuzz");
	st = esc_age_header_push(ctx, &h, data, size, &used);
	if (used > size)
		abort();
	if (st == ESCROW_OK && h.done) {
		if (h.mac_end > h.len || h.len != used)
			abort();
		(void)esc_age_header_open(ctx, &h, ids, fk);
	}
	esc_age_header_clear(&h);

	/* The whole reader, fed in two pieces at a data-chosen point. */
	if (esc_age_reader_new(ctx, ids, sink, &r) != ESCROW_OK)
		abort();
	split = size > 0 ? (size_t)data[size - 1] * 257 % (size + 1) : 0;
	st = esc_age_reader_feed(r, data, split);
	if (st == ESCROW_OK)
		st = esc_age_reader_feed(r, data + split, size - split);
	if (st == ESCROW_OK)
		st = esc_age_reader_finish(r);
	/* Plaintext never exceeds the ciphertext, and a success released it all. */
	if (c.n > size)
		abort();
	esc_age_reader_free(r);
	return 0;
}
