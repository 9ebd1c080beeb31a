/* test_zip_limits.c -- the zip-based checkers (zip, keras, npz, pytorch) at
 * the most members the walk keeps track of and past it, zip bombs for those
 * that inflate, and the inspector (every checker a name and content call for,
 * the secrets scanner) at its limits; each case in a child held to 256 MiB
 * and 60 s of CPU (limits.h), with its peak RSS and CPU time printed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "escrow_private.h"
#include "esc_formats.h"
#include "fixtures.h"
#include "limits.h"

#ifdef ESCROW_HAVE_ZLIB
#include <zlib.h>
#endif

/* ---- zip family: the most members the walk cross-checks, generated
 * record by record (zip64 end records, since there are more than 65535) ---- */
struct zipgen {
	uint32_t n, i, phase; /* phase 0 locals, 1 central directory, 2 end records, 3 done */
	uint64_t off, cd_start;
	const char *prefix, *suffix; /* member names: prefix, "%07u", suffix */
};

static size_t zipgen_fill(void *u, uint8_t *buf, size_t cap)
{
	struct zipgen *g = u;
	uint8_t *p = buf;
	char name[32];

	while (g->phase < 3 && (size_t)(p - buf) + 200 <= cap) {
		uint8_t *start = p;
		size_t nl;

		if (g->phase < 2 && g->i == g->n) {
			g->phase++;
			g->i = 0;
			if (g->phase == 1)
				g->cd_start = g->off;
			continue;
		}
		nl = (size_t)snprintf(name, sizeof name, "%s%07u%s", g->prefix, g->i, g->suffix);
		if (g->phase == 0) {
			lim_le(&p, 0x04034b50, 4);
			lim_le(&p, 20, 2);
			lim_le(&p, 0, 2 + 2 + 2 + 2 + 4 + 4 + 4);
			lim_le(&p, nl, 2);
			lim_le(&p, 0, 2);
		} else if (g->phase == 1) {
			lim_le(&p, 0x02014b50, 4);
			lim_le(&p, 20, 2);
			lim_le(&p, 20, 2);
			lim_le(&p, 0, 2 + 2 + 2 + 2 + 4 + 4 + 4);
			lim_le(&p, nl, 2);
			lim_le(&p, 0, 2 + 2 + 2 + 2 + 4);
			lim_le(&p, (uint64_t)g->i * (30 + nl), 4);
		} else {
			uint64_t cd_size = g->off - g->cd_start, e64 = g->off;

			lim_le(&p, 0x06064b50, 4);
			lim_le(&p, 44, 8);
			lim_le(&p, 45, 2);
			lim_le(&p, 45, 2);
			lim_le(&p, 0, 8);
			lim_le(&p, g->n, 8);
			lim_le(&p, g->n, 8);
			lim_le(&p, cd_size, 8);
			lim_le(&p, g->cd_start, 8);
			lim_le(&p, 0x07064b50, 4);
			lim_le(&p, 0, 4);
			lim_le(&p, e64, 8);
			lim_le(&p, 1, 4);
			lim_le(&p, 0x06054b50, 4);
			lim_le(&p, 0, 4);
			lim_le(&p, 0xffff, 2);
			lim_le(&p, 0xffff, 2);
			lim_le(&p, 0xffffffffu, 4);
			lim_le(&p, 0xffffffffu, 4);
			lim_le(&p, 0, 2);
			g->phase = 3;
			g->off += (uint64_t)(p - start);
			break;
		}
		memcpy(p, name, nl);
		p += nl;
		g->off += (uint64_t)(p - start);
		g->i++;
	}
	return (size_t)(p - buf);
}

static int zip_lim_verdict(const struct esc_fmt_ops *o, const char *path, uint32_t n, const char *prefix,
                       const char *suffix, int want)
{
	struct zipgen g = { n, 0, 0, 0, 0, prefix, suffix };
	uint64_t size = (uint64_t)n * (30 + 46 + 2 * (7 + strlen(prefix) + strlen(suffix))) + 56 + 20 + 22;
	int ok = lim_fmt_gen(o, path, size, zipgen_fill, &g, lim_why());

	printf("      %s (%u members, %llu bytes): %s%s%s\n", path, n, (unsigned long long)size,
	       ok ? "pass" : "fail", lim_why()[0] ? ": " : "", lim_why());
	return ok != want;
}

