/*
 * packet - checksums, parsers and builders (see packet.h). The text side
 * (summaries, ICMP names) is in packet_text.c.
 *
 * Every read goes through the rd* helpers below after an explicit length
 * check, and every parser works on (buf, len) with len already clamped to
 * what the enclosing header says, so no function reads past its buffer.
 */
#include "packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

#define IP4_HDR 20
#define IP6_HDR 40
#define ICMP_HDR 8
#define UDP_HDR 8
#define TCP_HDR 20
#define EXT_HDR_MAX 16 /* IPv6 extension headers we follow at most */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t rd32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void wr32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

const char *pkt_strerror(int err)
{
	switch (err) {
	case PKT_OK: return "no error";
	case PKT_ERR_TRUNCATED: return "truncated packet";
	case PKT_ERR_VERSION: return "bad IP version";
	case PKT_ERR_IHL: return "bad IPv4 header length";
	case PKT_ERR_TOTLEN: return "IP total length beyond the buffer";
	case PKT_ERR_OPTIONS: return "options run over the header";
	case PKT_ERR_TCP_OFFSET: return "bad TCP data offset";
	case PKT_ERR_UDP_LEN: return "bad UDP length";
	case PKT_ERR_EXTHDR: return "bad IPv6 extension header";
	case PKT_ERR_ICMP_EXT: return "bad ICMP extension structure";
	case PKT_ERR_SPACE: return "buffer too small";
	case PKT_ERR_INVAL: return "invalid argument";
	case PKT_ERR_LINK: return "not an IP frame";
	case PKT_ERR_TOTLEN_SHORT:
		return "IP total length shorter than its header";
	}
	return "unknown packet error";
}

/* ------------------------------------------------------------ addresses */

static size_t addr_len(int family)
{
	return family == AF_INET6 ? 16 : family == AF_INET ? 4 : 0;
}

bool pkt_addr_eq(const struct pkt_addr *x, const struct pkt_addr *y)
{
	/* Constant lengths: the compiler compares in registers instead of
	 * calling memcmp (every reply a probe table looks up comes here). */
	if (x->family != y->family)
		return false;
	if (x->family == AF_INET6)
		return memcmp(x->a, y->a, 16) == 0;
	return x->family != AF_INET || memcmp(x->a, y->a, 4) == 0;
}

int pkt_addr_from_sockaddr(const struct sockaddr *sa, struct pkt_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (!sa)
		return PKT_ERR_INVAL;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)sa;

		out->family = AF_INET;
		memcpy(out->a, &s4->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)sa;

		out->family = AF_INET6;
		memcpy(out->a, &s6->sin6_addr, 16);
		return 0;
	}
	return PKT_ERR_INVAL;
}

const char *pkt_addr_ntop(const struct pkt_addr *addr, char *buf, size_t len)
{
	if (len == 0)
		return buf;
	if (!addr_len(addr->family) ||
	    !inet_ntop(addr->family, addr->a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

int pkt_addr_pton(const char *text, struct pkt_addr *out)
{
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, text, out->a) == 1) {
		out->family = AF_INET;
		return 0;
	}
	if (inet_pton(AF_INET6, text, out->a) == 1) {
		out->family = AF_INET6;
		return 0;
	}
	return PKT_ERR_INVAL;
}

/* ------------------------------------------------------------ checksums */

uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len)
{
	const uint8_t *p = data;
	uint64_t s = sum;
	size_t i = 0;

	/* Four bytes at a time: a 32-bit big-endian word is two 16-bit
	 * words, and 2^16 = 1 in ones' complement arithmetic, so summing
	 * the words whole and folding later gives the same sum (RFC 1071
	 * section 2). A 64-bit total cannot overflow below 2^32 words. */
	for (; i + 4 <= len; i += 4) {
		uint32_t w;

		memcpy(&w, p + i, sizeof(w)); /* one load, any alignment */
		s += ntohl(w);
	}
	if (i + 2 <= len) {
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
		i += 2;
	}
	if (i < len)
		s += (uint32_t)p[i] << 8;
	/* Fold the carries now so a long chain never overflows 32 bits. */
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint32_t)s;
}

uint16_t pkt_csum_fold(uint32_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)~sum;
}

uint16_t pkt_checksum(const void *data, size_t len)
{
	return pkt_csum_fold(pkt_csum_add(0, data, len));
}

uint32_t pkt_pseudo_sum(const struct pkt_addr *src, const struct pkt_addr *dst,
			uint8_t proto, uint32_t len)
{
	uint8_t tail[8];
	size_t alen = addr_len(src->family);
	uint32_t sum = 0;

	sum = pkt_csum_add(sum, src->a, alen);
	sum = pkt_csum_add(sum, dst->a, alen);
	if (src->family == AF_INET6) {
		/* RFC 8200 8.1: 32-bit length, 3 zero bytes, next header */
		wr32(tail, len);
		tail[4] = tail[5] = tail[6] = 0;
		tail[7] = proto;
		return pkt_csum_add(sum, tail, 8);
	}
	tail[0] = 0;
	tail[1] = proto;
	wr16(tail + 2, (uint16_t)len);
	return pkt_csum_add(sum, tail, 4);
}

uint16_t pkt_l4_checksum(const struct pkt_addr *src, const struct pkt_addr *dst,
			 uint8_t proto, const void *seg, size_t len)
{
	uint32_t sum = pkt_pseudo_sum(src, dst, proto, (uint32_t)len);

	return pkt_csum_fold(pkt_csum_add(sum, seg, len));
}

