/* bundle_read_json.c -- escrow/manifest.json, checked entry by entry.
 * jansson turns 12 MB of JSON for 50,000 files into some 60 MB of tree; we
 * find the value boundaries with a small scanner instead and hand jansson one
 * top-level value or one file entry at a time. jansson validates every value;
 * the scanner validates what lies between them (braces, commas, colons).
 * jansson spends some 50 bytes per input byte on a run of empty arrays, and
 * manifest.json may be as large as its files allow (tens of MB) and is read
 * even when the signature is bad: so one file entry is at most SPAN_MAX
 * bytes, and the values outside "files" (which stay in memory) at most
 * TOP_MAX together; ours are a few hundred bytes and about 1 KB. */
#include "esc_bundle_read.h"

#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 64
#define SPAN_MAX (64u << 10)
#define TOP_MAX (256u << 10)

struct scan {
	const char *b;
	size_t pos, len;
};

static void ws(struct scan *s)
{
	while (s->pos < s->len && (s->b[s->pos] == ' ' || s->b[s->pos] == '\t' || s->b[s->pos] == '\n' ||
	                           s->b[s->pos] == '\r'))
		s->pos++;
}

/* Skips one value; 0 ok, -1 malformed. Content is validated by jansson later. */
static int skip_value(struct scan *s, int depth)
{
	char c;

	ws(s);
	if (s->pos >= s->len || depth > MAX_DEPTH)
		return -1;
	c = s->b[s->pos];
	if (c == '"') {
		for (s->pos++; s->pos < s->len; s->pos++) {
			if (s->b[s->pos] == '\\')
				s->pos++;
			else if (s->b[s->pos] == '"')
				break;
		}
		if (s->pos >= s->len)
			return -1;
		s->pos++;
		return 0;
	}
	if (c == '{' || c == '[') {
		char close = c == '{' ? '}' : ']';

		s->pos++;
		ws(s);
		if (s->pos < s->len && s->b[s->pos] == close) {
			s->pos++;
			return 0;
		}
		for (;;) {
			if (c == '{') {
				if (skip_value(s, depth + 1) != 0)
					return -1;
				ws(s);
				if (s->pos >= s->len || s->b[s->pos] != ':')
					return -1;
				s->pos++;
			}
			if (skip_value(s, depth + 1) != 0)
				return -1;
			ws(s);
			if (s->pos >= s->len)
				return -1;
			if (s->b[s->pos] == close) {
				s->pos++;
				return 0;
			}
			if (s->b[s->pos] != ',')
				return -1;
			s->pos++;
		}
	}
	if (!((c >= '0' && c <= '9') || c == '-' || c == 't' || c == 'f' || c == 'n'))
		return -1;
	while (s->pos < s->len && ((s->b[s->pos] >= '0' && s->b[s->pos] <= '9') || strchr("+-.eEtrufalsn",
	                                                                                   s->b[s->pos]) != NULL))
		s->pos++;
	return 0;
}

static json_t *load_span(const char *b, size_t from, size_t to, size_t flags)
{
	json_error_t err;

	return json_loadb(b + from, to - from, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | flags, &err);
}

static bool json_str_is(json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && strcmp(v, want) == 0;
}

static const char *static_kind(const char *k)
{
	static const char *const kinds[] = {"code", "model", "data", "docs", "prompts", "config", "pipeline", "other"};
	size_t i;

	for (i = 0; k != NULL && i < sizeof kinds / sizeof kinds[0]; i++)
		if (strcmp(k, kinds[i]) == 0)
			return kinds[i];
	return NULL;
}

