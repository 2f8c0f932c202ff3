/*
 * probe - probe table and reply matching (see probe.h).
 *
 * The table is a fixed array of probes plus a hash index (linear probing,
 * deletion by backward shift, so no tombstones pile up in a long run).
 * Both are allocated once in probe_table_init.
 */
#include "probe.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>

struct probe_slot {
	struct probe p;
	bool used;
	uint32_t next_free; /* slot number + 1 of the next free slot */
};

/* Is this field part of the key for this table and protocol? */
static bool uses_id(const struct probe_table *t, enum pkt_probe_proto proto)
{
	return proto == PKT_PROBE_ICMP && !t->cfg.icmp_ignore_id;
}

static bool same_probe(const struct probe_table *t,
		       const struct probe_fields *a,
		       const struct probe_fields *b)
{
	if (a->proto != b->proto || !pkt_addr_eq(&a->dst, &b->dst))
		return false;
	switch (a->proto) {
	case PKT_PROBE_ICMP:
		return a->icmp_seq == b->icmp_seq &&
		       (!uses_id(t, a->proto) || a->icmp_id == b->icmp_id);
	case PKT_PROBE_UDP:
		if (a->sport != b->sport || a->dport != b->dport)
			return false;
		if (t->cfg.udp_key == PROBE_UDP_CSUM)
			return a->udp_csum == b->udp_csum;
		if (t->cfg.udp_key == PROBE_UDP_IPID)
			return a->ip_id == b->ip_id;
		return true;
	case PKT_PROBE_TCP:
		return a->sport == b->sport && a->dport == b->dport &&
		       a->tcp_seq == b->tcp_seq;
	}
	return false;
}

/* One round of a multiply-xorshift mixer: a word at a time, because
 * every reply is hashed on add, find and remove, and a byte-wise hash
 * over the 16-byte address showed up at 6 % of a ping flood's cycles. */
