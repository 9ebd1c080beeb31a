/* bundle_read_check.c -- the end of the pass: the chain of trust of
 * FORMAT.md, checked link by link. Key -> signature -> tag manifest -> tag
 * files -> payload manifests -> what was hashed. Manifests are parsed
 * strictly: one syntax, one order, nothing missing, nothing extra. */
#include "esc_bundle_read.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINK_HOPS 40

/* a (NUL-terminated) against p[0..n) as strcmp would against its copy. */
static int cmp_n(const char *a, const char *p, size_t n)
{
	int c = strncmp(a, p, n);

	return c != 0 ? c : a[n] != '\0';
}

/* The record whose path is p[0..n), by bisection (records are sorted). */
static long find_n(const struct esc_rd *rd, const char *path, size_t n)
{
	size_t lo = 0, hi = esc_rd_count(rd);

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = cmp_n(esc_rd_path(rd, mid), path, n);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
}

long esc_rd_find(const struct esc_rd *rd, const char *path)
{
	return find_n(rd, path, strlen(path));
}

long esc_rd_find_parent(struct esc_rd *rd, const char *path, size_t n)
{
	size_t h = rd->parent_hint;
	long i;

	/* Siblings come in a row: most entries have the last one's parent. */
	if (h < esc_rd_count(rd) && cmp_n(esc_rd_path(rd, h), path, n) == 0)
		return (long)h;
	i = find_n(rd, path, n);
	if (i >= 0)
		rd->parent_hint = (size_t)i;
	return i;
}

/* Resolves `rel` (relative to folder `dir`, "" for the root) over the
 * payload, following symlinks; *out is a record index or -1 for the root. */
static int resolve_from(const struct esc_rd *rd, const char *dir, const char *rel, int *hops, long *out)
{
	size_t cap = strlen(dir) + strlen(rel) + 2;
	char *cur = malloc(cap);
	const char *p = rel;
	long idx = -1;
	int rc = -1;

	if (cur == NULL)
		return -1;
	strcpy(cur, dir);
	/* "." is the link's own folder: left at -1 (the root), "a/l -> ." took
	 * a/l/x.md for x.md at the root, and pack's bundle was tampered */
	if (*dir != '\0')
		idx = esc_rd_find(rd, dir);
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p), cl = strlen(cur);
		struct esc_file rec, *f = &rec;

		if (idx >= 0 && esc_rd_type(rd, (size_t)idx) == ESC_FT_FILE)
			goto out; /* a file used as a folder */
		if (n == 0 || (n == 1 && p[0] == '.')) {
			/* nothing */
		} else if (n == 2 && p[0] == '.' && p[1] == '.') {
			char *s;

			if (cl == 0)
				goto out; /* above the payload root */
			s = strrchr(cur, '/');
			if (s != NULL)
				*s = '\0';
			else
				cur[0] = '\0';
			idx = cur[0] ? esc_rd_find(rd, cur) : -1;
		} else {
			if (cl > 0)
				strcat(cur, "/");
			strncat(cur, p, n);
			idx = esc_rd_find(rd, cur);
			if (idx < 0)
				goto out; /* dangles */
			esc_rd_get(rd, (size_t)idx, f);
			if (f->type == ESC_FT_SYMLINK) {
				char *parent = strdup(cur), *s;
				long t;
				int r2;

				if (parent == NULL || ++*hops > MAX_LINK_HOPS) {
					free(parent);
					goto out;
				}
				s = strrchr(parent, '/');
				if (s != NULL)
					*s = '\0';
				else
					parent[0] = '\0';
				r2 = f->link != NULL ? resolve_from(rd, parent, f->link->target, hops, &t) : -1;
				free(parent);
				if (r2 != 0)
					goto out;
				idx = t;
				if (t < 0) {
					cur[0] = '\0';
				} else {
					const char *tp = esc_rd_path(rd, (size_t)t);
					char *np = realloc(cur, strlen(tp) + strlen(p) + 2);

					if (np == NULL)
						goto out;
					cur = np;
					strcpy(cur, tp);
				}
			}
		}
		p += n;
		if (*p == '/')
			p++;
	}
	/* "f/" names a folder: to a file it leads nowhere (ENOTDIR), as the
	 * link made on disk would; "a file used as a folder" above sees the
	 * slash only when more follows it. */
	if (p > rel && p[-1] == '/' && idx >= 0 && esc_rd_type(rd, (size_t)idx) == ESC_FT_FILE)
		goto out;
	*out = idx;
	rc = 0;
