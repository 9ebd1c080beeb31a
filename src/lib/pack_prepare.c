/* pack_prepare.c -- what escrow_pack settles before it writes a byte: the
 * options checked and completed, the tree walked, sorted and its links
 * checked, the project folder opened; and, once the payload is in, what the
 * contract says of it. */
#include "esc_pack_job.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#define READ_BLOCK (1u << 20)

static int label_ok(const char *s)
{
	size_t n = strlen(s);

	/* They go into the trusted comment, which minisign -V prints as it is:
	 * no C0, DEL, C1 or bidi control, and valid UTF-8. */
	return n > 0 && n <= 200 && esc_text_is_plain(s, n);
}

/* The default name: the contract id, else the source folder's own name. */
static char *default_name(const struct esc_pack_opts *o)
{
	char real[PATH_MAX], *slash;

	if (o->contract != NULL && escrow_contract_id(o->contract) != NULL)
		return strdup(escrow_contract_id(o->contract));
	if (realpath(o->src, real) == NULL)
		return strdup("deposit");
	slash = strrchr(real, '/');
	return strdup(slash && slash[1] ? slash + 1 : "deposit");
}

static const char *or_q(const char *s)
{
	return s ? s : "?";
}

void esc_pack_contract_warnings(struct esc_pack_run *r)
{
	escrow_report *tmp = esc_report_new("check");
	json_t *ds, *d, *fb, *p;
	size_t i;
	int met;

	if (tmp == NULL)
		return;
	met = esc_contract_evaluate(r->contract, r->files, tmp);
	ds = json_object_get(tmp->root, "deliverables");
	json_array_foreach(ds, i, d) {
		const char *status = json_string_value(json_object_get(d, "status"));
		const char *reason = json_string_value(json_object_get(d, "reason"));

		if (status != NULL && (strcmp(status, "ok") != 0 || (reason && *reason)))
			esc_pack_warn(r, NULL, "deliverable %s: %s%s%s",
			              or_q(json_string_value(json_object_get(d, "id"))), status,
			              reason && *reason ? ": " : "", reason ? reason : "");
	}
	fb = json_object_get(tmp->root, "forbidden");
	json_array_foreach(fb, i, p)
		esc_pack_warn(r, json_string_value(p), "%s: matches a forbid: pattern of the contract",
		              or_q(json_string_value(p)));
	if (!met)
		esc_pack_warn(r, NULL, "the deposit does not meet contract %s (run 'escrow check' for the report)",
		              or_q(escrow_contract_id(r->contract)));
	escrow_report_free(tmp);
}

/* A link must land on an entry of the payload, or the unpacked bag holds a
 * dangling link (its target excluded by -x, .escrowignore or the contract).
 * Checked before anything is written; --skip-symlinks drops such links. */
static escrow_status check_links(struct esc_pack_run *r, unsigned flags)
{
	struct esc_files *fs = r->files;
	size_t i, w = 0;

	for (i = 0; i < fs->n; i++) {
		struct esc_file *f = &fs->v[i], key, *hit = NULL;
		bool ok = true;

		if (f->type == ESC_FT_SYMLINK && esc_file_resolved(f) != NULL) {
			memset(&key, 0, sizeof key);
			key.path = f->link->resolved;
			if (f->link_to_dir && (f->link->resolved[0] == '\0' || strcmp(f->link->resolved, ".") == 0))
				ok = true; /* the project folder itself */
			else {
				hit = bsearch(&key, fs->v, fs->n, sizeof key, esc_pack_cmp_path);
				ok = hit != NULL && hit->type == (f->link_to_dir ? ESC_FT_DIR : ESC_FT_FILE);
			}
		}
		if (!ok && !(flags & ESCROW_SKIP_SYMLINKS))
			return esc_error(r->ctx, ESCROW_E_INPUT,
			                 "%s: links to %s, which is not packed (excluded); pack it too, or use --skip-symlinks",
			                 f->path, f->link->resolved);
		if (!ok) {
			esc_pack_warn(r, f->path, "%s: skipped: links to %s, which is not packed", f->path, f->link->resolved);
			f->path = NULL; /* in the walk's pool */
			esc_file_clear(f);
			continue;
		}
		if (w != i)
			fs->v[w] = *f;
		w++;
	}
	fs->n = w;
	return ESCROW_OK;
}

/* --meta: each pair as esc_meta_ok says, at most ESC_META_MAX of them (what a
 * reader keeps: bundle_provenance.c), no KEY twice (one JSON object). */
static escrow_status meta_check(escrow_ctx *ctx, const struct esc_pack_opts *o)
{
	size_t i, k;

	if (o->n_meta > ESC_META_MAX)
		return esc_error(ctx, ESCROW_E_USAGE, "pack: %zu --meta pairs; at most %d", o->n_meta, ESC_META_MAX);
	for (i = 0; i < o->n_meta; i++) {
		size_t ki = strcspn(o->meta[i], "=");

		if (!esc_meta_ok(o->meta[i]))
			return esc_error(ctx, ESCROW_E_USAGE, "pack: --meta %.*s: not KEY=VALUE", (int)ki, o->meta[i]);
		for (k = 0; k < i; k++)
			if (strcspn(o->meta[k], "=") == ki && strncasecmp(o->meta[k], o->meta[i], ki) == 0)
				return esc_error(ctx, ESCROW_E_USAGE, "pack: --meta %.*s given twice", (int)ki, o->meta[i]);
	}
	return ESCROW_OK;
}

