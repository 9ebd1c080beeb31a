/* contract_draft.c -- escrow_contract_draft: a first deliverables list drafted
 * from a project folder. The tree is walked as check walks it, each file read
 * once by the format inspectors (content decides a model's format), then
 * sorted into deliverables: source code by language, one deliverable per
 * model file, then data, prompts, pipelines, configuration and docs. Build
 * outputs and files that the draft's forbid: list names go to exclude:, so
 * that the draft passes escrow check on the tree it was drafted from. */
#include "esc_api.h"
#include "contract_draft.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define CHUNK (1u << 20)

/* Folders that hold what a build or a tool made, not sources. */
static const char *const BUILD_DIRS[] = {"__pycache__", "node_modules", ".venv", "venv", ".tox", ".nox",
                                         ".mypy_cache", ".pytest_cache", ".ruff_cache", ".ipynb_checkpoints",
                                         ".eggs", "dist", "build", "CMakeFiles", ".gradle", ".cache", NULL};
/* Byte-code and secrets: never in a deposit. */
static const char *const FORBID[] = {"**/*.pyc", "**/*.pyo", "**/*.class", "**/.env", "**/id_rsa",
                                     "**/id_ecdsa", "**/id_ed25519", NULL};

static const struct {
	const char *ext, *lang;
} LANGS[] = {
	{"py", "python"}, {"pyx", "python"}, {"pxd", "python"}, {"pyi", "python"}, {"ipynb", "python"},
	{"c", "c"}, {"h", "c"}, {"cc", "cpp"}, {"cpp", "cpp"}, {"cxx", "cpp"}, {"hpp", "cpp"}, {"hh", "cpp"},
	{"hxx", "cpp"}, {"cu", "cuda"}, {"cuh", "cuda"}, {"go", "go"}, {"rs", "rust"}, {"java", "java"},
	{"kt", "kotlin"}, {"kts", "kotlin"}, {"scala", "scala"}, {"swift", "swift"}, {"js", "javascript"},
	{"mjs", "javascript"}, {"cjs", "javascript"}, {"jsx", "javascript"}, {"ts", "typescript"},
	{"tsx", "typescript"}, {"sh", "shell"}, {"bash", "shell"}, {"zsh", "shell"}, {"r", "r"},
	{"jl", "julia"}, {"rb", "ruby"}, {"pl", "perl"}, {"pm", "perl"}, {"php", "php"}, {"lua", "lua"},
	{"cs", "csharp"}, {"sql", "sql"}, {"proto", "protobuf"}, {"m", "objc"}, {"mm", "objc"},
};
/* Packaging files: part of their language's source. */
static const struct {
	const char *name, *lang;
} PACKAGING[] = {
	{"pyproject.toml", "python"}, {"setup.cfg", "python"}, {"Pipfile", "python"}, {"Pipfile.lock", "python"},
	{"poetry.lock", "python"}, {"MANIFEST.in", "python"}, {"package.json", "javascript"},
	{"package-lock.json", "javascript"}, {"Cargo.toml", "rust"}, {"Cargo.lock", "rust"}, {"go.mod", "go"},
	{"go.sum", "go"}, {"pom.xml", "java"}, {"build.gradle", "java"},
};

static const char *base_of(const char *path)
{
	const char *b = strrchr(path, '/');

	return b ? b + 1 : path;
}

/* The extension, "" if none (dot files have none). */
static const char *ext_of(const char *path)
{
	const char *b = base_of(path), *dot = strrchr(b, '.');

	return dot && dot != b ? dot + 1 : "";
}

static const char *lang_of(const char *path)
{
	const char *ext = ext_of(path);
	size_t i;

	for (i = 0; i < sizeof LANGS / sizeof LANGS[0]; i++)
		if (strcasecmp(LANGS[i].ext, ext) == 0)
			return LANGS[i].lang;
	return "build"; /* Makefile, Dockerfile, CMakeLists.txt, *.cmake, ... */
}

/* The build-output folder of path, or NULL. */
static const char *build_dir_of(const char *path)
{
	const char *p = path, *slash;

	for (slash = strchr(p, '/'); slash; p = slash + 1, slash = strchr(p, '/')) {
		size_t n = (size_t)(slash - p), i;

		for (i = 0; BUILD_DIRS[i]; i++)
			if (strlen(BUILD_DIRS[i]) == n && memcmp(p, BUILD_DIRS[i], n) == 0)
				return BUILD_DIRS[i];
		if (n > 9 && memcmp(slash - 9, ".egg-info", 9) == 0)
			return "*.egg-info";
	}
	return NULL;
}

/* Formats checked only when asked for (they read the whole file): asked for
 * by the extension. */
