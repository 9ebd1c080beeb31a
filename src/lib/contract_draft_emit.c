/* contract_draft_emit.c -- the draft written as a contract (docs/CONTRACT.md),
 * with comments telling its reader what to review. Every path and glob is
 * written in double quotes with YAML escapes, so a file name holding quotes,
 * '#', ': ', a newline or any other byte reads back as itself. */
#include "escrow_private.h"
#include "contract_draft.h"

#include <string.h>

#define NOT_UTF8 0x110000u

/* The code point at p (UTF-8, checked by the walk), its length in *n. */
static unsigned decode(const unsigned char *p, size_t *n)
{
	if (p[0] < 0x80 || (p[0] & 0xe0) == 0x80) {
		*n = 1;
		return p[0];
	}
	if ((p[0] & 0xe0) == 0xc0 && (p[1] & 0xc0) == 0x80) {
		*n = 2;
		return ((p[0] & 0x1fu) << 6) | (p[1] & 0x3fu);
	}
	if ((p[0] & 0xf0) == 0xe0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80) {
		*n = 3;
		return ((p[0] & 0x0fu) << 12) | ((p[1] & 0x3fu) << 6) | (p[2] & 0x3fu);
	}
	if ((p[0] & 0xf8) == 0xf0 && (p[1] & 0xc0) == 0x80 && (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80) {
		*n = 4;
		return ((p[0] & 0x07u) << 18) | ((p[1] & 0x3fu) << 12) | ((p[2] & 0x3fu) << 6) | (p[3] & 0x3fu);
	}
	*n = 1;
	return NOT_UTF8; /* the walk refuses such names; written as U+FFFD if one comes */
}

void esc_draft_quote(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	fputc('"', out);
	while (*p) {
		size_t n;
		unsigned cp = decode(p, &n);

		if (*p == '"' || *p == '\\') {
			fputc('\\', out);
			fputc(*p, out);
		} else if (*p == '\n') {
			fputs("\\n", out);
		} else if (*p == '\t') {
			fputs("\\t", out);
		} else if (*p == '\r') {
			fputs("\\r", out);
		} else if (*p < 0x20 || *p == 0x7f) {
			fprintf(out, "\\x%02x", *p);
		} else if (cp == NOT_UTF8) {
			fputs("\\ufffd", out);
		} else if (esc_is_control(cp) || cp == 0xfeff || cp == 0xfffe || cp == 0xffff) {
			/* C1 controls, line separators, bidi controls (core_escape.c's
			 * list): visible as escapes; U+FEFF, and U+FFFE and U+FFFF,
			 * which YAML does not allow raw */
			fprintf(out, "\\u%04x", cp);
		} else {
			fwrite(p, 1, n, out);
		}
		p += n;
	}
	fputc('"', out);
}

static void globs(FILE *out, const char *indent, const char *key, char *const *v, size_t n)
{
	size_t i;

	if (n == 0) {
		fprintf(out, "%s%s: []\n", indent, key);
		return;
	}
	fprintf(out, "%s%s:\n", indent, key);
	for (i = 0; i < n; i++) {
		fprintf(out, "%s  - ", indent);
		esc_draft_quote(out, v[i]);
		fputc('\n', out);
	}
}

static const char *lang_name(const char *lang)
{
	static const struct {
		const char *id, *name;
	} names[] = {{"python", "Python"}, {"c", "C"}, {"cpp", "C++"}, {"cuda", "CUDA"}, {"go", "Go"},
	             {"rust", "Rust"}, {"java", "Java"}, {"javascript", "JavaScript"}, {"typescript", "TypeScript"},
	             {"shell", "Shell"}, {"r", "R"}, {"build", "Build"}};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(names[i].id, lang) == 0)
			return names[i].name;
	return lang;
}

