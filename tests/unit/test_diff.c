/* test_diff.c -- the comparison core of escrow diff (bundle_diff_cmp.c) on
 * file records made by hand: paths walked in order, removed and added files
 * paired by digest (twins each paired once), changes put in the deliverable
 * that holds the file, statuses and regressions, model summaries compared,
 * and the bound on what is listed (the counts stay exact). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "esc_diff.h"
#include "formats/esc_fmt.h"

struct rec {
	const char *path;
	char digest;      /* the content: same letter, same bytes */
	uint64_t size;
	const char *model; /* a model summary, or NULL */
};

/* A side read whole from these records: strings in one arena chunk, as the
 * reader leaves them. */
static struct esc_diff_side *side(const struct rec *r, size_t n, const char *contract)
{
	struct esc_diff_side *s = calloc(1, sizeof *s);
	char *chunk = malloc(4096), *p = chunk;
	size_t i;

	assert_non_null(s);
	assert_non_null(chunk);
	s->arena = malloc(sizeof *s->arena);
	assert_non_null(s->arena);
	s->arena[0] = chunk;
	s->n_arena = 1;
	for (i = 0; i < n; i++) {
		struct esc_file *f = esc_files_push(&s->files);
		struct esc_inspection in;

		assert_non_null(f);
		strcpy(p, r[i].path);
		f->path = p;
		p += strlen(p) + 1;
		f->type = ESC_FT_FILE;
		f->size = r[i].size;
		memset(f->sha256, r[i].digest, 32);
		f->has_sha256 = true;
		memset(&in, 0, sizeof in);
		if (r[i].model != NULL)
			snprintf(in.model, sizeof in.model, "%s", r[i].model);
		assert_int_equal(esc_files_note(&s->files, f, &in), 0);
	}
	esc_files_sort(&s->files);
	s->status = ESCROW_OK;
	s->info = json_object();
	if (contract != NULL) {
		s->contract = strdup(contract);
		s->contract_len = strlen(contract);
	}
	return s;
}

static escrow_contract *contract(const char *text)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_contract *c = NULL;

	assert_int_equal(escrow_contract_parse(ctx, "c.yaml", text, strlen(text), &c), ESCROW_OK);
	escrow_ctx_free(ctx);
	return c;
}

static const char contract_text[] =
	"escrow-contract: 1\ncontract: D-1\ndeliverables:\n"
	"  - id: code\n    include: [\"src/**\"]\n    min-files: 3\n"
	"  - id: model\n    kind: model\n    include: [\"m/*.safetensors\"]\n";

static json_t *group(json_t *root, const char *id)
{
	json_t *d;
	size_t i;

	if (id == NULL)
		return json_object_get(root, "unassigned");
	json_array_foreach(json_object_get(root, "deliverables"), i, d)
		if (strcmp(json_string_value(json_object_get(d, "id")), id) == 0)
			return d;
	fail_msg("no deliverable %s", id);
	return NULL;
}

static long long count(json_t *g, const char *what)
{
	return json_integer_value(json_object_get(json_object_get(g, "counts"), what));
}

/* Three files with one content: each removed one pairs with one added
 * one, never twice; the rest are added or removed. */
