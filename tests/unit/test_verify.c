/* test_verify.c -- the bundle reader's parts: strict zstd frames, lexical
 * symlink resolution, and the public entry points' argument and input errors.
 * Whole bundles (good, tampered, hostile) are tested end to end in
 * tests/cli/{verify,extract,hostile,list}.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "esc_bundle_read.h"
#include "options.h"

static size_t frame(const void *src, size_t len, int checksum, uint8_t *out, size_t cap)
{
	ZSTD_CCtx *c = ZSTD_createCCtx();
	size_t n;

	ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, checksum);
	n = ZSTD_compress2(c, out, cap, src, len);
	ZSTD_freeCCtx(c);
	assert_false(ZSTD_isError(n));
	return n;
}

/* Feeds in in pieces of `piece` bytes; returns the status and the output. */
static escrow_status decode(const uint8_t *in, size_t len, size_t piece, uint8_t *out, size_t cap, size_t *got)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_zread *z = NULL;
	ZSTD_outBuffer ob = {out, cap, 0};
	escrow_status st;
	size_t pos = 0;

	assert_int_equal(esc_zread_new(ctx, "t", &z), ESCROW_OK);
	st = ESCROW_OK;
	while (st == ESCROW_OK && pos < len) {
		size_t n = len - pos < piece ? len - pos : piece;
		ZSTD_inBuffer ib = {in + pos, n, 0};

		while (st == ESCROW_OK && ib.pos < ib.size)
			st = esc_zread_step(z, &ib, &ob);
		pos += n;
	}
	if (st == ESCROW_OK)
		st = esc_zread_step(z, &(ZSTD_inBuffer){NULL, 0, 0}, &ob);
	if (st == ESCROW_OK)
		st = esc_zread_end(z);
	*got = ob.pos;
	esc_zread_free(z);
	escrow_ctx_free(ctx);
	return st;
}

static void test_zstd_frames(void **state)
{
	static uint8_t plain[300000], z[700000], out[700000];
	size_t i, n1, n2, got;
	const size_t pieces[] = {1, 3, 5, 4096, 1u << 20};

	(void)state;
	for (i = 0; i < sizeof plain; i++)
		plain[i] = (uint8_t)(i * 7 / 13);
	/* Two frames, cut anywhere: the same bytes come out. */
	n1 = frame(plain, 100000, 1, z, sizeof z);
	n2 = frame(plain + 100000, sizeof plain - 100000, 1, z + n1, sizeof z - n1);
	for (i = 0; i < sizeof pieces / sizeof pieces[0]; i++) {
		assert_int_equal(decode(z, n1 + n2, pieces[i], out, sizeof out, &got), ESCROW_OK);
		assert_int_equal(got, sizeof plain);
		assert_memory_equal(out, plain, sizeof plain);
	}
	/* Truncated anywhere: tampered. */
	for (i = 1; i < n1 + n2; i += (n1 + n2) / 37)
		assert_int_equal(decode(z, i, 4096, out, sizeof out, &got), ESCROW_TAMPERED);
	assert_int_equal(decode(z, 0, 4096, out, sizeof out, &got), ESCROW_TAMPERED);
	/* A flipped byte inside the data: the checksum or the decoder says so. */
	z[n1 / 2] ^= 0x20;
	assert_int_equal(decode(z, n1 + n2, 4096, out, sizeof out, &got), ESCROW_TAMPERED);
	z[n1 / 2] ^= 0x20;
	/* Trailing garbage, a skippable frame, a frame without checksum. */
	memcpy(z + n1, "garbage", 7);
	assert_int_equal(decode(z, n1 + 7, 3, out, sizeof out, &got), ESCROW_TAMPERED);
	memcpy(z + n1, "\x50\x2a\x4d\x18\x00\x00\x00\x00", 8);
	assert_int_equal(decode(z, n1 + 8, 4096, out, sizeof out, &got), ESCROW_TAMPERED);
	n2 = frame(plain, 1000, 0, z + n1, sizeof z - n1);
	assert_int_equal(decode(z, n1 + n2, 4096, out, sizeof out, &got), ESCROW_TAMPERED);
	n1 = frame(plain, 1000, 0, z, sizeof z);
	assert_int_equal(decode(z, n1, 4096, out, sizeof out, &got), ESCROW_TAMPERED);
}

static void add(struct esc_rd *rd, const char *path, enum esc_ftype t, const char *target)
{
	struct esc_file *f = esc_files_push(&rd->files);

	assert_non_null(f);
	f->path = strdup(path);
	f->type = t;
	if (target != NULL) {
		f->link = calloc(1, sizeof *f->link);
		assert_non_null(f->link);
		f->link->target = strdup(target);
	}
}

