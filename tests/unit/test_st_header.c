/* test_st_header.c -- the safetensors header read without a document tree:
 * jansson's JSON rules kept (duplicates, escapes, UTF-8, numbers), and at
 * the 16 MiB limit a header of millions of empty objects checked in a few
 * times its size (jansson took 1.29 GB), as the kernel counts it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "escrow_private.h"
#include "fixtures.h"
#include "formats/esc_st.h"

#if defined(__SANITIZE_ADDRESS__)
#define UNDER_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define UNDER_ASAN 1
#endif
#endif

#define LIMIT (16u << 20)

/* esc_st_header on a copy of text: 1 ok (then n tensors), else 0 with why. */
static int hdr(const char *text, size_t *n, char *why)
{
	char *h = strdup(text);
	struct esc_st_range *r = NULL;
	int ok;

	assert_non_null(h);
	ok = esc_st_header(h, strlen(h), &r, n, why, 200);
	free(r);
	free(h);
	return ok;
}

#define T(x) "\"" x "\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]"

static void expect_ok(const char *text, size_t tensors)
{
	char why[200];
	size_t n = 0;

	if (!hdr(text, &n, why))
		fail_msg("%s: refused: %s", text, why);
	assert_int_equal(n, tensors);
}

static void expect_bad(const char *text, const char *reason)
{
	char why[200];
	size_t n = 0;

	if (hdr(text, &n, why))
		fail_msg("%s: accepted", text);
	if (strstr(why, reason) == NULL)
		fail_msg("%s: '%s' does not say '%s'", text, why, reason);
}

static void test_json_rules(void **state)
{
	char deep[1024];
	size_t i, o;

	(void)state;
	expect_ok("{" T("w") "}}", 1);
	expect_ok("{" T("w") "}}    ", 1);                                  /* padded */
	expect_ok("{\"__metadata__\":{\"format\":\"pt\"}," T("w") "}}", 1);
	expect_ok("{" T("w") ",\"extra\":[{},{\"a\":[1.5e3,-0,null,true]}]}}", 1); /* ignored members */
	expect_ok("{\"w\":{\"dtyp\\u0065\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 1); /* escaped key */
	expect_ok("{\"caf\\u00e9\\ud83d\\ude00\":{\"dtype\":\"U8\",\"shape\":[-0],\"data_offsets\":[0,0]}}", 1);
	expect_ok("{}", 0);
	expect_bad("{" T("w") "}," T("w") "}}", "duplicate key 'w'");
	expect_bad("{" T("w") "}," T("\\u0077") "}}", "duplicate key 'w'");       /* the same key, escaped */
	expect_bad("{" T("w") ",\"x\":[{\"a\":1,\"a\":2}]}}", "duplicate key 'a'"); /* even where ignored */
	expect_bad("{" T("w") ",\"shape\":[2]}}", "duplicate key 'shape'");
	expect_bad("{\"__metadata__\":{\"a\":\"1\",\"a\":\"2\"}}", "duplicate key 'a' in __metadata__");
	expect_bad("{\"__metadata__\":{\"a\":1}}", "__metadata__ value of 'a' is not a string");
	expect_bad("{\"w\\u0000\":{}}", "\\u0000");
	expect_bad("{\"\\udc00\":{}}", "lone low surrogate");
	expect_bad("{\"\\ud800x\":{}}", "high surrogate");
	expect_bad("{\"\xc3\":{}}", "invalid UTF-8");
	expect_bad("{\"\xed\xa0\x80\":{}}", "invalid UTF-8");                 /* an encoded surrogate */
	expect_bad("{\"a\tb\":{}}", "control character");
	expect_bad("{" T("w") "}} x", "after the header");
	expect_bad("{" T("w") "},}", "expected a string key");
	expect_bad("{" T("w") "}", "expected ',' or '}'");
	expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}",
	           "integer too large");
	/* numbers nobody reads: jansson's limits (a double, 64-bit integers) */
	expect_ok("{" T("w") ",\"n\":[1.7976931348623157e308,-9223372036854775808,99999999999999999999.5,"
	          "1e-400,0.0000e999,-0]}}", 1);
	expect_bad("{" T("w") ",\"n\":1e400}}", "too large for a double");
	expect_bad("{" T("w") ",\"n\":1.8e308}}", "too large for a double");
	expect_bad("{" T("w") ",\"n\":-0.00018e312}}", "too large for a double");
	expect_bad("{" T("w") ",\"n\":9223372036854775808}}", "integer too large");
	expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2.0],\"data_offsets\":[0,8]}}", "shape holds");
	expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[01],\"data_offsets\":[0,8]}}", "leading zero");
	expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8,9]}}", "lacks dtype");
	expect_bad("{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-1,7]}}", "not non-negative");
	expect_bad("{\"w\":{\"dtype\":\"F32\\u0000\",\"shape\":[2],\"data_offsets\":[0,8]}}", "\\u0000");
	expect_bad("{\"w\":{\"dtype\":\"F32x\",\"shape\":[2],\"data_offsets\":[0,8]}}", "unknown dtype");
	expect_bad("{\"w\":[]}", "lacks dtype");
	expect_bad("[]", "does not start with '{'");
	/* nesting: 64 levels in all, the header's object being the first */
	for (o = 0, i = 0; i < 62; i++)
		deep[o++] = '[';
	for (i = 0; i < 62; i++)
		deep[o++] = ']';
	deep[o] = '\0';
	{
		char doc[1200];

		snprintf(doc, sizeof doc, "{" T("w") ",\"x\":%s}}", deep);
		expect_ok(doc, 1);
		snprintf(doc, sizeof doc, "{" T("w") ",\"x\":[%s]}}", deep);
		expect_bad(doc, "nested deeper than 64 levels");
	}
}

