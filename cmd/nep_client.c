/*
 * nep-client - the Nping Echo Protocol client: sends probes to HOST and,
 * over the authenticated side channel to HOST's echo server, gets each
 * probe back as the server captured it. SENT/CAPT/RCVD lines as nping
 * prints them, the Nping statistics with Echoed, then what changed in
 * transit and what that means (NAT, probes lost, reply path, proxy).
 *
 * Privilege: the raw send socket and the capture are opened first, then
 * everything is dropped before the side channel is even connected.
 */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "commands.h"
#include "loop.h"
#include "nep.h"
#include "nep_report.h"
#include "output.h"
#include "packet.h"
#include "priv.h"
#include "sock.h"
#include "stats.h"

int cmd_nep_client_main(int argc, char **argv);
extern const struct opts_cmd cmd_nep_client_opts;

enum {
	CL_PASS = 1, CL_PORT, CL_NOCRYPTO, CL_TCP, CL_UDP, CL_ICMP, CL_DPORT,
	CL_SPORT, CL_TTL, CL_TOS, CL_ID, CL_DF, CL_WIN, CL_SEQ, CL_FLAGS,
	CL_DLEN, CL_DSTR, CL_COUNT, CL_DELAY, CL_RATE, CL_FOUR, CL_SIX,
	CL_JSON, CL_VERBOSE, CL_TIMEOUT, CL_ACK, CL_FLOW, CL_MSS,
};

static const struct opts_def cl_defs[] = {
	{ CL_PASS, 0, "passphrase", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "shared secret of the echo server", 0 },
	{ CL_PASS, 0, "ec", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "same as --passphrase (nping's --echo-client)", OPTS_ALIAS },
	{ CL_PASS, 0, "echo-client", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "same as --passphrase (nping)", OPTS_ALIAS },
	{ CL_PORT, 0, "echo-port", OPTS_PORT, "PORT", 1, 65535, NULL,
	  "TCP port of the echo server (default 9929)", 0 },
	{ CL_PORT, 0, "ep", OPTS_PORT, "PORT", 1, 65535, NULL,
	  "same as --echo-port (nping)", OPTS_ALIAS },
	{ CL_NOCRYPTO, 0, "no-crypto", OPTS_FLAG, NULL, 0, 0, NULL,
	  "no encryption or authentication (nping --no-crypto)", 0 },
	{ CL_NOCRYPTO, 0, "nc", OPTS_FLAG, NULL, 0, 0, NULL,
	  "same as --no-crypto (nping)", OPTS_ALIAS },
	{ CL_TCP, 0, "tcp", OPTS_FLAG, NULL, 0, 0, NULL,
	  "send TCP probes (SYN to port 80 unless told otherwise)", 0 },
	{ CL_UDP, 0, "udp", OPTS_FLAG, NULL, 0, 0, NULL,
	  "send UDP probes (53 > 40125, the default)", 0 },
	{ CL_ICMP, 0, "icmp", OPTS_FLAG, NULL, 0, 0, NULL,
	  "send ICMP echo requests (IPv4)", 0 },
	{ CL_DPORT, 'p', "dest-port", OPTS_PORT, "PORT", 1, 65535, NULL,
	  "destination port of TCP/UDP probes", 0 },
	{ CL_SPORT, 'g', "source-port", OPTS_PORT, "PORT", 1, 65535, NULL,
	  "source port of TCP/UDP probes", 0 },
	{ CL_TTL, 0, "ttl", OPTS_INT, "TTL", 1, 255, NULL,
	  "TTL or hop limit of the probes (default 64)", 0 },
	{ CL_TOS, 0, "tos", OPTS_INT, "TOS", 0, 255, NULL,
	  "IPv4 TOS or IPv6 traffic class", 0 },
	{ CL_ID, 0, "id", OPTS_INT, "ID", 1, 65535, NULL,
	  "IPv4 identification (default: random, the same for every probe)",
	  0 },
	{ CL_DF, 0, "df", OPTS_FLAG, NULL, 0, 0, NULL,
	  "set the IPv4 don't-fragment bit", 0 },
	{ CL_FLOW, 0, "flow", OPTS_INT, "LABEL", 0, 1048575, NULL,
	  "IPv6 flow label", 0 },
	{ CL_WIN, 0, "win", OPTS_INT, "SIZE", 0, 65535, NULL,
	  "TCP window (default 1480)", 0 },
	{ CL_MSS, 0, "mss", OPTS_INT, "SIZE", 1, 65535, NULL,
	  "add a TCP MSS option (shows MSS clamping on the way)", 0 },
	{ CL_SEQ, 0, "seq", OPTS_INT, "SEQ", 0, 4294967295.0, NULL,
	  "TCP sequence number (default random)", 0 },
	{ CL_ACK, 0, "ack", OPTS_INT, "ACK", 0, 4294967295.0, NULL,
	  "TCP acknowledgment number (with the ACK flag)", 0 },
	{ CL_FLAGS, 0, "flags", OPTS_STRING, "FLAGS", 0, 0, NULL,
	  "TCP flags: letters of SAFRPUEC, names (syn,ack) or a number", 0 },
	{ CL_DLEN, 0, "data-length", OPTS_INT, "LEN", 0, 1400, NULL,
	  "append LEN random payload bytes", 0 },
	{ CL_DSTR, 0, "data-string", OPTS_STRING, "TEXT", 0, 0, NULL,
	  "append TEXT as the payload", 0 },
	{ CL_COUNT, 'c', "count", OPTS_INT, "N", 1, 1000000, NULL,
	  "send N probes (default 5)", 0 },
	{ CL_DELAY, 0, "delay", OPTS_DURATION, "SECONDS", 0.0001, 3600, NULL,
	  "wait between probes (default 1s)", 0 },
	{ CL_RATE, 0, "rate", OPTS_NUM, "PPS", 0.001, 10000, NULL,
	  "probes per second (instead of --delay)", 0 },
	{ CL_FOUR, '4', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	  "use IPv4", 0 },
	{ CL_SIX, '6', NULL, OPTS_FLAG, NULL, 0, 0, NULL,
	  "use IPv6", 0 },
	{ CL_TIMEOUT, 0, "timeout", OPTS_DURATION, "SECONDS", 0.01, 600, NULL,
	  "give up connecting and handshaking after this (default 10s)", 0 },
	{ CL_JSON, 0, "json", OPTS_FLAG, NULL, 0, 0, NULL,
	  "print one JSON object with the results instead of text", 0 },
	{ CL_VERBOSE, 'v', "verbose", OPTS_FLAG, NULL, 0, 0, NULL,
	  "also print Tx/Rx times and the side channel addresses", 0 },
};

