/* contract_eval.c -- which payload files each deliverable holds, and whether
 * it is met. The status rules (first that applies wins) are those of
 * docs/CONTRACT.md: missing, lfs-pointer, unsafe, hash-mismatch, bad-format,
 * too-small, ok. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct esc_file *)elem)->path);
}

static const struct esc_file *find_file(const struct esc_files *files, const char *path)
{
	const struct esc_file *f = bsearch(path, files->v, files->n, sizeof files->v[0], cmp_key);
	size_t i;

	if (f != NULL)
		return f;
	for (i = 0; i < files->n; i++) /* a caller's list that is not sorted */
		if (strcmp(files->v[i].path, path) == 0)
			return &files->v[i];
	return NULL;
}

static uint64_t file_bytes(const struct esc_files *files, const struct esc_file *f)
{
	const struct esc_file *t;

	if (f->type == ESC_FT_FILE)
		return f->size;
	if (esc_file_resolved(f) == NULL)
		return 0;
	t = find_file(files, f->link->resolved);
	return t && t->type == ESC_FT_FILE ? t->size : 0;
}

static int has_dotdot(const char *p)
{
	for (;;) {
		if (p[0] == '.' && p[1] == '.' && (p[2] == '/' || p[2] == '\0'))
			return 1;
		p = strchr(p, '/');
		if (p == NULL)
			return 0;
		p++;
	}
}

/* One ONNX external data location, loc (n bytes), of model f, that needs
 * `need` bytes: a safe relative path, from the ONNX file's folder, to a
 * payload file that holds them. 1 ok (*t: that file), else 0 with why. */
static int location_ok(const struct esc_files *files, const struct esc_file *f, const char *loc, size_t n,
                       unsigned long long need, const struct esc_file **t, char *why, size_t wlen)
{
	const char *slash = strrchr(f->path, '/');
	int dirlen = slash ? (int)(slash - f->path) : 0;
	char ext[256], out[4352];
	const char *p;

	snprintf(ext, sizeof ext, "%.*s", (int)(n < 255 ? n : 255), loc);
	for (p = ext; p[0] == '.' && p[1] == '/';)
		p += 2;
	if (n > 255 || p[0] == '\0' || p[0] == '/' || has_dotdot(p) || strchr(p, '\\') != NULL) {
		snprintf(why, wlen, "%s: external data '%s' is not a relative path inside the deposit", f->path, ext);
		return 0;
	}
	snprintf(out, sizeof out, "%.*s%s%s", dirlen, f->path, dirlen ? "/" : "", p);
	*t = esc_path_is_safe(out) ? find_file(files, out) : NULL;
	if (*t == NULL || (*t)->type == ESC_FT_DIR || ((*t)->type == ESC_FT_SYMLINK && (*t)->link_to_dir)) {
		snprintf(why, wlen, "%s: external data '%s' is not in the deposit (expected %.300s)", f->path, ext, out);
		return 0;
	}
	if (file_bytes(files, *t) < need) {
		snprintf(why, wlen, "%s: external data '%s' holds %llu bytes, its tensors need %llu", f->path, ext,
		         (unsigned long long)file_bytes(files, *t), need);
		return 0;
	}
	return 1;
}

/* ONNX external data of model f: every location it names (esc_formats.h,
 * "LOCATION\nBYTES" separated by backslashes) is checked; the files found
 * are marked in data (one bit per file of files). 1 ok, else 0 with why. */
static int external_ok(const struct esc_files *files, const struct esc_file *f, uint8_t *data, char *why,
                       size_t wlen)
{
	struct esc_note_view nv;
	const char *e;

	esc_note_get(files, f, &nv);
	e = nv.external;
	if (*e == '\0') { /* out of memory, or past the notes' bound */
		snprintf(why, wlen, "%s: its external data could not be checked (out of memory, or more findings "
		         "than escrow keeps)", f->path);
		return 0;
	}
	if (*e == '\\') {
		snprintf(why, wlen, "%s: its external data was not checked: %.200s (escrow checks at most "
		         ESC_ONNX_LOCATIONS_MAX_TEXT " files; store its tensors in fewer files, e.g. "
		         "all_tensors_to_one_file=True)", f->path, e + 1);
		return 0;
	}
	for (;;) {
		const char *sep = strchr(e, '\\'), *end = sep ? sep : e + strlen(e), *nl = NULL, *q;
		const struct esc_file *t;
		unsigned long long need = 0;

		/* the bytes follow the entry's last newline (a location may hold
		 * one); records written before they were kept have none */
		for (q = e; q < end; q++)
			if (*q == '\n')
				nl = q;
		if (nl != NULL && (nl + 1 == end || strspn(nl + 1, "0123456789") < (size_t)(end - nl - 1)))
			nl = NULL;
		if (nl != NULL)
			need = strtoull(nl + 1, NULL, 10);
		if (!location_ok(files, f, e, (size_t)((nl ? nl : end) - e), need, &t, why, wlen))
			return 0;
		data[(size_t)(t - files->v) / 8] |= (uint8_t)(1u << ((size_t)(t - files->v) % 8));
		if (sep == NULL)
			return 1;
		e = sep + 1;
	}
}