static void test_renames_pair_once(void **state)
{
	static const struct rec a[] = {{"src/a.py", 'D', 5, NULL}, {"src/b.py", 'D', 5, NULL},
	                               {"src/x.py", 'E', 7, NULL}, {"doc.txt", 'F', 1, NULL}};
	static const struct rec b[] = {{"src/c.py", 'D', 5, NULL}, {"src/x.py", 'G', 9, NULL},
	                               {"src/y.py", 'D', 5, NULL}, {"src/z.py", 'D', 5, NULL},
	                               {"doc.txt", 'F', 1, NULL}};
	struct esc_diff_side *o = side(a, 4, NULL), *n = side(b, 5, NULL);
	escrow_contract *c = contract(contract_text);
	escrow_ctx *ctx = escrow_ctx_new();
	json_t *root = json_object(), *g, *ch;

	(void)state;
	assert_int_equal(esc_diff_compare(ctx, o, n, c, root), ESCROW_OK);
	g = group(root, "code");
	assert_int_equal(count(g, "renamed"), 2);
	assert_int_equal(count(g, "added"), 1);
	assert_int_equal(count(g, "changed"), 1);
	assert_int_equal(count(g, "removed"), 0);
	/* in path order: a.py -> c.py, b.py -> y.py; z.py is new */
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(g, "renamed"), 0), "from")),
	                    "src/a.py");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(g, "renamed"), 0), "to")),
	                    "src/c.py");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(g, "renamed"), 1), "from")),
	                    "src/b.py");
	assert_string_equal(json_string_value(json_object_get(json_array_get(json_object_get(g, "added"), 0), "path")),
	                    "src/z.py");
	ch = json_array_get(json_object_get(g, "changed"), 0);
	assert_int_equal(json_integer_value(json_object_get(ch, "size_change")), 2);
	assert_int_equal(count(group(root, NULL), "unchanged"), 1);
	ch = json_object_get(root, "changes");
	assert_int_equal(json_integer_value(json_object_get(ch, "renamed")), 2);
	assert_int_equal(json_integer_value(json_object_get(ch, "old_files")), 4);
	assert_int_equal(json_integer_value(json_object_get(ch, "new_bytes")), 5 + 9 + 5 + 5 + 1);
	/* code had 3 files, still has 4: no status change */
	assert_string_equal(json_string_value(json_object_get(group(root, "code"), "change")), "same");
	json_decref(root);
	escrow_contract_free(c);
	esc_diff_side_free(o);
	esc_diff_side_free(n);
	escrow_ctx_free(ctx);
}

/* A deliverable that falls below its minimum is a regression; one that
 * comes back is fixed; the model summaries say what changed. */
static void test_statuses_and_models(void **state)
{
	static const struct rec a[] = {{"m/w.safetensors", 'A', 64, "{\"format\":\"safetensors\",\"tensors\":1,"
	                                "\"dtypes\":[\"F32\"],\"shapes\":{\"w\":[4,4]}}"},
	                               {"src/1.py", 'B', 1, NULL}, {"src/2.py", 'C', 1, NULL}, {"src/3.py", 'D', 1, NULL}};
	static const struct rec b[] = {{"m/w.safetensors", 'E', 32, "{\"format\":\"safetensors\",\"tensors\":1,"
	                                "\"dtypes\":[\"F16\"],\"shapes\":{\"w\":[4,4]}}"},
	                               {"src/1.py", 'B', 1, NULL}};
	struct esc_diff_side *o = side(a, 4, NULL), *n = side(b, 2, NULL);
	escrow_contract *c = contract(contract_text);
	escrow_ctx *ctx = escrow_ctx_new();
	json_t *root = json_object(), *regs, *m, *keys;

	(void)state;
	assert_int_equal(esc_diff_compare(ctx, o, n, c, root), ESCROW_OK);
	regs = json_object_get(root, "regressions");
	assert_int_equal(json_array_size(regs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(regs, 0), "deliverable")), "code");
	assert_string_equal(json_string_value(json_object_get(json_array_get(regs, 0), "new")), "missing");
	assert_int_equal(count(group(root, "code"), "removed"), 2);
	m = json_array_get(json_object_get(group(root, "model"), "changed"), 0);
	keys = json_object_get(m, "model_changes");
	assert_int_equal(json_array_size(keys), 1);
	assert_string_equal(json_string_value(json_array_get(keys, 0)), "dtypes");
	assert_string_equal(json_string_value(json_array_get(json_object_get(json_object_get(json_object_get(m, "old"),
	                    "model"), "dtypes"), 0)), "F32");
	assert_int_equal(json_integer_value(json_object_get(m, "size_change")), -32);
	{
		escrow_report r = {ESCROW_OK, root, NULL};
		json_t *brief;

		json_object_set_new(root, "compared", json_true());
		brief = esc_diff_brief(&r);
		assert_non_null(brief);
		assert_int_equal(json_integer_value(json_object_get(brief, "removed")), 2);
		assert_int_equal(json_integer_value(json_object_get(brief, "changed")), 1);
		assert_string_equal(json_string_value(json_array_get(json_object_get(brief, "regressions"), 0)), "code");
		json_decref(brief);
	}
	json_decref(root);

	/* the other way round: fixed, and no regression */
	root = json_object();
	assert_int_equal(esc_diff_compare(ctx, n, o, c, root), ESCROW_OK);
	assert_int_equal(json_array_size(json_object_get(root, "regressions")), 0);
	assert_string_equal(json_string_value(json_object_get(group(root, "code"), "change")), "fixed");
	json_decref(root);
	escrow_contract_free(c);
	esc_diff_side_free(o);
	esc_diff_side_free(n);
	escrow_ctx_free(ctx);
}

