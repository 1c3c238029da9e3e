/* Certificate revocation lists (src/crypto/crl.c): CRLs minted here with OpenSSL alone
 * (tests/certmint.c) under the SGP.26 test CI and EUM, whose private keys are published,
 * checked with the store; and CRLs orsp_crl_issue makes, read back by OpenSSL. */
#include "testutil.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "certmint.h"
#include "../fuzz/sign_tbs.h"
#include "openrsp/crypto.h"

#define CI_NIST "sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der"
#define CI_NIST_KEY "sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem"
#define CI_BRP "sgp26/CertificateIssuer/CERT_CI_ECDSA_BRP.der"
#define CI_BRP_KEY "sgp26/CertificateIssuer/SK_CI_ECDSA_BRP.pem"
#define EUM_NIST "sgp26/EUM/CERT_EUM_ECDSA_NIST.der"
#define EUM_NIST_KEY "sgp26/EUM/SK_EUM_ECDSA_NIST.pem"
#define EUICC_NIST "sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der"
#define EUM_BRP "sgp26/EUM/CERT_EUM_ECDSA_BRP.der"
#define EUM_BRP_KEY "sgp26/EUM/SK_EUM_ECDSA_BRP.pem"
#define EUICC_BRP "sgp26/eUICC/CERT_EUICC_ECDSA_BRP.der"
#define EUM_SERIAL "12345678"             /* openssl x509 -serial of EUM_NIST */
#define EUICC_SERIAL "020000000000000001" /* of EUICC_NIST */

typedef struct fixture {
	orsp_cert *ci, *ci_brp, *eum, *euicc;
	X509 *ci_x, *eum_x;
	EVP_PKEY *ci_key, *eum_key, *other_key;
	orsp_ci_store *cis;
	orsp_crl_store *crls;
} fixture;

static int setup(void **state)
{
	fixture *f = calloc(1, sizeof(*f));
	assert_non_null(f);
	f->ci = test_load_cert(CI_NIST);
	f->ci_brp = test_load_cert(CI_BRP);
	f->eum = test_load_cert(EUM_NIST);
	f->euicc = test_load_cert(EUICC_NIST);
	f->ci_x = certmint_cert_load(CI_NIST);
	f->eum_x = certmint_cert_load(EUM_NIST);
	f->ci_key = certmint_key_load(CI_NIST_KEY);
	f->eum_key = certmint_key_load(EUM_NIST_KEY);
	f->other_key = certmint_key_new("prime256v1");
	assert_int_equal(orsp_ci_store_new(&f->cis), ORSP_OK);
	assert_int_equal(orsp_ci_store_add(f->cis, f->ci), ORSP_OK);
	assert_int_equal(orsp_ci_store_add(f->cis, f->ci_brp), ORSP_OK);
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture *f = *state;
	orsp_cert_free(f->ci);
	orsp_cert_free(f->ci_brp);
	orsp_cert_free(f->eum);
	orsp_cert_free(f->euicc);
	X509_free(f->ci_x);
	X509_free(f->eum_x);
	EVP_PKEY_free(f->ci_key);
	EVP_PKEY_free(f->eum_key);
	EVP_PKEY_free(f->other_key);
	orsp_ci_store_free(f->cis);
	orsp_crl_store_free(f->crls);
	free(f);
	return 0;
}

/* Add the minted CRL to store; the store's verdict. */
static orsp_err add_minted_to(orsp_crl_store *store, const certmint_crl_spec *s, X509 *issuer,
                              EVP_PKEY *key, const char *name)
{
	X509_CRL *c = certmint_crl(s, issuer, key);
	size_t len = 0;
	uint8_t *der = certmint_crl_der(c, &len);
	orsp_err e = orsp_crl_store_add_mem(store, der, len, name);
	free(der);
	X509_CRL_free(c);
	return e;
}

static orsp_err add_minted(fixture *f, const certmint_crl_spec *s, X509 *issuer, EVP_PKEY *key,
                           const char *name)
{
	return add_minted_to(f->crls, s, issuer, key, name);
}

static orsp_crl_status status_of(fixture *f, const orsp_cert *issuer, const orsp_cert *cert,
                                 time_t now, orsp_err *err)
{
	orsp_crl_status st = (orsp_crl_status)-1;
	orsp_slice d = orsp_cert_der(cert);
	orsp_err e = orsp_crl_check(f->crls, issuer, d.p, d.len, now, &st);
	if (err)
		*err = e;
	/* the error and the status always agree */
	assert_int_equal(e == ORSP_OK, st == ORSP_CRL_GOOD);
	if (e != ORSP_OK)
		assert_int_equal(e, ORSP_E_POLICY);
	return st;
}

static void test_der_serial(void **state)
{
	fixture *f = *state;
	orsp_slice s, d = orsp_cert_der(f->euicc);
	static const uint8_t want[] = {0x02, 0, 0, 0, 0, 0, 0, 0, 0x01};
	uint8_t bad[] = {0x30, 0x03, 0x30, 0x01, 0x05};

	assert_int_equal(orsp_cert_der_serial(d.p, d.len, &s), ORSP_OK);
	assert_int_equal(s.len, sizeof(want));
	assert_memory_equal(s.p, want, sizeof(want));
	d = orsp_cert_der(f->eum);
	assert_int_equal(orsp_cert_der_serial(d.p, d.len, &s), ORSP_OK);
	assert_int_equal(s.len, 4);
	assert_memory_equal(s.p, "\x12\x34\x56\x78", 4);
	/* not a certificate, cut short, trailing bytes */
	assert_int_equal(orsp_cert_der_serial(bad, sizeof(bad), &s), ORSP_E_MALFORMED);
	d = orsp_cert_der(f->eum);
	assert_int_equal(orsp_cert_der_serial(d.p, d.len - 1, &s), ORSP_E_MALFORMED);
	{
		uint8_t *more = malloc(d.len + 1);
		assert_non_null(more);
		memcpy(more, d.p, d.len);
		more[d.len] = 0;
		assert_int_equal(orsp_cert_der_serial(more, d.len + 1, &s), ORSP_E_MALFORMED);
		free(more);
	}
}

/* No CRL held, or none of this issuer: every certificate is good. */
static void test_no_crl(void **state)
{
	fixture *f = *state;
	orsp_crl_status st = ORSP_CRL_REVOKED;
	orsp_slice d = orsp_cert_der(f->eum);

	assert_int_equal(orsp_crl_check(NULL, f->ci, d.p, d.len, 0, &st), ORSP_OK);
	assert_int_equal(st, ORSP_CRL_GOOD);
	assert_int_equal(status_of(f, f->ci, f->eum, 0, NULL), ORSP_CRL_GOOD);
	assert_int_equal(orsp_crl_store_count(f->crls), 0);
	assert_int_equal(orsp_crl_store_next_update(f->crls), 0);
}

/* The CI revokes the EUM: the EUM is revoked under the NIST CI, the eUICC (another issuer's
 * certificate) is not touched, and the brainpool CI's certificates neither. */
static void test_ci_revokes_eum(void **state)
{
	fixture *f = *state;
	const char *serials[] = {"01", EUM_SERIAL, "7F"};
	certmint_crl_spec s = {.serials = serials, .n = 3, .reason = 1, .number = 7};
	size_t by_ci = 99;
	orsp_err e;

	assert_int_equal(add_minted(f, &s, f->ci_x, f->ci_key, "ci.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 1);
	assert_int_equal(orsp_crl_store_next_update(f->crls), certmint_time(2050, 1, 1));
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, &by_ci), ORSP_OK);
	assert_int_equal(by_ci, 1);
	{
		char line[200];
		assert_int_equal(orsp_crl_store_describe(f->crls, 0, certmint_time(2049, 1, 1),
		                                         line, sizeof(line)),
		                 ORSP_OK);
		assert_string_equal(line, "ci.crl: \"Test CI\" (a CI's), 3 revoked, next update "
		                          "2050-01-01T00:00:00Z");
		assert_int_equal(orsp_crl_store_describe(f->crls, 0, certmint_time(2051, 1, 1),
		                                         line, sizeof(line)),
		                 ORSP_OK);
		assert_non_null(strstr(line, "00Z, STALE"));
		assert_int_equal(orsp_crl_store_describe(f->crls, 1, 0, line, sizeof(line)),
		                 ORSP_E_NOT_FOUND);
		assert_string_equal(line, "");
	}
	{
		orsp_crl_info info;
		assert_int_equal(orsp_crl_store_info(f->crls, 0, &info), ORSP_OK);
		assert_string_equal(info.name, "ci.crl");
		assert_string_equal(info.issuer_cn, "Test CI");
		assert_true(info.by_ci);
		assert_int_equal(info.revoked, 3);
		assert_int_equal(info.this_update, certmint_time(2020, 1, 1));
		assert_int_equal(info.next_update, certmint_time(2050, 1, 1));
		assert_int_equal(orsp_crl_store_info(f->crls, 1, &info), ORSP_E_NOT_FOUND);
		assert_int_equal(orsp_crl_store_info(NULL, 0, &info), ORSP_E_NOT_FOUND);
		assert_int_equal(orsp_crl_store_info(f->crls, 0, NULL), ORSP_E_USAGE);
	}
	{
		/* all at once (orsp_crl_store_infos, under one lock): the same fields */
		orsp_crl_info one, *all = NULL;
		size_t n = 9;
		assert_int_equal(orsp_crl_store_info(f->crls, 0, &one), ORSP_OK);
		assert_int_equal(orsp_crl_store_infos(f->crls, &all, &n), ORSP_OK);
		assert_int_equal(n, 1);
		assert_memory_equal(all, &one, sizeof(one));
		free(all);
		assert_int_equal(orsp_crl_store_infos(NULL, &all, &n), ORSP_OK);
		assert_null(all);
		assert_int_equal(n, 0);
		assert_int_equal(orsp_crl_store_infos(f->crls, NULL, &n), ORSP_E_USAGE);
	}
	assert_int_equal(status_of(f, f->ci, f->eum, 0, &e), ORSP_CRL_REVOKED);
	assert_non_null(strstr(orsp_err_detail(), "12345678"));
	assert_non_null(strstr(orsp_err_detail(), "keyCompromise"));
	assert_non_null(strstr(orsp_err_detail(), "ci.crl"));
	assert_non_null(strstr(orsp_err_detail(), "2020-01-01 00:00:00Z"));
	assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_GOOD);
	/* the same serial under another issuer is not this CRL's */
	assert_int_equal(status_of(f, f->ci_brp, f->eum, 0, NULL), ORSP_CRL_GOOD);
}

