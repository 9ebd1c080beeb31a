/* test_fmt_text.c -- the text-ish checkers: text, json, csv, pdf, yaml.
 * Every fixture is fed whole, in 1-byte chunks and in 7-byte chunks; the
 * verdict and the reason must not depend on the chunking. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"
#include "formats/esc_fmt.h"

/* Runs ops over data in chunks of `chunk` bytes (0: whole). */
static int run_ops(const struct esc_fmt_ops *ops, const char *path, const void *data, size_t len,
                   size_t chunk, char *reason, size_t rlen)
{
	void *st = malloc(ops->state_size);
	const uint8_t *p = data;
	size_t off = 0;
	int ok;

	assert_non_null(st);
	memset(st, 0xA5, ops->state_size); /* init must not rely on zeroed memory */
	ops->init(st, path, len);
	reason[0] = '\0';
	while (off < len) {
		size_t n = chunk && chunk < len - off ? chunk : len - off;

		if (ops->update(st, p + off, n, off))
			break;
		off += n;
	}
	ok = ops->final(st, reason, rlen);
	if (ops->release)
		ops->release(st);
	free(st);
	return ok;
}

/* Same verdict and reason for three chunkings; returns the verdict. */
static int check_as(const struct esc_fmt_ops *ops, const char *path, const void *data, size_t len,
                    char *reason)
{
	char r1[256], r7[256];
	int whole = run_ops(ops, path, data, len, 0, reason, 256);

	assert_int_equal(run_ops(ops, path, data, len, 1, r1, sizeof r1), whole);
	assert_string_equal(r1, reason);
	assert_int_equal(run_ops(ops, path, data, len, 7, r7, sizeof r7), whole);
	assert_string_equal(r7, reason);
	if (whole)
		assert_string_equal(reason, "");
	else
		assert_true(strlen(reason) > 0);
	return whole;
}

static int check(const struct esc_fmt_ops *ops, const char *s, char *reason)
{
	return check_as(ops, "f", s, strlen(s), reason);
}

static void expect_fail(const struct esc_fmt_ops *ops, const char *s, const char *want)
{
	char reason[256];

	if (check(ops, s, reason)) {
		print_error("accepted: %s\n", s);
		fail();
	}
	if (!strstr(reason, want)) {
		print_error("input %s\nreason '%s' lacks '%s'\n", s, reason, want);
		fail();
	}
}

static void expect_ok(const struct esc_fmt_ops *ops, const char *s)
{
	char reason[256];

	if (!check(ops, s, reason)) {
		print_error("rejected: %s\nreason: %s\n", s, reason);
		fail();
	}
}

static void test_text(void **state)
{
	char reason[256];
	const char nul[] = "ab\0cd";

	(void)state;
	expect_ok(&esc_fmt_text, "");
	expect_ok(&esc_fmt_text, "plain ASCII text that is longer than eight bytes\n");
	expect_ok(&esc_fmt_text, "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xf4\x8f\xbf\xbf end");
	expect_fail(&esc_fmt_text, "0123456789over\xc0\xaflong", "byte 14: invalid UTF-8");
	expect_fail(&esc_fmt_text, "surrogate \xed\xa0\x80", "byte 10: invalid UTF-8");
	expect_fail(&esc_fmt_text, "big \xf4\x90\x80\x80", "byte 4: invalid UTF-8");
	expect_fail(&esc_fmt_text, "\x80 lone continuation", "byte 0: invalid UTF-8");
	expect_fail(&esc_fmt_text, "x\xf5\x80\x80\x80", "byte 1: invalid UTF-8");
	expect_fail(&esc_fmt_text, "e3 overlong \xe0\x80\xaf", "byte 12: invalid UTF-8");
	expect_fail(&esc_fmt_text, "cut \xe2\x82", "byte 4: UTF-8 sequence cut off");
	assert_false(check_as(&esc_fmt_text, "f", nul, sizeof nul - 1, reason));
	assert_string_equal(reason, "byte 2: NUL byte (binary data, not text)");
}

static void test_json_ok(void **state)
{
	(void)state;
	expect_ok(&esc_fmt_json, "{}");
	expect_ok(&esc_fmt_json, " [ ] \n");
	expect_ok(&esc_fmt_json, "42");
	expect_ok(&esc_fmt_json, "-0.5e+10");
	expect_ok(&esc_fmt_json, "\"\"");
	expect_ok(&esc_fmt_json, "null");
	expect_ok(&esc_fmt_json,
	          "{\n  \"name\": \"caf\xc3\xa9 \\u00e9 \\ud83d\\ude00 \\\" \\\\ \\/ \\b\\f\\n\\r\\t\",\n"
	          "  \"n\": [0, -1, 1.25, 3e7, 2E-3, 10, true, false, null, {}, [], [[]]],\n"
	          "  \"o\": {\"a\": {\"b\": \"a string long enough to take the eight-byte path\"}}\n}\n");
}

