/* vault_receive.c -- escrow_vault_receive: a deposit from the bundle to the
 * receipt. The bundle's signature names its signer and contract (read
 * without reading the bundle: the detached signature of a sealed one, the
 * last zstd frame of an unsealed one); when that key is registered and
 * unrevoked for that contract, one reading verifies the bundle with them
 * while the store's copy is written from the same bytes and stored under
 * their SHA-256. Otherwise (no such hint, the bag names another contract,
 * a verdict reached before the end) the bundle is stored first, read once
 * for its names, then verified from the store. The deposit and its receive
 * event are recorded in one transaction; then the receipt is written and
 * signed (vault_receipt.c). */
#include "esc_api.h"
#include "esc_bundle_read.h"
#include "esc_diff.h"
#include "esc_escape.h"
#include "esc_pack.h"
#include "esc_vault.h"
#include "esc_vault_ledger.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What one receive gathers on its way. */
struct recv {
	escrow_vault *v;
	const escrow_options *o;
	struct esc_stored s;
	escrow_identities *ids;
	escrow_seckey *sk;          /* loaded here (NULL when the caller gave one) */
	const escrow_seckey *sign;
	char *contract_id, *signer, *name, *release;
	char contract_sha[65];
	char *contract_text;
	char *receipt;              /* where the receipt goes */
	escrow_report *report;
	json_t *deliverables;
	int64_t deposit;
	struct esc_event_ref head;
	/* the contract's previous accepted deposit, and what changed since */
	int64_t prev_id;
	char *prev_sha, *prev_store, *prev_signer;
	struct esc_diff_side *side;  /* this deposit's records, taken from its verification */
	char records_sha[65];        /* VAULT/records/HEX.jsonl.zst written for it; "" none */
	escrow_contract *contract;   /* the registered contract it was verified with */
	json_t *diff;                /* esc_diff_brief + "previous" */
	struct esc_same_release same; /* the earlier deposits of its release (recorded with it) */
	json_t *same_json;           /* esc_same_release_json(&same), for the receipt; NULL: none */
};

static char *report_str(const escrow_report *r, const char *obj, const char *key)
{
	const json_t *v = r ? json_object_get(json_object_get(r->root, obj), key) : NULL;

	return json_is_string(v) ? strdup(json_string_value(v)) : NULL;
}

/* The notary's key and identity, and where the receipt goes, before anything
 * is stored: what can fail for want of them fails first. */
static escrow_status recv_prepare(struct recv *r)
{
	escrow_vault *v = r->v;
	escrow_status st = ESCROW_OK;

	r->sign = r->o->signing_key;
	if (r->sign == NULL) {
		st = esc_vault_load_key(v->ctx, v->notary_key, &r->sk);
		if (st != ESCROW_OK) {
			esc_error_prefix(v->ctx, "vault %s: the notary's key", v->path);
			return st;
		}
		r->sign = r->sk;
	}
	st = esc_vault_check_key(v, r->sign);
	if (st == ESCROW_OK && v->identity != NULL)
		st = escrow_identities_load(v->ctx, v->identity, &r->ids);
	if (st == ESCROW_OK && r->o->receipt != NULL && access(r->o->receipt, F_OK) == 0)
		st = esc_error(v->ctx, ESCROW_E_EXISTS, "%s: already exists (give another -o, or remove it)",
		               r->o->receipt);
	/* the receipt's signature goes beside it: another's is not replaced */
	if (st == ESCROW_OK && r->o->receipt != NULL) {
		char *sig = esc_strf("%s.minisig", r->o->receipt);

		if (sig == NULL)
			return esc_nomem(v->ctx);
		if (access(sig, F_OK) == 0)
			st = esc_error(v->ctx, ESCROW_E_EXISTS, "%s: already exists, where the receipt's signature goes "
			               "(give another -o, or remove it)", sig);
		free(sig);
	}
	return st;
}

/* The first reading: the contract id and the signer, from the bundle. */
static escrow_status recv_names(struct recv *r)
{
	struct esc_verify_opts vo = {.bundle = r->s.abs, .identities = r->ids};
	escrow_report *rep = NULL;
	escrow_status st = esc_list(r->v->ctx, &vo, &rep);

	if (rep != NULL) {
		r->contract_id = report_str(rep, "bundle", "contract_id");
		r->signer = report_str(rep, "signature", "signed_by");
	}
	escrow_report_free(rep);
	if (r->contract_id == NULL) {
		char why[512]; /* a copy: the message is rewritten below */

		const char *m = esc_ctx_message(r->v->ctx);
		size_t al = strlen(r->s.abs);

		/* the copy in the store was read: the message names the file given */
		if (m[0] && strncmp(m, r->s.abs, al) == 0 && (m[al] == ':' || m[al] == ' '))
			snprintf(why, sizeof why, "%s%s", r->o->bundle, m + al);
		else
			snprintf(why, sizeof why, "%s",
			         m[0]             ? m
			         : st == ESCROW_OK ? "it was packed without a contract: pack it with -c CONTRACT.yaml"
			                           : escrow_strerror(st));
		return esc_error(r->v->ctx, st == ESCROW_NOT_A_BUNDLE ? st : ESCROW_E_INPUT,
		                 "%s: the bundle names no contract the vault can read (%s); nothing was recorded",
		                 r->o->bundle, why);
	}
	esc_clear_error(r->v->ctx);
	return ESCROW_OK;
}

