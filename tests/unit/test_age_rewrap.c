/* test_age_rewrap.c -- escrow_rewrap: the release to new recipients keeps
 * the payload bytes, changes who can open it, refuses anything it has not
 * verified in full (junk sealed to the notary, another agency's key, a
 * flipped byte, an unmet contract), names the source deposit in its
 * signature, and leaves nothing on failure. */
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
#include "memsink.h"
#include "options.h"
#include "tmpdir.h"

static int setup(void **state)
{
	(void)state;
	return tmpdir_setup("rewrap");
}

static void put_file(const char *path, const uint8_t *p, size_t n)
{
	FILE *f = fopen(path, "wb");

	assert_non_null(f);
	assert_int_equal(fwrite(p, 1, n, f), n);
	fclose(f);
}

static struct mem get_file(const char *path)
{
	struct mem m = {0};
	uint8_t buf[65536];
	FILE *f = fopen(path, "rb");
	size_t n;

	assert_non_null(f);
	for (;;) {
		n = fread(buf, 1, sizeof buf, f);
		if (n == 0)
			break;
		mem_write(&m, buf, n);
	}
	fclose(f);
	return m;
}

static int exists(const char *path)
{
	struct stat sb;

	return lstat(path, &sb) == 0;
}

static int temp_files_left(void)
{
	DIR *d = opendir(tmpdir);
	struct dirent *e;
	int n = 0;

	assert_non_null(d);
	while ((e = readdir(d)) != NULL)
		n += strstr(e->d_name, ".escrow-tmp.") != NULL;
	closedir(d);
	return n;
}

static size_t header_len(const struct mem *m)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_age_header h;
	size_t used = 0;

	esc_age_header_init(&h, "t");
	assert_int_equal(esc_age_header_push(ctx, &h, m->p, m->n, &used), ESCROW_OK);
	assert_true(h.done);
	esc_age_header_clear(&h);
	escrow_ctx_free(ctx);
	return used;
}

static escrow_status decrypt(const escrow_identities *ids, const struct mem *ct, struct mem *out)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_sink s = {mem_write, out};
	esc_age_reader *r = NULL;
	escrow_status st;

	memset(out, 0, sizeof *out);
	assert_int_equal(esc_age_reader_new(ctx, ids, s, &r), ESCROW_OK);
	st = esc_age_reader_feed(r, ct->p, ct->n);
	if (st == ESCROW_OK)
		st = esc_age_reader_finish(r);
	esc_age_reader_free(r);
	escrow_ctx_free(ctx);
	return st;
}

/* Notary A, client B, agency key "ag" and another "other"; a project tree;
 * in.age: the tree packed by the agency and sealed for A. */
struct fixture {
	escrow_identities *ida, *idb;
	escrow_recipients *ra, *rb;
	escrow_pubkey *agency;
	struct mem sealed;
};

static void pack_sealed(const char *key, const escrow_recipients *rs, const char *out)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_seckey *sk = NULL;
	escrow_report *rep = NULL;

	assert_int_equal(escrow_seckey_load(ctx, key, NULL, &sk), ESCROW_OK);
	opt_str(o, ESCROW_OPT_SOURCE, tpath("src"));
	opt_str(o, ESCROW_OPT_OUTPUT, out);
	opt_seckey(o, sk);
	opt_recipients(o, rs);
	opt_str(o, ESCROW_OPT_NAME, "fraud-scoring");
	opt_str(o, ESCROW_OPT_RELEASE, "2.4.0");
	opt_int(o, ESCROW_OPT_FLAGS, ESCROW_FORCE | ESCROW_QUIET);
	assert_int_equal(escrow_pack(ctx, o, NULL, &rep), ESCROW_OK);
	escrow_report_free(rep);
	escrow_options_free(o);
	escrow_seckey_free(sk);
	escrow_ctx_free(ctx);
}

