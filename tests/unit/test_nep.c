/*
 * test_nep - lib/nep and lib/nep_crypto against sessions recorded between
 * real nping processes (tests/data/nep: pcaps + JSON dissections), and the
 * session state machines driven with scripted byte streams.
 */
#include "config.h"

#include <pcap/pcap.h>
#include <stdint.h>

#include "capture.h"
#include "dynlib.h"
#include "nep.h"
#include "nep_report.h"
#include "nep_crypto.h"
#include "tjson.h"
#include "unit.h"

#ifndef NEP_VECTOR_DIR
#define NEP_VECTOR_DIR "tests/data/nep"
#endif

static const char *const vec_names[] = {
	"a_udp_public",
	"b_tcp_nat_opensesame",
	"b_tcp_nat_opensesame_clientside",
	"c_icmp_nocrypto",
	"d_wrong_passphrase",
	"e2_ipv6_tcp_bpf",
	"e_ipv6_udp_default",
	"f_deb793_client_vs_master",
	"g_master_client_vs_deb793",
	"h_udp_payload_zeroed",
	"i_udp_payload_included",
};
#define NVEC (sizeof(vec_names) / sizeof(vec_names[0]))

/* libcrypto, loaded at the first use and kept for the whole run (the
 * test's only static state; nep_crypto_open itself is tested below). */
static const struct nep_crypto *test_crypto(void)
{
	static struct nep_crypto *k;
	char err[256];

	if (!k) {
		k = nep_crypto_open(err, sizeof(err));
		if (!k) {
			fprintf(stderr, "test_nep: %s\n", err);
			abort();
		}
	}
	return k;
}

#define MAX_FRAMES 128
#define STREAM_CAP 32768

/* A recorded session: both TCP byte streams of the side channel and every
 * frame's network-layer packet (frame numbers start at 1). */
struct vec {
	struct tjson *js;
	uint8_t c2s[STREAM_CAP], s2c[STREAM_CAP];
	size_t c2s_len, s2c_len;
	uint32_t isn_c2s, isn_s2c;
	int have_isn_c2s, have_isn_s2c;
	uint8_t *frame[MAX_FRAMES + 1];
	size_t frame_len[MAX_FRAMES + 1];
	int nframes;
	struct nep_keys keys;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)((p[0] << 8) | p[1]);
}

static uint32_t be32(const uint8_t *p)
{
	return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) |
	       ((uint32_t)p[2] << 8) | p[3];
}

/* Puts one TCP segment of the side channel into its stream. */
static void vec_segment(struct vec *v, const uint8_t *tcp, size_t len)
{
	size_t hl = (size_t)(tcp[12] >> 4) * 4;
	int c2s = be16(tcp + 2) == NEP_PORT;
	uint32_t seq = be32(tcp + 4);
	uint32_t *isn = c2s ? &v->isn_c2s : &v->isn_s2c;
	int *have = c2s ? &v->have_isn_c2s : &v->have_isn_s2c;
	uint8_t *st = c2s ? v->c2s : v->s2c;
	size_t *stlen = c2s ? &v->c2s_len : &v->s2c_len;
	size_t off;

	if (hl < 20 || hl > len)
		return;
	if (tcp[13] & 0x02) { /* SYN */
		*isn = seq + 1;
		*have = 1;
		return;
	}
	if (!*have || len == hl)
		return;
	off = (uint32_t)(seq - *isn);
	if (off + (len - hl) > STREAM_CAP)
		return;
	memcpy(st + off, tcp + hl, len - hl);
	if (off + len - hl > *stlen)
		*stlen = off + len - hl;
}

static void vec_frame(struct vec *v, const uint8_t *pkt, size_t caplen)
{
	const uint8_t *ip;
	size_t iplen, l4off;
	uint16_t et;
	uint8_t proto;

	if (caplen < 14 || v->nframes >= MAX_FRAMES)
		return;
	et = be16(pkt + 12);
	ip = pkt + 14;
	iplen = caplen - 14;
	v->nframes++;
	v->frame[v->nframes] = malloc(iplen ? iplen : 1);
	memcpy(v->frame[v->nframes], ip, iplen);
	v->frame_len[v->nframes] = iplen;
	if (et == 0x0800 && iplen >= 20) {
		size_t tot = be16(ip + 2);

		if (tot < iplen) /* Ethernet padding */
			v->frame_len[v->nframes] = iplen = tot;
		l4off = (size_t)(ip[0] & 15) * 4;
		proto = ip[9];
	} else if (et == 0x86dd && iplen >= 40) {
		l4off = 40;
		proto = ip[6];
	} else {
		return;
	}
	if (proto == 6 && iplen >= l4off + 20 &&
	    (be16(ip + l4off) == NEP_PORT || be16(ip + l4off + 2) == NEP_PORT))
		vec_segment(v, ip + l4off, iplen - l4off);
}

static struct vec *vec_load(const char *name)
{
	char path[512], err[PCAP_ERRBUF_SIZE];
	struct pcap_pkthdr *h;
	const u_char *data;
	struct vec *v = calloc(1, sizeof(*v));
	pcap_t *p;

	snprintf(path, sizeof(path), "%s/%s.json", NEP_VECTOR_DIR, name);
	v->js = tjson_load(path);
	snprintf(path, sizeof(path), "%s/%s.pcap", NEP_VECTOR_DIR, name);
	p = pcap_open_offline(path, err);
	if (!v->js || !p) {
		printf("# cannot load vector %s: %s\n", name, p ? "json" : err);
		if (p)
			pcap_close(p);
		tjson_free(v->js);
		free(v);
		return NULL;
	}
	while (pcap_next_ex(p, &h, &data) == 1)
		vec_frame(v, data, h->caplen);
	pcap_close(p);
	return v;
}

static void vec_free(struct vec *v)
{
	int i;

	if (!v)
		return;
	for (i = 1; i <= v->nframes; i++)
		free(v->frame[i]);
	tjson_free(v->js);
	free(v);
}

static const char *vec_str(const struct vec *v, const char *key)
{
	return tjson_str(tjson_get(v->js, key));
}

static int vec_crypto(const struct vec *v)
{
	return tjson_num(tjson_get(v->js, "crypto")) == 1;
}

/* The key field name in JSON for a key of the session. */
static const uint8_t *vec_key(const struct nep_keys *k, const char *name)
{
	if (!name)
		return NULL;
	if (!strcmp(name, "mac_s2c_initial"))
		return k->mac_s2c_initial;
	if (!strcmp(name, "mac_s2c"))
		return k->mac_s2c;
	if (!strcmp(name, "mac_c2s"))
		return k->mac_c2s;
	if (!strcmp(name, "cipher_c2s"))
		return k->cipher_c2s;
	if (!strcmp(name, "cipher_s2c"))
		return k->cipher_s2c;
	return NULL;
}

static void check_hex(struct unit *u, const struct tjson *want,
		      const uint8_t *got, size_t n, const char *what,
		      const char *vecname)
{
	uint8_t buf[NEP_MSG_MAX];
	long w = tjson_hex(want, buf, sizeof(buf));

	u->checks++;
	if (w != (long)n || memcmp(buf, got, n) != 0)
		unit_failf(u, __FILE__, __LINE__, "%s: %s differs (%ld/%zu)",
			   vecname, what, w, n);
}

/* ------------------------------------------------------------ crypto */

