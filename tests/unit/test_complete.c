/*
 * Unit tests for lib/complete: what the shell offers at the cursor.
 */
#include <string.h>

#include "complete.h"
#include "unit.h"

enum { T_COUNT = 1, T_QUIET, T_MODE, T_FILE, T_SOURCE, T_NUMERIC };

static const char *const t_modes[] = {"icmp", "tcp", "tcp-connect", "udp",
				      NULL};

static const struct opts_def t_ping_defs[] = {
	{T_COUNT, 'c', "count", OPTS_INT, "COUNT", 1, 100, NULL, "count", 0},
	{T_QUIET, 'q', "quiet", OPTS_FLAG, NULL, 0, 0, NULL, "quiet", 0},
	{T_MODE, 'm', "mode", OPTS_ENUM, "MODE", 0, 0, t_modes, "mode", 0},
	{T_FILE, 0, "file", OPTS_FILE, "FILE", 0, 0, NULL, "file", 0},
	{T_SOURCE, 'S', "source", OPTS_HOST, "ADDR", 0, 0, NULL, "src", 0},
	{T_NUMERIC, 'n', NULL, OPTS_FLAG, NULL, 0, 0, NULL, "numeric", 0},
};

static const struct opts_cmd t_ping = {
	"ping",	       "[options] HOST",
	"Send probes", OPTS_HOST,
	t_ping_defs,   sizeof(t_ping_defs) / sizeof(t_ping_defs[0]),
};

static const struct opts_def t_pong_defs[] = {
	{1, 'p', "port", OPTS_PORT, "PORT", 0, 0, NULL, "port", 0},
};

static const struct opts_cmd t_pong = {
	"pong", "[options]", "Answer", OPTS_FILE, t_pong_defs, 1,
};

static const struct opts_cmd *const t_cmds[] = {&t_ping, &t_pong};

struct got {
	char all[512];
	size_t n;
};

static void t_add(void *ctx, const char *cand)
{
	struct got *g = ctx;
	size_t used = strlen(g->all);

	snprintf(g->all + used, sizeof(g->all) - used, "%s%s", used ? " " : "",
		 cand);
	g->n++;
}

/* The candidates for the last word of words[], space-separated. */
static const char *offer(struct got *g, struct compl_spot *spot,
			 char *const *words, int nwords)
{
	memset(g, 0, sizeof(*g));
	compl_locate(t_cmds, 2, words, nwords, spot);
	compl_candidates(t_cmds, 2, (const char *const[]){"help", NULL}, spot,
			 t_add, g);
	return g->all;
}

#define W(...)                                                                 \
	(char *[])                                                             \
	{                                                                      \
		__VA_ARGS__                                                    \
	}
#define N(...) ((int)(sizeof((char *[]){__VA_ARGS__}) / sizeof(char *)))
#define OFFER(g, spot, ...) offer(g, spot, W(__VA_ARGS__), N(__VA_ARGS__))

UNIT_TEST(test_commands)
{
	struct compl_spot spot;
	struct got g;

	CHECK_STR(OFFER(&g, &spot, "p"), "ping pong");
	CHECK_EQ(spot.what, COMPL_COMMAND);
	CHECK_STR(OFFER(&g, &spot, "pi"), "ping");
	CHECK_STR(OFFER(&g, &spot, ""), "ping pong help");
	CHECK_STR(OFFER(&g, &spot, "x"), "");
	/* An unknown command has nothing to offer. */
	OFFER(&g, &spot, "nope", "--");
	CHECK_EQ(spot.what, COMPL_NOTHING);
}

UNIT_TEST(test_options)
{
	struct compl_spot spot;
	struct got g;

	CHECK_STR(OFFER(&g, &spot, "ping", "--"),
		  "--count --quiet --mode --file --source --help");
	CHECK_EQ(spot.what, COMPL_OPTION);
	CHECK(spot.cmd == &t_ping);
	CHECK_STR(OFFER(&g, &spot, "ping", "--c"), "--count");
	CHECK_STR(OFFER(&g, &spot, "ping", "-"),
		  "--count --quiet --mode --file --source --help "
		  "-c -q -m -S -n -h");
	CHECK_STR(OFFER(&g, &spot, "pong", "--"), "--port --help");
}

