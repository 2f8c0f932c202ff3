/*
 * stats - the accumulator, its summary and the closing reports.
 * (Skeleton: the API is final, the bodies follow.)
 */
#include "stats.h"

#include <string.h>

void stats_init(struct stats *s)
{
	memset(s, 0, sizeof(*s));
}

void stats_sent(struct stats *s, int64_t t_ns, uint64_t bytes)
{
	(void)s, (void)t_ns, (void)bytes;
}

void stats_reply(struct stats *s, int64_t t_ns, int64_t rtt_ns,
		 uint64_t bytes, uint64_t seq)
{
	(void)s, (void)t_ns, (void)rtt_ns, (void)bytes, (void)seq;
}

void stats_dup(struct stats *s, int64_t t_ns, int64_t rtt_ns, uint64_t bytes)
{
	(void)s, (void)t_ns, (void)rtt_ns, (void)bytes;
}

void stats_error(struct stats *s, int64_t t_ns, int kind, uint64_t bytes)
{
	(void)s, (void)t_ns, (void)kind, (void)bytes;
}

void stats_echoed(struct stats *s, uint64_t bytes)
{
	(void)s, (void)bytes;
}

void stats_end(struct stats *s, int64_t t_ns)
{
	(void)s, (void)t_ns;
}

void stats_merge(struct stats *dst, const struct stats *src)
{
	(void)dst, (void)src;
}

int64_t stats_percentile(const struct stats *s, double p)
{
	(void)s, (void)p;
	return -1;
}

void stats_summarize(const struct stats *s, struct stats_summary *sum)
{
	(void)s;
	memset(sum, 0, sizeof(*sum));
}

void stats_summary_rates(struct stats_summary *sum)
{
	(void)sum;
}

int stats_render_iputils(FILE *f, const struct stats_summary *sum)
{
	(void)f, (void)sum;
	return -1;
}

int stats_render_nping(FILE *f, const struct stats_summary *sum,
		       unsigned flags)
{
	(void)f, (void)sum, (void)flags;
	return -1;
}

int stats_render_extra(FILE *f, const struct stats_summary *sum)
{
	(void)f, (void)sum;
	return -1;
}

int stats_json_fields(struct json_writer *w, const struct stats_summary *sum)
{
	(void)w, (void)sum;
	return -1;
}

int stats_render_json(struct json_writer *w, const struct stats_summary *sum)
{
	(void)w, (void)sum;
	return -1;
}

int stats_render_openmetrics(struct out_metrics *m, const char *prefix,
			     const struct stats_target *targets, size_t n)
{
	(void)m, (void)prefix, (void)targets, (void)n;
	return -1;
}

int stats_render_nagios(FILE *f, const char *service, const char *host,
			const struct out_check *c,
			const struct stats_summary *sum)
{
	(void)f, (void)service, (void)host, (void)c, (void)sum;
	return -1;
}
