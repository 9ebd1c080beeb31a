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
 *    An escrow_options object is read-only to the operations: several
 *    threads may run operations with the same one at once, as long as no
 *    setter is called meanwhile. Reports, results and everything else a
 *    function hands back belong to one thread at a time.
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
#define ESCROW_VERSION_MINOR 2
#define ESCROW_VERSION_PATCH 0
/* MAJOR*10000 + MINOR*100 + PATCH, like ZSTD_VERSION_NUMBER: 0.2.0 is 200. */
#define ESCROW_VERSION_NUMBER \
	(ESCROW_VERSION_MAJOR * 10000 + ESCROW_VERSION_MINOR * 100 + ESCROW_VERSION_PATCH)
#define ESCROW_QUOTE_(x) #x
#define ESCROW_EXPAND_AND_QUOTE_(x) ESCROW_QUOTE_(x)
/* "0.2.0" */
#define ESCROW_VERSION ESCROW_EXPAND_AND_QUOTE_(ESCROW_VERSION_MAJOR.ESCROW_VERSION_MINOR.ESCROW_VERSION_PATCH)
/* The version of the library linked at run time, which may differ from the
 * header a program was built with: compare with ESCROW_VERSION_NUMBER. */
ESCROW_API unsigned escrow_version_number(void);
ESCROW_API const char *escrow_version_string(void);
#define ESCROW_BUNDLE_FORMAT "escrow-bundle/1"

/* Stable status codes. Values never change; new ones are appended. The escrow
 * command maps them to its exit codes (docs/escrow.1, EXIT STATUS); that mapping
 * is the tool's, not the library's. */
enum escrow_status {
	ESCROW_OK = 0,
	/* Verification outcomes. */
	ESCROW_TAMPERED = 1,      /* "tampered": bytes or structure differ from what was signed
	                           * (digest mismatch, missing or extra file, corrupt stream) */
	ESCROW_INCOMPLETE = 2,    /* "incomplete": intact and authentic, but the contract is not met */
	ESCROW_BAD_SIGNATURE = 3, /* "bad-signature": the signature does not verify, or another key
	                           * made it */
	ESCROW_UNSAFE = 4,        /* "unsafe": hostile structure (path escape, device, hard link, ...) */
	ESCROW_NO_IDENTITY = 5,   /* "not-opened": sealed, and no identity given or none matches */
	/* Environment and caller errors. */
	ESCROW_E_USAGE = 10,          /* invalid argument from the caller */
	ESCROW_E_INPUT = 11,          /* malformed contract, key, identity or recipient */
	ESCROW_E_PASSPHRASE = 12,     /* wrong passphrase for a secret key */
	ESCROW_E_NEED_PASSPHRASE = 13,/* the secret key is encrypted and no passphrase was given */
	ESCROW_E_OPEN = 14,           /* an input cannot be opened */
	ESCROW_E_CREATE = 15,         /* an output cannot be created */
	ESCROW_E_EXISTS = 16,         /* an output exists or a target is not empty */
	ESCROW_E_IO = 17,             /* read or write error, disk full */
	ESCROW_E_NOMEM = 18,          /* out of memory */
	ESCROW_E_INTERRUPTED = 19,    /* escrow_ctx_interrupt() was called */
	ESCROW_E_INTERNAL = 20,       /* a bug */
	/* A verification outcome, appended after the others. */
	ESCROW_NOT_A_BUNDLE = 21      /* the input is no escrow bundle at all: empty, text, a plain tar,
	                               * a zstd stream or an age file that holds no bag */
};
typedef enum escrow_status escrow_status;

/* Flags, combined with | where a function takes "flags". */
#define ESCROW_FORCE        0x01u /* overwrite existing outputs */
#define ESCROW_INCLUDE_VCS  0x02u /* pack: keep .git/ and friends */
#define ESCROW_SKIP_SYMLINKS 0x04u /* pack: skip symlinks that escape or dangle instead of failing */
#define ESCROW_PAYLOAD_ONLY 0x08u /* extract: the target is the project tree, not the bag */
#define ESCROW_QUIET        0x10u /* no warnings through the callback */
#define ESCROW_JSON         0x20u /* vault list, vault show: JSON instead of text */
#define ESCROW_FULL         0x40u /* vault audit: decrypt and re-verify every deposit */
#define ESCROW_VERIFY       0x80u /* vault log: recompute the chain and every receipt signature */
#define ESCROW_STRICT       0x100u /* pack: write no bundle when the contract is not met or a file is
                                    * unsafe (not with OUTPUT "-": a stream cannot be taken back) */
#define ESCROW_FAIL_ON_WARNING 0x200u /* pack: ESCROW_STRICT, and warnings (secrets, LFS pointers, ...)
                                       * refuse the deposit too */
