/* vault_certificate.c -- escrow_vault_certificate(): the certificate of a
 * deposit the vault holds. Its stored copy is verified again as vault audit
 * --full does (the contract version and the agency key registered when it
 * was received); when that cannot be, the verdict recorded at receive is
 * certified, and the page says which. The receipt the vault kept is shown
 * with its signature. */
#include "esc_api.h"
#include "esc_cert.h"
#include "esc_vault.h"
#include "esc_vault_ledger.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define RECEIPT_MAX (1u << 20)
#define RECEIPT_SIG_MAX 4096u

struct vcert {
	escrow_vault *v;
	json_t *row;                 /* the deposit, as vault show --json gives it */
	char *contract_sha, *contract_yaml, *key_text;
	escrow_contract *contract;
	escrow_pubkey *key;
	escrow_identities *ids;
	escrow_report *rep;          /* verified again */
	json_t *recorded;            /* or the report made of what was recorded */
	char *store_abs, *receipt_rel, *receipt_text, *receipt_sig;
	json_t *receipt;
};

/* One text cell of the first row of a query, malloc'd into *out (NULL when none). */
static escrow_status one_cell(escrow_vault *v, const char *sql, const char *param, char **out)
{
	struct esc_lrows r = {0};
	escrow_status st = v->ledger->ops->exec(v->ledger, sql, 1, (const char *[]){param}, &r);

	*out = NULL;
	if (st == ESCROW_OK && r.rows >= 1 && esc_lrows_at(&r, 0, 0) != NULL &&
	    (*out = strdup(esc_lrows_at(&r, 0, 0))) == NULL)
		st = esc_nomem(v->ctx);
	esc_lrows_free(&r);
	return st;
}

/* The deposit: found as vault show finds it, and the contract version it was
 * received against. */
static escrow_status find(struct vcert *x, const escrow_options *o)
{
	char *text = NULL, id[24];
	escrow_status st = escrow_vault_show(x->v, o, ESCROW_JSON, &text);

	if (st != ESCROW_OK) {
		free(text); /* an edited row: shown, never certified */
		return st;
	}
	x->row = json_loads(text, 0, NULL);
	free(text);
	if (!json_is_object(x->row))
		return esc_error(x->v->ctx, ESCROW_E_INTERNAL, "vault %s: deposit %s: unreadable", x->v->path, o->deposit);
	snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(x->row, "id")));
	st = one_cell(x->v, "SELECT contract_sha256 FROM deposits WHERE id = CAST($1 AS BIGINT)", id, &x->contract_sha);
	if (st == ESCROW_OK && (x->store_abs = esc_path_join(x->v->path, esc_cert_str(x->row, "store_path"))) == NULL)
		st = esc_nomem(x->v->ctx);
	return st;
}

/* The registered contract version and agency key; *why set when there are none. */
static escrow_status registered(struct vcert *x, const char **why)
{
	const char *signer = esc_cert_str(x->row, "signer_key_id");
	escrow_ctx *ctx = x->v->ctx;
	escrow_status st;

	if (signer == NULL || x->contract_sha == NULL) {
		*why = "it was refused at receive before any verification";
		return ESCROW_OK;
	}
	st = one_cell(x->v, "SELECT yaml FROM contracts WHERE sha256 = $1", x->contract_sha, &x->contract_yaml);
	if (st == ESCROW_OK)
		st = one_cell(x->v, "SELECT public_key FROM agency_keys WHERE key_id = $1 ORDER BY added_event LIMIT 1",
		              signer, &x->key_text);
	if (st != ESCROW_OK)
		return st;
	if (x->contract_yaml == NULL || x->key_text == NULL) {
		*why = "its contract version or agency key is no longer in the ledger";
		return ESCROW_OK;
	}
	st = escrow_contract_parse(ctx, esc_cert_str(x->row, "contract_id"), x->contract_yaml,
	                           strlen(x->contract_yaml), &x->contract);
	if (st == ESCROW_OK)
		st = escrow_pubkey_parse(ctx, x->key_text, strlen(x->key_text), &x->key);
	if (st == ESCROW_OK && x->v->identity != NULL)
		st = escrow_identities_load(ctx, x->v->identity, &x->ids);
	return st;
}

