/*
 * echo_cli - the RFC 862 echo client: sends payloads over TCP or UDP,
 * checks that every reply carries exactly the bytes sent, and feeds
 * lib/stats. Payload bytes are a pure function of (sequence, offset), so
 * nothing sent needs to be kept for the comparison, even at 1 MiB.
 */
#ifndef ECHOLOT_ECHO_CLI_H
#define ECHOLOT_ECHO_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "loop.h"
#include "sock.h"
#include "stats.h"

/* --- payloads --- */

#define ECHO_PATTERN_MAX 16

struct echo_payload {
	bool random; /* else the repeated pattern */
	uint8_t pattern[ECHO_PATTERN_MAX];
	size_t plen;
	uint64_t seed; /* random: differs per run */
};

/* "ff00a5": 1 to 16 bytes in hex, as ping -p takes them. 0 or -1. */
int echo_payload_pattern(struct echo_payload *p, const char *hex, char *err,
			 size_t errlen);

/* Bytes [off, off+n) of request seq. */
void echo_payload_fill(const struct echo_payload *p, uint64_t seq, size_t off,
		       uint8_t *buf, size_t n);

/* The index of the first byte of got[0..n) that is not byte off+i of
 * request seq, or n when all match. *want gets the expected byte. */
size_t echo_payload_diff(const struct echo_payload *p, uint64_t seq, size_t off,
			 const uint8_t *got, size_t n, uint8_t *want);

/* --- the client --- */

#define ECHO_CLI_MAX_OUTSTANDING 1024

struct echo_cli_cfg {
	struct sock_addr dst;
	bool udp;
	uint64_t count; /* 0: until stopped */
	size_t size;
	struct echo_payload payload;
	double interval; /* seconds between requests */
	double timeout;	 /* seconds a reply may take */
};

enum echo_cli_ev_kind {
	ECHO_EV_CONNECTED, /* TCP: rtt_ns is the connect time */
	ECHO_EV_REPLY,	   /* intact reply */
	ECHO_EV_MISMATCH,  /* reply differs: offset, got, want */
	ECHO_EV_DUP,	   /* UDP: a second copy of an answered request */
	ECHO_EV_TIMEOUT,   /* no (complete) reply within the timeout */
	ECHO_EV_ICMP,	   /* UDP: ICMP error (port unreachable ...) */
	ECHO_EV_CLOSED,	   /* TCP: the server closed before all came back */
};

struct echo_cli_ev {
	enum echo_cli_ev_kind kind;
	uint64_t seq;
	size_t len;	  /* bytes of the reply */
	int64_t rtt_ns;	  /* -1 when unknown */
	size_t offset;	  /* MISMATCH: first differing byte */
	bool short_reply; /* MISMATCH: shorter/longer, not different bytes */
	uint8_t got, want;
	int err; /* ICMP/CLOSED: errno */
};

typedef void (*echo_cli_fn)(void *arg, const struct echo_cli_ev *ev);

struct echo_cli_result {
	struct stats st;
	uint64_t sent, intact; /* requests, and intact replies */
	uint64_t mismatches, timeouts;
	bool have_mismatch; /* the first mismatch: */
	uint64_t mm_seq;
	size_t mm_offset;
	bool connected;
	int64_t connect_ns;
	int error; /* errno of a failure that ended the run */
	char errmsg[160];
};

/* Everything inside is the engine's; callers use the functions. */
struct echo_cli_req {
	uint64_t seq;
	int64_t sent_mono, sent_real, deadline;
	bool answered, bad;
	size_t rx_off; /* TCP: bytes of it back so far */
};

struct echo_cli {
	struct echo_cli_cfg cfg;
	struct loop *loop;
	echo_cli_fn fn;
	void *arg;
	int fd;
	uint64_t next_seq;
	int64_t start_ns;
	struct echo_cli_req *q; /* ring of outstanding requests */
	size_t qhead, qlen;
	size_t tx_off; /* TCP: bytes of q[tx_idx] written */
	size_t tx_idx; /* TCP: index in the ring being written */
	bool connecting, half_closed, done;
	int64_t eof_wait; /* TCP: until when the server's EOF may take */
	uint64_t timer;
	uint8_t *buf; /* 64 KiB scratch */
	struct echo_cli_result res;
};

/* Opens the socket, starts connecting (TCP) and schedules the first send.
 * The engine calls loop_stop(l, 0) when it is done. 0 or -1 with
 * res.errmsg. */
int echo_cli_start(struct echo_cli *c, struct loop *l,
		   const struct echo_cli_cfg *cfg, echo_cli_fn fn, void *arg);

/* Ends the run (also early, after SIGINT): what is still outstanding is
 * lost; closes the socket and fills the result. */
void echo_cli_finish(struct echo_cli *c);

/* The verdict: 0 when every request came back intact, else 1. */
int echo_cli_status(const struct echo_cli_result *r);

#endif
