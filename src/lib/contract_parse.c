/* contract_parse.c -- the deliverables list (YAML, schema v1) read with
 * libyaml's event API, so that every message carries file:line:column.
 * The schema has a fixed shape (mapping -> list -> mapping -> list of text),
 * so the parser consumes events in that order and stops at the first thing
 * that does not fit: no tree is built, nesting cannot go deeper than the
 * schema, and anchors, aliases and tags are refused outright. */
#include "escrow_private.h"
#include "contract_yaml.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CONTRACT_BYTES ESC_CONTRACT_MAX_BYTES
#define MAX_DELIVERABLES ESC_CONTRACT_MAX_DELIVERABLES
#define MAX_GLOBS ESC_CONTRACT_MAX_GLOBS

static const char *const top_keys[] = {"escrow-contract", "contract", "agency", "client",
                                       "deliverables", "forbid", "exclude", NULL};
static const char *const dlv_keys[] = {"id", "description", "kind", "include", "exclude", "format",
                                       "min-files", "min-bytes", "sha256", "required", NULL};
static const char *const kinds[] = {"code", "model", "data", "docs", "prompts", "config",
                                    "pipeline", "other", NULL};

const char *const esc_contract_formats[] = {"safetensors", "onnx", "gguf", "pytorch", "keras",
                                            "hdf5", "tf-savedmodel", "npy", "npz", "parquet", "zip",
                                            "pdf", "json", "yaml", "csv", "text", NULL};

static int key_index(const char *const *keys, const char *k)
{
	int i;

	for (i = 0; keys[i]; i++)
		if (strcmp(keys[i], k) == 0)
			return i;
	return -1;
}

static void join(const char *const *list, char *out, size_t len)
{
	size_t i, o = 0;

	out[0] = '\0';
	for (i = 0; list[i] && o < len; i++)
		o += (size_t)snprintf(out + o, len - o, "%s%s", i ? ", " : "", list[i]);
}

/* "unknown WHAT 'v' (did you mean 'x'?)", else "(expected one of ...)"; a
 * '_' for '-' is found as a typo too (min_files). */
static escrow_status unknown_word(struct cy *y, const yaml_mark_t *m, const char *what,
                                  const char *const *words, const char *v)
{
	char list[256], alt[64];
	const char *best;
	size_t i;

	join(words, list, sizeof list);
	snprintf(alt, sizeof alt, "%s", v);
	for (i = 0; alt[i]; i++)
		if (alt[i] == '_')
			alt[i] = '-';
	best = key_index(words, alt) >= 0 ? words[key_index(words, alt)] : escrow_suggest(v, words);
	if (best != NULL)
		return cy_fail(y, m, "unknown %s '%.64s' (did you mean '%s'?)", what, v, best);
	return cy_fail(y, m, "unknown %s '%.64s' (expected one of %s)", what, v, list);
}

/* The next key of a mapping whose keys are known: *k its index in keys, or
 * -1 at the mapping's end. A key that is not a scalar (not_word says so),
 * unknown or given twice is an error, recorded; its value is skipped and
 * the next key read. */
static escrow_status next_key(struct cy *y, const char *const *keys, const char *not_word, unsigned *seen,
                              int *k)
{
	for (;;) {
		escrow_status st = cy_next(y), bad;

		*k = -1;
		if (st != ESCROW_OK || y->ev.type == YAML_MAPPING_END_EVENT)
			return st;
		if (y->ev.type != YAML_SCALAR_EVENT) {
			bad = cy_fail(y, &y->ev.start_mark, "%s", not_word);
			st = cy_skip(y);
		} else {
			*k = key_index(keys, cy_value(y));
			if (*k >= 0 && !(*seen & (1u << *k))) {
				*seen |= 1u << *k;
				return ESCROW_OK;
			}
			if (*k < 0)
				bad = unknown_word(y, &y->ev.start_mark, "key", keys, cy_value(y));
			else
				bad = cy_fail(y, &y->ev.start_mark, "duplicate key '%s'", keys[*k]);
		}
		if (!cy_soft(y, bad))
			return bad;
		if (st == ESCROW_OK)
			st = cy_next(y); /* the value */
		if (st == ESCROW_OK)
			st = cy_skip(y);
		if (st != ESCROW_OK)
			return st;
	}
}

