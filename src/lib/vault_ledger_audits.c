/* vault_ledger_audits.c -- the deposit columns an audit changes, against the
 * audit events that changed them. vault audit sets each checked deposit's
 * audited_at to its event's time, and the minisig_stored of a deposit
 * received before it was recorded (NULL) to 1 when its detached signature
 * verified (listing it in the event's minisig_found). An audit event lists
 * the deposits it checked (ok, failed[].deposit) unless there were too many
 * for an event (ok_count, failed_count): then any deposit may carry its
 * time. So a deposit's audited_at must be NULL when no audit event names it,
 * else the time of the last event that names it or of a later one that could
 * not list it; and a deposit an audit found a signature for must still say
 * 1. An audited_at moved into the future (the deposit never sampled again),
 * set back, or a minisig_stored turned back to NULL (a deleted signature no
 * longer missed) is found and named.
 *
 * Memory: one small record per deposit number and one per audit event that
 * could not list its deposits; rows and events come in pages. */
#include "esc_vault_ledger.h"

#include <inttypes.h>
#include <string.h>

#define EV_MAX "65536"
#define PAGE   32

struct seen {
	int64_t seq;       /* the last audit event that names the deposit, 0: none */
	char time[24];     /* its time */
	int64_t found_seq; /* an audit event that found its signature, 0: none */
};
struct unlisted {
	int64_t seq;
	char time[24];
};
struct audits {
	struct seen *dep;
	size_t n;
	struct unlisted *u;
	size_t nu, cap;
};

static void name_dep(struct audits *a, const json_t *id, int64_t seq, const char *time, bool found)
{
	json_int_t n = json_is_integer(id) ? json_integer_value(id) : 0;

	if (n <= 0 || (size_t)n >= a->n)
		return; /* no such deposit: the chain holds, so nothing a row can contradict */
	if (found) {
		a->dep[n].found_seq = seq;
		return;
	}
	a->dep[n].seq = seq;
	snprintf(a->dep[n].time, sizeof a->dep[n].time, "%s", time);
}

static escrow_status one_audit(esc_ledger *l, struct audits *a, int64_t seq, const char *time, const char *body)
{
	json_t *root = body != NULL ? json_loads(body, JSON_REJECT_DUPLICATES, NULL) : NULL;
	const json_t *data = json_object_get(root, "data"), *ok = json_object_get(data, "ok"),
	             *failed = json_object_get(data, "failed"), *v;
	size_t i;

	if (time == NULL || strlen(time) >= sizeof a->dep[0].time) {
		json_decref(root);
		return ESCROW_OK; /* the chain check compares recorded_at with the body */
	}
	if (json_is_array(ok) && json_is_array(failed) && json_object_get(data, "ok_count") == NULL &&
	    json_object_get(data, "failed_count") == NULL) {
		json_array_foreach(ok, i, v) name_dep(a, v, seq, time, false);
		json_array_foreach(failed, i, v) name_dep(a, json_object_get(v, "deposit"), seq, time, false);
	} else {
		if (a->nu == a->cap) {
			size_t cap = a->cap ? a->cap * 2 : 16;
			struct unlisted *u = realloc(a->u, cap * sizeof *u);

			if (u == NULL) {
				json_decref(root);
				return esc_nomem(l->ctx);
			}
			a->u = u;
			a->cap = cap;
		}
		a->u[a->nu].seq = seq;
		snprintf(a->u[a->nu].time, sizeof a->u[a->nu].time, "%s", time);
		a->nu++;
	}
	json_array_foreach(json_object_get(data, "minisig_found"), i, v) name_dep(a, v, seq, time, true);
	json_decref(root);
	return ESCROW_OK;
}

static escrow_status read_audits(esc_ledger *l, struct audits *a)
{
	char after[32] = "0";
	const char *p[1] = {after};
	struct esc_lrows rows;
	escrow_status s;
	size_t i, n;

	if ((s = l->ops->exec(l, "SELECT CAST(COALESCE(MAX(id), 0) AS TEXT) FROM deposits", 0, NULL, &rows)) !=
	    ESCROW_OK)
		return s;
	a->n = rows.rows == 1 && esc_lrows_at(&rows, 0, 0) ? (size_t)strtoull(esc_lrows_at(&rows, 0, 0), NULL, 10) + 1
	                                                   : 1;
	esc_lrows_free(&rows);
	if ((a->dep = calloc(a->n, sizeof *a->dep)) == NULL)
		return esc_nomem(l->ctx);
	do {
		/* e.seq, not seq: PostgreSQL would order by the output column
		 * CAST(seq AS TEXT) is named after, as text ("10" before "9") */
		s = l->ops->exec(l, "SELECT CAST(e.seq AS TEXT), e.recorded_at, CASE WHEN length(e.body) > " EV_MAX
		                 " THEN NULL ELSE e.body END FROM events e WHERE e.kind = '" ESC_EV_AUDIT "' AND e.seq > "
		                 "CAST($1 AS BIGINT) ORDER BY e.seq LIMIT 32", 1, p, &rows);
		if (s != ESCROW_OK)
			return s;
		n = rows.rows;
		for (i = 0; i < n && s == ESCROW_OK; i++) {
			int64_t seq = esc_lrows_at(&rows, i, 0) ? strtoll(esc_lrows_at(&rows, i, 0), NULL, 10) : 0;

			s = one_audit(l, a, seq, esc_lrows_at(&rows, i, 1), esc_lrows_at(&rows, i, 2));
			snprintf(after, sizeof after, "%" PRId64, seq);
		}
		esc_lrows_free(&rows);
	} while (s == ESCROW_OK && n == PAGE);
	return s;
}

