/* For the fuzz targets that sign what the fuzzer gives (fuzz_crypto_euicc_cert.c,
 * fuzz_crypto_crl.c): wrap a TBS in the X.509 signed shape with a signature made here, so
 * that the checks behind the signature see the fuzzer's bytes. A certificate and a CRL have
 * the same outer shape: SEQUENCE { tbs, AlgorithmIdentifier, BIT STRING }. The caller
 * defines check(bool), aborting on false. */
#ifndef ORSP_FUZZ_SIGN_TBS_H
#define ORSP_FUZZ_SIGN_TBS_H

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>

static void check(bool ok);

/* A DER header for tag and length n at out; its length. */
static size_t header(uint8_t *out, uint8_t tag, size_t n)
{
	out[0] = tag;
	if (n < 0x80) {
		out[1] = (uint8_t)n;
		return 2;
	}
	if (n < 0x100) {
		out[1] = 0x81;
		out[2] = (uint8_t)n;
		return 3;
	}
	out[1] = 0x82;
	out[2] = (uint8_t)(n >> 8);
	out[3] = (uint8_t)n;
	return 4;
}

/* SEQUENCE { tbs, ecdsa-with-SHA256, BIT STRING { ECDSA-Sig-Value } } with key's signature
 * over tbs (n < 65536 - 128), into out (n + 128 bytes); its length. */
static size_t sign_tbs(EVP_PKEY *key, const uint8_t *tbs, size_t n, uint8_t *out)
{
	static const uint8_t alg[] = {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86,
	                              0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
	uint8_t sig[80];
	size_t sl = sizeof(sig), body, o;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	check(md != NULL);
	check(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key) == 1 &&
	      EVP_DigestSign(md, sig, &sl, tbs, n) == 1);
	EVP_MD_CTX_free(md);
	body = n + sizeof(alg) + 2 + 1 + sl; /* the BIT STRING: short header, unused bits */
	o = header(out, 0x30, body);
	memcpy(out + o, tbs, n);
	o += n;
	memcpy(out + o, alg, sizeof(alg));
	o += sizeof(alg);
	o += header(out + o, 0x03, 1 + sl);
	out[o++] = 0;
	memcpy(out + o, sig, sl);
	return o + sl;
}

#endif
