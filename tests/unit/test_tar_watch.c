/* test_tar_watch.c -- the raw tar header watch (bundle_read_tar.c) over
 * hand-made tar streams, fed whole and in every awkward chunking: headers,
 * pax data and file data split across buffers must give the same verdict.
 * Whole bundles are tested in tests/cli/reader_guards.sh. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "esc_bundle_read.h"
#include "esc_pack.h"

#include <archive_entry.h>

struct tarbuf {
	uint8_t b[16384];
	size_t n;
};

/* A header in the writer's field forms (for the types the writer never
 * makes, and 'x' headers made by hand). */
static void hdr(struct tarbuf *t, const char *name, char type, unsigned long size)
{
	uint8_t *h = t->b + t->n;
	char num[24];
	unsigned sum = 0;
	size_t i;

	memset(h, 0, 512);
	snprintf((char *)h, 100, "%s", name);
	memcpy(h + 100, "000644 ", 8);
	memcpy(h + 108, "000000 ", 8);
	memcpy(h + 116, "000000 ", 8);
	snprintf(num, sizeof num, "%011lo ", size);
	memcpy(h + 124, num, 12);
	memcpy(h + 136, "15130610000 ", 12);
	h[156] = (uint8_t)type;
	if (type == '1')
		h[157] = 'x'; /* a hard link names its target */
	memcpy(h + 257, "ustar\0" "00", 8);
	memcpy(h + 329, "000000 ", 8);
	memcpy(h + 337, "000000 ", 8);
	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf(num, sizeof num, "%06o", sum);
	memcpy(h + 148, num, 7);
	h[155] = ' ';
	t->n += 512;
}

/* An entry exactly as the writer makes it (an 'x' header first if needed). */
static void entry(struct tarbuf *t, const char *path, unsigned type, uint64_t size, const char *target)
{
	size_t n;

	assert_int_equal(esc_ptar_header(path, type, type == AE_IFDIR ? 0755 : type == AE_IFLNK ? 0777 : 0644, size,
	                                 1767225600, target, t->b + t->n, sizeof t->b - t->n, &n), ESCROW_OK);
	t->n += n;
}

static void data(struct tarbuf *t, const void *d, size_t len)
{
	memset(t->b + t->n, 0, (len + 511) & ~(size_t)511);
	memcpy(t->b + t->n, d, len);
	t->n += (len + 511) & ~(size_t)511;
}

static void end(struct tarbuf *t)
{
	memset(t->b + t->n, 0, 1024);
	t->n += 1024;
}

/* The verdict for every chunk size from 1 byte to the whole stream. */
static int verdict(const struct tarbuf *t)
{
	static const size_t chunks[] = {1, 7, 100, 511, 512, 513, 1000, 1024, 4096, 0};
	int first = -2;
	size_t c;

	for (c = 0; c < sizeof chunks / sizeof chunks[0]; c++) {
		struct esc_tarscan *s = calloc(1, sizeof *s);
		size_t step = chunks[c] ? chunks[c] : t->n, off;
		int v = 0;

		assert_non_null(s);
		for (off = 0; off < t->n && v == 0; off += step)
			v = esc_tarscan_feed(s, t->b + off, t->n - off < step ? t->n - off : step);
		if (first == -2)
			first = v;
		assert_int_equal(v, first);
		esc_tarscan_free(s);
		free(s);
	}
	return first;
}

static void good_stream(struct tarbuf *t)
{
	char longname[160];

	snprintf(longname, sizeof longname, "BAG/data/%0120d", 0);
	t->n = 0;
	entry(t, "BAG", AE_IFDIR, 0, NULL);
	entry(t, "BAG/data", AE_IFDIR, 0, NULL);
	entry(t, longname, AE_IFREG, 700, NULL);
	{
		uint8_t d[700];

		memset(d, 'A', sizeof d);
		data(t, d, sizeof d);
	}
	entry(t, "BAG/data/l", AE_IFLNK, 0, "a");
}

static void test_good(void **state)
{
	struct tarbuf *t = calloc(1, sizeof *t);

	(void)state;
	good_stream(t);
	end(t);
	assert_int_equal(verdict(t), 0);
	/* Hard links, devices and fifos pass here: the reader names them. */
	good_stream(t);
	hdr(t, "BAG/data/h", '1', 0);
	hdr(t, "BAG/data/c", '3', 0);
	hdr(t, "BAG/data/f", '6', 0);
	end(t);
	assert_int_equal(verdict(t), 0);
	free(t);
}

