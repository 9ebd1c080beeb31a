/* test_contract_eval.c -- evaluating a contract over a file list: each
 * deliverable status, forbidden and unassigned files, the findings, and the
 * text rendering of the report. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

static const char contract_text[] =
	"escrow-contract: 1\n"
	"contract: FRAUD-2026-07\n"
	"agency: Agence Exemple SAS\n"
	"deliverables:\n"
	"  - id: classifier\n"
	"    kind: model\n"
	"    include: [models/classifier.safetensors]\n"
	"    format: safetensors\n"
	"  - id: runbook\n"
	"    kind: docs\n"
	"    include: [docs/runbook.md]\n"
	"  - id: source\n"
	"    kind: code\n"
	"    include: [\"src/**\"]\n"
	"    exclude: [\"**/*.pyc\"]\n"
	"  - id: eval\n"
	"    include: [reports/*.pdf]\n"
	"    required: false\n"
	"forbid: [\"**/*.pyc\", .env]\n";

static escrow_contract *load(const char *text)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_contract *c = NULL;

	assert_int_equal(escrow_contract_parse(ctx, "contract.yaml", text, strlen(text), &c), ESCROW_OK);
	escrow_ctx_free(ctx);
	return c;
}

/* What the inspector would have found, by path: a test changes it, and
 * note_all() keeps it in the records as the readers do (esc_files_note). */
static struct {
	char path[128];
	struct esc_inspection in;
} found[256];
static size_t n_found;

static struct esc_inspection *found_of(const char *path)
{
	size_t i;

	for (i = 0; i < n_found; i++)
		if (strcmp(found[i].path, path) == 0)
			return &found[i].in;
	return NULL;
}

static void note_all(struct esc_files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		const struct esc_inspection *in = found_of(fs->v[i].path);

		if (in == NULL)
			continue;
		fs->v[i].kind = esc_kind_of(in->kind);
		assert_int_equal(esc_files_note(fs, &fs->v[i], in), 0);
	}
}

/* A file record and what inspecting it found. */
static struct esc_inspection *add(struct esc_files *fs, const char *path, uint64_t size, enum esc_format fmt)
{
	struct esc_file *f = esc_files_push(fs);
	struct esc_inspection *in;

	assert_non_null(f);
	if (fs->n == 1)
		n_found = 0;
	assert_true(n_found < sizeof found / sizeof found[0]);
	in = &found[n_found].in;
	snprintf(found[n_found++].path, sizeof found[0].path, "%s", path);
	f->path = strdup(path);
	f->type = ESC_FT_FILE;
	f->size = size;
	memset(in, 0, sizeof *in);
	in->detected = fmt;
	in->wanted = fmt;
	in->wanted_ok = fmt != ESC_FMT_NONE;
	in->kind = "other";
	memset(f->sha256, (int)size & 0xff, 32);
	f->has_sha256 = true;
	return in;
}

static const json_t *dlv(const escrow_report *r, const char *id)
{
	const json_t *a = json_object_get(r->root, "deliverables"), *d;
	size_t i;

	json_array_foreach(a, i, d)
		if (strcmp(json_string_value(json_object_get(d, "id")), id) == 0)
			return d;
	fail_msg("no deliverable %s", id);
	return NULL;
}

static const char *status_of(const escrow_report *r, const char *id)
{
	return json_string_value(json_object_get(dlv(r, id), "status"));
}

static const char *reason_of(const escrow_report *r, const char *id)
{
	return json_string_value(json_object_get(dlv(r, id), "reason"));
}

static int has_warning(const escrow_report *r, const char *a, const char *b)
{
	const json_t *w;
	size_t i;

	json_array_foreach(json_object_get(r->root, "warnings"), i, w) {
		const char *m = json_string_value(json_object_get(w, "message"));

		if (strstr(m, a) && (b == NULL || strstr(m, b)))
			return 1;
	}
	return 0;
}

static void base_tree(struct esc_files *fs)
{
	add(fs, "models/classifier.safetensors", 2306867, ESC_FMT_SAFETENSORS);
	add(fs, "docs/runbook.md", 900, ESC_FMT_TEXT);
	add(fs, "src/app/main.py", 98, ESC_FMT_TEXT);
	add(fs, "README.md", 10, ESC_FMT_TEXT);
	esc_files_sort(fs);
}

