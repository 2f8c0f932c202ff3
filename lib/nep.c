/*
 * nep - Nping Echo Protocol messages and sessions (no I/O).
 */
#include "nep.h"

#include <stdio.h>
#include <string.h>

static void nep_put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void nep_put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint16_t nep_get16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t nep_get32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

static bool nep_all_zero(const uint8_t *p, size_t n)
{
	uint8_t acc = 0;
	size_t i;

	for (i = 0; i < n; i++)
		acc |= p[i];
	return acc == 0;
}

const char *nep_strerror(int err)
{
	switch (err) {
	case NEP_OK: return "success";
	case NEP_ERR_TRUNCATED: return "message truncated";
	case NEP_ERR_VERSION: return "protocol version mismatch";
	case NEP_ERR_TYPE: return "unexpected message type";
	case NEP_ERR_LENGTH: return "bad message length";
	case NEP_ERR_MAC: return "message authentication failed";
	case NEP_ERR_AUTH:
		return "server handshake authentication failed (wrong "
		       "passphrase, or crypto on one side only)";
	case NEP_ERR_SEQ: return "bad sequence number";
	case NEP_ERR_NONCE: return "peer did not echo our nonce";
	case NEP_ERR_SPEC: return "packet specification rejected";
	case NEP_ERR_SPACE: return "buffer too small";
	case NEP_ERR_CRYPTO: return "cryptographic library failure";
	case NEP_ERR_STATE: return "not valid in this session state";
	case NEP_ERR_INVAL: return "invalid argument";
	case NEP_ERR_PEER: return "peer reported an error";
	}
	return "unknown error";
}

const char *nep_type_name(int type)
{
	static const char *const names[] = {
		NULL, "NEP_HANDSHAKE_SERVER", "NEP_HANDSHAKE_CLIENT",
		"NEP_HANDSHAKE_FINAL", "NEP_PACKET_SPEC", "NEP_READY",
		"NEP_ECHO", "NEP_ERROR",
	};

	if (type < 1 || type > 7)
		return "unknown";
	return names[type];
}

/* ------------------------------------------------------------ spec */

struct nep_code_info {
	uint8_t code;
	int8_t len;
	uint16_t points; /* hundredths */
	bool boring_zero; /* × 0.3 when the packet's value is 0 */
	const char *name;
};

static const struct nep_code_info nep_codes[] = {
	{ NEP_SPEC_IPV4_TOS, 1, 100, true, "IPv4_TOS" },
	{ NEP_SPEC_IPV4_ID, 2, 500, false, "IPv4_ID" },
	{ NEP_SPEC_IPV4_FRAGOFF, 2, 200, true, "IPv4_FRAGOFF" },
	{ NEP_SPEC_IPV4_PROTO, 1, 90, false, "IPv4_PROTO" },
	{ NEP_SPEC_IPV6_TCLASS, 1, 100, true, "IPv6_TCLASS" },
	{ NEP_SPEC_IPV6_FLOW, 3, 750, true, "IPv6_FLOW" },
	{ NEP_SPEC_IPV6_NHDR, 1, 90, false, "IPv6_NHDR" },
	{ NEP_SPEC_TCP_SPORT, 2, 300, false, "TCP_SPORT" },
	{ NEP_SPEC_TCP_DPORT, 2, 200, false, "TCP_DPORT" },
	{ NEP_SPEC_TCP_SEQ, 4, 800, true, "TCP_SEQ" },
	{ NEP_SPEC_TCP_ACK, 4, 400, true, "TCP_ACK" },
	{ NEP_SPEC_TCP_FLAGS, 1, 100, false, "TCP_FLAGS" },
	{ NEP_SPEC_TCP_WIN, 2, 200, true, "TCP_WIN" },
	{ NEP_SPEC_TCP_URP, 2, 200, true, "TCP_URP" },
	{ NEP_SPEC_ICMP_TYPE, 1, 100, false, "ICMP_TYPE" },
	{ NEP_SPEC_ICMP_CODE, 1, 100, true, "ICMP_CODE" },
	{ NEP_SPEC_UDP_SPORT, 2, 200, false, "UDP_SPORT" },
	{ NEP_SPEC_UDP_DPORT, 2, 200, false, "UDP_DPORT" },
	{ NEP_SPEC_UDP_LEN, 2, 200, false, "UDP_LEN" },
	{ NEP_SPEC_PAYLOAD, 0, 100, false, "PAYLOAD_MAGIC" },
};

static const struct nep_code_info *nep_code(uint8_t code)
{
	size_t i;

	for (i = 0; i < sizeof(nep_codes) / sizeof(nep_codes[0]); i++)
		if (nep_codes[i].code == code)
			return &nep_codes[i];
	return NULL;
}

int nep_spec_code_len(uint8_t code)
{
	const struct nep_code_info *c = nep_code(code);

	return c ? c->len : -1;
}

const char *nep_spec_code_name(uint8_t code)
{
	const struct nep_code_info *c = nep_code(code);

	return c ? c->name : "unknown";
}

void nep_spec_init(struct nep_spec *s, uint8_t ip_version, uint8_t proto,
		   uint16_t count)
{
	memset(s, 0, sizeof(*s));
	s->ip_version = ip_version;
	s->proto = proto;
	s->count = count;
}

const struct nep_spec_item *nep_spec_find(const struct nep_spec *s,
					  uint8_t code)
{
	size_t i;

	for (i = 0; i < s->nitems; i++)
		if (s->items[i].code == code)
			return &s->items[i];
	return NULL;
}

