/* tree_walk_real.c -- realpath(3) inside the project folder, from its
 * descriptor: a symlink's target is resolved one name at a time relative
 * to the folder, so no path longer than one inside the tree goes to the
 * kernel. realpath on SRC/dir/link failed (ENAMETOOLONG) once SRC's own
 * path and the link's took more than PATH_MAX together, and a link of a
 * deep tree in a folder with a long absolute path was called dangling. */
#include "escrow_private.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_LINKS 40 /* as Linux (MAXSYMLINKS) */

/* cur += "/" name ("name" when cur is empty); 0 or ENOMEM. */
static int append(char **cur, size_t *len, size_t *cap, const char *name, size_t n)
{
	if (*len + n + 2 > *cap) {
		size_t c = 2 * (*len + n + 2);
		char *v = realloc(*cur, c);

		if (v == NULL)
			return ENOMEM;
		*cur = v;
		*cap = c;
	}
	if (*len > 0)
		(*cur)[(*len)++] = '/';
	memcpy(*cur + *len, name, n);
	*len += n;
	(*cur)[*len] = '\0';
	return 0;
}

int esc_walk_realpath(int rootfd, const char *dir, size_t dir_len, const char *target, char **out,
		      struct stat *st)
{
	char *cur = NULL, *rest = strdup(target), link[PATH_MAX];
	const char *p = rest;
	size_t len = 0, cap = 0;
	int hops = 0, rc = rest == NULL ? ENOMEM : append(&cur, &len, &cap, dir, dir_len);

	*out = NULL;
	if (rc == 0 && target[0] == '/')
		rc = ESC_REAL_OUTSIDE;
	while (rc == 0 && *p != '\0') {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p), keep = len;
		const char *next = end ? end + 1 : p + n;
		ssize_t k;
		char *nr;

		if (n == 0 || (n == 1 && p[0] == '.')) {
			p = next;
			continue;
		}
		if (n == 2 && p[0] == '.' && p[1] == '.') {
			const char *s = strrchr(cur, '/');

			if (len == 0) {
				rc = ESC_REAL_OUTSIDE;
				break;
			}
			len = s ? (size_t)(s - cur) : 0;
			cur[len] = '\0';
			p = next;
			continue;
		}
		rc = append(&cur, &len, &cap, p, n);
		if (rc == 0 && fstatat(rootfd, cur, st, AT_SYMLINK_NOFOLLOW) != 0)
			rc = errno;
		if (rc != 0)
			break;
		if (!S_ISLNK(st->st_mode)) {
			if (end != NULL && !S_ISDIR(st->st_mode))
				rc = ENOTDIR;
			p = next;
			continue;
		}
		/* a link: its target takes its place, from its folder */
		if (++hops > MAX_LINKS) {
			rc = ELOOP;
			break;
		}
		k = readlinkat(rootfd, cur, link, sizeof link - 1);
		if (k < 0) {
			rc = errno;
			break;
		}
		link[k] = '\0';
		if (link[0] == '/') {
			rc = ESC_REAL_OUTSIDE;
			break;
		}
		nr = end ? esc_strf("%s/%s", link, next) : strdup(link);
		if (nr == NULL) {
			rc = ENOMEM;
			break;
		}
		free(rest);
		rest = nr;
		p = rest;
		len = keep;
		cur[len] = '\0';
	}
	if (rc == 0 && fstatat(rootfd, len > 0 ? cur : ".", st, AT_SYMLINK_NOFOLLOW) != 0)
		rc = errno;
	free(rest);
	if (rc != 0) {
		free(cur);
		return rc;
	}
	*out = cur;
	return 0;
}
