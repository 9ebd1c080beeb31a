/* cmd_pack.c -- escrow pack: the agency's deposit. */
#include "cli_opts.h"
#include "cli_read.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char usage_line[] =
	"escrow pack SRC -o BUNDLE|- -s KEY [-c CONTRACT] [-r RECIPIENT | -R FILE]... [-x GLOB]...\n"
	"            [--name NAME] [--release VERSION] [-l LEVEL] [-j THREADS] [--include-vcs]\n"
	"            [--skip-symlinks] [--strict | --fail-on-warning] [--meta KEY=VALUE]...\n"
	"            [--passphrase-file FILE] [--force] [-q] [--json]";

static void help(void)
{
	printf("usage: %s\n\n"
	       "Pack the project folder SRC into a bundle: a BagIt bag (every file with its\n"
	       "SHA-256, signed with the agency's minisign key) in a pax tar, compressed with\n"
	       "zstd, and, with -r/-R, sealed with age for the notary. The tree is read once,\n"
	       "in sorted order; the bundle is written to a temporary file renamed at the end\n"
	       "(or streamed to standard output with -o -). With SOURCE_DATE_EPOCH set, the same\n"
	       "tree gives the same bytes.\n\n"
	       "Options:\n"
	       "  -o, --output FILE      the bundle to write, or - for standard output (required)\n"
	       "  -s, --seckey FILE|-    the agency's minisign secret key, or - to read it from\n"
	       "                         standard input (required)\n"
	       "      --passphrase-file FILE  the key's passphrase: FILE's one line (else the file\n"
	       "                         ESCROW_PASSPHRASE_FILE names, ESCROW_PASSPHRASE, or the\n"
	       "                         terminal)\n"
	       "  -c, --contract FILE    the deliverables list: packed into the bundle, its\n"
	       "                         exclude: list applies, and unmet deliverables are warned\n"
	       "  -r, --recipient AGE1.. seal for this age recipient (repeatable)\n"
	       "  -R, --recipients-file FILE  seal for every recipient in FILE (repeatable)\n"
	       "  -x, --exclude GLOB     leave out paths matching GLOB (repeatable); a\n"
	       "                         .escrowignore file at the root of SRC adds more\n"
	       "      --name NAME        the deposit's name (default: the contract id, else SRC's name)\n"
	       "      --release VERSION  the release (default: unreleased)\n"
	       "  -l, --level LEVEL      zstd level, 1..19 (default 3)\n"
	       "  -j, --threads N        compression threads (default: all cores)\n"
	       "      --include-vcs      keep .git, .hg and .svn folders\n"
	       "      --skip-symlinks    skip links that leave SRC or dangle, instead of failing\n"
	       "      --strict           write no bundle unless the deposit meets the contract\n"
	       "                         and no file is unsafe; the refusal prints check's report\n"
	       "                         (exit 2, or 1 for unsafe); not with -o -\n"
	       "      --fail-on-warning  --strict, and any warning (secrets, Git LFS pointers,\n"
	       "                         ...) refuses the deposit too (exit 2)\n"
	       "      --meta KEY=VALUE   add 'Escrow-Meta-KEY: VALUE' to bag-info.txt (repeatable;\n"
	       "                         KEY letters, digits and dashes, VALUE one line)\n"
	       "      --force            replace BUNDLE if it exists\n"
	       "      --json             print the summary as JSON\n"
	       "      --progress MODE    auto (a bar on a terminal), bar, plain, json, none\n"
	       "  -q, --quiet            print nothing but errors\n"
	       "  -h, --help             show this help\n\n"
	       "Inside a git work tree, the commit, the tags at HEAD, origin's URL (without\n"
	       "credentials) and whether the tree was dirty go into bag-info.txt and\n"
	       "manifest.json.\n\n"
	       "Exit codes: 0 packed, 1 --strict: a file is unsafe, 2 --strict: the contract\n"
	       "is not met, 64 usage, 65 bad key, passphrase, contract or recipient,\n"
	       "66 SRC or an input missing, 73 BUNDLE exists or cannot be created, 74 read or\n"
	       "write error (nothing is left behind).\n",
	       usage_line);
}

