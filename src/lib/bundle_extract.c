/* bundle_extract.c -- escrow_extract: verify while writing into a temporary folder
 * beside the target, rename it into place only when everything holds.
 * The reader has judged each path before we see it; we still write only
 * with openat/mkdirat relative to folders we opened with O_NOFOLLOW, create
 * files with O_EXCL|O_NOFOLLOW, and make symlinks last (after the whole
 * stream verified), so nothing can be written through a link. */
#define _GNU_SOURCE /* renameat2, statx */
#include "esc_api.h"
#include "esc_bundle_read.h"
#include "esc_extract_queue.h"

#include <errno.h>
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

/* The base of the temporary folder made inside an existing target (io_tmp.c
 * names it TARGET/.escrow-extract.escrow-tmp.HOST.PID.RANDOM). */
#define INSIDE_BASE "escrow-extract"

struct xstate {
	escrow_ctx *ctx;
	struct esc_rd *rd;
	const escrow_contract *contract;
	const char *const *ids;          /* --deliverable */
	size_t n_ids;
	bool bag_layout;
	int root_fd, payload_fd;
	char *tmp;
	int target_fd;                   /* the existing target, when tmp is inside it */
	bool cur_open;                   /* a file is being written */
	esc_xq *q;                       /* its creation, writes, mode, time and close run there */
	char *cache_dir;                 /* the folder of the last file, and its fd */
	int cache_fd;
	char **made;                     /* folders we created, relative to payload_fd */
	size_t n_made, cap_made;
	uint64_t files_written;
	mode_t mask;                     /* the group/other bits of the umask */
	json_t *dangling;                /* --deliverable: links made whose target was not */
};

static escrow_status io_fail(struct xstate *x, const char *what, const char *path)
{
	int e = errno;

	return esc_error(x->ctx, ESCROW_E_IO, "%s/%s: cannot %s: %s%s", x->tmp, path, what, strerror(e),
	                 e == ENOSPC || e == EDQUOT ? " (nothing was left behind)" : "");
}

/* The umask, read without changing it (another thread may create files);
 * only its group and other bits are used, so that the tree stays ours to
 * complete or remove. */
static mode_t group_other_umask(void)
{
	FILE *f = fopen("/proc/self/status", "re");
	char line[128];
	unsigned m = 022;
	bool found = false;

	while (f != NULL && !found && fgets(line, sizeof line, f) != NULL)
		found = sscanf(line, "Umask: %o", &m) == 1;
	if (f != NULL)
		fclose(f);
	if (!found) {
		mode_t old = umask(022);

		umask(old);
		m = (unsigned)old;
	}
	return (mode_t)(m & 077);
}

static escrow_status remember_dir(struct xstate *x, const char *path, size_t len)
{
	if (x->n_made == x->cap_made) {
		size_t cap = x->cap_made ? x->cap_made * 2 : 64;
		char **v = realloc(x->made, cap * sizeof *v);

		if (v == NULL)
			return esc_nomem(x->ctx);
		x->made = v;
		x->cap_made = cap;
	}
	x->made[x->n_made] = strndup(path, len);
	if (x->made[x->n_made] == NULL)
		return esc_nomem(x->ctx);
	x->n_made++;
	return ESCROW_OK;
}

/* The fd of rel's folder (created as needed, never through a symlink), and
 * rel's last component. The fd belongs to x. */
