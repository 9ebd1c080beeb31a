/* age_rewrap.c -- the release: a sealed deposit, verified in full, re-encrypted
 * for new recipients and signed by the notary.
 *
 * One pass. The reader (bundle_read*.c) decrypts, decompresses and checks the
 * deposit as for verify; a tap on its input thread sees every byte it read
 * and accepted, in order. The tap parses the age header again, opens the file
 * key, writes a header for the new recipients into a temporary file, then
 * copies the nonce and payload bytes unchanged (so the release is the same
 * deposit, byte for byte after the header), hashing the input (the source
 * deposit's SHA-256) and the output (and its minisign prehash) on the way.
 * The tap's work (hashing, writing) runs on a thread of its own behind a
 * small queue (io_sink_thread.c), so that the reader's thread only decrypts and
 * decompresses. The temporary becomes the output only when the verdict is
 * "verified": the notary never signs bytes it has not checked. */
#include "esc_bundle_read.h"
#include "esc_escape.h"
#include "esc_minisign.h"
#include "esc_pack.h"
#include "esc_api.h"

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define TC_FIELD_MAX 240

struct tap {
	escrow_ctx *tctx;                    /* messages from the tap's thread */
	const escrow_identities *ids;
	const escrow_recipients *rs;
	const char *in, *out;
	int fd;
	struct esc_age_header h;
	bool header_done;
	uint8_t *file_key;
	esc_sha256 *src, *dst;
	esc_msign *ms;                       /* NULL unless signing */
	uint64_t out_bytes;
	escrow_status st;
};

static escrow_status tap_out(struct tap *t, const uint8_t *b, size_t len)
{
	escrow_status st = esc_write_all(t->tctx, t->fd, b, len, t->out);

	if (st != ESCROW_OK)
		return st;
	esc_sha256_update(t->dst, b, len);
	if (t->ms != NULL)
		esc_msign_update(t->ms, b, len);
	t->out_bytes += len;
	return ESCROW_OK;
}

static escrow_status tap_header(struct tap *t, const uint8_t *b, size_t len, size_t *used)
{
	static const uint8_t zmagic[4] = {0x28, 0xB5, 0x2F, 0xFD};
	uint8_t *hdr = NULL;
	size_t hlen = 0;
	escrow_status st;

	if (t->h.len == 0 && len >= 4 && memcmp(b, zmagic, 4) == 0)
		return esc_error(t->tctx, ESCROW_E_INPUT, "%s is not sealed: rewrap releases a sealed (age-encrypted) "
		                 "deposit; an unsealed bundle opens without any identity", t->in);
	st = esc_age_header_push(t->tctx, &t->h, b, len, used);
	if (st != ESCROW_OK || !t->h.done)
		return st;
	/* The reader's own age stream accepted this header already (MAC
	 * included): opening it again only gives the tap the file key. */
	st = esc_age_header_open(t->tctx, &t->h, t->ids, t->file_key);
	if (st == ESCROW_OK)
		st = esc_age_header_build(t->tctx, t->rs, t->file_key, &hdr, &hlen);
	sodium_memzero(t->file_key, ESC_AGE_FILE_KEY_LEN);
	if (st == ESCROW_OK)
		st = tap_out(t, hdr, hlen);
	free(hdr);
	t->header_done = st == ESCROW_OK;
	return st;
}

/* Runs on the tap's thread. */
static escrow_status tap_write(void *state, const void *buf, size_t len)
{
	struct tap *t = state;
	const uint8_t *b = buf;
	size_t used = 0;

	if (t->st != ESCROW_OK)
		return t->st;
	esc_sha256_update(t->src, b, len);
	if (!t->header_done) {
		t->st = tap_header(t, b, len, &used);
		if (t->st != ESCROW_OK || !t->header_done)
			return t->st;
		b += used;
		len -= used;
	}
	if (len > 0)
		t->st = tap_out(t, b, len);
	return t->st;
}

/* A value of the trusted comment: printable ASCII but space and '%' as they
 * are, every other byte %XX (minisign refuses control characters, a space
 * would end the field), cut at TC_FIELD_MAX. */
