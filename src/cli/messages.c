/* messages.c -- every line escrow prints on stderr goes through here. */
#include "cli.h"

#include <signal.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

bool cli_quiet;

static void vline(const char *tag, const char *fmt, va_list ap)
{
	cli_progress_done();
	fputs("escrow: ", stderr);
	if (tag)
		fputs(tag, stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
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
	cli_warn("%s", message);
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

	cli_error("%s", *detail ? detail : escrow_strerror(st));
	return cli_exit_code(st);
}

int cli_usage(const char *cmd, const char *usage, const char *fmt, ...)
{
	va_list ap;

	cli_progress_done();
	fprintf(stderr, "escrow %s: ", cmd);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nusage: %s\ntry 'escrow %s --help'\n", usage, cmd);
	return EX_USAGE_;
}

bool cli_once(bool *seen, const char *cmd, const char *usage, const char *name)
{
	if (*seen) {
		cli_usage(cmd, usage, "option %s given twice", name);
		return false;
	}
	*seen = true;
	return true;
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
	escrow_ctx_set_progress(ctx, cli_progress_cb, NULL);
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
