/*
 * gen_fixture - cmd/gen.c linked with a fixed command table that has every
 * option kind, so tests/cli/completions.bats can check enum values, hosts,
 * files and the rest in the real shells whatever the real table holds today.
 *
 *   tests/helpers/gen_fixture bash|zsh|fish|options|man SUB
 */
#include <string.h>

#include "commands.h"
#include "gen.h"

static const char *const fx_modes[] = {"icmp", "tcp-syn", "tcp-connect", "udp",
				       NULL};
static const char *const fx_formats[] = {"text", "json", NULL};

static const struct opts_def fx_probe_defs[] = {
	{1, 'c', "count", OPTS_INT, "COUNT", 1, 1000, NULL,
	 "stop after COUNT probes", 0},
	{2, 'm', "mode", OPTS_ENUM, "MODE", 0, 0, fx_modes, "what to send", 0},
	{3, 0, "format", OPTS_ENUM, "FORMAT", 0, 0, fx_formats, "output format",
	 0},
	{4, 'S', "source", OPTS_HOST, "HOST", 0, 0, NULL, "send from HOST", 0},
	{5, 0, "save", OPTS_FILE, "FILE", 0, 0, NULL, "write to FILE", 0},
	{6, 'I', "interface", OPTS_IFACE, "IFACE", 0, 0, NULL,
	 "send through IFACE", 0},
	{7, 'u', "user", OPTS_USER, "USER", 0, 0, NULL, "run as USER", 0},
	{8, 'v', "verbose", OPTS_FLAG, NULL, 0, 0, NULL,
	 "say more [each -v: more]", OPTS_REPEAT},
	{9, 'i', "interval", OPTS_DURATION, "TIME", 0.001, 60, NULL,
	 "wait TIME: 'between' probes", 0},
	{2, 0, "method", OPTS_ENUM, "MODE", 0, 0, fx_modes, "same as --mode",
	 OPTS_ALIAS},
};

static const struct opts_def fx_serve_defs[] = {
	{1, 'p', "port", OPTS_PORT, "PORT", 1, 65535, NULL, "listen on PORT",
	 0},
};

static const struct opts_cmd fx_probe = {
	"probe",       "[options] HOST...",
	"Send probes", OPTS_HOST,
	fx_probe_defs, sizeof(fx_probe_defs) / sizeof(fx_probe_defs[0]),
};

static const struct opts_cmd fx_serve = {
	"serve-it", "[options]", "Answer probes", OPTS_FLAG, fx_serve_defs, 1,
};

static int fx_run(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

const struct cmd_entry cmd_table[] = {
	{"probe", fx_run, &fx_probe, CMD_PRIV_NONE},
	{"serve-it", fx_run, &fx_serve, CMD_PRIV_NONE},
	{NULL, NULL, NULL, CMD_PRIV_NONE},
};

const struct cmd_entry *cmd_lookup(const char *name)
{
	const struct cmd_entry *c;

	for (c = cmd_table; c->name; c++)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

int main(int argc, char **argv)
{
	argv[0] = (char *)"--generate";
	return gen_main(argc, argv);
}
