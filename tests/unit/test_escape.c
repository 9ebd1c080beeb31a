/* test_escape.c -- the one escaping function (core_escape.c): every control a
 * terminal acts on is shown, bytes that are not UTF-8 are shown one by one,
 * valid text is kept, and the library's messages, warnings, text report and
 * JSON report go through it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

/* The text escape of len bytes, compared with want. */
static void check_n(const char *s, size_t len, const char *want)
{
	char out[512];
	size_t n = esc_escape(out, sizeof out, s, len, ESC_ESCAPE_TEXT);

	assert_string_equal(out, want);
	assert_int_equal(n, strlen(want));
}

static void check(const char *s, const char *want)
{
	char out[512];

	assert_int_equal(escrow_escape(out, sizeof out, s, 0), strlen(want));
	assert_string_equal(out, want);
	check_n(s, strlen(s), want);
}

static void check_json(const char *s, const char *want)
{
	char out[512];

	assert_int_equal(escrow_escape(out, sizeof out, s, ESCROW_ESCAPE_JSON), strlen(want));
	assert_string_equal(out, want);
}

static void test_c0_and_del(void **state)
{
	char in[4], want[16];
	unsigned c;

	(void)state;
	check_n("\0", 1, "\\x00");
	for (c = 1; c < 0x20; c++) {
		snprintf(in, sizeof in, "%c", c);
		snprintf(want, sizeof want, "\\x%02x", c);
		check(in, want);
	}
	check("\x7f", "\\x7f");
	check("\x1b]52;c;aGk=\x07", "\\x1b]52;c;aGk=\\x07");
	check("\x1b[2J\x1b[Hverdict: verified\n", "\\x1b[2J\\x1b[Hverdict: verified\\x0a");
	check("a\\x1b", "a\\\\x1b"); /* a real backslash cannot pass for an escape */
	check("\\", "\\\\");
}

static void test_c1(void **state)
{
	char in[4], want[16];
	unsigned c;

	(void)state;
	for (c = 0x80; c <= 0x9f; c++) {
		/* as UTF-8 (U+0080-U+009F) */
		snprintf(in, sizeof in, "%c%c", 0xc2, c);
		snprintf(want, sizeof want, "\\u%04x", c);
		check(in, want);
		/* as a raw byte (not UTF-8: shown as a byte) */
		snprintf(in, sizeof in, "%c", c);
		snprintf(want, sizeof want, "\\x%02x", c);
		check(in, want);
	}
	check("\xc2\x9b" "2J", "\\u009b2J");
	check("\x9b" "2J", "\\x9b2J");
	check("\xc2\xa0", "\xc2\xa0"); /* U+00A0 is text */
}

static void test_bidi(void **state)
{
	static const unsigned cps[] = {0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c,
	                               0x202d, 0x202e, 0x2066, 0x2067, 0x2068, 0x2069};
	char in[8], want[16];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cps / sizeof cps[0]; i++) {
		unsigned cp = cps[i];

		if (cp < 0x800)
			snprintf(in, sizeof in, "%c%c", 0xc0 | (cp >> 6), 0x80 | (cp & 0x3f));
		else
			snprintf(in, sizeof in, "%c%c%c", 0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f));
		snprintf(want, sizeof want, "\\u%04x", cp);
		check(in, want);
	}
	check("evil\xe2\x80\xaetxt.exe", "evil\\u202etxt.exe");
	/* neighbours that are not controls are kept */
	check("\xe2\x80\xaf\xe2\x81\xa5\xe2\x80\x8d", "\xe2\x80\xaf\xe2\x81\xa5\xe2\x80\x8d");
}

static void test_invalid_utf8(void **state)
{
	(void)state;
	check("\xff", "\\xff");
	check("\xfe\xf5\xf8", "\\xfe\\xf5\\xf8");
	check("\xc0\xaf", "\\xc0\\xaf");                 /* overlong '/' */
	check("\xc1\xbf", "\\xc1\\xbf");                 /* overlong */
	check("\xe0\x80\xaf", "\\xe0\\x80\\xaf");        /* overlong, 3 bytes */
	check("\xf0\x80\x80\xaf", "\\xf0\\x80\\x80\\xaf"); /* overlong, 4 bytes */
	check("\xed\xa0\x80", "\\xed\\xa0\\x80");        /* surrogate U+D800 */
	check("\xed\xbf\xbf", "\\xed\\xbf\\xbf");        /* surrogate U+DFFF */
	check("\xf4\x90\x80\x80", "\\xf4\\x90\\x80\\x80"); /* above U+10FFFF */
	check("\x80x", "\\x80x");                         /* stray continuation */
	/* truncated sequences, at the end and before other text */
	check("\xe2\x82", "\\xe2\\x82");
	check("\xe2\x82X", "\\xe2\\x82X");
	check("\xf0\x9f\x98", "\\xf0\\x9f\\x98");
	check("\xc3", "\\xc3");
	check("\xc3\xc3\xa9", "\\xc3\xc3\xa9");
	check_n("a\xe2\x80\xae", 3, "a\\xe2\\x80"); /* cut by len, not by the NUL */
}