/* The stored copy verified again; *why set when it cannot be. */
static escrow_status reverify(struct vcert *x, const char **why, escrow_status *vs)
{
	struct esc_verify_opts vo = {.bundle = x->store_abs, .key = x->key, .contract = x->contract,
	                             .identities = x->ids};

	*vs = esc_verify(x->v->ctx, &vo, &x->rep);
	if (*vs == ESCROW_NO_IDENTITY && x->ids == NULL) {
		*why = "the deposit is sealed and the vault has no identity to open it";
		escrow_report_free(x->rep);
		x->rep = NULL;
		esc_clear_error(x->v->ctx);
		return ESCROW_OK;
	}
	return x->rep != NULL ? ESCROW_OK : *vs;
}

/* What the ledger recorded, in the shape of a verify report. */
static escrow_status recorded(struct vcert *x)
{
	const json_t *d = json_object_get(x->row, "deliverables"), *status;
	const char *id;
	json_t *list = json_array();

	json_object_foreach((json_t *)d, id, status)
		json_array_append_new(list, json_pack("{s:s, s:O}", "id", id, status));
	x->recorded = json_pack("{s:O?, s:{s:O?, s:O?, s:O?, s:O?}, s:{s:O?, s:s?}, s:{s:O?}, s:o, s:[]}",
	                        "verdict", json_object_get(x->row, "verdict"), "bundle", "name",
	                        json_object_get(x->row, "name"), "release", json_object_get(x->row, "release"),
	                        "contract_id", json_object_get(x->row, "contract_id"), "path",
	                        json_object_get(x->row, "store_path"), "contract", "id",
	                        json_object_get(x->row, "contract_id"), "sha256", x->contract_sha, "signature", "key_id",
	                        json_object_get(x->row, "signer_key_id"), "deliverables", list, "warnings");
	return x->recorded != NULL ? ESCROW_OK : esc_nomem(x->v->ctx);
}

/* VAULT/receipts/SHA.json and its signature, when receive kept them there. */
static escrow_status receipt(struct vcert *x, struct esc_cert *c)
{
	char *abs = NULL, *sig_path = NULL;
	uint8_t digest[32];
	size_t len = 0;
	escrow_status st = ESCROW_OK;

	x->receipt_rel = esc_strf("receipts/%s.json", esc_cert_str(x->row, "bundle_sha256"));
	abs = x->receipt_rel ? esc_path_join(x->v->path, x->receipt_rel) : NULL;
	sig_path = abs ? esc_strf("%s.minisig", abs) : NULL;
	if (sig_path == NULL) {
		st = esc_nomem(x->v->ctx);
		goto out;
	}
	if (access(abs, F_OK) != 0 || access(sig_path, F_OK) != 0)
		goto out;
	st = esc_read_small_file(x->v->ctx, abs, RECEIPT_MAX, &x->receipt_text, &len);
	if (st == ESCROW_OK)
		st = esc_read_small_file(x->v->ctx, sig_path, RECEIPT_SIG_MAX, &x->receipt_sig, NULL);
	if (st != ESCROW_OK)
		goto out;
	x->receipt = json_loadb(x->receipt_text, len, 0, NULL);
	if (x->receipt == NULL) {
		st = esc_error(x->v->ctx, ESCROW_E_INPUT, "%s: not JSON (a receipt the vault wrote?)", abs);
		goto out;
	}
	esc_sha256_buf(x->receipt_text, len, digest);
	esc_hex(digest, sizeof digest, c->receipt_sha256);
	c->receipt = x->receipt;
	c->receipt_sig = x->receipt_sig;
	c->receipt_path = x->receipt_rel;
	/* what changed since the previous accepted deposit, as receive recorded it */
	{
		const json_t *d = json_object_get(json_object_get(json_object_get(x->receipt, "predicate"), "escrow"), "diff");

		if (json_is_true(json_object_get(d, "compared")))
			c->diff = d;
	}
out:
	free(abs);
	free(sig_path);
	return st;
}

static escrow_status verdict_status(const char *v)
{
	static const char *const names[] = {"verified", "tampered", "incomplete", "bad-signature", "unsafe",
	                                    "not-opened"};
	size_t i;

	for (i = 0; v != NULL && i < sizeof names / sizeof names[0]; i++)
		if (strcmp(v, names[i]) == 0)
			return (escrow_status)i; /* ESCROW_OK .. ESCROW_NO_IDENTITY, in this order */
	return ESCROW_NOT_A_BUNDLE;
}

