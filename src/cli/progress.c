/* progress.c -- what a long operation is doing, on stderr, in the form asked
 * with --progress: a line redrawn at most 10 times a second on a terminal
 * (zstd's DISPLAYUPDATE), one plain line every few seconds for a CI log, or
 * one JSON object a line (docs/schema/escrow-progress-1.schema.json). The
 * library calls cli_progress_ex_cb from the thread that called it, thinned
 * out already (at most once per MiB or 256 files); the time checks are ours. */
#include "cli.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

bool cli_quiet; /* -q: set by the commands, read by messages.c too */

enum mode { M_AUTO, M_BAR, M_PLAIN, M_JSON, M_NONE };
static enum mode asked = M_AUTO, mode = M_AUTO;
static bool resolved;
static double interval = -1;     /* seconds between lines; -1: the mode's default */
static const char *command = "escrow";
static bool drawn;               /* a bar is on the screen */

/* Per phase: when it started and when it was last shown. */
static struct phase_state {
	bool active;
	double start, last;
	uint64_t start_bytes; /* the first call comes after some work: the rate counts from it */
} ps[ESCROW_PHASE_MASK + 1];

static const char *const phase_names[] = {"", "unlock", "walk", "pack", "read", "audit", "check"};

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

int cli_progress_set(const char *arg)
{
	static const char *const names[] = {"auto", "bar", "plain", "json", "none"};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(arg, names[i]) == 0) {
			asked = (enum mode)i;
			resolved = false;
			return 0;
		}
	return -1;
}

void cli_progress_command(const char *name)
{
	command = name;
}

static void resolve(void)
{
	const char *iv = getenv("ESCROW_PROGRESS_INTERVAL");
	char *end;

	if (resolved)
		return;
	resolved = true;
	mode = asked;
	if (cli_quiet)
		mode = M_NONE;
	else if (mode == M_AUTO)
		mode = isatty(STDERR_FILENO) ? M_BAR : M_NONE;
	interval = mode == M_BAR ? 0.1 : mode == M_PLAIN ? 5.0 : 1.0;
	/* Seconds between lines, for tests and for logs that want more or less. */
	if (iv != NULL && *iv != '\0') {
		double v = strtod(iv, &end);

		if (*end == '\0' && v >= 0 && isfinite(v))
			interval = v;
	}
}

