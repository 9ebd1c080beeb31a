/* vault_release.c -- escrow_vault_release: a deposit handed to the client on
 * a recorded triggering event. The deposit (the latest accepted one of the
 * contract, or the one named) is rewrapped for the client's recipients by
 * escrow_rewrap's own code (esc_rewrap: a full verification while the file
 * key is re-encrypted); the evidence document is stored content-addressed
 * first, the release event recorded once OUT is in place, and the signed
 * release record written beside OUT (vault_release_record.c). */
#include "esc_api.h"
#include "esc_vault.h"
#include "esc_age.h"
#include "esc_vault_audit.h"
#include "esc_vault_ledger.h"
#include "esc_vault_release.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *const event_kinds[] = {"bankruptcy", "acquisition", "end-of-support", "other"};

#define DEP_COLS "CAST(id AS TEXT), bundle_sha256, verdict, store_path, signer_key_id, contract_sha256, name, " \
	"release_version"
enum { D_ID, D_SHA, D_VERDICT, D_STORE, D_SIGNER, D_CONTRACT, D_NAME, D_RELEASE };

/* true when out would be written in the vault's folder or below it: the
 * release, its signature and its record are renamed over whatever is there
 * (with --force), and there that is the ledger or a deposit's stored copy. */
static bool in_vault(const escrow_vault *v, const char *out)
{
	char *dir = strdup(out), *slash = dir ? strrchr(dir, '/') : NULL, *rd, *rv = realpath(v->path, NULL);
	size_t n = rv ? strlen(rv) : 0;
	bool in;

	if (slash == dir && slash != NULL)
		slash[1] = '\0'; /* "/OUT": the root */
	else if (slash != NULL)
		*slash = '\0';
	rd = dir == NULL ? NULL : realpath(slash != NULL ? dir : ".", NULL);
	in = rd != NULL && rv != NULL && strncmp(rd, rv, n) == 0 && (rd[n] == '\0' || rd[n] == '/' || n == 1);
	free(rd);
	free(rv);
	free(dir);
	return in;
}

static escrow_status check_inputs(escrow_vault *v, const escrow_options *o)
{
	struct stat sb;
	size_t i;

	if (o->contract_id == NULL || o->event == NULL || o->evidence == NULL || o->output == NULL ||
	    o->recipients == NULL || o->recipients->n == 0)
		return esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_release: CONTRACT_ID, EVENT, EVIDENCE, OUTPUT "
		                 "and RECIPIENTS are required");
	for (i = 0; i < sizeof event_kinds / sizeof event_kinds[0]; i++)
		if (strcmp(o->event, event_kinds[i]) == 0)
			break;
	if (i == sizeof event_kinds / sizeof event_kinds[0])
		return esc_error(v->ctx, ESCROW_E_USAGE, "event '%.64s' is not a release event (give one of "
		                 "bankruptcy, acquisition, end-of-support, other)", o->event);
	if (strcmp(o->output, "-") == 0)
		return esc_error(v->ctx, ESCROW_E_USAGE, "vault release: the release must be written to a file, not "
		                 "to standard output (-): give -o a path");
	if (in_vault(v, o->output))
		return esc_error(v->ctx, ESCROW_E_USAGE, "%s: inside vault %s, whose folder holds its ledger and its "
		                 "store; a release is written elsewhere (give -o a path outside the vault)", o->output,
		                 v->path);
	if (stat(o->evidence, &sb) != 0 || access(o->evidence, R_OK) != 0)
		return esc_error(v->ctx, ESCROW_E_OPEN, "%s: the evidence document cannot be read: %s (give the "
		                 "court order or notice that triggers the release)", o->evidence, strerror(errno));
	if (!S_ISREG(sb.st_mode))
		return esc_error(v->ctx, ESCROW_E_OPEN, "%s: the evidence is not a file but %s (give the court order "
		                 "or notice that triggers the release, as a file)", o->evidence,
		                 S_ISDIR(sb.st_mode) ? "a folder" : "a device, pipe or socket");
	if (sb.st_size == 0)
		return esc_error(v->ctx, ESCROW_E_INPUT, "%s: the evidence document is empty (give the court order or "
		                 "notice that triggers the release)", o->evidence);
	if (!(o->flags & ESCROW_FORCE) && access(o->output, F_OK) == 0)
		return esc_error(v->ctx, ESCROW_E_EXISTS, "%s: already exists (give another -o, or --force)", o->output);
	if (!(o->flags & ESCROW_FORCE)) {
		char *rec = esc_strf("%s.release.json", o->output);
		bool there = rec != NULL && access(rec, F_OK) == 0;

		if (rec == NULL)
			return esc_nomem(v->ctx);
		if (there)
			esc_error(v->ctx, ESCROW_E_EXISTS, "%s: already exists (give another -o, or --force)", rec);
		free(rec);
		if (there)
			return ESCROW_E_EXISTS;
	}
	return ESCROW_OK;
}

