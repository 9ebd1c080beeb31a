/* esc_minisign.h -- minisign keys and signatures (internal). Owner: minisign_*.c */
#ifndef ESC_MINISIGN_H
#define ESC_MINISIGN_H

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
 * malformed), feed the data, then final (ESCROW_BAD_SIGNATURE if wrong). */
typedef struct esc_mverify esc_mverify;
escrow_status esc_mverify_new(escrow_ctx *ctx, const escrow_pubkey *pk, const char *sig,
                              size_t sig_len, esc_mverify **out);
void esc_mverify_update(esc_mverify *v, const void *buf, size_t len);
escrow_status esc_mverify_final(escrow_ctx *ctx, esc_mverify *v, char **trusted_comment);
void esc_mverify_free(esc_mverify *v);

#endif
