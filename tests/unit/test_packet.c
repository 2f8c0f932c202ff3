/*
 * test_packet - lib/packet against packets real tools put on the wire
 * (tests/unit/fixtures, captured on lo) and against itself (build ->
 * parse), with truncated and corrupted input at every length.
 */
#include "packet.h"
#include "unit.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURES
#define FIXTURES "tests/unit/fixtures"
#endif

/* ------------------------------------------------------------ fixtures */

#define MAX_PKTS 128
#define MAX_LINES 128

struct capture {
	int dlt;
	size_t n;
	uint8_t *pkt[MAX_PKTS];
	size_t len[MAX_PKTS];
};

static const char *fixture_path(const char *name, const char *ext, char *buf,
				size_t len)
{
	const char *dir = getenv("ECHOLOT_SRCDIR");

	if (dir)
		snprintf(buf, len, "%s/tests/unit/fixtures/%s%s", dir, name,
			 ext);
	else
		snprintf(buf, len, "%s/%s%s", FIXTURES, name, ext);
	return buf;
}

/* Reads a pcap into exact-size heap copies (so ASan sees overreads). */
static int load_pcap(const char *name, struct capture *c)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	pcap_t *p;

	memset(c, 0, sizeof(*c));
	p = pcap_open_offline(fixture_path(name, ".pcap", path, sizeof(path)),
			      err);
	if (!p) {
		printf("#   %s\n", err);
		return -1;
	}
	c->dlt = pcap_datalink(p);
	while (c->n < MAX_PKTS && pcap_next_ex(p, &h, &data) == 1) {
		c->pkt[c->n] = malloc(h->caplen ? h->caplen : 1);
		memcpy(c->pkt[c->n], data, h->caplen);
		c->len[c->n] = h->caplen;
		c->n++;
	}
	pcap_close(p);
	return 0;
}

static void free_pcap(struct capture *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->pkt[i]);
}

struct lines {
	size_t n;
	char *s[MAX_LINES];
};

static int load_lines(const char *name, struct lines *l)
{
	char path[512], buf[1024];
	FILE *f = fopen(fixture_path(name, ".txt", path, sizeof(path)), "r");

	l->n = 0;
	if (!f)
		return -1;
	while (l->n < MAX_LINES && fgets(buf, sizeof(buf), f)) {
		buf[strcspn(buf, "\n")] = 0;
		l->s[l->n++] = strdup(buf);
	}
	fclose(f);
	return 0;
}

static void free_lines(struct lines *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->s[i]);
}

/* The IP packet inside a frame: the same offset pkt_parse_link uses. */
static size_t link_hdr(int dlt)
{
	return dlt == DLT_EN10MB ? 14 : dlt == DLT_LINUX_SLL ? 16 : 0;
}

static const char *const all_fixtures[] = {
	"nping_tcp_low",
	"nping_tcp_normal",
	"nping_tcp_high",
	"nping_tcpopts_low",
	"nping_tcpopts_normal",
	"nping_udp_low",
	"nping_udp_normal",
	"nping_udp_high",
	"nping_icmp_low",
	"nping_icmp_normal",
	"nping_icmp_high",
	"nping_udp_short",
	"nping_icmptypes",
	"nping_icmptypes_high",
	"ping4",
	"ping6",
	"traceroute4",
	"traceroute6",
	"ping_errors",
	"trace_chain",
	"nep_a_udp_public",
	"nep_b_tcp_nat_opensesame",
	"nep_b_tcp_nat_opensesame_clientside",
	"nep_c_icmp_nocrypto",
	"nep_e2_ipv6_tcp_bpf",
	"nep_h_udp_payload_zeroed",
};
#define NFIX (sizeof(all_fixtures) / sizeof(all_fixtures[0]))

/* ------------------------------------------------------------ checksums */

UNIT_TEST(test_checksum_rfc1071)
{
	/* RFC 1071 section 3 example: sum ddf2, checksum 220d. */
	static const uint8_t b[] = {0x00, 0x01, 0xf2, 0x03,
				    0xf4, 0xf5, 0xf6, 0xf7};
	static const uint8_t odd[] = {0x01, 0x02, 0x03};
	uint32_t s;

	CHECK_EQ(pkt_checksum(b, sizeof(b)), 0x220d);
	/* Chained chunks give the same as one pass. */
	s = pkt_csum_add(0, b, 4);
	s = pkt_csum_add(s, b + 4, 4);
	CHECK_EQ(pkt_csum_fold(s), 0x220d);
	/* An odd last byte is padded with zero: 0x0102 + 0x0300. */
	CHECK_EQ(pkt_checksum(odd, 3), (uint16_t)~0x0402);
	CHECK_EQ(pkt_checksum(b, 0), 0xffff);
}

/* The sum two bytes at a time, as RFC 1071 writes it: the yardstick for
 * the word-at-a-time pkt_csum_add. */
static uint16_t slow_checksum(const uint8_t *p, size_t len)
{
	uint32_t s = 0;
	size_t i;

	for (i = 0; i + 1 < len; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (len & 1)
		s += (uint32_t)p[len - 1] << 8;
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)~s;
}

UNIT_TEST(test_checksum_words)
{
	uint8_t b[1031];
	size_t len, cut, i;
	uint32_t x = 12345;

	/* All-ones bytes push every carry path; then pseudo-random ones. */
	memset(b, 0xff, sizeof(b));
	CHECK_EQ(pkt_checksum(b, sizeof(b)), slow_checksum(b, sizeof(b)));
	for (i = 0; i < sizeof(b); i++) {
		x = x * 1103515245u + 12345u;
		b[i] = (uint8_t)(x >> 16);
	}
	for (len = 0; len <= 70; len++)
		CHECK_EQ(pkt_checksum(b, len), slow_checksum(b, len));
	CHECK_EQ(pkt_checksum(b, sizeof(b)), slow_checksum(b, sizeof(b)));
	/* Chained at any even cut: the same as one pass. */
	for (cut = 0; cut <= 64; cut += 2)
		CHECK_EQ(pkt_csum_fold(pkt_csum_add(pkt_csum_add(0, b, cut),
						    b + cut, 67 - cut)),
			 slow_checksum(b, 67));
}

/*
 * Every packet that iputils ping, nping, traceroute and the kernel sent
 * on lo parses, and its IPv4 header and ICMP checksums verify. TCP/UDP
 * from the kernel's own sockets carry offloaded (partial) checksums on
 * lo, so those are checked only where nping computed them (raw socket).
 */
UNIT_TEST(test_checksum_captured)
{
	size_t f, i, icmp = 0, l4 = 0, v4 = 0, v6 = 0;

	for (f = 0; f < NFIX; f++) {
		struct capture c;
		bool raw = strncmp(all_fixtures[f], "nping_", 6) == 0;

		if (load_pcap(all_fixtures[f], &c)) {
			CHECK(!"fixture missing");
			continue;
		}
		CHECK(c.n > 0);
		for (i = 0; i < c.n; i++) {
			struct pkt_parsed p;
			int err = pkt_parse_link(c.pkt[i], c.len[i], c.dlt, &p);
			const struct pkt_layer *o = &p.outer;

			CHECK_EQ(err, 0);
			if (err)
				continue;
			if (o->ip.version == 4) {
				CHECK_EQ(o->ip.checksum_ok, PKT_CKSUM_OK);
				v4++;
			} else {
				v6++;
			}
			if (o->l4 == PKT_L4_ICMP) {
				CHECK_EQ(o->icmp.checksum_ok, PKT_CKSUM_OK);
				icmp++;
			}
			/* nping's own TCP/UDP probes (source port 53 for
			 * UDP, SYNs for TCP) carry real checksums. */
			if (raw &&
			    ((o->l4 == PKT_L4_UDP && o->udp.sport == 53) ||
			     (o->l4 == PKT_L4_TCP &&
			      o->tcp.flags == PKT_TCP_SYN))) {
				CHECK_EQ(o->l4 == PKT_L4_UDP
						 ? o->udp.checksum_ok
						 : o->tcp.checksum_ok,
					 PKT_CKSUM_OK);
				l4++;
			}
		}
		free_pcap(&c);
	}
	CHECK(icmp >= 40);
	CHECK(l4 >= 10);
	CHECK(v4 > 0 && v6 >= 8);
}

/* Rebuilding a parsed real packet gives the same bytes: the builder's
 * headers and checksums agree with what nping, ping and the kernel
 * wrote. */
UNIT_TEST(test_rebuild_captured)
{
	size_t f, i, rebuilt = 0;
	uint8_t out[2048];

	for (f = 0; f < NFIX; f++) {
		struct capture c;

		if (load_pcap(all_fixtures[f], &c))
			continue;
		for (i = 0; i < c.n; i++) {
			struct pkt_parsed p;
			const uint8_t *ip = c.pkt[i] + link_hdr(c.dlt);
			enum pkt_cksum ck;
			int n;

			if (pkt_parse_link(c.pkt[i], c.len[i], c.dlt, &p))
				continue;
			ck = p.outer.l4 == PKT_L4_ICMP
				     ? p.outer.icmp.checksum_ok
			     : p.outer.l4 == PKT_L4_UDP
				     ? p.outer.udp.checksum_ok
			     : p.outer.l4 == PKT_L4_TCP
				     ? p.outer.tcp.checksum_ok
				     : PKT_CKSUM_BAD;
			/* The builder writes no IPv6 extension headers (the
			 * MLD reports the kernel sends carry hop-by-hop). */
			if (ck != PKT_CKSUM_OK || p.outer.icmp.ext.present ||
			    (p.outer.ip.version == 6 &&
			     p.outer.ip.hdr_len != 40))
				continue;
			n = pkt_build(&p.outer, NULL, 0, out, sizeof(out),
				      NULL);
			CHECK_EQ(n, p.outer.ip.total_len);
			if (n > 0)
				CHECK_MEM(out, ip, (size_t)n);
			rebuilt++;
		}
		free_pcap(&c);
	}
	CHECK(rebuilt >= 60);
}

