/* cmd_keygen.c -- escrow keygen: a minisign signing key pair, or with --age
 * an age encryption key pair. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_line[] = "escrow keygen -o PREFIX [-W] [--age] [--force] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Make a key pair. By default a minisign signing key pair: PREFIX.key (the\n"
	       "secret key, mode 0600, protected by a passphrase with scrypt as minisign does)\n"
	       "and PREFIX.pub (the public key to give to whoever verifies the bundles). Both\n"
	       "work with stock minisign (-s PREFIX.key, -p PREFIX.pub).\n\n"
	       "Options:\n"
	       "  -o, --output PREFIX  write PREFIX.key and PREFIX.pub (required)\n"
	       "  -W, --unencrypted    do not protect the secret key with a passphrase\n"
	       "      --age            make an age encryption key pair instead: PREFIX.age\n"
	       "                       (identity, mode 0600) and PREFIX.age.pub (recipient)\n"
	       "  -f, --force          replace existing key files\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "The passphrase is read from the ESCROW_PASSPHRASE environment variable, or\n"
	       "asked twice on the terminal. Without --force, keygen never replaces a file:\n"
	       "if either output exists it writes neither (exit 73).\n"
	       "Exit codes: 0 done, 64 usage, 65 passphrase problem, 73 cannot create output.\n",
	       usage_line);
}

int cmd_keygen(int argc, char **argv)
{
	enum { OPT_AGE = 256 };
	static const struct option opts[] = {
		{"output", required_argument, NULL, 'o'}, {"unencrypted", no_argument, NULL, 'W'},
		{"age", no_argument, NULL, OPT_AGE},      {"force", no_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},        {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	bool seen_o = false, seen_w = false, seen_age = false, seen_f = false, seen_q = false;
	const char *prefix = NULL, *pass = NULL;
	escrow_pubkey *pk = NULL;
	escrow_ctx *ctx = NULL;
	unsigned flags = 0;
	char *pub = NULL, id[17];
	escrow_status st;
	int c, rc = 0;

	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, argv, ":o:Wfqh", opts, NULL)) != -1) {
		switch (c) {
		case 'o':
			if (!cli_once(&seen_o, "keygen", usage_line, "-o"))
				return EX_USAGE_;
			prefix = optarg;
			break;
		case 'W':
			if (!cli_once(&seen_w, "keygen", usage_line, "-W"))
				return EX_USAGE_;
			break;
		case OPT_AGE:
			if (!cli_once(&seen_age, "keygen", usage_line, "--age"))
				return EX_USAGE_;
			break;
		case 'f':
			if (!cli_once(&seen_f, "keygen", usage_line, "--force"))
				return EX_USAGE_;
			flags |= ESCROW_FORCE;
			break;
		case 'q':
			if (!cli_once(&seen_q, "keygen", usage_line, "-q"))
				return EX_USAGE_;
			cli_quiet = true;
			break;
		case 'h':
			help();
			return 0;
		case ':':
			return cli_usage("keygen", usage_line, "option %s needs an argument", argv[optind - 1]);
		default:
			return cli_usage("keygen", usage_line, "unknown option '%s'", argv[optind - 1]);
		}
	}
	if (optind < argc)
		return cli_usage("keygen", usage_line, "unexpected argument '%s'", argv[optind]);
	if (prefix == NULL || *prefix == '\0')
		return cli_usage("keygen", usage_line, "missing -o PREFIX");
	if (seen_age && seen_w)
		return cli_usage("keygen", usage_line, "-W applies to signing keys; age identities are never encrypted");
	ctx = cli_ctx_new();
	if (ctx == NULL)
		return EX_SOFTWARE_;
	if (seen_age) {
		st = escrow_age_keygen(ctx, prefix, flags);
		if (st != ESCROW_OK) {
			rc = cli_fail(ctx, st);
			goto out;
		}
		if (!cli_quiet)
			printf("%s.age.pub\n", cli_esc(prefix));
		cli_info("identity written to %s.age (keep it secret)", prefix);
		goto out;
	}
	if (!seen_w) {
		pass = cli_passphrase("Passphrase: ", true);
		if (pass == NULL) {
			rc = EX_DATAERR_;
			goto out;
		}
		if (*pass == '\0') {
			cli_error("the passphrase is empty (use -W for a key without one)");
			rc = EX_DATAERR_;
			goto out;
		}
	}
	st = escrow_keygen(ctx, prefix, pass, flags);
	cli_passphrase_wipe();
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
		goto out;
	}
	pub = malloc(strlen(prefix) + sizeof ".pub");
	if (pub == NULL) {
		cli_error("out of memory");
		rc = EX_SOFTWARE_;
		goto out;
	}
	memcpy(pub, prefix, strlen(prefix));
	memcpy(pub + strlen(prefix), ".pub", sizeof ".pub");
	st = escrow_pubkey_load(ctx, pub, &pk);
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
		goto out;
	}
	escrow_pubkey_id(pk, id);
	if (!cli_quiet)
		printf("%s\nkey id %s\n", cli_esc(pub), id);
	cli_info("secret key written to %s.key (%s)", prefix,
	         seen_w ? "unencrypted: keep it secret" : "protected by the passphrase");
out:
	escrow_pubkey_free(pk);
	free(pub);
	cli_ctx_free(ctx);
	return rc;
}
