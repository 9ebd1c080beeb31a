/* vault_records.c -- what a verification of a deposit read of its files
 * (paths, digests, sizes, kinds, findings and their texts, model summaries),
 * kept beside the vault's store as VAULT/records/HEX.jsonl.zst, so that the
 * next deposit of the contract is compared with it (vault receive's diff)
 * without reading the previous bundle again. One JSON object a line, zstd:
 * the first line {"format": "escrow-records/1", "info": ..., "files": N},
 * then one line per file. The receive event records the file's SHA-256: a
 * records file that is missing, altered or unreadable is not used (the
 * bundle is read instead). Derived data: never the source of a verdict. */
#include "esc_diff.h"
#include "esc_formats.h"
#include "esc_notes.h"
#include "esc_vault.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

#define REC_FORMAT "escrow-records/1"
/* a line: a path and texts, bounded well below, but for an ONNX model's
 * external data locations (a few MiB at most, esc_formats.h); a longer line
 * makes the records unused (the bundle is read instead) */
#define REC_LINE_MAX (8u << 20)
#define REC_ARENA (1u << 20)
#define REC_IO (1u << 17)

/* ---- writing ---- */

struct rec_out {
	escrow_ctx *ctx;
	int fd;
	const char *name;
	ZSTD_CCtx *z;
	esc_sha256 *h;
	uint8_t *buf;
};

static escrow_status out_bytes(struct rec_out *o, const void *src, size_t len, ZSTD_EndDirective end)
{
	ZSTD_inBuffer in = {src, len, 0};
	size_t left;

	do {
		ZSTD_outBuffer out = {o->buf, REC_IO, 0};
		escrow_status st;

		left = ZSTD_compressStream2(o->z, &out, &in, end);
		if (ZSTD_isError(left))
			return esc_error(o->ctx, ESCROW_E_INTERNAL, "%s: zstd: %s", o->name, ZSTD_getErrorName(left));
		esc_sha256_update(o->h, o->buf, out.pos);
		st = esc_write_all(o->ctx, o->fd, o->buf, out.pos, o->name);
		if (st != ESCROW_OK)
			return st;
	} while (end == ZSTD_e_end ? left != 0 : in.pos < in.size);
	return ESCROW_OK;
}

static escrow_status out_line(struct rec_out *o, json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII) : NULL;
	escrow_status st;

	json_decref(j);
	if (s == NULL)
		return esc_nomem(o->ctx);
	st = out_bytes(o, s, strlen(s), ZSTD_e_continue);
	if (st == ESCROW_OK)
		st = out_bytes(o, "\n", 1, ZSTD_e_continue);
	free(s);
	return st;
}

/* One file's line: the record's fields and its texts. */
static json_t *file_line(const struct esc_files *fs, const struct esc_file *f)
{
	struct esc_note_view v;
	json_t *j, *sec;
	char hex[65];
	unsigned k;

	esc_note_get(fs, f, &v);
	esc_hex(f->sha256, 32, hex);
	j = json_pack("{s:s, s:i, s:I, s:I, s:i, s:s, s:b, s:i, s:b, s:i, s:i, s:i, s:i}", "p", f->path, "t",
	              f->type, "s", (json_int_t)f->size, "mt", (json_int_t)f->mtime, "m", f->mode, "h", hex, "hh",
	              f->has_sha256, "k", f->kind, "ld", f->link_to_dir, "fd", f->fnd.detected, "fw", f->fnd.wanted,
	              "fb", f->fnd.bits, "fn", f->fnd.n_secrets);
	if (j == NULL)
		return NULL;
	if (f->fnd.also != 0) /* absent from records written before it was kept */
		json_object_set_new(j, "fa", json_integer(f->fnd.also));
	if (f->link != NULL) {
		json_object_set_new(j, "lt", json_string(f->link->target ? f->link->target : ""));
		if (f->link->resolved != NULL)
			json_object_set_new(j, "lr", json_string(f->link->resolved));
	}
	if (f->note == 0)
		return j;
	sec = json_array();
	for (k = 0; k < v.n_lines && k < 4; k++)
		json_array_append_new(sec, json_string(v.secret[k]));
	json_object_set_new(j, "n", json_pack("{s:s, s:s, s:s, s:s, s:I, s:o}", "reason", v.reason, "imports", v.imports,
	                                      "external", v.external, "model", v.model, "secrets",
	                                      (json_int_t)v.n_secrets, "lines", sec));
	return j;
}

