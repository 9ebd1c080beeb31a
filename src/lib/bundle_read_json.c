/* bundle_read_json.c -- escrow/manifest.json, checked entry by entry.
 * jansson turns 12 MB of JSON for 50,000 files into some 60 MB of tree; we
 * find the value boundaries with a small scanner instead and hand jansson one
 * top-level value or one file entry at a time. jansson validates every value;
 * the scanner validates what lies between them (braces, commas, colons).
 * jansson spends some 50 bytes per input byte on a run of empty arrays, and
 * manifest.json may be as large as its files allow (tens of MB) and is read
 * even when the signature is bad: so one file entry is at most SPAN_MAX
 * bytes, and the values outside "files" (which stay in memory) at most
 * TOP_MAX together; ours are a few hundred bytes and about 1 KB. A file
 * entry in the shape escrow writes skips jansson (bundle_read_jent.c): a
 * million of them cost jansson a quarter of verify's time. */
#include "esc_bundle_read.h"
#include "esc_jent.h"
#include "esc_pack.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MAX_DEPTH 64
#define WINDOW_MAX (8u << 20) /* one value (a files entry, a top-level value) plus a block */
#define SPAN_MAX (64u << 10)
#define TOP_MAX (256u << 10)

/* A window over the streamed manifest.json: bytes before `keep` (the start
 * of the value being read) may be dropped, so memory stays at one value. */
struct scan {
	struct esc_rd *rd;
	char *b;
	size_t pos, len, cap;
	uint64_t base;                  /* stream offset of b[0] */
	uint64_t keep;
	int (*pull)(void *, const void **, size_t *);
	void *arg;
	bool eof, nul, big, nomem;     /* nomem: the machine's failure, not the file's */
};

static bool refill(struct scan *s)
{
	const void *p;
	size_t n, drop = (size_t)(s->keep - s->base);

	if (s->eof)
		return false;
	if (drop > s->pos)
		drop = s->pos;
	if (drop > 0) {
		memmove(s->b, s->b + drop, s->len - drop);
		s->len -= drop;
		s->pos -= drop;
		s->base += drop;
	}
	if (s->pull(s->arg, &p, &n) != 0 || n == 0) {
		s->eof = true;
		return false;
	}
	if (memchr(p, '\0', n) != NULL) {
		s->nul = s->eof = true;
		return false;
	}
	if (s->len + n > s->cap) {
		size_t cap = s->cap ? s->cap : 65536;
		char *nb;

		while (cap < s->len + n)
			cap *= 2;
		nb = cap <= WINDOW_MAX ? realloc(s->b, cap) : NULL;
		if (nb == NULL) {
			if (cap <= WINDOW_MAX)
				s->nomem = true;
			else
				s->big = true;
			s->eof = true;
			return false;
		}
		s->b = nb;
		s->cap = cap;
	}
	memcpy(s->b + s->len, p, n);
	s->len += n;
	return true;
}

/* The byte at pos, or -1 at the end of the stream. */
static int peek(struct scan *s)
{
	while (s->pos >= s->len)
		if (!refill(s))
			return -1;
	return (unsigned char)s->b[s->pos];
}

static uint64_t here(const struct scan *s)
{
	return s->base + s->pos;
}

static void ws(struct scan *s)
{
	int c;

	while ((c = peek(s)) == ' ' || c == '\t' || c == '\n' || c == '\r')
		s->pos++;
}

/* A byte of a number, true, false or null (what strchr("+-.eEtrufalsn")
 * found, without its call per byte). */
static bool literal_byte(int c)
{
	switch (c) {
	case '0': case '1': case '2': case '3': case '4': case '5': case '6': case '7': case '8': case '9':
	case '+': case '-': case '.': case 'e': case 'E': case 't': case 'r': case 'u': case 'f': case 'a':
	case 'l': case 's': case 'n':
		return true;
	default:
		return false;
	}
}

/* Skips one value; 0 ok, -1 malformed. Content is validated by jansson later. */
static int skip_value(struct scan *s, int depth)
{
	int c;

	ws(s);
	c = peek(s);
	if (c < 0 || depth > MAX_DEPTH)
		return -1;
	if (c == '"') {
		for (s->pos++;; s->pos++) {
			/* To the next quote or backslash in what is buffered. */
			const char *p = s->b + s->pos, *e = s->b + s->len;

			while (p < e && *p != '"' && *p != '\\')
				p++;
			s->pos = (size_t)(p - s->b);
			c = peek(s);
			if (c < 0)
				return -1;
			if (c == '\\') {
				s->pos++;
				if (peek(s) < 0)
					return -1;
			} else if (c == '"') {
				break;
			}
		}
		s->pos++;
		return 0;
	}
	if (c == '{' || c == '[') {
		int open = c, close = c == '{' ? '}' : ']';

		s->pos++;
		ws(s);
		if (peek(s) == close) {
			s->pos++;
			return 0;
		}
		for (;;) {
			if (open == '{') {
				if (skip_value(s, depth + 1) != 0)
					return -1;
				ws(s);
				if (peek(s) != ':')
					return -1;
				s->pos++;
			}
			if (skip_value(s, depth + 1) != 0)
				return -1;
			ws(s);
			c = peek(s);
			if (c == close) {
				s->pos++;
				return 0;
			}
			if (c != ',')
				return -1;
			s->pos++;
		}
	}
	if (!((c >= '0' && c <= '9') || c == '-' || c == 't' || c == 'f' || c == 'n'))
		return -1;
	while ((c = peek(s)) >= 0 && literal_byte(c))
		s->pos++;
	return 0;
}

