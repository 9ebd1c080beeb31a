/* esc_vault.h -- the notary's vault, inside libescrow. For now the ledger
 * (vault_ledger*.c): contracts, agency keys, deposits and the hash-chained
 * event log, on SQLite (a file in the vault) or PostgreSQL. docs/VAULT.md
 * describes the schema, the events and the chain. Not installed. */
#ifndef ESC_VAULT_H
#define ESC_VAULT_H

#include "escrow_private.h"

#include <stdbool.h>
#include <stdint.h>

/* The ledger file in a vault folder when no PostgreSQL URL is given. */
#define ESC_LEDGER_FILE "ledger.sqlite"
/* The schema this build writes; a ledger of a higher version is refused. */
#define ESC_LEDGER_SCHEMA 3
/* Bounds on what is stored and read back (characters as the database counts
 * them; bytes are checked again in C). */
#define ESC_LEDGER_EVENT_MAX 65536u     /* an event's canonical JSON */
#define ESC_LEDGER_TEXT_MAX (1u << 20)  /* a contract's YAML text */
#define ESC_LEDGER_KEY_MAX 4096u        /* a public key file's text */
#define ESC_LEDGER_BUSY_MS 30000        /* SQLite: wait this long for another writer */

typedef struct esc_ledger esc_ledger;

enum esc_ledger_flags {
	ESC_LEDGER_CREATE = 1u << 0, /* make the ledger when it does not exist yet */
};

/* Opens the ledger of the vault folder vault: SQLite VAULT/ledger.sqlite when
 * url is NULL, else the PostgreSQL database url names (a postgresql:// URL or
 * a libpq conninfo string). Applies the migrations the ledger lacks, in order,
 * each in its own transaction; refuses a ledger of a newer schema
 * (ESCROW_E_INPUT) and one that does not exist unless ESC_LEDGER_CREATE
 * (ESCROW_E_OPEN). An unreachable server is ESCROW_E_IO. */
escrow_status esc_ledger_open(escrow_ctx *ctx, const char *vault, const char *url, unsigned flags,
                              esc_ledger **out);
void esc_ledger_close(esc_ledger *l);
/* "sqlite" or "postgresql"; the schema version of the open ledger. */
const char *esc_ledger_backend(const esc_ledger *l);
int esc_ledger_schema_version(const esc_ledger *l);
/* Event times come from time(NULL), or from t when set (>= 0; tests, demos). */
void esc_ledger_set_time(esc_ledger *l, int64_t t);

/* ---- the event log (vault_ledger_events.c) ---- */
/* A reference to one event: its number and the hash that covers it. */
struct esc_event_ref {
	int64_t seq;           /* 1, 2, 3, ...; 0 for "no event yet" */
	uint8_t hash[32];      /* all zero with seq 0: the genesis */
};
/* The kinds of event; esc_ledger_append takes audit and release (the others
 * are written by the functions that change the rows they describe). */
#define ESC_EV_CONTRACT_ADD "contract-add"
#define ESC_EV_CONTRACT_AMEND "contract-amend"
#define ESC_EV_KEY_ADD "key-add"
#define ESC_EV_KEY_REVOKE "key-revoke"
#define ESC_EV_RECEIVE "receive"
#define ESC_EV_AUDIT "audit"
#define ESC_EV_RELEASE "release"

/* canonical_json(v) as docs/VAULT.md defines it: jansson's compact form with
 * keys sorted bytewise, UTF-8 kept, no reals. NULL (with the reason in ctx)
 * when v holds a real or is too long; malloc'd. */
char *esc_event_canonical(escrow_ctx *ctx, const json_t *v);
/* out = SHA-256(prev || body); 0, or -1 when out of memory. */
int esc_event_hash(const uint8_t prev[32], const char *body, size_t len, uint8_t out[32]);
/* Appends an audit or release event whose "data" is data (not stolen), in its
 * own transaction; out (may be NULL) gets the new event. */
escrow_status esc_ledger_append(esc_ledger *l, const char *kind, const json_t *data, struct esc_event_ref *out);
/* The last event (seq 0 and zero hash for an empty log). */
escrow_status esc_ledger_head(esc_ledger *l, struct esc_event_ref *out);

