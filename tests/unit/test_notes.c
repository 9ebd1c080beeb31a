/* test_notes.c -- a file's findings: the flags in its record, the texts in
 * the list's bounded notes (tree_notes.c), and a real check run whose texts
 * cross a lowered bound: the verdict is the same, the report says once how
 * many files' details were left out. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "esc_api.h"

static struct esc_file *add(struct esc_files *fs, const char *path)
{
	struct esc_file *f = esc_files_push(fs);

	assert_non_null(f);
	f->path = strdup(path);
	f->type = ESC_FT_FILE;
	return f;
}

static void test_record(void **state)
{
	struct esc_files fs = {0};
	struct esc_inspection in;
	struct esc_note_view v;
	struct esc_file *f;
	unsigned k;

	(void)state;
	assert_int_equal(sizeof(struct esc_file), 80);
	memset(&in, 0, sizeof in);
	in.detected = ESC_FMT_ONNX;
	in.wanted = ESC_FMT_ONNX;
	in.wanted_ok = true;
	in.pickle = ESC_PICKLE_DANGEROUS;
	in.lfs_pointer = true;
	in.kind = "model";
	in.n_secrets = 70000;
	snprintf(in.reason, sizeof in.reason, "why not");
	snprintf(in.pickle_imports, sizeof in.pickle_imports, "posix.system");
	in.external = (char *)"w.bin";
	snprintf(in.model, sizeof in.model, "{\"tensors\":2}");
	for (k = 0; k < 4; k++)
		snprintf(in.secrets[k], sizeof in.secrets[k], "line %u: AWS access key id", k + 1);
	f = add(&fs, "m.onnx");
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	assert_int_equal(f->fnd.detected, ESC_FMT_ONNX);
	assert_int_equal(f->fnd.wanted, ESC_FMT_ONNX);
	assert_int_equal(esc_fnd_pickle(&f->fnd), ESC_PICKLE_DANGEROUS);
	assert_true(f->fnd.bits & ESC_FND_INSPECTED);
	assert_true(f->fnd.bits & ESC_FND_WANTED_OK);
	assert_true(f->fnd.bits & ESC_FND_LFS);
	assert_true(f->fnd.bits & ESC_FND_EXTERNAL);
	assert_false(f->fnd.bits & (ESC_FND_TF_INDEX_OK | ESC_FND_LEFT_OUT));
	assert_int_equal(f->fnd.n_secrets, 65535); /* saturates; the notes keep the count */
	esc_note_get(&fs, f, &v);
	assert_string_equal(v.reason, "why not");
	assert_string_equal(v.imports, "posix.system");
	assert_string_equal(v.external, "w.bin");
	assert_string_equal(v.model, "{\"tensors\":2}");
	assert_int_equal(v.n_lines, 4);
	assert_int_equal(v.n_secrets, 70000);
	assert_string_equal(v.secret[3], "line 4: AWS access key id");
	/* only the bytes used: 5 + the five strings and the secret lines, with their NULs */
	assert_int_equal(esc_notes_bytes(&fs), 5 + 8 + 13 + 6 + 14 + 4 * 26);

	/* nothing but flags: no note at all */
	memset(&in, 0, sizeof in);
	in.detected = ESC_FMT_CSV;
	f = add(&fs, "t.csv");
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	assert_int_equal(f->note, 0);
	assert_int_equal(f->fnd.detected, ESC_FMT_CSV);
	esc_note_get(&fs, f, &v);
	assert_string_equal(v.reason, "");
	assert_int_equal(v.n_lines, 0);
	assert_int_equal(esc_notes_bytes(&fs), 5 + 8 + 13 + 6 + 14 + 4 * 26);
	assert_int_equal(esc_notes_left_out(&fs), 0);
	esc_files_free(&fs);
}

static void test_bound(void **state)
{
	struct esc_files fs = {0};
	struct esc_inspection in;
	struct esc_note_view v;
	struct esc_file *f;
	size_t keep = esc_notes_max;

	(void)state;
	esc_notes_max = 64;
	memset(&in, 0, sizeof in);
	in.n_secrets = 1;
	snprintf(in.secrets[0], sizeof in.secrets[0], "line 9: GitHub token"); /* 5 + 4 + 21 = 30 bytes */
	f = add(&fs, "a");
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	f = add(&fs, "b");
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	assert_false(fs.v[1].fnd.bits & ESC_FND_LEFT_OUT);
	f = add(&fs, "c"); /* 90 > 64: flags only */
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	assert_true(f->fnd.bits & ESC_FND_LEFT_OUT);
	assert_int_equal(f->fnd.n_secrets, 1);
	esc_note_get(&fs, f, &v);
	assert_int_equal(v.n_lines, 0);
	assert_int_equal(v.n_secrets, 1);
	/* an ONNX external data location is kept past the bound (the verdict
	 * needs it), its other texts are not */
	in.external = (char *)"d/w.bin";
	f = add(&fs, "m.onnx");
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	assert_true(f->fnd.bits & ESC_FND_LEFT_OUT);
	esc_note_get(&fs, f, &v);
	assert_string_equal(v.external, "d/w.bin");
	assert_int_equal(v.n_lines, 0);
	/* and up to a quarter of the bound more (16 bytes, that record's):
	 * past it the flag stays, the location does not (the verdict says its
	 * external data was not checked) */
	in.n_secrets = 0;
	f = add(&fs, "n.onnx"); /* nothing else to leave out */
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	assert_false(f->fnd.bits & ESC_FND_LEFT_OUT);
	assert_true(f->fnd.bits & ESC_FND_EXTERNAL);
	esc_note_get(&fs, f, &v);
	assert_string_equal(v.external, "");
	assert_int_equal(esc_notes_left_out(&fs), 2);
	/* the first two are whole */
	esc_note_get(&fs, &fs.v[0], &v);
	assert_string_equal(v.secret[0], "line 9: GitHub token");
	esc_notes_max = keep;
	esc_files_free(&fs);
}

