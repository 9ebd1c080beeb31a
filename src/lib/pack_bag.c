/* pack_bag.c -- the bag's tag files, written after the payload. The two big
 * ones (manifest-sha256.txt, escrow/manifest.json) grow with the file count,
 * so they are never held whole: they are formatted once, as soon as the
 * payload is in, into a scratch file (pack_spill.c), and copied into the tar
 * from there. */
#include "esc_api.h"
#include "esc_pack.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

struct em {
	escrow_ctx *ctx;
	const struct esc_tag_spill *sp;
	esc_sha256 *sha;
	uint64_t count;
	escrow_status st;
	size_t n;
	char buf[65536];
};

static void em_flush(struct em *e)
{
	if (e->n > 0 && e->st == ESCROW_OK) {
		esc_sha256_update(e->sha, e->buf, e->n);
		e->st = esc_tag_spill_write(e->ctx, e->sp, e->buf, e->n);
	}
	e->n = 0;
}

static void em_put(struct em *e, const char *s, size_t len)
{
	e->count += len;
	while (len > 0) {
		size_t k = sizeof e->buf - e->n;

		if (k > len)
			k = len;
		memcpy(e->buf + e->n, s, k);
		e->n += k;
		s += k;
		len -= k;
		if (e->n == sizeof e->buf)
			em_flush(e);
	}
}

static void em_str(struct em *e, const char *s)
{
	em_put(e, s, strlen(s));
}

static void __attribute__((format(printf, 2, 3))) em_fmt(struct em *e, const char *fmt, ...)
{
	char tmp[256];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n > 0)
		em_put(e, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* Decimal and octal by hand: 50,000 files make 200,000 numbers, and
 * vsnprintf was ~8% of a pack. */
static void em_u64(struct em *e, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof tmp;

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	em_put(e, tmp + i, sizeof tmp - i);
}

static void em_i64(struct em *e, int64_t v)
{
	if (v < 0) {
		em_put(e, "-", 1);
		em_u64(e, (uint64_t)0 - (uint64_t)v);
	} else {
		em_u64(e, (uint64_t)v);
	}
}

#define EM_LIT(e, s) em_put((e), (s), sizeof(s) - 1)

/* RFC 8493 path: only %, CR and LF are encoded. */
static void em_bagpath(struct em *e, const char *p)
{
	while (*p) {
		size_t run = strcspn(p, "%\r\n");

		em_put(e, p, run);
		p += run;
		if (*p == '%')
			em_put(e, "%25", 3);
		else if (*p == '\r')
			em_put(e, "%0D", 3);
		else if (*p == '\n')
			em_put(e, "%0A", 3);
		else
			break;
		p++;
	}
}

static void em_json_str(struct em *e, const char *s)
{
	em_put(e, "\"", 1);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		size_t run = 0;

		while (s[run] != '\0' && (unsigned char)s[run] >= 0x20 && s[run] != 0x7f && s[run] != '"' &&
		       s[run] != '\\')
			run++;
		if (run > 0) {
			em_put(e, s, run);
			s += run - 1;
			continue;
		}
		if (c == '"' || c == '\\') {
			char esc[2] = {'\\', (char)c};

			em_put(e, esc, 2);
		} else if (c == '\n') {
			em_put(e, "\\n", 2);
		} else if (c == '\r') {
			em_put(e, "\\r", 2);
		} else if (c == '\t') {
			em_put(e, "\\t", 2);
		} else if (c < 0x20 || c == 0x7f) {
			em_fmt(e, "\\u%04x", c);
		} else {
			em_put(e, s, 1);
		}
	}
	em_put(e, "\"", 1);
}

static int listed(const struct esc_file *f)
{
	return f->type == ESC_FT_FILE || (f->type == ESC_FT_SYMLINK && !f->link_to_dir && f->has_sha256);
}

static void gen_manifest(struct em *e, const struct esc_pack_meta *m)
{
	size_t i;

	for (i = 0; i < m->files->n && e->st == ESCROW_OK; i++) {
		const struct esc_file *f = &m->files->v[i];
		char hex[65];

		if (!listed(f))
			continue;
		esc_hex(f->sha256, 32, hex);
		em_put(e, hex, 64);
		em_put(e, "  data/", 7);
		em_bagpath(e, f->path);
		em_put(e, "\n", 1);
	}
}

