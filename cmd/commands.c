/*
 * commands - the table of subcommands.
 */
#include "commands.h"

#include <stdio.h>
#include <string.h>

#include "priv.h"

/* Each subcommand file provides its entry point and option table. */
#define CMD_DECLARE(sym)                                                     \
	int cmd_##sym##_main(int argc, char **argv);                         \
	extern const struct opts_cmd cmd_##sym##_opts

CMD_DECLARE(ping);
CMD_DECLARE(trace);
CMD_DECLARE(echo);
CMD_DECLARE(nep_client);
CMD_DECLARE(nep_server);
CMD_DECLARE(shell);

/* One line per subcommand, in --help order. */
const struct cmd_entry cmd_table[] = {
	{ "ping", cmd_ping_main, &cmd_ping_opts, CMD_PRIV_NET },
	{ "trace", cmd_trace_main, &cmd_trace_opts, CMD_PRIV_NET },
	{ "echo", cmd_echo_main, &cmd_echo_opts, CMD_PRIV_NET },
	{ "nep-client", cmd_nep_client_main, &cmd_nep_client_opts, CMD_PRIV_NET },
	{ "nep-server", cmd_nep_server_main, &cmd_nep_server_opts, CMD_PRIV_NET },
	/* The shell keeps what it was started with only to hand it to the
	 * commands it runs; each child applies cmd_run()'s rule. */
	{ "shell", cmd_shell_main, &cmd_shell_opts, CMD_PRIV_NET },
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

/* --help anywhere before "--" means no socket will be opened. */
static int cmd_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0)
			return 1;
	}
	return 0;
}

int cmd_run(const struct cmd_entry *c, int argc, char **argv)
{
	char err[256];

	if (c->priv == CMD_PRIV_NONE || cmd_wants_help(argc, argv)) {
		if (priv_drop(NULL, NULL, err, sizeof(err)) < 0) {
			fprintf(stderr, "echolot %s: %s\n", c->name, err);
			return 2;
		}
	}
	return c->run(argc, argv);
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
