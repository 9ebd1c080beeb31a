/* bundle_read_jent.c -- one "files" entry of manifest.json without jansson
 * when it has the shape escrow writes (see esc_jent.h). The grammar read:
 *   '{' ws ( '}' | pair ( ws ',' ws pair )* ws '}' )   and nothing after
 *   pair   = string ws ':' ws ( string | int )
 *   string = '"' bytes 0x20-0x7e except '"' and '\' '"'
 *   int    = '0' | [1-9][0-9]{0,17}   not followed by a digit, '.', 'e', 'E'
 * with ws as JSON's (space, tab, LF, CR), at most MAX_KEYS pairs, no key
 * twice. Every such text means the same to jansson (the strings decode to
 * their own bytes, the integers fit in int64), so comparing its fields is
 * comparing jansson's; any other text is declined, never judged here. */
#include "esc_bundle_read.h"
#include "esc_jent.h"

#include <stdio.h>

#include <string.h>

#define MAX_KEYS 16

struct cur {
	const char *p, *end;
};

static void ws(struct cur *c)
{
	while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\n' || *c->p == '\r'))
		c->p++;
}

/* A string with no escape and only printable ASCII; 0, or -1 to decline. */
static int str(struct cur *c, const char **s, size_t *n)
{
	const char *q;

	if (c->p >= c->end || *c->p != '"')
		return -1;
	for (q = ++c->p; q < c->end && *q != '"'; q++)
		if ((unsigned char)*q < 0x20 || (unsigned char)*q > 0x7e || *q == '\\')
			return -1;
	if (q >= c->end)
		return -1;
	*s = c->p;
	*n = (size_t)(q - c->p);
	c->p = q + 1;
	return 0;
}

static int integer(struct cur *c, int64_t *v)
{
	const char *q = c->p;
	int64_t x = 0;

	if (q >= c->end || *q < '0' || *q > '9')
		return -1;
	if (*q == '0') {
		q++;
	} else {
		for (; q < c->end && *q >= '0' && *q <= '9'; q++) {
			if (q - c->p >= 18)
				return -1;
			x = x * 10 + (*q - '0');
		}
	}
	if (q < c->end && ((*q >= '0' && *q <= '9') || *q == '.' || *q == 'e' || *q == 'E'))
		return -1;
	c->p = q;
	*v = x;
	return 0;
}

static struct esc_jval *slot(struct esc_jent *e, const char *k, size_t n)
{
	switch (n) {
	case 4:
		return !memcmp(k, "path", 4) ? &e->path : !memcmp(k, "type", 4) ? &e->type :
		       !memcmp(k, "size", 4) ? &e->size : !memcmp(k, "mode", 4) ? &e->mode :
		       !memcmp(k, "kind", 4) ? &e->kind : NULL;
	case 5:
		return !memcmp(k, "mtime", 5) ? &e->mtime : NULL;
	case 6:
		return !memcmp(k, "sha256", 6) ? &e->sha256 : !memcmp(k, "target", 6) ? &e->target :
		       !memcmp(k, "format", 6) ? &e->format : NULL;
	default:
		return NULL;
	}
}

int esc_jent_fast(const char *span, size_t n, struct esc_jent *out)
{
	size_t used;

	return esc_jent_prefix(span, n, out, &used) && used == n;
}

int esc_jent_prefix(const char *span, size_t n, struct esc_jent *out, size_t *used)
{
	struct cur c = {span, span + n};
	const char *key[MAX_KEYS];
	size_t klen[MAX_KEYS], nk = 0, i;

	memset(out, 0, sizeof *out);
	out->object = true;
	if (c.p >= c.end || *c.p != '{')
		return 0;
	c.p++;
	ws(&c);
	if (c.p < c.end && *c.p == '}') {
		*used = (size_t)(++c.p - span);
		return 1;
	}
	for (;;) {
		struct esc_jval v, *dst;

		memset(&v, 0, sizeof v);
		if (nk == MAX_KEYS || str(&c, &key[nk], &klen[nk]) != 0)
			return 0;
		for (i = 0; i < nk; i++)
			if (klen[i] == klen[nk] && memcmp(key[i], key[nk], klen[i]) == 0)
				return 0;
		ws(&c);
		if (c.p >= c.end || *c.p != ':')
			return 0;
		c.p++;
		ws(&c);
		if (c.p < c.end && *c.p == '"') {
			v.t = ESC_JV_STRING;
			if (str(&c, &v.s, &v.n) != 0)
				return 0;
		} else {
			v.t = ESC_JV_INT;
			if (integer(&c, &v.i) != 0)
				return 0;
		}
		dst = slot(out, key[nk], klen[nk]);
		if (dst != NULL)
			*dst = v;
		nk++;
		ws(&c);
		if (c.p >= c.end)
			return 0;
		if (*c.p == '}') {
			*used = (size_t)(++c.p - span);
			return 1;
		}
		if (*c.p != ',')
			return 0;
		c.p++;
		ws(&c);
	}
}

