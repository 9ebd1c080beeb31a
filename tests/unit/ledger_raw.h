/* ledger_raw.h -- what the ledger's unit tests share (test_vault_ledger.c,
 * test_vault_chain.c): the backend under test (SQLite, or PostgreSQL when
 * ESCROW_TEST_PG holds a conninfo: tests/pg.sh sets it), a fresh vault per
 * test, and a raw connection through the database's own client API (sqlite3,
 * libpq) for looking at rows and tampering with them. Header-only. */
#ifndef ESC_TEST_LEDGER_RAW_H
#define ESC_TEST_LEDGER_RAW_H

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

static inline void raw_exec(const char *sql)
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

static inline long raw_num(const char *sql)
{
	char *s = raw_str(sql);
	long n = atol(s);

	free(s);
	return n;
}

static inline void raw_open(void)
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

static inline void raw_close(void)
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

static inline esc_ledger *open_ok(unsigned flags)
{
	esc_ledger *l = NULL;
	escrow_status s = esc_ledger_open(ctx, vault, pg, flags, &l);

	if (s != ESCROW_OK)
		fail_msg("open: %s", escrow_ctx_error(ctx));
	return l;
}

static inline void expect_err(escrow_status got, escrow_status want, const char *needle)
{
	if (got != want || strstr(escrow_ctx_error(ctx), needle) == NULL)
		fail_msg("status %d (want %d), message '%s' (want '%s')", got, want, escrow_ctx_error(ctx), needle);
}

static const char contract_v1[] = "escrow-contract: 1\ncontract: CLAIMS-2026-03\ndeliverables: []\n";

/* Events 1..n: a contract, then audit events (which no row points to, so
 * the tamper tests may move them about even where foreign keys hold). */
static inline esc_ledger *ledger_with_events(int n)
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

static inline struct esc_deposit deposit(const char *sha, const char *verdict, json_t *deliv)
{
	struct esc_deposit d = {"CLAIMS-2026-03", NULL, "claimscore", "1.3.0", sha, 123456, "0123456789ABCDEF",
	                        verdict, deliv, "store/ab/cd", false, NULL, NULL, NULL, NULL};
	return d;
}

#define SHA_A "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
#define SHA_B "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"

static int ledger_test_init(void)
{
	pg = getenv("ESCROW_TEST_PG");
	if (pg != NULL && *pg == '\0')
		pg = NULL;
	return tmpdir_setup("ledger");
}

#endif