/* Model summaries (escrow diff) take at most a quarter of the bound; past
 * it a file keeps none, and nothing is counted as left out: they are not
 * findings. */
static void test_model_bound(void **state)
{
	struct esc_files fs = {0};
	struct esc_inspection in;
	struct esc_note_view v;
	struct esc_file *f;
	size_t keep = esc_notes_max;

	(void)state;
	esc_notes_max = 64; /* a quarter: 16 bytes */
	memset(&in, 0, sizeof in);
	snprintf(in.model, sizeof in.model, "{\"tensors\":2}"); /* 14 bytes with its NUL */
	f = add(&fs, "a.safetensors");
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	esc_note_get(&fs, f, &v);
	assert_string_equal(v.model, "{\"tensors\":2}");
	f = add(&fs, "b.safetensors");
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	assert_int_equal(f->note, 0);
	assert_false(f->fnd.bits & ESC_FND_LEFT_OUT);
	esc_note_get(&fs, f, &v);
	assert_string_equal(v.model, "");
	/* a finding still gets its room */
	snprintf(in.reason, sizeof in.reason, "bad");
	f = add(&fs, "c.safetensors");
	assert_int_equal(esc_files_note(&fs, f, &in), 0);
	esc_note_get(&fs, f, &v);
	assert_string_equal(v.reason, "bad");
	assert_string_equal(v.model, "");
	assert_int_equal(esc_notes_left_out(&fs), 0);
	esc_notes_max = keep;
	esc_files_free(&fs);
}

static void write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	assert_int_equal(fclose(f), 0);
}

static size_t count_warnings(const escrow_report *r, const char *needle)
{
	const json_t *w;
	size_t i, n = 0;

	json_array_foreach(json_object_get(r->root, "warnings"), i, w)
		n += strstr(json_string_value(json_object_get(w, "message")), needle) != NULL;
	return n;
}

static const char *deliverable_reason(const escrow_report *r)
{
	return json_string_value(json_object_get(json_array_get(json_object_get(r->root, "deliverables"), 0), "reason"));
}

/* The same tree packed, then verified with the bound lowered: the bundle
 * reader keeps the flags of every file and the verdict is the same. */
static void verify_crosses_bound(escrow_ctx *ctx, const char *dir, const escrow_contract *c)
{
	char prefix[300], key[310], pub[310], bundle[300];
	escrow_seckey *sk = NULL;
	escrow_pubkey *pk = NULL;
	escrow_options *o = escrow_options_new();
	escrow_report *full = NULL, *low = NULL;
	size_t keep = esc_notes_max;

	assert_non_null(o);
	snprintf(prefix, sizeof prefix, "%s/k", dir);
	snprintf(key, sizeof key, "%s.key", prefix);
	snprintf(pub, sizeof pub, "%s.pub", prefix);
	snprintf(bundle, sizeof bundle, "%s.escrow", dir);
	assert_int_equal(escrow_keygen(ctx, prefix, NULL, 0), ESCROW_OK);
	assert_int_equal(escrow_seckey_load(ctx, key, NULL, &sk), ESCROW_OK);
	assert_int_equal(escrow_pubkey_load(ctx, pub, &pk), ESCROW_OK);
	unlink(key);
	unlink(pub);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_SOURCE, dir), ESCROW_OK);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_OUTPUT, bundle), ESCROW_OK);
	assert_int_equal(escrow_options_set_string(o, ESCROW_OPT_BUNDLE, bundle), ESCROW_OK);
	assert_int_equal(escrow_options_set_seckey(o, ESCROW_OPT_SIGNING_KEY, sk), ESCROW_OK);
	assert_int_equal(escrow_options_set_pubkey(o, ESCROW_OPT_PUBLIC_KEY, pk), ESCROW_OK);
	assert_int_equal(escrow_options_set_contract(o, ESCROW_OPT_CONTRACT, c), ESCROW_OK);
	assert_int_equal(escrow_pack(ctx, o, NULL, NULL), ESCROW_OK);
	assert_int_equal(escrow_verify(ctx, o, &full), ESCROW_INCOMPLETE);
	assert_int_equal(count_warnings(full, "possible secret ("), 60);
	assert_int_equal(count_warnings(full, "left out"), 0);
	esc_notes_max = 1024;
	assert_int_equal(escrow_verify(ctx, o, &low), ESCROW_INCOMPLETE);
	esc_notes_max = keep;
	assert_string_equal(json_string_value(json_object_get(low->root, "verdict")), "incomplete");
	assert_string_equal(deliverable_reason(low), "t/z.csv: is not a valid csv file (details left out: see the "
	                    "warnings)");
	{
		size_t shown = count_warnings(low, "possible secret (");
		char want[128];

		assert_true(shown > 0 && shown < 60);
		snprintf(want, sizeof want, "details of %zu more files with findings were left out", 60 - shown + 1);
		assert_int_equal(count_warnings(low, want), 1);
	}
	unlink(bundle);
	escrow_report_free(full);
	escrow_report_free(low);
	escrow_options_free(o);
	escrow_seckey_free(sk);
	escrow_pubkey_free(pk);
}

