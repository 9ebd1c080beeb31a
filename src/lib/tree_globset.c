/* tree_globset.c -- many globs matched against one path at once.
 * A contract may name 10,000 deliverables and a deposit hold 20,000 files:
 * trying every pattern on every path is 200 million glob matches. Instead
 * each pattern is filed under a literal part that any path it matches must
 * show, and a path looks up only the keys it can show:
 *  - the literal leading segments of a pattern ("models/v2/x*.bin"): the
 *    path (or a folder above it) starts with them ("models/v2"), looked up
 *    for each prefix of the path that ends a segment;
 *  - any segment but "**": each is matched against one segment of the path,
 *    so the path has a segment equal to it when it is literal (".env"), else
 *    one that starts with its literal head ("test_*") or ends with its tail
 *    ("*.pyc"), or holds its literal runs ("?*model?": any 3 bytes of
 *    "model"): looked up for every segment, its heads, tails and 3 bytes;
 *  - a pattern with none of these ("**", "*", "?*xy?") is tried on every path.
 * Of its keys, a pattern is filed under the one fewest patterns share.
 * A key found is only a candidate: esc_glob_match_dir decides, so the set
 * matches exactly what the patterns match one by one, at a cost that grows
 * with the path's length and the candidates, not with the number of
 * patterns. */
#include "escrow_private.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

enum { K_PREFIX, K_SEG, K_HEAD, K_TAIL, K_GRAM, K_COUNT };

#define GRAM 3 /* bytes of a K_GRAM key: a literal run inside a segment */

struct gs_entry {
	uint64_t hash;
	const char *key;     /* into the pattern; for K_TAIL the tail's first byte */
	uint32_t len, next;  /* next: chain, UINT32_MAX at the end */
	uint32_t pat;
	uint8_t kind;
};

struct esc_globset {
	char *const *pat;
	size_t n;
	struct gs_entry *e;
	size_t n_e;
	uint32_t *bucket, mask;
	uint32_t *wild;      /* patterns tried on every path, ascending */
	size_t n_wild;
	bool has[K_COUNT];
};

#define FNV_OFF 0xcbf29ce484222325ULL
#define FNV_PRIME 0x100000001b3ULL

static uint64_t mix(uint64_t h, unsigned kind)
{
	h ^= (uint64_t)kind * 0x9e3779b97f4a7c15ULL;
	h ^= h >> 29;
	return h * 0xbf58476d1ce4e5b9ULL;
}

static int special(char c)
{
	return c == '*' || c == '?' || c == '[' || c == '\\';
}

struct gs_key {
	unsigned kind;
	const char *key;
	size_t len;
};

/* One segment [s, e) of a pattern: its key candidates. */
static size_t segment_keys(const char *s, const char *e, struct gs_key *out)
{
	size_t n = (size_t)(e - s), head, tail = 0, k = 0;
	const char *q;

	if (n == 0 || (n == 2 && s[0] == '*' && s[1] == '*'))
		return 0;
	for (q = s; q < e && !special(*q); q++)
		;
	if (q == e) {
		out[k++] = (struct gs_key){K_SEG, s, n};
		return k;
	}
	head = (size_t)(q - s);
	while (tail < n && !special(e[-1 - (ptrdiff_t)tail]) && e[-1 - (ptrdiff_t)tail] != ']')
		tail++; /* a ']' may close a class */
	/* a '\' escapes the byte after it: the tail starts after that byte */
	if (tail > 0 && tail < n && e[-1 - (ptrdiff_t)tail] == '\\')
		tail--;
	if (head > 0)
		out[k++] = (struct gs_key){K_HEAD, s, head};
	if (tail > 0)
		out[k++] = (struct gs_key){K_TAIL, e - tail, tail};
	/* every GRAM bytes of a literal run ("?*model*?": "mod", "ode", "del"):
	 * a '[' class and a '\' escape break runs */
	for (q = s; q < e;) {
		const char *r = q;

		while (r < e && !special(*r) && *r != ']')
			r++;
		for (; r - q >= GRAM; q++)
			out[k++] = (struct gs_key){K_GRAM, q, GRAM};
		q = r;
		if (q < e && *q == '[') { /* skip the class: [!]x] [^a-z] */
			q++;
			if (q < e && (*q == '!' || *q == '^'))
				q++;
			if (q < e && *q == ']')
				q++;
			while (q < e && *q != ']')
				q += *q == '\\' && q + 1 < e ? 2 : 1;
			if (q >= e)
				break; /* not closed: no literal after it */
		} else if (q < e && *q == '\\') {
			q++; /* the escaped byte is literal, but not a run's byte here */
		}
		if (q < e)
			q++;
	}
	return k;
}

