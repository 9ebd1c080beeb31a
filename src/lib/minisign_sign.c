/* minisign_sign.c -- minisign signatures: streaming signer and verifier,
 * and the buffer and file helpers of escrow.h. */
#include "escrow_private.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define SIG_TEXT_MAX 16384       /* four lines; the trusted comment is the only long one */
#define TRUSTED_MAX 8000         /* minisign reads the trusted comment line into 8192 bytes */
#define UNTRUSTED_LINE "untrusted comment: signature from escrow secret key\n"
#define TRUSTED_PREFIX "trusted comment: "
#define READ_CHUNK (256 * 1024)

/* A parsed .minisig. */
struct msig {
	uint8_t blob[ESC_MSIG_BLOB]; /* alg(2) || key id(8) || signature(64) */
	uint8_t global[64];
	const char *comment;         /* points into the signature text */
	size_t comment_len;
};

struct esc_msign {
	esc_blake2b *hs;             /* the prehash: BLAKE2b-512 (crypto_bulk.c) */
	const escrow_seckey *sk;
};

struct esc_mverify {
	esc_blake2b *hs;             /* "ED": the data's BLAKE2b-512 */
	crypto_hash_sha512_state *legacy; /* "Ed": Ed25519's own SHA-512(R || A || data) */
	escrow_pubkey pk;
	struct msig m;
	char *text;                  /* a copy of the signature: the caller's may go away */
	char *name;
};


/* What escrow's signer refuses in a trusted comment (minisign -S takes
 * any but a line break; escrow never writes the others). */
static const char *comment_problem(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '\r')
			return "contains a carriage return (\\r)";
		if (c == '\n')
			return "contains a line break";
		if ((c < 0x20 && c != '\t') || c == 0x7f)
			return "contains a control character";
	}
	return NULL;
}

escrow_status esc_msign_new(escrow_ctx *ctx, const escrow_seckey *sk, esc_msign **out)
{
	esc_msign *s;

	*out = NULL;
	if (sk == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "signing: no secret key given");
	s = calloc(1, sizeof *s);
	if (s == NULL || (s->hs = esc_blake2b_new()) == NULL) {
		free(s);
		return esc_nomem(ctx);
	}
	s->sk = sk;
	*out = s;
	return ESCROW_OK;
}

void esc_msign_update(esc_msign *s, const void *buf, size_t len)
{
	esc_blake2b_update(s->hs, buf, len);
}

escrow_status esc_msign_final(escrow_ctx *ctx, esc_msign *s, const char *trusted_comment, char **sig,
                              size_t *sig_len)
{
	uint8_t hash[crypto_generichash_BYTES_MAX], blob[ESC_MSIG_BLOB], global[64];
	char deflt[64], *text = NULL, *p;
	const char *why;
	size_t clen, total;
	uint8_t *msg = NULL;

	*sig = NULL;
	if (sig_len)
		*sig_len = 0;
	if (trusted_comment == NULL) {
		snprintf(deflt, sizeof deflt, "timestamp:%lld", (long long)time(NULL));
		trusted_comment = deflt;
	}
	clen = strlen(trusted_comment);
	why = comment_problem(trusted_comment, clen);
	if (why != NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "the trusted comment %s (minisign would reject it)", why);
	if (clen > TRUSTED_MAX)
		return esc_error(ctx, ESCROW_E_USAGE, "the trusted comment is %zu bytes, at most %d fit", clen,
		                 TRUSTED_MAX);
	if (esc_blake2b_final(s->hs, hash) != 0)
		return esc_error(ctx, ESCROW_E_INTERNAL, "signing: BLAKE2b-512 failed");
	memcpy(blob, "ED", 2);
	memcpy(blob + 2, s->sk->id, ESC_MKEYID_LEN);
	crypto_sign_detached(blob + 2 + ESC_MKEYID_LEN, NULL, hash, sizeof hash, s->sk->sk);
	msg = malloc(64 + clen);
	if (msg == NULL)
		return esc_nomem(ctx);
	memcpy(msg, blob + 2 + ESC_MKEYID_LEN, 64);
	memcpy(msg + 64, trusted_comment, clen);
	crypto_sign_detached(global, NULL, msg, 64 + clen, s->sk->sk);
	free(msg);
	total = sizeof UNTRUSTED_LINE - 1 + esc_b64_encoded_len(sizeof blob) + 1 + sizeof TRUSTED_PREFIX - 1 + clen +
	        1 + esc_b64_encoded_len(sizeof global) + 1;
	text = malloc(total + 1);
	if (text == NULL)
		return esc_nomem(ctx);
	memcpy(text, UNTRUSTED_LINE, sizeof UNTRUSTED_LINE - 1);
	p = text + sizeof UNTRUSTED_LINE - 1;
	esc_b64_encode(blob, sizeof blob, p);
	p += strlen(p);
	p += snprintf(p, total + 1 - (size_t)(p - text), "\n%s%s\n", TRUSTED_PREFIX, trusted_comment);
	esc_b64_encode(global, sizeof global, p);
	p += strlen(p);
	*p++ = '\n';
	*p = '\0';
	*sig = text;
	if (sig_len)
		*sig_len = (size_t)(p - text);
	return ESCROW_OK;
}