/* A CRL that does not list it: good, with or without entries and reasons. */
static void test_not_listed(void **state)
{
	fixture *f = *state;
	const char *serials[] = {"12345677", "1234567800", "0123"};
	certmint_crl_spec s = {.serials = serials, .n = 3};
	certmint_crl_spec empty = {.number = 2};

	assert_int_equal(add_minted(f, &s, f->ci_x, f->ci_key, "a.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &empty, f->eum_x, f->eum_key, "b.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, NULL), ORSP_OK);
	assert_int_equal(status_of(f, f->ci, f->eum, 0, NULL), ORSP_CRL_GOOD);
	assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_GOOD);
}

/* An operator CA (es2_client_ca) without a subjectKeyIdentifier is never found as its CRL's
 * issuer: binding a CRL in its name is refused, naming the file, rather than leaving the CRL
 * listed and never applied (the diff review of session 78: a revoked client certificate was
 * served). A CA with one is bound as before. */
static void test_client_ca_without_ski(void **state)
{
	fixture *f = *state;
	certmint_spec spec = {.subject = "/O=op/CN=Operator N",
	                      .basic_constraints = "critical,CA:TRUE",
	                      .key_usage = "critical,keyCertSign,cRLSign",
	                      .no_ski = true,
	                      .no_aki = true};
	static const char *const serials[] = {"0A"};
	certmint_crl_spec s = {.serials = serials, .n = 1, .number = 1};
	EVP_PKEY *k = certmint_key_new("prime256v1");
	X509 *x = certmint_issue(&spec, k, NULL, k);
	orsp_cert *ca = NULL;
	uint8_t *der;
	size_t len = 0, bound = 9;
	orsp_err e;

	der = certmint_der(x, &len);
	assert_int_equal(orsp_cert_parse(der, len, &ca), ORSP_OK);
	free(der);
	e = add_minted(f, &s, x, k, "noski.crl");
	if (e != ORSP_OK)
		fail_msg("a CRL of a CA without a subjectKeyIdentifier: %s", orsp_err_detail());
	assert_int_equal(orsp_crl_store_bind_client_cas(f->crls, &ca, 1, &bound), ORSP_E_VERIFY);
	if (!strstr(orsp_err_detail(), "noski.crl: the operator CA \"Operator N\"") ||
	    !strstr(orsp_err_detail(), "has no subjectKeyIdentifier"))
		fail_msg("'%s'", orsp_err_detail());
	/* the EUM as an operator CA (it has one): its CRL is bound */
	orsp_crl_store_free(f->crls);
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	assert_int_equal(add_minted(f, &s, f->eum_x, f->eum_key, "eum.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind_client_cas(f->crls, &f->eum, 1, &bound), ORSP_OK);
	assert_int_equal(bound, 1);
	orsp_cert_free(ca);
	X509_free(x);
	EVP_PKEY_free(k);
}

/* The EUM revokes the eUICC: verified with the EUM's key at the first check (bind leaves an
 * EUM's CRL alone), then revoked at every check. */
static void test_eum_revokes_euicc(void **state)
{
	fixture *f = *state;
	const char *serials[] = {EUICC_SERIAL};
	certmint_crl_spec s = {.serials = serials, .n = 1, .reason = 5};
	size_t by_ci = 99;

	assert_int_equal(add_minted(f, &s, f->eum_x, f->eum_key, "eum.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, &by_ci), ORSP_OK);
	assert_int_equal(by_ci, 0);
	{
		char line[200];
		assert_int_equal(orsp_crl_store_describe(f->crls, 0, 0, line, sizeof(line)),
		                 ORSP_OK);
		assert_non_null(strstr(line, "(an EUM's), 1 revoked"));
	}
	for (int i = 0; i < 3; i++) {
		assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_REVOKED);
		assert_non_null(strstr(orsp_err_detail(), "cessationOfOperation"));
		assert_non_null(strstr(orsp_err_detail(), "020000000000000001"));
	}
	/* the same verdict as fields */
	{
		orsp_crl_why why;
		orsp_crl_status st = ORSP_CRL_GOOD;
		orsp_slice d = orsp_cert_der(f->euicc);
		memset(&why, 'x', sizeof(why));
		assert_int_equal(orsp_crl_check_why(f->crls, f->eum, d.p, d.len, 0, &st, &why),
		                 ORSP_E_POLICY);
		assert_int_equal(st, ORSP_CRL_REVOKED);
		assert_string_equal(why.serial, EUICC_SERIAL);
		assert_string_equal(why.reason, "cessationOfOperation");
		assert_string_equal(why.crl, "eum.crl");
		assert_non_null(strstr(orsp_err_detail(), why.when));
		/* GOOD leaves it as it was */
		d = orsp_cert_der(f->eum);
		why.serial[0] = '?';
		assert_int_equal(orsp_crl_check_why(f->crls, f->ci, d.p, d.len, 0, &st, &why),
		                 ORSP_OK);
		assert_int_equal(st, ORSP_CRL_GOOD);
		assert_int_equal(why.serial[0], '?');
	}
	/* the EUM itself is the CI's to revoke */
	assert_int_equal(status_of(f, f->ci, f->eum, 0, NULL), ORSP_CRL_GOOD);
}

/* A CRL applies to the certificates of one issuer: its issuer name and key identifier both
 * those of the issuer certificate. Another name with the EUM's key, or the EUM's name with
 * another key, is another issuer's CRL. */
static void test_issuer_match(void **state)
{
	fixture *f = *state;
	const char *serials[] = {EUICC_SERIAL};
	certmint_crl_spec named = {
	    .serials = serials, .n = 1, .issuer_name = "/C=ES/O=Another EUM/CN=Another EUM"};
	certmint_crl_spec s = {.serials = serials, .n = 1};
	char subject[256];
	X509 *twin;
	certmint_spec ts = {.subject = subject};

	assert_int_equal(add_minted(f, &named, f->eum_x, f->eum_key, "named.crl"), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_GOOD);
	/* an issuer with the EUM's name and another key (so another SKI) */
	X509_NAME_oneline(X509_get_subject_name(f->eum_x), subject, sizeof(subject));
	twin = certmint_issue(&ts, f->other_key, NULL, f->other_key);
	assert_int_equal(add_minted(f, &s, twin, f->other_key, "twin.crl"), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_GOOD);
	X509_free(twin);
	assert_int_equal(orsp_crl_store_count(f->crls), 2);
}

/* A CRL past its nextUpdate: a certificate it does not list cannot be called good; one it
 * lists is revoked all the same. */
static void test_stale(void **state)
{
	fixture *f = *state;
	const char *serials[] = {EUICC_SERIAL};
	certmint_crl_spec s = {.serials = serials,
	                       .n = 1,
	                       .this_update = certmint_time(2024, 1, 1),
	                       .next_update = certmint_time(2024, 2, 1)};
	const char *none[] = {"05"};
	certmint_crl_spec ci = {.serials = none,
	                        .n = 1,
	                        .this_update = certmint_time(2024, 1, 1),
	                        .next_update = certmint_time(2024, 2, 1)};
	orsp_err e;

	assert_int_equal(add_minted(f, &s, f->eum_x, f->eum_key, "eum.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &ci, f->ci_x, f->ci_key, "ci.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, NULL), ORSP_OK);
	assert_int_equal(orsp_crl_store_next_update(f->crls), certmint_time(2024, 2, 1));
	/* before its nextUpdate: fresh */
	assert_int_equal(status_of(f, f->ci, f->eum, certmint_time(2024, 1, 15), NULL),
	                 ORSP_CRL_GOOD);
	/* the nextUpdate itself is still fresh, a second later stale */
	assert_int_equal(status_of(f, f->ci, f->eum, certmint_time(2024, 2, 1), NULL),
	                 ORSP_CRL_GOOD);
	assert_int_equal(status_of(f, f->ci, f->eum, certmint_time(2024, 2, 1) + 1, &e),
	                 ORSP_CRL_STALE);
	assert_non_null(strstr(orsp_err_detail(), "stale"));
	assert_non_null(strstr(orsp_err_detail(), "2024-02-01 00:00:00Z"));
	{
		orsp_crl_why why;
		orsp_crl_status st = ORSP_CRL_GOOD;
		orsp_slice d = orsp_cert_der(f->eum);
		assert_int_equal(orsp_crl_check_why(f->crls, f->ci, d.p, d.len,
		                                    certmint_time(2024, 2, 1) + 1, &st, &why),
		                 ORSP_E_POLICY);
		assert_int_equal(st, ORSP_CRL_STALE);
		assert_string_equal(why.serial, EUM_SERIAL);
		assert_string_equal(why.reason, "");
		assert_string_equal(why.when, "2024-02-01 00:00:00Z");
		assert_string_equal(why.crl, "ci.crl");
	}
	assert_int_equal(status_of(f, f->eum, f->euicc, certmint_time(2025, 1, 1), NULL),
	                 ORSP_CRL_REVOKED);
	/* the current time by default: long past 2024 */
	assert_int_equal(status_of(f, f->ci, f->eum, 0, NULL), ORSP_CRL_STALE);
}

/* Several CRLs of one issuer (two distribution points' copies, one lagging): the newest of
 * them decides alone, by cRLNumber, else by thisUpdate. An older one neither revokes what the
 * newer one lifted (a certificateHold) nor makes the issuer's certificates stale; a CRL not
 * yet valid (thisUpdate ahead) is not current. */
static void test_newest(void **state)
{
	fixture *f = *state;
	const char *held[] = {EUICC_SERIAL}, *none[] = {"05"};
	certmint_crl_spec old = {.serials = none,
	                         .n = 1,
	                         .number = 1,
	                         .this_update = certmint_time(2024, 1, 1),
	                         .next_update = certmint_time(2024, 2, 1)};
	certmint_crl_spec hold = {.serials = held,
	                          .n = 1,
	                          .reason = 6,
	                          .number = 9,
	                          .this_update = certmint_time(2024, 3, 1)};
	certmint_crl_spec cur = {
	    .serials = none, .n = 1, .number = 0x100, .this_update = certmint_time(2024, 1, 2)};
	orsp_crl_info info;
	char line[300];
	time_t now = certmint_time(2025, 1, 1);

	/* the newer first, then the older: the order they are given in does not matter */
	assert_int_equal(add_minted(f, &cur, f->eum_x, f->eum_key, "cur.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &old, f->eum_x, f->eum_key, "old.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &hold, f->eum_x, f->eum_key, "hold.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, NULL), ORSP_OK);
	/* number 0x100 (contents 01 00) above 9 and 1, though it reads lower as text and its
	 * thisUpdate is earlier than the hold's */
	assert_int_equal(status_of(f, f->eum, f->euicc, now, NULL), ORSP_CRL_GOOD);
	assert_int_equal(orsp_crl_store_next_update(f->crls), certmint_time(2050, 1, 1));
	assert_int_equal(orsp_crl_store_info(f->crls, 0, &info), ORSP_OK);
	assert_false(info.superseded);
	assert_int_equal(orsp_crl_store_info(f->crls, 1, &info), ORSP_OK);
	assert_true(info.superseded);
	assert_int_equal(orsp_crl_store_describe(f->crls, 1, now, line, sizeof(line)), ORSP_OK);
	assert_non_null(strstr(line, ", superseded by a newer CRL of its issuer"));
	assert_null(strstr(line, "STALE"));
	orsp_crl_store_free(f->crls);

	/* the hold, newest, revokes; the older stale one beside it changes nothing */
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	assert_int_equal(add_minted(f, &old, f->eum_x, f->eum_key, "old.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &hold, f->eum_x, f->eum_key, "hold.crl"), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, now, NULL), ORSP_CRL_REVOKED);
	assert_non_null(strstr(orsp_err_detail(), "certificateHold"));
	assert_int_equal(status_of(f, f->eum, f->eum, now, NULL), ORSP_CRL_GOOD);
	orsp_crl_store_free(f->crls);

	/* without numbers the later thisUpdate: a stale older copy beside a current one */
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	old.number = cur.number = 0;
	assert_int_equal(add_minted(f, &old, f->eum_x, f->eum_key, "old.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &cur, f->eum_x, f->eum_key, "cur.crl"), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, now, NULL), ORSP_CRL_GOOD);
	assert_int_equal(orsp_crl_store_next_update(f->crls), certmint_time(2050, 1, 1));
	/* a newer one by thisUpdate that is stale itself decides: stale */
	assert_int_equal(status_of(f, f->eum, f->euicc, certmint_time(2050, 1, 1) + 1, NULL),
	                 ORSP_CRL_STALE);
	assert_non_null(strstr(orsp_err_detail(), "cur.crl"));
	orsp_crl_store_free(f->crls);

	/* a CRL issued for later: not yet valid, so not current (OpenSSL: "CRL is not yet
	 * valid"); its list still revokes */
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	cur.this_update = certmint_time(2040, 1, 1);
	assert_int_equal(add_minted(f, &cur, f->eum_x, f->eum_key, "ahead.crl"), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, now, NULL), ORSP_CRL_STALE);
	assert_non_null(strstr(orsp_err_detail(), "not yet valid"));
	assert_non_null(strstr(orsp_err_detail(), "2040-01-01 00:00:00Z"));
	{
		orsp_crl_why why;
		orsp_crl_status st = ORSP_CRL_GOOD;
		orsp_slice d = orsp_cert_der(f->euicc);
		assert_int_equal(orsp_crl_check_why(f->crls, f->eum, d.p, d.len, now, &st, &why),
		                 ORSP_E_POLICY);
		assert_int_equal(st, ORSP_CRL_STALE);
		assert_true(why.ahead);
		assert_string_equal(why.when, "2040-01-01 00:00:00Z");
		assert_int_equal(orsp_crl_check_why(f->crls, f->eum, d.p, d.len,
		                                    certmint_time(2050, 1, 1) + 1, &st, &why),
		                 ORSP_E_POLICY);
		assert_false(why.ahead);
	}
	assert_int_equal(status_of(f, f->eum, f->euicc, certmint_time(2040, 1, 1), NULL),
	                 ORSP_CRL_GOOD);
	assert_int_equal(orsp_crl_store_describe(f->crls, 0, now, line, sizeof(line)), ORSP_OK);
	assert_non_null(strstr(line, ", NOT YET VALID"));
	/* beside a CRL in force, one issued for later (a clock behind the issuer's) does not
	 * decide: the one in force does (as OpenSSL scores them) */
	assert_int_equal(add_minted(f, &old, f->eum_x, f->eum_key, "old.crl"), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, certmint_time(2024, 1, 15), NULL),
	                 ORSP_CRL_GOOD);
	orsp_crl_store_free(f->crls);

	/* a strict order whatever the files' order: a CRL with a cRLNumber over one without,
	 * then the number, then thisUpdate (a mix went round in a circle) */
	{
		certmint_crl_spec a = {
		    .serials = held, .n = 1, .number = 1, .this_update = certmint_time(2024, 3, 1)};
		certmint_crl_spec b = {
		    .serials = none, .n = 1, .this_update = certmint_time(2024, 2, 1)};
		certmint_crl_spec c = {
		    .serials = none, .n = 1, .number = 2, .this_update = certmint_time(2024, 1, 1)};
		const certmint_crl_spec *order[2][3] = {{&a, &b, &c}, {&b, &c, &a}};
		for (int o = 0; o < 2; o++) {
			assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
			for (int i = 0; i < 3; i++)
				assert_int_equal(add_minted(f, order[o][i], f->eum_x, f->eum_key,
				                            order[o][i] == &c ? "c.crl" : "x.crl"),
				                 ORSP_OK);
			/* c, number 2, decides: the eUICC is not listed there */
			assert_int_equal(status_of(f, f->eum, f->euicc, now, NULL), ORSP_CRL_GOOD);
			assert_int_equal(orsp_crl_store_next_update(f->crls),
			                 certmint_time(2050, 1, 1));
			orsp_crl_store_free(f->crls);
		}
	}

	/* a CRL that does not verify supersedes nothing, however high its number: the stale
	 * genuine one is still said stale (and the check says UNVERIFIED) */
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	old.number = 1;
	assert_int_equal(add_minted(f, &old, f->eum_x, f->eum_key, "old.crl"), ORSP_OK);
	cur.number = 99;
	cur.this_update = certmint_time(2024, 1, 2);
	assert_int_equal(add_minted(f, &cur, f->eum_x, f->other_key, "forged.crl"), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, now, NULL), ORSP_CRL_UNVERIFIED);
	assert_int_equal(orsp_crl_store_next_update(f->crls), certmint_time(2024, 2, 1));
	assert_int_equal(orsp_crl_store_info(f->crls, 0, &info), ORSP_OK);
	assert_false(info.superseded);
}

/* Signatures: a CI's CRL that does not verify is refused by bind; an EUM's is found out at
 * the check (its entries are not believed), and stays so for that issuer certificate. */
static void test_signatures(void **state)
{
	fixture *f = *state;
	const char *serials[] = {EUICC_SERIAL};
	certmint_crl_spec s = {.serials = serials, .n = 1};
	certmint_crl_spec ci = {.number = 3};
	size_t by_ci = 99;

	assert_int_equal(add_minted(f, &s, f->eum_x, f->other_key, "forged-eum.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, &by_ci), ORSP_OK);
	for (int i = 0; i < 2; i++) {
		assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_UNVERIFIED);
		assert_non_null(strstr(orsp_err_detail(), "forged-eum.crl"));
		assert_non_null(strstr(orsp_err_detail(), "does not verify"));
	}
	assert_int_equal(add_minted(f, &ci, f->ci_x, f->other_key, "forged-ci.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, &by_ci), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "forged-ci.crl"));
	assert_int_equal(by_ci, 0);
}

/* orsp_crl_store_issued_by: the CRL of an issuer whose key verifies it; another issuer's;
 * one the issuer's key does not verify; one not held. And the cRLNumber in the info. */
static void test_issued_by(void **state)
{
	fixture *f = *state;
	certmint_crl_spec ci = {.number = 258};
	certmint_crl_spec none = {0};
	orsp_crl_info info;

	assert_int_equal(add_minted(f, &ci, f->ci_x, f->ci_key, "ci.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &ci, f->ci_x, f->other_key, "forged.crl"), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "held already"));
	assert_int_equal(add_minted(f, &none, f->ci_x, f->other_key, "forged.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &none, f->eum_x, f->eum_key, "eum.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_issued_by(f->crls, 0, f->ci), ORSP_OK);
	assert_int_equal(orsp_crl_store_issued_by(f->crls, 1, f->ci), ORSP_E_VERIFY);
	assert_non_null(
	    strstr(orsp_err_detail(), "forged.crl: the CRL's signature does not verify"));
	assert_int_equal(orsp_crl_store_issued_by(f->crls, 2, f->ci), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "eum.crl is not a CRL of"));
	assert_int_equal(orsp_crl_store_issued_by(f->crls, 2, f->eum), ORSP_OK);
	assert_int_equal(orsp_crl_store_issued_by(f->crls, 0, f->eum), ORSP_E_POLICY);
	assert_int_equal(orsp_crl_store_issued_by(f->crls, 3, f->ci), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_crl_store_issued_by(NULL, 0, f->ci), ORSP_E_USAGE);
	assert_int_equal(orsp_crl_store_issued_by(f->crls, 0, NULL), ORSP_E_USAGE);
	/* 258 = 0x0102; none without the extension */
	assert_int_equal(orsp_crl_store_info(f->crls, 0, &info), ORSP_OK);
	assert_string_equal(info.number, "0102");
	assert_int_equal(orsp_crl_store_info(f->crls, 2, &info), ORSP_OK);
	assert_string_equal(info.number, "");
	orsp_err_clear();
}

/* Everything refused when a CRL is added, nothing added then. */
static void test_refused(void **state)
{
	fixture *f = *state;
	/* a cRLNumber of 22 octets (01 00 .. 00, 2^168); an AuthorityKeyIdentifier whose
	 * keyIdentifier is 65 (2A 00 .. 00) */
	static const uint8_t num22[2 + 22] = {0x02, 0x16, 0x01};
	static const uint8_t aki65[4 + 65] = {0x30, 0x43, 0x80, 0x41, 0x2A};
	const struct {
		certmint_crl_spec s;
		orsp_err want;
		const char *says;
	} cases[] = {
	    {{.v1 = true, .no_aki = true}, ORSP_E_MALFORMED, "v1"},
	    {{.no_aki = true}, ORSP_E_MALFORMED, "authorityKeyIdentifier"},
	    {{.no_next_update = true}, ORSP_E_MALFORMED, "nextUpdate"},
	    {{.digest = "SHA384"}, ORSP_E_MALFORMED, "ecdsa-with-SHA256"},
	    {{.critical_unknown_oid = "2.5.29.27"}, ORSP_E_POLICY, "2.5.29.27"},
	    {{.critical_unknown_oid = "2.5.29.28"}, ORSP_E_POLICY, "partitioned"},
	    /* the two scope extensions not marked critical (RFC 5280 wants them critical) are
	     * refused all the same: a delta CRL (base 5) or one of CA certificates only was
	     * taken for a complete CRL, and answered "not revoked" for what it did not list */
	    {{.ext_oid = "2.5.29.27", .ext_der = (const uint8_t *)"\x02\x01\x05", .ext_len = 3},
	     ORSP_E_POLICY,
	     "delta CRL"},
	    {{.ext_oid = "2.5.29.28",
	      .ext_der = (const uint8_t *)"\x30\x03\x82\x01\xFF",
	      .ext_len = 5},
	     ORSP_E_POLICY,
	     "partitioned CRL"},
	    /* an entry's certificateIssuer (an indirect CRL), not marked critical */
	    {{.serials = (const char *const[]){"01"},
	      .n = 1,
	      .entry_ext_oid = "2.5.29.29",
	      .entry_ext_der = (const uint8_t *)"\x30\x0d\x82\x0b"
	                                        "example.com",
	      .entry_ext_len = 15},
	     ORSP_E_POLICY,
	     "2.5.29.29"},
	    {{.serials = (const char *const[]){"01"}, .n = 1, .entry_critical = true},
	     ORSP_E_POLICY,
	     "entry 1"},
	    {{.this_update = 1700000000, .next_update = 1600000000}, ORSP_E_MALFORMED, "before"},
	    /* 33 octets */
	    {{.serials = (const char *const[]){"0102030405060708090A0B0C0D0E0F10"
	                                       "1112131415161718191A1B1C1D1E1F2021"},
	      .n = 1},
	     ORSP_E_MALFORMED,
	     "serial"},
	    /* a part of an SGP.22 partial CRL, not the issuer's complete list: refused marked
	     * critical or not (not critical, it was taken, and answered "not revoked" for what
	     * another part listed) */
	    {{.critical_unknown_oid = "2.23.146.1.2.0.3"}, ORSP_E_POLICY, "a partial CRL"},
	    {{.critical_unknown_oid = "2.23.146.1.2.0.2"}, ORSP_E_POLICY, "a partial CRL"},
	    {{.ext_oid = "2.23.146.1.2.0.3",
	      .ext_der = (const uint8_t *)"\x02\x01\x01",
	      .ext_len = 3},
	     ORSP_E_POLICY,
	     "a partial CRL (id-rsp-partialCrlNumber, 2.23.146.1.2.0.3)"},
	    {{.ext_oid = "2.23.146.1.2.0.2",
	      .ext_der = (const uint8_t *)"\x02\x01\x02",
	      .ext_len = 3},
	     ORSP_E_POLICY,
	     "a partial CRL (id-rsp-totalPartialCrlNumber, 2.23.146.1.2.0.2)"},
	    /* a negative cRLNumber (RFC 5280 §5.2.3: 0..MAX), which ranked as a large number */
	    {{.number = -1}, ORSP_E_MALFORMED, "a negative cRLNumber"},
	    {{.number = -256}, ORSP_E_MALFORMED, "a negative cRLNumber"},
	    {{.ext_oid = "2.5.29.20", .ext_der = num22, .ext_len = sizeof(num22)},
	     ORSP_E_MALFORMED,
	     "a cRLNumber over 20 octets"},
	    {{.no_aki = true, .ext_oid = "2.5.29.35", .ext_der = aki65, .ext_len = sizeof(aki65)},
	     ORSP_E_MALFORMED,
	     "key identifier is over 64 octets"},
	};

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		orsp_err e = add_minted(f, &cases[i].s, f->ci_x, f->ci_key, "bad.crl");
		if (e != cases[i].want || !strstr(orsp_err_detail(), cases[i].says) ||
		    !strstr(orsp_err_detail(), "bad.crl"))
			fail_msg("case %zu: %d %s", i, e, orsp_err_detail());
		assert_int_equal(orsp_crl_store_count(f->crls), 0);
	}
}

/* The edges of what is taken: a cRLNumber of 0, one of 20 octets with its top bit set (21
 * contents octets); a key identifier of 64 octets. One octet more, or a negative number, is
 * refused (test_refused). */
static void test_bounds(void **state)
{
	fixture *f = *state;
	static const uint8_t zero[] = {0x02, 0x01, 0x00};
	static uint8_t num21[2 + 21] = {0x02, 0x15, 0x00}, neg21[2 + 21] = {0x02, 0x15, 0xFF};
	static const uint8_t aki64[4 + 64] = {0x30, 0x42, 0x80, 0x40, 0x2A};
	orsp_crl_info info;

	memset(num21 + 3, 0xFF, 20);
	assert_int_equal(add_minted(f,
	                            &(certmint_crl_spec){.ext_oid = "2.5.29.20",
	                                                 .ext_der = zero,
	                                                 .ext_len = sizeof(zero)},
	                            f->ci_x, f->ci_key, "zero.crl"),
	                 ORSP_OK);
	assert_int_equal(orsp_crl_store_info(f->crls, 0, &info), ORSP_OK);
	assert_string_equal(info.number, "00");
	assert_int_equal(add_minted(f,
	                            &(certmint_crl_spec){.ext_oid = "2.5.29.20",
	                                                 .ext_der = num21,
	                                                 .ext_len = sizeof(num21)},
	                            f->ci_x, f->ci_key, "max.crl"),
	                 ORSP_OK);
	assert_int_equal(orsp_crl_store_info(f->crls, 1, &info), ORSP_OK);
	assert_int_equal(strlen(info.number), 42);
	assert_int_equal(strncmp(info.number, "00", 2), 0);
	/* the highest number is the current CRL; the bind verifies both */
	assert_true(orsp_crl_number_cmp(info.number, "00") > 0);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, NULL), ORSP_OK);
	/* 21 octets, negative: refused as negative, not for its length */
	assert_int_equal(add_minted(f,
	                            &(certmint_crl_spec){.ext_oid = "2.5.29.20",
	                                                 .ext_der = neg21,
	                                                 .ext_len = sizeof(neg21)},
	                            f->ci_x, f->ci_key, "neg.crl"),
	                 ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "neg.crl: a negative cRLNumber"));
	assert_int_equal(orsp_crl_store_count(f->crls), 2);
	assert_int_equal(add_minted(f,
	                            &(certmint_crl_spec){.no_aki = true,
	                                                 .ext_oid = "2.5.29.35",
	                                                 .ext_der = aki64,
	                                                 .ext_len = sizeof(aki64)},
	                            f->ci_x, f->ci_key, "aki64.crl"),
	                 ORSP_OK);
	assert_int_equal(orsp_crl_store_info(f->crls, 2, &info), ORSP_OK);
	assert_int_equal(strlen(info.key), 128);
	assert_int_equal(orsp_crl_store_count(f->crls), 3);
}

/* PEM text refused whole: a CRL block with headers (RFC 1421's, an encrypted PEM's), more
 * than 64 CRLs; nothing added, though good CRLs come before. */
static void test_pem_refused(void **state)
{
	fixture *f = *state;
	X509_CRL *c[65];
	BIO *mem = BIO_new(BIO_s_mem());
	char *text = NULL, *with = NULL;
	static const char hdr[] = "Proc-Type: 4,ENCRYPTED\n"
	                          "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n";
	long n;
	size_t line;

	assert_non_null(mem);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(c); i++)
		c[i] =
		    certmint_crl(&(certmint_crl_spec){.number = (long)i + 1}, f->ci_x, f->ci_key);
	/* the second of two CRLs with a header after its BEGIN line */
	assert_int_equal(PEM_write_bio_X509_CRL(mem, c[0]), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, c[1]), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_non_null(with = malloc((size_t)n + sizeof(hdr)));
	memcpy(with, text, (size_t)n);
	with[n] = '\0';
	assert_non_null(strstr(with + 1, "-----BEGIN X509 CRL-----\n"));
	line = (size_t)(strstr(with + 1, "-----BEGIN X509 CRL-----\n") - with) + 25;
	memmove(with + line + strlen(hdr), with + line, (size_t)n - line + 1);
	memcpy(with + line, hdr, strlen(hdr));
	assert_int_equal(orsp_crl_store_add_mem(f->crls, with, strlen(with), "headers.pem"),
	                 ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "headers.pem: a PEM CRL with headers"));
	assert_int_equal(orsp_crl_store_count(f->crls), 0);
	/* without the header: both */
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "two.pem"), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 2);
	orsp_crl_store_free(f->crls);
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	/* 64 CRLs are taken, 65 are not */
	assert_int_equal(BIO_reset(mem), 1);
	for (size_t i = 0; i < 64; i++)
		assert_int_equal(PEM_write_bio_X509_CRL(mem, c[i]), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "64.pem"), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 64);
	orsp_crl_store_free(f->crls);
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, c[64]), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "65.pem"),
	                 ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "65.pem: more than 64 CRLs in one file"));
	assert_int_equal(orsp_crl_store_count(f->crls), 0);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(c); i++)
		X509_CRL_free(c[i]);
	free(with);
	BIO_free(mem);
}