int nep_spec_add(struct nep_spec *s, uint8_t code, const uint8_t *value,
		 size_t len)
{
	int want = nep_spec_code_len(code);
	size_t hdr = code == NEP_SPEC_PAYLOAD ? 2 : 1;
	struct nep_spec_item *it;

	if (want < 0 || (want > 0 && len != (size_t)want) ||
	    (want == 0 && (len == 0 || len > NEP_SPEC_PAYLOAD_MAX)) ||
	    nep_spec_find(s, code))
		return NEP_ERR_SPEC;
	if (s->nitems >= NEP_SPEC_MAX_ITEMS ||
	    s->used + hdr + len > NEP_SPEC_AREA)
		return NEP_ERR_SPACE;
	s->area[s->used++] = code;
	if (code == NEP_SPEC_PAYLOAD)
		s->area[s->used++] = (uint8_t)len;
	it = &s->items[s->nitems++];
	it->code = code;
	it->len = (uint8_t)len;
	it->off = (uint8_t)s->used;
	memcpy(s->area + s->used, value, len);
	s->used += len;
	return NEP_OK;
}

/*
 * Reads the item list the way nping's server does: it ends at the first
 * unknown code or a payload item whose length does not fit; a repeated
 * code is an error.
 */
static int nep_spec_parse_area(struct nep_spec *s, const uint8_t *area)
{
	size_t pos = 0;

	s->nitems = 0;
	memcpy(s->area, area, NEP_SPEC_AREA);
	while (pos < NEP_SPEC_AREA) {
		uint8_t code = area[pos];
		int len = nep_spec_code_len(code);
		size_t hdr = 1;
		struct nep_spec_item *it;

		if (len < 0)
			break;
		if (len == 0) {
			if (pos + 1 >= NEP_SPEC_AREA)
				break;
			len = area[pos + 1];
			hdr = 2;
			if (len == 0 || len > NEP_SPEC_PAYLOAD_MAX)
				break;
		}
		if (pos + hdr + (size_t)len > NEP_SPEC_AREA)
			break;
		if (nep_spec_find(s, code))
			return NEP_ERR_SPEC;
		if (s->nitems >= NEP_SPEC_MAX_ITEMS)
			return NEP_ERR_SPEC;
		it = &s->items[s->nitems++];
		it->code = code;
		it->len = (uint8_t)len;
		it->off = (uint8_t)(pos + hdr);
		pos += hdr + (size_t)len;
	}
	s->used = pos;
	return NEP_OK;
}

bool nep_spec_acceptable(const struct nep_spec *s)
{
	if (s->nitems < 4)
		return false;
	if (s->ip_version == 4)
		return nep_spec_find(s, NEP_SPEC_IPV4_ID) != NULL;
	if (s->ip_version == 6)
		return nep_spec_find(s, NEP_SPEC_IPV6_FLOW) != NULL;
	return false;
}

/* ------------------------------------------------------------ messages */

static size_t nep_fixed_len(int type)
{
	switch (type) {
	case NEP_HS_SERVER: return NEP_LEN_HS_SERVER;
	case NEP_HS_CLIENT: return NEP_LEN_HS_CLIENT;
	case NEP_HS_FINAL: return NEP_LEN_HS_FINAL;
	case NEP_PACKET_SPEC: return NEP_LEN_PACKET_SPEC;
	case NEP_READY: return NEP_LEN_READY;
	case NEP_ERROR: return NEP_LEN_ERROR;
	}
	return 0;
}

static size_t nep_echo_len(size_t plen)
{
	size_t body = 4 + plen;

	body += (16 - body % 16) % 16;
	return NEP_HDR_LEN + body + NEP_MAC_LEN;
}

size_t nep_msg_len(const struct nep_msg *m)
{
	if (m->hdr.type == NEP_ECHO)
		return nep_echo_len(m->u.echo.plen);
	return nep_fixed_len(m->hdr.type);
}

int nep_enc_start(int type, size_t total, size_t *start)
{
	switch (type) {
	case NEP_HS_SERVER: *start = total - NEP_MAC_LEN; break;
	case NEP_HS_CLIENT: *start = 80; break;
	case NEP_HS_FINAL: *start = 48; break;
	case NEP_PACKET_SPEC:
	case NEP_READY:
	case NEP_ECHO:
	case NEP_ERROR: *start = 0; break;
	default: return NEP_ERR_TYPE;
	}
	if (total < NEP_HDR_LEN + NEP_MAC_LEN || *start > total - NEP_MAC_LEN)
		return NEP_ERR_LENGTH;
	return NEP_OK;
}

int nep_hdr_decode(const uint8_t *buf, size_t len, struct nep_hdr *h)
{
	if (len < NEP_HDR_LEN)
		return NEP_ERR_TRUNCATED;
	h->version = buf[0];
	h->type = buf[1];
	h->words = nep_get16(buf + 2);
	h->seq = nep_get32(buf + 4);
	h->timestamp = nep_get32(buf + 8);
	h->reserved = nep_get32(buf + 12);
	return h->version == NEP_VERSION ? NEP_OK : NEP_ERR_VERSION;
}

static void nep_put_partner(uint8_t *p, const struct nep_partner *pa)
{
	memset(p, 0, 32);
	memcpy(p, pa->addr, pa->version == 6 ? 16 : 4);
	p[16] = pa->version;
}

static void nep_get_partner(const uint8_t *p, struct nep_partner *pa)
{
	memset(pa, 0, sizeof(*pa));
	pa->version = p[16];
	memcpy(pa->addr, p, pa->version == 6 ? 16 : 4);
}

