/* test_minisign_sig.c -- minisign signatures: round trips, forgeries, hostile
 * signature files, the legacy "Ed" form, and the file helpers. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "msign_fixtures.h"

static const char data[] = "The quick brown fox jumps over the lazy dog.\n";

struct fx {
	escrow_ctx *ctx;
	escrow_seckey *sk;
	escrow_pubkey *pk;
	char *sig;
	size_t sig_len;
};

static int fx_setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);

	if (f == NULL || sodium_init() < 0)
		return -1;
	f->ctx = escrow_ctx_new();
	fx_pair(f->ctx, &f->sk, &f->pk);
	if (escrow_sign_buffer(f->ctx, f->sk, data, strlen(data), "deposit FRAUD-2026-07\tv1", &f->sig, &f->sig_len) !=
	    ESCROW_OK)
		return -1;
	*state = f;
	return 0;
}

static int fx_teardown(void **state)
{
	struct fx *f = *state;

	free(f->sig);
	escrow_seckey_free(f->sk);
	escrow_pubkey_free(f->pk);
	escrow_ctx_free(f->ctx);
	free(f);
	return 0;
}

static escrow_status verify_text(struct fx *f, const char *sig)
{
	char *tc = NULL;
	escrow_status st = escrow_verify_buffer(f->ctx, f->pk, data, strlen(data), sig, strlen(sig), &tc);

	assert_true((st == ESCROW_OK) == (tc != NULL));
	free(tc);
	return st;
}

/* Returns a copy of the signature with line `n` (0-based) replaced. */
static char *with_line(const char *sig, int n, const char *repl)
{
	char *out = malloc(strlen(sig) + strlen(repl) + 2), *o = out;
	const char *p = sig;
	int i;

	for (i = 0; i < 4; i++) {
		const char *e = strchr(p, '\n');
		size_t len = e ? (size_t)(e - p) : strlen(p);

		o += sprintf(o, "%.*s\n", (int)(i == n ? strlen(repl) : len), i == n ? repl : p);
		p += len + (e != NULL);
	}
	return out;
}

static void line_of(const char *sig, int n, char *out)
{
	const char *p = sig;
	size_t len;

	while (n-- > 0)
		p = strchr(p, '\n') + 1;
	len = (size_t)(strchr(p, '\n') - p);
	memcpy(out, p, len);
	out[len] = '\0';
}

/* Decodes base64 line n, XORs one byte at off, re-encodes: a forgery that
 * is still well-formed. */
static char *flip_blob(const char *sig, int n, size_t off)
{
	char line[200], enc[200];
	uint8_t bin[100];
	long len;

	line_of(sig, n, line);
	len = esc_b64_decode(line, strlen(line), bin, sizeof bin);
	assert_true(len > 0 && (size_t)len > off);
	bin[off] ^= 0x01;
	esc_b64_encode(bin, (size_t)len, enc);
	return with_line(sig, n, enc);
}

static void test_round_trip(void **state)
{
	struct fx *f = *state;
	char *tc = NULL, *sig2 = NULL, *empty = NULL;
	char line[200];
	size_t len2;

	assert_int_equal(strncmp(f->sig, "untrusted comment: ", 19), 0);
	line_of(f->sig, 1, line);
	assert_int_equal(strlen(line), 100);
	assert_int_equal(strncmp(line, "RUR", 2), 0); /* "ED": prehashed */
	line_of(f->sig, 2, line);
	assert_string_equal(line, "trusted comment: deposit FRAUD-2026-07\tv1");
	assert_int_equal(f->sig_len, strlen(f->sig));
	assert_int_equal(f->sig[f->sig_len - 1], '\n');
	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, data, strlen(data), f->sig, f->sig_len, &tc), ESCROW_OK);
	assert_string_equal(tc, "deposit FRAUD-2026-07\tv1");
	free(tc);
	/* Ed25519 is deterministic: the same input gives the same signature. */
	assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, data, strlen(data), "deposit FRAUD-2026-07\tv1", &sig2, &len2),
	                 ESCROW_OK);
	assert_string_equal(sig2, f->sig);
	free(sig2);
	/* Empty data and the default trusted comment. */
	assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, NULL, 0, NULL, &empty, NULL), ESCROW_OK);
	assert_non_null(strstr(empty, "trusted comment: timestamp:"));
	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, "", 0, empty, strlen(empty), NULL), ESCROW_OK);
	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, "x", 1, empty, strlen(empty), NULL), ESCROW_BAD_SIGNATURE);
	free(empty);
}

