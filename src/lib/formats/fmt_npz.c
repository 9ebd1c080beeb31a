/* fmt_npz.c -- NumPy .npz: a zip whose members are all .npy files. Every
 * member gets the full .npy check, pickled object arrays included, whether
 * stored (np.savez) or deflated (np.savez_compressed): a deflated member is
 * inflated only as far as the check needs (the header, or the pickle). A
 * member whose size only its data descriptor gives (written to a stream)
 * has its header and pickle checked, not its length.
 * np.load opens any zip, whatever its name, and reads any member that starts
 * with the .npy magic as an array, whatever the member's name (a key
 * without ".npy"): every zip is walked here, and the pickle of every such
 * member is scanned, after a member that fails too; only .npy members make
 * the format. Every central directory entry is judged as np.load reads it
 * (npz_judge), also those after a fault in the zip that np.load would not
 * meet: a non-.npy member, an encrypted one, a method that differs from the
 * local header's. */
#include "formats/esc_fmt.h"
#include "formats/esc_npy.h"
#include "formats/esc_zip.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

struct npz_state {
	struct esc_zip_walk zw;
	struct esc_npy npy;
	struct esc_inflate inf;
	uint64_t inflated;             /* over all members (ESC_INFLATE_FILE_MAX) */
	bool in_member, deflated, failed;
	bool named;                    /* the member's name ends with .npy */
	struct esc_inspection found;   /* pickle verdicts of object members */
	char reason[224];
};