/* "provenance": {"git": {...}, "meta": {...}}, keys sorted, each part only
 * when there is one (docs/FORMAT.md). */
static void gen_provenance(struct em *e, const struct esc_pack_meta *m)
{
	const struct esc_provenance *p = m->prov;
	bool git = p != NULL && p->git;
	size_t i;

	if (!git && m->n_meta == 0)
		return;
	em_str(e, ",\n  \"provenance\": {");
	if (git) {
		em_str(e, "\n    \"git\": {\n      \"commit\": ");
		em_json_str(e, p->commit);
		em_fmt(e, ",\n      \"dirty\": %s", p->dirty ? "true" : "false");
		if (p->remote != NULL) {
			em_str(e, ",\n      \"remote\": ");
			em_json_str(e, p->remote);
		}
		em_str(e, ",\n      \"tags\": [");
		for (i = 0; i < p->n_tags; i++) {
			if (i)
				em_str(e, ", ");
			em_json_str(e, p->tags[i]);
		}
		em_str(e, "]\n    }");
	}
	if (m->n_meta > 0) {
		em_str(e, git ? ",\n    \"meta\": {" : "\n    \"meta\": {");
		for (i = 0; i < m->n_meta; i++) {
			const char *kv = m->meta[i], *eq = strchr(kv, '=');
			char key[ESC_META_KEY_MAX + 1];

			snprintf(key, sizeof key, "%.*s", (int)(eq - kv), kv);
			em_str(e, i ? ",\n      " : "\n      ");
			em_json_str(e, key);
			em_str(e, ": ");
			em_json_str(e, eq + 1);
		}
		em_str(e, "\n    }");
	}
	em_str(e, "\n  }");
}

static void gen_json(struct em *e, const struct esc_pack_meta *m, const char *created)
{
	uint64_t files = 0, bytes = 0;
	size_t i;

	em_str(e, "{\n  \"contract\": ");
	if (m->contract != NULL) {
		char hex[65];

		esc_hex(m->contract->raw_sha256, 32, hex);
		em_str(e, "{\n    \"id\": ");
		em_json_str(e, m->contract->id ? m->contract->id : "");
		em_fmt(e, ",\n    \"sha256\": \"%s\"\n  },\n", hex);
	} else {
		em_str(e, "null,\n");
	}
	em_fmt(e, "  \"created\": \"%s\",\n  \"files\": [", created);
	/* One line per entry, keys sorted: 50,000 files make 9 MB instead of 12,
	 * which is less to compress, and a line per file to grep or diff. */
	for (i = 0; i < m->files->n && e->st == ESCROW_OK; i++) {
		const struct esc_file *f = &m->files->v[i];
		char hex[65];

		if (i)
			EM_LIT(e, ",\n    {");
		else
			EM_LIT(e, "\n    {");
		if (f->type == ESC_FT_FILE && m->formats[i] != ESC_FMT_NONE) {
			EM_LIT(e, "\"format\":\"");
			em_str(e, esc_format_name((enum esc_format)m->formats[i]));
			EM_LIT(e, "\",");
		}
		if (f->type != ESC_FT_DIR && f->kind != ESC_KIND_NONE) {
			EM_LIT(e, "\"kind\":\"");
			em_str(e, esc_kind_name(f->kind));
			EM_LIT(e, "\",");
		}
		if (f->type != ESC_FT_SYMLINK) {
			unsigned mode = f->type == ESC_FT_DIR ? 0755u : (unsigned)f->mode & 07777u;
			char oct[4] = {(char)('0' + (mode >> 9)), (char)('0' + ((mode >> 6) & 7)),
			               (char)('0' + ((mode >> 3) & 7)), (char)('0' + (mode & 7))};

			EM_LIT(e, "\"mode\":\"");
			em_put(e, oct, 4);
			EM_LIT(e, "\",");
		}
		EM_LIT(e, "\"mtime\":");
		em_i64(e, f->mtime);
		EM_LIT(e, ",\"path\":");
		em_json_str(e, f->path);
		if (f->type != ESC_FT_DIR && f->has_sha256) {
			esc_hex(f->sha256, 32, hex);
			EM_LIT(e, ",\"sha256\":\"");
			em_put(e, hex, 64);
			EM_LIT(e, "\"");
		}
		if (f->type == ESC_FT_FILE) {
			EM_LIT(e, ",\"size\":");
			em_u64(e, f->size);
			files++;
			bytes += f->size;
		}
		if (f->type == ESC_FT_SYMLINK) {
			EM_LIT(e, ",\"target\":");
			em_json_str(e, esc_file_target(f) ? esc_file_target(f) : "");
		}
		EM_LIT(e, ",\"type\":\"");
		em_str(e, f->type == ESC_FT_FILE ? "file" : f->type == ESC_FT_DIR ? "dir" : "symlink");
		EM_LIT(e, "\"}");
	}
	em_str(e, m->files->n ? "\n  ],\n" : "],\n");
	em_str(e, "  \"format\": \"" ESCROW_BUNDLE_FORMAT "\",\n  \"name\": ");
	em_json_str(e, m->name);
	gen_provenance(e, m);
	em_str(e, ",\n  \"release\": ");
	em_json_str(e, m->release);
	em_fmt(e, ",\n  \"tool\": \"escrow %s\",\n  \"totals\": {\n    \"bytes\": %llu,\n"
	          "    \"files\": %llu\n  }\n}\n",
	       ESCROW_VERSION, (unsigned long long)bytes, (unsigned long long)files);
}

