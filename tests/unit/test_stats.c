/*
 * test_stats - lib/stats against figures computed independently: hand
 * tables, a small reference computation over the raw samples in this file,
 * real iputils ping runs captured into fixtures, and Nping's own output.
 */
#include "stats.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"

#define MS 1000000LL
#define US 1000LL

#ifndef ECHOLOT_TEST_SRCDIR
#define ECHOLOT_TEST_SRCDIR "."
#endif

/* xorshift64*: deterministic random numbers, so failures reproduce. */
static uint64_t rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 2685821657736338717ULL;
}

static double rng_unit(uint64_t *s)
{
	return (double)(rng_next(s) >> 11) / 9007199254740992.0;
}

/* ------------------------------------------------- counters, hand table */

/*
 * Four probes of 84 bytes at 0, 1, 2, 3 s. Replies: seq 0 after 1 ms,
 * seq 2 after 3 ms, seq 1 after 2 ms (arrives after seq 2: reordered),
 * a duplicate of seq 2 after 3.5 ms; probe 3 is never answered. Plus one
 * ICMP error (56 B), one local send error, one corrupted reply (84 B).
 */
static void feed_hand(struct stats *s)
{
	stats_init(s);
	stats_sent(s, 0, 84);
	stats_sent(s, 1000 * MS, 84);
	stats_sent(s, 2000 * MS, 84);
	stats_sent(s, 3000 * MS, 84);
	stats_reply(s, 1 * MS, 1 * MS, 84, 0);
	stats_reply(s, 2003 * MS, 3 * MS, 84, 2);
	stats_reply(s, 2004 * MS, 2 * MS, 84, 1);
	stats_dup(s, 2005 * MS, 3500 * US, 84);
	stats_error(s, 3100 * MS, STATS_ERR_ICMP, 56);
	stats_error(s, 3200 * MS, STATS_ERR_LOCAL, 0);
	stats_error(s, 3300 * MS, STATS_ERR_CORRUPT, 84);
	stats_end(s, 4000 * MS);
}

UNIT_TEST(test_counters_hand)
{
	struct stats s;
	struct stats_summary m;

	feed_hand(&s);
	stats_summarize(&s, &m);
	CHECK_EQ(m.sent, 4);
	CHECK_EQ(m.sent_bytes, 336);
	CHECK_EQ(m.received, 3);
	CHECK_EQ(m.received_bytes, 252);
	CHECK_EQ(m.dups, 1);
	CHECK_EQ(m.reordered, 1);
	CHECK_EQ(m.icmp_errors, 1);
	CHECK_EQ(m.local_errors, 1);
	CHECK_EQ(m.corrupted, 1);
	CHECK_EQ(m.errors, 2);
	CHECK_EQ(m.rx_packets, 6); /* 3 replies, dup, ICMP, corrupt */
	CHECK_EQ(m.rx_bytes, 252 + 84 + 56 + 84);
	CHECK_EQ(m.lost, 1);
	CHECK_NEAR(m.loss_pct, 25.0, 1e-12);
	CHECK_EQ(m.rtt_count, 4);
	CHECK_EQ(m.rtt_min_ns, 1 * MS);
	CHECK_EQ(m.rtt_max_ns, 3500 * US);
	CHECK_EQ(m.rtt_last_ns, 3500 * US);
	/* by hand: mean (1 + 3 + 2 + 3.5) / 4 = 2.375 ms; mean of squares
	 * 26.25 / 4 = 6.5625; variance 6.5625 - 5.640625 = 0.921875 */
	CHECK_NEAR(m.rtt_avg_ns, 2.375 * MS, 1e-6);
	CHECK_NEAR(m.rtt_mdev_ns, sqrt(0.921875) * MS, 1e-3);
	CHECK_NEAR(m.rtt_stddev_ns, sqrt(0.921875 * 4 / 3) * MS, 1e-3);
	/* iputils in whole us: sum 9500, sum2 26250000; avg 2375, var
	 * (26250000 - 9500^2 / 4) / 4 = 921875, isqrt = 960 */
	CHECK_EQ(m.ip_avg_us, 2375);
	CHECK_EQ(m.ip_mdev_us, 960);
	CHECK_EQ(m.ip_min_us, 1000);
	CHECK_EQ(m.ip_max_us, 3500);
	/* Tx 0 -> 3 s; Rx and elapsed to the end of the run at 4 s */
	CHECK_EQ(m.tx_time_ns, 3000 * MS);
	CHECK_EQ(m.rx_time_ns, 4000 * MS);
	CHECK_EQ(m.elapsed_ns, 4000 * MS);
	CHECK_NEAR(m.tx_bytes_per_s, 112.0, 1e-9);
	CHECK_NEAR(m.tx_pkts_per_s, 4.0 / 3.0, 1e-12);
	CHECK_NEAR(m.rx_bytes_per_s, 476.0 / 4.0, 1e-9);
	CHECK_NEAR(m.rx_pkts_per_s, 1.5, 1e-12);
}

UNIT_TEST(test_empty)
{
	struct stats s;
	struct stats_summary m;

	stats_init(&s);
	stats_summarize(&s, &m);
	CHECK_EQ(m.sent, 0);
	CHECK(!m.have_rtt);
	CHECK_EQ(m.loss_pct, 0);
	CHECK_EQ(m.p50_ns, -1);
	CHECK_EQ(stats_percentile(&s, 50), -1);
	CHECK_EQ(m.tx_time_ns, 0);
	CHECK_EQ(m.tx_bytes_per_s, 0);
	/* all lost, no rtt */
	stats_sent(&s, 5, 84);
	stats_sent(&s, 7, 84);
	stats_summarize(&s, &m);
	CHECK_EQ(m.lost, 2);
	CHECK_NEAR(m.loss_pct, 100.0, 1e-12);
	CHECK(!m.have_rtt);
	CHECK_EQ(m.tx_time_ns, 2);
	CHECK_EQ(m.elapsed_ns, 2);
}

