/*
 * packet - builders, parsers, checksums and summaries (see packet.h).
 */
#include "packet.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <string.h>

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
	case PKT_ERR_TOTLEN_SHORT: return "IP total length shorter than its header";
	}
	return "unknown packet error";
}

/* Skeleton: the rest follows in the next commits. */
int pkt_parse(const uint8_t *buf, size_t len, struct pkt_parsed *out)
{
	(void)buf;
	(void)len;
	memset(out, 0, sizeof(*out));
	return PKT_ERR_INVAL;
}
