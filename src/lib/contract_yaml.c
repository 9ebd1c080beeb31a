/* contract_yaml.c -- typed reads over libyaml events, with positions. */
#include "escrow_private.h"
#include "contract_yaml.h"

#include <string.h>

escrow_status cy_open(struct cy *y, escrow_ctx *ctx, const char *name, const char *text, size_t len)
{
	memset(y, 0, sizeof *y);
	y->ctx = ctx;
	y->name = name;
	if (!yaml_parser_initialize(&y->parser))
		return esc_nomem(ctx);
	y->have_parser = true;
	yaml_parser_set_input_string(&y->parser, (const unsigned char *)text, len);
	return ESCROW_OK;
}

void cy_close(struct cy *y)
{
	size_t i;

	for (i = 0; i < y->n_err; i++)
		free(y->errs[i]);
	y->n_err = 0;
	if (y->have_ev)
		yaml_event_delete(&y->ev);
	if (y->have_parser)
		yaml_parser_delete(&y->parser);
	y->have_ev = y->have_parser = false;
}

escrow_status cy_fail(struct cy *y, const yaml_mark_t *m, const char *fmt, ...)
{
	char msg[768];
	va_list ap;

	char *line;

	va_start(ap, fmt);
	esc_vclip(msg, sizeof msg, fmt, ap);
	va_end(ap);
	if (y->fatal)
		return ESCROW_E_INPUT;
	if (y->n_err == CY_MAX_ERRORS) {
		line = esc_strf("%s: more than %d errors: stopping here", y->name, CY_MAX_ERRORS);
		y->fatal = true;
	} else {
		line = esc_strf("%s:%zu:%zu: %s", y->name, (size_t)m->line + 1, (size_t)m->column + 1, msg);
	}
	if (line == NULL) {
		y->fatal = true;
		return esc_nomem(y->ctx);
	}
	y->errs[y->n_err++] = line;
	return ESCROW_E_INPUT;
}

bool cy_soft(const struct cy *y, escrow_status st)
{
	return st == ESCROW_E_INPUT && !y->fatal;
}

#define CY_SKIP_DEPTH 16u

escrow_status cy_skip(struct cy *y)
{
	unsigned depth;
	escrow_status st;

	if (!y->have_ev || (y->ev.type != YAML_MAPPING_START_EVENT && y->ev.type != YAML_SEQUENCE_START_EVENT))
		return ESCROW_OK;
	for (depth = 1; depth > 0;) {
		st = cy_next(y);
		if (st != ESCROW_OK)
			return st;
		if (y->ev.type == YAML_MAPPING_START_EVENT || y->ev.type == YAML_SEQUENCE_START_EVENT) {
			/* No contract nests deeper than its schema (a few levels): a
			 * value that does is not skipped (libyaml would follow a
			 * million '[' one by one), the reading stops there. */
			if (++depth > CY_SKIP_DEPTH) {
				y->fatal = true;
				return cy_fail(y, &y->ev.start_mark, "nested more than %u levels deep, where a contract "
				               "has a list of words: stopped reading here", CY_SKIP_DEPTH);
			}
		}
		else if (y->ev.type == YAML_MAPPING_END_EVENT || y->ev.type == YAML_SEQUENCE_END_EVENT)
			depth--;
		else if (y->ev.type == YAML_STREAM_END_EVENT || y->ev.type == YAML_DOCUMENT_END_EVENT)
			break;
	}
	return ESCROW_OK;
}

escrow_status cy_report(struct cy *y)
{
	if (y->n_err == 0)
		return ESCROW_OK;
	return esc_error_lines(y->ctx, ESCROW_E_INPUT, y->errs, y->n_err);
}

static const char *event_anchor(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT: return (const char *)e->data.scalar.anchor;
	case YAML_SEQUENCE_START_EVENT: return (const char *)e->data.sequence_start.anchor;
	case YAML_MAPPING_START_EVENT: return (const char *)e->data.mapping_start.anchor;
	default: return NULL;
	}
}

static const char *event_tag(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SCALAR_EVENT: return (const char *)e->data.scalar.tag;
	case YAML_SEQUENCE_START_EVENT: return (const char *)e->data.sequence_start.tag;
	case YAML_MAPPING_START_EVENT: return (const char *)e->data.mapping_start.tag;
	default: return NULL;
	}
}

escrow_status cy_next(struct cy *y)
{
	if (y->have_ev) {
		yaml_event_delete(&y->ev);
		y->have_ev = false;
	}
	if (!yaml_parser_parse(&y->parser, &y->ev)) {
		const char *problem = y->parser.problem ? y->parser.problem : "malformed YAML";
		escrow_status st;

		if (y->parser.error == YAML_MEMORY_ERROR) {
			y->fatal = true;
			return esc_nomem(y->ctx);
		}
		if (y->parser.context != NULL)
			st = cy_fail(y, &y->parser.problem_mark, "YAML syntax: %s %s (line %zu)", problem,
			             y->parser.context, (size_t)y->parser.context_mark.line + 1);
		else
			st = cy_fail(y, &y->parser.problem_mark, "YAML syntax: %s", problem);
		y->fatal = true; /* the events cannot be followed past it */
		return st;
	}
	y->have_ev = true;
	if (y->ev.type == YAML_ALIAS_EVENT || event_anchor(&y->ev) != NULL) {
		cy_fail(y, &y->ev.start_mark, "YAML anchors and aliases (&, *) are not allowed in a "
		        "contract: write each value out");
		y->fatal = true;
		return ESCROW_E_INPUT;
	}
	if (event_tag(&y->ev) != NULL) {
		cy_fail(y, &y->ev.start_mark, "YAML tags (!, !!) are not allowed in a contract");
		y->fatal = true;
		return ESCROW_E_INPUT;
	}
	if (y->ev.type == YAML_SCALAR_EVENT && strlen(cy_value(y)) != y->ev.data.scalar.length) {
		cy_fail(y, &y->ev.start_mark, "NUL character in a value");
		y->fatal = true;
		return ESCROW_E_INPUT;
	}
	return ESCROW_OK;
}