static void nep_encode_body(const struct nep_msg *m, uint8_t *b)
{
	switch (m->hdr.type) {
	case NEP_HS_SERVER:
		memcpy(b + 16, m->u.hs_server.ns, NEP_NONCE_LEN);
		break;
	case NEP_HS_CLIENT:
		memcpy(b + 16, m->u.hs_client.ns, NEP_NONCE_LEN);
		memcpy(b + 48, m->u.hs_client.nc, NEP_NONCE_LEN);
		nep_put_partner(b + 80, &m->u.hs_client.partner);
		break;
	case NEP_HS_FINAL:
		memcpy(b + 16, m->u.hs_final.nc, NEP_NONCE_LEN);
		nep_put_partner(b + 48, &m->u.hs_final.partner);
		break;
	case NEP_PACKET_SPEC:
		b[16] = m->u.spec.ip_version;
		b[17] = m->u.spec.proto;
		nep_put16(b + 18, m->u.spec.count);
		memcpy(b + 20, m->u.spec.area, m->u.spec.used);
		break;
	case NEP_ECHO:
		nep_put16(b + 16, m->u.echo.dlt);
		nep_put16(b + 18, m->u.echo.plen);
		if (m->u.echo.plen)
			memcpy(b + 20, m->u.echo.packet, m->u.echo.plen);
		break;
	case NEP_ERROR:
		memcpy(b + 16, m->u.error.text,
		       strnlen(m->u.error.text, sizeof(m->u.error.text) - 1));
		break;
	}
}

int nep_encode(const struct nep_msg *m, uint8_t *buf, size_t cap,
	       size_t *need)
{
	size_t len;

	if (m->hdr.type < NEP_HS_SERVER || m->hdr.type > NEP_ERROR)
		return NEP_ERR_TYPE;
	if (m->hdr.type == NEP_ECHO &&
	    (m->u.echo.plen > NEP_ECHO_MAX_PACKET ||
	     (m->u.echo.plen && !m->u.echo.packet)))
		return NEP_ERR_INVAL;
	if (m->hdr.type == NEP_PACKET_SPEC && m->u.spec.used > NEP_SPEC_AREA)
		return NEP_ERR_INVAL;
	len = nep_msg_len(m);
	if (need)
		*need = len;
	if (cap < len)
		return NEP_ERR_SPACE;
	memset(buf, 0, len);
	buf[0] = NEP_VERSION;
	buf[1] = m->hdr.type;
	nep_put16(buf + 2, (uint16_t)(len / 4));
	nep_put32(buf + 4, m->hdr.seq);
	nep_put32(buf + 8, m->hdr.timestamp);
	nep_put32(buf + 12, m->hdr.reserved);
	nep_encode_body(m, buf);
	return (int)len;
}

static int nep_decode_spec(const uint8_t *b, struct nep_msg *m)
{
	struct nep_spec *s = &m->u.spec;

	memset(s, 0, sizeof(*s));
	s->ip_version = b[16];
	s->proto = b[17];
	s->count = nep_get16(b + 18);
	return nep_spec_parse_area(s, b + 20);
}

static int nep_decode_echo(const uint8_t *b, size_t len, struct nep_msg *m)
{
	size_t plen;

	if (len < NEP_ECHO_MIN)
		return NEP_ERR_LENGTH;
	m->u.echo.dlt = nep_get16(b + 16);
	plen = nep_get16(b + 18);
	/* The packet must fit between its length field and the MAC. */
	if (plen > len - 20 - NEP_MAC_LEN || plen > NEP_ECHO_MAX_PACKET)
		return NEP_ERR_LENGTH;
	m->u.echo.plen = (uint16_t)plen;
	m->u.echo.packet = b + 20;
	return NEP_OK;
}

int nep_decode(const uint8_t *buf, size_t len, struct nep_msg *m)
{
	size_t want;
	int rc;

	memset(m, 0, sizeof(*m));
	rc = nep_hdr_decode(buf, len, &m->hdr);
	if (rc < 0)
		return rc;
	if (m->hdr.type < NEP_HS_SERVER || m->hdr.type > NEP_ERROR)
		return NEP_ERR_TYPE;
	if ((size_t)m->hdr.words * 4 != len || len % 16)
		return NEP_ERR_LENGTH;
	want = nep_fixed_len(m->hdr.type);
	if (m->hdr.type != NEP_ECHO && len != want)
		return NEP_ERR_LENGTH;
	switch (m->hdr.type) {
	case NEP_HS_SERVER:
		memcpy(m->u.hs_server.ns, buf + 16, NEP_NONCE_LEN);
		break;
	case NEP_HS_CLIENT:
		memcpy(m->u.hs_client.ns, buf + 16, NEP_NONCE_LEN);
		memcpy(m->u.hs_client.nc, buf + 48, NEP_NONCE_LEN);
		nep_get_partner(buf + 80, &m->u.hs_client.partner);
		break;
	case NEP_HS_FINAL:
		memcpy(m->u.hs_final.nc, buf + 16, NEP_NONCE_LEN);
		nep_get_partner(buf + 48, &m->u.hs_final.partner);
		break;
	case NEP_PACKET_SPEC:
		return nep_decode_spec(buf, m);
	case NEP_ECHO:
		return nep_decode_echo(buf, len, m);
	case NEP_ERROR:
		memcpy(m->u.error.text, buf + 16, sizeof(m->u.error.text) - 1);
		break;
	}
	return NEP_OK;
}

/* ------------------------------------------------------------ sealing */

