/* age_stream.c -- age v1 STREAM payload: the encrypting sink and the
 * push-style decryptor. Both hold at most one 64 KiB chunk.
 *
 * Chunk i is ChaCha20-Poly1305 under the payload key with the nonce
 * (11-byte big-endian i || last flag). Only the final chunk may be short, and
 * it is empty only when the whole plaintext is. A reader cannot tell a full
 * final chunk from a middle one by its size, so it tries the middle nonce
 * first and then the final one, as age does. */
#include "escrow_private.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define PAYLOAD_INFO "payload"

static void chunk_nonce(uint8_t n[12], uint64_t counter, int last)
{
	int i;

	memset(n, 0, 12);
	for (i = 0; i < 8; i++)
		n[10 - i] = (uint8_t)(counter >> (8 * i));
	n[11] = last ? 1 : 0;
}

/* ---- writer ------------------------------------------------------------ */

struct esc_age_writer {
	escrow_ctx *ctx;
	struct esc_sink next;
	uint8_t *key;          /* payload key, sodium memory, until aead has it */
	esc_aead *aead;        /* keyed with it (crypto_bulk.c) */
	uint8_t *plain;        /* one chunk of plaintext */
	uint8_t *enc;
	size_t have;
	uint64_t counter;
	int finished;
	escrow_status err;     /* sticky: a failed sink stays failed */
};

static escrow_status emit_from(esc_age_writer *w, const uint8_t *plain, size_t len, int last)
{
	uint8_t nonce[12];
	escrow_status st;

	if (w->counter == UINT64_MAX)
		return w->err = esc_error(w->ctx, ESCROW_E_INPUT, "age: stream longer than 2^64 chunks");
	chunk_nonce(nonce, w->counter, last);
	if (esc_aead_seal(w->aead, w->enc, plain, len, nonce) != 0)
		return w->err = esc_error(w->ctx, ESCROW_E_INTERNAL, "age: ChaCha20-Poly1305 failed");
	w->counter++;
	st = w->next.write(w->next.state, w->enc, len + ESC_AGE_TAG);
	if (st != ESCROW_OK)
		w->err = st;
	return st;
}

static escrow_status emit(esc_age_writer *w, int last)
{
	size_t len = w->have;

	w->have = 0;
	return emit_from(w, w->plain, len, last);
}

