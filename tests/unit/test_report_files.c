/* test_report_files.c -- list's files written straight from the records
 * (report_files.c): the JSON is byte for byte what jansson gives for one
 * object per file (escapes included), the text table escapes what comes from
 * outside, and escrow_report_write() hands the same bytes out in pieces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "escrow_private.h"

struct rec {
	const char *path;
	enum esc_ftype type;
	uint64_t size;
	const char *target;
	const char *kind;
	enum esc_format fmt;
	int deliv; /* index in ids, -1 none */
	bool sha;
};

static const char *const ids[] = {"source", "model-a"};

/* A report with a listing of these records, as bundle_list.c makes it. */
static escrow_report *listing_report(const struct rec *recs, size_t n)
{
	escrow_report *r = esc_report_new("list");
	struct esc_listing *l = calloc(1, sizeof *l);
	size_t i;

	assert_non_null(r);
	assert_non_null(l);
	l->n = n;
	l->v = calloc(n + 1, sizeof *l->v);
	l->arena = calloc(3 * n + 1, sizeof *l->arena);
	l->kind = calloc(n + 1, sizeof *l->kind);
	l->format = calloc(n + 1, 1);
	l->deliv = calloc(n + 1, sizeof *l->deliv);
	l->ids = calloc(2, sizeof *l->ids);
	assert_true(l->v && l->arena && l->kind && l->format && l->deliv && l->ids);
	for (i = 0; i < 2; i++)
		l->ids[l->n_ids++] = strdup(ids[i]);
	for (i = 0; i < n; i++) {
		struct esc_file *f = &l->v[i];

		f->path = l->arena[l->n_arena++] = strdup(recs[i].path);
		f->type = recs[i].type;
		f->size = recs[i].size;
		if (recs[i].target != NULL) {
			struct esc_link *lk = calloc(1, sizeof *lk);

			assert_non_null(lk);
			l->arena[l->n_arena++] = (char *)lk;
			lk->target = l->arena[l->n_arena++] = strdup(recs[i].target);
			f->link = lk;
		}
		f->has_sha256 = recs[i].sha;
		memset(f->sha256, (int)(0x10 + i), sizeof f->sha256);
		l->kind[i] = recs[i].kind;
		l->format[i] = (uint8_t)recs[i].fmt;
		l->deliv[i] = recs[i].deliv < 0 ? UINT32_MAX : (uint32_t)recs[i].deliv;
	}
	r->list = l;
	json_object_set_new(r->root, "files", json_array());
	json_object_set_new(r->root, "verdict", json_string("verified"));
	json_object_set_new(r->root, "deliverables_from", json_string("contract"));
	json_object_set_new(r->root, "integrity", json_pack("{s:s,s:I}", "status", "ok", "files", (json_int_t)n));
	return r;
}

/* What the report was before the listing: a jansson object per file. */
static char *jansson_doc(const escrow_report *r)
{
	static const char *const tn[] = {"file", "dir", "symlink"};
	const struct esc_listing *l = r->list;
	json_t *root = json_deep_copy(r->root), *files = json_array();
	size_t i;

	for (i = 0; i < l->n; i++) {
		const struct esc_file *f = &l->v[i];
		json_t *o = json_object();
		char hex[65];

		json_object_set_new(o, "path", json_string(f->path));
		json_object_set_new(o, "type", json_string(tn[f->type]));
		if (f->type == ESC_FT_FILE)
			json_object_set_new(o, "size", json_integer((json_int_t)f->size));
		if (f->has_sha256) {
			esc_hex(f->sha256, 32, hex);
			json_object_set_new(o, "sha256", json_string(hex));
		}
		if (f->type == ESC_FT_SYMLINK)
			json_object_set_new(o, "target", esc_json_string(esc_file_target(f)));
		if (l->kind[i] != NULL)
			json_object_set_new(o, "kind", json_string(l->kind[i]));
		json_object_set_new(o, "deliverable", l->deliv[i] != UINT32_MAX ? json_string(l->ids[l->deliv[i]])
		                                                                 : json_null());
		json_object_set_new(o, "format", l->format[i] ? json_string(esc_format_name(l->format[i])) : json_null());
		json_array_append_new(files, o);
	}
	json_object_set_new(root, "files", files);
	{
		char *doc = esc_json_safe(json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS));

		json_decref(root);
		return doc;
	}
}

static const struct rec hostile[] = {
	{"a", ESC_FT_DIR, 0, NULL, NULL, ESC_FMT_NONE, -1, false},
	{"a/\"q\"\\b\x01\x1f\t\n\r\b\f", ESC_FT_FILE, 3, NULL, "code", ESC_FMT_NONE, 0, true},
	{"a/del\x7f c1\xc2\x9b bidi\xe2\x80\xae\xe2\x81\xa6 caf\xc3\xa9 \xf0\x9f\x98\x80 /x", ESC_FT_FILE,
	 18446744073709551ull, NULL, "model", ESC_FMT_SAFETENSORS, 1, true},
	{"a/link", ESC_FT_SYMLINK, 0, "../\xff\xfe\x1b[2J\xe2\x80\xa8", NULL, ESC_FMT_NONE, -1, true},
	{"a/empty", ESC_FT_FILE, 0, NULL, "other", ESC_FMT_JSON, -1, false},
};

