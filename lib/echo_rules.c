/*
 * echo_rules - the echo server's hardening rules, as pure functions.
 */
#include "echo_rules.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void echo_rules_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void echo_rules_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

const char *echo_verdict_name(enum echo_verdict v)
{
	static const char *const names[ECHO_VERDICT_COUNT] = {
		[ECHO_OK] = "echoed",
		[ECHO_REFUSE_PORT_ZERO] = "port-zero",
		[ECHO_REFUSE_SERVICE_PORT] = "service-port",
		[ECHO_REFUSE_SELF_PORT] = "self-port",
		[ECHO_REFUSE_BAD_SOURCE] = "bad-source",
		[ECHO_REFUSE_BAD_DEST] = "bad-destination",
		[ECHO_REFUSE_EMPTY] = "empty",
		[ECHO_REFUSE_TOO_BIG] = "too-big",
		[ECHO_REFUSE_RATE_SOURCE] = "rate-source",
		[ECHO_REFUSE_RATE_GLOBAL] = "rate-global",
	};

	return (unsigned)v < ECHO_VERDICT_COUNT ? names[v] : "?";
}

/* --- ports --- */

void echo_ports_default(struct echo_ports *p)
{
	/* The simple services (echo, daytime, qotd, chargen, time) loop
	 * against an echo server; DNS, NTP and SNMP are the usual spoofed
	 * sources of reflection attacks. */
	static const uint16_t def[] = {7, 13, 17, 19, 37, 53, 123, 161};
	size_t i;

	p->n = 0;
	for (i = 0; i < sizeof(def) / sizeof(def[0]); i++)
		p->port[p->n++] = def[i];
}

bool echo_ports_has(const struct echo_ports *p, uint16_t port)
{
	size_t i;

	for (i = 0; i < p->n; i++)
		if (p->port[i] == port)
			return true;
	return false;
}

static int echo_parse_port_num(const char *s, size_t len, long *out)
{
	char buf[8];
	char *end;
	long v;

	if (len == 0 || len >= sizeof(buf))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	errno = 0;
	v = strtol(buf, &end, 10);
	if (*end || errno || v < 1 || v > 65535)
		return -1;
	*out = v;
	return 0;
}

/* One "PORT" or "LO-HI" item of a list. */
static int echo_ports_add_item(struct echo_ports *p, const char *s, size_t len,
			       char *err, size_t errlen)
{
	const char *dash = memchr(s, '-', len);
	long lo, hi, v;

	if (dash) {
		if (echo_parse_port_num(s, (size_t)(dash - s), &lo) < 0 ||
		    echo_parse_port_num(dash + 1, len - (size_t)(dash - s) - 1,
					&hi) < 0 ||
		    hi < lo)
			goto bad;
	} else {
		if (echo_parse_port_num(s, len, &lo) < 0)
			goto bad;
		hi = lo;
	}
	for (v = lo; v <= hi; v++) {
		if (echo_ports_has(p, (uint16_t)v))
			continue;
		if (p->n >= ECHO_PORTS_MAX) {
			echo_rules_errf(err, errlen,
					"too many refused ports (at most %d)",
					ECHO_PORTS_MAX);
			return -1;
		}
		p->port[p->n++] = (uint16_t)v;
	}
	return 0;
bad:
	echo_rules_errf(err, errlen,
			"'%.*s' is not a port (1-65535) or a range LO-HI",
			(int)len, s);
	return -1;
}

int echo_ports_add(struct echo_ports *p, const char *list, char *err,
		   size_t errlen)
{
	const char *s = list;

	if (!*list) {
		echo_rules_errf(err, errlen, "the port list is empty");
		return -1;
	}
	for (;;) {
		const char *comma = strchr(s, ',');
		size_t len = comma ? (size_t)(comma - s) : strlen(s);

		if (echo_ports_add_item(p, s, len, err, errlen) < 0)
			return -1;
		if (!comma)
			return 0;
		s = comma + 1;
	}
}

/* --- address classes --- */

static enum echo_addr_class echo_classify_v4(uint32_t a, const uint32_t *bcast,
					     size_t nbcast)
{
	uint32_t h = ntohl(a);
	size_t i;

	if (h == 0)
		return ECHO_ADDR_UNSPECIFIED;
	if (h == 0xffffffffu)
		return ECHO_ADDR_BROADCAST;
	if ((h >> 28) == 0xe)
		return ECHO_ADDR_MULTICAST;
	/* 0.0.0.0/8 is "this network": never a valid source. */
	if ((h >> 24) == 0)
		return ECHO_ADDR_UNSPECIFIED;
	/* Class E (240/4) is reserved and never a real sender. */
	if ((h >> 28) == 0xf)
		return ECHO_ADDR_BROADCAST;
	if ((h >> 24) == 127)
		return ECHO_ADDR_LOOPBACK;
	for (i = 0; i < nbcast; i++)
		if (bcast[i] == a)
			return ECHO_ADDR_BROADCAST;
	return ECHO_ADDR_UNICAST;
}