int pkt_csum_force(uint8_t *seg, size_t len, size_t csum_off, size_t fill_off,
		   uint16_t want, uint32_t pseudo)
{
	uint32_t sum;

	if ((fill_off & 1) || (csum_off & 1) || csum_off + 2 > len ||
	    fill_off + 2 > len || csum_off == fill_off)
		return PKT_ERR_INVAL;
	wr16(seg + csum_off, want);
	wr16(seg + fill_off, 0);
	/* The segment verifies when its one's complement sum, fill word
	 * included, is 0xffff: the fill word is the complement of the rest. */
	sum = pkt_csum_add(pseudo, seg, len);
	wr16(seg + fill_off, pkt_csum_fold(sum));
	return 0;
}

/* ------------------------------------------------------------ parsing */

bool pkt_icmp_is_error(bool v6, uint8_t type)
{
	if (v6)
		return type >= 1 && type <= 4;
	return type == 3 || type == 4 || type == 5 || type == 11 || type == 12;
}

/* Walks IPv4 options (RFC 791): every option but EOL/NOP has a length
 * byte, and it must fit in what is left. */
static int check_ip4_opts(const uint8_t *o, size_t n)
{
	size_t i = 0;

	while (i < n) {
		if (o[i] == 0)
			return 0;
		if (o[i] == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i)
			return PKT_ERR_OPTIONS;
		i += o[i + 1];
	}
	return 0;
}

/*
 * The IPv4 header. *l4len gets the bytes after the header that belong to
 * this datagram (clamped to the buffer in quotations, which routers cut).
 */
static int parse_ip4(const uint8_t *b, size_t len, bool quoted,
		     struct pkt_ip *ip, size_t *l4len)
{
	size_t ihl, tot;
	uint16_t frag;

	if (len < IP4_HDR)
		return PKT_ERR_TRUNCATED;
	ihl = (size_t)(b[0] & 0x0f) * 4;
	tot = rd16(b + 2);
	ip->version = 4;
	ip->tos = b[1];
	ip->total_len = (uint16_t)tot;
	ip->id = rd16(b + 4);
	frag = rd16(b + 6);
	ip->df = (frag & 0x4000) != 0;
	ip->mf = (frag & 0x2000) != 0;
	ip->frag_off = (uint16_t)((frag & 0x1fff) * 8);
	ip->ttl = b[8];
	ip->proto = b[9];
	ip->checksum = rd16(b + 10);
	ip->src.family = ip->dst.family = AF_INET;
	memcpy(ip->src.a, b + 12, 4);
	memcpy(ip->dst.a, b + 16, 4);
	ip->hdr_len = (uint16_t)ihl;
	if (ihl < IP4_HDR)
		return PKT_ERR_IHL;
	if (ihl > len)
		return PKT_ERR_TRUNCATED;
	if (tot < ihl && !quoted)
		return tot < IP4_HDR ? PKT_ERR_TOTLEN_SHORT : PKT_ERR_IHL;
	if (tot > len && !quoted)
		return PKT_ERR_TOTLEN;
	ip->opts = b + IP4_HDR;
	ip->opt_len = ihl - IP4_HDR;
	if (check_ip4_opts(ip->opts, ip->opt_len))
		return PKT_ERR_OPTIONS;
	ip->checksum_ok = pkt_checksum(b, ihl) == 0 ? PKT_CKSUM_OK
						    : PKT_CKSUM_BAD;
	/* Quotations: trust the buffer, not a length the router may have
	 * rewritten (or byte-swapped, as some BSDs did). */
	if (quoted || tot < ihl)
		*l4len = len - ihl;
	else
		*l4len = tot - ihl;
	if (quoted && tot >= ihl && tot - ihl < *l4len)
		*l4len = tot - ihl;
	return 0;
}

static bool is_ext_hdr(uint8_t nh)
{
	return nh == 0 || nh == 43 || nh == 44 || nh == 60 || nh == 51;
}

/* Follows the IPv6 extension header chain to the upper layer. */
static int walk_ip6_ext(const uint8_t *b, size_t len, struct pkt_ip *ip,
			size_t *off)
{
	uint8_t nh = ip->proto;
	size_t n, hops = 0;

	while (is_ext_hdr(nh)) {
		if (++hops > EXT_HDR_MAX || *off + 8 > len)
			return PKT_ERR_EXTHDR;
		if (nh == 44) {
			uint16_t fo = rd16(b + *off + 2);

			ip->frag_off = fo & 0xfff8;
			ip->mf = fo & 1;
			ip->id = (uint16_t)rd32(b + *off + 4);
			n = 8;
		} else if (nh == 51) {
			n = ((size_t)b[*off + 1] + 2) * 4; /* RFC 4302 */
		} else {
			n = ((size_t)b[*off + 1] + 1) * 8;
		}
		if (*off + n > len)
			return PKT_ERR_EXTHDR;
		nh = b[*off];
		*off += n;
	}
	ip->proto = nh;
	return 0;
}

static int parse_ip6(const uint8_t *b, size_t len, bool quoted,
		     struct pkt_ip *ip, size_t *l4len)
{
	size_t plen, end, off = IP6_HDR;
	uint32_t w;
	int err;

