/* esc_walk_int.h -- the walk's insides, shared by tree_walk.c (one folder
 * after the other) and tree_walk_par.c (a folder's subfolders on every core);
 * internal to the two. */
#ifndef ESC_WALK_INT_H
#define ESC_WALK_INT_H

#include "escrow_private.h"

#include <dirent.h>

/* Warnings held back, in order, until the walk knows which of them a walk
 * on one core would have given (tree_walk_par.c). */
struct walk_warns {
	char **v;
	size_t n;
};

struct walker {
	escrow_ctx *ctx;            /* failures (a thread's own one on another core) */
	escrow_ctx *ictx;           /* the caller's: Ctrl-C */
	escrow_ctx *pctx;           /* the caller's, for progress; NULL: none */
	const struct esc_walk_options *o;
	struct esc_files *out;
	struct esc_walk_pool *pool; /* where paths go; NULL: malloc'd */
	struct walk_warns *warns;   /* NULL: warnings go to ctx at once */
	char **ignore;
	size_t n_ignore;
	char *root_real;
	size_t root_len;
	uint64_t n_files, n_bytes;  /* regular files found, for progress */
	bool unsorted;              /* a folder seen as a file by readdir: sort at the end */
	int threads;                /* for esc_walk_par */
};

/* A name of a folder's listing as a sort key: the name itself (the entry),
 * or for a subfolder also the name followed by '/' (where its children go). */
struct wkey {
	const char *name;
	uint32_t len;
	uint32_t idx;   /* in the listing's names */
	bool desc;      /* the "name/" key */
	bool has_desc;  /* the entry's key: a "name/" key follows somewhere */
};

/* The folder's names, with one more key for each subfolder. */
struct listing {
	char **names;
	bool *is_dir;   /* readdir's word; then whether add_entry took it as a folder */
	size_t n, cap;
	struct wkey *keys;
	size_t n_keys;
};

typedef escrow_status (*esc_walk_descend_fn)(struct walker *w, const char *rel, const char *full);

escrow_status esc_walk_list_dir(struct walker *w, DIR *d, const char *full, struct listing *l);
void esc_walk_listing_free(struct listing *l);
/* Keys [from, to) of folder rel's listing, in order: entries added, a
 * subfolder's children listed by descend. dfd is the folder's. */
escrow_status esc_walk_keys(struct walker *w, struct listing *l, int dfd, const char *rel, const char *full,
                            size_t from, size_t to, esc_walk_descend_fn descend);
/* The whole folder, on this thread. */
escrow_status esc_walk_dir(struct walker *w, const char *rel, const char *full);
/* The whole folder, its subfolders spread over w->threads threads
 * (tree_walk_par.c); the same list, warnings and failure as esc_walk_dir. */
escrow_status esc_walk_par(struct walker *w, const char *rel, const char *full);

#endif