UNIT_TEST(test_kdf_worked_example)
{
	static const uint8_t ns[32] = {
		0x91, 0x31, 0xeb, 0x0b, 0xae, 0xeb, 0xc0, 0x56, 0x19, 0x2b,
		0x71, 0x99, 0x5c, 0x09, 0x74, 0x8f, 0x6f, 0xd3, 0xc5, 0xdd,
		0x7f, 0x1e, 0x38, 0xb8, 0xe9, 0x70, 0xaf, 0xcf, 0xac, 0x7a,
		0x7e, 0x50,
	};
	static const uint8_t mac_init[16] = {
		0xac, 0x8b, 0x2a, 0xca, 0x2c, 0xa6, 0xd0, 0xd8,
		0xf2, 0x3d, 0x2a, 0xa2, 0x67, 0x57, 0x9a, 0x0b,
	};
	struct nep_keys k;

	CHECK_EQ(nep_keys_initial(test_crypto(), (const uint8_t *)"public", 6,
				  ns, &k),
		 0);
	CHECK_MEM(k.mac_s2c_initial, mac_init, 16);
	/* A passphrase longer than nping can hold is refused. */
	CHECK_EQ(nep_kdf(test_crypto(), (const uint8_t *)"x", NEP_PASS_MAX + 1,
			 ns, NULL, "L", (uint8_t[32]){0}),
		 -1);
}

UNIT_TEST(test_aes_no_padding)
{
	uint8_t key[16] = { 1 }, iv[16] = { 2 }, in[48], enc[48], dec[48];
	size_t i;

	for (i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)i;
	CHECK_EQ(nep_aes_cbc(test_crypto(), key, iv, true, in, enc, sizeof(in)),
		 0);
	/* Decryption gets every block back, the last one too (the bug of
	 * nping 7.93 with OpenSSL 3 lost it). */
	CHECK_EQ(nep_aes_cbc(test_crypto(), key, iv, false, enc, dec,
			     sizeof(enc)),
		 0);
	CHECK_MEM(dec, in, sizeof(in));
	CHECK_EQ(nep_aes_cbc(test_crypto(), key, iv, true, in, enc, 17), -1);
	/* In place works. */
	memcpy(dec, enc, sizeof(enc));
	CHECK_EQ(nep_aes_cbc(test_crypto(), key, iv, false, dec, dec,
			     sizeof(dec)),
		 0);
	CHECK_MEM(dec, in, sizeof(in));
}

/* ------------------------------------------------------------ vectors */

/* Nonces from the recorded streams, keys from the passphrase. */
static void vec_check_keys(struct unit *u, struct vec *v, const char *name)
{
	const struct tjson *keys = tjson_get(v->js, "keys");
	const struct tjson *full = tjson_get(v->js, "key_sha256_full");
	const char *pass = vec_str(v, "server_passphrase");
	static const char *const kn[] = { "mac_s2c_initial", "mac_s2c",
					  "mac_c2s", "cipher_c2s",
					  "cipher_s2c" };
	static const char *const labels[] = {
		"NEPkeyforMACServer2ClientInitial", "NEPkeyforMACServer2Client",
		"NEPkeyforMACClient2Server", "NEPkeyforCiphertextClient2Server",
		"NEPkeyforCiphertextServer2Client",
	};
	const uint8_t *ns = v->s2c + 16, *nc = v->c2s + 48;
	size_t i;

	check_hex(u, tjson_get(tjson_get(v->js, "nonces"), "server_nonce"),
		  ns, 32, "server nonce", name);
	memset(&v->keys, 0, sizeof(v->keys));
	CHECK_EQ(nep_keys_initial(test_crypto(), (const uint8_t *)pass,
				  strlen(pass), ns, &v->keys),
		 0);
	if (v->c2s_len >= NEP_LEN_HS_CLIENT) {
		check_hex(u, tjson_get(tjson_get(v->js, "nonces"),
				       "client_nonce"), nc, 32, "client nonce",
			  name);
		CHECK_EQ(nep_keys_session(test_crypto(), (const uint8_t *)pass,
					  strlen(pass), ns, nc, &v->keys),
			 0);
	}
	for (i = 0; i < 5; i++) {
		const struct tjson *want = tjson_get(keys, kn[i]);
		uint8_t h[32];

		if (!want || want->kind != TJ_STR)
			continue;
		check_hex(u, want, vec_key(&v->keys, kn[i]), 16, kn[i], name);
		if (!tjson_get(full, kn[i]))
			continue;
		CHECK_EQ(nep_kdf(test_crypto(), (const uint8_t *)pass,
				 strlen(pass), ns, i == 0 ? NULL : nc,
				 labels[i], h),
			 0);
		check_hex(u, tjson_get(full, kn[i]), h, 32, "full hash", name);
	}
}

static void vec_check_partner(struct unit *u, const struct tjson *f,
			      const struct nep_partner *p, const char *name)
{
	uint8_t raw[16];

	memset(raw, 0, sizeof(raw));
	memcpy(raw, p->addr, p->version == 6 ? 16 : 4);
	check_hex(u, tjson_get(f, "partner_ip_raw"), raw, 16, "partner", name);
	CHECK_EQ(p->version, tjson_num(tjson_get(f, "ip_version")));
}

static void vec_check_spec(struct unit *u, const struct tjson *f,
			   const struct nep_spec *s, const char *name)
{
	const struct tjson *items = tjson_get(f, "specs");
	size_t i;

	CHECK_EQ(s->ip_version, tjson_num(tjson_get(f, "ip_version")));
	CHECK_EQ(s->proto, tjson_num(tjson_get(f, "protocol")));
	CHECK_EQ(s->count, tjson_num(tjson_get(f, "packet_count")));
	CHECK_EQ(s->nitems, items ? items->nkids : 0);
	CHECK_EQ(s->used, tjson_num(tjson_get(f, "spec_bytes_used")));
	CHECK(nep_spec_acceptable(s));
	for (i = 0; items && i < items->nkids && i < s->nitems; i++) {
		const struct tjson *it = tjson_at(items, i);

		CHECK_EQ(s->items[i].code,
			 strtol(tjson_str(tjson_get(it, "code")), NULL, 16));
		CHECK_EQ(s->items[i].len, tjson_num(tjson_get(it, "length")));
		CHECK_STR(nep_spec_code_name(s->items[i].code),
			  tjson_str(tjson_get(it, "name")));
		check_hex(u, tjson_get(it, "value"),
			  s->area + s->items[i].off, s->items[i].len,
			  "spec value", name);
	}
}

/* The echoed packet against the probe frame it came from. */
static void vec_check_echo(struct unit *u, const struct vec *v,
			   const struct tjson *f, const struct nep_msg *m,
			   const struct nep_spec *spec, const char *name)
{
	int frame = (int)tjson_num(tjson_get(f, "matches_pcap_frame"));
	const char *kind = tjson_str(tjson_get(f, "match_kind"));
	struct nep_fields pf;
	uint8_t copy[NEP_MSG_MAX];
	int thr = 0, score;

	CHECK_EQ(m->u.echo.dlt, tjson_num(tjson_get(f, "dlt")));
	CHECK_EQ(m->u.echo.plen, tjson_num(tjson_get(f, "packet_length")));
	check_hex(u, tjson_get(f, "packet"), m->u.echo.packet,
		  m->u.echo.plen, "echoed packet", name);
	/* The server's matcher must give the echoed packet to this client
	 * (behind NAT too: vector b rewrites its ports). */
	CHECK_EQ(nep_fields_parse(m->u.echo.packet, m->u.echo.plen, &pf), 0);
	score = nep_spec_score(spec, &pf, m->u.echo.packet, &thr);
	CHECK(thr > 0 && score >= thr);
	/* The client-side capture of vector b has no frame as the server
	 * saw it. */
	if (tjson_get(f, "matches_pcap_frame")->kind == TJ_NULL)
		return;
	CHECK(frame >= 1 && frame <= v->nframes);
	if (frame < 1 || frame > v->nframes)
		return;
	CHECK_EQ(v->frame_len[frame], m->u.echo.plen);
	if (v->frame_len[frame] != m->u.echo.plen)
		return;
	memcpy(copy, v->frame[frame], m->u.echo.plen);
	if (kind && strstr(kind, "zeroed")) {
		CHECK(memcmp(copy, m->u.echo.packet, m->u.echo.plen) != 0);
		nep_zero_payload(copy, m->u.echo.plen);
	}
	CHECK_MEM(copy, m->u.echo.packet, m->u.echo.plen);
}

