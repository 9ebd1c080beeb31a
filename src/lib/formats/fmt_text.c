/* fmt_text.c -- "text": strict UTF-8 (no overlongs, no surrogates, nothing
 * above U+10FFFF) and no NUL byte. The reason names the byte offset of the
 * first bad sequence so a person can find it with `xxd -s`.
 * ASCII runs are skipped eight bytes at a time: text checks run over whole
 * deposits, so this path is the one that matters. */
#include <string.h>

#include "esc_fmt.h"

struct text_state {
	uint64_t seq_off;   /* offset of the lead byte of the open sequence */
	uint8_t need;       /* continuation bytes still expected */
	uint8_t lo, hi;     /* bounds of the next continuation byte */
	uint8_t bad;        /* 0, 1 invalid sequence, 2 NUL */
	uint64_t bad_off;
};

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

static void text_init(void *st, const char *path, uint64_t size)
{
	(void)path;
	(void)size;
	memset(st, 0, sizeof(struct text_state));
}

/* Sets need/lo/hi for lead byte c; 0 if c cannot start a sequence. */
static int utf8_lead(struct text_state *t, uint8_t c)
{
	t->lo = 0x80;
	t->hi = 0xBF;
	if (c >= 0xC2 && c <= 0xDF) {
		t->need = 1;
	} else if (c >= 0xE0 && c <= 0xEF) {
		t->need = 2;
		if (c == 0xE0)
			t->lo = 0xA0;   /* overlong */
		else if (c == 0xED)
			t->hi = 0x9F;   /* UTF-16 surrogates */
	} else if (c >= 0xF0 && c <= 0xF4) {
		t->need = 3;
		if (c == 0xF0)
			t->lo = 0x90;   /* overlong */
		else if (c == 0xF4)
			t->hi = 0x8F;   /* above U+10FFFF */
	} else {
		return 0;
	}
	return 1;
}

static int text_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	struct text_state *t = st;
	size_t i = 0;

	if (t->bad)
		return 1;
	while (i < len) {
		uint8_t c;

		if (t->need == 0) {
			/* No byte >= 0x80 and no zero byte in 8 at a time. */
			while (len - i >= 8) {
				uint64_t v;

				memcpy(&v, buf + i, 8);
				if ((v | ((v - ONES) & ~v)) & HIGHS)
					break;
				i += 8;
			}
			if (i == len)
				break;
		}
		c = buf[i];
		if (t->need) {
			if (c < t->lo || c > t->hi) {
				t->bad = 1;
				t->bad_off = t->seq_off;
				return 1;
			}
			t->need--;
			t->lo = 0x80;
			t->hi = 0xBF;
		} else if (c == 0) {
			t->bad = 2;
			t->bad_off = off + i;
			return 1;
		} else if (c >= 0x80) {
			t->seq_off = off + i;
			if (!utf8_lead(t, c)) {
				t->bad = 1;
				t->bad_off = off + i;
				return 1;
			}
		}
		i++;
	}
	return 0;
}

static int text_final(void *st, char *reason, size_t rlen)
{
	const struct text_state *t = st;

	if (t->bad == 2) {
		snprintf(reason, rlen, "byte %llu: NUL byte (binary data, not text)",
		         (unsigned long long)t->bad_off);
		return 0;
	}
	if (t->bad == 1) {
		snprintf(reason, rlen, "byte %llu: invalid UTF-8 sequence (save the file as UTF-8)",
		         (unsigned long long)t->bad_off);
		return 0;
	}
	if (t->need) {
		snprintf(reason, rlen, "byte %llu: UTF-8 sequence cut off at the end of the file",
		         (unsigned long long)t->seq_off);
		return 0;
	}
	return 1;
}

const struct esc_fmt_ops esc_fmt_text = {
	.fmt = ESC_FMT_TEXT,
	.state_size = sizeof(struct text_state),
	.init = text_init,
	.update = text_update,
	.final = text_final,
	.sniff = NULL,
	.full_scan = true,
};