static void test_streaming(void **state)
{
	struct fx *f = *state;
	esc_msign *s = NULL;
	esc_mverify *v = NULL;
	char *sig = NULL, *tc = NULL;
	size_t i;

	assert_int_equal(esc_msign_new(f->ctx, f->sk, &s), ESCROW_OK);
	for (i = 0; i < strlen(data); i++)
		esc_msign_update(s, data + i, 1);
	assert_int_equal(esc_msign_final(f->ctx, s, "deposit FRAUD-2026-07\tv1", &sig, NULL), ESCROW_OK);
	esc_msign_free(s);
	assert_string_equal(sig, f->sig);
	free(sig);
	assert_int_equal(esc_mverify_new(f->ctx, f->pk, f->sig, f->sig_len, &v), ESCROW_OK);
	esc_mverify_update(v, data, 10);
	esc_mverify_update(v, data + 10, strlen(data) - 10);
	assert_int_equal(esc_mverify_final(f->ctx, v, &tc), ESCROW_OK);
	assert_string_equal(tc, "deposit FRAUD-2026-07\tv1");
	free(tc);
	esc_mverify_free(v);
	assert_int_equal(esc_mverify_new(f->ctx, f->pk, f->sig, f->sig_len, &v), ESCROW_OK);
	esc_mverify_update(v, data, strlen(data) - 1);
	assert_int_equal(esc_mverify_final(f->ctx, v, &tc), ESCROW_BAD_SIGNATURE);
	assert_null(tc);
	esc_mverify_free(v);
}

static void test_forgeries(void **state)
{
	struct fx *f = *state;
	char flipped[sizeof data], *bad;
	escrow_seckey *sk2 = NULL;
	escrow_pubkey *pk2 = NULL;
	char id1[17], id2[17];

	memcpy(flipped, data, sizeof data);
	flipped[7] ^= 0x20;
	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, flipped, strlen(flipped), f->sig, f->sig_len, NULL),
	                 ESCROW_BAD_SIGNATURE);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "does not match the data"));

	bad = flip_blob(f->sig, 1, 40); /* the signature over the data */
	assert_int_equal(verify_text(f, bad), ESCROW_BAD_SIGNATURE);
	free(bad);
	bad = flip_blob(f->sig, 3, 5); /* the global signature */
	assert_int_equal(verify_text(f, bad), ESCROW_BAD_SIGNATURE);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "trusted comment was altered"));
	free(bad);
	bad = with_line(f->sig, 2, "trusted comment: deposit FRAUD-2026-08\tv1");
	assert_int_equal(verify_text(f, bad), ESCROW_BAD_SIGNATURE);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "trusted comment was altered"));
	free(bad);
	/* The untrusted comment is not signed: changing it is fine. */
	bad = with_line(f->sig, 0, "untrusted comment: whatever you like");
	assert_int_equal(verify_text(f, bad), ESCROW_OK);
	free(bad);

	/* Another key: the message names both key ids. */
	fx_pair(f->ctx, &sk2, &pk2);
	assert_int_equal(escrow_verify_buffer(f->ctx, pk2, data, strlen(data), f->sig, f->sig_len, NULL),
	                 ESCROW_BAD_SIGNATURE);
	escrow_pubkey_id(f->pk, id1);
	escrow_pubkey_id(pk2, id2);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), id1));
	assert_non_null(strstr(escrow_ctx_error(f->ctx), id2));
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "made by key"));
	/* A key id flipped in the signature is another key too. */
	bad = flip_blob(f->sig, 1, 3);
	assert_int_equal(verify_text(f, bad), ESCROW_BAD_SIGNATURE);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "made by key"));
	free(bad);
	/* Someone else's key with our key id: the signature still fails. */
	memcpy(pk2->id, f->pk->id, 8);
	assert_int_equal(escrow_verify_buffer(f->ctx, pk2, data, strlen(data), f->sig, f->sig_len, NULL),
	                 ESCROW_BAD_SIGNATURE);
	escrow_seckey_free(sk2);
	escrow_pubkey_free(pk2);
}

