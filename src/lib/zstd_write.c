/* zstd_write.c -- the zstd layer of the writer, driving libzstd directly:
 * content checksums on every frame, the payload as independent frames
 * compressed on every core while the caller reads and hashes
 * (zstd_write_pool.c), a cheaper level for data whose only gain is entropy
 * coding (float weights), chosen from a sample, and the tag files in one
 * last frame of their own.
 *
 * Determinism: a payload frame ends every ESC_ZW_FRAME_MAX bytes and at a
 * level change, which depends only on the data; each is compressed alone,
 * single-threaded. The tag frame is compressed by libzstd's workers, in
 * jobs of a fixed size. Nothing depends on the number of workers. */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_c_literalCompressionMode; a stable enum value */
#include "esc_pack.h"

#include <stdlib.h>
#include <string.h>
#include <zstd.h>

#define ZW_OUT_SIZE (256u * 1024u)
/* A cheaper level is taken when its sample is at most this much larger (per mille). */
#define ZW_SLACK_PERMILLE 3
/* The tag files repeat every digest (manifest-sha256.txt, then manifest.json,
 * megabytes apart for large trees): their frame has a 16 MiB window and long-distance matching tuned to
 * find a 64-digit repeat: a 24-byte rolling hash, one position in 8 kept in
 * a 1M-entry table (8 MiB), finds most of them. minMatch 7 keeps the regular
 * matcher off chance 5-digit repeats, which cost more than the literals.
 * 50,000 files: tag frame 4.30 -> 2.63 MB, at ~150 MB/s instead of 270 MB/s
 * (17 MB of tags: +0.05 s); the default LDM settings find ~10% of the
 * repeats; a 16 MiB table, one position in 4: 2.53 MB at 90 MB/s. */
#define ZW_TAIL_WINDOW_LOG 24
#define ZW_TAIL_MIN_MATCH 7
#define ZW_TAIL_LDM_MIN_MATCH 24
#define ZW_TAIL_LDM_HASH_LOG 20
#define ZW_TAIL_LDM_BUCKET_LOG 2
#define ZW_TAIL_LDM_RATE_LOG 3
/* Its jobs: 2 MiB (long matching's own default), on at most 4 workers
 * (each holds a job in and out and level-3 tables: ~5 MiB). */
#define ZW_TAIL_JOB (2 << 20)
#define ZW_TAIL_WORKERS 4

struct esc_zw {
	escrow_ctx *ctx;
	esc_zpool *pool;        /* the payload's frames; NULL once the tag frame began */
	ZSTD_CCtx *cctx;        /* the tag frame's */
	ZSTD_CCtx *probe;       /* single-threaded, for samples */
	void *probe_buf;
	size_t probe_cap;
	struct esc_sink next;
	int base, cur;
	int threads;
	uint8_t *out;
};

static escrow_status zerr(esc_zw *z, size_t r)
{
	return esc_error(z->ctx, ESCROW_E_INTERNAL, "zstd: %s", ZSTD_getErrorName(r));
}

static escrow_status setp(esc_zw *z, ZSTD_CCtx *c, ZSTD_cParameter p, int v)
{
	size_t r = ZSTD_CCtx_setParameter(c, p, v);

	return ZSTD_isError(r) ? zerr(z, r) : ESCROW_OK;
}

escrow_status esc_zw_new(escrow_ctx *ctx, int level, int threads, struct esc_sink next, esc_zw **out)
{
	esc_zw *z = calloc(1, sizeof *z);
	escrow_status st;

	*out = NULL;
	if (z == NULL)
		return esc_nomem(ctx);
	z->ctx = ctx;
	z->next = next;
	z->base = z->cur = level;
	z->threads = threads;
	z->probe = esc_zstd_cctx();
	z->out = malloc(ZW_OUT_SIZE);
	if (z->probe == NULL || z->out == NULL) {
		esc_zw_free(z);
		return esc_nomem(ctx);
	}
	/* Samples are measured as the workers compress (see zstd_write_pool.c). */
	st = setp(z, z->probe, ZSTD_c_literalCompressionMode, ZSTD_ps_enable);
	if (st == ESCROW_OK)
		st = esc_zpool_new(ctx, level, threads, next, &z->pool);
	if (st != ESCROW_OK) {
		esc_zw_free(z);
		return st;
	}
	*out = z;
	return ESCROW_OK;
}