struct dlv_eval {
	const char *status;
	char reason[640];
	uint64_t n, bytes;
};

static void list_globs(const struct esc_deliverable *d, char *out, size_t len)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; i < d->n_include && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", d->include[i]);
}

static int is_savedmodel_pb(const char *path)
{
	const char *b = strrchr(path, '/');

	return strcmp(b ? b + 1 : path, "saved_model.pb") == 0;
}

/* A file inspected for another deliverable's format (or a symlink, with
 * its target's findings) still passes when its bytes passed this one: the
 * formats of every deliverable holding a file were checked, and the others
 * where a file looks like them (esc_inspect_also); the one a
 * file's bytes are recognised as is not the only one they may pass (a torch
 * checkpoint is a zip, a JSON file is YAML). */
static int passes(const struct esc_fnd *in, enum esc_format want)
{
	if (!(in->bits & ESC_FND_INSPECTED) || want == ESC_FMT_NONE)
		return 0;
	if (in->wanted == want)
		return (in->bits & ESC_FND_WANTED_OK) != 0;
	return in->detected == want || esc_fnd_also_passes(in->also, want);
}

/* Rule 5: every matched file passes format (the files that are the external
 * data of a matched ONNX model are part of it and exempt); tf-savedmodel is
 * checked per folder. */
static void check_format(const struct esc_deliverable *d, const struct esc_files *files,
                         const size_t *idx, size_t n, struct dlv_eval *e)
{
	bool savedmodel = d->format && strcmp(d->format, "tf-savedmodel") == 0;
	enum esc_format want = d->format ? esc_format_from_name(d->format) : ESC_FMT_NONE;
	uint8_t *data = NULL; /* one bit per file of files: some model's external data */
	size_t i, n_pb = 0;

	for (i = 0; i < n; i++) {
		const struct esc_file *f = &files->v[idx[i]];

		if (!(f->fnd.bits & ESC_FND_EXTERNAL))
			continue;
		if (data == NULL && (data = calloc(files->n / 8 + 1, 1)) == NULL) {
			e->status = "bad-format";
			snprintf(e->reason, sizeof e->reason, "out of memory");
			goto out;
		}
		if (!external_ok(files, f, data, e->reason, sizeof e->reason)) {
			e->status = "bad-format";
			goto out;
		}
	}
	if (d->format == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		const struct esc_file *f = &files->v[idx[i]];
		char rs[256];

		if (savedmodel) {
			if (is_savedmodel_pb(f->path)) {
				int dirlen = (int)(strlen(f->path) - strlen("saved_model.pb"));
				char dir[4096];

				n_pb++;
				snprintf(dir, sizeof dir, "%.*s", dirlen > 0 ? dirlen - 1 : 0, f->path);
				rs[0] = '\0';
				if (!esc_check_savedmodel(files, dir, rs, sizeof rs)) {
					e->status = "bad-format";
					snprintf(e->reason, sizeof e->reason, "%.300s: %.300s", *dir ? dir : ".",
					         rs[0] ? rs : "not a complete TF SavedModel");
					goto out;
				}
			}
			continue;
		}
		if (data != NULL && (data[idx[i] / 8] >> (idx[i] % 8) & 1))
			continue;
		if (!passes(&f->fnd, want)) {
			struct esc_note_view nv;

			esc_note_get(files, f, &nv);
			e->status = "bad-format";
			if (!(f->fnd.bits & ESC_FND_INSPECTED))
				snprintf(e->reason, sizeof e->reason, "%s: not recognised as %s", f->path, d->format);
			else if (f->fnd.wanted == want && nv.reason[0])
				snprintf(e->reason, sizeof e->reason, "%s: %s", f->path, nv.reason);
			else if (f->fnd.wanted == want && (f->fnd.bits & ESC_FND_LEFT_OUT))
				snprintf(e->reason, sizeof e->reason, "%s: is not a valid %s file (details left out: see "
				         "the warnings)", f->path, d->format);
			else
				snprintf(e->reason, sizeof e->reason, "%s: is not a valid %s file", f->path, d->format);
			goto out;
		}
	}
	if (savedmodel && n_pb == 0) {
		e->status = "bad-format";
		snprintf(e->reason, sizeof e->reason, "no saved_model.pb among the matched files");
	}
out:
	free(data);
}

