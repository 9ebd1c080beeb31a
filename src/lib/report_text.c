/* report_text.c -- the report as a person reads it, made from the JSON so the
 * two never disagree. Headers first, then deliverables, findings and
 * warnings, and the verdict last: it is the line people look for. Every
 * string from outside goes through esc(), so nothing in a bundle, a contract
 * or a file name can forge a line or drive the terminal. */
#include "esc_diff.h"

#include <stdlib.h>
#include <string.h>

struct sb {
	char *p;
	size_t n, cap;
	bool oom;
	char *ring[4]; /* esc()'s results, alive for the next few sb_add calls */
	unsigned ri;
	struct esc_out *out; /* gets the text in pieces as it grows */
};

static void sb_flush(struct sb *b)
{
	if (b->oom || b->n == 0)
		return;
	esc_out_put(b->out, b->p, b->n);
	b->n = 0;
	if (b->out->st != ESCROW_OK)
		b->oom = true;
}

/* s escaped (core_escape.c), for an sb_add argument: the result lives until the
 * fourth esc() after it, so one sb_add may take up to four. */
static const char *esc(struct sb *b, const char *s)
{
	char **slot = &b->ring[b->ri++ % 4];

	free(*slot);
	*slot = esc_escape_dup(s ? s : "", s ? strlen(s) : 0, ESC_ESCAPE_TEXT);
	if (*slot == NULL) {
		b->oom = true;
		return "";
	}
	return *slot;
}