/* ------------------------------------------------------------ summaries */

static enum pkt_detail detail_of(const char *name)
{
	if (strncmp(name, "nep_", 4) == 0)
		return PKT_DETAIL_NEP;
	if (strstr(name, "_high"))
		return PKT_DETAIL_HIGH;
	if (strstr(name, "_normal"))
		return PKT_DETAIL_NORMAL;
	return PKT_DETAIL_LOW;
}

/*
 * Each line nping printed is the summary of one of the captured packets:
 * nping 0.7.93 at three verbosity levels, and nping 7.99's echo mode
 * (the NEP vectors).
 */
static void check_summaries(struct unit *u, const char *name)
{
	struct capture c;
	struct lines l;
	char sum[MAX_PKTS][512];
	size_t i, j, matched = 0;
	enum pkt_detail d = detail_of(name);

	if (load_pcap(name, &c) || load_lines(name, &l)) {
		CHECK(!"fixture missing");
		return;
	}
	for (i = 0; i < c.n; i++) {
		struct pkt_parsed p;

		sum[i][0] = 0;
		if (pkt_parse_link(c.pkt[i], c.len[i], c.dlt, &p) == 0)
			pkt_summary(&p, d, sum[i], sizeof(sum[i]));
	}
	for (j = 0; j < l.n; j++) {
		for (i = 0; i < c.n; i++)
			if (strcmp(sum[i], l.s[j]) == 0)
				break;
		if (i < c.n) {
			matched++;
			continue;
		}
		unit_failf(u, __FILE__, __LINE__, "%s: nping printed \"%s\"",
			   name, l.s[j]);
		for (i = 0; i < c.n && i < 3; i++)
			printf("#     ours: \"%s\"\n", sum[i]);
	}
	CHECK(l.n > 0);
	CHECK_EQ(matched, l.n);
	free_lines(&l);
	free_pcap(&c);
}

UNIT_TEST(test_summary_nping_tcp)
{
	check_summaries(u, "nping_tcp_low");
	check_summaries(u, "nping_tcp_normal");
	check_summaries(u, "nping_tcp_high");
	/* SYN-ACKs with every option, injected while nping waited */
	check_summaries(u, "nping_tcpopts_low");
	check_summaries(u, "nping_tcpopts_normal");
}

UNIT_TEST(test_summary_nping_udp)
{
	check_summaries(u, "nping_udp_low");
	check_summaries(u, "nping_udp_normal");
	check_summaries(u, "nping_udp_high");
	check_summaries(u, "nping_udp_short");
}

UNIT_TEST(test_summary_nping_icmp)
{
	check_summaries(u, "nping_icmp_low");
	check_summaries(u, "nping_icmp_normal");
	check_summaries(u, "nping_icmp_high");
	check_summaries(u, "nping_icmptypes");
	check_summaries(u, "nping_icmptypes_high");
}

UNIT_TEST(test_summary_nep_vectors)
{
	check_summaries(u, "nep_a_udp_public");
	check_summaries(u, "nep_b_tcp_nat_opensesame");
	check_summaries(u, "nep_b_tcp_nat_opensesame_clientside");
	check_summaries(u, "nep_c_icmp_nocrypto");
	check_summaries(u, "nep_e2_ipv6_tcp_bpf");
	check_summaries(u, "nep_h_udp_payload_zeroed");
}

/* The brief's example lines, from packets built with the same fields. */
UNIT_TEST(test_summary_examples)
{
	struct pkt_layer l;
	struct pkt_parsed p;
	uint8_t buf[256];
	char s[256];
	int n;

	memset(&l, 0, sizeof(l));
	l.ip.version = 4;
	pkt_addr_pton("10.1.20.128", &l.ip.src);
	pkt_addr_pton("178.79.165.17", &l.ip.dst);
	l.ip.ttl = 64;
	l.ip.id = 32523;
	l.l4 = PKT_L4_UDP;
	l.udp.sport = 53;
	l.udp.dport = 40125;
	n = pkt_build(&l, NULL, 0, buf, sizeof(buf), NULL);
	CHECK_EQ(n, 28);
	CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
	pkt_summary(&p, PKT_DETAIL_LOW, s, sizeof(s));
	CHECK_STR(s, "UDP 10.1.20.128:53 > 178.79.165.17:40125 ttl=64 "
		     "id=32523 iplen=28 ");

	memset(&l, 0, sizeof(l));
	l.ip.version = 4;
	pkt_addr_pton("10.0.0.1", &l.ip.src);
	pkt_addr_pton("10.0.0.2", &l.ip.dst);
	l.ip.ttl = 64;
	l.ip.id = 5;
	l.l4 = PKT_L4_ICMP;
	l.icmp.type = 8;
	l.icmp.id = 1;
	l.icmp.seq = 1;
	n = pkt_build(&l, NULL, 0, buf, sizeof(buf), NULL);
	CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
	pkt_summary(&p, PKT_DETAIL_LOW, s, sizeof(s));
	CHECK_STR(s, "ICMP [10.0.0.1 > 10.0.0.2 Echo request (type=8/code=0) "
		     "id=1 seq=1] IP [ttl=64 id=5 iplen=28 ]");
	/* snprintf-style: a short buffer still reports the full length. */
	CHECK_EQ(pkt_summary(&p, PKT_DETAIL_LOW, s, 10),
		 (int)strlen("ICMP [10.0.0.1 > 10.0.0.2 Echo request "
			     "(type=8/code=0) "
			     "id=1 seq=1] IP [ttl=64 id=5 iplen=28 ]"));
	CHECK_EQ(strlen(s), 9);
}

/* ------------------------------------------------------------ round trips */

static void addrs(struct pkt_layer *l, int v)
{
	l->ip.version = v;
	if (v == 4) {
		pkt_addr_pton("198.18.0.1", &l->ip.src);
		pkt_addr_pton("198.18.5.9", &l->ip.dst);
	} else {
		pkt_addr_pton("2001:2::1", &l->ip.src);
		pkt_addr_pton("2001:2:0:5::9", &l->ip.dst);
	}
}

UNIT_TEST(test_roundtrip_ip)
{
	static const uint8_t opts[4] = {1, 1, 1, 0};
	static const uint8_t data[5] = "abcde";
	struct pkt_layer l;
	struct pkt_parsed p;
	uint8_t buf[256];
	int n;

	memset(&l, 0, sizeof(l));
	addrs(&l, 4);
	l.ip.ttl = 7, l.ip.tos = 0xb8, l.ip.id = 0xbeef, l.ip.df = true;
	l.ip.opts = opts, l.ip.opt_len = 4;
	l.l4 = PKT_L4_OTHER, l.ip.proto = 253;
	n = pkt_build(&l, data, 5, buf, sizeof(buf), NULL);
	CHECK_EQ(n, 29);
	CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
	CHECK_EQ(p.outer.ip.version, 4);
	CHECK_EQ(p.outer.ip.ttl, 7);
	CHECK_EQ(p.outer.ip.tos, 0xb8);
	CHECK_EQ(p.outer.ip.id, 0xbeef);
	CHECK(p.outer.ip.df && !p.outer.ip.mf);
	CHECK_EQ(p.outer.ip.hdr_len, 24);
	CHECK_EQ(p.outer.ip.opt_len, 4);
	CHECK_EQ(p.outer.ip.proto, 253);
	CHECK_EQ(p.outer.ip.checksum_ok, PKT_CKSUM_OK);
	CHECK(pkt_addr_eq(&p.outer.ip.src, &l.ip.src));
	CHECK(pkt_addr_eq(&p.outer.ip.dst, &l.ip.dst));
	CHECK_EQ(p.outer.l4, PKT_L4_OTHER);
	CHECK_EQ(p.outer.l4_len, 5);

	memset(&l, 0, sizeof(l));
	addrs(&l, 6);
	l.ip.ttl = 3, l.ip.tos = 0x2e, l.ip.flow_label = 0xabcde;
	l.l4 = PKT_L4_OTHER, l.ip.proto = 59; /* no next header */
	n = pkt_build(&l, data, 5, buf, sizeof(buf), NULL);
	CHECK_EQ(n, 45);
	CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
	CHECK_EQ(p.outer.ip.version, 6);
	CHECK_EQ(p.outer.ip.ttl, 3);
	CHECK_EQ(p.outer.ip.tos, 0x2e);
	CHECK_EQ(p.outer.ip.flow_label, 0xabcde);
	CHECK_EQ(p.outer.ip.total_len, 45);
	CHECK(pkt_addr_eq(&p.outer.ip.dst, &l.ip.dst));
}

