/* escrow_private.h -- what the files of libescrow share. Not installed.
 * Each area has its own esc_<area>.h, included from here; the ctx, the error
 * helpers, SHA-256, the file record and the report live in this file. */
#ifndef ESCROW_PRIVATE_H
#define ESCROW_PRIVATE_H

#include "escrow.h"

#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#define ESC_ERRLEN 1024

struct escrow_ctx {
	escrow_status status;
	char err[ESC_ERRLEN];             /* the detail as formatted: outside text raw */
	char err_shown[4 * ESC_ERRLEN];   /* the same escaped (core_escape.c), for escrow_ctx_error() */
	escrow_warn_fn warn;
	void *warn_user;
	escrow_progress_fn progress;
	void *progress_user;
	escrow_progress_ex_fn progress_ex;
	void *progress_ex_user;
	unsigned pg_phase;                /* the phase of the last detailed call, 0 after its end */
	uint64_t pg_files, pg_bytes;      /* its counters */
	int threads;                      /* 0: all cores */
	/* Set by escrow_ctx_interrupt(), from a signal handler, read by worker
	 * threads: a lock-free atomic is both async-signal-safe and race-free. */
	atomic_int interrupted;
};
_Static_assert(ATOMIC_INT_LOCK_FREE == 2, "escrow_ctx_interrupt() needs a lock-free atomic int");

/* Records st and several messages (the contract parser's, up to 20): the
 * detail escrow_ctx_error() gives is each line escaped, joined by newlines. */