static int run(const escrow_contract *c, struct esc_files *fs, escrow_report **r)
{
	*r = esc_report_new("check");
	assert_non_null(*r);
	note_all(fs);
	return esc_contract_evaluate(c, fs, *r);
}

static void test_all_ok(void **state)
{
	escrow_contract *c = load(contract_text);
	struct esc_files fs = {0};
	escrow_report *r;
	char *text;

	(void)state;
	base_tree(&fs);
	assert_int_equal(run(c, &fs, &r), 1);
	assert_string_equal(status_of(r, "classifier"), "ok");
	assert_string_equal(status_of(r, "runbook"), "ok");
	assert_string_equal(status_of(r, "source"), "ok");
	assert_string_equal(status_of(r, "eval"), "missing"); /* optional: still met */
	assert_int_equal(json_integer_value(json_object_get(dlv(r, "classifier"), "bytes")), 2306867);
	assert_string_equal(json_string_value(json_array_get(json_object_get(r->root, "unassigned"), 0)),
	                    "README.md");
	assert_int_equal(json_array_size(json_object_get(r->root, "forbidden")), 0);
	assert_true(has_warning(r, "optional deliverable 'eval' is missing", "still met"));
	json_object_set_new(r->root, "verdict", json_string("complete"));
	text = escrow_report_text(r);
	assert_non_null(strstr(text, "  ok           classifier      1 file, 2.2 MiB   models/classifier.safetensors\n"));
	assert_non_null(strstr(text, "  missing      eval            0 files           no file matches reports/*.pdf (optional)\n"));
	/* the verdict is the last line */
	assert_non_null(strstr(text, "\nverdict: complete -- "));
	assert_ptr_equal(strchr(strstr(text, "\nverdict: ") + 1, '\n'), text + strlen(text) - 1);
	free(text);
	escrow_report_free(r);
	esc_files_free(&fs);
	escrow_contract_free(c);
}

static void test_statuses(void **state)
{
	escrow_contract *c = load(contract_text);
	struct esc_files fs = {0};
	struct esc_inspection *in;
	escrow_report *r;
	char reason[512], *text;

	(void)state;
	/* missing: nothing matches */
	add(&fs, "models/classifier.safetensors", 100, ESC_FMT_SAFETENSORS);
	add(&fs, "src/a.py", 1, ESC_FMT_TEXT);
	add(&fs, "src/__pycache__/a.cpython-311.pyc", 5, ESC_FMT_NONE);
	add(&fs, ".env", 5, ESC_FMT_TEXT);
	esc_files_sort(&fs);
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "runbook"), "missing");
	assert_string_equal(reason_of(r, "runbook"), "no file matches docs/runbook.md");
	/* the .pyc is excluded from source, but forbidden */
	assert_int_equal(json_integer_value(json_object_get(dlv(r, "source"), "files")), 1);
	assert_int_equal(json_array_size(json_object_get(r->root, "forbidden")), 2);
	esc_report_contract_reason(r, reason, sizeof reason);
	assert_non_null(strstr(reason, "deliverable 'runbook' is missing: no file matches docs/runbook.md"));
	assert_non_null(strstr(reason, "2 forbidden files"));
	text = escrow_report_text(r);
	assert_non_null(strstr(text, "  missing      runbook         0 files           no file matches docs/runbook.md\n"));
	assert_non_null(strstr(text, "forbidden by the contract (2):\n  .env\n"));
	free(text);
	escrow_report_free(r);

	/* bad-format, with the checker's reason */
	in = found_of(fs.v[1].path); /* sorted: .env, models/..., src/__pycache__/..., src/a.py */
	assert_string_equal(fs.v[1].path, "models/classifier.safetensors");
	in->wanted_ok = false;
	in->detected = ESC_FMT_NONE;
	snprintf(in->reason, sizeof in->reason, "header length 812 exceeds file size 96");
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "classifier"), "bad-format");
	assert_string_equal(reason_of(r, "classifier"),
	                    "models/classifier.safetensors: header length 812 exceeds file size 96");
	escrow_report_free(r);

	/* unsafe beats bad-format */
	in->pickle = ESC_PICKLE_DANGEROUS;
	snprintf(in->pickle_imports, sizeof in->pickle_imports, "posix.system");
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "classifier"), "unsafe");
	assert_non_null(strstr(reason_of(r, "classifier"), "models/classifier.safetensors: unsafe pickle: posix.system"));
	escrow_report_free(r);

	/* lfs-pointer beats unsafe */
	in->lfs_pointer = true;
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "classifier"), "lfs-pointer");
	assert_non_null(strstr(reason_of(r, "classifier"), "git lfs pull"));
	escrow_report_free(r);

	/* missing beats everything: min-files */
	escrow_contract_free(c);
	c = load("escrow-contract: 1\ncontract: C\ndeliverables:\n"
	         "  - id: source\n    include: [\"src/**\"]\n    min-files: 3\n");
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "source"), "missing");
	assert_string_equal(reason_of(r, "source"), "2 files match src/**, at least 3 required");
	escrow_report_free(r);
	esc_files_free(&fs);
	escrow_contract_free(c);
}

