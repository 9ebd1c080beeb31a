/* main.c -- the escrow command: dispatch to subcommands. */
#include "cli_opts.h"

#include <stdio.h>
#include <string.h>

static int cmd_help(int argc, char **argv);
static int completion(int argc, char **argv);

static const struct {
	const char *name;
	int (*fn)(int, char **);
	unsigned mask;
	const char *summary;
} commands[] = {
	{"init", cmd_init, CLI_INIT, "draft a contract (the deliverables list) from a project folder"},
	{"keygen", cmd_keygen, CLI_KEYGEN, "make a signing key pair (minisign) or, with --age, an encryption key pair"},
	{"check", cmd_check, CLI_CHECK, "check a project folder against the contract, before packing"},
	{"pack", cmd_pack, CLI_PACK, "pack a project folder into a signed, compressed, optionally sealed bundle"},
	{"verify", cmd_verify, CLI_VERIFY, "verify a bundle: signature, every byte, every deliverable"},
	{"list", cmd_list, CLI_LIST, "list the files of a bundle"},
	{"diff", cmd_diff, CLI_DIFF, "what changed between two deposits, per deliverable"},
	{"extract", cmd_extract, CLI_EXTRACT, "verify and extract a bundle into a new folder, atomically"},
	{"rewrap", cmd_rewrap, CLI_REWRAP, "re-encrypt a sealed bundle for new recipients (the release)"},
	{"vault", cmd_vault, 0, "the notary's desk: register contracts and keys, receive deposits"},
	{"receipt", cmd_receipt, CLI_RECEIPT, "verify a receipt the vault signed ('escrow receipt verify')"},
	{"certificate", cmd_certificate, CLI_CERT, "write a certificate of a bundle or vault deposit (HTML, one A4 page)"},
	{"help", cmd_help, 0, "show the help of a command ('escrow help pack', 'escrow help vault receive')"},
	{"completion", completion, 0, "print a shell completion script ('escrow completion bash|zsh|fish')"},
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

/* escrow completion: the scripts are written from this table. */
static int completion(int argc, char **argv)
{
	struct cli_command c[N_COMMANDS];
	size_t i;

	for (i = 0; i < N_COMMANDS; i++) {
		c[i].name = commands[i].name;
		c[i].mask = commands[i].mask;
	}
	return cmd_completion(argc, argv, c, N_COMMANDS);
}

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: escrow COMMAND [OPTIONS]\n\n"
	           "Software and AI escrow: deposit, verify and release source, models and data.\n\n"
	           "Commands:\n");
	for (i = 0; i < N_COMMANDS; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
	           "  -h, --help     show this help\n"
	           "  -V, --version  show the version\n\n"
	           "Run 'escrow help COMMAND' or 'escrow COMMAND --help' for a command's options.\n"
	           "Exit codes: 0 success, 1 verification failed, 2 contract not met, 64 usage,\n"
	           "65 bad input data, 66 cannot open input, 70 internal, 73 cannot create output,\n"
	           "74 I/O error. See escrow(1).\n");
}

/* The command named name, or -1 after "unknown command" (with a suggestion). */
static int find(const char *name)
{
	const char *names[N_COMMANDS + 1], *best;
	size_t i;

	for (i = 0; i < N_COMMANDS; i++) {
		if (strcmp(name, commands[i].name) == 0)
			return (int)i;
		names[i] = commands[i].name;
	}
	names[N_COMMANDS] = NULL;
	cli_json_command(NULL);
	best = escrow_suggest(name, names);
	if (best != NULL)
		cli_error("unknown command '%s' (did you mean '%s'?)", name, best);
	else
		cli_error("unknown command '%s'", name);
	fprintf(stderr, "try 'escrow --help'\n");
	return -1;
}

/* escrow help [COMMAND [SUBCOMMAND...]]: the command's --help. */
static int cmd_help(int argc, char **argv)
{
	char *args[8];
	int i, k;

	if (argc < 2) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		printf("usage: escrow help [COMMAND [SUBCOMMAND]]\n\n"
		       "Show a command's help, as 'escrow COMMAND --help' does ('escrow help pack',\n"
		       "'escrow help vault receive'); without COMMAND, the list of commands.\n\n"
		       "Options:\n"
		       "  -h, --help  show this help\n");
		return 0;
	}
	if (argc > 5)
		return cli_usage("help", "escrow help [COMMAND [SUBCOMMAND]]", "too many arguments");
	k = find(argv[1]);
	if (k < 0)
		return EX_USAGE_;
	if (commands[k].fn == cmd_help) {
		usage(stdout);
		return 0;
	}
	for (i = 1; i < argc; i++)
		args[i - 1] = argv[i];
	args[argc - 1] = (char *)"--help";
	args[argc] = NULL;
	return commands[k].fn(argc, args);
}

static int run(int argc, char **argv)
{
	int k;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0) {
		usage(stdout);
		return 0;
	}
	if (strcmp(argv[1], "-V") == 0 || strcmp(argv[1], "--version") == 0) {
		/* The library's version too when the one linked is not the one
		 * this program was built with (a shared libescrow updated alone). */
		if (escrow_version_number() == ESCROW_VERSION_NUMBER)
			printf("escrow %s\n", ESCROW_VERSION);
		else
			printf("escrow %s (libescrow %s)\n", ESCROW_VERSION, escrow_version_string());
		return 0;
	}
	if (escrow_init() != ESCROW_OK) {
		cli_error("cannot initialise libsodium");
		return EX_SOFTWARE_;
	}
	k = find(argv[1]);
	if (k < 0)
		return EX_USAGE_;
	return commands[k].fn(argc - 1, argv + 1);
}

int main(int argc, char **argv)
{
	cli_json_begin(argc, argv);
	return cli_json_end(run(argc, argv));
}
