/* tree_walk.c -- lists a project folder for pack and check (see esc_walk.h).
 * lstat-based: symlinks are recorded, never followed into. Each folder is
 * read whole before descending; its descriptor stays open while its
 * subfolders are walked, down to KEEP_OPEN levels, and memory holds the
 * entries and one folder's names per level.
 * Entries come out in their final order (bytewise by whole path): sorting
 * siblings by name is not enough ("a-b" < "a/b"), so a folder's children are
 * keyed "name/" among its siblings, its own entry "name". No sort of the
 * whole list at the end (its 16-byte-per-entry scratch at a million files),
 * and a reader of the list could start on the first entries at once. */
#include "escrow_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The longest payload path pack takes: PATH_MAX less its NUL, the longest
 * path the kernel opens in one call. (Readers take up to 4096 bytes.) */
#define MAX_REL (PATH_MAX - 1)
#define IGNORE_FILE ".escrowignore"
#define STAT_AHEAD 65536
/* Folders deeper than this close their descriptor while a subfolder is
 * walked (opened from the project folder) and open it again after: each
 * level held one, and a tree 1,100 folders deep (paths of 2,200 bytes) ran
 * out at the usual limit of 1,024 ('Too many open files'). */
#define KEEP_OPEN 64

struct walker {
	escrow_ctx *ctx;
	const struct esc_walk_options *o;
	struct esc_files *out;
	char **ignore;
	size_t n_ignore;
	int rootfd;                 /* the folder: every path below is opened from it */
	unsigned depth;             /* folders open in walk_dir */
	uint64_t n_files, n_bytes;  /* regular files found, for progress */
	bool unsorted;              /* a folder seen as a file by readdir: sort at the end */
	struct esc_statpool *stats; /* a helper for large folders' fstatat, or NULL */
	const char **xpat;          /* -x, .escrowignore and the contract's exclude: globs */
	esc_globset *xset;          /* xpat indexed: one look-up a path, not one match a glob */
};

static int is_vcs(const char *name)
{
	return strcmp(name, ".git") == 0 || strcmp(name, ".hg") == 0 || strcmp(name, ".svn") == 0;
}

/* "./x" in -x or .escrowignore means x at the root, "/x": no path of the
 * tree starts with "./", so kept as written the pattern left out nothing,
 * silently (a "./secrets.env" line packed the file). */
static const char *from_root(const char *pattern)
{
	if (pattern[0] != '.' || pattern[1] != '/')
		return pattern;
	pattern++; /* "/x" */
	while (pattern[1] == '.' && pattern[2] == '/')
		pattern += 2; /* "././x" */
	return pattern;
}

static int excluded(const struct walker *w, const char *rel, int is_dir)
{
	return esc_globset_any(w->xset, rel, is_dir);
}

/* Every exclude glob in one set: tried one by one, the walk cost entries x
 * globs ('check' of 20,000 files with 2,000 contract excludes: 5.5 s). */
static escrow_status index_excludes(struct walker *w)
{
	const escrow_contract *c = w->o->contract;
	size_t i, n = w->o->n_excludes + w->n_ignore + (c != NULL ? c->n_exclude : 0);

	w->xpat = malloc((n ? n : 1) * sizeof *w->xpat);
	if (w->xpat == NULL)
		return esc_nomem(w->ctx);
	n = 0;
	for (i = 0; i < w->o->n_excludes; i++)
		w->xpat[n++] = from_root(w->o->excludes[i]);
	for (i = 0; i < w->n_ignore; i++)
		w->xpat[n++] = w->ignore[i];
	for (i = 0; c != NULL && i < c->n_exclude; i++)
		w->xpat[n++] = c->exclude[i];
	w->xset = esc_globset_new((char *const *)w->xpat, n);
	return w->xset != NULL ? ESCROW_OK : esc_nomem(w->ctx);
}

