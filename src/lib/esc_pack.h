/* esc_pack.h -- the writer side of a bundle (internal). Owner: pack*.c,
 * zstd_write*.c, io_sink_fd.c. The pipeline is a chain of sinks:
 *   tar (libarchive) -> zstd (libzstd, workers) -> [age] -> out (fd, SHA-256, minisign)
 */
#ifndef ESC_PACK_H
#define ESC_PACK_H

#include "escrow_private.h"

/* ---- the output end: an fd, with the bundle's SHA-256 and, when asked, a
 * minisign signature over every byte (sealed bundles' BUNDLE.minisig) ---- */
struct esc_outsink {
	escrow_ctx *ctx;
	int fd;
	const char *what;       /* name in messages */
	esc_sha256 *sha;
	esc_msign *msign;       /* NULL unless a detached signature is wanted */
	uint64_t bytes;
	uint64_t synced;        /* bytes whose write-back was started */
	/* When set, esc_outsink_write signs (BLAKE2b) and hands the bytes on,
	 * to a thread of their own, where esc_outsink_put hashes (SHA-256) and
	 * writes them: ctx is then that thread's. Sealed bundles: encryption,
	 * BLAKE2b and SHA-256 together were more than one thread could do. */
	struct esc_sink after;
	uint8_t *dbuf;          /* direct I/O: whole blocks gathered here (io_sink_fd.c) */
	size_t dlen;
	bool direct_off;        /* the file system refused a direct write */
};
#define ESC_DIO_ALIGN 4096u
escrow_status esc_outsink_init(escrow_ctx *ctx, struct esc_outsink *o, int fd, const char *what,
                               const escrow_seckey *detached_key);
escrow_status esc_outsink_write(void *state, const void *buf, size_t len); /* esc_sink */
escrow_status esc_outsink_put(void *state, const void *buf, size_t len);   /* esc_sink: write only */
/* For a regular file of our own, empty so far: write around the page cache
 * where the file system allows (falls back by itself). Then
 * esc_outsink_flush must follow the last write, before fsync. */
void esc_outsink_try_direct(struct esc_outsink *o);
escrow_status esc_outsink_flush(struct esc_outsink *o);
void esc_outsink_clear(struct esc_outsink *o);

/* ---- a sink served by its own thread (see io_sink_thread.c). The stages after
 * it must report to tctx, a context only that thread uses; a failure there
 * is copied into ctx by the next write or by finish. ---- */
typedef struct esc_tsink esc_tsink;
escrow_status esc_tsink_new(escrow_ctx *ctx, escrow_ctx *tctx, struct esc_sink next, esc_tsink **out);
escrow_status esc_tsink_write(void *s, const void *buf, size_t len); /* esc_sink */
escrow_status esc_tsink_finish(esc_tsink *s); /* flushes, waits for the thread */
void esc_tsink_free(esc_tsink *s);

/* ---- zstd: frames with checksums, workers, per-file level changes ---- */
/* The payload's frames hold at most this many bytes of tar stream each,
 * with the content size in their header (FORMAT.md, "The zstd layer"). */
#define ESC_ZW_FRAME_MAX (4u << 20)
typedef struct esc_zw esc_zw;
/* threads: the payload's workers (< 1 counts as 1); the output is the same
 * for any count. level is the base level (1..19). */
escrow_status esc_zw_new(escrow_ctx *ctx, int level, int threads, struct esc_sink next, esc_zw **out);
escrow_status esc_zw_write(void *zw, const void *buf, size_t len); /* esc_sink */
/* The level for the bytes that follow; when it differs from the current one
 * the current frame ends here, so the change lands on this byte. */
escrow_status esc_zw_set_level(esc_zw *zw, int level);
int esc_zw_base_level(const esc_zw *zw);
/* The cheapest level whose compressed size on samples spread over these
 * bytes (a file's first read) stays within a hair of the base level's on
 * each. Deterministic: depends only on the bytes. */
int esc_zw_pick_level(esc_zw *zw, const void *buf, size_t len);
/* Ends the payload's frames; what follows (the tag files) goes into one
 * single-threaded frame with a long window (see zstd_write.c). reach: how
 * far back the nearest repeat worth finding lies (the first manifest's
 * size: manifest.json repeats its digests). */
escrow_status esc_zw_tail(esc_zw *zw, uint64_t reach);
escrow_status esc_zw_finish(esc_zw *zw);   /* ends the last frame */
void esc_zw_free(esc_zw *zw);

/* The payload's frames, compressed by threads workers and written to next in
 * order (zstd_write_pool.c). A frame ends when it holds ESC_ZW_FRAME_MAX
 * bytes, at a level change, and at drain; drain writes every frame out (and
 * with one_frame, an empty frame if there was none). */
typedef struct esc_zpool esc_zpool;
escrow_status esc_zpool_new(escrow_ctx *ctx, int level, int threads, struct esc_sink next, esc_zpool **out);
escrow_status esc_zpool_write(esc_zpool *p, const void *buf, size_t len);
escrow_status esc_zpool_set_level(esc_zpool *p, int level);
escrow_status esc_zpool_drain(esc_zpool *p, bool one_frame);
void esc_zpool_free(esc_zpool *p);

