/* pack_stream.c -- one payload file into the bundle: read once, in big
 * blocks, each block hashed, inspected and handed to the tar writer from the
 * same buffer. Never a second read, never the whole file in memory. */
#include "esc_pack_stream.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Files at least this big get their own level, chosen from samples of their first read. */
#define PICK_MIN (1u << 20)

void esc_pack_warn(struct esc_pack_run *r, const char *file, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;

	va_start(ap, fmt);
	esc_vclip(msg, sizeof msg, fmt, ap);
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

/* Fills buf as far as the file allows, so a block's content (and the sample
 * taken from the first one) never depends on how read() splits it. */
static ssize_t read_full(int fd, uint8_t *buf, size_t len)
{
	size_t have = 0;

	while (have < len) {
		ssize_t n = read(fd, buf + have, len - have);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return -1;
		if (n == 0)
			break;
		have += (size_t)n;
	}
	return (ssize_t)have;
}

void esc_pack_keep_findings(struct esc_pack_run *r, struct esc_file *f, size_t idx, struct esc_inspection *in)
{
	enum esc_format fmt = ESC_FMT_NONE;
	unsigned i;

	if (in->wanted != ESC_FMT_NONE && in->wanted_ok)
		fmt = in->wanted;
	else if (in->detected != ESC_FMT_NONE)
		fmt = in->detected;
	r->formats[idx] = (uint8_t)fmt;
	f->kind = esc_kind_of(in->kind ? in->kind : esc_kind_from_path(f->path));
	if (in->lfs_pointer)
		esc_pack_warn(r, f->path, "%s is a Git LFS pointer, not the content (run 'git lfs pull' before packing)",
		              f->path);
	if (in->pickle == ESC_PICKLE_DANGEROUS)
		esc_pack_warn(r, f->path, "%s: unsafe pickle: %s (loading it may run code)", f->path, in->pickle_imports);
	for (i = 0; i < in->n_secrets && i < 4; i++)
		esc_pack_warn(r, f->path, "%s: possible secret at %s", f->path, in->secrets[i]);
	if (in->wanted != ESC_FMT_NONE && !in->wanted_ok)
		esc_pack_warn(r, f->path, "%s: not valid %s: %s", f->path, esc_format_name(in->wanted), in->reason);
	/* The flags go into the record, the texts (bounded) beside the list: the
	 * contract's evaluation reads them. Out of memory, a file keeps its flags
	 * and an ONNX model whose external data location is lost fails its
	 * format with that reason. */
	(void)esc_files_note(r->files, f, in);
}

enum esc_format esc_pack_wanted_format(const struct esc_pack_run *r, const char *path)
{
	const struct esc_deliverable *d;

	if (r->contract == NULL)
		return ESC_FMT_NONE;
	d = esc_contract_owner(r->contract, path);
	if (d == NULL || d->format == NULL)
		return ESC_FMT_NONE;
	return esc_format_from_name(d->format);
}

const struct esc_prefetch_hooks esc_pack_inspect_hooks = {esc_pack_wanted_format, esc_pack_keep_findings};

/* A file the walk found empty is not opened (as tar does): its bytes are
 * none, whatever it became since; a million empty files cost a million
 * openat and close otherwise. */
static escrow_status empty_file(struct esc_pack_run *r, size_t idx, const char *tarpath)
{
	struct esc_file *f = &r->files->v[idx];
	esc_inspector *in = esc_inspect_new(f->path, 0, esc_pack_wanted_format(r, f->path));
	struct esc_inspection res;
	escrow_status st;

	if (in == NULL)
		return esc_nomem(r->ctx);
	esc_inspect_also(in, esc_contract_formats_of(r->contract, f->path));
	st = esc_ptar_file_begin(r->tar, tarpath, f->mode, 0, esc_pack_mtime(r, f->mtime));
	if (st == ESCROW_OK)
		st = esc_ptar_file_end(r->tar);
	if (st != ESCROW_OK) {
		esc_inspect_free(in);
		return st;
	}
	esc_sha256_reset(r->sha);
	esc_sha256_final(r->sha, f->sha256);
	f->has_sha256 = true;
	esc_inspect_final(in, &res);
	esc_pack_keep_findings(r, f, idx, &res);
	esc_inspection_clear(&res);
	return ESCROW_OK;
}

/* After the last byte: a file that grew, or was written to while it was
 * read (a checkpoint a training job still writes), would be packed as a
 * prefix or a mix of two versions under a digest of what was read; the
 * bundle would verify and hold no file that ever existed (tar says "file
 * changed as we read it"). One more read and one fstat a file streamed. */
static escrow_status still_as_opened(escrow_ctx *ctx, const struct esc_file *f, int fd, const struct stat *at_open)
{
	struct stat sb;
	uint8_t more;
	ssize_t n;

	do
		n = read(fd, &more, 1);
	while (n < 0 && errno == EINTR);
	if (n < 0)
		return esc_error(ctx, ESCROW_E_IO, "%s: read error: %s", f->path, strerror(errno));
	if (n > 0 || fstat(fd, &sb) != 0 || sb.st_size != at_open->st_size ||
	    sb.st_mtim.tv_sec != at_open->st_mtim.tv_sec || sb.st_mtim.tv_nsec != at_open->st_mtim.tv_nsec)
		return esc_error(ctx, ESCROW_E_IO, "%s: changed while packing: it %s while it was read (run pack "
		                 "again once nothing writes to it)", f->path, n > 0 ? "grew" : "was written to");
	return ESCROW_OK;
}

escrow_status esc_pack_stream_file(struct esc_pack_run *r, size_t idx, const char *tarpath)
{
	struct esc_file *f = &r->files->v[idx];
	escrow_ctx *ctx = r->ctx;
	esc_inspector *in = NULL;
	struct esc_inspection res;
	uint64_t left = f->size;
	escrow_status st = ESCROW_OK;
	struct stat sb;
	int first = 1, fd;

	if (r->pf != NULL && esc_prefetch_takes(f))
		return esc_prefetch_file(r->pf, idx, tarpath);
	if (f->size == 0)
		return empty_file(r, idx, tarpath);
	fd = openat(r->srcfd, f->path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
	if (fd < 0)
		return esc_error(ctx, ESCROW_E_IO, "%s: cannot read: %s%s", f->path, strerror(errno),
		                 esc_unreadable_fix(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size != f->size) {
		st = esc_error(ctx, ESCROW_E_IO, "%s: changed while packing (run pack again)", f->path);
		goto out;
	}
	if (f->size >= PICK_MIN)
		(void)posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
	in = esc_inspect_new(f->path, f->size, esc_pack_wanted_format(r, f->path));
	if (in == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	esc_inspect_also(in, esc_contract_formats_of(r->contract, f->path));
	esc_sha256_reset(r->sha);
	st = esc_ptar_file_begin(r->tar, tarpath, f->mode, f->size, esc_pack_mtime(r, f->mtime));
	while (st == ESCROW_OK && left > 0) {
		size_t want = left < r->buf_len ? (size_t)left : r->buf_len;
		ssize_t n = read_full(fd, r->buf, want);

		if (n < 0) {
			st = esc_error(ctx, ESCROW_E_IO, "%s: read error: %s", f->path, strerror(errno));
			break;
		}
		if ((size_t)n < want) {
			st = esc_error(ctx, ESCROW_E_IO, "%s: shrank while packing (run pack again)", f->path);
			break;
		}
		if (first) {
			int level = esc_zw_base_level(r->zw);

			if (f->size >= PICK_MIN)
				level = esc_zw_pick_level(r->zw, r->buf, (size_t)n);
			st = esc_zw_set_level(r->zw, level);
			first = 0;
			if (st != ESCROW_OK)
				break;
		}
		esc_sha256_update(r->sha, r->buf, (size_t)n);
		esc_inspect_update(in, r->buf, (size_t)n);
		st = esc_ptar_data(r->tar, r->buf, (size_t)n);
		left -= (uint64_t)n;
		r->done += (uint64_t)n;
		esc_progress(ctx, r->done, r->total);
		esc_progress_ex(ctx, ESCROW_PHASE_PACK, NULL, r->files_done, r->files_total, r->done, r->total);
		if (st == ESCROW_OK)
			st = esc_check_interrupt(ctx);
	}
	if (st == ESCROW_OK)
		st = still_as_opened(ctx, f, fd, &sb);
	if (st == ESCROW_OK)
		st = esc_ptar_file_end(r->tar);
	if (st != ESCROW_OK)
		goto out;
	esc_sha256_final(r->sha, f->sha256);
	f->has_sha256 = true;
	esc_inspect_final(in, &res);
	in = NULL;
	esc_pack_keep_findings(r, f, idx, &res);
	esc_inspection_clear(&res);
out:
	esc_inspect_free(in);
	close(fd);
	return st;
}

/* A symlink's digest is its target's: the file packed under that path
 * (check_links made sure there is one). */
escrow_status esc_pack_link_digest(struct esc_pack_run *r, struct esc_file *f)
{
	struct esc_file key, *hit;

	if (f->link_to_dir || esc_file_resolved(f) == NULL)
		return ESCROW_OK;
	memset(&key, 0, sizeof key);
	key.path = f->link->resolved;
	hit = bsearch(&key, r->files->v, r->files->n, sizeof key, esc_pack_cmp_path);
	if (hit == NULL || hit->type != ESC_FT_FILE || !hit->has_sha256)
		return esc_error(r->ctx, ESCROW_E_INTERNAL, "%s: the target %s was not packed", f->path,
		                 f->link->resolved);
	memcpy(f->sha256, hit->sha256, 32);
	f->size = hit->size;
	f->has_sha256 = true;
	return ESCROW_OK;
}
