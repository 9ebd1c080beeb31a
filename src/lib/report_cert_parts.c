/* report_cert_parts.c -- pieces of the certificate page: text from outside
 * made safe for HTML, byte counts for people, the inventory chart (inline
 * SVG), the receipt, the diff summary and the commands to check by hand. */
#include "esc_cert.h"
#include "esc_escape.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

const char *esc_cert_str(const json_t *obj, const char *key)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	return json_is_string(v) ? json_string_value(v) : NULL;
}

bool esc_cert_int(const json_t *obj, const char *key, int64_t *out)
{
	const json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;

	if (!json_is_integer(v))
		return false;
	*out = (int64_t)json_integer_value(v);
	return true;
}

void esc_cert_raw(struct esc_out *o, const char *s)
{
	esc_out_put(o, s, strlen(s));
}

void esc_cert_rawf(struct esc_out *o, const char *fmt, ...)
{
	va_list ap;
	char buf[512];
	int n;

	va_start(ap, fmt);
	n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof buf) {
		o->st = o->st == ESCROW_OK ? ESCROW_E_INTERNAL : o->st; /* our own markup never is this long */
		return;
	}
	esc_out_put(o, buf, (size_t)n);
}

/* Controls, bidi controls and bytes that are not UTF-8 become visible escapes
 * first (a name cannot hide or reorder what a reader sees), then the five
 * characters HTML gives a meaning to become references. */
void esc_cert_text(struct esc_out *o, const char *s)
{
	char *shown;
	size_t i, start = 0;

	if (s == NULL)
		return;
	shown = esc_escape_dup(s, strlen(s), ESC_ESCAPE_TEXT);
	if (shown == NULL) {
		o->st = ESCROW_E_NOMEM;
		return;
	}
	for (i = 0; shown[i] != '\0'; i++) {
		const char *ref = NULL;

		switch (shown[i]) {
		case '&': ref = "&amp;"; break;
		case '<': ref = "&lt;"; break;
		case '>': ref = "&gt;"; break;
		case '"': ref = "&quot;"; break;
		case '\'': ref = "&#39;"; break;
		default: continue;
		}
		esc_out_put(o, shown + start, i - start);
		esc_cert_raw(o, ref);
		start = i + 1;
	}
	esc_out_put(o, shown + start, i - start);
	free(shown);
}

void esc_cert_lines(struct esc_out *o, const char *s)
{
	const char *nl;
	char *line;

	while (s != NULL && *s != '\0') {
		nl = strchr(s, '\n');
		line = strndup(s, nl ? (size_t)(nl - s) : strlen(s));
		if (line == NULL) {
			o->st = ESCROW_E_NOMEM;
			return;
		}
		esc_cert_text(o, line);
		free(line);
		if (nl == NULL)
			break;
		esc_cert_raw(o, "\n");
		s = nl + 1;
	}
}

/* n with the language's thousands separator. */
void esc_cert_grouped(struct esc_out *o, const struct esc_cert_words *w, uint64_t n)
{
	char digits[24];
	int len = snprintf(digits, sizeof digits, "%" PRIu64, n), i;

	for (i = 0; i < len; i++) {
		if (i > 0 && (len - i) % 3 == 0)
			esc_cert_raw(o, w->thousands);
		esc_out_put(o, digits + i, 1);
	}
}

void esc_cert_bytes(struct esc_out *o, const struct esc_cert_words *w, uint64_t n)
{
	const char *unit = w->kib;
	double x = (double)n / 1024.0;
	char num[32], *dot;

	esc_cert_grouped(o, w, n);
	esc_cert_rawf(o, " %s", w->bytes);
	if (n < 1024)
		return;
	if (x >= 1024.0) {
		x /= 1024.0;
		unit = w->mib;
	}
	if (x >= 1024.0) {
		x /= 1024.0;
		unit = w->gib;
	}
	snprintf(num, sizeof num, "%.1f", x);
	dot = strchr(num, '.');
	if (dot != NULL)
		*dot = '\0';
	esc_cert_rawf(o, " (%s%s%s\u00a0%s)", num, dot ? w->decimal : "", dot ? dot + 1 : "", unit);
}

/* ---- the inventory chart ---- */

#define CHART_W 360
#define CHART_ROW 13
#define CHART_LABEL 70
#define CHART_BAR (CHART_W - CHART_LABEL - 118)

/* One bar: the kind, its bar, its files and bytes. */
static void bar(struct esc_out *o, const struct esc_cert_words *w, const char *key, const json_t *v, uint64_t max,
                int y)
{
	const char *name = esc_cert_kind(w, key);
	int64_t b = 0, f = 0;
	int len;

	esc_cert_int(v, "bytes", &b);
	esc_cert_int(v, "files", &f);
	/* a bar at least a hair wide, so that a kind with few bytes shows */
	len = max > 0 ? (int)((double)b * CHART_BAR / (double)max + 0.5) : 0;
	if (len < 2)
		len = 2;
	esc_cert_rawf(o, "<text x=\"0\" y=\"%d\" class=\"lbl\">", y + 10);
	if (name != NULL)
		esc_cert_raw(o, name);
	else
		esc_cert_text(o, key);
	esc_cert_rawf(o, "</text><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"10\" class=\"bar\"/>"
	              "<text x=\"%d\" y=\"%d\" class=\"val\">", CHART_LABEL, y + 2, len, CHART_LABEL + len + 4, y + 10);
	esc_cert_grouped(o, w, (uint64_t)f);
	esc_cert_rawf(o, " %s \u00b7 ", w->files_word);
	esc_cert_grouped(o, w, (uint64_t)b);
	esc_cert_rawf(o, " %s</text>\n", w->bytes);
}