UNIT_TEST(test_enum_values)
{
	struct compl_spot spot;
	struct got g;

	CHECK_STR(OFFER(&g, &spot, "ping", "--mode", ""),
		  "icmp tcp tcp-connect udp");
	CHECK_EQ(spot.what, COMPL_VALUE);
	CHECK_EQ(spot.def->id, T_MODE);
	CHECK_STR(OFFER(&g, &spot, "ping", "-m", "tc"), "tcp tcp-connect");
	/* After a flag cluster ending in -m, and in the --mode= form. */
	CHECK_STR(OFFER(&g, &spot, "ping", "-qm", "u"), "udp");
	CHECK_STR(OFFER(&g, &spot, "ping", "--mode=i"), "icmp");
	CHECK_STR(spot.prefix, "i");
	/* -m3 already holds its value: the next word is an argument. */
	OFFER(&g, &spot, "ping", "-mtcp", "");
	CHECK_EQ(spot.what, COMPL_ARG);
	/* A flag with "=" takes no value. */
	OFFER(&g, &spot, "ping", "--quiet=");
	CHECK_EQ(spot.what, COMPL_NOTHING);
}

UNIT_TEST(test_values_and_args)
{
	struct compl_spot spot;
	struct got g;

	OFFER(&g, &spot, "ping", "-c", "");
	CHECK_EQ(spot.what, COMPL_VALUE);
	CHECK_EQ(spot.kind, OPTS_INT);
	CHECK_EQ(g.n, 0);
	OFFER(&g, &spot, "ping", "-c", "3", "loc");
	CHECK_EQ(spot.what, COMPL_ARG);
	CHECK_EQ(spot.kind, OPTS_HOST);
	CHECK_STR(spot.prefix, "loc");
	OFFER(&g, &spot, "ping", "--file", "/t");
	CHECK_EQ(spot.kind, OPTS_FILE);
	OFFER(&g, &spot, "ping", "-S", "");
	CHECK_EQ(spot.kind, OPTS_HOST);
	CHECK_EQ(spot.what, COMPL_VALUE);
	/* After "--" a dash word is an argument, not an option. */
	OFFER(&g, &spot, "ping", "--", "-x");
	CHECK_EQ(spot.what, COMPL_ARG);
	OFFER(&g, &spot, "pong", "x");
	CHECK_EQ(spot.kind, OPTS_FILE);
}

UNIT_TEST(test_hosts_file)
{
	const char hosts[] = "# comment line\n"
			     "127.0.0.1\tlocalhost\n"
			     "  ::1 ip6-localhost ip6-loopback # trailing\n"
			     "192.0.2.7 lonely\n"
			     "198.51.100.1\n"
			     "#198.51.100.2 hidden\n"
			     "203.0.113.9 last";
	struct got g;

	memset(&g, 0, sizeof(g));
	CHECK_EQ(compl_hosts_parse(hosts, strlen(hosts), "", t_add, &g), 9);
	CHECK_STR(g.all, "localhost 127.0.0.1 ip6-localhost ip6-loopback ::1 "
			 "lonely 192.0.2.7 last 203.0.113.9");
	memset(&g, 0, sizeof(g));
	CHECK_EQ(compl_hosts_parse(hosts, strlen(hosts), "ip6-l", t_add, &g),
		 2);
	/* A buffer cut in the middle of a name gives only what it holds. */
	memset(&g, 0, sizeof(g));
	compl_hosts_parse(hosts, 28, "", t_add, &g);
	CHECK_STR(g.all, "loc 127.0.0.1");
	/* A field holding a NUL is no name; the address stays the first. */
	memset(&g, 0, sizeof(g));
	compl_hosts_parse("10.0.0.1 a\0b good\n", 18, "", t_add, &g);
	CHECK_STR(g.all, "good 10.0.0.1");
}

UNIT_TEST(test_hosts_in_history)
{
	struct got g;

	memset(&g, 0, sizeof(g));
	compl_hosts_in_argv(
		&t_ping, 6,
		W("ping", "-c", "3", "-S", "src.example", "dst.example"), "",
		t_add, &g);
	CHECK_STR(g.all, "src.example dst.example");
	memset(&g, 0, sizeof(g));
	compl_hosts_in_argv(&t_ping, 3, W("ping", "--mode", "tcp"), "", t_add,
			    &g);
	CHECK_EQ(g.n, 0);
	memset(&g, 0, sizeof(g));
	compl_hosts_in_argv(&t_ping, 3, W("ping", "alpha", "beta"), "b", t_add,
			    &g);
	CHECK_STR(g.all, "beta");
}

UNIT_MAIN(UNIT_CASE(test_commands), UNIT_CASE(test_options),
	  UNIT_CASE(test_enum_values), UNIT_CASE(test_values_and_args),
	  UNIT_CASE(test_hosts_file), UNIT_CASE(test_hosts_in_history))