UNIT_TEST(test_roundtrip_tcp)
{
	int v;

	for (v = 4; v <= 6; v += 2) {
		struct pkt_layer l;
		struct pkt_parsed p;
		const struct pkt_tcp *t = &p.outer.tcp;
		uint8_t buf[256];
		int n;

		memset(&l, 0, sizeof(l));
		addrs(&l, v);
		l.ip.ttl = 64;
		l.l4 = PKT_L4_TCP;
		l.tcp.sport = 43210, l.tcp.dport = 80;
		l.tcp.seq = 0xdeadbeef, l.tcp.ack = 0x01020304;
		l.tcp.flags = PKT_TCP_SYN | PKT_TCP_ACK | PKT_TCP_ECE;
		l.tcp.win = 29200, l.tcp.urg = 0;
		l.tcp.has_mss = true, l.tcp.mss = 1460;
		l.tcp.sack_ok = true;
		l.tcp.has_ts = true, l.tcp.ts_val = 123456, l.tcp.ts_ecr = 7;
		l.tcp.has_wscale = true, l.tcp.wscale = 7;
		n = pkt_build(&l, (const uint8_t *)"xy", 2, buf, sizeof(buf),
			      NULL);
		CHECK_EQ(n, (v == 4 ? 20 : 40) + 40 + 2);
		CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
		CHECK_EQ(p.outer.l4, PKT_L4_TCP);
		CHECK_EQ(t->sport, 43210);
		CHECK_EQ(t->dport, 80);
		CHECK_EQ(t->seq, 0xdeadbeef);
		CHECK_EQ(t->ack, 0x01020304);
		CHECK_EQ(t->flags, PKT_TCP_SYN | PKT_TCP_ACK | PKT_TCP_ECE);
		CHECK_EQ(t->win, 29200);
		CHECK_EQ(t->doff, 40);
		CHECK(t->has_mss && t->mss == 1460);
		CHECK(t->sack_ok);
		CHECK(t->has_ts && t->ts_val == 123456 && t->ts_ecr == 7);
		CHECK(t->has_wscale && t->wscale == 7);
		CHECK_EQ(t->data_len, 2);
		CHECK_EQ(t->checksum_ok, PKT_CKSUM_OK);
		/* Linux's SYN option layout: mss, sackOK, TS, nop, wscale */
		{
			char s[512];

			pkt_summary(&p, PKT_DETAIL_NORMAL, s, sizeof(s));
			CHECK(strstr(s, " <mss 1460,sackOK,timestamp 123456 7,"
					"nop,wscale 7>]") != NULL);
		}
		/* A flipped byte in the payload breaks the checksum. */
		buf[n - 1] ^= 0x40;
		CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
		CHECK_EQ(t->checksum_ok, PKT_CKSUM_BAD);
	}
}

UNIT_TEST(test_roundtrip_udp)
{
	int v;

	for (v = 4; v <= 6; v += 2) {
		struct pkt_layer l;
		struct pkt_parsed p;
		uint8_t buf[256];
		int n;

		memset(&l, 0, sizeof(l));
		addrs(&l, v);
		l.l4 = PKT_L4_UDP;
		l.udp.sport = 40000, l.udp.dport = 33434;
		n = pkt_build(&l, (const uint8_t *)"hello", 5, buf, sizeof(buf),
			      NULL);
		CHECK_EQ(n, (v == 4 ? 20 : 40) + 13);
		CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
		CHECK_EQ(p.outer.l4, PKT_L4_UDP);
		CHECK_EQ(p.outer.udp.sport, 40000);
		CHECK_EQ(p.outer.udp.dport, 33434);
		CHECK_EQ(p.outer.udp.len, 13);
		CHECK_EQ(p.outer.udp.data_len, 5);
		CHECK_MEM(p.outer.udp.data, "hello", 5);
		CHECK_EQ(p.outer.udp.checksum_ok, PKT_CKSUM_OK);
		CHECK(p.outer.udp.checksum != 0);
	}
}

/* An ICMP error quoting a probe: both layers parse. */
static int build_error(int v, uint8_t type, uint8_t code, uint8_t *buf,
		       size_t cap, size_t quote_cut)
{
	struct pkt_layer probe, err;
	uint8_t q[256];
	int qn;

	memset(&probe, 0, sizeof(probe));
	addrs(&probe, v);
	probe.ip.ttl = 1, probe.ip.id = 4242;
	probe.l4 = PKT_L4_UDP;
	probe.udp.sport = 50000, probe.udp.dport = 33435;
	qn = pkt_build(&probe, (const uint8_t *)"0123456789", 10, q, sizeof(q),
		       NULL);
	if (quote_cut && quote_cut < (size_t)qn)
		qn = (int)quote_cut;
	memset(&err, 0, sizeof(err));
	addrs(&err, v);
	pkt_addr_pton(v == 4 ? "198.18.3.3" : "2001:2:0:3::3", &err.ip.src);
	err.ip.dst = probe.ip.src;
	err.ip.ttl = 255;
	err.l4 = PKT_L4_ICMP;
	err.icmp.type = type, err.icmp.code = code;
	err.icmp.mtu = 1280, err.icmp.pointer = 9;
	return pkt_build(&err, q, (size_t)qn, buf, cap, NULL);
}

UNIT_TEST(test_roundtrip_icmp_errors)
{
	static const struct {
		int v;
		uint8_t type, code;
	} cases[] = {
		{4, 3, 3}, {4, 11, 0}, {4, 3, 4}, {4, 12, 0}, {4, 3, 13},
		{6, 1, 4}, {6, 2, 0},  {6, 3, 0}, {6, 4, 1},  {6, 1, 0},
	};
	size_t i, cut;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		for (cut = 0; cut <= 28; cut += 28) {
			struct pkt_parsed p;
			uint8_t buf[512];
			const struct pkt_layer *in = &p.inner;
			int n = build_error(cases[i].v, cases[i].type,
					    cases[i].code, buf, sizeof(buf),
					    cases[i].v == 4 ? cut
					    : cut	    ? cut + 20
							    : 0);

			CHECK(n > 0);
			CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
			CHECK_EQ(p.outer.l4, PKT_L4_ICMP);
			CHECK_EQ(p.outer.icmp.type, cases[i].type);
			CHECK_EQ(p.outer.icmp.code, cases[i].code);
			CHECK_EQ(p.outer.icmp.checksum_ok, PKT_CKSUM_OK);
			CHECK(p.has_inner);
			CHECK_EQ(in->l4, PKT_L4_UDP);
			CHECK_EQ(in->udp.sport, 50000);
			CHECK_EQ(in->udp.dport, 33435);
			CHECK_EQ(in->ip.ttl, 1);
			CHECK_EQ(in->ip.version, cases[i].v);
			if (cases[i].v == 4)
				CHECK_EQ(in->ip.id, 4242);
			if ((cases[i].v == 4 && cases[i].type == 3 &&
			     cases[i].code == 4) ||
			    (cases[i].v == 6 && cases[i].type == 2))
				CHECK_EQ(p.outer.icmp.mtu, 1280);
			if (cases[i].type == 12 ||
			    (cases[i].v == 6 && cases[i].type == 4))
				CHECK_EQ(p.outer.icmp.pointer, 9);
		}
	}
}

UNIT_TEST(test_roundtrip_echo)
{
	int v;

	for (v = 4; v <= 6; v += 2) {
		struct pkt_layer l;
		struct pkt_parsed p;
		uint8_t buf[256];
		int n;

		memset(&l, 0, sizeof(l));
		addrs(&l, v);
		l.l4 = PKT_L4_ICMP;
		l.icmp.type = v == 4 ? 0 : 129;
		l.icmp.id = 0x1234, l.icmp.seq = 77;
		n = pkt_build(&l, (const uint8_t *)"pingdata", 8, buf,
			      sizeof(buf), NULL);
		CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
		CHECK_EQ(p.outer.icmp.v6, v == 6);
		CHECK_EQ(p.outer.icmp.id, 0x1234);
		CHECK_EQ(p.outer.icmp.seq, 77);
		CHECK_EQ(p.outer.icmp.data_len, 8);
		CHECK_EQ(p.outer.icmp.checksum_ok, PKT_CKSUM_OK);
		CHECK(!p.has_inner);
	}
}

/* ------------------------------------------------------------ probes */

UNIT_TEST(test_build_probe)
{
	static const enum pkt_probe_proto protos[] = {
		PKT_PROBE_ICMP, PKT_PROBE_UDP, PKT_PROBE_TCP};
	size_t i;
	int v;

	for (v = 4; v <= 6; v += 2) {
		for (i = 0; i < 3; i++) {
			struct pkt_probe pr;
			struct pkt_parsed p;
			uint8_t buf[256], pay[12] = "paris-probe";
			size_t need = 0;
			int n;

			memset(&pr, 0, sizeof(pr));
			pr.proto = protos[i];
			pkt_addr_pton(v == 4 ? "127.0.0.1" : "::1", &pr.src);
			pr.dst = pr.src;
			pr.ttl = 5, pr.ip_id = 999, pr.df = true;
			pr.flow_label = 0x12345;
			pr.icmp_id = 7, pr.icmp_seq = 8;
			pr.sport = 1111, pr.dport = 2222, pr.tcp_seq = 31337;
			pr.tcp_mss = 1460;
			pr.payload = pay, pr.payload_len = sizeof(pay);
			pr.force_csum = true, pr.csum = 0x4242;
			n = pkt_build_probe(&pr, buf, sizeof(buf), &need);
			CHECK(n > 0);
			CHECK_EQ(need, (size_t)n);
			CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
			CHECK_EQ(p.outer.ip.ttl, 5);
			if (v == 4) {
				CHECK_EQ(p.outer.ip.id, 999);
				CHECK(p.outer.ip.df);
			} else {
				CHECK_EQ(p.outer.ip.flow_label, 0x12345);
			}
			switch (protos[i]) {
			case PKT_PROBE_ICMP:
				CHECK_EQ(p.outer.icmp.type, v == 4 ? 8 : 128);
				CHECK_EQ(p.outer.icmp.id, 7);
				CHECK_EQ(p.outer.icmp.seq, 8);
				CHECK_EQ(p.outer.icmp.checksum, 0x4242);
				CHECK_EQ(p.outer.icmp.checksum_ok,
					 PKT_CKSUM_OK);
				break;
			case PKT_PROBE_UDP:
				CHECK_EQ(p.outer.udp.dport, 2222);
				CHECK_EQ(p.outer.udp.checksum, 0x4242);
				CHECK_EQ(p.outer.udp.checksum_ok, PKT_CKSUM_OK);
				break;
			case PKT_PROBE_TCP:
				CHECK_EQ(p.outer.tcp.flags, PKT_TCP_SYN);
				CHECK_EQ(p.outer.tcp.seq, 31337);
				CHECK_EQ(p.outer.tcp.win, 1480);
				CHECK(p.outer.tcp.has_mss);
				CHECK_EQ(p.outer.tcp.checksum, 0x4242);
				CHECK_EQ(p.outer.tcp.checksum_ok, PKT_CKSUM_OK);
				break;
			}
			/* Too small a buffer: an error and the size needed. */
			CHECK_EQ(
				pkt_build_probe(&pr, buf, (size_t)n - 1, &need),
				PKT_ERR_SPACE);
			CHECK_EQ(need, (size_t)n);
		}
	}
}

