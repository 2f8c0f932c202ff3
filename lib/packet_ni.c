/*
 * packet_ni - RFC 4620 ICMPv6 Node Information queries and replies (ping
 * -N): the query builder, the reply parser, and iputils' text for the
 * reply data.
 */
#include "packet.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#define NI_NAME_MAX 255 /* RFC 1035: a name in wire format */
#define NI_LABEL_MAX 63

static uint16_t ni_rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void ni_wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

int pkt_ni_parse(const uint8_t *buf, size_t len, struct pkt_ni *out)
{
	memset(out, 0, sizeof(*out));
	if (len < PKT_NI_HDR)
		return PKT_ERR_TRUNCATED;
	if (buf[0] != PKT_NI_QUERY && buf[0] != PKT_NI_REPLY)
		return PKT_ERR_INVAL;
	out->type = buf[0];
	out->code = buf[1];
	out->qtype = ni_rd16(buf + 4);
	out->flags = ni_rd16(buf + 6);
	memcpy(out->nonce, buf + 8, 8);
	out->data = buf + PKT_NI_HDR;
	out->data_len = len - PKT_NI_HDR;
	return 0;
}

void pkt_ni_make_nonce(uint16_t id, uint16_t seq, uint32_t secret,
		       uint8_t nonce[8])
{
	ni_wr16(nonce, id);
	ni_wr16(nonce + 2, seq);
	ni_wr16(nonce + 4, (uint16_t)(secret >> 16));
	ni_wr16(nonce + 6, (uint16_t)secret);
}

void pkt_ni_split_nonce(const uint8_t nonce[8], uint16_t *id, uint16_t *seq,
			uint32_t *secret)
{
	*id = ni_rd16(nonce);
	*seq = ni_rd16(nonce + 2);
	*secret = (uint32_t)ni_rd16(nonce + 4) << 16 | ni_rd16(nonce + 6);
}

int pkt_ni_encode_name(const char *name, bool fqdn, uint8_t *buf, size_t cap,
		       size_t *needed)
{
	size_t n = strlen(name), i = 0, out = 0, labels = 0;

	if (n && name[n - 1] == '.')
		n--;
	if (n == 0 || n + 2 > NI_NAME_MAX)
		return PKT_ERR_INVAL;
	/* the wire form: a length byte per label instead of each dot */
	while (i < n) {
		size_t l = 0;

		while (i + l < n && name[i + l] != '.')
			l++;
		if (l == 0 || l > NI_LABEL_MAX)
			return PKT_ERR_INVAL;
		i += l + 1;
		labels++;
	}
	if (!fqdn && labels > 1)
		return PKT_ERR_INVAL;
	if (needed)
		*needed = n + 2 + !fqdn;
	if (cap < n + 2 + !fqdn)
		return PKT_ERR_SPACE;
	for (i = 0; i < n;) {
		size_t l = 0;

		while (i + l < n && name[i + l] != '.')
			l++;
		buf[out++] = (uint8_t)l;
		memcpy(buf + out, name + i, l);
		out += l;
		i += l + 1;
	}
	buf[out++] = 0;
	if (!fqdn)
		buf[out++] = 0; /* a single-component name: two zero labels */
	return (int)out;
}

int pkt_ni_build_query(uint16_t qtype, uint16_t flags, enum pkt_ni_subject code,
		       const uint8_t nonce[8], const uint8_t *subject,
		       size_t subject_len, uint8_t *buf, size_t cap,
		       size_t *needed)
{
	size_t len = PKT_NI_HDR + subject_len;

	if ((subject_len && !subject) || len > 65535 || code > 2)
		return PKT_ERR_INVAL;
	if (needed)
		*needed = len;
	if (cap < len)
		return PKT_ERR_SPACE;
	buf[0] = PKT_NI_QUERY;
	buf[1] = (uint8_t)code;
	buf[2] = buf[3] = 0;
	ni_wr16(buf + 4, qtype);
	ni_wr16(buf + 6, flags);
	memcpy(buf + 8, nonce, 8);
	if (subject_len)
		memcpy(buf + PKT_NI_HDR, subject, subject_len);
	return (int)len;
}

