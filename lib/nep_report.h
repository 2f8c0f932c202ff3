/*
 * nep_report - what nping's echo client leaves to the reader: the fields
 * that differ between the probes we sent (SENT) and the copies the echo
 * server captured (CAPT), and the verdicts they add up to (NAT, probes
 * that never arrive, a broken reply path, a transparent proxy). Measured
 * into a struct during the run, rendered as text or JSON afterwards.
 */
#ifndef ECHOLOT_NEP_REPORT_H
#define ECHOLOT_NEP_REPORT_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "output.h"
#include "packet.h"

enum nep_field {
	NEP_F_SRC_ADDR,
	NEP_F_DST_ADDR,
	NEP_F_SRC_PORT,
	NEP_F_DST_PORT,
	NEP_F_TTL,
	NEP_F_TOS,
	NEP_F_IP_ID,
	NEP_F_DF,
	NEP_F_FLOW,
	NEP_F_IP_LEN,
	NEP_F_TCP_SEQ,
	NEP_F_TCP_ACK,
	NEP_F_TCP_FLAGS,
	NEP_F_TCP_WIN,
	NEP_F_TCP_MSS,
	NEP_F_TCP_OPTIONS,
	NEP_F_UDP_LEN,
	NEP_F_ICMP,
	NEP_F_PAYLOAD,
	NEP_F_COUNT
};

/* One field: how often it differed and the first sent/captured pair. */
struct nep_change {
	uint64_t count;
	char sent[48], capt[48];
};

/* nep_report_verdicts bits */
#define NEP_V_NAT 0x01           /* source address/port rewritten */
#define NEP_V_DNAT 0x02          /* destination rewritten */
#define NEP_V_NOT_REACHED 0x04   /* probes sent, none captured */
#define NEP_V_REPLY_BROKEN 0x08  /* captured, but no reply came back */
#define NEP_V_PROXY 0x10         /* TCP answered, never captured */
#define NEP_V_REWRITTEN 0x20     /* other header fields changed */
#define NEP_V_INTACT 0x40        /* arrived unchanged but for the TTL */

struct nep_report {
	uint64_t sent, echoed, received;
	bool tcp;
	bool payload_zeroed;   /* payload arrived as zeros: the server's
				  default (not a change in transit) */
	bool side_nat;         /* the server saw the side channel from
				  another address than ours */
	char side_local[48], side_seen[48];
	struct nep_change f[NEP_F_COUNT];
};

void nep_report_init(struct nep_report *r, bool tcp);

/* Compares one probe with its captured copy. */
void nep_report_compare(struct nep_report *r, const struct pkt_parsed *sent,
			const struct pkt_parsed *capt);

unsigned nep_report_verdicts(const struct nep_report *r);
const char *nep_field_name(enum nep_field f);

/* "Changes in transit" lines and one "Verdict:" line per verdict. */
int nep_report_render(FILE *f, const struct nep_report *r);

/* "changes": [...], "verdicts": [...] as members of an open object. */
int nep_report_json(struct json_writer *w, const struct nep_report *r);

#endif