const struct opts_cmd cmd_nep_client_opts = {
	"nep-client", "[options] HOST",
	"Nping Echo Protocol client: see how your probes arrive at HOST",
	OPTS_HOST, cl_defs, sizeof(cl_defs) / sizeof(cl_defs[0]),
};

#define CL_PKT_MAX 1500
#define CL_HOLD_MAX 16

struct cl_opts {
	const char *host, *pass;
	uint16_t echo_port;
	bool crypto, json, verbose;
	int family;
	enum pkt_probe_proto proto;
	bool proto_set, dport_set, sport_set, seq_set, id_set;
	uint16_t dport, sport, ip_id;
	uint8_t ttl, tos;
	bool df;
	uint32_t flow, seq, ack;
	uint16_t win, mss;
	int flags; /* -1: default SYN */
	uint8_t payload[CL_PKT_MAX];
	size_t payload_len;
	bool dlen_set, dstr_set;
	long long count;
	double delay, timeout;
};

struct cl_held {
	char line[512];
};

struct cl {
	struct cl_opts o;
	struct loop loop;
	struct capture cap;
	struct nep_crypto *crypto_lib; /* NULL with --no-crypto */
	int raw, side;
	struct sock_addr target, local;
	struct nep_session *sess;
	struct nep_spec spec;
	int64_t start_ns;
	int64_t connect_ns, ready_ns; /* side channel: connect(), READY */
	int64_t last_sent_ns;
	long long nsent;
	uint8_t probe[CL_PKT_MAX];
	size_t probe_len;
	struct pkt_parsed probe_parsed; /* of the last SENT */
	struct stats st;
	struct nep_report rep;
	struct cl_held held[CL_HOLD_MAX];
	size_t nheld;
	uint64_t hold_timer, deadline_timer;
	const char *error; /* why the session failed, or NULL */
	char errbuf[256];
	bool connected, ready, done;
	int status;
};

/* ------------------------------------------------------------ options */

static int cl_tcp_flags(const char *s, char *err, size_t errlen)
{
	static const char letters[] = "FSRPAUEC";
	const char *text = s;
	char *end;
	long v = strtol(s, &end, 0);
	int f = 0;

	if (*s && !*end)
		return v >= 0 && v <= 255 ? (int)v : -1;
	if (!strcasecmp(s, "syn") || !strcasecmp(s, "ack") ||
	    strchr(s, ',')) {
		static const char *const names[] = { "fin", "syn", "rst", "psh",
						     "ack", "urg", "ece", "cwr" };
		char buf[128], *tok, *save = NULL;
		int i;

		snprintf(buf, sizeof(buf), "%s", s);
		for (tok = strtok_r(buf, ",", &save); tok;
		     tok = strtok_r(NULL, ",", &save)) {
			for (i = 0; i < 8; i++)
				if (!strcasecmp(tok, names[i]))
					break;
			if (i == 8)
				goto bad;
			f |= 1 << i;
		}
		return f;
	}
	for (; *s; s++) {
		const char *p = strchr(letters, toupper((unsigned char)*s));

		if (!p)
			goto bad;
		f |= 1 << (p - letters);
	}
	return f;
bad:
	snprintf(err, errlen, "--flags: '%s' is not a set of TCP flags "
			      "(letters of SAFRPUEC, names, or a number)", text);
	return -2;
}

