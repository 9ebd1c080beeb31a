/* esc_vault_release.h -- what one release gathers (vault_release.c) and
 * hands to the release record (vault_release_record.c). Internal. */
#ifndef ESC_VAULT_RELEASE_H
#define ESC_VAULT_RELEASE_H

#include "esc_api.h"
#include "esc_vault.h"
#include "esc_vault_ledger.h"

#define ESC_RELEASE_PREDICATE "urn:escrow:release:1"

struct esc_release {
	escrow_vault *v;
	const escrow_options *o;
	struct esc_lrows dep;       /* the deposit's row (vault_release.c's DEP_COLS) */
	escrow_pubkey *pk;          /* the agency key that signed it */
	escrow_contract *contract;  /* the version it was checked against (may be NULL) */
	escrow_identities *ids;     /* the vault's */
	escrow_seckey *sk;          /* loaded here (NULL when the caller gave one) */
	const escrow_seckey *sign;
	struct esc_stored ev;       /* the evidence document, stored */
	struct esc_rewrap_res rw;
	json_t *data;               /* the release event's data */
	struct esc_event_ref head;  /* the release event */
	char *record;               /* OUT.release.json */
};

/* Writes OUT.release.json (an in-toto Statement v1 with the release
 * predicate, docs/VAULT.md "Release") and its .minisig signed by rl->sign;
 * the signature first, so a record that exists is signed. */
escrow_status esc_release_record_write(struct esc_release *rl);

#endif
