/* cmd_vault_desk.c -- escrow vault receive, list and show: a deposit taken in
 * (stored, verified, recorded, receipted), and what the vault holds. */
#include "cli_vault.h"

#include <stdlib.h>
#include <string.h>

void vault_receive_help(void)
{
	printf("usage: escrow vault receive VAULT BUNDLE [-o RECEIPT.json] [--json] [-q]\n\n"
	       "Take a deposit in: store BUNDLE (and BUNDLE.minisig) in the vault by its SHA-256,\n"
	       "verify it against the registered contract it names and that contract's\n"
	       "registered, unrevoked agency keys (a sealed bundle with the vault's identity),\n"
	       "record it and its receive event in the ledger, accepted or refused, and write\n"
	       "the receipt: an in-toto Statement with a SLSA Verification Summary, signed with\n"
	       "the notary's key in RECEIPT.json.minisig ('minisign -Vm RECEIPT.json -p\n"
	       "NOTARY.pub' checks it). A bundle already in the vault is said so, never\n"
	       "stored twice, and exits as it did then (0 accepted, else its verdict's code).\n"
	       "Another bundle of a release the vault holds (same contract, name and release)\n"
	       "is recorded too, with a warning naming the deposit that holds that release.\n\n"
	       "Options:\n"
	       "  -o, --output FILE  the receipt (default VAULT/receipts/SHA256.json); must not exist\n"
	       "      --json         print the outcome as JSON\n"
	       "      --progress MODE auto (a bar on a terminal), bar, plain, json, none\n"
	       "  -q, --quiet        print nothing but errors\n"
	       "  -h, --help         show this help\n\n"
	       "Exit codes, as escrow verify's: 0 verified (receipt PASSED); 2 incomplete; 1\n"
	       "tampered, bad-signature (also: signed by a key that is not registered for the\n"
	       "contract, or revoked), unsafe, not-opened (each recorded, receipt FAILED); 65\n"
	       "the bundle names no registered contract (nothing recorded) or is no bundle;\n"
	       "64 usage; 66 the vault or bundle cannot be opened; 73 the receipt exists;\n"
	       "74 I/O error or the ledger's server cannot be reached.\n");
}

void vault_list_help(void)
{
	printf("usage: escrow vault list VAULT [--contract ID] [--json]\n\n"
	       "List the deposits the vault holds, accepted or refused, oldest first.\n\n"
	       "Options:\n"
	       "      --contract ID  only this contract's deposits\n"
	       "      --json         print JSON instead of text\n"
	       "  -q, --quiet        print nothing but errors\n"
	       "  -h, --help         show this help\n\n"
	       "Exit codes: 0 listed; 1 a row shown was edited in the database (marked\n"
	       "'(edited)'; 'escrow vault log --verify' shows it); 64 usage; 65 a vault of a\n"
	       "newer version; 66 no vault.\n");
}

void vault_show_help(void)
{
	printf("usage: escrow vault show VAULT DEPOSIT [--json]\n\n"
	       "Show one deposit: DEPOSIT is its number (fewer than 8 digits) or at least 8 hex\n"
	       "digits of its bundle's SHA-256.\n\n"
	       "Options:\n"
	       "      --json     print JSON instead of text\n"
	       "  -q, --quiet    print nothing but errors\n"
	       "  -h, --help     show this help\n\n"
	       "Exit codes: 0 shown; 1 the row was edited in the database (shown, with an\n"
	       "'edited' line naming what differs from its receive event); 64 usage, or a\n"
	       "prefix that matches several deposits; 66 no such deposit, or no vault.\n");
}

/* docs/schema/escrow-vault-receive-1.schema.json: a bundle in the vault
 * already has no new contract or receipt (null); its verdict is the one
 * recorded. */
static void receive_json(const escrow_result *res, const char *receipt, bool existing)
{
	const char *verdict = escrow_result_string(res, ESCROW_RESULT_VERDICT);
	const char *contract = escrow_result_string(res, ESCROW_RESULT_CONTRACT_ID);

	cli_stdout_used();
	printf("{\"schema\": \"escrow-vault-receive/1\", \"deposit\": %llu, \"existing\": %s, \"sha256\": \"%s\", "
	       "\"verdict\": ", (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DEPOSIT_ID),
	       existing ? "true" : "false", escrow_result_string(res, ESCROW_RESULT_SHA256));
	cli_json_string(stdout, *verdict ? verdict : NULL);
	printf(", \"contract\": ");
	cli_json_string(stdout, *contract ? contract : NULL);
	printf(", \"event\": %llu, \"receipt\": ", (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ));
	cli_json_string(stdout, existing ? NULL : receipt);
	if (escrow_result_u64(res, ESCROW_RESULT_SAME_RELEASE) == 0) {
		printf(", \"same_release\": null");
	} else {
		printf(", \"same_release\": {\"deposit\": %llu, \"sha256\": ",
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_SAME_RELEASE));
		cli_json_string(stdout, escrow_result_string(res, ESCROW_RESULT_SAME_RELEASE_SHA256));
		printf(", \"verdict\": ");
		cli_json_string(stdout, escrow_result_string(res, ESCROW_RESULT_SAME_RELEASE_VERDICT));
		printf(", \"count\": %llu}", (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_SAME_RELEASE_COUNT));
	}
	if (escrow_result_u64(res, ESCROW_RESULT_DIFF_PREVIOUS) == 0)
		printf(", \"diff\": null}\n");
	else
		printf(", \"diff\": {\"previous\": %llu, \"added\": %llu, \"removed\": %llu, \"changed\": %llu, "
		       "\"renamed\": %llu, \"regressions\": %llu}}\n",
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_PREVIOUS),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_ADDED),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_REMOVED),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_CHANGED),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_RENAMED),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_REGRESSIONS));
}