static void test_hidden_headers(void **state)
{
	static const char types[] = {'g', 'L', 'K', 'V', '7', 'S', 'M', 'N', 'A', 'E', 'X', 'D', '\0'};
	struct tarbuf *t = calloc(1, sizeof *t);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof types; i++) {
		good_stream(t);
		hdr(t, "odd", types[i], 0);
		end(t);
		assert_int_equal(verdict(t), -1);
	}
	free(t);
}

static void test_pax_records(void **state)
{
	static const char *const bad[] = {"15 comment=hey\n", "25 SCHILY.xattr.user.a=b\n", "13 atime=1.5\n",
	                                  "9 path=x", "4 a=\n", "x path=a\n", "99 path=short\n"};
	struct tarbuf *t = calloc(1, sizeof *t);
	size_t i;

	(void)state;
	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		good_stream(t);
		hdr(t, "PaxHeader", 'x', strlen(bad[i]));
		data(t, bad[i], strlen(bad[i]));
		hdr(t, "BAG/data/m", '0', 0);
		end(t);
		assert_int_equal(verdict(t), -1);
	}
	/* Two pax headers in a row, and one larger than any bundle needs. */
	good_stream(t);
	hdr(t, "PaxHeader", 'x', 0);
	hdr(t, "PaxHeader", 'x', 0);
	hdr(t, "BAG/data/m", '0', 0);
	end(t);
	assert_int_equal(verdict(t), -1);
	good_stream(t);
	hdr(t, "PaxHeader", 'x', 1u << 20);
	assert_int_equal(verdict(t), -1);
	free(t);
}

/* A pax size record decides where the next header is: data that looks like
 * headers is skipped, and the header after it is still judged. */
static void test_pax_size(void **state)
{
	static const char pax[] = "13 size=1000\n";
	struct tarbuf *t = calloc(1, sizeof *t);
	struct tarbuf fake;

	(void)state;
	good_stream(t);
	hdr(t, "PaxHeader", 'x', sizeof pax - 1);
	data(t, pax, sizeof pax - 1);
	hdr(t, "BAG/data/big", '0', 0);
	fake.n = 0;
	hdr(&fake, "BAG/data/inner", '0', 0);
	memset(fake.b + 512, 0, 512);
	memcpy(t->b + t->n, fake.b, 1024);
	t->n += 1024;
	hdr(t, "odd", 'g', 0);
	end(t);
	assert_int_equal(verdict(t), -1);
	free(t);
}

/* Files of 8 GiB and more: the writer's ustar size field under the pax
 * size record is twelve octal digits without a terminator up to 64 GiB and
 * base-256 beyond (libarchive's forms); both are read, and a field that is
 * not the writer's is still refused. */
static void test_huge_sizes(void **state)
{
	static const uint64_t sizes[] = {(1ull << 33) - 1, 1ull << 33, (1ull << 33) + 1, 20000000088ull,
	                                 (1ull << 36) - 1, 1ull << 36, 100000000000ull, 1ull << 40};
	struct tarbuf *t = calloc(1, sizeof *t);
	size_t i;

	(void)state;
	assert_non_null(t);
	for (i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
		size_t at;

		good_stream(t);
		at = t->n;
		entry(t, "BAG/data/weights.bin", AE_IFREG, sizes[i], NULL);
		assert_int_equal(verdict(t), 0); /* the header is taken; its data would follow */
		/* the last block is the ustar header: one digit or byte of its size field changed */
		t->b[t->n - 512 + 124 + 5] ^= 0x01;
		assert_int_equal(verdict(t), -1);
		(void)at;
	}
	free(t);
}

/* Names come out as their raw bytes: an NFD name stays NFD (libarchive
 * would hand it over as NFC). Odd numeric forms are refused. */