/* Bytes that are no CRL. */
static void test_not_a_crl(void **state)
{
	fixture *f = *state;
	X509_CRL *c = certmint_crl(&(certmint_crl_spec){.number = 1}, f->ci_x, f->ci_key);
	size_t len = 0;
	uint8_t *der = certmint_crl_der(c, &len), *more = malloc(len + 2);
	orsp_slice cert = orsp_cert_der(f->eum);
	static const char pem_cert_only[] = "-----BEGIN CERTIFICATE-----\nMAA=\n"
	                                    "-----END CERTIFICATE-----\n";

	assert_non_null(more);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, "", 0, "x"), ORSP_E_MALFORMED);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, "hello", 5, "x"), ORSP_E_MALFORMED);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, pem_cert_only, strlen(pem_cert_only), "x"),
	                 ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "X509 CRL"));
	/* a certificate is DER but no CRL */
	assert_int_equal(orsp_crl_store_add_mem(f->crls, cert.p, cert.len, "eum.der"),
	                 ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "eum.der"));
	/* cut short, and with a byte after it */
	assert_int_equal(orsp_crl_store_add_mem(f->crls, der, len - 1, "x"), ORSP_E_MALFORMED);
	memcpy(more, der, len);
	more[len] = 0;
	assert_int_equal(orsp_crl_store_add_mem(f->crls, more, len + 1, "x"), ORSP_E_MALFORMED);
	/* a signature byte changed still parses: the signature is the check's business */
	memcpy(more, der, len);
	more[len - 1] ^= 1;
	assert_int_equal(orsp_crl_store_add_mem(f->crls, more, len, "x"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, NULL), ORSP_E_VERIFY);
	assert_int_equal(orsp_crl_store_count(f->crls), 1);
	assert_int_equal(orsp_crl_store_add_mem(NULL, der, len, "x"), ORSP_E_USAGE);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, der, len, NULL), ORSP_E_USAGE);
	free(more);
	free(der);
	X509_CRL_free(c);
}

