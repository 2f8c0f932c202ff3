/*
 * nep_crypto - NEP key derivation, AES-128-CBC and HMAC-SHA256.
 */
#include "config.h"

#include "nep_crypto.h"

#include <errno.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "dynlib.h"

/* Every libcrypto function we call, each once: the list makes both the
 * members of struct nep_crypto (typed from the OpenSSL headers) and the
 * names that dynlib resolves, so the two cannot disagree. */
/* clang-format off */
#define NEP_CRYPTO_FUNCS(X)                                                 \
	X(EVP_MD_fetch) X(EVP_MD_free) X(EVP_MD_CTX_new) X(EVP_MD_CTX_free) \
	X(EVP_DigestInit_ex2) X(EVP_DigestUpdate) X(EVP_DigestFinal_ex)     \
	X(EVP_CIPHER_CTX_new) X(EVP_CIPHER_CTX_free) X(EVP_CipherInit_ex)   \
	X(EVP_aes_128_cbc) X(EVP_CIPHER_CTX_set_padding) X(EVP_CipherUpdate) \
	X(EVP_CipherFinal_ex) X(EVP_Q_mac) X(CRYPTO_memcmp)
/* clang-format on */

struct nep_crypto {
	void *dl;
#define NEP_CRYPTO_MEMBER(fn) __typeof__(fn) *fn;
	NEP_CRYPTO_FUNCS(NEP_CRYPTO_MEMBER)
#undef NEP_CRYPTO_MEMBER
};
_Static_assert(offsetof(struct nep_crypto, dl) == 0,
	       "dynlib_table_open keeps the handle first");

static const struct dynlib_sym nep_crypto_syms[] = {
#define NEP_CRYPTO_SYM(fn) DYNLIB_SYM(struct nep_crypto, fn),
	NEP_CRYPTO_FUNCS(NEP_CRYPTO_SYM)
#undef NEP_CRYPTO_SYM
};

/* configure's soname first (read from a program linked with libcrypto). */
static const char *const nep_crypto_sonames[] = {
	ECHOLOT_CRYPTO_SONAME, "libcrypto.so.3", "libcrypto.so", NULL};

/* OpenSSL reads its configuration and loads its provider on first use:
 * done here, so a session's first message does not wait for it. A failure
 * shows again, as an error, where the session uses the function. */
static void nep_crypto_warm(const struct nep_crypto *k)
{
	static const uint8_t key[NEP_KEY_LEN];
	uint8_t mac[NEP_MAC_LEN];

	(void)nep_hmac(k, key, key, sizeof(key), mac);
}

struct nep_crypto *nep_crypto_open(char *err, size_t errlen)
{
	struct nep_crypto *k = dynlib_table_open(
		nep_crypto_sonames, nep_crypto_syms,
		sizeof(nep_crypto_syms) / sizeof(nep_crypto_syms[0]),
		sizeof(struct nep_crypto), err, errlen);

	if (k)
		nep_crypto_warm(k);
	return k;
}

void nep_crypto_close(struct nep_crypto *k)
{
	dynlib_table_close(k);
}

/* The labels nping hashes into each key (ASCII, no terminator). */
static const char nep_label_mac_s2c_initial[] =
	"NEPkeyforMACServer2ClientInitial";
static const char nep_label_mac_s2c[] = "NEPkeyforMACServer2Client";
static const char nep_label_mac_c2s[] = "NEPkeyforMACClient2Server";
static const char nep_label_cipher_c2s[] = "NEPkeyforCiphertextClient2Server";
static const char nep_label_cipher_s2c[] = "NEPkeyforCiphertextServer2Client";

#define NEP_KDF_ROUNDS 1000

int nep_kdf(const struct nep_crypto *k, const uint8_t *pass, size_t passlen,
	    const uint8_t ns[NEP_NONCE_LEN], const uint8_t *nc,
	    const char *label, uint8_t out[32])
{
	static const uint8_t zeros[NEP_NONCE_LEN];
	EVP_MD_CTX *ctx;
	EVP_MD *md;
	unsigned int n = 0;
	int ok, i;

	if (!k || passlen > NEP_PASS_MAX || (passlen && !pass))
		return -1;
	/* One explicit fetch: 1001 implicit ones (EVP_sha256() in every
	 * Init) cost OpenSSL 3 more than the hashing itself. */
	md = k->EVP_MD_fetch(NULL, "SHA256", NULL);
	ctx = k->EVP_MD_CTX_new();
	ok = md && ctx && k->EVP_DigestInit_ex2(ctx, md, NULL) &&
	     k->EVP_DigestUpdate(ctx, pass, passlen) &&
	     k->EVP_DigestUpdate(ctx, ns, NEP_NONCE_LEN) &&
	     k->EVP_DigestUpdate(ctx, nc ? nc : zeros, NEP_NONCE_LEN) &&
	     k->EVP_DigestUpdate(ctx, label, strlen(label)) &&
	     k->EVP_DigestFinal_ex(ctx, out, &n) && n == 32;
	for (i = 0; ok && i < NEP_KDF_ROUNDS; i++)
		ok = k->EVP_DigestInit_ex2(ctx, NULL, NULL) &&
		     k->EVP_DigestUpdate(ctx, out, 32) &&
		     k->EVP_DigestFinal_ex(ctx, out, &n);
	k->EVP_MD_CTX_free(ctx);
	k->EVP_MD_free(md);
	return ok ? 0 : -1;
}