int nep_seal(struct nep_dir *d, uint8_t *buf, size_t len)
{
	size_t start;
	int rc;

	if (len < NEP_HDR_LEN + NEP_MAC_LEN || len % 16)
		return NEP_ERR_LENGTH;
	rc = nep_enc_start(buf[1], len, &start);
	if (rc < 0)
		return rc;
	if (!d->crypto) {
		memset(buf + len - NEP_MAC_LEN, 0, NEP_MAC_LEN);
		return NEP_OK;
	}
	if (nep_hmac(d->crypto_lib, d->mac, buf, len - NEP_MAC_LEN,
		     buf + len - NEP_MAC_LEN) < 0)
		return NEP_ERR_CRYPTO;
	if (start == len - NEP_MAC_LEN)
		return NEP_OK;
	if (nep_aes_cbc(d->crypto_lib, d->cipher, d->iv, true, buf + start,
			buf + start, len - NEP_MAC_LEN - start) < 0)
		return NEP_ERR_CRYPTO;
	memcpy(d->iv, buf + len - NEP_MAC_LEN - NEP_BLOCK_LEN, NEP_BLOCK_LEN);
	return NEP_OK;
}

int nep_open(struct nep_dir *d, int type, uint8_t *buf, size_t len)
{
	uint8_t mac[NEP_MAC_LEN], next_iv[NEP_BLOCK_LEN];
	size_t start;
	int rc;

	if (len < NEP_HDR_LEN + NEP_MAC_LEN || len % 16)
		return NEP_ERR_LENGTH;
	rc = nep_enc_start(type, len, &start);
	if (rc < 0)
		return rc;
	if (!d->crypto)
		return nep_all_zero(buf + len - NEP_MAC_LEN, NEP_MAC_LEN)
			       ? NEP_OK : NEP_ERR_MAC;
	if (start < len - NEP_MAC_LEN) {
		memcpy(next_iv, buf + len - NEP_MAC_LEN - NEP_BLOCK_LEN,
		       NEP_BLOCK_LEN);
		if (nep_aes_cbc(d->crypto_lib, d->cipher, d->iv, false,
				buf + start, buf + start,
				len - NEP_MAC_LEN - start) < 0)
			return NEP_ERR_CRYPTO;
		memcpy(d->iv, next_iv, NEP_BLOCK_LEN);
	}
	if (nep_hmac(d->crypto_lib, d->mac, buf, len - NEP_MAC_LEN, mac) < 0)
		return NEP_ERR_CRYPTO;
	return nep_mac_equal(d->crypto_lib, mac, buf + len - NEP_MAC_LEN)
		       ? NEP_OK
		       : NEP_ERR_MAC;
}

int nep_peek(const struct nep_dir *d, const uint8_t *block, size_t len,
	     struct nep_hdr *h)
{
	uint8_t plain[NEP_BLOCK_LEN];

	if (len < NEP_HDR_LEN)
		return NEP_ERR_TRUNCATED;
	if (!d->crypto)
		return nep_hdr_decode(block, len, h);
	if (nep_aes_cbc(d->crypto_lib, d->cipher, d->iv, false, block, plain,
			NEP_BLOCK_LEN) < 0)
		return NEP_ERR_CRYPTO;
	return nep_hdr_decode(plain, sizeof(plain), h);
}

/* ------------------------------------------------------------ packets */

static int nep_fields_l4(const uint8_t *p, size_t len, size_t off,
			 struct nep_fields *f)
{
	size_t hl;

	f->payload_off = off;
	if (f->proto == 6) {
		if (len - off < 20)
			return NEP_ERR_TRUNCATED;
		hl = (size_t)(p[off + 12] >> 4) * 4;
		if (hl < 20 || hl > len - off)
			return NEP_ERR_TRUNCATED;
		f->has_tcp = true;
		f->sport = nep_get16(p + off);
		f->dport = nep_get16(p + off + 2);
		f->tcp_seq = nep_get32(p + off + 4);
		f->tcp_ack = nep_get32(p + off + 8);
		f->tcp_flags = p[off + 13];
		f->tcp_win = nep_get16(p + off + 14);
		f->tcp_urp = nep_get16(p + off + 18);
		f->tcp_optlen = (uint8_t)(hl - 20);
		f->payload_off = off + hl;
	} else if (f->proto == 17) {
		if (len - off < 8)
			return NEP_ERR_TRUNCATED;
		f->has_udp = true;
		f->sport = nep_get16(p + off);
		f->dport = nep_get16(p + off + 2);
		f->udp_len = nep_get16(p + off + 4);
		f->payload_off = off + 8;
	} else if (f->proto == 1 && f->ip_version == 4) {
		if (len - off < 8)
			return NEP_ERR_TRUNCATED;
		f->has_icmp = true;
		f->icmp_type = p[off];
		f->icmp_code = p[off + 1];
		f->payload_off = off + 8;
	}
	return NEP_OK;
}

int nep_fields_parse(const uint8_t *p, size_t len, struct nep_fields *f)
{
	size_t ihl;

	memset(f, 0, sizeof(*f));
	f->len = len;
	if (len < 20)
		return NEP_ERR_TRUNCATED;
	f->ip_version = p[0] >> 4;
	if (f->ip_version == 4) {
		ihl = (size_t)(p[0] & 0x0f) * 4;
		if (ihl < 20 || ihl > len)
			return NEP_ERR_TRUNCATED;
		f->tos = p[1];
		f->ip_id = nep_get16(p + 4);
		f->frag = nep_get16(p + 6);
		f->ttl = p[8];
		f->proto = p[9];
		memcpy(f->src, p + 12, 4);
		memcpy(f->dst, p + 16, 4);
		/* Later fragments carry no transport header. */
		if (f->frag & 0x1fff) {
			f->payload_off = ihl;
			return NEP_OK;
		}
		return nep_fields_l4(p, len, ihl, f);
	}
	if (f->ip_version == 6) {
		if (len < 40)
			return NEP_ERR_TRUNCATED;
		f->tos = (uint8_t)(((p[0] & 0x0f) << 4) | (p[1] >> 4));
		f->flow = ((uint32_t)(p[1] & 0x0f) << 16) |
			  ((uint32_t)p[2] << 8) | p[3];
		f->proto = p[6];
		f->ttl = p[7];
		memcpy(f->src, p + 8, 16);
		memcpy(f->dst, p + 24, 16);
		return nep_fields_l4(p, len, 40, f);
	}
	return NEP_ERR_VERSION;
}

