/* vault_query.c -- what the vault holds, for people and programs: the
 * deposits (vault list) and one of them (vault show), as text or JSON. */
#include "esc_api.h"
#include "esc_escape.h"
#include "esc_vault.h"
#include "esc_vault_ledger.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define COLS "CAST(id AS TEXT), contract_id, name, release_version, bundle_sha256, CAST(bundle_size AS TEXT)," \
	" signer_key_id, verdict, deliverables, received_at, store_path, previous_sha256, CAST(event_seq AS TEXT)"
enum { C_ID, C_CONTRACT, C_NAME, C_RELEASE, C_SHA, C_SIZE, C_SIGNER, C_VERDICT, C_DELIV, C_TIME, C_STORE, C_PREV,
       C_EVENT, N_COLS };
static const char *const names[N_COLS] = {"id", "contract_id", "name", "release", "bundle_sha256", "bundle_size",
                                          "signer_key_id", "verdict", "deliverables", "received_at", "store_path",
                                          "previous_sha256", "event_seq"};

static json_t *cell_json(const char *s, int col)
{
	if (s == NULL)
		return json_null();
	if (col == C_ID || col == C_SIZE || col == C_EVENT)
		return json_integer(strtoll(s, NULL, 10));
	if (col == C_DELIV) {
		json_t *d = json_loads(s, 0, NULL);

		return d ? d : esc_json_string(s);
	}
	return esc_json_string(s); /* a ledger altered by hand may hold any bytes */
}

