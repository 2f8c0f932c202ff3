/*
 * ping - ICMP/ICMPv6 echo (iputils-compatible), TCP SYN, TCP connect and
 * UDP probes to one or many targets.
 *
 * The flow is the one DESIGN.md describes: parse the options into a
 * struct ping_conf, resolve the targets, open the sockets (raw ones while
 * we still may), drop privileges, then run the send/receive loop on
 * lib/loop. Packets are built and parsed by lib/packet only; every number
 * goes into a struct stats and is rendered at the end by lib/stats.
 */
#include "config.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/icmp6.h>
#include <linux/errqueue.h>
#include <linux/icmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <poll.h>
#include <pthread.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "commands.h"
#include "loop.h"
#include "opts.h"
#include "output.h"
#include "packet.h"
#include "priv.h"
#include "probe.h"
#include "sock.h"
#include "stats.h"

/* ------------------------------------------------------------ options */

enum ping_opt {
	PO_IPV4 = 1, PO_IPV6, PO_AUDIBLE, PO_ADAPTIVE, PO_BROADCAST,
	PO_STICKY, PO_COUNT, PO_CONNECT, PO_DEBUG, PO_TIMESTAMPS, PO_TSFMT,
	PO_IDENT, PO_FLOOD, PO_FLOWLABEL, PO_RDNS, PO_INTERVAL, PO_IFACE,
	PO_PRELOAD, PO_NOLOOP, PO_MARK, PO_PMTU, PO_NUMERIC, PO_OUTSTANDING,
	PO_PATTERN, PO_QUIET, PO_TOS, PO_DONTROUTE, PO_SIZE, PO_SNDBUF,
	PO_TTL, PO_USERLAT, PO_VERBOSE, PO_VERSION, PO_DEADLINE, PO_TIMEOUT,
	PO_PRECISE, PO_JSON, PO_CHECK, PO_OPENMETRICS, PO_TCP,
	PO_TCP_CONNECT, PO_UDP, PO_PORT, PO_RTTLIST, PO_RROUTE, PO_IPTS,
	PO_NODEINFO,
};

static const char *const ping_tsfmt_names[] = { "epoch", "iso", "rel", NULL };
/* -T, in the order of ping_ts_kinds */
static const char *const ping_ts_names[] = { "tsonly", "tsandaddr",
					     "tsprespec", NULL };
static const enum pkt_ts_kind ping_ts_kinds[] = { PKT_TS_ONLY, PKT_TS_ADDR,
						  PKT_TS_PRESPEC };
#define PING_TS_PRESPEC 2 /* index of tsprespec */
#define PING_TS_HOPS 4    /* prespecified hops the option has room for */
static const char *const ping_pmtu_names[] = { "do", "dont", "want", "probe",
					       NULL };

static const struct opts_def ping_defs[] = {
	{ PO_IPV4, '4', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	  "use IPv4 only", 0 },
	{ PO_IPV6, '6', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	  "use IPv6 only", 0 },
	{ PO_AUDIBLE, 'a', "audible", OPTS_FLAG, NULL, 0, 0, NULL,
	  "ring the terminal bell on every reply", 0 },
	{ PO_ADAPTIVE, 'A', "adaptive", OPTS_FLAG, NULL, 0, 0, NULL,
	  "adapt the interval to the round-trip time", 0 },
	{ PO_BROADCAST, 'b', "broadcast", OPTS_FLAG, NULL, 0, 0, NULL,
	  "allow pinging a broadcast address", 0 },
	{ PO_STICKY, 'B', "sticky-source", OPTS_FLAG, NULL, 0, 0, NULL,
	  "keep the source address chosen at start", 0 },
	{ PO_COUNT, 'c', "count", OPTS_INT, "COUNT", 1, 1e9, NULL,
	  "stop after sending COUNT probes per target", 0 },
	{ PO_RTTLIST, 'C', "rtt-list", OPTS_INT, "COUNT", 1, 1e6, NULL,
	  "like -c, then list every rtt per target (fping -C)", 0 },
	{ PO_CONNECT, 0, "connect", OPTS_FLAG, NULL, 0, 0, NULL,
	  "connect() the socket to the target (iputils -C)", 0 },
	{ PO_DEBUG, 'd', "debug", OPTS_FLAG, NULL, 0, 0, NULL,
	  "set SO_DEBUG on the socket", 0 },
	{ PO_TIMESTAMPS, 'D', "timestamps", OPTS_FLAG, NULL, 0, 0, NULL,
	  "print a timestamp before every line", 0 },
	{ PO_TSFMT, 0, "timestamp-format", OPTS_ENUM, "FORMAT", 0, 0,
	  ping_tsfmt_names,
	  "timestamp style (implies -D)", 0 },
	{ PO_IDENT, 'e', "identifier", OPTS_INT, "ID", 0, 65535, NULL,
	  "ICMP echo identifier", 0 },
	{ PO_FLOOD, 'f', "flood", OPTS_FLAG, NULL, 0, 0, NULL,
	  "flood: a probe per reply or 100/s (root only)", 0 },
	{ PO_FLOWLABEL, 'F', "flowlabel", OPTS_INT, "LABEL", 0, 0xfffff,
	  NULL, "IPv6 flow label", 0 },
	{ PO_RDNS, 'H', "reverse-dns", OPTS_FLAG, NULL, 0, 0, NULL,
	  "look up the name of every replying address", 0 },
	{ PO_INTERVAL, 'i', "interval", OPTS_DURATION, "SECONDS", 0, 3600,
	  NULL, "wait SECONDS between probes (below 2ms: root only)", 0 },
	{ PO_IFACE, 'I', "interface", OPTS_IFACE, "IFACE|ADDR", 0, 0, NULL,
	  "send from this interface or source address", 0 },
	{ PO_PRELOAD, 'l', "preload", OPTS_INT, "COUNT", 1, 65536, NULL,
	  "send COUNT probes at once before the regular ones", 0 },
	{ PO_NOLOOP, 'L', "no-loopback", OPTS_FLAG, NULL, 0, 0, NULL,
	  "do not loop multicast probes back to this host", 0 },
	{ PO_MARK, 'm', "mark", OPTS_INT, "MARK", 0, 4294967295.0, NULL,
	  "set SO_MARK on the probes (needs CAP_NET_ADMIN)", 0 },
	{ PO_PMTU, 'M', "pmtu", OPTS_ENUM, "HINT", 0, 0, ping_pmtu_names,
	  "path MTU discovery", 0 },
	{ PO_NODEINFO, 'N', "nodeinfo", OPTS_STRING, "QUERY", 0, 0, NULL,
	  "IPv6 Node Information query (RFC 4620; -N help lists them)",
	  OPTS_REPEAT },
	{ PO_NUMERIC, 'n', "numeric", OPTS_FLAG, NULL, 0, 0, NULL,
	  "no reverse DNS: print addresses only", 0 },
	{ PO_OUTSTANDING, 'O', "report-outstanding", OPTS_FLAG, NULL, 0, 0,
	  NULL, "report unanswered probes as the next goes out", 0 },
	{ PO_PATTERN, 'p', "pattern", OPTS_STRING, "HEX", 0, 0, NULL,
	  "fill the payload with up to 16 pattern bytes (hex)", 0 },
	{ PO_QUIET, 'q', "quiet", OPTS_FLAG, NULL, 0, 0, NULL,
	  "print only the header and the summary", 0 },
	{ PO_TOS, 'Q', "tos", OPTS_INT, "TOS", 0, 255, NULL,
	  "IPv4 TOS / IPv6 traffic class (decimal or 0x..)", 0 },
	{ PO_DONTROUTE, 'r', "dontroute", OPTS_FLAG, NULL, 0, 0, NULL,
	  "bypass routing: directly attached targets only", 0 },
	{ PO_RROUTE, 'R', "record-route", OPTS_FLAG, NULL, 0, 0, NULL,
	  "record route: print the addresses the probes passed (IPv4)", 0 },
	{ PO_SIZE, 's', "size", OPTS_INT, "BYTES", 0, 65507, NULL,
	  "payload bytes per probe (default 56)", 0 },
	{ PO_SNDBUF, 'S', "sndbuf", OPTS_INT, "BYTES", 1, 1 << 30, NULL,
	  "socket send buffer size", 0 },
	{ PO_TTL, 't', "ttl", OPTS_INT, "TTL", 1, 255, NULL,
	  "IPv4 TTL / IPv6 hop limit of the probes", 0 },
	{ PO_IPTS, 'T', "ip-timestamp", OPTS_ENUM, "KIND", 0, 0, ping_ts_names,
	  "IPv4 timestamp option; tsprespec: HOP... before the target", 0 },
	{ PO_USERLAT, 'U', "user-latency", OPTS_FLAG, NULL, 0, 0, NULL,
	  "rtt in user space, not from kernel timestamps", 0 },
	{ PO_VERBOSE, 'v', "verbose", OPTS_FLAG, NULL, 0, 0, NULL,
	  "Nping-style SENT/RCVD lines with packet summaries", 0 },
	{ PO_VERSION, 'V', "version", OPTS_FLAG, NULL, 0, 0, NULL,
	  "print the version and exit", 0 },
	{ PO_DEADLINE, 'w', "deadline", OPTS_DURATION, "SECONDS", 0, 1e9,
	  NULL, "stop after SECONDS in any case", 0 },
	{ PO_TIMEOUT, 'W', "timeout", OPTS_DURATION, "SECONDS", 0, 1e6,
	  NULL, "wait at most SECONDS for each reply (default 10)", 0 },
	{ PO_PRECISE, '3', "precise", OPTS_FLAG, NULL, 0, 0, NULL,
	  "print rtt with three decimals, unrounded", 0 },
	{ PO_JSON, 0, "json", OPTS_FLAG, NULL, 0, 0, NULL,
	  "NDJSON: one object per reply, error, timeout", 0 },
	{ PO_CHECK, 0, "check", OPTS_STRING, "warn=MS,PCT%,crit=MS,PCT%", 0,
	  0, NULL, "print one Nagios-plugin line and exit 0..3", 0 },
	{ PO_OPENMETRICS, 0, "openmetrics", OPTS_FILE, "FILE", 0, 0, NULL,
	  "write the summary to FILE (OpenMetrics)", 0 },
	{ PO_TCP, 0, "tcp", OPTS_FLAG, NULL, 0, 0, NULL,
	  "TCP SYN probes; rtt to the SYN-ACK or RST", 0 },
	{ PO_TCP_CONNECT, 0, "tcp-connect", OPTS_FLAG, NULL, 0, 0, NULL,
	  "time a full TCP connect() (no privilege needed)", 0 },
	{ PO_UDP, 0, "udp", OPTS_FLAG, NULL, 0, 0, NULL,
	  "UDP probes; port unreachable counts as a reply", 0 },
	{ PO_PORT, 'P', "port", OPTS_PORT, "PORT", 1, 65535, NULL,
	  "destination port for --tcp, --tcp-connect, --udp", 0 },
};

const struct opts_cmd cmd_ping_opts = {
	"ping",
	"[options] TARGET...",
	"Send ICMP echo, TCP or UDP probes and report round-trip times",
	OPTS_HOST,
	ping_defs,
	sizeof(ping_defs) / sizeof(ping_defs[0]),
};

/* ------------------------------------------------------------ config */

enum ping_mode { PING_ICMP, PING_TCP, PING_TCP_CONNECT, PING_UDP };

struct ping_conf {
	int family;           /* AF_UNSPEC, AF_INET, AF_INET6 */
	enum ping_mode mode;
	long long count;      /* probes per target; 0 = until stopped */
	double interval;      /* seconds between rounds */
	bool interval_given;
	double timeout;       /* -W: seconds to wait for one reply */
	bool timeout_given;
	double deadline;      /* -w: seconds; 0 = none */
	long long size;       /* payload bytes */
	int ttl, tos;         /* -1: the system's default */
	uint8_t pattern[16];
	size_t pattern_len;
	const char *iface;
	long long preload;
	int pmtu;             /* index into ping_pmtu_names, -1 = default */
	long long ident;      /* -1: random (raw) or the kernel's (dgram) */
	long long flowlabel;  /* -1: none */
	long long mark;       /* -1: none */
	long long sndbuf;     /* 0: default */
	uint16_t port;
	bool port_given;
	enum out_ts_format tsfmt;
	bool quiet, numeric, timestamps, outstanding, flood, broadcast;
	bool audible, adaptive, sticky, so_debug, rdns, noloop, dontroute;
	bool userlat, precise, verbose, json, connect, rttlist, version;
	bool check_given, rroute;
	int ipts;             /* -T: index into ping_ts_names, -1 = none */
	struct pkt_addr ts_hops[PING_TS_HOPS]; /* -T tsprespec */
	size_t nts_hops;
	/* -N: the query (ni_qtype 0 = none given) and its subject */
	bool ni, ni_help;
	uint16_t ni_qtype, ni_flags;
	int ni_code;          /* enum pkt_ni_subject; -1: the target */
	uint8_t ni_subject[256];
	size_t ni_subject_len;
	struct out_check check;
	const char *openmetrics;
	const char **targets;
	size_t ntargets;
	int mode_flags;       /* how many of --tcp/--tcp-connect/--udp */
};

static int ping_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static int ping_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

static int ping_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* iputils reads -p as hex digit pairs; an odd digit count ends with a
 * lone nibble, which it takes as the low half of the last byte. */
