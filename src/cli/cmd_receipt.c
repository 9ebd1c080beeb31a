/* cmd_receipt.c -- escrow receipt verify: the agency's check of the receipt
 * the notary gave it (signature, shape, and the bundle it is about). */
#include "cli_opts.h"

#include <string.h>

static const char usage_line[] = "escrow receipt verify RECEIPT.json -p NOTARY.pub [--bundle BUNDLE] [--json] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Check a receipt from 'escrow vault receive': RECEIPT.json.minisig against the\n"
	       "notary's public key, the JSON (an in-toto Statement v1 with a SLSA Verification\n"
	       "Summary v1 predicate and escrow's extension), and with --bundle, that the\n"
	       "receipt's subject is that file's SHA-256.\n\n"
	       "Options:\n"
	       "  -p, --pubkey FILE    the notary's public key (required)\n"
	       "      --bundle FILE    the bundle the receipt should be about\n"
	       "      --json           print the outcome as JSON\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "Exit codes: 0 the receipt holds (it may say FAILED: the deposit was refused);\n"
	       "1 bad signature, or the bundle is not the receipt's subject; 65 not a receipt\n"
	       "or a malformed key; 64 usage; 66 a file cannot be opened.\n",
	       usage_line);
}

/* docs/schema/escrow-receipt-verify-1.schema.json */
static void print_json(const struct cli_args *a, const escrow_result *res)
{
	cli_stdout_used();
	printf("{\"schema\": \"escrow-receipt-verify/1\", \"receipt\": \"good\", \"verificationResult\": ");
	cli_json_string(stdout, escrow_result_string(res, ESCROW_RESULT_VERDICT));
	printf(", \"sha256\": \"%s\", \"deposit\": %llu, \"ledger_head\": %llu, \"bundle_checked\": %s, \"contract\": ",
	       escrow_result_string(res, ESCROW_RESULT_SHA256),
	       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DEPOSIT_ID),
	       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ),
	       a->value[CLI_O_BUNDLE] ? "true" : "false");
	cli_json_string(stdout, *escrow_result_string(res, ESCROW_RESULT_CONTRACT_ID) ?
	                escrow_result_string(res, ESCROW_RESULT_CONTRACT_ID) : NULL);
	printf(", \"receipt_file\": ");
	cli_json_string(stdout, a->operands[0]);
	printf("}\n");
}

static int check(struct cli_args *a, escrow_ctx *ctx, escrow_options *o)
{
	escrow_pubkey *pk = NULL;
	escrow_result *res = NULL;
	escrow_status st = escrow_pubkey_load(ctx, a->value[CLI_O_PUBKEY], &pk);
	int rc;

	if (st != ESCROW_OK)
		return cli_fail(ctx, st);
	st = escrow_options_set_pubkey(o, ESCROW_OPT_PUBLIC_KEY, pk);
	if (st == ESCROW_OK)
		st = escrow_options_set_string(o, ESCROW_OPT_RECEIPT, a->operands[0]);
	if (st == ESCROW_OK)
		st = escrow_options_set_string(o, ESCROW_OPT_BUNDLE, a->value[CLI_O_BUNDLE]);
	if (st != ESCROW_OK) {
		escrow_pubkey_free(pk);
		return cli_opts_fail(o, st);
	}
	st = escrow_receipt_verify(ctx, o, &res);
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
	} else {
		rc = 0;
		if (a->value[CLI_O_JSON] != NULL)
			print_json(a, res);
		else if (!cli_quiet)
			printf("%s: good receipt, signed by the notary: deposit %llu, %s, sha256 %s, ledger head %llu%s\n",
			       cli_esc(a->operands[0]), (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DEPOSIT_ID),
			       escrow_result_string(res, ESCROW_RESULT_VERDICT), escrow_result_string(res, ESCROW_RESULT_SHA256),
			       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ),
			       a->value[CLI_O_BUNDLE] ? " (the bundle matches)" : "");
	}
	escrow_result_free(res);
	escrow_pubkey_free(pk);
	return rc;
}

int cmd_receipt(int argc, char **argv)
{
	static const struct cli_cmd_spec spec = {"receipt verify", usage_line, CLI_RECEIPT, help, NULL, 1,
	                                         "missing RECEIPT.json"};
	struct cli_args a;
	escrow_ctx *ctx = NULL;
	escrow_options *o = NULL;
	int rc;

	if (argc < 2 || strcmp(argv[1], "verify") != 0) {
		if (argc >= 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
			help();
			return 0;
		}
		return cli_usage("receipt", usage_line, "expected 'escrow receipt verify'");
	}
	rc = cli_args_parse(&a, &spec, argc - 1, argv + 1);
	if (rc < 0 && a.value[CLI_O_PUBKEY] == NULL)
		rc = cli_usage(spec.name, usage_line, "missing -p NOTARY.pub (the notary's public key)");
	if (rc < 0) {
		ctx = cli_ctx_new();
		o = escrow_options_new();
		rc = ctx == NULL ? EX_SOFTWARE_ : o == NULL ? cli_opts_fail(NULL, ESCROW_E_NOMEM) : -1;
	}
	if (rc < 0)
		rc = check(&a, ctx, o);
	escrow_options_free(o);
	cli_ctx_free(ctx);
	cli_args_free(&a);
	return rc;
}