/* What the signature is checked over, as OpenSSL's X509_CRL_verify would take it: the
 * signature algorithm inside the TBSCertList the one outside, a signature BIT STRING without
 * unused bits; refused when the CRL is added. */
static void test_signed_parts(void **state)
{
	fixture *f = *state;
	static const uint8_t oid[] = {0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02};
	X509_CRL *c = certmint_crl(&(certmint_crl_spec){.number = 1}, f->ci_x, f->ci_key);
	size_t len = 0, first = 0, last = 0;
	uint8_t *der = certmint_crl_der(c, &len), *bad = malloc(len);

	assert_non_null(bad);
	for (size_t i = 0; i + sizeof(oid) <= len; i++) {
		if (memcmp(der + i, oid, sizeof(oid)) == 0) {
			first = first ? first : i;
			last = i;
		}
	}
	assert_true(first > 0 && last > first);
	/* inside: ecdsa-with-SHA384 */
	memcpy(bad, der, len);
	bad[first + sizeof(oid) - 1] = 0x03;
	assert_int_equal(orsp_crl_store_add_mem(f->crls, bad, len, "bad.crl"), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "bad.crl: the signature algorithm inside"));
	/* the BIT STRING after the outer algorithm: 03 len 00 (no unused bits) -> 07 */
	memcpy(bad, der, len);
	assert_int_equal(bad[last + sizeof(oid)], 0x03);
	assert_int_equal(bad[last + sizeof(oid) + 2], 0x00);
	bad[last + sizeof(oid) + 2] = 0x07;
	bad[len - 1] &= 0x80;
	assert_int_equal(orsp_crl_store_add_mem(f->crls, bad, len, "bad.crl"), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "bad.crl: a signature BIT STRING"));
	assert_int_equal(orsp_crl_store_count(f->crls), 0);
	/* the CRL as minted: taken, and its signature verifies under the CI */
	assert_int_equal(orsp_crl_store_add_mem(f->crls, der, len, "ci.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, NULL), ORSP_OK);
	free(bad);
	free(der);
	X509_CRL_free(c);
}

static void check(bool ok)
{
	assert_true(ok);
}

/* A CRL of the EUM (v2, its name and key identifier, 2020-01-01 to 2049-12-31) whose
 * revokedCertificates holds the given entries' DER as they are, signed with the EUM's key:
 * entries OpenSSL would not mint. Its length; out holds 4096 bytes. */
static size_t eum_crl_with(const fixture *f, const uint8_t *entries, size_t n, uint8_t *out)
{
	static const uint8_t head[] = {0x02, 0x01, 0x01, 0x30, 0x0A, 0x06, 0x08, 0x2A,
	                               0x86, 0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
	static const uint8_t times[] = "\x17\x0D"
	                               "200101000000Z"
	                               "\x17\x0D"
	                               "491231000000Z";
	const ASN1_OCTET_STRING *ski = X509_get0_subject_key_id(f->eum_x);
	unsigned char *name = NULL;
	int name_len = i2d_X509_NAME(X509_get_subject_name(f->eum_x), &name);
	uint8_t tbs[3072], ext[64];
	size_t o = 4, e = 0, k = (size_t)ASN1_STRING_length(ski);

	assert_true(name_len > 0 && k == 20 && n < 2048);
	/* [0] { SEQUENCE { SEQUENCE { 2.5.29.35, OCTET STRING { SEQUENCE { [0] keyid } } } } } */
	memcpy(ext, "\xA0\x23\x30\x21\x30\x1F\x06\x03\x55\x1D\x23\x04\x18\x30\x16\x80\x14", 17);
	memcpy(ext + 17, ASN1_STRING_get0_data(ski), k);
	e = 17 + k;
	memcpy(tbs + o, head, sizeof(head));
	o += sizeof(head);
	memcpy(tbs + o, name, (size_t)name_len);
	o += (size_t)name_len;
	memcpy(tbs + o, times, sizeof(times) - 1);
	o += sizeof(times) - 1;
	o += header(tbs + o, 0x30, n);
	memcpy(tbs + o, entries, n);
	o += n;
	memcpy(tbs + o, ext, e);
	o += e;
	/* the TBSCertList's own header, before the contents made 4 octets in */
	{
		uint8_t h[4];
		size_t hl = header(h, 0x30, o - 4);
		memmove(tbs + hl, tbs + 4, o - 4);
		memcpy(tbs, h, hl);
		o = o - 4 + hl;
	}
	OPENSSL_free(name);
	return sign_tbs(f->eum_key, tbs, o, out);
}

/* The revoked certificates are read by the store itself, not by OpenSSL: each entry as DER,
 * with what OpenSSL's decoder asks of its values, and nothing taken that it would refuse;
 * an unsorted list found all the same. */
static void test_entries(void **state)
{
	fixture *f = *state;
	/* serial 02 00..01 (the SGP.26 eUICC's), reasonCode keyCompromise */
	static const uint8_t good[] = {
	    0x30, 0x28, 0x02, 0x09, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x17,
	    0x0D, '2',  '4',  '0',  '1',  '0',  '1',  '0',  '0',  '0',  '0',  '0',  '0',  'Z',
	    0x30, 0x0C, 0x30, 0x0A, 0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, 0x01};
	/* serial 7F, no extensions: sorts after 02 00..01 (by length first) */
	static const uint8_t small[] = {0x30, 0x12, 0x02, 0x01, 0x7F, 0x17, 0x0D, '2', '4', '0',
	                                '1',  '0',  '1',  '0',  '0',  '0',  '0',  '0', '0', 'Z'};
	const struct {
		const char *what;
		size_t at;  /* the octet of `good` changed */
		uint8_t to; /* its new value */
		orsp_err want;
		const char *says;
	} cases[] = {
	    {"a serial with a needless leading 00", 4, 0x00, ORSP_E_MALFORMED, "serial"},
	    {"a revocationDate that is no date (month 21)", 17, '2', ORSP_E_MALFORMED,
	     "revocationDate"},
	    {"a revocationDate of another type", 13, 0x16, ORSP_E_MALFORMED, "revocationDate"},
	    {"an extension OID beginning with 0x80", 34, 0x80, ORSP_E_MALFORMED, "extension"},
	    {"reasonCode 7, no CRLReason", 41, 0x07, ORSP_E_MALFORMED, "reasonCode 7"},
	    {"reasonCode removeFromCRL, a delta CRL's", 41, 0x08, ORSP_E_POLICY, "removeFromCRL"},
	    {"reasonCode as an INTEGER", 39, 0x02, ORSP_E_MALFORMED, "reasonCode"},
	    {"an entry that is not a SEQUENCE", 0, 0x31, ORSP_E_MALFORMED, "entry 1"},
	};
	uint8_t ent[256], crl[4096];
	size_t n;
	orsp_crl_status st = ORSP_CRL_GOOD;

	/* as given: the eUICC revoked, the list unsorted (7F first) */
	memcpy(ent, small, sizeof(small));
	memcpy(ent + sizeof(small), good, sizeof(good));
	n = eum_crl_with(f, ent, sizeof(small) + sizeof(good), crl);
	if (orsp_crl_store_add_mem(f->crls, crl, n, "eum.crl") != ORSP_OK)
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(orsp_crl_check(f->crls, f->eum, orsp_cert_der(f->euicc).p,
	                                orsp_cert_der(f->euicc).len, time(NULL), &st),
	                 ORSP_E_POLICY);
	assert_int_equal(st, ORSP_CRL_REVOKED);
	assert_non_null(strstr(orsp_err_detail(), "keyCompromise"));
	orsp_crl_store_free(f->crls);
	assert_int_equal(orsp_crl_store_new(&f->crls), ORSP_OK);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		memcpy(ent, good, sizeof(good));
		ent[cases[i].at] = cases[i].to;
		n = eum_crl_with(f, ent, sizeof(good), crl);
		if (orsp_crl_store_add_mem(f->crls, crl, n, "bad.crl") != cases[i].want ||
		    !strstr(orsp_err_detail(), cases[i].says))
			fail_msg("%s: %s", cases[i].what, orsp_err_detail());
		assert_int_equal(orsp_crl_store_count(f->crls), 0);
	}
	/* shapes that need other lengths */
	{
		static const uint8_t empty_serial[] = {0x30, 0x11, 0x02, 0x00, 0x17, 0x0D, '2',
		                                       '4',  '0',  '1',  '0',  '1',  '0',  '0',
		                                       '0',  '0',  '0',  '0',  'Z'};
		/* the critical flag written FALSE (DER leaves the DEFAULT out) */
		static const uint8_t false_flag[] = {
		    0x30, 0x23, 0x02, 0x01, 0x01, 0x17, 0x0D, '2',  '4',  '0',  '1',  '0',  '1',
		    '0',  '0',  '0',  '0',  '0',  '0',  'Z',  0x30, 0x0F, 0x30, 0x0D, 0x06, 0x03,
		    0x55, 0x1D, 0x15, 0x01, 0x01, 0x00, 0x04, 0x03, 0x0A, 0x01, 0x01};
		/* reasonCode twice */
		static const uint8_t twice[] = {
		    0x30, 0x2C, 0x02, 0x01, 0x01, 0x17, 0x0D, '2',  '4',  '0',  '1',  '0',
		    '1',  '0',  '0',  '0',  '0',  '0',  '0',  'Z',  0x30, 0x18, 0x30, 0x0A,
		    0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, 0x01, 0x30, 0x0A,
		    0x06, 0x03, 0x55, 0x1D, 0x15, 0x04, 0x03, 0x0A, 0x01, 0x02};
		/* a field after the extensions */
		static const uint8_t extra[] = {0x30, 0x14, 0x02, 0x01, 0x01, 0x17, 0x0D, '2',
		                                '4',  '0',  '1',  '0',  '1',  '0',  '0',  '0',
		                                '0',  '0',  '0',  'Z',  0x05, 0x00};
		/* too short for a serial number and a date (refused before the entries are
		 * allocated), then one a byte short of the shortest date */
		static const uint8_t short_seq[] = {0x30, 0x03, 0x02, 0x01, 0x01};
		static const uint8_t short_date[] = {0x30, 0x10, 0x02, 0x00, 0x17, 0x0C,
		                                     '2',  '4',  '0',  '1',  '0',  '1',
		                                     '0',  '0',  '0',  '0',  '0',  'Z'};
		const struct {
			const uint8_t *p;
			size_t len;
			const char *says;
		} shapes[] = {{empty_serial, sizeof(empty_serial), "serial"},
		              {short_seq, sizeof(short_seq), "entry 1 is no revoked certificate"},
		              {short_date, sizeof(short_date), "entry 1 is no revoked certificate"},
		              {false_flag, sizeof(false_flag), "critical flag"},
		              {twice, sizeof(twice), "twice"},
		              {extra, sizeof(extra), "no revoked certificate"}};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(shapes); i++) {
			n = eum_crl_with(f, shapes[i].p, shapes[i].len, crl);
			if (orsp_crl_store_add_mem(f->crls, crl, n, "bad.crl") !=
			        ORSP_E_MALFORMED ||
			    !strstr(orsp_err_detail(), shapes[i].says))
				fail_msg("shape %zu: %s", i, orsp_err_detail());
			assert_int_equal(orsp_crl_store_count(f->crls), 0);
		}
	}
}

