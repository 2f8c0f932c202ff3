/*
 * nep - the Nping Echo Protocol (NEP version 1, as nping speaks it): message
 * encoding and decoding, sealing (MAC then encrypt) and opening, the
 * PACKET_SPEC items and the server's matching score, and a session state
 * machine for each side. Everything here is pure: bytes in, bytes and
 * events out, no sockets, no clocks, no randomness (the caller hands in
 * nonces, initial sequence numbers and the time).
 */
#ifndef ECHOLOT_NEP_H
#define ECHOLOT_NEP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "nep_crypto.h"

#define NEP_VERSION 1
#define NEP_PORT 9929
#define NEP_HDR_LEN 16

enum nep_type {
	NEP_HS_SERVER = 1,
	NEP_HS_CLIENT = 2,
	NEP_HS_FINAL = 3,
	NEP_PACKET_SPEC = 4,
	NEP_READY = 5,
	NEP_ECHO = 6,
	NEP_ERROR = 7,
};

/* Fixed message sizes in bytes (MAC included). */
#define NEP_LEN_HS_SERVER 96
#define NEP_LEN_HS_CLIENT 144
#define NEP_LEN_HS_FINAL 112
#define NEP_LEN_PACKET_SPEC 160
#define NEP_LEN_READY 48
#define NEP_LEN_ERROR 128
/* An ECHO carries at most this many packet bytes; longer ones are cut. */
#define NEP_ECHO_MAX_PACKET 9212
#define NEP_ECHO_MIN 64
#define NEP_MSG_MAX (NEP_HDR_LEN + 4 + NEP_ECHO_MAX_PACKET + NEP_MAC_LEN)

/* Error codes: negative, nep_strerror() names them. */
enum nep_err {
	NEP_OK = 0,
	NEP_ERR_TRUNCATED = -1, /* buffer shorter than the message */
	NEP_ERR_VERSION = -2,   /* version byte is not 1 */
	NEP_ERR_TYPE = -3,      /* unexpected or unknown message type */
	NEP_ERR_LENGTH = -4,    /* length field wrong for the type */
	NEP_ERR_MAC = -5,       /* MAC does not verify */
	NEP_ERR_AUTH = -6,      /* the server's handshake does not verify:
				   passphrase or crypto mode differ */
	NEP_ERR_SEQ = -7,       /* sequence number is not last + 1 */
	NEP_ERR_NONCE = -8,     /* the peer did not echo our nonce */
	NEP_ERR_SPEC = -9,      /* packet specification not acceptable */
	NEP_ERR_SPACE = -10,    /* output buffer too small */
	NEP_ERR_CRYPTO = -11,   /* OpenSSL failed */
	NEP_ERR_STATE = -12,    /* call not valid in this session state */
	NEP_ERR_INVAL = -13,    /* bad argument */
	NEP_ERR_PEER = -14,     /* the peer sent NEP_ERROR */
};

const char *nep_strerror(int err);
const char *nep_type_name(int type);

struct nep_hdr {
	uint8_t version;
	uint8_t type;
	uint16_t words; /* total length in 4-byte words, MAC included */
	uint32_t seq;
	uint32_t timestamp;
	uint32_t reserved;
};

/* The "partner IP" of the handshake: an IPv4 (first 4 bytes) or IPv6
 * address and its version byte (4 or 6). */
struct nep_partner {
	uint8_t version;
	uint8_t addr[16];
};

