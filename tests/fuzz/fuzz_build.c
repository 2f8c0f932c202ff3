/*
 * fuzz_build - lib/packet's builders on arbitrary field values and buffer
 * sizes. The input's first 48 bytes are the fields of a struct pkt_probe
 * (protocol, addresses, TTL, ids, ports, TCP options, Paris checksum),
 * the rest its payload. Properties:
 *   - a builder never writes past cap (the buffer is exactly cap bytes)
 *     and reports the size it needs;
 *   - what it builds parses back to the same fields, checksums right,
 *     and with force_csum the checksum is the one asked for;
 *   - the same holds for the datagram-socket echo builder.
 */
#include "packet.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define HDR 48

static uint16_t g16(const uint8_t *d)
{
	return (uint16_t)((d[0] << 8) | d[1]);
}

static uint32_t g32(const uint8_t *d)
{
	return ((uint32_t)g16(d) << 16) | g16(d + 2);
}

static void fields(const uint8_t *d, struct pkt_probe *p)
{
	bool v6 = d[0] & 1;

	memset(p, 0, sizeof(*p));
	p->proto = (enum pkt_probe_proto)((d[0] >> 1) % 3);
	p->src.family = p->dst.family = v6 ? AF_INET6 : AF_INET;
	memcpy(p->src.a, d + 1, v6 ? 16 : 4);
	memcpy(p->dst.a, d + 17, v6 ? 16 : 4);
	p->ttl = d[33];
	p->tos = d[34];
	p->flow_label = g32(d + 35) & 0xfffff;
	p->ip_id = g16(d + 35);
	p->df = d[0] & 8;
	p->icmp_id = p->sport = g16(d + 39);
	p->icmp_seq = p->dport = g16(d + 41);
	p->tcp_seq = g32(d + 37);
	p->tcp_ack = g32(d + 39);
	p->tcp_flags = d[43];
	p->tcp_win = g16(d + 44);
	p->tcp_mss = (d[0] & 16) ? g16(d + 44) : 0;
	p->tcp_has_wscale = d[0] & 32;
	p->tcp_wscale = d[46] & 15;
	p->tcp_sack_ok = d[0] & 64;
	p->tcp_ts = d[0] & 128;
	p->tcp_ts_val = g32(d + 1);
	p->force_csum = d[47] & 1;
	p->csum = g16(d + 45);
}

static void check_probe(const struct pkt_probe *p, const uint8_t *b, int n)
{
	struct pkt_parsed q;
	const struct pkt_layer *o = &q.outer;
	enum pkt_cksum ck;
	uint16_t got;

	if (pkt_parse(b, (size_t)n, &q) != 0)
		abort();
	if (!pkt_addr_eq(&o->ip.src, &p->src) ||
	    !pkt_addr_eq(&o->ip.dst, &p->dst) ||
	    o->ip.ttl != (p->ttl ? p->ttl : 64) || o->ip.tos != p->tos)
		abort();
	switch (p->proto) {
	case PKT_PROBE_ICMP:
		if (o->l4 != PKT_L4_ICMP || o->icmp.id != p->icmp_id ||
		    o->icmp.seq != p->icmp_seq)
			abort();
		ck = o->icmp.checksum_ok, got = o->icmp.checksum;
		break;
	case PKT_PROBE_UDP:
		if (o->l4 != PKT_L4_UDP || o->udp.dport != p->dport ||
		    o->udp.data_len != p->payload_len)
			abort();
		ck = o->udp.checksum_ok, got = o->udp.checksum;
		break;
	default:
		if (o->l4 != PKT_L4_TCP || o->tcp.seq != p->tcp_seq ||
		    o->tcp.has_mss != (p->tcp_mss != 0) ||
		    o->tcp.sack_ok != p->tcp_sack_ok ||
		    o->tcp.has_ts != p->tcp_ts ||
		    o->tcp.has_wscale != p->tcp_has_wscale ||
		    o->tcp.data_len != p->payload_len)
			abort();
		ck = o->tcp.checksum_ok, got = o->tcp.checksum;
		break;
	}
	if (ck != PKT_CKSUM_OK || (p->force_csum && got != p->csum))
		abort();
}

static void build_probe(const uint8_t *d, size_t size)
{
	struct pkt_probe p;
	size_t cap = d[46] * 8u, need = 0;
	uint8_t *buf = malloc(cap ? cap : 1);
	int n;

	fields(d, &p);
	p.payload = d + HDR;
	p.payload_len = size - HDR;
	n = pkt_build_probe(&p, buf, cap, &need);
	if (n >= 0) {
		if ((size_t)n != need || (size_t)n > cap)
			abort();
		check_probe(&p, buf, n);
	} else if (n == PKT_ERR_SPACE && need <= cap) {
		abort();
	}
	free(buf);
}

static void build_echo(const uint8_t *d, size_t size)
{
	size_t plen = size - HDR, cap = plen + 8 - (d[47] & 2 ? 1 : 0), need;
	uint8_t *buf = malloc(cap);
	bool force = (d[47] & 4) && plen >= 2;
	uint16_t want = g16(d + 45);
	struct pkt_parsed q;
	int n = pkt_build_echo(AF_INET, g16(d + 39), g16(d + 41), d + HDR, plen,
			       force, want, buf, cap, &need);

	if (need != plen + 8)
		abort();
	if (n >= 0) {
		if (pkt_parse_icmp(buf, (size_t)n, AF_INET, NULL, NULL, &q) ||
		    q.outer.icmp.checksum_ok != PKT_CKSUM_OK ||
		    (force && q.outer.icmp.checksum != want) ||
		    q.outer.icmp.seq != g16(d + 41))
			abort();
	}
	free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < HDR || size > HDR + 2000)
		return 0;
	build_probe(data, size);
	build_echo(data, size);
	return 0;
}
