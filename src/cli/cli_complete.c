/* cli_complete.c -- escrow completion bash|zsh|fish: shell completion
 * scripts written from the command table (main.c), the vault's subcommand
 * table (cmd_vault.c) and the option table (cli_opts.c), so that they name
 * exactly the options each command's parser takes. */
#include "cli_opts.h"

#include <string.h>

/* One command line a script completes: words ("pack", "vault receive",
 * "vault key add") and the option mask. */
struct target {
	char words[48];
	unsigned mask;
};

#define MAX_TARGETS 64

/* The commands the script completes (cmd_completion's argument). */
static const struct cli_command *commands;
static size_t n_commands;

static const char *cli_command(size_t i, unsigned *mask)
{
	if (i >= n_commands)
		return NULL;
	*mask = commands[i].mask;
	return commands[i].name;
}

static size_t targets(struct target *t)
{
	const char *name, *w2;
	unsigned mask;
	size_t i, n = 0;

	for (i = 0; (name = cli_command(i, &mask)) != NULL && n < MAX_TARGETS; i++) {
		if (mask == 0)
			continue;
		snprintf(t[n].words, sizeof t[n].words, "%s%s", name, strcmp(name, "receipt") == 0 ? " verify" : "");
		t[n++].mask = mask;
	}
	for (i = 0; (name = cli_vault_sub(i, &w2, &mask)) != NULL && n < MAX_TARGETS; i++) {
		snprintf(t[n].words, sizeof t[n].words, "vault %s%s%s", name, w2 ? " " : "", w2 ? w2 : "");
		t[n++].mask = mask;
	}
	return n;
}

/* The options of mask, as "--long -l" words; with_arg: only those that take
 * an argument (arg true) or only flags (arg false). */
static void options(FILE *f, unsigned mask, int which)
{
	const char *name, *sep = "";
	size_t i;
	char letter;
	bool arg;

	for (i = 0; i < CLI_O_COUNT; i++) {
		if (!cli_opt_info(i, mask, &name, &letter, &arg))
			continue;
		if (which >= 0 && arg != (which == 1))
			continue;
		fprintf(f, "%s--%s", sep, name);
		if (letter)
			fprintf(f, " -%c", letter);
		sep = " ";
	}
}

static void command_words(FILE *f)
{
	const char *name;
	unsigned mask;
	size_t i;

	for (i = 0; (name = cli_command(i, &mask)) != NULL; i++)
		fprintf(f, "%s%s", i ? " " : "", name);
}

/* The vault's first words, then for those with a second word, the second
 * words as "w1:a b" pairs through fn. */
static void vault_words(FILE *f)
{
	const char *w1, *w2, *prev = NULL;
	unsigned mask;
	size_t i;

	for (i = 0; (w1 = cli_vault_sub(i, &w2, &mask)) != NULL; i++) {
		if (prev != NULL && strcmp(prev, w1) == 0)
			continue;
		fprintf(f, "%s%s", i ? " " : "", w1);
		prev = w1;
	}
}

static void second_words(FILE *f, const char *w1)
{
	const char *v, *w2;
	unsigned mask;
	size_t i;
	bool first = true;

	for (i = 0; (v = cli_vault_sub(i, &w2, &mask)) != NULL; i++)
		if (w2 != NULL && strcmp(v, w1) == 0) {
			fprintf(f, "%s%s", first ? "" : " ", w2);
			first = false;
		}
}

/* The vault subcommands with a second word ("contract", "key"), as a shell
 * pattern "contract|key". */
static void two_word_pattern(FILE *f)
{
	const char *w1, *w2, *prev = NULL;
	unsigned mask;
	size_t i;
	bool first = true;

	for (i = 0; (w1 = cli_vault_sub(i, &w2, &mask)) != NULL; i++)
		if (w2 != NULL && (prev == NULL || strcmp(prev, w1) != 0)) {
			fprintf(f, "%s%s", first ? "" : "|", w1);
			first = false;
			prev = w1;
		}
}

static void second_word_cases(FILE *f, const char *indent, const char *fmt_open, const char *fmt_close)
{
	const char *w1, *w2, *prev = NULL;
	unsigned mask;
	size_t i;

	for (i = 0; (w1 = cli_vault_sub(i, &w2, &mask)) != NULL; i++)
		if (w2 != NULL && (prev == NULL || strcmp(prev, w1) != 0)) {
			fprintf(f, "%s%s) ", indent, w1);
			fputs(fmt_open, f);
			second_words(f, w1);
			fputs(fmt_close, f);
			fputs(" ;;\n", f);
			prev = w1;
		}
}

