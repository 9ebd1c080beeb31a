/* fmt_hdf5.c -- HDF5: the signature at offset 0, 512, 1024, 2048, ... (a
 * user block may come first), then a superblock checked as the HDF5 library
 * does when it opens a file (H5Fsuper.c): versions, sizes, the checksum of
 * version 2 and 3 superblocks, every address it holds, and the root group's
 * object header it points to (version 1, or version 2 with its checksum),
 * read as it streams by. Past that (B-trees, heaps, data) nothing is read:
 * damage there is seen by the library only when it reads that object.
 * Addresses are relative to the base address, which the library moves to
 * where the superblock was found; the stored end-of-file address is
 * absolute, so the file must hold stored EOF - stored base + superblock
 * offset bytes (h5py writes base 512 and EOF = file size for a 512-byte
 * user block). Only 128 bytes at each candidate offset are looked at:
 * about 40 candidates for any file size. */
#include "formats/esc_fmt.h"

#include <string.h>

#define H5_SB 128
#define H5_OHDR_PRE 34 /* "OHDR", version, flags, times, phase change, chunk size */

/* Bob Jenkins' lookup3 hashlittle() (initval 0), the checksum of HDF5
 * metadata (H5checksum.c), fed byte by byte: the length must be known
 * first, since the last block is mixed differently. */
struct l3 {
	uint32_t a, b, c;
	uint8_t blk[12];
	unsigned fill;
	uint64_t left;
};

/* The root group's object header, read as it streams by: version 1 (no
 * checksum), or "OHDR" version 2 whose first chunk ends in a lookup3
 * checksum of everything before it. */
struct h5_root {
	uint64_t at;              /* absolute offset of the header */
	uint64_t pos;             /* absolute offset of the next byte wanted */
	uint8_t pre[H5_OHDR_PRE];
	unsigned npre, plen;      /* prefix bytes read; its length once known */
	uint64_t total;           /* bytes the checksum covers, once known */
	uint8_t sum[4];
	unsigned nsum;
	struct l3 h;
	bool active, done, bad;
};

struct h5_state {
	uint64_t size, cand;
	uint8_t sb[H5_SB];
	size_t have;
	bool found, failed;
	struct h5_root root;
	char reason[160];
};

static const uint8_t h5_sig[8] = { 0x89, 'H', 'D', 'F', '\r', '\n', 0x1a, '\n' };

static void h5_init(void *s, const char *path, uint64_t size)
{
	struct h5_state *h = s;

	memset(h, 0, sizeof *h);
	h->size = size;
}

static uint64_t leN(const uint8_t *b, unsigned n)
{
	uint64_t v = 0;

	for (unsigned i = n; i > 0; i--)
		v = v << 8 | b[i - 1];
	return v;
}

#define ROT(x, k) ((x) << (k) | (x) >> (32 - (k)))

static void l3_init(struct l3 *h, uint64_t n)
{
	h->a = h->b = h->c = 0xdeadbeef + (uint32_t)n;
	h->fill = 0;
	h->left = n;
}

static void l3_words(struct l3 *h)
{
	uint32_t w[3] = { 0, 0, 0 };

	for (unsigned i = 0; i < h->fill; i++)
		w[i / 4] |= (uint32_t)h->blk[i] << (8 * (i % 4));
	h->a += w[0];
	h->b += w[1];
	h->c += w[2];
}

static void l3_byte(struct l3 *h, uint8_t x)
{
	uint32_t a, b, c;

	h->blk[h->fill++] = x;
	h->left--;
	if (h->fill < 12 || h->left == 0)
		return;
	l3_words(h);
	a = h->a, b = h->b, c = h->c;
	a -= c; a ^= ROT(c, 4); c += b;
	b -= a; b ^= ROT(a, 6); a += c;
	c -= b; c ^= ROT(b, 8); b += a;
	a -= c; a ^= ROT(c, 16); c += b;
	b -= a; b ^= ROT(a, 19); a += c;
	c -= b; c ^= ROT(b, 4); b += a;
	h->a = a, h->b = b, h->c = c;
	h->fill = 0;
}

/* After the last byte. */
static uint32_t l3_end(struct l3 *h)
{
	uint32_t a, b, c;

	if (h->fill == 0)
		return h->c;
	l3_words(h);
	a = h->a, b = h->b, c = h->c;
	c ^= b; c -= ROT(b, 14);
	a ^= c; a -= ROT(c, 11);
	b ^= a; b -= ROT(a, 25);
	c ^= b; c -= ROT(b, 16);
	a ^= c; a -= ROT(c, 4);
	b ^= a; b -= ROT(a, 14);
	c ^= b; c -= ROT(b, 24);
	return c;
}