out:
	free(cur);
	return rc;
}

int esc_rd_resolve(const struct esc_rd *rd, size_t i, long *target)
{
	struct esc_file rec, *f = &rec;
	const char *s;
	char *dir;
	int hops = 0, rc;

	esc_rd_get(rd, i, f);
	s = strrchr(f->path, '/');
	dir = strndup(f->path, s ? (size_t)(s - f->path) : 0);

	if (dir == NULL || esc_file_target(f) == NULL || f->link->target[0] == '/') {
		free(dir);
		return -1;
	}
	rc = resolve_from(rd, dir, f->link->target, &hops, target);
	free(dir);
	return rc;
}

/* One manifest line (b, n bytes without its LF): 64 lowercase hex, two
 * spaces, the encoded path. */
static escrow_status parse_line(struct esc_rd *rd, const char *file, const char *b, size_t n, unsigned lineno,
                                uint8_t dig[32], char **path)
{
	/* A lowercase hex digit's value plus one; 0 for any other byte. */
	static const uint8_t LHEX[256] = {
		['0'] = 1, ['1'] = 2, ['2'] = 3, ['3'] = 4, ['4'] = 5, ['5'] = 6, ['6'] = 7, ['7'] = 8, ['8'] = 9,
		['9'] = 10, ['a'] = 11, ['b'] = 12, ['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16,
	};
	const uint8_t *u = (const uint8_t *)b;
	unsigned bad = n < 68;
	size_t i;
	char small[256], *enc = small;

	*path = NULL;
	for (i = 0; i < 32 && !bad; i++) {
		unsigned hi = LHEX[u[2 * i]], lo = LHEX[u[2 * i + 1]];

		bad |= hi == 0 || lo == 0;
		dig[i] = (uint8_t)((hi - 1) << 4 | (lo - 1));
	}
	if (bad || b[64] != ' ' || b[65] != ' ' || b[66] == ' ')
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: malformed line (expected 64 lowercase hex "
		                 "digits, two spaces, a path)", rd->path, file, lineno);
	if (n - 66 >= sizeof small)
		enc = malloc(n - 66 + 1);
	if (enc == NULL)
		return esc_nomem(rd->ctx);
	memcpy(enc, b + 66, n - 66);
	enc[n - 66] = '\0';
	if (memchr(b + 66, '\0', n - 66) == NULL && memchr(b + 66, '\r', n - 66) == NULL)
		*path = esc_bag_path_decode(enc);
	if (enc != small)
		free(enc);
	if (*path == NULL)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: malformed path", rd->path, file, lineno);
	return ESCROW_OK;
}

/* The key id a minisign signature names (line 2: "ED" or "Ed", key id,
 * signature), "" when the text is not one. */
static void signer_of(const struct esc_tagfile *sg, char out[17])
{
	uint8_t id[ESC_MKEYID_LEN];

	out[0] = '\0';
	if (esc_msig_key_id(sg->buf, sg->len, id))
		esc_mkeyid_hex(id, out);
}

static escrow_status next_line(struct esc_rd *rd, const char *file, const struct esc_tagfile *t, size_t *pos,
                               unsigned *lineno, uint8_t dig[32], char **path)
{
	const char *b = t->buf + *pos, *nl = memchr(b, '\n', t->len - *pos);
	escrow_status st;

	*path = NULL;
	++*lineno;
	if (nl == NULL)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: line does not end with a newline", rd->path,
		                 file, *lineno);
	st = parse_line(rd, file, b, (size_t)(nl - b), *lineno, dig, path);
	if (st == ESCROW_OK)
		*pos += (size_t)(nl - b) + 1;
	return st;
}

