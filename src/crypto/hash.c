/* SHA-256, HMAC-SHA-256 and AES-CMAC through OpenSSL. The digest and the MACs are fetched
 * once (OpenSSL 3 otherwise looks them up by name, in a locked table, on every call). */
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "ec_internal.h"
#include "openrsp/crypto.h"

static EVP_MD *sha256_md;
static EVP_MAC *hmac_mac, *cmac_mac;
static void *_Atomic fetched_slot; /* sha256_md: the three fetched, once set */
static pthread_mutex_t fetch_mu = PTHREAD_MUTEX_INITIALIZER;

void *orsp__lazy(void *_Atomic *slot, pthread_mutex_t *mu, void *(*make)(const void *arg),
                 const void *arg)
{
	void *p = atomic_load_explicit(slot, memory_order_acquire);

	if (p)
		return p;
	pthread_mutex_lock(mu);
	p = atomic_load_explicit(slot, memory_order_relaxed);
	if (!p && (p = make(arg)) != NULL)
		atomic_store_explicit(slot, p, memory_order_release);
	pthread_mutex_unlock(mu);
	return p;
}

/* The three, or none (what was fetched freed): tried again at the next call. */
static void *fetch_algs(const void *arg)
{
	(void)arg;
	EVP_MD *md = EVP_MD_fetch(NULL, "SHA256", NULL);
	EVP_MAC *h = EVP_MAC_fetch(NULL, "HMAC", NULL), *c = EVP_MAC_fetch(NULL, "CMAC", NULL);

	if (!md || !h || !c) {
		EVP_MD_free(md);
		EVP_MAC_free(h);
		EVP_MAC_free(c);
		ERR_clear_error();
		return NULL;
	}
	hmac_mac = h;
	cmac_mac = c;
	sha256_md = md;
	return md;
}

static bool fetched(void)
{
	return orsp__lazy(&fetched_slot, &fetch_mu, fetch_algs, NULL) != NULL;
}

orsp_err orsp_sha256(const void *data, size_t n, uint8_t out[ORSP_SHA256_LEN])
{
	unsigned int len = 0;
	if (!fetched() || EVP_Digest(data, n, out, &len, sha256_md, NULL) != 1 ||
	    len != ORSP_SHA256_LEN)
		return orsp__ossl_fail(ORSP_E_CRYPTO, "SHA-256 failed");
	return ORSP_OK;
}

/* One MAC under a key: init with params, update, final; ctx freed (and cleared) here. */
static bool mac_once(EVP_MAC *mac, const OSSL_PARAM *params, const uint8_t *key, size_t key_len,
                     const void *data, size_t n, uint8_t *out, size_t out_len)
{
	EVP_MAC_CTX *ctx = EVP_MAC_CTX_new(mac);
	size_t len = 0;
	bool ok = ctx && EVP_MAC_init(ctx, key, key_len, params) == 1 &&
	          EVP_MAC_update(ctx, data, n) == 1 && EVP_MAC_final(ctx, out, &len, out_len) == 1 &&
	          len == out_len;
	EVP_MAC_CTX_free(ctx);
	return ok;
}

orsp_err orsp_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t n,
                          uint8_t out[ORSP_SHA256_LEN])
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end()};
	if (!fetched() || !mac_once(hmac_mac, params, key, key_len, data, n, out, ORSP_SHA256_LEN))
		return orsp__ossl_fail(ORSP_E_CRYPTO, "HMAC-SHA-256 failed");
	return ORSP_OK;
}

/* The CMAC cipher for a key length, as the parameter OpenSSL takes; false for another. */
static bool cmac_params(size_t key_len, char name[12], OSSL_PARAM params[2])
{
	if (key_len != 16 && key_len != 32)
		return false;
	memcpy(name, key_len == 16 ? "AES-128-CBC" : "AES-256-CBC", 12);
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_CIPHER, name, 0);
	params[1] = OSSL_PARAM_construct_end();
	return true;
}