	if (len < IP6_HDR)
		return PKT_ERR_TRUNCATED;
	w = rd32(b);
	ip->version = 6;
	ip->tos = (uint8_t)(w >> 20);
	ip->flow_label = w & 0xfffff;
	plen = rd16(b + 4);
	ip->proto = b[6];
	ip->ttl = b[7];
	ip->src.family = ip->dst.family = AF_INET6;
	memcpy(ip->src.a, b + 8, 16);
	memcpy(ip->dst.a, b + 24, 16);
	ip->total_len = (uint16_t)(plen + IP6_HDR > 0xffff ? 0xffff
							   : plen + IP6_HDR);
	if (plen + IP6_HDR > len && !quoted)
		return PKT_ERR_TOTLEN;
	end = plen + IP6_HDR;
	/* A zero payload length is a jumbogram (RFC 2675) or a rewritten
	 * quotation: use what the buffer holds. */
	if (end > len || plen == 0)
		end = len;
	err = walk_ip6_ext(b, end, ip, &off);
	ip->hdr_len = (uint16_t)off;
	if (err)
		return err;
	*l4len = end - off;
	return 0;
}

static void parse_tcp_opts(struct pkt_tcp *t, const uint8_t *o, size_t n,
			   int *err)
{
	size_t i = 0;

	while (i < n) {
		uint8_t kind = o[i], olen;

		if (kind == 0)
			break;
		if (kind == 1) {
			i++;
			continue;
		}
		if (i + 1 >= n || o[i + 1] < 2 || o[i + 1] > n - i) {
			*err = PKT_ERR_OPTIONS;
			return;
		}
		olen = o[i + 1];
		if (kind == 2 && olen == 4) {
			t->has_mss = true;
			t->mss = rd16(o + i + 2);
		} else if (kind == 3 && olen == 3) {
			t->has_wscale = true;
			t->wscale = o[i + 2];
		} else if (kind == 4 && olen == 2) {
			t->sack_ok = true;
		} else if (kind == 8 && olen == 10) {
			t->has_ts = true;
			t->ts_val = rd32(o + i + 2);
			t->ts_ecr = rd32(o + i + 6);
		}
		i += olen;
	}
}

static enum pkt_cksum verify_l4(const struct pkt_ip *ip, uint8_t proto,
				const uint8_t *seg, size_t len)
{
	if (!ip->src.family || ip->src.family != ip->dst.family)
		return PKT_CKSUM_UNCHECKED;
	return pkt_l4_checksum(&ip->src, &ip->dst, proto, seg, len) == 0
		       ? PKT_CKSUM_OK
		       : PKT_CKSUM_BAD;
}

static int parse_tcp(struct pkt_layer *l, const uint8_t *b, size_t len,
		     bool quoted)
{
	struct pkt_tcp *t = &l->tcp;
	int err = 0;

	if (len < TCP_HDR) {
		/* RFC 792 quotations hold 8 bytes: ports and seq. */
		if (!quoted || len < 4)
			return PKT_ERR_TRUNCATED;
		l->l4_partial = true;
		t->sport = rd16(b);
		t->dport = rd16(b + 2);
		if (len >= 8)
			t->seq = rd32(b + 4);
		if (len >= 12)
			t->ack = rd32(b + 8);
		if (len >= 14) {
			t->doff = (uint8_t)((b[12] >> 4) * 4);
			t->flags = b[13];
		}
		return 0;
	}
	t->sport = rd16(b);
	t->dport = rd16(b + 2);
	t->seq = rd32(b + 4);
	t->ack = rd32(b + 8);
	t->doff = (uint8_t)((b[12] >> 4) * 4);
	t->flags = b[13];
	t->win = rd16(b + 14);
	t->checksum = rd16(b + 16);
	t->urg = rd16(b + 18);
	if (t->doff < TCP_HDR)
		return PKT_ERR_TCP_OFFSET;
	if (t->doff > len) {
		if (!quoted)
			return PKT_ERR_TCP_OFFSET;
		l->l4_partial = true;
		return 0;
	}
	t->opts = b + TCP_HDR;
	t->opt_len = t->doff - TCP_HDR;
	parse_tcp_opts(t, t->opts, t->opt_len, &err);
	if (err)
		return err;
	t->data = b + t->doff;
	t->data_len = len - t->doff;
	if (!quoted)
		t->checksum_ok = verify_l4(&l->ip, IPPROTO_TCP, b, len);
	return 0;
}

static int parse_udp(struct pkt_layer *l, const uint8_t *b, size_t len,
		     bool quoted)
{
	struct pkt_udp *u = &l->udp;

	if (len < UDP_HDR) {
		if (!quoted || len < 4)
			return PKT_ERR_TRUNCATED;
		l->l4_partial = true;
		u->sport = rd16(b);
		u->dport = rd16(b + 2);
		return 0;
	}
	u->sport = rd16(b);
	u->dport = rd16(b + 2);
	u->len = rd16(b + 4);
	u->checksum = rd16(b + 6);
	if (u->len < UDP_HDR && !quoted)
		return PKT_ERR_UDP_LEN;
	if (u->len > len || u->len < UDP_HDR) {
		if (!quoted)
			return PKT_ERR_UDP_LEN;
		/* The rest of the datagram was cut off by the router. */
		l->l4_partial = u->len > len;
		u->data = b + UDP_HDR;
		u->data_len = len - UDP_HDR;
		return 0;
	}
	u->data = b + UDP_HDR;
	u->data_len = u->len - UDP_HDR;
	if (quoted)
		return 0;
	if (u->checksum == 0 && l->ip.version != 6)
		u->checksum_ok = PKT_CKSUM_UNCHECKED; /* "no checksum" */
	else
		u->checksum_ok = verify_l4(&l->ip, IPPROTO_UDP, b, u->len);
	return 0;
}

