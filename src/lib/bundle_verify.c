/* bundle_verify.c -- escrow_verify, and the report every reading command shares.
 * One verdict per outcome (docs/FORMAT.md), and every line of the report
 * agrees with it: what was not checked says "not-checked" and why, what was
 * checked says what it found. Only an intact, authentic bundle is judged
 * against the notary's own contract ("incomplete" or "verified"). */
#include "esc_api.h"
#include "esc_diff.h"
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
	case ESC_DETACHED_OTHER: return "other-key";
	default: return "not-applicable";
	}
}

/* The verdict of a reading command's status; list without a key cannot
 * say "verified" (nothing says who made the bundle). */
static const char *verdict_name(escrow_status st, const struct esc_rd *rd)
{
	switch (st) {
	case ESCROW_OK: return rd->key != NULL ? "verified" : "intact";
	case ESCROW_INCOMPLETE: return "incomplete";
	case ESCROW_BAD_SIGNATURE: return "bad-signature";
	case ESCROW_UNSAFE: return "unsafe";
	case ESCROW_NO_IDENTITY: return "not-opened";
	case ESCROW_NOT_A_BUNDLE: return "not-a-bundle";
	default: return "tampered";
	}
}

/* Why the signature or the digests were not checked, in the words of the
 * outcome that stopped the reading. */
