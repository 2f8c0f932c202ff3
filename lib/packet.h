/*
 * packet - build and parse IPv4/IPv6, ICMP/ICMPv6, UDP and TCP; Internet
 * checksums; one-line packet summaries in Nping's style.
 *
 * Parsers take (buf, len), never read past len and return 0 or a negative
 * PKT_ERR_* value (pkt_strerror names it). Parsed structs point into the
 * caller's buffer for payloads and options: keep the buffer alive while the
 * struct is used.
 *
 * Builders write into a caller buffer, snprintf-style: they return the
 * number of bytes written, or PKT_ERR_SPACE when cap is too small, and
 * always store the size they need in *needed (when needed is not NULL).
 * They compute lengths and checksums themselves.
 *
 * All multi-byte fields in the structs are in host byte order.
 */
#ifndef ECHOLOT_PACKET_H
#define ECHOLOT_PACKET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/socket.h>

/* ------------------------------------------------------------ errors */

enum pkt_err {
	PKT_OK = 0,
	PKT_ERR_TRUNCATED = -1,    /* buffer ends inside a header */
	PKT_ERR_VERSION = -2,      /* IP version is neither 4 nor 6 */
	PKT_ERR_IHL = -3,          /* IPv4 header length < 20 or > buffer */
	PKT_ERR_TOTLEN = -4,       /* IP total/payload length beyond buffer */
	PKT_ERR_OPTIONS = -5,      /* IPv4 or TCP option runs over its header */
	PKT_ERR_TCP_OFFSET = -6,   /* TCP data offset < 5 or beyond segment */
	PKT_ERR_UDP_LEN = -7,      /* UDP length < 8 or beyond the datagram */
	PKT_ERR_EXTHDR = -8,       /* IPv6 extension header chain broken */
	PKT_ERR_ICMP_EXT = -9,     /* RFC 4884 extension malformed */
	PKT_ERR_SPACE = -10,       /* builder: output buffer too small */
	PKT_ERR_INVAL = -11,       /* builder/helper: bad argument */
	PKT_ERR_LINK = -12,        /* unknown or truncated link-layer header */
	PKT_ERR_TOTLEN_SHORT = -13 /* IP total length < its own header */
};

/* A short English text for a PKT_ERR_* value ("truncated packet", ...). */
const char *pkt_strerror(int err);

/* ------------------------------------------------------------ addresses */

/* An IPv4 or IPv6 address; v4 uses the first 4 bytes of a. */
struct pkt_addr {
	int family; /* AF_INET, AF_INET6, or 0 when unset */
	uint8_t a[16];
};

bool pkt_addr_eq(const struct pkt_addr *x, const struct pkt_addr *y);
/* From a struct sockaddr_in / sockaddr_in6. Returns 0 or PKT_ERR_INVAL. */
int pkt_addr_from_sockaddr(const struct sockaddr *sa, struct pkt_addr *out);
/* Text form ("10.0.0.1", "::1") into buf; returns buf ("?" if unset). */
const char *pkt_addr_ntop(const struct pkt_addr *addr, char *buf, size_t len);
/* Parses numeric text; returns 0 or PKT_ERR_INVAL. */
int pkt_addr_pton(const char *text, struct pkt_addr *out);

/* ------------------------------------------------------------ checksums */

/*
 * One's-complement sum of data added to sum (not folded). Chunks may be
 * chained; every chunk but the last must have even length.
 */
uint32_t pkt_csum_add(uint32_t sum, const void *data, size_t len);
/* Folds a sum into the 16-bit one's complement checksum (~sum). */
uint16_t pkt_csum_fold(uint32_t sum);
/* The Internet checksum (RFC 1071) of data. */
uint16_t pkt_checksum(const void *data, size_t len);
/* Sum of the v4 or v6 pseudo-header (src, dst, proto, upper-layer len). */
uint32_t pkt_pseudo_sum(const struct pkt_addr *src, const struct pkt_addr *dst,
			uint8_t proto, uint32_t len);
/* Checksum of an upper-layer segment with its pseudo-header. The segment's
 * checksum field must be zero (to compute) or as received (to verify: then
 * the result is 0 when it is right). */
uint16_t pkt_l4_checksum(const struct pkt_addr *src, const struct pkt_addr *dst,
			 uint8_t proto, const void *seg, size_t len);