UNIT_TEST(test_build_echo_dgram)
{
	struct pkt_parsed p;
	uint8_t buf[64];
	size_t need;
	int n, i;

	/* Paris: different seqs, one checksum. */
	for (i = 1; i <= 3; i++) {
		n = pkt_build_echo(AF_INET, 99, (uint16_t)i,
				   (const uint8_t *)"..abcdef", 8, true, 0xbeef,
				   buf, sizeof(buf), &need);
		CHECK_EQ(n, 16);
		CHECK_EQ(
			pkt_parse_icmp(buf, (size_t)n, AF_INET, NULL, NULL, &p),
			0);
		CHECK_EQ(p.outer.icmp.seq, i);
		CHECK_EQ(p.outer.icmp.checksum, 0xbeef);
		CHECK_EQ(p.outer.icmp.checksum_ok, PKT_CKSUM_OK);
	}
	n = pkt_build_echo(AF_INET6, 1, 2, NULL, 0, false, 0, buf, sizeof(buf),
			   &need);
	CHECK_EQ(n, 8);
	CHECK_EQ(buf[0], 128);
	CHECK_EQ(
		pkt_build_echo(AF_INET, 1, 2, NULL, 0, false, 0, buf, 7, &need),
		PKT_ERR_SPACE);
	CHECK_EQ(need, 8);
	CHECK_EQ(
		pkt_build_echo(AF_INET, 1, 2, NULL, 0, true, 1, buf, 64, &need),
		PKT_ERR_INVAL);
}

UNIT_TEST(test_csum_force)
{
	uint8_t seg[32];
	unsigned want;

	for (want = 1; want < 0x10000; want += 4099) {
		memset(seg, 0x5a, sizeof(seg));
		CHECK_EQ(pkt_csum_force(seg, sizeof(seg), 2, 8, (uint16_t)want,
					0x1234),
			 0);
		CHECK_EQ((seg[2] << 8) | seg[3], want);
		CHECK_EQ(pkt_csum_fold(pkt_csum_add(0x1234, seg, sizeof(seg))),
			 0);
	}
	CHECK_EQ(pkt_csum_force(seg, sizeof(seg), 2, 7, 1, 0), PKT_ERR_INVAL);
	CHECK_EQ(pkt_csum_force(seg, sizeof(seg), 2, 2, 1, 0), PKT_ERR_INVAL);
	CHECK_EQ(pkt_csum_force(seg, sizeof(seg), 2, 31, 1, 0), PKT_ERR_INVAL);
}

/* ------------------------------------------------------------ extensions */

static int build_mpls_error(int v, bool legacy, uint8_t *buf, size_t cap)
{
	struct pkt_layer err;
	struct pkt_icmp_ext ext;
	uint8_t q[256];
	int n;

	memset(q, 0, sizeof(q));
	n = build_error(v, v == 4 ? 11 : 3, 0, q, sizeof(q), 0);
	/* take the quotation part of that error, pad to 128 bytes */
	memmove(q, q + (v == 4 ? 28 : 48), (size_t)n - (v == 4 ? 28 : 48));
	memset(q + n - (v == 4 ? 28 : 48), 0, 128);
	memset(&ext, 0, sizeof(ext));
	ext.n_mpls = 2;
	ext.mpls[0] = (struct pkt_mpls){16005, 3, false, 254};
	ext.mpls[1] = (struct pkt_mpls){1048575, 0, true, 1};
	n = pkt_build_icmp_ext(&ext, q + 128, sizeof(q) - 128, NULL);
	memset(&err, 0, sizeof(err));
	addrs(&err, v);
	err.l4 = PKT_L4_ICMP;
	err.icmp.type = v == 4 ? 11 : 3;
	err.icmp.length = legacy ? 0 : (uint8_t)(128 / (v == 4 ? 4 : 8));
	return pkt_build(&err, q, 128 + (size_t)n, buf, cap, NULL);
}

UNIT_TEST(test_icmp_mpls_extension)
{
	int v, legacy;

	for (v = 4; v <= 6; v += 2) {
		for (legacy = 0; legacy <= (v == 4); legacy++) {
			struct pkt_parsed p;
			const struct pkt_icmp_ext *e = &p.outer.icmp.ext;
			uint8_t buf[512];
			int n = build_mpls_error(v, legacy, buf, sizeof(buf));

			CHECK(n > 0);
			CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
			CHECK(e->present);
			CHECK_EQ(e->err, 0);
			CHECK_EQ(e->n_objects, 1);
			CHECK_EQ(e->n_mpls, 2);
			CHECK_EQ(e->mpls[0].label, 16005);
			CHECK_EQ(e->mpls[0].tc, 3);
			CHECK(!e->mpls[0].bottom);
			CHECK_EQ(e->mpls[0].ttl, 254);
			CHECK_EQ(e->mpls[1].label, 1048575);
			CHECK(e->mpls[1].bottom);
			CHECK_EQ(e->checksum_ok, PKT_CKSUM_OK);
			CHECK_EQ(p.outer.icmp.data_len, 128);
			CHECK(p.has_inner);
			CHECK_EQ(p.inner.udp.dport, 33435);
			/* A broken object length is reported, not fatal. */
			buf[n - 12 + 1] = 0xff;
			CHECK_EQ(pkt_parse(buf, (size_t)n, &p), 0);
			if (!legacy) {
				CHECK(e->present);
				CHECK_EQ(e->err, PKT_ERR_ICMP_EXT);
			}
		}
	}
}

/* ------------------------------------------------------------ bad input */

/* Every prefix of a valid packet is an error, never a crash; each is
 * parsed from an exact-size heap copy so an overread is caught by ASan. */
static void check_prefixes(struct unit *u, const uint8_t *pkt, size_t len)
{
	struct pkt_parsed whole;
	size_t n;

	/* Frames may be padded (Ethernet minimum): cut at the datagram. */
	CHECK_EQ(pkt_parse(pkt, len, &whole), 0);
	if (whole.outer.ip.total_len < len)
		len = whole.outer.ip.total_len;

	for (n = 0; n < len; n++) {
		uint8_t *c = malloc(n ? n : 1);
		struct pkt_parsed p;
		char s[512];
		int err;

		memcpy(c, pkt, n);
		err = pkt_parse(c, n, &p);
		CHECK(err < 0);
		if (err < 0)
			CHECK(strcmp(pkt_strerror(err),
				     "unknown packet error"));
		pkt_summary(&p, PKT_DETAIL_HIGH, s, sizeof(s));
		free(c);
	}
}

/* The same for what a datagram socket returns: the ICMP message alone has
 * no length field, so only a cut inside its 8-byte header is an error;
 * a cut quotation still parses as far as it goes. */
static void check_icmp_prefixes(struct unit *u, const uint8_t *pkt, size_t len)
{
	struct pkt_parsed whole;
	const uint8_t *icmp;
	size_t n, ilen;
	int fam;

	if (pkt_parse(pkt, len, &whole) || whole.outer.l4 != PKT_L4_ICMP)
		return;
	icmp = whole.outer.l4_start;
	ilen = whole.outer.l4_len;
	fam = whole.outer.icmp.v6 ? AF_INET6 : AF_INET;
	for (n = 0; n <= ilen; n++) {
		uint8_t *c = malloc(n ? n : 1);
		struct pkt_parsed p;
		char s[512];
		int err;

		memcpy(c, icmp, n);
		err = pkt_parse_icmp(c, n, fam, &whole.outer.ip.src,
				     &whole.outer.ip.dst, &p);
		CHECK_EQ(err == 0, n >= 8);
		if (err == 0 && n == ilen)
			CHECK_EQ(p.outer.icmp.checksum_ok, PKT_CKSUM_OK);
		pkt_summary(&p, PKT_DETAIL_NORMAL, s, sizeof(s));
		free(c);
	}
}

UNIT_TEST(test_truncated_every_length)
{
	struct capture c;
	uint8_t buf[512];
	size_t f, i;
	int n;

	for (f = 0; f < NFIX; f++) {
		if (load_pcap(all_fixtures[f], &c))
			continue;
		for (i = 0; i < c.n; i++) {
			size_t off = link_hdr(c.dlt);

			check_prefixes(u, c.pkt[i] + off, c.len[i] - off);
			check_icmp_prefixes(u, c.pkt[i] + off, c.len[i] - off);
		}
		free_pcap(&c);
	}
	n = build_error(4, 11, 0, buf, sizeof(buf), 0);
	check_prefixes(u, buf, (size_t)n);
	n = build_error(6, 1, 4, buf, sizeof(buf), 0);
	check_prefixes(u, buf, (size_t)n);
	n = build_mpls_error(4, false, buf, sizeof(buf));
	check_prefixes(u, buf, (size_t)n);
}

