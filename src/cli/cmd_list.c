/* cmd_list.c -- escrow list: the files of a bundle, with size, kind and
 * deliverable, from its signed manifest once every digest held. */
#include "cli_read.h"

static const char usage_line[] =
	"escrow list BUNDLE|- [-p PUBKEY] [-c CONTRACT] [-i IDENTITY]... [-j THREADS] [--json]";

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
	       "  -j, --threads N      threads decoding the bundle's zstd frames (default: all cores)\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "Exit codes: 0 listed (verdict verified with -p, intact without), 1 tampered,\n"
	       "bad-signature, unsafe or not-opened (nothing listed), 64 usage, 65\n"
	       "not-a-bundle, or a malformed key, contract or identity, 66 an input cannot be\n"
	       "opened, 74 read error.\n",
	       usage_line);
}

int cmd_list(int argc, char **argv)
{
	static const struct cli_read_cmd cmd = {.name = "list", .usage = usage_line, .help = help,
	                                        .mask = CLI_LIST};
	struct cli_read r;
	int rc = cli_read_parse(&r, &cmd, argc, argv);

	if (rc < 0)
		rc = cli_read_open(&r);
	if (rc < 0)
		rc = cli_read_finish(&r, escrow_list(r.ctx, r.opts, &r.report));
	cli_read_end(&r);
	return rc;
}