/* One event as stored, for listing (strings live until the callback returns). */
struct esc_event_row {
	int64_t seq;
	const char *kind, *time;
	const char *body;      /* the canonical JSON; NULL when longer than ESC_LEDGER_EVENT_MAX */
	const char *prev_hash, *hash; /* hex */
};
/* Calls fn for each event numbered above after, in order, reading them in
 * pages (memory stays bounded); stops early, returning ESCROW_OK, when fn
 * returns non-zero. Nothing is verified here: esc_ledger_verify does that. */
escrow_status esc_ledger_events(esc_ledger *l, int64_t after, int (*fn)(void *user, const struct esc_event_row *ev),
                                void *user);

/* ---- chain verification (vault_ledger_verify.c) ---- */
enum esc_chain_fault {
	ESC_CHAIN_OK = 0,
	ESC_CHAIN_EDITED,      /* its stored content or hash no longer match */
	ESC_CHAIN_INSERTED,    /* it was not in the chain: the next event links past it */
	ESC_CHAIN_DELETED,     /* it is missing */
	ESC_CHAIN_UNLINKED,    /* it does not link to the one before: that one was replaced, or events
	                          between were deleted and the rest renumbered */
	ESC_CHAIN_REWRITTEN,   /* verify_against: the log holds another event under that number */
	ESC_CHAIN_ROW,         /* a contract, key or deposit row differs from the event that made it, has
	                          none, or an event lost its row (vault_ledger_tables.c) */
};
struct esc_chain_report {
	int64_t events;        /* events read */
	struct esc_event_ref head; /* the last one */
	enum esc_chain_fault fault;
	int64_t bad_seq;       /* the first bad event, 0 when fault is ESC_CHAIN_OK */
	char why[256];         /* one sentence naming it */
};
/* Recomputes every hash from the stored canonical JSON, then checks every
 * contract, key and deposit row against the event that made it
 * (esc_ledger_check_tables). ESCROW_OK, or ESCROW_TAMPERED with the first
 * bad event (or the event of the first bad row) in r and in ctx's message. */
escrow_status esc_ledger_verify(esc_ledger *l, struct esc_chain_report *r);
/* esc_ledger_verify, then: the log still holds event seq with this hash (a
 * receipt's head). A deleted last event is only seen this way. */
escrow_status esc_ledger_verify_against(esc_ledger *l, int64_t seq, const uint8_t hash[32],
                                        struct esc_chain_report *r);

/* ---- contracts, keys and deposits (vault_ledger_rows.c) ---- */
/* Registers a contract's text (its id as given, its SHA-256 computed here):
 * version 1 with a contract-add event, or the next version with
 * contract-amend. The same text again is ESCROW_E_EXISTS. out: the event. */
escrow_status esc_ledger_contract_add(esc_ledger *l, const char *contract_id, const char *text, size_t len,
                                      int *version, struct esc_event_ref *out);
/* The latest version: sha256 (65 bytes, hex) and text (malloc'd; may be
 * NULL if not wanted). ESCROW_E_OPEN when the contract is not registered. */
escrow_status esc_ledger_contract_latest(esc_ledger *l, const char *contract_id, int *version, char sha256[65],
                                         char **text);
/* An agency key for a registered contract: key_id is minisign's 16 hex
 * digits, pub the .pub file's text. ESCROW_E_EXISTS if already there. */
escrow_status esc_ledger_key_add(esc_ledger *l, const char *contract_id, const char *key_id, const char *pub,
                                 struct esc_event_ref *out);
/* Revokes key_id for every contract it serves (reason may be NULL).
 * ESCROW_E_OPEN if the key is not registered or already revoked. */
escrow_status esc_ledger_key_revoke(esc_ledger *l, const char *key_id, const char *reason,
                                    struct esc_event_ref *out);
/* 1 when key_id is registered for contract_id and not revoked, 0 when not,
 * -1 on error (in ctx). */
int esc_ledger_key_valid(esc_ledger *l, const char *contract_id, const char *key_id);

/* The earlier deposits of a deposit's contract, name and release (both
 * given): that release deposited again, or substituted (docs/VAULT.md,
 * "receive"). */
struct esc_same_release {
	int64_t deposit;  /* the latest of them; 0: none */
	int64_t count;    /* how many */
	char sha256[65];  /* its bundle's */
	char verdict[16]; /* its verdict */
};
/* {"deposit", "sha256", "verdict", "count"} of s, as the receive event and
 * the receipt hold it; NULL when s names no deposit (or out of memory). */
json_t *esc_same_release_json(const struct esc_same_release *s);

