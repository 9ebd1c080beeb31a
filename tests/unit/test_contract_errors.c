/* test_contract_errors.c -- the contract parser reports every error it can
 * (up to 20) in one pass, each "file:line:col: message", with did-you-mean
 * for keys, kinds and formats; and escrow_suggest, the edit distance behind
 * those suggestions and the command line's. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

/* The lines of the context's error after a failed parse of text. */
static size_t parse_errors(escrow_ctx *ctx, const char *text, char lines[32][512])
{
	escrow_contract *c = NULL;
	escrow_status st = escrow_contract_parse(ctx, "c.yaml", text, strlen(text), &c);
	const char *e = escrow_ctx_error(ctx);
	size_t n = 0;

	assert_int_equal(st, ESCROW_E_INPUT);
	assert_null(c);
	while (*e && n < 32) {
		size_t len = strcspn(e, "\n");

		snprintf(lines[n++], 512, "%.*s", (int)len, e);
		e += len;
		if (*e == '\n')
			e++;
	}
	return n;
}

static void test_several_errors(void **state)
{
	static const char text[] =
		"escrow-contract: 1\n"                    /* 1 */
		"contract: X-1\n"                         /* 2 */
		"agncy: Foo\n"                            /* 3 */
		"deliverables:\n"                         /* 4 */
		"  - id: src\n"                           /* 5 */
		"    kind: modle\n"                       /* 6 */
		"    include: [\"src/**\"]\n"             /* 7 */
		"    inclde: [\"lib/**\"]\n"              /* 8 */
		"  - id: w\n"                             /* 9 */
		"    include: [\"m/*.st\", {a: 1}]\n"     /* 10 */
		"    format: safetensor\n"                /* 11 */
		"    min_bytes: 10\n"                     /* 12 */
		"  - id: w\n"                             /* 13 */
		"    include: [\"y\"]\n"                  /* 14 */
		"    required: maybe\n"                   /* 15 */
		"forbid: \"x\"\n";                        /* 16 */
	static const char *const want[] = {
		"c.yaml:3:1: unknown key 'agncy' (did you mean 'agency'?)",
		"c.yaml:6:11: unknown kind 'modle' (did you mean 'model'?)",
		"c.yaml:8:5: unknown key 'inclde' (did you mean 'include'?)",
		"c.yaml:10:25: each entry of 'include' must be a glob (text)",
		"c.yaml:11:13: unknown format 'safetensor' (did you mean 'safetensors'?)",
		"c.yaml:12:5: unknown key 'min_bytes' (did you mean 'min-bytes'?)",
		"c.yaml:15:15: 'required' must be true or false, got 'maybe'",
		"c.yaml:13:5: duplicate deliverable id 'w' (first at line 9)",
		"c.yaml:16:9: 'forbid' must be a list of globs, e.g. forbid: [\"models/**\"]",
	};
	char lines[32][512];
	escrow_ctx *ctx = escrow_ctx_new();
	size_t n = parse_errors(ctx, text, lines), i;

	(void)state;
	for (i = 0; i < n; i++)
		fprintf(stderr, "  got: %s\n", lines[i]);
	assert_int_equal(n, sizeof want / sizeof want[0]);
	for (i = 0; i < n; i++)
		assert_string_equal(lines[i], want[i]);
	escrow_ctx_free(ctx);
}

/* A quoted boolean is text, and said so: "got 'false'" read as a
 * contradiction. */
static void test_quoted_bool(void **state)
{
	char lines[32][512];
	escrow_ctx *ctx = escrow_ctx_new();
	size_t n = parse_errors(ctx,
	                        "escrow-contract: 1\ncontract: A\n"
	                        "deliverables:\n  - id: a\n    include: [x]\n    required: \"false\"\n",
	                        lines);

	(void)state;
	assert_int_equal(n, 1);
	assert_string_equal(lines[0], "c.yaml:6:15: 'required' must be true or false, not quoted text "
	                              "(write required: false)");
	escrow_ctx_free(ctx);
}