static void test_hash_and_size(void **state)
{
	escrow_contract *c;
	struct esc_files fs = {0};
	escrow_report *r;
	char text[1024];

	(void)state;
	add(&fs, "m/a.bin", 7, ESC_FMT_NONE); /* digest: 32 bytes of 0x07 */
	snprintf(text, sizeof text,
	         "escrow-contract: 1\ncontract: C\ndeliverables:\n"
	         "  - id: pinned\n    include: [m/*]\n    sha256: %s\n    min-bytes: 8\n",
	         "0707070707070707070707070707070707070707070707070707070707070707");
	c = load(text);
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "pinned"), "too-small"); /* hash ok, 7 < 8 bytes */
	assert_string_equal(reason_of(r, "pinned"), "7 bytes in 1 file, at least 8 required");
	escrow_report_free(r);
	fs.v[0].sha256[31] ^= 1;
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "pinned"), "hash-mismatch");
	escrow_report_free(r);
	escrow_contract_free(c);
	esc_files_free(&fs);
}

static void test_onnx_external(void **state)
{
	escrow_contract *c = load("escrow-contract: 1\ncontract: C\ndeliverables:\n"
	                          "  - id: export\n    include: [\"models/onnx/**\"]\n    format: onnx\n");
	struct esc_files fs = {0};
	struct esc_inspection *in;
	escrow_report *r;

	(void)state;
	in = add(&fs, "models/onnx/model.onnx", 500, ESC_FMT_ONNX);
	add(&fs, "models/onnx/model.onnx.data", 4000, ESC_FMT_NONE);
	in->external = (char *)"model.onnx.data"; /* as records of earlier versions have it */
	esc_files_sort(&fs);
	assert_int_equal(run(c, &fs, &r), 1); /* the data file is part of its model */
	assert_string_equal(status_of(r, "export"), "ok");
	escrow_report_free(r);
	in = found_of(fs.v[0].path);
	in->external = (char *)"../../etc/passwd";
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "export"), "bad-format");
	assert_non_null(strstr(reason_of(r, "export"), "not a relative path inside the deposit"));
	escrow_report_free(r);
	in->external = (char *)"weights.bin";
	assert_int_equal(run(c, &fs, &r), 0);
	assert_non_null(strstr(reason_of(r, "export"), "not in the deposit (expected models/onnx/weights.bin)"));
	escrow_report_free(r);
	escrow_contract_free(c);
	esc_files_free(&fs);
}

/* Each tensor in its own file: every location is checked for presence and
 * size, not only the first; only those files are exempt from the format. */
static void test_onnx_external_split(void **state)
{
	escrow_contract *c = load("escrow-contract: 1\ncontract: C\ndeliverables:\n"
	                          "  - id: export\n    include: [\"m/**\"]\n    format: onnx\n");
	struct esc_files fs = {0};
	struct esc_inspection *in;
	escrow_report *r;

	(void)state;
	in = add(&fs, "m/model.onnx", 500, ESC_FMT_ONNX);
	add(&fs, "m/W", 48, ESC_FMT_NONE);
	add(&fs, "m/d/B\nx", 12, ESC_FMT_NONE);
	in->external = (char *)"W\n48\\./d/B\nx\n12";
	esc_files_sort(&fs);
	assert_int_equal(run(c, &fs, &r), 1);
	assert_string_equal(status_of(r, "export"), "ok");
	escrow_report_free(r);
	in = found_of("m/model.onnx");
	in->external = (char *)"W\n48\\d/B\nx\n13";
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "export"), "bad-format");
	assert_non_null(strstr(reason_of(r, "export"), "holds 12 bytes, its tensors need 13"));
	escrow_report_free(r);
	in->external = (char *)"W\n48\\d/B\nx\n12\\C\n4";
	assert_int_equal(run(c, &fs, &r), 0);
	assert_non_null(strstr(reason_of(r, "export"), "external data 'C' is not in the deposit (expected m/C)"));
	escrow_report_free(r);
	/* more locations than are kept: not taken as checked */
	in->external = (char *)"\\more than 65536 external data files, or 4 MiB of their names";
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "export"), "bad-format");
	assert_non_null(strstr(reason_of(r, "export"), "was not checked: more than 65536 external data files"));
	escrow_report_free(r);
	/* W alone is the model's data: B is checked as ONNX, and is not */
	in->external = (char *)"W\n48";
	assert_int_equal(run(c, &fs, &r), 0);
	assert_non_null(strstr(reason_of(r, "export"), "m/d/B\nx: is not a valid onnx file"));
	escrow_report_free(r);
	escrow_contract_free(c);
	esc_files_free(&fs);
}