void esc_msign_free(esc_msign *s)
{
	if (s == NULL)
		return;
	esc_blake2b_free(s->hs);
	free(s);
}

static bool starts_with(const struct esc_mline *l, const char *prefix)
{
	size_t n = strlen(prefix);

	return l->len >= n && memcmp(l->s, prefix, n) == 0;
}

/* Strict parse of the four lines; checks that pk made the signature. */
static escrow_status parse_sig(escrow_ctx *ctx, const char *name, const escrow_pubkey *pk, const char *text,
                               size_t len, struct msig *m)
{
	struct esc_mline l[4], rest;
	size_t pos = 0, want_sig = esc_b64_encoded_len(ESC_MSIG_BLOB), want_global = esc_b64_encoded_len(64);
	int n;

	if (len > SIG_TEXT_MAX)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: %zu bytes is too large for a minisign signature", name, len);
	if (memchr(text, '\0', len) != NULL)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: contains a NUL byte, not a minisign signature", name);
	for (n = 0; n < 4; n++) {
		if (!esc_mline_next(text, len, &pos, &l[n]))
			return esc_error(ctx, ESCROW_E_INPUT, "%s: %d of the 4 lines of a minisign signature (truncated file?)",
			                 name, n);
		esc_mline_drop_cr(&l[n]);
		if (memchr(l[n].s, '\r', l[n].len) != NULL)
			return esc_error(ctx, ESCROW_E_INPUT,
			                 "%s: line %d holds a carriage return (\\r) that does not end it (corrupt signature)",
			                 name, n + 1);
	}
	while (esc_mline_next(text, len, &pos, &rest)) {
		esc_mline_drop_cr(&rest);
		if (rest.len != 0)
			return esc_error(ctx, ESCROW_E_INPUT, "%s: unexpected text after the 4 lines of the signature", name);
	}
	if (!starts_with(&l[0], "untrusted comment:"))
		return esc_error(ctx, ESCROW_E_INPUT, "%s: line 1 does not start with \"untrusted comment:\"", name);
	if (l[1].len != want_sig)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s: line 2 has %zu characters, a minisign signature line has %zu (truncated or padded?)",
		                 name, l[1].len, want_sig);
	if (esc_b64_decode(l[1].s, l[1].len, m->blob, sizeof m->blob) != (long)sizeof m->blob)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: line 2 is not valid base64 (corrupt signature)", name);
	if (memcmp(m->blob, "ED", 2) != 0 && memcmp(m->blob, "Ed", 2) != 0)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: unknown signature algorithm (neither \"ED\" nor legacy \"Ed\")",
		                 name);
	if (!starts_with(&l[2], TRUSTED_PREFIX))
		return esc_error(ctx, ESCROW_E_INPUT, "%s: line 3 does not start with \"" TRUSTED_PREFIX "\"", name);
	if (!l[2].nl)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: the trusted comment line does not end with a line break", name);
	m->comment = l[2].s + strlen(TRUSTED_PREFIX);
	m->comment_len = l[2].len - strlen(TRUSTED_PREFIX);
	/* No line break or NUL can be in it here. minisign -S signs, and -V
	 * verifies, any other control character the comment holds: they are
	 * escaped wherever the comment is shown. */
	if (l[3].len != want_global)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s: line 4 has %zu characters, a minisign global signature has %zu (truncated or padded?)",
		                 name, l[3].len, want_global);
	if (esc_b64_decode(l[3].s, l[3].len, m->global, sizeof m->global) != (long)sizeof m->global)
		return esc_error(ctx, ESCROW_E_INPUT, "%s: line 4 is not valid base64 (corrupt signature)", name);
	if (memcmp(m->blob + 2, pk->id, ESC_MKEYID_LEN) != 0) {
		char made[17], given[17];

		esc_mkeyid_hex(m->blob + 2, made);
		esc_mkeyid_hex(pk->id, given);
		return esc_error(ctx, ESCROW_BAD_SIGNATURE,
		                 "%s: the signature was made by key %s, not by key %s (wrong public key?)", name, made, given);
	}
	return ESCROW_OK;
}

