/* AES-ECB (keyed context), AES-CBC and AES-GCM through OpenSSL EVP. */
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "ec_internal.h"
#include "openrsp/crypto.h"

struct orsp_aes_ecb {
	EVP_CIPHER_CTX *ctx;
	size_t key_len;
};

/* OpenSSL 3 looks a cipher up by name (in a locked table) on every init unless it was
 * fetched explicitly: the ciphers are fetched once, so that keying a context (per subscriber
 * in the AuC, per segment of a BPP) costs only the key schedule. */
static void *_Atomic fetched[3][2]; /* EVP_CIPHER: [ECB, CBC, GCM][128, 256] */
static pthread_mutex_t fetch_mu = PTHREAD_MUTEX_INITIALIZER;

static void *fetch_cipher(const void *name)
{
	EVP_CIPHER *c = EVP_CIPHER_fetch(NULL, name, NULL);

	if (!c)
		ERR_clear_error();
	return c;
}

/* *out, the cipher of mode 0 ECB, 1 CBC, 2 GCM for key_len: ORSP_E_USAGE for another key
 * length, ORSP_E_RESOURCE when the fetch failed (out of memory: tried again at the next call;
 * it was reported as a key of the wrong length, for the process's life). */
static orsp_err aes_cipher(size_t key_len, int mode, const EVP_CIPHER **out)
{
	static const char *const names[3][2] = {{"AES-128-ECB", "AES-256-ECB"},
	                                        {"AES-128-CBC", "AES-256-CBC"},
	                                        {"AES-128-GCM", "AES-256-GCM"}};

	if (key_len != 16 && key_len != 32)
		return orsp_errf(ORSP_E_USAGE, "AES key must be 16 or 32 bytes, not %zu", key_len);
	*out = orsp__lazy(&fetched[mode][key_len == 32], &fetch_mu, fetch_cipher,
	                  names[mode][key_len == 32]);
	if (!*out)
		return orsp_errf(ORSP_E_RESOURCE, "cannot fetch %s from OpenSSL (out of memory?)",
		                 names[mode][key_len == 32]);
	return ORSP_OK;
}

orsp_err orsp_aes_ecb_rekey(orsp_aes_ecb *c, const uint8_t *key, size_t key_len)
{
	const EVP_CIPHER *cipher = NULL;
	orsp_err e;
	if (!c || !key)
		return orsp_errf(ORSP_E_USAGE, "AES: no key");
	if ((e = aes_cipher(key_len, 0, &cipher)))
		return e;
	/* Same key size: keep the cipher, only run the key schedule again. */
	if (EVP_EncryptInit_ex(c->ctx, c->key_len == key_len ? NULL : cipher, NULL, key, NULL) !=
	        1 ||
	    EVP_CIPHER_CTX_set_padding(c->ctx, 0) != 1) {
		/* the context's cipher is unknown now: the next rekey sets it again */
		c->key_len = 0;
		return orsp__ossl_fail(ORSP_E_CRYPTO, "AES key setup failed");
	}
	c->key_len = key_len;
	return ORSP_OK;
}

orsp_aes_ecb *orsp_aes_ecb_new(const uint8_t *key, size_t key_len)
{
	orsp_aes_ecb *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->ctx = EVP_CIPHER_CTX_new();
	if (!c->ctx || orsp_aes_ecb_rekey(c, key, key_len) != ORSP_OK) {
		orsp_aes_ecb_free(c);
		return NULL;
	}
	return c;
}

orsp_err orsp_aes_ecb_encrypt(orsp_aes_ecb *c, const uint8_t *in, uint8_t *out, size_t nblocks)
{
	int outl = 0;
	if (nblocks > (size_t)INT32_MAX / 16)
		return orsp_errf(ORSP_E_USAGE, "too many AES blocks in one call");
	if (EVP_EncryptUpdate(c->ctx, out, &outl, in, (int)(nblocks * 16)) != 1 ||
	    (size_t)outl != nblocks * 16)
		return orsp__ossl_fail(ORSP_E_CRYPTO, "AES-ECB encryption failed");
	return ORSP_OK;
}

void orsp_aes_ecb_free(orsp_aes_ecb *c)
{
	if (!c)
		return;
	EVP_CIPHER_CTX_free(c->ctx); /* clears the key schedule */
	orsp_wipe(c, sizeof(*c));
	free(c);
}