/* RFC 4950: MPLS label stack entries of one object. */
static void parse_mpls(struct pkt_icmp_ext *e, const uint8_t *p, size_t n)
{
	size_t i;

	for (i = 0; i + 4 <= n && e->n_mpls < PKT_MPLS_MAX; i += 4) {
		uint32_t w = rd32(p + i);
		struct pkt_mpls *m = &e->mpls[e->n_mpls++];

		m->label = w >> 12;
		m->tc = (uint8_t)((w >> 9) & 7);
		m->bottom = (w >> 8) & 1;
		m->ttl = (uint8_t)w;
	}
}

/* RFC 4884 section 7: a 4-byte header (version 2, checksum), then
 * objects of (length, class, c-type, data). */
static bool parse_ext(struct pkt_icmp_ext *e, const uint8_t *p, size_t n)
{
	size_t off = 4;

	if (n < 4 || (p[0] >> 4) != 2)
		return false;
	e->present = true;
	e->checksum_ok = rd16(p + 2) == 0 || pkt_checksum(p, n) == 0
				 ? PKT_CKSUM_OK
				 : PKT_CKSUM_BAD;
	if (rd16(p + 2) == 0)
		e->checksum_ok = PKT_CKSUM_UNCHECKED; /* RFC 4884: optional */
	while (off + 4 <= n) {
		size_t olen = rd16(p + off);

		if (olen < 4 || olen > n - off) {
			e->err = PKT_ERR_ICMP_EXT;
			return true;
		}
		e->n_objects++;
		if (p[off + 2] == 1 && p[off + 3] == 1)
			parse_mpls(e, p + off + 4, olen - 4);
		off += olen;
	}
	if (off != n)
		e->err = PKT_ERR_ICMP_EXT;
	return true;
}

/* Which ICMP errors carry the RFC 4884 length field, and its unit. */
static size_t ext_unit(bool v6, uint8_t type)
{
	if (v6)
		return (type == 1 || type == 3) ? 8 : 0;
	return (type == 3 || type == 11 || type == 12) ? 4 : 0;
}

/* Splits an error's data into quotation and extension structure. */
static void split_quote(struct pkt_icmp *ic)
{
	size_t unit = ext_unit(ic->v6, ic->type);
	size_t qlen = (size_t)ic->length * unit;

	if (!unit)
		return;
	if (qlen) {
		/* RFC 4884: the extension starts at length*unit bytes. */
		if (qlen + 4 <= ic->data_len &&
		    parse_ext(&ic->ext, ic->data + qlen, ic->data_len - qlen))
			ic->data_len = qlen;
		return;
	}
	/* Routers older than RFC 4884 (RFC 4950 drafts) put the extension
	 * at 128 bytes without setting length: accept it only when its
	 * checksum is right, so a long quotation is not misread. */
	if (ic->data_len >= 128 + 8 && (ic->data[128] >> 4) == 2 &&
	    rd16(ic->data + 130) != 0 &&
	    pkt_checksum(ic->data + 128, ic->data_len - 128) == 0 &&
	    parse_ext(&ic->ext, ic->data + 128, ic->data_len - 128))
		ic->data_len = 128;
}

static bool is_echo_like(bool v6, uint8_t type)
{
	if (v6)
		return type == 128 || type == 129;
	return type == 0 || type == 8 || (type >= 13 && type <= 18);
}

static void icmp_fields(struct pkt_icmp *ic)
{
	if (is_echo_like(ic->v6, ic->type)) {
		ic->id = (uint16_t)(ic->rest >> 16);
		ic->seq = (uint16_t)ic->rest;
	}
	if (!ic->v6 && ic->type == 3 && ic->code == 4)
		ic->mtu = ic->rest & 0xffff;
	if (ic->v6 && ic->type == 2)
		ic->mtu = ic->rest;
	if (!ic->v6 && ic->type == 12)
		ic->pointer = ic->rest >> 24;
	if (ic->v6 && ic->type == 4)
		ic->pointer = ic->rest;
	if (ext_unit(ic->v6, ic->type))
		ic->length = ic->v6 ? (uint8_t)(ic->rest >> 24)
				    : (uint8_t)(ic->rest >> 16);
}

static int parse_layer(const uint8_t *b, size_t len, bool quoted,
		       struct pkt_layer *l);

static int parse_icmp(struct pkt_layer *l, const uint8_t *b, size_t len,
		      bool quoted, bool v6)
{
	struct pkt_icmp *ic = &l->icmp;

	ic->v6 = v6;
	if (len < ICMP_HDR) {
		if (!quoted || len < 4)
			return PKT_ERR_TRUNCATED;
		l->l4_partial = true;
		ic->type = b[0];
		ic->code = b[1];
		ic->checksum = rd16(b + 2);
		return 0;
	}
	ic->type = b[0];
	ic->code = b[1];
	ic->checksum = rd16(b + 2);
	ic->rest = rd32(b + 4);
	icmp_fields(ic);
	ic->data = b + ICMP_HDR;
	ic->data_len = len - ICMP_HDR;
	if (quoted)
		return 0;
	if (!v6)
		ic->checksum_ok = pkt_checksum(b, len) == 0 ? PKT_CKSUM_OK
							    : PKT_CKSUM_BAD;
	else
		ic->checksum_ok = verify_l4(&l->ip, IPPROTO_ICMPV6, b, len);
	if (pkt_icmp_is_error(v6, ic->type))
		split_quote(ic);
	return 0;
}

