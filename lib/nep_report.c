/*
 * nep_report - SENT/CAPT differences and verdicts for nep-client.
 */
#include "nep_report.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

static const char *const nep_field_names[NEP_F_COUNT] = {
	"source address", "destination address", "source port",
	"destination port", "ttl", "tos", "ip id", "df", "flow label",
	"ip length", "tcp seq", "tcp ack", "tcp flags", "tcp window",
	"tcp mss", "tcp options", "udp length", "icmp type/code", "payload",
};

static const char *const nep_field_keys[NEP_F_COUNT] = {
	"src_addr", "dst_addr", "src_port", "dst_port", "ttl", "tos", "ip_id",
	"df", "flow_label", "ip_len", "tcp_seq", "tcp_ack", "tcp_flags",
	"tcp_win", "tcp_mss", "tcp_options", "udp_len", "icmp", "payload",
};

const char *nep_field_name(enum nep_field f)
{
	return f < NEP_F_COUNT ? nep_field_names[f] : "?";
}

void nep_report_init(struct nep_report *r, bool tcp)
{
	memset(r, 0, sizeof(*r));
	r->tcp = tcp;
}

static void nep_note(struct nep_report *r, enum nep_field f, const char *a,
		     const char *b)
{
	struct nep_change *c = &r->f[f];

	if (strcmp(a, b) == 0)
		return;
	if (c->count++ == 0) {
		snprintf(c->sent, sizeof(c->sent), "%s", a);
		snprintf(c->capt, sizeof(c->capt), "%s", b);
	}
}

static void nep_note_u(struct nep_report *r, enum nep_field f, uint64_t a,
		       uint64_t b)
{
	char x[24], y[24];

	snprintf(x, sizeof(x), "%" PRIu64, a);
	snprintf(y, sizeof(y), "%" PRIu64, b);
	nep_note(r, f, x, y);
}

static void nep_note_addr(struct nep_report *r, enum nep_field f,
			  const struct pkt_addr *a, const struct pkt_addr *b)
{
	char x[48], y[48];

	nep_note(r, f, pkt_addr_ntop(a, x, sizeof(x)),
		 pkt_addr_ntop(b, y, sizeof(y)));
}

static const struct pkt_layer *nep_l(const struct pkt_parsed *p)
{
	return &p->outer;
}

static void nep_payload(const struct pkt_layer *l, const uint8_t **d,
			size_t *n)
{
	*d = NULL;
	*n = 0;
	if (l->l4 == PKT_L4_TCP) {
		*d = l->tcp.data;
		*n = l->tcp.data_len;
	} else if (l->l4 == PKT_L4_UDP) {
		*d = l->udp.data;
		*n = l->udp.data_len;
	} else if (l->l4 == PKT_L4_ICMP) {
		*d = l->icmp.data;
		*n = l->icmp.data_len;
	}
}

static bool nep_zero(const uint8_t *d, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (d[i])
			return false;
	return true;
}

static void nep_compare_payload(struct nep_report *r,
				const struct pkt_layer *s,
				const struct pkt_layer *c)
{
	const uint8_t *sd, *cd;
	size_t sn, cn;

	nep_payload(s, &sd, &sn);
	nep_payload(c, &cd, &cn);
	if (sn == cn && (sn == 0 || memcmp(sd, cd, sn) == 0))
		return;
	/* The echo server blanks application data unless told not to: that
	 * is its doing, not the network's. */
	if (sn == cn && nep_zero(cd, cn)) {
		r->payload_zeroed = true;
		return;
	}
	if (sn != cn)
		nep_note_u(r, NEP_F_PAYLOAD, sn, cn);
	else
		nep_note(r, NEP_F_PAYLOAD, "as sent", "modified");
}

