/* msign_fixtures.h -- helpers shared by the minisign unit tests: temp folders,
 * small files, and minisign blobs built byte by byte. */
#ifndef MSIGN_FIXTURES_H
#define MSIGN_FIXTURES_H

#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "escrow_private.h"

/* A fresh folder under $ESCROW_TEST_TMP (or /tmp); path is filled in. */
static inline void fx_tmpdir(char *path, size_t size)
{
	const char *base = getenv("ESCROW_TEST_TMP");

	if (base == NULL || *base == '\0')
		base = "/tmp";
	(void)mkdir(base, 0700);
	snprintf(path, size, "%s/escrow-msign-XXXXXX", base);
	if (mkdtemp(path) == NULL) {
		fprintf(stderr, "mkdtemp %s: %s\n", path, strerror(errno));
		abort();
	}
}

static inline void fx_rmtree(const char *dir)
{
	char cmd[600];

	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
}

static inline void fx_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len || fclose(f) != 0)
		abort();
}

/* Whole file, NUL-terminated; abort()s when missing (tests only). */
static inline char *fx_read(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = malloc(65536);
	size_t n;

	if (f == NULL || buf == NULL)
		abort();
	n = fread(buf, 1, 65535, f);
	fclose(f);
	buf[n] = '\0';
	if (len)
		*len = n;
	return buf;
}

/* minisign's secret key checksum, BLAKE2b-256("Ed" || key id || sk). */
static inline void fx_chk(const uint8_t *id, const uint8_t *sk, uint8_t out[32])
{
	crypto_generichash_state hs;

	crypto_generichash_init(&hs, NULL, 0, 32);
	crypto_generichash_update(&hs, (const uint8_t *)"Ed", 2);
	crypto_generichash_update(&hs, id, 8);
	crypto_generichash_update(&hs, sk, 64);
	crypto_generichash_final(&hs, out, 32);
}

/* An unencrypted secret key blob (158 bytes) for a fresh key pair. */
static inline void fx_plain_blob(uint8_t blob[158], uint8_t pk_out[32])
{
	uint8_t pk[32], sk[64], id[8];

	crypto_sign_keypair(pk, sk);
	randombytes_buf(id, sizeof id);
	memset(blob, 0, 158);
	memcpy(blob, "Ed\0\0B2", 6);
	memcpy(blob + 54, id, 8);
	memcpy(blob + 62, sk, 64);
	fx_chk(id, sk, blob + 126);
	if (pk_out)
		memcpy(pk_out, pk, 32);
}

/* "untrusted comment: ...\n" + base64(blob) + "\n" into out. */
static inline void fx_key_text(const uint8_t *blob, size_t len, char *out)
{
	size_t n = (size_t)sprintf(out, "untrusted comment: test key\n");

	esc_b64_encode(blob, len, out + n);
	strcat(out, "\n");
}

/* A fresh unencrypted key pair, through the same parsers as key files. */
static inline void fx_pair(escrow_ctx *ctx, escrow_seckey **sk, escrow_pubkey **pk)
{
	uint8_t blob[158], pub[42];
	char text[512];

	fx_plain_blob(blob, pub + 10);
	fx_key_text(blob, sizeof blob, text);
	if (esc_seckey_parse(ctx, "test.key", text, strlen(text), NULL, sk) != ESCROW_OK)
		abort();
	memcpy(pub, "Ed", 2);
	memcpy(pub + 2, blob + 54, 8);
	fx_key_text(pub, sizeof pub, text);
	if (escrow_pubkey_parse(ctx, text, strlen(text), pk) != ESCROW_OK)
		abort();
}

#endif
