/*
 * gen - completion files, man page OPTIONS sections and a plain dump,
 * written from cmd_table and the option tables it points to. Makefile.am
 * runs these at build time, so a subcommand added to the table is in every
 * document without anyone editing a list.
 */
#include "config.h"

#include "gen.h"

#include <ctype.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "opts.h"

#define GEN_MAX_CMDS 64

/* The options of a table plus the parser's own -h/--help (unless the table
 * spells one of them itself): what the user can type. */
static const struct opts_def *gen_def(const struct opts_cmd *oc, size_t i)
{
	return i < oc->ndefs ? &oc->defs[i] : opts_help_option();
}

static size_t gen_ndefs(const struct opts_cmd *oc)
{
	size_t i;

	for (i = 0; i < oc->ndefs; i++) {
		const struct opts_def *d = &oc->defs[i];

		if (d->short_name == 'h' ||
		    (d->long_name && strcmp(d->long_name, "help") == 0))
			return oc->ndefs;
	}
	return oc->ndefs + 1;
}

static bool gen_takes_value(const struct opts_def *d)
{
	return d->kind != OPTS_FLAG;
}

/* Positional arguments of kind OPTS_FLAG mean "takes none". */
static bool gen_has_args(const struct opts_cmd *oc)
{
	return oc->arg_kind != OPTS_FLAG;
}

/* Shell function names cannot hold '-': nep-client -> nep_client. */
static const char *gen_ident(const char *name, char *buf, size_t len)
{
	size_t i;

	for (i = 0; name[i] && i + 1 < len; i++)
		buf[i] = name[i] == '-' ? '_' : name[i];
	buf[i] = '\0';
	return buf;
}

static void gen_values(FILE *out, const struct opts_def *d, const char *sep)
{
	size_t i;

	for (i = 0; d->values && d->values[i]; i++)
		fprintf(out, "%s%s", i ? sep : "", d->values[i]);
}

/* ------------------------------------------------------------ options */

static void gen_tsv_text(FILE *out, const char *s)
{
	for (; s && *s; s++)
		fputc(*s == '\t' || *s == '\n' ? ' ' : *s, out);
}

static int gen_options(FILE *out)
{
	const struct cmd_entry *c;
	size_t i;

	for (c = cmd_table; c->name; c++) {
		const struct opts_cmd *oc = c->opts;

		fprintf(out, "command\t%s\t%s\t", oc->name,
			gen_has_args(oc) ? opts_kind_name(oc->arg_kind) : "");
		gen_tsv_text(out, oc->usage);
		fputc('\t', out);
		gen_tsv_text(out, oc->summary);
		fputc('\n', out);
		for (i = 0; i < gen_ndefs(oc); i++) {
			const struct opts_def *d = gen_def(oc, i);

			fprintf(out, "option\t%s\t", oc->name);
			if (d->short_name)
				fputc(d->short_name, out);
			fprintf(out, "\t%s\t%s\t",
				d->long_name ? d->long_name : "",
				opts_kind_name(d->kind));
			if (gen_takes_value(d))
				gen_tsv_text(out,
					     d->metavar ? d->metavar : "VALUE");
			fputc('\t', out);
			gen_values(out, d, " ");
			fputc('\t', out);
			gen_tsv_text(out, d->help);
			fprintf(out, "\t%s%s\n",
				d->flags & OPTS_REPEAT ? "repeat " : "",
				d->flags & OPTS_ALIAS ? "alias" : "");
		}
	}
	return 0;
}

/* --------------------------------------------------------------- bash */

/* The bash-completion call that offers values of a kind; NULL: none. */
static const char *gen_bash_action(enum opts_kind kind)
{
	switch (kind) {
	case OPTS_HOST:
		return "_known_hosts_real -- \"$cur\"";
	case OPTS_FILE:
		return "_filedir";
	case OPTS_IFACE:
		return "_available_interfaces -a";
	case OPTS_USER:
		return "COMPREPLY=($(compgen -u -- \"$cur\"))";
	default:
		return NULL;
	}
}

