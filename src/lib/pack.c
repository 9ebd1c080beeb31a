/* pack.c -- escrow_pack: the project tree into a signed bag, in a pax tar, in
 * zstd frames, optionally sealed with age; the tree is read once, in sorted
 * order, and the bundle streams out (to a temporary file renamed at the end,
 * or to stdout). */
#include "esc_pack_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define READ_BLOCK (1u << 20)

void esc_pack_warn(struct esc_pack_run *r, const char *file, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	esc_report_warn(r->report, file, 0, "%s", msg);
	if (!r->quiet)
		esc_warn(r->ctx, "%s", msg);
}

int esc_pack_cmp_path(const void *a, const void *b)
{
	return strcmp(((const struct esc_file *)a)->path, ((const struct esc_file *)b)->path);
}

int64_t esc_pack_mtime(const struct esc_pack_run *r, int64_t mtime)
{
	return (r->have_epoch && mtime > r->epoch) ? r->epoch : mtime;
}

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static escrow_status source_date_epoch(escrow_ctx *ctx, bool *have, int64_t *epoch)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	*have = false;
	if (s == NULL || *s == '\0')
		return ESCROW_OK;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || *s < '0' || *s > '9')
		return esc_error(ctx, ESCROW_E_USAGE, "SOURCE_DATE_EPOCH=%s: not a number of seconds", s);
	*have = true;
	*epoch = v;
	return ESCROW_OK;
}

static int label_ok(const char *s)
{
	size_t n = strlen(s);

	/* They go into the trusted comment, which minisign -V prints as it is:
	 * no C0, DEL, C1 or bidi control, and valid UTF-8. */
	return n > 0 && n <= 200 && esc_text_is_plain(s, n);
}

/* The default name: the contract id, else the source folder's own name. */
static char *default_name(const struct escrow_pack_options *o)
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

static void contract_warnings(struct esc_pack_run *r)
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

/* The payload, in walk order, under BAG/data/. */
static escrow_status payload(struct esc_pack_run *r, const char *bag)
{
	size_t i, cap = 0;
	char *path = NULL;
	escrow_status st = ESCROW_OK;

	for (i = 0; i < r->files->n && st == ESCROW_OK; i++) {
		struct esc_file *f = &r->files->v[i];
		size_t need = strlen(bag) + strlen(f->path) + 8;

		if (need > cap) {
			char *np = realloc(path, need * 2);

			if (np == NULL) {
				st = esc_nomem(r->ctx);
				break;
			}
			path = np;
			cap = need * 2;
		}
		snprintf(path, cap, "%s/data/%s", bag, f->path);
		f->mtime = esc_pack_mtime(r, f->mtime); /* manifest.json says what the tar says */
		if (f->type == ESC_FT_DIR) {
			st = esc_ptar_dir(r->tar, path, f->mtime);
		} else if (f->type == ESC_FT_SYMLINK) {
			f->kind = esc_kind_of(esc_kind_from_path(f->path));
			st = esc_ptar_symlink(r->tar, path, esc_file_target(f) ? esc_file_target(f) : "", f->mtime);
		} else {
			st = esc_pack_stream_file(r, i, path);
		}
		if (st == ESCROW_OK)
			st = esc_check_interrupt(r->ctx);
	}
	for (i = 0; i < r->files->n && st == ESCROW_OK; i++)
		if (r->files->v[i].type == ESC_FT_SYMLINK)
			st = esc_pack_link_digest(r, &r->files->v[i]);
	free(path);
	return st;
}

static escrow_status write_detached(escrow_ctx *ctx, const char *bundle, const char *sig, size_t len,
                                    unsigned flags)
{
	char *path = esc_strf("%s.minisig", bundle), *tmp = NULL;
	escrow_status st;
	int fd = -1;

	if (path == NULL)
		return esc_nomem(ctx);
	st = esc_atomic_open(ctx, path, 0644, flags, &fd, &tmp);
	if (st == ESCROW_OK) {
		st = esc_write_all(ctx, fd, sig, len, path);
		if (st == ESCROW_OK)
			st = esc_atomic_commit(ctx, fd, tmp, path, flags);
		else
			esc_atomic_abort(fd, tmp);
	}
	free(tmp);
	free(path);
	return st;
}

static escrow_status copy_error(escrow_ctx *ctx, const escrow_ctx *tctx, escrow_status st)
{
	char msg[ESC_ERRLEN];

	snprintf(msg, sizeof msg, "%s", esc_ctx_message(tctx));
	return esc_error(ctx, st, "%s", msg);
}

static escrow_status check_options(escrow_ctx *ctx, const struct escrow_pack_options *o, int *level)
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

