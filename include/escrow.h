/*
 * escrow.h -- libescrow, the only public header.
 *
 * libescrow packs a project tree into an escrow bundle (BagIt bag in a pax tar,
 * zstd-compressed, minisign-signed, optionally age-encrypted), verifies such a
 * bundle against a deliverables list (the "contract"), and extracts it safely.
 *
 * Conventions:
 *  - Every function that can fail takes an escrow_ctx and returns an
 *    enum escrow_status. On failure, escrow_ctx_error() gives a message that
 *    names the file and, where there is one, the fix.
 *  - The library never prints and never exits. Warnings and progress are
 *    delivered through callbacks set on the context.
 *  - Objects returned through an out pointer are owned by the caller and are
 *    released with the matching *_free() function; every *_free() accepts NULL.
 *  - Strings are UTF-8, NUL-terminated. "-" as a path means stdin or stdout
 *    where the documentation says so.
 *  - Text meant for people -- escrow_ctx_error(), the warning callback's
 *    message, escrow_report_text() -- is safe to print on a terminal: every
 *    string from outside in it (file names, tar paths, link targets, bag-info
 *    fields, contract fields, key comments, trusted comments, paths given by
 *    the caller) is escaped as escrow_escape() does. escrow_report_json()
 *    keeps the exact strings, with JSON escapes for every control character.

 *
 * Threads:
 *  - An escrow_ctx is used by one thread at a time (it holds the last error);
 *    give each thread its own. escrow_ctx_interrupt() is the exception: any
 *    thread or a signal handler may call it on a ctx in use elsewhere.
 *  - Keys (escrow_pubkey, escrow_seckey), contracts, recipients and identities
 *    are read-only once loaded: several threads, each with its own ctx, may
 *    use the same ones at once. Free them after the last user returns.
 *    Reports and everything else a function hands back belong to one thread
 *    at a time.
 *  - escrow_init() may be called from any thread, any number of times.
 *  - The library starts worker threads of its own inside a call (compression,
 *    reading ahead, decryption, writing) and joins them before it returns;
 *    the warning and progress callbacks run in the thread that made the call.
 *  - The library never changes the program's locale (no setlocale): where
 *    libarchive needs a UTF-8 LC_CTYPE, the thread that calls it switches
 *    itself with uselocale() and switches back before returning.
 */
#ifndef ESCROW_H
#define ESCROW_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(ESCROW_BUILDING_LIBRARY)
#define ESCROW_API __attribute__((visibility("default")))
#else
#define ESCROW_API
#endif
#define ESCROW_NODISCARD __attribute__((warn_unused_result))

/* The version, written here and nowhere else: CMakeLists.txt reads these three
 * lines for project(VERSION), the library's soname and escrow.pc. */
#define ESCROW_VERSION_MAJOR 0
#define ESCROW_VERSION_MINOR 1
#define ESCROW_VERSION_PATCH 0
/* MAJOR*10000 + MINOR*100 + PATCH, like ZSTD_VERSION_NUMBER: 0.1.0 is 100. */
#define ESCROW_VERSION_NUMBER \
	(ESCROW_VERSION_MAJOR * 10000 + ESCROW_VERSION_MINOR * 100 + ESCROW_VERSION_PATCH)
#define ESCROW_QUOTE_(x) #x
#define ESCROW_EXPAND_AND_QUOTE_(x) ESCROW_QUOTE_(x)
/* "0.1.0" */
#define ESCROW_VERSION ESCROW_EXPAND_AND_QUOTE_(ESCROW_VERSION_MAJOR.ESCROW_VERSION_MINOR.ESCROW_VERSION_PATCH)
/* The version of the library linked at run time, which may differ from the
 * header a program was built with: compare with ESCROW_VERSION_NUMBER. */
ESCROW_API unsigned escrow_version_number(void);
ESCROW_API const char *escrow_version_string(void);
#define ESCROW_BUNDLE_FORMAT "escrow-bundle/1"

