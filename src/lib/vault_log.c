/* vault_log.c -- escrow_vault_log: the event log for people and programs,
 * and its checks (docs/VAULT.md, "The log"): the chain recomputed
 * (esc_ledger_verify), every receipt kept in VAULT/receipts checked against
 * the notary's key, its ledger head still in the log; and one receipt the
 * agency brings (--against) checked the same way. */
#include "esc_api.h"
#include "esc_escape.h"
#include "esc_minisign.h"
#include "esc_vault_ledger.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RECEIPT_MAX (1u << 20)

struct lg {
	escrow_vault *v;
	unsigned flags;
	json_t *events;       /* JSON output */
	FILE *tf;             /* text output, into text (one stream: a text rebuilt per
	                         event grew as the square of the log) */
	char *text;
	size_t tlen;
	escrow_status st;
};

static int list_cb(void *user, const struct esc_event_row *ev)
{
	struct lg *g = user;
	json_t *body = ev->body ? json_loads(ev->body, 0, NULL) : NULL;
	if (g->flags & ESCROW_JSON) {
		json_t *o = json_pack("{s:I, s:o?, s:o?, s:o?, s:o?, s:o?}", "seq", (json_int_t)ev->seq, "kind",
		                      esc_json_string(ev->kind), "time", esc_json_string(ev->time), "hash",
		                      esc_json_string(ev->hash), "prev_hash", esc_json_string(ev->prev_hash), "data",
		                      json_incref(json_object_get(body, "data")));

		if (o == NULL || json_array_append_new(g->events, o) != 0)
			g->st = esc_nomem(g->v->ctx);
	} else {
		/* The ledger's columns as a terminal may show them; the data as
		 * JSON with DEL, C1 and bidi controls escaped too. */
		char *data = esc_json_safe(json_dumps(json_object_get(body, "data"), JSON_COMPACT | JSON_SORT_KEYS));
		char *when = esc_escape_dup(ev->time ? ev->time : "-", strlen(ev->time ? ev->time : "-"), ESC_ESCAPE_TEXT);
		char *kind = esc_escape_dup(ev->kind ? ev->kind : "-", strlen(ev->kind ? ev->kind : "-"), ESC_ESCAPE_TEXT);
		char *hash = esc_escape_dup(ev->hash ? ev->hash : "-", strlen(ev->hash ? ev->hash : "-"), ESC_ESCAPE_TEXT);

		if (when && kind && hash)
			fprintf(g->tf, "%lld  %s  %-14s %.16s  %s\n", (long long)ev->seq, when, kind, hash, data ? data : "-");
		if (!when || !kind || !hash || ferror(g->tf))
			g->st = esc_nomem(g->v->ctx);
		free(data);
		free(when);
		free(kind);
		free(hash);
	}
	json_decref(body);
	return g->st != ESCROW_OK;
}

/* The notary's public key, from the secret key the vault remembers. */
static escrow_status notary_pub(escrow_vault *v, escrow_pubkey *pk)
{
	escrow_seckey *sk = NULL;
	escrow_status st = esc_vault_load_key(v->ctx, v->notary_key, &sk);

	if (st != ESCROW_OK) {
		esc_error_prefix(v->ctx, "vault %s: the notary's key", v->path);
		return st;
	}
	st = esc_vault_check_key(v, sk);
	memcpy(pk->id, sk->id, sizeof pk->id);
	memcpy(pk->pk, sk->sk + 32, 32);
	escrow_seckey_free(sk);
	return st;
}

/* A receipt whose signature does not verify with the notary's key: signed
 * by another key (another vault's receipt: it says nothing about this log,
 * and nothing in it was changed), or altered after signing. */
