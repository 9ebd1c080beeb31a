/* report_files.c -- list's "files" written straight from the reader's
 * records into the rendering, in the very bytes json_dumps() would give for
 * one JSON object per file, without ever building those objects. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

void esc_listing_free(struct esc_listing *l)
{
	size_t i;

	if (l == NULL)
		return;
	for (i = 0; i < l->n_arena; i++)
		free(l->arena[i]);
	free(l->arena);
	free(l->v);
	free(l->kind);
	free(l->format);
	free(l->deliv);
	for (i = 0; i < l->n_ids; i++)
		free(l->ids[i]);
	free(l->ids);
	free(l);
}

static void put_str(struct esc_out *o, const char *s)
{
	esc_out_put(o, s, strlen(s));
}

/* "s" as a JSON string, escaped as the whole report is (core_escape.c). */
static void put_json_string(struct esc_out *o, const char *s)
{
	size_t len = strlen(s), need = esc_escape(NULL, 0, s, len, ESC_ESCAPE_JSON_DUMP);

	if (o->st != ESCROW_OK || !esc_out_reserve(o, need + 2))
		return;
	o->p[o->n++] = '"';
	esc_escape(o->p + o->n, need + 1, s, len, ESC_ESCAPE_JSON_DUMP);
	o->n += need;
	o->p[o->n++] = '"';
	o->p[o->n] = '\0';
	if (o->fn != NULL && o->n >= ESC_OUT_CHUNK)
		esc_out_flush(o);
}

/* One member: the keys of a file entry come in sorted order, each but the
 * last followed by ','. */
static void key(struct esc_out *o, const char *k)
{
	put_str(o, ",\n      \"");
	put_str(o, k);
	put_str(o, "\": ");
}

static void file_entry(const struct esc_listing *l, size_t i, struct esc_out *o)
{
	static const char *const tn[] = {"file", "dir", "symlink"};
	const struct esc_file *f = &l->v[i];
	enum esc_format fmt = (enum esc_format)l->format[i];
	uint32_t d = l->deliv != NULL ? l->deliv[i] : UINT32_MAX;
	char num[32];

	put_str(o, "    {\n      \"deliverable\": ");
	if (d != UINT32_MAX && d < l->n_ids)
		put_json_string(o, l->ids[d]);
	else
		put_str(o, "null");
	key(o, "format");
	if (fmt != ESC_FMT_NONE)
		put_json_string(o, esc_format_name(fmt));
	else
		put_str(o, "null");
	if (l->kind[i] != NULL) {
		key(o, "kind");
		put_json_string(o, l->kind[i]);
	}
	key(o, "path");
	put_json_string(o, f->path);
	if (f->has_sha256) {
		char hex[65];

		esc_hex(f->sha256, 32, hex);
		key(o, "sha256");
		put_json_string(o, hex);
	}
	if (f->type == ESC_FT_FILE) {
		key(o, "size");
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, (json_int_t)f->size);
		put_str(o, num);
	}
	if (f->type == ESC_FT_SYMLINK && esc_file_target(f) != NULL) {
		key(o, "target");
		put_json_string(o, esc_file_target(f));
	}
	key(o, "type");
	put_json_string(o, tn[f->type]);
	put_str(o, "\n    }");
}

void esc_listing_json(const struct esc_listing *l, struct esc_out *o)
{
	size_t i;

	if (l->n == 0) {
		put_str(o, "[]");
		return;
	}
	put_str(o, "[\n");
	for (i = 0; i < l->n && o->st == ESCROW_OK; i++) {
		if (i > 0)
			put_str(o, ",\n");
		file_entry(l, i, o);
	}
	put_str(o, "\n  ]");
}
