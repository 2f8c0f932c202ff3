/*
 * trace - the route discovery engine (see trace.h).
 */
#include "trace.h"

#include <errno.h>
#include <fcntl.h>
#include <netinet/icmp6.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

#define TRACE_NS 1000000000LL
/* Never give up on a probe sooner than this, whatever the rtts say:
 * scheduling on a busy host can hold a reply that long. */
#define TRACE_WAIT_FLOOR_NS (10 * 1000000LL)
/* A probe lost to a rate limit is resent after 250 ms, then 500 ms and
 * 1 s: Linux refills a host's ICMP budget one message per icmp_ratelimit
 * (1 s by default) after a burst of 6, so the third resend comes more
 * than a second after any earlier answer and finds a token. */
#define TRACE_BACKOFF_NS (250 * 1000000LL)
/* How often to look again for a name the next hop line waits for. */
#define TRACE_NAME_POLL_NS (2 * 1000000LL)

enum trace_slot_state {
	TRACE_SLOT_FREE = 0,
	TRACE_SLOT_OUT,	 /* sent, waiting for an answer */
	TRACE_SLOT_WAIT, /* lost to a rate limit, resend at resend_ns */
	/* A silent hop's probe past the overdue rule's margin: awaited
	 * until its give-up time, but off the -N budget. */
	TRACE_SLOT_OVERDUE,
	/* A silent hop's probe taken for a "*": its reply still counts if
	 * it comes before the hop line is printed (or the round ends). */
	TRACE_SLOT_LATE,
};

struct trace_slot {
	enum trace_slot_state state;
	int ttl, q, tries;
	uint16_t serial;
	int64_t tx_mono_ns, tx_real_ns, resend_ns;
	struct probe *probe; /* in the table while OUT */
	struct trace_quote sent;
};

static void trace_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void trace_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int trace_family(const struct trace_plan *p)
{
	return sock_family(&p->dst);
}

static uint16_t trace_default_port(enum trace_method m)
{
	return m == TRACE_TCP ? 80 : m == TRACE_UDP ? 33434 : 0;
}

/* ------------------------------------------------------------ sockets */

static int trace_bind_dev(int fd, const char *iface)
{
	if (!iface)
		return 0;
	return setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, iface,
			  (socklen_t)strlen(iface) + 1);
}

/* The source the kernel would use towards dst: connect a UDP socket. */
static int trace_pick_source(const struct trace_plan *p, struct sock_addr *src,
			     char *err, size_t errlen)
{
	struct sock_addr d = p->dst;
	int fd = socket(trace_family(p), SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0) {
		trace_errf(err, errlen, "cannot open socket: %s",
			   strerror(errno));
		return -1;
	}
	sock_set_port(&d, 33434);
	if (trace_bind_dev(fd, p->iface) < 0) {
		trace_errf(err, errlen, "cannot use interface '%s': %s",
			   p->iface, strerror(errno));
		close(fd);
		return -1;
	}
	if (p->src.len &&
	    bind(fd, (const struct sockaddr *)&p->src.ss, p->src.len) < 0) {
		trace_errf(err, errlen, "cannot use source address: %s",
			   strerror(errno));
		close(fd);
		return -1;
	}
	if (connect(fd, (const struct sockaddr *)&d.ss, d.len) < 0) {
		trace_errf(err, errlen, "no route to destination: %s",
			   strerror(errno));
		close(fd);
		return -1;
	}
	src->len = sizeof(src->ss);
	if (getsockname(fd, (struct sockaddr *)&src->ss, &src->len) < 0) {
		trace_errf(err, errlen, "getsockname: %s", strerror(errno));
		close(fd);
		return -1;
	}
	close(fd);
	sock_set_port(src, 0);
	return 0;
}

static int trace_raw(int family, int proto, char *err, size_t errlen)
{
	int fd = socket(family, SOCK_RAW | SOCK_CLOEXEC | SOCK_NONBLOCK, proto);

	if (fd < 0)
		trace_errf(err, errlen,
			   errno == EPERM || errno == EACCES
				   ? "raw sockets need root or CAP_NET_RAW "
				     "(setcap cap_net_raw+ep): %s"
				   : "cannot open raw socket: %s",
			   strerror(errno));
	return fd;
}

/* IPv6 raw sockets see every ICMPv6 message: keep the errors we match
 * and the echo replies, and nothing at all on the send socket. */
static int trace_icmp6_filter(int fd, bool none)
{
	struct icmp6_filter f;

	if (none) {
		ICMP6_FILTER_SETBLOCKALL(&f);
	} else {
		ICMP6_FILTER_SETBLOCKALL(&f);
		ICMP6_FILTER_SETPASS(ICMP6_DST_UNREACH, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PACKET_TOO_BIG, &f);
		ICMP6_FILTER_SETPASS(ICMP6_TIME_EXCEEDED, &f);
		ICMP6_FILTER_SETPASS(ICMP6_PARAM_PROB, &f);
		ICMP6_FILTER_SETPASS(ICMP6_ECHO_REPLY, &f);
	}
	return setsockopt(fd, IPPROTO_ICMPV6, ICMP6_FILTER, &f, sizeof(f));
}

static int trace_l4_proto(enum trace_method m, int family)
{
	if (m == TRACE_TCP)
		return IPPROTO_TCP;
	if (m == TRACE_UDP)
		return IPPROTO_UDP;
	return family == AF_INET6 ? IPPROTO_ICMPV6 : IPPROTO_ICMP;
}

static int trace_open_v4(struct trace_run *t, char *err, size_t errlen)
{
	t->send_fd = trace_raw(AF_INET, IPPROTO_RAW, err, errlen);
	if (t->send_fd < 0)
		return -1;
	t->icmp_fd = trace_raw(AF_INET, IPPROTO_ICMP, err, errlen);
	if (t->icmp_fd < 0)
		return -1;
	if (t->plan.method == TRACE_TCP) {
		t->tcp_fd = trace_raw(AF_INET, IPPROTO_TCP, err, errlen);
		if (t->tcp_fd < 0)
			return -1;
	}
	return 0;
}

