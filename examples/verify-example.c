/* verify-example.c -- verifying an escrow bundle from C with libescrow.
 *
 * What a notary's own ingest system would do: check a deposit's signature,
 * every byte and every deliverable, then file the report.
 *
 *   cc verify-example.c $(pkg-config --cflags --libs escrow) -o verify-example
 *   ./verify-example BUNDLE PUBKEY [IDENTITY [CONTRACT]]
 *
 * Installed under a prefix the loader does not search (not /usr, or
 * /usr/local before ldconfig), the shared library is found by running
 *   LD_LIBRARY_PATH=PREFIX/lib ./verify-example ...
 * or by writing its folder into the program when linking (make RPATH=1):
 *   cc verify-example.c $(pkg-config --cflags --libs escrow) \
 *      -Wl,-rpath,$(pkg-config --variable=libdir escrow) -o verify-example
 *
 * The inputs go into an escrow_options object, one setter per option, so
 * that a program built against this header keeps running against a later
 * library that has more options (nothing it was built with changes size).
 *
 * Prints the verdict and the JSON report; exits 0 verified, 1 tampered,
 * bad-signature, unsafe or not-opened, 2 incomplete, 65 not-a-bundle, and
 * like escrow(1) on other errors (66: cannot open, ...). */
#include <escrow.h>

#include <stdio.h>
#include <stdlib.h>

static int exit_code(escrow_status st)
{
	switch (st) {
	case ESCROW_OK:
		return 0;
	case ESCROW_TAMPERED:
	case ESCROW_BAD_SIGNATURE:
	case ESCROW_UNSAFE:
	case ESCROW_NO_IDENTITY:
		return 1;
	case ESCROW_INCOMPLETE:
		return 2;
	case ESCROW_E_USAGE:
		return 64;
	case ESCROW_E_INPUT:
	case ESCROW_E_PASSPHRASE:
	case ESCROW_E_NEED_PASSPHRASE:
	case ESCROW_NOT_A_BUNDLE:
		return 65;
	case ESCROW_E_OPEN:
		return 66;
	case ESCROW_E_CREATE:
	case ESCROW_E_EXISTS:
		return 73;
	case ESCROW_E_IO:
		return 74;
	default:
		return 70;
	}
}

int main(int argc, char **argv)
{
	escrow_options *o = NULL;
	escrow_ctx *ctx = NULL;
	escrow_pubkey *key = NULL;
	escrow_identities *ids = NULL;
	escrow_contract *contract = NULL;
	escrow_report *report = NULL;
	escrow_status st;
	char *json = NULL;
	int rc;

	if (argc < 3 || argc > 5) {
		fprintf(stderr, "usage: %s BUNDLE PUBKEY [IDENTITY [CONTRACT]]\n", argv[0]);
		return 64;
	}
	if (escrow_init() != ESCROW_OK) {
		fprintf(stderr, "verify-example: cannot initialise libescrow\n");
		return 70;
	}
	ctx = escrow_ctx_new();
	o = escrow_options_new();
	if (ctx == NULL || o == NULL) {
		fprintf(stderr, "verify-example: out of memory\n");
		escrow_ctx_free(ctx);
		return 70;
	}
	st = escrow_pubkey_load(ctx, argv[2], &key);
	if (st == ESCROW_OK && argc > 3 && argv[3][0] != '\0')
		st = escrow_identities_load(ctx, argv[3], &ids);
	if (st == ESCROW_OK && argc > 4)
		st = escrow_contract_load(ctx, argv[4], &contract);
	if (st != ESCROW_OK)
		goto out;

	/* The keys, identities and contract are borrowed: they stay loaded until
	 * escrow_verify() returns. A setter that refuses says why in
	 * escrow_options_error(). */
	st = escrow_options_set_string(o, ESCROW_OPT_BUNDLE, argv[1]);
	if (st == ESCROW_OK)
		st = escrow_options_set_pubkey(o, ESCROW_OPT_PUBLIC_KEY, key);
	if (st == ESCROW_OK)
		st = escrow_options_set_identities(o, ESCROW_OPT_IDENTITIES, ids);
	if (st == ESCROW_OK)
		st = escrow_options_set_contract(o, ESCROW_OPT_CONTRACT, contract);
	if (st != ESCROW_OK) {
		fprintf(stderr, "verify-example: %s\n", escrow_options_error(o));
		goto out;
	}
	st = escrow_verify(ctx, o, &report);
	if (report != NULL) {
		printf("verdict: %s\n", escrow_report_verdict(report));
		json = escrow_report_json(report);
		if (json != NULL)
			printf("%s\n", json);
	}
out:
	rc = exit_code(st);
	if (rc > 2 || (report == NULL && rc != 0))
		fprintf(stderr, "verify-example: %s\n",
		        escrow_ctx_error(ctx)[0] ? escrow_ctx_error(ctx) : escrow_strerror(st));
	free(json);
	escrow_report_free(report);
	escrow_options_free(o);
	escrow_contract_free(contract);
	escrow_identities_free(ids);
	escrow_pubkey_free(key);
	escrow_ctx_free(ctx);
	return rc;
}