escrow_status esc_pack_render_manifests(escrow_ctx *ctx, const struct esc_pack_meta *m, struct esc_tag_spill *sp)
{
	struct em *e = calloc(1, sizeof *e);
	char created[32];
	escrow_status st = ESCROW_OK;
	size_t i;
	int k;

	if (e == NULL)
		return esc_nomem(ctx);
	esc_pack_iso8601(m->created, created);
	for (k = 0; k < 2 && st == ESCROW_OK; k++) {
		memset(e, 0, sizeof *e);
		e->ctx = ctx;
		e->sp = sp;
		e->sha = esc_sha256_new();
		if (e->sha == NULL) {
			st = esc_nomem(ctx);
			break;
		}
		if (k == 0)
			gen_manifest(e, m);
		else
			gen_json(e, m, created);
		em_flush(e);
		st = e->st;
		sp->size[k] = e->count;
		esc_sha256_final(e->sha, sp->sha[k]);
		esc_sha256_free(e->sha);
	}
	free(e);
	for (i = 0; i < m->files->n; i++)
		if (listed(&m->files->v[i])) {
			sp->octets += m->files->v[i].size;
			sp->count++;
		}
	return st;
}

/* Copies a rendered tag file into the tar under the bag. */
static escrow_status spilled(escrow_ctx *ctx, esc_ptar *t, const struct esc_pack_meta *m, int k, const char *name)
{
	char *path = esc_path_join(m->bag, name);
	escrow_status st;

	if (path == NULL)
		return esc_nomem(ctx);
	st = esc_tag_spill_copy(ctx, t, m->spill, k, path, m->tag_mtime);
	free(path);
	return st;
}

static escrow_status small(escrow_ctx *ctx, esc_ptar *t, const struct esc_pack_meta *m, const char *name,
                           const char *data, size_t len)
{
	char *path = esc_path_join(m->bag, name);
	escrow_status st;

	if (path == NULL)
		return esc_nomem(ctx);
	st = esc_ptar_file_begin(t, path, 0644, len, m->tag_mtime);
	if (st == ESCROW_OK)
		st = esc_ptar_data(t, data, len);
	if (st == ESCROW_OK)
		st = esc_ptar_file_end(t);
	free(path);
	return st;
}

void esc_pack_iso8601(int64_t t, char out[32])
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL || strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm) == 0)
		snprintf(out, 32, "1970-01-01T00:00:00Z");
}

static void human(uint64_t n, char out[32])
{
	static const char *const unit[] = {"KB", "MB", "GB", "TB", "PB"};
	double v = (double)n;
	int u = -1;

	if (n < 1000) {
		snprintf(out, 32, "%llu bytes", (unsigned long long)n);
		return;
	}
	while (v >= 1000.0 && u < 4) {
		v /= 1000.0;
		u++;
	}
	snprintf(out, 32, "%.1f %s", v, unit[u]);
}

