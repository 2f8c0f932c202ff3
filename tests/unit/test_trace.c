/*
 * Unit tests for lib/trace's derived views and renderers (middlebox
 * diffs, NAT, annotations, hop lines, report rows, JSON) on hand-made
 * results, and for lib/rdns.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "loop.h"
#include "rdns.h"
#include "trace.h"
#include "unit.h"

static struct pkt_addr addr4(const char *s)
{
	struct pkt_addr a;

	pkt_addr_pton(s, &a);
	return a;
}

/* A UDP probe as sent: 198.18.0.1:40000 -> 198.18.9.2:33434. */
static struct trace_quote sent_udp(uint16_t id)
{
	struct trace_quote q;

	memset(&q, 0, sizeof(q));
	q.valid = q.l4_full = true;
	q.l4 = PKT_L4_UDP;
	q.ttl = 5;
	q.ip_id = id;
	q.ip_len = 60;
	q.src = addr4("198.18.0.1");
	q.dst = addr4("198.18.9.2");
	q.sport = 40000;
	q.dport = 33434;
	q.udp_len = 40;
	q.udp_csum = 0x1234;
	return q;
}

/* A TCP SYN with the MSS option (kind 2, len 4) as sent. */
static struct trace_quote sent_tcp(uint32_t seq)
{
	struct trace_quote q = sent_udp(7);

	q.l4 = PKT_L4_TCP;
	q.udp_len = q.udp_csum = 0;
	q.dport = 80;
	q.tcp_seq = seq;
	q.tcp_win = 5840;
	q.tcp_csum = 0xabcd;
	q.tcp_flags = PKT_TCP_SYN;
	q.has_mss = true;
	q.mss = 1460;
	q.tcp_opt_len = 4;
	q.tcp_opts[0] = 2;
	q.tcp_opts[1] = 4;
	q.tcp_opts[2] = 1460 >> 8;
	q.tcp_opts[3] = 1460 & 0xff;
	return q;
}

/* A result of n hops, one probe each, answered by time exceeded with
 * quote = sent unless a test changes it. */
static void make_result(struct trace_result *r, int n)
{
	int ttl;
	char buf[32];

	memset(r, 0, sizeof(*r));
	r->plan.first_ttl = 1;
	r->plan.max_ttl = 30;
	r->plan.queries = 1;
	r->last_ttl = n;
	r->hops = calloc(31, sizeof(*r->hops));
	for (ttl = 1; ttl <= n; ttl++) {
		struct trace_reply *rp = &r->hops[ttl].probes[0];

		r->hops[ttl].ttl = ttl;
		r->hops[ttl].nprobes = 1;
		r->hops[ttl].answered = true;
		stats_init(&r->hops[ttl].st);
		rp->kind = PROBE_REPLY_TTL_EXCEEDED;
		snprintf(buf, sizeof(buf), "198.18.%d.2", ttl - 1);
		rp->from = addr4(buf);
		rp->rtt_ns = 1000000LL * ttl + 234000;
		rp->sent = sent_udp((uint16_t)(100 + ttl));
		rp->quote = rp->sent;
		rp->quote.ttl = 1;
		r->hops[ttl].last = *rp;
	}
}

UNIT_TEST(test_quote_diff_fields)
{
	struct trace_quote a = sent_udp(1), b = a;
	struct trace_change ch[8];

	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 0);
	b.ttl = 1; /* routers decrement it by design: not a change */
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 0);
	b.tos = 0x29; /* DSCP 10, ECN 1 */
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 2);
	CHECK_EQ(ch[0].field, TRACE_F_DSCP);
	CHECK_EQ(ch[0].from, 0);
	CHECK_EQ(ch[0].to, 10);
	CHECK_EQ(ch[1].field, TRACE_F_ECN);
	CHECK_EQ(ch[1].to, 1);
	CHECK_STR(trace_field_name(ch[0].field), "dscp");
	b = a;
	b.src = addr4("198.18.2.1");
	b.sport = 1024;
	b.df = true;
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 3);
	CHECK_EQ(ch[0].field, TRACE_F_SRC);
	CHECK(pkt_addr_eq(&ch[0].to_addr, &b.src));
	CHECK_EQ(ch[1].field, TRACE_F_SPORT);
	CHECK_EQ(ch[2].field, TRACE_F_DF);
	/* cap is respected */
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 1), 1);
	b.valid = false;
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 0);
}

