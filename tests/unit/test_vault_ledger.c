/* test_vault_ledger.c -- the vault's ledger (vault_ledger*.c) on SQLite, and on
 * PostgreSQL when ESCROW_TEST_PG holds a conninfo (ctest unit_vault_ledger_pg
 * runs it on the server tests/pg.sh starts): opening, creating, migrating and
 * refusing; contracts, keys and deposits with their events, each change and
 * its event committed together or not at all; the errors an unreachable
 * server or a file that is not a database give. */
#include "ledger_raw.h"
#include "esc_vault_ledger.h"

static const char contract_v2[] = "escrow-contract: 1\ncontract: CLAIMS-2026-03\ndeliverables: [] # amended\n";

static void test_open_create_reopen(void **state)
{
	esc_ledger *l = NULL;

	(void)state;
	expect_err(esc_ledger_open(ctx, vault, pg, 0, &l), ESCROW_E_OPEN, "vault init");
	assert_null(l);
	l = open_ok(ESC_LEDGER_CREATE);
	assert_int_equal(esc_ledger_schema_version(l), ESC_LEDGER_SCHEMA);
	assert_string_equal(esc_ledger_backend(l), pg ? "postgresql" : "sqlite");
	esc_ledger_close(l);
	l = open_ok(0);
	assert_int_equal(esc_ledger_schema_version(l), ESC_LEDGER_SCHEMA);
	esc_ledger_close(l);
	raw_open();
	assert_int_equal(raw_num("SELECT value FROM ledger_meta WHERE name = 'schema_version'"), ESC_LEDGER_SCHEMA);
	if (pg == NULL) {
		char *mode = raw_str("PRAGMA journal_mode");

		assert_string_equal(mode, "wal");
		free(mode);
	}
}

/* A migration that fails leaves nothing of itself: here a table of the same
 * name is in the way; once it is gone the same open succeeds. */
static void test_migration_atomic(void **state)
{
	esc_ledger *l = NULL;

	(void)state;
	if (pg == NULL) {
		char *path = esc_path_join(vault, ESC_LEDGER_FILE);
		FILE *f = fopen(path, "w");

		assert_non_null(f);
		fclose(f);
		free(path);
	}
	raw_open();
	raw_exec("CREATE TABLE deposits (x TEXT)");
	expect_err(esc_ledger_open(ctx, vault, pg, ESC_LEDGER_CREATE, &l), ESCROW_E_INTERNAL, "changing the schema");
	assert_null(l);
	assert_int_equal(raw_num(pg ? "SELECT count(*) FROM pg_tables WHERE tablename = 'ledger_meta'" :
	                              "SELECT count(*) FROM sqlite_master WHERE name = 'ledger_meta'"), 0);
	raw_exec("DROP TABLE deposits");
	l = open_ok(ESC_LEDGER_CREATE);
	esc_ledger_close(l);
}

static void test_newer_schema_refused(void **state)
{
	esc_ledger *l = open_ok(ESC_LEDGER_CREATE);

	(void)state;
	esc_ledger_close(l);
	l = NULL;
	raw_open();
	raw_exec("UPDATE ledger_meta SET value = '4' WHERE name = 'schema_version'");
	expect_err(esc_ledger_open(ctx, vault, pg, 0, &l), ESCROW_E_INPUT, "schema version 4, newer than this escrow");
	assert_null(l);
	raw_exec("UPDATE ledger_meta SET value = 'two' WHERE name = 'schema_version'");
	expect_err(esc_ledger_open(ctx, vault, pg, 0, &l), ESCROW_E_INPUT, "not a number");
	assert_null(l);
}

/* A schema-2 ledger, made with the schema-2 migrations verbatim and holding a
 * deposit as the schema-2 code recorded it, is brought to 3 on open: its
 * deposit's minisig_stored is NULL (not known), a new deposit records it. */
#define ZERO64 "0000000000000000000000000000000000000000000000000000000000000000"

