/* messages.c -- every line escrow prints on stderr goes through here. Text
 * from outside is escaped: cli_error/cli_warn/cli_info/cli_usage escape the
 * whole formatted message (our own texts hold no control characters or
 * backslashes), and the library's messages, escaped already, are printed as
 * they are (cli_error_lib, the warning callback). */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

/* A message's length before escaping, as the library bounds its own (1024
 * bytes, core_ctx.c): a 100 KB argument on the command line is not echoed
 * whole into one line on the terminal. */
#define MESSAGE_MAX 1024

/* Cuts raw (n bytes) to MESSAGE_MAX in place when longer, as the library's
 * messages are: its head and its tail joined by " ... " (the tail says what
 * is wrong), the cuts on UTF-8 character boundaries. */
static void clip(char *raw, size_t n)
{
	static const char mid[] = " ... ";
	size_t head = (MESSAGE_MAX - sizeof mid) / 2, tail = MESSAGE_MAX - sizeof mid - head;

	if (n <= MESSAGE_MAX)
		return;
	while (head > 0 && ((unsigned char)raw[head] & 0xC0) == 0x80)
		head--;
	while (tail > 0 && ((unsigned char)raw[n - tail] & 0xC0) == 0x80)
		tail--;
	memcpy(raw + head, mid, sizeof mid - 1);
	memmove(raw + head + sizeof mid - 1, raw + n - tail, tail + 1);
}

/* Escaped text (escrow_escape) of a formatted message, bounded (clip): what
 * the command line and the files name is shown, never acted on by the
 * terminal. malloc'd; NULL on ENOMEM. */
static char *vformat_escaped(const char *fmt, va_list ap)
{
	char small[512], *raw = small, *out;
	va_list aq;
	int n;
	size_t need;

	va_copy(aq, ap);
	n = vsnprintf(small, sizeof small, fmt, aq);
	va_end(aq);
	if (n < 0)
		return NULL;
	if ((size_t)n >= sizeof small) {
		raw = malloc((size_t)n + 1);
		if (raw == NULL)
			return NULL;
		vsnprintf(raw, (size_t)n + 1, fmt, ap);
	}
	clip(raw, (size_t)n);
	need = escrow_escape(NULL, 0, raw, 0);
	out = malloc(need + 1);
	if (out != NULL)
		escrow_escape(out, need + 1, raw, 0);
	if (raw != small)
		free(raw);
	return out;
}

static void text_line(const char *tag, const char *text)
{
	if (tag != NULL && strcmp(tag, "error: ") == 0)
		cli_json_note(text);
	cli_progress_done();
	fputs("escrow: ", stderr);
	if (tag)
		fputs(tag, stderr);
	fputs(text, stderr);
	fputc('\n', stderr);
}

static void vline(const char *tag, const char *fmt, va_list ap)
{
	char *text = vformat_escaped(fmt, ap);

	text_line(tag, text ? text : "(out of memory)");
	free(text);
}

const char *cli_esc(const char *s)
{
	static char *ring[4];
	static unsigned next;
	char **slot = &ring[next++ % 4];
	size_t need = escrow_escape(NULL, 0, s, 0);

	free(*slot);
	*slot = malloc(need + 1);
	if (*slot == NULL)
		return "?";
	escrow_escape(*slot, need + 1, s, 0);
	return *slot;
}

void cli_error(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vline("error: ", fmt, ap);
	va_end(ap);
}

void cli_warn(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	vline("warning: ", fmt, ap);
	va_end(ap);
}

void cli_info(const char *fmt, ...)
{
	va_list ap;

	if (cli_quiet)
		return;
	va_start(ap, fmt);
	vline(NULL, fmt, ap);
	va_end(ap);
}

void cli_warn_cb(void *user, const char *message)
{
	(void)user;
	if (!cli_quiet)
		text_line("warning: ", message); /* the library escaped it */
}