/* ICMP from datagram sockets: no IP header, no length field. */
UNIT_TEST(test_dgram_icmp)
{
	struct pkt_parsed p;
	struct pkt_addr a, b;
	uint8_t buf[64];
	size_t k;
	int n;

	n = pkt_build_echo(AF_INET, 5, 6, (const uint8_t *)"abcd", 4, false, 0,
			   buf, sizeof(buf), NULL);
	buf[0] = 0; /* make it a reply */
	buf[2] = buf[3] = 0;
	{
		uint16_t ck = pkt_checksum(buf, (size_t)n);

		buf[2] = (uint8_t)(ck >> 8), buf[3] = (uint8_t)ck;
	}
	for (k = 0; k <= (size_t)n; k++) {
		uint8_t *c = malloc(k ? k : 1);

		memcpy(c, buf, k);
		CHECK_EQ(pkt_parse_icmp(c, k, AF_INET, NULL, NULL, &p) == 0,
			 k >= 8);
		free(c);
	}
	CHECK_EQ(pkt_parse_icmp(buf, (size_t)n, AF_INET, NULL, NULL, &p), 0);
	CHECK_EQ(p.outer.ip.version, 0);
	CHECK_EQ(p.outer.icmp.type, 0);
	CHECK_EQ(p.outer.icmp.id, 5);
	CHECK_EQ(p.outer.icmp.seq, 6);
	CHECK_EQ(p.outer.icmp.checksum_ok, PKT_CKSUM_OK);

	/* ICMPv6: the checksum is checkable only with both addresses. */
	pkt_addr_pton("::1", &a);
	b = a;
	{
		struct pkt_layer l;

		memset(&l, 0, sizeof(l));
		l.ip.src = a, l.ip.dst = b;
		l.l4 = PKT_L4_ICMP, l.icmp.v6 = true, l.icmp.type = 129;
		l.icmp.id = 1, l.icmp.seq = 2;
		n = pkt_build_l4(&l, NULL, 0, buf, sizeof(buf), NULL);
		CHECK_EQ(n, 8);
	}
	CHECK_EQ(pkt_parse_icmp(buf, 8, AF_INET6, &a, &b, &p), 0);
	CHECK_EQ(p.outer.icmp.checksum_ok, PKT_CKSUM_OK);
	CHECK_EQ(pkt_parse_icmp(buf, 8, AF_INET6, NULL, NULL, &p), 0);
	CHECK_EQ(p.outer.icmp.checksum_ok, PKT_CKSUM_UNCHECKED);
	CHECK_EQ(pkt_parse_icmp(buf, 8, AF_UNIX, NULL, NULL, &p),
		 PKT_ERR_INVAL);
}

static int build_tcp4(uint8_t *buf, size_t cap)
{
	struct pkt_layer l;

	memset(&l, 0, sizeof(l));
	addrs(&l, 4);
	l.l4 = PKT_L4_TCP;
	l.tcp.sport = 1, l.tcp.dport = 2;
	l.tcp.has_mss = true, l.tcp.mss = 536;
	return pkt_build(&l, NULL, 0, buf, cap, NULL);
}

UNIT_TEST(test_corrupted_fields)
{
	struct pkt_parsed p;
	uint8_t b[128], o[128];
	int n = build_tcp4(o, sizeof(o));

	CHECK_EQ(n, 44);
#define RESET() memcpy(b, o, (size_t)n)
	RESET(), b[0] = 0x55;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_VERSION);
	RESET(), b[0] = 0x44;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_IHL);
	RESET(), b[0] = 0x4f;
	CHECK_EQ(pkt_parse(b, 40, &p), PKT_ERR_TRUNCATED);
	RESET(), b[3] = 45;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_TOTLEN);
	RESET(), b[2] = 0, b[3] = 19;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_TOTLEN_SHORT);
	/* IHL 6 with an option whose length runs past the header. */
	RESET(), b[0] = 0x46, b[20] = 0x44, b[21] = 8;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_OPTIONS);
	RESET(), b[32] = 0x40;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_TCP_OFFSET);
	RESET(), b[32] = 0xf0;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_TCP_OFFSET);
	RESET(), b[41] = 9; /* MSS option length 9 > 4 left */
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_OPTIONS);
	RESET(), b[11] ^= 1;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), 0);
	CHECK_EQ(p.outer.ip.checksum_ok, PKT_CKSUM_BAD);
	/* A frame longer than the datagram (Ethernet padding) is fine. */
	RESET(), memset(b + n, 0, 6);
	CHECK_EQ(pkt_parse(b, (size_t)n + 6, &p), 0);
	CHECK_EQ(p.outer.tcp.checksum_ok, PKT_CKSUM_OK);
	/* Non-first fragments have no upper-layer header. */
	RESET(), b[6] = 0x00, b[7] = 0x10;
	CHECK_EQ(pkt_parse(b, (size_t)n, &p), 0);
	CHECK_EQ(p.outer.l4, PKT_L4_OTHER);
	CHECK_EQ(p.outer.ip.frag_off, 128);
#undef RESET

	{
		struct pkt_layer l;

		memset(&l, 0, sizeof(l));
		addrs(&l, 4);
		l.l4 = PKT_L4_UDP, l.udp.sport = 1, l.udp.dport = 2;
		n = pkt_build(&l, (const uint8_t *)"abcd", 4, o, sizeof(o),
			      NULL);
		memcpy(b, o, (size_t)n), b[25] = 7;
		CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_UDP_LEN);
		memcpy(b, o, (size_t)n), b[25] = 13;
		CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_UDP_LEN);

		addrs(&l, 6);
		n = pkt_build(&l, (const uint8_t *)"abcd", 4, o, sizeof(o),
			      NULL);
		memcpy(b, o, (size_t)n), b[5] = 13;
		CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_TOTLEN);
		/* next header: hop-by-hop whose length runs out */
		memcpy(b, o, (size_t)n), b[6] = 0, b[41] = 5;
		CHECK_EQ(pkt_parse(b, (size_t)n, &p), PKT_ERR_EXTHDR);
		/* a real hop-by-hop header (8 bytes, next header UDP) */
		memcpy(b, o, 40);
		b[5] = 20, b[6] = 0;
		memset(b + 40, 0, 8), b[40] = 17, b[42] = 1, b[43] = 4;
		memcpy(b + 48, o + 40, 12);
		CHECK_EQ(pkt_parse(b, 60, &p), 0);
		CHECK_EQ(p.outer.ip.proto, 17);
		CHECK_EQ(p.outer.ip.hdr_len, 48);
		CHECK_EQ(p.outer.udp.checksum_ok, PKT_CKSUM_OK);
	}
}

UNIT_TEST(test_strerror)
{
	int e;
	const char *seen[16];
	size_t ns = 0, i;

	for (e = PKT_ERR_TOTLEN_SHORT; e <= PKT_OK; e++) {
		const char *s = pkt_strerror(e);

		CHECK(s && *s);
		CHECK(strcmp(s, "unknown packet error") != 0);
		for (i = 0; i < ns; i++)
			CHECK(strcmp(seen[i], s) != 0);
		seen[ns++] = s;
	}
	CHECK_STR(pkt_strerror(PKT_ERR_TRUNCATED), "truncated packet");
	CHECK_STR(pkt_strerror(-99), "unknown packet error");
}

UNIT_TEST(test_builder_space)
{
	uint8_t buf[64];
	size_t need = 0;
	struct pkt_layer l;

	CHECK_EQ(build_tcp4(buf, 43), PKT_ERR_SPACE);
	memset(&l, 0, sizeof(l));
	addrs(&l, 4);
	l.l4 = PKT_L4_UDP;
	CHECK_EQ(pkt_build(&l, NULL, 0, buf, 27, &need), PKT_ERR_SPACE);
	CHECK_EQ(need, 28);
	CHECK_EQ(pkt_build(&l, NULL, 0, buf, 28, &need), 28);
	l.ip.src.family = AF_INET6;
	CHECK_EQ(pkt_build(&l, NULL, 0, buf, 64, &need), PKT_ERR_INVAL);
	l.ip.version = 5;
	CHECK_EQ(pkt_build(&l, NULL, 0, buf, 64, &need), PKT_ERR_INVAL);
}

/* ------------------------------------------------------------ link */

UNIT_TEST(test_link_layers)
{
	uint8_t ip[64], f[128];
	struct pkt_parsed p;
	int n = build_tcp4(ip, sizeof(ip));

	/* Ethernet with one 802.1Q tag */
	memset(f, 0, 18);
	f[12] = 0x81, f[13] = 0x00, f[16] = 0x08, f[17] = 0x00;
	memcpy(f + 18, ip, (size_t)n);
	CHECK_EQ(pkt_parse_link(f, 18 + (size_t)n, DLT_EN10MB, &p), 0);
	CHECK_EQ(p.outer.tcp.mss, 536);
	f[17] = 0x06; /* ARP */
	CHECK_EQ(pkt_parse_link(f, 18 + (size_t)n, DLT_EN10MB, &p),
		 PKT_ERR_LINK);
	/* Linux cooked v1: protocol at 14 */
	memset(f, 0, 16);
	f[14] = 0x08;
	memcpy(f + 16, ip, (size_t)n);
	CHECK_EQ(pkt_parse_link(f, 16 + (size_t)n, DLT_LINUX_SLL, &p), 0);
	CHECK_EQ(pkt_parse_link(f, 15, DLT_LINUX_SLL, &p), PKT_ERR_LINK);
	/* BSD loopback and raw */
	memset(f, 0, 4);
	f[0] = 2;
	memcpy(f + 4, ip, (size_t)n);
	CHECK_EQ(pkt_parse_link(f, 4 + (size_t)n, DLT_NULL, &p), 0);
	CHECK_EQ(pkt_parse_link(ip, (size_t)n, DLT_RAW, &p), 0);
	CHECK_EQ(pkt_parse_link(ip, (size_t)n, 9999, &p), PKT_ERR_LINK);
}

