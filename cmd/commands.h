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

#endif
