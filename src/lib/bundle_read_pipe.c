/* bundle_read_pipe.c -- the reader's second thread: file -> [age] -> zstd,
 * handing 1 MiB buffers of tar stream to the main thread through a bounded
 * queue, so that decompression and hashing run on two cores at once. The
 * bytes read are hashed on a third thread (the file's SHA-256 and the
 * detached signature's BLAKE2b); a sealed file is read and decrypted on a
 * fourth (age_thread.c). The queues bound memory; the producer has its own
 * ctx (a ctx is not shared between threads) whose message is copied over
 * when it fails. */
#include "esc_bundle_pipe.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const uint8_t zmagic[4] = {0x28, 0xB5, 0x2F, 0xFD};

/* Reads some bytes; polls so that a stop request is seen even on a pipe that
 * stalls. 0 at the end. */
/* Every byte read goes to the hashing thread and to the tap, at once: what
 * the tap copies is what the digest covers, also when a verdict ends the
 * reading early and esc_pipe_digest reads the rest. */
static escrow_status take(esc_pipe *p, escrow_ctx *ctx, const uint8_t *buf, size_t n)
{
	escrow_status st = p->hs != NULL ? esc_tsink_write(p->hs, buf, n) : ESCROW_OK;

	if (st == ESCROW_OK && p->bs != NULL)
		st = esc_tsink_write(p->bs, buf, n);

	if (st == ESCROW_OK && p->tap != NULL && p->tap_ok) {
		st = p->tap->write(p->tap->state, buf, n);
		if (st != ESCROW_OK) {
			p->tap_ok = false; /* the tap keeps its own message */
			return esc_error(ctx, st, "%s: stopped by the copy", p->name);
		}
	}
	return st;
}

/* Messages go to ctx: the thread that reads (the producer, or the decrypting
 * thread of a sealed bundle). */
static escrow_status read_some(esc_pipe *p, escrow_ctx *ctx, uint8_t *buf, size_t max, size_t *got)
{
	for (;;) {
		struct pollfd pfd = {p->fd, POLLIN, 0};
		ssize_t n;

		if (esc_queue_status(p->q) != ESCROW_OK)
			return esc_error(ctx, ESCROW_E_INTERRUPTED, "stopped");
		/* The consumer may be waiting for us: a Ctrl-C on a stalled input
		 * must end the run from here. */
		if (esc_interrupted(p->uctx))
			return esc_error(ctx, ESCROW_E_INTERRUPTED, "interrupted");
		if (poll(&pfd, 1, p->zp != NULL && ctx == p->pctx ? 20 : 200) == 0) {
			/* The input stalls (a pipe): frames decoded meanwhile go to
			 * the consumer now, not when more input comes. */
			if (p->zp != NULL && ctx == p->pctx) {
				escrow_status st = esc_zpar_feed(p->zp, NULL, 0);

				if (st != ESCROW_OK)
					return st;
			}
			continue;
		}
		n = read(p->fd, buf, max);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n < 0)
			return esc_error(ctx, ESCROW_E_IO, "%s: %s", p->name, strerror(errno));
		p->whole_size += (uint64_t)n;
		p->eof = n == 0;
		*got = (size_t)n;
		return n > 0 ? take(p, ctx, buf, (size_t)n) : ESCROW_OK;
	}
}

static escrow_status source_read(void *state, escrow_ctx *ctx, uint8_t *buf, size_t max, size_t *got)
{
	return read_some(state, ctx, buf, max, got);
}

/* The file is no bundle: say what it is instead. */
static escrow_status not_a_bundle(esc_pipe *p, const uint8_t *b, size_t n, bool inside_age)
{
	char what[96];

	esc_sniff(b, n, what, sizeof what);
	if (n == 0 && !inside_age)
		snprintf(p->looks_like, sizeof p->looks_like, "an empty file (0 bytes)");
	else if (strcmp(what, "a tar archive") == 0 && !inside_age)
		snprintf(p->looks_like, sizeof p->looks_like, "a plain tar archive, not zstd-compressed");
	else if (inside_age)
		snprintf(p->looks_like, sizeof p->looks_like, "an age-encrypted file holding %s", what);
	else
		snprintf(p->looks_like, sizeof p->looks_like, "%s", what);
	return esc_error(p->pctx, ESCROW_NOT_A_BUNDLE, "%s is not an escrow bundle: it is %s; a bundle is a zstd "
	                 "stream, age-encrypted when sealed", p->name, p->looks_like);
}

