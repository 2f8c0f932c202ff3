/*
 * trace_render - what a finished (or growing) trace result means and how
 * it reads: middlebox diffs, NAT, annotations, and the text, mtr-report
 * and JSON renderers. Functions of the result only: no sockets here.
 */
#include "trace.h"

#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "output.h"

static const char *const trace_field_names[TRACE_F_COUNT] = {
	[TRACE_F_SRC] = "src",
	[TRACE_F_SPORT] = "sport",
	[TRACE_F_DPORT] = "dport",
	[TRACE_F_DSCP] = "dscp",
	[TRACE_F_ECN] = "ecn",
	[TRACE_F_IPID] = "ip.id",
	[TRACE_F_DF] = "df",
	[TRACE_F_LEN] = "ip.len",
	[TRACE_F_FLOWLABEL] = "flowlabel",
	[TRACE_F_UDP_LEN] = "udp.len",
	[TRACE_F_UDP_CSUM] = "udp.csum",
	[TRACE_F_ICMP_CSUM] = "icmp.csum",
	[TRACE_F_TCP_SEQ] = "tcp.seq",
	[TRACE_F_TCP_WIN] = "tcp.win",
	[TRACE_F_TCP_CSUM] = "tcp.csum",
	[TRACE_F_TCP_MSS] = "tcp.mss",
	[TRACE_F_TCP_OPTS] = "tcp.opts",
};

const char *trace_field_name(enum trace_field f)
{
	return f < TRACE_F_COUNT ? trace_field_names[f] : "?";
}

/* ------------------------------------------------------------ diffs */

struct trace_diff_out {
	struct trace_change *out;
	size_t cap, n;
};

static void trace_add(struct trace_diff_out *d, enum trace_field f,
		      uint32_t from, uint32_t to)
{
	if (from == to || d->n >= d->cap)
		return;
	memset(&d->out[d->n], 0, sizeof(d->out[d->n]));
	d->out[d->n].field = f;
	d->out[d->n].from = from;
	d->out[d->n].to = to;
	d->n++;
}

/* TCP options with the MSS value masked, so an MSS clamp shows once. */
static uint32_t trace_opts_hash(const struct trace_quote *q)
{
	uint32_t h = 2166136261u;
	size_t i = 0;

	while (i < q->tcp_opt_len) {
		uint8_t kind = q->tcp_opts[i];
		size_t len = kind <= 1		      ? 1
			     : i + 1 < q->tcp_opt_len ? q->tcp_opts[i + 1]
						      : 1;
		size_t j;

		if (len < 2 && kind > 1)
			break;
		for (j = 0; j < len && i + j < q->tcp_opt_len; j++) {
			uint8_t b = q->tcp_opts[i + j];

			if (kind == 2 && j >= 2)
				b = 0;
			h = (h ^ b) * 16777619u;
		}
		i += len;
	}
	return h;
}

static void trace_diff_tcp(struct trace_diff_out *d,
			   const struct trace_quote *a,
			   const struct trace_quote *b)
{
	trace_add(d, TRACE_F_TCP_SEQ, a->tcp_seq, b->tcp_seq);
	if (!a->l4_full || !b->l4_full)
		return;
	trace_add(d, TRACE_F_TCP_WIN, a->tcp_win, b->tcp_win);
	trace_add(d, TRACE_F_TCP_CSUM, a->tcp_csum, b->tcp_csum);
	trace_add(d, TRACE_F_TCP_MSS, a->has_mss ? a->mss : 0,
		  b->has_mss ? b->mss : 0);
	trace_add(d, TRACE_F_TCP_OPTS, trace_opts_hash(a), trace_opts_hash(b));
}

