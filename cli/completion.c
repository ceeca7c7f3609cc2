/* completion.c - bash and zsh completion scripts made from the command table. */
/* SPDX-License-Identifier: Apache-2.0 */
#include "cli/cli.h"

#include <stdio.h>
#include <string.h>

static const char completion_usage[] = "usage: regwarden completion bash|zsh\n";

/* The words of LIST joined by spaces; options without their '='. */
static void
words(FILE *out, const char *const *list, int valued_only)
{
	const char *sep = "";
	size_t n;

	for (; list != NULL && *list != NULL; list++) {
		n = strlen(*list);
		if ((*list)[n - 1] == '=')
			n--;
		else if (valued_only)
			continue;
		fprintf(out, "%s%.*s", sep, (int)n, *list);
		sep = " ";
	}
}

/* One case arm per command: its subcommands, options and valued options. */
static void
arms(FILE *out)
{
	const struct cli_cmd *c;

	for (c = cli_commands; c->name != NULL; c++) {
		fprintf(out, "\t%s) subs=\"", c->name);
		words(out, c->subs, 0);
		fputs("\"; opts=\"", out);
		words(out, c->opts, 0);
		fputs(" --help\"; vals=\"", out);
		words(out, c->opts, 1);
		fputs("\";;\n", out);
	}
}

static void
command_words(FILE *out)
{
	const struct cli_cmd *c;

	for (c = cli_commands; c->name != NULL; c++)
		fprintf(out, "%s ", c->name);
	fputs("help --help", out);
}

static void
bash_script(FILE *out)
{
	fputs("# bash completion for regwarden (regwarden completion bash)\n"
	    "_regwarden() {\n"
	    "\tlocal cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
	    "\tlocal subs= opts= vals=\n"
	    "\tif [ \"$COMP_CWORD\" -eq 1 ]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"", out);
	command_words(out);
	fputs("\" -- \"$cur\"))\n"
	    "\t\treturn\n"
	    "\tfi\n"
	    "\tcase ${COMP_WORDS[1]} in\n", out);
	arms(out);
	fputs("\t*) return;;\n"
	    "\tesac\n"
	    "\tcase \" $vals \" in *\" $prev \"*)\n"
	    "\t\tCOMPREPLY=($(compgen -f -- \"$cur\")); return;;\n"
	    "\tesac\n"
	    "\tif [ \"$COMP_CWORD\" -eq 2 ] && [ -n \"$subs\" ] && "
	    "[[ $cur != -* ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$subs\" -- \"$cur\"))\n"
	    "\telif [[ $cur == -* ]]; then\n"
	    "\t\tCOMPREPLY=($(compgen -W \"$opts\" -- \"$cur\"))\n"
	    "\telse\n"
	    "\t\tCOMPREPLY=($(compgen -f -- \"$cur\"))\n"
	    "\tfi\n"
	    "}\n"
	    "complete -F _regwarden regwarden\n", out);
}

static void
zsh_script(FILE *out)
{
	fputs("#compdef regwarden\n"
	    "# zsh completion for regwarden (regwarden completion zsh)\n"
	    "_regwarden() {\n"
	    "\tlocal subs= opts= vals=\n"
	    "\tif (( CURRENT == 2 )); then\n"
	    "\t\tcompadd -- ", out);
	command_words(out);
	fputs("\n"
	    "\t\treturn\n"
	    "\tfi\n"
	    "\tcase ${words[2]} in\n", out);
	arms(out);
	fputs("\t*) return 1;;\n"
	    "\tesac\n"
	    "\tif [[ \" $vals \" == *\" ${words[CURRENT-1]} \"* ]]; then\n"
	    "\t\t_files; return\n"
	    "\tfi\n"
	    "\tif (( CURRENT == 3 )) && [[ -n $subs && ${words[CURRENT]} != -* ]]; "
	    "then\n"
	    "\t\tcompadd -- ${=subs}\n"
	    "\telif [[ ${words[CURRENT]} == -* ]]; then\n"
	    "\t\tcompadd -- ${=opts}\n"
	    "\telse\n"
	    "\t\t_files\n"
	    "\tfi\n"
	    "}\n"
	    "compdef _regwarden regwarden\n", out);
}

int
cli_completion(int argc, char **argv, FILE *out, FILE *errf)
{
	if (argc == 2 && strcmp(argv[1], "bash") == 0)
		bash_script(out);
	else if (argc == 2 && strcmp(argv[1], "zsh") == 0)
		zsh_script(out);
	else {
		fprintf(errf, "regwarden: completion: expected \"bash\" or "
		    "\"zsh\"\n%s", completion_usage);
		return 2;
	}
	return fflush(out) == 0 && !ferror(out) ? 0 : 1;
}
