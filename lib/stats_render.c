/*
 * stats_render - the closing reports, all functions of a finished
 * struct stats_summary: iputils' lines, the Nping block, JSON, Nagios and
 * OpenMetrics.
 */
#include "stats.h"

#include <inttypes.h>
#include <string.h>

#define NS_PER_MS 1e6
#define NS_PER_S 1e9

/* ------------------------------------------------------------- iputils */

/* iputils prints the loss with %g of a float: 33.3333, 25, 100. */
static int iputils_first_line(FILE *f, const struct stats_summary *m)
{
	int64_t us = m->elapsed_ns / 1000;

	if (fprintf(f, "%" PRIu64 " packets transmitted, %" PRIu64 " received",
		    m->sent, m->received) < 0)
		return -1;
	if (m->dups && fprintf(f, ", +%" PRIu64 " duplicates", m->dups) < 0)
		return -1;
	if (m->corrupted &&
	    fprintf(f, ", +%" PRIu64 " corrupted", m->corrupted) < 0)
		return -1;
	if (m->errors && fprintf(f, ", +%" PRIu64 " errors", m->errors) < 0)
		return -1;
	if (m->sent) {
		float loss = (float)((double)m->lost * 100.0 / (double)m->sent);

		/* The run time in ms, rounded from whole microseconds. */
		if (fprintf(f, ", %g%% packet loss, time %" PRId64 "ms",
			    (double)loss, (us + 500) / 1000) < 0)
			return -1;
	}
	return fputc('\n', f) == EOF ? -1 : 0;
}

/* ", pipe N" and ", ipg/ewma"; the comma only after something. */
static int iputils_tail(FILE *f, const struct stats_summary *m,
			const struct stats_iputils_extra *x, bool comma)
{
	bool ipg = x && x->ipg && m->have_rtt && m->sent > 1;

	if (x && x->pipe > 1) {
		if (fprintf(f, "%spipe %d", comma ? ", " : "", x->pipe) < 0)
			return -1;
		comma = true;
	}
	if (ipg &&
	    fprintf(f,
		    "%sipg/ewma %" PRId64 ".%03" PRId64 "/%" PRId64
		    ".%03" PRId64 " ms",
		    comma ? ", " : "", m->ip_ipg_us / 1000, m->ip_ipg_us % 1000,
		    m->ip_ewma_us / 1000, m->ip_ewma_us % 1000) < 0)
		return -1;
	/* comma is set exactly when something is on the line */
	if (comma && fputc('\n', f) == EOF)
		return -1;
	return 0;
}

int stats_render_iputils(FILE *f, const struct stats_summary *m)
{
	return stats_render_iputils_ex(f, m, NULL);
}

int stats_render_iputils_ex(FILE *f, const struct stats_summary *m,
			    const struct stats_iputils_extra *x)
{
	if (iputils_first_line(f, m) < 0)
		return -1;
	if (!m->have_rtt)
		return iputils_tail(f, m, x, false);
	/* Whole microseconds shown as ms: truncated, not rounded. */
	if (fprintf(f,
		    "rtt min/avg/max/mdev = %" PRId64 ".%03" PRId64 "/%" PRId64
		    ".%03" PRId64 "/%" PRId64 ".%03" PRId64 "/%" PRId64
		    ".%03" PRId64 " ms",
		    m->ip_min_us / 1000, m->ip_min_us % 1000,
		    m->ip_avg_us / 1000, m->ip_avg_us % 1000,
		    m->ip_max_us / 1000, m->ip_max_us % 1000,
		    m->ip_mdev_us / 1000, m->ip_mdev_us % 1000) < 0)
		return -1;
	return iputils_tail(f, m, x, true);
}

/* --------------------------------------------------------------- Nping */

/* Nping's byte counts: decimal units (1000, not 1024), three decimals. */
static void nping_bytes(char *buf, size_t len, uint64_t b)
{
	if (b < 1000)
		snprintf(buf, len, "%" PRIu64 "B", b);
	else if (b < 1000000)
		snprintf(buf, len, "%.3fKB", (double)b / 1e3);
	else if (b < 1000000000)
		snprintf(buf, len, "%.3fMB", (double)b / 1e6);
	else
		snprintf(buf, len, "%.3fGB", (double)b / 1e9);
}

