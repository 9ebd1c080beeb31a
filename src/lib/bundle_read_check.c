/* bundle_read_check.c -- the end of the pass: the chain of trust of
 * FORMAT.md, checked link by link. Key -> signature -> tag manifest -> tag
 * files -> payload manifests -> what was hashed. Manifests are parsed
 * strictly: one syntax, one order, nothing missing, nothing extra. */
#include "esc_bundle_read.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#define MAX_LINK_HOPS 40

long esc_rd_find(const struct esc_rd *rd, const char *path)
{
	size_t lo = 0, hi = rd->files.n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(rd->files.v[mid].path, path);

		if (c == 0)
			return (long)mid;
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return -1;
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
	while (*p) {
		const char *end = strchr(p, '/');
		size_t n = end ? (size_t)(end - p) : strlen(p), cl = strlen(cur);
		const struct esc_file *f;

		if (idx >= 0 && rd->files.v[idx].type == ESC_FT_FILE)
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
			f = &rd->files.v[idx];
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
				r2 = resolve_from(rd, parent, f->target, hops, &t);
				free(parent);
				if (r2 != 0)
					goto out;
				idx = t;
				if (t < 0) {
					cur[0] = '\0';
				} else {
					char *np = realloc(cur, strlen(rd->files.v[t].path) + strlen(p) + 2);

					if (np == NULL)
						goto out;
					cur = np;
					strcpy(cur, rd->files.v[t].path);
				}
			}
		}
		p += n;
		if (*p == '/')
			p++;
	}
	*out = idx;
	rc = 0;
out:
	free(cur);
	return rc;
}

int esc_rd_resolve(const struct esc_rd *rd, size_t i, long *target)
{
	const struct esc_file *f = &rd->files.v[i];
	const char *s = strrchr(f->path, '/');
	char *dir = strndup(f->path, s ? (size_t)(s - f->path) : 0);
	int hops = 0, rc;

	if (dir == NULL || f->target == NULL || f->target[0] == '/') {
		free(dir);
		return -1;
	}
	rc = resolve_from(rd, dir, f->target, &hops, target);
	free(dir);
	return rc;
}

/* One manifest line: 64 lowercase hex, two spaces, the encoded path, LF. */
static escrow_status next_line(struct esc_rd *rd, const char *file, const struct esc_tagfile *t, size_t *pos,
                               unsigned *lineno, uint8_t dig[32], char **path)
{
	const char *b = t->buf + *pos, *nl = memchr(b, '\n', t->len - *pos);
	size_t i, n;
	char *enc;

	*path = NULL;
	++*lineno;
	if (nl == NULL)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: line does not end with a newline", rd->path,
		                 file, *lineno);
	n = (size_t)(nl - b);
	for (i = 0; i < 64 && i < n; i++)
		if (!((b[i] >= '0' && b[i] <= '9') || (b[i] >= 'a' && b[i] <= 'f')))
			break;
	if (i != 64 || n < 68 || b[64] != ' ' || b[65] != ' ' || b[66] == ' ' || esc_unhex(b, 64, dig, 32) != 0)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: malformed line (expected 64 lowercase hex "
		                 "digits, two spaces, a path)", rd->path, file, *lineno);
	enc = strndup(b + 66, n - 66);
	if (enc == NULL)
		return esc_error(rd->ctx, ESCROW_E_NOMEM, "out of memory");
	if (memchr(b + 66, '\0', n - 66) == NULL && memchr(b + 66, '\r', n - 66) == NULL)
		*path = esc_bag_path_decode(enc);
	free(enc);
	if (*path == NULL)
		return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u: malformed path", rd->path, file, *lineno);
	*pos += n + 1;
	return ESCROW_OK;
}

/* The key id a minisign signature names (line 2: "ED" or "Ed", key id,
 * signature), "" when the text is not one. */