/* The includes of one deliverable that matched no file it holds. */
struct unmatched {
	const bool *hit;     /* per include of the deliverable */
	size_t n_lit, n_glob;
};

/* "a, b" of the includes that are (literal) and matched nothing. */
static void list_unmatched(const struct esc_deliverable *d, const struct unmatched *u, int literal, char *out,
                           size_t len)
{
	size_t k, o = 0, n = 0;

	out[0] = '\0';
	for (k = 0; k < d->n_include && o + 1 < len; k++) {
		const char *p = d->include[k];

		if (u->hit[k] || esc_glob_is_literal(p) != literal)
			continue;
		if (!literal) {
			o += (size_t)snprintf(out + o, len - o, "%s%s", n++ ? ", " : "", p);
			continue;
		}
		/* a literal is said as the file's name: "report[v2].md", not "report\[v2\].md" */
		o += (size_t)snprintf(out + o, len - o, "%s", n++ ? ", " : "");
		for (; *p != '\0' && o + 1 < len; p++) {
			if (*p == '\\' && p[1] != '\0')
				p++;
			out[o++] = *p;
		}
		out[o < len ? o : len - 1] = '\0';
	}
}

static void evaluate_one(const struct esc_deliverable *d, const struct esc_files *files,
                         const size_t *idx, size_t n, const struct unmatched *u, struct dlv_eval *e)
{
	char globs[384], hex[65];
	bool sha_found = false;
	size_t i;

	e->status = "ok";
	e->reason[0] = '\0';
	e->n = n;
	e->bytes = 0;
	for (i = 0; i < n; i++)
		e->bytes += file_bytes(files, &files->v[idx[i]]);
	if (n == 0 || n < d->min_files) {
		e->status = "missing";
		list_globs(d, globs, sizeof globs);
		if (n == 0)
			snprintf(e->reason, sizeof e->reason, "no file matches %s", globs);
		else
			snprintf(e->reason, sizeof e->reason, "%zu file%s match%s %s, at least %llu required", n,
			         n == 1 ? "" : "s", n == 1 ? "es" : "", globs, (unsigned long long)d->min_files);
		return;
	}
	if (u->n_lit > 0) { /* a file the annex names is not there, whatever else is */
		e->status = "missing";
		list_unmatched(d, u, 1, globs, sizeof globs);
		snprintf(e->reason, sizeof e->reason, "%s %s not in the deposit (%zu other file%s matched)", globs,
		         u->n_lit == 1 ? "is" : "are", n, n == 1 ? "" : "s");
		return;
	}
	for (i = 0; i < n; i++) {
		const struct esc_file *f = &files->v[idx[i]];

		if (f->fnd.bits & ESC_FND_LFS) {
			e->status = "lfs-pointer";
			snprintf(e->reason, sizeof e->reason, "%s is a Git LFS pointer, not the file (run 'git lfs "
			         "pull' before packing)", f->path);
			return;
		}
	}
	for (i = 0; i < n; i++) {
		const struct esc_file *f = &files->v[idx[i]];

		if (esc_fnd_pickle(&f->fnd) == ESC_PICKLE_DANGEROUS) {
			struct esc_note_view nv;

			esc_note_get(files, f, &nv);
			e->status = "unsafe";
			snprintf(e->reason, sizeof e->reason, "%s: unsafe pickle: %s (loading it may run code)", f->path,
			         nv.imports[0] ? nv.imports : "an import off the allowlist");
			return;
		}
	}
	if (d->has_sha256) {
		for (i = 0; i < n && !sha_found; i++) {
			const struct esc_file *f = &files->v[idx[i]];

			sha_found = f->has_sha256 && memcmp(f->sha256, d->sha256, 32) == 0;
		}
		if (!sha_found) {
			esc_hex(d->sha256, 32, hex);
			e->status = "hash-mismatch";
			snprintf(e->reason, sizeof e->reason, "no matched file has the pinned sha256 %.16s...", hex);
			return;
		}
	}
	check_format(d, files, idx, n, e);
	if (strcmp(e->status, "ok") != 0)
		return;
	if (e->bytes < d->min_bytes) {
		e->status = "too-small";
		snprintf(e->reason, sizeof e->reason, "%llu bytes in %zu file%s, at least %llu required",
		         (unsigned long long)e->bytes, n, n == 1 ? "" : "s", (unsigned long long)d->min_bytes);
		return;
	}
	if (u->n_glob > 0) {
		list_unmatched(d, u, 0, globs, sizeof globs);
		snprintf(e->reason, sizeof e->reason, "no file matches %s", globs);
	}
}