static void test_json_bad(void **state)
{
	(void)state;
	expect_fail(&esc_fmt_json, "", "no JSON value");
	expect_fail(&esc_fmt_json, "  \n ", "no JSON value");
	expect_fail(&esc_fmt_json, "[1,]", "byte 3 (line 1): unexpected ']', expected a value");
	expect_fail(&esc_fmt_json, "{\"a\":1,}", "expected a string key");
	expect_fail(&esc_fmt_json, "{\"a\" 1}", "expected ':' after a key");
	expect_fail(&esc_fmt_json, "{1:2}", "expected a string key");
	expect_fail(&esc_fmt_json, "[01]", "leading zero");
	expect_fail(&esc_fmt_json, "[1.]", "a digit after '.'");
	expect_fail(&esc_fmt_json, "[1e]", "a digit in the exponent");
	expect_fail(&esc_fmt_json, "-", "value cut off");
	expect_fail(&esc_fmt_json, "[-x]", "a digit after '-'");
	expect_fail(&esc_fmt_json, "tru", "value cut off");
	expect_fail(&esc_fmt_json, "[trux]", "expected 'true'");
	expect_fail(&esc_fmt_json, "{} {}", "byte 3 (line 1): unexpected '{', expected the end of the file");
	expect_fail(&esc_fmt_json, "[1]\n\n2", "(line 3): unexpected '2'");
	expect_fail(&esc_fmt_json, "[1}", "expected ',' or ']'");
	expect_fail(&esc_fmt_json, "{\"a\":1]", "expected ',' or '}'");
	expect_fail(&esc_fmt_json, "[\"abc", "string not closed");
	expect_fail(&esc_fmt_json, "[[[", "3 unclosed");
	expect_fail(&esc_fmt_json, "[\"a\tb\"]", "control character in a string");
	expect_fail(&esc_fmt_json, "[\"\\x\"]", "expected an escape");
	expect_fail(&esc_fmt_json, "[\"\\u12g4\"]", "a hex digit");
	expect_fail(&esc_fmt_json, "[\"\\ud800\"]", "without a low one");
	expect_fail(&esc_fmt_json, "[\"\\ud800\\u0041\"]", "without a low one");
	expect_fail(&esc_fmt_json, "[\"\\udc00\"]", "lone low surrogate");
	expect_fail(&esc_fmt_json, "[\"bad \xc0\xaf utf8\"]", "invalid UTF-8 in a string");
	expect_fail(&esc_fmt_json, "[\"cut \xe2\x82\"]", "invalid UTF-8 in a string");
	expect_fail(&esc_fmt_json, "[NaN]", "expected a value");
	expect_fail(&esc_fmt_json, "\xef\xbb\xbf{}", "unexpected byte 0xEF");
}

static void test_json_depth(void **state)
{
	char *s = malloc(2 * 513 + 1), reason[256];

	(void)state;
	assert_non_null(s);
	memset(s, '[', 512);
	memset(s + 512, ']', 512);
	assert_true(check_as(&esc_fmt_json, "d.json", s, 1024, reason));
	memset(s, '[', 513);
	memset(s + 513, ']', 513);
	assert_false(check_as(&esc_fmt_json, "d.json", s, 1026, reason));
	assert_non_null(strstr(reason, "nesting deeper than 512"));
	free(s);
}

static void test_json_sniff(void **state)
{
	(void)state;
	assert_true(esc_fmt_json.sniff((const uint8_t *)" {\"a\"", 5, 5));
	assert_true(esc_fmt_json.sniff((const uint8_t *)"[1,2]", 5, 5));
	assert_false(esc_fmt_json.sniff((const uint8_t *)"[section]", 9, 9));
	assert_false(esc_fmt_json.sniff((const uint8_t *)"hello", 5, 5));
}

