/* test_age_cctv.c -- the official C2SP CCTV age test vectors (npm package
 * cctv-age, 0BSD/CC0) through the age reader.
 *
 * ESCROW_CCTV_DIR is the package folder (.../node_modules/cctv-age); its
 * index.js holds every vector as `// ../testdata/NAME` and a base64 string.
 * A vector is `key: value` lines, a blank line, then the age file (zlib-
 * compressed when `compressed: zlib`). We run every vector that applies to
 * an X25519-only, binary (not armored) implementation, and check the outcome
 * class and the SHA-256 of all plaintext released, even on failure. Without
 * the vectors (an outside input: the npm registry) this test never passes by
 * running nothing: it says why and exits 77, which ctest reports as skipped. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#ifdef ESCROW_HAVE_ZLIB
#include <zlib.h>
#endif

#include "escrow_private.h"
#include "tmpdir.h"

enum { C_SUCCESS, C_HEADER, C_PAYLOAD, C_NOMATCH, C_HMAC, C_N };
static const char *class_name[C_N] = {"success", "header failure", "payload failure", "no match",
                                      "HMAC failure"};

struct vec {
	char name[128];
	int cls;
	int compressed;
	int has_payload;
	char payload[65];
	char idfile[4096];
	const uint8_t *body;
	size_t body_len;
};

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("cctv");
}

/* Hashes everything released, so a failing vector can be compared too. */
static escrow_status hash_write(void *state, const void *buf, size_t len)
{
	esc_sha256_update(state, buf, len);
	return ESCROW_OK;
}

/* Parses the `key: value` block; returns 1 if the vector applies to us. */
static int parse_vector(const uint8_t *d, size_t n, struct vec *v)
{
	size_t pos = 0;
	int applies = 1, have_expect = 0;
	char idtext[4096] = "";

	for (;;) {
		const uint8_t *nl = memchr(d + pos, '\n', n - pos);
		char line[1024];
		size_t l;

		assert_non_null(nl);
		l = (size_t)(nl - (d + pos));
		if (l == 0) {
			pos++;
			break;
		}
		assert_true(l < sizeof line);
		memcpy(line, d + pos, l);
		line[l] = '\0';
		pos += l + 1;
		if (strncmp(line, "expect: ", 8) == 0) {
			const char *e = line + 8;
			int c;

			for (c = 0; c < C_N && strcmp(e, class_name[c]) != 0; c++)
				;
			if (c == C_N)
				applies = 0; /* armor failure */
			v->cls = c;
			have_expect = 1;
		} else if (strncmp(line, "payload: ", 9) == 0) {
			assert_int_equal(strlen(line + 9), 64);
			memcpy(v->payload, line + 9, 65);
			v->has_payload = 1;
		} else if (strncmp(line, "identity: ", 10) == 0) {
			if (strncmp(line + 10, "AGE-SECRET-KEY-1", 16) != 0)
				applies = 0; /* post-quantum hybrid identities */
			strncat(idtext, line + 10, sizeof idtext - strlen(idtext) - 2);
			strcat(idtext, "\n");
		} else if (strcmp(line, "armored: yes") == 0 || strncmp(line, "passphrase: ", 12) == 0) {
			applies = 0;
		} else if (strcmp(line, "compressed: zlib") == 0) {
			v->compressed = 1;
		}
	}
	assert_true(have_expect);
	v->body = d + pos;
	v->body_len = n - pos;
	if (applies) {
		FILE *f;

		snprintf(v->idfile, sizeof v->idfile, "%s/%s.txt", tmpdir, v->name);
		f = fopen(v->idfile, "w");
		assert_non_null(f);
		if (idtext[0] == '\0') {
			uint8_t sk[32];
			char s[80];

			randombytes_buf(sk, sizeof sk); /* a vector without identity: any key */
			esc_age_identity_string(sk, s);
			fprintf(f, "%s\n", s);
		} else {
			fputs(idtext, f);
		}
		fclose(f);
	}
	return applies;
}