static int nep_kdf16(const struct nep_crypto *k, const uint8_t *pass,
		     size_t passlen, const uint8_t *ns, const uint8_t *nc,
		     const char *label, uint8_t key[16])
{
	uint8_t full[32];

	if (nep_kdf(k, pass, passlen, ns, nc, label, full) < 0)
		return -1;
	memcpy(key, full, NEP_KEY_LEN);
	return 0;
}

int nep_keys_initial(const struct nep_crypto *k, const uint8_t *pass,
		     size_t passlen, const uint8_t ns[NEP_NONCE_LEN],
		     struct nep_keys *keys)
{
	return nep_kdf16(k, pass, passlen, ns, NULL, nep_label_mac_s2c_initial,
			 keys->mac_s2c_initial);
}

int nep_keys_session(const struct nep_crypto *k, const uint8_t *pass,
		     size_t passlen, const uint8_t ns[NEP_NONCE_LEN],
		     const uint8_t nc[NEP_NONCE_LEN], struct nep_keys *keys)
{
	if (nep_kdf16(k, pass, passlen, ns, nc, nep_label_mac_s2c,
		      keys->mac_s2c) ||
	    nep_kdf16(k, pass, passlen, ns, nc, nep_label_mac_c2s,
		      keys->mac_c2s) ||
	    nep_kdf16(k, pass, passlen, ns, nc, nep_label_cipher_c2s,
		      keys->cipher_c2s) ||
	    nep_kdf16(k, pass, passlen, ns, nc, nep_label_cipher_s2c,
		      keys->cipher_s2c))
		return -1;
	return 0;
}

int nep_aes_cbc(const struct nep_crypto *k, const uint8_t key[NEP_KEY_LEN],
		const uint8_t iv[NEP_BLOCK_LEN], bool encrypt,
		const uint8_t *in, uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *ctx;
	int n1 = 0, n2 = 0, ok;

	if (!k || len % NEP_BLOCK_LEN || len > 0x7fffffff)
		return -1;
	if (len == 0)
		return 0;
	ctx = k->EVP_CIPHER_CTX_new();
	if (!ctx)
		return -1;
	/* The Init call resets the padding flag, so padding must be turned
	 * off after it: done the other way round (nping 7.93) every
	 * decryption loses its last block with OpenSSL 3. */
	ok = k->EVP_CipherInit_ex(ctx, k->EVP_aes_128_cbc(), NULL, key, iv,
				  encrypt ? 1 : 0) &&
	     k->EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     k->EVP_CipherUpdate(ctx, out, &n1, in, (int)len) &&
	     k->EVP_CipherFinal_ex(ctx, out + n1, &n2) &&
	     (size_t)(n1 + n2) == len;
	k->EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int nep_hmac(const struct nep_crypto *k, const uint8_t key[NEP_KEY_LEN],
	     const uint8_t *buf, size_t len, uint8_t out[NEP_MAC_LEN])
{
	size_t n = 0;

	if (!k ||
	    !k->EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, NEP_KEY_LEN,
			  buf, len, out, NEP_MAC_LEN, &n) ||
	    n != NEP_MAC_LEN)
		return -1;
	return 0;
}

bool nep_mac_equal(const struct nep_crypto *k, const uint8_t a[NEP_MAC_LEN],
		   const uint8_t b[NEP_MAC_LEN])
{
	return k && k->CRYPTO_memcmp(a, b, NEP_MAC_LEN) == 0;
}

int nep_random(uint8_t *buf, size_t len)
{
	size_t got = 0;
	ssize_t n;

	/* Up to 256 bytes come in one call; longer requests may come short
	 * or be interrupted by a signal. */
	while (got < len) {
		n = getrandom(buf + got, len - got, 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}