static void deliverable(FILE *out, const struct dr_group *g)
{
	const char *fmt = g->fmt != ESC_FMT_NONE ? esc_format_name(g->fmt) : NULL;

	fputc('\n', out);
	if (g->model != NULL) {
		const struct dr_file *m = g->model;

		fprintf(out, "  # REVIEW: a model file (%llu bytes). ", (unsigned long long)m->size);
		if (fmt != NULL)
			fprintf(out, "Its bytes pass the %s checks, so the deposit must hold\n"
			             "  # a valid %s file here. ", fmt, fmt);
		else
			fputs("Its bytes match no format escrow checks: name the agreed\n"
			      "  # format, or leave format: out. ", out);
		fputs("min-bytes is half of today's size, so a truncated file or a\n"
		      "  # placeholder fails. To pin the exact weights accepted at acceptance testing, add\n"
		      "  # sha256: \"<hex>\" (sha256sum FILE).\n", out);
		if (m->lfs)
			fputs("  # WARNING: today this file is a Git LFS pointer, not the model: run 'git lfs pull',\n"
			      "  # then make this deliverable required (it is optional in this draft).\n", out);
		if (m->unsafe_pickle)
			fputs("  # WARNING: loading this file runs code (a pickle with imports escrow does not know):\n"
			      "  # ask for safetensors or ONNX instead (optional in this draft).\n", out);
	} else if (strcmp(g->kind, "model") == 0) {
		fprintf(out, "  # REVIEW: %zu model files (%llu bytes), too many to draft one deliverable each: ", g->files,
		        (unsigned long long)g->bytes);
		if (fmt != NULL)
			fprintf(out, "their bytes\n  # pass the %s checks, so the deposit must hold valid %s files here. ", fmt,
			        fmt);
		else
			fputs("their bytes\n  # match no one format escrow checks. ", out);
		fputs("min-bytes is half of today's total.\n", out);
		if (g->optional)
			fputs("  # WARNING: today these files are Git LFS pointers, or pickles that run code when loaded\n"
			      "  # (optional in this draft): run 'git lfs pull', or ask for safetensors or ONNX.\n", out);
	} else if (strcmp(g->kind, "code") == 0) {
		fprintf(out, "  # REVIEW: is this all the source a third party needs to rebuild the software?%s\n",
		        g->files > 1 ? "\n  # min-files is today's count of files." : "");
	} else {
		fprintf(out, "  # REVIEW: %s.%s\n",
		        strcmp(g->kind, "data") == 0 ? "the data sets the client needs to retrain or test the models"
		        : strcmp(g->kind, "prompts") == 0 ? "the prompts sent to language models"
		        : strcmp(g->kind, "pipeline") == 0 ? "the pipelines that train, build or deploy"
		        : strcmp(g->kind, "config") == 0 ? "configuration (never the production secrets)"
		        : "the documentation: build and run instructions, model cards",
		        g->files > 1 ? "\n  # min-files is today's count of files." : "");
	}
	fprintf(out, "  - id: %s\n", g->id);
	if (strcmp(g->kind, "model") == 0)
		fprintf(out, "    description: Model weights%s%s%s\n", fmt ? " (" : "", fmt ? fmt : "", fmt ? ")" : "");
	else if (strcmp(g->kind, "code") == 0)
		fprintf(out, "    description: %s %s\n", lang_name(g->lang),
		        strcmp(g->lang, "build") == 0 ? "files (Makefiles, Dockerfiles)" : "source code");
	else
		fprintf(out, "    description: %s\n",
		        strcmp(g->kind, "data") == 0 ? "Data sets" : strcmp(g->kind, "prompts") == 0 ? "Prompts"
		        : strcmp(g->kind, "pipeline") == 0 ? "Pipelines" : strcmp(g->kind, "config") == 0 ? "Configuration"
		        : "Documentation");
	fprintf(out, "    kind: %s\n", g->kind);
	globs(out, "    ", "include", g->include, g->n_include);
	if (fmt != NULL)
		fprintf(out, "    format: %s\n", fmt);
	if (g->files > 1 && g->model == NULL)
		fprintf(out, "    min-files: %zu\n", g->files);
	if (strcmp(g->kind, "model") == 0) {
		fprintf(out, "    min-bytes: %llu\n", (unsigned long long)(g->bytes / 2 ? g->bytes / 2 : 1));
		if (g->optional || (g->model != NULL && (g->model->lfs || g->model->unsafe_pickle)))
			fputs("    required: false\n", out);
	}
}

void esc_draft_emit(const struct dr_draft *d, FILE *out)
{
	size_t i, left = 0, secrets = 0;

	fputs("# Deliverables list (contract annex) drafted by 'escrow init' from the project folder\n# ", out);
	esc_draft_quote(out, d->src);
	fputs(".\n"
	      "#\n"
	      "# This is a DRAFT, written from what the folder holds today. Before it becomes an annex,\n"
	      "# the parties review every entry marked REVIEW: what is missing, what must not be\n"
	      "# deposited, the formats agreed, and which deliverables are optional (required: false).\n"
	      "# The language is described in docs/CONTRACT.md; 'escrow check SRC -c THIS-FILE' shows\n"
	      "# what a deposit of the folder would hold against it.\n"
	      "\n"
	      "escrow-contract: 1\n"
	      "# REVIEW: the agreement's reference (letters, digits, '.', '_', '-'): it names the deposits.\n"
	      "contract: DRAFT-CONTRACT\n"
	      "# REVIEW: fill in and uncomment.\n"
	      "# agency: Name of the depositor\n"
	      "# client: Name of the beneficiary\n"
	      "\n"
	      "deliverables:", out);
	for (i = 0; i < d->n_g; i++)
		deliverable(out, &d->g[i]);
	for (i = 0; i < d->n; i++)
		left += d->f[i].kind != NULL && d->f[i].group < 0;
	if (left > 0) {
		size_t shown = 0;

		fprintf(out, "\n# REVIEW: %zu file%s in no deliverable (a deposit holds them all the same):\n", left,
		        left == 1 ? "" : "s");
		for (i = 0; i < d->n && shown < 20; i++)
			if (d->f[i].kind != NULL && d->f[i].group < 0) {
				fputs("#   ", out);
				esc_draft_quote(out, d->f[i].path);
				fputc('\n', out);
				shown++;
			}
		if (shown < left)
			fprintf(out, "#   ... and %zu more\n", left - shown);
	}
	for (i = 0; i < d->n; i++)
		if (d->f[i].secret && d->f[i].kind != NULL && (d->fold == 0 || ++secrets <= 20)) {
			fputs("# REVIEW: the secrets scanner found what looks like a password or key in ", out);
			esc_draft_quote(out, d->f[i].path);
			fputs(":\n# remove it from the project, or add the file to exclude: below.\n", out);
		}
	if (secrets > 20) /* a folded draft: the list stays within the size a contract may have */
		fprintf(out, "# REVIEW: and in %zu more files ('escrow check' lists them all).\n", secrets - 20);
	fputs("\n# Never in a deposit: compiled byte-code (not source) and files that hold secrets,\n"
	      "# which are handed over separately, never escrowed.\n", out);
	globs(out, "", "forbid", d->forbid, d->n_forbid);
	fputs("\n# Left out when packing: version control, build outputs and caches", out);
	for (i = 0; i < d->n_exclude; i++)
		if (d->exclude_why[i] != NULL && strcmp(d->exclude_why[i], "build output") != 0)
			break;
	fputs(i < d->n_exclude ? ", and files that the\n# forbid: list names, present in the folder today "
	                         "(REVIEW: remove them from the project).\n" : ".\n", out);
	globs(out, "", "exclude", d->exclude, d->n_exclude);
}