static int id_ok(const char *s)
{
	const char *p;

	if (*s == '\0' || strlen(s) > 64)
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-'))
			return 0;
	return 1;
}

/* The contract id becomes bag-info's External-Identifier and the default
 * bundle name (the bag's top folder), so it must be one safe path segment. */
static int contract_id_ok(const char *s)
{
	const char *p;

	if (*s == '\0' || strlen(s) > 128 || *s == '.' || *s == '-')
		return 0;
	for (p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		      *p == '-' || *p == '_' || *p == '.'))
			return 0;
	return 1;
}

/* Room for element n of an array that holds n: doubles when n is 0 or a
 * power of two, so a long list costs O(n) copies, not O(n^2). Returns the
 * (possibly moved) array, or NULL when out of memory (arr still valid). */
static void *grow(void *arr, size_t n, size_t size)
{
	if (n != 0 && (n & (n - 1)) != 0)
		return arr;
	return realloc(arr, (n ? 2 * n : 1) * size);
}

/* A '.' or '..' segment, or an empty one ('a//b'), is in no payload path
 * (relative to the root, '/'-separated, no './'): such a glob matches
 * nothing, so an include of a file that is there would be missing, and a
 * forbid or exclude would let through what it names. Refused. */
static bool never_matches(const char *g)
{
	const char *s = g;

	while (*s == '/')
		s++;
	while (*s != '\0') {
		const char *e = strchr(s, '/');
		size_t len = e ? (size_t)(e - s) : strlen(s);

		if ((len == 0 && e != NULL && e[1] != '\0') || (len == 1 && s[0] == '.') ||
		    (len == 2 && s[0] == '.' && s[1] == '.'))
			return true;
		if (e == NULL)
			break;
		s = e + 1;
	}
	return false;
}

