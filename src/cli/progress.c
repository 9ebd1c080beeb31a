/* progress.c -- one progress line on a terminal, redrawn at most 5 times a
 * second (zstd's DISPLAYUPDATE), never when stderr is not a terminal. */
#include "cli.h"

#include <time.h>
#include <unistd.h>

bool cli_quiet; /* -q: set by the commands, read by messages.c too */
static int drawn;
static double start, last;
static int tty = -1;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
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

void cli_progress_cb(void *user, uint64_t done, uint64_t total)
{
	double t = now(), rate;
	char d[32], r[32];

	(void)user;
	if (tty < 0)
		tty = isatty(STDERR_FILENO);
	if (!tty || cli_quiet)
		return;
	if (start == 0)
		start = last = t;
	if (t - last < 0.2 && !(total && done >= total))
		return;
	last = t;
	rate = t > start ? (double)done / (t - start) : 0;
	human(d, sizeof d, (double)done);
	human(r, sizeof r, rate);
	if (total > 0 && rate > 0) {
		char tot[32];
		double eta = (double)(total - (done < total ? done : total)) / rate;

		human(tot, sizeof tot, (double)total);
		fprintf(stderr, "\r\033[K%s / %s  %s/s  %3.0f%%  ETA %02d:%02d", d, tot, r,
		        100.0 * (double)done / (double)total, (int)eta / 60, (int)eta % 60);
	} else {
		fprintf(stderr, "\r\033[K%s  %s/s", d, r);
	}
	drawn = 1;
}

void cli_progress_done(void)
{
	if (drawn) {
		fputs("\r\033[K", stderr);
		drawn = 0;
	}
	start = 0;
}
