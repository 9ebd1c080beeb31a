/* esc_jent.h -- one element of manifest.json's "files", as the fields the
 * reader compares (internal). Owner: bundle_read_jent.c, bundle_read_json.c.
 *
 * A million entries parsed by jansson cost a tree of allocations each; the
 * entries escrow writes have one fixed shape (an object of ASCII strings
 * without escapes and small non-negative integers), which esc_jent_fast
 * reads in place. Anything else (an escape, a byte >= 0x80, a float, a
 * negative or huge number, a nested value, a duplicate key, a syntax error)
 * makes it decline, and the caller gives the span to jansson as before: the
 * fast path never decides a verdict jansson would not. */
#ifndef ESC_JENT_H
#define ESC_JENT_H

#include "escrow_private.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum { ESC_JV_ABSENT = 0, ESC_JV_STRING, ESC_JV_INT, ESC_JV_OTHER };

struct esc_jval {
	int t;           /* ESC_JV_* */
	const char *s;   /* ESC_JV_STRING: the decoded bytes (no NUL inside), not terminated */
	size_t n;
	int64_t i;       /* ESC_JV_INT */
};

struct esc_jent {
	bool object;     /* false: the value was not a JSON object */
	struct esc_jval path, type, size, sha256, target, mode, mtime, kind, format;
};

/* 1 and *out filled when span[0..n) is exactly one object in the fixed
 * shape (strings point into span); 0 when jansson must read it. */
int esc_jent_fast(const char *span, size_t n, struct esc_jent *out);
/* The same for the object at the start of b[0..n) that ends inside it: 1
 * with its length in *used, or 0 (the caller finds its end and asks
 * esc_jent_fast or jansson). */
int esc_jent_prefix(const char *b, size_t n, struct esc_jent *out, size_t *used);
/* *out from a value jansson parsed (strings point into o). */
void esc_jent_from_json(json_t *o, struct esc_jent *out);
/* 1 if v is the string want. */
bool esc_jval_is(const struct esc_jval *v, const char *want);

/* Compares entry i of the bundle with o: ESCROW_OK, or ESCROW_TAMPERED
 * with the message naming the field that differs (bundle_read_jent.c). */
struct esc_rd;
escrow_status esc_rd_json_entry(struct esc_rd *rd, size_t i, const struct esc_jent *o);

#endif