static escrow_status parse_globs(struct cy *y, const char *key, bool nonempty, char ***arr, size_t *n)
{
	yaml_mark_t start;
	escrow_status st, bad = ESCROW_OK;
	bool over = false;

	st = cy_next(y);
	if (st != ESCROW_OK)
		return st;
	start = y->ev.start_mark;
	if (y->ev.type != YAML_SEQUENCE_START_EVENT)
		return cy_fail(y, &start, "'%s' must be a list of globs, e.g. %s: [\"models/**\"]", key, key);
	for (;;) {
		const char *why = NULL;
		char **v;

		st = cy_next(y);
		if (st != ESCROW_OK)
			return st;
		if (y->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (y->ev.type != YAML_SCALAR_EVENT || cy_is_null(y)) {
			bad = cy_fail(y, &y->ev.start_mark, "each entry of '%s' must be a glob (text)", key);
			st = cy_soft(y, bad) ? cy_skip(y) : bad;
			if (st != ESCROW_OK)
				return st;
			continue;
		}
		if (*n >= MAX_GLOBS) {
			/* Said once, and the rest of the list read past: stopping
			 * inside it made every later event an error of its own. */
			if (!over) {
				bad = cy_fail(y, &y->ev.start_mark, "'%s' has more than %d globs", key, MAX_GLOBS);
				over = true;
				if (!cy_soft(y, bad))
					return bad;
			}
			continue;
		}
		if (esc_glob_valid(cy_value(y), &why) && never_matches(cy_value(y)))
			why = "a '.', '..' or empty segment is in no payload path, so it matches nothing (paths are "
			      "relative to the project root without './': write 'models/x.bin' or '/models/x.bin')";
		if (why != NULL) {
			bad = cy_fail(y, &y->ev.start_mark, "bad glob in '%s': %s", key, why);
			if (!cy_soft(y, bad))
				return bad;
			continue;
		}
		v = grow(*arr, *n, sizeof *v);
		if (v == NULL)
			return esc_nomem(y->ctx);
		*arr = v;
		v[*n] = strdup(cy_value(y));
		if (v[*n] == NULL)
			return esc_nomem(y->ctx);
		(*n)++;
	}
	if (bad != ESCROW_OK)
		return bad;
	if (nonempty && *n == 0)
		return cy_fail(y, &start, "'%s' is empty: list at least one glob", key);
	return ESCROW_OK;
}

static escrow_status parse_dlv_key(struct cy *y, struct esc_deliverable *d, int k)
{
	escrow_status st = ESCROW_OK;
	yaml_mark_t m;
	const char *v;

	switch (k) {
	case 3:
		return parse_globs(y, "include", true, &d->include, &d->n_include);
	case 4:
		return parse_globs(y, "exclude", false, &d->exclude, &d->n_exclude);
	case 6:
		return cy_uint(y, "min-files", &d->min_files);
	case 7:
		return cy_uint(y, "min-bytes", &d->min_bytes);
	case 9:
		return cy_bool(y, "required", &d->required);
	default:
		break;
	}
	st = cy_text(y, dlv_keys[k], k == 1 ? 4096 : 256, k == 1, &v, &m);
	if (st != ESCROW_OK)
		return st;
	if (k == 0 && !id_ok(v))
		return cy_fail(y, &m, "deliverable id '%.64s' must be 1 to 64 of a-z, 0-9 and '-'", v);
	if (k == 2 && key_index(kinds, v) < 0)
		return unknown_word(y, &m, "kind", kinds, v);
	if (k == 5 && key_index(esc_contract_formats, v) < 0)
		return unknown_word(y, &m, "format", esc_contract_formats, v);
	if (k == 8) {
		if (strlen(v) != 64 || esc_unhex(v, 64, d->sha256, 32) != 0)
			return cy_fail(y, &m, "sha256 must be 64 hex digits (as printed by sha256sum)");
		d->has_sha256 = true;
		return ESCROW_OK;
	}
	if (k == 0 || k == 1 || k == 2 || k == 5) {
		char **dst = k == 0 ? &d->id : k == 1 ? &d->description : k == 2 ? &d->kind : &d->format;

		*dst = strdup(v);
		if (*dst == NULL)
			return esc_nomem(y->ctx);
	}
	return st;
}

static escrow_status parse_deliverable(struct cy *y, struct esc_deliverable *d, yaml_mark_t *id_mark)
{
	yaml_mark_t start = y->ev.start_mark;
	unsigned seen = 0;
	escrow_status st;

	d->min_files = 1;
	d->required = true;
	for (;;) {
		int k;

		st = next_key(y, dlv_keys, "a deliverable's keys must be plain words", &seen, &k);
		if (st != ESCROW_OK)
			return st;
		if (k < 0)
			break;
		if (k == 0)
			*id_mark = y->ev.start_mark;
		st = parse_dlv_key(y, d, k);
		if (cy_soft(y, st))
			st = cy_skip(y);
		if (st != ESCROW_OK)
			return st;
	}
	if (!(seen & 1u))
		cy_fail(y, &start, "deliverable has no 'id'");
	if (!(seen & (1u << 3)))
		cy_fail(y, &start, "deliverable '%s' has no 'include' (globs of the files it holds)",
		        d->id ? d->id : "");
	if (d->id == NULL || d->n_include == 0)
		return ESCROW_E_INPUT;
	if (d->min_files == 0)
		return cy_fail(y, &start, "deliverable '%s': min-files must be at least 1 (use required: false "
		               "for an optional deliverable)", d->id);
	if (d->kind == NULL) {
		d->kind = strdup("other");
		if (d->kind == NULL)
			return esc_nomem(y->ctx);
	}
	return ESCROW_OK;
}

struct idpos {
	const char *id;
	yaml_mark_t mark;
	size_t index;
};

static int cmp_idpos(const void *a, const void *b)
{
	const struct idpos *x = a, *z = b;
	int c = strcmp(x->id, z->id);

	if (c != 0)
		return c;
	return x->index < z->index ? -1 : x->index > z->index;
}

static escrow_status parse_deliverables(struct cy *y, escrow_contract *c)
{
	yaml_mark_t start;
	struct idpos *pos = NULL;
	escrow_status st, over = ESCROW_OK;
	size_t i;

	st = cy_next(y);
	if (st != ESCROW_OK)
		return st;
	start = y->ev.start_mark;
	if (y->ev.type != YAML_SEQUENCE_START_EVENT)
		return cy_fail(y, &start, "'deliverables' must be a list of mappings (- id: ...)");
	for (;;) {
		struct esc_deliverable *v;
		struct idpos *pv;

		st = cy_next(y);
		if (st != ESCROW_OK)
			goto out;
		if (y->ev.type == YAML_SEQUENCE_END_EVENT)
			break;
		if (y->ev.type != YAML_MAPPING_START_EVENT) {
			st = cy_fail(y, &y->ev.start_mark, "each deliverable must be a mapping (id:, include:, ...)");
			if (cy_soft(y, st))
				st = cy_skip(y);
			if (st != ESCROW_OK)
				goto out;
			continue;
		}
		if (c->n_d >= MAX_DELIVERABLES) { /* said once, the rest read past (as globs) */
			if (over == ESCROW_OK)
				over = cy_fail(y, &y->ev.start_mark, "more than %d deliverables", MAX_DELIVERABLES);
			st = cy_soft(y, over) ? cy_skip(y) : over;
			if (st != ESCROW_OK)
				goto out;
			continue;
		}
		v = grow(c->d, c->n_d, sizeof *v);
		if (v != NULL)
			c->d = v;
		pv = v ? grow(pos, c->n_d, sizeof *pv) : NULL;
		if (pv == NULL) {
			st = esc_nomem(y->ctx);
			goto out;
		}
		pos = pv;
		memset(&c->d[c->n_d], 0, sizeof c->d[0]);
		c->n_d++;
		memset(&pos[c->n_d - 1], 0, sizeof pos[0]);
		st = parse_deliverable(y, &c->d[c->n_d - 1], &pos[c->n_d - 1].mark);
		if (st != ESCROW_OK && !cy_soft(y, st))
			goto out;
		st = ESCROW_OK;
		pos[c->n_d - 1].id = c->d[c->n_d - 1].id ? c->d[c->n_d - 1].id : "";
		pos[c->n_d - 1].index = c->n_d - 1;
	}
	if (c->n_d == 0) {
		st = cy_fail(y, &start, "'deliverables' is empty: list at least one deliverable");
		goto out;
	}
	st = over;
	qsort(pos, c->n_d, sizeof *pos, cmp_idpos);
	for (i = 1; i < c->n_d; i++)
		if (*pos[i].id != '\0' && strcmp(pos[i].id, pos[i - 1].id) == 0)
			st = cy_fail(y, &pos[i].mark, "duplicate deliverable id '%s' (first at line %zu)", pos[i].id,
			             (size_t)pos[i - 1].mark.line + 1);
out:
	free(pos);
	return st;
}

static escrow_status parse_top_key(struct cy *y, escrow_contract *c, int k)
{
	escrow_status st;
	const char *v;
	yaml_mark_t m;
	uint64_t version;

	switch (k) {
	case 0:
		st = cy_uint(y, "escrow-contract", &version);
		if (st == ESCROW_OK && version != 1)
			st = cy_fail(y, &y->ev.start_mark, "unsupported escrow-contract version %llu (this escrow reads version 1)",
			             (unsigned long long)version);
		return st;
	case 4:
		return parse_deliverables(y, c);
	case 5:
		return parse_globs(y, "forbid", false, &c->forbid, &c->n_forbid);
	case 6:
		return parse_globs(y, "exclude", false, &c->exclude, &c->n_exclude);
	default:
		break;
	}
	st = cy_text(y, top_keys[k], 1024, false, &v, &m);
	if (st != ESCROW_OK)
		return st;
	if (k == 1 && !contract_id_ok(v))
		return cy_fail(y, &m, "contract id '%.64s' must be 1 to 128 of A-Z, a-z, 0-9, '.', '_' and '-' "
		               "(it names the bundle), not starting with '.' or '-'", v);
	{
		char **dst = k == 1 ? &c->id : k == 2 ? &c->agency : &c->client;

		*dst = strdup(v);
		if (*dst == NULL)
			return esc_nomem(y->ctx);
	}
	return ESCROW_OK;
}

static escrow_status parse_root(struct cy *y, escrow_contract *c)
{
	unsigned seen = 0;
	escrow_status st;
	yaml_mark_t start;

	st = cy_next(y); /* stream start */
	if (st == ESCROW_OK)
		st = cy_next(y);
	if (st != ESCROW_OK)
		return st;
	if (y->ev.type == YAML_STREAM_END_EVENT)
		return cy_fail(y, &y->ev.start_mark, "empty contract (it starts with 'escrow-contract: 1')");
	st = cy_next(y);
	if (st != ESCROW_OK)
		return st;
	start = y->ev.start_mark;
	if (y->ev.type != YAML_MAPPING_START_EVENT)
		return cy_fail(y, &start, "a contract is a mapping that starts with 'escrow-contract: 1'");
	for (;;) {
		int k;

		st = next_key(y, top_keys, "keys must be plain words", &seen, &k);
		if (st != ESCROW_OK)
			return st;
		if (k < 0)
			break;
		st = parse_top_key(y, c, k);
		if (cy_soft(y, st))
			st = cy_skip(y);
		if (st != ESCROW_OK)
			return st;
	}
	if (!(seen & 1u))
		cy_fail(y, &start, "missing 'escrow-contract: 1' (the schema version)");
	if (!(seen & 2u))
		cy_fail(y, &start, "missing 'contract:' (the contract id, e.g. FRAUD-2026-07)");
	if (!(seen & 16u))
		cy_fail(y, &start, "missing 'deliverables:' (the list of what the deposit must hold)");
	st = cy_next(y); /* document end */
	if (st == ESCROW_OK)
		st = cy_next(y);
	if (st == ESCROW_OK && y->ev.type != YAML_STREAM_END_EVENT)
		return cy_fail(y, &y->ev.start_mark, "only one YAML document is allowed");
	return st;
}

escrow_status escrow_contract_parse(escrow_ctx *ctx, const char *name, const void *text, size_t len,
                                    escrow_contract **out)
{
	escrow_contract *c = NULL;
	struct cy y;
	escrow_status st;

	if (out == NULL || (text == NULL && len > 0))
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_contract_parse: NULL argument");
	*out = NULL;
	if (name == NULL)
		name = "contract";
	if (len > MAX_CONTRACT_BYTES)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: %zu bytes, larger than the 1 MiB a contract may hold",
		                 name, len);
	c = calloc(1, sizeof *c);
	if (c == NULL)
		return esc_nomem(ctx);
	c->source_name = strdup(name);
	c->raw = malloc(len + 1);
	if (c->source_name == NULL || c->raw == NULL) {
		escrow_contract_free(c);
		return esc_nomem(ctx);
	}
	if (len > 0)
		memcpy(c->raw, text, len);
	c->raw[len] = '\0';
	c->raw_len = len;
	esc_sha256_buf(c->raw, len, c->raw_sha256);
	st = cy_open(&y, ctx, name, c->raw, len);
	if (st == ESCROW_OK)
		st = parse_root(&y, c);
	/* Every error recorded, not only the one that stopped the parse. */
	if (st != ESCROW_E_NOMEM && y.n_err > 0)
		st = cy_report(&y);
	cy_close(&y);
	if (st == ESCROW_OK && esc_contract_index(c) != 0)
		st = esc_nomem(ctx);
	if (st != ESCROW_OK) {
		escrow_contract_free(c);
		return st;
	}
	*out = c;
	return ESCROW_OK;
}