static void gen_bash_value_case(FILE *out, const struct opts_def *d)
{
	const char *action = gen_bash_action(d->kind);

	fputs("\t", out);
	if (d->short_name)
		fprintf(out, "-%c%s", d->short_name, d->long_name ? "|" : "");
	if (d->long_name)
		fprintf(out, "--%s", d->long_name);
	fputs(")\n\t\t", out);
	if (d->kind == OPTS_ENUM) {
		fputs("COMPREPLY=($(compgen -W ", out);
		fputc('\'', out);
		gen_values(out, d, " ");
		fputs("' -- \"$cur\"))", out);
	} else if (action) {
		fputs(action, out);
	} else {
		fprintf(out, ": %s, nothing to offer", opts_kind_name(d->kind));
	}
	fputs("\n\t\treturn\n\t\t;;\n", out);
}

static void gen_bash_cmd(FILE *out, const struct opts_cmd *oc)
{
	char id[64];
	size_t i;

	fprintf(out, "_echolot_%s()\n{\n\tcase $prev in\n",
		gen_ident(oc->name, id, sizeof(id)));
	for (i = 0; i < gen_ndefs(oc); i++)
		if (gen_takes_value(gen_def(oc, i)))
			gen_bash_value_case(out, gen_def(oc, i));
	fputs("\tesac\n\t$split && return\n"
	      "\tif [[ $cur == -* ]]; then\n"
	      "\t\tCOMPREPLY=($(compgen -W '",
	      out);
	for (i = 0; i < gen_ndefs(oc); i++)
		if (gen_def(oc, i)->long_name)
			fprintf(out, "--%s ", gen_def(oc, i)->long_name);
	for (i = 0; i < gen_ndefs(oc); i++)
		if (gen_def(oc, i)->short_name)
			fprintf(out, "-%c ", gen_def(oc, i)->short_name);
	fputs("' -- \"$cur\"))\n\t\treturn\n\tfi\n", out);
	if (gen_has_args(oc) && gen_bash_action(oc->arg_kind))
		fprintf(out, "\t%s\n", gen_bash_action(oc->arg_kind));
	fputs("}\n\n", out);
}

static int gen_bash(FILE *out)
{
	const struct cmd_entry *c;
	char id[64];

	fputs("# bash completion for echolot                 -*- shell-script "
	      "-*-\n"
	      "# Generated by `echolot --generate bash` from the option "
	      "tables\n"
	      "# (cmd/*.c); change the tables, not this file.\n\n",
	      out);
	for (c = cmd_table; c->name; c++)
		gen_bash_cmd(out, c->opts);
	fputs("_echolot()\n{\n"
	      "\tlocal cur prev words cword split\n"
	      "\t_init_completion -s || return\n\n"
	      "\t# echolot-SUB links start at their options; echolot itself\n"
	      "\t# takes the subcommand first.\n"
	      "\tlocal sub=${words[0]##*/}\n"
	      "\tif [[ $sub == echolot-* ]]; then\n"
	      "\t\tsub=${sub#echolot-}\n"
	      "\telif ((cword == 1)); then\n"
	      "\t\tif [[ $cur == -* ]]; then\n"
	      "\t\t\tCOMPREPLY=($(compgen -W '--help --version -h -V' -- "
	      "\"$cur\"))\n"
	      "\t\telse\n"
	      "\t\t\tCOMPREPLY=($(compgen -W '",
	      out);
	for (c = cmd_table; c->name; c++)
		fprintf(out, "%s ", c->name);
	fputs("' -- \"$cur\"))\n\t\tfi\n\t\treturn\n"
	      "\telse\n\t\tsub=${words[1]}\n\tfi\n"
	      "\tcase $sub in\n",
	      out);
	for (c = cmd_table; c->name; c++)
		fprintf(out, "\t%s)\n\t\t_echolot_%s\n\t\t;;\n", c->name,
			gen_ident(c->name, id, sizeof(id)));
	fputs("\tesac\n} &&\n\tcomplete -F _echolot echolot", out);
	for (c = cmd_table; c->name; c++)
		fprintf(out, " echolot-%s", c->name);
	fputs("\n\n# ex: filetype=sh\n", out);
	return 0;
}

/* ---------------------------------------------------------------- zsh */

/* Text inside an _arguments "[help]" or ":message:" part; a message is
 * shown through prompt expansion, so its '%' is doubled. */