escrow_status esc_rd_check_signature(struct esc_rd *rd)
{
	const struct esc_tagfile *tm = &rd->tags[ESC_T_TAGMANIFEST], *sg = &rd->tags[ESC_T_SIGNATURE];
	char why[ESC_ERRLEN], want[17];
	const char *w = why;
	escrow_status st;

	signer_of(sg, rd->signer_id);
	if (rd->key == NULL) {
		rd->sig_status = "not-checked";
		return ESCROW_OK;
	}
	st = escrow_verify_buffer(rd->ctx, rd->key, tm->buf, tm->len, sg->buf, sg->len, &rd->trusted_comment);
	if (st == ESCROW_OK) {
		rd->sig_status = "good";
		return ESCROW_OK;
	}
	if (st != ESCROW_BAD_SIGNATURE && st != ESCROW_E_INPUT)
		return st;
	rd->sig_status = "bad";
	escrow_pubkey_id(rd->key, want);
	/* Both key ids, whatever went wrong: the one -p gave, the one signed. */
	if (rd->signer_id[0] != '\0' && strcmp(rd->signer_id, want) != 0)
		return esc_error(rd->ctx, ESCROW_BAD_SIGNATURE, "%s: %s/%s was made by key %s, not by key %s given "
		                 "with -p (another agency's key, or the wrong public key)", rd->path, rd->bag,
		                 ESC_TAG_SIGNATURE, rd->signer_id, want);
	snprintf(why, sizeof why, "%s", esc_ctx_message(rd->ctx));
	if (strncmp(w, "signature: ", 11) == 0)
		w += 11;
	if (rd->signer_id[0] == '\0')
		return esc_error(rd->ctx, ESCROW_BAD_SIGNATURE, "%s: %s/%s names no key (expected key %s given with "
		                 "-p): %s", rd->path, rd->bag, ESC_TAG_SIGNATURE, want, w[0] ? w : "malformed");
	return esc_error(rd->ctx, ESCROW_BAD_SIGNATURE, "%s: %s/%s names key %s, the key given with -p, but does "
	                 "not verify: %s", rd->path, rd->bag, ESC_TAG_SIGNATURE, want,
	                 w[0] ? w : "the signed tag manifest was altered");
}

static escrow_status check_tagmanifest(struct esc_rd *rd)
{
	static const struct {
		int tag;
		const char *name;
	} want[] = {{ESC_T_BAGIT, ESC_TAG_BAGIT}, {ESC_T_BAGINFO, ESC_TAG_BAGINFO},
	            {ESC_T_MANIFEST, ESC_TAG_MANIFEST}, {ESC_T_JSON, ESC_TAG_JSON},
	            {ESC_T_CONTRACT, ESC_TAG_CONTRACT}};
	const struct esc_tagfile *tm = &rd->tags[ESC_T_TAGMANIFEST];
	size_t pos = 0, i;
	unsigned line = 0;
	escrow_status st;

	for (i = 0; i < sizeof want / sizeof want[0]; i++) {
		const struct esc_tagfile *t = &rd->tags[want[i].tag];
		uint8_t dig[32];
		char *path = NULL;

		if (!t->present)
			continue;
		if (pos >= tm->len)
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s does not list %s", rd->path,
			                 ESC_TAG_TAGMANIFEST, want[i].name);
		st = next_line(rd, ESC_TAG_TAGMANIFEST, tm, &pos, &line, dig, &path);
		if (st != ESCROW_OK)
			return st;
		if (strcmp(path, want[i].name) != 0) {
			st = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: lists '%s' where '%s' belongs", rd->path,
			               ESC_TAG_TAGMANIFEST, line, path, want[i].name);
			free(path);
			return st;
		}
		free(path);
		if (sodium_memcmp(dig, t->sha256, 32) != 0)
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s was changed (its SHA-256 differs from %s)",
			                 rd->path, want[i].name, ESC_TAG_TAGMANIFEST);
	}
	if (pos != tm->len)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: lists a file the bundle does not hold",
		                 rd->path, ESC_TAG_TAGMANIFEST, line + 1);
	if (strcmp(rd->tags[ESC_T_BAGIT].buf, ESC_BAGIT_TXT) != 0 || rd->tags[ESC_T_BAGIT].len != strlen(ESC_BAGIT_TXT))
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s is not BagIt 1.0's", rd->path, ESC_TAG_BAGIT);
	return ESCROW_OK;
}