/* A ledger row about to be trusted does not say what its event says: no
 * deposit is taken on it (not a verdict on the bundle: exit 65). */
static escrow_status ledger_rows(struct recv *r, escrow_status st)
{
	if (st != ESCROW_TAMPERED)
		return st;
	return esc_error(r->v->ctx, ESCROW_E_INPUT, "vault %s: nothing was received: the ledger does not hold what "
	                 "its log says ('escrow vault log --verify' shows it): %s", r->v->path,
	                 esc_ctx_message(r->v->ctx));
}

/* The registered, unrevoked public key text of the signer; NULL when none. */
static escrow_status signer_key(struct recv *r, escrow_pubkey **pk)
{
	esc_ledger *l = r->v->ledger;
	const char *params[2] = {r->contract_id, r->signer};
	struct esc_lrows rows = {0};
	escrow_status st;

	*pk = NULL;
	if (r->signer == NULL)
		return ESCROW_OK;
	st = l->ops->exec(l,
	                  "SELECT public_key FROM agency_keys WHERE contract_id = $1 AND key_id = $2"
	                  " AND revoked_event IS NULL",
	                  2, params, &rows);
	if (st == ESCROW_OK && rows.rows == 1 && esc_lrows_at(&rows, 0, 0) != NULL) {
		const char *t = esc_lrows_at(&rows, 0, 0);

		st = ledger_rows(r, esc_ledger_check_key(l, r->contract_id, r->signer));
		if (st == ESCROW_OK)
			st = escrow_pubkey_parse(r->v->ctx, t, strlen(t), pk);
	}
	esc_lrows_free(&rows);
	return st;
}

/* {"id": "status"} from the report's deliverables. */
static json_t *deliverable_map(const escrow_report *rep)
{
	json_t *m = json_object(), *d;
	size_t i;

	if (m == NULL || rep == NULL)
		return m;
	json_array_foreach(json_object_get(rep->root, "deliverables"), i, d) {
		const char *id = json_string_value(json_object_get(d, "id"));
		const char *s = json_string_value(json_object_get(d, "status"));

		if (id != NULL && s != NULL && json_object_set_new(m, id, json_string(s)) != 0) {
			json_decref(m);
			return NULL;
		}
	}
	return m;
}

/* A refusal made here when the signer is not a valid key: the report of the
 * reading said who signed; the verdict is bad-signature. */
static escrow_status refuse_key(struct recv *r)
{
	escrow_ctx *ctx = r->v->ctx;
	int valid = r->signer ? esc_ledger_key_valid(r->v->ledger, r->contract_id, r->signer) : 0;

	if (valid < 0)
		return escrow_ctx_status(ctx);
	r->report = esc_report_new("receive");
	if (r->report == NULL)
		return esc_nomem(ctx);
	r->report->status = ESCROW_BAD_SIGNATURE;
	json_object_set_new(r->report->root, "verdict", json_string("bad-signature"));
	esc_error(ctx, ESCROW_BAD_SIGNATURE,
	          "%s: signed by key %s, which is not a registered, unrevoked key of contract %s in vault %s "
	          "(register it with 'escrow vault key add')",
	          r->o->bundle, r->signer ? r->signer : "(none)", r->contract_id, r->v->path);
	json_object_set_new(r->report->root, "reason", json_string(esc_ctx_message(ctx)));
	return ESCROW_BAD_SIGNATURE;
}

static bool is_verdict(escrow_status st)
{
	return st == ESCROW_OK || st == ESCROW_TAMPERED || st == ESCROW_INCOMPLETE || st == ESCROW_BAD_SIGNATURE ||
	       st == ESCROW_UNSAFE || st == ESCROW_NO_IDENTITY || st == ESCROW_NOT_A_BUNDLE;
}