escrow_status escrow_pack(escrow_ctx *ctx, const struct escrow_pack_options *o, struct escrow_pack_result *res,
                          escrow_report **report)
{
	struct esc_pack_run r;
	struct esc_files files = {0};
	struct esc_walk_options wo;
	struct esc_outsink out;
	struct esc_pack_meta meta;
	esc_age_writer *age = NULL;
	esc_tsink *ts = NULL, *ts2 = NULL;
	escrow_ctx *tctx = NULL, *tctx2 = NULL;
	char *name = NULL, *bag = NULL, *tmp = NULL, *tc = NULL, *dsig = NULL, *datadir = NULL;
	const char *release;
	bool to_stdout, out_ready = false;
	size_t dsig_len = 0, i;
	struct stat sb;
	double t0 = now();
	escrow_status st;
	int fd = -1, level = 3;

	memset(&r, 0, sizeof r);
	memset(&out, 0, sizeof out);
	r.ctx = ctx;
	r.srcfd = -1;
	if (report)
		*report = NULL;
	if (res)
		memset(res, 0, sizeof *res);
	st = check_options(ctx, o, &level);
	if (st == ESCROW_OK)
		st = source_date_epoch(ctx, &r.have_epoch, &r.epoch);
	if (st != ESCROW_OK)
		return st;
	to_stdout = strcmp(o->output, "-") == 0;
	r.contract = o->contract;
	r.files = &files;
	r.quiet = (o->flags & ESCROW_QUIET) != 0;
	r.report = esc_report_new("pack");
	name = o->name ? strdup(o->name) : default_name(o);
	release = o->release ? o->release : "unreleased";
	bag = name ? esc_pack_bag_name(name, release) : NULL;
	r.sha = esc_sha256_new();
	r.buf_len = READ_BLOCK;
	r.buf = malloc(r.buf_len);
	if (r.report == NULL || name == NULL || bag == NULL || r.sha == NULL || r.buf == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}

	/* The walk: an old bundle being replaced, or the file stdout goes to,
	 * may sit inside SRC; it is never packed into itself. */
	memset(&wo, 0, sizeof wo);
	wo.src = o->src;
	wo.excludes = o->excludes;
	wo.n_excludes = o->n_excludes;
	wo.contract = o->contract;
	wo.flags = o->flags;
	if (to_stdout ? (fstat(1, &sb) == 0 && S_ISREG(sb.st_mode)) : stat(o->output, &sb) == 0) {
		wo.skip_file = true;
		wo.skip_dev = sb.st_dev;
		wo.skip_ino = sb.st_ino;
	}
	st = esc_walk(ctx, &wo, &files);
	if (st == ESCROW_OK)
		st = check_links(&r, o->flags);
	if (st != ESCROW_OK)
		goto out;
	r.formats = calloc(files.n + 1, 1);
	if (r.formats == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	for (i = 0; i < files.n; i++)
		if (files.v[i].type == ESC_FT_FILE)
			r.total += files.v[i].size;
	r.srcfd = open(o->src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (r.srcfd < 0) {
		st = esc_error(ctx, ESCROW_E_OPEN, "%s: %s", o->src, strerror(errno));
		goto out;
	}

	if (to_stdout) {
		fd = 1;
	} else {
		st = esc_atomic_open(ctx, o->output, 0644, o->flags, &fd, &tmp);
		if (st != ESCROW_OK)
			goto out;
	}
	/* Everything after zstd runs in the output thread and reports to tctx.
	 * Sealed, the write-out gets a second thread (tctx2): see esc_pack.h. */
	tctx = escrow_ctx_new();
	tctx2 = o->recipients != NULL ? escrow_ctx_new() : NULL;
	if (tctx == NULL || (o->recipients != NULL && tctx2 == NULL)) {
		st = esc_nomem(ctx);
		goto out;
	}
	st = esc_outsink_init(tctx, &out, fd, to_stdout ? "stdout" : o->output,
	                      (o->recipients != NULL && !to_stdout) ? o->key : NULL);
	out_ready = true;
	if (st == ESCROW_OK && !to_stdout)
		esc_outsink_try_direct(&out);
	if (st == ESCROW_OK && tctx2 != NULL) {
		st = esc_tsink_new(tctx, tctx2, (struct esc_sink){esc_outsink_put, &out}, &ts2);
		if (st == ESCROW_OK) {
			out.after = (struct esc_sink){esc_tsink_write, ts2};
			out.ctx = tctx2; /* esc_outsink_put runs in that thread */
		}
	}
	if (st == ESCROW_OK && o->recipients != NULL) {
		st = esc_age_writer_new(tctx, o->recipients, (struct esc_sink){esc_outsink_write, &out}, &age);
		if (st == ESCROW_OK && to_stdout)
			esc_pack_warn(&r, NULL, "sealed bundle to stdout: no detached signature (.minisig) is written");
	}
	if (st != ESCROW_OK) {
		st = copy_error(ctx, tctx, st);
		goto out;
	}
	st = esc_tsink_new(ctx, tctx,
	                   age ? (struct esc_sink){esc_age_writer_write, age} : (struct esc_sink){esc_outsink_write, &out},
	                   &ts);
	if (st == ESCROW_OK)
		st = esc_zw_new(ctx, level, esc_threads(ctx), (struct esc_sink){esc_tsink_write, ts}, &r.zw);
	if (st == ESCROW_OK)
		st = esc_ptar_new(ctx, (struct esc_sink){esc_zw_write, r.zw}, &r.tar);
	if (st != ESCROW_OK)
		goto out;

	memset(&meta, 0, sizeof meta);
	meta.bag = bag;
	meta.name = name;
	meta.release = release;
	meta.contract = o->contract;
	meta.created = r.have_epoch ? r.epoch : (int64_t)time(NULL);
	meta.tag_mtime = meta.created;
	meta.key = o->key;
	meta.files = &files;
	meta.formats = r.formats;
	datadir = esc_path_join(bag, "data");
	if (datadir == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	st = esc_ptar_dir(r.tar, bag, meta.tag_mtime);
	if (st == ESCROW_OK)
		st = esc_ptar_dir(r.tar, datadir, meta.tag_mtime);
	if (st == ESCROW_OK)
		st = esc_prefetch_start(&r, &esc_pack_inspect_hooks, &r.pf);
	if (st == ESCROW_OK)
		st = payload(&r, bag);
	esc_prefetch_free(r.pf);
	r.pf = NULL;
	if (st != ESCROW_OK)
		goto out;
	if (o->contract != NULL)
		contract_warnings(&r);
	st = esc_zw_tail(r.zw);
	if (st == ESCROW_OK)
		st = esc_pack_write_tags(ctx, r.tar, &meta);
	if (st == ESCROW_OK)
		st = esc_ptar_close(r.tar);
	if (st == ESCROW_OK)
		st = esc_zw_finish(r.zw);
	if (st == ESCROW_OK)
		st = esc_tsink_finish(ts);
	if (st == ESCROW_OK && age != NULL) {
		st = esc_age_writer_finish(age);
		if (st == ESCROW_OK)
			st = esc_tsink_finish(ts2);
		if (st != ESCROW_OK)
			st = copy_error(ctx, tctx, st);
	}
	if (st == ESCROW_OK) {
		st = esc_outsink_flush(&out);
		if (st != ESCROW_OK)
			st = copy_error(ctx, out.ctx, st);
	}
	if (st == ESCROW_OK)
		st = esc_check_interrupt(ctx);
	if (st != ESCROW_OK)
		goto out;
	if (out.msign != NULL) {
		tc = esc_pack_trusted_comment(&meta);
		if (tc == NULL) {
			st = esc_nomem(ctx);
			goto out;
		}
		st = esc_msign_final(ctx, out.msign, tc, &dsig, &dsig_len);
		if (st != ESCROW_OK)
			goto out;
	}
	if (!to_stdout) {
		st = esc_atomic_commit(ctx, fd, tmp, o->output, o->flags);
		fd = -1;
		free(tmp);
		tmp = NULL;
		if (st != ESCROW_OK)
			goto out;
		if (dsig != NULL) {
			st = write_detached(ctx, o->output, dsig, dsig_len, o->flags);
			if (st != ESCROW_OK) {
				unlink(o->output);
				goto out;
			}
		}
	}
	if (res != NULL) {
		uint8_t h[32];

		for (i = 0; i < files.n; i++)
			if (files.v[i].type == ESC_FT_FILE) {
				res->files++;
				res->bytes_in += files.v[i].size;
			}
		res->bytes_out = out.bytes;
		esc_sha256_final(out.sha, h);
		esc_hex(h, 32, res->sha256);
		escrow_seckey_id(o->key, res->key_id);
		res->sealed = o->recipients != NULL;
		res->seconds = now() - t0;
	}
out:
	/* Tear down from the top of the chain: each stage may still push bytes. */
	esc_prefetch_free(r.pf);
	esc_ptar_free(r.tar);
	esc_zw_free(r.zw);
	esc_tsink_free(ts);
	esc_age_writer_free(age);
	esc_tsink_free(ts2);
	if (out_ready)
		esc_outsink_clear(&out);
	if (!to_stdout && fd >= 0)
		esc_atomic_abort(fd, tmp);
	if (r.srcfd >= 0)
		close(r.srcfd);
	if (st == ESCROW_OK && report != NULL) {
		r.report->status = ESCROW_OK;
		*report = r.report;
	} else {
		escrow_report_free(r.report);
	}
	esc_files_free(&files);
	esc_sha256_free(r.sha);
	free(r.formats);
	free(r.buf);
	free(name);
	free(bag);
	free(tmp);
	free(tc);
	free(dsig);
	free(datadir);
	escrow_ctx_free(tctx);
	escrow_ctx_free(tctx2);
	return st;
}
