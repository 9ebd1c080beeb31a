/* test_minisign.c -- minisign keys: base64, key files (good and hostile), keygen. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "msign_fixtures.h"

static int setup(void **state)
{
	(void)state;
	/* Fast scrypt for keys made here; one test below uses minisign's real limits. */
	esc_mkey_set_kdf_limits(crypto_pwhash_scryptsalsa208sha256_OPSLIMIT_MIN,
	                        crypto_pwhash_scryptsalsa208sha256_MEMLIMIT_MIN);
	return sodium_init() < 0 ? -1 : 0;
}

static void test_base64(void **state)
{
	static const char *vec[][2] = {{"f", "Zg=="}, {"fo", "Zm8="}, {"foo", "Zm9v"}, {"foob", "Zm9vYg=="},
	                               {"fooba", "Zm9vYmE="}, {"foobar", "Zm9vYmFy"}, {"\xff\xfe\x3e", "//4+"}};
	uint8_t out[16];
	char enc[16];
	size_t i, an = 0;

	(void)state;
	for (i = 0; i < sizeof vec / sizeof vec[0]; i++) {
		size_t n = strlen(vec[i][0]);

		assert_int_equal(esc_b64_encoded_len(n), strlen(vec[i][1]));
		esc_b64_encode((const uint8_t *)vec[i][0], n, enc);
		assert_string_equal(enc, vec[i][1]);
		assert_int_equal(esc_b64_decode(vec[i][1], strlen(vec[i][1]), out, sizeof out), (long)n);
		assert_memory_equal(out, vec[i][0], n);
	}
	assert_int_equal(esc_b64_decode("", 0, out, sizeof out), -1);
	assert_int_equal(esc_b64_decode("Zm9", 3, out, sizeof out), -1);       /* not a multiple of 4 */
	assert_int_equal(esc_b64_decode("Zm9*", 4, out, sizeof out), -1);      /* bad alphabet */
	assert_int_equal(esc_b64_decode("Zm-v", 4, out, sizeof out), -1);      /* url-safe is not minisign's */
	assert_int_equal(esc_b64_decode("Zg=a", 4, out, sizeof out), -1);      /* '=' in the middle */
	assert_int_equal(esc_b64_decode("Z===", 4, out, sizeof out), -1);
	assert_int_equal(esc_b64_decode("Zh==", 4, out, sizeof out), -1);      /* stray bits under padding */
	assert_int_equal(esc_b64_decode("Zm9=", 4, out, sizeof out), -1);
	assert_int_equal(esc_b64_decode("Zg==Zg==", 8, out, sizeof out), -1); /* padding before the end */
	assert_int_equal(esc_b64_decode("Zm9vYmFy", 8, out, 5), -1);          /* does not fit */
	assert_int_equal(esc_b64_decode("Zm9v\nYmFy", 9, out, sizeof out), -1);
	assert_int_equal(esc_b64_decode("Zm9vYm\x9a\x9a", 8, out, sizeof out), -1); /* bytes above 0x7f */
	assert_int_equal(esc_b64_decode("Zm9v\xc1mFy", 8, out, sizeof out), -1);
	assert_int_equal(esc_age_b64_decode("Zm9vYm\x9a\x9a", 8, out, sizeof out, &an), -1); /* age's, unpadded */
	assert_int_equal(esc_age_b64_decode("Zm9vYmE", 7, out, sizeof out, &an), 0);
	assert_int_equal(an, 5);
	assert_int_equal(esc_age_b64_decode("Zm9vYmE=", 8, out, sizeof out, &an), -1);
}

/* Key ids print as a little-endian u64, zero-padded to 16 digits (minisign
 * itself drops the leading zeros: "A7CA0F85C213F52"). */
static void test_keyid(void **state)
{
	static const uint8_t id[8] = {0x52, 0x3F, 0x21, 0x5C, 0xF8, 0xA0, 0x7C, 0x0A};
	char out[17];

	(void)state;
	esc_mkeyid_hex(id, out);
	assert_string_equal(out, "0A7CA0F85C213F52");
}

