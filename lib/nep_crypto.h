/*
 * nep_crypto - the cryptography of the Nping Echo Protocol: key derivation
 * from the passphrase and the two nonces, AES-128-CBC without padding and
 * HMAC-SHA256 keyed with 16 bytes, all through OpenSSL 3's EVP interfaces.
 * libcrypto is loaded at run time by nep_crypto_open (lib/dynlib.h says
 * why); every function that needs it takes the handle that returns.
 */
#ifndef ECHOLOT_NEP_CRYPTO_H
#define ECHOLOT_NEP_CRYPTO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NEP_KEY_LEN 16
#define NEP_NONCE_LEN 32
#define NEP_MAC_LEN 32
#define NEP_BLOCK_LEN 16
/* nping keeps at most 1023 bytes of passphrase; longer ones overflow it. */
#define NEP_PASS_MAX 1023

/* The five keys of a session (all 16 bytes, the HMAC keys too). */
struct nep_keys {
	uint8_t mac_s2c_initial[NEP_KEY_LEN];
	uint8_t mac_s2c[NEP_KEY_LEN];
	uint8_t mac_c2s[NEP_KEY_LEN];
	uint8_t cipher_c2s[NEP_KEY_LEN];
	uint8_t cipher_s2c[NEP_KEY_LEN];
};

/* libcrypto's functions, resolved by nep_crypto_open. */
struct nep_crypto;

/* Loads libcrypto. Returns the handle, or NULL with "cannot load
 * libcrypto.so.3: reason" in err. */
struct nep_crypto *nep_crypto_open(char *err, size_t errlen);

void nep_crypto_close(struct nep_crypto *k);

/*
 * SHA-256(pass || ns || nc-or-zeros || label), hashed 1000 more times; the
 * full 32 bytes go to out (a key is its first 16). nc NULL means 32 zero
 * bytes. Returns 0 or -1 (OpenSSL failure, passphrase too long).
 */
int nep_kdf(const struct nep_crypto *k, const uint8_t *pass, size_t passlen,
	    const uint8_t ns[NEP_NONCE_LEN], const uint8_t *nc,
	    const char *label, uint8_t out[32]);

/* Only the key the client needs to check NEP_HANDSHAKE_SERVER. */
int nep_keys_initial(const struct nep_crypto *k, const uint8_t *pass,
		     size_t passlen, const uint8_t ns[NEP_NONCE_LEN],
		     struct nep_keys *keys);

/* The four session keys (needs the client nonce). */
int nep_keys_session(const struct nep_crypto *k, const uint8_t *pass,
		     size_t passlen, const uint8_t ns[NEP_NONCE_LEN],
		     const uint8_t nc[NEP_NONCE_LEN], struct nep_keys *keys);

/*
 * AES-128-CBC over len bytes (a multiple of 16, may be 0), in and out may
 * be the same buffer. iv is not changed. Returns 0 or -1.
 */
int nep_aes_cbc(const struct nep_crypto *k, const uint8_t key[NEP_KEY_LEN],
		const uint8_t iv[NEP_BLOCK_LEN], bool encrypt,
		const uint8_t *in, uint8_t *out, size_t len);

/* HMAC-SHA256 with a 16-byte key. Returns 0 or -1. */
int nep_hmac(const struct nep_crypto *k, const uint8_t key[NEP_KEY_LEN],
	     const uint8_t *buf, size_t len, uint8_t out[NEP_MAC_LEN]);

/* Constant-time comparison of two MACs (false without k). */
bool nep_mac_equal(const struct nep_crypto *k, const uint8_t a[NEP_MAC_LEN],
		   const uint8_t b[NEP_MAC_LEN]);

/* Cryptographically random bytes from the kernel (getrandom), so nonces
 * need no libcrypto (--no-crypto sessions do not load it). 0 or -1. */
int nep_random(uint8_t *buf, size_t len);

#endif
