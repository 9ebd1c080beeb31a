/* bundle_read_stop.c -- the reader's verdict when it stops early, so that
 * the verdict names the outcome: a stream that holds no bag at all is "not
 * a bundle" rather than "tampered", and an unsafe entry does not hide who
 * signed the bundle. */
#include "esc_bundle_read.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define TAGMANIFEST_MAX (64u << 10) /* as the reader bounds them */
#define SIGNATURE_MAX 8192u

/* The stream failed before any payload or tag entry was taken. If it
 * decompresses cleanly to the end and no bag file name appears anywhere in
 * it, the file is not a bundle at all (a zstd'd text file, a plain project
 * tar); otherwise the first failure stands: a damaged bundle. The search is
 * over raw bytes, as the tar may be too odd for the tar reader to go on. */
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
static escrow_status keep_tag(struct esc_rd *rd, struct esc_tarrd *tr, uint64_t size, int tag, uint64_t max)
{
	struct esc_tagfile *t = &rd->tags[tag];
	const void *b;
	size_t got;

	if (t->present || size > max)
		return ESCROW_OK;
	t->buf = malloc((size_t)size + 1);
	if (t->buf == NULL)
		return esc_nomem(rd->ctx);
	t->len = 0;
	while (t->len < (size_t)size && esc_tarrd_data(tr, &b, &got, (size_t)size - t->len) > 0) {
		memcpy(t->buf + t->len, b, got);
		t->len += got;
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

/* What the stream after an unsafe entry says about it: the two manifests
 * stream by once, are hashed, and are searched for the one path. */
struct seek {
	struct esc_rd *rd;
	struct esc_tarrd *tr;
	esc_sha256 *h;
	const char *mf_key, *json_key;       /* the entry's name in each manifest */
	bool mf_read, mf_found, json_read;
	int json_found;
	char *json_type, *json_target, *json_mode;
	uint8_t mf_sha[32], json_sha[32];
	char *line;                          /* a manifest line, bounded */
	size_t len;
	bool overflow, failed;
};

static void mf_line(struct seek *k)
{
	char *p, *dec;

	k->line[k->len] = '\0';
	if (k->len < 67)
		return;
	p = k->line + 64;
	while (*p == ' ' || *p == '\t')
		p++;
	dec = esc_bag_path_decode(p);
	if (dec != NULL && strcmp(dec, k->mf_key) == 0)
		k->mf_found = true;
	free(dec);
}

static escrow_status read_manifest(struct seek *k)
{
	const void *b;
	size_t n;
	int ar;

	esc_sha256_reset(k->h);
	k->len = 0;
	k->overflow = false;
	while ((ar = esc_tarrd_data(k->tr, &b, &n, SIZE_MAX)) > 0) {
		const char *c = b;
		size_t i;

		esc_sha256_update(k->h, b, n);
		for (i = 0; i < n; i++) {
			if (c[i] == '\n') {
				if (!k->overflow)
					mf_line(k);
				k->len = 0;
				k->overflow = false;
			} else if (k->len + 1 < ESC_MANIFEST_LINE_MAX) {
				k->line[k->len++] = c[i];
			} else {
				k->overflow = true;
			}
		}
		if (esc_check_interrupt(k->rd->ctx) != ESCROW_OK)
			return ESCROW_E_INTERRUPTED;
	}
	esc_sha256_final(k->h, k->mf_sha);
	k->mf_read = ar == 0;
	return ESCROW_OK;
}

static int json_pull(void *arg, const void **buf, size_t *len)
{
	struct seek *k = arg;
	int ar;

	*len = 0;
	if (k->failed)
		return -1;
	ar = esc_tarrd_data(k->tr, buf, len, SIZE_MAX);
	if (ar == 0) {
		*len = 0;
		return 0;
	}
	if (ar < 0 || esc_check_interrupt(k->rd->ctx) != ESCROW_OK) {
		k->failed = true;
		*len = 0;
		return -1;
	}
	esc_sha256_update(k->h, *buf, *len);
	return 0;
}

static escrow_status read_json(struct seek *k)
{
	const void *b;
	size_t n;

	esc_sha256_reset(k->h);
	k->failed = false;
	k->json_found = esc_rd_json_find(k->rd, json_pull, k, k->json_key, &k->json_type, &k->json_target,
	                                 &k->json_mode);
	if (k->json_found < 0)
		return esc_nomem(k->rd->ctx);
	while (json_pull(k, &b, &n) == 0 && n > 0)
		;
	esc_sha256_final(k->h, k->json_sha);
	k->json_read = !k->failed;
	if (esc_check_interrupt(k->rd->ctx) != ESCROW_OK)
		return ESCROW_E_INTERRUPTED;
	return ESCROW_OK;
}

/* Whether the tag manifest (whose signature is good) gives `name` the
 * digest `dig`. */
static bool vouched(const struct esc_rd *rd, const char *name, const uint8_t dig[32])
{
	const struct esc_tagfile *tm = &rd->tags[ESC_T_TAGMANIFEST];
	const char *p = tm->buf, *end = tm->buf + tm->len;
	size_t nl = strlen(name);

	while (p < end) {
		const char *e = memchr(p, '\n', (size_t)(end - p));
		const char *q = p + 64;
		uint8_t d[32];

		if (e == NULL)
			e = end;
		if (e - p > 66 && esc_unhex(p, 64, d, 32) == 0) {
			while (q < e && (*q == ' ' || *q == '\t'))
				q++;
			if ((size_t)(e - q) == nl && memcmp(q, name, nl) == 0 && sodium_memcmp(d, dig, 32) == 0)
				return true;
		}
		p = e + 1;
	}
	return false;
}

/* The entry's type as manifest.json would name it, and in words. */
static const char *json_name(char t)
{
	switch (t) {
	case '0': return "file";
	case '1': return "hardlink";
	case '2': return "symlink";
	case '3': return "chardev";
	case '4': return "blockdev";
	case '5': return "dir";
	case '6': return "fifo";
	default: return "?";
	}
}

static const char *type_words(char t)
{
	switch (t) {
	case '0': return "file";
	case '1': return "hard link";
	case '2': return "symlink";
	case '3': return "character device";
	case '4': return "block device";
	case '5': return "folder";
	case '6': return "fifo";
	default: return "entry of an unknown type";
	}
}

/* Signed means listed: in manifest-sha256.txt (a plain file: that list
 * says nothing of modes), or in manifest.json with the same type (and
 * target, for links; mode, for setuid, setgid and sticky bits), each
 * manifest vouched for by the signed tag manifest. */
static bool covered(const struct seek *k, const struct esc_tarent *bad)
{
	bool links = bad->type == '1' || bad->type == '2', special = (bad->perm & 07000u) != 0;
	char mode[8];

	if (k->mf_read && k->mf_found && bad->type == '0' && !special && vouched(k->rd, ESC_TAG_MANIFEST, k->mf_sha))
		return true;
	snprintf(mode, sizeof mode, "%04o", (unsigned)(bad->perm & 07777u));
	return k->json_read && k->json_found == 1 && k->json_type != NULL &&
	       strcmp(k->json_type, json_name(bad->type)) == 0 &&
	       (!links || (bad->link != NULL && k->json_target != NULL && strcmp(bad->link, k->json_target) == 0)) &&
	       (!special || (k->json_mode != NULL && strcmp(k->json_mode, mode) == 0)) &&
	       vouched(k->rd, ESC_TAG_JSON, k->json_sha);
}

/* An unsafe entry stops everything a bundle's content is used for, but the
 * verdict must still say whether the agency signed it: the rest of the
 * stream is read for the tag manifest, its signature and the two manifests
 * (hashed, and searched for the unsafe entry's name only); nothing else is
 * taken from it. Signed by the expected key and listed in a vouched-for
 * manifest: "unsafe" stands, with a good signature. Signed but listed
 * nowhere: inserted after signing, "tampered". Not signed by the key:
 * "bad-signature". No signature after it: "tampered" (nobody vouched for it). */
escrow_status esc_rd_unsafe_signed(struct esc_rd *rd, struct esc_tarrd *tr, escrow_status st,
                                   const struct esc_tarent *bad)
{
	struct esc_tarent e = {0};
	char msg[ESC_ERRLEN];
	const char *why = msg;
	size_t bl = rd->bag ? strlen(rd->bag) : 0;
	escrow_status sst = ESCROW_OK;
	struct seek k;

	snprintf(msg, sizeof msg, "%s", esc_ctx_message(rd->ctx));
	esc_clipf(rd->integrity_reason, sizeof rd->integrity_reason, "the checks stopped at the unsafe entry");
	memset(&k, 0, sizeof k);
	k.rd = rd;
	k.tr = tr;
	if (bad != NULL && bad->path != NULL && rd->key != NULL && bl > 0) {
		/* Manifest names are relative to the bag (manifest.json's to
		 * data/); a name outside the bag is looked for as it stands. */
		k.mf_key = bad->path;
		if (strncmp(k.mf_key, rd->bag, bl) == 0 && k.mf_key[bl] == '/')
			k.mf_key += bl + 1;
		k.json_key = strncmp(k.mf_key, "data/", 5) == 0 ? k.mf_key + 5 : k.mf_key;
		k.h = esc_sha256_new();
		k.line = malloc(ESC_MANIFEST_LINE_MAX);
		if (k.h == NULL || k.line == NULL)
			sst = esc_nomem(rd->ctx);
	}
	while (rd->key != NULL && bl > 0 && sst == ESCROW_OK && esc_tarrd_next(tr, &e) > 0) {
		const char *p = e.path;

		free(e.link);
		e.link = NULL;
		if (strncmp(p, rd->bag, bl) != 0 || p[bl] != '/' || e.type != '0') {
			free(e.path);
			continue;
		}
		if (strcmp(p + bl + 1, ESC_TAG_TAGMANIFEST) == 0)
			sst = keep_tag(rd, tr, e.size, ESC_T_TAGMANIFEST, TAGMANIFEST_MAX);
		else if (strcmp(p + bl + 1, ESC_TAG_SIGNATURE) == 0)
			sst = keep_tag(rd, tr, e.size, ESC_T_SIGNATURE, SIGNATURE_MAX);
		else if (k.h != NULL && !k.mf_read && strcmp(p + bl + 1, ESC_TAG_MANIFEST) == 0)
			sst = read_manifest(&k);
		else if (k.h != NULL && !k.json_read && k.json_found == 0 && strcmp(p + bl + 1, ESC_TAG_JSON) == 0)
			sst = read_json(&k);
		free(e.path);
	}
	if (sst != ESCROW_OK || rd->key == NULL)
		goto out;
	if (!rd->tags[ESC_T_TAGMANIFEST].present || !rd->tags[ESC_T_SIGNATURE].present) {
		/* Nobody vouched for it: "unsafe" is for what the key signed. */
		if (strncmp(why, rd->path, strlen(rd->path)) == 0 && strncmp(why + strlen(rd->path), ": ", 2) == 0)
			why += strlen(rd->path) + 2;
		sst = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: no signed tag manifest follows an unsafe entry: %s",
		                rd->path, why);
		rd->integrity_failed = true;
		esc_clipf(rd->integrity_reason, sizeof rd->integrity_reason, "%s", esc_ctx_message(rd->ctx));
		goto out;
	}
	sst = esc_rd_check_signature(rd);
	if (sst == ESCROW_BAD_SIGNATURE)
		esc_clipf(rd->integrity_reason, sizeof rd->integrity_reason, "the checks stopped at an unsafe entry: "
		         "%s", msg);
	if (sst != ESCROW_OK || k.h == NULL)
		goto out;
	if (!covered(&k, bad)) {
		/* Not the signer's: someone added it after signing. */
		if (strncmp(why, rd->path, strlen(rd->path)) == 0 && strncmp(why + strlen(rd->path), ": ", 2) == 0)
			why += strlen(rd->path) + 2;
		sst = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: an entry that no signed manifest lists: %s (a %s); "
		                "it was added after signing, and it is unsafe: %s", rd->path, bad->path,
		                type_words(bad->type), why);
		rd->integrity_failed = true;
		esc_clipf(rd->integrity_reason, sizeof rd->integrity_reason, "%s", esc_ctx_message(rd->ctx));
	}
out:
	esc_sha256_free(k.h);
	free(k.line);
	free(k.json_type);
	free(k.json_target);
	free(k.json_mode);
	if (sst == ESCROW_OK)
		return esc_error(rd->ctx, st, "%s", msg);
	return sst;
}