/* A reply without an rtt is counted but stays out of the rtt figures. */
UNIT_TEST(test_reply_without_rtt)
{
	struct stats s;
	struct stats_summary m;

	stats_init(&s);
	stats_sent(&s, 0, 10);
	stats_sent(&s, 1, 10);
	stats_reply(&s, 2, -1, 10, STATS_SEQ_NONE);
	stats_reply(&s, 3, 500, 10, STATS_SEQ_NONE);
	stats_summarize(&s, &m);
	CHECK_EQ(m.received, 2);
	CHECK_EQ(m.rtt_count, 1);
	CHECK_EQ(m.rtt_min_ns, 500);
	CHECK_EQ(m.reordered, 0);
}

UNIT_TEST(test_reordered)
{
	struct stats s;
	struct stats_summary m;
	/* arrival order of seqs; below the highest seen: 1, 3, 2, 0 */
	static const uint64_t order[] = {0, 2, 1, 4, 3, 5, 6, 2000, 7, 0};
	size_t i;

	stats_init(&s);
	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		stats_reply(&s, (int64_t)i, 100, 1, order[i]);
	stats_summarize(&s, &m);
	CHECK_EQ(m.reordered, 4);
}

/* ------------------------------------------- mdev against a reference */

/* Two-pass mean and population deviation in long double: the definition,
 * computed the obvious way, independent of the Welford update. */
static void reference_mdev(const int64_t *v, size_t n, double *mean,
			   double *mdev)
{
	long double sum = 0, sq = 0, mu;
	size_t i;

	for (i = 0; i < n; i++)
		sum += v[i];
	mu = sum / n;
	for (i = 0; i < n; i++)
		sq += ((long double)v[i] - mu) * ((long double)v[i] - mu);
	*mean = (double)mu;
	*mdev = (double)sqrtl(sq / n);
}

UNIT_TEST(test_mdev_reference)
{
	static int64_t v[20000];
	uint64_t seed = 42;
	int round;

	for (round = 0; round < 4; round++) {
		struct stats s;
		struct stats_summary m;
		double mean, mdev;
		size_t i, n = round == 0 ? 2 : round == 1 ? 10 : 20000;

		stats_init(&s);
		for (i = 0; i < n; i++) {
			/* 20 ms +- a few ms, and once a 1 s spike */
			v[i] = 20 * MS + (int64_t)(rng_unit(&seed) * 5 * MS);
			if (round == 3 && i == n / 2)
				v[i] = 1000 * MS;
			stats_reply(&s, (int64_t)i, v[i], 64, i);
		}
		reference_mdev(v, n, &mean, &mdev);
		stats_summarize(&s, &m);
		CHECK_NEAR(m.rtt_avg_ns, mean, mean * 1e-12 + 1e-6);
		CHECK_NEAR(m.rtt_mdev_ns, mdev, mdev * 1e-9 + 1e-6);
	}
}

/* ------------------------------------------- iputils fixtures (real runs) */

struct ping_run {
	long transmitted, elapsed_ms;
	char line1[512], line2[512]; /* its two summary lines */
};