/* The contract's latest accepted deposit, to compare this one with. */
static escrow_status recv_previous(struct recv *r)
{
	esc_ledger *l = r->v->ledger;
	const char *p[1] = {r->contract_id};
	struct esc_lrows rows = {0};
	escrow_status st;

	st = l->ops->exec(l,
	                  "SELECT CAST(id AS TEXT), bundle_sha256, store_path, signer_key_id FROM deposits"
	                  " WHERE contract_id = $1 AND verdict = 'verified' ORDER BY deposits.id DESC LIMIT 1",
	                  1, p, &rows);
	if (st == ESCROW_OK && rows.rows == 1 && esc_lrows_at(&rows, 0, 1) != NULL && esc_lrows_at(&rows, 0, 2) != NULL) {
		r->prev_id = strtoll(esc_lrows_at(&rows, 0, 0), NULL, 10);
		r->prev_sha = strdup(esc_lrows_at(&rows, 0, 1));
		r->prev_store = esc_path_join(r->v->path, esc_lrows_at(&rows, 0, 2));
		r->prev_signer = esc_lrows_at(&rows, 0, 3) ? strdup(esc_lrows_at(&rows, 0, 3)) : NULL;
		if (r->prev_sha == NULL || r->prev_store == NULL)
			st = esc_nomem(r->v->ctx);
	}
	esc_lrows_free(&rows);
	return st;
}

/* The key that signed the previous deposit, as registered (revoked since or
 * not: it was valid then); NULL when none. */
static escrow_status prev_key(struct recv *r, escrow_pubkey **pk)
{
	esc_ledger *l = r->v->ledger;
	const char *p[1] = {r->prev_signer};
	struct esc_lrows rows = {0};
	escrow_status st;

	*pk = NULL;
	if (r->prev_signer == NULL)
		return ESCROW_OK;
	st = l->ops->exec(l, "SELECT public_key FROM agency_keys WHERE key_id = $1 ORDER BY added_event LIMIT 1", 1, p,
	                  &rows);
	if (st == ESCROW_OK && rows.rows == 1 && esc_lrows_at(&rows, 0, 0) != NULL)
		st = escrow_pubkey_parse(r->v->ctx, esc_lrows_at(&rows, 0, 0), strlen(esc_lrows_at(&rows, 0, 0)), pk);
	esc_lrows_free(&rows);
	return st;
}

/* The previous deposit's records as its receive kept them, when they are
 * there whole: the digest its receive event recorded (else *old NULL). */
static escrow_status prev_records(struct recv *r, struct esc_diff_side **old)
{
	esc_ledger *l = r->v->ledger;
	char id[24];
	const char *p[1] = {id};
	struct esc_lrows rows = {0};
	const char *want = NULL;
	json_t *body = NULL;
	escrow_status st;

	*old = NULL;
	snprintf(id, sizeof id, "%lld", (long long)r->prev_id);
	st = l->ops->exec(l, "SELECT e.body FROM events e JOIN deposits d ON e.seq = d.event_seq WHERE d.id = CAST($1 AS BIGINT)",
	                  1, p, &rows);
	if (st == ESCROW_OK && rows.rows == 1 && esc_lrows_at(&rows, 0, 0) != NULL)
		body = json_loads(esc_lrows_at(&rows, 0, 0), 0, NULL);
	want = json_string_value(json_object_get(json_object_get(body, "data"), "records_sha256"));
	if (st == ESCROW_OK && want != NULL)
		st = esc_records_read(r->v, r->prev_sha, want, old);
	json_decref(body);
	esc_lrows_free(&rows);
	return st;
}

/* What changed since the previous accepted deposit, with the same contract:
 * the previous stored bundle is read (once) for its records; this one's come
 * from its own verification. Not comparing (the previous copy unreadable) is
 * said in the result; only memory fails the receive. The verdict's message
 * in ctx is kept. */
static escrow_status recv_diff(struct recv *r, const escrow_contract *c)
{
	escrow_ctx *ctx = r->v->ctx;
	escrow_status saved = escrow_ctx_status(ctx), st;
	struct esc_diff_side *old = NULL;
	escrow_report *rep = NULL;
	escrow_pubkey *pk = NULL;
	char msg[ESC_ERRLEN];

	snprintf(msg, sizeof msg, "%s", esc_ctx_message(ctx));
	esc_clear_error(ctx);
	st = prev_records(r, &old);
	if (st == ESCROW_OK && old == NULL)
		st = prev_key(r, &pk);
	if (st == ESCROW_OK && old == NULL)
		st = esc_diff_side_read(ctx, r->prev_store, pk, c, r->ids, &old);
	if (st == ESCROW_OK)
		st = esc_diff_sides(ctx, old, r->side, c, ESC_DIFF_FROM_CONTRACT, true, &rep);
	if (rep != NULL)
		r->diff = esc_diff_brief(rep);
	else if (st != ESCROW_E_NOMEM)
		r->diff = json_pack("{s:b, s:o}", "compared", 0, "failed", esc_json_string(esc_ctx_message(ctx)));
	st = st == ESCROW_E_NOMEM || r->diff == NULL ? ESCROW_E_NOMEM : ESCROW_OK;
	if (r->diff != NULL)
		json_object_set_new(r->diff, "previous",
		                    json_pack("{s:I, s:s}", "deposit", (json_int_t)r->prev_id, "sha256", r->prev_sha));
	escrow_report_free(rep);
	esc_diff_side_free(old);
	escrow_pubkey_free(pk);
	if (st != ESCROW_OK)
		return esc_nomem(ctx);
	if (saved != ESCROW_OK)
		esc_error(ctx, saved, "%s", msg);
	else
		esc_clear_error(ctx);
	return ESCROW_OK;
}

