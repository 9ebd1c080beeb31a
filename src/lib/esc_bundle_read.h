/* esc_bundle_read.h -- the bundle reader shared by verify, extract and list
 * (internal). Owner: bundle_read*.c, zstd_read.c, bundle_verify.c, bundle_extract.c, bundle_list.c.
 *
 * The pipeline: a second thread reads the file, opens age (sealed bundles),
 * decompresses zstd (independent frames on worker threads, the others
 * itself) and hands 1 MiB buffers through a small bounded queue to
 * the main thread, which reads the tar with escrow's own strict parser, checks each entry's
 * path before anything else, hashes and inspects payload files as they stream
 * by and keeps the (bounded) tag files; at the end it checks the signature,
 * the tag manifest and the manifests against what it hashed. */
#ifndef ESC_BUNDLE_READ_H
#define ESC_BUNDLE_READ_H

#include "escrow_private.h"

#include <stdio.h>
#include <zstd.h>

/* ---- zstd frames, strictly (zstd_read.c) ---- */
/* Every frame must carry a content checksum and no dictionary; skippable
 * frames and bytes after the last frame are rejected (ESCROW_TAMPERED). */
typedef struct esc_zread esc_zread;
escrow_status esc_zread_new(escrow_ctx *ctx, const char *name, esc_zread **out);
/* Decompresses from in into out until in is used up or out is full. */
escrow_status esc_zread_step(esc_zread *z, ZSTD_inBuffer *in, ZSTD_outBuffer *out);
/* The input ended: ESCROW_TAMPERED unless it ended on a frame boundary
 * after at least one frame. */
escrow_status esc_zread_end(esc_zread *z);
void esc_zread_free(esc_zread *z);
/* on: esc_zread_step returns at the end of each frame, leaving the next
 * frame's bytes in the input (the parallel reader decodes some frames
 * elsewhere). */
void esc_zread_one_frame(esc_zread *z, bool on);
/* Between two frames: the next byte begins a frame, none of it taken yet. */
bool esc_zread_at_boundary(const esc_zread *z);
/* A frame of len compressed bytes was checked and decoded elsewhere: counts
 * it, so that messages keep naming offsets in the whole stream. */
void esc_zread_skip(esc_zread *z, uint64_t len);

/* ---- where zstd frames end, without decoding (zstd_frames.c) ---- */
/* RFC 8878 3.1.1: the frame header, then the 3-byte block headers (raw:
 * size bytes follow, RLE: 1, compressed: size), then the checksum. Zeroed
 * (or esc_zscan_reset) before each frame. */
#define ESC_FRAME_MAX (8u << 20)     /* content a decode worker takes whole */
#define ESC_FRAME_WINDOW_MAX (1u << 25) /* zstd_read.c's window limit */
struct esc_zscan {
	int state;
	uint8_t h[18];
	size_t hn, hneed;
	uint64_t left;                   /* of the block body or the checksum */
	bool last;
	uint64_t fcs, len, bound;
};
enum esc_zscan_result {
	ESC_ZS_MORE,                     /* all of the input taken: the frame goes on */
	ESC_ZS_FRAME,                    /* *used bytes end a frame fit for a worker */
	ESC_ZS_OTHER                     /* not such a frame (no content size, larger, no checksum,
	                                  * malformed, no frame at all): zstd_read.c judges it */
};
void esc_zscan_reset(struct esc_zscan *s);
/* Walks b[0..n) of the frame under way. After ESC_ZS_FRAME, s->fcs is the
 * declared content size and s->len the frame's length. */
enum esc_zscan_result esc_zscan_step(struct esc_zscan *s, const uint8_t *b, size_t n, size_t *used);