static int parse_l4(struct pkt_layer *l, const uint8_t *b, size_t len,
		    bool quoted)
{
	l->l4_start = b;
	l->l4_len = len;
	/* Only the first fragment carries the upper-layer header. */
	if (l->ip.frag_off != 0) {
		l->l4 = PKT_L4_OTHER;
		return 0;
	}
	switch (l->ip.proto) {
	case IPPROTO_ICMP:
		if (l->ip.version != 4)
			break;
		l->l4 = PKT_L4_ICMP;
		return parse_icmp(l, b, len, quoted, false);
	case IPPROTO_ICMPV6:
		if (l->ip.version != 6)
			break;
		l->l4 = PKT_L4_ICMP;
		return parse_icmp(l, b, len, quoted, true);
	case IPPROTO_UDP:
		l->l4 = PKT_L4_UDP;
		return parse_udp(l, b, len, quoted);
	case IPPROTO_TCP:
		l->l4 = PKT_L4_TCP;
		return parse_tcp(l, b, len, quoted);
	}
	l->l4 = PKT_L4_OTHER;
	return 0;
}

static int parse_layer(const uint8_t *b, size_t len, bool quoted,
		       struct pkt_layer *l)
{
	size_t l4len = 0;
	int err;

	memset(l, 0, sizeof(*l));
	if (len < 1)
		return PKT_ERR_TRUNCATED;
	switch (b[0] >> 4) {
	case 4: err = parse_ip4(b, len, quoted, &l->ip, &l4len); break;
	case 6: err = parse_ip6(b, len, quoted, &l->ip, &l4len); break;
	default: return PKT_ERR_VERSION;
	}
	if (err)
		return err;
	err = parse_l4(l, b + l->ip.hdr_len, l4len, quoted);
	if (err && quoted) {
		/* Keep the IP header of a quotation even if its upper layer
		 * is too short to say anything. */
		l->l4 = PKT_L4_NONE;
		l->l4_partial = true;
		return 0;
	}
	return err;
}

/* An ICMP error's quotation, as a second layer. */
static void parse_inner(struct pkt_parsed *out)
{
	const struct pkt_icmp *ic = &out->outer.icmp;

	if (out->outer.l4 != PKT_L4_ICMP || out->outer.l4_partial ||
	    !pkt_icmp_is_error(ic->v6, ic->type))
		return;
	out->inner_err = parse_layer(ic->data, ic->data_len, true,
				     &out->inner);
	out->has_inner = out->inner_err == 0;
}

int pkt_parse(const uint8_t *buf, size_t len, struct pkt_parsed *out)
{
	int err;

	memset(out, 0, sizeof(*out));
	err = parse_layer(buf, len, false, &out->outer);
	if (err)
		return err;
	parse_inner(out);
	return 0;
}

int pkt_parse_icmp(const uint8_t *buf, size_t len, int family,
		   const struct pkt_addr *src, const struct pkt_addr *dst,
		   struct pkt_parsed *out)
{
	struct pkt_layer *l = &out->outer;
	int err;

	memset(out, 0, sizeof(*out));
	if (family != AF_INET && family != AF_INET6)
		return PKT_ERR_INVAL;
	if (src)
		l->ip.src = *src;
	if (dst)
		l->ip.dst = *dst;
	l->ip.proto = family == AF_INET ? IPPROTO_ICMP : IPPROTO_ICMPV6;
	l->l4 = PKT_L4_ICMP;
	l->l4_start = buf;
	l->l4_len = len;
	err = parse_icmp(l, buf, len, false, family == AF_INET6);
	if (err)
		return err;
	parse_inner(out);
	return 0;
}

int pkt_parse_l4(const uint8_t *buf, size_t len, int family, uint8_t proto,
		 const struct pkt_addr *src, const struct pkt_addr *dst,
		 struct pkt_parsed *out)
{
	struct pkt_layer *l = &out->outer;

	memset(out, 0, sizeof(*out));
	if ((family != AF_INET && family != AF_INET6) ||
	    (proto != IPPROTO_UDP && proto != IPPROTO_TCP))
		return PKT_ERR_INVAL;
	if (src)
		l->ip.src = *src;
	if (dst)
		l->ip.dst = *dst;
	l->ip.proto = proto;
	return parse_l4(l, buf, len, false);
}

/* pcap link types (numbers from the tcpdump.org LINKTYPE list). */
#define LT_NULL 0
#define LT_EN10MB 1
#define LT_RAW_BSD 12
#define LT_RAW_OBSD 14
#define LT_RAW 101
#define LT_LINUX_SLL 113
#define LT_IPV4 228
#define LT_IPV6 229
#define LT_LINUX_SLL2 276

/* The offset of the IP header in a frame, or a negative error. */
static long link_offset(const uint8_t *b, size_t len, int dlt)
{
	size_t off;
	uint16_t et;

	switch (dlt) {
	case LT_RAW_BSD: case LT_RAW_OBSD: case LT_RAW:
	case LT_IPV4: case LT_IPV6:
		return 0;
	case LT_NULL:
		return len < 4 ? PKT_ERR_LINK : 4;
	case LT_LINUX_SLL:
		if (len < 16)
			return PKT_ERR_LINK;
		et = rd16(b + 14);
		off = 16;
		break;
	case LT_LINUX_SLL2:
		if (len < 20)
			return PKT_ERR_LINK;
		et = rd16(b);
		off = 20;
		break;
	case LT_EN10MB:
		if (len < 14)
			return PKT_ERR_LINK;
		et = rd16(b + 12);
		off = 14;
		/* 802.1Q / 802.1ad tags, possibly stacked */
		while ((et == 0x8100 || et == 0x88a8) && off + 4 <= len) {
			et = rd16(b + off + 2);
			off += 4;
		}
		break;
	default:
		return PKT_ERR_LINK;
	}
	if (et != 0x0800 && et != 0x86dd)
		return PKT_ERR_LINK;
	return (long)off;
}