/* The whole verification, with the vault's contract: of the stored copy, or
 * of the bundle itself with the tap writing the store's copy. */
static escrow_status recv_verify(struct recv *r, const struct esc_sink *tap)
{
	escrow_ctx *ctx = r->v->ctx;
	escrow_contract *c = NULL;
	escrow_pubkey *pk = NULL;
	int version = 0;
	escrow_status st;

	escrow_contract_free(r->contract);
	r->contract = NULL;

	st = esc_ledger_contract_latest(r->v->ledger, r->contract_id, &version, r->contract_sha, &r->contract_text);
	if (st == ESCROW_E_OPEN)
		return esc_error(ctx, ESCROW_E_INPUT,
		                 "%s names contract %s, which is not registered in vault %s (register it with "
		                 "'escrow vault contract add'); nothing was recorded",
		                 r->o->bundle, r->contract_id, r->v->path);
	if (st == ESCROW_OK)
		st = ledger_rows(r, esc_ledger_check_contract(r->v->ledger, r->contract_id));
	if (st == ESCROW_OK)
		st = escrow_contract_parse(ctx, r->contract_id, r->contract_text, strlen(r->contract_text), &c);
	if (st == ESCROW_OK)
		st = signer_key(r, &pk);
	if (st == ESCROW_OK && pk == NULL) {
		st = refuse_key(r);
	} else if (st == ESCROW_OK) {
		struct esc_verify_opts vo = {.bundle = tap ? r->o->bundle : r->s.abs, .key = pk, .contract = c,
		                             .identities = r->ids, .tap = tap};

		st = recv_previous(r);
		if (st == ESCROW_OK) {
			vo.side = &r->side; /* for the diff, now or with the next deposit */
			st = esc_verify(ctx, &vo, &r->report);
		}
	}
	r->contract = c; /* for the diff, once the bundle is known to be new */
	escrow_pubkey_free(pk);
	return st;
}


/* The deposit and its event, in one transaction. */
static escrow_status recv_record(struct recv *r)
{
	const char *verdict = escrow_report_verdict(r->report);
	const char *sig_status = json_string_value(json_object_get(json_object_get(r->report->root, "signature"),
	                                                           "status"));
	struct esc_deposit d = {0};

	r->name = report_str(r->report, "bundle", "name");
	r->release = report_str(r->report, "bundle", "release");
	r->deliverables = deliverable_map(r->report);
	if (r->deliverables == NULL)
		return esc_nomem(r->v->ctx);
	d.contract_id = r->contract_id;
	d.contract_sha256 = r->contract_sha;
	d.name = r->name;
	d.release = r->release;
	d.bundle_sha256 = r->s.sha256;
	d.bundle_size = r->s.size;
	d.signer_key_id = sig_status && strcmp(sig_status, "good") == 0 ? r->signer : NULL;
	d.verdict = verdict;
	d.deliverables = r->deliverables;
	d.store_path = r->s.rel;
	d.diff = r->diff;
	d.records_sha256 = r->records_sha[0] ? r->records_sha : NULL;
	d.minisig_stored = r->s.minisig;
	d.store_file = r->s.abs;
	d.same_release = &r->same;
	return esc_ledger_deposit_add(r->v->ledger, &d, &r->deposit, &r->head);
}

/* Another bundle of a release the vault holds already: both are recorded,
 * and the notary is told, naming the deposit that holds that release. */