/* A deliverable the old bundle's own contract had and this one has not. */
static void test_deliverable_dropped(void **state)
{
	static const char old_text[] = "escrow-contract: 1\ncontract: D-1\ndeliverables:\n"
	                               "  - id: code\n    include: [\"src/**\"]\n"
	                               "  - id: notes\n    include: [\"NOTES.md\"]\n";
	static const struct rec a[] = {{"NOTES.md", 'N', 3, NULL}, {"src/1.py", 'B', 1, NULL}};
	struct esc_diff_side *o = side(a, 2, old_text), *n = side(a, 2, NULL);
	escrow_contract *c = contract("escrow-contract: 1\ncontract: D-1\ndeliverables:\n"
	                              "  - id: code\n    include: [\"src/**\"]\n");
	escrow_ctx *ctx = escrow_ctx_new();
	json_t *root = json_object(), *regs;

	(void)state;
	assert_int_equal(esc_diff_compare(ctx, o, n, c, root), ESCROW_OK);
	regs = json_object_get(root, "regressions");
	assert_int_equal(json_array_size(regs), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(regs, 0), "deliverable")), "notes");
	assert_string_equal(json_string_value(json_object_get(json_array_get(regs, 0), "new")), "absent");
	assert_true(json_is_false(json_object_get(group(root, "notes"), "in_contract")));
	json_decref(root);
	escrow_contract_free(c);
	esc_diff_side_free(o);
	esc_diff_side_free(n);
	escrow_ctx_free(ctx);
}

/* Past the bound nothing more is listed; every count stays exact. */
static void test_listed_bound(void **state)
{
	static const struct rec a[] = {{"a", 'A', 1, NULL}, {"b", 'B', 1, NULL}, {"c", 'C', 1, NULL}};
	static const struct rec b[] = {{"d", 'X', 1, NULL}, {"e", 'Y', 1, NULL}, {"f", 'Z', 1, NULL}};
	struct esc_diff_side *o = side(a, 3, NULL), *n = side(b, 3, NULL);
	escrow_ctx *ctx = escrow_ctx_new();
	json_t *root = json_object(), *ch, *un;
	size_t keep = esc_diff_listed_max;

	(void)state;
	esc_diff_listed_max = 2;
	assert_int_equal(esc_diff_compare(ctx, o, n, NULL, root), ESCROW_OK);
	esc_diff_listed_max = keep;
	ch = json_object_get(root, "changes");
	un = group(root, NULL);
	assert_int_equal(json_integer_value(json_object_get(ch, "added")), 3);
	assert_int_equal(json_integer_value(json_object_get(ch, "removed")), 3);
	assert_int_equal(json_integer_value(json_object_get(ch, "listed")), 2);
	assert_true(json_is_true(json_object_get(ch, "truncated")));
	assert_int_equal(json_array_size(json_object_get(un, "added")) + json_array_size(json_object_get(un, "removed")),
	                 2);
	assert_int_equal(count(un, "added"), 3);
	assert_int_equal(json_array_size(json_object_get(root, "deliverables")), 0);
	json_decref(root);
	esc_diff_side_free(o);
	esc_diff_side_free(n);
	escrow_ctx_free(ctx);
}