int pkt_parse_link(const uint8_t *buf, size_t len, int dlt,
		   struct pkt_parsed *out)
{
	long off = link_offset(buf, len, dlt);

	if (off < 0) {
		memset(out, 0, sizeof(*out));
		return (int)off;
	}
	return pkt_parse(buf + off, len - (size_t)off, out);
}

/* ------------------------------------------------------------ building */

static int space(size_t want, size_t cap, size_t *needed)
{
	if (needed)
		*needed = want;
	if (want > 0xffff)
		return PKT_ERR_INVAL;
	return want > cap ? PKT_ERR_SPACE : 0;
}

/* TCP options: raw ones as given (so parse -> build gives the same
 * bytes), else the has_* ones in Linux's order; returns their length. */
static size_t tcp_opts(const struct pkt_tcp *t, uint8_t *o)
{
	size_t n = 0;

	if (t->opts && t->opt_len) {
		memcpy(o, t->opts, t->opt_len);
		return t->opt_len;
	}

	if (t->has_mss) {
		o[n++] = 2, o[n++] = 4;
		wr16(o + n, t->mss), n += 2;
	}
	if (t->sack_ok && !t->has_ts)
		o[n++] = 1, o[n++] = 1;
	if (t->sack_ok)
		o[n++] = 4, o[n++] = 2;
	if (t->has_ts) {
		if (!t->sack_ok)
			o[n++] = 1, o[n++] = 1;
		o[n++] = 8, o[n++] = 10;
		wr32(o + n, t->ts_val), n += 4;
		wr32(o + n, t->ts_ecr), n += 4;
	}
	if (t->has_wscale) {
		o[n++] = 1, o[n++] = 3, o[n++] = 3;
		o[n++] = t->wscale;
	}
	while (n & 3)
		o[n++] = 0;
	return n;
}

static bool tcp_opts_ok(const struct pkt_layer *l)
{
	return l->l4 != PKT_L4_TCP || !l->tcp.opts ||
	       (l->tcp.opt_len <= 40 && (l->tcp.opt_len & 3) == 0);
}

static size_t l4_hdr_len(const struct pkt_layer *l, uint8_t *topts,
			 size_t *toptlen)
{
	*toptlen = 0;
	switch (l->l4) {
	case PKT_L4_ICMP: return ICMP_HDR;
	case PKT_L4_UDP: return UDP_HDR;
	case PKT_L4_TCP:
		*toptlen = tcp_opts(&l->tcp, topts);
		return TCP_HDR + *toptlen;
	default: return 0;
	}
}

static uint8_t l4_proto(const struct pkt_layer *l)
{
	switch (l->l4) {
	case PKT_L4_ICMP:
		return l->ip.version == 6 || l->icmp.v6 ? IPPROTO_ICMPV6
							: IPPROTO_ICMP;
	case PKT_L4_UDP: return IPPROTO_UDP;
	case PKT_L4_TCP: return IPPROTO_TCP;
	default: return l->ip.proto;
	}
}

static void default_payload(const struct pkt_layer *l, const uint8_t **p,
			    size_t *n)
{
	if (*p)
		return;
	switch (l->l4) {
	case PKT_L4_ICMP: *p = l->icmp.data, *n = l->icmp.data_len; break;
	case PKT_L4_UDP: *p = l->udp.data, *n = l->udp.data_len; break;
	case PKT_L4_TCP: *p = l->tcp.data, *n = l->tcp.data_len; break;
	default: *n = 0; break;
	}
	if (!*p)
		*n = 0;
}

static uint32_t icmp_rest(const struct pkt_icmp *ic, bool v6)
{
	uint32_t rest = ic->rest;

	if (is_echo_like(v6, ic->type))
		return ((uint32_t)ic->id << 16) | ic->seq;
	if (!v6 && ic->type == 3 && ic->code == 4)
		rest = (rest & 0xffff0000u) | (ic->mtu & 0xffff);
	if (v6 && ic->type == 2)
		rest = ic->mtu;
	if (!v6 && ic->type == 12)
		rest = (rest & 0x00ffffffu) | (ic->pointer << 24);
	if (v6 && ic->type == 4)
		rest = ic->pointer;
	if (ic->length && !v6 && ext_unit(false, ic->type))
		rest = (rest & 0xff00ffffu) | ((uint32_t)ic->length << 16);
	if (ic->length && v6 && ext_unit(true, ic->type))
		rest = (rest & 0x00ffffffu) | ((uint32_t)ic->length << 24);
	return rest;
}

/* Writes the upper layer header at b (payload already at b + hlen) and
 * its checksum. */
static void write_l4(const struct pkt_layer *l, uint8_t *b, size_t hlen,
		     const uint8_t *topts, size_t toptlen, size_t seglen)
{
	bool v6 = l->ip.version == 6 || (l->ip.version == 0 && l->icmp.v6);
	uint8_t proto = l4_proto(l);
	uint16_t ck;

	switch (l->l4) {
	case PKT_L4_ICMP:
		b[0] = l->icmp.type, b[1] = l->icmp.code;
		wr16(b + 2, 0);
		wr32(b + 4, icmp_rest(&l->icmp, v6));
		ck = v6 ? pkt_l4_checksum(&l->ip.src, &l->ip.dst, proto, b,
					  seglen)
			: pkt_checksum(b, seglen);
		wr16(b + 2, ck);
		return;
	case PKT_L4_UDP:
		wr16(b, l->udp.sport), wr16(b + 2, l->udp.dport);
		wr16(b + 4, (uint16_t)seglen), wr16(b + 6, 0);
		ck = pkt_l4_checksum(&l->ip.src, &l->ip.dst, proto, b, seglen);
		wr16(b + 6, ck ? ck : 0xffff); /* RFC 768: 0 means none */
		return;
	case PKT_L4_TCP:
		wr16(b, l->tcp.sport), wr16(b + 2, l->tcp.dport);
		wr32(b + 4, l->tcp.seq), wr32(b + 8, l->tcp.ack);
		b[12] = (uint8_t)((hlen / 4) << 4), b[13] = l->tcp.flags;
		wr16(b + 14, l->tcp.win), wr16(b + 16, 0);
		wr16(b + 18, l->tcp.urg);
		memcpy(b + TCP_HDR, topts, toptlen);
		ck = pkt_l4_checksum(&l->ip.src, &l->ip.dst, proto, b, seglen);
		wr16(b + 16, ck);
		return;
	default:
		(void)hlen;
		return;
	}
}