static void test_migration_3(void **state)
{
	enum esc_lq_kind kind = pg ? ESC_LQ_PG : ESC_LQ_SQLITE;
	struct esc_deposit d = deposit(SHA_B, "verified", NULL);
	esc_ledger *l;

	(void)state;
	raw_open();
	raw_exec(esc_ledger_migration(kind, 1));
	raw_exec(esc_ledger_migration(kind, 2));
	raw_exec("UPDATE ledger_meta SET value = '2' WHERE name = 'schema_version'");
	raw_exec("INSERT INTO events (seq, kind, recorded_at, body, prev_hash, hash) VALUES (1, 'receive', "
	         "'2026-01-01T00:00:00Z', '{}', '" ZERO64 "', '" SHA_A "')");
	raw_exec("INSERT INTO deposits (id, contract_id, bundle_sha256, bundle_size, verdict, deliverables, "
	         "received_at, store_path, event_seq) VALUES (1, 'CLAIMS-2026-03', '" SHA_A "', 1, 'verified', '{}', "
	         "'2026-01-01T00:00:00Z', 'store/sha256/aa/x.escrow', 1)");
	l = open_ok(0);
	assert_int_equal(esc_ledger_schema_version(l), 3);
	assert_int_equal(raw_num("SELECT value FROM ledger_meta WHERE name = 'schema_version'"), 3);
	assert_int_equal(raw_num("SELECT count(*) FROM deposits WHERE minisig_stored IS NULL AND id = 1"), 1);
	d.minisig_stored = true;
	assert_int_equal(esc_ledger_deposit_add(l, &d, NULL, NULL), ESCROW_OK);
	assert_int_equal(raw_num("SELECT minisig_stored FROM deposits WHERE id = 2"), 1);
	/* the column takes 0 and 1 only */
	expect_err(l->ops->exec(l, "UPDATE deposits SET minisig_stored = 2 WHERE id = 2", 0, NULL, NULL),
	           ESCROW_E_USAGE, "");
	esc_ledger_close(l);
}

static void test_contracts(void **state)
{
	esc_ledger *l = open_ok(ESC_LEDGER_CREATE);
	struct esc_event_ref ev;
	uint8_t d[32];
	char sha[65], hex[65], *text = NULL;
	int v = 0;

	(void)state;
	assert_int_equal(esc_ledger_contract_add(l, "CLAIMS-2026-03", contract_v1, strlen(contract_v1), &v, &ev),
	                 ESCROW_OK);
	assert_int_equal(v, 1);
	assert_int_equal(ev.seq, 1);
	expect_err(esc_ledger_contract_add(l, "CLAIMS-2026-03", contract_v1, strlen(contract_v1), &v, NULL),
	           ESCROW_E_EXISTS, "registered already, as contract CLAIMS-2026-03 version 1");
	assert_int_equal(esc_ledger_contract_add(l, "CLAIMS-2026-03", contract_v2, strlen(contract_v2), &v, &ev),
	                 ESCROW_OK);
	assert_int_equal(v, 2);
	assert_int_equal(ev.seq, 2);
	assert_int_equal(esc_ledger_contract_latest(l, "CLAIMS-2026-03", &v, sha, &text), ESCROW_OK);
	esc_sha256_buf(contract_v2, strlen(contract_v2), d);
	esc_hex(d, 32, hex);
	assert_int_equal(v, 2);
	assert_string_equal(sha, hex);
	assert_string_equal(text, contract_v2);
	free(text);
	/* the latest is the highest version, not the greatest text: 11 after
	 * "9" (PostgreSQL ordered by the output column CAST(version AS TEXT)) */
	for (int k = 3; k <= 11; k++) {
		char body[256];

		snprintf(body, sizeof body, "%s# amendment %d\n", contract_v2, k);
		assert_int_equal(esc_ledger_contract_add(l, "CLAIMS-2026-03", body, strlen(body), &v, NULL), ESCROW_OK);
		assert_int_equal(v, k);
	}
	assert_int_equal(esc_ledger_contract_latest(l, "CLAIMS-2026-03", &v, sha, &text), ESCROW_OK);
	assert_int_equal(v, 11);
	assert_non_null(strstr(text, "# amendment 11\n"));
	free(text);
	expect_err(esc_ledger_contract_latest(l, "OTHER-1", &v, sha, NULL), ESCROW_E_OPEN, "not registered");
	expect_err(esc_ledger_contract_add(l, "", contract_v1, strlen(contract_v1), NULL, NULL), ESCROW_E_USAGE,
	           "no contract id");
	esc_ledger_close(l);
	raw_open();
	assert_int_equal(raw_num("SELECT count(*) FROM events WHERE kind = 'contract-amend' AND seq = 2"), 1);
	assert_int_equal(raw_num("SELECT count(*) FROM contracts"), 11);
}

