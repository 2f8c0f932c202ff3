/*
 * complete - command-line completion from the option tables.
 */
#include "complete.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

const struct opts_cmd *compl_find_cmd(const struct opts_cmd *const *cmds,
				      size_t ncmds, const char *name)
{
	size_t i;

	for (i = 0; i < ncmds; i++)
		if (cmds[i] && strcmp(cmds[i]->name, name) == 0)
			return cmds[i];
	return NULL;
}

static const struct opts_def *compl_long(const struct opts_cmd *cmd,
					 const char *name, size_t len)
{
	size_t i;

	for (i = 0; i < cmd->ndefs; i++) {
		const char *ln = cmd->defs[i].long_name;

		if (ln && strlen(ln) == len && strncmp(ln, name, len) == 0)
			return &cmd->defs[i];
	}
	return NULL;
}

static const struct opts_def *compl_short(const struct opts_cmd *cmd, char c)
{
	size_t i;

	for (i = 0; i < cmd->ndefs; i++)
		if (cmd->defs[i].short_name == c)
			return &cmd->defs[i];
	return NULL;
}

static bool compl_takes_value(const struct opts_def *def)
{
	return def && def->kind != OPTS_FLAG;
}

/* The option in a finished word that still waits for its value in the next
 * word ("-c", "--count", "-nc"), or NULL ("-c3", "--count=3", flags). */
static const struct opts_def *compl_pending(const struct opts_cmd *cmd,
					    const char *w)
{
	const struct opts_def *def;
	const char *p;

	if (w[1] == '-') {
		if (strchr(w, '='))
			return NULL;
		def = compl_long(cmd, w + 2, strlen(w + 2));
		return compl_takes_value(def) ? def : NULL;
	}
	/* Short options cluster; the first one that takes a value eats the
	 * rest of the word, or the next word when it ends the word. */
	for (p = w + 1; *p; p++) {
		def = compl_short(cmd, *p);
		if (compl_takes_value(def))
			return p[1] ? NULL : def;
	}
	return NULL;
}

static void compl_spot_cur(const struct opts_cmd *cmd, const char *cur,
			   bool only_args, const struct opts_def *pending,
			   struct compl_spot *spot)
{
	const char *eq;

	spot->prefix = cur;
	if (pending) {
		spot->what = COMPL_VALUE;
		spot->def = pending;
		spot->kind = pending->kind;
		return;
	}
	if (only_args || cur[0] != '-') {
		spot->what = COMPL_ARG;
		spot->kind = cmd->arg_kind;
		return;
	}
	eq = strchr(cur, '=');
	if (cur[1] == '-' && eq) {
		const struct opts_def *def =
			compl_long(cmd, cur + 2, (size_t)(eq - cur - 2));

		if (!compl_takes_value(def)) {
			spot->what = COMPL_NOTHING;
			return;
		}
		spot->what = COMPL_VALUE;
		spot->def = def;
		spot->kind = def->kind;
		spot->prefix = eq + 1;
		return;
	}
	spot->what = COMPL_OPTION;
}

void compl_locate(const struct opts_cmd *const *cmds, size_t ncmds,
		  char *const *words, int nwords, struct compl_spot *spot)
{
	const struct opts_def *pending = NULL;
	const struct opts_cmd *cmd;
	bool only_args = false;
	int i;

	memset(spot, 0, sizeof(*spot));
	spot->prefix = nwords > 0 ? words[nwords - 1] : "";
	if (nwords <= 1) {
		spot->what = COMPL_COMMAND;
		return;
	}
	cmd = compl_find_cmd(cmds, ncmds, words[0]);
	if (!cmd) {
		spot->what = COMPL_NOTHING;
		return;
	}
	spot->cmd = cmd;
	for (i = 1; i < nwords - 1; i++) {
		const char *w = words[i];

		if (pending) {
			pending = NULL;
		} else if (only_args || w[0] != '-' || w[1] == '\0') {
			continue;
		} else if (strcmp(w, "--") == 0) {
			only_args = true;
		} else {
			pending = compl_pending(cmd, w);
		}
	}
	compl_spot_cur(cmd, words[nwords - 1], only_args, pending, spot);
}

static size_t compl_offer(const char *cand, const char *prefix,
			  compl_add_fn add, void *ctx)
{
	if (strncmp(cand, prefix, strlen(prefix)) != 0)
		return 0;
	add(ctx, cand);
	return 1;
}

static size_t compl_commands(const struct opts_cmd *const *cmds, size_t ncmds,
			     const char *const *extra, const char *prefix,
			     compl_add_fn add, void *ctx)
{
	size_t i, n = 0;

	for (i = 0; i < ncmds; i++)
		if (cmds[i])
			n += compl_offer(cmds[i]->name, prefix, add, ctx);
	for (i = 0; extra && extra[i]; i++)
		n += compl_offer(extra[i], prefix, add, ctx);
	return n;
}