static void write_ip4(const struct pkt_ip *ip, uint8_t proto, uint8_t *b,
		      size_t tot)
{
	size_t ihl = IP4_HDR + ip->opt_len;

	b[0] = (uint8_t)(0x40 | (ihl / 4));
	b[1] = ip->tos;
	wr16(b + 2, (uint16_t)tot);
	wr16(b + 4, ip->id);
	wr16(b + 6, (uint16_t)((ip->df ? 0x4000 : 0) | (ip->mf ? 0x2000 : 0) |
			       ((ip->frag_off / 8) & 0x1fff)));
	b[8] = ip->ttl;
	b[9] = proto;
	wr16(b + 10, 0);
	memcpy(b + 12, ip->src.a, 4);
	memcpy(b + 16, ip->dst.a, 4);
	if (ip->opt_len)
		memcpy(b + IP4_HDR, ip->opts, ip->opt_len);
	wr16(b + 10, pkt_checksum(b, ihl));
}

static void write_ip6(const struct pkt_ip *ip, uint8_t proto, uint8_t *b,
		      size_t tot)
{
	wr32(b, (6u << 28) | ((uint32_t)ip->tos << 20) |
			(ip->flow_label & 0xfffff));
	wr16(b + 4, (uint16_t)(tot - IP6_HDR));
	b[6] = proto;
	b[7] = ip->ttl;
	memcpy(b + 8, ip->src.a, 16);
	memcpy(b + 24, ip->dst.a, 16);
}

static int check_addrs(const struct pkt_ip *ip, int version)
{
	int fam = version == 6 ? AF_INET6 : AF_INET;

	if (ip->src.family != fam || ip->dst.family != fam)
		return PKT_ERR_INVAL;
	return 0;
}

int pkt_build_l4(const struct pkt_layer *l, const uint8_t *payload,
		 size_t plen, uint8_t *buf, size_t cap, size_t *needed)
{
	uint8_t topts[40];
	size_t toptlen, hlen, seg;
	int err;

	if (!tcp_opts_ok(l))
		return PKT_ERR_INVAL;
	hlen = l4_hdr_len(l, topts, &toptlen);
	default_payload(l, &payload, &plen);
	seg = hlen + plen;
	if ((err = space(seg, cap, needed)))
		return err;
	if (l->l4 == PKT_L4_NONE)
		return PKT_ERR_INVAL;
	/* ICMPv4 alone needs no addresses; everything else has a
	 * pseudo-header. */
	if (!(l->l4 == PKT_L4_ICMP && !l->icmp.v6 && l->ip.version != 6) &&
	    (!l->ip.src.family || l->ip.src.family != l->ip.dst.family))
		return PKT_ERR_INVAL;
	if (plen)
		memmove(buf + hlen, payload, plen);
	write_l4(l, buf, hlen, topts, toptlen, seg);
	return (int)seg;
}

int pkt_build(const struct pkt_layer *l, const uint8_t *payload, size_t plen,
	      uint8_t *buf, size_t cap, size_t *needed)
{
	uint8_t topts[40];
	size_t toptlen, hlen, iphl, tot;
	int err;

	if ((l->ip.version != 4 && l->ip.version != 6) || !tcp_opts_ok(l))
		return PKT_ERR_INVAL;
	hlen = l4_hdr_len(l, topts, &toptlen);
	if (l->ip.version == 4 && ((l->ip.opt_len & 3) || l->ip.opt_len > 40 ||
				   (l->ip.opt_len && !l->ip.opts)))
		return PKT_ERR_INVAL;
	default_payload(l, &payload, &plen);
	iphl = l->ip.version == 4 ? IP4_HDR + l->ip.opt_len : IP6_HDR;
	tot = iphl + hlen + plen;
	if ((err = space(tot, cap, needed)))
		return err;
	if ((err = check_addrs(&l->ip, l->ip.version)))
		return err;
	if (plen)
		memmove(buf + iphl + hlen, payload, plen);
	if (l->l4 != PKT_L4_NONE && l->l4 != PKT_L4_OTHER) {
		struct pkt_layer c = *l;

		c.icmp.v6 = l->ip.version == 6;
		write_l4(&c, buf + iphl, hlen, topts, toptlen, hlen + plen);
	}
	if (l->ip.version == 4)
		write_ip4(&l->ip, l4_proto(l), buf, tot);
	else
		write_ip6(&l->ip, l4_proto(l), buf, tot);
	return (int)tot;
}

