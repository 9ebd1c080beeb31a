/* cmd_vault_audit.c -- escrow vault audit (fixity of the store) and escrow
 * vault log (the event log, its chain and the receipts checked). */
#include "cli_vault.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

void vault_audit_help(void)
{
	printf("usage: escrow vault audit VAULT [--full] [--sample PERCENT] [--max-duration SECONDS] [--json]\n\n"
	       "Check the store's fixity without the vault's identity: each stored bundle's\n"
	       "SHA-256 and size against the ledger, its detached signature (.minisig) against\n"
	       "the registered key that made it, store files that are missing, and files in\n"
	       "the store that no deposit names (strays, temporaries of killed receives). Each\n"
	       "bundle is read once. The run is recorded as one audit event with every result.\n"
	       "Deposits are taken least recently audited first.\n\n"
	       "Options:\n"
	       "      --full                 also verify each deposit completely, as receive did\n"
	       "                             (the vault's identity opens sealed ones): the verdict\n"
	       "                             must be the one recorded\n"
	       "      --sample PERCENT       check this percent of the deposits (1..100, rounded up)\n"
	       "      --max-duration SECONDS stop between deposits once this time is spent (the\n"
	       "                             next run goes on with the least recently audited)\n"
	       "      --json                 print the results as JSON\n"
	       "      --progress MODE        auto (a bar on a terminal), bar, plain, json, none\n"
	       "  -q, --quiet                print nothing but errors\n"
	       "  -h, --help                 show this help\n\n"
	       "Exit codes: 0 every deposit checked holds and the store has no stray file;\n"
	       "1 a deposit failed (each named: number, SHA-256 prefix, why) or strays were\n"
	       "found; 64 usage; 66 no vault; 74 I/O error or ledger server unreachable.\n");
}

void vault_log_help(void)
{
	printf("usage: escrow vault log VAULT [--verify] [--against RECEIPT.json] [--json]\n\n"
	       "Print the ledger's event log (number, time, kind, hash prefix, data).\n\n"
	       "Options:\n"
	       "      --verify          recompute the hash chain and check every receipt kept in\n"
	       "                        VAULT/receipts: its signature with the notary's key, and\n"
	       "                        its ledger head (event number and hash) still in the log\n"
	       "      --against RECEIPT check that receipt the same way: a rewritten log or a\n"
	       "                        deleted event after it is found and named\n"
	       "      --json            print JSON instead of text\n"
	       "  -q, --quiet           print nothing but errors\n"
	       "  -h, --help            show this help\n\n"
	       "Exit codes: 0 listed (and, with --verify or --against, everything holds); 1 the\n"
	       "log or a receipt was tampered with (the first bad event or receipt named);\n"
	       "64 usage; 65 a malformed receipt; 66 no vault or receipt.\n");
}

/* A whole number in lo..hi, or a usage error. */
static int int_arg(struct vrun *r, enum cli_opt id, const char *name, long lo, long hi, enum escrow_option opt)
{
	const char *s = r->a.value[id];
	char *end;
	long x;

	if (s == NULL)
		return -1;
	errno = 0;
	x = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || x < lo || x > hi)
		return cli_usage(r->spec->name, r->spec->usage, "%s '%s': give a whole number from %ld to %ld", name, s, lo,
		                 hi);
	return vault_set(r, escrow_options_set_int(r->o, opt, x));
}

/* The report on stdout, then the status as the exit code. */
static int finish(struct vrun *r, escrow_status st, char *out)
{
	int rc = vault_print(out);

	if (rc >= 0)
		return rc;
	return st == ESCROW_OK ? 0 : cli_fail(r->ctx, st);
}

int vault_audit(struct vrun *r)
{
	unsigned flags = (r->a.value[CLI_O_FULL] ? ESCROW_FULL : 0u) | (r->a.value[CLI_O_JSON] ? ESCROW_JSON : 0u);
	char *out = NULL;
	escrow_status st;
	int rc = int_arg(r, CLI_O_SAMPLE, "--sample", 1, 100, ESCROW_OPT_SAMPLE);

	if (rc < 0)
		rc = int_arg(r, CLI_O_MAX_DURATION, "--max-duration", 1, 1000000000L, ESCROW_OPT_MAX_SECONDS);
	if (rc < 0)
		rc = vault_open(r);
	if (rc >= 0)
		return rc;
	st = escrow_vault_audit(r->v, r->o, flags, &out);
	return finish(r, st, out);
}

int vault_log(struct vrun *r)
{
	unsigned flags = (r->a.value[CLI_O_VERIFY] ? ESCROW_VERIFY : 0u) | (r->a.value[CLI_O_JSON] ? ESCROW_JSON : 0u);
	char *out = NULL;
	escrow_status st;
	int rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_AGAINST, r->a.value[CLI_O_AGAINST]));

	if (rc < 0)
		rc = vault_open(r);
	if (rc >= 0)
		return rc;
	st = escrow_vault_log(r->v, r->o, flags, &out);
	return finish(r, st, out);
}
