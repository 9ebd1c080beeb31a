/* test_pack.c -- the writer's layers: zstd (determinism across worker counts,
 * level changes, checksums), the level picker, the output sink on a full
 * disk, and escrow_pack's failure paths (nothing is left behind). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>

#include "esc_pack.h"
#include "memsink.h"
#include "options.h"

/* Text that compresses well, then float-like bytes that barely do. */
static uint8_t *make_data(size_t n)
{
	uint8_t *d = malloc(n);
	uint64_t s = 42;
	size_t i;
	static const char *const words[] = {"static", "int", "value", "return", "if", "(", ")", ";\n",
	                                    "buffer", "len", "=", "0", "ctx", "->", "status", "{\n", "}\n"};

	assert_non_null(d);
	/* code-like text from a small vocabulary */
	for (i = 0; i < n / 2;) {
		const char *w;

		s = s * 6364136223846793005ull + 1442695040888963407ull;
		for (w = words[(s >> 33) % 17]; *w && i < n / 2; w++)
			d[i++] = (uint8_t)*w;
		if (i < n / 2)
			d[i++] = ' ';
	}
	for (; i < n; i++) {
		s = s * 6364136223846793005ull + 1442695040888963407ull;
		/* low bytes random, every 4th byte a narrow "exponent" */
		d[i] = (i % 4 == 3) ? (uint8_t)(0x3c + (s >> 62)) : (uint8_t)(s >> 56);
	}
	return d;
}

static void compress(int threads, const uint8_t *d, size_t n, struct mem *out)
{
	escrow_ctx *ctx = escrow_ctx_new();
	esc_zw *z = NULL;
	size_t off, k;

	assert_int_equal(esc_zw_new(ctx, 3, threads, (struct esc_sink){mem_write, out}, &z), ESCROW_OK);
	for (off = 0; off < n; off += k) {
		k = n - off < 100000 ? n - off : 100000;

		if (off < n / 2 && off + k > n / 2)
			k = n / 2 - off; /* the level changes on this byte */
		if (off == n / 2)
			assert_int_equal(esc_zw_set_level(z, esc_zw_pick_level(z, d + off, 65536)), ESCROW_OK);
		assert_int_equal(esc_zw_write(z, d + off, k), ESCROW_OK);
	}
	assert_int_equal(esc_zw_finish(z), ESCROW_OK);
	esc_zw_free(z);
	escrow_ctx_free(ctx);
}

/* Independent frames, each declaring its size (at most ESC_ZW_FRAME_MAX),
 * with a checksum; one ends where the level changes (at n / 2). */
static void check_frames(const struct mem *m, size_t n)
{
	size_t off = 0, sum = 0, frames = 0;
	bool at_half = false;

	while (off < m->n) {
		size_t len = ZSTD_findFrameCompressedSize(m->p + off, m->n - off);
		unsigned long long fcs = ZSTD_getFrameContentSize(m->p + off, m->n - off);
		ZSTD_frameHeader h;

		assert_false(ZSTD_isError(len));
		assert_true(fcs != ZSTD_CONTENTSIZE_UNKNOWN && fcs != ZSTD_CONTENTSIZE_ERROR);
		assert_true(fcs > 0 && fcs <= ESC_ZW_FRAME_MAX);
		assert_int_equal(ZSTD_getFrameHeader(&h, m->p + off, m->n - off), 0);
		assert_true(h.checksumFlag);
		sum += (size_t)fcs;
		at_half = at_half || sum == n / 2;
		off += len;
		frames++;
	}
	assert_int_equal(sum, n);
	assert_true(frames >= 3);
	assert_true(at_half);
}