static void cl_set_proto(struct cl_opts *o, enum pkt_probe_proto p)
{
	o->proto = p;
	o->proto_set = true;
}

static int cl_opt(void *ctx, const struct opts_def *def,
		  const struct opts_val *val, char *err, size_t errlen)
{
	struct cl_opts *o = ctx;

	if (!def) {
		if (o->host) {
			snprintf(err, errlen, "only one HOST, got '%s' too",
				 val->str);
			return -1;
		}
		o->host = val->str;
		return 0;
	}
	switch (def->id) {
	case CL_PASS: o->pass = val->str; break;
	case CL_PORT: o->echo_port = (uint16_t)val->i; break;
	case CL_NOCRYPTO: o->crypto = false; break;
	case CL_TCP: cl_set_proto(o, PKT_PROBE_TCP); break;
	case CL_UDP: cl_set_proto(o, PKT_PROBE_UDP); break;
	case CL_ICMP: cl_set_proto(o, PKT_PROBE_ICMP); break;
	case CL_DPORT: o->dport = (uint16_t)val->i; o->dport_set = true; break;
	case CL_SPORT: o->sport = (uint16_t)val->i; o->sport_set = true; break;
	case CL_TTL: o->ttl = (uint8_t)val->i; break;
	case CL_TOS: o->tos = (uint8_t)val->i; break;
	case CL_ID: o->ip_id = (uint16_t)val->i; o->id_set = true; break;
	case CL_DF: o->df = true; break;
	case CL_FLOW: o->flow = (uint32_t)val->i; break;
	case CL_WIN: o->win = (uint16_t)val->i; break;
	case CL_MSS: o->mss = (uint16_t)val->i; break;
	case CL_SEQ: o->seq = (uint32_t)val->i; o->seq_set = true; break;
	case CL_ACK: o->ack = (uint32_t)val->i; break;
	case CL_FLAGS:
		o->flags = cl_tcp_flags(val->str, err, errlen);
		if (o->flags == -1)
			snprintf(err, errlen, "--flags: %s is out of range "
					      "0..255", val->str);
		if (o->flags < 0)
			return -1;
		break;
	case CL_DLEN:
		o->payload_len = (size_t)val->i;
		o->dlen_set = true;
		break;
	case CL_DSTR:
		o->payload_len = strlen(val->str);
		if (o->payload_len > 1400) {
			snprintf(err, errlen, "--data-string: longer than "
					      "1400 bytes");
			return -1;
		}
		memcpy(o->payload, val->str, o->payload_len);
		o->dstr_set = true;
		break;
	case CL_COUNT: o->count = val->i; break;
	case CL_DELAY: o->delay = val->num; break;
	case CL_RATE: o->delay = 1.0 / val->num; break;
	case CL_FOUR: o->family = AF_INET; break;
	case CL_SIX: o->family = AF_INET6; break;
	case CL_TIMEOUT: o->timeout = val->num; break;
	case CL_JSON: o->json = true; break;
	case CL_VERBOSE: o->verbose = true; break;
	}
	return 0;
}

static int cl_usage_error(const char *fmt, ...)
	__attribute__((format(printf, 1, 2)));

static int cl_usage_error(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "echolot nep-client: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return 2;
}

static int cl_check(const struct cl_opts *o)
{
	if (!o->host)
		return cl_usage_error("no HOST given (see --help)");
	if (o->crypto && !o->pass)
		return cl_usage_error("a passphrase is needed (--passphrase "
				      "TEXT), or --no-crypto");
	if (o->pass && strlen(o->pass) > NEP_PASS_MAX)
		return cl_usage_error("the passphrase is longer than %d bytes",
				      NEP_PASS_MAX);
	if (o->dlen_set && o->dstr_set)
		return cl_usage_error("--data-length and --data-string "
				      "exclude each other");
	if (o->proto == PKT_PROBE_ICMP && (o->dport_set || o->sport_set))
		return cl_usage_error("ICMP probes have no ports (-p, -g)");
	if (o->mss && o->proto != PKT_PROBE_TCP)
		return cl_usage_error("--mss needs --tcp");
	if (o->proto == PKT_PROBE_ICMP && o->family == AF_INET6)
		return cl_usage_error("ICMP probes are IPv4 only: the NEP "
				      "matching rule cannot echo ICMPv6");
	if (o->proto == PKT_PROBE_TCP &&
	    (o->dport == o->echo_port || o->sport == o->echo_port))
		return cl_usage_error("TCP probes cannot use the echo port "
				      "%u", o->echo_port);
	return 0;
}

/* ------------------------------------------------------------ output */

static double cl_secs(const struct cl *c, int64_t t)
{
	return (double)(t - c->start_ns) / 1e9;
}