static char *records_path(escrow_vault *v, const char *bundle_sha256, const char *suffix)
{
	return esc_strf("%s/records/%s.jsonl.zst%s", v->path, bundle_sha256, suffix);
}

escrow_status esc_records_write(escrow_vault *v, const struct esc_diff_side *s, const char *bundle_sha256,
                                char sha256[65])
{
	struct rec_out o = {.ctx = v->ctx, .fd = -1};
	char *dir = esc_path_join(v->path, "records"), *name = records_path(v, bundle_sha256, ""),
	     *tmp = records_path(v, bundle_sha256, ".XXXXXX");
	escrow_status st = ESCROW_OK;
	uint8_t md[32];
	size_t i;

	sha256[0] = '\0';
	o.z = ZSTD_createCCtx();
	o.h = esc_sha256_new();
	o.buf = malloc(REC_IO);
	if (dir == NULL || name == NULL || tmp == NULL || o.z == NULL || o.h == NULL || o.buf == NULL) {
		st = esc_nomem(v->ctx);
		goto out;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		st = esc_error(v->ctx, ESCROW_E_CREATE, "%s: %s", dir, strerror(errno));
		goto out;
	}
	o.fd = mkstemp(tmp);
	if (o.fd < 0) {
		st = esc_error(v->ctx, ESCROW_E_CREATE, "%s: %s", dir, strerror(errno));
		goto out;
	}
	o.name = tmp;
	ZSTD_CCtx_setParameter(o.z, ZSTD_c_compressionLevel, 3);
	ZSTD_CCtx_setParameter(o.z, ZSTD_c_checksumFlag, 1);
	st = out_line(&o, json_pack("{s:s, s:O, s:I}", "format", REC_FORMAT, "info", s->info, "files",
	                            (json_int_t)s->files.n));
	for (i = 0; st == ESCROW_OK && i < s->files.n; i++)
		st = out_line(&o, file_line(&s->files, &s->files.v[i]));
	if (st == ESCROW_OK)
		st = out_bytes(&o, "", 0, ZSTD_e_end);
	if (st == ESCROW_OK && close(o.fd) != 0)
		st = esc_error(v->ctx, ESCROW_E_IO, "%s: %s", tmp, strerror(errno));
	o.fd = -1;
	if (st == ESCROW_OK && rename(tmp, name) != 0)
		st = esc_error(v->ctx, ESCROW_E_CREATE, "%s: %s", name, strerror(errno));
	if (st == ESCROW_OK) {
		esc_sha256_final(o.h, md);
		esc_hex(md, 32, sha256);
	}
out:
	if (o.fd >= 0)
		close(o.fd);
	if (st != ESCROW_OK && tmp != NULL)
		unlink(tmp);
	ZSTD_freeCCtx(o.z);
	esc_sha256_free(o.h);
	free(o.buf);
	free(dir);
	free(name);
	free(tmp);
	return st;
}

/* ---- reading ---- */

struct rec_in {
	struct esc_diff_side *s;
	char *cur;             /* strings go into the side's arena (arena_alloc) */
	size_t left;
	bool bad;              /* a line that is not what this file writes */
	size_t lines;
	json_int_t files;      /* as the first line says */
};

/* n bytes in the side's arena (1 MiB chunks, 16-byte aligned), which
 * esc_diff_side_free() frees. */
static void *arena_alloc(struct rec_in *r, size_t n)
{
	size_t pad = (size_t)(-(uintptr_t)r->cur & 15u);
	char **a, *p;

	if (r->cur == NULL || pad + n > r->left) {
		size_t sz = n > REC_ARENA ? n : REC_ARENA;

		a = realloc(r->s->arena, (r->s->n_arena + 1) * sizeof *a);
		if (a == NULL)
			return NULL;
		r->s->arena = a;
		if ((a[r->s->n_arena] = malloc(sz)) == NULL)
			return NULL;
		r->cur = a[r->s->n_arena++];
		r->left = sz;
		pad = 0;
	}
	p = r->cur + pad;
	r->cur = p + n;
	r->left -= pad + n;
	return p;
}

static char *keep(struct rec_in *r, const char *str)
{
	size_t n = strlen(str) + 1;
	char *p = arena_alloc(r, n);

	if (p != NULL)
		memcpy(p, str, n);
	return p;
}

static const char *str_of(const json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));

	return v != NULL ? v : "";
}

