/*
 * stats - the accumulator, its summary and the closing reports.
 *
 * Three sets of rtt figures are kept side by side because the tools we are
 * compared with compute them differently and users compare digits:
 *   - Welford mean / M2 in double ns: our avg, mdev, stddev (and Nping's
 *     block, which prints rounded doubles);
 *   - integer microsecond sums: iputils truncates every rtt to whole
 *     microseconds and derives avg and mdev with integer arithmetic, so its
 *     line is reproduced digit for digit only from the same integers;
 *   - the histogram: percentiles.
 */
#include "stats.h"

#include <math.h>
#include <string.h>

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
}

/* ------------------------------------------------------------ histogram */

/* Bucket of v (>= 0), or -1 for the overflow bucket. */
static int hist_index(int64_t v)
{
	int e, sub;

	if (v < STATS_HIST_SUB)
		return (int)v;
	e = 63 - __builtin_clzll((unsigned long long)v);
	if (e >= STATS_HIST_MAX_EXP)
		return -1;
	sub = (int)((v >> (e - STATS_HIST_SUB_BITS)) & (STATS_HIST_SUB - 1));
	return STATS_HIST_SUB * (e - STATS_HIST_SUB_BITS + 1) + sub;
}

/* The middle of bucket idx: every integer in the bucket is within half a
 * bucket width, i.e. within 1/128 of the bucket's lower bound. */
static int64_t hist_estimate(int idx)
{
	int e, sub;
	int64_t lo, width;

	if (idx < STATS_HIST_SUB)
		return idx;
	e = idx / STATS_HIST_SUB - 1 + STATS_HIST_SUB_BITS;
	sub = idx % STATS_HIST_SUB;
	width = (int64_t)1 << (e - STATS_HIST_SUB_BITS);
	lo = (int64_t)(STATS_HIST_SUB + sub) << (e - STATS_HIST_SUB_BITS);
	return lo + (width - 1) / 2;
}

static void hist_add(struct stats_hist *h, int64_t v)
{
	int idx = hist_index(v);

	if (idx < 0)
		h->overflow++;
	else
		h->count[idx]++;
	h->total++;
}

int64_t stats_percentile(const struct stats *s, double p)
{
	const struct stats_hist *h = &s->hist;
	uint64_t rank, seen = 0;
	int64_t est;
	int i;

	if (h->total == 0 || !(p > 0.0) || p > 100.0)
		return -1;
	/* Nearest rank; the epsilon keeps 90 % of 10 at rank 9, not 10,
	 * when p * n / 100 lands a hair above an integer. */
	rank = (uint64_t)ceil(p * (double)h->total / 100.0 - 1e-9);
	if (rank < 1)
		rank = 1;
	if (rank > h->total)
		rank = h->total;
	for (i = 0; i < STATS_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			break;
	}
	est = i < STATS_HIST_BUCKETS ? hist_estimate(i) : s->rtt_max_ns;
	/* The true value lies within [min, max]: clamping only helps. */
	if (est < s->rtt_min_ns)
		est = s->rtt_min_ns;
	if (est > s->rtt_max_ns)
		est = s->rtt_max_ns;
	return est;
}

/* -------------------------------------------------------------- feeding */

void stats_sent(struct stats *s, int64_t t_ns, uint64_t bytes)
{
	if (s->sent == 0 || t_ns < s->first_send_ns)
		s->first_send_ns = t_ns;
	if (s->sent == 0 || t_ns > s->last_send_ns)
		s->last_send_ns = t_ns;
	s->sent++;
	s->sent_bytes += bytes;
}

static uint64_t rx_count(const struct stats *s)
{
	return s->received + s->dups + s->icmp_errors + s->corrupted;
}

/* Call before the counter of the new packet is incremented. */
static void note_rx_time(struct stats *s, int64_t t_ns)
{
	bool first = rx_count(s) == 0;

	if (first || t_ns < s->first_recv_ns)
		s->first_recv_ns = t_ns;
	if (first || t_ns > s->last_recv_ns)
		s->last_recv_ns = t_ns;
}

/* iputils keeps these sums in long long and lets them overflow; we keep
 * them exact while they fit and then say so. */
static void us_add(struct stats *s, int64_t sum, int64_t sum2)
{
	if (__builtin_add_overflow(s->us_sum, sum, &s->us_sum) ||
	    __builtin_add_overflow(s->us_sum2, sum2, &s->us_sum2))
		s->us_overflow = true;
}

