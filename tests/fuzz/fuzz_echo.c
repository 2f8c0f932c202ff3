/*
 * fuzz_echo - the echo server's rules and the client's checks on arbitrary
 * input: what a datagram's source address and length can be (attacker
 * chosen), the per-source table under many sources, the option parsers
 * for port lists and patterns, and the client's byte comparison.
 *
 * The first byte picks the target:
 *   0  echo_ports_add and echo_payload_pattern on the rest as text
 *   1  echo_udp_check and echo_src_take on records of 21 bytes:
 *      family (even: IPv4, odd: IPv6), 16 address bytes, port (2), length (2)
 *   2  echo_payload_diff: payload (seed, seq, offset from the input), one
 *      byte flipped at a position from the input, must be found there
 * Invariants abort(); nothing is printed, nothing is sent (no resolver:
 * --listen's parser takes host names and stays out of here).
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

#include "echo_cli.h"
#include "echo_rules.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void fuzz_text(const uint8_t *d, size_t n)
{
	char text[256], err[256];
	struct echo_ports p;
	struct echo_payload pl;
	size_t i;

	if (n >= sizeof(text))
		n = sizeof(text) - 1;
	memcpy(text, d, n);
	text[n] = '\0';
	echo_ports_default(&p);
	if (echo_ports_add(&p, text, err, sizeof(err)) == 0) {
		if (p.n > ECHO_PORTS_MAX)
			abort();
		for (i = 0; i < p.n; i++)
			if (p.port[i] == 0)
				abort();
	} else if (!memchr(err, '\0', sizeof(err))) {
		abort();
	}
	memset(&pl, 0, sizeof(pl));
	if (echo_payload_pattern(&pl, text, err, sizeof(err)) == 0 &&
	    (pl.plen == 0 || pl.plen > ECHO_PATTERN_MAX))
		abort();
}

static void fuzz_sockaddr(const uint8_t *r, struct sockaddr_storage *ss,
			  size_t *len)
{
	uint16_t port = (uint16_t)(r[17] << 8 | r[18]);

	memset(ss, 0, sizeof(*ss));
	if (r[0] % 2 == 0) {
		struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

		s4->sin_family = AF_INET;
		memcpy(&s4->sin_addr, r + 1, 4);
		s4->sin_port = htons(port);
	} else {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

		s6->sin6_family = AF_INET6;
		memcpy(&s6->sin6_addr, r + 1, 16);
		s6->sin6_port = htons(port);
	}
	*len = (size_t)(r[19] << 8 | r[20]);
}

static void fuzz_rules(const uint8_t *d, size_t n)
{
	struct echo_udp_policy pol;
	struct echo_src_table t;
	uint32_t bcast = htonl(0xc6120fffu); /* 198.18.15.255 */
	int64_t now = 1;

	memset(&pol, 0, sizeof(pol));
	echo_ports_default(&pol.refused);
	pol.max_datagram = 1472;
	pol.self_ports[pol.nself++] = 7007;
	pol.bcast = &bcast;
	pol.nbcast = 1;
	if (echo_src_init(&t, 2, 1, 2) < 0)
		return;
	for (; n >= 21; d += 21, n -= 21) {
		struct sockaddr_storage ss;
		const struct sockaddr *sa = (const struct sockaddr *)&ss;
		size_t len;
		enum echo_verdict v;
		uint16_t port;

		fuzz_sockaddr(d, &ss, &len);
		port = ss.ss_family == AF_INET
			       ? ntohs(((struct sockaddr_in *)&ss)->sin_port)
			       : ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
		v = echo_udp_check(&pol, sa, NULL, len);
		if ((unsigned)v >= ECHO_VERDICT_COUNT)
			abort();
		/* what is answered is never from a refused port, never empty
		 * and never over the limit */
		if (v == ECHO_OK &&
		    (port == 0 || echo_ports_has(&pol.refused, port) ||
		     port == 7007 || len == 0 || len > pol.max_datagram))
			abort();
		now += d[0];
		echo_src_take(&t, sa, now);
	}
	echo_src_free(&t);
}

static void fuzz_diff(const uint8_t *d, size_t n)
{
	struct echo_payload p;
	uint8_t buf[512], want = 0;
	size_t off, len, at;
	uint64_t seq;

	if (n < 8)
		return;
	memset(&p, 0, sizeof(p));
	p.random = d[0] & 1;
	p.seed = d[1];
	p.plen = (size_t)(d[2] % ECHO_PATTERN_MAX) + 1;
	memcpy(p.pattern, d, n < p.plen ? n : p.plen);
	seq = d[3];
	off = (size_t)(d[4] << 8 | d[5]);
	len = (size_t)d[6] + 1;
	at = d[7] % len;
	echo_payload_fill(&p, seq, off, buf, len);
	if (echo_payload_diff(&p, seq, off, buf, len, &want) != len)
		abort();
	buf[at] ^= 0x5a;
	if (echo_payload_diff(&p, seq, off, buf, len, &want) != at ||
	    (uint8_t)(want ^ 0x5a) != buf[at])
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	switch (data[0] % 3) {
	case 0:
		fuzz_text(data + 1, size - 1);
		break;
	case 1:
		fuzz_rules(data + 1, size - 1);
		break;
	default:
		fuzz_diff(data + 1, size - 1);
		break;
	}
	return 0;
}