static void tc_value(const char *v, char out[TC_FIELD_MAX + 4])
{
	size_t n = 0;

	for (; v != NULL && *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (n + 3 > TC_FIELD_MAX) {
			memcpy(out + n, "...", 3);
			n += 3;
			break;
		}
		if (c > 0x20 && c < 0x7f && c != '%')
			out[n++] = (char)c;
		else
			n += (size_t)snprintf(out + n, 4, "%%%02X", c);
	}
	if (n == 0)
		out[n++] = '-';
	out[n] = '\0';
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');

	return s ? s + 1 : path;
}

/* The release's time: SOURCE_DATE_EPOCH when set, else now. */
static escrow_status release_time(escrow_ctx *ctx, int64_t *t)
{
	bool have;
	escrow_status st = esc_source_date_epoch(ctx, &have, t);

	if (st == ESCROW_OK && !have)
		*t = (int64_t)time(NULL);
	return st;
}

/* "escrow-release/1 name=N release=R source=FILE source-sha256=HEX
 * released=ISO8601 file=OUT", malloc'd. */
static char *trusted_comment(const struct esc_rd *rd, const char *in, const char *src_hex, int64_t when,
                             const char *out)
{
	char name[TC_FIELD_MAX + 4], rel[TC_FIELD_MAX + 4], src[TC_FIELD_MAX + 4], file[TC_FIELD_MAX + 4];
	char iso[32] = "1970-01-01T00:00:00Z";
	time_t tt = (time_t)when;
	struct tm tm;
	size_t cap = 6 * (TC_FIELD_MAX + 4) + 128;
	char *s = malloc(cap);

	if (s == NULL)
		return NULL;
	if (gmtime_r(&tt, &tm) != NULL)
		strftime(iso, sizeof iso, "%Y-%m-%dT%H:%M:%SZ", &tm);
	tc_value(json_string_value(json_object_get(rd->manifest, "name")), name);
	tc_value(json_string_value(json_object_get(rd->manifest, "release")), rel);
	tc_value(base_name(in), src);
	tc_value(base_name(out), file);
	snprintf(s, cap, "escrow-release/1 name=%s release=%s source=%s source-sha256=%s released=%s file=%s", name,
	         rel, src, src_hex, iso, file);
	return s;
}

/* OUT.minisig from an earlier run signs the file this run replaced: verify
 * would report it as a bad detached signature. Never fails the release. */
static void drop_stale_signature(escrow_ctx *ctx, const char *sig, const char *out, unsigned flags)
{
	struct stat sb;

	if (lstat(sig, &sb) != 0)
		return;
	if (!(flags & ESCROW_FORCE))
		esc_warn(ctx, "%s: does not sign the new %s; left as it was (remove it, or give -s KEY and --force)",
		         sig, out);
	else if (unlink(sig) == 0)
		esc_warn(ctx, "%s: removed: it signed the earlier %s (give -s KEY to sign the new one)", sig, out);
	else
		esc_warn(ctx, "%s: does not sign the new %s and cannot be removed: %s", sig, out, strerror(errno));
}

static escrow_status write_signature(escrow_ctx *ctx, const char *path, const char *sig, size_t len,
                                     unsigned flags)
{
	char *tmp = NULL;
	int fd = -1;
	escrow_status st = esc_atomic_open(ctx, path, 0644, flags, &fd, &tmp);

	if (st == ESCROW_OK) {
		st = esc_write_all(ctx, fd, sig, len, path);
		if (st == ESCROW_OK)
			st = esc_atomic_commit(ctx, fd, tmp, path, flags);
		else
			esc_atomic_abort(fd, tmp);
	}
	free(tmp);
	return st;
}

static void report_release(escrow_report *r, const struct esc_rewrap_res *res, const char *out,
                           const char *sig_path, const char *tc)
{
	json_t *o = json_pack("{s:s,s:s,s:I}", "source_sha256", res->source_sha256, "output_sha256",
	                      res->output_sha256, "bytes", (json_int_t)res->bytes);

	if (o == NULL)
		return;
	/* Paths are the caller's bytes: jansson refuses invalid UTF-8. */
	json_object_set_new(o, "output", esc_json_string(out));
	json_object_set_new(o, "signature", sig_path ? esc_json_string(sig_path) : json_null());
	json_object_set_new(o, "trusted_comment", tc ? esc_json_string(tc) : json_null());
	json_object_set_new(r->root, "release", o);
}

