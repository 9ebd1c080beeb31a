/* fuzz_zframes.c -- the zstd frame scanner (zstd_frames.c) that lets the
 * reader decode whole frames on other cores. The first input byte picks the
 * piece size the rest is fed in. Oracles: a frame the scanner hands to a
 * worker ends where libzstd says it ends (ZSTD_findFrameCompressedSize) and
 * declares at most ESC_FRAME_MAX bytes; the worker's one-shot decoding and
 * the streaming decoder (the reader's fallback, the same window limit)
 * accept and reject the same frames and give the same bytes, so that a
 * verdict never depends on which of them decoded a frame. */
#include "esc_bundle_read.h"

#include <stdlib.h>
#include <string.h>

static bool streamed(const uint8_t *src, size_t len, uint8_t *dst, size_t cap, size_t *out_len)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	ZSTD_inBuffer in = {src, len, 0};
	ZSTD_outBuffer out = {dst, cap, 0};
	size_t r = 1;

	if (d == NULL)
		abort();
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 25);
	while (r != 0) {
		size_t before_in = in.pos, before_out = out.pos;

		r = ZSTD_decompressStream(d, &out, &in);
		if (ZSTD_isError(r) || (in.pos == before_in && out.pos == before_out))
			break;
	}
	ZSTD_freeDCtx(d);
	*out_len = out.pos;
	return r == 0 && in.pos == len;
}

static void check_frame(const uint8_t *f, size_t len, uint64_t fcs)
{
	ZSTD_DCtx *d = ZSTD_createDCtx();
	uint8_t *a = malloc(fcs ? (size_t)fcs : 1), *b = malloc((size_t)fcs + 1);
	size_t r, blen = 0;
	bool ok_one, ok_stream;

	if (d == NULL || a == NULL || b == NULL)
		abort();
	if (fcs > ESC_FRAME_MAX || ZSTD_findFrameCompressedSize(f, len) != len)
		abort();
	ZSTD_DCtx_setParameter(d, ZSTD_d_windowLogMax, 25);
	r = ZSTD_decompressDCtx(d, a, (size_t)fcs, f, len);
	ok_one = !ZSTD_isError(r) && r == fcs;
	/* one byte of room more than declared: a frame that holds more fails */
	ok_stream = streamed(f, len, b, (size_t)fcs + 1, &blen) && blen == fcs;
	if (ok_one != ok_stream || (ok_one && fcs > 0 && memcmp(a, b, (size_t)fcs) != 0))
		abort();
	ZSTD_freeDCtx(d);
	free(a);
	free(b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esc_zscan s;
	size_t step, pos = 1, start = 1;

	if (size < 1)
		return 0;
	step = data[0] == 0 ? size : data[0];
	esc_zscan_reset(&s);
	while (pos < size) {
		size_t k = size - pos < step ? size - pos : step, used = 0;
		enum esc_zscan_result r = esc_zscan_step(&s, data + pos, k, &used);

		if (used > k)
			abort();
		if (r == ESC_ZS_OTHER)
			break;
		pos += used;
		if (r == ESC_ZS_FRAME) {
			if (s.len != pos - start)
				abort();
			check_frame(data + start, pos - start, s.fcs);
			start = pos;
			esc_zscan_reset(&s);
		} else if (used != k) {
			abort();
		}
	}
	return 0;
}
