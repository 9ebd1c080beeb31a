/* test_age_keys.c -- Bech32 (BIP173 vectors), HKDF-SHA-256 (RFC 5869), age
 * key generation, identity and recipient files. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <dirent.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_private.h"
#include "tmpdir.h"

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("agekeys");
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static long b32check(const char *s)
{
	char hrp[128];

	return esc_bech32_decode(s, strlen(s), 90, hrp, sizeof hrp, NULL, 0);
}

static void test_bech32_bip173(void **state)
{
	static const char *valid[] = {
		"A12UEL5L", "a12uel5l",
		"an83characterlonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1tt5tgs",
		"abcdef1qpzry9x8gf2tvdw0s3jn54khce6mua7lmqqqxw",
		"11qqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqqc8247j",
		"split1checkupstagehandshakeupstreamerranterredcaperred2y9e3w", "?1ezyfcl",
	};
	static const char *invalid[] = {
		"\x20" "1nwldj5", "\x7f" "1axkwrx", "\x80" "1eym55h",
		"an84characterslonghumanreadablepartthatcontainsthenumber1andtheexcludedcharactersbio1569pvx",
		"pzry9x0s0muk", "1pzry9x0s0muk", "x1b4n0q5v", "li1dgmt3", "de1lg7wt\xff", "A1G7SGD8", "10a06t8",
		"1qzzfhee", "a12UEL5L", "a12uel5m",
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof valid / sizeof valid[0]; i++)
		assert_true(b32check(valid[i]) >= 0);
	for (i = 0; i < sizeof invalid / sizeof invalid[0]; i++)
		assert_int_equal(b32check(invalid[i]), -1);
}

static void test_bech32_bytes(void **state)
{
	uint8_t data[32], back[40];
	char s[128], hrp[32];
	long n;

	(void)state;
	randombytes_buf(data, sizeof data);
	assert_int_equal(esc_bech32_encode(s, sizeof s, "age", data, sizeof data, 0), 0);
	assert_int_equal(strlen(s), 62);
	n = esc_bech32_decode(s, strlen(s), 0, hrp, sizeof hrp, back, sizeof back);
	assert_int_equal(n, 32);
	assert_string_equal(hrp, "age");
	assert_memory_equal(back, data, 32);
	/* One changed character breaks the checksum. */
	s[10] = s[10] == 'q' ? 'p' : 'q';
	assert_int_equal(esc_bech32_decode(s, strlen(s), 0, hrp, sizeof hrp, back, sizeof back), -1);
	/* Too small an output buffer and too short an encode buffer are refused. */
	assert_int_equal(esc_bech32_encode(s, 20, "age", data, sizeof data, 0), -1);
	/* BIP173 limits to 90 characters; age keys may be longer, only when asked. */
	assert_int_equal(esc_bech32_encode(s, sizeof s, "AGE-SECRET-KEY-", data, sizeof data, 1), 0);
	assert_int_equal(strlen(s), 74);
	assert_int_equal(esc_bech32_decode(s, strlen(s), 0, hrp, sizeof hrp, back, sizeof back), 32);
	assert_string_equal(hrp, "AGE-SECRET-KEY-");
}

static void test_hkdf_rfc5869(void **state)
{
	static const char okm_hex[] = "3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf"
	                              "34007208d5b887185865";
	uint8_t ikm[22], salt[13], okm[42];
	char info[10], hex[85];
	size_t i;

	(void)state;
	memset(ikm, 0x0b, sizeof ikm);
	for (i = 0; i < sizeof salt; i++)
		salt[i] = (uint8_t)i;
	for (i = 0; i < sizeof info; i++)
		info[i] = (char)(0xf0 + i);
	esc_hkdf_sha256(okm, sizeof okm, salt, sizeof salt, ikm, sizeof ikm, info, sizeof info);
	esc_hex(okm, sizeof okm, hex);
	assert_string_equal(hex, okm_hex);
	/* Test case 3: no salt, no info (the salt defaults to 32 zero bytes). */
	esc_hkdf_sha256(okm, sizeof okm, NULL, 0, ikm, sizeof ikm, "", 0);
	esc_hex(okm, sizeof okm, hex);
	assert_string_equal(hex, "8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
	                         "9d201395faa4b61a96c8");
}

