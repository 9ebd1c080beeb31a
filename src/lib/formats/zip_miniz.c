/* zip_miniz.c -- the end of a torch.save zip as torch.load's miniz reads it.
 * miniz (mz_zip_reader_read_central_dir, torch's third_party/miniz-2.1.0)
 * finds the last end record signature in the file's last 64 KiB, takes the
 * zip64 end record only when the locator before the end record points to a
 * zip64 signature (ignoring the 16-bit counts then), and refuses a few field
 * values; it checks neither the comment length nor that the central
 * directory's size is exact. The walker, having parsed the central directory
 * where it began, checks here that miniz's view names those same entries
 * (same offset, same count, a size that holds them) and refuses what miniz
 * refuses, so a file passes exactly when torch.load opens its archive. */
#include "formats/esc_zip.h"

#include <stdio.h>

#define SIG_E64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define SIG_EOCD 0x06054b50u
#define MZ_BLOCK 4096u
#define MZ_REGION (65535u + 22u)

static uint16_t le16(const uint8_t *b)
{
	return (uint16_t)(b[0] | b[1] << 8);
}

static uint32_t le32(const uint8_t *b)
{
	return (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
}

static uint64_t le64(const uint8_t *b)
{
	return (uint64_t)le32(b) | (uint64_t)le32(b + 4) << 32;
}

/* n bytes at file offset off, from the captured tail; NULL when the tail
 * does not hold them. */
static const uint8_t *at(const struct esc_zip_walk *w, uint64_t off, uint64_t n)
{
	if (!w->tail || off < w->tail_start || off > w->size || n > w->size - off ||
	    w->tail_start + w->tail_len != w->size)
		return NULL;
	return w->tail + (off - w->tail_start);
}

const uint8_t *esc_zip_miniz_data(const struct esc_zip_walk *w, uint64_t off, uint64_t n)
{
	const uint8_t *h = at(w, off, 30);

	if (!h || le32(h) != 0x04034b50u)
		return NULL;
	return at(w, off + 30 + le16(h + 26) + le16(h + 28), n);
}

static int fail(struct esc_zip_walk *w, const char *why)
{
	snprintf(w->reason, sizeof w->reason, "%.180s (torch.load refuses it)", why);
	w->failed = true;
	return 0;
}

/* mz_zip_reader_locate_header_sig: the last end record signature with 22
 * bytes after it, searched back in 4 KiB blocks up to ~64 KiB from the end. */
static int find_eocd(const struct esc_zip_walk *w, uint64_t *pos)
{
	uint64_t cur = w->size > MZ_BLOCK ? w->size - MZ_BLOCK : 0;

	if (w->size < 22)
		return 0;
	for (;;) {
		uint64_t n = w->size - cur < MZ_BLOCK ? w->size - cur : MZ_BLOCK;
		uint64_t lo = cur > w->tail_start ? cur : w->tail_start;
		const uint8_t *b = lo < cur + n ? at(w, lo, cur + n - lo) : NULL;

		/* the block's bytes before the tail are unknown: scan what is kept */
		for (uint64_t i = b && cur + n - lo >= 4 ? cur + n - lo - 3 : 0; i-- > 0;) {
			if (le32(b + i) == SIG_EOCD && w->size - (lo + i) >= 22) {
				*pos = lo + i;
				return 1;
			}
		}
		if (!b || lo > cur)
			return -1;
		if (cur == 0 || w->size - cur >= MZ_REGION)
			return 0;
		cur = cur > MZ_BLOCK - 3 ? cur - (MZ_BLOCK - 3) : 0;
	}
}

struct mz_end {
	uint64_t total, on_disk, cd_size, cd_off;
	uint32_t this_disk, cd_disk;
};

/* The zip64 end record miniz takes: 1 (taken, fields set), 0 (none), -1 (failed). */
static int zip64(struct esc_zip_walk *w, uint64_t eocd, struct mz_end *m)
{
	const uint8_t *loc, *r;
	uint64_t off;

	if (eocd < 20 + 56 || !(loc = at(w, eocd - 20, 20)))
		return eocd < 20 + 56 ? 0 : fail(w, "zip64 locator outside the checked tail") - 1;
	if (le32(loc) != SIG_LOC64)
		return 0;
	off = le64(loc + 8);
	if (off > w->size - 56)
		return fail(w, "the zip64 locator points past the end of the file") - 1;
	if (!(r = at(w, off, 56)))
		return fail(w, "zip64 end record outside the checked tail") - 1;
	if (le32(r) != SIG_E64)
		return 0;
	if (le64(r + 4) < 44)
		return fail(w, "zip64 end record too short: invalid header or archive is corrupted") - 1;
	if (le32(loc + 16) != 1)
		return fail(w, "zip64 locator counts other disks: unsupported multidisk archive") - 1;
	if (le64(r + 32) > 0xffffffffu || le64(r + 24) > 0xffffffffu)
		return fail(w, "zip64 end record: too many entries") - 1;
	if (le64(r + 40) > 0xffffffffu)
		return fail(w, "zip64 end record: unsupported central directory size") - 1;
	m->total = le64(r + 32);
	m->on_disk = le64(r + 24);
	m->cd_size = le64(r + 40);
	m->this_disk = le32(r + 16);
	m->cd_disk = le32(r + 20);
	m->cd_off = le64(r + 48);
	return 1;
}

int esc_zip_miniz_entry(const uint8_t *r, const char *name, char *reason, size_t rlen)
{
	uint32_t csize = le32(r + 16), usize = le32(r + 20);
	uint16_t disk = le16(r + 30);

	/* miniz reads the method as 32 bits (method and time): "stored" only when both are 0 */
	if (csize != 0xffffffffu && usize != 0xffffffffu && ((le32(r + 6) == 0 && usize != csize) || (usize && !csize))) {
		snprintf(reason, rlen, "%.120s: central directory sizes %u and %u do not fit its method "
		         "(torch.load refuses the zip archive)", name, csize, usize);
		return 0;
	}
	/* every record torch reads goes through mz_zip_reader_extract: stored or deflated */
	if (le16(r + 6) != 0 && le16(r + 6) != 8) {
		snprintf(reason, rlen, "%.120s: compression method %u: torch.load cannot read it", name, le16(r + 6));
		return 0;
	}
	if (disk > 1) {
		snprintf(reason, rlen, "%.120s: on disk %u: split (multi-disk) zip archives are not supported",
		         name, disk);
		return 0;
	}
	return 1;
}

int esc_zip_miniz_end(struct esc_zip_walk *w)
{
	uint64_t eocd = 0, cd_len = w->cd_end - w->cd_start;
	const uint8_t *r;
	struct mz_end m;
	int k = find_eocd(w, &eocd);

	if (!w->cd_only && !w->locals_lost && w->n_local != w->n_cd) {
		snprintf(w->reason, sizeof w->reason, "%llu local headers but %llu central directory entries",
		         (unsigned long long)w->n_local, (unsigned long long)w->n_cd);
		w->failed = true;
		return 0;
	}
	if (k < 0)
		return fail(w, "zip end record outside the checked tail");
	if (k == 0 || !(r = at(w, eocd, 22)))
		return fail(w, "no zip end record in the file's last 64 KiB");
	m.total = le16(r + 10);
	m.on_disk = le16(r + 8);
	m.this_disk = le16(r + 4);
	m.cd_disk = le16(r + 6);
	m.cd_size = le32(r + 12);
	m.cd_off = le32(r + 16);
	if (zip64(w, eocd, &m) < 0)
		return 0;
	if (m.total != m.on_disk || ((m.this_disk | m.cd_disk) != 0 && (m.this_disk != 1 || m.cd_disk != 1)))
		return fail(w, "end record: unsupported multidisk archive");
	if (m.cd_size < (uint32_t)(m.total * 46) || m.cd_off + m.cd_size > w->size || m.cd_off > w->size)
		return fail(w, "end record: central directory size or offset out of bounds");
	if (m.total == 0)
		return fail(w, "the zip archive has no members");
	if (m.this_disk == 1 && w->cd_disk0)
		return fail(w, "a member on disk 0 of a zip said to be on disk 1: unsupported multidisk archive");
	if (m.cd_off != w->cd_start || m.total != w->n_cd || m.cd_size < cd_len) {
		char why[200];

		snprintf(why, sizeof why, "end records say %llu entries at %llu (%llu bytes), the archive has %llu "
		         "at %llu (%llu bytes)", (unsigned long long)m.total, (unsigned long long)m.cd_off,
		         (unsigned long long)m.cd_size, (unsigned long long)w->n_cd,
		         (unsigned long long)w->cd_start, (unsigned long long)cd_len);
		return fail(w, why);
	}
	return 1;
}
