/* vault_audit_fixity.c -- one deposit's stored copy checked (vault audit):
 * its SHA-256 and size against the ledger and its detached signature against
 * the registered key that made it, in one reading of the file; with --full
 * a complete verification instead, whose verdict must be the one recorded
 * at receive, and whose reading gives the digest, size and signature (one
 * reading too). A failure is a sentence in why, never an error of the call: the
 * call fails only when the check itself cannot run (memory, the ledger). */
#include "esc_api.h"
#include "esc_minisign.h"
#include "esc_vault_audit.h"
#include "esc_vault_ledger.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define SIG_MAX 4096u

/* The public key of key_id as registered (revoked or not: it was valid when
 * the deposit was received); NULL when none. */
static escrow_status registered_key(esc_ledger *l, const char *key_id, escrow_pubkey **pk)
{
	struct esc_lrows rows = {0};
	const char *p[1] = {key_id};
	escrow_status st;

	*pk = NULL;
	st = l->ops->exec(l, "SELECT public_key FROM agency_keys WHERE key_id = $1 ORDER BY added_event LIMIT 1", 1, p,
	                  &rows);
	if (st == ESCROW_OK && rows.rows == 1 && esc_lrows_at(&rows, 0, 0) != NULL)
		st = escrow_pubkey_parse(l->ctx, esc_lrows_at(&rows, 0, 0), strlen(esc_lrows_at(&rows, 0, 0)), pk);
	esc_lrows_free(&rows);
	return st;
}

/* The message in ctx, as the reason, and the error cleared. */
static void take_message(escrow_ctx *ctx, const char *what, char why[ESC_AUDIT_WHY])
{
	snprintf(why, ESC_AUDIT_WHY, "%s: %s", what, esc_ctx_message(ctx));
	esc_clear_error(ctx);
}

/* The detached signature's verifier, when the deposit has one and a signer. */
static escrow_status sig_open(escrow_vault *v, const struct esc_audit_dep *d, const char *abs, esc_mverify **mv,
                              char why[ESC_AUDIT_WHY])
{
	char *path = esc_strf("%s.minisig", abs), *sig = NULL;
	escrow_pubkey *pk = NULL;
	size_t len = 0;
	escrow_status st;

	*mv = NULL;
	if (path == NULL)
		return esc_nomem(v->ctx);
	if (access(path, F_OK) != 0) {
		/* Deleted, or the deposit came without one: only the ledger tells. */
		if (d->minisig == 1)
			snprintf(why, ESC_AUDIT_WHY, "%s.minisig is %s (the deposit was received with this detached "
			         "signature)", d->store, errno == ENOENT ? "missing from the store" : strerror(errno));
		free(path);
		return ESCROW_OK;
	}
	/* Refused at receive as bad-signature though its own signature was good
	 * (a signer is recorded only then): this detached signature is what
	 * failed, and still failing is how it was received, as --full finds. */
	if (d->signer == NULL || strcmp(d->verdict, "bad-signature") == 0) {
		free(path);
		return ESCROW_OK;
	}
	st = registered_key(v->ledger, d->signer, &pk);
	if (st == ESCROW_OK && pk == NULL)
		snprintf(why, ESC_AUDIT_WHY, "its signer %s is no longer registered in the ledger", d->signer);
	if (st == ESCROW_OK && pk != NULL) {
		st = esc_read_small_file(v->ctx, path, SIG_MAX, &sig, &len);
		if (st == ESCROW_OK)
			st = esc_mverify_new_named(v->ctx, path, pk, sig, len, mv);
		if (st != ESCROW_OK && st != ESCROW_E_NOMEM) {
			take_message(v->ctx, "its detached signature", why);
			st = ESCROW_OK;
		}
	}
	escrow_pubkey_free(pk);
	free(sig);
	free(path);
	return st;
}

/* Reads the file once: digest, size, signature. */
static escrow_status read_check(escrow_vault *v, const struct esc_audit_dep *d, int fd, esc_mverify *mv,
                                char why[ESC_AUDIT_WHY], bool *sig_ok)
{
	uint8_t *buf = malloc(CHUNK), md[32];
	esc_sha256 *h = esc_sha256_new();
	uint64_t size = 0;
	escrow_status st = (buf && h) ? ESCROW_OK : esc_nomem(v->ctx);
	char hex[65];
	ssize_t n = 0;

	while (st == ESCROW_OK && ((n = read(fd, buf, CHUNK)) > 0 || (n < 0 && errno == EINTR))) {
		if (n < 0)
			continue;
		esc_sha256_update(h, buf, (size_t)n);
		if (mv != NULL)
			esc_mverify_update(mv, buf, (size_t)n);
		size += (uint64_t)n;
		st = esc_check_interrupt(v->ctx);
	}
	if (st == ESCROW_OK && n < 0)
		snprintf(why, ESC_AUDIT_WHY, "%s cannot be read: %s", d->store, strerror(errno));
	if (st == ESCROW_OK && !why[0]) {
		esc_sha256_final(h, md);
		esc_hex(md, 32, hex);
		if (size != d->size)
			snprintf(why, ESC_AUDIT_WHY, "%s holds %llu bytes, the ledger recorded %llu", d->store,
			         (unsigned long long)size, (unsigned long long)d->size);
		else if (strcmp(hex, d->sha) != 0)
			snprintf(why, ESC_AUDIT_WHY, "%s has SHA-256 %.16s..., the ledger recorded %.16s... (its bytes "
			         "changed)", d->store, hex, d->sha);
		else if (mv != NULL && esc_mverify_final(v->ctx, mv, NULL) != ESCROW_OK)
			take_message(v->ctx, "its detached signature", why);
		else
			*sig_ok = mv != NULL;
	}
	esc_sha256_free(h);
	free(buf);
	return st;
}