UNIT_TEST(test_quote_diff_tcp_mss)
{
	struct trace_quote a = sent_tcp(1000), b = a;
	struct trace_change ch[8];

	b.mss = 1200;
	b.tcp_opts[2] = 1200 >> 8;
	b.tcp_opts[3] = 1200 & 0xff;
	b.tcp_csum = 0xacd1;
	/* the clamp shows as mss and checksum, not as "other options" */
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 2);
	CHECK_EQ(ch[0].field, TRACE_F_TCP_CSUM);
	CHECK_EQ(ch[1].field, TRACE_F_TCP_MSS);
	CHECK_EQ(ch[1].from, 1460);
	CHECK_EQ(ch[1].to, 1200);
	/* a router that adds an option (NOP NOP) changes the options */
	b.tcp_opts[4] = b.tcp_opts[5] = 1;
	b.tcp_opt_len = 6;
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 3);
	CHECK_EQ(ch[2].field, TRACE_F_TCP_OPTS);
	/* an 8-byte quotation: only the seq can be compared */
	b = a;
	b.l4_full = false;
	b.tcp_win = 0;
	b.tcp_seq = 1001;
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 1);
	CHECK_EQ(ch[0].field, TRACE_F_TCP_SEQ);
}

UNIT_TEST(test_quote_diff_flowlabel)
{
	struct trace_quote a = sent_udp(0), b;
	struct trace_change ch[8];

	a.src.family = AF_INET6;
	b = a;
	/* we sent label 0, the kernel chose one: not a middlebox change */
	b.flow_label = 0x443a1;
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 0);
	a.flow_label = 0x12345;
	CHECK_EQ(trace_quote_diff(&a, &b, ch, 8), 1);
	CHECK_EQ(ch[0].field, TRACE_F_FLOWLABEL);
}

UNIT_TEST(test_hop_diff_only_new_changes)
{
	struct trace_result r;
	struct trace_change ch[8];
	int ttl;

	make_result(&r, 5);
	/* router 2 rewrites DSCP: hops 3.. quote it; hop 4 is silent */
	for (ttl = 3; ttl <= 5; ttl++)
		r.hops[ttl].probes[0].quote.tos = 10 << 2;
	r.hops[4].probes[0].kind = PROBE_REPLY_NONE;
	r.hops[4].answered = false;
	/* router 4 rewrites the IP id by a constant offset (ids differ per
	 * probe, so the comparison is on the offset) */
	r.hops[5].probes[0].quote.ip_id += 7;
	CHECK_EQ(trace_hop_diff(&r, 1, ch, 8), 0);
	CHECK_EQ(trace_hop_diff(&r, 2, ch, 8), 0);
	CHECK_EQ(trace_hop_diff(&r, 3, ch, 8), 1);
	CHECK_EQ(ch[0].field, TRACE_F_DSCP);
	CHECK(trace_hop_quoted(&r.hops[4]) == NULL);
	CHECK_EQ(trace_hop_diff(&r, 4, ch, 8), 0);
	CHECK_EQ(trace_hop_diff(&r, 5, ch, 8), 1);
	CHECK_EQ(ch[0].field, TRACE_F_IPID);
	CHECK_EQ(ch[0].to - ch[0].from, 7);
	trace_result_free(&r);
}

