/*
 * trace - route discovery: the plan, the engine that runs it, and the
 * result it measures into.
 *
 * The engine sends UDP, ICMP echo or TCP SYN probes with increasing TTL
 * through raw sockets (IPv4 with IP_HDRINCL, IPv6 with a per-packet hop
 * limit), keeps up to `inflight` probes out over all TTLs at once, and
 * matches ICMP errors, echo replies and SYN-ACK/RST through lib/probe.
 * It never prints: it fills a struct trace_result and calls back when a
 * hop is complete, so text, report and JSON renderers (trace_render.c) are
 * functions of the result.
 *
 * Flow-stable by default (Paris traceroute): every probe of a trace has
 * the same 5-tuple (for ICMP also the same checksum), and probes differ
 * only in fields load balancers do not hash: the IPv4 id, the UDP checksum
 * on IPv6 (steered through two payload bytes), the ICMP seq, the TCP seq.
 */
#ifndef ECHOLOT_TRACE_H
#define ECHOLOT_TRACE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "loop.h"
#include "packet.h"
#include "probe.h"
#include "rdns.h"
#include "sock.h"
#include "stats.h"

#define TRACE_TTL_MAX 255
#define TRACE_QUERIES_MAX 10
#define TRACE_INFLIGHT_MAX 256
#define TRACE_MPLS_MAX 4
#define TRACE_TCP_OPTS_MAX 40
#define TRACE_PACKET_LEN_MAX 2048

enum trace_method {
	TRACE_UDP,
	TRACE_ICMP,
	TRACE_TCP,
};

struct trace_plan {
	enum trace_method method;
	struct sock_addr dst;
	const char *dst_name;	/* as the user wrote it, for the header */
	struct sock_addr src;	/* len 0: the address the kernel would pick */
	const char *iface;	/* NULL: any (SO_BINDTODEVICE) */
	uint16_t port;		/* destination port; 0: the method's default */
	int first_ttl, max_ttl; /* 1..255 */
	int queries;		/* probes per hop per round, 1..10 */
	int inflight;		/* probes out at once, 1..256 */
	double wait_max;	/* seconds to wait for any reply */
	double wait_here;	/* x the rtt of this hop's replies */
	double wait_near;	/* x the rtt of a later hop's replies */
	bool vary_flow;		/* classic traceroute: ports change per probe */
	uint8_t tos;		/* TOS / traffic class of probes */
	size_t packet_len;	/* whole IP datagram, at most
				 * TRACE_PACKET_LEN_MAX, raised to the
				 * headers + 2; 0: 60 (v4) / 80 (v6); TCP
				 * SYNs carry no payload */
	int cycles;		/* rounds (report mode); 1 for a plain trace */
	double interval;	/* seconds between the starts of rounds */
	int retries;		/* resends of a hop's probe lost to a rate
				 * limit (0 in report mode: loss is data) */
	struct rdns *rdns;	/* NULL: no names (-n) */
};

/* A probe as a router saw it (from the ICMP quotation) or as we sent it. */
struct trace_quote {
	bool valid;
	bool l4_full;	/* more than the first 8 L4 bytes quoted */
	enum pkt_l4 l4; /* what the quotation carries */
	uint8_t tos, ttl;
	uint16_t ip_id, ip_len; /* v6: 40 + payload length */
	bool df;
	uint32_t flow_label;
	struct pkt_addr src, dst;
	uint16_t sport, dport;
	uint16_t udp_len, udp_csum;
	uint16_t icmp_csum, icmp_seq;
	uint32_t tcp_seq;
	uint16_t tcp_win, tcp_csum;
	uint8_t tcp_flags;
	bool has_mss;
	uint16_t mss;
	uint8_t tcp_opt_len;
	uint8_t tcp_opts[TRACE_TCP_OPTS_MAX];
};

/* One probe's outcome. kind PROBE_REPLY_NONE: no answer ("*"). */
struct trace_reply {
	enum probe_reply kind;
	struct pkt_addr from;
	int64_t rtt_ns;
	uint8_t icmp_type, icmp_code;
	uint32_t mtu;	    /* frag needed / packet too big */
	uint8_t quoted_ttl; /* TTL left in the quotation */
	int reply_ttl;	    /* TTL of the reply itself, -1 unknown */
	int tries;	    /* sends it took (retries after rate limits) */
	size_t n_mpls;
	struct pkt_mpls mpls[TRACE_MPLS_MAX];
	struct trace_quote quote; /* the probe as this hop saw it */
	struct trace_quote sent;  /* the same probe as we sent it */
};