static void add_rtt(struct stats *s, int64_t rtt_ns)
{
	int64_t us = rtt_ns / 1000, sq;
	double delta;

	if (s->rtt_n == 0 || rtt_ns < s->rtt_min_ns)
		s->rtt_min_ns = rtt_ns;
	if (s->rtt_n == 0 || rtt_ns > s->rtt_max_ns)
		s->rtt_max_ns = rtt_ns;
	if (s->rtt_n == 0 || us < s->us_min)
		s->us_min = us;
	if (s->rtt_n == 0 || us > s->us_max)
		s->us_max = us;
	if (__builtin_mul_overflow(us, us, &sq))
		s->us_overflow = true;
	else
		us_add(s, us, sq);

	/* iputils' ewma starts at the first sample (or again after a
	 * 0 us one, as it does) */
	if (s->ewma8_us == 0)
		s->ewma8_us = us * 8;
	else
		s->ewma8_us += us - s->ewma8_us / 8;

	/* RFC 3550 6.4.1: D is the change in transit time between two
	 * consecutive packets; J moves 1/16 of the way to |D|. */
	if (s->rtt_n > 0) {
		double d = fabs((double)(rtt_ns - s->prev_rtt_ns));

		s->jitter_ns += (d - s->jitter_ns) / 16.0;
		s->jitter_n++;
	}
	s->prev_rtt_ns = rtt_ns;
	s->rtt_last_ns = rtt_ns;

	s->rtt_n++;
	delta = (double)rtt_ns - s->rtt_mean_ns;
	s->rtt_mean_ns += delta / (double)s->rtt_n;
	s->rtt_m2 += delta * ((double)rtt_ns - s->rtt_mean_ns);

	hist_add(&s->hist, rtt_ns);
}

void stats_reply(struct stats *s, int64_t t_ns, int64_t rtt_ns, uint64_t bytes,
		 uint64_t seq)
{
	note_rx_time(s, t_ns);
	s->received++;
	s->received_bytes += bytes;
	if (seq != STATS_SEQ_NONE) {
		if (s->have_seq && seq < s->max_seq)
			s->reordered++;
		if (!s->have_seq || seq > s->max_seq)
			s->max_seq = seq;
		s->have_seq = true;
	}
	if (rtt_ns >= 0)
		add_rtt(s, rtt_ns);
}

void stats_dup(struct stats *s, int64_t t_ns, int64_t rtt_ns, uint64_t bytes)
{
	note_rx_time(s, t_ns);
	s->dups++;
	s->dup_bytes += bytes;
	if (rtt_ns >= 0)
		add_rtt(s, rtt_ns);
}

void stats_error(struct stats *s, int64_t t_ns, int kind, uint64_t bytes)
{
	switch (kind) {
	case STATS_ERR_ICMP:
		note_rx_time(s, t_ns);
		s->icmp_errors++;
		s->error_bytes += bytes;
		break;
	case STATS_ERR_CORRUPT:
		note_rx_time(s, t_ns);
		s->corrupted++;
		s->error_bytes += bytes;
		break;
	default:
		/* A local error received nothing: no rx time, no bytes. */
		s->local_errors++;
		break;
	}
}

void stats_echoed(struct stats *s, uint64_t bytes)
{
	s->echoed++;
	s->echoed_bytes += bytes;
}

void stats_end(struct stats *s, int64_t t_ns)
{
	s->end_ns = t_ns;
	s->have_end = true;
}

/* -------------------------------------------------------------- merging */

static void merge_times(struct stats *dst, const struct stats *src,
			uint64_t dst_rx, uint64_t src_rx)
{
	if (src->sent > 0) {
		if (dst->sent == 0 || src->first_send_ns < dst->first_send_ns)
			dst->first_send_ns = src->first_send_ns;
		if (dst->sent == 0 || src->last_send_ns > dst->last_send_ns)
			dst->last_send_ns = src->last_send_ns;
	}
	if (src_rx > 0) {
		if (dst_rx == 0 || src->first_recv_ns < dst->first_recv_ns)
			dst->first_recv_ns = src->first_recv_ns;
		if (dst_rx == 0 || src->last_recv_ns > dst->last_recv_ns)
			dst->last_recv_ns = src->last_recv_ns;
	}
	if (src->have_end && (!dst->have_end || src->end_ns > dst->end_ns)) {
		dst->end_ns = src->end_ns;
		dst->have_end = true;
	}
}

