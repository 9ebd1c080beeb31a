/* pack_git.c -- where a deposit came from: when SRC is inside a git work
 * tree, the commit at HEAD, the tags pointing at it, origin's URL without
 * credentials, and whether any packed file differs from that commit. Read
 * with libgit2 (no git command, no shell); every value bounded and made
 * plain text before it reaches bag-info.txt, manifest.json or a report. */
#include "esc_pack_job.h"

#include <git2.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* libgit2 is opened at run time, and only when SRC may be in a repository
 * (maybe_repo): linked, it and its libraries (mbedTLS, libssh2, PCRE2,
 * http-parser) were loaded at every start of escrow, 5.7 ms of CPU here, for
 * every command, when only pack of a git work tree uses it. git2.h gives the
 * types and prototypes; the calls below go through git_fns (core_dl.c).
 * ESC_LIBGIT2_SONAME is the library the headers belong to (CMakeLists.txt). */
#define GIT_FUNCS(X) \
	X(git_config_free) X(git_config_get_string) X(git_error_last) X(git_index_entrycount) X(git_index_free) \
	X(git_index_get_byindex) X(git_libgit2_init) X(git_repository_hashfile) X(git_repository_index) \
	X(git_libgit2_shutdown) X(git_object_free) X(git_object_id) X(git_oid_equal) X(git_oid_tostr) \
	X(git_reference_free) X(git_reference_iterator_free) X(git_reference_iterator_glob_new) \
	X(git_reference_lookup) X(git_reference_name_to_id) X(git_reference_next_name) \
	X(git_reference_peel) X(git_repository_config_snapshot) X(git_repository_free) \
	X(git_repository_is_bare) X(git_repository_open_ext) X(git_repository_workdir) \
	X(git_status_byindex) X(git_status_list_entrycount) X(git_status_list_free) X(git_status_list_new) \
	X(git_status_options_init)

enum {
#define GIT_INDEX(f) GIT_##f,
	GIT_FUNCS(GIT_INDEX) GIT_N
#undef GIT_INDEX
};
static const char *const git_names[GIT_N] = {
#define GIT_NAME(f) #f,
	GIT_FUNCS(GIT_NAME)
#undef GIT_NAME
};
static esc_dl_fn git_fns[GIT_N];
static struct esc_dl git_dl = {ESC_LIBGIT2_SONAME, git_names, GIT_N, git_fns, false, ""};
#define GIT_CALL(f) ((__typeof__(&f))git_fns[GIT_##f])
#define git_config_free GIT_CALL(git_config_free)
#define git_config_get_string GIT_CALL(git_config_get_string)
#define git_error_last GIT_CALL(git_error_last)
#define git_index_entrycount GIT_CALL(git_index_entrycount)
#define git_index_free GIT_CALL(git_index_free)
#define git_index_get_byindex GIT_CALL(git_index_get_byindex)
#define git_libgit2_init GIT_CALL(git_libgit2_init)
#define git_repository_hashfile GIT_CALL(git_repository_hashfile)
#define git_repository_index GIT_CALL(git_repository_index)
#define git_libgit2_shutdown GIT_CALL(git_libgit2_shutdown)
#define git_object_free GIT_CALL(git_object_free)
#define git_object_id GIT_CALL(git_object_id)
#define git_oid_equal GIT_CALL(git_oid_equal)
#define git_oid_tostr GIT_CALL(git_oid_tostr)
#define git_reference_free GIT_CALL(git_reference_free)
#define git_reference_iterator_free GIT_CALL(git_reference_iterator_free)
#define git_reference_iterator_glob_new GIT_CALL(git_reference_iterator_glob_new)
#define git_reference_lookup GIT_CALL(git_reference_lookup)
#define git_reference_name_to_id GIT_CALL(git_reference_name_to_id)
#define git_reference_next_name GIT_CALL(git_reference_next_name)
#define git_reference_peel GIT_CALL(git_reference_peel)
#define git_repository_config_snapshot GIT_CALL(git_repository_config_snapshot)
#define git_repository_free GIT_CALL(git_repository_free)
#define git_repository_is_bare GIT_CALL(git_repository_is_bare)
#define git_repository_open_ext GIT_CALL(git_repository_open_ext)
#define git_repository_workdir GIT_CALL(git_repository_workdir)
#define git_status_byindex GIT_CALL(git_status_byindex)
#define git_status_list_entrycount GIT_CALL(git_status_list_entrycount)
#define git_status_list_free GIT_CALL(git_status_list_free)
#define git_status_list_new GIT_CALL(git_status_list_new)
#define git_status_options_init GIT_CALL(git_status_options_init)