/* Long options first (what "--<TAB>" shows), then the short ones; -h and
 * --help are the parser's own and in no table. */
static size_t compl_options(const struct opts_cmd *cmd, const char *prefix,
			    compl_add_fn add, void *ctx)
{
	char buf[80];
	size_t i, n = 0;

	for (i = 0; i < cmd->ndefs; i++) {
		if (!cmd->defs[i].long_name)
			continue;
		snprintf(buf, sizeof(buf), "--%s", cmd->defs[i].long_name);
		n += compl_offer(buf, prefix, add, ctx);
	}
	if (!compl_long(cmd, "help", 4))
		n += compl_offer("--help", prefix, add, ctx);
	for (i = 0; i < cmd->ndefs; i++) {
		if (!cmd->defs[i].short_name)
			continue;
		snprintf(buf, sizeof(buf), "-%c", cmd->defs[i].short_name);
		n += compl_offer(buf, prefix, add, ctx);
	}
	if (!compl_short(cmd, 'h'))
		n += compl_offer("-h", prefix, add, ctx);
	return n;
}

size_t compl_candidates(const struct opts_cmd *const *cmds, size_t ncmds,
			const char *const *extra, const struct compl_spot *spot,
			compl_add_fn add, void *ctx)
{
	size_t i, n = 0;

	switch (spot->what) {
	case COMPL_COMMAND:
		return compl_commands(cmds, ncmds, extra, spot->prefix, add,
				      ctx);
	case COMPL_OPTION:
		return compl_options(spot->cmd, spot->prefix, add, ctx);
	case COMPL_VALUE:
		if (spot->kind != OPTS_ENUM || !spot->def->values)
			return 0;
		for (i = 0; spot->def->values[i]; i++)
			n += compl_offer(spot->def->values[i], spot->prefix,
					 add, ctx);
		return n;
	case COMPL_ARG:
	case COMPL_NOTHING:
		break;
	}
	return 0;
}

static bool compl_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

/* One /etc/hosts line: "ADDRESS NAME [ALIAS...]", '#' to the end is a
 * comment. A line without a name is not an entry. */
static size_t compl_hosts_line(const char *line, size_t len, const char *prefix,
			       compl_add_fn add, void *ctx)
{
	char field[256];
	size_t i = 0, n = 0, nfields = 0;
	size_t first_start = 0, first_len = 0;

	for (;;) {
		size_t start;

		while (i < len && compl_is_space(line[i]))
			i++;
		if (i >= len || line[i] == '#')
			break;
		start = i;
		while (i < len && !compl_is_space(line[i]) && line[i] != '#')
			i++;
		/* No host name is that long or holds a NUL: skip it (the
		 * field still counts, so the address stays the first). */
		if (i - start >= sizeof(field) ||
		    memchr(line + start, '\0', i - start)) {
			nfields++;
			continue;
		}
		if (nfields++ == 0) {
			first_start = start;
			first_len = i - start;
			continue;
		}
		memcpy(field, line + start, i - start);
		field[i - start] = '\0';
		n += compl_offer(field, prefix, add, ctx);
	}
	if (nfields >= 2 && first_len > 0) {
		memcpy(field, line + first_start, first_len);
		field[first_len] = '\0';
		n += compl_offer(field, prefix, add, ctx);
	}
	return n;
}

size_t compl_hosts_parse(const char *buf, size_t len, const char *prefix,
			 compl_add_fn add, void *ctx)
{
	size_t start = 0, n = 0;

	while (start < len) {
		const char *nl = memchr(buf + start, '\n', len - start);
		size_t end = nl ? (size_t)(nl - buf) : len;

		n += compl_hosts_line(buf + start, end - start, prefix, add,
				      ctx);
		start = end + 1;
	}
	return n;
}

struct compl_hist {
	const struct opts_cmd *cmd;
	const char *prefix;
	compl_add_fn add;
	void *ctx;
	size_t n;
};

static int compl_hist_cb(void *ctx, const struct opts_def *def,
			 const struct opts_val *val, char *err, size_t errlen)
{
	struct compl_hist *h = ctx;
	enum opts_kind kind = def ? def->kind : h->cmd->arg_kind;

	(void)err;
	(void)errlen;
	if (kind == OPTS_HOST && val->str && val->str[0])
		h->n += compl_offer(val->str, h->prefix, h->add, h->ctx);
	return 0;
}

size_t compl_hosts_in_argv(const struct opts_cmd *cmd, int argc, char **argv,
			   const char *prefix, compl_add_fn add, void *ctx)
{
	struct compl_hist h = {cmd, prefix, add, ctx, 0};

	/* A line that does not parse still gave its earlier words. */
	(void)opts_parse(cmd, argc, argv, compl_hist_cb, &h, NULL, 0);
	return h.n;
}