UNIT_TEST(test_hop_nat)
{
	struct trace_result r;
	struct trace_reply *rp;

	make_result(&r, 4);
	rp = &r.hops[2].probes[0];
	CHECK(!trace_hop_nat(&r, &r.hops[2]));
	/* quotation rewritten back, checksum left as the NAT made it */
	rp->quote.udp_csum = 0x1034;
	CHECK(trace_hop_nat(&r, &r.hops[2]));
	/* with a DSCP rewrite too: still NAT (TOS is not checksummed) */
	rp->quote.tos = 0x28;
	CHECK(trace_hop_nat(&r, &r.hops[2]));
	/* a length change explains the checksum: not NAT */
	rp->quote.udp_len = 44;
	CHECK(!trace_hop_nat(&r, &r.hops[2]));
	/* the quoted source itself differs: NAT not rewritten back */
	rp = &r.hops[3].probes[0];
	rp->quote.src = addr4("198.18.2.1");
	CHECK(trace_hop_nat(&r, &r.hops[3]));
	/* an MSS clamp changes the TCP checksum and the option: not NAT */
	rp = &r.hops[4].probes[0];
	rp->sent = sent_tcp(5);
	rp->quote = rp->sent;
	rp->quote.mss = 1200;
	rp->quote.tcp_csum = 0x1111;
	CHECK(!trace_hop_nat(&r, &r.hops[4]));
	trace_result_free(&r);
}

UNIT_TEST(test_annotations)
{
	struct trace_reply rp;
	char buf[32];
	static const struct {
		bool v6;
		enum probe_reply kind;
		uint8_t code;
		const char *want;
	} rows[] = {
		{false, PROBE_REPLY_UNREACH, 0, "!N"},
		{false, PROBE_REPLY_UNREACH, 1, "!H"},
		{false, PROBE_REPLY_UNREACH, 2, "!P"},
		{false, PROBE_REPLY_PORT_UNREACH, 3, ""},
		{false, PROBE_REPLY_UNREACH, 5, "!S"},
		{false, PROBE_REPLY_UNREACH, 13, "!X"},
		{false, PROBE_REPLY_UNREACH, 14, "!V"},
		{false, PROBE_REPLY_UNREACH, 15, "!C"},
		{false, PROBE_REPLY_UNREACH, 99, "!<99>"},
		{false, PROBE_REPLY_TTL_EXCEEDED, 0, ""},
		{true, PROBE_REPLY_UNREACH, 0, "!N"},
		{true, PROBE_REPLY_UNREACH, 1, "!X"},
		{true, PROBE_REPLY_UNREACH, 3, "!H"},
		{true, PROBE_REPLY_PORT_UNREACH, 4, ""},
		{true, PROBE_REPLY_UNREACH, 7, "!<7>"},
	};
	size_t i;

	for (i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		memset(&rp, 0, sizeof(rp));
		rp.from.family = rows[i].v6 ? AF_INET6 : AF_INET;
		rp.kind = rows[i].kind;
		rp.icmp_code = rows[i].code;
		CHECK_STR(trace_annotation(&rp, buf, sizeof(buf)),
			  rows[i].want);
	}
	memset(&rp, 0, sizeof(rp));
	rp.from.family = AF_INET;
	rp.kind = PROBE_REPLY_TOO_BIG;
	rp.mtu = 1400;
	CHECK_STR(trace_annotation(&rp, buf, sizeof(buf)), "!F-1400");
}

/* Renders with f into a string (caller frees). */
static char *render_hop(const struct trace_render *o,
			const struct trace_result *r, int ttl)
{
	char *s = NULL;
	size_t n = 0;
	FILE *f = open_memstream(&s, &n);

	trace_print_hop(f, o, r, ttl);
	fclose(f);
	return s;
}

UNIT_TEST(test_hop_lines)
{
	struct trace_result r;
	struct trace_render o = {.numeric = true};
	struct trace_hop *h;
	char *s;

	make_result(&r, 12);
	h = &r.hops[12];
	h->nprobes = 3;
	h->probes[1] = h->probes[0];
	h->probes[1].rtt_ns = 80000;
	h->probes[2] = h->probes[0];
	h->probes[2].from = addr4("198.18.200.2");
	h->probes[2].kind = PROBE_REPLY_UNREACH;
	h->probes[2].icmp_code = 1;
	h->probes[2].rtt_ns = 77000;
	s = render_hop(&o, &r, 12);
	CHECK_STR(s, "12  198.18.11.2  12.234 ms  0.080 ms 198.18.200.2  "
		     "0.077 ms !H\n");
	free(s);
	h->probes[0].kind = PROBE_REPLY_NONE;
	h->probes[2].kind = PROBE_REPLY_NONE;
	s = render_hop(&o, &r, 12);
	CHECK_STR(s, "12  * 198.18.11.2  0.080 ms *\n");
	free(s);
	/* without -n and without a name: "addr (addr)", as traceroute */
	o.numeric = false;
	s = render_hop(&o, &r, 1);
	CHECK_STR(s, " 1  198.18.0.2 (198.18.0.2)  1.234 ms\n");
	free(s);
	/* MPLS labels from RFC 4950 follow the address */
	h = &r.hops[2];
	h->probes[0].n_mpls = 2;
	h->probes[0].mpls[0] = (struct pkt_mpls){16001, 0, false, 1};
	h->probes[0].mpls[1] = (struct pkt_mpls){24, 5, true, 1};
	o.numeric = true;
	s = render_hop(&o, &r, 2);
	CHECK_STR(s, " 2  198.18.1.2 <MPLS:L=16001,E=0,S=0,T=1> "
		     "<MPLS:L=24,E=5,S=1,T=1>  2.234 ms\n");
	free(s);
	trace_result_free(&r);
}