static void test_keys(void **state)
{
	esc_ledger *l = ledger_with_events(1);
	struct esc_event_ref ev;
	char *body;

	(void)state;
	expect_err(esc_ledger_key_add(l, "OTHER-1", "FEDCBA9876543210", "pub\n", NULL), ESCROW_E_OPEN, "contract OTHER-1 is not registered");
	expect_err(esc_ledger_key_add(l, "CLAIMS-2026-03", "rwq", "pub\n", NULL), ESCROW_E_USAGE, "16 upper-case hex");
	assert_int_equal(esc_ledger_key_valid(l, "CLAIMS-2026-03", "FEDCBA9876543210"), 0);
	assert_int_equal(esc_ledger_key_add(l, "CLAIMS-2026-03", "0123456789ABCDEF", "pub a\n", &ev), ESCROW_OK);
	assert_int_equal(ev.seq, 2);
	assert_int_equal(esc_ledger_key_valid(l, "CLAIMS-2026-03", "0123456789ABCDEF"), 1);
	assert_int_equal(esc_ledger_key_valid(l, "OTHER-1", "0123456789ABCDEF"), 0);
	expect_err(esc_ledger_key_add(l, "CLAIMS-2026-03", "0123456789ABCDEF", "pub a\n", NULL), ESCROW_E_EXISTS,
	           "is registered for contract CLAIMS-2026-03 already");
	assert_int_equal(esc_ledger_key_revoke(l, "0123456789ABCDEF", "agency's laptop stolen", &ev), ESCROW_OK);
	assert_int_equal(ev.seq, 3);
	assert_int_equal(esc_ledger_key_valid(l, "CLAIMS-2026-03", "0123456789ABCDEF"), 0);
	expect_err(esc_ledger_key_revoke(l, "0123456789ABCDEF", NULL, NULL), ESCROW_E_OPEN, "revoked already");
	expect_err(esc_ledger_key_add(l, "CLAIMS-2026-03", "0123456789ABCDEF", "pub a\n", NULL), ESCROW_E_EXISTS,
	           "a revoked key stays revoked");
	esc_ledger_close(l);
	raw_open();
	body = raw_str("SELECT body FROM events WHERE seq = 3");
	assert_non_null(strstr(body, "\"data\":{\"contracts\":[\"CLAIMS-2026-03\"],\"key_id\":\"0123456789ABCDEF\","
	                             "\"reason\":\"agency's laptop stolen\"},\"kind\":\"key-revoke\",\"seq\":3,"));
	free(body);
	assert_int_equal(raw_num("SELECT revoked_event FROM agency_keys WHERE key_id = '0123456789ABCDEF'"), 3);
}