static void test_resolve(void **state)
{
	struct esc_rd rd;
	long t;

	(void)state;
	memset(&rd, 0, sizeof rd);
	/* Records sorted bytewise, as the reader requires. */
	add(&rd, "a", ESC_FT_DIR, NULL);
	add(&rd, "a/f", ESC_FT_FILE, NULL);
	add(&rd, "a/up", ESC_FT_SYMLINK, "../../x");        /* 2: escapes */
	add(&rd, "b", ESC_FT_SYMLINK, "a");                 /* 3: folder */
	add(&rd, "c", ESC_FT_SYMLINK, "b/f");               /* 4: through a folder link */
	add(&rd, "d", ESC_FT_SYMLINK, "nowhere");           /* 5: dangles */
	add(&rd, "e", ESC_FT_SYMLINK, "f");                 /* 6: loop */
	add(&rd, "f", ESC_FT_SYMLINK, "e");                 /* 7: loop */
	add(&rd, "g", ESC_FT_SYMLINK, "a/f/x");             /* 8: a file used as a folder */
	add(&rd, "h", ESC_FT_SYMLINK, ".");                 /* 9: the root */
	add(&rd, "i", ESC_FT_SYMLINK, "./a/../a/./f");      /* 10 */
	assert_int_equal(esc_rd_find(&rd, "a/f"), 1);
	assert_int_equal(esc_rd_find(&rd, "zz"), -1);
	assert_int_equal(esc_rd_resolve(&rd, 2, &t), -1);
	assert_int_equal(esc_rd_resolve(&rd, 3, &t), 0);
	assert_int_equal(t, 0);
	assert_int_equal(esc_rd_resolve(&rd, 4, &t), 0);
	assert_int_equal(t, 1);
	assert_int_equal(esc_rd_resolve(&rd, 5, &t), -1);
	assert_int_equal(esc_rd_resolve(&rd, 6, &t), -1);
	assert_int_equal(esc_rd_resolve(&rd, 8, &t), -1);
	assert_int_equal(esc_rd_resolve(&rd, 9, &t), 0);
	assert_int_equal(t, -1);
	assert_int_equal(esc_rd_resolve(&rd, 10, &t), 0);
	assert_int_equal(t, 1);
	esc_files_free(&rd.files);
}

static void test_entry_points(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_report *r = NULL;
	escrow_pubkey *pk = NULL;
	const char *key = "RWSpwsakBkNg6IcNY7c6oHBQ01SSo5jJuIGS3g3Xq1R3kUz5OUTtyfer";
	char path[] = "/tmp/escrow-test-verify-XXXXXX";
	int fd;

	(void)state;
	assert_int_equal(escrow_init(), ESCROW_OK);
	assert_int_equal(escrow_pubkey_parse(ctx, key, strlen(key), &pk), ESCROW_OK);
	assert_int_equal(escrow_verify(ctx, o, &r), ESCROW_E_USAGE);
	assert_int_equal(escrow_verify(ctx, NULL, &r), ESCROW_E_USAGE);
	opt_str(o, ESCROW_OPT_BUNDLE, "/nonexistent/bundle.escrow");
	opt_pubkey(o, pk);
	assert_int_equal(escrow_verify(ctx, o, &r), ESCROW_E_OPEN);
	assert_null(r);
	assert_int_equal(escrow_extract(ctx, o, &r), ESCROW_E_USAGE); /* no target */
	/* Random bytes: a report saying tampered, never a crash. */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "\x28\xb5\x2f\xfd\x24garbage-after-a-magic", 26), 26);
	close(fd);
	opt_str(o, ESCROW_OPT_BUNDLE, path);
	assert_int_equal(escrow_verify(ctx, o, &r), ESCROW_TAMPERED);
	assert_non_null(r);
	assert_string_equal(escrow_report_verdict(r), "tampered");
	escrow_report_free(r);
	r = NULL;
	assert_int_equal(escrow_list(ctx, o, &r), ESCROW_TAMPERED);
	escrow_report_free(r);
	escrow_options_free(o);
	unlink(path);
	escrow_pubkey_free(pk);
	escrow_ctx_free(ctx);
}