static void test_zstd_deterministic(void **state)
{
	size_t n = 12u << 20;
	uint8_t *d = make_data(n), *back = malloc(n);
	struct mem a = {0}, b = {0}, c = {0};

	(void)state;
	compress(1, d, n, &a);
	compress(2, d, n, &b);
	compress(4, d, n, &c);
	assert_int_equal(a.n, b.n);
	assert_memory_equal(a.p, b.p, a.n);
	assert_int_equal(a.n, c.n);
	assert_memory_equal(a.p, c.p, a.n);
	assert_true(a.n < n);
	/* Frame header descriptor, after the magic: bit 2 is the checksum flag. */
	assert_memory_equal(a.p, "\x28\xb5\x2f\xfd", 4);
	assert_true(a.p[4] & 0x04);
	assert_int_equal(ZSTD_decompress(back, n, a.p, a.n), n);
	assert_memory_equal(back, d, n);
	check_frames(&a, n);
	/* A flipped byte is caught (by a block or by the content checksum). */
	a.p[a.n / 2] ^= 0x20;
	assert_true(ZSTD_isError(ZSTD_decompress(back, n, a.p, a.n)) || memcmp(back, d, n) != 0);
	free(a.p);
	free(b.p);
	free(c.p);
	free(back);
	free(d);
}

/* Nothing written is still a zstd stream: one empty frame. */
static void test_zstd_empty(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct mem m = {0};
	esc_zw *z = NULL;
	char back[1];

	(void)state;
	assert_int_equal(esc_zw_new(ctx, 3, 2, (struct esc_sink){mem_write, &m}, &z), ESCROW_OK);
	assert_int_equal(esc_zw_finish(z), ESCROW_OK);
	esc_zw_free(z);
	assert_true(m.n > 0);
	assert_int_equal(ZSTD_findFrameCompressedSize(m.p, m.n), m.n);
	assert_int_equal(ZSTD_decompress(back, sizeof back, m.p, m.n), 0);
	escrow_ctx_free(ctx);
	free(m.p);
}

static void test_pick_level(void **state)
{
	size_t n = 1u << 20;
	uint8_t *d = make_data(n);
	escrow_ctx *ctx = escrow_ctx_new();
	struct mem m = {0};
	esc_zw *z = NULL;

	(void)state;
	assert_int_equal(esc_zw_new(ctx, 3, 1, (struct esc_sink){mem_write, &m}, &z), ESCROW_OK);
	assert_int_equal(esc_zw_base_level(z), 3);
	/* Float-like bytes: a cheaper level loses nothing. Text keeps level 3. */
	assert_true(esc_zw_pick_level(z, d + n / 2, 65536) < 3);
	assert_int_equal(esc_zw_pick_level(z, d, 65536), 3);
	assert_int_equal(esc_zw_pick_level(z, d, 0), 3);
	/* Text around a float-like middle: a sample from the middle alone chose
	 * a cheaper level; samples spread over the bytes keep level 3. */
	{
		size_t t = 96u << 10, f = 64u << 10;
		uint8_t *mix = malloc(2 * t + f);

		assert_non_null(mix);
		memcpy(mix, d, t);
		memcpy(mix + t, d + n / 2, f);
		memcpy(mix + t + f, d + t, t);
		assert_true(esc_zw_pick_level(z, mix + t, f) < 3);
		assert_int_equal(esc_zw_pick_level(z, mix, 2 * t + f), 3);
		free(mix);
	}
	esc_zw_free(z);
	escrow_ctx_free(ctx);
	free(m.p);
	free(d);
}

static void test_outsink_disk_full(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_outsink o;
	int fd = open("/dev/full", O_WRONLY);

	(void)state;
	if (fd < 0) {
		fprintf(stderr, "SKIPPED: test_outsink_disk_full: /dev/full cannot be opened: %s\n", strerror(errno));
		escrow_ctx_free(ctx);
		skip();
	}
	assert_int_equal(esc_outsink_init(ctx, &o, fd, "bundle.escrow", NULL), ESCROW_OK);
	assert_int_equal(esc_outsink_write(&o, "abc", 3), ESCROW_E_IO);
	assert_non_null(strstr(escrow_ctx_error(ctx), "bundle.escrow"));
	esc_outsink_clear(&o);
	close(fd);
	escrow_ctx_free(ctx);
}

/* The file sink around the page cache: pieces of every size and alignment,
 * aligned runs straight from the caller, the partial last block; the file
 * and its SHA-256 must be exactly the bytes written, in both the one-thread
 * layout and the split one (write signs and hands on, put hashes and writes). */