UNIT_TEST(test_diff_lines)
{
	struct trace_result r;
	struct trace_render o = {.numeric = true, .diff = true};
	char *s;
	int ttl;

	make_result(&r, 3);
	for (ttl = 2; ttl <= 3; ttl++) {
		r.hops[ttl].probes[0].quote.udp_csum = 0x1034;
		r.hops[ttl].probes[0].quote.tos = 0x28;
	}
	s = render_hop(&o, &r, 1);
	CHECK_STR(s, " 1  198.18.0.2  1.234 ms\n");
	free(s);
	s = render_hop(&o, &r, 2);
	CHECK_STR(s, " 2  198.18.1.2  2.234 ms\n"
		     "    changed: dscp 0->10 udp.csum 0x1234->0x1034 (NAT)\n");
	free(s);
	/* the same changes one hop later are not news */
	s = render_hop(&o, &r, 3);
	CHECK_STR(s, " 3  198.18.2.2  3.234 ms\n");
	free(s);
	trace_result_free(&r);
}

UNIT_TEST(test_report_rows)
{
	struct trace_result r;
	struct trace_render o = {.numeric = true};
	char *s = NULL, *row;
	size_t n = 0;
	FILE *f;
	int i;

	make_result(&r, 2);
	for (i = 0; i < 4; i++) {
		stats_sent(&r.hops[1].st, i * 1000000000LL, 60);
		stats_reply(&r.hops[1].st, i * 1000000000LL + 1000,
			    (i + 1) * 1000000LL, 60, STATS_SEQ_NONE);
		stats_sent(&r.hops[2].st, i * 1000000000LL, 60);
	}
	r.hops[2].answered = false;
	r.rounds = 4;
	f = open_memstream(&s, &n);
	trace_print_report(f, &o, &r);
	fclose(f);
	CHECK(strncmp(s, "Start: ", 7) == 0);
	CHECK(strstr(s, "\nHOST: ") != NULL);
	CHECK(strstr(s, "  Loss%   Snt   Last   Avg  Best  Wrst StDev\n"));
	row = strstr(s, "  1.|-- ");
	CHECK(row != NULL);
	/* rtts 1, 2, 3, 4 ms: last 4, avg 2.5, best 1, worst 4, stdev 1.3 */
	if (row)
		CHECK(strncmp(row,
			      "  1.|-- 198.18.0.2                       "
			      "0.0%     4    4.0   2.5   1.0   4.0   1.3\n",
			      83) == 0);
	row = strstr(s, "  2.|-- ");
	CHECK(row != NULL);
	if (row)
		CHECK(strncmp(row,
			      "  2.|-- ???                            "
			      "100.0%     4    0.0   0.0   0.0   0.0   0.0\n",
			      83) == 0);
	free(s);
	trace_result_free(&r);
}

