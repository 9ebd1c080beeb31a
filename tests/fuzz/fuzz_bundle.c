/* fuzz_bundle.c -- the bundle reader (zstd layer, tar entries, bag checks,
 * manifests) over an in-memory bundle. Inputs that start with the zstd magic
 * are used as they are; anything else is taken as a tar stream and wrapped
 * in one checksummed zstd frame first, so that mutations reach the tar and
 * bag parsers instead of dying on the frame checksum. The public key is
 * fixed (the seed corpus is signed by its secret key, which is not kept). */
#include "escrow_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zstd.h>

static const char pubkey[] = "untrusted comment: minisign public key E8604306A4C6C2A9\n"
                             "RWSpwsakBkNg6IcNY7c6oHBQ01SSo5jJuIGS3g3Xq1R3kUz5OUTtyfer\n";

static void run(const char *path, escrow_pubkey *pk, int extract)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = escrow_options_new();
	escrow_report *r = NULL;
	char target[256];

	if (ctx == NULL || o == NULL || escrow_options_set_string(o, ESCROW_OPT_BUNDLE, path) != ESCROW_OK ||
	    escrow_options_set_pubkey(o, ESCROW_OPT_PUBLIC_KEY, pk) != ESCROW_OK)
		abort();
	if (extract) {
		snprintf(target, sizeof target, "%s.out", path);
		if (escrow_options_set_string(o, ESCROW_OPT_TARGET, target) != ESCROW_OK)
			abort();
		if (escrow_extract(ctx, o, &r) == ESCROW_OK) {
			char cmd[300];

			snprintf(cmd, sizeof cmd, "rm -rf '%s'", target);
			if (system(cmd) != 0)
				abort();
		}
	} else if (escrow_verify(ctx, o, &r) == ESCROW_OK && r == NULL) {
		abort();
	}
	escrow_report_free(r);
	escrow_options_free(o);
	escrow_ctx_free(ctx);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t magic[4] = {0x28, 0xB5, 0x2F, 0xFD};
	static escrow_pubkey *pk;
	static char path[64];
	uint8_t *z = NULL;
	size_t zlen = size;
	FILE *f;

	if (pk == NULL) {
		escrow_ctx *ctx = escrow_ctx_new();

		if (escrow_init() != ESCROW_OK || escrow_pubkey_parse(ctx, pubkey, strlen(pubkey), &pk) != ESCROW_OK)
			abort();
		escrow_ctx_free(ctx);
		snprintf(path, sizeof path, "/tmp/fuzz_bundle.%ld", (long)getpid());
	}
	if (size < 4 || memcmp(data, magic, 4) != 0) {
		ZSTD_CCtx *c = ZSTD_createCCtx();

		zlen = ZSTD_compressBound(size);
		z = malloc(zlen);
		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		zlen = ZSTD_compress2(c, z, zlen, data, size);
		ZSTD_freeCCtx(c);
		if (ZSTD_isError(zlen))
			abort();
	}
	f = fopen(path, "wb");
	if (f == NULL)
		abort();
	fwrite(z ? z : data, 1, zlen, f);
	fclose(f);
	free(z);
	/* Extraction too, on a quarter of the inputs (it writes to disk). */
	run(path, pk, size % 4 == 1);
	unlink(path);
	return 0;
}