/* Any VCS folder on the way (for symlink targets). */
static int under_vcs(const char *rel)
{
	const char *seg = rel;

	while (*seg) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		char name[8];

		if (len < sizeof name) {
			memcpy(name, seg, len);
			name[len] = '\0';
			if (is_vcs(name))
				return 1;
		}
		if (end == NULL)
			break;
		seg = end + 1;
	}
	return 0;
}

/* Whether line[at] follows an odd run of '\': "name\ " keeps its last
 * space, as .gitignore does (trimmed, the pattern ended in a lone '\',
 * matched nothing, and the file it named was packed). */
static int escaped(const char *line, size_t at)
{
	size_t n = 0;

	while (n < at && line[at - 1 - n] == '\\')
		n++;
	return n % 2 == 1;
}

/* Opened from the folder: SRC/.escrowignore in a PATH_MAX buffer was cut
 * short for a long SRC, and the file then silently not read. */
static escrow_status load_ignore(struct walker *w)
{
	char *path, *buf = NULL, *line, *save = NULL;
	escrow_status st;
	int fd = openat(w->rootfd, IGNORE_FILE, O_RDONLY | O_CLOEXEC);

	if (fd < 0 && errno == ENOENT)
		return ESCROW_OK;
	path = esc_path_join(w->o->src, IGNORE_FILE);
	if (path == NULL) {
		if (fd >= 0)
			close(fd);
		return esc_nomem(w->ctx);
	}
	if (fd < 0)
		st = esc_error(w->ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
	else
		st = esc_read_small_fd(w->ctx, fd, path, 1u << 20, &buf, NULL);
	free(path);
	if (st != ESCROW_OK)
		return st;
	/* a UTF-8 byte order mark (Windows editors write one) is not part of the
	 * first pattern: kept, that pattern matched nothing and its files were packed */
	line = strncmp(buf, "\xEF\xBB\xBF", 3) == 0 ? buf + 3 : buf;
	for (line = strtok_r(line, "\n", &save); line != NULL; line = strtok_r(NULL, "\n", &save)) {
		size_t len = strlen(line);
		const char *why = NULL;
		char **v;

		while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t') &&
		       !escaped(line, len - 1))
			line[--len] = '\0';
		if (len == 0 || line[0] == '#')
			continue;
		if (line[0] == '!') {
			esc_warn(w->ctx, "%s: '%s': negated patterns are not supported; line ignored", IGNORE_FILE,
			         line);
			continue;
		}
		if (!esc_glob_valid(line, &why)) {
			esc_warn(w->ctx, "%s: '%s': %s; line ignored", IGNORE_FILE, line, why);
			continue;
		}
		v = w->ignore;
		if ((w->n_ignore & (w->n_ignore - 1)) == 0) /* 0 or a power of two: full */
			v = realloc(w->ignore, (w->n_ignore ? 2 * w->n_ignore : 1) * sizeof *v);
		if (v == NULL) {
			free(buf);
			return esc_nomem(w->ctx);
		}
		w->ignore = v;
		v[w->n_ignore] = strdup(from_root(line));
		if (v[w->n_ignore] == NULL) {
			free(buf);
			return esc_nomem(w->ctx);
		}
		w->n_ignore++;
	}
	free(buf);
	return ESCROW_OK;
}

/* Resolves "dir/target" lexically; 0 if it climbs above the root. */
static int lexical_inside(const char *rel, const char *target)
{
	int depth = 0;
	const char *p, *seg;

	for (p = rel; *p; p++) /* folders above the link */
		depth += *p == '/';
	for (seg = target;;) {
		const char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);

		if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			if (--depth < 0)
				return 0;
		} else if (len > 0 && !(len == 1 && seg[0] == '.')) {
			depth++;
		}
		if (end == NULL)
			return 1;
		seg = end + 1;
	}
}

