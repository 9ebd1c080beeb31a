/* io_tmp.c -- temporary outputs that a later run can recognise and clean.
 *
 * Every temporary output (pack's bundle, rewrap's release, a signature, a
 * key, extract's folder) is named DIR/.BASE.escrow-tmp.HOST.PID.RANDOM and
 * locked with flock() by the process that writes it, until it is renamed into
 * place. SIGKILL or the OOM killer leave the temporary behind, but the kernel
 * drops the lock: the next run aimed at the same output finds it, takes the
 * lock, and removes it. One whose lock is held is in use and is kept; so is
 * one whose lock is free while its process still runs (just created, not yet
 * locked), unless that pid now belongs to a process started after the
 * temporary was last written (a reused pid). A temporary made on another host
 * is never judged from here. Each one kept or removed is named in a warning. */
#include "escrow_private.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define TMP_TAG ".escrow-tmp."
#define HOST_MAX 32

static void host_label(char out[HOST_MAX + 1])
{
	char h[256];
	size_t i, n = 0;

	if (gethostname(h, sizeof h) != 0)
		h[0] = '\0';
	h[sizeof h - 1] = '\0';
	for (i = 0; h[i] != '\0' && n < HOST_MAX; i++) {
		char c = h[i];

		if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-')
			out[n++] = c;
		else if (c == '.')
			break; /* the short name: dots separate the fields */
	}
	if (n == 0)
		memcpy(out, "host", n = 4);
	out[n] = '\0';
}

/* DIR (with its slash, possibly empty) and BASE of path. */
static void split(const char *path, size_t *dirlen, const char **base)
{
	const char *slash = strrchr(path, '/');

	*base = slash ? slash + 1 : path;
	*dirlen = slash ? (size_t)(slash - path) + 1 : 0;
}

/* When process pid started, in seconds since the epoch; -1 if unknown; 0 if
 * it is a zombie (killed, not yet reaped by its parent: gone all the same). */
static double proc_start(long pid)
{
	char p[64], buf[1024], *s;
	unsigned long long ticks = 0, btime = 0;
	long hz = sysconf(_SC_CLK_TCK);
	FILE *f;
	size_t n;
	int field;

	snprintf(p, sizeof p, "/proc/%ld/stat", pid);
	f = fopen(p, "re");
	if (f == NULL)
		return -1;
	n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	s = strrchr(buf, ')'); /* the command name may hold spaces and parentheses */
	if (s == NULL || hz <= 0)
		return -1;
	if (s[1] == ' ' && (s[2] == 'Z' || s[2] == 'X'))
		return 0;
	/* After ')': field 3 (state) ... field 22 (starttime). */
	for (field = 2; field < 22 && s != NULL; field++)
		s = strchr(s + 1, ' ');
	if (s == NULL || sscanf(s + 1, "%llu", &ticks) != 1)
		return -1;
	f = fopen("/proc/stat", "re");
	if (f == NULL)
		return -1;
	while (fgets(buf, sizeof buf, f) != NULL)
		if (sscanf(buf, "btime %llu", &btime) == 1)
			break;
	fclose(f);
	if (btime == 0)
		return -1;
	/* btime is rounded down: the result is never later than the true start. */
	return (double)btime + (double)ticks / (double)hz;
}

/* One folder a level below the last, while emptying a tree: its name in its
 * parent and the parent's inode, to come back up by "..". */
struct rm_level {
	char *name;
	ino_t parent;
};

/* The first entry of the folder open at fd that is a folder with something
 * in it, malloc'd; everything else found on the way is removed. NULL when
 * none is left (or no memory). */
static char *clear_level(int fd)
{
	int dd = dup(fd);
	DIR *d = dd >= 0 ? fdopendir(dd) : NULL;
	struct dirent *de;
	char *sub = NULL;

	if (d == NULL) {
		if (dd >= 0)
			close(dd);
		return NULL;
	}
	rewinddir(d); /* the offset is fd's, where the last pass left it */
	while (sub == NULL && (de = readdir(d)) != NULL) {
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name, "..") == 0)
			continue;
		if (unlinkat(fd, de->d_name, 0) == 0 || (errno != EISDIR && errno != EPERM))
			continue;
		if (unlinkat(fd, de->d_name, AT_REMOVEDIR) == 0 || (errno != ENOTEMPTY && errno != EEXIST))
			continue;
		sub = strdup(de->d_name);
	}
	closedir(d);
	return sub;
}