static int nping_rtt_line(FILE *f, const struct stats_summary *m)
{
	if (!m->have_rtt)
		return fputs("Max rtt: N/A | Min rtt: N/A | Avg rtt: N/A\n",
			     f) == EOF
			       ? -1
			       : 0;
	return fprintf(f,
		       "Max rtt: %.3fms | Min rtt: %.3fms | Avg rtt: %.3fms\n",
		       (double)m->rtt_max_ns / NS_PER_MS,
		       (double)m->rtt_min_ns / NS_PER_MS,
		       m->rtt_avg_ns / NS_PER_MS) < 0
		       ? -1
		       : 0;
}

/* Nping's "Lost" is the probes that got nothing back at all; an ICMP
 * error is an answer to it (a UDP probe's port unreachable). */
static int nping_packets_line(FILE *f, const struct stats_summary *m,
			      unsigned flags)
{
	char sb[32], rb[32], eb[32];
	uint64_t answered = m->received + m->icmp_errors;
	uint64_t lost = m->sent > answered ? m->sent - answered : 0;
	double pct = m->sent ? 100.0 * (double)lost / (double)m->sent : 0.0;

	nping_bytes(sb, sizeof(sb), m->sent_bytes);
	nping_bytes(rb, sizeof(rb), m->rx_bytes);
	if (fprintf(f,
		    "Raw packets sent: %" PRIu64 " (%s) | Rcvd: %" PRIu64
		    " (%s) | Lost: %" PRIu64 " (%.2f%%)",
		    m->sent, sb, m->rx_packets, rb, lost, pct) < 0)
		return -1;
	/* Nping writes this part without a space before the bar and with
	 * one after the bytes. */
	if (flags & STATS_NPING_ECHOED) {
		nping_bytes(eb, sizeof(eb), m->echoed_bytes);
		if (fprintf(f, "| Echoed: %" PRIu64 " (%s) ", m->echoed, eb) <
		    0)
			return -1;
	}
	return fputc('\n', f) == EOF ? -1 : 0;
}

static int nping_times(FILE *f, const struct stats_summary *m)
{
	if (fprintf(f, "Tx time: %.5fs | Tx bytes/s: %.2f | Tx pkts/s: %.2f\n",
		    (double)m->tx_time_ns / NS_PER_S, m->tx_bytes_per_s,
		    m->tx_pkts_per_s) < 0)
		return -1;
	if (fprintf(f, "Rx time: %.5fs | Rx bytes/s: %.2f | Rx pkts/s: %.2f\n",
		    (double)m->rx_time_ns / NS_PER_S, m->rx_bytes_per_s,
		    m->rx_pkts_per_s) < 0)
		return -1;
	return 0;
}

int stats_render_extra(FILE *f, const struct stats_summary *m)
{
	if (!m->have_rtt)
		return fputs("Percentiles: p50 N/A | p90 N/A | p99 N/A | "
			     "Jitter: N/A | Mdev: N/A\n",
			     f) == EOF
			       ? -1
			       : 0;
	return fprintf(f,
		       "Percentiles: p50 %.3fms | p90 %.3fms | p99 %.3fms | "
		       "Jitter: %.3fms | Mdev: %.3fms\n",
		       (double)m->p50_ns / NS_PER_MS,
		       (double)m->p90_ns / NS_PER_MS,
		       (double)m->p99_ns / NS_PER_MS, m->jitter_ns / NS_PER_MS,
		       m->rtt_mdev_ns / NS_PER_MS) < 0
		       ? -1
		       : 0;
}

int stats_render_nping(FILE *f, const struct stats_summary *m, unsigned flags)
{
	if (nping_rtt_line(f, m) < 0 || nping_packets_line(f, m, flags) < 0)
		return -1;
	if ((flags & STATS_NPING_TIMES) && nping_times(f, m) < 0)
		return -1;
	if ((flags & STATS_NPING_EXTRA) && stats_render_extra(f, m) < 0)
		return -1;
	return 0;
}

/* ---------------------------------------------------------------- JSON */

