/* zstd_read.c -- strict streaming zstd decompression for bundles.
 * FORMAT.md: any number of frames, each with a content checksum; no
 * skippable frames, no dictionaries, nothing after the last frame. We look at
 * each frame's header ourselves before libzstd does, because libzstd accepts
 * skippable frames and frames without a checksum silently. */
#include "esc_bundle_read.h"

#include <zstd_errors.h>

#include <stdlib.h>
#include <string.h>

#define FRAME_HEAD 5 /* magic + frame header descriptor */

struct esc_zread {
	escrow_ctx *ctx;
	const char *name;
	ZSTD_DCtx *dctx;
	bool at_start;              /* the next byte begins a frame */
	uint8_t hdr[FRAME_HEAD];
	size_t hdr_len;             /* header bytes gathered so far */
	size_t hdr_fed;             /* of which already given to libzstd */
	bool hdr_checked;
	uint64_t frames;
	uint64_t in_total;          /* compressed bytes consumed, for messages */
	bool one_frame;             /* step returns at the end of each frame */
	bool dctx_used;             /* dctx has begun a frame */
};

/* A DCtx as new: what libzstd says of a frame's bytes must not depend on
 * the frames before it (its buffers keep the size the largest window asked
 * for, and a corrupt block's error name follows the buffer's size), so that
 * a frame decoded here after others, or alone after frames decoded on other
 * threads (bundle_read_frames.c), fails with the same message. */
static escrow_status new_dctx(esc_zread *z)
{
	ZSTD_freeDCtx(z->dctx);
	z->dctx = esc_zstd_dctx();
	if (z->dctx == NULL)
		return esc_nomem(z->ctx);
	/* Memory stays under 64 MiB whatever the input: a frame asking for a
	 * window above 32 MiB is refused (pack writes at most 16 MiB, the tag
	 * frame; stock `zstd` up to -19 uses at most 8 MiB). */
	ZSTD_DCtx_setParameter(z->dctx, ZSTD_d_windowLogMax, 25);
	z->dctx_used = false;
	return ESCROW_OK;
}

escrow_status esc_zread_new(escrow_ctx *ctx, const char *name, esc_zread **out)
{
	esc_zread *z = calloc(1, sizeof *z);

	*out = NULL;
	if (z == NULL)
		return esc_nomem(ctx);
	z->ctx = ctx;
	z->name = name;
	if (new_dctx(z) != ESCROW_OK) {
		free(z);
		return ESCROW_E_NOMEM;
	}
	z->at_start = true;
	*out = z;
	return ESCROW_OK;
}

void esc_zread_free(esc_zread *z)
{
	if (z == NULL)
		return;
	ZSTD_freeDCtx(z->dctx);
	free(z);
}

/* Gathers the magic number and the frame header descriptor (RFC 8878
 * 3.1.1) of a frame and judges them before libzstd sees them. */
static escrow_status check_header(esc_zread *z, ZSTD_inBuffer *in)
{
	static const uint8_t magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
	uint8_t fhd;

	while (z->hdr_len < FRAME_HEAD && in->pos < in->size) {
		z->hdr[z->hdr_len++] = ((const uint8_t *)in->src)[in->pos++];
		z->in_total++;
	}
	if (z->hdr_len < FRAME_HEAD)
		return ESCROW_OK;
	if (memcmp(z->hdr, magic, 4) != 0) {
		if ((z->hdr[0] & 0xF0) == 0x50 && memcmp(z->hdr + 1, "\x2A\x4D\x18", 3) == 0)
			return esc_error(z->ctx, ESCROW_TAMPERED, "%s: skippable zstd frame at compressed offset %llu "
			                 "(not allowed in a bundle)", z->name, (unsigned long long)(z->in_total - FRAME_HEAD));
		return esc_error(z->ctx, ESCROW_TAMPERED, "%s: %s at compressed offset %llu", z->name,
		                 z->frames ? "data after the last zstd frame" : "not a zstd frame",
		                 (unsigned long long)(z->in_total - FRAME_HEAD));
	}
	fhd = z->hdr[4];
	if (!(fhd & 0x04))
		return esc_error(z->ctx, ESCROW_TAMPERED, "%s: zstd frame at compressed offset %llu has no content "
		                 "checksum", z->name, (unsigned long long)(z->in_total - FRAME_HEAD));
	if (fhd & 0x03)
		return esc_error(z->ctx, ESCROW_TAMPERED, "%s: zstd frame needs a dictionary (not allowed)", z->name);
	if (z->dctx_used && new_dctx(z) != ESCROW_OK)
		return ESCROW_E_NOMEM;
	z->dctx_used = true;
	z->hdr_checked = true;
	return ESCROW_OK;
}

