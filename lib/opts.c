/*
 * opts - declarative option tables: the parser, --help and suggestions.
 */
#include "opts.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static const struct opts_def opts_help_def = {
	.id = -1,
	.short_name = 'h',
	.long_name = "help",
	.kind = OPTS_FLAG,
	.help = "show this help and exit",
};

static void opts_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void opts_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	/* The message quotes what the user typed: a newline or escape in an
	 * argument must not split the one-line error or reach the terminal
	 * raw (found by fuzz_opts). */
	for (; *err; err++)
		if ((unsigned char)*err < 0x20 || *err == 0x7f)
			*err = '?';
}

const struct opts_def *opts_help_option(void)
{
	return &opts_help_def;
}

const char *opts_kind_name(enum opts_kind kind)
{
	switch (kind) {
	case OPTS_FLAG:
		return "flag";
	case OPTS_INT:
		return "integer";
	case OPTS_NUM:
		return "number";
	case OPTS_DURATION:
		return "duration";
	case OPTS_STRING:
		return "string";
	case OPTS_HOST:
		return "host";
	case OPTS_PORT:
		return "port";
	case OPTS_FILE:
		return "file";
	case OPTS_IFACE:
		return "interface";
	case OPTS_ENUM:
		return "choice";
	case OPTS_USER:
		return "user";
	}
	return "value";
}

/* "-c" or "--count" as the user would type it, for messages. */
static const char *opts_display(const struct opts_def *def, char *buf,
				size_t len)
{
	if (def->long_name)
		snprintf(buf, len, "--%s", def->long_name);
	else
		snprintf(buf, len, "-%c", def->short_name);
	return buf;
}

static bool opts_has_range(const struct opts_def *def)
{
	return def->min != 0 || def->max != 0;
}

static int opts_check_range(const struct opts_def *def, double v,
			    const char *text, char *err, size_t errlen)
{
	char name[64];

	if (!opts_has_range(def) || (v >= def->min && v <= def->max))
		return 0;
	opts_errf(err, errlen, "%s: '%s' is out of range %.10g..%.10g",
		  opts_display(def, name, sizeof(name)), text, def->min,
		  def->max);
	return -1;
}

static int opts_parse_int(const struct opts_def *def, const char *text,
			  struct opts_val *val, char *err, size_t errlen)
{
	char name[64];
	char *end;
	long long v;

	errno = 0;
	v = strtoll(text, &end, 0);
	if (end == text || *end != '\0' || errno == ERANGE) {
		opts_errf(err, errlen, "%s: '%s' is not a whole number",
			  opts_display(def, name, sizeof(name)), text);
		return -1;
	}
	if (opts_check_range(def, (double)v, text, err, errlen) < 0)
		return -1;
	val->i = v;
	val->num = (double)v;
	return 0;
}

static int opts_parse_num(const struct opts_def *def, const char *text,
			  struct opts_val *val, char *err, size_t errlen)
{
	char name[64];
	char *end;
	double v;

	errno = 0;
	v = strtod(text, &end);
	if (end == text || *end != '\0' || errno == ERANGE || !isfinite(v)) {
		opts_errf(err, errlen, "%s: '%s' is not a number",
			  opts_display(def, name, sizeof(name)), text);
		return -1;
	}
	if (opts_check_range(def, v, text, err, errlen) < 0)
		return -1;
	val->num = v;
	val->i = (long long)v;
	return 0;
}

int opts_parse_duration(const char *text, double *seconds)
{
	static const struct {
		const char *suffix;
		double scale;
	} units[] = {
		{ "", 1.0 },	  { "s", 1.0 },	   { "ms", 1e-3 },
		{ "us", 1e-6 }, { "ns", 1e-9 }, { "m", 60.0 },
	};
	char *end;
	double v;
	size_t i;

	if (!text || !*text)
		return -1;
	errno = 0;
	v = strtod(text, &end);
	if (end == text || errno == ERANGE || !isfinite(v) || v < 0)
		return -1;
	/* Hex floats and exponents are legal for strtod but not durations. */
	if (strpbrk(text, "xXpP"))
		return -1;
	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(end, units[i].suffix) == 0) {
			*seconds = v * units[i].scale;
			return 0;
		}
	}
	return -1;
}

static int opts_parse_dur(const struct opts_def *def, const char *text,
			  struct opts_val *val, char *err, size_t errlen)
{
	char name[64];
	double v;