static void test_deposits(void **state)
{
	esc_ledger *l = ledger_with_events(1);
	json_t *deliv = json_pack("{s:s, s:s}", "model", "ok", "code", "missing");
	struct esc_deposit d = deposit(SHA_A, "incomplete", deliv);
	struct esc_event_ref ev;
	char sha[65], *s;
	int64_t id = 0;

	(void)state;
	assert_int_equal(esc_ledger_contract_latest(l, "CLAIMS-2026-03", NULL, sha, NULL), ESCROW_OK);
	d.contract_sha256 = sha;
	esc_ledger_set_time(l, 1796540400); /* 2026-12-06T07:00:00Z */
	assert_int_equal(esc_ledger_deposit_add(l, &d, &id, &ev), ESCROW_OK);
	assert_int_equal(id, 1);
	assert_int_equal(ev.seq, 2);
	assert_int_equal(esc_ledger_deposit_find(l, SHA_A), 1);
	assert_int_equal(esc_ledger_deposit_find(l, SHA_B), 0);
	expect_err(esc_ledger_deposit_add(l, &d, &id, NULL), ESCROW_E_EXISTS, "in the vault already, as deposit 1");
	/* the deposit row fails the schema after its event went in: neither stays */
	d = deposit(SHA_B, "bogus", NULL);
	expect_err(esc_ledger_deposit_add(l, &d, &id, NULL), ESCROW_E_USAGE, "schema refused");
	d = deposit(SHA_B, "verified", NULL);
	assert_int_equal(esc_ledger_deposit_add(l, &d, &id, &ev), ESCROW_OK);
	assert_int_equal(id, 2);
	assert_int_equal(ev.seq, 3);
	esc_ledger_close(l);
	json_decref(deliv);
	raw_open();
	assert_int_equal(raw_num("SELECT count(*) FROM events"), 3);
	s = raw_str("SELECT deliverables || ' ' || received_at || ' ' || verdict FROM deposits WHERE id = 1");
	assert_string_equal(s, "{\"code\":\"missing\",\"model\":\"ok\"} 2026-12-06T07:00:00Z incomplete");
	free(s);
	s = raw_str("SELECT recorded_at FROM events WHERE seq = 2");
	assert_string_equal(s, "2026-12-06T07:00:00Z");
	free(s);
	s = raw_str("SELECT previous_sha256 FROM deposits WHERE id = 2");
	assert_string_equal(s, SHA_A);
	free(s);
	assert_int_equal(raw_num("SELECT event_seq FROM deposits WHERE id = 2"), 3);
	s = raw_str("SELECT body FROM events WHERE seq = 2");
	assert_non_null(strstr(s, "\"bundle_sha256\":\"" SHA_A "\",\"bundle_size\":123456,"));
	assert_non_null(strstr(s, "\"previous_deposit\":null,"));
	free(s);
}

static void test_open_failures(void **state)
{
	esc_ledger *l = NULL;
	char *path = esc_path_join(vault, ESC_LEDGER_FILE);
	FILE *f = fopen(path, "w");

	(void)state;
	assert_non_null(f);
	fputs("this is not a database, but it is long enough to hold a header of one hundred bytes or so......", f);
	fclose(f);
	expect_err(esc_ledger_open(ctx, vault, NULL, 0, &l), ESCROW_E_INPUT, "not an SQLite database");
	assert_null(l);
	free(path);
	expect_err(esc_ledger_open(ctx, vault, "postgresql://escrow:s3cret@/ledger?host=/nonexistent-escrow-dir", 0, &l),
	           ESCROW_E_IO, "cannot connect");
	assert_null(strstr(escrow_ctx_error(ctx), "s3cret"));
	assert_non_null(strstr(escrow_ctx_error(ctx), "database 'ledger'"));
	assert_null(l);
	expect_err(esc_ledger_open(ctx, vault, "postgresql:///ledger?hots=/tmp", 0, &l), ESCROW_E_USAGE,
	           "not a PostgreSQL URL");
	if (pg != NULL) { /* the server drops the connection: the next write says so */
		json_t *data = json_object();

		l = open_ok(ESC_LEDGER_CREATE);
		raw_open();
		raw_exec("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
		         "AND datname = current_database()");
		expect_err(esc_ledger_append(l, ESC_EV_AUDIT, data, NULL), ESCROW_E_IO, "lost the connection");
		json_decref(data);
		esc_ledger_close(l);
	}
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_open_create_reopen), T(test_migration_atomic), T(test_newer_schema_refused),
		T(test_migration_3),
		T(test_contracts),          T(test_keys),             T(test_deposits),
		T(test_open_failures),
	};

	if (ledger_test_init() != 0)
		return 1;
	return cmocka_run_group_tests_name(pg ? "vault_ledger_postgresql" : "vault_ledger_sqlite", tests, NULL, tmpdir_teardown);
}
