/*
 * Unit tests for lib/echo_check's verdict: which measurements make a host
 * exposed and how risky, independent of the network.
 */
#include <string.h>

#include "echo_check.h"
#include "unit.h"

/* tcp/7, udp/7, tcp/19, udp/19 as in echo_check_host. */
static void report(struct echo_host_report *r, enum echo_state t7,
		   enum echo_state u7, enum echo_state t19, enum echo_state u19)
{
	memset(r, 0, sizeof(*r));
	r->port[0].state = t7;
	r->port[1].state = u7;
	r->port[2].state = t19;
	r->port[3].state = u19;
}

static void refl_refusing(struct echo_reflector *rf)
{
	size_t i;

	rf->tested = true;
	for (i = 0; i < ECHO_REFL_PORTS; i++)
		rf->from_port[i].answered = 0;
	rf->empty.answered = 0;
	rf->replies_per_s = 150;
}

UNIT_TEST(test_nothing_open)
{
	struct echo_host_report r;

	report(&r, ECHO_ST_CLOSED, ECHO_ST_CLOSED, ECHO_ST_FILTERED,
	       ECHO_ST_CLOSED);
	echo_check_judge(&r);
	CHECK(!r.exposed);
	CHECK_EQ(r.risk, ECHO_RISK_NONE);
	/* UDP silence proves nothing open */
	report(&r, ECHO_ST_FILTERED, ECHO_ST_OPEN_FILTERED, ECHO_ST_FILTERED,
	       ECHO_ST_OPEN_FILTERED);
	echo_check_judge(&r);
	CHECK(!r.exposed);
	CHECK_EQ(r.risk, ECHO_RISK_NONE);
}

UNIT_TEST(test_tcp_only)
{
	struct echo_host_report r;

	report(&r, ECHO_ST_OPEN, ECHO_ST_CLOSED, ECHO_ST_CLOSED,
	       ECHO_ST_CLOSED);
	echo_check_judge(&r);
	CHECK(r.exposed);
	CHECK_EQ(r.risk, ECHO_RISK_LOW);
	report(&r, ECHO_ST_OPEN, ECHO_ST_CLOSED, ECHO_ST_OPEN, ECHO_ST_CLOSED);
	echo_check_judge(&r);
	CHECK_EQ(r.risk, ECHO_RISK_MEDIUM);
	CHECK(strstr(r.reason, "chargen") != NULL);
}

UNIT_TEST(test_udp_echo)
{
	struct echo_host_report r;

	/* hardened: a reflector only at its rate limit */
	report(&r, ECHO_ST_CLOSED, ECHO_ST_OPEN, ECHO_ST_CLOSED,
	       ECHO_ST_CLOSED);
	refl_refusing(&r.refl);
	echo_check_judge(&r);
	CHECK(r.exposed);
	CHECK_EQ(r.risk, ECHO_RISK_MEDIUM);
	CHECK(strstr(r.reason, "150 replies/s") != NULL);
	/* answers a datagram from port 53: loops and reflects */
	r.refl.from_port[1].answered = 1;
	echo_check_judge(&r);
	CHECK_EQ(r.risk, ECHO_RISK_HIGH);
	CHECK(strstr(r.reason, "service ports") != NULL);
	/* a source port that could not be tested is not an answer */
	refl_refusing(&r.refl);
	r.refl.from_port[0].answered = -1;
	echo_check_judge(&r);
	CHECK_EQ(r.risk, ECHO_RISK_MEDIUM);
	/* answers empty datagrams */
	r.refl.empty.answered = 1;
	echo_check_judge(&r);
	CHECK_EQ(r.risk, ECHO_RISK_HIGH);
}

UNIT_TEST(test_udp_chargen)
{
	struct echo_host_report r;

	report(&r, ECHO_ST_CLOSED, ECHO_ST_CLOSED, ECHO_ST_CLOSED,
	       ECHO_ST_OPEN);
	r.chargen_ratio = 512;
	echo_check_judge(&r);
	CHECK(r.exposed);
	CHECK_EQ(r.risk, ECHO_RISK_HIGH);
	CHECK(strstr(r.reason, "512.0x") != NULL);
	/* everything open (xinetd): every finding, the worst first */
	report(&r, ECHO_ST_OPEN, ECHO_ST_OPEN, ECHO_ST_OPEN, ECHO_ST_OPEN);
	refl_refusing(&r.refl);
	r.refl.from_port[2].answered = 1;
	echo_check_judge(&r);
	CHECK_EQ(r.risk, ECHO_RISK_HIGH);
	CHECK(strncmp(r.reason, "UDP chargen", 11) == 0);
	CHECK(strstr(r.reason, "; UDP echo answers datagrams from service") !=
	      NULL);
	CHECK(strstr(r.reason, "; TCP chargen") != NULL);
	CHECK(strstr(r.reason, "; TCP echo") != NULL);
}

UNIT_TEST(test_names)
{
	CHECK_STR(echo_state_name(ECHO_ST_OPEN_FILTERED), "open|filtered");
	CHECK_STR(echo_state_name(ECHO_ST_CLOSED), "closed");
	CHECK_STR(echo_risk_name(ECHO_RISK_HIGH), "high");
	CHECK_STR(echo_risk_name(ECHO_RISK_NONE), "none");
}

UNIT_TEST(test_sample_text)
{
	char buf[64];

	CHECK_EQ(echo_sample_text((const uint8_t *)"ab\"\\\r\n\x01\xff", 8, buf,
				  sizeof(buf)),
		 20);
	CHECK_STR(buf, "\"ab\\\"\\\\\\r\\n\\x01\\xff\"");
	/* too small: the size needed, and an empty string */
	CHECK_EQ(echo_sample_text((const uint8_t *)"abc", 3, buf, 5), 5);
	CHECK_STR(buf, "");
	CHECK_EQ(echo_sample_text((const uint8_t *)"abc", 3, buf, 6), 5);
	CHECK_STR(buf, "\"abc\"");
	CHECK_EQ(echo_sample_text(NULL, 0, buf, 3), 2);
	CHECK_STR(buf, "\"\"");
}

UNIT_MAIN(UNIT_CASE(test_sample_text), UNIT_CASE(test_nothing_open),
	  UNIT_CASE(test_tcp_only), UNIT_CASE(test_udp_echo),
	  UNIT_CASE(test_udp_chargen), UNIT_CASE(test_names))