/* The signature over the data is good: now the one over the trusted comment. */
static escrow_status check_global(escrow_ctx *ctx, const char *name, const escrow_pubkey *pk, const struct msig *m)
{
	uint8_t *msg = malloc(64 + m->comment_len);
	int bad;

	if (msg == NULL)
		return esc_nomem(ctx);
	memcpy(msg, m->blob + 2 + ESC_MKEYID_LEN, 64);
	memcpy(msg + 64, m->comment, m->comment_len);
	bad = crypto_sign_verify_detached(m->global, msg, 64 + m->comment_len, pk->pk);
	free(msg);
	if (bad)
		return esc_error(ctx, ESCROW_BAD_SIGNATURE,
		                 "%s: the trusted comment was altered (its global signature does not verify)", name);
	return ESCROW_OK;
}

static escrow_status copy_comment(escrow_ctx *ctx, const struct msig *m, char **out)
{
	char *c;

	if (out == NULL)
		return ESCROW_OK;
	c = malloc(m->comment_len + 1);
	if (c == NULL)
		return esc_nomem(ctx);
	memcpy(c, m->comment, m->comment_len);
	c[m->comment_len] = '\0';
	*out = c;
	return ESCROW_OK;
}

bool esc_msig_key_id(const char *sig, size_t sig_len, uint8_t id[ESC_MKEYID_LEN])
{
	struct esc_mline l[2];
	uint8_t blob[ESC_MSIG_BLOB];
	size_t pos = 0;

	if (sig == NULL || !esc_mline_next(sig, sig_len, &pos, &l[0]) || !esc_mline_next(sig, sig_len, &pos, &l[1]))
		return false;
	esc_mline_drop_cr(&l[1]);
	if (l[1].len != esc_b64_encoded_len(ESC_MSIG_BLOB) ||
	    esc_b64_decode(l[1].s, l[1].len, blob, sizeof blob) != (long)sizeof blob)
		return false;
	memcpy(id, blob + 2, ESC_MKEYID_LEN);
	return true;
}