static int trace_open_v6(struct trace_run *t, char *err, size_t errlen)
{
	int proto = trace_l4_proto(t->plan.method, AF_INET6);

	t->send_fd = trace_raw(AF_INET6, proto, err, errlen);
	if (t->send_fd < 0)
		return -1;
	if (proto == IPPROTO_ICMPV6 && trace_icmp6_filter(t->send_fd, true))
		goto fail;
	t->icmp_fd = trace_raw(AF_INET6, IPPROTO_ICMPV6, err, errlen);
	if (t->icmp_fd < 0)
		return -1;
	if (trace_icmp6_filter(t->icmp_fd, false) < 0)
		goto fail;
	/* SYN-ACK and RST come to the TCP raw socket we send on. */
	if (proto == IPPROTO_TCP)
		t->tcp_fd = t->send_fd;
	/* The source must be fixed: we computed the checksums with it. */
	if (bind(t->send_fd, (const struct sockaddr *)&t->plan.src.ss,
		 t->plan.src.len) < 0)
		goto fail;
	return 0;
fail:
	trace_errf(err, errlen, "cannot set up IPv6 raw socket: %s",
		   strerror(errno));
	return -1;
}

int trace_open(struct trace_run *t, const struct trace_plan *plan, char *err,
	       size_t errlen)
{
	int rc;

	memset(t, 0, sizeof(*t));
	t->send_fd = t->icmp_fd = t->tcp_fd = -1;
	t->loop.epfd = t->loop.sigfd = -1;
	t->plan = *plan;
	if (!t->plan.port)
		t->plan.port = trace_default_port(plan->method);
	if (trace_pick_source(&t->plan, &t->plan.src, err, errlen) < 0)
		return -1;
	rc = trace_family(plan) == AF_INET6 ? trace_open_v6(t, err, errlen)
					    : trace_open_v4(t, err, errlen);
	if (rc < 0)
		return -1;
	if (trace_bind_dev(t->send_fd, plan->iface) < 0) {
		trace_errf(err, errlen, "cannot use interface '%s': %s",
			   plan->iface, strerror(errno));
		return -1;
	}
	if (sock_enable_rx_info(t->icmp_fd, trace_family(plan)) < 0 ||
	    (t->tcp_fd >= 0 &&
	     sock_enable_rx_info(t->tcp_fd, trace_family(plan)) < 0)) {
		trace_errf(err, errlen, "cannot enable timestamps: %s",
			   strerror(errno));
		return -1;
	}
	return 0;
}

void trace_close(struct trace_run *t)
{
	if (t->tcp_fd >= 0 && t->tcp_fd != t->send_fd)
		close(t->tcp_fd);
	if (t->icmp_fd >= 0)
		close(t->icmp_fd);
	if (t->send_fd >= 0)
		close(t->send_fd);
	t->send_fd = t->icmp_fd = t->tcp_fd = -1;
}

void trace_result_free(struct trace_result *res)
{
	free(res->hops);
	res->hops = NULL;
}

/* ------------------------------------------------------------ probes */

static size_t trace_header_len(const struct trace_run *t)
{
	size_t ip = trace_family(&t->plan) == AF_INET6 ? 40 : 20;

	/* SYN with the MSS option: 20 + 4 bytes. */
	return ip + (t->plan.method == TRACE_TCP ? 24 : 8);
}

/* Payload bytes of a UDP/ICMP probe: what is left of packet_len. */
static size_t trace_payload_len(const struct trace_run *t)
{
	size_t hdr = trace_header_len(t);
	size_t want = t->plan.packet_len;

	if (t->plan.method == TRACE_TCP)
		return 0;
	if (!want)
		want = trace_family(&t->plan) == AF_INET6 ? 80 : 60;
	if (want > TRACE_PACKET_LEN_MAX)
		want = TRACE_PACKET_LEN_MAX;
	/* Two bytes at least: Paris steering writes the checksum there. */
	return want > hdr + 2 ? want - hdr : 2;
}

size_t trace_packet_len(const struct trace_run *t)
{
	return trace_header_len(t) + trace_payload_len(t);
}

/* The probe number within a round (the classic port offset). */
static int trace_index(const struct trace_run *t, int ttl, int q)
{
	return (ttl - 1) * t->plan.queries + q;
}

static void trace_fields(const struct trace_run *t, const struct trace_slot *s,
			 struct pkt_probe *p)
{
	const struct trace_result *r = t->res;
	int idx = trace_index(t, s->ttl, s->q);

	memset(p, 0, sizeof(*p));
	p->src = r->local;
	p->dst = r->remote;
	p->ttl = (uint8_t)s->ttl;
	p->tos = t->plan.tos;
	p->ip_id = s->serial;
	p->payload = t->payload;
	p->payload_len = trace_payload_len(t);
	switch (t->plan.method) {
	case TRACE_ICMP:
		p->proto = PKT_PROBE_ICMP;
		p->icmp_id = t->icmp_id;
		p->icmp_seq = s->serial;
		/* Paris: the same checksum for every probe, so a balancer
		 * hashing the ICMP header keeps them on one path. */
		p->force_csum = !t->plan.vary_flow;
		p->csum = 0x5a5a;
		break;
	case TRACE_UDP:
		p->proto = PKT_PROBE_UDP;
		p->sport = t->sport;
		p->dport = t->plan.port;
		if (t->plan.vary_flow) {
			p->dport = (uint16_t)(t->plan.port + idx);
		} else if (trace_family(&t->plan) == AF_INET6) {
			/* No IP id in v6: the checksum tells probes apart
			 * (never 0, which means "none"). */
			p->force_csum = true;
			p->csum = s->serial;
		}
		break;
	case TRACE_TCP:
		p->proto = PKT_PROBE_TCP;
		p->sport = t->plan.vary_flow ? (uint16_t)(t->sport + idx)
					     : t->sport;
		p->dport = t->plan.port;
		p->tcp_seq = t->tcp_seq_base + s->serial;
		p->tcp_flags = PKT_TCP_SYN;
		p->tcp_win = 5840;
		p->tcp_mss = 1460;
		break;
	}
}

