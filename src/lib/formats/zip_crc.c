/* zip_crc.c -- what the zip walker checks of each member against the
 * central directory: the CRC-32 of its data (inflated when deflated), its
 * sizes, method and name. Python's zipfile (np.load) and miniz (torch.load)
 * read a member where and as the central directory says, and refuse it when
 * the CRC-32 differs or the local header names another file; a walk that
 * checked less would pass files their loaders refuse. */
#include "formats/esc_zip.h"

#include <stdio.h>
#include <zlib.h>

uint64_t esc_zip_name_hash(const char *s, size_t n)
{
	uint64_t h = 14695981039346656037ull;

	for (size_t i = 0; i < n; i++)
		h = (h ^ (uint8_t)s[i]) * 1099511628211ull;
	return h;
}

static void crc_fail(struct esc_zip_walk *w, const char *why)
{
	if (w->failed || w->spoiled)
		return;
	snprintf(w->reason, sizeof w->reason, "%.120s: %s", w->name, why);
	/* cd_judge: np.load reads the other members; the walk is in step */
	if (w->ops->cd_judge)
		w->spoiled = true;
	else
		w->failed = true;
}

void esc_zip_crc_begin(struct esc_zip_walk *w)
{
	uint64_t left = ESC_INFLATE_FILE_MAX - w->crc_inflated;

	w->crc = (uint32_t)crc32(0L, Z_NULL, 0);
	w->crc_out = 0;
	w->crc_inflating = false;
	w->crc_on = w->cur.method == 0 && !w->ops->torch_miniz;
	if (w->ops->torch_miniz)
		return;
	if (w->cur.method == 8 && left > 0 && esc_inflate_init(&w->crc_inf, left)) {
		w->crc_on = true;
		w->crc_inflating = true;
	}
}

static int crc_sink(void *u, const uint8_t *b, size_t n)
{
	struct esc_zip_walk *w = u;

	while (n > 0) {
		uInt k = n > (1u << 30) ? (1u << 30) : (uInt)n;

		w->crc = (uint32_t)crc32(w->crc, b, k);
		w->crc_out += k;
		b += k;
		n -= k;
	}
	return 0;
}

void esc_zip_crc_feed(struct esc_zip_walk *w, const uint8_t *b, size_t n)
{
	if (!w->crc_on || n == 0)
		return;
	if (!w->crc_inflating) {
		crc_sink(w, b, n);
		return;
	}
	if (w->crc_inf.ended || w->crc_inf.failed)
		return; /* bytes after the deflate stream: the loaders ignore them */
	esc_inflate_feed(&w->crc_inf, b, n, crc_sink, w);
	if (w->crc_inf.failed && w->crc_inf.out_total <= w->crc_inf.out_max)
		crc_fail(w, w->crc_inf.err);
}

void esc_zip_crc_end(struct esc_zip_walk *w, uint64_t csize)
{
	struct esc_zip_local *l;

	if (w->crc_inflating) {
		/* past the budget the CRC-32 is not known: not a fault of the file */
		if (w->crc_inf.failed && w->crc_inf.out_total > w->crc_inf.out_max)
			w->crc_on = false;
		w->crc_inflated += w->crc_inf.out_total < ESC_INFLATE_FILE_MAX - w->crc_inflated
		                   ? w->crc_inf.out_total : ESC_INFLATE_FILE_MAX - w->crc_inflated;
		esc_inflate_end(&w->crc_inf);
		w->crc_inflating = false;
	}
	if (w->locals_lost || w->n_local == 0)
		return;
	l = &w->locals[w->n_local - 1];
	l->csize = csize;
	l->usize = w->crc_out;
	l->crc = w->crc;
	l->crc_known = w->crc_on;
	l->done = true;
	w->crc_on = false;
}

const struct esc_zip_local *esc_zip_local_at(const struct esc_zip_walk *w, uint64_t off)
{
	size_t lo = 0, hi = (size_t)w->n_local;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (w->locals[mid].off == off)
			return &w->locals[mid];
		if (w->locals[mid].off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return NULL;
}

static int cd_fail(struct esc_zip_walk *w, const struct esc_zip_entry *e, const char *fmt,
                   unsigned long long a, unsigned long long b)
{
	char why[96];

	snprintf(why, sizeof why, fmt, a, b);
	snprintf(w->reason, sizeof w->reason, "%.120s: %.95s", e->name, why);
	w->failed = true;
	return 0;
}

int esc_zip_cd_match(struct esc_zip_walk *w, const struct esc_zip_entry *e, uint32_t crc)
{
	const struct esc_zip_local *l = esc_zip_local_at(w, e->local_off);

	if (l == NULL)
		return cd_fail(w, e, "central directory points to offset %llu, where no member starts%.0llu",
		               (unsigned long long)e->local_off, 0);
	if (!w->ops->torch_miniz && l->name_hash != esc_zip_name_hash(e->name, e->name_len))
		return cd_fail(w, e, "the local header at offset %llu names another file%.0llu",
		               (unsigned long long)l->off, 0);
	/* miniz reads the method from the central directory only: a local
	 * one that is neither stored nor deflate changed nothing it reads */
	if (l->method != e->method && !(w->ops->torch_miniz && l->method != 0 && l->method != 8))
		return cd_fail(w, e, "compression method %llu in the local header, %llu in the central directory",
		               l->method, e->method);
	if (e->method == 0 && e->csize != e->usize)
		return cd_fail(w, e, "stored member with %llu bytes that the central directory says are %llu",
		               (unsigned long long)e->csize, (unsigned long long)e->usize);
	if (!l->done)
		return 1;
	if (l->csize != e->csize)
		return cd_fail(w, e, "%llu bytes of data, the central directory says %llu",
		               (unsigned long long)l->csize, (unsigned long long)e->csize);
	if (!l->crc_known)
		return 1;
	/* readers stop at the central directory's size: more is cut, so the CRC-32 differs */
	if (l->usize < e->usize && e->method == 0)
		return 1;
	if (l->usize > e->usize)
		return cd_fail(w, e, "data of %llu bytes, the central directory says %llu",
		               (unsigned long long)l->usize, (unsigned long long)e->usize);
	if (l->crc != crc)
		return cd_fail(w, e, "CRC-32 %08llx of the data, the central directory says %08llx (corrupted)",
		               l->crc, crc);
	return 1;
}
