/*
 * rusage - run a command and report what it cost, for bench/lib.sh.
 *
 *   rusage [--output FILE] -- COMMAND [ARG...]
 *
 * Writes one line, "wall=S user=S sys=S maxrss_kb=N status=N", to FILE (or
 * stderr) once COMMAND has finished; COMMAND's own stdout and stderr pass
 * through untouched. Wall time comes from CLOCK_MONOTONIC around fork and
 * wait4, the rest from the child's rusage (peak RSS in KiB, as the kernel
 * keeps it). The exit status is COMMAND's (128+N when signal N killed it),
 * or 2 when it could not be started.
 */
#include "loop.h"
#include "opts.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

enum { RUSAGE_OUTPUT = 1 };

static const struct opts_def rusage_defs[] = {
	{ RUSAGE_OUTPUT, 'o', "output", OPTS_FILE, "FILE", 0, 0, NULL,
	  "write the report line to FILE instead of stderr", 0 },
};

static const struct opts_cmd rusage_cmd = {
	"rusage", "[options] -- COMMAND [ARG...]",
	"run a command, report wall time, cpu time and peak RSS",
	OPTS_STRING, rusage_defs, sizeof(rusage_defs) / sizeof(rusage_defs[0]),
};

struct rusage_args {
	const char *output;
	int first_arg; /* index in argv of COMMAND, 0 until seen */
};

static int rusage_opt(void *ctx, const struct opts_def *def,
		      const struct opts_val *val, char *err, size_t errlen)
{
	struct rusage_args *a = ctx;

	(void)err;
	(void)errlen;
	if (def)
		a->output = val->str;
	else if (!a->first_arg)
		a->first_arg = -1; /* found by the caller after "--" */
	return 0;
}

static double rusage_tv(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

static int rusage_report(const char *path, double wall,
			 const struct rusage *ru, int status)
{
	FILE *out = path ? fopen(path, "w") : stderr;

	if (!out) {
		fprintf(stderr, "rusage: cannot write '%s': %s\n", path,
			strerror(errno));
		return -1;
	}
	fprintf(out, "wall=%.6f user=%.6f sys=%.6f maxrss_kb=%ld status=%d\n",
		wall, rusage_tv(ru->ru_utime), rusage_tv(ru->ru_stime),
		ru->ru_maxrss, status);
	if (path)
		fclose(out);
	return 0;
}

int main(int argc, char **argv)
{
	struct rusage_args a = { NULL, 0 };
	struct rusage ru;
	char err[256];
	int i, rc, wstatus, status;
	int64_t t0;
	pid_t pid;

	/* Our options end at "--"; everything after it is the command. */
	for (i = 1; i < argc && strcmp(argv[i], "--") != 0; i++)
		;
	if (i >= argc - 1) {
		rc = opts_parse(&rusage_cmd, i, argv, rusage_opt, &a, err,
				sizeof(err));
		if (rc == OPTS_HELP)
			return opts_print_help(&rusage_cmd, "rusage", stdout) <
				       0 ? 2 : 0;
		fprintf(stderr, "rusage: %s\n",
			rc != OPTS_OK ? err : "no command (give it after --)");
		return 2;
	}
	rc = opts_parse(&rusage_cmd, i, argv, rusage_opt, &a, err, sizeof(err));
	if (rc != OPTS_OK || a.first_arg) {
		fprintf(stderr, "rusage: %s\n",
			rc != OPTS_OK ? err : "arguments before '--'");
		return 2;
	}
	t0 = loop_now_ns();
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "rusage: fork: %s\n", strerror(errno));
		return 2;
	}
	if (pid == 0) {
		execvp(argv[i + 1], argv + i + 1);
		fprintf(stderr, "rusage: cannot run '%s': %s\n", argv[i + 1],
			strerror(errno));
		_exit(127);
	}
	while (wait4(pid, &wstatus, 0, &ru) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "rusage: wait4: %s\n", strerror(errno));
			return 2;
		}
	status = WIFEXITED(wstatus) ? WEXITSTATUS(wstatus)
				    : 128 + WTERMSIG(wstatus);
	if (rusage_report(a.output, (double)(loop_now_ns() - t0) / 1e9, &ru,
			  status) < 0)
		return 2;
	return status;
}