/* The texts, back into the list's notes, as the inspection had them. */
static int notes_of(struct esc_files *fs, struct esc_file *f, const json_t *n)
{
	struct esc_inspection in;
	const json_t *l;
	size_t k;

	memset(&in, 0, sizeof in);
	in.detected = (enum esc_format)f->fnd.detected;
	in.wanted = (enum esc_format)f->fnd.wanted;
	snprintf(in.reason, sizeof in.reason, "%s", str_of(n, "reason"));
	snprintf(in.pickle_imports, sizeof in.pickle_imports, "%s", str_of(n, "imports"));
	/* "LOCATION", "LOCATION\nBYTES" (records of earlier versions) or the
	 * whole list (esc_formats.h): kept as read; only its presence is a flag */
	in.external = (char *)str_of(n, "external"); /* borrowed: not cleared */
	snprintf(in.model, sizeof in.model, "%s", str_of(n, "model"));
	in.n_secrets = (unsigned)json_integer_value(json_object_get(n, "secrets"));
	json_array_foreach(json_object_get(n, "lines"), k, l) {
		if (k < 4)
			snprintf(in.secrets[k], sizeof in.secrets[k], "%s", json_string_value(l) ? json_string_value(l) : "");
	}
	return esc_files_note(fs, f, &in);
}

static bool in_range(const json_t *o, const char *k, json_int_t lo, json_int_t hi, json_int_t *out)
{
	const json_t *v = json_object_get(o, k);

	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = json_integer_value(v);
	return true;
}

static escrow_status take_file(struct rec_in *r, const json_t *j)
{
	json_int_t t, m, k, fd, fw, fb, fn, size, mt;
	const char *p = json_string_value(json_object_get(j, "p")), *h = json_string_value(json_object_get(j, "h"));
	struct esc_file *f;
	size_t i;

	if (p == NULL || h == NULL || strlen(h) != 64 || !in_range(j, "t", 0, 255, &t) || !in_range(j, "m", 0, 07777, &m) ||
	    !in_range(j, "k", 0, 255, &k) || !in_range(j, "fd", 0, 255, &fd) || !in_range(j, "fw", 0, 255, &fw) ||
	    !in_range(j, "fb", 0, 255, &fb) || !in_range(j, "fn", 0, 65535, &fn) ||
	    !in_range(j, "s", 0, INT64_MAX, &size) || !in_range(j, "mt", INT64_MIN, INT64_MAX, &mt)) {
		r->bad = true;
		return ESCROW_OK;
	}
	if ((f = esc_files_push(&r->s->files)) == NULL || (f->path = keep(r, p)) == NULL)
		return ESCROW_E_NOMEM;
	for (i = 0; i < 32; i++) {
		int hi = esc_hex_digit((unsigned char)h[2 * i]), lo = esc_hex_digit((unsigned char)h[2 * i + 1]);

		if (hi < 0 || lo < 0) {
			r->bad = true;
			return ESCROW_OK;
		}
		f->sha256[i] = (uint8_t)(hi << 4 | lo);
	}
	f->type = (uint8_t)t;
	f->mode = (uint16_t)m;
	f->kind = (uint8_t)k;
	f->size = (uint64_t)size;
	f->mtime = (int64_t)mt;
	f->has_sha256 = json_is_true(json_object_get(j, "hh"));
	f->link_to_dir = json_is_true(json_object_get(j, "ld"));
	if (json_is_string(json_object_get(j, "lt"))) {
		/* the link record lives in the arena too: the side frees the arena only */
		struct esc_link *l = arena_alloc(r, sizeof *l);

		if (l == NULL || (l->target = keep(r, str_of(j, "lt"))) == NULL)
			return ESCROW_E_NOMEM;
		l->resolved = NULL;
		l->timed = false;
		if (json_is_string(json_object_get(j, "lr")) && (l->resolved = keep(r, str_of(j, "lr"))) == NULL)
			return ESCROW_E_NOMEM;
		f->link = l;
	}
	f->fnd.detected = (uint8_t)fd;
	f->fnd.wanted = (uint8_t)fw;
	if (json_is_object(json_object_get(j, "n")) && notes_of(&r->s->files, f, json_object_get(j, "n")) != 0)
		return ESCROW_E_NOMEM;
	/* the flags as the verification left them (what the texts do not say) */
	f->fnd.detected = (uint8_t)fd;
	f->fnd.wanted = (uint8_t)fw;
	f->fnd.bits = (uint8_t)fb;
	f->fnd.n_secrets = (uint16_t)fn;
	if (json_object_get(j, "fa") != NULL) {
		json_int_t fa;

		if (!in_range(j, "fa", 0, 255, &fa)) {
			r->bad = true;
			return ESCROW_OK;
		}
		f->fnd.also = (uint8_t)fa;
	}
	return ESCROW_OK;
}

