/* bundle_read.c -- one pass over a bundle's tar stream. Every entry's path,
 * type and mode are judged before anything is done with it; payload files
 * are hashed and inspected as they stream by (in place, from the decoded
 * buffers: bundle_read_next.c; an entry's own work in bundle_read_payload.c);
 * the tag files, whose sizes are bounded, are kept for the end checks in
 * bundle_read_check.c. */
#include "esc_bundle_run.h"
#include "esc_locale.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct {
	const char *name;
	int tag;            /* enum esc_tag, or -1 for the escrow/ folder */
	bool optional;
} tag_order[] = {
	{ESC_TAG_BAGIT, ESC_T_BAGIT, false},
	{ESC_TAG_BAGINFO, ESC_T_BAGINFO, false},
	{ESC_TAG_MANIFEST, ESC_T_MANIFEST, false},
	{"escrow", -1, false},
	{ESC_TAG_JSON, ESC_T_JSON, false},
	{ESC_TAG_CONTRACT, ESC_T_CONTRACT, true},
	{ESC_TAG_TAGMANIFEST, ESC_T_TAGMANIFEST, false},
	{ESC_TAG_SIGNATURE, ESC_T_SIGNATURE, false},
};
#define N_TAGS (sizeof tag_order / sizeof tag_order[0])

/* Before any payload or tag entry is taken, buffers are searched for a bag's
 * file name: a stream that fails there is told apart from one that holds no
 * bag at all (see esc_rd_not_a_bag). */
static void look_for_bag(struct run *r, const void *buf, size_t n)
{
	if (!r->bag_mark && r->rd->n_rec == 0 && r->next_tag == 0 &&
	    esc_sniff_bag_mark(buf, n))
		r->bag_mark = true;
}

/* Bytes of the bundle file read, of its size: once per 1 MiB buffer of tar
 * stream, in this (the caller's) thread. */
static void progress(struct run *r)
{
	uint64_t raw, total;

	esc_pipe_position(r->pipe, &raw, &total);
	esc_progress_ex(r->ctx, ESCROW_PHASE_READ, r->rd->path, r->rd->n_files, ESCROW_UNKNOWN, raw, total);
}

/* The last call: when the file was read to its end, what was read is the
 * total (also of a stream), and so are the files. */
static void progress_end(struct run *r, bool whole)
{
	struct esc_rd *rd = r->rd;
	uint64_t raw, total;

	esc_pipe_position(r->pipe, &raw, &total);
	if (whole)
		raw = total = rd->whole_size;
	esc_progress_ex(r->ctx, ESCROW_PHASE_READ | ESCROW_PROGRESS_END, rd->path, rd->n_files,
	                whole && rd->structure_ok ? rd->n_files : ESCROW_UNKNOWN, raw, total);
}

void esc_run_hash_sync(struct run *r)
{
	size_t i;

	esc_thash_wait(r->th);
	for (i = 0; i < r->npend; i++)
		esc_rd_put_sha256(r->rd, r->pend[i].idx, esc_thash_digest(r->th, r->pend[i].ticket));
	r->npend = 0;
}

/* The tar reader's next buffer. */
static long more(void *user, const void **buf)
{
	struct run *r = user;
	long n;

	esc_run_hash_sync(r); /* the slices it hashes lie in the buffer let go now */
	n = esc_pipe_next(r->pipe, buf);

	if (n > 0 && r->head_len < sizeof r->head) {
		size_t k = sizeof r->head - r->head_len < (size_t)n ? sizeof r->head - r->head_len : (size_t)n;

		memcpy(r->head + r->head_len, *buf, k);
		r->head_len += k;
	}
	if (n > 0) {
		look_for_bag(r, *buf, (size_t)n);
		progress(r);
	}
	return n;
}

