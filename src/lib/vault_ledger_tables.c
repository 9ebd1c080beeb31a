/* vault_ledger_tables.c -- the tables against the log. The event chain is
 * what a notary can prove; the rows are what list, show, audit and release
 * read. Every row is written in the transaction of the event that records it
 * (a contract and its contract-add or -amend event, a key and its key-add,
 * its revocation and its key-revoke, a deposit and its receive), with the
 * same values: so each row must still say what its event says, and each such
 * event must still have its row. A hand edit of a row (a deposit's verdict
 * turned to verified, its digest changed to match a swapped file, a revoked
 * key made valid again, a key added without an event) leaves the chain
 * intact, and is found here. deposits.minisig_stored is in the receive
 * event (minisig_stored; a receive event written before that member was
 * added says nothing of it); deposits.audited_at and the minisig_stored an audit
 * set for such an older deposit change after the receive (vault_audit.c), and
 * are checked against the audit events that set them (check_audits).
 *
 * Memory stays bounded: rows come in pages, and a row longer than any event
 * could hold is flagged by the database before it is fetched. */
#include "esc_vault_ledger.h"

#include <inttypes.h>
#include <string.h>

/* What an event can hold, and a row of it: the JSON's bound. */
#define EV_MAX "65536"
#define PAGE   32

/* A row's text for a message: escaped, bounded. */
static const char *shown(const char *s, char *buf, size_t len)
{
	char *e;

	if (s == NULL)
		return "(none)";
	e = esc_escape_dup(s, strnlen(s, 200), ESC_ESCAPE_TEXT);
	snprintf(buf, len, "%s%s", e != NULL ? e : "?", strlen(s) > 200 ? "..." : "");
	free(e);
	return buf;
}

/* The cell says what the event's member says: a string alike, an integer
 * in decimal, null or absent as SQL NULL. */
static bool same(const json_t *data, const char *key, const char *cell)
{
	const json_t *v = json_object_get(data, key);
	char num[32];

	if (v == NULL || json_is_null(v))
		return cell == NULL;
	if (cell == NULL)
		return false;
	if (json_is_string(v))
		return strcmp(json_string_value(v), cell) == 0;
	if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return strcmp(num, cell) == 0;
	}
	return false;
}

/* The event's data, or NULL when the body is not what escrow writes. */
static json_t *event_data(const char *body, json_t **root)
{
	*root = body != NULL ? json_loads(body, JSON_REJECT_DUPLICATES, NULL) : NULL;
	return json_is_object(json_object_get(*root, "data")) ? json_object_get(*root, "data") : NULL;
}

/* ---- deposits ---- */

/* Which column differs from the receive event, or NULL. c: the row's cells
 * from column 2 on (id, the size flag, then dep_cols with bundle_size after
 * bundle_sha256). */
