/*
 * fuzz_packet - lib/packet's parsers on arbitrary bytes: every entry point
 * (IP packet, ICMP or TCP/UDP without IP header, pcap link layers), every layer
 * (ICMP quotations and RFC 4884 extensions included), the summaries at
 * every detail, and one property: a parsed packet rebuilt by pkt_build
 * parses again to the same fields. Also the IPv4 RR/TS option parser
 * and the Node Information reply texts.
 */
#include "packet.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void texts(const struct pkt_parsed *p)
{
	char line[512];
	int d;

	for (d = PKT_DETAIL_LOW; d <= PKT_DETAIL_NEP; d++)
		pkt_summary(p, (enum pkt_detail)d, line, sizeof(line));
	/* a short buffer must stay terminated */
	pkt_summary(p, PKT_DETAIL_HIGH, line, 7);
	if (strlen(line) > 6)
		abort();
	if (p->outer.l4 == PKT_L4_ICMP)
		pkt_icmp_ping_format(&p->outer.icmp, line, sizeof(line));
}

/* The fields pkt_build writes from the struct come back unchanged. */
static void rebuild(const struct pkt_parsed *p)
{
	const struct pkt_layer *o = &p->outer;
	struct pkt_parsed q;
	uint8_t out[70000];
	int n;

	if (o->l4 != PKT_L4_TCP && o->l4 != PKT_L4_UDP && o->l4 != PKT_L4_ICMP)
		return;
	/* v6 extension headers and fragments are not rebuilt */
	if (o->ip.frag_off || o->ip.mf ||
	    (o->ip.version == 6 && o->ip.hdr_len != 40))
		return;
	n = pkt_build(o, NULL, 0, out, sizeof(out), NULL);
	if (n < 0)
		abort();
	if (pkt_parse(out, (size_t)n, &q) != 0)
		abort();
	if (q.outer.l4 != o->l4 || q.outer.ip.ttl != o->ip.ttl ||
	    !pkt_addr_eq(&q.outer.ip.src, &o->ip.src) ||
	    !pkt_addr_eq(&q.outer.ip.dst, &o->ip.dst))
		abort();
	if (o->l4 == PKT_L4_TCP && (q.outer.tcp.seq != o->tcp.seq ||
				    q.outer.tcp.sport != o->tcp.sport ||
				    q.outer.tcp.checksum_ok != PKT_CKSUM_OK))
		abort();
	if (o->l4 == PKT_L4_UDP && (q.outer.udp.dport != o->udp.dport ||
				    q.outer.udp.checksum_ok != PKT_CKSUM_OK))
		abort();
	if (o->l4 == PKT_L4_ICMP && (q.outer.icmp.type != o->icmp.type ||
				     q.outer.icmp.rest != o->icmp.rest ||
				     q.outer.icmp.checksum_ok != PKT_CKSUM_OK))
		abort();
}

/* ping -R/-T: the RR and TS options, alone (IP_RECVOPTS hands them
 * over without header) and as a parsed header holds them. */
static void ipopts(const uint8_t *data, size_t size)
{
	struct pkt_ipopts o;
	struct pkt_parsed p;

	if (pkt_ipopts_parse(data, size, &o) == 0 &&
	    (o.rr.n > PKT_IPOPT_RR_SLOTS || o.ts.n > PKT_IPOPT_TS_SLOTS))
		abort();
	if (pkt_parse(data, size, &p) == 0 && p.outer.ip.version == 4)
		pkt_ipopts_parse(p.outer.ip.opts, p.outer.ip.opt_len, &o);
}

/* ping -N: a Node Information reply and its text, whatever the type
 * byte says (so every input reaches the data parsers). */
static void nodeinfo(const uint8_t *data, size_t size)
{
	uint8_t b[300];
	struct pkt_ni ni;
	char t[512];
	size_t n = size < sizeof(b) ? size : sizeof(b);

	if (n < PKT_NI_HDR)
		return;
	memcpy(b, data, n);
	b[0] = PKT_NI_REPLY;
	if (pkt_ni_parse(b, n, &ni) != 0)
		abort();
	if (pkt_ni_reply_text(&ni, t, sizeof(t)) < 0 || strlen(t) >= sizeof(t))
		abort();
	pkt_ni_reply_text(&ni, t, 5);
	if (strlen(t) > 4)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int dlts[] = {0, 1, 12, 101, 113, 228, 229, 276};
	struct pkt_parsed p;
	struct pkt_addr a, b;
	size_t i;

	if (pkt_parse(data, size, &p) == 0)
		rebuild(&p);
	texts(&p);
	pkt_addr_pton("2001:2::1", &a);
	pkt_addr_pton("2001:2::2", &b);
	pkt_parse_icmp(data, size, AF_INET, NULL, NULL, &p);
	texts(&p);
	pkt_parse_icmp(data, size, AF_INET6, &a, &b, &p);
	texts(&p);
	/* raw IPv6 TCP/UDP sockets: the segment without IP header */
	pkt_parse_l4(data, size, AF_INET6, IPPROTO_TCP, &a, &b, &p);
	texts(&p);
	pkt_parse_l4(data, size, AF_INET6, IPPROTO_UDP, &a, &b, &p);
	texts(&p);
	pkt_parse_l4(data, size, AF_INET, IPPROTO_UDP, NULL, NULL, &p);
	texts(&p);
	for (i = 0; i < sizeof(dlts) / sizeof(dlts[0]); i++)
		pkt_parse_link(data, size, dlts[i], &p);
	ipopts(data, size);
	nodeinfo(data, size);
	return 0;
}