static uint16_t trace_next_serial(struct trace_run *t)
{
	/* 0 is skipped: a zero UDP checksum means "no checksum". */
	if (++t->serial == 0)
		t->serial = 1;
	return t->serial;
}

static void trace_key(const struct pkt_probe *pp, const uint8_t *pkt,
		      size_t len, struct probe_fields *f)
{
	struct pkt_parsed parsed;

	memset(f, 0, sizeof(*f));
	f->proto = pp->proto;
	f->dst = pp->dst;
	f->icmp_id = pp->icmp_id;
	f->icmp_seq = pp->icmp_seq;
	f->sport = pp->sport;
	f->dport = pp->dport;
	f->tcp_seq = pp->tcp_seq;
	f->ip_id = pp->ip_id;
	/* The checksum the builder computed is the one on the wire. */
	if (pkt_parse(pkt, len, &parsed) == 0 && parsed.outer.l4 == PKT_L4_UDP)
		f->udp_csum = parsed.outer.udp.checksum;
}

/* Sends buf (a whole datagram) the way the family needs. */
static ssize_t trace_sendto(struct trace_run *t, const uint8_t *buf, size_t len,
			    int ttl)
{
	struct sock_addr d = t->plan.dst;
	char control[CMSG_SPACE(sizeof(int)) * 2];
	struct iovec iov;
	struct msghdr msg;
	struct cmsghdr *c;
	int v;

	sock_set_port(&d, 0);
	if (trace_family(&t->plan) == AF_INET)
		return sendto(t->send_fd, buf, len, 0,
			      (const struct sockaddr *)&d.ss, d.len);
	/* v6 raw sockets take the upper layer; hop limit and traffic class
	 * go per packet. The builder wrote a plain 40-byte header. */
	iov.iov_base = (void *)(buf + 40);
	iov.iov_len = len - 40;
	memset(&msg, 0, sizeof(msg));
	memset(control, 0, sizeof(control));
	msg.msg_name = &d.ss;
	msg.msg_namelen = d.len;
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = control;
	msg.msg_controllen = sizeof(control);
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_HOPLIMIT;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	v = ttl;
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	c = CMSG_NXTHDR(&msg, c);
	c->cmsg_level = IPPROTO_IPV6;
	c->cmsg_type = IPV6_TCLASS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	v = t->plan.tos;
	memcpy(CMSG_DATA(c), &v, sizeof(v));
	return sendmsg(t->send_fd, &msg, 0);
}

static void trace_fill_quote(const struct pkt_layer *l, struct trace_quote *q);

void trace_sockaddr(const struct pkt_addr *a, struct sock_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (a->family == AF_INET6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&out->ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, a->a, 16);
		out->len = sizeof(*s6);
	} else if (a->family == AF_INET) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&out->ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, a->a, 4);
		out->len = sizeof(*s4);
	}
}

/* Builds and sends the probe of slot s; -1 on a fatal error. */
static int trace_send(struct trace_run *t, struct trace_slot *s)
{
	struct pkt_probe pp;
	struct probe pr;
	uint8_t buf[TRACE_PACKET_LEN_MAX];
	int len;
	ssize_t n;

	s->serial = trace_next_serial(t);
	trace_fields(t, s, &pp);
	len = pkt_build_probe(&pp, buf, sizeof(buf), NULL);
	if (len < 0) {
		t->err = EINVAL;
		return -1;
	}
	memset(&pr, 0, sizeof(pr));
	trace_key(&pp, buf, (size_t)len, &pr.f);
	pr.ttl = (uint8_t)s->ttl;
	pr.seq = s->serial;
	pr.user = s;
	{
		struct pkt_parsed parsed;

		memset(&s->sent, 0, sizeof(s->sent));
		if (pkt_parse(buf, (size_t)len, &parsed) == 0)
			trace_fill_quote(&parsed.outer, &s->sent);
	}
	if (!t->res->sent.valid) {
		t->res->sent = s->sent;
		t->res->probe_len = (size_t)len;
	}
	s->tx_mono_ns = loop_now_ns();
	s->tx_real_ns = sock_realtime_ns();
	pr.tx_mono_ns = s->tx_mono_ns;
	pr.tx_real_ns = s->tx_real_ns;
	s->probe = probe_add(&t->table, &pr);
	if (!s->probe) {
		t->err = errno;
		return -1;
	}
	s->state = TRACE_SLOT_OUT;
	s->tries++;
	if (s->tries == 1)
		stats_sent(&t->res->hops[s->ttl].st, s->tx_mono_ns,
			   (uint64_t)len);
	n = trace_sendto(t, buf, (size_t)len, s->ttl);
	/* A full queue loses this probe like the network would. */
	if (n < 0 && errno != ENOBUFS && errno != EAGAIN) {
		t->err = errno;
		return -1;
	}
	return 0;
}

/* ------------------------------------------------------------ results */

