/* fmt_parquet.c -- Parquet: "PAR1" at both ends and a footer length L
 * with 0 < L <= size - 12 just before the last magic. Only the first 4 and
 * the last 8 bytes are looked at. */
#include "formats/esc_fmt.h"

#include <string.h>

struct pq_state {
	uint64_t size;
	uint8_t head[4], tail[8];
	bool bad_head;
};

static void pq_init(void *s, const char *path, uint64_t size)
{
	struct pq_state *p = s;

	memset(p, 0, sizeof *p);
	p->size = size;
}

/* Copies the bytes of [at, at + n) found in this chunk into dst. */
static void grab(uint8_t *dst, uint64_t at, size_t n, const uint8_t *buf, size_t len, uint64_t off)
{
	uint64_t from = at > off ? at : off, to = at + n < off + len ? at + n : off + len;

	if (from < to)
		memcpy(dst + (from - at), buf + (from - off), (size_t)(to - from));
}

static int pq_update(void *s, const uint8_t *buf, size_t len, uint64_t off)
{
	struct pq_state *p = s;

	if (p->size < 12)
		return 1;
	grab(p->head, 0, 4, buf, len, off);
	if (off + len >= 4 && memcmp(p->head, "PAR1", 4) != 0) {
		p->bad_head = true;
		return 1;
	}
	grab(p->tail, p->size - 8, 8, buf, len, off);
	return 0;
}

static int pq_final(void *s, char *reason, size_t rlen)
{
	struct pq_state *p = s;
	uint32_t l;

	if (p->size < 12) {
		snprintf(reason, rlen, "%llu bytes: too small for a Parquet file (truncated?)",
		         (unsigned long long)p->size);
		return 0;
	}
	if (p->bad_head || memcmp(p->head, "PAR1", 4) != 0) {
		snprintf(reason, rlen, "no PAR1 magic at offset 0");
		return 0;
	}
	if (memcmp(p->tail + 4, "PAR1", 4) != 0) {
		snprintf(reason, rlen, "no PAR1 magic at the end (file truncated?)");
		return 0;
	}
	l = (uint32_t)p->tail[0] | (uint32_t)p->tail[1] << 8 | (uint32_t)p->tail[2] << 16 |
	    (uint32_t)p->tail[3] << 24;
	if (l == 0 || l > p->size - 12) {
		snprintf(reason, rlen, "footer length %u does not fit in a file of %llu bytes", l,
		         (unsigned long long)p->size);
		return 0;
	}
	return 1;
}

static int pq_sniff(const uint8_t *h, size_t len, uint64_t size)
{
	return len >= 4 && memcmp(h, "PAR1", 4) == 0;
}

const struct esc_fmt_ops esc_fmt_parquet = {
	.fmt = ESC_FMT_PARQUET,
	.state_size = sizeof(struct pq_state),
	.init = pq_init,
	.update = pq_update,
	.final = pq_final,
	.sniff = pq_sniff,
};
