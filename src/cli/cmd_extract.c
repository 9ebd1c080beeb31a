/* cmd_extract.c -- escrow extract: the client's side of a release. Verifies
 * while writing into a temporary folder beside DIR, which becomes DIR only
 * when everything holds; on any failure nothing is left behind. */
#include "cli_read.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"escrow extract BUNDLE|- -C DIR -p PUBKEY [-i IDENTITY]... [--payload-only] "
	"[-c CONTRACT --deliverable ID]... [--json] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Verify a bundle and extract it into DIR, a new folder (or an empty one). The\n"
	       "bundle is verified while it is written into a temporary folder beside DIR,\n"
	       "which is renamed to DIR only when the signature, every digest and the\n"
	       "manifests hold; on any failure (or Ctrl-C) nothing is left behind. Paths are\n"
	       "checked before a byte is written: nothing outside DIR, no links followed, no\n"
	       "devices, no setuid bits, no ownership. Executable bits and times are kept.\n\n"
	       "Options:\n"
	       "  -C, --directory DIR  the folder to create (required)\n"
	       "  -p, --pubkey FILE    the agency's public key (minisign format) (required)\n"
	       "  -i, --identity FILE  an age identity file for sealed bundles (repeatable)\n"
	       "      --payload-only   DIR is the project tree instead of the BagIt bag\n"
	       "  -c, --contract FILE  the contract (needed by --deliverable)\n"
	       "      --deliverable ID only the files of this deliverable, as a project tree\n"
	       "                       (repeatable; the whole bundle is still verified)\n"
	       "      --json           print the report as JSON instead of text\n"
	       "  -q, --quiet          print nothing but errors (the exit code tells)\n"
	       "  -h, --help           show this help\n\n"
	       "By default DIR is the bag: DIR/bagit.txt, DIR/data/... (BagIt validators and\n"
	       "'sha256sum -c manifest-sha256.txt' inside DIR check it again).\n"
	       "Exit codes: 0 verified and extracted, 1 tampered (nothing extracted), 2\n"
	       "extracted but the contract is not met, 64 usage (or unknown deliverable), 65\n"
	       "malformed key, contract or identity, 66 an input cannot be opened, 73 DIR\n"
	       "exists and is not empty or cannot be created, 74 write error (disk full).\n",
	       usage_line);
}

struct extract_opts {
	const char *bundle, *dir;
	struct cli_read_inputs in;
	const char **deliverables;
	size_t n_deliverables;
	unsigned flags;
	bool json;
};

static int parse_opts(int argc, char **argv, struct extract_opts *o)
{
	enum { OPT_JSON = 256, OPT_PAYLOAD, OPT_DELIV };
	static const struct option opts[] = {
		{"directory", required_argument, NULL, 'C'}, {"pubkey", required_argument, NULL, 'p'},
		{"contract", required_argument, NULL, 'c'},  {"identity", required_argument, NULL, 'i'},
		{"payload-only", no_argument, NULL, OPT_PAYLOAD}, {"deliverable", required_argument, NULL, OPT_DELIV},
		{"json", no_argument, NULL, OPT_JSON},       {"quiet", no_argument, NULL, 'q'},
		{"help", no_argument, NULL, 'h'},            {NULL, 0, NULL, 0}};
	bool seen_C = false, seen_p = false, seen_c = false, seen_json = false, seen_q = false, seen_po = false;

	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, ":C:p:c:i:qh", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 'C':
			if (!cli_once(&seen_C, "extract", usage_line, "-C"))
				return EX_USAGE_;
			o->dir = optarg;
			break;
		case 'p':
			if (!cli_once(&seen_p, "extract", usage_line, "-p"))
				return EX_USAGE_;
			o->in.pubkey = optarg;
			break;
		case 'c':
			if (!cli_once(&seen_c, "extract", usage_line, "-c"))
				return EX_USAGE_;
			o->in.contract = optarg;
			break;
		case 'i':
			o->in.identities[o->in.n_identities++] = optarg;
			break;
		case OPT_PAYLOAD:
			if (!cli_once(&seen_po, "extract", usage_line, "--payload-only"))
				return EX_USAGE_;
			o->flags |= ESCROW_PAYLOAD_ONLY;
			break;
		case OPT_DELIV:
			if (*optarg == '\0')
				return cli_usage("extract", usage_line, "--deliverable needs an id");
			o->deliverables[o->n_deliverables++] = optarg;
			break;
		case OPT_JSON:
			if (!cli_once(&seen_json, "extract", usage_line, "--json"))
				return EX_USAGE_;
			o->json = true;
			break;
		case 'q':
			if (!cli_once(&seen_q, "extract", usage_line, "-q"))
				return EX_USAGE_;
			cli_quiet = true;
			break;
		case 'h':
			help();
			return 0;
		case ':':
			return cli_usage("extract", usage_line, "option %s needs an argument", argv[optind - 1]);
		default:
			return cli_usage("extract", usage_line, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("extract", usage_line, "missing BUNDLE (a file, or - for standard input)");
	if (optind + 1 < argc)
		return cli_usage("extract", usage_line, "unexpected argument '%s'", argv[optind + 1]);
	o->bundle = argv[optind];
	if (*o->bundle == '\0')
		return cli_usage("extract", usage_line, "BUNDLE is empty");
	if (o->dir == NULL || *o->dir == '\0')
		return cli_usage("extract", usage_line, "missing -C DIR (the folder to create)");
	if (o->in.pubkey == NULL)
		return cli_usage("extract", usage_line, "missing -p PUBKEY (the agency's public key)");
	if (o->n_deliverables > 0 && o->in.contract == NULL)
		return cli_usage("extract", usage_line, "--deliverable needs -c CONTRACT");
	return -1;
}

int cmd_extract(int argc, char **argv)
{
	struct extract_opts o;
	struct cli_read_loaded l;
	struct escrow_verify_options vo;
	escrow_report *report = NULL;
	escrow_ctx *ctx = NULL;
	escrow_status st;
	int rc;

	memset(&o, 0, sizeof o);
	memset(&l, 0, sizeof l);
	o.in.identities = calloc((size_t)argc + 1, sizeof *o.in.identities);
	o.deliverables = calloc((size_t)argc + 1, sizeof *o.deliverables);
	if (o.in.identities == NULL || o.deliverables == NULL) {
		cli_error("out of memory");
		rc = EX_SOFTWARE_;
		goto out;
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
	vo.target = o.dir;
	vo.deliverables = o.deliverables;
	vo.n_deliverables = o.n_deliverables;
	vo.flags = o.flags;
	st = escrow_extract(ctx, &vo, &report);
	rc = cli_read_finish(ctx, st, report, o.json);
	if (st == ESCROW_OK || st == ESCROW_INCOMPLETE)
		cli_info("extracted into %s", o.dir);
	else if (report != NULL)
		cli_info("nothing was extracted");
out:
	escrow_report_free(report);
	cli_read_free(&l);
	cli_ctx_free(ctx);
	free(o.in.identities);
	free(o.deliverables);
	return rc;
}
