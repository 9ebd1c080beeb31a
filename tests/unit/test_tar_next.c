/* test_tar_next.c -- the read path's entry delivery (bundle_read_next.c):
 * entries and their data handed out in place from buffers of every size,
 * data left unread skipped, the end where libarchive put it (first zero
 * block, the second when whole), and a stream that stops early told apart:
 * at a header's first byte (a clean end, the reader then finds the end
 * marker missing), inside a header, inside data or padding. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "esc_bundle_read.h"
#include "esc_pack.h"

#include <archive_entry.h>

struct tarbuf {
	uint8_t b[16384];
	size_t n;
};

struct src {
	const uint8_t *d;
	size_t n, pos, chunk;
	bool fail_at_end;
};

static long more(void *user, const void **buf)
{
	struct src *s = user;
	size_t k = s->n - s->pos < s->chunk ? s->n - s->pos : s->chunk;

	if (k == 0)
		return s->fail_at_end ? -1 : 0;
	*buf = s->d + s->pos;
	s->pos += k;
	return (long)k;
}

static void entry(struct tarbuf *t, const char *path, unsigned type, const char *text)
{
	size_t n, len = text ? strlen(text) : 0;

	assert_int_equal(esc_ptar_header(path, type, type == AE_IFDIR ? 0755 : type == AE_IFLNK ? 0777 : 0644, len,
	                                 1767225600, type == AE_IFLNK ? "target" : NULL, t->b + t->n,
	                                 sizeof t->b - t->n, &n), ESCROW_OK);
	t->n += n;
	if (len > 0) {
		memset(t->b + t->n, 0, (len + 511) & ~(size_t)511);
		memcpy(t->b + t->n, text, len);
		t->n += (len + 511) & ~(size_t)511;
	}
}

/* BAG/, BAG/a.txt (700 bytes), a long pax-named file (3 bytes), a symlink,
 * an empty file, then `zeros` bytes of zeros. */
static struct tarbuf *sample(size_t zeros)
{
	struct tarbuf *t = calloc(1, sizeof *t);
	char text[701], lp[300];

	assert_non_null(t);
	memset(text, 'a', 700);
	text[700] = '\0';
	snprintf(lp, sizeof lp, "BAG/%0200d", 7);
	entry(t, "BAG", AE_IFDIR, NULL);
	entry(t, "BAG/a.txt", AE_IFREG, text);
	entry(t, lp, AE_IFREG, "pax");
	entry(t, "BAG/l", AE_IFLNK, NULL);
	entry(t, "BAG/e", AE_IFREG, NULL);
	memset(t->b + t->n, 0, zeros);
	t->n += zeros;
	return t;
}

struct seen {
	int n, rc, fail;
	bool short_in_data;
	uint64_t off;
	char data[1024];
	size_t dlen;
};

/* Reads everything (data of entry `skip` left unread, in slices of `max`). */
static void read_all(const struct tarbuf *t, size_t len, size_t chunk, int skip, size_t max, struct seen *s)
{
	struct esc_tarrd *r = calloc(1, sizeof *r);
	struct src src = {t->b, len, 0, chunk, false};
	struct esc_tarent e;

	assert_non_null(r);
	memset(s, 0, sizeof *s);
	r->more = more;
	r->user = &src;
	while ((s->rc = esc_tarrd_next(r, &e)) == 1) {
		const void *b;
		size_t n;
		int k = 0;

		if (s->n == 1) {
			assert_string_equal(e.path, "BAG/a.txt");
			assert_int_equal(e.size, 700);
		}
		if (s->n == 3)
			assert_string_equal(e.link, "target");
		while (s->n != skip && (k = esc_tarrd_data(r, &b, &n, max)) == 1) {
			assert_true(n > 0 && n <= max && s->dlen + n <= sizeof s->data);
			memcpy(s->data + s->dlen, b, n);
			s->dlen += n;
		}
		free(e.path);
		free(e.link);
		s->n++;
		if (k < 0) {
			s->rc = -1;
			break;
		}
	}
	s->fail = r->fail;
	s->short_in_data = r->short_in_data;
	s->off = r->off;
	esc_tarscan_free(&r->scan);
	free(r);
}