/* Sealed: what age decrypts must be a zstd stream, else the file is an age
 * file that holds something else. Each chunk is authenticated before it
 * gets here, so the first bytes are what the sender encrypted. */
static escrow_status push_plain(void *state, const void *data, size_t len)
{
	esc_pipe *p = state;
	const uint8_t *d = data;
	size_t k, before = p->nphead;
	escrow_status st;

	if (p->pchecked)
		return esc_pipe_push(p, data, len);
	k = sizeof p->phead - p->nphead < len ? sizeof p->phead - p->nphead : len;
	memcpy(p->phead + p->nphead, d, k);
	p->nphead += k;
	if (p->nphead < sizeof p->phead)
		return ESCROW_OK;
	p->pchecked = true;
	if (memcmp(p->phead, zmagic, sizeof zmagic) != 0)
		return before == 0 ? not_a_bundle(p, d, len < 512 ? len : 512, true)
		                   : not_a_bundle(p, p->phead, p->nphead, true);
	st = esc_pipe_push(p, p->phead, p->nphead);
	if (st == ESCROW_OK && len > k)
		st = esc_pipe_push(p, d + k, len - k);
	return st;
}

/* The compressed stream ended: its last frame, the last buffer, and the
 * detached signature over every byte read. */
static escrow_status produce_end(esc_pipe *p)
{
	escrow_status st = ESCROW_OK;

	if (p->zp != NULL)
		st = esc_zpar_end(p->zp);
	if (st == ESCROW_OK)
		st = esc_zread_end(p->z);
	if (st != ESCROW_OK)
		return st;
	esc_pipe_commit(p);
	if (p->mv != NULL) {
		/* Every byte is in the prehash once the hashing thread has ended;
		 * the file's SHA-256 is complete too (esc_pipe_digest reads no more). */
		st = esc_tsink_finish(p->hs);
		if (st == ESCROW_OK && p->bs != NULL)
			st = esc_tsink_finish(p->bs);
		if (st == ESCROW_OK)
			st = esc_mverify_final(p->pctx, p->mv, NULL);
		p->detached = st == ESCROW_OK ? ESC_DETACHED_GOOD : ESC_DETACHED_BAD;
		if (st != ESCROW_OK)
			snprintf(p->detached_reason, sizeof p->detached_reason, "%s", esc_ctx_message(p->pctx));
		esc_clear_error(p->pctx);
	}
	return ESCROW_OK;
}

/* The hashing thread: the file's SHA-256 and, when a .minisig is beside it,
 * the signature's BLAKE2b prehash, off the thread that decrypts and
 * decompresses (BLAKE2b alone costs about as much as the decryption and
 * half the decompression). */
/* Sealed: the file is read and decrypted on another thread (age_thread.c),
 * this one decompresses the plaintext it hands over, in order. Its first
 * failure counts where a reader on one thread would have met it: after all
 * the plaintext before it, unless decompression failed first. */
static escrow_status produce_sealed(esc_pipe *p, size_t have)
{
	struct esc_age_source src = {source_read, p};
	const void *b;
	long n;
	escrow_status st;

	st = esc_age_thread_start(p->pctx, p->ids, p->name, src, p->raw, have, &p->age);
	if (st != ESCROW_OK)
		return st;
	for (;;) {
		/* While the decrypting thread waits on a stalled input, frames
		 * decoded meanwhile go to the consumer (as in read_some). */
		n = esc_age_thread_next_wait(p->age, &b, p->zp != NULL ? 20 : -1);
		if (n == -2) {
			st = esc_interrupted(p->uctx) ? esc_error(p->pctx, ESCROW_E_INTERRUPTED, "interrupted")
			                              : esc_zpar_feed(p->zp, NULL, 0);
			if (st != ESCROW_OK)
				return st;
			continue;
		}
		if (n <= 0)
			break;
		st = push_plain(p, b, (size_t)n);
		if (st != ESCROW_OK)
			return st;
	}
	if (n < 0)
		return esc_age_thread_status(p->pctx, p->age);
	if (!p->pchecked)
		return not_a_bundle(p, p->phead, p->nphead, true);
	return produce_end(p);
}