size_t trace_quote_diff(const struct trace_quote *a,
			const struct trace_quote *b, struct trace_change *out,
			size_t cap)
{
	struct trace_diff_out d = {out, cap, 0};

	if (!a->valid || !b->valid)
		return 0;
	if (!pkt_addr_eq(&a->src, &b->src) && d.n < cap) {
		memset(&out[d.n], 0, sizeof(out[d.n]));
		out[d.n].field = TRACE_F_SRC;
		out[d.n].from_addr = a->src;
		out[d.n].to_addr = b->src;
		out[d.n].to = 1;
		d.n++;
	}
	if (b->l4 == PKT_L4_UDP || b->l4 == PKT_L4_TCP) {
		trace_add(&d, TRACE_F_SPORT, a->sport, b->sport);
		trace_add(&d, TRACE_F_DPORT, a->dport, b->dport);
	}
	trace_add(&d, TRACE_F_DSCP, a->tos >> 2, b->tos >> 2);
	trace_add(&d, TRACE_F_ECN, a->tos & 3, b->tos & 3);
	if (a->src.family == AF_INET) {
		trace_add(&d, TRACE_F_IPID, a->ip_id, b->ip_id);
		trace_add(&d, TRACE_F_DF, a->df, b->df);
	} else if (a->flow_label) {
		/* We send label 0 and the kernel picks one per flow: only a
		 * label we chose can be said to have changed. */
		trace_add(&d, TRACE_F_FLOWLABEL, a->flow_label, b->flow_label);
	}
	trace_add(&d, TRACE_F_LEN, a->ip_len, b->ip_len);
	if (b->l4 == PKT_L4_UDP) {
		trace_add(&d, TRACE_F_UDP_LEN, a->udp_len, b->udp_len);
		trace_add(&d, TRACE_F_UDP_CSUM, a->udp_csum, b->udp_csum);
	} else if (b->l4 == PKT_L4_ICMP) {
		trace_add(&d, TRACE_F_ICMP_CSUM, a->icmp_csum, b->icmp_csum);
	} else if (b->l4 == PKT_L4_TCP) {
		trace_diff_tcp(&d, a, b);
	}
	return d.n;
}

const struct trace_reply *trace_hop_quoted(const struct trace_hop *h)
{
	int q;

	for (q = 0; q < h->nprobes; q++)
		if (h->probes[q].kind != PROBE_REPLY_NONE &&
		    h->probes[q].quote.valid && h->probes[q].sent.valid)
			return &h->probes[q];
	if (h->answered && h->last.quote.valid && h->last.sent.valid)
		return &h->last;
	return NULL;
}

/* Two changes are the same when the field moved by the same amount (ids
 * and sequence numbers differ per probe, their offsets do not). */
static bool trace_same_change(const struct trace_change *x,
			      const struct trace_change *y)
{
	if (x->field != y->field)
		return false;
	if (x->field == TRACE_F_SRC)
		return pkt_addr_eq(&x->to_addr, &y->to_addr);
	return x->to - x->from == y->to - y->from;
}

#define TRACE_CHANGES_MAX 24

size_t trace_hop_diff(const struct trace_result *r, int ttl,
		      struct trace_change *out, size_t cap)
{
	struct trace_change cur[TRACE_CHANGES_MAX], prev[TRACE_CHANGES_MAX];
	const struct trace_reply *rp = trace_hop_quoted(&r->hops[ttl]);
	const struct trace_reply *pp = NULL;
	size_t nc, np = 0, i, j, n = 0;
	int t;

	if (!rp)
		return 0;
	nc = trace_quote_diff(&rp->sent, &rp->quote, cur, TRACE_CHANGES_MAX);
	for (t = ttl - 1; t >= r->plan.first_ttl && !pp; t--)
		pp = trace_hop_quoted(&r->hops[t]);
	if (pp)
		np = trace_quote_diff(&pp->sent, &pp->quote, prev,
				      TRACE_CHANGES_MAX);
	for (i = 0; i < nc && n < cap; i++) {
		bool seen = false;

		for (j = 0; j < np && !seen; j++)
			seen = trace_same_change(&cur[i], &prev[j]);
		if (!seen)
			out[n++] = cur[i];
	}
	return n;
}

bool trace_hop_nat(const struct trace_result *r, const struct trace_hop *h)
{
	struct trace_change ch[TRACE_CHANGES_MAX];
	const struct trace_reply *rp = trace_hop_quoted(h);
	bool csum = false, other = false;
	size_t n, i;

	(void)r;
	if (!rp)
		return false;
	n = trace_quote_diff(&rp->sent, &rp->quote, ch, TRACE_CHANGES_MAX);
	for (i = 0; i < n; i++) {
		switch (ch[i].field) {
		case TRACE_F_SRC:
			return true; /* not rewritten back at all */
		case TRACE_F_UDP_CSUM:
		case TRACE_F_TCP_CSUM:
		case TRACE_F_ICMP_CSUM:
			csum = true;
			break;
		case TRACE_F_DSCP:
		case TRACE_F_ECN:
		case TRACE_F_IPID:
		case TRACE_F_DF:
			break; /* not in the transport checksum */
		default:
			other = true;
			break;
		}
	}
	/* A checksum that changed with nothing it covers: the addresses or
	 * ports were rewritten and then rewritten back in the quotation. */
	return csum && !other;
}

/* ------------------------------------------------------------ annotations */