#ifndef UNDER_ASAN
static long peak_kib(void)
{
	struct rusage ru;

	assert_int_equal(getrusage(RUSAGE_SELF, &ru), 0);
	return ru.ru_maxrss;
}
#endif

/* At the limit: a valid 16 MiB header whose tensor carries millions of empty
 * objects, inspected as check and verify do. */
static void test_limit_wide(void **state)
{
	static const char head[] = "{\"t\":{\"dtype\":\"U8\",\"shape\":[4],\"data_offsets\":[0,4],\"x\":[";
	struct fx b = {0};
	struct esc_inspection r;
	char *json = malloc(LIMIT + 1);
	size_t o = 0;

	(void)state;
	assert_non_null(json);
	memcpy(json, head, sizeof head - 1);
	o = sizeof head - 1;
	while (o + 3 + 3 <= LIMIT) {
		memcpy(json + o, "{},", 3);
		o += 3;
	}
	json[o - 1] = ']'; /* the last comma */
	json[o++] = '}';
	json[o++] = '}';
	while (o < LIMIT)
		json[o++] = ' ';
	json[o] = '\0';
	fx_safetensors(&b, json, 4);
	free(json);
	assert_int_equal(b.n, 8 + LIMIT + 4);
	r = fx_inspect_chunked("m/wide.safetensors", &b, ESC_FMT_SAFETENSORS, 1u << 20);
	if (!r.wanted_ok)
		fail_msg("refused: %s", r.reason);
	assert_int_equal(r.detected, ESC_FMT_SAFETENSORS);
	fx_free(&b);
#ifndef UNDER_ASAN
	/* the fixture (2 x 16 MiB) and the header copy: far below jansson's 1.29 GB */
	if (peak_kib() > 160 * 1024)
		fail_msg("peak RSS %ld KiB for a 16 MiB header", peak_kib());
#endif
}

static void test_limit_deep(void **state)
{
	struct fx b = {0};
	struct esc_inspection r;
	char *json = malloc(LIMIT + 1);
	size_t o = 0, k = (LIMIT - 2) / 6, i;

	(void)state;
	assert_non_null(json);
	for (i = 0; i < k; i++, o += 5)
		memcpy(json + o, "{\"a\":", 5);
	json[o++] = '{';
	json[o++] = '}';
	memset(json + o, '}', k);
	o += k;
	json[o] = '\0';
	fx_safetensors(&b, json, 0);
	free(json);
	r = fx_inspect_chunked("m/deep.safetensors", &b, ESC_FMT_SAFETENSORS, 1u << 20);
	assert_false(r.wanted_ok);
	assert_non_null(strstr(r.reason, "nested deeper than 64 levels"));
	fx_free(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_rules),
		cmocka_unit_test(test_limit_wide),
		cmocka_unit_test(test_limit_deep),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
