/* pack.c -- escrow_pack: the project tree into a signed bag, in a pax tar, in
 * zstd frames, optionally sealed with age; the tree is read once, in sorted
 * order, and the bundle streams out (to a temporary file renamed at the end,
 * or to stdout). */
#include "esc_pack_job.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

/* What pack.c adds to a prepared job, layer by layer (zstd's fileio.c):
 * the output file (pack_to_output), the chain of sinks and the threads'
 * contexts (pipe_open/pipe_close), the signature (seal). Each layer frees
 * what it took before it returns. */
struct pack {
	struct esc_pack_job *j;
	struct esc_pack_meta meta;
	int fd;                        /* the output: 1, or the temporary file */
	char *tmp;
	escrow_ctx *tctx, *tctx2;      /* the first and (sealed) second thread's */
	struct esc_outsink out;
	bool out_ready;
	esc_tsink *ts, *ts2;
	esc_age_writer *age;
	char *dsig;                    /* sealed: BUNDLE.minisig */
	size_t dsig_len;
	uint64_t bytes_out;
	char sha256[65];
	escrow_report *strict;         /* --strict: check's report of the files */
	struct esc_tag_spill spill;    /* the manifests, rendered once the payload is in */
	uint64_t n_files, bytes_in;    /* for the result, counted before the records go */
};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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
			r->files_done++;
			esc_progress_ex(r->ctx, ESCROW_PHASE_PACK, NULL, r->files_done, r->files_total, r->done, r->total);
		}
		if (st == ESCROW_OK)
			st = esc_check_interrupt(r->ctx);
	}
	for (i = 0; i < r->files->n && st == ESCROW_OK; i++)
		if (r->files->v[i].type == ESC_FT_SYMLINK)
			st = esc_pack_link_digest(r, &r->files->v[i]);
	if (st == ESCROW_OK)
		esc_progress_ex(r->ctx, ESCROW_PHASE_PACK | ESCROW_PROGRESS_END, NULL, r->files_done, r->files_total,
		                r->done, r->total);
	free(path);
	return st;
}

/* Whose context holds a failure's message: what runs after zstd reports to
 * tctx (the output thread), the write-out to out.ctx (tctx2 when sealed),
 * the rest to ctx itself. The one place a message is copied into ctx. */
enum blame { IN_CTX, IN_TCTX, IN_OUT };

static escrow_status failed(struct pack *p, escrow_status st, enum blame where)
{
	const escrow_ctx *from = where == IN_TCTX ? p->tctx : where == IN_OUT ? p->out.ctx : NULL;
	char msg[ESC_ERRLEN];

	if (st == ESCROW_OK || from == NULL)
		return st;
	snprintf(msg, sizeof msg, "%s", esc_ctx_message(from));
	return esc_error(p->j->ctx, st, "%s", msg);
}

/* The output end of the chain: out, and when sealed a second thread and age
 * before it. All of it reports to tctx: see esc_pack.h. */
static escrow_status sink_open(struct pack *p)
{
	const struct esc_pack_opts *o = p->j->o;
	bool sealed = o->recipients != NULL, to_stdout = p->j->to_stdout;
	escrow_status st;

	p->tctx = escrow_ctx_new();
	p->tctx2 = sealed ? escrow_ctx_new() : NULL;
	if (p->tctx == NULL || (sealed && p->tctx2 == NULL))
		return esc_nomem(p->j->ctx);
	st = esc_outsink_init(p->tctx, &p->out, p->fd, to_stdout ? "stdout" : o->output,
	                      (sealed && !to_stdout) ? o->key : NULL);
	p->out_ready = true;
	if (st == ESCROW_OK && !to_stdout)
		esc_outsink_try_direct(&p->out);
	if (st == ESCROW_OK && sealed) {
		st = esc_tsink_new(p->tctx, p->tctx2, (struct esc_sink){esc_outsink_put, &p->out}, &p->ts2);
		if (st == ESCROW_OK) {
			p->out.after = (struct esc_sink){esc_tsink_write, p->ts2};
			p->out.ctx = p->tctx2; /* esc_outsink_put runs in that thread */
		}
	}
	if (st == ESCROW_OK && sealed) {
		st = esc_age_writer_new(p->tctx, o->recipients, (struct esc_sink){esc_outsink_write, &p->out}, &p->age);
		if (st == ESCROW_OK && to_stdout)
			esc_pack_warn(&p->j->r, NULL, "sealed bundle to stdout: no detached signature (.minisig) is written");
	}
	return failed(p, st, IN_TCTX);
}