static json_t *load_span(struct scan *s, uint64_t from, size_t flags)
{
	json_error_t err;
	json_t *v = json_loadb(s->b + (from - s->base), (size_t)(here(s) - from),
	                       JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | flags, &err);

	if (v == NULL && json_error_code(&err) == json_error_out_of_memory)
		s->nomem = true;
	return v;
}

static bool json_str_is(json_t *o, const char *key, const char *want)
{
	const char *v = json_string_value(json_object_get(o, key));

	return v != NULL && strcmp(v, want) == 0;
}

static escrow_status malformed(struct scan *s)
{
	if (s->nomem)
		return esc_nomem(s->rd->ctx);
	if (s->big)
		return esc_error(s->rd->ctx, ESCROW_TAMPERED, "%s: %s: a value longer than %u bytes near byte %llu",
		                 s->rd->path, ESC_TAG_JSON, WINDOW_MAX / 2, (unsigned long long)here(s));
	if (s->nul)
		return esc_error(s->rd->ctx, ESCROW_TAMPERED, "%s: %s holds a NUL byte", s->rd->path, ESC_TAG_JSON);
	return esc_error(s->rd->ctx, ESCROW_TAMPERED, "%s: %s: malformed JSON near byte %llu", s->rd->path,
	                 ESC_TAG_JSON, (unsigned long long)here(s));
}

/* One element of "files": in place when it has escrow's shape, else by jansson. */
static escrow_status entry(struct esc_rd *rd, struct scan *s, uint64_t from, size_t n)
{
	struct esc_jent e;
	json_t *o;
	escrow_status st;

	if (esc_jent_fast(s->b + (from - s->base), (size_t)(here(s) - from), &e))
		return esc_rd_json_entry(rd, n, &e);
	o = load_span(s, from, 0);
	if (o == NULL)
		return s->nomem ? esc_nomem(rd->ctx) :
		       esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: malformed entry %zu", rd->path, ESC_TAG_JSON, n);
	esc_jent_from_json(o, &e);
	st = esc_rd_json_entry(rd, n, &e);
	json_decref(o);
	return st;
}

/* The "files" array: each element parsed and compared on its own. */
static escrow_status check_files(struct esc_rd *rd, struct scan *s)
{
	size_t n = 0;
	escrow_status st;

	ws(s);
	if (peek(s) != '[')
		return s->eof ? malformed(s) : esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: files is not an array",
		                                         rd->path, ESC_TAG_JSON);
	s->pos++;
	ws(s);
	if (peek(s) == ']') {
		s->pos++;
	} else {
		for (;;) {
			struct esc_jent e;
			uint64_t from;
			size_t used;
			bool fast;
			int c;

			ws(s);
			from = s->keep = here(s);
			/* In escrow's shape and wholly buffered: read in place. */
			fast = peek(s) == '{' && esc_jent_prefix(s->b + s->pos, s->len - s->pos, &e, &used);
			if (fast)
				s->pos += used;
			else if (skip_value(s, 1) != 0)
				return malformed(s);
			if (n >= esc_rd_count(rd))
				return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s lists more entries than the bundle holds "
				                 "(a file was removed)", rd->path, ESC_TAG_JSON);
			if (here(s) - from > SPAN_MAX)
				return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: entry %zu is %llu bytes long (at most %u)",
				                 rd->path, ESC_TAG_JSON, n, (unsigned long long)(here(s) - from), SPAN_MAX);
			st = fast ? esc_rd_json_entry(rd, n, &e) : entry(rd, s, from, n);
			if (st != ESCROW_OK)
				return st;
			n++;
			ws(s);
			c = peek(s);
			if (c == ']') {
				s->pos++;
				break;
			}
			if (c != ',')
				return malformed(s);
			s->pos++;
		}
	}
	if (n != esc_rd_count(rd))
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s lists %zu entries, the bundle holds %zu (a file was "
		                 "added)", rd->path, ESC_TAG_JSON, n, esc_rd_count(rd));
	return ESCROW_OK;
}