static void test_keygen_plain(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_pubkey *pk = NULL;
	escrow_seckey *sk = NULL;
	char dir[256], prefix[300], path[320], id1[17], id2[17], *text;
	uint8_t blob[158];
	struct stat st;

	(void)state;
	fx_tmpdir(dir, sizeof dir);
	snprintf(prefix, sizeof prefix, "%s/k", dir);
	assert_int_equal(escrow_keygen(ctx, prefix, NULL, 0), ESCROW_OK);
	snprintf(path, sizeof path, "%s.key", prefix);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	text = fx_read(path, NULL);
	assert_int_equal(esc_b64_decode(strchr(text, '\n') + 1, 212, blob, sizeof blob), 158);
	assert_memory_equal(blob, "Ed\0\0B2", 6); /* unencrypted, BLAKE2b checksum */
	free(text);
	assert_int_equal(escrow_seckey_load(ctx, path, NULL, &sk), ESCROW_OK);
	snprintf(path, sizeof path, "%s.pub", prefix);
	text = fx_read(path, NULL);
	assert_int_equal(escrow_pubkey_load(ctx, path, &pk), ESCROW_OK);
	escrow_pubkey_id(pk, id1);
	escrow_seckey_id(sk, id2);
	assert_string_equal(id1, id2);
	assert_int_equal(strlen(id1), 16);
	/* The comment names the key id as minisign prints it. */
	assert_non_null(strstr(text, id1));
	assert_memory_equal(pk->pk, sk->sk + 32, 32);
	free(text);
	escrow_pubkey_free(pk);
	escrow_seckey_free(sk);
	fx_rmtree(dir);
	escrow_ctx_free(ctx);
}

static void test_keygen_encrypted(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_seckey *sk = NULL;
	char dir[256], prefix[300], path[320], *text;
	uint8_t blob[158];

	(void)state;
	fx_tmpdir(dir, sizeof dir);
	snprintf(prefix, sizeof prefix, "%s/k", dir);
	assert_int_equal(escrow_keygen(ctx, prefix, "correct horse", 0), ESCROW_OK);
	snprintf(path, sizeof path, "%s.key", prefix);
	text = fx_read(path, NULL);
	assert_int_equal(esc_b64_decode(strchr(text, '\n') + 1, 212, blob, sizeof blob), 158);
	assert_memory_equal(blob, "EdScB2", 6);
	free(text);
	assert_int_equal(escrow_seckey_load(ctx, path, NULL, &sk), ESCROW_E_NEED_PASSPHRASE);
	assert_null(sk);
	assert_int_equal(escrow_seckey_load(ctx, path, "correct horsE", &sk), ESCROW_E_PASSPHRASE);
	assert_null(sk);
	assert_non_null(strstr(escrow_ctx_error(ctx), path));
	assert_non_null(strstr(escrow_ctx_error(ctx), "wrong passphrase"));
	assert_int_equal(escrow_seckey_load(ctx, path, "", &sk), ESCROW_E_PASSPHRASE);
	assert_int_equal(escrow_seckey_load(ctx, path, "correct horse", &sk), ESCROW_OK);
	escrow_seckey_free(sk);
	fx_rmtree(dir);
	escrow_ctx_free(ctx);
}

/* One derivation at minisign's real limits: the fields must say so. */
static void test_keygen_real_limits(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	char dir[256], prefix[300], path[320], *text;
	uint8_t blob[158], le[8];
	int i;

	(void)state;
	esc_mkey_set_kdf_limits(0, 0);
	fx_tmpdir(dir, sizeof dir);
	snprintf(prefix, sizeof prefix, "%s/k", dir);
	assert_int_equal(escrow_keygen(ctx, prefix, "pw", 0), ESCROW_OK);
	setup(NULL);
	snprintf(path, sizeof path, "%s.key", prefix);
	text = fx_read(path, NULL);
	assert_int_equal(esc_b64_decode(strchr(text, '\n') + 1, 212, blob, sizeof blob), 158);
	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(33554432ull >> (8 * i));
	assert_memory_equal(blob + 38, le, 8);
	for (i = 0; i < 8; i++)
		le[i] = (uint8_t)(1073741824ull >> (8 * i));
	assert_memory_equal(blob + 46, le, 8);
	free(text);
	fx_rmtree(dir);
	escrow_ctx_free(ctx);
}

