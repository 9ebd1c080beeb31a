/* esc_bundle_pipe.h -- the reader's producer thread and queue, shared by
 * bundle_read_pipe.c (reading, age, the thread, the consumer's side) and
 * bundle_read_out.c (the decompressed stream into the queue's buffers, from
 * the streaming decoder and from the frame workers) (internal). */
#ifndef ESC_BUNDLE_PIPE_H
#define ESC_BUNDLE_PIPE_H

#include "esc_bundle_read.h"
#include "esc_pack.h"  /* esc_tsink */
#include "esc_queue.h"

#include <pthread.h>

#define NBUF 8
#define READ_WORKERS 4 /* decode threads unless -j says */
#define BUFSZ (1u << 20)
#define RAWSZ (1u << 20)

struct esc_pipe {
	char *name;
	int fd;
	bool own_fd;
	const escrow_identities *ids;
	const escrow_pubkey *key;
	const struct esc_sink *tap;
	escrow_ctx *pctx;                /* the producer's */
	escrow_ctx *uctx;                /* the consumer's: only its interrupt flag is read here */
	pthread_t th;
	bool started;
	esc_queue *q;                    /* closed by the producer with its status */
	uint8_t *buf[NBUF];
	const uint8_t *item[NBUF];       /* what item seq % NBUF hands: buf[], or a decoded frame */
	int islot[NBUF];                 /* that frame's slot in zp, or -1 */
	size_t len[NBUF];
	bool held;                       /* the consumer holds an item taken */
	int held_slot;
	/* producer only */
	size_t wseq, widx, wfill, wcap;
	esc_zpar *zp;                    /* frames decoded on other cores; NULL: all streamed here */
	int workers;
	bool wacquired;
	uint8_t *raw;
	esc_zread *z;
	esc_age_thread *age;             /* sealed: reads and decrypts on a thread of its own */
	esc_mverify *mv;
	atomic_bool sealed;
	uint64_t produced, last_nz;      /* tar stream offsets */
	uint64_t handed;                 /* bytes given to the consumer (its side only) */
	/* progress: the input's bytes read when each buffer was committed
	 * (written by the producer before the commit, read by the consumer after
	 * the take: the queue orders them), the consumer's latest, the size */
	uint64_t rawpos[NBUF];
	uint64_t raw_handed;
	uint64_t file_size;              /* ESCROW_UNKNOWN for a stream */
	enum esc_detached detached;
	char detached_reason[256];
	uint8_t phead[4];                /* sealed: the first plaintext bytes, checked for zstd's magic */
	size_t nphead;
	bool pchecked;
	char looks_like[256];            /* ESCROW_NOT_A_BUNDLE: what the file is instead */
	/* the whole input's SHA-256 and size, over every byte read (producer,
	 * then esc_pipe_digest once the thread has ended) */
	esc_sha256 *whole;
	esc_tsink *hs;                   /* hashes on a thread of its own */
	esc_tsink *bs;                   /* 3+ cores: the .minisig prehash on another */
	escrow_ctx *bctx;                /* that thread's */
	escrow_ctx *hctx;                /* that thread's */
	_Atomic uint64_t whole_size;     /* the reading thread's; read for progress */
	bool eof;
	bool tap_ok;                     /* the tap has not failed */
};

/* The partly filled buffer goes to the consumer. */
void esc_pipe_commit(esc_pipe *p);
/* The next slice of the compressed stream (unsealed: as read; sealed: as
 * decrypted), to the frame workers or the streaming decoder. */
escrow_status esc_pipe_push(void *state, const void *data, size_t len);
/* Starts the frame workers (p->workers of them): p->zp. */
escrow_status esc_pipe_frames_new(esc_pipe *p);

#endif
