/* esc_walk.h -- listing a project folder (internal). Owner: walk*.c
 * Used by pack (then streams each file once) and check. */
#ifndef ESC_WALK_H
#define ESC_WALK_H

#include <sys/types.h>

struct esc_walk_options {
	const char *src;                  /* the project folder */
	const char *const *excludes;      /* -x globs, matched against paths relative to src */
	size_t n_excludes;
	const escrow_contract *contract;  /* its exclude: list applies too; may be NULL */
	unsigned flags;                   /* ESCROW_INCLUDE_VCS, ESCROW_SKIP_SYMLINKS */
	bool skip_file;                   /* never list the file with this dev/ino (the output) */
	dev_t skip_dev;
	ino_t skip_ino;
	struct esc_walk_pool *pool;       /* NULL: each path malloc'd; else paths live here */
	int *srcfd;                       /* non-NULL: gets the folder walked, open (O_DIRECTORY), to
	                                   * read the listed paths from with openat; -1 on failure;
	                                   * the caller closes it. NULL: closed by esc_walk. */
};

/* Paths kept in big blocks rather than one malloc each: a 17-byte path took
 * a 32-byte chunk, 15 MB of a 1,000,000-file pack. Records whose path lives
 * in a pool must have path set to NULL before esc_file_clear or
 * esc_files_free (esc_walk_files_free does it). */
struct esc_walk_pool {
	char **blocks;
	size_t n, cap;
	char *cur;
	size_t left;
};
char *esc_walk_pool_dup(struct esc_walk_pool *p, const char *s, size_t len); /* NULL on ENOMEM */
void esc_walk_pool_free(struct esc_walk_pool *p);
/* esc_files_free for records whose paths are in pool (may be NULL), then the pool. */
void esc_walk_files_free(struct esc_files *fs, struct esc_walk_pool *pool);

/* Lists src recursively into *out, sorted bytewise by path (relative to src,
 * no trailing '/'), folders included, in that order as it goes: each
 * folder's names are sorted with a subfolder's children keyed "name/" and
 * its own entry "name", so "a" < "a-b" < "a/b" holds without sorting the
 * whole list at the end. Applies -x globs, the root's
 * .escrowignore (one glob a line, '#' comments, no '!' negation), the
 * contract's exclude: and, unless ESCROW_INCLUDE_VCS, .git/.hg/.svn at any
 * depth (a .git file of a worktree or submodule too). A glob that matches a
 * folder excludes everything under it. Names must be UTF-8 without control
 * characters other than CR, LF and TAB (else ESCROW_E_INPUT naming them).
 * Files get size, mode (0755 if any x bit, else 0644), mtime. Symlinks get
 * link: target, and resolved (path relative to src of what they point to);
 * a link that escapes src (absolute, or climbing out by its text or through
 * another link), dangles, or points at something excluded or special is
 * ESCROW_E_INPUT naming it, unless
 * ESCROW_SKIP_SYMLINKS (then a warning and skipped). Fifos, sockets and
 * devices are skipped with a warning. Missing src: ESCROW_E_OPEN; unreadable
 * folder: ESCROW_E_IO naming it. */
escrow_status esc_walk(escrow_ctx *ctx, const struct esc_walk_options *o, struct esc_files *out);

/* tree_walk_links.c: each kept symlink must lead, through the listed
 * entries alone (as a reader of the bundle follows it), to the target the
 * walk resolved on disk; else ESCROW_E_INPUT naming the link and the entry
 * it goes through that is not listed, or with ESCROW_SKIP_SYMLINKS a warning
 * and the link removed from fs (until every link left leads). esc_walk
 * calls it on the sorted list. */
escrow_status esc_walk_links(escrow_ctx *ctx, const struct esc_walk_options *o, struct esc_files *fs);

/* tree_walk_real.c: realpath(3) of target, found in folder dir (dir_len
 * bytes, relative to rootfd, "" the root), resolved one name at a time from
 * rootfd as the kernel would, links followed (at most 40). 0 with *out
 * (malloc'd) the physical path relative to rootfd ("" the root itself) and
 * *st what is there (not followed: never a link); ESC_REAL_OUTSIDE when a
 * step leaves the folder (".." above it, an absolute link); else the errno
 * of the step that failed (ENOENT, ENOTDIR, ELOOP, ENOMEM...). Only paths
 * inside the folder go to the kernel: rootfd's own path may be long. */
#define ESC_REAL_OUTSIDE (-1)
struct stat;
int esc_walk_realpath(int rootfd, const char *dir, size_t dir_len, const char *target, char **out,
                      struct stat *st);

/* tree_walk_stat.c: a folder's names fstatat'ed (AT_SYMLINK_NOFOLLOW) by
 * the caller and one helper thread. new: NULL when esc_threads(ctx) < 2 or
 * the thread cannot start (run then stats alone). */
struct esc_wstat {
	int err;                          /* errno of fstatat, 0 when it worked */
	mode_t mode;
	off_t size;
	time_t mtime;
	dev_t dev;
	ino_t ino;
};
struct esc_statpool;
struct esc_statpool *esc_statpool_new(const escrow_ctx *ctx);
void esc_statpool_run(struct esc_statpool *p, int dfd, char *const *names, size_t n, struct esc_wstat *out);
void esc_statpool_free(struct esc_statpool *p);

#endif