struct trace_hop {
	int ttl;
	int nprobes; /* probes of the last round */
	struct trace_reply probes[TRACE_QUERIES_MAX];
	struct trace_reply last; /* the last answered probe of any round */
	bool answered;		 /* any probe of any round answered */
	struct stats st;	 /* every round: sent, received, rtts */
};

struct trace_result {
	struct trace_plan plan;
	struct pkt_addr local, remote; /* our source, the destination */
	struct trace_quote sent;       /* the first probe as we sent it */
	size_t probe_len;	       /* bytes of each probe datagram */
	bool reached;		       /* the destination answered */
	int last_ttl;		       /* hops shown: first_ttl..last_ttl */
	int rounds;		       /* rounds run */
	int64_t start_ns, end_ns;      /* CLOCK_MONOTONIC */
	struct trace_hop *hops;	       /* [0..max_ttl], index = ttl */
};

/*
 * The overdue rule: what the replies of a trace so far say about how long
 * an answer can take. A probe to a hop that never answered is overdue once
 * a later hop has answered and the probe is older than the largest rtt
 * seen plus a margin (twice the largest spread of one hop's rtts, at least
 * TRACE_OVERDUE_MARGIN_NS): a reply from a nearer router travels a shorter
 * path than the slowest one already back, so it is most likely lost. An
 * overdue probe stops holding an in-flight slot; once the destination (or
 * a final error) has answered it is given up, unless the -w wait ends
 * sooner. A given-up probe's reply still counts until its hop is handed to
 * the trace_hop_fn (without one: until the round ends).
 */
#define TRACE_OVERDUE_MARGIN_NS (20 * 1000000LL)

struct trace_pace {
	int64_t rtt_max_ns; /* the largest rtt of any reply */
	int64_t spread_ns;  /* the largest max - min of one hop's rtts */
	int answered_ttl;   /* the highest ttl that answered, 0: none */
	bool final;	    /* the destination or a final error answered */
};

/* Takes in the replies of hop h after one of them arrived. */
void trace_pace_reply(struct trace_pace *p, const struct trace_hop *h);

/* max(TRACE_OVERDUE_MARGIN_NS, 2 x spread). */
int64_t trace_pace_margin_ns(const struct trace_pace *p);

/* When a probe sent at tx_ns to the silent hop ttl is overdue;
 * INT64_MAX while no later hop has answered. */
int64_t trace_overdue_at(const struct trace_pace *p, int ttl, int64_t tx_ns);

/* When to give up a probe sent at tx_ns to hop ttl whose -w wait ends at
 * cap_ns: the cap, or sooner for a silent hop once p->final. */
int64_t trace_give_up_at(const struct trace_pace *p, int ttl, bool silent,
			 int64_t tx_ns, int64_t cap_ns);

/* Called once per hop, in TTL order, when it is complete and its names
 * have been resolved or given up on (round 0 only). */
typedef void (*trace_hop_fn)(void *arg, const struct trace_result *r, int ttl);

struct trace_slot;

/* The engine's state; fields are private to trace.c. */
struct trace_run {
	struct trace_plan plan;
	int send_fd, icmp_fd, tcp_fd;
	struct loop loop;
	struct probe_table table;
	struct trace_slot *slots; /* nslots: plan.inflight, plus one per
				   * probe of a round for overdue ones */
	int nslots;
	struct trace_result *res;
	trace_hop_fn hop_fn;
	void *hop_arg;
	/* scheduling */
	int round;
	int next_ttl;	/* lowest ttl that may have probes to send */
	int dest_guess; /* the destination may answer from here
			 * (its reply's TTL says so): silent
			 * hops from here on are retried */
	int limit_ttl;	/* no probes beyond (destination found) */
	int inflight;	/* probes holding one of plan.inflight */
	int overdue;	/* overdue probes, still awaited */
	struct trace_pace pace;
	int pending;		       /* sends waiting for a retry timer */
	int reported;		       /* hops handed to hop_fn so far */
	int done[TRACE_TTL_MAX + 1];   /* probes final per ttl this round */
	int issued[TRACE_TTL_MAX + 1]; /* probes sent per ttl this round */
	uint16_t serial;
	uint16_t sport, icmp_id;
	uint32_t tcp_seq_base;
	uint64_t timer_id, round_timer, name_timer;
	int64_t round_start_ns;
	bool stopped;
	int err; /* errno of a fatal socket error */
	uint8_t payload[TRACE_PACKET_LEN_MAX];
};