/* No suggestion for a word far from every key: the list instead. */
static void test_no_suggestion(void **state)
{
	char lines[32][512];
	escrow_ctx *ctx = escrow_ctx_new();
	size_t n = parse_errors(ctx,
	                        "escrow-contract: 1\ncontract: A\nwibblewobble: 1\n"
	                        "deliverables:\n  - id: a\n    include: [x]\n    kind: zzz\n",
	                        lines);

	(void)state;
	assert_int_equal(n, 2);
	assert_non_null(strstr(lines[0], "c.yaml:3:1: unknown key 'wibblewobble' (expected one of escrow-contract,"));
	assert_non_null(strstr(lines[1], "c.yaml:7:11: unknown kind 'zzz' (expected one of code, model,"));
	escrow_ctx_free(ctx);
}

/* Missing keys are reported with the others; a key holding a newline stays
 * one escaped line. */
static void test_missing_and_escaped(void **state)
{
	char lines[32][512];
	escrow_ctx *ctx = escrow_ctx_new();
	size_t n = parse_errors(ctx, "agency: A\n\"a\\nb\": 1\n", lines);

	(void)state;
	assert_int_equal(n, 4);
	assert_non_null(strstr(lines[0], "c.yaml:2:1: unknown key 'a\\x0ab'"));
	assert_string_equal(lines[1], "c.yaml:1:1: missing 'escrow-contract: 1' (the schema version)");
	assert_non_null(strstr(lines[2], "missing 'contract:'"));
	assert_non_null(strstr(lines[3], "missing 'deliverables:'"));
	escrow_ctx_free(ctx);
}

/* At most 20, then one line saying it stopped. */
static void test_twenty_at_most(void **state)
{
	char text[4096], lines[32][512];
	escrow_ctx *ctx = escrow_ctx_new();
	size_t o = 0, n;
	int i;

	(void)state;
	o += (size_t)snprintf(text + o, sizeof text - o, "escrow-contract: 1\ncontract: A\ndeliverables:\n");
	for (i = 0; i < 30; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "  - id: d%d\n    include: [x]\n    kind: bad%d\n", i, i);
	n = parse_errors(ctx, text, lines);
	assert_int_equal(n, 21);
	assert_non_null(strstr(lines[0], "c.yaml:6:11: unknown kind 'bad0'"));
	assert_string_equal(lines[20], "c.yaml: more than 20 errors: stopping here");
	escrow_ctx_free(ctx);
}

/* A syntax error stops the parse, after what came before it. */
static void test_syntax_stops(void **state)
{
	char lines[32][512];
	escrow_ctx *ctx = escrow_ctx_new();
	size_t n = parse_errors(ctx, "escrow-contract: 2\ncontract: [\n", lines);

	(void)state;
	assert_int_equal(n, 3);
	assert_non_null(strstr(lines[0], "c.yaml:1:18: unsupported escrow-contract version 2"));
	assert_non_null(strstr(lines[2], "YAML syntax"));
	escrow_ctx_free(ctx);
}

static void test_suggest(void **state)
{
	static const char *const cmds[] = {"keygen", "check", "pack", "verify", "list", "extract", "rewrap",
	                                   "vault", NULL};
	static const char *const formats[] = {"safetensors", "onnx", "gguf", "pytorch", NULL};

	(void)state;
	assert_string_equal(escrow_suggest("verfy", cmds), "verify");
	assert_string_equal(escrow_suggest("pakc", cmds), "pack");     /* a swap is one edit */
	assert_string_equal(escrow_suggest("extrat", cmds), "extract");
	assert_string_equal(escrow_suggest("safetensor", formats), "safetensors");
	assert_string_equal(escrow_suggest("onx", formats), "onnx");
	assert_null(escrow_suggest("frobnicate", cmds));
	assert_null(escrow_suggest("x", cmds));                        /* one letter: anything is one edit */
	assert_null(escrow_suggest("packing-list", cmds));
	assert_null(escrow_suggest(NULL, cmds));
	assert_null(escrow_suggest("pack", NULL));
	assert_string_equal(escrow_suggest("pack", cmds), "pack");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_several_errors), cmocka_unit_test(test_quoted_bool),
		cmocka_unit_test(test_no_suggestion),
		cmocka_unit_test(test_missing_and_escaped), cmocka_unit_test(test_twenty_at_most),
		cmocka_unit_test(test_syntax_stops), cmocka_unit_test(test_suggest),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
