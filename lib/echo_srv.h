/*
 * echo_srv - a hardened RFC 862 echo server: TCP and UDP, IPv4 and IPv6,
 * on one non-blocking epoll loop (lib/loop), no thread or process per
 * client. The rules it enforces are in echo_rules.h; this file is the I/O.
 *
 * Memory is fixed by the configuration: max_conns buffers of tcp_buffer
 * bytes, one UDP batch, one per-source table. A peer that stops reading
 * stops being read from, so nothing grows with a slow or hostile client.
 */
#ifndef ECHOLOT_ECHO_SRV_H
#define ECHOLOT_ECHO_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "echo_rules.h"
#include "loop.h"
#include "output.h"
#include "sock.h"

#define ECHO_SRV_LISTEN_MAX 16

/* Documented defaults (man/echolot-echo.1 lists the same numbers). */
#define ECHO_SRV_DEF_PORT 7
#define ECHO_SRV_DEF_RATE 50.0		/* replies/s per source */
#define ECHO_SRV_DEF_BURST 100.0	/* replies a source may save up */
#define ECHO_SRV_DEF_GLOBAL_RATE 2000.0 /* replies/s in all */
#define ECHO_SRV_DEF_MAX_DATAGRAM 1472	/* one Ethernet frame of payload */
#define ECHO_SRV_DEF_MAX_CONNS 256
#define ECHO_SRV_DEF_MAX_CONNS_SOURCE 16
#define ECHO_SRV_DEF_IDLE 60.0	      /* seconds without progress */
#define ECHO_SRV_DEF_TCP_BUFFER 65536 /* bytes per connection */
#define ECHO_SRV_DEF_SRC_SETS 1024    /* x4 sources remembered */
#define ECHO_SRV_LOG_RATE 5.0	      /* log lines/s */
#define ECHO_SRV_LOG_BURST 20.0

struct echo_srv_cfg {
	struct sock_addr listen[ECHO_SRV_LISTEN_MAX];
	size_t nlisten;
	bool tcp, udp;
	struct echo_ports refused; /* UDP source ports never answered */
	size_t max_datagram;
	double rate, burst; /* per-source token bucket */
	double global_rate; /* and the cap for all sources */
	size_t src_sets;
	size_t max_conns, max_conns_source;
	double idle_timeout; /* seconds */
	size_t tcp_buffer;
	FILE *log; /* rate-limited event lines; NULL: none */
};

/* Fills every field with the defaults above; no listen address. */
void echo_srv_cfg_default(struct echo_srv_cfg *cfg);

struct echo_srv_counters {
	uint64_t tcp_accepted;
	uint64_t tcp_refused_total;  /* --max-conns reached */
	uint64_t tcp_refused_source; /* --max-conns-per-source reached */
	uint64_t tcp_idle_closed;
	uint64_t tcp_bytes_echoed;
	uint64_t tcp_active, tcp_peak;
	uint64_t udp_received;
	uint64_t udp_echoed;
	uint64_t udp_bytes_echoed;
	uint64_t udp_refused[ECHO_VERDICT_COUNT]; /* [ECHO_OK] unused */
	uint64_t send_errors; /* replies the kernel would not take */
};

struct echo_conn;

struct echo_srv {
	struct echo_srv_cfg cfg;
	struct loop *loop;
	int tcp_fd[ECHO_SRV_LISTEN_MAX];
	int udp_fd[ECHO_SRV_LISTEN_MAX];
	size_t nsock;
	struct echo_udp_policy pol;
	uint32_t bcast[32];
	struct echo_src_table src;
	struct echo_bucket global;
	struct echo_conn *conns; /* max_conns slots */
	size_t nconns;		 /* slots in use */
	uint8_t *udp_buf;	 /* one batch of datagrams */
	void *udp_batch;	 /* mmsghdr/iovec/address/cmsg arrays */
	struct echo_lograte lograte;
	int sweep_fd; /* timerfd of the idle sweep, -1 before start */
	struct echo_srv_counters c;
};

/*
 * Opens and binds every socket of cfg (this is the part that needs
 * privilege for port 7). 0, or -1 with a one-line reason in err.
 */
int echo_srv_open(struct echo_srv *s, const struct echo_srv_cfg *cfg, char *err,
		  size_t errlen);

/* Allocates the fixed state and registers the sockets with l. The loop
 * needs max_conns + 2 * nlisten + a few fd slots (no loop timers). */
int echo_srv_start(struct echo_srv *s, struct loop *l, char *err,
		   size_t errlen);

/* Closes every connection and socket and frees the state. */
void echo_srv_close(struct echo_srv *s);

/* Counters as text (four lines) or as one JSON object. */
int echo_srv_write_counters(const struct echo_srv_counters *c, FILE *out);
int echo_srv_json_counters(struct json_writer *w,
			   const struct echo_srv_counters *c);

#endif