static void outsink_direct_case(int split)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_outsink o;
	char path[] = "outsink-direct-XXXXXX";
	size_t total = (3u << 20) + 777, pos = 0, i, step = 1;
	uint8_t *data = aligned_alloc(ESC_DIO_ALIGN, (total + ESC_DIO_ALIGN - 1) / ESC_DIO_ALIGN * ESC_DIO_ALIGN), *back = malloc(total + 1), want[32], got[32];
	int fd = mkstemp(path);
	ssize_t n;

	assert_true(fd >= 0 && data != NULL && back != NULL);
	for (i = 0; i < total; i++)
		data[i] = (uint8_t)(i * 2654435761u >> 13);
	assert_int_equal(esc_outsink_init(ctx, &o, fd, "bundle.escrow", NULL), ESCROW_OK);
	if (split)
		o.after = (struct esc_sink){esc_outsink_put, &o};
	esc_outsink_try_direct(&o);
	/* an aligned megabyte and a half first: written straight from data */
	assert_int_equal(esc_outsink_write(&o, data, (3u << 20) / 2), ESCROW_OK);
	pos = (3u << 20) / 2;
	while (pos < total - 5) {
		/* 1, 3, 9 ... bytes, then aligned megabyte runs, then odd ones */
		size_t len = pos % ESC_DIO_ALIGN == 0 && step > 4096 ? (1u << 20) : step;

		if (len > total - 5 - pos)
			len = total - 5 - pos;
		assert_int_equal(esc_outsink_write(&o, data + pos, len), ESCROW_OK);
		pos += len;
		step = step * 3 + 1;
		if (step > (1u << 20))
			step = 4097;
	}
	assert_int_equal(esc_outsink_write(&o, data + pos, total - pos), ESCROW_OK);
	assert_int_equal(esc_outsink_flush(&o), ESCROW_OK);
	assert_int_equal(o.bytes, total);
	esc_sha256_final(o.sha, got);
	esc_sha256_buf(data, total, want);
	assert_memory_equal(got, want, 32);
	assert_int_equal(fsync(fd), 0);
	assert_int_equal(lseek(fd, 0, SEEK_SET), 0);
	close(fd);
	fd = open(path, O_RDONLY);
	assert_true(fd >= 0);
	for (pos = 0; (n = read(fd, back + pos, total + 1 - pos)) > 0;)
		pos += (size_t)n;
	assert_int_equal(pos, total);
	assert_memory_equal(back, data, total);
	close(fd);
	unlink(path);
	esc_outsink_clear(&o);
	escrow_ctx_free(ctx);
	free(data);
	free(back);
}

static void test_outsink_direct(void **state)
{
	(void)state;
	outsink_direct_case(0);
	outsink_direct_case(1);
}

static void test_names(void **state)
{
	char *s = esc_pack_bag_name("fraud scoring/é", "2.4.0");
	char iso[32];

	(void)state;
	assert_string_equal(s, "fraud-scoring----2.4.0"); /* é is two bytes */
	free(s);
	s = esc_pack_bag_name("a", "");
	assert_string_equal(s, "a-");
	free(s);
	esc_pack_iso8601(1767225600, iso);
	assert_string_equal(iso, "2026-01-01T00:00:00Z");
}

/* ---- escrow_pack end to end, failure paths ---- */
static char dir[256];

static void sh(const char *fmt, ...)
{
	char cmd[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	assert_int_equal(system(cmd), 0);
}

static int count_entries(const char *path)
{
	DIR *d = opendir(path);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		if (strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, ".."))
			n++;
	closedir(d);
	return n;
}

static int setup(void **state)
{
	const char *base = getenv("ESCROW_TEST_TMP");
	escrow_ctx *ctx = escrow_ctx_new();
	char prefix[300];

	(void)state;
	if (escrow_init() != ESCROW_OK)
		return -1;
	if (base == NULL)
		base = "/tmp";
	mkdir(base, 0755);
	snprintf(dir, sizeof dir, "%s/pack.XXXXXX", base);
	if (mkdtemp(dir) == NULL)
		return -1;
	sh("mkdir -p '%s/src/sub' '%s/out' && echo hi >'%s/src/a.txt' && head -c 200000 /dev/urandom >'%s/src/sub/r.bin'",
	   dir, dir, dir, dir);
	snprintf(prefix, sizeof prefix, "%s/k", dir);
	if (escrow_keygen(ctx, prefix, NULL, 0) != ESCROW_OK)
		return -1;
	escrow_ctx_free(ctx);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sh("rm -rf '%s'", dir);
	return 0;
}