static void signer_of(const struct esc_tagfile *sg, char out[17])
{
	struct esc_mline l;
	uint8_t blob[ESC_MSIG_BLOB];
	size_t pos = 0;

	out[0] = '\0';
	if (!esc_mline_next(sg->buf, sg->len, &pos, &l) || !esc_mline_next(sg->buf, sg->len, &pos, &l))
		return;
	if (esc_b64_decode(l.s, l.len, blob, sizeof blob) == (long)sizeof blob)
		esc_mkeyid_hex(blob + 2, out);
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
static escrow_status resolve_links(struct esc_rd *rd, long *tgt)
{
	size_t i;

	for (i = 0; i < rd->files.n; i++) {
		struct esc_file *f = &rd->files.v[i];
		const struct esc_file *t;
		long ti;

		tgt[i] = -2;
		if (f->type != ESC_FT_SYMLINK)
			continue;
		if (esc_rd_resolve(rd, i, &ti) != 0)
			return esc_error(rd->ctx, ESCROW_UNSAFE, "%s: symlink 'data/%s' -> '%s' leads outside the payload "
			                 "or to nothing", rd->path, f->path, f->target);
		tgt[i] = ti;
		t = ti >= 0 ? &rd->files.v[ti] : NULL;
		if (t == NULL || t->type == ESC_FT_DIR) {
			f->link_to_dir = true;
			continue;
		}
		memcpy(f->sha256, t->sha256, 32);
		f->has_sha256 = true;
		f->link_resolved = strdup(t->path);
		if (f->link_resolved == NULL)
			return esc_error(rd->ctx, ESCROW_E_NOMEM, "out of memory");
		if (f->kind == NULL)
			f->kind = t->kind;
		if (t->insp != NULL && rd->plain != NULL && t->insp >= rd->plain && t->insp < rd->plain + ESC_FMT_COUNT) {
			f->insp = t->insp;
		} else if (t->insp != NULL) {
			f->insp = malloc(sizeof *f->insp);
			if (f->insp == NULL)
				return esc_error(rd->ctx, ESCROW_E_NOMEM, "out of memory");
			memcpy(f->insp, t->insp, sizeof *f->insp);
		}
	}
	return ESCROW_OK;
}

static escrow_status check_manifest(struct esc_rd *rd, const long *tgt, uint64_t *octets, uint64_t *count)
{
	const struct esc_tagfile *m = &rd->tags[ESC_T_MANIFEST];
	size_t pos = 0, i;
	unsigned line = 0;
	escrow_status st;

	*octets = *count = 0;
	for (i = 0; i < rd->files.n; i++) {
		const struct esc_file *f = &rd->files.v[i];
		uint8_t dig[32];
		char *path = NULL;
		int c;

		if (f->type == ESC_FT_DIR || (f->type == ESC_FT_SYMLINK && f->link_to_dir))
			continue;
		if (pos >= m->len)
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: 'data/%s' is in the bundle but not in %s (a file "
			                 "was added)", rd->path, f->path, ESC_TAG_MANIFEST);
		st = next_line(rd, ESC_TAG_MANIFEST, m, &pos, &line, dig, &path);
		if (st != ESCROW_OK)
			return st;
		c = strncmp(path, "data/", 5) == 0 ? strcmp(path + 5, f->path) : -1;
		if (c != 0) {
			if (c < 0)
				st = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u lists '%s', which is not a file of the "
				               "bundle (a file was removed)", rd->path, ESC_TAG_MANIFEST, line, path);
			else
				st = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: 'data/%s' is in the bundle but not in %s (a "
				               "file was added)", rd->path, f->path, ESC_TAG_MANIFEST);
			free(path);
			return st;
		}
		free(path);
		if (sodium_memcmp(dig, f->sha256, 32) != 0)
			return esc_error(rd->ctx, ESCROW_TAMPERED, "%s: 'data/%s' was changed (its SHA-256 differs from "
			                 "%s)", rd->path, f->path, ESC_TAG_MANIFEST);
		*octets += f->type == ESC_FT_FILE ? f->size : rd->files.v[tgt[i]].size;
		++*count;
	}
	if (pos != m->len) {
		uint8_t dig[32];
		char *path = NULL;

		st = next_line(rd, ESC_TAG_MANIFEST, m, &pos, &line, dig, &path);
		if (st == ESCROW_OK)
			st = esc_error(rd->ctx, ESCROW_TAMPERED, "%s: %s:%u lists '%s', which is not a file of the bundle "
			               "(a file was removed)", rd->path, ESC_TAG_MANIFEST, line, path);
		free(path);
		return st;
	}
	return ESCROW_OK;
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
	long *tgt = NULL;
	uint64_t octets = 0, count = 0;
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
	if (st == ESCROW_OK) {
		tgt = malloc((rd->files.n + 1) * sizeof *tgt);
		if (tgt == NULL)
			return esc_error(rd->ctx, ESCROW_E_NOMEM, "out of memory");
		st = resolve_links(rd, tgt);
	}
	if (st == ESCROW_OK)
		st = check_manifest(rd, tgt, &octets, &count);
	if (st == ESCROW_OK)
		st = check_baginfo(rd, octets, count);
	if (st == ESCROW_OK)
		st = esc_rd_check_json(rd);
	free(tgt);
	if (st == ESCROW_OK)
		rd->integrity_ok = true;
	if (st == ESCROW_TAMPERED) {
		rd->integrity_failed = true;
		snprintf(rd->integrity_reason, sizeof rd->integrity_reason, "%s", esc_ctx_message(rd->ctx));
	}
	if (sig == ESCROW_BAD_SIGNATURE && esc_is_outcome(st))
		return esc_error(rd->ctx, ESCROW_BAD_SIGNATURE, "%s", sigwhy);
	return st;
}