static void receive_print(struct vrun *r, const escrow_result *res, const char *receipt, bool json)
{
	bool existing = escrow_result_u64(res, ESCROW_RESULT_EXISTING) != 0;
	unsigned long long id = (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DEPOSIT_ID);

	if (json) {
		receive_json(res, receipt, existing);
		return;
	}
	if (existing) {
		const char *verdict = escrow_result_string(res, ESCROW_RESULT_VERDICT);

		if (cli_quiet)
			return;
		printf("%s is in vault %s already, as deposit %llu", cli_esc(r->a.operands[1]),
		       cli_esc(r->a.operands[0]), id);
		if (*verdict && strcmp(verdict, "verified") != 0)
			printf(", refused at receive (%s)", cli_esc(verdict));
		printf(": nothing stored twice, no new receipt\n");
		return;
	}
	if (cli_quiet)
		return;
	printf("deposit %llu: %s\ncontract: %s\nsha256: %s\nreceipt: %s (signed in .minisig)\n", id,
	       cli_esc(escrow_result_string(res, ESCROW_RESULT_VERDICT)),
	       cli_esc(escrow_result_string(res, ESCROW_RESULT_CONTRACT_ID)),
	       escrow_result_string(res, ESCROW_RESULT_SHA256), cli_esc(receipt));
	if (escrow_result_u64(res, ESCROW_RESULT_DIFF_PREVIOUS) != 0) {
		unsigned long long reg = (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_REGRESSIONS);

		printf("since deposit %llu: %llu added, %llu removed, %llu changed, %llu renamed; %llu regression%s%s\n",
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_PREVIOUS),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_ADDED),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_REMOVED),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_CHANGED),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_DIFF_RENAMED), reg, reg == 1 ? "" : "s",
		       reg ? " (deliverables ok before and not now: the receipt names them)" : "");
	}
	if (escrow_result_u64(res, ESCROW_RESULT_SAME_RELEASE) != 0)
		printf("same release as deposit %llu (%s, sha256 %.16s): another bundle; both are recorded\n",
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_SAME_RELEASE),
		       cli_esc(escrow_result_string(res, ESCROW_RESULT_SAME_RELEASE_VERDICT)),
		       escrow_result_string(res, ESCROW_RESULT_SAME_RELEASE_SHA256));
}

int vault_receive(struct vrun *r)
{
	escrow_result *res = NULL;
	escrow_report *rep = NULL;
	escrow_seckey *sk = NULL;
	char *receipt = NULL;
	escrow_status st;
	int rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_BUNDLE, r->a.operands[1]));

	if (rc < 0)
		rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_RECEIPT, r->a.value[CLI_O_OUTPUT]));
	if (rc < 0)
		rc = vault_open(r);
	if (rc < 0 && (st = cli_load_seckey(r->ctx, escrow_vault_notary_key(r->v), &sk)) != ESCROW_OK)
		rc = cli_fail(r->ctx, st);
	if (rc < 0)
		rc = vault_set(r, escrow_options_set_seckey(r->o, ESCROW_OPT_SIGNING_KEY, sk));
	if (rc >= 0)
		goto out;
	st = escrow_vault_receive(r->v, r->o, &res, &rep);
	/* refused before anything was recorded (not a bundle, no contract the
	 * vault knows): an error, no deposit to print */
	if (res == NULL || (st != ESCROW_OK && escrow_result_u64(res, ESCROW_RESULT_DEPOSIT_ID) == 0)) {
		rc = cli_fail(r->ctx, st);
		goto out;
	}
	if (st != ESCROW_OK)
		cli_error_lib(escrow_result_string(res, ESCROW_RESULT_VERDICT), escrow_ctx_error(r->ctx));
	receipt = r->a.value[CLI_O_OUTPUT] ? strdup(r->a.value[CLI_O_OUTPUT]) : NULL;
	if (receipt == NULL) {
		size_t n = strlen(r->a.operands[0]) + 100;

		receipt = malloc(n);
		if (receipt != NULL)
			snprintf(receipt, n, "%s/receipts/%s.json", r->a.operands[0],
			         escrow_result_string(res, ESCROW_RESULT_SHA256));
	}
	receive_print(r, res, receipt ? receipt : "?", r->a.value[CLI_O_JSON] != NULL);
	rc = cli_exit_code(st);
out:
	free(receipt);
	escrow_report_free(rep);
	escrow_result_free(res);
	escrow_seckey_free(sk);
	return rc;
}

int vault_list(struct vrun *r)
{
	char *out = NULL;
	escrow_status st;
	int rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_CONTRACT_ID, r->a.value[CLI_O_CONTRACT_ID]));

	if (rc < 0)
		rc = vault_open(r);
	if (rc >= 0)
		return rc;
	st = escrow_vault_list(r->v, r->o, r->a.value[CLI_O_JSON] ? ESCROW_JSON : 0, &out);
	rc = vault_print(out); /* with an edited row (ESCROW_TAMPERED) too, marked */
	if (st != ESCROW_OK)
		return cli_fail(r->ctx, st);
	return rc < 0 ? 0 : rc;
}

int vault_show(struct vrun *r)
{
	char *out = NULL;
	escrow_status st;
	int rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_DEPOSIT, r->a.operands[1]));

	if (rc < 0)
		rc = vault_open(r);
	if (rc >= 0)
		return rc;
	st = escrow_vault_show(r->v, r->o, r->a.value[CLI_O_JSON] ? ESCROW_JSON : 0, &out);
	rc = vault_print(out); /* with an edited row (ESCROW_TAMPERED) too, marked */
	if (st != ESCROW_OK)
		return cli_fail(r->ctx, st);
	return rc < 0 ? 0 : rc;
}
