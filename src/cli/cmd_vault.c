/* cmd_vault.c -- escrow vault: the notary's desk. This file dispatches the
 * subcommands and holds the registrations (init, contract add, key add, key
 * revoke); receive, list and show are in cmd_vault_desk.c. */
#include "cli_vault.h"

#include <stdlib.h>
#include <string.h>

static const char u_init[] = "escrow vault init VAULT -s NOTARY.key [-i NOTARY.age] [--ledger URL] [--json] [-q]";
static const char u_contract[] = "escrow vault contract add VAULT CONTRACT.yaml [-p AGENCY.pub]... [--json] [-q]";
static const char u_key_add[] = "escrow vault key add VAULT CONTRACT_ID -p AGENCY.pub... [--json] [-q]";
static const char u_revoke[] = "escrow vault key revoke VAULT KEY_ID [--reason TEXT] [--json] [-q]";
static const char u_receive[] = "escrow vault receive VAULT BUNDLE [-o RECEIPT.json] [--json] [-q]";
static const char u_list[] = "escrow vault list VAULT [--contract ID] [--json]";
static const char u_show[] = "escrow vault show VAULT DEPOSIT [--json]";
static const char u_audit[] = "escrow vault audit VAULT [--full] [--sample PERCENT] [--max-duration SECONDS] [--json]";
static const char u_log[] = "escrow vault log VAULT [--verify] [--against RECEIPT.json] [--json]";

static void help_init(void)
{
	printf("usage: %s\n\n"
	       "Make a new vault folder: vault.json (what the vault remembers), the store\n"
	       "(store/sha256/), receipts/, and the ledger (ledger.sqlite, or the PostgreSQL\n"
	       "database --ledger names). The notary's key id is recorded and the key file's\n"
	       "path remembered: receive signs receipts with it.\n\n"
	       "Options:\n"
	       "  -s, --seckey FILE    the notary's minisign secret key (required)\n"
	       "  -i, --identity FILE  the notary's age identity, to open sealed deposits\n"
	       "      --ledger URL     a postgresql:// URL or libpq conninfo for the ledger\n"
	       "      --json           print the outcome as JSON\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "Exit codes: 0 made; 64 usage; 65 a malformed key; 66 a key cannot be read;\n"
	       "73 VAULT exists and is not empty, or cannot be made; 74 the ledger's server\n"
	       "cannot be reached.\n",
	       u_init);
}

static void help_contract(void)
{
	printf("usage: %s\n\n"
	       "Register a contract (its text and SHA-256) after parsing and checking it, with\n"
	       "the agency keys that may sign its deposits. A contract id registered already\n"
	       "gets a new version (an amendment); the same text again is refused.\n\n"
	       "Options:\n"
	       "  -p, --pubkey FILE  an agency's public key (repeatable)\n"
	       "      --json       print the outcome as JSON\n"
	       "  -q, --quiet        print nothing but errors\n"
	       "  -h, --help         show this help\n\n"
	       "Exit codes: 0 registered; 64 usage; 65 a malformed contract or key; 66 a file\n"
	       "or the vault cannot be opened; 73 this text or key is registered already.\n",
	       u_contract);
}

static void help_key_add(void)
{
	printf("usage: %s\n\n"
	       "Register agency keys for a registered contract (a key rotation).\n\n"
	       "Options:\n"
	       "  -p, --pubkey FILE  an agency's public key (repeatable, at least one)\n"
	       "      --json       print the outcome as JSON\n"
	       "  -q, --quiet        print nothing but errors\n"
	       "  -h, --help         show this help\n\n"
	       "Exit codes: 0 registered; 64 usage; 65 a malformed key; 66 the contract is not\n"
	       "registered, or a file cannot be opened; 73 the key is registered already.\n",
	       u_key_add);
}

static void help_revoke(void)
{
	printf("usage: %s\n\n"
	       "Revoke an agency key (16 hex digits, as 'minisign' prints it) for every contract\n"
	       "it serves: deposits it signs from now on are refused (bad-signature).\n\n"
	       "Options:\n"
	       "      --reason TEXT  why, recorded with the event\n"
	       "      --json       print the outcome as JSON\n"
	       "  -q, --quiet        print nothing but errors\n"
	       "  -h, --help         show this help\n\n"
	       "Exit codes: 0 revoked; 64 usage; 66 the key is not registered or revoked already.\n",
	       u_revoke);
}

