/*
 * test_probe - the probe table and reply matching, on replies captured
 * from real tools (tests/unit/fixtures) and on crafted ICMP errors,
 * forged ones included.
 */
#include "packet.h"
#include "probe.h"
#include "unit.h"

#include <errno.h>
#include <sys/resource.h>
#include <netinet/in.h>
#include <pcap/pcap.h>
#include <stdlib.h>
#include <string.h>

#ifndef FIXTURES
#define FIXTURES "tests/unit/fixtures"
#endif

static void table(struct probe_table *t, size_t cap, bool ignore_id,
		  enum probe_udp_key k)
{
	struct probe_table_cfg c = {cap, ignore_id, k};

	if (probe_table_init(t, &c) != 0)
		abort();
}

static struct probe icmp_probe(const char *dst, uint16_t id, uint16_t seq)
{
	struct probe p;

	memset(&p, 0, sizeof(p));
	p.f.proto = PKT_PROBE_ICMP;
	pkt_addr_pton(dst, &p.f.dst);
	p.f.icmp_id = id;
	p.f.icmp_seq = seq;
	p.seq = seq;
	return p;
}

UNIT_TEST(test_table_basics)
{
	struct probe_table t;
	struct probe p = icmp_probe("198.18.0.2", 7, 1), *a, *b, *c;
	struct probe_table_cfg bad = {0, false, PROBE_UDP_PORTS};

	CHECK_EQ(probe_table_init(&t, &bad), -1);
	CHECK_EQ(errno, EINVAL);
	table(&t, 2, false, PROBE_UDP_PORTS);
	a = probe_add(&t, &p);
	CHECK(a != NULL);
	CHECK(probe_add(&t, &p) == NULL);
	CHECK_EQ(errno, EEXIST);
	p.f.icmp_seq = 2, p.seq = 2;
	b = probe_add(&t, &p);
	CHECK(b != NULL && b != a);
	p.f.icmp_seq = 3;
	CHECK(probe_add(&t, &p) == NULL);
	CHECK_EQ(errno, ENOSPC);
	CHECK_EQ(probe_count(&t), 2);
	p.f.icmp_seq = 1;
	CHECK(probe_find(&t, &p.f) == a);
	p.f.icmp_id = 8; /* another id: not ours */
	CHECK(probe_find(&t, &p.f) == NULL);
	probe_remove(&t, a);
	CHECK_EQ(probe_count(&t), 1);
	/* b did not move */
	p.f.icmp_id = 7, p.f.icmp_seq = 2;
	CHECK(probe_find(&t, &p.f) == b);
	CHECK_EQ(b->seq, 2);
	p.f.icmp_seq = 9;
	c = probe_add(&t, &p);
	CHECK(c != NULL);
	probe_remove(&t, c);
	probe_remove(&t, c); /* twice: ignored */
	CHECK_EQ(probe_count(&t), 1);
	probe_table_free(&t);
}

/* A long random run against a plain array as the reference: the table
 * always finds exactly what the model holds, and never grows. */
UNIT_TEST(test_table_random_model)
{
	enum { CAP = 64, KEYS = 200, OPS = 100000 };
	struct probe_table t;
	bool in[KEYS];
	struct probe *where[KEYS];
	unsigned seed = 12345;
	size_t i, held = 0, errors = 0;

	memset(in, 0, sizeof(in));
	table(&t, CAP, false, PROBE_UDP_PORTS);
	for (i = 0; i < OPS; i++) {
		unsigned k;
		struct probe p;

		seed = seed * 1103515245u + 12345u;
		k = (seed >> 8) % KEYS;
		p = icmp_probe("2001:2::7", (uint16_t)(k % 3), (uint16_t)k);
		if (in[k]) {
			if (probe_find(&t, &p.f) != where[k])
				errors++;
			probe_remove(&t, where[k]);
			in[k] = false, held--;
		} else {
			struct probe *r = probe_add(&t, &p);

			if ((held < CAP) != (r != NULL))
				errors++;
			if (r)
				in[k] = true, where[k] = r, held++;
		}
		if (probe_count(&t) != held)
			errors++;
	}
	for (i = 0; i < KEYS; i++) {
		struct probe p =
			icmp_probe("2001:2::7", (uint16_t)(i % 3), (uint16_t)i);

		if ((probe_find(&t, &p.f) != NULL) != in[i])
			errors++;
	}
	CHECK_EQ(errors, 0);
	probe_table_free(&t);
}