static void bash(FILE *f)
{
	struct target t[MAX_TARGETS];
	size_t n = targets(t), i;

	fputs("# bash completion for escrow (written by 'escrow completion bash')\n"
	      "_escrow() {\n"
	      "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]} key opts args\n"
	      "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"", f);
	command_words(f);
	fputs("\" -- \"$cur\"))\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tkey=${COMP_WORDS[1]}\n"
	      "\tcase $key in\n"
	      "\thelp)\n"
	      "\t\t[ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W \"", f);
	command_words(f);
	fputs("\" -- \"$cur\"))\n"
	      "\t\treturn ;;\n"
	      "\tcompletion)\n"
	      "\t\t[ \"$COMP_CWORD\" -eq 2 ] && COMPREPLY=($(compgen -W \"bash zsh fish\" -- \"$cur\"))\n"
	      "\t\treturn ;;\n"
	      "\treceipt)\n"
	      "\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then COMPREPLY=($(compgen -W \"verify\" -- \"$cur\")); return; fi\n"
	      "\t\tkey=\"receipt verify\" ;;\n"
	      "\tvault)\n"
	      "\t\tif [ \"$COMP_CWORD\" -eq 2 ]; then COMPREPLY=($(compgen -W \"", f);
	vault_words(f);
	fputs("\" -- \"$cur\")); return; fi\n"
	      "\t\tkey=\"vault ${COMP_WORDS[2]}\"\n"
	      "\t\tcase ${COMP_WORDS[2]} in\n", f);
	fputs("\t\t", f);
	two_word_pattern(f);
	fputs(")\n"
	      "\t\t\tif [ \"$COMP_CWORD\" -eq 3 ]; then\n"
	      "\t\t\t\tcase ${COMP_WORDS[2]} in\n", f);
	second_word_cases(f, "\t\t\t\t", "COMPREPLY=($(compgen -W \"", "\" -- \"$cur\"))");
	fputs("\t\t\t\tesac\n"
	      "\t\t\t\treturn\n"
	      "\t\t\tfi\n"
	      "\t\t\tkey=\"$key ${COMP_WORDS[3]}\" ;;\n"
	      "\t\tesac ;;\n"
	      "\tesac\n"
	      "\tcase $key in\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "\t\"%s\") opts=\"", t[i].words);
		options(f, t[i].mask, -1);
		fputs("\"; args=\"", f);
		options(f, t[i].mask, 1);
		fputs("\" ;;\n", f);
	}
	fputs("\t*) return ;;\n"
	      "\tesac\n"
	      "\tif [[ \" $args \" == *\" $prev \"* ]]; then\n"
	      "\t\tcase $prev in\n"
	      "\t\t--lang) COMPREPLY=($(compgen -W \"en fr\" -- \"$cur\")) ;;\n"
	      "\t\t--event) COMPREPLY=($(compgen -W \"bankruptcy acquisition end-of-support other\" -- \"$cur\")) ;;\n"
	      "\t\t-r|--recipient|--name|--release|--reason|--contract|--sample|--max-duration|--deposit|-l|--level|-j|--threads|--deliverable|-x|--exclude) ;;\n"
	      "\t\t*) COMPREPLY=($(compgen -f -- \"$cur\")) ;;\n"
	      "\t\tesac\n"
	      "\t\treturn\n"
	      "\tfi\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	      "\telse\n"
	      "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	      "\tfi\n"
	      "}\n"
	      "complete -o filenames -o bashdefault -F _escrow escrow\n", f);
}

