/* cli_opts.c -- one table of every option of the escrow command, and one
 * parser. Each option is described once: its long name, its letter, whether
 * it takes an argument and may repeat, which commands accept it (and in which
 * of them the letter works), and the name a "given twice" message shows.
 * curl's src/tool_getparam.c keeps its aliases[] the same way. The parser
 * builds getopt_long's tables for one command from it, so that parsing
 * (permutation, long-option prefixes, clustered letters) is getopt's. */
#include "cli_opts.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

enum arg_kind { NONE, ONE, MANY }; /* a flag; an argument, once; an argument, repeatable */

#define READERS (CLI_VERIFY | CLI_LIST | CLI_EXTRACT | CLI_REWRAP | CLI_DIFF)
#define VAULT (CLI_V_INIT | CLI_V_CONTRACT | CLI_V_KEY_ADD | CLI_V_KEY_REVOKE | CLI_V_RECEIVE | CLI_V_LIST | CLI_V_SHOW)
#define ALL (CLI_KEYGEN | CLI_PACK | CLI_CHECK | READERS | VAULT | CLI_RECEIPT | CLI_V_AUDIT | CLI_V_LOG | \
             CLI_V_RELEASE | CLI_CERT | CLI_INIT)

static const struct def {
	const char *name;   /* long name */
	char letter;        /* 0: none */
	enum arg_kind arg;
	unsigned cmds;      /* commands that accept the long name */
	unsigned letter_in; /* commands where the letter works */
	const char *shown;  /* in "option X given twice" */
} defs[CLI_O_COUNT] = {
	[CLI_O_OUTPUT] = {"output", 'o', ONE, CLI_KEYGEN | CLI_PACK | CLI_REWRAP | CLI_V_RECEIVE | CLI_V_RELEASE | CLI_CERT |
	                  CLI_INIT, CLI_KEYGEN | CLI_PACK | CLI_REWRAP | CLI_V_RECEIVE | CLI_V_RELEASE | CLI_CERT | CLI_INIT,
	                  "-o"},
	[CLI_O_SECKEY] = {"seckey", 's', ONE, CLI_PACK | CLI_V_INIT, CLI_PACK | CLI_V_INIT, "-s"},
	[CLI_O_SIGN] = {"sign", 's', ONE, CLI_REWRAP, CLI_REWRAP, "-s"},
	[CLI_O_PUBKEY] = {"pubkey", 'p', ONE, READERS | CLI_RECEIPT | CLI_CERT, READERS | CLI_RECEIPT | CLI_CERT, "-p"},
	[CLI_O_CONTRACT] = {"contract", 'c', ONE, CLI_PACK | CLI_CHECK | READERS | CLI_CERT,
	                    CLI_PACK | CLI_CHECK | READERS | CLI_CERT, "-c"},
	[CLI_O_IDENTITY] = {"identity", 'i', MANY, READERS | CLI_V_INIT | CLI_CERT, READERS | CLI_V_INIT | CLI_CERT, "-i"},
	[CLI_O_RECIPIENT] = {"recipient", 'r', MANY, CLI_PACK | CLI_REWRAP | CLI_V_RELEASE,
	                     CLI_PACK | CLI_REWRAP | CLI_V_RELEASE, "-r"},
	[CLI_O_RECIPIENTS_FILE] = {"recipients-file", 'R', MANY, CLI_PACK | CLI_REWRAP | CLI_V_RELEASE,
	                           CLI_PACK | CLI_REWRAP | CLI_V_RELEASE, "-R"},
	[CLI_O_EXCLUDE] = {"exclude", 'x', MANY, CLI_PACK | CLI_CHECK | CLI_INIT, CLI_PACK | CLI_CHECK | CLI_INIT, "-x"},
	[CLI_O_NAME] = {"name", 0, ONE, CLI_PACK, 0, "--name"},
	[CLI_O_RELEASE] = {"release", 0, ONE, CLI_PACK, 0, "--release"},
	[CLI_O_LEVEL] = {"level", 'l', ONE, CLI_PACK, CLI_PACK, "-l"},
	[CLI_O_THREADS] = {"threads", 'j', ONE, CLI_PACK | CLI_VERIFY | CLI_LIST | CLI_EXTRACT,
	                   CLI_PACK | CLI_VERIFY | CLI_LIST | CLI_EXTRACT, "-j"},
	[CLI_O_INCLUDE_VCS] = {"include-vcs", 0, NONE, CLI_PACK | CLI_CHECK | CLI_INIT, 0, "--include-vcs"},
	[CLI_O_SKIP_SYMLINKS] = {"skip-symlinks", 0, NONE, CLI_PACK | CLI_CHECK | CLI_INIT, 0, "--skip-symlinks"},
	[CLI_O_DIRECTORY] = {"directory", 'C', ONE, CLI_EXTRACT, CLI_EXTRACT, "-C"},
	[CLI_O_PAYLOAD_ONLY] = {"payload-only", 0, NONE, CLI_EXTRACT, 0, "--payload-only"},
	[CLI_O_DELIVERABLE] = {"deliverable", 0, MANY, CLI_EXTRACT, 0, "--deliverable"},
	[CLI_O_UNENCRYPTED] = {"unencrypted", 'W', NONE, CLI_KEYGEN, CLI_KEYGEN, "-W"},
	[CLI_O_AGE] = {"age", 0, NONE, CLI_KEYGEN, 0, "--age"},
	[CLI_O_FORCE] = {"force", 'f', NONE, CLI_KEYGEN | CLI_PACK | CLI_REWRAP | CLI_V_RELEASE | CLI_CERT | CLI_INIT,
	                 CLI_KEYGEN | CLI_REWRAP | CLI_V_RELEASE | CLI_CERT | CLI_INIT, "--force"},
	[CLI_O_JSON] = {"json", 0, NONE, ALL & ~(CLI_KEYGEN | CLI_CERT | CLI_INIT), 0, "--json"},
	[CLI_O_QUIET] = {"quiet", 'q', NONE, ALL, ALL, "-q"},
	[CLI_O_HELP] = {"help", 'h', NONE, ALL, ALL, "-h"},
	[CLI_O_LEDGER] = {"ledger", 0, ONE, CLI_V_INIT, 0, "--ledger"},
	[CLI_O_REASON] = {"reason", 0, ONE, CLI_V_KEY_REVOKE, 0, "--reason"},
	[CLI_O_BUNDLE] = {"bundle", 0, ONE, CLI_RECEIPT, 0, "--bundle"},
	[CLI_O_AGENCY_KEY] = {"pubkey", 'p', MANY, CLI_V_CONTRACT | CLI_V_KEY_ADD, CLI_V_CONTRACT | CLI_V_KEY_ADD, "-p"},
	[CLI_O_CONTRACT_ID] = {"contract", 0, ONE, CLI_V_LIST, 0, "--contract"},
	[CLI_O_FULL] = {"full", 0, NONE, CLI_V_AUDIT, 0, "--full"},
	[CLI_O_SAMPLE] = {"sample", 0, ONE, CLI_V_AUDIT, 0, "--sample"},
	[CLI_O_MAX_DURATION] = {"max-duration", 0, ONE, CLI_V_AUDIT, 0, "--max-duration"},
	[CLI_O_VERIFY] = {"verify", 0, NONE, CLI_V_LOG, 0, "--verify"},
	[CLI_O_AGAINST] = {"against", 0, ONE, CLI_V_LOG, 0, "--against"},
	/* escrow vault release */
	[CLI_O_EVENT] = {"event", 0, ONE, CLI_V_RELEASE, 0, "--event"},
	[CLI_O_EVIDENCE] = {"evidence", 0, ONE, CLI_V_RELEASE, 0, "--evidence"},
	[CLI_O_DEPOSIT] = {"deposit", 0, ONE, CLI_V_RELEASE, 0, "--deposit"},
	/* escrow certificate */
	[CLI_O_VAULT] = {"vault", 0, ONE, CLI_CERT, 0, "--vault"},
	[CLI_O_LANG] = {"lang", 0, ONE, CLI_CERT, 0, "--lang"},
	[CLI_O_PROGRESS] = {"progress", 0, ONE, CLI_PACK | CLI_CHECK | CLI_VERIFY | CLI_EXTRACT | CLI_V_RECEIVE | CLI_V_AUDIT |
	                    CLI_CERT,
	                    0, "--progress"},
	/* pack --strict, provenance; secrets for CI (the vault's desk: ESCROW_PASSPHRASE_FILE) */
	[CLI_O_STRICT] = {"strict", 0, NONE, CLI_PACK, 0, "--strict"},
	[CLI_O_FAIL_ON_WARNING] = {"fail-on-warning", 0, NONE, CLI_PACK, 0, "--fail-on-warning"},
	[CLI_O_META] = {"meta", 0, MANY, CLI_PACK, 0, "--meta"},
	[CLI_O_PASSPHRASE_FILE] = {"passphrase-file", 0, ONE, CLI_KEYGEN | CLI_PACK | CLI_REWRAP, 0, "--passphrase-file"},
};