/* The value a spec code is compared with, in wire order, into v. */
static size_t nep_field_value(const struct nep_fields *f, uint8_t code,
			      uint8_t v[4])
{
	switch (code) {
	case NEP_SPEC_IPV4_TOS:
	case NEP_SPEC_IPV6_TCLASS: v[0] = f->tos; return 1;
	case NEP_SPEC_IPV4_ID: nep_put16(v, f->ip_id); return 2;
	case NEP_SPEC_IPV4_FRAGOFF: nep_put16(v, f->frag); return 2;
	case NEP_SPEC_IPV4_PROTO:
	case NEP_SPEC_IPV6_NHDR: v[0] = f->proto; return 1;
	case NEP_SPEC_IPV6_FLOW:
		/* nping's lossy encoding: the top three bytes of the 32-bit
		 * flow word, so the low 8 bits of the label are lost. */
		v[0] = 0;
		v[1] = (uint8_t)(f->flow >> 16);
		v[2] = (uint8_t)(f->flow >> 8);
		return 3;
	case NEP_SPEC_TCP_SPORT:
	case NEP_SPEC_UDP_SPORT: nep_put16(v, f->sport); return 2;
	case NEP_SPEC_TCP_DPORT:
	case NEP_SPEC_UDP_DPORT: nep_put16(v, f->dport); return 2;
	case NEP_SPEC_TCP_SEQ: nep_put32(v, f->tcp_seq); return 4;
	case NEP_SPEC_TCP_ACK: nep_put32(v, f->tcp_ack); return 4;
	case NEP_SPEC_TCP_FLAGS: v[0] = f->tcp_flags; return 1;
	case NEP_SPEC_TCP_WIN: nep_put16(v, f->tcp_win); return 2;
	case NEP_SPEC_TCP_URP: nep_put16(v, f->tcp_urp); return 2;
	case NEP_SPEC_ICMP_TYPE: v[0] = f->icmp_type; return 1;
	case NEP_SPEC_ICMP_CODE: v[0] = f->icmp_code; return 1;
	case NEP_SPEC_UDP_LEN: nep_put16(v, f->udp_len); return 2;
	}
	return 0;
}

/* Does the packet have the header a code refers to? */
static bool nep_field_present(const struct nep_fields *f, uint8_t code)
{
	switch (code & 0xf0) {
	case 0xA0: return f->ip_version == 4;
	case 0xB0: return f->ip_version == 6;
	case 0xC0: return f->has_tcp;
	case 0xD0: return f->has_icmp;
	case 0xE0: return f->has_udp;
	}
	return f->has_tcp || f->has_udp;
}

static int nep_item_score(const struct nep_spec *s,
			  const struct nep_spec_item *it,
			  const struct nep_fields *f, const uint8_t *pkt)
{
	const struct nep_code_info *c = nep_code(it->code);
	const uint8_t *want = s->area + it->off;
	uint8_t v[4] = { 0 };
	size_t n;

	if (!c || !nep_field_present(f, it->code))
		return 0;
	if (it->code == NEP_SPEC_PAYLOAD) {
		if (f->payload_off > f->len ||
		    f->len - f->payload_off < it->len ||
		    memcmp(pkt + f->payload_off, want, it->len) != 0)
			return 0;
		return (it->len < 4 ? it->len : 4) * c->points;
	}
	n = nep_field_value(f, it->code, v);
	if (n != it->len || memcmp(v, want, n) != 0)
		return 0;
	if ((c->boring_zero && nep_all_zero(v, n)) ||
	    (it->code == NEP_SPEC_UDP_LEN && f->udp_len == 8))
		return c->points * 3 / 10;
	return c->points;
}

int nep_spec_score(const struct nep_spec *s, const struct nep_fields *f,
		   const uint8_t *pkt, int *threshold)
{
	int score = 0;
	size_t i;

	*threshold = f->has_tcp ? 1000 : f->has_udp ? 800
		     : f->has_icmp ? 600 : 0;
	for (i = 0; i < s->nitems; i++)
		score += nep_item_score(s, &s->items[i], f, pkt);
	return score;
}

static bool nep_icmp_is_error(uint8_t type)
{
	return type == 3 || type == 4 || type == 5 || type == 11 ||
	       type == 12;
}

void nep_zero_payload(uint8_t *pkt, size_t len)
{
	struct nep_fields f;
	size_t keep;

	if (nep_fields_parse(pkt, len, &f) < 0 ||
	    (!f.has_tcp && !f.has_udp && !f.has_icmp))
		keep = 40;
	else if (f.has_icmp && nep_icmp_is_error(f.icmp_type))
		/* The quoted header says which probe failed: keep it. */
		keep = f.payload_off + 28;
	else
		keep = f.payload_off;
	if (keep < len)
		memset(pkt + keep, 0, len - keep);
}

/* ------------------------------------------------------------ sessions */

static void nep_dir_set(struct nep_dir *d, bool crypto, const uint8_t *cipher,
			const uint8_t *mac, const uint8_t *iv)
{
	d->crypto = crypto;
	memcpy(d->cipher, cipher, NEP_KEY_LEN);
	memcpy(d->mac, mac, NEP_KEY_LEN);
	memcpy(d->iv, iv, NEP_BLOCK_LEN);
}