/* The verification's reading of the file against the ledger: its SHA-256
 * and size (the report's bundle object), then the detached signature. */
static void full_fixity(const struct esc_audit_dep *d, const escrow_report *rep, const char *msg,
                        char why[ESC_AUDIT_WHY], bool *sig_ok)
{
	const json_t *b = json_object_get(rep->root, "bundle");
	const char *h = json_string_value(json_object_get(b, "sha256"));
	json_int_t size = json_integer_value(json_object_get(b, "size"));
	const char *det = json_string_value(json_object_get(b, "detached_signature"));

	if (h == NULL)
		snprintf(why, ESC_AUDIT_WHY, "%s cannot be read to its end (%s)", d->store, msg);
	else if (size < 0 || (uint64_t)size != d->size)
		snprintf(why, ESC_AUDIT_WHY, "%s holds %lld bytes, the ledger recorded %llu", d->store, (long long)size,
		         (unsigned long long)d->size);
	else if (strcmp(h, d->sha) != 0)
		snprintf(why, ESC_AUDIT_WHY, "%s has SHA-256 %.16s..., the ledger recorded %.16s... (its bytes "
		         "changed)", d->store, h, d->sha);
	else if (sig_ok != NULL)
		*sig_ok = det != NULL && strcmp(det, "good") == 0;
}

/* --full: the verdict of a complete verification, against the one recorded.
 * sig_ok non-NULL: this is the only reading of the file (esc_audit_one), so
 * the fixity is checked from it too. */
static escrow_status full_check(escrow_vault *v, const struct esc_audit_dep *d, const char *abs,
                                const escrow_identities *ids, char why[ESC_AUDIT_WHY], bool *sig_ok)
{
	struct esc_lrows rows = {0};
	const char *p[1] = {d->contract_sha};
	escrow_contract *c = NULL;
	escrow_pubkey *pk = NULL;
	escrow_report *rep = NULL;
	escrow_status st = ESCROW_OK;
	const char *got;

	if (d->signer == NULL || d->contract_sha == NULL)
		return ESCROW_OK; /* refused at receive before any verification: fixity only */
	st = v->ledger->ops->exec(v->ledger, "SELECT yaml FROM contracts WHERE sha256 = $1", 1, p, &rows);
	if (st == ESCROW_OK && (rows.rows != 1 || esc_lrows_at(&rows, 0, 0) == NULL))
		snprintf(why, ESC_AUDIT_WHY, "the contract version it was received against (%.16s...) is not in the "
		         "ledger", d->contract_sha);
	if (st == ESCROW_OK && !why[0] &&
	    escrow_contract_parse(v->ctx, d->contract_id, esc_lrows_at(&rows, 0, 0), strlen(esc_lrows_at(&rows, 0, 0)),
	                          &c) != ESCROW_OK)
		take_message(v->ctx, "its registered contract", why);
	if (st == ESCROW_OK && !why[0])
		st = registered_key(v->ledger, d->signer, &pk);
	if (st == ESCROW_OK && !why[0] && pk == NULL)
		snprintf(why, ESC_AUDIT_WHY, "its signer %s is no longer registered in the ledger", d->signer);
	if (st == ESCROW_OK && !why[0]) {
		struct esc_verify_opts vo = {.bundle = abs, .key = pk, .contract = c, .identities = ids};
		escrow_status vs = esc_verify(v->ctx, &vo, &rep);

		got = rep ? escrow_report_verdict(rep) : NULL;
		if (vs == ESCROW_E_NOMEM || vs == ESCROW_E_INTERRUPTED)
			st = vs;
		else if (sig_ok != NULL && rep != NULL && (full_fixity(d, rep, esc_ctx_message(v->ctx), why, sig_ok), why[0]))
			;
		else if (got == NULL || strcmp(got, d->verdict) != 0)
			snprintf(why, ESC_AUDIT_WHY, "verified again as %s, received as %s (%s)", got ? got : "an error",
			         d->verdict, esc_ctx_message(v->ctx));
		esc_clear_error(v->ctx);
	}
	escrow_report_free(rep);
	escrow_contract_free(c);
	escrow_pubkey_free(pk);
	esc_lrows_free(&rows);
	return st;
}

escrow_status esc_audit_one(escrow_vault *v, const struct esc_audit_dep *d, const escrow_identities *ids, bool full,
                            char why[ESC_AUDIT_WHY], bool *sig_ok)
{
	char *abs = esc_path_join(v->path, d->store);
	esc_mverify *mv = NULL;
	escrow_status st;
	int fd;

	why[0] = '\0';
	*sig_ok = false;
	if (abs == NULL)
		return esc_nomem(v->ctx);
	fd = open(abs, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		snprintf(why, ESC_AUDIT_WHY, "%s is %s", d->store,
		         errno == ENOENT ? "missing from the store" : strerror(errno));
		free(abs);
		return ESCROW_OK;
	}
	st = sig_open(v, d, abs, &mv, why);
	/* --full on a deposit that was verified: the verification is the one
	 * reading (its report has the file's SHA-256 and size, and it checks
	 * the detached signature with the same key). */
	if (full && d->signer != NULL && d->contract_sha != NULL) {
		close(fd);
		esc_mverify_free(mv);
		if (st == ESCROW_OK && !why[0])
			st = full_check(v, d, abs, ids, why, sig_ok);
		free(abs);
		return st;
	}
	if (st == ESCROW_OK && !why[0])
		st = read_check(v, d, fd, mv, why, sig_ok);
	close(fd);
	esc_mverify_free(mv);
	if (st == ESCROW_OK && !why[0] && full)
		st = full_check(v, d, abs, ids, why, NULL);
	free(abs);
	return st;
}