escrow_status esc_age_writer_new(escrow_ctx *ctx, const escrow_recipients *rs, struct esc_sink next,
                                 esc_age_writer **out)
{
	esc_age_writer *w = NULL;
	uint8_t *file_key = NULL, *hdr = NULL, nonce[ESC_AGE_NONCE_LEN];
	size_t hlen = 0;
	escrow_status st;

	*out = NULL;
	w = calloc(1, sizeof *w);
	file_key = sodium_malloc(ESC_AGE_FILE_KEY_LEN);
	if (w == NULL || file_key == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	w->ctx = ctx;
	w->next = next;
	w->key = sodium_malloc(32);
	w->plain = malloc(ESC_AGE_CHUNK);
	w->enc = malloc(ESC_AGE_ENC_CHUNK);
	if (w->key == NULL || w->plain == NULL || w->enc == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	randombytes_buf(file_key, ESC_AGE_FILE_KEY_LEN);
	st = esc_age_header_build(ctx, rs, file_key, &hdr, &hlen);
	if (st != ESCROW_OK)
		goto out;
	randombytes_buf(nonce, sizeof nonce);
	esc_hkdf_sha256(w->key, 32, nonce, sizeof nonce, file_key, ESC_AGE_FILE_KEY_LEN, PAYLOAD_INFO,
	                strlen(PAYLOAD_INFO));
	w->aead = esc_aead_new(w->key, 1);
	sodium_free(w->key); /* the cipher context has what it needs */
	w->key = NULL;
	if (w->aead == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	st = next.write(next.state, hdr, hlen);
	if (st == ESCROW_OK)
		st = next.write(next.state, nonce, sizeof nonce);
	if (st != ESCROW_OK)
		goto out;
	*out = w;
	w = NULL;
out:
	sodium_free(file_key);
	free(hdr);
	esc_age_writer_free(w);
	return st;
}

escrow_status esc_age_writer_write(void *state, const void *buf, size_t len)
{
	esc_age_writer *w = state;
	const uint8_t *p = buf;

	if (w->err != ESCROW_OK)
		return w->err;
	if (w->finished)
		return esc_error(w->ctx, ESCROW_E_INTERNAL, "age: write after finish");
	while (len > 0) {
		size_t take;

		/* A full chunk is sealed only once more data shows it is not the last. */
		if (w->have == ESC_AGE_CHUNK) {
			escrow_status st = emit(w, 0);

			if (st != ESCROW_OK)
				return st;
		}
		/* Whole chunks with more data behind them: sealed from the
		 * caller's buffer, without the copy. */
		while (w->have == 0 && len > ESC_AGE_CHUNK) {
			escrow_status st = emit_from(w, p, ESC_AGE_CHUNK, 0);

			if (st != ESCROW_OK)
				return st;
			p += ESC_AGE_CHUNK;
			len -= ESC_AGE_CHUNK;
		}
		take = ESC_AGE_CHUNK - w->have < len ? ESC_AGE_CHUNK - w->have : len;
		memcpy(w->plain + w->have, p, take);
		w->have += take;
		p += take;
		len -= take;
	}
	return ESCROW_OK;
}

escrow_status esc_age_writer_finish(esc_age_writer *w)
{
	escrow_status st;

	if (w->err != ESCROW_OK)
		return w->err;
	if (w->finished)
		return esc_error(w->ctx, ESCROW_E_INTERNAL, "age: finish called twice");
	w->finished = 1;
	st = emit(w, 1);
	sodium_memzero(w->plain, ESC_AGE_CHUNK);
	return st;
}

void esc_age_writer_free(esc_age_writer *w)
{
	if (w == NULL)
		return;
	sodium_free(w->key);
	esc_aead_free(w->aead);
	if (w->plain != NULL)
		sodium_memzero(w->plain, ESC_AGE_CHUNK);
	free(w->plain);
	free(w->enc);
	free(w);
}

/* ---- reader ------------------------------------------------------------ */

enum { R_HEADER, R_NONCE, R_PAYLOAD, R_DONE };

struct esc_age_reader {
	escrow_ctx *ctx;
	const escrow_identities *ids;
	struct esc_sink next;
	struct esc_age_header h;
	int stage;
	uint8_t nonce[ESC_AGE_NONCE_LEN];
	size_t nonce_have;
	uint8_t *key;          /* file key, then payload key (sodium memory), until aead has it */
	esc_aead *aead;        /* keyed with it once the nonce is in */
	uint8_t *enc;          /* the chunk being gathered */
	size_t have;
	uint8_t *plain;
	uint64_t counter;
	int finished;
	escrow_status err;
};

void esc_age_reader_set_name(esc_age_reader *r, const char *name)
{
	r->h.name = name ? name : "age stream";
}

escrow_status esc_age_reader_new(escrow_ctx *ctx, const escrow_identities *ids, struct esc_sink next,
                                 esc_age_reader **out)
{
	esc_age_reader *r = calloc(1, sizeof *r);

	*out = NULL;
	if (r == NULL)
		return esc_nomem(ctx);
	r->ctx = ctx;
	r->ids = ids;
	r->next = next;
	esc_age_header_init(&r->h, "age stream");
	r->key = sodium_malloc(32);
	r->enc = malloc(ESC_AGE_ENC_CHUNK);
	r->plain = malloc(ESC_AGE_CHUNK);
	if (r->key == NULL || r->enc == NULL || r->plain == NULL) {
		esc_age_reader_free(r);
		return esc_nomem(ctx);
	}
	*out = r;
	return ESCROW_OK;
}

static escrow_status fail(esc_age_reader *r, escrow_status st)
{
	r->err = st;
	return st;
}

static escrow_status header_done(esc_age_reader *r)
{
	uint8_t *file_key = sodium_malloc(ESC_AGE_FILE_KEY_LEN);
	escrow_status st;

	if (file_key == NULL)
		return fail(r, esc_nomem(r->ctx));
	st = esc_age_header_open(r->ctx, &r->h, r->ids, file_key);
	if (st == ESCROW_OK) {
		/* The file key is kept only as long as the nonce takes to arrive. */
		memcpy(r->key, file_key, ESC_AGE_FILE_KEY_LEN);
		r->stage = R_NONCE;
	}
	sodium_free(file_key);
	return st == ESCROW_OK ? ESCROW_OK : fail(r, st);
}

/* Opens the chunk at enc (r->have bytes: gathered in r->enc, or whole in the
 * caller's buffer); releases its plaintext only once it authenticates. */
static escrow_status open_chunk(esc_age_reader *r, const uint8_t *enc, int may_be_middle)
{
	uint8_t nonce[12];
	size_t plen;
	int ok = 0, last = 0;
	escrow_status st = ESCROW_OK;

	if (r->have < ESC_AGE_TAG)
		return fail(r, esc_error(r->ctx, ESCROW_TAMPERED, "%s: truncated age payload: chunk %llu has "
		                         "only %zu bytes", r->h.name, (unsigned long long)r->counter, r->have));
	if (r->have == ESC_AGE_TAG && r->counter > 0)
		return fail(r, esc_error(r->ctx, ESCROW_TAMPERED, "%s: corrupt age payload: an empty final chunk "
		                         "after data", r->h.name));
	plen = r->have - ESC_AGE_TAG;
	if (may_be_middle) {
		chunk_nonce(nonce, r->counter, 0);
		ok = esc_aead_open(r->aead, r->plain, enc, r->have, nonce) == 0;
	}
	if (!ok) {
		chunk_nonce(nonce, r->counter, 1);
		ok = esc_aead_open(r->aead, r->plain, enc, r->have, nonce) == 0;
		last = ok;
	}
	if (!ok)
		return fail(r, esc_error(r->ctx, ESCROW_TAMPERED, "%s: age payload chunk %llu does not "
		                         "authenticate (altered or truncated)", r->h.name,
		                         (unsigned long long)r->counter));
	r->counter++;
	r->have = 0;
	if (last)
		r->stage = R_DONE;
	if (plen > 0)
		st = r->next.write(r->next.state, r->plain, plen);
	sodium_memzero(r->plain, plen);
	return st == ESCROW_OK ? ESCROW_OK : fail(r, st);
}

escrow_status esc_age_reader_feed(esc_age_reader *r, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	escrow_status st;

	if (r->err != ESCROW_OK)
		return r->err;
	if (r->finished)
		return fail(r, esc_error(r->ctx, ESCROW_E_INTERNAL, "age: feed after finish"));
	while (len > 0) {
		size_t take;

		switch (r->stage) {
		case R_HEADER:
			st = esc_age_header_push(r->ctx, &r->h, p, len, &take);
			if (st != ESCROW_OK)
				return fail(r, st);
			p += take;
			len -= take;
			if (r->h.done) {
				st = header_done(r);
				if (st != ESCROW_OK)
					return st;
			}
			break;
		case R_NONCE:
			take = ESC_AGE_NONCE_LEN - r->nonce_have < len ? ESC_AGE_NONCE_LEN - r->nonce_have : len;
			memcpy(r->nonce + r->nonce_have, p, take);
			r->nonce_have += take;
			p += take;
			len -= take;
			if (r->nonce_have == ESC_AGE_NONCE_LEN) {
				uint8_t fk[ESC_AGE_FILE_KEY_LEN];

				memcpy(fk, r->key, sizeof fk);
				esc_hkdf_sha256(r->key, 32, r->nonce, sizeof r->nonce, fk, sizeof fk, PAYLOAD_INFO,
				                strlen(PAYLOAD_INFO));
				sodium_memzero(fk, sizeof fk);
				r->aead = esc_aead_new(r->key, 0);
				sodium_free(r->key);
				r->key = NULL;
				if (r->aead == NULL)
					return fail(r, esc_nomem(r->ctx));
				r->stage = R_PAYLOAD;
			}
			break;
		case R_PAYLOAD:
			/* A whole chunk in the caller's buffer is opened where it is. */
			if (r->have == 0 && len >= ESC_AGE_ENC_CHUNK) {
				r->have = ESC_AGE_ENC_CHUNK;
				st = open_chunk(r, p, 1);
				if (st != ESCROW_OK)
					return st;
				p += ESC_AGE_ENC_CHUNK;
				len -= ESC_AGE_ENC_CHUNK;
				break;
			}
			take = ESC_AGE_ENC_CHUNK - r->have < len ? ESC_AGE_ENC_CHUNK - r->have : len;
			memcpy(r->enc + r->have, p, take);
			r->have += take;
			p += take;
			len -= take;
			if (r->have == ESC_AGE_ENC_CHUNK) {
				st = open_chunk(r, r->enc, 1);
				if (st != ESCROW_OK)
					return st;
			}
			break;
		default:
			return fail(r, esc_error(r->ctx, ESCROW_TAMPERED, "%s: data after the final age payload "
			                         "chunk", r->h.name));
		}
	}
	return ESCROW_OK;
}

escrow_status esc_age_reader_finish(esc_age_reader *r)
{
	if (r->err != ESCROW_OK)
		return r->err;
	if (r->finished)
		return ESCROW_OK;
	r->finished = 1;
	switch (r->stage) {
	case R_HEADER:
		return fail(r, esc_error(r->ctx, ESCROW_E_INPUT, r->h.len == 0 ? "%s: empty, not an age file" :
		                         "%s: ends inside the age header (truncated)", r->h.name));
	case R_NONCE:
		return fail(r, esc_error(r->ctx, ESCROW_E_INPUT, "%s: ends before the 16-byte age payload nonce "
		                         "(truncated)", r->h.name));
	case R_PAYLOAD:
		if (r->have == 0)
			return fail(r, esc_error(r->ctx, ESCROW_TAMPERED, r->counter == 0 ?
			                         "%s: the age payload has no chunks (truncated)" :
			                         "%s: the age payload ends without its final chunk (truncated)",
			                         r->h.name));
		return open_chunk(r, r->enc, 0);
	default:
		return ESCROW_OK;
	}
}

void esc_age_reader_free(esc_age_reader *r)
{
	if (r == NULL)
		return;
	esc_age_header_clear(&r->h);
	sodium_free(r->key);
	esc_aead_free(r->aead);
	if (r->plain != NULL)
		sodium_memzero(r->plain, ESC_AGE_CHUNK);
	free(r->plain);
	free(r->enc);
	free(r);
}

int esc_age_detect(const void *buf, size_t len)
{
	static const char magic[] = ESC_AGE_MAGIC;
	size_t n = len < sizeof magic - 1 ? len : sizeof magic - 1;

	return len > 0 && memcmp(buf, magic, n) == 0;
}