char *esc_pack_trusted_comment(const struct esc_pack_meta *m)
{
	const char *id = m->contract && m->contract->id ? m->contract->id : "none";
	char created[32], *s, *p;
	size_t n;

	esc_pack_iso8601(m->created, created);
	n = strlen(m->name) + strlen(m->release) + strlen(id) + 128;
	s = malloc(n);
	if (s == NULL)
		return NULL;
	snprintf(s, n, ESCROW_BUNDLE_FORMAT " name=%s release=%s contract=%s created=%s", m->name,
	         m->release, id, created);
	/* minisign refuses control characters in a trusted comment. */
	for (p = s; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
	return s;
}

char *esc_pack_bag_name(const char *name, const char *release)
{
	size_t n = strlen(name) + strlen(release) + 2;
	char *s = malloc(n), *p;

	if (s == NULL)
		return NULL;
	snprintf(s, n, "%s-%s", name, release);
	for (p = s; *p; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
		      *p == '.' || *p == '_' || *p == '-'))
			*p = '-';
	/* "." and ".." are not folder names a reader accepts. */
	if (strcmp(s, ".") == 0 || strcmp(s, "..") == 0)
		s[0] = '-';
	return s;
}

static int add_line(char **buf, size_t *len, size_t *cap, const char *line)
{
	size_t k = strlen(line);

	if (*len + k + 1 > *cap) {
		size_t nc = (*cap + k + 1) * 2;
		char *nb = realloc(*buf, nc);

		if (nb == NULL)
			return -1;
		*buf = nb;
		*cap = nc;
	}
	memcpy(*buf + *len, line, k + 1);
	*len += k;
	return 0;
}

/* Escrow-Git-* and Escrow-Meta-* (plain one-line values: pack_git.c and
 * esc_meta_ok made them so). */
static int provenance_lines(const struct esc_pack_meta *m, char **buf, size_t *len, size_t *cap)
{
	const struct esc_provenance *p = m->prov;
	char *line = NULL;
	int bad = 0;
	size_t i;

	if (p != NULL && p->git) {
		line = esc_strf("Escrow-Git-Commit: %s\n", p->commit);
		bad |= line == NULL || add_line(buf, len, cap, line);
		free(line);
		if (p->n_tags > 0) {
			bad |= add_line(buf, len, cap, "Escrow-Git-Tags:");
			for (i = 0; i < p->n_tags; i++)
				bad |= add_line(buf, len, cap, " ") | add_line(buf, len, cap, p->tags[i]);
			bad |= add_line(buf, len, cap, "\n");
		}
		if (p->remote != NULL) {
			line = esc_strf("Escrow-Git-Remote: %s\n", p->remote);
			bad |= line == NULL || add_line(buf, len, cap, line);
			free(line);
		}
		bad |= add_line(buf, len, cap, p->dirty ? "Escrow-Git-Dirty: true\n" : "Escrow-Git-Dirty: false\n");
	}
	for (i = 0; i < m->n_meta; i++) {
		line = esc_strf("Escrow-Meta-%.*s: %s\n", (int)(strchr(m->meta[i], '=') - m->meta[i]), m->meta[i],
		                strchr(m->meta[i], '=') + 1);
		bad |= line == NULL || add_line(buf, len, cap, line);
		free(line);
	}
	return bad;
}

static escrow_status bag_info(const struct esc_pack_meta *m, const char *created, char **out, size_t *outlen)
{
	char line[1024], hs[32], date[16];
	uint64_t octets = m->spill->octets, count = m->spill->count;
	size_t len = 0, cap = 0;
	char *buf = NULL;
	int bad = 0;

	human(octets, hs);
	memcpy(date, created, 10);
	date[10] = '\0';
	if (m->contract && m->contract->agency) {
		snprintf(line, sizeof line, "Source-Organization: %s\n", m->contract->agency);
		bad |= add_line(&buf, &len, &cap, line);
	}
	if (m->contract && m->contract->id) {
		snprintf(line, sizeof line, "External-Identifier: %s\n", m->contract->id);
		bad |= add_line(&buf, &len, &cap, line);
	}
	snprintf(line, sizeof line, "External-Description: Escrow deposit %s %s\nBagging-Date: %s\n"
	         "Payload-Oxum: %llu.%llu\nBag-Size: %s\nEscrow-Format: " ESCROW_BUNDLE_FORMAT "\n",
	         m->name, m->release, date, (unsigned long long)octets, (unsigned long long)count, hs);
	bad |= add_line(&buf, &len, &cap, line);
	snprintf(line, sizeof line, "Escrow-Name: %s\nEscrow-Release: %s\nEscrow-Created: %s\n", m->name,
	         m->release, created);
	bad |= add_line(&buf, &len, &cap, line);
	if (m->contract) {
		char hex[65];

		esc_hex(m->contract->raw_sha256, 32, hex);
		snprintf(line, sizeof line, "Escrow-Contract-SHA256: %s\n", hex);
		bad |= add_line(&buf, &len, &cap, line);
	}
	bad |= add_line(&buf, &len, &cap, "Escrow-Tool: escrow " ESCROW_VERSION "\n");
	bad |= provenance_lines(m, &buf, &len, &cap);
	if (bad) {
		free(buf);
		return ESCROW_E_NOMEM;
	}
	*out = buf;
	*outlen = len;
	return ESCROW_OK;
}

