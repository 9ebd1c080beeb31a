/* fmt_kind.c -- what a deposited file is for: code, model, data, docs, prompts,
 * config, pipeline or other. The manifest records it and contracts can ask
 * for "at least one model". Content wins over names (a .bin that passes as
 * safetensors is a model); then, in this order:
 *   pipeline  dvc.yaml/dvc.lock, MLproject, Jenkinsfile, .gitlab-ci.yml,
 *             azure-pipelines.yml, Snakefile, .github/workflows/ *, anything
 *             under dags/ or pipelines/, kubeflow-style pipeline*.yaml
 *   prompts   anything under a prompts/ (or prompt/) folder, *.prompt
 *   docs      model cards (MODEL_CARD.md, *model-card*, *model_card*),
 *             README*, LICENSE*, COPYING*, CHANGELOG*, NOTICE*, AUTHORS*
 *   code      Makefile, CMakeLists.txt, Dockerfile*, Containerfile, then
 *             by extension
 *   then the extension tables below; .bin .pkl .pickle .npz .pt (ambiguous
 *   containers) count as model only under a models/weights/checkpoints
 *   folder (.pt/.pth/.ckpt always do); .json/.yaml under data/ or datasets/
 *   are data. Names compare case-insensitively. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "esc_fmt.h"

/* Which extension tables an extension (lowercase) is in, one entry per
 * extension, sorted bytewise for bsearch: a million files each once looked
 * it up with some 150 strcasecmp calls. */
enum { E_CODE = 1, E_DOCS = 2, E_CONFIG = 4, E_DATA = 8, E_MODEL = 16 /* always weights */,
       E_MODEL_IF = 32 /* weights only inside a model folder */ };