/* ---- tar: pax through libarchive, entries built by hand ---- */
typedef struct esc_ptar esc_ptar;
escrow_status esc_ptar_new(escrow_ctx *ctx, struct esc_sink next, esc_ptar **out);
/* path is the full tar path ("BAG/data/x"); mode without type bits. */
escrow_status esc_ptar_dir(esc_ptar *t, const char *path, int64_t mtime);
escrow_status esc_ptar_symlink(esc_ptar *t, const char *path, const char *target, int64_t mtime);
escrow_status esc_ptar_file_begin(esc_ptar *t, const char *path, uint32_t mode, uint64_t size,
                                  int64_t mtime);
escrow_status esc_ptar_data(esc_ptar *t, const void *buf, size_t len);
escrow_status esc_ptar_file_end(esc_ptar *t);
escrow_status esc_ptar_close(esc_ptar *t); /* the end-of-archive blocks */
void esc_ptar_free(esc_ptar *t);
/* The exact header bytes the writer emits for an entry (type AE_IFREG,
 * AE_IFDIR or AE_IFLNK; a folder's path without its '/'): a pax 'x' header
 * with its records when one is needed, then the ustar block. At most cap
 * bytes (ESCROW_E_INPUT if more); no context: statuses only. The reader
 * accepts no other form (bundle_read_tar.c). */
escrow_status esc_ptar_header(const char *path, unsigned type, uint32_t perm, uint64_t size, int64_t mtime,
                              const char *target, uint8_t *out, size_t cap, size_t *len);

/* ---- provenance: the git work tree SRC is in (pack_git.c) ---- */
#define ESC_PROV_TAGS_MAX 32      /* tags at HEAD kept (sorted; more are left out) */
#define ESC_PROV_TAG_MAX 256      /* bytes of one tag name, escaped */
#define ESC_PROV_REMOTE_MAX 1024  /* bytes of origin's URL, escaped */
struct esc_provenance {
	bool git;                 /* the fields below hold a commit */
	char *commit;             /* hex */
	char *tags[ESC_PROV_TAGS_MAX];
	size_t n_tags;
	char *remote;             /* origin's URL without credentials; NULL: no origin */
	bool dirty;               /* a packed file differs from the commit, or is not in it */
};

/* ---- the bag's tag files ---- */
/* manifest-sha256.txt and escrow/manifest.json, rendered once into an
 * unlinked scratch file as soon as the payload is in (pack_spill.c), so the
 * file records are freed before the tag files go out: they grow with the
 * file count (~300 bytes a file) and the records (~100 bytes a file) with
 * them were most of a 1,000,000-file pack's memory. */
struct esc_tag_spill {
	int fd;                   /* -1: not open */
	char *dir;                /* where it is, for messages */
	const char *what;         /* the bundle's name (or "stdout"), for messages */
	uint64_t size[2];         /* manifest-sha256.txt, then manifest.json, back to back */
	uint8_t sha[2][32];
	uint64_t octets, count;   /* Payload-Oxum */
};
/* dir: the output's folder, or NULL for $TMPDIR (else /tmp); what names the
 * bundle in messages. */
escrow_status esc_tag_spill_open(escrow_ctx *ctx, const char *dir, const char *what, struct esc_tag_spill *sp);
/* Appends to the scratch file; a failure (disk full) names the bundle and the folder. */
escrow_status esc_tag_spill_write(escrow_ctx *ctx, const struct esc_tag_spill *sp, const void *buf, size_t len);
/* Tag file k (0, 1) into the tar as path, its bytes checked against the
 * digest taken when they were rendered. */
escrow_status esc_tag_spill_copy(escrow_ctx *ctx, esc_ptar *t, const struct esc_tag_spill *sp, int k,
                                 const char *path, int64_t mtime);
void esc_tag_spill_close(struct esc_tag_spill *sp);
struct esc_pack_meta;
/* Renders both into sp (open), with their sizes, digests and the counts. */
escrow_status esc_pack_render_manifests(escrow_ctx *ctx, const struct esc_pack_meta *m, struct esc_tag_spill *sp);

struct esc_pack_meta {
	const char *bag;          /* top folder */
	const char *name, *release;
	const escrow_contract *contract;
	int64_t created;          /* seconds since the epoch */
	int64_t tag_mtime;
	const escrow_seckey *key;
	const struct esc_files *files;  /* until the manifests are rendered */
	const uint8_t *formats;   /* per file: enum esc_format passed, ESC_FMT_NONE if none */
	const struct esc_tag_spill *spill; /* the rendered manifests, for esc_pack_write_tags */
	const struct esc_provenance *prov;
	const char *const *meta;  /* --meta "KEY=VALUE" */
	size_t n_meta;
};
/* "2026-01-01T00:00:00Z"; out holds 21 bytes. */
void esc_pack_iso8601(int64_t t, char out[32]);
/* The trusted comment of both signatures (malloc'd). */
char *esc_pack_trusted_comment(const struct esc_pack_meta *m);
/* Writes every tag file and the signature, in FORMAT.md's order. */
escrow_status esc_pack_write_tags(escrow_ctx *ctx, esc_ptar *t, const struct esc_pack_meta *m);
/* The bag folder name: NAME-RELEASE with bytes outside [A-Za-z0-9._-] as '-'. */
char *esc_pack_bag_name(const char *name, const char *release);

#endif