/* "SENT (0.0193s) UDP ..." for one packet (nping's line). */
static void cl_line(struct cl *c, const char *tag, int64_t t,
		    const uint8_t *pkt, size_t len, char *buf, size_t cap)
{
	struct pkt_parsed p;
	int n = snprintf(buf, cap, "%s (%.4fs) ", tag, cl_secs(c, t));

	if (pkt_parse(pkt, len, &p) < 0)
		snprintf(buf + n, cap - (size_t)n, "unparsable packet of %zu "
						   "bytes", len);
	else
		pkt_summary(&p, PKT_DETAIL_LOW, buf + n, cap - (size_t)n);
}

static void cl_print(const struct cl *c, const char *line)
{
	if (c->o.json)
		return;
	printf("%s\n", line);
	fflush(stdout);
}

/* RCVD lines wait a moment so that a CAPT of the same probe, which
 * travels further, can be printed first (nping does the same). */
static void cl_flush_held(struct cl *c)
{
	size_t i;

	for (i = 0; i < c->nheld; i++)
		cl_print(c, c->held[i].line);
	c->nheld = 0;
	if (c->hold_timer)
		loop_timer_cancel(&c->loop, c->hold_timer);
	c->hold_timer = 0;
}

static void cl_hold_expired(struct loop *l, void *arg)
{
	struct cl *c = arg;

	(void)l;
	c->hold_timer = 0;
	cl_flush_held(c);
}

/* ------------------------------------------------------------ probes */

static int cl_build_probe(struct cl *c)
{
	struct pkt_probe p;
	const struct cl_opts *o = &c->o;
	int n;

	memset(&p, 0, sizeof(p));
	p.proto = o->proto;
	pkt_addr_from_sockaddr((const struct sockaddr *)&c->local.ss, &p.src);
	pkt_addr_from_sockaddr((const struct sockaddr *)&c->target.ss, &p.dst);
	p.ttl = o->ttl;
	p.tos = o->tos;
	p.flow_label = o->flow;
	p.ip_id = o->ip_id;
	p.df = o->df;
	p.icmp_id = o->ip_id;
	p.icmp_seq = (uint16_t)(c->nsent + 1);
	p.sport = o->sport;
	p.dport = o->dport;
	p.tcp_seq = o->seq;
	p.tcp_ack = o->ack;
	p.tcp_flags = (uint8_t)o->flags;
	p.tcp_win = o->win;
	p.tcp_mss = o->mss;
	p.payload = o->payload;
	p.payload_len = o->payload_len;
	n = pkt_build_probe(&p, c->probe, sizeof(c->probe), NULL);
	if (n < 0)
		return n;
	c->probe_len = (size_t)n;
	return pkt_parse(c->probe, c->probe_len, &c->probe_parsed);
}

static void cl_finish(struct loop *l, void *arg);

static void cl_send_probe(struct loop *l, void *arg)
{
	struct cl *c = arg;
	char line[512];
	int64_t now;

	if (c->done)
		return;
	if (cl_build_probe(c) < 0) {
		c->error = "cannot build the probe";
		loop_stop(l, 1);
		return;
	}
	now = loop_now_ns();
	if (sendto(c->raw, c->probe, c->probe_len, 0,
		   (struct sockaddr *)&c->target.ss, c->target.len) < 0) {
		snprintf(c->errbuf, sizeof(c->errbuf), "sending the probe: %s",
			 strerror(errno));
		stats_error(&c->st, now, STATS_ERR_LOCAL, 0);
	} else {
		stats_sent(&c->st, now, c->probe_len);
		c->rep.sent++;
	}
	c->nsent++;
	c->last_sent_ns = now;
	cl_flush_held(c);
	cl_line(c, "SENT", now, c->probe, c->probe_len, line, sizeof(line));
	cl_print(c, line);
	if (c->nsent < c->o.count)
		loop_timer_at(l, now + (int64_t)(c->o.delay * 1e9),
			      cl_send_probe, c);
	else
		/* nping's fixed wait for the last echoes and replies */
		loop_timer_at(l, now + 1000000000LL, cl_finish, c);
}

static void cl_finish(struct loop *l, void *arg)
{
	struct cl *c = arg;

	c->done = true;
	cl_flush_held(c);
	stats_end(&c->st, loop_now_ns());
	loop_stop(l, 0);
}

/* A reply caught by our capture (the filter lets only HOST's packets to
 * us through, the side channel excluded). */
static void cl_reply(void *arg, const uint8_t *pkt, size_t len)
{
	struct cl *c = arg;
	int64_t now = loop_now_ns();
	double hold;

	if (!c->ready || c->nsent == 0)
		return;
	stats_reply(&c->st, now, now - c->last_sent_ns, len, STATS_SEQ_NONE);
	c->rep.received++;
	if (c->nheld == CL_HOLD_MAX)
		cl_flush_held(c);
	cl_line(c, "RCVD", now, pkt, len, c->held[c->nheld].line,
		sizeof(c->held[0].line));
	c->nheld++;
	hold = c->o.delay * 0.33;
	if (hold > 0.333)
		hold = 0.333;
	if (!c->hold_timer)
		c->hold_timer = loop_timer_at(&c->loop,
					      now + (int64_t)(hold * 1e9),
					      cl_hold_expired, c);
}