static void test_malformed(void **state)
{
	struct fx *f = *state;
	char *bad, buf[2048], line[200];
	size_t n, len = f->sig_len;

	/* Every cut is malformed, except dropping the final newline. */
	for (n = 0; n < len - 1; n++) {
		memcpy(buf, f->sig, n);
		buf[n] = '\0';
		assert_int_equal(verify_text(f, buf), ESCROW_E_INPUT);
	}
	memcpy(buf, f->sig, len - 1);
	buf[len - 1] = '\0';
	assert_int_equal(verify_text(f, buf), ESCROW_OK);
	snprintf(buf, sizeof buf, "%s\n", f->sig); /* a blank line after: fine */
	assert_int_equal(verify_text(f, buf), ESCROW_OK);
	snprintf(buf, sizeof buf, "%sextra\n", f->sig);
	assert_int_equal(verify_text(f, buf), ESCROW_E_INPUT);

	/* CRLF line ends: minisign -V reads them (a .minisig saved on Windows),
	 * the last line's CR without its LF too. */
	{
		const char *p;
		char *o = buf;

		for (p = f->sig; *p; p++) {
			if (*p == '\n')
				*o++ = '\r';
			*o++ = *p;
		}
		*o = '\0';
	}
	assert_int_equal(verify_text(f, buf), ESCROW_OK);
	buf[strlen(buf) - 1] = '\0';
	assert_int_equal(verify_text(f, buf), ESCROW_OK);
	/* A CR inside a line is no line end. */
	bad = with_line(f->sig, 2, "trusted comment: depo\rsit");
	assert_int_equal(verify_text(f, bad), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "carriage return"));
	free(bad);
	bad = with_line(f->sig, 1, "\r");
	assert_int_equal(verify_text(f, bad), ESCROW_E_INPUT);
	free(bad);

	/* A control character put in the trusted comment: the global signature
	 * no longer holds (minisign -V reads such a line, as it signs one). */
	bad = with_line(f->sig, 2, "trusted comment: deposit\x01");
	assert_int_equal(verify_text(f, bad), ESCROW_BAD_SIGNATURE);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "trusted comment was altered"));
	free(bad);
	bad = with_line(f->sig, 2, "trusted comment: deposit\x7f");
	assert_int_equal(verify_text(f, bad), ESCROW_BAD_SIGNATURE);
	free(bad);
	bad = with_line(f->sig, 2, "trusted: deposit");
	assert_int_equal(verify_text(f, bad), ESCROW_E_INPUT);
	free(bad);
	bad = with_line(f->sig, 0, "a comment without the prefix");
	assert_int_equal(verify_text(f, bad), ESCROW_E_INPUT);
	free(bad);

	/* Padded, bad base64, unknown algorithm. */
	line_of(f->sig, 1, line);
	strcat(line, "AAAA");
	bad = with_line(f->sig, 1, line);
	assert_int_equal(verify_text(f, bad), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "has 104 characters"));
	free(bad);
	line_of(f->sig, 3, line);
	line[10] = '%';
	bad = with_line(f->sig, 3, line);
	assert_int_equal(verify_text(f, bad), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "base64"));
	free(bad);
	bad = flip_blob(f->sig, 1, 1); /* "ED" -> "EE" */
	assert_int_equal(verify_text(f, bad), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "algorithm"));
	free(bad);

	/* NUL byte and oversized text. */
	memcpy(buf, f->sig, len);
	buf[5] = '\0';
	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, data, strlen(data), buf, len, NULL), ESCROW_E_INPUT);
	{
		char *big = malloc(20000);

		memset(big, 'a', 19999);
		big[19999] = '\0';
		assert_int_equal(verify_text(f, big), ESCROW_E_INPUT);
		free(big);
	}
}

static void test_signer_rejects_comments(void **state)
{
	struct fx *f = *state;
	char *sig = NULL, *tc = NULL, *big;

	assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, data, 3, "two\nlines", &sig, NULL), ESCROW_E_USAGE);
	assert_null(sig);
	assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, data, 3, "cr\r", &sig, NULL), ESCROW_E_USAGE);
	assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, data, 3, "bell\a", &sig, NULL), ESCROW_E_USAGE);
	big = malloc(9000);
	memset(big, 'c', 8999);
	big[8999] = '\0';
	assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, data, 3, big, &sig, NULL), ESCROW_E_USAGE);
	free(big);
	assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, data, 3, "", &sig, NULL), ESCROW_OK);
	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, data, 3, sig, strlen(sig), &tc), ESCROW_OK);
	assert_string_equal(tc, "");
	free(tc);
	free(sig);
	assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, data, 3, "caf\xc3\xa9\ttab", &sig, NULL), ESCROW_OK);
	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, data, 3, sig, strlen(sig), &tc), ESCROW_OK);
	assert_string_equal(tc, "caf\xc3\xa9\ttab");
	free(tc);
	free(sig);
}