static int run_init(struct vrun *r)
{
	size_t n = cli_args_count(&r->a, CLI_O_IDENTITY);
	escrow_status st;
	int rc;

	if (r->a.value[CLI_O_SECKEY] == NULL)
		return cli_usage(r->spec->name, r->spec->usage, "missing -s NOTARY.key (the notary's secret key)");
	if (n > 1)
		return cli_usage(r->spec->name, r->spec->usage, "option -i given twice (the vault keeps one identity)");
	rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_NOTARY_KEY, r->a.value[CLI_O_SECKEY]));
	if (rc < 0 && n == 1)
		rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_NOTARY_IDENTITY, r->a.list[0].value));
	if (rc < 0)
		rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_LEDGER, r->a.value[CLI_O_LEDGER]));
	if (rc >= 0)
		return rc;
	st = escrow_vault_init(r->ctx, r->a.operands[0], r->o);
	if (st != ESCROW_OK)
		return cli_fail(r->ctx, st);
	if (vault_json(r, "escrow-vault-init/1")) {
		printf(",\n  \"notary_key\": ");
		cli_json_string(stdout, r->a.value[CLI_O_SECKEY]);
		printf(",\n  \"identity\": ");
		cli_json_string(stdout, n == 1 ? r->a.list[0].value : NULL);
		printf(",\n  \"ledger\": \"%s\"\n}\n", r->a.value[CLI_O_LEDGER] ? "postgresql" : "sqlite");
	}
	cli_info("vault %s made", r->a.operands[0]);
	return 0;
}

static int set_keys(struct vrun *r)
{
	size_t i;
	int rc = -1;

	for (i = 0; i < r->a.n && rc < 0; i++)
		if (r->a.list[i].id == CLI_O_AGENCY_KEY)
			rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_KEY_FILE, r->a.list[i].value));
	return rc;
}

static int run_contract(struct vrun *r)
{
	escrow_result *res = NULL;
	escrow_status st;
	int rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_CONTRACT_FILE, r->a.operands[1]));

	if (rc < 0)
		rc = set_keys(r);
	if (rc < 0)
		rc = vault_open(r);
	if (rc >= 0)
		return rc;
	st = escrow_vault_contract_add(r->v, r->o, &res);
	if (st != ESCROW_OK)
		return cli_fail(r->ctx, st);
	if (vault_json(r, "escrow-vault-contract-add/1")) {
		printf(",\n  \"file\": ");
		cli_json_string(stdout, r->a.operands[1]);
		printf(",\n  \"contract\": ");
		cli_json_string(stdout, escrow_result_string(res, ESCROW_RESULT_CONTRACT_ID));
		printf(",\n  \"version\": %llu,\n  \"event\": %llu,\n  \"keys\": %zu\n}\n",
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_VERSION),
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ),
		       cli_args_count(&r->a, CLI_O_AGENCY_KEY));
	}
	cli_info("contract %s registered, version %llu (event %llu), with %zu key(s)",
	         escrow_result_string(res, ESCROW_RESULT_CONTRACT_ID),
	         (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_VERSION),
	         (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ),
	         cli_args_count(&r->a, CLI_O_AGENCY_KEY));
	escrow_result_free(res);
	return 0;
}

static int run_key_add(struct vrun *r)
{
	escrow_result *res = NULL;
	escrow_status st;
	int rc = -1;

	if (cli_args_count(&r->a, CLI_O_AGENCY_KEY) == 0)
		return cli_usage(r->spec->name, r->spec->usage, "missing -p AGENCY.pub");
	rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_CONTRACT_ID, r->a.operands[1]));
	if (rc < 0)
		rc = set_keys(r);
	if (rc < 0)
		rc = vault_open(r);
	if (rc >= 0)
		return rc;
	st = escrow_vault_key_add(r->v, r->o, &res);
	if (st != ESCROW_OK)
		return cli_fail(r->ctx, st);
	if (vault_json(r, "escrow-vault-key-add/1")) {
		printf(",\n  \"contract\": ");
		cli_json_string(stdout, r->a.operands[1]);
		printf(",\n  \"event\": %llu,\n  \"keys\": %zu\n}\n",
		       (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ),
		       cli_args_count(&r->a, CLI_O_AGENCY_KEY));
	}
	cli_info("key(s) registered for contract %s (event %llu)", r->a.operands[1],
	         (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ));
	escrow_result_free(res);
	return 0;
}