static void vec_check_fields(struct unit *u, const struct vec *v,
			     const struct tjson *jm, const struct nep_msg *m,
			     struct nep_spec *spec, const char *name)
{
	const struct tjson *f = tjson_get(jm, "fields");

	switch (m->hdr.type) {
	case NEP_HS_SERVER:
		check_hex(u, tjson_get(f, "server_nonce"), m->u.hs_server.ns,
			  32, "ns", name);
		break;
	case NEP_HS_CLIENT:
		check_hex(u, tjson_get(f, "server_nonce"), m->u.hs_client.ns,
			  32, "ns", name);
		check_hex(u, tjson_get(f, "client_nonce"), m->u.hs_client.nc,
			  32, "nc", name);
		vec_check_partner(u, f, &m->u.hs_client.partner, name);
		break;
	case NEP_HS_FINAL:
		check_hex(u, tjson_get(f, "client_nonce"), m->u.hs_final.nc,
			  32, "nc", name);
		vec_check_partner(u, f, &m->u.hs_final.partner, name);
		break;
	case NEP_PACKET_SPEC:
		vec_check_spec(u, f, &m->u.spec, name);
		*spec = m->u.spec;
		break;
	case NEP_ECHO:
		vec_check_echo(u, v, f, m, spec, name);
		break;
	}
}

/* Splits one direction's stream the way a receiver must (clear header or
 * first block decrypted), opens and decodes each message. */
static void vec_check_message(struct unit *u, struct vec *v,
			      const struct tjson *jm, struct nep_dir *dir,
			      int clear_hdr, struct nep_spec *spec,
			      const char *name)
{
	int c2s = !strcmp(tjson_str(tjson_get(jm, "direction")), "C2S");
	const uint8_t *st = c2s ? v->c2s : v->s2c;
	size_t stlen = c2s ? v->c2s_len : v->s2c_len;
	size_t off = (size_t)tjson_num(tjson_get(jm, "stream_offset"));
	size_t len = (size_t)tjson_num(tjson_get(jm, "total_length_bytes"));
	const char *keyname = tjson_str(tjson_get(jm, "mac_key"));
	uint8_t msg[NEP_MSG_MAX];
	struct nep_hdr h;
	struct nep_msg m;
	int type = (int)tjson_num(tjson_get(jm, "type")), rc;

	CHECK(off + len <= stlen && len <= sizeof(msg));
	if (off + len > stlen || len > sizeof(msg))
		return;
	check_hex(u, tjson_get(jm, "wire"), st + off, len, "wire", name);
	rc = clear_hdr ? nep_hdr_decode(st + off, 16, &h)
		       : nep_peek(dir, st + off, 16, &h);
	CHECK_EQ(rc, 0);
	CHECK_EQ(h.type, type);
	CHECK_EQ((size_t)h.words * 4, len);
	if (dir->crypto && tjson_get(jm, "iv") &&
	    tjson_get(jm, "iv")->kind == TJ_STR)
		check_hex(u, tjson_get(jm, "iv"), dir->iv, 16, "iv", name);
	if (keyname && vec_key(&v->keys, keyname))
		memcpy(dir->mac, vec_key(&v->keys, keyname), 16);
	memcpy(msg, st + off, len);
	rc = nep_open(dir, type, msg, len);
	CHECK_EQ(rc == 0, tjson_num(tjson_get(jm, "mac_ok")) == 1);
	check_hex(u, tjson_get(jm, "plaintext"), msg, len, "plaintext", name);
	if (dir->crypto && tjson_get(jm, "next_iv") &&
	    tjson_get(jm, "next_iv")->kind == TJ_STR)
		check_hex(u, tjson_get(jm, "next_iv"), dir->iv, 16, "next iv",
			  name);
	CHECK_EQ(nep_decode(msg, len, &m), 0);
	CHECK_EQ(m.hdr.seq, tjson_num(tjson_get(jm, "seq")));
	CHECK_EQ(m.hdr.timestamp, tjson_num(tjson_get(jm, "timestamp")));
	CHECK_EQ(m.hdr.words, tjson_num(tjson_get(jm, "total_length_field")));
	CHECK_EQ(nep_msg_len(&m), len);
	vec_check_fields(u, v, jm, &m, spec, name);
}

static void vec_decode_all(struct unit *u, struct vec *v, const char *name)
{
	const struct tjson *msgs = tjson_get(v->js, "messages");
	const struct tjson *sc = tjson_get(v->js, "side_channel");
	int crypto = vec_crypto(v);
	struct nep_dir c2s, s2c;
	struct nep_spec spec;
	int nc2s = 0, ns2c = 0;
	size_t i;

	CHECK_EQ(v->c2s_len, tjson_num(tjson_get(sc, "c2s_stream_bytes")));
	CHECK_EQ(v->s2c_len, tjson_num(tjson_get(sc, "s2c_stream_bytes")));
	memset(&c2s, 0, sizeof(c2s));
	memset(&s2c, 0, sizeof(s2c));
	memset(&spec, 0, sizeof(spec));
	c2s.crypto = s2c.crypto = crypto;
	c2s.crypto_lib = s2c.crypto_lib = test_crypto();
	memcpy(c2s.cipher, v->keys.cipher_c2s, 16);
	memcpy(s2c.cipher, v->keys.cipher_s2c, 16);
	if (v->c2s_len >= 64)
		memcpy(c2s.iv, v->c2s + 48, 16); /* Nc */
	if (v->s2c_len >= 32)
		memcpy(s2c.iv, v->s2c + 16, 16); /* Ns */
	CHECK(msgs && msgs->nkids > 0);
	for (i = 0; msgs && i < msgs->nkids; i++) {
		const struct tjson *jm = tjson_at(msgs, i);
		int is_c2s = !strcmp(tjson_str(tjson_get(jm, "direction")),
				     "C2S");

		if (is_c2s)
			vec_check_message(u, v, jm, &c2s, nc2s++ == 0, &spec,
					  name);
		else
			vec_check_message(u, v, jm, &s2c, ns2c++ < 2, &spec,
					  name);
	}
}

UNIT_TEST(test_vectors_decode)
{
	size_t i;

	for (i = 0; i < NVEC; i++) {
		struct vec *v = vec_load(vec_names[i]);

		CHECK(v != NULL);
		if (!v)
			continue;
		if (vec_crypto(v))
			vec_check_keys(u, v, vec_names[i]);
		vec_decode_all(u, v, vec_names[i]);
		vec_free(v);
	}
}

/* ------------------------------------------------------------ replay */

static uint32_t vec_next_ts(const struct tjson *msgs, size_t from,
			    const char *dir)
{
	size_t i;

	for (i = from; i < msgs->nkids; i++) {
		const struct tjson *jm = tjson_at(msgs, i);

		if (!strcmp(tjson_str(tjson_get(jm, "direction")), dir))
			return (uint32_t)tjson_num(tjson_get(jm, "timestamp"));
	}
	return 0;
}