enum echo_addr_class echo_addr_classify(const struct sockaddr *sa,
					const uint32_t *bcast, size_t nbcast)
{
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;

		return echo_classify_v4(s4->sin_addr.s_addr, bcast, nbcast);
	}
	if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;
		uint32_t v4;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			memcpy(&v4, &a->s6_addr[12], 4);
			return echo_classify_v4(v4, bcast, nbcast);
		}
		if (IN6_IS_ADDR_UNSPECIFIED(a))
			return ECHO_ADDR_UNSPECIFIED;
		if (IN6_IS_ADDR_MULTICAST(a))
			return ECHO_ADDR_MULTICAST;
		if (IN6_IS_ADDR_LOOPBACK(a))
			return ECHO_ADDR_LOOPBACK;
		return ECHO_ADDR_UNICAST;
	}
	return ECHO_ADDR_OTHER;
}

static uint16_t echo_sa_port(const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)sa)->sin_port);
	if (sa->sa_family == AF_INET6)
		return ntohs(((const struct sockaddr_in6 *)sa)->sin6_port);
	return 0;
}

enum echo_verdict echo_udp_check(const struct echo_udp_policy *pol,
				 const struct sockaddr *src,
				 const struct sockaddr *dst, size_t len)
{
	uint16_t port = echo_sa_port(src);
	enum echo_addr_class c;
	size_t i;

	if (port == 0)
		return ECHO_REFUSE_PORT_ZERO;
	if (echo_ports_has(&pol->refused, port))
		return ECHO_REFUSE_SERVICE_PORT;
	for (i = 0; i < pol->nself; i++)
		if (pol->self_ports[i] == port)
			return ECHO_REFUSE_SELF_PORT;
	c = echo_addr_classify(src, pol->bcast, pol->nbcast);
	if (c != ECHO_ADDR_UNICAST && c != ECHO_ADDR_LOOPBACK)
		return ECHO_REFUSE_BAD_SOURCE;
	if (dst) {
		c = echo_addr_classify(dst, pol->bcast, pol->nbcast);
		if (c == ECHO_ADDR_BROADCAST || c == ECHO_ADDR_MULTICAST)
			return ECHO_REFUSE_BAD_DEST;
	}
	if (len == 0)
		return ECHO_REFUSE_EMPTY;
	if (len > pol->max_datagram)
		return ECHO_REFUSE_TOO_BIG;
	return ECHO_OK;
}

/* --- token buckets --- */

void echo_bucket_init(struct echo_bucket *b, double burst, int64_t now_ns)
{
	b->tokens = burst;
	b->last_ns = now_ns;
}

bool echo_bucket_take(struct echo_bucket *b, double rate, double burst,
		      int64_t now_ns)
{
	if (now_ns > b->last_ns) {
		b->tokens += (double)(now_ns - b->last_ns) * 1e-9 * rate;
		if (b->tokens > burst)
			b->tokens = burst;
		b->last_ns = now_ns;
	}
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

/* --- per-source table --- */

void echo_key_from(struct echo_key *k, const struct sockaddr *sa)
{
	memset(k, 0, sizeof(*k));
	k->family = (uint8_t)sa->sa_family;
	if (sa->sa_family == AF_INET) {
		memcpy(k->b, &((const struct sockaddr_in *)sa)->sin_addr, 4);
	} else if (sa->sa_family == AF_INET6) {
		const struct in6_addr *a =
			&((const struct sockaddr_in6 *)sa)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a)) {
			k->family = AF_INET;
			memcpy(k->b, &a->s6_addr[12], 4);
		} else {
			memcpy(k->b, a->s6_addr, 8); /* the /64 */
		}
	}
}

bool echo_key_eq(const struct echo_key *a, const struct echo_key *b)
{
	return a->family == b->family && memcmp(a->b, b->b, 16) == 0;
}

/* FNV-1a over the key: sources are attacker-chosen, but a collision only
 * shares a set of ECHO_SRC_WAYS slots, it never grows anything. */
static uint64_t echo_key_hash(const struct echo_key *k)
{
	uint64_t h = 1469598103934665603ull;
	size_t i;

	for (i = 0; i < sizeof(k->b); i++)
		h = (h ^ k->b[i]) * 1099511628211ull;
	return (h ^ k->family) * 1099511628211ull;
}

int echo_src_init(struct echo_src_table *t, size_t nsets, double rate,
		  double burst)
{
	size_t n = 1;

	while (n < nsets)
		n <<= 1;
	t->e = calloc(n * ECHO_SRC_WAYS, sizeof(*t->e));
	if (!t->e) {
		errno = ENOMEM;
		return -1;
	}
	t->nsets = n;
	t->rate = rate;
	t->burst = burst;
	return 0;
}

void echo_src_free(struct echo_src_table *t)
{
	free(t->e);
	t->e = NULL;
	t->nsets = 0;
}