/* Encodes m with our next sequence number, seals it and queues it. */
static int nep_session_queue(struct nep_session *s, struct nep_msg *m)
{
	int n;

	m->hdr.seq = s->seq_out;
	m->hdr.timestamp = s->now;
	n = nep_encode(m, s->out + s->outlen, sizeof(s->out) - s->outlen,
		       NULL);
	if (n < 0)
		return n;
	if (nep_seal(&s->tx, s->out + s->outlen, (size_t)n) < 0)
		return NEP_ERR_CRYPTO;
	s->outlen += (size_t)n;
	s->seq_out++;
	return NEP_OK;
}

static int nep_session_derive(struct nep_session *s)
{
	if (!s->crypto)
		return NEP_OK;
	if (nep_keys_session(s->crypto_lib, s->pass, s->passlen, s->ns, s->nc,
			     &s->keys) < 0)
		return NEP_ERR_CRYPTO;
	return NEP_OK;
}

/* Sets both directions once the four session keys exist. The first IV of
 * each direction is the sender's own nonce. */
static void nep_session_dirs(struct nep_session *s)
{
	const struct nep_keys *k = &s->keys;
	struct nep_dir *c2s = s->role == NEP_ROLE_CLIENT ? &s->tx : &s->rx;
	struct nep_dir *s2c = s->role == NEP_ROLE_CLIENT ? &s->rx : &s->tx;

	nep_dir_set(c2s, s->crypto, k->cipher_c2s, k->mac_c2s, s->nc);
	nep_dir_set(s2c, s->crypto, k->cipher_s2c, k->mac_s2c, s->ns);
}

int nep_session_init(struct nep_session *s, const struct nep_session_cfg *c,
		     uint32_t now)
{
	struct nep_msg m;
	int rc;

	if (!c || c->passlen > NEP_PASS_MAX || (c->passlen && !c->pass) ||
	    (c->role == NEP_ROLE_CLIENT && !c->spec) ||
	    (c->crypto && !c->crypto_lib))
		return NEP_ERR_INVAL;
	memset(s, 0, sizeof(*s));
	s->role = c->role;
	s->crypto = c->crypto;
	/* nep_dir_set leaves it alone: set once for the whole session */
	s->crypto_lib = s->tx.crypto_lib = s->rx.crypto_lib = c->crypto_lib;
	s->now = now;
	if (c->passlen)
		memcpy(s->pass, c->pass, c->passlen);
	s->passlen = c->passlen;
	s->seq_out = c->seq0;
	s->partner = c->partner;
	if (c->role == NEP_ROLE_CLIENT) {
		memcpy(s->nc, c->nonce, NEP_NONCE_LEN);
		s->spec = *c->spec;
		s->state = NEP_ST_WAIT_HS_SERVER;
		return NEP_OK;
	}
	memcpy(s->ns, c->nonce, NEP_NONCE_LEN);
	s->state = NEP_ST_WAIT_HS_CLIENT;
	s->tx.crypto = s->crypto;
	if (s->crypto && nep_keys_initial(s->crypto_lib, s->pass, s->passlen,
					  s->ns, &s->keys) < 0)
		return NEP_ERR_CRYPTO;
	memcpy(s->tx.mac, s->keys.mac_s2c_initial, NEP_KEY_LEN);
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_HS_SERVER;
	memcpy(m.u.hs_server.ns, s->ns, NEP_NONCE_LEN);
	rc = nep_session_queue(s, &m);
	return rc;
}

const uint8_t *nep_session_output(const struct nep_session *s, size_t *len)
{
	*len = s->outlen;
	return s->out;
}

void nep_session_taken(struct nep_session *s, size_t n)
{
	if (n >= s->outlen) {
		s->outlen = 0;
		return;
	}
	memmove(s->out, s->out + n, s->outlen - n);
	s->outlen -= n;
}

/* What the next message must be in each state, and whether its header is
 * encrypted (then it is peeked with the receive IV). */
struct nep_expect {
	uint8_t type;
	bool enc_header;
};

static struct nep_expect nep_session_expect(const struct nep_session *s)
{
	switch (s->state) {
	case NEP_ST_WAIT_HS_SERVER: return (struct nep_expect){ NEP_HS_SERVER, false };
	case NEP_ST_WAIT_HS_FINAL: return (struct nep_expect){ NEP_HS_FINAL, false };
	case NEP_ST_WAIT_READY: return (struct nep_expect){ NEP_READY, true };
	case NEP_ST_WAIT_HS_CLIENT: return (struct nep_expect){ NEP_HS_CLIENT, false };
	case NEP_ST_WAIT_SPEC: return (struct nep_expect){ NEP_PACKET_SPEC, true };
	case NEP_ST_READY: return (struct nep_expect){ NEP_ECHO, true };
	case NEP_ST_FAILED: break;
	}
	return (struct nep_expect){ 0, false };
}

/* From the first 16 bytes: how long the message is, or why not. */
static int nep_session_header(struct nep_session *s, uint8_t *type)
{
	struct nep_expect e = nep_session_expect(s);
	struct nep_hdr h;
	size_t len;
	int rc;

	rc = e.enc_header ? nep_peek(&s->rx, s->in, s->inlen, &h)
			  : nep_hdr_decode(s->in, s->inlen, &h);
	if (rc < 0)
		return rc;
	len = (size_t)h.words * 4;
	*type = h.type;
	/* NEP_ERROR is legal wherever the header is encrypted. */
	if (e.enc_header && h.type == NEP_ERROR)
		return len == NEP_LEN_ERROR ? (int)len : NEP_ERR_LENGTH;
	if (h.type != e.type)
		return NEP_ERR_TYPE;
	if (e.type == NEP_ECHO) {
		if (len < NEP_ECHO_MIN || len > NEP_MSG_MAX || len % 16)
			return NEP_ERR_LENGTH;
		return (int)len;
	}
	return len == nep_fixed_len(e.type) ? (int)len : NEP_ERR_LENGTH;
}

