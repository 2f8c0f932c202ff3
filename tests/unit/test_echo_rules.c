/*
 * Unit tests for lib/echo_rules: the hardening rules of the echo server.
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>

#include "echo_rules.h"
#include "unit.h"

static struct sockaddr_in v4(const char *a, uint16_t port)
{
	struct sockaddr_in s;

	memset(&s, 0, sizeof(s));
	s.sin_family = AF_INET;
	s.sin_port = htons(port);
	inet_pton(AF_INET, a, &s.sin_addr);
	return s;
}

static struct sockaddr_in6 v6(const char *a, uint16_t port)
{
	struct sockaddr_in6 s;

	memset(&s, 0, sizeof(s));
	s.sin6_family = AF_INET6;
	s.sin6_port = htons(port);
	inet_pton(AF_INET6, a, &s.sin6_addr);
	return s;
}

#define SA(x) ((const struct sockaddr *)&(x))

static void policy(struct echo_udp_policy *p)
{
	memset(p, 0, sizeof(*p));
	echo_ports_default(&p->refused);
	p->max_datagram = 1472;
	p->self_ports[p->nself++] = 7007;
}

UNIT_TEST(test_service_ports_refused)
{
	static const uint16_t listed[] = {7, 13, 17, 19, 37, 53, 123, 161};
	struct echo_udp_policy p;
	size_t i;

	policy(&p);
	for (i = 0; i < sizeof(listed) / sizeof(listed[0]); i++) {
		struct sockaddr_in s = v4("198.18.0.1", listed[i]);

		CHECK_EQ(echo_udp_check(&p, SA(s), NULL, 10),
			 ECHO_REFUSE_SERVICE_PORT);
	}
	struct sockaddr_in z = v4("198.18.0.1", 0);
	CHECK_EQ(echo_udp_check(&p, SA(z), NULL, 10), ECHO_REFUSE_PORT_ZERO);
	struct sockaddr_in self = v4("198.18.0.1", 7007);
	CHECK_EQ(echo_udp_check(&p, SA(self), NULL, 10), ECHO_REFUSE_SELF_PORT);
	/* Neighbours of listed ports are ordinary clients. */
	struct sockaddr_in ok1 = v4("198.18.0.1", 18),
			   ok2 = v4("198.18.0.1", 54321);
	CHECK_EQ(echo_udp_check(&p, SA(ok1), NULL, 10), ECHO_OK);
	CHECK_EQ(echo_udp_check(&p, SA(ok2), NULL, 10), ECHO_OK);
}

UNIT_TEST(test_port_list_parse)
{
	struct echo_ports p;
	char err[128];

	echo_ports_default(&p);
	CHECK_EQ(echo_ports_add(&p, "5000-5002,9999", err, sizeof(err)), 0);
	CHECK(echo_ports_has(&p, 5000));
	CHECK(echo_ports_has(&p, 5001));
	CHECK(echo_ports_has(&p, 5002));
	CHECK(!echo_ports_has(&p, 5003));
	CHECK(echo_ports_has(&p, 9999));
	CHECK(echo_ports_has(&p, 19));
	CHECK_EQ(echo_ports_add(&p, "0", err, sizeof(err)), -1);
	CHECK(strstr(err, "'0'") != NULL);
	CHECK_EQ(echo_ports_add(&p, "70000", err, sizeof(err)), -1);
	CHECK_EQ(echo_ports_add(&p, "9-3", err, sizeof(err)), -1);
	CHECK_EQ(echo_ports_add(&p, "5,", err, sizeof(err)), -1);
	CHECK_EQ(echo_ports_add(&p, "", err, sizeof(err)), -1);
	CHECK_EQ(echo_ports_add(&p, "1-1000", err, sizeof(err)), -1);
	CHECK(strstr(err, "too many") != NULL);
}

