/* vault_ledger_rows.c -- contracts, agency keys and deposits: each change
 * writes its rows and its event in one write transaction, so the ledger
 * never holds a row without the event that records it, nor the reverse. */
#include "esc_vault_ledger.h"

#include <inttypes.h>
#include <string.h>

static escrow_status tx_end(esc_ledger *l, escrow_status s)
{
	if (s == ESCROW_OK)
		s = l->ops->commit(l);
	if (s != ESCROW_OK)
		l->ops->rollback(l);
	return s;
}

/* The first column of the first row (malloc'd), or NULL for no row or NULL. */
static escrow_status one(esc_ledger *l, const char *sql, int n, const char *const *p, char **out)
{
	struct esc_lrows r;
	escrow_status s = l->ops->exec(l, sql, n, p, &r);

	*out = NULL;
	if (s != ESCROW_OK)
		return s;
	if (r.rows > 0 && r.cols > 0) {
		*out = r.cell[0];
		r.cell[0] = NULL;
	}
	esc_lrows_free(&r);
	return ESCROW_OK;
}

/* Text the ledger stores: valid UTF-8 (PostgreSQL refuses anything else,
 * and jansson checks it), no NUL, at most max bytes; ids also without
 * control characters. */
static escrow_status check_text(esc_ledger *l, const char *what, const char *s, size_t max, bool id)
{
	size_t i, n = s != NULL ? strlen(s) : 0;
	json_t *j;

	if (s == NULL || (id && n == 0))
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: no %s given", what);
	if (n > max)
		return esc_error(l->ctx, ESCROW_E_INPUT, "ledger: the %s is %zu bytes long, more than %zu", what, n, max);
	for (i = 0; id && i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return esc_error(l->ctx, ESCROW_E_INPUT, "ledger: the %s holds a control character", what);
	if ((j = json_stringn(s, n)) == NULL)
		return esc_error(l->ctx, ESCROW_E_INPUT, "ledger: the %s is not UTF-8 text", what);
	json_decref(j);
	return ESCROW_OK;
}

static bool is_hex(const char *s, size_t len, bool upper)
{
	size_t i;

	if (s == NULL || strlen(s) != len)
		return false;
	for (i = 0; i < len; i++)
		if (!((s[i] >= '0' && s[i] <= '9') || (upper ? (s[i] >= 'A' && s[i] <= 'F') : (s[i] >= 'a' && s[i] <= 'f'))))
			return false;
	return true;
}

static escrow_status contract_add_tx(esc_ledger *l, const char *id, const char *text, const char *sha, int *version,
                                     struct esc_event_ref *ev)
{
	const char *p[5] = {sha, id, NULL, text, NULL};
	char *have = NULL, vnum[16], seq[24];
	escrow_status s = one(l, "SELECT contract_id || ' version ' || CAST(version AS TEXT) FROM contracts "
	                      "WHERE sha256 = $1", 1, p, &have);
	json_t *data;

	if (s == ESCROW_OK && have != NULL)
		s = esc_error(l->ctx, ESCROW_E_EXISTS, "ledger %s: this text is registered already, as contract %s",
		              l->name, have);
	free(have);
	if (s == ESCROW_OK)
		s = one(l, "SELECT CAST(MAX(version) AS TEXT) FROM contracts WHERE contract_id = $1", 1, &p[1], &have);
	if (s != ESCROW_OK)
		return s;
	*version = have != NULL ? atoi(have) + 1 : 1;
	free(have);
	data = json_pack("{s:s, s:s, s:i, s:I}", "contract", id, "sha256", sha, "version", *version, "bytes",
	                 (json_int_t)strlen(text));
	if (data == NULL)
		return esc_nomem(l->ctx);
	s = esc_ledger_append_tx(l, *version == 1 ? ESC_EV_CONTRACT_ADD : ESC_EV_CONTRACT_AMEND, data, NULL, ev);
	json_decref(data);
	if (s != ESCROW_OK)
		return s;
	snprintf(vnum, sizeof vnum, "%d", *version);
	snprintf(seq, sizeof seq, "%" PRId64, ev->seq);
	p[2] = vnum;
	p[4] = seq;
	return l->ops->exec(l, "INSERT INTO contracts (sha256, contract_id, version, yaml, added_event) "
	                    "VALUES ($1, $2, $3, $4, $5)", 5, p, NULL);
}

escrow_status esc_ledger_contract_add(esc_ledger *l, const char *contract_id, const char *text, size_t len,
                                      int *version, struct esc_event_ref *out)
{
	struct esc_event_ref ev;
	uint8_t digest[32];
	char sha[65];
	escrow_status s;
	int v = 0;

	if ((s = check_text(l, "contract id", contract_id, 256, true)) != ESCROW_OK ||
	    (s = check_text(l, "contract text", text, ESC_LEDGER_TEXT_MAX, false)) != ESCROW_OK)
		return s;
	if (strlen(text) != len)
		return esc_error(l->ctx, ESCROW_E_INPUT, "ledger: contract %s holds a NUL byte (not a YAML text)",
		                 contract_id);
	esc_sha256_buf(text, len, digest);
	esc_hex(digest, 32, sha);
	if ((s = l->ops->begin(l)) != ESCROW_OK)
		return s;
	if ((s = tx_end(l, contract_add_tx(l, contract_id, text, sha, &v, &ev))) != ESCROW_OK)
		return s;
	if (version != NULL)
		*version = v;
	if (out != NULL)
		*out = ev;
	return ESCROW_OK;
}

escrow_status esc_ledger_contract_latest(esc_ledger *l, const char *contract_id, int *version, char sha256[65],
                                         char **text)
{
	struct esc_lrows r;
	const char *p[1] = {contract_id};
	escrow_status s;

	if (text != NULL)
		*text = NULL;
	s = l->ops->exec(l, "SELECT CAST(version AS TEXT), sha256, yaml FROM contracts WHERE contract_id = $1 "
	                 "ORDER BY contracts.version DESC LIMIT 1", 1, p, &r);
	if (s != ESCROW_OK)
		return s;
	if (r.rows == 0 || esc_lrows_at(&r, 0, 1) == NULL || strlen(esc_lrows_at(&r, 0, 1)) != 64) {
		esc_lrows_free(&r);
		return esc_error(l->ctx, ESCROW_E_OPEN, "ledger %s: contract %s is not registered (register it with "
		                 "'escrow vault contract add')", l->name, contract_id);
	}
	if (version != NULL)
		*version = atoi(esc_lrows_at(&r, 0, 0));
	if (sha256 != NULL)
		memcpy(sha256, esc_lrows_at(&r, 0, 1), 65);
	if (text != NULL) {
		*text = r.cell[2];
		r.cell[2] = NULL;
	}
	esc_lrows_free(&r);
	return ESCROW_OK;
}

static escrow_status key_add_tx(esc_ledger *l, const char *contract_id, const char *key_id, const char *pub,
                                struct esc_event_ref *ev)
{
	char seq[24], *have = NULL;
	const char *p[4] = {contract_id, key_id, pub, seq};
	escrow_status s = one(l, "SELECT contract_id FROM contracts WHERE contract_id = $1", 1, p, &have);
	json_t *data;

	if (s == ESCROW_OK && have == NULL)
		s = esc_error(l->ctx, ESCROW_E_OPEN, "ledger %s: contract %s is not registered (register it with "
		              "'escrow vault contract add' first)", l->name, contract_id);
	free(have);
	have = NULL;
	if (s == ESCROW_OK)
		s = one(l, "SELECT CASE WHEN revoked_event IS NULL THEN 'registered' ELSE 'revoked' END "
		        "FROM agency_keys WHERE contract_id = $1 AND key_id = $2", 2, p, &have);
	if (s == ESCROW_OK && have != NULL)
		s = esc_error(l->ctx, ESCROW_E_EXISTS, "ledger %s: key %s is %s for contract %s already%s", l->name,
		              key_id, have, contract_id, strcmp(have, "revoked") == 0 ?
		              " (a revoked key stays revoked: make a new key)" : "");
	free(have);
	if (s != ESCROW_OK)
		return s;
	if ((data = json_pack("{s:s, s:s, s:s}", "contract", contract_id, "key_id", key_id, "public_key", pub)) == NULL)
		return esc_nomem(l->ctx);
	s = esc_ledger_append_tx(l, ESC_EV_KEY_ADD, data, NULL, ev);
	json_decref(data);
	if (s != ESCROW_OK)
		return s;
	snprintf(seq, sizeof seq, "%" PRId64, ev->seq);
	return l->ops->exec(l, "INSERT INTO agency_keys (contract_id, key_id, public_key, added_event) "
	                    "VALUES ($1, $2, $3, $4)", 4, p, NULL);
}

escrow_status esc_ledger_key_add(esc_ledger *l, const char *contract_id, const char *key_id, const char *pub,
                                 struct esc_event_ref *out)
{
	struct esc_event_ref ev;
	escrow_status s;

	if ((s = check_text(l, "contract id", contract_id, 256, true)) != ESCROW_OK ||
	    (s = check_text(l, "public key", pub, ESC_LEDGER_KEY_MAX, false)) != ESCROW_OK)
		return s;
	if (!is_hex(key_id, 16, true))
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: a key id is 16 upper-case hex digits, as minisign "
		                 "prints it");
	if ((s = l->ops->begin(l)) != ESCROW_OK)
		return s;
	if ((s = tx_end(l, key_add_tx(l, contract_id, key_id, pub, &ev))) == ESCROW_OK && out != NULL)
		*out = ev;
	return s;
}

