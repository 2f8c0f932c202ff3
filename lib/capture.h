/*
 * capture - a libpcap wrapper for the NEP server: opens a device (or every
 * device) for incoming packets, in immediate and non-blocking mode so its
 * descriptor can sit in lib/loop, and hands out network-layer packets with
 * the link-layer header removed. The filter of the NEP server is built from
 * the PACKET_SPECs of its clients.
 */
#ifndef ECHOLOT_CAPTURE_H
#define ECHOLOT_CAPTURE_H

#include <stddef.h>
#include <stdint.h>

#include "nep.h"

/* libpcap's functions, loaded by capture_open (lib/dynlib). */
struct capture_lib;

struct capture {
	void *pcap;  /* pcap_t */
	struct capture_lib *lib;
	int fd;      /* selectable descriptor, non-blocking */
	int linktype;
	uint64_t seen;    /* packets delivered */
	uint64_t skipped; /* not IPv4/IPv6, or shorter than a header */
};

/* Called for each captured packet: pkt starts at the IP header. */
typedef void (*capture_fn)(void *arg, const uint8_t *pkt, size_t len);

/*
 * Opens iface (NULL or "any": every interface) for incoming packets of up
 * to snaplen network-layer bytes; loads libpcap first. Returns 0, or -1
 * with a one-line reason in err (e.g. libpcap missing, missing privilege,
 * no such device).
 */
int capture_open(struct capture *c, const char *iface, int snaplen,
		 char *err, size_t errlen);

/* Compiles and installs a BPF filter. 0, or -1 with err. */
int capture_set_filter(struct capture *c, const char *filter, char *err,
		       size_t errlen);

/*
 * Writes the BPF expression that lets through what one client's spec can
 * match: its IPv4 ID and protocol, or for IPv6 its next header. Returns the
 * length, or -1 when buf is too small or the spec has no anchor.
 */
int capture_spec_filter(const struct nep_spec *spec, char *buf, size_t len);

/* Reads what is pending (at most max packets, <= 0: one buffer) and calls
 * fn for each. Returns the packet count or -1 with err. */
int capture_dispatch(struct capture *c, int max, capture_fn fn, void *arg,
		     char *err, size_t errlen);

/* Link-layer header length of a packet for a DLT, or -1 when the packet
 * is not IPv4/IPv6 (pure, for tests). */
int capture_l2_len(int linktype, const uint8_t *frame, size_t len);

void capture_close(struct capture *c);

#endif
