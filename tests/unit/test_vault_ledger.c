/* test_vault_ledger.c -- the vault's ledger (vault_ledger*.c) on SQLite, and on
 * PostgreSQL when ESCROW_TEST_PG holds a conninfo (tests/pg.sh starts a
 * throwaway server and sets it: ctest unit_vault_ledger_pg). Opening,
 * creating, migrating and refusing; contracts, keys and deposits with their
 * events; the chain verified, then tampered with through the database's own
 * client API (sqlite3, libpq), each change named by the event it hit; ten
 * processes appending at once give ten events on one linear chain. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <libpq-fe.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "esc_vault.h"
#include "tmpdir.h"

static const char *pg;       /* conninfo, or NULL: SQLite */
static char vault[256];
static int nvault;
static sqlite3 *rsq;         /* the raw connection the tamper tests use */
static PGconn *rpg;
static escrow_ctx *ctx;

static void raw_exec(const char *sql)
{
	if (pg != NULL) {
		PGresult *r = PQexec(rpg, sql);

		if (PQresultStatus(r) != PGRES_COMMAND_OK && PQresultStatus(r) != PGRES_TUPLES_OK)
			fail_msg("%s: %s", sql, PQresultErrorMessage(r));
		PQclear(r);
	} else {
		char *err = NULL;

		if (sqlite3_exec(rsq, sql, NULL, NULL, &err) != SQLITE_OK)
			fail_msg("%s: %s", sql, err);
	}
}

/* The first column of the first row, malloc'd ("" for none). */
static char *raw_str(const char *sql)
{
	char *out;

	if (pg != NULL) {
		PGresult *r = PQexec(rpg, sql);

		assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
		out = strdup(PQntuples(r) > 0 ? PQgetvalue(r, 0, 0) : "");
		PQclear(r);
	} else {
		sqlite3_stmt *st;

		assert_int_equal(sqlite3_prepare_v2(rsq, sql, -1, &st, NULL), SQLITE_OK);
		out = strdup(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_text(st, 0) ?
		             (const char *)sqlite3_column_text(st, 0) : "");
		sqlite3_finalize(st);
	}
	assert_non_null(out);
	return out;
}

static long raw_num(const char *sql)
{
	char *s = raw_str(sql);
	long n = atol(s);

	free(s);
	return n;
}

static void raw_open(void)
{
	if (pg != NULL) {
		rpg = PQconnectdb(pg);
		assert_int_equal(PQstatus(rpg), CONNECTION_OK);
		raw_exec("SET client_min_messages = warning");
	} else {
		char *path = esc_path_join(vault, ESC_LEDGER_FILE);

		assert_int_equal(sqlite3_open(path, &rsq), SQLITE_OK);
		sqlite3_busy_timeout(rsq, 30000);
		free(path);
	}
}

static void raw_close(void)
{
	if (rpg != NULL)
		PQfinish(rpg);
	if (rsq != NULL)
		sqlite3_close(rsq);
	rpg = NULL;
	rsq = NULL;
}

/* A fresh vault folder (and, on PostgreSQL, an empty database) per test. */
static int setup(void **state)
{
	(void)state;
	snprintf(vault, sizeof vault, "%s/vault%d", tmpdir, ++nvault);
	if (mkdir(vault, 0700) != 0 || (ctx = escrow_ctx_new()) == NULL)
		return -1;
	if (pg != NULL) {
		raw_open();
		raw_exec("DROP TABLE IF EXISTS deposits, agency_keys, contracts, events, ledger_meta CASCADE");
		raw_close();
	}
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	raw_close();
	escrow_ctx_free(ctx);
	return 0;
}

static esc_ledger *open_ok(unsigned flags)
{
	esc_ledger *l = NULL;
	escrow_status s = esc_ledger_open(ctx, vault, pg, flags, &l);

	if (s != ESCROW_OK)
		fail_msg("open: %s", escrow_ctx_error(ctx));
	return l;
}