#define ESCROW_NO_DIGEST    0x400u /* verify, extract: leave the bundle file's own SHA-256 and size
                                    * out of the report (bundle.sha256, bundle.size), for a caller
                                    * that reads only the verdict: that hash is a third of a
                                    * verify's CPU. The verdict is the same. */

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
/* escrow_seckey_load from the text of a key file already read (len bytes,
 * e.g. from standard input); name is what messages call it. The caller wipes
 * its copy of the text. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_seckey_parse(escrow_ctx *ctx, const char *name,
                                                              const char *text, size_t len,
                                                              const char *passphrase, escrow_seckey **out);
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

/* ---- options: one growable object for every operation -------------------
 *
 * The operations below (pack, verify, extract, list, check, rewrap) take their
 * inputs from an escrow_options object, set one option at a time with the
 * setter of the option's type, as zstd's ZSTD_CCtx_setParameter() or curl's
 * curl_easy_setopt() do. A new option is a new enum value, never a new struct
 * field, so a program built against an older header keeps working.
 *
 * The values of enum escrow_option never change; new ones are appended. Each
 * option has one type, named in brackets, and one setter:
 *   [string]  escrow_options_set_string(): the text is copied; NULL unsets it.
 *   [list]    escrow_options_set_string() too: each call appends a copy; NULL
 *             empties the list.
 *   [int]     escrow_options_set_int(), with the range given.
 *   [seckey], [pubkey], [contract], [recipients], [identities]: the setter of
 *             that name. The object is borrowed, not copied: it must stay
 *             alive, unchanged, until the last operation that uses these
 *             options has returned. NULL unsets it.
 * An operation reads only the options listed for it and ignores the others, so
 * one object may serve several operations in turn.
 */
typedef struct escrow_options escrow_options;

enum escrow_option {
	ESCROW_OPT_SOURCE = 1,      /* [string] pack, check: the project folder */
	ESCROW_OPT_OUTPUT = 2,      /* [string] pack: the bundle, or "-" for stdout;
	                             * rewrap: the release (a file); certificates: the
	                             * HTML file */
	ESCROW_OPT_BUNDLE = 3,      /* [string] verify, extract, list: the bundle, or "-"
	                             * for stdin; rewrap: the sealed deposit (a file) */
	ESCROW_OPT_TARGET = 4,      /* [string] extract: the folder to create */
	ESCROW_OPT_NAME = 5,        /* [string] pack: the deposit's name (default: the
	                             * contract id, else SOURCE's base name) */
	ESCROW_OPT_RELEASE = 6,     /* [string] pack: the release (default "unreleased") */
	ESCROW_OPT_EXCLUDE = 7,     /* [list] pack, check: globs of paths to leave out */
	ESCROW_OPT_DELIVERABLE = 8, /* [list] extract: only these deliverables (needs
	                             * ESCROW_OPT_CONTRACT) */
	ESCROW_OPT_LEVEL = 9,       /* [int] pack: zstd level 1..19; 0 (default) means 3 */
	ESCROW_OPT_FLAGS = 10,      /* [int] ESCROW_FORCE | ESCROW_INCLUDE_VCS | ... (the
	                             * flags defined above; others are refused). Each
	                             * operation reads the flags that concern it. */
	ESCROW_OPT_SIGNING_KEY = 11,/* [seckey] pack: the agency's key (required);
	                             * rewrap: the notary's key (optional: writes
	                             * OUTPUT.minisig) */
	ESCROW_OPT_PUBLIC_KEY = 12, /* [pubkey] verify, extract, rewrap: the agency's key
	                             * (required); list: optional */
	ESCROW_OPT_CONTRACT = 13,   /* [contract] pack: copied into the bundle; check:
	                             * required; verify, extract, list, rewrap: the
	                             * notary's own copy, optional */
	ESCROW_OPT_RECIPIENTS = 14, /* [recipients] pack: seals the bundle (optional);
	                             * rewrap: who opens the release (required) */
	ESCROW_OPT_IDENTITIES = 15, /* [identities] verify, extract, list: open a sealed
	                             * bundle; rewrap: open the deposit (required) */
	ESCROW_OPT_LEDGER = 16,     /* [string] vault init: a PostgreSQL URL or conninfo for
	                             * the ledger (default: SQLite in the vault folder) */
	ESCROW_OPT_NOTARY_KEY = 17, /* [string] vault init: the notary's minisign secret
	                             * key file (required; its path is remembered) */
	ESCROW_OPT_NOTARY_IDENTITY = 18, /* [string] vault init: the notary's age identity
	                             * file, remembered to open sealed deposits */
	ESCROW_OPT_CONTRACT_FILE = 19, /* [string] vault contract add: the contract YAML */
	ESCROW_OPT_KEY_FILE = 20,   /* [list] vault contract add (optional), vault key add
	                             * (required): agency public key files */
	ESCROW_OPT_CONTRACT_ID = 21,/* [string] vault key add (required), vault list
	                             * (optional filter) */
	ESCROW_OPT_KEY_ID = 22,     /* [string] vault key revoke: 16 hex digits */
	ESCROW_OPT_REASON = 23,     /* [string] vault key revoke: why (optional) */
	ESCROW_OPT_RECEIPT = 24,    /* [string] vault receive: where to write the receipt;
	                             * receipt verify: the receipt to check */
	ESCROW_OPT_DEPOSIT = 25,    /* [string] vault show, vault certificate: a deposit
	                             * number or a prefix of its bundle's SHA-256; vault
	                             * release: the deposit to release (default: the
	                             * latest accepted one) */
	ESCROW_OPT_EVENT = 26,      /* [string] vault release: the triggering event
	                             * (bankruptcy, acquisition, end-of-support, other) */
	ESCROW_OPT_EVIDENCE = 27,   /* [string] vault release: the evidence document file */
	ESCROW_OPT_SAMPLE = 28,     /* [int] vault audit: percent of the deposits to check,
	                             * least recently audited first, 1..100; 0 (default): all */
	ESCROW_OPT_MAX_SECONDS = 29,/* [int] vault audit: stop cleanly after this many
	                             * seconds, 0..31536000; 0 (default): no limit */
	ESCROW_OPT_AGAINST = 30,    /* [string] vault log: a receipt whose ledger head the
	                             * log must still hold */
	ESCROW_OPT_OTHER_BUNDLE = 31, /* [string] diff: the NEW bundle (BUNDLE is the OLD one) */
	ESCROW_OPT_LANG = 33,       /* [string] certificate: "en" (default) or "fr" */
	ESCROW_OPT_META = 36        /* [list] pack: "KEY=VALUE", each written to bag-info.txt as
	                             * "Escrow-Meta-KEY: VALUE" (KEY: 1 to 64 letters, digits
	                             * and dashes; VALUE: 1 to 512 bytes of UTF-8 without
	                             * control characters); the setter refuses others, pack
	                             * more than 64 pairs or a KEY given twice */
};

