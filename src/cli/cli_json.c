/* cli_json.c -- what --json promises beyond each command's own document
 * (docs/JSON.md): stdout is never left empty. A command that ends in error
 * before it printed its document leaves one error object there instead
 * (schema escrow-error/1), with the first error message it printed on stderr
 * and the file that message names. */
#include "cli.h"

#include <stdlib.h>
#include <string.h>

static struct {
	bool on;             /* --json (or a prefix getopt takes for it) is in argv */
	bool used;           /* the command wrote its own output on stdout */
	char command[64];    /* "verify", "vault key add"; "" when unknown */
	int argc;
	char **argv;
	int first;           /* argv[first..] are the command's arguments */
	bool have_st;
	escrow_status st;    /* the status of the first error, when known */
	char *message;       /* the first error message, as printed */
} J;

static bool is_json_opt(const char *a)
{
	size_t n = strlen(a);

	return n >= 3 && n <= 6 && strncmp(a, "--json", n) == 0;
}

/* A command word: a lower-case letter, then letters and '-' (no outside text). */
static bool word(const char *s)
{
	if (s == NULL || !(*s >= 'a' && *s <= 'z') || strlen(s) > 20)
		return false;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || *s == '-'))
			return false;
	return true;
}

static void add_word(const char *w)
{
	size_t n = strlen(J.command);

	snprintf(J.command + n, sizeof J.command - n, "%s%s", n ? " " : "", w);
	J.first++;
}

void cli_json_begin(int argc, char **argv)
{
	int i;

	memset(&J, 0, sizeof J);
	J.argc = argc;
	J.argv = argv;
	J.first = 1;
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		if (is_json_opt(argv[i]))
			J.on = true;
	if (argc < 2 || !word(argv[1]))
		return;
	add_word(argv[1]);
	if ((strcmp(argv[1], "vault") == 0 || strcmp(argv[1], "receipt") == 0) && argc > 2 && word(argv[2])) {
		add_word(argv[2]);
		if (argc > 3 && (strcmp(argv[2], "contract") == 0 || strcmp(argv[2], "key") == 0) && word(argv[3]))
			add_word(argv[3]);
	}
}

void cli_json_command(const char *name)
{
	snprintf(J.command, sizeof J.command, "%s", name ? name : "");
}

bool cli_json_on(void)
{
	return J.on;
}

void cli_stdout_used(void)
{
	J.used = true;
}

void cli_json_status(escrow_status st)
{
	if (!J.have_st && J.message == NULL) {
		J.have_st = true;
		J.st = st;
	}
}

void cli_json_note(const char *message)
{
	if (J.on && J.message == NULL)
		J.message = strdup(message);
}

/* Options whose value is no file: their values are never "the file". */
static bool value_not_file(const char *opt)
{
	static const char *const names[] = {"-l", "-j", "-x", "-r", "--level", "--threads", "--exclude", "--recipient",
	                                    "--name", "--release", "--reason", "--event", "--sample", "--max-duration",
	                                    "--deposit", "--deliverable"};
	size_t i;

	for (i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(opt, names[i]) == 0)
			return true;
	return false;
}

/* Where s is in msg as a whole name: after a space, a quote or '(', and
 * before ':', a quote, ',', ')' or the end; or first in msg, before ':', a
 * space or the end ("DIR is not empty"). -1 when it is not. */
static long name_at(const char *msg, const char *s)
{
	size_t n = strlen(s);
	const char *p = msg;

	while (n > 0 && (p = strstr(p, s)) != NULL) {
		char after = p[n];

		if (p == msg && (after == '\0' || after == ':' || after == ' '))
			return 0;
		if (p > msg && strchr(" '\"(", p[-1]) != NULL && strchr(":'\",)", after) != NULL)
			return (long)(p - msg);
		p++;
	}
	return -1;
}

/* The argument (an operand, or a file option's value) the message names
 * first; NULL when it names none. */