static long max_rss_kb(void)
{
	struct rusage ru;

	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

/* A million probes through a 64-slot table: echo replies built and
 * parsed, each matched and removed, the late ones expired; the process
 * does not grow (DESIGN.md: no per-probe allocation kept). */
UNIT_TEST(test_million_probes_constant_memory)
{
	struct probe_table t;
	long before;
	uint32_t i, matched = 0;
	size_t expired = 0;

	table(&t, 64, false, PROBE_UDP_PORTS);
	before = max_rss_kb();
	for (i = 0; i < 1000000; i++) {
		struct probe p = icmp_probe("198.18.0.2", 77, (uint16_t)i);
		struct pkt_layer l;
		struct pkt_parsed pp;
		struct probe_match m;
		uint8_t buf[64];
		int n;

		p.tx_mono_ns = i;
		if (!probe_add(&t, &p)) {
			/* 16-bit seq wrapped onto a probe still in flight */
			expired +=
				probe_expire(&t, (int64_t)i - 32, NULL, NULL);
			if (!probe_add(&t, &p))
				continue;
		}
		if (i % 10 == 9)
			continue; /* lost: left for probe_expire */
		memset(&l, 0, sizeof(l));
		l.ip.version = 4;
		pkt_addr_pton("198.18.0.2", &l.ip.src);
		pkt_addr_pton("198.18.0.1", &l.ip.dst);
		l.l4 = PKT_L4_ICMP;
		l.icmp.id = 77, l.icmp.seq = (uint16_t)i;
		n = pkt_build(&l, NULL, 0, buf, sizeof(buf), NULL);
		if (n > 0 && pkt_parse(buf, (size_t)n, &pp) == 0 &&
		    probe_match(&t, &pp, NULL, &m)) {
			matched++;
			probe_remove(&t, m.probe);
		}
		if (probe_count(&t) >= 60)
			expired +=
				probe_expire(&t, (int64_t)i - 32, NULL, NULL);
	}
	CHECK_EQ(matched, 900000);
	CHECK(expired + probe_count(&t) >= 99000);
	CHECK(probe_count(&t) <= 64);
	CHECK(max_rss_kb() - before < 1024);
	probe_table_free(&t);
}

static void count_expired(const struct probe *p, void *arg)
{
	*(uint32_t *)arg += p->seq;
}

UNIT_TEST(test_expire)
{
	struct probe_table t;
	uint32_t sum = 0;
	int i;

	table(&t, 16, false, PROBE_UDP_PORTS);
	for (i = 1; i <= 10; i++) {
		struct probe p = icmp_probe("127.0.0.1", 1, (uint16_t)i);

		p.tx_mono_ns = (int64_t)i * 1000000;
		CHECK(probe_add(&t, &p) != NULL);
	}
	/* probes sent before 4 ms: 1, 2, 3 */
	CHECK_EQ(probe_expire(&t, 4000000, count_expired, &sum), 3);
	CHECK_EQ(sum, 6);
	CHECK_EQ(probe_count(&t), 7);
	CHECK_EQ(probe_expire(&t, 4000000, NULL, NULL), 0);
	{
		struct probe p = icmp_probe("127.0.0.1", 1, 4);
		struct probe q = icmp_probe("127.0.0.1", 1, 3);

		CHECK(probe_find(&t, &p.f) != NULL);
		CHECK(probe_find(&t, &q.f) == NULL);
	}
	CHECK_EQ(probe_expire(&t, INT64_MAX, NULL, NULL), 7);
	CHECK_EQ(probe_count(&t), 0);
	probe_table_free(&t);
}

/* ------------------------------------------------------------ captures */

struct capture {
	int dlt;
	size_t n;
	struct pkt_parsed p[64];
	uint8_t *buf[64];
};

static int load(const char *name, struct capture *c)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	const char *dir = getenv("ECHOLOT_SRCDIR");
	struct pcap_pkthdr *h;
	const u_char *d;
	pcap_t *pc;

	if (dir)
		snprintf(path, sizeof(path), "%s/tests/unit/fixtures/%s.pcap",
			 dir, name);
	else
		snprintf(path, sizeof(path), "%s/%s.pcap", FIXTURES, name);
	memset(c, 0, sizeof(*c));
	pc = pcap_open_offline(path, err);
	if (!pc)
		return -1;
	c->dlt = pcap_datalink(pc);
	while (c->n < 64 && pcap_next_ex(pc, &h, &d) == 1) {
		c->buf[c->n] = malloc(h->caplen);
		memcpy(c->buf[c->n], d, h->caplen);
		if (pkt_parse_link(c->buf[c->n], h->caplen, c->dlt,
				   &c->p[c->n]) == 0)
			c->n++;
		else
			free(c->buf[c->n]);
	}
	pcap_close(pc);
	return 0;
}

