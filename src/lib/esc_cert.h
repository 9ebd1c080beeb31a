/* esc_cert.h -- the certificate (report_cert*.c, vault_certificate.c): one
 * self-contained HTML page, made from a verify report and, for a vault
 * deposit, what the vault recorded and the receipt it signed. */
#ifndef ESC_CERT_H
#define ESC_CERT_H

#include "escrow_private.h"

/* How the verdict shown was reached. */
enum esc_cert_mode {
	ESC_CERT_VERIFIED_NOW = 0, /* escrow certificate BUNDLE: verified for this certificate */
	ESC_CERT_REVERIFIED,       /* a vault deposit, its stored copy verified again */
	ESC_CERT_RECORDED          /* a vault deposit, the verdict recorded at receive */
};

/* The words of one language (report_cert_words.c): our own text only. */
struct esc_cert_words {
	const char *lang, *title, *made_by, *page_note;
	/* the parties */
	const char *s_parties, *agency, *agency_note, *notary, *notary_vault, *notary_none, *client, *deposit_no;
	/* the deposit */
	const char *s_deposit, *name, *release, *bag, *created, *sealed, *yes, *no, *bundle_file, *sha256, *size,
		*unknown, *bytes, *kib, *mib, *gib, *thousands, *decimal;
	/* provenance: what pack recorded of the git work tree, and --meta */
	const char *git_commit, *git_tags, *git_remote, *git_tree, *git_clean, *git_dirty;
	/* the contract */
	const char *s_contract, *contract_id, *contract_sha, *contract_none, *copy, *copy_same, *copy_differs,
		*copy_absent;
	/* signature and verification */
	const char *s_verification, *signer, *signer_unproven, *key_given, *signature, *detached, *trusted_comment, *verdict, *verified_at,
		*integrity, *files_word, *how, *how_now, *how_reverified, *how_recorded, *at_receive, *differs, *tool,
		*why;
	/* deliverables */
	const char *s_deliverables, *c_id, *c_kind, *c_desc, *c_files, *c_size, *c_status, *no_deliverables,
		*not_judged, *optional;
	/* the inventory */
	const char *s_inventory, *inv_none, *inv_empty;
	/* warnings */
	const char *s_warnings, *no_warnings, *unassigned, *forbidden;
	/* the receipt */
	const char *s_receipt, *receipt_file, *receipt_digest, *notary_key, *ledger_head, *event, *result,
		*receipt_sig, *no_receipt;
	/* the diff */
	const char *s_diff, *added, *removed, *changed, *renamed, *regressions, *no_regression;
	/* by hand */
	const char *s_by_hand, *by_hand_intro, *h_digest, *h_detached, *h_open, *h_bag_sig, *h_manifests,
		*h_receipt;
};
/* "en" or "fr"; NULL for any other (NULL lang is "en"). */
const struct esc_cert_words *esc_cert_words(const char *lang);
/* A verdict ("verified", ...) in words: its headline and one sentence;
 * NULL for a verdict this build does not know. */
const char *esc_cert_verdict(const struct esc_cert_words *w, const char *verdict, const char **sentence);
/* A deliverable status ("ok", "missing", ...) in words; NULL if unknown. */
const char *esc_cert_status(const struct esc_cert_words *w, const char *status);
/* A kind ("code", "model", ...) in words; NULL if unknown. */
const char *esc_cert_kind(const struct esc_cert_words *w, const char *kind);

/* Everything the page shows. Strings are borrowed; NULL or "" is "not known". */
struct esc_cert {
	const struct esc_cert_words *w;
	const char *lang;
	const json_t *report;       /* the verify report's root (never NULL) */
	enum esc_cert_mode mode;
	const char *why_recorded;   /* ESC_CERT_RECORDED: why it was not verified again */
	const char *bundle_file;    /* the bundle as given, or the vault's stored copy */
	char bundle_sha256[65];     /* "" when not known */
	uint64_t bundle_size;
	bool have_size;
	char verified_at[32];       /* "2026-12-06T07:00:00Z" */
	/* a vault deposit (notary_key_id NULL otherwise) */
	const char *notary_key_id, *vault_path;
	int64_t deposit_id;
	const char *received_at, *recorded_verdict;
	const char *receipt_path;   /* relative to the vault; NULL: none kept */
	char receipt_sha256[65];
	const json_t *receipt;      /* its JSON */
	const char *receipt_sig;    /* its .minisig text */
	/* the diff against the previous deposit ('escrow diff' report), or NULL */
	const json_t *diff;
};

/* The page, into o. */
void esc_cert_render(const struct esc_cert *c, struct esc_out *o);
/* Writes the page to path atomically (ESCROW_FORCE in flags: may replace it). */
escrow_status esc_cert_write(escrow_ctx *ctx, const struct esc_cert *c, const char *path, unsigned flags);
/* Fills c->bundle_sha256, bundle_size and verified_at from the report, else
 * from the file path (not "-") and the clock (SOURCE_DATE_EPOCH when set). */
escrow_status esc_cert_facts(escrow_ctx *ctx, struct esc_cert *c, const char *path);

/* ---- pieces of the page (report_cert_parts.c) ---- */
/* s as HTML text: the escapes of ESC_ESCAPE_TEXT for controls and bytes that
 * are not UTF-8, then & < > " ' as character references. NULL is "". */
void esc_cert_text(struct esc_out *o, const char *s);
/* The same, line by line: the newlines are kept (for a <pre>). */
void esc_cert_lines(struct esc_out *o, const char *s);
/* Literal markup (our own text, never outside text). */
void esc_cert_raw(struct esc_out *o, const char *s);
/* printf of literal markup; %s arguments must be our own text. */
void esc_cert_rawf(struct esc_out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* n with the language's thousands separator: "224,095" / "224 095". */
void esc_cert_grouped(struct esc_out *o, const struct esc_cert_words *w, uint64_t n);
/* A byte count for people: "224,095 bytes (218.8 KiB)" / "224 095 octets (218,8 Kio)". */
void esc_cert_bytes(struct esc_out *o, const struct esc_cert_words *w, uint64_t n);
/* The inventory by kind as an inline SVG bar chart. */
void esc_cert_chart(struct esc_out *o, const struct esc_cert_words *w, const json_t *kinds);
/* The receipt section (vault deposits). */
void esc_cert_receipt(struct esc_out *o, const struct esc_cert *c);
/* The "check it by hand" section. */
void esc_cert_by_hand(struct esc_out *o, const struct esc_cert *c);
/* The diff summary against the previous deposit, from an 'escrow diff'
 * report: counts "added", "removed", "changed", "renamed" (numbers, or
 * arrays whose length is counted) and "regressions" (an array of
 * {"id", "from", "to"} or of strings). Nothing is written when diff is NULL. */
void esc_cert_diff(struct esc_out *o, const struct esc_cert_words *w, const json_t *diff);

/* JSON helpers: the string at key (NULL if absent or not a string), the
 * integer (and whether there is one). */
const char *esc_cert_str(const json_t *obj, const char *key);
bool esc_cert_int(const json_t *obj, const char *key, int64_t *out);

#endif