/* The tar reader failed: the producer's failure explains it better if there is one. */
static escrow_status tar_fail(struct run *r, const char *what)
{
	escrow_status st = esc_pipe_status(r->ctx, r->pipe);

	if (st != ESCROW_OK)
		return st;
	/* The machine's failure, not the bundle's: never called tampering. */
	if (strcmp(r->tr.scan.why, "out of memory") == 0)
		return esc_nomem(r->ctx);
	if (r->tr.fail == ESC_TR_SCAN)
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: tar stream: %s", r->rd->path, r->tr.scan.why);
	return esc_error(r->ctx, ESCROW_TAMPERED, "%s: corrupt tar stream %s: Truncated tar archive", r->rd->path,
	                 r->tr.short_in_data ? "in file data" : what);
}

static bool bag_name_ok(const char *s)
{
	if (*s == '\0' || strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= 'A' && *s <= 'Z') || (*s >= '0' && *s <= '9') ||
		      *s == '.' || *s == '_' || *s == '-'))
			return false;
	return true;
}

static const char *type_name(char t)
{
	switch (t) {
	case '3': return "character device";
	case '4': return "block device";
	case '6': return "fifo";
	default: return "unknown entry type";
	}
}

/* The length of the longest name (segment) of a path. */
static size_t longest_name(const char *path)
{
	size_t best = 0;

	while (*path != '\0') {
		size_t n = strcspn(path, "/");

		if (n > best)
			best = n;
		path += n;
		if (*path == '/')
			path++;
	}
	return best;
}

/* Everything about an entry that can be judged from its header alone (the
 * scanner refused already what a bundle's headers never carry: sizes on
 * anything but files, pax records other than path, linkpath, size and
 * mtime, so no sparse maps, xattrs, ACLs or access times). */
static escrow_status check_header(struct run *r, char *path, char *type)
{
	const char *name = r->rd->path;
	size_t n = strlen(path);
	unsigned perm = r->cur.perm & 07777u;

	*type = r->cur.type;
	if (n > ESC_TAR_MAX_NAME)
		return esc_error(r->ctx, ESCROW_UNSAFE, "%s: entry path longer than %u bytes", name, ESC_TAR_MAX_NAME);
	if (!esc_path_is_safe_n(path, ESC_TAR_MAX_NAME))
		return esc_error(r->ctx, ESCROW_UNSAFE, "%s: unsafe path '%s' in the bundle", name, path);
	/* past the bag's folder (NAME-RELEASE, which extract does not make:
	 * the bag is -C DIR), each name is one a file system can hold */
	if (strchr(path, '/') != NULL && longest_name(strchr(path, '/') + 1) > ESC_NAME_MAX)
		return esc_error(r->ctx, ESCROW_UNSAFE, "%s: '%s' holds a name of %zu bytes: no file system holds more "
		                 "than %u (NAME_MAX), so it could not be extracted, and pack never writes one", name, path,
		                 longest_name(strchr(path, '/') + 1), ESC_NAME_MAX);
	if (*type == '1')
		return esc_error(r->ctx, ESCROW_UNSAFE, "%s: '%s' is a hard link (not allowed in a bundle)", name,
		                 path);
	if (*type != '0' && *type != '5' && *type != '2')
		return esc_error(r->ctx, ESCROW_UNSAFE, "%s: '%s' is a %s (not allowed in a bundle)", name, path,
		                 type_name(*type));
	if (perm & 07000u)
		return esc_error(r->ctx, ESCROW_UNSAFE, "%s: '%s' has setuid, setgid or sticky bits (mode %04o)",
		                 name, path, perm);
	if ((*type == '0' && perm != 0644 && perm != 0755) || (*type == '5' && perm != 0755) ||
	    (*type == '2' && perm != 0777))
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: '%s' has mode %04o (bundles hold only 0644 and "
		                 "0755, and 0777 for symlinks)", name, path, perm);
	return ESCROW_OK;
}