struct ext {
	const char *ext;
	unsigned char in;
};
static const struct ext EXTS[] = {
	{"1", E_DOCS}, {"adoc", E_DOCS}, {"arrow", E_DATA}, {"asciidoc", E_DOCS}, {"asm", E_CODE}, {"avi", E_DATA},
	{"avro", E_DATA}, {"bash", E_CODE}, {"bat", E_CODE}, {"bin", E_MODEL_IF}, {"bmp", E_DATA}, {"c", E_CODE},
	{"caffemodel", E_MODEL}, {"cc", E_CODE}, {"cfg", E_CONFIG}, {"cjs", E_CODE}, {"ckpt", E_MODEL},
	{"clj", E_CODE}, {"cmake", E_CODE}, {"cmd", E_CODE}, {"conf", E_CONFIG}, {"cpp", E_CODE}, {"cs", E_CODE},
	{"csv", E_DATA}, {"cu", E_CODE}, {"cuh", E_CODE}, {"cxx", E_CODE}, {"dart", E_CODE}, {"db", E_DATA},
	{"doc", E_DOCS}, {"dockerignore", E_CONFIG}, {"docx", E_DOCS}, {"duckdb", E_DATA},
	{"editorconfig", E_CONFIG}, {"env", E_CONFIG}, {"epub", E_DOCS}, {"erl", E_CODE}, {"ex", E_CODE},
	{"exs", E_CODE}, {"f", E_CODE}, {"f90", E_CODE}, {"feather", E_DATA}, {"fish", E_CODE}, {"flac", E_DATA},
	{"fs", E_CODE}, {"ggml", E_MODEL}, {"gguf", E_MODEL}, {"gif", E_DATA}, {"gitattributes", E_CONFIG},
	{"gitignore", E_CONFIG}, {"go", E_CODE}, {"gradle", E_CODE}, {"h", E_CODE}, {"h5", E_MODEL},
	{"hcl", E_CONFIG}, {"hdf5", E_MODEL}, {"hh", E_CODE}, {"hpp", E_CODE}, {"hs", E_CODE}, {"htm", E_DOCS},
	{"html", E_DOCS}, {"hxx", E_CODE}, {"ini", E_CONFIG}, {"ipynb", E_CODE}, {"java", E_CODE}, {"jl", E_CODE},
	{"joblib", E_MODEL}, {"jpeg", E_DATA}, {"jpg", E_DATA}, {"js", E_CODE}, {"json", E_CONFIG},
	{"json5", E_CONFIG}, {"jsonc", E_CONFIG}, {"jsonl", E_DATA}, {"jsx", E_CODE}, {"keras", E_MODEL},
	{"kt", E_CODE}, {"kts", E_CODE}, {"lance", E_DATA}, {"lock", E_CONFIG}, {"lua", E_CODE}, {"m", E_CODE},
	{"man", E_DOCS}, {"markdown", E_DOCS}, {"mat", E_DATA}, {"md", E_DOCS}, {"mjs", E_CODE}, {"mk", E_CODE},
	{"mkv", E_DATA}, {"ml", E_CODE}, {"mlmodel", E_MODEL}, {"mm", E_CODE}, {"model", E_MODEL_IF},
	{"mp3", E_DATA}, {"mp4", E_DATA}, {"nc", E_DATA}, {"ndjson", E_DATA}, {"nim", E_CODE}, {"nix", E_CONFIG},
	{"npy", E_DATA}, {"npz", E_DATA | E_MODEL_IF}, {"ods", E_DATA}, {"odt", E_DOCS}, {"ogg", E_DATA},
	{"onnx", E_MODEL}, {"orc", E_DATA}, {"org", E_DOCS}, {"params", E_MODEL}, {"parquet", E_DATA},
	{"pb", E_MODEL}, {"pdf", E_DOCS}, {"php", E_CODE}, {"pickle", E_MODEL_IF}, {"pkl", E_MODEL_IF},
	{"pl", E_CODE}, {"pm", E_CODE}, {"png", E_DATA}, {"properties", E_CONFIG}, {"proto", E_CODE},
	{"ps1", E_CODE}, {"pt", E_MODEL}, {"pte", E_MODEL}, {"pth", E_MODEL}, {"pxd", E_CODE}, {"py", E_CODE},
	{"pyi", E_CODE}, {"pyx", E_CODE}, {"r", E_CODE}, {"rb", E_CODE}, {"rs", E_CODE}, {"rst", E_DOCS},
	{"rtf", E_DOCS}, {"s", E_CODE}, {"safetensors", E_MODEL}, {"scala", E_CODE}, {"sh", E_CODE},
	{"sql", E_CODE}, {"sqlite", E_DATA}, {"sqlite3", E_DATA}, {"sv", E_CODE}, {"svelte", E_CODE},
	{"swift", E_CODE}, {"tex", E_DOCS}, {"tf", E_CONFIG}, {"tflite", E_MODEL}, {"tfrecord", E_DATA},
	{"tfrecords", E_DATA}, {"tfvars", E_CONFIG}, {"tif", E_DATA}, {"tiff", E_DATA}, {"toml", E_CONFIG},
	{"ts", E_CODE}, {"tsv", E_DATA}, {"tsx", E_CODE}, {"txt", E_DOCS}, {"v", E_CODE}, {"vhd", E_CODE},
	{"vue", E_CODE}, {"wav", E_DATA}, {"webp", E_DATA}, {"xls", E_DATA}, {"xlsx", E_DATA}, {"xml", E_CONFIG},
	{"yaml", E_CONFIG}, {"yml", E_CONFIG}, {"zarr", E_DATA}, {"zig", E_CODE}, {"zsh", E_CODE},
};
#define EXT_MAX 15 /* longer than any in EXTS */

static int ext_cmp(const void *key, const void *e)
{
	return strcmp(key, ((const struct ext *)e)->ext);
}

/* The E_* tables ext is in (ASCII case-insensitively). The last answer is
 * kept per thread: the files of a folder mostly share their extension. */
static _Thread_local char last_low[EXT_MAX + 1] = "\x01";
static _Thread_local unsigned last_in;