/* ---- independent frames decoded on every core (bundle_read_frames.c) ---- */
typedef struct esc_zpar esc_zpar;
/* What the parallel reader calls, all on the producer's thread. */
struct esc_zpar_out {
	void *state;
	/* b[0..n) through the streaming decoder (zstd_read.c, one frame at a
	 * time): *used bytes taken; *boundary when it stopped at a frame's end. */
	escrow_status (*stream)(void *state, const uint8_t *b, size_t n, size_t *used, bool *boundary);
	/* The next frame in order, decoded (n may be 0): clen compressed bytes;
	 * *kept: the buffer is the consumer's until esc_zpar_release(slot). */
	escrow_status (*frame)(void *state, const uint8_t *b, size_t n, uint64_t clen, int slot, bool *kept);
	/* The run was stopped (the consumer failed, or an interrupt). */
	bool (*stopped)(void *state);
};
/* workers decoding threads, started at the first frame that fits one. */
escrow_status esc_zpar_new(escrow_ctx *ctx, int workers, const struct esc_zpar_out *o, esc_zpar **out);
/* The next slice of the compressed stream. */
escrow_status esc_zpar_feed(esc_zpar *zp, const uint8_t *b, size_t n);
/* The input ended: every frame handed over, a frame cut short streamed. */
escrow_status esc_zpar_end(esc_zpar *zp);
/* From the consumer's thread: done with the frame in slot. */
void esc_zpar_release(esc_zpar *zp, int slot);
/* Ends the workers (waits for them). */
void esc_zpar_stop(esc_zpar *zp);
void esc_zpar_free(esc_zpar *zp);

/* ---- the producer thread and queue (bundle_read_pipe.c) ---- */
enum esc_detached { ESC_DETACHED_NA = 0, ESC_DETACHED_ABSENT, ESC_DETACHED_GOOD, ESC_DETACHED_BAD,
                    ESC_DETACHED_OTHER /* made by another key (after a release: the notary's) */ };

typedef struct esc_pipe esc_pipe;
struct esc_pipe_options {
	const char *path;                    /* "-" for stdin */
	const escrow_identities *ids;        /* sealed bundles */
	const escrow_pubkey *key;            /* for BUNDLE.minisig beside a sealed bundle; may be NULL */
	const struct esc_sink *tap;          /* gets every byte read, in order, as it is read, and the
	                                      * rest of a file esc_pipe_digest reads (rewrap, vault
	                                      * receive); may be NULL */
	int workers;                         /* threads decoding independent frames: 0 = the ctx's
	                                      * (escrow_ctx_set_threads), < 0 = none, all frames on
	                                      * the producer's thread */
	bool no_digest;                      /* leave out the file's SHA-256 (esc_pipe_digest gives
	                                      * "") and the reading of the rest after a verdict */
};
/* BUNDLE.minisig beside the bundle at path (bundle_read_detached.c): ABSENT,
 * NA (a stream, or no key: reason says), OTHER or BAD (reason says), or
 * ABSENT with *mv set to a verifier to feed every byte of the file and judge
 * at the end (the caller frees it). */
enum esc_detached esc_detached_open(const char *path, const escrow_pubkey *key, esc_mverify **mv, char *reason,
                                    size_t rlen);
/* Opens the input (ESCROW_E_OPEN) and starts the thread. */
escrow_status esc_pipe_open(escrow_ctx *ctx, const struct esc_pipe_options *o, esc_pipe **out);
/* The next buffer of the decompressed tar stream (valid until the next
 * call); 0 at the end. On failure returns -1 and esc_pipe_status() tells. */
long esc_pipe_next(esc_pipe *p, const void **buf);
/* Reads to the end of the stream (after the tar's end), checking that only
 * zero bytes, at most ESC_TAR_MAX_TRAILER of them, remain after offset
 * `consumed` (the end of the two zero blocks). */
#define ESC_TAR_MAX_TRAILER 10240u
escrow_status esc_pipe_drain(escrow_ctx *ctx, esc_pipe *p, uint64_t consumed);
/* The producer's outcome; copies its message into ctx when not OK. */
escrow_status esc_pipe_status(escrow_ctx *ctx, esc_pipe *p);
bool esc_pipe_sealed(esc_pipe *p);
/* For progress, on the consumer's side: how many bytes of the input had been
 * read when the buffer last handed out was made, and the input's size
 * (ESCROW_UNKNOWN for a stream). */
