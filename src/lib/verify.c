/* verify.c -- escrow_verify, and the report every reading command shares.
 * The verdict follows the chain of trust: a broken link anywhere is
 * "tampered"; only an intact, authentic bundle is judged against the
 * notary's own contract ("incomplete" or "verified"). */
#include "esc_bundle_read.h"

#include <sodium.h>
#include <stdlib.h>
#include <string.h>

static const char *detached_name(enum esc_detached d)
{
	switch (d) {
	case ESC_DETACHED_GOOD: return "good";
	case ESC_DETACHED_BAD: return "bad";
	case ESC_DETACHED_ABSENT: return "absent";
	default: return "not-applicable";
	}
}

static void set_str(json_t *o, const char *key, const char *v)
{
	if (v != NULL)
		json_object_set_new(o, key, esc_json_string(v)); /* outside text need not be UTF-8 */
}

escrow_report *esc_rd_report(struct esc_rd *rd, const char *command, escrow_status st)
{
	escrow_report *r = esc_report_new(command);
	json_t *b, *sig, *integ, *m = rd->manifest, *con;
	const char *reason = esc_ctx_message(rd->ctx);
	char kid[17];

	if (r == NULL)
		return NULL;
	r->status = st;
	b = json_object();
	sig = json_object();
	integ = json_object();
	if (b == NULL || sig == NULL || integ == NULL) {
		json_decref(b);
		json_decref(sig);
		json_decref(integ);
		escrow_report_free(r);
		return NULL;
	}
	set_str(b, "path", rd->path);
	json_object_set_new(b, "sealed", json_boolean(rd->sealed));
	if (m != NULL) {
		set_str(b, "name", json_string_value(json_object_get(m, "name")));
		set_str(b, "release", json_string_value(json_object_get(m, "release")));
		set_str(b, "created", json_string_value(json_object_get(m, "created")));
		con = json_object_get(m, "contract");
		set_str(b, "contract_id", json_string_value(json_object_get(con, "id")));
	}
	set_str(b, "agency", rd->agency);
	set_str(b, "bag", rd->bag);
	json_object_set_new(b, "detached_signature", json_string(detached_name(rd->sealed ? rd->detached :
	                                                                       ESC_DETACHED_NA)));
	json_object_set_new(r->root, "bundle", b);
	if (rd->sealed && rd->detached == ESC_DETACHED_NA && rd->detached_reason[0])
		esc_report_warn(r, NULL, 0, "the detached signature beside the bundle was not checked: %s",
		                rd->detached_reason);

	if (rd->key != NULL && strcmp(rd->sig_status, "not-checked") == 0 && st != ESCROW_OK)
		/* "missing" only when the whole tar was read and had no signature;
		 * a stream that failed before its end was simply not checked. */
		rd->sig_status = rd->tags[ESC_T_SIGNATURE].present || !rd->structure_ok ? "not-checked" : "missing";
	set_str(sig, "status", rd->sig_status);
	if (rd->key != NULL) {
		escrow_pubkey_id(rd->key, kid);
		set_str(sig, "key_id", kid);
	}
	set_str(sig, "trusted_comment", rd->trusted_comment);
	if (st == ESCROW_BAD_SIGNATURE)
		set_str(sig, "reason", reason);
	json_object_set_new(r->root, "signature", sig);

	set_str(integ, "status", rd->integrity_ok ? "ok" : "failed");
	json_object_set_new(integ, "files", json_integer((json_int_t)rd->n_files));
	json_object_set_new(integ, "bytes", json_integer((json_int_t)rd->n_bytes));
	if (!rd->integrity_ok)
		set_str(integ, "reason", st == ESCROW_OK ? "not checked" : reason);
	json_object_set_new(r->root, "integrity", integ);
	json_object_set_new(r->root, "totals", json_pack("{s:I,s:I}", "files", (json_int_t)rd->n_files, "bytes",
	                                                 (json_int_t)rd->n_bytes));
	if (st != ESCROW_OK) {
		set_str(r->root, "verdict", "tampered");
		set_str(r->root, "reason", reason[0] ? reason : escrow_strerror(st));
	} else {
		set_str(r->root, "verdict", "verified");
	}
	return r;
}

/* The notary's contract against the intact bundle; returns ESCROW_OK or
 * ESCROW_INCOMPLETE and fills the contract part of the report. */
static escrow_status judge_contract(struct esc_rd *rd, escrow_report *r)
{
	const escrow_contract *c = rd->contract;
	const struct esc_tagfile *copy = &rd->tags[ESC_T_CONTRACT];
	json_t *co = json_object();
	char hex[65], reason[1024];
	int met;

	if (co == NULL)
		return ESCROW_OK;
	json_object_set_new(r->root, "contract", co);
	if (c == NULL) {
		json_object_set_new(co, "checked", json_false());
		set_str(co, "note", "no contract given (-c): only integrity and authenticity were checked");
		esc_report_findings(r, NULL, &rd->files, rd->sealed);
		return ESCROW_OK;
	}
	json_object_set_new(co, "checked", json_true());
	set_str(co, "id", escrow_contract_id(c));
	set_str(co, "path", c->source_name);
	esc_hex(c->raw_sha256, 32, hex);
	set_str(co, "sha256", hex);
	if (!copy->present) {
		set_str(co, "bundle_copy", "absent");
	} else if (sodium_memcmp(copy->sha256, c->raw_sha256, 32) == 0) {
		set_str(co, "bundle_copy", "same");
	} else {
		set_str(co, "bundle_copy", "differs");
		esc_report_warn(r, NULL, 0, "the contract inside the bundle differs from %s: the deposit was packed "
		                "against another version; judged against %s", c->source_name, c->source_name);
	}
	met = esc_contract_evaluate(c, &rd->files, r);
	esc_report_findings(r, c, &rd->files, rd->sealed);
	if (met)
		return ESCROW_OK;
	esc_report_contract_reason(r, reason, sizeof reason);
	if (reason[0] == '\0')
		snprintf(reason, sizeof reason, "the contract is not met");
	set_str(r->root, "verdict", "incomplete");
	set_str(r->root, "reason", reason);
	return esc_error(rd->ctx, ESCROW_INCOMPLETE, "%s", reason);
}

/* Runs the reader and builds the report; shared by verify, extract, list. */
escrow_status esc_rd_verify(struct esc_rd *rd, const char *command, escrow_report **report)
{
	escrow_status st;
	escrow_report *r;

	st = esc_rd_run(rd);
	if (st >= ESCROW_E_USAGE)
		return st;
	r = esc_rd_report(rd, command, st);
	if (r == NULL)
		return esc_error(rd->ctx, ESCROW_E_NOMEM, "out of memory");
	if (st == ESCROW_OK) {
		st = judge_contract(rd, r);
		r->status = st;
	}
	*report = r;
	return st;
}

escrow_status escrow_verify(escrow_ctx *ctx, const struct escrow_verify_options *o, escrow_report **report)
{
	struct esc_rd rd;
	escrow_status st;

	if (report != NULL)
		*report = NULL;
	if (ctx == NULL || o == NULL || o->bundle == NULL || o->key == NULL || report == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_verify: a bundle, a public key and a report pointer "
		                 "are required");
	memset(&rd, 0, sizeof rd);
	rd.ctx = ctx;
	rd.path = o->bundle;
	rd.key = o->key;
	rd.contract = o->contract;
	rd.ids = o->identities;
	st = esc_rd_verify(&rd, "verify", report);
	esc_rd_clear(&rd);
	return st;
}
