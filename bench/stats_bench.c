/*
 * stats_bench - what one probe costs lib/stats, and that memory stays
 * flat: feeds N sent+reply pairs (default 10^7) and prints ns per pair,
 * the time stats_summarize takes, and the peak RSS after 10^4 and after N
 * samples (they must be equal: the accumulator never allocates).
 *
 *   build/bench/stats_bench [N]
 */
#include "stats.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <time.h>

static int64_t bench_now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

static long bench_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

static void bench_feed(struct stats *s, long from, long to)
{
	long i;

	/* rtts spread over 5 us .. 105 us, replies in order */
	for (i = from; i < to; i++) {
		stats_sent(s, i * 1000, 84);
		stats_reply(s, i * 1000 + 5000, 5000 + (i * 7919) % 100000, 84,
			    (uint64_t)i);
	}
}

int main(int argc, char **argv)
{
	static struct stats s;
	struct stats_summary m;
	long n = argc > 1 ? atol(argv[1]) : 10000000L;
	long rss_small, rss_big;
	int64_t t0, t1, t2;

	if (n < 10000) {
		fprintf(stderr, "stats_bench: N must be at least 10000\n");
		return 2;
	}
	stats_init(&s);
	bench_feed(&s, 0, 10000);
	/* summarize once first, so its code and the whole histogram are
	 * paged in before the small figure is taken */
	stats_summarize(&s, &m);
	rss_small = bench_rss_kb();
	t0 = bench_now();
	bench_feed(&s, 10000, n);
	t1 = bench_now();
	stats_summarize(&s, &m);
	t2 = bench_now();
	rss_big = bench_rss_kb();
	printf("samples %ld: %.2f ns per sent+reply, summarize %.1f us, "
	       "sizeof(struct stats) %zu B, peak RSS %ld kB after 10^4, "
	       "%ld kB after %ld\n",
	       n, (double)(t1 - t0) / (double)(n - 10000),
	       (double)(t2 - t1) / 1e3, sizeof(s), rss_small, rss_big, n);
	return m.received == (uint64_t)n ? 0 : 1;
}