static void gen_zsh_text(FILE *out, const char *s, bool message)
{
	for (; s && *s; s++) {
		if (*s == '\'')
			fputs("'\\''", out);
		else if (*s == '[' || *s == ']' || *s == ':' || *s == '\\')
			fprintf(out, "\\%c", *s);
		else if (*s == '%' && message)
			fputs("%%", out);
		else
			fputc(*s, out);
	}
}

static void gen_zsh_action(FILE *out, const struct opts_def *d,
			   enum opts_kind kind)
{
	switch (kind) {
	case OPTS_HOST:
		fputs("_hosts", out);
		break;
	case OPTS_FILE:
		fputs("_files", out);
		break;
	case OPTS_IFACE:
		fputs("_net_interfaces", out);
		break;
	case OPTS_USER:
		fputs("_users", out);
		break;
	case OPTS_ENUM:
		fputc('(', out);
		if (d)
			gen_values(out, d, " ");
		fputc(')', out);
		break;
	default:
		fputc(' ', out); /* a message only: no candidates */
		break;
	}
}

static void gen_zsh_def(FILE *out, const struct opts_def *d)
{
	bool both = d->short_name && d->long_name;
	bool rep = d->flags & OPTS_REPEAT;
	bool val = gen_takes_value(d);

	fputs("\t\t'", out);
	if (rep)
		fputc('*', out);
	else if (both)
		fprintf(out, "(-%c --%s)", d->short_name, d->long_name);
	if (both)
		fprintf(out, "'{-%c%s,--%s%s}'", d->short_name, val ? "+" : "",
			d->long_name, val ? "=" : "");
	else if (d->short_name)
		fprintf(out, "-%c%s", d->short_name, val ? "+" : "");
	else
		fprintf(out, "--%s%s", d->long_name, val ? "=" : "");
	fputc('[', out);
	gen_zsh_text(out, d->help, false);
	fputc(']', out);
	if (val) {
		fputc(':', out);
		gen_zsh_text(out, d->metavar ? d->metavar : "value", true);
		fputc(':', out);
		gen_zsh_action(out, d, d->kind);
	}
	fputs("' \\\n", out);
}

static void gen_zsh_cmd(FILE *out, const struct opts_cmd *oc)
{
	char id[64];
	size_t i;

	fprintf(out, "_echolot_%s() {\n\t_arguments -s -S : \\\n",
		gen_ident(oc->name, id, sizeof(id)));
	for (i = 0; i < gen_ndefs(oc); i++)
		gen_zsh_def(out, gen_def(oc, i));
	if (gen_has_args(oc)) {
		fprintf(out, "\t\t'*:%s:", opts_kind_name(oc->arg_kind));
		gen_zsh_action(out, NULL, oc->arg_kind);
		fputs("'\n}\n\n", out);
	} else {
		fputs("\t\t&& return 0\n\treturn 1\n}\n\n", out);
	}
}

static int gen_zsh(FILE *out)
{
	const struct cmd_entry *c;
	char id[64];

	fputs("#compdef echolot", out);
	for (c = cmd_table; c->name; c++)
		fprintf(out, " echolot-%s", c->name);
	fputs("\n# zsh completion for echolot. Generated by `echolot "
	      "--generate "
	      "zsh` from\n# the option tables (cmd/*.c); change the tables, "
	      "not this file.\n\n",
	      out);
	for (c = cmd_table; c->name; c++)
		gen_zsh_cmd(out, c->opts);
	fputs("_echolot_sub() {\n\tcase $1 in\n", out);
	for (c = cmd_table; c->name; c++)
		fprintf(out, "\t%s) _echolot_%s ;;\n", c->name,
			gen_ident(c->name, id, sizeof(id)));
	fputs("\t*) _message \"unknown subcommand: $1\"; return 1 ;;\n"
	      "\tesac\n}\n\n"
	      "_echolot() {\n"
	      "\tlocal curcontext=$curcontext state state_descr line ret=1\n"
	      "\ttypeset -A opt_args\n"
	      "\tif [[ $service == echolot-* ]]; then\n"
	      "\t\t_echolot_sub ${service#echolot-}\n\t\treturn\n\tfi\n"
	      "\t_arguments -C : \\\n"
	      "\t\t'(- *)'{-h,--help}'[list the subcommands and exit]' \\\n"
	      "\t\t'(- *)'{-V,--version}'[show the version and exit]' \\\n"
	      "\t\t'1:subcommand:->sub' \\\n"
	      "\t\t'*::argument:->arg' && ret=0\n"
	      "\tcase $state in\n"
	      "\tsub)\n\t\tlocal -a subs\n\t\tsubs=(\n",
	      out);
	for (c = cmd_table; c->name; c++) {
		fputs("\t\t\t'", out);
		gen_zsh_text(out, c->name, false);
		fputc(':', out);
		gen_zsh_text(out, c->opts->summary, false);
		fputs("'\n", out);
	}
	fputs("\t\t)\n"
	      "\t\t_describe -t commands 'echolot subcommand' subs && ret=0\n"
	      "\t\t;;\n"
	      "\targ)\n"
	      "\t\tcurcontext=${curcontext%:*:*}:echolot-$words[1]:\n"
	      "\t\t_echolot_sub $words[1] && ret=0\n"
	      "\t\t;;\n"
	      "\tesac\n\treturn ret\n}\n\n_echolot \"$@\"\n",
	      out);
	return 0;
}

