/*
 * probe - the probe table and reply matching shared by ping, trace and
 * nep-client.
 *
 * This half is pure: no sockets, no clocks. The caller records each probe
 * it sent (probe_add) with its identifying fields and send times, then
 * hands every parsed packet it receives to probe_match, which says which
 * probe it answers and how (echo reply, SYN-ACK, RST, port unreachable,
 * time exceeded, ...). Expired probes are removed with probe_expire.
 *
 * The table has a fixed capacity chosen at init and is allocated once, so
 * a long run never allocates per probe.
 *
 * Matching ICMP errors uses the quoted fields that load balancers do not
 * hash on (ICMP seq, the UDP checksum in Paris mode, TCP seq), besides
 * protocol, ports and destination: so a probe is recognised whichever path
 * its flow took, and a forged error quoting someone else's packet is not.
 */
#ifndef ECHOLOT_PROBE_H
#define ECHOLOT_PROBE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "packet.h"

/* What identifies a probe on the wire. */
struct probe_fields {
	enum pkt_probe_proto proto;
	struct pkt_addr dst;   /* where the probe went */
	uint16_t icmp_id;      /* ICMP: echo id (ignored if table says so) */
	uint16_t icmp_seq;     /* ICMP: echo seq */
	uint16_t sport, dport; /* UDP/TCP */
	uint32_t tcp_seq;      /* TCP: our initial sequence number */
	uint16_t udp_csum;     /* UDP: checksum (key in PROBE_UDP_CSUM) */
	uint16_t ip_id;	       /* v4 id (key in PROBE_UDP_IPID) */
};

/* One probe in flight. */
struct probe {
	struct probe_fields f;
	int64_t tx_real_ns; /* CLOCK_REALTIME send time (kernel rx
			     * timestamps use this clock) */
	int64_t tx_mono_ns; /* CLOCK_MONOTONIC send time */
	uint8_t ttl;	    /* TTL / hop limit it was sent with */
	uint32_t seq;	    /* the caller's probe number */
	uint32_t flow;	    /* the caller's flow id (Paris/multipath) */
	uint32_t replies;   /* the caller may count matches (dups) */
	void *user;	    /* anything the caller attaches */
};

/* How UDP probes are told apart (the rest of the key is ports + dst). */
enum probe_udp_key {
	PROBE_UDP_PORTS = 0, /* classic traceroute: each probe its own dport */
	PROBE_UDP_CSUM,	     /* Paris: same ports, the UDP checksum varies */
	PROBE_UDP_IPID	     /* same ports, the IPv4 id varies */
};

struct probe_table_cfg {
	size_t capacity; /* probes in flight at most */
	/* ICMP datagram sockets: the kernel picks the echo id, so replies
	 * are matched on seq (and destination) only. */
	bool icmp_ignore_id;
	enum probe_udp_key udp_key;
};

/* Probes live in a fixed array (a pointer stays valid until that probe
 * is removed); an open-addressing hash index finds them. Fields are
 * private to probe.c. */
struct probe_slot;
struct probe_table {
	struct probe_table_cfg cfg;
	struct probe_slot *slots; /* cfg.capacity probes */
	size_t nslots;		  /* index size: power of two >= 2*capacity */
	size_t count;
	uint32_t *index;    /* slot number + 1, 0 = empty */
	uint32_t free_head; /* first free slot + 1, 0 = full */
};

/* Allocates the table. Returns 0, or -1 with errno (EINVAL, ENOMEM). */
int probe_table_init(struct probe_table *t, const struct probe_table_cfg *cfg);
void probe_table_free(struct probe_table *t);
size_t probe_count(const struct probe_table *t);

/*
 * Records a probe (copied into the table). Returns a pointer to the
 * table's copy, or NULL when the table is full or a probe with the same
 * key is already in flight (errno ENOSPC / EEXIST).
 */
struct probe *probe_add(struct probe_table *t, const struct probe *p);

/* The probe with these identifying fields, or NULL. */
struct probe *probe_find(struct probe_table *t, const struct probe_fields *f);

/* Removes a probe (pointer from add/find/match; it becomes invalid,
 * pointers to other probes stay valid). */
void probe_remove(struct probe_table *t, struct probe *p);

typedef void (*probe_expire_fn)(const struct probe *p, void *arg);

/*
 * Removes every probe sent before deadline_mono_ns (CLOCK_MONOTONIC),
 * calling fn (may be NULL) on each first. Returns how many were removed.
 */
size_t probe_expire(struct probe_table *t, int64_t deadline_mono_ns,
		    probe_expire_fn fn, void *arg);

/* How a packet answers a probe. */
enum probe_reply {
	PROBE_REPLY_NONE = 0,	  /* not an answer to any of our probes */
	PROBE_REPLY_ECHO,	  /* ICMP echo reply */
	PROBE_REPLY_TCP_SYNACK,	  /* TCP SYN+ACK: port open */
	PROBE_REPLY_TCP_RST,	  /* TCP RST: port closed */
	PROBE_REPLY_PORT_UNREACH, /* ICMP port unreachable: UDP at the target */
	PROBE_REPLY_TTL_EXCEEDED, /* ICMP time exceeded in transit */
	PROBE_REPLY_UNREACH,	  /* another destination unreachable */
	PROBE_REPLY_TOO_BIG,	  /* v4 frag needed / v6 packet too big */
	PROBE_REPLY_PARAM,	  /* parameter problem */
	PROBE_REPLY_OTHER_ERROR	  /* another ICMP error quoting our probe
				   * (e.g. reassembly time exceeded) */
};

struct probe_match {
	enum probe_reply kind;
	struct probe *probe;	      /* the probe answered */
	struct pkt_addr from;	      /* who answered (outer source) */
	uint8_t icmp_type, icmp_code; /* for ICMP answers */
	uint8_t quoted_ttl;	      /* TTL left in the quotation (trace's
				       * "!" hints), 0 if none */
};

/*
 * Matches a parsed packet to a probe. `from` is the sender as the socket
 * reported it; it may be NULL when p->outer.ip carries the source (raw
 * sockets, pcap). Returns true and fills m when p answers one of our
 * probes; the table is not modified (remove or count it yourself).
 */
bool probe_match(struct probe_table *t, const struct pkt_parsed *p,
		 const struct pkt_addr *from, struct probe_match *m);

/* A short name for a reply kind ("echo reply", "time exceeded", ...). */
const char *probe_reply_name(enum probe_reply kind);

#endif