/*
 * Paris traceroute: make a segment's checksum come out as `want` by
 * choosing the two bytes at fill_off. Writes want (network order) at
 * csum_off, then sets the 2 bytes at fill_off so the segment (plus the
 * pseudo-header sum `pseudo`, 0 for ICMPv4) verifies. fill_off must be
 * even, both fields inside seg and distinct. Returns 0 or PKT_ERR_INVAL.
 */
int pkt_csum_force(uint8_t *seg, size_t len, size_t csum_off, size_t fill_off,
		   uint16_t want, uint32_t pseudo);

/* ------------------------------------------------------------ headers */

enum pkt_cksum {
	PKT_CKSUM_UNCHECKED = 0, /* not verifiable (truncated, no pseudo-hdr) */
	PKT_CKSUM_OK,
	PKT_CKSUM_BAD
};

struct pkt_ip {
	int version;          /* 4, 6, or 0 when there was no IP header */
	struct pkt_addr src, dst;
	uint8_t ttl;          /* TTL or hop limit */
	uint8_t tos;          /* TOS byte or traffic class */
	uint32_t flow_label;  /* v6 only, 20 bits */
	uint16_t id;          /* v4 identification (v6: fragment header id) */
	bool df, mf;          /* v4 flags */
	uint16_t frag_off;    /* fragment offset in bytes */
	uint8_t proto;        /* upper-layer protocol (after v6 ext headers) */
	uint16_t hdr_len;     /* v4: IHL*4; v6: 40 + extension headers */
	uint16_t total_len;   /* v4 total length; v6 40 + payload length */
	uint16_t checksum;    /* v4 header checksum as found/built */
	enum pkt_cksum checksum_ok;
	const uint8_t *opts;  /* v4 options (builder input / parser output) */
	size_t opt_len;
};

/* One label stack entry of an RFC 4950 MPLS extension object. */
struct pkt_mpls {
	uint32_t label; /* 20 bits */
	uint8_t tc;     /* 3 bits (was EXP) */
	bool bottom;    /* S bit */
	uint8_t ttl;
};

#define PKT_MPLS_MAX 8

/* RFC 4884 ICMP extension structure (version 2) found after a quotation. */
struct pkt_icmp_ext {
	bool present;
	enum pkt_cksum checksum_ok;
	size_t n_mpls;
	struct pkt_mpls mpls[PKT_MPLS_MAX];
	size_t n_objects; /* every object seen, MPLS or not */
	int err;          /* 0, or PKT_ERR_ICMP_EXT: objects malformed (the
			   * ones before the bad one are kept) */
};

struct pkt_icmp {
	bool v6;              /* ICMPv6 (types/codes differ) */
	uint8_t type, code;
	uint16_t checksum;
	enum pkt_cksum checksum_ok;
	uint16_t id, seq;     /* echo request/reply */
	uint32_t mtu;         /* v4 frag-needed next-hop MTU; v6 packet too big */
	uint32_t pointer;     /* parameter problem pointer */
	uint32_t rest;        /* the raw 4 bytes after the checksum */
	uint8_t length;       /* RFC 4884 length field (32-bit words; v4 words
			       * of 4 bytes, v6 words of 8), 0 if unused */
	const uint8_t *data;  /* echo data, or the quoted datagram of errors */
	size_t data_len;      /* (quotation without the extension structure) */
	struct pkt_icmp_ext ext;
};

struct pkt_udp {
	uint16_t sport, dport;
	uint16_t len;       /* as in the header */
	uint16_t checksum;  /* 0: none (v4) */
	enum pkt_cksum checksum_ok;
	const uint8_t *data;
	size_t data_len;
};

/* TCP flag bits, as in the header's 13th byte. */
#define PKT_TCP_FIN 0x01
#define PKT_TCP_SYN 0x02
#define PKT_TCP_RST 0x04
#define PKT_TCP_PSH 0x08
#define PKT_TCP_ACK 0x10
#define PKT_TCP_URG 0x20
#define PKT_TCP_ECE 0x40
#define PKT_TCP_CWR 0x80

struct pkt_tcp {
	uint16_t sport, dport;
	uint32_t seq, ack;
	uint8_t doff;        /* header length in bytes */
	uint8_t flags;       /* PKT_TCP_* */
	uint16_t win, checksum, urg;
	enum pkt_cksum checksum_ok;
	/* Options (parser fills, builder emits the ones that are set). */
	bool has_mss;
	uint16_t mss;
	bool has_wscale;
	uint8_t wscale;
	bool sack_ok;
	bool has_ts;
	uint32_t ts_val, ts_ecr;
	const uint8_t *opts; /* raw options as found */
	size_t opt_len;
	const uint8_t *data;
	size_t data_len;
};

