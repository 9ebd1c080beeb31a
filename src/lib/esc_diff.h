/* esc_diff.h -- what changed between two deposits (internal). Owner:
 * bundle_diff.c (reading the two bundles, escrow_diff), bundle_diff_cmp.c (the
 * comparison), report_diff_text.c (the text rendering).
 *
 * A side is what one reading of a bundle leaves: its file records (paths,
 * digests, sizes, findings and the model summaries in the notes, no file
 * contents), its contract copy and what the reading report says of it. Two
 * sides and a contract make the diff. vault receive can use the same pieces:
 * esc_diff_side_take() on its reader of the new deposit once verified,
 * esc_diff_side_read() on the previous deposit, then esc_diff_sides(). */
#ifndef ESC_DIFF_H
#define ESC_DIFF_H

#include "esc_bundle_read.h"

struct esc_diff_side {
	escrow_status status;      /* the reading's verification status (ESCROW_OK: read whole) */
	struct esc_files files;    /* payload records, sorted by path; their strings in arena */
	char **arena;
	size_t n_arena;
	json_t *info;              /* the reading report without its command: bundle {path, sealed,
	                            * name, release, created, contract_id, agency, ...}, signature,
	                            * integrity, totals, verdict, reason, warnings */
	char *contract;            /* the bundle's escrow/contract.yaml, NULL when absent */
	size_t contract_len;
	bool key_checked;          /* read with a public key */
};

/* Takes what the reader rd holds after esc_rd_run() (or esc_rd_verify())
 * returned st, an outcome (esc_is_outcome(st)): when st is ESCROW_OK the
 * records move into the side (esc_rd_clear(rd) is still needed, and frees
 * nothing of them). ESCROW_OK with *out set, or ESCROW_E_NOMEM. */
escrow_status esc_diff_side_take(struct esc_rd *rd, escrow_status st, struct esc_diff_side **out);
/* Reads one bundle for a diff: esc_rd_run() then take. key NULL: the
 * signature is not checked; contract: the formats it asks for are checked
 * (may be NULL); ids may be NULL. ESCROW_OK with *out set (its status may be
 * a verification failure), or an environment error. */
escrow_status esc_diff_side_read(escrow_ctx *ctx, const char *path, const escrow_pubkey *key,
                                 const escrow_contract *contract, const escrow_identities *ids,
                                 struct esc_diff_side **out);
void esc_diff_side_free(struct esc_diff_side *s);

/* How the contract of the diff was chosen. */
#define ESC_DIFF_FROM_CONTRACT "contract"     /* given by the caller (-c) */
#define ESC_DIFF_FROM_NEW "new-bundle"        /* the copy inside the new bundle */
#define ESC_DIFF_FROM_OLD "old-bundle"        /* the copy inside the old bundle */
#define ESC_DIFF_FROM_NONE "none"

/* The diff report ("escrow-diff/1") of two sides. When a side failed the
 * report says which and why and the status is that failure (the old one's
 * first). c: the contract the deliverables come from (NULL: none), chosen as
 * `from` says (ESC_DIFF_FROM_*); formats_checked: the sides were read with c
 * (else the formats only a whole-file check judges are left out, with a
 * warning). ESCROW_OK or the side's failure with *report set, or
 * ESCROW_E_NOMEM (*report NULL). */
escrow_status esc_diff_sides(escrow_ctx *ctx, const struct esc_diff_side *old_side,
                             const struct esc_diff_side *new_side, const escrow_contract *c, const char *from,
                             bool formats_checked, escrow_report **report);

/* A short account of a diff report for a receipt or a ledger row (new
 * reference): {"compared", "added", "removed", "changed", "renamed",
 * "unchanged", "regressions": [ids]}, or {"compared": false, "failed",
 * "verdict"}. NULL when out of memory. */
json_t *esc_diff_brief(const escrow_report *diff);

/* The comparison proper (bundle_diff_cmp.c) of two sides read whole: fills
 * root with "deliverables", "regressions", "unassigned" and "changes". */
escrow_status esc_diff_compare(escrow_ctx *ctx, const struct esc_diff_side *o, const struct esc_diff_side *n,
                               const escrow_contract *c, json_t *root);

/* At most this many changed files are listed in a report (the counts are
 * always exact); tests lower it. */
#define ESC_DIFF_LISTED_MAX 20000u
extern size_t esc_diff_listed_max;

/* The text rendering of a diff report (report_diff_text.c). */
void esc_diff_text_out(const escrow_report *r, struct esc_out *o);

#endif