static void test_keygen_no_overwrite(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	char dir[256], prefix[300], key[320], pub[320], *before, *after;
	struct stat st;

	(void)state;
	fx_tmpdir(dir, sizeof dir);
	snprintf(prefix, sizeof prefix, "%s/k", dir);
	snprintf(key, sizeof key, "%s.key", prefix);
	snprintf(pub, sizeof pub, "%s.pub", prefix);
	/* Only the .pub exists: refuse, and do not write the .key either. */
	fx_write(pub, "x\n", 2);
	assert_int_equal(escrow_keygen(ctx, prefix, NULL, 0), ESCROW_E_EXISTS);
	assert_non_null(strstr(escrow_ctx_error(ctx), pub));
	assert_int_not_equal(stat(key, &st), 0);
	unlink(pub);
	assert_int_equal(escrow_keygen(ctx, prefix, NULL, 0), ESCROW_OK);
	before = fx_read(pub, NULL);
	assert_int_equal(escrow_keygen(ctx, prefix, NULL, 0), ESCROW_E_EXISTS);
	after = fx_read(pub, NULL);
	assert_string_equal(before, after);
	free(after);
	assert_int_equal(escrow_keygen(ctx, prefix, NULL, ESCROW_FORCE), ESCROW_OK);
	after = fx_read(pub, NULL);
	assert_string_not_equal(before, after);
	assert_int_equal(stat(key, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	free(before);
	free(after);
	/* A prefix in a missing folder is a creation error. */
	snprintf(prefix, sizeof prefix, "%s/missing/k", dir);
	assert_int_equal(escrow_keygen(ctx, prefix, NULL, 0), ESCROW_E_CREATE);
	fx_rmtree(dir);
	escrow_ctx_free(ctx);
}

static escrow_status parse_pub(escrow_ctx *ctx, const char *text)
{
	escrow_pubkey *pk = NULL;
	escrow_status st = escrow_pubkey_parse(ctx, text, strlen(text), &pk);

	assert_true((st == ESCROW_OK) == (pk != NULL));
	escrow_pubkey_free(pk);
	return st;
}

static void test_pubkey_parse(void **state)
{
	static const char good[] = "untrusted comment: minisign public key D9C30284089B3D16\n"
	                           "RWQWPZsIhALD2a24L1jBWOMwtczuK4QpnlYR332bcJIezD8rTSI9MJXc\n";
	static const char *line = "RWQWPZsIhALD2a24L1jBWOMwtczuK4QpnlYR332bcJIezD8rTSI9MJXc";
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_pubkey *pk = NULL;
	char buf[512], id[17];
	size_t n;

	(void)state;
	assert_int_equal(escrow_pubkey_parse(ctx, good, strlen(good), &pk), ESCROW_OK);
	escrow_pubkey_id(pk, id);
	assert_string_equal(id, "D9C30284089B3D16"); /* the id minisign printed for this key */
	escrow_pubkey_free(pk);
	/* Accepted: bare line, no final newline, CRLF, any comment text, blank lines after. */
	assert_int_equal(parse_pub(ctx, line), ESCROW_OK);
	snprintf(buf, sizeof buf, "%s\n", line);
	assert_int_equal(parse_pub(ctx, buf), ESCROW_OK);
	snprintf(buf, sizeof buf, "anything at all \xc3\xa9\n%s", line);
	assert_int_equal(parse_pub(ctx, buf), ESCROW_OK);
	snprintf(buf, sizeof buf, "untrusted comment: x\r\n%s\r\n", line);
	assert_int_equal(parse_pub(ctx, buf), ESCROW_OK);
	snprintf(buf, sizeof buf, "%s\n\n", good);
	assert_int_equal(parse_pub(ctx, buf), ESCROW_OK);
	/* Every truncation is refused. */
	for (n = 0; n < strlen(good) - 1; n++) {
		escrow_pubkey *p2 = NULL;

		assert_int_equal(escrow_pubkey_parse(ctx, good, n, &p2), ESCROW_E_INPUT);
		assert_null(p2);
	}
	/* Padded key line, bad base64, wrong algorithm, trailing junk, NUL. */
	snprintf(buf, sizeof buf, "untrusted comment: x\n%sAAAA\n", line);
	assert_int_equal(parse_pub(ctx, buf), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "has 60 characters"));
	snprintf(buf, sizeof buf, "untrusted comment: x\n %s\n", line + 1);
	assert_int_equal(parse_pub(ctx, buf), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "base64"));
	snprintf(buf, sizeof buf, "untrusted comment: x\nRWR%s\n", line + 3); /* another key id, still "Ed" */
	assert_int_equal(parse_pub(ctx, buf), ESCROW_OK);
	snprintf(buf, sizeof buf, "untrusted comment: x\nRUQ%s\n", line + 3); /* "ED" */
	assert_int_equal(parse_pub(ctx, buf), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "Ed25519"));
	snprintf(buf, sizeof buf, "%sjunk\n", good);
	assert_int_equal(parse_pub(ctx, buf), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "after the key"));
	memcpy(buf, good, sizeof good);
	buf[3] = '\0';
	assert_int_equal(escrow_pubkey_parse(ctx, buf, sizeof good - 1, &pk), ESCROW_E_INPUT);
	assert_null(pk);
	/* Oversized input is refused before anything else. */
	{
		char *big = malloc(8192);

		memset(big, 'A', 8191);
		big[8191] = '\0';
		assert_int_equal(parse_pub(ctx, big), ESCROW_E_INPUT);
		free(big);
	}
	escrow_ctx_free(ctx);
}