escrow_status esc_run_read_data(struct run *r, const char *path, uint64_t size,
                               escrow_status (*fn)(struct run *, void *, const void *, size_t), void *arg)
{
	uint64_t got = 0;

	for (;;) {
		const void *buf;
		size_t len;
		int k = esc_tarrd_data(&r->tr, &buf, &len, SIZE_MAX);
		escrow_status st;

		if (k == 0)
			break;
		if (k < 0)
			return tar_fail(r, "in file data");
		if (len > size - got)
			return esc_error(r->ctx, ESCROW_TAMPERED, "%s: '%s': data does not match its size", r->rd->path,
			                 path);
		got += len;
		st = fn(r, arg, buf, len);
		if (st != ESCROW_OK)
			return st;
		st = esc_check_interrupt(r->ctx);
		if (st != ESCROW_OK)
			return st;
	}
	if (got != size)
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: '%s' is truncated", r->rd->path, path);
	return ESCROW_OK;
}

/* A tag file's bytes into its digest. */
static void tag_hash(struct run *r, const void *buf, size_t len)
{
	if (r->th_on)
		esc_thash_update(r->th, buf, len);
	else
		esc_sha256_update(r->h, buf, len);
}

static escrow_status tag_block(struct run *r, void *arg, const void *buf, size_t len)
{
	struct esc_tagfile *t = arg;

	memcpy(t->buf + t->len, buf, len);
	t->len += len;
	esc_sha256_update(r->h, buf, len);
	return ESCROW_OK;
}

/* manifest-sha256.txt is checked as it streams by, never kept (extract
 * keeps a copy in an unlinked temporary file to write it out at the end). */
static escrow_status manifest_block(struct run *r, void *arg, const void *buf, size_t len)
{
	struct esc_tagfile *t = arg;

	tag_hash(r, buf, len);
	esc_rd_manifest_feed(r->rd, buf, len);
	t->len += len;
	if (t->spill != NULL && fwrite(buf, 1, len, t->spill) != len)
		return esc_error(r->ctx, ESCROW_E_IO, "%s: cannot keep a copy of %s in a temporary file", r->rd->path,
		                 ESC_TAG_MANIFEST);
	return ESCROW_OK;
}

/* manifest.json's blocks, pulled by its streaming check: hashed, copied to
 * the spill file when one is kept. Handed out in slices of at most
 * JSON_SLICE bytes: the check copies what it is handed into its window,
 * which need then be no larger than an entry and a slice. */
#define JSON_SLICE (64u << 10)
struct jpull {
	struct run *r;
	struct esc_tagfile *t;
	const char *name;
	uint64_t size;
	escrow_status st;
	bool end;
	uint64_t read;                  /* bytes read so far */
};

static int json_pull(void *arg, const void **buf, size_t *len)
{
	struct jpull *jp = arg;
	struct run *r = jp->r;
	size_t n;
	int k;

	*len = 0;
	if (jp->st != ESCROW_OK)
		return -1;
	if (jp->end)
		return 0;
	k = esc_tarrd_data(&r->tr, buf, &n, JSON_SLICE);
	if (k == 0) {
		jp->end = true;
		if (jp->read != jp->size)
			jp->st = esc_error(r->ctx, ESCROW_TAMPERED, "%s: '%s' is truncated", r->rd->path, jp->name);
		return jp->st == ESCROW_OK ? 0 : -1;
	}
	if (k < 0)
		jp->st = tar_fail(r, "in file data");
	else if (n > jp->size - jp->read)
		jp->st = esc_error(r->ctx, ESCROW_TAMPERED, "%s: '%s': data does not match its size", r->rd->path,
		                   jp->name);
	else if (jp->t->spill != NULL && fwrite(*buf, 1, n, jp->t->spill) != n)
		jp->st = esc_error(r->ctx, ESCROW_E_IO, "%s: cannot keep a copy of %s in a temporary file", r->rd->path,
		                   ESC_TAG_JSON);
	else
		jp->st = esc_check_interrupt(r->ctx);
	if (jp->st != ESCROW_OK)
		return -1;
	jp->read += n;
	tag_hash(r, *buf, n);
	jp->t->len += n;
	*len = n;
	return 0;
}