/* A new, empty object: every option unset, level 0, flags 0. NULL on
 * allocation failure. */
ESCROW_API escrow_options *escrow_options_new(void);
/* Frees the object and its copies of strings (never the borrowed keys,
 * contract, recipients or identities). NULL is a no-op. */
ESCROW_API void escrow_options_free(escrow_options *o);
/* The setters return ESCROW_OK; ESCROW_E_USAGE, leaving the option as it
 * was, when o is NULL, opt is not a known option, opt is of another type
 * than the setter's, or v is out of the option's range; ESCROW_E_NOMEM when
 * a copy could not be made. They have no escrow_ctx: escrow_options_error()
 * says what was refused. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_options_set_string(escrow_options *o, enum escrow_option opt,
                                                                    const char *v);
ESCROW_API ESCROW_NODISCARD escrow_status escrow_options_set_int(escrow_options *o, enum escrow_option opt,
                                                                 int64_t v);
ESCROW_API ESCROW_NODISCARD escrow_status escrow_options_set_seckey(escrow_options *o, enum escrow_option opt,
                                                                    const escrow_seckey *v);
ESCROW_API ESCROW_NODISCARD escrow_status escrow_options_set_pubkey(escrow_options *o, enum escrow_option opt,
                                                                    const escrow_pubkey *v);
ESCROW_API ESCROW_NODISCARD escrow_status escrow_options_set_contract(escrow_options *o, enum escrow_option opt,
                                                                      const escrow_contract *v);
ESCROW_API ESCROW_NODISCARD escrow_status escrow_options_set_recipients(escrow_options *o,
                                                                        enum escrow_option opt,
                                                                        const escrow_recipients *v);
ESCROW_API ESCROW_NODISCARD escrow_status escrow_options_set_identities(escrow_options *o,
                                                                        enum escrow_option opt,
                                                                        const escrow_identities *v);
/* Why the last setter call on o failed ("ESCROW_OPT_LEVEL: 25 is out of range
 * 0..19"; what the caller gave is escaped as escrow_escape does), "" after a
 * call that succeeded. Never NULL ("" for o NULL). Valid until the next call
 * that takes o. */
ESCROW_API const char *escrow_options_error(const escrow_options *o);

/* ---- results: what pack and rewrap hand back ------------------------------
 *
 * Read through accessors keyed by enum escrow_result_key, whose values never
 * change (new ones are appended). A key the operation does not set reads as 0
 * or "", as does a key read with the accessor of the other type. */
typedef struct escrow_result escrow_result;