struct pack_cli {
	const char *src, *out, *key, *contract, *name, *release;
	struct cli_args args;
	int level, threads;
	unsigned flags;
	bool json;
};

static bool parse_int(const char *s, int lo, int hi, int *v)
{
	char *end;
	long x = strtol(s, &end, 10);

	if (*s == '\0' || *end != '\0' || x < lo || x > hi)
		return false;
	*v = (int)x;
	return true;
}

static int check_arg(enum cli_opt id, const char *arg)
{
	int v;

	if (id == CLI_O_LEVEL && !parse_int(arg, 1, 19, &v))
		return cli_usage("pack", usage_line, "-l %s: a level from 1 to 19", arg);
	if (id == CLI_O_THREADS && !parse_int(arg, 1, 256, &v))
		return cli_usage("pack", usage_line, "-j %s: a thread count from 1 to 256", arg);
	return -1;
}

static int parse_opts(int argc, char **argv, struct pack_cli *o)
{
	static const struct cli_cmd_spec spec = {.name = "pack", .usage = usage_line, .mask = CLI_PACK, .help = help,
	                                         .check = check_arg, .n_operands = 1,
	                                         .missing = "missing SRC (the project folder)"};
	const char *const *v = o->args.value;
	int rc = cli_args_parse(&o->args, &spec, argc, argv);

	if (rc >= 0)
		return rc;
	o->src = o->args.operands[0];
	o->out = v[CLI_O_OUTPUT];
	o->key = v[CLI_O_SECKEY];
	o->contract = v[CLI_O_CONTRACT];
	o->name = v[CLI_O_NAME];
	o->release = v[CLI_O_RELEASE];
	if (v[CLI_O_LEVEL] != NULL)
		parse_int(v[CLI_O_LEVEL], 1, 19, &o->level);
	if (v[CLI_O_THREADS] != NULL)
		parse_int(v[CLI_O_THREADS], 1, 256, &o->threads);
	o->flags = (v[CLI_O_INCLUDE_VCS] ? ESCROW_INCLUDE_VCS : 0) | (v[CLI_O_SKIP_SYMLINKS] ? ESCROW_SKIP_SYMLINKS : 0) |
	           (v[CLI_O_FORCE] ? ESCROW_FORCE : 0) | (v[CLI_O_STRICT] ? ESCROW_STRICT : 0) |
	           (v[CLI_O_FAIL_ON_WARNING] ? ESCROW_STRICT | ESCROW_FAIL_ON_WARNING : 0);
	o->json = v[CLI_O_JSON] != NULL;
	if (o->out != NULL && strcmp(o->out, "-") == 0)
		cli_stdout_used(); /* the bundle's: the summary and errors go to stderr */
	if (o->out == NULL)
		return cli_usage("pack", usage_line, "missing -o BUNDLE (a file, or - for standard output)");
	if (o->key == NULL)
		return cli_usage("pack", usage_line, "missing -s KEY (the agency's minisign secret key)");
	if (*o->src == '\0' || *o->out == '\0')
		return cli_usage("pack", usage_line, "SRC and BUNDLE must not be empty");
	if ((o->flags & ESCROW_STRICT) && strcmp(o->out, "-") == 0)
		return cli_usage("pack", usage_line, "--strict cannot write to standard output (-o -): a stream cannot be "
		                 "taken back once the deposit is refused; write to a file");
	if (strcmp(o->key, "-") == 0 && strcmp(o->src, "-") == 0)
		return cli_usage("pack", usage_line, "SRC is a folder, not standard input");
	/* As zstd and gzip refuse: the bundle's bytes hold the tree's own bytes
	 * where they do not compress, escape sequences included. */
	if (strcmp(o->out, "-") == 0 && isatty(STDOUT_FILENO))
		return cli_usage("pack", usage_line, "-o - will not write a bundle to a terminal: redirect standard "
		                 "output to a file or a pipe, or give -o BUNDLE");
	return -1;
}

/* A JSON string: the exact text, controls as JSON escapes (escrow_escape). */
static void json_str(FILE *f, const char *s)
{
	size_t need = escrow_escape(NULL, 0, s, ESCROW_ESCAPE_JSON);
	char *body = malloc(need + 1);

	if (body != NULL)
		escrow_escape(body, need + 1, s, ESCROW_ESCAPE_JSON);
	fprintf(f, "\"%s\"", body ? body : "");
	free(body);
}