/* The top-level object; "files" is checked as it is met. */
static escrow_status scan_top(struct esc_rd *rd, struct scan *s)
{
	uint64_t top = 0;
	escrow_status st;

	ws(s);
	if (peek(s) != '{')
		return s->eof && (s->nul || s->big || s->nomem) ? malformed(s) :
		       esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s is not a JSON object", rd->path, ESC_TAG_JSON);
	s->pos++;
	ws(s);
	if (peek(s) == '}')
		s->pos++;
	else
		for (;;) {
			uint64_t from;
			json_t *key, *val;
			const char *k;
			int c;

			ws(s);
			from = s->keep = here(s);
			if (peek(s) != '"' || skip_value(s, 1) != 0)
				return malformed(s);
			key = load_span(s, from, 0);
			k = json_string_value(key);
			ws(s);
			if (k == NULL || peek(s) != ':' || json_object_get(rd->manifest, k) != NULL ||
			    (strcmp(k, "files") == 0 && rd->json_files)) {
				json_decref(key);
				return malformed(s);
			}
			s->pos++;
			if (strcmp(k, "files") == 0) {
				rd->json_files = true;
				json_decref(key);
				st = check_files(rd, s);
				if (st != ESCROW_OK)
					return st;
			} else {
				ws(s);
				from = s->keep = here(s);
				if (skip_value(s, 1) != 0) {
					json_decref(key);
					return malformed(s);
				}
				top += here(s) - from;
				if (top > TOP_MAX) {
					json_decref(key);
					return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: more than %u bytes of values "
					                 "outside 'files'", rd->path, ESC_TAG_JSON, TOP_MAX);
				}
				val = load_span(s, from, 0);
				if (val != NULL && json_object_set_new(rd->manifest, k, val) != 0)
					s->nomem = true; /* val is gone with it */
				if (val == NULL || s->nomem) {
					json_decref(key);
					return malformed(s);
				}
				json_decref(key);
			}
			ws(s);
			c = peek(s);
			if (c == '}') {
				s->pos++;
				break;
			}
			if (c != ',')
				return malformed(s);
			s->pos++;
		}
	ws(s);
	if (peek(s) >= 0 || s->nul || s->big || s->nomem)
		return malformed(s);
	return ESCROW_OK;
}

escrow_status esc_rd_json_stream(struct esc_rd *rd, int (*pull)(void *, const void **, size_t *), void *arg)
{
	struct scan s;
	escrow_status st;

	memset(&s, 0, sizeof s);
	s.rd = rd;
	s.pull = pull;
	s.arg = arg;
	rd->manifest = json_object();
	if (rd->manifest == NULL)
		return esc_nomem(rd->ctx);
	if (rd->want_list) {
		rd->list_kind = calloc(esc_rd_count(rd) + 1, sizeof *rd->list_kind);
		rd->list_format = calloc(esc_rd_count(rd) + 1, 1);
		if (rd->list_kind == NULL || rd->list_format == NULL)
			return esc_nomem(rd->ctx);
	}
	st = scan_top(rd, &s);
	free(s.b);
	if (st == ESCROW_E_NOMEM)
		return st;
	if (st != ESCROW_OK) {
		rd->json_d.st = st;
		snprintf(rd->json_d.msg, sizeof rd->json_d.msg, "%s", escrow_ctx_error(rd->ctx));
	}
	return ESCROW_OK;
}

/* The first element of "files" whose "path" is `path`: its "type" and
 * "target" (malloc'd, NULL when absent). Memory stays at one value, as in
 * esc_rd_json_stream; malformed JSON finds nothing. */
static int find_in_files(struct scan *s, const char *path, char **type, char **target, char **mode)
{
	ws(s);
	if (peek(s) != '[')
		return 0;
	s->pos++;
	ws(s);
	if (peek(s) == ']')
		return 0;
	for (;;) {
		uint64_t from;
		json_t *o;
		int c;

		ws(s);
		from = s->keep = here(s);
		if (skip_value(s, 1) != 0)
			return 0;
		o = load_span(s, from, 0);
		if (json_is_object(o) && json_str_is(o, "path", path)) {
			const char *t = json_string_value(json_object_get(o, "type"));
			const char *l = json_string_value(json_object_get(o, "target"));
			const char *m = json_string_value(json_object_get(o, "mode"));

			*type = t ? strdup(t) : NULL;
			*target = l ? strdup(l) : NULL;
			*mode = m ? strdup(m) : NULL;
			json_decref(o);
			return (t && *type == NULL) || (l && *target == NULL) || (m && *mode == NULL) ? -1 : 1;
		}
		json_decref(o);
		ws(s);
		c = peek(s);
		if (c != ',')
			return 0;
		s->pos++;
	}
}

