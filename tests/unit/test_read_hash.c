/* test_read_hash.c -- the reader's hashing thread (bundle_read_hash.c): the
 * digests it makes on its thread are those of the bytes handed to it, in
 * order, whatever the slicing: many small digests in a row (more slices than
 * its queue holds, more digests than one batch, up to its ring of digests),
 * large slices, a digest begun and finished around others, and empty ones. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "esc_bundle_read.h"

static uint8_t *random_bytes(size_t n, uint32_t seed)
{
	uint8_t *b = malloc(n);
	size_t i;

	assert_non_null(b);
	for (i = 0; i < n; i++) {
		seed = seed * 1103515245u + 12345u;
		b[i] = (uint8_t)(seed >> 16);
	}
	return b;
}

/* ESC_THASH_DIGESTS files of 0 to 3000 bytes, each in 1 to 5 slices, before
 * one wait: every digest read after it is the file's. */
static void test_many_small(void **state)
{
	size_t n = ESC_THASH_DIGESTS, len = 3001u * 8, i;
	uint8_t *data = random_bytes(len, 7), want[32];
	uint64_t *tickets = calloc(n, sizeof *tickets);
	size_t *off = calloc(n, sizeof *off), *size = calloc(n, sizeof *size);
	esc_thash *t = esc_thash_new();

	(void)state;
	assert_non_null(t);
	assert_non_null(tickets);
	assert_non_null(off);
	assert_non_null(size);
	for (i = 0; i < n; i++) {
		size_t k, parts = 1 + i % 5, done = 0;

		off[i] = (i * 7919u) % (len - 3000);
		size[i] = (i * 131u) % 3001;
		for (k = 0; k < parts; k++) {
			size_t piece = k + 1 == parts ? size[i] - done : size[i] / parts;

			esc_thash_update(t, data + off[i] + done, piece);
			done += piece;
		}
		tickets[i] = esc_thash_end(t);
	}
	esc_thash_wait(t);
	for (i = 0; i < n; i++) {
		esc_sha256_buf(data + off[i], size[i], want);
		assert_memory_equal(esc_thash_digest(t, tickets[i]), want, 32);
	}
	/* and again, the ring of digests gone round once */
	for (i = 0; i < 100; i++) {
		esc_thash_update(t, data + i, 1000);
		tickets[i] = esc_thash_end(t);
	}
	esc_thash_wait(t);
	for (i = 0; i < 100; i++) {
		esc_sha256_buf(data + i, 1000, want);
		assert_memory_equal(esc_thash_digest(t, tickets[i]), want, 32);
	}
	esc_thash_free(t);
	free(tickets);
	free(off);
	free(size);
	free(data);
}

/* A large digest in 1 MiB slices and in 100-byte slices (more than the
 * queue holds before the thread catches up), begun after others. */
static void test_large_and_final(void **state)
{
	size_t len = 8u << 20, i;
	uint8_t *data = random_bytes(len, 11), want[32], got[32];
	esc_thash *t = esc_thash_new();
	uint64_t k;

	(void)state;
	assert_non_null(t);
	esc_thash_update(t, data, 5);
	k = esc_thash_end(t);
	esc_thash_begin(t);
	for (i = 0; i < len; i += 1u << 20)
		esc_thash_update(t, data + i, 1u << 20);
	esc_thash_final(t, got);
	esc_sha256_buf(data, len, want);
	assert_memory_equal(got, want, 32);
	esc_sha256_buf(data, 5, want);
	assert_memory_equal(esc_thash_digest(t, k), want, 32);
	esc_thash_begin(t);
	for (i = 0; i + 100 <= 400000; i += 100)
		esc_thash_update(t, data + i, 100);
	esc_thash_final(t, got);
	esc_sha256_buf(data, 400000, want);
	assert_memory_equal(got, want, 32);
	/* nothing handed over: the digest of no bytes */
	esc_thash_begin(t);
	esc_thash_final(t, got);
	esc_sha256_buf("", 0, want);
	assert_memory_equal(got, want, 32);
	k = esc_thash_end(t);
	esc_thash_wait(t);
	assert_memory_equal(esc_thash_digest(t, k), want, 32);
	esc_thash_free(t);
	free(data);
}

/* Freed with slices handed over and not waited for: they are hashed first
 * (the memory stays valid here), nothing leaks or hangs. */
static void test_free_busy(void **state)
{
	uint8_t *data = random_bytes(1u << 20, 3);
	esc_thash *t = esc_thash_new();
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < 3000; i++)
		esc_thash_update(t, data + i, 300);
	esc_thash_free(t);
	free(data);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_many_small),
		cmocka_unit_test(test_large_and_final),
		cmocka_unit_test(test_free_busy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
