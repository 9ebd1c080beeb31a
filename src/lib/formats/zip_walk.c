/* zip_walk.c -- the streaming zip walker (see esc_zip.h).
 * Records are collected into a small buffer; member data is handed over or
 * skipped by arithmetic, so the cost per byte of a big stored member is nil. */
#include "formats/esc_zip.h"
#include "formats/esc_fmt.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { Z_SIG, Z_LOCAL, Z_LOCALV, Z_LDATA, Z_CDH, Z_CDV, Z_E64, Z_E64V, Z_LOC64,
       Z_EOCD, Z_END };

#define SIG_LOCAL 0x04034b50u
#define SIG_CD 0x02014b50u
#define SIG_E64 0x06064b50u
#define SIG_LOC64 0x07064b50u
#define SIG_EOCD 0x06054b50u
#define EOCD_REGION 65557u /* 22-byte record + the longest comment */

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

static void tail_open(struct esc_zip_walk *w);

/* A fault: the file fails with the first one's reason. With cd_judge
 * (np.load, which reads members by the central directory), a fault before
 * the central directory makes the walk read it from the file's tail
 * instead of stopping (esc_zip_final), so that every entry is judged. */
static void zfail(struct esc_zip_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void zfail(struct esc_zip_walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed)
		return;
	if (!w->spoiled) {
		va_start(ap, fmt);
		vsnprintf(w->reason, sizeof w->reason, fmt, ap);
		va_end(ap);
	}
	if (w->ops->cd_judge && !w->in_cd && !w->cd_only && !w->lost) {
		w->spoiled = true;
		w->lost = true;
		tail_open(w);
		return;
	}
	w->failed = true;
}

