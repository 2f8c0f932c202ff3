/*
 * Unit tests for lib/opts: parsing, ranges, durations, suggestions, help.
 */
#include <stdio.h>
#include <string.h>

#include "opts.h"
#include "unit.h"

enum { T_COUNT = 1, T_QUIET, T_NUMERIC, T_INTERVAL, T_MODE, T_PORT,
       T_RATE, T_NAME, T_EC };

static const char *const test_modes[] = { "do", "dont", "want", NULL };

static const struct opts_def test_defs[] = {
	{ T_COUNT, 'c', "count", OPTS_INT, "COUNT", 1, 1000, NULL,
	  "stop after COUNT probes", 0 },
	{ T_QUIET, 'q', "quiet", OPTS_FLAG, NULL, 0, 0, NULL,
	  "print only the summary", 0 },
	{ T_NUMERIC, 'n', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	  "no reverse DNS", 0 },
	{ T_INTERVAL, 'i', "interval", OPTS_DURATION, "SECONDS", 0, 60, NULL,
	  "wait between probes", 0 },
	{ T_MODE, 'M', NULL, OPTS_ENUM, "MODE", 0, 0, test_modes,
	  "path MTU discovery", 0 },
	{ T_PORT, 'p', "port", OPTS_PORT, "PORT", 1, 65535, NULL,
	  "destination port", 0 },
	{ T_RATE, 0, "rate", OPTS_NUM, "PPS", 0.001, 1e6, NULL,
	  "probes per second", 0 },
	{ T_NAME, 0, "passphrase", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "shared secret", 0 },
	{ T_NAME, 0, "ec", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "same as --passphrase (nping)", OPTS_ALIAS },
};

static const struct opts_cmd test_cmd = {
	"ping", "[options] TARGET...", "Send probes", OPTS_HOST, test_defs,
	sizeof(test_defs) / sizeof(test_defs[0]),
};

struct seen {
	long long count;
	int quiet, numeric;
	double interval, rate;
	long long mode, port;
	const char *name;
	const char *args[4];
	int nargs;
	char order[32];
	size_t norder;
};

static int test_cb(void *ctx, const struct opts_def *def,
		   const struct opts_val *val, char *err, size_t errlen)
{
	struct seen *s = ctx;

	(void)err;
	(void)errlen;
	if (s->norder < sizeof(s->order) - 1)
		s->order[s->norder++] = def ? (char)('0' + def->id) : 'A';
	if (!def) {
		if (s->nargs < 4)
			s->args[s->nargs++] = val->str;
		return 0;
	}
	switch (def->id) {
	case T_COUNT: s->count = val->i; break;
	case T_QUIET: s->quiet++; break;
	case T_NUMERIC: s->numeric++; break;
	case T_INTERVAL: s->interval = val->num; break;
	case T_MODE: s->mode = val->i; break;
	case T_PORT: s->port = val->i; break;
	case T_RATE: s->rate = val->num; break;
	case T_NAME: s->name = val->str; break;
	}
	return 0;
}

static int run(struct seen *s, char *err, size_t errlen, int argc,
	       char **argv)
{
	memset(s, 0, sizeof(*s));
	return opts_parse(&test_cmd, argc, argv, test_cb, s, err, errlen);
}

#define ARGV(...) (char *[]){ "ping", __VA_ARGS__, NULL }
#define ARGC(...) ((int)(sizeof((char *[]){ "ping", __VA_ARGS__ }) / sizeof(char *)))
#define RUN(s, err, ...) run(s, err, sizeof(err), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__))

UNIT_TEST(test_short_forms)
{
	struct seen s;
	char err[256];

	CHECK_EQ(RUN(&s, err, "-c", "3", "host"), OPTS_OK);
	CHECK_EQ(s.count, 3);
	CHECK_STR(s.args[0], "host");
	CHECK_EQ(RUN(&s, err, "-c5", "-nq", "h"), OPTS_OK);
	CHECK_EQ(s.count, 5);
	CHECK_EQ(s.numeric, 1);
	CHECK_EQ(s.quiet, 1);
	/* A value glued after grouped flags. */
	CHECK_EQ(RUN(&s, err, "-nqc7", "h"), OPTS_OK);
	CHECK_EQ(s.count, 7);
	CHECK_EQ(s.quiet, 1);
}