/* A time an audit that could not list its deposits gave, after both the
 * deposit's receive and the last audit that names it. */
static bool unlisted_at(const struct audits *a, int64_t after, const char *t)
{
	size_t i;

	for (i = 0; i < a->nu; i++)
		if (a->u[i].seq > after && strcmp(a->u[i].time, t) == 0)
			return true;
	return false;
}

static escrow_status dep_audit_row(esc_ledger *l, struct esc_chain_report *r, const struct audits *a,
                                   char *const *c)
{
	int64_t id = c[0] ? strtoll(c[0], NULL, 10) : 0, rseq = c[1] ? strtoll(c[1], NULL, 10) : 0;
	const struct seen *d = id > 0 && (size_t)id < a->n ? &a->dep[id] : NULL;
	const char *at = c[2], *ms = c[3];
	char *e;

	if (d == NULL)
		return ESCROW_OK; /* its number is checked against its receive event */
	if (d->found_seq > 0 && (ms == NULL || strcmp(ms, "1") != 0))
		return esc_chain_fault(l, r, ESC_CHAIN_ROW, d->found_seq, "deposit %" PRId64 " was edited: its "
		                       "minisig_stored says %s, and audit event %" PRId64 " found its detached signature "
		                       "stored", id, ms == NULL ? "not known" : "not stored", d->found_seq);
	if (at == NULL)
		return d->seq == 0 ? ESCROW_OK
		                   : esc_chain_fault(l, r, ESC_CHAIN_ROW, d->seq, "deposit %" PRId64 " was edited: its "
		                                     "audited_at says never audited, and audit event %" PRId64
		                                     " checked it", id, d->seq);
	if ((d->seq > 0 && strcmp(at, d->time) == 0) || unlisted_at(a, d->seq > rseq ? d->seq : rseq, at))
		return ESCROW_OK;
	e = esc_escape_dup(at, strnlen(at, 64), ESC_ESCAPE_TEXT);
	if (d->seq > 0)
		esc_chain_fault(l, r, ESC_CHAIN_ROW, d->seq, "deposit %" PRId64 " was edited: its audited_at (%s) is "
		                "not the time of the last audit that checked it (event %" PRId64 ", %s)", id,
		                e ? e : "?", d->seq, d->time);
	else
		esc_chain_fault(l, r, ESC_CHAIN_ROW, rseq, "deposit %" PRId64 " was edited: its audited_at (%s) is "
		                "not the time of any audit event that checked it (the row was changed, or that audit "
		                "event deleted)", id, e ? e : "?");
	free(e);
	return ESCROW_TAMPERED;
}

escrow_status esc_ledger_check_audits(esc_ledger *l, struct esc_chain_report *r)
{
	struct audits a;
	char after[32] = "0";
	const char *p[1] = {after};
	struct esc_lrows rows;
	escrow_status s;
	size_t i, n;

	memset(&a, 0, sizeof a);
	s = read_audits(l, &a);
	while (s == ESCROW_OK) {
		s = l->ops->exec(l, "SELECT CAST(d.id AS TEXT), CAST(d.event_seq AS TEXT), substr(d.audited_at, 1, 64),"
		                 " CAST(d.minisig_stored AS TEXT) FROM deposits d WHERE d.id > CAST($1 AS BIGINT)"
		                 " ORDER BY d.id LIMIT 32", 1, p, &rows);
		if (s != ESCROW_OK)
			break;
		n = rows.rows;
		for (i = 0; i < n && s == ESCROW_OK; i++) {
			s = dep_audit_row(l, r, &a, &rows.cell[i * rows.cols]);
			snprintf(after, sizeof after, "%s", esc_lrows_at(&rows, i, 0) ? esc_lrows_at(&rows, i, 0) : "0");
		}
		esc_lrows_free(&rows);
		if (n < PAGE)
			break;
	}
	free(a.dep);
	free(a.u);
	return s;
}