void esc_pipe_position(const esc_pipe *p, uint64_t *raw, uint64_t *total);
/* Only meaningful after a successful drain. */
enum esc_detached esc_pipe_detached(const esc_pipe *p, char *reason, size_t rlen);
/* After ESCROW_NOT_A_BUNDLE from the producer: what the file looks like. */
const char *esc_pipe_looks_like(esc_pipe *p);
/* Stops the thread, reads what it left of a file (not of a stream, nor after
 * an interrupt), and gives the SHA-256 (lowercase hex) and size of every byte
 * of the input; false when it was not read to its end. Call once. */
bool esc_pipe_digest(escrow_ctx *ctx, esc_pipe *p, char hex[65], uint64_t *size);
/* Stops the thread and frees everything. */
void esc_pipe_close(esc_pipe *p);

/* ---- the tar headers (bundle_read_tar.c) ---- */
#define ESC_TAR_MAX_PATH 4096u /* a payload path (under data/) or a link target */
/* An entry's whole path is BAG/data/PATH: the bag folder is NAME-RELEASE,
 * the release at most 200 bytes and the name 200 (pack_prepare.c), or up to
 * 255 in bundles made before the default name (the source folder's own)
 * was held to that rule; so a payload path pack takes (up to
 * ESC_TAR_MAX_PATH) is up to 462 bytes longer in the tar header. */
#define ESC_TAR_MAX_BAG 456u
#define ESC_TAR_MAX_NAME (ESC_TAR_MAX_BAG + 6u + ESC_TAR_MAX_PATH)
#define ESC_NAME_MAX 255u /* bytes of one name in a path: NAME_MAX of Linux, BSD and macOS file systems */
/* One entry as its header bytes say. */
struct esc_tarent {
	char type;          /* the typeflag: '0', '2', '5' (or '1', '3', '4', '6', refused later) */
	uint32_t perm;      /* the mode field (judged by the reader) */
	uint64_t size;
	int64_t mtime;
	char *path;         /* raw bytes, NUL-terminated, a folder's trailing '/' removed */
	char *link;         /* symlinks and hard links: the target; else NULL */
	uint64_t data_off;  /* where its data starts in the tar stream */
};
/* Accepts only headers in the canonical form of FORMAT.md (the writer's):
 * types 0, 5, 2 and x (1, 3, 4, 6 pass to be named by the reader), numeric
 * fields exactly as written, uid/gid 0, no names, pax records path,
 * linkpath, size and mtime once each, zero padding. Zeroed to start. */
struct esc_tarscan {
	int state;
	uint8_t hdr[512];                /* a header split between buffers, put together */
	size_t hlen;
	const uint8_t *h;                /* the header being judged: hdr, or in place in the buffer */
	uint8_t xhdr[512];               /* the pending 'x' header */
	uint8_t pax[16384];
	size_t pax_len;
	uint8_t gen[512 + 16384 + 512];  /* what the writer makes of an entry */
	uint64_t want;
	size_t zpad;
	bool after_x, has_size, has_mtime;
	char *xpath, *xlink;
	uint64_t xsize;
	int64_t xmtime;
	uint64_t pos;                    /* bytes of the stream scanned */
	uint64_t end_off;                /* just past the first zero block, once read */
	struct esc_tarent *q;            /* entries parsed, not yet taken */
	size_t qhead, qn, qcap;
	char why[160];
};
/* The stream's next bytes, entries queued (a buffer at a time, its headers
 * all checked before any of its entries is used, as when libarchive read
 * ahead): 0, or -1 with the reason in t->why. */
int esc_tarscan_feed(struct esc_tarscan *t, const void *buf, size_t len);
bool esc_tar_zero(const void *buf, size_t n);                /* only zero bytes */
bool esc_tarscan_ended(const struct esc_tarscan *t);    /* the first zero block was read */
bool esc_tarscan_between(const struct esc_tarscan *t);  /* at a header's first byte */
bool esc_tarscan_in_data(const struct esc_tarscan *t);  /* in an entry's data or padding */
/* The oldest entry not yet taken (the caller frees path and link); false
 * when there is none. */
bool esc_tarscan_pop(struct esc_tarscan *t, struct esc_tarent *out);
void esc_tarscan_free(struct esc_tarscan *t);

