/*
 * opts - declarative option tables.
 *
 * Every subcommand describes its options once, in a table of struct
 * opts_def. The parser, --help, the interactive shell's completion, the
 * completion files and the man pages' OPTIONS sections all come from (or are
 * checked against) these tables, so they cannot drift apart.
 */
#ifndef ECHOLOT_OPTS_H
#define ECHOLOT_OPTS_H

#include <stddef.h>
#include <stdio.h>

enum opts_kind {
	OPTS_FLAG,     /* no value */
	OPTS_INT,      /* integer in [min, max] */
	OPTS_NUM,      /* decimal number in [min, max] */
	OPTS_DURATION, /* seconds; decimals and a unit suffix (us, ms, s, m) */
	OPTS_STRING,   /* free text */
	OPTS_HOST,     /* host name or address */
	OPTS_PORT,     /* port number, 0..65535 narrowed by [min, max] */
	OPTS_FILE,     /* path name */
	OPTS_IFACE,    /* interface name or local address */
	OPTS_ENUM,     /* one of values[] */
	OPTS_USER,     /* user name */
};

/* opts_def.flags */
#define OPTS_REPEAT 0x1 /* may be given more than once */
#define OPTS_ALIAS 0x2  /* another spelling of the entry with the same id */

struct opts_def {
	int id;                    /* > 0, handed to the callback */
	char short_name;           /* 0 when there is none */
	const char *long_name;     /* NULL when there is none */
	enum opts_kind kind;
	const char *metavar;       /* value name in --help: COUNT, PORT, ... */
	double min, max;           /* numeric kinds; both 0 means no range */
	const char *const *values; /* OPTS_ENUM: NULL-terminated */
	const char *help;          /* one line, no final period */
	unsigned flags;
};

struct opts_cmd {
	const char *name;          /* subcommand: "ping" */
	const char *usage;         /* after the name: "[options] TARGET..." */
	const char *summary;       /* one line for `echolot --help` */
	enum opts_kind arg_kind;   /* what positional arguments are */
	const struct opts_def *defs;
	size_t ndefs;
};

struct opts_val {
	const char *str; /* the value as given; NULL for flags */
	long long i;     /* OPTS_INT, OPTS_PORT; index for OPTS_ENUM */
	double num;      /* OPTS_NUM; seconds for OPTS_DURATION */
};

/*
 * Called for every option (def != NULL) and every positional argument
 * (def == NULL, val->str is the argument) in command-line order. Return 0,
 * or -1 after writing a message into err (for checks that only the
 * subcommand knows).
 */
typedef int (*opts_fn)(void *ctx, const struct opts_def *def,
		       const struct opts_val *val, char *err, size_t errlen);

enum opts_result {
	OPTS_OK = 0,
	OPTS_HELP = 1, /* -h/--help was given: print help, exit 0 */
	OPTS_ERROR = -1,
};

/*
 * Parses argv[1..argc-1] (argv[0] is the program or subcommand name).
 * GNU style: "-c 3", "-c3", "-nq", "--count 3", "--count=3", options after
 * positional arguments, "--" ends options. On error fills err with one line
 * that names the problem (and the closest valid option, when there is one).
 */
int opts_parse(const struct opts_cmd *cmd, int argc, char **argv, opts_fn fn,
	       void *ctx, char *err, size_t errlen);

/* Parses one value for def as the parser would; 0 or -1 with err set. */
int opts_parse_value(const struct opts_def *def, const char *text,
		     struct opts_val *val, char *err, size_t errlen);

/* Parses "1.5", "200ms", "10us", "2s", "1m" into seconds; 0 or -1. */
int opts_parse_duration(const char *text, double *seconds);

/* Writes the --help text of cmd. prog is "echolot ping" or "echolot-ping". */
int opts_print_help(const struct opts_cmd *cmd, const char *prog, FILE *out);

/*
 * The candidate closest to word (edit distance, or a unique prefix), or
 * NULL when none is close enough to be a likely typo.
 */
const char *opts_closest(const char *word, const char *const *cands,
			 size_t ncands);

/* The -h/--help option every table gets from the parser, for the
 * documents generated from the tables (completions, man pages). */
const struct opts_def *opts_help_option(void);

/* Human name of a kind ("integer", "duration", ...), for docs and errors. */
const char *opts_kind_name(enum opts_kind kind);

#endif
