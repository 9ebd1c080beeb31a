/* cmd_vault_release.c -- escrow vault release: a deposit handed to the
 * client on a recorded triggering event, with its evidence and a signed
 * release record. */
#include "cli_read.h"
#include "cli_vault.h"

#include <stdlib.h>
#include <string.h>

void vault_release_help(void)
{
	printf("usage: %s\n\n"
	       "Release a deposit of CONTRACT_ID to the client on a triggering event. The deposit\n"
	       "is the latest accepted (verified) one of the contract, or --deposit; it is\n"
	       "verified in full and rewrapped for the client's recipients with the vault's\n"
	       "identity, as 'escrow rewrap' does, into OUT (and OUT.minisig, by the notary).\n"
	       "The evidence document is stored in the vault by its SHA-256, the release event\n"
	       "(event, evidence SHA-256, recipients, deposit, OUT's SHA-256) recorded in the\n"
	       "ledger, and the release record OUT.release.json written, signed in\n"
	       "OUT.release.json.minisig ('minisign -Vm OUT.release.json -p NOTARY.pub').\n\n"
	       "Options:\n"
	       "      --event EVENT       bankruptcy, acquisition, end-of-support or other (required)\n"
	       "      --evidence FILE     the court order or notice (required)\n"
	       "  -r, --recipient AGE1    the client's age recipient (repeatable)\n"
	       "  -R, --recipients-file FILE  recipients, one age1... a line (repeatable)\n"
	       "  -o, --output OUT        the release (required)\n"
	       "      --deposit DEPOSIT   a deposit number, or 8+ hex digits of its SHA-256\n"
	       "  -f, --force             replace OUT and its record\n"
	       "      --json              print the outcome as JSON (when the deposit no longer\n"
	       "                          verifies: the rewrap report)\n"
	       "  -q, --quiet             print nothing but errors\n"
	       "  -h, --help              show this help\n\n"
	       "Exit codes: 0 released; 1 or 2 the deposit no longer verifies (as escrow\n"
	       "verify's: nothing written, nothing recorded); 64 usage (an unknown event);\n"
	       "65 the deposit named was refused at receive, the vault has no identity, a bad\n"
	       "recipient; 66 unknown contract, no accepted deposit, the evidence cannot be\n"
	       "read; 73 OUT exists (use --force); 74 I/O error or ledger unreachable.\n",
	       VAULT_RELEASE_USAGE);
}

static int check_args(struct vrun *r)
{
	if (r->a.value[CLI_O_EVENT] == NULL)
		return cli_usage(r->spec->name, r->spec->usage,
		                 "missing --event EVENT (bankruptcy, acquisition, end-of-support or other)");
	if (r->a.value[CLI_O_EVIDENCE] == NULL)
		return cli_usage(r->spec->name, r->spec->usage, "missing --evidence FILE (the court order or notice)");
	if (cli_args_count(&r->a, CLI_O_RECIPIENT) + cli_args_count(&r->a, CLI_O_RECIPIENTS_FILE) == 0)
		return cli_usage(r->spec->name, r->spec->usage, "missing -r RECIPIENT or -R FILE (the client's)");
	if (r->a.value[CLI_O_OUTPUT] == NULL || strcmp(r->a.value[CLI_O_OUTPUT], "-") == 0)
		return cli_usage(r->spec->name, r->spec->usage, "missing -o OUT (a file)");
	return -1;
}

static int set_strings(struct vrun *r)
{
	int rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_CONTRACT_ID, r->a.operands[1]));

	if (rc < 0)
		rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_EVENT, r->a.value[CLI_O_EVENT]));
	if (rc < 0)
		rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_EVIDENCE, r->a.value[CLI_O_EVIDENCE]));
	if (rc < 0)
		rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_OUTPUT, r->a.value[CLI_O_OUTPUT]));
	if (rc < 0)
		rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_DEPOSIT, r->a.value[CLI_O_DEPOSIT]));
	if (rc < 0)
		rc = vault_set(r, escrow_options_set_int(r->o, ESCROW_OPT_FLAGS, r->a.value[CLI_O_FORCE] ? ESCROW_FORCE : 0));
	return rc;
}

/* -r and -R in the order given. */
static escrow_status recipients(struct vrun *r, escrow_recipients **rs)
{
	escrow_status st = ESCROW_OK;
	size_t i;

	for (i = 0; i < r->a.n && st == ESCROW_OK; i++) {
		if (r->a.list[i].id == CLI_O_RECIPIENT)
			st = escrow_recipients_add(r->ctx, r->a.list[i].value, rs);
		else if (r->a.list[i].id == CLI_O_RECIPIENTS_FILE)
			st = escrow_recipients_load(r->ctx, r->a.list[i].value, rs);
	}
	return st;
}