bool echo_src_take(struct echo_src_table *t, const struct sockaddr *sa,
		   int64_t now_ns)
{
	struct echo_key k;
	struct echo_src_entry *set, *victim;
	size_t i;

	echo_key_from(&k, sa);
	set = &t->e[(echo_key_hash(&k) & (t->nsets - 1)) * ECHO_SRC_WAYS];
	victim = &set[0];
	for (i = 0; i < ECHO_SRC_WAYS; i++) {
		if (set[i].used && echo_key_eq(&set[i].key, &k))
			return echo_bucket_take(&set[i].bucket, t->rate,
						t->burst, now_ns);
		if (!set[i].used)
			victim = &set[i];
		else if (victim->used &&
			 set[i].bucket.last_ns < victim->bucket.last_ns)
			victim = &set[i];
	}
	victim->used = true;
	victim->key = k;
	echo_bucket_init(&victim->bucket, t->burst, now_ns);
	return echo_bucket_take(&victim->bucket, t->rate, t->burst, now_ns);
}

/* --- TCP admission --- */

enum echo_conn_verdict echo_conn_admit(size_t active, size_t from_source,
				       size_t max_total, size_t max_source)
{
	if (active >= max_total)
		return ECHO_CONN_REFUSE_TOTAL;
	if (from_source >= max_source)
		return ECHO_CONN_REFUSE_SOURCE;
	return ECHO_CONN_OK;
}

/* --- log rate --- */

void echo_lograte_init(struct echo_lograte *r, double rate, double burst,
		       int64_t now_ns)
{
	r->rate = rate;
	r->burst = burst;
	r->suppressed = 0;
	echo_bucket_init(&r->bucket, burst, now_ns);
}

bool echo_lograte_allow(struct echo_lograte *r, int64_t now_ns,
			uint64_t *suppressed)
{
	if (!echo_bucket_take(&r->bucket, r->rate, r->burst, now_ns)) {
		r->suppressed++;
		return false;
	}
	*suppressed = r->suppressed;
	r->suppressed = 0;
	return true;
}

/* --- --listen --- */

static int echo_parse_listen_port(const char *s, uint16_t *port, char *err,
				  size_t errlen, const char *text)
{
	long v;

	if (echo_parse_port_num(s, strlen(s), &v) < 0) {
		echo_rules_errf(err, errlen,
				"--listen: '%s': the port must be 1-65535",
				text);
		return -1;
	}
	*port = (uint16_t)v;
	return 0;
}

int echo_parse_listen(const char *text, uint16_t default_port,
		      struct sock_addr *out, char *err, size_t errlen)
{
	char host[256];
	const char *colon, *port_s = NULL;
	uint16_t port = default_port;
	size_t hl;
	char rerr[256];

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (!close || (close[1] && close[1] != ':')) {
			echo_rules_errf(err, errlen,
					"--listen: '%s': expected [ADDR]:PORT",
					text);
			return -1;
		}
		hl = (size_t)(close - text - 1);
		if (hl >= sizeof(host))
			goto toolong;
		memcpy(host, text + 1, hl);
		host[hl] = '\0';
		if (close[1] == ':')
			port_s = close + 2;
	} else {
		colon = strchr(text, ':');
		/* Two colons and no brackets: a bare IPv6 address. */
		if (colon && strchr(colon + 1, ':'))
			colon = NULL;
		hl = colon ? (size_t)(colon - text) : strlen(text);
		if (hl >= sizeof(host))
			goto toolong;
		memcpy(host, text, hl);
		host[hl] = '\0';
		if (colon)
			port_s = colon + 1;
	}
	if (!host[0]) {
		echo_rules_errf(err, errlen, "--listen: '%s': no address",
				text);
		return -1;
	}
	if (port_s &&
	    echo_parse_listen_port(port_s, &port, err, errlen, text) < 0)
		return -1;
	if (sock_resolve(host, AF_UNSPEC, false, out, rerr, sizeof(rerr)) < 0) {
		echo_rules_errf(err, errlen, "--listen: %s", rerr);
		return -1;
	}
	sock_set_port(out, port);
	return 0;
toolong:
	echo_rules_errf(err, errlen, "--listen: the address is too long");
	return -1;
}

const char *echo_addr_str(const struct sockaddr *sa, char *buf, size_t len)
{
	char a[INET6_ADDRSTRLEN];
	const void *src;

	if (sa->sa_family == AF_INET) {
		src = &((const struct sockaddr_in *)sa)->sin_addr;
		inet_ntop(AF_INET, src, a, sizeof(a));
		snprintf(buf, len, "%s:%u", a, (unsigned)echo_sa_port(sa));
	} else if (sa->sa_family == AF_INET6) {
		src = &((const struct sockaddr_in6 *)sa)->sin6_addr;
		inet_ntop(AF_INET6, src, a, sizeof(a));
		snprintf(buf, len, "[%s]:%u", a, (unsigned)echo_sa_port(sa));
	} else {
		snprintf(buf, len, "?");
	}
	return buf;
}