static unsigned ext_tables(const char *ext)
{
	char low[EXT_MAX + 1];
	const struct ext *e;
	size_t i;

	for (i = 0; ext[i]; i++) {
		if (i == EXT_MAX)
			return 0;
		low[i] = ext[i] >= 'A' && ext[i] <= 'Z' ? (char)(ext[i] - 'A' + 'a') : ext[i];
	}
	low[i] = '\0';
	if (strcmp(low, last_low) == 0)
		return last_in;
	e = bsearch(low, EXTS, sizeof EXTS / sizeof EXTS[0], sizeof EXTS[0], ext_cmp);
	memcpy(last_low, low, i + 1);
	last_in = e ? e->in : 0;
	return last_in;
}

static int in_list(const char *const *list, const char *s)
{
	/* The first byte first (equal up to ASCII case, or no match). */
	for (; *list; list++)
		if (((unsigned char)**list | 0x20) == ((unsigned char)*s | 0x20) && strcasecmp(*list, s) == 0)
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
	return ((unsigned char)*s | 0x20) == ((unsigned char)*prefix | 0x20) &&
	       strncasecmp(s, prefix, strlen(prefix)) == 0;
}

/* needle starts with a lowercase letter. */
static int contains_ci(const char *s, const char *needle)
{
	const size_t n = strlen(needle);

	for (; *s; s++)
		if (((unsigned char)*s | 0x20) == (unsigned char)needle[0] && strncasecmp(s, needle, n) == 0)
			return 1;
	return 0;
}

/* strcmp(s, lit) == 0, its first byte compared before the call. */
static int eq(const char *s, const char *lit)
{
	return *s == *lit && strcmp(s, lit) == 0;
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

const char *esc_kind_guess(const char *path, enum esc_format detected)
{
	const char *base, *dot, *ext, *k = kind_from_format(detected);
	unsigned in;

	if (k)
		return k;
	if (!path || !*path)
		return "other";
	base = strrchr(path, '/');
	base = base ? base + 1 : path;
	dot = strrchr(base, '.');
	ext = dot && dot != base ? dot + 1 : "";
	in = ext_tables(ext);

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
		if ((next == '\0' || next == '.' || next == '-' || next == '_') && (!dot || (in & E_DOCS)))
			return "docs";
	}
	if (eq(base, "Makefile") || eq(base, "GNUmakefile") || eq(base, "CMakeLists.txt") ||
	    has_prefix_ci(base, "Dockerfile") || eq(base, "Containerfile") ||
	    eq(base, "meson.build") || eq(base, "BUILD") || eq(base, "BUILD.bazel"))
		return "code";
	/* .env, .env.local, ...: settings (the secrets scanner looks at them too). */
	if (*base == '.' && (!strcmp(base, ".env") || !strncmp(base, ".env.", 5)))
		return "config";
	if (has_prefix_ci(base, "requirements") && !strcasecmp(ext, "txt"))
		return "config";
	if (!*ext)
		goto by_folder;
	if (in & E_MODEL)
		return "model";
	if (in & E_MODEL_IF)
		return under(path, MODEL_DIRS) ? "model" : !strcasecmp(ext, "npz") ? "data" : "other";
	if (in & E_CODE)
		return "code";
	if (in & E_DATA)
		return "data";
	if (in & E_CONFIG) {
		if ((!strcasecmp(ext, "json") || !strcasecmp(ext, "yaml") || !strcasecmp(ext, "yml") ||
		     !strcasecmp(ext, "xml")) && under(path, DATA_DIRS))
			return "data";
		return "config";
	}
	if (in & E_DOCS)
		return "docs";
by_folder:
	if (under(path, MODEL_DIRS))
		return "model";
	if (under(path, DATA_DIRS))
		return "data";
	return "other";
}

const char *esc_kind_from_path(const char *path)
{
	return esc_kind_guess(path, ESC_FMT_NONE);
}