	if (opts_parse_duration(text, &v) < 0) {
		opts_errf(err, errlen,
			  "%s: '%s' is not a duration (seconds, or with a "
			  "unit: 200ms, 1.5s)",
			  opts_display(def, name, sizeof(name)), text);
		return -1;
	}
	if (opts_check_range(def, v, text, err, errlen) < 0)
		return -1;
	val->num = v;
	val->i = (long long)v;
	return 0;
}

static int opts_parse_port(const struct opts_def *def, const char *text,
			   struct opts_val *val, char *err, size_t errlen)
{
	struct opts_def ranged = *def;

	if (!opts_has_range(def)) {
		ranged.min = 0;
		ranged.max = 65535;
	}
	return opts_parse_int(&ranged, text, val, err, errlen);
}

static int opts_parse_enum(const struct opts_def *def, const char *text,
			   struct opts_val *val, char *err, size_t errlen)
{
	char name[64], list[256];
	size_t i, used = 0;

	for (i = 0; def->values && def->values[i]; i++) {
		if (strcmp(def->values[i], text) == 0) {
			val->i = (long long)i;
			return 0;
		}
	}
	list[0] = '\0';
	for (i = 0; def->values && def->values[i]; i++) {
		int n = snprintf(list + used, sizeof(list) - used, "%s%s",
				 i ? ", " : "", def->values[i]);
		if (n < 0 || (size_t)n >= sizeof(list) - used)
			break;
		used += (size_t)n;
	}
	opts_errf(err, errlen, "%s: '%s' is not one of: %s",
		  opts_display(def, name, sizeof(name)), text, list);
	return -1;
}

int opts_parse_value(const struct opts_def *def, const char *text,
		     struct opts_val *val, char *err, size_t errlen)
{
	char name[64];

	memset(val, 0, sizeof(*val));
	val->str = text;
	switch (def->kind) {
	case OPTS_FLAG:
		return 0;
	case OPTS_INT:
		return opts_parse_int(def, text, val, err, errlen);
	case OPTS_NUM:
		return opts_parse_num(def, text, val, err, errlen);
	case OPTS_DURATION:
		return opts_parse_dur(def, text, val, err, errlen);
	case OPTS_PORT:
		return opts_parse_port(def, text, val, err, errlen);
	case OPTS_ENUM:
		return opts_parse_enum(def, text, val, err, errlen);
	case OPTS_STRING:
	case OPTS_HOST:
	case OPTS_FILE:
	case OPTS_IFACE:
	case OPTS_USER:
		if (*text == '\0' && def->kind != OPTS_STRING) {
			opts_errf(err, errlen, "%s: the value is empty",
				  opts_display(def, name, sizeof(name)));
			return -1;
		}
		return 0;
	}
	return -1;
}

static const struct opts_def *opts_find_long(const struct opts_cmd *cmd,
					     const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cmd->ndefs; i++) {
		const char *ln = cmd->defs[i].long_name;

		if (ln && strlen(ln) == len && strncmp(ln, name, len) == 0)
			return &cmd->defs[i];
	}
	if (strlen(opts_help_def.long_name) == len &&
	    strncmp(name, opts_help_def.long_name, len) == 0)
		return &opts_help_def;
	return NULL;
}

static const struct opts_def *opts_find_short(const struct opts_cmd *cmd,
					      char c)
{
	size_t i;

	for (i = 0; i < cmd->ndefs; i++)
		if (cmd->defs[i].short_name == c)
			return &cmd->defs[i];
	if (c == opts_help_def.short_name)
		return &opts_help_def;
	return NULL;
}

/* Edit distance counting a swap of neighbours as one edit ("pnig" is one
 * typo away from "ping"): optimal string alignment. Names are short. */
static size_t opts_distance(const char *a, const char *b)
{
	unsigned char d[64][64];
	size_t la = strlen(a), lb = strlen(b), i, j;

	if (la >= 64 || lb >= 64)
		return (size_t)-1;
	for (i = 0; i <= la; i++)
		d[i][0] = (unsigned char)i;
	for (j = 0; j <= lb; j++)
		d[0][j] = (unsigned char)j;
	for (i = 1; i <= la; i++) {
		for (j = 1; j <= lb; j++) {
			unsigned best = d[i - 1][j - 1] +
					(a[i - 1] == b[j - 1] ? 0u : 1u);

			if (d[i - 1][j] + 1u < best)
				best = d[i - 1][j] + 1u;
			if (d[i][j - 1] + 1u < best)
				best = d[i][j - 1] + 1u;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] &&
			    a[i - 2] == b[j - 1] && d[i - 2][j - 2] + 1u < best)
				best = d[i - 2][j - 2] + 1u;
			d[i][j] = (unsigned char)best;
		}
	}
	return d[la][lb];
}