static escrow_status check_options(escrow_ctx *ctx, const struct esc_rewrap_opts *o)
{
	if (o == NULL || o->bundle == NULL || o->output == NULL || o->key == NULL || o->recipients == NULL ||
	    o->recipients->n == 0)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_rewrap: a sealed bundle, an output, the agency's public "
		                 "key and at least one recipient are required");
	if (strcmp(o->bundle, "-") == 0 || strcmp(o->output, "-") == 0)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_rewrap: the bundle and the output are files, not '-'");
	return ESCROW_OK;
}

/* One release, layer by layer: what it holds before any byte is read
 * (rewrap_prepare/rewrap_release), the output file (rewrap_to_output), the
 * verifying copy (rewrap_copy), the digests and signature (rewrap_seal),
 * the rename (rewrap_commit). */
struct rewrap {
	escrow_ctx *ctx;
	const struct esc_rewrap_opts *o;
	struct esc_rd rd;
	struct tap t;
	escrow_ctx *fctx;                    /* the queue's front: the reader's thread, then ours */
	escrow_report *r;
	char *tmp, *sig_path, *tc, *sig;
	size_t sig_len;
	int64_t when;
	struct esc_rewrap_res rr;
};

static escrow_status rewrap_prepare(struct rewrap *w, escrow_ctx *ctx, const struct esc_rewrap_opts *o)
{
	struct tap *t = &w->t;
	struct stat sb;
	escrow_status st;

	memset(w, 0, sizeof *w);
	w->ctx = ctx;
	w->o = o;
	esc_rd_init(&w->rd, ctx, o->bundle, o->key, o->contract, o->identities);
	t->fd = -1;
	t->ids = o->identities;
	t->rs = o->recipients;
	t->in = o->bundle;
	t->out = o->output;
	esc_age_header_init(&t->h, o->bundle);
	st = release_time(ctx, &w->when);
	if (st != ESCROW_OK)
		return st;
	w->sig_path = esc_strf("%s.minisig", o->output);
	t->tctx = escrow_ctx_new();
	w->fctx = escrow_ctx_new();
	t->file_key = sodium_malloc(ESC_AGE_FILE_KEY_LEN);
	t->src = esc_sha256_new();
	t->dst = esc_sha256_new();
	if (w->sig_path == NULL || t->tctx == NULL || w->fctx == NULL || t->file_key == NULL || t->src == NULL ||
	    t->dst == NULL)
		return esc_nomem(ctx);
	/* Refused before the work rather than after it. */
	if (o->sign_key != NULL && !(o->flags & ESCROW_FORCE) && lstat(w->sig_path, &sb) == 0)
		return esc_error(ctx, ESCROW_E_EXISTS, "%s: already exists (use --force to replace it)", w->sig_path);
	if (o->sign_key != NULL)
		return esc_msign_new(ctx, o->sign_key, &t->ms);
	return ESCROW_OK;
}

static void rewrap_release(struct rewrap *w)
{
	esc_rd_clear(&w->rd);
	esc_age_header_clear(&w->t.h);
	esc_msign_free(w->t.ms);
	esc_sha256_free(w->t.src);
	esc_sha256_free(w->t.dst);
	sodium_free(w->t.file_key);
	escrow_ctx_free(w->t.tctx);
	escrow_ctx_free(w->fctx);
	free(w->sig_path);
	free(w->sig);
	free(w->tc);
}

/* Whose failure a copy ends on: the tap's first (not sealed, disk full: its
 * message, not the reader's "stopped"), then the queue's, then the reader's
 * verdict (in the report; nothing written). */
static escrow_status copy_outcome(struct rewrap *w, escrow_status st, escrow_status fst)
{
	if (w->t.st != ESCROW_OK) {
		escrow_report_free(w->r);
		w->r = NULL;
		return esc_error(w->ctx, w->t.st, "%s", esc_ctx_message(w->t.tctx));
	}
	if (fst != ESCROW_OK)
		return esc_error(w->ctx, fst, "%s", esc_ctx_message(w->fctx));
	if (st != ESCROW_OK)
		return st;
	if (!w->rd.sealed || !w->t.header_done)
		return esc_error(w->ctx, ESCROW_E_INPUT, "%s is not sealed: rewrap releases a sealed (age-encrypted) "
		                 "deposit", w->o->bundle);
	return ESCROW_OK;
}

