/* cmd_diff.c -- escrow diff: what changed between two deposits, per
 * deliverable, read from the two bundles once each, nothing extracted. */
#include "cli_read.h"

#include <string.h>

static const char usage_line[] =
	"escrow diff OLD NEW [-p PUBKEY] [-c CONTRACT] [-i IDENTITY]... [--json]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Compare two deposits (bundle files; one of them may be '-' for standard input)\n"
	       "without extracting them: each is read once and every digest checked; with -p\n"
	       "both signatures are checked too (without it, the report says they were not).\n"
	       "Per deliverable and for the files in none: files added, removed, changed (by\n"
	       "digest), renamed (same digest, new path), sizes, what the format check read of\n"
	       "model files (tensors, dtypes, shapes; ONNX inputs and outputs; GGUF\n"
	       "architecture), and each deliverable's status before and after, regressions\n"
	       "(ok before, anything else now, or gone) first. Deliverables come from -c, else\n"
	       "from the contract copy inside NEW (else OLD); the report says which.\n\n"
	       "Options:\n"
	       "  -p, --pubkey FILE    the agency's public key, to check both signatures\n"
	       "  -c, --contract FILE  the contract whose deliverables to compare\n"
	       "  -i, --identity FILE  an age identity file for sealed bundles (repeatable)\n"
	       "      --json           print the report as JSON (schema escrow-diff/1)\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "Exit codes: 0 compared (whatever the differences), 1 a bundle is tampered,\n"
	       "has a bad signature, is unsafe or could not be opened (the report says which),\n"
	       "64 usage, 65 a file is not a bundle, or a malformed key, contract or identity,\n"
	       "66 an input cannot be opened, 74 read error.\n",
	       usage_line);
}

int cmd_diff(int argc, char **argv)
{
	static const struct cli_read_cmd cmd = {.name = "diff", .usage = usage_line, .help = help,
	                                        .mask = CLI_DIFF};
	const struct cli_cmd_spec spec = {.name = "diff", .usage = usage_line, .mask = CLI_DIFF, .help = help,
	                                  .n_operands = 2,
	                                  .missing = "missing OLD or NEW (two bundles, one of them may be -)"};
	struct cli_read r;
	const char *newer = NULL;
	escrow_status st;
	int rc;

	memset(&r, 0, sizeof r);
	r.cmd = &cmd;
	rc = cli_args_parse(&r.args, &spec, argc, argv);
	if (rc < 0) {
		r.bundle = r.args.operands[0];
		newer = r.args.operands[1];
		r.pubkey = r.args.value[CLI_O_PUBKEY];
		r.contract = r.args.value[CLI_O_CONTRACT];
		r.n_identities = cli_args_count(&r.args, CLI_O_IDENTITY);
		r.json = r.args.value[CLI_O_JSON] != NULL;
		if (*r.bundle == '\0' || *newer == '\0')
			rc = cli_usage(cmd.name, cmd.usage, "%s is empty", *r.bundle == '\0' ? "OLD" : "NEW");
		else if (strcmp(r.bundle, "-") == 0 && strcmp(newer, "-") == 0)
			rc = cli_usage(cmd.name, cmd.usage, "only one of OLD and NEW can be standard input");
	}
	if (rc < 0)
		rc = cli_read_open(&r);
	if (rc < 0) {
		st = escrow_options_set_string(r.opts, ESCROW_OPT_OTHER_BUNDLE, newer);
		if (st != ESCROW_OK)
			rc = cli_opts_fail(r.opts, st);
	}
	if (rc < 0)
		rc = cli_read_finish(&r, escrow_diff(r.ctx, r.opts, &r.report));
	cli_read_end(&r);
	return rc;
}