/* A real check over 60 files with a possible secret each and a broken CSV
 * near the end: with the bound lowered to 1 KiB the verdict is the same,
 * each file is either detailed or counted in the one "left out" warning. */
static void test_check_crosses_bound(void **state)
{
	char dir[] = "/tmp/escrow-notes.XXXXXX", path[256], text[128];
	const char *yaml = "escrow-contract: 1\ncontract: N-1\ndeliverables:\n"
	                   "  - id: tables\n    include: [\"t/**\"]\n    format: csv\n";
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_contract *c = NULL;
	escrow_report *full = NULL, *low = NULL;
	size_t keep = esc_notes_max, i;

	(void)state;
	assert_non_null(ctx);
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/s", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof path, "%s/t", dir);
	assert_int_equal(mkdir(path, 0755), 0);
	for (i = 0; i < 60; i++) {
		snprintf(path, sizeof path, "%s/s/k%02zu.py", dir, i);
		snprintf(text, sizeof text, "x = 1\nKEY = 'AKIAQ7ZKW2MNXY%02zuPQRS'\n", i);
		write_file(path, text);
	}
	snprintf(path, sizeof path, "%s/t/a.csv", dir);
	write_file(path, "a,b\n1,2\n");
	snprintf(path, sizeof path, "%s/t/z.csv", dir);
	write_file(path, "a,b\n1,2,3\n");
	assert_int_equal(escrow_contract_parse(ctx, "n.yaml", yaml, strlen(yaml), &c), ESCROW_OK);

	assert_int_equal(esc_check(ctx, dir, c, NULL, 0, 0, &full), ESCROW_INCOMPLETE);
	assert_int_equal(count_warnings(full, "possible secret ("), 60);
	assert_int_equal(count_warnings(full, "left out"), 0);
	assert_string_equal(deliverable_reason(full), "t/z.csv: line 2: 3 fields, expected 2");

	esc_notes_max = 1024;
	assert_int_equal(esc_check(ctx, dir, c, NULL, 0, 0, &low), ESCROW_INCOMPLETE);
	esc_notes_max = keep;
	{
		size_t shown = count_warnings(low, "possible secret (");
		char want[128];

		assert_true(shown > 0 && shown < 60);
		/* z.csv comes after the 60 (sorted): its reason is left out too */
		snprintf(want, sizeof want, "details of %zu more files with findings were left out", 60 - shown + 1);
		assert_int_equal(count_warnings(low, want), 1);
		assert_int_equal(count_warnings(low, "bounded at 1 KiB; "), 1);
		snprintf(want, sizeof want, "; %zu with possible secrets", 60 - shown);
		assert_int_equal(count_warnings(low, want), 1);
	}
	assert_string_equal(json_string_value(json_object_get(low->root, "verdict")), "incomplete");
	assert_string_equal(deliverable_reason(low), "t/z.csv: is not a valid csv file (details left out: see the "
	                    "warnings)");
	escrow_report_free(full);
	escrow_report_free(low);
	verify_crosses_bound(ctx, dir, c);
	escrow_contract_free(c);
	escrow_ctx_free(ctx);
	for (i = 0; i < 60; i++) {
		snprintf(path, sizeof path, "%s/s/k%02zu.py", dir, i);
		unlink(path);
	}
	snprintf(path, sizeof path, "%s/t/a.csv", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/t/z.csv", dir);
	unlink(path);
	snprintf(path, sizeof path, "%s/s", dir);
	rmdir(path);
	snprintf(path, sizeof path, "%s/t", dir);
	rmdir(path);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_record),
		cmocka_unit_test(test_bound),
		cmocka_unit_test(test_model_bound),
		cmocka_unit_test(test_check_crosses_bound),
	};

	return escrow_init() == ESCROW_OK ? cmocka_run_group_tests(tests, NULL, NULL) : 1;
}
