/* core_mem.c -- buffers of megabytes. Each page of a fresh buffer costs a
 * page fault when first touched, and on a virtual machine a fault is dear:
 * ~10 us on the 2-core VM of bench/README.md, 0.17 s to touch 64 MiB in 4 KiB
 * pages against 0.004 s in 2 MiB pages. A large buffer is therefore mapped
 * on its own, on a 2 MiB boundary, and marked for transparent huge pages (a
 * hint: where the kernel has none to give, or THP is off, it maps small pages
 * as before). Mapped, not malloc'd: glibc would carve it out of a heap whose
 * pages earlier blocks touched in small pages, or of a mapping it does not
 * align, and which it keeps or gives back by rules of its own.
 *
 * Each block has a 16-byte header just before it: the mapping's start and
 * length, or a null start for a small block, which is malloc'd. */
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_customMem */
#include "escrow_private.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#define HUGE_PAGE ((size_t)2 << 20)
#define HEAD 16u

struct head {
	void *base; /* the mapping, or NULL: malloc'd at (char *)block - HEAD */
	size_t len;
};
_Static_assert(sizeof(struct head) <= HEAD, "the header fits");

static size_t page_size(void)
{
	long p = sysconf(_SC_PAGESIZE);

	return p > 0 ? (size_t)p : 4096;
}

/* malloc'd, behind a header that says so */
static void *small_alloc(size_t n)
{
	struct head hd = {NULL, 0};
	uint8_t *q = n <= SIZE_MAX - HEAD ? malloc(n + HEAD) : NULL;

	if (q == NULL)
		return NULL;
	memcpy(q, &hd, sizeof hd);
	return q + HEAD;
}

void *esc_big_alloc(size_t n)
{
	size_t pg = page_size(), r, h, total;
	struct head hd;
	uint8_t *base, *p;

	/* Below 1.75 MiB no huge page would be whole: a plain block. So it is
	 * in a sanitizer's build, whose malloc watches every byte's bounds. */
	if (n < HUGE_PAGE - HUGE_PAGE / 8 || n > SIZE_MAX / 2 || ESC_SANITIZED)
		return small_alloc(n);
	/* Rounded up to whole huge pages when that adds at most an eighth;
	 * else the tail past the last whole one stays in small pages. */
	r = (n + pg - 1) / pg * pg;
	h = (n + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
	if (h - n <= n / 8)
		r = h;
	/* a page for the header, and room to move to a 2 MiB boundary */
	total = pg + r + HUGE_PAGE;
	base = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (base == MAP_FAILED)
		return NULL;
	p = (uint8_t *)(((uintptr_t)base + pg + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1));
	/* what lies before the header's page and after the block goes back */
	if (p - pg > base)
		munmap(base, (size_t)(p - pg - base));
	if (p + r < base + total)
		munmap(p + r, (size_t)(base + total - (p + r)));
#ifdef MADV_HUGEPAGE
	if (r >= HUGE_PAGE)
		(void)madvise(p, r / HUGE_PAGE * HUGE_PAGE, MADV_HUGEPAGE);
#endif
	hd = (struct head){p - pg, pg + r};
	memcpy(p - HEAD, &hd, sizeof hd);
	return p;
}

void esc_big_free(void *p)
{
	struct head hd;

	if (p == NULL)
		return;
	memcpy(&hd, (uint8_t *)p - HEAD, sizeof hd);
	if (hd.base == NULL)
		free((uint8_t *)p - HEAD);
	else
		munmap(hd.base, hd.len);
}

void *esc_big_realloc(void *p, size_t used, size_t n)
{
	void *q = esc_big_alloc(n);

	if (q == NULL)
		return NULL;
	if (p != NULL)
		memcpy(q, p, used < n ? used : n);
	esc_big_free(p);
	return q;
}

/* Only from 4 MiB on: a compressor's 2 MiB workspace is not all touched,
 * and a huge page takes the whole 2 MiB (1 MiB more of a million-file pack's
 * peak, with two workers). The windows and the tag frame's tables are. */
static void *zalloc(void *opaque, size_t n)
{
	(void)opaque;
	return n < 2 * HUGE_PAGE ? small_alloc(n) : esc_big_alloc(n);
}

static void zfree(void *opaque, void *p)
{
	(void)opaque;
	esc_big_free(p);
}

/* libzstd's contexts allocate their windows, tables and job buffers here.
 * Not all: the multi-threaded compressor takes its long-distance-matching
 * table (8 MiB for the tag frame) from malloc, by parameters whose allocator
 * libzstd 1.5.4 gives no way to set. */
static const ZSTD_customMem zmem = {zalloc, zfree, NULL};

ZSTD_CCtx *esc_zstd_cctx(void)
{
	return ZSTD_createCCtx_advanced(zmem);
}

ZSTD_DCtx *esc_zstd_dctx(void)
{
	return ZSTD_createDCtx_advanced(zmem);
}
