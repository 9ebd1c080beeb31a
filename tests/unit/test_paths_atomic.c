/* test_paths_atomic.c -- payload path safety, BagIt path encoding, atomic outputs. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_private.h"

static void test_path_safety(void **state)
{
	(void)state;
	assert_true(esc_path_is_safe("src/app/main.py"));
	assert_true(esc_path_is_safe("na\xc3\xafve/caf\xc3\xa9 %20.txt"));
	assert_true(esc_path_is_safe("..hidden/x..y"));
	assert_false(esc_path_is_safe(""));
	assert_false(esc_path_is_safe("/etc/passwd"));
	assert_false(esc_path_is_safe("../x"));
	assert_false(esc_path_is_safe("a/../../x"));
	assert_false(esc_path_is_safe("a/./x"));
	assert_false(esc_path_is_safe("a//x"));
	assert_false(esc_path_is_safe("a/"));
	assert_false(esc_path_is_safe("a/.."));
	assert_false(esc_path_is_safe("bad\x01name"));
	assert_false(esc_path_is_safe("overlong\xc0\xaf"));
	assert_false(esc_path_is_safe("surrogate\xed\xa0\x80"));
	assert_false(esc_path_is_safe("cut\xe2\x82"));
}

static void test_bag_encoding(void **state)
{
	char *e, *d;

	(void)state;
	e = esc_bag_path_encode("a%b\r\nc d");
	assert_string_equal(e, "a%25b%0D%0Ac d");
	d = esc_bag_path_decode(e);
	assert_string_equal(d, "a%b\r\nc d");
	free(e);
	free(d);
	assert_null(esc_bag_path_decode("bad%2"));
	assert_null(esc_bag_path_decode("bad%41"));
}

static void test_atomic(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	char dir[] = "/tmp/escrow-util-XXXXXX", path[256], *tmp = NULL;
	struct stat st;
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/out.bin", dir);
	assert_int_equal(esc_atomic_open(ctx, path, 0600, 0, &fd, &tmp), ESCROW_OK);
	assert_int_equal(esc_write_all(ctx, fd, "hello", 5, path), ESCROW_OK);
	assert_int_not_equal(stat(path, &st), 0); /* nothing visible before commit */
	assert_int_equal(esc_atomic_commit(ctx, fd, tmp, path, 0), ESCROW_OK);
	free(tmp);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* An existing output is refused without ESCROW_FORCE. */
	assert_int_equal(esc_atomic_open(ctx, path, 0600, 0, &fd, &tmp), ESCROW_E_EXISTS);
	assert_non_null(strstr(escrow_ctx_error(ctx), "--force"));
	/* abort leaves nothing behind. */
	assert_int_equal(esc_atomic_open(ctx, path, 0644, ESCROW_FORCE, &fd, &tmp), ESCROW_OK);
	esc_atomic_abort(fd, tmp);
	assert_int_not_equal(stat(tmp, &st), 0);
	free(tmp);
	/* A missing folder is a creation error. */
	snprintf(path, sizeof path, "%s/missing/out.bin", dir);
	assert_int_equal(esc_atomic_open(ctx, path, 0600, 0, &fd, &tmp), ESCROW_E_CREATE);
	snprintf(path, sizeof path, "%s/out.bin", dir);
	unlink(path);
	rmdir(dir);
	escrow_ctx_free(ctx);
}

static void test_strerror_stable(void **state)
{
	(void)state;
	assert_int_equal(ESCROW_TAMPERED, 1);
	assert_int_equal(ESCROW_INCOMPLETE, 2);
	assert_int_equal(ESCROW_E_INTERNAL, 20);
	assert_string_equal(escrow_strerror(ESCROW_BAD_SIGNATURE), "bad signature");
	assert_string_equal(escrow_strerror((escrow_status)999), "unknown status");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_path_safety),
		cmocka_unit_test(test_bag_encoding),
		cmocka_unit_test(test_atomic),
		cmocka_unit_test(test_strerror_stable),
	};
	assert_int_equal(escrow_init(), ESCROW_OK);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
