/* test_report_cert.c -- the certificate's HTML: text from outside escaped
 * (markup, quotes, controls, bidi controls, bytes that are not UTF-8), the
 * diff summary rendered from an 'escrow diff' report and only when given,
 * byte counts in both languages, and a whole page made from a report whose
 * every string is hostile holds no markup but ours. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "esc_cert.h"

/* What f wrote into a fresh buffer (malloc'd). */
static char *out_of(void (*f)(struct esc_out *, const void *), const void *arg)
{
	struct esc_out o = {0};

	f(&o, arg);
	assert_int_equal(o.st, ESCROW_OK);
	return o.p != NULL ? o.p : strdup("");
}

static void text_of(struct esc_out *o, const void *s)
{
	esc_cert_text(o, s);
}

static void test_text_escapes(void **state)
{
	static const struct {
		const char *in, *want;
	} cases[] = {
		{"<script>alert(1)</script>", "&lt;script&gt;alert(1)&lt;/script&gt;"},
		{"a & b \"q\" 'a'", "a &amp; b &quot;q&quot; &#39;a&#39;"},
		{"<img src=x onerror=alert(2)>", "&lt;img src=x onerror=alert(2)&gt;"},
		{"bell\x07" "end", "bell\\x07end"},
		{"line\nbreak\r", "line\\x0abreak\\x0d"},
		{"esc\x1b[31m", "esc\\x1b[31m"},
		{"del\x7f", "del\\x7f"},
		{"rtl\xe2\x80\xaegnp.exe", "rtl\\u202egnp.exe"},   /* U+202E RIGHT-TO-LEFT OVERRIDE */
		{"c1\xc2\x9b" "2J", "c1\\u009b2J"},                /* U+009B CSI */
		{"bad\xff\xfe", "bad\\xff\\xfe"},
		{"Dépôt séquestre", "Dépôt séquestre"},
		{"", ""},
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char *got = out_of(text_of, cases[i].in);

		assert_string_equal(got, cases[i].want);
		free(got);
	}
}

static void test_lines_keep_newlines(void **state)
{
	struct esc_out o = {0};

	(void)state;
	esc_cert_lines(&o, "untrusted comment: <x>\nRUS+/=\ntrusted comment: a\x01" "b\n");
	assert_int_equal(o.st, ESCROW_OK);
	assert_string_equal(o.p, "untrusted comment: &lt;x&gt;\nRUS+/=\ntrusted comment: a\\x01b\n");
	free(o.p);
}

static void test_bytes(void **state)
{
	struct esc_out o = {0};

	(void)state;
	esc_cert_bytes(&o, esc_cert_words("en"), 224095);
	esc_cert_raw(&o, "|");
	esc_cert_bytes(&o, esc_cert_words("fr"), 224095);
	esc_cert_raw(&o, "|");
	esc_cert_bytes(&o, esc_cert_words("en"), 999);
	esc_cert_raw(&o, "|");
	esc_cert_bytes(&o, esc_cert_words("fr"), 3221225472u);
	assert_int_equal(o.st, ESCROW_OK);
	assert_string_equal(o.p, "224,095 bytes (218.8\u00a0KiB)|224\u202f095 octets (218,8\u00a0Kio)|999 bytes|"
	                         "3\u202f221\u202f225\u202f472 octets (3,0\u00a0Gio)");
	free(o.p);
	assert_null(esc_cert_words("de"));
	assert_non_null(esc_cert_words(NULL));
}

static void diff_of(struct esc_out *o, const void *diff)
{
	esc_cert_diff(o, esc_cert_words("en"), diff);
}

