/*
 * Unit tests for pkt_parse_l4 (segments without an IP header, as raw IPv6
 * TCP sockets return them; added for ping --tcp over IPv6).
 */
#include <netinet/in.h>
#include <string.h>

#include "packet.h"
#include "unit.h"

static void test_l4_addrs(struct pkt_addr *src, struct pkt_addr *dst)
{
	pkt_addr_pton("2001:2::1", src);
	pkt_addr_pton("2001:2:0:1::2", dst);
}

/* A SYN-ACK built by lib/packet parses back field by field, and its
 * checksum verifies against the pseudo-header. */
UNIT_TEST(test_l4_tcp_roundtrip)
{
	struct pkt_layer l;
	struct pkt_parsed p;
	uint8_t buf[128];
	int n;

	memset(&l, 0, sizeof(l));
	test_l4_addrs(&l.ip.src, &l.ip.dst);
	l.ip.version = 6;
	l.l4 = PKT_L4_TCP;
	l.tcp.sport = 8080;
	l.tcp.dport = 40001;
	l.tcp.seq = 0x01020304;
	l.tcp.ack = 0xa0b0c0d1;
	l.tcp.flags = PKT_TCP_SYN | PKT_TCP_ACK;
	l.tcp.win = 65535;
	l.tcp.has_mss = true;
	l.tcp.mss = 1440;
	n = pkt_build_l4(&l, NULL, 0, buf, sizeof(buf), NULL);
	CHECK_EQ(n, 24);
	CHECK_EQ(pkt_parse_l4(buf, (size_t)n, AF_INET6, IPPROTO_TCP,
			      &l.ip.src, &l.ip.dst, &p), 0);
	CHECK_EQ(p.outer.l4, PKT_L4_TCP);
	CHECK_EQ(p.outer.tcp.sport, 8080);
	CHECK_EQ(p.outer.tcp.dport, 40001);
	CHECK_EQ(p.outer.tcp.seq, 0x01020304);
	CHECK_EQ(p.outer.tcp.ack, 0xa0b0c0d1);
	CHECK_EQ(p.outer.tcp.flags, PKT_TCP_SYN | PKT_TCP_ACK);
	CHECK(p.outer.tcp.has_mss && p.outer.tcp.mss == 1440);
	CHECK_EQ(p.outer.tcp.checksum_ok, PKT_CKSUM_OK);
	CHECK(pkt_addr_eq(&p.outer.ip.src, &l.ip.src));
	/* one flipped bit and the checksum no longer holds */
	buf[4] ^= 1;
	CHECK_EQ(pkt_parse_l4(buf, (size_t)n, AF_INET6, IPPROTO_TCP,
			      &l.ip.src, &l.ip.dst, &p), 0);
	CHECK_EQ(p.outer.tcp.checksum_ok, PKT_CKSUM_BAD);
	/* without addresses it cannot be checked */
	CHECK_EQ(pkt_parse_l4(buf, (size_t)n, AF_INET6, IPPROTO_TCP, NULL,
			      NULL, &p), 0);
	CHECK_EQ(p.outer.tcp.checksum_ok, PKT_CKSUM_UNCHECKED);
}

/* Every cut of a segment is an error or a parse, never a read past len
 * (ASan runs this too); bad arguments are refused. */
UNIT_TEST(test_l4_truncated_and_invalid)
{
	static const uint8_t syn[20] = { 0x1f, 0x90, 0x9c, 0x41, 0, 0, 0, 1,
					 0, 0, 0, 0, 0x50, 0x02, 0x05, 0xc8,
					 0, 0, 0, 0 };
	struct pkt_parsed p;
	size_t len;

	for (len = 0; len < sizeof(syn); len++)
		CHECK_EQ(pkt_parse_l4(syn, len, AF_INET6, IPPROTO_TCP, NULL,
				      NULL, &p),
			 PKT_ERR_TRUNCATED);
	CHECK_EQ(pkt_parse_l4(syn, sizeof(syn), AF_INET6, IPPROTO_TCP, NULL,
			      NULL, &p),
		 0);
	CHECK_EQ(p.outer.tcp.flags, PKT_TCP_SYN);
	CHECK_EQ(pkt_parse_l4(syn, sizeof(syn), AF_UNIX, IPPROTO_TCP, NULL,
			      NULL, &p),
		 PKT_ERR_INVAL);
	CHECK_EQ(pkt_parse_l4(syn, sizeof(syn), AF_INET6, IPPROTO_ICMPV6,
			      NULL, NULL, &p),
		 PKT_ERR_INVAL);
}

/* A UDP datagram: ports and payload. */
UNIT_TEST(test_l4_udp)
{
	static const uint8_t udp[12] = { 0x82, 0x9a, 0x00, 0x35, 0x00, 0x0c,
					 0x00, 0x00, 'p', 'i', 'n', 'g' };
	struct pkt_parsed p;

	CHECK_EQ(pkt_parse_l4(udp, sizeof(udp), AF_INET6, IPPROTO_UDP, NULL,
			      NULL, &p),
		 0);
	CHECK_EQ(p.outer.l4, PKT_L4_UDP);
	CHECK_EQ(p.outer.udp.sport, 33434);
	CHECK_EQ(p.outer.udp.dport, 53);
	CHECK_EQ(p.outer.udp.data_len, 4);
	CHECK(p.outer.udp.data && memcmp(p.outer.udp.data, "ping", 4) == 0);
}

UNIT_MAIN(UNIT_CASE(test_l4_tcp_roundtrip),
	  UNIT_CASE(test_l4_truncated_and_invalid), UNIT_CASE(test_l4_udp))