/* --------------------------------------------------------------- fish */

static void gen_fish_quote(FILE *out, const char *s)
{
	fputc('\'', out);
	for (; s && *s; s++) {
		if (*s == '\'' || *s == '\\')
			fputc('\\', out);
		fputc(*s, out);
	}
	fputc('\'', out);
}

/* "-x -a '...'": what follows an option or stands for the arguments. */
static void gen_fish_action(FILE *out, const struct opts_def *d,
			    enum opts_kind kind)
{
	switch (kind) {
	case OPTS_FILE:
		fputs(" -r -F", out);
		break;
	case OPTS_HOST:
		fputs(" -x -a '(__echolot_hosts)'", out);
		break;
	case OPTS_IFACE:
		fputs(" -x -a '(__fish_print_interfaces)'", out);
		break;
	case OPTS_USER:
		fputs(" -x -a '(__fish_complete_users)'", out);
		break;
	case OPTS_ENUM:
		fputs(" -x -a '", out);
		if (d)
			gen_values(out, d, " ");
		fputc('\'', out);
		break;
	default:
		fputs(" -x", out);
		break;
	}
}

static void gen_fish_cmd(FILE *out, const struct opts_cmd *oc)
{
	size_t i;

	fprintf(out, "\n# %s\n", oc->name);
	for (i = 0; i < gen_ndefs(oc); i++) {
		const struct opts_def *d = gen_def(oc, i);

		fprintf(out,
			"complete -c echolot -c echolot-%s -n "
			"'__echolot_using %s'",
			oc->name, oc->name);
		if (d->short_name)
			fprintf(out, " -s %c", d->short_name);
		if (d->long_name)
			fprintf(out, " -l %s", d->long_name);
		if (gen_takes_value(d))
			gen_fish_action(out, d, d->kind);
		fputs(" -d ", out);
		gen_fish_quote(out, d->help);
		fputc('\n', out);
	}
	if (gen_has_args(oc)) {
		fprintf(out,
			"complete -c echolot -c echolot-%s -n "
			"'__echolot_using %s'",
			oc->name, oc->name);
		/* -F: file arguments despite the "-f" that covers the rest. */
		if (oc->arg_kind == OPTS_FILE)
			fputs(" -F", out);
		else
			gen_fish_action(out, NULL, oc->arg_kind);
		fputc('\n', out);
	}
}