static const char *dep_differs(const json_t *root, const json_t *data, const char *id, char *const *c)
{
	const json_t *deliv = json_object_get(data, "deliverables");
	char *canon;
	bool same_deliv;

	if (!same(data, "deposit", id))
		return "number";
	if (!same(data, "contract", c[0]))
		return "contract_id";
	if (!same(data, "contract_sha256", c[1]))
		return "contract_sha256";
	if (!same(data, "name", c[2]))
		return "name";
	if (!same(data, "release", c[3]))
		return "release_version";
	if (!same(data, "bundle_sha256", c[4]))
		return "bundle_sha256";
	if (!same(data, "bundle_size", c[5]))
		return "bundle_size";
	if (!same(data, "signer", c[6]))
		return "signer_key_id";
	if (!same(data, "verdict", c[7]))
		return "verdict";
	canon = json_is_object(deliv) ? json_dumps(deliv, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	same_deliv = canon != NULL && c[8] != NULL && strcmp(canon, c[8]) == 0;
	free(canon);
	if (!same_deliv)
		return "deliverables";
	if (!same(root, "time", c[9]))
		return "received_at";
	if (!same(data, "store_path", c[10]))
		return "store_path";
	if (!same(data, "previous_deposit", c[11]))
		return "previous_sha256";
	/* absent from receive events written before it was added: the audit
	 * events are what say anything of those (check_audits) */
	if (json_object_get(data, "minisig_stored") != NULL &&
	    (!json_is_boolean(json_object_get(data, "minisig_stored")) || c[15] == NULL ||
	     strcmp(c[15], json_is_true(json_object_get(data, "minisig_stored")) ? "1" : "0") != 0))
		return "minisig_stored";
	return NULL;
}

static escrow_status dep_row(esc_ledger *l, struct esc_chain_report *r, const struct esc_lrows *rows,
			     size_t i)
{
	char *const *c = &rows->cell[i * rows->cols];
	const char *id = c[0], *seqs = c[14], *kind = c[15], *what;
	int64_t seq = seqs != NULL ? strtoll(seqs, NULL, 10) : 0;
	json_t *root, *data;
	char b[256], b2[256];

	if (c[1] != NULL && strcmp(c[1], "1") == 0)
		return esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
				       "deposit %s was edited: its row holds more text than "
				       "any receive event can",
				       shown(id, b, sizeof b));
	if (kind == NULL)
		return esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
				       "deposit %s was inserted or edited: event %s, which it "
				       "names as its receive, is not in the log",
				       shown(id, b, sizeof b), seqs ? seqs : "(none)");
	if (strcmp(kind, ESC_EV_RECEIVE) != 0)
		return esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
				       "deposit %s was inserted or edited: event %" PRId64
				       ", which it names as its receive, is a %s event",
				       shown(id, b, sizeof b), seq, shown(kind, b2, sizeof b2));
	data = event_data(c[16], &root);
	what = data != NULL ? dep_differs(root, data, id, &c[2]) : "row";
	json_decref(root);
	if (what == NULL)
		return ESCROW_OK;
	return esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
			       "deposit %s was edited: its %s differs from its receive "
			       "event (event %" PRId64 ")",
			       shown(id, b, sizeof b), what, seq);
}

#define DLEN(c) "COALESCE(length(d." c "), 0)"
static const char dep_sql[] =
    "SELECT CAST(x.id AS TEXT), CASE WHEN x.big THEN '1' ELSE '0' END,"
    " CASE WHEN x.big THEN NULL ELSE x.contract_id END, CASE WHEN x.big THEN NULL ELSE x.contract_sha256 END,"
    " CASE WHEN x.big THEN NULL ELSE x.name END, CASE WHEN x.big THEN NULL ELSE x.release_version END,"
    " CASE WHEN x.big THEN NULL ELSE x.bundle_sha256 END, CAST(x.bundle_size AS TEXT),"
    " CASE WHEN x.big THEN NULL ELSE x.signer_key_id END, CASE WHEN x.big THEN NULL ELSE x.verdict END,"
    " CASE WHEN x.big THEN NULL ELSE x.deliverables END, CASE WHEN x.big THEN NULL ELSE x.received_at END,"
    " CASE WHEN x.big THEN NULL ELSE x.store_path END, CASE WHEN x.big THEN NULL ELSE x.previous_sha256 END,"
    " CAST(x.event_seq AS TEXT), e.kind,"
    " CASE WHEN length(e.body) > " EV_MAX " THEN NULL ELSE e.body END, CAST(x.minisig_stored AS TEXT)"
    " FROM (SELECT d.id, d.contract_id, d.contract_sha256, d.name, d.release_version, d.bundle_sha256,"
    " d.bundle_size, d.signer_key_id, d.verdict, d.deliverables, d.received_at, d.store_path,"
    " d.previous_sha256, d.event_seq, d.minisig_stored, (" DLEN("contract_id") " + " DLEN("contract_sha256") " + " DLEN("name") " + " DLEN("release_version") " + " DLEN("bundle_sha256") " + " DLEN(
	"signer_key_id") " + " DLEN("verdict") " + " DLEN("deliverables") " + " DLEN("received_at") " +"
												    " " DLEN("store_path") " + " DLEN("previous_sha256") ") > " EV_MAX
																			 " AS big FROM deposits d WHERE d.id > CAST($1 AS BIGINT) ORDER BY d.id LIMIT 32) x"
																			 " LEFT JOIN events e ON e.seq = x.event_seq ORDER BY x.id";

