/* report.c -- the report object shared by check, verify, extract and list. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The "schema" of each report printed on its own (docs/JSON.md): the
 * command's name after "escrow-", version 1. Reports held inside another
 * document (pack's, receive's) are described by that document's schema. */
static const char *schema_of(const char *command)
{
	static const char *const names[][2] = {
		{"check", "escrow-check/1"},     {"verify", "escrow-verify/1"}, {"list", "escrow-list/1"},
		{"extract", "escrow-extract/1"}, {"rewrap", "escrow-rewrap/1"},
	};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(command, names[i][0]) == 0)
			return names[i][1];
	return NULL;
}

escrow_report *esc_report_new(const char *command)
{
	escrow_report *r = calloc(1, sizeof *r);

	if (r == NULL)
		return NULL;
	r->root = json_object();
	if (r->root == NULL) {
		free(r);
		return NULL;
	}
	json_object_set_new(r->root, "command", json_string(command));
	if (schema_of(command) != NULL)
		json_object_set_new(r->root, "schema", json_string(schema_of(command)));
	json_object_set_new(r->root, "tool", json_string("escrow " ESCROW_VERSION));
	json_object_set_new(r->root, "warnings", json_array());
	return r;
}

void esc_report_stamp(escrow_report *r, const char *key)
{
	int64_t epoch = 0;
	bool have = false;
	time_t t;
	struct tm tm;
	char when[32];

	/* A malformed SOURCE_DATE_EPOCH is pack's error to report; here the
	 * clock is used instead (no ctx: the run's own error stays). */
	if (esc_source_date_epoch(NULL, &have, &epoch) != ESCROW_OK || !have)
		epoch = (int64_t)time(NULL);
	t = (time_t)epoch;
	if (gmtime_r(&t, &tm) == NULL || strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		return;
	json_object_set_new(r->root, key, json_string(when));
}

void esc_report_warn(escrow_report *r, const char *file, unsigned line, const char *fmt, ...)
{
	char msg[1024];
	json_t *w, *arr;
	va_list ap;

	if (r == NULL)
		return;
	va_start(ap, fmt);
	esc_vclip(msg, sizeof msg, fmt, ap);
	va_end(ap);
	arr = json_object_get(r->root, "warnings");
	if (arr == NULL) {
		arr = json_array();
		json_object_set_new(r->root, "warnings", arr);
	}
	w = json_object();
	if (w == NULL)
		return;
	json_object_set_new(w, "message", esc_json_string(msg));
	if (file != NULL)
		json_object_set_new(w, "file", esc_json_string(file));
	if (line > 0)
		json_object_set_new(w, "line", json_integer(line));
	json_array_append_new(arr, w);
}

void escrow_report_free(escrow_report *r)
{
	if (r == NULL)
		return;
	json_decref(r->root);
	esc_listing_free(r->list);
	free(r);
}

const char *escrow_report_verdict(const escrow_report *r)
{
	const char *v;

	if (r == NULL)
		return "";
	v = json_string_value(json_object_get(r->root, "verdict"));
	return v ? v : "";
}

escrow_status escrow_report_status(const escrow_report *r)
{
	return r ? r->status : ESCROW_E_USAGE;
}

/* The top-level "files" as json_dumps writes an empty array: the listing's
 * place in the document (no string holds a raw newline, and deeper keys are
 * indented further, so this is found once). */
static const char files_mark[] = "\n  \"files\": []";

void esc_report_json_out(const escrow_report *r, struct esc_out *o)
{
	/* jansson writes DEL, C1 and bidi controls raw: escaped for terminals,
	 * the decoded strings stay exact. */
	char *doc = esc_json_safe(json_dumps(r->root, JSON_INDENT(2) | JSON_SORT_KEYS));
	const char *at;

	if (doc == NULL) {
		o->st = ESCROW_E_NOMEM;
		return;
	}
	at = r->list != NULL ? strstr(doc, files_mark) : NULL;
	if (at == NULL) {
		esc_out_put(o, doc, strlen(doc));
	} else {
		size_t head = (size_t)(at - doc) + sizeof files_mark - 3; /* up to the '[' */

		esc_out_put(o, doc, head);
		esc_listing_json(r->list, o);
		esc_out_put(o, at + sizeof files_mark - 1, strlen(at + sizeof files_mark - 1));
	}
	free(doc);
}

char *escrow_report_json(const escrow_report *r)
{
	struct esc_out o = {NULL, NULL, NULL, 0, 0, ESCROW_OK};

	if (r == NULL)
		return NULL;
	esc_report_json_out(r, &o);
	if (o.st != ESCROW_OK) {
		free(o.p);
		return NULL;
	}
	return o.p;
}

escrow_status escrow_report_write(const escrow_report *r, unsigned flags, escrow_write_fn write, void *user)
{
	struct esc_out o = {write, user, NULL, 0, 0, ESCROW_OK};

	if (r == NULL || write == NULL)
		return ESCROW_E_USAGE;
	if (flags & ESCROW_REPORT_JSON)
		esc_report_json_out(r, &o);
	else
		esc_report_text_out(r, &o);
	esc_out_flush(&o);
	free(o.p);
	return o.st;
}