void esc_cert_chart(struct esc_out *o, const struct esc_cert_words *w, const json_t *kinds)
{
	/* the order of docs/FORMAT.md, then any kind this build does not know */
	static const char *const order[] = {"code", "model", "data", "docs", "prompts", "config", "pipeline", "other"};
	const size_t n_order = sizeof order / sizeof order[0];
	const char *key;
	json_t *v;
	uint64_t max = 0;
	int rows = 0, y = 1;
	size_t i;

	json_object_foreach((json_t *)kinds, key, v) {
		int64_t b = 0;

		if (esc_cert_int(v, "bytes", &b) && (uint64_t)b > max)
			max = (uint64_t)b;
		rows++;
	}
	if (!json_is_object(kinds) || rows == 0) {
		/* an empty deposit has an inventory: it holds nothing */
		esc_cert_rawf(o, "<p class=\"muted\">%s</p>\n", json_is_object(kinds) ? w->inv_empty : w->inv_none);
		return;
	}
	esc_cert_rawf(o, "<svg class=\"chart\" role=\"img\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\">\n",
	              CHART_W, rows * CHART_ROW + 2, CHART_W, rows * CHART_ROW + 2);
	for (i = 0; i < n_order; i++)
		if ((v = json_object_get(kinds, order[i])) != NULL) {
			bar(o, w, order[i], v, max, y);
			y += CHART_ROW;
		}
	json_object_foreach((json_t *)kinds, key, v) {
		for (i = 0; i < n_order && strcmp(key, order[i]) != 0; i++)
			;
		if (i == n_order) {
			bar(o, w, key, v, max, y);
			y += CHART_ROW;
		}
	}
	esc_cert_raw(o, "</svg>\n");
}

/* ---- the receipt ---- */