static void probe_layer(const struct pkt_probe *p, struct pkt_layer *l)
{
	memset(l, 0, sizeof(*l));
	l->ip.version = p->dst.family == AF_INET6 ? 6 : 4;
	l->ip.src = p->src;
	l->ip.dst = p->dst;
	l->ip.ttl = p->ttl ? p->ttl : 64;
	l->ip.tos = p->tos;
	l->ip.flow_label = p->flow_label;
	l->ip.id = p->ip_id;
	l->ip.df = p->df;
	switch (p->proto) {
	case PKT_PROBE_ICMP:
		l->l4 = PKT_L4_ICMP;
		l->icmp.v6 = l->ip.version == 6;
		l->icmp.type = l->icmp.v6 ? 128 : 8;
		l->icmp.id = p->icmp_id;
		l->icmp.seq = p->icmp_seq;
		break;
	case PKT_PROBE_UDP:
		l->l4 = PKT_L4_UDP;
		l->udp.sport = p->sport;
		l->udp.dport = p->dport;
		break;
	case PKT_PROBE_TCP:
		l->l4 = PKT_L4_TCP;
		l->tcp.sport = p->sport;
		l->tcp.dport = p->dport;
		l->tcp.seq = p->tcp_seq;
		l->tcp.ack = p->tcp_ack;
		l->tcp.flags = p->tcp_flags ? p->tcp_flags : PKT_TCP_SYN;
		l->tcp.win = p->tcp_win ? p->tcp_win : 1480;
		l->tcp.has_mss = p->tcp_mss != 0;
		l->tcp.mss = p->tcp_mss;
		l->tcp.has_wscale = p->tcp_has_wscale;
		l->tcp.wscale = p->tcp_wscale;
		l->tcp.sack_ok = p->tcp_sack_ok;
		l->tcp.has_ts = p->tcp_ts;
		l->tcp.ts_val = p->tcp_ts_val;
		l->tcp.ts_ecr = p->tcp_ts_ecr;
		break;
	}
}

/* The checksum field's offset in each probe's upper layer. */
static size_t csum_off(enum pkt_probe_proto proto)
{
	return proto == PKT_PROBE_ICMP ? 2 : proto == PKT_PROBE_UDP ? 6 : 16;
}

int pkt_build_probe(const struct pkt_probe *p, uint8_t *buf, size_t cap,
		    size_t *needed)
{
	struct pkt_layer l;
	size_t iphl, hlen;
	uint32_t pseudo = 0;
	int n;

	if (p->src.family != p->dst.family || !addr_len(p->dst.family) ||
	    p->proto > PKT_PROBE_TCP)
		return PKT_ERR_INVAL;
	probe_layer(p, &l);
	n = pkt_build(&l, p->payload, p->payload_len, buf, cap, needed);
	if (n < 0 || !p->force_csum)
		return n;
	if (p->payload_len < 2 || (p->proto == PKT_PROBE_UDP && !p->csum))
		return PKT_ERR_INVAL;
	iphl = l.ip.version == 4 ? IP4_HDR : IP6_HDR;
	hlen = (size_t)n - iphl - p->payload_len;
	if (l.ip.version == 6 || p->proto != PKT_PROBE_ICMP)
		pseudo = pkt_pseudo_sum(&l.ip.src, &l.ip.dst,
					l4_proto(&l), (uint32_t)(n - iphl));
	if (pkt_csum_force(buf + iphl, (size_t)n - iphl, csum_off(p->proto),
			   hlen, p->csum, pseudo))
		return PKT_ERR_INVAL;
	return n;
}

int pkt_build_echo(int family, uint16_t id, uint16_t seq,
		   const uint8_t *payload, size_t plen, bool force_csum,
		   uint16_t csum, uint8_t *buf, size_t cap, size_t *needed)
{
	size_t n = ICMP_HDR + plen;
	int err;

	if (family != AF_INET && family != AF_INET6)
		return PKT_ERR_INVAL;
	if ((err = space(n, cap, needed)))
		return err;
	if (force_csum && (plen < 2 || family == AF_INET6))
		return PKT_ERR_INVAL; /* the kernel owns the v6 checksum */
	if (plen)
		memmove(buf + ICMP_HDR, payload, plen);
	buf[0] = family == AF_INET ? 8 : 128;
	buf[1] = 0;
	wr16(buf + 2, 0);
	wr16(buf + 4, id);
	wr16(buf + 6, seq);
	/* ICMPv6 checksums need the source address, which only the kernel
	 * knows for a datagram socket: it fills them in. */
	if (family == AF_INET)
		wr16(buf + 2, pkt_checksum(buf, n));
	if (force_csum)
		pkt_csum_force(buf, n, 2, ICMP_HDR, csum, 0);
	return (int)n;
}

int pkt_build_icmp_ext(const struct pkt_icmp_ext *ext, uint8_t *buf,
		       size_t cap, size_t *needed)
{
	size_t nm = ext->n_mpls, n = 4 + (nm ? 4 + 4 * nm : 0), i;
	int err;

	if (nm > PKT_MPLS_MAX)
		return PKT_ERR_INVAL;
	if ((err = space(n, cap, needed)))
		return err;
	memset(buf, 0, n);
	buf[0] = 2 << 4;
	if (nm) {
		wr16(buf + 4, (uint16_t)(4 + 4 * nm));
		buf[6] = 1; /* class: MPLS label stack */
		buf[7] = 1; /* c-type: incoming stack */
		for (i = 0; i < nm; i++) {
			const struct pkt_mpls *m = &ext->mpls[i];

			wr32(buf + 8 + 4 * i, (m->label << 12) |
						      ((uint32_t)(m->tc & 7) << 9) |
						      ((uint32_t)m->bottom << 8) |
						      m->ttl);
		}
	}
	wr16(buf + 2, pkt_checksum(buf, n));
	return (int)n;
}
