/* esc_age.h -- age v1 (X25519 recipients), streaming (internal). Owner: age_*.c */
#ifndef ESC_AGE_H
#define ESC_AGE_H

#define ESC_AGE_MAGIC "age-encryption.org/v1\n"
#define ESC_AGE_FILE_KEY_LEN 16
#define ESC_AGE_NONCE_LEN 16
#define ESC_AGE_CHUNK 65536u                 /* plaintext bytes per STREAM chunk */
#define ESC_AGE_TAG 16u                      /* ChaCha20-Poly1305 tag */
#define ESC_AGE_ENC_CHUNK (ESC_AGE_CHUNK + ESC_AGE_TAG)
#define ESC_AGE_MAX_HEADER (1u << 20)        /* we refuse longer headers */
#define ESC_AGE_MAX_STANZAS 4096u
#define ESC_AGE_MAX_KEYFILE (1u << 20)       /* identity and recipient files */

/* X25519 key pairs, allocated whole with sodium_malloc (guarded, wiped). */
struct esc_age_identity {
	uint8_t sk[32];
	uint8_t pk[32];
};
struct escrow_identities {
	size_t n, cap;
	struct esc_age_identity v[]; /* flexible; the block is sodium_malloc'd */
};
struct escrow_recipients {
	size_t n, cap;
	uint8_t (*pk)[32];
};

/* ---- bech32 (BIP173 checksum; no length limit unless max_len != 0) ---- */
/* Encodes data (8-bit bytes) as hrp "1" data-in-5-bit checksum; out must hold
 * strlen(hrp) + 1 + (len*8+4)/5 + 6 + 1. upper: emit uppercase. 0 ok, -1 bad. */
int esc_bech32_encode(char *out, size_t outmax, const char *hrp, const uint8_t *data, size_t len,
                      int upper);
/* Decodes a bech32 string (rejects mixed case). hrp receives the human part
 * as written (case kept); data the 8-bit bytes. Returns the byte count or -1.
 * With data NULL only the checksum is checked and the 5-bit count returned. */
long esc_bech32_decode(const char *s, size_t slen, size_t max_len, char *hrp, size_t hrpmax,
                       uint8_t *data, size_t datamax);

/* ---- HKDF-SHA-256 (RFC 5869) over libsodium's HMAC ---- */
/* out_len <= 255*32. salt may be NULL (then 32 zero bytes). */
void esc_hkdf_sha256(uint8_t *out, size_t out_len, const uint8_t *salt, size_t salt_len,
                     const uint8_t *ikm, size_t ikm_len, const char *info, size_t info_len);

/* ---- keys ---- */
/* "age1..." of a public key; out holds at least 63 bytes. */
void esc_age_recipient_string(const uint8_t pk[32], char out[64]);
/* "AGE-SECRET-KEY-1..." (into sodium memory of the caller); out >= 75 bytes. */
void esc_age_identity_string(const uint8_t sk[32], char out[80]);
/* 0 and pk set if s is an age1 recipient; -1 otherwise. */
int esc_age_parse_recipient(const char *s, size_t len, uint8_t pk[32]);
/* Appends a secret key (pk derived); ESCROW_E_NOMEM on failure. */
escrow_status esc_identities_push(escrow_ctx *ctx, escrow_identities **ids, const uint8_t sk[32]);

/* ---- the header ---- */
/* Unpadded, canonical standard base64, as age writes it (in codec_base64.c). */
int esc_age_b64_decode(const char *in, size_t inlen, uint8_t *out, size_t outmax, size_t *outlen);
void esc_age_b64_encode(const uint8_t *bin, size_t len, char *out); /* NUL-terminates */