/* ---- the entries and their data (bundle_read_next.c) ---- */
enum { ESC_TR_OK, ESC_TR_STREAM, ESC_TR_SCAN, ESC_TR_SHORT };
struct esc_tarrd {
	struct esc_tarscan scan;  /* sees every buffer as it arrives */
	long (*more)(void *user, const void **buf); /* the next buffer: its length, 0 at the end, -1 */
	void *user;
	const uint8_t *p;        /* what is left of the buffer read last */
	size_t n;
	uint64_t off;            /* the stream offset of p (past the end marker at the end) */
	uint64_t data_end;       /* the end of the current entry's data */
	int fail;                /* ESC_TR_*: the stream failed, the scanner refused (scan.why), it ended early */
	bool short_in_data;      /* ESC_TR_SHORT in an entry's data or padding */
	bool at_end;             /* the end marker was read */
};
/* The next entry (the caller frees path and link): 1; 0 at the end of the
 * archive (the end marker, or the stream's end at a header's first byte);
 * -1 when it failed (fail says how). */
int esc_tarrd_next(struct esc_tarrd *r, struct esc_tarent *e);
/* The current entry's data, at most max bytes of it in place (valid until
 * the next call): 1; 0 when all of it was taken; -1 when it failed. */
int esc_tarrd_data(struct esc_tarrd *r, const void **buf, size_t *len, size_t max);

/* ---- SHA-256 on a thread of its own (bundle_read_hash.c) ---- */
/* Slices of the pipe's buffers are hashed in order on another thread;
 * esc_thash_wait before the buffers they lie in are let go (the next
 * esc_pipe_next) or freed, and before a digest is read. NULL when out of
 * memory. */
typedef struct esc_thash esc_thash;
#define ESC_THASH_DIGESTS 4096u  /* digests (esc_thash_end) kept until read */
esc_thash *esc_thash_new(void);
void esc_thash_begin(esc_thash *t);                               /* waits; a new digest */
void esc_thash_update(esc_thash *t, const void *p, size_t n);     /* p stays valid until the wait */
/* The digest under way ends (the next one starts): its ticket, for
 * esc_thash_digest after a wait, while fewer than ESC_THASH_DIGESTS ends
 * followed it. */
uint64_t esc_thash_end(esc_thash *t);
const uint8_t *esc_thash_digest(const esc_thash *t, uint64_t ticket);
void esc_thash_wait(esc_thash *t);                                /* every slice hashed; NULL: nothing */
void esc_thash_final(esc_thash *t, uint8_t out[32]);              /* waits; the next digest starts */
void esc_thash_free(esc_thash *t);                                /* after a wait */

/* ---- the reader (bundle_read.c, bundle_read_check.c) ---- */
enum esc_tag {
	ESC_T_BAGIT = 0, ESC_T_BAGINFO, ESC_T_MANIFEST, ESC_T_JSON, ESC_T_CONTRACT, ESC_T_TAGMANIFEST,
	ESC_T_SIGNATURE, ESC_T_COUNT
};
struct esc_tagfile {
	bool present;
	char *buf;               /* NUL-terminated */
	size_t len;
	uint8_t sha256[32];
	int64_t mtime;
	FILE *spill;             /* streamed tag files (buf NULL): a copy, when spill_tags */
};

/* A check made while the stream goes by whose failure must wait until the
 * signature has been checked (a bad signature is the verdict then). */
struct esc_deferred {
	escrow_status st;
	char msg[ESC_ERRLEN];
};
/* manifest-sha256.txt, checked line by line as it streams by: it is never
 * kept whole (a million lines are some 100 MB). */
#define ESC_MANIFEST_LINE_MAX 16384u
struct esc_mfeed {
	char *line;                          /* ESC_MANIFEST_LINE_MAX bytes */
	size_t len;                          /* of the partial line */
	size_t next;                         /* the next record a line must name */
	unsigned lineno;
	uint64_t octets, count;              /* for Payload-Oxum */
	bool stopped;                        /* a failure was deferred: only hashing goes on */
	struct esc_deferred d;
};

/* What a caller (extract) does with payload entries as they stream by. */
struct esc_rd_hooks {
	void *user;
	/* f: path (relative to data/), type, size, mode, mtime, target. */
	escrow_status (*begin)(void *user, const struct esc_file *f);
	escrow_status (*data)(void *user, const void *buf, size_t len);
	escrow_status (*end)(void *user, const struct esc_file *f);
};