static escrow_status check_deposits(esc_ledger *l, struct esc_chain_report *r)
{
	char after[32] = "0";
	const char *p[1] = {after};
	struct esc_lrows rows;
	escrow_status s;
	size_t i, n;

	do {
		if ((s = l->ops->exec(l, dep_sql, 1, p, &rows)) != ESCROW_OK)
			return s;
		n = rows.rows;
		for (i = 0; i < n && s == ESCROW_OK; i++) {
			s = dep_row(l, r, &rows, i);
			snprintf(after, sizeof after, "%s",
				 esc_lrows_at(&rows, i, 0) ? esc_lrows_at(&rows, i, 0) : "0");
		}
		esc_lrows_free(&rows);
	} while (s == ESCROW_OK && n == PAGE);
	return s;
}

/* ---- events that lost their row ---- */

/* The first event of these kinds that no row names in column col of table,
 * or 0; its data in *data (the caller frees *root). */
static escrow_status orphan(esc_ledger *l, const char *kinds, const char *table, const char *col,
			    int64_t *seq, json_t **root, json_t **data)
{
	char sql[512];
	struct esc_lrows rows;
	escrow_status s;

	*seq = 0;
	*root = *data = NULL;
	snprintf(
	    sql, sizeof sql,
	    "SELECT CAST(e.seq AS TEXT), CASE WHEN length(e.body) > " EV_MAX " THEN NULL ELSE "
	    "e.body END FROM events e WHERE e.kind IN (%s) AND NOT EXISTS (SELECT 1 FROM %s t WHERE t.%s = "
	    "e.seq) ORDER BY e.seq LIMIT 1",
	    kinds, table, col);
	if ((s = l->ops->exec(l, sql, 0, NULL, &rows)) != ESCROW_OK)
		return s;
	if (rows.rows == 1 && esc_lrows_at(&rows, 0, 0) != NULL) {
		*seq = strtoll(esc_lrows_at(&rows, 0, 0), NULL, 10);
		*data = event_data(esc_lrows_at(&rows, 0, 1), root);
	}
	esc_lrows_free(&rows);
	return ESCROW_OK;
}

static const char *member(const json_t *data, const char *key, char *buf, size_t len)
{
	const json_t *v = json_object_get(data, key);

	if (json_is_integer(v)) {
		snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		return buf;
	}
	return shown(json_is_string(v) ? json_string_value(v) : "?", buf, len);
}

static escrow_status check_orphans(esc_ledger *l, struct esc_chain_report *r)
{
	int64_t seq;
	json_t *root, *data;
	char b1[256], b2[256];
	escrow_status s = orphan(l, "'" ESC_EV_RECEIVE "'", "deposits", "event_seq", &seq, &root, &data);

	if (s == ESCROW_OK && seq > 0) {
		s = esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
				    "deposit %s was deleted: event %" PRId64 " records its "
				    "receive, and no row holds it",
				    member(data, "deposit", b1, sizeof b1), seq);
		json_decref(root);
		return s;
	}
	if (s == ESCROW_OK)
		s = orphan(l, "'" ESC_EV_CONTRACT_ADD "', '" ESC_EV_CONTRACT_AMEND "'", "contracts",
			   "added_event", &seq, &root, &data);
	if (s == ESCROW_OK && seq > 0) {
		s = esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
				    "contract %s version %s was deleted: event %" PRId64
				    " registered it, and no row holds it",
				    member(data, "contract", b1, sizeof b1),
				    member(data, "version", b2, sizeof b2), seq);
		json_decref(root);
		return s;
	}
	if (s == ESCROW_OK)
		s = orphan(l, "'" ESC_EV_KEY_ADD "'", "agency_keys", "added_event", &seq, &root, &data);
	if (s == ESCROW_OK && seq > 0) {
		s = esc_chain_fault(
		    l, r, ESC_CHAIN_ROW, seq,
		    "key %s for contract %s was deleted: event %" PRId64 " added it, and no row holds it",
		    member(data, "key_id", b1, sizeof b1), member(data, "contract", b2, sizeof b2), seq);
		json_decref(root);
	}
	return s;
}

