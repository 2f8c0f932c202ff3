/*
 * stats - one fixed-size accumulator for every subcommand's timing and
 * counting, a summary computed from it, and the closing reports rendered
 * from that summary (iputils' two lines, the Nping block, JSON, Nagios,
 * OpenMetrics).
 *
 * struct stats holds no pointers and never allocates: memory is the same
 * after ten samples or ten million (the percentiles come from a
 * log-bucketed histogram). It is plain data, so it can live on the stack,
 * in an array per hop or per target, and be merged into totals.
 *
 * Times are int64 nanoseconds. Send and receive times may be on any clock
 * as long as one accumulator uses one clock; rtts come from the caller
 * (kernel receive timestamp minus send time).
 *
 * Feeding it:
 *   stats_init(&st);
 *   stats_sent(&st, t_send, 84);                  every probe sent
 *   stats_reply(&st, t_recv, rtt, 84, seq);       first reply to a probe
 *   stats_dup(&st, t_recv, rtt, 84);              a further reply (DUP!)
 *   stats_error(&st, t, STATS_ERR_ICMP, 56);      time exceeded, unreach...
 *   stats_end(&st, t_end);                        the run is over
 *   stats_summarize(&st, &sum);  stats_render_iputils(stdout, &sum);
 */
#ifndef ECHOLOT_STATS_H
#define ECHOLOT_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "output.h"

/*
 * Histogram layout (HDR-style): values below 2^SUB_BITS ns get a bucket
 * each; above, every power-of-two octave [2^e, 2^(e+1)) is split into
 * 2^SUB_BITS equal buckets, so a bucket is at most 1/64 of its lower bound
 * wide and its midpoint is within 1/128 (0.78 %) of any value in it.
 * Octaves run up to 2^STATS_HIST_MAX_EXP ns (about 1100 s); larger rtts
 * land in an overflow bucket whose estimate is the exact maximum.
 */
#define STATS_HIST_SUB_BITS 6
#define STATS_HIST_SUB (1 << STATS_HIST_SUB_BITS)
#define STATS_HIST_MAX_EXP 40
#define STATS_HIST_BUCKETS                                                     \
	(STATS_HIST_SUB * (STATS_HIST_MAX_EXP - STATS_HIST_SUB_BITS + 1))

struct stats_hist {
	uint64_t count[STATS_HIST_BUCKETS];
	uint64_t overflow; /* samples >= 2^STATS_HIST_MAX_EXP ns */
	uint64_t total;
};

/* Sequence number to pass when replies carry none (TCP connect ...). */
#define STATS_SEQ_NONE UINT64_MAX

/* stats_error kinds */
enum stats_err {
	STATS_ERR_ICMP,	   /* ICMP error quoting our probe (iputils "errors") */
	STATS_ERR_LOCAL,   /* send failed, local error (also "errors") */
	STATS_ERR_CORRUPT, /* reply that failed its checks ("corrupted") */
};

struct stats {
	/* sent */
	uint64_t sent, sent_bytes;
	int64_t first_send_ns, last_send_ns;
	/* first replies (unique) */
	uint64_t received, received_bytes;
	int64_t first_recv_ns, last_recv_ns; /* any packet received */
	/* further replies to an answered probe */
	uint64_t dups, dup_bytes;
	/* replies whose seq is below the highest seq already answered */
	uint64_t reordered;
	uint64_t max_seq;
	bool have_seq;
	/* errors */
	uint64_t icmp_errors, local_errors, corrupted, error_bytes;
	/* NEP: copies of our probes the echo server captured */
	uint64_t echoed, echoed_bytes;
	/* stats_end */
	int64_t end_ns;
	bool have_end;

	/* rtt, over every reply with a time (duplicates included, as
	 * iputils does) */
	uint64_t rtt_n;
	int64_t rtt_min_ns, rtt_max_ns, rtt_last_ns;
	double rtt_mean_ns, rtt_m2; /* Welford: mean and sum of squared
				     * deviations, for mdev/stddev */
	/* iputils' own integer-microsecond sums, so its summary line comes
	 * out exactly as ping prints it */
	int64_t us_sum, us_sum2, us_min, us_max;
	int64_t ewma8_us; /* iputils' ewma of the rtt, times 8, in us */
	bool us_overflow; /* sums overflowed (rtts of minutes, millions of
			   * times): the double figures stand in */
	/* RFC 3550 interarrival jitter over consecutive replies */
	double jitter_ns;
	int64_t prev_rtt_ns;
	uint64_t jitter_n; /* transit differences folded in */

