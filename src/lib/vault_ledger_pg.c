/* vault_ledger_pg.c -- the ledger on PostgreSQL (libpq), for desks that share
 * one. Writers are serialised by a transaction-scoped advisory lock taken
 * first thing in every write transaction (READ COMMITTED): the next writer
 * waits for it, and its statements then see what the previous one committed,
 * so the chain head it reads is the real one. The lock exists before any
 * table does, so it also serialises two desks migrating a new database.
 * libpq's notices (it prints them by default) are silenced: the library
 * never prints. */
#include "esc_vault_ledger.h"

#include <libpq-fe.h>
#include <string.h>

/* libpq is opened at run time, by the first ledger on PostgreSQL, not linked:
 * linked, it and what it needs (GnuTLS, LDAP, Kerberos, SASL: 20 libraries)
 * were loaded and initialised by every run of escrow, 10 ms of a 21 ms
 * start here, for the few runs that open such a ledger. The header still
 * gives every type and prototype; the calls below go through pq_fns
 * (core_dl.c). */
#define PQ_FUNCS(X)                                                                                          \
	X(PQconnectdb) X(PQfinish) X(PQstatus) X(PQerrorMessage) X(PQexec) X(PQexecParams) X(PQresultStatus)     \
	X(PQresultErrorMessage) X(PQresultErrorField) X(PQclear) X(PQntuples) X(PQnfields) X(PQgetvalue)          \
	X(PQgetlength) X(PQgetisnull) X(PQtransactionStatus) X(PQsetNoticeProcessor) X(PQdb) X(PQhost) X(PQport) \
	X(PQfreemem) X(PQconninfoParse) X(PQconninfoFree)

enum {
#define PQ_INDEX(f) PQ_##f,
	PQ_FUNCS(PQ_INDEX) PQ_N
#undef PQ_INDEX
};
static const char *const pq_names[PQ_N] = {
#define PQ_NAME(f) #f,
	PQ_FUNCS(PQ_NAME)
#undef PQ_NAME
};
static esc_dl_fn pq_fns[PQ_N];
static struct esc_dl pq_dl = {"libpq.so.5", pq_names, PQ_N, pq_fns, false, ""};
#define PQ_CALL(f) ((__typeof__(&f))pq_fns[PQ_##f])
#define PQconnectdb PQ_CALL(PQconnectdb)
#define PQfinish PQ_CALL(PQfinish)
#define PQstatus PQ_CALL(PQstatus)
#define PQerrorMessage PQ_CALL(PQerrorMessage)
#define PQexec PQ_CALL(PQexec)
#define PQexecParams PQ_CALL(PQexecParams)
#define PQresultStatus PQ_CALL(PQresultStatus)
#define PQresultErrorMessage PQ_CALL(PQresultErrorMessage)
#define PQresultErrorField PQ_CALL(PQresultErrorField)
#define PQclear PQ_CALL(PQclear)
#define PQntuples PQ_CALL(PQntuples)
#define PQnfields PQ_CALL(PQnfields)
#define PQgetvalue PQ_CALL(PQgetvalue)
#define PQgetlength PQ_CALL(PQgetlength)
#define PQgetisnull PQ_CALL(PQgetisnull)
#define PQtransactionStatus PQ_CALL(PQtransactionStatus)
#define PQsetNoticeProcessor PQ_CALL(PQsetNoticeProcessor)
#define PQdb PQ_CALL(PQdb)
#define PQhost PQ_CALL(PQhost)
#define PQport PQ_CALL(PQport)
#define PQfreemem PQ_CALL(PQfreemem)
#define PQconninfoParse PQ_CALL(PQconninfoParse)
#define PQconninfoFree PQ_CALL(PQconninfoFree)

/* 'escrow' in ASCII: the one advisory lock key of a ledger database. */
#define LPG_LOCK_KEY "111546414477175"

static void lpg_quiet(void *arg, const char *message)
{
	(void)arg;
	(void)message;
}

