/* vault_ledger_sqlite.c -- the ledger on SQLite: one file in the vault, in WAL
 * mode (readers never block the writer), foreign keys on, full sync on commit
 * (a receipt must never name an event a power cut took back). Writers are
 * serialised by BEGIN IMMEDIATE, which takes the database's one write lock
 * before reading the chain head; a second writer waits up to
 * ESC_LEDGER_BUSY_MS for it. */
#include "esc_vault_ledger.h"

#include <errno.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* The fix for each kind of failure, and the status the CLI turns into its
 * exit code. */
static escrow_status lsq_fail(esc_ledger *l, int rc, const char *what)
{
	const char *msg = l->db != NULL ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc);
	int sys = l->db != NULL ? sqlite3_system_errno(l->db) : 0;
	escrow_status st = ESCROW_E_IO;
	const char *fix;

	/* A full disk met while growing the WAL index or a journal is an I/O
	 * error to SQLite; the errno says what it was. */
	if ((rc & 0xff) == SQLITE_IOERR && (sys == ENOSPC || sys == EDQUOT))
		rc = SQLITE_FULL;
	switch (rc & 0xff) {
	case SQLITE_BUSY:
	case SQLITE_LOCKED: fix = "another escrow process held it too long; retry when that one is done"; break;
	case SQLITE_FULL: fix = "the disk is full: free space on the file system that holds it, then retry"; break;
	case SQLITE_IOERR: fix = "a read or write error: check the disk"; break;
	case SQLITE_CANTOPEN: fix = "check that the vault folder exists and is writable"; break;
	case SQLITE_READONLY:
	case SQLITE_PERM:
	case SQLITE_AUTH: fix = "the ledger cannot be written: check its permissions and the vault folder's"; break;
	case SQLITE_CORRUPT:
	case SQLITE_NOTADB:
		st = ESCROW_E_INPUT;
		fix = "the file is damaged or not an SQLite database: restore the ledger from a backup";
		break;
	case SQLITE_CONSTRAINT:
		st = ESCROW_E_USAGE;
		fix = "the ledger's schema refused the change";
		break;
	case SQLITE_NOMEM: return esc_nomem(l->ctx);
	default: st = ESCROW_E_INTERNAL; fix = "a bug in escrow's SQL: please report it"; break;
	}
	return esc_error(l->ctx, st, "ledger %s: %s: %s (%s)", l->name, what, msg, fix);
}

static escrow_status lsq_bind(esc_ledger *l, sqlite3_stmt *st, int n, const char *const *params)
{
	char name[16];
	int i, idx, rc;

	for (i = 1; i <= n; i++) {
		snprintf(name, sizeof name, "$%d", i);
		idx = sqlite3_bind_parameter_index(st, name);
		if (idx == 0)
			continue; /* not used by this statement */
		if (params[i - 1] != NULL)
			rc = sqlite3_bind_text(st, idx, params[i - 1], -1, SQLITE_TRANSIENT);
		else
			rc = sqlite3_bind_null(st, idx);
		if (rc != SQLITE_OK)
			return lsq_fail(l, rc, "binding a value");
	}
	return ESCROW_OK;
}

/* One row into rows: each column as text (NULL stays NULL), each bounded. */
static escrow_status lsq_row(esc_ledger *l, sqlite3_stmt *st, struct esc_lrows *rows, size_t *cap)
{
	size_t c, base, len;
	const unsigned char *t;

	if (rows->rows == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		char **n = realloc(rows->cell, ncap * rows->cols * sizeof *n + 1);

		if (n == NULL)
			return esc_nomem(l->ctx);
		rows->cell = n;
		*cap = ncap;
	}
	base = rows->rows * rows->cols;
	for (c = 0; c < rows->cols; c++)
		rows->cell[base + c] = NULL;
	rows->rows++;
	for (c = 0; c < rows->cols; c++) {
		if (sqlite3_column_type(st, (int)c) == SQLITE_NULL)
			continue;
		t = sqlite3_column_text(st, (int)c);
		len = (size_t)sqlite3_column_bytes(st, (int)c);
		if (t == NULL)
			return esc_nomem(l->ctx);
		if (len > 4u * ESC_LEDGER_TEXT_MAX)
			return esc_error(l->ctx, ESCROW_E_INPUT, "ledger %s: a value of %zu bytes, more than any escrow "
			                 "writes (the ledger was altered: check it with 'escrow vault log --verify')",
			                 l->name, len);
		if ((rows->cell[base + c] = malloc(len + 1)) == NULL)
			return esc_nomem(l->ctx);
		memcpy(rows->cell[base + c], t, len + 1);
	}
	return ESCROW_OK;
}

static escrow_status lsq_exec(esc_ledger *l, const char *sql, int n, const char *const *params,
                              struct esc_lrows *rows)
{
	sqlite3_stmt *st = NULL;
	escrow_status s;
	size_t cap = 0;
	int rc;

