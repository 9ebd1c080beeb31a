/* test_progress.c -- escrow_ctx_set_progress_ex through the public API: pack
 * and verify of a tree of many small files and one large one. Every call
 * comes from the calling thread (the readers' and packers' threads never call
 * it), counters only grow within a phase, each phase ends once with
 * ESCROW_PROGRESS_END and the real totals (pack: the payload's files and
 * bytes; verify: the bundle file's size), and the calls are thinned out (at
 * most one per MiB or 256 files, plus a phase's first and last). The old
 * byte callback still works beside it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "options.h"
#include "tmpdir.h"

#define N_SMALL 700
#define BIG (5u << 20)

struct rec {
	pthread_t owner;
	bool other_thread;
	unsigned calls[8], ends[8];
	unsigned last_phase;
	uint64_t files[8], files_total[8], bytes[8], bytes_total[8];
	bool went_back;
	unsigned old_calls;
	uint64_t old_done, old_total;
};

static void on_progress(void *user, unsigned phase, const char *subject, uint64_t files, uint64_t files_total,
                        uint64_t bytes, uint64_t bytes_total)
{
	struct rec *r = user;
	unsigned ph = phase & ESCROW_PHASE_MASK;

	(void)subject;
	if (!pthread_equal(pthread_self(), r->owner))
		r->other_thread = true;
	if (ph >= 8)
		return;
	if (r->calls[ph] > 0 && (files < r->files[ph] || bytes < r->bytes[ph]))
		r->went_back = true;
	r->calls[ph]++;
	r->last_phase = ph;
	if (phase & ESCROW_PROGRESS_END)
		r->ends[ph]++;
	r->files[ph] = files;
	r->files_total[ph] = files_total;
	r->bytes[ph] = bytes;
	r->bytes_total[ph] = bytes_total;
}

static void on_old(void *user, uint64_t done, uint64_t total)
{
	struct rec *r = user;

	r->old_calls++;
	r->old_done = done;
	r->old_total = total;
}

static void write_file(const char *path, size_t n, unsigned seed)
{
	FILE *f = fopen(path, "wb");
	size_t i;

	assert_non_null(f);
	for (i = 0; i < n; i++)
		fputc((int)((i * 31 + seed) & 0xff), f);
	assert_int_equal(fclose(f), 0);
}

static char src[128], bundle[128], keyp[128];
static uint64_t payload_bytes;

static int setup(void **state)
{
	char p[256];
	unsigned i;

	(void)state;
	if (tmpdir_setup("progress") != 0)
		return -1;
	snprintf(src, sizeof src, "%s/src", tmpdir);
	snprintf(bundle, sizeof bundle, "%s/b.escrow", tmpdir);
	snprintf(keyp, sizeof keyp, "%s/k", tmpdir);
	if (mkdir(src, 0755) != 0)
		return -1;
	snprintf(p, sizeof p, "%s/small", src);
	if (mkdir(p, 0755) != 0)
		return -1;
	for (i = 0; i < N_SMALL; i++) {
		snprintf(p, sizeof p, "%s/small/f%04u.txt", src, i);
		write_file(p, 100 + i % 50, i);
		payload_bytes += 100 + i % 50;
	}
	snprintf(p, sizeof p, "%s/big.bin", src);
	write_file(p, BIG, 7);
	payload_bytes += BIG;
	return 0;
}

/* Calls allowed for a phase over `files` files and `bytes` bytes: one per
 * 256 files, one per MiB, the first and the last. */
static unsigned bound(uint64_t files, uint64_t bytes)
{
	return (unsigned)(files / 256 + bytes / (1u << 20) + 2);
}

