/* tree_pool.c -- the walk's paths in big blocks (see esc_walk_pool in
 * esc_walk.h): one malloc per path cost a 32-byte chunk for a 17-byte path. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

#define POOL_BLOCK (256u * 1024u)

char *esc_walk_pool_dup(struct esc_walk_pool *p, const char *s, size_t len)
{
	char *r;

	if (len + 1 > p->left) {
		size_t size = len + 1 > POOL_BLOCK ? len + 1 : POOL_BLOCK;

		if (p->n == p->cap) {
			size_t cap = p->cap ? p->cap * 2 : 64;
			char **v = realloc(p->blocks, cap * sizeof *v);

			if (v == NULL)
				return NULL;
			p->blocks = v;
			p->cap = cap;
		}
		p->cur = malloc(size);
		if (p->cur == NULL) {
			p->left = 0;
			return NULL;
		}
		p->blocks[p->n++] = p->cur;
		p->left = size;
	}
	r = p->cur;
	memcpy(r, s, len);
	r[len] = '\0';
	p->cur += len + 1;
	p->left -= len + 1;
	return r;
}

void esc_walk_pool_free(struct esc_walk_pool *p)
{
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->n; i++)
		free(p->blocks[i]);
	free(p->blocks);
	memset(p, 0, sizeof *p);
}

void esc_walk_files_free(struct esc_files *fs, struct esc_walk_pool *pool)
{
	size_t i;

	if (pool != NULL)
		for (i = 0; i < fs->n; i++)
			fs->v[i].path = NULL;
	esc_files_free(fs);
	esc_walk_pool_free(pool);
}