	if (rows != NULL)
		memset(rows, 0, sizeof *rows);
	rc = sqlite3_prepare_v2(l->db, sql, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return lsq_fail(l, rc, "preparing a query");
	s = lsq_bind(l, st, n, params);
	if (rows != NULL)
		rows->cols = (size_t)sqlite3_column_count(st);
	while (s == ESCROW_OK && (rc = sqlite3_step(st)) == SQLITE_ROW)
		if (rows != NULL && rows->cols > 0)
			s = lsq_row(l, st, rows, &cap);
	if (s == ESCROW_OK && rc != SQLITE_DONE)
		s = lsq_fail(l, rc, "running a query");
	sqlite3_finalize(st);
	if (s != ESCROW_OK)
		esc_lrows_free(rows);
	return s;
}

static escrow_status lsq_script(esc_ledger *l, const char *sql)
{
	int rc = sqlite3_exec(l->db, sql, NULL, NULL, NULL);

	return rc == SQLITE_OK ? ESCROW_OK : lsq_fail(l, rc, "changing the schema");
}

static escrow_status lsq_begin(esc_ledger *l)
{
	int rc = sqlite3_exec(l->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);

	return rc == SQLITE_OK ? ESCROW_OK : lsq_fail(l, rc, "taking the write lock");
}

static escrow_status lsq_commit(esc_ledger *l)
{
	int rc = sqlite3_exec(l->db, "COMMIT", NULL, NULL, NULL);

	return rc == SQLITE_OK ? ESCROW_OK : lsq_fail(l, rc, "committing");
}

static void lsq_rollback(esc_ledger *l)
{
	if (sqlite3_get_autocommit(l->db) == 0)
		(void)sqlite3_exec(l->db, "ROLLBACK", NULL, NULL, NULL);
}

static int lsq_has_table(esc_ledger *l, const char *name)
{
	struct esc_lrows r;
	const char *p[1] = {name};
	int found;

	if (lsq_exec(l, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = $1", 1, p, &r) != ESCROW_OK)
		return -1;
	found = r.rows > 0;
	esc_lrows_free(&r);
	return found;
}

static void lsq_close(esc_ledger *l)
{
	sqlite3_close(l->db);
	l->db = NULL;
}

static const struct esc_ledger_ops lsq_ops = {
	ESC_LQ_SQLITE, lsq_exec, lsq_script, lsq_begin, lsq_commit, lsq_rollback, lsq_has_table, lsq_close,
};

/* WAL must really be on: a file system that cannot share memory between
 * processes (some network ones) refuses it, and concurrent receives would
 * then not be safe. */
static escrow_status lsq_setup(esc_ledger *l)
{
	struct esc_lrows r;
	escrow_status s;

	sqlite3_extended_result_codes(l->db, 1);
	sqlite3_busy_timeout(l->db, ESC_LEDGER_BUSY_MS);
	s = lsq_exec(l, "PRAGMA journal_mode = WAL", 0, NULL, &r);
	if (s != ESCROW_OK)
		return s;
	if (r.rows != 1 || esc_lrows_at(&r, 0, 0) == NULL || strcmp(esc_lrows_at(&r, 0, 0), "wal") != 0)
		s = esc_error(l->ctx, ESCROW_E_IO, "ledger %s: SQLite cannot use WAL mode here (keep the vault on a "
		              "local file system, or give a PostgreSQL ledger)", l->name);
	esc_lrows_free(&r);
	if (s == ESCROW_OK)
		s = lsq_script(l, "PRAGMA foreign_keys = ON; PRAGMA synchronous = FULL;");
	return s;
}

/* The length of path made absolute as SQLite makes it (no symlink resolved). */
static size_t abs_len(const char *path)
{
	char cwd[4096];

	if (path[0] == '/' || getcwd(cwd, sizeof cwd) == NULL)
		return strlen(path);
	return strlen(cwd) + 1 + strlen(path);
}

escrow_status esc_lsq_open(esc_ledger *l, const char *path, bool create)
{
	struct stat sb;
	sqlite3 *db = NULL;
	int rc;

	if ((l->name = strdup(path)) == NULL)
		return esc_nomem(l->ctx);
	l->ops = &lsq_ops;
	if (!create && stat(path, &sb) != 0)
		return esc_error(l->ctx, ESCROW_E_OPEN, "ledger %s: %s (not a vault, or not made yet: "
		                 "'escrow vault init' makes one)", path, strerror(errno));
	rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | (create ? SQLITE_OPEN_CREATE : 0), NULL);
	l->db = db;
	if (rc != SQLITE_OK) {
		escrow_status s = lsq_fail(l, rc, "opening");
		size_t full = abs_len(path);

		/* SQLite's unix files take a path of at most 512 bytes from / (its
		 * MAX_PATHNAME; a relative one is joined to the current folder), and
		 * its journal's name is the ledger's and "-journal": 504 at most */
		if ((rc & 0xff) == SQLITE_CANTOPEN && full > 504)
			return esc_error(l->ctx, create ? ESCROW_E_CREATE : ESCROW_E_OPEN,
			                 "ledger %s: its path from / is %zu bytes, and SQLite opens a ledger at a "
			                 "path of at most 504 (make the vault in a folder with a shorter path, or "
			                 "reach it through a shorter symlink)", path, full);
		if (s == ESCROW_E_IO && (rc & 0xff) == SQLITE_CANTOPEN)
			s = esc_error(l->ctx, ESCROW_E_OPEN, "%s", esc_ctx_message(l->ctx));
		return s;
	}
	return lsq_setup(l);
}