/* ---- contracts ---- */

#define CON_SELECT \
	"SELECT CASE WHEN length(c.contract_id) > 1024 THEN NULL ELSE c.contract_id END, CAST(c.version AS TEXT)," \
	" CASE WHEN length(c.sha256) > 64 THEN NULL ELSE c.sha256 END," \
	" CASE WHEN length(c.yaml) > 1048576 THEN NULL ELSE c.yaml END, CAST(c.added_event AS TEXT), e.kind," \
	" CASE WHEN length(e.body) > " EV_MAX " THEN NULL ELSE e.body END" \
	" FROM contracts c LEFT JOIN events e ON e.seq = c.added_event"
static const char con_sql[] = CON_SELECT " ORDER BY c.contract_id, c.version LIMIT 8 OFFSET CAST($1 AS INTEGER)";

static const char *con_differs(const json_t *data, char *const *c, const char *kind)
{
	uint8_t d[32];
	char hex[65], bytes[32];

	if (c[0] == NULL || !same(data, "contract", c[0]))
		return "contract_id";
	if (!same(data, "version", c[1]))
		return "version";
	if (strcmp(kind, strcmp(c[1] ? c[1] : "", "1") == 0 ? ESC_EV_CONTRACT_ADD : ESC_EV_CONTRACT_AMEND) !=
	    0)
		return "version";
	if (c[2] == NULL || !same(data, "sha256", c[2]))
		return "sha256";
	if (c[3] == NULL)
		return "yaml";
	esc_sha256_buf(c[3], strlen(c[3]), d);
	esc_hex(d, 32, hex);
	snprintf(bytes, sizeof bytes, "%zu", strlen(c[3]));
	if (strcmp(hex, c[2]) != 0 || !same(data, "bytes", bytes))
		return "yaml";
	return NULL;
}

static escrow_status con_row(esc_ledger *l, struct esc_chain_report *r, char *const *c)
{
	const char *kind = c[5], *what;
	int64_t seq = c[4] != NULL ? strtoll(c[4], NULL, 10) : 0;
	json_t *root, *data;
	char b[256];

	if (kind == NULL ||
	    (strcmp(kind, ESC_EV_CONTRACT_ADD) != 0 && strcmp(kind, ESC_EV_CONTRACT_AMEND) != 0))
		return esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
				       "contract %s version %s was inserted or edited: event "
				       "%s, which it names as its registration, is %s",
				       shown(c[0], b, sizeof b), c[1] ? c[1] : "?", c[4] ? c[4] : "(none)",
				       kind ? "another kind of event" : "not in the log");
	data = event_data(c[6], &root);
	what = data != NULL ? con_differs(data, c, kind) : "row";
	json_decref(root);
	if (what == NULL)
		return ESCROW_OK;
	return esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
			       "contract %s version %s was edited: its %s differs from "
			       "its registration (event %" PRId64 ")",
			       shown(c[0], b, sizeof b), c[1] ? c[1] : "?",
			       strcmp(what, "yaml") == 0 ? "text" : what, seq);
}

/* Every row of sql (LIMIT page OFFSET $1) through check, page by page. */
static escrow_status each_page(esc_ledger *l, struct esc_chain_report *r, const char *sql, size_t page,
                               escrow_status (*check)(esc_ledger *, struct esc_chain_report *, char *const *))
{
	char off[32];
	const char *p[1] = {off};
	struct esc_lrows rows;
	escrow_status s = ESCROW_OK;
	size_t i, n, done = 0;

	do {
		snprintf(off, sizeof off, "%zu", done);
		if ((s = l->ops->exec(l, sql, 1, p, &rows)) != ESCROW_OK)
			return s;
		n = rows.rows;
		for (i = 0; i < n && s == ESCROW_OK; i++)
			s = check(l, r, &rows.cell[i * rows.cols]);
		done += n;
		esc_lrows_free(&rows);
	} while (s == ESCROW_OK && n == page);
	return s;
}

