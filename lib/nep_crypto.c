/*
 * nep_crypto - NEP key derivation, AES-128-CBC and HMAC-SHA256.
 */
#include "nep_crypto.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <string.h>

/* The labels nping hashes into each key (ASCII, no terminator). */
static const char nep_label_mac_s2c_initial[] =
	"NEPkeyforMACServer2ClientInitial";
static const char nep_label_mac_s2c[] = "NEPkeyforMACServer2Client";
static const char nep_label_mac_c2s[] = "NEPkeyforMACClient2Server";
static const char nep_label_cipher_c2s[] = "NEPkeyforCiphertextClient2Server";
static const char nep_label_cipher_s2c[] = "NEPkeyforCiphertextServer2Client";

#define NEP_KDF_ROUNDS 1000

int nep_kdf(const uint8_t *pass, size_t passlen,
	    const uint8_t ns[NEP_NONCE_LEN], const uint8_t *nc,
	    const char *label, uint8_t out[32])
{
	static const uint8_t zeros[NEP_NONCE_LEN];
	EVP_MD_CTX *ctx;
	EVP_MD *md;
	unsigned int n = 0;
	int ok, i;

	if (passlen > NEP_PASS_MAX || (passlen && !pass))
		return -1;
	/* One explicit fetch: 1001 implicit ones (EVP_sha256() in every
	 * Init) cost OpenSSL 3 more than the hashing itself. */
	md = EVP_MD_fetch(NULL, "SHA256", NULL);
	ctx = EVP_MD_CTX_new();
	ok = md && ctx && EVP_DigestInit_ex2(ctx, md, NULL) &&
	     EVP_DigestUpdate(ctx, pass, passlen) &&
	     EVP_DigestUpdate(ctx, ns, NEP_NONCE_LEN) &&
	     EVP_DigestUpdate(ctx, nc ? nc : zeros, NEP_NONCE_LEN) &&
	     EVP_DigestUpdate(ctx, label, strlen(label)) &&
	     EVP_DigestFinal_ex(ctx, out, &n) && n == 32;
	for (i = 0; ok && i < NEP_KDF_ROUNDS; i++)
		ok = EVP_DigestInit_ex2(ctx, NULL, NULL) &&
		     EVP_DigestUpdate(ctx, out, 32) &&
		     EVP_DigestFinal_ex(ctx, out, &n);
	EVP_MD_CTX_free(ctx);
	EVP_MD_free(md);
	return ok ? 0 : -1;
}

static int nep_kdf16(const uint8_t *pass, size_t passlen, const uint8_t *ns,
		     const uint8_t *nc, const char *label, uint8_t key[16])
{
	uint8_t full[32];

	if (nep_kdf(pass, passlen, ns, nc, label, full) < 0)
		return -1;
	memcpy(key, full, NEP_KEY_LEN);
	return 0;
}

int nep_keys_initial(const uint8_t *pass, size_t passlen,
		     const uint8_t ns[NEP_NONCE_LEN], struct nep_keys *k)
{
	return nep_kdf16(pass, passlen, ns, NULL, nep_label_mac_s2c_initial,
			 k->mac_s2c_initial);
}

int nep_keys_session(const uint8_t *pass, size_t passlen,
		     const uint8_t ns[NEP_NONCE_LEN],
		     const uint8_t nc[NEP_NONCE_LEN], struct nep_keys *k)
{
	if (nep_kdf16(pass, passlen, ns, nc, nep_label_mac_s2c, k->mac_s2c) ||
	    nep_kdf16(pass, passlen, ns, nc, nep_label_mac_c2s, k->mac_c2s) ||
	    nep_kdf16(pass, passlen, ns, nc, nep_label_cipher_c2s,
		      k->cipher_c2s) ||
	    nep_kdf16(pass, passlen, ns, nc, nep_label_cipher_s2c,
		      k->cipher_s2c))
		return -1;
	return 0;
}

int nep_aes_cbc(const uint8_t key[NEP_KEY_LEN], const uint8_t iv[NEP_BLOCK_LEN],
		bool encrypt, const uint8_t *in, uint8_t *out, size_t len)
{
	EVP_CIPHER_CTX *ctx;
	int n1 = 0, n2 = 0, ok;

	if (len % NEP_BLOCK_LEN || len > 0x7fffffff)
		return -1;
	if (len == 0)
		return 0;
	ctx = EVP_CIPHER_CTX_new();
	if (!ctx)
		return -1;
	/* The Init call resets the padding flag, so padding must be turned
	 * off after it: done the other way round (nping 7.93) every
	 * decryption loses its last block with OpenSSL 3. */
	ok = EVP_CipherInit_ex(ctx, EVP_aes_128_cbc(), NULL, key, iv,
			       encrypt ? 1 : 0) &&
	     EVP_CIPHER_CTX_set_padding(ctx, 0) &&
	     EVP_CipherUpdate(ctx, out, &n1, in, (int)len) &&
	     EVP_CipherFinal_ex(ctx, out + n1, &n2) &&
	     (size_t)(n1 + n2) == len;
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 0 : -1;
}

int nep_hmac(const uint8_t key[NEP_KEY_LEN], const uint8_t *buf, size_t len,
	     uint8_t out[NEP_MAC_LEN])
{
	size_t n = 0;

	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, NEP_KEY_LEN,
		       buf, len, out, NEP_MAC_LEN, &n) ||
	    n != NEP_MAC_LEN)
		return -1;
	return 0;
}

bool nep_mac_equal(const uint8_t a[NEP_MAC_LEN], const uint8_t b[NEP_MAC_LEN])
{
	return CRYPTO_memcmp(a, b, NEP_MAC_LEN) == 0;
}

int nep_random(uint8_t *buf, size_t len)
{
	if (len > 0x7fffffff)
		return -1;
	return RAND_bytes(buf, (int)len) == 1 ? 0 : -1;
}