/* Every key under which pattern p could be filed (see the top of the file):
 * its literal leading segments, and each segment but "**" whole, by head or
 * by tail (each one is matched against one segment of the path). Returns
 * the count; -1 when p matches nothing. out holds 3 x its length + 4. */
static ptrdiff_t pattern_keys(const char *p, struct gs_key *out)
{
	const char *pe, *s, *q;
	int anchored = 0;
	size_t k = 0;

	while (*p == '/') {
		anchored = 1;
		p++;
	}
	pe = p + strlen(p);
	while (pe > p && pe[-1] == '/')
		pe--;
	if (pe == p)
		return -1;
	if (anchored || memchr(p, '/', (size_t)(pe - p)) != NULL) {
		for (s = p, q = p; q < pe && !special(*q); q++)
			if (*q == '/')
				s = q;
		if (q == pe)
			out[k++] = (struct gs_key){K_PREFIX, p, (size_t)(pe - p)};
		else if (s > p)
			out[k++] = (struct gs_key){K_PREFIX, p, (size_t)(s - p)};
	}
	for (s = p; s <= pe; s = q + 1) {
		q = memchr(s, '/', (size_t)(pe - s));
		if (q == NULL)
			q = pe;
		k += segment_keys(s, q, out + k);
	}
	return (ptrdiff_t)k;
}

static uint64_t hash_fwd(const char *s, size_t n)
{
	uint64_t h = FNV_OFF;

	while (n--)
		h = (h ^ (uint8_t)*s++) * FNV_PRIME;
	return h;
}

/* Tails hash from their last byte backwards, so a segment's tails hash in one pass. */
static uint64_t hash_bwd(const char *s, size_t n)
{
	uint64_t h = FNV_OFF;

	while (n--)
		h = (h ^ (uint8_t)s[n]) * FNV_PRIME;
	return h;
}

static uint64_t key_hash(const struct gs_key *k)
{
	return mix(k->kind == K_TAIL ? hash_bwd(k->key, k->len) : hash_fwd(k->key, k->len), k->kind);
}

static uint32_t *find(struct gs_entry *e, uint32_t *bucket, uint32_t mask, const struct gs_key *k, uint64_t h)
{
	uint32_t *at = &bucket[h & mask];

	while (*at != UINT32_MAX) {
		const struct gs_entry *x = &e[*at];

		if (x->hash == h && x->kind == k->kind && x->len == k->len && memcmp(x->key, k->key, k->len) == 0)
			return at;
		at = &e[*at].next;
	}
	return at;
}

/* Each pattern is filed under its candidate key that the fewest other
 * patterns share (then the longest): "**" "/d00042/a.txt" under "d00042",
 * not under the "a.txt" of 2,500 others. Counts come from a first pass. */