static escrow_status open_parent(struct xstate *x, const char *rel, int *fd, const char **leaf)
{
	const char *slash = strrchr(rel, '/'), *p = rel;
	size_t dlen;
	int cur = x->payload_fd;

	*leaf = slash ? slash + 1 : rel;
	if (slash == NULL) {
		*fd = x->payload_fd;
		return ESCROW_OK;
	}
	dlen = (size_t)(slash - rel);
	if (x->cache_dir != NULL && strlen(x->cache_dir) == dlen && memcmp(x->cache_dir, rel, dlen) == 0) {
		*fd = x->cache_fd;
		return ESCROW_OK;
	}
	while (p < slash) {
		const char *e = memchr(p, '/', (size_t)(slash - p));
		size_t n = e ? (size_t)(e - p) : (size_t)(slash - p);
		char name[256 * 4 + 1];
		int nfd;

		if (n >= sizeof name) {
			errno = ENAMETOOLONG;
			goto fail;
		}
		memcpy(name, p, n);
		name[n] = '\0';
		nfd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (nfd < 0 && errno == ENOENT) {
			escrow_status st;

			if (mkdirat(cur, name, 0700) != 0)
				goto fail;
			st = remember_dir(x, rel, (size_t)(p - rel) + n);
			if (st != ESCROW_OK) {
				if (cur != x->payload_fd)
					close(cur);
				return st;
			}
			nfd = openat(cur, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		}
		if (nfd < 0)
			goto fail;
		if (cur != x->payload_fd)
			close(cur);
		cur = nfd;
		p += n + 1;
	}
	if (x->cache_dir != NULL)
		close(x->cache_fd);
	free(x->cache_dir);
	x->cache_dir = strndup(rel, dlen);
	x->cache_fd = cur;
	if (x->cache_dir == NULL) {
		close(cur);
		return esc_nomem(x->ctx);
	}
	*fd = cur;
	return ESCROW_OK;
fail:
	{
		escrow_status st = io_fail(x, "create the folder of", rel);

		if (cur != x->payload_fd)
			close(cur);
		return st;
	}
}

/* A folder fd and a name in it that reach rel, for the calls that take a
 * path: rel itself from the payload, unless it is too long for one call (a
 * payload path may have 4096 bytes, PATH_MAX with its NUL): then its parent,
 * opened a segment at a time, and its last segment. */
static escrow_status reach(struct xstate *x, const char *rel, int *fd, const char **name)
{
	if (strlen(rel) < PATH_MAX) {
		*fd = x->payload_fd;
		*name = rel;
		return ESCROW_OK;
	}
	return open_parent(x, rel, fd, name);
}

static int selected_holder(size_t d, size_t k, void *user)
{
	const struct xstate *x = user;
	size_t i;

	(void)k;
	for (i = 0; i < x->n_ids; i++)
		if (strcmp(x->contract->d[d].id, x->ids[i]) == 0)
			return 1;
	return 0;
}

/* The same holding rule as the report's (contract_match.c). */
static bool selected(const struct xstate *x, const struct esc_file *f)
{
	if (x->n_ids == 0)
		return true;
	return esc_contract_each_hold(x->contract, f, selected_holder, (void *)(uintptr_t)x) != 0;
}

static escrow_status on_begin(void *user, const struct esc_file *f)
{
	struct xstate *x = user;
	const char *leaf;
	escrow_status st;
	int pfd;

	x->cur_open = false;
	if (f->type == ESC_FT_SYMLINK || !selected(x, f))
		return ESCROW_OK; /* symlinks come last */
	st = open_parent(x, f->path, &pfd, &leaf);
	if (st != ESCROW_OK)
		return st;
	if (f->type == ESC_FT_DIR) {
		if (mkdirat(pfd, leaf, 0700) != 0)
			return io_fail(x, "create folder", f->path);
		return remember_dir(x, f->path, strlen(f->path));
	}
	st = esc_xq_open(x->q, pfd, leaf, f->path);
	x->cur_open = st == ESCROW_OK;
	return st;
}

static escrow_status on_data(void *user, const void *buf, size_t len)
{
	struct xstate *x = user;

	if (!x->cur_open || len == 0)
		return ESCROW_OK;
	return esc_xq_write(x->q, buf, len);
}

static escrow_status on_end(void *user, const struct esc_file *f)
{
	struct xstate *x = user;

	if (!x->cur_open)
		return ESCROW_OK;
	x->cur_open = false;
	x->files_written++;
	/* Only the executable bit survives (never setuid, setgid or sticky). */
	return esc_xq_close(x->q, ((f->mode & 0111) ? 0755 : 0644) & ~x->mask, f->mtime, f->path);
}

static escrow_status write_tag(struct xstate *x, const char *name, const struct esc_tagfile *t)
{
	struct timespec ts[2];
	const char *p = t->buf;
	size_t left = t->len;
	int fd = openat(x->root_fd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
	char buf[65536];

	if (fd < 0)
		return io_fail(x, "create", name);
	/* A streamed tag file (the reader kept no copy in memory) comes back from
	 * its temporary file, in chunks. */
	if (t->buf == NULL && (t->spill == NULL || fseek(t->spill, 0, SEEK_SET) != 0)) {
		close(fd);
		return io_fail(x, "read back", name);
	}
	while (left > 0 && t->buf == NULL) {
		size_t n = fread(buf, 1, left < sizeof buf ? left : sizeof buf, t->spill);
		ssize_t w = n > 0 ? write(fd, buf, n) : -1;

		if (w != (ssize_t)n) {
			if (w >= 0 || n == 0)
				errno = n == 0 ? EIO : ENOSPC;
			close(fd);
			return io_fail(x, "write", name);
		}
		left -= n;
	}
	while (left > 0) {
		ssize_t n = write(fd, p, left);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			if (n == 0)
				errno = ENOSPC;
			close(fd);
			return io_fail(x, "write", name);
		}
		p += n;
		left -= (size_t)n;
	}
	ts[0].tv_sec = ts[1].tv_sec = (time_t)t->mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
	if (fchmod(fd, 0644 & ~x->mask) != 0 || futimens(fd, ts) != 0 || close(fd) != 0)
		return io_fail(x, "write", name);
	return ESCROW_OK;
}

static escrow_status write_tags(struct xstate *x)
{
	static const struct {
		int tag;
		const char *name;
	} tags[] = {{ESC_T_BAGIT, ESC_TAG_BAGIT}, {ESC_T_BAGINFO, ESC_TAG_BAGINFO},
	            {ESC_T_MANIFEST, ESC_TAG_MANIFEST}, {ESC_T_JSON, ESC_TAG_JSON},
	            {ESC_T_CONTRACT, ESC_TAG_CONTRACT}, {ESC_T_TAGMANIFEST, ESC_TAG_TAGMANIFEST},
	            {ESC_T_SIGNATURE, ESC_TAG_SIGNATURE}};
	size_t i;

	if (mkdirat(x->root_fd, "escrow", 0755) != 0)
		return io_fail(x, "create folder", "escrow");
	for (i = 0; i < sizeof tags / sizeof tags[0]; i++) {
		escrow_status st;

		if (!x->rd->tags[tags[i].tag].present)
			continue;
		st = write_tag(x, tags[i].name, &x->rd->tags[tags[i].tag]);
		if (st != ESCROW_OK)
			return st;
	}
	return ESCROW_OK;
}

static int first_holder(size_t d, size_t k, void *user)
{
	(void)k;
	*(size_t *)user = d;
	return 1;
}

/* --deliverable selects by path: a link a deliverable holds may lead to a
 * file only another deliverable holds (contract evaluation counts the
 * target's bytes in the link's deliverable), which was not extracted. The
 * link is made all the same, as tar makes it; each such link is named, with
 * the deliverable that holds its target, in a warning and in the report. */
static void name_dangling(struct xstate *x)
{
	struct esc_rd *rd = x->rd;
	size_t i, shown = 0;
	struct stat st;

	for (i = 0; i < rd->files.n; i++) {
		const struct esc_file *f = &rd->files.v[i];
		const char *name;
		int fd;
		char holder[300] = "";
		size_t d = SIZE_MAX;
		long t = -1;

		if (f->type != ESC_FT_SYMLINK || !selected(x, f))
			continue;
		if (reach(x, f->path, &fd, &name) != ESCROW_OK)
			esc_clear_error(x->ctx); /* unreachable: named as dangling */
		else if (fstatat(fd, name, &st, 0) == 0)
			continue;
		if (esc_rd_resolve(rd, i, &t) == 0 && t >= 0 && (size_t)t < rd->files.n &&
		    esc_contract_each_hold(x->contract, &rd->files.v[t], first_holder, &d) != 0 &&
		    d < x->contract->n_d)
			snprintf(holder, sizeof holder, "--deliverable %s", x->contract->d[d].id);
		if (x->dangling == NULL)
			x->dangling = json_array();
		if (x->dangling != NULL)
			json_array_append_new(x->dangling, esc_json_string(f->path));
		if (shown++ < 10)
			esc_warn(x->ctx, "%s: symlink to '%s', whose target the deliverables extracted do not "
			         "hold: it dangles (extract with %s too)", f->path, esc_file_target(f),
			         holder[0] ? holder : "the whole bundle");
	}
	if (shown > 10)
		esc_warn(x->ctx, "%zu more symlinks dangle for the same reason", shown - 10);
}

static void set_ts(struct timespec ts[2], int64_t mtime)
{
	ts[0].tv_sec = ts[1].tv_sec = (time_t)mtime;
	ts[0].tv_nsec = ts[1].tv_nsec = 0;
}

/* After the whole stream verified: symlinks (their targets were resolved
 * inside the payload by the reader), then the folders' modes and times. */

static escrow_status finish_tree(struct xstate *x)
{
	struct esc_rd *rd = x->rd;
	struct timespec ts[2];
	size_t i;

	for (i = 0; i < rd->files.n; i++) {
		const struct esc_file *f = &rd->files.v[i];
		const char *leaf;
		long t;
		int pfd;
		escrow_status st;

		if (f->type != ESC_FT_SYMLINK || !selected(x, f))
			continue;
		if (esc_rd_resolve(rd, i, &t) != 0)
			return esc_error(x->ctx, ESCROW_UNSAFE, "%s: symlink 'data/%s' leads outside the payload",
			                 rd->path, f->path);
		st = open_parent(x, f->path, &pfd, &leaf);
		if (st != ESCROW_OK)
			return st;
		if (symlinkat(esc_file_target(f), pfd, leaf) != 0)
			return io_fail(x, "create symlink", f->path);
		/* its own time, as tar sets it, when manifest.json signs it (a
		 * link from another writer may leave it out: no unsigned time) */
		if (f->link->timed) {
			set_ts(ts, f->mtime);
			if (utimensat(pfd, leaf, ts, AT_SYMLINK_NOFOLLOW) != 0)
				return io_fail(x, "set the time of", f->path);
		}
		x->files_written++;
	}
	if (x->n_ids > 0)
		name_dangling(x);
	for (i = x->n_made; i-- > 0;) {
		long ri = esc_rd_find(rd, x->made[i]);
		const char *name;
		int fd;
		escrow_status st = reach(x, x->made[i], &fd, &name);

		if (st != ESCROW_OK)
			return st;
		if (fchmodat(fd, name, 0755 & ~x->mask, 0) != 0)
			return io_fail(x, "set the mode of", x->made[i]);
		if (ri < 0)
			continue;
		set_ts(ts, rd->files.v[ri].mtime);
		if (utimensat(fd, name, ts, AT_SYMLINK_NOFOLLOW) != 0)
			return io_fail(x, "set the time of", x->made[i]);
	}
	if (x->bag_layout && fchmod(x->payload_fd, 0755 & ~x->mask) != 0)
		return io_fail(x, "set the mode of", "data");
	if (fchmod(x->root_fd, 0755 & ~x->mask) != 0)
		return io_fail(x, "set the mode of", ".");
	return ESCROW_OK;
}

/* Last, once nothing more is made in them: the bag's folders (BAG/, data/,
 * escrow/) get the time their entries carry, which the reader checked
 * against manifest.json's 'created', as tar sets them; the project tree's
 * root (--payload-only, --deliverable) is data/. */
static escrow_status top_times(struct xstate *x)
{
	struct timespec ts[2];
	int fd;

	if (x->bag_layout) {
		fd = openat(x->root_fd, "escrow", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		set_ts(ts, x->rd->dir_mtime[2]);
		if (fd < 0 || futimens(fd, ts) != 0) {
			if (fd >= 0)
				close(fd);
			return io_fail(x, "set the time of", "escrow");
		}
		close(fd);
		set_ts(ts, x->rd->dir_mtime[0]);
		if (futimens(x->root_fd, ts) != 0)
			return io_fail(x, "set the time of", ".");
	}
	set_ts(ts, x->rd->dir_mtime[1]);
	if (futimens(x->payload_fd, ts) != 0)
		return io_fail(x, "set the time of", x->bag_layout ? "data" : ".");
	return ESCROW_OK;
}

/* rm -rf of our temporary folder, never following a link, however deep. */
static void remove_tree(const char *path)
{
	int fd;

	if (unlink(path) == 0 || (errno != EISDIR && errno != EPERM))
		return;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0)
		return;
	esc_tmp_empty_dir(fd);
	close(fd);
	(void)rmdir(path);
}

/* TARGET/INSIDE_BASE, malloc'd: what io_tmp.c names the temporary inside
 * an existing target after. */
static char *inside_path(const char *target)
{
	size_t n = strlen(target);
	char *p;

	while (n > 1 && target[n - 1] == '/')
		n--;
	p = malloc(n + sizeof INSIDE_BASE + 1);
	if (p != NULL)
		snprintf(p, n + sizeof INSIDE_BASE + 1, "%.*s%s" INSIDE_BASE, (int)n, target,
		         target[n - 1] == '/' ? "" : "/");
	return p;
}

/* The target must not exist, or be an empty folder. */
static escrow_status check_target(escrow_ctx *ctx, const char *target)
{
	struct stat sb;
	DIR *d;
	struct dirent *de;
	bool empty = true;

	if (lstat(target, &sb) != 0) {
		if (errno == ENOENT)
			return ESCROW_OK;
		return esc_error(ctx, ESCROW_E_CREATE, "%s: %s (give -C a new or empty folder in a folder you can "
		                 "write to)", target, errno == ENOTDIR ? "a part of it is a file, not a folder"
		                 : strerror(errno));
	}
	if (!S_ISDIR(sb.st_mode))
		return esc_error(ctx, ESCROW_E_EXISTS, "%s exists and is not a folder (give a new folder with -C)",
		                 target);
	{
		/* A temporary a killed extract left inside it is not content. */
		char *in = inside_path(target);

		if (in == NULL)
			return esc_nomem(ctx);
		esc_tmp_sweep(ctx, in);
		free(in);
	}
	d = opendir(target);
	if (d == NULL)
		return esc_error(ctx, ESCROW_E_CREATE, "%s: %s", target, strerror(errno));
	while ((de = readdir(d)) != NULL)
		if (strcmp(de->d_name, ".") != 0 && strcmp(de->d_name, "..") != 0) {
			empty = false;
			break;
		}
	closedir(d);
	if (!empty)
		return esc_error(ctx, ESCROW_E_EXISTS, "%s is not empty (extract into a new or empty folder)", target);
	return ESCROW_OK;
}

/* A target whose last segment is "." or ".." (-C . in an empty folder) names
 * the folder by itself: the temporary would be made inside it and the rename
 * onto it fail (EBUSY). Such a target stands for its real path, whose parent
 * holds the temporary, as for any other target. *place is NULL otherwise. */
static escrow_status resolve_place(escrow_ctx *ctx, const char *target, char **place)
{
	size_t n = strlen(target);
	const char *base;

	*place = NULL;
	while (n > 1 && target[n - 1] == '/')
		n--;
	base = target + n;
	while (base > target && base[-1] != '/')
		base--;
	if (!((target + n - base == 1 && base[0] == '.') || (target + n - base == 2 && base[0] == '.' && base[1] == '.')))
		return ESCROW_OK;
	*place = realpath(target, NULL);
	if (*place == NULL)
		return errno == ENOMEM ? esc_nomem(ctx) : esc_error(ctx, ESCROW_E_CREATE, "%s: %s", target, strerror(errno));
	return ESCROW_OK;
}

/* Whether the temporary must go inside the existing folder t: the folder
 * that holds t cannot take it (no write permission there, a read-only file
 * system), or a rename could not put it in t's place: t is a mount point
 * (EBUSY, and the folder beside it another file system), or t names a
 * symlink to a folder ('-C link/'; the rename would meet the link). */
static bool goes_inside(const char *t)
{
	struct stat sb, pb;
	struct statx sx;
	const char *slash = strrchr(t, '/');
	char *parent = slash == NULL ? strdup(".") : slash == t ? strdup("/") : strndup(t, (size_t)(slash - t));
	bool in;

	if (parent == NULL)
		return false;
	in = lstat(t, &sb) == 0 && S_ISLNK(sb.st_mode);
	if (!in && statx(AT_FDCWD, t, AT_SYMLINK_NOFOLLOW, STATX_BASIC_STATS, &sx) == 0 &&
	    (sx.stx_attributes_mask & STATX_ATTR_MOUNT_ROOT))
		in = (sx.stx_attributes & STATX_ATTR_MOUNT_ROOT) != 0;
	else if (!in && stat(t, &sb) == 0 && stat(parent, &pb) == 0)
		in = sb.st_dev != pb.st_dev;
	if (!in)
		in = faccessat(AT_FDCWD, parent, W_OK | X_OK, AT_EACCESS) != 0;
	free(parent);
	return in;
}

static escrow_status make_tmp(struct xstate *x, const char *target)
{
	char *t1 = strdup(target), *in = NULL;
	size_t n;
	struct stat sb;
	escrow_status st = ESCROW_OK;

	if (t1 == NULL)
		return esc_nomem(x->ctx);
	n = strlen(t1);
	while (n > 1 && t1[n - 1] == '/')
		t1[--n] = '\0';
	/* An existing (empty) target that cannot be replaced by a rename gets
	 * the temporary inside, whose entries are moved up at the end. */
	if (stat(t1, &sb) == 0 && S_ISDIR(sb.st_mode) && goes_inside(t1)) {
		if (faccessat(AT_FDCWD, t1, W_OK | X_OK, AT_EACCESS) != 0) {
			st = esc_error(x->ctx, ESCROW_E_CREATE, "%s: cannot write into it: %s (give -C a folder you "
			               "can write to)", target, strerror(errno));
			free(t1);
			return st;
		}
		x->target_fd = open(t1, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		in = inside_path(t1);
		if (x->target_fd < 0)
			st = esc_error(x->ctx, ESCROW_E_CREATE, "%s: %s", target, strerror(errno));
		else if (in == NULL)
			st = esc_nomem(x->ctx);
	}
	/* Named and locked so that a later extract here removes it if this one
	 * is killed (io_tmp.c); root_fd holds the lock until the rename. */
	if (st == ESCROW_OK)
		st = esc_tmp_create(x->ctx, in != NULL ? in : t1, true, 0700, &x->root_fd, &x->tmp);
	free(in);
	free(t1);
	if (st != ESCROW_OK)
		return st;
	x->payload_fd = x->root_fd;
	if (x->bag_layout) {
		if (mkdirat(x->root_fd, "data", 0700) != 0)
			st = io_fail(x, "create folder", "data");
		else
			x->payload_fd = openat(x->root_fd, "data", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (st == ESCROW_OK && x->payload_fd < 0)
			st = io_fail(x, "open", "data");
	}
	return st;
}

/* The temporary inside the target done: its entries are moved up into the
 * target, and it goes. A move that fails takes back those made before it,
 * so the target is left empty as it was. */
static escrow_status move_up(struct xstate *x, const char *target)
{
	int dd = dup(x->root_fd);
	DIR *d = dd >= 0 ? fdopendir(dd) : NULL;
	struct dirent *de;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	escrow_status st = ESCROW_OK;
	const char *base = strrchr(x->tmp, '/') + 1;

	if (d == NULL) {
		if (dd >= 0)
			close(dd);
		return io_fail(x, "read", ".");
	}
	while (st == ESCROW_OK && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (n == cap) {
			char **v = realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *v);

			if (v == NULL)
				st = esc_nomem(x->ctx);
			else
				names = v;
		}
		if (st == ESCROW_OK && (names[n] = strdup(de->d_name)) == NULL)
			st = esc_nomem(x->ctx);
		if (st == ESCROW_OK)
			n++;
	}
	closedir(d);
	for (i = 0; st == ESCROW_OK && i < n; i++) {
		struct stat sb;
		int r = renameat2(x->root_fd, names[i], x->target_fd, names[i], RENAME_NOREPLACE);

		/* A file system without RENAME_NOREPLACE: the target held nothing
		 * but the temporary, so a name found there now is refused all the same. */
		if (r != 0 && errno == EINVAL) {
			r = fstatat(x->target_fd, names[i], &sb, AT_SYMLINK_NOFOLLOW) == 0 ? -1 : 0;
			errno = EEXIST;
			if (r == 0)
				r = renameat(x->root_fd, names[i], x->target_fd, names[i]);
		}
		if (r != 0) {
			int e = errno;

			st = esc_error(x->ctx, e == EEXIST ? ESCROW_E_EXISTS : ESCROW_E_CREATE, "%s: cannot move the "
			               "extracted files into place: %s: %s", target, names[i], strerror(e));
			while (i-- > 0)
				(void)renameat(x->target_fd, names[i], x->root_fd, names[i]);
			break;
		}
	}
	if (st == ESCROW_OK)
		(void)unlinkat(x->target_fd, base, AT_REMOVEDIR); /* empty now; else removed on the way out */
	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
	return st;
}

static escrow_status check_ids(escrow_ctx *ctx, const struct esc_verify_opts *o)
{
	size_t i, j;

	if (o->n_deliverables == 0)
		return ESCROW_OK;
	if (o->contract == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "--deliverable needs the contract (-c CONTRACT)");
	for (i = 0; i < o->n_deliverables; i++) {
		char known[512] = "";
		size_t k = 0;

		if (escrow_contract_has_deliverable(o->contract, o->deliverables[i]))
			continue;
		for (j = 0; j < o->contract->n_d && k < sizeof known; j++)
			k += (size_t)snprintf(known + k, sizeof known - k, "%s%s", j ? ", " : "", o->contract->d[j].id);
		return esc_error(ctx, ESCROW_E_USAGE, "unknown deliverable '%s' (%s lists: %s)", o->deliverables[i],
		                 o->contract->source_name ? o->contract->source_name : "the contract", known);
	}
	return ESCROW_OK;
}

escrow_status esc_extract(escrow_ctx *ctx, const struct esc_verify_opts *o, escrow_report **report)
{
	struct xstate x;
	struct esc_rd rd;
	struct esc_rd_hooks hooks;
	escrow_report *r = NULL;
	escrow_status st;
	char *place = NULL;              /* the target's real path, for "." and ".." */
	size_t i;

	if (report != NULL)
		*report = NULL;
	if (ctx == NULL || o == NULL || o->bundle == NULL || o->key == NULL || o->target == NULL ||
	    report == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_extract: a bundle, a public key, a target and a report "
		                 "pointer are required");
	memset(&x, 0, sizeof x);
	esc_rd_init(&rd, ctx, o->bundle, o->key, o->contract, o->identities);
	rd.no_digest = (o->flags & ESCROW_NO_DIGEST) != 0;
	x.ctx = ctx;
	x.rd = &rd;
	x.contract = o->contract;
	x.ids = o->deliverables;
	x.n_ids = o->n_deliverables;
	x.bag_layout = !(o->flags & ESCROW_PAYLOAD_ONLY) && o->n_deliverables == 0;
	x.root_fd = x.payload_fd = x.target_fd = -1;
	x.mask = group_other_umask();
	st = check_ids(ctx, o);
	if (st == ESCROW_OK)
		st = check_target(ctx, o->target);
	if (st == ESCROW_OK)
		st = resolve_place(ctx, o->target, &place);
	if (st == ESCROW_OK)
		st = make_tmp(&x, place ? place : o->target);
	if (st == ESCROW_OK)
		st = esc_xq_new(ctx, x.tmp, &x.q);
	if (st != ESCROW_OK)
		goto out;
	hooks.user = &x;
	hooks.begin = on_begin;
	hooks.data = on_data;
	hooks.end = on_end;
	rd.hooks = &hooks;
	rd.spill_tags = true;
	st = esc_rd_verify(&rd, "extract", &r);
	if (st != ESCROW_OK && st != ESCROW_INCOMPLETE)
		goto out;
	{
		escrow_status st2 = esc_xq_drain(x.q);

		if (st2 == ESCROW_OK)
			st2 = finish_tree(&x);

		if (st2 == ESCROW_OK && x.bag_layout)
			st2 = write_tags(&x);
		if (st2 == ESCROW_OK)
			st2 = top_times(&x);
		if (st2 == ESCROW_OK && x.target_fd >= 0)
			st2 = move_up(&x, o->target);
		else if (st2 == ESCROW_OK && rename(x.tmp, place ? place : o->target) != 0)
			st2 = esc_error(ctx, errno == ENOTEMPTY || errno == EEXIST ? ESCROW_E_EXISTS : ESCROW_E_CREATE,
			                "%s: cannot move the extracted folder into place: %s", o->target, strerror(errno));
		if (st2 != ESCROW_OK) {
			st = st2;
			goto out;
		}
	}
	free(x.tmp);
	x.tmp = NULL;
	json_object_set_new(r->root, "extracted", json_pack("{s:o,s:s,s:I}", "target", esc_json_string(o->target), "layout",
	                    x.bag_layout ? "bag" : o->n_deliverables ? "deliverables" : "payload", "entries",
	                    (json_int_t)x.files_written));
	if (x.dangling != NULL) {
		json_t *e = json_object_get(r->root, "extracted");

		if (e != NULL)
			json_object_set(e, "dangling_links", x.dangling);
	}
out:
	json_decref(x.dangling);
	/* Every file handed over is closed before the tree may be removed. */
	esc_xq_free(x.q);
	if (x.cache_dir != NULL)
		close(x.cache_fd);
	free(x.cache_dir);
	if (x.payload_fd >= 0 && x.payload_fd != x.root_fd)
		close(x.payload_fd);
	if (x.root_fd >= 0)
		close(x.root_fd);
	if (x.target_fd >= 0)
		close(x.target_fd);
	if (x.tmp != NULL) {
		remove_tree(x.tmp);
		free(x.tmp);
	}
	for (i = 0; i < x.n_made; i++)
		free(x.made[i]);
	free(x.made);
	esc_rd_clear(&rd);
	free(place);
	if (r != NULL && st != ESCROW_OK && st != ESCROW_INCOMPLETE && r->status == ESCROW_OK) {
		/* Verified, but the tree could not be completed: no report, the error says why. */
		escrow_report_free(r);
		r = NULL;
	}
	if (report != NULL)
		*report = r;
	else
		escrow_report_free(r);
	return st;
}