static void row(struct esc_out *o, const char *label, const char *value, const char *cls)
{
	esc_cert_rawf(o, "<tr><th>%s</th><td%s%s%s>", label, cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
	esc_cert_text(o, value);
	esc_cert_raw(o, "</td></tr>\n");
}

void esc_cert_receipt(struct esc_out *o, const struct esc_cert *c)
{
	const struct esc_cert_words *w = c->w;
	const json_t *pred, *esc, *head;
	int64_t seq = 0;

	if (c->notary_key_id == NULL)
		return;
	esc_cert_rawf(o, "<section class=\"receipt\"><h2>%s</h2>\n", w->s_receipt);
	if (c->receipt == NULL) {
		esc_cert_rawf(o, "<p class=\"muted\">%s</p></section>\n", w->no_receipt);
		return;
	}
	pred = json_object_get(c->receipt, "predicate");
	esc = json_object_get(pred, "escrow");
	head = json_object_get(esc, "ledger_head");
	esc_cert_raw(o, "<table class=\"kv\">\n");
	row(o, w->receipt_digest, c->receipt_sha256, "mono");
	row(o, w->notary_key, c->notary_key_id, "mono");
	esc_cert_rawf(o, "<tr><th>%s</th><td class=\"mono\">", w->ledger_head);
	if (esc_cert_int(head, "seq", &seq))
		esc_cert_rawf(o, "%s %" PRId64 " \u00b7 ", w->event, seq);
	esc_cert_text(o, esc_cert_str(head, "hash"));
	esc_cert_raw(o, "</td></tr>\n");
	row(o, w->result, esc_cert_str(pred, "verificationResult"), NULL);
	esc_cert_rawf(o, "</table>\n<p class=\"small\">%s: <span class=\"mono\">", w->receipt_sig);
	esc_cert_text(o, c->receipt_path);
	esc_cert_raw(o, ".minisig</span></p>\n<pre class=\"sig\">");
	esc_cert_lines(o, c->receipt_sig);
	esc_cert_raw(o, "</pre></section>\n");
}

/* ---- the diff against the previous deposit ----
 * Kept apart on purpose: it renders an 'escrow diff' report, and is shown
 * only when one is given (c->diff); nothing here is made up. */

static bool count_of(const json_t *diff, const char *key, int64_t *n)
{
	const json_t *v = json_object_get(diff, key);

	if (json_is_array(v)) {
		*n = (int64_t)json_array_size(v);
		return true;
	}
	return esc_cert_int(diff, key, n);
}

void esc_cert_diff(struct esc_out *o, const struct esc_cert_words *w, const json_t *diff)
{
	static const char *const keys[] = {"added", "removed", "changed", "renamed"};
	const char *labels[] = {w->added, w->removed, w->changed, w->renamed};
	const json_t *reg = json_object_get(diff, "regressions"), *item;
	size_t i, n_shown = 0;
	int64_t n;

	if (!json_is_object(diff))
		return;
	esc_cert_rawf(o, "<section class=\"diff\"><h2>%s</h2>\n<p>", w->s_diff);
	for (i = 0; i < sizeof keys / sizeof keys[0]; i++)
		if (count_of(diff, keys[i], &n))
			esc_cert_rawf(o, "%s<b>%" PRId64 "</b> %s", n_shown++ ? " \u00b7 " : "", n, labels[i]);
	esc_cert_rawf(o, "</p>\n<p><b>%s</b>: ", w->regressions);
	if (!json_is_array(reg) || json_array_size(reg) == 0)
		esc_cert_raw(o, w->no_regression);
	json_array_foreach(reg, i, item) {
		if (i > 0)
			esc_cert_raw(o, ", ");
		if (json_is_string(item)) {
			esc_cert_text(o, json_string_value(item));
			continue;
		}
		esc_cert_raw(o, "<span class=\"bad\">");
		esc_cert_text(o, esc_cert_str(item, "id"));
		esc_cert_raw(o, "</span> (");
		esc_cert_text(o, esc_cert_str(item, "from"));
		esc_cert_raw(o, " \u2192 ");
		esc_cert_text(o, esc_cert_str(item, "to"));
		esc_cert_raw(o, ")");
	}
	esc_cert_raw(o, "</p></section>\n");
}

/* ---- by hand ---- */

/* The last component of a path (the commands run beside the file). */
static const char *base(const char *p)
{
	const char *s = p ? strrchr(p, '/') : NULL;

	return s ? s + 1 : p;
}

/* s as one word of a shell command the reader copies: single-quoted, each
 * quote in it closed, escaped and reopened ('\''), so that a hostile file
 * name (x';rm -rf ~;'.escrow) stays one argument when the line is pasted
 * into a shell. Names of only plain characters (not starting with '-') are
 * shown bare unless always. */
static void shell_word(struct esc_out *o, const char *s, bool always)
{
	const char *q;

	if (!always && *s != '\0' && *s != '-' && strspn(s, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-+,/:@=%") ==
	                                  strlen(s)) {
		esc_cert_text(o, s);
		return;
	}
	esc_cert_raw(o, "&#39;");
	while ((q = strchr(s, '\'')) != NULL) {
		char *part = strndup(s, (size_t)(q - s));

		if (part == NULL) {
			o->st = ESCROW_E_NOMEM;
			return;
		}
		esc_cert_text(o, part);
		free(part);
		esc_cert_raw(o, "&#39;\\&#39;&#39;");
		s = q + 1;
	}
	esc_cert_text(o, s);
	esc_cert_raw(o, "&#39;");
}

/* The comment that ends a command's line. */
static void cmd(struct esc_out *o, const char *comment)
{
	esc_cert_rawf(o, "   <span class=\"cm\"># %s</span>\n", comment);
}

void esc_cert_by_hand(struct esc_out *o, const struct esc_cert *c)
{
	const struct esc_cert_words *w = c->w;
	const json_t *bundle = json_object_get(c->report, "bundle");
	const char *file = base(c->bundle_file), *bag = esc_cert_str(bundle, "bag");
	bool sealed = json_is_true(json_object_get(bundle, "sealed"));

	if (file == NULL || *file == '\0')
		file = "BUNDLE";
	esc_cert_rawf(o, "<section class=\"hand\"><h2>%s</h2>\n<p class=\"small\">%s</p>\n<pre>", w->s_by_hand,
	              w->by_hand_intro);
	/* the file named once, in a shell variable: the lines stay short */
	esc_cert_raw(o, "F=");
	shell_word(o, file, true);
	esc_cert_raw(o, "\nsha256sum \"$F\"");
	cmd(o, w->h_digest);
	if (sealed) {
		esc_cert_raw(o, "minisign -Vm \"$F\" -p agency.pub");
		cmd(o, w->h_detached);
		esc_cert_raw(o, "age -d -i notary.age \"$F\" | zstd -dc | tar -xf -");
	} else {
		esc_cert_raw(o, "zstd -dc \"$F\" | tar -xf -");
	}
	cmd(o, w->h_open);
	esc_cert_raw(o, "cd ");
	shell_word(o, bag != NULL ? bag : "BAG", false);
	esc_cert_raw(o, " &amp;&amp; minisign -Vm tagmanifest-sha256.txt -p agency.pub");
	cmd(o, w->h_bag_sig);
	esc_cert_raw(o, "sha256sum -c tagmanifest-sha256.txt &amp;&amp; sha256sum -c --quiet manifest-sha256.txt");
	cmd(o, w->h_manifests);
	if (c->receipt != NULL) {
		esc_cert_raw(o, "minisign -Vm ");
		shell_word(o, base(c->receipt_path) ? base(c->receipt_path) : "RECEIPT.json", false);
		esc_cert_raw(o, " -p notary.pub");
		cmd(o, w->h_receipt);
	}
	esc_cert_raw(o, "</pre></section>\n");
}