static void test_keygen_files(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_identities *ids = NULL;
	escrow_recipients *rs = NULL;
	char prefix[128], path[160], *text = NULL, *pub = NULL, rcpt[64], line[128];
	size_t len = 0;
	struct stat sb;

	(void)state;
	snprintf(prefix, sizeof prefix, "%s/k", tmpdir);
	assert_int_equal(escrow_age_keygen(ctx, prefix, 0), ESCROW_OK);
	snprintf(path, sizeof path, "%s.age", prefix);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(esc_read_small_file(ctx, path, 4096, &text, &len), ESCROW_OK);
	assert_memory_equal(text, "# created: ", 11);
	assert_non_null(strstr(text, "\n# public key: age1"));
	assert_non_null(strstr(text, "\nAGE-SECRET-KEY-1"));
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_OK);
	assert_int_equal(ids->n, 1);
	esc_age_recipient_string(ids->v[0].pk, rcpt);
	snprintf(line, sizeof line, "# public key: %s\n", rcpt);
	assert_non_null(strstr(text, line));
	snprintf(path, sizeof path, "%s.age.pub", prefix);
	assert_int_equal(esc_read_small_file(ctx, path, 4096, &pub, &len), ESCROW_OK);
	snprintf(line, sizeof line, "%s\n", rcpt);
	assert_string_equal(pub, line);
	assert_int_equal(escrow_recipients_load(ctx, path, &rs), ESCROW_OK);
	assert_int_equal(rs->n, 1);
	assert_memory_equal(rs->pk[0], ids->v[0].pk, 32);
	/* No overwrite without ESCROW_FORCE; with it, a new key. */
	assert_int_equal(escrow_age_keygen(ctx, prefix, 0), ESCROW_E_EXISTS);
	assert_int_equal(escrow_age_keygen(ctx, prefix, ESCROW_FORCE), ESCROW_OK);
	escrow_identities_free(ids);
	ids = NULL;
	snprintf(path, sizeof path, "%s.age", prefix);
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_OK);
	assert_memory_not_equal(rs->pk[0], ids->v[0].pk, 32);
	free(text);
	free(pub);
	escrow_identities_free(ids);
	escrow_recipients_free(rs);
	escrow_ctx_free(ctx);
}

static int count_entries(const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strcmp(e->d_name, ".") != 0 && strcmp(e->d_name, "..") != 0;
	closedir(d);
	return n;
}

/* --force never loses a good pair because the .age.pub cannot be put in
 * place (here it is a folder, which --force does not replace: refused before
 * either half is written): the old identity stays, byte for byte; with no
 * old identity, none is left behind. No temporary file either. (A public
 * half that fails later, at its rename, puts the old identity back: 'kept
 * as it was', minisign_keyfile.c.) */
static void test_keygen_force_keeps_pair(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	char dir[96], prefix[128], idpath[160], pubpath[160], *before = NULL, *after = NULL;
	size_t blen = 0, alen = 0;
	struct stat sb;

	(void)state;
	snprintf(dir, sizeof dir, "%s/pair", tmpdir);
	assert_int_equal(mkdir(dir, 0700), 0);
	snprintf(prefix, sizeof prefix, "%s/k", dir);
	snprintf(idpath, sizeof idpath, "%s.age", prefix);
	snprintf(pubpath, sizeof pubpath, "%s.age.pub", prefix);
	assert_int_equal(escrow_age_keygen(ctx, prefix, 0), ESCROW_OK);
	assert_int_equal(esc_read_small_file(ctx, idpath, 4096, &before, &blen), ESCROW_OK);
	assert_int_equal(unlink(pubpath), 0);
	assert_int_equal(mkdir(pubpath, 0700), 0);
	assert_int_equal(escrow_age_keygen(ctx, prefix, ESCROW_FORCE), ESCROW_E_CREATE);
	assert_non_null(strstr(escrow_ctx_error(ctx), "k.age.pub: is a folder, which --force does not replace"));
	assert_int_equal(esc_read_small_file(ctx, idpath, 4096, &after, &alen), ESCROW_OK);
	assert_int_equal(alen, blen);
	assert_memory_equal(after, before, blen);
	assert_int_equal(stat(idpath, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0600);
	assert_int_equal(count_entries(dir), 2);
	/* No old identity: the new one does not stay without its public half. */
	assert_int_equal(unlink(idpath), 0);
	assert_int_equal(escrow_age_keygen(ctx, prefix, ESCROW_FORCE), ESCROW_E_CREATE);
	assert_non_null(strstr(escrow_ctx_error(ctx), "k.age.pub: is a folder, which --force does not replace"));
	assert_int_equal(lstat(idpath, &sb), -1);
	assert_int_equal(count_entries(dir), 1);
	free(before);
	free(after);
	escrow_ctx_free(ctx);
}

static void test_identity_files(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_identities *ids = NULL;
	uint8_t sk[32];
	char path[160], id1[80], id2[80], text[512], want[200];
	size_t i;

	(void)state;
	snprintf(path, sizeof path, "%s/ids.txt", tmpdir);
	randombytes_buf(sk, sizeof sk);
	esc_age_identity_string(sk, id1);
	randombytes_buf(sk, sizeof sk);
	esc_age_identity_string(sk, id2);
	/* Comments, blank lines and CRLF line ends are fine; two identities. */
	snprintf(text, sizeof text, "# a comment\n\n%s\r\n\n# another\n%s", id1, id2);
	write_text(path, text);
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_OK);
	assert_int_equal(ids->n, 2);
	assert_memory_equal(ids->v[1].sk, sk, 32);
	/* Appends to an existing set. */
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_OK);
	assert_int_equal(ids->n, 4);
	escrow_identities_free(ids);
	ids = NULL;
	/* A malformed line is named by file and line. */
	id2[20] = id2[20] == 'Q' ? 'P' : 'Q';
	snprintf(text, sizeof text, "# c\n%s\n%s\n", id1, id2);
	write_text(path, text);
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_E_INPUT);
	snprintf(want, sizeof want, "%s:3:", path);
	assert_non_null(strstr(escrow_ctx_error(ctx), want));
	assert_null(strstr(escrow_ctx_error(ctx), id1 + 20)); /* never echo a secret */
	/* Lowercase identities, recipients, empty files: refused. */
	for (i = 0; id1[i]; i++)
		text[i] = (char)(id1[i] >= 'A' && id1[i] <= 'Z' ? id1[i] + 32 : id1[i]);
	text[i] = '\0';
	write_text(path, text);
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_E_INPUT);
	write_text(path, "age1qqqq\n");
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_E_INPUT);
	write_text(path, "# only a comment\n\n");
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), "no identity"));
	snprintf(path, sizeof path, "%s/missing.txt", tmpdir);
	assert_int_equal(escrow_identities_load(ctx, path, &ids), ESCROW_E_OPEN);
	assert_null(ids);
	escrow_ctx_free(ctx);
}

