/* cmd_certificate.c -- escrow certificate: the page a lawyer files. A bundle
 * is verified as escrow verify does and its report rendered, whatever the
 * verdict; a vault deposit is verified again from the vault's store. */
#include "cli_read.h"

#include <string.h>
#include <sys/stat.h>

static const char usage_line[] =
	"escrow certificate (BUNDLE -p PUBKEY [-c CONTRACT] [-i IDENTITY]... | --vault VAULT DEPOSIT) -o CERT.html "
	"[--lang en|fr] [--force] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Write a certificate of a deposit: one self-contained HTML page (no script, nothing\n"
	       "fetched) that prints on one A4 page. It names the parties, the contract and its\n"
	       "SHA-256, the bundle's SHA-256 and size, the signer's key id, the verdict and the\n"
	       "time, each deliverable and its status, the inventory by kind, the warnings, the\n"
	       "vault's receipt for a vault deposit, and how to check it all by hand with stock\n"
	       "tools (sha256sum, minisign, age, zstd, tar).\n\n"
	       "BUNDLE is verified first, as 'escrow verify' does, and the certificate says what\n"
	       "came out, whatever the verdict. With --vault, DEPOSIT (a number, or 8+ hex digits\n"
	       "of its SHA-256) is the vault's: its stored copy is verified again with the\n"
	       "contract version and agency key registered at receive (the vault's identity\n"
	       "opens a sealed one); when it cannot be, the verdict recorded at receive is\n"
	       "certified, and the certificate says which.\n\n"
	       "Options:\n"
	       "  -o, --output FILE    the certificate to write (required)\n"
	       "  -p, --pubkey FILE    the agency's public key (required for BUNDLE)\n"
	       "  -c, --contract FILE  the contract to check the deliverables against\n"
	       "  -i, --identity FILE  an age identity file for sealed bundles (repeatable)\n"
	       "      --vault VAULT    certify the vault's deposit DEPOSIT instead of a bundle\n"
	       "      --lang LANG      en (default) or fr\n"
	       "  -f, --force          replace FILE if it exists\n"
	       "      --progress MODE  auto (a bar on a terminal), bar, plain, json, none\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "Exit codes, as 'escrow verify': 0 verified; 2 incomplete; 1 tampered, bad-signature,\n"
	       "unsafe or not-opened; 65 not-a-bundle or a malformed key, contract or identity (in\n"
	       "these cases the certificate is written too and says so); 64 usage; 66 an input\n"
	       "cannot be opened; 73 the certificate exists or cannot be created; 74 I/O error.\n",
	       usage_line);
}

/* A verification outcome (the certificate is written), not an error. */
static bool is_verdict(escrow_status st)
{
	return (st >= ESCROW_OK && st <= ESCROW_NO_IDENTITY) || st == ESCROW_NOT_A_BUNDLE;
}

static int check_arg(enum cli_opt id, const char *arg)
{
	if (id == CLI_O_LANG && strcmp(arg, "en") != 0 && strcmp(arg, "fr") != 0)
		return cli_usage("certificate", usage_line, "--lang '%s': give en or fr", arg);
	if ((id == CLI_O_OUTPUT || id == CLI_O_VAULT) && *arg == '\0')
		return cli_usage("certificate", usage_line, "%s is empty", id == CLI_O_OUTPUT ? "-o" : "--vault");
	return -1;
}

/* The verdict a verification status stands for. */
static const char *verdict_of(escrow_status st)
{
	switch (st) {
	case ESCROW_OK: return "verified";
	case ESCROW_TAMPERED: return "tampered";
	case ESCROW_INCOMPLETE: return "incomplete";
	case ESCROW_BAD_SIGNATURE: return "bad-signature";
	case ESCROW_UNSAFE: return "unsafe";
	case ESCROW_NO_IDENTITY: return "not-opened";
	default: return "not-a-bundle";
	}
}

/* The result line on stdout, the verdict's reason (why, may be "") on
 * stderr, the exit code. */
static int done(escrow_ctx *ctx, escrow_status st, const char *out, const char *why)
{
	if (!is_verdict(st))
		return cli_fail(ctx, st);
	if (!cli_quiet && printf("certificate %s: %s\n", cli_esc(out), verdict_of(st)) < 0)
		return EX_IOERR_;
	if (st != ESCROW_OK)
		cli_error_lib(verdict_of(st), *why ? why : escrow_strerror(st));
	return cli_exit_code(st);
}