static escrow_status receipt_sig_fault(escrow_vault *v, const escrow_pubkey *pk, const char *path, const char *sig,
                                       size_t sig_len)
{
	uint8_t id[ESC_MKEYID_LEN];
	char made[17], mine[17];

	if (!esc_msig_key_id(sig, sig_len, id) || memcmp(id, pk->id, sizeof id) == 0)
		return esc_error(v->ctx, ESCROW_TAMPERED, "receipt %s: its signature does not verify with the notary's "
		                 "key (%s): the receipt was altered", path, esc_ctx_message(v->ctx));
	esc_mkeyid_hex(id, made);
	esc_mkeyid_hex(pk->id, mine);
	return esc_error(v->ctx, ESCROW_BAD_SIGNATURE, "receipt %s: signed by key %s, which is not the notary key of "
	                 "vault %s (key %s): a receipt of another vault, or of a key this vault does not know; it says "
	                 "nothing about this vault's log (check it with its own notary's public key: 'escrow receipt "
	                 "verify %s -p THAT.pub')", path, made, v->path, mine, path);
}

/* A receipt whose head is not in this log, about a bundle this vault holds
 * no deposit of: a notary may keep several vaults with one key, and that
 * receipt may be another's, its log never changed. Said after the fault,
 * which stays (the two cannot be told apart from the receipt). */
static void not_here(escrow_vault *v, const json_t *root)
{
	const json_t *subject = json_array_get(json_object_get(root, "subject"), 0);
	const char *sha = json_string_value(json_object_get(json_object_get(subject, "digest"), "sha256"));
	char msg[ESC_ERRLEN];

	if (sha == NULL || strlen(sha) != 64 || strspn(sha, "0123456789abcdef") != 64 ||
	    esc_ledger_deposit_find(v->ledger, sha) != 0)
		return;
	snprintf(msg, sizeof msg, "%s", esc_ctx_message(v->ctx));
	esc_error(v->ctx, ESCROW_TAMPERED, "%s; and vault %s holds no deposit of its bundle %.16s...: if the receipt is "
	          "of another vault made with the same notary key, check it against that vault", msg, v->path, sha);
}

/* One receipt: the notary's signature, then its ledger head in the log. */
static escrow_status check_receipt(escrow_vault *v, const escrow_pubkey *pk, const char *path)
{
	char *text = NULL, *sig = NULL, *sig_path = esc_strf("%s.minisig", path);
	size_t len = 0, sig_len = 0;
	struct esc_chain_report r = {0};
	json_t *root = NULL, *head;
	uint8_t hash[32];
	const char *hex;
	escrow_status st = sig_path ? esc_read_small_file(v->ctx, path, RECEIPT_MAX, &text, &len) : esc_nomem(v->ctx);

	if (st == ESCROW_OK)
		st = esc_read_small_file(v->ctx, sig_path, 4096, &sig, &sig_len);
	if (st == ESCROW_OK && escrow_verify_buffer(v->ctx, pk, text, len, sig, sig_len, NULL) != ESCROW_OK)
		st = receipt_sig_fault(v, pk, path, sig, sig_len);
	if (st == ESCROW_OK) {
		root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
		head = json_object_get(json_object_get(json_object_get(root, "predicate"), "escrow"), "ledger_head");
		hex = json_string_value(json_object_get(head, "hash"));
		if (!json_is_integer(json_object_get(head, "seq")) || hex == NULL || strlen(hex) != 64 ||
		    esc_unhex(hex, 64, hash, 32) != 0)
			st = esc_error(v->ctx, ESCROW_E_INPUT, "receipt %s: signed, but it holds no ledger head "
			               "(predicate.escrow.ledger_head)", path);
		else
			st = esc_ledger_verify_against(v->ledger, (int64_t)json_integer_value(json_object_get(head, "seq")),
			                               hash, &r);
		if (st == ESCROW_TAMPERED && r.bad_seq > 0) {
			esc_error_prefix(v->ctx, "receipt %s (its ledger head is event %lld)", path,
			                 (long long)json_integer_value(json_object_get(head, "seq")));
			not_here(v, root);
		}
	}
	json_decref(root);
	free(text);
	free(sig);
	free(sig_path);
	return st;
}