enum escrow_result_key {
	ESCROW_RESULT_FILES = 1,         /* u64     pack: payload files */
	ESCROW_RESULT_BYTES_IN = 2,      /* u64     pack: payload bytes */
	ESCROW_RESULT_BYTES_OUT = 3,     /* u64     pack: bundle bytes; rewrap: release bytes */
	ESCROW_RESULT_MICROSECONDS = 4,  /* u64     pack: wall time of the call */
	ESCROW_RESULT_SHA256 = 5,        /* string  pack: of the bundle as written; rewrap: of
	                                  *         the release (64 lowercase hex digits) */
	ESCROW_RESULT_KEY_ID = 6,        /* string  pack: the signing key's id (16 hex digits) */
	ESCROW_RESULT_SEALED = 7,        /* u64     pack: 1 when sealed for recipients */
	ESCROW_RESULT_SOURCE_SHA256 = 8, /* string  rewrap: of the sealed deposit, as read */
	ESCROW_RESULT_SIGNED = 9,        /* u64     rewrap: 1 when OUTPUT.minisig was written */
	ESCROW_RESULT_DEPOSIT_ID = 10,   /* u64     vault receive, receipt verify: the deposit */
	ESCROW_RESULT_VERDICT = 11,      /* string  vault receive: the verdict ("verified", ...);
	                                  *         receipt verify: "PASSED" or "FAILED" */
	ESCROW_RESULT_EXISTING = 12,     /* u64     vault receive: 1 when the bundle was already
	                                  *         in the vault (nothing new written) */
	ESCROW_RESULT_VERSION = 13,      /* u64     vault contract add: the version registered */
	ESCROW_RESULT_EVENT_SEQ = 14,    /* u64     vault operations: the event recorded (the
	                                  *         ledger head); receipt verify: its head */
	ESCROW_RESULT_CONTRACT_ID = 15,  /* string  vault contract add, receive, receipt verify
	                                  *         (at most 64 bytes kept) */
	/* vault receive: what changed since the contract's previous accepted
	 * deposit (docs/VAULT.md, "receive"); all 0 when there is none */
	ESCROW_RESULT_DIFF_PREVIOUS = 16, /* u64    the deposit compared with */
	ESCROW_RESULT_DIFF_ADDED = 17,    /* u64    files added */
	ESCROW_RESULT_DIFF_REMOVED = 18,  /* u64    files removed */
	ESCROW_RESULT_DIFF_CHANGED = 19,  /* u64    files changed (by digest) */
	/* 20-23: reserved */
	ESCROW_RESULT_DIFF_RENAMED = 24,  /* u64    files renamed (same digest, new path) */
	ESCROW_RESULT_DIFF_REGRESSIONS = 25, /* u64 deliverables ok before and not now */
	/* vault receive: the latest earlier deposit of the same contract, name and
	 * release, another bundle (that release deposited again, or substituted;
	 * both are recorded); all 0 or "" when there is none */
	ESCROW_RESULT_SAME_RELEASE = 26,         /* u64    its deposit number */
	ESCROW_RESULT_SAME_RELEASE_SHA256 = 27,  /* string its bundle's SHA-256 */
	ESCROW_RESULT_SAME_RELEASE_VERDICT = 28, /* string its verdict */
	ESCROW_RESULT_SAME_RELEASE_COUNT = 29    /* u64    how many earlier deposits hold that release */
};

/* 0 when res is NULL, the key is unknown or not set, or not a u64. */
ESCROW_API uint64_t escrow_result_u64(const escrow_result *res, enum escrow_result_key key);
/* Never NULL: "" when res is NULL, the key is unknown or not set, or not a
 * string. Valid until escrow_result_free(res). */
ESCROW_API const char *escrow_result_string(const escrow_result *res, enum escrow_result_key key);
ESCROW_API void escrow_result_free(escrow_result *res);

/* ---- pack --------------------------------------------------------------- */

/* Packs SOURCE into OUTPUT, signed with SIGNING_KEY. Reads: SOURCE, OUTPUT,
 * SIGNING_KEY (required), CONTRACT, RECIPIENTS, EXCLUDE, NAME, RELEASE, LEVEL,
 * META, FLAGS (ESCROW_FORCE, ESCROW_INCLUDE_VCS, ESCROW_SKIP_SYMLINKS,
 * ESCROW_QUIET, ESCROW_STRICT, ESCROW_FAIL_ON_WARNING).
 * On failure no output is left behind. On ESCROW_OK, *res (when res is not
 * NULL) receives a result to free with escrow_result_free(); else *res is
 * NULL. The report (report may be NULL) receives the warnings (secrets, LFS
 * pointers, unsafe pickles, skipped files).
 * With ESCROW_STRICT the deposit is judged as escrow_check would, from the
 * same single read, before the bundle is renamed into place: an unsafe file
 * (a pickle that runs code) returns ESCROW_UNSAFE, an unmet contract (or,
 * with ESCROW_FAIL_ON_WARNING, any warning of that report) ESCROW_INCOMPLETE;
 * then nothing is written and *report is check's report (its verdict
 * "unsafe" or "incomplete"). An accepted deposit's bundle is byte for byte
 * the one made without the flag. OUTPUT "-" with these flags is
 * ESCROW_E_USAGE. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_pack(escrow_ctx *ctx, const escrow_options *o,
                                                      escrow_result **res, escrow_report **report);

/* ---- verify, extract, list, check ------------------------------------- */

