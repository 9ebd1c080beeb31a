/* core_ctx.c -- status texts and the context's error detail. */
#include "escrow_private.h"

#include <errno.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* The host program's locale is never touched: the calls into libarchive run
 * under a thread-local UTF-8 locale instead (core_locale.c). */
escrow_status escrow_init(void)
{
	if (sodium_init() < 0)
		return ESCROW_E_INTERNAL;
	return ESCROW_OK;
}

unsigned escrow_version_number(void)
{
	return ESCROW_VERSION_NUMBER;
}

const char *escrow_version_string(void)
{
	return ESCROW_VERSION;
}

const char *escrow_strerror(escrow_status st)
{
	switch (st) {
	case ESCROW_OK: return "success";
	case ESCROW_TAMPERED: return "verification failed: the bundle was altered or is corrupt";
	case ESCROW_INCOMPLETE: return "the deposit does not meet the contract";
	case ESCROW_BAD_SIGNATURE: return "bad signature";
	case ESCROW_UNSAFE: return "unsafe entry in bundle";
	case ESCROW_NO_IDENTITY: return "no identity matches this sealed bundle";
	case ESCROW_E_USAGE: return "invalid argument";
	case ESCROW_E_INPUT: return "malformed input";
	case ESCROW_E_PASSPHRASE: return "wrong passphrase";
	case ESCROW_E_NEED_PASSPHRASE: return "passphrase required";
	case ESCROW_E_OPEN: return "cannot open input";
	case ESCROW_E_CREATE: return "cannot create output";
	case ESCROW_E_EXISTS: return "output exists";
	case ESCROW_E_IO: return "input/output error";
	case ESCROW_E_NOMEM: return "out of memory";
	case ESCROW_E_INTERRUPTED: return "interrupted";
	case ESCROW_E_INTERNAL: return "internal error";
	case ESCROW_NOT_A_BUNDLE: return "not an escrow bundle";
	}
	return "unknown status";
}

escrow_ctx *escrow_ctx_new(void)
{
	return calloc(1, sizeof(escrow_ctx));
}

void escrow_ctx_free(escrow_ctx *ctx)
{
	free(ctx);
}

const char *escrow_ctx_error(const escrow_ctx *ctx)
{
	return ctx ? ctx->err_shown : "";
}

const char *esc_ctx_message(const escrow_ctx *ctx)
{
	return ctx ? ctx->err : "";
}

/* The detail holds file names, tar paths and key comments from outside: what
 * callers show is escaped once, here, whatever the message. */
static void shown_update(escrow_ctx *ctx)
{
	esc_escape(ctx->err_shown, sizeof ctx->err_shown, ctx->err, strlen(ctx->err), ESC_ESCAPE_TEXT);
}

escrow_status escrow_ctx_status(const escrow_ctx *ctx)
{
	return ctx ? ctx->status : ESCROW_E_USAGE;
}

void escrow_ctx_set_warn(escrow_ctx *ctx, escrow_warn_fn fn, void *user)
{
	ctx->warn = fn;
	ctx->warn_user = user;
}

void escrow_ctx_set_progress(escrow_ctx *ctx, escrow_progress_fn fn, void *user)
{
	ctx->progress = fn;
	ctx->progress_user = user;
}

void escrow_ctx_set_progress_ex(escrow_ctx *ctx, escrow_progress_ex_fn fn, void *user)
{
	ctx->progress_ex = fn;
	ctx->progress_ex_user = user;
	ctx->pg_phase = 0;
}

void escrow_ctx_set_threads(escrow_ctx *ctx, int threads)
{
	ctx->threads = threads < 0 ? 0 : threads;
}

void escrow_ctx_interrupt(escrow_ctx *ctx)
{
	atomic_store(&ctx->interrupted, 1);
}

