/* test_zstd_frames.c -- independent zstd frames decoded by worker threads
 * (bundle_read_frames.c, zstd_frames.c) against the streaming decoder on
 * the producer's thread alone: for the same bytes, the same decompressed
 * stream handed to the consumer, the same status and the same message, with
 * one and two workers, unsealed and sealed, for clean streams and for
 * streams flipped in every part of every frame, frames lying about their
 * content size, cut at frame and block boundaries, a skippable frame, a
 * frame without checksum, bytes after the last frame. The scanner alone
 * finds the frames libzstd finds. A consumer that stops early does not
 * hang. */
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

#include "esc_bundle_read.h"
#include "memsink.h"

/* Content: text-like runs, random bytes (raw blocks) and zeros (RLE). */
static uint8_t *content(size_t len, uint32_t seed)
{
	uint8_t *p = malloc(len ? len : 1);
	uint32_t x = seed * 2654435761u + 1;
	size_t i;

	assert_non_null(p);
	for (i = 0; i < len; i++) {
		size_t zone = (i >> 15) % 4;

		x = x * 1103515245u + 12345u;
		p[i] = zone == 0 ? (uint8_t)(x >> 24) : zone == 1 ? 0 : (uint8_t)("escrow frames "[i % 14] + (i >> 17) % 3);
	}
	return p;
}

/* One frame: with its content size (the one-shot API writes it) or without
 * (streamed), with or without its checksum. */
static void frame(struct mem *m, const uint8_t *src, size_t len, bool fcs, bool checksum)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t cap = ZSTD_compressBound(len), r;
	uint8_t *dst = malloc(cap);

	assert_non_null(c);
	assert_non_null(dst);
	ZSTD_CCtx_setParameter(c, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	if (fcs) {
		r = ZSTD_compress2(c, dst, cap, src, len);
	} else {
		ZSTD_inBuffer in = {src, len, 0};
		ZSTD_outBuffer out = {dst, cap, 0};

		ZSTD_CCtx_setParameter(c, ZSTD_c_contentSizeFlag, 0);
		r = ZSTD_compressStream2(c, &out, &in, ZSTD_e_end);
		assert_int_equal(r, 0);
		r = out.pos;
	}
	assert_false(ZSTD_isError(r));
	assert_int_equal(mem_write(m, dst, r), ESCROW_OK);
	free(dst);
	ZSTD_freeCCtx(c);
}

#define NFR 6
static const size_t frame_len[NFR] = {1500000, 700000, 0, 2097152, 1048576 + 77, 300000};

/* Frames 0-4 with their sizes, the last one streamed (as pack's tag frame);
 * off[] gets where each begins, and off[NFR] the end. */
static void stream(struct mem *m, size_t off[NFR + 1], uint8_t **plain, size_t *plen)
{
	size_t i, total = 0, at = 0;
	uint8_t *all;

	memset(m, 0, sizeof *m);
	for (i = 0; i < NFR; i++)
		total += frame_len[i];
	all = content(total, 7);
	for (i = 0; i < NFR; i++) {
		off[i] = m->n;
		frame(m, all + at, frame_len[i], i + 1 < NFR, true);
		at += frame_len[i];
	}
	off[NFR] = m->n;
	*plain = all;
	*plen = total;
}

struct outcome {
	escrow_status st;
	char msg[ESC_ERRLEN];
	struct mem out;
};

static char dir[4096];

static void write_file(const char *path, const uint8_t *b, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(b, 1, n, f), n);
	assert_int_equal(fclose(f), 0);
}