/* PACKET_SPEC field-specifier codes. */
enum nep_spec_code {
	NEP_SPEC_IPV4_TOS = 0xA0,
	NEP_SPEC_IPV4_ID = 0xA1,
	NEP_SPEC_IPV4_FRAGOFF = 0xA2,
	NEP_SPEC_IPV4_PROTO = 0xA3,
	NEP_SPEC_IPV6_TCLASS = 0xB0,
	NEP_SPEC_IPV6_FLOW = 0xB1,
	NEP_SPEC_IPV6_NHDR = 0xB2,
	NEP_SPEC_TCP_SPORT = 0xC0,
	NEP_SPEC_TCP_DPORT = 0xC1,
	NEP_SPEC_TCP_SEQ = 0xC2,
	NEP_SPEC_TCP_ACK = 0xC3,
	NEP_SPEC_TCP_FLAGS = 0xC4,
	NEP_SPEC_TCP_WIN = 0xC5,
	NEP_SPEC_TCP_URP = 0xC6,
	NEP_SPEC_ICMP_TYPE = 0xD0,
	NEP_SPEC_ICMP_CODE = 0xD1,
	NEP_SPEC_UDP_SPORT = 0xE0,
	NEP_SPEC_UDP_DPORT = 0xE1,
	NEP_SPEC_UDP_LEN = 0xE2,
	NEP_SPEC_PAYLOAD = 0xFF,
};

#define NEP_SPEC_AREA 108
#define NEP_SPEC_MAX_ITEMS 20 /* each code at most once */
#define NEP_SPEC_PAYLOAD_MAX 106

struct nep_spec_item {
	uint8_t code;
	uint8_t len; /* value bytes */
	uint8_t off; /* value offset in area[] */
};

struct nep_spec {
	uint8_t ip_version; /* 4 or 6 */
	uint8_t proto;      /* 6, 17, 1 */
	uint16_t count;     /* informational */
	size_t nitems;
	struct nep_spec_item items[NEP_SPEC_MAX_ITEMS];
	uint8_t area[NEP_SPEC_AREA]; /* the items as on the wire */
	size_t used;                 /* bytes of area[] in use */
};

/* Value length of a fixed-length code, 0 for PAYLOAD (variable) and -1 for
 * an unknown code. */
int nep_spec_code_len(uint8_t code);
const char *nep_spec_code_name(uint8_t code);

void nep_spec_init(struct nep_spec *s, uint8_t ip_version, uint8_t proto,
		   uint16_t count);
/* Appends one item (value in network order). NEP_ERR_SPACE when the area
 * is full, NEP_ERR_SPEC for a duplicate or a wrong length. */
int nep_spec_add(struct nep_spec *s, uint8_t code, const uint8_t *value,
		 size_t len);
/* The item with code, or NULL. */
const struct nep_spec_item *nep_spec_find(const struct nep_spec *s,
					  uint8_t code);
/* nping's acceptance rule: IPv4 with an IPv4_ID item or IPv6 with an
 * IPv6_FLOW item, and at least 4 items. */
bool nep_spec_acceptable(const struct nep_spec *s);

/* A decoded message. For ECHO, packet points into the decoded buffer. */
struct nep_msg {
	struct nep_hdr hdr;
	union {
		struct {
			uint8_t ns[NEP_NONCE_LEN];
		} hs_server;
		struct {
			uint8_t ns[NEP_NONCE_LEN];
			uint8_t nc[NEP_NONCE_LEN];
			struct nep_partner partner;
		} hs_client;
		struct {
			uint8_t nc[NEP_NONCE_LEN];
			struct nep_partner partner;
		} hs_final;
		struct nep_spec spec;
		struct {
			uint16_t dlt;
			uint16_t plen;
			const uint8_t *packet;
		} echo;
		struct {
			char text[80];
		} error;
	} u;
};

/* Total bytes of m on the wire (from its type; ECHO from plen). */
size_t nep_msg_len(const struct nep_msg *m);

/*
 * Writes the plaintext of m (MAC field zero; hdr.words is computed) into
 * buf. Returns the length, or NEP_ERR_SPACE with *need set, or another
 * error for impossible contents.
 */
int nep_encode(const struct nep_msg *m, uint8_t *buf, size_t cap,
	       size_t *need);

/*
 * Parses a plaintext message of exactly len bytes (its MAC is not looked
 * at). Checks the version, the type, the length field against len and
 * the type's layout. Returns 0 or an error.
 */
int nep_decode(const uint8_t *buf, size_t len, struct nep_msg *m);