/* A message longer than its buffer keeps its head and its tail, joined by
 * " ... ": the tail says what is wrong (a path of 4,000 bytes in the middle
 * must not push "is not inside a folder" out of the message). Cuts fall on
 * UTF-8 character boundaries. Without the memory to format it whole, it is
 * cut at the end as vsnprintf cuts it. */
void esc_vclip(char *dst, size_t cap, const char *fmt, va_list ap)
{
	static const char mid[] = " ... ";
	va_list ap2;
	char *all;
	size_t head, tail;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(dst, cap, fmt, ap);
	if (n < 0 || (size_t)n < cap || cap < 64 || (all = malloc((size_t)n + 1)) == NULL) {
		va_end(ap2);
		return;
	}
	vsnprintf(all, (size_t)n + 1, fmt, ap2);
	va_end(ap2);
	head = (cap - sizeof mid) / 2;
	tail = cap - sizeof mid - head;
	while (head > 0 && ((unsigned char)all[head] & 0xC0) == 0x80)
		head--;
	while (tail > 0 && ((unsigned char)all[(size_t)n - tail] & 0xC0) == 0x80)
		tail--;
	memcpy(dst, all, head);
	memcpy(dst + head, mid, sizeof mid - 1);
	memcpy(dst + head + sizeof mid - 1, all + (size_t)n - tail, tail);
	dst[head + sizeof mid - 1 + tail] = '\0';
	free(all);
}

void esc_clipf(char *dst, size_t cap, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	esc_vclip(dst, cap, fmt, ap);
	va_end(ap);
}

escrow_status esc_error(escrow_ctx *ctx, escrow_status st, const char *fmt, ...)
{
	char msg[ESC_ERRLEN];
	va_list ap;

	if (ctx == NULL)
		return st;
	ctx->status = st;
	/* formatted apart first: the arguments may hold the message in place
	 * (esc_error(ctx, st, "%s: ...", esc_ctx_message(ctx))) */
	va_start(ap, fmt);
	esc_vclip(msg, sizeof msg, fmt, ap);
	va_end(ap);
	memcpy(ctx->err, msg, strlen(msg) + 1);
	shown_update(ctx);
	return st;
}

escrow_status esc_error_lines(escrow_ctx *ctx, escrow_status st, char *const *lines, size_t n)
{
	size_t i, o = 0;

	if (ctx == NULL || n == 0)
		return st;
	ctx->status = st;
	snprintf(ctx->err, sizeof ctx->err, "%s", lines[0]);
	ctx->err_shown[0] = '\0';
	/* Each line escaped on its own: a newline inside one (a key from the
	 * file) stays an escape, the separators between them stay newlines. */
	for (i = 0; i < n; i++) {
		size_t need = esc_escape(NULL, 0, lines[i], strlen(lines[i]), ESC_ESCAPE_TEXT);

		if (o + need + 2 > sizeof ctx->err_shown)
			break;
		if (i > 0)
			ctx->err_shown[o++] = '\n';
		esc_escape(ctx->err_shown + o, sizeof ctx->err_shown - o, lines[i], strlen(lines[i]), ESC_ESCAPE_TEXT);
		o += need;
	}
	return st;
}

escrow_status esc_source_date_epoch(escrow_ctx *ctx, bool *have, int64_t *epoch)
{
	const char *s = getenv("SOURCE_DATE_EPOCH");
	char *end;
	long long v;

	*have = false;
	if (s == NULL || *s == '\0')
		return ESCROW_OK;
	errno = 0;
	v = strtoll(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < 0 || *s < '0' || *s > '9')
		return esc_error(ctx, ESCROW_E_USAGE, "SOURCE_DATE_EPOCH=%s: not a number of seconds", s);
	/* Every date a bundle, a report or a receipt holds is YYYY-MM-DDTHH:MM:SSZ:
	 * a later one was a bundle verify called tampered, or a date gmtime_r
	 * could not give at all. */
	if (v > ESC_EPOCH_MAX)
		return esc_error(ctx, ESCROW_E_USAGE, "SOURCE_DATE_EPOCH=%s: after 9999-12-31T23:59:59Z (%lld), the "
		                 "last date a bundle can hold", s, (long long)ESC_EPOCH_MAX);
	*have = true;
	*epoch = v;
	return ESCROW_OK;
}