/* The pipe over the file holding b: every buffer it hands, then its status. */
static void run(const uint8_t *b, size_t n, const escrow_identities *ids, int workers, struct outcome *o)
{
	char path[4200];
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_pipe_options po = {path, ids, NULL, NULL, workers, false};
	esc_pipe *p = NULL;
	const void *buf;
	long k;

	snprintf(path, sizeof path, "%s/B", dir);
	write_file(path, b, n);
	memset(o, 0, sizeof *o);
	assert_non_null(ctx);
	assert_int_equal(esc_pipe_open(ctx, &po, &p), ESCROW_OK);
	while ((k = esc_pipe_next(p, &buf)) > 0)
		assert_int_equal(mem_write(&o->out, buf, (size_t)k), ESCROW_OK);
	o->st = k == 0 ? ESCROW_OK : esc_pipe_status(ctx, p);
	snprintf(o->msg, sizeof o->msg, "%s", o->st == ESCROW_OK ? "" : esc_ctx_message(ctx));
	esc_pipe_close(p);
	escrow_ctx_free(ctx);
}

/* The same bytes through the streaming decoder alone and with 1 and 2
 * workers: the same outcome. Returns the streaming one's status. */
static escrow_status same(const uint8_t *b, size_t n, const escrow_identities *ids)
{
	struct outcome ref, got;
	int w;

	run(b, n, ids, -1, &ref);
	for (w = 1; w <= 2; w++) {
		run(b, n, ids, w, &got);
		if (got.st != ref.st || strcmp(got.msg, ref.msg) != 0 || got.out.n != ref.out.n)
			print_message("workers %d: %d '%s' (%zu bytes) vs streamed %d '%s' (%zu bytes)\n", w, got.st,
			              got.msg, got.out.n, ref.st, ref.msg, ref.out.n);
		assert_int_equal(got.st, ref.st);
		assert_string_equal(got.msg, ref.msg);
		assert_int_equal(got.out.n, ref.out.n);
		if (ref.out.n > 0)
			assert_memory_equal(got.out.p, ref.out.p, ref.out.n);
		free(got.out.p);
	}
	free(ref.out.p);
	return ref.st;
}

static int setup(void **state)
{
	const char *base = getenv("ESCROW_TEST_TMP");

	(void)state;
	snprintf(dir, sizeof dir, "%s/zframes.XXXXXX", base ? base : "/tmp");
	if (base != NULL)
		mkdir(base, 0700); /* may exist */
	return mkdtemp(dir) == NULL ? -1 : 0;
}

static int teardown(void **state)
{
	char path[4200];

	(void)state;
	snprintf(path, sizeof path, "%s/B", dir);
	unlink(path);
	rmdir(dir);
	return 0;
}

static void test_clean(void **state)
{
	struct mem m;
	size_t off[NFR + 1], plen;
	uint8_t *plain;
	struct outcome o;

	(void)state;
	stream(&m, off, &plain, &plen);
	run(m.p, m.n, NULL, 2, &o);
	assert_int_equal(o.st, ESCROW_OK);
	assert_int_equal(o.out.n, plen);
	assert_memory_equal(o.out.p, plain, plen);
	free(o.out.p);
	assert_int_equal(same(m.p, m.n, NULL), ESCROW_OK);
	free(plain);
	free(m.p);
}

/* The header size and the blocks of the frame at b: where each block
 * header begins (at most max), by walking them as RFC 8878 says. */
static size_t blocks(const uint8_t *b, size_t *at, size_t max)
{
	static const size_t did[4] = {0, 1, 2, 4};
	const uint8_t fhd = b[4];
	const unsigned single = (fhd >> 5) & 1;
	size_t pos = 5 + !single + did[fhd & 3] + (fhd >> 6 == 0 ? single : (size_t)1 << (fhd >> 6)), n = 0;

	for (;;) {
		uint32_t v = (uint32_t)b[pos] | (uint32_t)b[pos + 1] << 8 | (uint32_t)b[pos + 2] << 16;
		size_t body = ((v >> 1) & 3) == 1 ? 1 : v >> 3;

		if (n < max)
			at[n++] = pos;
		pos += 3 + body;
		if (v & 1)
			return n;
	}
}

/* A byte changed in the header, a block header, a block's body and the
 * checksum of every frame; a content size that lies both ways. */