static escrow_status recv_same_release(struct recv *r)
{
	if (r->same.deposit == 0)
		return ESCROW_OK;
	r->same_json = esc_same_release_json(&r->same);
	if (r->same_json == NULL)
		return esc_nomem(r->v->ctx);
	esc_warn(r->v->ctx, "%s is release %s of %s, which vault %s holds already as deposit %lld (%s, sha256 %.16s)%s: "
	         "this is another bundle; both are recorded as deposits %lld and %lld (ask the agency why that "
	         "release was deposited again: 'escrow vault show' gives each)", r->o->bundle, r->release, r->name,
	         r->v->path, (long long)r->same.deposit, r->same.verdict, r->same.sha256,
	         r->same.count > 1 ? ", among others" : "", (long long)r->same.deposit, (long long)r->deposit);
	return ESCROW_OK;
}

static escrow_status recv_result(struct recv *r, escrow_result *res, bool existing)
{
	esc_result_set_u64(res, ESCROW_RESULT_DEPOSIT_ID, (uint64_t)r->deposit);
	esc_result_set_string(res, ESCROW_RESULT_SHA256, r->s.sha256);
	esc_result_set_u64(res, ESCROW_RESULT_EXISTING, existing);
	esc_result_set_u64(res, ESCROW_RESULT_EVENT_SEQ, (uint64_t)r->head.seq);
	if (r->contract_id != NULL)
		esc_result_set_string(res, ESCROW_RESULT_CONTRACT_ID, r->contract_id);
	if (r->report != NULL)
		esc_result_set_string(res, ESCROW_RESULT_VERDICT, escrow_report_verdict(r->report));
	if (!existing && r->diff != NULL && json_is_true(json_object_get(r->diff, "compared"))) {
		static const struct {
			enum escrow_result_key k;
			const char *name;
		} counts[] = {{ESCROW_RESULT_DIFF_ADDED, "added"},
		              {ESCROW_RESULT_DIFF_REMOVED, "removed"},
		              {ESCROW_RESULT_DIFF_CHANGED, "changed"},
		              {ESCROW_RESULT_DIFF_RENAMED, "renamed"}};
		size_t i;

		esc_result_set_u64(res, ESCROW_RESULT_DIFF_PREVIOUS, (uint64_t)r->prev_id);
		for (i = 0; i < sizeof counts / sizeof counts[0]; i++)
			esc_result_set_u64(res, counts[i].k,
			                   (uint64_t)json_integer_value(json_object_get(r->diff, counts[i].name)));
		esc_result_set_u64(res, ESCROW_RESULT_DIFF_REGRESSIONS,
		                   json_array_size(json_object_get(r->diff, "regressions")));
	}
	if (!existing && r->same.deposit != 0) {
		esc_result_set_u64(res, ESCROW_RESULT_SAME_RELEASE, (uint64_t)r->same.deposit);
		esc_result_set_string(res, ESCROW_RESULT_SAME_RELEASE_SHA256, r->same.sha256);
		esc_result_set_string(res, ESCROW_RESULT_SAME_RELEASE_VERDICT, r->same.verdict);
		esc_result_set_u64(res, ESCROW_RESULT_SAME_RELEASE_COUNT, (uint64_t)r->same.count);
	}
	return ESCROW_OK;
}

static void recv_forget_previous(struct recv *r)
{
	free(r->prev_sha);
	free(r->prev_store);
	free(r->prev_signer);
	esc_diff_side_free(r->side);
	json_decref(r->diff);
	escrow_contract_free(r->contract);
	r->contract = NULL;
	r->prev_sha = r->prev_store = r->prev_signer = NULL;
	r->side = NULL;
	r->diff = NULL;
	r->prev_id = 0;
}

static void recv_free(struct recv *r)
{
	esc_stored_free(&r->s);
	escrow_identities_free(r->ids);
	escrow_seckey_free(r->sk);
	free(r->contract_id);
	free(r->signer);
	free(r->name);
	free(r->release);
	free(r->contract_text);
	free(r->receipt);
	json_decref(r->deliverables);
	json_decref(r->same_json);
	escrow_report_free(r->report);
	recv_forget_previous(r);
}

/* Removes the stored copy this receive made, unless a deposit names it. A
 * receive of the same bundle at the same time may have stored it too (same
 * name) and be about to record it: the check and the removal hold the
 * ledger's write lock, under which that receive checks its copy is still
 * there before recording it (esc_ledger_deposit_add). Without the lock (the
 * ledger's failure may be why this receive failed) the copy stays: a stray
 * that audit reports and the next receive adopts. The error in ctx is kept. */
static void recv_drop(struct recv *r)
{
	esc_ledger *l = r->v->ledger;
	escrow_ctx *ctx = r->v->ctx;
	escrow_status saved = escrow_ctx_status(ctx);
	char msg[ESC_ERRLEN];

	if (!r->s.fresh || r->s.abs == NULL) {
		esc_store_drop(&r->s); /* not made here: only forgotten */
		return;
	}
	snprintf(msg, sizeof msg, "%s", esc_ctx_message(ctx));
	if (l->ops->begin(l) == ESCROW_OK) {
		if (esc_ledger_deposit_find(l, r->s.sha256) == 0)
			esc_store_drop(&r->s);
		l->ops->rollback(l);
	}
	if (saved != ESCROW_OK)
		esc_error(ctx, saved, "%s", msg);
	else
		esc_clear_error(ctx);
}