static void cl_capture_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct cl *c = arg;
	char err[256];

	(void)fd;
	(void)events;
	if (capture_dispatch(&c->cap, 0, cl_reply, c, err, sizeof(err)) < 0) {
		snprintf(c->errbuf, sizeof(c->errbuf), "%s", err);
		c->error = c->errbuf;
		loop_stop(l, 1);
	}
}

/* ------------------------------------------------------------ session */

static void cl_fail(struct cl *c, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void cl_fail(struct cl *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(c->errbuf, sizeof(c->errbuf), fmt, ap);
	va_end(ap);
	c->error = c->errbuf;
	loop_stop(&c->loop, 1);
}

static void cl_session_failed(struct cl *c, int err)
{
	if (err == NEP_ERR_AUTH)
		cl_fail(c, "wrong passphrase: the server's handshake does not "
			   "verify (or --no-crypto is used on one side only)");
	else if (err == NEP_ERR_VERSION)
		cl_fail(c, "protocol version mismatch: the server speaks NEP "
			   "version %u, echolot speaks version %u",
			c->sess->in[0], NEP_VERSION);
	else
		cl_fail(c, "NEP session failed: %s", nep_strerror(err));
}

static int cl_send_output(struct cl *c)
{
	size_t n, off = 0;
	const uint8_t *out = nep_session_output(c->sess, &n);

	/* Handshake messages are small: the socket buffer takes them. */
	while (off < n) {
		ssize_t k = send(c->side, out + off, n - off, MSG_NOSIGNAL);

		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return -1;
		off += (size_t)k;
	}
	nep_session_taken(c->sess, n);
	return 0;
}

static void cl_side_partner(struct cl *c)
{
	struct pkt_addr local, seen;
	const struct nep_partner *p = &c->sess->peer_partner;

	if (pkt_addr_from_sockaddr((const struct sockaddr *)&c->local.ss,
				   &local) < 0 ||
	    (p->version != 4 && p->version != 6))
		return;
	memset(&seen, 0, sizeof(seen));
	seen.family = p->version == 6 ? AF_INET6 : AF_INET;
	memcpy(seen.a, p->addr, p->version == 6 ? 16 : 4);
	pkt_addr_ntop(&local, c->rep.side_local, sizeof(c->rep.side_local));
	pkt_addr_ntop(&seen, c->rep.side_seen, sizeof(c->rep.side_seen));
	c->rep.side_nat = !pkt_addr_eq(&local, &seen);
}

static void cl_on_echo(struct cl *c, const struct nep_event *ev)
{
	int64_t now = loop_now_ns();
	/* The server captured it somewhere between sending and now: nping
	 * prints the middle. */
	int64_t t = c->last_sent_ns + (now - c->last_sent_ns) / 2;
	struct pkt_parsed capt;
	char line[512];

	if (!c->nsent)
		t = now;
	stats_echoed(&c->st, ev->plen);
	c->rep.echoed++;
	if (pkt_parse(ev->packet, ev->plen, &capt) == 0 && c->nsent)
		nep_report_compare(&c->rep, &c->probe_parsed, &capt);
	cl_line(c, "CAPT", t, ev->packet, ev->plen, line, sizeof(line));
	cl_print(c, line);
	cl_flush_held(c);
}

static void cl_on_event(struct cl *c, const struct nep_event *ev)
{
	switch (ev->kind) {
	case NEP_EV_FAILED:
		cl_session_failed(c, ev->err);
		return;
	case NEP_EV_READY:
		c->ready = true;
		c->ready_ns = loop_now_ns();
		if (c->deadline_timer)
			loop_timer_cancel(&c->loop, c->deadline_timer);
		c->deadline_timer = 0;
		cl_side_partner(c);
		cl_send_probe(&c->loop, c);
		return;
	case NEP_EV_ECHO:
		cl_on_echo(c, ev);
		return;
	default:
		return;
	}
}

static void cl_side_eof(struct cl *c)
{
	if (c->ready) {
		cl_fail(c, "the echo server closed the side channel");
		return;
	}
	if (c->sess->state == NEP_ST_WAIT_HS_FINAL)
		cl_fail(c, "the echo server closed the connection during the "
			   "handshake (passphrase or --no-crypto differ, or "
			   "the server refused us)");
	else
		cl_fail(c, "the echo server closed the connection during the "
			   "handshake");
}

static void cl_side_io(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct cl *c = arg;
	uint8_t buf[16384];
	size_t off = 0;
	ssize_t n;

	(void)l;
	(void)events;
	if (!c->connected) {
		int soerr = 0;
		socklen_t sl = sizeof(soerr);

		getsockopt(fd, SOL_SOCKET, SO_ERROR, &soerr, &sl);
		if (soerr) {
			cl_fail(c, "cannot connect to %s port %u: %s",
				c->o.host, c->o.echo_port,
				soerr == ECONNREFUSED ? "connection refused "
							"(no echo server?)"
						      : strerror(soerr));
			return;
		}
		c->connected = true;
		loop_mod_fd(l, fd, EPOLLIN);
		return;
	}
	n = recv(fd, buf, sizeof(buf), 0);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		cl_side_eof(c);
		return;
	}
	c->sess->now = (uint32_t)time(NULL);
	while (off < (size_t)n && !c->error) {
		struct nep_event ev;

		off += nep_session_feed(c->sess, buf + off, (size_t)n - off,
					&ev);
		if (cl_send_output(c) < 0) {
			cl_fail(c, "side channel: %s", strerror(errno));
			return;
		}
		if (ev.kind == NEP_EV_NONE)
			break;
		cl_on_event(c, &ev);
	}
}

