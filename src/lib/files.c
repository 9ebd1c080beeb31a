/* files.c -- the growable, sortable list of payload file records. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

void esc_file_clear(struct esc_file *f)
{
	free(f->path);
	free(f->target);
	free(f->link_resolved);
	free(f->insp);
	memset(f, 0, sizeof *f);
}

struct esc_file *esc_files_push(struct esc_files *fs)
{
	if (fs->n == fs->cap) {
		size_t cap = fs->cap ? fs->cap * 2 : 64;
		struct esc_file *v = realloc(fs->v, cap * sizeof *v);

		if (v == NULL)
			return NULL;
		fs->v = v;
		fs->cap = cap;
	}
	memset(&fs->v[fs->n], 0, sizeof fs->v[0]);
	return &fs->v[fs->n++];
}

void esc_files_free(struct esc_files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		esc_file_clear(&fs->v[i]);
	free(fs->v);
	memset(fs, 0, sizeof *fs);
}

static int cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct esc_file *)a)->path, ((const struct esc_file *)b)->path);
}

void esc_files_sort(struct esc_files *fs)
{
	if (fs->n > 1)
		qsort(fs->v, fs->n, sizeof fs->v[0], cmp_path);
}