static int run_revoke(struct vrun *r)
{
	escrow_result *res = NULL;
	escrow_status st;
	int rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_KEY_ID, r->a.operands[1]));

	if (rc < 0)
		rc = vault_set(r, escrow_options_set_string(r->o, ESCROW_OPT_REASON, r->a.value[CLI_O_REASON]));
	if (rc < 0)
		rc = vault_open(r);
	if (rc >= 0)
		return rc;
	st = escrow_vault_key_revoke(r->v, r->o, &res);
	if (st != ESCROW_OK)
		return cli_fail(r->ctx, st);
	if (vault_json(r, "escrow-vault-key-revoke/1")) {
		printf(",\n  \"key_id\": ");
		cli_json_string(stdout, r->a.operands[1]);
		printf(",\n  \"reason\": ");
		cli_json_string(stdout, r->a.value[CLI_O_REASON]);
		printf(",\n  \"event\": %llu\n}\n", (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ));
	}
	cli_info("key %s revoked (event %llu)", r->a.operands[1],
	         (unsigned long long)escrow_result_u64(res, ESCROW_RESULT_EVENT_SEQ));
	escrow_result_free(res);
	return 0;
}

static const struct vcmd {
	const char *w1, *w2;
	struct cli_cmd_spec spec;
	int (*run)(struct vrun *r);
} vcmds[] = {
	{"init", NULL, {"vault init", u_init, CLI_V_INIT, help_init, NULL, 1, "missing VAULT"}, run_init},
	{"contract", "add", {"vault contract add", u_contract, CLI_V_CONTRACT, help_contract, NULL, 2,
	                     "missing VAULT or CONTRACT.yaml"}, run_contract},
	{"key", "add", {"vault key add", u_key_add, CLI_V_KEY_ADD, help_key_add, NULL, 2,
	                "missing VAULT or CONTRACT_ID"}, run_key_add},
	{"key", "revoke", {"vault key revoke", u_revoke, CLI_V_KEY_REVOKE, help_revoke, NULL, 2,
	                   "missing VAULT or KEY_ID"}, run_revoke},
	{"receive", NULL, {"vault receive", u_receive, CLI_V_RECEIVE, vault_receive_help, NULL, 2,
	                   "missing VAULT or BUNDLE"}, vault_receive},
	{"list", NULL, {"vault list", u_list, CLI_V_LIST, vault_list_help, NULL, 1, "missing VAULT"}, vault_list},
	{"show", NULL, {"vault show", u_show, CLI_V_SHOW, vault_show_help, NULL, 2, "missing VAULT or DEPOSIT"},
	 vault_show},
	{"audit", NULL, {"vault audit", u_audit, CLI_V_AUDIT, vault_audit_help, NULL, 1, "missing VAULT"}, vault_audit},
	{"log", NULL, {"vault log", u_log, CLI_V_LOG, vault_log_help, NULL, 1, "missing VAULT"}, vault_log},
	{"release", NULL, {"vault release", VAULT_RELEASE_USAGE, CLI_V_RELEASE, vault_release_help, NULL, 2,
	                   "missing VAULT or CONTRACT_ID"}, vault_release},
};
#define N_VCMDS (sizeof vcmds / sizeof vcmds[0])

static void vault_usage(FILE *f)
{
	size_t i;

	fprintf(f, "usage: escrow vault SUBCOMMAND ...\n\nThe notary's desk (docs/VAULT.md):\n");
	for (i = 0; i < N_VCMDS; i++)
		fprintf(f, "  %s\n", vcmds[i].spec.usage);
	fprintf(f, "\nOptions (each with the subcommands that take it):\n"
	           "  -s, --seckey FILE    init: the notary's minisign secret key\n"
	           "  -i, --identity FILE  init: the notary's age identity (opens sealed deposits)\n"
	           "      --ledger URL     init: a PostgreSQL ledger instead of SQLite in VAULT\n"
	           "  -p, --pubkey FILE    contract add, key add: an agency's public key\n"
	           "      --reason TEXT    key revoke: why\n"
	           "  -o, --output FILE    receive: the receipt; release: the release\n"
	           "      --contract ID    list: only this contract's deposits\n"
	           "      --json           print the outcome as JSON (docs/JSON.md)\n"
	           "      --full           audit: verify each deposit completely\n"
	           "      --sample PERCENT audit: check this percent, least recently audited first\n"
	           "      --max-duration S audit: stop between deposits after S seconds\n"
	           "      --verify         log: recompute the chain, check the kept receipts\n"
	           "      --against FILE   log: check a receipt's ledger head is in the log\n"
	           "      --event EVENT    release: bankruptcy, acquisition, end-of-support, other\n"
	           "      --evidence FILE  release: the court order or notice\n"
	           "  -r, --recipient AGE1  release: the client's age recipient\n"
	           "  -R, --recipients-file FILE  release: the client's recipients, one a line\n"
	           "      --deposit DEPOSIT  release: the deposit (default: the latest accepted)\n"
	           "  -f, --force          release: replace OUT and its record\n"
	           "      --progress MODE  receive, audit: auto, bar, plain, json, none\n"
	           "  -q, --quiet          print nothing but errors\n"
	           "  -h, --help           show the help\n\n"
	           "Run 'escrow vault SUBCOMMAND --help' for one subcommand's options and exit\n"
	           "codes. Exit codes: 0 done (receive: verified, now or before); 1 and 2\n"
	           "as escrow verify's, for a deposit refused; 64 usage; 65 bad input; 66 cannot\n"
	           "open; 73 cannot create or exists; 74 I/O error or ledger server unreachable.\n");
}

