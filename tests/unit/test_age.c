/* test_age.c -- age v1 STREAM writer and reader, forgeries and truncations,
 * header strictness, and rewrap. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_private.h"
#include "memsink.h"
#include "tmpdir.h"

#define CH ESC_AGE_CHUNK
#define ECH ESC_AGE_ENC_CHUNK

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("age");
}

/* A fresh identity and the matching recipient, through the string forms. */
static void new_key(escrow_identities **ids, escrow_recipients **rs)
{
	escrow_ctx *ctx = escrow_ctx_new();
	uint8_t sk[32];
	char r[64];

	randombytes_buf(sk, sizeof sk);
	assert_int_equal(esc_identities_push(ctx, ids, sk), ESCROW_OK);
	esc_age_recipient_string((*ids)->v[(*ids)->n - 1].pk, r);
	assert_int_equal(escrow_recipients_add(ctx, r, rs), ESCROW_OK);
	escrow_ctx_free(ctx);
}

static uint8_t *pattern(size_t len)
{
	uint8_t *p = malloc(len ? len : 1);
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++)
		p[i] = (uint8_t)(i * 131 + (i >> 16) * 7 + 3);
	return p;
}

static void encrypt(const escrow_recipients *rs, const uint8_t *pt, size_t len, size_t step, struct mem *out)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_age_writer *w = NULL;
	size_t off = 0;

	memset(out, 0, sizeof *out);
	assert_int_equal(esc_age_writer_new(ctx, rs, mem_sink(out), &w), ESCROW_OK);
	while (off < len) {
		size_t take = len - off < step ? len - off : step;

		assert_int_equal(esc_age_writer_write(w, pt + off, take), ESCROW_OK);
		off += take;
	}
	assert_int_equal(esc_age_writer_finish(w), ESCROW_OK);
	esc_age_writer_free(w);
	escrow_ctx_free(ctx);
}

/* Decrypts ct fed in pieces of `step`; the plaintext released goes to out. */
static escrow_status decrypt(const escrow_identities *ids, const uint8_t *ct, size_t len, size_t step,
                             struct mem *out)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_age_reader *r = NULL;
	escrow_status st = ESCROW_OK;
	size_t off = 0;

	memset(out, 0, sizeof *out);
	assert_int_equal(esc_age_reader_new(ctx, ids, mem_sink(out), &r), ESCROW_OK);
	while (off < len && st == ESCROW_OK) {
		size_t take = len - off < step ? len - off : step;

		st = esc_age_reader_feed(r, ct + off, take);
		off += take;
	}
	if (st == ESCROW_OK)
		st = esc_age_reader_finish(r);
	/* A failed reader stays failed. */
	if (st != ESCROW_OK)
		assert_int_equal(esc_age_reader_finish(r), st);
	esc_age_reader_free(r);
	escrow_ctx_free(ctx);
	return st;
}

static size_t header_len(const uint8_t *ct, size_t len)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_age_header h;
	size_t used = 0;

	esc_age_header_init(&h, "t");
	assert_int_equal(esc_age_header_push(ctx, &h, ct, len, &used), ESCROW_OK);
	assert_true(h.done);
	esc_age_header_clear(&h);
	escrow_ctx_free(ctx);
	return used;
}

/* crypto_bulk.c: libcrypto's ChaCha20-Poly1305 and BLAKE2b-512 and
 * libsodium's (taken when libcrypto refuses them, as in FIPS mode) are the
 * same functions: same bytes, each opens what the other sealed, both refuse
 * an altered chunk and wipe its plaintext; and whole age streams written on
 * one path read back on the other. */