void esc_tmp_empty_dir(int fd)
{
	struct rm_level *lv = NULL;
	size_t depth = 0, cap = 0;
	struct stat top, sb;
	int cur = fd;

	/* Down one folder at a time and back up by "..", each checked to be the
	 * folder it came from: two descriptors at most, whatever the depth (a
	 * payload may nest 2,048 folders, past most shells' open-file limit;
	 * one held a level, a deep tree was left behind). It never follows a
	 * symlink nor leaves fd's device (a file system mounted inside is not
	 * ours): the content is unverified data from a bundle. It stops at the
	 * first folder it cannot enter or remove, leaving what is left. */
	if (fstat(fd, &top) != 0)
		return;
	for (;;) {
		char *sub = clear_level(cur);

		if (sub != NULL) {
			int next = openat(cur, sub, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (next < 0 || fstat(next, &sb) != 0 || sb.st_dev != top.st_dev) {
				if (next >= 0)
					close(next);
				free(sub);
				break;
			}
			if (depth == cap) {
				struct rm_level *v = realloc(lv, (cap ? cap * 2 : 64) * sizeof *v);

				if (v == NULL) {
					close(next);
					free(sub);
					break;
				}
				lv = v;
				cap = cap ? cap * 2 : 64;
			}
			if (fstat(cur, &sb) != 0) {
				close(next);
				free(sub);
				break;
			}
			lv[depth].name = sub;
			lv[depth++].parent = sb.st_ino;
			if (cur != fd)
				close(cur);
			cur = next;
			continue;
		}
		if (depth == 0)
			break;
		{
			int up = depth == 1 ? fd : openat(cur, "..", O_RDONLY | O_DIRECTORY | O_CLOEXEC);

			if (up < 0 || fstat(up, &sb) != 0 || sb.st_ino != lv[depth - 1].parent ||
			    sb.st_dev != top.st_dev) {
				if (up >= 0 && up != fd)
					close(up);
				break;
			}
			close(cur);
			cur = up;
			depth--;
			/* Emptied: it goes; if it cannot, coming down again would not help. */
			if (unlinkat(cur, lv[depth].name, AT_REMOVEDIR) != 0) {
				free(lv[depth].name);
				break;
			}
			free(lv[depth].name);
		}
	}
	if (cur != fd)
		close(cur);
	while (depth > 0)
		free(lv[--depth].name);
	free(lv);
}

/* One candidate: DIR/name, a temporary of the output whose rest of name is
 * HOST.PID.RANDOM. */
static void judge(escrow_ctx *ctx, int dfd, const char *shown, const char *name, const char *rest,
                  const char *host)
{
	const char *dot1 = strchr(rest, '.'), *dot2;
	char *end;
	struct stat sb, fb, db;
	long pid;
	int fd;
	size_t i;

	if (dot1 == NULL || dot1 == rest)
		return;
	for (i = 0; rest + i < dot1; i++)
		if (!(rest[i] == '-' || (rest[i] >= '0' && rest[i] <= '9') || (rest[i] >= 'a' && rest[i] <= 'z') ||
		      (rest[i] >= 'A' && rest[i] <= 'Z')))
			return;
	errno = 0;
	pid = strtol(dot1 + 1, &end, 10);
	if (errno != 0 || end == dot1 + 1 || *end != '.' || pid <= 0 || dot1[1] < '1' || dot1[1] > '9')
		return;
	dot2 = end;
	if (strlen(dot2 + 1) != 8 || strspn(dot2 + 1, "0123456789abcdef") != 8)
		return;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0 || (!S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)))
		return;
	if ((size_t)(dot1 - rest) != strlen(host) || strncmp(rest, host, strlen(host)) != 0) {
		esc_warn(ctx, "%s: kept: a temporary output made on host '%.*s' (it cannot be checked from here; "
		         "remove it if no escrow runs there)", shown, (int)(dot1 - rest), rest);
		return;
	}
	if (sb.st_uid != geteuid()) {
		esc_warn(ctx, "%s: kept: a temporary output of another user", shown);
		return;
	}
	fd = openat(dfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC |
	            (S_ISDIR(sb.st_mode) ? O_DIRECTORY : 0));
	if (fd < 0)
		return;
	if (fstat(fd, &fb) != 0 || fb.st_ino != sb.st_ino || fb.st_dev != sb.st_dev || fstat(dfd, &db) != 0 ||
	    fb.st_dev != db.st_dev)
		goto keep_quiet; /* swapped meanwhile, or a mount point */
	if (flock(fd, LOCK_EX | LOCK_NB) != 0) {
		if (errno == EWOULDBLOCK)
			esc_warn(ctx, "%s: kept: process %ld is still writing it", shown, pid);
		goto keep_quiet;
	}
	if (kill((pid_t)pid, 0) == 0 || errno == EPERM) {
		double start = proc_start(pid);
		double mtime = (double)fb.st_mtim.tv_sec + (double)fb.st_mtim.tv_nsec / 1e9;

		/* Alive and started before the temporary was last written: its
		 * maker, between creating and locking it. A pid reused by a later
		 * process does not keep it. */
		if (pid == (long)getpid() || start < 0 || start <= mtime) {
			if (pid != (long)getpid())
				esc_warn(ctx, "%s: kept: unlocked, but process %ld is running (remove it by hand if that "
				         "process is not an escrow)", shown, pid);
			goto keep_quiet;
		}
	}
	if (S_ISDIR(fb.st_mode)) {
		esc_tmp_empty_dir(fd);
		if (unlinkat(dfd, name, AT_REMOVEDIR) != 0) {
			esc_warn(ctx, "%s: stale (process %ld is gone) but cannot be removed: %s", shown, pid,
			         strerror(errno));
			goto keep_quiet;
		}
	} else if (unlinkat(dfd, name, 0) != 0) {
		esc_warn(ctx, "%s: stale (process %ld is gone) but cannot be removed: %s", shown, pid, strerror(errno));
		goto keep_quiet;
	}
	esc_warn(ctx, "%s: removed: a temporary output left by process %ld, which is gone (killed before it "
	         "finished)", shown, pid);