/* The deposit to release: the one named (number or SHA-256 prefix, of this
 * contract), or the latest accepted one. */
static escrow_status pick(escrow_vault *v, const escrow_options *o, struct esc_lrows *r)
{
	const char *d = o->deposit;
	size_t i, n = d ? strlen(d) : 0;
	bool digits = n > 0 && n < 8, hex = n >= 8 && n <= 64;
	char lower[65];

	if (d == NULL)
		return v->ledger->ops->exec(v->ledger, "SELECT " DEP_COLS " FROM deposits WHERE contract_id = $1 AND "
		                            "verdict = 'verified' ORDER BY id DESC LIMIT 1", 1,
		                            (const char *[]){o->contract_id}, r);
	for (i = 0; i < n; i++) {
		digits = digits && isdigit((unsigned char)d[i]);
		hex = hex && isxdigit((unsigned char)d[i]);
		if (i < 64)
			lower[i] = (char)tolower((unsigned char)d[i]);
	}
	if (digits)
		return v->ledger->ops->exec(v->ledger, "SELECT " DEP_COLS " FROM deposits WHERE contract_id = $1 AND "
		                            "id = CAST($2 AS BIGINT)", 2, (const char *[]){o->contract_id, d}, r);
	if (!hex)
		return esc_error(v->ctx, ESCROW_E_USAGE, "deposit '%.64s': give a deposit number, or at least 8 hex "
		                 "digits of the bundle's SHA-256", d);
	lower[n] = '\0';
	return v->ledger->ops->exec(v->ledger, "SELECT " DEP_COLS " FROM deposits WHERE contract_id = $1 AND "
	                            "bundle_sha256 LIKE $2 || '%' ORDER BY id LIMIT 2", 2,
	                            (const char *[]){o->contract_id, lower}, r);
}

static escrow_status choose(struct esc_release *rl)
{
	escrow_vault *v = rl->v;
	const escrow_options *o = rl->o;
	char sha[65];
	int version;
	escrow_status st = esc_ledger_contract_latest(v->ledger, o->contract_id, &version, sha, NULL);

	if (st == ESCROW_E_OPEN)
		return esc_error(v->ctx, ESCROW_E_OPEN, "contract %.64s is not registered in vault %s ('escrow vault "
		                 "list' shows the deposits)", o->contract_id, v->path);
	if (st == ESCROW_OK)
		st = pick(v, o, &rl->dep);
	if (st != ESCROW_OK)
		return st;
	if (rl->dep.rows == 0)
		return o->deposit ? esc_error(v->ctx, ESCROW_E_OPEN, "vault %s: contract %.64s has no deposit %.64s "
		                              "('escrow vault list --contract %.64s' shows them)", v->path,
		                              o->contract_id, o->deposit, o->contract_id)
		                  : esc_error(v->ctx, ESCROW_E_OPEN, "vault %s: contract %.64s has no accepted "
		                              "(verified) deposit to release", v->path, o->contract_id);
	if (rl->dep.rows > 1)
		return esc_error(v->ctx, ESCROW_E_USAGE, "vault %s: %.64s matches several deposits (give more hex "
		                 "digits)", v->path, o->deposit);
	if (strcmp(esc_lrows_at(&rl->dep, 0, D_VERDICT), "verified") != 0)
		return esc_error(v->ctx, ESCROW_E_INPUT, "vault %s: deposit %s of contract %.64s was refused at receive "
		                 "(verdict %s); only an accepted deposit is released (omit --deposit for the latest "
		                 "accepted one)", v->path, esc_lrows_at(&rl->dep, 0, D_ID), o->contract_id,
		                 esc_lrows_at(&rl->dep, 0, D_VERDICT));
	return ESCROW_OK;
}