void cli_error_lib(const char *what, const char *text)
{
	const char *w = what != NULL && *what ? cli_esc(what) : NULL;
	size_t n = (w ? strlen(w) + 2 : 0) + strlen(text) + 1;
	char *line = malloc(n);

	cli_progress_done();
	if (line != NULL) {
		snprintf(line, n, "%s%s%s", w ? w : "", w ? ": " : "", text);
		cli_json_note(line);
		free(line);
	}
	/* Several errors (a contract's) come one a line: each gets the prefix. */
	do {
		size_t k = strcspn(text, "\n");

		fputs("escrow: error: ", stderr);
		if (w != NULL) {
			fputs(w, stderr);
			fputs(": ", stderr);
		}
		fwrite(text, 1, k, stderr);
		fputc('\n', stderr);
		text += k;
	} while (*text++ == '\n');
}

int cli_exit_code(escrow_status st)
{
	switch (st) {
	case ESCROW_OK: return 0;
	case ESCROW_TAMPERED:
	case ESCROW_BAD_SIGNATURE:
	case ESCROW_UNSAFE:
	case ESCROW_NO_IDENTITY: return EX_TAMPERED;
	case ESCROW_INCOMPLETE: return EX_INCOMPLETE;
	case ESCROW_E_USAGE: return EX_USAGE_;
	case ESCROW_E_INPUT:
	case ESCROW_E_PASSPHRASE:
	case ESCROW_E_NEED_PASSPHRASE:
	case ESCROW_NOT_A_BUNDLE: return EX_DATAERR_;
	case ESCROW_E_OPEN: return EX_NOINPUT_;
	case ESCROW_E_CREATE:
	case ESCROW_E_EXISTS: return EX_CANTCREAT_;
	case ESCROW_E_IO: return EX_IOERR_;
	case ESCROW_E_INTERRUPTED: return EX_INTERRUPTED;
	case ESCROW_E_NOMEM:
	case ESCROW_E_INTERNAL: return EX_SOFTWARE_;
	}
	return EX_SOFTWARE_;
}

int cli_fail(escrow_ctx *ctx, escrow_status st)
{
	const char *detail = ctx ? escrow_ctx_error(ctx) : "";

	cli_json_status(st);
	cli_error_lib(NULL, *detail ? detail : escrow_strerror(st));
	return cli_exit_code(st);
}

int cli_usage(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;
	char *text;

	cli_progress_done();
	fprintf(stderr, "escrow %s: ", cmd);
	va_start(ap, fmt);
	text = vformat_escaped(fmt, ap); /* the arguments come from the command line */
	va_end(ap);
	cli_json_status(ESCROW_E_USAGE);
	cli_json_note(text ? text : "(out of memory)");
	fputs(text ? text : "(out of memory)", stderr);
	free(text);
	fprintf(stderr, "\nusage: %s\ntry 'escrow %s --help'\n", usage, cmd);
	return EX_USAGE_;
}

int cli_usage_lib(const char *cmd, const char *usage, const char *what, const char *text)
{
	char *line = malloc(strlen(what) + strlen(text) + 3);

	cli_progress_done();
	cli_json_status(ESCROW_E_USAGE);
	if (line != NULL) {
		snprintf(line, strlen(what) + strlen(text) + 3, "%s: %s", what, text);
		cli_json_note(line);
		free(line);
	}
	/* text is the library's, escaped already; what is the program's */
	fprintf(stderr, "escrow %s: %s: %s\nusage: %s\ntry 'escrow %s --help'\n", cmd, what, text, usage, cmd);
	return EX_USAGE_;
}

int cli_opts_fail(const escrow_options *o, escrow_status st)
{
	cli_json_status(st);
	if (o == NULL || st == ESCROW_E_NOMEM) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	cli_error_lib(NULL, escrow_options_error(o));
	return cli_exit_code(st);
}

static escrow_ctx *signal_ctx;

static void on_signal(int sig)
{
	(void)sig;
	if (signal_ctx != NULL)
		escrow_ctx_interrupt(signal_ctx);
}

escrow_ctx *cli_ctx_new(void)
{
	escrow_ctx *ctx = escrow_ctx_new();
	struct sigaction sa;

	if (ctx == NULL) {
		cli_error("out of memory");
		return NULL;
	}
	escrow_ctx_set_warn(ctx, cli_warn_cb, NULL);
	escrow_ctx_set_progress_ex(ctx, cli_progress_ex_cb, NULL);
	signal_ctx = ctx;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return ctx;
}

void cli_ctx_free(escrow_ctx *ctx)
{
	if (ctx == signal_ctx)
		signal_ctx = NULL;
	escrow_ctx_free(ctx);
	cli_progress_done();
}