struct esc_age_stanza {
	int x25519;            /* 1: an X25519 stanza (validated) */
	uint8_t share[32];
	uint8_t body[32];      /* wrapped file key */
};
/* A header parsed push-style; name is used in messages. */
struct esc_age_header {
	const char *name;
	uint8_t *raw;          /* the bytes seen so far, up to the end of the header */
	size_t len, cap;
	size_t line_start;     /* start of the line being parsed */
	int state;
	int done;              /* the footer line has been read */
	size_t mac_end;        /* offset just past "---": what the MAC covers */
	uint8_t mac[32];
	struct esc_age_stanza *st;
	size_t nst, capst;
	size_t n_scrypt;
	size_t body_len;       /* bytes of the stanza body being read */
	int cur_is_x25519;
};
void esc_age_header_init(struct esc_age_header *h, const char *name);
void esc_age_header_clear(struct esc_age_header *h);
/* Consumes bytes up to the end of the header; *used says how many. When
 * h->done becomes 1 the rest of buf is payload. ESCROW_E_INPUT if malformed. */
escrow_status esc_age_header_push(escrow_ctx *ctx, struct esc_age_header *h, const uint8_t *buf,
                                  size_t len, size_t *used);
/* The file key from the first stanza an identity opens, then the MAC check.
 * ESCROW_NO_IDENTITY, ESCROW_E_INPUT (bad stanza) or ESCROW_TAMPERED (MAC). */
escrow_status esc_age_header_open(escrow_ctx *ctx, const struct esc_age_header *h,
                                  const escrow_identities *ids, uint8_t file_key[ESC_AGE_FILE_KEY_LEN]);
/* A new header (stanzas for rs + MAC), malloc'd. */
escrow_status esc_age_header_build(escrow_ctx *ctx, const escrow_recipients *rs,
                                   const uint8_t file_key[ESC_AGE_FILE_KEY_LEN], uint8_t **out,
                                   size_t *out_len);

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
 * bad MAC, a bad chunk, truncation or data after the final chunk,
 * ESCROW_E_INPUT on a malformed header (or a stream that ends inside the
 * header or the nonce, as the CCTV vectors classify it). Each chunk is
 * authentic when passed on, but the stream as a whole is proven only when
 * finish() returns ESCROW_OK: a caller must not commit anything before. Any
 * failure is sticky: later feed()/finish() return the same status. */
typedef struct esc_age_reader esc_age_reader;
escrow_status esc_age_reader_new(escrow_ctx *ctx, const escrow_identities *ids, struct esc_sink next,
                                 esc_age_reader **out);
escrow_status esc_age_reader_feed(esc_age_reader *r, const void *buf, size_t len);
escrow_status esc_age_reader_finish(esc_age_reader *r); /* the stream ended */
void esc_age_reader_free(esc_age_reader *r);
/* Messages name this (default "age stream"); the string must outlive r. */
void esc_age_reader_set_name(esc_age_reader *r, const char *name);

/* Decryption on a thread of its own (age_thread.c): the thread pulls the
 * ciphertext from src and hands out the plaintext in order, in buffers of up
 * to 1 MiB (a few of them: memory is bounded), with the reader's guarantees:
 * only authenticated chunks, the first failure kept with its message. src.read
 * runs on that thread and reports its failures in the ctx it is given. first
 * (at most 1 MiB) is ciphertext already read; the thread takes a copy. */
struct esc_age_source {
	escrow_status (*read)(void *state, escrow_ctx *ctx, uint8_t *buf, size_t max, size_t *got); /* 0: end */
	void *state;
};
typedef struct esc_age_thread esc_age_thread;
escrow_status esc_age_thread_start(escrow_ctx *ctx, const escrow_identities *ids, const char *name,
                                   struct esc_age_source src, const void *first, size_t first_len,
                                   esc_age_thread **out);
/* The next plaintext buffer (valid until the next call); 0 at the end of a
 * stream that finished well, -1 on a failure (esc_age_thread_status tells). */
long esc_age_thread_next(esc_age_thread *t, const void **buf);
/* The same, waiting at most ms milliseconds (ms < 0: no limit): -2 when
 * nothing came in time. */
long esc_age_thread_next_wait(esc_age_thread *t, const void **buf, int ms);
/* ESCROW_OK, or the thread's failure with its message copied into ctx. */
escrow_status esc_age_thread_status(escrow_ctx *ctx, esc_age_thread *t);
/* Stops the thread (it may be waiting for room or for input) and frees all. */
void esc_age_thread_free(esc_age_thread *t);

/* 1 if buf (at least a few bytes) starts like an age v1 file. */
int esc_age_detect(const void *buf, size_t len);

#endif
