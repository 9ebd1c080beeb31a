/* test_fmt_kind_table.c -- the kind guess by table (fmt_kind.c) against the
 * list search it replaced, kept here verbatim as the reference: every
 * extension of every list, in several cases, in and out of the folders that
 * change the answer, and names that are near misses. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "escrow_private.h"
#include "formats/esc_fmt.h"

/* ---- the reference: fmt_kind.c as of 8537e8c ---- */
static const char *const CODE_EXT[] = {
	"py", "pyx", "pxd", "pyi", "c", "h", "cc", "cpp", "cxx", "hpp", "hh", "hxx", "cu", "cuh",
	"go", "rs", "java", "kt", "kts", "scala", "swift", "m", "mm", "js", "mjs", "cjs", "jsx", "ts",
	"tsx", "sh", "bash", "zsh", "fish", "ps1", "bat", "cmd", "r", "jl", "ipynb", "rb", "pl", "pm",
	"php", "lua", "cs", "fs", "f90", "f", "hs", "ml", "ex", "exs", "erl", "clj", "dart", "sql",
	"proto", "cmake", "mk", "gradle", "vue", "svelte", "zig", "nim", "v", "sv", "vhd", "asm", "s",
	NULL,
};
static const char *const DOCS_EXT[] = {
	"md", "markdown", "rst", "txt", "pdf", "adoc", "asciidoc", "org", "tex", "html", "htm",
	"docx", "doc", "odt", "rtf", "epub", "man", "1", NULL,
};
static const char *const CONFIG_EXT[] = {
	"yaml", "yml", "toml", "ini", "cfg", "conf", "json", "json5", "jsonc", "env", "properties",
	"xml", "lock", "editorconfig", "gitignore", "gitattributes", "dockerignore", "tf", "tfvars",
	"hcl", "nix", NULL,
};
static const char *const DATA_EXT[] = {
	"csv", "tsv", "parquet", "jsonl", "ndjson", "arrow", "feather", "npy", "npz", "avro", "orc",
	"tfrecord", "tfrecords", "xlsx", "xls", "ods", "sqlite", "sqlite3", "db", "duckdb", "lance",
	"wav", "flac", "mp3", "ogg", "png", "jpg", "jpeg", "gif", "bmp", "tif", "tiff", "webp",
	"mp4", "avi", "mkv", "zarr", "nc", "mat", NULL,
};
/* Always weights. */
static const char *const MODEL_EXT[] = {
	"safetensors", "onnx", "gguf", "ggml", "pt", "pth", "ckpt", "h5", "hdf5", "keras", "pb",
	"tflite", "joblib", "mlmodel", "pte", "caffemodel", "params", NULL,
};
/* Weights only inside a model folder. */
static const char *const MODEL_IF_IN_FOLDER[] = {"bin", "pkl", "pickle", "npz", "model", NULL};

static int in_list(const char *const *list, const char *ext)
{
	for (; *list; list++)
		if (strcasecmp(*list, ext) == 0)
			return 1;
	return 0;
}

/* 1 if some folder component of path equals one of names (case-insensitive). */
static int under(const char *path, const char *const *names)
{
	const char *p = path;

	for (const char *slash = strchr(p, '/'); slash; slash = strchr(p, '/')) {
		const size_t n = (size_t)(slash - p);

		for (const char *const *nm = names; *nm; nm++)
			if (strlen(*nm) == n && strncasecmp(p, *nm, n) == 0)
				return 1;
		p = slash + 1;
	}
	return 0;
}

static int has_prefix_ci(const char *s, const char *prefix)
{
	return strncasecmp(s, prefix, strlen(prefix)) == 0;
}

static int contains_ci(const char *s, const char *needle)
{
	const size_t n = strlen(needle);

	for (; *s; s++)
		if (strncasecmp(s, needle, n) == 0)
			return 1;
	return 0;
}

static const char *kind_from_format(enum esc_format f)
{
	switch (f) {
	case ESC_FMT_SAFETENSORS: case ESC_FMT_ONNX: case ESC_FMT_GGUF: case ESC_FMT_PYTORCH:
	case ESC_FMT_KERAS: case ESC_FMT_HDF5: case ESC_FMT_TF_SAVEDMODEL:
		return "model";
	case ESC_FMT_PARQUET: case ESC_FMT_CSV: case ESC_FMT_NPY:
		return "data";
	case ESC_FMT_PDF:
		return "docs";
	default:
		return NULL; /* npz, zip, json, yaml, text: the name decides */
	}
}