/* What follows the IP header (or stands alone for datagram sockets). */
enum pkt_l4 {
	PKT_L4_NONE = 0, /* nothing parsed (e.g. truncated quotation) */
	PKT_L4_ICMP,     /* ICMP or ICMPv6: see icmp.v6 */
	PKT_L4_UDP,
	PKT_L4_TCP,
	PKT_L4_OTHER     /* another protocol: ip.proto names it */
};

/* One IP datagram: the IP header and its upper layer. */
struct pkt_layer {
	struct pkt_ip ip;
	enum pkt_l4 l4;
	/* The upper layer was cut short. Normal in quotations (RFC 792 only
	 * promises 8 bytes): then only the fields in those bytes are set
	 * (ports and seq for TCP; all of UDP; type..seq for ICMP). */
	bool l4_partial;
	struct pkt_icmp icmp;
	struct pkt_udp udp;
	struct pkt_tcp tcp;
	const uint8_t *l4_start; /* first byte of the upper layer */
	size_t l4_len;           /* its bytes present in the buffer */
};

/* A packet: the outer datagram and, for ICMP errors, the quoted one. */
struct pkt_parsed {
	struct pkt_layer outer;
	bool has_inner;
	int inner_err;          /* 0, or why the quotation did not parse */
	struct pkt_layer inner; /* valid when has_inner */
};

/* Is this ICMP (v4 or v6) type an error that quotes a datagram? */
bool pkt_icmp_is_error(bool v6, uint8_t type);

/* ------------------------------------------------------------ parsing */

/*
 * Parses a packet that starts at the IP header (raw IP sockets, pcap after
 * the link layer, nfqueue). For ICMP errors the quoted datagram is parsed
 * into out->inner (leniently: quotations are truncated by design). Returns
 * 0 or a PKT_ERR_* value about the outer packet; inner problems go to
 * out->inner_err only.
 */
int pkt_parse(const uint8_t *buf, size_t len, struct pkt_parsed *out);

/*
 * Parses an ICMP (family AF_INET) or ICMPv6 (AF_INET6) message without an
 * IP header: what SOCK_DGRAM/IPPROTO_ICMP sockets and raw ICMPv6 sockets
 * return. src/dst (may be NULL) give the addresses for the ICMPv6
 * checksum and fill out->outer.ip (version stays 0). Returns 0 or PKT_ERR_*.
 */
int pkt_parse_icmp(const uint8_t *buf, size_t len, int family,
		   const struct pkt_addr *src, const struct pkt_addr *dst,
		   struct pkt_parsed *out);

/*
 * Parses a UDP or TCP segment (proto IPPROTO_UDP/IPPROTO_TCP) without an
 * IP header: what raw IPv6 TCP/UDP sockets return. src/dst (may be NULL)
 * fill out->outer.ip (version stays 0) and, when both are set, let the
 * checksum be verified. Returns 0 or PKT_ERR_*.
 */
int pkt_parse_l4(const uint8_t *buf, size_t len, int family, uint8_t proto,
		 const struct pkt_addr *src, const struct pkt_addr *dst,
		 struct pkt_parsed *out);

/*
 * Skips a pcap link-layer header (DLT_EN10MB with VLAN tags, DLT_LINUX_SLL,
 * DLT_LINUX_SLL2, DLT_NULL, DLT_RAW, DLT_IPV4/IPV6) and parses the IP
 * packet. Returns 0 or PKT_ERR_* (PKT_ERR_LINK for non-IP frames).
 */
int pkt_parse_link(const uint8_t *buf, size_t len, int dlt,
		   struct pkt_parsed *out);

/* ------------------------------------------------------------ building */

/*
 * Builds a whole datagram from a layer struct as pkt_parse fills it:
 * IP header (ip.version 4 or 6; v4 options from ip.opts), then the upper
 * layer chosen by l4 (ICMP/UDP/TCP header from the struct; TCP options:
 * tcp.opts/opt_len as they are when set, else from the has_* fields), then
 * payload (for ICMP errors: the quotation;
 * payload == NULL uses the struct's data/data_len). Lengths and checksums
 * are computed; ip.proto is derived from l4 unless l4 is PKT_L4_OTHER.
 * Returns the length or PKT_ERR_SPACE/PKT_ERR_INVAL.
 */
int pkt_build(const struct pkt_layer *l, const uint8_t *payload, size_t plen,
	      uint8_t *buf, size_t cap, size_t *needed);