static void test_bulk_crypto_backends(void **state)
{
	static const size_t lens[] = {0, 1, 15, 16, 17, 1000, 65535, 65536};
	uint8_t key[32], nonce[12], *pt = malloc(65536), *ct[2], *back = malloc(65536), h[2][64], ref[64];
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	struct mem enc, dec;
	size_t i, j;
	int b;

	(void)state;
	ct[0] = malloc(65536 + 16);
	ct[1] = malloc(65536 + 16);
	assert_true(pt && back && ct[0] && ct[1]);
	randombytes_buf(key, sizeof key);
	randombytes_buf(nonce, sizeof nonce);
	randombytes_buf(pt, 65536);
	for (i = 0; i < sizeof lens / sizeof lens[0]; i++) {
		for (b = 0; b < 2; b++) {
			esc_aead *a;

			esc_bulk_force_sodium = b;
			a = esc_aead_new(key, 1);
			assert_non_null(a);
			assert_int_equal(esc_aead_seal(a, ct[b], pt, lens[i], nonce), 0);
			esc_aead_free(a);
		}
		assert_memory_equal(ct[0], ct[1], lens[i] + 16);
		for (b = 0; b < 2; b++) {
			esc_aead *a;

			esc_bulk_force_sodium = b;
			a = esc_aead_new(key, 0);
			assert_non_null(a);
			assert_int_equal(esc_aead_open(a, back, ct[!b], lens[i] + 16, nonce), 0);
			assert_memory_equal(back, pt, lens[i]);
			ct[!b][lens[i] / 2] ^= 0x01;
			memset(back, 0xAA, lens[i]);
			assert_int_equal(esc_aead_open(a, back, ct[!b], lens[i] + 16, nonce), -1);
			for (j = 0; j < lens[i]; j++)
				assert_true(back[j] == 0 || back[j] == 0xAA); /* nothing of the plaintext */
			ct[!b][lens[i] / 2] ^= 0x01;
			assert_int_equal(esc_aead_open(a, back, ct[!b], 15, nonce), -1);
			esc_aead_free(a);
		}
	}
	crypto_generichash(ref, 64, pt, 65536, NULL, 0);
	for (b = 0; b < 2; b++) {
		esc_blake2b *hb;

		esc_bulk_force_sodium = b;
		hb = esc_blake2b_new();
		assert_non_null(hb);
		esc_blake2b_update(hb, pt, 1);
		esc_blake2b_update(hb, pt + 1, 65534);
		esc_blake2b_update(hb, pt + 65535, 1);
		assert_int_equal(esc_blake2b_final(hb, h[b]), 0);
		assert_memory_equal(h[b], ref, 64);
		assert_int_equal(esc_blake2b_final(hb, h[b]), -1); /* once */
		esc_blake2b_free(hb);
	}
	new_key(&ids, &rs);
	for (b = 0; b < 2; b++) {
		esc_bulk_force_sodium = b;
		encrypt(rs, pt, 65536 * 2 / 3, 4096, &enc);
		esc_bulk_force_sodium = !b;
		assert_int_equal(decrypt(ids, enc.p, enc.n, 999, &dec), ESCROW_OK);
		assert_int_equal(dec.n, 65536 * 2 / 3);
		assert_memory_equal(dec.p, pt, dec.n);
		free(enc.p);
		free(dec.p);
	}
	esc_bulk_force_sodium = false;
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
	free(pt);
	free(back);
	free(ct[0]);
	free(ct[1]);
}

static void test_roundtrip_sizes(void **state)
{
	static const size_t sizes[] = {0, 1, 65535, 65536, 65537, 3 * 65536, 1000003};
	static const size_t steps[] = {1, 7, 4099, ECH, ECH + 1, SIZE_MAX};
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	size_t i, j;

	(void)state;
	new_key(&ids, &rs);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t len = sizes[i], chunks = len == 0 ? 1 : (len + CH - 1) / CH, hl;
		uint8_t *pt = pattern(len);
		struct mem ct, out;

		encrypt(rs, pt, len, i % 2 ? 1000 : SIZE_MAX, &ct);
		hl = header_len(ct.p, ct.n);
		/* A multiple of 64 KiB ends with a full final chunk, never an extra empty one. */
		assert_int_equal(ct.n, hl + ESC_AGE_NONCE_LEN + len + chunks * ESC_AGE_TAG);
		assert_true(esc_age_detect(ct.p, ct.n));
		for (j = 0; j < sizeof steps / sizeof steps[0]; j++) {
			if (steps[j] == 1 && len > 200000)
				continue;
			assert_int_equal(decrypt(ids, ct.p, ct.n, steps[j], &out), ESCROW_OK);
			assert_int_equal(out.n, len);
			if (len)
				assert_memory_equal(out.p, pt, len);
			free(out.p);
		}
		free(ct.p);
		free(pt);
	}
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
}