escrow_status esc_mverify_new_named(escrow_ctx *ctx, const char *name, const escrow_pubkey *pk, const char *sig,
                                    size_t sig_len, esc_mverify **out)
{
	esc_mverify *v = NULL;
	escrow_status st;

	*out = NULL;
	if (pk == NULL || sig == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "%s: no public key or signature given", name);
	v = calloc(1, sizeof *v);
	if (v == NULL)
		return esc_nomem(ctx);
	v->name = strdup(name);
	v->text = malloc(sig_len + 1);
	v->hs = esc_blake2b_new();
	if (v->name == NULL || v->text == NULL || v->hs == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	memcpy(v->text, sig, sig_len);
	v->text[sig_len] = '\0';
	st = parse_sig(ctx, name, pk, v->text, sig_len, &v->m);
	if (st != ESCROW_OK)
		goto out;
	if (memcmp(v->m.blob, "Ed", 2) == 0) {
		/* Ed25519 hashes R, the public key, then the data: that hash streams. */
		v->legacy = sodium_malloc(sizeof *v->legacy);
		if (v->legacy == NULL) {
			st = esc_nomem(ctx);
			goto out;
		}
		crypto_hash_sha512_init(v->legacy);
		crypto_hash_sha512_update(v->legacy, v->m.blob + 2 + ESC_MKEYID_LEN, 32);
		crypto_hash_sha512_update(v->legacy, pk->pk, 32);
	}
	v->pk = *pk;
	*out = v;
	v = NULL;
out:
	esc_mverify_free(v);
	return st;
}

escrow_status esc_mverify_new(escrow_ctx *ctx, const escrow_pubkey *pk, const char *sig, size_t sig_len,
                              esc_mverify **out)
{
	return esc_mverify_new_named(ctx, "signature", pk, sig, sig_len, out);
}

void esc_mverify_update(esc_mverify *v, const void *buf, size_t len)
{
	if (v->legacy != NULL)
		crypto_hash_sha512_update(v->legacy, buf, len);
	else
		esc_blake2b_update(v->hs, buf, len);
}

/* S < L, the order of the base point (libsodium's verifier refuses others). */
static bool scalar_canonical(const uint8_t s[32])
{
	static const uint8_t L[32] = {
		0xed, 0xd3, 0xf5, 0x5c, 0x1a, 0x63, 0x12, 0x58, 0xd6, 0x9c, 0xf7, 0xa2, 0xde, 0xf9, 0xde, 0x14,
		0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10
	};
	int i;

	for (i = 31; i >= 0; i--) {
		if (s[i] != L[i])
			return s[i] < L[i];
	}
	return false;
}

/* A legacy "Ed" signature (R, S) over data whose SHA-512(R || A || data)
 * is in v->legacy: good when [S]B - [h]A is R, h that hash reduced mod L,
 * as crypto_sign_verify_detached checks it. The group operations refuse a
 * public key of small order or off the main subgroup, and an identity
 * result, which no real signature has. */
static bool legacy_good(esc_mverify *v)
{
	const uint8_t *r = v->m.blob + 2 + ESC_MKEYID_LEN, *sv = r + 32;
	uint8_t wide[64], h[32], sb[32], ha[32], check[32];
	bool good;

	crypto_hash_sha512_final(v->legacy, wide);
	crypto_core_ed25519_scalar_reduce(h, wide);
	good = scalar_canonical(sv) && crypto_core_ed25519_is_valid_point(r) &&
	       crypto_scalarmult_ed25519_base_noclamp(sb, sv) == 0 &&
	       crypto_scalarmult_ed25519_noclamp(ha, h, v->pk.pk) == 0 && crypto_core_ed25519_sub(check, sb, ha) == 0 &&
	       sodium_memcmp(check, r, 32) == 0;
	sodium_memzero(wide, sizeof wide);
	return good;
}

escrow_status esc_mverify_final(escrow_ctx *ctx, esc_mverify *v, char **trusted_comment)
{
	uint8_t hash[crypto_generichash_BYTES_MAX];
	escrow_status st;

	if (trusted_comment)
		*trusted_comment = NULL;
	if (v->legacy != NULL) {
		if (!legacy_good(v))
			return esc_error(ctx, ESCROW_BAD_SIGNATURE,
			                 "%s: the signature does not match the data (altered data or signature)", v->name);
	} else if (esc_blake2b_final(v->hs, hash) != 0) {
		return esc_error(ctx, ESCROW_E_INTERNAL, "%s: BLAKE2b-512 failed", v->name);
	} else if (crypto_sign_verify_detached(v->m.blob + 2 + ESC_MKEYID_LEN, hash, sizeof hash, v->pk.pk) != 0) {
		return esc_error(ctx, ESCROW_BAD_SIGNATURE, "%s: the signature does not match the data (altered data or signature)",
		                 v->name);
	}
	st = check_global(ctx, v->name, &v->pk, &v->m);
	if (st != ESCROW_OK)
		return st;
	return copy_comment(ctx, &v->m, trusted_comment);
}

void esc_mverify_free(esc_mverify *v)
{
	if (v == NULL)
		return;
	esc_blake2b_free(v->hs);
	sodium_free(v->legacy);
	free(v->text);
	free(v->name);
	free(v);
}

escrow_status escrow_sign_buffer(escrow_ctx *ctx, const escrow_seckey *sk, const void *data, size_t len,
                                 const char *trusted_comment, char **sig, size_t *sig_len)
{
	esc_msign *s = NULL;
	escrow_status st;

	if (sig == NULL || (data == NULL && len > 0))
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_sign_buffer: NULL argument");
	*sig = NULL;
	st = esc_msign_new(ctx, sk, &s);
	if (st != ESCROW_OK)
		return st;
	esc_msign_update(s, data, len);
	st = esc_msign_final(ctx, s, trusted_comment, sig, sig_len);
	esc_msign_free(s);
	return st;
}

escrow_status escrow_verify_buffer(escrow_ctx *ctx, const escrow_pubkey *pk, const void *data, size_t len,
                                   const char *sig, size_t sig_len, char **trusted_comment)
{
	struct msig m;
	esc_mverify *v = NULL;
	escrow_status st;

	if (trusted_comment)
		*trusted_comment = NULL;
	if (pk == NULL || sig == NULL || (data == NULL && len > 0))
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_verify_buffer: NULL argument");
	st = parse_sig(ctx, "signature", pk, sig, sig_len, &m);
	if (st != ESCROW_OK)
		return st;
	if (memcmp(m.blob, "Ed", 2) == 0) {
		/* Legacy: plain Ed25519 over the whole data, which we have here. */
		if (crypto_sign_verify_detached(m.blob + 2 + ESC_MKEYID_LEN, data, len, pk->pk) != 0)
			return esc_error(ctx, ESCROW_BAD_SIGNATURE,
			                 "signature: the signature does not match the data (altered data or signature)");
		st = check_global(ctx, "signature", pk, &m);
		if (st == ESCROW_OK)
			st = copy_comment(ctx, &m, trusted_comment);
		return st;
	}
	st = esc_mverify_new(ctx, pk, sig, sig_len, &v);
	if (st != ESCROW_OK)
		return st;
	esc_mverify_update(v, data, len);
	st = esc_mverify_final(ctx, v, trusted_comment);
	esc_mverify_free(v);
	return st;
}

/* Feeds a whole file to a hash update function, in chunks. */
static escrow_status stream_file(escrow_ctx *ctx, const char *path, void (*update)(void *, const void *, size_t),
                                 void *state)
{
	uint8_t *buf = NULL;
	escrow_status st = ESCROW_OK;
	uint64_t done = 0, total = 0;
	struct stat sb;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) == 0 && S_ISREG(sb.st_mode))
		total = (uint64_t)sb.st_size;
	buf = malloc(READ_CHUNK);
	if (buf == NULL) {
		close(fd);
		return esc_nomem(ctx);
	}
	for (;;) {
		ssize_t n = read(fd, buf, READ_CHUNK);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			st = esc_error(ctx, errno == EISDIR ? ESCROW_E_OPEN : ESCROW_E_IO, "%s: %s", path, strerror(errno));
			break;
		}
		if (n == 0)
			break;
		update(state, buf, (size_t)n);
		done += (uint64_t)n;
		esc_progress(ctx, done, total);
		esc_progress_ex(ctx, ESCROW_PHASE_READ, path, 0, 1, done, total ? total : ESCROW_UNKNOWN);
		st = esc_check_interrupt(ctx);
		if (st != ESCROW_OK)
			break;
	}
	free(buf);
	close(fd);
	if (st == ESCROW_OK)
		esc_progress_ex(ctx, ESCROW_PHASE_READ | ESCROW_PROGRESS_END, path, 1, 1, done, done);
	return st;
}

