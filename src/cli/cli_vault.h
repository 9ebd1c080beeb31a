/* cli_vault.h -- what escrow vault's subcommands share (cmd_vault*.c). */
#ifndef ESCROW_CLI_VAULT_H
#define ESCROW_CLI_VAULT_H

#include "cli_opts.h"

/* One run of a vault subcommand: its arguments, a context, the options
 * object, and the vault once opened (operand 0). */
struct vrun {
	const struct cli_cmd_spec *spec;
	struct cli_args a;
	escrow_ctx *ctx;
	escrow_options *o;
	escrow_vault *v;
};

/* The vault operand opened into r->v: -1 to go on, else the exit code. */
int vault_open(struct vrun *r);
/* A setter's status: -1 when ESCROW_OK, else the exit code (message printed). */
int vault_set(struct vrun *r, escrow_status st);
/* With --json: the start of the command's JSON object on stdout ("schema",
 * "command", "vault"; the caller adds its members and the closing "}\n"),
 * and true. Without: false. */
bool vault_json(struct vrun *r, const char *schema);
/* Prints out (may be NULL) on stdout and frees it; -1, or the exit code when
 * stdout cannot be written. */
int vault_print(char *out);

int vault_receive(struct vrun *r);
int vault_list(struct vrun *r);
int vault_show(struct vrun *r);
void vault_receive_help(void);
void vault_list_help(void);
void vault_show_help(void);
/* cmd_vault_audit.c */
int vault_audit(struct vrun *r);
int vault_log(struct vrun *r);
void vault_audit_help(void);
void vault_log_help(void);

/* escrow vault release (cmd_vault_release.c) */
#define VAULT_RELEASE_USAGE "escrow vault release VAULT CONTRACT_ID --event EVENT --evidence FILE " \
	"(-r RECIPIENT | -R FILE)... -o OUT [--deposit DEPOSIT] [--force] [--json] [-q]"
int vault_release(struct vrun *r);
void vault_release_help(void);

#endif