static void trace_fill_quote(const struct pkt_layer *l, struct trace_quote *q)
{
	memset(q, 0, sizeof(*q));
	q->valid = true;
	q->l4_full = !l->l4_partial;
	q->tos = l->ip.tos;
	q->ttl = l->ip.ttl;
	q->ip_id = l->ip.id;
	q->ip_len = l->ip.total_len;
	q->df = l->ip.df;
	q->flow_label = l->ip.flow_label;
	q->src = l->ip.src;
	q->dst = l->ip.dst;
	q->l4 = l->l4;
	switch (l->l4) {
	case PKT_L4_UDP:
		q->sport = l->udp.sport;
		q->dport = l->udp.dport;
		q->udp_len = l->udp.len;
		q->udp_csum = l->udp.checksum;
		q->l4_full = true; /* all of UDP is in the first 8 bytes */
		break;
	case PKT_L4_TCP:
		q->sport = l->tcp.sport;
		q->dport = l->tcp.dport;
		q->tcp_seq = l->tcp.seq;
		q->tcp_win = l->tcp.win;
		q->tcp_csum = l->tcp.checksum;
		q->tcp_flags = l->tcp.flags;
		q->has_mss = l->tcp.has_mss;
		q->mss = l->tcp.mss;
		if (l->tcp.opts && l->tcp.opt_len <= TRACE_TCP_OPTS_MAX) {
			q->tcp_opt_len = (uint8_t)l->tcp.opt_len;
			memcpy(q->tcp_opts, l->tcp.opts, l->tcp.opt_len);
		}
		break;
	case PKT_L4_ICMP:
		q->icmp_csum = l->icmp.checksum;
		q->icmp_seq = l->icmp.seq;
		q->l4_full = true;
		break;
	default:
		break;
	}
}

static bool trace_is_final_kind(enum probe_reply k)
{
	return k != PROBE_REPLY_TTL_EXCEEDED && k != PROBE_REPLY_NONE;
}

static bool trace_reaches_dst(enum probe_reply k)
{
	return k == PROBE_REPLY_ECHO || k == PROBE_REPLY_TCP_SYNACK ||
	       k == PROBE_REPLY_TCP_RST || k == PROBE_REPLY_PORT_UNREACH;
}

static void trace_free_slot(struct trace_run *t, struct trace_slot *s)
{
	if (s->state == TRACE_SLOT_OUT || s->state == TRACE_SLOT_WAIT)
		t->inflight--;
	else if (s->state == TRACE_SLOT_OVERDUE)
		t->overdue--;
	if (s->probe)
		probe_remove(&t->table, s->probe);
	s->probe = NULL;
	s->state = TRACE_SLOT_FREE;
	s->tries = 0;
}

/* The given-up probes of hop ttl (all hops: -1) stop being matched. */
static void trace_drop_late(struct trace_run *t, int ttl)
{
	int i;

	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].state == TRACE_SLOT_LATE &&
		    (ttl < 0 || t->slots[i].ttl == ttl))
			trace_free_slot(t, &t->slots[i]);
}

/* The destination (or a final error) answered at ttl: nothing beyond it
 * is part of the path, so its probes stop and its hops are cleared. */
static void trace_set_limit(struct trace_run *t, int ttl)
{
	int i;

	if (ttl >= t->limit_ttl)
		return;
	t->limit_ttl = ttl;
	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].state != TRACE_SLOT_FREE &&
		    t->slots[i].ttl > ttl)
			trace_free_slot(t, &t->slots[i]);
}

static int64_t trace_hop_rtt(const struct trace_run *t, int ttl);

/* The hop count a reply's TTL implies: senders start at 64, 128 or 255
 * (a few at 32), so the distance is that minus what is left, plus one. */
static int trace_distance(int reply_ttl)
{
	static const int initial[] = {32, 64, 128, 255};
	size_t i;

	if (reply_ttl <= 0)
		return 0;
	for (i = 0; i < sizeof(initial) / sizeof(initial[0]); i++)
		if (reply_ttl <= initial[i])
			return initial[i] - reply_ttl + 1;
	return 0;
}

/*
 * The destination answered at ttl d, but its reply's TTL says it is only
 * e hops away: the silent hops e..d-1 are likely the destination itself
 * whose ICMP rate limit ate the replies (they all reached it). Probe them
 * again, with the rate-limit backoff, unless a router answered among
 * them (then the return path is just longer) or they were printed.
 */
static void trace_guess_dest(struct trace_run *t, int d, int reply_ttl)
{
	int e = trace_distance(reply_ttl), h;

	/* No retries (report mode): what was lost is the measurement. */
	if (t->plan.retries == 0 || e < t->plan.first_ttl || e >= d ||
	    e >= t->dest_guess || e < t->reported)
		return;
	for (h = e; h < d; h++)
		if (trace_hop_rtt(t, h) > 0 || t->issued[h] < t->plan.queries)
			return;
	/* Only hop e asks again: every probe beyond it reaches the same
	 * host and would spend the same scarce budget. */
	t->dest_guess = e;
	if (t->done[e] < t->plan.queries)
		return; /* still out: its timeout will retry it */
	trace_drop_late(t, e);
	memset(t->res->hops[e].probes, 0, sizeof(t->res->hops[e].probes));
	t->done[e] = 0;
	t->issued[e] = 0;
	if (e < t->next_ttl)
		t->next_ttl = e;
}

