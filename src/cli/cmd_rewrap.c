/* cmd_rewrap.c -- escrow rewrap: the release of a sealed bundle to new
 * recipients (the client), without decrypting the payload. */
#include "cli.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_line[] =
	"escrow rewrap BUNDLE -i IDENTITY... (-r RECIPIENT | -R FILE)... -o OUT [-s KEY] [--force] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Re-encrypt a sealed (age-encrypted) bundle for new recipients: the release.\n"
	       "The file key is opened with IDENTITY and sealed again for each RECIPIENT; the\n"
	       "payload bytes are copied unchanged, so the result is the same deposit that\n"
	       "now opens with the recipients' identities (and no longer with IDENTITY).\n"
	       "Stock 'age -d -i CLIENT_IDENTITY OUT' decrypts it.\n\n"
	       "Options:\n"
	       "  -i, --identity FILE    age identity file that opens BUNDLE (repeatable;\n"
	       "                         from 'escrow keygen --age' or 'age-keygen')\n"
	       "  -r, --recipient AGE1   a new recipient, age1... (repeatable)\n"
	       "  -R, --recipients-file FILE\n"
	       "                         new recipients, one age1... per line (repeatable)\n"
	       "  -o, --output OUT       the rewrapped bundle, written atomically (required)\n"
	       "  -s, --sign KEY         also write OUT.minisig, signed with this minisign key\n"
	       "                         (passphrase from ESCROW_PASSPHRASE or the terminal)\n"
	       "  -f, --force            replace OUT if it exists\n"
	       "  -q, --quiet            print nothing but errors\n"
	       "  -h, --help             show this help\n\n"
	       "The header MAC of BUNDLE is checked; the payload is not decrypted here (run\n"
	       "'escrow verify OUT -i CLIENT_IDENTITY -p PUBKEY' to check it end to end).\n"
	       "Exit codes: 0 done, 1 no identity opens BUNDLE or its header was altered,\n"
	       "64 usage, 65 malformed bundle, identity or recipient, 66 cannot open input,\n"
	       "73 cannot create output, 74 I/O error.\n",
	       usage_line);
}

struct rewrap_args {
	const char *bundle, *out, *key;
	const char **idfiles;
	size_t n_idfiles;
	unsigned flags;
	escrow_recipients *rs;
};

static bool push_idfile(struct rewrap_args *a, const char *path)
{
	const char **v = realloc(a->idfiles, (a->n_idfiles + 1) * sizeof *v);

	if (v == NULL)
		return false;
	v[a->n_idfiles++] = path;
	a->idfiles = v;
	return true;
}

static int run(escrow_ctx *ctx, struct rewrap_args *a)
{
	escrow_identities *ids = NULL;
	escrow_seckey *sk = NULL;
	escrow_status st = ESCROW_OK;
	size_t i;
	int rc = 0;

	for (i = 0; i < a->n_idfiles && st == ESCROW_OK; i++)
		st = escrow_identities_load(ctx, a->idfiles[i], &ids);
	if (st == ESCROW_OK && a->key != NULL)
		st = cli_load_seckey(ctx, a->key, &sk);
	if (st == ESCROW_OK)
		st = escrow_rewrap(ctx, a->bundle, ids, a->rs, a->out, sk, a->flags);
	cli_progress_done();
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
	} else {
		if (!cli_quiet)
			printf("%s\n", cli_esc(a->out));
		cli_info("%s: sealed for the new recipients%s", a->out, sk ? ", signed in .minisig" : "");
	}
	escrow_seckey_free(sk);
	escrow_identities_free(ids);
	return rc;
}

int cmd_rewrap(int argc, char **argv)
{
	static const struct option opts[] = {
		{"identity", required_argument, NULL, 'i'}, {"recipient", required_argument, NULL, 'r'},
		{"recipients-file", required_argument, NULL, 'R'}, {"output", required_argument, NULL, 'o'},
		{"sign", required_argument, NULL, 's'},       {"force", no_argument, NULL, 'f'},
		{"quiet", no_argument, NULL, 'q'},            {"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0}};
	struct rewrap_args a;
	bool seen_o = false, seen_s = false, seen_f = false, seen_q = false;
	escrow_ctx *ctx = NULL;
	escrow_status st;
	int c, rc = 0;

	memset(&a, 0, sizeof a);
	opterr = 0;
	optind = 1;
	ctx = cli_ctx_new();
	if (ctx == NULL)
		return EX_SOFTWARE_;
	while ((c = getopt_long(argc, argv, ":i:r:R:o:s:fqh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			if (!push_idfile(&a, optarg)) {
				cli_error("out of memory");
				rc = EX_SOFTWARE_;
				goto out;
			}
			break;
		case 'r':
			st = escrow_recipients_add(ctx, optarg, &a.rs);
			if (st != ESCROW_OK) {
				rc = cli_fail(ctx, st);
				goto out;
			}
			break;
		case 'R':
			st = escrow_recipients_load(ctx, optarg, &a.rs);
			if (st != ESCROW_OK) {
				rc = cli_fail(ctx, st);
				goto out;
			}
			break;
		case 'o':
			if (!cli_once(&seen_o, "rewrap", usage_line, "-o")) {
				rc = EX_USAGE_;
				goto out;
			}
			a.out = optarg;
			break;
		case 's':
			if (!cli_once(&seen_s, "rewrap", usage_line, "-s")) {
				rc = EX_USAGE_;
				goto out;
			}
			a.key = optarg;
			break;
		case 'f':
			if (!cli_once(&seen_f, "rewrap", usage_line, "--force")) {
				rc = EX_USAGE_;
				goto out;
			}
			a.flags |= ESCROW_FORCE;
			break;
		case 'q':
			if (!cli_once(&seen_q, "rewrap", usage_line, "-q")) {
				rc = EX_USAGE_;
				goto out;
			}
			cli_quiet = true;
			break;
		case 'h':
			help();
			goto out;
		case ':':
			rc = cli_usage("rewrap", usage_line, "option %s needs an argument", argv[optind - 1]);
			goto out;
		default:
			rc = cli_usage("rewrap", usage_line, "unknown option '%s'", argv[optind - 1]);
			goto out;
		}
	}
	if (optind >= argc) {
		rc = cli_usage("rewrap", usage_line, "missing BUNDLE");
		goto out;
	}
	if (optind + 1 < argc) {
		rc = cli_usage("rewrap", usage_line, "unexpected argument '%s'", argv[optind + 1]);
		goto out;
	}
	a.bundle = argv[optind];
	if (a.n_idfiles == 0)
		rc = cli_usage("rewrap", usage_line, "missing -i IDENTITY (the identity that opens BUNDLE)");
	else if (a.rs == NULL)
		rc = cli_usage("rewrap", usage_line, "missing -r RECIPIENT or -R FILE (who the bundle is for now)");
	else if (a.out == NULL)
		rc = cli_usage("rewrap", usage_line, "missing -o OUT");
	else if (strcmp(a.bundle, "-") == 0 || strcmp(a.out, "-") == 0)
		rc = cli_usage("rewrap", usage_line, "rewrap reads and writes files, not '-'");
	else
		rc = run(ctx, &a);
out:
	escrow_recipients_free(a.rs);
	free(a.idfiles);
	cli_ctx_free(ctx);
	return rc;
}