static void test_names_and_forms(void **state)
{
	static const char nfd[] = "BAG/data/cafe\xcc\x81.txt";
	struct tarbuf *t = calloc(1, sizeof *t);
	struct esc_tarscan *s = calloc(1, sizeof *s);
	struct esc_tarent e;
	size_t at;

	(void)state;
	entry(t, "BAG", AE_IFDIR, 0, NULL);
	entry(t, nfd, AE_IFREG, 0, NULL);
	end(t);
	assert_int_equal(verdict(t), 0);
	assert_int_equal(esc_tarscan_feed(s, t->b, t->n), 0);
	assert_true(esc_tarscan_pop(s, &e));
	assert_string_equal(e.path, "BAG");
	free(e.path);
	assert_true(esc_tarscan_pop(s, &e));
	assert_string_equal(e.path, nfd);
	free(e.path);
	assert_false(esc_tarscan_pop(s, &e));
	esc_tarscan_free(s);
	free(s);
	/* A leading tab in the size field: libarchive reads the same number. */
	t->n = 0;
	entry(t, "BAG", AE_IFDIR, 0, NULL);
	at = t->n;
	entry(t, "BAG/f", AE_IFREG, 0, NULL);
	end(t);
	t->b[at + 124] = '\t';
	assert_int_equal(verdict(t), -1);
	free(t);
}

/* Recomputes a ustar block's checksum in the writer's "%06o\0 " form. */
static void resum(uint8_t *h)
{
	unsigned sum = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		sum += h[i];
	snprintf((char *)h + 148, 8, "%06o", sum);
	h[155] = ' ';
}

/* Every byte of a header is pinned to the writer's form (the plain ustar
 * block is checked without being made again): change any one byte of the
 * writer's header to any of a few values, the checksum made right again,
 * and the scanner either refuses it or reads an entry whose writer's form is
 * exactly the changed bytes. */
static void test_every_byte_pinned(void **state)
{
	static const struct {
		const char *path;
		unsigned type;
		uint32_t perm;
		uint64_t size;
		const char *target;
	} ents[] = {
		{"BAG/data/d", AE_IFDIR, 0755, 0, NULL},
		{"BAG/data/f.txt", AE_IFREG, 0644, 0, NULL},
		{"BAG/data/x", AE_IFREG, 0755, 700, NULL},
		{"BAG/data/l", AE_IFLNK, 0777, 0, "f.txt"},
	};
	static const uint8_t vals[] = {0, ' ', '/', '0', '1', '7', '8', 'a', 0x7e, 0x7f, 0x80, 0xff};
	uint8_t orig[512], gen[2048];
	size_t k, i, v, n, accepted = 0, refused = 0;

	(void)state;
	for (k = 0; k < sizeof ents / sizeof ents[0]; k++) {
		assert_int_equal(esc_ptar_header(ents[k].path, ents[k].type, ents[k].perm, ents[k].size, 1767225600,
		                                 ents[k].target, orig, sizeof orig, &n), ESCROW_OK);
		assert_int_equal(n, 512);
		for (i = 0; i < 512; i++) {
			for (v = 0; v < sizeof vals / sizeof vals[0]; v++) {
				struct esc_tarscan *s;
				struct esc_tarent e;
				uint8_t h[512 + 512 + 1024];
				unsigned at;

				if (orig[i] == vals[v])
					continue;
				memset(h, 0, sizeof h);
				memcpy(h, orig, 512);
				h[i] = vals[v];
				if (i < 148 || i >= 156)
					resum(h);
				s = calloc(1, sizeof *s);
				assert_non_null(s);
				if (esc_tarscan_feed(s, h, sizeof h) != 0 || !esc_tarscan_pop(s, &e)) {
					refused++;
					esc_tarscan_free(s);
					free(s);
					continue;
				}
				if (e.type != '0' && e.type != '5' && e.type != '2') {
					/* hard links, devices, fifos: the reader names and refuses them */
					refused++;
					free(e.path);
					free(e.link);
					esc_tarscan_free(s);
					free(s);
					continue;
				}
				at = e.type == '5' ? AE_IFDIR : e.type == '2' ? AE_IFLNK : AE_IFREG;
				assert_int_equal(esc_ptar_header(e.path, at, e.perm, e.size, e.mtime, e.link, gen,
				                                 sizeof gen, &n), ESCROW_OK);
				assert_int_equal(n, 512);
				assert_memory_equal(gen, h, 512);
				accepted++;
				free(e.path);
				free(e.link);
				esc_tarscan_free(s);
				free(s);
			}
		}
	}
	/* Both happen: a changed name byte is another entry's header. */
	assert_true(accepted > 0);
	assert_true(refused > accepted);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_hidden_headers),
		cmocka_unit_test(test_pax_records),
		cmocka_unit_test(test_pax_size),
		cmocka_unit_test(test_huge_sizes),
		cmocka_unit_test(test_names_and_forms),
		cmocka_unit_test(test_every_byte_pinned),
	};

	if (escrow_init() != ESCROW_OK) /* a UTF-8 locale for libarchive */
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
