/*
 * main - the dispatcher.
 *
 *   echolot SUBCOMMAND [options]     run a subcommand
 *   echolot-SUBCOMMAND [options]     the same, busybox-style, through a link
 *   echolot --help | --version
 *
 * Subcommands return their exit status here; lib/ never exits.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "commands.h"
#include "gen.h"

#define MAIN_PREFIX "echolot-"

static void main_usage(FILE *out)
{
	const struct cmd_entry *c;

	fprintf(out, "Usage: echolot SUBCOMMAND [options]\n"
		     "       echolot-SUBCOMMAND [options]\n"
		     "       echolot --help | --version\n\n"
		     "Network troubleshooting in one binary.\n\n"
		     "Subcommands:\n");
	for (c = cmd_table; c->name; c++)
		fprintf(out, "  %-12s %s\n", c->name, c->opts->summary);
	fprintf(out, "\n'echolot SUBCOMMAND --help' shows a subcommand's "
		     "options.\n");
}

static int main_unknown(const char *what, const char *name)
{
	const char *hint = cmd_suggest(name);

	if (hint)
		fprintf(stderr,
			"echolot: unknown %s '%s' (did you mean '%s'?)\n",
			what, name, hint);
	else
		fprintf(stderr,
			"echolot: unknown %s '%s' (see 'echolot --help')\n",
			what, name);
	return 2;
}

static int main_run(const struct cmd_entry *c, int argc, char **argv)
{
	return cmd_run(c, argc, argv);
}

static const char *main_basename(const char *path)
{
	const char *slash = strrchr(path, '/');

	return slash ? slash + 1 : path;
}

int main(int argc, char **argv)
{
	const char *prog = argc > 0 ? main_basename(argv[0]) : "echolot";
	const struct cmd_entry *c;

	/* Called through a link named echolot-SUBCOMMAND. */
	if (strncmp(prog, MAIN_PREFIX, strlen(MAIN_PREFIX)) == 0) {
		const char *name = prog + strlen(MAIN_PREFIX);

		c = cmd_lookup(name);
		if (!c)
			return main_unknown("subcommand", name);
		return main_run(c, argc, argv);
	}
	if (argc < 2) {
		c = cmd_lookup("shell");
		if (c && isatty(STDIN_FILENO))
			return main_run(c, 1, (char *[]){ (char *)"shell", NULL });
		main_usage(stderr);
		return 2;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		main_usage(stdout);
		return fflush(stdout) == 0 ? 0 : 2;
	}
	if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "-V") == 0) {
		printf("echolot %s\n", PACKAGE_VERSION);
		return fflush(stdout) == 0 ? 0 : 2;
	}
	/* Unlisted on purpose: the build writes completions and man pages
	 * with it (cmd/gen.h, man/README). */
	if (strcmp(argv[1], "--generate") == 0)
		return gen_main(argc - 1, argv + 1);
	if (argv[1][0] == '-') {
		fprintf(stderr,
			"echolot: unknown option '%s' (see 'echolot --help')\n",
			argv[1]);
		return 2;
	}
	c = cmd_lookup(argv[1]);
	if (!c)
		return main_unknown("subcommand", argv[1]);
	return main_run(c, argc - 1, argv + 1);
}