UNIT_TEST(test_json_document)
{
	struct trace_result r;
	struct trace_render o = {.numeric = true};
	char *s = NULL;
	size_t n = 0;
	FILE *f;

	make_result(&r, 2);
	r.reached = true;
	r.remote = addr4("198.18.1.2");
	r.local = addr4("198.18.0.1");
	r.hops[2].probes[0].kind = PROBE_REPLY_PORT_UNREACH;
	r.hops[2].probes[0].quote.tos = 0x28;
	f = open_memstream(&s, &n);
	CHECK_EQ(trace_print_json(f, &o, &r), 0);
	fclose(f);
	CHECK(strncmp(s, "{\"version\":1,\"type\":\"trace\",", 28) == 0);
	CHECK(strstr(s, "\"dst\":\"198.18.1.2\",\"src\":\"198.18.0.1\""));
	CHECK(strstr(s, "\"reached\":true"));
	CHECK(strstr(s, "\"reply\":\"port unreachable\""));
	CHECK(strstr(s,
		     "\"diff\":[{\"field\":\"dscp\",\"from\":0,\"to\":10}]"));
	CHECK(s[n - 1] == '\n');
	free(s);
	trace_result_free(&r);
}

#define MS 1000000LL

/* The overdue rule on a 10-hop result (hop k answers in k ms + 0.234)
 * whose hop 8 is silent, fed reply by reply as the engine does. */
UNIT_TEST(test_overdue_rule)
{
	struct trace_result r;
	struct trace_pace p;
	const int64_t tx = 5000 * MS, cap = tx + 500 * MS;
	int ttl;

	make_result(&r, 10);
	memset(&p, 0, sizeof(p));
	memset(&r.hops[8].probes[0], 0, sizeof(r.hops[8].probes[0]));
	r.hops[8].answered = false;
	CHECK_EQ(trace_pace_margin_ns(&p), TRACE_OVERDUE_MARGIN_NS);
	CHECK_EQ(TRACE_OVERDUE_MARGIN_NS, 20 * MS);
	for (ttl = 1; ttl <= 7; ttl++)
		trace_pace_reply(&p, &r.hops[ttl]);
	CHECK_EQ(p.answered_ttl, 7);
	CHECK_EQ(p.rtt_max_ns, 7 * MS + 234000);
	CHECK_EQ(p.spread_ns, 0);
	/* nothing beyond hop 8 answered: hop 8 may just be far */
	CHECK_EQ(trace_overdue_at(&p, 8, tx), INT64_MAX);
	CHECK_EQ(trace_give_up_at(&p, 8, true, tx, cap), cap);
	/* the silent hop answers nothing: the pace does not move */
	trace_pace_reply(&p, &r.hops[8]);
	CHECK_EQ(p.answered_ttl, 7);
	/* hop 9 answered: hop 8 is overdue after the slowest rtt + 20 ms,
	 * and so is a probe of a lower hop */
	trace_pace_reply(&p, &r.hops[9]);
	CHECK_EQ(trace_overdue_at(&p, 8, tx), tx + 9 * MS + 234000 + 20 * MS);
	CHECK_EQ(trace_overdue_at(&p, 3, tx), tx + 9 * MS + 234000 + 20 * MS);
	CHECK_EQ(trace_overdue_at(&p, 9, tx), INT64_MAX);
	/* but it is only given up once the destination answered */
	CHECK_EQ(trace_give_up_at(&p, 8, true, tx, cap), cap);
	trace_pace_reply(&p, &r.hops[10]);
	p.final = true;
	CHECK_EQ(trace_give_up_at(&p, 8, true, tx, cap),
		 tx + 10 * MS + 234000 + 20 * MS);
	/* the -w wait stays the cap, and answering hops keep it */
	CHECK_EQ(trace_give_up_at(&p, 8, true, tx, tx + 15 * MS), tx + 15 * MS);
	CHECK_EQ(trace_give_up_at(&p, 8, false, tx, cap), cap);
	/* a lower hop answering later lowers nothing */
	trace_pace_reply(&p, &r.hops[2]);
	CHECK_EQ(p.answered_ttl, 10);
	CHECK_EQ(p.rtt_max_ns, 10 * MS + 234000);
	trace_result_free(&r);
}