/* What a file that is no bundle is said to be. */
static void test_sniff(void **state)
{
	uint8_t tar[512];
	unsigned long sum = 0;
	char out[128];
	size_t i;

	(void)state;
	esc_sniff((const uint8_t *)"", 0, out, sizeof out);
	assert_string_equal(out, "nothing (0 bytes)");
	esc_sniff((const uint8_t *)"# the annex\nescrow-contract: 1\n", 31, out, sizeof out);
	assert_string_equal(out, "a YAML file (text)");
	esc_sniff((const uint8_t *)"Dear notary,\nhere it is.\n", 25, out, sizeof out);
	assert_string_equal(out, "a text file");
	/* age -a: text, and its first line a "key: value" that is no YAML. */
	esc_sniff((const uint8_t *)"-----BEGIN AGE ENCRYPTED FILE-----\nYWdlLWVuY3J5cHRpb24ub3JnL3YxCi0+IFgy\n", 72, out,
	          sizeof out);
	assert_string_equal(out, "an ASCII-armored age file (age -a; a sealed bundle is binary age)");
	esc_sniff((const uint8_t *)"\x1f\x8b\x08\x00", 4, out, sizeof out);
	assert_string_equal(out, "gzip-compressed data");
	esc_sniff((const uint8_t *)"\x01\x02\x03\xff", 4, out, sizeof out);
	assert_string_equal(out, "unknown binary data");
	/* A ustar header whose checksum holds; with a wrong one, just bytes. */
	memset(tar, 0, sizeof tar);
	memcpy(tar, "src/", 4);
	memcpy(tar + 257, "ustar\0" "00", 8);
	for (i = 0; i < sizeof tar; i++)
		sum += (i >= 148 && i < 156) ? ' ' : tar[i];
	snprintf((char *)tar + 148, 8, "%06lo", sum);
	esc_sniff(tar, sizeof tar, out, sizeof out);
	assert_string_equal(out, "a tar archive");
	tar[0] = 'S';
	esc_sniff(tar, sizeof tar, out, sizeof out);
	assert_string_equal(out, "unknown binary data");
	/* A magic number cut short or with one byte changed: a damaged bundle. */
	assert_true(esc_sniff_damaged_magic((const uint8_t *)"\x28\xb5", 2));
	assert_true(esc_sniff_damaged_magic((const uint8_t *)"\x38\xb5\x2f\xfd\x00", 5));
	assert_true(esc_sniff_damaged_magic((const uint8_t *)"age-encryptiOn.org/v1\n->", 24));
	assert_false(esc_sniff_damaged_magic((const uint8_t *)"\x38\xb4\x2f\xfd\x00", 5));
	assert_false(esc_sniff_damaged_magic((const uint8_t *)"escrow-contract: 1\n", 19));
	assert_false(esc_sniff_damaged_magic((const uint8_t *)"", 0));
	assert_true(esc_sniff_bag_mark("x/tagmanifest-sha256.txt\0", 25));
	assert_false(esc_sniff_bag_mark("x/manifest-sha256.txt\0", 22));
}

/* A file that is no bundle: ESCROW_NOT_A_BUNDLE, a report that says so. */
static void test_not_a_bundle(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_report *r = NULL;
	escrow_pubkey *pk = NULL;
	const char *key = "RWSpwsakBkNg6IcNY7c6oHBQ01SSo5jJuIGS3g3Xq1R3kUz5OUTtyfer";
	const char *yaml = "escrow-contract: 1\ncontract: X\n";
	char path[] = "/tmp/escrow-test-verdict-XXXXXX", *json;
	int fd;

	(void)state;
	assert_int_equal(escrow_init(), ESCROW_OK);
	assert_int_equal(escrow_pubkey_parse(ctx, key, strlen(key), &pk), ESCROW_OK);
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, yaml, strlen(yaml)), (ssize_t)strlen(yaml));
	close(fd);
	opt_str(o, ESCROW_OPT_BUNDLE, path);
	opt_pubkey(o, pk);
	assert_int_equal(escrow_verify(ctx, o, &r), ESCROW_NOT_A_BUNDLE);
	assert_non_null(r);
	assert_int_equal(escrow_report_status(r), ESCROW_NOT_A_BUNDLE);
	assert_string_equal(escrow_report_verdict(r), "not-a-bundle");
	assert_non_null(strstr(escrow_ctx_error(ctx), "a YAML file"));
	json = escrow_report_json(r);
	assert_non_null(json);
	assert_non_null(strstr(json, "\"looks_like\": \"a YAML file (text)\""));
	assert_non_null(strstr(json, "\"status\": \"not-checked\""));
	assert_null(strstr(json, "\"totals\""));
	free(json);
	escrow_report_free(r);
	r = NULL;
	assert_int_equal(escrow_list(ctx, o, &r), ESCROW_NOT_A_BUNDLE);
	assert_string_equal(escrow_report_verdict(r), "not-a-bundle");
	escrow_report_free(r);
	escrow_options_free(o);
	assert_string_equal(escrow_strerror(ESCROW_NOT_A_BUNDLE), "not an escrow bundle");
	unlink(path);
	escrow_pubkey_free(pk);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zstd_frames),
		cmocka_unit_test(test_resolve),
		cmocka_unit_test(test_entry_points),
		cmocka_unit_test(test_sniff),
		cmocka_unit_test(test_not_a_bundle),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
