/*
 * Unit tests for lib/words: the shell's tokeniser.
 */
#include <string.h>

#include "unit.h"
#include "words.h"

static int split(struct words *w, const char *line)
{
	return words_split(line, strlen(line), w);
}

UNIT_TEST(test_blanks_separate_words)
{
	struct words w;

	CHECK_EQ(split(&w, "  ping\t-c 3   127.0.0.1 "), WORDS_OK);
	CHECK_EQ(w.argc, 4);
	CHECK_STR(w.argv[0], "ping");
	CHECK_STR(w.argv[1], "-c");
	CHECK_STR(w.argv[2], "3");
	CHECK_STR(w.argv[3], "127.0.0.1");
	CHECK(w.argv[4] == NULL);
	words_free(&w);
	CHECK_EQ(split(&w, "   "), WORDS_OK);
	CHECK_EQ(w.argc, 0);
	CHECK(w.argv[0] == NULL);
	words_free(&w);
}

UNIT_TEST(test_quotes_and_backslashes)
{
	struct words w;

	CHECK_EQ(split(&w, "a 'b c' \"d \\\"e\\\\\" f\\ g '' h\"i\"j"),
		 WORDS_OK);
	CHECK_EQ(w.argc, 6);
	CHECK_STR(w.argv[0], "a");
	CHECK_STR(w.argv[1], "b c");
	CHECK_STR(w.argv[2], "d \"e\\");
	CHECK_STR(w.argv[3], "f g");
	CHECK_STR(w.argv[4], "");
	CHECK_STR(w.argv[5], "hij");
	words_free(&w);
	/* Single quotes keep backslashes; double quotes keep \x. */
	CHECK_EQ(split(&w, "'a\\b' \"c\\d\""), WORDS_OK);
	CHECK_STR(w.argv[0], "a\\b");
	CHECK_STR(w.argv[1], "c\\d");
	words_free(&w);
}

UNIT_TEST(test_comments)
{
	struct words w;

	CHECK_EQ(split(&w, "# a comment"), WORDS_OK);
	CHECK_EQ(w.argc, 0);
	words_free(&w);
	CHECK_EQ(split(&w, "help # why"), WORDS_OK);
	CHECK_EQ(w.argc, 1);
	words_free(&w);
	CHECK_EQ(split(&w, "a#b '#c'"), WORDS_OK);
	CHECK_EQ(w.argc, 2);
	CHECK_STR(w.argv[0], "a#b");
	CHECK_STR(w.argv[1], "#c");
	words_free(&w);
}

UNIT_TEST(test_open_quote_keeps_words)
{
	struct words w;

	CHECK_EQ(split(&w, "ping 'local"), WORDS_OPEN_QUOTE);
	CHECK_EQ(w.argc, 2);
	CHECK_STR(w.argv[1], "local");
	words_free(&w);
	CHECK_EQ(split(&w, "a \"b"), WORDS_OPEN_QUOTE);
	CHECK_STR(w.argv[1], "b");
	words_free(&w);
}

UNIT_TEST(test_never_reads_past_len)
{
	struct words w;
	const char line[] = "abc def";

	/* Only "ab" is given; the rest of the buffer must not appear. */
	CHECK_EQ(words_split(line, 2, &w), WORDS_OK);
	CHECK_EQ(w.argc, 1);
	CHECK_STR(w.argv[0], "ab");
	words_free(&w);
	CHECK_EQ(words_split("x\\", 2, &w), WORDS_OK);
	CHECK_STR(w.argv[0], "x");
	words_free(&w);
	CHECK_EQ(words_split("", 0, &w), WORDS_OK);
	CHECK_EQ(w.argc, 0);
	words_free(&w);
}

UNIT_TEST(test_every_short_line_splits)
{
	/* Every 1..4 character line over an alphabet of the special
	 * characters: splits without error other than an open quote, and
	 * every word is no longer than the line. */
	const char alpha[] = " a'\"\\#";
	char line[5];
	size_t n = sizeof(alpha) - 1, total = 0;
	size_t len, idx, i;

	for (len = 1; len <= 4; len++) {
		size_t combos = 1;

		for (i = 0; i < len; i++)
			combos *= n;
		for (idx = 0; idx < combos; idx++) {
			struct words w;
			size_t k = idx;
			int rc, j;

			for (i = 0; i < len; i++, k /= n)
				line[i] = alpha[k % n];
			line[len] = '\0';
			rc = words_split(line, len, &w);
			CHECK(rc == WORDS_OK || rc == WORDS_OPEN_QUOTE);
			for (j = 0; j < w.argc; j++)
				CHECK(strlen(w.argv[j]) <= len);
			CHECK(w.argv[w.argc] == NULL);
			words_free(&w);
			total++;
		}
	}
	CHECK_EQ(total, 6 + 36 + 216 + 1296);
}

UNIT_MAIN(UNIT_CASE(test_blanks_separate_words),
	  UNIT_CASE(test_quotes_and_backslashes), UNIT_CASE(test_comments),
	  UNIT_CASE(test_open_quote_keeps_words),
	  UNIT_CASE(test_never_reads_past_len),
	  UNIT_CASE(test_every_short_line_splits))