/* Every RECEIPT.json kept in VAULT/receipts, in no particular order. */
static escrow_status check_kept(escrow_vault *v, const escrow_pubkey *pk, size_t *n)
{
	char *dir = esc_path_join(v->path, "receipts");
	DIR *d = dir ? opendir(dir) : NULL;
	struct dirent *e;
	escrow_status st = ESCROW_OK;

	*n = 0;
	if (d == NULL) {
		free(dir);
		return ESCROW_OK; /* none kept (receive -o elsewhere only) */
	}
	while (st == ESCROW_OK && (e = readdir(d)) != NULL) {
		size_t len = strlen(e->d_name);
		char *p;

		if (len < 6 || strcmp(e->d_name + len - 5, ".json") != 0)
			continue;
		if ((p = esc_path_join(dir, e->d_name)) == NULL)
			st = esc_nomem(v->ctx);
		else
			st = check_receipt(v, pk, p);
		free(p);
		(*n)++;
	}
	closedir(d);
	free(dir);
	return st;
}

static escrow_status verify(escrow_vault *v, const escrow_options *o, unsigned flags, char **summary)
{
	struct esc_chain_report r;
	escrow_pubkey pk;
	escrow_status st = esc_ledger_verify(v->ledger, &r);
	size_t n = 0;

	if (st == ESCROW_OK && ((flags & ESCROW_VERIFY) || o->against))
		st = notary_pub(v, &pk);
	if (st == ESCROW_OK && (flags & ESCROW_VERIFY))
		st = check_kept(v, &pk, &n);
	if (st == ESCROW_OK && o->against != NULL)
		st = check_receipt(v, &pk, o->against);
	if (st == ESCROW_OK) {
		char hex[65];

		esc_hex(r.head.hash, 32, hex);
		*summary = esc_strf("chain ok: %lld event(s), head event %lld %.16s; %zu kept receipt(s) ok%s%s",
		                    (long long)r.events, (long long)r.head.seq, hex, n,
		                    o->against ? "; its head is in the log: " : "", o->against ? o->against : "");
	}
	return st;
}

escrow_status escrow_vault_log(escrow_vault *v, const escrow_options *o, unsigned flags, char **out)
{
	struct lg g = {.v = v, .flags = flags};
	char *summary = NULL;
	escrow_status st, vst = ESCROW_OK;
	json_t *root;

	if (out != NULL)
		*out = NULL;
	if (v == NULL || o == NULL || out == NULL)
		return v ? esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_log: NULL argument") : ESCROW_E_USAGE;
	g.events = json_array();
	g.tf = open_memstream(&g.text, &g.tlen);
	st = g.events && g.tf ? esc_ledger_events(v->ledger, 0, list_cb, &g) : esc_nomem(v->ctx);
	if (st == ESCROW_OK)
		st = g.st;
	if (g.tf != NULL && fclose(g.tf) != 0 && st == ESCROW_OK)
		st = esc_nomem(v->ctx);
	if (st == ESCROW_OK && ((flags & ESCROW_VERIFY) || o->against)) {
		vst = verify(v, o, flags, &summary);
		st = vst == ESCROW_TAMPERED || vst == ESCROW_BAD_SIGNATURE || vst == ESCROW_OK ? ESCROW_OK : vst;
	}
	if (st == ESCROW_OK && (flags & ESCROW_JSON)) {
		root = json_pack("{s:s, s:o?, s:O, s:o?, s:o?, s:o?}", "schema", "escrow-vault-log/1", "vault",
		                 esc_json_string(v->path), "events", g.events, "verified",
		                 vst == ESCROW_OK ? esc_json_string(summary) : NULL, "tampered",
		                 vst == ESCROW_TAMPERED ? esc_json_string(esc_ctx_message(v->ctx)) : NULL, "bad_signature",
		                 vst == ESCROW_BAD_SIGNATURE ? esc_json_string(esc_ctx_message(v->ctx)) : NULL);
		*out = root ? esc_json_safe(json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS)) : NULL;
		json_decref(root);
	} else if (st == ESCROW_OK) {
		char *shown = summary ? esc_escape_dup(summary, strlen(summary), ESC_ESCAPE_TEXT) : NULL;

		*out = esc_strf("%s%s%s", g.text, shown ? shown : "", shown ? "\n" : "");
		free(shown);
	}
	if (st == ESCROW_OK && *out == NULL)
		st = esc_nomem(v->ctx);
	json_decref(g.events);
	free(g.text);
	free(summary);
	return st == ESCROW_OK ? vst : st;
}