static const char *const PIPELINE_NAMES[] = {
	"dvc.yaml", "dvc.lock", "MLproject", "Jenkinsfile", ".gitlab-ci.yml", "azure-pipelines.yml",
	"Snakefile", "bitbucket-pipelines.yml", "cloudbuild.yaml", "argo-workflow.yaml", NULL,
};
static const char *const PIPELINE_DIRS[] = {"dags", "pipelines", NULL};
static const char *const PROMPT_DIRS[] = {"prompts", "prompt", NULL};
static const char *const MODEL_DIRS[] = {"models", "model", "weights", "checkpoints", "ckpt", NULL};
static const char *const DATA_DIRS[] = {"data", "datasets", "dataset", NULL};
static const char *const DOCS_NAMES[] = {"README", "LICENSE", "LICENCE", "COPYING", "CHANGELOG",
                                         "NOTICE", "AUTHORS", "CONTRIBUTING", "CITATION", NULL};

static const char *old_kind_guess(const char *path, enum esc_format detected)
{
	const char *base, *dot, *ext, *k = kind_from_format(detected);

	if (k)
		return k;
	if (!path || !*path)
		return "other";
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	ext = dot && dot != base ? dot + 1 : "";

	/* Pipelines first: a DAG is Python, but its job is orchestration. */
	if (in_list(PIPELINE_NAMES, base) || has_prefix_ci(path, ".github/workflows/") ||
	    strstr(path, "/.github/workflows/") || under(path, PIPELINE_DIRS))
		return "pipeline";
	if (has_prefix_ci(base, "pipeline") && (!strcasecmp(ext, "yaml") || !strcasecmp(ext, "yml")))
		return "pipeline";
	if (under(path, PROMPT_DIRS) || !strcasecmp(ext, "prompt"))
		return "prompts";
	if (contains_ci(base, "model-card") || contains_ci(base, "model_card") ||
	    contains_ci(base, "modelcard"))
		return "docs";
	/* README, README.md, LICENSE-MIT; not readme_utils.py. */
	for (const char *const *d = DOCS_NAMES; *d; d++) {
		char next;

		/* has_prefix_ci first: only then is base at least as long as *d. */
		if (!has_prefix_ci(base, *d))
			continue;
		next = base[strlen(*d)];
		if ((next == '\0' || next == '.' || next == '-' || next == '_') && (!dot || in_list(DOCS_EXT, ext)))
			return "docs";
	}
	if (!strcmp(base, "Makefile") || !strcmp(base, "GNUmakefile") || !strcmp(base, "CMakeLists.txt") ||
	    has_prefix_ci(base, "Dockerfile") || !strcmp(base, "Containerfile") ||
	    !strcmp(base, "meson.build") || !strcmp(base, "BUILD") || !strcmp(base, "BUILD.bazel"))
		return "code";
	/* .env, .env.local, ...: settings (the secrets scanner looks at them too). */
	if (!strcmp(base, ".env") || !strncmp(base, ".env.", 5))
		return "config";
	if (has_prefix_ci(base, "requirements") && !strcasecmp(ext, "txt"))
		return "config";
	if (!*ext)
		goto by_folder;
	if (in_list(MODEL_EXT, ext))
		return "model";
	if (in_list(MODEL_IF_IN_FOLDER, ext))
		return under(path, MODEL_DIRS) ? "model" : !strcasecmp(ext, "npz") ? "data" : "other";
	if (in_list(CODE_EXT, ext))
		return "code";
	if (in_list(DATA_EXT, ext))
		return "data";
	if (in_list(CONFIG_EXT, ext)) {
		if ((!strcasecmp(ext, "json") || !strcasecmp(ext, "yaml") || !strcasecmp(ext, "yml") ||
		     !strcasecmp(ext, "xml")) && under(path, DATA_DIRS))
			return "data";
		return "config";
	}
	if (in_list(DOCS_EXT, ext))
		return "docs";
by_folder:
	if (under(path, MODEL_DIRS))
		return "model";
	if (under(path, DATA_DIRS))
		return "data";
	return "other";
}

/* ---- the comparison ---- */
static const char *const *const LISTS[] = {CODE_EXT, DOCS_EXT, CONFIG_EXT, DATA_EXT, MODEL_EXT, MODEL_IF_IN_FOLDER,
                                          PIPELINE_NAMES, DOCS_NAMES};