static int tag_line(char **buf, size_t *len, size_t *cap, const uint8_t h[32], const char *name)
{
	char line[160], hex[65];

	esc_hex(h, 32, hex);
	snprintf(line, sizeof line, "%s  %s\n", hex, name);
	return add_line(buf, len, cap, line);
}

escrow_status esc_pack_write_tags(escrow_ctx *ctx, esc_ptar *t, const struct esc_pack_meta *m)
{
	uint8_t h_bagit[32], h_info[32];
	char created[32], *info = NULL, *tags = NULL, *tc = NULL, *sig = NULL, *dir = NULL;
	size_t info_len = 0, tags_len = 0, tags_cap = 0, sig_len = 0;
	escrow_status st;
	int bad = 0;

	esc_pack_iso8601(m->created, created);
	st = bag_info(m, created, &info, &info_len);
	if (st != ESCROW_OK) {
		st = esc_error(ctx, st, "out of memory");
		goto out;
	}
	esc_sha256_buf(ESC_BAGIT_TXT, strlen(ESC_BAGIT_TXT), h_bagit);
	esc_sha256_buf(info, info_len, h_info);
	st = small(ctx, t, m, ESC_TAG_BAGIT, ESC_BAGIT_TXT, strlen(ESC_BAGIT_TXT));
	if (st == ESCROW_OK)
		st = small(ctx, t, m, ESC_TAG_BAGINFO, info, info_len);
	if (st == ESCROW_OK)
		st = spilled(ctx, t, m, 0, ESC_TAG_MANIFEST);
	if (st != ESCROW_OK)
		goto out;
	dir = esc_path_join(m->bag, "escrow");
	if (dir == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	st = esc_ptar_dir(t, dir, m->tag_mtime);
	if (st == ESCROW_OK)
		st = spilled(ctx, t, m, 1, ESC_TAG_JSON);
	if (st == ESCROW_OK && m->contract)
		st = small(ctx, t, m, ESC_TAG_CONTRACT, m->contract->raw, m->contract->raw_len);
	if (st != ESCROW_OK)
		goto out;
	bad |= tag_line(&tags, &tags_len, &tags_cap, h_bagit, ESC_TAG_BAGIT);
	bad |= tag_line(&tags, &tags_len, &tags_cap, h_info, ESC_TAG_BAGINFO);
	bad |= tag_line(&tags, &tags_len, &tags_cap, m->spill->sha[0], ESC_TAG_MANIFEST);
	bad |= tag_line(&tags, &tags_len, &tags_cap, m->spill->sha[1], ESC_TAG_JSON);
	if (m->contract)
		bad |= tag_line(&tags, &tags_len, &tags_cap, m->contract->raw_sha256, ESC_TAG_CONTRACT);
	tc = esc_pack_trusted_comment(m);
	if (bad || tc == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	st = small(ctx, t, m, ESC_TAG_TAGMANIFEST, tags, tags_len);
	if (st == ESCROW_OK)
		st = escrow_sign_buffer(ctx, m->key, tags, tags_len, tc, &sig, &sig_len);
	if (st == ESCROW_OK)
		st = small(ctx, t, m, ESC_TAG_SIGNATURE, sig, sig_len);
out:
	free(info);
	free(tags);
	free(tc);
	free(sig);
	free(dir);
	return st;
}