static bool starts_with(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* "... time=0.045 ms" -> ns. The fixtures are loopback runs, so every
 * time is below 1 ms and printed to the microsecond. */
static int64_t parse_time(const char *line)
{
	const char *t = strstr(line, "time=");

	return t ? (int64_t)llround(strtod(t + 5, NULL) * 1e6) : -1;
}

/*
 * Feeds an iputils run into s the way cmd/ping would: every probe sent,
 * each reply line a reply (or dup), each "From ..." line an ICMP error.
 * The count of probes sent and the run time are taken from the summary
 * line: they are what ping measured, not something stats computes.
 */
static int feed_ping_file(const char *name, struct stats *s,
			  struct ping_run *run)
{
	char path[512], line[512];
	FILE *f;
	long i;
	int64_t t = 0;

	snprintf(path, sizeof(path), "%s/tests/unit/fixtures/%s",
		 getenv("ECHOLOT_SRCDIR") ? getenv("ECHOLOT_SRCDIR")
					  : ECHOLOT_TEST_SRCDIR,
		 name);
	f = fopen(path, "r");
	if (!f) {
		printf("#   cannot open %s\n", path);
		return -1;
	}
	memset(run, 0, sizeof(*run));
	while (fgets(line, sizeof(line), f)) {
		if (strstr(line, "packets transmitted")) {
			snprintf(run->line1, sizeof(run->line1), "%s", line);
			run->transmitted = strtol(line, NULL, 10);
			run->elapsed_ms =
				strtol(strstr(line, "time ") + 5, NULL, 10);
		} else if (starts_with(line, "rtt ")) {
			snprintf(run->line2, sizeof(run->line2), "%s", line);
		}
	}
	rewind(f);
	stats_init(s);
	for (i = 0; i < run->transmitted; i++)
		stats_sent(s, i * 10 * MS, 84);
	while (fgets(line, sizeof(line), f)) {
		long seq = strstr(line, "icmp_seq=")
				   ? strtol(strstr(line, "icmp_seq=") + 9, NULL,
					    10)
				   : 0;

		t += MS;
		if (strstr(line, "bytes from") && strstr(line, "(DUP!)"))
			stats_dup(s, t, parse_time(line), 64);
		else if (strstr(line, "bytes from"))
			stats_reply(s, t, parse_time(line), 64, (uint64_t)seq);
		else if (starts_with(line, "From "))
			stats_error(s, t, STATS_ERR_ICMP, 92);
	}
	fclose(f);
	return 0;
}

static void check_ping_file(struct unit *u, const char *name)
{
	struct stats s;
	struct stats_summary m;
	struct ping_run run;
	struct unit_capture c;
	char want[1100];
	struct stats_iputils_extra x = {0, false};

	CHECK(feed_ping_file(name, &s, &run) == 0);
	CHECK(run.transmitted > 0);
	stats_summarize(&s, &m);
	m.elapsed_ns = run.elapsed_ms * MS;
	/* With ipg shown, the run time comes from it (ipg is the run time
	 * in us over sent - 1): the printed ms must then come out too. */
	if (strstr(run.line2, "ipg/ewma ")) {
		double ipg = strtod(strstr(run.line2, "ipg/ewma ") + 9, NULL);

		m.elapsed_ns = llround(ipg * 1000) * (run.transmitted - 1) * US;
		stats_summary_rates(&m);
		m.ip_ipg_us = m.elapsed_ns / 1000 / (run.transmitted - 1);
		x.ipg = true;
	}
	if (strstr(run.line2, "pipe "))
		x.pipe = atoi(strstr(run.line2, "pipe ") + 5);
	unit_cap_open(&c);
	CHECK_EQ(stats_render_iputils_ex(c.f, &m, &x), 0);
	snprintf(want, sizeof(want), "%s%s", run.line1, run.line2);
	CHECK_STR(unit_cap_text(&c), want);
	unit_cap_close(&c);
}

UNIT_TEST(test_iputils_fixture_c10)
{
	check_ping_file(u, "ping_lo_c10.txt");
}

UNIT_TEST(test_iputils_fixture_c20)
{
	check_ping_file(u, "ping_lo_c20.txt");
}

UNIT_TEST(test_iputils_fixture_c100)
{
	check_ping_file(u, "ping_lo_c100.txt");
}

/* nftables `dup` made every third reply arrive twice: "+6 duplicates",
 * and iputils counts the duplicates' times in min/avg/max/mdev. */
UNIT_TEST(test_iputils_fixture_dup)
{
	check_ping_file(u, "ping_lo_dup.txt");
}

/* nftables dropped every third request: "40% packet loss". */
UNIT_TEST(test_iputils_fixture_loss)
{
	check_ping_file(u, "ping_lo_loss.txt");
}

/* nftables rejected every second request with host-unreachable:
 * "+3 errors"; and all of them: no rtt line at all. */
UNIT_TEST(test_iputils_fixture_errors)
{
	check_ping_file(u, "ping_lo_errors.txt");
	check_ping_file(u, "ping_lo_allerr.txt");
}

/* -A (adaptive) shows ", ipg/ewma"; with -l 3 also ", pipe 3". The ewma
 * (weight 1/8, seeded with the first rtt) comes from the replies. */
UNIT_TEST(test_iputils_fixture_ipg_ewma_pipe)
{
	check_ping_file(u, "ping_lo_adaptive.txt");
	check_ping_file(u, "ping_lo_preload_adaptive.txt");
}

UNIT_TEST(test_iputils_extra_forms)
{
	struct stats_summary m;
	struct stats_iputils_extra x = {4, true};
	struct unit_capture c;

	/* no reply: no rtt line, but the pipe still shows, on its own */
	memset(&m, 0, sizeof(m));
	m.sent = 5;
	m.lost = 5;
	unit_cap_open(&c);
	stats_render_iputils_ex(c.f, &m, &x);
	CHECK_STR(unit_cap_text(&c), "5 packets transmitted, 0 received, "
				"100% packet loss, time 0ms\npipe 4\n");
	unit_cap_close(&c);
	/* pipe 1 is not shown; ewma in us, truncated */
	m.have_rtt = true;
	m.received = 5;
	m.lost = 0;
	m.ip_ipg_us = 1234567;
	m.ip_ewma_us = 20345;
	x.pipe = 1;
	unit_cap_open(&c);
	stats_render_iputils_ex(c.f, &m, &x);
	CHECK(strstr(unit_cap_text(&c), "0.000 ms, ipg/ewma 1234.567/20.345 ms\n"));
	unit_cap_close(&c);
}

/* rtts of an hour overflow iputils' integer sums; ours notice it and
 * fall back to the double figures instead of printing garbage. */
UNIT_TEST(test_iputils_sums_overflow)
{
	struct stats s, t;
	struct stats_summary m;
	int64_t hour = 3600LL * 1000 * MS;

	stats_init(&s);
	stats_reply(&s, 0, hour, 0, 0);
	stats_reply(&s, 0, hour + 2000 * MS, 0, 1);
	stats_reply(&s, 0, hour + 4000 * MS, 0, 2);
	CHECK(s.us_overflow);
	stats_summarize(&s, &m);
	CHECK_EQ(m.ip_min_us, 3600LL * 1000000);
	CHECK_EQ(m.ip_max_us, 3604LL * 1000000);
	CHECK_EQ(m.ip_avg_us, 3602LL * 1000000);
	/* mdev of (-2, 0, 2) s: sqrt(8 / 3) s */
	CHECK_NEAR(m.ip_mdev_us, sqrt(8.0 / 3) * 1e6, 1);
	/* merging carries the flag */
	stats_init(&t);
	stats_reply(&t, 0, MS, 0, 0);
	stats_merge(&t, &s);
	CHECK(t.us_overflow);
	/* an rtt whose square alone overflows */
	stats_init(&s);
	stats_reply(&s, 0, INT64_MAX / 2, 0, 0);
	CHECK(s.us_overflow);
}

/* Lines iputils prints for situations the fixtures do not cover. */
UNIT_TEST(test_iputils_render_forms)
{
	struct stats_summary m;
	struct unit_capture c;

	memset(&m, 0, sizeof(m));
	m.sent = 3;
	m.received = 2;
	m.lost = 1;
	m.dups = 1;
	m.corrupted = 2;
	m.errors = 4;
	m.elapsed_ns = 2003499 * US + 999; /* 2003.499999 ms -> 2003ms */
	m.have_rtt = true;
	m.ip_min_us = 31;
	m.ip_avg_us = 1045;
	m.ip_max_us = 123456;
	m.ip_mdev_us = 12;
	unit_cap_open(&c);
	CHECK_EQ(stats_render_iputils(c.f, &m), 0);
	CHECK_STR(unit_cap_text(&c),
		  "3 packets transmitted, 2 received, +1 duplicates, "
		  "+2 corrupted, +4 errors, 33.3333% packet loss, "
		  "time 2003ms\n"
		  "rtt min/avg/max/mdev = 0.031/1.045/123.456/0.012 ms\n");
	unit_cap_close(&c);

	/* rounding of the run time: 2003.5 ms -> 2004ms */
	m.elapsed_ns = 2003500 * US;
	m.have_rtt = false;
	m.dups = m.corrupted = m.errors = 0;
	unit_cap_open(&c);
	stats_render_iputils(c.f, &m);
	CHECK_STR(unit_cap_text(&c), "3 packets transmitted, 2 received, "
				"33.3333% packet loss, time 2004ms\n");
	unit_cap_close(&c);

	/* nothing sent: iputils stops after "received" */
	memset(&m, 0, sizeof(m));
	unit_cap_open(&c);
	stats_render_iputils(c.f, &m);
	CHECK_STR(unit_cap_text(&c), "0 packets transmitted, 0 received\n");
	unit_cap_close(&c);
}

/* ---------------------------------------------------------- histogram */

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return (x > y) - (x < y);
}