static void make_fixture(struct fixture *f)
{
	escrow_ctx *ctx = escrow_ctx_new();
	uint8_t *w = malloc(3 * ESC_AGE_CHUNK + 12345);
	size_t i;

	memset(f, 0, sizeof *f);
	assert_non_null(w);
	assert_int_equal(escrow_age_keygen(ctx, tpath("a"), ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(escrow_age_keygen(ctx, tpath("b"), ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(escrow_keygen(ctx, tpath("ag"), NULL, ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(escrow_keygen(ctx, tpath("other"), NULL, ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(escrow_identities_load(ctx, tpath("a.age"), &f->ida), ESCROW_OK);
	assert_int_equal(escrow_identities_load(ctx, tpath("b.age"), &f->idb), ESCROW_OK);
	assert_int_equal(escrow_recipients_load(ctx, tpath("a.age.pub"), &f->ra), ESCROW_OK);
	assert_int_equal(escrow_recipients_load(ctx, tpath("b.age.pub"), &f->rb), ESCROW_OK);
	assert_int_equal(escrow_pubkey_load(ctx, tpath("ag.pub"), &f->agency), ESCROW_OK);
	mkdir(tpath("src"), 0755);
	put_file(tpath("src/main.py"), (const uint8_t *)"print('fraud')\n", 15);
	for (i = 0; i < 3 * ESC_AGE_CHUNK + 12345; i++)
		w[i] = (uint8_t)(i ^ (i >> 9) ^ (i >> 17));
	put_file(tpath("src/weights.bin"), w, 3 * ESC_AGE_CHUNK + 12345);
	free(w);
	pack_sealed(tpath("ag.key"), f->ra, tpath("in.age"));
	f->sealed = get_file(tpath("in.age"));
	escrow_ctx_free(ctx);
}

static void free_fixture(struct fixture *f)
{
	escrow_identities_free(f->ida);
	escrow_identities_free(f->idb);
	escrow_recipients_free(f->ra);
	escrow_recipients_free(f->rb);
	escrow_pubkey_free(f->agency);
	free(f->sealed.p);
}

/* escrow_rewrap with the fixture's agency key; the report is checked to be
 * there exactly when the outcome is a verdict. */
static escrow_status rewrap(escrow_ctx *ctx, const struct fixture *f, const char *in,
                            const escrow_identities *ids, const escrow_recipients *rs, const char *out,
                            const escrow_seckey *sk, const escrow_contract *c, unsigned flags,
                            escrow_result **res)
{
	escrow_options *o = opts_new();
	escrow_report *rep = NULL;
	escrow_status st;

	opt_str(o, ESCROW_OPT_BUNDLE, in);
	opt_str(o, ESCROW_OPT_OUTPUT, out);
	opt_identities(o, ids);
	opt_recipients(o, rs);
	opt_pubkey(o, f->agency);
	opt_contract(o, c);
	opt_seckey(o, sk);
	opt_int(o, ESCROW_OPT_FLAGS, flags);
	st = escrow_rewrap(ctx, o, res, &rep);
	escrow_options_free(o);
	if (res != NULL)
		assert_true((st == ESCROW_OK) == (*res != NULL));
	if (st == ESCROW_OK || st == ESCROW_INCOMPLETE || st == ESCROW_TAMPERED || st == ESCROW_BAD_SIGNATURE ||
	    st == ESCROW_NOT_A_BUNDLE) {
		assert_non_null(rep);
		if (st == ESCROW_OK || st == ESCROW_INCOMPLETE)
			assert_string_equal(escrow_report_verdict(rep), st == ESCROW_OK ? "verified" : "incomplete");
		else
			assert_string_not_equal(escrow_report_verdict(rep), "verified");
	}
	escrow_report_free(rep);
	return st;
}

static void sha256_hex_of(const struct mem *m, char hex[65])
{
	uint8_t h[32];

	esc_sha256_buf(m->p, m->n, h);
	esc_hex(h, 32, hex);
}

static void test_rewrap(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_result *res = NULL;
	struct fixture f;
	struct mem out, pt, pt0;
	char hex[65];
	size_t ha, hb;

	(void)state;
	make_fixture(&f);
	assert_int_equal(rewrap(ctx, &f, tpath("in.age"), f.ida, f.rb, tpath("out.age"), NULL, NULL, 0, &res),
	                 ESCROW_OK);
	out = get_file(tpath("out.age"));
	sha256_hex_of(&f.sealed, hex);
	assert_string_equal(escrow_result_string(res, ESCROW_RESULT_SOURCE_SHA256), hex);
	sha256_hex_of(&out, hex);
	assert_string_equal(escrow_result_string(res, ESCROW_RESULT_SHA256), hex);
	assert_int_equal(escrow_result_u64(res, ESCROW_RESULT_BYTES_OUT), out.n);
	assert_int_equal(escrow_result_u64(res, ESCROW_RESULT_SIGNED), 0);
	/* Keys rewrap does not set, and keys read with the other accessor. */
	assert_int_equal(escrow_result_u64(res, ESCROW_RESULT_FILES), 0);
	assert_string_equal(escrow_result_string(res, ESCROW_RESULT_KEY_ID), "");
	assert_int_equal(escrow_result_u64(res, ESCROW_RESULT_SHA256), 0);
	assert_string_equal(escrow_result_string(res, ESCROW_RESULT_SIGNED), "");
	escrow_result_free(res);
	/* The client opens it, to the same plaintext; the notary no longer does. */
	assert_int_equal(decrypt(f.idb, &out, &pt), ESCROW_OK);
	assert_int_equal(decrypt(f.ida, &f.sealed, &pt0), ESCROW_OK);
	assert_int_equal(pt.n, pt0.n);
	assert_memory_equal(pt.p, pt0.p, pt0.n);
	free(pt.p);
	free(pt0.p);
	assert_int_equal(decrypt(f.ida, &out, &pt), ESCROW_NO_IDENTITY);
	free(pt.p);
	/* Everything after the header, nonce included, is byte for byte the same. */
	ha = header_len(&f.sealed);
	hb = header_len(&out);
	assert_int_equal(out.n - hb, f.sealed.n - ha);
	assert_memory_equal(out.p + hb, f.sealed.p + ha, f.sealed.n - ha);
	assert_memory_not_equal(out.p, f.sealed.p, hb < ha ? hb : ha);
	free(out.p);
	/* Refuses to replace the output unless forced. */
	assert_int_equal(rewrap(ctx, &f, tpath("in.age"), f.ida, f.rb, tpath("out.age"), NULL, NULL, 0, NULL),
	                 ESCROW_E_EXISTS);
	assert_int_equal(rewrap(ctx, &f, tpath("in.age"), f.ida, f.rb, tpath("out.age"), NULL, NULL, ESCROW_FORCE,
	                        NULL), ESCROW_OK);
	/* The release is a deposit too: rewrapped for A and B at once; both open it. */
	{
		escrow_recipients *both = NULL;

		assert_int_equal(escrow_recipients_load(ctx, tpath("a.age.pub"), &both), ESCROW_OK);
		assert_int_equal(escrow_recipients_load(ctx, tpath("b.age.pub"), &both), ESCROW_OK);
		assert_int_equal(rewrap(ctx, &f, tpath("out.age"), f.idb, both, tpath("both.age"), NULL, NULL, 0, NULL),
		                 ESCROW_OK);
		out = get_file(tpath("both.age"));
		assert_int_equal(decrypt(f.ida, &out, &pt), ESCROW_OK);
		free(pt.p);
		assert_int_equal(decrypt(f.idb, &out, &pt), ESCROW_OK);
		free(pt.p);
		free(out.p);
		escrow_recipients_free(both);
	}
	assert_int_equal(temp_files_left(), 0);
	free_fixture(&f);
	escrow_ctx_free(ctx);
}

static void put_mem(const char *path, const struct mem *m)
{
	put_file(path, m->p, m->n);
}

static void test_rewrap_refuses(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct fixture f;
	struct mem junk = {0};
	struct esc_sink s = {mem_write, &junk};
	esc_age_writer *w = NULL;
	escrow_contract *c = NULL;
	size_t ha;
	static const char contract[] = "escrow-contract: 1\ncontract: C-1\nagency: A\nclient: B\n"
	                               "deliverables:\n  - id: docs\n    kind: docs\n    include: [\"docs/manual.pdf\"]\n";

	(void)state;
	make_fixture(&f);
	ha = header_len(&f.sealed);
	/* Junk sealed to the notary's public recipient: it opens, and is refused. */
	assert_int_equal(esc_age_writer_new(ctx, f.ra, s, &w), ESCROW_OK);
	assert_int_equal(esc_age_writer_write(w, "not a deposit at all", 20), ESCROW_OK);
	assert_int_equal(esc_age_writer_finish(w), ESCROW_OK);
	esc_age_writer_free(w);
	put_mem(tpath("junk.age"), &junk);
	free(junk.p);
	assert_int_equal(rewrap(ctx, &f, tpath("junk.age"), f.ida, f.rb, tpath("x.age"), NULL, NULL, 0, NULL),
	                 ESCROW_NOT_A_BUNDLE);
	assert_false(exists(tpath("x.age")));
	/* A real deposit, sealed for the notary, but signed by another key. */
	pack_sealed(tpath("other.key"), f.ra, tpath("other.age"));
	assert_int_equal(rewrap(ctx, &f, tpath("other.age"), f.ida, f.rb, tpath("x.age"), NULL, NULL, 0, NULL),
	                 ESCROW_BAD_SIGNATURE);
	assert_false(exists(tpath("x.age")));
	/* One flipped bit in the payload, in the last chunk (after most of the
	 * release has already been copied to the temporary file). */
	f.sealed.p[f.sealed.n - 40] ^= 0x10;
	put_mem(tpath("bad.age"), &f.sealed);
	f.sealed.p[f.sealed.n - 40] ^= 0x10;
	assert_int_equal(rewrap(ctx, &f, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, NULL, 0, NULL),
	                 ESCROW_TAMPERED);
	assert_false(exists(tpath("x.age")));
	/* An altered header MAC; cut short. */
	f.sealed.p[ha - 3] ^= 0x02;
	put_mem(tpath("bad.age"), &f.sealed);
	f.sealed.p[ha - 3] ^= 0x02;
	assert_int_not_equal(rewrap(ctx, &f, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, NULL, 0, NULL),
	                     ESCROW_OK);
	put_file(tpath("bad.age"), f.sealed.p, f.sealed.n - 100);
	assert_int_equal(rewrap(ctx, &f, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, NULL, 0, NULL),
	                 ESCROW_TAMPERED);
	assert_false(exists(tpath("x.age")));
	/* The wrong identity. */
	assert_int_equal(rewrap(ctx, &f, tpath("in.age"), f.idb, f.rb, tpath("x.age"), NULL, NULL, 0, NULL),
	                 ESCROW_NO_IDENTITY);
	/* Intact and authentic, but the notary's contract is not met. */
	assert_int_equal(escrow_contract_parse(ctx, "c.yaml", contract, strlen(contract), &c), ESCROW_OK);
	assert_int_equal(rewrap(ctx, &f, tpath("in.age"), f.ida, f.rb, tpath("x.age"), NULL, c, 0, NULL),
	                 ESCROW_INCOMPLETE);
	escrow_contract_free(c);
	assert_false(exists(tpath("x.age")));
	/* Not sealed; not a bundle; missing; no agency key; no folder. */
	{
		escrow_ctx *pctx = escrow_ctx_new();
		escrow_options *o = opts_new();
		escrow_result *res = NULL;
		escrow_seckey *sk = NULL;
		escrow_report *rep = NULL;

		assert_int_equal(escrow_seckey_load(pctx, tpath("ag.key"), NULL, &sk), ESCROW_OK);
		opt_str(o, ESCROW_OPT_SOURCE, tpath("src"));
		opt_str(o, ESCROW_OPT_OUTPUT, tpath("plain.escrow"));
		opt_seckey(o, sk);
		opt_int(o, ESCROW_OPT_FLAGS, ESCROW_QUIET);
		assert_int_equal(escrow_pack(pctx, o, NULL, &rep), ESCROW_OK);
		escrow_report_free(rep);
		escrow_options_free(o);
		escrow_seckey_free(sk);
		escrow_ctx_free(pctx);
		assert_int_equal(rewrap(ctx, &f, tpath("plain.escrow"), f.ida, f.rb, tpath("x.age"), NULL, NULL, 0,
		                        NULL), ESCROW_E_INPUT);
		assert_non_null(strstr(escrow_ctx_error(ctx), "not sealed"));
		put_file(tpath("bad.age"), (const uint8_t *)"PK\x03\x04 not age", 12);
		assert_int_equal(rewrap(ctx, &f, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, NULL, 0, NULL),
		                 ESCROW_NOT_A_BUNDLE);
		assert_int_equal(rewrap(ctx, &f, tpath("nope.age"), f.ida, f.rb, tpath("x.age"), NULL, NULL, 0, NULL),
		                 ESCROW_E_OPEN);
		assert_non_null(strstr(escrow_ctx_error(ctx), "nope.age"));
		assert_int_equal(rewrap(ctx, &f, tpath("in.age"), f.ida, f.rb, tpath("no/such/dir/x.age"), NULL, NULL,
		                        0, NULL), ESCROW_E_CREATE);
		o = opts_new();
		opt_str(o, ESCROW_OPT_BUNDLE, tpath("in.age"));
		opt_str(o, ESCROW_OPT_OUTPUT, tpath("x.age"));
		opt_identities(o, f.ida);
		opt_recipients(o, f.rb);
		res = (escrow_result *)1; /* must come back NULL */
		assert_int_equal(escrow_rewrap(ctx, o, &res, &rep), ESCROW_E_USAGE);
		assert_null(rep);
		assert_null(res);
		escrow_options_free(o);
	}
	assert_false(exists(tpath("x.age")));
	assert_int_equal(temp_files_left(), 0);
	free_fixture(&f);
	escrow_ctx_free(ctx);
}

static void test_rewrap_signed(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_result *res = NULL;
	escrow_seckey *sk = NULL;
	escrow_pubkey *pk = NULL;
	char *comment = NULL, want[128], hex[65];
	struct fixture f;

	(void)state;
	make_fixture(&f);
	assert_int_equal(escrow_keygen(ctx, tpath("sign"), NULL, ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(escrow_seckey_load(ctx, tpath("sign.key"), NULL, &sk), ESCROW_OK);
	assert_int_equal(escrow_pubkey_load(ctx, tpath("sign.pub"), &pk), ESCROW_OK);
	setenv("SOURCE_DATE_EPOCH", "1767225600", 1);
	assert_int_equal(rewrap(ctx, &f, tpath("in.age"), f.ida, f.rb, tpath("s.age"), sk, NULL, 0, &res), ESCROW_OK);
	unsetenv("SOURCE_DATE_EPOCH");
	assert_int_equal(escrow_result_u64(res, ESCROW_RESULT_SIGNED), 1);
	escrow_result_free(res);
	assert_true(exists(tpath("s.age.minisig")));
	assert_int_equal(escrow_verify_file(ctx, pk, tpath("s.age"), NULL, &comment), ESCROW_OK);
	sha256_hex_of(&f.sealed, hex);
	snprintf(want, sizeof want, " source-sha256=%s ", hex);
	assert_non_null(strstr(comment, want));
	assert_non_null(strstr(comment, "escrow-release/1 name=fraud-scoring release=2.4.0 source=in.age "));
	assert_non_null(strstr(comment, " released=2026-01-01T00:00:00Z file=s.age"));
	free(comment);
	/* The other agency's key does not verify it. */
	assert_int_equal(escrow_verify_file(ctx, f.agency, tpath("s.age"), NULL, NULL), ESCROW_BAD_SIGNATURE);
	/* An existing signature is not replaced without force, before any work. */
	unlink(tpath("s.age"));
	assert_int_equal(rewrap(ctx, &f, tpath("in.age"), f.ida, f.rb, tpath("s.age"), sk, NULL, 0, NULL),
	                 ESCROW_E_EXISTS);
	assert_false(exists(tpath("s.age")));
	/* A refused deposit leaves no signature either. */
	unlink(tpath("s.age.minisig"));
	f.sealed.p[f.sealed.n - 40] ^= 0x10;
	put_file(tpath("bad.age"), f.sealed.p, f.sealed.n);
	assert_int_equal(rewrap(ctx, &f, tpath("bad.age"), f.ida, f.rb, tpath("s.age"), sk, NULL, 0, NULL),
	                 ESCROW_TAMPERED);
	assert_false(exists(tpath("s.age")));
	assert_false(exists(tpath("s.age.minisig")));
	assert_int_equal(temp_files_left(), 0);
	escrow_seckey_free(sk);
	escrow_pubkey_free(pk);
	free_fixture(&f);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrap),
		cmocka_unit_test(test_rewrap_refuses),
		cmocka_unit_test(test_rewrap_signed),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