/* getopt_long returns a letter for a short option and LONG_BASE + id for a
 * long one. */
enum { LONG_BASE = 256 };

struct tables {
	char shortopts[2 * CLI_O_COUNT + 2];
	struct option longopts[CLI_O_COUNT + 1];
};

static void build(struct tables *t, unsigned mask)
{
	size_t i, s = 0, l = 0;

	memset(t, 0, sizeof *t);
	t->shortopts[s++] = ':'; /* a missing argument is ':', told apart from an unknown option */
	for (i = 0; i < CLI_O_COUNT; i++) {
		if (!(defs[i].cmds & mask))
			continue;
		if (defs[i].letter != 0 && (defs[i].letter_in & mask)) {
			t->shortopts[s++] = defs[i].letter;
			if (defs[i].arg != NONE)
				t->shortopts[s++] = ':';
		}
		t->longopts[l].name = defs[i].name;
		t->longopts[l].has_arg = defs[i].arg != NONE ? required_argument : no_argument;
		t->longopts[l].val = LONG_BASE + (int)i;
		l++;
	}
}

/* The option that getopt_long's c names for this command, or -1. */
static int lookup(int c, unsigned mask)
{
	size_t i;

	if (c >= LONG_BASE && c < LONG_BASE + CLI_O_COUNT)
		return c - LONG_BASE;
	for (i = 0; i < CLI_O_COUNT; i++)
		if (defs[i].letter == c && (defs[i].cmds & mask) && (defs[i].letter_in & mask))
			return (int)i;
	return -1;
}