struct esc_rd {
	/* inputs */
	escrow_ctx *ctx;
	const char *path;                    /* the bundle, "-" for stdin */
	const escrow_pubkey *key;            /* NULL: signature not checked (list) */
	const escrow_contract *contract;     /* formats asked by the notary's contract */
	const escrow_identities *ids;
	const struct esc_rd_hooks *hooks;    /* may be NULL */
	const struct esc_sink *raw_tap;      /* the bundle's bytes as read (rewrap); may be NULL */
	bool spill_tags;                     /* keep copies of the streamed tag files (extract) */
	bool no_digest;                      /* ESCROW_NO_DIGEST: whole_sha256 stays "" */
	/* results */
	char *bag;                           /* the top folder (checked against manifest.json) */
	int64_t dir_mtime[3];                /* BAG/, BAG/data/, BAG/escrow/ (checked likewise) */
	struct esc_files files;              /* payload entries in tar order */
	struct esc_tagfile tags[ESC_T_COUNT];
	bool sealed;
	enum esc_detached detached;
	char detached_reason[256];
	const char *sig_status;              /* "good", "bad", "missing", "not-checked" */
	char *trusted_comment;
	char *agency;                        /* bag-info Source-Organization */
	json_t *manifest;                    /* escrow/manifest.json's top level, without "files" */
	bool want_list;                      /* keep each entry's kind and format (list) */
	const char **list_kind;              /* per record: the manifest's kind (static string) or NULL */
	uint8_t *list_format;                /* per record: enum esc_format of the manifest's format */
	uint64_t n_files, n_bytes;           /* regular payload files */
	/* the payload records' paths and link targets live in one arena of
	 * 64 KiB chunks (no allocation per string); bounded in total */
	char **arena;
	size_t n_arena;
	char *arena_cur;
	size_t arena_left;
	/* while the stream goes by, `files` is empty and the records are kept
	 * compact (bundle_read_rec.c); esc_rd_run fills `files` at its end */
	struct esc_rrec **rch;               /* chunks of records */
	size_t n_rec, rch0_cap;
	int64_t mtime_base;                  /* the first record's mtime */
	struct esc_rlink *rlink;             /* symlinks, in record order */
	size_t n_rlink, cap_rlink;
	struct esc_rbig *rbig;               /* sizes and mtimes that do not fit */
	size_t n_rbig, cap_rbig;
	struct esc_rnote *rnote;             /* findings texts of files */
	size_t n_rnote, cap_rnote;
	struct esc_files nfs;                /* only its notes: the findings texts */
	/* streamed checks (bundle_read_check.c) */
	bool links_done;                     /* symlinks resolved (esc_rd_payload_done) */
	struct esc_deferred links;           /* a symlink leads outside or to nothing */
	struct esc_mfeed mf;
	struct esc_deferred json_d;          /* manifest.json, checked as it streams by */
	bool json_files;                     /* its "files" was met */
	bool structure_ok;                   /* the stream was read to its end */
	bool integrity_ok;                   /* digests and manifests hold */
	/* what the verdict reports besides the status (bundle_verify.c) */
	bool integrity_failed;               /* bytes or structure differ: integrity_reason says how */
	char integrity_reason[512];
	char signer_id[17];                  /* the key id the signature names, "" when unknown */
	char looks_like[256];                /* ESCROW_NOT_A_BUNDLE: what the file is instead */
	char whole_sha256[65];               /* the bundle file's SHA-256, "" when not read whole */
	uint64_t whole_size;                 /* and its size in bytes */
	size_t parent_hint;                  /* esc_rd_find_parent's last answer */
};

/* The statuses that are verdicts about the bundle (a report is made), as
 * opposed to environment errors. */
static inline bool esc_is_outcome(escrow_status st)
{
	return st < ESCROW_E_USAGE || st == ESCROW_NOT_A_BUNDLE;
}

/* ---- the tag signature of an unsealed bundle, read from its last zstd
 * frame without reading the rest (bundle_peek.c) ---- */
/* The text of BAG/tagmanifest-sha256.txt.minisig (*text malloc'd); false
 * when the file is not frames end to end or holds no such entry. A hint. */
