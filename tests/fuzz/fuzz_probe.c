/*
 * fuzz_probe - lib/probe driven by a little op language, checked against
 * a plain array model:
 *
 *   byte 0: config (bit 0: icmp_ignore_id, bits 1-2: udp_key)
 *   then ops:  'A' + 13 bytes   add a probe (proto, dst byte, id, seq,
 *                               sport, dport, csum/ipid, ...)
 *              'R' + 1 byte     remove the k-th probe of the model
 *              'E' + 1 byte     expire probes sent before time t
 *              'M' + 2 bytes length L + L bytes: parse the packet (IP or,
 *                               if the first byte says so, ICMP without
 *                               IP header) and match it
 * Invariants: count equals the model; find returns the model's pointers;
 * a match returns a probe that is in the table and whose fields fit the
 * packet's kind.
 */
#include "packet.h"
#include "probe.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define CAP 16

struct model {
	struct probe *p[CAP];
	size_t n;
};

static uint16_t get16(const uint8_t *d)
{
	return (uint16_t)((d[0] << 8) | d[1]);
}

static void op_add(struct probe_table *t, struct model *m, const uint8_t *d)
{
	struct probe p, *r;

	memset(&p, 0, sizeof(p));
	p.f.proto = (enum pkt_probe_proto)(d[0] % 3);
	/* a few destinations, v4 and v6, so matches can hit */
	if (d[1] & 0x80) {
		pkt_addr_pton("::1", &p.f.dst);
		p.f.dst.a[15] = (uint8_t)(1 + (d[1] & 3));
	} else {
		pkt_addr_pton("127.0.0.1", &p.f.dst);
		p.f.dst.a[3] = (uint8_t)(1 + (d[1] & 3));
	}
	p.f.icmp_id = get16(d + 2);
	p.f.icmp_seq = get16(d + 4);
	p.f.sport = get16(d + 2);
	p.f.dport = get16(d + 4);
	p.f.udp_csum = get16(d + 6);
	p.f.ip_id = get16(d + 6);
	p.f.tcp_seq = ((uint32_t)get16(d + 8) << 16) | get16(d + 10);
	p.tx_mono_ns = d[12];
	r = probe_add(t, &p);
	if (r) {
		if (m->n >= CAP || probe_find(t, &p.f) != r)
			abort();
		m->p[m->n++] = r;
	} else if (m->n < CAP && !probe_find(t, &p.f)) {
		abort(); /* refused with room left and no duplicate */
	}
}

static void op_remove(struct probe_table *t, struct model *m, uint8_t k)
{
	if (!m->n)
		return;
	k = (uint8_t)(k % m->n);
	probe_remove(t, m->p[k]);
	m->p[k] = m->p[--m->n];
}

static void op_expire(struct probe_table *t, struct model *m, uint8_t when)
{
	size_t i = 0, want = 0, got;

	for (i = 0; i < m->n; i++)
		want += m->p[i]->tx_mono_ns < when;
	got = probe_expire(t, when, NULL, NULL);
	if (got != want)
		abort();
	for (i = 0; i < m->n;)
		if (m->p[i]->tx_mono_ns < when)
			m->p[i] = m->p[--m->n];
		else
			i++;
}

static void op_match(struct probe_table *t, const struct model *m,
		     const uint8_t *d, size_t n)
{
	struct pkt_parsed p;
	struct probe_match r;
	struct pkt_addr from;
	size_t i;
	bool dgram = n > 0 && (d[0] >> 4) < 4;

	if (dgram) {
		/* ICMP from a datagram socket: the sender from recvmsg */
		int fam = d[0] & 1 ? AF_INET6 : AF_INET;

		pkt_addr_pton(fam == AF_INET ? "127.0.0.1" : "::1", &from);
		if (pkt_parse_icmp(d + 1, n - 1, fam, NULL, NULL, &p))
			return;
	} else if (pkt_parse(d, n, &p)) {
		return;
	}
	if (!probe_match(t, &p, dgram ? &from : NULL, &r))
		return;
	for (i = 0; i < m->n; i++)
		if (m->p[i] == r.probe)
			break;
	if (i == m->n || r.kind == PROBE_REPLY_NONE)
		abort();
	if (r.kind == PROBE_REPLY_ECHO && r.probe->f.proto != PKT_PROBE_ICMP)
		abort();
	if ((r.kind == PROBE_REPLY_TCP_RST ||
	     r.kind == PROBE_REPLY_TCP_SYNACK) &&
	    r.probe->f.proto != PKT_PROBE_TCP)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct probe_table t;
	struct probe_table_cfg cfg;
	struct model m = {{0}, 0};
	size_t i = 1;

	if (size < 1)
		return 0;
	cfg.capacity = CAP;
	cfg.icmp_ignore_id = data[0] & 1;
	cfg.udp_key = (enum probe_udp_key)((data[0] >> 1) % 3);
	if (probe_table_init(&t, &cfg))
		return 0;
	while (i < size) {
		uint8_t op = data[i++];

		if (op == 'A' && i + 13 <= size) {
			op_add(&t, &m, data + i);
			i += 13;
		} else if (op == 'R' && i < size) {
			op_remove(&t, &m, data[i++]);
		} else if (op == 'E' && i < size) {
			op_expire(&t, &m, data[i++]);
		} else if (op == 'M' && i + 2 <= size) {
			size_t n = get16(data + i);

			i += 2;
			if (n > size - i)
				n = size - i;
			op_match(&t, &m, data + i, n);
			i += n;
		}
		if (probe_count(&t) != m.n)
			abort();
	}
	probe_table_free(&t);
	return 0;
}