/* The same without the IP header: the upper layer only (checksum with the
 * pseudo-header from l->ip.src/dst; ICMPv4 needs none). */
int pkt_build_l4(const struct pkt_layer *l, const uint8_t *payload,
		 size_t plen, uint8_t *buf, size_t cap, size_t *needed);

/* Probe kinds for pkt_build_probe. */
enum pkt_probe_proto {
	PKT_PROBE_ICMP, /* echo request (ICMPv6 type 128 for v6) */
	PKT_PROBE_UDP,
	PKT_PROBE_TCP   /* SYN unless tcp_flags says otherwise */
};

/* The fields of a probe; zero means the default where one is noted. */
struct pkt_probe {
	enum pkt_probe_proto proto;
	struct pkt_addr src, dst;  /* same family: selects v4/v6 */
	uint8_t ttl;               /* 0: 64 */
	uint8_t tos;               /* TOS / traffic class */
	uint32_t flow_label;       /* v6 */
	uint16_t ip_id;            /* v4 */
	bool df;                   /* v4 */
	uint16_t icmp_id, icmp_seq;
	uint16_t sport, dport;
	uint32_t tcp_seq, tcp_ack;
	uint8_t tcp_flags;         /* 0: PKT_TCP_SYN */
	uint16_t tcp_win;          /* 0: 1480 like nping */
	uint16_t tcp_mss;          /* 0: no MSS option */
	bool tcp_has_wscale;       /* window scale option with tcp_wscale */
	uint8_t tcp_wscale;
	bool tcp_sack_ok;
	bool tcp_ts;
	uint32_t tcp_ts_val, tcp_ts_ecr;
	const uint8_t *payload;
	size_t payload_len;
	/* Paris traceroute: force the L4 checksum to `csum` by adjusting the
	 * first two payload bytes (payload_len must be >= 2; the builder
	 * writes those bytes, the caller's payload is not modified). */
	bool force_csum;
	uint16_t csum;
};

/* Builds IP + ICMP echo / UDP / TCP for a raw socket (IP_HDRINCL or
 * packet socket). Returns the length or PKT_ERR_*. */
int pkt_build_probe(const struct pkt_probe *p, uint8_t *buf, size_t cap,
		    size_t *needed);

/*
 * Builds an ICMP (AF_INET) or ICMPv6 (AF_INET6) echo request without IP
 * header, for datagram ICMP sockets and raw ICMPv6 sockets (the kernel
 * fills the v6 checksum and, for dgram sockets, the id). With force_csum
 * the v4 checksum is made `csum` through the first 2 data bytes
 * (plen >= 2). Returns the length or PKT_ERR_*.
 */
int pkt_build_echo(int family, uint16_t id, uint16_t seq,
		   const uint8_t *payload, size_t plen, bool force_csum,
		   uint16_t csum, uint8_t *buf, size_t cap, size_t *needed);

/* ------------------------------------------------------------ text */

/* How much a summary shows, as nping's verbosity levels do. */
enum pkt_detail {
	PKT_DETAIL_LOW,    /* nping's default (0.7.93):
			    * "UDP a:53 > b:40125 ttl=64 id=1 iplen=28 ".
			    * IPv6 packets, at every level, print as nping
			    * 7.99 does ("[a]:p", "IP [hopl=.. flow=..
			    * payloadlen=..]"): 0.7.93 prints no v6 fields */
	PKT_DETAIL_NORMAL, /* nping -v: bracketed layers with checksums,
			    * "UDP [a:53 > b:40125 csum=0x0172] IP [ttl=64
			    * id=1 proto=17 csum=0x7240 iplen=28 ]" */
	PKT_DETAIL_HIGH,   /* nping -vv: every header field */
	PKT_DETAIL_NEP     /* nping 7.99 echo mode (SENT/CAPT/RCVD of
			    * --echo-client): "UDP a:53 > b:40125 IP [ttl=64
			    * id=1 iplen=28 ]", "TCP [a:1 > b:80 S seq=1
			    * win=0] IP [...]", v6 "IP [hopl=64 flow=..
			    * payloadlen=20]" */
};

/*
 * The one-line Nping-style summary of a packet (no newline), e.g.
 *   UDP 10.1.20.128:53 > 178.79.165.17:40125 ttl=64 id=32523 iplen=28
 *   ICMP [10.0.0.1 > 10.0.0.2 Echo request (type=8/code=0) id=1 seq=1]
 *     IP [ttl=64 id=5 iplen=28 ]
 * snprintf-style: returns the length the full line needs (may exceed cap;
 * the output is always NUL-terminated when cap > 0).
 */
