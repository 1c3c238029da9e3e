/* libFuzzer target for the eUICC certificate fast path (src/crypto/x509.c).
 *
 * For any input taken as a CERT.EUICC under the SGP.26 NIST EUM and CI:
 *  - orsp_rsp_euicc_fast_accept() answers ORSP_OK or ORSP_E_NOT_FOUND, nothing else;
 *  - when it accepts, the full path (orsp_cert_parse + orsp_rsp_verify_euicc_chain +
 *    orsp_cert_public_key) accepts too, with the same EID and the same key: the fast path
 *    may leave a certificate to the full path, never accept one the full path refuses;
 *  - orsp_cert_der_public_key() never crashes, and when the fast path accepted it gives
 *    the same key.
 * Deterministic: a fixed verification time, no randomness.
 */
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "openrsp/crypto.h"
#include "sgp26_certs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static orsp_ci_store *cis;
static orsp_cert *eum;

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void setup(void)
{
	orsp_cert *ci = NULL;
	check(orsp_cert_parse(cert_ci_ecdsa_nist, sizeof(cert_ci_ecdsa_nist), &ci) == ORSP_OK);
	check(orsp_ci_store_new(&cis) == ORSP_OK);
	check(orsp_ci_store_add(cis, ci) == ORSP_OK);
	orsp_cert_free(ci);
	check(orsp_cert_parse(cert_eum_ecdsa_nist, sizeof(cert_eum_ecdsa_nist), &eum) == ORSP_OK);
}

static void same_key(const orsp_ec_key *a, const orsp_ec_key *b)
{
	uint8_t pa[ORSP_EC_POINT_LEN], pb[ORSP_EC_POINT_LEN];
	check(orsp_ec_curve(a) == orsp_ec_curve(b));
	check(orsp_ec_public_point(a, pa) == ORSP_OK && orsp_ec_public_point(b, pb) == ORSP_OK);
	check(memcmp(pa, pb, sizeof(pa)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const time_t now = 1893456000; /* 2030-01-01 */
	char e1[33] = "", e2[33] = "";
	orsp_ec_key *fast_key = NULL, *der_key = NULL, *full_key = NULL;
	orsp_cert *u = NULL;
	orsp_err fast, d;

	if (!cis)
		setup();
	fast = orsp_rsp_euicc_fast_accept(cis, eum, data, size, now, e1, &fast_key);
	check(fast == ORSP_OK || fast == ORSP_E_NOT_FOUND);
	check(fast == ORSP_OK ? fast_key != NULL : fast_key == NULL);
	d = orsp_cert_der_public_key(data, size, &der_key);
	check(d == ORSP_OK ? der_key != NULL : der_key == NULL);
	if (fast == ORSP_OK) {
		check(orsp_cert_parse(data, size, &u) == ORSP_OK);
		check(orsp_rsp_verify_euicc_chain(cis, eum, u, now, e2) == ORSP_OK);
		check(strcmp(e1, e2) == 0);
		check(orsp_cert_public_key(u, &full_key) == ORSP_OK);
		same_key(fast_key, full_key);
		check(d == ORSP_OK);
		same_key(der_key, full_key);
	}
	orsp_ec_free(full_key);
	orsp_ec_free(der_key);
	orsp_ec_free(fast_key);
	orsp_cert_free(u);
	return 0;
}
