/* cmd_init.c -- escrow init: a first contract drafted from the project
 * folder, for the parties to review (escrow_contract_draft). Written
 * atomically: a temporary file beside the output, renamed (or, without
 * --force, linked, so an existing file is never replaced). */
#include "cli_opts.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char usage_line[] =
	"escrow init SRC [-o CONTRACT|-] [--force] [-x GLOB]... [--include-vcs] [--skip-symlinks] [-q]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Draft a contract (the deliverables list, docs/CONTRACT.md) from a project\n"
	       "folder: source code by language, each model file with the format its bytes\n"
	       "pass and a min-bytes, data sets, prompts, pipelines, configuration and docs;\n"
	       "forbid: for byte-code and secret files, exclude: for version control and\n"
	       "build outputs. Comments mark what the parties must review. The draft passes\n"
	       "'escrow check SRC -c CONTRACT' on the same folder.\n\n"
	       "Options:\n"
	       "  -o, --output FILE    write the draft to FILE, or '-' for standard output\n"
	       "                       (default: contract.yaml)\n"
	       "  -f, --force          replace FILE if it exists\n"
	       "  -x, --exclude GLOB   leave out paths matching GLOB, as pack -x does (repeatable)\n"
	       "      --include-vcs    keep .git/, .hg/ and .svn/ folders (left out by default)\n"
	       "      --skip-symlinks  skip links that leave SRC or dangle, as pack --skip-symlinks\n"
	       "  -q, --quiet          print nothing but errors\n"
	       "  -h, --help           show this help\n\n"
	       "Exit codes: 0 written, 64 usage, 65 a file name the walk refuses, 66 SRC\n"
	       "missing, 73 FILE exists (use --force) or cannot be created, 74 I/O error.\n",
	       usage_line);
}

static int check_arg(enum cli_opt id, const char *arg)
{
	if ((id == CLI_O_EXCLUDE || id == CLI_O_OUTPUT) && *arg == '\0')
		return cli_usage("init", usage_line, "%s needs a non-empty argument", id == CLI_O_OUTPUT ? "-o" : "-x");
	return -1;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Writes text to path atomically; an existing path is replaced only with
 * force. Returns the exit code. */
static int write_out(const char *path, const char *text, bool force)
{
	char *tmp = malloc(strlen(path) + 16);
	int fd, rc = 0;
	mode_t mask = umask(0);

	umask(mask);

	if (tmp == NULL) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	if (!force && access(path, F_OK) == 0) {
		cli_error("%s exists (use --force to replace it)", path);
		free(tmp);
		return EX_CANTCREAT_;
	}
	memcpy(tmp, path, strlen(path));
	memcpy(tmp + strlen(path), ".tmp.XXXXXX", 12);
	fd = mkstemp(tmp);
	if (fd < 0) {
		cli_error("%s: cannot create: %s", path, strerror(errno));
		free(tmp);
		return EX_CANTCREAT_;
	}
	if (fchmod(fd, 0644 & ~mask) != 0 || write_all(fd, text, strlen(text)) != 0 || fsync(fd) != 0) {
		cli_error("%s: write error: %s", path, strerror(errno));
		rc = EX_IOERR_;
	}
	if (close(fd) != 0 && rc == 0) {
		cli_error("%s: write error: %s", path, strerror(errno));
		rc = EX_IOERR_;
	}
	if (rc == 0) {
		if (force) {
			if (rename(tmp, path) != 0) {
				cli_error("%s: cannot create: %s", path, strerror(errno));
				rc = EX_CANTCREAT_;
			}
		} else if (link(tmp, path) != 0) {
			/* link() never replaces: a file made meanwhile is kept */
			cli_error("%s: cannot create: %s%s", path, strerror(errno),
			          errno == EEXIST ? " (use --force to replace it)" : "");
			rc = EX_CANTCREAT_;
		}
	}
	unlink(tmp);
	free(tmp);
	return rc;
}

int cmd_init(int argc, char **argv)
{
	static const struct cli_cmd_spec spec = {.name = "init", .usage = usage_line, .mask = CLI_INIT, .help = help,
	                                         .check = check_arg, .n_operands = 1,
	                                         .missing = "missing SRC (the project folder)"};
	struct cli_args args;
	escrow_options *opts = NULL;
	escrow_ctx *ctx = NULL;
	const char *out;
	char *text = NULL;
	escrow_status st;
	size_t i;
	int rc = cli_args_parse(&args, &spec, argc, argv);

	if (rc >= 0)
		goto done;
	out = args.value[CLI_O_OUTPUT] ? args.value[CLI_O_OUTPUT] : "contract.yaml";
	if (*args.operands[0] == '\0') {
		rc = cli_usage("init", usage_line, "SRC is empty");
		goto done;
	}
	ctx = cli_ctx_new();
	opts = ctx ? escrow_options_new() : NULL;
	if (opts == NULL) {
		rc = ctx ? cli_opts_fail(NULL, ESCROW_E_NOMEM) : EX_SOFTWARE_;
		goto done;
	}
	st = escrow_options_set_string(opts, ESCROW_OPT_SOURCE, args.operands[0]);
	for (i = 0; st == ESCROW_OK && i < args.n; i++)
		if (args.list[i].id == CLI_O_EXCLUDE)
			st = escrow_options_set_string(opts, ESCROW_OPT_EXCLUDE, args.list[i].value);
	if (st == ESCROW_OK && (args.value[CLI_O_INCLUDE_VCS] || args.value[CLI_O_SKIP_SYMLINKS]))
		st = escrow_options_set_int(opts, ESCROW_OPT_FLAGS,
		                            (args.value[CLI_O_INCLUDE_VCS] ? ESCROW_INCLUDE_VCS : 0) |
		                                (args.value[CLI_O_SKIP_SYMLINKS] ? ESCROW_SKIP_SYMLINKS : 0));
	if (st != ESCROW_OK) {
		rc = cli_opts_fail(opts, st);
		goto done;
	}
	st = escrow_contract_draft(ctx, opts, &text);
	cli_progress_done();
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
		goto done;
	}
	if (strcmp(out, "-") == 0) {
		rc = 0;
		if (fputs(text, stdout) == EOF || fflush(stdout) != 0) {
			cli_error("standard output: write error");
			rc = EX_IOERR_;
		}
		goto done;
	}
	rc = write_out(out, text, args.value[CLI_O_FORCE] != NULL);
	if (rc == 0)
		cli_info("wrote %s: a draft to review (then 'escrow check %s -c %s')", out, args.operands[0], out);
done:
	free(text);
	escrow_options_free(opts);
	cli_ctx_free(ctx);
	cli_args_free(&args);
	return rc;
}