int pkt_summary(const struct pkt_parsed *p, enum pkt_detail detail, char *buf,
		size_t cap);
/* The same written to f; returns the byte count or -1. */
int pkt_summary_write(FILE *f, const struct pkt_parsed *p,
		      enum pkt_detail detail);

/* Nping's name for an ICMP/ICMPv6 type/code ("Echo request",
 * "Port unreachable", "TTL exceeded in transit", ...). Never NULL. */
const char *pkt_icmp_name(bool v6, uint8_t type, uint8_t code);

/* iputils ping's text for an ICMP error ("Time to live exceeded",
 * "Destination Host Unreachable", "Destination Port Unreachable", ...);
 * never NULL. Texts that carry a number (mtu, pointer, bad code) come
 * without it: use pkt_icmp_ping_format for the full text. */
const char *pkt_icmp_ping_text(bool v6, uint8_t type, uint8_t code);

/* iputils ping's full text for a parsed ICMP message, numbers included
 * ("Frag needed and DF set (mtu = 1400)", "Packet too big: mtu=1280",
 * "Dest Unreachable, Bad Code: 99"). snprintf-style return value. */
int pkt_icmp_ping_format(const struct pkt_icmp *icmp, char *buf, size_t cap);

/*
 * Writes an RFC 4884 extension structure holding one RFC 4950 MPLS label
 * stack object (ext->mpls[0..n_mpls-1]; n_mpls 0 writes no object), with
 * its checksum. Append it to a quotation padded to 128 bytes and set the
 * ICMP length field. Returns the length or PKT_ERR_SPACE/INVAL.
 */
int pkt_build_icmp_ext(const struct pkt_icmp_ext *ext, uint8_t *buf,
		       size_t cap, size_t *needed);

/* ------------------------------------------------------------ IPv4 options */

/* Record route (RFC 791 type 7) and timestamp (type 68) options, as ping
 * -R and -T send them and print them from replies. */
#define PKT_IPOPT_MAX 40      /* the most option bytes an IPv4 header holds */
#define PKT_IPOPT_RR_SLOTS 9  /* addresses a 40-byte header has room for */
#define PKT_IPOPT_TS_SLOTS 9  /* timestamps (tsonly); pairs: at most 4 */

/* The timestamp option's flag (low nibble of its 4th byte). */
enum pkt_ts_kind {
	PKT_TS_ONLY = 0,    /* timestamps only */
	PKT_TS_ADDR = 1,    /* each hop writes its address and a timestamp */
	PKT_TS_PRESPEC = 3  /* only the hops named in the option write */
};

struct pkt_ipopt_rr {
	bool present;
	size_t n;                                /* addresses recorded */
	struct pkt_addr addr[PKT_IPOPT_RR_SLOTS];
};

struct pkt_ipopt_ts_entry {
	struct pkt_addr addr; /* family 0 for PKT_TS_ONLY */
	uint32_t ms;          /* ms since midnight UT; bit 31: non-standard */
};

struct pkt_ipopt_ts {
	bool present;
	uint8_t kind;     /* the flag nibble (enum pkt_ts_kind, or other) */
	uint8_t overflow; /* hops that found no room (high nibble) */
	size_t n;         /* entries recorded */
	struct pkt_ipopt_ts_entry e[PKT_IPOPT_TS_SLOTS];
};

struct pkt_ipopts {
	struct pkt_ipopt_rr rr;
	struct pkt_ipopt_ts ts;
};

/*
 * Finds the record route and timestamp options in IPv4 options (the bytes
 * after the 20-byte header, or what IP_RECVOPTS hands over). Entries count
 * as recorded up to the option's pointer, never beyond its length. Returns
 * 0, or PKT_ERR_OPTIONS when an option's length runs past len (or an RR/TS
 * option is shorter than its fixed part); what was found before stays set.
 */
int pkt_ipopts_parse(const uint8_t *buf, size_t len, struct pkt_ipopts *out);

/* A NOP and an empty record route option with 9 slots: 40 bytes for
 * setsockopt(IP_OPTIONS). Returns the length or PKT_ERR_SPACE. */
int pkt_ipopt_build_rr(uint8_t *buf, size_t cap, size_t *needed);