/* The exact nearest-rank percentile of a sorted array. */
static int64_t exact_pct(const int64_t *sorted, size_t n, double p)
{
	size_t rank = (size_t)ceil(p * (double)n / 100.0 - 1e-9);

	if (rank < 1)
		rank = 1;
	return sorted[rank - 1];
}

static const double pcts[] = {0.1, 1, 10, 25, 50, 75, 90, 99, 99.9, 100};

/* Worst relative error of the histogram percentiles over v[0..n). */
static double worst_error(int64_t *v, size_t n)
{
	struct stats s;
	double worst = 0;
	size_t i;

	stats_init(&s);
	for (i = 0; i < n; i++)
		stats_reply(&s, 0, v[i], 0, STATS_SEQ_NONE);
	qsort(v, n, sizeof(v[0]), cmp_i64);
	for (i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
		int64_t want = exact_pct(v, n, pcts[i]);
		int64_t got = stats_percentile(&s, pcts[i]);
		double err = want ? fabs((double)(got - want)) / (double)want
				  : (double)(got != 0);

		if (err > worst)
			worst = err;
	}
	return worst;
}

enum dist { D_UNIFORM, D_LOGUNIFORM, D_EXP, D_NORMAL, D_BIMODAL, D_NDIST };

static int64_t draw(uint64_t *seed, enum dist d)
{
	double x = rng_unit(seed), y;

	switch (d) {
	case D_UNIFORM: /* 1 us .. 1 s */
		return 1000 + (int64_t)(x * 1e9);
	case D_LOGUNIFORM: /* 1 ns .. 2^40 ns: every octave */
		return (int64_t)exp(x * 40.0 * log(2.0));
	case D_EXP: /* mean 20 ms */
		return (int64_t)(-log(1.0 - x) * 20e6);
	case D_NORMAL: /* 20 ms, sd 2 ms (Box-Muller) */
		y = rng_unit(seed);
		return (int64_t)fabs(20e6 + 2e6 * sqrt(-2 * log(1 - x)) *
						    cos(2 * M_PI * y));
	default: /* 90 % near 0.05 ms, 10 % near 150 ms */
		return x < 0.9 ? 50000 + (int64_t)(rng_unit(seed) * 5000)
			       : 150 * MS + (int64_t)(rng_unit(seed) * MS);
	}
}

UNIT_TEST(test_histogram_random)
{
	static int64_t v[200000];
	static const size_t sizes[] = {1, 2, 3, 10, 99, 1000, 200000};
	uint64_t seed = 7;
	double worst = 0;
	int d;
	size_t k, i;

	for (d = 0; d < D_NDIST; d++)
		for (k = 0; k < sizeof(sizes) / sizeof(sizes[0]); k++) {
			double e;

			for (i = 0; i < sizes[k]; i++)
				v[i] = draw(&seed, (enum dist)d);
			e = worst_error(v, sizes[k]);
			if (e > worst)
				worst = e;
			CHECK(e <= 1.0 / 128);
		}
	printf("# worst relative error over random distributions: %.5f%%\n",
	       worst * 100);
	CHECK(worst <= 0.01);
}

/*
 * Adversarial: for every bucket, put the true percentile on the bucket's
 * lowest and highest value (where the midpoint is farthest), framed by a
 * smaller and a larger sample so clamping to min/max cannot help. The
 * error inside a bucket is largest at its edges, so this covers every
 * value below 2^40 ns.
 */
UNIT_TEST(test_histogram_adversarial_edges)
{
	int64_t lo, v[3];
	double worst = 0;
	int e, sub, side;

	for (lo = 1; lo < STATS_HIST_SUB; lo++) {
		v[0] = 0, v[1] = lo, v[2] = (int64_t)1 << 41;
		CHECK_EQ(worst_error(v, 3), 0); /* small values are exact */
	}
	for (e = STATS_HIST_SUB_BITS; e < STATS_HIST_MAX_EXP; e++)
		for (sub = 0; sub < STATS_HIST_SUB; sub++)
			for (side = 0; side < 2; side++) {
				int64_t w = (int64_t)1
					    << (e - STATS_HIST_SUB_BITS);
				double err;

				lo = (STATS_HIST_SUB + sub) * w;
				v[0] = 0;
				v[1] = side ? lo + w - 1 : lo;
				v[2] = (int64_t)1 << 41;
				err = worst_error(v, 3);
				if (err > worst)
					worst = err;
			}
	printf("# worst relative error at bucket edges: %.5f%%\n", worst * 100);
	CHECK(worst <= 1.0 / 128);
	CHECK(worst > 1.0 / 200); /* the edges really are the hard case */
}

/* Many identical values, values straddling powers of two, a geometric
 * series with a ratio near the bucket width. */
UNIT_TEST(test_histogram_adversarial_shapes)
{
	static int64_t v[5000];
	size_t i, n;
	double g;

	for (i = 0; i < 5000; i++)
		v[i] = i % 2 ? 1023 : 1024; /* both sides of 2^10 */
	CHECK(worst_error(v, 5000) <= 1.0 / 128);
	for (i = 0; i < 5000; i++)
		v[i] = ((int64_t)1 << (i % 40 + 1)) - (int64_t)(i % 3);
	CHECK(worst_error(v, 5000) <= 1.0 / 128);
	for (i = 0, g = 64; g < 1e12; i++, g *= 1.0157)
		v[i] = (int64_t)g;
	n = i;
	CHECK(worst_error(v, n) <= 1.0 / 128);
	for (i = 0; i < 4999; i++)
		v[i] = 20 * MS + 7;
	v[4999] = 1;
	CHECK(worst_error(v, 5000) <= 1.0 / 128);
}