/* The margin is twice the widest spread of one hop's rtts. */
UNIT_TEST(test_overdue_spread)
{
	struct trace_hop h;
	struct trace_pace p;

	memset(&h, 0, sizeof(h));
	memset(&p, 0, sizeof(p));
	h.ttl = 4;
	h.nprobes = 3;
	h.probes[0].kind = h.probes[1].kind = h.probes[2].kind =
		PROBE_REPLY_TTL_EXCEEDED;
	h.probes[0].rtt_ns = 25 * MS;
	h.probes[1].rtt_ns = 10 * MS;
	h.probes[2].rtt_ns = 40 * MS;
	trace_pace_reply(&p, &h);
	CHECK_EQ(p.spread_ns, 30 * MS);
	CHECK_EQ(p.rtt_max_ns, 40 * MS);
	CHECK_EQ(trace_pace_margin_ns(&p), 60 * MS);
	CHECK_EQ(trace_overdue_at(&p, 2, 0), 100 * MS);
	/* a "*" among them is no rtt of 0 */
	h.ttl = 5;
	h.probes[1].kind = PROBE_REPLY_NONE;
	h.probes[1].rtt_ns = 0;
	h.probes[0].rtt_ns = 41 * MS;
	h.probes[2].rtt_ns = 45 * MS;
	trace_pace_reply(&p, &h);
	CHECK_EQ(p.spread_ns, 30 * MS);
	CHECK_EQ(p.rtt_max_ns, 45 * MS);
	CHECK_EQ(p.answered_ttl, 5);
	/* a narrower hop keeps the widest spread */
	CHECK_EQ(trace_pace_margin_ns(&p), 60 * MS);
	/* a small spread keeps the 20 ms floor */
	memset(&p, 0, sizeof(p));
	h.probes[0].rtt_ns = 44 * MS;
	trace_pace_reply(&p, &h);
	CHECK_EQ(p.spread_ns, 1 * MS);
	CHECK_EQ(trace_pace_margin_ns(&p), 20 * MS);
}

UNIT_TEST(test_rdns)
{
	struct rdns *r = rdns_new(2, 4, 10000000000LL);
	struct sock_addr lo, other;
	struct timespec ts = {0, 5000000};
	char name[RDNS_NAME_MAX] = "";
	enum rdns_state st = RDNS_PENDING;
	int i;

	CHECK(r != NULL);
	if (!r)
		return;
	sock_resolve("127.0.0.1", AF_INET, true, &lo, NULL, 0);
	sock_resolve("198.18.77.1", AF_INET, true, &other, NULL, 0);
	/* never asked: no name, at once */
	CHECK_EQ(rdns_get(r, &lo, loop_now_ns(), name, sizeof(name)),
		 RDNS_NONE);
	CHECK_EQ(rdns_submit(r, &lo, loop_now_ns()), 0);
	CHECK_EQ(rdns_submit(r, &lo, loop_now_ns()), 0); /* known: no-op */
	for (i = 0; i < 2000 && st == RDNS_PENDING; i++) {
		st = rdns_get(r, &lo, loop_now_ns(), name, sizeof(name));
		if (st == RDNS_PENDING)
			nanosleep(&ts, NULL);
	}
	/* /etc/hosts names 127.0.0.1 on every system we build on */
	CHECK_EQ(st, RDNS_FOUND);
	CHECK(name[0] != '\0');
	/* a deadline in the past: "no name" whatever the resolver does */
	CHECK_EQ(rdns_submit(r, &other, loop_now_ns() - 20000000000LL), 0);
	CHECK(rdns_get(r, &other, loop_now_ns(), name, sizeof(name)) !=
	      RDNS_PENDING);
	CHECK_EQ(rdns_pending_deadline(r, loop_now_ns()), 0);
	rdns_free(r);
	CHECK(rdns_new(0, 4, 1) == NULL);
}

UNIT_MAIN(UNIT_CASE(test_quote_diff_fields), UNIT_CASE(test_quote_diff_tcp_mss),
	  UNIT_CASE(test_quote_diff_flowlabel),
	  UNIT_CASE(test_hop_diff_only_new_changes), UNIT_CASE(test_hop_nat),
	  UNIT_CASE(test_annotations), UNIT_CASE(test_hop_lines),
	  UNIT_CASE(test_diff_lines), UNIT_CASE(test_report_rows),
	  UNIT_CASE(test_json_document), UNIT_CASE(test_overdue_rule),
	  UNIT_CASE(test_overdue_spread), UNIT_CASE(test_rdns))