/* Whether DIR/NAME exists (type 0: as anything, not followed), or is of
 * that type (S_IFREG, S_IFDIR; followed). Out of memory: yes. */
static bool probe(const char *dir, const char *name, mode_t type)
{
	char *p = esc_strf("%s/%s", dir, name);
	struct stat sb;
	bool yes;

	if (p == NULL)
		return true;
	yes = type == 0 ? lstat(p, &sb) == 0 : stat(p, &sb) == 0 && (sb.st_mode & S_IFMT) == type;
	free(p);
	return yes;
}

/* Whether SRC may be in a repository libgit2 would open: SRC or a folder
 * above it holds a .git (a folder, or a file naming one), or is itself a bare
 * repository (HEAD, objects/, refs/), the places libgit2 looks at going up.
 * More than libgit2 (which stops at a file system's edge) is fine: it then
 * says no. A path that cannot be resolved is a maybe. */
static bool maybe_repo(const char *src)
{
	char *dir = realpath(src, NULL), *slash;
	bool maybe = false;

	if (dir == NULL)
		return true;
	for (;;) {
		if (probe(dir, ".git", 0) || (probe(dir, "HEAD", S_IFREG) && probe(dir, "objects", S_IFDIR) &&
		                              probe(dir, "refs", S_IFDIR))) {
			maybe = true;
			break;
		}
		slash = strrchr(dir, '/');
		if (slash == NULL || (slash == dir && dir[1] == '\0'))
			break; /* the root was the last */
		slash[slash == dir] = '\0'; /* "/a/b" -> "/a" -> "/" */
	}
	free(dir);
	return maybe;
}

/* A value from the repository, made safe for a "Key: value" line: controls
 * and bytes that are not UTF-8 escaped (\xNN), at most max bytes, a cut one
 * ending in "...". */
static char *plain(const char *s, size_t max)
{
	size_t whole = esc_escape(NULL, 0, s, strlen(s), ESC_ESCAPE_TEXT);
	char *out = malloc(max + 4);

	if (out == NULL)
		return NULL;
	esc_escape(out, max + 1, s, strlen(s), ESC_ESCAPE_TEXT);
	if (whole > max)
		strcat(out, "...");
	return out;
}

/* "https://user:token@host/x" -> "https://host/x": the userinfo of a URL is
 * a credential (a token often stands as the user). scp-like "git@host:x"
 * names an account, no secret: kept. */
static void strip_credentials(char *url)
{
	char *auth = strstr(url, "://"), *end, *at = NULL;

	if (auth == NULL)
		return;
	auth += 3;
	end = auth + strcspn(auth, "/?#");
	for (char *p = auth; p < end; p++)
		if (*p == '@')
			at = p;
	if (at != NULL)
		memmove(auth, at + 1, strlen(at + 1) + 1);
}

/* One tag: kept when it peels to the commit at HEAD. */
static int tag_at(git_repository *repo, const git_oid *head, const char *name, struct esc_provenance *p)
{
	git_reference *ref = NULL;
	git_object *peeled = NULL;
	int hit = 0;

	if (git_reference_lookup(&ref, repo, name) == 0 && git_reference_peel(&peeled, ref, GIT_OBJECT_COMMIT) == 0)
		hit = git_oid_equal(git_object_id(peeled), head);
	git_object_free(peeled);
	git_reference_free(ref);
	if (!hit || p->n_tags >= ESC_PROV_TAGS_MAX)
		return 0;
	p->tags[p->n_tags] = plain(name + 10, ESC_PROV_TAG_MAX);
	if (p->tags[p->n_tags] == NULL)
		return -1;
	p->n_tags++;
	return 0;
}