static void cl_deadline(struct loop *l, void *arg)
{
	struct cl *c = arg;

	(void)l;
	c->deadline_timer = 0;
	if (!c->connected)
		cl_fail(c, "cannot connect to %s port %u: timed out after "
			   "%.1fs", c->o.host, c->o.echo_port, c->o.timeout);
	else
		cl_fail(c, "the NEP handshake with %s timed out after %.1fs",
			c->o.host, c->o.timeout);
}

static void cl_signal(struct loop *l, int signo, void *arg)
{
	struct cl *c = arg;

	(void)signo;
	cl_finish(l, c);
}

/* ------------------------------------------------------------ setup */

static void cl_partner(const struct sock_addr *a, struct nep_partner *p)
{
	memset(p, 0, sizeof(*p));
	if (sock_family(a) == AF_INET6) {
		p->version = 6;
		memcpy(p->addr, &((const struct sockaddr_in6 *)&a->ss)->sin6_addr,
		       16);
	} else {
		p->version = 4;
		memcpy(p->addr, &((const struct sockaddr_in *)&a->ss)->sin_addr,
		       4);
	}
}

static uint32_t cl_random32(void)
{
	uint8_t b[4] = { 0 };

	nep_random(b, sizeof(b));
	return ((uint32_t)b[0] << 24) | ((uint32_t)b[1] << 16) |
	       ((uint32_t)b[2] << 8) | b[3];
}

/* Probe fields nping chooses at random once per run. */
static void cl_defaults(struct cl_opts *o)
{
	if (!o->id_set)
		o->ip_id = (uint16_t)(1 + cl_random32() % 65535);
	if (o->proto == PKT_PROBE_UDP) {
		if (!o->sport_set)
			o->sport = 53;
		if (!o->dport_set)
			o->dport = 40125;
	} else if (o->proto == PKT_PROBE_TCP) {
		if (!o->sport_set)
			o->sport = (uint16_t)(1024 + cl_random32() % 60000);
		if (o->sport == o->echo_port)
			o->sport++;
		if (!o->dport_set)
			o->dport = 80;
		if (!o->seq_set)
			o->seq = cl_random32();
		if (o->flags < 0)
			o->flags = PKT_TCP_SYN;
		if (!o->win)
			o->win = 1480;
	}
	if (!o->ttl)
		o->ttl = 64;
	if (o->dlen_set)
		nep_random(o->payload, o->payload_len);
}

static void cl_add16(struct nep_spec *s, uint8_t code, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };

	nep_spec_add(s, code, b, 2);
}

static void cl_add32(struct nep_spec *s, uint8_t code, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
			 (uint8_t)(v >> 8), (uint8_t)v };

	nep_spec_add(s, code, b, 4);
}

/* The items nping's client sends, in its order, so that any NEP server
 * (nping's too) routes our probes back to us. */