/* The verify pass, with the tap on the reader's input behind its queue. */
static escrow_status rewrap_copy(struct rewrap *w)
{
	struct esc_sink sink = {tap_write, &w->t};
	esc_tsink *ts = NULL;
	escrow_status st, fst = ESCROW_OK;

	st = esc_tsink_new(w->fctx, w->t.tctx, sink, &ts);
	if (st != ESCROW_OK)
		return esc_error(w->ctx, st, "%s", esc_ctx_message(w->fctx));
	sink.write = esc_tsink_write;
	sink.state = ts;
	w->rd.raw_tap = &sink;
	st = esc_rd_verify(&w->rd, "rewrap", &w->r);
	/* The reader's thread has ended: the rest of the queue, from here. */
	if (st == ESCROW_OK)
		fst = esc_tsink_finish(ts);
	esc_tsink_free(ts);
	w->rd.raw_tap = NULL;
	return copy_outcome(w, st, fst);
}

static escrow_status rewrap_seal(struct rewrap *w)
{
	uint8_t h[32];

	esc_sha256_final(w->t.src, h);
	esc_hex(h, 32, w->rr.source_sha256);
	esc_sha256_final(w->t.dst, h);
	esc_hex(h, 32, w->rr.output_sha256);
	w->rr.bytes = w->t.out_bytes;
	if (w->t.ms == NULL)
		return ESCROW_OK;
	w->tc = trusted_comment(&w->rd, w->o->bundle, w->rr.source_sha256, w->when, w->o->output);
	if (w->tc == NULL)
		return esc_nomem(w->ctx);
	return esc_msign_final(w->ctx, w->t.ms, w->tc, &w->sig, &w->sig_len);
}

static escrow_status rewrap_commit(struct rewrap *w)
{
	const struct esc_rewrap_opts *o = w->o;
	escrow_status st = esc_atomic_commit(w->ctx, w->t.fd, w->tmp, o->output, o->flags);

	w->t.fd = -1;
	if (st != ESCROW_OK)
		return st;
	if (w->sig != NULL) {
		st = write_signature(w->ctx, w->sig_path, w->sig, w->sig_len, o->flags);
		if (st != ESCROW_OK) {
			/* A release is only handed over with its signature. */
			esc_error_prefix(w->ctx, "%s: released but not signed, removed", o->output);
			unlink(o->output);
			return st;
		}
		w->rr.signed_ = 1;
	} else {
		drop_stale_signature(w->ctx, w->sig_path, o->output, o->flags);
	}
	report_release(w->r, &w->rr, o->output, w->rr.signed_ ? w->sig_path : NULL, w->tc);
	return ESCROW_OK;
}

/* A temporary file beside the output, renamed into place only when verified. */
static escrow_status rewrap_to_output(struct rewrap *w)
{
	escrow_status st = esc_atomic_open(w->ctx, w->o->output, 0644, w->o->flags, &w->t.fd, &w->tmp);

	if (st != ESCROW_OK)
		return st;
	st = rewrap_copy(w);
	if (st == ESCROW_OK)
		st = rewrap_seal(w);
	if (st == ESCROW_OK)
		st = rewrap_commit(w);
	if (w->t.fd >= 0)
		esc_atomic_abort(w->t.fd, w->tmp);
	free(w->tmp);
	w->tmp = NULL;
	return st;
}

escrow_status esc_rewrap(escrow_ctx *ctx, const struct esc_rewrap_opts *o,
                            struct esc_rewrap_res *res, escrow_report **report)
{
	struct rewrap w;
	escrow_status st;

	if (report != NULL)
		*report = NULL;
	if (res != NULL)
		memset(res, 0, sizeof *res);
	if (ctx == NULL || report == NULL)
		return ESCROW_E_USAGE;
	st = check_options(ctx, o);
	if (st != ESCROW_OK)
		return st;
	st = rewrap_prepare(&w, ctx, o);
	if (st == ESCROW_OK)
		st = rewrap_to_output(&w);
	if (st == ESCROW_OK && res != NULL)
		*res = w.rr;
	if (w.r != NULL && st != ESCROW_OK && st >= ESCROW_E_USAGE && w.r->status == ESCROW_OK) {
		/* Verified, but the release could not be written: the error says why. */
		escrow_report_free(w.r);
		w.r = NULL;
	}
	*report = w.r;
	rewrap_release(&w);
	return st;
}