static void trace_record(struct trace_run *t, struct trace_slot *s,
			 const struct probe_match *m,
			 const struct pkt_parsed *p, const struct sock_rx *rx,
			 int64_t now)
{
	struct trace_hop *h = &t->res->hops[s->ttl];
	struct trace_reply *rp = &h->probes[s->q];
	/* A late reply replaces its "*", which was counted done. */
	bool late = s->state == TRACE_SLOT_LATE;
	size_t i;

	memset(rp, 0, sizeof(*rp));
	rp->kind = m->kind;
	rp->from = m->from;
	rp->rtt_ns = sock_rtt_ns(s->tx_real_ns, s->tx_mono_ns, rx, now);
	rp->icmp_type = m->icmp_type;
	rp->icmp_code = m->icmp_code;
	rp->quoted_ttl = m->quoted_ttl;
	rp->reply_ttl = rx->ttl;
	rp->tries = s->tries;
	rp->mtu = p->outer.l4 == PKT_L4_ICMP ? p->outer.icmp.mtu : 0;
	if (p->outer.l4 == PKT_L4_ICMP && p->outer.icmp.ext.present) {
		for (i = 0; i < p->outer.icmp.ext.n_mpls && i < TRACE_MPLS_MAX;
		     i++)
			rp->mpls[i] = p->outer.icmp.ext.mpls[i];
		rp->n_mpls = i;
	}
	if (p->has_inner)
		trace_fill_quote(&p->inner, &rp->quote);
	rp->sent = s->sent;
	h->last = *rp;
	h->answered = true;
	stats_reply(&h->st, now, rp->rtt_ns, t->res->probe_len, STATS_SEQ_NONE);
	if (t->plan.rdns) {
		struct sock_addr sa;

		trace_sockaddr(&m->from, &sa);
		rdns_submit(t->plan.rdns, &sa, now);
	}
	trace_pace_reply(&t->pace, h);
	if (!late)
		t->done[s->ttl]++;
	if (trace_is_final_kind(m->kind)) {
		t->pace.final = true;
		if (trace_reaches_dst(m->kind) &&
		    pkt_addr_eq(&m->from, &t->res->remote)) {
			t->res->reached = true;
			trace_guess_dest(t, s->ttl, rx->ttl);
		}
		trace_set_limit(t, s->ttl);
	}
	trace_free_slot(t, s);
}

/* ------------------------------------------------------------ receiving */

/* A bare TCP segment from a v6 raw socket, with the IPv6 header the
 * kernel took off put back, so pkt_parse and probe_match see it whole. */
static int trace_wrap_v6(const struct trace_run *t, const uint8_t *seg,
			 size_t len, const struct pkt_addr *from, int ttl,
			 uint8_t *out, size_t cap)
{
	struct pkt_layer l;

	memset(&l, 0, sizeof(l));
	l.ip.version = 6;
	l.ip.src = *from;
	l.ip.dst = t->res->local;
	l.ip.ttl = ttl > 0 ? (uint8_t)ttl : 64;
	l.ip.proto = IPPROTO_TCP;
	l.l4 = PKT_L4_OTHER;
	return pkt_build(&l, seg, len, out, cap, NULL);
}

/* wrap (cap bytes) holds the rebuilt v6 TCP packet: p points into it. */
static int trace_parse(const struct trace_run *t, int fd, const uint8_t *buf,
		       size_t len, const struct sock_rx *rx,
		       struct pkt_parsed *p, struct pkt_addr *from,
		       uint8_t *wrap, size_t cap)
{
	int n;

	if (trace_family(&t->plan) == AF_INET)
		return pkt_parse(buf, len, p);
	if (pkt_addr_from_sockaddr((const struct sockaddr *)&rx->from.ss,
				   from) < 0)
		return -1;
	if (fd == t->icmp_fd)
		return pkt_parse_icmp(buf, len, AF_INET6, from, &t->res->local,
				      p);
	n = trace_wrap_v6(t, buf, len, from, rx->ttl, wrap, cap);
	if (n < 0)
		return n;
	return pkt_parse(wrap, (size_t)n, p);
}

/* Reads one packet from fd and records what it answers; false when
 * there was nothing to read. */
static bool trace_rx_one(struct trace_run *t, int fd)
{
	uint8_t buf[4096], wrap[4096 + 64];
	struct sock_rx rx;
	struct pkt_parsed p;
	struct pkt_addr from;
	struct probe_match m;
	ssize_t n;
	int rc;

	n = sock_recv(fd, buf, sizeof(buf), MSG_DONTWAIT, &rx);
	if (n < 0)
		return false;
	rc = trace_parse(t, fd, buf, (size_t)n, &rx, &p, &from, wrap,
			 sizeof(wrap));
	if (rc < 0)
		return true;
	if (!probe_match(&t->table, &p,
			 trace_family(&t->plan) == AF_INET6 ? &from : NULL, &m))
		return true;
	trace_record(t, m.probe->user, &m, &p, &rx, loop_now_ns());
	return true;
}

static void trace_drain(struct trace_run *t)
{
	int i;

	for (i = 0; i < 256 && trace_rx_one(t, t->icmp_fd); i++)
		;
	if (t->tcp_fd >= 0)
		for (i = 0; i < 256 && trace_rx_one(t, t->tcp_fd); i++)
			;
}

/* ------------------------------------------------------------ overdue rule */

void trace_pace_reply(struct trace_pace *p, const struct trace_hop *h)
{
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	int q;

	for (q = 0; q < h->nprobes && q < TRACE_QUERIES_MAX; q++) {
		if (h->probes[q].kind == PROBE_REPLY_NONE)
			continue;
		if (h->probes[q].rtt_ns < lo)
			lo = h->probes[q].rtt_ns;
		if (h->probes[q].rtt_ns > hi)
			hi = h->probes[q].rtt_ns;
	}
	if (lo > hi)
		return;
	if (hi > p->rtt_max_ns)
		p->rtt_max_ns = hi;
	if (hi - lo > p->spread_ns)
		p->spread_ns = hi - lo;
	if (h->ttl > p->answered_ttl)
		p->answered_ttl = h->ttl;
}

int64_t trace_pace_margin_ns(const struct trace_pace *p)
{
	return 2 * p->spread_ns > TRACE_OVERDUE_MARGIN_NS
		       ? 2 * p->spread_ns
		       : TRACE_OVERDUE_MARGIN_NS;
}

int64_t trace_overdue_at(const struct trace_pace *p, int ttl, int64_t tx_ns)
{
	if (p->answered_ttl <= ttl)
		return INT64_MAX;
	return tx_ns + p->rtt_max_ns + trace_pace_margin_ns(p);
}

int64_t trace_give_up_at(const struct trace_pace *p, int ttl, bool silent,
			 int64_t tx_ns, int64_t cap_ns)
{
	int64_t at;

	if (!silent || !p->final)
		return cap_ns;
	at = trace_overdue_at(p, ttl, tx_ns);
	return at < cap_ns ? at : cap_ns;
}