/* ------------------------------------------------------------ texts */

UNIT_TEST(test_ping_texts)
{
	/* What iputils ping 20221126 prints after "From x icmp_seq=N ". */
	static const struct {
		bool v6;
		uint8_t type, code;
		uint32_t mtu, ptr;
		const char *text;
	} t[] = {
		{false, 11, 0, 0, 0, "Time to live exceeded"},
		{false, 11, 1, 0, 0, "Frag reassembly time exceeded"},
		{false, 3, 0, 0, 0, "Destination Net Unreachable"},
		{false, 3, 1, 0, 0, "Destination Host Unreachable"},
		{false, 3, 2, 0, 0, "Destination Protocol Unreachable"},
		{false, 3, 3, 0, 0, "Destination Port Unreachable"},
		{false, 3, 4, 1400, 0, "Frag needed and DF set (mtu = 1400)"},
		{false, 3, 13, 0, 0, "Packet filtered"},
		{false, 3, 99, 0, 0, "Dest Unreachable, Bad Code: 99"},
		{false, 12, 0, 0, 20, "Parameter problem: pointer = 20"},
		{false, 5, 1, 0, 0, "Redirect Host"},
		{false, 4, 0, 0, 0, "Source Quench"},
		{true, 1, 0, 0, 0, "Destination unreachable: No route"},
		{true, 1, 3, 0, 0,
		 "Destination unreachable: Address unreachable"},
		{true, 1, 4, 0, 0, "Destination unreachable: Port unreachable"},
		{true, 1, 1, 0, 0,
		 "Destination unreachable: Administratively prohibited"},
		{true, 2, 0, 1280, 0, "Packet too big: mtu=1280"},
		{true, 3, 0, 0, 0, "Time exceeded: Hop limit"},
		{true, 3, 1, 0, 0, "Time exceeded: Defragmentation failure"},
		{true, 4, 1, 0, 40, "Parameter problem: Unknown header at 40"},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		struct pkt_icmp ic;
		char s[128];

		memset(&ic, 0, sizeof(ic));
		ic.v6 = t[i].v6, ic.type = t[i].type, ic.code = t[i].code;
		ic.mtu = t[i].mtu, ic.pointer = t[i].ptr;
		CHECK_EQ(pkt_icmp_ping_format(&ic, s, sizeof(s)),
			 (int)strlen(t[i].text));
		CHECK_STR(s, t[i].text);
	}
	CHECK_STR(pkt_icmp_ping_text(false, 11, 0), "Time to live exceeded");
	CHECK_STR(pkt_icmp_name(false, 11, 0), "TTL=0 during transit");
	CHECK_STR(pkt_icmp_name(false, 77, 0), "Unknown type");
}

/*
 * ICMP errors a router (namespace chain, nftables reject, small MTU, no
 * ARP answer) sent to iputils ping: our text for each is what ping
 * printed, and every line ping printed comes from one of them.
 */
UNIT_TEST(test_ping_texts_captured)
{
	struct capture c;
	struct lines l;
	bool seen[MAX_LINES];
	size_t i, j, errors = 0;

	if (load_pcap("ping_errors", &c) || load_lines("ping_errors", &l)) {
		CHECK(!"fixture missing");
		return;
	}
	memset(seen, 0, sizeof(seen));
	for (i = 0; i < c.n; i++) {
		struct pkt_parsed p;
		char s[128];

		if (pkt_parse_link(c.pkt[i], c.len[i], c.dlt, &p) ||
		    p.outer.l4 != PKT_L4_ICMP ||
		    !pkt_icmp_is_error(p.outer.icmp.v6, p.outer.icmp.type))
			continue;
		errors++;
		pkt_icmp_ping_format(&p.outer.icmp, s, sizeof(s));
		for (j = 0; j < l.n; j++)
			if (strcmp(s, l.s[j]) == 0)
				break;
		if (j == l.n)
			unit_failf(u, __FILE__, __LINE__,
				   "type %u code %u: ours \"%s\" not printed "
				   "by ping",
				   p.outer.icmp.type, p.outer.icmp.code, s);
		else
			seen[j] = true;
	}
	for (j = 0; j < l.n; j++)
		CHECK(seen[j]);
	CHECK(errors >= 17);
	CHECK_EQ(l.n, 17);
	free_lines(&l);
	free_pcap(&c);
}

UNIT_TEST(test_addr_helpers)
{
	struct pkt_addr a, b;
	struct sockaddr_in6 s6;
	char t[64];

	CHECK_EQ(pkt_addr_pton("2001:2::5", &a), 0);
	CHECK_STR(pkt_addr_ntop(&a, t, sizeof(t)), "2001:2::5");
	memset(&s6, 0, sizeof(s6));
	s6.sin6_family = AF_INET6;
	memcpy(&s6.sin6_addr, a.a, 16);
	CHECK_EQ(pkt_addr_from_sockaddr((struct sockaddr *)&s6, &b), 0);
	CHECK(pkt_addr_eq(&a, &b));
	CHECK_EQ(pkt_addr_pton("not-an-address", &a), PKT_ERR_INVAL);
	CHECK_STR(pkt_addr_ntop(&a, t, sizeof(t)), "?");
}

/* ------------------------------------------------------------ IPv4 options */

/* Options of replies iputils' ping -R / -T got across one router
 * (198.18.0.1 - r1 - 198.18.1.2), as tcpdump showed them on the wire. */
static const uint8_t rr_reply[40] = {
	0x07, 0x27, 0x18, 198, 18, 0, 1, 198, 18, 1, 1, 198,
	18,   1,    2,	  198, 18, 1, 2, 198, 18, 0, 2,
};
static const uint8_t ts_addr_reply[36] = {
	0x44, 0x24, 0x25, 0x11, 198,  18,   0,	  1,	0x02, 0xae, 0x0d, 0xf3,
	198,  18,   0,	  2,	0x02, 0xae, 0x0d, 0xf3, 198,  18,   1,	  2,
	0x02, 0xae, 0x0e, 0x11, 198,  18,   1,	  2,	0x02, 0xae, 0x0e, 0x11,
};
static const uint8_t ts_prespec_reply[20] = {
	0x44, 0x14, 0x15, 0x03, 198, 18, 0,    2,    0x02, 0xae,
	0x0e, 0x35, 198,  18,	1,   1,	 0x02, 0xae, 0x0e, 0x53,
};

static const char *ipv4_txt(const struct pkt_addr *a, char *buf, size_t len)
{
	return pkt_addr_ntop(a, buf, len);
}

UNIT_TEST(test_ipopt_build)
{
	uint8_t b[64], want[40];
	struct pkt_addr hops[5];
	size_t need = 0, i;

	memset(want, 0, sizeof(want));
	want[0] = 1, want[1] = 7, want[2] = 39, want[3] = 4;
	CHECK_EQ(pkt_ipopt_build_rr(b, sizeof(b), &need), 40);
	CHECK_EQ(need, 40);
	CHECK_MEM(b, want, 40);
	CHECK_EQ(pkt_ipopt_build_rr(b, 39, &need), PKT_ERR_SPACE);
	CHECK_EQ(need, 40);

	memset(want, 0, sizeof(want));
	want[0] = 68, want[1] = 40, want[2] = 5, want[3] = 0;
	CHECK_EQ(pkt_ipopt_build_ts(PKT_TS_ONLY, NULL, 0, b, sizeof(b), &need),
		 40);
	CHECK_MEM(b, want, 40);
	want[1] = 36, want[3] = 1;
	CHECK_EQ(pkt_ipopt_build_ts(PKT_TS_ADDR, NULL, 0, b, sizeof(b), &need),
		 36);
	CHECK_MEM(b, want, 36);

	for (i = 0; i < 5; i++)
		CHECK_EQ(pkt_addr_pton(i ? "198.18.1.1" : "198.18.0.2",
				       &hops[i]),
			 0);
	memset(want, 0, sizeof(want));
	memcpy(want,
	       "\x44\x14\x05\x03\xc6\x12\x00\x02\0\0\0\0"
	       "\xc6\x12\x01\x01\0\0\0\0",
	       20);
	CHECK_EQ(pkt_ipopt_build_ts(PKT_TS_PRESPEC, hops, 2, b, sizeof(b),
				    &need),
		 20);
	CHECK_MEM(b, want, 20);
	CHECK_EQ(pkt_ipopt_build_ts(PKT_TS_PRESPEC, hops, 2, b, 19, &need),
		 PKT_ERR_SPACE);
	CHECK_EQ(need, 20);
	CHECK_EQ(
		pkt_ipopt_build_ts(PKT_TS_PRESPEC, hops, 0, b, sizeof(b), NULL),
		PKT_ERR_INVAL);
	CHECK_EQ(
		pkt_ipopt_build_ts(PKT_TS_PRESPEC, hops, 5, b, sizeof(b), NULL),
		PKT_ERR_INVAL);
	CHECK_EQ(pkt_addr_pton("2001:2::1", &hops[1]), 0);
	CHECK_EQ(
		pkt_ipopt_build_ts(PKT_TS_PRESPEC, hops, 2, b, sizeof(b), NULL),
		PKT_ERR_INVAL);
	CHECK_EQ(pkt_ipopt_build_ts((enum pkt_ts_kind)2, NULL, 0, b, sizeof(b),
				    NULL),
		 PKT_ERR_INVAL);
}