/* Parses the 16-byte header only. */
int nep_hdr_decode(const uint8_t *buf, size_t len, struct nep_hdr *h);

/* The encrypted byte range [*start, total - 32) of a message type. */
int nep_enc_start(int type, size_t total, size_t *start);

/* One direction of a session: keys and the running CBC IV. */
struct nep_dir {
	bool crypto;
	const struct nep_crypto *crypto_lib; /* needed when crypto is on */
	uint8_t cipher[NEP_KEY_LEN];
	uint8_t mac[NEP_KEY_LEN];
	uint8_t iv[NEP_BLOCK_LEN];
};

/* MAC over the plaintext, then encryption of the type's range in place;
 * advances d->iv. With crypto off the MAC is 32 zero bytes. */
int nep_seal(struct nep_dir *d, uint8_t *buf, size_t len);

/*
 * Decrypts the range of a message of the given type in place, advances
 * d->iv (even when the MAC then fails, as nping does) and verifies the MAC
 * (with crypto off: that it is all zero). 0 or NEP_ERR_MAC.
 */
int nep_open(struct nep_dir *d, int type, uint8_t *buf, size_t len);

/* The header of a message whose header is encrypted, from its first block
 * (d->iv not changed). */
int nep_peek(const struct nep_dir *d, const uint8_t *block, size_t len,
	     struct nep_hdr *h);

/* ------------------------------------------------------------ packets */

/* The fields of a captured IPv4/IPv6 packet that matching, payload zeroing
 * and the client's SENT/CAPT comparison look at. */
struct nep_fields {
	uint8_t ip_version;
	uint8_t tos;       /* IPv4 TOS or IPv6 traffic class */
	uint16_t ip_id;    /* IPv4 */
	uint16_t frag;     /* IPv4 flags + fragment offset word */
	uint8_t ttl;       /* TTL or hop limit */
	uint8_t proto;     /* IPv4 protocol / IPv6 next header */
	uint32_t flow;     /* IPv6 flow label */
	uint8_t src[16], dst[16];
	bool has_tcp, has_udp, has_icmp;
	uint16_t sport, dport; /* TCP/UDP */
	uint32_t tcp_seq, tcp_ack;
	uint8_t tcp_flags;
	uint16_t tcp_win, tcp_urp;
	uint8_t tcp_optlen;
	uint16_t udp_len;
	uint8_t icmp_type, icmp_code;
	size_t payload_off; /* first byte after the last known header */
	size_t len;
};

/* Parses (buf, len) starting at the IP header. 0 or an error. */
int nep_fields_parse(const uint8_t *buf, size_t len, struct nep_fields *f);

/*
 * The matching score of a packet against a client's spec, in hundredths
 * (nping's points × 100), and the threshold for the packet's transport
 * (TCP 1000, UDP 800, ICMPv4 600; 0 when it can never match).
 */
int nep_spec_score(const struct nep_spec *s, const struct nep_fields *f,
		   const uint8_t *pkt, int *threshold);

/* Zeroes application data as nping's server does by default: everything
 * after the TCP/UDP header, or the ICMP header of a non-error ICMP message;
 * an unparsable packet keeps only its first 40 bytes. */
void nep_zero_payload(uint8_t *pkt, size_t len);

/* ------------------------------------------------------------ sessions */

enum nep_role { NEP_ROLE_CLIENT, NEP_ROLE_SERVER };

enum nep_state {
	NEP_ST_WAIT_HS_SERVER, /* client */
	NEP_ST_WAIT_HS_FINAL,  /* client */
	NEP_ST_WAIT_READY,     /* client */
	NEP_ST_WAIT_HS_CLIENT, /* server */
	NEP_ST_WAIT_SPEC,      /* server */
	NEP_ST_READY,          /* echoes flow S->C */
	NEP_ST_FAILED,
};