static void merge_rtt(struct stats *dst, const struct stats *src)
{
	uint64_t n = dst->rtt_n + src->rtt_n;
	double delta, na = (double)dst->rtt_n, nb = (double)src->rtt_n;
	int i;

	if (src->rtt_n == 0)
		return;
	if (dst->rtt_n == 0 || src->rtt_min_ns < dst->rtt_min_ns)
		dst->rtt_min_ns = src->rtt_min_ns;
	if (dst->rtt_n == 0 || src->rtt_max_ns > dst->rtt_max_ns)
		dst->rtt_max_ns = src->rtt_max_ns;
	if (dst->rtt_n == 0 || src->us_min < dst->us_min)
		dst->us_min = src->us_min;
	if (dst->rtt_n == 0 || src->us_max > dst->us_max)
		dst->us_max = src->us_max;
	dst->us_overflow |= src->us_overflow;
	us_add(dst, src->us_sum, src->us_sum2);

	/* Chan et al.'s pairwise combination of mean and M2. */
	delta = src->rtt_mean_ns - dst->rtt_mean_ns;
	dst->rtt_m2 += src->rtt_m2 + delta * delta * na * nb / (double)n;
	dst->rtt_mean_ns += delta * nb / (double)n;

	if (dst->jitter_n + src->jitter_n > 0)
		dst->jitter_ns = (dst->jitter_ns * (double)dst->jitter_n +
				  src->jitter_ns * (double)src->jitter_n) /
				 (double)(dst->jitter_n + src->jitter_n);
	dst->jitter_n += src->jitter_n;
	/* "last" is the source's: merging is done in time order (hop
	 * after hop, cycle after cycle). */
	dst->rtt_last_ns = src->rtt_last_ns;
	dst->ewma8_us = src->ewma8_us;
	dst->prev_rtt_ns = src->prev_rtt_ns;
	dst->rtt_n = n;

	for (i = 0; i < STATS_HIST_BUCKETS; i++)
		dst->hist.count[i] += src->hist.count[i];
	dst->hist.overflow += src->hist.overflow;
	dst->hist.total += src->hist.total;
}

void stats_merge(struct stats *dst, const struct stats *src)
{
	merge_times(dst, src, rx_count(dst), rx_count(src));
	merge_rtt(dst, src);
	if (src->have_seq) {
		if (!dst->have_seq || src->max_seq > dst->max_seq)
			dst->max_seq = src->max_seq;
		dst->have_seq = true;
	}
	dst->sent += src->sent;
	dst->sent_bytes += src->sent_bytes;
	dst->received += src->received;
	dst->received_bytes += src->received_bytes;
	dst->dups += src->dups;
	dst->dup_bytes += src->dup_bytes;
	dst->reordered += src->reordered;
	dst->icmp_errors += src->icmp_errors;
	dst->local_errors += src->local_errors;
	dst->corrupted += src->corrupted;
	dst->error_bytes += src->error_bytes;
	dst->echoed += src->echoed;
	dst->echoed_bytes += src->echoed_bytes;
}

/* ------------------------------------------------------------- summary */

/* floor(sqrt(v)) for v >= 0, exact for all int64 (iputils' mdev is the
 * integer square root of an integer variance). */
static int64_t isqrt64(int64_t v)
{
	int64_t r;

	if (v <= 0)
		return 0;
	r = (int64_t)sqrt((double)v);
	while (r > 0 && r * r > v)
		r--;
	while ((r + 1) * (r + 1) <= v)
		r++;
	return r;
}

/* iputils' avg and mdev over n samples, from integer microsecond sums,
 * with its order of operations (it divides tsum^2 by n first while the
 * sum is small, which keeps small rtts from rounding to nothing). */
