/* cli_read.h -- what verify, extract and list share in the CLI (check
 * prints its report with cli_read_print too). */
#ifndef ESCROW_CLI_READ_H
#define ESCROW_CLI_READ_H

#include "cli_opts.h"

/* A reading command: its name, usage line, help, its bit in the option table
 * (CLI_VERIFY, ...) and the check of its own options' arguments (may be
 * NULL). The shared options are -p, -c, -i, -j, --json, -q, -h. */
struct cli_read_cmd {
	const char *name, *usage;
	void (*help)(void);
	unsigned mask;
	int (*check)(enum cli_opt id, const char *arg);
};

/* One run of a reading command, from its arguments to its report. The
 * keys, contract and identities are loaded only when named (NULL fields). */
struct cli_read {
	const struct cli_read_cmd *cmd;
	struct cli_args args;              /* everything given, the command's own options too */
	const char *bundle, *pubkey, *contract;
	size_t n_identities;
	int threads;                       /* -j: threads decoding zstd frames; 0: all cores */
	bool json;
	escrow_ctx *ctx;
	escrow_pubkey *key;
	escrow_contract *loaded_contract;
	escrow_identities *ids;
	escrow_options *opts;              /* bundle, key, contract, identities set by cli_read_open */
	escrow_report *report;
};

/* Parses argv: the options, then exactly one non-empty BUNDLE. Returns -1
 * when the command may go on, else the exit code (0 after --help). The
 * command's own checks of what is missing come after. */
int cli_read_parse(struct cli_read *r, const struct cli_read_cmd *cmd, int argc, char **argv);
/* The context, the keys, contract and identities, and r->opts filled from
 * them. Returns -1 when the command may go on, else the exit code. */
int cli_read_open(struct cli_read *r);
/* Frees all of r (safe after a failed parse or open). */
void cli_read_end(struct cli_read *r);

/* ESCROW_NO_DIGEST when the report will not be shown (-q without --json):
 * the bundle's own SHA-256 is in the report only. 0 otherwise. */
unsigned cli_read_unshown(const struct cli_read *r);
/* Prints the report on stdout: JSON, or text unless quiet. Returns -1, or
 * the exit code when it could not (out of memory, stdout not writable). */
int cli_read_print(const escrow_report *report, bool json);
/* Prints r->report (JSON, or text unless quiet) on stdout and, when the
 * verdict is not "verified", its reason on stderr as an error. Returns the
 * exit code for st, the status of the command's run. */
int cli_read_finish(struct cli_read *r, escrow_status st);

#endif
