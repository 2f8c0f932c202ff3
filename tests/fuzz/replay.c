/*
 * replay - the main() of every fuzz harness (tests/fuzz/README.md).
 *
 *   replay_NAME FILE|DIR...          run the harness once per file, TAP out
 *   replay_NAME --fuzz [ARGS...]     libFuzzer (--enable-fuzzing builds)
 *
 * Each file runs in a child process, so a crash becomes one "not ok" line
 * naming the file and the signal, and the other files still run.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#ifdef ECHOLOT_FUZZ_DRIVER
/* libFuzzer's entry point for programs with their own main(). */
int LLVMFuzzerRunDriver(int *argc, char ***argv,
			int (*cb)(const uint8_t *data, size_t size));
#endif

#define REPLAY_MAX_FILES 100000
#define REPLAY_MAX_SIZE (1u << 20)

struct replay_list {
	char **path;
	size_t n, cap;
};

static int replay_push(struct replay_list *l, const char *path)
{
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		char **p = realloc(l->path, cap * sizeof(*p));

		if (!p || cap > REPLAY_MAX_FILES)
			return -1;
		l->path = p, l->cap = cap;
	}
	l->path[l->n] = strdup(path);
	return l->path[l->n++] ? 0 : -1;
}

static int replay_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Regular files of DIR (not recursive, dot files skipped), or PATH. */
static int replay_collect(struct replay_list *l, const char *arg)
{
	struct stat st;
	struct dirent *e;
	DIR *d;

	if (stat(arg, &st) != 0) {
		fprintf(stderr, "replay: %s: %s\n", arg, strerror(errno));
		return -1;
	}
	if (!S_ISDIR(st.st_mode))
		return replay_push(l, arg);
	d = opendir(arg);
	if (!d)
		return -1;
	while ((e = readdir(d))) {
		char path[4096];

		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", arg, e->d_name);
		if (stat(path, &st) == 0 && S_ISREG(st.st_mode) &&
		    replay_push(l, path)) {
			closedir(d);
			return -1;
		}
	}
	closedir(d);
	return 0;
}

static uint8_t *replay_read(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf;

	if (!f)
		return NULL;
	buf = malloc(REPLAY_MAX_SIZE);
	*n = buf ? fread(buf, 1, REPLAY_MAX_SIZE, f) : 0;
	fclose(f);
	return buf;
}

/* One input in a child; returns the wait status. */
static int replay_one(const char *path)
{
	pid_t pid;
	int status = 0;

	fflush(stdout);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		size_t n = 0;
		uint8_t *buf = replay_read(path, &n);
		uint8_t *exact;

		if (!buf)
			_exit(3);
		/* An exact-size copy, so sanitizers see any overread. */
		exact = malloc(n ? n : 1);
		memcpy(exact, buf, n);
		free(buf);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
		_exit(0);
	}
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return status;
}

static int replay_main(int argc, char **argv)
{
	struct replay_list l = {NULL, 0, 0};
	size_t i;
	int i_arg, failed = 0;

	for (i_arg = 1; i_arg < argc; i_arg++)
		if (replay_collect(&l, argv[i_arg]))
			return 2;
	qsort(l.path, l.n, sizeof(*l.path), replay_cmp);
	printf("1..%zu\n", l.n);
	for (i = 0; i < l.n; i++) {
		int st = replay_one(l.path[i]);

		if (st == 0) {
			printf("ok %zu - %s\n", i + 1, l.path[i]);
		} else {
			failed = 1;
			if (st > 0 && WIFSIGNALED(st))
				printf("not ok %zu - %s (signal %d)\n", i + 1,
				       l.path[i], WTERMSIG(st));
			else
				printf("not ok %zu - %s (exit %d)\n", i + 1,
				       l.path[i],
				       st > 0 ? WEXITSTATUS(st) : -1);
		}
		free(l.path[i]);
	}
	free(l.path);
	return failed;
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "--fuzz") == 0) {
#ifdef ECHOLOT_FUZZ_DRIVER
		/* libFuzzer parses argv[1..]: drop "--fuzz" */
		argv[1] = argv[0];
		argc--;
		argv++;
		return LLVMFuzzerRunDriver(&argc, &argv,
					   LLVMFuzzerTestOneInput);
#else
		fprintf(stderr,
			"%s: built without --enable-fuzzing "
			"(configure CC=clang --enable-fuzzing)\n",
			argv[0]);
		return 2;
#endif
	}
	if (argc < 2) {
		fprintf(stderr,
			"usage: %s FILE|DIR... | --fuzz [libFuzzer "
			"options] [CORPUS...]\n",
			argv[0]);
		return 2;
	}
	return replay_main(argc, argv);
}