static void iputils_figures(const struct stats *s, struct stats_summary *m)
{
	int64_t n = (int64_t)s->rtt_n;
	int64_t avg = s->us_sum / n, var;

	m->ip_min_us = s->us_min;
	m->ip_max_us = s->us_max;
	m->ip_ewma_us = s->ewma8_us / 8;
	if (s->us_overflow) {
		m->ip_avg_us = (int64_t)(s->rtt_mean_ns / 1000);
		m->ip_mdev_us = (int64_t)(sqrt(s->rtt_m2 / (double)n) / 1000);
		return;
	}
	if (s->us_sum < 2147483647)
		var = (s->us_sum2 - (s->us_sum * s->us_sum) / n) / n;
	else
		var = s->us_sum2 / n - avg * avg;
	m->ip_avg_us = avg;
	m->ip_mdev_us = isqrt64(var);
}

static void summarize_rtt(const struct stats *s, struct stats_summary *m)
{
	m->rtt_count = s->rtt_n;
	m->have_rtt = s->rtt_n > 0;
	if (!m->have_rtt) {
		m->p50_ns = m->p90_ns = m->p99_ns = -1;
		return;
	}
	m->rtt_min_ns = s->rtt_min_ns;
	m->rtt_max_ns = s->rtt_max_ns;
	m->rtt_last_ns = s->rtt_last_ns;
	m->rtt_avg_ns = s->rtt_mean_ns;
	/* M2 / n is mean(rtt^2) - mean(rtt)^2, without the cancellation. */
	m->rtt_mdev_ns = sqrt(s->rtt_m2 / (double)s->rtt_n);
	m->rtt_stddev_ns =
		s->rtt_n > 1 ? sqrt(s->rtt_m2 / (double)(s->rtt_n - 1)) : 0.0;
	m->p50_ns = stats_percentile(s, 50.0);
	m->p90_ns = stats_percentile(s, 90.0);
	m->p99_ns = stats_percentile(s, 99.0);
	m->jitter_ns = s->jitter_ns;
	iputils_figures(s, m);
}

static void summarize_times(const struct stats *s, struct stats_summary *m)
{
	int64_t last;

	if (s->sent == 0)
		return;
	m->tx_time_ns = s->last_send_ns - s->first_send_ns;
	if (s->have_end)
		last = s->end_ns;
	else if (m->rx_packets > 0)
		last = s->last_recv_ns;
	else
		last = s->last_send_ns;
	m->rx_time_ns = last - s->first_send_ns;
	if (m->rx_time_ns < 0)
		m->rx_time_ns = 0;
	if (!s->have_end && m->rx_packets > 0 && s->last_send_ns > last)
		last = s->last_send_ns;
	m->elapsed_ns = last - s->first_send_ns;
	if (m->elapsed_ns < 0)
		m->elapsed_ns = 0;
	if (s->sent > 1)
		m->ip_ipg_us = m->elapsed_ns / 1000 / (int64_t)(s->sent - 1);
}

void stats_summary_rates(struct stats_summary *m)
{
	double tx = (double)m->tx_time_ns / 1e9,
	       rx = (double)m->rx_time_ns / 1e9;

	m->tx_bytes_per_s = tx > 0 ? (double)m->sent_bytes / tx : 0.0;
	m->tx_pkts_per_s = tx > 0 ? (double)m->sent / tx : 0.0;
	m->rx_bytes_per_s = rx > 0 ? (double)m->rx_bytes / rx : 0.0;
	m->rx_pkts_per_s = rx > 0 ? (double)m->rx_packets / rx : 0.0;
}

void stats_summarize(const struct stats *s, struct stats_summary *m)
{
	memset(m, 0, sizeof(*m));
	m->sent = s->sent;
	m->sent_bytes = s->sent_bytes;
	m->received = s->received;
	m->received_bytes = s->received_bytes;
	m->dups = s->dups;
	m->dup_bytes = s->dup_bytes;
	m->reordered = s->reordered;
	m->icmp_errors = s->icmp_errors;
	m->local_errors = s->local_errors;
	m->corrupted = s->corrupted;
	m->error_bytes = s->error_bytes;
	m->errors = s->icmp_errors + s->local_errors;
	m->echoed = s->echoed;
	m->echoed_bytes = s->echoed_bytes;
	m->rx_packets = rx_count(s);
	m->rx_bytes = s->received_bytes + s->dup_bytes + s->error_bytes;
	m->lost = s->sent > s->received ? s->sent - s->received : 0;
	m->loss_pct = s->sent ? 100.0 * (double)m->lost / (double)s->sent : 0;
	summarize_rtt(s, m);
	summarize_times(s, m);
	stats_summary_rates(m);
}
