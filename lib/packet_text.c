/*
 * packet_text - Nping-style one-line summaries and the ICMP names nping
 * and iputils ping print (see packet.h).
 *
 * The formats were taken from what nping 0.7.93 prints at its default,
 * -v and -vv levels and from nping 7.99 echo-mode lines (vectors in the
 * NEP test data); tests compare with captured nping output.
 */
#include "packet.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <string.h>

/* snprintf into a line, remembering the length the whole line needs. */
struct line {
	char *buf;
	size_t cap;
	size_t len;
};

static void add(struct line *l, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void add(struct line *l, const char *fmt, ...)
{
	va_list ap;
	size_t room = l->len < l->cap ? l->cap - l->len : 0;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(room ? l->buf + l->len : NULL, room, fmt, ap);
	va_end(ap);
	if (n > 0)
		l->len += (size_t)n;
}

/* ------------------------------------------------------------ names */

static const char *unreach4(uint8_t code)
{
	static const char *const names[] = {
		"Network unreachable",
		"Host unreachable",
		"Protocol unreachable",
		"Port unreachable",
		"Fragmentation required",
		"Source route failed",
		"Destination network unknown",
		"Destination host unknown",
		"Source host isolated",
		"Destination network administratively prohibited",
		"Destination host administratively prohibited",
		"Network unreachable for TOS",
		"Host unreachable for TOS",
		"Communication administratively prohibited by filtering",
		"Host precedence violation",
		"Precedence cutoff in effect",
	};

	if (code < sizeof(names) / sizeof(names[0]))
		return names[code];
	return "Destination unreachable (unknown code)";
}

static const char *name4(uint8_t type, uint8_t code)
{
	switch (type) {
	case 0:
		return "Echo reply";
	case 3:
		return unreach4(code);
	case 4:
		return "Source quench";
	case 5:
		return code == 0   ? "Network redirect"
		       : code == 1 ? "Host redirect"
				   : "Redirect (unknown code)";
	case 8:
		return "Echo request";
	case 9:
		return code == 16 ? "Router advertisement (Mobile Agent Only)"
				  : "Router advertisement";
	case 10:
		return "Router solicitation";
	case 11:
		return code == 0   ? "TTL=0 during transit"
		       : code == 1 ? "TTL=0 during reassembly"
				   : "TTL exceeded (unknown code)";
	case 12:
		return code == 0 ? "Parameter problem (pointer indicates error)"
		       : code == 1 ? "Parameter problem (option missing)"
		       : code == 2 ? "Parameter problem (bad length)"
				   : "Parameter problem (unknown code)";
	case 13:
		return "Timestamp request";
	case 14:
		return "Timestamp reply";
	case 15:
		return "Information request";
	case 16:
		return "Information reply";
	case 17:
		return "Address mask request";
	case 18:
		return "Address mask reply";
	case 30:
		return "Traceroute";
	case 40:
		return "Security failures";
	}
	return "Unknown type";
}

static const char *name6(uint8_t type, uint8_t code)
{
	static const char *const unreach[] = {
		"No route to destination",
		"Communication administratively prohibited",
		"Beyond scope of source address",
		"Address unreachable",
		"Port unreachable",
		"Source address failed ingress/egress policy",
		"Reject route to destination",
	};

	switch (type) {
	case 1:
		return code < 7 ? unreach[code] : "Destination unreachable";
	case 2:
		return "Packet too big";
	case 3:
		return code == 0 ? "Hop limit exceeded in transit"
				 : "Fragment reassembly time exceeded";
	case 4:
		return "Parameter problem";
	case 128:
		return "Echo request";
	case 129:
		return "Echo reply";
	case 133:
		return "Router solicitation";
	case 134:
		return "Router advertisement";
	case 135:
		return "Neighbor solicitation";
	case 136:
		return "Neighbor advertisement";
	case 137:
		return "Redirect";
	}
	return "Unknown type";
}

const char *pkt_icmp_name(bool v6, uint8_t type, uint8_t code)
{
	return v6 ? name6(type, code) : name4(type, code);
}

/* ------------------------------------------------------------ iputils */

static const char *ping_unreach4(uint8_t code)
{
	static const char *const t[] = {
		"Destination Net Unreachable",
		"Destination Host Unreachable",
		"Destination Protocol Unreachable",
		"Destination Port Unreachable",
		"Frag needed and DF set",
		"Source Route Failed",
		"Destination Net Unknown",
		"Destination Host Unknown",
		"Source Host Isolated",
		"Destination Net Prohibited",
		"Destination Host Prohibited",
		"Destination Net Unreachable for Type of Service",
		"Destination Host Unreachable for Type of Service",
		"Packet filtered",
		"Precedence Violation",
		"Precedence Cutoff",
	};

	return code < sizeof(t) / sizeof(t[0]) ? t[code]
					       : "Dest Unreachable, Bad Code";
}

static const char *ping_text4(uint8_t type, uint8_t code)
{
	static const char *const redir[] = {
		"Redirect Network",
		"Redirect Host",
		"Redirect Type of Service and Network",
		"Redirect Type of Service and Host",
	};

	switch (type) {
	case 0:
		return "Echo Reply";
	case 3:
		return ping_unreach4(code);
	case 4:
		return "Source Quench";
	case 5:
		return code < 4 ? redir[code] : "Redirect, Bad Code";
	case 8:
		return "Echo Request";
	case 11:
		return code == 0   ? "Time to live exceeded"
		       : code == 1 ? "Frag reassembly time exceeded"
				   : "Time exceeded, Bad Code";
	case 12:
		return "Parameter problem";
	}
	return "Bad ICMP type";
}

static const char *ping_text6(uint8_t type, uint8_t code)
{
	static const char *const unreach[] = {
		"Destination unreachable: No route",
		"Destination unreachable: Administratively prohibited",
		"Destination unreachable: Unknown code",
		"Destination unreachable: Address unreachable",
		"Destination unreachable: Port unreachable",
	};

	switch (type) {
	case 1:
		return code < 5 ? unreach[code]
				: "Destination unreachable: Unknown code";
	case 2:
		return "Packet too big";
	case 3:
		return code == 0   ? "Time exceeded: Hop limit"
		       : code == 1 ? "Time exceeded: Defragmentation failure"
				   : "Time exceeded: code";
	case 4:
		return code == 0   ? "Parameter problem: Wrong header field"
		       : code == 1 ? "Parameter problem: Unknown header"
		       : code == 2 ? "Parameter problem: Unknown option"
				   : "Parameter problem: code";
	case 128:
		return "Echo request";
	case 129:
		return "Echo reply";
	}
	return "unknown icmp type";
}

const char *pkt_icmp_ping_text(bool v6, uint8_t type, uint8_t code)
{
	return v6 ? ping_text6(type, code) : ping_text4(type, code);
}

/* The iputils texts that carry a number, in its wording. */
static bool ping_format6(const struct pkt_icmp *ic, struct line *l)
{
	switch (ic->type) {
	case 1:
		if (ic->code == 2 || ic->code > 4)
			add(l, "Destination unreachable: Unknown code %u",
			    ic->code);
		else
			return false;
		return true;
	case 2:
		add(l, "Packet too big: mtu=%u", ic->mtu);
		return true;
	case 3:
		if (ic->code > 1)
			add(l, "Time exceeded: code=%u", ic->code);
		else
			return false;
		return true;
	case 4:
		if (ic->code > 2)
			add(l, "Parameter problem: code %u at %u", ic->code,
			    ic->pointer);
		else
			add(l, "%s at %u", ping_text6(4, ic->code),
			    ic->pointer);
		return true;
	}
	return false;
}

static bool ping_format4(const struct pkt_icmp *ic, struct line *l)
{
	switch (ic->type) {
	case 3:
		if (ic->code == 4)
			add(l, "Frag needed and DF set (mtu = %u)", ic->mtu);
		else if (ic->code > 15)
			add(l, "Dest Unreachable, Bad Code: %u", ic->code);
		else
			return false;
		return true;
	case 5:
		if (ic->code > 3)
			add(l, "Redirect, Bad Code: %u", ic->code);
		else
			return false;
		return true;
	case 11:
		if (ic->code > 1)
			add(l, "Time exceeded, Bad Code: %u", ic->code);
		else
			return false;
		return true;
	case 12:
		add(l, "Parameter problem: pointer = %u", ic->pointer);
		return true;
	}
	return false;
}

int pkt_icmp_ping_format(const struct pkt_icmp *icmp, char *buf, size_t cap)
{
	struct line l = {buf, cap, 0};
	bool done;

	if (cap)
		buf[0] = 0;
	done = icmp->v6 ? ping_format6(icmp, &l) : ping_format4(icmp, &l);
	if (!done)
		add(&l, "%s",
		    pkt_icmp_ping_text(icmp->v6, icmp->type, icmp->code));
	return (int)l.len;
}

/* ------------------------------------------------------------ summary */

static void addr(struct line *l, const struct pkt_addr *a)
{
	char t[64];

	add(l, "%s", pkt_addr_ntop(a, t, sizeof(t)));
}

/* "a:p" for v4, "[a]:p" for v6 (as nping 7.99 prints them). */
static void endpoint(struct line *l, const struct pkt_addr *a, uint16_t port)
{
	char t[64];

	pkt_addr_ntop(a, t, sizeof(t));
	if (a->family == AF_INET6)
		add(l, "[%s]:%u", t, port);
	else
		add(l, "%s:%u", t, port);
}

static void endpoints(struct line *l, const struct pkt_layer *y, uint16_t sport,
		      uint16_t dport)
{
	endpoint(l, &y->ip.src, sport);
	add(l, " > ");
	endpoint(l, &y->ip.dst, dport);
}

static void ip_bracket(struct line *l, const struct pkt_ip *ip,
		       enum pkt_detail d)
{
	if (ip->version == 0)
		return;
	if (ip->version == 6) {
		add(l, " IP [hopl=%u flow=%x payloadlen=%u]", ip->ttl,
		    ip->flow_label, (unsigned)(ip->total_len - 40));
		return;
	}
	if (d == PKT_DETAIL_NORMAL) {
		add(l, " IP [ttl=%u id=%u proto=%u csum=0x%04x iplen=%u ]",
		    ip->ttl, ip->id, ip->proto, ip->checksum, ip->total_len);
	} else if (d == PKT_DETAIL_HIGH) {
		add(l, " IP [ver=4 ihl=%u tos=0x%02x iplen=%u id=%u",
		    ip->hdr_len / 4u, ip->tos, ip->total_len, ip->id);
		if (ip->df || ip->mf)
			add(l, " flg=%s%s", ip->df ? "D" : "",
			    ip->mf ? "M" : "");
		add(l, " foff=%u%s ttl=%u proto=%u csum=0x%04x]", ip->frag_off,
		    ip->mf ? "+" : "", ip->ttl, ip->proto, ip->checksum);
	} else {
		add(l, " IP [ttl=%u id=%u iplen=%u ]", ip->ttl, ip->id,
		    ip->total_len);
	}
}

/* The IP fields without brackets, as nping prints them after a layer it
 * could not fully decode. */
static void ip_inline(struct line *l, const struct pkt_ip *ip,
		      enum pkt_detail d)
{
	if (d == PKT_DETAIL_NORMAL)
		add(l, "ttl=%u id=%u proto=%u csum=0x%04x iplen=%u ", ip->ttl,
		    ip->id, ip->proto, ip->checksum, ip->total_len);
	else if (d == PKT_DETAIL_HIGH)
		add(l,
		    "ver=4 ihl=%u tos=0x%02x iplen=%u id=%u foff=%u ttl=%u "
		    "proto=%u csum=0x%04x",
		    ip->hdr_len / 4u, ip->tos, ip->total_len, ip->id,
		    ip->frag_off, ip->ttl, ip->proto, ip->checksum);
	else
		add(l, "ttl=%u id=%u iplen=%u ", ip->ttl, ip->id,
		    ip->total_len);
}

/* TCP flags in nping's order. */
static void tcp_flags(struct line *l, uint8_t f)
{
	static const struct {
		uint8_t bit;
		char c;
	} order[] = {
		{PKT_TCP_SYN, 'S'}, {PKT_TCP_FIN, 'F'}, {PKT_TCP_RST, 'R'},
		{PKT_TCP_PSH, 'P'}, {PKT_TCP_ACK, 'A'}, {PKT_TCP_URG, 'U'},
		{PKT_TCP_ECE, 'E'}, {PKT_TCP_CWR, 'C'},
	};
	size_t i;

	for (i = 0; i < sizeof(order) / sizeof(order[0]); i++)
		if (f & order[i].bit)
			add(l, "%c", order[i].c);
}

/* The options as "<mss 1460,sackOK,timestamp 1 0,nop,wscale 7>". */
static void tcp_options(struct line *l, const struct pkt_tcp *t)
{
	const uint8_t *o = t->opts;
	size_t i = 0, n = t->opt_len;
	const char *sep = "";

	if (!o || !n)
		return;
	add(l, "<");
	while (i < n) {
		uint8_t kind = o[i], len = i + 1 < n ? o[i + 1] : 0;

		if (kind == 0) {
			add(l, "%seol", sep);
			break;
		}
		if (kind == 1) {
			add(l, "%snop", sep);
			i++;
		} else if (len < 2 || len > n - i) {
			add(l, "%sbad-option", sep);
			break;
		} else {
			if (kind == 2 && len == 4)
				add(l, "%smss %u", sep,
				    (unsigned)((o[i + 2] << 8) | o[i + 3]));
			else if (kind == 3 && len == 3)
				add(l, "%swscale %u", sep, o[i + 2]);
			else if (kind == 4 && len == 2)
				add(l, "%ssackOK", sep);
			else if (kind == 8 && len == 10)
				add(l, "%stimestamp %u %u", sep, t->ts_val,
				    t->ts_ecr);
			else
				add(l, "%sunknown-%u", sep, kind);
			i += len;
		}
		sep = ",";
	}
	add(l, ">");
}

static void sum_tcp(struct line *l, const struct pkt_layer *y,
		    enum pkt_detail d)
{
	const struct pkt_tcp *t = &y->tcp;
	const struct pkt_ip *ip = &y->ip;

	if (d == PKT_DETAIL_LOW && ip->version == 4) {
		add(l, "TCP ");
		endpoints(l, y, t->sport, t->dport);
		add(l, " ");
		tcp_flags(l, t->flags);
		add(l, " ttl=%u id=%u iplen=%u  seq=%u win=%u ", ip->ttl,
		    ip->id, ip->total_len, t->seq, t->win);
		tcp_options(l, t);
		return;
	}
	add(l, "TCP [");
	endpoints(l, y, t->sport, t->dport);
	add(l, " ");
	tcp_flags(l, t->flags);
	if (d == PKT_DETAIL_HIGH) {
		add(l, " seq=%u ack=%u off=%u res=0 win=%u csum=0x%04X urp=%u",
		    t->seq, t->ack, t->doff / 4u, t->win, t->checksum, t->urg);
	} else if (d == PKT_DETAIL_NORMAL) {
		add(l, " seq=%u win=%u csum=0x%04X", t->seq, t->win,
		    t->checksum);
	} else {
		add(l, " seq=%u", t->seq);
		if (t->flags & PKT_TCP_ACK)
			add(l, " ack=%u", t->ack);
		/* nping 7.99's echo mode prints win=0 for every v4 segment
		 * (SYNs sent with win=1480 included) and no window for v6:
		 * copied as observed in the NEP vectors. */
		if (ip->version == 4)
			add(l, " win=0");
	}
	if (t->opt_len && d != PKT_DETAIL_NEP && d != PKT_DETAIL_LOW) {
		add(l, " ");
		tcp_options(l, t);
	}
	add(l, "]");
	/* The echo mode shows proto and IP checksum for TCP only. */
	ip_bracket(l, ip, d == PKT_DETAIL_NEP ? PKT_DETAIL_NORMAL : d);
}

static void sum_udp(struct line *l, const struct pkt_layer *y,
		    enum pkt_detail d)
{
	const struct pkt_udp *u = &y->udp;
	const struct pkt_ip *ip = &y->ip;

	if (d == PKT_DETAIL_NORMAL || d == PKT_DETAIL_HIGH) {
		add(l, "UDP [");
		endpoints(l, y, u->sport, u->dport);
		if (d == PKT_DETAIL_HIGH)
			add(l, " len=%u", u->len);
		add(l, " csum=0x%04X]", u->checksum);
		ip_bracket(l, ip, d);
		return;
	}
	add(l, "UDP ");
	endpoints(l, y, u->sport, u->dport);
	if (d == PKT_DETAIL_LOW && ip->version == 4)
		add(l, " ttl=%u id=%u iplen=%u ", ip->ttl, ip->id,
		    ip->total_len);
	else
		ip_bracket(l, ip, PKT_DETAIL_LOW);
}

static void ip4_text(struct line *l, uint32_t v)
{
	add(l, "%u.%u.%u.%u", v >> 24, (v >> 16) & 255, (v >> 8) & 255,
	    v & 255);
}

/* The quoted datagram's fields nping names in unreachable messages. */
static bool unreach_name(struct line *l, const struct pkt_parsed *p)
{
	const struct pkt_layer *in = &p->inner;
	const struct pkt_icmp *ic = &p->outer.icmp;
	char t[64];
	bool has_port;

	if (!p->has_inner)
		return false;
	pkt_addr_ntop(&in->ip.dst, t, sizeof(t));
	has_port = ic->data_len > (size_t)in->ip.hdr_len + 8 &&
		   (in->l4 == PKT_L4_UDP || in->l4 == PKT_L4_TCP);
	switch (ic->code) {
	case 0:
		add(l, "Network %s unreachable", t);
		return true;
	case 1:
		add(l, "Host %s unreachable", t);
		return true;
	case 2:
		add(l, "Protocol %u unreachable", in->ip.proto);
		return true;
	case 3:
		if (has_port)
			add(l, "Port %u unreachable",
			    in->l4 == PKT_L4_UDP ? in->udp.dport
						 : in->tcp.dport);
		else
			add(l, "Port unreachable");
		return true;
	case 6:
		add(l, "Destination network %s unknown", t);
		return true;
	case 7:
		add(l, "Destination host %s unknown", t);
		return true;
	case 9:
		add(l, "Destination network %s administratively prohibited", t);
		return true;
	case 10:
		add(l, "Destination host %s administratively prohibited", t);
		return true;
	case 11:
		add(l, "Network %s unreachable for TOS", t);
		return true;
	case 12:
		add(l, "Host %s unreachable for TOS", t);
		return true;
	}
	return false;
}

/* What nping prints after "(type=../code=..) ". */
static void icmp4_extras(struct line *l, const struct pkt_icmp *ic)
{
	const uint8_t *d = ic->data;
	size_t n = ic->data_len;

	switch (ic->type) {
	case 0:
	case 8:
	case 15:
	case 16:
		add(l, "id=%u seq=%u", ic->id, ic->seq);
		break;
	case 13:
	case 14:
		add(l, "id=%u seq=%u", ic->id, ic->seq);
		if (n >= 12)
			add(l, " orig=%u recv=%u trans=%u",
			    (unsigned)((uint32_t)d[0] << 24 | d[1] << 16 |
				       d[2] << 8 | d[3]),
			    (unsigned)((uint32_t)d[4] << 24 | d[5] << 16 |
				       d[6] << 8 | d[7]),
			    (unsigned)((uint32_t)d[8] << 24 | d[9] << 16 |
				       d[10] << 8 | d[11]));
		break;
	case 17:
	case 18:
		add(l, "id=%u seq=%u", ic->id, ic->seq);
		if (n >= 4) {
			add(l, " mask=");
			ip4_text(l, (uint32_t)d[0] << 24 | d[1] << 16 |
					    d[2] << 8 | d[3]);
		}
		break;
	case 3:
		if (ic->code == 4)
			add(l, "Next-Hop-MTU=%u", ic->mtu);
		break;
	case 5:
		add(l, "addr=");
		ip4_text(l, ic->rest);
		break;
	case 9:
		add(l, "addrs=%u addrlen=%u lifetime=%u", ic->rest >> 24,
		    (ic->rest >> 16) & 255, ic->rest & 0xffff);
		break;
	case 12:
		add(l, "pointer=%u", ic->pointer);
		break;
	}
}

static void sum_icmp4(struct line *l, const struct pkt_parsed *p,
		      enum pkt_detail d)
{
	const struct pkt_layer *y = &p->outer;
	const struct pkt_icmp *ic = &y->icmp;

	if (ic->type == 3 && !p->has_inner && y->ip.version == 4) {
		/* nping's line for an unreachable without a quotation. */
		add(l, "ICMP ");
		addr(l, &y->ip.src);
		add(l, " > ");
		addr(l, &y->ip.dst);
		add(l, " Destination unreachable%s (type=3/code=%u) ",
		    d != PKT_DETAIL_NORMAL && d != PKT_DETAIL_HIGH ? ""
		    : ic->data_len ? " (part of original datagram missing)"
				   : " (original datagram missing)",
		    ic->code);
		ip_inline(l, &y->ip, d);
		return;
	}
	add(l, "ICMP [");
	addr(l, &y->ip.src);
	add(l, " > ");
	addr(l, &y->ip.dst);
	add(l, " ");
	if (ic->type != 3 || !unreach_name(l, p))
		add(l, "%s", name4(ic->type, ic->code));
	add(l, " (type=%u/code=%u) ", ic->type, ic->code);
	icmp4_extras(l, ic);
	add(l, "]");
	ip_bracket(l, &y->ip, d == PKT_DETAIL_NEP ? PKT_DETAIL_LOW : d);
}

static void sum_icmp6(struct line *l, const struct pkt_layer *y)
{
	const struct pkt_icmp *ic = &y->icmp;

	add(l, "ICMPv6 ");
	addr(l, &y->ip.src);
	add(l, " > ");
	addr(l, &y->ip.dst);
	add(l, " (type=%u/code=%u)", ic->type, ic->code);
	if (ic->type == 128 || ic->type == 129)
		add(l, " id=%u seq=%u", ic->id, ic->seq);
	ip_bracket(l, &y->ip, PKT_DETAIL_LOW);
}

static void sum_other(struct line *l, const struct pkt_layer *y,
		      enum pkt_detail d)
{
	add(l, "IP [");
	addr(l, &y->ip.src);
	add(l, " > ");
	addr(l, &y->ip.dst);
	add(l, " proto=%u]", y->ip.proto);
	ip_bracket(l, &y->ip, d);
}

int pkt_summary(const struct pkt_parsed *p, enum pkt_detail detail, char *buf,
		size_t cap)
{
	struct line l = {buf, cap, 0};
	const struct pkt_layer *y = &p->outer;

	if (cap)
		buf[0] = 0;
	switch (y->l4) {
	case PKT_L4_TCP:
		sum_tcp(&l, y, detail);
		break;
	case PKT_L4_UDP:
		sum_udp(&l, y, detail);
		break;
	case PKT_L4_ICMP:
		if (y->icmp.v6)
			sum_icmp6(&l, y);
		else
			sum_icmp4(&l, p, detail);
		break;
	default:
		sum_other(&l, y, detail);
		break;
	}
	return (int)l.len;
}

int pkt_summary_write(FILE *f, const struct pkt_parsed *p,
		      enum pkt_detail detail)
{
	char line[1024];
	int n = pkt_summary(p, detail, line, sizeof(line));

	if (n < 0)
		return -1;
	return fputs(line, f) < 0 ? -1 : (int)strlen(line);
}
