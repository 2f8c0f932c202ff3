/*
 * sock - sockets for probing: name resolution, ICMP datagram/raw sockets,
 * kernel receive timestamps and ancillary data.
 */
#ifndef ECHOLOT_SOCK_H
#define ECHOLOT_SOCK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include <sys/types.h>

struct sock_addr {
	struct sockaddr_storage ss;
	socklen_t len;
};

/* How an ICMP socket was opened. */
enum sock_icmp_kind {
	SOCK_ICMP_DGRAM, /* unprivileged "ping socket": kernel owns the id */
	SOCK_ICMP_RAW,   /* raw socket: needs root or CAP_NET_RAW */
};

/* An error-queue report (IP_RECVERR / IPV6_RECVERR): the ICMP error a
 * connected UDP socket received, or a local error. */
struct sock_ee {
	bool present;
	uint8_t origin;         /* SO_EE_ORIGIN_ICMP, _ICMP6, _LOCAL ... */
	uint8_t type, code;     /* ICMP type/code for the ICMP origins */
	uint32_t err;           /* errno the error maps to */
	uint32_t info;          /* e.g. the MTU of "fragmentation needed" */
	struct sock_addr offender; /* who sent the ICMP error (len 0: none) */
};

/* What recvmsg told us besides the bytes. */
struct sock_rx {
	struct sock_addr from;
	int64_t kernel_ns;  /* SO_TIMESTAMPNS, CLOCK_REALTIME; 0 if none */
	int ttl;            /* IP_TTL / IPV6_HOPLIMIT of the packet, or -1 */
	int tos;            /* IP_TOS / IPV6_TCLASS, or -1 */
	bool truncated;     /* MSG_TRUNC: the datagram was longer than buf */
	struct sock_ee ee;  /* with MSG_ERRQUEUE: the error, if any */
	uint8_t ip_opts[40]; /* IP_RECVOPTS: the IPv4 options received */
	size_t ip_opt_len;   /* 0: none (or not asked for) */
};

/*
 * Resolves host for family (AF_INET, AF_INET6 or AF_UNSPEC: the first
 * address getaddrinfo returns). numeric_only refuses names. Returns 0, or
 * -1 with "cannot resolve 'x': reason" in err.
 */
int sock_resolve(const char *host, int family, bool numeric_only,
		 struct sock_addr *out, char *err, size_t errlen);

/* The address without port, as text ("127.0.0.1", "::1"). */
const char *sock_ntop(const struct sock_addr *a, char *buf, size_t len);
int sock_family(const struct sock_addr *a);
uint16_t sock_port(const struct sock_addr *a);
void sock_set_port(struct sock_addr *a, uint16_t port);

/*
 * Opens an ICMP (family AF_INET) or ICMPv6 socket. With prefer_dgram, an
 * ICMP datagram socket first (no privilege needed where
 * net.ipv4.ping_group_range allows), a raw socket as fallback; otherwise
 * raw only. On failure err says what is missing (root, CAP_NET_RAW or the
 * sysctl). Returns the fd or -1.
 */
int sock_open_icmp(int family, bool prefer_dgram, enum sock_icmp_kind *kind,
		   char *err, size_t errlen);

/* Asks for kernel receive timestamps and the TTL/hop limit of every
 * received packet. Returns 0 or -1 with errno. */
int sock_enable_rx_info(int fd, int family);

/* Only the kernel receive timestamps: for raw IPv4 sockets, whose reads
 * start at the IP header, so TTL and TOS cmsgs would be paid for twice
 * on every packet. Returns 0 or -1 with errno. */
int sock_enable_rx_stamp(int fd);

/* Asks for the IPv4 options of every received packet (IP_RECVOPTS), for
 * sockets whose reads start after the IP header. Returns 0 or -1. */
int sock_enable_rx_opts(int fd);

/* Asks for ICMP errors on the socket's error queue (IP_RECVERR or
 * IPV6_RECVERR; read them with sock_recv(..., MSG_ERRQUEUE, ...)).
 * Returns 0 or -1 with errno. */
int sock_enable_recverr(int fd, int family);

/* recvmsg with the ancillary data decoded into rx. Returns the byte count
 * (possibly 0) or -1 with errno. */
ssize_t sock_recv(int fd, void *buf, size_t cap, int flags,
		  struct sock_rx *rx);

/*
 * sendto(2) and recvmsg(2) as plain system calls, not glibc's wrappers:
 * those are thread cancellation points, and in a process with a second
 * thread each call then sets and clears the thread's cancel state with
 * two atomic operations (a tenth of ping's own CPU in a two-thread
 * flood). echolot never cancels a thread. Same results and errno.
 */
ssize_t sock_sendto(int fd, const void *buf, size_t len, int flags,
		    const struct sockaddr *to, socklen_t tolen);
ssize_t sock_recvmsg(int fd, struct msghdr *msg, int flags);

/* CLOCK_REALTIME in ns: the clock SO_TIMESTAMPNS uses, so a send time taken
 * with it can be subtracted from a kernel receive timestamp. */
int64_t sock_realtime_ns(void);

/*
 * The rtt of a reply: the kernel receive timestamp minus the send time
 * (both CLOCK_REALTIME) when that is sane, else the monotonic difference
 * (the wall clock may have been stepped in between).
 */
int64_t sock_rtt_ns(int64_t tx_real_ns, int64_t tx_mono_ns,
		    const struct sock_rx *rx, int64_t rx_mono_ns);

#endif