/* Forgets what the hinted reading found. */
static void recv_reset(struct recv *r)
{
	recv_forget_previous(r);
	free(r->contract_id);
	free(r->signer);
	free(r->contract_text);
	escrow_report_free(r->report);
	r->contract_id = r->signer = r->contract_text = NULL;
	r->report = NULL;
	esc_clear_error(r->v->ctx);
}

/* The signer and contract the bundle's signature names, read without
 * reading the bundle; true when that key is valid for that contract. */
static bool recv_hint(struct recv *r)
{
	char *sig = esc_strf("%s.minisig", r->o->bundle), *text = NULL;
	size_t len = 0;
	bool ok = false;

	if (sig != NULL && access(sig, F_OK) == 0)
		ok = esc_receive_hint(r->v->ctx, sig, &r->contract_id, &r->signer);
	if (!ok && esc_bundle_peek_sig(r->o->bundle, &text, &len))
		ok = esc_receive_hint_text(text, len, &r->contract_id, &r->signer);
	free(text);
	free(sig);
	return ok && esc_ledger_key_valid(r->v->ledger, r->contract_id, r->signer) == 1;
}

/* The verification, the store's copy written by a thread of its own from
 * the bytes it reads. A failed copy is what is reported (its file, what to
 * do), not the reader's "stopped by the copy". */
static escrow_status verify_tapped(struct recv *r, struct esc_incoming *in)
{
	escrow_ctx *fctx = escrow_ctx_new();
	esc_tsink *ts = NULL;
	struct esc_sink tap;
	escrow_status st, fst;

	if (fctx == NULL)
		return esc_nomem(r->v->ctx);
	st = esc_tsink_new(fctx, in->wctx, (struct esc_sink){esc_store_write, in}, &ts);
	if (st != ESCROW_OK) {
		st = esc_error(r->v->ctx, st, "%s", esc_ctx_message(fctx));
		escrow_ctx_free(fctx);
		return st;
	}
	tap = (struct esc_sink){esc_tsink_write, ts};
	st = recv_verify(r, &tap);
	fst = esc_tsink_finish(ts);
	esc_tsink_free(ts);
	if (fst != ESCROW_OK) {
		escrow_report_free(r->report);
		r->report = NULL;
		st = esc_error(r->v->ctx, fst, "vault %s: %s", r->v->path, esc_ctx_message(fctx));
	}
	escrow_ctx_free(fctx);
	return st;
}

/* After the tapped reading: the copy holds the whole file (also after a
 * verdict reached early: the reader read the rest into the copy and the
 * digest), and the bag names the contract the signature named, or was not
 * reached (a damaged bundle is recorded under the contract its signature
 * names, with its verdict); a bag that names none is not taken. */
static bool copy_whole(struct recv *r, const struct esc_incoming *in, char **sha)
{
	const json_t *b = r->report ? json_object_get(r->report->root, "bundle") : NULL;
	const char *named = json_string_value(json_object_get(b, "contract_id"));
	const char *h = json_string_value(json_object_get(b, "sha256"));
	json_int_t size = json_integer_value(json_object_get(b, "size"));

	*sha = NULL;
	/* A bag read (its manifest gave the name) that names no contract is
	 * not recorded under the hint's: two readings refuse it. */
	if ((named != NULL ? strcmp(named, r->contract_id) != 0 : json_object_get(b, "name") != NULL) || h == NULL ||
	    strlen(h) != 64 || size < 0 || (uint64_t)size != in->out->bytes)
		return false;
	*sha = strdup(h);
	return *sha != NULL;
}

/* One reading (see the top of this file). *done false: the two readings
 * of recv_two() are needed. *id: the deposit when the bundle was already
 * in the vault (nothing new stored), negative on a ledger failure. */