/* Symlinks take the digest (and findings) of the file they resolve to, as
 * BagIt validators that follow links see them; folder links are not listed. */
static escrow_status resolve_links(struct esc_rd *rd)
{
	escrow_status bad = ESCROW_OK;
	char msg[ESC_ERRLEN] = "";
	size_t i;

	for (i = 0; i < esc_rd_count(rd); i++) {
		struct esc_file rec, *f = &rec, trec, *t;
		escrow_status st;
		long ti;

		if (esc_rd_type(rd, i) != ESC_FT_SYMLINK)
			continue;
		esc_rd_get(rd, i, f);
		/* The first one that leads nowhere is the verdict; the others are
		 * still resolved, so that the manifests can be checked. */
		if (esc_rd_resolve(rd, i, &ti) != 0) {
			if (bad == ESCROW_OK) {
				bad = esc_error(rd->ctx, ESCROW_UNSAFE, "%s: symlink 'data/%s' -> '%s' leads outside the "
				                "payload or to nothing", rd->path, f->path, esc_file_target(f));
				snprintf(msg, sizeof msg, "%s", esc_ctx_message(rd->ctx));
			}
			continue;
		}
		t = NULL;
		if (ti >= 0) {
			esc_rd_get(rd, (size_t)ti, &trec);
			t = &trec;
		}
		if (t == NULL || t->type == ESC_FT_DIR) {
			f->link_to_dir = true;
			if ((st = esc_rd_put(rd, i, f)) != ESCROW_OK)
				return st;
			continue;
		}
		memcpy(f->sha256, t->sha256, 32);
		f->has_sha256 = true;
		f->link->resolved = t->path; /* the arena's string, shared */
		if (f->kind == ESC_KIND_NONE)
			f->kind = t->kind;
		/* the findings, texts shared: whatever the number of links */
		f->fnd = t->fnd;
		f->note = t->note;
		if ((st = esc_rd_put(rd, i, f)) != ESCROW_OK)
			return st;
	}
	if (bad != ESCROW_OK)
		return esc_error(rd->ctx, bad, "%s", msg);
	return ESCROW_OK;
}

static void defer(struct esc_rd *rd, struct esc_deferred *d, escrow_status st)
{
	if (d->st != ESCROW_OK || st == ESCROW_OK)
		return;
	d->st = st;
	snprintf(d->msg, sizeof d->msg, "%s", escrow_ctx_error(rd->ctx));
}

escrow_status esc_rd_payload_done(struct esc_rd *rd)
{
	escrow_status st;

	if (rd->links_done)
		return ESCROW_OK;
	rd->links_done = true;
	rd->mf.line = malloc(ESC_MANIFEST_LINE_MAX);
	if (rd->mf.line == NULL)
		return esc_nomem(rd->ctx);
	st = resolve_links(rd);
	if (st == ESCROW_E_NOMEM)
		return st;
	defer(rd, &rd->links, st);
	if (st != ESCROW_OK && st != ESCROW_UNSAFE)
		rd->mf.stopped = true; /* the links' digests are not all known */
	return ESCROW_OK;
}

/* The next record manifest-sha256.txt lists: files and symlinks to files
 * (not those to folders, nor one that leads nowhere: rd->links says so). */
static size_t next_listed(const struct esc_rd *rd, size_t i)
{
	struct esc_file f;

	for (; i < esc_rd_count(rd); i++) {
		unsigned t = esc_rd_type(rd, i);

		if (t == ESC_FT_FILE)
			break;
		if (t == ESC_FT_SYMLINK) {
			esc_rd_get(rd, i, &f);
			if (f.has_sha256)
				break;
		}
	}
	return i;
}

