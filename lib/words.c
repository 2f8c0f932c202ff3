/*
 * words - command-line tokeniser for the shell.
 */
#include "words.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static bool words_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

struct words_scan {
	const char *line;
	size_t len, i;
	char *out;  /* next byte of text to write */
	char quote; /* 0, '\'' or '"' */
};

/* Copies one word's characters, unquoting; stops at a blank outside
 * quotes or at the end. */
static void words_one(struct words_scan *s)
{
	while (s->i < s->len) {
		char c = s->line[s->i];

		if (s->quote == '\'') {
			s->i++;
			if (c == '\'')
				s->quote = 0;
			else
				*s->out++ = c;
		} else if (s->quote == '"') {
			s->i++;
			if (c == '"')
				s->quote = 0;
			else if (c == '\\' && s->i < s->len &&
				 (s->line[s->i] == '"' ||
				  s->line[s->i] == '\\'))
				*s->out++ = s->line[s->i++];
			else
				*s->out++ = c;
		} else if (words_blank(c)) {
			return;
		} else {
			s->i++;
			if (c == '\'' || c == '"')
				s->quote = c;
			else if (c == '\\' && s->i < s->len)
				*s->out++ = s->line[s->i++];
			else if (c != '\\')
				*s->out++ = c;
		}
	}
}

int words_split(const char *line, size_t len, struct words *w)
{
	struct words_scan s = {line, len, 0, NULL, 0};
	size_t max_words = len / 2 + 2;
	int argc = 0;

	memset(w, 0, sizeof(*w));
	/* Each word takes at least one byte plus a separator, and its text
	 * is never longer than its quoted form. */
	w->text = malloc(len + 1);
	w->argv = calloc(max_words, sizeof(*w->argv));
	if (!w->text || !w->argv) {
		words_free(w);
		return WORDS_NOMEM;
	}
	s.out = w->text;
	for (;;) {
		while (s.i < len && words_blank(line[s.i]))
			s.i++;
		if (s.i >= len || line[s.i] == '#')
			break;
		w->argv[argc++] = s.out;
		words_one(&s);
		*s.out++ = '\0';
		if (s.quote)
			break;
	}
	w->argv[argc] = NULL;
	w->argc = argc;
	return s.quote ? WORDS_OPEN_QUOTE : WORDS_OK;
}

void words_free(struct words *w)
{
	free(w->argv);
	free(w->text);
	w->argv = NULL;
	w->text = NULL;
	w->argc = 0;
}
