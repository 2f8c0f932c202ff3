/*
 * echo_rules - the hardening rules of the echo server as pure functions:
 * which UDP sources never get an answer, token buckets, the per-source
 * table, the TCP connection caps and the --listen syntax. No I/O here, so
 * the unit tests drive every rule directly.
 */
#ifndef ECHOLOT_ECHO_RULES_H
#define ECHOLOT_ECHO_RULES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "sock.h"

/* Why a datagram got no answer (or that it did: ECHO_OK). The order is the
 * order the rules are checked in, and the index into the counters. */
enum echo_verdict {
	ECHO_OK = 0,
	ECHO_REFUSE_PORT_ZERO,	  /* source port 0: a forged or broken sender */
	ECHO_REFUSE_SERVICE_PORT, /* 7, 13, 17, 19, 37, 53, 123, 161,
				     --refuse-port */
	ECHO_REFUSE_SELF_PORT,	/* the port we listen on: another echo server */
	ECHO_REFUSE_BAD_SOURCE, /* broadcast, multicast or unspecified source */
	ECHO_REFUSE_BAD_DEST,	/* sent to a broadcast or multicast address */
	ECHO_REFUSE_EMPTY,	/* zero-length: a scanner's probe, no data */
	ECHO_REFUSE_TOO_BIG,	/* longer than --max-datagram */
	ECHO_REFUSE_RATE_SOURCE, /* the source's token bucket is empty */
	ECHO_REFUSE_RATE_GLOBAL, /* the server's replies/s cap is reached */
	ECHO_VERDICT_COUNT,
};

/* Short names for counters and logs ("service-port", ...). */
const char *echo_verdict_name(enum echo_verdict v);

/* The source ports that never get a UDP answer besides 0. */
#define ECHO_PORTS_MAX 64
struct echo_ports {
	uint16_t port[ECHO_PORTS_MAX];
	size_t n;
};

/* Fills p with 7, 13, 17, 19, 37, 53, 123, 161. */
void echo_ports_default(struct echo_ports *p);

/* Adds "PORT[,PORT...]" or ranges "LO-HI" (at most ECHO_PORTS_MAX entries in
 * all; a range counts as its size). 0 or -1 with err set. */
int echo_ports_add(struct echo_ports *p, const char *list, char *err,
		   size_t errlen);

bool echo_ports_has(const struct echo_ports *p, uint16_t port);

/* What kind of address a source (or destination) is. */
enum echo_addr_class {
	ECHO_ADDR_UNICAST,
	ECHO_ADDR_LOOPBACK, /* allowed: it is how the server is tested */
	ECHO_ADDR_UNSPECIFIED,
	ECHO_ADDR_BROADCAST,
	ECHO_ADDR_MULTICAST,
	ECHO_ADDR_OTHER, /* not IPv4 or IPv6 */
};

/*
 * Classifies an address. IPv4-mapped IPv6 addresses are judged as the IPv4
 * address they carry. bcast[] lists the directed broadcast addresses of
 * the local interfaces (network byte order), since 198.18.0.255 is only a
 * broadcast address because an interface says so.
 */
enum echo_addr_class echo_addr_classify(const struct sockaddr *sa,
					const uint32_t *bcast, size_t nbcast);

/* The checks that need no state: ports, address classes, size. src and
 * dst are the datagram's source and the address it was sent to (dst may be
 * NULL when unknown). */
struct echo_udp_policy {
	struct echo_ports refused; /* service ports, see above */
	uint16_t self_ports[16];   /* our own UDP listening ports */
	size_t nself;
	size_t max_datagram;   /* bigger ones are dropped */
	const uint32_t *bcast; /* directed broadcast addresses */
	size_t nbcast;
};

enum echo_verdict echo_udp_check(const struct echo_udp_policy *pol,
				 const struct sockaddr *src,
				 const struct sockaddr *dst, size_t len);

/* --- token buckets --- */

/* rate tokens per second, at most burst of them saved up. */
struct echo_bucket {
	double tokens;
	int64_t last_ns;
};

void echo_bucket_init(struct echo_bucket *b, double burst, int64_t now_ns);

/* Refills for the time since the last call, then takes one token if there
 * is one. True when the token was taken. */
bool echo_bucket_take(struct echo_bucket *b, double rate, double burst,
		      int64_t now_ns);

/* --- the per-source table --- */

/* Sources are keyed by the IPv4 address, or by the /64 of an IPv6 address
 * (one host owns a whole /64, so a victim spread over it is still one
 * victim). */
struct echo_key {
	uint8_t b[16];
	uint8_t family;
};

void echo_key_from(struct echo_key *k, const struct sockaddr *sa);
bool echo_key_eq(const struct echo_key *a, const struct echo_key *b);

/*
 * A fixed-size table of token buckets, 4-way set associative: a new source
 * takes the slot of its set that was used longest ago, so memory never
 * grows with the number of sources. A source pushed out comes back with a
 * full bucket; the global cap bounds what that can be worth.
 */
#define ECHO_SRC_WAYS 4
struct echo_src_entry {
	struct echo_key key;
	struct echo_bucket bucket;
	bool used;
};

struct echo_src_table {
	struct echo_src_entry *e; /* nsets * ECHO_SRC_WAYS entries */
	size_t nsets;
	double rate, burst;
};

/* nsets is rounded up to a power of two. 0 or -1 (ENOMEM). */
int echo_src_init(struct echo_src_table *t, size_t nsets, double rate,
		  double burst);
void echo_src_free(struct echo_src_table *t);

/* Takes a token from the source's bucket; false when it has none left. */
bool echo_src_take(struct echo_src_table *t, const struct sockaddr *sa,
		   int64_t now_ns);

/* --- TCP admission --- */

enum echo_conn_verdict {
	ECHO_CONN_OK,
	ECHO_CONN_REFUSE_TOTAL,	 /* --max-conns reached */
	ECHO_CONN_REFUSE_SOURCE, /* --max-conns-per-source reached */
};

/* active: connections open now; from_source: of those, from this source. */
enum echo_conn_verdict echo_conn_admit(size_t active, size_t from_source,
				       size_t max_total, size_t max_source);

/* --- a rate limit for log lines --- */

/* Up to rate lines per second (burst as many at once); the rest are counted
 * and reported as suppressed with the next line let through. */
struct echo_lograte {
	struct echo_bucket bucket;
	double rate, burst;
	uint64_t suppressed;
};

void echo_lograte_init(struct echo_lograte *r, double rate, double burst,
		       int64_t now_ns);

/* True when a line may be written now; *suppressed gets the number held
 * back since the last line that was allowed. */
bool echo_lograte_allow(struct echo_lograte *r, int64_t now_ns,
			uint64_t *suppressed);

/* --- --listen ADDR[:PORT] --- */

/*
 * "127.0.0.1", "127.0.0.1:7007", "::1", "[::1]", "[::1]:7007" (an IPv6
 * address with a port needs the brackets) or a host name with an optional
 * ":PORT". Numeric addresses are preferred; names go through sock_resolve.
 * 0 or -1 with err set.
 */
int echo_parse_listen(const char *text, uint16_t default_port,
		      struct sock_addr *out, char *err, size_t errlen);

/* "127.0.0.1:7" or "[::1]:7". */
const char *echo_addr_str(const struct sockaddr *sa, char *buf, size_t len);

#endif