static const char *not_checked_why(escrow_status st, const struct esc_rd *rd)
{
	switch (st) {
	case ESCROW_NO_IDENTITY: return "the sealed bundle could not be opened";
	case ESCROW_NOT_A_BUNDLE: return "the file is not an escrow bundle";
	case ESCROW_UNSAFE: return "the checks stopped at the unsafe entry";
	case ESCROW_OK:
	case ESCROW_BAD_SIGNATURE: return rd->key == NULL ? "no public key given (-p)" : "";
	default: return "the bundle could not be read to its signature";
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
	/* What was judged: the file's digest and size, when it was read whole. */
	if (rd->whole_sha256[0] != '\0') {
		set_str(b, "sha256", rd->whole_sha256);
		json_object_set_new(b, "size", json_integer((json_int_t)rd->whole_size));
	}
	json_object_set_new(b, "sealed", json_boolean(rd->sealed));
	if (m != NULL) {
		set_str(b, "name", json_string_value(json_object_get(m, "name")));
		set_str(b, "release", json_string_value(json_object_get(m, "release")));
		set_str(b, "created", json_string_value(json_object_get(m, "created")));
		con = json_object_get(m, "contract");
		set_str(b, "contract_id", json_string_value(json_object_get(con, "id")));
		/* NULL (no provenance) is refused by jansson: nothing set */
		json_object_set_new(b, "provenance", esc_provenance_report(m));
	}
	set_str(b, "agency", rd->agency);
	set_str(b, "bag", rd->bag);
	if (st == ESCROW_NOT_A_BUNDLE)
		set_str(b, "looks_like", rd->looks_like);
	json_object_set_new(b, "detached_signature", json_string(detached_name(rd->sealed ? rd->detached :
	                                                                       ESC_DETACHED_NA)));
	json_object_set_new(r->root, "bundle", b);
	if (rd->sealed && rd->detached == ESC_DETACHED_OTHER)
		esc_report_warn(r, NULL, 0, "the detached signature beside the bundle was checked and is not the "
		                "agency's: it was %s. After a release it is the notary's; it says nothing about the "
		                "deposit, whose own signature inside the bundle is what counts", rd->detached_reason);
	else if (rd->sealed && rd->detached == ESC_DETACHED_NA && rd->detached_reason[0])
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
		set_str(sig, "key_file", rd->key->file); /* NULL: not loaded from a file */
	}
	if (rd->signer_id[0] != '\0')
		set_str(sig, "signed_by", rd->signer_id);
	set_str(sig, "trusted_comment", rd->trusted_comment);
	if (strcmp(rd->sig_status, "bad") == 0)
		set_str(sig, "reason", reason);
	else if (strcmp(rd->sig_status, "not-checked") == 0 && not_checked_why(st, rd)[0] != '\0')
		set_str(sig, "reason", not_checked_why(st, rd));
	json_object_set_new(r->root, "signature", sig);

	/* Integrity is what the digests said: "ok" even under a bad signature
	 * when every one of them held, "failed" when bytes or structure
	 * differ, "not-checked" when the reading never got that far. */
	if (rd->integrity_ok || rd->integrity_failed || st == ESCROW_TAMPERED) {
		json_object_set_new(integ, "files", json_integer((json_int_t)rd->n_files));
		json_object_set_new(integ, "bytes", json_integer((json_int_t)rd->n_bytes));
	}
	if (rd->integrity_ok) {
		set_str(integ, "status", "ok");
	} else if (rd->integrity_failed || st == ESCROW_TAMPERED) {
		set_str(integ, "status", "failed");
		set_str(integ, "reason", rd->integrity_failed ? rd->integrity_reason : reason);
	} else {
		set_str(integ, "status", "not-checked");
		set_str(integ, "reason", rd->integrity_reason[0] ? rd->integrity_reason : not_checked_why(st, rd)[0] ?
		        not_checked_why(st, rd) : "not reached");
	}
	json_object_set_new(r->root, "integrity", integ);
	/* The payload's size is known only when the whole stream was read. */
	if (rd->structure_ok)
		json_object_set_new(r->root, "totals", json_pack("{s:I,s:I}", "files", (json_int_t)rd->n_files,
		                                                 "bytes", (json_int_t)rd->n_bytes));
	set_str(r->root, "verdict", verdict_name(st, rd));
	esc_report_stamp(r, "verified_at");
	if (st != ESCROW_OK)
		set_str(r->root, "reason", reason[0] ? reason : escrow_strerror(st));
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

/* A contract was given, but the bundle failed before it could be judged:
 * the report says so, naming it (not "give the contract with -c"). */
static void contract_not_reached(const struct esc_rd *rd, escrow_report *r)
{
	const escrow_contract *c = rd->contract;
	json_t *co = json_object();
	char hex[65];

	if (co == NULL)
		return;
	json_object_set_new(r->root, "contract", co);
	json_object_set_new(co, "checked", json_false());
	set_str(co, "note", "not judged: the bundle failed before its contract check");
	set_str(co, "id", escrow_contract_id(c));
	set_str(co, "path", c->source_name);
	esc_hex(c->raw_sha256, 32, hex);
	set_str(co, "sha256", hex);
}

/* Runs the reader and builds the report; shared by verify, extract, list. */
escrow_status esc_rd_verify(struct esc_rd *rd, const char *command, escrow_report **report)
{
	escrow_status st;
	escrow_report *r;

	st = esc_rd_run(rd);
	if (!esc_is_outcome(st))
		return st;
	r = esc_rd_report(rd, command, st);
	if (r == NULL)
		return esc_nomem(rd->ctx);
	if (st == ESCROW_OK) {
		st = judge_contract(rd, r);
		r->status = st;
	} else if (rd->contract != NULL) {
		contract_not_reached(rd, r);
	}
	*report = r;
	return st;
}

escrow_status esc_verify(escrow_ctx *ctx, const struct esc_verify_opts *o, escrow_report **report)
{
	struct esc_rd rd;
	escrow_status st;

	if (report != NULL)
		*report = NULL;
	if (ctx == NULL || o == NULL || o->bundle == NULL || o->key == NULL || report == NULL)
		return esc_error(ctx, ESCROW_E_USAGE, "escrow_verify: a bundle, a public key and a report pointer "
		                 "are required");
	esc_rd_init(&rd, ctx, o->bundle, o->key, o->contract, o->identities);
	rd.raw_tap = o->tap;
	rd.no_digest = (o->flags & ESCROW_NO_DIGEST) != 0 && o->tap == NULL;
	st = esc_rd_verify(&rd, "verify", report);
	/* The records for a diff: an incomplete deposit was read whole too. */
	if (o->side != NULL && esc_is_outcome(st) &&
	    esc_diff_side_take(&rd, st == ESCROW_INCOMPLETE ? ESCROW_OK : st, o->side) != ESCROW_OK) {
		escrow_report_free(*report);
		*report = NULL;
		st = ESCROW_E_NOMEM;
	}
	esc_rd_clear(&rd);
	return st;
}