/* ------------------------------------------------------------ text */

/* An snprintf that keeps count past the end of the buffer. */
struct ni_out {
	char *buf;
	size_t cap, len;
	size_t items; /* entries written: the first gets " ", then ", " */
};

static void ni_putf(struct ni_out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void ni_putf(struct ni_out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(o->len < o->cap ? o->buf + o->len : NULL,
		      o->len < o->cap ? o->cap - o->len : 0, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n;
}

/* iputils writes each entry as " x" and the ones after it as ", x". */
static void ni_item(struct ni_out *o, const char *s)
{
	ni_putf(o, "%s %s", o->items++ ? "," : "", s);
}

/* One name in wire format from d[*off]; returns 0, or -1 when it runs
 * past the data or uses compression (RFC 4620 forbids it). */
static int ni_name(const uint8_t *d, size_t len, size_t *off, char *out,
		   size_t cap)
{
	size_t i = *off, w = 0, labels = 0;

	out[0] = 0;
	while (i < len && d[i] != 0) {
		size_t l = d[i];

		if (l > NI_LABEL_MAX || i + 1 + l > len || w + l + 2 > cap)
			return -1;
		memcpy(out + w, d + i + 1, l);
		w += l;
		out[w++] = '.';
		out[w] = 0;
		i += 1 + l;
		labels++;
	}
	if (i >= len)
		return -1;
	i++;
	/* a single label and a second zero: a single-component name,
	 * printed without the dot */
	if (labels == 1 && i < len && d[i] == 0) {
		out[w - 1] = 0;
		i++;
	}
	*off = i;
	return 0;
}

static void ni_names(struct ni_out *o, const struct pkt_ni *ni)
{
	char name[NI_NAME_MAX + 2];
	size_t off = 4;

	if (ni->data_len < 4) {
		ni_item(o, "parse error (too short)");
		return;
	}
	while (off < ni->data_len) {
		if (ni_name(ni->data, ni->data_len, &off, name, sizeof(name)) <
		    0) {
			ni_item(o, "parse error (truncated)");
			return;
		}
		ni_item(o, name);
	}
}

/* TTL and address pairs: 20 bytes for IPv6, 8 for IPv4. */
static void ni_addrs(struct ni_out *o, const struct pkt_ni *ni, int family)
{
	size_t alen = family == AF_INET6 ? 16 : 4, off = 0;
	char text[INET6_ADDRSTRLEN];

	while (off < ni->data_len) {
		if (ni->data_len - off < 4 + alen) {
			ni_item(o, "parse error (truncated)");
			return;
		}
		inet_ntop(family, ni->data + off + 4, text, sizeof(text));
		ni_item(o, text);
		off += 4 + alen;
	}
}

int pkt_ni_reply_text(const struct pkt_ni *ni, char *buf, size_t cap)
{
	struct ni_out o = {buf, cap, 0, 0};
	char s[48];

	if (cap)
		buf[0] = 0;
	if (ni->code == PKT_NI_REFUSED) {
		ni_item(&o, "refused");
	} else if (ni->code == PKT_NI_UNKNOWN) {
		ni_item(&o, "unknown");
	} else if (ni->code != PKT_NI_SUCCESS) {
		snprintf(s, sizeof(s), "unknown code(%02x)", ni->code);
		ni_item(&o, s);
	} else if (ni->qtype == PKT_NI_NAME) {
		ni_names(&o, ni);
	} else if (ni->qtype == PKT_NI_ADDRS) {
		ni_addrs(&o, ni, AF_INET6);
	} else if (ni->qtype == PKT_NI_IPV4) {
		ni_addrs(&o, ni, AF_INET);
	} else if (ni->qtype != PKT_NI_NOOP) {
		snprintf(s, sizeof(s), "unknown qtype(0x%02x)", ni->qtype);
		ni_item(&o, s);
	}
	return (int)o.len;
}