static void test_whole_in_any_chunking(void **state)
{
	static const size_t chunks[] = {1, 7, 511, 512, 513, 1000, 4096, 1 << 20};
	struct tarbuf *t = sample(1024);
	size_t c;

	(void)state;
	for (c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct seen s;

		read_all(t, t->n, chunks[c], -1, chunks[c] % 2 ? 100 : SIZE_MAX, &s);
		assert_int_equal(s.rc, 0);
		assert_int_equal(s.n, 5);
		assert_int_equal(s.dlen, 703);
		assert_int_equal(s.data[0], 'a');
		assert_memory_equal(s.data + 700, "pax", 3);
		assert_int_equal(s.off, t->n); /* both zero blocks taken */
		read_all(t, t->n, chunks[c], 1, SIZE_MAX, &s); /* a.txt skipped */
		assert_int_equal(s.rc, 0);
		assert_int_equal(s.n, 5);
		assert_int_equal(s.dlen, 3);
	}
	free(t);
}

static void test_the_end(void **state)
{
	struct tarbuf *t = sample(0);
	size_t body = t->n;
	struct seen s;

	(void)state;
	/* At a header's first byte: a clean end where the stream stops. */
	read_all(t, body, 300, -1, SIZE_MAX, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.off, body);
	free(t);
	/* One zero block, then a non-zero one: only the first is the end's. */
	t = sample(1024);
	t->b[body + 600] = 1;
	read_all(t, t->n, 4096, -1, SIZE_MAX, &s);
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.off, body + 512);
	t->b[body + 600] = 0;
	read_all(t, body + 700, 4096, -1, SIZE_MAX, &s); /* the second block cut short */
	assert_int_equal(s.rc, 0);
	assert_int_equal(s.off, body + 512);
	free(t);
}

static void test_short_streams(void **state)
{
	struct tarbuf *t = sample(1024);
	struct seen s;

	(void)state;
	read_all(t, 300, 512, -1, SIZE_MAX, &s); /* inside the first header */
	assert_int_equal(s.rc, -1);
	assert_int_equal(s.fail, ESC_TR_SHORT);
	assert_false(s.short_in_data);
	read_all(t, 1024 + 100, 512, -1, SIZE_MAX, &s); /* inside a.txt's data */
	assert_int_equal(s.rc, -1);
	assert_int_equal(s.fail, ESC_TR_SHORT);
	assert_true(s.short_in_data);
	assert_int_equal(s.dlen, 100);
	read_all(t, 1024 + 800, 512, -1, SIZE_MAX, &s); /* inside its padding */
	assert_int_equal(s.fail, ESC_TR_SHORT);
	assert_true(s.short_in_data);
	assert_int_equal(s.dlen, 700);
	read_all(t, 1024 + 800, 512, 1, SIZE_MAX, &s); /* the same, its data skipped */
	assert_int_equal(s.fail, ESC_TR_SHORT);
	assert_true(s.short_in_data);
	free(t);
}

static void test_refusals(void **state)
{
	struct tarbuf *t = sample(1024);
	struct seen s;

	(void)state;
	/* Non-zero padding after a.txt: refused by the scanner when the buffer
	 * holding it arrives, before any entry of that buffer is handed out. */
	t->b[1024 + 700] = 'x';
	read_all(t, t->n, 1 << 20, -1, SIZE_MAX, &s);
	assert_int_equal(s.rc, -1);
	assert_int_equal(s.fail, ESC_TR_SCAN);
	assert_int_equal(s.n, 0);
	read_all(t, t->n, 1536, -1, SIZE_MAX, &s); /* the first buffer ends inside a.txt's data */
	assert_int_equal(s.fail, ESC_TR_SCAN);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.dlen, 512); /* a.txt's data up to the buffer that fails */
	t->b[1024 + 700] = 0;
	/* A stream that fails is the stream's failure. */
	{
		struct esc_tarrd *r = calloc(1, sizeof *r);
		struct src src = {t->b, 700, 0, 512, true};
		struct esc_tarent e;

		assert_non_null(r);
		r->more = more;
		r->user = &src;
		assert_int_equal(esc_tarrd_next(r, &e), 1);
		free(e.path);
		assert_int_equal(esc_tarrd_next(r, &e), -1);
		assert_int_equal(r->fail, ESC_TR_STREAM);
		esc_tarscan_free(&r->scan);
		free(r);
	}
	free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_whole_in_any_chunking),
		cmocka_unit_test(test_the_end),
		cmocka_unit_test(test_short_streams),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
