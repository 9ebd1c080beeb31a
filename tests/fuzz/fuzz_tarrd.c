/* fuzz_tarrd.c -- the read path's entry delivery (bundle_read_next.c): the
 * strict scanner's entries and their data handed out in place from buffers
 * of any size. Input: two bytes of seed, then a tar stream. The seed picks
 * the buffer sizes (1 byte to a few KiB, or the whole stream) and, per
 * entry, whether its data is read whole, in slices, in part or not at all.
 *
 * The oracle is the scanner fed the whole stream at once: the entries
 * delivered are its entries in order (same fields, same data offsets); the
 * data handed out is the stream's own bytes at the cursor, inside the entry;
 * an entry read to its end gave exactly its size; a clean end comes only
 * when the scanner saw the end marker (or the stream stops at a header's
 * first byte) with every entry delivered; a refusal is the scanner's, with
 * its reason; a short stream is one the scanner did not refuse. */
#include "esc_bundle_read.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct src {
	const uint8_t *d;
	size_t n, pos;
	uint32_t rng;
	bool whole;
};

static uint32_t next_rand(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

static long more(void *user, const void **buf)
{
	struct src *s = user;
	size_t k;

	if (s->pos == s->n)
		return 0;
	k = s->whole ? s->n - s->pos : 1 + next_rand(&s->rng) % (next_rand(&s->rng) % 4 ? 700 : 5000);
	if (k > s->n - s->pos)
		k = s->n - s->pos;
	*buf = s->d + s->pos;
	s->pos += k;
	return (long)k;
}

static void check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_tarrd: %s\n", what);
		abort();
	}
}

static bool same(const struct esc_tarent *a, const struct esc_tarent *b)
{
	return a->type == b->type && a->perm == b->perm && a->size == b->size && a->mtime == b->mtime &&
	       a->data_off == b->data_off && strcmp(a->path, b->path) == 0 &&
	       (a->link == NULL) == (b->link == NULL) && (a->link == NULL || strcmp(a->link, b->link) == 0);
}

static void run(const uint8_t *tar, size_t n, uint32_t seed, bool whole, struct esc_tarscan *ref, int ref_rc)
{
	struct esc_tarrd *r = calloc(1, sizeof *r);
	struct src s = {tar, n, 0, seed | 1, whole};
	uint32_t pick = seed * 2654435761u | 1;
	struct esc_tarent e;
	size_t i = 0;
	int k;

	check(r != NULL, "memory");
	r->more = more;
	r->user = &s;
	while ((k = esc_tarrd_next(r, &e)) == 1) {
		uint32_t how = next_rand(&pick) % 4;
		uint64_t got = 0;
		const void *b;
		size_t len;
		int d = 1;

		check(i < ref->qn && same(&e, &ref->q[i]), "an entry the scanner did not read there");
		i++;
		while (how != 0 && (d = esc_tarrd_data(r, &b, &len, how == 1 ? SIZE_MAX : 1 + next_rand(&pick) % 600)) == 1) {
			check(len > 0 && r->off - len == e.data_off + got && got + len <= e.size &&
			      memcmp(b, tar + e.data_off + got, len) == 0, "data that is not the entry's bytes");
			got += len;
			if (how == 3 && next_rand(&pick) % 3 == 0)
				break;
		}
		if (how != 3 && d == 0)
			check(got == (e.type == '0' ? e.size : 0), "an entry's data ended early");
		free(e.path);
		free(e.link);
	}
	if (k == 0) {
		check(ref_rc == 0 && i == ref->qn, "a clean end before the scanner's");
		check(esc_tarscan_ended(ref) ? r->off == ref->end_off || r->off == ref->end_off + 512 :
		      r->off == n && esc_tarscan_between(ref), "a clean end that is not the end marker");
	} else if (r->fail == ESC_TR_SCAN) {
		check(ref_rc != 0 && strcmp(r->scan.why, ref->why) == 0, "a refusal the scanner did not make");
	} else {
		check(r->fail == ESC_TR_SHORT && ref_rc == 0 && !esc_tarscan_ended(ref), "a short stream that was not");
	}
	esc_tarscan_free(&r->scan);
	free(r);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct esc_tarscan *ref;
	uint32_t seed;
	int rc;

	if (size < 2 || size > (1u << 20))
		return 0;
	seed = (uint32_t)data[0] << 8 | data[1];
	ref = calloc(1, sizeof *ref);
	check(ref != NULL, "memory");
	rc = esc_tarscan_feed(ref, data + 2, size - 2);
	run(data + 2, size - 2, seed, true, ref, rc);
	run(data + 2, size - 2, seed, false, ref, rc);
	run(data + 2, size - 2, seed ^ 0x5555, false, ref, rc);
	esc_tarscan_free(ref);
	free(ref);
	return 0;
}
