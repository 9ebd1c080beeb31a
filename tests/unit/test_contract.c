/* test_contract.c -- the deliverables list: parsing (every malformed case
 * with its line:column) and evaluation (each deliverable status). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

static const char good[] =
	"# Annex B of the agreement\n"
	"escrow-contract: 1\n"
	"contract: FRAUD-2026-07\n"
	"agency: Agence Exemple SAS\n"
	"client: Client PME SA\n"
	"deliverables:\n"
	"  - id: classifier\n"
	"    description: Production fraud model\n"
	"    kind: model\n"
	"    include: [\"models/classifier.safetensors\"]\n"
	"    exclude: []\n"
	"    format: safetensors\n"
	"    min-files: 1\n"
	"    min-bytes: 1_000\n"
	"    sha256: \"E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855\"\n"
	"    required: true\n"
	"  - id: source\n"
	"    kind: code\n"
	"    include:\n"
	"      - \"src/**\"\n"
	"      - pyproject.toml\n"
	"  - id: eval-report\n"
	"    include: [reports/*.pdf]\n"
	"    required: false\n"
	"forbid: [\"**/*.pyc\", .env]\n"
	"exclude: [\".git/**\"]\n";

static escrow_contract *parse_ok(escrow_ctx *ctx, const char *text)
{
	escrow_contract *c = NULL;
	escrow_status st = escrow_contract_parse(ctx, "c.yaml", text, strlen(text), &c);

	if (st != ESCROW_OK)
		fprintf(stderr, "unexpected: %s\n", escrow_ctx_error(ctx));
	assert_int_equal(st, ESCROW_OK);
	assert_non_null(c);
	return c;
}

static void test_parse_good(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_contract *c = parse_ok(ctx, good);
	uint8_t want[32];

	(void)state;
	assert_string_equal(escrow_contract_id(c), "FRAUD-2026-07");
	assert_string_equal(c->agency, "Agence Exemple SAS");
	assert_string_equal(c->client, "Client PME SA");
	assert_int_equal(c->n_d, 3);
	assert_string_equal(c->d[0].id, "classifier");
	assert_string_equal(c->d[0].format, "safetensors");
	assert_string_equal(c->d[0].kind, "model");
	assert_int_equal(c->d[0].min_bytes, 1000);
	assert_true(c->d[0].has_sha256);
	assert_int_equal(c->d[0].sha256[0], 0xE3);
	assert_int_equal(c->d[1].n_include, 2);
	assert_string_equal(c->d[1].include[1], "pyproject.toml");
	assert_int_equal(c->d[1].min_files, 1);
	assert_true(c->d[1].required);
	assert_null(c->d[1].format);
	assert_string_equal(c->d[2].kind, "other");
	assert_false(c->d[2].required);
	assert_int_equal(c->n_forbid, 2);
	assert_string_equal(c->forbid[1], ".env");
	assert_int_equal(c->n_exclude, 1);
	assert_true(escrow_contract_has_deliverable(c, "source"));
	assert_false(escrow_contract_has_deliverable(c, "sources"));
	/* the raw bytes and their digest are kept for the bundle copy */
	assert_int_equal(c->raw_len, strlen(good));
	assert_memory_equal(c->raw, good, strlen(good));
	esc_sha256_buf(good, strlen(good), want);
	assert_memory_equal(c->raw_sha256, want, 32);
	assert_string_equal(esc_contract_owner(c, "src/app/main.py")->id, "source");
	assert_null(esc_contract_owner(c, "README.md"));
	escrow_contract_free(c);
	escrow_contract_free(NULL);
	escrow_ctx_free(ctx);
}

struct bad {
	const char *text;
	const char *where; /* "c.yaml:LINE:COL:" */
	const char *what;
};

#define HEAD "escrow-contract: 1\ncontract: X-1\n"
#define ONE "deliverables:\n  - id: a\n    include: [a]\n"

