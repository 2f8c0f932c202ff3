/*
 * echo_check - does a host expose echo (7) or chargen (19), over TCP or
 * UDP, and how bad is it: the state of each port with its evidence, and
 * for an open UDP echo the measurements that make it a reflector (answers
 * from service source ports, to empty datagrams, truncation, the
 * reply/request byte ratio, replies per second). Results go into structs;
 * cmd/ renders them.
 */
#ifndef ECHOLOT_ECHO_CHECK_H
#define ECHOLOT_ECHO_CHECK_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sock.h"

enum echo_state {
	ECHO_ST_OPEN,
	ECHO_ST_CLOSED,
	ECHO_ST_FILTERED,
	ECHO_ST_OPEN_FILTERED, /* UDP: silence is all we got */
	ECHO_ST_ERROR,	       /* we could not test (local error) */
};

const char *echo_state_name(enum echo_state s); /* "open|filtered" ... */

enum echo_service { ECHO_SVC_ECHO, ECHO_SVC_CHARGEN };

struct echo_port_result {
	bool udp;
	enum echo_service svc;
	uint16_t port;
	enum echo_state state;
	char evidence[160]; /* "TCP reset", "ICMP port unreachable ..." */
	uint8_t sample[32]; /* the first bytes that came back */
	size_t sample_len;
	uint64_t bytes_sent, bytes_back;
	int64_t rtt_ns; /* -1 when nothing came back */
};

/* One reflector test: -1 not run, 0 no answer, 1 answered. */
struct echo_refl_test {
	int answered;
	size_t sent, back;
	char note[96]; /* why it was not run, or what came back */
};

#define ECHO_REFL_PORTS 3 /* source ports 19, 53, 123 */
#define ECHO_RATE_PROBES 200
#define ECHO_BIG_DATAGRAM 4096

struct echo_reflector {
	bool tested;
	uint16_t src_port[ECHO_REFL_PORTS];
	struct echo_refl_test from_port[ECHO_REFL_PORTS];
	struct echo_refl_test empty;
	struct echo_refl_test big;     /* ECHO_BIG_DATAGRAM bytes */
	bool truncates;		       /* big came back shorter */
	double byte_ratio;	       /* bytes back / bytes sent */
	uint64_t rate_sent, rate_back; /* the replies/s test */
	double rate_secs;
	double replies_per_s;
};

enum echo_risk {
	ECHO_RISK_NONE,
	ECHO_RISK_LOW,	  /* TCP echo */
	ECHO_RISK_MEDIUM, /* rate-limited UDP echo, TCP chargen */
	ECHO_RISK_HIGH,	  /* UDP chargen, UDP echo answering service ports */
};

const char *echo_risk_name(enum echo_risk r); /* "none" ... "high" */

/*
 * The bytes that came back as evidence text, in double quotes: printable
 * ASCII as is (quote and backslash escaped), \n, \r, else \xNN.
 * snprintf-style: returns the length needed (without the NUL); when len is
 * too small, buf gets "" and nothing else.
 */
size_t echo_sample_text(const uint8_t *b, size_t n, char *buf, size_t len);

struct echo_host_report {
	const char *host;
	char addr[64];
	struct echo_port_result port[4]; /* tcp/7, udp/7, tcp/19, udp/19 */
	struct echo_reflector refl;	 /* of udp echo, when open */
	double chargen_ratio;		 /* udp chargen bytes back/sent */
	enum echo_risk risk;
	char reason[512]; /* every finding, worst first */
	bool exposed;	  /* something is open */
};

struct echo_check_cfg {
	int family;
	uint16_t echo_port, chargen_port;
	double timeout;	    /* per probe */
	double rate_window; /* seconds the replies/s test spreads over */
};

/* Probes host and fills rep. 0, or -1 with err set when the host cannot
 * be resolved. */
int echo_check_host(const struct echo_check_cfg *cfg, const char *host,
		    struct echo_host_report *rep, char *err, size_t errlen);

/* The verdict from the measurements (also used by the tests). */
void echo_check_judge(struct echo_host_report *rep);

#endif
