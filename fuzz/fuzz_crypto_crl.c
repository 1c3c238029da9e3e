/* libFuzzer target for the CRL store (src/crypto/crl.c).
 *
 * Each input is tried twice: as a whole CRL (DER, or PEM text), and as the TBSCertList of
 * one, signed here with the SGP.26 NIST EUM's published private key, so that the checks
 * behind the signature see the fuzzer's bytes. The seed corpus holds an EUM CRL listing the
 * SGP.26 eUICC, and its TBS; and a TBS whose entries are out of order, one with a
 * GeneralizedTime, one with a negative serial number and one with an invalidityDate, and the
 * same with the eUICC's reasonCode removeFromCRL (which OpenSSL's lookup takes for an entry
 * not revoked; the store refuses such a CRL since session 48). For each:
 *  - orsp_crl_store_add_mem() answers ORSP_OK, ORSP_E_MALFORMED or ORSP_E_POLICY, and adds
 *    one CRL at least when it succeeds, none when it fails;
 *  - orsp_crl_store_bind() under the SGP.26 CI never crashes;
 *  - orsp_crl_check() of the SGP.26 eUICC under the EUM agrees with its status (ORSP_OK
 *    exactly when good), and for a DER CRL with what OpenSSL says of it: another issuer's
 *    CRL (name or key identifier) changes nothing, one the EUM's key does not verify is
 *    UNVERIFIED, and one it verifies says revoked exactly when OpenSSL's own lookup
 *    (X509_CRL_get0_by_serial) finds the eUICC's serial number.
 * A fixed check time (2030-01-01).
 */
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "openrsp/crypto.h"
#include "sgp26_certs.h"
#include "sign_tbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TBS_MAX 16384

static orsp_ci_store *cis;
static orsp_cert *eum;
static EVP_PKEY *eum_key;
static X509 *eum_x;

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* The SGP.26 NIST eUICC certificate (sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der) is not in
 * sgp26_certs.h: a certificate with its serial number, 02 00 .. 00 01, under the EUM is
 * all the check needs, made here once from the EUM's key. */
static uint8_t euicc[1024];
static size_t euicc_len;

static void setup(void)
{
	orsp_cert *ci = NULL;
	BIO *b = BIO_new_mem_buf(sk_eum_ecdsa_nist_pem, (int)strlen(sk_eum_ecdsa_nist_pem));
	const unsigned char *p = cert_eum_ecdsa_nist;
	/* TBSCertificate { [0] v3, serial 020000000000000001, ecdsa-with-SHA256, ... } cut to
	 * what orsp_cert_der_serial reads: the store never looks further */
	static const uint8_t tbs[] = {0x30, 0x1C, 0xA0, 0x03, 0x02, 0x01, 0x02, 0x02, 0x09, 0x02,
	                              0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x30, 0x0A,
	                              0x06, 0x08, 0x2A, 0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};

	check(orsp_cert_parse(cert_ci_ecdsa_nist, sizeof(cert_ci_ecdsa_nist), &ci) == ORSP_OK);
	check(orsp_ci_store_new(&cis) == ORSP_OK);
	check(orsp_ci_store_add(cis, ci) == ORSP_OK);
	orsp_cert_free(ci);
	check(orsp_cert_parse(cert_eum_ecdsa_nist, sizeof(cert_eum_ecdsa_nist), &eum) == ORSP_OK);
	eum_x = d2i_X509(NULL, &p, (long)sizeof(cert_eum_ecdsa_nist));
	check(eum_x != NULL && b != NULL);
	eum_key = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	check(eum_key != NULL);
	_Static_assert(sizeof(tbs) == 2 + 0x1C, "the TBS's length");
	euicc_len = sign_tbs(eum_key, tbs, sizeof(tbs), euicc);
}

/* What OpenSSL says of the DER CRL data: whether it is the EUM's (its issuer name and key
 * identifier), whether the EUM's key verifies it, whether it lists the eUICC's serial. */
static void openssl_view(const uint8_t *data, size_t size, bool *eums, bool *verifies, bool *lists)
{
	const unsigned char *p = data;
	X509_CRL *c = d2i_X509_CRL(NULL, &p, (long)size);
	ASN1_INTEGER *sn = NULL;
	BIGNUM *bn = NULL;
	X509_REVOKED *r = NULL;
	AUTHORITY_KEYID *ak;

	/* the store took it: OpenSSL must read it too (the store reads the entries itself, as
	 * strictly as OpenSSL or more, and gives the rest to OpenSSL) */
	check(c != NULL);
	check(BN_hex2bn(&bn, "020000000000000001") && (sn = BN_to_ASN1_INTEGER(bn, NULL)));
	ak = X509_CRL_get_ext_d2i(c, NID_authority_key_identifier, NULL, NULL);
	*eums = ak && ak->keyid &&
	        ASN1_OCTET_STRING_cmp(ak->keyid, X509_get0_subject_key_id(eum_x)) == 0 &&
	        X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(eum_x)) == 0;
	*verifies = X509_CRL_verify(c, X509_get0_pubkey(eum_x)) == 1;
	*lists = X509_CRL_get0_by_serial(c, &r, sn) == 1;
	AUTHORITY_KEYID_free(ak);
	BN_free(bn);
	ASN1_INTEGER_free(sn);
	X509_CRL_free(c);
	ERR_clear_error();
}

static void check_crl(const uint8_t *data, size_t size)
{
	const time_t now = 1893456000; /* 2030-01-01 */
	orsp_crl_store *s = NULL;
	orsp_crl_status st = ORSP_CRL_GOOD;
	orsp_err e, c;
	size_t by_ci = 0;

	check(orsp_crl_store_new(&s) == ORSP_OK);
	e = orsp_crl_store_add_mem(s, data, size, "fuzz");
	check(e == ORSP_OK || e == ORSP_E_MALFORMED || e == ORSP_E_POLICY);
	check(e == ORSP_OK ? orsp_crl_store_count(s) >= 1 : orsp_crl_store_count(s) == 0);
	if (e == ORSP_OK) {
		(void)orsp_crl_store_bind(s, cis, &by_ci);
		c = orsp_crl_check(s, eum, euicc, euicc_len, now, &st);
		check((c == ORSP_OK) == (st == ORSP_CRL_GOOD));
		check(c == ORSP_OK || c == ORSP_E_POLICY);
		if (data[0] == 0x30) {
			bool eums, verifies, lists;
			openssl_view(data, size, &eums, &verifies, &lists);
			if (!eums)
				check(st == ORSP_CRL_GOOD);
			else if (!verifies)
				check(st == ORSP_CRL_UNVERIFIED);
			else
				check((st == ORSP_CRL_REVOKED) == lists);
		}
	}
	orsp_err_clear();
	orsp_crl_store_free(s);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t crl[TBS_MAX + 128];

	if (!cis)
		setup();
	check_crl(data, size);
	/* only a SEQUENCE can be a TBSCertList: not worth a signature otherwise */
	if (size >= 2 && size <= TBS_MAX && data[0] == 0x30)
		check_crl(crl, sign_tbs(eum_key, data, size, crl));
	return 0;
}