/* Stable status codes. Values never change; new ones are appended. */
enum escrow_status {
	ESCROW_OK = 0,
	/* Verification outcomes (exit 1 unless noted). */
	ESCROW_TAMPERED = 1,      /* "tampered": bytes or structure differ from what was signed
	                           * (digest mismatch, missing or extra file, corrupt stream) */
	ESCROW_INCOMPLETE = 2,    /* "incomplete": intact and authentic, but the contract is not met
	                           * (exit 2) */
	ESCROW_BAD_SIGNATURE = 3, /* "bad-signature": the signature does not verify, or another key
	                           * made it */
	ESCROW_UNSAFE = 4,        /* "unsafe": hostile structure (path escape, device, hard link, ...) */
	ESCROW_NO_IDENTITY = 5,   /* "not-opened": sealed, and no identity given or none matches */
	/* Environment and caller errors. */
	ESCROW_E_USAGE = 10,          /* invalid argument from the caller (exit 64) */
	ESCROW_E_INPUT = 11,          /* malformed contract, key, identity or recipient (exit 65) */
	ESCROW_E_PASSPHRASE = 12,     /* wrong passphrase for a secret key (exit 65) */
	ESCROW_E_NEED_PASSPHRASE = 13,/* the secret key is encrypted and no passphrase was given */
	ESCROW_E_OPEN = 14,           /* an input cannot be opened (exit 66) */
	ESCROW_E_CREATE = 15,         /* an output cannot be created (exit 73) */
	ESCROW_E_EXISTS = 16,         /* an output exists or a target is not empty (exit 73) */
	ESCROW_E_IO = 17,             /* read or write error, disk full (exit 74) */
	ESCROW_E_NOMEM = 18,          /* out of memory (exit 70) */
	ESCROW_E_INTERRUPTED = 19,    /* escrow_ctx_interrupt() was called (exit 130) */
	ESCROW_E_INTERNAL = 20,       /* a bug (exit 70) */
	/* A verification outcome, appended after the others. */
	ESCROW_NOT_A_BUNDLE = 21      /* the input is no escrow bundle at all: empty, text, a plain tar,
	                               * a zstd stream or an age file that holds no bag (exit 65) */
};
typedef enum escrow_status escrow_status;

/* Flags, combined with | where a function takes "flags". */
#define ESCROW_FORCE        0x01u /* overwrite existing outputs */
#define ESCROW_INCLUDE_VCS  0x02u /* pack: keep .git/ and friends */
#define ESCROW_SKIP_SYMLINKS 0x04u /* pack: skip symlinks that escape or dangle instead of failing */
#define ESCROW_PAYLOAD_ONLY 0x08u /* extract: the target is the project tree, not the bag */
#define ESCROW_QUIET        0x10u /* no warnings through the callback */

/* ---- library and context ---------------------------------------------- */

/* Initialises libsodium. Call before anything else; safe to call again.
 * The program's locale is left as it is. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_init(void);

/* Generic text for a status ("bad signature"). Never NULL. */
ESCROW_API const char *escrow_strerror(escrow_status st);

/* Makes text from outside safe to show, for a caller's own messages (the
 * library's are escaped already). Default: C0 controls and DEL as \xNN, C1
 * controls (U+0080-U+009F) and bidi controls (U+061C, U+200E, U+200F,
 * U+2028-U+202E, U+2066-U+2069) as \uNNNN, each byte that is not part of
 * valid UTF-8 as \xNN, and '\' as "\\", so the rendering is unambiguous;
 * any other text is kept as it is. With ESCROW_ESCAPE_JSON: the body of a JSON
 * string instead ('"', '\' and the same controls as JSON escapes, each byte
 * that is not UTF-8 as \ufffd). Writes at most size bytes, NUL included, and
 * returns the length of the whole result like snprintf (the output was cut,
 * never inside an escape or a character, when it is >= size). s NULL is "";
 * out may be NULL when size is 0. */
#define ESCROW_ESCAPE_JSON 0x01u
ESCROW_API size_t escrow_escape(char *out, size_t size, const char *s, unsigned flags);

typedef struct escrow_ctx escrow_ctx;
typedef void (*escrow_warn_fn)(void *user, const char *message);
/* done and total are bytes; total is 0 when unknown. */
typedef void (*escrow_progress_fn)(void *user, uint64_t done, uint64_t total);

/* NULL on allocation failure. */
ESCROW_API escrow_ctx *escrow_ctx_new(void);
ESCROW_API void escrow_ctx_free(escrow_ctx *ctx);
/* Detail of the last failure: never NULL, "" when there is none. Valid until
 * the next call that takes ctx. */
