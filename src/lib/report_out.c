/* report_out.c -- the buffered output the renderings go through: into
 * memory, or in chunks to the caller's write function. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

bool esc_out_reserve(struct esc_out *o, size_t len)
{
	size_t cap;
	char *np;

	if (o->n + len + 1 <= o->cap)
		return true;
	cap = o->cap ? o->cap : ESC_OUT_CHUNK;
	while (cap < o->n + len + 1) {
		if (cap > SIZE_MAX / 2) {
			o->st = ESCROW_E_NOMEM;
			return false;
		}
		cap *= 2;
	}
	np = realloc(o->p, cap);
	if (np == NULL) {
		o->st = ESCROW_E_NOMEM;
		return false;
	}
	o->p = np;
	o->cap = cap;
	return true;
}

void esc_out_flush(struct esc_out *o)
{
	if (o->st != ESCROW_OK || o->fn == NULL || o->n == 0)
		return;
	if (o->fn(o->user, o->p, o->n) != 0)
		o->st = ESCROW_E_IO;
	o->n = 0;
}

void esc_out_put(struct esc_out *o, const void *s, size_t len)
{
	if (o->st != ESCROW_OK || !esc_out_reserve(o, len))
		return;
	memcpy(o->p + o->n, s, len);
	o->n += len;
	o->p[o->n] = '\0';
	if (o->fn != NULL && o->n >= ESC_OUT_CHUNK)
		esc_out_flush(o);
}