static void unload(struct capture *c)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		free(c->buf[i]);
}

/* The probe a captured packet was, as its sender recorded it. */
static struct probe probe_of(const struct pkt_layer *l)
{
	struct probe p;

	memset(&p, 0, sizeof(p));
	p.f.dst = l->ip.dst;
	p.f.ip_id = l->ip.id;
	p.ttl = l->ip.ttl;
	switch (l->l4) {
	case PKT_L4_ICMP:
		p.f.proto = PKT_PROBE_ICMP;
		p.f.icmp_id = l->icmp.id;
		p.f.icmp_seq = l->icmp.seq;
		break;
	case PKT_L4_UDP:
		p.f.proto = PKT_PROBE_UDP;
		p.f.sport = l->udp.sport;
		p.f.dport = l->udp.dport;
		p.f.udp_csum = l->udp.checksum;
		break;
	default:
		p.f.proto = PKT_PROBE_TCP;
		p.f.sport = l->tcp.sport;
		p.f.dport = l->tcp.dport;
		p.f.tcp_seq = l->tcp.seq;
		break;
	}
	return p;
}

static bool is_probe(const struct pkt_layer *l)
{
	switch (l->l4) {
	case PKT_L4_ICMP:
		return l->icmp.type == (l->icmp.v6 ? 128 : 8);
	case PKT_L4_UDP:
		return true;
	case PKT_L4_TCP:
		return l->tcp.flags == PKT_TCP_SYN;
	default:
		return false;
	}
}

/*
 * Replays a capture: every probe goes into the table (nping resends
 * identical probes: the copy is refused with EEXIST), every other packet
 * must match one of them with the expected kinds.
 */
static void replay(struct unit *u, const char *name, enum probe_reply k1,
		   enum probe_reply k2, size_t want)
{
	struct probe_table t;
	struct capture c;
	size_t i, matched = 0, probes = 0;

	if (load(name, &c)) {
		CHECK(!"fixture missing");
		return;
	}
	table(&t, 64, false, PROBE_UDP_CSUM);
	for (i = 0; i < c.n; i++) {
		struct probe_match m;
		struct probe p;

		if (is_probe(&c.p[i].outer)) {
			p = probe_of(&c.p[i].outer);
			if (probe_add(&t, &p))
				probes++;
			continue;
		}
		/* The kernel's own RST to nping's SYN-ACK is no answer. */
		if (c.p[i].outer.l4 == PKT_L4_TCP &&
		    !(c.p[i].outer.tcp.flags & PKT_TCP_ACK))
			continue;
		CHECK(probe_match(&t, &c.p[i], NULL, &m));
		if (!m.probe)
			continue;
		CHECK(m.kind == k1 || m.kind == k2);
		CHECK(pkt_addr_eq(&m.from, &c.p[i].outer.ip.src));
		matched++;
	}
	CHECK(probes > 0);
	CHECK_EQ(matched, want);
	unload(&c);
	probe_table_free(&t);
}

UNIT_TEST(test_match_captured)
{
	/* nping SYNs to an open and a closed port, twice each */
	replay(u, "nping_tcp_low", PROBE_REPLY_TCP_SYNACK, PROBE_REPLY_TCP_RST,
	       4);
	replay(u, "nping_udp_low", PROBE_REPLY_PORT_UNREACH,
	       PROBE_REPLY_PORT_UNREACH, 2);
	replay(u, "nping_icmp_low", PROBE_REPLY_ECHO, PROBE_REPLY_ECHO, 2);
	replay(u, "ping4", PROBE_REPLY_ECHO, PROBE_REPLY_ECHO, 3);
	replay(u, "ping6", PROBE_REPLY_ECHO, PROBE_REPLY_ECHO, 3);
	replay(u, "traceroute4", PROBE_REPLY_PORT_UNREACH,
	       PROBE_REPLY_PORT_UNREACH, 2);
	replay(u, "traceroute6", PROBE_REPLY_PORT_UNREACH,
	       PROBE_REPLY_PORT_UNREACH, 2);
}

