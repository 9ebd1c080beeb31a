/* cmd_check.c -- escrow check: the agency's pre-flight. Reads the project
 * folder the way pack would and says, deliverable by deliverable, whether the
 * deposit would meet the contract. */
#include "cli_read.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"escrow check SRC -c CONTRACT [-x GLOB]... [--include-vcs] [--json] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Check a project folder against the contract (the deliverables list) before\n"
	       "packing it. Every file is read once: its SHA-256 is computed and its format\n"
	       "checked (safetensors, ONNX, parquet, ...), then each deliverable is reported\n"
	       "as ok, missing, too-small, bad-format, lfs-pointer, unsafe or hash-mismatch,\n"
	       "with files the contract forbids, files in no deliverable, an inventory, and\n"
	       "warnings (Git LFS pointers, pickles that run code, secrets).\n\n"
	       "Options:\n"
	       "  -c, --contract FILE  the contract (YAML, see docs/CONTRACT.md) (required)\n"
	       "  -x, --exclude GLOB   leave out paths matching GLOB, as pack -x does (repeatable)\n"
	       "      --include-vcs    keep .git/, .hg/ and .svn/ folders (left out by default)\n"
	       "      --json           print the report as JSON instead of text\n"
	       "  -q, --quiet          print nothing but errors (the exit code tells)\n"
	       "  -h, --help           show this help\n\n"
	       "The folder's .escrowignore (one glob a line) and the contract's exclude: list\n"
	       "apply too, as they will when packing.\n"
	       "Exit codes: 0 complete, 2 contract not met, 64 usage, 65 malformed contract\n"
	       "or file name, 66 SRC or contract missing, 74 read error.\n",
	       usage_line);
}

struct check_opts {
	const char *src, *contract;
	const char **excludes;
	size_t n_excludes;
	unsigned flags;
	bool json;
};

/* Returns -1 when the options are fine, else the exit code. */
static int parse_opts(int argc, char **argv, struct check_opts *o)
{
	enum { OPT_VCS = 256, OPT_JSON };
	static const struct option opts[] = {
		{"contract", required_argument, NULL, 'c'}, {"exclude", required_argument, NULL, 'x'},
		{"include-vcs", no_argument, NULL, OPT_VCS}, {"json", no_argument, NULL, OPT_JSON},
		{"quiet", no_argument, NULL, 'q'},           {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bool seen_c = false, seen_vcs = false, seen_json = false, seen_q = false;

	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, ":c:x:qh", opts, NULL);

		if (c == -1)
			break;
		switch (c) {
		case 'c':
			if (!cli_once(&seen_c, "check", usage_line, "-c"))
				return EX_USAGE_;
			o->contract = optarg;
			break;
		case 'x':
			if (*optarg == '\0')
				return cli_usage("check", usage_line, "-x needs a non-empty glob");
			o->excludes[o->n_excludes++] = optarg;
			break;
		case OPT_VCS:
			if (!cli_once(&seen_vcs, "check", usage_line, "--include-vcs"))
				return EX_USAGE_;
			o->flags |= ESCROW_INCLUDE_VCS;
			break;
		case OPT_JSON:
			if (!cli_once(&seen_json, "check", usage_line, "--json"))
				return EX_USAGE_;
			o->json = true;
			break;
		case 'q':
			if (!cli_once(&seen_q, "check", usage_line, "-q"))
				return EX_USAGE_;
			cli_quiet = true;
			break;
		case 'h':
			help();
			return 0;
		case ':':
			return cli_usage("check", usage_line, "option %s needs an argument", argv[optind - 1]);
		default:
			return cli_usage("check", usage_line, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind >= argc)
		return cli_usage("check", usage_line, "missing SRC (the project folder)");
	if (optind + 1 < argc)
		return cli_usage("check", usage_line, "unexpected argument '%s'", argv[optind + 1]);
	o->src = argv[optind];
	if (*o->src == '\0')
		return cli_usage("check", usage_line, "SRC is empty");
	if (o->contract == NULL)
		return cli_usage("check", usage_line, "missing -c CONTRACT (the deliverables list)");
	return -1;
}

int cmd_check(int argc, char **argv)
{
	struct check_opts o;
	escrow_contract *contract = NULL;
	escrow_report *report = NULL;
	escrow_options *opts = NULL;
	escrow_ctx *ctx = NULL;
	escrow_status st;
	size_t i;
	int rc;

	memset(&o, 0, sizeof o);
	o.excludes = calloc((size_t)argc + 1, sizeof *o.excludes);
	if (o.excludes == NULL) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		goto out;
	rc = 0;
	ctx = cli_ctx_new();
	if (ctx == NULL) {
		rc = EX_SOFTWARE_;
		goto out;
	}
	opts = escrow_options_new();
	if (opts == NULL) {
		rc = cli_opts_fail(NULL, ESCROW_E_NOMEM);
		goto out;
	}
	st = escrow_contract_load(ctx, o.contract, &contract);
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
		goto out;
	}
	st = escrow_options_set_string(opts, ESCROW_OPT_SOURCE, o.src);
	if (st == ESCROW_OK)
		st = escrow_options_set_contract(opts, ESCROW_OPT_CONTRACT, contract);
	for (i = 0; st == ESCROW_OK && i < o.n_excludes; i++)
		st = escrow_options_set_string(opts, ESCROW_OPT_EXCLUDE, o.excludes[i]);
	if (st == ESCROW_OK)
		st = escrow_options_set_int(opts, ESCROW_OPT_FLAGS, o.flags);
	if (st != ESCROW_OK) {
		rc = cli_opts_fail(opts, st);
		goto out;
	}
	st = escrow_check(ctx, opts, &report);
	cli_progress_done();
	if (st != ESCROW_OK && st != ESCROW_INCOMPLETE) {
		rc = cli_fail(ctx, st);
		goto out;
	}
	rc = cli_read_print(report, o.json);
	if (rc < 0)
		rc = cli_exit_code(st);
out:
	escrow_report_free(report);
	escrow_options_free(opts);
	escrow_contract_free(contract);
	cli_ctx_free(ctx);
	free(o.excludes);
	return rc;
}