ESCROW_API const char *escrow_ctx_error(const escrow_ctx *ctx);
ESCROW_API escrow_status escrow_ctx_status(const escrow_ctx *ctx);
ESCROW_API void escrow_ctx_set_warn(escrow_ctx *ctx, escrow_warn_fn fn, void *user);
ESCROW_API void escrow_ctx_set_progress(escrow_ctx *ctx, escrow_progress_fn fn, void *user);
/* Worker threads for compression and pipelines; 0 (default) means all cores. */
ESCROW_API void escrow_ctx_set_threads(escrow_ctx *ctx, int threads);
/* Async-signal-safe: asks the running operation to stop; it then cleans its
 * partial outputs and returns ESCROW_E_INTERRUPTED. */
ESCROW_API void escrow_ctx_interrupt(escrow_ctx *ctx);

/* ---- minisign signing keys -------------------------------------------- */

typedef struct escrow_pubkey escrow_pubkey;
typedef struct escrow_seckey escrow_seckey;

/* Writes PREFIX.key (0600) and PREFIX.pub in minisign's formats. With a
 * non-NULL passphrase the secret key is scrypt-protected as minisign does;
 * NULL writes an unencrypted key (minisign -W). Without ESCROW_FORCE an
 * existing file is never overwritten (ESCROW_E_EXISTS). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_keygen(escrow_ctx *ctx, const char *prefix,
                                                        const char *passphrase, unsigned flags);

ESCROW_API ESCROW_NODISCARD escrow_status escrow_pubkey_load(escrow_ctx *ctx, const char *path,
                                                             escrow_pubkey **out);
/* Parses the text of a public key file, or a bare base64 key line. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_pubkey_parse(escrow_ctx *ctx, const char *text,
                                                              size_t len, escrow_pubkey **out);
ESCROW_API void escrow_pubkey_free(escrow_pubkey *pk);
/* The key id as minisign prints it: 16 uppercase hex digits and a NUL. */
ESCROW_API void escrow_pubkey_id(const escrow_pubkey *pk, char out[17]);

/* Loads a minisign secret key. Returns ESCROW_E_NEED_PASSPHRASE when the key
 * is encrypted and passphrase is NULL, ESCROW_E_PASSPHRASE when it is wrong.
 * Secret bytes live in sodium_malloc memory and are wiped by _free(). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_seckey_load(escrow_ctx *ctx, const char *path,
                                                             const char *passphrase,
                                                             escrow_seckey **out);
ESCROW_API void escrow_seckey_free(escrow_seckey *sk);
ESCROW_API void escrow_seckey_id(const escrow_seckey *sk, char out[17]);

/* minisign signature of a buffer (prehashed "ED" form). *sig receives the
 * four-line signature file text (malloc'd, NUL-terminated; free with free()). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_sign_buffer(escrow_ctx *ctx, const escrow_seckey *sk,
                                                             const void *data, size_t len,
                                                             const char *trusted_comment,
                                                             char **sig, size_t *sig_len);
/* Verifies a minisign signature ("ED" or legacy "Ed") over a buffer. On
 * success, if trusted_comment is not NULL it receives the trusted comment
 * (malloc'd). ESCROW_BAD_SIGNATURE when it does not verify or another key made
 * it; ESCROW_E_INPUT when the signature text is malformed. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_verify_buffer(escrow_ctx *ctx, const escrow_pubkey *pk,
                                                               const void *data, size_t len,
                                                               const char *sig, size_t sig_len,
                                                               char **trusted_comment);
/* Same over a file, streaming. sig_path NULL means path + ".minisig". */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_sign_file(escrow_ctx *ctx, const escrow_seckey *sk,
                                                           const char *path, const char *sig_path,
                                                           const char *trusted_comment, unsigned flags);
ESCROW_API ESCROW_NODISCARD escrow_status escrow_verify_file(escrow_ctx *ctx, const escrow_pubkey *pk,
                                                             const char *path, const char *sig_path,
                                                             char **trusted_comment);

/* ---- age encryption keys ---------------------------------------------- */

typedef struct escrow_identities escrow_identities; /* age X25519 identities (secret) */
typedef struct escrow_recipients escrow_recipients; /* age X25519 recipients (public) */