/* Fills link (target, resolved) and link_to_dir; a message in why when the
 * link escapes, dangles, or points at something that will not be packed.
 * dfd/base name the link in its folder; its target is resolved from the
 * project folder's descriptor (tree_walk_real.c), never by a whole path. */
static escrow_status resolve_link(struct walker *w, const char *full, int dfd, const char *base,
                                  struct esc_file *f, char *why, size_t wlen)
{
	char buf[PATH_MAX], *real = NULL;
	const char *slash = strrchr(f->path, '/');
	struct stat st;
	ssize_t n = readlinkat(dfd, base, buf, sizeof buf - 1);
	int rc;

	why[0] = '\0';
	if (n < 0)
		return esc_error(w->ctx, ESCROW_E_IO, "%s: cannot read the link: %s", full, strerror(errno));
	buf[n] = '\0';
	f->link = calloc(1, sizeof *f->link);
	if (f->link == NULL || (f->link->target = strdup(buf)) == NULL)
		return esc_nomem(w->ctx);
	if (buf[0] == '/') {
		/* even one into the project folder: extracted elsewhere, it would not lead into the deposit */
		snprintf(why, wlen, "is absolute: only a relative link leads into the deposit wherever it is "
		         "extracted (make it relative, e.g. ln -sfr)");
		return ESCROW_OK;
	}
	if (!lexical_inside(f->path, buf)) {
		snprintf(why, wlen, "points outside the project folder");
		return ESCROW_OK;
	}
	rc = esc_walk_realpath(w->rootfd, f->path, slash ? (size_t)(slash - f->path) : 0, buf, &real, &st);
	if (rc == ENOMEM)
		return esc_nomem(w->ctx);
	if (rc == ESC_REAL_OUTSIDE) {
		snprintf(why, wlen, "points outside the project folder (through another link)");
		return ESCROW_OK;
	}
	if (rc != 0) {
		snprintf(why, wlen, "dangles (%s)", rc == ELOOP ? "a loop of links" : strerror(rc));
		return ESCROW_OK;
	}
	if (!(S_ISREG(st.st_mode) || S_ISDIR(st.st_mode))) {
		snprintf(why, wlen, "points to something that is neither a file nor a folder");
		goto out;
	}
	f->link_to_dir = S_ISDIR(st.st_mode);
	f->link->resolved = real;
	real = NULL;
	if (*f->link->resolved && ((!(w->o->flags & ESCROW_INCLUDE_VCS) && under_vcs(f->link->resolved)) ||
	                           excluded(w, f->link->resolved, f->link_to_dir)))
		snprintf(why, wlen, "points to '%s', which is excluded from the deposit", f->link->resolved);
	if (w->o->skip_file && st.st_dev == w->o->skip_dev && st.st_ino == w->o->skip_ino)
		snprintf(why, wlen, "points to the output file");
out:
	free(real);
	return ESCROW_OK;
}

/* The list grows by an eighth rather than doubling: at a million entries
 * (80 bytes each) doubling reserved up to 80 MB more than used. Big blocks
 * are moved by the kernel (mremap), not copied. */
static struct esc_file *push(struct esc_files *fs)
{
	if (fs->n == fs->cap) {
		size_t cap = fs->cap + fs->cap / 8 + 256;
		struct esc_file *v = realloc(fs->v, cap * sizeof *v);

		if (v == NULL)
			return NULL;
		fs->v = v;
		fs->cap = cap;
	}
	return esc_files_push(fs);
}

static escrow_status walk_nomem(struct walker *w)
{
	return esc_error(w->ctx, ESCROW_E_NOMEM, "%s: out of memory after listing %zu entries (the list takes "
	                 "about 100 bytes an entry: allow more memory, or pack the tree in parts)",
	                 w->o->src, w->out->n);
}

/* dfd/base name the entry in its folder: fstatat there spares the kernel a
 * walk of the whole path for each of 50,000 files; ws is that fstatat's
 * result when the folder's names were stat'ed at once. *dir is set when
 * the entry is a folder to descend into (the caller does, at its place). */
