/*
 * commands - the one table of subcommands: name, entry point, option table
 * and the privilege each needs. main.c dispatches through it; the shell and
 * the completion generator read it too.
 */
#ifndef ECHOLOT_COMMANDS_H
#define ECHOLOT_COMMANDS_H

#include "opts.h"

/* What a subcommand may keep when it starts (main.c enforces the rest). */
enum cmd_priv {
	CMD_PRIV_NONE, /* drops every privilege before its main runs */
	CMD_PRIV_NET,  /* opens raw/capture sockets or low ports first, then
			  drops by itself (lib/priv) */
};

struct cmd_entry {
	const char *name;
	int (*run)(int argc, char **argv); /* argv[0] is the name */
	const struct opts_cmd *opts;
	enum cmd_priv priv;
};

/* The subcommands, in the order --help lists them; ends with a NULL name. */
extern const struct cmd_entry cmd_table[];

/* Exact match only: no prefixes, so adding a command never changes the
 * meaning of an existing one. NULL when there is none. */
const struct cmd_entry *cmd_lookup(const char *name);

/* The closest subcommand name to a typo, or NULL. */
const char *cmd_suggest(const char *name);

/* "echolot-ping" when run through a link, else "echolot ping": the name
 * --help shows in its Usage line. */
const char *cmd_progname(const struct opts_cmd *oc, const char *argv0,
			 char *buf, size_t len);

/*
 * Runs c with argv[0] its name, after dropping every privilege when c
 * declares CMD_PRIV_NONE or --help is asked for. The dispatcher and the
 * shell's children both start commands through here.
 */
int cmd_run(const struct cmd_entry *c, int argc, char **argv);

#define CMD_CONTINUE (-1)

/*
 * Parses a subcommand's argv with its option table. Prints --help to
 * stdout (returns 0) or the one-line error "echolot NAME: ..." to stderr
 * (returns 2); returns CMD_CONTINUE when the subcommand should go on.
 */
int cmd_parse(const struct opts_cmd *oc, int argc, char **argv, opts_fn fn,
	      void *ctx);

#endif
