/* esc_pack_stream.h -- the state of one pack run, shared by pack.c and
 * pack_stream.c (internal). */
#ifndef ESC_PACK_STREAM_H
#define ESC_PACK_STREAM_H

#include "esc_pack.h"

/* Files up to this size are read ahead by the prefetch thread. */
#define ESC_PF_MAX (256u * 1024u)
struct esc_prefetch;

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
	uint64_t files_done, files_total; /* regular payload files, for progress */
	bool have_epoch;
	int64_t epoch;           /* SOURCE_DATE_EPOCH */
	bool quiet;
	struct esc_prefetch *pf;  /* NULL: every file is read by the packing thread */
};

escrow_status esc_pack_stream_file(struct esc_pack_run *r, size_t idx, const char *tarpath);
/* Records what inspecting file idx found (format, kind, warnings). */
void esc_pack_keep_findings(struct esc_pack_run *r, struct esc_file *f, size_t idx, struct esc_inspection *in);
enum esc_format esc_pack_wanted_format(const struct esc_pack_run *r, const char *path);
/* The prefetch thread (pack_prefetch.c). It inspects what it reads through
 * these hooks, passed in (pack_stream.c gives esc_pack_inspect_hooks). */
struct esc_prefetch_hooks {
	/* the format the contract asks of path */
	enum esc_format (*wanted)(const struct esc_pack_run *r, const char *path);
	/* records what inspecting file idx found; on the packing thread */
	void (*keep)(struct esc_pack_run *r, struct esc_file *f, size_t idx, struct esc_inspection *in);
};
extern const struct esc_prefetch_hooks esc_pack_inspect_hooks;
escrow_status esc_prefetch_start(struct esc_pack_run *r, const struct esc_prefetch_hooks *hooks,
                                 struct esc_prefetch **out);
bool esc_prefetch_takes(const struct esc_file *f);
/* Writes file idx, read ahead, to the tar; files must come in list order. */
escrow_status esc_prefetch_file(struct esc_prefetch *p, size_t idx, const char *tarpath);
void esc_prefetch_free(struct esc_prefetch *p);
escrow_status esc_pack_link_digest(struct esc_pack_run *r, struct esc_file *f);
void esc_pack_warn(struct esc_pack_run *r, const char *file, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int esc_pack_cmp_path(const void *a, const void *b);
int64_t esc_pack_mtime(const struct esc_pack_run *r, int64_t mtime);

#endif