orsp_err orsp_aes_cmac(const uint8_t *key, size_t key_len, const void *data, size_t n, uint8_t out[16])
{
	char name[12];
	OSSL_PARAM params[2];
	if (!cmac_params(key_len, name, params))
		return orsp_errf(ORSP_E_USAGE, "CMAC key must be 16 or 32 bytes, not %zu", key_len);
	if (!fetched() || !mac_once(cmac_mac, params, key, key_len, data, n, out, 16))
		return orsp__ossl_fail(ORSP_E_CRYPTO, "AES-CMAC failed");
	return ORSP_OK;
}

struct orsp_aes_cmac_key {
	EVP_MAC_CTX *ctx; /* keyed once; each MAC restarts it with the same key */
};

orsp_aes_cmac_key *orsp_aes_cmac_key_new(const uint8_t *key, size_t key_len)
{
	char name[12];
	OSSL_PARAM params[2];
	orsp_aes_cmac_key *k;

	if (!cmac_params(key_len, name, params) || !key || !fetched() ||
	    !(k = calloc(1, sizeof(*k))))
		return NULL;
	k->ctx = EVP_MAC_CTX_new(cmac_mac);
	if (!k->ctx || EVP_MAC_init(k->ctx, key, key_len, params) != 1) {
		orsp_aes_cmac_key_free(k);
		return NULL;
	}
	return k;
}

orsp_err orsp_aes_cmac_key_mac(orsp_aes_cmac_key *k, const void *data, size_t n, uint8_t out[16])
{
	size_t len = 0;
	if (!k || (!data && n))
		return orsp_errf(ORSP_E_USAGE, "AES-CMAC: NULL argument");
	/* A NULL key restarts the computation under the key already set. */
	if (EVP_MAC_init(k->ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(k->ctx, data, n) != 1 ||
	    EVP_MAC_final(k->ctx, out, &len, 16) != 1 || len != 16)
		return orsp__ossl_fail(ORSP_E_CRYPTO, "AES-CMAC failed");
	return ORSP_OK;
}

void orsp_aes_cmac_key_free(orsp_aes_cmac_key *k)
{
	if (!k)
		return;
	EVP_MAC_CTX_free(k->ctx); /* clears the key schedule */
	free(k);
}

struct orsp_hmac_key {
	EVP_MAC_CTX *ctx; /* keyed once; each MAC restarts it with the same key */
};

orsp_hmac_key *orsp_hmac_key_new(const uint8_t *key, size_t key_len)
{
	OSSL_PARAM params[] = {
	    OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, (char *)"SHA256", 0),
	    OSSL_PARAM_construct_end()};
	orsp_hmac_key *k;

	if (!key || key_len == 0 || !fetched() || !(k = calloc(1, sizeof(*k))))
		return NULL;
	k->ctx = EVP_MAC_CTX_new(hmac_mac);
	if (!k->ctx || EVP_MAC_init(k->ctx, key, key_len, params) != 1) {
		orsp_hmac_key_free(k);
		return NULL;
	}
	return k;
}

orsp_err orsp_hmac_key_mac(orsp_hmac_key *k, const void *data, size_t n,
                           uint8_t out[ORSP_SHA256_LEN])
{
	size_t len = 0;
	if (!k || !out || (!data && n))
		return orsp_errf(ORSP_E_USAGE, "HMAC-SHA-256: NULL argument");
	/* A NULL key restarts the computation under the key already set. */
	if (EVP_MAC_init(k->ctx, NULL, 0, NULL) != 1 || EVP_MAC_update(k->ctx, data, n) != 1 ||
	    EVP_MAC_final(k->ctx, out, &len, ORSP_SHA256_LEN) != 1 || len != ORSP_SHA256_LEN)
		return orsp__ossl_fail(ORSP_E_CRYPTO, "HMAC-SHA-256 failed");
	return ORSP_OK;
}

void orsp_hmac_key_free(orsp_hmac_key *k)
{
	if (!k)
		return;
	EVP_MAC_CTX_free(k->ctx); /* clears the key */
	free(k);
}