/* tar -> zstd -> first thread -> [age -> second thread ->] out */
static escrow_status pipe_open(struct pack *p)
{
	struct esc_pack_run *r = &p->j->r;
	escrow_ctx *ctx = p->j->ctx;
	escrow_status st = sink_open(p);

	if (st == ESCROW_OK)
		st = esc_tsink_new(ctx, p->tctx,
		                   p->age ? (struct esc_sink){esc_age_writer_write, p->age}
		                          : (struct esc_sink){esc_outsink_write, &p->out},
		                   &p->ts);
	if (st == ESCROW_OK)
		st = esc_zw_new(ctx, p->j->level, esc_threads(ctx), (struct esc_sink){esc_tsink_write, p->ts}, &r->zw);
	if (st == ESCROW_OK)
		st = esc_ptar_new(ctx, (struct esc_sink){esc_zw_write, r->zw}, &r->tar);
	return st;
}

/* Torn down from the top of the chain: each stage may still push bytes. */
static void pipe_close(struct pack *p)
{
	struct esc_pack_run *r = &p->j->r;

	esc_prefetch_free(r->pf);
	r->pf = NULL;
	esc_ptar_free(r->tar);
	r->tar = NULL;
	esc_zw_free(r->zw);
	r->zw = NULL;
	esc_tsink_free(p->ts);
	esc_age_writer_free(p->age);
	esc_tsink_free(p->ts2);
	if (p->out_ready)
		esc_outsink_clear(&p->out);
	escrow_ctx_free(p->tctx);
	escrow_ctx_free(p->tctx2);
}

/* The bag's folders and its payload, then what the contract says of it. */
static escrow_status write_payload(struct pack *p)
{
	struct esc_pack_job *j = p->j;
	struct esc_pack_meta *m = &p->meta;
	char *datadir;
	escrow_status st;

	m->bag = j->bag;
	m->name = j->name;
	m->release = j->release;
	m->contract = j->o->contract;
	m->created = j->r.have_epoch ? j->r.epoch : (int64_t)time(NULL);
	m->tag_mtime = m->created;
	m->key = j->o->key;
	m->files = &j->files;
	m->formats = j->r.formats;
	m->prov = &j->prov;
	m->meta = j->o->meta;
	m->n_meta = j->o->n_meta;
	datadir = esc_path_join(j->bag, "data");
	if (datadir == NULL)
		return esc_nomem(j->ctx);
	st = esc_ptar_dir(j->r.tar, j->bag, m->tag_mtime);
	if (st == ESCROW_OK)
		st = esc_ptar_dir(j->r.tar, datadir, m->tag_mtime);
	free(datadir);
	if (st == ESCROW_OK)
		st = esc_prefetch_start(&j->r, &esc_pack_inspect_hooks, &j->r.pf);
	if (st == ESCROW_OK)
		st = payload(&j->r, j->bag);
	esc_prefetch_free(j->r.pf);
	j->r.pf = NULL;
	/* --strict says it in its report, which check's words are */
	if (st == ESCROW_OK && j->o->contract != NULL && !(j->o->flags & (ESCROW_STRICT | ESCROW_FAIL_ON_WARNING)))
		esc_pack_contract_warnings(&j->r);
	/* Before the tag files: a refused deposit goes no further, and the
	 * temporary file is removed (pack_to_output). */
	if (st == ESCROW_OK)
		st = esc_pack_strict(j, &p->strict);
	return st;
}

/* The tag files, then every stage ends its stream, in chain order. */
static escrow_status pipe_finish(struct pack *p)
{
	struct esc_pack_run *r = &p->j->r;
	escrow_status st = esc_zw_tail(r->zw, p->spill.size[0]);

	if (st == ESCROW_OK)
		st = esc_pack_write_tags(p->j->ctx, r->tar, &p->meta);
	if (st == ESCROW_OK)
		st = esc_ptar_close(r->tar);
	if (st == ESCROW_OK)
		st = esc_zw_finish(r->zw);
	if (st == ESCROW_OK)
		st = esc_tsink_finish(p->ts);
	if (st == ESCROW_OK && p->age != NULL) {
		st = esc_age_writer_finish(p->age);
		if (st == ESCROW_OK)
			st = esc_tsink_finish(p->ts2);
		st = failed(p, st, IN_TCTX);
	}
	if (st == ESCROW_OK)
		st = failed(p, esc_outsink_flush(&p->out), IN_OUT);
	if (st == ESCROW_OK)
		st = esc_check_interrupt(p->j->ctx);
	return st;
}

/* What the output end saw: its digest and size and, sealed, the detached
 * signature over every byte. */
static escrow_status seal(struct pack *p)
{
	uint8_t h[32];

	if (p->out.msign != NULL) {
		char *tc = esc_pack_trusted_comment(&p->meta);
		escrow_status st;

		if (tc == NULL)
			return esc_nomem(p->j->ctx);
		st = esc_msign_final(p->j->ctx, p->out.msign, tc, &p->dsig, &p->dsig_len);
		free(tc);
		if (st != ESCROW_OK)
			return st;
	}
	p->bytes_out = p->out.bytes;
	esc_sha256_final(p->out.sha, h);
	esc_hex(h, 32, p->sha256);
	return ESCROW_OK;
}