/* ------------------------------------------------------------ scheduling */

/* The largest rtt answered at hop ttl in this round, or 0. */
static int64_t trace_hop_rtt(const struct trace_run *t, int ttl)
{
	const struct trace_hop *h = &t->res->hops[ttl];
	int64_t best = 0;
	int q;

	for (q = 0; q < h->nprobes; q++)
		if (h->probes[q].kind != PROBE_REPLY_NONE &&
		    h->probes[q].rtt_ns > best)
			best = h->probes[q].rtt_ns;
	return best;
}

/*
 * How long to wait for a probe at ttl (traceroute's -w MAX,HERE,NEAR):
 * HERE times the rtt of a reply from the same hop, else NEAR times the
 * rtt of the nearest later hop that answered, else MAX.
 */
/* This round's rtt at ttl, else the largest of earlier rounds. */
static int64_t trace_hop_rtt_any(const struct trace_run *t, int ttl)
{
	int64_t r = trace_hop_rtt(t, ttl);

	if (!r && t->res->hops[ttl].st.rtt_n)
		r = t->res->hops[ttl].st.rtt_max_ns;
	return r;
}

static int64_t trace_wait_ns(const struct trace_run *t, int ttl)
{
	int64_t w = (int64_t)(t->plan.wait_max * TRACE_NS);
	int64_t here = trace_hop_rtt_any(t, ttl), near = 0;
	int i;

	if (here > 0 && t->plan.wait_here > 0) {
		if ((int64_t)(here * t->plan.wait_here) < w)
			w = (int64_t)(here * t->plan.wait_here);
	} else if (t->plan.wait_near > 0) {
		for (i = ttl + 1; i <= t->limit_ttl && !near; i++)
			near = trace_hop_rtt_any(t, i);
		if (near > 0 && (int64_t)(near * t->plan.wait_near) < w)
			w = (int64_t)(near * t->plan.wait_near);
	}
	return w < TRACE_WAIT_FLOOR_NS ? TRACE_WAIT_FLOOR_NS : w;
}

/* A hop that has not answered in any round. */
static bool trace_silent(const struct trace_run *t, int ttl)
{
	return !t->res->hops[ttl].answered;
}

/* A probe's wait is over: resend it when its hop answered other probes
 * (the router is there, a rate limit ate this reply), else it is a "*",
 * which for a silent hop still takes a late reply. */
static void trace_timeout(struct trace_run *t, struct trace_slot *s,
			  int64_t now)
{
	struct trace_reply *rp = &t->res->hops[s->ttl].probes[s->q];

	if (s->state == TRACE_SLOT_OVERDUE) {
		/* back on the budget until it is settled below */
		t->overdue--;
		t->inflight++;
		s->state = TRACE_SLOT_OUT;
	}
	if (s->tries <= t->plan.retries &&
	    (trace_hop_rtt(t, s->ttl) > 0 || s->ttl == t->dest_guess)) {
		probe_remove(&t->table, s->probe);
		s->probe = NULL;
		s->state = TRACE_SLOT_WAIT;
		s->resend_ns = now + (TRACE_BACKOFF_NS << (s->tries - 1));
		return;
	}
	memset(rp, 0, sizeof(*rp));
	rp->kind = PROBE_REPLY_NONE;
	rp->reply_ttl = -1;
	rp->tries = s->tries;
	t->done[s->ttl]++;
	if (trace_silent(t, s->ttl)) {
		t->inflight--;
		s->state = TRACE_SLOT_LATE;
		return;
	}
	trace_free_slot(t, s);
}

/* When the probe of slot s is given up: its -w wait, or sooner by the
 * overdue rule (see trace.h). */
static int64_t trace_give_up(const struct trace_run *t,
			     const struct trace_slot *s)
{
	return trace_give_up_at(&t->pace, s->ttl, trace_silent(t, s->ttl),
				s->tx_mono_ns,
				s->tx_mono_ns + trace_wait_ns(t, s->ttl));
}

/* When the probe of slot s stops holding one of the -N slots. */
static int64_t trace_release_at(const struct trace_run *t,
				const struct trace_slot *s)
{
	if (!trace_silent(t, s->ttl))
		return INT64_MAX;
	return trace_overdue_at(&t->pace, s->ttl, s->tx_mono_ns);
}

/* Settles what is due by now: timeouts, overdue probes, resends; -1 on a
 * fatal error. */
static int trace_expire(struct trace_run *t, int64_t now)
{
	struct trace_slot *s;
	int i;

	for (i = 0; i < t->nslots; i++) {
		s = &t->slots[i];
		if ((s->state == TRACE_SLOT_OUT ||
		     s->state == TRACE_SLOT_OVERDUE) &&
		    trace_give_up(t, s) <= now) {
			trace_timeout(t, s, now);
		} else if (s->state == TRACE_SLOT_OUT &&
			   trace_release_at(t, s) <= now) {
			s->state = TRACE_SLOT_OVERDUE;
			t->inflight--;
			t->overdue++;
		} else if (s->state == TRACE_SLOT_WAIT && s->resend_ns <= now) {
			if (trace_send(t, s) < 0)
				return -1;
		}
	}
	return 0;
}

static struct trace_slot *trace_free_slot_find(struct trace_run *t)
{
	int i;

	for (i = 0; i < t->nslots; i++)
		if (t->slots[i].state == TRACE_SLOT_FREE)
			return &t->slots[i];
	return NULL;
}

/* Sends the next probes in (ttl, query) order while there is room:
 * a hop's probes leave together, so a destination's rate limit spends
 * its burst on the destination's own hop first. */