/* One streaming pass: structure, every digest, the signature, the manifests,
 * then the contract. Reads: BUNDLE, PUBLIC_KEY (required), CONTRACT,
 * IDENTITIES, FLAGS (ESCROW_NO_DIGEST). Returns ESCROW_OK, ESCROW_TAMPERED, ESCROW_BAD_SIGNATURE,
 * ESCROW_UNSAFE, ESCROW_NO_IDENTITY, ESCROW_NOT_A_BUNDLE or ESCROW_INCOMPLETE
 * with *report set (its verdict names the outcome), or an environment error
 * (report may then be NULL). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_verify(escrow_ctx *ctx, const escrow_options *o,
                                                        escrow_report **report);
/* Verifies while writing into a temporary folder beside TARGET, renamed to
 * TARGET only when everything holds. On any failure nothing is left. Reads:
 * BUNDLE, PUBLIC_KEY, TARGET (required), CONTRACT, IDENTITIES, DELIVERABLE,
 * FLAGS (ESCROW_PAYLOAD_ONLY, ESCROW_NO_DIGEST). Returns the statuses of escrow_verify, with
 * *report set likewise. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_extract(escrow_ctx *ctx, const escrow_options *o,
                                                         escrow_report **report);
/* The files of a bundle (path, size, kind, deliverable) from its manifest,
 * after checking every digest (and the signature when PUBLIC_KEY is set).
 * Reads: BUNDLE (required), PUBLIC_KEY, CONTRACT, IDENTITIES. The statuses of
 * escrow_verify but ESCROW_INCOMPLETE; the report's verdict is "intact"
 * instead of "verified" without PUBLIC_KEY. Nothing is listed unless the
 * status is ESCROW_OK. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_list(escrow_ctx *ctx, const escrow_options *o,
                                                      escrow_report **report);
/* The completeness report of a source folder against a contract, before
 * packing. Reads: SOURCE, CONTRACT (required), EXCLUDE, FLAGS
 * (ESCROW_INCLUDE_VCS, ESCROW_SKIP_SYMLINKS). ESCROW_OK or ESCROW_INCOMPLETE
 * with *report set. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_check(escrow_ctx *ctx, const escrow_options *o,
                                                       escrow_report **report);

/* What changed between two deposits: reads BUNDLE (the old one) and
 * OTHER_BUNDLE (the new one) once each, without extracting, and compares them
 * per deliverable and for the files in none: files added, removed, changed
 * (by digest), renamed (same digest, new path), sizes, what the format check
 * read of model files (tensors, dtypes, shapes; ONNX inputs and outputs; GGUF
 * architecture), and each deliverable's status, a regression (ok before,
 * anything else now, or gone) listed first. Reads: BUNDLE, OTHER_BUNDLE (both
 * required, files or one "-"), PUBLIC_KEY (optional: the signatures are
 * checked as escrow_verify() does; without it they are not, as escrow_list()),
 * CONTRACT (the deliverables; default: the copy inside the new bundle, else
 * the old one's; the report says which), IDENTITIES (sealed bundles).
 * Returns ESCROW_OK with *report set when both could be compared, whatever
 * the differences (the report's "verdict" is "compared"); a verification
 * status of the bundle that could not be read (ESCROW_TAMPERED,
 * ESCROW_BAD_SIGNATURE, ESCROW_UNSAFE, ESCROW_NO_IDENTITY,
 * ESCROW_NOT_A_BUNDLE), the old one's first, with *report set and saying which
 * ("verdict" is that bundle's verdict); or an environment error (*report
 * NULL). The report's JSON follows docs/schema/escrow-diff-1.schema.json. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_diff(escrow_ctx *ctx, const escrow_options *o,
                                                      escrow_report **report);

/* ---- the release (rewrap) ----------------------------------------------- */

/* Verifies the deposit BUNDLE completely (structure, every digest, the
 * agency's signature, the contract when given) while it re-encrypts its file
 * key for new recipients, in one pass: the nonce and payload bytes are copied
 * as read, into a temporary file renamed to OUTPUT only when the verdict is
 * "verified". Reads: BUNDLE, OUTPUT (files, not "-"), IDENTITIES (the
 * notary's), RECIPIENTS (the client's), PUBLIC_KEY (the agency's), all
 * required; CONTRACT (the deposit must also meet it), SIGNING_KEY (the
 * notary's: writes OUTPUT.minisig), FLAGS (ESCROW_FORCE). With SIGNING_KEY,
 * OUTPUT.minisig's trusted comment names the source deposit's SHA-256, its
 * name and release (from the verified bag) and the time (SOURCE_DATE_EPOCH
 * when set). Returns ESCROW_OK; a verification status, as escrow_verify()
 * returns them (ESCROW_TAMPERED, ESCROW_BAD_SIGNATURE, ESCROW_UNSAFE,
 * ESCROW_NO_IDENTITY, ESCROW_NOT_A_BUNDLE, ESCROW_INCOMPLETE), with *report
 * set and nothing written; ESCROW_E_INPUT when the deposit is not sealed; or
 * an environment error (*report may then be NULL). On ESCROW_OK, *res (when
 * res is not NULL) receives a result to free with escrow_result_free(); else
 * *res is NULL. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_rewrap(escrow_ctx *ctx, const escrow_options *o,
                                                        escrow_result **res, escrow_report **report);

/* ---- the notary's vault (docs/VAULT.md) ---------------------------------
 *
 * A vault is a folder: vault.json (what it remembers), the content-addressed
 * store of the bundles received, and, unless a PostgreSQL URL was given, the
 * SQLite ledger (contracts, agency keys, deposits, a hash-chained event log).
 * The handle keeps ctx (borrowed: it must outlive the handle) and reports its
 * errors there. */
typedef struct escrow_vault escrow_vault;