escrow_status esc_error_lines(escrow_ctx *ctx, escrow_status st, char *const *lines, size_t n);
/* vsnprintf that keeps an overlong message's head and tail around " ... ". */
void esc_vclip(char *dst, size_t cap, const char *fmt, va_list ap);
void esc_clipf(char *dst, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Records st and a printf-style detail on ctx; returns st so callers can
 * write `return esc_error(ctx, ESCROW_E_IO, "%s: %s", path, strerror(errno));` */
escrow_status esc_error(escrow_ctx *ctx, escrow_status st, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* SOURCE_DATE_EPOCH (reproducible-builds.org): *have and *epoch when it is
 * set to a number of seconds up to ESC_EPOCH_MAX, *have false when unset or
 * empty, ESCROW_E_USAGE naming it when it is anything else. */
#define ESC_EPOCH_MAX 253402300799LL /* 9999-12-31T23:59:59Z */
escrow_status esc_source_date_epoch(escrow_ctx *ctx, bool *have, int64_t *epoch);
/* ESCROW_E_NOMEM with the one message for it: `return esc_nomem(ctx);`. */
escrow_status esc_nomem(escrow_ctx *ctx);
/* 1 in an AddressSanitizer or MemorySanitizer build (GCC and clang say it
 * differently), whose malloc watches every byte's bounds. */
#if defined(__SANITIZE_ADDRESS__)
#define ESC_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define ESC_SANITIZED 1
#endif
#endif
#ifndef ESC_SANITIZED
#define ESC_SANITIZED 0
#endif
/* A buffer of n bytes for bulk data (core_mem.c): from 1.75 MiB on, mapped
 * on a 2 MiB boundary, in huge pages where the kernel can; freed with
 * esc_big_free only. The realloc keeps the first `used` bytes. NULL when out
 * of memory. */
void *esc_big_alloc(size_t n);
void *esc_big_realloc(void *p, size_t used, size_t n);
void esc_big_free(void *p);
/* libzstd's contexts, their buffers allocated as above (ZSTD_freeCCtx,
 * ZSTD_freeDCtx as usual). A DCtx is a DStream too. */
struct ZSTD_CCtx_s *esc_zstd_cctx(void);
struct ZSTD_DCtx_s *esc_zstd_dctx(void);
/* A library opened at run time (core_dl.c): soname, and the n functions
 * named, whose addresses esc_dl_load puts in fns (call them cast to their
 * own type). Loaded once, by the first call, under a lock; false, with
 * error saying why, when the library or a function is not there. */
typedef void (*esc_dl_fn)(void);
struct esc_dl {
	const char *soname;
	const char *const *names;
	size_t n;
	esc_dl_fn *fns;
	bool tried;
	char error[256];
};
bool esc_dl_load(struct esc_dl *d);
/* printf into a malloc'd string (free with free()); NULL when out of memory.
 * The one way the library formats into memory: no sprintf into buffers sized
 * by hand. */
char *esc_strf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* "dir/name" malloc'd (dir "" gives name); NULL when out of memory. */
char *esc_path_join(const char *dir, const char *name);
/* Prepends "prefix: " to the current detail (for adding a file name). */
void esc_error_prefix(escrow_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void esc_clear_error(escrow_ctx *ctx);
/* The detail as formatted, outside text not escaped: for the library's own
 * use (report JSON, a message nested in another). escrow_ctx_error() gives
 * the escaped form people see. */
const char *esc_ctx_message(const escrow_ctx *ctx);
/* Delivers a warning through the callback, if any, escaped (core_escape.c). */
void esc_warn(escrow_ctx *ctx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void esc_progress(escrow_ctx *ctx, uint64_t done, uint64_t total);
/* The detailed progress callback (escrow_ctx_set_progress_ex), thinned out:
 * passed on at a phase's start, when files grew by 256 or bytes by 1 MiB
 * since the last call, and always with ESCROW_PROGRESS_END in phase. Call
 * from the thread that made the library call only. */
void esc_progress_ex(escrow_ctx *ctx, unsigned phase, const char *subject, uint64_t files, uint64_t files_total,
                     uint64_t bytes, uint64_t bytes_total);
/* ESCROW_E_INTERRUPTED if escrow_ctx_interrupt() was called, else ESCROW_OK. */
escrow_status esc_check_interrupt(escrow_ctx *ctx);
/* Whether escrow_ctx_interrupt() was called on ctx (NULL: false); any thread. */
bool esc_interrupted(const escrow_ctx *ctx);
/* Threads to use: ctx->threads, or the number of online cores. */
int esc_threads(const escrow_ctx *ctx);

/* ---- SHA-256 (OpenSSL EVP: SHA-NI) ---- */
typedef struct esc_sha256 esc_sha256;
esc_sha256 *esc_sha256_new(void);                 /* NULL on ENOMEM */
void esc_sha256_reset(esc_sha256 *h);
void esc_sha256_update(esc_sha256 *h, const void *buf, size_t len);
void esc_sha256_final(esc_sha256 *h, uint8_t out[32]); /* then reset() to reuse */
void esc_sha256_free(esc_sha256 *h);
void esc_sha256_buf(const void *buf, size_t len, uint8_t out[32]);

/* ---- bulk crypto over whole bundles (crypto_bulk.c, OpenSSL EVP) ---- */
/* libcrypto's code, or libsodium's where libcrypto refuses (FIPS mode);
 * esc_bulk_force_sodium (tests) takes libsodium's always. */
extern bool esc_bulk_force_sodium;
typedef struct esc_blake2b esc_blake2b;            /* unkeyed BLAKE2b-512 */
esc_blake2b *esc_blake2b_new(void);                /* NULL on ENOMEM */
void esc_blake2b_update(esc_blake2b *h, const void *buf, size_t len);
int esc_blake2b_final(esc_blake2b *h, uint8_t out[64]); /* 0 ok, -1 failed (out zeroed) */
void esc_blake2b_free(esc_blake2b *h);
typedef struct esc_aead esc_aead;                  /* ChaCha20-Poly1305 IETF, one key */
esc_aead *esc_aead_new(const uint8_t key[32], int encrypt); /* NULL on failure */
/* out gets len + 16 bytes (ciphertext, tag). 0 ok, -1 failure. */
int esc_aead_seal(esc_aead *a, uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12]);
/* in is ciphertext and tag (len >= 16); out gets len - 16 bytes, wiped when
 * the tag does not match. 0 ok, -1 does not authenticate. */
int esc_aead_open(esc_aead *a, uint8_t *out, const uint8_t *in, size_t len, const uint8_t nonce[12]);
void esc_aead_free(esc_aead *a);

void esc_hex(const uint8_t *bin, size_t len, char *out);          /* out: 2*len+1 */
int esc_unhex(const char *hex, size_t hexlen, uint8_t *out, size_t outlen); /* 0 ok, -1 bad */
int esc_hex_digit(int c);                                 /* 0..15, or -1 */

/* ---- the file record shared by pack, verify, check and the contract ---- */
enum esc_ftype { ESC_FT_FILE = 0, ESC_FT_DIR = 1, ESC_FT_SYMLINK = 2 };

/* What only symlinks have: one record each, so that the million plain files
 * do not carry two pointers they never use. */
struct esc_link {
	char *target;          /* the link text */
	char *resolved;        /* what it points to, relative to the root (walk; verify once resolved) */
	bool timed;            /* reader: manifest.json signs its mtime, which extract then gives it */
};

/* What the verdict needs of a file's inspection, kept for every file in the
 * room the file record has anyway (6 bytes). The texts (why a format failed,
 * a pickle's imports, secret lines, ONNX external data) are kept apart, in
 * the list's notes (tree_notes.c), within a bound. */
enum {
	ESC_FND_INSPECTED = 1u << 0,   /* its content was inspected */
	ESC_FND_WANTED_OK = 1u << 1,   /* its bytes pass `wanted` */
	ESC_FND_LFS = 1u << 2,         /* a Git LFS pointer */
	ESC_FND_TF_INDEX_OK = 1u << 3, /* variables.index ending with the TF table magic */
	ESC_FND_EXTERNAL = 1u << 4,    /* ONNX external data (its location is in the notes) */
	ESC_FND_LEFT_OUT = 1u << 5,    /* its texts were left out (notes over their bound) */
	ESC_FND_PICKLE_SHIFT = 6       /* two bits: enum esc_pickle_verdict */
};
struct esc_fnd {
	uint8_t detected;      /* enum esc_format its bytes pass by content */
	uint8_t wanted;        /* enum esc_format the contract asked for */
	uint8_t bits;          /* ESC_FND_* */
	uint8_t also;          /* the formats a file may pass besides `detected` that it passes (esc_fnd_also) */
	uint16_t n_secrets;    /* possible secrets found (saturates at 65535; the notes keep the count) */
};
static inline unsigned esc_fnd_pickle(const struct esc_fnd *d)
{
	return (unsigned)(d->bits >> ESC_FND_PICKLE_SHIFT) & 3u;
}

struct esc_file {        /* 80 bytes, fields ordered for size: a million of these are kept */
	char *path;            /* relative to data/, '/'-separated, no trailing '/' */
	uint64_t size;         /* regular files */
	int64_t mtime;
	struct esc_link *link; /* symlinks (may be NULL while a symlink is being read); else NULL */
	uint8_t sha256[32];    /* files: content; symlinks: the file they resolve to */
	uint32_t note;         /* 1 + where its texts are in the list's notes; 0: none */
	struct esc_fnd fnd;    /* findings; fnd.bits 0: not inspected */
	uint16_t mode;         /* 0644/0755 files, 0755 dirs */
	uint8_t type;          /* enum esc_ftype */
	uint8_t kind;          /* enum esc_kind: esc_kind_name() gives the string */
	bool has_sha256;
	bool link_to_dir;      /* symlinks: the target is a folder (not in manifest-sha256.txt) */
};
_Static_assert(sizeof(void *) != 8 || sizeof(struct esc_file) == 80, "a million file records are kept: 80 bytes each");
/* The kinds of files (formats/fmt_kind.c's strings) as a byte: ESC_KIND_NONE is
 * "not set" (NULL). esc_kind_of(NULL) is ESC_KIND_NONE. */
enum esc_kind { ESC_KIND_NONE = 0, ESC_KIND_CODE, ESC_KIND_MODEL, ESC_KIND_DATA, ESC_KIND_DOCS, ESC_KIND_PROMPTS,
                ESC_KIND_CONFIG, ESC_KIND_PIPELINE, ESC_KIND_OTHER };
uint8_t esc_kind_of(const char *kind);
const char *esc_kind_name(uint8_t kind);            /* NULL for ESC_KIND_NONE */
/* The link's text and resolved path, or NULL (not a symlink, or not known). */
static inline const char *esc_file_target(const struct esc_file *f)
{
	return f->link != NULL ? f->link->target : NULL;
}
static inline const char *esc_file_resolved(const struct esc_file *f)
{
	return f->link != NULL ? f->link->resolved : NULL;
}
void esc_file_clear(struct esc_file *f);
/* What to do about a file or folder of the project that cannot be opened
 * for want of permission (errno e); "" for any other failure. */
static inline const char *esc_unreadable_fix(int e)
{
	return e == EACCES || e == EPERM ? " (make it readable by this user, or leave it out with -x)" : "";
}

/* A growable array of file records. */
struct esc_notes;
struct esc_files {
	struct esc_file *v;
	size_t n, cap;
	struct esc_notes *notes; /* the records' findings texts (tree_notes.c), NULL until one is kept */
};
struct esc_file *esc_files_push(struct esc_files *fs); /* zeroed slot, NULL on ENOMEM */
void esc_files_free(struct esc_files *fs);              /* the records and their notes */
void esc_files_sort(struct esc_files *fs);             /* bytewise by path */

/* ---- reports ---- */
/* A byte count for people: "812 bytes", "2.2 MiB" (report_text.c). */
void esc_human_size(uint64_t n, char *out, size_t len);
/* list's files, kept as the reader's records (bundle_list.c takes them) rather than
 * a JSON object each, and written straight into the renderings
 * (report_files.c): a million objects took over a gigabyte. */
struct esc_listing {
	struct esc_file *v;    /* the records; their strings live in arena */
	size_t n;
	char **arena;
	size_t n_arena;
	const char **kind;     /* per record: the kind shown (static string) or NULL */
	uint8_t *format;       /* per record: enum esc_format (ESC_FMT_NONE: null) */
	uint32_t *deliv;       /* per record: index in ids, UINT32_MAX for none; NULL: all none */
	char **ids;            /* the deliverables' ids */
	size_t n_ids;
};
void esc_listing_free(struct esc_listing *l);

struct escrow_report {
	escrow_status status;
	json_t *root;          /* the JSON document; text rendering is made from it */
	struct esc_listing *list; /* list: "files", an empty array in root stands for it */
};

/* A rendering on its way out (report_out.c): bytes handed to fn in pieces
 * of about ESC_OUT_CHUNK, or all kept in p (NUL-terminated) when fn is NULL. */
struct esc_out {
	escrow_write_fn fn;
	void *user;
	char *p;
	size_t n, cap;
	escrow_status st;      /* ESCROW_E_NOMEM or ESCROW_E_IO once something failed */
};
#define ESC_OUT_CHUNK 65536u
void esc_out_put(struct esc_out *o, const void *s, size_t len);
/* Room for len more bytes and the NUL; false (o->st set) when out of memory. */
bool esc_out_reserve(struct esc_out *o, size_t len);
void esc_out_flush(struct esc_out *o);
/* The JSON rendering (report.c) and the text one (report_text.c) into o. */
void esc_report_json_out(const escrow_report *r, struct esc_out *o);
void esc_report_text_out(const escrow_report *r, struct esc_out *o);
/* list's "files" array as json_dumps(JSON_INDENT(2) | JSON_SORT_KEYS) of the
 * report writes it at the top level, then esc_json_safe(): from '[' to ']'. */
void esc_listing_json(const struct esc_listing *l, struct esc_out *o);
escrow_report *esc_report_new(const char *command);   /* NULL on ENOMEM */
/* Sets key to the time of the run, UTC RFC 3339 ("2026-12-06T07:00:00Z"):
 * SOURCE_DATE_EPOCH when set (reproducible reports), else the clock. */
void esc_report_stamp(escrow_report *r, const char *key);
/* Appends a warning {"file","line","message"} (file/line may be NULL/0). */
void esc_report_warn(escrow_report *r, const char *file, unsigned line, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* ---- small utilities ---- */
/* Reads a whole small file (at most max bytes) into a malloc'd NUL-terminated
 * buffer. ESCROW_E_OPEN if it cannot be opened, ESCROW_E_INPUT if larger. */
escrow_status esc_read_small_file(escrow_ctx *ctx, const char *path, size_t max, char **out, size_t *len);
/* The same from fd, open for reading (closed whatever happens); path names
 * it in messages (a file opened with openat from a folder's descriptor). */
escrow_status esc_read_small_fd(escrow_ctx *ctx, int fd, const char *path, size_t max, char **out, size_t *len);
/* Reads a small secret file (at most max bytes) straight into sodium memory
 * (free with sodium_free), so no copy of a key lingers in the ordinary heap;
 * also used for minisign secret keys. what names the file kind in messages. */
escrow_status esc_read_secret_file(escrow_ctx *ctx, const char *path, size_t max, const char *what, char **out,
                                   size_t *len);
/* Atomic output: creates a temporary file beside path (O_EXCL, mode),
 * fills *tmp_path (malloc'd) and returns the fd; esc_atomic_commit renames
 * it into place (refusing to replace an existing file unless force);
 * esc_atomic_abort unlinks it. */
escrow_status esc_atomic_open(escrow_ctx *ctx, const char *path, int mode, unsigned flags,
                              int *fd, char **tmp_path);
escrow_status esc_atomic_commit(escrow_ctx *ctx, int fd, const char *tmp_path, const char *path,
                                unsigned flags);
void esc_atomic_abort(int fd, const char *tmp_path);
/* Temporary outputs (io_tmp.c): DIR/.BASE.escrow-tmp.HOST.PID.RANDOM beside
 * path, a file (O_EXCL, mode) or a folder, locked with flock() on the
 * returned fd for as long as it stays open. Removes first the temporaries of
 * the same path whose process is gone, and warns about each one it removes or
 * keeps. *tmp_path is malloc'd. */
escrow_status esc_tmp_create(escrow_ctx *ctx, const char *path, bool folder, int mode, int *fd,
                             char **tmp_path);
void esc_tmp_sweep(escrow_ctx *ctx, const char *path);
/* Removes everything inside the folder open at fd (left open), never
 * following a symlink nor leaving fd's device, with two more descriptors at
 * most whatever the depth. Best effort: it stops at the first folder it cannot
 * enter or remove. */
void esc_tmp_empty_dir(int fd);
/* Writes all of buf to fd, retrying short writes; ESCROW_E_IO with what. */
escrow_status esc_write_all(escrow_ctx *ctx, int fd, const void *buf, size_t len, const char *what);
/* A key pair: the secret file (mode 0600) and the public one (0644, it is
 * public), both written before either is put in place. If the public one
 * cannot be, the secret one is taken back (restored when it replaced one
 * under ESCROW_FORCE): a good pair is never left half replaced. */
escrow_status esc_write_key_pair(escrow_ctx *ctx, const char *sec_path, const void *sec, size_t sec_len,
                                 const char *pub_path, const void *pub, size_t pub_len, unsigned flags);

/* A byte sink: the pipelines are chains of sinks (tar -> zstd -> age -> file). */
struct esc_sink {
	escrow_status (*write)(void *state, const void *buf, size_t len);
	void *state;
};

#include "esc_escape.h"
#include "esc_minisign.h"
#include "esc_age.h"
#include "esc_contract.h"
#include "esc_formats.h"
#include "esc_notes.h"
#include "esc_bundle.h"
#include "esc_walk.h"

#endif