static json_t *row_json(const struct esc_lrows *r, size_t row, const char *why)
{
	json_t *o = json_object();
	int c;

	for (c = 0; o != NULL && c < N_COLS; c++)
		if (json_object_set_new(o, names[c], cell_json(esc_lrows_at(r, row, (size_t)c), c)) != 0) {
			json_decref(o);
			return NULL;
		}
	if (o != NULL && why != NULL && json_object_set_new(o, "edited", json_string(why)) != 0) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static char *escaped(const char *s, enum esc_escape_mode mode)
{
	size_t n = esc_escape(NULL, 0, s, strlen(s), mode) + 1;
	char *out = malloc(n);

	if (out != NULL)
		esc_escape(out, n, s, strlen(s), mode);
	return out;
}

/* Cells of the table: at most 8 at once, escaped for a terminal. */
static const char *cell(const struct esc_lrows *r, size_t row, int col)
{
	static __thread char *ring[8];
	static __thread unsigned next;
	const char *s = esc_lrows_at(r, row, (size_t)col);
	char **slot = &ring[next++ % 8];

	free(*slot);
	*slot = escaped(s ? s : "-", ESC_ESCAPE_TEXT);
	return *slot ? *slot : "?";
}

/* The rows shown that differ from their receive events (edited by hand in
 * the database): why[i] names what differs in row i, NULL when it holds what
 * its event says. */
struct edits {
	const struct esc_lrows *r;
	char **why;
	size_t n;
	char first[256];
	bool nomem;
};

static void edited(void *user, int64_t id, const char *why)
{
	struct edits *e = user;
	size_t lo = 0, hi = e->r->rows;

	while (lo < hi) { /* the rows come ordered by number */
		size_t mid = lo + (hi - lo) / 2;
		const char *s = esc_lrows_at(e->r, mid, C_ID);

		if ((s != NULL ? strtoll(s, NULL, 10) : 0) < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == e->r->rows || esc_lrows_at(e->r, lo, C_ID) == NULL ||
	    strtoll(esc_lrows_at(e->r, lo, C_ID), NULL, 10) != id || e->why[lo] != NULL)
		return; /* not shown (another contract's) */
	if ((e->why[lo] = strdup(why)) == NULL) {
		e->nomem = true;
		return;
	}
	if (e->n++ == 0)
		snprintf(e->first, sizeof e->first, "%s", why);
}

/* Every row shown against the log: list and show print what the ledger's
 * rows say, and a row edited by hand (a refused deposit turned verified)
 * must not pass for what was received. */
static escrow_status check_edits(escrow_vault *v, const struct esc_lrows *r, bool one, struct edits *e)
{
	escrow_status st;

	memset(e, 0, sizeof *e);
	e->r = r;
	if (r->rows == 0)
		return ESCROW_OK;
	if ((e->why = calloc(r->rows, sizeof *e->why)) == NULL)
		return esc_nomem(v->ctx);
	st = esc_ledger_edited_deposits(v->ledger,
	                                one && esc_lrows_at(r, 0, C_ID) ? strtoll(esc_lrows_at(r, 0, C_ID), NULL, 10)
	                                                                : 0,
	                                edited, e);
	return st == ESCROW_OK && e->nomem ? esc_nomem(v->ctx) : st;
}

static void edits_free(struct edits *e)
{
	size_t i;

	for (i = 0; e->why != NULL && i < e->r->rows; i++)
		free(e->why[i]);
	free(e->why);
}

/* ESCROW_TAMPERED naming the first edited row shown, the output kept. */
static escrow_status edits_status(escrow_vault *v, const struct edits *e, bool one)
{
	if (e->n == 0)
		return ESCROW_OK;
	if (one)
		return esc_error(v->ctx, ESCROW_TAMPERED, "vault %s: %s: what is shown is not what was received "
		                 "('escrow vault log --verify' shows it)", v->path, e->first);
	return esc_error(v->ctx, ESCROW_TAMPERED, "vault %s: %zu of the deposits shown differ from their receive "
	                 "events, marked edited (the first: %s): they are not what was received ('escrow vault log "
	                 "--verify' shows it)", v->path, e->n, e->first);
}

/* Text lines: one a deposit (list), or every field (show). */
/* One stream for every row: a text rebuilt per cell grew as the square of
 * the deposits (10,000 of them copied gigabytes). */
static char *rows_text(const struct esc_lrows *r, bool one, char *const *why)
{
	char *out = NULL;
	size_t len = 0, i;
	FILE *f = open_memstream(&out, &len);
	int c;

	if (f == NULL)
		return NULL;
	if (!one)
		fputs("ID  VERDICT        CONTRACT  NAME  RELEASE  RECEIVED  SHA256\n", f);
	for (i = 0; i < r->rows; i++) {
		if (one) {
			for (c = 0; c < N_COLS; c++)
				fprintf(f, "%-16s %s\n", names[c], cell(r, i, c));
			if (why != NULL && why[i] != NULL) /* escaped already (vault_ledger_tables.c) */
				fprintf(f, "%-16s %s\n", "edited", why[i]);
			continue;
		}
		fprintf(f, "%s  %-13s  %s  %s  %s  %s  %.16s%s\n", cell(r, i, C_ID), cell(r, i, C_VERDICT),
		        cell(r, i, C_CONTRACT), cell(r, i, C_NAME), cell(r, i, C_RELEASE), cell(r, i, C_TIME),
		        cell(r, i, C_SHA), why != NULL && why[i] != NULL ? "  (edited)" : "");
	}
	if (ferror(f)) {
		fclose(f);
		free(out);
		return NULL;
	}
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

static escrow_status render(escrow_vault *v, const struct esc_lrows *r, bool one, unsigned flags, char **out)
{
	json_t *root = NULL;
	char *text = NULL;
	struct edits e;
	escrow_status st = check_edits(v, r, one, &e);
	size_t i;

	if (st != ESCROW_OK) {
		edits_free(&e);
		return st;
	}
	if (!(flags & ESCROW_JSON)) {
		text = rows_text(r, one, e.why);
	} else {
		root = one ? row_json(r, 0, e.why[0])
		           : json_pack("{s:o?, s:[]}", "vault", esc_json_string(v->path), "deposits");
		for (i = 0; !one && root != NULL && i < r->rows; i++)
			if (json_array_append_new(json_object_get(root, "deposits"), row_json(r, i, e.why[i])) != 0) {
				json_decref(root);
				root = NULL;
			}
		if (root != NULL) /* docs/schema/escrow-vault-{show,list}-1.schema.json */
			json_object_set_new(root, "schema", json_string(one ? "escrow-vault-show/1" : "escrow-vault-list/1"));
		if (root != NULL)
			text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
		json_decref(root);
	}
	if (text == NULL) {
		edits_free(&e);
		return esc_nomem(v->ctx);
	}
	/* Text from the bundles (names, contract ids) is escaped for terminals. */
	*out = (flags & ESCROW_JSON) ? escaped(text, ESC_ESCAPE_JSON_DOC) : text;
	if (*out != text)
		free(text);
	st = *out == NULL ? esc_nomem(v->ctx) : edits_status(v, &e, one);
	edits_free(&e);
	return st;
}

escrow_status escrow_vault_list(escrow_vault *v, const escrow_options *o, unsigned flags, char **out)
{
	struct esc_lrows r = {0};
	const char *p[1];
	escrow_status st;

	if (out != NULL)
		*out = NULL;
	if (v == NULL || o == NULL || out == NULL)
		return v ? esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_list: NULL argument") : ESCROW_E_USAGE;
	p[0] = o->contract_id;
	st = v->ledger->ops->exec(v->ledger,
	                          o->contract_id ? "SELECT " COLS " FROM deposits WHERE contract_id = $1 ORDER BY id"
	                                         : "SELECT " COLS " FROM deposits ORDER BY id",
	                          o->contract_id ? 1 : 0, p, &r);
	if (st == ESCROW_OK)
		st = render(v, &r, false, flags, out);
	esc_lrows_free(&r);
	return st;
}

/* A deposit number: fewer than 8 characters, all digits; else a SHA-256 prefix. */
static escrow_status show_query(escrow_vault *v, const char *d, struct esc_lrows *r)
{
	size_t i, n = strlen(d);
	bool digits = n > 0, hex = n >= 8 && n <= 64;
	char lower[65];

	for (i = 0; i < n; i++) {
		digits = digits && isdigit((unsigned char)d[i]);
		hex = hex && isxdigit((unsigned char)d[i]);
		if (i < 64)
			lower[i] = (char)tolower((unsigned char)d[i]);
	}
	if (digits && n < 8)
		return v->ledger->ops->exec(v->ledger, "SELECT " COLS " FROM deposits WHERE id = CAST($1 AS BIGINT)", 1,
		                            (const char *[]){d}, r);
	if (!hex)
		return esc_error(v->ctx, ESCROW_E_USAGE,
		                 "deposit '%s': give a deposit number, or at least 8 hex digits of the bundle's SHA-256", d);
	lower[n] = '\0';
	return v->ledger->ops->exec(v->ledger, "SELECT " COLS " FROM deposits WHERE bundle_sha256 LIKE $1 || '%' "
	                            "ORDER BY id LIMIT 2", 1, (const char *[]){lower}, r);
}

escrow_status escrow_vault_show(escrow_vault *v, const escrow_options *o, unsigned flags, char **out)
{
	struct esc_lrows r = {0};
	escrow_status st;

	if (out != NULL)
		*out = NULL;
	if (v == NULL || o == NULL || out == NULL)
		return v ? esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_show: NULL argument") : ESCROW_E_USAGE;
	if (o->deposit == NULL)
		return esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_show: no deposit given");
	st = show_query(v, o->deposit, &r);
	if (st == ESCROW_OK && r.rows == 0)
		st = esc_error(v->ctx, ESCROW_E_OPEN, "vault %s: no deposit %s ('escrow vault list' shows them)", v->path,
		               o->deposit);
	if (st == ESCROW_OK && r.rows > 1)
		st = esc_error(v->ctx, ESCROW_E_USAGE, "vault %s: %s matches several deposits (give more hex digits)",
		               v->path, o->deposit);
	if (st == ESCROW_OK)
		st = render(v, &r, true, flags, out);
	esc_lrows_free(&r);
	return st;
}