static escrow_status produce(esc_pipe *p)
{
	size_t have = 0, got = 0;
	escrow_status st;
	bool first = true;

	/* Enough bytes to tell age from zstd. */
	do {
		st = read_some(p, p->pctx, p->raw + have, RAWSZ - have, &got);
		if (st != ESCROW_OK)
			return st;
		have += got;
	} while (got > 0 && have < sizeof ESC_AGE_MAGIC - 1);
	if (have >= 4 && memcmp(p->raw, zmagic, 4) == 0) {
		p->sealed = false;
	} else if (esc_age_detect(p->raw, have)) {
		/* Without an identity the age header is still read: the message
		 * says for how many recipients the file is sealed. */
		atomic_store(&p->sealed, true);
	} else if (esc_sniff_damaged_magic(p->raw, have)) {
		return esc_error(p->pctx, ESCROW_TAMPERED, "%s: damaged bundle: it starts like a zstd or age stream, "
		                 "but its magic number is cut short or altered (%zu byte%s read)", p->name, have,
		                 have == 1 ? "" : "s");
	} else {
		return not_a_bundle(p, p->raw, have < 512 ? have : 512, false);
	}
	st = esc_zread_new(p->pctx, p->name, &p->z);
	if (st == ESCROW_OK && p->workers > 0)
		st = esc_pipe_frames_new(p);
	if (st != ESCROW_OK)
		return st;
	if (p->sealed)
		return produce_sealed(p, have);
	for (;;) {
		if (!first) {
			st = read_some(p, p->pctx, p->raw, RAWSZ, &have);
			if (st != ESCROW_OK)
				return st;
			if (have == 0)
				break;
		}
		first = false;
		st = esc_pipe_push(p, p->raw, have);
		if (st != ESCROW_OK)
			return st;
	}
	return produce_end(p);
}
static escrow_status hash_write(void *state, const void *buf, size_t len)
{
	esc_pipe *p = state;

	if (p->whole != NULL)
		esc_sha256_update(p->whole, buf, len);
	if (p->mv != NULL && p->bs == NULL)
		esc_mverify_update(p->mv, buf, len);
	return ESCROW_OK;
}

static escrow_status prehash_write(void *state, const void *buf, size_t len)
{
	esc_pipe *p = state;

	esc_mverify_update(p->mv, buf, len);
	return ESCROW_OK;
}

static void *thread_main(void *arg)
{
	esc_pipe *p = arg;
	escrow_status st = produce(p);

	/* A malformed age header inside a bundle is a corrupt bundle. */
	if (st == ESCROW_E_INPUT)
		st = ESCROW_TAMPERED;
	/* No worker runs past here (the frames they hold stay for the consumer). */
	esc_zpar_stop(p->zp);
	esc_queue_close(p->q, st);
	/* The decrypting thread ends before this one: it has read to the end,
	 * or it sees the queue failed above or its own queue failed here. What
	 * it wrote (size, eof, the tap's state) is then the consumer's to read
	 * once it has joined this thread. */
	esc_age_thread_free(p->age);
	p->age = NULL;
	return NULL;
}

