/*
 * packet_ipopt - the IPv4 record route and timestamp options (RFC 791):
 * empty ones for ping -R/-T to send, and the filled ones of replies.
 */
#include "packet.h"

#include <string.h>
#include <sys/socket.h>

#define IPOPT_EOL 0
#define IPOPT_NOP 1
#define IPOPT_RR 7
#define IPOPT_TS 68

static uint32_t ipopt_rd32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static void ipopt_addr(const uint8_t *p, struct pkt_addr *a)
{
	memset(a, 0, sizeof(*a));
	a->family = AF_INET;
	memcpy(a->a, p, 4);
}

/* Bytes of an option's data area in use: the pointer (1-based, first
 * free byte) says, the length bounds it. o[0..olen-1] is the option. */
static size_t ipopt_used(const uint8_t *o, size_t olen, size_t first)
{
	size_t end = o[2] ? (size_t)o[2] - 1 : 0;

	if (end > olen)
		end = olen;
	return end > first ? end - first : 0;
}

static void ipopt_rr(const uint8_t *o, size_t olen, struct pkt_ipopt_rr *rr)
{
	size_t used = ipopt_used(o, olen, 3), i;

	rr->present = true;
	rr->n = used / 4;
	if (rr->n > PKT_IPOPT_RR_SLOTS)
		rr->n = PKT_IPOPT_RR_SLOTS;
	for (i = 0; i < rr->n; i++)
		ipopt_addr(o + 3 + 4 * i, &rr->addr[i]);
}

static void ipopt_ts(const uint8_t *o, size_t olen, struct pkt_ipopt_ts *ts)
{
	size_t used = ipopt_used(o, olen, 4), step, i;
	const uint8_t *d = o + 4;

	ts->present = true;
	ts->kind = o[3] & 0x0f;
	ts->overflow = o[3] >> 4;
	step = ts->kind == PKT_TS_ONLY ? 4 : 8;
	ts->n = used / step;
	if (ts->n > PKT_IPOPT_TS_SLOTS)
		ts->n = PKT_IPOPT_TS_SLOTS;
	for (i = 0; i < ts->n; i++, d += step) {
		memset(&ts->e[i].addr, 0, sizeof(ts->e[i].addr));
		if (step == 8)
			ipopt_addr(d, &ts->e[i].addr);
		ts->e[i].ms = ipopt_rd32(d + step - 4);
	}
}

int pkt_ipopts_parse(const uint8_t *buf, size_t len, struct pkt_ipopts *out)
{
	size_t i = 0;

	memset(out, 0, sizeof(*out));
	while (i < len && buf[i] != IPOPT_EOL) {
		size_t olen;

		if (buf[i] == IPOPT_NOP) {
			i++;
			continue;
		}
		if (i + 1 >= len || buf[i + 1] < 2 || buf[i + 1] > len - i)
			return PKT_ERR_OPTIONS;
		olen = buf[i + 1];
		/* a second RR or TS option is not looked at (RFC 791 allows
		 * one of each) */
		if (buf[i] == IPOPT_RR && !out->rr.present) {
			if (olen < 3)
				return PKT_ERR_OPTIONS;
			ipopt_rr(buf + i, olen, &out->rr);
		} else if (buf[i] == IPOPT_TS && !out->ts.present) {
			if (olen < 4)
				return PKT_ERR_OPTIONS;
			ipopt_ts(buf + i, olen, &out->ts);
		}
		i += olen;
	}
	return 0;
}

int pkt_ipopt_build_rr(uint8_t *buf, size_t cap, size_t *needed)
{
	if (needed)
		*needed = PKT_IPOPT_MAX;
	if (cap < PKT_IPOPT_MAX)
		return PKT_ERR_SPACE;
	memset(buf, 0, PKT_IPOPT_MAX);
	/* the NOP makes the 39-byte option fill the 40 bytes exactly */
	buf[0] = IPOPT_NOP;
	buf[1] = IPOPT_RR;
	buf[2] = 3 + 4 * PKT_IPOPT_RR_SLOTS;
	buf[3] = 4; /* the first slot */
	return PKT_IPOPT_MAX;
}

int pkt_ipopt_build_ts(enum pkt_ts_kind kind, const struct pkt_addr *hops,
		       size_t nhops, uint8_t *buf, size_t cap, size_t *needed)
{
	size_t len, i;

	if (kind == PKT_TS_ONLY)
		len = 4 + 4 * PKT_IPOPT_TS_SLOTS;
	else if (kind == PKT_TS_ADDR)
		len = 4 + 8 * 4;
	else if (kind == PKT_TS_PRESPEC && nhops >= 1 && nhops <= 4 && hops)
		len = 4 + 8 * nhops;
	else
		return PKT_ERR_INVAL;
	for (i = 0; kind == PKT_TS_PRESPEC && i < nhops; i++)
		if (hops[i].family != AF_INET)
			return PKT_ERR_INVAL;
	if (needed)
		*needed = len;
	if (cap < len)
		return PKT_ERR_SPACE;
	memset(buf, 0, len);
	buf[0] = IPOPT_TS;
	buf[1] = (uint8_t)len;
	buf[2] = 5; /* the first entry */
	buf[3] = (uint8_t)kind;
	for (i = 0; kind == PKT_TS_PRESPEC && i < nhops; i++)
		memcpy(buf + 4 + 8 * i, hops[i].a, 4);
	return (int)len;
}