UNIT_TEST(test_ipopt_parse_wire)
{
	struct pkt_ipopts o;
	char t[64];

	CHECK_EQ(pkt_ipopts_parse(rr_reply, sizeof(rr_reply), &o), 0);
	CHECK(o.rr.present);
	CHECK(!o.ts.present);
	CHECK_EQ(o.rr.n, 5);
	CHECK_STR(ipv4_txt(&o.rr.addr[0], t, sizeof(t)), "198.18.0.1");
	CHECK_STR(ipv4_txt(&o.rr.addr[1], t, sizeof(t)), "198.18.1.1");
	CHECK_STR(ipv4_txt(&o.rr.addr[3], t, sizeof(t)), "198.18.1.2");
	CHECK_STR(ipv4_txt(&o.rr.addr[4], t, sizeof(t)), "198.18.0.2");

	CHECK_EQ(pkt_ipopts_parse(ts_addr_reply, sizeof(ts_addr_reply), &o), 0);
	CHECK(o.ts.present);
	CHECK(!o.rr.present);
	CHECK_EQ(o.ts.kind, PKT_TS_ADDR);
	CHECK_EQ(o.ts.overflow, 1);
	CHECK_EQ(o.ts.n, 4);
	CHECK_STR(ipv4_txt(&o.ts.e[1].addr, t, sizeof(t)), "198.18.0.2");
	CHECK_EQ(o.ts.e[0].ms, 0x02ae0df3);
	CHECK_EQ(o.ts.e[3].ms, 0x02ae0e11);

	CHECK_EQ(pkt_ipopts_parse(ts_prespec_reply, sizeof(ts_prespec_reply),
				  &o),
		 0);
	CHECK_EQ(o.ts.kind, PKT_TS_PRESPEC);
	CHECK_EQ(o.ts.overflow, 0);
	CHECK_EQ(o.ts.n, 2);
	CHECK_STR(ipv4_txt(&o.ts.e[1].addr, t, sizeof(t)), "198.18.1.1");
	CHECK_EQ(o.ts.e[1].ms, 0x02ae0e53);
}

/* Every prefix of a real option, in an exact-size heap copy: cut inside
 * the option it is an error, never a read past the end. */
UNIT_TEST(test_ipopt_truncated)
{
	const uint8_t *src[3] = {rr_reply, ts_addr_reply, ts_prespec_reply};
	size_t k, n;

	for (k = 0; k < 3; k++) {
		/* up to the option's own length (the RR one has a pad) */
		for (n = 0; n < src[k][1]; n++) {
			uint8_t *b = malloc(n ? n : 1);
			struct pkt_ipopts o;
			int rc;

			memcpy(b, src[k], n);
			rc = pkt_ipopts_parse(b, n, &o);
			CHECK_EQ(rc, n == 0 ? 0 : PKT_ERR_OPTIONS);
			CHECK(!o.rr.present && !o.ts.present);
			free(b);
		}
	}
}

UNIT_TEST(test_ipopt_malformed)
{
	struct pkt_ipopts o;
	/* the pointer past the length: at most what the length holds */
	uint8_t rr_full[40] = {1, 7, 39, 255};
	uint8_t rr_lowptr[7] = {7, 7, 2, 1, 2, 3, 4};
	uint8_t ts_odd[12] = {68, 12, 11, 0x30, 1, 2, 3, 4, 5, 6, 7, 8};
	uint8_t nop_eol[6] = {1, 1, 0, 7, 0, 0}; /* after EOL: ignored */
	uint8_t zero_len[4] = {1, 7, 0, 4};
	uint8_t one_len[3] = {68, 1, 5};
	uint8_t rr_short[2] = {7, 2};
	uint8_t ts_short[3] = {68, 3, 5};
	uint8_t other_first[12] = {0x83, 3, 4, 68, 8, 9, 0x01, 0, 0, 0, 0, 0};
	uint8_t two_rr[14] = {7, 7, 8, 10, 0, 0, 1, 7, 7, 8, 10, 0, 0, 2};

	CHECK_EQ(pkt_ipopts_parse(rr_full, sizeof(rr_full), &o), 0);
	CHECK_EQ(o.rr.n, 9);
	CHECK_EQ(pkt_ipopts_parse(rr_lowptr, sizeof(rr_lowptr), &o), 0);
	CHECK(o.rr.present);
	CHECK_EQ(o.rr.n, 0);
	/* a pointer inside the second entry: the first one only */
	CHECK_EQ(pkt_ipopts_parse(ts_odd, sizeof(ts_odd), &o), 0);
	CHECK_EQ(o.ts.kind, PKT_TS_ONLY);
	CHECK_EQ(o.ts.overflow, 3);
	CHECK_EQ(o.ts.n, 1);
	CHECK_EQ(o.ts.e[0].ms, 0x01020304);
	CHECK_EQ(o.ts.e[0].addr.family, 0);
	CHECK_EQ(pkt_ipopts_parse(nop_eol, sizeof(nop_eol), &o), 0);
	CHECK(!o.rr.present);
	CHECK_EQ(pkt_ipopts_parse(zero_len, sizeof(zero_len), &o),
		 PKT_ERR_OPTIONS);
	CHECK_EQ(pkt_ipopts_parse(one_len, sizeof(one_len), &o),
		 PKT_ERR_OPTIONS);
	CHECK_EQ(pkt_ipopts_parse(rr_short, sizeof(rr_short), &o),
		 PKT_ERR_OPTIONS);
	CHECK_EQ(pkt_ipopts_parse(ts_short, sizeof(ts_short), &o),
		 PKT_ERR_OPTIONS);
	/* an unknown option is skipped by its length */
	CHECK_EQ(pkt_ipopts_parse(other_first, sizeof(other_first), &o), 0);
	CHECK(o.ts.present);
	CHECK_EQ(o.ts.n, 0);
	CHECK_EQ(pkt_ipopts_parse(two_rr, sizeof(two_rr), &o), 0);
	CHECK_EQ(o.rr.n, 1);
	CHECK_EQ(o.rr.addr[0].a[3], 1);
	CHECK_EQ(pkt_ipopts_parse(NULL, 0, &o), 0);
}

/* ------------------------------------------------------------ node info */

/* A reply to -N name as tests/helpers/ni_responder.py sends it: names
 * a.b (fqdn), single (single-component) and c.d. */
static const uint8_t ni_names_reply[] = {
	140, 0,	  0,   0,   0,	 2,   0, 0, 0,	 1,   2,   3,	4,
	5,   6,	  7,   0,   0,	 0,   0, 1, 'a', 1,   'b', 0,	6,
	's', 'i', 'n', 'g', 'l', 'e', 0, 0, 1,	 'c', 1,   'd', 0,
};

/* The text of a reply with qtype, code and data, as ping -N prints it. */
static const char *ni_text(uint16_t qtype, uint8_t code, const uint8_t *d,
			   size_t n, char *out, size_t cap)
{
	uint8_t b[256];
	struct pkt_ni ni;

	memset(b, 0, PKT_NI_HDR);
	b[0] = PKT_NI_REPLY;
	b[1] = code;
	b[5] = (uint8_t)qtype;
	if (n)
		memcpy(b + PKT_NI_HDR, d, n);
	if (pkt_ni_parse(b, PKT_NI_HDR + n, &ni) != 0)
		return "(parse failed)";
	pkt_ni_reply_text(&ni, out, cap);
	return out;
}