static escrow_status recv_one(struct recv *r, bool *done, int64_t *id)
{
	struct esc_incoming in;
	escrow_status st, vst;
	char *sha = NULL;

	*done = false;
	*id = 0;
	if (!recv_hint(r))
		return ESCROW_OK;
	st = esc_store_open(r->v, &in);
	if (st == ESCROW_OK)
		st = verify_tapped(r, &in);
	vst = st;
	if (!is_verdict(st) || r->report == NULL) {
		*done = true; /* the copy, the input or the environment failed */
	} else if (copy_whole(r, &in, &sha)) {
		*done = true;
		snprintf(r->s.sha256, sizeof r->s.sha256, "%s", sha);
		*id = esc_ledger_deposit_find(r->v->ledger, sha);
		if (*id < 0)
			st = escrow_ctx_status(r->v->ctx);
		else if (*id == 0)
			st = esc_store_commit(r->v, &in, r->o->bundle, sha, &r->s);
		if (st == ESCROW_OK)
			st = vst;
	}
	esc_store_abort(&in);
	free(sha);
	return *done ? st : ESCROW_OK;
}

/* Stored first, then read for its names, then verified from the store. */
static escrow_status recv_two(struct recv *r, int64_t *id)
{
	escrow_status st;

	recv_reset(r);
	st = esc_store_put(r->v, r->o->bundle, &r->s);
	if (st != ESCROW_OK)
		return st;
	*id = esc_ledger_deposit_find(r->v->ledger, r->s.sha256);
	if (*id != 0)
		return ESCROW_OK;
	st = recv_names(r);
	return st == ESCROW_OK ? recv_verify(r, NULL) : st;
}

/* The receipt, once the deposit is recorded. */
static escrow_status recv_receipt(struct recv *r)
{
	struct esc_receipt_in in = {0};

	r->receipt = r->o->receipt ? strdup(r->o->receipt)
	                           : esc_strf("%s/receipts/%s.json", r->v->path, r->s.sha256);
	if (r->receipt == NULL)
		return esc_nomem(r->v->ctx);
	in.bundle_name = r->o->bundle;
	in.bundle_sha256 = r->s.sha256;
	in.resource_uri = r->s.rel;
	in.contract_id = r->contract_id;
	in.contract_sha256 = r->contract_sha;
	in.verdict = escrow_report_verdict(r->report);
	in.deliverables = r->deliverables;
	in.deposit_id = r->deposit;
	in.head = r->head;
	in.notary_key_id = r->v->key_id;
	in.signer_key_id = r->signer;
	in.vault = r->v->path;
	in.diff = r->diff;
	in.same_release = r->same_json;
	return esc_receipt_write(r->v->ctx, &in, r->sign, r->receipt);
}

/* Stored already and recorded: nothing new, and the verdict is the one
 * recorded. A bundle refused at receive stays refused when it comes again:
 * its exit is that verdict's, not a success. */
static escrow_status recv_existing(struct recv *r, escrow_result *res, int64_t id)
{
	static const struct {
		const char *name;
		escrow_status st;
	} verdicts[] = {{"verified", ESCROW_OK},          {"incomplete", ESCROW_INCOMPLETE},
	                {"tampered", ESCROW_TAMPERED},    {"bad-signature", ESCROW_BAD_SIGNATURE},
	                {"unsafe", ESCROW_UNSAFE},        {"not-opened", ESCROW_NO_IDENTITY},
	                {"not-a-bundle", ESCROW_NOT_A_BUNDLE}};
	esc_ledger *l = r->v->ledger;
	char num[24];
	const char *p[1] = {num};
	struct esc_lrows rows;
	escrow_status st;
	size_t i;

	r->deposit = id;
	esc_ledger_head(l, &r->head);
	snprintf(num, sizeof num, "%lld", (long long)id);
	if ((st = l->ops->exec(l, "SELECT verdict FROM deposits WHERE id = CAST($1 AS BIGINT)", 1, p, &rows)) !=
	    ESCROW_OK)
		return st;
	for (i = 0; i < sizeof verdicts / sizeof *verdicts; i++)
		if (rows.rows == 1 && esc_lrows_at(&rows, 0, 0) != NULL &&
		    strcmp(esc_lrows_at(&rows, 0, 0), verdicts[i].name) == 0)
			break;
	esc_lrows_free(&rows);
	if (i == sizeof verdicts / sizeof *verdicts)
		return esc_error(r->v->ctx, ESCROW_TAMPERED, "vault %s: deposit %lld has no verdict escrow records "
		                 "('escrow vault log --verify' checks the ledger)", r->v->path, (long long)id);
	recv_result(r, res, true);
	esc_result_set_string(res, ESCROW_RESULT_VERDICT, verdicts[i].name);
	if (verdicts[i].st == ESCROW_OK)
		return ESCROW_OK;
	return esc_error(r->v->ctx, verdicts[i].st, "%s is in vault %s already, as deposit %lld, refused at receive "
	                 "(%s): receiving it again changes nothing; send a new bundle", r->o->bundle, r->v->path,
	                 (long long)id, verdicts[i].name);
}

/* A verified deposit's records, kept for the next one's diff. Not keeping
 * them costs the next receive a reading of this bundle: not a failure (but
 * memory). The verdict's message in ctx is kept. */