static void human(char *out, size_t len, double bytes)
{
	const char *units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int u = 0;

	while (bytes >= 1024 && u < 4) {
		bytes /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", bytes, units[u]);
}

static void clock_text(char *out, size_t len, double s)
{
	long t = (long)(s + 0.5);

	if (t >= 3600)
		snprintf(out, len, "%ld:%02ld:%02ld", t / 3600, t / 60 % 60, t % 60);
	else
		snprintf(out, len, "%02ld:%02ld", t / 60, t % 60);
}

struct snap {
	const char *phase, *subject;
	uint64_t files, files_total, bytes, bytes_total;
	double elapsed, rate, eta; /* eta < 0: unknown */
	bool done;
};

static void put_json(const struct snap *s)
{
	char subj[1024];

	fprintf(stderr, "{\"schema\":\"escrow-progress/1\",\"command\":\"%s\",\"phase\":\"%s\",", command, s->phase);
	if (s->subject != NULL) {
		escrow_escape(subj, sizeof subj, s->subject, ESCROW_ESCAPE_JSON);
		fprintf(stderr, "\"subject\":\"%s\",", subj);
	} else {
		fputs("\"subject\":null,", stderr);
	}
	fprintf(stderr, "\"files\":%llu,", (unsigned long long)s->files);
	if (s->files_total != ESCROW_UNKNOWN)
		fprintf(stderr, "\"files_total\":%llu,", (unsigned long long)s->files_total);
	else
		fputs("\"files_total\":null,", stderr);
	fprintf(stderr, "\"bytes\":%llu,", (unsigned long long)s->bytes);
	if (s->bytes_total != ESCROW_UNKNOWN)
		fprintf(stderr, "\"bytes_total\":%llu,", (unsigned long long)s->bytes_total);
	else
		fputs("\"bytes_total\":null,", stderr);
	fprintf(stderr, "\"elapsed_s\":%.3f,\"rate_bps\":%.0f,", s->elapsed, s->rate);
	if (s->eta >= 0)
		fprintf(stderr, "\"eta_s\":%.1f,", s->eta);
	else
		fputs("\"eta_s\":null,", stderr);
	fprintf(stderr, "\"done\":%s}\n", s->done ? "true" : "false");
}

/* "read 12 files, 345.6 MiB of 680.0 MiB (51%), 812.3 MiB/s, ETA 00:01" */
static void describe(char *out, size_t len, const struct snap *s, bool plain)
{
	char b[32], bt[32], r[32], eta[32], files[64];
	int n;

	/* vault audit counts deposits */
	const char *what = strcmp(s->phase, "audit") == 0 ? "deposits" : "files";

	human(b, sizeof b, (double)s->bytes);
	human(r, sizeof r, s->rate);
	if (s->files_total != ESCROW_UNKNOWN)
		snprintf(files, sizeof files, "%llu/%llu %s", (unsigned long long)s->files,
		         (unsigned long long)s->files_total, what);
	else
		snprintf(files, sizeof files, "%llu %s", (unsigned long long)s->files, what);
	if (strcmp(s->phase, "walk") == 0) {
		/* found, not yet read: no rate, no percentage */
		snprintf(out, len, "walk %s, %s found%s", files, b, s->done && plain ? ", done" : "");
		return;
	}
	if (s->bytes_total != ESCROW_UNKNOWN && s->bytes_total > 0) {
		human(bt, sizeof bt, (double)s->bytes_total);
		n = snprintf(out, len, "%s %s, %s of %s (%.0f%%), %s/s", s->phase, files, b, bt,
		             100.0 * (double)s->bytes / (double)s->bytes_total, r);
	} else {
		n = snprintf(out, len, "%s %s, %s, %s/s", s->phase, files, b, r);
	}
	if (n < 0 || (size_t)n >= len)
		return;
	if (s->done) {
		if (plain)
			snprintf(out + n, len - (size_t)n, ", %.1f s, done", s->elapsed);
	} else if (s->eta >= 0) {
		clock_text(eta, sizeof eta, s->eta);
		snprintf(out + n, len - (size_t)n, ", ETA %s", eta);
	}
}

static void unlock_line(const char *subject)
{
	cli_progress_done();
	if (mode == M_JSON) {
		const struct snap s = {"unlock", subject, 0, ESCROW_UNKNOWN, 0, ESCROW_UNKNOWN, 0, 0, -1, false};

		put_json(&s);
	} else {
		const char *what = subject == NULL ? "the secret key"
		                   : strcmp(subject, "-") == 0 ? "the secret key from standard input" : cli_esc(subject);

		fprintf(stderr, "escrow: unlocking %s (scrypt)...\n", what);
	}
	fflush(stderr);
}

void cli_progress_ex_cb(void *user, unsigned phase, const char *subject, uint64_t files, uint64_t files_total,
                        uint64_t bytes, uint64_t bytes_total)
{
	unsigned ph = phase & ESCROW_PHASE_MASK;
	bool end = (phase & ESCROW_PROGRESS_END) != 0;
	struct phase_state *p = &ps[ph];
	struct snap s;
	double t;
	char line[512];

	(void)user;
	resolve();
	if (mode == M_NONE || ph >= sizeof phase_names / sizeof phase_names[0])
		return;
	if (ph == ESCROW_PHASE_UNLOCK) {
		unlock_line(subject);
		return;
	}
	t = now();
	if (!p->active) {
		p->active = true;
		p->start = p->last = t;
		p->start_bytes = bytes;
	}
	if (!end && t - p->last < interval)
		return;
	p->last = t;
	p->active = !end;
	s.phase = phase_names[ph];
	s.subject = subject;
	s.files = files;
	s.files_total = files_total;
	s.bytes = bytes;
	s.bytes_total = bytes_total;
	s.elapsed = t - p->start;
	s.rate = s.elapsed > 0 && bytes >= p->start_bytes ? (double)(bytes - p->start_bytes) / s.elapsed : 0;
	s.eta = bytes_total != ESCROW_UNKNOWN && s.rate > 0 && bytes <= bytes_total
	        ? (double)(bytes_total - bytes) / s.rate : -1;
	if (end)
		s.eta = 0;
	s.done = end;
	if (mode == M_JSON) {
		put_json(&s);
	} else if (mode == M_PLAIN) {
		describe(line, sizeof line, &s, true);
		fprintf(stderr, "escrow: %s: %s\n", command, line);
	} else if (end) {
		cli_progress_done(); /* the bar is cleared at each phase's end */
		return;
	} else {
		describe(line, sizeof line, &s, false);
		fprintf(stderr, "\r\033[K%s", line);
		drawn = true;
	}
	fflush(stderr);
}

void cli_progress_done(void)
{
	if (drawn) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
		drawn = false;
	}
}