static void test_pubkey_load_errors(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_pubkey *pk = NULL;
	char dir[256], path[320];

	(void)state;
	fx_tmpdir(dir, sizeof dir);
	snprintf(path, sizeof path, "%s/none.pub", dir);
	assert_int_equal(escrow_pubkey_load(ctx, path, &pk), ESCROW_E_OPEN);
	assert_non_null(strstr(escrow_ctx_error(ctx), path));
	fx_write(path, "untrusted comment: x\nRWQWPZsI\n", 30);
	assert_int_equal(escrow_pubkey_load(ctx, path, &pk), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), path));
	assert_null(pk);
	fx_rmtree(dir);
	escrow_ctx_free(ctx);
}

/* Loads a secret key text through a file, so messages name it. */
static escrow_status load_sec_text(escrow_ctx *ctx, const char *dir, const char *text, const char *pass)
{
	escrow_seckey *sk = NULL;
	char path[320];
	escrow_status st;

	snprintf(path, sizeof path, "%s/t.key", dir);
	fx_write(path, text, strlen(text));
	st = escrow_seckey_load(ctx, path, pass, &sk);
	assert_true((st == ESCROW_OK) == (sk != NULL));
	if (st != ESCROW_OK)
		assert_non_null(strstr(escrow_ctx_error(ctx), path));
	escrow_seckey_free(sk);
	return st;
}