static escrow_status pack_to(escrow_ctx *ctx, const char *src, const char *out, unsigned flags)
{
	char kp[300];
	escrow_seckey *sk = NULL;
	escrow_options *o = opts_new();
	escrow_result *r = NULL;
	escrow_report *rep = NULL;
	escrow_status st;

	snprintf(kp, sizeof kp, "%s/k.key", dir);
	assert_int_equal(escrow_seckey_load(ctx, kp, NULL, &sk), ESCROW_OK);
	opt_str(o, ESCROW_OPT_SOURCE, src);
	opt_str(o, ESCROW_OPT_OUTPUT, out);
	opt_seckey(o, sk);
	opt_int(o, ESCROW_OPT_FLAGS, flags | ESCROW_QUIET);
	st = escrow_pack(ctx, o, &r, &rep);
	if (st == ESCROW_OK) {
		assert_non_null(rep);
		assert_int_equal(escrow_result_u64(r, ESCROW_RESULT_FILES), 2);
		assert_int_equal(escrow_result_u64(r, ESCROW_RESULT_BYTES_IN), 200003);
		assert_int_equal(strlen(escrow_result_string(r, ESCROW_RESULT_SHA256)), 64);
		assert_int_equal(strlen(escrow_result_string(r, ESCROW_RESULT_KEY_ID)), 16);
		assert_int_equal(escrow_result_u64(r, ESCROW_RESULT_SEALED), 0);
	} else {
		assert_null(rep);
		assert_null(r);
	}
	escrow_result_free(r);
	escrow_options_free(o);
	escrow_report_free(rep);
	escrow_seckey_free(sk);
	return st;
}

static void test_pack_failures(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	char src[300], out[300], missing[300];
	int saved, full;

	(void)state;
	assert_true(escrow_init() == ESCROW_OK);
	snprintf(src, sizeof src, "%s/src", dir);
	snprintf(out, sizeof out, "%s/out/b.escrow", dir);
	snprintf(missing, sizeof missing, "%s/nope", dir);
	assert_int_equal(pack_to(ctx, missing, out, 0), ESCROW_E_OPEN);
	snprintf(missing, sizeof missing, "%s/out", dir);
	assert_int_equal(count_entries(missing), 0);
	/* Interrupted before it starts writing: no file. */
	escrow_ctx_interrupt(ctx);
	assert_int_equal(pack_to(ctx, src, out, 0), ESCROW_E_INTERRUPTED);
	escrow_ctx_free(ctx);
	ctx = escrow_ctx_new();
	snprintf(missing, sizeof missing, "%s/out", dir);
	assert_int_equal(count_entries(missing), 0);
	/* A good pack, then the same output again without FORCE. */
	assert_int_equal(pack_to(ctx, src, out, 0), ESCROW_OK);
	assert_int_equal(pack_to(ctx, src, out, 0), ESCROW_E_EXISTS);
	assert_int_equal(pack_to(ctx, src, out, ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(count_entries(missing), 1);
	/* Disk full on stdout. */
	full = open("/dev/full", O_WRONLY);
	if (full >= 0) {
		fflush(stdout);
		saved = dup(1);
		dup2(full, 1);
		assert_int_equal(pack_to(ctx, src, "-", 0), ESCROW_E_IO);
		dup2(saved, 1);
		close(saved);
		close(full);
	}
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_zstd_deterministic),
		cmocka_unit_test(test_zstd_empty),
		cmocka_unit_test(test_pick_level),
		cmocka_unit_test(test_outsink_disk_full),
		cmocka_unit_test(test_outsink_direct),
		cmocka_unit_test(test_names),
		cmocka_unit_test_setup_teardown(test_pack_failures, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