static int trace_fill(struct trace_run *t)
{
	struct trace_slot *s;

	while (t->inflight < t->plan.inflight) {
		while (t->next_ttl <= t->limit_ttl &&
		       t->issued[t->next_ttl] >= t->plan.queries)
			t->next_ttl++;
		if (t->next_ttl > t->limit_ttl)
			break;
		s = trace_free_slot_find(t);
		if (!s)
			break;
		memset(s, 0, sizeof(*s));
		s->ttl = t->next_ttl;
		s->q = t->issued[t->next_ttl]++;
		t->inflight++;
		if (trace_send(t, s) < 0)
			return -1;
	}
	return 0;
}

static bool trace_names_ready(const struct trace_run *t, int ttl, int64_t now)
{
	const struct trace_hop *h = &t->res->hops[ttl];
	struct sock_addr sa;
	int q;

	if (!t->plan.rdns)
		return true;
	for (q = 0; q < h->nprobes; q++) {
		if (h->probes[q].kind == PROBE_REPLY_NONE)
			continue;
		trace_sockaddr(&h->probes[q].from, &sa);
		if (rdns_get(t->plan.rdns, &sa, now, NULL, 0) == RDNS_PENDING)
			return false;
	}
	return true;
}

/* A router answered beyond ttl: a silent ttl is a silent router then,
 * not the destination hiding behind its rate limit. */
static bool trace_router_beyond(const struct trace_run *t, int ttl)
{
	int i, q;

	for (i = ttl + 1; i <= t->limit_ttl; i++)
		for (q = 0; q < t->res->hops[i].nprobes; q++)
			if (t->res->hops[i].probes[q].kind ==
			    PROBE_REPLY_TTL_EXCEEDED)
				return true;
	return false;
}

/* Hands complete hops to the callback in order; true when one waits for
 * a name. */
static bool trace_report(struct trace_run *t, int64_t now)
{
	bool sending_done;

	while (t->round == 0 && t->reported <= t->limit_ttl &&
	       t->done[t->reported] >= t->plan.queries) {
		sending_done = t->next_ttl > t->limit_ttl && t->inflight == 0 &&
			       t->overdue == 0;
		/* A silent hop waits until it is known not to be the
		 * destination (trace_guess_dest may probe it again). */
		if (!sending_done && trace_hop_rtt(t, t->reported) == 0 &&
		    !trace_router_beyond(t, t->reported))
			return false;
		if (!trace_names_ready(t, t->reported, now))
			return true;
		t->res->last_ttl = t->reported;
		if (t->hop_fn) {
			t->hop_fn(t->hop_arg, t->res, t->reported);
			/* printed: a late reply could not show any more
			 * (without hop_fn they count until the round ends) */
			trace_drop_late(t, t->reported);
		}
		t->reported++;
	}
	return false;
}

static void trace_start_round(struct trace_run *t)
{
	int ttl;

	for (ttl = t->plan.first_ttl; ttl <= t->plan.max_ttl; ttl++) {
		memset(t->res->hops[ttl].probes, 0,
		       sizeof(t->res->hops[ttl].probes));
		t->res->hops[ttl].nprobes = t->plan.queries;
		t->done[ttl] = 0;
	}
	memset(t->issued, 0, sizeof(t->issued));
	t->next_ttl = t->plan.first_ttl;
	t->round_start_ns = loop_now_ns();
}

static void trace_step(struct trace_run *t);

static void trace_on_round_timer(struct loop *l, void *arg)
{
	struct trace_run *t = arg;

	(void)l;
	t->round_timer = 0;
	t->round++;
	trace_start_round(t);
	trace_step(t);
}

static void trace_round_end(struct trace_run *t)
{
	int64_t at;

	trace_drop_late(t, -1);
	t->res->rounds++;
	if (t->res->rounds >= t->plan.cycles) {
		loop_stop(&t->loop, 0);
		return;
	}
	at = t->round_start_ns + (int64_t)(t->plan.interval * TRACE_NS);
	t->round_timer = loop_timer_at(&t->loop, at, trace_on_round_timer, t);
	if (!t->round_timer)
		loop_stop(&t->loop, 0);
}

static void trace_on_timer(struct loop *l, void *arg);

static void trace_arm(struct trace_run *t, bool name_wait, int64_t now)
{
	int64_t next = INT64_MAX, when;
	int i;

	for (i = 0; i < t->nslots; i++) {
		const struct trace_slot *s = &t->slots[i];

		if (s->state == TRACE_SLOT_OUT) {
			when = trace_give_up(t, s);
			if (trace_release_at(t, s) < when)
				when = trace_release_at(t, s);
		} else if (s->state == TRACE_SLOT_OVERDUE) {
			when = trace_give_up(t, s);
		} else if (s->state == TRACE_SLOT_WAIT) {
			when = s->resend_ns;
		} else {
			continue;
		}
		if (when < next)
			next = when;
	}
	if (name_wait && now + TRACE_NAME_POLL_NS < next)
		next = now + TRACE_NAME_POLL_NS;
	if (t->timer_id)
		loop_timer_cancel(&t->loop, t->timer_id);
	t->timer_id = 0;
	if (next != INT64_MAX)
		t->timer_id = loop_timer_at(&t->loop, next, trace_on_timer, t);
}

/* After every event: settle what is due, send what may go, report what
 * is done, end the round when nothing is left, and set the one timer. */
static void trace_step(struct trace_run *t)
{
	int64_t now;
	bool name_wait;

	if (t->stopped)
		return;
	/* A reply already queued must not be taken for a timeout. */
	trace_drain(t);
	if (trace_expire(t, loop_now_ns()) < 0 || trace_fill(t) < 0) {
		t->stopped = true;
		loop_stop(&t->loop, -1);
		return;
	}
	now = loop_now_ns();
	name_wait = trace_report(t, now);
	if (t->next_ttl > t->limit_ttl && t->inflight == 0 && t->overdue == 0 &&
	    !name_wait && !t->round_timer) {
		trace_round_end(t);
		if (t->stopped)
			return;
	}
	trace_arm(t, name_wait, now);
}