static int ping_parse_pattern(struct ping_conf *c, const char *text,
			      char *err, size_t errlen)
{
	size_t n = strlen(text), i;

	if (n == 0 || n > 32)
		return ping_errf(err, errlen,
				 "-p: '%s' must be 1 to 32 hex digits", text);
	c->pattern_len = 0;
	for (i = 0; i < n; i += 2) {
		int hi = ping_hexval(text[i]);
		int lo = i + 1 < n ? ping_hexval(text[i + 1]) : 0;

		if (hi < 0 || lo < 0)
			return ping_errf(err, errlen,
					 "-p: '%s' is not hex digits", text);
		if (i + 1 >= n)
			c->pattern[c->pattern_len++] = (uint8_t)hi;
		else
			c->pattern[c->pattern_len++] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

/* --check 'warn=MS,PCT% crit=MS,PCT%' (lib/output parses the pairs; a
 * comma between them is accepted too, so the value needs no quoting). */
static int ping_parse_check(struct ping_conf *c, const char *text,
			    char *err, size_t errlen)
{
	char spec[256], msg[200];
	char *crit;

	snprintf(spec, sizeof(spec), "%s", text);
	crit = strstr(spec, ",crit=");
	if (crit)
		*crit = ' ';
	if (out_check_parse(&c->check, spec, msg, sizeof(msg)) < 0)
		return ping_errf(err, errlen, "--check: %s", msg);
	if (!c->check.warn.set || !c->check.crit.set)
		return ping_errf(err, errlen,
				 "--check: '%s' needs both warn=MS,PCT%% and "
				 "crit=MS,PCT%%",
				 text);
	c->check_given = true;
	return 0;
}

/* -N's queries, in iputils' order (-N help prints them so). */
static const struct ping_ni_query {
	const char *name;
	uint16_t qtype, flags;
} ping_ni_queries[] = {
	{ "name", PKT_NI_NAME, 0 },
	{ "ipv6", PKT_NI_ADDRS, 0 },
	{ "ipv6-all", PKT_NI_ADDRS, PKT_NI_FLAG_A },
	{ "ipv6-compatible", PKT_NI_ADDRS, PKT_NI_FLAG_C },
	{ "ipv6-global", PKT_NI_ADDRS, PKT_NI_FLAG_G },
	{ "ipv6-linklocal", PKT_NI_ADDRS, PKT_NI_FLAG_L },
	{ "ipv6-sitelocal", PKT_NI_ADDRS, PKT_NI_FLAG_S },
	{ "ipv4", PKT_NI_IPV4, 0 },
	{ "ipv4-all", PKT_NI_IPV4, PKT_NI_FLAG_A },
};

#define PING_NI_NQUERIES (sizeof(ping_ni_queries) / sizeof(ping_ni_queries[0]))

static void ping_ni_help(void)
{
	size_t i;

	printf("echolot ping -6 -N <nodeinfo opt>\nHelp:\n  help\nQuery:\n");
	for (i = 0; i < PING_NI_NQUERIES; i++)
		printf("  %s\n", ping_ni_queries[i].name);
	printf("Subject:\n  subject-ipv6=addr\n  subject-ipv4=addr\n"
	       "  subject-name=name\n  subject-fqdn=name\n");
}

/* subject-ipv6=, subject-ipv4=: an address (or a name) of that family. */
static int ping_ni_subject_addr(struct ping_conf *c, const char *text,
				int family, char *err, size_t errlen)
{
	struct sock_addr sa;
	struct pkt_addr a;
	char msg[256];

	if (sock_resolve(text, family, false, &sa, msg, sizeof(msg)) < 0)
		return ping_errf(err, errlen, "-N: subject: %s", msg);
	pkt_addr_from_sockaddr((struct sockaddr *)&sa.ss, &a);
	c->ni_subject_len = family == AF_INET6 ? 16 : 4;
	memcpy(c->ni_subject, a.a, c->ni_subject_len);
	c->ni_code = family == AF_INET6 ? PKT_NI_SUBJ_IPV6 : PKT_NI_SUBJ_IPV4;
	return 0;
}

/* subject-name= is a fully-qualified name when it has a dot (as iputils
 * takes it), subject-fqdn= always. */
static int ping_ni_subject_name(struct ping_conf *c, const char *text,
				bool fqdn, char *err, size_t errlen)
{
	int n = pkt_ni_encode_name(text, fqdn || strchr(text, '.'),
				   c->ni_subject, sizeof(c->ni_subject), NULL);

	if (n < 0)
		return ping_errf(err, errlen,
				 "-N: subject '%s' is not a valid DNS name",
				 text);
	c->ni_subject_len = (size_t)n;
	c->ni_code = PKT_NI_SUBJ_NAME;
	return 0;
}

static int ping_ni_subject(struct ping_conf *c, const char *text, char *err,
			   size_t errlen)
{
	static const char *const pre[] = { "subject-ipv6=", "subject-ipv4=",
					   "subject-name=", "subject-fqdn=" };
	size_t i;

	for (i = 0; i < 4; i++)
		if (strncmp(text, pre[i], strlen(pre[i])) == 0)
			break;
	if (i == 4)
		return ping_errf(err, errlen,
				 "-N: '%s' is not a Node Information query "
				 "(-N help lists them)",
				 text);
	if (c->ni_code >= 0)
		return ping_errf(err, errlen, "-N: '%s': one subject only",
				 text);
	text += strlen(pre[i]);
	if (i < 2)
		return ping_ni_subject_addr(c, text, i ? AF_INET : AF_INET6,
					    err, errlen);
	return ping_ni_subject_name(c, text, i == 3, err, errlen);
}

/* -N QUERY, repeatable: one query type (its flags add up), at most one
 * subject, or help. */
static int ping_parse_nodeinfo(struct ping_conf *c, const char *text,
			       char *err, size_t errlen)
{
	size_t i;

	c->ni = true;
	if (strcmp(text, "help") == 0) {
		c->ni_help = true;
		return 0;
	}
	for (i = 0; i < PING_NI_NQUERIES; i++) {
		const struct ping_ni_query *q = &ping_ni_queries[i];

		if (strcmp(text, q->name) != 0)
			continue;
		if (c->ni_qtype && c->ni_qtype != q->qtype)
			return ping_errf(err, errlen,
					 "-N: '%s' asks another query type "
					 "than the one before",
					 text);
		c->ni_qtype = q->qtype;
		c->ni_flags |= q->flags;
		return 0;
	}
	return ping_ni_subject(c, text, err, errlen);
}

static int ping_set_mode(struct ping_conf *c, enum ping_mode m)
{
	c->mode = m;
	c->mode_flags++;
	return 0;
}

static int ping_opt_flag(struct ping_conf *c, int id)
{
	switch (id) {
	case PO_IPV4: c->family = AF_INET; break;
	case PO_IPV6: c->family = AF_INET6; break;
	case PO_AUDIBLE: c->audible = true; break;
	case PO_ADAPTIVE: c->adaptive = true; break;
	case PO_BROADCAST: c->broadcast = true; break;
	case PO_STICKY: c->sticky = true; break;
	case PO_CONNECT: c->connect = true; break;
	case PO_DEBUG: c->so_debug = true; break;
	case PO_TIMESTAMPS: c->timestamps = true; break;
	case PO_FLOOD: c->flood = true; break;
	case PO_RDNS: c->rdns = true; break;
	case PO_NOLOOP: c->noloop = true; break;
	case PO_NUMERIC: c->numeric = true; break;
	case PO_OUTSTANDING: c->outstanding = true; break;
	case PO_QUIET: c->quiet = true; break;
	case PO_DONTROUTE: c->dontroute = true; break;
	case PO_USERLAT: c->userlat = true; break;
	case PO_VERBOSE: c->verbose = true; break;
	case PO_VERSION: c->version = true; break;
	case PO_PRECISE: c->precise = true; break;
	case PO_JSON: c->json = true; break;
	case PO_RROUTE: c->rroute = true; break;
	case PO_TCP: return ping_set_mode(c, PING_TCP);
	case PO_TCP_CONNECT: return ping_set_mode(c, PING_TCP_CONNECT);
	case PO_UDP: return ping_set_mode(c, PING_UDP);
	default: return 1;
	}
	return 0;
}

static int ping_opt_value(struct ping_conf *c, int id,
			  const struct opts_val *v, char *err, size_t errlen)
{
	switch (id) {
	case PO_COUNT: c->count = v->i; break;
	case PO_RTTLIST: c->count = v->i; c->rttlist = true; break;
	case PO_TSFMT: c->tsfmt = (enum out_ts_format)v->i; c->timestamps = true;
		break;
	case PO_IDENT: c->ident = v->i; break;
	case PO_FLOWLABEL: c->flowlabel = v->i; break;
	case PO_INTERVAL: c->interval = v->num; c->interval_given = true;
		break;
	case PO_IFACE: c->iface = v->str; break;
	case PO_PRELOAD: c->preload = v->i; break;
	case PO_MARK: c->mark = v->i; break;
	case PO_PMTU: c->pmtu = (int)v->i; break;
	case PO_IPTS: c->ipts = (int)v->i; break;
	case PO_NODEINFO: return ping_parse_nodeinfo(c, v->str, err, errlen);
	case PO_PATTERN: return ping_parse_pattern(c, v->str, err, errlen);
	case PO_TOS: c->tos = (int)v->i; break;
	case PO_SIZE: c->size = v->i; break;
	case PO_SNDBUF: c->sndbuf = v->i; break;
	case PO_TTL: c->ttl = (int)v->i; break;
	case PO_DEADLINE: c->deadline = v->num; break;
	case PO_TIMEOUT: c->timeout = v->num; c->timeout_given = true; break;
	case PO_CHECK: return ping_parse_check(c, v->str, err, errlen);
	case PO_OPENMETRICS: c->openmetrics = v->str; break;
	case PO_PORT: c->port = (uint16_t)v->i; c->port_given = true; break;
	default:
		return ping_errf(err, errlen, "internal: option %d", id);
	}
	return 0;
}

static int ping_on_opt(void *ctx, const struct opts_def *def,
		       const struct opts_val *val, char *err, size_t errlen)
{
	struct ping_conf *c = ctx;

	if (!def) {
		c->targets[c->ntargets++] = val->str;
		return 0;
	}
	if (def->kind == OPTS_FLAG && ping_opt_flag(c, def->id) == 0)
		return 0;
	return ping_opt_value(c, def->id, val, err, errlen);
}

static void ping_conf_init(struct ping_conf *c, const char **targets)
{
	memset(c, 0, sizeof(*c));
	c->family = AF_UNSPEC;
	c->interval = 1.0;
	c->timeout = 10.0;
	c->size = 56;
	c->ttl = c->tos = c->pmtu = c->ipts = c->ni_code = -1;
	c->ident = c->flowlabel = c->mark = -1;
	c->targets = targets;
}

/* -T tsprespec HOP... TARGET: the arguments before the last one are the
 * hops that are to write their timestamps (iputils takes them so). */
static int ping_ts_hops(struct ping_conf *c, char *err, size_t errlen)
{
	size_t i, n = c->ntargets - 1;

	if (n < 1 || n > PING_TS_HOPS)
		return ping_errf(err, errlen,
				 "-T tsprespec: give 1 to %d hop addresses "
				 "before the target (got %zu)",
				 PING_TS_HOPS, n);
	for (i = 0; i < n; i++) {
		struct sock_addr sa;
		char msg[256];

		if (sock_resolve(c->targets[i], AF_INET, false, &sa, msg,
				 sizeof(msg)) < 0)
			return ping_errf(err, errlen, "-T tsprespec: %s", msg);
		pkt_addr_from_sockaddr((struct sockaddr *)&sa.ss,
				       &c->ts_hops[i]);
	}
	c->nts_hops = n;
	c->targets += n;
	c->ntargets = 1;
	return 0;
}

/* The first target written as an address of family fam, or NULL: -R/-T
 * and -N fix the family, and a literal of the other one cannot follow. */
static const char *ping_literal_of(const struct ping_conf *c, int fam)
{
	struct pkt_addr a;
	size_t i;

	for (i = 0; i < c->ntargets; i++)
		if (pkt_addr_pton(c->targets[i], &a) == 0 && a.family == fam)
			return c->targets[i];
	return NULL;
}

/* -R and -T: IPv4 options of ICMP echo requests, one kind at a time. */
static int ping_ipopt_check(struct ping_conf *c, char *err, size_t errlen)
{
	const char *o = c->rroute ? "-R" : "-T";
	const char *lit;

	if (!c->rroute && c->ipts < 0)
		return 0;
	if (c->rroute && c->ipts >= 0)
		return ping_errf(err, errlen, "-R and -T exclude each other "
					      "(one IP option at a time)");
	if (c->family == AF_INET6)
		return ping_errf(err, errlen, "%s: IP options are IPv4 only, "
					      "not for -6", o);
	if (c->mode != PING_ICMP)
		return ping_errf(err, errlen, "%s: ICMP echo only", o);
	if ((lit = ping_literal_of(c, AF_INET6)) != NULL)
		return ping_errf(err, errlen,
				 "%s: %s is an IPv6 address; IP options are "
				 "IPv4 only",
				 o, lit);
	/* names resolve to their IPv4 address, as with -4 */
	c->family = AF_INET;
	if (c->ipts == PING_TS_PRESPEC)
		return ping_ts_hops(c, err, errlen);
	return 0;
}

/* -N: queries go to IPv6 targets, instead of echo requests. */
static int ping_ni_check(struct ping_conf *c, char *err, size_t errlen)
{
	const char *lit;

	if (!c->ni)
		return 0;
	if (!c->ni_qtype)
		return ping_errf(err, errlen,
				 "-N: a subject needs a query (name, ipv6, "
				 "ipv4 ...; -N help lists them)");
	if (c->rroute || c->ipts >= 0)
		return ping_errf(err, errlen,
				 "-N and %s exclude each other (IPv6 query, "
				 "IPv4 option)",
				 c->rroute ? "-R" : "-T");
	if (c->family == AF_INET)
		return ping_errf(err, errlen, "-N: Node Information queries "
					      "are IPv6 only, not for -4");
	if (c->mode != PING_ICMP)
		return ping_errf(err, errlen, "-N: not with --tcp, "
					      "--tcp-connect or --udp");
	if ((lit = ping_literal_of(c, AF_INET)) != NULL)
		return ping_errf(err, errlen,
				 "-N: %s is an IPv4 address; Node Information "
				 "queries are IPv6 only",
				 lit);
	c->family = AF_INET6;
	return 0;
}

/* Checks that involve more than one option, after the whole line. */
static int ping_conf_check(struct ping_conf *c, bool privileged, char *err,
			   size_t errlen)
{
	if (c->version || c->ni_help)
		return 0;
	if (c->ntargets == 0)
		return ping_errf(err, errlen, "no target given (see --help)");
	if (c->mode_flags > 1)
		return ping_errf(err, errlen,
				 "--tcp, --tcp-connect and --udp exclude "
				 "each other");
	if (c->mode != PING_ICMP && !c->port_given)
		c->port = c->mode == PING_UDP ? 33434 : 80;
	if (c->mode == PING_ICMP && c->port_given)
		return ping_errf(err, errlen,
				 "-P needs --tcp, --tcp-connect or --udp");
	if (c->flood && !privileged)
		return ping_errf(err, errlen,
				 "-f: flood needs root or CAP_NET_RAW "
				 "(the minimal interval for users is 2ms)");
	if (c->interval_given && c->interval < 0.002 && !privileged)
		return ping_errf(err, errlen,
				 "-i: intervals below 2ms need root or "
				 "CAP_NET_RAW");
	if (c->flood && !c->interval_given)
		c->interval = 0;
	if (c->json && c->check_given)
		return ping_errf(err, errlen,
				 "--json and --check exclude each other");
	if (c->flowlabel >= 0 && c->family == AF_INET)
		return ping_errf(err, errlen, "-F: flow labels are IPv6 only");
	if (c->ident >= 0 && c->mode != PING_ICMP)
		return ping_errf(err, errlen, "-e: ICMP echo only");
	if (ping_ni_check(c, err, errlen) < 0)
		return -1;
	return ping_ipopt_check(c, err, errlen);
}

/* ------------------------------------------------------------ run state */

#define PING_SEQ_SPACE 65536 /* icmp_seq is 16 bits */
#define PING_RING 1024       /* recent send times, for (DUP!) rtts */
#define PING_BUF 65600       /* largest datagram plus headers */
#define PING_RX_BATCH 64     /* reads per wake-up, so timers still run */

/* A send time kept after the probe left the table, for duplicates. */
struct ping_sent {
	uint32_t seq; /* the probe number (1-based); 0 = empty */
	int64_t tx_real_ns, tx_mono_ns;
};

struct ping_run;

struct ping_target {
	struct ping_run *run;
	const char *name;          /* as the user wrote it */
	bool numeric;              /* the name was an address */
	char addr_txt[INET6_ADDRSTRLEN];
	char rname[NI_MAXHOST];    /* reverse name of addr, or addr_txt */
	struct sock_addr addr;
	struct pkt_addr paddr;     /* the same, for lib/packet */
	struct pkt_addr psrc;      /* our source address towards it */
	int family;
	int fd;                    /* the family's socket (ICMP, raw TCP) */
	enum sock_icmp_kind kind;
	uint16_t ident;            /* echo id; dgram sockets: kernel's */
	uint16_t sport;            /* --tcp source port */
	uint32_t ntx;              /* probes sent; the last one's number */
	/* -R: the route printed last, for iputils' "(same route)" */
	size_t rr_n;
	struct pkt_addr rr[PKT_IPOPT_RR_SLOTS];
	uint32_t pending;          /* in the probe table, unanswered */
	uint32_t max_pending;      /* iputils' "pipe" */
	bool done;                 /* sent all it will send */
	struct stats st;
	uint64_t answered[PING_SEQ_SPACE / 64];
	struct ping_sent ring[PING_RING];
	float *rtts;               /* -C: ms per probe, NAN = no reply */
};

/* A socket the family's targets share (one per family). */
struct ping_sock {
	struct ping_run *run;
	int fd;
	enum sock_icmp_kind kind;
	int family;
	bool tcp;    /* a raw TCP socket (--tcp), not ICMP */
	bool connected; /* --connect with one target: sendto names none */
};

/* A probe with its own socket (--tcp-connect, --udp). */
struct ping_conn {
	struct ping_run *run;
	int fd;     /* -1: free slot */
	struct ping_target *t;
	uint32_t seq;
	int64_t tx_real_ns, tx_mono_ns;
};

struct ping_run {
	const struct ping_conf *c;
	struct loop loop;
	struct probe_table probes;
	struct ping_target *t;
	size_t nt;
	struct ping_sock socks[2]; /* [0] IPv4, [1] IPv6 */
	struct ping_sock errsocks[2]; /* --tcp: ICMP errors, same order */
	struct ping_conn *conns;
	size_t nconns;
	long long count;           /* probes per target here (-c, or the
				    * share of it when a lane takes half) */
	/* -f on a datagram socket: a second thread ("lane") with its own
	 * socket, loop and counters takes half the probes, so both cores
	 * work; the main run merges its counters at the end. */
	struct ping_run *lane;
	struct ping_run *parent;   /* in a lane: the main run */
	pthread_t lane_thread;
	int wake_fd;               /* eventfd: the other thread is done */
	bool lane_running;
	uint16_t tcp_sport;        /* --tcp: first source port */
	uint32_t tcp_isn;          /* --tcp: sequence number base */
	uint32_t ni_secret;        /* -N: in every nonce, checked in replies */
	size_t next_target;        /* round-robin position */
	uint64_t rounds;           /* rounds started */
	int64_t start_mono, start_real;
	int64_t round_mono;        /* when the current round began */
	int64_t end_mono;          /* when the run stopped */
	int64_t sync_mono;         /* CLOCK_MONOTONIC at ping_clock_sync */
	int64_t real_off_ns;       /* CLOCK_REALTIME minus it, then */
	uint64_t send_timer;
	int64_t send_timer_due;    /* when send_timer fires */
	bool sending_done;
	bool stopped;
	bool text;                 /* human text on stdout */
	struct json_writer json;
	size_t payload_len;
	uint8_t payload[PING_BUF];
	uint8_t txbuf[PING_BUF];
	uint8_t rxbuf[PING_BUF];
};

static bool ping_bit(const uint64_t *bits, uint16_t i)
{
	return (bits[i / 64] >> (i % 64)) & 1u;
}

static void ping_setbit(uint64_t *bits, uint16_t i, bool on)
{
	if (on)
		bits[i / 64] |= (uint64_t)1 << (i % 64);
	else
		bits[i / 64] &= ~((uint64_t)1 << (i % 64));
}

static double ping_ms(int64_t ns)
{
	return (double)ns / 1e6;
}

/* ------------------------------------------------------------ targets */

static bool ping_iface_is_addr(const struct ping_conf *c,
			       struct pkt_addr *out)
{
	return c->iface && pkt_addr_pton(c->iface, out) == 0;
}

/* A socket address for a (NULL: the unspecified address) and port. */
static void ping_sockaddr(const struct pkt_addr *a, int family,
			  uint16_t port, struct sock_addr *out)
{
	memset(out, 0, sizeof(*out));
	out->ss.ss_family = (sa_family_t)family;
	if (family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;

		if (a)
			memcpy(&s4->sin_addr, a->a, 4);
		out->len = sizeof(*s4);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;

		if (a)
			memcpy(&s6->sin6_addr, a->a, 16);
		out->len = sizeof(*s6);
	}
	sock_set_port(out, port);
}

/* Binds fd to -I: an interface name (SO_BINDTODEVICE) or a source
 * address (with port, for a datagram ICMP socket's -e). */
static int ping_bind_iface(const struct ping_conf *c, int fd, int family,
			   uint16_t port, char *err, size_t errlen)
{
	struct pkt_addr a;
	struct sock_addr sa;

	if (!c->iface)
		return 0;
	if (!ping_iface_is_addr(c, &a)) {
		if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, c->iface,
			       (socklen_t)strlen(c->iface) + 1) < 0)
			return ping_errf(err, errlen, "-I %s: %s", c->iface,
					 errno == ENODEV ? "no such interface"
							 : strerror(errno));
		return 0;
	}
	if (a.family != family)
		return ping_errf(err, errlen,
				 "-I %s: source and target address families "
				 "differ",
				 c->iface);
	ping_sockaddr(&a, family, port, &sa);
	if (bind(fd, (struct sockaddr *)&sa.ss, sa.len) < 0)
		return ping_errf(err, errlen, "-I %s: cannot bind: %s",
				 c->iface, strerror(errno));
	return 0;
}