static escrow_status key_revoke_tx(esc_ledger *l, const char *key_id, const char *reason, struct esc_event_ref *ev)
{
	struct esc_lrows r;
	char seq[24];
	const char *p[3] = {key_id, seq, reason};
	json_t *data, *contracts = json_array();
	escrow_status s = l->ops->exec(l, "SELECT contract_id FROM agency_keys WHERE key_id = $1 AND "
	                               "revoked_event IS NULL ORDER BY contract_id", 1, p, &r);
	size_t i;

	if (s != ESCROW_OK || contracts == NULL) {
		json_decref(contracts);
		return s != ESCROW_OK ? s : esc_nomem(l->ctx);
	}
	for (i = 0; i < r.rows; i++)
		if (json_array_append_new(contracts, json_string(esc_lrows_at(&r, i, 0))) != 0)
			s = esc_nomem(l->ctx);
	if (s == ESCROW_OK && r.rows == 0)
		s = esc_error(l->ctx, ESCROW_E_OPEN, "ledger %s: key %s is not registered, or revoked already ('escrow "
		              "vault list' shows the keys)", l->name, key_id);
	esc_lrows_free(&r);
	data = s == ESCROW_OK ? json_pack("{s:s, s:s?, s:O}", "key_id", key_id, "reason", reason, "contracts",
	                                  contracts) : NULL;
	json_decref(contracts);
	if (s != ESCROW_OK || data == NULL)
		return s != ESCROW_OK ? s : esc_nomem(l->ctx);
	s = esc_ledger_append_tx(l, ESC_EV_KEY_REVOKE, data, NULL, ev);
	json_decref(data);
	if (s != ESCROW_OK)
		return s;
	snprintf(seq, sizeof seq, "%" PRId64, ev->seq);
	return l->ops->exec(l, "UPDATE agency_keys SET revoked_event = $2, revoked_reason = $3 WHERE key_id = $1 "
	                    "AND revoked_event IS NULL", 3, p, NULL);
}

escrow_status esc_ledger_key_revoke(esc_ledger *l, const char *key_id, const char *reason,
                                    struct esc_event_ref *out)
{
	struct esc_event_ref ev;
	escrow_status s;

	if (!is_hex(key_id, 16, true))
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: a key id is 16 upper-case hex digits, as minisign "
		                 "prints it");
	if (reason != NULL && (s = check_text(l, "reason", reason, 1024, false)) != ESCROW_OK)
		return s;
	if ((s = l->ops->begin(l)) != ESCROW_OK)
		return s;
	if ((s = tx_end(l, key_revoke_tx(l, key_id, reason, &ev))) == ESCROW_OK && out != NULL)
		*out = ev;
	return s;
}

int esc_ledger_key_valid(esc_ledger *l, const char *contract_id, const char *key_id)
{
	char *state = NULL;
	const char *p[2] = {contract_id, key_id};
	int valid;

	if (one(l, "SELECT CASE WHEN revoked_event IS NULL THEN 'valid' ELSE 'revoked' END FROM agency_keys "
	        "WHERE contract_id = $1 AND key_id = $2", 2, p, &state) != ESCROW_OK)
		return -1;
	valid = state != NULL && strcmp(state, "valid") == 0;
	free(state);
	return valid;
}
