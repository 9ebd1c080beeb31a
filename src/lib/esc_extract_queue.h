/* esc_extract_queue.h -- extract's writer thread (internal). The thread that
 * parses, hashes and inspects the stream hands each file's bytes, and its
 * final mode, time and close, to a second thread, so that write(2) runs on
 * the other core. Files are created (openat, O_EXCL) by the caller. */
#ifndef ESC_EXTRACT_QUEUE_H
#define ESC_EXTRACT_QUEUE_H

#include "escrow_private.h"

#include <sys/types.h>

typedef struct esc_xq esc_xq;

/* prefix: the folder paths in messages are relative to. */
escrow_status esc_xq_new(escrow_ctx *ctx, const char *prefix, esc_xq **out);
/* Queues len bytes (copied) for fd. */
escrow_status esc_xq_write(esc_xq *q, int fd, const void *buf, size_t len);
/* Queues fchmod(mode), futimens(mtime) and close; fd belongs to the queue
 * from here on, whatever happens. path names the file in messages. */
escrow_status esc_xq_close(esc_xq *q, int fd, mode_t mode, int64_t mtime, const char *path);
/* Waits for everything queued; the first failure, in ctx, if any. */
escrow_status esc_xq_drain(esc_xq *q);
/* Drains (closing every fd handed over) and ends the thread. */
void esc_xq_free(esc_xq *q);

#endif