/*
 * traceroute (UDP, -I, -T; v4 and v6) through two routers, one probe at a
 * time: each answer matches the probe it answers, with the kind a trace
 * needs (time exceeded from r1 and r2, then the server's answer) and the
 * TTL the probe was sent with.
 */
UNIT_TEST(test_match_trace_chain)
{
	struct probe_table t;
	struct capture c;
	size_t i, kinds[PROBE_REPLY_OTHER_ERROR + 1] = {0};

	if (load("trace_chain", &c)) {
		CHECK(!"fixture missing");
		return;
	}
	table(&t, 64, false, PROBE_UDP_PORTS);
	for (i = 0; i < c.n; i++) {
		const struct pkt_layer *o = &c.p[i].outer;
		struct probe_match m;

		if (is_probe(o)) {
			struct probe p = probe_of(o);

			CHECK(probe_add(&t, &p) != NULL);
			continue;
		}
		/* the kernel's own MLD reports answer nothing */
		if (o->l4 == PKT_L4_ICMP && o->icmp.v6 && o->icmp.type >= 130)
			continue;
		CHECK(probe_match(&t, &c.p[i], NULL, &m));
		if (!m.probe)
			continue;
		kinds[m.kind]++;
		if (m.kind == PROBE_REPLY_TTL_EXCEEDED) {
			/* r1 answers TTL 1, r2 TTL 2; one hop left in the
			 * quotation when it expired */
			CHECK(m.probe->ttl == 1 || m.probe->ttl == 2);
			CHECK_EQ(m.quoted_ttl, 1);
		} else {
			CHECK_EQ(m.probe->ttl, 3);
		}
		probe_remove(&t, m.probe);
	}
	CHECK_EQ(kinds[PROBE_REPLY_TTL_EXCEEDED], 12);
	CHECK_EQ(kinds[PROBE_REPLY_PORT_UNREACH], 2);
	CHECK_EQ(kinds[PROBE_REPLY_ECHO], 2);
	CHECK_EQ(kinds[PROBE_REPLY_TCP_RST], 2);
	CHECK_EQ(probe_count(&t), 0);
	unload(&c);
	probe_table_free(&t);
}

/* ------------------------------------------------------------ crafted */

/* Builds our probe, then a router's ICMP error quoting its first `cut`
 * bytes (0: all), and parses that error. */
static int error_for(const struct pkt_probe *pr, uint8_t type, uint8_t code,
		     const char *router, size_t cut, struct pkt_parsed *out,
		     uint8_t *buf, size_t cap)
{
	struct pkt_layer e;
	uint8_t q[256];
	int n = pkt_build_probe(pr, q, sizeof(q), NULL);

	if (n < 0)
		return n;
	if (cut && cut < (size_t)n)
		n = (int)cut;
	/* the router saw the probe with one TTL left */
	memset(&e, 0, sizeof(e));
	e.ip.version = pr->dst.family == AF_INET6 ? 6 : 4;
	pkt_addr_pton(router, &e.ip.src);
	e.ip.dst = pr->src;
	e.ip.ttl = 250;
	e.l4 = PKT_L4_ICMP;
	e.icmp.type = type, e.icmp.code = code;
	n = pkt_build(&e, q, (size_t)n, buf, cap, NULL);
	if (n < 0)
		return n;
	return pkt_parse(buf, (size_t)n, out);
}

static struct pkt_probe udp_probe(bool v6, uint16_t csum)
{
	static const uint8_t pay[16] = "traceroute-paris";
	struct pkt_probe pr;

	memset(&pr, 0, sizeof(pr));
	pr.proto = PKT_PROBE_UDP;
	pkt_addr_pton(v6 ? "2001:2::1" : "198.18.0.1", &pr.src);
	pkt_addr_pton(v6 ? "2001:2:0:9::9" : "198.18.9.9", &pr.dst);
	pr.ttl = 3, pr.ip_id = 555;
	pr.sport = 40001, pr.dport = 33434;
	pr.payload = pay, pr.payload_len = sizeof(pay);
	pr.force_csum = csum != 0, pr.csum = csum;
	return pr;
}