/*
 * An empty timestamp option: PKT_TS_ONLY 40 bytes (9 slots), PKT_TS_ADDR
 * 36 (4 pairs), PKT_TS_PRESPEC 4 + 8 per hop (hops: 1 to 4 IPv4
 * addresses). Returns the length or PKT_ERR_SPACE/PKT_ERR_INVAL.
 */
int pkt_ipopt_build_ts(enum pkt_ts_kind kind, const struct pkt_addr *hops,
		       size_t nhops, uint8_t *buf, size_t cap, size_t *needed);

/* ------------------------------------------------------------ node info */

/* RFC 4620 ICMPv6 Node Information queries (type 139) and replies (140),
 * for ping -N. */
#define PKT_NI_QUERY 139
#define PKT_NI_REPLY 140
#define PKT_NI_HDR 16 /* type, code, checksum, qtype, flags, nonce */

/* Query codes: what the subject is. */
enum pkt_ni_subject {
	PKT_NI_SUBJ_IPV6 = 0,
	PKT_NI_SUBJ_NAME = 1, /* (also: no subject, for NOOP) */
	PKT_NI_SUBJ_IPV4 = 2
};

/* Reply codes. */
enum pkt_ni_code {
	PKT_NI_SUCCESS = 0,
	PKT_NI_REFUSED = 1,
	PKT_NI_UNKNOWN = 2 /* the responder does not know the qtype */
};

enum pkt_ni_qtype {
	PKT_NI_NOOP = 0,
	PKT_NI_NAME = 2,  /* node name */
	PKT_NI_ADDRS = 3, /* node (IPv6) addresses */
	PKT_NI_IPV4 = 4   /* IPv4 addresses */
};

/* Flags of the address qtypes (host order). */
#define PKT_NI_FLAG_T 0x0001 /* the reply was truncated */
#define PKT_NI_FLAG_A 0x0002 /* addresses of all interfaces */
#define PKT_NI_FLAG_C 0x0004 /* IPv4-compatible/-mapped addresses */
#define PKT_NI_FLAG_L 0x0008 /* link-local */
#define PKT_NI_FLAG_S 0x0010 /* site-local */
#define PKT_NI_FLAG_G 0x0020 /* global */

struct pkt_ni {
	uint8_t type, code;
	uint16_t qtype, flags;
	uint8_t nonce[8];
	const uint8_t *data; /* subject (query) or reply data */
	size_t data_len;
};

/* Parses an NI query or reply as raw ICMPv6 sockets return it (no IPv6
 * header). Returns 0, PKT_ERR_TRUNCATED (shorter than 16 bytes) or
 * PKT_ERR_INVAL (another ICMPv6 type). */
int pkt_ni_parse(const uint8_t *buf, size_t len, struct pkt_ni *out);

/* ping's nonce: the echo-like id and seq, then 32 bits of the run's
 * secret (so replies to someone else's query do not match). */
void pkt_ni_make_nonce(uint16_t id, uint16_t seq, uint32_t secret,
		       uint8_t nonce[8]);
void pkt_ni_split_nonce(const uint8_t nonce[8], uint16_t *id, uint16_t *seq,
			uint32_t *secret);

/*
 * A name as an NI subject, in DNS wire format (RFC 4620 section 3): with
 * fqdn, the labels and one zero-length label; without, a single label
 * and two. A trailing dot is dropped. Returns the length or
 * PKT_ERR_SPACE, or PKT_ERR_INVAL for an empty label, a label over 63
 * bytes, a name over 255 bytes, or several labels without fqdn.
 */
int pkt_ni_encode_name(const char *name, bool fqdn, uint8_t *buf, size_t cap,
		       size_t *needed);

/* Builds a query (checksum left 0: the kernel fills it on raw ICMPv6
 * sockets). Returns the length or PKT_ERR_SPACE/PKT_ERR_INVAL. */
int pkt_ni_build_query(uint16_t qtype, uint16_t flags,
		       enum pkt_ni_subject code, const uint8_t nonce[8],
		       const uint8_t *subject, size_t subject_len,
		       uint8_t *buf, size_t cap, size_t *needed);

/*
 * iputils ping's text for a reply: the names ("host.example." with a dot
 * for a fully-qualified name, "host" for a single-component one) or the
 * addresses, joined by ", "; "refused", "unknown" (qtype unknown),
 * "unknown code(N)", "parse error (truncated)" for data cut short,
 * "unknown qtype(N)". snprintf-style return value.
 */
int pkt_ni_reply_text(const struct pkt_ni *ni, char *buf, size_t cap);

#endif