/*
 * Opens the sockets for the plan (needs CAP_NET_RAW; call before dropping
 * privileges) and picks the source address. Returns 0, or -1 with a
 * one-line reason in err.
 */
int trace_open(struct trace_run *t, const struct trace_plan *plan, char *err,
	       size_t errlen);

/*
 * Runs the plan into res (allocated here; release with trace_result_free)
 * and calls fn per hop of the first round. Returns 0 (res->reached tells
 * the outcome), 1 when SIGINT/SIGTERM cut it short (res holds what was
 * measured), or -1 with a reason in err.
 */
int trace_run(struct trace_run *t, struct trace_result *res, trace_hop_fn fn,
	      void *arg, char *err, size_t errlen);

void trace_close(struct trace_run *t);

/* Bytes of every probe datagram the opened plan sends. */
size_t trace_packet_len(const struct trace_run *t);

/* A pkt_addr as a socket address (port 0), e.g. for rdns. */
void trace_sockaddr(const struct pkt_addr *a, struct sock_addr *out);
void trace_result_free(struct trace_result *res);

/* ------------------------------------------------------- derived views */

/* Fields of a quoted probe that a middlebox may change. */
enum trace_field {
	TRACE_F_SRC, /* source address (NAT not reversed) */
	TRACE_F_SPORT,
	TRACE_F_DPORT,
	TRACE_F_DSCP,
	TRACE_F_ECN,
	TRACE_F_IPID,
	TRACE_F_DF,
	TRACE_F_LEN, /* IP total / payload length */
	TRACE_F_FLOWLABEL,
	TRACE_F_UDP_LEN,
	TRACE_F_UDP_CSUM, /* with the rest unchanged: a NAT that rewrote the
			   * quotation back */
	TRACE_F_ICMP_CSUM,
	TRACE_F_TCP_SEQ,
	TRACE_F_TCP_WIN,
	TRACE_F_TCP_CSUM,
	TRACE_F_TCP_MSS,
	TRACE_F_TCP_OPTS, /* options other than the MSS value */
	TRACE_F_COUNT
};

struct trace_change {
	enum trace_field field;
	uint32_t from, to;		    /* numeric fields */
	struct pkt_addr from_addr, to_addr; /* TRACE_F_SRC */
};

/* The JSON/text name of a field ("dscp", "tcp.mss", ...). */
const char *trace_field_name(enum trace_field f);

/*
 * The fields that differ between what we sent and how a hop quoted it.
 * Fields a router changes by design (TTL, the IP checksum) are not
 * compared; fields missing from a short quotation are skipped. Returns the
 * number written (at most cap).
 */
size_t trace_quote_diff(const struct trace_quote *sent,
			const struct trace_quote *quoted,
			struct trace_change *out, size_t cap);

/* The first answered probe of a hop that carries a quotation, or NULL. */
const struct trace_reply *trace_hop_quoted(const struct trace_hop *h);

/*
 * The middlebox view: the changes this hop's quotation shows that the
 * nearest earlier hop with a quotation did not show (or showed with
 * another value), i.e. what changed between that hop and this one.
 * Returns the number written (at most cap).
 */
size_t trace_hop_diff(const struct trace_result *r, int ttl,
		      struct trace_change *out, size_t cap);

/*
 * NAT seen at this hop: the quoted transport checksum differs from the
 * one sent while addresses and ports read as sent (Linux conntrack rewrote
 * the quotation back), or the quoted source differs from ours.
 */
bool trace_hop_nat(const struct trace_result *r, const struct trace_hop *h);

/* traceroute's annotation for a reply ("!H", "!N", "!X", "!F-1500", ...),
 * empty when there is none. */
const char *trace_annotation(const struct trace_reply *rp, char *buf,
			     size_t len);

/* ------------------------------------------------------- rendering */

struct trace_render {
	bool numeric; /* -n: addresses only */
	bool diff;    /* --diff: a line of changed fields per hop */
	struct rdns *rdns;
};

/* "traceroute to HOST (ADDR), 30 hops max, 60 byte packets" */
int trace_print_header(FILE *f, const struct trace_plan *p, size_t len);
/* One hop line as traceroute prints it (plus the --diff line). */
int trace_print_hop(FILE *f, const struct trace_render *o,
		    const struct trace_result *r, int ttl);
/* The mtr --report table over every round. */
int trace_print_report(FILE *f, const struct trace_render *o,
		       const struct trace_result *r);
/* The whole result as one JSON document. */
int trace_print_json(FILE *f, const struct trace_render *o,
		     const struct trace_result *r);

#endif