static void vec_partner(const struct tjson *jm, struct nep_partner *p)
{
	const struct tjson *f = tjson_get(jm, "fields");
	uint8_t raw[16];

	memset(p, 0, sizeof(*p));
	tjson_hex(tjson_get(f, "partner_ip_raw"), raw, sizeof(raw));
	p->version = (uint8_t)tjson_num(tjson_get(f, "ip_version"));
	memcpy(p->addr, raw, p->version == 6 ? 16 : 4);
}

/* What the vector's messages say about the two ends' configuration. */
static void vec_cfgs(const struct vec *v, struct nep_session_cfg *cc,
		     struct nep_session_cfg *sc, struct nep_spec *spec)
{
	const struct tjson *msgs = tjson_get(v->js, "messages");
	size_t i;

	memset(cc, 0, sizeof(*cc));
	memset(sc, 0, sizeof(*sc));
	memset(spec, 0, sizeof(*spec));
	cc->role = NEP_ROLE_CLIENT;
	sc->role = NEP_ROLE_SERVER;
	cc->crypto = sc->crypto = vec_crypto(v);
	cc->crypto_lib = sc->crypto_lib = test_crypto();
	cc->pass = (const uint8_t *)vec_str(v, "client_passphrase");
	cc->passlen = strlen((const char *)cc->pass);
	sc->pass = (const uint8_t *)vec_str(v, "server_passphrase");
	sc->passlen = strlen((const char *)sc->pass);
	cc->spec = spec;
	for (i = 0; i < msgs->nkids; i++) {
		const struct tjson *jm = tjson_at(msgs, i);
		int type = (int)tjson_num(tjson_get(jm, "type"));
		uint32_t seq = (uint32_t)tjson_num(tjson_get(jm, "seq"));
		uint8_t plain[NEP_MSG_MAX];
		struct nep_msg m;
		long n;

		if (type == NEP_HS_SERVER) {
			memcpy(sc->nonce, v->s2c + 16, 32);
			sc->seq0 = seq;
		} else if (type == NEP_HS_CLIENT) {
			memcpy(cc->nonce, v->c2s + 48, 32);
			cc->seq0 = seq;
			vec_partner(jm, &cc->partner);
		} else if (type == NEP_HS_FINAL) {
			vec_partner(jm, &sc->partner);
		} else if (type == NEP_PACKET_SPEC) {
			n = tjson_hex(tjson_get(jm, "plaintext"), plain,
				      sizeof(plain));
			if (n > 0 && nep_decode(plain, (size_t)n, &m) == 0)
				*spec = m.u.spec;
		}
	}
}

/* Feeds wire to s in chunks of `step` bytes; returns the last event. */
static struct nep_event feed_all(struct nep_session *s, const uint8_t *wire,
				 size_t len, size_t step, int *nevents)
{
	struct nep_event ev, last;
	size_t off = 0;

	memset(&last, 0, sizeof(last));
	*nevents = 0;
	while (off < len) {
		size_t chunk = len - off < step ? len - off : step;
		size_t used = nep_session_feed(s, wire + off, chunk, &ev);

		if (used == 0 && ev.kind == NEP_EV_NONE)
			break;
		off += used;
		if (ev.kind != NEP_EV_NONE) {
			last = ev;
			(*nevents)++;
		}
		if (ev.kind == NEP_EV_FAILED)
			break;
	}
	return last;
}

static void check_output(struct unit *u, struct nep_session *s,
			 const uint8_t *wire, size_t len, const char *name,
			 const char *what)
{
	size_t n;
	const uint8_t *out = nep_session_output(s, &n);

	u->checks++;
	if (n != len || memcmp(out, wire, len) != 0)
		unit_failf(u, __FILE__, __LINE__,
			   "%s: %s output differs (%zu/%zu bytes)", name, what,
			   n, len);
	nep_session_taken(s, n);
}

/* Replays a recorded session through both state machines: everything each
 * side sends must come out byte for byte, everything it receives must be
 * accepted with the right event. */
static void vec_replay(struct unit *u, const struct vec *v, const char *name,
		       size_t step)
{
	const struct tjson *msgs = tjson_get(v->js, "messages");
	struct nep_session *cs = malloc(sizeof(*cs)), *ss = malloc(sizeof(*ss));
	struct nep_session_cfg cc, sc;
	struct nep_spec spec;
	size_t i;

	vec_cfgs(v, &cc, &sc, &spec);
	CHECK_EQ(nep_session_init(ss, &sc, vec_next_ts(msgs, 0, "S2C")), 0);
	CHECK_EQ(nep_session_init(cs, &cc, 0), 0);
	for (i = 0; i < msgs->nkids; i++) {
		const struct tjson *jm = tjson_at(msgs, i);
		int type = (int)tjson_num(tjson_get(jm, "type"));
		int s2c = !strcmp(tjson_str(tjson_get(jm, "direction")), "S2C");
		uint8_t wire[NEP_MSG_MAX], pkt[NEP_MSG_MAX], built[NEP_MSG_MAX];
		long n = tjson_hex(tjson_get(jm, "wire"), wire, sizeof(wire));
		struct nep_session *rx = s2c ? cs : ss, *tx = s2c ? ss : cs;
		struct nep_event ev;
		int nev, want;

		if (n <= 0)
			continue;
		if (type == NEP_ECHO) {
			long pl = tjson_hex(tjson_get(tjson_get(jm, "fields"),
						      "packet"), pkt,
					    sizeof(pkt));
			int b;

			ss->now = (uint32_t)tjson_num(tjson_get(jm,
								"timestamp"));
			b = nep_session_echo(ss, pkt, (size_t)pl, built,
					     sizeof(built), NULL);
			CHECK_EQ(b, n);
			if (b == n)
				CHECK_MEM(built, wire, (size_t)n);
		} else {
			check_output(u, tx, wire, (size_t)n, name,
				     nep_type_name(type));
		}
		/* The receiver stamps its answer with the time of the
		 * recorded answer. */
		rx->now = vec_next_ts(msgs, i + 1, s2c ? "C2S" : "S2C");
		ev = feed_all(rx, wire, (size_t)n, step, &nev);
		want = type == NEP_READY || type == NEP_PACKET_SPEC
			       ? NEP_EV_READY
		       : type == NEP_ECHO ? NEP_EV_ECHO : NEP_EV_HANDSHAKE;
		CHECK_EQ(nev, 1);
		CHECK_EQ(ev.kind, want);
		if (ev.kind != (enum nep_event_kind)want)
			printf("# %s: message %zu (%s): event %d err %s\n",
			       name, i, nep_type_name(type), ev.kind,
			       nep_strerror(ev.err));
		if (type == NEP_ECHO && ev.kind == NEP_EV_ECHO)
			check_hex(u, tjson_get(tjson_get(jm, "fields"),
					       "packet"),
				  ev.packet, ev.plen, "client echo", name);
	}
	free(cs);
	free(ss);
}

UNIT_TEST(test_vectors_replay)
{
	size_t i;

	for (i = 0; i < NVEC; i++) {
		struct vec *v;

		if (!strcmp(vec_names[i], "d_wrong_passphrase"))
			continue;
		v = vec_load(vec_names[i]);
		CHECK(v != NULL);
		if (!v)
			continue;
		/* Whole messages, then one byte per read, then odd splits
		 * that end reads inside headers. */
		vec_replay(u, v, vec_names[i], NEP_MSG_MAX);
		vec_replay(u, v, vec_names[i], 1);
		vec_replay(u, v, vec_names[i], 7);
		vec_free(v);
	}
}