/* A side that failed: the report says which, with its status. */
static void test_failed_side(void **state)
{
	static const struct rec a[] = {{"a", 'A', 1, NULL}};
	struct esc_diff_side *o = side(a, 1, NULL), *n = side(a, 1, NULL);
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_report *r = NULL;
	char *text;

	(void)state;
	n->status = ESCROW_TAMPERED;
	json_object_set_new(n->info, "verdict", json_string("tampered"));
	json_object_set_new(n->info, "reason", json_string("x.escrow: digest mismatch"));
	assert_int_equal(esc_diff_sides(ctx, o, n, NULL, ESC_DIFF_FROM_NONE, false, &r), ESCROW_TAMPERED);
	assert_non_null(r);
	assert_int_equal(escrow_report_status(r), ESCROW_TAMPERED);
	assert_string_equal(escrow_report_verdict(r), "tampered");
	assert_string_equal(json_string_value(json_object_get(r->root, "failed")), "new");
	assert_null(json_object_get(r->root, "deliverables"));
	text = escrow_report_text(r);
	assert_non_null(text);
	assert_non_null(strstr(text, "verdict: tampered -- new bundle"));
	free(text);
	{
		json_t *b = esc_diff_brief(r);

		assert_non_null(b);
		assert_true(json_is_false(json_object_get(b, "compared")));
		assert_string_equal(json_string_value(json_object_get(b, "failed")), "new");
		json_decref(b);
	}
	escrow_report_free(r);
	esc_diff_side_free(o);
	esc_diff_side_free(n);
	escrow_ctx_free(ctx);
}

/* A model summary stays within its bound whatever the model holds: a
 * safetensors header of 5,000 tensors with long names gives the exact count
 * and a few shapes, cut to fit and marked so. */
static void test_model_summary_bounded(void **state)
{
	const size_t n = 5000;
	size_t cap = 64 + n * 200, len = 0, i;
	char *h = malloc(cap), *file;
	struct esc_inspection out;
	esc_inspector *in;
	json_t *m;
	uint64_t hl;

	(void)state;
	assert_non_null(h);
	len += (size_t)snprintf(h + len, cap - len, "{");
	for (i = 0; i < n; i++)
		len += (size_t)snprintf(h + len, cap - len, "%s\"layer.%zu.a_rather_long_tensor_name_to_fill_the_summary_"
		                        "quickly\":{\"dtype\":\"F16\",\"shape\":[1,1,1,1,1,1,1,1,1,1],"
		                        "\"data_offsets\":[%zu,%zu]}", i ? "," : "", i, 2 * i, 2 * i + 2);
	len += (size_t)snprintf(h + len, cap - len, "}");
	hl = len;
	file = calloc(1, 8 + len + 2 * n);
	assert_non_null(file);
	for (i = 0; i < 8; i++)
		file[i] = (char)(hl >> (8 * i));
	memcpy(file + 8, h, len);
	in = esc_inspect_new("m.safetensors", 8 + len + 2 * n, ESC_FMT_SAFETENSORS);
	assert_non_null(in);
	esc_inspect_update(in, file, 8 + len + 2 * n);
	esc_inspect_final(in, &out);
	assert_true(out.wanted_ok);
	assert_true(strlen(out.model) < sizeof out.model);
	m = json_loads(out.model, 0, NULL);
	assert_non_null(m);
	assert_int_equal(json_integer_value(json_object_get(m, "tensors")), 5000);
	assert_int_equal(json_integer_value(json_object_get(m, "params")), 5000);
	assert_true(json_is_true(json_object_get(m, "cut")));
	assert_true(json_object_size(json_object_get(m, "shapes")) >= 1);
	assert_true(json_object_size(json_object_get(m, "shapes")) < 6);
	/* a shape of ten dimensions keeps eight and says so */
	assert_int_equal(json_array_size(json_object_get(json_object_get(m, "shapes"), "layer.0.a_rather_long_tensor_"
	                 "name_to_fill_the_summary_quickly")), 9);
	json_decref(m);
	free(file);
	free(h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_renames_pair_once),
		cmocka_unit_test(test_statuses_and_models),
		cmocka_unit_test(test_deliverable_dropped),
		cmocka_unit_test(test_listed_bound),
		cmocka_unit_test(test_failed_side),
		cmocka_unit_test(test_model_summary_bounded),
	};

	return escrow_init() == ESCROW_OK ? cmocka_run_group_tests(tests, NULL, NULL) : 1;
}
