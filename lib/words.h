/*
 * words - split a command line into argv the way a POSIX shell would for
 * the simple cases: blanks separate words, '...' is literal, "..." keeps
 * blanks and lets backslash escape " and \, a backslash outside quotes
 * escapes the next character, and '#' at the start of a word begins a
 * comment. No variables, globbing or redirection: the shell runs echolot's
 * own commands only.
 */
#ifndef ECHOLOT_WORDS_H
#define ECHOLOT_WORDS_H

#include <stddef.h>

struct words {
	int argc;
	char **argv; /* argc words and a NULL */
	char *text;  /* the words' unquoted text, NUL-separated */
};

enum words_result {
	WORDS_OK = 0,
	WORDS_OPEN_QUOTE = -1, /* the line ends inside quotes; w is filled,
				  the last word holding the text so far */
	WORDS_NOMEM = -2,
};

/* Splits line[0..len-1] (no NUL needed; never reads past len) into w.
 * w must be freed with words_free() unless WORDS_NOMEM is returned. */
int words_split(const char *line, size_t len, struct words *w);

void words_free(struct words *w);

#endif
