/* cmd_verify.c -- escrow verify: the notary's check of a deposit, in one
 * pass: signature, every byte, then the deliverables of its own contract. */
#include "cli_read.h"

static const char usage_line[] =
	"escrow verify BUNDLE|- -p PUBKEY [-c CONTRACT] [-i IDENTITY]... [-j THREADS] [--json] [-q]";

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
	       "      --progress MODE  auto (a bar on a terminal), bar, plain, json, none\n"
	       "  -j, --threads N      threads decoding the bundle's zstd frames (default: all cores)\n"
	       "  -q, --quiet          print nothing but errors (the exit code tells)\n"
	       "  -h, --help           show this help\n\n"
	       "Without -c only integrity and authenticity are checked.\n"
	       "Verdicts and exit codes: 0 verified; 2 incomplete (intact and authentic, but\n"
	       "the contract is not met); 1 tampered (a changed, added or removed file, a\n"
	       "corrupt stream), bad-signature (does not verify, or another key made it),\n"
	       "unsafe (hostile paths or entry types) or not-opened (sealed, no identity\n"
	       "opens it); 65 not-a-bundle (the file is something else), or a malformed key,\n"
	       "contract or identity; 64 usage, 66 an input cannot be opened, 74 read error.\n",
	       usage_line);
}

int cmd_verify(int argc, char **argv)
{
	static const struct cli_read_cmd cmd = {.name = "verify", .usage = usage_line, .help = help,
	                                        .mask = CLI_VERIFY};
	struct cli_read r;
	int rc = cli_read_parse(&r, &cmd, argc, argv);

	if (rc < 0 && r.pubkey == NULL)
		rc = cli_usage("verify", usage_line, "missing -p PUBKEY (the agency's public key)");
	if (rc < 0)
		rc = cli_read_open(&r);
	if (rc < 0 && escrow_options_set_int(r.opts, ESCROW_OPT_FLAGS, cli_read_unshown(&r)) != ESCROW_OK)
		rc = cli_opts_fail(r.opts, ESCROW_E_USAGE);
	if (rc < 0)
		rc = cli_read_finish(&r, escrow_verify(r.ctx, r.opts, &r.report));
	cli_read_end(&r);
	return rc;
}