/* minisign -l: plain Ed25519 over the whole data, then the same global signature. */
static char *legacy_sig(const escrow_seckey *sk, const void *msg, size_t len, const char *comment)
{
	uint8_t blob[74], global[64], *gm;
	char *out = malloc(1024), *o;
	size_t clen = strlen(comment);

	memcpy(blob, "Ed", 2);
	memcpy(blob + 2, sk->id, 8);
	crypto_sign_detached(blob + 10, NULL, msg, len, sk->sk);
	gm = malloc(64 + clen);
	memcpy(gm, blob + 10, 64);
	memcpy(gm + 64, comment, clen);
	crypto_sign_detached(global, NULL, gm, 64 + clen, sk->sk);
	free(gm);
	o = out + sprintf(out, "untrusted comment: legacy\n");
	esc_b64_encode(blob, sizeof blob, o);
	o += strlen(o);
	o += sprintf(o, "\ntrusted comment: %s\n", comment);
	esc_b64_encode(global, sizeof global, o);
	strcat(o, "\n");
	return out;
}

static void test_legacy(void **state)
{
	struct fx *f = *state;
	char *sig = legacy_sig(f->sk, data, strlen(data), "old style"), *tc = NULL;
	esc_mverify *v = NULL;

	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, data, strlen(data), sig, strlen(sig), &tc), ESCROW_OK);
	assert_string_equal(tc, "old style");
	free(tc);
	{
		/* Signed with control characters in the comment (minisign -S -t does it). */
		char *c0 = legacy_sig(f->sk, data, strlen(data), "rel\x1b[2J\x01\x7f");

		assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, data, strlen(data), c0, strlen(c0), &tc), ESCROW_OK);
		assert_string_equal(tc, "rel\x1b[2J\x01\x7f");
		free(tc);
		free(c0);
	}
	assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, data, strlen(data) - 1, sig, strlen(sig), NULL),
	                 ESCROW_BAD_SIGNATURE);
	/* Streamed (a detached BUNDLE.minisig of minisign -l): the same verdicts
	 * as Ed25519 over the whole buffer, fed in pieces. */
	{
		size_t cut, n = strlen(data);

		for (cut = 0; cut <= n; cut += 7) {
			assert_int_equal(esc_mverify_new(f->ctx, f->pk, sig, strlen(sig), &v), ESCROW_OK);
			esc_mverify_update(v, data, cut);
			esc_mverify_update(v, data + cut, n - cut);
			assert_int_equal(esc_mverify_final(f->ctx, v, &tc), ESCROW_OK);
			assert_string_equal(tc, "old style");
			free(tc);
			esc_mverify_free(v);
			v = NULL;
		}
		assert_int_equal(esc_mverify_new(f->ctx, f->pk, sig, strlen(sig), &v), ESCROW_OK);
		esc_mverify_update(v, data, n - 1);
		assert_int_equal(esc_mverify_final(f->ctx, v, &tc), ESCROW_BAD_SIGNATURE);
		assert_null(tc);
		esc_mverify_free(v);
		v = NULL;
	}
	{
		size_t i;

		/* A bit of any byte of R or S flipped: both checkers refuse it. */
		for (i = 0; i < 64; i++) {
			char *forged = flip_blob(sig, 1, 10 + i);
			escrow_status want = escrow_verify_buffer(f->ctx, f->pk, data, strlen(data), forged, strlen(forged),
			                                          NULL);

			assert_int_not_equal(want, ESCROW_OK);
			if (esc_mverify_new(f->ctx, f->pk, forged, strlen(forged), &v) == ESCROW_OK) {
				esc_mverify_update(v, data, strlen(data));
				assert_int_equal(esc_mverify_final(f->ctx, v, NULL), want);
			}
			esc_mverify_free(v);
			v = NULL;
			free(forged);
		}
	}
	{
		char *forged = flip_blob(sig, 3, 5); /* the global signature */

		assert_int_equal(escrow_verify_buffer(f->ctx, f->pk, data, strlen(data), forged, strlen(forged), NULL),
		                 ESCROW_BAD_SIGNATURE);
		free(forged);
	}
	free(sig);
}