static void vcert_free(struct vcert *x)
{
	json_decref(x->row);
	json_decref(x->recorded);
	json_decref(x->receipt);
	free(x->contract_sha);
	free(x->contract_yaml);
	free(x->key_text);
	escrow_contract_free(x->contract);
	escrow_pubkey_free(x->key);
	escrow_identities_free(x->ids);
	free(x->store_abs);
	free(x->receipt_rel);
	free(x->receipt_text);
	free(x->receipt_sig);
}

escrow_status escrow_vault_certificate(escrow_vault *v, const escrow_options *o, escrow_report **report)
{
	struct vcert x = {.v = v};
	struct esc_cert c = {0};
	const char *why = NULL, *ledger_sha;
	escrow_status st, vs = ESCROW_OK;
	bool changed;

	if (report != NULL)
		*report = NULL;
	if (v == NULL)
		return ESCROW_E_USAGE;
	if (o == NULL || o->deposit == NULL || o->output == NULL || *o->output == '\0')
		return esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_certificate: no DEPOSIT or no OUTPUT");
	c.lang = o->lang ? o->lang : "en";
	c.w = esc_cert_words(c.lang);
	if (c.w == NULL)
		return esc_error(v->ctx, ESCROW_E_USAGE, "language '%s': the certificate is written in en or fr", o->lang);
	st = find(&x, o);
	if (st == ESCROW_OK)
		st = registered(&x, &why);
	if (st == ESCROW_OK && why == NULL)
		st = reverify(&x, &why, &vs);
	if (st == ESCROW_OK && why != NULL)
		st = recorded(&x);
	if (st != ESCROW_OK)
		goto out;
	c.report = x.rep != NULL ? x.rep->root : x.recorded;
	c.mode = x.rep != NULL ? ESC_CERT_REVERIFIED : ESC_CERT_RECORDED;
	c.why_recorded = why;
	c.bundle_file = esc_cert_str(x.row, "store_path");
	c.notary_key_id = v->key_id;
	c.vault_path = v->path;
	c.deposit_id = (int64_t)json_integer_value(json_object_get(x.row, "id"));
	c.received_at = esc_cert_str(x.row, "received_at");
	c.recorded_verdict = esc_cert_str(x.row, "verdict");
	st = receipt(&x, &c);
	if (st == ESCROW_OK)
		st = esc_cert_facts(v->ctx, &c, access(x.store_abs, F_OK) == 0 ? x.store_abs : NULL);
	if (st != ESCROW_OK)
		goto out;
	if (c.mode == ESC_CERT_RECORDED && c.received_at != NULL && strlen(c.received_at) < sizeof c.verified_at)
		strcpy(c.verified_at, c.received_at); /* the verdict is the one reached then */
	ledger_sha = esc_cert_str(x.row, "bundle_sha256");
	changed = c.bundle_sha256[0] && ledger_sha != NULL && strcmp(c.bundle_sha256, ledger_sha) != 0;
	if (changed) {
		/* the page's verdict is the deposit's, not that of the file now in
		 * its place: another bundle the agency signed verifies, and the
		 * page said VERIFIED over an exit status of tampered */
		json_object_set_new((json_t *)c.report, "verdict", json_string("tampered"));
		json_object_set_new((json_t *)c.report, "reason",
		                    json_string("the stored copy is not the bundle received: its SHA-256 is not the one "
		                                "the ledger recorded at receive"));
		json_array_append_new(json_object_get((json_t *)c.report, "warnings"),
		                      json_pack("{s:s, s:s}", "message", "the stored copy's SHA-256 is not the one the "
		                                "ledger recorded at receive: the store was changed", "file", ledger_sha));
	}
	st = esc_cert_write(v->ctx, &c, o->output, o->flags);
	if (st == ESCROW_OK)
		st = changed ? ESCROW_TAMPERED : x.rep != NULL ? vs : verdict_status(c.recorded_verdict);
	if (changed && st == ESCROW_TAMPERED)
		esc_error(v->ctx, st, "vault %s: deposit %lld: the stored copy is not the bundle received (SHA-256 %s, "
		          "recorded %s)", v->path, (long long)c.deposit_id, c.bundle_sha256, ledger_sha);
out:
	if (report != NULL && x.rep != NULL && (st == ESCROW_OK || st == vs || st == ESCROW_TAMPERED)) {
		*report = x.rep;
		x.rep = NULL;
	}
	escrow_report_free(x.rep);
	vcert_free(&x);
	return st;
}
