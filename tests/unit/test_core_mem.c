/* test_core_mem.c -- bulk buffers (core_mem.c): small and large blocks are
 * whole and writable to their last byte, large ones sit on a 2 MiB boundary
 * (outside sanitizer builds, where every block is malloc'd), the realloc
 * keeps what it is told to, impossible sizes give NULL, and libzstd's
 * contexts made on them compress and decompress with a window larger than
 * the huge-page threshold. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
/* after the four above, which it needs */
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#include "escrow_private.h"

#define MIB ((size_t)1 << 20)


static void fill(uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 131u + seed);
}

static void same(const uint8_t *p, size_t n, unsigned seed)
{
	for (size_t i = 0; i < n; i++)
		if (p[i] != (uint8_t)(i * 131u + seed))
			fail_msg("byte %zu of %zu differs", i, n);
}

static void sizes(void **state)
{
	static const size_t ns[] = {0,
				    1,
				    100,
				    MIB,
				    2 * MIB - 2 * MIB / 8 - 1,
				    2 * MIB - 2 * MIB / 8,
				    2 * MIB - 1,
				    2 * MIB,
				    2 * MIB + 1,
				    4 * MIB + 16 * 1024,
				    5 * MIB + 123,
				    22 * MIB};
	(void)state;
	for (size_t k = 0; k < sizeof ns / sizeof ns[0]; k++) {
		uint8_t *p = esc_big_alloc(ns[k]);

		assert_non_null(p);
		if (!ESC_SANITIZED && ns[k] >= 2 * MIB - 2 * MIB / 8)
			assert_int_equal((uintptr_t)p % (2 * MIB), 0);
		fill(p, ns[k], (unsigned)k);
		same(p, ns[k], (unsigned)k);
		esc_big_free(p);
	}
	esc_big_free(NULL);
}

static void too_large(void **state)
{
	(void)state;
	assert_null(esc_big_alloc(SIZE_MAX));
	assert_null(esc_big_alloc(SIZE_MAX - 8));
}

static void grows(void **state)
{
	uint8_t *p = esc_big_alloc(MIB), *q, *r;

	(void)state;
	assert_non_null(p);
	fill(p, MIB, 7);
	q = esc_big_realloc(p, MIB, 6 * MIB + 5); /* small -> mapped */
	assert_non_null(q);
	same(q, MIB, 7);
	fill(q, 6 * MIB + 5, 9);
	r = esc_big_realloc(q, 6 * MIB + 5, 3 * MIB); /* mapped -> mapped, shorter */
	assert_non_null(r);
	same(r, 3 * MIB, 9);
	p = esc_big_realloc(r, 3 * MIB, 1000); /* mapped -> small */
	assert_non_null(p);
	same(p, 1000, 9);
	q = esc_big_realloc(p, 0, 3 * MIB); /* nothing kept */
	assert_non_null(q);
	esc_big_free(q);
	q = esc_big_realloc(NULL, 0, 2 * MIB);
	assert_non_null(q);
	esc_big_free(q);
}

/* 24 MiB of text that compresses, through a 16 MiB window and libzstd's own
 * workers: its windows, tables and job buffers come from esc_big_alloc. */
static void zstd_contexts(void **state)
{
	size_t n = 24 * MIB, cap = ZSTD_compressBound(n), got;
	uint8_t *src = malloc(n), *dst = malloc(cap), *back = malloc(n);
	ZSTD_CCtx *c = esc_zstd_cctx();
	ZSTD_DCtx *d = esc_zstd_dctx();
	size_t clen;

	(void)state;
	assert_non_null(src);
	assert_non_null(dst);
	assert_non_null(back);
	assert_non_null(c);
	assert_non_null(d);
	for (size_t i = 0; i < n; i++)
		src[i] = (uint8_t)("escrow bundles hold models and code. "[i % 37] ^ (i >> 20));
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_windowLog, 24)));
	assert_false(ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_enableLongDistanceMatching, 1)));
	(void)ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, 2); /* a libzstd without threads says no */
	clen = ZSTD_compress2(c, dst, cap, src, n);
	assert_false(ZSTD_isError(clen));
	got = ZSTD_decompressDCtx(d, back, n, dst, clen);
	assert_false(ZSTD_isError(got));
	assert_int_equal(got, n);
	assert_memory_equal(back, src, n);
	ZSTD_freeCCtx(c);
	ZSTD_freeDCtx(d);
	free(src);
	free(dst);
	free(back);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(sizes),
	    cmocka_unit_test(too_large),
	    cmocka_unit_test(grows),
	    cmocka_unit_test(zstd_contexts),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
