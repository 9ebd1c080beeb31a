/* fuzz_tarhdr.c -- tar headers and pax records mutated INSIDE a validly
 * signed bundle. At start-up a key is made and a small tree packed (plain
 * ustar entries, pax path and linkpath records, an NFD name, a folder, a
 * symlink); the bundle is decompressed once. Each input is a list of edits
 * to the header blocks and pax record blocks of that tar (4 bytes each:
 * which block, offset, value, and whether to fix the header checksum); the
 * result is recompressed and verified with the right key, so mutations reach
 * every check after decompression.
 *
 * The oracle: a header byte is either checked or covered by the signature
 * chain, so a bundle whose tar differs from the packed one must never verify.
 * A mutation that verifies is a field that can be read two ways, or bytes
 * riding along unsigned: abort. */
#include "escrow_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zstd.h>

static uint8_t *tar;            /* the packed bundle's tar */
static size_t tar_len;
static size_t *blocks;          /* offsets of header and pax record blocks */
static bool *is_header;
static size_t n_blocks;
static escrow_pubkey *pk;
static char path[600];

static void die(const char *what)
{
	fprintf(stderr, "fuzz_tarhdr: setup: %s\n", what);
	abort();
}

static void put(const char *p, const char *text)
{
	FILE *f = fopen(p, "wb");

	if (f == NULL || fputs(text, f) < 0 || fclose(f) != 0)
		die(p);
}

static uint8_t *slurp_zstd(const char *p, size_t *len)
{
	FILE *f = fopen(p, "rb");
	ZSTD_DStream *d = ZSTD_createDStream();
	size_t cap = 1 << 20, n = 0;
	uint8_t *out = malloc(cap), in[65536];
	size_t got;

	if (f == NULL || d == NULL || out == NULL)
		die("decompress");
	while ((got = fread(in, 1, sizeof in, f)) > 0) {
		ZSTD_inBuffer ib = {in, got, 0};

		while (ib.pos < ib.size) {
			ZSTD_outBuffer ob;

			if (cap - n < 65536) {
				cap *= 2;
				out = realloc(out, cap);
				if (out == NULL)
					die("memory");
			}
			ob.dst = out + n;
			ob.size = cap - n;
			ob.pos = 0;
			if (ZSTD_isError(ZSTD_decompressStream(d, &ob, &ib)))
				die("zstd");
			n += ob.pos;
		}
	}
	fclose(f);
	ZSTD_freeDStream(d);
	*len = n;
	return out;
}

