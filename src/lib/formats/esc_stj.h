/* esc_stj.h -- the JSON reader of the safetensors header (st_json.c), used
 * by st_header.c: a cursor over the header bytes, strings decoded in place,
 * the keys of the objects still open. Internal to formats/. */
#ifndef ESC_STJ_H
#define ESC_STJ_H

#include <stddef.h>
#include <stdint.h>

#include "formats/esc_st.h"

#define ST_DEPTH 64

struct kv {
	const char *p;
	size_t len;
};

struct keys {
	struct kv *v;
	size_t n, cap;
};

struct sp {
	char *h;
	size_t n, i;
	unsigned depth;
	char *why;
	size_t wlen;
	struct keys keys;        /* the keys of every object still open, outermost first */
	struct esc_st_range *r;
	size_t n_r, cap_r;
	struct esc_st_sum *sum;  /* NULL: not wanted */
};

/* Sets why (the first failure wins) and returns -1. */
int esc_stj_fail(struct sp *p, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* "header is not valid JSON (byte N: what)", -1. */
int esc_stj_syntax(struct sp *p, const char *what);
/* The next byte after whitespace, -1 at the end. */
int esc_stj_peek(struct sp *p);
/* c after whitespace, else a syntax error saying what. */
int esc_stj_expect(struct sp *p, char c, const char *what);
/* The string at p->i ('"'), decoded in place to [*s, *s + *len). */
int esc_stj_str(struct sp *p, const char **s, size_t *len);
/* A number: *kind 1 a non-negative integer (in *v), -1 a negative one, 0 a real. */
int esc_stj_num(struct sp *p, int *kind, uint64_t *v);
/* Any value, read for its syntax and unique keys only. */
int esc_stj_value(struct sp *p);
/* Keys of an open object: added, then checked for twins from index from. */
int esc_stj_key_add(struct sp *p, struct keys *k, const char *s, size_t len);
int esc_stj_key_dups(struct sp *p, struct keys *k, size_t from, const char *where);

#endif