	struct stats_hist hist;
};

void stats_init(struct stats *s);

/* A probe of `bytes` bytes left at t_ns. */
void stats_sent(struct stats *s, int64_t t_ns, uint64_t bytes);

/*
 * The first reply to a probe arrived at t_ns. rtt_ns < 0: no rtt known
 * (counted, but outside the rtt figures). seq: the probe's position in
 * send order, unwrapped by the caller (ping's 16-bit icmp_seq must be made
 * monotonic), or STATS_SEQ_NONE.
 */
void stats_reply(struct stats *s, int64_t t_ns, int64_t rtt_ns, uint64_t bytes,
		 uint64_t seq);

/* A further reply to a probe that was already answered. */
void stats_dup(struct stats *s, int64_t t_ns, int64_t rtt_ns, uint64_t bytes);

/* An error about one of our probes (kind: enum stats_err). */
void stats_error(struct stats *s, int64_t t_ns, int kind, uint64_t bytes);

/* NEP: the server echoed back a probe of `bytes` bytes as it captured it. */
void stats_echoed(struct stats *s, uint64_t bytes);

/* The run ended at t_ns (after the last wait): Rx time and the iputils
 * "time" run up to here. */
void stats_end(struct stats *s, int64_t t_ns);

/* Adds src into dst (per-target or per-hop totals). Counters and
 * histograms add, times take the outer bounds, mean/mdev combine exactly
 * (Chan et al.); jitter, which has no exact merge, becomes the mean of
 * both weighted by their counts. */
void stats_merge(struct stats *dst, const struct stats *src);

/* The rtt at percentile p (0 < p <= 100) in ns: nearest rank (the
 * smallest sample with at least p % of samples at or below it), estimated
 * from the histogram within 1/128 relative error. -1 without samples. */
int64_t stats_percentile(const struct stats *s, double p);

/* Everything a renderer shows, computed once. */
struct stats_summary {
	uint64_t sent, sent_bytes;
	uint64_t received, received_bytes; /* unique replies */
	uint64_t dups, dup_bytes, reordered;
	uint64_t icmp_errors, local_errors, corrupted, error_bytes;
	uint64_t errors; /* icmp_errors + local_errors (iputils "+N errors") */
	uint64_t echoed, echoed_bytes;
	/* every packet that came back (replies, dups, ICMP errors): what
	 * Nping calls Rcvd */
	uint64_t rx_packets, rx_bytes;
	uint64_t lost;	 /* sent - received, never negative */
	double loss_pct; /* 100 * lost / sent; 0 when nothing was sent */

	bool have_rtt;
	uint64_t rtt_count;
	int64_t rtt_min_ns, rtt_max_ns, rtt_last_ns;
	double rtt_avg_ns;
	double rtt_mdev_ns;   /* sqrt(mean(rtt^2) - mean(rtt)^2), iputils */
	double rtt_stddev_ns; /* sample standard deviation (n - 1), mtr */
	int64_t p50_ns, p90_ns, p99_ns;
	double jitter_ns; /* RFC 3550 */

	/* iputils' figures in integer microseconds (truncated like it) */
	int64_t ip_min_us, ip_avg_us, ip_max_us, ip_mdev_us;
	/* its "ipg/ewma": mean gap between sends over the run time, and the
	 * moving average of the rtt (weight 1/8) */
	int64_t ip_ipg_us, ip_ewma_us;

	/* Tx: first to last send. Rx: first send to the end of the run
	 * (stats_end) or else to the last packet received. elapsed: first
	 * send to the last thing seen; iputils' "time". Callers may adjust
	 * these before rendering (e.g. to the run's start). */
	int64_t tx_time_ns, rx_time_ns, elapsed_ns;
	double tx_bytes_per_s, tx_pkts_per_s; /* 0 when tx_time is 0 */
	double rx_bytes_per_s, rx_pkts_per_s;
};

void stats_summarize(const struct stats *s, struct stats_summary *sum);

/* Recomputes the rates after a caller changed tx/rx_time_ns. */
void stats_summary_rates(struct stats_summary *sum);

