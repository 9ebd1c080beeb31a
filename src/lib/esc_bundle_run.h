/* esc_bundle_run.h -- the state of one pass over a bundle's tar stream,
 * shared by bundle_read.c (the entries in order, the tag files) and
 * bundle_read_payload.c (a payload entry). Private to those two. */
#ifndef ESC_BUNDLE_RUN_H
#define ESC_BUNDLE_RUN_H

#include "esc_bundle_read.h"

#define MAX_PATH_BYTES ESC_TAR_MAX_PATH
/* What is kept of the payload until the signature is checked at the end is
 * bounded (FORMAT.md, "What a reader may refuse"): 52 bytes per entry while
 * the stream goes by, 80 after (bundle_read_rec.c; its findings' flags
 * included) plus its path and link target, and at most
 * ESC_NOTES_MAX of findings texts, so a hostile bundle stays under 256 MiB
 * (ONNX external data locations, kept past that bound, add at most a
 * quarter of it). */
#define MAX_ENTRIES 1250000u
#define MAX_NAME_BYTES (48u << 20)       /* payload paths and link targets, in total */

enum { PH_TOP, PH_DATA, PH_PAYLOAD, PH_TAGS, PH_END };

struct run {
	struct esc_rd *rd;
	escrow_ctx *ctx;
	esc_pipe *pipe;
	struct esc_tarrd tr;            /* the tar stream's entries (its scanner is the one parser) */
	esc_sha256 *h;
	uint8_t empty_sha256[32];       /* of no bytes: every empty file's digest */
	esc_thash *th;                  /* payload files' and the two manifests' digests, on a thread of their own */
	bool th_on;                     /* the tag file under way is hashed there */
	struct pend {                   /* payload digests asked of th, not yet in their records */
		size_t idx;
		uint64_t ticket;
	} *pend;
	size_t npend;
	bool no_th;                     /* it could not be had */
	int phase;
	size_t next_tag;
	uint64_t path_bytes;            /* sum of payload path and target lengths */
	uint64_t done;                  /* payload bytes read, for progress */
	int64_t sig_end;                /* tar offset just past the signature's data */
	uint8_t head[512];              /* the first bytes of the tar stream, and its first path: */
	size_t head_len;                /* what a stream that holds no bag holds instead */
	char first[128];
	bool bag_mark;                  /* a bag's file name was seen in the stream */
	struct esc_tarent cur;          /* the current entry, as its raw header says */
	struct esc_tarent bad;          /* the first unsafe entry (path, type, link) */
};

/* Waits for the hashing thread, and puts the payload digests it made into
 * their records. */
void esc_run_hash_sync(struct run *r);
/* Streams an entry's data to fn, checking that it is contiguous and exactly
 * as long as the header said. */
escrow_status esc_run_read_data(struct run *r, const char *path, uint64_t size,
                                escrow_status (*fn)(struct run *, void *, const void *, size_t), void *arg);
/* The hashing thread, started on first use; false when there is none. */
bool esc_run_hash_thread(struct run *r);
/* The payload entry rel (under data/) of type '0', '2' or '5'. */
escrow_status esc_run_payload_entry(struct run *r, const char *rel, char type);

#endif