static json_t *deliverable_json(const struct esc_deliverable *d, const struct esc_files *files,
                                const size_t *idx, const struct unmatched *u, const struct dlv_eval *e)
{
	json_t *o = json_object(), *paths = json_array(), *miss = json_array(), *unm = json_array();
	size_t i;

	if (o == NULL || paths == NULL || miss == NULL || unm == NULL) {
		json_decref(o);
		json_decref(paths);
		json_decref(miss);
		json_decref(unm);
		return NULL;
	}
	for (i = 0; i < e->n; i++)
		json_array_append_new(paths, json_string(files->v[idx[i]].path));
	for (i = 0; i < d->n_include; i++)
		if (!u->hit[i])
			json_array_append_new(esc_glob_is_literal(d->include[i]) ? miss : unm,
			                      json_string(d->include[i]));
	json_object_set_new(o, "id", json_string(d->id));
	json_object_set_new(o, "description", json_string(d->description ? d->description : ""));
	json_object_set_new(o, "kind", json_string(d->kind ? d->kind : "other"));
	json_object_set_new(o, "format", d->format ? json_string(d->format) : json_null());
	json_object_set_new(o, "required", json_boolean(d->required));
	json_object_set_new(o, "status", json_string(e->status));
	json_object_set_new(o, "files", json_integer((json_int_t)e->n));
	json_object_set_new(o, "bytes", json_integer((json_int_t)e->bytes));
	json_object_set_new(o, "reason", esc_json_string(e->reason));
	json_object_set_new(o, "paths", paths);
	json_object_set_new(o, "missing", miss);
	json_object_set_new(o, "unmatched", unm);
	return o;
}

/* Who holds what: (deliverable, file) pairs in file order, and which
 * includes matched a held file. */
struct holding {
	size_t file, last_d;
	size_t (*pair)[2];
	size_t n_pair, cap;
	const size_t *inc_off;   /* per deliverable: its includes' first slot in hit */
	bool *hit, *owned, nomem, too_many;
	size_t max_pair;
};

/* A contract copied from a bundle may make every file belong to every one
 * of 10,000 deliverables: the report would list 200 million paths. Real
 * deposits hold a file in one or two deliverables. */
#define PAIRS_PER_FILE 8
#define PAIRS_EXTRA 1000000

static int on_hold(size_t d, size_t k, void *user)
{
	struct holding *h = user;

	h->hit[h->inc_off[d] + k] = true;
	if (h->last_d == d)
		return 0;
	h->last_d = d;
	h->owned[h->file] = true;
	if (h->n_pair == h->max_pair) {
		h->too_many = true;
		return 1;
	}
	if (h->n_pair == h->cap) {
		size_t cap = h->cap ? 2 * h->cap : 256;
		size_t (*v)[2] = realloc(h->pair, cap * sizeof *v);

		if (v == NULL) {
			h->nomem = true;
			return 1;
		}
		h->pair = v;
		h->cap = cap;
	}
	h->pair[h->n_pair][0] = d;
	h->pair[h->n_pair++][1] = h->file;
	return 0;
}