static void sign_update(void *s, const void *buf, size_t len)
{
	esc_msign_update(s, buf, len);
}

static void verify_update(void *v, const void *buf, size_t len)
{
	esc_mverify_update(v, buf, len);
}

static char *default_sig_path(const char *path, const char *sig_path)
{
	char *p;

	if (sig_path != NULL)
		return strdup(sig_path);
	p = esc_strf("%s.minisig", path);
	return p;
}

escrow_status escrow_sign_file(escrow_ctx *ctx, const escrow_seckey *sk, const char *path, const char *sig_path,
                               const char *trusted_comment, unsigned flags)
{
	char *out_path = NULL, *tmp = NULL, *text = NULL, deflt[TRUSTED_MAX];
	esc_msign *s = NULL;
	size_t text_len = 0;
	escrow_status st;
	int fd = -1;

	if (path == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_sign_file: path is NULL");
	out_path = default_sig_path(path, sig_path);
	if (out_path == NULL)
		return esc_nomem(ctx);
	if (trusted_comment == NULL) {
		const char *base = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;

		/* minisign's default; the name is left out if it could not be signed as is. */
		if (strlen(base) < 256 && comment_problem(base, strlen(base)) == NULL)
			snprintf(deflt, sizeof deflt, "timestamp:%lld\tfile:%s\thashed", (long long)time(NULL), base);
		else
			snprintf(deflt, sizeof deflt, "timestamp:%lld\thashed", (long long)time(NULL));
		trusted_comment = deflt;
	}
	st = esc_msign_new(ctx, sk, &s);
	if (st == ESCROW_OK)
		st = stream_file(ctx, path, sign_update, s);
	if (st == ESCROW_OK)
		st = esc_msign_final(ctx, s, trusted_comment, &text, &text_len);
	if (st == ESCROW_OK)
		st = esc_atomic_open(ctx, out_path, 0644, flags, &fd, &tmp);
	if (st == ESCROW_OK)
		st = esc_write_all(ctx, fd, text, text_len, out_path);
	if (st == ESCROW_OK) {
		st = esc_atomic_commit(ctx, fd, tmp, out_path, flags);
		fd = -1;
	}
	if (fd >= 0)
		esc_atomic_abort(fd, tmp);
	esc_msign_free(s);
	free(text);
	free(tmp);
	free(out_path);
	return st;
}

/* Legacy "Ed" signs the raw bytes, so Ed25519 must see the whole file at once:
 * a read-only mapping gives that for a regular file of any size without
 * holding it in memory. */
static escrow_status verify_legacy_file(escrow_ctx *ctx, const char *spath, const escrow_pubkey *pk,
                                        const char *path, const struct msig *m, char **trusted_comment)
{
	static const uint8_t empty[1];
	const uint8_t *map = empty;
	escrow_status st = ESCROW_OK;
	struct stat sb;
	size_t size;
	int fd, bad;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return esc_error(ctx, ESCROW_E_OPEN, "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || (uint64_t)sb.st_size > SIZE_MAX) {
		close(fd);
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s: legacy (non-prehashed \"Ed\") signature, which can only be checked on a regular file",
		                 spath);
	}
	size = (size_t)sb.st_size;
	if (size > 0) {
		void *p = mmap(NULL, size, PROT_READ, MAP_PRIVATE, fd, 0);

		if (p == MAP_FAILED) {
			st = esc_error(ctx, ESCROW_E_IO, "%s: cannot map the file: %s", path, strerror(errno));
			close(fd);
			return st;
		}
		map = p;
	}
	close(fd);
	bad = crypto_sign_verify_detached(m->blob + 2 + ESC_MKEYID_LEN, map, size, pk->pk);
	if (size > 0)
		munmap((void *)map, size);
	if (bad)
		return esc_error(ctx, ESCROW_BAD_SIGNATURE,
		                 "%s: the signature does not match the data (altered data or signature)", spath);
	st = check_global(ctx, spath, pk, m);
	if (st == ESCROW_OK)
		st = copy_comment(ctx, m, trusted_comment);
	return st;
}

escrow_status escrow_verify_file(escrow_ctx *ctx, const escrow_pubkey *pk, const char *path, const char *sig_path,
                                 char **trusted_comment)
{
	struct msig m;
	char *spath = NULL, *text = NULL;
	esc_mverify *v = NULL;
	size_t len = 0;
	escrow_status st;

	if (trusted_comment)
		*trusted_comment = NULL;
	if (path == NULL || pk == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_verify_file: NULL argument");
	spath = default_sig_path(path, sig_path);
	if (spath == NULL)
		return esc_nomem(ctx);
	st = esc_read_small_file(ctx, spath, SIG_TEXT_MAX, &text, &len);
	if (st == ESCROW_E_INPUT)
		st = esc_error(ctx, st, "%s: larger than %d bytes, not a minisign signature", spath, SIG_TEXT_MAX);
	if (st == ESCROW_OK)
		st = parse_sig(ctx, spath, pk, text, len, &m);
	if (st == ESCROW_OK && memcmp(m.blob, "Ed", 2) == 0) {
		st = verify_legacy_file(ctx, spath, pk, path, &m, trusted_comment);
		goto out;
	}
	if (st == ESCROW_OK)
		st = esc_mverify_new_named(ctx, spath, pk, text, len, &v);
	if (st == ESCROW_OK)
		st = stream_file(ctx, path, verify_update, v);
	if (st == ESCROW_OK)
		st = esc_mverify_final(ctx, v, trusted_comment);
out:
	esc_mverify_free(v);
	free(text);
	free(spath);
	return st;
}