static int gen_fish(FILE *out)
{
	const struct cmd_entry *c;

	fputs("# fish completion for echolot. Generated by `echolot --generate "
	      "fish` from\n# the option tables (cmd/*.c); change the tables, "
	      "not this file.\n\n"
	      "# The subcommand: from an echolot-SUB link, else the first "
	      "argument.\n"
	      "function __echolot_sub\n"
	      "\tset -l tokens (commandline -opc)\n"
	      "\tset -l prog (string replace -r '.*/' '' -- $tokens[1])\n"
	      "\tif string match -q 'echolot-*' -- $prog\n"
	      "\t\tstring replace 'echolot-' '' -- $prog\n"
	      "\telse if set -q tokens[2]\n"
	      "\t\techo $tokens[2]\n\tend\nend\n\n"
	      "function __echolot_needs_sub\n"
	      "\tset -l tokens (commandline -opc)\n"
	      "\ttest (count $tokens) -eq 1\n"
	      "\tand string match -q -r '(^|/)echolot$' -- $tokens[1]\n"
	      "end\n\n"
	      "# Every name and address in /etc/hosts (fish's own list leaves "
	      "out\n"
	      "# loopback, the first target of a troubleshooter), then ssh's.\n"
	      "function __echolot_hosts\n"
	      "\tstring replace -r '#.*' '' </etc/hosts 2>/dev/null |\n"
	      "\t\tstring replace -ra '\\\\s+' ' ' | string split -n ' '\n"
	      "\t__fish_print_hostnames\nend\n\n"
	      "function __echolot_using\n"
	      "\tset -l sub (__echolot_sub)\n"
	      "\ttest \"$sub\" = \"$argv[1]\"\nend\n\n"
	      "complete -c echolot -f\n"
	      "complete -c echolot -n __echolot_needs_sub -s h -l help -d "
	      "'list the subcommands and exit'\n"
	      "complete -c echolot -n __echolot_needs_sub -s V -l version -d "
	      "'show the version and exit'\n",
	      out);
	for (c = cmd_table; c->name; c++) {
		fprintf(out,
			"complete -c echolot -n __echolot_needs_sub -a %s "
			"-d ",
			c->name);
		gen_fish_quote(out, c->opts->summary);
		fputc('\n', out);
	}
	for (c = cmd_table; c->name; c++) {
		fprintf(out, "complete -c echolot-%s -f\n", c->name);
		gen_fish_cmd(out, c->opts);
	}
	return 0;
}

/* ---------------------------------------------------------------- man */

/* Text for a roff line: hyphens are minus signs (option names must be
 * copy-pasteable), backslashes printed, no line starts with a control
 * character. */
static void gen_roff(FILE *out, const char *s, bool line_start)
{
	if (line_start && (*s == '.' || *s == '\''))
		fputs("\\&", out);
	for (; *s; s++) {
		if (*s == '-')
			fputs("\\-", out);
		else if (*s == '\\')
			fputs("\\e", out);
		else
			fputc(*s, out);
	}
}

/* The sentence form of a help line: capital first letter, final period. */
static void gen_roff_sentence(FILE *out, const char *help)
{
	char first[2] = {0, 0};

	if (!help || !*help)
		return;
	if (help[0] == '.' || help[0] == '\'')
		fputs("\\&", out);
	first[0] = (char)toupper((unsigned char)help[0]);
	gen_roff(out, first, false);
	gen_roff(out, help + 1, false);
	fputs(".\n", out);
}

static const struct opts_def *gen_alias_of(const struct opts_cmd *oc,
					   const struct opts_def *d)
{
	size_t i;

	for (i = 0; i < oc->ndefs; i++)
		if (oc->defs[i].id == d->id &&
		    !(oc->defs[i].flags & OPTS_ALIAS))
			return &oc->defs[i];
	return NULL;
}

static void gen_man_range(FILE *out, const struct opts_def *d)
{
	if (d->kind == OPTS_DURATION)
		fputs("In seconds, or with a unit: 200ms, 1.5s, 2m.\n", out);
	if ((d->kind == OPTS_INT || d->kind == OPTS_NUM ||
	     d->kind == OPTS_DURATION || d->kind == OPTS_PORT) &&
	    (d->min != 0 || d->max != 0))
		fprintf(out, "From %.10g to %.10g.\n", d->min, d->max);
	if (d->kind == OPTS_ENUM && d->values) {
		size_t i;

		fputs("One of:", out);
		for (i = 0; d->values[i]; i++) {
			fputs(i ? ", \\fB" : " \\fB", out);
			gen_roff(out, d->values[i], false);
			fputs("\\fR", out);
		}
		fputs(".\n", out);
	}
	if (d->flags & OPTS_REPEAT)
		fputs("May be given more than once.\n", out);
}