/* Creates the vault folder path (it must not exist, or be an empty folder),
 * vault.json and the ledger. Reads NOTARY_KEY (required: its key id is
 * recorded, its path remembered; the key must load without a passphrase or
 * with the one in ESCROW_PASSPHRASE), NOTARY_IDENTITY, LEDGER. ESCROW_E_EXISTS
 * when path holds something already; nothing is left behind on failure. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_init(escrow_ctx *ctx, const char *path,
                                                            const escrow_options *o);
/* Opens the vault at path and its ledger. ESCROW_E_OPEN when it is no vault,
 * ESCROW_E_INPUT for a vault or ledger of a newer version, ESCROW_E_IO when
 * the PostgreSQL server cannot be reached. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_open(escrow_ctx *ctx, const char *path, escrow_vault **out);
ESCROW_API void escrow_vault_close(escrow_vault *v);
/* The notary's secret key file the vault remembers (never NULL while v is). */
ESCROW_API const char *escrow_vault_notary_key(const escrow_vault *v);
/* Registers a contract (CONTRACT_FILE, parsed and checked first) as version 1,
 * or as the next version when its id is registered (an amendment), with the
 * agency keys KEY_FILE (optional). ESCROW_E_EXISTS when this exact text is
 * registered. res: VERSION, CONTRACT_ID, EVENT_SEQ. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_contract_add(escrow_vault *v, const escrow_options *o,
                                                                    escrow_result **res);
/* Registers the keys KEY_FILE for CONTRACT_ID (both required). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_key_add(escrow_vault *v, const escrow_options *o,
                                                               escrow_result **res);
/* Revokes KEY_ID (required) for every contract, with REASON. ESCROW_E_OPEN
 * when the key is not registered or already revoked. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_key_revoke(escrow_vault *v, const escrow_options *o,
                                                                  escrow_result **res);
/* Receives BUNDLE (a file; BUNDLE.minisig beside it is taken too): stores it
 * by SHA-256, verifies it against the registered contract it names and its
 * registered, unrevoked keys (a sealed one with the vault's identity),
 * records the deposit and its receive event in one transaction, then writes
 * the signed receipt RECEIPT (default: VAULT/receipts/SHA256.json) and
 * RECEIPT.minisig with SIGNING_KEY (default: the remembered key, loaded
 * without a passphrase). Returns the verification status of escrow_verify()
 * (with *report set) once recorded; ESCROW_E_INPUT, nothing recorded, when the
 * bundle names no registered contract; ESCROW_OK with EXISTING 1 when the
 * bundle is already in the vault (no receipt written). Another bundle of a
 * release the vault holds (same contract, bundle name and release) is
 * recorded too, and said: a warning through the context's callback, the
 * SAME_RELEASE keys of res, "same_release" in the receive event and the
 * receipt. res: DEPOSIT_ID, VERDICT, SHA256, CONTRACT_ID, EVENT_SEQ, EXISTING,
 * the DIFF_ and SAME_RELEASE keys. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_receive(escrow_vault *v, const escrow_options *o,
                                                               escrow_result **res, escrow_report **report);
/* The deposits (CONTRACT_ID: only that contract's), as text or, with flags
 * ESCROW_JSON, JSON; *out is malloc'd (free()). Each row is checked against
 * its receive event in the ledger's log: when one was edited, the rows are
 * still given in *out, each edited one marked ("(edited)" in text, an
 * "edited" member in JSON), and ESCROW_TAMPERED names the first. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_list(escrow_vault *v, const escrow_options *o,
                                                            unsigned flags, char **out);
/* One deposit, by DEPOSIT (a number of fewer than 8 digits, or a prefix of
 * at least 8 hex digits of its bundle's SHA-256): ESCROW_E_OPEN when none
 * matches, ESCROW_E_USAGE when a prefix matches several; ESCROW_TAMPERED, the
 * row still given in *out and marked as escrow_vault_list() does, when it
 * differs from its receive event. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_show(escrow_vault *v, const escrow_options *o,
                                                            unsigned flags, char **out);
/* Checks a receipt: RECEIPT.minisig against PUBLIC_KEY (the notary's), the
 * JSON shape (in-toto Statement v1, SLSA VSA v1, escrow extension), and with
 * BUNDLE the subject's SHA-256 against that file's. ESCROW_OK, ESCROW_BAD_SIGNATURE,
 * ESCROW_TAMPERED (subject differs from BUNDLE), ESCROW_E_INPUT (not a
 * receipt). res: VERDICT (PASSED/FAILED), SHA256, DEPOSIT_ID, EVENT_SEQ, CONTRACT_ID. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_receipt_verify(escrow_ctx *ctx, const escrow_options *o,
                                                                escrow_result **res);

/* Audits the vault's store (docs/VAULT.md, "Audit"): for each deposit checked,
 * the stored file's SHA-256 and size against the ledger and its detached
 * signature against the registered key that made it; with ESCROW_FULL also a
 * complete verification (the vault's identity opens sealed deposits) that must
 * give the verdict recorded at receive. SAMPLE (percent, 0: all) and
 * MAX_SECONDS (0: no limit) take the least recently audited deposits first.
 * Files in the store that no deposit names are reported. One audit event
 * records the run; each checked deposit's audited_at is set. *out (malloc'd,
 * text or with ESCROW_JSON JSON) is the report. ESCROW_OK when everything
 * checked holds, ESCROW_TAMPERED when a deposit fails or strays are found. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_audit(escrow_vault *v, const escrow_options *o,
                                                             unsigned flags, char **out);
/* The event log as text or (ESCROW_JSON) JSON in *out (malloc'd). With
 * ESCROW_VERIFY the chain is recomputed and every receipt in VAULT/receipts
 * checked against the notary's key (its signature, and its ledger head still
 * in the log); with AGAINST (a receipt file) that receipt is checked the same
 * way. ESCROW_OK, or ESCROW_TAMPERED naming the first bad event or receipt
 * (in the context's message and in *out). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_log(escrow_vault *v, const escrow_options *o,
                                                           unsigned flags, char **out);
/* Releases a deposit of CONTRACT_ID to the client on a triggering EVENT
 * (bankruptcy, acquisition, end-of-support, other), with the EVIDENCE document
 * (court order, notice). The deposit is DEPOSIT (a number, or 8+ hex digits of
 * its bundle's SHA-256; it must have been accepted) or the latest accepted one
 * of the contract. The evidence is stored in the vault by SHA-256; the deposit
 * is verified and rewrapped for RECIPIENTS as escrow_rewrap() does, with the
 * vault's identity, the agency key that signed it and the contract version it
 * was checked against, into OUTPUT (+ OUTPUT.minisig by the notary); the
 * release event is recorded (event, evidence SHA-256, recipients, deposit,
 * OUTPUT's SHA-256); then OUTPUT.release.json and its .minisig, the signed
 * release record (docs/VAULT.md, "Release"), are written. SIGNING_KEY: the
 * notary's key (default: the remembered one, loaded without a passphrase or
 * with ESCROW_PASSPHRASE); FLAGS: ESCROW_FORCE. Returns ESCROW_OK; a
 * verification status of escrow_rewrap() (with *report set) when the deposit
 * no longer verifies, nothing written or recorded; ESCROW_E_USAGE (an event
 * not in the list), ESCROW_E_OPEN (unknown contract, no such or no accepted
 * deposit, evidence unreadable), ESCROW_E_INPUT (the deposit named was
 * refused at receive; the vault has no identity), ESCROW_E_EXISTS (OUTPUT
 * exists without ESCROW_FORCE). res: DEPOSIT_ID, SOURCE_SHA256, SHA256,
 * BYTES_OUT, EVENT_SEQ, CONTRACT_ID. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_release(escrow_vault *v, const escrow_options *o,
                                                               escrow_result **res, escrow_report **report);

/* ---- certificates: the evidence a person files (docs/escrow.1) -----------
 *
 * One self-contained HTML5 file (inline CSS and SVG, no script, nothing
 * fetched), laid out to print on one A4 page: the parties, the contract and
 * its SHA-256, the bundle's SHA-256 and size, the signer, the verdict and the
 * time, the deliverables, the inventory by kind as a chart, the warnings, the
 * receipt (vault deposits), and how to check it all by hand with stock tools.
 * Every string from outside is HTML-escaped and its control characters shown
 * as escapes. Written to a temporary file renamed to OUTPUT: never partial. */

