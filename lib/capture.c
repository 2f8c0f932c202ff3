/*
 * capture - libpcap wrapper for the NEP server.
 */
#include "config.h"

#include "capture.h"

#include <errno.h>
#include <linux/filter.h>
#include <pcap/pcap.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <stdlib.h>
#include <sys/socket.h>

#include "dynlib.h"

/* Room for the capture ring: at 10,000 probes/s a short stall of the loop
 * must not lose packets. */
#define CAPTURE_BUFFER (4 * 1024 * 1024)
/* The largest link-layer header we strip (SLL2). */
#define CAPTURE_L2_MAX 24

/* Every libpcap function we call, each once: the list makes both the
 * members of struct capture_lib (typed from pcap.h) and the names that
 * dynlib resolves, so the two cannot disagree. */
/* clang-format off */
#define CAPTURE_PCAP_FUNCS(X)                                               \
	X(pcap_create) X(pcap_set_snaplen) X(pcap_set_promisc)              \
	X(pcap_set_immediate_mode) X(pcap_set_buffer_size) X(pcap_activate) \
	X(pcap_setdirection) X(pcap_setnonblock) X(pcap_get_selectable_fd) \
	X(pcap_datalink) X(pcap_geterr) X(pcap_open_dead) X(pcap_compile)   \
	X(pcap_freecode) X(pcap_dispatch) X(pcap_close)
/* clang-format on */

struct capture_lib {
	void *dl;
#define CAPTURE_MEMBER(fn) __typeof__(fn) *fn;
	CAPTURE_PCAP_FUNCS(CAPTURE_MEMBER)
#undef CAPTURE_MEMBER
};
_Static_assert(offsetof(struct capture_lib, dl) == 0,
	       "dynlib_table_open keeps the handle first");

static const struct dynlib_sym capture_syms[] = {
#define CAPTURE_SYM(fn) DYNLIB_SYM(struct capture_lib, fn),
	CAPTURE_PCAP_FUNCS(CAPTURE_SYM)
#undef CAPTURE_SYM
};

/* configure's soname first (read from a program linked with libpcap),
 * then the names Debian, other distributions and a dev package use. */
static const char *const capture_sonames[] = {ECHOLOT_PCAP_SONAME,
					      "libpcap.so.0.8", "libpcap.so.1",
					      "libpcap.so", NULL};

