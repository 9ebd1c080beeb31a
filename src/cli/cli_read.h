/* cli_read.h -- what verify, extract and list share in the CLI. */
#ifndef ESCROW_CLI_READ_H
#define ESCROW_CLI_READ_H

#include "cli.h"

/* The keys and files every reading command may take; NULL fields are not
 * loaded. Returns ESCROW_OK or the failing status (the message is in ctx). */
struct cli_read_inputs {
	const char *pubkey, *contract;
	const char **identities;
	size_t n_identities;
};
struct cli_read_loaded {
	escrow_pubkey *key;
	escrow_contract *contract;
	escrow_identities *ids;
};
escrow_status cli_read_load(escrow_ctx *ctx, const struct cli_read_inputs *in, struct cli_read_loaded *out);
void cli_read_free(struct cli_read_loaded *l);

/* Prints the report (JSON, or text unless quiet) on stdout and, when the
 * verdict is not "verified", its reason on stderr as an error. Returns the
 * exit code for st. */
int cli_read_finish(escrow_ctx *ctx, escrow_status st, escrow_report *report, bool json);

#endif