static void test_savedmodel_needs_pb(void **state)
{
	escrow_contract *c = load("escrow-contract: 1\ncontract: C\ndeliverables:\n"
	                          "  - id: tf\n    include: [\"tf/**\"]\n    format: tf-savedmodel\n");
	struct esc_files fs = {0};
	escrow_report *r;

	(void)state;
	add(&fs, "tf/variables/variables.index", 50, ESC_FMT_NONE);
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "tf"), "bad-format");
	assert_string_equal(reason_of(r, "tf"), "no saved_model.pb among the matched files");
	escrow_report_free(r);
	escrow_contract_free(c);
	esc_files_free(&fs);
}

static void test_findings(void **state)
{
	escrow_contract *c = load(contract_text);
	struct esc_files fs = {0};
	struct esc_inspection *in;
	escrow_report *r;
	const json_t *inv, *w;
	char *text;
	size_t i;

	(void)state;
	base_tree(&fs);
	in = add(&fs, "config/settings.py", 300, ESC_FMT_TEXT);
	in->kind = "config";
	in->n_secrets = 6;
	for (i = 0; i < 4; i++)
		snprintf(in->secrets[i], sizeof in->secrets[i], "line %zu: AWS access key id", i + 3);
	in = add(&fs, "weights/old.safetensors", 200, ESC_FMT_NONE);
	in->lfs_pointer = true;
	in = add(&fs, "tools/model.pkl", 200, ESC_FMT_NONE);
	in->pickle = ESC_PICKLE_DANGEROUS;
	snprintf(in->pickle_imports, sizeof in->pickle_imports, "os.system");
	in = add(&fs, "tools/other.pkl", 200, ESC_FMT_NONE);
	in->pickle = ESC_PICKLE_UNKNOWN; /* a TorchScript archive: code not judged */
	snprintf(in->pickle_imports, sizeof in->pickle_imports, "TorchScript archive: code not judged");
	in = add(&fs, "tools/scripted.pt", 200, ESC_FMT_NONE);
	in->pickle = ESC_PICKLE_UNKNOWN;
	esc_files_sort(&fs);
	for (i = 0; i < fs.n; i++)
		if (strcmp(fs.v[i].path, "models/classifier.safetensors") == 0)
			found_of(fs.v[i].path)->kind = "model";
	r = esc_report_new("pack");
	note_all(&fs);
	esc_report_findings(r, c, &fs, false);
	assert_true(has_warning(r, "config/settings.py:3: possible secret (AWS access key id",
	                        "this deposit is not sealed: anyone holding it can read this secret; rotate it "
	                        "or seal with -r"));
	assert_true(has_warning(r, "config/settings.py: 2 more possible secrets", NULL));
	assert_true(has_warning(r, "weights/old.safetensors is a Git LFS pointer", "git lfs pull"));
	assert_true(has_warning(r, "tools/model.pkl: unsafe pickle: os.system", NULL));
	/* one finding for every TorchScript archive, not one each */
	assert_true(has_warning(r, "tools/other.pkl, tools/scripted.pt: TorchScript archives: their pickles are on "
	                        "the allowlist", "not judged"));
	{
		const json_t *tw;
		size_t k, n = 0;

		json_array_foreach(json_object_get(r->root, "warnings"), k, tw)
			n += strstr(json_string_value(json_object_get(tw, "message")), "TorchScript") != NULL;
		assert_int_equal(n, 1);
	}
	/* a secret warning carries file and line, never the value (the assert
	 * sat in the loop alone: with no warning on line 3 it checked nothing) */
	{
		size_t on_line3 = 0;

		json_array_foreach(json_object_get(r->root, "warnings"), i, w) {
			if (json_integer_value(json_object_get(w, "line")) == 3) {
				assert_string_equal(json_string_value(json_object_get(w, "file")), "config/settings.py");
				on_line3++;
			}
		}
		assert_int_equal(on_line3, 1);
	}
	inv = json_object_get(r->root, "inventory");
	assert_int_equal(json_integer_value(json_object_get(json_object_get(json_object_get(inv, "kinds"), "model"),
	                                                    "bytes")), 2306867);
	assert_int_equal(json_integer_value(json_object_get(json_object_get(inv, "formats"), "text")), 4);
	text = escrow_report_text(r);
	assert_non_null(strstr(text, "inventory:\n"));
	assert_non_null(strstr(text, "  model        1 file, 2.2 MiB\n"));
	free(text);
	escrow_report_free(r);
	/* sealed: milder words; a dangerous pickle inside a deliverable is its status, not a warning */
	r = esc_report_new("pack");
	esc_report_findings(r, c, &fs, true);
	assert_false(has_warning(r, "config/settings.py:3", "not sealed"));
	assert_true(has_warning(r, "config/settings.py:3", "rotate it or remove it"));
	escrow_report_free(r);
	escrow_contract_free(c);
	esc_files_free(&fs);
}

