/* jent_oracle.h -- the manifest.json entry fast path (bundle_read_jent.c)
 * against jansson, for the unit test and the fuzz target: whatever the fast
 * path accepts, jansson must accept with the same fields. */
#ifndef JENT_ORACLE_H
#define JENT_ORACLE_H

#include "esc_jent.h"

#include <string.h>

static int jent_same_val(const struct esc_jval *a, const struct esc_jval *b)
{
	if (a->t != b->t)
		return 0;
	if (a->t == ESC_JV_STRING)
		return a->n == b->n && memcmp(a->s, b->s, a->n) == 0;
	return a->t != ESC_JV_INT || a->i == b->i;
}

/* NULL when consistent, else what differs. *fast says whether the fast
 * path took the text. */
static const char *jent_oracle(const char *b, size_t n, int *fast)
{
	struct esc_jent f, j;
	json_error_t err;
	json_t *o;
	const char *why = NULL;

	*fast = esc_jent_fast(b, n, &f);
	if (!*fast)
		return NULL;
	o = json_loadb(b, n, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	if (o == NULL)
		return "the fast path took a text jansson refuses";
	esc_jent_from_json(o, &j);
	if (f.object != j.object)
		why = "object";
	else if (!jent_same_val(&f.path, &j.path))
		why = "path";
	else if (!jent_same_val(&f.type, &j.type))
		why = "type";
	else if (!jent_same_val(&f.size, &j.size))
		why = "size";
	else if (!jent_same_val(&f.sha256, &j.sha256))
		why = "sha256";
	else if (!jent_same_val(&f.target, &j.target))
		why = "target";
	else if (!jent_same_val(&f.mode, &j.mode))
		why = "mode";
	else if (!jent_same_val(&f.mtime, &j.mtime))
		why = "mtime";
	else if (!jent_same_val(&f.kind, &j.kind))
		why = "kind";
	else if (!jent_same_val(&f.format, &j.format))
		why = "format";
	json_decref(o);
	return why;
}

#endif