static const char *const FOLDERS[] = {"", "src/", "models/", "Models/", "a/weights/", "data/", "DataSets/x/",
                                      "prompts/", "dags/", "pipelines/sub/", ".github/workflows/", "x/.github/workflows/",
                                      "ckpt/", "checkpoint/", "dataset", NULL};
static const char *const STEMS[] = {"f", "README", "readme", "LICENSE", "model_card", "ModelCard", "pipeline",
                                    "requirements", "Dockerfile", ".env", "x.tar", "", NULL};

static size_t n_compared;

static void same(const char *path)
{
	static const enum esc_format fmts[] = {ESC_FMT_NONE, ESC_FMT_JSON, ESC_FMT_NPZ, ESC_FMT_SAFETENSORS};
	size_t i;

	for (i = 0; i < sizeof fmts / sizeof fmts[0]; i++) {
		const char *want = old_kind_guess(path, fmts[i]), *got = esc_kind_guess(path, fmts[i]);

		if (strcmp(want, got) != 0)
			fail_msg("'%s' (format %d): was %s, now %s", path, (int)fmts[i], want, got);
		n_compared++;
	}
}

/* s in lower case, upper case, and with the first letter changed. */
static void cases(const char *s, char out[3][64])
{
	size_t i;

	for (i = 0; i < 3; i++)
		snprintf(out[i], 64, "%s", s);
	for (i = 0; out[0][i]; i++) {
		if (out[0][i] >= 'A' && out[0][i] <= 'Z')
			out[0][i] = (char)(out[0][i] - 'A' + 'a');
		if (out[1][i] >= 'a' && out[1][i] <= 'z')
			out[1][i] = (char)(out[1][i] - 'a' + 'A');
	}
	if (out[2][0] >= 'a' && out[2][0] <= 'z')
		out[2][0] = (char)(out[2][0] - 'a' + 'A');
	else if (out[2][0] >= 'A' && out[2][0] <= 'Z')
		out[2][0] = (char)(out[2][0] - 'A' + 'a');
}

static void test_every_listed_name(void **state)
{
	char path[1024], c[3][64];
	size_t l, i, k;

	(void)state;
	for (l = 0; l < sizeof LISTS / sizeof LISTS[0]; l++)
		for (const char *const *e = LISTS[l]; *e; e++) {
			cases(*e, c);
			for (k = 0; k < 3; k++)
				for (i = 0; FOLDERS[i]; i++)
					for (const char *const *st = STEMS; *st; st++) {
						/* as an extension, as a whole name, as a near miss */
						snprintf(path, sizeof path, "%s%s.%s", FOLDERS[i], *st, c[k]);
						same(path);
						snprintf(path, sizeof path, "%s%s", FOLDERS[i], c[k]);
						same(path);
						snprintf(path, sizeof path, "%s%s.%sx", FOLDERS[i], *st, c[k]);
						same(path);
						snprintf(path, sizeof path, "%s%s.x%s", FOLDERS[i], *st, c[k]);
						same(path);
						snprintf(path, sizeof path, "%s%s.%s.%s", FOLDERS[i], *st, c[k], c[k]);
						same(path);
						snprintf(path, sizeof path, "%s%s%s", FOLDERS[i], *st, c[k]);
						same(path);
					}
		}
	assert_true(n_compared > 100000);
}

static void test_odd_names(void **state)
{
	static const char *const odd[] = {
		"", "/", "a/", ".", "..", ".md", "x.", "x..", "a.b/c", "a.md/b", "f.\xc3\xa9", "f.\xe9", "f.MD\x80",
		"f.aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "f.safetensorss", "f.safetensor", "f.editorconfig",
		"f.EDITORCONFIG", "f.gitattributes", "f.gitattributesx", "f.tfrecords", "f.Tfrecord", "f.1", "man.1",
		"README.1", "README.toml", "readme_utils.py", "LICENCE.txt", "NOTICE-x.md", "data/table.JSON",
		"datasets/x.Yml", "models/x.NPZ", "x.npz", "dvc.YAML", "x/Snakefile", "Jenkinsfile.bak",
		"pipeline.yaml", "pipelines.yml", "modelcard", "my-MODEL-card.txt", NULL,
	};

	(void)state;
	for (const char *const *o = odd; *o; o++)
		same(*o);
	assert_string_equal(esc_kind_guess(NULL, ESC_FMT_NONE), old_kind_guess(NULL, ESC_FMT_NONE));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_every_listed_name),
		cmocka_unit_test(test_odd_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
