/* limits.h -- runs one parser case in a forked child held to 256 MiB of
 * address space (RLIMIT_AS; not under a sanitizer, whose shadow memory needs
 * terabytes of it) and 60 s of CPU (a safety net, not a timing assertion),
 * and reads its peak RSS and CPU time from wait4(). Inputs are generated in
 * the child, piece by piece, so the parent stays small. Header-only. */
#ifndef ESC_TEST_LIMITS_H
#define ESC_TEST_LIMITS_H

#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include "formats/esc_fmt.h"

#if defined(__SANITIZE_ADDRESS__)
#define LIM_SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(memory_sanitizer)
#define LIM_SANITIZED 1
#endif
#endif
#ifndef LIM_SANITIZED
#define LIM_SANITIZED 0
#endif

#define LIM_MEM_MAX (256ull << 20)
#define LIM_CPU_SECS 60

/* A generated input: up to 6 pieces, each bytes repeated count times. */
struct lim_piece {
	const void *p;
	size_t n;
	uint64_t count;
};

struct lim_input {
	struct lim_piece v[6];
	unsigned n;
};

static inline void lim_add(struct lim_input *in, const void *p, size_t n, uint64_t count)
{
	if (in->n == 6)
		abort();
	in->v[in->n++] = (struct lim_piece){ p, n, count };
}

static inline void lim_adds(struct lim_input *in, const char *s, uint64_t count)
{
	lim_add(in, s, strlen(s), count);
}

static inline uint64_t lim_size(const struct lim_input *in)
{
	uint64_t t = 0;

	for (unsigned i = 0; i < in->n; i++)
		t += in->v[i].n * in->v[i].count;
	return t;
}

/* Calls fn on consecutive chunks of at most 64 KiB (what the pipeline
 * feeds) until it returns nonzero or the input ends. */
static inline void lim_stream(const struct lim_input *in, int (*fn)(void *u, const uint8_t *b, size_t n, uint64_t off),
                              void *u)
{
	static uint8_t buf[1 << 16];
	size_t fill = 0;
	uint64_t off = 0;

	for (unsigned i = 0; i < in->n; i++) {
		const struct lim_piece *pc = &in->v[i];

		for (uint64_t k = 0; k < pc->count; k++) {
			size_t done = 0;

			while (done < pc->n) {
				size_t take = pc->n - done < sizeof buf - fill ? pc->n - done : sizeof buf - fill;

				memcpy(buf + fill, (const uint8_t *)pc->p + done, take);
				fill += take;
				done += take;
				if (fill == sizeof buf) {
					if (fn(u, buf, fill, off))
						return;
					off += fill;
					fill = 0;
				}
			}
		}
	}
	if (fill)
		(void)fn(u, buf, fill, off);
}

struct lim_fmt_run {
	const struct esc_fmt_ops *o;
	void *st;
};

static inline int lim_fmt_chunk(void *u, const uint8_t *b, size_t n, uint64_t off)
{
	struct lim_fmt_run *r = u;

	return r->o->update(r->st, b, n, off);
}

/* The same over bytes a generator writes: gen fills at most cap bytes of
 * buf and returns how many, 0 at the end. */
static inline int lim_fmt_gen(const struct esc_fmt_ops *o, const char *path, uint64_t size,
                              size_t (*gen)(void *g, uint8_t *buf, size_t cap), void *g, char *reason)
{
	static uint8_t buf[1 << 16];
	void *st = calloc(1, o->state_size);
	uint64_t off = 0;
	size_t n;
	int ok;

	if (!st)
		abort();
	o->init(st, path, size);
	while ((n = gen(g, buf, sizeof buf)) > 0) {
		if (o->update(st, buf, n, off))
			break;
		off += n;
	}
	reason[0] = '\0';
	ok = o->final(st, reason, 256);
	if (o->release)
		o->release(st);
	free(st);
	return ok;
}

/* One checker over the generated input: its verdict, the reason in
 * reason[256]. */
static inline int lim_fmt(const struct esc_fmt_ops *o, const char *path, const struct lim_input *in, char *reason)
{
	struct lim_fmt_run r = { o, calloc(1, o->state_size) };
	int ok;

	if (!r.st)
		abort();
	o->init(r.st, path, lim_size(in));
	lim_stream(in, lim_fmt_chunk, &r);
	reason[0] = '\0';
	ok = o->final(r.st, reason, 256);
	if (o->release)
		o->release(r.st);
	free(r.st);
	return ok;
}

/* Runs fn() in a child under the limits; 1 when it exited 0 (fn returned 0)
 * within LIM_MEM_MAX of peak RSS. Prints what it measured. */
static inline int lim_run(const char *name, int (*fn)(void))
{
	struct rusage ru;
	int status = 0;
	pid_t pid;
	double cpu;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0)
		return 0;
	if (pid == 0) {
		struct rlimit cpu_l = { LIM_CPU_SECS, LIM_CPU_SECS }, as = { LIM_MEM_MAX, LIM_MEM_MAX };

		setvbuf(stdout, NULL, _IOLBF, 0); /* what was seen before a kill */
		if (setrlimit(RLIMIT_CPU, &cpu_l) != 0 || (!LIM_SANITIZED && setrlimit(RLIMIT_AS, &as) != 0))
			_exit(99);
		int r = fn();

		fflush(stdout);
		_exit(r == 0 ? 0 : 1);
	}
	if (wait4(pid, &status, 0, &ru) != pid)
		return 0;
	cpu = (double)ru.ru_utime.tv_sec + (double)ru.ru_stime.tv_sec +
	      ((double)ru.ru_utime.tv_usec + (double)ru.ru_stime.tv_usec) / 1e6;
	printf("    %-28s peak %7ld KiB  cpu %6.2f s  %s\n", name, ru.ru_maxrss, cpu,
	       WIFEXITED(status) ? (WEXITSTATUS(status) == 0 ? "ok" : "WRONG VERDICT")
	                         : (WTERMSIG(status) == SIGXCPU ? "CPU LIMIT" : "KILLED"));
	fflush(stdout);
	return WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
	       (LIM_SANITIZED || (uint64_t)ru.ru_maxrss * 1024 <= LIM_MEM_MAX);
}

#define MiB (1ull << 20)

/* The reason the last lim_verdict() checker gave. */
static inline char *lim_why(void)
{
	static char why[256];

	return why;
}

/* 0 when the checker's verdict on the generated input is `want`; prints
 * the verdict and reason. */
static inline int lim_verdict(const struct esc_fmt_ops *o, const char *path, const struct lim_input *in, int want)
{
	char *why = lim_why();
	int ok = lim_fmt(o, path, in, why);

	printf("      %s: %s%s%s\n", path, ok ? "pass" : "fail", why[0] ? ": " : "", why);
	if (ok != want)
		printf("      %s: expected %s\n", path, want ? "pass" : "fail");
	return ok != want;
}

/* Appends v as `bytes` little-endian bytes at *p (zeros past the eighth:
 * lim_le(&p, 0, 20) writes 20 zero bytes). */
static inline void lim_le(uint8_t **p, uint64_t v, unsigned bytes)
{
	for (unsigned k = 0; k < bytes; k++)
		*(*p)++ = k < 8 ? (uint8_t)(v >> (8 * k)) : 0;
}

/* A cmocka test t_fn that runs fn() under the limits. */
#define LIM_TEST(fn)                                                                                          \
	static void t_##fn(void **state)                                                                      \
	{                                                                                                     \
		(void)state;                                                                                  \
		assert_true(lim_run(#fn, fn));                                                                \
	}

#endif
