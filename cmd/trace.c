/*
 * trace - `echolot trace`: parallel, flow-stable route discovery with
 * per-hop statistics and the middlebox view.
 *
 * This file turns options into a struct trace_plan, opens the raw sockets
 * while it may, drops privileges, runs lib/trace and renders the result
 * (hop lines as hops complete, or the report/JSON at the end).
 */
#include "config.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "commands.h"
#include "opts.h"
#include "priv.h"
#include "rdns.h"
#include "sock.h"
#include "trace.h"

enum {
	T_UDP = 1,
	T_ICMP,
	T_TCP,
	T_PORT,
	T_QUERIES,
	T_FIRST,
	T_MAX,
	T_WAIT,
	T_INFLIGHT,
	T_NUMERIC,
	T_SOURCE,
	T_IFACE,
	T_V4,
	T_V6,
	T_VARY,
	T_TOS,
	T_REPORT,
	T_COUNT,
	T_INTERVAL,
	T_JSON,
	T_DIFF,
};

static const struct opts_def trace_defs[] = {
	{T_UDP, 0, "udp", OPTS_FLAG, NULL, 0, 0, NULL,
	 "probe with UDP datagrams (the default)", 0},
	{T_ICMP, 0, "icmp", OPTS_FLAG, NULL, 0, 0, NULL,
	 "probe with ICMP echo requests", 0},
	{T_TCP, 0, "tcp", OPTS_FLAG, NULL, 0, 0, NULL,
	 "probe with TCP SYNs (port 80 unless -p)", 0},
	{T_PORT, 'p', "port", OPTS_PORT, "PORT", 1, 65535, NULL,
	 "destination port (UDP 33434, TCP 80)", 0},
	{T_QUERIES, 'q', "queries", OPTS_INT, "N", 1, TRACE_QUERIES_MAX, NULL,
	 "probes per hop (3)", 0},
	{T_FIRST, 'f', "first", OPTS_INT, "TTL", 1, TRACE_TTL_MAX, NULL,
	 "start at this hop (1)", 0},
	{T_MAX, 'm', "max-hops", OPTS_INT, "TTL", 1, TRACE_TTL_MAX, NULL,
	 "give up after this hop (30)", 0},
	{T_WAIT, 'w', "wait", OPTS_STRING, "MAX[,HERE[,NEAR]]", 0, 0, NULL,
	 "wait at most MAX s, HERE x this hop's or NEAR x a later hop's rtt"
	 " (5,3,3)",
	 0},
	{T_INFLIGHT, 'N', "sim-queries", OPTS_INT, "N", 1, TRACE_INFLIGHT_MAX,
	 NULL, "probes in flight at once (16)", 0},
	{T_NUMERIC, 'n', "numeric", OPTS_FLAG, NULL, 0, 0, NULL,
	 "print addresses only, no reverse DNS", 0},
	{T_SOURCE, 's', "source", OPTS_HOST, "ADDR", 0, 0, NULL,
	 "send from this local address", 0},
	{T_IFACE, 'I', "interface", OPTS_IFACE, "IFACE", 0, 0, NULL,
	 "send through this interface", 0},
	{T_V4, '4', NULL, OPTS_FLAG, NULL, 0, 0, NULL, "use IPv4", 0},
	{T_V6, '6', NULL, OPTS_FLAG, NULL, 0, 0, NULL, "use IPv6", 0},
	{T_VARY, 0, "vary-flow", OPTS_FLAG, NULL, 0, 0, NULL,
	 "change ports per probe like classic traceroute", 0},
	{T_TOS, 't', "tos", OPTS_INT, "TOS", 0, 255, NULL,
	 "TOS / traffic class byte of the probes (0)", 0},
	{T_REPORT, 'r', "report", OPTS_FLAG, NULL, 0, 0, NULL,
	 "run -c rounds, then print an mtr-style table", 0},
	{T_COUNT, 'c', "count", OPTS_INT, "N", 1, 100000, NULL,
	 "rounds for --report and --json (10 with --report)", 0},
	{T_INTERVAL, 'i', "interval", OPTS_DURATION, "SECONDS", 0, 3600, NULL,
	 "time between round starts (1s)", 0},
	{T_JSON, 'j', "json", OPTS_FLAG, NULL, 0, 0, NULL,
	 "print the result as one JSON document", 0},
	{T_DIFF, 'D', "diff", OPTS_FLAG, NULL, 0, 0, NULL,
	 "show the probe fields each hop saw changed", 0},
};

const struct opts_cmd cmd_trace_opts = {
	"trace",
	"[options] TARGET [PACKETLEN]",
	"Trace the route to a host with parallel UDP, ICMP or TCP probes",
	OPTS_HOST,
	trace_defs,
	sizeof(trace_defs) / sizeof(trace_defs[0]),
};

struct trace_conf {
	struct trace_plan plan;
	const char *target, *source;
	const char *packetlen; /* traceroute's second positional argument */
	int family;
	bool numeric, report, json, diff, count_set;
};