static struct probe recorded(const struct pkt_probe *pr)
{
	struct probe p;

	memset(&p, 0, sizeof(p));
	p.f.proto = pr->proto;
	p.f.dst = pr->dst;
	p.f.sport = pr->sport, p.f.dport = pr->dport;
	p.f.udp_csum = pr->csum;
	p.f.icmp_id = pr->icmp_id, p.f.icmp_seq = pr->icmp_seq;
	p.f.tcp_seq = pr->tcp_seq;
	p.f.ip_id = pr->ip_id;
	p.ttl = pr->ttl;
	return p;
}

/* Paris traceroute: one flow (same ports), probes told apart by the UDP
 * checksum; time exceeded from a router matches the right probe. */
UNIT_TEST(test_match_paris_udp)
{
	int v;

	for (v = 0; v < 2; v++) {
		struct probe_table t;
		struct probe *mine[3];
		uint16_t k;

		table(&t, 8, false, PROBE_UDP_CSUM);
		for (k = 1; k <= 3; k++) {
			struct pkt_probe pr =
				udp_probe(v, (uint16_t)(0x1000 * k));
			struct probe p = recorded(&pr);

			p.seq = k;
			mine[k - 1] = probe_add(&t, &p);
			CHECK(mine[k - 1] != NULL);
		}
		for (k = 3; k >= 1; k--) {
			struct pkt_probe pr =
				udp_probe(v, (uint16_t)(0x1000 * k));
			struct pkt_parsed p;
			struct probe_match m;
			uint8_t buf[512];

			CHECK_EQ(error_for(&pr, v ? 3 : 11, 0,
					   v ? "2001:2:0:2::1" : "198.18.2.1",
					   v ? 48 : 28, &p, buf, sizeof(buf)),
				 0);
			CHECK(probe_match(&t, &p, NULL, &m));
			CHECK(m.probe == mine[k - 1]);
			CHECK_EQ(m.kind, PROBE_REPLY_TTL_EXCEEDED);
			CHECK_EQ(m.quoted_ttl, 3);
			CHECK_EQ(m.icmp_type, v ? 3 : 11);
			/* destination unreachable, port: the target */
			CHECK_EQ(error_for(&pr, v ? 1 : 3, v ? 4 : 3,
					   v ? "2001:2:0:9::9" : "198.18.9.9",
					   0, &p, buf, sizeof(buf)),
				 0);
			CHECK(probe_match(&t, &p, NULL, &m));
			CHECK_EQ(m.kind, PROBE_REPLY_PORT_UNREACH);
		}
		probe_table_free(&t);
	}
}

/* Errors that quote someone else's packet, or too little of ours, match
 * nothing. */
UNIT_TEST(test_match_forged)
{
	struct probe_table t;
	struct pkt_probe pr = udp_probe(false, 0x4444);
	struct probe p = recorded(&pr);
	struct pkt_parsed pp;
	struct probe_match m;
	uint8_t buf[512];

	table(&t, 8, false, PROBE_UDP_CSUM);
	CHECK(probe_add(&t, &p) != NULL);
	/* the real one matches */
	CHECK_EQ(error_for(&pr, 11, 0, "198.18.2.1", 28, &pp, buf, sizeof(buf)),
		 0);
	CHECK(probe_match(&t, &pp, NULL, &m));
	/* another checksum (another probe of the flow, not in flight) */
	pr.csum = 0x4445;
	CHECK_EQ(error_for(&pr, 11, 0, "198.18.2.1", 28, &pp, buf, sizeof(buf)),
		 0);
	CHECK(!probe_match(&t, &pp, NULL, &m));
	CHECK(m.probe == NULL && m.kind == PROBE_REPLY_NONE);
	/* another destination */
	pr.csum = 0x4444;
	pkt_addr_pton("198.18.9.10", &pr.dst);
	CHECK_EQ(error_for(&pr, 11, 0, "198.18.2.1", 28, &pp, buf, sizeof(buf)),
		 0);
	CHECK(!probe_match(&t, &pp, NULL, &m));
	/* another source port */
	pkt_addr_pton("198.18.9.9", &pr.dst);
	pr.sport = 40002;
	CHECK_EQ(error_for(&pr, 11, 0, "198.18.2.1", 28, &pp, buf, sizeof(buf)),
		 0);
	CHECK(!probe_match(&t, &pp, NULL, &m));
	/* ours, but only 4 bytes of UDP quoted: the checksum is unknown */
	pr.sport = 40001;
	CHECK_EQ(error_for(&pr, 11, 0, "198.18.2.1", 24, &pp, buf, sizeof(buf)),
		 0);
	CHECK(!probe_match(&t, &pp, NULL, &m));
	/* an echo reply or a SYN-ACK out of nowhere */
	{
		struct pkt_probe e;
		int n;

		memset(&e, 0, sizeof(e));
		e.proto = PKT_PROBE_TCP;
		pkt_addr_pton("198.18.9.9", &e.src);
		pkt_addr_pton("198.18.0.1", &e.dst);
		e.sport = 33434, e.dport = 40001;
		e.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK, e.tcp_ack = 1;
		n = pkt_build_probe(&e, buf, sizeof(buf), NULL);
		CHECK_EQ(pkt_parse(buf, (size_t)n, &pp), 0);
		CHECK(!probe_match(&t, &pp, NULL, &m));
	}
	probe_table_free(&t);
}