static void gen_man_def(FILE *out, const struct opts_cmd *oc,
			const struct opts_def *d)
{
	const char *mv = d->metavar ? d->metavar : "VALUE";

	fputs(".TP\n", out);
	if (d->short_name)
		fprintf(out, "\\fB\\-%c\\fR%s", d->short_name,
			d->long_name ? ", " : "");
	if (d->long_name) {
		fputs("\\fB\\-\\-", out);
		gen_roff(out, d->long_name, false);
		fputs("\\fR", out);
	}
	if (gen_takes_value(d)) {
		fputs(" \\fI", out);
		gen_roff(out, mv, false);
		fputs("\\fR", out);
	}
	fputc('\n', out);
	gen_roff_sentence(out, d->help);
	if (d->flags & OPTS_ALIAS) {
		const struct opts_def *main_def = gen_alias_of(oc, d);

		if (main_def && main_def->long_name) {
			fputs("The same as \\fB\\-\\-", out);
			gen_roff(out, main_def->long_name, false);
			fputs("\\fR.\n", out);
		}
		return;
	}
	gen_man_range(out, d);
}

static void gen_man_options(FILE *out, const struct opts_cmd *oc)
{
	size_t i;

	fputs(".SH OPTIONS\n", out);
	for (i = 0; i < gen_ndefs(oc); i++)
		gen_man_def(out, oc, gen_def(oc, i));
}

static void gen_man_subcommands(FILE *out)
{
	const struct cmd_entry *c;

	for (c = cmd_table; c->name; c++) {
		fputs(".TP\n.B ", out);
		gen_roff(out, c->name, false);
		fputc('\n', out);
		gen_roff_sentence(out, c->opts->summary);
		fputs("See\n.BR echolot\\-", out);
		gen_roff(out, c->name, false);
		fputs(" (1).\n", out);
	}
}

static void gen_man_seealso(FILE *out)
{
	const struct cmd_entry *c;

	for (c = cmd_table; c->name; c++) {
		fputs(".BR echolot\\-", out);
		gen_roff(out, c->name, false);
		fputs(" (1),\n", out);
	}
}

static int gen_man_line(FILE *out, const char *line, const struct opts_cmd *oc)
{
	const char *v;

	if (strcmp(line, "@OPTIONS@") == 0) {
		if (!oc) {
			fputs("echolot: --generate man: @OPTIONS@ needs a "
			      "subcommand name\n",
			      stderr);
			return -1;
		}
		gen_man_options(out, oc);
	} else if (strcmp(line, "@SUBCOMMANDS@") == 0) {
		gen_man_subcommands(out);
	} else if (strcmp(line, "@SEEALSO@") == 0) {
		gen_man_seealso(out);
	} else if ((v = strstr(line, "@VERSION@")) != NULL) {
		fprintf(out, "%.*s%s%s\n", (int)(v - line), line,
			PACKAGE_VERSION, v + strlen("@VERSION@"));
	} else {
		fprintf(out, "%s\n", line);
	}
	return 0;
}

static int gen_man(FILE *in, FILE *out, const char *sub)
{
	const struct cmd_entry *c = NULL;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;

	if (sub && !(c = cmd_lookup(sub))) {
		fprintf(stderr,
			"echolot: --generate man: unknown subcommand "
			"'%s'\n",
			sub);
		return 2;
	}
	while (rc == 0 && (n = getline(&line, &cap, in)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		rc = gen_man_line(out, line, c ? c->opts : NULL);
	}
	free(line);
	return rc == 0 && !ferror(in) ? 0 : 2;
}

int gen_main(int argc, char **argv)
{
	const char *what = argc > 1 ? argv[1] : "";
	int rc;

	if (strcmp(what, "options") == 0)
		rc = gen_options(stdout);
	else if (strcmp(what, "bash") == 0)
		rc = gen_bash(stdout);
	else if (strcmp(what, "zsh") == 0)
		rc = gen_zsh(stdout);
	else if (strcmp(what, "fish") == 0)
		rc = gen_fish(stdout);
	else if (strcmp(what, "man") == 0)
		rc = gen_man(stdin, stdout, argc > 2 ? argv[2] : NULL);
	else {
		fprintf(stderr,
			"echolot: --generate: unknown document '%s' "
			"(options, bash, zsh, fish, man)\n",
			what);
		return 2;
	}
	if (rc == 0 && fflush(stdout) != 0)
		rc = 2;
	return rc;
}
