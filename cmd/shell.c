/*
 * shell - `echolot shell`: a readline prompt that runs echolot's commands.
 *
 * Every command runs in a child process through the same cmd_table entry
 * (and privilege rule) as on the command line, so a crash, an exit() or a
 * Ctrl-C ends the command, never the shell. Completion comes from the same
 * option tables as the parser (lib/complete).
 *
 * Ctrl-C at the prompt: the terminal's ISIG is cleared while readline reads,
 * so Ctrl-C arrives as a key and cancels the line, and no signal handler
 * (nor the global flag one would need) is involved. While a command runs,
 * the terminal is back in its normal mode: SIGINT goes to the foreground
 * process group, the child dies (or prints its summary), the shell ignores
 * it.
 *
 * libreadline is loaded at run time, and only by the interactive shell:
 * scripts, -c LINE and every other subcommand never load it (lib/dynlib.h
 * says why).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "commands.h"
#include "complete.h"
#include "dynlib.h"
#include "words.h"

#define SHELL_HISTORY_MAX 1000
#define SHELL_HOSTS_FILE "/etc/hosts"
#define SHELL_HOSTS_MAX (1 << 20)

enum { SH_COMMAND = 1, SH_HISTORY_FILE, SH_NO_HISTORY };

static const struct opts_def shell_defs[] = {
	{SH_COMMAND, 'c', "command", OPTS_STRING, "LINE", 0, 0, NULL,
	 "run LINE as the shell would, then exit with its status", 0},
	{SH_HISTORY_FILE, 0, "history-file", OPTS_FILE, "FILE", 0, 0, NULL,
	 "keep the history in FILE instead of the default", 0},
	{SH_NO_HISTORY, 0, "no-history", OPTS_FLAG, NULL, 0, 0, NULL,
	 "neither read nor write a history file", 0},
};

const struct opts_cmd cmd_shell_opts = {
	"shell",   "[options]", "Interactive shell with history and completion",
	OPTS_FLAG, shell_defs,	sizeof(shell_defs) / sizeof(shell_defs[0]),
};

/* The words the shell understands besides the subcommands. */
static const char *const shell_builtins[] = {"help", "history", "exit", NULL};

/* What `help` says about them: usage and one line, in that order. */
static const char *const shell_builtin_help[][2] = {
	{"help", "this list"},
	{"help COMMAND", "the options of COMMAND"},
	{"history", "the lines typed so far"},
	{"exit [STATUS]", "leave the shell (Ctrl-D does too)"},
};

#define SHELL_NBUILTIN_HELP                                                    \
	(sizeof(shell_builtin_help) / sizeof(shell_builtin_help[0]))

/* Every readline function and variable the shell uses: the list makes
 * both the members of struct shell_rl (typed from the readline headers; a
 * variable's member points to it) and the names that dynlib resolves. */
/* clang-format off */
#define SHELL_RL_FUNCS(X)                                                      \
	X(readline) X(rl_initialize) X(rl_bind_key_in_map) X(rl_redisplay)     \
	X(rl_crlf) X(rl_replace_line) X(rl_prep_terminal) X(using_history)     \
	X(read_history) X(add_history) X(append_history) X(history_get)        \
	X(history_list) X(history_truncate_file)
#define SHELL_RL_VARS(X)                                                       \
	X(rl_line_buffer) X(rl_point) X(rl_end) X(rl_done) X(rl_instream)      \
	X(rl_outstream) X(rl_readline_name) X(rl_catch_signals)                \
	X(rl_completer_word_break_characters) X(rl_completer_quote_characters) \
	X(rl_attempted_completion_function) X(rl_attempted_completion_over)    \
	X(rl_prep_term_function) X(history_base) X(history_length)            \
	X(emacs_standard_keymap) X(vi_insertion_keymap) X(vi_movement_keymap)
/* clang-format on */

struct shell_rl {
	void *dl;
#define SHELL_RL_MEMBER(x) __typeof__(x) *x;
	SHELL_RL_FUNCS(SHELL_RL_MEMBER)
	SHELL_RL_VARS(SHELL_RL_MEMBER)
#undef SHELL_RL_MEMBER
};
_Static_assert(offsetof(struct shell_rl, dl) == 0,
	       "dynlib_table_open keeps the handle first");