static escrow_status recv_keep_records(struct recv *r, escrow_status vst)
{
	escrow_ctx *ctx = r->v->ctx;
	escrow_status saved = escrow_ctx_status(ctx), st;
	char msg[ESC_ERRLEN];

	r->records_sha[0] = '\0';
	if (vst != ESCROW_OK || r->side == NULL || r->side->status != ESCROW_OK)
		return ESCROW_OK;
	snprintf(msg, sizeof msg, "%s", esc_ctx_message(ctx));
	st = esc_records_write(r->v, r->side, r->s.sha256, r->records_sha);
	if (st == ESCROW_E_NOMEM)
		return st;
	if (saved != ESCROW_OK)
		esc_error(ctx, saved, "%s", msg);
	else
		esc_clear_error(ctx);
	return ESCROW_OK;
}

/* The bundle's detached signature was made by another key than its signer. */
static bool other_key_sig(const escrow_report *rep)
{
	const char *d = json_string_value(json_object_get(json_object_get(rep->root, "bundle"), "detached_signature"));

	return d != NULL && strcmp(d, "other-key") == 0;
}

static escrow_status recv_run(struct recv *r, escrow_result *res)
{
	escrow_status st = recv_prepare(r), vst;
	int64_t id = 0;
	bool done = false;

	if (st == ESCROW_OK)
		st = recv_one(r, &done, &id);
	if (st == ESCROW_OK && !done)
		st = recv_two(r, &id);
	if (id != 0)
		return id < 0 ? escrow_ctx_status(r->v->ctx) : recv_existing(r, res, id);
	if (!is_verdict(st) || r->report == NULL) {
		recv_drop(r);
		return st;
	}
	vst = st;
	st = r->side != NULL && r->prev_id != 0 ? recv_diff(r, r->contract) : ESCROW_OK;
	if (st == ESCROW_OK)
		st = recv_keep_records(r, vst);
	if (st == ESCROW_OK && r->s.minisig && other_key_sig(r->report))
		st = esc_store_unsign(r->v, &r->s);
	if (st == ESCROW_OK)
		st = recv_record(r);
	if (st == ESCROW_E_EXISTS) { /* another receive of the same bundle won */
		esc_clear_error(r->v->ctx);
		id = esc_ledger_deposit_find(r->v->ledger, r->s.sha256);
		return id > 0 ? recv_existing(r, res, id) : escrow_ctx_status(r->v->ctx);
	}
	if (st != ESCROW_OK) {
		recv_drop(r);
		return st;
	}
	st = recv_same_release(r);
	recv_result(r, res, false);
	if (st == ESCROW_OK)
		st = recv_receipt(r);
	return st != ESCROW_OK ? st : vst;
}

escrow_status escrow_vault_receive(escrow_vault *v, const escrow_options *o, escrow_result **res,
                                   escrow_report **report)
{
	struct recv r = {.v = v, .o = o};
	escrow_result *out = NULL;
	escrow_status st;

	if (res != NULL)
		*res = NULL;
	if (report != NULL)
		*report = NULL;
	if (v == NULL || o == NULL || o->bundle == NULL)
		return v ? esc_error(v->ctx, ESCROW_E_USAGE, "vault receive: no bundle given") : ESCROW_E_USAGE;
	if (strcmp(o->bundle, "-") == 0)
		return esc_error(v->ctx, ESCROW_E_USAGE, "vault receive: the bundle must be a file, not standard input "
		                 "(-): the vault stores a copy of it; save the stream to a file and receive that");
	/* A folder or a device is no bundle file: a copy of /dev/zero would fill
	 * the store's disk. A pipe is read to its end, as a file. */
	{
		struct stat sb;

		if (stat(o->bundle, &sb) == 0 && S_ISDIR(sb.st_mode))
			return esc_error(v->ctx, ESCROW_E_OPEN, "%s: is a folder, not a bundle; nothing was recorded",
			                 o->bundle);
		if (stat(o->bundle, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISFIFO(sb.st_mode))
			return esc_error(v->ctx, ESCROW_E_OPEN, "%s: is a device or a socket, not a bundle file (the vault "
			                 "stores a copy of the bundle: give its file); nothing was recorded", o->bundle);
	}
	out = esc_result_new();
	if (out == NULL)
		return esc_nomem(v->ctx);
	st = recv_run(&r, out);
	if (res != NULL && (st == ESCROW_OK || is_verdict(st)))
		*res = out;
	else
		escrow_result_free(out);
	if (report != NULL) {
		*report = r.report;
		r.report = NULL;
	}
	recv_free(&r);
	return st;
}