static void test_csv(void **state)
{
	char reason[256];

	(void)state;
	expect_ok(&esc_fmt_csv, "a,b,c\n1,2,3\n4,5,6\n");
	expect_ok(&esc_fmt_csv, "a,b,c\r\n1,2,3\r\n4,5,6");
	expect_ok(&esc_fmt_csv, "name,quote\n\"Smith, J\",\"he said \"\"hi\"\"\"\n\"multi\nline\",\"\"\n");
	expect_ok(&esc_fmt_csv, "a,b\n1,2\n\n3,4\n\n");
	expect_ok(&esc_fmt_csv, "single\n1\n2\n");
	expect_ok(&esc_fmt_csv, "x;y;z\n1,5;2;3\n");
	expect_ok(&esc_fmt_csv, "x\ty\n1\t2\n");
	expect_ok(&esc_fmt_csv, "header,only");
	expect_fail(&esc_fmt_csv, "a,b,c\n1,2,3\n4,5\n", "line 3: 2 fields, expected 3");
	expect_fail(&esc_fmt_csv, "a,b\n\"x\ny\",2\n1,2,3\n", "line 4: 3 fields, expected 2");
	expect_fail(&esc_fmt_csv, "a,b\n1,2\n3", "line 3: 1 field, expected 2");
	expect_fail(&esc_fmt_csv, "a,b\n1,x\"y\n", "line 2: quote inside an unquoted field");
	expect_fail(&esc_fmt_csv, "a,b\n\"open,2\n", "line 2: quoted field not closed");
	expect_fail(&esc_fmt_csv, "a,b\n\"q\"x,2\n", "line 2: text after a closing quote");
	expect_fail(&esc_fmt_csv, "a,b\r1,2\n", "line 1: carriage return not followed");
	expect_fail(&esc_fmt_csv, "a,b\n1,2\r", "carriage return not followed");
	expect_fail(&esc_fmt_csv, "", "empty file");
	expect_fail(&esc_fmt_csv, "\n\n", "no records");
	assert_false(check_as(&esc_fmt_csv, "f.csv", "a,b\n1\0002\n", 8, reason));
	assert_string_equal(reason, "line 2: NUL byte (binary data, not CSV)");
	/* The name says tabs: commas are then plain bytes. */
	assert_true(check_as(&esc_fmt_csv, "t.tsv", "a,b\tc\n1\t2\n", 10, reason));
	assert_false(check_as(&esc_fmt_csv, "t.tsv", "a\tb\n1,2\n", 8, reason));
	assert_string_equal(reason, "line 2: 1 field, expected 2");
}

static void test_csv_long_header(void **state)
{
	/* A first record longer than the held-back head still works. */
	size_t n = 10000, len;
	char *s = malloc(3 * n + 16), reason[256];

	(void)state;
	assert_non_null(s);
	len = 0;
	for (size_t i = 0; i < n / 2; i++) {
		s[len++] = 'h';
		s[len++] = ',';
	}
	s[len++] = 'h';
	s[len++] = '\n';
	for (size_t i = 0; i < n / 2; i++) {
		s[len++] = '1';
		s[len++] = ',';
	}
	s[len++] = '2';
	assert_true(check_as(&esc_fmt_csv, "w.csv", s, len, reason));
	s[len - 2] = 'x'; /* one field fewer */
	assert_false(check_as(&esc_fmt_csv, "w.csv", s, len, reason));
	assert_string_equal(reason, "line 2: 5000 fields, expected 5001");
	free(s);
}