static escrow_status drive(esc_zw *z, const void *buf, size_t len, ZSTD_EndDirective mode)
{
	ZSTD_inBuffer in = {buf, len, 0};

	for (;;) {
		ZSTD_outBuffer o = {z->out, ZW_OUT_SIZE, 0};
		size_t left = ZSTD_compressStream2(z->cctx, &o, &in, mode);
		escrow_status st;

		if (ZSTD_isError(left))
			return zerr(z, left);
		if (o.pos > 0) {
			st = z->next.write(z->next.state, z->out, o.pos);
			if (st != ESCROW_OK)
				return st;
		}
		if (mode == ZSTD_e_continue ? in.pos == in.size : left == 0)
			return ESCROW_OK;
	}
}

escrow_status esc_zw_write(void *zw, const void *buf, size_t len)
{
	esc_zw *z = zw;

	if (len == 0)
		return ESCROW_OK;
	if (z->pool != NULL)
		return esc_zpool_write(z->pool, buf, len);
	return drive(z, buf, len, ZSTD_e_continue);
}

escrow_status esc_zw_set_level(esc_zw *z, int level)
{
	escrow_status st;

	if (level == z->cur || z->pool == NULL)
		return ESCROW_OK;
	st = esc_zpool_set_level(z->pool, level);
	if (st == ESCROW_OK)
		z->cur = level;
	return st;
}

int esc_zw_base_level(const esc_zw *z)
{
	return z->base;
}

static size_t probe_size(esc_zw *z, int level, const void *sample, size_t len)
{
	size_t r;

	if (ZSTD_isError(ZSTD_CCtx_setParameter(z->probe, ZSTD_c_compressionLevel, level)))
		return SIZE_MAX;
	r = ZSTD_compress2(z->probe, z->probe_buf, z->probe_cap, sample, len);
	return ZSTD_isError(r) ? SIZE_MAX : r;
}

/* Samples spread over the bytes given (a large file's first read): one
 * sample from the middle chose levels 1 and -1 for parts of /usr/lib/python3
 * that compress 25% better at level 3 (.pyc files of some MB): 0.45 MB lost
 * on 585 MB. Each sample must stay within the slack: float weights and
 * compressed data do everywhere. */
#define PICK_SAMPLES 4
#define PICK_SAMPLE_LEN (16u * 1024u)

int esc_zw_pick_level(esc_zw *z, const void *buf, size_t len)
{
	/* Fastest first; each keeps Huffman literals (see esc_zw_new). */
	static const int cheap[] = {-10, -1, 1};
	const uint8_t *b = buf;
	size_t ref[PICK_SAMPLES], off[PICK_SAMPLES], slen, ns, i, k;
	size_t need;

	if (len == 0)
		return z->base;
	ns = len >= PICK_SAMPLES * PICK_SAMPLE_LEN ? PICK_SAMPLES : 1;
	slen = ns == 1 ? len : PICK_SAMPLE_LEN;
	for (k = 0; k < ns; k++)
		off[k] = ns == 1 ? 0 : k * (len / ns) + (len / ns - slen) / 2;
	need = ZSTD_compressBound(slen);
	if (z->probe_cap < need) {
		void *nb = realloc(z->probe_buf, need);

		if (nb == NULL)
			return z->base;
		z->probe_buf = nb;
		z->probe_cap = need;
	}
	for (k = 0; k < ns; k++) {
		ref[k] = probe_size(z, z->base, b + off[k], slen);
		if (ref[k] == SIZE_MAX)
			return z->base;
	}
	for (i = 0; i < sizeof cheap / sizeof cheap[0]; i++) {
		if (cheap[i] >= z->base)
			break;
		for (k = 0; k < ns; k++) {
			size_t s = probe_size(z, cheap[i], b + off[k], slen);

			if (s == SIZE_MAX || s * 1000 > ref[k] * (1000 + ZW_SLACK_PERMILLE))
				break;
		}
		if (k == ns)
			return cheap[i];
	}
	return z->base;
}