static int set(escrow_options *o, enum escrow_option opt, const char *v)
{
	escrow_status st = escrow_options_set_string(o, opt, v);

	return st == ESCROW_OK ? -1 : cli_opts_fail(o, st);
}

static int output_options(struct cli_read *r, escrow_options *o)
{
	int rc = set(o, ESCROW_OPT_OUTPUT, r->args.value[CLI_O_OUTPUT]);
	escrow_status st;

	if (rc < 0)
		rc = set(o, ESCROW_OPT_LANG, r->args.value[CLI_O_LANG]);
	if (rc < 0 && r->args.value[CLI_O_FORCE] != NULL) {
		st = escrow_options_set_int(o, ESCROW_OPT_FLAGS, ESCROW_FORCE);
		rc = st == ESCROW_OK ? -1 : cli_opts_fail(o, st);
	}
	return rc;
}

static int from_vault(struct cli_read *r)
{
	escrow_options *o = NULL;
	escrow_vault *v = NULL;
	escrow_report *rep = NULL;
	escrow_status st;
	int rc;

	r->ctx = cli_ctx_new();
	if (r->ctx == NULL)
		return EX_SOFTWARE_;
	o = escrow_options_new();
	if (o == NULL)
		return cli_opts_fail(NULL, ESCROW_E_NOMEM);
	rc = set(o, ESCROW_OPT_DEPOSIT, r->bundle);
	if (rc < 0)
		rc = output_options(r, o);
	if (rc < 0) {
		st = escrow_vault_open(r->ctx, r->args.value[CLI_O_VAULT], &v);
		if (st == ESCROW_OK)
			st = escrow_vault_certificate(v, o, &rep);
		cli_progress_done();
		rc = done(r->ctx, st, r->args.value[CLI_O_OUTPUT], escrow_ctx_error(r->ctx));
	}
	escrow_report_free(rep);
	escrow_vault_close(v);
	escrow_options_free(o);
	return rc;
}

static int from_bundle(struct cli_read *r)
{
	escrow_status st, ws;
	char why[1024];
	int rc = cli_read_open(r);

	if (rc < 0)
		rc = output_options(r, r->opts);
	if (rc >= 0)
		return rc;
	st = escrow_verify(r->ctx, r->opts, &r->report);
	cli_progress_done();
	if (r->report == NULL)
		return cli_fail(r->ctx, st);
	/* the verification's reason, kept while the certificate is written */
	snprintf(why, sizeof why, "%s", escrow_ctx_error(r->ctx));
	ws = escrow_certificate_write(r->ctx, r->opts, r->report);
	if (ws != ESCROW_OK)
		return cli_fail(r->ctx, ws);
	return done(r->ctx, st, r->args.value[CLI_O_OUTPUT], why);
}

int cmd_certificate(int argc, char **argv)
{
	static const struct cli_read_cmd cmd = {.name = "certificate", .usage = usage_line, .help = help,
	                                        .mask = CLI_CERT, .check = check_arg};
	struct cli_read r;
	struct stat sb;
	int rc = cli_read_parse(&r, &cmd, argc, argv);
	const char *out = r.args.value[CLI_O_OUTPUT];

	if (rc < 0 && out == NULL)
		rc = cli_usage("certificate", usage_line, "missing -o CERT.html (the certificate to write)");
	if (rc < 0 && r.args.value[CLI_O_VAULT] != NULL && (r.pubkey || r.contract || r.n_identities))
		rc = cli_usage("certificate", usage_line, "with --vault the deposit is checked with the vault's registered "
		               "contract, keys and identity: drop -p, -c and -i");
	if (rc < 0 && r.args.value[CLI_O_VAULT] == NULL && r.pubkey == NULL)
		rc = cli_usage("certificate", usage_line, "missing -p PUBKEY (the agency's public key)");
	if (rc < 0 && r.args.value[CLI_O_VAULT] == NULL && strcmp(r.bundle, "-") == 0)
		rc = cli_usage("certificate", usage_line, "BUNDLE must be a file: the certificate names its SHA-256");
	/* before a long verification: an existing certificate is kept unless --force */
	if (rc < 0 && r.args.value[CLI_O_FORCE] == NULL && lstat(out, &sb) == 0) {
		cli_error("%s: already exists (use --force to replace it)", out);
		rc = EX_CANTCREAT_;
	}
	if (rc < 0)
		rc = r.args.value[CLI_O_VAULT] != NULL ? from_vault(&r) : from_bundle(&r);
	cli_read_end(&r);
	return rc;
}