static uint64_t mix(uint64_t h, uint64_t v)
{
	h ^= v;
	h *= 0x9e3779b97f4a7c15ull;
	return h ^ (h >> 29);
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

/* Hashes exactly the fields same_probe compares. */
static uint64_t hash_fields(const struct probe_table *t,
			    const struct probe_fields *f)
{
	uint64_t h = (uint64_t)f->proto;

	/* Only the bytes pkt_addr_eq compares. */
	if (f->dst.family == AF_INET6) {
		h = mix(h, load64(f->dst.a));
		h = mix(h, load64(f->dst.a + 8));
	} else {
		uint32_t v4;

		memcpy(&v4, f->dst.a, sizeof(v4));
		h = mix(h, v4);
	}
	switch (f->proto) {
	case PKT_PROBE_ICMP:
		h = mix(h, ((uint64_t)(uses_id(t, f->proto) ? f->icmp_id : 0)
			    << 16) | f->icmp_seq);
		break;
	case PKT_PROBE_UDP:
		h = mix(h, ((uint64_t)f->sport << 16) | f->dport);
		if (t->cfg.udp_key == PROBE_UDP_CSUM)
			h = mix(h, f->udp_csum);
		else if (t->cfg.udp_key == PROBE_UDP_IPID)
			h = mix(h, f->ip_id);
		break;
	case PKT_PROBE_TCP:
		h = mix(h, ((uint64_t)f->sport << 48) |
				   ((uint64_t)f->dport << 32) | f->tcp_seq);
		break;
	}
	/* The index uses the low bits: fold the high ones in. */
	return h ^ (h >> 32);
}

int probe_table_init(struct probe_table *t, const struct probe_table_cfg *cfg)
{
	size_t n = 16, i;

	memset(t, 0, sizeof(*t));
	if (!cfg || cfg->capacity == 0 || cfg->capacity > (1u << 24)) {
		errno = EINVAL;
		return -1;
	}
	while (n < 2 * cfg->capacity)
		n *= 2;
	t->cfg = *cfg;
	t->nslots = n;
	t->slots = calloc(cfg->capacity, sizeof(*t->slots));
	t->index = calloc(n, sizeof(*t->index));
	if (!t->slots || !t->index) {
		probe_table_free(t);
		errno = ENOMEM;
		return -1;
	}
	for (i = 0; i < cfg->capacity; i++)
		t->slots[i].next_free =
			i + 1 < cfg->capacity ? (uint32_t)(i + 2) : 0;
	t->free_head = 1;
	return 0;
}

void probe_table_free(struct probe_table *t)
{
	free(t->slots);
	free(t->index);
	memset(t, 0, sizeof(*t));
}

size_t probe_count(const struct probe_table *t)
{
	return t->count;
}

/* The index position holding f, or where it would go (an empty one). */
static size_t lookup(const struct probe_table *t, const struct probe_fields *f)
{
	size_t mask = t->nslots - 1;
	size_t i = (size_t)hash_fields(t, f) & mask;

	while (t->index[i] && !same_probe(t, &t->slots[t->index[i] - 1].p.f, f))
		i = (i + 1) & mask;
	return i;
}

struct probe *probe_add(struct probe_table *t, const struct probe *p)
{
	size_t i;
	uint32_t s;

	if (!t->index || !p) {
		errno = EINVAL;
		return NULL;
	}
	i = lookup(t, &p->f);
	if (t->index[i]) {
		errno = EEXIST;
		return NULL;
	}
	if (!t->free_head) {
		errno = ENOSPC;
		return NULL;
	}
	s = t->free_head - 1;
	t->free_head = t->slots[s].next_free;
	t->slots[s].p = *p;
	t->slots[s].used = true;
	t->index[i] = s + 1;
	t->count++;
	return &t->slots[s].p;
}

struct probe *probe_find(struct probe_table *t, const struct probe_fields *f)
{
	size_t i;

	if (!t->index || t->count == 0)
		return NULL;
	i = lookup(t, f);
	return t->index[i] ? &t->slots[t->index[i] - 1].p : NULL;
}

/* Knuth's deletion for linear probing: move later entries of the cluster
 * back so every entry stays reachable from its home position. */
static void index_delete(struct probe_table *t, size_t hole)
{
	size_t mask = t->nslots - 1, j = hole;

	for (;;) {
		size_t home;

		j = (j + 1) & mask;
		if (!t->index[j])
			break;
		home = (size_t)hash_fields(t, &t->slots[t->index[j] - 1].p.f) &
		       mask;
		/* Move j into the hole unless its home lies cyclically in
		 * (hole, j]. */
		if ((hole < j) ? (home <= hole || home > j)
			       : (home <= hole && home > j)) {
			t->index[hole] = t->index[j];
			hole = j;
		}
	}
	t->index[hole] = 0;
}

void probe_remove(struct probe_table *t, struct probe *p)
{
	struct probe_slot *slot = (struct probe_slot *)(void *)p;
	size_t s, i;

	if (!p || !t->slots || slot < t->slots ||
	    slot >= t->slots + t->cfg.capacity || !slot->used)
		return;
	s = (size_t)(slot - t->slots);
	i = lookup(t, &p->f);
	if (t->index[i] != s + 1)
		return;
	index_delete(t, i);
	slot->used = false;
	slot->next_free = t->free_head;
	t->free_head = (uint32_t)(s + 1);
	t->count--;
}

size_t probe_expire(struct probe_table *t, int64_t deadline_mono_ns,
		    probe_expire_fn fn, void *arg)
{
	size_t s, n = 0;

	/* Walk the array, not the index: removal moves index entries but
	 * never probes. */
	for (s = 0; t->slots && s < t->cfg.capacity; s++) {
		struct probe_slot *slot = &t->slots[s];

		if (!slot->used || slot->p.tx_mono_ns >= deadline_mono_ns)
			continue;
		if (fn)
			fn(&slot->p, arg);
		probe_remove(t, &slot->p);
		n++;
	}
	return n;
}

/* ------------------------------------------------------------ matching */

static enum probe_reply error_kind(bool v6, uint8_t type, uint8_t code)
{
	if (v6) {
		switch (type) {
		case 1:
			return code == 4 ? PROBE_REPLY_PORT_UNREACH
					 : PROBE_REPLY_UNREACH;
		case 2:
			return PROBE_REPLY_TOO_BIG;
		case 3:
			return code == 0 ? PROBE_REPLY_TTL_EXCEEDED
					 : PROBE_REPLY_OTHER_ERROR;
		case 4:
			return PROBE_REPLY_PARAM;
		}
		return PROBE_REPLY_OTHER_ERROR;
	}
	switch (type) {
	case 3:
		return code == 3   ? PROBE_REPLY_PORT_UNREACH
		       : code == 4 ? PROBE_REPLY_TOO_BIG
				   : PROBE_REPLY_UNREACH;
	case 11:
		return code == 0 ? PROBE_REPLY_TTL_EXCEEDED
				 : PROBE_REPLY_OTHER_ERROR;
	case 12:
		return PROBE_REPLY_PARAM;
	}
	return PROBE_REPLY_OTHER_ERROR;
}

/*
 * The identifying fields of the probe an ICMP error quotes. RFC 792
 * quotations hold 8 bytes of the upper layer, which is enough for every
 * key here (echo id/seq, UDP ports and checksum, TCP ports and seq).
 */
static bool quoted_fields(const struct probe_table *t,
			  const struct pkt_layer *in, struct probe_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->dst = in->ip.dst;
	f->ip_id = in->ip.id;
	/* Fewer than 8 bytes quoted: no key field can be trusted. */
	if (in->l4_len < 8)
		return false;
	switch (in->l4) {
	case PKT_L4_ICMP:
		if (in->icmp.type != (in->icmp.v6 ? 128 : 8))
			return false;
		f->proto = PKT_PROBE_ICMP;
		f->icmp_id = in->icmp.id;
		f->icmp_seq = in->icmp.seq;
		return true;
	case PKT_L4_UDP:
		f->proto = PKT_PROBE_UDP;
		f->sport = in->udp.sport;
		f->dport = in->udp.dport;
		f->udp_csum = in->udp.checksum;
		return true;
	case PKT_L4_TCP:
		f->proto = PKT_PROBE_TCP;
		f->sport = in->tcp.sport;
		f->dport = in->tcp.dport;
		f->tcp_seq = in->tcp.seq;
		return true;
	default:
		(void)t;
		return false;
	}
}

/* Direct answers: echo reply, SYN-ACK, RST. */
static enum probe_reply direct_fields(const struct pkt_layer *o,
				      const struct pkt_addr *src,
				      struct probe_fields *f)
{
	memset(f, 0, sizeof(*f));
	f->dst = *src;
	if (o->l4 == PKT_L4_ICMP && !o->l4_partial &&
	    o->icmp.type == (o->icmp.v6 ? 129 : 0)) {
		f->proto = PKT_PROBE_ICMP;
		f->icmp_id = o->icmp.id;
		f->icmp_seq = o->icmp.seq;
		return PROBE_REPLY_ECHO;
	}
	/* A SYN-ACK or RST acknowledges our SYN: ack = our seq + 1. A RST
	 * without ACK carries nothing to tell which probe it answers. */
	if (o->l4 == PKT_L4_TCP && (o->tcp.flags & PKT_TCP_ACK) &&
	    (o->tcp.flags & (PKT_TCP_SYN | PKT_TCP_RST))) {
		f->proto = PKT_PROBE_TCP;
		f->sport = o->tcp.dport;
		f->dport = o->tcp.sport;
		f->tcp_seq = o->tcp.ack - 1;
		return (o->tcp.flags & PKT_TCP_RST) ? PROBE_REPLY_TCP_RST
						    : PROBE_REPLY_TCP_SYNACK;
	}
	return PROBE_REPLY_NONE;
}

bool probe_match(struct probe_table *t, const struct pkt_parsed *p,
		 const struct pkt_addr *from, struct probe_match *m)
{
	const struct pkt_layer *o = &p->outer;
	struct probe_fields f;
	struct pkt_addr src;
	enum probe_reply kind;
	struct probe *pr;

	memset(m, 0, sizeof(*m));
	if (from)
		src = *from;
	else if (o->ip.version)
		src = o->ip.src;
	else
		return false;
	if (o->l4 == PKT_L4_ICMP &&
	    pkt_icmp_is_error(o->icmp.v6, o->icmp.type)) {
		if (!p->has_inner || !quoted_fields(t, &p->inner, &f))
			return false;
		kind = error_kind(o->icmp.v6, o->icmp.type, o->icmp.code);
		m->quoted_ttl = p->inner.ip.ttl;
	} else {
		kind = direct_fields(o, &src, &f);
		if (kind == PROBE_REPLY_NONE)
			return false;
	}
	pr = probe_find(t, &f);
	if (!pr)
		return false;
	m->kind = kind;
	m->probe = pr;
	m->from = src;
	if (o->l4 == PKT_L4_ICMP) {
		m->icmp_type = o->icmp.type;
		m->icmp_code = o->icmp.code;
	}
	return true;
}

const char *probe_reply_name(enum probe_reply kind)
{
	switch (kind) {
	case PROBE_REPLY_NONE:
		return "none";
	case PROBE_REPLY_ECHO:
		return "echo reply";
	case PROBE_REPLY_TCP_SYNACK:
		return "syn-ack";
	case PROBE_REPLY_TCP_RST:
		return "rst";
	case PROBE_REPLY_PORT_UNREACH:
		return "port unreachable";
	case PROBE_REPLY_TTL_EXCEEDED:
		return "time exceeded";
	case PROBE_REPLY_UNREACH:
		return "unreachable";
	case PROBE_REPLY_TOO_BIG:
		return "packet too big";
	case PROBE_REPLY_PARAM:
		return "parameter problem";
	case PROBE_REPLY_OTHER_ERROR:
		return "icmp error";
	}
	return "unknown";
}