/* The certificate of report, the report escrow_verify() gave (whatever its
 * verdict). Reads: OUTPUT (required, a file), LANG, BUNDLE (the file verified:
 * its SHA-256 and size when the report lacks them), FLAGS (ESCROW_FORCE: else
 * an existing OUTPUT is ESCROW_E_EXISTS). The time of verification is the
 * report's, else now (SOURCE_DATE_EPOCH when set). ESCROW_OK, ESCROW_E_USAGE
 * (no report, no OUTPUT, a LANG other than en and fr), ESCROW_E_CREATE,
 * ESCROW_E_EXISTS, ESCROW_E_IO, ESCROW_E_NOMEM. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_certificate_write(escrow_ctx *ctx, const escrow_options *o,
                                                                   const escrow_report *report);
/* The certificate of the vault's deposit DEPOSIT (as escrow_vault_show()
 * finds it) into OUTPUT. The stored bundle is verified again, as vault audit
 * --full does (the contract version and agency key registered when it was
 * received, the vault's identity for a sealed one), and the certificate says
 * so and shows the verdict recorded at receive beside it; when it cannot be
 * (refused before any verification, or sealed and the vault has no
 * identity), the verdict recorded at receive is certified, and the
 * certificate says that instead. The receipt kept in VAULT/receipts, when
 * there is one, is shown with its signature. Reads DEPOSIT, OUTPUT, LANG,
 * FLAGS (ESCROW_FORCE). Returns the verification status as escrow_verify()
 * does (with *report set when it was verified again; report may be NULL),
 * or, for a recorded verdict, the status that verdict stands for;
 * ESCROW_TAMPERED (the certificate says so) when the stored copy's SHA-256
 * is not the one recorded at receive; else the errors of escrow_vault_show()
 * and escrow_certificate_write(). */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_vault_certificate(escrow_vault *v, const escrow_options *o,
                                                                   escrow_report **report);