static void human(char *out, size_t len, double b)
{
	const char *u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
	int i = 0;

	while (b >= 1024 && i < 4) {
		b /= 1024;
		i++;
	}
	snprintf(out, len, i ? "%.1f %s" : "%.0f %s", b, u[i]);
}

static void summary(const struct pack_cli *o, const escrow_result *res, escrow_report *rep)
{
	/* With -o - the bundle owns stdout. */
	FILE *f = strcmp(o->out, "-") == 0 ? stderr : stdout;
	const uint64_t files = escrow_result_u64(res, ESCROW_RESULT_FILES);
	const uint64_t bytes_in = escrow_result_u64(res, ESCROW_RESULT_BYTES_IN);
	const uint64_t bytes_out = escrow_result_u64(res, ESCROW_RESULT_BYTES_OUT);
	const double seconds = (double)escrow_result_u64(res, ESCROW_RESULT_MICROSECONDS) / 1e6;
	const char *sha256 = escrow_result_string(res, ESCROW_RESULT_SHA256);
	const char *key_id = escrow_result_string(res, ESCROW_RESULT_KEY_ID);
	const bool sealed = escrow_result_u64(res, ESCROW_RESULT_SEALED) != 0;
	double ratio = bytes_in ? (double)bytes_out / (double)bytes_in : 0.0;
	char in[32], outb[32];

	if (o->json) {
		char *rj = escrow_report_json(rep);

		if (f == stdout)
			cli_stdout_used();
		fprintf(f, "{\n  \"schema\": \"escrow-pack/1\",\n  \"tool\": \"escrow %s\",\n  \"command\": \"pack\",\n"
		           "  \"bundle\": ", ESCROW_VERSION);
		json_str(f, o->out);
		fprintf(f, ",\n  \"files\": %llu,\n  \"bytes_in\": %llu,\n  \"bytes_out\": %llu,\n"
		           "  \"ratio\": %.4f,\n  \"seconds\": %.3f,\n  \"sha256\": \"%s\",\n"
		           "  \"key_id\": \"%s\",\n  \"sealed\": %s,\n  \"report\": %s\n}\n",
		        (unsigned long long)files, (unsigned long long)bytes_in, (unsigned long long)bytes_out, ratio,
		        seconds, sha256, key_id, sealed ? "true" : "false", rj ? rj : "null");
		free(rj);
		return;
	}
	if (cli_quiet)
		return;
	human(in, sizeof in, (double)bytes_in);
	human(outb, sizeof outb, (double)bytes_out);
	fprintf(f, "packed %llu file%s, %s -> %s (ratio %.3f) in %.2f s%s\nbundle: %s\nsha256: %s\nsigned by: %s\n",
	        (unsigned long long)files, files == 1 ? "" : "s", in, outb, ratio, seconds, sealed ? ", sealed" : "",
	        cli_esc(o->out), sha256, key_id);
}

/* The command line and the loaded inputs into a new escrow_options: NULL
 * after printing why. */
