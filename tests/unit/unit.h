/*
 * unit.h - a tiny TAP test harness for echolot's C unit tests.
 *
 * A test is a function taking a `struct unit *`. CHECK* macros record
 * failures with file and line; each test is one TAP point ("ok N - name"),
 * so tests/run can count passes and failures across all binaries.
 *
 *   UNIT_TEST(test_checksum) { CHECK_EQ(pkt_checksum(buf, 4), 0x1234); }
 *   UNIT_MAIN(test_checksum, test_other)
 *
 * Header-only on purpose: every test binary includes it once.
 */
#ifndef ECHOLOT_UNIT_H
#define ECHOLOT_UNIT_H

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct unit {
	int failures;    /* failed checks in the current test */
	int checks;      /* checks run in the current test */
};

typedef void (*unit_fn)(struct unit *u);

struct unit_case {
	const char *name;
	unit_fn fn;
};

static inline void unit_failf(struct unit *u, const char *file, int line,
			      const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

static inline void unit_failf(struct unit *u, const char *file, int line,
			      const char *fmt, ...)
{
	va_list ap;

	u->failures++;
	/* Only the first few failures of a test: a loop over every length
	 * of a packet must not bury the report. */
	if (u->failures > 5)
		return;
	printf("#   %s:%d: ", file, line);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf("\n");
}

#define CHECK(cond)                                                          \
	do {                                                                 \
		u->checks++;                                                 \
		if (!(cond))                                                 \
			unit_failf(u, __FILE__, __LINE__, "CHECK(%s)", #cond); \
	} while (0)

#define CHECK_EQ(a, b)                                                       \
	do {                                                                 \
		long long unit_a_ = (long long)(a), unit_b_ = (long long)(b); \
		u->checks++;                                                 \
		if (unit_a_ != unit_b_)                                      \
			unit_failf(u, __FILE__, __LINE__,                    \
				   "%s == %s: %lld != %lld", #a, #b, unit_a_, \
				   unit_b_);                                 \
	} while (0)

#define CHECK_NEAR(a, b, eps)                                                \
	do {                                                                 \
		double unit_a_ = (double)(a), unit_b_ = (double)(b);         \
		u->checks++;                                                 \
		if (!(unit_a_ - unit_b_ <= (eps) && unit_b_ - unit_a_ <= (eps))) \
			unit_failf(u, __FILE__, __LINE__,                    \
				   "%s ~ %s: %.9g vs %.9g (eps %g)", #a, #b,  \
				   unit_a_, unit_b_, (double)(eps));         \
	} while (0)

#define CHECK_STR(a, b)                                                      \
	do {                                                                 \
		const char *unit_a_ = (a), *unit_b_ = (b);                   \
		u->checks++;                                                 \
		if (!unit_a_ || !unit_b_ || strcmp(unit_a_, unit_b_) != 0)   \
			unit_failf(u, __FILE__, __LINE__,                    \
				   "%s == %s: \"%s\" != \"%s\"", #a, #b,      \
				   unit_a_ ? unit_a_ : "(null)",             \
				   unit_b_ ? unit_b_ : "(null)");            \
	} while (0)

#define CHECK_MEM(a, b, n)                                                   \
	do {                                                                 \
		const unsigned char *unit_a_ = (const void *)(a);            \
		const unsigned char *unit_b_ = (const void *)(b);            \
		size_t unit_n_ = (n), unit_i_;                               \
		u->checks++;                                                 \
		for (unit_i_ = 0; unit_i_ < unit_n_; unit_i_++)              \
			if (unit_a_[unit_i_] != unit_b_[unit_i_])            \
				break;                                       \
		if (unit_i_ < unit_n_)                                       \
			unit_failf(u, __FILE__, __LINE__,                    \
				   "%s == %s: differ at byte %zu (0x%02x != 0x%02x)", \
				   #a, #b, unit_i_, unit_a_[unit_i_],        \
				   unit_b_[unit_i_]);                        \
	} while (0)

#define UNIT_TEST(name) static void name(struct unit *u)

/* Runs every case and prints TAP; the exit status is 1 if any failed. */
static inline int unit_run(const struct unit_case *cases, size_t n)
{
	size_t i;
	int failed = 0;

	printf("1..%zu\n", n);
	for (i = 0; i < n; i++) {
		struct unit u = { 0, 0 };

		cases[i].fn(&u);
		if (u.failures > 5)
			printf("#   ... and %d more failed checks\n",
			       u.failures - 5);
		if (u.failures == 0 && u.checks == 0) {
			/* A test that checked nothing cannot fail: count it
			 * as a failure so it gets fixed. */
			printf("#   no checks ran\n");
			u.failures = 1;
		}
		printf("%sok %zu - %s\n", u.failures ? "not " : "", i + 1,
		       cases[i].name);
		if (u.failures)
			failed = 1;
		fflush(stdout);
	}
	return failed;
}

/* Output of a writer captured into a string (open_memstream), for tests
 * of renderers that take a FILE *. */
struct unit_capture {
	FILE *f;
	char *buf;
	size_t len;
};

static inline void unit_cap_open(struct unit_capture *c)
{
	c->buf = NULL;
	c->len = 0;
	c->f = open_memstream(&c->buf, &c->len);
}

static inline const char *unit_cap_text(struct unit_capture *c)
{
	fflush(c->f);
	return c->buf ? c->buf : "";
}

static inline void unit_cap_close(struct unit_capture *c)
{
	fclose(c->f);
	free(c->buf);
}

#define UNIT_CASE(fn) { #fn, fn }
#define UNIT_MAIN(...)                                                       \
	int main(void)                                                       \
	{                                                                    \
		static const struct unit_case unit_cases_[] = { __VA_ARGS__ }; \
		return unit_run(unit_cases_,                                 \
				sizeof(unit_cases_) / sizeof(unit_cases_[0])); \
	}

#endif
