/* vault_ledger_deposits.c -- a deposit and its receive event, committed in
 * one transaction: the deposit's number, its link to the contract's previous
 * deposit and the event's place in the chain are all taken under the
 * ledger's write lock, so concurrent receives get distinct numbers and one
 * linear chain. */
#include "esc_vault_ledger.h"

#include <inttypes.h>
#include <string.h>
#include <unistd.h>

static escrow_status dep_check(esc_ledger *l, const struct esc_deposit *d)
{
	size_t i;

	if (d->contract_id == NULL || *d->contract_id == '\0' || d->verdict == NULL || d->store_path == NULL)
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: a deposit needs a contract id, a verdict and a "
		                 "store path");
	if (d->bundle_sha256 == NULL || strlen(d->bundle_sha256) != 64)
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: a deposit's bundle SHA-256 is 64 lower-case hex digits");
	for (i = 0; i < 64; i++)
		if (esc_hex_digit(d->bundle_sha256[i]) < 0 || (d->bundle_sha256[i] >= 'A' && d->bundle_sha256[i] <= 'F'))
			return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: a deposit's bundle SHA-256 is 64 lower-case hex "
			                 "digits");
	if (d->bundle_size > (uint64_t)INT64_MAX)
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: a bundle of %" PRIu64 " bytes", d->bundle_size);
	if (d->deliverables != NULL && !json_is_object(d->deliverables))
		return esc_error(l->ctx, ESCROW_E_USAGE, "ledger: a deposit's deliverables are a JSON object");
	return ESCROW_OK;
}

/* The receive event's data: the deposit as the row holds it, whether its
 * detached signature was stored among it (minisig_stored: the row's column
 * is checked against it, docs/VAULT.md "The tables against the log"). */
static json_t *dep_event(const struct esc_deposit *d, int64_t id, const char *previous,
                         const struct esc_same_release *same)
{
	json_t *deliv = d->deliverables != NULL ? json_deep_copy(d->deliverables) : json_object();
	json_t *sr = esc_same_release_json(same);

	if (deliv == NULL || (same->deposit != 0 && sr == NULL)) {
		json_decref(deliv);
		return NULL;
	}
	return json_pack("{s:I, s:s, s:s?, s:s?, s:s?, s:s, s:I, s:s?, s:s, s:o, s:s, s:s?, s:O?, s:s?, s:b, s:o?}",
	                 "deposit", (json_int_t)id,
	                 "contract", d->contract_id, "contract_sha256", d->contract_sha256, "name", d->name, "release",
	                 d->release, "bundle_sha256", d->bundle_sha256, "bundle_size", (json_int_t)d->bundle_size,
	                 "signer", d->signer_key_id, "verdict", d->verdict, "deliverables", deliv, "store_path",
	                 d->store_path, "previous_deposit", previous, "diff", d->diff,
	                 "records_sha256", d->records_sha256, "minisig_stored", d->minisig_stored, "same_release", sr);
}

json_t *esc_same_release_json(const struct esc_same_release *s)
{
	if (s == NULL || s->deposit == 0)
		return NULL;
	return json_pack("{s:I, s:s, s:s, s:I}", "deposit", (json_int_t)s->deposit, "sha256", s->sha256, "verdict",
	                 s->verdict, "count", (json_int_t)s->count);
}

/* The earlier deposits of the same contract, name and release: a release
 * deposited again (or substituted) is told to the notary, not recorded
 * silently as one more deposit. Looked for under the write lock, so of two
 * such receives at once the second names the first. */
static escrow_status dep_same_release(esc_ledger *l, const struct esc_deposit *d, struct esc_same_release *out)
{
	const char *p[3] = {d->contract_id, d->name, d->release};
	struct esc_lrows r;
	escrow_status s;

	memset(out, 0, sizeof *out);
	if (d->name == NULL || d->release == NULL)
		return ESCROW_OK;
	s = l->ops->exec(l, "SELECT CAST(id AS TEXT), bundle_sha256, verdict, CAST(COUNT(*) OVER () AS TEXT) FROM deposits"
	                 " WHERE contract_id = $1 AND name = $2 AND release_version = $3 ORDER BY id DESC LIMIT 1",
	                 3, p, &r);
	if (s != ESCROW_OK)
		return s;
	if (r.rows == 1 && esc_lrows_at(&r, 0, 0) != NULL && esc_lrows_at(&r, 0, 1) != NULL &&
	    esc_lrows_at(&r, 0, 2) != NULL && esc_lrows_at(&r, 0, 3) != NULL) {
		out->deposit = strtoll(esc_lrows_at(&r, 0, 0), NULL, 10);
		out->count = strtoll(esc_lrows_at(&r, 0, 3), NULL, 10);
		snprintf(out->sha256, sizeof out->sha256, "%s", esc_lrows_at(&r, 0, 1));
		snprintf(out->verdict, sizeof out->verdict, "%s", esc_lrows_at(&r, 0, 2));
	}
	esc_lrows_free(&r);
	return ESCROW_OK;
}