UNIT_TEST(test_long_forms)
{
	struct seen s;
	char err[256];

	CHECK_EQ(RUN(&s, err, "--count=4", "--port", "80", "h"), OPTS_OK);
	CHECK_EQ(s.count, 4);
	CHECK_EQ(s.port, 80);
	CHECK_EQ(RUN(&s, err, "--ec", "open sesame", "h"), OPTS_OK);
	CHECK_STR(s.name, "open sesame");
	CHECK_EQ(RUN(&s, err, "--rate", "2.5", "h"), OPTS_OK);
	CHECK_NEAR(s.rate, 2.5, 1e-12);
}

UNIT_TEST(test_permutation_and_dashdash)
{
	struct seen s;
	char err[256];

	CHECK_EQ(RUN(&s, err, "a", "-q", "b", "--", "-c", "-"), OPTS_OK);
	CHECK_EQ(s.nargs, 4);
	CHECK_STR(s.args[0], "a");
	CHECK_STR(s.args[1], "b");
	CHECK_STR(s.args[2], "-c");
	CHECK_STR(s.args[3], "-");
	CHECK_EQ(s.quiet, 1);
	CHECK_STR(s.order, "A2AAA");
}

UNIT_TEST(test_ranges)
{
	struct seen s;
	char err[256];

	CHECK_EQ(RUN(&s, err, "-c", "0", "h"), OPTS_ERROR);
	CHECK_STR(err, "--count: '0' is out of range 1..1000");
	CHECK_EQ(RUN(&s, err, "-c", "1001", "h"), OPTS_ERROR);
	CHECK_EQ(RUN(&s, err, "-c", "1000", "h"), OPTS_OK);
	CHECK_EQ(RUN(&s, err, "-c", "3x", "h"), OPTS_ERROR);
	CHECK_STR(err, "--count: '3x' is not a whole number");
	CHECK_EQ(RUN(&s, err, "-c", "99999999999999999999999", "h"),
		 OPTS_ERROR);
	CHECK_EQ(RUN(&s, err, "-p", "0", "h"), OPTS_ERROR);
	CHECK_EQ(RUN(&s, err, "-p", "65536", "h"), OPTS_ERROR);
	CHECK_EQ(RUN(&s, err, "--rate", "nan", "h"), OPTS_ERROR);
	CHECK_EQ(RUN(&s, err, "--rate", "inf", "h"), OPTS_ERROR);
	CHECK_EQ(RUN(&s, err, "--rate", "0", "h"), OPTS_ERROR);
}

UNIT_TEST(test_durations)
{
	double v = -1;
	struct seen s;
	char err[256];

	CHECK_EQ(opts_parse_duration("0.2", &v), 0);
	CHECK_NEAR(v, 0.2, 1e-12);
	CHECK_EQ(opts_parse_duration("200ms", &v), 0);
	CHECK_NEAR(v, 0.2, 1e-12);
	CHECK_EQ(opts_parse_duration("15us", &v), 0);
	CHECK_NEAR(v, 15e-6, 1e-15);
	CHECK_EQ(opts_parse_duration("2m", &v), 0);
	CHECK_NEAR(v, 120, 1e-9);
	CHECK_EQ(opts_parse_duration("1h", &v), -1);
	CHECK_EQ(opts_parse_duration("-1", &v), -1);
	CHECK_EQ(opts_parse_duration("", &v), -1);
	CHECK_EQ(opts_parse_duration("0x10", &v), -1);
	CHECK_EQ(RUN(&s, err, "-i", "61", "h"), OPTS_ERROR);
	CHECK_EQ(RUN(&s, err, "-i", "abc", "h"), OPTS_ERROR);
	CHECK(strstr(err, "not a duration") != NULL);
}