const char *cy_value(const struct cy *y)
{
	return (const char *)y->ev.data.scalar.value;
}

bool cy_is_null(const struct cy *y)
{
	const char *v = cy_value(y);

	if (y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	return *v == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 || strcmp(v, "Null") == 0 ||
	       strcmp(v, "NULL") == 0;
}

static const char *shape(const yaml_event_t *e)
{
	switch (e->type) {
	case YAML_SEQUENCE_START_EVENT: return "a list";
	case YAML_MAPPING_START_EVENT: return "a mapping";
	default: return "something else";
	}
}

/* Moves to the value of key and checks it is a non-null scalar. */
static escrow_status scalar_value(struct cy *y, const char *key, const char *what)
{
	escrow_status st = cy_next(y);

	if (st != ESCROW_OK)
		return st;
	if (y->ev.type != YAML_SCALAR_EVENT)
		return cy_fail(y, &y->ev.start_mark, "'%s' must be %s, not %s", key, what, shape(&y->ev));
	if (cy_is_null(y))
		return cy_fail(y, &y->ev.start_mark, "'%s' has no value (expected %s)", key, what);
	return ESCROW_OK;
}

escrow_status cy_text(struct cy *y, const char *key, size_t max, bool multiline, const char **v,
                      yaml_mark_t *m)
{
	escrow_status st = scalar_value(y, key, "text");
	const unsigned char *p;

	if (st != ESCROW_OK)
		return st;
	*m = y->ev.start_mark;
	*v = cy_value(y);
	if (strlen(*v) > max)
		return cy_fail(y, m, "'%s' is longer than %zu bytes", key, max);
	for (p = (const unsigned char *)*v; *p; p++)
		if ((*p < 0x20 && !(multiline && (*p == '\n' || *p == '\t'))) || *p == 0x7f)
			return cy_fail(y, m, "'%s' holds a control character%s", key,
			               multiline ? "" : " (it must fit on one line)");
	return ESCROW_OK;
}

escrow_status cy_uint(struct cy *y, const char *key, uint64_t *out)
{
	escrow_status st = scalar_value(y, key, "a number");
	const char *v, *p;
	uint64_t n = 0;

	if (st != ESCROW_OK)
		return st;
	v = cy_value(y);
	if (y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cy_fail(y, &y->ev.start_mark, "'%s' must be a number, not quoted text", key);
	p = v;
	if (*p == '+')
		p++;
	if (*v == '-' && v[1] >= '0' && v[1] <= '9')
		return cy_fail(y, &y->ev.start_mark, "'%s' must not be negative (got %.32s)", key, v);
	if (*p == '\0')
		return cy_fail(y, &y->ev.start_mark, "'%s' must be a whole number, got '%.32s'", key, v);
	for (; *p; p++) {
		unsigned d;

		if (*p == '_' && p > v && p[-1] >= '0' && p[-1] <= '9' && p[1] >= '0' && p[1] <= '9')
			continue; /* YAML 1.1 digit separator: 1_000_000 */
		if (*p < '0' || *p > '9')
			return cy_fail(y, &y->ev.start_mark, "'%s' must be a whole number, got '%.32s'", key, v);
		d = (unsigned)(*p - '0');
		if (n > (UINT64_MAX - d) / 10)
			return cy_fail(y, &y->ev.start_mark, "'%s' is too large (at most %llu)", key,
			               (unsigned long long)UINT64_MAX);
		n = n * 10 + d;
	}
	*out = n;
	return ESCROW_OK;
}

escrow_status cy_bool(struct cy *y, const char *key, bool *out)
{
	static const char *const yes[] = {"true", "True", "TRUE", NULL};
	static const char *const no[] = {"false", "False", "FALSE", NULL};
	escrow_status st = scalar_value(y, key, "true or false");
	const char *v;
	int i;

	if (st != ESCROW_OK)
		return st;
	v = cy_value(y);
	if (y->ev.data.scalar.style == YAML_PLAIN_SCALAR_STYLE) {
		for (i = 0; yes[i]; i++)
			if (strcmp(v, yes[i]) == 0) {
				*out = true;
				return ESCROW_OK;
			}
		for (i = 0; no[i]; i++)
			if (strcmp(v, no[i]) == 0) {
				*out = false;
				return ESCROW_OK;
			}
	}
	/* "false" in quotes is text: "must be true or false, got 'false'" read as
	 * a contradiction */
	if (y->ev.data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return cy_fail(y, &y->ev.start_mark, "'%s' must be true or false, not quoted text (write %s: %.32s)",
		               key, key, v);
	return cy_fail(y, &y->ev.start_mark, "'%s' must be true or false, got '%.32s'", key, v);
}
