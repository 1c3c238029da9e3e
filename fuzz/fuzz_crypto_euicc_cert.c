/* libFuzzer target for the eUICC certificate fast path (src/crypto/x509.c).
 *
 * Each input is tried twice under the SGP.26 NIST EUM and CI: as a whole CERT.EUICC, and as
 * the TBSCertificate of one, signed here with the EUM's published private key. A change to
 * a signed certificate breaks the EUM's signature, which both paths refuse, so only the
 * second form reaches the checks after the signature (the subject, the extensions, the key,
 * the validity); the seed corpus holds the SGP.26 eUICC certificate and its TBS. For each:
 *  - orsp_rsp_euicc_fast_accept() answers ORSP_OK or ORSP_E_NOT_FOUND, nothing else;
 *  - when it accepts, the full path (orsp_cert_parse + orsp_rsp_verify_euicc_chain +
 *    orsp_cert_public_key) accepts too, with the same EID and the same key: the fast path
 *    may leave a certificate to the full path, never accept one the full path refuses;
 *  - orsp_rsp_verify_euicc_chain_untimed() (an eUICC's check of its own identity) answers
 *    as the full path does unless a validity period was what the full path refused, and
 *    accepts whatever the full path accepts, with the same EID;
 *  - orsp_cert_crl_urls() gives only URLs orsp_cert_crl_url_ok takes, on any certificate
 *    that parses;
 *  - orsp_cert_der_public_key() never crashes; when the full path accepts, it gives the
 *    same key (an SM-DP+ reads the session's CERT.EUICC key with it later).
 * A fixed verification time. The signature's nonce is random (OpenSSL 3.0 has no RFC 6979
 * signing), which none of the checks depends on: both paths verify the same signature.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include "openrsp/crypto.h"
#include "sgp26_certs.h"
#include "sign_tbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TBS_MAX 4096

static orsp_ci_store *cis;
static orsp_cert *eum;
static EVP_PKEY *eum_key;

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void setup(void)
{
	orsp_cert *ci = NULL;
	BIO *b = BIO_new_mem_buf(sk_eum_ecdsa_nist_pem, (int)strlen(sk_eum_ecdsa_nist_pem));

	check(orsp_cert_parse(cert_ci_ecdsa_nist, sizeof(cert_ci_ecdsa_nist), &ci) == ORSP_OK);
	check(orsp_ci_store_new(&cis) == ORSP_OK);
	check(orsp_ci_store_add(cis, ci) == ORSP_OK);
	orsp_cert_free(ci);
	check(orsp_cert_parse(cert_eum_ecdsa_nist, sizeof(cert_eum_ecdsa_nist), &eum) == ORSP_OK);
	check(b != NULL);
	eum_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	check(eum_key != NULL);
}

static void same_key(const orsp_ec_key *a, const orsp_ec_key *b)
{
	uint8_t pa[ORSP_EC_POINT_LEN], pb[ORSP_EC_POINT_LEN];
	check(orsp_ec_curve(a) == orsp_ec_curve(b));
	check(orsp_ec_public_point(a, pa) == ORSP_OK && orsp_ec_public_point(b, pb) == ORSP_OK);
	check(memcmp(pa, pb, sizeof(pa)) == 0);
}

/* orsp_cert_crl_urls on any certificate that parses: URLs only as orsp_cert_crl_url_ok takes
 * them, within max, or none with NOT_FOUND / MALFORMED. */
static void check_crl_urls(const orsp_cert *u)
{
	static char urls[2][ORSP_CERT_URL_MAX + 1];
	size_t n = 99;
	orsp_err e = orsp_cert_crl_urls(u, urls, 2, &n);

	check(e == ORSP_OK || e == ORSP_E_NOT_FOUND || e == ORSP_E_MALFORMED);
	check(e == ORSP_OK ? n >= 1 && n <= 2 : n == 0);
	for (size_t i = 0; e == ORSP_OK && i < n; i++)
		check(strlen(urls[i]) <= ORSP_CERT_URL_MAX && orsp_cert_crl_url_ok(urls[i]));
}

static void check_cert(const uint8_t *data, size_t size)
{
	const time_t now = 1893456000; /* 2030-01-01 */
	char e1[33] = "", e2[33] = "", e3[33] = "";
	orsp_chain_fault f = {ORSP_CHAIN_CERT_NONE, ORSP_CHAIN_OK};
	orsp_ec_key *fast_key = NULL, *der_key = NULL, *full_key = NULL;
	orsp_cert *u = NULL;
	orsp_err fast, d, full = ORSP_E_MALFORMED;

	fast = orsp_rsp_euicc_fast_accept(cis, eum, data, size, now, e1, &fast_key);
	check(fast == ORSP_OK || fast == ORSP_E_NOT_FOUND);
	check(fast == ORSP_OK ? fast_key != NULL : fast_key == NULL);
	d = orsp_cert_der_public_key(data, size, &der_key);
	check(d == ORSP_OK ? der_key != NULL : der_key == NULL);
	if (orsp_cert_parse(data, size, &u) == ORSP_OK) {
		full = orsp_rsp_verify_euicc_chain_fault(cis, eum, u, now, e2, &f);
		check(orsp_rsp_verify_euicc_chain_untimed(cis, eum, u, e3) == full ||
		      f.why == ORSP_CHAIN_EXPIRED || f.why == ORSP_CHAIN_NOT_YET_VALID);
		check(full != ORSP_OK || strcmp(e2, e3) == 0);
		check_crl_urls(u);
	}
	if (fast == ORSP_OK) {
		check(full == ORSP_OK);
		check(strcmp(e1, e2) == 0);
	}
	if (full == ORSP_OK) {
		check(orsp_cert_public_key(u, &full_key) == ORSP_OK);
		if (fast == ORSP_OK)
			same_key(fast_key, full_key);
		check(d == ORSP_OK);
		same_key(der_key, full_key);
	}
	orsp_err_clear();
	orsp_ec_free(full_key);
	orsp_ec_free(der_key);
	orsp_ec_free(fast_key);
	orsp_cert_free(u);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t cert[TBS_MAX + 128];

	if (!cis)
		setup();
	check_cert(data, size);
	/* only a SEQUENCE can be a TBSCertificate: not worth a signature otherwise */
	if (size >= 2 && size <= TBS_MAX && data[0] == 0x30)
		check_cert(cert, sign_tbs(eum_key, data, size, cert));
	return 0;
}
