/*
 * Unit tests for lib/echo_cli payloads: patterns, the random generator's
 * random access, and the offset of the first differing byte.
 */
#include <string.h>

#include "echo_cli.h"
#include "unit.h"

UNIT_TEST(test_pattern_parse)
{
	struct echo_payload p;
	uint8_t buf[7];
	char err[128];

	memset(&p, 0, sizeof(p));
	CHECK_EQ(echo_payload_pattern(&p, "ff00a5", err, sizeof(err)), 0);
	CHECK_EQ(p.plen, 3);
	echo_payload_fill(&p, 0, 1, buf, sizeof(buf));
	CHECK_MEM(buf, "\x00\xa5\xff\x00\xa5\xff\x00", 7);
	CHECK_EQ(echo_payload_pattern(&p, "f", err, sizeof(err)), -1);
	CHECK_EQ(echo_payload_pattern(&p, "zz", err, sizeof(err)), -1);
	CHECK(strstr(err, "'zz'") != NULL);
	CHECK_EQ(echo_payload_pattern(&p, "", err, sizeof(err)), -1);
	CHECK_EQ(echo_payload_pattern(&p, "00112233445566778899aabbccddeeff00",
				      err, sizeof(err)),
		 -1);
}

UNIT_TEST(test_random_access)
{
	struct echo_payload p = {.random = true, .seed = 42};
	uint8_t whole[1000], part[300], other[1000];

	echo_payload_fill(&p, 3, 0, whole, sizeof(whole));
	/* Any window computed alone equals the same bytes of the whole. */
	echo_payload_fill(&p, 3, 333, part, sizeof(part));
	CHECK_MEM(part, whole + 333, sizeof(part));
	/* Another request, or another run, gets other bytes. */
	echo_payload_fill(&p, 4, 0, other, sizeof(other));
	CHECK(memcmp(whole, other, sizeof(whole)) != 0);
	p.seed = 43;
	echo_payload_fill(&p, 3, 0, other, sizeof(other));
	CHECK(memcmp(whole, other, sizeof(whole)) != 0);
}

UNIT_TEST(test_diff_offset)
{
	struct echo_payload p = {.random = true, .seed = 7};
	uint8_t buf[4096], want = 0;
	size_t i;

	echo_payload_fill(&p, 9, 0, buf, sizeof(buf));
	CHECK_EQ(echo_payload_diff(&p, 9, 0, buf, sizeof(buf), &want),
		 sizeof(buf));
	CHECK_EQ(echo_payload_diff(&p, 8, 0, buf, sizeof(buf), &want) <
			 sizeof(buf),
		 1);
	for (i = 0; i < sizeof(buf); i += 517) {
		uint8_t orig = buf[i];

		buf[i] ^= 0x20;
		CHECK_EQ(echo_payload_diff(&p, 9, 0, buf, sizeof(buf), &want),
			 i);
		CHECK_EQ(want, orig);
		/* The offset is relative to the window compared. */
		if (i >= 100)
			CHECK_EQ(echo_payload_diff(&p, 9, 100, buf + 100,
						   sizeof(buf) - 100, &want),
				 i - 100);
		buf[i] = orig;
	}
}

UNIT_MAIN(UNIT_CASE(test_pattern_parse), UNIT_CASE(test_random_access),
	  UNIT_CASE(test_diff_offset))