/* Bounds for tag files: small ones fixed, the manifests in proportion to the
 * payload they describe (so a hostile size cannot make us allocate much). */
static uint64_t tag_max(const struct run *r, int tag)
{
	uint64_t n = r->rd->n_rec;

	switch (tag) {
	case ESC_T_BAGIT: return 1024;
	case ESC_T_BAGINFO: return 1u << 20;
	case ESC_T_MANIFEST: return (1u << 20) + n * 80 + r->path_bytes * 3;
	case ESC_T_JSON: return (1u << 20) + n * 2048 + r->path_bytes * 6;
	case ESC_T_CONTRACT: return 4u << 20;
	case ESC_T_TAGMANIFEST: return 64u << 10;
	default: return 8192;
	}
}

static escrow_status tag_entry(struct run *r, const char *rest, char type)
{
	struct esc_rd *rd = r->rd;
	struct esc_tagfile *t;
	uint64_t size;
	escrow_status st;

	while (r->next_tag < N_TAGS && tag_order[r->next_tag].optional &&
	       strcmp(rest, tag_order[r->next_tag].name) != 0)
		r->next_tag++;
	if (r->next_tag >= N_TAGS)
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: entry '%s/%s' after the signature (the signature must "
		                 "be last)", rd->path, rd->bag, rest);
	if (strcmp(rest, tag_order[r->next_tag].name) != 0)
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: unexpected entry '%s/%s' (expected '%s/%s' here)",
		                 rd->path, rd->bag, rest, rd->bag, tag_order[r->next_tag].name);
	if ((tag_order[r->next_tag].tag < 0) != (type == '5') || type == '2')
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: '%s/%s' has the wrong entry type", rd->path, rd->bag,
		                 rest);
	if (type == '0' && r->cur.perm != 0644)
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: tag file '%s/%s' has mode %04o (the writer makes "
		                 "them 0644)", rd->path, rd->bag, rest, (unsigned)r->cur.perm);
	if (tag_order[r->next_tag].tag < 0) {
		rd->dir_mtime[2] = r->cur.mtime;
		r->next_tag++;
		return ESCROW_OK;
	}
	t = &rd->tags[tag_order[r->next_tag].tag];
	size = r->cur.size;
	if (size > tag_max(r, tag_order[r->next_tag].tag))
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: tag file '%s' is %llu bytes, far more than its "
		                 "payload needs", rd->path, rest, (unsigned long long)size);
	if (tag_order[r->next_tag].tag == ESC_T_SIGNATURE)
		r->sig_end = (int64_t)(r->tr.off + ((size + 511) & ~(uint64_t)511));
	r->next_tag++;
	t->len = 0;
	t->mtime = r->cur.mtime;
	esc_sha256_reset(r->h);
	if ((t == &rd->tags[ESC_T_JSON] || t == &rd->tags[ESC_T_MANIFEST]) && esc_run_hash_thread(r)) {
		esc_thash_begin(r->th);
		r->th_on = true;
	}
	if (t == &rd->tags[ESC_T_JSON]) {
		struct jpull jp = {r, t, rest, size, ESCROW_OK, false, 0};
		const void *b;
		size_t n;

		if (rd->spill_tags && (t->spill = tmpfile()) == NULL)
			return esc_error(r->ctx, ESCROW_E_IO, "%s: cannot create a temporary file for %s", rd->path, rest);
		st = esc_rd_json_stream(rd, json_pull, &jp);
		if (st != ESCROW_OK)
			return st;
		/* The rest, when the check stopped early: still hashed. */
		while (json_pull(&jp, &b, &n) == 0 && n > 0)
			;
		if (jp.st != ESCROW_OK)
			return jp.st;
		if (t->spill != NULL && (fflush(t->spill) != 0 || ferror(t->spill)))
			return esc_error(r->ctx, ESCROW_E_IO, "%s: cannot keep a copy of %s in a temporary file", rd->path,
			                 rest);
	} else if (t == &rd->tags[ESC_T_MANIFEST]) {
		if (rd->spill_tags && (t->spill = tmpfile()) == NULL)
			return esc_error(r->ctx, ESCROW_E_IO, "%s: cannot create a temporary file for %s", rd->path, rest);
		st = esc_run_read_data(r, rest, size, manifest_block, t);
		if (st != ESCROW_OK)
			return st;
		esc_rd_manifest_end(rd);
		if (t->spill != NULL && (fflush(t->spill) != 0 || ferror(t->spill)))
			return esc_error(r->ctx, ESCROW_E_IO, "%s: cannot keep a copy of %s in a temporary file", rd->path,
			                 rest);
	} else {
		t->buf = malloc((size_t)size + 1);
		if (t->buf == NULL)
			return esc_nomem(r->ctx);
		st = esc_run_read_data(r, rest, size, tag_block, t);
		if (st != ESCROW_OK)
			return st;
		t->buf[t->len] = '\0';
	}
	if (r->th_on)
		esc_thash_final(r->th, t->sha256);
	else
		esc_sha256_final(r->h, t->sha256);
	r->th_on = false;
	t->present = true;
	return ESCROW_OK;
}

