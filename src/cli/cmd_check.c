/* cmd_check.c -- escrow check: the agency's pre-flight. Reads the project
 * folder the way pack would and says, deliverable by deliverable, whether the
 * deposit would meet the contract. */
#include "cli_opts.h"
#include "cli_read.h"

#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"escrow check SRC -c CONTRACT [-x GLOB]... [--include-vcs] [--skip-symlinks] [--json] [-q]";

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
	       "      --skip-symlinks  skip links that leave SRC or dangle, as pack --skip-symlinks\n"
	       "      --json           print the report as JSON instead of text\n"
	       "      --progress MODE  auto (a bar on a terminal), bar, plain, json, none\n"
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
	struct cli_args args;
	unsigned flags;
	bool json;
};

static int check_arg(enum cli_opt id, const char *arg)
{
	if (id == CLI_O_EXCLUDE && *arg == '\0')
		return cli_usage("check", usage_line, "-x needs a non-empty glob");
	return -1;
}

/* Returns -1 when the options are fine, else the exit code. */
static int parse_opts(int argc, char **argv, struct check_opts *o)
{
	static const struct cli_cmd_spec spec = {.name = "check", .usage = usage_line, .mask = CLI_CHECK, .help = help,
	                                         .check = check_arg, .n_operands = 1,
	                                         .missing = "missing SRC (the project folder)"};
	int rc = cli_args_parse(&o->args, &spec, argc, argv);

	if (rc >= 0)
		return rc;
	o->src = o->args.operands[0];
	o->contract = o->args.value[CLI_O_CONTRACT];
	o->flags = (o->args.value[CLI_O_INCLUDE_VCS] ? ESCROW_INCLUDE_VCS : 0) |
	           (o->args.value[CLI_O_SKIP_SYMLINKS] ? ESCROW_SKIP_SYMLINKS : 0);
	o->json = o->args.value[CLI_O_JSON] != NULL;
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
	for (i = 0; st == ESCROW_OK && i < o.args.n; i++)
		if (o.args.list[i].id == CLI_O_EXCLUDE)
			st = escrow_options_set_string(opts, ESCROW_OPT_EXCLUDE, o.args.list[i].value);
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
	cli_args_free(&o.args);
	return rc;
}