static void nep_compare_tcp(struct nep_report *r, const struct pkt_tcp *s,
			    const struct pkt_tcp *c)
{
	char x[24], y[24];

	nep_note_u(r, NEP_F_SRC_PORT, s->sport, c->sport);
	nep_note_u(r, NEP_F_DST_PORT, s->dport, c->dport);
	nep_note_u(r, NEP_F_TCP_SEQ, s->seq, c->seq);
	nep_note_u(r, NEP_F_TCP_ACK, s->ack, c->ack);
	snprintf(x, sizeof(x), "0x%02x", s->flags);
	snprintf(y, sizeof(y), "0x%02x", c->flags);
	nep_note(r, NEP_F_TCP_FLAGS, x, y);
	nep_note_u(r, NEP_F_TCP_WIN, s->win, c->win);
	snprintf(x, sizeof(x), "%s", s->has_mss ? "" : "none");
	snprintf(y, sizeof(y), "%s", c->has_mss ? "" : "none");
	if (s->has_mss)
		snprintf(x, sizeof(x), "%u", s->mss);
	if (c->has_mss)
		snprintf(y, sizeof(y), "%u", c->mss);
	nep_note(r, NEP_F_TCP_MSS, x, y);
	/* An MSS clamp changes the option bytes too: report the options
	 * only when something besides the MSS value changed. */
	if (s->opt_len != c->opt_len ||
	    (s->opt_len && memcmp(s->opts, c->opts, s->opt_len) != 0 &&
	     s->has_mss == c->has_mss && s->mss == c->mss)) {
		snprintf(x, sizeof(x), "%zu bytes", s->opt_len);
		snprintf(y, sizeof(y), "%zu bytes%s", c->opt_len,
			 s->opt_len == c->opt_len ? " (changed)" : "");
		nep_note(r, NEP_F_TCP_OPTIONS, x, y);
	}
}

void nep_report_compare(struct nep_report *r, const struct pkt_parsed *sent,
			const struct pkt_parsed *capt)
{
	const struct pkt_layer *s = nep_l(sent), *c = nep_l(capt);

	nep_note_addr(r, NEP_F_SRC_ADDR, &s->ip.src, &c->ip.src);
	nep_note_addr(r, NEP_F_DST_ADDR, &s->ip.dst, &c->ip.dst);
	nep_note_u(r, NEP_F_TTL, s->ip.ttl, c->ip.ttl);
	nep_note_u(r, NEP_F_TOS, s->ip.tos, c->ip.tos);
	if (s->ip.version == 4) {
		nep_note_u(r, NEP_F_IP_ID, s->ip.id, c->ip.id);
		nep_note(r, NEP_F_DF, s->ip.df ? "set" : "clear",
			 c->ip.df ? "set" : "clear");
	} else {
		nep_note_u(r, NEP_F_FLOW, s->ip.flow_label, c->ip.flow_label);
	}
	nep_note_u(r, NEP_F_IP_LEN, s->ip.total_len, c->ip.total_len);
	if (s->l4 == PKT_L4_TCP && c->l4 == PKT_L4_TCP)
		nep_compare_tcp(r, &s->tcp, &c->tcp);
	if (s->l4 == PKT_L4_UDP && c->l4 == PKT_L4_UDP) {
		nep_note_u(r, NEP_F_SRC_PORT, s->udp.sport, c->udp.sport);
		nep_note_u(r, NEP_F_DST_PORT, s->udp.dport, c->udp.dport);
		nep_note_u(r, NEP_F_UDP_LEN, s->udp.len, c->udp.len);
	}
	if (s->l4 == PKT_L4_ICMP && c->l4 == PKT_L4_ICMP) {
		char x[16], y[16];

		snprintf(x, sizeof(x), "%u/%u", s->icmp.type, s->icmp.code);
		snprintf(y, sizeof(y), "%u/%u", c->icmp.type, c->icmp.code);
		nep_note(r, NEP_F_ICMP, x, y);
	}
	nep_compare_payload(r, s, c);
}

unsigned nep_report_verdicts(const struct nep_report *r)
{
	unsigned v = 0;
	int i;

	if (r->f[NEP_F_SRC_ADDR].count || r->f[NEP_F_SRC_PORT].count ||
	    r->side_nat)
		v |= NEP_V_NAT;
	if (r->f[NEP_F_DST_ADDR].count ||
	    (r->f[NEP_F_DST_PORT].count && !r->f[NEP_F_SRC_PORT].count))
		v |= NEP_V_DNAT;
	if (r->sent && !r->echoed)
		v |= r->tcp && r->received ? NEP_V_PROXY : NEP_V_NOT_REACHED;
	if (r->echoed && !r->received)
		v |= NEP_V_REPLY_BROKEN;
	for (i = NEP_F_TOS; i < NEP_F_COUNT; i++)
		if (r->f[i].count)
			v |= NEP_V_REWRITTEN;
	if (!v && r->echoed)
		v |= NEP_V_INTACT;
	return v;
}

