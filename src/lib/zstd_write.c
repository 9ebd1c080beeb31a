/* zstd_write.c -- the zstd layer of the writer, driving libzstd directly:
 * content checksums on every frame, compression in libzstd's worker threads
 * while the caller reads and hashes, and a cheaper level for data whose
 * only gain is entropy coding (float weights), chosen from a sample.
 *
 * Determinism: libzstd's multithreaded output depends only on the bytes,
 * the parameters and where jobs end, never on the number of workers (>= 1).
 * Jobs end every jobSize bytes and where we flush; we flush only before a
 * level change, which depends only on the data. */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_c_literalCompressionMode; a stable enum value */
#include "esc_pack.h"

#include <stdlib.h>
#include <zstd.h>

#define ZW_OUT_SIZE (256u * 1024u)
/* A cheaper level is taken when its sample is at most this much larger (per mille). */
#define ZW_SLACK_PERMILLE 3
/* libzstd's default job (4 windows: 8 MiB at level 3) keeps ~55 MiB in flight
 * with two workers (7 pooled output buffers of a job each); 2 MiB jobs keep
 * the whole pack under 64 MiB for a ratio change within noise (measured). */
#define ZW_JOB_SIZE (2 << 20)

struct esc_zw {
	escrow_ctx *ctx;
	ZSTD_CCtx *cctx;
	ZSTD_CCtx *probe;       /* single-threaded, for samples */
	void *probe_buf;
	size_t probe_cap;
	struct esc_sink next;
	int base, cur;
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
		return esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
	z->ctx = ctx;
	z->next = next;
	z->base = z->cur = level;
	z->cctx = ZSTD_createCCtx();
	z->probe = ZSTD_createCCtx();
	z->out = malloc(ZW_OUT_SIZE);
	if (z->cctx == NULL || z->probe == NULL || z->out == NULL) {
		esc_zw_free(z);
		return esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
	}
	if (threads < 1)
		threads = 1;
	st = setp(z, z->cctx, ZSTD_c_nbWorkers, threads);
	if (st == ESCROW_E_INTERNAL)
		st = esc_error(ctx, ESCROW_E_INTERNAL, "libzstd was built without multithreading");
	if (st == ESCROW_OK)
		st = setp(z, z->cctx, ZSTD_c_compressionLevel, level);
	if (st == ESCROW_OK)
		st = setp(z, z->cctx, ZSTD_c_checksumFlag, 1);
	if (st == ESCROW_OK)
		st = setp(z, z->cctx, ZSTD_c_jobSize, ZW_JOB_SIZE);
	/* Negative levels keep Huffman-coded literals: that is all float
	 * weights compress by, and it costs little next to match finding. */
	if (st == ESCROW_OK)
		st = setp(z, z->cctx, ZSTD_c_literalCompressionMode, ZSTD_ps_enable);
	if (st == ESCROW_OK)
		st = setp(z, z->probe, ZSTD_c_literalCompressionMode, ZSTD_ps_enable);
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
	if (len == 0)
		return ESCROW_OK;
	return drive(zw, buf, len, ZSTD_e_continue);
}

escrow_status esc_zw_set_level(esc_zw *z, int level)
{
	escrow_status st;

	if (level == z->cur)
		return ESCROW_OK;
	/* Parameters reach the next job only: end the current one here. */
	st = drive(z, NULL, 0, ZSTD_e_flush);
	if (st == ESCROW_OK)
		st = setp(z, z->cctx, ZSTD_c_compressionLevel, level);
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

int esc_zw_pick_level(esc_zw *z, const void *sample, size_t len)
{
	/* Fastest first; each keeps Huffman literals (see esc_zw_new). */
	static const int cheap[] = {-10, -1, 1};
	size_t ref, i, need = ZSTD_compressBound(len);

	if (len == 0)
		return z->base;
	if (z->probe_cap < need) {
		void *nb = realloc(z->probe_buf, need);

		if (nb == NULL)
			return z->base;
		z->probe_buf = nb;
		z->probe_cap = need;
	}
	ref = probe_size(z, z->base, sample, len);
	if (ref == SIZE_MAX)
		return z->base;
	for (i = 0; i < sizeof cheap / sizeof cheap[0]; i++) {
		size_t s;

		if (cheap[i] >= z->base)
			break;
		s = probe_size(z, cheap[i], sample, len);
		if (s != SIZE_MAX && s * 1000 <= ref * (1000 + ZW_SLACK_PERMILLE))
			return cheap[i];
	}
	return z->base;
}

escrow_status esc_zw_finish(esc_zw *z)
{
	return drive(z, NULL, 0, ZSTD_e_end);
}

void esc_zw_free(esc_zw *z)
{
	if (z == NULL)
		return;
	ZSTD_freeCCtx(z->cctx);
	ZSTD_freeCCtx(z->probe);
	free(z->probe_buf);
	free(z->out);
	free(z);
}