static int nep_check_seq(struct nep_session *s, uint32_t seq)
{
	uint32_t want = s->seq_in + 1;

	s->seq_in = want;
	return seq == want ? NEP_OK : NEP_ERR_SEQ;
}

static int nep_on_hs_server(struct nep_session *s, struct nep_event *ev)
{
	struct nep_msg m;
	int rc = nep_decode(s->in, s->inlen, &m);

	if (rc < 0)
		return rc;
	memcpy(s->ns, m.u.hs_server.ns, NEP_NONCE_LEN);
	s->seq_in = m.hdr.seq;
	s->rx.crypto = s->crypto;
	if (s->crypto && nep_keys_initial(s->crypto_lib, s->pass, s->passlen,
					  s->ns, &s->keys) < 0)
		return NEP_ERR_CRYPTO;
	memcpy(s->rx.mac, s->keys.mac_s2c_initial, NEP_KEY_LEN);
	if (nep_open(&s->rx, NEP_HS_SERVER, s->in, s->inlen) < 0)
		return NEP_ERR_AUTH;
	rc = nep_session_derive(s);
	if (rc < 0)
		return rc;
	nep_session_dirs(s);
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_HS_CLIENT;
	memcpy(m.u.hs_client.ns, s->ns, NEP_NONCE_LEN);
	memcpy(m.u.hs_client.nc, s->nc, NEP_NONCE_LEN);
	m.u.hs_client.partner = s->partner;
	rc = nep_session_queue(s, &m);
	if (rc < 0)
		return rc;
	s->state = NEP_ST_WAIT_HS_FINAL;
	ev->kind = NEP_EV_HANDSHAKE;
	return NEP_OK;
}

static int nep_on_hs_final(struct nep_session *s, struct nep_event *ev)
{
	struct nep_msg m;
	int rc;

	if (nep_get32(s->in + 4) != s->seq_in + 1)
		return NEP_ERR_SEQ;
	if (memcmp(s->in + 16, s->nc, NEP_NONCE_LEN) != 0)
		return NEP_ERR_NONCE;
	rc = nep_open(&s->rx, NEP_HS_FINAL, s->in, s->inlen);
	if (rc < 0)
		return rc;
	rc = nep_decode(s->in, s->inlen, &m);
	if (rc < 0)
		return rc;
	s->seq_in++;
	s->peer_partner = m.u.hs_final.partner;
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_PACKET_SPEC;
	m.u.spec = s->spec;
	rc = nep_session_queue(s, &m);
	if (rc < 0)
		return rc;
	s->state = NEP_ST_WAIT_READY;
	ev->kind = NEP_EV_HANDSHAKE;
	return NEP_OK;
}

static int nep_on_ready(struct nep_session *s, struct nep_event *ev)
{
	struct nep_msg m;
	int rc = nep_open(&s->rx, NEP_READY, s->in, s->inlen);

	if (rc < 0)
		return rc;
	rc = nep_decode(s->in, s->inlen, &m);
	if (rc < 0)
		return rc;
	rc = nep_check_seq(s, m.hdr.seq);
	if (rc < 0)
		return rc;
	s->state = NEP_ST_READY;
	ev->kind = NEP_EV_READY;
	return NEP_OK;
}

/* A bad ECHO is dropped, not fatal: the IV and the sequence counter have
 * advanced, so the stream stays in step (nping behaves the same). */
static void nep_on_echo(struct nep_session *s, struct nep_event *ev)
{
	struct nep_msg m;
	int rc = nep_open(&s->rx, NEP_ECHO, s->in, s->inlen);
	int rs = nep_check_seq(s, nep_get32(s->in + 4));

	if (rc == 0)
		rc = rs;
	if (rc == 0)
		rc = nep_decode(s->in, s->inlen, &m);
	if (rc < 0) {
		s->dropped++;
		ev->kind = NEP_EV_DROPPED;
		ev->err = rc;
		return;
	}
	s->echoes++;
	ev->kind = NEP_EV_ECHO;
	ev->dlt = m.u.echo.dlt;
	ev->packet = m.u.echo.packet;
	ev->plen = m.u.echo.plen;
	ev->seq = m.hdr.seq;
}

static int nep_on_hs_client(struct nep_session *s, struct nep_event *ev)
{
	struct nep_msg m;
	int rc = nep_decode(s->in, s->inlen, &m);

	if (rc < 0)
		return rc;
	if (memcmp(m.u.hs_client.ns, s->ns, NEP_NONCE_LEN) != 0)
		return NEP_ERR_NONCE;
	memcpy(s->nc, m.u.hs_client.nc, NEP_NONCE_LEN);
	s->seq_in = m.hdr.seq;
	rc = nep_session_derive(s);
	if (rc < 0)
		return rc;
	nep_session_dirs(s);
	rc = nep_open(&s->rx, NEP_HS_CLIENT, s->in, s->inlen);
	if (rc < 0)
		return rc;
	nep_decode(s->in, s->inlen, &m);
	s->peer_partner = m.u.hs_client.partner;
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_HS_FINAL;
	memcpy(m.u.hs_final.nc, s->nc, NEP_NONCE_LEN);
	m.u.hs_final.partner = s->partner;
	rc = nep_session_queue(s, &m);
	if (rc < 0)
		return rc;
	s->state = NEP_ST_WAIT_SPEC;
	ev->kind = NEP_EV_HANDSHAKE;
	return NEP_OK;
}