static escrow_options *pack_options(const struct pack_cli *o, const escrow_seckey *key,
                                    const escrow_contract *contract, const escrow_recipients *rs, int *rc)
{
	escrow_options *po = escrow_options_new();
	escrow_status st;
	size_t i;

	if (po == NULL) {
		*rc = cli_opts_fail(NULL, ESCROW_E_NOMEM);
		return NULL;
	}
	st = escrow_options_set_string(po, ESCROW_OPT_SOURCE, o->src);
	if (st == ESCROW_OK)
		st = escrow_options_set_string(po, ESCROW_OPT_OUTPUT, o->out);
	if (st == ESCROW_OK)
		st = escrow_options_set_seckey(po, ESCROW_OPT_SIGNING_KEY, key);
	if (st == ESCROW_OK)
		st = escrow_options_set_contract(po, ESCROW_OPT_CONTRACT, contract);
	if (st == ESCROW_OK)
		st = escrow_options_set_recipients(po, ESCROW_OPT_RECIPIENTS, rs);
	for (i = 0; st == ESCROW_OK && i < o->args.n; i++)
		if (o->args.list[i].id == CLI_O_EXCLUDE)
			st = escrow_options_set_string(po, ESCROW_OPT_EXCLUDE, o->args.list[i].value);
	for (i = 0; st == ESCROW_OK && i < o->args.n; i++)
		if (o->args.list[i].id == CLI_O_META &&
		    (st = escrow_options_set_string(po, ESCROW_OPT_META, o->args.list[i].value)) == ESCROW_E_USAGE) {
			const char *why = escrow_options_error(po), *pre = "ESCROW_OPT_META: ";

			/* said with the flag the user typed, not the library's name */
			*rc = cli_usage_lib("pack", usage_line, "--meta",
			                    strncmp(why, pre, strlen(pre)) == 0 ? why + strlen(pre) : why);
			escrow_options_free(po);
			return NULL;
		}
	if (st == ESCROW_OK)
		st = escrow_options_set_string(po, ESCROW_OPT_NAME, o->name);
	if (st == ESCROW_OK)
		st = escrow_options_set_string(po, ESCROW_OPT_RELEASE, o->release);
	if (st == ESCROW_OK)
		st = escrow_options_set_int(po, ESCROW_OPT_LEVEL, o->level);
	if (st == ESCROW_OK)
		st = escrow_options_set_int(po, ESCROW_OPT_FLAGS, o->flags | (cli_quiet ? ESCROW_QUIET : 0));
	if (st != ESCROW_OK) {
		*rc = cli_opts_fail(po, st); /* 64 for a --meta refused */
		escrow_options_free(po);
		return NULL;
	}
	return po;
}

int cmd_pack(int argc, char **argv)
{
	struct pack_cli o;
	escrow_options *po = NULL;
	escrow_result *res = NULL;
	escrow_seckey *key = NULL;
	escrow_contract *contract = NULL;
	escrow_recipients *rs = NULL;
	escrow_report *report = NULL;
	escrow_ctx *ctx = NULL;
	escrow_status st = ESCROW_OK;
	size_t i;
	int rc;

	memset(&o, 0, sizeof o);
	rc = parse_opts(argc, argv, &o);
	if (rc >= 0)
		goto out;
	ctx = cli_ctx_new();
	if (ctx == NULL) {
		rc = EX_SOFTWARE_;
		goto out;
	}
	if (o.threads > 0)
		escrow_ctx_set_threads(ctx, o.threads);
	/* Every -r, then every -R. */
	for (i = 0; i < o.args.n && st == ESCROW_OK; i++)
		if (o.args.list[i].id == CLI_O_RECIPIENT)
			st = escrow_recipients_add(ctx, o.args.list[i].value, &rs);
	for (i = 0; i < o.args.n && st == ESCROW_OK; i++)
		if (o.args.list[i].id == CLI_O_RECIPIENTS_FILE)
			st = escrow_recipients_load(ctx, o.args.list[i].value, &rs);
	if (st == ESCROW_OK && o.contract != NULL)
		st = escrow_contract_load(ctx, o.contract, &contract);
	if (st == ESCROW_OK)
		st = cli_load_seckey(ctx, o.key, &key);
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
		goto out;
	}
	po = pack_options(&o, key, contract, rs, &rc);
	if (po == NULL)
		goto out;
	st = escrow_pack(ctx, po, &res, &report);
	cli_progress_done();
	if ((st == ESCROW_INCOMPLETE || st == ESCROW_UNSAFE) && report != NULL) {
		/* --strict refused the deposit: check's report, then why */
		rc = cli_read_print(report, o.json);
		if (rc < 0)
			rc = cli_fail(ctx, st);
		goto out;
	}
	if (st != ESCROW_OK) {
		rc = cli_fail(ctx, st);
		goto out;
	}
	summary(&o, res, report);
	rc = 0;
out:
	escrow_result_free(res);
	escrow_options_free(po);
	escrow_report_free(report);
	escrow_recipients_free(rs);
	escrow_contract_free(contract);
	escrow_seckey_free(key);
	cli_ctx_free(ctx);
	cli_args_free(&o.args);
	return rc;
}