/* The entry in r->cur (its path is taken here). Names are the raw header
 * bytes: names are bytes (FORMAT.md). */
static escrow_status entry(struct run *r)
{
	struct esc_rd *rd = r->rd;
	char *path = NULL;
	const char *rest;
	size_t bl;
	char type;
	escrow_status st;

	path = r->cur.path;
	r->cur.path = NULL;
	st = check_header(r, path, &type);
	if (st != ESCROW_OK)
		goto out;
	if (r->phase == PH_TOP) {
		if (type != '5' || strchr(path, '/') != NULL || !bag_name_ok(path)) {
			st = esc_error(r->ctx, ESCROW_TAMPERED, "%s: the first entry '%s' is not the bag's top folder",
			               rd->path, path);
			goto out;
		}
		rd->bag = path;
		rd->dir_mtime[0] = r->cur.mtime;
		path = NULL;
		r->phase = PH_DATA;
		goto out;
	}
	bl = strlen(rd->bag);
	if (strncmp(path, rd->bag, bl) != 0 || path[bl] != '/') {
		st = esc_error(r->ctx, ESCROW_TAMPERED, "%s: entry '%s' is outside the bag folder '%s/'", rd->path,
		               path, rd->bag);
		goto out;
	}
	rest = path + bl + 1;
	if (r->phase == PH_DATA) {
		if (type != '5' || strcmp(rest, "data") != 0)
			st = esc_error(r->ctx, ESCROW_TAMPERED, "%s: expected '%s/data/' as the second entry, found '%s'",
			               rd->path, rd->bag, path);
		rd->dir_mtime[1] = r->cur.mtime;
		r->phase = PH_PAYLOAD;
		goto out;
	}
	if (r->phase == PH_PAYLOAD && strncmp(rest, "data/", 5) == 0) {
		st = esc_run_payload_entry(r, rest + 5, type);
		goto out;
	}
	if (r->phase != PH_TAGS) {
		r->phase = PH_TAGS;
		esc_run_hash_sync(r); /* every payload digest in its record */
		st = esc_rd_payload_done(rd);
		if (st != ESCROW_OK)
			goto out;
	}
	st = tag_entry(r, rest, type);
out:
	/* Whether the signer listed it decides "unsafe" or "tampered". */
	if (st == ESCROW_UNSAFE && r->bad.path == NULL && path != NULL) {
		r->bad.type = r->cur.type;
		r->bad.perm = r->cur.perm;
		r->bad.link = r->cur.link ? strdup(r->cur.link) : NULL;
		if (r->cur.link != NULL && r->bad.link == NULL)
			st = esc_nomem(r->ctx);
		r->bad.path = path;
		path = NULL;
	}
	free(path);
	return st;
}