/* The agency key that signed the deposit (kept even when revoked since: it
 * was valid when the deposit was accepted) and the contract version it was
 * checked against. */
static escrow_status deposit_inputs(struct esc_release *rl)
{
	escrow_vault *v = rl->v;
	const char *signer = esc_lrows_at(&rl->dep, 0, D_SIGNER), *csha = esc_lrows_at(&rl->dep, 0, D_CONTRACT);
	struct esc_lrows k = {0}, c = {0};
	escrow_status st;

	st = v->ledger->ops->exec(v->ledger, "SELECT public_key FROM agency_keys WHERE contract_id = $1 AND "
	                          "key_id = $2", 2, (const char *[]){rl->o->contract_id, signer}, &k);
	if (st == ESCROW_OK && (k.rows != 1 || esc_lrows_at(&k, 0, 0) == NULL))
		st = esc_error(v->ctx, ESCROW_E_INPUT, "vault %s: the key %s that signed deposit %s is not in the "
		               "ledger any more", v->path, signer ? signer : "(none)", esc_lrows_at(&rl->dep, 0, D_ID));
	if (st == ESCROW_OK)
		st = escrow_pubkey_parse(v->ctx, esc_lrows_at(&k, 0, 0), strlen(esc_lrows_at(&k, 0, 0)), &rl->pk);
	if (st == ESCROW_OK && csha != NULL)
		st = v->ledger->ops->exec(v->ledger, "SELECT yaml FROM contracts WHERE sha256 = $1", 1,
		                          (const char *[]){csha}, &c);
	if (st == ESCROW_OK && c.rows == 1 && esc_lrows_at(&c, 0, 0) != NULL)
		st = escrow_contract_parse(v->ctx, rl->o->contract_id, esc_lrows_at(&c, 0, 0),
		                           strlen(esc_lrows_at(&c, 0, 0)), &rl->contract);
	esc_lrows_free(&k);
	esc_lrows_free(&c);
	return st;
}

/* The notary's identity and key, loaded before anything is written. */
static escrow_status notary(struct esc_release *rl)
{
	escrow_vault *v = rl->v;
	escrow_status st = ESCROW_OK;

	if (v->identity == NULL)
		return esc_error(v->ctx, ESCROW_E_INPUT, "vault %s has no age identity (made without -i): it cannot "
		                 "open a sealed deposit to rewrap it", v->path);
	rl->sign = rl->o->signing_key;
	if (rl->sign == NULL) {
		st = esc_vault_load_key(v->ctx, v->notary_key, &rl->sk);
		if (st != ESCROW_OK) {
			esc_error_prefix(v->ctx, "vault %s: the notary's key", v->path);
			return st;
		}
		rl->sign = rl->sk;
	}
	st = esc_vault_check_key(v, rl->sign);
	return st == ESCROW_OK ? escrow_identities_load(v->ctx, v->identity, &rl->ids) : st;
}