UNIT_TEST(test_percentile_small_exact)
{
	struct stats s;

	stats_init(&s);
	stats_reply(&s, 0, 40, 0, STATS_SEQ_NONE);
	stats_reply(&s, 0, 10, 0, STATS_SEQ_NONE);
	stats_reply(&s, 0, 30, 0, STATS_SEQ_NONE);
	stats_reply(&s, 0, 20, 0, STATS_SEQ_NONE);
	/* nearest rank of 4 samples: p25 -> 1st, p50 -> 2nd, p90 -> 4th */
	CHECK_EQ(stats_percentile(&s, 25), 10);
	CHECK_EQ(stats_percentile(&s, 26), 20);
	CHECK_EQ(stats_percentile(&s, 50), 20);
	CHECK_EQ(stats_percentile(&s, 75), 30);
	CHECK_EQ(stats_percentile(&s, 90), 40);
	CHECK_EQ(stats_percentile(&s, 100), 40);
	CHECK_EQ(stats_percentile(&s, 0), -1);
	CHECK_EQ(stats_percentile(&s, 101), -1);
}

/* Beyond the histogram's range (~1100 s) the estimate is the maximum. */
UNIT_TEST(test_histogram_overflow)
{
	struct stats s;
	int64_t big = (int64_t)3 << 40;

	stats_init(&s);
	stats_reply(&s, 0, 5 * MS, 0, STATS_SEQ_NONE);
	stats_reply(&s, 0, big, 0, STATS_SEQ_NONE);
	CHECK_EQ(stats_percentile(&s, 100), big);
	CHECK_EQ(s.hist.overflow, 1);
	CHECK_EQ(s.hist.total, 2);
}

/* Memory does not grow: the accumulator is one fixed block. */
UNIT_TEST(test_fixed_size)
{
	struct stats s;
	long i;

	stats_init(&s);
	for (i = 0; i < 1000000; i++)
		stats_reply(&s, i, (i * 7919) % (100 * MS), 64, (uint64_t)i);
	CHECK_EQ(s.hist.total, 1000000);
	CHECK(sizeof(struct stats) < 32 * 1024);
}

/* --------------------------------------------------------------- jitter */

UNIT_TEST(test_jitter_hand)
{
	struct stats s;
	struct stats_summary m;

	/* rtts 10, 12, 11, 15 ms; |D| = 2, 1, 4 ms.
	 * J = 2/16 = 0.125; 0.125 + (1 - 0.125)/16 = 0.1796875;
	 * 0.1796875 + (4 - 0.1796875)/16 = 0.41845703125 (ms) */
	stats_init(&s);
	stats_reply(&s, 0, 10 * MS, 0, 0);
	stats_summarize(&s, &m);
	CHECK_EQ(m.jitter_ns, 0);
	stats_reply(&s, 1, 12 * MS, 0, 1);
	stats_summarize(&s, &m);
	CHECK_NEAR(m.jitter_ns, 0.125 * MS, 1e-6);
	stats_reply(&s, 2, 11 * MS, 0, 2);
	stats_summarize(&s, &m);
	CHECK_NEAR(m.jitter_ns, 0.1796875 * MS, 1e-6);
	stats_reply(&s, 3, 15 * MS, 0, 3);
	stats_summarize(&s, &m);
	CHECK_NEAR(m.jitter_ns, 0.41845703125 * MS, 1e-6);
	/* a constant delay has no jitter */
	stats_init(&s);
	stats_reply(&s, 0, 7 * MS, 0, 0);
	stats_reply(&s, 1, 7 * MS, 0, 1);
	stats_reply(&s, 2, 7 * MS, 0, 2);
	stats_summarize(&s, &m);
	CHECK_EQ(m.jitter_ns, 0);
}

/* Jitter follows arrival order: the same rtts in another order give
 * another figure (RFC 3550 is about consecutive packets). */
UNIT_TEST(test_jitter_order)
{
	struct stats a, b;

	stats_init(&a);
	stats_init(&b);
	stats_reply(&a, 0, 10 * MS, 0, 0);
	stats_reply(&a, 1, 20 * MS, 0, 1);
	stats_reply(&a, 2, 10 * MS, 0, 2);
	stats_reply(&b, 0, 10 * MS, 0, 0);
	stats_reply(&b, 1, 10 * MS, 0, 1);
	stats_reply(&b, 2, 20 * MS, 0, 2);
	/* a: 10/16 then + (10 - 0.625)/16; b: 0 then 10/16 */
	CHECK_NEAR(a.jitter_ns, (0.625 + (10 - 0.625) / 16) * MS, 1e-6);
	CHECK_NEAR(b.jitter_ns, 0.625 * MS, 1e-6);
}

/* ---------------------------------------------------------------- merge */

UNIT_TEST(test_merge)
{
	struct stats all, a, b;
	struct stats_summary ms, mm;
	uint64_t seed = 99;
	int i;

	stats_init(&all);
	stats_init(&a);
	stats_init(&b);
	for (i = 0; i < 3000; i++) {
		int64_t t = i * MS, rtt = draw(&seed, D_NORMAL);
		struct stats *half = i < 1000 ? &a : &b;

		stats_sent(&all, t, 64);
		stats_sent(half, t, 64);
		if (i % 7 == 0)
			continue;
		stats_reply(&all, t + rtt, rtt, 64, (uint64_t)i);
		stats_reply(half, t + rtt, rtt, 64, (uint64_t)i);
	}
	stats_merge(&a, &b);
	stats_summarize(&all, &ms);
	stats_summarize(&a, &mm);
	CHECK_EQ(mm.sent, ms.sent);
	CHECK_EQ(mm.received, ms.received);
	CHECK_EQ(mm.lost, ms.lost);
	CHECK_EQ(mm.rtt_min_ns, ms.rtt_min_ns);
	CHECK_EQ(mm.rtt_max_ns, ms.rtt_max_ns);
	CHECK_NEAR(mm.rtt_avg_ns, ms.rtt_avg_ns, 1e-3);
	CHECK_NEAR(mm.rtt_mdev_ns, ms.rtt_mdev_ns, 1e-3);
	CHECK_EQ(mm.ip_avg_us, ms.ip_avg_us);
	CHECK_EQ(mm.ip_mdev_us, ms.ip_mdev_us);
	CHECK_EQ(mm.p50_ns, ms.p50_ns);
	CHECK_EQ(mm.p90_ns, ms.p90_ns);
	CHECK_EQ(mm.p99_ns, ms.p99_ns);
	CHECK_EQ(mm.tx_time_ns, ms.tx_time_ns);
	CHECK_EQ(mm.rx_time_ns, ms.rx_time_ns);
	CHECK_EQ(mm.received_bytes, ms.received_bytes);
	CHECK_EQ(memcmp(&a.hist, &all.hist, sizeof(a.hist)), 0);
}