static void test_recipients_and_identities(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_identities *a = NULL, *b = NULL, *c = NULL, *all = NULL;
	escrow_recipients *rs = NULL, *rc = NULL;
	uint8_t *pt = pattern(70000);
	struct mem ct, out;

	(void)state;
	new_key(&a, &rs);
	new_key(&b, &rs);
	new_key(&c, &rc);
	encrypt(rs, pt, 70000, SIZE_MAX, &ct);
	assert_int_equal(decrypt(a, ct.p, ct.n, 4096, &out), ESCROW_OK);
	assert_int_equal(out.n, 70000);
	free(out.p);
	assert_int_equal(decrypt(b, ct.p, ct.n, 4096, &out), ESCROW_OK);
	free(out.p);
	/* Wrong identity, no identity: nothing released. */
	assert_int_equal(decrypt(c, ct.p, ct.n, 4096, &out), ESCROW_NO_IDENTITY);
	assert_int_equal(out.n, 0);
	assert_int_equal(decrypt(NULL, ct.p, ct.n, 4096, &out), ESCROW_NO_IDENTITY);
	assert_int_equal(out.n, 0);
	/* Several identities, one of them right. */
	assert_int_equal(esc_identities_push(ctx, &all, c->v[0].sk), ESCROW_OK);
	assert_int_equal(esc_identities_push(ctx, &all, b->v[0].sk), ESCROW_OK);
	assert_int_equal(decrypt(all, ct.p, ct.n, 100000, &out), ESCROW_OK);
	assert_memory_equal(out.p, pt, 70000);
	free(out.p);
	free(ct.p);
	free(pt);
	escrow_identities_free(a);
	escrow_identities_free(b);
	escrow_identities_free(c);
	escrow_identities_free(all);
	escrow_recipients_free(rs);
	escrow_recipients_free(rc);
	escrow_ctx_free(ctx);
}

/* Every flipped byte is refused, and only chunks before the damage come out. */
static void test_flipped_bytes(void **state)
{
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	size_t len = 2 * CH + 100, hl, pos[40], np = 0, i, k;
	uint8_t *pt = pattern(len);
	struct mem ct, out;

	(void)state;
	new_key(&ids, &rs);
	new_key(&ids, &rs); /* two stanzas */
	encrypt(rs, pt, len, SIZE_MAX, &ct);
	hl = header_len(ct.p, ct.n);
	for (i = 0; i < hl; i += 7) /* intro, stanza lines, bodies, "---", MAC, newlines */
		if (np < 20)
			pos[np++] = i;
	pos[np++] = hl - 2;                                /* last MAC character */
	pos[np++] = hl - 1;                                /* header's final newline */
	pos[np++] = hl;                                    /* nonce */
	pos[np++] = hl + 15;
	pos[np++] = hl + 16;                               /* chunk 0 */
	pos[np++] = hl + 16 + ECH - 1;                     /* chunk 0 tag */
	pos[np++] = hl + 16 + ECH;                         /* chunk 1 */
	pos[np++] = hl + 16 + 2 * ECH + 5;                 /* last chunk */
	pos[np++] = ct.n - 1;                              /* last tag byte */
	for (i = 0; i < np; i++) {
		size_t bound;

		ct.p[pos[i]] ^= 0x01;
		assert_int_not_equal(decrypt(ids, ct.p, ct.n, 999, &out), ESCROW_OK);
		ct.p[pos[i]] ^= 0x01;
		k = pos[i] < hl + 16 ? 0 : (pos[i] - hl - 16) / ECH; /* damaged chunk */
		bound = pos[i] < hl + 16 ? 0 : k * CH;
		assert_int_equal(out.n, bound);
		if (out.n)
			assert_memory_equal(out.p, pt, out.n);
		free(out.p);
	}
	assert_int_equal(decrypt(ids, ct.p, ct.n, 999, &out), ESCROW_OK); /* restored */
	free(out.p);
	free(ct.p);
	free(pt);
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
}