static escrow_status add_entry(struct walker *w, const char *rel, const char *full, int dfd, const char *base,
                               const struct esc_wstat *ws, bool *dir)
{
	const char *name = strrchr(rel, '/');
	struct esc_file *f;
	struct stat st;
	char why[256];
	int is_dir;
	escrow_status s;

	name = name ? name + 1 : rel;
	if (is_vcs(name) && !(w->o->flags & ESCROW_INCLUDE_VCS))
		return ESCROW_OK;
	if (ws != NULL) {
		if (ws->err != 0)
			return esc_error(w->ctx, ESCROW_E_IO, "%s: %s", full, strerror(ws->err));
		memset(&st, 0, sizeof st);
		st.st_mode = ws->mode;
		st.st_size = ws->size;
		st.st_mtime = ws->mtime;
		st.st_dev = ws->dev;
		st.st_ino = ws->ino;
	} else if (fstatat(dfd, base, &st, AT_SYMLINK_NOFOLLOW) != 0) {
		return esc_error(w->ctx, ESCROW_E_IO, "%s: %s", full, strerror(errno));
	}
	is_dir = S_ISDIR(st.st_mode);
	if (excluded(w, rel, is_dir))
		return ESCROW_OK;
	if (!S_ISDIR(st.st_mode) && !S_ISREG(st.st_mode) && !S_ISLNK(st.st_mode)) {
		esc_warn(w->ctx, "%s: skipped: %s", rel,
		         S_ISFIFO(st.st_mode) ? "a named pipe (fifo)" : S_ISSOCK(st.st_mode) ? "a socket"
		                                                                            : "a device node");
		return ESCROW_OK;
	}
	if (S_ISREG(st.st_mode) && w->o->skip_file && st.st_dev == w->o->skip_dev &&
	    st.st_ino == w->o->skip_ino)
		return ESCROW_OK;
	if (!esc_path_is_safe(rel))
		return esc_error(w->ctx, ESCROW_E_INPUT, "%s: the name is not valid UTF-8 or holds control "
		                 "characters (rename it, or exclude it with -x)", rel);
	f = push(w->out);
	if (f == NULL)
		return walk_nomem(w);
	f->path = w->o->pool ? esc_walk_pool_dup(w->o->pool, rel, strlen(rel)) : strdup(rel);
	if (f->path == NULL)
		return walk_nomem(w);
	f->mtime = (int64_t)st.st_mtime;
	if (S_ISDIR(st.st_mode)) {
		f->type = ESC_FT_DIR;
		f->mode = 0755;
		*dir = true;
		return ESCROW_OK;
	}
	if (S_ISREG(st.st_mode)) {
		f->type = ESC_FT_FILE;
		f->size = (uint64_t)st.st_size;
		f->mode = (st.st_mode & 0111) ? 0755 : 0644;
		w->n_files++;
		w->n_bytes += f->size;
		esc_progress_ex(w->ctx, ESCROW_PHASE_WALK, w->o->src, w->n_files, ESCROW_UNKNOWN, w->n_bytes,
		                ESCROW_UNKNOWN);
		return ESCROW_OK;
	}
	f->type = ESC_FT_SYMLINK;
	f->mode = 0777;
	s = resolve_link(w, full, dfd, base, f, why, sizeof why);
	if (s != ESCROW_OK || why[0] == '\0')
		return s;
	if (!(w->o->flags & ESCROW_SKIP_SYMLINKS))
		return esc_error(w->ctx, ESCROW_E_INPUT, "%s: symlink to '%s' %s (replace it with what it "
		                 "points to, remove it, or skip such links with --skip-symlinks)", rel,
		                 f->link->target, why);
	esc_warn(w->ctx, "%s: skipped: symlink to '%s' %s", rel, f->link->target, why);
	if (w->o->pool)
		f->path = NULL;
	esc_file_clear(f);
	w->out->n--;
	return ESCROW_OK;
}