static void test_flips(void **state)
{
	struct mem m;
	size_t off[NFR + 1], plen, f, i;
	uint8_t *plain;

	(void)state;
	stream(&m, off, &plain, &plen);
	for (f = 0; f < NFR; f++) {
		size_t at[8], nb = blocks(m.p + off[f], at, 8);
		size_t where[] = {off[f] + 4, off[f] + at[0], off[f] + at[0] + 1, off[f] + at[nb - 1],
		                  off[f] + at[nb - 1] + 3, off[f] + at[0] + 40, (off[f] + off[f + 1]) / 2,
		                  off[f + 1] - 1, off[f + 1] - 4};
		static const uint8_t bits[] = {0x01, 0x80, 0x10};

		for (i = 0; i < sizeof where / sizeof *where; i++) {
			uint8_t keep = m.p[where[i]];

			m.p[where[i]] ^= bits[i % 3];
			same(m.p, m.n, NULL);
			m.p[where[i]] = keep;
		}
	}
	/* Frame 0 declares 1500000 bytes in a 4-byte field. */
	for (i = 0; i < 2; i++) {
		const uint8_t fhd = m.p[off[0] + 4];
		uint8_t *fcs = m.p + off[0] + 5 + !((fhd >> 5) & 1), keep[4];
		uint32_t v = (uint32_t)fcs[0] | (uint32_t)fcs[1] << 8 | (uint32_t)fcs[2] << 16 | (uint32_t)fcs[3] << 24;

		assert_int_equal(fhd >> 6, 2);
		assert_int_equal(v, frame_len[0]);
		memcpy(keep, fcs, 4);
		v = i == 0 ? v + 1000 : v - 1000;
		fcs[0] = (uint8_t)v, fcs[1] = (uint8_t)(v >> 8), fcs[2] = (uint8_t)(v >> 16), fcs[3] = (uint8_t)(v >> 24);
		assert_int_equal(same(m.p, m.n, NULL), ESCROW_TAMPERED);
		memcpy(fcs, keep, 4);
	}
	assert_int_equal(same(m.p, m.n, NULL), ESCROW_OK);
	free(plain);
	free(m.p);
}

/* Cut at and around every frame boundary and every block boundary of two
 * frames; nothing cut at the very end. */
static void test_cuts(void **state)
{
	struct mem m;
	size_t off[NFR + 1], plen, f, i, k;
	uint8_t *plain;

	(void)state;
	stream(&m, off, &plain, &plen);
	for (f = 0; f < NFR; f++) {
		size_t cut[] = {off[f + 1], off[f + 1] - 1, off[f + 1] - 4, off[f] + 3, off[f] + 5, off[f] + 9};

		for (i = 0; i < sizeof cut / sizeof *cut; i++) {
			escrow_status st = same(m.p, cut[i], NULL);

			/* at a frame's end the zstd stream is whole (the tar says more) */
			if (i == 0)
				assert_int_equal(st, ESCROW_OK);
			else
				assert_int_not_equal(st, ESCROW_OK);
		}
	}
	for (f = 0; f < 4; f += 3) {
		size_t at[64], nb = blocks(m.p + off[f], at, 64);

		for (k = 0; k < nb; k += 1 + nb / 6) {
			assert_int_equal(same(m.p, off[f] + at[k], NULL), ESCROW_TAMPERED);
			assert_int_equal(same(m.p, off[f] + at[k] + 2, NULL), ESCROW_TAMPERED);
		}
	}
	free(plain);
	free(m.p);
}

/* A skippable frame between two frames, a frame without checksum, a frame
 * of another kind after ones that fit, bytes after the last frame. */