static void test_truncation_and_trailing(void **state)
{
	static const size_t sizes[] = {0, 1000, 2 * CH};
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	size_t s, cut;

	(void)state;
	new_key(&ids, &rs);
	for (s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
		size_t len = sizes[s], hl;
		uint8_t *pt = pattern(len), *big;
		struct mem ct, out;

		encrypt(rs, pt, len, SIZE_MAX, &ct);
		hl = header_len(ct.p, ct.n);
		for (cut = 0; cut < ct.n; cut += (cut < hl + 40 || cut + 40 > ct.n ||
		                                 (cut + 20) % ECH < 40) ? 1 : 997) {
			escrow_status st = decrypt(ids, ct.p, cut, 4096, &out);

			assert_int_not_equal(st, ESCROW_OK);
			assert_true(st == ESCROW_E_INPUT || st == ESCROW_TAMPERED);
			/* Released only whole authenticated chunks, before the cut. */
			assert_int_equal(out.n % CH, 0);
			if (out.n)
				assert_true((out.n / CH) * ECH <= cut - hl - 16);
			if (out.n)
				assert_memory_equal(out.p, pt, out.n);
			free(out.p);
		}
		/* Trailing data, short and long, is refused. */
		big = malloc(ct.n + ECH + 1);
		assert_non_null(big);
		memcpy(big, ct.p, ct.n);
		randombytes_buf(big + ct.n, ECH + 1);
		assert_int_equal(decrypt(ids, big, ct.n + 1, 7, &out), ESCROW_TAMPERED);
		/* A full final chunk is complete before the garbage; a short one is not. */
		assert_int_equal(out.n, len > 0 && len % CH == 0 ? len : (len / CH) * CH);
		free(out.p);
		assert_int_equal(decrypt(ids, big, ct.n + ECH + 1, 65536, &out), ESCROW_TAMPERED);
		free(out.p);
		/* Another whole valid stream appended is trailing data too. */
		memcpy(big + ct.n, ct.p, ct.n < ECH + 1 ? ct.n : ECH + 1);
		assert_int_equal(decrypt(ids, big, ct.n + (ct.n < ECH + 1 ? ct.n : ECH + 1), 65536, &out),
		                 ESCROW_TAMPERED);
		free(out.p);
		free(big);
		free(ct.p);
		free(pt);
	}
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
}

/* Streams built by hand with a known file key: the chunk rules. */
static void build_stream(const escrow_recipients *rs, const uint8_t *pt, const size_t *chunk_len,
                         const int *last, size_t n, struct mem *out)
{
	static uint8_t enc[ECH];
	uint8_t fk[16], nonce[16], key[32], n12[12], *hdr = NULL;
	unsigned long long clen;
	size_t i, off = 0, hlen = 0;
	escrow_ctx *ctx = escrow_ctx_new();

	memset(out, 0, sizeof *out);
	randombytes_buf(fk, sizeof fk);
	randombytes_buf(nonce, sizeof nonce);
	assert_int_equal(esc_age_header_build(ctx, rs, fk, &hdr, &hlen), ESCROW_OK);
	escrow_ctx_free(ctx);
	mem_write(out, hdr, hlen);
	mem_write(out, nonce, sizeof nonce);
	esc_hkdf_sha256(key, sizeof key, nonce, sizeof nonce, fk, sizeof fk, "payload", 7);
	for (i = 0; i < n; i++) {
		memset(n12, 0, sizeof n12);
		n12[10] = (uint8_t)i;
		n12[11] = (uint8_t)last[i];
		crypto_aead_chacha20poly1305_ietf_encrypt(enc, &clen, pt + off, chunk_len[i], NULL, 0, NULL, n12, key);
		mem_write(out, enc, (size_t)clen);
		off += chunk_len[i];
	}
	free(hdr);
}

static void test_chunk_rules(void **state)
{
	static const struct {
		size_t n, len[3];
		int last[3];
		escrow_status want;
		size_t released;
	} cases[] = {
		{2, {CH, 0}, {0, 1}, ESCROW_TAMPERED, CH},          /* empty final chunk after data */
		{2, {CH, 10}, {1, 1}, ESCROW_TAMPERED, CH},         /* two final chunks */
		{2, {100, 10}, {0, 1}, ESCROW_TAMPERED, 0},         /* a short middle chunk */
		{1, {CH}, {0}, ESCROW_TAMPERED, CH},                /* no final chunk */
		{1, {CH}, {1}, ESCROW_OK, CH},                      /* full final chunk */
		{3, {CH, CH, 1}, {0, 0, 1}, ESCROW_OK, 2 * CH + 1},
		{1, {0}, {1}, ESCROW_OK, 0},                        /* empty plaintext */
	};
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	uint8_t *pt = pattern(3 * CH);
	size_t i;

	(void)state;
	new_key(&ids, &rs);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mem ct, out;

		build_stream(rs, pt, cases[i].len, cases[i].last, cases[i].n, &ct);
		assert_int_equal(decrypt(ids, ct.p, ct.n, 3000, &out), cases[i].want);
		assert_int_equal(out.n, cases[i].released);
		free(out.p);
		free(ct.p);
	}
	free(pt);
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
}