static void trace_on_timer(struct loop *l, void *arg)
{
	struct trace_run *t = arg;

	(void)l;
	t->timer_id = 0;
	trace_step(t);
}

static void trace_on_rx(struct loop *l, int fd, uint32_t events, void *arg)
{
	struct trace_run *t = arg;
	int i;

	(void)l;
	(void)events;
	for (i = 0; i < 256 && trace_rx_one(t, fd); i++)
		;
	trace_step(t);
}

static void trace_on_signal(struct loop *l, int signo, void *arg)
{
	struct trace_run *t = arg;

	(void)signo;
	t->stopped = true;
	loop_stop(l, 1);
}

/* ------------------------------------------------------------ running */

static uint32_t trace_random32(void)
{
	uint32_t v = 0;
	int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);

	if (fd >= 0) {
		if (read(fd, &v, sizeof(v)) != (ssize_t)sizeof(v))
			v = 0;
		close(fd);
	}
	if (!v)
		v = (uint32_t)loop_now_ns() ^ (uint32_t)getpid() << 16;
	return v;
}

static int trace_setup(struct trace_run *t, struct trace_result *res, char *err,
		       size_t errlen)
{
	struct probe_table_cfg cfg;
	uint32_t rnd = trace_random32();
	size_t i;
	int ttl;

	memset(res, 0, sizeof(*res));
	res->plan = t->plan;
	res->hops = calloc((size_t)t->plan.max_ttl + 1, sizeof(*res->hops));
	/* Overdue and given-up probes are a silent hop's, at most one slot
	 * per probe of a round beyond the -N that are out. */
	t->nslots = t->plan.inflight +
		    (t->plan.max_ttl - t->plan.first_ttl + 1) * t->plan.queries;
	t->slots = calloc((size_t)t->nslots, sizeof(*t->slots));
	if (!res->hops || !t->slots) {
		trace_errf(err, errlen, "out of memory");
		return -1;
	}
	for (ttl = 0; ttl <= t->plan.max_ttl; ttl++) {
		res->hops[ttl].ttl = ttl;
		stats_init(&res->hops[ttl].st);
	}
	pkt_addr_from_sockaddr((const struct sockaddr *)&t->plan.src.ss,
			       &res->local);
	pkt_addr_from_sockaddr((const struct sockaddr *)&t->plan.dst.ss,
			       &res->remote);
	memset(&cfg, 0, sizeof(cfg));
	cfg.capacity = (size_t)t->nslots;
	cfg.udp_key = t->plan.vary_flow			   ? PROBE_UDP_PORTS
		      : trace_family(&t->plan) == AF_INET6 ? PROBE_UDP_CSUM
							   : PROBE_UDP_IPID;
	if (probe_table_init(&t->table, &cfg) < 0 ||
	    loop_init(&t->loop, 16, 1024) < 0) {
		trace_errf(err, errlen, "cannot set up: %s", strerror(errno));
		return -1;
	}
	/* A random source port (high range) and ids per run, so two
	 * traces at once do not take each other's replies. */
	t->sport = (uint16_t)(0x8000 | (rnd & 0x7fff));
	t->icmp_id = (uint16_t)(rnd >> 16);
	t->serial = (uint16_t)(rnd >> 8);
	t->tcp_seq_base = trace_random32();
	for (i = 0; i < sizeof(t->payload); i++)
		t->payload[i] = (uint8_t)(0x40 + i % 32);
	t->limit_ttl = t->plan.max_ttl;
	t->dest_guess = TRACE_TTL_MAX + 1;
	t->reported = t->plan.first_ttl;
	res->last_ttl = t->plan.first_ttl - 1;
	return 0;
}

int trace_run(struct trace_run *t, struct trace_result *res, trace_hop_fn fn,
	      void *arg, char *err, size_t errlen)
{
	static const int sigs[] = {SIGINT, SIGTERM};
	int rc, ttl;

	t->res = res;
	t->hop_fn = fn;
	t->hop_arg = arg;
	if (trace_setup(t, res, err, errlen) < 0)
		goto out;
	if (loop_add_fd(&t->loop, t->icmp_fd, EPOLLIN, trace_on_rx, t) < 0 ||
	    (t->tcp_fd >= 0 &&
	     loop_add_fd(&t->loop, t->tcp_fd, EPOLLIN, trace_on_rx, t) < 0) ||
	    loop_signals(&t->loop, sigs, 2, trace_on_signal, t) < 0) {
		trace_errf(err, errlen, "cannot set up: %s", strerror(errno));
		goto out;
	}
	res->start_ns = loop_now_ns();
	trace_start_round(t);
	trace_step(t);
	rc = t->stopped ? (t->err ? -1 : 1) : loop_run(&t->loop);
	res->end_ns = loop_now_ns();
	for (ttl = 0; ttl <= t->plan.max_ttl; ttl++)
		stats_end(&res->hops[ttl].st, res->end_ns);
	/* A complete trace shows every hop up to the destination (or the
	 * last one asked); an interrupted one what was reported. */
	if (rc == 0)
		res->last_ttl = t->limit_ttl;
	/* Interrupted: hand over the complete hops held back for a name or
	 * for a later hop's answer. */
	while (rc == 1 && t->round == 0 && t->reported <= t->limit_ttl &&
	       t->done[t->reported] >= t->plan.queries) {
		res->last_ttl = t->reported;
		if (t->hop_fn)
			t->hop_fn(t->hop_arg, res, t->reported);
		t->reported++;
	}
	if (rc < 0 || t->err) {
		trace_errf(err, errlen, "cannot send probe: %s",
			   strerror(t->err ? t->err : errno));
		rc = -1;
	}
	loop_free(&t->loop);
	probe_table_free(&t->table);
	free(t->slots);
	t->slots = NULL;
	return rc < 0 ? -1 : rc;
out:
	loop_free(&t->loop);
	probe_table_free(&t->table);
	free(t->slots);
	t->slots = NULL;
	return -1;
}
