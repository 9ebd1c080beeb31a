/* bundle_read_out.c -- the reader's decompressed tar stream into the
 * queue's 1 MiB buffers (bundle_read_pipe.c hands the consumer one at a
 * time): from the streaming decoder (zstd_read.c), and from the frame
 * workers (bundle_read_frames.c) in the same buffers at the same points, so
 * that the consumer sees the same bytes at every moment whichever decoded
 * them. */
#include "esc_bundle_pipe.h"

#include <string.h>

static escrow_status acquire(esc_pipe *p)
{
	if (p->wacquired)
		return ESCROW_OK;
	if (!esc_queue_claim(p->q, &p->wseq))
		return esc_error(p->pctx, ESCROW_E_INTERRUPTED, "stopped");
	p->widx = p->wseq % NBUF;
	p->wacquired = true;
	p->wfill = 0;
	/* Buffers end where they would if every frame were streamed here
	 * (every BUFSZ bytes of tar), so that the streaming decoder is called
	 * with the same room whichever frames went to the workers: its
	 * messages then name the same offsets. */
	p->wcap = BUFSZ - (size_t)(p->produced % BUFSZ);
	return ESCROW_OK;
}

void esc_pipe_commit(esc_pipe *p)
{
	const uint8_t *b = p->buf[p->widx];
	size_t i = p->wfill;

	if (!p->wacquired || p->wfill == 0)
		return;
	/* Where the last non-zero byte is: only zeros may follow the tar's end. */
	while (i > 0 && b[i - 1] == 0)
		i--;
	if (i > 0)
		p->last_nz = p->produced + i;
	p->produced += p->wfill;
	p->len[p->widx] = p->wfill;
	p->item[p->widx] = b;
	p->islot[p->widx] = -1;
	p->rawpos[p->widx] = p->whole_size;
	esc_queue_commit(p->q, p->wseq, 1);
	p->wacquired = false;
}

/* Decompressed bytes go straight into the queue's buffers. With the
 * workers, the streaming decoder stops at each frame's end (*boundary). */
static escrow_status stream_in(esc_pipe *p, const uint8_t *data, size_t len, size_t *used, bool *boundary)
{
	ZSTD_inBuffer in = {data, len, 0};
	escrow_status st = ESCROW_OK;

	while (in.pos < in.size) {
		ZSTD_outBuffer out;
		size_t ipos = in.pos;

		st = acquire(p);
		if (st != ESCROW_OK)
			break;
		out.dst = p->buf[p->widx];
		out.size = p->wcap;
		out.pos = p->wfill;
		st = esc_zread_step(p->z, &in, &out);
		if (st != ESCROW_OK)
			break;
		if (out.pos == p->wfill && in.pos == ipos) {
			st = esc_error(p->pctx, ESCROW_E_INTERNAL, "zstd made no progress");
			break;
		}
		p->wfill = out.pos;
		if (p->wfill == p->wcap)
			esc_pipe_commit(p);
		if (p->zp != NULL && esc_zread_at_boundary(p->z))
			break;
	}
	*used = in.pos;
	*boundary = esc_zread_at_boundary(p->z);
	return st;
}

static escrow_status zp_stream(void *state, const uint8_t *b, size_t n, size_t *used, bool *boundary)
{
	return stream_in(state, b, n, used, boundary);
}

/* The consumer gets the bytes of a frame a worker decoded exactly when it
 * would have had them from the stream: a buffer at a time, each BUFSZ
 * bytes of tar, the last one at the end; a failure later drops the same
 * partial buffer. The parts of the frame before the first and after the
 * last BUFSZ boundary are copied into the stream's buffers; the whole
 * buffers between are handed as they are (*kept: the slot is the
 * consumer's until it releases it). */
static escrow_status zp_frame(void *state, const uint8_t *b, size_t n, uint64_t clen, int slot, bool *kept)
{
	esc_pipe *p = state;
	size_t done = 0;
	escrow_status st;

	*kept = false;
	esc_zread_skip(p->z, clen);
	while (done < n) {
		size_t k, seq, i;

		if ((p->wacquired && p->wfill > 0) || p->produced % BUFSZ != 0 || n - done < BUFSZ) {
			st = acquire(p);
			if (st != ESCROW_OK)
				return st;
			k = p->wcap - p->wfill < n - done ? p->wcap - p->wfill : n - done;
			memcpy(p->buf[p->widx] + p->wfill, b + done, k);
			p->wfill += k;
			done += k;
			if (p->wfill == p->wcap)
				esc_pipe_commit(p);
			continue;
		}
		if (p->wacquired) {
			seq = p->wseq; /* claimed, still empty: these buffers take its place */
			p->wacquired = false;
		} else if (!esc_queue_claim(p->q, &seq)) {
			return esc_error(p->pctx, ESCROW_E_INTERRUPTED, "stopped");
		}
		k = (n - done) / BUFSZ * BUFSZ;
		for (i = k; i > 0 && b[done + i - 1] == 0; i--)
			;
		if (i > 0)
			p->last_nz = p->produced + i;
		p->produced += k;
		p->item[seq % NBUF] = b + done;
		p->islot[seq % NBUF] = slot;
		p->len[seq % NBUF] = k;
		p->rawpos[seq % NBUF] = p->whole_size;
		*kept = true;
		esc_queue_commit(p->q, seq, 1);
		done += k;
	}
	return ESCROW_OK;
}

static bool zp_stopped(void *state)
{
	esc_pipe *p = state;

	return esc_queue_status(p->q) != ESCROW_OK || esc_interrupted(p->uctx);
}

escrow_status esc_pipe_push(void *state, const void *data, size_t len)
{
	esc_pipe *p = state;
	size_t used;
	bool boundary;

	if (p->zp != NULL)
		return esc_zpar_feed(p->zp, data, len);
	return stream_in(p, data, len, &used, &boundary);
}

escrow_status esc_pipe_frames_new(esc_pipe *p)
{
	const struct esc_zpar_out zo = {p, zp_stream, zp_frame, zp_stopped};

	esc_zread_one_frame(p->z, true);
	return esc_zpar_new(p->pctx, p->workers, &zo, &p->zp);
}