static escrow_status dep_insert(esc_ledger *l, const struct esc_deposit *d, const char *id, const char *previous,
                                const char *when, const struct esc_event_ref *ev)
{
	char size[24], seq[24], *deliv;
	escrow_status s;
	json_t *empty = json_object();

	snprintf(size, sizeof size, "%" PRIu64, d->bundle_size);
	snprintf(seq, sizeof seq, "%" PRId64, ev->seq);
	deliv = esc_event_canonical(l->ctx, d->deliverables != NULL ? d->deliverables : empty);
	json_decref(empty);
	if (deliv == NULL)
		return escrow_ctx_status(l->ctx);
	{
		const char *p[15] = {id, d->contract_id, d->contract_sha256, d->name, d->release, d->bundle_sha256,
		                     size, d->signer_key_id, d->verdict, deliv, when, d->store_path, previous, seq,
		                     d->minisig_stored ? "1" : "0"};

		s = l->ops->exec(l, "INSERT INTO deposits (id, contract_id, contract_sha256, name, release_version, "
		                 "bundle_sha256, bundle_size, signer_key_id, verdict, deliverables, received_at, "
		                 "store_path, previous_sha256, event_seq, minisig_stored) VALUES ($1, $2, $3, $4, $5, $6, "
		                 "$7, $8, $9, $10, $11, $12, $13, $14, CAST($15 AS INTEGER))", 15, p, NULL);
	}
	free(deliv);
	return s;
}

/* The stored copy is there, under the write lock: a receive of the same
 * bundle that failed takes its copy back under this lock too (vault_receive.c
 * recv_drop), so a row never names a file that is not in the store. */
static escrow_status dep_stored(esc_ledger *l, const struct esc_deposit *d)
{
	char *sig;
	bool there;

	if (d->store_file == NULL)
		return ESCROW_OK;
	sig = esc_strf("%s.minisig", d->store_file);
	if (sig == NULL)
		return esc_nomem(l->ctx);
	there = access(d->store_file, F_OK) == 0 && (!d->minisig_stored || access(sig, F_OK) == 0);
	free(sig);
	if (there)
		return ESCROW_OK;
	return esc_error(l->ctx, ESCROW_E_IO, "%s: no longer in the store (a receive of the same bundle that failed "
	                 "at the same time took its copy back); nothing was recorded: receive the bundle again",
	                 d->store_file);
}

static escrow_status dep_add_tx(esc_ledger *l, const struct esc_deposit *d, int64_t *id, struct esc_event_ref *ev)
{
	const char *p[1] = {d->bundle_sha256};
	char *previous = NULL, num[24], when[21];
	struct esc_same_release same;
	struct esc_lrows r;
	escrow_status s = l->ops->exec(l, "SELECT CAST(id AS TEXT) FROM deposits WHERE bundle_sha256 = $1", 1, p, &r);
	json_t *data;

	if (s != ESCROW_OK)
		return s;
	if (r.rows > 0)
		s = esc_error(l->ctx, ESCROW_E_EXISTS, "ledger %s: bundle %s is in the vault already, as deposit %s",
		              l->name, d->bundle_sha256, esc_lrows_at(&r, 0, 0));
	esc_lrows_free(&r);
	if (s == ESCROW_OK)
		s = dep_stored(l, d);
	if (s == ESCROW_OK)
		s = l->ops->exec(l, "SELECT CAST(COALESCE(MAX(id), 0) + 1 AS TEXT) FROM deposits", 0, NULL, &r);
	if (s != ESCROW_OK)
		return s;
	*id = r.rows == 1 && esc_lrows_at(&r, 0, 0) ? strtoll(esc_lrows_at(&r, 0, 0), NULL, 10) : 1;
	esc_lrows_free(&r);
	p[0] = d->contract_id;
	s = l->ops->exec(l, "SELECT bundle_sha256 FROM deposits WHERE contract_id = $1 ORDER BY id DESC LIMIT 1", 1, p,
	                 &r);
	if (s != ESCROW_OK)
		return s;
	if (r.rows > 0 && (previous = strdup(esc_lrows_at(&r, 0, 0))) == NULL)
		s = esc_nomem(l->ctx);
	esc_lrows_free(&r);
	if (s == ESCROW_OK)
		s = dep_same_release(l, d, &same);
	esc_ledger_now(l, when);
	if (s == ESCROW_OK && (data = dep_event(d, *id, previous, &same)) == NULL)
		s = esc_nomem(l->ctx);
	if (s == ESCROW_OK) {
		s = esc_ledger_append_tx(l, ESC_EV_RECEIVE, data, when, ev);
		json_decref(data);
	}
	snprintf(num, sizeof num, "%" PRId64, *id);
	if (s == ESCROW_OK)
		s = dep_insert(l, d, num, previous, when, ev);
	if (s == ESCROW_OK && d->same_release != NULL)
		*d->same_release = same;
	free(previous);
	return s;
}

escrow_status esc_ledger_deposit_add(esc_ledger *l, const struct esc_deposit *d, int64_t *id,
                                     struct esc_event_ref *out)
{
	struct esc_event_ref ev;
	escrow_status s;
	int64_t n = 0;

	if ((s = dep_check(l, d)) != ESCROW_OK)
		return s;
	if ((s = l->ops->begin(l)) != ESCROW_OK)
		return s;
	s = dep_add_tx(l, d, &n, &ev);
	if (s == ESCROW_OK)
		s = l->ops->commit(l);
	if (s != ESCROW_OK) {
		l->ops->rollback(l);
		return s;
	}
	if (id != NULL)
		*id = n;
	if (out != NULL)
		*out = ev;
	return ESCROW_OK;
}

int64_t esc_ledger_deposit_find(esc_ledger *l, const char *bundle_sha256)
{
	struct esc_lrows r;
	const char *p[1] = {bundle_sha256};
	int64_t id = 0;

	if (l->ops->exec(l, "SELECT CAST(id AS TEXT) FROM deposits WHERE bundle_sha256 = $1", 1, p, &r) != ESCROW_OK)
		return -1;
	if (r.rows > 0 && esc_lrows_at(&r, 0, 0) != NULL)
		id = strtoll(esc_lrows_at(&r, 0, 0), NULL, 10);
	esc_lrows_free(&r);
	return id;
}