static escrow_status decode(esc_zread *z, ZSTD_inBuffer *in, ZSTD_outBuffer *out)
{
	size_t r = ZSTD_decompressStream(z->dctx, out, in);

	/* the window cannot be had: the machine's fault, not the bundle's */
	if (ZSTD_isError(r) && ZSTD_getErrorCode(r) == ZSTD_error_memory_allocation)
		return esc_error(z->ctx, ESCROW_E_NOMEM, "%s: out of memory for the zstd window", z->name);
	if (ZSTD_isError(r))
		return esc_error(z->ctx, ESCROW_TAMPERED, "%s: corrupt zstd data near compressed offset %llu (%s)",
		                 z->name, (unsigned long long)z->in_total, ZSTD_getErrorName(r));
	if (r == 0) {
		/* libzstd stops at the end of each frame: the next byte starts one. */
		z->at_start = true;
		z->frames++;
	}
	return ESCROW_OK;
}

escrow_status esc_zread_step(esc_zread *z, ZSTD_inBuffer *in, ZSTD_outBuffer *out)
{
	escrow_status st;

	while (out->pos < out->size) {
		if (z->at_start) {
			if (in->pos >= in->size)
				return ESCROW_OK;
			st = check_header(z, in);
			if (st != ESCROW_OK || !z->hdr_checked)
				return st; /* bad, or more input needed */
			z->at_start = false;
			z->hdr_fed = 0;
		}
		if (z->hdr_fed < z->hdr_len) {
			/* Hand libzstd the header bytes we held back. */
			ZSTD_inBuffer hin = {z->hdr + z->hdr_fed, z->hdr_len - z->hdr_fed, 0};

			st = decode(z, &hin, out);
			if (st != ESCROW_OK)
				return st;
			z->hdr_fed += hin.pos;
			if (z->at_start)
				return esc_error(z->ctx, ESCROW_TAMPERED, "%s: malformed zstd frame", z->name);
			if (z->hdr_fed == z->hdr_len) {
				z->hdr_len = z->hdr_fed = 0;
				z->hdr_checked = false;
			} else if (hin.pos == 0) {
				return esc_error(z->ctx, ESCROW_E_INTERNAL, "zstd did not take a frame header");
			}
			continue;
		}
		if (in->pos >= in->size) {
			/* libzstd may still hold decoded bytes to flush. */
			size_t pos = out->pos;
			ZSTD_inBuffer none = {NULL, 0, 0};

			st = decode(z, &none, out);
			if (st != ESCROW_OK || out->pos == pos || (z->at_start && z->one_frame))
				return st;
			continue;
		}
		{
			size_t before = in->pos;

			st = decode(z, in, out);
			z->in_total += in->pos - before;
		}
		if (st != ESCROW_OK || (z->at_start && z->one_frame))
			return st;
	}
	return ESCROW_OK;
}

void esc_zread_one_frame(esc_zread *z, bool on)
{
	z->one_frame = on;
}

bool esc_zread_at_boundary(const esc_zread *z)
{
	return z->at_start && z->hdr_len == 0;
}

void esc_zread_skip(esc_zread *z, uint64_t len)
{
	z->in_total += len;
	z->frames++;
}

escrow_status esc_zread_end(esc_zread *z)
{
	if (!z->at_start || z->hdr_len > 0 || z->hdr_fed > 0)
		return esc_error(z->ctx, ESCROW_TAMPERED, "%s: truncated (the last zstd frame is incomplete)",
		                 z->name);
	if (z->frames == 0)
		return esc_error(z->ctx, ESCROW_TAMPERED, "%s: empty (no zstd frame)", z->name);
	return ESCROW_OK;
}