static escrow_status rewrap(struct esc_release *rl, escrow_report **report)
{
	struct esc_rewrap_opts ro = {0};
	char *bundle = esc_path_join(rl->v->path, esc_lrows_at(&rl->dep, 0, D_STORE));
	escrow_status st;

	if (bundle == NULL)
		return esc_nomem(rl->v->ctx);
	ro.bundle = bundle;
	ro.output = rl->o->output;
	ro.identities = rl->ids;
	ro.recipients = rl->o->recipients;
	ro.key = rl->pk;
	ro.contract = rl->contract;
	ro.sign_key = rl->sign;
	ro.flags = rl->o->flags & ESCROW_FORCE;
	st = esc_rewrap(rl->v->ctx, &ro, &rl->rw, report);
	if (st == ESCROW_OK && strcmp(rl->rw.source_sha256, esc_lrows_at(&rl->dep, 0, D_SHA)) != 0)
		st = esc_error(rl->v->ctx, ESCROW_TAMPERED, "%s: its SHA-256 is %s, the ledger recorded %s for deposit "
		               "%s; nothing was released", bundle, rl->rw.source_sha256, esc_lrows_at(&rl->dep, 0, D_SHA),
		               esc_lrows_at(&rl->dep, 0, D_ID));
	free(bundle);
	return st;
}

/* The event's data: what was released, to whom, on what. */
static json_t *event_data(struct esc_release *rl)
{
	json_t *rs = json_array(), *d;
	char r[64];
	size_t i;

	for (i = 0; rs != NULL && i < rl->o->recipients->n; i++) {
		esc_age_recipient_string(rl->o->recipients->pk[i], r);
		json_array_append_new(rs, json_string(r));
	}
	if (rs == NULL)
		return NULL;
	d = json_pack("{s:s, s:s, s:{s:s, s:I, s:s}, s:{s:I, s:s}, s:o, s:{s:s, s:I}}", "event", rl->o->event,
	              "contract", rl->o->contract_id, "evidence", "sha256", rl->ev.sha256, "size",
	              (json_int_t)rl->ev.size, "store_path", rl->ev.rel, "deposit", "id",
	              (json_int_t)strtoll(esc_lrows_at(&rl->dep, 0, D_ID), NULL, 10), "bundle_sha256",
	              esc_lrows_at(&rl->dep, 0, D_SHA), "recipients", rs, "output", "sha256", rl->rw.output_sha256,
	              "size", (json_int_t)rl->rw.bytes);
	return d;
}

/* Takes back the evidence this release stored, unless a release event
 * names it: another release on the same document, at the same time, may
 * have found it stored (so not its own to remove) and be recording it. The
 * check and the removal hold the ledger's write lock, under which record()
 * checks the document is there before it records; without the lock the copy
 * stays (a stray the audit names). The error in ctx is kept. */
static void evidence_drop(struct esc_release *rl)
{
	esc_ledger *l = rl->v->ledger;
	escrow_ctx *ctx = rl->v->ctx;
	escrow_status saved = escrow_ctx_status(ctx);
	char msg[ESC_ERRLEN];

	if (!rl->ev.fresh || rl->ev.rel == NULL) {
		esc_store_drop(&rl->ev); /* not stored by this release: only forgotten */
		return;
	}
	snprintf(msg, sizeof msg, "%s", esc_ctx_message(ctx));
	if (l->ops->begin(l) == ESCROW_OK) {
		if (esc_audit_evidence_named(l, rl->ev.rel) == 0)
			esc_store_drop(&rl->ev);
		l->ops->rollback(l);
	}
	if (saved != ESCROW_OK)
		esc_error(ctx, saved, "%s", msg);
	else
		esc_clear_error(ctx);
}

/* The release event, recorded only while its stored evidence is there,
 * under the write lock (see evidence_drop). */
static escrow_status record(struct esc_release *rl)
{
	esc_ledger *l = rl->v->ledger;
	escrow_status st = l->ops->begin(l);

	if (st != ESCROW_OK)
		return st;
	if (rl->ev.abs == NULL || access(rl->ev.abs, F_OK) != 0)
		st = esc_error(rl->v->ctx, ESCROW_E_IO, "%s: the evidence is no longer in the store (a release on the "
		               "same document that failed at the same time took its copy back): release again",
		               rl->ev.rel ? rl->ev.rel : "evidence");
	if (st == ESCROW_OK)
		st = esc_ledger_append_tx(l, ESC_EV_RELEASE, rl->data, NULL, &rl->head);
	if (st == ESCROW_OK)
		st = l->ops->commit(l);
	if (st != ESCROW_OK)
		l->ops->rollback(l);
	return st;
}