static const char *trace_unreach4(uint8_t code)
{
	switch (code) {
	case 0:
	case 6:
	case 9:
	case 11:
		return "!N";
	case 1:
	case 7:
	case 8:
	case 10:
	case 12:
		return "!H";
	case 2:
		return "!P";
	case 3:
		return "";
	case 5:
		return "!S";
	case 13:
		return "!X";
	case 14:
		return "!V";
	case 15:
		return "!C";
	default:
		return NULL;
	}
}

static const char *trace_unreach6(uint8_t code)
{
	switch (code) {
	case 0:
		return "!N";
	case 1:
	case 5:
	case 6:
		return "!X";
	case 2:
		return "!S";
	case 3:
		return "!H";
	case 4:
		return "";
	default:
		return NULL;
	}
}

const char *trace_annotation(const struct trace_reply *rp, char *buf,
			     size_t len)
{
	bool v6 = rp->from.family == AF_INET6;
	const char *a = "";

	switch (rp->kind) {
	case PROBE_REPLY_TOO_BIG:
		snprintf(buf, len, "!F-%u", (unsigned)rp->mtu);
		return buf;
	case PROBE_REPLY_UNREACH:
	case PROBE_REPLY_PORT_UNREACH:
		a = v6 ? trace_unreach6(rp->icmp_code)
		       : trace_unreach4(rp->icmp_code);
		if (!a) {
			snprintf(buf, len, "!<%u>", (unsigned)rp->icmp_code);
			return buf;
		}
		break;
	case PROBE_REPLY_PARAM:
	case PROBE_REPLY_OTHER_ERROR:
		snprintf(buf, len, "!<%u/%u>", (unsigned)rp->icmp_type,
			 (unsigned)rp->icmp_code);
		return buf;
	default:
		break;
	}
	snprintf(buf, len, "%s", a);
	return buf;
}

/* ------------------------------------------------------------ text */

static const char *trace_name(const struct trace_render *o,
			      const struct pkt_addr *a, char *buf, size_t len)
{
	struct sock_addr sa;

	if (o->rdns) {
		trace_sockaddr(a, &sa);
		if (rdns_get(o->rdns, &sa, 0, buf, len) == RDNS_FOUND)
			return buf;
	}
	return pkt_addr_ntop(a, buf, len);
}

int trace_print_header(FILE *f, const struct trace_plan *p, size_t len)
{
	char addr[64];

	sock_ntop(&p->dst, addr, sizeof(addr));
	return fprintf(f,
		       "traceroute to %s (%s), %d hops max, %zu byte packets\n",
		       p->dst_name ? p->dst_name : addr, addr, p->max_ttl,
		       len) < 0
		       ? -1
		       : 0;
}

static void trace_print_mpls(FILE *f, const struct trace_reply *rp)
{
	size_t i;

	for (i = 0; i < rp->n_mpls; i++)
		fprintf(f, " <MPLS:L=%u,E=%u,S=%u,T=%u>",
			(unsigned)rp->mpls[i].label, (unsigned)rp->mpls[i].tc,
			rp->mpls[i].bottom ? 1u : 0u,
			(unsigned)rp->mpls[i].ttl);
}

static void trace_print_change(FILE *f, const struct trace_change *c)
{
	char a[64], b[64];

	fprintf(f, " %s ", trace_field_name(c->field));
	switch (c->field) {
	case TRACE_F_SRC:
		fprintf(f, "%s->%s", pkt_addr_ntop(&c->from_addr, a, sizeof(a)),
			pkt_addr_ntop(&c->to_addr, b, sizeof(b)));
		break;
	case TRACE_F_UDP_CSUM:
	case TRACE_F_TCP_CSUM:
	case TRACE_F_ICMP_CSUM:
	case TRACE_F_TCP_OPTS:
	case TRACE_F_FLOWLABEL:
		fprintf(f, "0x%x->0x%x", (unsigned)c->from, (unsigned)c->to);
		break;
	default:
		fprintf(f, "%u->%u", (unsigned)c->from, (unsigned)c->to);
		break;
	}
}

static int trace_print_diff(FILE *f, const struct trace_result *r, int ttl)
{
	struct trace_change ch[TRACE_CHANGES_MAX];
	size_t n = trace_hop_diff(r, ttl, ch, TRACE_CHANGES_MAX), i;
	bool nat = trace_hop_nat(r, &r->hops[ttl]);
	int t;

	/* NAT is news only at the first hop that shows it. */
	for (t = ttl - 1; nat && t >= r->plan.first_ttl; t--)
		if (trace_hop_quoted(&r->hops[t]))
			nat = !trace_hop_nat(r, &r->hops[t]);
	if (!n && !nat)
		return 0;
	fprintf(f, "    changed:");
	for (i = 0; i < n; i++)
		trace_print_change(f, &ch[i]);
	if (nat)
		fprintf(f, " (NAT)");
	fprintf(f, "\n");
	return 0;
}

