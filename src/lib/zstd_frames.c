/* zstd_frames.c -- where a zstd frame ends, found from its headers alone
 * (RFC 8878 3.1.1), so that whole frames can be decoded on other cores.
 * The scanner judges nothing: any frame it does not take (no declared
 * content size, larger than ESC_FRAME_MAX, no checksum, a dictionary, a
 * window above zstd_read.c's limit, a reserved block type, more bytes than
 * such content can compress to, or no frame at all) is left to the
 * streaming decoder, whose checks and messages are the reader's. */
#include "esc_bundle_read.h"

#include <string.h>

enum { ZS_HEAD, ZS_BLOCK, ZS_BODY, ZS_SUM, ZS_DONE };

void esc_zscan_reset(struct esc_zscan *s)
{
	memset(s, 0, sizeof *s);
}

static uint64_t le(const uint8_t *b, size_t n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | b[n];
	return v;
}

/* The header is complete in s->h: false when a worker should not take the
 * frame. Sets s->fcs and the compressed-size bound. */
static bool header_fits(struct esc_zscan *s)
{
	static const uint8_t magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
	const uint8_t fhd = s->h[4];
	const unsigned fcs_flag = fhd >> 6, single = (fhd >> 5) & 1;
	const size_t fcs_len = fcs_flag == 0 ? single : (size_t)1 << fcs_flag;
	uint64_t window;

	if (memcmp(s->h, magic, 4) != 0 || !(fhd & 0x04) || (fhd & 0x0B) != 0 || fcs_len == 0)
		return false;
	s->fcs = le(s->h + 5 + !single, fcs_len) + (fcs_len == 2 ? 256 : 0);
	if (s->fcs > ESC_FRAME_MAX)
		return false;
	if (single) {
		window = s->fcs;
	} else {
		const uint8_t wd = s->h[5];
		const uint64_t base = (uint64_t)1 << (10 + (wd >> 3));

		window = base + base / 8 * (wd & 7);
		/* Below one block, libzstd's streaming and one-shot paths bound
		 * block sizes differently: leave such frames to the stream. */
		if (window < ZSTD_BLOCKSIZE_MAX)
			return false;
	}
	if (window > ESC_FRAME_WINDOW_MAX)
		return false;
	/* What content of this size compresses to at worst, with room for
	 * the headers: beyond it, the frame is not what a compressor wrote. */
	s->bound = ZSTD_compressBound((size_t)s->fcs) + 64;
	return true;
}

enum esc_zscan_result esc_zscan_step(struct esc_zscan *s, const uint8_t *b, size_t n, size_t *used)
{
	size_t i = 0;

	*used = 0;
	while (i < n && s->state != ZS_DONE) {
		if (s->state == ZS_HEAD || s->state == ZS_BLOCK) {
			size_t want = s->state == ZS_BLOCK ? 3 : s->hn < 5 ? 5 : s->hneed;

			while (s->hn < want && i < n)
				s->h[s->hn++] = b[i++];
			if (s->hn < want)
				break;
			if (s->state == ZS_HEAD && s->hn == 5) {
				const uint8_t fhd = s->h[4];
				const unsigned fcs_flag = fhd >> 6, single = (fhd >> 5) & 1;
				static const size_t did[4] = {0, 1, 2, 4};

				s->hneed = 5 + !single + did[fhd & 3] + (fcs_flag == 0 ? single : (size_t)1 << fcs_flag);
				if (memcmp(s->h, "\x28\xB5\x2F\xFD", 4) != 0)
					return ESC_ZS_OTHER;
				continue;
			}
			s->hn = 0;
			if (s->state == ZS_HEAD) {
				if (!header_fits(s))
					return ESC_ZS_OTHER;
				s->state = ZS_BLOCK;
				continue;
			}
			{
				const uint32_t v = (uint32_t)s->h[0] | (uint32_t)s->h[1] << 8 | (uint32_t)s->h[2] << 16;
				const unsigned type = (v >> 1) & 3;

				if (type == 3)
					return ESC_ZS_OTHER;
				s->last = v & 1;
				s->left = type == 1 ? 1 : v >> 3;
				s->state = ZS_BODY;
			}
		}
		{
			size_t k = (uint64_t)(n - i) < s->left ? n - i : (size_t)s->left;

			i += k;
			s->left -= k;
			if (s->left > 0)
				break;
			if (s->state == ZS_SUM) {
				s->state = ZS_DONE;
			} else if (s->last) {
				s->state = ZS_SUM; /* header_fits asked for the checksum flag */
				s->left = 4;
			} else {
				s->state = ZS_BLOCK;
			}
		}
	}
	s->len += i;
	*used = i;
	if (s->bound > 0 && s->len > s->bound)
		return ESC_ZS_OTHER;
	return s->state == ZS_DONE ? ESC_ZS_FRAME : ESC_ZS_MORE;
}