static void setup(void)
{
	char dir[] = "/tmp/fuzz_tarhdr.XXXXXX", p[700], lp[700];
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_seckey *sk = NULL;
	escrow_options *o = escrow_options_new();
	escrow_report *rep = NULL;
	size_t off = 0;

	if (ctx == NULL || o == NULL || escrow_init() != ESCROW_OK || mkdtemp(dir) == NULL)
		die("init");
	snprintf(p, sizeof p, "%s/src/sub/%0120d", dir, 0);
	snprintf(lp, sizeof lp, "%s/src", dir);
	if (mkdir(lp, 0755) != 0)
		die("mkdir");
	snprintf(lp, sizeof lp, "%s/src/sub", dir);
	if (mkdir(lp, 0755) != 0)
		die("mkdir");
	put(p, "long name, pax path\n");
	snprintf(p, sizeof p, "%s/src/cafe\xcc\x81.txt", dir);
	put(p, "nfd\n");
	snprintf(p, sizeof p, "%s/src/a.txt", dir);
	put(p, "plain\n");
	snprintf(p, sizeof p, "%s/src/link", dir);
	if (symlink("a.txt", p) != 0)
		die("symlink");
	snprintf(p, sizeof p, "%s/src/long-link", dir);
	snprintf(lp, sizeof lp, "sub/%0120d", 0);
	if (symlink(lp, p) != 0)
		die("symlink");
	setenv("SOURCE_DATE_EPOCH", "1767225600", 1);
	snprintf(p, sizeof p, "%s/k", dir);
	if (escrow_keygen(ctx, p, NULL, 0) != ESCROW_OK)
		die("keygen");
	snprintf(p, sizeof p, "%s/k.key", dir);
	if (escrow_seckey_load(ctx, p, NULL, &sk) != ESCROW_OK)
		die("seckey");
	snprintf(p, sizeof p, "%s/k.pub", dir);
	if (escrow_pubkey_load(ctx, p, &pk) != ESCROW_OK)
		die("pubkey");
	snprintf(lp, sizeof lp, "%s/src", dir);
	snprintf(p, sizeof p, "%s/b.escrow", dir);
	if (escrow_options_set_string(o, ESCROW_OPT_SOURCE, lp) != ESCROW_OK ||
	    escrow_options_set_string(o, ESCROW_OPT_OUTPUT, p) != ESCROW_OK ||
	    escrow_options_set_seckey(o, ESCROW_OPT_SIGNING_KEY, sk) != ESCROW_OK ||
	    escrow_options_set_string(o, ESCROW_OPT_NAME, "t") != ESCROW_OK ||
	    escrow_options_set_string(o, ESCROW_OPT_RELEASE, "1") != ESCROW_OK ||
	    escrow_options_set_int(o, ESCROW_OPT_LEVEL, 1) != ESCROW_OK)
		die(escrow_options_error(o));
	if (escrow_pack(ctx, o, NULL, &rep) != ESCROW_OK)
		die(escrow_ctx_error(ctx));
	escrow_report_free(rep);
	escrow_options_free(o);
	escrow_seckey_free(sk);
	escrow_ctx_free(ctx);
	tar = slurp_zstd(p, &tar_len);
	/* The blocks to mutate: every header, and the records of 'x' headers. */
	blocks = malloc(sizeof *blocks * (tar_len / 512 + 1));
	is_header = calloc(tar_len / 512 + 1, sizeof *is_header);
	if (blocks == NULL || is_header == NULL)
		die("memory");
	while (off + 512 <= tar_len && tar[off] != 0) {
		uint64_t size = strtoull((const char *)tar + off + 124, NULL, 8);
		char type = (char)tar[off + 156];

		is_header[n_blocks] = true;
		blocks[n_blocks++] = off;
		if (type == 'x')
			blocks[n_blocks++] = off + 512;
		off += 512 + (type == '0' || type == 'x' ? (size + 511) / 512 * 512 : 0);
	}
	snprintf(path, sizeof path, "%s/m.escrow", dir);
}

static void fix_sum(uint8_t *h)
{
	unsigned s = 0;
	size_t i;

	memset(h + 148, ' ', 8);
	for (i = 0; i < 512; i++)
		s += h[i];
	snprintf((char *)h + 148, 8, "%06o", s);
	h[155] = ' ';
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	escrow_ctx *ctx;
	escrow_options *vo;
	escrow_report *r = NULL;
	uint8_t *m, *z;
	size_t i, zlen;
	escrow_status st;
	FILE *f;

	if (tar == NULL)
		setup();
	if (size < 4 || size > 4 * 64)
		return 0;
	m = malloc(tar_len);
	if (m == NULL)
		abort();
	memcpy(m, tar, tar_len);
	for (i = 0; i + 4 <= size; i += 4) {
		size_t k = data[i] % n_blocks, b = blocks[k], off = data[i + 1] | (size_t)(data[i + 2] & 1) << 8;

		m[b + off] = data[i + 3];
		if ((data[i + 2] & 0x80) && is_header[k])
			fix_sum(m + b);
	}
	zlen = ZSTD_compressBound(tar_len);
	z = malloc(zlen);
	if (z == NULL)
		abort();
	{
		ZSTD_CCtx *c = ZSTD_createCCtx();

		ZSTD_CCtx_setParameter(c, ZSTD_c_checksumFlag, 1);
		zlen = ZSTD_compress2(c, z, zlen, m, tar_len);
		ZSTD_freeCCtx(c);
		if (ZSTD_isError(zlen))
			abort();
	}
	f = fopen(path, "wb");
	if (f == NULL || fwrite(z, 1, zlen, f) != zlen || fclose(f) != 0)
		abort();
	free(z);
	ctx = escrow_ctx_new();
	vo = escrow_options_new();
	if (ctx == NULL || vo == NULL || escrow_options_set_string(vo, ESCROW_OPT_BUNDLE, path) != ESCROW_OK ||
	    escrow_options_set_pubkey(vo, ESCROW_OPT_PUBLIC_KEY, pk) != ESCROW_OK)
		abort();
	st = escrow_verify(ctx, vo, &r);
	escrow_options_free(vo);
	if (st == ESCROW_OK && memcmp(m, tar, tar_len) != 0) {
		fprintf(stderr, "a changed tar header verified: %s\n", escrow_ctx_error(ctx));
		abort();
	}
	escrow_report_free(r);
	escrow_ctx_free(ctx);
	free(m);
	return 0;
}
