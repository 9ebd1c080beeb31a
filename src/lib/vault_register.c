/* vault_register.c -- what the notary registers: contracts (each version,
 * parsed and checked before it is recorded) and the agency keys that may sign
 * for them. Every key file is read and parsed before anything is recorded, so
 * a bad one leaves the ledger as it was. */
#include "esc_api.h"
#include "esc_vault.h"

#include <stdlib.h>
#include <string.h>

struct keyset {
	size_t n;
	char **text;
	char (*id)[17];
};

static void keyset_free(struct keyset *k)
{
	size_t i;

	for (i = 0; i < k->n; i++)
		free(k->text[i]);
	free(k->text);
	free(k->id);
	memset(k, 0, sizeof *k);
}

static escrow_status keyset_read(escrow_ctx *ctx, const struct esc_strlist *files, struct keyset *k)
{
	size_t i;

	memset(k, 0, sizeof *k);
	if (files->n == 0)
		return ESCROW_OK;
	k->text = calloc(files->n, sizeof *k->text);
	k->id = calloc(files->n, sizeof *k->id);
	if (k->text == NULL || k->id == NULL)
		return esc_nomem(ctx);
	for (i = 0; i < files->n; i++) {
		escrow_pubkey *pk = NULL;
		size_t len = 0;
		escrow_status st = esc_read_small_file(ctx, files->v[i], ESC_LEDGER_KEY_MAX, &k->text[i], &len);

		k->n = i + 1;
		if (st == ESCROW_OK)
			st = escrow_pubkey_parse(ctx, k->text[i], len, &pk);
		if (st != ESCROW_OK) {
			esc_error_prefix(ctx, "agency key %s", files->v[i]);
			return st;
		}
		escrow_pubkey_id(pk, k->id[i]);
		escrow_pubkey_free(pk);
	}
	return ESCROW_OK;
}

/* Adds each key of k for contract id; allow_known: a key already registered
 * for it is no error (an amendment given the same keys again). */
static escrow_status keyset_add(escrow_vault *v, const char *id, const struct keyset *k, bool allow_known,
                                struct esc_event_ref *ev)
{
	size_t i;

	for (i = 0; i < k->n; i++) {
		escrow_status st = esc_ledger_key_add(v->ledger, id, k->id[i], k->text[i], ev);

		if (st == ESCROW_E_EXISTS && allow_known) {
			esc_clear_error(v->ctx);
			continue;
		}
		if (st != ESCROW_OK)
			return st;
	}
	return ESCROW_OK;
}

static escrow_status new_result(escrow_vault *v, escrow_result **res)
{
	if (res == NULL)
		return ESCROW_OK;
	*res = esc_result_new();
	return *res == NULL ? esc_nomem(v->ctx) : ESCROW_OK;
}

static escrow_status args_ok(escrow_vault *v, const escrow_options *o, const char *what)
{
	if (v == NULL || o == NULL)
		return v ? esc_error(v->ctx, ESCROW_E_USAGE, "%s: NULL argument", what) : ESCROW_E_USAGE;
	return ESCROW_OK;
}

escrow_status escrow_vault_contract_add(escrow_vault *v, const escrow_options *o, escrow_result **res)
{
	escrow_contract *c = NULL;
	struct keyset k = {0};
	struct esc_event_ref ev = {0};
	char *text = NULL;
	size_t len = 0;
	int version = 0;
	escrow_status st = args_ok(v, o, "escrow_vault_contract_add");

	if (res != NULL)
		*res = NULL;
	if (st == ESCROW_OK && o->contract_file == NULL)
		st = esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_contract_add: no contract file");
	if (st == ESCROW_OK)
		st = esc_read_small_file(v->ctx, o->contract_file, ESC_LEDGER_TEXT_MAX, &text, &len);
	if (st == ESCROW_OK)
		st = escrow_contract_parse(v->ctx, o->contract_file, text, len, &c);
	if (st == ESCROW_OK)
		st = keyset_read(v->ctx, &o->key_files, &k);
	if (st == ESCROW_OK)
		st = new_result(v, res);
	if (st == ESCROW_OK)
		st = esc_ledger_contract_add(v->ledger, escrow_contract_id(c), text, len, &version, &ev);
	if (st == ESCROW_OK)
		st = keyset_add(v, escrow_contract_id(c), &k, version > 1, &ev);
	if (st == ESCROW_OK && res != NULL) {
		esc_result_set_u64(*res, ESCROW_RESULT_VERSION, (uint64_t)version);
		esc_result_set_u64(*res, ESCROW_RESULT_EVENT_SEQ, (uint64_t)ev.seq);
		esc_result_set_string(*res, ESCROW_RESULT_CONTRACT_ID, escrow_contract_id(c));
	}
	if (st != ESCROW_OK && res != NULL) {
		escrow_result_free(*res);
		*res = NULL;
	}
	keyset_free(&k);
	escrow_contract_free(c);
	free(text);
	return st;
}

escrow_status escrow_vault_key_add(escrow_vault *v, const escrow_options *o, escrow_result **res)
{
	struct keyset k = {0};
	struct esc_event_ref ev = {0};
	int version = 0;
	escrow_status st = args_ok(v, o, "escrow_vault_key_add");

	if (res != NULL)
		*res = NULL;
	if (st == ESCROW_OK && (o->contract_id == NULL || o->key_files.n == 0))
		st = esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_key_add: a contract id and a key file are needed");
	if (st == ESCROW_OK)
		st = keyset_read(v->ctx, &o->key_files, &k);
	if (st == ESCROW_OK)
		st = esc_ledger_contract_latest(v->ledger, o->contract_id, &version, (char[65]){0}, NULL);
	if (st == ESCROW_OK)
		st = new_result(v, res);
	if (st == ESCROW_OK)
		st = keyset_add(v, o->contract_id, &k, false, &ev);
	if (st == ESCROW_OK && res != NULL)
		esc_result_set_u64(*res, ESCROW_RESULT_EVENT_SEQ, (uint64_t)ev.seq);
	if (st != ESCROW_OK && res != NULL) {
		escrow_result_free(*res);
		*res = NULL;
	}
	keyset_free(&k);
	return st;
}

escrow_status escrow_vault_key_revoke(escrow_vault *v, const escrow_options *o, escrow_result **res)
{
	struct esc_event_ref ev = {0};
	escrow_status st = args_ok(v, o, "escrow_vault_key_revoke");

	if (res != NULL)
		*res = NULL;
	if (st == ESCROW_OK && o->key_id == NULL)
		st = esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_key_revoke: no key id");
	if (st == ESCROW_OK)
		st = new_result(v, res);
	if (st == ESCROW_OK)
		st = esc_ledger_key_revoke(v->ledger, o->key_id, o->reason, &ev);
	if (st == ESCROW_OK && res != NULL)
		esc_result_set_u64(*res, ESCROW_RESULT_EVENT_SEQ, (uint64_t)ev.seq);
	if (st != ESCROW_OK && res != NULL) {
		escrow_result_free(*res);
		*res = NULL;
	}
	return st;
}
