/* contract_check.c -- escrow_check: the completeness report of a source folder,
 * before packing. Each file is read once, in 1 MiB chunks that feed both its
 * SHA-256 and the format inspector; a symlink takes the digest and findings
 * of the file it resolves to. */
#include "esc_api.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)

struct reader {
	escrow_ctx *ctx;
	const char *src;
	int srcfd;                   /* src as the walk opened it: files are opened from it */
	const escrow_contract *c;
	esc_sha256 *sha;
	uint8_t *buf;
	uint64_t done, total;
	uint64_t files, files_total; /* for progress */
};

static enum esc_format wanted_format(const escrow_contract *c, const char *path)
{
	const struct esc_deliverable *d = esc_contract_owner(c, path);

	/* tf-savedmodel is a folder format: checked over the file list instead. */
	if (d == NULL || d->format == NULL || strcmp(d->format, "tf-savedmodel") == 0)
		return ESC_FMT_NONE;
	return esc_format_from_name(d->format);
}

/* Each file keeps its findings' flags in its record; their texts go to the
 * list's notes, bounded in bytes (esc_notes.h). Opened from the folder's
 * descriptor: SRC/path could pass PATH_MAX where path alone does not. */
static escrow_status read_one(struct reader *rd, struct esc_files *fs, struct esc_file *f)
{
	struct esc_inspection insp;
	esc_inspector *in = NULL;
	escrow_status st = ESCROW_OK;
	uint64_t got = 0;
	int fd = -1;

	in = esc_inspect_new(f->path, f->size, wanted_format(rd->c, f->path));
	if (in == NULL) {
		st = esc_nomem(rd->ctx);
		goto out;
	}
	esc_inspect_also(in, esc_contract_formats_of(rd->c, f->path));
	fd = openat(rd->srcfd, f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0) {
		st = esc_error(rd->ctx, ESCROW_E_IO, "%s/%s: cannot read: %s%s", rd->src, f->path, strerror(errno),
		               esc_unreadable_fix(errno));
		goto out;
	}
	esc_sha256_reset(rd->sha);
	for (;;) {
		ssize_t n = read(fd, rd->buf, CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = esc_error(rd->ctx, ESCROW_E_IO, "%s/%s: read error: %s", rd->src, f->path, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		esc_sha256_update(rd->sha, rd->buf, (size_t)n);
		esc_inspect_update(in, rd->buf, (size_t)n);
		got += (uint64_t)n;
		rd->done += (uint64_t)n;
		esc_progress(rd->ctx, rd->done, rd->total);
		esc_progress_ex(rd->ctx, ESCROW_PHASE_CHECK, rd->src, rd->files, rd->files_total, rd->done, rd->total);
		st = esc_check_interrupt(rd->ctx);
		if (st != ESCROW_OK)
			goto out;
	}
	esc_sha256_final(rd->sha, f->sha256);
	f->has_sha256 = true;
	esc_inspect_final(in, &insp);
	in = NULL;
	if (got != f->size) {
		esc_warn(rd->ctx, "%s: changed while it was read (%llu bytes, then %llu)", f->path,
		         (unsigned long long)f->size, (unsigned long long)got);
		f->size = got;
	}
	if (insp.kind != NULL)
		f->kind = esc_kind_of(insp.kind);
	if (esc_files_note(fs, f, &insp) != 0)
		st = esc_nomem(rd->ctx);
	esc_inspection_clear(&insp);
out:
	if (fd >= 0)
		close(fd);
	esc_inspect_free(in);
	return st;
}

static int cmp_key(const void *key, const void *elem)
{
	return strcmp(key, ((const struct esc_file *)elem)->path);
}

/* After every file was read: links copy what their target gave. */
static escrow_status fill_links(escrow_ctx *ctx, struct esc_files *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++) {
		struct esc_file *f = &fs->v[i];
		const struct esc_file *t;

		if (f->type != ESC_FT_SYMLINK || f->link_to_dir || esc_file_resolved(f) == NULL)
			continue;
		t = bsearch(f->link->resolved, fs->v, fs->n, sizeof fs->v[0], cmp_key);
		if (t == NULL || t->type != ESC_FT_FILE || !t->has_sha256)
			return esc_error(ctx, ESCROW_E_INTERNAL, "%s: link target %s was not read", f->path,
			                 f->link->resolved);
		memcpy(f->sha256, t->sha256, 32);
		f->has_sha256 = true;
		f->kind = t->kind;
		f->fnd = t->fnd;   /* the texts are shared */
		f->note = t->note;
	}
	return ESCROW_OK;
}

static void add_header(escrow_report *r, const char *src, const escrow_contract *c)
{
	char hex[65];
	json_t *co;

	esc_hex(c->raw_sha256, 32, hex);
	co = json_pack("{s:b,s:s,s:s}", "checked", 1, "id", c->id ? c->id : "", "sha256", hex);
	json_object_set_new(r->root, "source", esc_json_string(src));
	/* Paths from the command line need not be UTF-8: esc_json_string. */
	json_object_set_new(co, "path", esc_json_string(c->source_name ? c->source_name : ""));
	json_object_set_new(r->root, "contract", co);
}

/* Regular files, as the bundle's totals count them (FORMAT.md): pack's
 * summary and verify say the same number for the same tree. */
static void add_totals(escrow_report *r, const struct esc_files *fs)
{
	uint64_t files = 0, bytes = 0;
	size_t i;

	for (i = 0; i < fs->n; i++) {
		if (fs->v[i].type != ESC_FT_FILE)
			continue;
		files++;
		bytes += fs->v[i].size;
	}
	json_object_set_new(r->root, "totals", json_pack("{s:I,s:I}", "files", (json_int_t)files, "bytes",
	                                                 (json_int_t)bytes));
}

int esc_check_fill(escrow_report *r, const char *src, const escrow_contract *contract, const struct esc_files *fs,
                   bool sealed)
{
	char reason[768];
	int met;

	add_header(r, src, contract);
	met = esc_contract_evaluate(contract, fs, r);
	esc_report_findings(r, contract, fs, sealed);
	add_totals(r, fs);
	json_object_set_new(r->root, "verdict", json_string(met ? "complete" : "incomplete"));
	if (!met) {
		esc_report_contract_reason(r, reason, sizeof reason);
		json_object_set_new(r->root, "reason", esc_json_string(reason));
	}
	return met;
}

escrow_status esc_check(escrow_ctx *ctx, const char *src, const escrow_contract *contract,
                        const char *const *excludes, size_t n_excludes, unsigned flags,
                        escrow_report **report)
{
	struct esc_walk_options wo;
	struct esc_files fs = {0};
	struct reader rd;
	escrow_report *r = NULL;
	escrow_status st;
	size_t i;
	int met;

	if (report != NULL)
		*report = NULL;
	if (src == NULL || contract == NULL || report == NULL || (n_excludes > 0 && excludes == NULL))
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_check: source, contract and report are required");
	memset(&rd, 0, sizeof rd);
	memset(&wo, 0, sizeof wo);
	wo.src = src;
	wo.srcfd = &rd.srcfd;
	wo.excludes = excludes;
	wo.n_excludes = n_excludes;
	wo.contract = contract;
	wo.flags = flags & (ESCROW_INCLUDE_VCS | ESCROW_SKIP_SYMLINKS);
	st = esc_walk(ctx, &wo, &fs);
	if (st != ESCROW_OK)
		return st;
	rd.ctx = ctx;
	rd.src = src;
	rd.c = contract;
	rd.sha = esc_sha256_new();
	rd.buf = malloc(CHUNK);
	r = esc_report_new("check");
	if (rd.sha == NULL || rd.buf == NULL || r == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	for (i = 0; i < fs.n; i++)
		if (fs.v[i].type == ESC_FT_FILE) {
			rd.total += fs.v[i].size;
			rd.files_total++;
		}
	for (i = 0; i < fs.n && st == ESCROW_OK; i++)
		if (fs.v[i].type == ESC_FT_FILE) {
			st = read_one(&rd, &fs, &fs.v[i]);
			rd.files++;
			esc_progress_ex(ctx, ESCROW_PHASE_CHECK, src, rd.files, rd.files_total, rd.done, rd.total);
		}
	if (st == ESCROW_OK)
		esc_progress_ex(ctx, ESCROW_PHASE_CHECK | ESCROW_PROGRESS_END, src, rd.files, rd.files_total, rd.done,
		                rd.total);
	if (st == ESCROW_OK)
		st = fill_links(ctx, &fs);
	if (st != ESCROW_OK)
		goto out;
	met = esc_check_fill(r, src, contract, &fs, true);
	r->status = met ? ESCROW_OK : ESCROW_INCOMPLETE;
	st = r->status;
	*report = r;
	r = NULL;
out:
	escrow_report_free(r);
	esc_sha256_free(rd.sha);
	free(rd.buf);
	esc_files_free(&fs);
	close(rd.srcfd);
	return st;
}