static uint32_t lookup3(const uint8_t *k, size_t n)
{
	struct l3 h;

	l3_init(&h, n);
	for (size_t i = 0; i < n; i++)
		l3_byte(&h, k[i]);
	return l3_end(&h);
}

static void h5_fail(struct h5_state *h, const char *what, unsigned long long v)
{
	snprintf(h->reason, sizeof h->reason, what, v);
	h->failed = true;
}

/* A defined address (not all ones) must point past the superblock and
 * before the end of the file: zeroed addresses make the library read the
 * superblock again as another object and fail. */
static bool addr_ok(struct h5_state *h, const uint8_t *p, unsigned so, uint64_t sb_len, uint64_t rel_eof,
                    bool may_be_undef, const char *what)
{
	uint64_t a = leN(p, so), undef = so == 8 ? UINT64_MAX : (UINT64_C(1) << (8 * so)) - 1;

	if (a == undef) {
		if (may_be_undef)
			return true;
		snprintf(h->reason, sizeof h->reason, "superblock %s address is undefined", what);
	} else if (a < sb_len || a >= rel_eof) {
		snprintf(h->reason, sizeof h->reason, "superblock %s address %llu is outside the file's data "
		         "(%llu to %llu)", what, (unsigned long long)a, (unsigned long long)sb_len,
		         (unsigned long long)rel_eof);
	} else {
		return true;
	}
	h->failed = true;
	return false;
}

/* One byte of the root group's object header. */
static void root_byte(struct h5_state *h, uint8_t x)
{
	struct h5_root *r = &h->root;

	if (r->total && r->h.left) {
		l3_byte(&r->h, x);
		return;
	}
	if (r->total) {
		r->sum[r->nsum++] = x;
		if (r->nsum == 4) {
			r->bad = l3_end(&r->h) != (uint32_t)leN(r->sum, 4);
			r->done = true;
		}
		return;
	}
	r->pre[r->npre++] = x;
	if (r->npre == 1 && x == 1) { /* version 1: no signature, no checksum */
		r->done = true;
		return;
	}
	if (r->npre == 6) {
		uint8_t f = r->pre[5];

		if (memcmp(r->pre, "OHDR\x02", 5) != 0) {
			r->bad = r->done = true;
			return;
		}
		r->plen = 6 + (f & 0x20 ? 16 : 0) + (f & 0x10 ? 4 : 0) + (1u << (f & 3));
	}
	if (r->plen && r->npre == r->plen) {
		uint64_t chunk = leN(r->pre + r->plen - (1u << (r->pre[5] & 3)), 1u << (r->pre[5] & 3));

		if (chunk > h->size - r->at || r->plen + chunk + 4 > h->size - r->at) {
			r->bad = r->done = true;
			return;
		}
		r->total = r->plen + chunk;
		l3_init(&r->h, r->total);
		for (unsigned i = 0; i < r->plen; i++)
			l3_byte(&r->h, r->pre[i]);
	}
}

/* The bytes of buf (at file offset off) the root header reader wants next. */
static void root_feed(struct h5_state *h, const uint8_t *buf, size_t len, uint64_t off)
{
	struct h5_root *r = &h->root;

	while (r->active && !r->done && r->pos >= off && r->pos - off < len) {
		root_byte(h, buf[r->pos - off]);
		r->pos++;
	}
}