static escrow_status check_options(escrow_ctx *ctx, const struct esc_pack_opts *o, int *level)
{
	struct stat sb;

	if (o == NULL || o->src == NULL || o->output == NULL || *o->output == '\0')
		return esc_error(ctx, ESCROW_E_USAGE, "pack: a source folder and an output are required");
	if (o->key == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "pack: a signing key is required");
	*level = o->level == 0 ? 3 : o->level;
	if (*level < 1 || *level > 19)
		return esc_error(ctx, ESCROW_E_USAGE, "pack: level %d is out of range (1..19)", o->level);
	if ((o->name != NULL && !label_ok(o->name)) || (o->release != NULL && !label_ok(o->release)))
		return esc_error(ctx, ESCROW_E_USAGE,
		                 "pack: name and release must be 1 to 200 bytes of UTF-8 without control "
		                 "characters (C0, DEL, C1 or bidi controls)");
	if (meta_check(ctx, o) != ESCROW_OK)
		return ESCROW_E_USAGE;
	if ((o->flags & (ESCROW_STRICT | ESCROW_FAIL_ON_WARNING)) && strcmp(o->output, "-") == 0)
		return esc_error(ctx, ESCROW_E_USAGE, "pack: --strict cannot write to standard output: a stream "
		                 "cannot be taken back once the deposit is refused; write to a file (-o FILE)");
	if (stat(o->src, &sb) != 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", o->src, strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return esc_error(ctx, ESCROW_E_OPEN, "%s: not a folder", o->src);
	if (strcmp(o->output, "-") != 0 && !(o->flags & ESCROW_FORCE)) {
		char sig[PATH_MAX];

		if (lstat(o->output, &sb) == 0) {
			esc_tmp_sweep(ctx, o->output); /* a killed run's temporary goes even so */
			return esc_error(ctx, ESCROW_E_EXISTS, "%s: already exists (use --force to replace it)", o->output);
		}
		snprintf(sig, sizeof sig, "%s.minisig", o->output);
		if (o->recipients != NULL && lstat(sig, &sb) == 0)
			return esc_error(ctx, ESCROW_E_EXISTS, "%s: already exists (use --force to replace it)", sig);
	}
	return ESCROW_OK;
}

/* The walk: an old bundle being replaced, or the file stdout goes to,
 * may sit inside SRC; it is never packed into itself. */
static escrow_status walk(struct esc_pack_job *j)
{
	const struct esc_pack_opts *o = j->o;
	struct esc_walk_options wo;
	struct stat sb;

	memset(&wo, 0, sizeof wo);
	wo.src = o->src;
	wo.excludes = o->excludes;
	wo.n_excludes = o->n_excludes;
	wo.contract = o->contract;
	wo.flags = o->flags;
	wo.pool = &j->paths;
	wo.srcfd = &j->r.srcfd; /* the files are read from the folder walked */
	if (j->to_stdout ? (fstat(1, &sb) == 0 && S_ISREG(sb.st_mode)) : stat(o->output, &sb) == 0) {
		wo.skip_file = true;
		wo.skip_dev = sb.st_dev;
		wo.skip_ino = sb.st_ino;
	}
	return esc_walk(j->ctx, &wo, &j->files);
}

/* What a run holds before its first byte goes out. Released by
 * esc_pack_release whatever happened. */
escrow_status esc_pack_prepare(escrow_ctx *ctx, const struct esc_pack_opts *o, struct esc_pack_job *j)
{
	struct esc_pack_run *r = &j->r;
	escrow_status st;

	memset(j, 0, sizeof *j);
	j->ctx = ctx;
	j->o = o;
	j->level = 3;
	r->ctx = ctx;
	r->srcfd = -1;
	st = check_options(ctx, o, &j->level);
	if (st == ESCROW_OK)
		st = esc_source_date_epoch(ctx, &r->have_epoch, &r->epoch);
	if (st != ESCROW_OK)
		return st;
	j->to_stdout = strcmp(o->output, "-") == 0;
	r->contract = o->contract;
	r->files = &j->files;
	r->quiet = (o->flags & ESCROW_QUIET) != 0;
	r->report = esc_report_new("pack");
	j->name = o->name ? strdup(o->name) : default_name(o);
	/* The source folder's own name goes where --name would: the same rule. */
	if (o->name == NULL && j->name != NULL && !label_ok(j->name))
		return esc_error(ctx, ESCROW_E_USAGE,
		                 "pack: %s: the folder's name cannot name the deposit (a name is 1 to 200 bytes "
		                 "of UTF-8 without control characters): give one with --name NAME", o->src);
	j->release = o->release ? o->release : "unreleased";
	j->bag = j->name ? esc_pack_bag_name(j->name, j->release) : NULL;
	r->sha = esc_sha256_new();
	r->buf_len = READ_BLOCK;
	r->buf = malloc(r->buf_len);
	if (r->report == NULL || j->name == NULL || j->bag == NULL || r->sha == NULL || r->buf == NULL)
		return esc_nomem(ctx);
	st = walk(j);
	if (st == ESCROW_OK)
		st = check_links(r, o->flags);
	if (st != ESCROW_OK)
		return st;
	esc_pack_provenance(r, o->src, &j->prov);
	r->formats = calloc(j->files.n + 1, 1);
	if (r->formats == NULL)
		return esc_nomem(ctx);
	for (size_t i = 0; i < j->files.n; i++)
		if (j->files.v[i].type == ESC_FT_FILE) {
			r->total += j->files.v[i].size;
			r->files_total++;
		}
	return ESCROW_OK;
}

void esc_pack_release(struct esc_pack_job *j)
{
	if (j->r.srcfd >= 0)
		close(j->r.srcfd);
	escrow_report_free(j->r.report);
	esc_walk_files_free(&j->files, &j->paths);
	esc_provenance_free(&j->prov);
	esc_sha256_free(j->r.sha);
	free(j->r.formats);
	free(j->r.buf);
	free(j->name);
	free(j->bag);
}