/* The dirname of the output, or NULL (stdout): where the scratch file goes. */
static char *output_dir(const struct esc_pack_job *j)
{
	const char *out = j->o->output, *slash = strrchr(out, '/');

	if (j->to_stdout)
		return NULL;
	if (slash == NULL)
		return strdup(".");
	return slash == out ? strdup("/") : strndup(out, (size_t)(slash - out));
}

/* The manifests into the scratch file, then the file records are freed:
 * from here on the tag files need only what the scratch file holds, and a
 * million records (~100 MB) would otherwise sit beside the tag frame's
 * compressor. */
static escrow_status render_manifests(struct pack *p)
{
	struct esc_pack_job *j = p->j;
	escrow_status st = esc_pack_render_manifests(j->ctx, &p->meta, &p->spill);
	size_t i;

	if (st != ESCROW_OK)
		return st;
	for (i = 0; i < j->files.n; i++)
		if (j->files.v[i].type == ESC_FT_FILE) {
			p->n_files++;
			p->bytes_in += j->files.v[i].size;
		}
	esc_walk_files_free(&j->files, &j->paths);
	free(j->r.formats);
	j->r.formats = NULL;
	p->meta.files = NULL;
	p->meta.formats = NULL;
	p->meta.spill = &p->spill;
	return ESCROW_OK;
}

/* Made before the first byte goes out, so that a folder where it cannot be
 * made fails the run before anything is written (to stdout too). */
static escrow_status open_spill(struct pack *p)
{
	char *dir = NULL;
	escrow_status st;

	if (!p->j->to_stdout && (dir = output_dir(p->j)) == NULL)
		return esc_nomem(p->j->ctx);
	st = esc_tag_spill_open(p->j->ctx, dir, p->j->to_stdout ? "stdout" : p->j->o->output, &p->spill);
	free(dir);
	return st;
}

static escrow_status pack_through_pipe(struct pack *p)
{
	escrow_status st = open_spill(p);

	if (st == ESCROW_OK)
		st = pipe_open(p);
	if (st == ESCROW_OK)
		st = write_payload(p);
	if (st == ESCROW_OK)
		st = render_manifests(p);
	if (st == ESCROW_OK)
		st = pipe_finish(p);
	esc_tag_spill_close(&p->spill);
	if (st == ESCROW_OK)
		st = seal(p);
	pipe_close(p);
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

/* stdout, or a temporary file renamed into place only when all went well
 * (and removed otherwise, as on Ctrl-C: io_tmp.c). */
static escrow_status pack_to_output(struct pack *p)
{
	const struct esc_pack_opts *o = p->j->o;
	escrow_ctx *ctx = p->j->ctx;
	escrow_status st;

	if (p->j->to_stdout) {
		p->fd = 1;
		return pack_through_pipe(p);
	}
	st = esc_atomic_open(ctx, o->output, 0644, o->flags, &p->fd, &p->tmp);
	if (st != ESCROW_OK)
		return st;
	st = pack_through_pipe(p);
	if (st == ESCROW_OK)
		st = esc_atomic_commit(ctx, p->fd, p->tmp, o->output, o->flags);
	else
		esc_atomic_abort(p->fd, p->tmp);
	free(p->tmp);
	p->tmp = NULL;
	if (st == ESCROW_OK && p->dsig != NULL) {
		st = write_detached(ctx, o->output, p->dsig, p->dsig_len, o->flags);
		if (st != ESCROW_OK)
			unlink(o->output);
	}
	return st;
}

static void result(const struct pack *p, struct esc_pack_res *res, double seconds)
{
	res->files = p->n_files;
	res->bytes_in = p->bytes_in;
	res->bytes_out = p->bytes_out;
	memcpy(res->sha256, p->sha256, sizeof p->sha256);
	escrow_seckey_id(p->j->o->key, res->key_id);
	res->sealed = p->j->o->recipients != NULL;
	res->seconds = seconds;
}

escrow_status esc_pack(escrow_ctx *ctx, const struct esc_pack_opts *o, struct esc_pack_res *res,
                          escrow_report **report)
{
	struct esc_pack_job j;
	struct pack p;
	double t0 = now();
	escrow_status st;

	if (report)
		*report = NULL;
	if (res)
		memset(res, 0, sizeof *res);
	memset(&p, 0, sizeof p);
	p.j = &j;
	p.fd = -1;
	p.spill.fd = -1;
	st = esc_pack_prepare(ctx, o, &j);
	if (st == ESCROW_OK)
		st = pack_to_output(&p);
	free(p.dsig);
	if (st == ESCROW_OK && res != NULL)
		result(&p, res, now() - t0);
	if (st == ESCROW_OK && report != NULL) {
		j.r.report->status = ESCROW_OK;
		*report = j.r.report;
		j.r.report = NULL;
	} else if ((st == ESCROW_INCOMPLETE || st == ESCROW_UNSAFE) && report != NULL && p.strict != NULL) {
		*report = p.strict; /* why the deposit was refused, as check says it */
		p.strict = NULL;
	}
	escrow_report_free(p.strict);
	esc_pack_release(&j);
	return st;
}