static void capture_errf(char *err, size_t errlen, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void capture_errf(char *err, size_t errlen, const char *fmt, ...)
{
	va_list ap;

	if (!err || !errlen)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static struct capture_lib *capture_lib_open(char *err, size_t errlen)
{
	return dynlib_table_open(capture_sonames, capture_syms,
				 sizeof(capture_syms) / sizeof(capture_syms[0]),
				 sizeof(struct capture_lib), err, errlen);
}

static int capture_ip_type(uint16_t et)
{
	return et == 0x0800 || et == 0x86dd;
}

int capture_l2_len(int linktype, const uint8_t *f, size_t len)
{
	size_t hl;
	uint16_t et;

	switch (linktype) {
	case DLT_EN10MB:
		if (len < 14)
			return -1;
		et = (uint16_t)((f[12] << 8) | f[13]);
		hl = 14;
		if (et == 0x8100 && len >= 18) { /* one VLAN tag */
			et = (uint16_t)((f[16] << 8) | f[17]);
			hl = 18;
		}
		return capture_ip_type(et) ? (int)hl : -1;
	case DLT_LINUX_SLL:
		if (len < 16)
			return -1;
		et = (uint16_t)((f[14] << 8) | f[15]);
		return capture_ip_type(et) ? 16 : -1;
	case DLT_LINUX_SLL2:
		if (len < 20)
			return -1;
		et = (uint16_t)((f[0] << 8) | f[1]);
		return capture_ip_type(et) ? 20 : -1;
	case DLT_NULL:
	case DLT_LOOP:
		return len >= 4 ? 4 : -1;
	case DLT_RAW:
	case DLT_IPV4:
	case DLT_IPV6:
		return 0;
	}
	return -1;
}

/* Sets up and activates p; 0 or -1 with err. */
static int capture_start(struct capture *c, pcap_t *p, const char *name,
			 int snaplen, char *err, size_t errlen)
{
	const struct capture_lib *l = c->lib;
	char perr[PCAP_ERRBUF_SIZE] = "";

	l->pcap_set_snaplen(p, snaplen + CAPTURE_L2_MAX);
	l->pcap_set_promisc(p, 0);
	l->pcap_set_immediate_mode(p, 1);
	l->pcap_set_buffer_size(p, CAPTURE_BUFFER);
	if (l->pcap_activate(p) < 0) {
		capture_errf(err, errlen, "cannot capture on %s: %s", name,
			     l->pcap_geterr(p));
		return -1;
	}
	/* Only what arrives: the probes; on loopback this also keeps each
	 * packet from being seen twice. */
	l->pcap_setdirection(p, PCAP_D_IN);
	if (l->pcap_setnonblock(p, 1, perr) < 0 ||
	    (c->fd = l->pcap_get_selectable_fd(p)) < 0) {
		capture_errf(err, errlen, "cannot capture on %s: %s", name,
			     perr[0] ? perr : "no selectable descriptor");
		return -1;
	}
	c->linktype = l->pcap_datalink(p);
	return 0;
}

int capture_open(struct capture *c, const char *iface, int snaplen,
		 char *err, size_t errlen)
{
	const char *name = iface ? iface : "any";
	char perr[PCAP_ERRBUF_SIZE] = "";
	pcap_t *p;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	c->lib = capture_lib_open(err, errlen);
	if (!c->lib)
		return -1;
	p = c->lib->pcap_create(name, perr);
	if (!p) {
		capture_errf(err, errlen, "cannot capture on %s: %s", name,
			     perr);
	} else if (capture_start(c, p, name, snaplen, err, errlen) < 0) {
		c->lib->pcap_close(p);
		p = NULL;
	}
	if (!p) {
		dynlib_table_close(c->lib);
		c->lib = NULL;
		c->fd = -1;
		return -1;
	}
	c->pcap = p;
	return 0;
}

/* libpcap's instructions are the kernel's classic BPF ones. */
_Static_assert(sizeof(struct bpf_insn) == sizeof(struct sock_filter),
	       "bpf_insn and sock_filter differ");

/*
 * The filter goes into the kernel with one SO_ATTACH_FILTER, which swaps
 * programs atomically. pcap_setfilter() would first attach a reject-all
 * program and drain the socket: every packet in that window is lost, and
 * the server changes its filter whenever a client joins or leaves.
 * A cooked socket (the "any" device) shows the kernel filter the packet
 * from its network header on, which is what code compiled for DLT_RAW
 * expects; other sockets see the link-layer header of their DLT.
 */
int capture_set_filter(struct capture *c, const char *filter, char *err,
		       size_t errlen)
{
	const struct capture_lib *l = c->lib;
	bool cooked =
		c->linktype == DLT_LINUX_SLL || c->linktype == DLT_LINUX_SLL2;
	struct bpf_program prog;
	struct sock_fprog fp;
	pcap_t *dead;
	int rc;

	if (!l) {
		capture_errf(err, errlen, "no capture is open");
		return -1;
	}
	dead = l->pcap_open_dead(cooked ? DLT_RAW : c->linktype, 65535);
	if (!dead) {
		capture_errf(err, errlen, "cannot compile a capture filter");
		return -1;
	}
	if (l->pcap_compile(dead, &prog, filter, 1, PCAP_NETMASK_UNKNOWN) < 0) {
		capture_errf(err, errlen, "bad capture filter: %s",
			     l->pcap_geterr(dead));
		l->pcap_close(dead);
		return -1;
	}
	fp.len = (unsigned short)prog.bf_len;
	fp.filter = (struct sock_filter *)prog.bf_insns;
	rc = setsockopt(c->fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
	if (rc < 0)
		capture_errf(err, errlen, "cannot set capture filter: %s",
			     strerror(errno));
	l->pcap_freecode(&prog);
	l->pcap_close(dead);
	return rc < 0 ? -1 : 0;
}

static const uint8_t *capture_item(const struct nep_spec *s, uint8_t code)
{
	const struct nep_spec_item *it = nep_spec_find(s, code);

	return it ? s->area + it->off : NULL;
}

int capture_spec_filter(const struct nep_spec *spec, char *buf, size_t len)
{
	const uint8_t *id = capture_item(spec, NEP_SPEC_IPV4_ID);
	const uint8_t *nh = capture_item(spec, NEP_SPEC_IPV6_NHDR);
	int n;

	/* The IPv4 ID is the anchor of nping's own matching (NAT keeps it);
	 * IPv6 has no such field, so take every packet of the protocol and
	 * let the score decide. */
	if (spec->ip_version == 4 && id)
		n = snprintf(buf, len, "(ip and ip[4:2] = %u)",
			     (unsigned)((id[0] << 8) | id[1]));
	else if (spec->ip_version == 6 && nh)
		n = snprintf(buf, len, "(ip6 and ip6[6] = %u)", nh[0]);
	else if (spec->ip_version == 6)
		n = snprintf(buf, len, "(ip6)");
	else
		return -1;
	return n < 0 || (size_t)n >= len ? -1 : n;
}

struct capture_cb {
	struct capture *c;
	capture_fn fn;
	void *arg;
};

static void capture_one(u_char *user, const struct pcap_pkthdr *h,
			const u_char *bytes)
{
	struct capture_cb *cb = (struct capture_cb *)user;
	int l2 = capture_l2_len(cb->c->linktype, bytes, h->caplen);

	if (l2 < 0 || h->caplen - (size_t)l2 < 20) {
		cb->c->skipped++;
		return;
	}
	cb->c->seen++;
	cb->fn(cb->arg, bytes + l2, h->caplen - (size_t)l2);
}

int capture_dispatch(struct capture *c, int max, capture_fn fn, void *arg,
		     char *err, size_t errlen)
{
	struct capture_cb cb = { c, fn, arg };
	int n;

	if (!c->pcap) {
		capture_errf(err, errlen, "no capture is open");
		return -1;
	}
	n = c->lib->pcap_dispatch(c->pcap, max > 0 ? max : -1, capture_one,
				  (u_char *)&cb);
	if (n < 0) {
		capture_errf(err, errlen, "capture failed: %s",
			     c->lib->pcap_geterr(c->pcap));
		return -1;
	}
	return n;
}

void capture_close(struct capture *c)
{
	if (c->pcap)
		c->lib->pcap_close(c->pcap);
	dynlib_table_close(c->lib);
	c->lib = NULL;
	c->pcap = NULL;
	c->fd = -1;
}