bool esc_bundle_peek_sig(const char *path, char **text, size_t *len);

/* ---- what a file that is no bundle looks like (bundle_sniff.c) ---- */
/* A short noun phrase ("a YAML file (text)", "a tar archive", "nothing (0
 * bytes)", ...) for the first n bytes of a file or stream. */
void esc_sniff(const uint8_t *b, size_t n, char *out, size_t len);
/* True when the first bytes are a zstd or age magic number cut short or with
 * one byte changed: a damaged bundle rather than some other file. */
bool esc_sniff_damaged_magic(const uint8_t *b, size_t n);
/* True when buf holds a bag's file name ("tagmanifest-sha256.txt"): a
 * stream with one is a (damaged) bundle, not some other file. */
bool esc_sniff_bag_mark(const void *buf, size_t n);

/* Reads the whole bundle. Returns ESCROW_OK when structure, signature (when
 * key is set) and every digest hold; a verification status
 * (ESCROW_TAMPERED, ESCROW_BAD_SIGNATURE, ESCROW_UNSAFE, ESCROW_NO_IDENTITY,
 * ESCROW_NOT_A_BUNDLE) with the reason in ctx; or an environment error.
 * After a bad signature the digests are still checked, so that integrity is
 * reported for what it is. esc_rd_clear frees. */
/* Zeroes rd and sets what every reading command gives it: the bundle, the
 * agency's key, the notary's contract and the identities (each may be NULL). */
void esc_rd_init(struct esc_rd *rd, escrow_ctx *ctx, const char *path, const escrow_pubkey *key,
                 const escrow_contract *contract, const escrow_identities *ids);
escrow_status esc_rd_run(struct esc_rd *rd);
void esc_rd_clear(struct esc_rd *rd);

/* The payload records (bundle_read_rec.c), while the stream goes by and
 * after: their number, record i's path and enum esc_ftype, and record i
 * whole (its link valid until the next push). */
size_t esc_rd_count(const struct esc_rd *rd);
const char *esc_rd_path(const struct esc_rd *rd, size_t i);
unsigned esc_rd_type(const struct esc_rd *rd, size_t i);
void esc_rd_get(const struct esc_rd *rd, size_t i, struct esc_file *f);
/* Appends f (its path at arena reference `path`, its link target, if any,
 * in the arena too); *idx is its index. ESCROW_E_NOMEM only. */
escrow_status esc_rd_push(struct esc_rd *rd, const struct esc_file *f, uint32_t path, size_t *idx);
/* Keeps what reading learnt of record i later: digest, findings, kind,
 * has_sha256, link_to_dir (and the note of the last record or a symlink). */
escrow_status esc_rd_put(struct esc_rd *rd, size_t i, const struct esc_file *f);
/* Record i's digest, when it came later than its esc_rd_put (bundle_read_hash.c's). */
void esc_rd_put_sha256(struct esc_rd *rd, size_t i, const uint8_t sha256[32]);
/* n bytes of the arena (64 KiB chunks), aligned to align; NULL (ctx set)
 * when out of memory. esc_rd_arena_ref gives p's reference, for a p just
 * allocated. */
void *esc_rd_arena(struct esc_rd *rd, size_t n, size_t align);
uint32_t esc_rd_arena_ref(const struct esc_rd *rd, const char *p);
/* The compact records become `files` (their links moved to the arena);
 * ESCROW_E_NOMEM (all records dropped) or OK. */
escrow_status esc_rd_records_done(struct esc_rd *rd);
/* Frees the compact records and side tables; with all, `files` too (its
 * strings are the arena's). */
void esc_rd_records_free(struct esc_rd *rd, bool all);

/* End checks over what was read (bundle_read_check.c). */
escrow_status esc_rd_check(struct esc_rd *rd);
/* The signature over the tag manifest alone: ESCROW_OK (or no key),
 * ESCROW_BAD_SIGNATURE naming both key ids, or an environment error. Sets
 * rd->sig_status and rd->signer_id. */
escrow_status esc_rd_check_signature(struct esc_rd *rd);
/* When the payload has been read: resolves the symlinks (a failure is
 * deferred into rd->links); ESCROW_E_NOMEM only. */