static void unwrite(const char *out)
{
	char *sig = esc_strf("%s.minisig", out);

	unlink(out);
	if (sig != NULL)
		unlink(sig);
	free(sig);
}

static escrow_status release_run(struct esc_release *rl, escrow_report **report)
{
	escrow_status st = check_inputs(rl->v, rl->o);
	struct esc_chain_report chain;

	/* The deposit, its signer's key and its contract are read from the
	 * ledger's rows: a row edited by hand (a refused deposit turned
	 * verified, a key slipped in) must stop the release before anything
	 * is written. */
	if (st == ESCROW_OK && (st = esc_ledger_verify(rl->v->ledger, &chain)) == ESCROW_TAMPERED)
		esc_error_prefix(rl->v->ctx, "nothing was released: the ledger does not hold what its log says "
		                 "('escrow vault log --verify' shows it)");
	if (st == ESCROW_OK)
		st = choose(rl);
	if (st == ESCROW_OK)
		st = deposit_inputs(rl);
	if (st == ESCROW_OK)
		st = notary(rl);
	if (st == ESCROW_OK && (st = esc_store_put_evidence(rl->v, rl->o->evidence, &rl->ev)) != ESCROW_OK)
		evidence_drop(rl);
	if (st != ESCROW_OK)
		return st;
	st = rewrap(rl, report);
	if (st != ESCROW_OK) {
		if (rl->rw.output_sha256[0] != '\0')
			unwrite(rl->o->output);
		evidence_drop(rl);
		return st;
	}
	rl->data = event_data(rl);
	st = rl->data ? record(rl) : esc_nomem(rl->v->ctx);
	if (st != ESCROW_OK) {
		unwrite(rl->o->output);
		evidence_drop(rl);
		esc_error_prefix(rl->v->ctx, "nothing was released");
		return st;
	}
	return esc_release_record_write(rl);
}

escrow_status escrow_vault_release(escrow_vault *v, const escrow_options *o, escrow_result **res,
                                   escrow_report **report)
{
	struct esc_release rl = {.v = v, .o = o};
	escrow_result *out = NULL;
	escrow_status st;

	if (res != NULL)
		*res = NULL;
	if (report != NULL)
		*report = NULL;
	if (v == NULL || o == NULL)
		return v ? esc_error(v->ctx, ESCROW_E_USAGE, "escrow_vault_release: NULL argument") : ESCROW_E_USAGE;
	out = esc_result_new();
	if (out == NULL)
		return esc_nomem(v->ctx);
	st = release_run(&rl, report);
	if (st == ESCROW_OK) {
		esc_result_set_u64(out, ESCROW_RESULT_DEPOSIT_ID, (uint64_t)strtoull(esc_lrows_at(&rl.dep, 0, D_ID),
		                                                                     NULL, 10));
		esc_result_set_string(out, ESCROW_RESULT_SOURCE_SHA256, rl.rw.source_sha256);
		esc_result_set_string(out, ESCROW_RESULT_SHA256, rl.rw.output_sha256);
		esc_result_set_u64(out, ESCROW_RESULT_BYTES_OUT, rl.rw.bytes);
		esc_result_set_u64(out, ESCROW_RESULT_EVENT_SEQ, (uint64_t)rl.head.seq);
		esc_result_set_string(out, ESCROW_RESULT_CONTRACT_ID, o->contract_id);
	}
	if (res != NULL && st == ESCROW_OK)
		*res = out;
	else
		escrow_result_free(out);
	esc_stored_free(&rl.ev);
	esc_lrows_free(&rl.dep);
	escrow_pubkey_free(rl.pk);
	escrow_contract_free(rl.contract);
	escrow_identities_free(rl.ids);
	escrow_seckey_free(rl.sk);
	json_decref(rl.data);
	free(rl.record);
	return st;
}