static void expect_err(escrow_status got, escrow_status want, const char *needle)
{
	if (got != want || strstr(escrow_ctx_error(ctx), needle) == NULL)
		fail_msg("status %d (want %d), message '%s' (want '%s')", got, want, escrow_ctx_error(ctx), needle);
}

static const char contract_v1[] = "escrow-contract: 1\ncontract: CLAIMS-2026-03\ndeliverables: []\n";
static const char contract_v2[] = "escrow-contract: 1\ncontract: CLAIMS-2026-03\ndeliverables: [] # amended\n";

/* Events 1..n: a contract, then audit events (which no row points to, so
 * the tamper tests may move them about even where foreign keys hold). */
static esc_ledger *ledger_with_events(int n)
{
	esc_ledger *l = open_ok(ESC_LEDGER_CREATE);
	json_t *data;
	int i;

	assert_int_equal(esc_ledger_contract_add(l, "CLAIMS-2026-03", contract_v1, strlen(contract_v1), NULL, NULL),
	                 ESCROW_OK);
	for (i = 2; i <= n; i++) {
		data = json_pack("{s:i, s:s}", "round", i, "result", "ok");
		assert_int_equal(esc_ledger_append(l, ESC_EV_AUDIT, data, NULL), ESCROW_OK);
		json_decref(data);
	}
	return l;
}

static void test_canonical(void **state)
{
	json_t *v = json_pack("{s:i, s:s, s:[b, n], s:{s:s, s:s}}", "b", 1, "a", "\xc3\xa9\n\"", "c", 1, "d", "z", "y",
	                      "y", "\xe2\x82\xac");
	char *s;

	(void)state;
	s = esc_event_canonical(ctx, v);
	assert_string_equal(s, "{\"a\":\"\xc3\xa9\\n\\\"\",\"b\":1,\"c\":[true,null],\"d\":{\"y\":\"\xe2\x82\xac\",\"z\":\"y\"}}");
	free(s);
	json_decref(v);
	v = json_pack("{s:f}", "x", 0.5);
	assert_null(esc_event_canonical(ctx, v));
	expect_err(escrow_ctx_status(ctx), ESCROW_E_USAGE, "real number");
	json_decref(v);
}

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
	raw_exec("UPDATE ledger_meta SET value = '2' WHERE name = 'schema_version'");
	expect_err(esc_ledger_open(ctx, vault, pg, 0, &l), ESCROW_E_INPUT, "schema version 2, newer than this escrow");
	assert_null(l);
	raw_exec("UPDATE ledger_meta SET value = 'two' WHERE name = 'schema_version'");
	expect_err(esc_ledger_open(ctx, vault, pg, 0, &l), ESCROW_E_INPUT, "not a number");
	assert_null(l);
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
	expect_err(esc_ledger_contract_latest(l, "OTHER-1", &v, sha, NULL), ESCROW_E_OPEN, "not registered");
	expect_err(esc_ledger_contract_add(l, "", contract_v1, strlen(contract_v1), NULL, NULL), ESCROW_E_USAGE,
	           "no contract id");
	esc_ledger_close(l);
	raw_open();
	assert_int_equal(raw_num("SELECT count(*) FROM events WHERE kind = 'contract-amend' AND seq = 2"), 1);
	assert_int_equal(raw_num("SELECT count(*) FROM contracts"), 2);
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

