/*
 * fuzz_shellline - the shell's input parsers: lib/words splits the line,
 * lib/complete classifies its last word against an option table and lists
 * candidates, and reads the same bytes as an /etc/hosts file and as a
 * history line. Invariants: never past the input (ASan), words and
 * candidates hold no more than the input had, every candidate starts with
 * the prefix being completed, host names hold no blank.
 */
#include "complete.h"
#include "words.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const fz_modes[] = {"icmp", "tcp", "udp", NULL};

static const struct opts_def fz_defs[] = {
	{1, 'c', "count", OPTS_INT, "N", 1, 100, NULL, "count", 0},
	{2, 'q', "quiet", OPTS_FLAG, NULL, 0, 0, NULL, "quiet", 0},
	{3, 'm', "mode", OPTS_ENUM, "M", 0, 0, fz_modes, "mode", 0},
	{4, 'S', "source", OPTS_HOST, "H", 0, 0, NULL, "source", 0},
	{5, 0, "file", OPTS_FILE, "F", 0, 0, NULL, "file", 0},
	{6, 'i', "interval", OPTS_DURATION, "T", 0, 60, NULL, "wait", 0},
};

static const struct opts_cmd fz_cmd = {
	"ping",	   "[options] HOST", "probe",
	OPTS_HOST, fz_defs,	     sizeof(fz_defs) / sizeof(fz_defs[0]),
};

static const struct opts_cmd *const fz_cmds[] = {&fz_cmd};

struct fz_check {
	const char *prefix;
	size_t limit; /* no candidate may be longer */
	int hosts;    /* host names: no blanks */
};

static void fz_add(void *ctx, const char *cand)
{
	const struct fz_check *c = ctx;
	size_t len = strlen(cand);

	if (len > c->limit)
		abort();
	if (strncmp(cand, c->prefix, strlen(c->prefix)) != 0)
		abort();
	if (c->hosts && (len == 0 || strpbrk(cand, " \t\r\n#")))
		abort();
}

static void fz_complete(struct words *w, size_t size)
{
	struct compl_spot spot;
	struct fz_check c = {"", size + 80, 0};
	const char *last = w->argv[w->argc - 1];

	compl_locate(fz_cmds, 1, w->argv, w->argc, &spot);
	if (!spot.prefix || spot.prefix < last ||
	    spot.prefix > last + strlen(last))
		abort();
	c.prefix = spot.prefix;
	compl_candidates(fz_cmds, 1, NULL, &spot, fz_add, &c);
	if (strcmp(w->argv[0], "ping") == 0) {
		c.prefix = "";
		c.limit = size;
		compl_hosts_in_argv(&fz_cmd, w->argc, w->argv, "", fz_add, &c);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so a read past the end is caught. */
	char *buf = malloc(size ? size : 1);
	struct fz_check hosts = {"", 255, 1};
	struct words w;
	int i, rc;

	if (!buf)
		return 0;
	memcpy(buf, data, size);
	rc = words_split(buf, size, &w);
	if (rc != WORDS_NOMEM) {
		if ((size_t)w.argc > size / 2 + 1 || w.argv[w.argc] != NULL)
			abort();
		for (i = 0; i < w.argc; i++)
			if (strlen(w.argv[i]) > size)
				abort();
		if (w.argc > 0)
			fz_complete(&w, size);
		words_free(&w);
	}
	compl_hosts_parse(buf, size, "", fz_add, &hosts);
	free(buf);
	return 0;
}