UNIT_TEST(test_enum)
{
	struct seen s;
	char err[256];

	CHECK_EQ(RUN(&s, err, "-M", "want", "h"), OPTS_OK);
	CHECK_EQ(s.mode, 2);
	CHECK_EQ(RUN(&s, err, "-M", "maybe", "h"), OPTS_ERROR);
	CHECK_STR(err, "-M: 'maybe' is not one of: do, dont, want");
}

UNIT_TEST(test_unknown_and_missing)
{
	struct seen s;
	char err[256];

	CHECK_EQ(RUN(&s, err, "--cuont", "3", "h"), OPTS_ERROR);
	CHECK_STR(err, "unknown option '--cuont' (did you mean '--count'?)");
	CHECK_EQ(RUN(&s, err, "--zzzzzzzz", "h"), OPTS_ERROR);
	CHECK_STR(err, "unknown option '--zzzzzzzz'");
	CHECK_EQ(RUN(&s, err, "-Z", "h"), OPTS_ERROR);
	CHECK_STR(err, "unknown option '-Z'");
	CHECK_EQ(RUN(&s, err, "h", "-c"), OPTS_ERROR);
	CHECK_STR(err, "option '-c' needs a value (COUNT)");
	CHECK_EQ(RUN(&s, err, "h", "--count"), OPTS_ERROR);
	CHECK_STR(err, "option '--count' needs a value (COUNT)");
	CHECK_EQ(RUN(&s, err, "--quiet=1", "h"), OPTS_ERROR);
	CHECK_STR(err, "option '--quiet' takes no value");
	/* Nothing was delivered past the error. */
	CHECK_EQ(RUN(&s, err, "-c", "2", "--bogus", "-c", "9"), OPTS_ERROR);
	CHECK_EQ(s.count, 2);
}

UNIT_TEST(test_help_flag)
{
	struct seen s;
	char err[256];

	CHECK_EQ(RUN(&s, err, "h", "--help"), OPTS_HELP);
	CHECK_EQ(RUN(&s, err, "-qh"), OPTS_HELP);
}

UNIT_TEST(test_help_text)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);

	CHECK(f != NULL);
	if (!f)
		return;
	CHECK_EQ(opts_print_help(&test_cmd, "echolot ping", f), 0);
	fclose(f);
	CHECK(strstr(text, "Usage: echolot ping [options] TARGET...\n") == text);
	CHECK(strstr(text, "  -c, --count COUNT") != NULL);
	CHECK(strstr(text, "stop after COUNT probes") != NULL);
	CHECK(strstr(text, "  -M MODE") != NULL);
	CHECK(strstr(text, "(do|dont|want)") != NULL);
	CHECK(strstr(text, "      --rate PPS") != NULL);
	CHECK(strstr(text, "  -h, --help") != NULL);
	/* Aliases are listed once, after the options, under their own
	 * heading (so --help names every spelling the parser accepts). */
	CHECK(strstr(text, "\nOther spellings:\n") != NULL);
	CHECK(strstr(text, "--ec") != NULL);
	CHECK(strstr(text, "--ec") > strstr(text, "Other spellings:"));
	CHECK(strstr(text, "--ec") > strstr(text, "  -h, --help"));
	free(text);
}

UNIT_TEST(test_closest)
{
	const char *names[] = { "ping", "trace", "echo", "nep-client",
				"nep-server", "shell" };

	CHECK_STR(opts_closest("pnig", names, 6), "ping");
	CHECK_STR(opts_closest("trce", names, 6), "trace");
	CHECK_STR(opts_closest("nep-clinet", names, 6), "nep-client");
	CHECK_STR(opts_closest("sh", names, 6), "shell");
	CHECK(opts_closest("xyzzy", names, 6) == NULL);
	CHECK(opts_closest("nep", names, 6) == NULL); /* two prefixes */
}

UNIT_MAIN(UNIT_CASE(test_short_forms), UNIT_CASE(test_long_forms),
	  UNIT_CASE(test_permutation_and_dashdash), UNIT_CASE(test_ranges),
	  UNIT_CASE(test_durations), UNIT_CASE(test_enum),
	  UNIT_CASE(test_unknown_and_missing), UNIT_CASE(test_help_flag),
	  UNIT_CASE(test_help_text), UNIT_CASE(test_closest))