static escrow_status json_entry(struct esc_rd *rd, size_t i, json_t *o)
{
	static const char *const tn[] = {"file", "dir", "symlink"};
	const struct esc_file *f = &rd->files.v[i];
	const char *why = NULL;
	json_t *v;
	char hex[65], mode[8];

	if (!json_is_object(o) || !json_str_is(o, "path", f->path))
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: entry %zu is not 'data/%s' (a file was added, "
		                 "removed or renamed)", rd->path, ESC_TAG_JSON, i, f->path);
	if (!json_str_is(o, "type", tn[f->type]))
		why = "type";
	if (f->type == ESC_FT_FILE) {
		v = json_object_get(o, "size");
		if (!json_is_integer(v) || json_integer_value(v) < 0 || (uint64_t)json_integer_value(v) != f->size)
			why = "size";
	}
	v = json_object_get(o, "sha256");
	if (f->has_sha256) {
		esc_hex(f->sha256, 32, hex);
		if (!json_str_is(o, "sha256", hex))
			why = "SHA-256";
	} else if (v != NULL) {
		why = "SHA-256";
	}
	if (f->type == ESC_FT_SYMLINK && !json_str_is(o, "target", f->target))
		why = "target";
	v = json_object_get(o, "mode");
	snprintf(mode, sizeof mode, "%04o", (unsigned)f->mode);
	if (v != NULL && f->type != ESC_FT_SYMLINK && !json_str_is(o, "mode", mode))
		why = "mode";
	v = json_object_get(o, "mtime");
	if (v != NULL && f->type != ESC_FT_SYMLINK && (!json_is_integer(v) || json_integer_value(v) != f->mtime))
		why = "mtime";
	if (why != NULL)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: 'data/%s': its %s differs from %s", rd->path, f->path,
		                 why, ESC_TAG_JSON);
	if (rd->want_list) {
		rd->list_kind[i] = static_kind(json_string_value(json_object_get(o, "kind")));
		v = json_object_get(o, "format");
		rd->list_format[i] = (uint8_t)(json_is_string(v) ? esc_format_from_name(json_string_value(v)) :
		                               ESC_FMT_NONE);
	}
	return ESCROW_OK;
}

/* The "files" array: each element parsed and compared on its own. */
static escrow_status check_files(struct esc_rd *rd, struct scan *s)
{
	size_t n = 0;
	escrow_status st;

	ws(s);
	if (s->pos >= s->len || s->b[s->pos] != '[')
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: files is not an array", rd->path, ESC_TAG_JSON);
	s->pos++;
	ws(s);
	if (s->pos < s->len && s->b[s->pos] == ']') {
		s->pos++;
	} else {
		for (;;) {
			size_t from;
			json_t *o;

			ws(s);
			from = s->pos;
			if (skip_value(s, 1) != 0)
				return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: malformed JSON near byte %zu", rd->path,
				                 ESC_TAG_JSON, s->pos);
			if (n >= rd->files.n)
				return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s lists more entries than the bundle holds "
				                 "(a file was removed)", rd->path, ESC_TAG_JSON);
			if (s->pos - from > SPAN_MAX)
				return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: entry %zu is %zu bytes long (at most %u)",
				                 rd->path, ESC_TAG_JSON, n, s->pos - from, SPAN_MAX);
			o = load_span(s->b, from, s->pos, 0);
			st = o ? json_entry(rd, n, o) : esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: malformed entry %zu",
			                                          rd->path, ESC_TAG_JSON, n);
			json_decref(o);
			if (st != ESCROW_OK)
				return st;
			n++;
			ws(s);
			if (s->pos < s->len && s->b[s->pos] == ']') {
				s->pos++;
				break;
			}
			if (s->pos >= s->len || s->b[s->pos] != ',')
				return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: malformed JSON near byte %zu", rd->path,
				                 ESC_TAG_JSON, s->pos);
			s->pos++;
		}
	}
	if (n != rd->files.n)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s lists %zu entries, the bundle holds %zu (a file was "
		                 "added)", rd->path, ESC_TAG_JSON, n, rd->files.n);
	return ESCROW_OK;
}