/* PEM: every CRL block of the text; one bad block or a duplicate and none is added. */
static void test_pem_and_duplicates(void **state)
{
	fixture *f = *state;
	X509_CRL *a = certmint_crl(&(certmint_crl_spec){.number = 1}, f->ci_x, f->ci_key);
	X509_CRL *b = certmint_crl(&(certmint_crl_spec){.number = 1}, f->eum_x, f->eum_key);
	X509_CRL *bad = certmint_crl(&(certmint_crl_spec){.no_aki = true}, f->eum_x, f->eum_key);
	X509_CRL *a2 =
	    certmint_crl(&(certmint_crl_spec){.number = 1, .reason = 4}, f->ci_x, f->ci_key);
	BIO *mem = BIO_new(BIO_s_mem());
	char *text = NULL;
	long n;

	assert_non_null(mem);
	/* a CRL, a certificate between, a bad CRL: nothing */
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a), 1);
	assert_int_equal(PEM_write_bio_X509(mem, f->eum_x), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, bad), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "mix.pem"),
	                 ORSP_E_MALFORMED);
	assert_int_equal(orsp_crl_store_count(f->crls), 0);
	/* two good ones and text around them */
	assert_int_equal(BIO_reset(mem), 1);
	assert_int_equal(BIO_puts(mem, "CI and EUM CRLs\n") > 0, 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, b), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "two.pem"), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 2);
	/* a good CRL and one cut short (no END line: a copy caught mid-write) or with its
	 * base64 broken: nothing, where the good one alone was taken and the EUM's revocations
	 * lost (an issuer without a CRL is not checked) until session 66 */
	{
		orsp_crl_store *s = NULL;
		char *cut;
		assert_int_equal(orsp_crl_store_new(&s), ORSP_OK);
		assert_non_null(cut = malloc((size_t)n));
		memcpy(cut, text, (size_t)n);
		assert_int_equal(orsp_crl_store_add_mem(s, cut, (size_t)n - 30, "cut.pem"),
		                 ORSP_E_MALFORMED);
		assert_non_null(strstr(orsp_err_detail(), "does not decode"));
		assert_int_equal(orsp_crl_store_count(s), 0);
		/* a character no base64 has, inside the second block's body */
		cut[n - 60] = '!';
		assert_int_equal(orsp_crl_store_add_mem(s, cut, (size_t)n, "bad64.pem"),
		                 ORSP_E_MALFORMED);
		assert_int_equal(orsp_crl_store_count(s), 0);
		/* whole again: both */
		memcpy(cut, text, (size_t)n);
		assert_int_equal(orsp_crl_store_add_mem(s, cut, (size_t)n, "whole.pem"), ORSP_OK);
		assert_int_equal(orsp_crl_store_count(s), 2);
		free(cut);
		orsp_crl_store_free(s);
	}
	/* the same issuer, key and number again (other contents): refused */
	assert_int_equal(BIO_reset(mem), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a2), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "again.pem"),
	                 ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "held already"));
	assert_int_equal(orsp_crl_store_count(f->crls), 2);
	/* the same CRL twice in one file */
	{
		orsp_crl_store *s = NULL;
		assert_int_equal(orsp_crl_store_new(&s), ORSP_OK);
		assert_int_equal(BIO_reset(mem), 1);
		assert_int_equal(PEM_write_bio_X509_CRL(mem, b), 1);
		assert_int_equal(PEM_write_bio_X509_CRL(mem, b), 1);
		n = BIO_get_mem_data(mem, &text);
		assert_int_equal(orsp_crl_store_add_mem(s, text, (size_t)n, "twice.pem"),
		                 ORSP_E_POLICY);
		assert_int_equal(orsp_crl_store_count(s), 0);
		orsp_crl_store_free(s);
	}
	BIO_free(mem);
	X509_CRL_free(a);
	X509_CRL_free(a2);
	X509_CRL_free(b);
	X509_CRL_free(bad);
}

