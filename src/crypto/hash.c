/* SHA-256, HMAC-SHA-256 and AES-CMAC through OpenSSL. */
#include <openssl/evp.h>

#include "openrsp/crypto.h"

orsp_err orsp_sha256(const void *data, size_t n, uint8_t out[ORSP_SHA256_LEN])
{
	unsigned int len = 0;
	if (EVP_Digest(data, n, out, &len, EVP_sha256(), NULL) != 1 || len != ORSP_SHA256_LEN)
		return orsp_errf(ORSP_E_CRYPTO, "SHA-256 failed");
	return ORSP_OK;
}

orsp_err orsp_hmac_sha256(const uint8_t *key, size_t key_len, const void *data, size_t n,
                          uint8_t out[ORSP_SHA256_LEN])
{
	size_t len = 0;
	if (!EVP_Q_mac(NULL, "HMAC", NULL, "SHA256", NULL, key, key_len, data, n, out,
	               ORSP_SHA256_LEN, &len) ||
	    len != ORSP_SHA256_LEN)
		return orsp_errf(ORSP_E_CRYPTO, "HMAC-SHA-256 failed");
	return ORSP_OK;
}

orsp_err orsp_aes_cmac(const uint8_t *key, size_t key_len, const void *data, size_t n, uint8_t out[16])
{
	const char *cipher = key_len == 16 ? "AES-128-CBC" : key_len == 32 ? "AES-256-CBC" : NULL;
	size_t len = 0;
	if (!cipher)
		return orsp_errf(ORSP_E_USAGE, "CMAC key must be 16 or 32 bytes, not %zu", key_len);
	if (!EVP_Q_mac(NULL, "CMAC", NULL, cipher, NULL, key, key_len, data, n, out, 16, &len) ||
	    len != 16)
		return orsp_errf(ORSP_E_CRYPTO, "AES-CMAC failed");
	return ORSP_OK;
}