/* One-shot cipher without padding over whole blocks: ECB (mode 0) or CBC (mode 1). */
static orsp_err aes_oneshot(int mode, int enc, const uint8_t *key, size_t key_len, const uint8_t *iv,
                            const uint8_t *in, size_t n, uint8_t *out)
{
	const EVP_CIPHER *cipher = NULL;
	orsp_err e;
	if (!key || (mode == 1 && !iv) || (n && (!in || !out)))
		return orsp_errf(ORSP_E_USAGE, "AES: key, IV, input or output missing");
	if ((e = aes_cipher(key_len, mode, &cipher)))
		return e;
	if (n % 16 || n > INT32_MAX)
		return orsp_errf(ORSP_E_USAGE, "AES input of %zu bytes is not whole blocks", n);
	orsp_err err = ORSP_E_CRYPTO;
	int outl = 0;
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_CipherInit_ex(ctx, cipher, NULL, key, iv, enc) != 1 ||
	    EVP_CIPHER_CTX_set_padding(ctx, 0) != 1 ||
	    EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1 || (size_t)outl != n)
		goto out;
	err = ORSP_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	return err == ORSP_OK ? err : orsp__ossl_fail(err, "AES operation failed");
}

orsp_err orsp_aes_ecb_decrypt_once(const uint8_t *key, size_t key_len, const uint8_t *in,
                                   uint8_t *out, size_t nblocks)
{
	/* bounded before the multiplication, which could wrap */
	if (nblocks > (size_t)INT32_MAX / 16)
		return orsp_errf(ORSP_E_USAGE, "too many AES blocks in one call");
	return aes_oneshot(0, 0, key, key_len, NULL, in, nblocks * 16, out);
}

orsp_err orsp_aes_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                              const uint8_t *in, size_t n, uint8_t *out)
{
	return aes_oneshot(1, 1, key, key_len, iv, in, n, out);
}

orsp_err orsp_aes_cbc_decrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                              const uint8_t *in, size_t n, uint8_t *out)
{
	return aes_oneshot(1, 0, key, key_len, iv, in, n, out);
}

/* AES-GCM, 12-byte IV, 16-byte tag (NIST SP 800-38D). */
static orsp_err aes_gcm(int enc, const uint8_t *key, size_t key_len, const uint8_t iv[12],
                        const void *aad, size_t aad_len, const uint8_t *in, size_t n, uint8_t *out,
                        uint8_t tag[16])
{
	const EVP_CIPHER *cipher = NULL;
	orsp_err e;
	/* OpenSSL takes a NULL IV as "draw one" (lost to the caller) and a NULL output as
	 * "this is AAD" (no ciphertext, yet success): both refused here. */
	if (!key || !iv || !tag || (aad_len && !aad) || (n && (!in || !out)))
		return orsp_errf(ORSP_E_USAGE, "AES-GCM: key, IV, tag, input or output missing");
	if ((e = aes_cipher(key_len, 2, &cipher)))
		return e;
	if (n > INT32_MAX || aad_len > INT32_MAX)
		return orsp_errf(ORSP_E_USAGE, "AES-GCM input too long");
	orsp_err err = ORSP_E_CRYPTO;
	int outl = 0, finl = 0;
	uint8_t fin[16];
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	if (!ctx || EVP_CipherInit_ex(ctx, cipher, NULL, NULL, NULL, enc) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
	    EVP_CipherInit_ex(ctx, NULL, NULL, key, iv, enc) != 1)
		goto out;
	if (aad_len && EVP_CipherUpdate(ctx, NULL, &outl, aad, (int)aad_len) != 1)
		goto out;
	if (n && EVP_CipherUpdate(ctx, out, &outl, in, (int)n) != 1)
		goto out;
	if (!enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) != 1)
		goto out;
	/* GCM writes nothing at the end (a stream mode); out may be NULL for empty input. */
	if (EVP_CipherFinal_ex(ctx, fin, &finl) != 1) {
		err = enc ? ORSP_E_CRYPTO : ORSP_E_VERIFY;
		goto out;
	}
	if (enc && EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, tag) != 1)
		goto out;
	err = ORSP_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	/* a decryption that failed, at the tag or before it, leaves no plaintext behind */
	if (!enc && err != ORSP_OK && n)
		orsp_wipe(out, n);
	if (err == ORSP_E_VERIFY)
		return orsp__ossl_fail(err, "AES-GCM authentication tag mismatch");
	return err == ORSP_OK ? err : orsp__ossl_fail(err, "AES-GCM operation failed");
}

orsp_err orsp_aes_gcm_seal(const uint8_t *key, size_t key_len, const uint8_t iv[12], const void *aad,
                           size_t aad_len, const uint8_t *in, size_t n, uint8_t *out, uint8_t tag[16])
{
	return aes_gcm(1, key, key_len, iv, aad, aad_len, in, n, out, tag);
}

orsp_err orsp_aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t iv[12], const void *aad,
                           size_t aad_len, const uint8_t *in, size_t n, const uint8_t tag[16],
                           uint8_t *out)
{
	uint8_t t[16];
	if (!tag)
		return orsp_errf(ORSP_E_USAGE, "AES-GCM: tag missing");
	memcpy(t, tag, 16);
	orsp_err e = aes_gcm(0, key, key_len, iv, aad, aad_len, in, n, out, t);
	return e;
}