UNIT_TEST(test_vector_wrong_passphrase)
{
	struct vec *v = vec_load("d_wrong_passphrase");
	struct nep_session *cs = malloc(sizeof(*cs));
	struct nep_session_cfg cc, sc;
	struct nep_spec spec;
	struct nep_keys k;
	struct nep_event ev;
	size_t n;
	int nev;

	CHECK(v != NULL);
	if (!v) {
		free(cs);
		return;
	}
	CHECK_EQ(v->s2c_len, NEP_LEN_HS_SERVER);
	CHECK_EQ(v->c2s_len, 0);
	CHECK_EQ(nep_keys_initial(test_crypto(), (const uint8_t *)"wrong", 5,
				  v->s2c + 16, &k),
		 0);
	check_hex(u, tjson_get(tjson_get(v->js, "keys_with_client_passphrase"),
			       "mac_s2c_initial"),
		  k.mac_s2c_initial, 16, "client key", "d");
	vec_cfgs(v, &cc, &sc, &spec);
	nep_spec_init(&spec, 4, 17, 1);
	memset(cc.nonce, 0x5a, sizeof(cc.nonce));
	CHECK_EQ(nep_session_init(cs, &cc, 1), 0);
	ev = feed_all(cs, v->s2c, v->s2c_len, NEP_MSG_MAX, &nev);
	CHECK_EQ(ev.kind, NEP_EV_FAILED);
	CHECK_EQ(ev.err, NEP_ERR_AUTH);
	/* Nothing goes out: the client hangs up, as nping's does. */
	nep_session_output(cs, &n);
	CHECK_EQ(n, 0);
	CHECK_EQ(cs->state, NEP_ST_FAILED);
	/* The right passphrase accepts the very same bytes. */
	cc.pass = (const uint8_t *)"public";
	cc.passlen = 6;
	CHECK_EQ(nep_session_init(cs, &cc, 1), 0);
	ev = feed_all(cs, v->s2c, v->s2c_len, NEP_MSG_MAX, &nev);
	CHECK_EQ(ev.kind, NEP_EV_HANDSHAKE);
	nep_session_output(cs, &n);
	CHECK_EQ(n, NEP_LEN_HS_CLIENT);
	free(cs);
	vec_free(v);
}

/* ------------------------------------------------------------ scripted */

struct pair {
	struct nep_session c, s;
	struct nep_spec spec;
	struct nep_event cev, sev; /* last event of each side */
	int ncev, nsev;
};

static void pair_spec(struct nep_spec *sp, int nitems)
{
	static const uint8_t id[2] = { 0xda, 0xe0 }, tos[1] = { 0 },
			     sport[2] = { 0, 53 }, dport[2] = { 0x9c, 0xbd },
			     ulen[2] = { 0, 8 }, proto[1] = { 17 };

	nep_spec_init(sp, 4, 17, 3);
	nep_spec_add(sp, NEP_SPEC_IPV4_ID, id, 2);
	nep_spec_add(sp, NEP_SPEC_IPV4_TOS, tos, 1);
	nep_spec_add(sp, NEP_SPEC_UDP_SPORT, sport, 2);
	if (nitems > 3) {
		nep_spec_add(sp, NEP_SPEC_UDP_DPORT, dport, 2);
		nep_spec_add(sp, NEP_SPEC_UDP_LEN, ulen, 2);
		nep_spec_add(sp, NEP_SPEC_IPV4_PROTO, proto, 1);
	}
}

static void pair_init(struct pair *p, bool ccrypto, bool scrypto,
		      const char *cpass, const char *spass, int nitems)
{
	struct nep_session_cfg cc, sc;

	memset(p, 0, sizeof(*p));
	pair_spec(&p->spec, nitems);
	memset(&cc, 0, sizeof(cc));
	memset(&sc, 0, sizeof(sc));
	cc.role = NEP_ROLE_CLIENT;
	cc.crypto = ccrypto;
	cc.crypto_lib = test_crypto();
	cc.pass = (const uint8_t *)cpass;
	cc.passlen = strlen(cpass);
	memset(cc.nonce, 0xc1, sizeof(cc.nonce));
	cc.seq0 = 0xfffffffe; /* wraps during the session */
	cc.partner.version = 4;
	memcpy(cc.partner.addr, "\x7f\0\0\1", 4);
	cc.spec = &p->spec;
	sc.role = NEP_ROLE_SERVER;
	sc.crypto = scrypto;
	sc.crypto_lib = test_crypto();
	sc.pass = (const uint8_t *)spass;
	sc.passlen = strlen(spass);
	memset(sc.nonce, 0x5e, sizeof(sc.nonce));
	sc.seq0 = 1000;
	sc.partner = cc.partner;
	nep_session_init(&p->c, &cc, 100);
	nep_session_init(&p->s, &sc, 100);
}

/* Moves queued output between the two until neither has any; step is the
 * read size on both sides. */
static void pair_pump(struct pair *p, size_t step)
{
	int rounds;

	for (rounds = 0; rounds < 10; rounds++) {
		struct nep_session *from = rounds % 2 ? &p->c : &p->s;
		struct nep_session *to = rounds % 2 ? &p->s : &p->c;
		struct nep_event *ev = rounds % 2 ? &p->sev : &p->cev;
		int *nev = rounds % 2 ? &p->nsev : &p->ncev;
		uint8_t buf[NEP_OUT_CAP];
		size_t n;
		const uint8_t *out = nep_session_output(from, &n);
		int k;

		memcpy(buf, out, n);
		nep_session_taken(from, n);
		if (n) {
			struct nep_event e = feed_all(to, buf, n, step, &k);

			if (k) {
				*ev = e;
				*nev += k;
			}
		}
	}
}

static void sample_udp(uint8_t pkt[28], uint16_t id)
{
	static const uint8_t base[28] = {
		0x45, 0, 0, 28, 0xda, 0xe0, 0, 0, 63, 17, 0, 0,
		198, 18, 1, 2, 198, 18, 2, 2, 0, 53, 0x9c, 0xbd, 0, 8, 0, 0,
	};

	memcpy(pkt, base, 28);
	pkt[4] = (uint8_t)(id >> 8);
	pkt[5] = (uint8_t)id;
}

UNIT_TEST(test_session_pair)
{
	static const bool modes[2] = { true, false };
	static const size_t steps[3] = { NEP_MSG_MAX, 1, 5 };
	struct pair *p = malloc(sizeof(*p));
	size_t m, si;

	for (m = 0; m < 2; m++)
		for (si = 0; si < 3; si++) {
			uint8_t pkt[28], stream[3 * 96];
			size_t len = 0, off = 0;
			int i, echoes = 0;

			pair_init(p, modes[m], modes[m], "pw", "pw", 6);
			pair_pump(p, steps[si]);
			CHECK_EQ(p->c.state, NEP_ST_READY);
			CHECK_EQ(p->s.state, NEP_ST_READY);
			CHECK_EQ(p->cev.kind, NEP_EV_READY);
			CHECK_EQ(p->sev.kind, NEP_EV_READY);
			CHECK_EQ(p->s.spec.nitems, 6);
			CHECK_EQ(p->c.peer_partner.version, 4);
			/* Three echoes in one read must all come out. */
			for (i = 0; i < 3; i++) {
				int n;

				sample_udp(pkt, (uint16_t)(0xdae0 + i));
				n = nep_session_echo(&p->s, pkt, 28,
						     stream + len,
						     sizeof(stream) - len,
						     NULL);
				CHECK_EQ(n, 80);
				len += n > 0 ? (size_t)n : 0;
			}
			while (off < len) {
				struct nep_event ev;
				size_t chunk = len - off < steps[si]
						       ? len - off : steps[si];

				off += nep_session_feed(&p->c, stream + off,
							chunk, &ev);
				if (ev.kind == NEP_EV_ECHO) {
					CHECK_EQ(ev.plen, 28);
					CHECK_EQ(ev.packet[5],
						 (uint8_t)(0xe0 + echoes));
					echoes++;
				}
			}
			CHECK_EQ(echoes, 3);
		}
	free(p);
}