static void from_json(json_t *o, const char *key, struct esc_jval *v)
{
	json_t *j = json_object_get(o, key);

	memset(v, 0, sizeof *v);
	if (j == NULL)
		return;
	if (json_is_string(j)) {
		v->t = ESC_JV_STRING;
		v->s = json_string_value(j);
		v->n = strlen(v->s);   /* jansson was not given JSON_ALLOW_NUL */
	} else if (json_is_integer(j)) {
		v->t = ESC_JV_INT;
		v->i = (int64_t)json_integer_value(j);
	} else {
		v->t = ESC_JV_OTHER;
	}
}

void esc_jent_from_json(json_t *o, struct esc_jent *out)
{
	memset(out, 0, sizeof *out);
	out->object = json_is_object(o);
	if (!out->object)
		return;
	from_json(o, "path", &out->path);
	from_json(o, "type", &out->type);
	from_json(o, "size", &out->size);
	from_json(o, "sha256", &out->sha256);
	from_json(o, "target", &out->target);
	from_json(o, "mode", &out->mode);
	from_json(o, "mtime", &out->mtime);
	from_json(o, "kind", &out->kind);
	from_json(o, "format", &out->format);
}

bool esc_jval_is(const struct esc_jval *v, const char *want)
{
	return v->t == ESC_JV_STRING && want != NULL && strlen(want) == v->n && memcmp(v->s, want, v->n) == 0;
}

static const char *static_kind(const struct esc_jval *k)
{
	static const char *const kinds[] = {"code", "model", "data", "docs", "prompts", "config", "pipeline", "other"};
	size_t i;

	for (i = 0; i < sizeof kinds / sizeof kinds[0]; i++)
		if (esc_jval_is(k, kinds[i]))
			return kinds[i];
	return NULL;
}

escrow_status esc_rd_json_entry(struct esc_rd *rd, size_t i, const struct esc_jent *o)
{
	static const char *const tn[] = {"file", "dir", "symlink"};
	struct esc_file rec, *f = &rec;
	const char *why = NULL;
	char hex[65], mode[8];

	esc_rd_get(rd, i, f);

	if (!o->object || !esc_jval_is(&o->path, f->path))
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s: entry %zu is not 'data/%s' (a file was added, "
		                 "removed or renamed)", rd->path, ESC_TAG_JSON, i, f->path);
	if (!esc_jval_is(&o->type, tn[f->type]))
		why = "type";
	if (f->type == ESC_FT_FILE && (o->size.t != ESC_JV_INT || o->size.i < 0 || (uint64_t)o->size.i != f->size))
		why = "size";
	if (f->has_sha256) {
		esc_hex(f->sha256, 32, hex);
		if (!esc_jval_is(&o->sha256, hex))
			why = "SHA-256";
	} else if (o->sha256.t != ESC_JV_ABSENT) {
		why = "SHA-256";
	}
	if (f->type == ESC_FT_SYMLINK && !esc_jval_is(&o->target, esc_file_target(f)))
		why = "target";
	/* "%04o" of a mode of at most 0777, without printf (once an entry) */
	mode[0] = '0';
	mode[1] = (char)('0' + (f->mode >> 6 & 7u));
	mode[2] = (char)('0' + (f->mode >> 3 & 7u));
	mode[3] = (char)('0' + (f->mode & 7u));
	mode[4] = '\0';
	if (o->mode.t != ESC_JV_ABSENT && f->type != ESC_FT_SYMLINK && !esc_jval_is(&o->mode, mode))
		why = "mode";
	/* extract applies files' and folders' times: only signed ones. */
	if ((o->mtime.t == ESC_JV_ABSENT && f->type != ESC_FT_SYMLINK) ||
	    (o->mtime.t != ESC_JV_ABSENT && (o->mtime.t != ESC_JV_INT || o->mtime.i != f->mtime)))
		why = "mtime";
	if (why != NULL)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: 'data/%s': its %s differs from %s", rd->path, f->path,
		                 why, ESC_TAG_JSON);
	/* a symlink's time may be left out (other writers); when signed,
	 * extract gives it to the link, as tar does */
	if (f->type == ESC_FT_SYMLINK && f->link != NULL && o->mtime.t != ESC_JV_ABSENT)
		f->link->timed = true;
	if (rd->want_list) {
		char name[64];

		rd->list_kind[i] = static_kind(&o->kind);
		rd->list_format[i] = ESC_FMT_NONE;
		if (o->format.t == ESC_JV_STRING && o->format.n < sizeof name) {
			memcpy(name, o->format.s, o->format.n);
			name[o->format.n] = '\0';
			rd->list_format[i] = (uint8_t)esc_format_from_name(name);
		}
	}
	return ESCROW_OK;
}