/* The top-level object; "files" is checked as it is met. */
static escrow_status scan_top(struct esc_rd *rd, bool *saw_files)
{
	const struct esc_tagfile *t = &rd->tags[ESC_T_JSON];
	struct scan s = {t->buf, 0, t->len};
	size_t top = 0;
	escrow_status st;

	ws(&s);
	if (s.pos >= s.len || s.b[s.pos] != '{')
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s is not a JSON object", rd->path, ESC_TAG_JSON);
	s.pos++;
	ws(&s);
	if (s.pos < s.len && s.b[s.pos] == '}')
		s.pos++;
	else
		for (;;) {
			size_t from;
			json_t *key, *val;
			const char *k;

			ws(&s);
			from = s.pos;
			if (s.pos >= s.len || s.b[s.pos] != '"' || skip_value(&s, 1) != 0)
				goto bad;
			key = load_span(s.b, from, s.pos, 0);
			k = json_string_value(key);
			ws(&s);
			if (k == NULL || s.pos >= s.len || s.b[s.pos] != ':' || json_object_get(rd->manifest, k) != NULL ||
			    (strcmp(k, "files") == 0 && *saw_files)) {
				json_decref(key);
				goto bad;
			}
			s.pos++;
			if (strcmp(k, "files") == 0) {
				*saw_files = true;
				json_decref(key);
				st = check_files(rd, &s);
				if (st != ESCROW_OK)
					return st;
			} else {
				ws(&s);
				from = s.pos;
				if (skip_value(&s, 1) != 0) {
					json_decref(key);
					goto bad;
				}
				top += s.pos - from;
				if (top > TOP_MAX) {
					json_decref(key);
					return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: more than %u bytes of values "
					                 "outside 'files'", rd->path, ESC_TAG_JSON, TOP_MAX);
				}
				val = load_span(s.b, from, s.pos, 0);
				if (val == NULL || json_object_set_new(rd->manifest, k, val) != 0) {
					json_decref(key);
					goto bad;
				}
				json_decref(key);
			}
			ws(&s);
			if (s.pos < s.len && s.b[s.pos] == '}') {
				s.pos++;
				break;
			}
			if (s.pos >= s.len || s.b[s.pos] != ',')
				goto bad;
			s.pos++;
		}
	ws(&s);
	if (s.pos != s.len)
		goto bad;
	return ESCROW_OK;
bad:
	return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: malformed JSON near byte %zu", rd->path, ESC_TAG_JSON,
	                 s.pos);
}

escrow_status esc_rd_check_json(struct esc_rd *rd)
{
	const struct esc_tagfile *c = &rd->tags[ESC_T_CONTRACT];
	json_t *tot, *con;
	bool saw_files = false;
	escrow_status st;

	if (memchr(rd->tags[ESC_T_JSON].buf, '\0', rd->tags[ESC_T_JSON].len) != NULL)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s holds a NUL byte", rd->path, ESC_TAG_JSON);
	rd->manifest = json_object();
	if (rd->manifest == NULL)
		return esc_error(rd->ctx, ESCROW_E_NOMEM, "out of memory");
	if (rd->want_list) {
		rd->list_kind = calloc(rd->files.n + 1, sizeof *rd->list_kind);
		rd->list_format = calloc(rd->files.n + 1, 1);
		if (rd->list_kind == NULL || rd->list_format == NULL)
			return esc_error(rd->ctx, ESCROW_E_NOMEM, "out of memory");
	}
	st = scan_top(rd, &saw_files);
	if (st != ESCROW_OK)
		return st;
	if (!json_str_is(rd->manifest, "format", ESCROW_BUNDLE_FORMAT))
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: format is not %s (a newer escrow may read it)",
		                 rd->path, ESC_TAG_JSON, ESCROW_BUNDLE_FORMAT);
	if (!saw_files || !json_is_string(json_object_get(rd->manifest, "name")) ||
	    !json_is_string(json_object_get(rd->manifest, "release")))
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s lacks files, name or release", rd->path, ESC_TAG_JSON);
	tot = json_object_get(rd->manifest, "totals");
	if (!json_is_object(tot) || json_integer_value(json_object_get(tot, "files")) != (json_int_t)rd->n_files ||
	    json_integer_value(json_object_get(tot, "bytes")) != (json_int_t)rd->n_bytes)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: totals do not match the payload", rd->path,
		                 ESC_TAG_JSON);
	con = json_object_get(rd->manifest, "contract");
	if (c->present) {
		char hex[65];

		esc_hex(c->sha256, 32, hex);
		if (!json_is_object(con) || !json_str_is(con, "sha256", hex))
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: the contract's SHA-256 is not that of %s",
			                 rd->path, ESC_TAG_JSON, ESC_TAG_CONTRACT);
	} else if (con != NULL && !json_is_null(con)) {
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s names a contract but %s is missing", rd->path,
		                 ESC_TAG_JSON, ESC_TAG_CONTRACT);
	}
	return ESCROW_OK;
}