UNIT_TEST(test_session_bad_mac)
{
	struct pair *p = malloc(sizeof(*p));
	uint8_t pkt[28], e1[96], e2[96], hs[NEP_OUT_CAP];
	const uint8_t *out;
	struct nep_event ev;
	size_t n;
	int k;

	/* A bit flipped in HS_CLIENT's MAC: the server drops the client. */
	pair_init(p, true, true, "pw", "pw", 6);
	out = nep_session_output(&p->s, &n);
	memcpy(hs, out, n);
	nep_session_taken(&p->s, n);
	feed_all(&p->c, hs, n, n, &k);
	out = nep_session_output(&p->c, &n);
	memcpy(hs, out, n);
	hs[n - 1] ^= 1;
	ev = feed_all(&p->s, hs, n, n, &k);
	CHECK_EQ(ev.kind, NEP_EV_FAILED);
	CHECK_EQ(ev.err, NEP_ERR_MAC);
	CHECK_EQ(nep_session_feed(&p->s, hs, n, &ev), 0);
	/* A bad ECHO is dropped and the next one still arrives. */
	pair_init(p, true, true, "pw", "pw", 6);
	pair_pump(p, NEP_MSG_MAX);
	sample_udp(pkt, 1);
	CHECK_EQ(nep_session_echo(&p->s, pkt, 28, e1, sizeof(e1), NULL), 80);
	CHECK_EQ(nep_session_echo(&p->s, pkt, 28, e2, sizeof(e2), NULL), 80);
	e1[79] ^= 0x80;
	ev = feed_all(&p->c, e1, 80, 80, &k);
	CHECK_EQ(ev.kind, NEP_EV_DROPPED);
	CHECK_EQ(ev.err, NEP_ERR_MAC);
	ev = feed_all(&p->c, e2, 80, 80, &k);
	CHECK_EQ(ev.kind, NEP_EV_ECHO);
	/* The same ECHO again (a replay): its first block no longer
	 * decrypts to a header under the chained IV, so the stream cannot
	 * be trusted any more and the session ends. */
	ev = feed_all(&p->c, e2, 80, 80, &k);
	CHECK_EQ(ev.kind, NEP_EV_FAILED);
	/* Without crypto a replay is caught by its sequence number. */
	pair_init(p, false, false, "pw", "pw", 6);
	pair_pump(p, NEP_MSG_MAX);
	CHECK_EQ(nep_session_echo(&p->s, pkt, 28, e2, sizeof(e2), NULL), 80);
	ev = feed_all(&p->c, e2, 80, 80, &k);
	CHECK_EQ(ev.kind, NEP_EV_ECHO);
	ev = feed_all(&p->c, e2, 80, 80, &k);
	CHECK_EQ(ev.kind, NEP_EV_DROPPED);
	CHECK_EQ(ev.err, NEP_ERR_SEQ);
	free(p);
}

UNIT_TEST(test_session_out_of_order)
{
	struct pair *p = malloc(sizeof(*p));
	struct nep_msg m;
	uint8_t buf[NEP_MSG_MAX];
	struct nep_event ev;
	size_t len;
	int k, n;

	/* The server sees a HS_FINAL where HS_CLIENT belongs. */
	pair_init(p, false, false, "a", "a", 6);
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_HS_FINAL;
	n = nep_encode(&m, buf, sizeof(buf), NULL);
	CHECK_EQ(n, NEP_LEN_HS_FINAL);
	ev = feed_all(&p->s, buf, (size_t)n, 3, &k);
	CHECK_EQ(ev.kind, NEP_EV_FAILED);
	CHECK_EQ(ev.err, NEP_ERR_TYPE);
	/* The client gets READY before HS_SERVER. */
	pair_init(p, false, false, "a", "a", 6);
	m.hdr.type = NEP_READY;
	n = nep_encode(&m, buf, sizeof(buf), NULL);
	ev = feed_all(&p->c, buf, (size_t)n, 64, &k);
	CHECK_EQ(ev.kind, NEP_EV_FAILED);
	CHECK_EQ(ev.err, NEP_ERR_TYPE);
	/* HS_FINAL with a sequence number that skips one. */
	pair_init(p, false, false, "a", "a", 6);
	memcpy(buf, nep_session_output(&p->s, &len), 96);
	feed_all(&p->c, buf, 96, 96, &k);
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_HS_FINAL;
	m.hdr.seq = 1002;
	memset(m.u.hs_final.nc, 0xc1, 32);
	n = nep_encode(&m, buf, sizeof(buf), NULL);
	ev = feed_all(&p->c, buf, (size_t)n, 64, &k);
	CHECK_EQ(ev.kind, NEP_EV_FAILED);
	CHECK_EQ(ev.err, NEP_ERR_SEQ);
	/* A HS_FINAL that does not echo our nonce. */
	pair_init(p, false, false, "a", "a", 6);
	memcpy(buf, nep_session_output(&p->s, &len), 96);
	feed_all(&p->c, buf, 96, 96, &k);
	m.hdr.seq = 1001;
	memset(m.u.hs_final.nc, 0xc2, 32);
	n = nep_encode(&m, buf, sizeof(buf), NULL);
	ev = feed_all(&p->c, buf, (size_t)n, 64, &k);
	CHECK_EQ(ev.err, NEP_ERR_NONCE);
	free(p);
}

UNIT_TEST(test_session_truncated_and_lengths)
{
	struct pair *p = malloc(sizeof(*p));
	uint8_t buf[NEP_MSG_MAX], pkt[28];
	const uint8_t *out;
	struct nep_event ev;
	size_t n;
	int k;

	/* Part of HS_SERVER: no event yet, the session waits. */
	pair_init(p, true, true, "pw", "pw", 6);
	out = nep_session_output(&p->s, &n);
	memcpy(buf, out, n);
	CHECK_EQ(nep_session_feed(&p->c, buf, 95, &ev), 95);
	CHECK_EQ(ev.kind, NEP_EV_NONE);
	CHECK_EQ(p->c.state, NEP_ST_WAIT_HS_SERVER);
	CHECK_EQ(nep_session_feed(&p->c, buf + 95, 1, &ev), 1);
	CHECK_EQ(ev.kind, NEP_EV_HANDSHAKE);
	/* A length field that disagrees with the type. */
	pair_init(p, true, true, "pw", "pw", 6);
	out = nep_session_output(&p->s, &n);
	memcpy(buf, out, n);
	buf[3] = 0x19;
	ev = feed_all(&p->c, buf, n, n, &k);
	CHECK_EQ(ev.err, NEP_ERR_LENGTH);
	/* Another protocol version. */
	pair_init(p, true, true, "pw", "pw", 6);
	out = nep_session_output(&p->s, &n);
	memcpy(buf, out, n);
	buf[0] = 2;
	ev = feed_all(&p->c, buf, n, n, &k);
	CHECK_EQ(ev.err, NEP_ERR_VERSION);
	/* ... seen from the first byte alone. */
	pair_init(p, true, true, "pw", "pw", 6);
	CHECK_EQ(nep_session_feed(&p->c, buf, 1, &ev), 1);
	CHECK_EQ(ev.kind, NEP_EV_FAILED);
	CHECK_EQ(ev.err, NEP_ERR_VERSION);
	/* An ECHO claiming more than the largest message. */
	pair_init(p, false, false, "pw", "pw", 6);
	pair_pump(p, NEP_MSG_MAX);
	sample_udp(pkt, 1);
	CHECK_EQ(nep_session_echo(&p->s, pkt, 28, buf, sizeof(buf), NULL), 80);
	buf[2] = 0xff;
	buf[3] = 0xfc;
	ev = feed_all(&p->c, buf, 80, 80, &k);
	CHECK_EQ(ev.kind, NEP_EV_FAILED);
	CHECK_EQ(ev.err, NEP_ERR_LENGTH);
	/* Too few items: nping's rule rejects the spec. */
	pair_init(p, true, true, "pw", "pw", 3);
	pair_pump(p, NEP_MSG_MAX);
	CHECK_EQ(p->s.state, NEP_ST_FAILED);
	CHECK_EQ(p->s.err, NEP_ERR_SPEC);
	free(p);
}