/* Writes PREFIX.age (age-keygen identity file, 0600) and PREFIX.age.pub. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_age_keygen(escrow_ctx *ctx, const char *prefix,
                                                            unsigned flags);
/* Appends the identities of an age identity file to *ids (created when NULL). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_identities_load(escrow_ctx *ctx, const char *path,
                                                                 escrow_identities **ids);
ESCROW_API void escrow_identities_free(escrow_identities *ids);
/* Appends one "age1..." recipient to *rs (created when NULL). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_recipients_add(escrow_ctx *ctx, const char *recipient,
                                                                escrow_recipients **rs);
/* Appends every recipient of a file (one per line, '#' comments). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_recipients_load(escrow_ctx *ctx, const char *path,
                                                                 escrow_recipients **rs);
ESCROW_API void escrow_recipients_free(escrow_recipients *rs);

/* The release (escrow_rewrap) is declared after verify, below. */

/* ---- contract (deliverables list) ------------------------------------- */

typedef struct escrow_contract escrow_contract;

/* Parses a contract (YAML, schema v1). ESCROW_E_INPUT with "file:line:col:
 * message" in the context on any schema error; ESCROW_E_OPEN if unreadable. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_contract_load(escrow_ctx *ctx, const char *path,
                                                               escrow_contract **out);
ESCROW_API ESCROW_NODISCARD escrow_status escrow_contract_parse(escrow_ctx *ctx, const char *name,
                                                                const void *text, size_t len,
                                                                escrow_contract **out);
ESCROW_API void escrow_contract_free(escrow_contract *c);
/* The contract id ("FRAUD-2026-07"). */
ESCROW_API const char *escrow_contract_id(const escrow_contract *c);
/* 1 when the contract lists a deliverable with this id, else 0. */
ESCROW_API int escrow_contract_has_deliverable(const escrow_contract *c, const char *id);

/* ---- reports ----------------------------------------------------------- */

/* The outcome of check, verify, extract and list: a JSON document (see
 * docs/FORMAT.md) with "verdict", "signature", "integrity", "deliverables",
 * "warnings", "unassigned", ... */
typedef struct escrow_report escrow_report;

ESCROW_API void escrow_report_free(escrow_report *r);
/* One verdict per outcome (docs/FORMAT.md): "verified" (ESCROW_OK),
 * "incomplete" (ESCROW_INCOMPLETE), "tampered" (ESCROW_TAMPERED),
 * "bad-signature" (ESCROW_BAD_SIGNATURE), "unsafe" (ESCROW_UNSAFE),
 * "not-opened" (ESCROW_NO_IDENTITY), "not-a-bundle" (ESCROW_NOT_A_BUNDLE);
 * list without a public key: "intact" instead of "verified" (the digests
 * hold, the signature was not checked); check: "complete"/"incomplete".
 * "" when r is NULL. */
ESCROW_API const char *escrow_report_verdict(const escrow_report *r);
/* The status the operation returned (ESCROW_OK, ESCROW_TAMPERED, ...). */
ESCROW_API escrow_status escrow_report_status(const escrow_report *r);
/* Renderings, malloc'd, NUL-terminated; free with free(). NULL on ENOMEM. */
ESCROW_API char *escrow_report_json(const escrow_report *r);
ESCROW_API char *escrow_report_text(const escrow_report *r);
/* The same renderings written piece by piece through write (each call gets
 * the next bytes; it returns 0, or -1 to stop), for reports too large to hold
 * as one string (the list of a million files). flags: ESCROW_REPORT_JSON for
 * the bytes of escrow_report_json(), else those of escrow_report_text().
 * ESCROW_OK, ESCROW_E_IO when write returned -1, ESCROW_E_NOMEM, or
 * ESCROW_E_USAGE when r or write is NULL. */
#define ESCROW_REPORT_JSON 0x01u
typedef int (*escrow_write_fn)(void *user, const void *buf, size_t len);
ESCROW_API escrow_status escrow_report_write(const escrow_report *r, unsigned flags, escrow_write_fn write,
                                             void *user);

/* ---- pack --------------------------------------------------------------- */

struct escrow_pack_options {
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
};

struct escrow_pack_result {
	uint64_t files;        /* payload files */
	uint64_t bytes_in;     /* payload bytes */
	uint64_t bytes_out;    /* bundle bytes */
	double seconds;
	char sha256[65];       /* of the bundle file as written */
	char key_id[17];
	int sealed;
};

/* Packs. On failure no output is left behind. The report (may be NULL)
 * receives the warnings (secrets, LFS pointers, unsafe pickles, skipped files). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_pack(escrow_ctx *ctx, const struct escrow_pack_options *o,
                                                      struct escrow_pack_result *res,
                                                      escrow_report **report);

/* ---- verify, extract, list, check ------------------------------------- */

