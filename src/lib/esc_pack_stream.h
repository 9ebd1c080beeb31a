/* esc_pack_stream.h -- the state of one pack run, shared by pack.c and
 * pack_stream.c (internal). */
#ifndef ESC_PACK_STREAM_H
#define ESC_PACK_STREAM_H

#include "esc_pack.h"

struct esc_pack_run {
	escrow_ctx *ctx;
	escrow_report *report;
	const escrow_contract *contract;
	struct esc_files *files;
	uint8_t *formats;        /* per file: the format it passed */
	int srcfd;               /* the project folder, for openat */
	esc_ptar *tar;
	esc_zw *zw;
	esc_sha256 *sha;
	uint8_t *buf;
	size_t buf_len;
	uint64_t done, total;    /* payload bytes, for progress */
	bool have_epoch;
	int64_t epoch;           /* SOURCE_DATE_EPOCH */
	bool quiet;
};

escrow_status esc_pack_stream_file(struct esc_pack_run *r, size_t idx, const char *tarpath);
escrow_status esc_pack_link_digest(struct esc_pack_run *r, struct esc_file *f);
void esc_pack_warn(struct esc_pack_run *r, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int esc_pack_cmp_path(const void *a, const void *b);
int64_t esc_pack_mtime(const struct esc_pack_run *r, int64_t mtime);

#endif