/* out = dir + "/" + name, or name when dir is "" (out sized by the caller). */
static void join_path(char *out, const char *dir, const char *name)
{
	size_t dl = strlen(dir), nl = strlen(name);

	memcpy(out, dir, dl);
	if (dl > 0)
		out[dl++] = '/';
	memcpy(out + dl, name, nl + 1);
}

/* A name of a folder's listing as a sort key: the name itself (the entry),
 * or for a subfolder also the name followed by '/' (where its children go). */
struct wkey {
	const char *name;
	uint32_t len;
	uint32_t idx;   /* in the listing's names */
	bool desc;      /* the "name/" key */
	bool has_desc;  /* the entry's key: a "name/" key follows somewhere */
};

static int key_char(const struct wkey *k, size_t i)
{
	if (i < k->len)
		return (unsigned char)k->name[i];
	return i == k->len && k->desc ? '/' : -1;
}

static int key_cmp(const void *x, const void *y)
{
	const struct wkey *a = x, *b = y;
	size_t i, n = a->len < b->len ? a->len : b->len;
	int c = memcmp(a->name, b->name, n);

	if (c != 0)
		return c;
	for (i = n;; i++) {
		int ca = key_char(a, i), cb = key_char(b, i);

		if (ca != cb)
			return ca < cb ? -1 : 1;
		if (ca < 0)
			return 0;
	}
}

/* The folder's names, with one more key for each subfolder. */
struct listing {
	char **names;
	bool *is_dir;   /* readdir's word; then whether add_entry took it as a folder */
	size_t n, cap;
	struct wkey *keys;
	size_t n_keys;
};

static void listing_free(struct listing *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->names[i]);
	free(l->names);
	free(l->is_dir);
	free(l->keys);
}

/* Reads the folder's names; readdir's type says which are folders (an
 * fstatat only where the file system does not tell). */