static void test_diff(void **state)
{
	json_t *d = json_pack("{s:i, s:[s,s], s:i, s:i, s:[{s:s, s:s, s:s}, s]}", "added", 3, "removed", "a.py",
	                      "b.py", "changed", 5, "renamed", 1, "regressions", "id", "<classifier>", "from", "ok", "to",
	                      "missing", "docs");
	char *got;

	(void)state;
	assert_non_null(d);
	got = out_of(diff_of, NULL);
	assert_string_equal(got, ""); /* nothing when no diff is given */
	free(got);
	got = out_of(diff_of, d);
	assert_non_null(strstr(got, "<b>3</b> added \u00b7 <b>2</b> removed \u00b7 <b>5</b> changed \u00b7 <b>1</b> renamed"));
	assert_non_null(strstr(got, "<span class=\"bad\">&lt;classifier&gt;</span> (ok \u2192 missing), docs"));
	assert_null(strstr(got, "<classifier>"));
	free(got);
	json_decref(d);
	d = json_pack("{s:i, s:[]}", "added", 0, "regressions");
	got = out_of(diff_of, d);
	assert_non_null(strstr(got, "no deliverable regressed"));
	assert_null(strstr(got, "removed")); /* a count not given is not made up */
	free(got);
	json_decref(d);
}

static void page_of(struct esc_out *o, const void *c)
{
	esc_cert_render(c, o);
}

/* Every '<' of the page opens one of our own tags. */
static void only_our_tags(const char *page)
{
	static const char *const tags[] = {"!DOCTYPE html", "html", "/html", "head", "/head", "meta", "title",
	                                   "/title", "style", "/style", "body", "/body", "div", "/div", "header",
	                                   "/header", "h1", "/h1", "h2", "/h2", "p", "/p", "b", "/b", "span", "/span",
	                                   "table", "/table", "tr", "/tr", "th", "/th", "td", "/td", "section",
	                                   "/section", "svg", "/svg", "text", "/text", "rect", "ul", "/ul", "li",
	                                   "/li", "pre", "/pre", "footer", "/footer", "br"};
	const char *p;
	size_t i;

	for (p = strchr(page, '<'); p != NULL; p = strchr(p + 1, '<')) {
		for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
			size_t n = strlen(tags[i]);

			if (strncmp(p + 1, tags[i], n) == 0 && strchr(" >/", p[1 + n]) != NULL)
				break;
		}
		if (i == sizeof tags / sizeof tags[0])
			fail_msg("a tag that is not ours: %.40s", p);
	}
	assert_null(strstr(page, "http"));
	assert_null(strstr(page, "onerror="));
	assert_null(strstr(page, "onload="));
}

static void test_hostile_page(void **state)
{
	const char *evil = "<script>alert(1)</script>\x07\xe2\x80\xae'\"&";
	json_t *report = json_pack(
		"{s:s, s:s, s:{s:s, s:s, s:s, s:s, s:s, s:b}, s:{s:s, s:s, s:s},"
		" s:{s:s, s:s}, s:[{s:s, s:s, s:s, s:s, s:s, s:i, s:i, s:b}],"
		" s:{s:{s:{s:i, s:i}}}, s:[{s:s, s:s}], s:[s], s:[s]}",
		"verdict", evil, "tool", evil,
		"bundle", "agency", evil, "name", evil, "release", evil, "bag", evil, "created", evil, "sealed", 1,
		"contract", "id", evil, "sha256", evil, "bundle_copy", evil,
		"signature", "status", evil, "signed_by", evil,
		"deliverables", "id", evil, "kind", evil, "description", evil, "status", evil, "reason", evil, "files", 1,
		"bytes", 2, "required", 0,
		"inventory", "kinds", evil, "files", 1, "bytes", 2,
		"warnings", "file", evil, "message", evil,
		"unassigned", evil, "forbidden", evil);
	json_t *receipt = json_pack("{s:{s:s, s:{s:{s:i, s:s}}}}", "predicate", "verificationResult", evil, "escrow",
	                            "ledger_head", "seq", 3, "hash", evil);
	json_t *diff = json_pack("{s:i, s:[{s:s, s:s, s:s}]}", "added", 1, "regressions", "id", evil, "from", evil,
	                         "to", evil);
	struct esc_cert c = {.w = esc_cert_words("fr"), .lang = "fr", .report = report, .mode = ESC_CERT_RECORDED,
	                     .why_recorded = evil, .bundle_file = evil, .bundle_size = 5, .have_size = true,
	                     .notary_key_id = evil, .vault_path = evil, .deposit_id = 2, .received_at = evil,
	                     .recorded_verdict = evil, .receipt_path = evil, .receipt = receipt,
	                     .receipt_sig = evil, .diff = diff};
	char *page;
	const char *p;

	(void)state;
	assert_non_null(report);
	assert_non_null(receipt);
	assert_non_null(diff);
	strcpy(c.verified_at, "2026-12-06T12:00:00Z");
	strcpy(c.bundle_sha256, "ab");
	page = out_of(page_of, &c);
	only_our_tags(page);
	for (p = page; *p; p++) /* no raw control but the layout's newlines */
		assert_true((unsigned char)*p >= 0x20 || *p == '\n');
	assert_null(strstr(page, "\xe2\x80\xae"));
	assert_non_null(strstr(page, "&lt;script&gt;alert(1)&lt;/script&gt;\\x07\\u202e&#39;&quot;&amp;"));
	assert_non_null(strstr(page, "<html lang=\"fr\">"));
	assert_non_null(strstr(page, "Certificat de dépôt sous séquestre"));
	free(page);
	json_decref(report);
	json_decref(receipt);
	json_decref(diff);
}