int esc_contract_evaluate(const escrow_contract *c, const struct esc_files *files, escrow_report *r)
{
	json_t *dl = json_array(), *forb = json_array(), *unas = json_array();
	struct holding h;
	size_t *idx = NULL, *start = NULL, *inc_off = NULL, i, k, n_inc = 0;
	int met = 1;

	memset(&h, 0, sizeof h);
	if (c == NULL || files == NULL || r == NULL || dl == NULL || forb == NULL || unas == NULL)
		goto fail;
	inc_off = malloc((c->n_d + 1) * sizeof *inc_off);
	start = calloc(c->n_d + 1, sizeof *start);
	if (inc_off == NULL || start == NULL)
		goto fail;
	for (k = 0; k < c->n_d; k++) {
		inc_off[k] = n_inc;
		n_inc += c->d[k].n_include;
	}
	h.inc_off = inc_off;
	h.hit = calloc(n_inc + 1, sizeof *h.hit);
	h.owned = calloc(files->n + 1, sizeof *h.owned);
	if (h.hit == NULL || h.owned == NULL)
		goto fail;
	h.max_pair = PAIRS_PER_FILE * files->n + PAIRS_EXTRA;
	for (i = 0; i < files->n && !h.nomem && !h.too_many; i++) {
		h.file = i;
		h.last_d = SIZE_MAX;
		esc_contract_each_hold(c, &files->v[i], on_hold, &h);
	}
	if (h.too_many) {
		esc_report_warn(r, NULL, 0, "the contract puts files in deliverables more than %zu times (%d a file "
		                "and %d more): not evaluated", h.max_pair, PAIRS_PER_FILE, PAIRS_EXTRA);
		met = 0;
		goto out;
	}
	idx = malloc((h.n_pair + 1) * sizeof *idx);
	if (h.nomem || idx == NULL)
		goto fail;
	/* by deliverable, each in file order (a counting sort) */
	for (i = 0; i < h.n_pair; i++)
		start[h.pair[i][0] + 1]++;
	for (k = 0; k < c->n_d; k++)
		start[k + 1] += start[k];
	for (i = 0; i < h.n_pair; i++)
		idx[start[h.pair[i][0]]++] = h.pair[i][1];
	for (k = c->n_d; k > 0; k--) /* start[k] is now the end of k: shift back */
		start[k] = start[k - 1];
	start[0] = 0;
	for (k = 0; k < c->n_d; k++) {
		const struct esc_deliverable *d = &c->d[k];
		const size_t *di = idx + start[k], n = start[k + 1] - start[k];
		struct unmatched u = {h.hit + inc_off[k], 0, 0};
		struct dlv_eval e;

		for (i = 0; i < d->n_include; i++)
			if (!u.hit[i])
				*(esc_glob_is_literal(d->include[i]) ? &u.n_lit : &u.n_glob) += 1;
		evaluate_one(d, files, di, n, &u, &e);
		json_array_append_new(dl, deliverable_json(d, files, di, &u, &e));
		if (strcmp(e.status, "ok") == 0)
			continue;
		if (d->required)
			met = 0;
		else
			esc_report_warn(r, NULL, 0, "optional deliverable '%s' is %s (%s); the contract is still met",
			                d->id, e.status, e.reason);
	}
	for (i = 0; i < files->n; i++) {
		const struct esc_file *f = &files->v[i];

		if (f->type == ESC_FT_DIR)
			continue;
		if (esc_contract_forbids(c, f->path)) {
			json_array_append_new(forb, json_string(f->path));
			met = 0;
		}
		if (!h.owned[i])
			json_array_append_new(unas, json_string(f->path));
	}
	json_object_set_new(r->root, "deliverables", dl);
	json_object_set_new(r->root, "forbidden", forb);
	json_object_set_new(r->root, "unassigned", unas);
	dl = forb = unas = NULL;
	goto out;
fail:
	if (r != NULL)
		esc_report_warn(r, NULL, 0, "the contract could not be evaluated (out of memory)");
	met = 0;
out:
	json_decref(dl);
	json_decref(forb);
	json_decref(unas);
	free(h.pair);
	free(h.hit);
	free(h.owned);
	free(idx);
	free(start);
	free(inc_off);
	return met;
}

void esc_report_contract_reason(const escrow_report *r, char *out, size_t len)
{
	json_t *dl = json_object_get(r->root, "deliverables"), *d;
	size_t i, bad = 0, o = 0, nf = json_array_size(json_object_get(r->root, "forbidden"));
	const char *first_id = NULL, *first_status = NULL, *first_reason = NULL;

	out[0] = '\0';
	json_array_foreach(dl, i, d) {
		const char *st = json_string_value(json_object_get(d, "status"));

		if (!json_is_true(json_object_get(d, "required")) || st == NULL || strcmp(st, "ok") == 0)
			continue;
		if (bad++ == 0) {
			first_id = json_string_value(json_object_get(d, "id"));
			first_status = st;
			first_reason = json_string_value(json_object_get(d, "reason"));
		}
	}
	if (bad == 1)
		o = (size_t)snprintf(out, len, "deliverable '%s' is %s: %s", first_id ? first_id : "?",
		                     first_status, first_reason ? first_reason : "");
	else if (bad > 1)
		o = (size_t)snprintf(out, len, "%zu required deliverables are not met (first: '%s' is %s)", bad,
		                     first_id ? first_id : "?", first_status);
	if (nf > 0 && o < len)
		snprintf(out + o, len - o, "%s%zu forbidden file%s (first: %s)", o ? "; " : "", nf,
		         nf == 1 ? "" : "s",
		         json_string_value(json_array_get(json_object_get(r->root, "forbidden"), 0)));
}