static int nep_on_spec(struct nep_session *s, struct nep_event *ev)
{
	struct nep_msg m;
	int rc = nep_open(&s->rx, NEP_PACKET_SPEC, s->in, s->inlen);

	if (rc < 0)
		return rc;
	rc = nep_decode(s->in, s->inlen, &m);
	if (rc < 0)
		return rc;
	rc = nep_check_seq(s, m.hdr.seq);
	if (rc < 0)
		return rc;
	if (!nep_spec_acceptable(&m.u.spec))
		return NEP_ERR_SPEC;
	s->spec = m.u.spec;
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_READY;
	rc = nep_session_queue(s, &m);
	if (rc < 0)
		return rc;
	s->state = NEP_ST_READY;
	ev->kind = NEP_EV_READY;
	return NEP_OK;
}

static int nep_on_error(struct nep_session *s)
{
	int rc = nep_open(&s->rx, NEP_ERROR, s->in, s->inlen);

	return rc < 0 ? rc : NEP_ERR_PEER;
}

static int nep_session_message(struct nep_session *s, uint8_t type,
			       struct nep_event *ev)
{
	if (type == NEP_ERROR)
		return nep_on_error(s);
	switch (s->state) {
	case NEP_ST_WAIT_HS_SERVER: return nep_on_hs_server(s, ev);
	case NEP_ST_WAIT_HS_FINAL: return nep_on_hs_final(s, ev);
	case NEP_ST_WAIT_READY: return nep_on_ready(s, ev);
	case NEP_ST_WAIT_HS_CLIENT: return nep_on_hs_client(s, ev);
	case NEP_ST_WAIT_SPEC: return nep_on_spec(s, ev);
	case NEP_ST_READY: nep_on_echo(s, ev); return NEP_OK;
	case NEP_ST_FAILED: break;
	}
	return NEP_ERR_STATE;
}

static size_t nep_session_fail(struct nep_session *s, struct nep_event *ev,
			       int err, size_t used)
{
	s->state = NEP_ST_FAILED;
	s->err = err;
	ev->kind = NEP_EV_FAILED;
	ev->err = err;
	return used;
}

size_t nep_session_feed(struct nep_session *s, const uint8_t *buf,
			size_t len, struct nep_event *ev)
{
	size_t used = 0;

	memset(ev, 0, sizeof(*ev));
	if (s->state == NEP_ST_FAILED)
		return 0;
	/* After READY a client has nothing more to say; nping's server
	 * ignores such bytes, and so do we. */
	if (s->role == NEP_ROLE_SERVER && s->state == NEP_ST_READY)
		return len;
	while (used < len) {
		size_t want = s->inneed ? s->inneed : NEP_HDR_LEN;
		size_t take = want - s->inlen;
		uint8_t type = 0;
		int rc;

		if (take > len - used)
			take = len - used;
		memcpy(s->in + s->inlen, buf + used, take);
		s->inlen += take;
		used += take;
		/* A clear header shows a foreign version in its first byte:
		 * no need to wait for 15 more that may never come. */
		if (!s->inneed && s->in[0] != NEP_VERSION &&
		    !nep_session_expect(s).enc_header)
			return nep_session_fail(s, ev, NEP_ERR_VERSION, used);
		if (s->inlen < want)
			break;
		if (!s->inneed) {
			rc = nep_session_header(s, &type);
			if (rc < 0)
				return nep_session_fail(s, ev, rc, used);
			s->inneed = (size_t)rc;
			s->intype = type;
		}
		if (s->inlen < s->inneed)
			continue;
		rc = nep_session_message(s, s->intype, ev);
		s->inlen = 0;
		s->inneed = 0;
		if (rc < 0)
			return nep_session_fail(s, ev, rc, used);
		if (ev->kind != NEP_EV_NONE)
			break;
	}
	return used;
}

int nep_session_echo(struct nep_session *s, const uint8_t *pkt, size_t plen,
		     uint8_t *buf, size_t cap, size_t *need)
{
	struct nep_msg m;
	int n;

	if (s->role != NEP_ROLE_SERVER || s->state != NEP_ST_READY)
		return NEP_ERR_STATE;
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_ECHO;
	m.hdr.seq = s->seq_out;
	m.hdr.timestamp = s->now;
	m.u.echo.dlt = 0; /* no link-layer header: the IP header comes first */
	m.u.echo.plen = (uint16_t)(plen > NEP_ECHO_MAX_PACKET
					   ? NEP_ECHO_MAX_PACKET : plen);
	m.u.echo.packet = pkt;
	n = nep_encode(&m, buf, cap, need);
	if (n < 0)
		return n;
	if (nep_seal(&s->tx, buf, (size_t)n) < 0)
		return NEP_ERR_CRYPTO;
	s->seq_out++;
	s->echoes++;
	return n;
}

int nep_session_error(struct nep_session *s, const char *text, uint8_t *buf,
		      size_t cap)
{
	struct nep_msg m;
	int n;

	if (s->state == NEP_ST_FAILED)
		return NEP_ERR_STATE;
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_ERROR;
	m.hdr.seq = s->seq_out;
	m.hdr.timestamp = s->now;
	snprintf(m.u.error.text, sizeof(m.u.error.text), "%s", text);
	n = nep_encode(&m, buf, cap, NULL);
	if (n < 0)
		return n;
	if (nep_seal(&s->tx, buf, (size_t)n) < 0)
		return NEP_ERR_CRYPTO;
	s->seq_out++;
	return n;
}

int nep_match(const struct nep_spec *const *specs, size_t n,
	      const uint8_t *pkt, size_t len)
{
	struct nep_fields f;
	int best = -1, best_score = 0, thr = 0;
	size_t i;

	if (nep_fields_parse(pkt, len, &f) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		int sc;

		if (!specs[i])
			continue;
		sc = nep_spec_score(specs[i], &f, pkt, &thr);
		if (sc > 0 && sc >= best_score) {
			best = (int)i;
			best_score = sc;
		}
	}
	return best >= 0 && thr > 0 && best_score >= thr ? best : -1;
}