UNIT_TEST(test_merge_jitter_and_empty)
{
	struct stats a, b, e;

	stats_init(&a);
	stats_init(&b);
	stats_init(&e);
	/* a: one difference of 16 ms -> J = 1 ms; b: three equal -> 0 */
	stats_reply(&a, 0, 0, 0, 0);
	stats_reply(&a, 1, 16 * MS, 0, 1);
	stats_reply(&b, 0, 5 * MS, 0, 0);
	stats_reply(&b, 1, 5 * MS, 0, 1);
	stats_reply(&b, 2, 5 * MS, 0, 2);
	stats_merge(&a, &b);
	/* weighted by differences: (1 * 1 + 0 * 2) / 3 ms */
	CHECK_NEAR(a.jitter_ns, MS / 3.0, 1e-6);
	/* merging into an empty accumulator copies */
	stats_merge(&e, &b);
	CHECK_EQ(e.rtt_min_ns, 5 * MS);
	CHECK_EQ(e.received, 3);
	CHECK_NEAR(e.rtt_mean_ns, 5.0 * MS, 1e-6);
	/* merging an empty one changes nothing */
	stats_init(&e);
	stats_merge(&b, &e);
	CHECK_EQ(b.received, 3);
	CHECK_EQ(b.rtt_min_ns, 5 * MS);
}

/* ---------------------------------------------------------------- Nping */

/*
 * The closing block of nping's echo client (shared/nep/vectors,
 * b_tcp_nat_opensesame.client.txt, `nping --echo-client ... --tcp -c 3
 * -v`): three 40-byte probes over 2.00340 s, the last wait ending at
 * 3.00489 s after the first send, rtts that give 0.033/0.019/0.025.
 */
UNIT_TEST(test_nping_block_vector_b)
{
	struct stats s;
	struct stats_summary m;
	struct unit_capture c;

	stats_init(&s);
	stats_sent(&s, 0, 40);
	stats_reply(&s, 33 * US, 33 * US, 40, 0);
	stats_echoed(&s, 40);
	stats_sent(&s, 1001700 * US, 40);
	stats_reply(&s, 1001700 * US + 19 * US, 19 * US, 40, 1);
	stats_echoed(&s, 40);
	stats_sent(&s, 2003400 * US, 40);
	stats_reply(&s, 2003400 * US + 23 * US, 23 * US, 40, 2);
	stats_echoed(&s, 40);
	stats_end(&s, 3004890 * US);
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	CHECK_EQ(stats_render_nping(c.f, &m,
				    STATS_NPING_ECHOED | STATS_NPING_TIMES),
		 0);
	CHECK_STR(unit_cap_text(&c),
		  "Max rtt: 0.033ms | Min rtt: 0.019ms | Avg rtt: 0.025ms\n"
		  "Raw packets sent: 3 (120B) | Rcvd: 3 (120B) | Lost: 0 "
		  "(0.00%)| Echoed: 3 (120B) \n"
		  "Tx time: 2.00340s | Tx bytes/s: 59.90 | Tx pkts/s: 1.50\n"
		  "Rx time: 3.00489s | Rx bytes/s: 39.93 | Rx pkts/s: 1.00\n");
	unit_cap_close(&c);
}

/* Vector a: UDP probes of 28 B answered by 56-byte port unreachables:
 * the ICMP errors are the answers, so Rcvd counts them and nothing is
 * lost. Vector d: the handshake failed, nothing was sent. */
UNIT_TEST(test_nping_block_vectors_a_d)
{
	struct stats s;
	struct stats_summary m;
	struct unit_capture c;
	int i;

	stats_init(&s);
	for (i = 0; i < 3; i++) {
		stats_sent(&s, i * 1000 * MS, 28);
		stats_error(&s, i * 1000 * MS + 50 * US, STATS_ERR_ICMP, 56);
		stats_echoed(&s, 28);
	}
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	stats_render_nping(c.f, &m, STATS_NPING_ECHOED);
	CHECK(strstr(unit_cap_text(&c),
		     "\nRaw packets sent: 3 (84B) | Rcvd: 3 (168B) | Lost: 0 "
		     "(0.00%)| Echoed: 3 (84B) \n") != NULL);
	unit_cap_close(&c);

	stats_init(&s);
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	stats_render_nping(c.f, &m, STATS_NPING_ECHOED);
	CHECK_STR(unit_cap_text(&c),
		  "Max rtt: N/A | Min rtt: N/A | Avg rtt: N/A\n"
		  "Raw packets sent: 0 (0B) | Rcvd: 0 (0B) | Lost: 0 (0.00%)| "
		  "Echoed: 0 (0B) \n");
	unit_cap_close(&c);
}

/*
 * `nping --icmp -c 1 -v 127.0.0.1` printed
 *   Raw packets sent: 1 (28B) | Rcvd: 1 (28B) | Lost: 0 (0.00%)
 *   Tx time: 0.00116s | Tx bytes/s: 24221.45 | Tx pkts/s: 865.05
 *   Rx time: 1.00137s | Rx bytes/s: 27.96 | Rx pkts/s: 1.00
 * nping's Tx timer ran 1.156 ms around the one send; cmd/ sets such
 * windows itself and recomputes the rates.
 */
UNIT_TEST(test_nping_rates_adjusted)
{
	struct stats s;
	struct stats_summary m;
	struct unit_capture c;

	stats_init(&s);
	stats_sent(&s, 0, 28);
	stats_reply(&s, 41 * US, 41 * US, 28, 0);
	stats_end(&s, 1001370 * US);
	stats_summarize(&s, &m);
	CHECK_EQ(m.tx_bytes_per_s, 0); /* one send: no Tx window */
	m.tx_time_ns = 1156 * US;
	stats_summary_rates(&m);
	unit_cap_open(&c);
	stats_render_nping(c.f, &m, STATS_NPING_TIMES);
	CHECK_STR(
		unit_cap_text(&c),
		"Max rtt: 0.041ms | Min rtt: 0.041ms | Avg rtt: 0.041ms\n"
		"Raw packets sent: 1 (28B) | Rcvd: 1 (28B) | Lost: 0 (0.00%)\n"
		"Tx time: 0.00116s | Tx bytes/s: 24221.45 | Tx pkts/s: 865.05\n"
		"Rx time: 1.00137s | Rx bytes/s: 27.96 | Rx pkts/s: 1.00\n");
	unit_cap_close(&c);
}

