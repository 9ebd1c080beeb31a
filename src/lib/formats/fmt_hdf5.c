/* fmt_hdf5.c -- HDF5: the signature at offset 0, 512, 1024, 2048, ... (a
 * user block may come first), then a superblock whose end-of-file address
 * must lie within the file. Only 64 bytes at each candidate offset are
 * looked at: about 40 candidates for any file size. */
#include "formats/esc_fmt.h"

#include <string.h>

#define H5_SB 64

struct h5_state {
	uint64_t size, cand;
	uint8_t sb[H5_SB];
	size_t have;
	bool found, failed;
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

static void superblock(struct h5_state *h, size_t n)
{
	const uint8_t *b = h->sb;
	unsigned ver = b[8], so, at;
	uint64_t base, eof;

	h->found = true;
	if (ver > 3) {
		snprintf(h->reason, sizeof h->reason, "unknown superblock version %u", ver);
		h->failed = true;
		return;
	}
	so = ver < 2 ? b[13] : b[9];
	at = ver == 0 ? 24 : ver == 1 ? 28 : 12;
	if (so != 2 && so != 4 && so != 8) {
		snprintf(h->reason, sizeof h->reason, "superblock size of offsets %u", so);
		h->failed = true;
		return;
	}
	if (at + 3 * so > n) {
		snprintf(h->reason, sizeof h->reason, "truncated superblock at offset %llu",
		         (unsigned long long)h->cand);
		h->failed = true;
		return;
	}
	base = leN(b + at, so);
	eof = leN(b + at + 2 * so, so);
	if (base > h->size || eof > h->size - base) {
		snprintf(h->reason, sizeof h->reason, "superblock says the file ends at byte %llu, it has %llu (truncated?)",
		         (unsigned long long)(base + eof), (unsigned long long)h->size);
		h->failed = true;
	}
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
	return 1;
}

static int h5_final(void *s, char *reason, size_t rlen)
{
	struct h5_state *h = s;

	if (!h->found) {
		snprintf(reason, rlen, "no HDF5 signature at offset 0, 512, 1024, 2048, ...");
		return 0;
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