UNIT_TEST(test_address_classes)
{
	struct echo_udp_policy p;
	uint32_t bcast;
	struct sockaddr_in b = v4("255.255.255.255", 4000),
			   m = v4("224.0.0.1", 4000), un = v4("0.0.0.0", 4000),
			   lo = v4("127.0.0.1", 4000),
			   dir = v4("198.18.0.255", 4000),
			   dst_b = v4("198.18.0.255", 7);
	struct sockaddr_in6 m6 = v6("ff02::1", 4000), u6 = v6("::", 4000),
			    lo6 = v6("::1", 4000),
			    mapped = v6("::ffff:224.0.0.5", 4000),
			    g6 = v6("2001:2::1", 4000);

	policy(&p);
	inet_pton(AF_INET, "198.18.0.255", &bcast);
	p.bcast = &bcast;
	p.nbcast = 1;
	CHECK_EQ(echo_udp_check(&p, SA(b), NULL, 5), ECHO_REFUSE_BAD_SOURCE);
	CHECK_EQ(echo_udp_check(&p, SA(m), NULL, 5), ECHO_REFUSE_BAD_SOURCE);
	CHECK_EQ(echo_udp_check(&p, SA(un), NULL, 5), ECHO_REFUSE_BAD_SOURCE);
	CHECK_EQ(echo_udp_check(&p, SA(dir), NULL, 5), ECHO_REFUSE_BAD_SOURCE);
	CHECK_EQ(echo_udp_check(&p, SA(m6), NULL, 5), ECHO_REFUSE_BAD_SOURCE);
	CHECK_EQ(echo_udp_check(&p, SA(u6), NULL, 5), ECHO_REFUSE_BAD_SOURCE);
	CHECK_EQ(echo_udp_check(&p, SA(mapped), NULL, 5),
		 ECHO_REFUSE_BAD_SOURCE);
	/* Loopback is allowed so that the server can be tested. */
	CHECK_EQ(echo_udp_check(&p, SA(lo), NULL, 5), ECHO_OK);
	CHECK_EQ(echo_udp_check(&p, SA(lo6), NULL, 5), ECHO_OK);
	CHECK_EQ(echo_udp_check(&p, SA(g6), NULL, 5), ECHO_OK);
	/* Sent to a broadcast address: a smurf amplifier if answered. */
	CHECK_EQ(echo_udp_check(&p, SA(lo), SA(dst_b), 5),
		 ECHO_REFUSE_BAD_DEST);
	CHECK_EQ(echo_addr_classify(SA(lo), NULL, 0), ECHO_ADDR_LOOPBACK);
}

UNIT_TEST(test_size_rules)
{
	struct echo_udp_policy p;
	struct sockaddr_in s = v4("127.0.0.1", 40000);

	policy(&p);
	CHECK_EQ(echo_udp_check(&p, SA(s), NULL, 0), ECHO_REFUSE_EMPTY);
	CHECK_EQ(echo_udp_check(&p, SA(s), NULL, 1), ECHO_OK);
	CHECK_EQ(echo_udp_check(&p, SA(s), NULL, 1472), ECHO_OK);
	CHECK_EQ(echo_udp_check(&p, SA(s), NULL, 1473), ECHO_REFUSE_TOO_BIG);
}

UNIT_TEST(test_bucket)
{
	struct echo_bucket b;
	int64_t t = 1000000000;
	int i, got = 0;

	echo_bucket_init(&b, 10, t);
	for (i = 0; i < 100; i++)
		got += echo_bucket_take(&b, 5, 10, t);
	CHECK_EQ(got, 10); /* the burst, then nothing at the same instant */
	/* One second later: rate tokens, never more than the burst. */
	got = 0;
	for (i = 0; i < 100; i++)
		got += echo_bucket_take(&b, 5, 10, t + 1000000000);
	CHECK_EQ(got, 5);
	got = 0;
	for (i = 0; i < 100; i++)
		got += echo_bucket_take(&b, 5, 10, t + 100000000000ll);
	CHECK_EQ(got, 10);
	/* A clock that goes backwards gives nothing back. */
	CHECK(!echo_bucket_take(&b, 5, 10, t));
}

