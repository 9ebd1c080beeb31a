/* cmd_extract.c -- escrow extract: the client's side of a release. Verifies
 * while writing into a temporary folder beside DIR, which becomes DIR only
 * when everything holds; on any failure nothing is left behind. */
#include "cli_read.h"

#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"escrow extract BUNDLE|- -C DIR -p PUBKEY [-i IDENTITY]... [--payload-only] "
	"[-c CONTRACT --deliverable ID]... [-j THREADS] [--json] [-q]";

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
	       "  -c, --contract FILE  the contract (--deliverable without it: the copy in BUNDLE)\n"
	       "      --deliverable ID only the files of this deliverable, as a project tree\n"
	       "                       (repeatable; the whole bundle is still verified)\n"
	       "      --json           print the report as JSON instead of text\n"
	       "      --progress MODE  auto (a bar on a terminal), bar, plain, json, none\n"
	       "  -j, --threads N      threads decoding the bundle's zstd frames (default: all cores)\n"
	       "  -q, --quiet          print nothing but errors (the exit code tells)\n"
	       "  -h, --help           show this help\n\n"
	       "By default DIR is the bag: DIR/bagit.txt, DIR/data/... (BagIt validators and\n"
	       "'sha256sum -c manifest-sha256.txt' inside DIR check it again).\n"
	       "Exit codes: 0 verified and extracted, 1 tampered, bad-signature, unsafe or\n"
	       "not-opened (nothing extracted), 2 extracted but the contract is not met, 64\n"
	       "usage (or unknown deliverable), 65 not-a-bundle (nothing extracted), or a\n"
	       "malformed key, contract or identity, 66 an input cannot be opened, 73 DIR\n"
	       "exists and is not empty or cannot be created, 74 write error (disk full).\n",
	       usage_line);
}

static int check_arg(enum cli_opt id, const char *arg)
{
	if (id == CLI_O_DELIVERABLE && *arg == '\0')
		return cli_usage("extract", usage_line, "--deliverable needs an id");
	return -1;
}

/* Returns -1 when nothing required is missing, else the exit code. */
static int check_required(const struct cli_read *r)
{
	const char *dir = r->args.value[CLI_O_DIRECTORY];

	if (dir == NULL || *dir == '\0')
		return cli_usage("extract", usage_line, "missing -C DIR (the folder to create)");
	if (r->pubkey == NULL)
		return cli_usage("extract", usage_line, "missing -p PUBKEY (the agency's public key)");
	if (cli_args_count(&r->args, CLI_O_DELIVERABLE) > 0 && r->contract == NULL && strcmp(r->bundle, "-") == 0)
		return cli_usage("extract", usage_line, "--deliverable on standard input needs -c CONTRACT");
	return -1;
}

/* --deliverable without -c: the contract copy inside the bundle chooses the
 * files (the verification checks it is the signed one), and stderr says so. */
static int bundle_contract(struct cli_read *r)
{
	escrow_status st;

	if (cli_args_count(&r->args, CLI_O_DELIVERABLE) == 0 || r->contract != NULL)
		return -1;
	st = escrow_bundle_contract(r->ctx, r->bundle, &r->loaded_contract);
	if (st == ESCROW_OK)
		st = escrow_options_set_contract(r->opts, ESCROW_OPT_CONTRACT, r->loaded_contract);
	if (st != ESCROW_OK)
		return cli_fail(r->ctx, st);
	cli_warn("no -c CONTRACT: the deliverables are those of the contract copy inside %s (%s); "
	         "give -c for your own copy", r->bundle, escrow_contract_id(r->loaded_contract));
	return -1;
}

/* extract's own options into r->opts: -1, or the exit code. */
static int set_options(struct cli_read *r)
{
	escrow_status st = escrow_options_set_string(r->opts, ESCROW_OPT_TARGET, r->args.value[CLI_O_DIRECTORY]);
	size_t i;

	for (i = 0; st == ESCROW_OK && i < r->args.n; i++)
		if (r->args.list[i].id == CLI_O_DELIVERABLE)
			st = escrow_options_set_string(r->opts, ESCROW_OPT_DELIVERABLE, r->args.list[i].value);
	if (st == ESCROW_OK)
		st = escrow_options_set_int(r->opts, ESCROW_OPT_FLAGS,
		                            (r->args.value[CLI_O_PAYLOAD_ONLY] != NULL ? ESCROW_PAYLOAD_ONLY : 0) |
		                                cli_read_unshown(r));
	return st == ESCROW_OK ? -1 : cli_opts_fail(r->opts, st);
}

int cmd_extract(int argc, char **argv)
{
	static const struct cli_read_cmd cmd = {.name = "extract", .usage = usage_line, .help = help,
	                                        .mask = CLI_EXTRACT, .check = check_arg};
	struct cli_read r;
	escrow_status st;
	int rc = cli_read_parse(&r, &cmd, argc, argv);

	if (rc < 0)
		rc = check_required(&r);
	if (rc < 0)
		rc = cli_read_open(&r);
	if (rc < 0)
		rc = bundle_contract(&r);
	if (rc < 0)
		rc = set_options(&r);
	if (rc < 0) {
		st = escrow_extract(r.ctx, r.opts, &r.report);
		rc = cli_read_finish(&r, st);
		if (st == ESCROW_OK || st == ESCROW_INCOMPLETE)
			cli_info("extracted into %s", r.args.value[CLI_O_DIRECTORY]);
		else if (r.report != NULL)
			cli_info("nothing was extracted");
	}
	cli_read_end(&r);
	return rc;
}