static void sb_vadd(struct sb *b, const char *fmt, va_list ap)
{
	va_list aq;
	int need;

	if (b->oom)
		return;
	va_copy(aq, ap);
	need = vsnprintf(b->p ? b->p + b->n : NULL, b->p ? b->cap - b->n : 0, fmt, aq);
	va_end(aq);
	if (need < 0) {
		b->oom = true;
		return;
	}
	if (b->p == NULL || b->n + (size_t)need + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		char *np;

		while (cap < b->n + (size_t)need + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (np == NULL) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
		vsnprintf(b->p + b->n, b->cap - b->n, fmt, ap);
	}
	b->n += (size_t)need;
	if (b->n >= 65536)
		sb_flush(b);
}

static void sb_add(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sb *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vadd(b, fmt, ap);
	va_end(ap);
}

/* Appends s escaped (core_escape.c): text from outside never reaches a terminal raw. */
static void sb_name(struct sb *b, const char *s)
{
	if (s == NULL)
		return;
	sb_add(b, "%s", esc(b, s));
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v ? v : "";
}

static uint64_t num(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

/* "812 bytes", "2.2 MiB": also the diff's text (report_diff_text.c). */
void esc_human_size(uint64_t n, char *out, size_t len)
{
	static const char *const unit[] = {"KiB", "MiB", "GiB", "TiB", "PiB"};
	double v = (double)n;
	int u = -1;

	if (n < 1024) {
		snprintf(out, len, "%llu byte%s", (unsigned long long)n, n == 1 ? "" : "s");
		return;
	}
	while (v >= 1024.0 && u < 4) {
		v /= 1024.0;
		u++;
	}
	snprintf(out, len, "%.1f %s", v, unit[u]);
}

/* "3 files, 2.2 MiB" */
static void count_size(uint64_t files, uint64_t bytes, bool with_bytes, char *out, size_t len)
{
	char h[32];

	esc_human_size(bytes, h, sizeof h);
	if (with_bytes)
		snprintf(out, len, "%llu file%s, %s", (unsigned long long)files, files == 1 ? "" : "s", h);
	else
		snprintf(out, len, "%llu file%s", (unsigned long long)files, files == 1 ? "" : "s");
}

/* What the agency's pack recorded of its source (bundle.provenance). */
static void provenance(struct sb *b, const json_t *bundle)
{
	const json_t *p = json_object_get(bundle, "provenance"), *g = json_object_get(p, "git");
	const json_t *tags = json_object_get(g, "tags"), *t;
	const char *k;
	size_t i;

	if (json_is_object(g)) {
		sb_add(b, "git:        commit %s%s", esc(b, str(g, "commit")),
		       json_is_true(json_object_get(g, "dirty")) ? ", dirty (packed files differ from it)" : ", clean");
		json_array_foreach(tags, i, t) {
			sb_add(b, i ? ", " : "; tags ");
			sb_name(b, json_string_value(t));
		}
		sb_add(b, "\n");
		if (*str(g, "remote")) {
			sb_add(b, "remote:     ");
			sb_name(b, str(g, "remote"));
			sb_add(b, "\n");
		}
	}
	json_object_foreach(json_object_get(p, "meta"), k, t) {
		sb_add(b, "meta:       %s: ", esc(b, k));
		sb_name(b, json_string_value(t));
		sb_add(b, "\n");
	}
}

static void header(struct sb *b, const json_t *root)
{
	const json_t *bundle = json_object_get(root, "bundle"), *c = json_object_get(root, "contract");
	const json_t *totals = json_object_get(root, "totals");
	char cs[64];

	if (json_is_object(bundle)) {
		sb_add(b, "bundle:     ");
		sb_name(b, str(bundle, "path"));
		sb_add(b, " (%s)\n", json_is_true(json_object_get(bundle, "sealed")) ? "sealed" : "not sealed");
		if (*str(bundle, "name"))
			sb_add(b, "name:       %s, release %s\n", esc(b, str(bundle, "name")),
			       *str(bundle, "release") ? esc(b, str(bundle, "release")) : "unreleased");
		if (*str(bundle, "agency"))
			sb_add(b, "agency:     %s\n", esc(b, str(bundle, "agency")));
		if (*str(bundle, "created"))
			sb_add(b, "created:    %s\n", esc(b, str(bundle, "created")));
		provenance(b, bundle);
		if (*str(bundle, "sha256"))
			sb_add(b, "sha256:     %s (%lld bytes)\n", esc(b, str(bundle, "sha256")),
			       (long long)json_integer_value(json_object_get(bundle, "size")));
	}
	if (json_is_string(json_object_get(root, "source"))) {
		sb_add(b, "source:     ");
		sb_name(b, str(root, "source"));
		sb_add(b, "\n");
	}
	if (json_is_object(c)) {
		const char *id = *str(c, "id") ? str(c, "id") : str(bundle, "contract_id");

		sb_add(b, "contract:   %s", *id ? esc(b, id) : "(none)");
		if (json_is_true(json_object_get(c, "checked"))) {
			sb_add(b, " (");
			sb_name(b, str(c, "path"));
			sb_add(b, ", sha256 %.16s", str(c, "sha256"));
			if (*str(c, "bundle_copy"))
				sb_add(b, "; copy in the bundle: %s", esc(b, str(c, "bundle_copy")));
			sb_add(b, ")\n");
		} else if (*str(c, "path")) { /* given, not reached */
			sb_add(b, " (");
			sb_name(b, str(c, "path"));
			sb_add(b, ": %s)\n", esc(b, str(c, "note")));
		} else {
			sb_add(b, " (not checked: give the contract with -c)\n");
		}
	} else if (json_is_object(bundle) && *str(bundle, "contract_id")) {
		sb_add(b, "contract:   %s (not checked: give the contract with -c)\n", esc(b, str(bundle, "contract_id")));
	}
	if (json_is_object(json_object_get(root, "extracted"))) {
		const json_t *x = json_object_get(root, "extracted");

		sb_add(b, "extracted:  ");
		sb_name(b, str(x, "target"));
		sb_add(b, " (%s, %llu entries)\n", str(x, "layout"), (unsigned long long)num(x, "entries"));
	}
	if (*str(root, "deliverables_from"))
		sb_add(b, "deliverables from: %s\n", strcmp(str(root, "deliverables_from"), "bundle") == 0
		       ? "the contract copy inside the bundle" : strcmp(str(root, "deliverables_from"), "contract") == 0
		       ? "the contract given with -c" : "no contract");
	if (json_is_object(totals)) {
		count_size(num(totals, "files"), num(totals, "bytes"), true, cs, sizeof cs);
		sb_add(b, "payload:    %s\n", cs);
	}
}

static void trust(struct sb *b, const json_t *root)
{
	const json_t *sig = json_object_get(root, "signature"), *in = json_object_get(root, "integrity");
	const json_t *bundle = json_object_get(root, "bundle");
	const char *det = str(bundle, "detached_signature");
	char cs[64];

	if (json_is_object(sig)) {
		sb_add(b, "signature:  %s", strcmp(str(sig, "status"), "not-checked") == 0 ? "not checked"
		                                                                            : str(sig, "status"));
		if (*str(sig, "key_id"))
			sb_add(b, ", key %s", str(sig, "key_id"));
		if (*str(sig, "trusted_comment")) {
			sb_add(b, ", trusted comment \"");
			sb_name(b, str(sig, "trusted_comment"));
			sb_add(b, "\"");
		}
		if (*str(sig, "reason"))
			sb_add(b, " -- %s", esc(b, str(sig, "reason")));
		sb_add(b, "\n");
	}
	if (*det && strcmp(det, "not-applicable") != 0)
		sb_add(b, "detached:   %s (signature over the whole sealed file)\n", det);
	if (json_is_object(in) && strcmp(str(in, "status"), "not-checked") == 0) {
		sb_add(b, "integrity:  not checked -- %s\n", esc(b, str(in, "reason")));
	} else if (json_is_object(in)) {
		count_size(num(in, "files"), num(in, "bytes"), true, cs, sizeof cs);
		sb_add(b, "integrity:  %s, %s checked", str(in, "status"), cs);
		if (*str(in, "reason"))
			sb_add(b, " -- %s", esc(b, str(in, "reason")));
		sb_add(b, "\n");
	}
}

static void deliverables(struct sb *b, const json_t *root)
{
	const json_t *dl = json_object_get(root, "deliverables"), *d;
	size_t i;

	if (!json_is_array(dl))
		return;
	sb_add(b, "\ndeliverables (%zu):\n", json_array_size(dl));
	json_array_foreach(dl, i, d) {
		const char *st = str(d, "status");
		uint64_t n = num(d, "files");
		const json_t *paths = json_object_get(d, "paths");
		char cs[64];

		count_size(n, num(d, "bytes"), n > 0, cs, sizeof cs);
		sb_add(b, "  %-12s %-15s %-17s ", st, esc(b, str(d, "id")), cs);
		if (strcmp(st, "ok") == 0 && json_array_size(paths) > 0) {
			sb_name(b, json_string_value(json_array_get(paths, 0)));
			if (json_array_size(paths) > 1)
				sb_add(b, " (+%zu more)", json_array_size(paths) - 1);
			if (*str(d, "reason")) { /* an include glob that matched nothing */
				sb_add(b, "; ");
				sb_name(b, str(d, "reason"));
			}
		} else {
			sb_name(b, str(d, "reason"));
		}
		if (json_is_false(json_object_get(d, "required")))
			sb_add(b, " (optional)");
		sb_add(b, "\n");
	}
}

static void path_list(struct sb *b, const json_t *root, const char *key, const char *title, size_t max)
{
	const json_t *a = json_object_get(root, key), *p;
	size_t i;

	if (json_array_size(a) == 0)
		return;
	sb_add(b, "\n%s (%zu):\n", title, json_array_size(a));
	json_array_foreach(a, i, p) {
		if (i == max) {
			sb_add(b, "  ... and %zu more (see --json)\n", json_array_size(a) - max);
			break;
		}
		sb_add(b, "  ");
		sb_name(b, json_string_value(p));
		sb_add(b, "\n");
	}
}

static int cmp_cstr(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* An object's keys, sorted (jansson's order is not a promise). */
static const char **sorted_keys(const json_t *o, size_t *n)
{
	const char **k = malloc((json_object_size(o) + 1) * sizeof *k);
	const char *key;
	json_t *v;

	*n = 0;
	if (k == NULL)
		return NULL;
	json_object_foreach((json_t *)(uintptr_t)o, key, v) {
		(void)v;
		k[(*n)++] = key;
	}
	qsort(k, *n, sizeof *k, cmp_cstr);
	return k;
}

static void inventory(struct sb *b, const json_t *root)
{
	const json_t *inv = json_object_get(root, "inventory");
	const json_t *kinds = json_object_get(inv, "kinds"), *fmts = json_object_get(inv, "formats");
	const char **k;
	size_t n, i;

	if (!json_is_object(inv))
		return;
	sb_add(b, "\ninventory:\n");
	k = sorted_keys(kinds, &n);
	for (i = 0; k != NULL && i < n; i++) {
		const json_t *e = json_object_get(kinds, k[i]);
		char cs[64];

		count_size(num(e, "files"), num(e, "bytes"), true, cs, sizeof cs);
		sb_add(b, "  %-12s %s\n", k[i], cs);
	}
	free(k);
	k = sorted_keys(fmts, &n);
	if (k != NULL && n > 0) {
		sb_add(b, "  %-12s", "formats");
		for (i = 0; i < n; i++)
			sb_add(b, "%s %s %llu", i ? "," : "", k[i],
			       (unsigned long long)json_integer_value(json_object_get(fmts, k[i])));
		sb_add(b, "\n");
	}
	free(k);
}

/* A lossy copy of a string that is not valid UTF-8, as the report's JSON
 * strings hold it (esc_json_string), so that the table shows what --json says. */
static const char *as_json(struct sb *b, const char *s)
{
	char **slot;

	if (esc_escape(NULL, 0, s, strlen(s), ESC_ESCAPE_LOSSY) == strlen(s))
		return s;
	slot = &b->ring[b->ri++ % 4];
	free(*slot);
	*slot = esc_escape_dup(s, strlen(s), ESC_ESCAPE_LOSSY);
	if (*slot == NULL)
		b->oom = true;
	return *slot ? *slot : "";
}

static void files_table(struct sb *b, const struct esc_listing *l)
{
	size_t i, n[3] = {0, 0, 0};

	if (l == NULL)
		return;
	/* the rows are files, links and folders: "files (15)" over 11 files and
	 * 4 folders disagreed with the payload line ("11 files") above it */
	for (i = 0; i < l->n; i++)
		n[l->v[i].type == ESC_FT_DIR ? 1 : l->v[i].type == ESC_FT_SYMLINK ? 2 : 0]++;
	sb_add(b, "\nfiles (%zu", n[0]);
	if (n[2] > 0)
		sb_add(b, ", %zu link%s", n[2], n[2] == 1 ? "" : "s");
	if (n[1] > 0)
		sb_add(b, ", %zu folder%s", n[1], n[1] == 1 ? "" : "s");
	sb_add(b, "):\n  %10s  %-9s %-15s %s\n", "SIZE", "KIND", "DELIVERABLE", "PATH");
	for (i = 0; i < l->n && !b->oom; i++) {
		const struct esc_file *f = &l->v[i];
		uint32_t d = l->deliv != NULL ? l->deliv[i] : UINT32_MAX;
		const char *dl = d != UINT32_MAX && d < l->n_ids ? l->ids[d] : "";
		char size[32] = "-";

		if (f->type == ESC_FT_FILE)
			esc_human_size(f->size, size, sizeof size);
		sb_add(b, "  %10s  %-9s %-15s ", size, f->type == ESC_FT_SYMLINK ? "link" : l->kind[i] != NULL
		       ? l->kind[i] : "-", *dl ? esc(b, dl) : "-");
		sb_name(b, as_json(b, f->path));
		if (f->type == ESC_FT_DIR)
			sb_add(b, "/");
		if (f->type == ESC_FT_SYMLINK && esc_file_target(f) != NULL && *esc_file_target(f)) {
			sb_add(b, " -> ");
			sb_name(b, as_json(b, esc_file_target(f)));
		}
		sb_add(b, "\n");
	}
}

static void warnings(struct sb *b, const json_t *root)
{
	const json_t *w = json_object_get(root, "warnings"), *e;
	size_t i;

	if (json_array_size(w) == 0)
		return;
	sb_add(b, "\nwarnings (%zu):\n", json_array_size(w));
	json_array_foreach(w, i, e) {
		sb_add(b, "  ");
		sb_name(b, str(e, "message"));
		sb_add(b, "\n");
	}
}

/* The reason for a good verdict, said plainly. */
static void good_reason(const json_t *root, char *out, size_t len)
{
	const json_t *dl = json_object_get(root, "deliverables"), *sig = json_object_get(root, "signature");
	const json_t *in = json_object_get(root, "integrity");
	size_t nd = json_array_size(dl), o = 0;

	out[0] = '\0';
	if (json_is_object(sig) && strcmp(str(sig, "status"), "good") == 0)
		o += (size_t)snprintf(out + o, len - o, "good signature%s%s, ", *str(sig, "key_id") ? " by " : "",
		                      str(sig, "key_id"));
	if (json_is_object(in) && o < len)
		o += (size_t)snprintf(out + o, len - o, "%llu file%s intact, ", (unsigned long long)num(in, "files"),
		                      num(in, "files") == 1 ? "" : "s");
	if (o >= len)
		return;
	if (strcmp(str(root, "command"), "list") == 0) {
		if (o >= 2)
			out[o - 2] = '\0'; /* list does not judge the contract */
		return;
	}
	if (json_is_array(dl)) {
		const json_t *d;
		size_t i, req = 0, opt_bad = 0;

		json_array_foreach(dl, i, d) {
			if (json_is_false(json_object_get(d, "required")))
				opt_bad += strcmp(str(d, "status"), "ok") != 0;
			else
				req++;
		}
		o += (size_t)snprintf(out + o, len - o, "%s%zu required deliverable%s ok", req == 1 ? "the " : "all ",
		                      req, req == 1 ? "" : "s");
		if (opt_bad > 0 && o < len)
			o += (size_t)snprintf(out + o, len - o, " (%zu optional not)", opt_bad);
		if (o < len)
			snprintf(out + o, len - o, ", nothing forbidden");
		(void)nd;
	} else
		snprintf(out + o, len - o, "no contract checked (give one with -c)");
}

void esc_report_text_out(const escrow_report *r, struct esc_out *o)
{
	struct sb b = {0};
	const char *cmd, *verdict;
	char reason[512];

	if (r->root == NULL) {
		o->st = ESCROW_E_USAGE;
		return;
	}
	b.out = o;
	cmd = str(r->root, "command");
	if (strcmp(cmd, "diff") == 0) {
		esc_diff_text_out(r, o);
		return;
	}
	header(&b, r->root);
	trust(&b, r->root);
	deliverables(&b, r->root);
	path_list(&b, r->root, "forbidden", "forbidden by the contract", 20);
	path_list(&b, r->root, "unassigned", "unassigned (in no deliverable)", 5);
	if (strcmp(cmd, "list") == 0)
		files_table(&b, r->list);
	inventory(&b, r->root);
	warnings(&b, r->root);
	verdict = str(r->root, "verdict");
	if (*verdict) {
		const char *why = str(r->root, "reason");

		if (*why == '\0') {
			good_reason(r->root, reason, sizeof reason);
			why = reason;
		}
		sb_add(&b, "\nverdict: %s", verdict);
		if (*why) {
			sb_add(&b, " -- ");
			sb_name(&b, why);
		}
		sb_add(&b, "\n");
	}
	sb_flush(&b);
	for (size_t i = 0; i < sizeof b.ring / sizeof b.ring[0]; i++)
		free(b.ring[i]);
	free(b.p);
	if (b.oom && o->st == ESCROW_OK)
		o->st = ESCROW_E_NOMEM;
}

char *escrow_report_text(const escrow_report *r)
{
	struct esc_out o = {NULL, NULL, NULL, 0, 0, ESCROW_OK};

	if (r == NULL)
		return NULL;
	esc_report_text_out(r, &o);
	if (o.st == ESCROW_OK && o.p == NULL)
		esc_out_put(&o, "", 0);
	if (o.st != ESCROW_OK) {
		free(o.p);
		return NULL;
	}
	return o.p;
}
