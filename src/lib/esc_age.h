/* esc_age.h -- age v1 (X25519 recipients), streaming (internal). Owner: age_*.c */
#ifndef ESC_AGE_H
#define ESC_AGE_H

#define ESC_AGE_MAGIC "age-encryption.org/v1\n"
#define ESC_AGE_FILE_KEY_LEN 16

/* Encryption as a sink: bytes written go out, encrypted, to `next`.
 * new() writes the header and the nonce to next; finish() writes the last
 * chunk. No plaintext is ever written to next. */
typedef struct esc_age_writer esc_age_writer;
escrow_status esc_age_writer_new(escrow_ctx *ctx, const escrow_recipients *rs, struct esc_sink next,
                                 esc_age_writer **out);
escrow_status esc_age_writer_write(void *w, const void *buf, size_t len); /* esc_sink-compatible */
escrow_status esc_age_writer_finish(esc_age_writer *w);
void esc_age_writer_free(esc_age_writer *w);

/* Decryption, push style: feed ciphertext as it arrives; plaintext goes to
 * `next` one authenticated chunk at a time (never an unauthenticated byte).
 * ESCROW_NO_IDENTITY when no identity opens the header, ESCROW_TAMPERED on a
 * bad MAC, a bad chunk or truncation, ESCROW_E_INPUT on a malformed header. */
typedef struct esc_age_reader esc_age_reader;
escrow_status esc_age_reader_new(escrow_ctx *ctx, const escrow_identities *ids, struct esc_sink next,
                                 esc_age_reader **out);
escrow_status esc_age_reader_feed(esc_age_reader *r, const void *buf, size_t len);
escrow_status esc_age_reader_finish(esc_age_reader *r); /* the stream ended */
void esc_age_reader_free(esc_age_reader *r);

/* 1 if buf (at least a few bytes) starts like an age v1 file. */
int esc_age_detect(const void *buf, size_t len);

#endif
