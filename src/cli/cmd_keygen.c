/* cmd_keygen.c -- escrow keygen: a minisign signing key pair, or with --age
 * an age encryption key pair. */
#include "cli_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_line[] = "escrow keygen -o PREFIX [-W] [--age] [--passphrase-file FILE] [--force] [-q]";

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
	       "      --passphrase-file FILE  the passphrase: FILE's one line\n"
	       "  -f, --force          replace existing key files\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "The passphrase is read from --passphrase-file FILE (its one line), the file\n"
	       "ESCROW_PASSPHRASE_FILE names, the ESCROW_PASSPHRASE environment variable, or\n"
	       "asked twice on the terminal. Without --force, keygen never replaces a file:\n"
	       "if either output exists it writes neither (exit 73).\n"
	       "Exit codes: 0 done, 64 usage, 65 passphrase problem, 73 cannot create output.\n",
	       usage_line);
}

/* The age pair: PREFIX.age and PREFIX.age.pub. */
static int age_pair(escrow_ctx *ctx, const char *prefix, unsigned flags)
{
	escrow_status st = escrow_age_keygen(ctx, prefix, flags);

	if (st != ESCROW_OK)
		return cli_fail(ctx, st);
	if (!cli_quiet)
		printf("%s.age.pub\n", cli_esc(prefix));
	cli_info("identity written to %s.age (keep it secret)", prefix);
	return 0;
}

/* Before a passphrase is asked for: the outputs must not exist (without
 * --force) and their folder must be there and writable. The library checks
 * again when it writes; this only spares typing a passphrase twice for
 * nothing. Returns -1 to go on, else the exit code. */
static int check_outputs(const char *prefix, bool age, bool force)
{
	static const char *const sig_ext[] = {".key", ".pub"}, *const age_ext[] = {".age", ".age.pub"};
	const char *const *ext = age ? age_ext : sig_ext;
	const char *slash = strrchr(prefix, '/');
	char *dir, *path;
	int i, rc = -1;

	dir = slash == NULL ? strdup(".") : slash == prefix ? strdup("/") : strndup(prefix, (size_t)(slash - prefix));
	if (dir == NULL) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	if (access(dir, F_OK) != 0) {
		cli_error("%s: no such folder (make it first, or choose another -o PREFIX)", dir);
		rc = EX_CANTCREAT_;
	} else if (access(dir, W_OK | X_OK) != 0) {
		cli_error("%s: cannot write in this folder: %s", dir, strerror(errno));
		rc = EX_CANTCREAT_;
	}
	for (i = 0; i < 2 && rc < 0 && !force; i++) {
		path = malloc(strlen(prefix) + strlen(ext[i]) + 1);
		if (path == NULL) {
			cli_error("out of memory");
			rc = EX_SOFTWARE_;
			break;
		}
		memcpy(path, prefix, strlen(prefix));
		memcpy(path + strlen(prefix), ext[i], strlen(ext[i]) + 1);
		if (access(path, F_OK) == 0 || errno != ENOENT) {
			cli_error("%s: already exists (use --force to replace the key pair)", path);
			rc = EX_CANTCREAT_;
		}
		free(path);
	}
	free(dir);
	return rc;
}

/* The minisign pair: PREFIX.key (with a passphrase unless unencrypted) and
 * PREFIX.pub, whose key id is printed. */
static int signing_pair(escrow_ctx *ctx, const char *prefix, bool unencrypted, unsigned flags)
{
	const char *pass = NULL;
	escrow_pubkey *pk = NULL;
	char *pub = NULL, id[17];
	escrow_status st;
	int rc = 0;

	if (!unencrypted) {
		pass = cli_passphrase("Passphrase: ", true);
		if (pass == NULL)
			return EX_DATAERR_;
		if (*pass == '\0') {
			cli_error("the passphrase is empty (use -W for a key without one)");
			return EX_DATAERR_;
		}
	}
	st = escrow_keygen(ctx, prefix, pass, flags);
	cli_passphrase_wipe();
	if (st != ESCROW_OK)
		return cli_fail(ctx, st);
	pub = malloc(strlen(prefix) + sizeof ".pub");
	if (pub == NULL) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	memcpy(pub, prefix, strlen(prefix));
	memcpy(pub + strlen(prefix), ".pub", sizeof ".pub");
	st = escrow_pubkey_load(ctx, pub, &pk);
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
	} else {
		escrow_pubkey_id(pk, id);
		if (!cli_quiet)
			printf("%s\nkey id %s\n", cli_esc(pub), id);
		cli_info("secret key written to %s.key (%s)", prefix,
		         unencrypted ? "unencrypted: keep it secret" : "protected by the passphrase");
	}
	escrow_pubkey_free(pk);
	free(pub);
	return rc;
}

int cmd_keygen(int argc, char **argv)
{
	static const struct cli_cmd_spec spec = {.name = "keygen", .usage = usage_line, .mask = CLI_KEYGEN,
	                                         .help = help};
	struct cli_args a;
	const char *prefix;
	escrow_ctx *ctx;
	unsigned flags;
	bool age, unencrypted;
	int rc = cli_args_parse(&a, &spec, argc, argv);

	prefix = a.value[CLI_O_OUTPUT];
	age = a.value[CLI_O_AGE] != NULL;
	unencrypted = a.value[CLI_O_UNENCRYPTED] != NULL;
	flags = a.value[CLI_O_FORCE] != NULL ? ESCROW_FORCE : 0;
	cli_args_free(&a);
	if (rc >= 0)
		return rc;
	if (prefix == NULL || *prefix == '\0')
		return cli_usage("keygen", usage_line, "missing -o PREFIX");
	if (age && unencrypted)
		return cli_usage("keygen", usage_line, "-W applies to signing keys; age identities are never encrypted");
	rc = check_outputs(prefix, age, (flags & ESCROW_FORCE) != 0);
	if (rc >= 0)
		return rc;
	ctx = cli_ctx_new();
	if (ctx == NULL)
		return EX_SOFTWARE_;
	rc = age ? age_pair(ctx, prefix, flags) : signing_pair(ctx, prefix, unencrypted, flags);
	cli_ctx_free(ctx);
	return rc;
}