esc_globset *esc_globset_new(char *const *patterns, size_t n)
{
	esc_globset *g = calloc(1, sizeof *g);
	struct gs_entry *cnt = NULL;  /* distinct keys; pat holds the count */
	uint32_t *cbucket = NULL, cmask;
	struct gs_key *keys = NULL;
	size_t i, j, nb = 16, total = 0, maxk = 0, n_cnt = 0;

	if (g == NULL || n > UINT32_MAX / 4)
		goto fail;
	for (i = 0; i < n; i++) {
		size_t l = strlen(patterns[i]);

		if (3 * l + 4 > maxk) /* 1 + per segment: 2 + its length */
			maxk = 3 * l + 4;
	}
	keys = malloc((maxk ? maxk : 1) * sizeof *keys);
	if (keys == NULL)
		goto fail;
	for (i = 0; i < n; i++) { /* how many keys in all, to size the count table */
		ptrdiff_t nk = pattern_keys(patterns[i], keys);

		total += nk > 0 ? (size_t)nk : 0;
	}
	if (total > UINT32_MAX / 4)
		goto fail;
	while (nb < 2 * total)
		nb *= 2;
	cmask = (uint32_t)(nb - 1);
	cnt = malloc((total ? total : 1) * sizeof *cnt);
	cbucket = malloc(nb * sizeof *cbucket);
	if (cnt == NULL || cbucket == NULL)
		goto fail;
	memset(cbucket, 0xff, nb * sizeof *cbucket);
	for (i = 0; i < n; i++) {
		ptrdiff_t nk = pattern_keys(patterns[i], keys);

		for (j = 0; nk > 0 && j < (size_t)nk; j++) {
			uint64_t h = key_hash(&keys[j]);
			uint32_t *at = find(cnt, cbucket, cmask, &keys[j], h);

			if (*at == UINT32_MAX) {
				cnt[n_cnt] = (struct gs_entry){h, keys[j].key, (uint32_t)keys[j].len, UINT32_MAX, 0,
				                               (uint8_t)keys[j].kind};
				*at = (uint32_t)n_cnt++;
			}
			cnt[*at].pat++;
		}
	}
	g->pat = patterns;
	g->n = n;
	nb = 16;
	while (nb < 2 * n)
		nb *= 2;
	g->mask = (uint32_t)(nb - 1);
	g->e = malloc((n ? n : 1) * sizeof *g->e);
	g->bucket = malloc(nb * sizeof *g->bucket);
	g->wild = malloc((n ? n : 1) * sizeof *g->wild);
	if (g->e == NULL || g->bucket == NULL || g->wild == NULL)
		goto fail;
	memset(g->bucket, 0xff, nb * sizeof *g->bucket);
	for (i = 0; i < n; i++) {
		ptrdiff_t nk = pattern_keys(patterns[i], keys);
		struct gs_entry *e = &g->e[g->n_e];
		uint32_t best = UINT32_MAX, best_len = 0;
		const struct gs_key *bk = NULL;

		if (nk < 0)
			continue; /* matches nothing */
		for (j = 0; j < (size_t)nk; j++) {
			uint32_t c = cnt[*find(cnt, cbucket, cmask, &keys[j], key_hash(&keys[j]))].pat;

			if (c < best || (c == best && keys[j].len > best_len)) {
				best = c;
				best_len = (uint32_t)keys[j].len;
				bk = &keys[j];
			}
		}
		if (bk == NULL) {
			g->wild[g->n_wild++] = (uint32_t)i;
			continue;
		}
		e->kind = (uint8_t)bk->kind;
		e->key = bk->key;
		e->len = (uint32_t)bk->len;
		e->pat = (uint32_t)i;
		e->hash = key_hash(bk);
		e->next = g->bucket[e->hash & g->mask];
		g->bucket[e->hash & g->mask] = (uint32_t)g->n_e++;
		g->has[bk->kind] = true;
	}
	free(keys);
	free(cnt);
	free(cbucket);
	return g;
fail:
	free(keys);
	free(cnt);
	free(cbucket);
	esc_globset_free(g);
	return NULL;
}

void esc_globset_free(esc_globset *g)
{
	if (g == NULL)
		return;
	free(g->e);
	free(g->bucket);
	free(g->wild);
	free(g);
}

/* The candidates of one path: pattern numbers, gathered then sorted. */
struct cands {
	uint32_t *v, stack[128];
	size_t n, cap;
	bool nomem;
};