/* A fault that leaves the walk in step (cd_judge only): it goes on. */
static void zspoil(struct esc_zip_walk *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void zspoil(struct esc_zip_walk *w, const char *fmt, ...)
{
	va_list ap;

	if (w->failed || w->spoiled)
		return;
	va_start(ap, fmt);
	vsnprintf(w->reason, sizeof w->reason, fmt, ap);
	va_end(ap);
	w->spoiled = true;
}

void esc_zip_init(struct esc_zip_walk *w, uint64_t size, const struct esc_zip_ops *ops, void *user)
{
	memset(w, 0, sizeof *w);
	w->ops = ops;
	w->user = user;
	w->size = size;
	w->st = Z_SIG;
	w->need = 4;
}

void esc_zip_release(struct esc_zip_walk *w)
{
	free(w->rec);
	free(w->tail);
	free(w->locals);
	if (w->crc_inflating)
		esc_inflate_end(&w->crc_inf);
	w->crc_inflating = false;
	w->rec = NULL;
	w->tail = NULL;
	w->locals = NULL;
	w->rec_cap = 0;
}

static void expect(struct esc_zip_walk *w, int st, size_t need)
{
	w->st = st;
	w->need = need;
	w->have = 0;
}

static void member_done(struct esc_zip_walk *w)
{
	expect(w, Z_SIG, 4);
}

/* Zip64 extended information: the fields that are all ones in the record
 * follow, in order, in the 0x0001 extra block. */
static void zip64_extra(struct esc_zip_walk *w, const uint8_t *x, size_t xlen, uint64_t *usize,
                        uint64_t *csize, uint64_t *loff, bool *found)
{
	size_t i = 0;

	while (i + 4 <= xlen) {
		uint16_t id = le16(x + i), n = le16(x + i + 2);
		const uint8_t *d = x + i + 4;
		size_t k = 0;

		if (i + 4 + n > xlen)
			break;
		if (id == 1) {
			*found = true;
			if (*usize == 0xffffffffu && k + 8 <= n) {
				*usize = le64(d + k);
				k += 8;
			}
			if (*csize == 0xffffffffu && k + 8 <= n) {
				*csize = le64(d + k);
				k += 8;
			}
			if (loff && *loff == 0xffffffffu && k + 8 <= n)
				*loff = le64(d + k);
		}
		i += 4 + n;
	}
}

/* Starts copying the file's last bytes (from here at most ESC_ZIP_TAIL_MAX),
 * in case the walk cannot stay in step and must read the central directory
 * from them. */
static void tail_open(struct esc_zip_walk *w)
{
	uint64_t start = w->off, from_end = w->size > ESC_ZIP_TAIL_MAX ? w->size - ESC_ZIP_TAIL_MAX : 0;

	if (w->tail)
		return;
	if (start < from_end)
		start = from_end;
	w->tail_start = start;
	w->tail_len = 0;
	w->tail = malloc(w->size - start ? (size_t)(w->size - start) : 1);
	if (!w->tail)
		zfail(w, "out of memory for the zip central directory");
}

/* torch_miniz: what follows the central directory, miniz's (zip_miniz.c). */
static void torch_end(struct esc_zip_walk *w, uint64_t at)
{
	if (!w->in_cd)
		w->cd_start = at;
	w->cd_end = at;
	w->torch_end = true;
	w->ended = true;
	w->skip = w->size - w->off;
	expect(w, Z_END, 1);
}

static void on_sig(struct esc_zip_walk *w)
{
	uint32_t sig = le32(w->rec);
	uint64_t at = w->off - 4;

	/* past a fault, the central directory's entries are judged, no more */
	if (w->spoiled && w->in_cd && sig != SIG_CD) {
		w->failed = true;
		return;
	}
	if (w->ops->torch_miniz && (sig == SIG_E64 || sig == SIG_LOC64 || sig == SIG_EOCD ||
	                            (w->in_cd && sig != SIG_CD))) {
		torch_end(w, at);
	} else if (sig == SIG_LOCAL && !w->in_cd && !w->cd_only) {
		expect(w, Z_LOCAL, 26);
	} else if (sig == SIG_CD && !w->z64_seen) {
		if (!w->in_cd)
			w->cd_start = at;
		w->in_cd = true;
		if (w->ops->torch_miniz)
			tail_open(w);
		expect(w, Z_CDH, 42);
	} else if (sig == SIG_E64 && !w->z64_seen) {
		w->cd_end = at;
		w->e64_pos = at;
		w->z64_seen = true;
		expect(w, Z_E64, 8);
	} else if (sig == SIG_LOC64 && w->z64_seen) {
		expect(w, Z_LOC64, 16);
	} else if (sig == SIG_EOCD) {
		if (!w->z64_seen)
			w->cd_end = at;
		expect(w, Z_EOCD, 18);
	} else {
		zfail(w, "unexpected bytes %02x %02x %02x %02x at offset %llu where a zip record should start",
		      w->rec[0], w->rec[1], w->rec[2], w->rec[3], (unsigned long long)at);
	}
}

static void on_local(struct esc_zip_walk *w)
{
	const uint8_t *r = w->rec;
	size_t nlen = le16(r + 22), xlen = le16(r + 24);
	uint64_t usize, csize;
	bool z64 = false;

	if (w->st == Z_LOCAL) {
		if (nlen > ESC_ZIP_NAME_MAX) {
			zfail(w, "member name of %zu bytes at offset %llu (limit %d)", nlen,
			      (unsigned long long)(w->off - 30), ESC_ZIP_NAME_MAX);
			return;
		}
		/* else the walk would wait for bytes that never come, and learn
		 * it only at the end, too late to read the tail (cd_judge) */
		if (w->ops->cd_judge && !esc_fits(w->off, nlen + xlen, w->size)) {
			zfail(w, "local header at offset %llu runs past the end of the file",
			      (unsigned long long)(w->off - 30));
			return;
		}
		w->st = Z_LOCALV;
		w->need = 26 + nlen + xlen;
		return;
	}
	memcpy(w->name, r + 26, nlen);
	w->name[nlen] = '\0';
	memset(&w->cur, 0, sizeof w->cur);
	w->cur.name = w->name;
	w->cur.name_len = nlen;
	w->cur.flags = le16(r + 2);
	w->cur.method = le16(r + 4);
	w->cur.local_off = w->off - w->need - 4;
	csize = le32(r + 14);
	usize = le32(r + 18);
	zip64_extra(w, r + 26 + nlen, xlen, &usize, &csize, NULL, &z64);
	w->cur_zip64 = z64;
	w->cur.size_known = !(w->cur.flags & 8);
	w->cur.csize = w->cur.size_known ? csize : 0;
	w->cur.usize = w->cur.size_known ? usize : 0;
	if (!w->locals_lost && w->n_local == w->locals_cap) {
		size_t cap = w->locals_cap ? w->locals_cap * 2 : 64;
		struct esc_zip_local *nl = cap <= ESC_ZIP_LOCALS_MAX ? realloc(w->locals, cap * sizeof *nl) : NULL;

		if (nl) {
			w->locals = nl;
			w->locals_cap = cap;
		} else {
			w->locals_lost = true;
		}
	}
	if (!w->locals_lost) {
		struct esc_zip_local *l = &w->locals[w->n_local];

		memset(l, 0, sizeof *l);
		l->off = w->cur.local_off;
		l->name_hash = esc_zip_name_hash(w->name, nlen);
		l->method = w->cur.method;
		l->size_known = w->cur.size_known;
		l->declared_usize = w->cur.usize;
		l->data_off = w->off;
	}
	w->n_local++;
	if (w->cur.flags & 1) {
		/* np.load reads the other members: with cd_judge, walk past it */
		if (!w->ops->cd_judge || !w->cur.size_known) {
			zfail(w, "%s: member is encrypted (deposit it unencrypted)", w->name);
			return;
		}
		zspoil(w, "%s: member is encrypted (deposit it unencrypted)", w->name);
	}
	/* miniz reads no local name: such a member is walked, never handed over */
	if (memchr(w->name, '\0', nlen) && !w->ops->torch_miniz) {
		zfail(w, "member name with a NUL byte at offset %llu", (unsigned long long)w->cur.local_off);
		return;
	}
	if (w->cur.size_known && !esc_fits(w->off, w->cur.csize, w->size)) {
		zfail(w, "%s: member of %llu bytes runs past the end of the file", w->name,
		      (unsigned long long)w->cur.csize);
		return;
	}
	esc_zip_crc_begin(w);
	/* (an encrypted one too: zipfile takes the flag from the central
	 * directory, and this one's bytes may be plain) */
	w->cur_wanted = w->ops->member && !memchr(w->name, '\0', nlen) && w->ops->member(w->user, &w->cur);
	w->cur_given = 0;
	w->cur_left = w->cur.csize;
	if (!w->cur.size_known) {
		w->hunting = true;
		w->cur_seen = 0;
		w->dwin_len = 0;
		tail_open(w);
		expect(w, Z_LDATA, 0);
		return;
	}
	if (w->cur.size_known && w->cur.csize == 0) {
		if (w->cur_wanted)
			w->ops->member_end(w->user, &w->cur, true);
		w->cur_wanted = false;
		esc_zip_crc_end(w, 0);
		member_done(w);
		return;
	}
	expect(w, Z_LDATA, 0);
}

/* The member's data from offset at of the tail's copy: its central
 * directory size, or up to the end of the file. */
static void tail_bytes(const struct esc_zip_walk *w, const struct esc_zip_entry *e, uint64_t at,
                       struct esc_zip_bytes *mb)
{
	mb->status = ESC_ZIP_BYTES_OK;
	mb->data = w->tail + at;
	mb->len = e->csize < w->tail_len - at ? (size_t)e->csize : (size_t)(w->tail_len - at);
}

/* A member's data where Python's zipfile finds it: the local header at the
 * entry's offset (its signature and name checked, as zipfile does), its
 * name and extra lengths skipped; from the tail's copy, when it is there. */
static void tail_member(const struct esc_zip_walk *w, const struct esc_zip_entry *e, const struct esc_zip_local *l,
                        struct esc_zip_bytes *mb)
{
	uint64_t at;
	const uint8_t *h;
	size_t nlen, xlen;

	memset(mb, 0, sizeof *mb);
	mb->status = ESC_ZIP_BYTES_NONE;
	if (!w->cd_only || !w->tail)
		return;
	/* a header the walk met (whose data the copy may hold): its name and
	 * where its data starts are known */
	if (l != NULL) {
		if (l->name_hash != esc_zip_name_hash(e->name, e->name_len)) {
			mb->status = ESC_ZIP_BYTES_REFUSED;
		} else if (l->data_off >= w->tail_start && l->data_off - w->tail_start <= w->tail_len) {
			tail_bytes(w, e, l->data_off - w->tail_start, mb);
		}
		return;
	}
	if (e->local_off < w->tail_start)
		return;
	at = e->local_off - w->tail_start;
	mb->status = ESC_ZIP_BYTES_REFUSED;
	if (!esc_fits(at, 30, w->tail_len) || le32(w->tail + at) != SIG_LOCAL)
		return;
	h = w->tail + at;
	nlen = le16(h + 26);
	xlen = le16(h + 28);
	if (nlen != e->name_len || !esc_fits(at + 30, nlen, w->tail_len) || memcmp(h + 30, e->name, nlen) != 0)
		return;
	at += 30 + nlen;
	if (!esc_fits(at, xlen, w->tail_len))
		return;
	tail_bytes(w, e, at + xlen, mb);
}

static void on_cd(struct esc_zip_walk *w)
{
	const uint8_t *r = w->rec;
	size_t nlen = le16(r + 24), xlen = le16(r + 26), clen = le16(r + 28);
	struct esc_zip_entry e;
	uint64_t usize, csize, loff;
	const char *why = NULL;
	bool z64 = false;

	if (w->st == Z_CDH) {
		if (nlen > ESC_ZIP_NAME_MAX) {
			zfail(w, "central directory name of %zu bytes (limit %d)", nlen, ESC_ZIP_NAME_MAX);
			return;
		}
		w->st = Z_CDV;
		w->need = 42 + nlen + xlen + clen;
		return;
	}
	memcpy(w->name, r + 42, nlen);
	w->name[nlen] = '\0';
	memset(&e, 0, sizeof e);
	e.name = w->name;
	e.name_len = nlen;
	e.flags = le16(r + 4);
	e.method = le16(r + 6);
	csize = le32(r + 16);
	usize = le32(r + 20);
	loff = le32(r + 38);
	zip64_extra(w, r + 42 + nlen, xlen, &usize, &csize, &loff, &z64);
	e.csize = csize;
	e.usize = usize;
	e.size_known = true;
	e.local_off = loff;
	e.ext_attr = le32(r + 34);
	w->n_cd++;
	if (w->ops->cd_judge) {
		const struct esc_zip_local *l = w->locals_lost ? NULL : esc_zip_local_at(w, loff);
		struct esc_zip_bytes mb;

		tail_member(w, &e, l, &mb);
		w->ops->cd_judge(w->user, &e, l,
		                 w->locals_lost ? ESC_ZIP_SEEN_NONE : w->cd_only ? ESC_ZIP_SEEN_SOME : ESC_ZIP_SEEN_ALL,
		                 &mb);
	}
	if (w->spoiled) {
		expect(w, Z_SIG, 4);
		return;
	}
	if (memchr(w->name, '\0', nlen)) {
		zfail(w, "central directory name with a NUL byte");
		return;
	}
	if (!esc_zip_name_ok(w->name, nlen, &why)) {
		zfail(w, "%s: %s", w->name, why);
		return;
	}
	/* encrypted, strongly encrypted, or with its local header masked */
	if (e.flags & 0x2041) {
		zfail(w, "%s: member is encrypted (deposit it unencrypted)", w->name);
		return;
	}
	if (w->ops->torch_miniz && !esc_zip_miniz_entry(r, w->name, w->reason, sizeof w->reason)) {
		w->failed = true;
		return;
	}
	w->cd_disk0 |= le16(r + 30) == 0;
	/* Python's zipfile reads up to version 6.3 (miniz does not look) */
	if (r[2] > 63 && !w->ops->torch_miniz) {
		zfail(w, "%s: needs zip version %u.%u to extract (readers know up to 6.3)", w->name, r[2] / 10,
		      r[2] % 10);
		return;
	}
	if (loff > w->cd_start || csize > w->cd_start - loff || 30 + nlen > w->cd_start - loff - csize) {
		zfail(w, "%s: member at offset %llu with %llu bytes lies outside the archive data", w->name,
		      (unsigned long long)loff, (unsigned long long)csize);
		return;
	}
	/* in sync, every entry must name a local header the walk met: entries
	 * pointing into another member's data (overlaps) are rejected */
	if (!w->cd_only && !w->locals_lost && !esc_zip_cd_match(w, &e, le32(r + 12)))
		return;
	if (w->ops->cd_entry && !w->ops->cd_entry(w->user, &e, w->reason, sizeof w->reason)) {
		w->failed = true;
		return;
	}
	expect(w, Z_SIG, 4);
}

static void on_end(struct esc_zip_walk *w)
{
	const uint8_t *r = w->rec;
	uint64_t entries, cd_size, cd_off;

	switch (w->st) {
	case Z_E64:
		if (le64(r) < 44 || le64(r) > w->size) {
			zfail(w, "bad zip64 end record size %llu", (unsigned long long)le64(r));
			return;
		}
		w->st = Z_E64V;
		w->need = 8 + 44;
		return;
	case Z_E64V:
		w->skip = le64(r) - 44;
		if (le32(r + 12) != 0 || le32(r + 16) != 0) {
			zfail(w, "split (multi-disk) zip archives are not supported");
			return;
		}
		if (le64(r + 20) != le64(r + 28)) {
			zfail(w, "zip64 end record: %llu entries on this disk, %llu in all (damaged)",
			      (unsigned long long)le64(r + 20), (unsigned long long)le64(r + 28));
			return;
		}
		w->z64_entries = le64(r + 28);
		w->z64_cd_size = le64(r + 36);
		w->z64_cd_off = le64(r + 44);
		expect(w, Z_SIG, 4);
		return;
	case Z_LOC64:
		if (le64(r + 4) != w->e64_pos) {
			zfail(w, "zip64 locator points to %llu, not to the zip64 end record at %llu",
			      (unsigned long long)le64(r + 4), (unsigned long long)w->e64_pos);
			return;
		}
		expect(w, Z_SIG, 4);
		return;
	default:
		break;
	}
	/* the end of central directory record */
	if (le16(r) != 0 || le16(r + 2) != 0) {
		zfail(w, "split (multi-disk) zip archives are not supported");
		return;
	}
	if (le16(r + 4) != le16(r + 6)) {
		zfail(w, "end record: %u entries on this disk, %u in all (damaged)", le16(r + 4), le16(r + 6));
		return;
	}
	entries = le16(r + 6);
	cd_size = le32(r + 8);
	cd_off = le32(r + 12);
	if (w->z64_seen) {
		if (entries == 0xffff)
			entries = w->z64_entries;
		if (cd_size == 0xffffffffu)
			cd_size = w->z64_cd_size;
		if (cd_off == 0xffffffffu)
			cd_off = w->z64_cd_off;
	}
	if (!w->in_cd)
		w->cd_start = w->cd_end;
	if (w->off + le16(r + 16) != w->size) {
		zfail(w, "end record at offset %llu: comment of %u bytes, file has %llu bytes after it",
		      (unsigned long long)(w->off - 22), le16(r + 16), (unsigned long long)(w->size - w->off));
		return;
	}
	if (entries != w->n_cd || cd_off != w->cd_start || cd_size != w->cd_end - w->cd_start) {
		zfail(w, "end record says %llu entries at %llu (%llu bytes), the archive has %llu at %llu (%llu bytes)",
		      (unsigned long long)entries, (unsigned long long)cd_off, (unsigned long long)cd_size,
		      (unsigned long long)w->n_cd, (unsigned long long)w->cd_start,
		      (unsigned long long)(w->cd_end - w->cd_start));
		return;
	}
	if (!w->cd_only && w->n_local != w->n_cd) {
		zfail(w, "%llu local headers but %llu central directory entries", (unsigned long long)w->n_local,
		      (unsigned long long)w->n_cd);
		return;
	}
	w->skip = le16(r + 16);
	w->ended = true;
	expect(w, Z_END, 1);
}

static void act(struct esc_zip_walk *w)
{
	switch (w->st) {
	case Z_SIG: on_sig(w); break;
	case Z_LOCAL: case Z_LOCALV: on_local(w); break;
	case Z_CDH: case Z_CDV:
		on_cd(w);
		/* cd_judge: a fault in a whole entry leaves the walk in step, and
		 * np.load reads the entries after it */
		if (w->failed && !w->spoiled && w->st == Z_CDV && w->ops->cd_judge) {
			w->failed = false;
			w->spoiled = true;
			expect(w, Z_SIG, 4);
		}
		break;
	case Z_END: zfail(w, "bytes after the end of the zip archive"); break;
	default: on_end(w); break;
	}
}

/* The member's first data bytes, as stored (what a reader that takes it as
 * stored sees first). */
static void head_feed(struct esc_zip_walk *w, const uint8_t *b, size_t n)
{
	struct esc_zip_local *l;

	if (w->locals_lost || w->n_local == 0)
		return;
	l = &w->locals[w->n_local - 1];
	for (size_t i = 0; i < n && l->head_len < sizeof l->head; i++)
		l->head[l->head_len++] = b[i];
}

static size_t give(struct esc_zip_walk *w, const uint8_t *b, size_t n)
{
	size_t take = n, used;

	if (w->hunting) {
		bool found = false;
		size_t k;

		head_feed(w, b, n);
		k = esc_zip_hunt(w, b, n, &found);

		if (found)
			member_done(w);
		return k;
	}
	if (w->cur.size_known && take > w->cur_left)
		take = (size_t)w->cur_left;
	head_feed(w, b, take);
	if (!w->cur_wanted) {
		esc_zip_crc_feed(w, b, take);
		w->cur_left -= take;
		if (w->cur_left == 0) {
			esc_zip_crc_end(w, w->cur.csize);
			member_done(w);
		}
		return take;
	}
	used = w->ops->data(w->user, b, take);
	w->cur_given += used;
	if (w->cur.size_known) {
		esc_zip_crc_feed(w, b, used);
		w->cur_left -= used;
		if (used < take || w->cur_left == 0) {
			w->ops->member_end(w->user, &w->cur, w->cur_left == 0);
			w->cur_wanted = false;
			if (w->cur_left == 0) {
				esc_zip_crc_end(w, w->cur.csize);
				member_done(w);
			}
		}
	} else if (used < take) {
		w->ops->member_end(w->user, &w->cur, true);
		w->cur_wanted = false;
		member_done(w);
	}
	return used;
}

static void run(struct esc_zip_walk *w, const uint8_t *b, size_t n)
{
	size_t i = 0, take;
	uint8_t *nr;

	while (i < n && !w->failed && !w->lost) {
		if (w->skip) {
			take = n - i < w->skip ? n - i : (size_t)w->skip;
			w->skip -= take;
		} else if (w->st == Z_LDATA) {
			take = give(w, b + i, n - i);
		} else {
			if (w->need > w->rec_cap) {
				nr = realloc(w->rec, w->need);
				if (!nr) {
					zfail(w, "out of memory");
					return;
				}
				w->rec = nr;
				w->rec_cap = w->need;
			}
			take = w->need - w->have < n - i ? w->need - w->have : n - i;
			memcpy(w->rec + w->have, b + i, take);
			w->have += take;
		}
		i += take;
		w->off += take;
		if (!w->skip && w->st != Z_LDATA && w->have == w->need && w->need)
			act(w);
	}
}

static void capture(struct esc_zip_walk *w, const uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t from = off > w->tail_start ? off : w->tail_start, end = off + len;

	if (!w->tail || end <= from || from > w->tail_start + w->tail_len || end > w->size)
		return;
	memcpy(w->tail + (from - w->tail_start), buf + (from - off), (size_t)(end - from));
	if (end - w->tail_start > w->tail_len)
		w->tail_len = (size_t)(end - w->tail_start);
}

int esc_zip_update(struct esc_zip_walk *w, const uint8_t *buf, size_t len, uint64_t off)
{
	if (w->failed)
		return 1;
	if (!w->lost)
		run(w, buf, len);
	if (w->tail)
		capture(w, buf, len, off);
	return w->failed;
}

/* After losing the thread: find the end record in the captured tail and
 * walk the central directory from there. */
static void from_tail(struct esc_zip_walk *w)
{
	const uint8_t *t = w->tail;
	uint64_t n = w->tail_len, pos, lowest, cd_off = 0, e64;
	bool found = false;

	if (w->tail_start + n != w->size) {
		zfail(w, "zip truncated");
		return;
	}
	lowest = n > EOCD_REGION ? n - EOCD_REGION : 0;
	for (pos = n >= 22 ? n - 22 + 1 : 0; pos-- > lowest;) {
		if (le32(t + pos) == SIG_EOCD && pos + 22 + le16(t + pos + 20) == n) {
			found = true;
			break;
		}
	}
	if (!found) {
		zfail(w, "no zip end record in the last %u bytes", EOCD_REGION);
		return;
	}
	cd_off = le32(t + pos + 16);
	if (pos >= 20 && le32(t + pos - 20) == SIG_LOC64) {
		e64 = le64(t + pos - 20 + 8);
		/* e64 comes from the file: near 2^64, e64 - tail_start + 56 wraps */
		if (e64 < w->tail_start || !esc_fits(e64 - w->tail_start, 56, n)) {
			zfail(w, "zip64 end record outside the checked tail");
			return;
		}
		cd_off = le64(t + (e64 - w->tail_start) + 48);
	}
	if (cd_off < w->tail_start || cd_off > w->size) {
		zfail(w, "central directory at offset %llu is %llu bytes from the end: too large to check "
		      "after a member of unknown size (limit %u)", (unsigned long long)cd_off,
		      (unsigned long long)(w->size - cd_off), ESC_ZIP_TAIL_MAX);
		return;
	}
	w->lost = false;
	w->cd_only = true;
	w->skip = 0;
	w->off = cd_off;
	expect(w, Z_SIG, 4);
	run(w, t + (cd_off - w->tail_start), (size_t)(n - (cd_off - w->tail_start)));
}

int esc_zip_final(struct esc_zip_walk *w, char *reason, size_t rlen)
{
	if (w->cur_wanted) {
		w->ops->member_end(w->user, &w->cur, false); /* the file ended inside it */
		w->cur_wanted = false;
	}
	if (!w->failed && (w->lost || w->hunting)) {
		w->lost = true;
		w->hunting = false;
		from_tail(w);
	}
	if (!w->failed && w->torch_end)
		esc_zip_miniz_end(w);
	if (!w->failed && (!w->ended || w->skip))
		zfail(w, "zip truncated at offset %llu (no complete end record)", (unsigned long long)w->off);
	if (w->spoiled)
		w->failed = true; /* with the first fault's reason */
	if (w->failed) {
		snprintf(reason, rlen, "%s", w->reason);
		return 0;
	}
	return 1;
}