static const struct dynlib_sym shell_rl_syms[] = {
#define SHELL_RL_SYM(x) DYNLIB_SYM(struct shell_rl, x),
	SHELL_RL_FUNCS(SHELL_RL_SYM) SHELL_RL_VARS(SHELL_RL_SYM)
#undef SHELL_RL_SYM
};

/* configure's soname first (read from a program linked with readline). */
static const char *const shell_rl_sonames[] = {
	ECHOLOT_READLINE_SONAME, "libreadline.so.8", "libreadline.so", NULL};

/*
 * The loaded table, for the three functions readline calls back
 * (shell_complete, shell_key_intr, shell_prep_term): readline passes them
 * no argument of ours to find it through, and keeps its own state
 * process-wide too. Set by shell_interactive before the first readline()
 * and cleared after the last; everything else gets the table as an
 * argument (struct shell's rl).
 */
static const struct shell_rl *shell_rl_callbacks;

struct shell {
	int status;	     /* exit status of the last command */
	bool interactive;    /* a terminal: readline, prompt, history */
	bool script;	     /* commands come on stdin: children get none */
	bool exit_now;	     /* the exit builtin ran */
	const char *command; /* -c LINE */
	bool no_history;
	char history[PATH_MAX]; /* "" when there is none */
	const struct shell_rl *rl; /* interactive only, else NULL */
};

/* ---------------------------------------------------------- options */

static int shell_opt(void *ctx, const struct opts_def *def,
		     const struct opts_val *val, char *err, size_t errlen)
{
	struct shell *sh = ctx;

	if (!def) {
		snprintf(err, errlen, "unexpected argument '%s'", val->str);
		return -1;
	}
	switch (def->id) {
	case SH_COMMAND:
		sh->command = val->str;
		break;
	case SH_HISTORY_FILE:
		snprintf(sh->history, sizeof(sh->history), "%s", val->str);
		break;
	case SH_NO_HISTORY:
		sh->no_history = true;
		break;
	}
	return 0;
}

/* ---------------------------------------------------------- history */

/* mkdir -p of path's directory, 0700 as the XDG spec asks for state. */
static int shell_mkdirs(const char *path)
{
	char dir[PATH_MAX];
	char *p;

	snprintf(dir, sizeof(dir), "%s", path);
	p = strrchr(dir, '/');
	if (!p || p == dir)
		return 0;
	*p = '\0';
	for (p = dir + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(dir, 0700) < 0 && errno != EEXIST)
			return -1;
		*p = '/';
	}
	return mkdir(dir, 0700) < 0 && errno != EEXIST ? -1 : 0;
}

/* $XDG_STATE_HOME/echolot/history, else ~/.local/state/echolot/history
 * (the spec ignores a relative XDG_STATE_HOME). */
static void shell_default_history(struct shell *sh)
{
	const char *state = getenv("XDG_STATE_HOME");
	const char *home = getenv("HOME");

	if (state && state[0] == '/')
		snprintf(sh->history, sizeof(sh->history), "%s/echolot/history",
			 state);
	else if (home && home[0])
		snprintf(sh->history, sizeof(sh->history),
			 "%s/.local/state/echolot/history", home);
}

static void shell_history_open(struct shell *sh)
{
	int fd;

	sh->rl->using_history();
	if (sh->no_history) {
		sh->history[0] = '\0';
		return;
	}
	if (!sh->history[0])
		shell_default_history(sh);
	if (!sh->history[0])
		return;
	/* append_history() needs the file to exist. */
	if (shell_mkdirs(sh->history) < 0 ||
	    (fd = open(sh->history, O_WRONLY | O_CREAT | O_CLOEXEC, 0600)) <
		    0) {
		fprintf(stderr, "echolot shell: history file '%s': %s\n",
			sh->history, strerror(errno));
		sh->history[0] = '\0';
		return;
	}
	close(fd);
	sh->rl->read_history(sh->history);
}

static void shell_history_add(struct shell *sh, const char *line)
{
	const struct shell_rl *rl = sh->rl;
	HIST_ENTRY *last =
		rl->history_get(*rl->history_base + *rl->history_length - 1);

	if (last && strcmp(last->line, line) == 0)
		return; /* the same line again adds nothing to recall */
	rl->add_history(line);
	/* Written line by line, so a killed shell loses nothing. */
	if (sh->history[0])
		rl->append_history(1, sh->history);
}

