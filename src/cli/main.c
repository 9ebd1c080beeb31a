/* main.c -- the escrow command: dispatch to subcommands. */
#include "cli.h"

#include <stdio.h>
#include <string.h>

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *summary;
} commands[] = {
	{"init", cmd_init, "draft a contract (the deliverables list) from a project folder"},
	{"keygen", cmd_keygen, "make a signing key pair (minisign) or, with --age, an encryption key pair"},
	{"check", cmd_check, "check a project folder against the contract, before packing"},
	{"pack", cmd_pack, "pack a project folder into a signed, compressed, optionally sealed bundle"},
	{"verify", cmd_verify, "verify a bundle: signature, every byte, every deliverable"},
	{"list", cmd_list, "list the files of a bundle"},
	{"extract", cmd_extract, "verify and extract a bundle into a new folder, atomically"},
	{"rewrap", cmd_rewrap, "re-encrypt a sealed bundle for new recipients (the release)"},
	{"vault", cmd_vault, "the notary's desk: register contracts and keys, receive deposits"},
	{"receipt", cmd_receipt, "verify a receipt the vault signed ('escrow receipt verify')"},
	{"certificate", cmd_certificate, "write a certificate of a bundle or vault deposit (HTML, one A4 page)"},
};

static void usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: escrow COMMAND [OPTIONS]\n\n"
	           "Software and AI escrow: deposit, verify and release source, models and data.\n\n"
	           "Commands:\n");
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		fprintf(f, "  %-11s %s\n", commands[i].name, commands[i].summary);
	fprintf(f, "\nOptions:\n"
	           "  -h, --help     show this help\n"
	           "  -V, --version  show the version\n\n"
	           "Run 'escrow COMMAND --help' for a command's options. Exit codes: 0 success,\n"
	           "1 verification failed, 2 contract not met, 64 usage, 65 bad input data,\n"
	           "66 cannot open input, 70 internal, 73 cannot create output, 74 I/O error.\n"
	           "See escrow(1).\n");
}

int main(int argc, char **argv)
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return EX_USAGE_;
	}
	if (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "help") == 0) {
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
	for (i = 0; i < sizeof commands / sizeof commands[0]; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 1, argv + 1);
	cli_error("unknown command '%s'", argv[1]);
	fprintf(stderr, "try 'escrow --help'\n");
	return EX_USAGE_;
}
