/* cli_read.c -- loading keys, contract and identities, and printing the
 * report, for verify, extract and list. */
#include "cli_read.h"

#include <stdlib.h>
#include <string.h>

escrow_status cli_read_load(escrow_ctx *ctx, const struct cli_read_inputs *in, struct cli_read_loaded *out)
{
	escrow_status st = ESCROW_OK;
	size_t i;

	memset(out, 0, sizeof *out);
	if (in->pubkey != NULL)
		st = escrow_pubkey_load(ctx, in->pubkey, &out->key);
	if (st == ESCROW_OK && in->contract != NULL)
		st = escrow_contract_load(ctx, in->contract, &out->contract);
	for (i = 0; st == ESCROW_OK && i < in->n_identities; i++)
		st = escrow_identities_load(ctx, in->identities[i], &out->ids);
	return st;
}

void cli_read_free(struct cli_read_loaded *l)
{
	escrow_pubkey_free(l->key);
	escrow_contract_free(l->contract);
	escrow_identities_free(l->ids);
	memset(l, 0, sizeof *l);
}

int cli_read_finish(escrow_ctx *ctx, escrow_status st, escrow_report *report, bool json)
{
	char *out = NULL;
	int rc;

	cli_progress_done();
	if (report == NULL)
		return cli_fail(ctx, st);
	rc = cli_exit_code(st);
	if (json)
		out = escrow_report_json(report);
	else if (!cli_quiet)
		out = escrow_report_text(report);
	if ((json || !cli_quiet) && out == NULL) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	if (out != NULL) {
		fputs(out, stdout);
		if (json)
			fputc('\n', stdout);
		free(out);
	}
	if (fflush(stdout) != 0) {
		cli_error("cannot write the report to stdout");
		return EX_IOERR_;
	}
	if (strcmp(escrow_report_verdict(report), "verified") != 0) {
		/* The library leaves the report's reason in ctx too. */
		const char *why = escrow_ctx_error(ctx);

		cli_error("%s: %s", escrow_report_verdict(report), *why ? why : escrow_strerror(st));
	}
	return rc;
}
