/*
 * commands - the table of subcommands.
 */
#include "commands.h"

#include <stdio.h>
#include <string.h>

/* Each subcommand file provides its entry point and option table. */
#define CMD_DECLARE(sym)                                                     \
	int cmd_##sym##_main(int argc, char **argv);                         \
	extern const struct opts_cmd cmd_##sym##_opts

CMD_DECLARE(ping);
CMD_DECLARE(trace);
CMD_DECLARE(echo);
CMD_DECLARE(nep_client);
CMD_DECLARE(nep_server);
/* shell */

/* One line per subcommand, in --help order. */
const struct cmd_entry cmd_table[] = {
	{ "ping", cmd_ping_main, &cmd_ping_opts, CMD_PRIV_NET },
	{ "trace", cmd_trace_main, &cmd_trace_opts, CMD_PRIV_NET },
	{ "echo", cmd_echo_main, &cmd_echo_opts, CMD_PRIV_NET },
	{ "nep-client", cmd_nep_client_main, &cmd_nep_client_opts, CMD_PRIV_NET },
	{ "nep-server", cmd_nep_server_main, &cmd_nep_server_opts, CMD_PRIV_NET },
	/* shell */
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

const char *cmd_progname(const struct opts_cmd *oc, const char *argv0,
			 char *buf, size_t len)
{
	const char *base = argv0 ? strrchr(argv0, '/') : NULL;

	base = base ? base + 1 : argv0;
	if (base && strncmp(base, "echolot-", 8) == 0)
		snprintf(buf, len, "%s", base);
	else
		snprintf(buf, len, "echolot %s", oc->name);
	return buf;
}

int cmd_parse(const struct opts_cmd *oc, int argc, char **argv, opts_fn fn,
	      void *ctx)
{
	char err[512], prog[64];

	switch (opts_parse(oc, argc, argv, fn, ctx, err, sizeof(err))) {
	case OPTS_OK:
		return CMD_CONTINUE;
	case OPTS_HELP:
		cmd_progname(oc, argc > 0 ? argv[0] : NULL, prog,
			     sizeof(prog));
		if (opts_print_help(oc, prog, stdout) < 0)
			return 2;
		return 0;
	default:
		fprintf(stderr, "echolot %s: %s\n", oc->name, err);
		return 2;
	}
}
