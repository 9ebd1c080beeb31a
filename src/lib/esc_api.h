/* esc_api.h -- what the public entry points hand to the operations (internal).
 *
 * The public API (include/escrow.h) takes an opaque escrow_options and gives
 * an opaque escrow_result, so that new options and results never change a
 * public struct. The operations themselves read these plain structs, filled
 * from the options object by the *_api.c files: the public entry point is a
 * translation and a call, nothing more. */
#ifndef ESC_API_H
#define ESC_API_H

#include "escrow_private.h"

/* ---- the options object (core_options.c) ---- */

/* A growable list of owned strings (-x globs, --deliverable ids). */
struct esc_strlist {
	char **v;
	size_t n, cap;
};

struct escrow_options {
	char *source, *output, *bundle, *target, *name, *release;
	struct esc_strlist excludes, deliverables;
	/* the vault's (vault_*.c) */
	char *ledger, *notary_key, *notary_identity, *contract_file, *contract_id, *key_id, *reason, *receipt,
		*deposit, *event, *evidence, *against;
	char *other_bundle;                  /* diff: the new bundle (bundle is the old one) */
	char *lang;                          /* certificate: "en" or "fr" (NULL: en) */
	struct esc_strlist key_files;
	struct esc_strlist meta;             /* pack: "KEY=VALUE" (esc_meta_ok) */
	int sample;                          /* vault audit: percent, 0: all */
	int64_t max_seconds;                 /* vault audit: 0: no limit */
	int level;
	unsigned flags;
	const escrow_seckey *signing_key;
	const escrow_pubkey *public_key;
	const escrow_contract *contract;
	const escrow_recipients *recipients;
	const escrow_identities *identities;
	char error[256];                     /* why the last setter refused, "" else */
};

/* ---- the result object (core_result.c) ---- */

/* Every key reads 0 or ""; NULL on ENOMEM. Made before the work, so that
 * handing the figures over afterwards cannot fail. */
escrow_result *esc_result_new(void);
void esc_result_set_u64(escrow_result *r, enum escrow_result_key k, uint64_t v);
/* A string result holds at most this many bytes (a SHA-256 in hex). */
#define ESC_RESULT_STRING_MAX 64
void esc_result_set_string(escrow_result *r, enum escrow_result_key k, const char *s);

/* ---- pack (pack.c) ---- */

struct esc_pack_opts {
	const char *src;                     /* the project folder */
	const char *output;                  /* bundle path, or "-" for stdout */
	const escrow_seckey *key;            /* the agency's signing key */
	const escrow_contract *contract;     /* optional; copied into the bundle */
	const escrow_recipients *recipients; /* optional; seals the bundle */
	const char *const *excludes;         /* -x globs */
	size_t n_excludes;
	const char *name;                    /* default: the contract id or SRC's base name */
	const char *release;                 /* default: "unreleased" */
	int level;                           /* zstd level, 1..19; 0 means 3 */
	unsigned flags;                      /* ESCROW_FORCE, ESCROW_INCLUDE_VCS, ESCROW_SKIP_SYMLINKS */
	const char *const *meta;             /* --meta "KEY=VALUE", checked by esc_meta_ok */
	size_t n_meta;
};

/* --meta: KEY=VALUE with KEY 1..ESC_META_KEY_MAX of [A-Za-z0-9-] and VALUE
 * at most ESC_META_VALUE_MAX bytes of plain UTF-8 (esc_text_is_plain). */
#define ESC_META_KEY_MAX 64
#define ESC_META_VALUE_MAX 512
#define ESC_META_MAX 64       /* pairs in one deposit */
bool esc_meta_ok(const char *kv);

struct esc_pack_res {
	uint64_t files;        /* payload files */
	uint64_t bytes_in;     /* payload bytes */
	uint64_t bytes_out;    /* bundle bytes */
	double seconds;
	char sha256[65];       /* of the bundle file as written */
	char key_id[17];
	int sealed;
};

/* escrow_pack's work; res may be NULL. */
escrow_status esc_pack(escrow_ctx *ctx, const struct esc_pack_opts *o, struct esc_pack_res *res,
                       escrow_report **report);

/* ---- verify, extract, list (bundle_*.c), check (contract_check.c) ---- */

struct esc_verify_opts {
	const char *bundle;                    /* path or "-" for stdin */
	const escrow_pubkey *key;              /* required for verify and extract; optional for list */
	const escrow_contract *contract;       /* the notary's own copy; optional */
	const escrow_identities *identities;   /* for sealed bundles */
	const char *target;                    /* extract: the folder to create */
	const char *const *deliverables;       /* extract: only these deliverables (needs contract) */
	size_t n_deliverables;
	unsigned flags;                        /* ESCROW_PAYLOAD_ONLY */
	const struct esc_sink *tap;            /* verify: every byte of the bundle as read (vault receive) */
	struct esc_diff_side **side;           /* verify: the file records, kept for a diff (vault receive) */
};

escrow_status esc_verify(escrow_ctx *ctx, const struct esc_verify_opts *o, escrow_report **report);
escrow_status esc_extract(escrow_ctx *ctx, const struct esc_verify_opts *o, escrow_report **report);
escrow_status esc_list(escrow_ctx *ctx, const struct esc_verify_opts *o, escrow_report **report);
escrow_status esc_check(escrow_ctx *ctx, const char *src, const escrow_contract *contract,
                        const char *const *excludes, size_t n_excludes, unsigned flags,
                        escrow_report **report);
/* check's report of files read already (pack --strict reads the tree once):
 * header, deliverables, findings, totals, verdict and reason. 1 when the
 * contract is met. */
int esc_check_fill(escrow_report *r, const char *src, const escrow_contract *contract, const struct esc_files *fs,
                   bool sealed);

/* ---- the release (age_rewrap.c) ---- */

struct esc_rewrap_opts {
	const char *bundle;                  /* the sealed deposit (a file, not "-") */
	const char *output;                  /* the release, written atomically (not "-") */
	const escrow_identities *identities; /* open the deposit (the notary's) */
	const escrow_recipients *recipients; /* open the release (the client's) */
	const escrow_pubkey *key;            /* the agency's key: required */
	const escrow_contract *contract;     /* optional: the deposit must also meet it */
	const escrow_seckey *sign_key;       /* optional: the notary's key; writes output.minisig */
	unsigned flags;                      /* ESCROW_FORCE */
};

struct esc_rewrap_res {
	char source_sha256[65];              /* of the sealed deposit file, as read */
	char output_sha256[65];              /* of the release file */
	uint64_t bytes;                      /* size of the release file */
	int signed_;                         /* 1 when output.minisig was written */
};

/* escrow_rewrap's work; res may be NULL. */
escrow_status esc_rewrap(escrow_ctx *ctx, const struct esc_rewrap_opts *o, struct esc_rewrap_res *res,
                         escrow_report **report);

#endif