static uint8_t *inflate_all(const uint8_t *in, size_t n, size_t *out_len)
{
#ifdef ESCROW_HAVE_ZLIB
	z_stream zs;
	size_t cap = 1 << 20;
	uint8_t *out = malloc(cap);
	int r;

	assert_non_null(out);
	memset(&zs, 0, sizeof zs);
	assert_int_equal(inflateInit(&zs), Z_OK);
	zs.next_in = (Bytef *)(uintptr_t)in;
	zs.avail_in = (uInt)n;
	do {
		if (zs.total_out == cap) {
			cap *= 2;
			out = realloc(out, cap);
			assert_non_null(out);
		}
		zs.next_out = out + zs.total_out;
		zs.avail_out = (uInt)(cap - zs.total_out);
		r = inflate(&zs, Z_NO_FLUSH);
		assert_true(r == Z_OK || r == Z_STREAM_END);
	} while (r != Z_STREAM_END);
	*out_len = zs.total_out;
	inflateEnd(&zs);
	return out;
#else
	(void)in;
	(void)n;
	*out_len = 0;
	return NULL;
#endif
}

/* Runs one vector fed in pieces of `step`; 1 when the outcome is right. */
static int run_vector(const struct vec *v, const uint8_t *file, size_t len, size_t step)
{
	static const escrow_status want[C_N] = {ESCROW_OK, ESCROW_E_INPUT, ESCROW_TAMPERED, ESCROW_NO_IDENTITY,
	                                        ESCROW_TAMPERED};
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_identities *ids = NULL;
	esc_sha256 *h = esc_sha256_new();
	esc_age_reader *r = NULL;
	struct esc_sink sink = {hash_write, h};
	escrow_status st;
	uint8_t dig[32];
	char hex[65];
	size_t off = 0;
	int ok = 1;

	assert_int_equal(escrow_identities_load(ctx, v->idfile, &ids), ESCROW_OK);
	assert_int_equal(esc_age_reader_new(ctx, ids, sink, &r), ESCROW_OK);
	st = ESCROW_OK;
	while (off < len && st == ESCROW_OK) {
		size_t take = len - off < step ? len - off : step;

		st = esc_age_reader_feed(r, file + off, take);
		off += take;
	}
	if (st == ESCROW_OK)
		st = esc_age_reader_finish(r);
	esc_sha256_final(h, dig);
	esc_hex(dig, sizeof dig, hex);
	if (st != want[v->cls]) {
		print_message("FAIL %s: expected %s, got %s (%s)\n", v->name, class_name[v->cls], escrow_strerror(st),
		              escrow_ctx_error(ctx));
		ok = 0;
	}
	/* HMAC and payload failures share a status: tell them apart by the detail. */
	if (ok && v->cls == C_HMAC && strstr(escrow_ctx_error(ctx), "MAC") == NULL)
		ok = 0;
	if (ok && v->cls == C_PAYLOAD && strstr(escrow_ctx_error(ctx), "payload") == NULL)
		ok = 0;
	if (ok && v->has_payload && strcmp(hex, v->payload) != 0) {
		print_message("FAIL %s: released plaintext has SHA-256 %s, expected %s\n", v->name, hex, v->payload);
		ok = 0;
	}
	esc_age_reader_free(r);
	esc_sha256_free(h);
	escrow_identities_free(ids);
	escrow_ctx_free(ctx);
	return ok;
}