static int zip_many(void)
{
	return zip_lim_verdict(&esc_fmt_zip, "a.zip", 1u << 20, "", "", 1) |
	       zip_lim_verdict(&esc_fmt_zip, "b.zip", 2u << 20, "", "", 1); /* past the cap: the central directory alone */
}

static int zip_models(void)
{
	return zip_lim_verdict(&esc_fmt_keras, "m.keras", 1u << 20, "", "", 0) |
	       zip_lim_verdict(&esc_fmt_npz, "a.npz", 1u << 20, "", ".npy", 0) |
	       zip_lim_verdict(&esc_fmt_pytorch, "m.pt", 1u << 20, "archive/data/", "", 0);
}

/* ---- the inspector (every checker a file's name and bytes call for,
 * the secrets scanner, the pickle scan) on a named secrets file at its
 * 16 MiB limit and a 256 MiB file that claims to be every format ---- */
static int inspect_chunk(void *u, const uint8_t *b, size_t n, uint64_t off)
{
	(void)off;
	esc_inspect_update(u, b, n);
	return 0;
}

static int inspect_one(const char *path, const struct lim_input *in, enum esc_format wanted,
                       struct esc_inspection *out)
{
	esc_inspector *x = esc_inspect_new(path, lim_size(in), wanted);

	if (!x)
		return 1;
	memset(out, 0, sizeof *out);
	lim_stream(in, inspect_chunk, x);
	esc_inspect_final(x, out);
	printf("      %s: %u secrets, wanted %s%s%s\n", path, out->n_secrets, out->wanted_ok ? "pass" : "fail",
	       out->reason[0] ? ": " : "", out->reason);
	return 0;
}

static int inspect_cases(void)
{
	struct lim_input any = { 0 }, json = { 0 };
	struct esc_inspection o2, o3;
	int r = 0;

	lim_adds(&any, "PK\x03\x04", 1);
	lim_adds(&any, "\x80\x02}q\x00(X", 64 * MiB);
	lim_adds(&json, "{\"a\":", 1);
	lim_adds(&json, "[", 64 * MiB);
	r |= inspect_one("m/model.pt", &any, ESC_FMT_PYTORCH, &o2) || o2.wanted_ok;
	r |= inspect_one("c/config.json", &json, ESC_FMT_JSON, &o3) || o3.wanted_ok;
	return r;
}

/* The secrets scanner on a file named like a secrets file, at the 16 MiB
 * it scans such files to: one line of "sk-" and "xoxb-" chains. */
static int inspect_secrets(void)
{
	struct lim_input env = { 0 };
	struct esc_inspection o;

	lim_adds(&env, "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE\n", 1);
	lim_adds(&env, "A=", 1);
	lim_adds(&env, "sk-xoxb-", 2 * MiB - 6);
	return inspect_one("app/.env", &env, ESC_FMT_NONE, &o) || o.n_secrets == 0;
}


LIM_TEST(zip_many)
LIM_TEST(zip_models)
LIM_TEST(inspect_cases)
LIM_TEST(inspect_secrets)

#ifdef ESCROW_HAVE_ZLIB
/* ---- zip bombs: one deflated member that inflates to 512 MiB (2 MB in the
 * file), for the checkers that inflate members (npz, pytorch) ---- */
struct deflater {
	z_stream zs;
	struct fx out;
	uLong crc;
};

static int deflate_chunk(void *u, const uint8_t *b, size_t n, uint64_t off)
{
	struct deflater *d = u;
	uint8_t tmp[1 << 15];

	(void)off;
	d->crc = crc32(d->crc, b, (uInt)n);
	d->zs.next_in = (Bytef *)(uintptr_t)b;
	d->zs.avail_in = (uInt)n;
	do {
		d->zs.next_out = tmp;
		d->zs.avail_out = sizeof tmp;
		if (deflate(&d->zs, Z_NO_FLUSH) == Z_STREAM_ERROR)
			abort();
		fx_put(&d->out, tmp, sizeof tmp - d->zs.avail_out);
	} while (d->zs.avail_out == 0);
	return 0;
}