static void cl_build_spec(struct cl *c)
{
	const struct cl_opts *o = &c->o;
	struct nep_spec *s = &c->spec;
	bool v6 = c->o.family == AF_INET6;
	uint8_t proto = o->proto == PKT_PROBE_TCP ? 6
			: o->proto == PKT_PROBE_UDP ? 17 : 1;
	uint8_t b[3];

	nep_spec_init(s, v6 ? 6 : 4, proto,
		      (uint16_t)(o->count > 65535 ? 65535 : o->count));
	if (v6) {
		nep_spec_add(s, NEP_SPEC_IPV6_TCLASS, &o->tos, 1);
		b[0] = 0;
		b[1] = (uint8_t)(o->flow >> 16);
		b[2] = (uint8_t)(o->flow >> 8);
		nep_spec_add(s, NEP_SPEC_IPV6_FLOW, b, 3);
	} else {
		cl_add16(s, NEP_SPEC_IPV4_ID, o->ip_id);
		nep_spec_add(s, NEP_SPEC_IPV4_TOS, &o->tos, 1);
	}
	if (o->proto == PKT_PROBE_TCP) {
		cl_add16(s, NEP_SPEC_TCP_SPORT, o->sport);
		cl_add16(s, NEP_SPEC_TCP_DPORT, o->dport);
		cl_add32(s, NEP_SPEC_TCP_SEQ, o->seq);
		cl_add32(s, NEP_SPEC_TCP_ACK,
			 (o->flags & PKT_TCP_ACK) ? o->ack : 0);
		b[0] = (uint8_t)o->flags;
		nep_spec_add(s, NEP_SPEC_TCP_FLAGS, b, 1);
		cl_add16(s, NEP_SPEC_TCP_WIN, o->win);
	} else if (o->proto == PKT_PROBE_UDP) {
		cl_add16(s, NEP_SPEC_UDP_SPORT, o->sport);
		cl_add16(s, NEP_SPEC_UDP_DPORT, o->dport);
		cl_add16(s, NEP_SPEC_UDP_LEN, (uint16_t)(8 + o->payload_len));
	} else {
		b[0] = 8;
		b[1] = 0;
		nep_spec_add(s, NEP_SPEC_ICMP_TYPE, b, 1);
		nep_spec_add(s, NEP_SPEC_ICMP_CODE, b + 1, 1);
	}
	nep_spec_add(s, v6 ? NEP_SPEC_IPV6_NHDR : NEP_SPEC_IPV4_PROTO, &proto,
		     1);
	if (o->payload_len)
		nep_spec_add(s, NEP_SPEC_PAYLOAD, o->payload,
			     o->payload_len < 8 ? o->payload_len : 8);
}

/* The side channel goes to HOST itself; its local address is the one
 * the probes leave from. */