static const char *arr_str(const json_t *d, const char *key, size_t i)
{
	return json_string_value(json_array_get(json_object_get(d, key), i));
}

/* Complete means complete: every file the annex names must be there. */
static void test_literal_includes(void **state)
{
	escrow_contract *c = load("escrow-contract: 1\ncontract: C\ndeliverables:\n"
	                          "  - id: docs\n"
	                          "    include: [docs/MODEL_CARD.md, docs/runbook.md, docs/ARCHITECTURE.md]\n"
	                          "  - id: extras\n"
	                          "    include: [\"docs/*.md\", \"reports/*.pdf\", \"notes/{a,b}.txt\"]\n"
	                          "  - id: folder\n"
	                          "    include: [docs]\n"
	                          "  - id: gone\n"
	                          "    include: [src/main.py]\n"
	                          "    exclude: [\"**/*.py\"]\n");
	struct esc_files fs = {0};
	const json_t *d;
	escrow_report *r;
	char reason[512], *text;

	(void)state;
	add(&fs, "docs/MODEL_CARD.md", 10, ESC_FMT_TEXT);
	add(&fs, "docs/runbook.md", 10, ESC_FMT_TEXT);
	add(&fs, "src/main.py", 10, ESC_FMT_TEXT);
	esc_files_sort(&fs);
	assert_int_equal(run(c, &fs, &r), 0);
	/* two of three named files: missing, naming the third */
	d = dlv(r, "docs");
	assert_string_equal(status_of(r, "docs"), "missing");
	assert_string_equal(reason_of(r, "docs"), "docs/ARCHITECTURE.md is not in the deposit (2 other files matched)");
	assert_int_equal(json_array_size(json_object_get(d, "missing")), 1);
	assert_string_equal(arr_str(d, "missing", 0), "docs/ARCHITECTURE.md");
	assert_int_equal(json_array_size(json_object_get(d, "unmatched")), 0);
	assert_int_equal(json_integer_value(json_object_get(d, "files")), 2);
	/* globs that match nothing: still ok, but said ({} is no brace expansion, yet not literal) */
	d = dlv(r, "extras");
	assert_string_equal(status_of(r, "extras"), "ok");
	assert_string_equal(reason_of(r, "extras"), "no file matches reports/*.pdf, notes/{a,b}.txt");
	assert_int_equal(json_array_size(json_object_get(d, "missing")), 0);
	assert_int_equal(json_array_size(json_object_get(d, "unmatched")), 2);
	assert_string_equal(arr_str(d, "unmatched", 0), "reports/*.pdf");
	/* a literal naming a folder is met by what is under it */
	assert_string_equal(status_of(r, "folder"), "ok");
	assert_int_equal(json_array_size(json_object_get(dlv(r, "folder"), "missing")), 0);
	/* a named file the deliverable's own exclude removes is not there either */
	assert_string_equal(status_of(r, "gone"), "missing");
	assert_string_equal(arr_str(dlv(r, "gone"), "missing", 0), "src/main.py");
	esc_report_contract_reason(r, reason, sizeof reason);
	assert_non_null(strstr(reason, "2 required deliverables are not met (first: 'docs' is missing)"));
	text = escrow_report_text(r);
	assert_non_null(strstr(text, "  missing      docs            2 files, 20 bytes docs/ARCHITECTURE.md is not in "
	                             "the deposit (2 other files matched)\n"));
	assert_non_null(strstr(text, "docs/MODEL_CARD.md (+1 more); no file matches reports/*.pdf, notes/{a,b}.txt\n"));
	free(text);
	escrow_report_free(r);
	esc_files_free(&fs);

	/* the missing file arrives: ok */
	add(&fs, "docs/MODEL_CARD.md", 10, ESC_FMT_TEXT);
	add(&fs, "docs/runbook.md", 10, ESC_FMT_TEXT);
	add(&fs, "docs/ARCHITECTURE.md", 10, ESC_FMT_TEXT);
	esc_files_sort(&fs);
	assert_int_equal(run(c, &fs, &r), 0);
	assert_string_equal(status_of(r, "docs"), "ok");
	assert_string_equal(reason_of(r, "docs"), "");
	escrow_report_free(r);
	esc_files_free(&fs);
	escrow_contract_free(c);

	assert_true(esc_glob_is_literal("docs/x.md"));
	assert_false(esc_glob_is_literal("docs/*.md"));
	assert_false(esc_glob_is_literal("a{b}"));
	assert_false(esc_glob_is_literal("a]"));
	assert_false(esc_glob_is_literal("a?"));
}