static escrow_status take_line(struct rec_in *r, const char *line, size_t len)
{
	json_t *j = json_loadb(line, len, JSON_REJECT_DUPLICATES, NULL);
	escrow_status st = ESCROW_OK;

	if (j == NULL) {
		r->bad = true;
		return ESCROW_OK;
	}
	if (r->lines++ == 0) {
		if (strcmp(str_of(j, "format"), REC_FORMAT) != 0 || !json_is_object(json_object_get(j, "info")) ||
		    !in_range(j, "files", 0, INT64_MAX, &r->files))
			r->bad = true;
		else
			r->s->info = json_incref(json_object_get(j, "info"));
	} else {
		st = take_file(r, j);
	}
	json_decref(j);
	return st;
}

/* Decompresses the file, a line at a time, hashing what it reads. */
static escrow_status read_lines(escrow_ctx *ctx, int fd, struct rec_in *r, uint8_t md[32])
{
	ZSTD_DCtx *z = ZSTD_createDCtx();
	esc_sha256 *h = esc_sha256_new();
	uint8_t *ib = malloc(REC_IO);
	char *line = malloc(REC_LINE_MAX);
	size_t have = 0, ret = 1;
	escrow_status st = (z && h && ib && line) ? ESCROW_OK : esc_nomem(ctx);
	ssize_t n;

	while (st == ESCROW_OK && !r->bad && (n = read(fd, ib, REC_IO)) > 0) {
		ZSTD_inBuffer in = {ib, (size_t)n, 0};

		esc_sha256_update(h, ib, (size_t)n);
		while (st == ESCROW_OK && !r->bad && in.pos < in.size) {
			ZSTD_outBuffer out = {line + have, REC_LINE_MAX - have, 0};
			char *nl;

			ret = ZSTD_decompressStream(z, &out, &in);
			if (ZSTD_isError(ret)) {
				r->bad = true;
				break;
			}
			have += out.pos;
			while (st == ESCROW_OK && !r->bad && (nl = memchr(line, '\n', have)) != NULL) {
				st = take_line(r, line, (size_t)(nl - line));
				have -= (size_t)(nl - line) + 1;
				memmove(line, nl + 1, have);
			}
			if (have == REC_LINE_MAX)
				r->bad = true;
		}
	}
	if (st == ESCROW_OK && (ret != 0 || have != 0))
		r->bad = true;
	if (st == ESCROW_OK)
		esc_sha256_final(h, md);
	ZSTD_freeDCtx(z);
	esc_sha256_free(h);
	free(ib);
	free(line);
	return st == ESCROW_E_NOMEM ? esc_nomem(ctx) : st;
}

escrow_status esc_records_read(escrow_vault *v, const char *bundle_sha256, const char *want_sha256,
                               struct esc_diff_side **out)
{
	char *name = records_path(v, bundle_sha256, ""), hex[65];
	struct rec_in r = {0};
	uint8_t md[32];
	escrow_status st;
	int fd;

	*out = NULL;
	if (name == NULL)
		return esc_nomem(v->ctx);
	fd = open(name, O_RDONLY | O_CLOEXEC);
	free(name);
	if (fd < 0 || want_sha256 == NULL || strlen(want_sha256) != 64) {
		if (fd >= 0)
			close(fd);
		return ESCROW_OK; /* none kept: the bundle is read instead */
	}
	r.s = calloc(1, sizeof *r.s);
	if (r.s == NULL) {
		close(fd);
		return esc_nomem(v->ctx);
	}
	st = read_lines(v->ctx, fd, &r, md);
	close(fd);
	if (st == ESCROW_OK && !r.bad) {
		esc_hex(md, 32, hex);
		if (strcmp(hex, want_sha256) != 0 || r.s->info == NULL || (json_int_t)r.s->files.n != r.files)
			r.bad = true;
	}
	if (st != ESCROW_OK || r.bad) {
		esc_diff_side_free(r.s);
		return st;
	}
	r.s->status = ESCROW_OK;
	r.s->key_checked = true;
	esc_files_sort(&r.s->files);
	*out = r.s;
	return ESCROW_OK;
}