/* TCP traceroute: errors quote the SYN (ports + seq); the target answers
 * with SYN-ACK or RST acknowledging seq + 1. */
UNIT_TEST(test_match_tcp)
{
	struct probe_table t;
	struct pkt_probe pr;
	struct probe p, *mine;
	struct pkt_parsed pp;
	struct probe_match m;
	uint8_t buf[512];
	int v;

	for (v = 0; v < 2; v++) {
		memset(&pr, 0, sizeof(pr));
		pr.proto = PKT_PROBE_TCP;
		pkt_addr_pton(v ? "2001:2::1" : "198.18.0.1", &pr.src);
		pkt_addr_pton(v ? "2001:2:0:9::9" : "198.18.9.9", &pr.dst);
		pr.sport = 50505, pr.dport = 443, pr.tcp_seq = 0xfffffffe;
		pr.ttl = 2;
		p = recorded(&pr);
		table(&t, 4, false, PROBE_UDP_PORTS);
		mine = probe_add(&t, &p);
		CHECK_EQ(error_for(&pr, v ? 3 : 11, 0,
				   v ? "2001:2:0:1::1" : "198.18.1.1",
				   v ? 48 : 28, &pp, buf, sizeof(buf)),
			 0);
		CHECK(probe_match(&t, &pp, NULL, &m));
		CHECK(m.probe == mine);
		CHECK_EQ(m.kind, PROBE_REPLY_TTL_EXCEEDED);
		{
			struct pkt_probe a;
			int n;

			memset(&a, 0, sizeof(a));
			a.proto = PKT_PROBE_TCP;
			a.src = pr.dst, a.dst = pr.src;
			a.sport = 443, a.dport = 50505;
			a.tcp_flags = PKT_TCP_RST | PKT_TCP_ACK;
			a.tcp_ack = 0xffffffff;
			n = pkt_build_probe(&a, buf, sizeof(buf), NULL);
			CHECK_EQ(pkt_parse(buf, (size_t)n, &pp), 0);
			CHECK(probe_match(&t, &pp, NULL, &m));
			CHECK_EQ(m.kind, PROBE_REPLY_TCP_RST);
			a.tcp_flags = PKT_TCP_SYN | PKT_TCP_ACK;
			n = pkt_build_probe(&a, buf, sizeof(buf), NULL);
			CHECK_EQ(pkt_parse(buf, (size_t)n, &pp), 0);
			CHECK(probe_match(&t, &pp, NULL, &m));
			CHECK_EQ(m.kind, PROBE_REPLY_TCP_SYNACK);
			/* the ack of another seq */
			a.tcp_ack = 5;
			n = pkt_build_probe(&a, buf, sizeof(buf), NULL);
			CHECK_EQ(pkt_parse(buf, (size_t)n, &pp), 0);
			CHECK(!probe_match(&t, &pp, NULL, &m));
		}
		probe_table_free(&t);
	}
}

/* ICMP datagram sockets: the kernel picks the id and hands us the ICMP
 * message without IP header; the sender comes from recvmsg. */