UNIT_TEST(test_session_mismatch)
{
	struct pair *p = malloc(sizeof(*p));

	pair_init(p, true, true, "right", "wrong", 6);
	pair_pump(p, NEP_MSG_MAX);
	CHECK_EQ(p->c.err, NEP_ERR_AUTH);
	CHECK_EQ(p->s.state, NEP_ST_WAIT_HS_CLIENT);
	pair_init(p, true, false, "x", "x", 6);
	pair_pump(p, NEP_MSG_MAX);
	CHECK_EQ(p->c.err, NEP_ERR_AUTH);
	pair_init(p, false, true, "x", "x", 6);
	pair_pump(p, NEP_MSG_MAX);
	CHECK_EQ(p->c.err, NEP_ERR_AUTH);
	/* Without crypto the passphrases need not agree (nping ignores
	 * them). */
	pair_init(p, false, false, "x", "y", 6);
	pair_pump(p, NEP_MSG_MAX);
	CHECK_EQ(p->c.state, NEP_ST_READY);
	free(p);
}

UNIT_TEST(test_decode_never_overreads)
{
	struct pair *p = malloc(sizeof(*p));
	uint8_t buf[NEP_MSG_MAX], *copy;
	const uint8_t *out;
	struct nep_msg m;
	size_t n, i;

	pair_init(p, false, false, "x", "x", 6);
	out = nep_session_output(&p->s, &n);
	memcpy(buf, out, n);
	CHECK_EQ(nep_decode(buf, n, &m), 0);
	/* Every shorter length is an error; malloc'd to the exact size so a
	 * sanitizer build catches any read past it. */
	for (i = 0; i < n; i++) {
		copy = malloc(i ? i : 1);
		memcpy(copy, buf, i);
		CHECK(nep_decode(copy, i, &m) < 0);
		free(copy);
	}
	/* An ECHO whose packet length points past the MAC. */
	memset(&m, 0, sizeof(m));
	m.hdr.type = NEP_ECHO;
	m.u.echo.plen = 12;
	m.u.echo.packet = buf + 200;
	n = (size_t)nep_encode(&m, buf, sizeof(buf), NULL);
	CHECK_EQ(n, 64);
	buf[19] = 13;
	CHECK_EQ(nep_decode(buf, n, &m), NEP_ERR_LENGTH);
	CHECK_EQ(nep_encode(&m, buf, 10, &n), NEP_ERR_SPACE);
	free(p);
}

UNIT_TEST(test_spec_rules)
{
	struct nep_spec s;
	uint8_t v[8] = { 1, 2, 3, 4, 5, 6, 7, 8 };

	nep_spec_init(&s, 4, 6, 1);
	CHECK_EQ(nep_spec_add(&s, NEP_SPEC_IPV4_ID, v, 2), 0);
	CHECK_EQ(nep_spec_add(&s, NEP_SPEC_IPV4_ID, v, 2), NEP_ERR_SPEC);
	CHECK_EQ(nep_spec_add(&s, NEP_SPEC_TCP_SEQ, v, 2), NEP_ERR_SPEC);
	CHECK_EQ(nep_spec_add(&s, 0x42, v, 1), NEP_ERR_SPEC);
	CHECK_EQ(nep_spec_add(&s, NEP_SPEC_PAYLOAD, v, 8), 0);
	CHECK_EQ(s.used, 3 + 10);
	CHECK(!nep_spec_acceptable(&s));
	CHECK_EQ(nep_spec_add(&s, NEP_SPEC_TCP_SEQ, v, 4), 0);
	CHECK_EQ(nep_spec_add(&s, NEP_SPEC_TCP_FLAGS, v, 1), 0);
	CHECK(nep_spec_acceptable(&s));
	s.ip_version = 0xff; /* "any": nping rejects it */
	CHECK(!nep_spec_acceptable(&s));
}


/* ------------------------------------------------------------ routing */

UNIT_TEST(test_match_rule)
{
	struct nep_spec a, b, none;
	const struct nep_spec *specs[3];
	uint8_t pkt[28];

	pair_spec(&a, 6);
	b = a;
	sample_udp(pkt, 0xdae0);
	/* Two clients with the same spec: the later one gets it. */
	specs[0] = &a;
	specs[1] = &b;
	CHECK_EQ(nep_match(specs, 2, pkt, sizeof(pkt)), 1);
	/* Another IP ID: 5.9 points left, under the UDP threshold of 8. */
	sample_udp(pkt, 0x1234);
	CHECK_EQ(nep_match(specs, 2, pkt, sizeof(pkt)), -1);
	/* A spec that only shares the protocol cannot win. */
	nep_spec_init(&none, 4, 17, 1);
	nep_spec_add(&none, NEP_SPEC_IPV4_PROTO, (const uint8_t *)"\x11", 1);
	specs[0] = &none;
	sample_udp(pkt, 0xdae0);
	CHECK_EQ(nep_match(specs, 1, pkt, sizeof(pkt)), -1);
	specs[1] = NULL;
	specs[2] = &a;
	CHECK_EQ(nep_match(specs, 3, pkt, sizeof(pkt)), 2);
	CHECK_EQ(nep_match(specs, 3, pkt, 19), -1);
}

UNIT_TEST(test_zero_payload)
{
	uint8_t pkt[40], want[40];

	sample_udp(pkt, 1);
	memcpy(pkt + 28, "payload-abc!", 12);
	pkt[3] = 40;
	memcpy(want, pkt, 40);
	memset(want + 28, 0, 12);
	nep_zero_payload(pkt, sizeof(pkt));
	CHECK_MEM(pkt, want, sizeof(pkt));
	/* Not IP at all: only the first 40 bytes survive. */
	{
		uint8_t junk[60];

		memset(junk, 0xee, sizeof(junk));
		nep_zero_payload(junk, sizeof(junk));
		CHECK_EQ(junk[39], 0xee);
		CHECK_EQ(junk[40], 0);
		CHECK_EQ(junk[59], 0);
	}
}

/* What a missing library or function looks like: one line for cmd/ to
 * print; and the fallback sonames are tried in order. */