const char *opts_closest(const char *word, const char *const *cands,
			 size_t ncands)
{
	const char *best = NULL, *prefix = NULL;
	size_t best_d = (size_t)-1, i, nprefix = 0;
	size_t wl = strlen(word);
	size_t limit = wl <= 4 ? 1 : wl <= 8 ? 2 : 3;

	for (i = 0; i < ncands; i++) {
		size_t d;

		if (!cands[i])
			continue;
		if (wl > 0 && strncmp(cands[i], word, wl) == 0) {
			prefix = cands[i];
			nprefix++;
		}
		d = opts_distance(word, cands[i]);
		if (d < best_d) {
			best_d = d;
			best = cands[i];
		}
	}
	if (best && best_d <= limit)
		return best;
	return nprefix == 1 ? prefix : NULL;
}

/* The closest long option to a mistyped "--name", or NULL. */
static const char *opts_suggest_long(const struct opts_cmd *cmd,
				     const char *name, size_t len)
{
	const char *cands[128];
	char word[64];
	size_t i, n = 0;

	if (len >= sizeof(word))
		return NULL;
	memcpy(word, name, len);
	word[len] = '\0';
	for (i = 0; i < cmd->ndefs && n < 127; i++)
		if (cmd->defs[i].long_name)
			cands[n++] = cmd->defs[i].long_name;
	cands[n++] = opts_help_def.long_name;
	return opts_closest(word, cands, n);
}

struct opts_state {
	const struct opts_cmd *cmd;
	int argc;
	char **argv;
	int i; /* index of the word being parsed */
	opts_fn fn;
	void *ctx;
	char *err;
	size_t errlen;
	bool help;
};

static int opts_deliver(struct opts_state *st, const struct opts_def *def,
			const char *text)
{
	struct opts_val val;

	if (def == &opts_help_def) {
		st->help = true;
		return 0;
	}
	if (opts_parse_value(def, text, &val, st->err, st->errlen) < 0)
		return -1;
	return st->fn(st->ctx, def, &val, st->err, st->errlen);
}

static int opts_long(struct opts_state *st, const char *word)
{
	const char *name = word + 2;
	const char *eq = strchr(name, '=');
	size_t len = eq ? (size_t)(eq - name) : strlen(name);
	const struct opts_def *def = opts_find_long(st->cmd, name, len);
	const char *value = eq ? eq + 1 : NULL;

	if (!def) {
		const char *hint = opts_suggest_long(st->cmd, name, len);

		if (hint)
			opts_errf(st->err, st->errlen,
				  "unknown option '--%.*s' (did you mean "
				  "'--%s'?)",
				  (int)len, name, hint);
		else
			opts_errf(st->err, st->errlen,
				  "unknown option '--%.*s'", (int)len, name);
		return -1;
	}
	if (def->kind == OPTS_FLAG) {
		if (value) {
			opts_errf(st->err, st->errlen,
				  "option '--%s' takes no value",
				  def->long_name);
			return -1;
		}
		return opts_deliver(st, def, NULL);
	}
	if (!value) {
		if (st->i + 1 >= st->argc) {
			opts_errf(st->err, st->errlen,
				  "option '--%s' needs a value (%s)",
				  def->long_name,
				  def->metavar ? def->metavar : "VALUE");
			return -1;
		}
		value = st->argv[++st->i];
	}
	return opts_deliver(st, def, value);
}

static int opts_short(struct opts_state *st, const char *word)
{
	const char *p;

	for (p = word + 1; *p; p++) {
		const struct opts_def *def = opts_find_short(st->cmd, *p);
		const char *value;

		if (!def) {
			opts_errf(st->err, st->errlen, "unknown option '-%c'",
				  *p);
			return -1;
		}
		if (def->kind == OPTS_FLAG) {
			if (opts_deliver(st, def, NULL) < 0)
				return -1;
			continue;
		}
		/* The rest of the word is the value ("-c3"), else the next. */
		if (p[1]) {
			value = p + 1;
		} else if (st->i + 1 < st->argc) {
			value = st->argv[++st->i];
		} else {
			opts_errf(st->err, st->errlen,
				  "option '-%c' needs a value (%s)", *p,
				  def->metavar ? def->metavar : "VALUE");
			return -1;
		}
		return opts_deliver(st, def, value);
	}
	return 0;
}