static escrow_status manifest_line(struct esc_rd *rd, const char *b, size_t n)
{
	struct esc_mfeed *m = &rd->mf;
	size_t i = next_listed(rd, m->next);
	struct esc_file rec, *f = NULL;
	uint8_t dig[32];
	char *path = NULL;
	escrow_status st;
	int c;

	st = parse_line(rd, ESC_TAG_MANIFEST, b, n, ++m->lineno, dig, &path);
	if (st != ESCROW_OK)
		return st;
	if (i < esc_rd_count(rd)) {
		esc_rd_get(rd, i, &rec);
		f = &rec;
	}
	c = f == NULL ? -1 : strncmp(path, "data/", 5) == 0 ? strcmp(path + 5, f->path) : -1;
	if (c < 0)
		st = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u lists '%s', which is not a file of the bundle (a "
		               "file was removed)", rd->path, ESC_TAG_MANIFEST, m->lineno, path);
	else if (c > 0)
		st = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: 'data/%s' is in the bundle but not in %s (a file was "
		               "added)", rd->path, f->path, ESC_TAG_MANIFEST);
	/* Both digests are public (the manifest's, and the file's as read):
	 * memcmp, not a constant-time compare (3% of a million-entry verify). */
	else if (memcmp(dig, f->sha256, 32) != 0)
		st = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: 'data/%s' was changed (its SHA-256 differs from %s)",
		               rd->path, f->path, ESC_TAG_MANIFEST);
	free(path);
	if (st != ESCROW_OK)
		return st;
	/* A symlink listed here resolves to a file (resolve_links): its size. */
	if (f->type == ESC_FT_FILE) {
		m->octets += f->size;
	} else {
		long ti = esc_file_resolved(f) ? esc_rd_find(rd, f->link->resolved) : -1;
		struct esc_file t;

		if (ti < 0)
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: symlink 'data/%s' resolves to nothing", rd->path,
			                 f->path);
		esc_rd_get(rd, (size_t)ti, &t);
		m->octets += t.size;
	}
	m->count++;
	m->next = i + 1;
	return ESCROW_OK;
}

void esc_rd_manifest_feed(struct esc_rd *rd, const void *buf, size_t len)
{
	struct esc_mfeed *m = &rd->mf;
	const char *p = buf;

	while (len > 0 && !m->stopped) {
		const char *nl = memchr(p, '\n', len);
		size_t n = nl ? (size_t)(nl - p) : len;
		escrow_status st;

		if (m->len + n >= ESC_MANIFEST_LINE_MAX) {
			defer(rd, &m->d, esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: line longer than %u bytes",
			                           rd->path, ESC_TAG_MANIFEST, m->lineno + 1, ESC_MANIFEST_LINE_MAX));
			m->stopped = true;
			return;
		}
		if (nl == NULL) {
			memcpy(m->line + m->len, p, n);
			m->len += n;
			return;
		}
		if (m->len == 0) {
			st = manifest_line(rd, p, n);
		} else {
			memcpy(m->line + m->len, p, n);
			st = manifest_line(rd, m->line, m->len + n);
		}
		m->len = 0;
		if (st != ESCROW_OK) {
			defer(rd, &m->d, st);
			m->stopped = true;
			return;
		}
		p += n + 1;
		len -= n + 1;
	}
}

void esc_rd_manifest_end(struct esc_rd *rd)
{
	struct esc_mfeed *m = &rd->mf;
	size_t i;

	if (m->stopped)
		return;
	m->stopped = true;
	if (m->len > 0) {
		defer(rd, &m->d, esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: line does not end with a newline",
		                           rd->path, ESC_TAG_MANIFEST, m->lineno + 1));
		return;
	}
	i = next_listed(rd, m->next);
	if (i < esc_rd_count(rd))
		defer(rd, &m->d, esc_error(rd->ctx, ESCROW_TAMPERED, "%s: 'data/%s' is in the bundle but not in %s "
		                           "(a file was added)", rd->path, esc_rd_path(rd, i), ESC_TAG_MANIFEST));
}