static void test_legacy_file(void **state)
{
	struct fx *f = *state;
	char dir[256], path[320], sigp[340], *tc = NULL;
	char *sig = legacy_sig(f->sk, data, strlen(data), "legacy file");

	fx_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/d.txt", dir);
	snprintf(sigp, sizeof sigp, "%s/d.txt.minisig", dir);
	fx_write(path, data, strlen(data));
	fx_write(sigp, sig, strlen(sig));
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, NULL, &tc), ESCROW_OK);
	assert_string_equal(tc, "legacy file");
	free(tc);
	fx_write(path, data, strlen(data) - 1);
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, NULL, &tc), ESCROW_BAD_SIGNATURE);
	assert_null(tc);
	fx_write(path, "", 0);
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, NULL, NULL), ESCROW_BAD_SIGNATURE);
	free(sig);
	sig = legacy_sig(f->sk, "", 0, "empty");
	fx_write(sigp, sig, strlen(sig));
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, NULL, NULL), ESCROW_OK);
	/* Not a regular file: the legacy form cannot be checked. */
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, "/dev/null", sigp, NULL), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), "legacy"));
	free(sig);
	fx_rmtree(dir);
}

static void test_files(void **state)
{
	struct fx *f = *state;
	char dir[256], path[320], sig[340], other[340], *tc = NULL, *text;
	uint8_t *big = malloc(3 * 1024 * 1024 + 7);
	size_t i;

	fx_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/data.bin", dir);
	snprintf(sig, sizeof sig, "%s.minisig", path);
	for (i = 0; i < 3 * 1024 * 1024 + 7; i++)
		big[i] = (uint8_t)(i * 31 + (i >> 13));
	fx_write(path, big, 3 * 1024 * 1024 + 7);
	assert_int_equal(escrow_sign_file(f->ctx, f->sk, path, NULL, NULL, 0), ESCROW_OK);
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, NULL, &tc), ESCROW_OK);
	assert_non_null(strstr(tc, "\tfile:data.bin\thashed"));
	free(tc);
	/* The file signature equals the buffer signature of the same bytes. */
	assert_int_equal(escrow_sign_file(f->ctx, f->sk, path, NULL, "c", 0), ESCROW_E_EXISTS);
	assert_int_equal(escrow_sign_file(f->ctx, f->sk, path, NULL, "c", ESCROW_FORCE), ESCROW_OK);
	{
		char *bsig = NULL;

		assert_int_equal(escrow_sign_buffer(f->ctx, f->sk, big, 3 * 1024 * 1024 + 7, "c", &bsig, NULL), ESCROW_OK);
		text = fx_read(sig, NULL);
		assert_string_equal(text, bsig);
		free(text);
		free(bsig);
	}
	/* Explicit signature path. */
	snprintf(other, sizeof other, "%s/elsewhere.sig", dir);
	assert_int_equal(escrow_sign_file(f->ctx, f->sk, path, other, "x", 0), ESCROW_OK);
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, other, NULL), ESCROW_OK);
	/* A changed byte deep in the file. */
	big[2 * 1024 * 1024] ^= 0x80;
	fx_write(path, big, 3 * 1024 * 1024 + 7);
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, NULL, &tc), ESCROW_BAD_SIGNATURE);
	assert_null(tc);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), sig));
	/* A malformed signature file is named in the message. */
	text = fx_read(sig, NULL);
	*strchr(text, '\n') = '\r';
	fx_write(sig, text, strlen(text));
	free(text);
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, NULL, NULL), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(f->ctx), sig));
	/* Missing inputs. */
	unlink(sig);
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, NULL, NULL), ESCROW_E_OPEN);
	snprintf(path, sizeof path, "%s/missing.bin", dir);
	assert_int_equal(escrow_verify_file(f->ctx, f->pk, path, other, NULL), ESCROW_E_OPEN);
	assert_int_equal(escrow_sign_file(f->ctx, f->sk, path, NULL, NULL, 0), ESCROW_E_OPEN);
	snprintf(path, sizeof path, "%s/missing.bin.minisig", dir);
	assert_int_equal(access(path, F_OK), -1); /* nothing left behind */
	free(big);
	fx_rmtree(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_round_trip, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_streaming, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_forgeries, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_malformed, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_signer_rejects_comments, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_legacy, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_legacy_file, fx_setup, fx_teardown),
		cmocka_unit_test_setup_teardown(test_files, fx_setup, fx_teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
