/* Key derivation: the 3GPP generic KDF (TS 33.220 Annex B.2) and ANSI X9.63 with SHA-256. */
#include <openssl/evp.h>
#include <string.h>

#include "ec_internal.h"
#include "openrsp/crypto.h"

/* S = FC || P0 || L0 || P1 || L1 ...; output HMAC-SHA-256(Key, S) (TS 33.220 B.2.0). */
orsp_err orsp_kdf_3gpp(const uint8_t *key, size_t key_len, uint8_t fc, const orsp_kdf_param *params,
                       size_t nparams, uint8_t out[ORSP_SHA256_LEN])
{
	size_t total = 1;
	for (size_t i = 0; i < nparams; i++) {
		if (params[i].len > 0xffff)
			return orsp_errf(ORSP_E_USAGE, "KDF parameter P%zu longer than 65535 bytes", i);
		total += params[i].len + 2;
	}
	uint8_t stackbuf[512];
	uint8_t *s = stackbuf;
	if (total > sizeof(stackbuf))
		return orsp_errf(ORSP_E_USAGE, "KDF input S of %zu bytes too long", total);
	orsp_writer w;
	orsp_writer_init(&w, s, sizeof(stackbuf));
	orsp_write_u8(&w, fc);
	for (size_t i = 0; i < nparams; i++) {
		orsp_write_bytes(&w, params[i].p, params[i].len);
		orsp_write_be16(&w, (uint16_t)params[i].len);
	}
	orsp_err e = orsp_writer_status(&w);
	if (e == ORSP_OK)
		e = orsp_hmac_sha256(key, key_len, s, w.len, out);
	orsp_wipe(stackbuf, sizeof(stackbuf)); /* S may contain RES or other secrets */
	return e;
}

/* ANSI X9.63 §3.6.1: K = H(Z || Counter || SharedInfo) || ..., 32-bit counter from 1. */
orsp_err orsp_kdf_x963_sha256(const uint8_t *z, size_t z_len, const uint8_t *info, size_t info_len,
                              uint8_t *out, size_t out_len)
{
	orsp_err err = ORSP_OK;
	uint8_t block[ORSP_SHA256_LEN], *out0 = out;
	size_t len0 = out_len;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	if (!ctx)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	for (uint32_t counter = 1; out_len > 0; counter++) {
		uint8_t c[4] = {(uint8_t)(counter >> 24), (uint8_t)(counter >> 16), (uint8_t)(counter >> 8),
		                (uint8_t)counter};
		if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1 || EVP_DigestUpdate(ctx, z, z_len) != 1 ||
		    EVP_DigestUpdate(ctx, c, 4) != 1 ||
		    (info_len && EVP_DigestUpdate(ctx, info, info_len) != 1) ||
		    EVP_DigestFinal_ex(ctx, block, NULL) != 1) {
			err = orsp__ossl_fail(ORSP_E_CRYPTO, "X9.63 KDF hash failed");
			break;
		}
		size_t take = out_len < sizeof(block) ? out_len : sizeof(block);
		memcpy(out, block, take);
		out += take;
		out_len -= take;
	}
	orsp_wipe(block, sizeof(block));
	if (err) /* no key material left behind: the blocks made before the failure */
		orsp_wipe(out0, len0);
	EVP_MD_CTX_free(ctx);
	return err;
}
