/* esc_minisign.h -- minisign keys and signatures (internal). Owner: minisign_*.c */
#ifndef ESC_MINISIGN_H
#define ESC_MINISIGN_H

/* Sizes of minisign's binary blobs (see minisign's src/minisign.h). */
#define ESC_MKEYID_LEN 8
#define ESC_MPUB_BLOB 42   /* "Ed" || key id || Ed25519 public key */
#define ESC_MSEC_BLOB 158  /* "Ed" kdf "B2" salt ops mem || key id || sk || chk */
#define ESC_MSIG_BLOB 74   /* "ED" or "Ed" || key id || signature */
#define ESC_MKEY_MAX 4096  /* key files are two short lines */

struct escrow_pubkey {
	uint8_t id[ESC_MKEYID_LEN];
	uint8_t pk[32];
	char *file; /* escrow_pubkey_load's path, for reports; NULL when parsed from text.
	            * Owned by the escrow_pubkey_free'd object: copies by value never free it. */
};

/* Allocated whole with sodium_malloc: guarded, locked, wiped by sodium_free. */
struct escrow_seckey {
	uint8_t id[ESC_MKEYID_LEN];
	uint8_t sk[64]; /* Ed25519 seed || public key */
};

/* One line of a text file; nl says whether it ended in '\n'. */
struct esc_mline {
	const char *s;
	size_t len;
	bool nl;
};
/* Next line at *pos; false at the end of the text. */
bool esc_mline_next(const char *text, size_t len, size_t *pos, struct esc_mline *line);
/* Drops a '\r' that ends the line. minisign reads a signature's lines with
 * their CR LF ends (a .minisig saved on Windows, or checked out by git with
 * autocrlf), and the global signature covers the comment without it. */
void esc_mline_drop_cr(struct esc_mline *line);
/* The key id: %016llX of the little-endian u64 (minisign prints the same
 * number without leading zeros). */
void esc_mkeyid_hex(const uint8_t id[ESC_MKEYID_LEN], char out[17]);

/* Parsers behind the _load functions; name is used in messages. */
escrow_status esc_pubkey_parse_named(escrow_ctx *ctx, const char *name, const char *text, size_t len,
                                     escrow_pubkey **out);
escrow_status esc_seckey_parse(escrow_ctx *ctx, const char *name, const char *text, size_t len,
                               const char *passphrase, escrow_seckey **out);
/* Test knob: scrypt limits used by escrow_keygen (0, 0 restores minisign's
 * _SENSITIVE limits). Only unit tests call it, to keep them fast. */
void esc_mkey_set_kdf_limits(uint64_t opslimit, uint64_t memlimit);

/* Standard base64 with '=' padding (minisign). */
size_t esc_b64_encoded_len(size_t binlen);                    /* without NUL */
void esc_b64_encode(const uint8_t *bin, size_t len, char *out); /* NUL-terminates */
/* Strict decode: returns decoded length or -1 on bad alphabet, padding, length. */
long esc_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax);

/* Streaming minisign signer ("ED": Ed25519 over BLAKE2b-512 of the data). */
typedef struct esc_msign esc_msign;
escrow_status esc_msign_new(escrow_ctx *ctx, const escrow_seckey *sk, esc_msign **out);
void esc_msign_update(esc_msign *s, const void *buf, size_t len);
/* Produces the four-line .minisig text (malloc'd, NUL-terminated). */
escrow_status esc_msign_final(escrow_ctx *ctx, esc_msign *s, const char *trusted_comment,
                              char **sig, size_t *sig_len);
void esc_msign_free(esc_msign *s);

/* Streaming verification: parse the signature text first (ESCROW_E_INPUT if
 * malformed), feed the data, then final (ESCROW_BAD_SIGNATURE if wrong).
 * A signature by another key is ESCROW_BAD_SIGNATURE already at _new. A
 * legacy "Ed" signature (minisign -l) covers the raw data: its Ed25519
 * SHA-512 is fed the stream instead of the BLAKE2b prehash. Lines may end
 * in CR LF, as minisign reads them. */
typedef struct esc_mverify esc_mverify;
escrow_status esc_mverify_new(escrow_ctx *ctx, const escrow_pubkey *pk, const char *sig,
                              size_t sig_len, esc_mverify **out);
/* Same, with the signature's file name in messages ("signature" otherwise). */
escrow_status esc_mverify_new_named(escrow_ctx *ctx, const char *name, const escrow_pubkey *pk,
                                    const char *sig, size_t sig_len, esc_mverify **out);
void esc_mverify_update(esc_mverify *v, const void *buf, size_t len);
escrow_status esc_mverify_final(escrow_ctx *ctx, esc_mverify *v, char **trusted_comment);
void esc_mverify_free(esc_mverify *v);
/* The key id a signature's second line names, checking nothing else: false
 * when the text has no such line. Tells a signature by another key (another
 * vault's receipt) from one whose data or signature was altered. */
bool esc_msig_key_id(const char *sig, size_t sig_len, uint8_t id[ESC_MKEYID_LEN]);

/* Which kind of key file a loader wants (minisign_keykind.c). */
enum esc_key_want { ESC_WANT_MINISIGN_PUB, ESC_WANT_MINISIGN_SEC, ESC_WANT_AGE_IDENTITY, ESC_WANT_AGE_RECIPIENT };
/* ESCROW_E_INPUT naming what the file is when its first lines show another
 * kind of key file than want ("notary.age.pub is an age recipient (a public
 * key), not a minisign public key ..."); ESCROW_OK when it is of that kind
 * or unknown (the loader then says what is wrong with it). */
escrow_status esc_key_kind_check(escrow_ctx *ctx, const char *name, const char *text, size_t len,
                                 enum esc_key_want want);

#endif
