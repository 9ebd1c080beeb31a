/* cli_read.c -- what verify, extract and list share: their common options
 * and BUNDLE argument, loading keys, contract and identities, and printing
 * the report (which check does too). Each command keeps its own usage line,
 * help and checks. */
#include "cli_read.h"

#include <stdlib.h>
#include <string.h>

int cli_read_parse(struct cli_read *r, const struct cli_read_cmd *cmd, int argc, char **argv)
{
	const struct cli_cmd_spec spec = {.name = cmd->name, .usage = cmd->usage, .mask = cmd->mask,
	                                  .help = cmd->help, .check = cmd->check, .n_operands = 1,
	                                  .missing = "missing BUNDLE (a file, or - for standard input)"};
	int rc;

	memset(r, 0, sizeof *r);
	r->cmd = cmd;
	rc = cli_args_parse(&r->args, &spec, argc, argv);
	if (rc >= 0)
		return rc;
	r->bundle = r->args.operands[0];
	r->pubkey = r->args.value[CLI_O_PUBKEY];
	r->contract = r->args.value[CLI_O_CONTRACT];
	r->n_identities = cli_args_count(&r->args, CLI_O_IDENTITY);
	r->json = r->args.value[CLI_O_JSON] != NULL;
	if (*r->bundle == '\0')
		return cli_usage(cmd->name, cmd->usage, "BUNDLE is empty");
	if (r->args.value[CLI_O_THREADS] != NULL) {
		const char *s = r->args.value[CLI_O_THREADS];
		char *end;
		long v = strtol(s, &end, 10);

		if (*s < '0' || *s > '9' || *end != '\0' || v < 1 || v > 256)
			return cli_usage(cmd->name, cmd->usage, "-j %s: a thread count from 1 to 256", s);
		r->threads = (int)v;
	}
	return -1;
}

int cli_read_open(struct cli_read *r)
{
	escrow_status st = ESCROW_OK;
	size_t i;

	r->ctx = cli_ctx_new();
	if (r->ctx == NULL)
		return EX_SOFTWARE_;
	if (r->threads > 0)
		escrow_ctx_set_threads(r->ctx, r->threads);
	if (r->pubkey != NULL)
		st = escrow_pubkey_load(r->ctx, r->pubkey, &r->key);
	if (st == ESCROW_OK && r->contract != NULL)
		st = escrow_contract_load(r->ctx, r->contract, &r->loaded_contract);
	for (i = 0; st == ESCROW_OK && i < r->args.n; i++)
		if (r->args.list[i].id == CLI_O_IDENTITY)
			st = escrow_identities_load(r->ctx, r->args.list[i].value, &r->ids);
	if (st != ESCROW_OK)
		return cli_fail(r->ctx, st);
	r->opts = escrow_options_new();
	if (r->opts == NULL)
		return cli_opts_fail(NULL, ESCROW_E_NOMEM);
	st = escrow_options_set_string(r->opts, ESCROW_OPT_BUNDLE, r->bundle);
	if (st == ESCROW_OK)
		st = escrow_options_set_pubkey(r->opts, ESCROW_OPT_PUBLIC_KEY, r->key);
	if (st == ESCROW_OK)
		st = escrow_options_set_contract(r->opts, ESCROW_OPT_CONTRACT, r->loaded_contract);
	if (st == ESCROW_OK)
		st = escrow_options_set_identities(r->opts, ESCROW_OPT_IDENTITIES, r->ids);
	return st == ESCROW_OK ? -1 : cli_opts_fail(r->opts, st);
}

void cli_read_end(struct cli_read *r)
{
	escrow_report_free(r->report);
	escrow_options_free(r->opts);
	escrow_pubkey_free(r->key);
	escrow_contract_free(r->loaded_contract);
	escrow_identities_free(r->ids);
	cli_ctx_free(r->ctx);
	cli_args_free(&r->args);
	memset(r, 0, sizeof *r);
}

static int put_stdout(void *user, const void *buf, size_t len)
{
	(void)user;
	return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

unsigned cli_read_unshown(const struct cli_read *r)
{
	return cli_quiet && !r->json ? ESCROW_NO_DIGEST : 0;
}

int cli_read_print(const escrow_report *report, bool json)
{
	escrow_status st = ESCROW_OK;

	if (json)
		cli_stdout_used();
	/* written as it is made: the list of a million files is hundreds of MB */
	if (json || !cli_quiet)
		st = escrow_report_write(report, json ? ESCROW_REPORT_JSON : 0, put_stdout, NULL);
	if (st == ESCROW_E_NOMEM || st == ESCROW_E_USAGE) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	if (st == ESCROW_OK && json)
		fputc('\n', stdout);
	if (fflush(stdout) != 0 || st != ESCROW_OK) {
		cli_error("cannot write the report to stdout");
		return EX_IOERR_;
	}
	return -1;
}

int cli_read_finish(struct cli_read *r, escrow_status st)
{
	int rc;

	cli_progress_done();
	if (r->report == NULL)
		return cli_fail(r->ctx, st);
	rc = cli_read_print(r->report, r->json);
	if (rc >= 0)
		return rc;
	if (st != ESCROW_OK) {
		/* The library leaves the report's reason in ctx too. */
		const char *why = escrow_ctx_error(r->ctx);

		cli_error_lib(escrow_report_verdict(r->report), *why ? why : escrow_strerror(st));
	}
	return cli_exit_code(st);
}
