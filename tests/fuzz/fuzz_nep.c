/*
 * fuzz_nep - NEP message decoding and both session state machines.
 *
 * Input: byte 0 flags (bit 0: drive a client session instead of a server
 * one; 0x02/0x03 exactly: crypto on, passphrase "public" -- only those two
 * values, because each crypto session costs 5000 SHA-256 rounds and the
 * fuzzer should spend most runs on the state machine), byte 1 the read size (0:
 * everything at once), bytes 2..33 our own nonce (so recorded sessions
 * can be replayed as seeds), the rest the peer's byte stream. The stream
 * is also decoded as one plaintext message, and as a captured packet
 * (fields, the matching score, payload zeroing).
 *
 * Invariants (abort() when broken): a feed never consumes more than it
 * was given, consumes nothing after a failure, queues at most NEP_OUT_CAP
 * bytes; an echoed packet lies inside the decoded message; a message the
 * server encodes decodes back.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "nep.h"

#define FUZZ_HDR 34

/* libcrypto, loaded by the first input that turns crypto on and kept for
 * the whole run: loading it for each input would cost more than the
 * session. abort() when it cannot load: the run would test nothing. */
static const struct nep_crypto *fuzz_crypto(void)
{
	static struct nep_crypto *k;

	if (!k) {
		k = nep_crypto_open(NULL, 0);
		if (!k)
			abort();
	}
	return k;
}

static void fuzz_decoders(const uint8_t *d, size_t n)
{
	struct nep_msg m;
	struct nep_hdr h;
	struct nep_fields f;
	struct nep_spec spec;
	uint8_t *copy;
	int thr;

	nep_hdr_decode(d, n, &h);
	if (nep_decode(d, n, &m) == 0 && m.hdr.type == NEP_ECHO &&
	    (m.u.echo.packet < d ||
	     m.u.echo.packet + m.u.echo.plen > d + n))
		abort();
	nep_spec_init(&spec, 4, 17, 1);
	nep_spec_add(&spec, NEP_SPEC_IPV4_ID, d, n >= 2 ? 2 : 0);
	if (nep_fields_parse(d, n, &f) == 0) {
		nep_spec_score(&spec, &f, d, &thr);
		if (f.payload_off > n)
			abort();
	}
	copy = malloc(n ? n : 1);
	if (!copy)
		return;
	memcpy(copy, d, n);
	nep_zero_payload(copy, n);
	free(copy);
}

static void fuzz_session(const uint8_t *flags_and_nonce, const uint8_t *d,
			 size_t n)
{
	static const struct nep_spec empty;
	struct nep_session *s = malloc(sizeof(*s));
	struct nep_session_cfg cfg;
	struct nep_spec spec;
	size_t step = flags_and_nonce[1] ? flags_and_nonce[1] : n + 1;
	size_t off = 0;

	if (!s)
		return;
	memset(&cfg, 0, sizeof(cfg));
	cfg.role = (flags_and_nonce[0] & 1) ? NEP_ROLE_CLIENT : NEP_ROLE_SERVER;
	cfg.crypto = (flags_and_nonce[0] & 0xfe) == 0x02;
	if (cfg.crypto)
		cfg.crypto_lib = fuzz_crypto();
	cfg.pass = (const uint8_t *)"public";
	cfg.passlen = 6;
	memcpy(cfg.nonce, flags_and_nonce + 2, NEP_NONCE_LEN);
	cfg.seq0 = 77;
	cfg.partner.version = 4;
	spec = empty;
	nep_spec_init(&spec, 4, 17, 1);
	nep_spec_add(&spec, NEP_SPEC_IPV4_ID, (const uint8_t *)"\1\2", 2);
	cfg.spec = &spec;
	if (nep_session_init(s, &cfg, 1) < 0) {
		free(s);
		return;
	}
	while (off < n) {
		struct nep_event ev;
		size_t chunk = n - off < step ? n - off : step;
		size_t used = nep_session_feed(s, d + off, chunk, &ev), outlen;

		if (used > chunk)
			abort();
		nep_session_output(s, &outlen);
		if (outlen > NEP_OUT_CAP)
			abort();
		nep_session_taken(s, outlen);
		if (ev.kind == NEP_EV_ECHO &&
		    (ev.packet < s->in || ev.packet + ev.plen > s->in + sizeof(s->in)))
			abort();
		if (ev.kind == NEP_EV_FAILED) {
			if (nep_session_feed(s, d + off, chunk, &ev) != 0)
				abort();
			break;
		}
		if (used == 0)
			break;
		off += used;
	}
	/* A server that got this far echoes part of the stream back; what
	 * it builds must decode (without crypto the plaintext is the wire). */
	if (s->role == NEP_ROLE_SERVER && s->state == NEP_ST_READY) {
		uint8_t *buf = malloc(NEP_MSG_MAX);
		size_t plen = n > 200 ? 200 : n;
		int k = buf ? nep_session_echo(s, d, plen, buf, NEP_MSG_MAX,
					       NULL) : -1;
		struct nep_msg m;

		if (k > 0 && !s->crypto &&
		    (nep_decode(buf, (size_t)k, &m) != 0 ||
		     m.u.echo.plen != plen ||
		     memcmp(m.u.echo.packet, d, plen) != 0))
			abort();
		free(buf);
	}
	free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < FUZZ_HDR) {
		fuzz_decoders(data, size);
		return 0;
	}
	fuzz_decoders(data + FUZZ_HDR, size - FUZZ_HDR);
	fuzz_session(data, data + FUZZ_HDR, size - FUZZ_HDR);
	return 0;
}