static enum esc_format by_extension(const char *path)
{
	const char *ext = ext_of(path);

	if (strcasecmp(ext, "yml") == 0)
		return ESC_FMT_YAML;
	if (strcasecmp(ext, "csv") == 0 || strcasecmp(ext, "json") == 0 || strcasecmp(ext, "yaml") == 0)
		return esc_format_from_name(ext);
	return ESC_FMT_NONE;
}

/* f opened from srcfd, the folder src as the walk opened it: SRC/path could
 * pass PATH_MAX where path alone does not. */
static escrow_status inspect(escrow_ctx *ctx, const char *src, int srcfd, struct esc_file *f, uint8_t *buf,
                             struct esc_inspection *insp)
{
	esc_inspector *in = esc_inspect_new(f->path, f->size, by_extension(f->path));
	escrow_status st = ESCROW_OK;
	int fd = -1;

	if (in == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	fd = openat(srcfd, f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		st = esc_error(ctx, ESCROW_E_IO, "%s/%s: cannot read: %s%s", src, f->path, strerror(errno),
		               esc_unreadable_fix(errno));
		goto out;
	}
	for (;;) {
		ssize_t n = read(fd, buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = esc_error(ctx, ESCROW_E_IO, "%s/%s: read error: %s", src, f->path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		esc_inspect_update(in, buf, (size_t)n);
		st = esc_check_interrupt(ctx);
		if (st != ESCROW_OK)
			goto out;
	}
	esc_inspect_final(in, insp);
	esc_inspection_clear(insp); /* a draft does not read the external data */
	in = NULL;
	if (insp->detected == ESC_FMT_NONE && insp->wanted != ESC_FMT_NONE && insp->wanted_ok)
		insp->detected = insp->wanted;
out:
	if (fd >= 0)
		close(fd);
	esc_inspect_free(in);
	return st;
}

static int cmp_path(const void *key, const void *elem)
{
	return strcmp(key, ((const struct dr_file *)elem)->path);
}

static int push_str(char ***v, size_t *n, char *s)
{
	char **nv;

	if (s == NULL)
		return -1;
	nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (nv == NULL) {
		free(s);
		return -1;
	}
	nv[(*n)++] = s;
	*v = nv;
	return 0;
}

const char esc_draft_why_forbidden[] = "in the tree today, and forbidden below";

int esc_draft_push_exclude(struct dr_draft *d, char *s, const char *why)
{
	const char **w = realloc(d->exclude_why, (d->n_exclude + 1) * sizeof *w);

	if (w == NULL) {
		free(s);
		return -1;
	}
	d->exclude_why = w;
	w[d->n_exclude] = why;
	return push_str(&d->exclude, &d->n_exclude, s);
}

static int forbidden(const char *path)
{
	size_t k;

	for (k = 0; FORBID[k]; k++)
		if (esc_glob_match(FORBID[k], path))
			return 1;
	return 0;
}

/* Reads every file and decides what each is for. */
static escrow_status classify(escrow_ctx *ctx, struct dr_draft *d, struct esc_files *fs, int srcfd)
{
	uint8_t *buf = malloc(CHUNK);
	const char *seen_dirs[32];
	size_t i, j, n_dirs = 0;
	escrow_status st = ESCROW_OK;

	d->f = calloc(fs->n + 1, sizeof *d->f);
	if (buf == NULL || d->f == NULL) {
		free(buf);
		return esc_nomem(ctx);
	}
	for (i = 0; i < fs->n && st == ESCROW_OK; i++) {
		struct esc_file *f = &fs->v[i];
		struct dr_file *r;
		struct esc_inspection insp;
		const char *bd;

		if (f->type == ESC_FT_DIR)
			continue;
		/* a link to a folder is in no deliverable, but check finds it
		 * forbidden when its name is (a link "cache.pyc" to a folder):
		 * kept, for settle to exclude it with the forbidden files */
		if (f->type == ESC_FT_SYMLINK && f->link_to_dir && !forbidden(f->path))
			continue;
		bd = build_dir_of(f->path);
		if (bd != NULL) {
			for (j = 0; j < n_dirs && strcmp(seen_dirs[j], bd) != 0; j++)
				;
			if (j == n_dirs && n_dirs < 32) {
				seen_dirs[n_dirs++] = bd;
				if (esc_draft_push_exclude(d, esc_strf("**/%s/**", bd), "build output") != 0)
					st = esc_nomem(ctx);
			}
			continue;
		}
		r = &d->f[d->n++];
		r->path = f->path;
		r->ef = f;
		r->size = f->size;
		r->group = -1;
		if (f->type != ESC_FT_FILE)
			continue; /* symlinks: below, from their target */
		st = inspect(ctx, d->src, srcfd, f, buf, &insp);
		if (st != ESCROW_OK)
			break;
		r->fmt = insp.detected;
		r->kind = insp.kind ? insp.kind : "other";
		r->secret = insp.n_secrets > 0;
		r->lfs = insp.lfs_pointer;
		r->unsafe_pickle = insp.pickle == ESC_PICKLE_DANGEROUS || insp.pickle == ESC_PICKLE_UNKNOWN;
	}
	free(buf);
	for (i = 0; i < d->n && st == ESCROW_OK; i++) {
		struct dr_file *r = &d->f[i];

		if (r->kind != NULL)
			continue;
		/* A symlink: what its target is (the walk resolved it inside the tree). */
		if (esc_file_resolved(r->ef) != NULL) {
			const struct dr_file *t = bsearch(esc_file_resolved(r->ef), d->f, d->n, sizeof *d->f, cmp_path);

			if (t != NULL && t->kind != NULL) {
				r->kind = t->kind;
				r->fmt = t->fmt;
				r->size = t->size;
				r->lfs = t->lfs;
				r->unsafe_pickle = t->unsafe_pickle;
				continue;
			}
		}
		r->kind = esc_kind_from_path(r->path);
	}
	return st;
}

/* Files the forbid: list names, present today: left out. Packaging files
 * join their language's source. */
static escrow_status settle(escrow_ctx *ctx, struct dr_draft *d)
{
	/* the languages looked for, and whether a source file has each (a
	 * packaging file joining its language changes neither) */
	const char *asked[sizeof PACKAGING / sizeof PACKAGING[0] + 1];
	bool has_source[sizeof PACKAGING / sizeof PACKAGING[0] + 1];
	size_t i, k, n_asked = 0;

	for (i = 0; FORBID[i]; i++)
		if (push_str(&d->forbid, &d->n_forbid, strdup(FORBID[i])) != 0)
			return esc_nomem(ctx);
	for (i = 0; i < d->n; i++) {
		struct dr_file *r = &d->f[i];

		if (forbidden(r->path)) {
			r->kind = NULL;
			if (esc_draft_push_exclude(d, esc_draft_path_glob(r->path), esc_draft_why_forbidden) != 0)
				return esc_nomem(ctx);
			continue;
		}
		if (strcmp(r->kind, "code") == 0)
			r->lang = lang_of(r->path);
	}
	for (i = 0; i < d->n; i++) {
		struct dr_file *r = &d->f[i];
		const char *b = base_of(r->path);
		const char *lang = NULL;
		size_t j;

		if (r->kind == NULL)
			continue;
		for (k = 0; k < sizeof PACKAGING / sizeof PACKAGING[0]; k++)
			if (strcmp(b, PACKAGING[k].name) == 0)
				lang = PACKAGING[k].lang;
		if (strncmp(b, "requirements", 12) == 0 && strcmp(ext_of(b), "txt") == 0)
			lang = "python";
		if (lang == NULL)
			continue;
		for (j = 0; j < n_asked && strcmp(asked[j], lang) != 0; j++)
			;
		if (j == n_asked) { /* once a language: a pass each cost packaging files x files */
			for (k = 0; k < d->n; k++)
				if (d->f[k].lang != NULL && strcmp(d->f[k].lang, lang) == 0)
					break;
			asked[n_asked] = lang;
			has_source[n_asked++] = k < d->n;
		}
		if (has_source[j]) {
			r->kind = "code";
			r->lang = lang;
		}
	}
	return ESCROW_OK;
}

/* Why a draft of len bytes would not parse (a bound of esc_contract.h it
 * passes, into why), or 0 when it is within them all. */
static int over_limits(const struct dr_draft *d, size_t len, char *why, size_t whylen)
{
	size_t i, k;

	if (len > ESC_CONTRACT_MAX_BYTES) {
		snprintf(why, whylen, "it would be %zu bytes, over the %u a contract may hold", len,
			 ESC_CONTRACT_MAX_BYTES);
		return 1;
	}
	if (d->n_g > ESC_CONTRACT_MAX_DELIVERABLES) {
		snprintf(why, whylen, "it would list %zu deliverables, over the %d a contract may hold",
			 d->n_g, ESC_CONTRACT_MAX_DELIVERABLES);
		return 1;
	}
	for (i = 0; i < d->n_g; i++) {
		if (d->g[i].n_include > ESC_CONTRACT_MAX_GLOBS) {
			snprintf(why, whylen,
				 "deliverable '%s' would list %zu globs, over the %d a list may hold",
				 d->g[i].id, d->g[i].n_include, ESC_CONTRACT_MAX_GLOBS);
			return 1;
		}
		for (k = 0; k < d->g[i].n_include; k++)
			if (strlen(d->g[i].include[k]) > ESC_GLOB_MAX) {
				snprintf(why, whylen,
					 "deliverable '%s' would name a path of %zu bytes as escaped, over "
					 "the %d a "
					 "glob may hold",
					 d->g[i].id, strlen(d->g[i].include[k]), ESC_GLOB_MAX);
				return 1;
			}
	}
	if (d->n_exclude > ESC_CONTRACT_MAX_GLOBS || d->n_forbid > ESC_CONTRACT_MAX_GLOBS) {
		snprintf(why, whylen, "its exclude: would list %zu globs, over the %d a list may hold",
			 d->n_exclude, ESC_CONTRACT_MAX_GLOBS);
		return 1;
	}
	for (k = 0; k < d->n_exclude; k++)
		if (strlen(d->exclude[k]) > ESC_GLOB_MAX) {
			snprintf(why, whylen,
				 "its exclude: would name a path of %zu bytes as escaped, over the %d a glob "
				 "may hold",
				 strlen(d->exclude[k]), ESC_GLOB_MAX);
			return 1;
		}
	return 0;
}

/* The draft as YAML, folded as much as it must be to stay within what the
 * parser accepts (a draft that check refuses is no draft): as it is, then
 * with folder globs for what it would list file by file, then with the
 * models taken together. */
static escrow_status write_draft(escrow_ctx *ctx, struct dr_draft *d, char **out)
{
	char why[256];
	escrow_status st = ESCROW_OK;
	escrow_contract *c = NULL;

	*out = NULL;
	for (d->fold = 0; d->fold <= 2; d->fold++) {
		char *text = NULL;
		size_t len = 0;
		FILE *mem;

		if (d->fold > 0)
			esc_draft_ungroup(d);
		st = esc_draft_group(ctx, d);
		if (st != ESCROW_OK)
			return st;
		if (d->n_g == 0)
			return esc_error(ctx, ESCROW_E_INPUT, "%s: no files to draft a contract from",
					 d->src);
		mem = open_memstream(&text, &len);
		if (mem == NULL)
			return esc_nomem(ctx);
		esc_draft_emit(d, mem);
		if (fclose(mem) != 0 || text == NULL) {
			free(text);
			return esc_nomem(ctx);
		}
		if (!over_limits(d, len, why, sizeof why)) {
			/* The parser has the last word: whatever it refuses is not written. */
			st = escrow_contract_parse(ctx, "draft", text, len, &c);
			escrow_contract_free(c);
			if (st == ESCROW_E_NOMEM) {
				free(text);
				return st;
			}
			if (st == ESCROW_OK) {
				*out = text;
				return ESCROW_OK;
			}
			snprintf(why, sizeof why, "%s", escrow_ctx_error(ctx));
			why[strcspn(why, "\n")] = '\0';
		}
		free(text);
	}
	return esc_error(
	    ctx, ESCROW_E_INPUT,
	    "%s: no draft within the bounds a contract may have (%s): leave part of the tree out "
	    "(-x GLOB, or .escrowignore), or write the contract by hand",
	    d->src, why);
}

static escrow_status draft(escrow_ctx *ctx, const struct escrow_options *o, char **out)
{
	struct esc_walk_options wo;
	struct esc_files fs = {0};
	struct dr_draft d;
	escrow_status st;
	int srcfd = -1;

	memset(&d, 0, sizeof d);
	memset(&wo, 0, sizeof wo);
	wo.src = o->source;
	wo.srcfd = &srcfd;
	wo.excludes = (const char *const *)o->excludes.v;
	wo.n_excludes = o->excludes.n;
	wo.flags = o->flags & (ESCROW_INCLUDE_VCS | ESCROW_SKIP_SYMLINKS);
	d.src = o->source;
	*out = NULL;
	st = esc_walk(ctx, &wo, &fs);
	if (st == ESCROW_OK && esc_draft_push_exclude(&d, strdup(".git/**"), NULL) != 0)
		st = esc_nomem(ctx);
	if (st == ESCROW_OK)
		st = classify(ctx, &d, &fs, srcfd);
	if (st == ESCROW_OK)
		st = settle(ctx, &d);
	if (st == ESCROW_OK)
		st = write_draft(ctx, &d, out);
	esc_draft_free(&d);
	esc_files_free(&fs);
	if (srcfd >= 0)
		close(srcfd);
	return st;
}

escrow_status escrow_contract_draft(escrow_ctx *ctx, const escrow_options *o, char **out)
{
	if (out != NULL)
		*out = NULL;
	if (o == NULL || o->source == NULL || out == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_contract_draft: SOURCE and out are required");
	return draft(ctx, o, out);
}