static void superblock(struct h5_state *h, size_t n)
{
	const uint8_t *b = h->sb;
	unsigned ver = b[8], so, sl, at;
	uint64_t base, eof, rel_eof, sb_len;

	h->found = true;
	if (ver > 3) {
		h5_fail(h, "unknown superblock version %llu", ver);
		return;
	}
	so = ver < 2 ? b[13] : b[9];
	sl = ver < 2 ? b[14] : b[10];
	at = ver == 0 ? 24 : ver == 1 ? 28 : 12;
	if (so != 2 && so != 4 && so != 8) {
		h5_fail(h, "superblock size of offsets %llu", so);
		return;
	}
	if (sl != 2 && sl != 4 && sl != 8) {
		h5_fail(h, "superblock size of lengths %llu", sl);
		return;
	}
	/* v0/v1: four addresses and the root group's symbol table entry (link
	 * name offset, object header address, cache type, reserved, scratch);
	 * v2/v3: four addresses and a checksum */
	sb_len = ver < 2 ? at + 6u * so + 24 : at + 4u * so + 4;
	if (sb_len > n) {
		h5_fail(h, "truncated superblock at offset %llu", h->cand);
		return;
	}
	if (ver < 2 && (b[9] != 0 || b[10] != 0 || b[12] != 0)) {
		h5_fail(h, "unknown free-space, root group or shared header version in a version %llu superblock", ver);
		return;
	}
	if (ver < 2 && (b[20] & ~0x07)) { /* write access, file ok, SWMR: the library refuses other bits */
		h5_fail(h, "unknown file consistency flags 0x%02llx in the superblock", b[20]);
		return;
	}
	if (ver < 2 && (leN(b + 16, 2) == 0 || leN(b + 18, 2) == 0 || (ver == 1 && leN(b + 24, 2) == 0))) {
		h5_fail(h, "a B-tree rank of 0 in a version %llu superblock", ver);
		return;
	}
	if (ver >= 2) {
		uint32_t sum = (uint32_t)leN(b + sb_len - 4, 4);

		if (lookup3(b, (size_t)sb_len - 4) != sum) {
			h5_fail(h, "superblock checksum mismatch at offset %llu", h->cand);
			return;
		}
	}
	base = leN(b + at, so);
	eof = leN(b + at + 2 * so, so);
	if (eof < base || eof - base <= sb_len) {
		h5_fail(h, "superblock end-of-file address %llu is before its own end", eof);
		return;
	}
	rel_eof = eof - base;
	if (rel_eof > h->size - h->cand) {
		snprintf(h->reason, sizeof h->reason, "superblock says the file ends at byte %llu, it has %llu (truncated?)",
		         (unsigned long long)(h->cand + rel_eof), (unsigned long long)h->size);
		h->failed = true;
		return;
	}
	if (!addr_ok(h, b + at + so, so, sb_len, rel_eof, true, ver < 2 ? "free-space" : "extension") ||
	    !addr_ok(h, b + at + 3 * so, so, sb_len, rel_eof, ver < 2, ver < 2 ? "driver information" : "root group"))
		return;
	if (ver < 2 && !addr_ok(h, b + at + 5 * so, so, sb_len, rel_eof, false, "root group"))
		return;
	h->root.active = true;
	h->root.at = h->root.pos = h->cand + leN(b + at + (ver < 2 ? 5 : 3) * so, so);
	if (ver < 2) {
		/* the root symbol table entry: cache type, then a 16-byte scratch pad */
		uint32_t cache = (uint32_t)leN(b + at + 6 * so, 4);

		/* the scratch pad's cached B-tree and heap addresses are not used
		 * by the library to open the root group: h5py reads files whose
		 * scratch pad is damaged, so it is not checked */
		if (cache > 2) {
			h5_fail(h, "unknown root group cache type %llu", cache);
			return;
		}
	}
	root_feed(h, h->sb, h->have, h->cand);
}

static int h5_update(void *s, const uint8_t *buf, size_t len, uint64_t off)
{
	struct h5_state *h = s;

	while (!h->found && h->cand < h->size) {
		size_t want = h->size - h->cand < H5_SB ? (size_t)(h->size - h->cand) : H5_SB;
		uint64_t from = h->cand + h->have;

		if (from >= off + len)
			return 0;
		if (from >= off) {
			size_t take = want - h->have < off + len - from ? want - h->have : (size_t)(off + len - from);

			memcpy(h->sb + h->have, buf + (from - off), take);
			h->have += take;
		}
		if (h->have < want)
			return 0;
		if (want >= 16 && memcmp(h->sb, h5_sig, 8) == 0) {
			superblock(h, want);
			break;
		}
		h->cand = h->cand ? h->cand * 2 : 512;
		h->have = 0;
	}
	if (!h->found || h->failed)
		return 1;
	root_feed(h, buf, len, off);
	return h->root.done;
}

static int h5_final(void *s, char *reason, size_t rlen)
{
	struct h5_state *h = s;

	if (!h->found) {
		snprintf(reason, rlen, "no HDF5 signature at offset 0, 512, 1024, 2048, ...");
		return 0;
	}
	if (!h->failed && (!h->root.done || h->root.bad)) {
		snprintf(h->reason, sizeof h->reason, "%s root group object header at offset %llu",
		         h->root.nsum == 4 ? "checksum mismatch in the" : "no valid", (unsigned long long)h->root.at);
		h->failed = true;
	}
	if (h->failed) {
		snprintf(reason, rlen, "%s", h->reason);
		return 0;
	}
	return 1;
}

static int h5_sniff(const uint8_t *head, size_t len, uint64_t size)
{
	return len >= 8 && memcmp(head, h5_sig, 8) == 0;
}

const struct esc_fmt_ops esc_fmt_hdf5 = {
	.fmt = ESC_FMT_HDF5,
	.state_size = sizeof(struct h5_state),
	.init = h5_init,
	.update = h5_update,
	.final = h5_final,
	.sniff = h5_sniff,
};