static void test_valid_text_kept(void **state)
{
	static const char *const keep[] = {
		"src/app/main.py", "caf\xc3\xa9 \xe2\x82\xac \xf0\x9d\x84\x9e \xe6\x97\xa5\xe6\x9c\xac",
		"\xed\x9f\xbf", "\xee\x80\x80", "\xf4\x8f\xbf\xbf", "\xef\xbb\xbf", "~!@#$%^&*()_+{}|:\"<>?`-=[];',./",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof keep / sizeof keep[0]; i++)
		check(keep[i], keep[i]);
	check("", "");
	check_json("caf\xc3\xa9", "caf\xc3\xa9");
}

static void test_plain(void **state)
{
	(void)state;
	assert_true(esc_text_is_plain("fraud-scoring 2.4.0 caf\xc3\xa9 a\\b", 23));
	assert_true(esc_text_is_plain("", 0));
	assert_false(esc_text_is_plain("a\x1b", 2));
	assert_false(esc_text_is_plain("a\x7f", 2));
	assert_false(esc_text_is_plain("a\xc2\x9b", 3));
	assert_false(esc_text_is_plain("a\x9b", 2));
	assert_false(esc_text_is_plain("a\xe2\x80\xae", 4));
	assert_false(esc_text_is_plain("a\xe2\x81\xa6", 4));
	assert_false(esc_text_is_plain("a\xff", 2));
	assert_false(esc_text_is_plain("a\xe2\x82", 3));
}

static void test_cut_and_sizes(void **state)
{
	char out[8];

	(void)state;
	assert_int_equal(escrow_escape(NULL, 0, "\x1b", 0), 4);
	assert_int_equal(escrow_escape(NULL, 0, NULL, 0), 0);
	memset(out, 'Z', sizeof out);
	/* "ab" fits, the escape does not: never half an escape */
	assert_int_equal(escrow_escape(out, 6, "ab\x1b", 0), 6);
	assert_string_equal(out, "ab");
	assert_int_equal(escrow_escape(out, 7, "ab\x1b", 0), 6);
	assert_string_equal(out, "ab\\x1b");
	/* never half a character */
	assert_int_equal(escrow_escape(out, 4, "a\xe2\x82\xac", 0), 4);
	assert_string_equal(out, "a");
	assert_int_equal(escrow_escape(out, 1, "abc", 0), 3);
	assert_string_equal(out, "");
}

static void test_json_modes(void **state)
{
	char *s;
	json_t *j;

	(void)state;
	check_json("\"\\\x1b\xc2\x9b\xe2\x80\xae\xff\x7f", "\\\"\\\\\\u001b\\u009b\\u202e\\ufffd\\u007f");
	check_json("a\nb\tc", "a\\u000ab\\u0009c");
	/* a whole document: its layout stays, DEL/C1/bidi in strings are escaped */
	j = json_pack("{s:s}", "agency", "A\x7f\xc2\x9b" "2J\xe2\x80\xae" "B\x1b");
	assert_non_null(j);
	s = esc_json_safe(json_dumps(j, JSON_INDENT(2)));
	assert_non_null(s);
	assert_string_equal(s, "{\n  \"agency\": \"A\\u007f\\u009b2J\\u202eB\\u001B\"\n}");
	json_decref(j);
	j = json_loads(s, 0, NULL);
	assert_non_null(j);
	assert_string_equal(json_string_value(json_object_get(j, "agency")), "A\x7f\xc2\x9b" "2J\xe2\x80\xae" "B\x1b");
	json_decref(j);
	free(s);
	/* jansson refuses invalid UTF-8: each bad byte becomes U+FFFD */
	j = esc_json_string("a\xff" "b\xe2\x82");
	assert_non_null(j);
	assert_string_equal(json_string_value(j), "a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd");
	json_decref(j);
	j = esc_json_string("exact \x1b\xc2\x9b");
	assert_string_equal(json_string_value(j), "exact \x1b\xc2\x9b");
	json_decref(j);
	assert_null(esc_json_string(NULL));
}

static char warned[4096];

static void on_warn(void *user, const char *msg)
{
	(void)user;
	snprintf(warned, sizeof warned, "%s", msg);
}