/* One option, read: -1 to go on, else the exit code. */
static int take(struct cli_args *a, const struct cli_cmd_spec *c, enum cli_opt id, const char *arg)
{
	const struct def *d = &defs[id];

	if (d->arg == MANY) {
		a->list[a->n].id = id;
		a->list[a->n].value = arg;
		a->n++;
	} else {
		if (a->value[id] != NULL)
			return cli_usage(c->name, c->usage, "option %s given twice", d->shown);
		a->value[id] = d->arg == ONE ? arg : "";
	}
	if (id == CLI_O_QUIET)
		cli_quiet = true;
	if (id == CLI_O_PROGRESS && cli_progress_set(arg) != 0)
		return cli_usage(c->name, c->usage, "--progress wants auto, bar, plain, json or none, not '%s'", arg);
	if (id == CLI_O_PASSPHRASE_FILE)
		cli_passphrase_file = arg;
	if (id == CLI_O_HELP) {
		c->help();
		return 0;
	}
	return c->check != NULL ? c->check(id, arg) : -1;
}

/* "unknown option '--contarct' (did you mean '--contract'?)" */
static int unknown(const struct cli_cmd_spec *c, const char *arg)
{
	const char *names[CLI_O_COUNT + 1], *best;
	char word[64];
	size_t i, n = 0, len;

	if (strncmp(arg, "--", 2) != 0)
		return cli_usage(c->name, c->usage, "unknown option '%s'", arg);
	len = strcspn(arg + 2, "=");
	snprintf(word, sizeof word, "%.*s", (int)(len < 63 ? len : 63), arg + 2);
	for (i = 0; i < CLI_O_COUNT; i++)
		if (defs[i].cmds & c->mask)
			names[n++] = defs[i].name;
	names[n] = NULL;
	best = escrow_suggest(word, names);
	if (best == NULL)
		return cli_usage(c->name, c->usage, "unknown option '%s'", arg);
	return cli_usage(c->name, c->usage, "unknown option '%s' (did you mean '--%s'?)", arg, best);
}

bool cli_opt_info(size_t i, unsigned mask, const char **name, char *letter, bool *takes_arg)
{
	if (i >= CLI_O_COUNT || !(defs[i].cmds & mask))
		return false;
	*name = defs[i].name;
	*letter = (defs[i].letter_in & mask) ? defs[i].letter : 0;
	*takes_arg = defs[i].arg != NONE;
	return true;
}

int cli_args_parse(struct cli_args *a, const struct cli_cmd_spec *c, int argc, char **argv)
{
	struct tables t;

	memset(a, 0, sizeof *a);
	cli_progress_command(c->name);
	/* Each argument is at most one repeated option. */
	a->list = calloc((size_t)argc + 1, sizeof *a->list);
	if (a->list == NULL) {
		cli_error("out of memory");
		return EX_SOFTWARE_;
	}
	build(&t, c->mask);
	opterr = 0;
	optind = 1;
	for (;;) {
		int ch = getopt_long(argc, argv, t.shortopts, t.longopts, NULL), id, rc;

		if (ch == -1)
			break;
		if (ch == ':')
			return cli_usage(c->name, c->usage, "option %s needs an argument", argv[optind - 1]);
		id = lookup(ch, c->mask);
		if (id < 0)
			return unknown(c, argv[optind - 1]);
		rc = take(a, c, (enum cli_opt)id, optarg);
		if (rc >= 0)
			return rc;
	}
	a->operands = argv + optind;
	a->n_operands = argc - optind;
	if (a->n_operands < c->n_operands)
		return cli_usage(c->name, c->usage, "%s", c->missing);
	if (a->n_operands > c->n_operands)
		return cli_usage(c->name, c->usage, "unexpected argument '%s'", a->operands[c->n_operands]);
	return -1;
}

void cli_args_free(struct cli_args *a)
{
	free(a->list);
	memset(a, 0, sizeof *a);
}

size_t cli_args_count(const struct cli_args *a, enum cli_opt id)
{
	size_t i, n = 0;

	for (i = 0; i < a->n; i++)
		n += a->list[i].id == id;
	return n;
}