static escrow_status check_contracts(esc_ledger *l, struct esc_chain_report *r)
{
	return each_page(l, r, con_sql, 8, con_row);
}

/* ---- agency keys ---- */

#define KEY_SELECT \
	"SELECT CASE WHEN length(k.contract_id) > 1024 THEN NULL ELSE k.contract_id END," \
	" CASE WHEN length(k.key_id) > 64 THEN NULL ELSE k.key_id END," \
	" CASE WHEN length(k.public_key) > 4096 THEN NULL ELSE k.public_key END," \
	" CAST(k.added_event AS TEXT), CAST(k.revoked_event AS TEXT), substr(k.revoked_reason, 1, 4097)," \
	" a.kind, CASE WHEN length(a.body) > " EV_MAX " THEN NULL ELSE a.body END," \
	" v.kind, CASE WHEN length(v.body) > " EV_MAX " THEN NULL ELSE v.body END" \
	" FROM agency_keys k LEFT JOIN events a ON a.seq = k.added_event LEFT JOIN events v ON v.seq = k.revoked_event"
static const char key_sql[] = KEY_SELECT " ORDER BY k.contract_id, k.key_id LIMIT 32 OFFSET CAST($1 AS INTEGER)";

static bool lists(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;

	json_array_foreach(arr, i, v) if (s != NULL && json_is_string(v) &&
					  strcmp(json_string_value(v), s) == 0) return true;
	return false;
}

static escrow_status key_row(esc_ledger *l, struct esc_chain_report *r, char *const *c)
{
	int64_t added = c[3] ? strtoll(c[3], NULL, 10) : 0, revoked = c[4] ? strtoll(c[4], NULL, 10) : 0;
	const char *what = NULL;
	json_t *root, *data;
	char b1[256], b2[256];

	if (c[6] == NULL || strcmp(c[6], ESC_EV_KEY_ADD) != 0)
		return esc_chain_fault(l, r, ESC_CHAIN_ROW, added,
				       "key %s for contract %s was inserted or edited: event "
				       "%s, which it names as its registration, is %s",
				       shown(c[1], b1, sizeof b1), shown(c[0], b2, sizeof b2),
				       c[3] ? c[3] : "(none)",
				       c[6] ? "another kind of event" : "not in the log");
	data = event_data(c[7], &root);
	if (data == NULL || c[0] == NULL || !same(data, "contract", c[0]))
		what = "contract_id";
	else if (c[1] == NULL || !same(data, "key_id", c[1]))
		what = "key_id";
	else if (c[2] == NULL || !same(data, "public_key", c[2]))
		what = "public key";
	json_decref(root);
	if (what != NULL)
		return esc_chain_fault(l, r, ESC_CHAIN_ROW, added,
				       "key %s for contract %s was inserted or edited: its %s "
				       "differs from its registration (event %" PRId64 ")",
				       shown(c[1], b1, sizeof b1), shown(c[0], b2, sizeof b2), what, added);
	if (c[4] == NULL)
		return c[5] == NULL ? ESCROW_OK
				    : esc_chain_fault(l, r, ESC_CHAIN_ROW, added,
						      "key %s for contract %s was edited: it "
						      "is valid, yet its row gives a reason for a revocation",
						      shown(c[1], b1, sizeof b1), shown(c[0], b2, sizeof b2));
	if (c[8] == NULL || strcmp(c[8], ESC_EV_KEY_REVOKE) != 0)
		return esc_chain_fault(l, r, ESC_CHAIN_ROW, revoked,
				       "key %s for contract %s was edited: event %" PRId64
				       ", which it names as its revocation, is %s",
				       shown(c[1], b1, sizeof b1), shown(c[0], b2, sizeof b2), revoked,
				       c[8] ? "another kind of event" : "not in the log");
	data = event_data(c[9], &root);
	if (data == NULL || !same(data, "key_id", c[1]) || !lists(json_object_get(data, "contracts"), c[0]))
		what = "revocation";
	else if (!same(data, "reason", c[5]))
		what = "revocation's reason";
	json_decref(root);
	if (what == NULL)
		return ESCROW_OK;
	return esc_chain_fault(l, r, ESC_CHAIN_ROW, revoked,
			       "key %s for contract %s was edited: its %s differs "
			       "from event %" PRId64,
			       shown(c[1], b1, sizeof b1), shown(c[0], b2, sizeof b2), what, revoked);
}

