/* cli_read.c -- what verify, extract and list share: their common options
 * and BUNDLE argument, loading keys, contract and identities, and printing
 * the report (which check does too). Each command keeps its own usage line,
 * help and checks. */
#include "cli_read.h"

#include <stdlib.h>
#include <string.h>

static const struct option shared_longopts[] = {
	{"pubkey", required_argument, NULL, 'p'},   {"contract", required_argument, NULL, 'c'},
	{"identity", required_argument, NULL, 'i'}, {"json", no_argument, NULL, CLI_READ_OPT_JSON},
	{"quiet", no_argument, NULL, 'q'},          {"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0}};

/* Returns -1 when option c was taken, else the exit code. */
static int take_shared(struct cli_read *r, int c, char **argv)
{
	const char *name = r->cmd->name, *usage = r->cmd->usage;

	switch (c) {
	case 'p':
		if (!cli_once(&r->seen.p, name, usage, "-p"))
			return EX_USAGE_;
		r->pubkey = optarg;
		return -1;
	case 'c':
		if (!cli_once(&r->seen.c, name, usage, "-c"))
			return EX_USAGE_;
		r->contract = optarg;
		return -1;
	case 'i':
		r->identities[r->n_identities++] = optarg;
		return -1;
	case CLI_READ_OPT_JSON:
		if (!cli_once(&r->seen.json, name, usage, "--json"))
			return EX_USAGE_;
		r->json = true;
		return -1;
	case 'q':
		if (!cli_once(&r->seen.q, name, usage, "-q"))
			return EX_USAGE_;
		cli_quiet = true;
		return -1;
	case 'h':
		r->cmd->help();
		return 0;
	case ':':
		return cli_usage(name, usage, "option %s needs an argument", argv[optind - 1]);
	default:
		return cli_usage(name, usage, "unknown option '%s'", argv[optind - 1]);
	}
}

int cli_read_parse(struct cli_read *r, const struct cli_read_cmd *cmd, int argc, char **argv)
{
	const char *shortopts = cmd->shortopts != NULL ? cmd->shortopts : ":p:c:i:qh";
	const struct option *longopts = cmd->longopts != NULL ? cmd->longopts : shared_longopts;

	memset(r, 0, sizeof *r);
	r->cmd = cmd;
	/* -i may be given as often as there are arguments. */
	r->identities = calloc((size_t)argc + 1, sizeof *r->identities);
	if (r->identities == NULL) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	opterr = 0;
	optind = 1;
	for (;;) {
		int c = getopt_long(argc, argv, shortopts, longopts, NULL);
		int rc = CLI_READ_NOT_MINE;

		if (c == -1)
			break;
		if (cmd->take != NULL)
			rc = cmd->take(cmd->user, c, optarg);
		if (rc == CLI_READ_NOT_MINE)
			rc = take_shared(r, c, argv);
		if (rc != -1)
			return rc;
	}
	if (optind >= argc)
		return cli_usage(cmd->name, cmd->usage, "missing BUNDLE (a file, or - for standard input)");
	if (optind + 1 < argc)
		return cli_usage(cmd->name, cmd->usage, "unexpected argument '%s'", argv[optind + 1]);
	r->bundle = argv[optind];
	if (*r->bundle == '\0')
		return cli_usage(cmd->name, cmd->usage, "BUNDLE is empty");
	return -1;
}

int cli_read_open(struct cli_read *r)
{
	escrow_status st = ESCROW_OK;
	size_t i;

	r->ctx = cli_ctx_new();
	if (r->ctx == NULL)
		return EX_SOFTWARE_;
	if (r->pubkey != NULL)
		st = escrow_pubkey_load(r->ctx, r->pubkey, &r->key);
	if (st == ESCROW_OK && r->contract != NULL)
		st = escrow_contract_load(r->ctx, r->contract, &r->loaded_contract);
	for (i = 0; st == ESCROW_OK && i < r->n_identities; i++)
		st = escrow_identities_load(r->ctx, r->identities[i], &r->ids);
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
	free(r->identities);
	memset(r, 0, sizeof *r);
}

static int put_stdout(void *user, const void *buf, size_t len)
{
	(void)user;
	return fwrite(buf, 1, len, stdout) == len ? 0 : -1;
}

int cli_read_print(const escrow_report *report, bool json)
{
	escrow_status st = ESCROW_OK;

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