int esc_rd_json_find(struct esc_rd *rd, int (*pull)(void *, const void **, size_t *), void *arg, const char *path,
                     char **type, char **target, char **mode)
{
	struct scan s;
	int found = 0;

	*type = *target = *mode = NULL;
	memset(&s, 0, sizeof s);
	s.rd = rd;
	s.pull = pull;
	s.arg = arg;
	ws(&s);
	if (peek(&s) == '{') {
		s.pos++;
		for (;;) {
			uint64_t from;
			json_t *key;
			bool files;

			ws(&s);
			from = s.keep = here(&s);
			if (peek(&s) != '"' || skip_value(&s, 1) != 0)
				break;
			key = load_span(&s, from, 0);
			files = json_string_value(key) != NULL && strcmp(json_string_value(key), "files") == 0;
			json_decref(key);
			ws(&s);
			if (peek(&s) != ':')
				break;
			s.pos++;
			if (files) {
				found = find_in_files(&s, path, type, target, mode);
				break;
			}
			ws(&s);
			s.keep = here(&s);
			if (skip_value(&s, 1) != 0)
				break;
			ws(&s);
			if (peek(&s) != ',')
				break;
			s.pos++;
		}
	}
	free(s.b);
	return found;
}

/* "YYYY-MM-DDTHH:MM:SSZ" to seconds since the epoch; -1 if malformed. */
static int parse_created(const char *s, int64_t *out)
{
	struct tm tm;
	int y, mo, d, h, mi, se, n = 0;

	if (s == NULL || strlen(s) != 20 ||
	    sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2dZ%n", &y, &mo, &d, &h, &mi, &se, &n) != 6 || n != 20)
		return -1;
	memset(&tm, 0, sizeof tm);
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = se;
	*out = (int64_t)timegm(&tm);
	return 0;
}

/* What no signature covers must agree with what one does: the bag folder is
 * NAME-RELEASE of manifest.json (so a renamed folder is never reported),
 * and the tag files and the bag's own folders carry its created time (so
 * extract applies no unsigned time). */
static escrow_status check_unsigned(struct esc_rd *rd)
{
	static const char *const tn[ESC_T_COUNT] = {ESC_TAG_BAGIT, ESC_TAG_BAGINFO, ESC_TAG_MANIFEST, ESC_TAG_JSON,
	                                            ESC_TAG_CONTRACT, ESC_TAG_TAGMANIFEST, ESC_TAG_SIGNATURE};
	char *want = esc_pack_bag_name(json_string_value(json_object_get(rd->manifest, "name")),
	                               json_string_value(json_object_get(rd->manifest, "release")));
	int64_t created;
	size_t i;
	int same;

	if (want == NULL)
		return esc_nomem(rd->ctx);
	same = strcmp(want, rd->bag);
	free(want);
	if (same != 0)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: the bag folder '%s' is not the one %s names (it was "
		                 "renamed)", rd->path, rd->bag, ESC_TAG_JSON);
	if (parse_created(json_string_value(json_object_get(rd->manifest, "created")), &created) != 0)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: created is not YYYY-MM-DDTHH:MM:SSZ", rd->path,
		                 ESC_TAG_JSON);
	for (i = 0; i < ESC_T_COUNT; i++)
		if (rd->tags[i].present && rd->tags[i].mtime != created)
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s's time in the tar is not the deposit's created "
			                 "time (%s)", rd->path, tn[i], ESC_TAG_JSON);
	for (i = 0; i < 3; i++)
		if (rd->dir_mtime[i] != created)
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: the time of folder '%s/%s' in the tar is not the "
			                 "deposit's created time (%s)", rd->path, rd->bag,
			                 i == 0 ? "" : i == 1 ? "data/" : "escrow/", ESC_TAG_JSON);
	return ESCROW_OK;
}

escrow_status esc_rd_check_json(struct esc_rd *rd)
{
	const struct esc_tagfile *c = &rd->tags[ESC_T_CONTRACT];
	json_t *tot, *con;
	escrow_status st;

	if (rd->json_d.st != ESCROW_OK)
		return esc_error(rd->ctx, rd->json_d.st, "%s", rd->json_d.msg);
	if (rd->manifest == NULL)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s was not read", rd->path, ESC_TAG_JSON);
	if (!json_str_is(rd->manifest, "format", ESCROW_BUNDLE_FORMAT))
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: format is not %s (a newer escrow may read it)",
		                 rd->path, ESC_TAG_JSON, ESCROW_BUNDLE_FORMAT);
	if (!rd->json_files || !json_is_string(json_object_get(rd->manifest, "name")) ||
	    !json_is_string(json_object_get(rd->manifest, "release")))
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s lacks files, name or release", rd->path, ESC_TAG_JSON);
	st = check_unsigned(rd);
	if (st != ESCROW_OK)
		return st;
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