static escrow_status parse_text(const char *text)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_age_header h;
	size_t used = 0;
	escrow_status st;

	esc_age_header_init(&h, "t");
	st = esc_age_header_push(ctx, &h, (const uint8_t *)text, strlen(text), &used);
	if (st == ESCROW_OK && !h.done)
		st = ESCROW_E_INPUT;
	esc_age_header_clear(&h);
	escrow_ctx_free(ctx);
	return st;
}

static void test_header_strict(void **state)
{
	static const char mac[] = "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	static const char share[] = "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	static const char body[] = "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n";
	static const char *bad[] = {
		"age-encryption.org/v1\r\n", "age-encryption.org/v2\n", "->",
		"age-encryption.org/v1\n-> X25519\nAAAA\n",                  /* no share */
		"age-encryption.org/v1\n->  x\n\n",                          /* empty argument */
		"age-encryption.org/v1\n-> x \n\n",
		"age-encryption.org/v1\n-> x\nAA==\n",                       /* padding */
		"age-encryption.org/v1\n-> x\nAB\n",                         /* non-canonical */
		"age-encryption.org/v1\n-> x\xc3\xa9\n\n",                   /* not ASCII */
		"age-encryption.org/v1\n-> x\nAAAA\r\n",
		"age-encryption.org/v1\nfoo\n",
		"age-encryption.org/v1\n---AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
		"age-encryption.org/v1\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA \n",
		"age-encryption.org/v1\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n",
	};
	char text[4096];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++)
		assert_int_equal(parse_text(bad[i]), ESCROW_E_INPUT);
	snprintf(text, sizeof text, "age-encryption.org/v1\n%s%s%s", share, body, mac);
	assert_int_equal(parse_text(text), ESCROW_OK);
	/* An X25519 stanza with an extra argument, or a 48-byte body. */
	snprintf(text, sizeof text, "age-encryption.org/v1\n-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA b\n%s%s",
	         body, mac);
	assert_int_equal(parse_text(text), ESCROW_E_INPUT);
	snprintf(text, sizeof text, "age-encryption.org/v1\n%s%s\n%s", share,
	         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", mac);
	assert_int_equal(parse_text(text), ESCROW_E_INPUT);
	/* A body of exactly 48 bytes needs its empty final line. */
	snprintf(text, sizeof text, "age-encryption.org/v1\n-> grease\n%s\n\n%s",
	         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", mac);
	assert_int_equal(parse_text(text), ESCROW_OK);
	snprintf(text, sizeof text, "age-encryption.org/v1\n-> grease\n%s\n%s",
	         "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", mac);
	assert_int_equal(parse_text(text), ESCROW_E_INPUT);
	/* scrypt must be alone. */
	snprintf(text, sizeof text, "age-encryption.org/v1\n-> scrypt AAAAAAAAAAAAAAAAAAAAAA 10\n%s%s%s%s", body,
	         share, body, mac);
	assert_int_equal(parse_text(text), ESCROW_E_INPUT);
	/* Not age at all: refused at the first byte, without reading on. */
	assert_int_equal(parse_text("PK\x03\x04"), ESCROW_E_INPUT);
	assert_false(esc_age_detect("PK\x03\x04", 4));
	assert_true(esc_age_detect("age-enc", 7));
	assert_false(esc_age_detect("", 0));
}

static void test_huge_header(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_age_header h;
	char line[80];
	size_t used = 0, total = 0;
	escrow_status st = ESCROW_OK;

	(void)state;
	esc_age_header_init(&h, "t");
	assert_int_equal(esc_age_header_push(ctx, &h, (const uint8_t *)"age-encryption.org/v1\n", 22, &used),
	                 ESCROW_OK);
	snprintf(line, sizeof line, "-> grease\n\n");
	while (st == ESCROW_OK && total < 2 * ESC_AGE_MAX_HEADER) {
		st = esc_age_header_push(ctx, &h, (const uint8_t *)line, strlen(line), &used);
		total += strlen(line);
	}
	assert_int_equal(st, ESCROW_E_INPUT);
	esc_age_header_clear(&h);
	escrow_ctx_free(ctx);
}

static void test_sink_failure(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	uint8_t *pt = pattern(3 * CH);
	struct mem ct, out;
	esc_age_writer *w = NULL;
	esc_age_reader *r = NULL;

	(void)state;
	new_key(&ids, &rs);
	encrypt(rs, pt, 3 * CH, SIZE_MAX, &ct);
	memset(&out, 0, sizeof out);
	out.fail_at = CH + 1;
	assert_int_equal(esc_age_reader_new(ctx, ids, mem_sink(&out), &r), ESCROW_OK);
	assert_int_equal(esc_age_reader_feed(r, ct.p, ct.n), ESCROW_E_IO);
	assert_int_equal(esc_age_reader_finish(r), ESCROW_E_IO);
	esc_age_reader_free(r);
	free(out.p);
	memset(&out, 0, sizeof out);
	out.fail_at = 1000;
	assert_int_equal(esc_age_writer_new(ctx, rs, mem_sink(&out), &w), ESCROW_OK);
	assert_int_equal(esc_age_writer_write(w, pt, 3 * CH), ESCROW_E_IO);
	assert_int_equal(esc_age_writer_finish(w), ESCROW_E_IO);
	esc_age_writer_free(w);
	free(out.p);
	free(ct.p);
	free(pt);
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
	escrow_ctx_free(ctx);
}

/* Stock age (Debian package) decrypts what the writer makes, when installed. */
static void test_stock_age_reads_writer(void **state)
{
	static const size_t sizes[] = {0, 5, 2 * CH, 2 * CH + 1};
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	char id[80], idpath[128], ctpath[128], ptpath[128], cmd[512];
	size_t i;
	FILE *f;

	(void)state;
	if (system("command -v age >/dev/null 2>&1") != 0) {
		/* said and skipped: a bare return passed this test without a word */
		fprintf(stderr, "SKIPPED: test_stock_age_reads_writer: stock age is not installed (Debian package age)\n");
		skip();
	}
	new_key(&ids, &rs);
	snprintf(idpath, sizeof idpath, "%s/id.txt", tmpdir);
	snprintf(ctpath, sizeof ctpath, "%s/w.age", tmpdir);
	snprintf(ptpath, sizeof ptpath, "%s/w.out", tmpdir);
	esc_age_identity_string(ids->v[0].sk, id);
	f = fopen(idpath, "w");
	assert_non_null(f);
	fprintf(f, "%s\n", id);
	fclose(f);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		uint8_t *pt = pattern(sizes[i]), *back;
		struct mem ct;
		size_t n;

		encrypt(rs, pt, sizes[i], 777, &ct);
		f = fopen(ctpath, "wb");
		assert_non_null(f);
		assert_int_equal(fwrite(ct.p, 1, ct.n, f), ct.n);
		fclose(f);
		snprintf(cmd, sizeof cmd, "age -d -i '%s' '%s' > '%s'", idpath, ctpath, ptpath);
		assert_int_equal(system(cmd), 0);
		back = malloc(sizes[i] + 1);
		f = fopen(ptpath, "rb");
		assert_non_null(f);
		n = fread(back, 1, sizes[i] + 1, f);
		fclose(f);
		assert_int_equal(n, sizes[i]);
		if (n)
			assert_memory_equal(back, pt, n);
		free(back);
		free(ct.p);
		free(pt);
	}
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip_sizes),  cmocka_unit_test(test_recipients_and_identities),
		cmocka_unit_test(test_flipped_bytes),    cmocka_unit_test(test_truncation_and_trailing),
		cmocka_unit_test(test_chunk_rules),      cmocka_unit_test(test_header_strict),
		cmocka_unit_test(test_huge_header),      cmocka_unit_test(test_sink_failure),
		cmocka_unit_test(test_stock_age_reads_writer), cmocka_unit_test(test_bulk_crypto_backends),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