UNIT_TEST(test_match_dgram_echo)
{
	struct probe_table t;
	struct probe p = icmp_probe("127.0.0.1", 0, 42), *mine;
	struct pkt_parsed pp;
	struct probe_match m;
	struct pkt_addr from, other;
	uint8_t buf[64];
	int n;

	table(&t, 4, true, PROBE_UDP_PORTS);
	mine = probe_add(&t, &p);
	n = pkt_build_echo(AF_INET, 0x7777, 42, (const uint8_t *)"abcd", 4,
			   false, 0, buf, sizeof(buf), NULL);
	buf[0] = 0; /* the reply */
	buf[2] = buf[3] = 0;
	{
		uint16_t ck = pkt_checksum(buf, (size_t)n);

		buf[2] = (uint8_t)(ck >> 8), buf[3] = (uint8_t)ck;
	}
	CHECK_EQ(pkt_parse_icmp(buf, (size_t)n, AF_INET, NULL, NULL, &pp), 0);
	/* no IP header and no sender: nothing to match on */
	CHECK(!probe_match(&t, &pp, NULL, &m));
	pkt_addr_pton("127.0.0.1", &from);
	CHECK(probe_match(&t, &pp, &from, &m));
	CHECK(m.probe == mine);
	CHECK_EQ(m.kind, PROBE_REPLY_ECHO);
	/* the same seq from another host is not our reply */
	pkt_addr_pton("127.0.0.2", &other);
	CHECK(!probe_match(&t, &pp, &other, &m));
	/* a request is no reply */
	buf[0] = 8;
	CHECK_EQ(pkt_parse_icmp(buf, (size_t)n, AF_INET, NULL, NULL, &pp), 0);
	CHECK(!probe_match(&t, &pp, &from, &m));
	CHECK_STR(probe_reply_name(PROBE_REPLY_ECHO), "echo reply");
	CHECK_STR(probe_reply_name(PROBE_REPLY_TTL_EXCEEDED), "time exceeded");
	probe_table_free(&t);
}

/* ICMP probes (ping, trace -I): errors quote the echo request. */
UNIT_TEST(test_match_icmp_errors)
{
	static const struct {
		bool v6;
		uint8_t type, code;
		enum probe_reply kind;
	} c[] = {
		{false, 11, 0, PROBE_REPLY_TTL_EXCEEDED},
		{false, 11, 1, PROBE_REPLY_OTHER_ERROR},
		{false, 3, 1, PROBE_REPLY_UNREACH},
		{false, 3, 4, PROBE_REPLY_TOO_BIG},
		{false, 12, 0, PROBE_REPLY_PARAM},
		{true, 3, 0, PROBE_REPLY_TTL_EXCEEDED},
		{true, 1, 3, PROBE_REPLY_UNREACH},
		{true, 2, 0, PROBE_REPLY_TOO_BIG},
		{true, 4, 0, PROBE_REPLY_PARAM},
	};
	size_t i;

	for (i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct probe_table t;
		struct pkt_probe pr;
		struct probe p;
		struct pkt_parsed pp;
		struct probe_match m;
		uint8_t buf[512];

		memset(&pr, 0, sizeof(pr));
		pr.proto = PKT_PROBE_ICMP;
		pkt_addr_pton(c[i].v6 ? "2001:2::1" : "198.18.0.1", &pr.src);
		pkt_addr_pton(c[i].v6 ? "2001:2:0:9::9" : "198.18.9.9",
			      &pr.dst);
		pr.icmp_id = 1234, pr.icmp_seq = 9;
		p = recorded(&pr);
		table(&t, 4, false, PROBE_UDP_PORTS);
		CHECK(probe_add(&t, &p) != NULL);
		CHECK_EQ(error_for(&pr, c[i].type, c[i].code,
				   c[i].v6 ? "2001:2:0:1::1" : "198.18.1.1", 0,
				   &pp, buf, sizeof(buf)),
			 0);
		CHECK(probe_match(&t, &pp, NULL, &m));
		CHECK_EQ(m.kind, c[i].kind);
		probe_table_free(&t);
	}
}

UNIT_MAIN(UNIT_CASE(test_table_basics), UNIT_CASE(test_table_random_model),
	  UNIT_CASE(test_expire),
	  UNIT_CASE(test_million_probes_constant_memory),
	  UNIT_CASE(test_match_captured), UNIT_CASE(test_match_trace_chain),
	  UNIT_CASE(test_match_paris_udp), UNIT_CASE(test_match_forged),
	  UNIT_CASE(test_match_tcp), UNIT_CASE(test_match_dgram_echo),
	  UNIT_CASE(test_match_icmp_errors))
