/* test_input_limits.c -- the other parsers of outside input at their size
 * limits: the contract (1 MiB: 10,000 deliverables, 10,000 globs, nesting),
 * minisign key and signature text, the age header (1 MiB, 4096 stanzas);
 * each case in a child held to 256 MiB and 60 s of CPU (limits.h). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "escrow_private.h"
#include "esc_age.h"
#include "fixtures.h"
#include "limits.h"

/* ---- contract: 1 MiB (the limit) of deliverables, globs, nesting ---- */
static int contract_text(const char *text, size_t len, int want_ok)
{
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_contract *c = NULL;
	escrow_status st;
	int r;

	if (!ctx)
		return 1;
	st = escrow_contract_parse(ctx, "c.yaml", text, len, &c);
	printf("      contract of %zu bytes: %s %.160s\n", len, st == ESCROW_OK ? "ok" : "refused",
	       st == ESCROW_OK ? "" : escrow_ctx_error(ctx));
	r = (st == ESCROW_OK) != want_ok;
	escrow_contract_free(c);
	escrow_ctx_free(ctx);
	return r;
}

static int contract_cases(void)
{
	static char buf[1u << 20];
	static const char head[] = "escrow-contract: 1\ncontract: X-1\nagency: A\ndeliverables:\n";
	size_t n;
	int r = 0;

	n = (size_t)snprintf(buf, sizeof buf, "%s", head);
	for (unsigned i = 0; i < 10000; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "  - id: d%u\n    include: [\"a/%u/**\"]\n", i, i);
	r |= contract_text(buf, n, 1);
	n += (size_t)snprintf(buf + n, sizeof buf - n, "  - id: last\n    include: [\"b/**\"]\n");
	r |= contract_text(buf, n, 0); /* 10,001 deliverables */
	n = (size_t)snprintf(buf, sizeof buf, "%s  - id: g\n    include: [", head);
	for (unsigned i = 0; i < 10000; i++)
		n += (size_t)snprintf(buf + n, sizeof buf - n, "\"*a*b*c*/**/x%u\", ", i);
	n += (size_t)snprintf(buf + n, sizeof buf - n, "\"z\"]\n");
	r |= contract_text(buf, n, 0); /* 10,001 globs */
	n = (size_t)snprintf(buf, sizeof buf, "%s  - id: g\n    include: ", head);
	memset(buf + n, '[', sizeof buf - n);
	r |= contract_text(buf, sizeof buf, 0);
	memset(buf, 'a', sizeof buf);
	r |= contract_text(buf, sizeof buf, 0);
	return r;
}

/* ---- minisign keys and signatures, age headers: their size limits ---- */
static int keys_cases(void)
{
	static char text[1u << 20];
	escrow_ctx *ctx = escrow_ctx_new();
	escrow_pubkey *pk = NULL;
	char *tc = NULL;
	int r = 0;

	if (!ctx)
		return 1;
	memset(text, 'R', sizeof text);
	memcpy(text, "untrusted comment: ", 19);
	r |= escrow_pubkey_parse(ctx, text, 4096, &pk) == ESCROW_OK;
	r |= escrow_pubkey_parse(ctx, text, sizeof text, &pk) == ESCROW_OK;
	if (escrow_pubkey_parse(ctx, "RWSbAUV57kdNPrjFHNbk4SRhJ1BsXcPRzSqOc7olLalZwq1RVh1dccyS", 56, &pk) != ESCROW_OK)
		return 1;
	r |= escrow_verify_buffer(ctx, pk, "data", 4, text, sizeof text, &tc) == ESCROW_OK;
	free(tc);
	escrow_pubkey_free(pk);
	escrow_ctx_free(ctx);
	return r;
}


struct age_run {
	escrow_ctx *ctx;
	struct esc_age_header h;
	escrow_status st;
};

static int age_chunk(void *u, const uint8_t *b, size_t n, uint64_t off)
{
	struct age_run *a = u;
	size_t used = 0;

	(void)off;
	a->st = esc_age_header_push(a->ctx, &a->h, b, n, &used);
	return a->st != ESCROW_OK || a->h.done;
}

static int age_feed(const struct lim_input *in, int want_ok)
{
	struct age_run a = { escrow_ctx_new(), { 0 }, ESCROW_OK };
	int r;

	if (!a.ctx)
		return 1;
	esc_age_header_init(&a.h, "x.age");
	lim_stream(in, age_chunk, &a);
	printf("      age header: %s %.160s\n", a.st == ESCROW_OK ? "ok" : "refused",
	       a.st == ESCROW_OK ? "" : escrow_ctx_error(a.ctx));
	r = (a.st == ESCROW_OK && a.h.done) != want_ok;
	esc_age_header_clear(&a.h);
	escrow_ctx_free(a.ctx);
	return r;
}

static int age_cases(void)
{
	struct lim_input many = { 0 }, args = { 0 }, body = { 0 };

	lim_adds(&many, "age-encryption.org/v1\n", 1);
	lim_adds(&many, "-> X25519 AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\nAAAA\n", 5000);
	lim_adds(&many, "--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 1);
	lim_adds(&args, "age-encryption.org/v1\n-> x", 1);
	lim_adds(&args, " a", 1 * MiB);
	lim_adds(&args, "\n\n--- AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 1);
	lim_adds(&body, "age-encryption.org/v1\n-> x\n", 1);
	lim_adds(&body, "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\n", 64 * 1024);
	return age_feed(&many, 0) | age_feed(&args, 0) | age_feed(&body, 0);
}


LIM_TEST(contract_cases)
LIM_TEST(keys_cases)
LIM_TEST(age_cases)

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(t_contract_cases),
		cmocka_unit_test(t_keys_cases),
		cmocka_unit_test(t_age_cases),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
