/* cli_opts.h -- the escrow command's options, each described once (in
 * cli_opts.c's table, as curl's tool_getparam.c aliases[] does), and the one
 * parser every command uses. */
#ifndef ESCROW_CLI_OPTS_H
#define ESCROW_CLI_OPTS_H

#include "cli.h"

#include <stddef.h>

/* Which commands accept an option: one bit each. */
enum {
	CLI_KEYGEN = 1u << 0, CLI_PACK = 1u << 1, CLI_CHECK = 1u << 2, CLI_VERIFY = 1u << 3,
	CLI_LIST = 1u << 4, CLI_EXTRACT = 1u << 5, CLI_REWRAP = 1u << 6,
	/* escrow vault SUBCOMMAND, escrow receipt verify */
	CLI_V_INIT = 1u << 7, CLI_V_CONTRACT = 1u << 8, CLI_V_KEY_ADD = 1u << 9, CLI_V_KEY_REVOKE = 1u << 10,
	CLI_V_RECEIVE = 1u << 11, CLI_V_LIST = 1u << 12, CLI_V_SHOW = 1u << 13, CLI_RECEIPT = 1u << 14,
	/* escrow vault audit, escrow vault log, escrow vault release */
	CLI_V_AUDIT = 1u << 15, CLI_V_LOG = 1u << 16, CLI_V_RELEASE = 1u << 17,
	/* escrow diff */
	CLI_DIFF = 1u << 18,
	/* escrow certificate */
	CLI_CERT = 1u << 19,
	/* escrow init, escrow help, escrow completion */
	CLI_INIT = 1u << 20, CLI_HELP = 1u << 21, CLI_COMPLETION = 1u << 22
};

/* Every option of every command. */
enum cli_opt {
	CLI_O_OUTPUT, CLI_O_SECKEY, CLI_O_SIGN, CLI_O_PUBKEY, CLI_O_CONTRACT, CLI_O_IDENTITY,
	CLI_O_RECIPIENT, CLI_O_RECIPIENTS_FILE, CLI_O_EXCLUDE, CLI_O_NAME, CLI_O_RELEASE, CLI_O_LEVEL,
	CLI_O_THREADS, CLI_O_INCLUDE_VCS, CLI_O_SKIP_SYMLINKS, CLI_O_DIRECTORY, CLI_O_PAYLOAD_ONLY,
	CLI_O_DELIVERABLE, CLI_O_UNENCRYPTED, CLI_O_AGE, CLI_O_FORCE, CLI_O_JSON, CLI_O_QUIET, CLI_O_HELP,
	CLI_O_LEDGER, CLI_O_REASON, CLI_O_BUNDLE, CLI_O_AGENCY_KEY, CLI_O_CONTRACT_ID,
	/* vault audit, vault log */
	CLI_O_FULL, CLI_O_SAMPLE, CLI_O_MAX_DURATION, CLI_O_VERIFY, CLI_O_AGAINST,
	/* escrow vault release */
	CLI_O_EVENT, CLI_O_EVIDENCE, CLI_O_DEPOSIT,
	/* escrow certificate */
	CLI_O_VAULT, CLI_O_LANG,
	/* --progress */
	CLI_O_PROGRESS,
	/* pack --strict, provenance; secrets for CI */
	CLI_O_STRICT, CLI_O_FAIL_ON_WARNING, CLI_O_META, CLI_O_PASSPHRASE_FILE,
	CLI_O_COUNT
};

/* A repeatable option's value, in the order given. */
struct cli_arg {
	enum cli_opt id;
	const char *value;
};

/* What the parser gives a command. */
struct cli_args {
	const char *value[CLI_O_COUNT]; /* an option taken once: its argument ("" for a flag); NULL if absent */
	struct cli_arg *list;           /* repeatable options (-r, -R, -x, -i, --deliverable) */
	size_t n;
	char **operands;                /* what is left: SRC or BUNDLE */
	int n_operands;
};

/* A command, for the parser. */
struct cli_cmd_spec {
	const char *name, *usage;
	unsigned mask;                  /* CLI_PACK, ... */
	void (*help)(void);
	/* Checks an option's argument when it is read (may be NULL): -1 to go
	 * on, else the exit code after a message. */
	int (*check)(enum cli_opt id, const char *arg);
	int n_operands;                 /* how many operands the command takes */
	const char *missing;            /* the message when the operand is missing */
};

/* Parses argv (argv[0] is the command's name) into a: the command's options,
 * a repeat of a once-only option, an unknown option, a missing argument, a
 * missing or extra operand are usage errors. -q sets cli_quiet as it is read;
 * -h prints the help. Returns -1 when the command may go on, else the exit
 * code (0 after --help). cli_args_free(a) in either case. */
int cli_args_parse(struct cli_args *a, const struct cli_cmd_spec *c, int argc, char **argv);
void cli_args_free(struct cli_args *a);
/* How many times repeatable option id was given. */
size_t cli_args_count(const struct cli_args *a, enum cli_opt id);

/* Option i (an enum cli_opt) as the commands of mask take it: its long name,
 * its letter (0: none there), whether it takes an argument. false when none
 * of mask's commands takes it. For the completion scripts. */
bool cli_opt_info(size_t i, unsigned mask, const char **name, char *letter, bool *takes_arg);

/* A command, for completion: its name and option mask (0: it has
 * subcommands, or takes no options). */
struct cli_command {
	const char *name;
	unsigned mask;
};
/* The vault's subcommands: first word of i (NULL past the end), second word
 * (NULL if none), mask (cmd_vault.c). */
const char *cli_vault_sub(size_t i, const char **w2, unsigned *mask);
/* escrow completion bash|zsh|fish (cli_complete.c), for the n commands of
 * cmds (main.c's table). */
int cmd_completion(int argc, char **argv, const struct cli_command *cmds, size_t n);

#endif
