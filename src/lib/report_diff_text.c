/* report_diff_text.c -- escrow diff's report as a person reads it, made from
 * its JSON: the two bundles, the regressions first, then each deliverable's
 * status and changed files, the files in no deliverable, the warnings, and
 * the verdict last. Every string from outside (paths, names, tensor names,
 * reasons) is escaped (core_escape.c). */
#include "esc_diff.h"

#include <stdlib.h>
#include <string.h>

#define FILES_SHOWN 50u   /* per deliverable and kind of change; the JSON lists more */
#define MODEL_LINES 8u    /* per changed model file */

struct tb {
	struct esc_out *out;
	char line[2048];
};

static void put(struct tb *t, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct tb *t, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(t->line, sizeof t->line, fmt, ap);
	va_end(ap);
	if (n > 0)
		esc_out_put(t->out, t->line, (size_t)n < sizeof t->line ? (size_t)n : sizeof t->line - 1);
}

/* Outside text, escaped. */
static void name(struct tb *t, const char *s)
{
	char *e = esc_escape_dup(s ? s : "", s ? strlen(s) : 0, ESC_ESCAPE_TEXT);

	if (e == NULL) {
		t->out->st = ESCROW_E_NOMEM;
		return;
	}
	esc_out_put(t->out, e, strlen(e));
	free(e);
}

/* A JSON value in one line, escaped, cut at max bytes. */
static void value(struct tb *t, const json_t *v, size_t max)
{
	char *s = v != NULL ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY | JSON_SORT_KEYS) : NULL;

	if (s != NULL && strlen(s) > max) {
		size_t cut = max;

		while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
			cut--;
		memcpy(s + cut, "...", 4);
	}
	name(t, s != NULL ? s : "none");
	free(s);
}

static const char *str(const json_t *o, const char *key)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL ? v : "";
}

static uint64_t num(const json_t *o, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(o, key));

	return v > 0 ? (uint64_t)v : 0;
}

static void side(struct tb *t, const char *label, const json_t *s)
{
	const json_t *b = json_object_get(s, "bundle"), *sig = json_object_get(s, "signature");

	put(t, "%s", label);
	name(t, str(b, "path"));
	put(t, " (%s)", json_is_true(json_object_get(b, "sealed")) ? "sealed" : "not sealed");
	if (*str(b, "name")) {
		put(t, ": ");
		name(t, str(b, "name"));
		put(t, " release ");
		name(t, *str(b, "release") ? str(b, "release") : "unreleased");
	}
	if (*str(b, "created")) {
		put(t, ", created ");
		name(t, str(b, "created"));
	}
	put(t, " -- %s", str(s, "verdict"));
	/* "signed by" only for a signature that verified: without -p it was
	 * never checked, and the key id it names is anyone's to write */
	if (*str(sig, "signed_by") && strcmp(str(sig, "status"), "good") == 0) {
		put(t, ", signed by ");
		name(t, str(sig, "signed_by"));
	} else if (*str(sig, "signed_by")) {
		put(t, ", its signature names ");
		name(t, str(sig, "signed_by"));
		put(t, " (%s)", strcmp(str(sig, "status"), "not-checked") == 0 ? "not checked" : str(sig, "status"));
	}
	put(t, "\n");
}

static void header(struct tb *t, const json_t *root)
{
	const json_t *c = json_object_get(root, "contract"), *ch = json_object_get(root, "changes");
	const char *from = str(c, "from");
	char a[32], b[32];

	side(t, "old:        ", json_object_get(root, "old"));
	side(t, "new:        ", json_object_get(root, "new"));
	put(t, "signatures: %s\n", strcmp(str(root, "signatures"), "checked") == 0 ? "checked (-p)"
	                           : "not checked (no -p PUBKEY)");
	put(t, "contract:   ");
	if (strcmp(from, "none") == 0) {
		put(t, "none (no -c, and neither bundle holds a readable copy): no deliverables\n");
	} else {
		name(t, str(c, "id"));
		put(t, " (");
		if (strcmp(from, "contract") == 0) {
			put(t, "given with -c: ");
			name(t, str(c, "path"));
		} else {
			put(t, "the copy inside the %s bundle", strcmp(from, "new-bundle") == 0 ? "new" : "old");
		}
		put(t, ", sha256 %.16s)\n", str(c, "sha256"));
	}
	if (*str(c, "copies"))
		put(t, "copies:     the contract copies inside the bundles: %s\n", str(c, "copies"));
	if (json_is_object(ch)) {
		esc_human_size(num(ch, "old_bytes"), a, sizeof a);
		esc_human_size(num(ch, "new_bytes"), b, sizeof b);
		put(t, "payload:    %llu files, %s -> %llu files, %s\n", (unsigned long long)num(ch, "old_files"), a,
		    (unsigned long long)num(ch, "new_files"), b);
		put(t, "changes:    %llu added, %llu removed, %llu changed, %llu renamed, %llu unchanged\n",
		    (unsigned long long)num(ch, "added"), (unsigned long long)num(ch, "removed"),
		    (unsigned long long)num(ch, "changed"), (unsigned long long)num(ch, "renamed"),
		    (unsigned long long)num(ch, "unchanged"));
		if (json_is_true(json_object_get(ch, "truncated")))
			put(t, "            (the report lists the first %llu changes; the counts are complete)\n",
			    (unsigned long long)num(ch, "listed"));
	}
}