static struct esc_deposit deposit(const char *sha, const char *verdict, json_t *deliv)
{
	struct esc_deposit d = {"CLAIMS-2026-03", NULL, "claimscore", "1.3.0", sha, 123456, "0123456789ABCDEF",
	                        verdict, deliv, "store/ab/cd"};
	return d;
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

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

static void expect_fault(esc_ledger *l, enum esc_chain_fault f, int64_t seq, const char *needle)
{
	struct esc_chain_report r;
	escrow_status s = esc_ledger_verify(l, &r);

	if (s != ESCROW_TAMPERED || r.fault != f || r.bad_seq != seq || strstr(r.why, needle) == NULL ||
	    strstr(escrow_ctx_error(ctx), needle) == NULL)
		fail_msg("verify: status %d fault %d event %lld '%s' (want fault %d event %lld '%s')", s, r.fault,
		         (long long)r.bad_seq, r.why, f, (long long)seq, needle);
}

static void test_chain_ok(void **state)
{
	esc_ledger *l = ledger_with_events(7);
	struct esc_chain_report r;
	struct esc_event_ref head;
	uint8_t zero[32] = {0}, prev[32], h[32];
	char *body, *hex, *prev_hex;

	(void)state;
	assert_int_equal(esc_ledger_verify(l, &r), ESCROW_OK);
	assert_int_equal(r.events, 7);
	assert_int_equal(r.fault, ESC_CHAIN_OK);
	assert_int_equal(esc_ledger_head(l, &head), ESCROW_OK);
	assert_int_equal(head.seq, 7);
	assert_memory_equal(head.hash, r.head.hash, 32);
	assert_int_equal(esc_ledger_verify_against(l, head.seq, head.hash, &r), ESCROW_OK);
	esc_ledger_close(l);
	/* the formula by hand: genesis, then event 5 from event 4's hash */
	raw_open();
	body = raw_str("SELECT body FROM events WHERE seq = 1");
	hex = raw_str("SELECT hash FROM events WHERE seq = 1");
	assert_int_equal(esc_event_hash(zero, body, strlen(body), h), 0);
	assert_int_equal(esc_unhex(hex, 64, prev, 32), 0);
	assert_memory_equal(h, prev, 32);
	assert_non_null(strstr(body, "\"kind\":\"contract-add\",\"seq\":1,\"time\":\""));
	free(body);
	free(hex);
	prev_hex = raw_str("SELECT hash FROM events WHERE seq = 4");
	body = raw_str("SELECT body FROM events WHERE seq = 5");
	hex = raw_str("SELECT hash FROM events WHERE seq = 5");
	assert_int_equal(esc_unhex(prev_hex, 64, prev, 32), 0);
	assert_int_equal(esc_event_hash(prev, body, strlen(body), h), 0);
	assert_int_equal(esc_unhex(hex, 64, prev, 32), 0);
	assert_memory_equal(h, prev, 32);
	free(body);
	free(hex);
	free(prev_hex);
}

static void test_tamper_edit(void **state)
{
	esc_ledger *l = ledger_with_events(6);

	(void)state;
	raw_open();
	raw_exec("UPDATE events SET body = replace(body, '\"result\":\"ok\"', '\"result\":\"KO\"') WHERE seq = 3");
	expect_fault(l, ESC_CHAIN_EDITED, 3, "event 3 was edited: its hash does not match its content");
	raw_exec("UPDATE events SET body = replace(body, '\"result\":\"KO\"', '\"result\":\"ok\"') WHERE seq = 3");
	assert_int_equal(esc_ledger_verify(l, &(struct esc_chain_report){0}), ESCROW_OK);
	raw_exec("UPDATE events SET kind = 'release' WHERE seq = 4");
	expect_fault(l, ESC_CHAIN_EDITED, 4, "event 4 was edited: its kind differs");
	raw_exec("UPDATE events SET kind = 'audit' WHERE seq = 4");
	/* a body beyond what escrow writes is not even fetched */
	raw_exec(pg ? "UPDATE events SET body = body || repeat('x', 100000) WHERE seq = 2" :
	              "UPDATE events SET body = body || replace(hex(zeroblob(50000)), '0', 'x') WHERE seq = 2");
	expect_fault(l, ESC_CHAIN_EDITED, 2, "event 2 was edited: its JSON is longer than escrow writes");
	esc_ledger_close(l);
}

static void test_tamper_delete_middle(void **state)
{
	esc_ledger *l = ledger_with_events(6);

	(void)state;
	raw_open();
	raw_exec("DELETE FROM events WHERE seq = 4");
	expect_fault(l, ESC_CHAIN_DELETED, 4, "event 4 was deleted: the log goes from event 3 to event 5");
	/* and the rest renumbered to hide the gap */
	raw_exec("UPDATE events SET seq = seq + 999 WHERE seq > 4");
	raw_exec("UPDATE events SET seq = seq - 1000 WHERE seq > 1000");
	expect_fault(l, ESC_CHAIN_DELETED, 4, "event 4 was deleted and the later events renumbered");
	esc_ledger_close(l);
}

static void test_tamper_delete_last(void **state)
{
	esc_ledger *l = ledger_with_events(6);
	struct esc_event_ref head;
	struct esc_chain_report r;

	(void)state;
	assert_int_equal(esc_ledger_head(l, &head), ESCROW_OK);
	raw_open();
	raw_exec("DELETE FROM events WHERE seq = 6");
	assert_int_equal(esc_ledger_verify(l, &r), ESCROW_OK); /* a shorter chain is a valid chain */
	assert_int_equal(r.events, 5);
	assert_int_equal(esc_ledger_verify_against(l, head.seq, head.hash, &r), ESCROW_TAMPERED);
	assert_int_equal(r.fault, ESC_CHAIN_DELETED);
	assert_int_equal(r.bad_seq, 6);
	assert_non_null(strstr(escrow_ctx_error(ctx), "event 6 was deleted: the log ends at event 5"));
	/* an event appended since then takes number 6 with another hash */
	assert_int_equal(esc_ledger_append(l, ESC_EV_AUDIT, json_object(), NULL), ESCROW_OK);
	assert_int_equal(esc_ledger_verify_against(l, head.seq, head.hash, &r), ESCROW_TAMPERED);
	assert_int_equal(r.fault, ESC_CHAIN_REWRITTEN);
	assert_int_equal(r.bad_seq, 6);
	esc_ledger_close(l);
}

/* A forger who knows the formula: event 3 made to link to event 2 with a
 * valid hash, the later events moved up one. */
static void test_tamper_insert(void **state)
{
	esc_ledger *l = ledger_with_events(6);
	const char *body = "{\"data\":{\"round\":3,\"result\":\"forged\"},\"kind\":\"audit\",\"seq\":3,"
	                   "\"time\":\"2026-12-06T07:00:00Z\"}";
	uint8_t prev[32], h[32];
	char *prev_hex, hex[65], *sql;

	(void)state;
	raw_open();
	prev_hex = raw_str("SELECT hash FROM events WHERE seq = 2");
	assert_int_equal(esc_unhex(prev_hex, 64, prev, 32), 0);
	assert_int_equal(esc_event_hash(prev, body, strlen(body), h), 0);
	esc_hex(h, 32, hex);
	raw_exec("UPDATE events SET seq = seq + 1000 WHERE seq >= 3");
	raw_exec("UPDATE events SET seq = seq - 999 WHERE seq > 1000");
	sql = esc_strf("INSERT INTO events (seq, kind, recorded_at, body, prev_hash, hash) VALUES (3, 'audit', "
	               "'2026-12-06T07:00:00Z', '%s', '%s', '%s')", body, prev_hex, hex);
	raw_exec(sql);
	expect_fault(l, ESC_CHAIN_INSERTED, 3, "event 3 was inserted: event 4 links to event 2 before it");
	free(sql);
	free(prev_hex);
	esc_ledger_close(l);
}

/* Event 3 replaced by a forger who recomputed its hash: event 4 no longer
 * links to it. */
static void test_tamper_replace(void **state)
{
	esc_ledger *l = ledger_with_events(6);
	const char *body = "{\"data\":{},\"kind\":\"audit\",\"seq\":3,\"time\":\"2026-12-06T07:00:00Z\"}";
	uint8_t prev[32], h[32];
	char *prev_hex, hex[65], *sql;

	(void)state;
	raw_open();
	prev_hex = raw_str("SELECT hash FROM events WHERE seq = 2");
	assert_int_equal(esc_unhex(prev_hex, 64, prev, 32), 0);
	assert_int_equal(esc_event_hash(prev, body, strlen(body), h), 0);
	esc_hex(h, 32, hex);
	sql = esc_strf("UPDATE events SET body = '%s', hash = '%s' WHERE seq = 3", body, hex);
	raw_exec(sql);
	expect_fault(l, ESC_CHAIN_UNLINKED, 4, "event 4 does not link to event 3");
	free(sql);
	free(prev_hex);
	esc_ledger_close(l);
}

/* Ten processes receive at once (after a barrier): ten deposits, numbered
 * 1..10 once each, eleven events on one valid chain. */
static void test_concurrent(void **state)
{
	esc_ledger *l = ledger_with_events(1);
	struct esc_chain_report r;
	int go[2], i, st, ok = 0;
	pid_t pid[10];
	char c;

	(void)state;
	esc_ledger_close(l);
	assert_int_equal(pipe(go), 0);
	for (i = 0; i < 10; i++) {
		assert_true((pid[i] = fork()) >= 0);
		if (pid[i] == 0) {
			char sha[65];
			struct esc_deposit d;
			esc_ledger *cl = NULL;

			close(go[1]);
			if (read(go[0], &c, 1) != 0)
				_exit(3);
			memset(sha, "0123456789"[i], 64);
			sha[64] = '\0';
			d = deposit(sha, "verified", NULL);
			if (esc_ledger_open(ctx, vault, pg, 0, &cl) != ESCROW_OK)
				st = 1;
			else
				st = esc_ledger_deposit_add(cl, &d, NULL, NULL) == ESCROW_OK ? 0 : 2;
			if (st != 0)
				fprintf(stderr, "appender %d: %s\n", i, escrow_ctx_error(ctx));
			esc_ledger_close(cl);
			_exit(st);
		}
	}
	close(go[0]);
	close(go[1]); /* all start now */
	for (i = 0; i < 10; i++)
		if (waitpid(pid[i], &st, 0) == pid[i] && WIFEXITED(st) && WEXITSTATUS(st) == 0)
			ok++;
	assert_int_equal(ok, 10);
	l = open_ok(0);
	assert_int_equal(esc_ledger_verify(l, &r), ESCROW_OK);
	assert_int_equal(r.events, 11);
	esc_ledger_close(l);
	raw_open();
	assert_int_equal(raw_num("SELECT count(DISTINCT id) FROM deposits WHERE id BETWEEN 1 AND 10"), 10);
	assert_int_equal(raw_num("SELECT count(DISTINCT prev_hash) FROM events"), 11);
	assert_int_equal(raw_num("SELECT count(*) FROM events WHERE kind = 'receive'"), 10);
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
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_canonical),          T(test_open_create_reopen), T(test_migration_atomic),
		T(test_newer_schema_refused), T(test_contracts),        T(test_keys),
		T(test_deposits),           T(test_chain_ok),           T(test_tamper_edit),
		T(test_tamper_delete_middle), T(test_tamper_delete_last), T(test_tamper_insert),
		T(test_tamper_replace),     T(test_concurrent),         T(test_open_failures),
	};

	pg = getenv("ESCROW_TEST_PG");
	if (pg != NULL && *pg == '\0')
		pg = NULL;
	if (tmpdir_setup("ledger") != 0)
		return 1;
	if (pg != NULL)
		cmocka_set_message_output(CM_OUTPUT_STDOUT);
	return cmocka_run_group_tests_name(pg ? "vault_ledger_postgresql" : "vault_ledger_sqlite", tests, NULL,
	                                   tmpdir_teardown);
}