static const struct bad bads[] = {
	{"", "c.yaml:1:1:", "empty contract"},
	{"- a\n- b\n", "c.yaml:1:1:", "is a mapping"},
	{"contract: X\n" ONE, "c.yaml:1:1:", "missing 'escrow-contract: 1'"},
	{"escrow-contract: 1\n" ONE, "c.yaml:1:1:", "missing 'contract:'"},
	{HEAD, "c.yaml:1:1:", "missing 'deliverables:'"},
	{HEAD ONE "foo: 1\n", "c.yaml:6:1:", "unknown key 'foo' (expected one of escrow-contract, contract"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    min_files: 2\n", "c.yaml:6:5:",
	 "did you mean 'min-files'?"},
	{"escrow-contract: 2\ncontract: X\n" ONE, "c.yaml:1:18:", "unsupported escrow-contract version 2"},
	{"escrow-contract: \"1\"\ncontract: X\n" ONE, "c.yaml:1:18:", "not quoted text"},
	{HEAD ONE "contract: Y\n", "c.yaml:6:1:", "duplicate key 'contract'"},
	{"escrow-contract: 1\ncontract: [a]\n" ONE, "c.yaml:2:11:", "'contract' must be text, not a list"},
	{"escrow-contract: 1\ncontract: a/b\n" ONE, "c.yaml:2:11:", "contract id 'a/b'"},
	{"escrow-contract: 1\ncontract:\n" ONE, "c.yaml:2:10:", "'contract' has no value"},
	{HEAD "deliverables: []\n", "c.yaml:3:15:", "'deliverables' is empty"},
	{HEAD "deliverables: {a: 1}\n", "c.yaml:3:15:", "must be a list"},
	{HEAD "deliverables:\n  - a\n", "c.yaml:4:5:", "each deliverable must be a mapping"},
	{HEAD "deliverables:\n  - id: Big_Model\n    include: [a]\n", "c.yaml:4:9:", "deliverable id 'Big_Model'"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n  - id: b\n    include: [b]\n  - id: a\n    include: [c]\n",
	 "c.yaml:8:5:", "duplicate deliverable id 'a' (first at line 4)"},
	{HEAD "deliverables:\n  - include: [a]\n", "c.yaml:4:5:", "has no 'id'"},
	{HEAD "deliverables:\n  - id: a\n", "c.yaml:4:5:", "has no 'include'"},
	{HEAD "deliverables:\n  - id: a\n    include: []\n", "c.yaml:5:14:", "'include' is empty"},
	{HEAD "deliverables:\n  - id: a\n    include: a\n", "c.yaml:5:14:", "must be a list of globs"},
	{HEAD "deliverables:\n  - id: a\n    include: [[a]]\n", "c.yaml:5:15:", "must be a glob"},
	{HEAD "deliverables:\n  - id: a\n    include: [\"v[0-9\"]\n", "c.yaml:5:15:", "without a closing"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    kind: weights\n", "c.yaml:6:11:",
	 "unknown kind 'weights' (expected one of code, model"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    format: pickle\n", "c.yaml:6:13:",
	 "unknown format 'pickle' (expected one of safetensors, onnx"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    sha256: abc\n", "c.yaml:6:13:", "64 hex digits"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    sha256: "
	      "zz0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855\n",
	 "c.yaml:6:13:", "64 hex digits"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    min-bytes: -5\n", "c.yaml:6:16:", "must not be negative"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    min-bytes: 18446744073709551616\n", "c.yaml:6:16:",
	 "too large"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    min-bytes: 1e6\n", "c.yaml:6:16:", "whole number"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    min-files: 0\n", "c.yaml:4:5:", "at least 1"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    required: yes\n", "c.yaml:6:15:", "true or false"},
	{HEAD "deliverables:\n  - id: a\n    include: [a]\n    description: \"a\\x01b\"\n", "c.yaml:6:18:",
	 "control character"},
	{HEAD "agency: &a A\n" ONE, "c.yaml:3:9:", "anchors and aliases"},
	{HEAD "deliverables:\n  - id: a\n    include: *x\n", "c.yaml:5:14:", "anchors and aliases"},
	{HEAD "agency: !!str A\n" ONE, "c.yaml:3:9:", "tags"},
	{HEAD ONE "---\na: 1\n", "c.yaml:6:1:", "only one YAML document"},
	{HEAD "deliverables:\n  - id: a\n    include: [a\n", "c.yaml:6:1:", "YAML syntax"},
	{HEAD "agency: \"a\\0b\"\n" ONE, "c.yaml:3:9:", "NUL"},
	{HEAD ONE "forbid: [\"\"]\n", "c.yaml:6:10:", "empty glob"},
	{HEAD ONE "forbid: \"**/*.pyc\"\n", "c.yaml:6:9:", "must be a list of globs"},
};

static void test_parse_bad(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	size_t i;
	int fails = 0;

	(void)state;
	for (i = 0; i < sizeof bads / sizeof bads[0]; i++) {
		escrow_contract *c = (escrow_contract *)1;
		escrow_status st = escrow_contract_parse(ctx, "c.yaml", bads[i].text, strlen(bads[i].text), &c);
		const char *e = escrow_ctx_error(ctx);

		if (st != ESCROW_E_INPUT || c != NULL || strncmp(e, bads[i].where, strlen(bads[i].where)) != 0 ||
		    strstr(e, bads[i].what) == NULL) {
			fprintf(stderr, "case %zu: status %d, message '%s'; want '%s' ... '%s'\n", i, (int)st, e,
			        bads[i].where, bads[i].what);
			fails++;
		}
	}
	escrow_ctx_free(ctx);
	assert_int_equal(fails, 0);
}

static void test_bounds(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_contract *c = NULL;
	size_t cap = 12u << 20, o, i;
	char *big = malloc(cap), path[64];
	FILE *f;

	(void)state;
	assert_non_null(big);
	/* over 1 MiB: refused before parsing */
	memset(big, ' ', (1u << 20) + 1);
	assert_int_equal(escrow_contract_parse(ctx, "c.yaml", big, (1u << 20) + 1, &c), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "1 MiB"));
	/* 10,001 deliverables (in flow style to fit in 1 MiB) */
	o = (size_t)sprintf(big, HEAD "deliverables:\n");
	for (i = 0; i <= 10000; i++)
		o += (size_t)sprintf(big + o, "- {id: d%zu, include: [x]}\n", i);
	assert_true(o < (1u << 20));
	assert_int_equal(escrow_contract_parse(ctx, "c.yaml", big, o, &c), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "more than 10000 deliverables"));
	/* deep nesting stops at the first level the schema does not have */
	o = (size_t)sprintf(big, HEAD ONE "forbid: ");
	for (i = 0; i < 100000; i++)
		big[o++] = '[';
	assert_int_equal(escrow_contract_parse(ctx, "c.yaml", big, o, &c), ESCROW_E_INPUT);
	/* load: a missing file is E_OPEN, a file over 1 MiB is E_INPUT */
	assert_int_equal(escrow_contract_load(ctx, "/nonexistent/contract.yaml", &c), ESCROW_E_OPEN);
	snprintf(path, sizeof path, "/tmp/escrow-contract-XXXXXX");
	{
		int fd = mkstemp(path);

		assert_true(fd >= 0);
		f = fdopen(fd, "w");
	}
	memset(big, '#', (1u << 20) + 10);
	fwrite(big, 1, (1u << 20) + 10, f);
	fclose(f);
	assert_int_equal(escrow_contract_load(ctx, path, &c), ESCROW_E_INPUT);
	f = fopen(path, "w");
	fputs(good, f);
	fclose(f);
	assert_int_equal(escrow_contract_load(ctx, path, &c), ESCROW_OK);
	assert_string_equal(c->source_name, path);
	escrow_contract_free(c);
	remove(path);
	free(big);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse_good),
		cmocka_unit_test(test_parse_bad),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
