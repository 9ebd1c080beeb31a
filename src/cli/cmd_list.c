/* cmd_list.c -- escrow list: the files of a bundle, with size, kind and
 * deliverable, from its signed manifest once every digest held. */
#include "cli_read.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"escrow list BUNDLE|- [-p PUBKEY] [-c CONTRACT] [-i IDENTITY]... [--json]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "List the files of a bundle (path, size, kind, deliverable) as its manifest\n"
	       "names them. The whole bundle is read and every digest checked first; with -p\n"
	       "the signature is checked too (without it, the list says the signature was not\n"
	       "checked). Deliverables come from -c, else from the contract packed in the\n"
	       "bundle (the report says which). BUNDLE '-' reads standard input.\n\n"
	       "Options:\n"
	       "  -p, --pubkey FILE    the agency's public key, to check the signature\n"
	       "  -c, --contract FILE  the contract whose deliverables to show\n"
	       "  -i, --identity FILE  an age identity file for sealed bundles (repeatable)\n"
	       "      --json           print the report as JSON instead of text\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "Exit codes: 0 listed, 1 tampered (nothing listed), 64 usage, 65 malformed\n"
	       "key, contract or identity, 66 an input cannot be opened, 74 read error.\n",
	       usage_line);
}

struct list_opts {
	const char *bundle;
	struct cli_read_inputs in;
	bool json;
};

static int parse_opts(int argc, char **argv, struct list_opts *o)
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
			if (!cli_once(&seen_p, "list", usage_line, "-p"))
				return EX_USAGE_;
			o->in.pubkey = optarg;
			break;
		case 'c':
			if (!cli_once(&seen_c, "list", usage_line, "-c"))
				return EX_USAGE_;
			o->in.contract = optarg;
			break;
		case 'i':
			o->in.identities[o->in.n_identities++] = optarg;
			break;
		case OPT_JSON:
			if (!cli_once(&seen_json, "list", usage_line, "--json"))
				return EX_USAGE_;
			o->json = true;
			break;
		case 'q':
			if (!cli_once(&seen_q, "list", usage_line, "-q"))
				return EX_USAGE_;
			cli_quiet = true;
			break;
		case 'h':
			help();
			return 0;
		case ':':
			return cli_usage("list", usage_line, "option %s needs an argument", argv[optind - 1]);
		default:
			return cli_usage("list", usage_line, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("list", usage_line, "missing BUNDLE (a file, or - for standard input)");
	if (optind + 1 < argc)
		return cli_usage("list", usage_line, "unexpected argument '%s'", argv[optind + 1]);
	o->bundle = argv[optind];
	if (*o->bundle == '\0')
		return cli_usage("list", usage_line, "BUNDLE is empty");
	return -1;
}

int cmd_list(int argc, char **argv)
{
	struct list_opts o;
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
	st = escrow_list(ctx, &vo, &report);
	rc = cli_read_finish(ctx, st, report, o.json);
out:
	escrow_report_free(report);
	cli_read_free(&l);
	cli_ctx_free(ctx);
	free(o.in.identities);
	return rc;
}