static escrow_status run_archive(struct run *r)
{
	struct esc_rd *rd = r->rd;
	struct esc_tarent e;
	escrow_status st;
	int64_t consumed;

	for (;;) {
		int k = esc_tarrd_next(&r->tr, &e);

		if (k == 0)
			break;
		if (k < 0)
			return tar_fail(r, "at an entry header");
		free(r->cur.path);
		free(r->cur.link);
		r->cur = e;
		if (r->first[0] == '\0')
			snprintf(r->first, sizeof r->first, "%s%s", e.path, e.type == '5' ? "/" : "");
		st = esc_check_interrupt(r->ctx);
		if (st == ESCROW_OK)
			st = entry(r);
		if (st != ESCROW_OK)
			return st;
	}
	if (!rd->tags[ESC_T_SIGNATURE].present) {
		st = esc_pipe_status(r->ctx, r->pipe);
		if (st != ESCROW_OK)
			return st;
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: truncated or incomplete bundle: no signature "
		                 "('%s/%s' is missing)", rd->path, rd->bag ? rd->bag : "BAG", ESC_TAG_SIGNATURE);
	}
	consumed = (int64_t)r->tr.off;
	if (consumed < r->sig_end + 1024)
		return esc_error(r->ctx, ESCROW_TAMPERED, "%s: truncated bundle (the tar end marker is missing)",
		                 rd->path);
	st = esc_pipe_drain(r->ctx, r->pipe, (uint64_t)consumed);
	if (st != ESCROW_OK)
		return st;
	rd->structure_ok = true;
	return ESCROW_OK;
}

static escrow_status rd_run(struct esc_rd *rd)
{
	struct esc_pipe_options po = {rd->path, rd->ids, rd->key, rd->raw_tap, 0, rd->no_digest};
	struct run *r = calloc(1, sizeof *r);
	escrow_status st;

	if (r == NULL)
		return esc_nomem(rd->ctx);
	r->rd = rd;
	r->ctx = rd->ctx;
	rd->sig_status = "not-checked";
	r->h = esc_sha256_new();
	r->tr.more = more;
	r->tr.user = r;
	if (r->h == NULL) {
		st = esc_nomem(rd->ctx);
		goto out;
	}
	esc_sha256_final(r->h, r->empty_sha256);
	st = esc_pipe_open(rd->ctx, &po, &r->pipe);
	if (st != ESCROW_OK)
		goto out;
	st = run_archive(r);
	esc_run_hash_sync(r); /* before the pipe's buffers are let go, and the records read */
	if (st == ESCROW_TAMPERED && rd->n_rec == 0 && r->next_tag == 0) {
		const struct esc_rd_head h = {r->head, r->head_len, r->first, r->bag_mark};

		st = esc_rd_not_a_bag(rd, r->pipe, &h, st);
	} else if (st == ESCROW_UNSAFE) {
		st = esc_rd_unsafe_signed(rd, &r->tr, st, &r->bad);
	}
	rd->sealed = esc_pipe_sealed(r->pipe);
	if (st == ESCROW_NOT_A_BUNDLE && rd->looks_like[0] == '\0')
		snprintf(rd->looks_like, sizeof rd->looks_like, "%s", esc_pipe_looks_like(r->pipe));
	if (st == ESCROW_OK) {
		rd->detached = esc_pipe_detached(r->pipe, rd->detached_reason, sizeof rd->detached_reason);
		st = esc_rd_check(rd);
		/* The deposit inside holds: a bad detached signature is what fails. */
		if (st == ESCROW_OK && rd->detached == ESC_DETACHED_BAD)
			st = esc_error(rd->ctx, ESCROW_BAD_SIGNATURE, "%s.minisig: the detached signature does not "
			               "verify: %s", rd->path, rd->detached_reason);
	}
out:
	esc_thash_free(r->th);
	r->th = NULL;
	free(r->pend);
	/* Also when the stream failed early (no identity, a bad first chunk):
	 * the report must still say the bundle is sealed. */
	if (r->pipe != NULL) {
		rd->sealed = esc_pipe_sealed(r->pipe);
		bool whole = esc_pipe_digest(rd->ctx, r->pipe, rd->whole_sha256, &rd->whole_size);

		if (!whole)
			rd->whole_sha256[0] = '\0';
		progress_end(r, whole);
	}
	esc_tarscan_free(&r->tr.scan);
	free(r->cur.path);
	free(r->cur.link);
	free(r->bad.path);
	free(r->bad.link);
	esc_pipe_close(r->pipe);
	esc_sha256_free(r->h);
	free(r);
	return st;
}