int opts_parse(const struct opts_cmd *cmd, int argc, char **argv, opts_fn fn,
	       void *ctx, char *err, size_t errlen)
{
	struct opts_state st = {
		.cmd = cmd, .argc = argc, .argv = argv, .fn = fn,
		.ctx = ctx, .err = err, .errlen = errlen,
	};
	bool only_args = false;

	if (err && errlen)
		err[0] = '\0';
	for (st.i = 1; st.i < argc; st.i++) {
		const char *word = argv[st.i];
		int rc;

		if (only_args || word[0] != '-' || word[1] == '\0') {
			struct opts_val val = { .str = word };

			rc = fn(ctx, NULL, &val, err, errlen);
		} else if (strcmp(word, "--") == 0) {
			only_args = true;
			rc = 0;
		} else if (word[1] == '-') {
			rc = opts_long(&st, word);
		} else {
			rc = opts_short(&st, word);
		}
		if (rc < 0)
			return OPTS_ERROR;
		if (st.help)
			return OPTS_HELP;
	}
	return OPTS_OK;
}

/* "-c, --count=COUNT" as shown in the help's left column. */
static void opts_left_column(const struct opts_def *def, char *buf,
			     size_t len)
{
	const char *mv = def->metavar ? def->metavar : "VALUE";
	bool val = def->kind != OPTS_FLAG;

	if (def->short_name && def->long_name)
		snprintf(buf, len, "-%c, --%s%s%s", def->short_name,
			 def->long_name, val ? " " : "", val ? mv : "");
	else if (def->short_name)
		snprintf(buf, len, "-%c%s%s", def->short_name, val ? " " : "",
			 val ? mv : "");
	else
		snprintf(buf, len, "    --%s%s%s", def->long_name,
			 val ? " " : "", val ? mv : "");
}

static int opts_print_def(const struct opts_def *def, FILE *out)
{
	char left[96], extra[160] = "";

	opts_left_column(def, left, sizeof(left));
	if (def->kind == OPTS_ENUM && def->values) {
		size_t i, used = 0;

		for (i = 0; def->values[i]; i++) {
			int n = snprintf(extra + used, sizeof(extra) - used,
					 "%s%s", i ? "|" : " (",
					 def->values[i]);
			if (n < 0 || (size_t)n >= sizeof(extra) - used)
				break;
			used += (size_t)n;
		}
		if (used + 2 < sizeof(extra))
			strcat(extra, ")");
	}
	if (strlen(left) <= 26)
		return fprintf(out, "  %-26s %s%s\n", left, def->help, extra);
	return fprintf(out, "  %s\n  %-26s %s%s\n", left, "", def->help,
		       extra);
}

/* Other spellings (nping's --ec for --passphrase ...) come last, apart from
 * the options they stand for, so the list stays readable yet complete. */
static int opts_print_aliases(const struct opts_cmd *cmd, FILE *out)
{
	bool header = false;
	size_t i;

	for (i = 0; i < cmd->ndefs; i++) {
		if (!(cmd->defs[i].flags & OPTS_ALIAS))
			continue;
		if (!header && fprintf(out, "\nOther spellings:\n") < 0)
			return -1;
		header = true;
		if (opts_print_def(&cmd->defs[i], out) < 0)
			return -1;
	}
	return 0;
}

int opts_print_help(const struct opts_cmd *cmd, const char *prog, FILE *out)
{
	size_t i;

	if (fprintf(out, "Usage: %s %s\n%s.\n\nOptions:\n", prog, cmd->usage,
		    cmd->summary) < 0)
		return -1;
	for (i = 0; i < cmd->ndefs; i++) {
		if (cmd->defs[i].flags & OPTS_ALIAS)
			continue;
		if (opts_print_def(&cmd->defs[i], out) < 0)
			return -1;
	}
	if (opts_print_def(&opts_help_def, out) < 0)
		return -1;
	if (opts_print_aliases(cmd, out) < 0)
		return -1;
	return fflush(out) == 0 ? 0 : -1;
}