/* An rtt in ms, or null when there is none. */
static void json_ms(struct json_writer *w, const char *key, bool have,
		    double ns)
{
	if (have)
		json_kv_double(w, key, ns / NS_PER_MS, 3);
	else
		json_kv_null(w, key);
}

/*
 * Members, in this order (the schema scripts rely on; add, never rename):
 *   sent sent_bytes received received_bytes duplicates duplicate_bytes
 *   reordered icmp_errors local_errors corrupted errors echoed
 *   echoed_bytes rx_packets rx_bytes lost loss_pct       (integers; pct 3dp)
 *   rtt_count rtt_min_ms rtt_avg_ms rtt_max_ms rtt_mdev_ms rtt_stddev_ms
 *   rtt_last_ms p50_ms p90_ms p99_ms jitter_ms       (ms 3dp, null if none)
 *   tx_time_s rx_time_s elapsed_s (5dp) tx_bytes_per_s tx_pkts_per_s
 *   rx_bytes_per_s rx_pkts_per_s (2dp)
 */
int stats_json_fields(struct json_writer *w, const struct stats_summary *m)
{
	bool r = m->have_rtt;

	json_kv_uint(w, "sent", m->sent);
	json_kv_uint(w, "sent_bytes", m->sent_bytes);
	json_kv_uint(w, "received", m->received);
	json_kv_uint(w, "received_bytes", m->received_bytes);
	json_kv_uint(w, "duplicates", m->dups);
	json_kv_uint(w, "duplicate_bytes", m->dup_bytes);
	json_kv_uint(w, "reordered", m->reordered);
	json_kv_uint(w, "icmp_errors", m->icmp_errors);
	json_kv_uint(w, "local_errors", m->local_errors);
	json_kv_uint(w, "corrupted", m->corrupted);
	json_kv_uint(w, "errors", m->errors);
	json_kv_uint(w, "echoed", m->echoed);
	json_kv_uint(w, "echoed_bytes", m->echoed_bytes);
	json_kv_uint(w, "rx_packets", m->rx_packets);
	json_kv_uint(w, "rx_bytes", m->rx_bytes);
	json_kv_uint(w, "lost", m->lost);
	json_kv_double(w, "loss_pct", m->loss_pct, 3);
	json_kv_uint(w, "rtt_count", m->rtt_count);
	json_ms(w, "rtt_min_ms", r, (double)m->rtt_min_ns);
	json_ms(w, "rtt_avg_ms", r, m->rtt_avg_ns);
	json_ms(w, "rtt_max_ms", r, (double)m->rtt_max_ns);
	json_ms(w, "rtt_mdev_ms", r, m->rtt_mdev_ns);
	json_ms(w, "rtt_stddev_ms", r, m->rtt_stddev_ns);
	json_ms(w, "rtt_last_ms", r, (double)m->rtt_last_ns);
	json_ms(w, "p50_ms", r, (double)m->p50_ns);
	json_ms(w, "p90_ms", r, (double)m->p90_ns);
	json_ms(w, "p99_ms", r, (double)m->p99_ns);
	json_ms(w, "jitter_ms", r, m->jitter_ns);
	json_kv_double(w, "tx_time_s", (double)m->tx_time_ns / NS_PER_S, 5);
	json_kv_double(w, "rx_time_s", (double)m->rx_time_ns / NS_PER_S, 5);
	json_kv_double(w, "elapsed_s", (double)m->elapsed_ns / NS_PER_S, 5);
	json_kv_double(w, "tx_bytes_per_s", m->tx_bytes_per_s, 2);
	json_kv_double(w, "tx_pkts_per_s", m->tx_pkts_per_s, 2);
	json_kv_double(w, "rx_bytes_per_s", m->rx_bytes_per_s, 2);
	json_kv_double(w, "rx_pkts_per_s", m->rx_pkts_per_s, 2);
	return json_status(w);
}

int stats_render_json(struct json_writer *w, const struct stats_summary *m)
{
	if (json_begin_object(w) < 0 || stats_json_fields(w, m) < 0)
		return json_status(w);
	return json_end_object(w);
}

/* -------------------------------------------------------------- Nagios */