static void regressions(struct tb *t, const json_t *root)
{
	const json_t *regs = json_object_get(root, "regressions"), *r;
	size_t i;

	if (json_array_size(regs) == 0)
		return;
	put(t, "\nREGRESSIONS (%zu): deliverables ok before, not now\n", json_array_size(regs));
	json_array_foreach(regs, i, r) {
		put(t, "  ");
		name(t, str(r, "deliverable"));
		put(t, "%s: ok -> %s", json_is_false(json_object_get(r, "required")) ? " (optional)" : "", str(r, "new"));
		if (*str(r, "reason")) {
			put(t, " -- ");
			name(t, str(r, "reason"));
		}
		put(t, "\n");
	}
}

/* The lines of what changed in a model summary: each key that differs,
 * the shapes tensor by tensor. */
static void model_lines(struct tb *t, const json_t *e)
{
	const json_t *mo = json_object_get(json_object_get(e, "old"), "model");
	const json_t *mn = json_object_get(json_object_get(e, "new"), "model");
	const json_t *keys = json_object_get(e, "model_changes"), *k;
	unsigned lines = 0;
	size_t i;

	json_array_foreach(keys, i, k) {
		const char *key = json_string_value(k);

		if (key == NULL || lines >= MODEL_LINES)
			break;
		if (strcmp(key, "shapes") == 0 && json_is_object(json_object_get(mo, key)) &&
		    json_is_object(json_object_get(mn, key))) {
			const json_t *so = json_object_get(mo, key), *sn = json_object_get(mn, key), *v;
			const char *tn;

			json_object_foreach((json_t *)sn, tn, v) {
				if (lines >= MODEL_LINES || json_equal(v, json_object_get(so, tn)))
					continue;
				put(t, "               shape ");
				name(t, tn);
				put(t, ": ");
				value(t, json_object_get(so, tn), 120);
				put(t, " -> ");
				value(t, v, 120);
				put(t, "\n");
				lines++;
			}
			json_object_foreach((json_t *)so, tn, v) {
				if (lines >= MODEL_LINES || json_object_get(sn, tn) != NULL)
					continue;
				put(t, "               shape ");
				name(t, tn);
				put(t, ": ");
				value(t, v, 120);
				put(t, " -> none\n");
				lines++;
			}
			continue;
		}
		put(t, "               ");
		name(t, key);
		put(t, ": ");
		value(t, json_object_get(mo, key), 200);
		put(t, " -> ");
		value(t, json_object_get(mn, key), 200);
		put(t, "\n");
		lines++;
	}
}

static void size_of(const json_t *f, char *out, size_t len)
{
	if (strcmp(str(f, "type"), "symlink") == 0)
		snprintf(out, len, "symlink");
	else
		esc_human_size(num(f, "size"), out, len);
}

static void files(struct tb *t, const json_t *g)
{
	static const char *const kinds[] = {"added", "removed", "changed", "renamed"};
	char a[32], b[32];

	for (size_t w = 0; w < 4; w++) {
		const json_t *list = json_object_get(g, kinds[w]), *e;
		size_t i;

		json_array_foreach(list, i, e) {
			if (i == FILES_SHOWN) {
				put(t, "    ... %zu more %s (see --json)\n", json_array_size(list) - FILES_SHOWN, kinds[w]);
				break;
			}
			put(t, "    %-9s ", kinds[w]);
			if (w == 3) {
				name(t, str(e, "from"));
				put(t, " -> ");
				name(t, str(e, "to"));
				if (json_object_get(e, "from_deliverable") != NULL) {
					put(t, " (from ");
					name(t, json_is_string(json_object_get(e, "from_deliverable"))
					        ? str(e, "from_deliverable") : "no deliverable");
					put(t, ")");
				}
				put(t, "\n");
				if (json_is_boolean(json_object_get(e, "from_executable")))
					put(t, "               mode %s -> %s\n",
					    json_is_true(json_object_get(e, "from_executable")) ? "0755" : "0644",
					    json_is_true(json_object_get(e, "executable")) ? "0755" : "0644");
				continue;
			}
			name(t, str(e, "path"));
			if (w == 2) {
				const json_t *o = json_object_get(e, "old"), *n = json_object_get(e, "new");
				const bool two_files = strcmp(str(o, "type"), "file") == 0 && strcmp(str(n, "type"), "file") == 0;
				const bool same_bytes = two_files && strcmp(str(o, "sha256"), str(n, "sha256")) == 0;

				size_of(o, a, sizeof a);
				size_of(n, b, sizeof b);
				put(t, " (%s -> %s%s)\n", a, b, same_bytes ? ", same bytes" : strcmp(a, b) == 0 && two_files
				    ? ", same size, other bytes" : "");
				if (two_files && json_is_true(json_object_get(o, "executable")) !=
				                 json_is_true(json_object_get(n, "executable")))
					put(t, "               mode %s -> %s\n",
					    json_is_true(json_object_get(o, "executable")) ? "0755" : "0644",
					    json_is_true(json_object_get(n, "executable")) ? "0755" : "0644");
				if (strcmp(str(o, "type"), "symlink") == 0 && strcmp(str(n, "type"), "symlink") == 0) {
					put(t, "               target ");
					name(t, str(o, "target"));
					put(t, " -> ");
					name(t, str(n, "target"));
					put(t, "\n");
				}
				model_lines(t, e);
			} else {
				size_of(e, a, sizeof a);
				put(t, " (%s)\n", a);
				if (json_is_object(json_object_get(e, "model"))) {
					put(t, "               model ");
					value(t, json_object_get(e, "model"), 200);
					put(t, "\n");
				}
			}
		}
	}
}