/* Byte counts as nping prints them (seen with --data-length 971, 972,
 * 1000 and 1400): 999B, 1.000KB, 41.120KB, 1.428MB. */
UNIT_TEST(test_nping_bytes_and_loss)
{
	static const struct {
		uint64_t bytes;
		const char *text;
	} rows[] = {
		{999, "(999B)"},
		{1000, "(1.000KB)"},
		{41120, "(41.120KB)"},
		{1428000, "(1.428MB)"},
		{2500000000ULL, "(2.500GB)"},
	};
	struct stats_summary m;
	struct unit_capture c;
	char want[64];
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&m, 0, sizeof(m));
		m.sent = 1;
		m.sent_bytes = rows[i].bytes;
		unit_cap_open(&c);
		stats_render_nping(c.f, &m, 0);
		snprintf(want, sizeof(want), "sent: 1 %s |", rows[i].text);
		CHECK(strstr(unit_cap_text(&c), want) != NULL);
		unit_cap_close(&c);
	}
	/* one of three lost */
	memset(&m, 0, sizeof(m));
	m.sent = 3;
	m.received = m.rx_packets = 2;
	m.rx_bytes = 56;
	m.sent_bytes = 84;
	unit_cap_open(&c);
	stats_render_nping(c.f, &m, 0);
	CHECK(strstr(unit_cap_text(&c), "| Rcvd: 2 (56B) | Lost: 1 (33.33%)\n"));
	unit_cap_close(&c);
}

UNIT_TEST(test_extra_line)
{
	struct stats s;
	struct stats_summary m;
	struct unit_capture c;

	stats_init(&s);
	/* 10, 12, 11, 15 ms: p50 = 11, p90 = p99 = 15; jitter 0.418 ms;
	 * mean 12, variance (4 + 0 + 1 + 9) / 4 = 3.5, mdev 1.871 ms */
	stats_reply(&s, 0, 10 * MS, 0, 0);
	stats_reply(&s, 1, 12 * MS, 0, 1);
	stats_reply(&s, 2, 11 * MS, 0, 2);
	stats_reply(&s, 3, 15 * MS, 0, 3);
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	CHECK_EQ(stats_render_extra(c.f, &m), 0);
	/* the histogram keeps 11 ms within 1/128: 10.99-11.01 */
	CHECK(strstr(unit_cap_text(&c), "Percentiles: p50 1") == unit_cap_text(&c));
	CHECK_NEAR((double)m.p50_ns, 11.0 * MS, 11.0 * MS / 128);
	CHECK_EQ(m.p90_ns, 15 * MS); /* clamped to the exact max */
	CHECK(strstr(unit_cap_text(&c),
		     "ms | p90 15.000ms | p99 15.000ms | Jitter: 0.418ms | "
		     "Mdev: 1.871ms\n") != NULL);
	unit_cap_close(&c);

	stats_init(&s);
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	stats_render_extra(c.f, &m);
	CHECK_STR(unit_cap_text(&c), "Percentiles: p50 N/A | p90 N/A | p99 N/A | "
				"Jitter: N/A | Mdev: N/A\n");
	unit_cap_close(&c);
}

/* ----------------------------------------------------------------- JSON */

UNIT_TEST(test_json_summary)
{
	struct stats s;
	struct stats_summary m;
	struct json_writer w;
	struct unit_capture c;

	/* By hand for feed_hand: mdev 0.96015 and stddev 1.10868 ms (see
	 * test_counters_hand). Percentiles are histogram estimates: 2 ms
	 * falls in the bucket [1998848, 2015232) ns, midpoint 2007039; 3.5
	 * ms in [3473408, 3506176), midpoint 3489791, below the max so not
	 * clamped. Jitter over 1, 3, 2, 3.5 ms (|D| = 2, 1, 1.5): 0.125,
	 * 0.1796875, 0.26220703 ms. */
	feed_hand(&s);
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	json_init(&w, c.f, JSON_NDJSON);
	json_begin_object(&w);
	json_kv_string(&w, "type", "summary");
	stats_json_fields(&w, &m);
	CHECK_EQ(json_end_object(&w), 0);
	CHECK_STR(unit_cap_text(&c),
		  "{\"type\":\"summary\",\"sent\":4,\"sent_bytes\":336,"
		  "\"received\":3,\"received_bytes\":252,\"duplicates\":1,"
		  "\"duplicate_bytes\":84,\"reordered\":1,\"icmp_errors\":1,"
		  "\"local_errors\":1,\"corrupted\":1,\"errors\":2,"
		  "\"echoed\":0,\"echoed_bytes\":0,\"rx_packets\":6,"
		  "\"rx_bytes\":476,\"lost\":1,\"loss_pct\":25.000,"
		  "\"rtt_count\":4,\"rtt_min_ms\":1.000,\"rtt_avg_ms\":2.375,"
		  "\"rtt_max_ms\":3.500,\"rtt_mdev_ms\":0.960,"
		  "\"rtt_stddev_ms\":1.109,\"rtt_last_ms\":3.500,"
		  "\"p50_ms\":2.007,\"p90_ms\":3.490,\"p99_ms\":3.490,"
		  "\"jitter_ms\":0.262,\"tx_time_s\":3.00000,"
		  "\"rx_time_s\":4.00000,\"elapsed_s\":4.00000,"
		  "\"tx_bytes_per_s\":112.00,\"tx_pkts_per_s\":1.33,"
		  "\"rx_bytes_per_s\":119.00,\"rx_pkts_per_s\":1.50}\n");
	unit_cap_close(&c);

	/* no reply: rtt members are null, the object is still complete */
	stats_init(&s);
	stats_sent(&s, 0, 84);
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	json_init(&w, c.f, 0);
	CHECK_EQ(stats_render_json(&w, &m), 0);
	CHECK(strstr(unit_cap_text(&c), "\"rtt_min_ms\":null,") != NULL);
	CHECK(strstr(unit_cap_text(&c), "\"jitter_ms\":null,") != NULL);
	CHECK(strstr(unit_cap_text(&c), "\"loss_pct\":100.000,") != NULL);
	unit_cap_close(&c);
}

/* --------------------------------------------------------------- Nagios */