int stats_render_nagios(FILE *f, const char *service, const char *host,
			const struct out_check *c,
			const struct stats_summary *m)
{
	struct out_nagios n = {
		.service = service,
		.host = host,
		.have_rtt = m->have_rtt,
		.rta_ms = m->rtt_avg_ns / NS_PER_MS,
		.rtmin_ms = (double)m->rtt_min_ns / NS_PER_MS,
		.rtmax_ms = (double)m->rtt_max_ns / NS_PER_MS,
		.loss_pct = m->loss_pct,
	};
	int state =
		out_check_eval(c, m->sent, n.have_rtt, n.rta_ms, n.loss_pct);

	if (out_nagios_line(f, &n, c, state) < 0)
		return -1;
	return state;
}

/* --------------------------------------------------------- OpenMetrics */

/* One gauge family: how to get a target's value (false: no sample). */
struct om_family {
	const char *suffix, *unit, *help;
	bool (*get)(const struct stats_summary *m, double *v);
};

#define OM_COUNT(fn, field)                                                    \
	static bool fn(const struct stats_summary *m, double *v)               \
	{                                                                      \
		*v = (double)m->field;                                         \
		return true;                                                   \
	}
#define OM_RTT(fn, expr)                                                       \
	static bool fn(const struct stats_summary *m, double *v)               \
	{                                                                      \
		*v = (double)(expr) / NS_PER_S;                                \
		return m->have_rtt;                                            \
	}

OM_COUNT(om_sent, sent)
OM_COUNT(om_received, received)
OM_COUNT(om_dups, dups)
OM_COUNT(om_errors, errors)
OM_RTT(om_min, m->rtt_min_ns)
OM_RTT(om_avg, m->rtt_avg_ns)
OM_RTT(om_max, m->rtt_max_ns)
OM_RTT(om_mdev, m->rtt_mdev_ns)
OM_RTT(om_p50, m->p50_ns)
OM_RTT(om_p90, m->p90_ns)
OM_RTT(om_p99, m->p99_ns)
OM_RTT(om_jitter, m->jitter_ns)

static bool om_loss(const struct stats_summary *m, double *v)
{
	*v = m->loss_pct / 100.0;
	return m->sent > 0;
}

static const struct om_family om_families[] = {
	{"_packets_sent", NULL, "Probes sent in the last run.", om_sent},
	{"_packets_received", NULL, "Probes answered in the last run.",
	 om_received},
	{"_duplicates", NULL, "Duplicate replies in the last run.", om_dups},
	{"_errors", NULL, "ICMP and local errors in the last run.", om_errors},
	{"_loss_ratio", "ratio", "Fraction of probes lost (0-1).", om_loss},
	{"_rtt_min_seconds", "seconds", "Minimum round trip time.", om_min},
	{"_rtt_avg_seconds", "seconds", "Average round trip time.", om_avg},
	{"_rtt_max_seconds", "seconds", "Maximum round trip time.", om_max},
	{"_rtt_mdev_seconds", "seconds",
	 "Round trip time mean deviation (as iputils ping).", om_mdev},
	{"_rtt_p50_seconds", "seconds", "Median round trip time.", om_p50},
	{"_rtt_p90_seconds", "seconds", "90th percentile round trip time.",
	 om_p90},
	{"_rtt_p99_seconds", "seconds", "99th percentile round trip time.",
	 om_p99},
	{"_jitter_seconds", "seconds", "RFC 3550 interarrival jitter.",
	 om_jitter},
};

int stats_render_openmetrics(struct out_metrics *m, const char *prefix,
			     const struct stats_target *t, size_t n)
{
	size_t i, j;
	char name[128];

	for (i = 0; i < sizeof(om_families) / sizeof(om_families[0]); i++) {
		const struct om_family *fam = &om_families[i];

		if ((size_t)snprintf(name, sizeof(name), "%s%s", prefix,
				     fam->suffix) >= sizeof(name))
			return -1;
		if (out_metrics_family(m, name, "gauge", fam->unit, fam->help) <
		    0)
			return -1;
		for (j = 0; j < n; j++) {
			double v;

			if (fam->get(t[j].sum, &v) &&
			    out_metrics_sample(m, name, t[j].labels,
					       t[j].nlabels, v) < 0)
				return -1;
		}
	}
	return 0;
}