/* "1 added, 2 changed" or "no file changed". */
static void counts(struct tb *t, const json_t *g)
{
	static const char *const kinds[] = {"added", "removed", "changed", "renamed"};
	const json_t *c = json_object_get(g, "counts");
	bool any = false;

	for (size_t w = 0; w < 4; w++)
		if (num(c, kinds[w]) > 0) {
			put(t, "%s%llu %s", any ? ", " : "", (unsigned long long)num(c, kinds[w]), kinds[w]);
			any = true;
		}
	if (!any)
		put(t, "no file changed");
}

static void deliverables(struct tb *t, const json_t *root)
{
	const json_t *dl = json_object_get(root, "deliverables"), *d, *un = json_object_get(root, "unassigned");
	size_t i;

	if (json_array_size(dl) > 0) {
		put(t, "\ndeliverables (%zu):\n", json_array_size(dl));
		json_array_foreach(dl, i, d) {
			const char *was = str(json_object_get(d, "old"), "status"), *now = str(json_object_get(d, "new"), "status");

			put(t, "  ");
			name(t, str(d, "id"));
			if (strcmp(was, now) == 0)
				put(t, ": %s", now);
			else
				put(t, ": %s -> %s%s", was, now, strcmp(str(d, "change"), "regression") == 0 ? " (REGRESSION)"
				    : strcmp(str(d, "change"), "fixed") == 0 ? " (fixed)" : "");
			put(t, "; ");
			counts(t, d);
			put(t, "\n");
			if (strcmp(was, now) != 0 && *str(json_object_get(d, "new"), "reason")) {
				put(t, "    now: ");
				name(t, str(json_object_get(d, "new"), "reason"));
				put(t, "\n");
			}
			files(t, d);
		}
	}
	if (json_is_object(un)) {
		put(t, "\n%s: ", json_array_size(dl) > 0 ? "unassigned (in no deliverable)" : "files");
		counts(t, un);
		put(t, "\n");
		files(t, un);
	}
}

static void warnings(struct tb *t, const json_t *root)
{
	const json_t *w = json_object_get(root, "warnings"), *e;
	size_t i;

	if (json_array_size(w) == 0)
		return;
	put(t, "\nwarnings (%zu):\n", json_array_size(w));
	json_array_foreach(w, i, e) {
		put(t, "  ");
		name(t, str(e, "message"));
		put(t, "\n");
	}
}

void esc_diff_text_out(const escrow_report *r, struct esc_out *o)
{
	struct tb t = {.out = o};
	const json_t *root = r->root, *ch = json_object_get(root, "changes");
	size_t regs = json_array_size(json_object_get(root, "regressions"));

	header(&t, root);
	if (json_is_true(json_object_get(root, "compared"))) {
		regressions(&t, root);
		deliverables(&t, root);
	}
	warnings(&t, root);
	put(&t, "\nverdict: %s -- ", str(root, "verdict"));
	if (json_is_true(json_object_get(root, "compared"))) {
		uint64_t n = num(ch, "added") + num(ch, "removed") + num(ch, "changed") + num(ch, "renamed");

		if (regs > 0)
			put(&t, "%zu regression%s, ", regs, regs == 1 ? "" : "s");
		put(&t, "%llu file%s differ%s\n", (unsigned long long)n, n == 1 ? "" : "s", n == 1 ? "s" : "");
	} else {
		name(&t, str(root, "reason"));
		put(&t, "\n");
	}
}