UNIT_TEST(test_nagios_from_stats)
{
	struct stats s;
	struct stats_summary m;
	struct out_check chk = {{false, 0, 0}, {false, 0, 0}};
	struct unit_capture c;
	char err[128];
	int i;

	CHECK_EQ(out_check_parse(&chk, "warn=200,10% crit=500,20%", err,
				 sizeof(err)),
		 0);
	stats_init(&s);
	for (i = 0; i < 3; i++) {
		stats_sent(&s, i, 84);
		stats_reply(&s, i, (31 + 14 * i) * US, 84, (uint64_t)i);
	}
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	CHECK_EQ(stats_render_nagios(c.f, "PING", "127.0.0.1", &chk, &m),
		 OUT_OK);
	CHECK_STR(unit_cap_text(&c),
		  "PING OK - 127.0.0.1 rta 0.045ms lost 0%|"
		  "rta=0.045ms;200.000;500.000;0; pl=0%;10;20;0;100 "
		  "rtmin=0.031ms;;;0; rtmax=0.059ms;;;0;\n");
	unit_cap_close(&c);

	/* two more probes lost: 40 % loss >= crit 20 % */
	stats_sent(&s, 4, 84);
	stats_sent(&s, 5, 84);
	stats_summarize(&s, &m);
	unit_cap_open(&c);
	CHECK_EQ(stats_render_nagios(c.f, "PING", "127.0.0.1", &chk, &m),
		 OUT_CRITICAL);
	CHECK(strstr(unit_cap_text(&c), "PING CRITICAL - 127.0.0.1 rta 0.045ms "
				   "lost 40%|") == unit_cap_text(&c));
	unit_cap_close(&c);
}

/* ---------------------------------------------------------- OpenMetrics */

UNIT_TEST(test_openmetrics_targets)
{
	struct stats a, b;
	struct stats_summary ma, mb;
	struct out_metrics om;
	struct out_label la = {"target", "127.0.0.1"};
	struct out_label lb = {"target", "198.18.0.9"};
	struct stats_target t[2] = {{&la, 1, &ma}, {&lb, 1, &mb}};
	char dir[] = "/tmp/echolot-test-om.XXXXXX", path[128], text[8192];
	FILE *f;
	size_t n;

	CHECK(mkdtemp(dir) != NULL);
	snprintf(path, sizeof(path), "%s/ping.prom", dir);
	stats_init(&a);
	stats_sent(&a, 0, 84);
	stats_sent(&a, 1, 84);
	stats_reply(&a, 2, 2 * MS, 84, 0);
	stats_summarize(&a, &ma);
	stats_init(&b);
	stats_sent(&b, 0, 84);
	stats_summarize(&b, &mb);
	CHECK_EQ(out_metrics_open(&om, path), 0);
	CHECK_EQ(stats_render_openmetrics(&om, "echolot_ping", t, 2), 0);
	CHECK_EQ(out_metrics_commit(&om), 0);
	f = fopen(path, "r");
	CHECK(f != NULL);
	if (!f)
		return;
	n = fread(text, 1, sizeof(text) - 1, f);
	text[n] = '\0';
	fclose(f);
	/* both targets in the family, one after the other */
	CHECK(strstr(text, "# TYPE echolot_ping_packets_sent gauge\n"
			   "# HELP echolot_ping_packets_sent Probes sent in "
			   "the last run.\n"
			   "echolot_ping_packets_sent{target=\"127.0.0.1\"} 2\n"
			   "echolot_ping_packets_sent{target=\"198.18.0.9\"} "
			   "1\n") != NULL);
	CHECK(strstr(text, "echolot_ping_loss_ratio{target=\"127.0.0.1\"} "
			   "0.5\n") != NULL);
	CHECK(strstr(text, "echolot_ping_loss_ratio{target=\"198.18.0.9\"} "
			   "1\n") != NULL);
	CHECK(strstr(text, "# UNIT echolot_ping_rtt_avg_seconds seconds\n") !=
	      NULL);
	CHECK(strstr(text, "echolot_ping_rtt_avg_seconds{target=\"127.0.0.1\"}"
			   " 0.002\n") != NULL);
	/* no rtt sample for the target that never answered */
	CHECK(strstr(text, "rtt_avg_seconds{target=\"198.18.0.9\"}") == NULL);
	CHECK(strcmp(text + n - 6, "# EOF\n") == 0);
	unlink(path);
	rmdir(dir);
}

UNIT_MAIN(UNIT_CASE(test_counters_hand), UNIT_CASE(test_empty),
	  UNIT_CASE(test_reply_without_rtt), UNIT_CASE(test_reordered),
	  UNIT_CASE(test_mdev_reference), UNIT_CASE(test_iputils_fixture_c10),
	  UNIT_CASE(test_iputils_fixture_c20),
	  UNIT_CASE(test_iputils_fixture_c100),
	  UNIT_CASE(test_iputils_fixture_dup),
	  UNIT_CASE(test_iputils_fixture_loss),
	  UNIT_CASE(test_iputils_fixture_errors),
	  UNIT_CASE(test_iputils_fixture_ipg_ewma_pipe),
	  UNIT_CASE(test_iputils_extra_forms),
	  UNIT_CASE(test_iputils_sums_overflow),
	  UNIT_CASE(test_iputils_render_forms),
	  UNIT_CASE(test_histogram_random),
	  UNIT_CASE(test_histogram_adversarial_edges),
	  UNIT_CASE(test_histogram_adversarial_shapes),
	  UNIT_CASE(test_percentile_small_exact),
	  UNIT_CASE(test_histogram_overflow), UNIT_CASE(test_fixed_size),
	  UNIT_CASE(test_jitter_hand), UNIT_CASE(test_jitter_order),
	  UNIT_CASE(test_merge), UNIT_CASE(test_merge_jitter_and_empty),
	  UNIT_CASE(test_nping_block_vector_b),
	  UNIT_CASE(test_nping_block_vectors_a_d),
	  UNIT_CASE(test_nping_rates_adjusted),
	  UNIT_CASE(test_nping_bytes_and_loss), UNIT_CASE(test_extra_line),
	  UNIT_CASE(test_json_summary), UNIT_CASE(test_nagios_from_stats),
	  UNIT_CASE(test_openmetrics_targets))