static void test_inserted(void **state)
{
	static const uint8_t skippable[12] = {0x50, 0x2A, 0x4D, 0x18, 4, 0, 0, 0, 1, 2, 3, 4};
	struct mem m, x;
	size_t off[NFR + 1], plen, f;
	uint8_t *plain;

	(void)state;
	uint8_t *big = content(ESC_FRAME_MAX + 1, 3);

	stream(&m, off, &plain, &plen);
	for (f = 1; f < NFR; f++) {
		/* skippable frame before frame f */
		memset(&x, 0, sizeof x);
		mem_write(&x, m.p, off[f]);
		mem_write(&x, skippable, sizeof skippable);
		mem_write(&x, m.p + off[f], m.n - off[f]);
		assert_int_equal(same(x.p, x.n, NULL), ESCROW_TAMPERED);
		free(x.p);
		/* a frame without checksum before frame f */
		memset(&x, 0, sizeof x);
		mem_write(&x, m.p, off[f]);
		frame(&x, plain, 5000, true, false);
		mem_write(&x, m.p + off[f], m.n - off[f]);
		assert_int_equal(same(x.p, x.n, NULL), ESCROW_TAMPERED);
		free(x.p);
		/* a streamed frame (no content size) and a large one: fine */
		memset(&x, 0, sizeof x);
		mem_write(&x, m.p, off[f]);
		frame(&x, plain, 9000, false, true);
		frame(&x, big, ESC_FRAME_MAX + 1, true, true);
		mem_write(&x, m.p + off[f], m.n - off[f]);
		assert_int_equal(same(x.p, x.n, NULL), ESCROW_OK);
		free(x.p);
	}
	memset(&x, 0, sizeof x);
	mem_write(&x, m.p, m.n);
	mem_write(&x, (const uint8_t *)"trailing", 8);
	assert_int_equal(same(x.p, x.n, NULL), ESCROW_TAMPERED);
	x.n = m.n;
	mem_write(&x, skippable, sizeof skippable);
	assert_int_equal(same(x.p, x.n, NULL), ESCROW_TAMPERED);
	free(x.p);
	free(big);
	free(plain);
	free(m.p);
}

/* Flips at random places, several at once. */
static void test_random_flips(void **state)
{
	struct mem m;
	size_t off[NFR + 1], plen, i;
	uint8_t *plain;

	(void)state;
	stream(&m, off, &plain, &plen);
	for (i = 0; i < 24; i++) {
		size_t a = randombytes_uniform((uint32_t)m.n), b = randombytes_uniform((uint32_t)m.n);
		uint8_t ka = m.p[a], kb = m.p[b];

		m.p[a] ^= (uint8_t)(1u << (i % 8));
		m.p[b] ^= 0x40;
		same(m.p, m.n, NULL);
		m.p[b] = kb;
		m.p[a] = ka;
	}
	free(plain);
	free(m.p);
}

/* Sealed: the same on the decrypted stream. */
static void test_sealed(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	struct mem m, ct;
	size_t off[NFR + 1], plen, i;
	uint8_t *plain, sk[32];
	char r[64];

	(void)state;
	randombytes_buf(sk, sizeof sk);
	assert_int_equal(esc_identities_push(ctx, &ids, sk), ESCROW_OK);
	esc_age_recipient_string(ids->v[0].pk, r);
	assert_int_equal(escrow_recipients_add(ctx, r, &rs), ESCROW_OK);
	stream(&m, off, &plain, &plen);
	/* whole; a flip in frame 1's first block; cut in frame 3; frame 3's checksum */
	for (i = 0; i < 4; i++) {
		esc_age_writer *w = NULL;
		size_t at = i == 1 ? off[1] + 20 : i == 3 ? off[4] - 2 : 0;
		size_t len = i == 2 ? off[3] + 100 : m.n;

		m.p[at] ^= i == 1 || i == 3 ? 0x08 : 0;
		memset(&ct, 0, sizeof ct);
		assert_int_equal(esc_age_writer_new(ctx, rs, mem_sink(&ct), &w), ESCROW_OK);
		assert_int_equal(esc_age_writer_write(w, m.p, len), ESCROW_OK);
		assert_int_equal(esc_age_writer_finish(w), ESCROW_OK);
		esc_age_writer_free(w);
		assert_int_equal(same(ct.p, ct.n, ids), i == 0 ? ESCROW_OK : ESCROW_TAMPERED);
		free(ct.p);
		m.p[at] ^= i == 1 || i == 3 ? 0x08 : 0;
	}
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
	escrow_ctx_free(ctx);
	free(plain);
	free(m.p);
}