/* The source address the kernel would pick towards the target: what a
 * connected UDP socket is bound to (no packet is sent). */
static int ping_find_source(const struct ping_conf *c, struct ping_target *t,
			    char *err, size_t errlen)
{
	struct sock_addr probe = t->addr, local;
	int fd = socket(t->family, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return ping_errf(err, errlen, "socket: %s", strerror(errno));
	if (ping_bind_iface(c, fd, t->family, 0, err, errlen) < 0) {
		close(fd);
		return -1;
	}
	if (c->broadcast) {
		int on = 1;

		setsockopt(fd, SOL_SOCKET, SO_BROADCAST, &on, sizeof(on));
	}
	sock_set_port(&probe, 1025);
	local.len = sizeof(local.ss);
	if (connect(fd, (struct sockaddr *)&probe.ss, probe.len) < 0 ||
	    getsockname(fd, (struct sockaddr *)&local.ss, &local.len) < 0) {
		int e = errno;

		close(fd);
		return ping_errf(err, errlen, "%s: %s", t->name, strerror(e));
	}
	close(fd);
	return pkt_addr_from_sockaddr((struct sockaddr *)&local.ss, &t->psrc)
		       == 0
		       ? 0
		       : ping_errf(err, errlen, "%s: no source address",
				   t->name);
}

/* Is a an IPv4 broadcast address of a local interface (or the limited
 * broadcast address)? iputils refuses those without -b. */
static bool ping_is_broadcast(const struct ping_target *t)
{
	struct ifaddrs *ifs, *i;
	bool found = false;

	if (t->family != AF_INET)
		return false;
	if (memcmp(t->paddr.a, "\xff\xff\xff\xff", 4) == 0)
		return true;
	if (getifaddrs(&ifs) < 0)
		return false;
	for (i = ifs; i && !found; i = i->ifa_next) {
		struct pkt_addr b;

		if (!(i->ifa_flags & IFF_BROADCAST) || !i->ifa_broadaddr ||
		    i->ifa_broadaddr->sa_family != AF_INET)
			continue;
		if (pkt_addr_from_sockaddr(i->ifa_broadaddr, &b) == 0 &&
		    pkt_addr_eq(&b, &t->paddr))
			found = true;
	}
	freeifaddrs(ifs);
	return found;
}

static int ping_resolve(struct ping_run *r, char *err, size_t errlen)
{
	const struct ping_conf *c = r->c;
	size_t i;

	for (i = 0; i < r->nt; i++) {
		struct ping_target *t = &r->t[i];
		struct pkt_addr tmp;

		t->run = r;
		t->name = c->targets[i];
		t->numeric = pkt_addr_pton(t->name, &tmp) == 0;
		if (sock_resolve(t->name, c->family, false, &t->addr, err,
				 errlen) < 0)
			return -1;
		t->family = sock_family(&t->addr);
		pkt_addr_from_sockaddr((struct sockaddr *)&t->addr.ss,
				       &t->paddr);
		sock_ntop(&t->addr, t->addr_txt, sizeof(t->addr_txt));
		snprintf(t->rname, sizeof(t->rname), "%s", t->addr_txt);
		if (!t->numeric && !c->numeric)
			getnameinfo((struct sockaddr *)&t->addr.ss,
				    t->addr.len, t->rname, sizeof(t->rname),
				    NULL, 0, NI_NAMEREQD);
		if (!c->broadcast && ping_is_broadcast(t))
			return ping_errf(err, errlen,
					 "%s is a broadcast address: give -b "
					 "to ping it",
					 t->name);
		if (ping_find_source(c, t, err, errlen) < 0)
			return -1;
		stats_init(&t->st);
		t->fd = -1;
	}
	return 0;
}

/* ------------------------------------------------------------ sockets */

static int ping_setopt(int fd, int level, int name, int v, const char *what,
		       char *err, size_t errlen)
{
	if (setsockopt(fd, level, name, &v, sizeof(v)) < 0)
		return ping_errf(err, errlen, "%s: %s", what, strerror(errno));
	return 0;
}

/* Raw ICMP sockets see every ICMP packet the host receives; let through
 * only what can answer a probe (replies and errors), so a flood does not
 * also read back its own requests. */
static int ping_set_filter(int fd, int family, bool ni)
{
	if (family == AF_INET) {
		struct icmp_filter f;

		f.data = ~((1u << ICMP_ECHOREPLY) | (1u << ICMP_DEST_UNREACH) |
			   (1u << ICMP_SOURCE_QUENCH) | (1u << ICMP_REDIRECT) |
			   (1u << ICMP_TIME_EXCEEDED) |
			   (1u << ICMP_PARAMETERPROB));
		return setsockopt(fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
	} else {
		struct icmp6_filter f;

		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
		if (ni)
			ICMP6_FILTER_SETPASS(PKT_NI_REPLY, &f);
		return setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f,
				  sizeof(f));
	}
}

static const int ping_pmtu_v4[] = { IP_PMTUDISC_DO, IP_PMTUDISC_DONT,
				    IP_PMTUDISC_WANT, IP_PMTUDISC_PROBE };
static const int ping_pmtu_v6[] = { IPV6_PMTUDISC_DO, IPV6_PMTUDISC_DONT,
				    IPV6_PMTUDISC_WANT, IPV6_PMTUDISC_PROBE };

/* The IP-level options (-t -Q -M -L) for one family. */
static int ping_set_ip_opts(const struct ping_conf *c, int fd, int family,
			    char *err, size_t errlen)
{
	bool v6 = family == AF_INET6;
	int lvl = v6 ? IPPROTO_IPV6 : IPPROTO_IP;

	if (c->ttl >= 0 &&
	    (ping_setopt(fd, lvl, v6 ? IPV6_UNICAST_HOPS : IP_TTL, c->ttl,
			 "-t", err, errlen) < 0 ||
	     ping_setopt(fd, lvl, v6 ? IPV6_MULTICAST_HOPS : IP_MULTICAST_TTL,
			 c->ttl, "-t", err, errlen) < 0))
		return -1;
	if (c->tos >= 0 && ping_setopt(fd, lvl, v6 ? IPV6_TCLASS : IP_TOS,
				       c->tos, "-Q", err, errlen) < 0)
		return -1;
	if (c->pmtu >= 0 &&
	    ping_setopt(fd, lvl, v6 ? IPV6_MTU_DISCOVER : IP_MTU_DISCOVER,
			v6 ? ping_pmtu_v6[c->pmtu] : ping_pmtu_v4[c->pmtu],
			"-M", err, errlen) < 0)
		return -1;
	if (c->noloop &&
	    ping_setopt(fd, lvl, v6 ? IPV6_MULTICAST_LOOP : IP_MULTICAST_LOOP,
			0, "-L", err, errlen) < 0)
		return -1;
	return 0;
}

/* The socket-level options every probe socket gets. */
static int ping_set_sock_opts(const struct ping_conf *c, int fd, char *err,
			      size_t errlen)
{
	if (c->broadcast && ping_setopt(fd, SOL_SOCKET, SO_BROADCAST, 1, "-b",
					err, errlen) < 0)
		return -1;
	if (c->so_debug && ping_setopt(fd, SOL_SOCKET, SO_DEBUG, 1, "-d", err,
				       errlen) < 0)
		return -1;
	if (c->dontroute && ping_setopt(fd, SOL_SOCKET, SO_DONTROUTE, 1, "-r",
					err, errlen) < 0)
		return -1;
	if (c->sndbuf > 0 && ping_setopt(fd, SOL_SOCKET, SO_SNDBUF,
					 (int)c->sndbuf, "-S", err,
					 errlen) < 0)
		return -1;
	if (c->mark >= 0 && ping_setopt(fd, SOL_SOCKET, SO_MARK,
					(int)(uint32_t)c->mark, "-m", err,
					errlen) < 0)
		return -1;
	/* Room for a burst of replies (preload, flood) before we read. */
	ping_setopt(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20, "SO_RCVBUF", NULL, 0);
	return 0;
}

/* --tcp: a raw ICMP socket for the errors that quote our SYNs (ttl
 * exceeded, unreachable). */
static int ping_open_errsock(struct ping_run *r, int family, char *err,
			     size_t errlen)
{
	struct ping_sock *e = &r->errsocks[family == AF_INET6];

	e->family = family;
	e->kind = SOCK_ICMP_RAW;
	e->fd = socket(family, SOCK_RAW | SOCK_CLOEXEC,
		       family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP);
	if (e->fd < 0 || ping_set_filter(e->fd, family, false) < 0 ||
	    sock_enable_rx_info(e->fd, family) < 0)
		return ping_errf(err, errlen, "ICMP socket: %s",
				 strerror(errno));
	return 0;
}

/* The family's socket itself: raw TCP (with an ICMP socket for the
 * errors) for --tcp, else ICMP, datagram when allowed. */
static int ping_open_kind(struct ping_run *r, struct ping_sock *s,
			  char *err, size_t errlen)
{
	char msg[256];

	if (r->c->mode == PING_TCP) {
		s->fd = socket(s->family, SOCK_RAW | SOCK_CLOEXEC,
			       IPPROTO_TCP);
		if (s->fd < 0)
			return ping_errf(err, errlen,
					 "--tcp needs a raw socket: run as "
					 "root or give CAP_NET_RAW (%s)",
					 strerror(errno));
		s->kind = SOCK_ICMP_RAW;
		s->tcp = true;
		return ping_open_errsock(r, s->family, err, errlen);
	}
	/* -N: ICMP datagram sockets send echo requests only */
	s->fd = sock_open_icmp(s->family, !r->c->ni, &s->kind, msg,
			       sizeof(msg));
	if (s->fd < 0 && r->c->ni)
		return ping_errf(err, errlen,
				 "-N needs a raw ICMPv6 socket: run as root "
				 "or give CAP_NET_RAW (%s)",
				 strerror(errno));
	if (s->fd < 0)
		return ping_errf(err, errlen, "%s", msg);
	if (s->kind == SOCK_ICMP_RAW &&
	    ping_set_filter(s->fd, s->family, r->c->ni) < 0)
		return ping_errf(err, errlen, "ICMP filter: %s",
				 strerror(errno));
	/* Datagram sockets get ICMP errors only on the error queue. */
	if (s->kind == SOCK_ICMP_DGRAM &&
	    sock_enable_recverr(s->fd, s->family) < 0)
		return ping_errf(err, errlen, "IP_RECVERR: %s",
				 strerror(errno));
	return 0;
}

/* -B (the source chosen at start) and -e on a datagram socket (its echo
 * id is its local "port") are one bind(); -I with an address binds it. */
static int ping_bind_local(struct ping_run *r, struct ping_sock *s,
			   const struct ping_target *first, char *err,
			   size_t errlen)
{
	const struct ping_conf *c = r->c;
	uint16_t port = c->mode == PING_ICMP && s->kind == SOCK_ICMP_DGRAM &&
					c->ident >= 0
				? (uint16_t)c->ident
				: 0;
	struct sock_addr sa;

	if (c->iface)
		return ping_bind_iface(c, s->fd, s->family, port, err, errlen);
	if (!c->sticky && !port)
		return 0;
	ping_sockaddr(c->sticky ? &first->psrc : NULL, s->family, port, &sa);
	if (bind(s->fd, (struct sockaddr *)&sa.ss, sa.len) < 0)
		return ping_errf(err, errlen, "%s: cannot bind: %s",
				 c->sticky ? "-B" : "-e", strerror(errno));
	return 0;
}

/* The IPv4 option -R or -T puts into every echo request; 0 bytes when
 * neither was given. */
static int ping_ipopt_build(const struct ping_conf *c, uint8_t *buf,
			    size_t cap)
{
	if (c->rroute)
		return pkt_ipopt_build_rr(buf, cap, NULL);
	if (c->ipts >= 0)
		return pkt_ipopt_build_ts(ping_ts_kinds[c->ipts], c->ts_hops,
					  c->nts_hops, buf, cap, NULL);
	return 0;
}

static size_t ping_ipopt_len(const struct ping_conf *c)
{
	uint8_t b[PKT_IPOPT_MAX];
	int n = ping_ipopt_build(c, b, sizeof(b));

	return n > 0 ? (size_t)n : 0;
}

/* -R/-T: the kernel adds the option to the header it builds (raw ICMP
 * sockets here are not IP_HDRINCL, datagram ones never are). Raw reads
 * carry the reply's header with its options; datagram reads start at
 * the ICMP header, so the options come as an IP_RECVOPTS cmsg. */
static int ping_set_ipopt(const struct ping_conf *c, const struct ping_sock *s,
			  char *err, size_t errlen)
{
	uint8_t b[PKT_IPOPT_MAX];
	int n = ping_ipopt_build(c, b, sizeof(b));
	const char *o = c->rroute ? "-R" : "-T";

	if (n <= 0 || s->family != AF_INET)
		return 0;
	if (setsockopt(s->fd, IPPROTO_IP, IP_OPTIONS, b, (socklen_t)n) < 0)
		return ping_errf(err, errlen, "%s: IP_OPTIONS: %s", o,
				 strerror(errno));
	if (s->kind == SOCK_ICMP_DGRAM && sock_enable_rx_opts(s->fd) < 0)
		return ping_errf(err, errlen, "%s: IP_RECVOPTS: %s", o,
				 strerror(errno));
	return 0;
}

/* Opens the shared socket of a family, with every option set. */
static int ping_open_family(struct ping_run *r, int family,
			    const struct ping_target *first, char *err,
			    size_t errlen)
{
	const struct ping_conf *c = r->c;
	struct ping_sock *s = &r->socks[family == AF_INET6];

	s->family = family;
	if (ping_open_kind(r, s, err, errlen) < 0)
		return -1;
	/* Raw IPv4 reads carry the IP header, TTL included. With -q (and
	 * no JSON) no reply's TTL is ever shown: without the TTL/TOS cmsgs
	 * the kernel skips building them for every packet (-2 % CPU in a
	 * single-threaded datagram flood). */
	if (((s->kind == SOCK_ICMP_RAW && family == AF_INET) ||
			     (c->quiet && !c->json)
		     ? sock_enable_rx_stamp(s->fd)
		     : sock_enable_rx_info(s->fd, family)) < 0)
		return ping_errf(err, errlen, "rx timestamps: %s",
				 strerror(errno));
	if (ping_set_sock_opts(c, s->fd, err, errlen) < 0 ||
	    ping_set_ip_opts(c, s->fd, family, err, errlen) < 0 ||
	    ping_set_ipopt(c, s, err, errlen) < 0 ||
	    ping_bind_local(r, s, first, err, errlen) < 0)
		return -1;
	if (c->connect && r->nt == 1) {
		if (connect(s->fd, (struct sockaddr *)&first->addr.ss,
			    first->addr.len) < 0)
			return ping_errf(err, errlen, "--connect: %s",
					 strerror(errno));
		s->connected = true;
	}
	return 0;
}

/* The kernel's flow label lease request (linux/in6.h, which cannot be
 * included next to netinet/in.h). */
struct ping_flowlabel_req {
	struct in6_addr flr_dst;
	uint32_t flr_label; /* network order */
	uint8_t flr_action, flr_share;
	uint16_t flr_flags, flr_expires, flr_linger;
	uint32_t flr_pad;
};

#define PING_IPV6_FLOWLABEL_MGR 32
#define PING_IPV6_FLOWINFO_SEND 33
#define PING_IPV6_FL_A_GET 0
#define PING_IPV6_FL_F_CREATE 1
#define PING_IPV6_FL_S_EXCL 1

/* -F: Linux sends a flow label only under a lease for the destination;
 * take one, then label the destination address with it. */
static int ping_flowlabel(const struct ping_conf *c, int fd,
			  struct ping_target *t, char *err, size_t errlen)
{
	struct ping_flowlabel_req fr;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&t->addr.ss;

	memset(&fr, 0, sizeof(fr));
	memcpy(&fr.flr_dst, &s6->sin6_addr, sizeof(fr.flr_dst));
	fr.flr_label = htonl((uint32_t)c->flowlabel & 0xfffff);
	fr.flr_action = PING_IPV6_FL_A_GET;
	fr.flr_flags = PING_IPV6_FL_F_CREATE;
	fr.flr_share = PING_IPV6_FL_S_EXCL;
	if (setsockopt(fd, IPPROTO_IPV6, PING_IPV6_FLOWLABEL_MGR, &fr,
		       sizeof(fr)) < 0)
		return ping_errf(err, errlen, "-F: cannot lease the label: %s",
				 strerror(errno));
	if (ping_setopt(fd, IPPROTO_IPV6, PING_IPV6_FLOWINFO_SEND, 1, "-F",
			err, errlen) < 0)
		return -1;
	s6->sin6_flowinfo = fr.flr_label;
	return 0;
}

/* Opens what the targets need, before privileges go. */
static int ping_open_sockets(struct ping_run *r, char *err, size_t errlen)
{
	size_t i;

	if (r->c->mode == PING_TCP_CONNECT || r->c->mode == PING_UDP)
		return 0; /* one socket per probe, opened as it goes */
	for (i = 0; i < r->nt; i++) {
		struct ping_target *t = &r->t[i];
		struct ping_sock *s = &r->socks[t->family == AF_INET6];

		if (s->fd < 0 && ping_open_family(r, t->family, t, err,
						  errlen) < 0)
			return -1;
		t->fd = s->fd;
		t->kind = s->kind;
		if (r->c->flowlabel >= 0 && t->family == AF_INET6 &&
		    ping_flowlabel(r->c, s->fd, t, err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ output */

/* iputils' rtt text: three decimals below 1 ms, then two, one, none, each
 * rounded at the digit it drops (-3: always three, unrounded). */
static void ping_fmt_rtt(char *buf, size_t len, int64_t rtt_ns, bool precise)
{
	long long us = rtt_ns / 1000;

	if (precise || us < 1000)
		snprintf(buf, len, "%lld.%03lld", us / 1000, us % 1000);
	else if (us < 10000 - 5)
		snprintf(buf, len, "%lld.%02lld", (us + 5) / 1000,
			 ((us + 5) % 1000) / 10);
	else if (us < 100000 - 50)
		snprintf(buf, len, "%lld.%01lld", (us + 50) / 1000,
			 ((us + 50) % 1000) / 100);
	else
		snprintf(buf, len, "%lld", (us + 500) / 1000);
}

/* "[1700000000.123456] " before a line, with -D. */
static void ping_stamp(struct ping_run *r, int64_t real_ns, int64_t mono_ns)
{
	char buf[64];

	if (!r->c->timestamps)
		return;
	if (out_timestamp(buf, sizeof(buf), r->c->tsfmt, real_ns,
			  mono_ns - r->start_mono) > 0)
		printf("%s ", buf);
}

/* "localhost (127.0.0.1)" for named targets, the address alone for
 * numeric ones or -n (as iputils prints the source of a reply). */
static const char *ping_who(const struct ping_target *t,
			    const struct pkt_addr *from, char *buf,
			    size_t len)
{
	char a[INET6_ADDRSTRLEN];

	pkt_addr_ntop(from, a, sizeof(a));
	if ((t->numeric && !t->run->c->rdns) || t->run->c->numeric) {
		snprintf(buf, len, "%s", a);
	} else if (pkt_addr_eq(from, &t->paddr)) {
		snprintf(buf, len, "%s (%s)", t->rname, a);
	} else {
		struct sock_addr sa;
		char name[NI_MAXHOST];

		if (sock_resolve(a, from->family, true, &sa, NULL, 0) == 0 &&
		    getnameinfo((struct sockaddr *)&sa.ss, sa.len, name,
				sizeof(name), NULL, 0, NI_NAMEREQD) == 0)
			snprintf(buf, len, "%s (%s)", name, a);
		else
			snprintf(buf, len, "%s", a);
	}
	return buf;
}

static double ping_since_start(const struct ping_run *r)
{
	return (double)(loop_now_ns() - r->start_mono) / 1e9;
}

/* -v: "SENT (0.0012s) ICMP [...]" through lib/packet's summary. */
static void ping_verbose(struct ping_run *r, const char *dir,
			 const struct pkt_parsed *p)
{
	char line[512];

	if (!r->c->verbose || !r->text)
		return;
	pkt_summary(p, PKT_DETAIL_NORMAL, line, sizeof(line));
	printf("%s (%.4fs) %s\n", dir, ping_since_start(r), line);
}

static void ping_json_head(struct ping_run *r, const char *type,
			   const struct ping_target *t)
{
	struct json_writer *w = &r->json;

	json_begin_object(w);
	json_kv_int(w, "version", 1);
	json_kv_string(w, "type", type);
	json_kv_string(w, "target", t->name);
	json_kv_string(w, "addr", t->addr_txt);
	json_kv_double(w, "time", (double)sock_realtime_ns() / 1e9, 6);
}

/* ------------------------------------------------------------ sending */

static uint64_t ping_wire_bytes(const struct ping_target *t, size_t l4len)
{
	if (t->family == AF_INET6)
		return 40 + l4len;
	return 20 + ping_ipopt_len(t->run->c) + l4len;
}

static void ping_check_finish(struct ping_run *r);

/* -O: the previous probe is still unanswered as the next one leaves. */
static void ping_report_outstanding(struct ping_run *r, struct ping_target *t)
{
	uint16_t prev = (uint16_t)t->ntx;

	if (!r->c->outstanding || !r->text || t->ntx == 0 ||
	    ping_bit(t->answered, prev))
		return;
	ping_stamp(r, sock_realtime_ns(), loop_now_ns());
	printf("no answer yet for icmp_seq=%u\n", (unsigned)prev);
}

static void ping_after_send_fail(struct ping_run *r, struct ping_target *t,
				 int e, int64_t now)
{
	stats_error(&t->st, now, STATS_ERR_LOCAL, 0);
	if (r->json.f) {
		ping_json_head(r, "error", t);
		json_kv_uint(&r->json, "seq", t->ntx);
		json_kv_string(&r->json, "error", strerror(e));
		json_end_object(&r->json);
	} else {
		fprintf(stderr, "echolot ping: %s: sendto: %s\n", t->name,
			strerror(e));
	}
}

/* Records a probe that left: the table for matching, the ring for
 * duplicates, the counters. */
static void ping_record(struct ping_run *r, struct ping_target *t,
			const struct probe *p, uint64_t bytes)
{
	struct ping_sent *slot = &t->ring[p->seq % PING_RING];
	struct probe *added = probe_add(&r->probes, p);

	if (!added && errno == EEXIST) {
		/* The 16-bit seq wrapped onto a probe still waiting: the
		 * new one takes its place (one lookup a send otherwise). */
		struct probe *old = probe_find(&r->probes, &p->f);

		((struct ping_target *)old->user)->pending--;
		probe_remove(&r->probes, old);
		added = probe_add(&r->probes, p);
	}
	if (added && ++t->pending > t->max_pending)
		t->max_pending = t->pending;
	slot->seq = p->seq;
	slot->tx_real_ns = p->tx_real_ns;
	slot->tx_mono_ns = p->tx_mono_ns;
	ping_setbit(t->answered, (uint16_t)p->seq, false);
	stats_sent(&t->st, p->tx_mono_ns, bytes);
	if (r->c->flood && r->text && !r->c->quiet) {
		putchar('.');
		fflush(stdout);
	}
}

/* -N: a Node Information query instead of the echo request; its subject
 * is the target's address unless -N gave one. */
static int ping_build_ni(struct ping_run *r, const struct ping_target *t,
			 const struct probe *p)
{
	const struct ping_conf *c = r->c;
	uint8_t nonce[8];

	pkt_ni_make_nonce(t->ident, p->f.icmp_seq, r->ni_secret, nonce);
	if (c->ni_code < 0)
		return pkt_ni_build_query(c->ni_qtype, c->ni_flags,
					  PKT_NI_SUBJ_IPV6, nonce, t->paddr.a,
					  16, r->txbuf, sizeof(r->txbuf),
					  NULL);
	return pkt_ni_build_query(c->ni_qtype, c->ni_flags,
				  (enum pkt_ni_subject)c->ni_code, nonce,
				  c->ni_subject, c->ni_subject_len, r->txbuf,
				  sizeof(r->txbuf), NULL);
}

static int ping_build(struct ping_run *r, struct ping_target *t,
		      struct probe *p)
{
	int len = r->c->ni ? ping_build_ni(r, t, p)
			   : pkt_build_echo(t->family, t->ident,
					    p->f.icmp_seq, r->payload,
					    r->payload_len, false, 0, r->txbuf,
					    sizeof(r->txbuf), NULL);

	if (len >= 0 && r->c->verbose) {
		struct pkt_parsed pp;

		if (pkt_parse_icmp(r->txbuf, (size_t)len, t->family, &t->psrc,
				   &t->paddr, &pp) == 0)
			ping_verbose(r, "SENT", &pp);
	}
	return len;
}

/* After sendto: the probe is counted as sent either way (iputils counts a
 * failed send as transmitted), then recorded or reported as an error. */
static void ping_after_sendto(struct ping_run *r, struct ping_target *t,
			      struct probe *p, int send_errno, size_t len)
{
	t->ntx = p->seq;
	if (send_errno) {
		stats_sent(&t->st, p->tx_mono_ns, ping_wire_bytes(t, len));
		ping_after_send_fail(r, t, send_errno, p->tx_mono_ns);
		return;
	}
	ping_record(r, t, p, ping_wire_bytes(t, len));
}

/*
 * Both clocks, read once per wake-up (each callback that sends or
 * receives starts with this, and so does the run). A probe's send time is then a single
 * clock read, the realtime one the rtt needs against the kernel's receive
 * stamp, and its monotonic time is derived, as is a reply's from that
 * stamp. In a flood a clock read costs about 50 ns, and there were four
 * per probe: a fifth of ping's own CPU per probe. A derived time is off
 * by the realtime clock's slew since the sync (NTP slews at most 500 ppm:
 * 5 us in 10 ms) or by a step of it, which sock_rtt_ns catches as it
 * would with both clocks read: the rtt then falls back to monotonic time.
 */
static void ping_clock_sync(struct ping_run *r)
{
	r->sync_mono = loop_now_ns();
	r->real_off_ns = sock_realtime_ns() - r->sync_mono;
}

static void ping_send_icmp(struct ping_run *r, struct ping_target *t)
{
	struct probe p;
	bool connected;
	int len;
	ssize_t n;

	ping_report_outstanding(r, t);
	memset(&p, 0, sizeof(p));
	p.f.proto = PKT_PROBE_ICMP;
	p.f.dst = t->paddr;
	p.f.icmp_id = t->ident;
	p.seq = t->ntx + 1;
	p.f.icmp_seq = (uint16_t)p.seq;
	p.ttl = (uint8_t)(r->c->ttl > 0 ? r->c->ttl : 64);
	p.user = t;
	len = ping_build(r, t, &p);
	if (len < 0) {
		t->ntx = p.seq;
		ping_after_send_fail(r, t, EMSGSIZE, loop_now_ns());
		return;
	}
	/* The send time as close to the syscall as we can take it: one
	 * realtime read, since the rtt is the kernel's (realtime) receive
	 * stamp minus it; the monotonic time follows (ping_clock_sync). */
	connected = r->socks[t->family == AF_INET6].connected;
	p.tx_real_ns = sock_realtime_ns();
	p.tx_mono_ns = p.tx_real_ns - r->real_off_ns;
	n = sock_sendto(t->fd, r->txbuf, (size_t)len, 0,
			connected ? NULL : (struct sockaddr *)&t->addr.ss,
			connected ? 0 : t->addr.len);
	ping_after_sendto(r, t, &p, n < 0 ? errno : 0, (size_t)len);
}

/* ------------------------------------------------------------ receiving */

/* What one received packet turned out to be, for the renderers. */
struct ping_event {
	struct ping_target *t;
	struct pkt_addr from;
	uint32_t seq;       /* probe number */
	size_t bytes;       /* ICMP bytes (iputils' "64 bytes") */
	int ttl;            /* -1 unknown */
	int64_t rtt_ns;     /* -1 unknown */
	int64_t rx_real_ns, rx_mono_ns;
	bool dup;
	const char *problem; /* corrupted reply: what is wrong, else NULL */
	const char *error;   /* ICMP error text, else NULL */
	uint8_t icmp_type, icmp_code;
	const char *what;    /* TCP/UDP modes: "SYN-ACK", "RST", ... */
	const char *state;   /* TCP/UDP modes: "open", "closed" */
	const uint8_t *ipopts; /* IPv4 options of the reply (-R, -T) */
	size_t ipopt_len;
	const char *ni_text;   /* -N: iputils' text of the reply data */
};

/* -R, as iputils prints it: "\nRR: \tA\n\tB\n" after the reply line,
 * or "\t(same route)" on it when nothing changed since the last one. */
static void ping_print_rr(struct ping_target *t, const struct pkt_ipopt_rr *rr)
{
	char who[NI_MAXHOST + 64];
	size_t i;

	if (rr->n == 0)
		return;
	if (rr->n == t->rr_n &&
	    memcmp(rr->addr, t->rr, rr->n * sizeof(rr->addr[0])) == 0) {
		fputs("\t(same route)", stdout);
		return;
	}
	t->rr_n = rr->n;
	memcpy(t->rr, rr->addr, rr->n * sizeof(rr->addr[0]));
	fputs("\nRR: ", stdout);
	for (i = 0; i < rr->n; i++)
		printf("\t%s\n", ping_who(t, &rr->addr[i], who, sizeof(who)));
}

/* One timestamp: the first as it is ("absolute"), the others as the
 * difference to the one before, as iputils does. A set high bit means a
 * hop's own clock, not ms since midnight UT ("not-standard"). */
static void ping_print_ts_ms(uint32_t ms, uint32_t *std, uint32_t *nonstd)
{
	if (ms & 0x80000000u) {
		ms &= 0x7fffffffu;
		if (*nonstd == 0)
			printf("\t%lu absolute not-standard", (unsigned long)ms);
		else
			printf("\t%ld not-standard", (long)ms - (long)*nonstd);
		*nonstd = ms;
	} else {
		/* (iputils takes a value of 0 as "none before" too) */
		if (*std == 0)
			printf("\t%lu absolute", (unsigned long)ms);
		else
			printf("\t%ld", (long)ms - (long)*std);
		*std = ms;
	}
}

/* -T: "\nTS: " and a line per hop, then the hops that found no room. */
static void ping_print_ts(const struct ping_target *t,
			  const struct pkt_ipopt_ts *ts)
{
	char who[NI_MAXHOST + 64];
	uint32_t std = 0, nonstd = 0;
	size_t i;

	if (ts->n == 0)
		return;
	fputs("\nTS: ", stdout);
	for (i = 0; i < ts->n; i++) {
		const struct pkt_ipopt_ts_entry *x = &ts->e[i];

		if (x->addr.family)
			printf("\t%s", ping_who(t, &x->addr, who, sizeof(who)));
		ping_print_ts_ms(x->ms, &std, &nonstd);
		putchar('\n');
	}
	if (ts->overflow)
		printf("Unrecorded hops: %u\n", (unsigned)ts->overflow);
}

static void ping_print_ipopts(struct ping_run *r, const struct ping_event *e)
{
	struct pkt_ipopts o;

	if ((!r->c->rroute && r->c->ipts < 0) || !e->ipopt_len)
		return;
	/* what a malformed option left parsed is still printed */
	pkt_ipopts_parse(e->ipopts, e->ipopt_len, &o);
	if (r->c->rroute && o.rr.present)
		ping_print_rr(e->t, &o.rr);
	if (r->c->ipts >= 0 && o.ts.present)
		ping_print_ts(e->t, &o.ts);
}

/* -N: "41 bytes from ADDR: host.example.; seq=1; ttl=63", as iputils
 * prints it: no time (the report has the rtts). */
static void ping_print_ni(const struct ping_event *e)
{
	char who[NI_MAXHOST + 64];

	printf("%zu bytes from %s:%s; seq=%u;", e->bytes,
	       ping_who(e->t, &e->from, who, sizeof(who)), e->ni_text,
	       (unsigned)(uint16_t)e->seq);
}

static void ping_print_reply(struct ping_run *r, const struct ping_event *e)
{
	char who[NI_MAXHOST + 64], rtt[32];

	if (r->c->quiet)
		return;
	if (r->c->flood && !e->problem) {
		fputs("\b \b", stdout);
		fflush(stdout);
		return;
	}
	if (r->c->quiet)
		return;
	ping_stamp(r, e->rx_real_ns, e->rx_mono_ns);
	if (e->ni_text)
		ping_print_ni(e);
	else if (e->what)
		printf("%s from %s port %u: seq=%u", e->what,
		       ping_who(e->t, &e->from, who, sizeof(who)),
		       (unsigned)r->c->port, (unsigned)e->seq);
	else
		printf("%zu bytes from %s: icmp_seq=%u", e->bytes,
		       ping_who(e->t, &e->from, who, sizeof(who)),
		       (unsigned)(uint16_t)e->seq);
	if (e->ttl >= 0)
		printf(" ttl=%d", e->ttl);
	if (e->rtt_ns >= 0 && !e->ni_text) {
		ping_fmt_rtt(rtt, sizeof(rtt), e->rtt_ns, r->c->precise);
		printf(" time=%s ms", rtt);
	}
	if (e->dup)
		fputs(" (DUP!)", stdout);
	if (e->problem)
		printf(" (%s)", e->problem);
	if (e->state)
		printf(" (%s)", e->state);
	ping_print_ipopts(r, e);
	if (r->c->audible)
		putchar('\a');
	putchar('\n');
	fflush(stdout);
}

static void ping_print_error(struct ping_run *r, const struct ping_event *e)
{
	char who[NI_MAXHOST + 64];

	if (r->c->quiet)
		return;
	if (r->c->flood) {
		fputs("\bE", stdout);
		fflush(stdout);
		return;
	}
	ping_stamp(r, e->rx_real_ns, e->rx_mono_ns);
	printf("From %s icmp_seq=%u %s\n",
	       ping_who(e->t, &e->from, who, sizeof(who)),
	       (unsigned)(uint16_t)e->seq, e->error);
	fflush(stdout);
}

/* -R/-T in JSON: "route" lists every recorded address (no "same route"
 * shorthand: each object stands alone), "timestamps" the raw values. */
static void ping_json_ipopts(struct ping_run *r, const struct ping_event *e)
{
	struct json_writer *w = &r->json;
	struct pkt_ipopts o;
	char a[INET6_ADDRSTRLEN];
	size_t i;

	if ((!r->c->rroute && r->c->ipts < 0) || !e->ipopt_len)
		return;
	pkt_ipopts_parse(e->ipopts, e->ipopt_len, &o);
	if (r->c->rroute && o.rr.present) {
		json_key(w, "route");
		json_begin_array(w);
		for (i = 0; i < o.rr.n; i++)
			json_string(w, pkt_addr_ntop(&o.rr.addr[i], a, sizeof(a)));
		json_end_array(w);
	}
	if (r->c->ipts < 0 || !o.ts.present)
		return;
	json_key(w, "timestamps");
	json_begin_array(w);
	for (i = 0; i < o.ts.n; i++) {
		json_begin_object(w);
		if (o.ts.e[i].addr.family)
			json_kv_string(w, "addr", pkt_addr_ntop(&o.ts.e[i].addr,
							       a, sizeof(a)));
		json_kv_uint(w, "ms", o.ts.e[i].ms & 0x7fffffffu);
		json_kv_bool(w, "standard", !(o.ts.e[i].ms & 0x80000000u));
		json_end_object(w);
	}
	json_end_array(w);
	json_kv_uint(w, "unrecorded_hops", o.ts.overflow);
}

static void ping_json_event(struct ping_run *r, const struct ping_event *e)
{
	struct json_writer *w = &r->json;
	char from[INET6_ADDRSTRLEN];

	ping_json_head(r, e->error ? "error" : "reply", e->t);
	json_kv_string(w, "from", pkt_addr_ntop(&e->from, from, sizeof(from)));
	json_kv_uint(w, "seq", e->seq);
	if (e->error) {
		json_kv_string(w, "error", e->error);
		json_kv_int(w, "icmp_type", e->icmp_type);
		json_kv_int(w, "icmp_code", e->icmp_code);
	} else {
		json_kv_uint(w, "bytes", e->bytes);
		if (e->ttl >= 0)
			json_kv_int(w, "ttl", e->ttl);
		else
			json_kv_null(w, "ttl");
		if (e->rtt_ns >= 0)
			json_kv_double(w, "rtt_ms", ping_ms(e->rtt_ns), 3);
		else
			json_kv_null(w, "rtt_ms");
		if (e->what) {
			json_kv_string(w, "reply", e->what);
			json_kv_string(w, "state", e->state);
			json_kv_int(w, "port", r->c->port);
		}
		json_kv_bool(w, "dup", e->dup);
		json_kv_bool(w, "corrupted", e->problem != NULL);
		if (e->problem)
			json_kv_string(w, "problem", e->problem);
		ping_json_ipopts(r, e);
		if (e->ni_text)
			json_kv_string(w, "nodeinfo", e->ni_text[0] == ' '
							      ? e->ni_text + 1
							      : e->ni_text);
	}
	json_end_object(w);
}

static void ping_emit(struct ping_run *r, const struct ping_event *e)
{
	if (r->json.f)
		ping_json_event(r, e);
	else if (r->text && e->error)
		ping_print_error(r, e);
	else if (r->text)
		ping_print_reply(r, e);
}

/* Does the echo data come back as we sent it? lib/packet parsed the
 * reply; the payload is ours (cmd/ filled it with the pattern), so it is
 * compared here. */
static const char *ping_check_reply(const struct ping_run *r,
				    const struct pkt_parsed *pp)
{
	const struct pkt_icmp *ic = &pp->outer.icmp;

	if (ic->checksum_ok == PKT_CKSUM_BAD)
		return "BAD CHECKSUM!";
	if (ic->data_len != r->payload_len ||
	    (r->payload_len &&
	     memcmp(ic->data, r->payload, r->payload_len) != 0))
		return "wrong data";
	return NULL;
}

static void ping_rtt_sample(struct ping_target *t, const struct ping_event *e)
{
	double ms = ping_ms(e->rtt_ns);

	if (e->rtt_ns < 0)
		return;
	if (t->rtts && e->seq >= 1 && e->seq <= t->run->c->count && !e->dup)
		t->rtts[e->seq - 1] = (float)ms;
}

static void ping_send_next_now(struct ping_run *r);

/* A reply the probe table matched: first answer to one of our probes. */
static void ping_on_answer(struct ping_run *r, struct probe_match *m,
			   const struct pkt_parsed *pp,
			   const struct sock_rx *rx, struct ping_event *e)
{
	struct probe *p = m->probe;
	struct ping_target *t = p->user;

	e->t = t;
	e->seq = p->seq;
	e->rtt_ns = r->c->userlat
			    ? e->rx_mono_ns - p->tx_mono_ns
			    : sock_rtt_ns(p->tx_real_ns, p->tx_mono_ns, rx,
					  e->rx_mono_ns);
	if (m->kind == PROBE_REPLY_TCP_SYNACK || m->kind == PROBE_REPLY_TCP_RST) {
		e->what = m->kind == PROBE_REPLY_TCP_RST ? "RST" : "SYN-ACK";
		e->state = m->kind == PROBE_REPLY_TCP_RST ? "closed" : "open";
		stats_reply(&t->st, e->rx_mono_ns, e->rtt_ns,
			    ping_wire_bytes(t, e->bytes), p->seq);
		ping_setbit(t->answered, (uint16_t)p->seq, true);
	} else if (m->kind == PROBE_REPLY_ECHO) {
		/* (NI replies carry no echo data to compare) */
		e->problem = e->ni_text ? NULL : ping_check_reply(r, pp);
		if (e->problem)
			stats_error(&t->st, e->rx_mono_ns, STATS_ERR_CORRUPT,
				    e->bytes);
		else
			stats_reply(&t->st, e->rx_mono_ns, e->rtt_ns,
				    ping_wire_bytes(t, e->bytes), p->seq);
		if (!e->problem)
			ping_setbit(t->answered, (uint16_t)p->seq, true);
	} else {
		e->error = pkt_icmp_ping_text(t->family == AF_INET6,
					      m->icmp_type, m->icmp_code);
		e->icmp_type = m->icmp_type;
		e->icmp_code = m->icmp_code;
		stats_error(&t->st, e->rx_mono_ns, STATS_ERR_ICMP,
			    ping_wire_bytes(t, e->bytes));
	}
	/* A corrupted reply leaves the probe waiting for a good one. */
	if (!e->problem) {
		probe_remove(&r->probes, p);
		t->pending--;
	}
	if (!e->error && !e->problem)
		ping_rtt_sample(t, e);
	ping_emit(r, e);
}

/* An echo reply the table does not know: a duplicate of an answered
 * probe of ours, or someone else's (ignored). */
static void ping_on_unmatched(struct ping_run *r, const struct pkt_parsed *pp,
			      struct ping_event *e)
{
	const struct pkt_icmp *ic = &pp->outer.icmp;
	size_t i;

	if (pp->outer.l4 != PKT_L4_ICMP ||
	    ic->type != (ic->v6 ? ICMP6_ECHO_REPLY : ICMP_ECHOREPLY))
		return;
	for (i = 0; i < r->nt; i++) {
		struct ping_target *t = &r->t[i];
		struct ping_sent *s;

		if (!pkt_addr_eq(&t->paddr, &e->from) ||
		    (t->kind == SOCK_ICMP_RAW && ic->id != t->ident) ||
		    !ping_bit(t->answered, ic->seq))
			continue;
		s = &t->ring[ic->seq % PING_RING];
		e->t = t;
		e->seq = (uint16_t)s->seq == ic->seq ? s->seq : ic->seq;
		e->dup = true;
		e->rtt_ns = (uint16_t)s->seq == ic->seq
				    ? e->rx_real_ns - s->tx_real_ns
				    : -1;
		if (e->rtt_ns < -1)
			e->rtt_ns = -1;
		stats_dup(&t->st, e->rx_mono_ns, e->rtt_ns,
			  ping_wire_bytes(t, e->bytes));
		ping_verbose(r, "RCVD", pp);
		ping_emit(r, e);
		return;
	}
}

/* Our own address towards the sender, when the sender is a target: the
 * other half of the IPv6 pseudo-header (raw IPv6 sockets give no IP
 * header), so the checksum can be verified. */
static const struct pkt_addr *ping_local_for(const struct ping_run *r,
					     const struct pkt_addr *from)
{
	size_t i;

	for (i = 0; i < r->nt; i++)
		if (pkt_addr_eq(&r->t[i].paddr, from))
			return &r->t[i].psrc;
	return NULL;
}

static int ping_parse_rx(const struct ping_run *r, const struct ping_sock *s,
			 const uint8_t *buf, size_t n,
			 const struct sock_rx *rx, struct pkt_parsed *pp)
{
	struct pkt_addr from;
	const struct pkt_addr *local;

	/* Raw IPv4 sockets hand over the IP header; datagram sockets and
	 * raw IPv6 sockets start at the ICMP (or TCP) header. */
	if (s->family == AF_INET && s->kind == SOCK_ICMP_RAW)
		return pkt_parse(buf, n, pp);
	pkt_addr_from_sockaddr((const struct sockaddr *)&rx->from.ss, &from);
	local = ping_local_for(r, &from);
	if (s->tcp)
		return pkt_parse_l4(buf, n, s->family, IPPROTO_TCP, &from,
				    local, pp);
	return pkt_parse_icmp(buf, n, s->family, &from, local, pp);
}

/* -N: an NI reply is ours when its nonce carries our secret; the id and
 * seq in it find the probe, as for an echo reply. Others are ignored
 * (a second reply to a query too: the nonce was answered). */
static void ping_handle_ni(struct ping_run *r, size_t n,
			   const struct sock_rx *rx, const struct pkt_parsed *pp,
			   struct ping_event *e)
{
	char text[1024];
	struct probe_fields f;
	struct probe_match m;
	struct pkt_ni ni;
	uint32_t secret;

	if (pkt_ni_parse(r->rxbuf, n, &ni) < 0 || ni.type != PKT_NI_REPLY)
		return;
	memset(&f, 0, sizeof(f));
	f.proto = PKT_PROBE_ICMP;
	f.dst = e->from;
	pkt_ni_split_nonce(ni.nonce, &f.icmp_id, &f.icmp_seq, &secret);
	memset(&m, 0, sizeof(m));
	m.probe = secret == r->ni_secret ? probe_find(&r->probes, &f) : NULL;
	if (!m.probe)
		return;
	m.kind = PROBE_REPLY_ECHO;
	pkt_ni_reply_text(&ni, text, sizeof(text));
	e->ni_text = text;
	ping_verbose(r, "RCVD", pp);
	ping_on_answer(r, &m, pp, rx, e);
}

static void ping_handle_packet(struct ping_run *r, const struct ping_sock *s,
			       size_t n, const struct sock_rx *rx)
{
	struct pkt_parsed pp;
	struct probe_match m;
	struct ping_event e;

	if (ping_parse_rx(r, s, r->rxbuf, n, rx, &pp) < 0)
		return;
	memset(&e, 0, sizeof(e));
	/* The kernel's stamp is the arrival: its monotonic twin comes from
	 * the last clock sync (see ping_clock_sync), without a clock read. */
	if (rx->kernel_ns) {
		e.rx_real_ns = rx->kernel_ns;
		e.rx_mono_ns = rx->kernel_ns - r->real_off_ns;
	} else {
		e.rx_mono_ns = loop_now_ns();
		e.rx_real_ns = sock_realtime_ns();
	}
	e.rtt_ns = -1;
	pkt_addr_from_sockaddr((const struct sockaddr *)&rx->from.ss, &e.from);
	e.ttl = pp.outer.ip.version ? pp.outer.ip.ttl : rx->ttl;
	e.bytes = pp.outer.l4_len;
	if (pp.outer.ip.version == 4) {
		e.ipopts = pp.outer.ip.opts;
		e.ipopt_len = pp.outer.ip.opt_len;
	} else {
		e.ipopts = rx->ip_opts;
		e.ipopt_len = rx->ip_opt_len;
	}
	if (r->c->ni && pp.outer.l4 == PKT_L4_ICMP && pp.outer.icmp.v6 &&
	    pp.outer.icmp.type == PKT_NI_REPLY)
		ping_handle_ni(r, n, rx, &pp, &e);
	else if (probe_match(&r->probes, &pp, &e.from, &m)) {
		ping_verbose(r, "RCVD", &pp);
		ping_on_answer(r, &m, &pp, rx, &e);
	} else {
		ping_on_unmatched(r, &pp, &e);
	}
}

/* Datagram ICMP sockets get ICMP errors on their error queue (raw ones
 * get them as packets): the data is our echo request as we sent it, the
 * name its destination, and the offender the router that answered. */
static void ping_handle_errqueue(struct ping_run *r, const struct ping_sock *s)
{
	int i;

	for (i = 0; i < PING_RX_BATCH; i++) {
		struct pkt_parsed pp;
		struct probe_fields f;
		struct probe_match m;
		struct ping_event e;
		struct sock_rx rx;
		ssize_t n = sock_recv(s->fd, r->rxbuf, sizeof(r->rxbuf),
				      MSG_ERRQUEUE | MSG_DONTWAIT, &rx);

		if (n < 0)
			break;
		if (!rx.ee.present || (rx.ee.origin != SO_EE_ORIGIN_ICMP &&
				       rx.ee.origin != SO_EE_ORIGIN_ICMP6) ||
		    pkt_parse_icmp(r->rxbuf, (size_t)n, s->family, NULL, NULL,
				   &pp) < 0 ||
		    pp.outer.l4 != PKT_L4_ICMP)
			continue;
		memset(&f, 0, sizeof(f));
		f.proto = PKT_PROBE_ICMP;
		pkt_addr_from_sockaddr((struct sockaddr *)&rx.from.ss, &f.dst);
		f.icmp_id = pp.outer.icmp.id;
		f.icmp_seq = pp.outer.icmp.seq;
		memset(&m, 0, sizeof(m));
		m.probe = probe_find(&r->probes, &f);
		if (!m.probe)
			continue;
		m.kind = PROBE_REPLY_OTHER_ERROR;
		m.icmp_type = rx.ee.type;
		m.icmp_code = rx.ee.code;
		memset(&e, 0, sizeof(e));
		e.rx_mono_ns = loop_now_ns();
		e.rx_real_ns = rx.kernel_ns ? rx.kernel_ns : sock_realtime_ns();
		e.rtt_ns = -1;
		e.ttl = rx.ttl;
		e.bytes = (size_t)n;
		if (rx.ee.offender.len)
			pkt_addr_from_sockaddr(
				(struct sockaddr *)&rx.ee.offender.ss, &e.from);
		else
			e.from = f.dst;
		ping_on_answer(r, &m, &pp, &rx, &e);
	}
}

static void ping_on_readable(struct loop *l, int fd, uint32_t events,
			     void *arg)
{
	struct ping_sock *s = arg;
	struct ping_run *r = s->run;
	struct sock_rx rx;
	int i;

	(void)l;
	ping_clock_sync(r);
	if (events & EPOLLERR)
		ping_handle_errqueue(r, s);
	for (i = 0; i < PING_RX_BATCH; i++) {
		ssize_t n = sock_recv(fd, r->rxbuf, sizeof(r->rxbuf),
				      MSG_DONTWAIT, &rx);

		if (n < 0)
			break;
		ping_handle_packet(r, s, (size_t)n, &rx);
		/* Flood: the next probe goes out at once, and on loopback
		 * its reply is often queued before the next read, which then
		 * needs no wait in epoll. */
		ping_send_next_now(r);
		if (r->stopped)
			break;
	}
	ping_check_finish(r);
}

/* ------------------------------------------------------------ schedule */

static void ping_send_tcp(struct ping_run *r, struct ping_target *t);
static void ping_send_connect(struct ping_run *r, struct ping_target *t);
static void ping_send_udp(struct ping_run *r, struct ping_target *t);

static bool ping_target_done(const struct ping_run *r,
			     const struct ping_target *t)
{
	const struct ping_conf *c = r->c;

	if (r->count == 0)
		return c->count > 0; /* a lane with no share */
	/* With a deadline, iputils waits for COUNT replies, not sends. */
	if (c->deadline > 0)
		return t->st.received >= (uint64_t)r->count;
	return t->ntx >= (uint64_t)r->count;
}

/* Flood and adaptive mode send the next probe as soon as the last one
 * is answered (one target only; more targets keep the fixed pace). */
static bool ping_reply_driven(const struct ping_run *r)
{
	return r->nt == 1 && ((r->c->flood && !r->c->interval_given) ||
			      r->c->adaptive);
}

static void ping_send_to(struct ping_run *r, struct ping_target *t)
{
	switch (r->c->mode) {
	case PING_ICMP: ping_send_icmp(r, t); break;
	case PING_TCP: ping_send_tcp(r, t); break;
	case PING_TCP_CONNECT: ping_send_connect(r, t); break;
	case PING_UDP: ping_send_udp(r, t); break;
	}
}

/* Tells the run in the other thread (lane or main) through its eventfd. */
static void ping_wake(struct ping_run *other)
{
	uint64_t one = 1;

	if (other && other->wake_fd >= 0 &&
	    write(other->wake_fd, &one, sizeof(one)) < 0)
		return; /* the counter cannot overflow with one write each */
}

static void ping_stop(struct ping_run *r)
{
	if (r->stopped)
		return;
	r->stopped = true;
	r->end_mono = loop_now_ns();
	loop_stop(&r->loop, 0);
	ping_wake(r->parent); /* a lane tells the main run it is done */
}

static bool ping_all_done(struct ping_run *r)
{
	size_t i;

	for (i = 0; i < r->nt; i++)
		if (!ping_target_done(r, &r->t[i]))
			return false;
	return true;
}

static void ping_on_linger(struct loop *l, void *arg)
{
	(void)l;
	ping_stop(arg);
}

/* After the last probe, as iputils: wait -W when it was given; else twice
 * the largest rtt (at least 1 ms) for a target that answered before, and
 * 10 s for one that never did. The run ends when the longest is over or
 * nothing is pending any more. */
static void ping_arm_linger(struct ping_run *r)
{
	int64_t end = 0, now = loop_now_ns();
	size_t i;

	for (i = 0; i < r->nt; i++) {
		const struct ping_target *t = &r->t[i];
		int64_t wait = (int64_t)(r->c->timeout * 1e9);

		if (!r->c->timeout_given && t->st.received > 0) {
			wait = 2 * t->st.rtt_max_ns;
			if (wait < 1000000)
				wait = 1000000;
		}
		if (now + wait > end)
			end = now + wait;
	}
	loop_timer_at(&r->loop, end, ping_on_linger, r);
}

static void ping_check_finish(struct ping_run *r)
{
	size_t i;

	if (!r->sending_done && ping_all_done(r)) {
		r->sending_done = true;
		ping_arm_linger(r);
	}
	if (!r->sending_done)
		return;
	for (i = 0; i < r->nt; i++)
		if (r->t[i].pending > 0 && !(r->c->deadline > 0 &&
					     ping_target_done(r, &r->t[i])))
			return;
	ping_stop(r);
}

static void ping_on_send_timer(struct loop *l, void *arg);

static int64_t ping_gap_ns(const struct ping_run *r)
{
	if (ping_reply_driven(r))
		return r->c->flood ? 10000000
				   : (int64_t)(r->c->interval * 1e9);
	if (r->c->interval <= 0)
		return 10000000 / (int64_t)r->nt; /* -f with many targets */
	return (int64_t)(r->c->interval * 1e9 / (double)r->nt);
}

/* The send timer is due at "when" at the latest. A timer that fires
 * earlier stays: ping_on_send_timer sees it is early and re-arms. So a
 * flood, where every reply moves the next send, re-arms it about every
 * 10 ms instead of twice a probe. */
static void ping_arm_send(struct ping_run *r, int64_t when)
{
	r->round_mono = when;
	if (r->send_timer && r->send_timer_due <= when)
		return;
	if (r->send_timer)
		loop_timer_cancel(&r->loop, r->send_timer);
	r->send_timer = loop_timer_at(&r->loop, when, ping_on_send_timer, r);
	r->send_timer_due = when;
}

/* Sends to the next target that still sends, then arms the timer for the
 * one after. Times are absolute (start + k * gap), so the pace does not
 * drift with the time each send takes. "Now" is the wake-up's clock sync:
 * at most a batch of reads old. */
static void ping_send_step(struct ping_run *r)
{
	int64_t now = r->sync_mono, gap = ping_gap_ns(r), next;
	size_t k;

	for (k = 0; k < r->nt; k++) {
		struct ping_target *t = &r->t[r->next_target];

		r->next_target = (r->next_target + 1) % r->nt;
		if (!ping_target_done(r, t)) {
			ping_send_to(r, t);
			break;
		}
	}
	if (ping_all_done(r)) {
		ping_check_finish(r);
		return;
	}
	next = ping_reply_driven(r) ? now + gap : r->round_mono + gap;
	ping_arm_send(r, next < now ? now : next); /* late: no burst */
}

static void ping_on_send_timer(struct loop *l, void *arg)
{
	struct ping_run *r = arg;

	(void)l;
	r->send_timer = 0;
	ping_clock_sync(r);
	if (r->sending_done)
		return;
	if (r->sync_mono < r->round_mono) /* moved on since it was armed */
		ping_arm_send(r, r->round_mono);
	else
		ping_send_step(r);
}

/* Reply-driven pacing: the answer came, send now (adaptive mode keeps a
 * minimum gap: 200 ms for users, as iputils). */
static void ping_send_next_now(struct ping_run *r)
{
	struct ping_target *t = &r->t[0];
	long long window = r->c->preload > 1 ? r->c->preload : 1;

	if (!ping_reply_driven(r) || r->sending_done || r->stopped ||
	    t->pending >= (uint32_t)window)
		return;
	if (r->c->adaptive && !r->c->flood) {
		int64_t min_gap = priv_has_net_raw() ? 2000000 : 200000000;
		int64_t due = t->st.last_send_ns + min_gap;

		if (due > loop_now_ns()) {
			ping_arm_send(r, due);
			return;
		}
	}
	ping_send_step(r);
}

/* A probe got no answer within -W. */
static void ping_on_expired(const struct probe *p, void *arg)
{
	struct ping_run *r = arg;
	struct ping_target *t = p->user;

	t->pending--;
	if (r->json.f) {
		ping_json_head(r, "timeout", t);
		json_kv_uint(&r->json, "seq", p->seq);
		json_kv_double(&r->json, "timeout_s", r->c->timeout, 3);
		json_end_object(&r->json);
	}
}

static int64_t ping_tick_ns(const struct ping_run *r)
{
	int64_t t = (int64_t)(r->c->timeout * 1e9 / 4);

	return t < 1000000 ? 1000000 : t > 100000000 ? 100000000 : t;
}

static void ping_expire_conns(struct ping_run *r, int64_t now);

static void ping_on_tick(struct loop *l, void *arg)
{
	struct ping_run *r = arg;
	int64_t now = loop_now_ns();

	ping_expire_conns(r, now);
	probe_expire(&r->probes, now - (int64_t)(r->c->timeout * 1e9),
		     ping_on_expired, r);
	ping_check_finish(r);
	if (!r->stopped)
		loop_timer_at(l, now + ping_tick_ns(r), ping_on_tick, r);
}

static void ping_on_deadline(struct loop *l, void *arg)
{
	(void)l;
	ping_stop(arg);
}

/* ------------------------------------------------------------ report */

/* SIGQUIT: iputils' interim line per target, to stderr, and go on.
 * (A two-thread flood shows the main thread's half: the lane's counters
 * are its own thread's until it is joined.) */
static void ping_interim(struct ping_run *r)
{
	size_t i;

	for (i = 0; i < r->nt; i++) {
		struct ping_target *t = &r->t[i];
		struct stats_summary s;

		stats_summarize(&t->st, &s);
		if (r->nt > 1)
			fprintf(stderr, "%s: ", t->name);
		fprintf(stderr, "%llu/%llu packets, %d%% loss",
			(unsigned long long)s.received,
			(unsigned long long)s.sent, (int)s.loss_pct);
		if (s.have_rtt)
			fprintf(stderr,
				", min/avg/ewma/max = %.3f/%.3f/%.3f/%.3f ms",
				ping_ms(s.rtt_min_ns), s.rtt_avg_ns / 1e6,
				(double)s.ip_ewma_us / 1e3,
				ping_ms(s.rtt_max_ns));
		fputc('\n', stderr);
	}
}

/* Stopped from outside (Ctrl-C, SIGTERM, the main run for a lane): the
 * replies the kernel already holds still count. The loop hands over the
 * signal before the sockets, and on loopback the last probe's reply is
 * often queued in the same wake-up. Nothing more is sent. */
static void ping_drain_conns(struct ping_run *r);

static void ping_drain(struct ping_run *r)
{
	size_t i;

	r->sending_done = true;
	ping_drain_conns(r);
	for (i = 0; i < 2 && !r->stopped; i++) {
		if (r->socks[i].fd >= 0)
			ping_on_readable(&r->loop, r->socks[i].fd,
					 EPOLLIN | EPOLLERR, &r->socks[i]);
		if (r->errsocks[i].fd >= 0 && !r->stopped)
			ping_on_readable(&r->loop, r->errsocks[i].fd, EPOLLIN,
					 &r->errsocks[i]);
	}
}

static void ping_on_signal(struct loop *l, int signo, void *arg)
{
	struct ping_run *r = arg;

	(void)l;
	if (signo == SIGQUIT) {
		ping_interim(r);
		return;
	}
	ping_drain(r);
	ping_stop(r);
	if (r->lane_running)
		ping_wake(r->lane); /* Ctrl-C stops the lane too */
}

/* fping's per-target line, for many targets. */
static void ping_print_fping(const struct ping_target *t,
			     const struct stats_summary *s)
{
	printf("%s : xmt/rcv/%%loss = %llu/%llu/%.0f%%", t->name,
	       (unsigned long long)s->sent, (unsigned long long)s->received,
	       s->loss_pct);
	if (s->have_rtt)
		printf(", min/avg/max = %.3f/%.3f/%.3f", ping_ms(s->rtt_min_ns),
		       s->rtt_avg_ns / 1e6, ping_ms(s->rtt_max_ns));
	putchar('\n');
}

/* -C: "127.0.0.1 : 0.045 0.051 -" (fping -C, "-" for no reply). */
static void ping_print_rtts(const struct ping_run *r,
			    const struct ping_target *t)
{
	long long i;

	printf("%s :", t->name);
	for (i = 0; i < r->c->count && i < (long long)t->ntx; i++) {
		if (isnan(t->rtts[i]))
			fputs(" -", stdout);
		else
			printf(" %.3f", (double)t->rtts[i]);
	}
	putchar('\n');
}

static void ping_report_text(struct ping_run *r,
			     const struct stats_summary *sums,
			     const struct stats_summary *all)
{
	size_t i;

	putchar('\n');
	for (i = 0; i < r->nt; i++) {
		struct stats_iputils_extra x = {
			.pipe = (int)r->t[i].max_pending,
			.ipg = r->c->flood || r->c->adaptive,
		};

		printf("--- %s ping statistics ---\n", r->t[i].name);
		stats_render_iputils_ex(stdout, &sums[i], &x);
	}
	if (r->nt > 1) {
		putchar('\n');
		for (i = 0; i < r->nt; i++)
			ping_print_fping(&r->t[i], &sums[i]);
	}
	if (r->c->rttlist) {
		putchar('\n');
		for (i = 0; i < r->nt; i++)
			ping_print_rtts(r, &r->t[i]);
	}
	putchar('\n');
	stats_render_nping(stdout, all,
			   STATS_NPING_TIMES | STATS_NPING_EXTRA);
}

static void ping_report_json(struct ping_run *r,
			     const struct stats_summary *sums)
{
	size_t i;

	for (i = 0; i < r->nt; i++) {
		ping_json_head(r, "summary", &r->t[i]);
		stats_json_fields(&r->json, &sums[i]);
		json_end_object(&r->json);
	}
}

static int ping_write_metrics(struct ping_run *r,
			      const struct stats_summary *sums)
{
	struct out_metrics m;
	struct out_label *labels = calloc(r->nt * 2, sizeof(*labels));
	struct stats_target *tg = calloc(r->nt, sizeof(*tg));
	size_t i;
	int rc = -1;

	if (labels && tg && out_metrics_open(&m, r->c->openmetrics) == 0) {
		for (i = 0; i < r->nt; i++) {
			labels[2 * i] = (struct out_label){ "target",
							    r->t[i].name };
			labels[2 * i + 1] = (struct out_label){
				"addr", r->t[i].addr_txt
			};
			tg[i] = (struct stats_target){ &labels[2 * i], 2,
						       &sums[i] };
		}
		if (stats_render_openmetrics(&m, "echolot_ping", tg, r->nt) <
		    0)
			out_metrics_abort(&m);
		else
			rc = out_metrics_commit(&m);
	}
	if (rc < 0)
		fprintf(stderr, "echolot ping: --openmetrics %s: %s\n",
			r->c->openmetrics, strerror(errno));
	free(labels);
	free(tg);
	return rc;
}

/* The host field of the Nagios line: the targets, comma-separated. */
static const char *ping_check_host(const struct ping_run *r, char *buf,
				   size_t len)
{
	size_t i, used = 0;

	buf[0] = '\0';
	for (i = 0; i < r->nt && used + 1 < len; i++) {
		int n = snprintf(buf + used, len - used, "%s%s", i ? "," : "",
				 r->t[i].name);

		if (n < 0)
			break;
		used += (size_t)n;
	}
	return buf;
}

/* Renders everything and returns the exit status. */
static int ping_report(struct ping_run *r)
{
	char host[256];
	struct stats_summary *sums = calloc(r->nt, sizeof(*sums));
	struct stats all;
	struct stats_summary total;
	int status = 0;
	size_t i;

	if (!sums)
		return 2;
	stats_init(&all);
	for (i = 0; i < r->nt; i++) {
		stats_end(&r->t[i].st, r->end_mono);
		stats_summarize(&r->t[i].st, &sums[i]);
		stats_merge(&all, &r->t[i].st);
		if (sums[i].received == 0)
			status = 1;
	}
	stats_summarize(&all, &total);
	if (r->c->json)
		ping_report_json(r, sums);
	else if (r->c->check_given)
		status = stats_render_nagios(stdout, "PING",
					     ping_check_host(r, host,
							     sizeof(host)),
					     &r->c->check, &total);
	else
		ping_report_text(r, sums, &total);
	if (r->c->openmetrics && ping_write_metrics(r, sums) < 0)
		status = 2;
	free(sums);
	if (fflush(stdout) != 0)
		return 2;
	return status < 0 ? 3 : status;
}

/* ------------------------------------------------------------ main */

static void ping_header(const struct ping_run *r, const struct ping_target *t)
{
	const struct ping_conf *c = r->c;
	char src[INET6_ADDRSTRLEN], from[INET6_ADDRSTRLEN + 80] = "";

	if (c->iface) {
		pkt_addr_ntop(&t->psrc, src, sizeof(src));
		snprintf(from, sizeof(from), " from %s %s:", src, c->iface);
	}
	if (c->mode != PING_ICMP)
		printf("PING %s (%s)%s %s port %u: %s.\n", t->name,
		       t->addr_txt, from, c->mode == PING_UDP ? "udp" : "tcp",
		       (unsigned)c->port,
		       c->mode == PING_TCP	   ? "SYN probes"
		       : c->mode == PING_UDP ? "datagram probes"
					     : "connect() probes");
	else if (t->family == AF_INET)
		printf("PING %s (%s)%s %lld(%lld) bytes of data.\n", t->name,
		       t->addr_txt, from, c->size,
		       c->size + 28 +
			       (c->rroute || c->ipts >= 0 ? PKT_IPOPT_MAX : 0));
	else if (t->numeric || c->numeric)
		printf("PING %s(%s)%s %lld data bytes\n", t->name, t->addr_txt,
		       from, c->size);
	else
		printf("PING %s(%s (%s))%s %lld data bytes\n", t->name,
		       t->rname, t->addr_txt, from, c->size);
}

static void ping_fill_payload(struct ping_run *r)
{
	size_t i;

	r->payload_len = (size_t)r->c->size;
	for (i = 0; i < r->payload_len; i++)
		r->payload[i] = r->c->pattern_len
					? r->c->pattern[i % r->c->pattern_len]
					: (uint8_t)i;
}

/* Echo id for raw sockets: random, so two runs do not take each
 * other's replies (datagram sockets get theirs from the kernel). */
static uint16_t ping_pick_ident(const struct ping_conf *c)
{
	uint16_t id;
	struct timespec ts;

	if (c->ident >= 0)
		return (uint16_t)c->ident;
	if (getrandom(&id, sizeof(id), GRND_NONBLOCK) == (ssize_t)sizeof(id))
		return id;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint16_t)((uint32_t)getpid() ^ (uint32_t)ts.tv_nsec ^
			  ((uint32_t)ts.tv_nsec >> 16));
}

/* Echo ids and the -C lists. */
static int ping_setup_targets(struct ping_run *r, uint16_t ident, char *err,
			      size_t errlen)
{
	const struct ping_conf *c = r->c;
	size_t i;
	long long k;

	for (i = 0; i < r->nt; i++) {
		r->t[i].ident = r->t[i].kind == SOCK_ICMP_DGRAM ? 0 : ident;
		if (!c->rttlist)
			continue;
		r->t[i].rtts = malloc((size_t)c->count * sizeof(float));
		if (!r->t[i].rtts)
			return ping_errf(err, errlen, "out of memory");
		for (k = 0; k < c->count; k++)
			r->t[i].rtts[k] = NAN;
	}
	return 0;
}

/* The probe table (and the per-probe sockets' slots), allocated once:
 * room for every probe that can wait at once, a -W window's worth per
 * target plus the preload. */
static int ping_setup_tables(struct ping_run *r, char *err, size_t errlen)
{
	const struct ping_conf *c = r->c;
	struct probe_table_cfg pc;
	double outstanding = c->interval > 0 ? c->timeout / c->interval + 2
					     : c->timeout * 100 + 2;
	size_t i;

	if (outstanding > PING_SEQ_SPACE)
		outstanding = PING_SEQ_SPACE;
	memset(&pc, 0, sizeof(pc));
	pc.capacity = (size_t)outstanding * r->nt + (size_t)c->preload * r->nt;
	if (pc.capacity > (size_t)1 << 20)
		pc.capacity = (size_t)1 << 20;
	/* Only datagram sockets let the kernel choose (and check) the id;
	 * raw sockets see everyone's replies, so the id must match. */
	pc.icmp_ignore_id =
		(r->socks[0].fd >= 0 && r->socks[0].kind == SOCK_ICMP_DGRAM) ||
		(r->socks[1].fd >= 0 && r->socks[1].kind == SOCK_ICMP_DGRAM);
	if (c->mode == PING_TCP_CONNECT || c->mode == PING_UDP) {
		/* Each probe holds a descriptor until it is answered. */
		r->nconns = pc.capacity < 512 ? pc.capacity : 512;
		r->conns = calloc(r->nconns, sizeof(*r->conns));
		if (!r->conns)
			return ping_errf(err, errlen, "out of memory");
		for (i = 0; i < r->nconns; i++)
			r->conns[i].fd = -1;
	}
	if (probe_table_init(&r->probes, &pc) < 0)
		return ping_errf(err, errlen, "probe table: %s",
				 strerror(errno));
	return 0;
}

/* Below this gap between sends, with no probe in flight, the loop waits
 * for the next send busily, as iputils does below 10 ms: an idle CPU
 * makes the next loopback round trip slower (see loop_set_spin). */
#define PING_SPIN_BELOW_NS 10000000

static bool ping_spin_ok(void *arg)
{
	const struct ping_run *r = arg;

	return probe_count(&r->probes) == 0;
}

static bool ping_spins(const struct ping_run *r)
{
	int64_t gap = ping_gap_ns(r);

	return (r->c->mode == PING_ICMP || r->c->mode == PING_TCP) &&
	       !r->c->flood && gap > 0 && gap < PING_SPIN_BELOW_NS;
}

static int ping_setup_loop(struct ping_run *r, char *err, size_t errlen)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGQUIT, SIGHUP };
	size_t i;

	/* Signals go to the main run only (a lane inherits them blocked). */
	if (loop_init(&r->loop, 64, 65536) < 0 ||
	    (!r->parent &&
	     loop_signals(&r->loop, sigs, 4, ping_on_signal, r) < 0))
		return ping_errf(err, errlen, "event loop: %s",
				 strerror(errno));
	if (ping_spins(r))
		loop_set_spin(&r->loop, PING_SPIN_BELOW_NS, ping_spin_ok, r);
	/* Polled, not in the epoll set: a flood mostly finds its reply
	 * queued and never waits, and a socket in an epoll set costs a
	 * wake-up call for every packet it gets and every one it sends
	 * (see loop_add_fd_polled). */
	for (i = 0; i < 2; i++)
		if ((r->socks[i].fd >= 0 &&
		     loop_add_fd_polled(&r->loop, r->socks[i].fd, EPOLLIN,
					ping_on_readable, &r->socks[i]) < 0) ||
		    (r->errsocks[i].fd >= 0 &&
		     loop_add_fd_polled(&r->loop, r->errsocks[i].fd, EPOLLIN,
					ping_on_readable,
					&r->errsocks[i]) < 0))
			return ping_errf(err, errlen, "event loop: %s",
					 strerror(errno));
	return 0;
}

static int ping_setup(struct ping_run *r, char *err, size_t errlen)
{
	uint16_t ident = ping_pick_ident(r->c);

	ping_fill_payload(r);
	r->tcp_sport = (uint16_t)(32768 + ident % 16384);
	r->tcp_isn = (uint32_t)ident * 2654435761u ^
		     (uint32_t)sock_realtime_ns();
	if (getrandom(&r->ni_secret, sizeof(r->ni_secret), GRND_NONBLOCK) !=
	    (ssize_t)sizeof(r->ni_secret))
		r->ni_secret = r->tcp_isn * 2246822519u;
	if (ping_setup_targets(r, ident, err, errlen) < 0 ||
	    ping_setup_tables(r, err, errlen) < 0)
		return -1;
	return ping_setup_loop(r, err, errlen);
}

static void ping_start(struct ping_run *r)
{
	const struct ping_conf *c = r->c;
	size_t i;
	long long k;

	ping_clock_sync(r);
	r->start_mono = r->sync_mono;
	r->start_real = r->sync_mono + r->real_off_ns;
	r->round_mono = r->start_mono;
	for (i = 0; i < r->nt; i++)
		for (k = 0; k < c->preload - 1 &&
			    !ping_target_done(r, &r->t[i]);
		     k++)
			ping_send_to(r, &r->t[i]);
	if (c->deadline > 0)
		loop_timer_at(&r->loop,
			      r->start_mono + (int64_t)(c->deadline * 1e9),
			      ping_on_deadline, r);
	loop_timer_at(&r->loop, r->start_mono + ping_tick_ns(r), ping_on_tick,
		      r);
	ping_send_step(r);
}

static void ping_free(struct ping_run *r)
{
	size_t i;

	if (r->lane)
		ping_free(r->lane);
	if (r->wake_fd >= 0)
		close(r->wake_fd);
	for (i = 0; r->t && i < r->nt; i++)
		free(r->t[i].rtts);
	for (i = 0; i < 2; i++) {
		if (r->socks[i].fd >= 0)
			close(r->socks[i].fd);
		if (r->errsocks[i].fd >= 0)
			close(r->errsocks[i].fd);
	}
	for (i = 0; r->conns && i < r->nconns; i++)
		if (r->conns[i].fd >= 0)
			close(r->conns[i].fd);
	free(r->conns);
	probe_table_free(&r->probes);
	loop_free(&r->loop);
	free(r->t);
	free(r);
}

static void ping_free_lane(struct ping_run *r)
{
	if (r->lane)
		ping_free(r->lane);
	r->lane = NULL;
}

/* ------------------------------------------------------------ lanes */

/* A second thread pays off only where the kernel keeps two sockets'
 * replies apart (datagram sockets: each has its own echo id and gets
 * only its replies; every raw socket would see both) and where the
 * output does not depend on one order of events. */
static bool ping_lane_wanted(const struct ping_run *r)
{
	const struct ping_conf *c = r->c;

	return c->flood && !c->interval_given && r->nt == 1 &&
	       c->mode == PING_ICMP && r->t[0].kind == SOCK_ICMP_DGRAM &&
	       !c->json && !c->verbose && !c->rttlist && !c->outstanding &&
	       !c->connect && c->ident < 0 && c->preload <= 1 &&
	       c->count != 1 && sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

static void ping_on_wake(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ping_run *r = arg;
	uint64_t n;

	(void)l;
	(void)events;
	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	if (r->parent) {
		ping_drain(r); /* the main run was stopped (Ctrl-C) */
		ping_stop(r);
	} else {
		r->lane_running = false; /* the lane is done */
		if (r->stopped) /* waiting in ping_lane_finish */
			loop_stop(&r->loop, 0);
	}
}

static int ping_wake_fd(struct ping_run *r)
{
	r->wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (r->wake_fd < 0)
		return -1;
	return loop_add_fd(&r->loop, r->wake_fd, EPOLLIN, ping_on_wake, r);
}

/* The lane: the main run's target, its own datagram socket and loop. */
static struct ping_run *ping_lane_new(struct ping_run *r)
{
	struct ping_run *l = calloc(1, sizeof(*l));
	char err[256];

	if (!l || !(l->t = calloc(1, sizeof(*l->t)))) {
		free(l);
		return NULL;
	}
	l->c = r->c;
	l->nt = 1;
	l->parent = r;
	l->text = r->text;
	l->wake_fd = -1;
	l->loop.epfd = l->loop.sigfd = -1;
	l->socks[0].fd = l->socks[1].fd = -1;
	l->errsocks[0].fd = l->errsocks[1].fd = -1;
	l->socks[0].run = l->socks[1].run = l;
	l->errsocks[0].run = l->errsocks[1].run = l;
	memcpy(l->t, r->t, offsetof(struct ping_target, ntx));
	l->t[0].run = l;
	stats_init(&l->t[0].st);
	r->lane = l; /* ping_free frees it from now on */
	if (ping_open_sockets(l, err, sizeof(err)) < 0 ||
	    l->t[0].kind != SOCK_ICMP_DGRAM ||
	    ping_setup(l, err, sizeof(err)) < 0 || ping_wake_fd(l) < 0)
		return NULL;
	return l;
}

static void *ping_lane_main(void *arg)
{
	struct ping_run *l = arg;

	ping_start(l);
	loop_run(&l->loop);
	probe_expire(&l->probes, INT64_MAX, NULL, NULL);
	ping_stop(l);
	return NULL;
}

/* Starts the lane with half of -c; on any failure the main run simply
 * does all the work itself. */
static void ping_lane_start(struct ping_run *r)
{
	struct ping_run *l = ping_lane_new(r);

	if (!l || ping_wake_fd(r) < 0) {
		ping_free_lane(r);
		return;
	}
	l->count = r->c->count / 2;
	r->count = r->c->count - l->count;
	if (pthread_create(&r->lane_thread, NULL, ping_lane_main, l) != 0) {
		r->count = r->c->count;
		ping_free_lane(r);
		return;
	}
	r->lane_running = true;
}

/* The main run is over: wait for the lane (still taking Ctrl-C), then
 * take its counters. */
static void ping_lane_finish(struct ping_run *r)
{
	struct ping_run *l = r->lane;

	if (!l)
		return;
	/* loop_run again: the stopped loop dispatches nothing; the wake
	 * callback stops it once more when the lane is done. */
	while (r->lane_running)
		if (loop_run(&r->loop) < 0 && errno != EINTR)
			break;
	pthread_join(r->lane_thread, NULL);
	stats_merge(&r->t[0].st, &l->t[0].st);
	if (l->t[0].max_pending > r->t[0].max_pending)
		r->t[0].max_pending = l->t[0].max_pending;
	if (l->end_mono > r->end_mono)
		r->end_mono = l->end_mono;
}

static int ping_run_all(struct ping_run *r, char *err, size_t errlen)
{
	size_t i;

	if (ping_resolve(r, err, errlen) < 0 ||
	    ping_open_sockets(r, err, errlen) < 0)
		return 2;
	/* Every privileged socket is open: give up root and capabilities
	 * before the first packet is parsed. */
	if (priv_drop(NULL, NULL, err, errlen) < 0)
		return 2;
	if (ping_setup(r, err, errlen) < 0)
		return 2;
	if (r->c->json)
		json_init(&r->json, stdout, JSON_NDJSON);
	r->text = !r->c->json && !r->c->check_given;
	if (r->text)
		for (i = 0; i < r->nt; i++)
			ping_header(r, &r->t[i]);
	fflush(stdout);
	if (ping_lane_wanted(r))
		ping_lane_start(r);
	ping_start(r);
	if (loop_run(&r->loop) < 0) {
		ping_errf(err, errlen, "event loop: %s", strerror(errno));
		return 2;
	}
	ping_lane_finish(r);
	/* What is still waiting got no answer in time. */
	probe_expire(&r->probes, INT64_MAX, ping_on_expired, r);
	ping_expire_conns(r, INT64_MAX);
	if (r->c->flood && r->text)
		fflush(stdout);
	return ping_report(r);
}

/* The entry point cmd/commands.c lists (CMD_DECLARE there). */
int cmd_ping_main(int argc, char **argv);

int cmd_ping_main(int argc, char **argv)
{
	const char **targets = calloc((size_t)argc + 1, sizeof(*targets));
	struct ping_conf c;
	struct ping_run *r;
	char err[512] = "";
	int rc;

	if (!targets) {
		fprintf(stderr, "echolot ping: out of memory\n");
		return 2;
	}
	ping_conf_init(&c, targets);
	rc = cmd_parse(&cmd_ping_opts, argc, argv, ping_on_opt, &c);
	if (rc == CMD_CONTINUE && c.version) {
		printf("echolot %s\n", PACKAGE_VERSION);
		rc = fflush(stdout) == 0 ? 0 : 2;
	}
	if (rc == CMD_CONTINUE && c.ni_help) {
		ping_ni_help();
		rc = fflush(stdout) == 0 ? 0 : 2;
	}
	if (rc == CMD_CONTINUE &&
	    ping_conf_check(&c, priv_has_net_raw(), err, sizeof(err)) < 0) {
		fprintf(stderr, "echolot ping: %s\n", err);
		rc = 2;
	}
	if (rc != CMD_CONTINUE) {
		free(targets);
		return rc;
	}
	r = calloc(1, sizeof(*r));
	if (r)
		r->t = calloc(c.ntargets, sizeof(*r->t));
	if (!r || !r->t) {
		free(r);
		free(targets);
		fprintf(stderr, "echolot ping: out of memory\n");
		return 2;
	}
	r->c = &c;
	r->nt = c.ntargets;
	r->socks[0].fd = r->socks[1].fd = -1;
	r->socks[0].run = r->socks[1].run = r;
	r->errsocks[0].fd = r->errsocks[1].fd = -1;
	r->errsocks[0].run = r->errsocks[1].run = r;
	r->loop.epfd = r->loop.sigfd = -1;
	r->wake_fd = -1;
	r->count = c.count;
	rc = ping_run_all(r, err, sizeof(err));
	if (rc == 2 && err[0])
		fprintf(stderr, "echolot ping: %s\n", err);
	ping_free(r);
	free(targets);
	return rc;
}

/* ------------------------------------------------------------ TCP, UDP */

/* --tcp: a SYN from a raw socket; the kernel adds the IP header (with
 * -t/-Q from the socket options) and answers the SYN-ACK with a RST. */
static void ping_send_tcp(struct ping_run *r, struct ping_target *t)
{
	struct pkt_layer l;
	struct probe p;
	int len;
	ssize_t n;

	memset(&l, 0, sizeof(l));
	memset(&p, 0, sizeof(p));
	p.seq = t->ntx + 1;
	l.ip.version = t->family == AF_INET6 ? 6 : 4;
	l.ip.src = t->psrc;
	l.ip.dst = t->paddr;
	l.l4 = PKT_L4_TCP;
	/* A source port per probe (from a block of 4096), so that the
	 * kernel's RST for the previous SYN-ACK never meets the next SYN. */
	l.tcp.sport = (uint16_t)(r->tcp_sport + p.seq % 4096);
	l.tcp.dport = r->c->port;
	l.tcp.seq = r->tcp_isn + p.seq * 65537u;
	l.tcp.flags = PKT_TCP_SYN;
	l.tcp.win = 1480;
	l.tcp.has_mss = true;
	l.tcp.mss = 1460;
	len = pkt_build_l4(&l, NULL, 0, r->txbuf, sizeof(r->txbuf), NULL);
	p.f.proto = PKT_PROBE_TCP;
	p.f.dst = t->paddr;
	p.f.sport = l.tcp.sport;
	p.f.dport = l.tcp.dport;
	p.f.tcp_seq = l.tcp.seq;
	p.ttl = (uint8_t)(r->c->ttl > 0 ? r->c->ttl : 64);
	p.user = t;
	if (len < 0) {
		t->ntx = p.seq;
		ping_after_send_fail(r, t, EMSGSIZE, loop_now_ns());
		return;
	}
	if (r->c->verbose) {
		struct pkt_parsed pp;

		/* The kernel writes the IP header; show what it will hold. */
		if (pkt_parse_l4(r->txbuf, (size_t)len, t->family, IPPROTO_TCP,
				 &t->psrc, &t->paddr, &pp) == 0) {
			pp.outer.ip.ttl = p.ttl;
			pp.outer.ip.total_len = (uint16_t)ping_wire_bytes(
				t, (size_t)len);
			pp.outer.ip.hdr_len = t->family == AF_INET6 ? 40 : 20;
			ping_verbose(r, "SENT", &pp);
		}
	}
	p.tx_real_ns = sock_realtime_ns();
	p.tx_mono_ns = p.tx_real_ns - r->real_off_ns; /* ping_clock_sync */
	n = sock_sendto(t->fd, r->txbuf, (size_t)len, 0,
			(struct sockaddr *)&t->addr.ss, t->addr.len);
	ping_after_sendto(r, t, &p, n < 0 ? errno : 0, (size_t)len);
}

static struct ping_conn *ping_conn_slot(struct ping_run *r)
{
	size_t i;

	for (i = 0; i < r->nconns; i++)
		if (r->conns[i].fd < 0)
			return &r->conns[i];
	return NULL;
}

static void ping_conn_close(struct ping_conn *k)
{
	loop_del_fd(&k->run->loop, k->fd);
	close(k->fd);
	k->fd = -1;
	k->t->pending--;
}

static void ping_conn_event(struct ping_conn *k, const struct sock_rx *rx,
			    struct ping_event *e)
{
	struct ping_target *t = k->t;

	e->t = t;
	e->seq = k->seq;
	e->rx_mono_ns = loop_now_ns();
	e->rx_real_ns = rx && rx->kernel_ns ? rx->kernel_ns
					     : sock_realtime_ns();
	e->ttl = rx ? rx->ttl : -1;
	e->from = t->paddr;
	if (rx && !k->run->c->userlat)
		e->rtt_ns = sock_rtt_ns(k->tx_real_ns, k->tx_mono_ns, rx,
					e->rx_mono_ns);
	else
		e->rtt_ns = e->rx_mono_ns - k->tx_mono_ns;
}

/* A reply that shows the target is there (open or closed port). */
static void ping_conn_reply(struct ping_conn *k, struct ping_event *e,
			    const char *what, const char *state)
{
	struct ping_target *t = k->t;

	e->what = what;
	e->state = state;
	stats_reply(&t->st, e->rx_mono_ns, e->rtt_ns,
		    ping_wire_bytes(t, e->bytes), k->seq);
	ping_setbit(t->answered, (uint16_t)k->seq, true);
	ping_rtt_sample(t, e);
	ping_emit(k->run, e);
}

static void ping_conn_error(struct ping_conn *k, struct ping_event *e,
			    const char *text)
{
	e->error = text;
	stats_error(&k->t->st, e->rx_mono_ns, STATS_ERR_ICMP, 0);
	ping_emit(k->run, e);
}

static void ping_on_connect(struct loop *l, int fd, uint32_t events,
			    void *arg)
{
	struct ping_conn *k = arg;
	struct ping_event e;
	int soerr = 0;
	socklen_t sl = sizeof(soerr);

	(void)l;
	(void)events;
	ping_clock_sync(k->run);
	memset(&e, 0, sizeof(e));
	ping_conn_event(k, NULL, &e);
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
	if (soerr == EINPROGRESS || soerr == EALREADY)
		return;
	if (soerr == 0)
		ping_conn_reply(k, &e, "connected", "open");
	else if (soerr == ECONNREFUSED)
		ping_conn_reply(k, &e, "refused", "closed");
	else
		ping_conn_error(k, &e, strerror(soerr));
	ping_conn_close(k);
	ping_send_next_now(k->run);
	ping_check_finish(k->run);
}

/* A socket of its own for one probe, with -I, -t, -Q and -M applied. */
static int ping_conn_socket(struct ping_run *r, struct ping_target *t,
			    int type, char *err, size_t errlen)
{
	int fd = socket(t->family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		ping_errf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	if (ping_set_ip_opts(r->c, fd, t->family, err, errlen) < 0 ||
	    ping_bind_iface(r->c, fd, t->family, 0, err, errlen) < 0 ||
	    sock_enable_rx_info(fd, t->family) < 0 ||
	    (type == SOCK_DGRAM && sock_enable_recverr(fd, t->family) < 0)) {
		if (!err[0])
			ping_errf(err, errlen, "%s", strerror(errno));
		close(fd);
		return -1;
	}
	return fd;
}

/* Starts one connect() or UDP probe; returns the slot or NULL. */
static struct ping_conn *ping_conn_start(struct ping_run *r,
					 struct ping_target *t, int type)
{
	struct ping_conn *k = ping_conn_slot(r);
	struct sock_addr dst = t->addr;
	char err[256] = "";
	int fd, rc;

	t->ntx++;
	if (!k) {
		stats_sent(&t->st, loop_now_ns(), 0);
		ping_after_send_fail(r, t, EMFILE, loop_now_ns());
		return NULL;
	}
	fd = ping_conn_socket(r, t, type, err, sizeof(err));
	if (fd < 0) {
		stats_sent(&t->st, loop_now_ns(), 0);
		ping_after_send_fail(r, t, errno ? errno : EINVAL,
				     loop_now_ns());
		return NULL;
	}
	sock_set_port(&dst, r->c->port);
	k->run = r;
	k->t = t;
	k->seq = t->ntx;
	k->tx_mono_ns = loop_now_ns();
	k->tx_real_ns = sock_realtime_ns();
	rc = connect(fd, (struct sockaddr *)&dst.ss, dst.len);
	if (rc < 0 && errno != EINPROGRESS) {
		int e = errno;

		close(fd);
		stats_sent(&t->st, k->tx_mono_ns, 0);
		ping_after_send_fail(r, t, e, k->tx_mono_ns);
		return NULL;
	}
	k->fd = fd;
	t->pending++;
	ping_setbit(t->answered, (uint16_t)k->seq, false);
	return k;
}

/* --tcp-connect: the rtt is the time connect() takes (SYN to SYN-ACK, as
 * the kernel sees it); a refusal (RST) counts as an answer too. */
static void ping_send_connect(struct ping_run *r, struct ping_target *t)
{
	struct ping_conn *k = ping_conn_start(r, t, SOCK_STREAM);

	if (!k)
		return;
	stats_sent(&t->st, k->tx_mono_ns, ping_wire_bytes(t, 20));
	if (loop_add_fd(&r->loop, k->fd, EPOLLOUT, ping_on_connect, k) < 0) {
		close(k->fd);
		k->fd = -1;
		t->pending--;
		ping_after_send_fail(r, t, errno, k->tx_mono_ns);
	}
}

/* --udp: what came back on the probe's own socket: data (a service
 * answered: open) or, on the error queue, an ICMP error (port unreachable
 * is the closed port's answer; anything else is an error). */
static void ping_on_udp(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct ping_conn *k = arg;
	struct ping_run *r = k->run;
	bool v6 = k->t->family == AF_INET6;
	struct ping_event e;
	struct sock_rx rx;
	ssize_t n;

	(void)l;
	(void)events;
	ping_clock_sync(r);
	memset(&e, 0, sizeof(e));
	n = sock_recv(fd, r->rxbuf, sizeof(r->rxbuf),
		      MSG_ERRQUEUE | MSG_DONTWAIT, &rx);
	if (n >= 0 && rx.ee.present) {
		ping_conn_event(k, &rx, &e);
		if (rx.ee.offender.len)
			pkt_addr_from_sockaddr(
				(struct sockaddr *)&rx.ee.offender.ss, &e.from);
		e.icmp_type = rx.ee.type;
		e.icmp_code = rx.ee.code;
		if (rx.ee.origin != SO_EE_ORIGIN_ICMP &&
		    rx.ee.origin != SO_EE_ORIGIN_ICMP6)
			ping_conn_error(k, &e, strerror((int)rx.ee.err));
		else if (rx.ee.type == (v6 ? 1 : 3) &&
			 rx.ee.code == (v6 ? 4 : 3))
			ping_conn_reply(k, &e, "port unreachable", "closed");
		else
			ping_conn_error(k, &e,
					pkt_icmp_ping_text(v6, rx.ee.type,
							   rx.ee.code));
	} else {
		n = sock_recv(fd, r->rxbuf, sizeof(r->rxbuf), MSG_DONTWAIT,
			      &rx);
		if (n < 0)
			return;
		ping_conn_event(k, &rx, &e);
		e.bytes = (size_t)n;
		ping_conn_reply(k, &e, "reply", "open");
	}
	ping_conn_close(k);
	ping_send_next_now(r);
	ping_check_finish(r);
}

/* ping_drain for the probes with their own socket: those whose answer is
 * already there (a completed connect, a UDP reply or ICMP error). */
static void ping_drain_conns(struct ping_run *r)
{
	size_t i;

	for (i = 0; i < r->nconns && !r->stopped; i++) {
		struct ping_conn *k = &r->conns[i];
		struct pollfd p = { .fd = k->fd, .events = POLLIN | POLLOUT };

		if (k->fd < 0 || poll(&p, 1, 0) != 1)
			continue;
		if (r->c->mode == PING_TCP_CONNECT)
			ping_on_connect(&r->loop, k->fd, EPOLLOUT, k);
		else if (p.revents & (POLLIN | POLLERR))
			ping_on_udp(&r->loop, k->fd, EPOLLIN, k);
	}
}

static void ping_send_udp(struct ping_run *r, struct ping_target *t)
{
	struct ping_conn *k = ping_conn_start(r, t, SOCK_DGRAM);
	ssize_t n;

	if (!k)
		return;
	k->tx_mono_ns = loop_now_ns();
	k->tx_real_ns = sock_realtime_ns();
	n = send(k->fd, r->payload, r->payload_len, 0);
	stats_sent(&t->st, k->tx_mono_ns,
		   ping_wire_bytes(t, 8 + r->payload_len));
	if (n < 0 || loop_add_fd(&r->loop, k->fd, EPOLLIN, ping_on_udp, k) <
			     0) {
		int e = errno;

		close(k->fd);
		k->fd = -1;
		t->pending--;
		ping_after_send_fail(r, t, e, k->tx_mono_ns);
	}
}

/* Probes with their own socket that got nothing within -W. */
static void ping_expire_conns(struct ping_run *r, int64_t now)
{
	int64_t limit = (int64_t)(r->c->timeout * 1e9);
	size_t i;

	for (i = 0; i < r->nconns; i++) {
		struct ping_conn *k = &r->conns[i];
		struct probe p;

		if (k->fd < 0 || now - k->tx_mono_ns < limit)
			continue;
		memset(&p, 0, sizeof(p));
		p.seq = k->seq;
		p.user = k->t;
		ping_conn_close(k);
		k->t->pending++; /* ping_on_expired takes it off again */
		ping_on_expired(&p, r);
	}
}