/* docs/schema/escrow-vault-release-1.schema.json */
static void release_json(struct vrun *r, const escrow_result *res)
{
	const char *out = r->a.value[CLI_O_OUTPUT];
	char *record;
	size_t i;
	bool first = true;

	printf(",\n  \"contract\": ");
	cli_json_string(stdout, r->a.operands[1]);
	printf(",\n  \"deposit\": %llu,\n  \"event\": %llu,\n  \"trigger\": ",
	       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DEPOSIT_ID),
	       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ));
	cli_json_string(stdout, r->a.value[CLI_O_EVENT]);
	printf(",\n  \"evidence\": ");
	cli_json_string(stdout, r->a.value[CLI_O_EVIDENCE]);
	printf(",\n  \"recipients\": [");
	for (i = 0; i < r->a.n; i++)
		if (r->a.list[i].id == CLI_O_RECIPIENT || r->a.list[i].id == CLI_O_RECIPIENTS_FILE) {
			printf("%s{\"%s\": ", first ? "" : ", ", r->a.list[i].id == CLI_O_RECIPIENT ? "recipient" : "file");
			cli_json_string(stdout, r->a.list[i].value);
			printf("}");
			first = false;
		}
	printf("],\n  \"source_sha256\": \"%s\",\n  \"output\": ", escrow_result_string(res, ESCROW_RESULT_SOURCE_SHA256));
	cli_json_string(stdout, out);
	printf(",\n  \"sha256\": \"%s\",\n  \"size\": %llu,\n  \"record\": ", escrow_result_string(res, ESCROW_RESULT_SHA256),
	       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_BYTES_OUT));
	record = malloc(strlen(out) + sizeof ".release.json");
	if (record != NULL)
		snprintf(record, strlen(out) + sizeof ".release.json", "%s.release.json", out);
	cli_json_string(stdout, record ? record : "?");
	printf("\n}\n");
	free(record);
}

int vault_release(struct vrun *r)
{
	escrow_result *res = NULL;
	escrow_report *rep = NULL;
	escrow_recipients *rs = NULL;
	escrow_seckey *sk = NULL;
	escrow_status st;
	int rc = check_args(r);

	if (rc < 0)
		rc = set_strings(r);
	if (rc < 0 && (st = recipients(r, &rs)) != ESCROW_OK)
		rc = cli_fail(r->ctx, st);
	if (rc < 0)
		rc = vault_set(r, escrow_options_set_recipients(r->o, ESCROW_OPT_RECIPIENTS, rs));
	if (rc < 0)
		rc = vault_open(r);
	if (rc < 0 && (st = cli_load_seckey(r->ctx, escrow_vault_notary_key(r->v), &sk)) != ESCROW_OK)
		rc = cli_fail(r->ctx, st);
	if (rc < 0)
		rc = vault_set(r, escrow_options_set_seckey(r->o, ESCROW_OPT_SIGNING_KEY, sk));
	if (rc >= 0)
		goto out;
	st = escrow_vault_release(r->v, r->o, &res, &rep);
	if (st != ESCROW_OK) {
		/* With --json, the report of the verification that failed. */
		if (rep != NULL && r->a.value[CLI_O_JSON] != NULL && (rc = cli_read_print(rep, true)) >= 0)
			goto out; /* stdout could not be written */
		if (rep != NULL)
			cli_error_lib(escrow_report_verdict(rep), escrow_ctx_error(r->ctx));
		rc = rep != NULL ? cli_exit_code(st) : cli_fail(r->ctx, st);
		if (rep != NULL)
			cli_info("nothing was released");
		goto out;
	}
	if (vault_json(r, "escrow-vault-release/1"))
		release_json(r, res);
	else if (!cli_quiet)
		printf("released deposit %llu of %s (event %llu)\nrelease: %s\nsha256: %s\nrecord: %s.release.json "
		       "(signed in .minisig)\n",
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DEPOSIT_ID), cli_esc(r->a.operands[1]),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ),
		       cli_esc(r->a.value[CLI_O_OUTPUT]), escrow_result_string(res, ESCROW_RESULT_SHA256),
		       cli_esc(r->a.value[CLI_O_OUTPUT]));
	rc = 0;
out:
	escrow_report_free(rep);
	escrow_result_free(res);
	escrow_seckey_free(sk);
	escrow_recipients_free(rs);
	return rc;
}