/* A member np.load would read, whose pickle the scan did not see. */
static void unscanned(struct npz_state *z, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void unscanned(struct npz_state *z, const char *fmt, ...)
{
	char msg[224];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	esc_insp_pickle_merge(&z->found, ESC_PICKLE_DANGEROUS, msg);
}

/* What one member inflated to, against the file's ESC_INFLATE_FILE_MAX. */
static void count_inflated(struct npz_state *z, const struct esc_inflate *f)
{
	z->inflated += f->out_total < ESC_INFLATE_FILE_MAX - z->inflated ? f->out_total
	                                                                 : ESC_INFLATE_FILE_MAX - z->inflated;
}

static bool npz_member(void *u, const struct esc_zip_entry *e)
{
	struct npz_state *z = u;

	z->named = esc_zip_name_ends(e->name, e->name_len, ".npy");
	if (e->method != 0 && e->method != 8) {
		/* another member's method counts as the central directory gives
		 * it (npz_judge): zipfile reads that one */
		if (!z->named)
			return false;
		/* Python's zipfile reads bzip2 and lzma too: np.load would run a
		 * pickle the scan cannot read */
		unscanned(z, "%.60s: compressed with method %u: not scanned", e->name, e->method);
		if (!z->failed)
			snprintf(z->reason, sizeof z->reason, "%.60s: compressed with method %u (numpy writes 0 or 8)",
			         e->name, e->method);
		z->failed = true;
		return false;
	}
	z->deflated = e->method == 8;
	if (z->deflated && !esc_inflate_init(&z->inf, ESC_INFLATE_FILE_MAX - z->inflated)) {
		unscanned(z, "%.60s: not scanned (%s)", e->name, z->inf.err);
		if (z->named && !z->failed)
			snprintf(z->reason, sizeof z->reason, "%.60s: %s", e->name, z->inf.err);
		z->failed = z->failed || z->named;
		z->deflated = false;
		return false;
	}
	esc_npy_init(&z->npy, e->size_known ? e->usize : UINT64_MAX);
	z->in_member = true;
	return true;
}

static int to_npy(void *u, const uint8_t *b, size_t n)
{
	return esc_npy_update(u, b, n);
}

static size_t npz_data(void *u, const uint8_t *buf, size_t len)
{
	struct npz_state *z = u;
	size_t used;

	if (!z->deflated)
		return esc_npy_update(&z->npy, buf, len) ? 0 : len;
	used = esc_inflate_feed(&z->inf, buf, len, to_npy, &z->npy);
	return z->inf.ended || z->inf.failed ? (used < len ? used : 0) : used;
}

static void npz_member_end(void *u, const struct esc_zip_entry *e, bool complete)
{
	struct npz_state *z = u;
	char why[200];

	/* another member is an array only when it starts with the magic; it is
	 * not part of the format either way (npz_entry) */
	if (z->named && z->deflated && z->inf.failed && !z->failed) {
		snprintf(z->reason, sizeof z->reason, "%.60s: %s", e->name, z->inf.err);
		z->failed = true;
	}
	if (z->named && e->size_known && !esc_npy_final(&z->npy, why, sizeof why) && !z->failed) {
		snprintf(z->reason, sizeof z->reason, "%.60s: %.150s", e->name, why);
		z->failed = true;
	}
	esc_npy_report(&z->npy, &z->found);
	esc_npy_release(&z->npy);
	if (z->deflated) {
		count_inflated(z, &z->inf);
		esc_inflate_end(&z->inf);
	}
	z->deflated = false;
	z->in_member = false;
}

/* A member the walk did not meet, read from the tail's copy as np.load
 * reads it: stored, or inflated. */
static void npz_scan_bytes(struct npz_state *z, const struct esc_zip_entry *e, const struct esc_zip_bytes *mb)
{
	struct esc_npy npy;
	struct esc_inflate inf;

	esc_npy_init(&npy, e->usize);
	if (e->method == 8) {
		if (!esc_inflate_init(&inf, ESC_INFLATE_FILE_MAX - z->inflated)) {
			unscanned(z, "%.60s: not scanned (%s)", e->name, inf.err);
			return;
		}
		esc_inflate_feed(&inf, mb->data, mb->len, to_npy, &npy);
		count_inflated(z, &inf);
		esc_inflate_end(&inf);
	} else {
		esc_npy_update(&npy, mb->data, (uint64_t)mb->len < e->usize ? mb->len : (size_t)e->usize);
	}
	esc_npy_report(&npy, &z->found);
	esc_npy_release(&npy);
}

/* Every central directory entry, whatever is wrong with the others: np.load
 * (Python's zipfile) reads the member it is asked for at the offset the
 * entry gives, through the entry's method, and takes it for an array when
 * it starts with the .npy magic, whatever its name. What the walk scanned
 * is the local header's view; where the two differ, what np.load reads was
 * not scanned. (A torch checkpoint's local methods, which miniz ignores,
 * may differ too: read as stored, its members start with no magic.) */
static void npz_judge(void *u, const struct esc_zip_entry *e, const struct esc_zip_local *l, enum esc_zip_seen seen,
                      const struct esc_zip_bytes *mb)
{
	struct npz_state *z = u;
	static const uint8_t magic[6] = {0x93, 'N', 'U', 'M', 'P', 'Y'};

	if (e->method != 0 && e->method != 8) {
		/* zipfile inflates bzip2 and lzma too */
		unscanned(z, "%.60s: compressed with method %u: not scanned", e->name, e->method);
	} else if (seen == ESC_ZIP_SEEN_ALL && l == NULL) {
		unscanned(z, "%.60s: the central directory points where no member starts (offset %llu): not scanned",
		          e->name, (unsigned long long)e->local_off);
	} else if (seen == ESC_ZIP_SEEN_SOME && (l == NULL || !l->done)) {
		/* after the walk lost its place: read it as zipfile does */
		if (mb->status == ESC_ZIP_BYTES_OK)
			npz_scan_bytes(z, e, mb);
		else if (mb->status == ESC_ZIP_BYTES_NONE)
			unscanned(z, "%.60s: past where the walk lost its place in the zip: not scanned", e->name);
		/* (REFUSED: zipfile reads nothing of it) */
	} else if (l != NULL && l->size_known && l->declared_usize != e->usize) {
		/* the scan took the local header's size for the member's */
		unscanned(z, "%.60s: %llu bytes in the central directory, %llu in the local header: what np.load "
		          "reads was not scanned", e->name, (unsigned long long)e->usize,
		          (unsigned long long)l->declared_usize);
	} else if (l != NULL && l->done && l->csize != e->csize) {
		unscanned(z, "%.60s: %llu bytes in the central directory, %llu in the local walk: what np.load "
		          "reads was not scanned", e->name, (unsigned long long)e->csize, (unsigned long long)l->csize);
	} else if (l != NULL && l->method != e->method &&
	           (e->method == 8 || (l->head_len == sizeof magic && memcmp(l->head, magic, sizeof magic) == 0))) {
		unscanned(z, "%.60s: method %u in the central directory, %u in the local header: what np.load reads "
		          "was not scanned", e->name, e->method, l->method);
	}
}

static int npz_entry(void *u, const struct esc_zip_entry *e, char *reason, size_t rlen)
{
	(void)u;
	/* not an npz, but walked on: npz_judge sees the entries after it */
	if (!esc_zip_name_ends(e->name, e->name_len, ".npy")) {
		snprintf(reason, rlen, "%s: not a .npy member", e->name);
		return 0;
	}
	return 1;
}

static const struct esc_zip_ops npz_ops = {
	.member = npz_member,
	.data = npz_data,
	.member_end = npz_member_end,
	.cd_entry = npz_entry,
	.cd_judge = npz_judge,
};

static void npz_init(void *st, const char *path, uint64_t size)
{
	struct npz_state *z = st;

	memset(z, 0, sizeof *z);
	esc_zip_init(&z->zw, size, &npz_ops, z);
}

static int npz_update(void *st, const uint8_t *buf, size_t len, uint64_t off)
{
	struct npz_state *z = st;

	return esc_zip_update(&z->zw, buf, len, off);
}

static int npz_final(void *st, char *reason, size_t rlen)
{
	struct npz_state *z = st;
	/* always: a walk that lost its place judges the central directory
	 * from the file's tail here */
	int ok = esc_zip_final(&z->zw, reason, rlen);

	if (z->failed) {
		snprintf(reason, rlen, "%s", z->reason);
		return 0;
	}
	return ok;
}

static void npz_report(void *st, struct esc_inspection *out)
{
	struct npz_state *z = st;

	if (z->found.pickle != ESC_PICKLE_NONE)
		esc_insp_pickle_merge(out, z->found.pickle, z->found.pickle_imports);
}

static void npz_release(void *st)
{
	struct npz_state *z = st;

	if (z->in_member)
		esc_npy_release(&z->npy);
	if (z->deflated)
		esc_inflate_end(&z->inf);
	z->deflated = false;
	z->in_member = false;
	esc_zip_release(&z->zw);
}

/* Any zip: np.load reads arrays from members of any name. */
static int npz_sniff(const uint8_t *h, size_t len, uint64_t size)
{
	return len >= 4 && memcmp(h, "PK\x03\x04", 4) == 0;
}

const struct esc_fmt_ops esc_fmt_npz = {
	.fmt = ESC_FMT_NPZ,
	.state_size = sizeof(struct npz_state),
	.init = npz_init,
	.update = npz_update,
	.final = npz_final,
	.sniff = npz_sniff,
	.release = npz_release,
	.report = npz_report,
};