UNIT_TEST(test_ni_build)
{
	/* iputils' -N name to 2001:2:0:1::2 on the wire (checksum 0: the
	 * kernel fills it), with our nonce in place of its */
	static const uint8_t want[] = {
		0x8b, 0,    0,	  0,	0,    2,    0,	  0, 0x12, 0x34, 0,
		1,    0xde, 0xad, 0xbe, 0xef, 0x20, 0x01, 0, 2,	   0,	 0,
		0,    1,    0,	  0,	0,    0,    0,	  0, 0,	   2,
	};
	uint8_t nonce[8], b[64], n[300];
	struct pkt_addr a;
	struct pkt_ni ni;
	uint16_t id, seq;
	uint32_t secret;
	size_t need = 0;
	char name[300];

	pkt_ni_make_nonce(0x1234, 1, 0xdeadbeef, nonce);
	pkt_ni_split_nonce(nonce, &id, &seq, &secret);
	CHECK_EQ(id, 0x1234);
	CHECK_EQ(seq, 1);
	CHECK_EQ(secret, 0xdeadbeef);
	CHECK_EQ(pkt_addr_pton("2001:2:0:1::2", &a), 0);
	CHECK_EQ(pkt_ni_build_query(PKT_NI_NAME, 0, PKT_NI_SUBJ_IPV6, nonce,
				    a.a, 16, b, sizeof(b), &need),
		 32);
	CHECK_MEM(b, want, sizeof(want));
	CHECK_EQ(pkt_ni_build_query(PKT_NI_NAME, 0, PKT_NI_SUBJ_IPV6, nonce,
				    a.a, 16, b, 31, &need),
		 PKT_ERR_SPACE);
	CHECK_EQ(need, 32);
	CHECK_EQ(pkt_ni_parse(b, 32, &ni), 0);
	CHECK_EQ(ni.type, PKT_NI_QUERY);
	CHECK_EQ(ni.qtype, PKT_NI_NAME);
	CHECK_EQ(ni.data_len, 16);
	CHECK_MEM(ni.nonce, nonce, 8);
	/* flags (ipv6-global + ipv6-sitelocal as iputils sends them) */
	CHECK_EQ(pkt_ni_build_query(PKT_NI_ADDRS, PKT_NI_FLAG_G | PKT_NI_FLAG_S,
				    PKT_NI_SUBJ_IPV6, nonce, a.a, 16, b,
				    sizeof(b), NULL),
		 32);
	CHECK_MEM(b + 4, "\x00\x03\x00\x30", 4);
	CHECK_EQ(pkt_ni_build_query(PKT_NI_NAME, 0, (enum pkt_ni_subject)3,
				    nonce, NULL, 0, b, sizeof(b), NULL),
		 PKT_ERR_INVAL);

	/* names as iputils encodes subject-name=foo, =foo.bar, =foo. */
	CHECK_EQ(pkt_ni_encode_name("foo", false, n, sizeof(n), &need), 6);
	CHECK_MEM(n,
		  "\x03"
		  "foo\0\0",
		  6);
	CHECK_EQ(pkt_ni_encode_name("foo.bar", true, n, sizeof(n), &need), 9);
	CHECK_MEM(n,
		  "\x03"
		  "foo\x03"
		  "bar\0",
		  9);
	CHECK_EQ(pkt_ni_encode_name("foo.", true, n, sizeof(n), NULL), 5);
	CHECK_MEM(n,
		  "\x03"
		  "foo\0",
		  5);
	CHECK_EQ(pkt_ni_encode_name("foo.bar.", true, n, sizeof(n), NULL), 9);
	CHECK_EQ(pkt_ni_encode_name("foo.bar", false, n, sizeof(n), NULL),
		 PKT_ERR_INVAL);
	CHECK_EQ(pkt_ni_encode_name("a..b", true, n, sizeof(n), NULL),
		 PKT_ERR_INVAL);
	CHECK_EQ(pkt_ni_encode_name("", true, n, sizeof(n), NULL),
		 PKT_ERR_INVAL);
	CHECK_EQ(pkt_ni_encode_name(".", true, n, sizeof(n), NULL),
		 PKT_ERR_INVAL);
	CHECK_EQ(pkt_ni_encode_name("foo", false, n, 5, &need), PKT_ERR_SPACE);
	CHECK_EQ(need, 6);
	memset(name, 'x', 64);
	name[64] = 0;
	CHECK_EQ(pkt_ni_encode_name(name, true, n, sizeof(n), NULL),
		 PKT_ERR_INVAL);
	name[63] = 0;
	CHECK_EQ(pkt_ni_encode_name(name, true, n, sizeof(n), NULL), 65);
	memset(name, 'x', 260);
	for (need = 63; need < 260; need += 64)
		name[need] = '.';
	name[260] = 0;
	CHECK_EQ(pkt_ni_encode_name(name, true, n, sizeof(n), NULL),
		 PKT_ERR_INVAL);
}

/* The texts iputils' ping -N printed for these replies from
 * ni_responder.py (tests/net/ping.bats compares the two programs). */
UNIT_TEST(test_ni_reply_text)
{
	static const uint8_t a6[] = {
		0, 0, 0, 0, 0x20, 1, 0, 2, 0, 0, 0,    1,    0, 0,
		0, 0, 0, 0, 0,	  2, 0, 0, 0, 0, 0xfe, 0x80, 0, 0,
		0, 0, 0, 0, 0,	  0, 0, 0, 0, 0, 0,    2,
	};
	static const uint8_t a4[] = {0, 0, 0, 0, 198, 18, 1,  2,
				     0, 0, 0, 0, 198, 18, 99, 2};
	static const uint8_t nm[] = {0, 0, 0, 0, 3, 'f', 'o', 'o', 0};
	struct pkt_ni ni;
	char t[256];

	CHECK_EQ(pkt_ni_parse(ni_names_reply, sizeof(ni_names_reply), &ni), 0);
	CHECK_EQ(pkt_ni_reply_text(&ni, t, sizeof(t)), 19);
	CHECK_STR(t, " a.b., single, c.d.");
	CHECK_STR(ni_text(PKT_NI_NAME, 0, nm, sizeof(nm), t, sizeof(t)),
		  " foo.");
	CHECK_STR(ni_text(PKT_NI_NAME, 0, nm, 4, t, sizeof(t)), "");
	CHECK_STR(ni_text(PKT_NI_NAME, 0, nm, 0, t, sizeof(t)),
		  " parse error (too short)");
	CHECK_STR(ni_text(PKT_NI_NAME, 0, nm, 5, t, sizeof(t)),
		  " parse error (truncated)");
	CHECK_STR(ni_text(PKT_NI_NAME, 0, nm, 8, t, sizeof(t)),
		  " parse error (truncated)");
	CHECK_STR(ni_text(PKT_NI_ADDRS, 0, a6, sizeof(a6), t, sizeof(t)),
		  " 2001:2:0:1::2, fe80::2");
	CHECK_STR(ni_text(PKT_NI_ADDRS, 0, a6, 30, t, sizeof(t)),
		  " 2001:2:0:1::2, parse error (truncated)");
	CHECK_STR(ni_text(PKT_NI_ADDRS, 0, a6, 4, t, sizeof(t)),
		  " parse error (truncated)");
	CHECK_STR(ni_text(PKT_NI_ADDRS, 0, a6, 0, t, sizeof(t)), "");
	CHECK_STR(ni_text(PKT_NI_IPV4, 0, a4, sizeof(a4), t, sizeof(t)),
		  " 198.18.1.2, 198.18.99.2");
	CHECK_STR(ni_text(PKT_NI_IPV4, 0, a4, 12, t, sizeof(t)),
		  " 198.18.1.2, parse error (truncated)");
	CHECK_STR(ni_text(PKT_NI_NAME, 1, NULL, 0, t, sizeof(t)), " refused");
	CHECK_STR(ni_text(PKT_NI_NAME, 2, NULL, 0, t, sizeof(t)), " unknown");
	CHECK_STR(ni_text(PKT_NI_NAME, 7, NULL, 0, t, sizeof(t)),
		  " unknown code(07)");
	CHECK_STR(ni_text(9, 0, NULL, 0, t, sizeof(t)), " unknown qtype(0x09)");
	CHECK_STR(ni_text(PKT_NI_NOOP, 0, NULL, 0, t, sizeof(t)), "");
	/* compression pointers are not allowed in NI names */
	CHECK_STR(ni_text(PKT_NI_NAME, 0, (const uint8_t *)"\0\0\0\0\xc0\x0c",
			  6, t, sizeof(t)),
		  " parse error (truncated)");
	/* a short buffer: terminated, the full length returned */
	CHECK_EQ(pkt_ni_reply_text(&ni, t, 6), 19);
	CHECK_STR(t, " a.b.");
	CHECK_EQ(pkt_ni_parse(ni_names_reply, sizeof(ni_names_reply), &ni), 0);
	CHECK_EQ(pkt_ni_reply_text(&ni, NULL, 0), 19);
}

/* Every prefix of a reply, in an exact-size heap copy. */
UNIT_TEST(test_ni_truncated)
{
	size_t n;

	for (n = 0; n <= sizeof(ni_names_reply); n++) {
		uint8_t *b = malloc(n ? n : 1);
		struct pkt_ni ni;
		char t[128];
		int rc;

		memcpy(b, ni_names_reply, n);
		rc = pkt_ni_parse(b, n, &ni);
		CHECK_EQ(rc, n < PKT_NI_HDR ? PKT_ERR_TRUNCATED : 0);
		if (rc == 0) {
			CHECK(pkt_ni_reply_text(&ni, t, sizeof(t)) >= 0);
			/* cut inside a label: an error, not a name */
			if (n == 23 || n == 29)
				CHECK_STR(t,
					  n == 23 ? " parse error (truncated)"
						  : " a.b., parse error "
						    "(truncated)");
		}
		free(b);
	}
	CHECK_EQ(pkt_ni_parse((const uint8_t *)"\x80\0\0\0\0\0\0\0\0\0\0\0"
					       "\0\0\0\0",
			      16, &(struct pkt_ni){0}),
		 PKT_ERR_INVAL);
}

UNIT_MAIN(UNIT_CASE(test_checksum_rfc1071), UNIT_CASE(test_checksum_words),
	  UNIT_CASE(test_checksum_captured),
	  UNIT_CASE(test_rebuild_captured), UNIT_CASE(test_summary_nping_tcp),
	  UNIT_CASE(test_summary_nping_udp), UNIT_CASE(test_summary_nping_icmp),
	  UNIT_CASE(test_summary_nep_vectors), UNIT_CASE(test_summary_examples),
	  UNIT_CASE(test_roundtrip_ip), UNIT_CASE(test_roundtrip_tcp),
	  UNIT_CASE(test_roundtrip_udp), UNIT_CASE(test_roundtrip_icmp_errors),
	  UNIT_CASE(test_roundtrip_echo), UNIT_CASE(test_build_probe),
	  UNIT_CASE(test_build_echo_dgram), UNIT_CASE(test_csum_force),
	  UNIT_CASE(test_icmp_mpls_extension),
	  UNIT_CASE(test_truncated_every_length), UNIT_CASE(test_dgram_icmp),
	  UNIT_CASE(test_corrupted_fields), UNIT_CASE(test_strerror),
	  UNIT_CASE(test_builder_space), UNIT_CASE(test_link_layers),
	  UNIT_CASE(test_ping_texts), UNIT_CASE(test_ping_texts_captured),
	  UNIT_CASE(test_addr_helpers), UNIT_CASE(test_ipopt_build),
	  UNIT_CASE(test_ipopt_parse_wire), UNIT_CASE(test_ipopt_truncated),
	  UNIT_CASE(test_ipopt_malformed), UNIT_CASE(test_ni_build),
	  UNIT_CASE(test_ni_reply_text), UNIT_CASE(test_ni_truncated))