struct esc_deposit {
	const char *contract_id;     /* as the bundle names it */
	const char *contract_sha256; /* the registered version it was checked against; NULL: none */
	const char *name, *release;
	const char *bundle_sha256;   /* 64 lowercase hex */
	uint64_t bundle_size;
	const char *signer_key_id;   /* NULL: no valid signature */
	const char *verdict;         /* verified, incomplete, tampered, bad-signature, unsafe, not-opened,
	                                not-a-bundle */
	const json_t *deliverables;  /* {"id": "status"}; NULL: {} */
	const char *store_path;      /* relative to the vault */
	bool minisig_stored;         /* its detached signature stored beside it (store_path.minisig) */
	const json_t *diff;          /* against the contract's previous accepted deposit (esc_diff_brief
	                              * and "previous"); NULL: none */
	const char *records_sha256;  /* VAULT/records/HEX.jsonl.zst as written (vault_records.c); NULL */
	const char *store_file;      /* the stored copy's path, checked to be there (and its .minisig, when
	                              * minisig_stored) inside the transaction; NULL: not checked */
	struct esc_same_release *same_release; /* out: the earlier deposits of its release, found
	                              * inside the transaction (and recorded in the event); NULL */
};
/* Records a deposit and its receive event in one transaction; the event
 * names the latest earlier deposit of the same contract, name and release
 * ("same_release"). A bundle already recorded is ESCROW_E_EXISTS naming its deposit (nothing written);
 * a store_file that is no longer there (taken back by a failed receive of
 * the same bundle, under the same write lock) is ESCROW_E_IO (nothing
 * written). id: the deposit's number. */
escrow_status esc_ledger_deposit_add(esc_ledger *l, const struct esc_deposit *d, int64_t *id,
                                     struct esc_event_ref *out);
/* The deposit of a bundle: its number (0 when not recorded), or -1 on error. */
int64_t esc_ledger_deposit_find(esc_ledger *l, const char *bundle_sha256);


/* ---- the vault folder (vault_config.c, vault_api.c, vault_store.c,
 * vault_receive.c, vault_receipt*.c, vault_query.c) ---- */
#define ESC_VAULT_CONFIG "vault.json"
#define ESC_VAULT_FORMAT "escrow-vault/1"

struct escrow_vault {
	escrow_ctx *ctx;
	char *path;            /* the vault folder, as given */
	char *ledger_url;      /* NULL: SQLite in the folder */
	char *notary_key;      /* absolute path of the notary's secret key */
	char *identity;        /* absolute path of the age identity, or NULL */
	char key_id[17];       /* the notary's key id */
	esc_ledger *ledger;
	double (*clock)(void *user); /* audit's clock in seconds; NULL: CLOCK_MONOTONIC (see esc_vault_set_clock) */
	void *clock_user;
};
/* Tests only (tests/unit/test_vault_audit.c): the clock audit's --max-duration
 * reads, so that the bound is tested without timing anything. NULL restores
 * the real one. */
void esc_vault_set_clock(escrow_vault *v, double (*clock)(void *user), void *user);

/* Reads VAULT/vault.json into v (path set). ESCROW_E_OPEN when missing,
 * ESCROW_E_INPUT when malformed or of a newer format. */
escrow_status esc_vault_config_read(escrow_vault *v);
/* Writes VAULT/vault.json (mode 0600: a URL may hold a password). */
escrow_status esc_vault_config_write(const escrow_vault *v);

/* The store: copies src (and src.minisig when present) to
 * VAULT/store/sha256/XX/HEX.escrow atomically (temporary file in
 * VAULT/store/sha256, fsync, rename, fsync of the folders); sha256 (65) and
 * size are the bundle's, rel the path relative to the vault (malloc'd). */
struct esc_stored {
	char sha256[65];
	uint64_t size;
	char *rel;             /* store/sha256/XX/HEX.escrow */
	char *abs;             /* VAULT/rel */
	bool minisig;          /* rel.minisig written */
	bool fresh;            /* this call put it there (not in the store before) */
};
/* A failure after the rename leaves out set (abs, fresh) and the file in
 * place: the caller removes it with esc_store_drop, for a bundle only under
 * the ledger's write lock once no deposit names it (a receive of the same
 * bytes may have stored the same name and be recording it). */
escrow_status esc_store_put(escrow_vault *v, const char *src, struct esc_stored *out);
/* The same for a release's evidence document: store/sha256/XX/HEX.evidence,
 * no signature taken (vault_release.c). */