/* The owner of a path: the first deliverable holding it, excludes applied. */
static void test_owner(void **state)
{
	escrow_contract *c = load("escrow-contract: 1\ncontract: C\ndeliverables:\n"
	                          "  - id: a\n    include: [\"src/**\"]\n    exclude: [\"*.pyc\"]\n"
	                          "  - id: b\n    include: [\"**/*.pyc\", \"src/x.py\"]\n"
	                          "  - id: c\n    include: [\"*\"]\n"
	                          "forbid: [\".env\", \"**/secret-*\"]\n");

	(void)state;
	assert_string_equal(esc_contract_owner(c, "src/x.py")->id, "a");
	assert_string_equal(esc_contract_owner(c, "src/x.pyc")->id, "b");
	assert_string_equal(esc_contract_owner(c, "README")->id, "c");
	assert_null(esc_contract_owner(c, ""));
	assert_true(esc_contract_forbids(c, "app/.env"));
	assert_true(esc_contract_forbids(c, "a/b/secret-key"));
	assert_false(esc_contract_forbids(c, "a/b/secret"));
	escrow_contract_free(c);
}

/* A hostile contract (a bundle's copy, read by list): every file in each of
 * 10,000 deliverables. The owner is found at once; the evaluation refuses
 * to list 2 million pairs rather than build them. */
static void test_every_file_everywhere(void **state)
{
	size_t cap = 64 + 10000 * 40, o, i;
	char *text = malloc(cap), path[32];
	struct esc_files fs = {0};
	escrow_contract *c;
	escrow_report *r;

	(void)state;
	assert_non_null(text);
	o = (size_t)snprintf(text, cap, "escrow-contract: 1\ncontract: C\ndeliverables:\n");
	for (i = 0; i < 10000; i++)
		o += (size_t)snprintf(text + o, cap - o, "  - id: d%zu\n    include: [\"**\"]\n", i);
	c = load(text);
	free(text);
	for (i = 0; i < 200; i++) {
		snprintf(path, sizeof path, "f%03zu", i);
		add(&fs, path, 1, ESC_FMT_TEXT);
	}
	esc_files_sort(&fs);
	assert_string_equal(esc_contract_owner(c, "f007")->id, "d0");
	assert_int_equal(run(c, &fs, &r), 0);
	assert_null(json_object_get(r->root, "deliverables"));
	assert_true(has_warning(r, "more than 1001600 times", "not evaluated"));
	escrow_report_free(r);
	esc_files_free(&fs);
	escrow_contract_free(c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_all_ok),
		cmocka_unit_test(test_statuses),
		cmocka_unit_test(test_hash_and_size),
		cmocka_unit_test(test_onnx_external),
		cmocka_unit_test(test_onnx_external_split),
		cmocka_unit_test(test_savedmodel_needs_pb),
		cmocka_unit_test(test_findings),
		cmocka_unit_test(test_literal_includes),
		cmocka_unit_test(test_owner),
		cmocka_unit_test(test_every_file_everywhere),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