escrow_status esc_rd_payload_done(struct esc_rd *rd);
/* manifest-sha256.txt's bytes as they stream by, then its end. */
void esc_rd_manifest_feed(struct esc_rd *rd, const void *buf, size_t len);
void esc_rd_manifest_end(struct esc_rd *rd);
/* escrow/manifest.json against the records (bundle_read_json.c), as it
 * streams by: pull hands its blocks (0 and an empty block at its end, -1 on
 * a failure the caller keeps); one file entry at a time is parsed, so that a
 * million entries never become one big tree or one big buffer; rd->manifest
 * keeps the top-level fields without "files". A mismatch is deferred into
 * rd->json_d; returns ESCROW_E_NOMEM only. */
escrow_status esc_rd_json_stream(struct esc_rd *rd, int (*pull)(void *, const void **, size_t *), void *arg);
/* Looks in a streamed escrow/manifest.json for the "files" entry whose path
 * is `path` (relative to data/): 1 found (*type, *target and *mode
 * malloc'd, NULL when absent), 0 not (or malformed), -1 out of memory.
 * Stops at the entry: the caller drains the rest. */
int esc_rd_json_find(struct esc_rd *rd, int (*pull)(void *, const void **, size_t *), void *arg, const char *path,
                     char **type, char **target, char **mode);
/* The end checks of manifest.json (and the deferred result). */
escrow_status esc_rd_check_json(struct esc_rd *rd);
/* Index of the payload record with this path, or -1 (records are sorted). */
long esc_rd_find(const struct esc_rd *rd, const char *path);
/* The same for path[0..n) (a parent folder of an entry), trying the last
 * answer first. */
long esc_rd_find_parent(struct esc_rd *rd, const char *path, size_t n);
/* Resolves payload symlink i lexically; sets *target to the index of the file
 * or folder it ends on (-1 for the payload root). 0 ok, -1 escapes or dangles. */
int esc_rd_resolve(const struct esc_rd *rd, size_t i, long *target);

/* When the reader stops early (bundle_read_stop.c). */
struct esc_rd_head {
	const uint8_t *head;                 /* the first bytes of the tar stream */
	size_t len;
	const char *first;                   /* the first entry's path, "" if none */
	bool bag_mark;                       /* a bag file name was seen in what was read */
};
/* st (ESCROW_TAMPERED) came before any payload or tag entry: drains the
 * pipe and returns ESCROW_NOT_A_BUNDLE (rd->looks_like set) when the stream
 * ends cleanly with no bag file name in it, the pipe's failure if it has
 * one, else st with its message. */
escrow_status esc_rd_not_a_bag(struct esc_rd *rd, esc_pipe *p, const struct esc_rd_head *h, escrow_status st);
/* st (ESCROW_UNSAFE) came from entry `bad` (its full tar path, typeflag, mode and
 * link target): reads on for the tag manifest, its signature and the two
 * manifests, looking in these for bad's path only. st when the signature is
 * good and a manifest whose digest the tag manifest vouches for lists bad
 * (or the signature cannot be had, or no key); ESCROW_TAMPERED when it is
 * good and nothing signed lists bad (inserted after signing);
 * ESCROW_BAD_SIGNATURE when it does not verify. */
escrow_status esc_rd_unsafe_signed(struct esc_rd *rd, struct esc_tarrd *tr, escrow_status st,
                                   const struct esc_tarent *bad);

/* The report every reading command shares (bundle_verify.c). st is esc_rd_run's
 * verification status; a copy of ctx's message becomes the reason. */
escrow_report *esc_rd_report(struct esc_rd *rd, const char *command, escrow_status st);
/* esc_rd_run, the report, then (when intact) the contract: ESCROW_OK,
 * ESCROW_INCOMPLETE or a verification status with *report set, or an
 * environment error with *report untouched. */
escrow_status esc_rd_verify(struct esc_rd *rd, const char *command, escrow_report **report);

/* manifest.json's "provenance" (git commit, tags, remote, dirty; --meta),
 * the known fields only, bounded: a new object, or NULL when there is none. */
json_t *esc_provenance_report(const json_t *manifest);

#endif