keep_quiet:
	close(fd);
}

void esc_tmp_sweep(escrow_ctx *ctx, const char *path)
{
	const char *base;
	char host[HOST_MAX + 1], *dir = NULL, *prefix = NULL, *shown = NULL;
	size_t dirlen, plen;
	struct dirent *de;
	DIR *d;

	split(path, &dirlen, &base);
	if (*base == '\0')
		return;
	host_label(host);
	dir = dirlen ? strndup(path, dirlen) : strdup(".");
	plen = strlen(base) + sizeof TMP_TAG + 1;
	prefix = malloc(plen);
	if (dir == NULL || prefix == NULL)
		goto out;
	snprintf(prefix, plen, ".%s" TMP_TAG, base);
	plen = strlen(prefix);
	d = opendir(dir);
	if (d == NULL)
		goto out;
	while ((de = readdir(d)) != NULL) {
		size_t n;

		if (strncmp(de->d_name, prefix, plen) != 0)
			continue;
		n = dirlen + strlen(de->d_name) + 1;
		free(shown);
		shown = malloc(n);
		if (shown == NULL)
			break;
		snprintf(shown, n, "%.*s%s", (int)dirlen, path, de->d_name);
		judge(ctx, dirfd(d), shown, de->d_name, de->d_name + plen, host);
	}
	closedir(d);
out:
	free(shown);
	free(prefix);
	free(dir);
}

/* Why the temporary beside path could not be made (errno), said of the
 * folder that was to hold it, with the fix: the temporary is ours, the
 * folder the user's. */
static escrow_status create_fail(escrow_ctx *ctx, const char *path, size_t dirlen, bool folder)
{
	int e = errno;
	struct stat sb;
	char *dir = dirlen ? strndup(path, dirlen) : NULL;
	bool missing = e == ENOENT && (dirlen == 0 || dir == NULL || stat(dir, &sb) != 0);
	const char *fix = missing ? "create it first, or give a path in a folder that exists"
	                  : e == EACCES || e == EPERM || e == EROFS ? "give a path in a folder you can write to"
	                  : NULL;
	int n = dirlen > 1 ? (int)dirlen - 1 : (int)dirlen; /* without its last '/', but "/" */

	free(dir);

	if (fix != NULL || e == ENOTDIR)
		return esc_error(ctx, ESCROW_E_CREATE, "%s: cannot be created in the folder '%.*s': %s (%s)", path,
		                 dirlen ? n : 1, dirlen ? path : ".", e == ENOTDIR ? "a part of it is not a folder"
		                 : strerror(e), fix != NULL ? fix : "give a path in a folder that exists");
	return esc_error(ctx, ESCROW_E_CREATE, "%s: cannot create %s beside it: %s", path,
	                 folder ? "a temporary folder" : "a temporary file", strerror(e));
}

escrow_status esc_tmp_create(escrow_ctx *ctx, const char *path, bool folder, int mode, int *fd,
                             char **tmp_path)
{
	const char *base;
	char host[HOST_MAX + 1], *tmp;
	size_t dirlen, cap;
	int i;

	*fd = -1;
	*tmp_path = NULL;
	split(path, &dirlen, &base);
	if (*base == '\0')
		return esc_error(ctx, ESCROW_E_CREATE, "%s: not a file name", path);
	esc_tmp_sweep(ctx, path);
	host_label(host);
	cap = dirlen + strlen(base) + sizeof TMP_TAG + HOST_MAX + 40;
	tmp = malloc(cap);
	if (tmp == NULL)
		return esc_nomem(ctx);
	for (i = 0; i < 100; i++) {
		int f;

		snprintf(tmp, cap, "%.*s.%s" TMP_TAG "%s.%ld.%08x", (int)dirlen, path, base, host, (long)getpid(),
		         (unsigned)randombytes_random());
		if (folder) {
			f = mkdir(tmp, (mode_t)mode) == 0 ? open(tmp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC) : -1;
			if (f < 0 && errno != EEXIST) {
				int e = errno;

				(void)rmdir(tmp);
				errno = e;
			}
		} else {
			f = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
			if (f >= 0)
				(void)fchmod(f, (mode_t)mode);
		}
		if (f >= 0) {
			/* Held until the output is in place (or the process dies):
			 * what tells a later run that this one is alive. A sweeper that
			 * just opened it holds it for a moment, so wait. */
			while (flock(f, LOCK_EX) != 0 && errno == EINTR)
				;
			*fd = f;
			*tmp_path = tmp;
			return ESCROW_OK;
		}
		if (errno != EEXIST) {
			escrow_status st = create_fail(ctx, path, dirlen, folder);

			free(tmp);
			return st;
		}
	}
	free(tmp);
	return esc_error(ctx, ESCROW_E_CREATE, "%s: cannot create a temporary output beside it", path);
}