static void test_recipients(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_recipients *rs = NULL;
	uint8_t pk[32];
	char path[160], r1[64], text[256];

	(void)state;
	randombytes_buf(pk, sizeof pk);
	esc_age_recipient_string(pk, r1);
	assert_int_equal(escrow_recipients_add(ctx, r1, &rs), ESCROW_OK);
	assert_int_equal(rs->n, 1);
	assert_memory_equal(rs->pk[0], pk, 32);
	/* Uppercase, a wrong checksum, the wrong prefix, a secret key: refused. */
	{
		char up[64], bad[64];
		size_t i;

		for (i = 0; r1[i]; i++)
			up[i] = (char)(r1[i] >= 'a' && r1[i] <= 'z' ? r1[i] - 32 : r1[i]);
		up[i] = '\0';
		assert_int_equal(escrow_recipients_add(ctx, up, &rs), ESCROW_E_INPUT);
		memcpy(bad, r1, sizeof bad);
		bad[30] = bad[30] == 'q' ? 'p' : 'q';
		assert_int_equal(escrow_recipients_add(ctx, bad, &rs), ESCROW_E_INPUT);
		assert_non_null(strstr(escrow_ctx_error(ctx), "age1"));
		assert_int_equal(escrow_recipients_add(ctx, "ssh-ed25519 AAAA", &rs), ESCROW_E_INPUT);
		assert_int_equal(escrow_recipients_add(ctx, "", &rs), ESCROW_E_INPUT);
	}
	snprintf(path, sizeof path, "%s/rcpts.txt", tmpdir);
	snprintf(text, sizeof text, "# client\n%s\n\n%s\r\n", r1, r1);
	write_text(path, text);
	assert_int_equal(escrow_recipients_load(ctx, path, &rs), ESCROW_OK);
	assert_int_equal(rs->n, 3);
	snprintf(text, sizeof text, "%s\nnot-a-key\n", r1);
	write_text(path, text);
	assert_int_equal(escrow_recipients_load(ctx, path, &rs), ESCROW_E_INPUT);
	assert_non_null(strstr(escrow_ctx_error(ctx), ":2:"));
	snprintf(path, sizeof path, "%s/none.txt", tmpdir);
	assert_int_equal(escrow_recipients_load(ctx, path, &rs), ESCROW_E_OPEN);
	escrow_recipients_free(rs);
	escrow_recipients_free(NULL);
	escrow_identities_free(NULL);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_bech32_bip173),   cmocka_unit_test(test_bech32_bytes),
		cmocka_unit_test(test_hkdf_rfc5869),    cmocka_unit_test(test_keygen_files),
		cmocka_unit_test(test_keygen_force_keeps_pair),
		cmocka_unit_test(test_identity_files),  cmocka_unit_test(test_recipients),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
