/* test_sha256.c -- SHA-256 against FIPS 180-4 vectors, streaming in odd chunks. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

static void hexof(const void *data, size_t len, char out[65])
{
	uint8_t d[32];

	esc_sha256_buf(data, len, d);
	esc_hex(d, 32, out);
}

static void test_vectors(void **state)
{
	char h[65];

	(void)state;
	hexof("", 0, h);
	assert_string_equal(h, "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
	hexof("abc", 3, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	hexof("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq", 56, h);
	assert_string_equal(h, "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1");
}

static void test_streaming_million_a(void **state)
{
	esc_sha256 *s = esc_sha256_new();
	char buf[1000], h[65];
	uint8_t d[32];
	size_t done = 0, step = 1;

	(void)state;
	assert_non_null(s);
	memset(buf, 'a', sizeof buf);
	/* Chunks of growing, odd sizes exercise the partial-block path. */
	while (done < 1000000) {
		size_t n = step % sizeof buf;

		if (n == 0)
			n = 1;
		if (n > 1000000 - done)
			n = 1000000 - done;
		esc_sha256_update(s, buf, n);
		done += n;
		step += 7;
	}
	esc_sha256_final(s, d);
	esc_hex(d, 32, h);
	assert_string_equal(h, "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0");
	/* reset() makes it reusable. */
	esc_sha256_reset(s);
	esc_sha256_update(s, "abc", 3);
	esc_sha256_final(s, d);
	esc_hex(d, 32, h);
	assert_string_equal(h, "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
	esc_sha256_free(s);
}

static void test_unhex(void **state)
{
	uint8_t out[2];

	(void)state;
	assert_int_equal(esc_unhex("0aFf", 4, out, 2), 0);
	assert_int_equal(out[0], 0x0a);
	assert_int_equal(out[1], 0xff);
	assert_int_equal(esc_unhex("0g00", 4, out, 2), -1);
	assert_int_equal(esc_unhex("000", 3, out, 2), -1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_vectors),
		cmocka_unit_test(test_streaming_million_a),
		cmocka_unit_test(test_unhex),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
