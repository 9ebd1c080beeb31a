/* tree_files.c -- the growable, sortable list of payload file records. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

void esc_file_clear(struct esc_file *f)
{
	free(f->path);
	if (f->link != NULL) {
		free(f->link->target);
		free(f->link->resolved);
		free(f->link);
	}
	memset(f, 0, sizeof *f);
}

static const char *const kind_names[] = {NULL, "code", "model", "data", "docs", "prompts", "config",
                                         "pipeline", "other"};

uint8_t esc_kind_of(const char *kind)
{
	uint8_t i;

	if (kind == NULL)
		return ESC_KIND_NONE;
	for (i = 1; i < sizeof kind_names / sizeof kind_names[0]; i++)
		if (strcmp(kind, kind_names[i]) == 0)
			return i;
	return ESC_KIND_OTHER; /* formats/fmt_kind.c makes no other string */
}

const char *esc_kind_name(uint8_t kind)
{
	return kind < sizeof kind_names / sizeof kind_names[0] ? kind_names[kind] : NULL;
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
	esc_notes_free(fs->notes);
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

/* A million records are kept before authentication (issue 13 s3 budget). */
_Static_assert(sizeof(void *) != 8 || sizeof(struct esc_file) == 80, "struct esc_file grew past 80 bytes");