/* Two distribution points' copies of one CRL, the very same bytes in two files (DER in one,
 * PEM in the other): the second file is taken, its CRL held once, under the first file's
 * name (one series on /metrics), where it was refused as a second CRL of that number and
 * the SM-DP+ did not start. The same number with other bytes, the same file again, the same
 * CRL twice in one file are still refused, nothing of the file added. */
static void test_copies(void **state)
{
	fixture *f = *state;
	const char *serials[] = {EUM_SERIAL};
	X509_CRL *a = certmint_crl(&(certmint_crl_spec){.serials = serials, .n = 1, .number = 7},
	                           f->ci_x, f->ci_key);
	X509_CRL *a2 = certmint_crl(&(certmint_crl_spec){.number = 7}, f->ci_x, f->ci_key);
	X509_CRL *b = certmint_crl(&(certmint_crl_spec){.number = 1}, f->eum_x, f->eum_key);
	X509_CRL *nonum = certmint_crl(&(certmint_crl_spec){0}, f->eum_x, f->eum_key);
	size_t len = 0, nlen = 0, by_ci = 0;
	uint8_t *der = certmint_crl_der(a, &len), *nder = certmint_crl_der(nonum, &nlen);
	BIO *mem = BIO_new(BIO_s_mem());
	char *text = NULL, line[200];
	long n;
	orsp_crl_info info;

	assert_non_null(mem);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, der, len, "dp1.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, der, len, "dp2.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "dp3.pem"), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 1);
	assert_int_equal(orsp_crl_store_info(f->crls, 0, &info), ORSP_OK);
	assert_string_equal(info.name, "dp1.crl");
	/* the copies are listed (smdp serve --check prints them; they were left out) */
	assert_int_equal(orsp_crl_store_describe_copy(f->crls, 0, line, sizeof(line)), ORSP_OK);
	assert_string_equal(line, "dp2.crl: the same CRL as dp1.crl (the same bytes), held once");
	assert_int_equal(orsp_crl_store_describe_copy(f->crls, 1, line, sizeof(line)), ORSP_OK);
	assert_string_equal(line, "dp3.pem: the same CRL as dp1.crl (the same bytes), held once");
	assert_int_equal(orsp_crl_store_describe_copy(f->crls, 2, line, sizeof(line)),
	                 ORSP_E_NOT_FOUND);
	assert_string_equal(line, "");
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, &by_ci), ORSP_OK);
	assert_int_equal(by_ci, 1);
	assert_int_equal(status_of(f, f->ci, f->eum, 0, NULL), ORSP_CRL_REVOKED);
	assert_non_null(strstr(orsp_err_detail(), "by the CRL dp1.crl"));

	/* the same number, other bytes (a CRL that does not list the EUM): refused, naming the
	 * file that holds the other */
	BIO_free(mem);
	assert_non_null(mem = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a2), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "other.pem"),
	                 ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "other.pem: the same CRL (issuer, key and "
	                                          "cRLNumber) is held already, from dp1.crl"));
	assert_int_equal(orsp_crl_store_count(f->crls), 1);
	/* the same file again */
	assert_int_equal(orsp_crl_store_add_mem(f->crls, der, len, "dp1.crl"), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "dp1.crl: the same CRL"));
	assert_int_equal(orsp_crl_store_count(f->crls), 1);
	/* a copy and a new CRL in one file: the new one added */
	assert_int_equal(BIO_reset(mem), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, b), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "both.pem"), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 2);
	assert_int_equal(orsp_crl_store_info(f->crls, 1, &info), ORSP_OK);
	assert_string_equal(info.name, "both.pem");
	/* a copy, then a CRL of a number held with other bytes: nothing (the copy neither) */
	assert_int_equal(BIO_reset(mem), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, nonum), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a2), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "mixed.pem"),
	                 ORSP_E_POLICY);
	assert_int_equal(orsp_crl_store_count(f->crls), 2);
	assert_int_equal(orsp_crl_store_describe_copy(f->crls, 2, line, sizeof(line)), ORSP_OK);
	assert_string_equal(line, "both.pem: the same CRL as dp1.crl (the same bytes), held once");
	assert_int_equal(orsp_crl_store_describe_copy(f->crls, 3, line, sizeof(line)),
	                 ORSP_E_NOT_FOUND);
	/* the same CRL twice in one file, though a copy of it is held from another: refused */
	assert_int_equal(BIO_reset(mem), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a), 1);
	assert_int_equal(PEM_write_bio_X509_CRL(mem, a), 1);
	n = BIO_get_mem_data(mem, &text);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, text, (size_t)n, "twice.pem"),
	                 ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "twice.pem: the same CRL (issuer, key and "
	                                          "cRLNumber) twice in the file"));
	assert_int_equal(orsp_crl_store_count(f->crls), 2);
	/* a CRL without a number: its copy from another file held once too */
	assert_int_equal(orsp_crl_store_add_mem(f->crls, nder, nlen, "nonum1.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, nder, nlen, "nonum2.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 3);
	assert_int_equal(orsp_crl_store_add_mem(f->crls, nder, nlen, "nonum1.crl"), ORSP_E_POLICY);
	assert_int_equal(orsp_crl_store_count(f->crls), 3);
	BIO_free(mem);
	free(der);
	free(nder);
	X509_CRL_free(a);
	X509_CRL_free(a2);
	X509_CRL_free(b);
	X509_CRL_free(nonum);
}