escrow_status esc_pipe_open(escrow_ctx *ctx, const struct esc_pipe_options *o, esc_pipe **out)
{
	esc_pipe *p = calloc(1, sizeof *p);
	escrow_status st = ESCROW_OK;
	struct stat sb;
	size_t i;

	*out = NULL;
	if (p == NULL)
		return esc_nomem(ctx);
	p->fd = -1;
	p->file_size = ESCROW_UNKNOWN;
	/* The consumer's interrupt wakes it, and stops the producer, even
	 * while the input stalls. */
	st = esc_queue_new(ctx, NBUF, SIZE_MAX, 1, ctx, &p->q);
	if (st != ESCROW_OK) {
		free(p);
		return st;
	}
	/* Unless told (-j), at most READ_WORKERS decode: each holds a frame
	 * (~7 MiB), and four decode about as fast as one thread hashes the files. */
	p->workers = o->workers < 0 ? 0 : o->workers > 0 ? o->workers : esc_threads(ctx);
	if (o->workers == 0 && ctx->threads <= 0 && p->workers > READ_WORKERS)
		p->workers = READ_WORKERS;
	p->held_slot = -1;
	p->ids = o->ids;
	p->key = o->key;
	p->tap = o->tap;
	p->tap_ok = true;
	p->uctx = ctx;
	p->name = strdup(strcmp(o->path, "-") == 0 ? "stdin" : o->path);
	p->pctx = escrow_ctx_new();
	p->raw = malloc(RAWSZ);
	p->whole = o->no_digest ? NULL : esc_sha256_new();
	p->hctx = escrow_ctx_new();
	/* one block, in huge pages where it can (core_mem.c) */
	p->buf[0] = esc_big_alloc((size_t)NBUF * BUFSZ);
	for (i = 1; i < NBUF && p->buf[0] != NULL; i++)
		p->buf[i] = p->buf[0] + i * BUFSZ;
	if (p->name == NULL || p->pctx == NULL || p->raw == NULL || (p->whole == NULL && !o->no_digest) ||
	    p->hctx == NULL) {
		st = esc_nomem(ctx);
		goto out;
	}
	for (i = 0; i < NBUF; i++)
		if (p->buf[i] == NULL) {
			st = esc_nomem(ctx);
			goto out;
		}
	if (strcmp(o->path, "-") == 0) {
		p->fd = STDIN_FILENO;
	} else {
		p->fd = open(o->path, O_RDONLY | O_CLOEXEC);
		if (p->fd < 0) {
			st = esc_error(ctx, ESCROW_E_OPEN, "%s: %s", o->path, strerror(errno));
			goto out;
		}
		p->own_fd = true;
		if (fstat(p->fd, &sb) == 0 && S_ISDIR(sb.st_mode)) {
			st = esc_error(ctx, ESCROW_E_OPEN, "%s: is a folder, not a bundle", o->path);
			goto out;
		}
		if (fstat(p->fd, &sb) == 0 && S_ISREG(sb.st_mode))
			p->file_size = (uint64_t)sb.st_size;
	}
	/* Only sealed bundles carry a detached signature; decided once the
	 * first bytes are known, but the file is read here, before the thread. */
	p->detached = esc_detached_open(o->path, p->key, &p->mv, p->detached_reason, sizeof p->detached_reason);
	/* The hashing thread only when it has something to hash. */
	if (p->whole != NULL || p->mv != NULL)
		st = esc_tsink_new(p->pctx, p->hctx, (struct esc_sink){hash_write, p}, &p->hs);
	/* With three cores or more, the detached signature's BLAKE2b runs beside
	 * the file's SHA-256 instead of after it on the same thread: those two
	 * were the longest thread of a sealed read (1.1 s for 680 MB). On two
	 * cores the extra copy and thread would only cost. */
	if (st == ESCROW_OK && p->mv != NULL && esc_threads(ctx) >= 3) {
		p->bctx = escrow_ctx_new();
		st = p->bctx == NULL ? esc_nomem(p->pctx)
		                     : esc_tsink_new(p->pctx, p->bctx, (struct esc_sink){prehash_write, p}, &p->bs);
	}
	if (st != ESCROW_OK) {
		esc_error(ctx, st, "%s", esc_ctx_message(p->pctx));
		goto out;
	}
	if (pthread_create(&p->th, NULL, thread_main, p) != 0) {
		st = esc_error(ctx, ESCROW_E_INTERNAL, "cannot start the reader thread");
		goto out;
	}
	p->started = true;
out:
	if (st != ESCROW_OK) {
		esc_pipe_close(p);
		return st;
	}
	*out = p;
	return ESCROW_OK;
}

long esc_pipe_next(esc_pipe *p, const void **buf)
{
	size_t seq;
	long n;

	if (p->held) {
		esc_queue_release(p->q);
		p->held = false;
		if (p->held_slot >= 0)
			esc_zpar_release(p->zp, p->held_slot);
	}
	if (!esc_queue_take(p->q, &seq))
		return esc_queue_status(p->q) == ESCROW_OK ? 0 : -1;
	p->held = true;
	*buf = p->item[seq % NBUF];
	p->held_slot = p->islot[seq % NBUF];
	n = (long)p->len[seq % NBUF];
	p->handed += (uint64_t)n;
	p->raw_handed = p->rawpos[seq % NBUF];
	return n;
}

escrow_status esc_pipe_status(escrow_ctx *ctx, esc_pipe *p)
{
	escrow_status st = esc_queue_status(p->q);

	/* Only the producer fails the queue with anything else, and it wrote
	 * its message before closing the queue. An interrupt may have come
	 * from this side, while the producer still runs. */
	if (st == ESCROW_E_INTERRUPTED)
		esc_error(ctx, st, "interrupted");
	else if (st != ESCROW_OK)
		esc_error(ctx, st, "%s", esc_ctx_message(p->pctx));
	return st;
}