static void test_pack_then_verify(void **state)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_options *o = opts_new();
	escrow_seckey *sk = NULL;
	escrow_pubkey *pk = NULL;
	escrow_report *rep = NULL;
	struct rec r;
	struct stat sb;
	char p[160];

	(void)state;
	assert_non_null(ctx);
	memset(&r, 0, sizeof r);
	r.owner = pthread_self();
	assert_int_equal(escrow_keygen(ctx, keyp, NULL, 0), ESCROW_OK);
	snprintf(p, sizeof p, "%s.key", keyp);
	assert_int_equal(escrow_seckey_load(ctx, p, NULL, &sk), ESCROW_OK);
	escrow_ctx_set_progress_ex(ctx, on_progress, &r);
	escrow_ctx_set_progress(ctx, on_old, &r);
	escrow_ctx_set_threads(ctx, 2);
	opt_str(o, ESCROW_OPT_SOURCE, src);
	opt_str(o, ESCROW_OPT_OUTPUT, bundle);
	opt_seckey(o, sk);
	opt_int(o, ESCROW_OPT_FLAGS, ESCROW_QUIET);
	assert_int_equal(escrow_pack(ctx, o, NULL, NULL), ESCROW_OK);

	assert_false(r.other_thread);
	assert_false(r.went_back);
	assert_int_equal(r.calls[ESCROW_PHASE_UNLOCK], 0); /* an unencrypted key: no scrypt */
	assert_int_equal(r.ends[ESCROW_PHASE_WALK], 1);
	assert_int_equal(r.files[ESCROW_PHASE_WALK], N_SMALL + 1);
	assert_int_equal(r.bytes[ESCROW_PHASE_WALK], payload_bytes);
	assert_int_equal(r.ends[ESCROW_PHASE_PACK], 1);
	assert_int_equal(r.files[ESCROW_PHASE_PACK], N_SMALL + 1);
	assert_int_equal(r.files_total[ESCROW_PHASE_PACK], N_SMALL + 1);
	assert_int_equal(r.bytes[ESCROW_PHASE_PACK], payload_bytes);
	assert_int_equal(r.bytes_total[ESCROW_PHASE_PACK], payload_bytes);
	assert_true(r.calls[ESCROW_PHASE_PACK] >= 3);
	assert_true(r.calls[ESCROW_PHASE_PACK] <= bound(N_SMALL + 1, payload_bytes));
	assert_true(r.calls[ESCROW_PHASE_WALK] <= bound(N_SMALL + 1, payload_bytes));
	/* the old callback, as before: payload bytes of their total */
	assert_true(r.old_calls > 0);
	assert_int_equal(r.old_done, payload_bytes);
	assert_int_equal(r.old_total, payload_bytes);

	/* verify: the bundle file's bytes, of its size */
	memset(&r, 0, sizeof r);
	r.owner = pthread_self();
	snprintf(p, sizeof p, "%s.pub", keyp);
	assert_int_equal(escrow_pubkey_load(ctx, p, &pk), ESCROW_OK);
	opt_str(o, ESCROW_OPT_BUNDLE, bundle);
	opt_pubkey(o, pk);
	assert_int_equal(escrow_verify(ctx, o, &rep), ESCROW_OK);
	assert_int_equal(stat(bundle, &sb), 0);
	assert_false(r.other_thread);
	assert_false(r.went_back);
	assert_int_equal(r.ends[ESCROW_PHASE_READ], 1);
	assert_int_equal(r.last_phase, ESCROW_PHASE_READ);
	assert_int_equal(r.bytes[ESCROW_PHASE_READ], (uint64_t)sb.st_size);
	assert_int_equal(r.bytes_total[ESCROW_PHASE_READ], (uint64_t)sb.st_size);
	assert_int_equal(r.files[ESCROW_PHASE_READ], N_SMALL + 1);
	assert_int_equal(r.files_total[ESCROW_PHASE_READ], N_SMALL + 1);
	assert_true(r.calls[ESCROW_PHASE_READ] >= 2);
	/* one call per 1 MiB buffer of tar stream at most */
	assert_true(r.calls[ESCROW_PHASE_READ] <= bound(N_SMALL + 1, payload_bytes + (1u << 20)));

	/* NULL takes the callback away */
	memset(&r, 0, sizeof r);
	escrow_ctx_set_progress_ex(ctx, NULL, NULL);
	escrow_report_free(rep);
	rep = NULL;
	assert_int_equal(escrow_verify(ctx, o, &rep), ESCROW_OK);
	assert_int_equal(r.calls[ESCROW_PHASE_READ], 0);

	escrow_report_free(rep);
	escrow_pubkey_free(pk);
	escrow_seckey_free(sk);
	escrow_options_free(o);
	escrow_ctx_free(ctx);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_pack_then_verify),
	};

	return cmocka_run_group_tests(tests, setup, tmpdir_teardown);
}