/* The consumer takes one buffer and closes: the workers end, nothing hangs. */
static void test_stop_early(void **state)
{
	struct mem m;
	size_t off[NFR + 1], plen;
	uint8_t *plain;
	char path[4200];
	int w;

	(void)state;
	stream(&m, off, &plain, &plen);
	snprintf(path, sizeof path, "%s/B", dir);
	write_file(path, m.p, m.n);
	for (w = 1; w <= 3; w++) {
		escrow_ctx *ctx = escrow_ctx_new();
		struct esc_pipe_options po = {path, NULL, NULL, NULL, w, false};
		esc_pipe *p = NULL;
		const void *buf;

		assert_int_equal(esc_pipe_open(ctx, &po, &p), ESCROW_OK);
		assert_true(esc_pipe_next(p, &buf) > 0);
		esc_pipe_close(p);
		escrow_ctx_free(ctx);
	}
	free(plain);
	free(m.p);
}

/* The scanner finds the frames libzstd finds, fed in pieces of any size,
 * and leaves to the stream the frames it must. */
static void test_scanner(void **state)
{
	static const size_t steps[] = {1, 2, 3, 7, 4096, 1u << 20, SIZE_MAX};
	struct mem m, x;
	size_t off[NFR + 1], plen, i, f;
	uint8_t *plain;

	(void)state;
	stream(&m, off, &plain, &plen);
	for (i = 0; i < sizeof steps / sizeof *steps; i++) {
		for (f = 0; f < NFR; f++) {
			struct esc_zscan s;
			size_t pos = off[f], used;
			enum esc_zscan_result r = ESC_ZS_MORE;

			esc_zscan_reset(&s);
			while (r == ESC_ZS_MORE && pos < m.n) {
				size_t k = m.n - pos < steps[i] ? m.n - pos : steps[i];

				r = esc_zscan_step(&s, m.p + pos, k, &used);
				if (r != ESC_ZS_OTHER)
					pos += used;
			}
			if (f + 1 == NFR) {
				assert_int_equal(r, ESC_ZS_OTHER); /* no content size */
				continue;
			}
			assert_int_equal(r, ESC_ZS_FRAME);
			assert_int_equal(pos, off[f + 1]);
			assert_int_equal(s.len, ZSTD_findFrameCompressedSize(m.p + off[f], m.n - off[f]));
			assert_int_equal(s.fcs, frame_len[f]);
		}
	}
	/* no checksum; larger than a worker takes; the largest it takes */
	free(plain);
	plain = content(ESC_FRAME_MAX + 1, 5);
	memset(&x, 0, sizeof x);
	frame(&x, plain, 1000, true, false);
	frame(&x, plain, ESC_FRAME_MAX + 1, true, true);
	frame(&x, plain, ESC_FRAME_MAX, true, true);
	for (i = 0, f = 0; i < 3; i++) {
		struct esc_zscan s;
		size_t used, len = ZSTD_findFrameCompressedSize(x.p + f, x.n - f);

		esc_zscan_reset(&s);
		assert_int_equal(esc_zscan_step(&s, x.p + f, x.n - f, &used), i < 2 ? ESC_ZS_OTHER : ESC_ZS_FRAME);
		f += len;
	}
	free(x.p);
	free(plain);
	free(m.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_scanner),    cmocka_unit_test(test_clean),        cmocka_unit_test(test_flips),
		cmocka_unit_test(test_cuts),       cmocka_unit_test(test_inserted),     cmocka_unit_test(test_random_flips),
		cmocka_unit_test(test_sealed),     cmocka_unit_test(test_stop_early),
	};

	if (sodium_init() < 0)
		return 1;
	return cmocka_run_group_tests(tests, setup, teardown);
}