/* Every key a key-revoke event revoked still has that event in its row: a
 * revoked key made valid again (revoked_event set back to NULL) is found. */
static escrow_status revoked_stay(esc_ledger *l, struct esc_chain_report *r, int64_t seq, const json_t *data)
{
	const json_t *arr = json_object_get(data, "contracts"), *v;
	const char *key = json_string_value(json_object_get(data, "key_id"));
	char want[32], b1[256], b2[256];
	struct esc_lrows rows;
	escrow_status s = ESCROW_OK;
	size_t i;

	snprintf(want, sizeof want, "%" PRId64, seq);
	json_array_foreach(arr, i, v)
	{
		const char *p[2] = {json_string_value(v), key};
		const char *got;

		if (p[0] == NULL || p[1] == NULL)
			continue;
		if ((s = l->ops->exec(
			 l,
			 "SELECT CAST(revoked_event AS TEXT) FROM agency_keys WHERE contract_id = $1 "
			 "AND key_id = $2",
			 2, p, &rows)) != ESCROW_OK)
			return s;
		got = rows.rows == 1 ? esc_lrows_at(&rows, 0, 0) : NULL;
		if (rows.rows == 1 && (got == NULL || strcmp(got, want) != 0))
			s = esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
					    "key %s for contract %s was edited: event %" PRId64
					    " revoked it, and its row says %s",
					    shown(key, b1, sizeof b1), shown(p[0], b2, sizeof b2), seq,
					    got == NULL ? "it is valid" : "another event revoked it");
		else if (rows.rows != 1)
			s = esc_chain_fault(l, r, ESC_CHAIN_ROW, seq,
					    "key %s for contract %s was deleted: event %" PRId64
					    " revoked it, and no row holds it",
					    shown(key, b1, sizeof b1), shown(p[0], b2, sizeof b2), seq);
		esc_lrows_free(&rows);
		if (s != ESCROW_OK)
			break;
	}
	return s;
}

static escrow_status check_revocations(esc_ledger *l, struct esc_chain_report *r)
{
	char after[32] = "0";
	const char *p[1] = {after};
	struct esc_lrows rows;
	escrow_status s;
	size_t i, n;

	do {
		s = l->ops->exec(
		    l,
		    "SELECT CAST(seq AS TEXT), CASE WHEN length(body) > " EV_MAX " THEN NULL ELSE body "
		    "END FROM events WHERE kind = '" ESC_EV_KEY_REVOKE "' AND seq > CAST($1 AS BIGINT) "
		    "ORDER BY events.seq LIMIT 32",
		    1, p, &rows);
		if (s != ESCROW_OK)
			return s;
		n = rows.rows;
		for (i = 0; i < n && s == ESCROW_OK; i++) {
			json_t *root, *data = event_data(esc_lrows_at(&rows, i, 1), &root);
			int64_t seq =
			    esc_lrows_at(&rows, i, 0) ? strtoll(esc_lrows_at(&rows, i, 0), NULL, 10) : 0;

			s = revoked_stay(l, r, seq, data);
			json_decref(root);
			snprintf(after, sizeof after, "%" PRId64, seq);
		}
		esc_lrows_free(&rows);
	} while (s == ESCROW_OK && n == 32);
	return s;
}

static escrow_status check_keys(esc_ledger *l, struct esc_chain_report *r)
{
	escrow_status s = each_page(l, r, key_sql, 32, key_row);

	return s == ESCROW_OK ? check_revocations(l, r) : s;
}