UNIT_TEST(test_source_table)
{
	struct echo_src_table t;
	struct sockaddr_in a = v4("198.18.0.1", 1000),
			   a2 = v4("198.18.0.1", 2000),
			   b = v4("198.18.0.2", 1000);
	struct sockaddr_in6 x = v6("2001:2::1", 5), y = v6("2001:2::ffff", 6),
			    z = v6("2001:2:0:1::1", 5);
	int i, got = 0;

	CHECK_EQ(echo_src_init(&t, 16, 1, 3), 0);
	for (i = 0; i < 10; i++)
		got += echo_src_take(&t, SA(a), 5);
	CHECK_EQ(got, 3);
	/* The port does not make a new source. */
	CHECK(!echo_src_take(&t, SA(a2), 5));
	CHECK(echo_src_take(&t, SA(b), 5));
	/* IPv6 sources share a bucket per /64. */
	for (i = 0; i < 3; i++)
		CHECK(echo_src_take(&t, SA(x), 5));
	CHECK(!echo_src_take(&t, SA(y), 5));
	CHECK(echo_src_take(&t, SA(z), 5));
	echo_src_free(&t);

	/* Thousands of sources: memory stays the table; each gets its burst
	 * at most, and a recent source is not pushed out by one lookup. */
	CHECK_EQ(echo_src_init(&t, 4, 1, 1), 0);
	CHECK_EQ(t.nsets, 4);
	for (i = 0; i < 5000; i++) {
		struct sockaddr_in s = v4("10.0.0.0", 1);

		s.sin_addr.s_addr = htonl(0x0a000000u + (uint32_t)i);
		CHECK(echo_src_take(&t, SA(s), 10 + i));
	}
	echo_src_free(&t);
}

UNIT_TEST(test_conn_admit)
{
	CHECK_EQ(echo_conn_admit(0, 0, 2, 1), ECHO_CONN_OK);
	CHECK_EQ(echo_conn_admit(1, 1, 2, 1), ECHO_CONN_REFUSE_SOURCE);
	CHECK_EQ(echo_conn_admit(1, 0, 2, 1), ECHO_CONN_OK);
	CHECK_EQ(echo_conn_admit(2, 0, 2, 1), ECHO_CONN_REFUSE_TOTAL);
}

UNIT_TEST(test_lograte)
{
	struct echo_lograte r;
	uint64_t held = 99;
	int i, allowed = 0;

	echo_lograte_init(&r, 1, 2, 0);
	for (i = 0; i < 10; i++)
		allowed += echo_lograte_allow(&r, 0, &held);
	CHECK_EQ(allowed, 2);
	CHECK(echo_lograte_allow(&r, 1000000000, &held));
	CHECK_EQ(held, 8);
}

UNIT_TEST(test_listen_syntax)
{
	struct sock_addr a;
	char err[256], buf[80];

	CHECK_EQ(echo_parse_listen("127.0.0.1:7007", 7, &a, err, sizeof(err)),
		 0);
	CHECK_STR(echo_addr_str(SA(a.ss), buf, sizeof(buf)), "127.0.0.1:7007");
	CHECK_EQ(echo_parse_listen("127.0.0.2", 7, &a, err, sizeof(err)), 0);
	CHECK_STR(echo_addr_str(SA(a.ss), buf, sizeof(buf)), "127.0.0.2:7");
	CHECK_EQ(echo_parse_listen("[::1]:7007", 7, &a, err, sizeof(err)), 0);
	CHECK_STR(echo_addr_str(SA(a.ss), buf, sizeof(buf)), "[::1]:7007");
	CHECK_EQ(echo_parse_listen("::1", 9, &a, err, sizeof(err)), 0);
	CHECK_STR(echo_addr_str(SA(a.ss), buf, sizeof(buf)), "[::1]:9");
	CHECK_EQ(echo_parse_listen("[::1]", 9, &a, err, sizeof(err)), 0);
	CHECK_EQ(sock_port(&a), 9);
	CHECK_EQ(echo_parse_listen("[::1]x", 7, &a, err, sizeof(err)), -1);
	CHECK_EQ(echo_parse_listen("127.0.0.1:0", 7, &a, err, sizeof(err)), -1);
	CHECK(strstr(err, "1-65535") != NULL);
	CHECK_EQ(echo_parse_listen("127.0.0.1:99999", 7, &a, err, sizeof(err)),
		 -1);
	CHECK_EQ(echo_parse_listen(":7", 7, &a, err, sizeof(err)), -1);
	CHECK_EQ(echo_parse_listen("[::1", 7, &a, err, sizeof(err)), -1);
}

UNIT_MAIN(UNIT_CASE(test_service_ports_refused),
	  UNIT_CASE(test_port_list_parse), UNIT_CASE(test_address_classes),
	  UNIT_CASE(test_size_rules), UNIT_CASE(test_bucket),
	  UNIT_CASE(test_source_table), UNIT_CASE(test_conn_admit),
	  UNIT_CASE(test_lograte), UNIT_CASE(test_listen_syntax))