static escrow_status list_dir(struct walker *w, DIR *d, const char *full, struct listing *l)
{
	struct dirent *de;
	size_t i, k = 0, nd = 0;

	for (;;) {
		errno = 0;
		de = readdir(d);
		if (de == NULL)
			break;
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (l->n == l->cap) {
			size_t cap = l->cap ? l->cap * 2 : 32;
			char **v = realloc(l->names, cap * sizeof *v);
			bool *b = v ? realloc(l->is_dir, cap * sizeof *b) : NULL;

			if (v != NULL)
				l->names = v;
			if (b == NULL)
				return esc_nomem(w->ctx);
			l->is_dir = b;
			l->cap = cap;
		}
		l->is_dir[l->n] = de->d_type == DT_DIR;
		if (de->d_type == DT_UNKNOWN) {
			struct stat st;

			l->is_dir[l->n] = fstatat(dirfd(d), de->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
			                  S_ISDIR(st.st_mode);
		}
		l->names[l->n] = strdup(de->d_name);
		if (l->names[l->n] == NULL)
			return esc_nomem(w->ctx);
		nd += l->is_dir[l->n];
		l->n++;
	}
	if (errno != 0)
		return esc_error(w->ctx, ESCROW_E_IO, "%s: cannot read the folder: %s%s", full, strerror(errno),
		                 esc_unreadable_fix(errno));
	l->keys = malloc((l->n + nd + 1) * sizeof *l->keys);
	if (l->keys == NULL)
		return esc_nomem(w->ctx);
	for (i = 0; i < l->n; i++) {
		size_t len = strlen(l->names[i]);

		l->keys[k++] = (struct wkey){l->names[i], (uint32_t)len, (uint32_t)i, false, l->is_dir[i]};
		if (l->is_dir[i])
			l->keys[k++] = (struct wkey){l->names[i], (uint32_t)len, (uint32_t)i, true, false};
	}
	l->n_keys = k;
	if (k > 1)
		qsort(l->keys, k, sizeof *l->keys, key_cmp);
	return ESCROW_OK;
}

static escrow_status walk_dir(struct walker *w, int pfd, const char *name, const char *rel, const char *full);

/* A deep folder's descriptor again, after a subfolder was walked: the same
 * folder, or an error. */
static escrow_status reopen(struct walker *w, const char *rel, const char *full, const struct stat *was, int *dfd)
{
	struct stat now;
	int fd = openat(w->rootfd, rel, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0)
		return esc_error(w->ctx, ESCROW_E_IO, "%s: cannot read the folder: %s%s", full, strerror(errno),
		                 esc_unreadable_fix(errno));
	if (fstat(fd, &now) != 0 || now.st_dev != was->st_dev || now.st_ino != was->st_ino) {
		close(fd);
		return esc_error(w->ctx, ESCROW_E_IO, "%s: changed while it was read (run again)", full);
	}
	*dfd = fd;
	return ESCROW_OK;
}

/* Subfolder crel of the folder d/dfd: from dfd, or when deep from the
 * project folder, d closed meanwhile (dfd -1 after). */
static escrow_status descend(struct walker *w, DIR **d, int *dfd, bool deep, const char *name, const char *crel,
                             const char *cfull)
{
	if (!deep)
		return walk_dir(w, *dfd, name, crel, cfull);
	if (*d != NULL)
		closedir(*d);
	else if (*dfd >= 0)
		close(*dfd);
	*d = NULL;
	*dfd = -1;
	return walk_dir(w, w->rootfd, crel, crel, cfull);
}

/* The folder name in pfd (rel in the tree, full for messages): opened from
 * its parent, not by its whole path, which with SRC's own could pass
 * PATH_MAX where rel alone does not. */
static escrow_status walk_dir(struct walker *w, int pfd, const char *name, const char *rel, const char *full)
{
	struct listing l;
	struct esc_wstat *ws = NULL;
	char *crel = NULL, *cfull = NULL;
	size_t i;
	escrow_status st = esc_check_interrupt(w->ctx);
	bool deep = w->depth >= KEEP_OPEN;
	struct stat self;
	DIR *d;
	int fd, dfd;

	if (st != ESCROW_OK)
		return st;
	fd = openat(pfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	d = fd >= 0 ? fdopendir(fd) : NULL;
	if (d == NULL) {
		int e = errno;

		if (fd >= 0)
			close(fd);
		return esc_error(w->ctx, ESCROW_E_IO, "%s: cannot read the folder: %s%s", full, strerror(e),
		                 esc_unreadable_fix(e));
	}
	dfd = dirfd(d);
	if (deep && fstat(dfd, &self) != 0) {
		st = esc_error(w->ctx, ESCROW_E_IO, "%s: cannot read the folder: %s%s", full, strerror(errno),
		               esc_unreadable_fix(errno));
		closedir(d);
		return st;
	}
	w->depth++;
	memset(&l, 0, sizeof l);
	st = list_dir(w, d, full, &l);
	/* A folder's names are stat'ed at once, on two cores (up to STAT_AHEAD
	 * of them: the results live while its subfolders are walked). */
	if (st == ESCROW_OK && w->stats != NULL && l.n > 1 && l.n <= STAT_AHEAD &&
	    (ws = malloc(l.n * sizeof *ws)) != NULL)
		esc_statpool_run(w->stats, dfd, l.names, l.n, ws);
	for (i = 0; i < l.n_keys && st == ESCROW_OK; i++) {
		const struct wkey *k = &l.keys[i];
		size_t rl = strlen(rel) + k->len + 2;
		size_t plen = *rel != '\0' ? rl - 1 : k->len; /* the payload path's bytes */
		bool dir = false;

		if (k->desc && !l.is_dir[k->idx])
			continue; /* excluded, or no longer a folder */
		if (plen > MAX_REL) {
			st = esc_error(w->ctx, ESCROW_E_INPUT, "%s/%s: path longer than %d bytes, the longest Linux opens: "
			               "shorten it, or leave it out in .escrowignore", rel, k->name, MAX_REL);
			break;
		}
		crel = malloc(rl);
		cfull = malloc(strlen(full) + k->len + 2);
		if (crel == NULL || cfull == NULL) {
			st = esc_nomem(w->ctx);
			break;
		}
		join_path(crel, rel, k->name);
		join_path(cfull, full, k->name);
		if (k->desc) {
			st = descend(w, &d, &dfd, deep, k->name, crel, cfull);
		} else {
			if (dfd < 0)
				st = reopen(w, rel, full, &self, &dfd);
			if (st == ESCROW_OK)
				st = add_entry(w, crel, cfull, dfd, k->name, ws ? &ws[k->idx] : NULL, &dir);
			l.is_dir[k->idx] = dir;
			/* readdir said it was not a folder: no "name/" key follows, so
			 * its children go here and the list is sorted at the end. */
			if (st == ESCROW_OK && dir && !k->has_desc) {
				w->unsorted = true;
				st = descend(w, &d, &dfd, deep, k->name, crel, cfull);
			}
		}
		free(crel);
		free(cfull);
		crel = cfull = NULL;
	}
	if (d != NULL)
		closedir(d);
	else if (dfd >= 0)
		close(dfd);
	w->depth--;
	free(crel);
	free(cfull);
	free(ws);
	listing_free(&l);
	return st;
}

static bool in_order(const struct esc_files *fs)
{
	size_t i;

	for (i = 1; i < fs->n; i++)
		if (strcmp(fs->v[i - 1].path, fs->v[i].path) >= 0)
			return false;
	return true;
}

escrow_status esc_walk(escrow_ctx *ctx, const struct esc_walk_options *o, struct esc_files *out)
{
	struct walker w;
	struct stat st;
	escrow_status s;
	size_t i;

	if (o != NULL && o->srcfd != NULL)
		*o->srcfd = -1;
	if (o == NULL || o->src == NULL || out == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "esc_walk: NULL argument");
	memset(&w, 0, sizeof w);
	w.ctx = ctx;
	w.o = o;
	w.out = out;
	if (stat(o->src, &st) != 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", o->src, strerror(errno));
	if (!S_ISDIR(st.st_mode))
		return esc_error(ctx, ESCROW_E_OPEN, "%s: not a folder (give the project folder)", o->src);
	w.rootfd = open(o->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (w.rootfd < 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", o->src, strerror(errno));
	s = load_ignore(&w);
	if (s == ESCROW_OK)
		s = index_excludes(&w);
	w.stats = esc_statpool_new(ctx);
	if (s == ESCROW_OK)
		s = walk_dir(&w, w.rootfd, ".", "", o->src);
	esc_statpool_free(w.stats);
	if (s == ESCROW_OK)
		esc_progress_ex(ctx, ESCROW_PHASE_WALK | ESCROW_PROGRESS_END, o->src, w.n_files, w.n_files, w.n_bytes,
		                w.n_bytes);
	/* The order is made as the walk goes; a folder that readdir saw as
	 * something else (changed meanwhile, or a file system that lies) is
	 * the one case the whole list is sorted. */
	if (s == ESCROW_OK && (w.unsorted || !in_order(out)))
		esc_files_sort(out);
	if (s == ESCROW_OK)
		s = esc_walk_links(ctx, o, out);
	if (s != ESCROW_OK)
		esc_walk_files_free(out, o->pool);
	for (i = 0; i < w.n_ignore; i++)
		free(w.ignore[i]);
	free(w.ignore);
	esc_globset_free(w.xset);
	free(w.xpat);
	if (s == ESCROW_OK && o->srcfd != NULL)
		*o->srcfd = w.rootfd;
	else
		close(w.rootfd);
	return s;
}