static void test_seckey_hostile(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	uint8_t blob[158], bad[158];
	char dir[256], text[512], path[320];
	escrow_seckey *sk = NULL;
	size_t n, len;

	(void)state;
	fx_tmpdir(dir, sizeof dir);
	fx_plain_blob(blob, NULL);
	fx_key_text(blob, sizeof blob, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_OK);
	/* A passphrase given for an unencrypted key is not needed, and harmless. */
	assert_int_equal(load_sec_text(ctx, dir, text, "unused"), ESCROW_OK);
	len = strlen(text);
	for (n = 0; n < len - 1; n++) {
		char cut[512];

		memcpy(cut, text, n);
		cut[n] = '\0';
		assert_int_equal(load_sec_text(ctx, dir, cut, NULL), ESCROW_E_INPUT);
	}
	text[len - 1] = '\0'; /* without the final newline: fine */
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_OK);

	memcpy(bad, blob, sizeof bad);
	memcpy(bad + 2, "Xx", 2);
	fx_key_text(bad, sizeof bad, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "key derivation"));

	memcpy(bad, blob, sizeof bad);
	memcpy(bad + 4, "B3", 2);
	fx_key_text(bad, sizeof bad, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "checksum algorithm"));

	memcpy(bad, blob, sizeof bad);
	memcpy(bad, "ED", 2);
	fx_key_text(bad, sizeof bad, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "Ed25519"));

	memcpy(bad, blob, sizeof bad);
	bad[140] ^= 1; /* checksum */
	fx_key_text(bad, sizeof bad, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "checksum mismatch"));

	memcpy(bad, blob, sizeof bad);
	bad[70] ^= 1; /* secret seed: checksum no longer matches */
	fx_key_text(bad, sizeof bad, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);

	/* minisign -G -W writes a zero checksum: accepted, the seed/public check remains. */
	memcpy(bad, blob, sizeof bad);
	memset(bad + 126, 0, 32);
	fx_key_text(bad, sizeof bad, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_OK);
	bad[100] ^= 1; /* public half */
	fx_key_text(bad, sizeof bad, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "public half"));

	/* Encrypted with absurd scrypt limits: refused before any work. */
	memcpy(bad, blob, sizeof bad);
	memcpy(bad + 2, "Sc", 2);
	memset(bad + 46, 0xff, 8);
	fx_key_text(bad, sizeof bad, text);
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_NEED_PASSPHRASE);
	assert_int_equal(load_sec_text(ctx, dir, text, "pw"), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "scrypt limits"));

	/* Padded, bad base64, bare key line without comment, trailing junk. */
	fx_key_text(blob, sizeof blob, text);
	text[strlen(text) - 1] = '\0';
	strcat(text, "AAAA\n");
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);
	fx_key_text(blob, sizeof blob, text);
	strchr(text, '\n')[5] = '.';
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "base64"));
	fx_key_text(blob, sizeof blob, text);
	assert_int_equal(load_sec_text(ctx, dir, strchr(text, '\n') + 1, NULL), ESCROW_E_INPUT);
	strcat(text, "more\n");
	assert_int_equal(load_sec_text(ctx, dir, text, NULL), ESCROW_E_INPUT);

	snprintf(path, sizeof path, "%s/missing.key", dir);
	assert_int_equal(escrow_seckey_load(ctx, path, NULL, &sk), ESCROW_E_OPEN);
	assert_null(sk);
	fx_rmtree(dir);
	escrow_ctx_free(ctx);
}

/* escrow_seckey_parse: the text of a key file (pack -s - reads it from
 * standard input), named as the caller says in messages. */
static void test_seckey_parse(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_seckey *sk = NULL, *from_file = NULL;
	char dir[256], prefix[300], path[320], *text, *big;
	size_t len;

	(void)state;
	fx_tmpdir(dir, sizeof dir);
	snprintf(prefix, sizeof prefix, "%s/k", dir);
	assert_int_equal(escrow_keygen(ctx, prefix, NULL, 0), ESCROW_OK);
	snprintf(path, sizeof path, "%s.key", prefix);
	text = fx_read(path, &len);
	assert_int_equal(escrow_seckey_parse(ctx, "standard input", text, len, NULL, &sk), ESCROW_OK);
	assert_int_equal(escrow_seckey_load(ctx, path, NULL, &from_file), ESCROW_OK);
	assert_memory_equal(sk->sk, from_file->sk, 64);
	escrow_seckey_free(sk);
	sk = NULL;
	/* a flipped byte of the key line: refused, named as the caller said */
	text[strlen(text) - 5] ^= 1;
	assert_int_not_equal(escrow_seckey_parse(ctx, "standard input", text, len, NULL, &sk), ESCROW_OK);
	assert_null(sk);
	assert_non_null(strstr(escrow_ctx_error(ctx), "standard input"));
	/* longer than any key file */
	big = calloc(1, 1u << 20);
	memset(big, 'A', (1u << 20) - 1);
	assert_int_equal(escrow_seckey_parse(ctx, "standard input", big, (1u << 20) - 1, NULL, &sk), ESCROW_E_INPUT);
	assert_null(sk);
	assert_int_equal(escrow_seckey_parse(ctx, "x", NULL, 0, NULL, &sk), ESCROW_E_USAGE);
	free(big);
	free(text);
	escrow_seckey_free(from_file);
	fx_rmtree(dir);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_base64),
		cmocka_unit_test(test_keyid),
		cmocka_unit_test(test_keygen_plain),
		cmocka_unit_test(test_keygen_encrypted),
		cmocka_unit_test(test_keygen_real_limits),
		cmocka_unit_test(test_keygen_no_overwrite),
		cmocka_unit_test(test_pubkey_parse),
		cmocka_unit_test(test_pubkey_load_errors),
		cmocka_unit_test(test_seckey_hostile),
		cmocka_unit_test(test_seckey_parse),
	};

	return cmocka_run_group_tests(tests, setup, NULL);
}