/* Under a UTF-8 LC_CTYPE of its own, never the host program's
 * (esc_locale.h): the writer's form of a long-named entry's header, made
 * again to compare (bundle_read_tar.c), comes from libarchive. */
escrow_status esc_rd_run(struct esc_rd *rd)
{
	locale_t prev = esc_utf8_locale_enter();
	escrow_status st = rd_run(rd);

	esc_utf8_locale_leave(prev);
	/* Now that the stream's window and queue are gone: the verdict and the
	 * reports read struct esc_file records. */
	if (esc_rd_records_done(rd) != ESCROW_OK)
		st = ESCROW_E_NOMEM;
	/* Memory runs out with the number of entries: say which bundle, and how far. */
	if (st == ESCROW_E_NOMEM) {
		char was[ESC_ERRLEN];
		const char *why = was;
		size_t pl = strlen(rd->path);

		snprintf(was, sizeof was, "%s", esc_ctx_message(rd->ctx));
		if (strncmp(was, rd->path, pl) == 0 && strncmp(was + pl, ": ", 2) == 0)
			why += pl + 2;
		esc_error(rd->ctx, ESCROW_E_NOMEM, "%s: out of memory after %zu payload entries%s%s%s", rd->path,
		          rd->n_rec ? rd->n_rec : rd->files.n, strcmp(why, "out of memory") != 0 ? " (" : "",
		          strcmp(why, "out of memory") != 0 ? why : "", strcmp(why, "out of memory") != 0 ? ")" : "");
	}
	return st;
}

void esc_rd_init(struct esc_rd *rd, escrow_ctx *ctx, const char *path, const escrow_pubkey *key,
                 const escrow_contract *contract, const escrow_identities *ids)
{
	memset(rd, 0, sizeof *rd);
	rd->ctx = ctx;
	rd->path = path;
	rd->key = key;
	rd->contract = contract;
	rd->ids = ids;
}

void esc_rd_clear(struct esc_rd *rd)
{
	size_t i;

	/* The arena's strings are not the files' to free. */
	for (i = 0; i < rd->files.n; i++) {
		struct esc_file *f = &rd->files.v[i];

		f->path = NULL;
		f->link = NULL; /* in the arena, like its strings */
	}
	for (i = 0; i < rd->n_arena; i++)
		free(rd->arena[i]);
	free(rd->arena);
	rd->arena = NULL;
	rd->n_arena = rd->arena_left = 0;
	rd->arena_cur = NULL;
	free(rd->bag);
	esc_files_free(&rd->files);
	esc_rd_records_free(rd, true);
	for (i = 0; i < ESC_T_COUNT; i++) {
		free(rd->tags[i].buf);
		if (rd->tags[i].spill != NULL)
			fclose(rd->tags[i].spill);
	}
	free(rd->mf.line);
	rd->links_done = false;
	memset(&rd->mf, 0, sizeof rd->mf);
	memset(&rd->links, 0, sizeof rd->links);
	memset(&rd->json_d, 0, sizeof rd->json_d);
	rd->json_files = false;
	free(rd->trusted_comment);
	free(rd->agency);
	rd->agency = NULL;
	json_decref(rd->manifest);
	free(rd->list_kind);
	free(rd->list_format);
	rd->list_kind = NULL;
	rd->list_format = NULL;
	memset(&rd->tags, 0, sizeof rd->tags);
	rd->bag = NULL;
	rd->trusted_comment = NULL;
	rd->manifest = NULL;
}