/*
 * iputils ping's closing two lines (the "--- host ping statistics ---"
 * header is the caller's):
 *   3 packets transmitted, 3 received, 0% packet loss, time 2003ms
 *   rtt min/avg/max/mdev = 0.031/0.045/0.061/0.012 ms
 * with ", +N duplicates", ", +N corrupted", ", +N errors" where iputils
 * puts them; the rtt line only when some reply had a time.
 */
int stats_render_iputils(FILE *f, const struct stats_summary *sum);

/* What iputils adds to its rtt line in some modes; ping knows them. */
struct stats_iputils_extra {
	int pipe; /* most probes in flight at once; shown when > 1 */
	bool ipg; /* ", ipg/ewma X/Y ms": iputils shows it with -f and -A */
};

/* As stats_render_iputils, with ", pipe N" and ", ipg/ewma ..." after
 * the rtt line's " ms" (x may be NULL). */
int stats_render_iputils_ex(FILE *f, const struct stats_summary *sum,
			    const struct stats_iputils_extra *x);

/* stats_render_nping flags */
#define STATS_NPING_ECHOED 0x1 /* "| Echoed: N (NB) " (nep-client) */
/* Tx/Rx time lines (nping prints them with -v) */
#define STATS_NPING_TIMES 0x2
#define STATS_NPING_EXTRA 0x4 /* our Percentiles line */

/*
 * The Nping block (the " " separator line before it is the caller's):
 *   Max rtt: 0.061ms | Min rtt: 0.031ms | Avg rtt: 0.045ms
 *   Raw packets sent: 3 (84B) | Rcvd: 3 (84B) | Lost: 0 (0.00%)
 *   Tx time: 2.00340s | Tx bytes/s: 59.90 | Tx pkts/s: 1.50
 *   Rx time: 3.00489s | Rx bytes/s: 39.93 | Rx pkts/s: 1.00
 *   Percentiles: p50 0.045ms | p90 0.060ms | p99 0.061ms | Jitter: ...
 * (the last line is ours; in full it ends "| Jitter: 0.010ms | Mdev:
 * 0.012ms"). "N/A" for rtts when
 * nothing came back; byte counts as nping formats them: 999B, then
 * decimal KB/MB/GB with three decimals (1.000KB, 41.120KB, 1.428MB).
 */
int stats_render_nping(FILE *f, const struct stats_summary *sum,
		       unsigned flags);

/* Just the Percentiles line (for callers printing their own blocks). */
int stats_render_extra(FILE *f, const struct stats_summary *sum);

/*
 * The summary's figures as members of the JSON object the caller has
 * open (so it can add "target", "type" ... around them). Counters as
 * integers, times in ms with 3 decimals (rtt_min_ms, rtt_avg_ms, ...,
 * p50_ms, jitter_ms, tx_time_s ...), rtt members null without replies.
 * The member list is documented in stats.c and stays stable.
 */
int stats_json_fields(struct json_writer *w, const struct stats_summary *sum);

/* The same as one complete object {...}. */
int stats_render_json(struct json_writer *w, const struct stats_summary *sum);

/* One target's figures for stats_render_openmetrics. */
struct stats_target {
	const struct out_label *labels; /* e.g. target="127.0.0.1" */
	size_t nlabels;
	const struct stats_summary *sum;
};

/*
 * Gauges "<prefix>_packets_sent", "_packets_received", "_loss_ratio",
 * "_rtt_min_seconds", "_rtt_avg_seconds", "_rtt_max_seconds",
 * "_rtt_mdev_seconds", "_rtt_seconds{quantile=...}", "_jitter_seconds"
 * ..., one sample per target with its labels. Families are written one
 * after the other with all targets in each, as OpenMetrics requires (a
 * family's samples must not be interleaved with another's). rtt samples
 * are left out for a target without replies. Returns < 0 on error.
 */
int stats_render_openmetrics(struct out_metrics *m, const char *prefix,
			     const struct stats_target *targets, size_t n);

/*
 * Judges sum against c (out_check_eval on rta and loss) and prints the
 * Nagios line for service/host. Returns the state (0..3) or < 0 when the
 * line could not be written.
 */
int stats_render_nagios(FILE *f, const char *service, const char *host,
			const struct out_check *c,
			const struct stats_summary *sum);

#endif
