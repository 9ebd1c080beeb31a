/* esc_extract_queue.h -- extract's writing threads (internal). The thread
 * that parses, hashes and inspects the stream hands each file's creation,
 * bytes, final mode, time and close to other threads, so that openat and
 * write(2) run on the other cores. Folders are made by the caller. */
#ifndef ESC_EXTRACT_QUEUE_H
#define ESC_EXTRACT_QUEUE_H

#include "escrow_private.h"

#include <sys/types.h>

typedef struct esc_xq esc_xq;

/* prefix: the folder paths in messages are relative to. */
escrow_status esc_xq_new(escrow_ctx *ctx, const char *prefix, esc_xq **out);
/* Queues the creation (O_EXCL, never through a link) of leaf, the last
 * component of path, in the folder dirfd (duplicated: the caller keeps
 * its own); the file's writes and close follow. path names it in messages. */
escrow_status esc_xq_open(esc_xq *q, int dirfd, const char *leaf, const char *path);
/* Queues len bytes (copied) for the file last opened. */
escrow_status esc_xq_write(esc_xq *q, const void *buf, size_t len);
/* Queues fchmod(mode), futimens(mtime) and close of the file last opened;
 * the first failure of any file so far, in ctx, if any. */
escrow_status esc_xq_close(esc_xq *q, mode_t mode, int64_t mtime, const char *path);
/* Waits for everything queued; the first failure, in ctx, if any. */
escrow_status esc_xq_drain(esc_xq *q);
/* Drains (closing every fd handed over) and ends the thread. */
void esc_xq_free(esc_xq *q);

#endif
