/* test_age_rewrap.c -- escrow_rewrap: the release to new recipients keeps
 * the payload bytes, changes who can open it, and leaves nothing on failure. */
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

/* Two key pairs on disk (notary A, client B) and a bundle sealed for A. */
struct fixture {
	escrow_identities *ida, *idb;
	escrow_recipients *ra, *rb;
	uint8_t *pt;
	size_t len;
	struct mem sealed;
};

static void make_fixture(struct fixture *f)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct esc_sink s = {mem_write, &f->sealed};
	esc_age_writer *w = NULL;
	size_t i;

	memset(f, 0, sizeof *f);
	assert_int_equal(escrow_age_keygen(ctx, tpath("a"), ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(escrow_age_keygen(ctx, tpath("b"), ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(escrow_identities_load(ctx, tpath("a.age"), &f->ida), ESCROW_OK);
	assert_int_equal(escrow_identities_load(ctx, tpath("b.age"), &f->idb), ESCROW_OK);
	assert_int_equal(escrow_recipients_load(ctx, tpath("a.age.pub"), &f->ra), ESCROW_OK);
	assert_int_equal(escrow_recipients_load(ctx, tpath("b.age.pub"), &f->rb), ESCROW_OK);
	f->len = 3 * ESC_AGE_CHUNK + 12345;
	f->pt = malloc(f->len);
	assert_non_null(f->pt);
	for (i = 0; i < f->len; i++)
		f->pt[i] = (uint8_t)(i ^ (i >> 9));
	assert_int_equal(esc_age_writer_new(ctx, f->ra, s, &w), ESCROW_OK);
	assert_int_equal(esc_age_writer_write(w, f->pt, f->len), ESCROW_OK);
	assert_int_equal(esc_age_writer_finish(w), ESCROW_OK);
	esc_age_writer_free(w);
	put_file(tpath("in.age"), f->sealed.p, f->sealed.n);
	escrow_ctx_free(ctx);
}

static void free_fixture(struct fixture *f)
{
	escrow_identities_free(f->ida);
	escrow_identities_free(f->idb);
	escrow_recipients_free(f->ra);
	escrow_recipients_free(f->rb);
	free(f->pt);
	free(f->sealed.p);
}

static void test_rewrap(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct fixture f;
	struct mem out, pt;
	size_t ha, hb;

	(void)state;
	make_fixture(&f);
	assert_int_equal(escrow_rewrap(ctx, tpath("in.age"), f.ida, f.rb, tpath("out.age"), NULL, 0), ESCROW_OK);
	out = get_file(tpath("out.age"));
	/* The client opens it, the notary no longer does. */
	assert_int_equal(decrypt(f.idb, &out, &pt), ESCROW_OK);
	assert_int_equal(pt.n, f.len);
	assert_memory_equal(pt.p, f.pt, f.len);
	free(pt.p);
	assert_int_equal(decrypt(f.ida, &out, &pt), ESCROW_NO_IDENTITY);
	assert_int_equal(pt.n, 0);
	free(pt.p);
	/* Everything after the header, nonce included, is byte for byte the same. */
	ha = header_len(&f.sealed);
	hb = header_len(&out);
	assert_int_equal(out.n - hb, f.sealed.n - ha);
	assert_memory_equal(out.p + hb, f.sealed.p + ha, f.sealed.n - ha);
	assert_memory_not_equal(out.p, f.sealed.p, hb < ha ? hb : ha);
	free(out.p);
	/* Refuses to replace the output unless forced. */
	assert_int_equal(escrow_rewrap(ctx, tpath("in.age"), f.ida, f.rb, tpath("out.age"), NULL, 0),
	                 ESCROW_E_EXISTS);
	assert_int_equal(escrow_rewrap(ctx, tpath("in.age"), f.ida, f.rb, tpath("out.age"), NULL, ESCROW_FORCE),
	                 ESCROW_OK);
	/* Rewrapping for A and B at once; both open the result. */
	{
		escrow_recipients *both = NULL;

		assert_int_equal(escrow_recipients_load(ctx, tpath("a.age.pub"), &both), ESCROW_OK);
		assert_int_equal(escrow_recipients_load(ctx, tpath("b.age.pub"), &both), ESCROW_OK);
		assert_int_equal(escrow_rewrap(ctx, tpath("out.age"), f.idb, both, tpath("both.age"), NULL, 0),
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

static void test_rewrap_failures(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct fixture f;
	size_t ha;

	(void)state;
	make_fixture(&f);
	ha = header_len(&f.sealed);
	/* The wrong identity. */
	assert_int_equal(escrow_rewrap(ctx, tpath("in.age"), f.idb, f.rb, tpath("x.age"), NULL, 0),
	                 ESCROW_NO_IDENTITY);
	assert_false(exists(tpath("x.age")));
	/* An altered header: the MAC is checked even though the payload is not read. */
	f.sealed.p[ha - 3] ^= 0x02;
	put_file(tpath("bad.age"), f.sealed.p, f.sealed.n);
	f.sealed.p[ha - 3] ^= 0x02;
	assert_int_not_equal(escrow_rewrap(ctx, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, 0), ESCROW_OK);
	assert_false(exists(tpath("x.age")));
	/* The X25519 stanza altered: no identity opens it. */
	f.sealed.p[40] ^= 0x01;
	put_file(tpath("bad.age"), f.sealed.p, f.sealed.n);
	f.sealed.p[40] ^= 0x01;
	assert_int_not_equal(escrow_rewrap(ctx, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, 0), ESCROW_OK);
	assert_false(exists(tpath("x.age")));
	/* Cut inside the header, right after it, and inside the first chunk's tag. */
	put_file(tpath("bad.age"), f.sealed.p, ha - 10);
	assert_int_equal(escrow_rewrap(ctx, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, 0), ESCROW_E_INPUT);
	put_file(tpath("bad.age"), f.sealed.p, ha + 8);
	assert_int_equal(escrow_rewrap(ctx, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, 0), ESCROW_E_INPUT);
	put_file(tpath("bad.age"), f.sealed.p, ha + 16 + 5);
	assert_int_equal(escrow_rewrap(ctx, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, 0), ESCROW_TAMPERED);
	assert_false(exists(tpath("x.age")));
	/* Not an age file at all; a missing file; an empty one. */
	put_file(tpath("bad.age"), (const uint8_t *)"PK\x03\x04 not age", 12);
	assert_int_equal(escrow_rewrap(ctx, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, 0), ESCROW_E_INPUT);
	put_file(tpath("bad.age"), (const uint8_t *)"", 0);
	assert_int_equal(escrow_rewrap(ctx, tpath("bad.age"), f.ida, f.rb, tpath("x.age"), NULL, 0), ESCROW_E_INPUT);
	assert_int_equal(escrow_rewrap(ctx, tpath("nope.age"), f.ida, f.rb, tpath("x.age"), NULL, 0), ESCROW_E_OPEN);
	assert_non_null(strstr(escrow_ctx_error(ctx), "nope.age"));
	assert_int_equal(escrow_rewrap(ctx, tpath("in.age"), f.ida, f.rb, tpath("no/such/dir/x.age"), NULL, 0),
	                 ESCROW_E_CREATE);
	assert_false(exists(tpath("x.age")));
	assert_int_equal(temp_files_left(), 0);
	free_fixture(&f);
	escrow_ctx_free(ctx);
}

static void test_rewrap_signed(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_seckey *sk = NULL;
	escrow_pubkey *pk = NULL;
	char *comment = NULL;
	struct fixture f;

	(void)state;
	make_fixture(&f);
	assert_int_equal(escrow_keygen(ctx, tpath("sign"), NULL, ESCROW_FORCE), ESCROW_OK);
	assert_int_equal(escrow_seckey_load(ctx, tpath("sign.key"), NULL, &sk), ESCROW_OK);
	assert_int_equal(escrow_pubkey_load(ctx, tpath("sign.pub"), &pk), ESCROW_OK);
	assert_int_equal(escrow_rewrap(ctx, tpath("in.age"), f.ida, f.rb, tpath("s.age"), sk, 0), ESCROW_OK);
	assert_true(exists(tpath("s.age.minisig")));
	assert_int_equal(escrow_verify_file(ctx, pk, tpath("s.age"), NULL, &comment), ESCROW_OK);
	assert_non_null(strstr(comment, "s.age"));
	free(comment);
	escrow_seckey_free(sk);
	escrow_pubkey_free(pk);
	free_fixture(&f);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rewrap),
		cmocka_unit_test(test_rewrap_failures),
		cmocka_unit_test(test_rewrap_signed),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