/* bag-info.txt: "Label: value" lines (continuations start with a blank). */
static escrow_status check_baginfo(struct esc_rd *rd, uint64_t octets, uint64_t count)
{
	const struct esc_tagfile *t = &rd->tags[ESC_T_BAGINFO];
	const char *b = t->buf, *end = t->buf + t->len;
	bool oxum = false;
	unsigned line = 0;

	while (b < end) {
		const char *nl = memchr(b, '\n', (size_t)(end - b)), *colon;
		size_t n;

		line++;
		if (nl == NULL)
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: line does not end with a newline", rd->path,
			                 ESC_TAG_BAGINFO, line);
		n = (size_t)(nl - b);
		colon = memchr(b, ':', n);
		if ((n > 0 && (b[0] == ' ' || b[0] == '\t')) && line > 1) {
			b = nl + 1;
			continue;
		}
		if (colon == NULL || colon == b || colon + 1 >= nl || colon[1] != ' ')
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: expected 'Label: value'", rd->path,
			                 ESC_TAG_BAGINFO, line);
		if ((size_t)(colon - b) == 12 && memcmp(b, "Payload-Oxum", 12) == 0) {
			char want[64];
			int wl = snprintf(want, sizeof want, "%llu.%llu", (unsigned long long)octets,
			                  (unsigned long long)count);

			if (oxum || (size_t)(nl - colon - 2) != (size_t)wl || memcmp(colon + 2, want, (size_t)wl) != 0)
				return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: Payload-Oxum is not %s", rd->path,
				                 ESC_TAG_BAGINFO, line, want);
			oxum = true;
		} else if ((size_t)(colon - b) == 19 && memcmp(b, "Source-Organization", 19) == 0) {
			free(rd->agency);
			rd->agency = strndup(colon + 2, (size_t)(nl - colon - 2));
		}
		b = nl + 1;
	}
	if (!oxum)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s has no Payload-Oxum", rd->path, ESC_TAG_BAGINFO);
	return ESCROW_OK;
}

escrow_status esc_rd_check(struct esc_rd *rd)
{
	escrow_status st;

	char sigwhy[ESC_ERRLEN];
	escrow_status sig;

	/* A bad signature does not stop the checks: the report then says
	 * whether every digest still matches the (unsigned) manifests. */
	sig = esc_rd_check_signature(rd);
	if (sig != ESCROW_OK && sig != ESCROW_BAD_SIGNATURE)
		return sig;
	snprintf(sigwhy, sizeof sigwhy, "%s", sig != ESCROW_OK ? esc_ctx_message(rd->ctx) : "");
	st = check_tagmanifest(rd);
	if (st == ESCROW_OK)
		st = esc_rd_payload_done(rd);
	/* What was checked as the stream went by, now that it is authentic
	 * (or, after a bad signature, to report integrity for what it is). A
	 * link that leads outside is the signer's only when the manifests
	 * match: one added after signing is "tampered", not "unsafe". */
	if (st == ESCROW_OK && rd->links.st != ESCROW_OK && rd->links.st != ESCROW_UNSAFE)
		st = esc_error(rd->ctx, rd->links.st, "%s", rd->links.msg);
	if (st == ESCROW_OK) {
		if (!rd->mf.stopped)
			esc_rd_manifest_end(rd);
		if (rd->mf.d.st != ESCROW_OK)
			st = esc_error(rd->ctx, rd->mf.d.st, "%s", rd->mf.d.msg);
	}
	if (st == ESCROW_OK)
		st = check_baginfo(rd, rd->mf.octets, rd->mf.count);
	if (st == ESCROW_OK)
		st = esc_rd_check_json(rd);
	if (st == ESCROW_OK && rd->links.st != ESCROW_OK)
		st = esc_error(rd->ctx, rd->links.st, "%s", rd->links.msg);
	if (st == ESCROW_OK)
		rd->integrity_ok = true;
	if (st == ESCROW_TAMPERED) {
		rd->integrity_failed = true;
		esc_clipf(rd->integrity_reason, sizeof rd->integrity_reason, "%s", esc_ctx_message(rd->ctx));
	}
	if (sig == ESCROW_BAD_SIGNATURE && esc_is_outcome(st))
		return esc_error(rd->ctx, ESCROW_BAD_SIGNATURE, "%s", sigwhy);
	return st;
}