static const char *file_named(const char *msg)
{
	const char *best = NULL;
	long best_at = -1;
	int i;

	for (i = J.first; i < J.argc; i++) {
		const char *a = J.argv[i], *eq;
		long at;

		if (strcmp(a, "--") == 0)
			continue;
		if (a[0] == '-' && a[1] != '\0') {
			eq = strncmp(a, "--", 2) == 0 ? strchr(a, '=') : NULL;
			if (eq == NULL)
				continue; /* an option; its value is the next argument */
			a = eq + 1;
		} else if (i > J.first && value_not_file(J.argv[i - 1])) {
			continue;
		}
		at = name_at(msg, a);
		if (at >= 0 && (best_at < 0 || at < best_at)) {
			best = a;
			best_at = at;
		}
	}
	return best;
}

static const char *status_name(escrow_status st)
{
	switch (st) {
	case ESCROW_OK: return "ok";
	case ESCROW_TAMPERED: return "tampered";
	case ESCROW_INCOMPLETE: return "incomplete";
	case ESCROW_BAD_SIGNATURE: return "bad-signature";
	case ESCROW_UNSAFE: return "unsafe";
	case ESCROW_NO_IDENTITY: return "not-opened";
	case ESCROW_E_USAGE: return "usage";
	case ESCROW_E_INPUT: return "bad-input";
	case ESCROW_E_PASSPHRASE: return "wrong-passphrase";
	case ESCROW_E_NEED_PASSPHRASE: return "need-passphrase";
	case ESCROW_E_OPEN: return "cannot-open";
	case ESCROW_E_CREATE: return "cannot-create";
	case ESCROW_E_EXISTS: return "exists";
	case ESCROW_E_IO: return "io-error";
	case ESCROW_E_NOMEM: return "out-of-memory";
	case ESCROW_E_INTERRUPTED: return "interrupted";
	case ESCROW_E_INTERNAL: return "internal";
	case ESCROW_NOT_A_BUNDLE: return "not-a-bundle";
	}
	return "internal";
}

/* The status an exit code stands for when no error said which. */
static escrow_status status_of_code(int rc)
{
	switch (rc) {
	case EX_TAMPERED: return ESCROW_TAMPERED;
	case EX_INCOMPLETE: return ESCROW_INCOMPLETE;
	case EX_USAGE_: return ESCROW_E_USAGE;
	case EX_DATAERR_: return ESCROW_E_INPUT;
	case EX_NOINPUT_: return ESCROW_E_OPEN;
	case EX_CANTCREAT_: return ESCROW_E_CREATE;
	case EX_IOERR_: return ESCROW_E_IO;
	case EX_INTERRUPTED: return ESCROW_E_INTERRUPTED;
	}
	return ESCROW_E_INTERNAL;
}

void cli_json_string(FILE *f, const char *s)
{
	size_t need;
	char *body;

	if (s == NULL) {
		fputs("null", f);
		return;
	}
	need = escrow_escape(NULL, 0, s, ESCROW_ESCAPE_JSON);
	body = malloc(need + 1);
	if (body != NULL)
		escrow_escape(body, need + 1, s, ESCROW_ESCAPE_JSON);
	fprintf(f, "\"%s\"", body ? body : "");
	free(body);
}

int cli_json_end(int rc)
{
	escrow_status st;
	const char *msg;

	if (J.on && !J.used && rc != 0) {
		st = J.have_st && cli_exit_code(J.st) == rc ? J.st : status_of_code(rc);
		msg = J.message ? J.message : escrow_strerror(st);
		printf("{\n  \"schema\": \"escrow-error/1\",\n  \"tool\": \"escrow %s\",\n  \"command\": ", ESCROW_VERSION);
		cli_json_string(stdout, J.command[0] ? J.command : NULL);
		printf(",\n  \"code\": %d,\n  \"status\": \"%s\",\n  \"message\": ", rc, status_name(st));
		cli_json_string(stdout, msg);
		fputs(",\n  \"file\": ", stdout);
		cli_json_string(stdout, st == ESCROW_E_USAGE ? NULL : file_named(msg));
		fputs("\n}\n", stdout);
		fflush(stdout);
	}
	free(J.message);
	J.message = NULL;
	return rc;
}