/* What a TTL difference means in routed hops. */
static void nep_ttl_note(const struct nep_change *c, char *buf, size_t len)
{
	long a = strtol(c->sent, NULL, 10), b = strtol(c->capt, NULL, 10);

	buf[0] = 0;
	if (a > b)
		snprintf(buf, len, "  (%ld routed hop%s)", a - b,
			 a - b == 1 ? "" : "s");
}

int nep_report_render(FILE *f, const struct nep_report *r)
{
	unsigned v = nep_report_verdicts(r);
	int i, any = 0;

	fprintf(f, "Changes in transit (SENT -> CAPT, %" PRIu64 " of %" PRIu64
		   " probes echoed):\n", r->echoed, r->sent);
	for (i = 0; i < NEP_F_COUNT; i++) {
		const struct nep_change *c = &r->f[i];
		char note[64] = "";

		if (!c->count)
			continue;
		if (i == NEP_F_TTL)
			nep_ttl_note(c, note, sizeof(note));
		fprintf(f, "  %-20s %s -> %s%s\n", nep_field_names[i], c->sent,
			c->capt, note);
		any = 1;
	}
	if (r->side_nat)
		fprintf(f, "  %-20s %s -> %s\n", "side channel source",
			r->side_local, r->side_seen);
	if (!any && !r->side_nat)
		fprintf(f, "  %s\n", r->echoed ? "none" : "nothing to compare");
	if (r->payload_zeroed)
		fprintf(f, "  (payload zeroed by the echo server, its "
			   "default: not a change in transit)\n");
	if (v & NEP_V_NAT)
		fprintf(f, "Verdict: NAT detected (the server sees another "
			   "source address or port)\n");
	if (v & NEP_V_DNAT)
		fprintf(f, "Verdict: destination rewritten on the way\n");
	if (v & NEP_V_NOT_REACHED)
		fprintf(f, "Verdict: probes never reached the server (no "
			   "CAPT)\n");
	if (v & NEP_V_PROXY)
		fprintf(f, "Verdict: transparent proxy suspected (TCP "
			   "answered, but the server never saw the probe)\n");
	if (v & NEP_V_REPLY_BROKEN)
		fprintf(f, "Verdict: reply path broken (probes captured, no "
			   "reply received)\n");
	if (v & NEP_V_REWRITTEN)
		fprintf(f, "Verdict: header fields rewritten in transit\n");
	if (v & NEP_V_INTACT)
		fprintf(f, "Verdict: probes arrive unchanged (but for the "
			   "TTL)\n");
	return ferror(f) ? -1 : 0;
}

int nep_report_json(struct json_writer *w, const struct nep_report *r)
{
	static const struct {
		unsigned bit;
		const char *name;
	} vs[] = {
		{ NEP_V_NAT, "nat" }, { NEP_V_DNAT, "dnat" },
		{ NEP_V_NOT_REACHED, "not_reached" },
		{ NEP_V_PROXY, "transparent_proxy" },
		{ NEP_V_REPLY_BROKEN, "reply_path_broken" },
		{ NEP_V_REWRITTEN, "rewritten" }, { NEP_V_INTACT, "intact" },
	};
	unsigned v = nep_report_verdicts(r);
	size_t i;

	json_key(w, "changes");
	json_begin_array(w);
	for (i = 0; i < NEP_F_COUNT; i++) {
		if (!r->f[i].count)
			continue;
		json_begin_object(w);
		json_kv_string(w, "field", nep_field_keys[i]);
		json_kv_string(w, "sent", r->f[i].sent);
		json_kv_string(w, "captured", r->f[i].capt);
		json_kv_uint(w, "probes", r->f[i].count);
		json_end_object(w);
	}
	json_end_array(w);
	json_kv_bool(w, "payload_zeroed_by_server", r->payload_zeroed);
	if (r->side_nat) {
		json_kv_string(w, "side_channel_local", r->side_local);
		json_kv_string(w, "side_channel_seen", r->side_seen);
	}
	json_key(w, "verdicts");
	json_begin_array(w);
	for (i = 0; i < sizeof(vs) / sizeof(vs[0]); i++)
		if (v & vs[i].bit)
			json_string(w, vs[i].name);
	json_end_array(w);
	return json_status(w);
}