escrow_status esc_store_put_evidence(escrow_vault *v, const char *src, struct esc_stored *out);
/* The same copy written from the bytes a verification reads (vault_receive.c
 * taps the reader): open a temporary file in VAULT/store/sha256, write to it
 * with esc_store_write (an esc_sink, called on one thread: its failures go
 * to in->wctx), then commit it under the digest of those bytes (fsync,
 * rename, folders synced, src.minisig beside it); esc_store_abort then
 * frees it, and removes the temporary file when it was not committed. */
struct esc_incoming {
	char *top, *tmp;
	int fd;
	struct esc_outsink *out; /* direct writes, write-behind (io_sink_fd.c) */
	escrow_ctx *wctx;      /* the writer's */
};
escrow_status esc_store_open(escrow_vault *v, struct esc_incoming *in);
escrow_status esc_store_write(void *in, const void *buf, size_t len);
escrow_status esc_store_commit(escrow_vault *v, struct esc_incoming *in, const char *src, const char *sha256,
                               struct esc_stored *out);
void esc_store_abort(struct esc_incoming *in);
/* Removes the detached signature stored beside s (s->minisig), and syncs its
 * folder: one made by another key than the bundle's signer, which says
 * nothing about the deposit and which every audit would fail. */
escrow_status esc_store_unsign(escrow_vault *v, struct esc_stored *s);
/* Removes what esc_store_put wrote when it was fresh; frees the strings. */
void esc_store_drop(struct esc_stored *s);
void esc_stored_free(struct esc_stored *s);

/* What a verification read of a deposit's files, kept as
 * VAULT/records/HEX.jsonl.zst (HEX the bundle's SHA-256) for the next
 * deposit's diff (vault_records.c). write: sha256 (65) the file's digest, to
 * record in the receive event. read: the side when the file is there, reads
 * and has the digest want_sha256; else *out NULL and ESCROW_OK (the bundle
 * is read instead); an error only for memory. */
struct esc_diff_side;
escrow_status esc_records_write(escrow_vault *v, const struct esc_diff_side *s, const char *bundle_sha256,
                                char sha256[65]);
escrow_status esc_records_read(escrow_vault *v, const char *bundle_sha256, const char *want_sha256,
                               struct esc_diff_side **out);

/* The signer and the contract a detached signature's trusted comment names
 * (vault_receive_hint.c); false when it has none, both NULL. Untrusted. */
bool esc_receive_hint(escrow_ctx *ctx, const char *sig_path, char **contract_id, char **signer);
/* The same from a signature's text. */
bool esc_receive_hint_text(const char *text, size_t len, char **contract_id, char **signer);

/* The receipt (vault_receipt.c): the in-toto Statement for a deposit. */
struct esc_receipt_in {
	const char *bundle_name, *bundle_sha256, *resource_uri;
	const char *contract_id, *contract_sha256;
	const char *verdict;                /* escrow's */
	const json_t *deliverables;         /* {"id": "status"} */
	int64_t deposit_id;
	struct esc_event_ref head;
	const char *notary_key_id;
	const char *signer_key_id;          /* may be NULL */
	const char *vault;
	const json_t *diff;                 /* against the previous accepted deposit; may be NULL */
	const json_t *same_release;         /* esc_same_release_json; may be NULL */
};
/* Writes the receipt's JSON to path atomically, then path.minisig signed by
 * sk (docs/VAULT.md, "Receipts"). */
escrow_status esc_receipt_write(escrow_ctx *ctx, const struct esc_receipt_in *in, const escrow_seckey *sk,
                                const char *path);
/* RFC 3339 UTC of now, or of SOURCE_DATE_EPOCH when set, into buf[21]. */
void esc_vault_time(char buf[21]);
/* Loads the notary's secret key (path), unlocked with the passphrase of the
 * environment: the first line of the file ESCROW_PASSPHRASE_FILE names, else
 * ESCROW_PASSPHRASE (what the CLI takes too, docs/escrow.1), for the calls
 * that load it themselves. */
escrow_status esc_vault_load_key(escrow_ctx *ctx, const char *path, escrow_seckey **out);
/* ESCROW_OK when sk is the key the vault was made with (vault.json's
 * notary_key_id); else ESCROW_E_INPUT naming both keys and the fix: a key
 * file replaced at notary_key would sign receipts and release records that
 * name the vault's key and do not verify with it. */
escrow_status esc_vault_check_key(escrow_vault *v, const escrow_seckey *sk);

#endif
