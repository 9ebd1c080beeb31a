/* cmd_rewrap.c -- escrow rewrap: the release of a sealed deposit to new
 * recipients (the client), after verifying it in full against the agency's
 * key: the notary re-encrypts and signs only what it has checked. */
#include "cli_read.h"

#include <string.h>

static const char usage_line[] =
	"escrow rewrap BUNDLE -p AGENCY.pub -i IDENTITY... (-r RECIPIENT | -R FILE)... -o OUT [-c CONTRACT] "
	"[-s KEY [--passphrase-file FILE]] [--force] [--json] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Release a sealed (age-encrypted) deposit to new recipients. The deposit is\n"
	       "verified in full while it is copied (the agency's signature, every digest, the\n"
	       "structure, and the contract when -c is given); the file key is opened with\n"
	       "IDENTITY and sealed again for each RECIPIENT, and the payload bytes are copied\n"
	       "unchanged into a temporary file that becomes OUT only when the verdict is\n"
	       "'verified'. Otherwise nothing is written and the report says why.\n"
	       "Stock 'age -d -i CLIENT_IDENTITY OUT' decrypts the release.\n\n"
	       "Options:\n"
	       "  -p, --pubkey FILE      the agency's public key (minisign format) (required)\n"
	       "  -i, --identity FILE    age identity file that opens BUNDLE (repeatable;\n"
	       "                         from 'escrow keygen --age' or 'age-keygen')\n"
	       "  -r, --recipient AGE1   a new recipient, age1... (repeatable)\n"
	       "  -R, --recipients-file FILE\n"
	       "                         new recipients, one age1... per line (repeatable)\n"
	       "  -o, --output OUT       the release, written atomically (required)\n"
	       "  -c, --contract FILE    the notary's copy of the contract: the deposit must\n"
	       "                         also meet it\n"
	       "  -s, --sign KEY         also write OUT.minisig, signed with this minisign key;\n"
	       "                         its trusted comment names the source deposit's SHA-256,\n"
	       "                         its name and release, and the time\n"
	       "                         (passphrase from --passphrase-file, the file\n"
	       "                         ESCROW_PASSPHRASE_FILE names, ESCROW_PASSPHRASE or the\n"
	       "                         terminal)\n"
	       "      --passphrase-file FILE  the -s key's passphrase: FILE's one line\n"
	       "  -f, --force            replace OUT (and OUT.minisig) if they exist\n"
	       "      --json             print the report as JSON instead of text\n"
	       "  -q, --quiet            print nothing but errors\n"
	       "  -h, --help             show this help\n\n"
	       "Exit codes: 0 verified and released, 1 not verified (tampered, bad-signature,\n"
	       "unsafe, not-opened; nothing written), 2 the contract is not met (nothing\n"
	       "written), 64 usage, 65 not-a-bundle, not sealed, malformed key, identity or\n"
	       "recipient, 66 cannot open an input, 73 cannot create OUT, 74 I/O error.\n",
	       usage_line);
}

/* Returns -1 when nothing required is missing, else the exit code. */
static int check_required(const struct cli_read *r)
{
	const char *out = r->args.value[CLI_O_OUTPUT];

	if (r->pubkey == NULL)
		return cli_usage("rewrap", usage_line, "missing -p AGENCY.pub (the agency's public key: the deposit is "
		                 "verified before it is released)");
	if (r->n_identities == 0)
		return cli_usage("rewrap", usage_line, "missing -i IDENTITY (the identity that opens BUNDLE)");
	if (cli_args_count(&r->args, CLI_O_RECIPIENT) + cli_args_count(&r->args, CLI_O_RECIPIENTS_FILE) == 0)
		return cli_usage("rewrap", usage_line, "missing -r RECIPIENT or -R FILE (who the bundle is for now)");
	if (out == NULL || *out == '\0')
		return cli_usage("rewrap", usage_line, "missing -o OUT");
	if (strcmp(r->bundle, "-") == 0 || strcmp(out, "-") == 0)
		return cli_usage("rewrap", usage_line, "rewrap reads and writes files, not '-'");
	return -1;
}

static int run(struct cli_read *r)
{
	const char *out = r->args.value[CLI_O_OUTPUT], *sign = r->args.value[CLI_O_SIGN];
	escrow_result *res = NULL;
	escrow_recipients *rs = NULL;
	escrow_seckey *sk = NULL;
	escrow_status st = ESCROW_OK;
	size_t i;
	int rc;

	/* -r and -R in the order given. */
	for (i = 0; i < r->args.n && st == ESCROW_OK; i++) {
		const struct cli_arg *a = &r->args.list[i];

		if (a->id == CLI_O_RECIPIENT)
			st = escrow_recipients_add(r->ctx, a->value, &rs);
		else if (a->id == CLI_O_RECIPIENTS_FILE)
			st = escrow_recipients_load(r->ctx, a->value, &rs);
	}
	if (st == ESCROW_OK && sign != NULL)
		st = cli_load_seckey(r->ctx, sign, &sk);
	if (st != ESCROW_OK) {
		rc = cli_fail(r->ctx, st);
		goto out;
	}
	/* r->opts holds the bundle, the agency's key, the contract and the
	 * identities (cli_read_open). */
	st = escrow_options_set_string(r->opts, ESCROW_OPT_OUTPUT, out);
	if (st == ESCROW_OK)
		st = escrow_options_set_recipients(r->opts, ESCROW_OPT_RECIPIENTS, rs);
	if (st == ESCROW_OK)
		st = escrow_options_set_seckey(r->opts, ESCROW_OPT_SIGNING_KEY, sk);
	if (st == ESCROW_OK)
		st = escrow_options_set_int(r->opts, ESCROW_OPT_FLAGS, r->args.value[CLI_O_FORCE] ? ESCROW_FORCE : 0);
	if (st != ESCROW_OK) {
		rc = cli_opts_fail(r->opts, st);
		goto out;
	}
	st = escrow_rewrap(r->ctx, r->opts, &res, &r->report);
	rc = cli_read_finish(r, st);
	if (st == ESCROW_OK)
		cli_info("%s: released for the new recipients (sha256 %s)%s", out,
		         escrow_result_string(res, ESCROW_RESULT_SHA256),
		         escrow_result_u64(res, ESCROW_RESULT_SIGNED) ? ", signed in .minisig" : "");
	else if (r->report != NULL)
		cli_info("nothing was released");
out:
	escrow_result_free(res);
	escrow_seckey_free(sk);
	escrow_recipients_free(rs);
	return rc;
}

int cmd_rewrap(int argc, char **argv)
{
	static const struct cli_read_cmd cmd = {.name = "rewrap", .usage = usage_line, .help = help,
	                                        .mask = CLI_REWRAP};
	struct cli_read r;
	int rc = cli_read_parse(&r, &cmd, argc, argv);

	if (rc < 0)
		rc = check_required(&r);
	if (rc < 0)
		rc = cli_read_open(&r);
	if (rc < 0)
		rc = run(&r);
	cli_read_end(&r);
	return rc;
}