/* A zip of one deflated member `name` holding the generated content. */
static void bomb(struct fx *zip, const char *name, const struct lim_input *content)
{
	struct deflater d;
	uint8_t tmp[1 << 15], hdr[64], *p;
	uint64_t usize = lim_size(content), cd;
	size_t nl = strlen(name);
	int rc;

	memset(&d, 0, sizeof d);
	if (deflateInit2(&d.zs, 1, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK)
		abort();
	d.crc = crc32(0, NULL, 0);
	lim_stream(content, deflate_chunk, &d);
	do {
		d.zs.next_out = tmp;
		d.zs.avail_out = sizeof tmp;
		rc = deflate(&d.zs, Z_FINISH);
		fx_put(&d.out, tmp, sizeof tmp - d.zs.avail_out);
	} while (rc == Z_OK);
	deflateEnd(&d.zs);
	for (int central = 0; central < 2; central++) {
		p = hdr;
		if (central) {
			cd = zip->n;
			lim_le(&p, 0x02014b50, 4);
			lim_le(&p, 20, 2);
		} else {
			lim_le(&p, 0x04034b50, 4);
		}
		lim_le(&p, 20, 2);
		lim_le(&p, 0, 2);
		lim_le(&p, 8, 2);
		lim_le(&p, 0, 4);
		lim_le(&p, d.crc, 4);
		lim_le(&p, d.out.n, 4);
		lim_le(&p, usize, 4);
		lim_le(&p, nl, 2);
		lim_le(&p, 0, 2);
		if (central) {
			lim_le(&p, 0, 2 + 2 + 2 + 4);
			lim_le(&p, 0, 4);
		}
		fx_put(zip, hdr, (size_t)(p - hdr));
		fx_s(zip, name);
		if (!central)
			fx_put(zip, d.out.p, d.out.n);
	}
	p = hdr;
	lim_le(&p, 0x06054b50, 4);
	lim_le(&p, 0, 4);
	lim_le(&p, 1, 2);
	lim_le(&p, 1, 2);
	lim_le(&p, zip->n - cd, 4);
	lim_le(&p, cd, 4);
	lim_le(&p, 0, 2);
	fx_put(zip, hdr, (size_t)(p - hdr));
	fx_free(&d.out);
}

static int bomb_cases(void)
{
	struct fx npz = { 0 }, pt = { 0 };
	struct lim_input npy = { 0 }, pkl = { 0 }, a = { 0 }, b = { 0 };
	static char hdr[128];
	const uint64_t big = 512ull << 20;
	int r, n;

	/* a 512 MiB uint8 array (valid: the check inflates at most
	 * ESC_INFLATE_FILE_MAX of it), and a pickle of one 512 MiB string: the size
	 * fields hold only its low 32 bits (0), the stream is what counts */
	memcpy(hdr, "\x93NUMPY\x01\x00\x76\x00", 10); /* 118 header bytes */
	n = 10 + snprintf(hdr + 10, sizeof hdr - 10, "{'descr': '|u1', 'fortran_order': False, 'shape': (%llu,), }",
	                  (unsigned long long)big);
	while (n < 127)
		hdr[n++] = ' ';
	hdr[127] = '\n';
	lim_add(&npy, hdr, 128, 1);
	lim_add(&npy, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, big / 16);
	bomb(&npz, "arr_0.npy", &npy);
	lim_add(&pkl, "\x80\x04\x8d\x00\x00\x00\x20\x00\x00\x00\x00", 11, 1);
	lim_add(&pkl, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0", 16, big / 16);
	lim_add(&pkl, ".", 1, 1);
	bomb(&pt, "archive/data.pkl", &pkl);
	printf("      bombs: npz %zu bytes, pt %zu bytes, each inflating to 512 MiB\n", npz.n, pt.n);
	lim_add(&a, npz.p, npz.n, 1);
	lim_add(&b, pt.p, pt.n, 1);
	r = lim_verdict(&esc_fmt_npz, "b.npz", &a, 1) | lim_verdict(&esc_fmt_pytorch, "b.pt", &b, 0) |
	    lim_verdict(&esc_fmt_zip, "b.zip", &a, 1);
	fx_free(&npz);
	fx_free(&pt);
	return r;
}
LIM_TEST(bomb_cases)
#endif

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_zip_many),
		cmocka_unit_test(t_zip_models),
		cmocka_unit_test(t_inspect_cases),
		cmocka_unit_test(t_inspect_secrets),
#ifdef ESCROW_HAVE_ZLIB
		cmocka_unit_test(t_bomb_cases),
#endif
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