static void test_add_file(void **state)
{
	fixture *f = *state;
	char path[600];
	X509_CRL *c = certmint_crl(&(certmint_crl_spec){.number = 9}, f->ci_x, f->ci_key);
	size_t len = 0;
	uint8_t *der = certmint_crl_der(c, &len);
	FILE *fp;

	snprintf(path, sizeof(path), "%s/ci.crl", test_tmpdir("crl_add_file"));
	fp = fopen(path, "wb");
	assert_non_null(fp);
	assert_int_equal(fwrite(der, 1, len, fp), len);
	assert_int_equal(fclose(fp), 0);
	assert_int_equal(orsp_crl_store_add_file(f->crls, path), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, NULL), ORSP_OK);
	assert_int_equal(orsp_crl_store_count(f->crls), 1);
	assert_int_equal(orsp_crl_store_add_file(f->crls, "/nonexistent/ci.crl"), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_crl_store_add_file(f->crls, test_tmpdir("crl_add_dir")), ORSP_E_IO);
	assert_int_equal(orsp_crl_store_count(f->crls), 1);
	free(der);
	X509_CRL_free(c);
}

/* orsp_crl_issue, read back by OpenSSL: the issuer's name, AKI, number, dates, entries and
 * reasons, and its signature under the issuer's key; then the store reads it the same. */