static void hand_of(struct esc_out *o, const void *c)
{
	esc_cert_by_hand(o, c);
}

/* The "by hand" commands are copied into a shell: a hostile bundle, bag or
 * receipt name stays one quoted word ('\'' for each quote in it), never a
 * command of its own; plain names stay bare. */
static void test_by_hand_quotes(void **state)
{
	json_t *report = json_pack("{s:{s:s}}", "bundle", "bag", "b a;g'$(id)");
	json_t *receipt = json_object();
	struct esc_cert c = {.w = esc_cert_words("en"), .lang = "en", .report = report,
	                     .bundle_file = "/in/x';touch pwned;'.escrow", .receipt_path = "r/it's.json",
	                     .receipt = receipt};
	char *page;

	(void)state;
	assert_non_null(report);
	page = out_of(hand_of, &c);
	assert_non_null(strstr(page, "F=&#39;x&#39;\\&#39;&#39;;touch pwned;&#39;\\&#39;&#39;.escrow&#39;\n"));
	assert_non_null(strstr(page, "cd &#39;b a;g&#39;\\&#39;&#39;$(id)&#39; &amp;&amp; minisign"));
	assert_non_null(strstr(page, "minisign -Vm &#39;it&#39;\\&#39;&#39;s.json&#39; -p notary.pub"));
	free(page);
	json_decref(report);
	report = json_pack("{s:{s:s}}", "bundle", "bag", "fraud-scoring_1.0");
	c.report = report;
	c.bundle_file = "deposit.escrow";
	c.receipt_path = "RECEIPT.json";
	page = out_of(hand_of, &c);
	assert_non_null(strstr(page, "F=&#39;deposit.escrow&#39;\n"));
	assert_non_null(strstr(page, "cd fraud-scoring_1.0 &amp;&amp;"));
	assert_non_null(strstr(page, "minisign -Vm RECEIPT.json -p"));
	free(page);
	c.receipt_path = "-x.json"; /* never taken for an option */
	page = out_of(hand_of, &c);
	assert_non_null(strstr(page, "minisign -Vm &#39;-x.json&#39; -p"));
	free(page);
	json_decref(report);
	json_decref(receipt);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_escapes),
		cmocka_unit_test(test_lines_keep_newlines),
		cmocka_unit_test(test_bytes),
		cmocka_unit_test(test_diff),
		cmocka_unit_test(test_hostile_page),
		cmocka_unit_test(test_by_hand_quotes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