static void test_json_exact(void **state)
{
	escrow_report *r;
	char *got, *want;

	(void)state;
	r = listing_report(hostile, sizeof hostile / sizeof hostile[0]);
	got = escrow_report_json(r);
	want = jansson_doc(r);
	assert_non_null(got);
	assert_non_null(want);
	assert_string_equal(got, want);
	/* nothing a terminal acts on, and the decoded path is the original */
	assert_null(strchr(got, '\x1b'));
	assert_null(strstr(got, "\xc2\x9b"));
	assert_null(strstr(got, "\xe2\x80\xae"));
	free(got);
	free(want);
	escrow_report_free(r);
	/* no files: [] as jansson writes it */
	r = listing_report(hostile, 0);
	got = escrow_report_json(r);
	want = jansson_doc(r);
	assert_string_equal(got, want);
	assert_non_null(strstr(got, "\"files\": [],"));
	free(got);
	free(want);
	escrow_report_free(r);
}

static void test_text_escapes(void **state)
{
	static const struct rec recs[] = {
		{"evil\nverdict: verified", ESC_FT_FILE, 3, NULL, "code", ESC_FMT_NONE, 0, true},
		{"docs/README.md", ESC_FT_SYMLINK, 0, "../README.md", "docs", ESC_FMT_NONE, -1, true},
		{"docs", ESC_FT_DIR, 0, NULL, NULL, ESC_FMT_NONE, -1, false},
		{"x\xc2\x9b", ESC_FT_SYMLINK, 0, "\xff\x1b]52;c;AAA\x07", NULL, ESC_FMT_NONE, -1, true},
	};
	escrow_report *r = listing_report(recs, 4);
	char *text;

	(void)state;
	json_object_set_new(r->root, "verdict", json_string("tampered"));
	json_object_set_new(r->root, "reason", json_string("data/x: digest mismatch"));
	text = escrow_report_text(r);
	assert_non_null(text);
	assert_non_null(strstr(text, "\nfiles (1, 2 links, 1 folder):\n"));
	assert_non_null(strstr(text, "evil\\x0averdict: verified"));
	assert_null(strstr(text, "\nverdict: verified"));
	assert_non_null(strstr(text, "   3 bytes  code      source          evil"));
	assert_non_null(strstr(text, "           -  link      -               docs/README.md -> ../README.md\n"));
	assert_non_null(strstr(text, "           -  -         -               docs/\n"));
	/* the target as --json holds it (U+FFFD for the byte that is not UTF-8), escaped */
	assert_non_null(strstr(text, "x\\u009b -> \xef\xbf\xbd\\x1b]52;c;AAA\\x07\n"));
	assert_null(strchr(text, '\x1b'));
	assert_null(strchr(text, '\x07'));
	assert_non_null(strstr(text, "\nverdict: tampered -- data/x: digest mismatch\n"));
	free(text);
	escrow_report_free(r);
}

struct sink {
	char *p;
	size_t n;
	unsigned calls, fail_at;
};

static int collect(void *user, const void *buf, size_t len)
{
	struct sink *s = user;

	if (++s->calls == s->fail_at)
		return -1;
	s->p = realloc(s->p, s->n + len + 1);
	assert_non_null(s->p);
	memcpy(s->p + s->n, buf, len);
	s->n += len;
	s->p[s->n] = '\0';
	return 0;
}

/* Enough records for the output to go out in many pieces. */
static void test_write_in_pieces(void **state)
{
	enum { N = 6000 };
	struct rec *recs = calloc(N, sizeof *recs);
	char (*names)[32] = calloc(N, sizeof *names);
	escrow_report *r;
	struct sink s = {0};
	char *whole;
	size_t i;

	(void)state;
	for (i = 0; i < N; i++) {
		snprintf(names[i], sizeof names[i], "d/f%05zu\xe2\x80\xae.txt", i);
		recs[i] = (struct rec){names[i], ESC_FT_FILE, i, NULL, "data", ESC_FMT_CSV, (int)(i % 3) - 1, true};
	}
	r = listing_report(recs, N);
	whole = escrow_report_json(r);
	assert_int_equal(escrow_report_write(r, ESCROW_REPORT_JSON, collect, &s), ESCROW_OK);
	assert_true(s.calls > 3);
	assert_string_equal(s.p, whole);
	free(whole);
	whole = jansson_doc(r);
	assert_string_equal(s.p, whole);
	free(whole);
	free(s.p);
	memset(&s, 0, sizeof s);
	whole = escrow_report_text(r);
	assert_int_equal(escrow_report_write(r, 0, collect, &s), ESCROW_OK);
	assert_true(s.calls > 3);
	assert_string_equal(s.p, whole);
	free(whole);
	free(s.p);
	/* a writer that fails stops the rendering */
	memset(&s, 0, sizeof s);
	s.fail_at = 2;
	assert_int_equal(escrow_report_write(r, ESCROW_REPORT_JSON, collect, &s), ESCROW_E_IO);
	assert_int_equal(s.calls, 2);
	free(s.p);
	assert_int_equal(escrow_report_write(NULL, 0, collect, &s), ESCROW_E_USAGE);
	escrow_report_free(r);
	free(recs);
	free(names);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_json_exact),
		cmocka_unit_test(test_text_escapes),
		cmocka_unit_test(test_write_in_pieces),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