escrow_status esc_pipe_drain(escrow_ctx *ctx, esc_pipe *p, uint64_t consumed)
{
	const void *b;
	long n;

	/* Zeros after the end cost nothing to compress: bound them to what a
	 * writer produces (at most one 10240-byte tar record of blocking), so
	 * that a small bundle cannot make the reader decompress gigabytes. */
	do {
		n = esc_pipe_next(p, &b);
		if (esc_check_interrupt(ctx) != ESCROW_OK)
			return ESCROW_E_INTERRUPTED;
		if (p->handed > consumed + ESC_TAR_MAX_TRAILER)
			return esc_error(ctx, ESCROW_TAMPERED, "%s: more than %u bytes after the end of the tar archive "
			                 "(a writer adds at most %u bytes of zeros)", p->name, ESC_TAR_MAX_TRAILER,
			                 ESC_TAR_MAX_TRAILER);
	} while (n > 0);
	if (n < 0)
		return esc_pipe_status(ctx, p);
	/* The producer is done: its fields can be read without the lock. */
	if (p->last_nz > consumed)
		return esc_error(ctx, ESCROW_TAMPERED, "%s: data after the end of the tar archive (offset %llu)",
		                 p->name, (unsigned long long)consumed);
	return ESCROW_OK;
}

void esc_pipe_position(const esc_pipe *p, uint64_t *raw, uint64_t *total)
{
	*raw = p->raw_handed;
	*total = p->file_size;
}

bool esc_pipe_sealed(esc_pipe *p)
{
	return atomic_load(&p->sealed);
}

enum esc_detached esc_pipe_detached(const esc_pipe *p, char *reason, size_t rlen)
{
	if (!atomic_load(&p->sealed))
		return ESC_DETACHED_NA;
	snprintf(reason, rlen, "%s", p->detached_reason);
	return p->detached;
}

const char *esc_pipe_looks_like(esc_pipe *p)
{
	/* Written by the producer before it closed the queue. */
	return esc_queue_closed(p->q) ? p->looks_like : "";
}

static void pipe_stop(esc_pipe *p)
{
	if (p->started) {
		esc_queue_fail(p->q, ESCROW_E_INTERRUPTED);
		pthread_join(p->th, NULL);
		p->started = false;
	}
}

bool esc_pipe_digest(escrow_ctx *ctx, esc_pipe *p, char hex[65], uint64_t *size)
{
	uint8_t md[32];

	pipe_stop(p);
	hex[0] = '\0';
	*size = p->whole_size;
	if (p->whole == NULL) /* not asked: whole when read to the end */
		return p->eof && (p->hs == NULL || esc_tsink_finish(p->hs) == ESCROW_OK);
	if (p->hs == NULL || esc_tsink_finish(p->hs) != ESCROW_OK)
		return false;
	/* Stopped before the end (a verdict reached early): the rest of a file
	 * is read here, so that the report names what was judged. Not for a
	 * stream, which cannot be read again, nor after an interrupt. */
	while (!p->eof && p->own_fd && p->raw != NULL && !esc_interrupted(ctx)) {
		ssize_t n = read(p->fd, p->raw, RAWSZ);

		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			return false;
		esc_sha256_update(p->whole, p->raw, (size_t)n);
		p->whole_size += (uint64_t)n;
		p->eof = n == 0;
		if (n > 0 && p->tap != NULL && p->tap_ok && p->tap->write(p->tap->state, p->raw, (size_t)n) != ESCROW_OK)
			p->tap_ok = false;
	}
	if (!p->eof)
		return false;
	esc_sha256_final(p->whole, md);
	esc_hex(md, 32, hex);
	*size = p->whole_size;
	return true;
}

void esc_pipe_close(esc_pipe *p)
{
	if (p == NULL)
		return;
	pipe_stop(p);
	if (p->own_fd && p->fd >= 0)
		close(p->fd);
	esc_age_thread_free(p->age); /* it writes to hs */
	esc_tsink_free(p->hs);       /* its thread updates mv */
	esc_tsink_free(p->bs);       /* so does this one's */
	esc_zpar_free(p->zp);
	esc_zread_free(p->z);
	esc_mverify_free(p->mv);
	escrow_ctx_free(p->hctx);
	escrow_ctx_free(p->bctx);
	esc_sha256_free(p->whole);
	free(p->raw);
	esc_big_free(p->buf[0]);
	escrow_ctx_free(p->pctx);
	free(p->name);
	esc_queue_free(p->q);
	free(p);
}
