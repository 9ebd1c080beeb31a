/* esc_vault_audit.h -- what the audit's files share (vault_audit*.c). */
#ifndef ESC_VAULT_AUDIT_H
#define ESC_VAULT_AUDIT_H

#include "esc_vault.h"

#define ESC_AUDIT_WHY 384

/* A deposit as the audit reads it from the ledger (strings borrowed). */
struct esc_audit_dep {
	int64_t id;
	const char *sha, *store, *signer, *contract_id, *contract_sha, *verdict;
	uint64_t size;
	int minisig;           /* its detached signature was stored at receive: 1, 0, or -1 unknown (received
	                          before ledger schema 3) */
};

/* Checks one deposit's stored copy (full: a complete verification too, with
 * ids opening sealed ones). why is "" when it holds, else one sentence;
 * sig_ok tells whether a detached signature beside it verified. Fails only
 * when the check cannot run. */
escrow_status esc_audit_one(escrow_vault *v, const struct esc_audit_dep *d, const escrow_identities *ids, bool full,
                            char why[ESC_AUDIT_WHY], bool *sig_ok);
/* Appends to strays (a JSON array) each file of VAULT/store that no deposit
 * names: {"path": relative to the vault, "why": ...}. */
escrow_status esc_audit_strays(escrow_vault *v, json_t *strays);
/* Appends to failed each release whose stored evidence no longer has the
 * SHA-256 and size its event recorded: {"release_event", "sha256", "why"}
 * (vault_audit_evidence.c); checked: how many releases were. */
escrow_status esc_audit_evidence(escrow_vault *v, json_t *failed, size_t *checked);
/* 1 when a release event names the evidence stored as rel (its store_path),
 * 0 when none, -1 on a ledger failure (vault_audit_store.c). */
int esc_audit_evidence_named(esc_ledger *l, const char *rel);

#endif
