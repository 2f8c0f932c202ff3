/*
 * fuzz_opts - the option parser over every subcommand's real table.
 *
 * Input: byte 0 picks the subcommand (cmd_table, modulo its length); the
 * rest is the command line, words separated by NUL bytes (argv[0] is the
 * subcommand's name). opts_parse runs with a callback that checks what the
 * parser hands over; then every word is parsed as a value of every option.
 * Invariants: an option handed over is one of the table's (or -h/--help),
 * its value lies in the option's range and is one of argv's words, enum
 * indexes name a value, positional arguments are argv words; an error
 * leaves one non-empty line in err; nothing is read past the input (ASan).
 */
#include "commands.h"
#include "opts.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FZ_MAX_WORDS 48

struct fz_ctx {
	const struct opts_cmd *oc;
	char **argv;
	int argc;
};

static int fz_is_word(const struct fz_ctx *c, const char *s)
{
	int i;

	/* "--name=value" hands over a pointer inside the word. */
	for (i = 1; i < c->argc; i++) {
		size_t len = strlen(c->argv[i]);

		if (s >= c->argv[i] && s <= c->argv[i] + len)
			return 1;
	}
	return 0;
}

static void fz_check_err(const char *err)
{
	size_t len = strnlen(err, 256);

	if (len == 0 || len == 256 || strchr(err, '\n'))
		abort();
}

static int fz_in_range(const struct opts_def *d, double v)
{
	if (d->min == 0 && d->max == 0)
		return 1;
	return v >= d->min && v <= d->max;
}

static void fz_check_val(const struct opts_def *d, const struct opts_val *v)
{
	size_t n = 0;

	switch (d->kind) {
	case OPTS_INT:
	case OPTS_PORT:
		if (!fz_in_range(d, (double)v->i))
			abort();
		if (d->kind == OPTS_PORT && (v->i < 0 || v->i > 65535))
			abort();
		break;
	case OPTS_NUM:
	case OPTS_DURATION:
		if (!isfinite(v->num) || !fz_in_range(d, v->num))
			abort();
		if (d->kind == OPTS_DURATION && v->num < 0)
			abort();
		break;
	case OPTS_ENUM:
		while (d->values && d->values[n])
			n++;
		if (v->i < 0 || (size_t)v->i >= n)
			abort();
		break;
	default:
		break;
	}
}

static int fz_cb(void *ctx, const struct opts_def *def,
		 const struct opts_val *val, char *err, size_t errlen)
{
	const struct fz_ctx *c = ctx;

	(void)err;
	(void)errlen;
	if (!def) {
		if (!val->str || !fz_is_word(c, val->str))
			abort();
		return 0;
	}
	if (def != opts_help_option() &&
	    (def < c->oc->defs || def >= c->oc->defs + c->oc->ndefs))
		abort();
	if (def->kind != OPTS_FLAG && (!val->str || !fz_is_word(c, val->str)))
		abort();
	fz_check_val(def, val);
	return 0;
}

static size_t fz_ncmds(void)
{
	size_t n = 0;

	while (cmd_table[n].name)
		n++;
	return n;
}

/* Every word as a value of every option of the table. */
static void fz_values(const struct opts_cmd *oc, char **argv, int argc)
{
	char err[256];
	struct opts_val val;
	double secs;
	size_t i;
	int w;

	for (w = 1; w < argc; w++) {
		for (i = 0; i < oc->ndefs; i++) {
			err[0] = '\0';
			if (opts_parse_value(&oc->defs[i], argv[w], &val, err,
					     sizeof(err)) < 0)
				fz_check_err(err);
			else
				fz_check_val(&oc->defs[i], &val);
		}
		if (opts_parse_duration(argv[w], &secs) == 0 &&
		    (!isfinite(secs) || secs < 0))
			abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *argv[FZ_MAX_WORDS + 1];
	char err[256];
	struct fz_ctx c;
	char *buf;
	size_t i, start;
	int argc = 1, r;

	if (size < 1)
		return 0;
	c.oc = cmd_table[data[0] % fz_ncmds()].opts;
	/* One copy with a final NUL, so every word is a C string. */
	buf = malloc(size);
	if (!buf)
		return 0;
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	argv[0] = (char *)c.oc->name;
	for (start = 0, i = 0; i < size && argc < FZ_MAX_WORDS; i++) {
		if (buf[i] == '\0') {
			argv[argc++] = buf + start;
			start = i + 1;
			if (start >= size)
				break;
		}
	}
	argv[argc] = NULL;
	c.argv = argv;
	c.argc = argc;
	err[0] = '\0';
	r = opts_parse(c.oc, argc, argv, fz_cb, &c, err, sizeof(err));
	if (r == OPTS_ERROR)
		fz_check_err(err);
	else if (r != OPTS_OK && r != OPTS_HELP)
		abort();
	fz_values(c.oc, argv, argc);
	free(buf);
	return 0;
}