escrow_status esc_nomem(escrow_ctx *ctx)
{
	return esc_error(ctx, ESCROW_E_NOMEM, "out of memory");
}

char *esc_strf(const char *fmt, ...)
{
	va_list ap;
	char *s;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (s = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(s, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return s;
}

char *esc_path_join(const char *dir, const char *name)
{
	return *dir == '\0' ? strdup(name) : esc_strf("%s/%s", dir, name);
}

void esc_error_prefix(escrow_ctx *ctx, const char *fmt, ...)
{
	char old[ESC_ERRLEN], pre[ESC_ERRLEN];
	va_list ap;

	if (ctx == NULL)
		return;
	memcpy(old, ctx->err, sizeof old);
	va_start(ap, fmt);
	esc_vclip(pre, sizeof pre, fmt, ap);
	va_end(ap);
	esc_clipf(ctx->err, sizeof ctx->err, "%s: %s", pre, old);
	shown_update(ctx);
}

void esc_clear_error(escrow_ctx *ctx)
{
	if (ctx == NULL)
		return;
	ctx->status = ESCROW_OK;
	ctx->err[0] = '\0';
	ctx->err_shown[0] = '\0';
}

void esc_warn(escrow_ctx *ctx, const char *fmt, ...)
{
	char msg[ESC_ERRLEN], shown[4 * ESC_ERRLEN];
	va_list ap;

	if (ctx == NULL || ctx->warn == NULL)
		return;
	va_start(ap, fmt);
	esc_vclip(msg, sizeof msg, fmt, ap);
	va_end(ap);
	esc_escape(shown, sizeof shown, msg, strlen(msg), ESC_ESCAPE_TEXT);
	ctx->warn(ctx->warn_user, shown);
}

void esc_progress(escrow_ctx *ctx, uint64_t done, uint64_t total)
{
	if (ctx != NULL && ctx->progress != NULL)
		ctx->progress(ctx->progress_user, done, total);
}

#define PG_FILES 256u
#define PG_BYTES (1u << 20)

void esc_progress_ex(escrow_ctx *ctx, unsigned phase, const char *subject, uint64_t files, uint64_t files_total,
                     uint64_t bytes, uint64_t bytes_total)
{
	bool end = (phase & ESCROW_PROGRESS_END) != 0;
	unsigned ph = phase & ESCROW_PHASE_MASK;

	if (ctx == NULL || ctx->progress_ex == NULL)
		return;
	/* A counter below the last one is a new run of the same phase. */
	if (!end && ph == ctx->pg_phase && files >= ctx->pg_files && bytes >= ctx->pg_bytes &&
	    files - ctx->pg_files < PG_FILES && bytes - ctx->pg_bytes < PG_BYTES)
		return;
	ctx->pg_phase = end ? 0 : ph;
	ctx->pg_files = files;
	ctx->pg_bytes = bytes;
	ctx->progress_ex(ctx->progress_ex_user, phase, subject, files, files_total, bytes, bytes_total);
}

escrow_status esc_check_interrupt(escrow_ctx *ctx)
{
	if (esc_interrupted(ctx))
		return esc_error(ctx, ESCROW_E_INTERRUPTED, "interrupted");
	return ESCROW_OK;
}

bool esc_interrupted(const escrow_ctx *ctx)
{
	return ctx != NULL && atomic_load(&ctx->interrupted) != 0;
}

int esc_threads(const escrow_ctx *ctx)
{
	long n;

	if (ctx != NULL && ctx->threads > 0)
		return ctx->threads;
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1)
		n = 1;
	if (n > 64)
		n = 64;
	return (int)n;
}
