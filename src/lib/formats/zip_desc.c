/* zip_desc.c -- the end of a zip member whose sizes only its data
 * descriptor gives (general purpose bit 3): torch.save and torch.jit.save
 * write every member so. The walker stays in step by finding the
 * descriptor whose size equals the bytes since the data began. */
#include "formats/esc_zip.h"

#include <string.h>

#define SIG_DESC 0x08074b50u

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
	return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

/* A data descriptor of the member being hunted at data offset d: its
 * signature, and a compressed size (and, stored, an uncompressed size) equal
 * to d. Random member bytes match with odds of 2^-64; a planted match only
 * puts the walk out of step, which the record checks that follow refuse. */
static bool desc_at(const struct esc_zip_walk *w, const uint8_t *p, uint64_t d)
{
	uint64_t cs, us;

	if (le32(p) != SIG_DESC)
		return false;
	cs = w->cur_zip64 ? le64(p + 8) : le32(p + 8);
	us = w->cur_zip64 ? le64(p + 16) : le32(p + 12);
	return cs == d && (w->cur.method != 0 || us == d);
}

/* Keeps the last bytes of a hunted member (fewer than a descriptor). */
static void dwin_push(struct esc_zip_walk *w, const uint8_t *b, size_t n, size_t keep)
{
	if (n >= keep) {
		memcpy(w->dwin, b + n - keep, keep);
		w->dwin_len = keep;
		return;
	}
	if (w->dwin_len + n > keep) {
		size_t drop = w->dwin_len + n - keep;

		memmove(w->dwin, w->dwin + drop, w->dwin_len - drop);
		w->dwin_len -= drop;
	}
	memcpy(w->dwin + w->dwin_len, b, n);
	w->dwin_len += n;
}

/* The CRC-32 covers the data met so far but the last bytes kept in dwin
 * (they may yet turn out to start the descriptor): feeds it the first of
 * dwin (k of them) and of b (m of them). */
static void crc_upto(struct esc_zip_walk *w, size_t k, const uint8_t *b, size_t m)
{
	esc_zip_crc_feed(w, w->dwin, k);
	esc_zip_crc_feed(w, b, m);
}

size_t esc_zip_hunt(struct esc_zip_walk *w, const uint8_t *b, size_t n, bool *found_end)
{
	const size_t dl = w->cur_zip64 ? 24 : 16, c = w->dwin_len;
	size_t data_end = n, end = 0, s = 0;
	bool found = false;

	if (c > 0) {
		uint8_t tmp[2 * sizeof w->dwin];
		size_t m = n < dl - 1 ? n : dl - 1;

		memcpy(tmp, w->dwin, c);
		memcpy(tmp + c, b, m);
		for (size_t k = 0; k < c && !found; k++) {
			if (k + dl <= c + m && desc_at(w, tmp + k, w->cur_seen - c + k)) {
				found = true;
				data_end = 0;
				end = k + dl - c;
			}
		}
	}
	while (!found && s + dl <= n) {
		const uint8_t *q = memchr(b + s, 'P', n - s);

		if (q == NULL)
			break;
		s = (size_t)(q - b);
		if (s + dl > n)
			break;
		if (q[1] == 'K' && q[2] == 7 && q[3] == 8 && desc_at(w, q, w->cur_seen + s)) {
			found = true;
			data_end = s;
			end = s + dl;
		}
		s++;
	}
	if (w->cur_wanted && data_end > 0) {
		size_t used = w->ops->data(w->user, b, data_end);

		w->cur_given += used;
		if (used < data_end) {
			w->ops->member_end(w->user, &w->cur, true);
			w->cur_wanted = false;
		}
	}
	if (!found) {
		size_t feed = c + n > dl - 1 ? c + n - (dl - 1) : 0, fk = feed < c ? feed : c;

		crc_upto(w, fk, b, feed - fk);
		dwin_push(w, b, n, dl - 1);
		w->cur_seen += n;
		return n;
	}
	if (w->cur_wanted) {
		w->ops->member_end(w->user, &w->cur, true);
		w->cur_wanted = false;
	}
	if (data_end == 0 && end < dl) { /* the descriptor began in dwin, at c + end - dl */
		crc_upto(w, c + end - dl, b, 0);
		esc_zip_crc_end(w, w->cur_seen - c + (c + end - dl));
	} else {
		crc_upto(w, c, b, data_end);
		esc_zip_crc_end(w, w->cur_seen + data_end);
	}
	w->hunting = false;
	*found_end = true;
	return end;
}