escrow_status esc_zw_tail(esc_zw *z, uint64_t reach)
{
	int workers = z->threads < 1 ? 1 : z->threads > ZW_TAIL_WORKERS ? ZW_TAIL_WORKERS : z->threads;
	ZSTD_CCtx *c;
	escrow_status st;

	if (z->pool == NULL)
		return esc_error(z->ctx, ESCROW_E_INTERNAL, "zstd: the tag frame began twice");
	st = esc_zpool_drain(z->pool, false);
	if (st != ESCROW_OK)
		return st;
	/* The workers and their buffers are not needed any more. */
	esc_zpool_free(z->pool);
	z->pool = NULL;
	c = esc_zstd_cctx();
	if (c == NULL)
		return esc_nomem(z->ctx);
	z->cctx = c;
	z->cur = z->base;
	st = setp(z, c, ZSTD_c_compressionLevel, z->base);
	if (st == ESCROW_OK)
		st = setp(z, c, ZSTD_c_checksumFlag, 1);
	if (st == ESCROW_OK)
		st = setp(z, c, ZSTD_c_windowLog, ZW_TAIL_WINDOW_LOG);
	if (st == ESCROW_OK)
		st = setp(z, c, ZSTD_c_minMatch, ZW_TAIL_MIN_MATCH);
	/* libzstd's own workers compress the tag frame while this thread renders
	 * the manifests into it (the frame was the last single-core phase of a
	 * pack: 0.3 s of 1.0 on 50,000 files). Its bytes depend on the job size,
	 * never on the number of workers (one or more), so a bundle stays the
	 * same for any -j; the job size is set, since by default it follows the
	 * window (64 MiB jobs without long matching).
	 * A libzstd built without threads compresses it here (other bytes). */
	if (st == ESCROW_OK && !ZSTD_isError(ZSTD_CCtx_setParameter(c, ZSTD_c_nbWorkers, workers)))
		st = setp(z, c, ZSTD_c_jobSize, ZW_TAIL_JOB);
	/* A repeat lies at least `reach` bytes back: beyond the window, long
	 * matching finds none and costs 2.4x the time (400,000 entries: 109 MB
	 * of tags, 29.65 MB either way, 1.19 s against 0.49 s). */
	if (reach >= (uint64_t)1 << ZW_TAIL_WINDOW_LOG)
		return st;
	if (st == ESCROW_OK)
		st = setp(z, c, ZSTD_c_enableLongDistanceMatching, 1);
	if (st == ESCROW_OK)
		st = setp(z, c, ZSTD_c_ldmMinMatch, ZW_TAIL_LDM_MIN_MATCH);
	if (st == ESCROW_OK)
		st = setp(z, c, ZSTD_c_ldmHashLog, ZW_TAIL_LDM_HASH_LOG);
	if (st == ESCROW_OK)
		st = setp(z, c, ZSTD_c_ldmBucketSizeLog, ZW_TAIL_LDM_BUCKET_LOG);
	if (st == ESCROW_OK)
		st = setp(z, c, ZSTD_c_ldmHashRateLog, ZW_TAIL_LDM_RATE_LOG);
	return st;
}

escrow_status esc_zw_finish(esc_zw *z)
{
	if (z->pool != NULL)
		return esc_zpool_drain(z->pool, true);
	return drive(z, NULL, 0, ZSTD_e_end);
}

void esc_zw_free(esc_zw *z)
{
	if (z == NULL)
		return;
	esc_zpool_free(z->pool);
	ZSTD_freeCCtx(z->cctx);
	ZSTD_freeCCtx(z->probe);
	free(z->probe_buf);
	free(z->out);
	free(z);
}
