/* cli.h -- what the escrow command's files share. Uses only escrow.h. */
#ifndef ESCROW_CLI_H
#define ESCROW_CLI_H

#include "escrow.h"

#include <stdbool.h>
#include <stdio.h>

/* Exit codes of DESIGN.md (documented in escrow(1)). */
enum {
	EX_VERIFIED = 0, EX_TAMPERED = 1, EX_INCOMPLETE = 2, EX_USAGE_ = 64, EX_DATAERR_ = 65,
	EX_NOINPUT_ = 66, EX_SOFTWARE_ = 70, EX_CANTCREAT_ = 73, EX_IOERR_ = 74, EX_INTERRUPTED = 130
};

extern bool cli_quiet;

/* Messages: "escrow: error: ..." and "escrow: warning: ..." on stderr. The
 * formatted message is escaped (escrow_escape): arguments from the command
 * line or from files cannot drive the terminal. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Informational line on stderr, silenced by -q. */
void cli_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* escrow_warn_fn that prints the (already escaped) message unless quiet. */
void cli_warn_cb(void *user, const char *message);
/* "escrow: error: WHAT: TEXT" where TEXT is the library's escaped text
 * (escrow_ctx_error) and WHAT (may be NULL) is our own or outside text,
 * escaped here. */
void cli_error_lib(const char *what, const char *text);
/* s escaped (escrow_escape) for a printf argument on stdout; the result stays
 * valid until the fourth call after this one. */
const char *cli_esc(const char *s);

int cli_exit_code(escrow_status st);

/* --json (cli_json.c, docs/JSON.md). main calls cli_json_begin(argc, argv)
 * first and returns cli_json_end(rc): when --json was given, the command
 * failed (rc != 0) and wrote nothing on stdout, that prints the error object
 * (escrow-error/1) there. A command calls cli_stdout_used() once it has
 * written its output on stdout (or when stdout is not its to write, pack -o -).
 * The messages module feeds the first error's status and text. */
void cli_json_begin(int argc, char **argv);
int cli_json_end(int rc);
bool cli_json_on(void);
/* The command the error object names, when argv's words are not one
 * (NULL: none). */
void cli_json_command(const char *name);
void cli_stdout_used(void);
void cli_json_status(escrow_status st);
void cli_json_note(const char *message);
/* s as a JSON string (quoted, escaped: escrow_escape's JSON form); NULL as null. */
void cli_json_string(FILE *f, const char *s);
/* Prints the context's detail (or the generic text) and returns the exit code. */
int cli_fail(escrow_ctx *ctx, escrow_status st);
/* Usage error for a command: message, usage line, hint; returns 64. */
int cli_usage(const char *cmd, const char *usage, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* cli_usage for a refusal the library worded (escaped already): "escrow CMD: WHAT: TEXT". */
int cli_usage_lib(const char *cmd, const char *usage, const char *what, const char *text);
/* An escrow_options setter refused (st), or the object could not be made (o
 * NULL): prints why and returns the exit code. */
int cli_opts_fail(const escrow_options *o, escrow_status st);

/* A new context with warnings and progress wired to the terminal, and
 * SIGINT/SIGTERM asking it to stop. NULL on ENOMEM (message printed). */
escrow_ctx *cli_ctx_new(void);
void cli_ctx_free(escrow_ctx *ctx);

/* Progress on stderr (progress.c), as --progress asks: auto (a bar on a
 * terminal, else nothing), bar, plain, json, none; -q is none. The bar is
 * redrawn at most 10 times a second; cli_progress_done() clears it.
 * cli_progress_set: 0, or -1 for an unknown mode. cli_progress_command: the
 * command's name for the JSON lines ("verify", "vault receive"). */
int cli_progress_set(const char *arg);
void cli_progress_command(const char *name);
void cli_progress_ex_cb(void *user, unsigned phase, const char *subject, uint64_t files, uint64_t files_total,
                        uint64_t bytes, uint64_t bytes_total);
void cli_progress_done(void);

/* --passphrase-file FILE, as the parser read it (NULL: not given). */
extern const char *cli_passphrase_file;
/* Passphrase from --passphrase-file, else the file ESCROW_PASSPHRASE_FILE
 * names, else ESCROW_PASSPHRASE, else asked on the terminal without echo
 * (twice when confirm). A file's one line is taken, its newline stripped.
 * Returns a static buffer wiped by cli_passphrase_wipe(), or NULL (message
 * printed) when there is no terminal, the file cannot be read or the two
 * differ. */
char *cli_passphrase(const char *prompt, bool confirm);
void cli_passphrase_wipe(void);
/* Loads a secret key, asking for the passphrase when it is encrypted; path
 * "-" reads the key from standard input. */
escrow_status cli_load_seckey(escrow_ctx *ctx, const char *path, escrow_seckey **out);

/* Subcommands: argv[0] is the command name. Return the exit code. */
int cmd_keygen(int argc, char **argv);
int cmd_pack(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_extract(int argc, char **argv);
int cmd_list(int argc, char **argv);
int cmd_diff(int argc, char **argv);
int cmd_check(int argc, char **argv);
int cmd_rewrap(int argc, char **argv);
int cmd_vault(int argc, char **argv);
int cmd_receipt(int argc, char **argv);
int cmd_certificate(int argc, char **argv);
int cmd_init(int argc, char **argv);

#endif
