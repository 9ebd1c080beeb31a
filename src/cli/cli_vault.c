/* cli_vault.c -- small helpers the vault subcommands share (cmd_vault.c,
 * cmd_vault_desk.c), kept apart so that neither file calls the other back. */
#include "cli_vault.h"

#include <stdlib.h>
#include <string.h>

int vault_set(struct vrun *r, escrow_status st)
{
	return st == ESCROW_OK ? -1 : cli_opts_fail(r->o, st);
}

int vault_open(struct vrun *r)
{
	escrow_status st = escrow_vault_open(r->ctx, r->a.operands[0], &r->v);

	return st == ESCROW_OK ? -1 : cli_fail(r->ctx, st);
}

bool vault_json(struct vrun *r, const char *schema)
{
	if (r->a.value[CLI_O_JSON] == NULL)
		return false;
	cli_stdout_used();
	printf("{\n  \"schema\": \"%s\",\n  \"command\": \"%s\",\n  \"vault\": ", schema, r->spec->name);
	cli_json_string(stdout, r->a.operands[0]);
	return true;
}

int vault_print(char *out)
{
	int rc = -1;

	if (out != NULL)
		cli_stdout_used();
	if (out != NULL && (fputs(out, stdout) == EOF || (*out && out[strlen(out) - 1] != '\n' && putchar('\n') == EOF)))
		rc = EX_IOERR_;
	free(out);
	return rc;
}