struct escrow_verify_options {
	const char *bundle;                    /* path or "-" for stdin */
	const escrow_pubkey *key;              /* required for verify and extract; optional for list */
	const escrow_contract *contract;       /* the notary's own copy; optional */
	const escrow_identities *identities;   /* for sealed bundles */
	const char *target;                    /* extract: the folder to create */
	const char *const *deliverables;       /* extract: only these deliverables (needs contract) */
	size_t n_deliverables;
	unsigned flags;                        /* ESCROW_PAYLOAD_ONLY */
};

/* One streaming pass: structure, every digest, the signature, the manifests,
 * then the contract. Returns ESCROW_OK, ESCROW_TAMPERED, ESCROW_BAD_SIGNATURE,
 * ESCROW_UNSAFE, ESCROW_NO_IDENTITY, ESCROW_NOT_A_BUNDLE or ESCROW_INCOMPLETE
 * with *report set (its verdict names the outcome), or an environment error
 * (report may then be NULL). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_verify(escrow_ctx *ctx, const struct escrow_verify_options *o,
                                                        escrow_report **report);
/* Verifies while writing into a temporary folder beside o->target, renamed to
 * o->target only when everything holds. On any failure nothing is left.
 * Returns the statuses of escrow_verify, with *report set likewise. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_extract(escrow_ctx *ctx, const struct escrow_verify_options *o,
                                                         escrow_report **report);
/* The files of a bundle (path, size, kind, deliverable) from its manifest,
 * after checking every digest (and the signature when o->key is set). The
 * statuses of escrow_verify but ESCROW_INCOMPLETE; the report's verdict is
 * "intact" instead of "verified" when o->key is NULL. Nothing is listed
 * unless the status is ESCROW_OK. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_list(escrow_ctx *ctx, const struct escrow_verify_options *o,
                                                      escrow_report **report);
/* The completeness report of a source folder against a contract, before
 * packing: ESCROW_OK or ESCROW_INCOMPLETE with *report set. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_check(escrow_ctx *ctx, const char *src,
                                                       const escrow_contract *contract,
                                                       const char *const *excludes, size_t n_excludes,
                                                       unsigned flags, escrow_report **report);

/* ---- the release (rewrap) ----------------------------------------------- */

struct escrow_rewrap_options {
	const char *bundle;                  /* the sealed deposit (a file, not "-") */
	const char *output;                  /* the release, written atomically (not "-") */
	const escrow_identities *identities; /* open the deposit (the notary's) */
	const escrow_recipients *recipients; /* open the release (the client's) */
	const escrow_pubkey *key;            /* the agency's key: required */
	const escrow_contract *contract;     /* optional: the deposit must also meet it */
	const escrow_seckey *sign_key;       /* optional: the notary's key; writes output.minisig */
	unsigned flags;                      /* ESCROW_FORCE */
};

struct escrow_rewrap_result {
	char source_sha256[65];              /* of the sealed deposit file, as read */
	char output_sha256[65];              /* of the release file */
	uint64_t bytes;                      /* size of the release file */
	int signed_;                         /* 1 when output.minisig was written */
};

/* Verifies the deposit completely (structure, every digest, the agency's
 * signature, the contract when given) while it re-encrypts its file key for
 * new recipients, in one pass: the nonce and payload bytes are copied as
 * read, into a temporary file renamed to o->output only when the verdict is
 * "verified". With sign_key, output.minisig's trusted comment names the
 * source deposit's SHA-256, its name and release (from the verified bag) and
 * the time (SOURCE_DATE_EPOCH when set). Returns ESCROW_OK; a verification
 * status, as escrow_verify() returns them (ESCROW_TAMPERED,
 * ESCROW_BAD_SIGNATURE, ESCROW_UNSAFE, ESCROW_NO_IDENTITY,
 * ESCROW_NOT_A_BUNDLE, ESCROW_INCOMPLETE), with *report set and nothing
 * written; ESCROW_E_INPUT when the deposit
 * is not sealed; or an environment error (*report may then be NULL). res may
 * be NULL. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_rewrap(escrow_ctx *ctx, const struct escrow_rewrap_options *o,
                                                        struct escrow_rewrap_result *res,
                                                        escrow_report **report);

#ifdef __cplusplus
}
#endif
#endif /* ESCROW_H */
