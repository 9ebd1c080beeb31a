/* tree_walk_links.c -- each symlink of a walked tree must lead, through the
 * entries that will be packed, to what it points to on disk. The walk
 * checks a link's final target (realpath) against the excludes, but a link
 * may get there through another link or a folder that is left out
 * ("a -> b", "b -> c.md", with b excluded): the bundle then held a link
 * that led nowhere, and verify called pack's own bundle tampered while
 * check had called the folder complete. The links are resolved here as a
 * reader of the bundle resolves them (bundle_read_check.c), over the list. */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>

#define MAX_HOPS 40 /* as the bundle reader */

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct esc_file *)elem)->path);
}

static const struct esc_file *find(const struct esc_files *fs, const char *path)
{
	return bsearch(path, fs->v, fs->n, sizeof fs->v[0], cmp_key);
}

/* target, from folder dir ("" the root), over the list. 0 when it resolves
 * (*to: the entry, NULL for the root); -1 with the first path not listed
 * in gone (or "" when memory ran out or the hops ran over). */
static int resolve(const struct esc_files *fs, const char *dir, const char *target, int *hops,
                   const struct esc_file **to, char *gone, size_t glen)
{
	char *cur = malloc(strlen(dir) + strlen(target) + 2);
	const struct esc_file *at = NULL;
	const char *p = target;
	int rc = -1;

	gone[0] = '\0';
	if (cur == NULL)
		return -1;
	strcpy(cur, dir);
	at = *dir ? find(fs, dir) : NULL; /* "." leads to the link's own folder */
	while (*p != '\0') {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p), cl = strlen(cur);

		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *s = strrchr(cur, '/');

			if (cl == 0)
				goto out;
			if (s != NULL)
				*s = '\0';
			else
				cur[0] = '\0';
			at = cur[0] ? find(fs, cur) : NULL;
		} else {
			if (cl > 0)
				strcat(cur, "/");
			strncat(cur, p, n);
			at = find(fs, cur);
			if (at == NULL) {
				snprintf(gone, glen, "%s", cur);
				goto out;
			}
			if (at->type == ESC_FT_SYMLINK) {
				char *parent = strdup(cur), *s, *np;
				const struct esc_file *t = NULL;
				int r;

				if (parent == NULL || ++*hops > MAX_HOPS || at->link == NULL) {
					free(parent);
					goto out;
				}
				s = strrchr(parent, '/');
				if (s != NULL)
					*s = '\0';
				else
					parent[0] = '\0';
				r = resolve(fs, parent, at->link->target, hops, &t, gone, glen);
				free(parent);
				if (r != 0)
					goto out;
				at = t;
				np = realloc(cur, (t ? strlen(t->path) : 0) + strlen(p) + 2);
				if (np == NULL)
					goto out;
				cur = np;
				strcpy(cur, t ? t->path : "");
			}
		}
		p += n;
		if (*p == '/')
			p++;
	}
	*to = at;
	rc = 0;
out:
	free(cur);
	return rc;
}

/* Why link f does not lead through the list to what it points to on disk
 * (into why), or "" when it does. */
static void follow(const struct esc_files *fs, const struct esc_file *f, char *why, size_t wlen)
{
	const char *s = strrchr(f->path, '/');
	char *dir = strndup(f->path, s ? (size_t)(s - f->path) : 0), gone[512];
	const struct esc_file *t = NULL;
	int hops = 0;

	why[0] = '\0';
	if (dir == NULL) {
		snprintf(why, wlen, "could not be followed (out of memory)");
		return;
	}
	if (resolve(fs, dir, f->link->target, &hops, &t, gone, sizeof gone) != 0)
		snprintf(why, wlen, "goes through '%s', which is not in the deposit (excluded or skipped)",
		         gone[0] ? gone : "?");
	else if (strcmp(t ? t->path : "", esc_file_resolved(f)) != 0)
		snprintf(why, wlen, "leads to '%s' in the deposit, not to '%s'", t ? t->path : ".",
		         esc_file_resolved(f));
	free(dir);
}

escrow_status esc_walk_links(escrow_ctx *ctx, const struct esc_walk_options *o, struct esc_files *fs)
{
	bool again = true;
	char why[1024];

	/* a link left out may be the way another one went: until none is */
	while (again) {
		again = false;
		for (size_t i = 0; i < fs->n; i++) {
			struct esc_file *f = &fs->v[i];

			if (f->type != ESC_FT_SYMLINK || f->link == NULL || esc_file_resolved(f) == NULL)
				continue;
			follow(fs, f, why, sizeof why);
			if (why[0] == '\0')
				continue;
			if (!(o->flags & ESCROW_SKIP_SYMLINKS))
				return esc_error(ctx, ESCROW_E_INPUT, "%s: symlink to '%s' %s (replace it with what it "
				                 "points to, remove it, or skip such links with --skip-symlinks)", f->path, f->link->target, why);
			esc_warn(ctx, "%s: skipped: symlink to '%s' %s", f->path, f->link->target, why);
			if (o->pool)
				f->path = NULL;
			esc_file_clear(f);
			memmove(f, f + 1, (fs->n - i - 1) * sizeof *f);
			fs->n--;
			i--;
			again = true;
		}
	}
	return ESCROW_OK;
}