static char *make_pdf(size_t pad, const char *tail, size_t *len)
{
	const char *head = "%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\nendobj\n";
	size_t hl = strlen(head), tl = strlen(tail);
	char *s = malloc(hl + pad + tl + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	memset(s + hl, ' ', pad);
	memcpy(s + hl + pad, tail, tl + 1);
	*len = hl + pad + tl;
	return s;
}

static void test_pdf(void **state)
{
	char reason[256];
	size_t len;
	char *s;

	(void)state;
	s = make_pdf(3000, "xref\n0 1\ntrailer\n<< >>\nstartxref\n15\n%%EOF\n", &len);
	assert_true(check_as(&esc_fmt_pdf, "a.pdf", s, len, reason));
	assert_true(esc_fmt_pdf.sniff((const uint8_t *)s, 64, len));
	s[5] = '3';
	assert_false(check_as(&esc_fmt_pdf, "a.pdf", s, len, reason));
	assert_string_equal(reason, "no %PDF-1.x or %PDF-2.0 header at byte 0 (not a PDF)");
	assert_false(esc_fmt_pdf.sniff((const uint8_t *)s, 64, len));
	free(s);
	/* Truncated: the tail is gone. */
	s = make_pdf(3000, "xref\n0 1\ntrailer\n<< >>\nstartxref\n15\n%%EO", &len);
	assert_false(check_as(&esc_fmt_pdf, "a.pdf", s, len, reason));
	assert_string_equal(reason, "no %%EOF in the last 1024 bytes (truncated PDF?)");
	free(s);
	s = make_pdf(3000, "trailer\n<< >>\n%%EOF\n", &len);
	assert_false(check_as(&esc_fmt_pdf, "a.pdf", s, len, reason));
	assert_non_null(strstr(reason, "no startxref"));
	free(s);
	s = make_pdf(10, "startxref\n999999\n%%EOF\n", &len);
	assert_false(check_as(&esc_fmt_pdf, "a.pdf", s, len, reason));
	assert_non_null(strstr(reason, "offset inside the file"));
	free(s);
	/* %%EOF far from the end does not count. */
	s = make_pdf(0, "startxref\n15\n%%EOF\n", &len);
	s = realloc(s, len + 2000);
	assert_non_null(s);
	memset(s + len, '\n', 2000);
	assert_false(check_as(&esc_fmt_pdf, "a.pdf", s, len + 2000, reason));
	free(s);
	expect_fail(&esc_fmt_pdf, "", "no %PDF");
	expect_ok(&esc_fmt_pdf, "%PDF-2.0\nstartxref 3\n%%EOF");
}

static void test_yaml(void **state)
{
	(void)state;
	expect_ok(&esc_fmt_yaml, "a: 1\nb: [x, y]\nc:\n  - &anchor {k: v}\n  - *anchor\n");
	expect_ok(&esc_fmt_yaml, "--- one\n...\n--- {two: 2}\n");
	expect_ok(&esc_fmt_yaml, "# only a comment\n");
	expect_ok(&esc_fmt_yaml, "text: caf\xc3\xa9\n");
	expect_ok(&esc_fmt_yaml, ""); /* no document: loaders give null */
	expect_fail(&esc_fmt_yaml, "a: b\n  c: d\n", "line 2");
	expect_fail(&esc_fmt_yaml, "list: [1, 2\nnext: 3\n", "did not find expected ',' or ']'");
	expect_fail(&esc_fmt_yaml, "key: \"unterminated\n", "line 2");
	expect_fail(&esc_fmt_yaml, "a:\n\t- tab\n", "line 2");
	expect_fail(&esc_fmt_yaml, "bad: \xc0\xaf\n", "invalid");
	expect_fail(&esc_fmt_yaml, "x: *nowhere\n", "line 1: alias *nowhere has no anchor");
	/* Anchors belong to their document. */
	expect_fail(&esc_fmt_yaml, "--- {a: &x 1}\n--- {b: *x}\n", "line 2: alias *x");
	expect_ok(&esc_fmt_yaml, "- &a 1\n- &b [*a]\n- {k: *b}\n- &a 2\n- *a\n");
}

static void test_yaml_big_and_deep(void **state)
{
	size_t n = 300000, len = 0;
	char *s = malloc(n * 12 + 16), reason[256];

	(void)state;
	assert_non_null(s);
	for (size_t i = 0; i < n; i++)
		len += (size_t)sprintf(s + len, "- k%06zu\n", i);
	/* Far more than the ring holds: exercises both sides waiting. */
	assert_int_equal(run_ops(&esc_fmt_yaml, "big.yaml", s, len, 0, reason, sizeof reason), 1);
	assert_int_equal(run_ops(&esc_fmt_yaml, "big.yaml", s, len, 4093, reason, sizeof reason), 1);
	s[len - 8] = '"'; /* an unterminated quote at the very end */
	assert_int_equal(run_ops(&esc_fmt_yaml, "big.yaml", s, len, 65536, reason, sizeof reason), 0);
	memset(s, '[', 300);
	memset(s + 300, ']', 300);
	assert_int_equal(run_ops(&esc_fmt_yaml, "deep.yaml", s, 600, 0, reason, sizeof reason), 0);
	assert_non_null(strstr(reason, "nesting deeper than 256"));
	/* An early error: update() says so and the rest is not needed. */
	assert_int_equal(run_ops(&esc_fmt_yaml, "e.yaml", "]]]]", 4, 1, reason, sizeof reason), 0);
	free(s);
}

static void test_yaml_abandon(void **state)
{
	/* Release without final: the parser thread must end, no leak. */
	void *st = malloc(esc_fmt_yaml.state_size);

	(void)state;
	assert_non_null(st);
	esc_fmt_yaml.init(st, "x.yaml", 10);
	esc_fmt_yaml.update(st, (const uint8_t *)"a: [1, 2", 8, 0);
	esc_fmt_yaml.release(st);
	free(st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text),
		cmocka_unit_test(test_json_ok),
		cmocka_unit_test(test_json_bad),
		cmocka_unit_test(test_json_depth),
		cmocka_unit_test(test_json_sniff),
		cmocka_unit_test(test_csv),
		cmocka_unit_test(test_csv_long_header),
		cmocka_unit_test(test_pdf),
		cmocka_unit_test(test_yaml),
		cmocka_unit_test(test_yaml_big_and_deep),
		cmocka_unit_test(test_yaml_abandon),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