static void test_cctv(void **state)
{
	const char *dir = getenv("ESCROW_CCTV_DIR");
	escrow_ctx *ctx = escrow_ctx_new();
	char path[4096], *js = NULL, *p;
	size_t jslen = 0;
	unsigned applied[C_N] = {0}, passed[C_N] = {0}, total = 0, total_ok = 0, skipped = 0, compressed = 0;
	int c;

	(void)state;
	if (dir == NULL || *dir == '\0')
		fail_msg("ESCROW_CCTV_DIR is not set: install the vectors (npm install cctv-age) and configure "
		         "with -DESCROW_CCTV_DIR=.../node_modules/cctv-age");
	snprintf(path, sizeof path, "%s/index.js", dir);
	if (esc_read_small_file(ctx, path, 64u << 20, &js, &jslen) != ESCROW_OK)
		fail_msg("%s", escrow_ctx_error(ctx));
	for (p = strstr(js, "\n// ../testdata/"); p != NULL; p = strstr(p, "\n// ../testdata/")) {
		struct vec v;
		char *name = p + 16, *q, *b64, *end;
		uint8_t *raw = NULL, *file = NULL;
		size_t rawlen = 0, flen = 0, nl;

		memset(&v, 0, sizeof v);
		nl = strcspn(name, "\n");
		assert_true(nl < sizeof v.name);
		memcpy(v.name, name, nl);
		q = strstr(name, "__toBinary(\"");
		assert_non_null(q);
		b64 = q + 12;
		end = strchr(b64, '"');
		assert_non_null(end);
		raw = malloc((size_t)(end - b64));
		assert_non_null(raw);
		assert_int_equal(sodium_base642bin(raw, (size_t)(end - b64), b64, (size_t)(end - b64), NULL, &rawlen,
		                                   NULL, sodium_base64_VARIANT_ORIGINAL), 0);
		p = end;
		if (!parse_vector(raw, rawlen, &v)) {
			skipped++;
			free(raw);
			continue;
		}
		if (v.compressed) {
			compressed++;
			file = inflate_all(v.body, v.body_len, &flen);
			if (file == NULL)
				fail_msg("%s is zlib-compressed and this test was built without zlib (install zlib1g-dev)",
				         v.name);
		}
		applied[v.cls]++;
		total++;
		if (run_vector(&v, file ? file : v.body, file ? flen : v.body_len, SIZE_MAX) &&
		    run_vector(&v, file ? file : v.body, file ? flen : v.body_len, 1 + total * 997 % 70000)) {
			passed[v.cls]++;
			total_ok++;
		}
		free(file);
		free(raw);
	}
	print_message("CCTV age vectors: %u applicable (%u zlib-compressed), %u passed, %u skipped "
	              "(armored, scrypt, hybrid)\n", total, compressed, total_ok, skipped);
	for (c = 0; c < C_N; c++)
		print_message("  %-16s %u/%u\n", class_name[c], passed[c], applied[c]);
	free(js);
	escrow_ctx_free(ctx);
	/* 67 in cctv-age 0.2.0: 14 success, 31 header, 18 payload, 3 no match, 1 HMAC. */
	assert_true(total >= 67);
	assert_int_equal(total_ok, total);
	for (c = 0; c < C_N; c++)
		assert_true(applied[c] > 0);
}

/* ctest's SKIP_RETURN_CODE for unit tests (tests/CMakeLists.txt). */
#define SKIP_CODE 77

/* 1 when the vectors are there; otherwise says why on stderr, with npm's own
 * error when tests/run.sh left its log (DIR/../../npm.log) beside them. */
static int vectors_present(void)
{
	static const char tail[] = "/node_modules/cctv-age";
	const char *dir = getenv("ESCROW_CCTV_DIR");
	char path[4096], line[512];
	size_t n;
	FILE *log;
	int shown = 0;

	if (dir == NULL || *dir == '\0') {
		fprintf(stderr, "SKIPPED: ESCROW_CCTV_DIR is not set: install the vectors (npm install cctv-age) and "
		                "configure with -DESCROW_CCTV_DIR=.../node_modules/cctv-age (tests/run.sh does both)\n");
		return 0;
	}
	snprintf(path, sizeof path, "%s/index.js", dir);
	if (access(path, R_OK) == 0)
		return 1;
	fprintf(stderr, "SKIPPED: the CCTV age vectors (npm package cctv-age) are not in %s: %s\n", dir,
	        strerror(errno));
	n = strlen(dir);
	if (n <= sizeof tail - 1 || strcmp(dir + n - (sizeof tail - 1), tail) != 0 || n >= sizeof path - 16)
		return 0;
	snprintf(path, sizeof path, "%.*s/npm.log", (int)(n - (sizeof tail - 1)), dir);
	log = fopen(path, "r");
	if (log == NULL)
		return 0;
	while (shown < 4 && fgets(line, sizeof line, log) != NULL) {
		if (strstr(line, "ERR") == NULL && strstr(line, "rror") == NULL && strstr(line, "not installed") == NULL)
			continue;
		if (strstr(line, "complete log") != NULL || strstr(line, "/_logs/") != NULL || strstr(line, "    at ") != NULL)
			continue; /* npm's stack trace and pointer to its debug log: ours comes below */
		line[strcspn(line, "\n")] = '\0';
		fprintf(stderr, "SKIPPED: npm: %s\n", line);
		shown++;
	}
	fclose(log);
	fprintf(stderr, "SKIPPED: npm's whole log: %s\n", path);
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cctv),
	};

	if (!vectors_present())
		return SKIP_CODE;
	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