/* The library's own texts: errors, warnings and the text report. */
static void test_library_texts(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_report *r = esc_report_new("verify");
	json_t *b;
	char *text, *js;

	(void)state;
	assert_non_null(ctx);
	assert_non_null(r);
	esc_error(ctx, ESCROW_UNSAFE, "%s: unsafe path", "data/\x1b]52;c;aGk=\x07\xc2\x9b\xff");
	assert_string_equal(escrow_ctx_error(ctx), "data/\\x1b]52;c;aGk=\\x07\\u009b\\xff: unsafe path");
	assert_string_equal(esc_ctx_message(ctx), "data/\x1b]52;c;aGk=\x07\xc2\x9b\xff: unsafe path");
	/* a prefix is added to the raw text: escaped once, not twice */
	esc_error_prefix(ctx, "%s", "x\\y");
	assert_string_equal(escrow_ctx_error(ctx), "x\\\\y: data/\\x1b]52;c;aGk=\\x07\\u009b\\xff: unsafe path");
	esc_clear_error(ctx);
	assert_string_equal(escrow_ctx_error(ctx), "");
	escrow_ctx_set_warn(ctx, on_warn, NULL);
	esc_warn(ctx, "%s: skipped", "a\xe2\x80\xae" "b");
	assert_string_equal(warned, "a\\u202eb: skipped");

	b = json_object();
	json_object_set_new(b, "path", json_string("in\x1b[2J.escrow"));
	json_object_set_new(b, "agency", json_string("Evil\x1b[2J\x1b[H" "verdict: verified\n"));
	json_object_set_new(b, "name", json_string("n\xc2\x9b"));
	json_object_set_new(b, "release", json_string("r\xe2\x81\xa6"));
	json_object_set_new(b, "contract_id", json_string("C\x07"));
	json_object_set_new(r->root, "bundle", b);
	json_object_set_new(r->root, "verdict", json_string("tampered"));
	json_object_set_new(r->root, "reason", json_string("data/\x1b]52;c;aGk=\x07: bad"));
	esc_report_warn(r, "f\x1b", 0, "warned about %s", "w\x9b\x7f");
	text = escrow_report_text(r);
	assert_non_null(text);
	assert_non_null(strstr(text, "agency:     Evil\\x1b[2J\\x1b[Hverdict: verified\\x0a\n"));
	assert_non_null(strstr(text, "name:       n\\u009b, release r\\u2066\n"));
	assert_non_null(strstr(text, "contract:   C\\x07 (not checked"));
	assert_non_null(strstr(text, "in\\x1b[2J.escrow"));
	/* the text is made from the JSON, where a byte that is not UTF-8 is U+FFFD */
	assert_non_null(strstr(text, "warned about w\xef\xbf\xbd\\x7f"));
	assert_non_null(strstr(text, "verdict: tampered -- data/\\x1b]52;c;aGk=\\x07: bad\n"));
	for (const char *p = text; *p; p++)
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	free(text);
	js = escrow_report_json(r);
	assert_non_null(js);
	assert_null(strchr(js, 0x1b));
	assert_null(strstr(js, "\xc2\x9b"));
	assert_null(strstr(js, "\xe2\x81\xa6"));
	json_decref(b = json_loads(js, 0, NULL));
	assert_non_null(b);
	free(js);
	escrow_report_free(r);
	escrow_ctx_free(ctx);
}

/* A message longer than the context keeps (ESC_ERRLEN) keeps its head and
 * its end, which says what is wrong, around " ... ", cut between characters. */
static void test_long_messages(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	char path[5000], want_end[64];
	const char *m;
	size_t i, n;

	(void)state;
	assert_non_null(ctx);
	for (i = 0; i + 3 < sizeof path; i += 3)
		memcpy(path + i, "\xe2\x82\xac", 3); /* the euro sign, three bytes */
	path[i] = '\0';
	esc_error(ctx, ESCROW_TAMPERED, "b.escrow: '%s' is in the bundle but not in manifest-sha256.txt", path);
	m = esc_ctx_message(ctx);
	n = strlen(m);
	assert_true(n < ESC_ERRLEN && n > ESC_ERRLEN - 12);
	assert_memory_equal(m, "b.escrow: '\xe2\x82\xac", 14);
	assert_non_null(strstr(m, " ... "));
	snprintf(want_end, sizeof want_end, "\xe2\x82\xac' is in the bundle but not in manifest-sha256.txt");
	assert_string_equal(m + n - strlen(want_end), want_end);
	/* whole characters on both sides of the cut: nothing shown as \x.. */
	assert_null(strstr(escrow_ctx_error(ctx), "\\x"));
	/* a prefix keeps the end too */
	esc_error_prefix(ctx, "%s", "vault v");
	m = esc_ctx_message(ctx);
	assert_memory_equal(m, "vault v: b.escrow: '", 20);
	assert_string_equal(m + strlen(m) - strlen(want_end), want_end);
	/* the message itself as an argument (callers wrap what failed below) */
	esc_error(ctx, ESCROW_BAD_SIGNATURE, "%s", "its signature does not verify with the notary's key");
	esc_error(ctx, ESCROW_TAMPERED, "receipt r.json: %s: the receipt was altered", esc_ctx_message(ctx));
	assert_string_equal(esc_ctx_message(ctx), "receipt r.json: its signature does not verify with the notary's "
	                                          "key: the receipt was altered");
	escrow_ctx_set_warn(ctx, on_warn, NULL);
	esc_warn(ctx, "%s: skipped, it is a socket", path);
	assert_non_null(strstr(warned, "\xe2\x82\xac: skipped, it is a socket"));
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_c0_and_del),       cmocka_unit_test(test_c1),
		cmocka_unit_test(test_bidi),             cmocka_unit_test(test_invalid_utf8),
		cmocka_unit_test(test_valid_text_kept),  cmocka_unit_test(test_cut_and_sizes),
		cmocka_unit_test(test_json_modes),       cmocka_unit_test(test_library_texts),
		cmocka_unit_test(test_plain),            cmocka_unit_test(test_long_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