/* The tags at HEAD, by name. A name libgit2 cannot take (a hostile
 * packed-refs line) ends the walk: what was read stays, and it says so. */
static int tags_at(struct esc_pack_run *r, git_repository *repo, const git_oid *head, struct esc_provenance *p)
{
	git_reference_iterator *it = NULL;
	const char *name;
	int e = 0;

	if (git_reference_iterator_glob_new(&it, repo, "refs/tags/*") != 0)
		return 0;
	while ((e = git_reference_next_name(&name, it)) == 0)
		if (tag_at(repo, head, name, p) != 0) {
			git_reference_iterator_free(it);
			return -1;
		}
	git_reference_iterator_free(it);
	if (e != GIT_ITEROVER)
		esc_pack_warn(r, NULL, "the tags of the git work tree could not all be read (%.200s): those read are "
		              "recorded", git_error_last() && git_error_last()->message ? git_error_last()->message :
		              "libgit2 error");
	return 0;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Is rel (relative to SRC; a folder when it ends in '/') packed? */
static bool packed(const struct esc_files *fs, const char *rel)
{
	size_t lo = 0, hi = fs->n, k = strlen(rel);

	if (k == 0)
		return fs->n > 0;
	while (lo < hi) { /* the first path >= rel */
		size_t mid = lo + (hi - lo) / 2;

		if (strcmp(fs->v[mid].path, rel) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (rel[k - 1] == '/')
		return lo < fs->n && strncmp(fs->v[lo].path, rel, k) == 0;
	if (lo >= fs->n || strcmp(fs->v[lo].path, rel) != 0)
		return false;
	/* a folder named without its '/' is a submodule (its commit, or files
	 * in it, changed): packed when a file under it is */
	return fs->v[lo].type != ESC_FT_DIR ||
	       (lo + 1 < fs->n && strncmp(fs->v[lo + 1].path, rel, k) == 0 && fs->v[lo + 1].path[k] == '/');
}

/* A path of the status list (relative to the work tree) against the packed
 * files; prefix is SRC relative to the work tree ("" or "sub/dir/"). */
static bool packed_changed(const struct esc_files *fs, const char *prefix, const char *path)
{
	size_t np = strlen(prefix), n;

	if (path == NULL)
		return false;
	n = strlen(path);
	if (strncmp(path, prefix, np) == 0)
		return packed(fs, path + np);
	/* an untracked or ignored folder holding SRC itself */
	return n > 0 && path[n - 1] == '/' && strncmp(prefix, path, n) == 0 && fs->n > 0;
}

/* 0, or -1 when libgit2 failed, or -2 when it calls deleted a packed file
 * whose absolute path is past PATH_MAX (named in unseen): the walk just
 * found it, so libgit2 could not see it.
 * It opens work tree files by their absolute path, which past PATH_MAX
 * fails as if the file were gone: a deep file of an SRC with a long path,
 * edited since the commit, was skipped as deleted, and the deposit said
 * 'clean'. */
static int dirty(git_repository *repo, const struct esc_files *fs, const char *prefix, bool *out, char *unseen,
                 size_t ulen)
{
	git_status_options so;
	git_status_list *sl = NULL;
	size_t i, n;

	if (git_status_options_init(&so, GIT_STATUS_OPTIONS_VERSION) != 0)
		return -1;
	/* Untracked and ignored folders come as one "dir/" entry each: a
	 * build/ or .venv/ of a million files is not listed file by file. */
	so.show = GIT_STATUS_SHOW_INDEX_AND_WORKDIR;
	/* Submodules too: their files are packed, and one edited, or checked out
	 * at another commit than the one recorded, was a deposit called clean. */
	so.flags = GIT_STATUS_OPT_INCLUDE_UNTRACKED | GIT_STATUS_OPT_INCLUDE_IGNORED;
	if (git_status_list_new(&sl, repo, &so) != 0)
		return -1;
	*out = false;
	n = git_status_list_entrycount(sl);
	for (i = 0; i < n && !*out; i++) {
		const git_status_entry *e = git_status_byindex(sl, i);
		const git_diff_delta *d = e->index_to_workdir ? e->index_to_workdir : e->head_to_index;

		if (d == NULL)
			continue;
		if ((e->status & (GIT_STATUS_WT_DELETED | GIT_STATUS_INDEX_DELETED)) == e->status) {
			const char *gone = e->index_to_workdir ? e->index_to_workdir->old_file.path : NULL;

			if ((e->status & GIT_STATUS_WT_DELETED) && gone != NULL && packed_changed(fs, prefix, gone) &&
			    strlen(git_repository_workdir(repo)) + strlen(gone) >= PATH_MAX) {
				esc_clipf(unseen, ulen, "%s", gone);
				git_status_list_free(sl);
				return -2;
			}
			continue; /* a deleted file is not packed */
		}
		*out = packed_changed(fs, prefix, d->new_file.path) ||
		       (e->head_to_index && packed_changed(fs, prefix, e->head_to_index->new_file.path));
	}
	git_status_list_free(sl);
	return 0;
}

/* Files git was told not to look at (update-index --assume-unchanged or
 * --skip-worktree) are left out of the status list whatever they hold: one
 * edited and packed was a deposit called clean. Each one packed is hashed as
 * git would (its filters) against the index; a link is counted as dirt. */
static int hidden_dirty(git_repository *repo, const struct esc_files *fs, const char *prefix, bool *out)
{
	git_index *idx = NULL;
	size_t i, n, np = strlen(prefix);

	if (git_repository_index(&idx, repo) != 0)
		return -1;
	n = git_index_entrycount(idx);
	for (i = 0; i < n && !*out; i++) {
		const git_index_entry *e = git_index_get_byindex(idx, i);
		git_oid id;

		if (e == NULL || !((e->flags & GIT_INDEX_ENTRY_VALID) || (e->flags_extended & GIT_INDEX_ENTRY_SKIP_WORKTREE)))
			continue;
		if (strncmp(e->path, prefix, np) != 0 || !packed(fs, e->path + np))
			continue;
		*out = (e->mode & 0170000) != 0100000 ||
		       git_repository_hashfile(&id, repo, e->path, GIT_OBJECT_BLOB, NULL) != 0 || !git_oid_equal(&id, &e->id);
	}
	git_index_free(idx);
	return 0;
}

/* remote.origin.url as configured, without credentials, made plain; NULL
 * when there is none. Read from the configuration rather than through
 * git_remote_lookup, which in libgit2 1.5 leaks a regex match block per
 * configuration entry (its url.*.insteadOf scan). */
static char *origin_url(git_repository *repo)
{
	git_config *cfg = NULL;
	const char *v;
	char *url, *out = NULL;

	if (git_repository_config_snapshot(&cfg, repo) != 0)
		return NULL;
	url = git_config_get_string(&v, cfg, "remote.origin.url") == 0 ? strdup(v) : NULL;
	if (url != NULL) {
		strip_credentials(url);
		out = plain(url, ESC_PROV_REMOTE_MAX);
		free(url);
	}
	git_config_free(cfg);
	return out;
}

/* SRC relative to the work tree, with a trailing '/' ("" at its root). */
static char *src_prefix(const char *workdir, const char *src)
{
	char w[PATH_MAX], s[PATH_MAX];
	size_t n;

	if (realpath(workdir, w) == NULL || realpath(src, s) == NULL)
		return NULL;
	n = strlen(w);
	if (strncmp(s, w, n) != 0 || (s[n] != '/' && s[n] != '\0'))
		return NULL;
	return s[n] == '\0' ? strdup("") : esc_strf("%s/", s + n + 1);
}

static void read_repo(struct esc_pack_run *r, git_repository *repo, const char *src, struct esc_provenance *p)
{
	git_oid head;
	char hex[GIT_OID_HEXSZ + 1], *prefix = NULL, unseen[512];
	const git_error *ge;
	int oom, rc;

	if (git_repository_is_bare(repo) || git_reference_name_to_id(&head, repo, "HEAD") != 0)
		return; /* no commit yet: nothing to tie the deposit to */
	prefix = src_prefix(git_repository_workdir(repo), src);
	if (prefix == NULL)
		return;
	git_oid_tostr(hex, sizeof hex, &head);
	p->commit = strdup(hex);
	oom = tags_at(r, repo, &head, p);
	qsort(p->tags, p->n_tags, sizeof *p->tags, cmp_str);
	p->remote = origin_url(repo);
	rc = dirty(repo, r->files, prefix, &p->dirty, unseen, sizeof unseen);
	if (rc == -2) {
		esc_pack_warn(r, NULL, "no git provenance recorded: libgit2 cannot read %s of the work tree, whose path "
		              "from / is longer than %d bytes (pack from a folder with a shorter path to record it)",
		              unseen, PATH_MAX - 1);
		free(prefix);
		esc_provenance_free(p);
		return;
	}
	if (rc == 0 && !p->dirty)
		rc = hidden_dirty(repo, r->files, prefix, &p->dirty);
	if (rc != 0)
		goto failed;
	p->git = p->commit != NULL && oom == 0;
	free(prefix);
	return;
failed:
	ge = git_error_last();
	esc_pack_warn(r, NULL, "%s is in a git work tree whose state could not be read (%.200s): no provenance recorded",
	              src, ge && ge->message ? ge->message : "libgit2 error");
	free(prefix);
	esc_provenance_free(p);
}

void esc_pack_provenance(struct esc_pack_run *r, const char *src, struct esc_provenance *p)
{
	git_repository *repo = NULL;
	const git_error *ge;
	int e;

	memset(p, 0, sizeof *p);
	if (!maybe_repo(src))
		return;
	if (!esc_dl_load(&git_dl)) {
		esc_pack_warn(r, NULL, "%s may be in a git work tree, but libgit2 cannot be loaded (%s): no provenance "
		              "recorded (install it: apt-get install libgit2-1.5)", src, git_dl.error);
		return;
	}
	if (git_libgit2_init() < 0)
		return;
	/* Upwards from SRC, as git does; not across file systems. */
	e = git_repository_open_ext(&repo, src, 0, NULL);
	ge = git_error_last();
	/* libgit2 1.5 says ENOTFOUND, naming safe.directory, where later ones say EOWNER */
	if (e == GIT_ENOTFOUND && ge != NULL && ge->message != NULL && strstr(ge->message, "safe.directory") != NULL)
		e = GIT_EOWNER;
	if (e == 0)
		read_repo(r, repo, src, p);
	else if (e == GIT_EOWNER) /* a checkout made by another user, as in CI containers */
		esc_pack_warn(r, NULL, "%s is in a git work tree owned by another user, which libgit2 does not open: no "
		              "provenance recorded (trust it with 'git config --global --add safe.directory DIR')", src);
	else if (e != GIT_ENOTFOUND)
		esc_pack_warn(r, NULL, "%s looks like a git work tree that could not be opened (%.200s): no provenance "
		              "recorded", src, git_error_last() && git_error_last()->message ? git_error_last()->message :
		              "libgit2 error");
	git_repository_free(repo);
	git_libgit2_shutdown();
}

void esc_provenance_free(struct esc_provenance *p)
{
	for (size_t i = 0; i < p->n_tags; i++)
		free(p->tags[i]);
	free(p->commit);
	free(p->remote);
	memset(p, 0, sizeof *p);
}