/* "MAX[,HERE[,NEAR]]": MAX a duration, HERE and NEAR factors (0 off). */
static int trace_parse_wait(struct trace_conf *c, const char *text, char *err,
			    size_t errlen)
{
	char buf[128], *here, *near, *end;
	double v[3] = {c->plan.wait_max, c->plan.wait_here, c->plan.wait_near};
	int i;

	snprintf(buf, sizeof(buf), "%s", text);
	here = strchr(buf, ',');
	if (here)
		*here++ = '\0';
	near = here ? strchr(here, ',') : NULL;
	if (near)
		*near++ = '\0';
	if (opts_parse_duration(buf, &v[0]) < 0 || v[0] <= 0 || v[0] > 3600)
		goto bad;
	for (i = 1; i < 3; i++) {
		const char *s = i == 1 ? here : near;

		if (!s)
			continue;
		errno = 0;
		v[i] = strtod(s, &end);
		if (errno || end == s || *end || v[i] < 0 || v[i] > 1000)
			goto bad;
	}
	c->plan.wait_max = v[0];
	c->plan.wait_here = v[1];
	c->plan.wait_near = v[2];
	return 0;
bad:
	snprintf(err, errlen,
		 "invalid wait '%s' (want MAX[,HERE[,NEAR]], e.g. 5,3,3)",
		 text);
	return -1;
}

static int trace_on_opt(void *ctx, const struct opts_def *def,
			const struct opts_val *val, char *err, size_t errlen)
{
	struct trace_conf *c = ctx;
	struct trace_plan *p = &c->plan;

	if (!def) {
		if (!c->target) {
			c->target = val->str;
		} else if (!c->packetlen) {
			c->packetlen = val->str;
		} else {
			snprintf(err, errlen,
				 "one target and one packet length only "
				 "('%s' is one too many)",
				 val->str);
			return -1;
		}
		return 0;
	}
	switch (def->id) {
	case T_UDP:
		p->method = TRACE_UDP;
		break;
	case T_ICMP:
		p->method = TRACE_ICMP;
		break;
	case T_TCP:
		p->method = TRACE_TCP;
		break;
	case T_PORT:
		p->port = (uint16_t)val->i;
		break;
	case T_QUERIES:
		p->queries = (int)val->i;
		break;
	case T_FIRST:
		p->first_ttl = (int)val->i;
		break;
	case T_MAX:
		p->max_ttl = (int)val->i;
		break;
	case T_WAIT:
		return trace_parse_wait(c, val->str, err, errlen);
	case T_INFLIGHT:
		p->inflight = (int)val->i;
		break;
	case T_NUMERIC:
		c->numeric = true;
		break;
	case T_SOURCE:
		c->source = val->str;
		break;
	case T_IFACE:
		p->iface = val->str;
		break;
	case T_V4:
		c->family = AF_INET;
		break;
	case T_V6:
		c->family = AF_INET6;
		break;
	case T_VARY:
		p->vary_flow = true;
		break;
	case T_TOS:
		p->tos = (uint8_t)val->i;
		break;
	case T_REPORT:
		c->report = true;
		break;
	case T_COUNT:
		p->cycles = (int)val->i;
		c->count_set = true;
		break;
	case T_INTERVAL:
		p->interval = val->num;
		break;
	case T_JSON:
		c->json = true;
		break;
	case T_DIFF:
		c->diff = true;
		break;
	default:
		break;
	}
	return 0;
}

static void trace_defaults(struct trace_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_UNSPEC;
	c->plan.method = TRACE_UDP;
	c->plan.first_ttl = 1;
	c->plan.max_ttl = 30;
	c->plan.queries = 3;
	c->plan.inflight = 16;
	c->plan.wait_max = 5;
	c->plan.wait_here = 3;
	c->plan.wait_near = 3;
	c->plan.cycles = 1;
	c->plan.interval = 1;
	c->plan.retries = 3;
}

/* PACKETLEN as traceroute takes it: the whole IP datagram in bytes; a
 * length below the probe's headers is raised to them (trace.h). */
static int trace_parse_packetlen(struct trace_conf *c, char *err, size_t errlen)
{
	const char *t = c->packetlen;
	long v = 0;

	for (; *t >= '0' && *t <= '9' && v <= TRACE_PACKET_LEN_MAX; t++)
		v = v * 10 + (*t - '0');
	if (t == c->packetlen || *t || v < 1 || v > TRACE_PACKET_LEN_MAX) {
		snprintf(err, errlen,
			 "invalid packet length '%s' (want 1 to %d bytes)",
			 c->packetlen, TRACE_PACKET_LEN_MAX);
		return -1;
	}
	if (c->plan.method == TRACE_TCP) {
		snprintf(err, errlen,
			 "a packet length has no meaning with --tcp");
		return -1;
	}
	c->plan.packet_len = (size_t)v;
	return 0;
}