static void zsh(FILE *f)
{
	struct target t[MAX_TARGETS];
	size_t n = targets(t), i;

	fputs("#compdef escrow\n"
	      "# zsh completion for escrow (written by 'escrow completion zsh')\n"
	      "_escrow() {\n"
	      "\tlocal key\n"
	      "\tlocal -a opts\n"
	      "\tif (( CURRENT == 2 )); then compadd -- ", f);
	command_words(f);
	fputs("; return; fi\n"
	      "\tkey=$words[2]\n"
	      "\tcase $key in\n"
	      "\thelp) (( CURRENT == 3 )) && compadd -- ", f);
	command_words(f);
	fputs("; return ;;\n"
	      "\tcompletion) (( CURRENT == 3 )) && compadd -- bash zsh fish; return ;;\n"
	      "\treceipt) if (( CURRENT == 3 )); then compadd -- verify; return; fi; key=\"receipt verify\" ;;\n"
	      "\tvault)\n"
	      "\t\tif (( CURRENT == 3 )); then compadd -- ", f);
	vault_words(f);
	fputs("; return; fi\n"
	      "\t\tkey=\"vault $words[3]\"\n"
	      "\t\tcase $words[3] in\n\t\t", f);
	two_word_pattern(f);
	fputs(")\n"
	      "\t\t\tif (( CURRENT == 4 )); then\n"
	      "\t\t\t\tcase $words[3] in\n", f);
	second_word_cases(f, "\t\t\t\t", "compadd -- ", "");
	fputs("\t\t\t\tesac\n"
	      "\t\t\t\treturn\n"
	      "\t\t\tfi\n"
	      "\t\t\tkey=\"$key $words[4]\" ;;\n"
	      "\t\tesac ;;\n"
	      "\tesac\n"
	      "\tcase $key in\n", f);
	for (i = 0; i < n; i++) {
		fprintf(f, "\t\"%s\") opts=(", t[i].words);
		options(f, t[i].mask, -1);
		fputs(") ;;\n", f);
	}
	fputs("\t*) return 1 ;;\n"
	      "\tesac\n"
	      "\tif [[ $PREFIX == -* ]]; then compadd -- $opts; else _files; fi\n"
	      "}\n"
	      "if [[ $zsh_eval_context[-1] == loadautofunc ]]; then _escrow \"$@\"; else compdef _escrow escrow; fi\n", f);
}

static void fish(FILE *f)
{
	struct target t[MAX_TARGETS];
	size_t n = targets(t), i, k;
	const char *name;
	unsigned mask;

	fputs("# fish completion for escrow (written by 'escrow completion fish')\n"
	      "complete -c escrow -f\n", f);
	for (i = 0; (name = cli_command(i, &mask)) != NULL; i++)
		fprintf(f, "complete -c escrow -n __fish_use_subcommand -a %s\n", name);
	fputs("complete -c escrow -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n"
	      "complete -c escrow -n '__fish_seen_subcommand_from receipt' -a verify\n", f);
	fputs("complete -c escrow -n '__fish_seen_subcommand_from vault; and not __fish_seen_subcommand_from ", f);
	vault_words(f);
	fputs("' -a '", f);
	vault_words(f);
	fputs("'\n", f);
	for (i = 0; i < n; i++) {
		char words[48], *w, *save = NULL, cond[160];
		size_t o = 0;

		/* "vault key add": seen vault; and seen key; and seen add */
		memcpy(words, t[i].words, sizeof words);
		cond[0] = '\0';
		for (w = strtok_r(words, " ", &save); w != NULL; w = strtok_r(NULL, " ", &save))
			o += (size_t)snprintf(cond + o, sizeof cond - o, "%s__fish_seen_subcommand_from %s",
			                      o ? "; and " : "", w);
		for (k = 0; k < CLI_O_COUNT; k++) {
			const char *opt;
			char letter;
			bool arg;

			if (!cli_opt_info(k, t[i].mask, &opt, &letter, &arg))
				continue;
			fprintf(f, "complete -c escrow -n '%s' -l %s", cond, opt);
			if (letter)
				fprintf(f, " -s %c", letter);
			fputs(arg ? " -r -F\n" : "\n", f);
		}
	}
}

int cmd_completion(int argc, char **argv, const struct cli_command *cmds, size_t n)
{
	static const char usage_line[] = "escrow completion bash|zsh|fish";

	commands = cmds;
	n_commands = n;
	if (argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0)) {
		printf("usage: %s\n\n"
		       "Print a completion script for the shell, written from escrow's own option\n"
		       "tables. Load it with:\n"
		       "  bash: source <(escrow completion bash)   (or save it in\n"
		       "        /usr/share/bash-completion/completions/escrow)\n"
		       "  zsh:  escrow completion zsh > ~/.zfunc/_escrow (a folder in $fpath)\n"
		       "  fish: escrow completion fish > ~/.config/fish/completions/escrow.fish\n\n"
		       "Options:\n"
		       "  -h, --help  show this help\n",
		       usage_line);
		return 0;
	}
	if (argc < 2)
		return cli_usage("completion", usage_line, "missing SHELL (bash, zsh or fish)");
	if (argc > 2)
		return cli_usage("completion", usage_line, "unexpected argument '%s'", argv[2]);
	if (strcmp(argv[1], "bash") == 0)
		bash(stdout);
	else if (strcmp(argv[1], "zsh") == 0)
		zsh(stdout);
	else if (strcmp(argv[1], "fish") == 0)
		fish(stdout);
	else
		return cli_usage("completion", usage_line, "unknown shell '%s' (bash, zsh or fish)", argv[1]);
	return fflush(stdout) == 0 ? 0 : EX_IOERR_;
}