UNIT_TEST(test_dynlib_load)
{
	static const char *const none[] = {"libecholot-none.so.0", NULL};
	static const char *const fallback[] = {"libecholot-none.so.0",
					       ECHOLOT_CRYPTO_SONAME, NULL};
	static const struct dynlib_sym bad[] = {{"EVP_no_such_fn", 0}};
	static const struct dynlib_sym good[] = {{"EVP_MD_fetch", 0}};
	static const uint8_t key[NEP_KEY_LEN];
	struct nep_session_cfg cfg;
	struct nep_session *s = malloc(sizeof(*s));
	struct nep_crypto *k;
	uint8_t mac[NEP_MAC_LEN];
	void *slot = NULL, *h;
	char err[256] = "";

	CHECK(dynlib_open(none, good, 1, &slot, err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "cannot load libecholot-none.so.0: ",
		      strlen("cannot load libecholot-none.so.0: ")) == 0);
	CHECK(strstr(err, "No such file or directory") != NULL);
	CHECK(dynlib_open(fallback, bad, 1, &slot, err, sizeof(err)) == NULL);
	CHECK(strncmp(err, "cannot load " ECHOLOT_CRYPTO_SONAME ": ",
		      strlen("cannot load " ECHOLOT_CRYPTO_SONAME ": ")) == 0);
	CHECK(strstr(err, "undefined symbol: EVP_no_such_fn") != NULL);
	CHECK(slot == NULL);
	h = dynlib_open(fallback, good, 1, &slot, err, sizeof(err));
	CHECK(h != NULL && slot != NULL);
	dynlib_close(h);
	k = nep_crypto_open(err, sizeof(err));
	CHECK(k != NULL);
	CHECK_EQ(nep_hmac(k, key, key, sizeof(key), mac), 0);
	nep_crypto_close(k);
	/* Without the library crypto fails, it does not crash. */
	CHECK_EQ(nep_hmac(NULL, key, key, sizeof(key), mac), -1);
	CHECK_EQ(nep_aes_cbc(NULL, key, key, true, key, mac, 16), -1);
	CHECK(!nep_mac_equal(NULL, mac, mac));
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = NEP_ROLE_SERVER;
	cfg.crypto = true;
	CHECK(s != NULL);
	if (s)
		CHECK_EQ(nep_session_init(s, &cfg, 1), NEP_ERR_INVAL);
	free(s);
}

UNIT_TEST(test_capture_helpers)
{
	static const uint8_t eth[18] = { [12] = 0x08, [13] = 0x00 };
	static const uint8_t vlan[18] = { [12] = 0x81, [13] = 0x00,
					  [16] = 0x86, [17] = 0xdd };
	static const uint8_t arp[14] = { [12] = 0x08, [13] = 0x06 };
	static const uint8_t sll[16] = { [14] = 0x08, [15] = 0x00 };
	struct nep_spec s;
	char f[128];

	CHECK_EQ(capture_l2_len(DLT_EN10MB, eth, sizeof(eth)), 14);
	CHECK_EQ(capture_l2_len(DLT_EN10MB, vlan, sizeof(vlan)), 18);
	CHECK_EQ(capture_l2_len(DLT_EN10MB, arp, sizeof(arp)), -1);
	CHECK_EQ(capture_l2_len(DLT_EN10MB, eth, 13), -1);
	CHECK_EQ(capture_l2_len(DLT_LINUX_SLL, sll, sizeof(sll)), 16);
	CHECK_EQ(capture_l2_len(DLT_LINUX_SLL, sll, 15), -1);
	CHECK_EQ(capture_l2_len(DLT_RAW, eth, 1), 0);
	pair_spec(&s, 6);
	CHECK(capture_spec_filter(&s, f, sizeof(f)) > 0);
	CHECK_STR(f, "(ip and ip[4:2] = 56032)");
	CHECK_EQ(capture_spec_filter(&s, f, 10), -1);
	nep_spec_init(&s, 6, 6, 1);
	nep_spec_add(&s, NEP_SPEC_IPV6_NHDR, (const uint8_t *)"\x06", 1);
	CHECK(capture_spec_filter(&s, f, sizeof(f)) > 0);
	CHECK_STR(f, "(ip6 and ip6[6] = 6)");
	nep_spec_init(&s, 4, 6, 1);
	CHECK_EQ(capture_spec_filter(&s, f, sizeof(f)), -1);
}

/* ------------------------------------------------------------ report */

static void parse_udp(uint8_t *buf, uint16_t id, const uint8_t src[4],
		      uint16_t sport, uint8_t ttl, struct pkt_parsed *p)
{
	sample_udp(buf, id);
	memcpy(buf + 12, src, 4);
	buf[20] = (uint8_t)(sport >> 8);
	buf[21] = (uint8_t)sport;
	buf[8] = ttl;
	pkt_parse(buf, 28, p);
}

UNIT_TEST(test_report_verdicts)
{
	static const uint8_t me[4] = { 198, 18, 1, 2 }, nat[4] = { 198, 18, 2, 1 };
	uint8_t a[28], b[28];
	struct pkt_parsed sent, capt;
	struct nep_report r;
	char *text = NULL;
	size_t tlen = 0;
	FILE *f;

	/* Through NAT: source address and port rewritten, two hops. */
	nep_report_init(&r, false);
	parse_udp(a, 7, me, 53, 64, &sent);
	parse_udp(b, 7, nat, 40000, 62, &capt);
	r.sent = r.echoed = r.received = 1;
	nep_report_compare(&r, &sent, &capt);
	CHECK_EQ(r.f[NEP_F_SRC_ADDR].count, 1);
	CHECK_STR(r.f[NEP_F_SRC_ADDR].capt, "198.18.2.1");
	CHECK_EQ(r.f[NEP_F_SRC_PORT].count, 1);
	CHECK_EQ(r.f[NEP_F_DST_PORT].count, 0);
	CHECK_EQ(nep_report_verdicts(&r), NEP_V_NAT);
	f = open_memstream(&text, &tlen);
	nep_report_render(f, &r);
	fclose(f);
	CHECK(strstr(text, "  ttl                  64 -> 62  (2 routed hops)\n") != NULL);
	CHECK(strstr(text, "Verdict: NAT detected") != NULL);
	free(text);
	/* Unchanged but for the TTL. */
	nep_report_init(&r, false);
	parse_udp(b, 7, me, 53, 63, &capt);
	r.sent = r.echoed = r.received = 1;
	nep_report_compare(&r, &sent, &capt);
	CHECK_EQ(nep_report_verdicts(&r), NEP_V_INTACT);
	/* Nothing captured; captured without replies; TCP answered but never
	 * captured. */
	nep_report_init(&r, false);
	r.sent = 3;
	CHECK_EQ(nep_report_verdicts(&r), NEP_V_NOT_REACHED);
	r.echoed = 3;
	CHECK_EQ(nep_report_verdicts(&r) & NEP_V_REPLY_BROKEN, NEP_V_REPLY_BROKEN);
	nep_report_init(&r, true);
	r.sent = 3;
	r.received = 3;
	CHECK_EQ(nep_report_verdicts(&r), NEP_V_PROXY);
}

UNIT_MAIN(UNIT_CASE(test_kdf_worked_example), UNIT_CASE(test_aes_no_padding),
	  UNIT_CASE(test_vectors_decode), UNIT_CASE(test_vectors_replay),
	  UNIT_CASE(test_vector_wrong_passphrase), UNIT_CASE(test_session_pair),
	  UNIT_CASE(test_session_bad_mac), UNIT_CASE(test_session_out_of_order),
	  UNIT_CASE(test_session_truncated_and_lengths),
	  UNIT_CASE(test_session_mismatch),
	  UNIT_CASE(test_decode_never_overreads), UNIT_CASE(test_spec_rules),
	  UNIT_CASE(test_match_rule), UNIT_CASE(test_zero_payload),
	  UNIT_CASE(test_dynlib_load), UNIT_CASE(test_capture_helpers),
	  UNIT_CASE(test_report_verdicts))