const char *cli_vault_sub(size_t i, const char **w2, unsigned *mask)
{
	if (i >= N_VCMDS)
		return NULL;
	*w2 = vcmds[i].w2;
	*mask = vcmds[i].spec.mask;
	return vcmds[i].w1;
}

/* "unknown vault subcommand 'recieve' (did you mean 'receive'?)" */
static void unknown_sub(int argc, char **argv)
{
	const char *words[N_VCMDS + 1], *best = NULL, *w1 = argv[1];
	size_t i, n = 0;
	bool first_known = false;

	for (i = 0; i < N_VCMDS; i++)
		first_known |= strcmp(vcmds[i].w1, w1) == 0;
	for (i = 0; i < N_VCMDS; i++) {
		const char *w = first_known ? vcmds[i].w2 : vcmds[i].w1;

		if (w == NULL || (first_known && strcmp(vcmds[i].w1, w1) != 0))
			continue;
		if (n == 0 || strcmp(words[n - 1], w) != 0)
			words[n++] = w;
	}
	words[n] = NULL;
	if (first_known && argc >= 3)
		best = escrow_suggest(argv[2], words);
	else if (!first_known)
		best = escrow_suggest(w1, words);
	if (first_known && argc < 3)
		cli_error("'vault %s' needs a subcommand: %s%s%s", w1, words[0], n > 1 ? " or " : "", n > 1 ? words[1] : "");
	else if (best != NULL)
		cli_error("unknown vault subcommand '%s%s%s' (did you mean '%s%s%s'?)", w1, first_known ? " " : "",
		          first_known ? argv[2] : "", first_known ? w1 : "", first_known ? " " : "", best);
	else
		cli_error("unknown vault subcommand '%s%s%s'", argv[1], argc >= 3 && argv[2][0] != '-' ? " " : "",
		          argc >= 3 && argv[2][0] != '-' ? argv[2] : "");
}

static int run(const struct vcmd *c, int argc, char **argv)
{
	struct vrun r = {.spec = &c->spec};
	int rc = cli_args_parse(&r.a, &c->spec, argc, argv);

	if (rc < 0) {
		r.ctx = cli_ctx_new();
		r.o = escrow_options_new();
		if (r.ctx == NULL || r.o == NULL)
			rc = r.ctx == NULL ? EX_SOFTWARE_ : cli_opts_fail(NULL, ESCROW_E_NOMEM);
	}
	if (rc < 0)
		rc = c->run(&r);
	escrow_vault_close(r.v);
	escrow_options_free(r.o);
	cli_ctx_free(r.ctx);
	cli_args_free(&r.a);
	return rc;
}

int cmd_vault(int argc, char **argv)
{
	size_t i;

	if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		vault_usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? EX_USAGE_ : 0;
	}
	for (i = 0; i < N_VCMDS; i++) {
		if (strcmp(argv[1], vcmds[i].w1) != 0)
			continue;
		if (vcmds[i].w2 == NULL)
			return run(&vcmds[i], argc - 1, argv + 1);
		if (argc >= 3 && strcmp(argv[2], vcmds[i].w2) == 0)
			return run(&vcmds[i], argc - 2, argv + 2);
	}
	cli_json_command("vault");
	unknown_sub(argc, argv);
	vault_usage(stderr);
	return EX_USAGE_;
}