escrow_status esc_ledger_check_tables(esc_ledger *l, struct esc_chain_report *r)
{
	escrow_status s = check_contracts(l, r);

	if (s == ESCROW_OK)
		s = check_keys(l, r);
	if (s == ESCROW_OK)
		s = check_deposits(l, r);
	if (s == ESCROW_OK)
		s = esc_ledger_check_audits(l, r);
	if (s == ESCROW_OK)
		s = check_orphans(l, r);
	return s;
}

escrow_status esc_ledger_check_deposit_rows(esc_ledger *l, struct esc_chain_report *r)
{
	escrow_status s = check_deposits(l, r);

	if (s == ESCROW_OK)
		s = esc_ledger_check_audits(l, r);
	return s;
}

escrow_status esc_ledger_edited_deposits(esc_ledger *l, int64_t only,
                                        void (*fn)(void *user, int64_t id, const char *why), void *user)
{
	char after[32];
	const char *p[1] = {after};
	struct esc_chain_report r;
	struct esc_lrows rows;
	escrow_status s;
	size_t i, n;

	snprintf(after, sizeof after, "%" PRId64, only > 0 ? only - 1 : 0);
	do {
		if ((s = l->ops->exec(l, dep_sql, 1, p, &rows)) != ESCROW_OK)
			return s;
		n = rows.rows;
		for (i = 0; i < n; i++) {
			const char *id = esc_lrows_at(&rows, i, 0);
			int64_t num = id != NULL ? strtoll(id, NULL, 10) : 0;

			if (only > 0 && num != only)
				break;
			memset(&r, 0, sizeof r);
			if (dep_row(l, &r, &rows, i) != ESCROW_OK) {
				esc_clear_error(l->ctx); /* not this call's failure: the caller says it */
				fn(user, num, r.why);
			}
			snprintf(after, sizeof after, "%s", id != NULL ? id : "0");
		}
		esc_lrows_free(&rows);
	} while (only == 0 && n == PAGE);
	return ESCROW_OK;
}

/* One row and what it must agree with, for a receive or a release that is
 * about to trust it: the whole check reads every row of the ledger. */
static escrow_status one_row(esc_ledger *l, struct esc_chain_report *r, const char *sql, int n,
                             const char *const *p, escrow_status (*check)(esc_ledger *, struct esc_chain_report *,
                                                                         char *const *))
{
	struct esc_lrows rows;
	escrow_status s = l->ops->exec(l, sql, n, p, &rows);
	size_t i;

	if (s != ESCROW_OK)
		return s;
	for (i = 0; s == ESCROW_OK && i < rows.rows; i++)
		s = check(l, r, &rows.cell[i * rows.cols]);
	esc_lrows_free(&rows);
	return s;
}

escrow_status esc_ledger_check_key(esc_ledger *l, const char *contract_id, const char *key_id)
{
	const char *p[2] = {contract_id, key_id};
	struct esc_chain_report r;
	escrow_status s;

	memset(&r, 0, sizeof r);
	s = one_row(l, &r, KEY_SELECT " WHERE k.contract_id = $1 AND k.key_id = $2", 2, p, key_row);
	return s == ESCROW_OK ? check_revocations(l, &r) : s;
}

escrow_status esc_ledger_check_contract(esc_ledger *l, const char *contract_id)
{
	const char *p[1] = {contract_id};
	struct esc_chain_report r;
	int64_t seq;
	json_t *root, *data;
	char b[256], b2[256];
	escrow_status s;

	memset(&r, 0, sizeof r);
	s = one_row(l, &r, CON_SELECT " WHERE c.contract_id = $1", 1, p, con_row);
	if (s != ESCROW_OK)
		return s;
	/* its latest version deleted: the one before would be taken for it */
	s = orphan(l, "'" ESC_EV_CONTRACT_ADD "', '" ESC_EV_CONTRACT_AMEND "'", "contracts", "added_event", &seq, &root,
	           &data);
	if (s == ESCROW_OK && seq > 0)
		s = esc_chain_fault(l, &r, ESC_CHAIN_ROW, seq, "contract %s version %s was deleted: event %" PRId64
		                    " registered it, and no row holds it", member(data, "contract", b, sizeof b),
		                    member(data, "version", b2, sizeof b2), seq);
	json_decref(root);
	return s;
}