static void test_issue(void **state)
{
	fixture *f = *state;
	orsp_ec_key *key = test_load_key(CI_NIST_KEY);
	orsp_slice sn;
	orsp_slice d = orsp_cert_der(f->eum);
	static const uint8_t other[] = {0x01, 0x02};
	orsp_crl_revoked rev[2];
	uint8_t *der = NULL;
	size_t len = 0;
	const unsigned char *p;
	X509_CRL *c;
	X509_REVOKED *r = NULL;
	ASN1_INTEGER *want;
	ASN1_ENUMERATED *reason;
	int crit = -1;
	time_t t0 = certmint_time(2026, 1, 1), t1 = certmint_time(2026, 1, 8);

	assert_int_equal(orsp_cert_der_serial(d.p, d.len, &sn), ORSP_OK);
	rev[0] = (orsp_crl_revoked){sn.p, sn.len, t0, 1};
	rev[1] = (orsp_crl_revoked){other, sizeof(other), t0, 0};
	assert_int_equal(orsp_crl_issue(f->ci, key, rev, 2, t0, t1, 42, &der, &len), ORSP_OK);
	p = der;
	c = d2i_X509_CRL(NULL, &p, (long)len);
	assert_non_null(c);
	assert_ptr_equal(p, der + len);
	assert_int_equal(X509_CRL_verify(c, f->ci_key), 1);
	assert_int_equal(X509_CRL_get_version(c), X509_CRL_VERSION_2);
	assert_int_equal(X509_NAME_cmp(X509_CRL_get_issuer(c), X509_get_subject_name(f->ci_x)), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_lastUpdate(c), t0), 0);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_CRL_get0_nextUpdate(c), t1), 0);
	{
		AUTHORITY_KEYID *ak =
		    X509_CRL_get_ext_d2i(c, NID_authority_key_identifier, NULL, NULL);
		ASN1_INTEGER *num = X509_CRL_get_ext_d2i(c, NID_crl_number, NULL, NULL);
		assert_non_null(ak);
		assert_non_null(num);
		assert_int_equal(
		    ASN1_OCTET_STRING_cmp(ak->keyid, X509_get0_subject_key_id(f->ci_x)), 0);
		assert_int_equal(ASN1_INTEGER_get(num), 42);
		AUTHORITY_KEYID_free(ak);
		ASN1_INTEGER_free(num);
	}
	assert_int_equal(sk_X509_REVOKED_num(X509_CRL_get_REVOKED(c)), 2);
	assert_int_equal(X509_CRL_get0_by_serial(c, &r, X509_get0_serialNumber(f->eum_x)), 1);
	reason = X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL);
	assert_non_null(reason);
	assert_int_equal(ASN1_ENUMERATED_get(reason), 1);
	ASN1_ENUMERATED_free(reason);
	want = ASN1_INTEGER_new();
	assert_int_equal(ASN1_INTEGER_set(want, 0x0102), 1);
	assert_int_equal(X509_CRL_get0_by_serial(c, &r, want), 1);
	/* unspecified is written as no reasonCode at all */
	crit = 0;
	assert_null(X509_REVOKED_get_ext_d2i(r, NID_crl_reason, &crit, NULL));
	assert_int_equal(crit, -1);
	ASN1_INTEGER_free(want);
	X509_CRL_free(c);

	assert_int_equal(orsp_crl_store_add_mem(f->crls, der, len, "issued.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, NULL), ORSP_OK);
	assert_int_equal(status_of(f, f->ci, f->eum, t0 + 60, NULL), ORSP_CRL_REVOKED);
	assert_int_equal(status_of(f, f->ci, f->eum, t1 + 1, NULL), ORSP_CRL_REVOKED);
	free(der);
	orsp_ec_free(key);
}

static void test_issue_refused(void **state)
{
	fixture *f = *state;
	orsp_ec_key *key = test_load_key(CI_NIST_KEY);
	orsp_ec_key *eum_key = test_load_key(EUM_NIST_KEY);
	static const uint8_t sn[21] = {1};
	uint8_t *der = (uint8_t *)"x";
	size_t len = 5;
	time_t t0 = certmint_time(2026, 1, 1);
	static const int bad_reasons[] = {-1, 7, 8, 11};

	/* the EUM's key for the CI's CRL */
	assert_int_equal(orsp_crl_issue(f->ci, eum_key, NULL, 0, t0, t0 + 60, 1, &der, &len),
	                 ORSP_E_USAGE);
	assert_null(der);
	assert_int_equal(len, 0);
	assert_int_equal(orsp_crl_issue(f->ci, key, NULL, 0, t0, t0, 1, &der, &len), ORSP_E_USAGE);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_reasons); i++) {
		orsp_crl_revoked r = {sn, 1, t0, bad_reasons[i]};
		assert_int_equal(orsp_crl_issue(f->ci, key, &r, 1, t0, t0 + 60, 1, &der, &len),
		                 ORSP_E_USAGE);
	}
	{
		orsp_crl_revoked r = {sn, 0, t0, 0}, r2 = {sn, 21, t0, 0};
		assert_int_equal(orsp_crl_issue(f->ci, key, &r, 1, t0, t0 + 60, 1, &der, &len),
		                 ORSP_E_USAGE);
		assert_int_equal(orsp_crl_issue(f->ci, key, &r2, 1, t0, t0 + 60, 1, &der, &len),
		                 ORSP_E_USAGE);
	}
	assert_null(der);
	orsp_ec_free(key);
	orsp_ec_free(eum_key);
}

/* A thread's n checks of the eUICC under the EUM, counted by verdict; done (if any) counted
 * up at the end. */
typedef struct check_arg {
	fixture *f;
	int n, revoked, good, other;
	_Atomic int *done;
} check_arg;

static void *check_main(void *p)
{
	check_arg *a = p;
	orsp_slice d = orsp_cert_der(a->f->euicc);
	for (int i = 0; i < a->n; i++) {
		orsp_crl_status st = ORSP_CRL_GOOD;
		orsp_err e = orsp_crl_check(a->f->crls, a->f->eum, d.p, d.len, 0, &st);
		if (e == ORSP_E_POLICY && st == ORSP_CRL_REVOKED)
			a->revoked++;
		else if (e == ORSP_OK && st == ORSP_CRL_GOOD)
			a->good++;
		else
			a->other++;
	}
	if (a->done)
		(*a->done)++;
	return NULL;
}

/* Many threads check under one EUM CRL verified lazily (ThreadSanitizer's case). */
static void test_threads(void **state)
{
	fixture *f = *state;
	const char *serials[] = {EUICC_SERIAL};
	certmint_crl_spec s = {.serials = serials, .n = 1};
	pthread_t t[4];
	check_arg a[4];

	assert_int_equal(add_minted(f, &s, f->eum_x, f->eum_key, "eum.crl"), ORSP_OK);
	for (int i = 0; i < 4; i++) {
		a[i] = (check_arg){.f = f, .n = 200};
		assert_int_equal(pthread_create(&t[i], NULL, check_main, &a[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].revoked, 200);
	}
}

/* brainpoolP256r1: the SGP.26 brainpool CI's CRL revokes its EUM (verified at bind with the
 * brainpool key), the brainpool EUM's its eUICC (verified at the first check). Their serial
 * numbers and names are the NIST ones': the key identifiers keep the two hierarchies apart. */
static void test_brainpool(void **state)
{
	fixture *f = *state;
	const char *eum_serial[] = {EUM_SERIAL}, *euicc_serial[] = {EUICC_SERIAL};
	certmint_crl_spec ci_s = {.serials = eum_serial, .n = 1, .number = 1};
	certmint_crl_spec eum_s = {.serials = euicc_serial, .n = 1, .number = 1};
	X509 *ci_x = certmint_cert_load(CI_BRP), *eum_x = certmint_cert_load(EUM_BRP);
	EVP_PKEY *ci_key = certmint_key_load(CI_BRP_KEY), *eum_key = certmint_key_load(EUM_BRP_KEY);
	orsp_cert *eum = test_load_cert(EUM_BRP), *euicc = test_load_cert(EUICC_BRP);
	size_t by_ci = 0;

	assert_int_equal(add_minted(f, &ci_s, ci_x, ci_key, "ci-brp.crl"), ORSP_OK);
	assert_int_equal(add_minted(f, &eum_s, eum_x, eum_key, "eum-brp.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(f->crls, f->cis, &by_ci), ORSP_OK);
	assert_int_equal(by_ci, 1);
	assert_int_equal(status_of(f, f->ci_brp, eum, 0, NULL), ORSP_CRL_REVOKED);
	assert_non_null(strstr(orsp_err_detail(), "ci-brp.crl"));
	assert_int_equal(status_of(f, eum, euicc, 0, NULL), ORSP_CRL_REVOKED);
	assert_non_null(strstr(orsp_err_detail(), "eum-brp.crl"));
	/* the NIST hierarchy: the same serials and names, other keys */
	assert_int_equal(status_of(f, f->ci, f->eum, 0, NULL), ORSP_CRL_GOOD);
	assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_GOOD);
	orsp_cert_free(euicc);
	orsp_cert_free(eum);
	EVP_PKEY_free(eum_key);
	EVP_PKEY_free(ci_key);
	X509_free(eum_x);
	X509_free(ci_x);
}

/* New CRLs put in force while threads check: every verdict is one store's (REVOKED by the
 * first, GOOD by the second: never an error, never a CRL half swapped), and afterwards the
 * store says what its CRLs say, its former ones in the other store. */
static void test_swap(void **state)
{
	fixture *f = *state;
	const char *serials[] = {EUICC_SERIAL};
	certmint_crl_spec revoking = {.serials = serials, .n = 1, .number = 1};
	certmint_crl_spec empty = {.number = 2};
	orsp_crl_store *fresh = NULL;
	_Atomic int done = 0;
	pthread_t t[4];
	check_arg a[4];
	char line[200];
	int swaps = 0;

	assert_int_equal(add_minted(f, &revoking, f->eum_x, f->eum_key, "old.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_new(&fresh), ORSP_OK);
	assert_int_equal(add_minted_to(fresh, &empty, f->eum_x, f->eum_key, "new.crl"), ORSP_OK);
	assert_int_equal(orsp_crl_store_bind(fresh, f->cis, NULL), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_REVOKED);
	for (int i = 0; i < 4; i++) {
		a[i] = (check_arg){.f = f, .n = 2000, .done = &done};
		assert_int_equal(pthread_create(&t[i], NULL, check_main, &a[i]), 0);
	}
	while (done < 4 || swaps % 2 == 1) {
		assert_int_equal(orsp_crl_store_swap(f->crls, fresh), ORSP_OK);
		swaps++;
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(t[i], NULL), 0);
		assert_int_equal(a[i].other, 0);
		assert_int_equal(a[i].revoked + a[i].good, 2000);
	}
	/* an even number of swaps: as at first; one more puts the empty CRL in force */
	assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_REVOKED);
	assert_int_equal(orsp_crl_store_swap(f->crls, fresh), ORSP_OK);
	assert_int_equal(status_of(f, f->eum, f->euicc, 0, NULL), ORSP_CRL_GOOD);
	assert_int_equal(orsp_crl_store_describe(f->crls, 0, 0, line, sizeof(line)), ORSP_OK);
	assert_non_null(strstr(line, "new.crl: "));
	assert_int_equal(orsp_crl_store_describe(fresh, 0, 0, line, sizeof(line)), ORSP_OK);
	assert_non_null(strstr(line, "old.crl: "));
	assert_int_equal(orsp_crl_store_count(fresh), 1);
	assert_int_equal(orsp_crl_store_swap(NULL, fresh), ORSP_E_USAGE);
	assert_int_equal(orsp_crl_store_swap(fresh, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_crl_store_swap(fresh, fresh), ORSP_E_USAGE);
	orsp_crl_store_free(fresh);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_der_serial, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_no_crl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ci_revokes_eum, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_listed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eum_revokes_euicc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issuer_match, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stale, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newest, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signatures, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_not_a_crl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signed_parts, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pem_and_duplicates, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_add_file, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issue, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issue_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_threads, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_swap, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_entries, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_issued_by, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_brainpool, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_bounds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pem_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_copies, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_client_ca_without_ski, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