int trace_print_hop(FILE *f, const struct trace_render *o,
		    const struct trace_result *r, int ttl)
{
	const struct trace_hop *h = &r->hops[ttl];
	const struct pkt_addr *prev = NULL;
	char name[RDNS_NAME_MAX], addr[64], ann[32];
	int q;

	fprintf(f, "%2d ", ttl);
	for (q = 0; q < h->nprobes; q++) {
		const struct trace_reply *rp = &h->probes[q];

		if (rp->kind == PROBE_REPLY_NONE) {
			fprintf(f, " *");
			continue;
		}
		if (!prev || !pkt_addr_eq(prev, &rp->from)) {
			pkt_addr_ntop(&rp->from, addr, sizeof(addr));
			if (o->numeric)
				fprintf(f, " %s", addr);
			else
				fprintf(f, " %s (%s)",
					trace_name(o, &rp->from, name,
						   sizeof(name)),
					addr);
			trace_print_mpls(f, rp);
			prev = &rp->from;
		}
		fprintf(f, "  %.3f ms", (double)rp->rtt_ns / 1e6);
		trace_annotation(rp, ann, sizeof(ann));
		if (ann[0])
			fprintf(f, " %s", ann);
	}
	fprintf(f, "\n");
	if (o->diff)
		trace_print_diff(f, r, ttl);
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ report */

static double trace_ms(double ns)
{
	return ns / 1e6;
}

int trace_print_report(FILE *f, const struct trace_render *o,
		       const struct trace_result *r)
{
	char host[256] = "localhost", when[64], name[RDNS_NAME_MAX];
	time_t now = time(NULL);
	struct tm tm;
	int ttl;

	gethostname(host, sizeof(host) - 1);
	localtime_r(&now, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%S%z", &tm);
	fprintf(f, "Start: %s\n", when);
	fprintf(f, "HOST: %-32s  Loss%%   Snt   Last   Avg  Best  Wrst StDev\n",
		host);
	for (ttl = r->plan.first_ttl; ttl <= r->last_ttl; ttl++) {
		const struct trace_hop *h = &r->hops[ttl];
		struct stats_summary s;

		stats_summarize(&h->st, &s);
		if (h->answered)
			trace_name(o->numeric ? &(struct trace_render){0} : o,
				   &h->last.from, name, sizeof(name));
		else
			snprintf(name, sizeof(name), "???");
		fprintf(f,
			"%3d.|-- %-30s %5.1f%% %5llu %6.1f %5.1f %5.1f %5.1f "
			"%5.1f\n",
			ttl, name, s.loss_pct, (unsigned long long)s.sent,
			s.have_rtt ? trace_ms((double)s.rtt_last_ns) : 0.0,
			s.have_rtt ? trace_ms(s.rtt_avg_ns) : 0.0,
			s.have_rtt ? trace_ms((double)s.rtt_min_ns) : 0.0,
			s.have_rtt ? trace_ms((double)s.rtt_max_ns) : 0.0,
			s.have_rtt ? trace_ms(s.rtt_stddev_ns) : 0.0);
	}
	return ferror(f) ? -1 : 0;
}

/* ------------------------------------------------------------ JSON */

static const char *trace_method_name(enum trace_method m)
{
	return m == TRACE_ICMP ? "icmp" : m == TRACE_TCP ? "tcp" : "udp";
}

static void trace_json_addr(struct json_writer *w, const char *key,
			    const struct pkt_addr *a)
{
	char buf[64];

	json_kv_string(w, key, pkt_addr_ntop(a, buf, sizeof(buf)));
}

static void trace_json_change(struct json_writer *w,
			      const struct trace_change *c)
{
	json_begin_object(w);
	json_kv_string(w, "field", trace_field_name(c->field));
	if (c->field == TRACE_F_SRC) {
		trace_json_addr(w, "from", &c->from_addr);
		trace_json_addr(w, "to", &c->to_addr);
	} else {
		json_kv_uint(w, "from", c->from);
		json_kv_uint(w, "to", c->to);
	}
	json_end_object(w);
}

static void trace_json_changes(struct json_writer *w, const char *key,
			       const struct trace_change *c, size_t n)
{
	size_t i;

	json_key(w, key);
	json_begin_array(w);
	for (i = 0; i < n; i++)
		trace_json_change(w, &c[i]);
	json_end_array(w);
}

static void trace_json_probe(struct json_writer *w,
			     const struct trace_render *o,
			     const struct trace_reply *rp)
{
	char name[RDNS_NAME_MAX], ann[32];
	size_t i;

	json_begin_object(w);
	if (rp->kind == PROBE_REPLY_NONE) {
		json_kv_null(w, "addr");
		json_kv_null(w, "rtt_ms");
		json_kv_string(w, "reply", "none");
		json_kv_int(w, "tries", rp->tries);
		json_end_object(w);
		return;
	}
	trace_json_addr(w, "addr", &rp->from);
	if (!o->numeric && o->rdns &&
	    strcmp(trace_name(o, &rp->from, name, sizeof(name)),
		   pkt_addr_ntop(&rp->from, ann, sizeof(ann))) != 0)
		json_kv_string(w, "name", name);
	json_kv_double(w, "rtt_ms", (double)rp->rtt_ns / 1e6, 3);
	json_kv_string(w, "reply", probe_reply_name(rp->kind));
	json_kv_uint(w, "icmp_type", rp->icmp_type);
	json_kv_uint(w, "icmp_code", rp->icmp_code);
	trace_annotation(rp, ann, sizeof(ann));
	json_kv_string(w, "annotation", ann);
	if (rp->reply_ttl >= 0)
		json_kv_int(w, "reply_ttl", rp->reply_ttl);
	if (rp->quoted_ttl)
		json_kv_uint(w, "quoted_ttl", rp->quoted_ttl);
	json_kv_int(w, "tries", rp->tries);
	json_key(w, "mpls");
	json_begin_array(w);
	for (i = 0; i < rp->n_mpls; i++) {
		json_begin_object(w);
		json_kv_uint(w, "label", rp->mpls[i].label);
		json_kv_uint(w, "tc", rp->mpls[i].tc);
		json_kv_bool(w, "s", rp->mpls[i].bottom);
		json_kv_uint(w, "ttl", rp->mpls[i].ttl);
		json_end_object(w);
	}
	json_end_array(w);
	json_end_object(w);
}

static void trace_json_hop(struct json_writer *w, const struct trace_render *o,
			   const struct trace_result *r, int ttl)
{
	struct trace_change ch[TRACE_CHANGES_MAX];
	const struct trace_hop *h = &r->hops[ttl];
	const struct trace_reply *qr = trace_hop_quoted(h);
	struct stats_summary s;
	size_t n;
	int q;

	json_begin_object(w);
	json_kv_int(w, "ttl", ttl);
	json_key(w, "probes");
	json_begin_array(w);
	for (q = 0; q < h->nprobes; q++)
		trace_json_probe(w, o, &h->probes[q]);
	json_end_array(w);
	json_kv_bool(w, "nat", trace_hop_nat(r, h));
	n = qr ? trace_quote_diff(&qr->sent, &qr->quote, ch, TRACE_CHANGES_MAX)
	       : 0;
	trace_json_changes(w, "changed", ch, n);
	n = trace_hop_diff(r, ttl, ch, TRACE_CHANGES_MAX);
	trace_json_changes(w, "diff", ch, n);
	stats_summarize(&h->st, &s);
	json_key(w, "stats");
	stats_render_json(w, &s);
	json_end_object(w);
}

int trace_print_json(FILE *f, const struct trace_render *o,
		     const struct trace_result *r)
{
	struct json_writer w;
	int ttl;

	json_init(&w, f, JSON_NDJSON);
	json_begin_object(&w);
	json_kv_int(&w, "version", 1);
	json_kv_string(&w, "type", "trace");
	if (r->plan.dst_name)
		json_kv_string(&w, "target", r->plan.dst_name);
	trace_json_addr(&w, "dst", &r->remote);
	trace_json_addr(&w, "src", &r->local);
	json_kv_string(&w, "method", trace_method_name(r->plan.method));
	json_kv_uint(&w, "port", r->plan.port);
	json_kv_bool(&w, "flow_stable", !r->plan.vary_flow);
	json_kv_int(&w, "first_ttl", r->plan.first_ttl);
	json_kv_int(&w, "max_ttl", r->plan.max_ttl);
	json_kv_int(&w, "queries", r->plan.queries);
	json_kv_int(&w, "rounds", r->rounds);
	json_kv_uint(&w, "packet_len", r->probe_len);
	json_kv_bool(&w, "reached", r->reached);
	json_kv_double(&w, "elapsed_ms",
		       (double)(r->end_ns - r->start_ns) / 1e6, 3);
	json_key(&w, "hops");
	json_begin_array(&w);
	for (ttl = r->plan.first_ttl; ttl <= r->last_ttl; ttl++)
		trace_json_hop(&w, o, r, ttl);
	json_end_array(&w);
	json_end_object(&w);
	return json_status(&w) < 0 ? -1 : 0;
}
