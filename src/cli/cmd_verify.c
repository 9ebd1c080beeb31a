/* cmd_verify.c -- escrow verify: the notary's check of a deposit, in one
 * pass: signature, every byte, then the deliverables of its own contract. */
#include "cli_read.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"escrow verify BUNDLE|- -p PUBKEY [-c CONTRACT] [-i IDENTITY]... [--json] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Verify a bundle in one pass: the agency's signature over the tag manifest,\n"
	       "every tag file and every payload file against the signed manifests, the\n"
	       "structure (paths, entry types, order), and, with -c, every deliverable of\n"
	       "your own copy of the contract (the report says whether the copy packed in the\n"
	       "bundle differs). BUNDLE '-' reads standard input. A sealed bundle needs the\n"
	       "identity that opens it; BUNDLE.minisig beside it, when present, is checked too.\n\n"
	       "Options:\n"
	       "  -p, --pubkey FILE    the agency's public key (minisign format) (required)\n"
	       "  -c, --contract FILE  the contract to check the deliverables against\n"
	       "  -i, --identity FILE  an age identity file for sealed bundles (repeatable)\n"
	       "      --json           print the report as JSON instead of text\n"
	       "  -q, --quiet          print nothing but errors (the exit code tells)\n"
	       "  -h, --help           show this help\n\n"
	       "Without -c only integrity and authenticity are checked.\n"
	       "Exit codes: 0 verified, 1 tampered (bad signature, changed, added or removed\n"
	       "file, unsafe entry, corrupt stream, no matching identity), 2 intact but the\n"
	       "contract is not met, 64 usage, 65 malformed key, contract or identity, 66 an\n"
	       "input cannot be opened, 74 read error.\n",
	       usage_line);
}

struct verify_opts {
	const char *bundle;
	struct cli_read_inputs in;
	bool json;
};

/* Returns -1 when the options are fine, else the exit code. */
static int parse_opts(int argc, char **argv, struct verify_opts *o)
{
	enum { OPT_JSON = 256 };
	static const struct option opts[] = {
		{"pubkey", required_argument, NULL, 'p'},   {"contract", required_argument, NULL, 'c'},
		{"identity", required_argument, NULL, 'i'}, {"json", no_argument, NULL, OPT_JSON},
		{"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bool seen_p = false, seen_c = false, seen_json = false, seen_q = false;

	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, ":p:c:i:qh", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 'p':
			if (!cli_once(&seen_p, "verify", usage_line, "-p"))
				return EX_USAGE_;
			o->in.pubkey = optarg;
			break;
		case 'c':
			if (!cli_once(&seen_c, "verify", usage_line, "-c"))
				return EX_USAGE_;
			o->in.contract = optarg;
			break;
		case 'i':
			o->in.identities[o->in.n_identities++] = optarg;
			break;
		case OPT_JSON:
			if (!cli_once(&seen_json, "verify", usage_line, "--json"))
				return EX_USAGE_;
			o->json = true;
			break;
		case 'q':
			if (!cli_once(&seen_q, "verify", usage_line, "-q"))
				return EX_USAGE_;
			cli_quiet = true;
			break;
		case 'h':
			help();
			return 0;
		case ':':
			return cli_usage("verify", usage_line, "option %s needs an argument", argv[optind - 1]);
		default:
			return cli_usage("verify", usage_line, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("verify", usage_line, "missing BUNDLE (a file, or - for standard input)");
	if (optind + 1 < argc)
		return cli_usage("verify", usage_line, "unexpected argument '%s'", argv[optind + 1]);
	o->bundle = argv[optind];
	if (*o->bundle == '\0')
		return cli_usage("verify", usage_line, "BUNDLE is empty");
	if (o->in.pubkey == NULL)
		return cli_usage("verify", usage_line, "missing -p PUBKEY (the agency's public key)");
	return -1;
}

int cmd_verify(int argc, char **argv)
{
	struct verify_opts o;
	struct cli_read_loaded l;
	struct escrow_verify_options vo;
	escrow_report *report = NULL;
	escrow_ctx *ctx = NULL;
	escrow_status st;
	int rc;

	memset(&o, 0, sizeof o);
	memset(&l, 0, sizeof l);
	o.in.identities = calloc((size_t)argc + 1, sizeof *o.in.identities);
	if (o.in.identities == NULL) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		goto out;
	ctx = cli_ctx_new();
	if (ctx == NULL) {
		rc = EX_SOFTWARE_;
		goto out;
	}
	st = cli_read_load(ctx, &o.in, &l);
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
		goto out;
	}
	memset(&vo, 0, sizeof vo);
	vo.bundle = o.bundle;
	vo.key = l.key;
	vo.contract = l.contract;
	vo.identities = l.ids;
	st = escrow_verify(ctx, &vo, &report);
	rc = cli_read_finish(ctx, st, report, o.json);
out:
	escrow_report_free(report);
	cli_read_free(&l);
	cli_ctx_free(ctx);
	free(o.in.identities);
	return rc;
}