static int cl_open_side(struct cl *c)
{
	struct sock_addr a = c->target;
	int one = 1;

	sock_set_port(&a, c->o.echo_port);
	c->connect_ns = loop_now_ns();
	c->side = socket(sock_family(&a),
			 SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (c->side < 0)
		return -1;
	setsockopt(c->side, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
	if (connect(c->side, (struct sockaddr *)&a.ss, a.len) < 0 &&
	    errno != EINPROGRESS)
		return -1;
	c->local.len = sizeof(c->local.ss);
	if (getsockname(c->side, (struct sockaddr *)&c->local.ss,
			&c->local.len) < 0)
		return -1;
	return 0;
}

static int cl_set_filter(struct cl *c, char *err, size_t errlen)
{
	char t[64], l[64], filter[256];

	sock_ntop(&c->target, t, sizeof(t));
	sock_ntop(&c->local, l, sizeof(l));
	snprintf(filter, sizeof(filter),
		 "src host %s and dst host %s and not (tcp port %u)", t, l,
		 c->o.echo_port);
	return capture_set_filter(&c->cap, filter, err, errlen);
}

static int cl_start_session(struct cl *c)
{
	struct nep_session_cfg cfg;

	memset(&cfg, 0, sizeof(cfg));
	cfg.role = NEP_ROLE_CLIENT;
	cfg.crypto = c->o.crypto;
	cfg.crypto_lib = c->crypto_lib;
	cfg.pass = (const uint8_t *)c->o.pass;
	cfg.passlen = c->o.pass ? strlen(c->o.pass) : 0;
	if (nep_random(cfg.nonce, sizeof(cfg.nonce)) < 0)
		return -1;
	cfg.seq0 = cl_random32();
	cl_partner(&c->target, &cfg.partner);
	cfg.spec = &c->spec;
	c->sess = malloc(sizeof(*c->sess));
	if (!c->sess)
		return -1;
	return nep_session_init(c->sess, &cfg, (uint32_t)time(NULL)) < 0 ? -1
									 : 0;
}

static int cl_setup(struct cl *c)
{
	char err[256];

	if (sock_resolve(c->o.host, c->o.family, false, &c->target, err,
			 sizeof(err)) < 0)
		return cl_usage_error("%s", err);
	c->o.family = sock_family(&c->target);
	c->raw = socket(c->o.family, SOCK_RAW | SOCK_CLOEXEC, IPPROTO_RAW);
	if (c->raw < 0)
		return cl_usage_error("cannot open a raw socket: %s (needs "
				      "root or CAP_NET_RAW)", strerror(errno));
	/* Its filter needs our local address, so it is set once the side
	 * channel is bound. */
	if (capture_open(&c->cap, NULL, CL_PKT_MAX, err, sizeof(err)) < 0 ||
	    capture_set_filter(&c->cap, "less 1", err, sizeof(err)) < 0)
		return cl_usage_error("%s", err);
	if (priv_drop(NULL, NULL, err, sizeof(err)) < 0)
		return cl_usage_error("%s", err);
	/* Everything that takes time (loading OpenSSL and its first use
	 * among it) before the connection, so the handshake runs at network
	 * speed. */
	if (c->o.crypto && !(c->crypto_lib = nep_crypto_open(err, sizeof(err))))
		return cl_usage_error("%s", err);
	cl_defaults(&c->o);
	cl_build_spec(c);
	if (cl_start_session(c) < 0)
		return cl_usage_error("cannot start a NEP session");
	if (cl_open_side(c) < 0) {
		/* A session failure, not a usage error. */
		cl_usage_error("cannot connect to %s port %u: %s", c->o.host,
			       c->o.echo_port,
			       errno == ECONNREFUSED
				       ? "connection refused (no echo server?)"
				       : strerror(errno));
		return 1;
	}
	if (cl_set_filter(c, err, sizeof(err)) < 0)
		return cl_usage_error("%s", err);
	return 0;
}

static int cl_loop(struct cl *c)
{
	static const int sigs[] = { SIGINT, SIGTERM };

	if (loop_init(&c->loop, 64, 4096) < 0 ||
	    loop_add_fd(&c->loop, c->side, EPOLLIN | EPOLLOUT, cl_side_io, c) <
		    0 ||
	    loop_add_fd(&c->loop, c->cap.fd, EPOLLIN, cl_capture_io, c) < 0 ||
	    loop_signals(&c->loop, sigs, 2, cl_signal, c) < 0)
		return cl_usage_error("%s", strerror(errno));
	c->deadline_timer = loop_timer_at(&c->loop,
					  loop_now_ns() +
						  (int64_t)(c->o.timeout * 1e9),
					  cl_deadline, c);
	return loop_run(&c->loop);
}

/* ------------------------------------------------------------ results */

static void cl_render_text(struct cl *c)
{
	struct stats_summary sum;

	stats_summarize(&c->st, &sum);
	printf(" \n");
	stats_render_nping(stdout, &sum,
			   STATS_NPING_ECHOED |
				   (c->o.verbose ? STATS_NPING_TIMES : 0));
	if (c->o.verbose && c->rep.side_local[0])
		printf("Side channel: %s as seen by the server: %s | "
		       "Handshake: %.3fms\n", c->rep.side_local,
		       c->rep.side_seen,
		       (double)(c->ready_ns - c->connect_ns) / 1e6);
	nep_report_render(stdout, &c->rep);
	fflush(stdout);
}

static void cl_render_json(struct cl *c)
{
	struct stats_summary sum;
	struct json_writer w;

	stats_summarize(&c->st, &sum);
	json_init(&w, stdout, JSON_NDJSON);
	json_begin_object(&w);
	json_kv_string(&w, "type", "nep-client");
	json_kv_int(&w, "version", 1);
	json_kv_string(&w, "target", c->o.host);
	json_kv_uint(&w, "echo_port", c->o.echo_port);
	json_kv_bool(&w, "crypto", c->o.crypto);
	json_kv_string(&w, "probe", c->o.proto == PKT_PROBE_TCP ? "tcp"
				  : c->o.proto == PKT_PROBE_UDP ? "udp"
								: "icmp");
	if (c->error)
		json_kv_string(&w, "error", c->error);
	if (c->ready)
		json_kv_double(&w, "handshake_ms",
			       (double)(c->ready_ns - c->connect_ns) / 1e6, 3);
	else
		json_kv_null(&w, "handshake_ms");
	json_key(&w, "stats");
	stats_render_json(&w, &sum);
	nep_report_json(&w, &c->rep);
	json_end_object(&w);
}

int cmd_nep_client_main(int argc, char **argv)
{
	struct cl *c = calloc(1, sizeof(*c));
	int rc;

	if (!c)
		return 2;
	c->o.echo_port = NEP_PORT;
	c->o.crypto = true;
	c->o.proto = PKT_PROBE_UDP;
	c->o.flags = -1;
	c->o.count = 5;
	c->o.delay = 1;
	c->o.timeout = 10;
	c->raw = c->side = -1;
	c->start_ns = loop_now_ns();
	stats_init(&c->st);
	rc = cmd_parse(&cmd_nep_client_opts, argc, argv, cl_opt, &c->o);
	if (rc == CMD_CONTINUE)
		rc = cl_check(&c->o);
	else
		goto out;
	if (rc == 0)
		rc = cl_setup(c);
	if (rc == 0) {
		nep_report_init(&c->rep, c->o.proto == PKT_PROBE_TCP);
		if (!c->o.json)
			printf("\nStarting echolot nep-client %s (NEP version "
			       "1) to %s\n", PACKAGE_VERSION, c->o.host);
		fflush(stdout);
		cl_loop(c);
		loop_free(&c->loop);
		if (c->error)
			fprintf(stderr, "echolot nep-client: %s\n", c->error);
		if (c->ready || c->o.json) {
			if (c->o.json)
				cl_render_json(c);
			else
				cl_render_text(c);
		}
		/* A session that failed, or one where nothing came back
		 * through it, is a failure for scripts. */
		rc = c->error || !c->rep.echoed ? 1 : 0;
	}
out:
	if (c->sess)
		free(c->sess);
	if (c->side >= 0)
		close(c->side);
	if (c->raw >= 0)
		close(c->raw);
	if (c->cap.pcap)
		capture_close(&c->cap);
	nep_crypto_close(c->crypto_lib);
	free(c);
	return rc;
}