/* Checks what the table alone cannot; 0 or -1 with err. */
static int trace_finish_conf(struct trace_conf *c, char *err, size_t errlen)
{
	struct trace_plan *p = &c->plan;

	if (!c->target) {
		snprintf(err, errlen, "no target given (see --help)");
		return -1;
	}
	if (p->first_ttl > p->max_ttl) {
		snprintf(err, errlen, "first ttl %d is above max ttl %d",
			 p->first_ttl, p->max_ttl);
		return -1;
	}
	if (c->count_set && !c->report && !c->json) {
		snprintf(err, errlen, "-c needs --report or --json");
		return -1;
	}
	if (c->report && c->json) {
		snprintf(err, errlen, "--report and --json exclude each other");
		return -1;
	}
	if (c->report) {
		/* mtr's rounds: one probe per hop each, loss is data. */
		if (!c->count_set)
			p->cycles = 10;
		p->queries = 1;
		p->retries = 0;
	} else if (p->cycles > 1) {
		p->retries = 0;
	}
	if (p->method == TRACE_ICMP && p->port) {
		snprintf(err, errlen, "-p has no meaning with --icmp");
		return -1;
	}
	if (c->packetlen)
		return trace_parse_packetlen(c, err, errlen);
	return 0;
}

static int trace_resolve(struct trace_conf *c, char *err, size_t errlen)
{
	struct trace_plan *p = &c->plan;
	char why[300];

	if (sock_resolve(c->target, c->family, false, &p->dst, why,
			 sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	p->dst_name = c->target;
	if (c->source) {
		if (sock_resolve(c->source, sock_family(&p->dst), true, &p->src,
				 why, sizeof(why)) < 0) {
			snprintf(err, errlen, "bad source address: %s", why);
			return -1;
		}
	}
	return 0;
}

struct trace_out {
	struct trace_render r;
	FILE *f;
};

static void trace_on_hop(void *arg, const struct trace_result *res, int ttl)
{
	struct trace_out *o = arg;

	trace_print_hop(o->f, &o->r, res, ttl);
	fflush(o->f);
}

/* The report and JSON print at the end: give names still being looked up
 * until their (short) deadline. */
static void trace_wait_names(struct rdns *rd)
{
	int64_t now, until;
	struct timespec ts = {0, 2000000};

	if (!rd)
		return;
	now = loop_now_ns();
	until = rdns_pending_deadline(rd, now);
	while (until && now < until) {
		nanosleep(&ts, NULL);
		now = loop_now_ns();
		until = rdns_pending_deadline(rd, now);
	}
}

static int trace_go(struct trace_conf *c)
{
	struct trace_run run;
	struct trace_result res;
	struct trace_out out;
	char err[512];
	int rc;

	memset(&run, 0, sizeof(run));
	run.send_fd = run.icmp_fd = run.tcp_fd = -1;
	if (trace_resolve(c, err, sizeof(err)) < 0 ||
	    trace_open(&run, &c->plan, err, sizeof(err)) < 0 ||
	    priv_drop(NULL, NULL, err, sizeof(err)) < 0) {
		fprintf(stderr, "echolot trace: %s\n", err);
		trace_close(&run);
		return 2;
	}
	if (!c->numeric) {
		/* Names never hold up probing: 4 lookups at once, 1 s each. */
		run.plan.rdns = rdns_new(4, 512, 1000000000LL);
	}
	memset(&out, 0, sizeof(out));
	out.f = stdout;
	out.r.numeric = c->numeric;
	out.r.diff = c->diff;
	out.r.rdns = run.plan.rdns;
	if (!c->report && !c->json)
		trace_print_header(stdout, &run.plan, trace_packet_len(&run));
	fflush(stdout);
	rc = trace_run(&run, &res, c->report || c->json ? NULL : trace_on_hop,
		       &out, err, sizeof(err));
	trace_close(&run);
	if (rc < 0) {
		fprintf(stderr, "echolot trace: %s\n", err);
		trace_result_free(&res);
		rdns_free(run.plan.rdns);
		return 2;
	}
	if (c->report || c->json)
		trace_wait_names(run.plan.rdns);
	if (c->report)
		trace_print_report(stdout, &out.r, &res);
	else if (c->json)
		trace_print_json(stdout, &out.r, &res);
	rc = res.reached ? 0 : 1;
	trace_result_free(&res);
	rdns_free(run.plan.rdns);
	if (fflush(stdout) != 0)
		return 2;
	return rc;
}

int cmd_trace_main(int argc, char **argv);

int cmd_trace_main(int argc, char **argv)
{
	struct trace_conf c;
	char err[512];
	int rc;

	trace_defaults(&c);
	rc = cmd_parse(&cmd_trace_opts, argc, argv, trace_on_opt, &c);
	if (rc != CMD_CONTINUE)
		return rc;
	if (trace_finish_conf(&c, err, sizeof(err)) < 0) {
		fprintf(stderr, "echolot trace: %s\n", err);
		return 2;
	}
	return trace_go(&c);
}
