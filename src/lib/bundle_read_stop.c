/* bundle_read_stop.c -- the reader's verdict when it stops early, so that
 * the verdict names the outcome: a stream that holds no bag at all is "not
 * a bundle" rather than "tampered", and an unsafe entry does not hide who
 * signed the bundle. */
#include "esc_bundle_read.h"

#include <archive.h>
#include <archive_entry.h>
#include <stdlib.h>
#include <string.h>

#define TAGMANIFEST_MAX (64u << 10) /* as the reader bounds them */
#define SIGNATURE_MAX 8192u

/* The stream failed before any payload or tag entry was taken. If it
 * decompresses cleanly to the end and no bag file name appears anywhere in
 * it, the file is not a bundle at all (a zstd'd text file, a plain project
 * tar); otherwise the first failure stands: a damaged bundle. The search is
 * over raw bytes, as the tar may be too odd for libarchive to go on. */
escrow_status esc_rd_not_a_bag(struct esc_rd *rd, esc_pipe *p, const struct esc_rd_head *h, escrow_status st)
{
	char msg[ESC_ERRLEN], what[96];
	bool bag = h->bag_mark, sealed;
	const void *b;
	long n;

	snprintf(msg, sizeof msg, "%s", esc_ctx_message(rd->ctx));
	do {
		n = esc_pipe_next(p, &b);
		if (n > 0 && !bag)
			bag = esc_sniff_bag_mark(b, (size_t)n);
		if (esc_check_interrupt(rd->ctx) != ESCROW_OK)
			return ESCROW_E_INTERRUPTED;
	} while (n > 0);
	if (n < 0)
		return esc_pipe_status(rd->ctx, p);
	if (bag)
		return esc_error(rd->ctx, st, "%s", msg);
	sealed = esc_pipe_sealed(p);
	esc_sniff(h->head, h->len, what, sizeof what);
	if (h->len == 0)
		snprintf(rd->looks_like, sizeof rd->looks_like, "%s of nothing (an empty stream)",
		         sealed ? "an age-encrypted zstd stream" : "a zstd stream");
	else if (h->first[0] != '\0' || strcmp(what, "a tar archive") == 0 || strcmp(what, "zero bytes only") == 0)
		snprintf(rd->looks_like, sizeof rd->looks_like, "%s tar archive with no BagIt bag in it%s%.60s%s",
		         sealed ? "an age-encrypted, zstd-compressed" : "a zstd-compressed",
		         h->first[0] ? " (first entry '" : "", h->first, h->first[0] ? "')" : "");
	else
		snprintf(rd->looks_like, sizeof rd->looks_like, "%s holding %s, not a tar archive",
		         sealed ? "an age-encrypted zstd stream" : "a zstd stream", what);
	return esc_error(rd->ctx, ESCROW_NOT_A_BUNDLE, "%s is not an escrow bundle: it is %s", rd->path,
	                 rd->looks_like);
}

/* A tag file's data, read when nothing else is (after an unsafe entry);
 * one that cannot be read whole is left absent. */
static escrow_status keep_tag(struct esc_rd *rd, struct archive *a, struct archive_entry *e, int tag,
                              uint64_t max)
{
	struct esc_tagfile *t = &rd->tags[tag];
	int64_t size = archive_entry_size(e);
	la_ssize_t got;

	if (t->present || size < 0 || (uint64_t)size > max)
		return ESCROW_OK;
	t->buf = malloc((size_t)size + 1);
	if (t->buf == NULL)
		return esc_error(rd->ctx, ESCROW_E_NOMEM, "out of memory");
	t->len = 0;
	while (t->len < (size_t)size) {
		got = archive_read_data(a, t->buf + t->len, (size_t)size - t->len);
		if (got <= 0)
			break;
		t->len += (size_t)got;
	}
	if (t->len != (size_t)size) {
		free(t->buf);
		t->buf = NULL;
		t->len = 0;
		return ESCROW_OK;
	}
	t->buf[t->len] = '\0';
	t->present = true;
	return ESCROW_OK;
}

/* An unsafe entry stops everything a bundle's content is used for, but the
 * verdict must still say whether the agency signed it: the rest of the
 * stream is read for the tag manifest and its signature only, nothing else
 * is taken from it. Signed by the expected key: "unsafe" stands, with a
 * good signature. Not: "bad-signature". Never reached: "unsafe", with the
 * signature not checked. */
escrow_status esc_rd_unsafe_signed(struct esc_rd *rd, struct archive *a, escrow_status st)
{
	struct archive_entry *e;
	char msg[ESC_ERRLEN];
	size_t bl = rd->bag ? strlen(rd->bag) : 0;
	escrow_status sst = ESCROW_OK;

	snprintf(msg, sizeof msg, "%s", esc_ctx_message(rd->ctx));
	snprintf(rd->integrity_reason, sizeof rd->integrity_reason, "the checks stopped at the unsafe entry");
	while (rd->key != NULL && bl > 0 && sst == ESCROW_OK && archive_read_next_header(a, &e) == ARCHIVE_OK) {
		const char *p = archive_entry_pathname(e);

		if (p == NULL || strncmp(p, rd->bag, bl) != 0 || p[bl] != '/' || archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (strcmp(p + bl + 1, ESC_TAG_TAGMANIFEST) == 0)
			sst = keep_tag(rd, a, e, ESC_T_TAGMANIFEST, TAGMANIFEST_MAX);
		else if (strcmp(p + bl + 1, ESC_TAG_SIGNATURE) == 0)
			sst = keep_tag(rd, a, e, ESC_T_SIGNATURE, SIGNATURE_MAX);
	}
	if (sst != ESCROW_OK)
		return sst;
	if (rd->key == NULL || !rd->tags[ESC_T_TAGMANIFEST].present || !rd->tags[ESC_T_SIGNATURE].present)
		return esc_error(rd->ctx, st, "%s", msg);
	sst = esc_rd_check_signature(rd);
	if (sst == ESCROW_OK)
		return esc_error(rd->ctx, st, "%s", msg);
	if (sst == ESCROW_BAD_SIGNATURE)
		snprintf(rd->integrity_reason, sizeof rd->integrity_reason, "the checks stopped at an unsafe entry: "
		         "%.400s", msg);
	return sst;
}
