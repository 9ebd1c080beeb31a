/* vault_ledger.c -- opening a vault's ledger on either backend, and bringing
 * its schema up to date: migrations run in order at open, each with the
 * version it reaches, in one write transaction; a ledger written by a newer
 * escrow is refused rather than half understood. */
#include "esc_vault_ledger.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* 0 for a ledger with no tables yet; -1 on error (in ctx). */
static int ledger_version(esc_ledger *l)
{
	struct esc_lrows r;
	const char *v;
	char *end;
	long n;
	int has = l->ops->has_table(l, "ledger_meta");

	if (has <= 0)
		return has;
	if (l->ops->exec(l, "SELECT value FROM ledger_meta WHERE name = 'schema_version'", 0, NULL, &r) != ESCROW_OK)
		return -1;
	v = r.rows == 1 ? esc_lrows_at(&r, 0, 0) : NULL;
	errno = 0;
	n = v != NULL ? strtol(v, &end, 10) : -1;
	if (v == NULL || errno != 0 || *end != '\0' || end == v || n < 0 || n > 1000000) {
		esc_error(l->ctx, ESCROW_E_INPUT, "ledger %s: its schema version (table ledger_meta, row "
		          "schema_version) is missing or not a number (the ledger was altered: restore it from a backup)",
		          l->name);
		n = -1;
	}
	esc_lrows_free(&r);
	return (int)n;
}

static escrow_status ledger_refuse(esc_ledger *l, int v, bool create)
{
	if (v == 0 && !create)
		return esc_error(l->ctx, ESCROW_E_OPEN, "ledger %s: no escrow ledger there (an empty database: "
		                 "'escrow vault init' makes one)", l->name);
	if (v > ESC_LEDGER_SCHEMA)
		return esc_error(l->ctx, ESCROW_E_INPUT, "ledger %s: schema version %d, newer than this escrow "
		                 "(%s) knows (it reads up to %d): use the escrow that wrote it, or a newer one",
		                 l->name, v, ESCROW_VERSION, ESC_LEDGER_SCHEMA);
	return ESCROW_OK;
}

/* Under the write lock, so that two processes opening an old or new ledger
 * at once migrate it once: the second one finds it done. */
static escrow_status ledger_migrate(esc_ledger *l, bool create)
{
	escrow_status s;
	char num[16];
	const char *p[1] = {num};
	int v = ledger_version(l);

	if (v < 0)
		return escrow_ctx_status(l->ctx);
	if (v == ESC_LEDGER_SCHEMA) {
		l->schema = v;
		return ESCROW_OK;
	}
	if ((s = ledger_refuse(l, v, create)) != ESCROW_OK)
		return s;
	if ((s = l->ops->begin(l)) != ESCROW_OK)
		return s;
	v = ledger_version(l);
	s = v < 0 ? escrow_ctx_status(l->ctx) : ledger_refuse(l, v, create);
	for (v = v + 1; s == ESCROW_OK && v <= ESC_LEDGER_SCHEMA; v++) {
		snprintf(num, sizeof num, "%d", v);
		s = l->ops->script(l, esc_ledger_migration(l->ops->kind, v));
		if (s == ESCROW_OK)
			s = l->ops->exec(l, "UPDATE ledger_meta SET value = $1 WHERE name = 'schema_version'", 1, p, NULL);
	}
	if (s == ESCROW_OK)
		s = l->ops->commit(l);
	if (s != ESCROW_OK) {
		l->ops->rollback(l);
		return s;
	}
	l->schema = ESC_LEDGER_SCHEMA;
	return ESCROW_OK;
}

escrow_status esc_ledger_open(escrow_ctx *ctx, const char *vault, const char *url, unsigned flags,
                              esc_ledger **out)
{
	esc_ledger *l;
	escrow_status s;
	char *path;

	*out = NULL;
	if ((l = calloc(1, sizeof *l)) == NULL)
		return esc_nomem(ctx);
	l->ctx = ctx;
	l->fixed_time = -1;
	if (url == NULL) {
		if ((path = esc_path_join(vault, ESC_LEDGER_FILE)) == NULL) {
			free(l);
			return esc_nomem(ctx);
		}
		s = esc_lsq_open(l, path, (flags & ESC_LEDGER_CREATE) != 0);
		free(path);
	} else {
		s = esc_lpg_open(l, url);
	}
	if (s == ESCROW_OK)
		s = ledger_migrate(l, (flags & ESC_LEDGER_CREATE) != 0);
	if (s != ESCROW_OK) {
		esc_ledger_close(l);
		return s;
	}
	*out = l;
	return ESCROW_OK;
}

void esc_ledger_close(esc_ledger *l)
{
	if (l == NULL)
		return;
	if (l->ops != NULL && l->db != NULL)
		l->ops->close(l);
	free(l->name);
	free(l);
}

const char *esc_ledger_backend(const esc_ledger *l)
{
	return l->ops->kind == ESC_LQ_SQLITE ? "sqlite" : "postgresql";
}

int esc_ledger_schema_version(const esc_ledger *l)
{
	return l->schema;
}

void esc_ledger_set_time(esc_ledger *l, int64_t t)
{
	l->fixed_time = t;
}
