/* esc_vault_ledger.h -- what the ledger's files share: the open ledger and
 * its backend (vault_ledger_sqlite.c, vault_ledger_pg.c). SQL is written once
 * with $1, $2 ... parameters (SQLite binds them by name, libpq by number);
 * every parameter and every result is text, NULL standing for SQL NULL. */
#ifndef ESC_VAULT_LEDGER_H
#define ESC_VAULT_LEDGER_H

#include "esc_vault.h"

#include <stdlib.h>

/* A query's result: rows x cols cells, each malloc'd text or NULL. */
struct esc_lrows {
	size_t rows, cols;
	char **cell;
};
static inline const char *esc_lrows_at(const struct esc_lrows *r, size_t row, size_t col)
{
	return r->cell[row * r->cols + col];
}
static inline void esc_lrows_free(struct esc_lrows *r)
{
	size_t i;

	if (r == NULL || r->cell == NULL)
		return;
	for (i = 0; i < r->rows * r->cols; i++)
		free(r->cell[i]);
	free(r->cell);
	r->cell = NULL;
	r->rows = r->cols = 0;
}

enum esc_lq_kind { ESC_LQ_SQLITE, ESC_LQ_PG };

struct esc_ledger_ops {
	enum esc_lq_kind kind;
	/* Runs one statement with n text parameters; rows (may be NULL) gets
	 * the result. Errors go to l->ctx naming the ledger. */
	escrow_status (*exec)(esc_ledger *l, const char *sql, int n, const char *const *params,
	                      struct esc_lrows *rows);
	/* Several statements without parameters (migrations). */
	escrow_status (*script)(esc_ledger *l, const char *sql);
	/* A write transaction that holds the ledger's one writer lock until
	 * commit or rollback: appends are serialised, the chain stays linear. */
	escrow_status (*begin)(esc_ledger *l);
	escrow_status (*commit)(esc_ledger *l);
	void (*rollback)(esc_ledger *l);
	/* 1 if the table exists, 0 if not, -1 on error. */
	int (*has_table)(esc_ledger *l, const char *name);
	void (*close)(esc_ledger *l);
};

struct esc_ledger {
	escrow_ctx *ctx;
	const struct esc_ledger_ops *ops;
	void *db;              /* sqlite3 * or PGconn * */
	char *name;            /* how messages name it: the file, or "postgresql database D on H" */
	int schema;
	int64_t fixed_time;    /* -1: time(NULL) */
};

/* The backends: fill l->db, l->name and l->ops, or fail with the reason in
 * ctx. create: the SQLite file may be made. */
escrow_status esc_lsq_open(esc_ledger *l, const char *path, bool create);
escrow_status esc_lpg_open(esc_ledger *l, const char *conninfo);

/* The migrations (vault_ledger_schema.c): the SQL that takes a ledger from
 * version v-1 to v, for v = 1 .. ESC_LEDGER_SCHEMA, per backend. */
const char *esc_ledger_migration(enum esc_lq_kind kind, int v);

/* The event append inside an open write transaction (vault_ledger_events.c):
 * the body is {"data": data, "kind", "seq", "time"} in canonical form; when
 * is the time to record (NULL: now). */
escrow_status esc_ledger_append_tx(esc_ledger *l, const char *kind, const json_t *data, const char *when,
                                   struct esc_event_ref *out);
/* Records a fault of the chain or of the tables in r (its kind, event and
 * sentence) and in ctx: ESCROW_TAMPERED (vault_ledger_verify.c). */
escrow_status esc_chain_fault(esc_ledger *l, struct esc_chain_report *r, enum esc_chain_fault f, int64_t seq,
                              const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/* Every contract, agency key and deposit row against the event that made it
 * (and revoked it), and every such event against its row: ESCROW_OK, or
 * ESCROW_TAMPERED naming the first that differs (vault_ledger_tables.c).
 * Run after the chain itself is known good. */
escrow_status esc_ledger_check_tables(esc_ledger *l, struct esc_chain_report *r);
/* The deposit columns an audit changes (audited_at; minisig_stored of a
 * deposit whose receive event does not say it) against the audit events
 * that changed them (vault_ledger_audits.c). Run by esc_ledger_check_tables. */
escrow_status esc_ledger_check_audits(esc_ledger *l, struct esc_chain_report *r);
/* Every deposit row against its receive event and the audit events: what
 * vault audit checks before it trusts them. */
escrow_status esc_ledger_check_deposit_rows(esc_ledger *l, struct esc_chain_report *r);
/* The deposit rows numbered only (0: every one) against their receive
 * events, as esc_ledger_check_deposit_rows does, but going on past an edited
 * one: fn gets each edited row's number and the sentence naming what differs.
 * For the rows list and show print. ESCROW_OK, or the ledger's error. */
escrow_status esc_ledger_edited_deposits(esc_ledger *l, int64_t only,
                                        void (*fn)(void *user, int64_t id, const char *why), void *user);
/* The same for the rows a receive or a release is about to trust: one
 * contract's versions (and none of its registrations lost), one agency key
 * of one contract (and its revocations). ESCROW_TAMPERED naming the
 * difference in ctx. */
escrow_status esc_ledger_check_contract(esc_ledger *l, const char *contract_id);
escrow_status esc_ledger_check_key(esc_ledger *l, const char *contract_id, const char *key_id);
/* "2026-12-06T07:00:00Z" for the ledger's clock, into buf[21]. */
void esc_ledger_now(const esc_ledger *l, char buf[21]);

#endif
