/* memsink.h -- an esc_sink that keeps every byte in memory, for the unit
 * tests of the writer and reader layers; fail_at (when not 0) makes it
 * refuse a write that would go past that size. Header-only; include after
 * cmocka.h and escrow_private.h. */
#ifndef ESC_TEST_MEMSINK_H
#define ESC_TEST_MEMSINK_H

#include <stdlib.h>
#include <string.h>

struct mem {
	uint8_t *p;
	size_t n, cap;
	size_t fail_at;
};

static inline escrow_status mem_write(void *state, const void *buf, size_t len)
{
	struct mem *m = state;

	if (m->fail_at && m->n + len > m->fail_at)
		return ESCROW_E_IO;
	if (m->n + len > m->cap) {
		size_t cap = m->cap ? m->cap : 4096;

		while (cap < m->n + len)
			cap *= 2;
		m->p = realloc(m->p, cap);
		assert_non_null(m->p);
		m->cap = cap;
	}
	if (len > 0)
		memcpy(m->p + m->n, buf, len);
	m->n += len;
	return ESCROW_OK;
}

static inline struct esc_sink mem_sink(struct mem *m)
{
	struct esc_sink s = {mem_write, m};

	return s;
}

#endif