static void cand_add(struct cands *c, uint32_t pat)
{
	if (c->n == c->cap) {
		size_t cap = c->cap * 2;
		uint32_t *v = c->v == c->stack ? malloc(cap * sizeof *v) : realloc(c->v, cap * sizeof *v);

		if (v == NULL) {
			c->nomem = true;
			return;
		}
		if (c->v == c->stack)
			memcpy(v, c->stack, sizeof c->stack);
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = pat;
}

static void lookup(const esc_globset *g, struct cands *c, unsigned kind, uint64_t raw, const char *s,
                   size_t len)
{
	uint64_t h = mix(raw, kind);
	uint32_t i;

	for (i = g->bucket[h & g->mask]; i != UINT32_MAX; i = g->e[i].next) {
		const struct gs_entry *e = &g->e[i];

		if (e->hash == h && e->kind == kind && e->len == len && memcmp(e->key, s, len) == 0)
			cand_add(c, e->pat);
	}
}

static void gather(const esc_globset *g, const char *path, struct cands *c)
{
	const char *seg = path, *q;
	uint64_t hp = FNV_OFF;

	for (q = path;; q++) {
		if (*q == '/' || *q == '\0') {
			size_t n = (size_t)(q - seg), i;

			if (g->has[K_PREFIX])
				lookup(g, c, K_PREFIX, hp, path, (size_t)(q - path));
			if (g->has[K_SEG])
				lookup(g, c, K_SEG, hash_fwd(seg, n), seg, n);
			if (g->has[K_HEAD]) {
				uint64_t h = FNV_OFF;

				for (i = 1; i <= n; i++) { /* "abc*" matches "abc" too */
					h = (h ^ (uint8_t)seg[i - 1]) * FNV_PRIME;
					lookup(g, c, K_HEAD, h, seg, i);
				}
			}
			if (g->has[K_GRAM])
				for (i = 0; i + GRAM <= n; i++)
					lookup(g, c, K_GRAM, hash_fwd(seg + i, GRAM), seg + i, GRAM);
			if (g->has[K_TAIL]) {
				uint64_t h = FNV_OFF;

				for (i = 1; i <= n; i++) {
					h = (h ^ (uint8_t)seg[n - i]) * FNV_PRIME;
					lookup(g, c, K_TAIL, h, q - i, i);
				}
			}
			if (*q == '\0')
				break;
			seg = q + 1;
		}
		hp = (hp ^ (uint8_t)*q) * FNV_PRIME;
	}
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;

	return x < y ? -1 : x > y;
}

int esc_globset_each(const esc_globset *g, const char *path, int is_dir, int (*fn)(size_t, void *),
                     void *user)
{
	struct cands c;
	size_t i, w;
	int r = 0;

	if (g == NULL || path == NULL || *path == '\0')
		return 0;
	c.v = c.stack;
	c.n = 0;
	c.cap = sizeof c.stack / sizeof c.stack[0];
	c.nomem = false;
	gather(g, path, &c);
	if (c.nomem) {
		/* no room to sort candidates: every pattern, in order (same result) */
		for (i = 0; i < g->n && r == 0; i++)
			if (esc_glob_match_dir(g->pat[i], path, is_dir))
				r = fn(i, user);
		goto out;
	}
	qsort(c.v, c.n, sizeof *c.v, cmp_u32);
	/* merged with the patterns tried everywhere (already in order), so that
	 * a caller who wants the first match stops there */
	for (i = 0, w = 0; (i < c.n || w < g->n_wild) && r == 0;) {
		uint32_t pat;

		if (w >= g->n_wild || (i < c.n && c.v[i] < g->wild[w])) {
			pat = c.v[i++];
			if (i > 1 && c.v[i - 2] == pat)
				continue;
		} else {
			pat = g->wild[w++];
		}
		if (esc_glob_match_dir(g->pat[pat], path, is_dir))
			r = fn(pat, user);
	}
out:
	if (c.v != c.stack)
		free(c.v);
	return r;
}

static int stop(size_t i, void *user)
{
	(void)i;
	(void)user;
	return 1;
}

int esc_globset_any(const esc_globset *g, const char *path, int is_dir)
{
	return esc_globset_each(g, path, is_dir, stop, NULL);
}