static void shell_history_close(struct shell *sh)
{
	if (sh->history[0])
		sh->rl->history_truncate_file(sh->history, SHELL_HISTORY_MAX);
}

/* Without readline (scripts, -c) there is no history: nothing to print. */
static void shell_history_print(const struct shell_rl *rl)
{
	HIST_ENTRY **list = rl ? rl->history_list() : NULL;
	int i;

	for (i = 0; list && list[i]; i++)
		printf("%5d  %s\n", *rl->history_base + i, list[i]->line);
	fflush(stdout);
}

/* ---------------------------------------------------------- running */

static bool shell_is_builtin(const char *name)
{
	size_t i;

	for (i = 0; shell_builtins[i]; i++)
		if (strcmp(shell_builtins[i], name) == 0)
			return true;
	return false;
}

/* "help exit": the builtin's lines of the list. */
static void shell_help_builtin(const char *name)
{
	size_t i, len = strlen(name);

	for (i = 0; i < SHELL_NBUILTIN_HELP; i++) {
		const char *u = shell_builtin_help[i][0];

		if (strncmp(u, name, len) == 0 && (!u[len] || u[len] == ' '))
			printf("  %-14s %s\n", u, shell_builtin_help[i][1]);
	}
}

/* help [NAME]; returns the status. */
static int shell_help(const char *name)
{
	const struct cmd_entry *c;
	char prog[64];
	size_t i;

	if (name && shell_is_builtin(name)) {
		shell_help_builtin(name);
	} else if (name) {
		c = cmd_lookup(name);
		if (!c) {
			fprintf(stderr,
				"echolot shell: help: no command '%s'\n", name);
			return 2;
		}
		cmd_progname(c->opts, c->name, prog, sizeof(prog));
		opts_print_help(c->opts, prog, stdout);
	} else {
		printf("Commands (the same as 'echolot COMMAND ...'):\n");
		for (c = cmd_table; c->name; c++)
			if (strcmp(c->name, "shell") != 0)
				printf("  %-14s %s\n", c->name,
				       c->opts->summary);
		printf("\nShell:\n");
		for (i = 0; i < SHELL_NBUILTIN_HELP; i++)
			printf("  %-14s %s\n", shell_builtin_help[i][0],
			       shell_builtin_help[i][1]);
		printf("\nTab completes commands, options, their values and "
		       "hosts.\nCtrl-C stops the running command; Ctrl-D "
		       "leaves.\n");
	}
	fflush(stdout);
	return 0;
}

/* The child: default signal dispositions, then the command exactly as
 * main() would run it. exit() flushes what the command printed. */
static void shell_child(const struct shell *sh, const struct cmd_entry *c,
			int argc, char **argv)
{
	int fd;

	signal(SIGINT, SIG_DFL);
	signal(SIGQUIT, SIG_DFL);
	signal(SIGPIPE, SIG_DFL);
	/* A script's lines are on stdin: commands must not eat them. */
	if (sh->script && (fd = open("/dev/null", O_RDONLY)) >= 0) {
		dup2(fd, STDIN_FILENO);
		close(fd);
	}
	exit(cmd_run(c, argc, argv));
}

