/*
 * commands - the table of subcommands.
 */
#include "commands.h"

#include <string.h>

/* Each subcommand file provides its entry point and option table. */
#define CMD_DECLARE(sym)                                                     \
	int cmd_##sym##_main(int argc, char **argv);                         \
	extern const struct opts_cmd cmd_##sym##_opts

const struct cmd_entry cmd_table[] = {
	{ NULL, NULL, NULL, CMD_PRIV_NONE },
};

const struct cmd_entry *cmd_lookup(const char *name)
{
	const struct cmd_entry *c;

	for (c = cmd_table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

const char *cmd_suggest(const char *name)
{
	const char *names[32] = { NULL };
	size_t n = 0;
	const struct cmd_entry *c;

	for (c = cmd_table; c->name && n < 32; c++)
		names[n++] = c->name;
	return opts_closest(name, names, n);
}