/* ---- progress, in detail (appended) ------------------------------------ */

/* What a long operation is doing, for escrow_ctx_set_progress_ex(). */
#define ESCROW_PHASE_UNLOCK 1u /* a passphrase-protected secret key is about to be opened (scrypt
                                * takes seconds): one call, with ESCROW_PROGRESS_END; subject:
                                * the key file */
#define ESCROW_PHASE_WALK   2u /* pack, check: reading the source tree; files and bytes: regular
                                * files found so far and their sizes; the totals at the last call */
#define ESCROW_PHASE_PACK   3u /* pack: the payload into the bundle; files and bytes: regular
                                * files and their bytes packed, of files_total and bytes_total */
#define ESCROW_PHASE_READ   4u /* verify, extract, list, rewrap, diff, vault receive, audit --full,
                                * certificate: reading a bundle; subject: the bundle ("-" for
                                * stdin); bytes: the bundle file's bytes read (compressed, or
                                * encrypted), of bytes_total its size (ESCROW_UNKNOWN for stdin
                                * until the last call); files: payload files read, files_total
                                * known at the last call only. Also escrow_sign_file and
                                * escrow_verify_file: the file's bytes (files 0 of 1) */
#define ESCROW_PHASE_AUDIT  5u /* vault audit: files are the deposits checked, of files_total; bytes
                                * their stored bytes */
#define ESCROW_PHASE_CHECK  6u /* check: the tree's regular files and bytes read, of the totals */
#define ESCROW_PHASE_MASK   0xffu
#define ESCROW_PROGRESS_END 0x100u /* or'ed into phase: the phase's last call, counters final */
#define ESCROW_UNKNOWN      UINT64_MAX /* a total not known (yet), e.g. the size of stdin */

/* phase is one ESCROW_PHASE_* value, with ESCROW_PROGRESS_END on the phase's
 * last call. subject is outside text (a file name), raw: escape it before
 * showing it (escrow_escape); it may be NULL; valid during the call only.
 * Counters only grow within a phase; a phase starts again from 0 (vault
 * audit --full reads one bundle after another). The library calls at most
 * once per MiB read or written or per 256 files, plus each phase's first and
 * last call, so the callback may take its time check and draw; it runs in the
 * thread that made the library call, never in a worker thread. */
typedef void (*escrow_progress_ex_fn)(void *user, unsigned phase, const char *subject, uint64_t files,
                                      uint64_t files_total, uint64_t bytes, uint64_t bytes_total);
/* Sets the detailed progress callback (NULL: none). It is called besides the
 * one of escrow_ctx_set_progress(), which keeps its meaning. */
ESCROW_API void escrow_ctx_set_progress_ex(escrow_ctx *ctx, escrow_progress_ex_fn fn, void *user);

/* ---- drafting a contract, suggestions ------------------------------------ */

/* Drafts a deliverables list (YAML, docs/CONTRACT.md "A first draft") from the
 * project folder SOURCE, read as check reads it: source code by language, one
 * deliverable per model file with the format its bytes pass and a min-bytes,
 * data sets, prompts, pipelines, configuration and docs; forbid: byte-code and
 * secret files, exclude: version control and build outputs (and the files
 * forbid: names that are there today), with comments saying what to review.
 * The draft passes escrow_check() on the same folder. Reads SOURCE (required),
 * EXCLUDE, FLAGS (ESCROW_INCLUDE_VCS, ESCROW_SKIP_SYMLINKS). *out is the
 * NUL-terminated text, malloc'd (free()), NULL on error. ESCROW_OK,
 * ESCROW_E_USAGE, ESCROW_E_OPEN (no SOURCE), ESCROW_E_INPUT (a name the walk
 * refuses, or nothing to draft from), ESCROW_E_IO, ESCROW_E_NOMEM. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_contract_draft(escrow_ctx *ctx, const escrow_options *o,
                                                                char **out);
/* The candidate (a NULL-terminated list) closest to word by edit distance
 * (insertions, deletions, substitutions, adjacent swaps), when it is close
 * enough to be a typo: at most 1 edit for words of up to 4 bytes, 2 up to 8,
 * else 3, and fewer edits than word's length. NULL if none, or an argument is
 * NULL. The pointer is one of candidates. */
ESCROW_API const char *escrow_suggest(const char *word, const char *const *candidates);
/* The contract copy inside an unsealed bundle FILE (escrow/contract.yaml),
 * read from its last zstd frame without reading the rest, for choosing
 * deliverables when no contract was given. Nothing is verified here: a
 * verification with it as CONTRACT checks it is the signed copy. ESCROW_OK,
 * ESCROW_E_OPEN, ESCROW_E_USAGE (no copy can be read without opening the
 * file: sealed, not a bundle, or packed without a contract; the caller must
 * give one), ESCROW_E_INPUT (a malformed copy), ESCROW_E_NOMEM. */
ESCROW_API ESCROW_NODISCARD escrow_status escrow_bundle_contract(escrow_ctx *ctx, const char *path,
                                                                 escrow_contract **out);

#ifdef __cplusplus
}
#endif
#endif /* ESCROW_H */