/* libpq's messages come on several lines (a hint after "\n\t"): one line. */
static void lpg_oneline(char *s)
{
	char *r = s, *w = s, c;

	for (; *r != '\0'; r++) {
		c = (*r == '\n' || *r == '\t' || *r == '\r') ? ' ' : *r;
		if (c == ' ' && (w == s || w[-1] == ' '))
			continue;
		*w++ = c;
	}
	while (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

/* Failures by SQLSTATE class: 08 connection, 53 resources (disk full), 23
 * constraints, 57 operator intervention (server shutting down). */
static escrow_status lpg_fail(esc_ledger *l, const PGresult *res, const char *what)
{
	const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	const char *msg = res != NULL ? PQresultErrorMessage(res) : "";
	char detail[512];

	if (msg == NULL || *msg == '\0')
		msg = PQerrorMessage(l->db);
	snprintf(detail, sizeof detail, "%s", msg);
	lpg_oneline(detail);
	if (PQstatus(l->db) == CONNECTION_BAD || (state != NULL && (!strncmp(state, "08", 2) || !strncmp(state, "57", 2))))
		return esc_error(l->ctx, ESCROW_E_IO, "ledger %s: %s: lost the connection: %s (check that the server "
		                 "runs and is reachable, then retry)", l->name, what, detail);
	if (state != NULL && !strncmp(state, "53", 2))
		return esc_error(l->ctx, ESCROW_E_IO, "ledger %s: %s: %s (the database server is out of disk or "
		                 "memory: ask its administrator)", l->name, what, detail);
	if (state != NULL && !strncmp(state, "23", 2))
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger %s: %s: %s (the ledger's schema refused the change)",
		                 l->name, what, detail);
	if (state != NULL && !strncmp(state, "42501", 5))
		return esc_error(l->ctx, ESCROW_E_IO, "ledger %s: %s: %s (grant the database user the rights on "
		                 "the ledger's tables)", l->name, what, detail);
	return esc_error(l->ctx, ESCROW_E_INTERNAL, "ledger %s: %s: %s (a bug in escrow's SQL, or a database "
	                 "escrow did not make: please report it)", l->name, what, detail);
}

static escrow_status lpg_rows(esc_ledger *l, PGresult *res, struct esc_lrows *rows)
{
	size_t r, c, len;

	rows->rows = (size_t)PQntuples(res);
	rows->cols = (size_t)PQnfields(res);
	if (rows->rows == 0 || rows->cols == 0)
		return ESCROW_OK;
	if ((rows->cell = calloc(rows->rows * rows->cols, sizeof *rows->cell)) == NULL)
		return esc_nomem(l->ctx);
	for (r = 0; r < rows->rows; r++)
		for (c = 0; c < rows->cols; c++) {
			if (PQgetisnull(res, (int)r, (int)c))
				continue;
			len = (size_t)PQgetlength(res, (int)r, (int)c);
			if (len > 4u * ESC_LEDGER_TEXT_MAX)
				return esc_error(l->ctx, ESCROW_E_INPUT, "ledger %s: a value of %zu bytes, more than any "
				                 "escrow writes (the ledger was altered: check it with 'escrow vault log "
				                 "--verify')", l->name, len);
			if ((rows->cell[r * rows->cols + c] = malloc(len + 1)) == NULL)
				return esc_nomem(l->ctx);
			memcpy(rows->cell[r * rows->cols + c], PQgetvalue(res, (int)r, (int)c), len + 1);
		}
	return ESCROW_OK;
}

static escrow_status lpg_exec(esc_ledger *l, const char *sql, int n, const char *const *params,
                              struct esc_lrows *rows)
{
	PGresult *res;
	escrow_status s = ESCROW_OK;
	ExecStatusType rs;

	if (rows != NULL)
		memset(rows, 0, sizeof *rows);
	res = PQexecParams(l->db, sql, n, NULL, params, NULL, NULL, 0);
	rs = PQresultStatus(res);
	if (res == NULL)
		s = lpg_fail(l, NULL, "running a query");
	else if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK)
		s = lpg_fail(l, res, "running a query");
	else if (rows != NULL && rs == PGRES_TUPLES_OK)
		s = lpg_rows(l, res, rows);
	PQclear(res);
	if (s != ESCROW_OK)
		esc_lrows_free(rows);
	return s;
}

static escrow_status lpg_script(esc_ledger *l, const char *sql)
{
	PGresult *res = PQexec(l->db, sql);
	escrow_status s = ESCROW_OK;

	if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
		s = lpg_fail(l, res, "changing the schema");
	PQclear(res);
	return s;
}

static escrow_status lpg_begin(esc_ledger *l)
{
	escrow_status s = lpg_script(l, "BEGIN ISOLATION LEVEL READ COMMITTED");

	if (s == ESCROW_OK && (s = lpg_script(l, "SELECT pg_advisory_xact_lock(" LPG_LOCK_KEY ")")) != ESCROW_OK)
		(void)lpg_script(l, "ROLLBACK");
	return s;
}

static escrow_status lpg_commit(esc_ledger *l)
{
	return lpg_script(l, "COMMIT");
}

static void lpg_rollback(esc_ledger *l)
{
	if (PQtransactionStatus(l->db) != PQTRANS_IDLE)
		PQclear(PQexec(l->db, "ROLLBACK"));
}

static int lpg_has_table(esc_ledger *l, const char *name)
{
	struct esc_lrows r;
	const char *p[1] = {name};
	int found;

	if (lpg_exec(l, "SELECT to_regclass($1) IS NOT NULL", 1, p, &r) != ESCROW_OK)
		return -1;
	found = r.rows == 1 && esc_lrows_at(&r, 0, 0) != NULL && strcmp(esc_lrows_at(&r, 0, 0), "t") == 0;
	esc_lrows_free(&r);
	return found;
}

static void lpg_close(esc_ledger *l)
{
	PQfinish(l->db);
	l->db = NULL;
}

static const struct esc_ledger_ops lpg_ops = {
	ESC_LQ_PG, lpg_exec, lpg_script, lpg_begin, lpg_commit, lpg_rollback, lpg_has_table, lpg_close,
};

/* How messages name the database: never the URL itself, which may hold a
 * password. */
static char *lpg_name(PGconn *c)
{
	const char *db = PQdb(c), *host = PQhost(c), *port = PQport(c);

	return esc_strf("postgresql database '%s' on %s%s%s", db ? db : "?", host && *host ? host : "localhost",
	                port && *port ? ":" : "", port ? port : "");
}

escrow_status esc_lpg_open(esc_ledger *l, const char *conninfo)
{
	PQconninfoOption *opts;
	char *detail = NULL;
	escrow_status s;

	if (!esc_dl_load(&pq_dl))
		return esc_error(l->ctx, ESCROW_E_IO, "ledger: a PostgreSQL ledger needs libpq, which cannot be "
		                 "loaded: %s (install it: apt-get install libpq5)", pq_dl.error);
	l->ops = &lpg_ops;
	/* a malformed URL is the caller's mistake, not the network's */
	if ((opts = PQconninfoParse(conninfo, &detail)) == NULL) {
		if (detail == NULL)
			return esc_nomem(l->ctx);
		lpg_oneline(detail);
		s = esc_error(l->ctx, ESCROW_E_USAGE, "ledger: not a PostgreSQL URL or conninfo: %s (give "
		              "postgresql://USER@HOST[:PORT]/DATABASE)", detail);
		PQfreemem(detail);
		return s;
	}
	PQconninfoFree(opts);
	l->db = PQconnectdb(conninfo);
	if (l->db == NULL)
		return esc_nomem(l->ctx);
	if ((l->name = lpg_name(l->db)) == NULL)
		return esc_nomem(l->ctx);
	if (PQstatus(l->db) != CONNECTION_OK) {
		if ((detail = strdup(PQerrorMessage(l->db))) == NULL)
			return esc_nomem(l->ctx);
		lpg_oneline(detail);
		s = esc_error(l->ctx, ESCROW_E_IO, "ledger %s: cannot connect: %s (check that the server runs, "
		              "and the URL's host, port, database, user and password)", l->name, detail);
		free(detail);
		return s;
	}
	PQsetNoticeProcessor(l->db, lpg_quiet, NULL);
	return lpg_script(l, "SET client_min_messages = warning; SET TIME ZONE 'UTC'");
}