enum nep_event_kind {
	NEP_EV_NONE,      /* needs more bytes */
	NEP_EV_HANDSHAKE, /* a handshake message was accepted */
	NEP_EV_READY,     /* session established (client: READY arrived;
			     server: a good spec arrived, READY queued) */
	NEP_EV_ECHO,      /* client: an echoed packet */
	NEP_EV_DROPPED,   /* client: an ECHO failed its checks and was
			     dropped; the session goes on (as nping does) */
	NEP_EV_FAILED,    /* fatal: ev.err says why */
};

struct nep_event {
	enum nep_event_kind kind;
	int err;
	uint16_t dlt;
	const uint8_t *packet; /* NEP_EV_ECHO: valid until the next feed */
	size_t plen;
	uint32_t seq;
};

struct nep_session_cfg {
	enum nep_role role;
	bool crypto;
	const struct nep_crypto *crypto_lib; /* nep_crypto_open; needed when
						crypto is on */
	const uint8_t *pass;
	size_t passlen;
	uint8_t nonce[NEP_NONCE_LEN]; /* our own nonce */
	uint32_t seq0;                /* our initial sequence number */
	struct nep_partner partner;   /* client: the server's address;
					 server: the client's address */
	const struct nep_spec *spec;  /* client: what to send */
};

#define NEP_OUT_CAP 256

struct nep_session {
	enum nep_role role;
	enum nep_state state;
	bool crypto;
	const struct nep_crypto *crypto_lib; /* see cfg */
	int err;
	uint32_t now; /* Unix seconds for our timestamps (caller sets) */
	uint8_t pass[NEP_PASS_MAX];
	size_t passlen;
	uint8_t ns[NEP_NONCE_LEN], nc[NEP_NONCE_LEN];
	struct nep_keys keys;
	struct nep_dir tx, rx;
	uint32_t seq_out; /* next to send */
	uint32_t seq_in;  /* last received */
	struct nep_partner partner;      /* see cfg */
	struct nep_partner peer_partner; /* what the peer reported */
	struct nep_spec spec; /* client: sent; server: received */
	/* One message being assembled from the stream. */
	uint8_t in[NEP_MSG_MAX];
	size_t inlen;
	size_t inneed; /* whole message length, 0 until the header is known */
	uint8_t intype;
	/* Handshake output not yet taken by the caller. */
	uint8_t out[NEP_OUT_CAP];
	size_t outlen;
	uint64_t echoes, dropped;
};

/* Starts a session; a server queues its NEP_HANDSHAKE_SERVER at once. */
int nep_session_init(struct nep_session *s, const struct nep_session_cfg *c,
		     uint32_t now);

/*
 * Consumes up to len bytes of the peer's stream and stops after the first
 * event (ev->kind != NEP_EV_NONE) or when all bytes are used; returns the
 * bytes consumed. Feed the rest again. Works with any split of the stream
 * (one byte per call, several messages per call). After NEP_EV_FAILED the
 * session consumes nothing more.
 */
size_t nep_session_feed(struct nep_session *s, const uint8_t *buf,
			size_t len, struct nep_event *ev);

/* Bytes queued for the peer (handshake messages); take them all, then call
 * nep_session_taken(). */
const uint8_t *nep_session_output(const struct nep_session *s, size_t *len);
void nep_session_taken(struct nep_session *s, size_t n);

/*
 * Server, state READY: builds the NEP_ECHO of a captured packet (cut to
 * NEP_ECHO_MAX_PACKET) into buf. Returns its length or an error
 * (NEP_ERR_SPACE with *need).
 */
int nep_session_echo(struct nep_session *s, const uint8_t *pkt, size_t plen,
		     uint8_t *buf, size_t cap, size_t *need);

/* Builds a NEP_ERROR with text (either side, any encrypted state). */
int nep_session_error(struct nep_session *s, const char *text, uint8_t *buf,
		      size_t cap);



/*
 * The server's routing rule: the client (index into specs, which are in
 * connection order) whose spec scores highest for the packet, ties going to
 * the later client, if that score reaches the packet's threshold; -1 when
 * nobody gets it. NULL entries are skipped.
 */
int nep_match(const struct nep_spec *const *specs, size_t n,
	      const uint8_t *pkt, size_t len);

#endif
