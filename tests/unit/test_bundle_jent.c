/* test_bundle_jent.c -- manifest.json "files" entries read in place
 * (bundle_read_jent.c) against jansson: escrow's own entries take the fast
 * path with the right fields; escapes, non-ASCII, duplicates, numbers jansson
 * reads otherwise (negative, real, huge, leading zeros), nested values and
 * truncated or trailing text are declined (jansson decides them, as before);
 * and no one-byte edit, insertion, deletion or truncation of an entry makes
 * the two disagree. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "../fuzz/jent_oracle.h"

static const char *const OURS[] = {
	"{\"kind\":\"docs\",\"mode\":\"0644\",\"mtime\":1796556707,\"path\":\"d0000/f0000.txt\",\"sha256\":"
	"\"100c2f34d7ce8e5b8c8677d11528899ca252369d8a13d210ef011aee27da45fd\",\"size\":30,\"type\":\"file\"}",
	"{\"mode\":\"0755\",\"mtime\":1796556708,\"path\":\"d0000\",\"type\":\"dir\"}",
	"{\"kind\":\"docs\",\"path\":\"docs/README.md\",\"target\":\"../README.md\",\"type\":\"symlink\"}",
	"{\"format\":\"safetensors\",\"kind\":\"model\",\"mode\":\"0755\",\"mtime\":0,\"path\":\"m/w.st\",\"size\":0,"
	"\"type\":\"file\"}",
	"{ \"path\" :\t\"a b\" ,\r\n\"size\": 999999999999999999 , \"unknown\" : \"x\" }",
	"{}",
};

static void check(const char *s, size_t n, int *fast)
{
	const char *why = jent_oracle(s, n, fast);

	if (why != NULL)
		fail_msg("%.*s: %s differs from jansson", (int)n, s, why);
}

static void test_ours_fast(void **state)
{
	struct esc_jent e;
	size_t i;
	int fast;

	(void)state;
	for (i = 0; i < sizeof OURS / sizeof OURS[0]; i++) {
		check(OURS[i], strlen(OURS[i]), &fast);
		assert_int_equal(fast, 1);
	}
	assert_int_equal(esc_jent_fast(OURS[0], strlen(OURS[0]), &e), 1);
	assert_true(e.object);
	assert_true(esc_jval_is(&e.path, "d0000/f0000.txt"));
	assert_false(esc_jval_is(&e.path, "d0000/f0000.tx"));
	assert_true(esc_jval_is(&e.type, "file"));
	assert_int_equal(e.size.t, ESC_JV_INT);
	assert_int_equal(e.size.i, 30);
	assert_int_equal(e.mtime.i, 1796556707);
	assert_int_equal(e.target.t, ESC_JV_ABSENT);
	assert_int_equal(e.format.t, ESC_JV_ABSENT);
	assert_int_equal(esc_jent_fast(OURS[4], strlen(OURS[4]), &e), 1);
	assert_int_equal(e.size.i, 999999999999999999LL);
}

static void test_declined(void **state)
{
	static const char *const no[] = {
		"{\"path\":\"a\\u00e9\"}", "{\"path\":\"a\\\"b\"}", "{\"path\":\"caf\xc3\xa9\"}", "{\"path\":\"a\tb\"}",
		"{\"path\":\"a\",\"path\":\"a\"}", "{\"x\":1,\"x\":2}", "{\"size\":-1}", "{\"size\":-0}", "{\"size\":1.0}",
		"{\"size\":1e3}", "{\"size\":1E3}", "{\"size\":01}", "{\"size\":00}", "{\"size\":1234567890123456789}",
		"{\"size\":123456789012345678901234567890}", "{\"size\":true}", "{\"size\":null}", "{\"a\":[]}",
		"{\"a\":{}}", "{\"path\":\"x\"", "{\"path\":\"x\",}", "{\"path\":\"x\"}x", "{\"path\":\"x\"} ", " {}",
		"{,}", "{\"path\"}", "{\"path\":}", "{\"path\" \"x\"}", "[]", "\"x\"", "1", "", "{", "{\"p", "{\"p\":\"",
		"{\"a\":1 \"b\":2}", "{\"a\":\"\x7f\"}", "{\"a\":\"\x01\"}", "{\"a\\n\":1}",
	};
	size_t i;
	int fast;

	(void)state;
	for (i = 0; i < sizeof no / sizeof no[0]; i++) {
		check(no[i], strlen(no[i]), &fast);
		if (fast)
			fail_msg("took '%s'", no[i]);
	}
	/* A NUL inside is declined too. */
	check("{\"a\":\"x\0y\"}", 11, &fast);
	assert_int_equal(fast, 0);
	check("{\"a\":1}\0", 8, &fast);
	assert_int_equal(fast, 0);
}

static void test_every_edit(void **state)
{
	static const char bytes[] = " \"\\{}[],:0123456789-+.eEtrufalsn\t\n\r\x7f\x80\xc3\x01xZ";
	char buf[400];
	size_t i, k, p, n, taken = 0, tried = 0;
	int fast;

	(void)state;
	for (i = 0; i < sizeof OURS / sizeof OURS[0]; i++) {
		n = strlen(OURS[i]);
		for (p = 0; p <= n; p++) {
			check(OURS[i], p, &fast);                 /* truncated */
			taken += (size_t)fast;
			if (p < n) {                               /* one byte deleted */
				memcpy(buf, OURS[i], p);
				memcpy(buf + p, OURS[i] + p + 1, n - p - 1);
				check(buf, n - 1, &fast);
				taken += (size_t)fast;
			}
			for (k = 0; k < sizeof bytes - 1; k++) {
				if (p < n) {                           /* one byte changed */
					memcpy(buf, OURS[i], n);
					buf[p] = bytes[k];
					check(buf, n, &fast);
					taken += (size_t)fast;
				}
				memcpy(buf, OURS[i], p);               /* one byte inserted */
				buf[p] = bytes[k];
				memcpy(buf + p + 1, OURS[i] + p, n - p);
				check(buf, n + 1, &fast);
				taken += (size_t)fast;
				tried += 2;
			}
		}
	}
	/* Many edits keep the shape (a digit for a digit, a letter in a path). */
	assert_true(taken > 1000);
	assert_true(tried > taken);
}

/* In the stream the entry is read from a buffer that may end anywhere or
 * go on with the next entry: esc_jent_prefix takes exactly the entry. */
static void test_prefix(void **state)
{
	char buf[800];
	size_t i, p, n, used;
	struct esc_jent e;
	int fast;

	(void)state;
	for (i = 0; i < sizeof OURS / sizeof OURS[0]; i++) {
		n = strlen(OURS[i]);
		snprintf(buf, sizeof buf, "%s,\n    %s]", OURS[i], OURS[0]);
		for (p = 0; p <= strlen(buf); p++) {
			if (!esc_jent_prefix(buf, p, &e, &used))
				continue;
			assert_true(p >= n);
			assert_int_equal(used, n);
			check(buf, used, &fast);
			assert_int_equal(fast, 1);
		}
		assert_int_equal(esc_jent_prefix(buf, strlen(buf), &e, &used), 1);
		assert_int_equal(used, n);
		/* one byte short of the entry is never taken */
		assert_int_equal(esc_jent_prefix(buf, n - 1, &e, &used), 0);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ours_fast),
		cmocka_unit_test(test_declined),
		cmocka_unit_test(test_every_edit),
		cmocka_unit_test(test_prefix),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