static int shell_wait(pid_t pid, const char *name)
{
	int st;

	while (waitpid(pid, &st, 0) < 0) {
		if (errno != EINTR) {
			fprintf(stderr, "echolot shell: waitpid: %s\n",
				strerror(errno));
			return 2;
		}
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	if (WTERMSIG(st) == SIGINT) {
		fputc('\n', stderr); /* the ^C the terminal echoed */
	} else {
		fprintf(stderr, "echolot shell: %s: killed by signal %d (%s)\n",
			name, WTERMSIG(st), strsignal(WTERMSIG(st)));
	}
	return 128 + WTERMSIG(st);
}

static int shell_spawn(const struct shell *sh, const struct cmd_entry *c,
		       int argc, char **argv)
{
	pid_t pid;

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "echolot shell: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0)
		shell_child(sh, c, argc, argv);
	return shell_wait(pid, c->name);
}

static int shell_unknown(const char *name)
{
	const char *hint = cmd_suggest(name);

	if (hint)
		fprintf(stderr,
			"echolot shell: unknown command '%s' (did you mean "
			"'%s'?)\n",
			name, hint);
	else
		fprintf(stderr,
			"echolot shell: unknown command '%s' (try 'help')\n",
			name);
	return 2;
}

static int shell_exit(struct shell *sh, int argc, char **argv)
{
	char *end;
	long v;

	sh->exit_now = true;
	if (argc < 2)
		return sh->status;
	v = strtol(argv[1], &end, 10);
	if (end == argv[1] || *end || v < 0 || v > 255) {
		fprintf(stderr,
			"echolot shell: exit: '%s' is not a status "
			"0..255\n",
			argv[1]);
		return 2;
	}
	return (int)v;
}

/* One command line: a builtin, or a subcommand in a child. */
static int shell_dispatch(struct shell *sh, int argc, char **argv)
{
	const struct cmd_entry *c;

	/* "echolot ping ..." pasted from elsewhere works as well. */
	if (argc > 1 && strcmp(argv[0], "echolot") == 0) {
		argc--;
		argv++;
	}
	if (strcmp(argv[0], "exit") == 0)
		return shell_exit(sh, argc, argv);
	if (strcmp(argv[0], "help") == 0) {
		return shell_help(argc > 1 ? argv[1] : NULL);
	}
	if (strcmp(argv[0], "history") == 0) {
		shell_history_print(sh->rl);
		return 0;
	}
	if (strcmp(argv[0], "shell") == 0) {
		fprintf(stderr, "echolot shell: already in the shell\n");
		return 2;
	}
	c = cmd_lookup(argv[0]);
	if (!c)
		return shell_unknown(argv[0]);
	return shell_spawn(sh, c, argc, argv);
}

static void shell_line(struct shell *sh, const char *line)
{
	struct words w;
	int rc = words_split(line, strlen(line), &w);

	if (rc == WORDS_NOMEM) {
		fprintf(stderr, "echolot shell: out of memory\n");
		sh->status = 2;
		return;
	}
	if (rc == WORDS_OPEN_QUOTE) {
		fprintf(stderr, "echolot shell: unterminated quote\n");
		sh->status = 2;
	} else if (w.argc > 0) {
		sh->status = shell_dispatch(sh, w.argc, w.argv);
	}
	words_free(&w);
}

/* ------------------------------------------------------- completion */

struct shell_cands {
	char **v;
	size_t n, cap;
	const char *lead; /* "--name=" in front of a value, or "" */
	bool failed;
};

static void shell_cand_add(void *ctx, const char *cand)
{
	struct shell_cands *cs = ctx;
	size_t i, len;
	char *s;

	for (i = 0; i < cs->n; i++)
		if (strcmp(cs->v[i] + strlen(cs->lead), cand) == 0)
			return;
	if (cs->n + 2 >= cs->cap) {
		size_t cap = cs->cap ? cs->cap * 2 : 16;
		char **v = realloc(cs->v, cap * sizeof(*v));

		if (!v) {
			cs->failed = true;
			return;
		}
		cs->v = v;
		cs->cap = cap;
	}
	len = strlen(cs->lead) + strlen(cand) + 1;
	s = malloc(len);
	if (!s) {
		cs->failed = true;
		return;
	}
	snprintf(s, len, "%s%s", cs->lead, cand);
	cs->v[cs->n++] = s;
}

static void shell_hosts_file(const char *prefix, struct shell_cands *cs)
{
	char *buf = malloc(SHELL_HOSTS_MAX);
	FILE *f = fopen(SHELL_HOSTS_FILE, "r");
	size_t len;

	if (buf && f) {
		len = fread(buf, 1, SHELL_HOSTS_MAX, f);
		compl_hosts_parse(buf, len, prefix, shell_cand_add, cs);
	}
	if (f)
		fclose(f);
	free(buf);
}

static size_t shell_cmds(const struct opts_cmd **cmds, size_t max)
{
	size_t n = 0;
	const struct cmd_entry *c;

	for (c = cmd_table; c->name && n < max; c++)
		cmds[n++] = c->opts;
	return n;
}

/* Hosts the user typed before: the host arguments of history lines. */
static void shell_hosts_history(const struct shell_rl *rl, const char *prefix,
				struct shell_cands *cs)
{
	const struct opts_cmd *cmds[64];
	size_t ncmds = shell_cmds(cmds, 64);
	HIST_ENTRY **list = rl->history_list();
	int i;

	for (i = 0; list && list[i]; i++) {
		const struct opts_cmd *oc;
		struct words w;

		char **argv;
		int argc;

		if (words_split(list[i]->line, strlen(list[i]->line), &w) ==
		    WORDS_NOMEM)
			continue;
		argv = w.argv;
		argc = w.argc;
		if (argc > 1 && strcmp(argv[0], "echolot") == 0) {
			argc--;
			argv++;
		}
		if (argc > 0 && (oc = compl_find_cmd(cmds, ncmds, argv[0])))
			compl_hosts_in_argv(oc, argc, argv, prefix,
					    shell_cand_add, cs);
		words_free(&w);
	}
}

/* Readline's answer: [0] the common prefix, then the matches, NULL. */
static char **shell_matches(struct shell_cands *cs)
{
	size_t i, common;

	if (cs->failed || cs->n == 0) {
		for (i = 0; i < cs->n; i++)
			free(cs->v[i]);
		free(cs->v);
		return NULL;
	}
	if (cs->n == 1) {
		cs->v[1] = NULL;
		return cs->v;
	}
	common = strlen(cs->v[0]);
	for (i = 1; i < cs->n; i++) {
		size_t j = 0;

		while (j < common && cs->v[i][j] == cs->v[0][j])
			j++;
		common = j;
	}
	memmove(cs->v + 1, cs->v, cs->n * sizeof(*cs->v));
	cs->v[0] = strndup(cs->v[1], common);
	cs->v[cs->n + 1] = NULL;
	return cs->v;
}

/* The words before the cursor plus the one being completed. */
static int shell_words_before(const struct shell_rl *rl, int start,
			      const char *text, struct words *w)
{
	int rc = words_split(*rl->rl_line_buffer, (size_t)start, w);
	char **argv;

	if (rc == WORDS_NOMEM)
		return -1;
	if (rc == WORDS_OPEN_QUOTE && w->argc > 0)
		w->argc--; /* the opening quote of text itself */
	argv = realloc(w->argv, (size_t)(w->argc + 2) * sizeof(*argv));
	if (!argv) {
		words_free(w);
		return -1;
	}
	w->argv = argv;
	w->argv[w->argc++] = (char *)text;
	w->argv[w->argc] = NULL;
	return 0;
}

static void shell_complete_words(const struct shell_rl *rl, int argc,
				 char **argv, struct shell_cands *cs,
				 bool *files)
{
	const struct opts_cmd *cmds[64];
	size_t ncmds = shell_cmds(cmds, 64);
	struct compl_spot spot;

	if (argc > 1 && strcmp(argv[0], "echolot") == 0) {
		argc--;
		argv++;
	}
	if (argc == 2 && strcmp(argv[0], "help") == 0) {
		argc--;
		argv++;
	}
	compl_locate(cmds, ncmds, argv, argc, &spot);
	if (spot.what == COMPL_VALUE && spot.prefix != argv[argc - 1])
		cs->lead = strndup(argv[argc - 1],
				   (size_t)(spot.prefix - argv[argc - 1]));
	compl_candidates(cmds, ncmds, argc == 1 ? shell_builtins : NULL, &spot,
			 shell_cand_add, cs);
	if ((spot.what == COMPL_VALUE || spot.what == COMPL_ARG) &&
	    spot.kind == OPTS_HOST) {
		shell_hosts_history(rl, spot.prefix, cs);
		shell_hosts_file(spot.prefix, cs);
	}
	*files = (spot.what == COMPL_VALUE || spot.what == COMPL_ARG) &&
		 spot.kind == OPTS_FILE && cs->lead[0] == '\0';
}

static char **shell_complete(const char *text, int start, int end)
{
	const struct shell_rl *rl = shell_rl_callbacks;
	struct shell_cands cs = {.lead = ""};
	struct words w;
	bool files = false;
	char **m;

	(void)end;
	*rl->rl_attempted_completion_over = 1;
	if (shell_words_before(rl, start, text, &w) < 0)
		return NULL;
	shell_complete_words(rl, w.argc, w.argv, &cs, &files);
	words_free(&w);
	/* File values: readline's own file name completion does it best. */
	*rl->rl_attempted_completion_over = !files;
	m = shell_matches(&cs);
	if (cs.lead[0])
		free((char *)cs.lead);
	return m;
}

/* ------------------------------------------------------ interactive */

/* Ctrl-C at the prompt: show it, drop the line, give a fresh prompt. */
static int shell_key_intr(int count, int key)
{
	const struct shell_rl *rl = shell_rl_callbacks;

	(void)count;
	(void)key;
	*rl->rl_point = *rl->rl_end;
	rl->rl_redisplay();
	fputs("^C", *rl->rl_outstream);
	rl->rl_crlf();
	rl->rl_replace_line("", 0);
	*rl->rl_done = 1;
	return 0;
}

/* readline's terminal setup, minus ISIG (see the top of the file). */
static void shell_prep_term(int meta)
{
	const struct shell_rl *rl = shell_rl_callbacks;
	struct termios t;
	int fd = fileno(*rl->rl_instream ? *rl->rl_instream : stdin);

	rl->rl_prep_terminal(meta);
	if (tcgetattr(fd, &t) == 0) {
		t.c_lflag &= ~(tcflag_t)ISIG;
		tcsetattr(fd, TCSANOW, &t);
	}
}

static void shell_readline_setup(const struct shell_rl *rl)
{
	*rl->rl_readline_name = "echolot"; /* $if echolot in inputrc */
	*rl->rl_catch_signals = 0;
	*rl->rl_completer_word_break_characters = " \t\n";
	*rl->rl_completer_quote_characters = "'\"";
	*rl->rl_attempted_completion_function = shell_complete;
	*rl->rl_prep_term_function = shell_prep_term;
	rl->rl_initialize();
	rl->rl_bind_key_in_map(3, shell_key_intr, *rl->emacs_standard_keymap);
	rl->rl_bind_key_in_map(3, shell_key_intr, *rl->vi_insertion_keymap);
	rl->rl_bind_key_in_map(3, shell_key_intr, *rl->vi_movement_keymap);
}

/* Loads libreadline into a table; NULL with the reason in err. */
static struct shell_rl *shell_rl_open(char *err, size_t errlen)
{
	return dynlib_table_open(shell_rl_sonames, shell_rl_syms,
				 sizeof(shell_rl_syms) /
					 sizeof(shell_rl_syms[0]),
				 sizeof(struct shell_rl), err, errlen);
}

static int shell_interactive(struct shell *sh)
{
	struct shell_rl *rl;
	char prompt[32], err[256];
	char *line;

	rl = shell_rl_open(err, sizeof(err));
	if (!rl) {
		fprintf(stderr, "echolot shell: %s\n", err);
		return 2;
	}
	sh->rl = shell_rl_callbacks = rl;
	shell_readline_setup(rl);
	shell_history_open(sh);
	while (!sh->exit_now) {
		snprintf(prompt, sizeof(prompt), "echolot[%d]> ", sh->status);
		line = rl->readline(prompt);
		if (!line) {
			fputc('\n', stdout); /* Ctrl-D leaves the cursor */
			break;
		}
		if (line[strspn(line, " \t")] != '\0') {
			shell_history_add(sh, line);
			shell_line(sh, line);
		}
		free(line);
	}
	shell_history_close(sh);
	sh->rl = shell_rl_callbacks = NULL;
	dynlib_table_close(rl);
	return sh->status;
}

/* Not a terminal: one command per line, no prompt, no history. */
static int shell_script(struct shell *sh, FILE *in)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;

	sh->script = true;
	while (!sh->exit_now && (n = getline(&line, &cap, in)) >= 0) {
		if (n > 0 && line[n - 1] == '\n')
			line[n - 1] = '\0';
		shell_line(sh, line);
	}
	free(line);
	return sh->status;
}

int cmd_shell_main(int argc, char **argv); /* CMD_DECLARE in commands.c */

int cmd_shell_main(int argc, char **argv)
{
	struct shell sh = {0};
	int rc = cmd_parse(&cmd_shell_opts, argc, argv, shell_opt, &sh);

	if (rc != CMD_CONTINUE)
		return rc;
	sh.interactive = isatty(STDIN_FILENO) && !sh.command;
	/* The shell outlives every Ctrl-C; its children get the default
	 * back (shell_child). */
	if (sh.interactive) {
		signal(SIGINT, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
	}
	if (sh.command) {
		shell_line(&sh, sh.command);
		return sh.status;
	}
	if (sh.interactive)
		return shell_interactive(&sh);
	return shell_script(&sh, stdin);
}