escrow_status escrow_contract_load(escrow_ctx *ctx, const char *path, escrow_contract **out)
{
	char *buf = NULL;
	size_t len = 0;
	escrow_status st;

	if (out == NULL || path == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_contract_load: NULL argument");
	*out = NULL;
	st = esc_read_small_file(ctx, path, MAX_CONTRACT_BYTES, &buf, &len);
	if (st == ESCROW_E_INPUT)
		return esc_error(ctx, st, "%s: larger than the 1 MiB a contract may hold", path);
	if (st != ESCROW_OK)
		return st;
	st = escrow_contract_parse(ctx, path, buf, len, out);
	free(buf);
	return st;
}

static void free_strv(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void escrow_contract_free(escrow_contract *c)
{
	size_t i;

	if (c == NULL)
		return;
	esc_contract_index_free(c);
	for (i = 0; i < c->n_d; i++) {
		struct esc_deliverable *d = &c->d[i];

		free(d->id);
		free(d->description);
		free(d->kind);
		free(d->format);
		free_strv(d->include, d->n_include);
		free_strv(d->exclude, d->n_exclude);
	}
	free(c->d);
	free_strv(c->forbid, c->n_forbid);
	free_strv(c->exclude, c->n_exclude);
	free(c->source_name);
	free(c->raw);
	free(c->id);
	free(c->agency);
	free(c->client);
	free(c);
}

const char *escrow_contract_id(const escrow_contract *c)
{
	return c && c->id ? c->id : "";
}

int escrow_contract_has_deliverable(const escrow_contract *c, const char *id)
{
	size_t i;

	if (c == NULL || id == NULL)
		return 0;
	for (i = 0; i < c->n_d; i++)
		if (strcmp(c->d[i].id, id) == 0)
			return 1;
	return 0;
}
