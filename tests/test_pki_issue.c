/* Certificate issuing (orsp_cert_issue) and EIDs (orsp_eid_check / orsp_eid_generate).
 *
 * Issued hierarchies are checked by the RSP verifier in x509.c and, independently, by
 * reading them back with OpenSSL: extension bytes are compared with the published SGP.26
 * test certificates of the same role (the outside reference for the profile), and
 * certificates issued under the SGP.26 test CI and EUM keys verify against the SGP.26
 * chain. Every argument check of the issuing API has a negative case. */
#include "testutil.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/conf.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509v3.h>

#include "certmint.h"
#include "openrsp/crypto.h"

#define SGP26_EID "89049032123451234512345678901235" /* SGP.26 test eUICC (sgp26/README) */
/* The EID of pySim's BSP test vector (sgp22/bsp_kdf.tsv): its check digits are not valid
 * (the number is 4 mod 97), so a correct checker must refuse it. */
#define PYSIM_BSP_EID "89049032123451234512345678901335"
#define DAY 86400

enum { CI, EUM, EUICC, DPAUTH, DPPB, DPTLS, N_CERTS };

static const orsp_rsp_role roles[N_CERTS] = {ORSP_ROLE_CI,      ORSP_ROLE_EUM,   ORSP_ROLE_EUICC,
                                             ORSP_ROLE_DP_AUTH, ORSP_ROLE_DP_PB, ORSP_ROLE_DP_TLS};
static const int issuer_of[N_CERTS] = {-1, CI, EUM, CI, CI, CI};

/* SGP.26 counterparts: sgp26/<stem><NIST|BRP>.der */
static const char *const sgp26_stems[N_CERTS] = {
    "CertificateIssuer/CERT_CI_ECDSA_", "EUM/CERT_EUM_ECDSA_",        "eUICC/CERT_EUICC_ECDSA_",
    "DPauth/CERT_S_SM_DPauth_ECDSA_",   "DPpb/CERT_S_SM_DPpb_ECDSA_", "DPtls/CERT_S_SM_DP_TLS_",
};

static const char *sgp26_path(char out[128], int i, const char *tag)
{
	int n = snprintf(out, 128, "sgp26/%s%s.der", sgp26_stems[i], tag);
	assert_true(n > 0 && n < 128);
	return out;
}

static const orsp_curve curves[] = {ORSP_CURVE_P256, ORSP_CURVE_BRAINPOOLP256R1};
static const char *const curve_tags[] = {"NIST", "BRP"};

#define expect(call, err, word) expect_((call), (err), (word), __LINE__)
static void expect_(orsp_err got, orsp_err want, const char *word, int line)
{
	if (got != want)
		fail_msg("line %d: got %s, want %s (%s)", line, orsp_err_str(got),
		         orsp_err_str(want), orsp_err_detail());
	if (word && !strstr(orsp_err_detail(), word))
		fail_msg("line %d: detail \"%s\" lacks \"%s\"", line, orsp_err_detail(), word);
}

#define ok(call) expect((call), ORSP_OK, NULL)

static X509 *to_x509(const orsp_cert *c)
{
	orsp_slice d = orsp_cert_der(c);
	const unsigned char *p = d.p;
	X509 *x = d2i_X509(NULL, &p, (long)d.len);
	assert_non_null(x);
	return x;
}

static orsp_ec_key *new_key(orsp_curve curve)
{
	orsp_ec_key *k = NULL;
	ok(orsp_ec_generate(curve, &k));
	return k;
}

static orsp_cert *issue(const orsp_cert_template *t, const orsp_ec_key *subj,
                        const orsp_ec_key *ikey, const orsp_cert *icert)
{
	orsp_cert *c = NULL;
	ok(orsp_cert_issue(t, subj, ikey, icert, &c));
	assert_non_null(c);
	return c;
}

/* The template of certificate i in a hierarchy with our names (sgp26 = false) or with the
 * names and RIDs of the SGP.26 counterpart (for the byte comparison). */
static const char *const sgp26_ci_crls[] = {"http://ci.test.example.com/CRL-A.crl",
                                            "http://ci.test.example.com/CRL-B.crl", NULL};

static void template_for(int i, bool sgp26, const char *eid, orsp_cert_template *t)
{
	time_t now = time(NULL);

	ok(orsp_cert_template_init(t, roles[i]));
	t->not_before = now - 60;
	t->not_after = now + 365 * DAY;
	switch (i) {
	case CI:
		t->country = sgp26 ? "IT" : "XX";
		t->org = sgp26 ? "RSPTEST" : "openrsp";
		t->org_unit = "TESTCERT";
		t->common_name = sgp26 ? "Test CI" : "openrsp Test CI";
		t->san_rid = sgp26 ? "2.999.1" : NULL;
		break;
	case EUM:
		t->country = sgp26 ? "ES" : "XX";
		t->org = "RSP Test EUM";
		t->common_name = "EUM Test";
		t->nc_org = "RSP Test EUM";
		t->eid_prefix = "89049032";
		t->san_rid = sgp26 ? "2.999.5" : NULL;
		break;
	case EUICC:
		t->country = sgp26 ? "ES" : "XX";
		t->org = "RSP Test EUM";
		t->serial_number = eid;
		t->common_name = "Test eUICC";
		break;
	case DPAUTH:
	case DPPB:
		t->org = "ACME";
		t->common_name = "TEST SM-DP+";
		t->san_rid = "2.999.10";
		break;
	case DPTLS:
		t->org = "ACME";
		t->common_name = "testsmdpplus1.example.com";
		t->san_dns = "testsmdpplus1.example.com";
		t->san_rid = "2.999.10";
		break;
	}
	/* the CRL distribution points SGP.26 names: both of the CI's CRLs, the EUM only the
	 * second, none in the eUICC certificate */
	if (sgp26 && i != EUICC)
		t->crl_urls = i == EUM ? sgp26_ci_crls + 1 : sgp26_ci_crls;
}

typedef struct pki {
	orsp_ec_key *k[N_CERTS];
	orsp_cert *c[N_CERTS];
} pki;

static void pki_issue(pki *p, orsp_curve curve, bool sgp26, const char *eid)
{
	for (int i = 0; i < N_CERTS; i++) {
		orsp_cert_template t;
		int is = issuer_of[i];
		template_for(i, sgp26, eid, &t);
		p->k[i] = new_key(curve);
		p->c[i] = issue(&t, p->k[i], is < 0 ? p->k[i] : p->k[is], is < 0 ? NULL : p->c[is]);
	}
}

static void pki_free(pki *p)
{
	for (int i = 0; i < N_CERTS; i++) {
		orsp_cert_free(p->c[i]);
		orsp_ec_free(p->k[i]);
	}
}

static orsp_ci_store *store_with(const orsp_cert *ci)
{
	orsp_ci_store *s = NULL;
	ok(orsp_ci_store_new(&s));
	ok(orsp_ci_store_add(s, ci));
	return s;
}

/* ----- EIDs ----- */

/* The number modulo 97 nine digits at a time (a different reduction from the library's). */
static unsigned mod97_chunked(const char *d)
{
	unsigned long long r = 0;
	size_t n = strlen(d);

	for (size_t i = 0; i < n; i += 9) {
		unsigned long long chunk = 0, scale = 1;
		for (size_t j = i; j < n && j < i + 9; j++) {
			chunk = chunk * 10 + (unsigned)(d[j] - '0');
			scale *= 10;
		}
		r = (r * scale + chunk) % 97;
	}
	return (unsigned)r;
}

static void test_eid_check(void **state)
{
	char eid[33];
	(void)state;

	ok(orsp_eid_check(SGP26_EID));
	assert_int_equal(mod97_chunked(SGP26_EID), 1);
	expect(orsp_eid_check(PYSIM_BSP_EID), ORSP_E_MALFORMED, "check digits");
	/* MOD 97-10 detects every single-digit substitution. */
	for (size_t i = 0; i < 32; i++)
		for (char d = '0'; d <= '9'; d++) {
			memcpy(eid, SGP26_EID, 33);
			if (eid[i] == d)
				continue;
			eid[i] = d;
			expect(orsp_eid_check(eid), ORSP_E_MALFORMED, "check digits");
		}
	/* ... and every transposition of two different adjacent digits. */
	for (size_t i = 0; i + 1 < 32; i++) {
		memcpy(eid, SGP26_EID, 33);
		if (eid[i] == eid[i + 1])
			continue;
		eid[i] = SGP26_EID[i + 1];
		eid[i + 1] = SGP26_EID[i];
		expect(orsp_eid_check(eid), ORSP_E_MALFORMED, "check digits");
	}
	expect(orsp_eid_check("8904903212345123451234567890123"), ORSP_E_MALFORMED, "32");
	expect(orsp_eid_check("890490321234512345123456789012350"), ORSP_E_MALFORMED, "32");
	expect(orsp_eid_check("8904903212345123451234567890123A"), ORSP_E_MALFORMED, "32");
	expect(orsp_eid_check(""), ORSP_E_MALFORMED, "32");
	expect(orsp_eid_check(NULL), ORSP_E_USAGE, NULL);
}

static void test_eid_generate(void **state)
{
	static const char *const prefixes[] = {"8", "89049032", "890490321234512345123456789012"};
	char eid[33], first[33];
	bool differ = false;
	(void)state;

	for (size_t p = 0; p < ORSP_ARRAY_LEN(prefixes); p++) {
		for (int n = 0; n < 200; n++) {
			ok(orsp_eid_generate(prefixes[p], eid));
			assert_int_equal(strlen(eid), 32);
			assert_int_equal(strncmp(eid, prefixes[p], strlen(prefixes[p])), 0);
			for (size_t i = 0; i < 32; i++)
				assert_true(eid[i] >= '0' && eid[i] <= '9');
			if (mod97_chunked(eid) != 1)
				fail_msg("generated EID %s is %u mod 97", eid, mod97_chunked(eid));
			ok(orsp_eid_check(eid));
			if (n == 0)
				memcpy(first, eid, 33);
			else if (strcmp(first, eid) != 0)
				differ = true;
		}
	}
	assert_true(differ);
	expect(orsp_eid_generate("", eid), ORSP_E_USAGE, "prefix");
	expect(orsp_eid_generate("8904903212345123451234567890123", eid), ORSP_E_USAGE, "prefix");
	expect(orsp_eid_generate("8904x032", eid), ORSP_E_USAGE, "prefix");
	assert_int_equal(eid[0], '\0');
	expect(orsp_eid_generate(NULL, eid), ORSP_E_USAGE, NULL);
}

/* ----- a full hierarchy, verified ----- */

static void check_serial_ski_aki(const pki *p)
{
	const ASN1_INTEGER *serials[N_CERTS];
	X509 *xs[N_CERTS];

	for (int i = 0; i < N_CERTS; i++) {
		uint8_t point[ORSP_EC_POINT_LEN], sha1[20], ski[32], aki[32];
		unsigned int sha1_len = 0;
		size_t ski_len, aki_len, iski_len;
		uint8_t iski[32];
		int is = issuer_of[i] < 0 ? i : issuer_of[i];

		xs[i] = to_x509(p->c[i]);
		/* RFC 5280 §4.1.2.2: positive, here exactly 16 octets. */
		serials[i] = X509_get0_serialNumber(xs[i]);
		assert_int_equal(ASN1_STRING_type(serials[i]), V_ASN1_INTEGER);
		assert_int_equal(ASN1_STRING_length(serials[i]), 16);
		assert_true(ASN1_STRING_get0_data(serials[i])[0] != 0);
		for (int j = 0; j < i; j++)
			assert_int_not_equal(ASN1_INTEGER_cmp(serials[i], serials[j]), 0);
		assert_int_equal(X509_get_version(xs[i]), X509_VERSION_3);
		assert_int_equal(X509_get_signature_nid(xs[i]), NID_ecdsa_with_SHA256);
		/* SKI = SHA-1 of the uncompressed point (the subjectPublicKey BIT STRING). */
		ok(orsp_ec_public_point(p->k[i], point));
		assert_int_equal(
		    EVP_Digest(point, sizeof(point), sha1, &sha1_len, EVP_sha1(), NULL), 1);
		ok(orsp_cert_ski(p->c[i], ski, sizeof(ski), &ski_len));
		assert_int_equal(ski_len, 20);
		assert_bytes_equal(ski, sha1, 20);
		/* AKI = the issuer's SKI; the CI, self-signed, has none (as SGP.26's) */
		if (i == CI) {
			assert_int_not_equal(orsp_cert_aki(p->c[i], aki, sizeof(aki), &aki_len),
			                     ORSP_OK);
			orsp_err_clear();
			continue;
		}
		ok(orsp_cert_aki(p->c[i], aki, sizeof(aki), &aki_len));
		ok(orsp_cert_ski(p->c[is], iski, sizeof(iski), &iski_len));
		assert_int_equal(aki_len, iski_len);
		assert_bytes_equal(aki, iski, aki_len);
	}
	for (int i = 0; i < N_CERTS; i++)
		X509_free(xs[i]);
}

static void test_hierarchy_verifies(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < ORSP_ARRAY_LEN(curves); ci++) {
		pki p = {0};
		orsp_ci_store *s;
		orsp_rsp_role role;
		char eid[33], got[33], serial[40];

		ok(orsp_eid_generate("89049032", eid));
		pki_issue(&p, curves[ci], false, eid);
		s = store_with(p.c[CI]);
		for (int i = 0; i < N_CERTS; i++) {
			ok(orsp_cert_rsp_role(p.c[i], &role));
			assert_int_equal(role, roles[i]);
		}
		ok(orsp_rsp_verify_euicc_chain(s, p.c[EUM], p.c[EUICC], 0, got));
		assert_string_equal(got, eid);
		ok(orsp_cert_subject_serial(p.c[EUICC], serial, sizeof(serial)));
		assert_string_equal(serial, eid);
		ok(orsp_rsp_verify_server_cert(s, p.c[DPAUTH], ORSP_ROLE_DP_AUTH, NULL, 0));
		ok(orsp_rsp_verify_server_cert(s, p.c[DPPB], ORSP_ROLE_DP_PB, NULL, 0));
		ok(orsp_rsp_verify_server_cert(s, p.c[DPTLS], ORSP_ROLE_DP_TLS,
		                               "testsmdpplus1.example.com", 0));
		ok(orsp_rsp_verify_server_cert(s, p.c[DPTLS], ORSP_ROLE_DP_TLS,
		                               "TestSMDPplus1.Example.COM", 0));
		expect(orsp_rsp_verify_server_cert(s, p.c[DPTLS], ORSP_ROLE_DP_TLS,
		                                   "testsmdpplus2.example.com", 0),
		       ORSP_E_POLICY, "DNS");
		/* The roles are distinct: DPauth is not accepted as DPpb, nor the EUM as CI. */
		expect(orsp_rsp_verify_server_cert(s, p.c[DPAUTH], ORSP_ROLE_DP_PB, NULL, 0),
		       ORSP_E_POLICY, "policy");
		expect(orsp_rsp_verify_server_cert(s, p.c[DPTLS], ORSP_ROLE_DP_AUTH, NULL, 0),
		       ORSP_E_POLICY, "policy");
		/* The validity window is the template's. */
		expect(orsp_rsp_verify_server_cert(s, p.c[DPAUTH], ORSP_ROLE_DP_AUTH, NULL,
		                                   time(NULL) + 400 * DAY),
		       ORSP_E_POLICY, "expired");
		expect(orsp_rsp_verify_server_cert(s, p.c[DPAUTH], ORSP_ROLE_DP_AUTH, NULL,
		                                   time(NULL) - DAY),
		       ORSP_E_POLICY, "not valid before");
		check_serial_ski_aki(&p);
		orsp_ci_store_free(s);
		pki_free(&p);
	}
}

/* A CI valid past 2049 is encoded with GeneralizedTime (RFC 5280 §4.1.2.5) and still works;
 * orsp_cert_validity reads both forms back as issued. */
static void test_long_validity(void **state)
{
	orsp_cert_template t;
	orsp_ec_key *k = new_key(ORSP_CURVE_P256);
	orsp_cert *c;
	orsp_ci_store *s;
	time_t nb = 0, na = 0;
	X509 *x;
	(void)state;

	template_for(CI, false, NULL, &t);
	t.not_after = certmint_time(2060, 1, 1);
	c = issue(&t, k, k, NULL);
	x = to_x509(c);
	assert_int_equal(ASN1_STRING_type(X509_get0_notBefore(x)), V_ASN1_UTCTIME);
	assert_int_equal(ASN1_STRING_type(X509_get0_notAfter(x)), V_ASN1_GENERALIZEDTIME);
	assert_int_equal(ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), certmint_time(2060, 1, 1)), 0);
	assert_int_equal(orsp_cert_validity(c, &nb, &na), ORSP_OK);
	assert_int_equal(nb, t.not_before);
	assert_int_equal(na, certmint_time(2060, 1, 1));
	assert_int_equal(orsp_cert_validity(c, NULL, &na), ORSP_OK);
	assert_int_equal(orsp_cert_validity(NULL, &nb, &na), ORSP_E_USAGE);
	orsp_err_clear();
	s = store_with(c);
	X509_free(x);
	orsp_ci_store_free(s);
	orsp_cert_free(c);
	orsp_ec_free(k);
}

/* ----- negative: EID range, wrong keys ----- */

static void test_eid_outside_range(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < ORSP_ARRAY_LEN(curves); ci++) {
		pki p = {0};
		orsp_cert_template t;
		orsp_ec_key *k = new_key(curves[ci]);
		orsp_cert *outside;
		orsp_ci_store *s;
		char eid[33], got[33] = "x";

		ok(orsp_eid_generate("89049033", eid)); /* valid EID, other EUM range */
		pki_issue(&p, curves[ci], false, SGP26_EID);
		s = store_with(p.c[CI]);
		template_for(EUICC, false, eid, &t);
		outside = issue(&t, k, p.k[EUM], p.c[EUM]);
		expect(orsp_rsp_verify_euicc_chain(s, p.c[EUM], outside, 0, got), ORSP_E_POLICY,
		       "outside the permitted");
		assert_string_equal(got, "");
		orsp_cert_free(outside);
		/* Just below the range. */
		template_for(EUICC, false, "89049031000000000000000000000000", &t);
		outside = issue(&t, k, p.k[EUM], p.c[EUM]);
		expect(orsp_rsp_verify_euicc_chain(s, p.c[EUM], outside, 0, NULL), ORSP_E_POLICY,
		       "outside");
		orsp_cert_free(outside);
		orsp_ci_store_free(s);
		orsp_ec_free(k);
		pki_free(&p);
	}
}

/* The certificate re-signed with another key by OpenSSL directly (the API refuses to). */
static orsp_cert *resign(const orsp_cert *c, const char *group)
{
	X509 *x = to_x509(c);
	EVP_PKEY *k = certmint_key_new(group);
	orsp_cert *out;

	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	out = certmint_to_orsp(x);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

static void test_wrong_issuer_key(void **state)
{
	static const char *const groups[] = {"prime256v1", "brainpoolP256r1"};
	(void)state;
	for (size_t ci = 0; ci < ORSP_ARRAY_LEN(curves); ci++) {
		pki p = {0};
		orsp_cert_template t;
		orsp_ec_key *other = new_key(curves[ci]), *pub = NULL;
		orsp_ec_key *foreign = new_key(curves[1 - ci]);
		orsp_cert *c = NULL, *bad;
		orsp_ci_store *s;
		uint8_t point[ORSP_EC_POINT_LEN];

		pki_issue(&p, curves[ci], false, SGP26_EID);
		s = store_with(p.c[CI]);

		/* Signed by a key that is not the issuer's: the verifiers see a bad signature. */
		bad = resign(p.c[EUM], groups[ci]);
		expect(orsp_rsp_verify_euicc_chain(s, bad, p.c[EUICC], 0, NULL), ORSP_E_VERIFY,
		       "signature");
		orsp_cert_free(bad);
		bad = resign(p.c[EUICC], groups[ci]);
		expect(orsp_rsp_verify_euicc_chain(s, p.c[EUM], bad, 0, NULL), ORSP_E_VERIFY,
		       "signature");
		orsp_cert_free(bad);
		bad = resign(p.c[DPAUTH], groups[ci]);
		expect(orsp_rsp_verify_server_cert(s, bad, ORSP_ROLE_DP_AUTH, NULL, 0),
		       ORSP_E_VERIFY, "signature");
		orsp_cert_free(bad);

		/* The API itself refuses an issuer key that does not match the issuer. */
		template_for(DPAUTH, false, NULL, &t);
		expect(orsp_cert_issue(&t, other, other, p.c[CI], &c), ORSP_E_USAGE,
		       "does not belong");
		assert_null(c);
		template_for(EUICC, false, SGP26_EID, &t);
		expect(orsp_cert_issue(&t, other, p.k[CI], p.c[EUM], &c), ORSP_E_USAGE,
		       "does not belong");
		/* Self-signed only with the subject's own key. */
		template_for(CI, false, NULL, &t);
		expect(orsp_cert_issue(&t, other, p.k[CI], NULL, &c), ORSP_E_USAGE, "own key");
		/* A public key cannot sign. */
		ok(orsp_ec_public_point(p.k[CI], point));
		ok(orsp_ec_from_public_point(curves[ci], point, sizeof(point), &pub));
		template_for(DPAUTH, false, NULL, &t);
		expect(orsp_cert_issue(&t, other, pub, p.c[CI], &c), ORSP_E_USAGE, "private");
		/* One hierarchy, one curve. */
		expect(orsp_cert_issue(&t, foreign, p.k[CI], p.c[CI], &c), ORSP_E_USAGE, "curve");
		/* The issuer must have an SKI for the AKI. */
		{
			certmint_spec ms = {.subject = "/CN=no ski CI",
			                    .policy = "2.23.146.1.2.1.0",
			                    .key_usage = "critical,keyCertSign",
			                    .basic_constraints = "critical,CA:TRUE",
			                    .no_ski = true,
			                    .no_aki = true};
			EVP_PKEY *mk = certmint_key_new("prime256v1");
			X509 *mx = certmint_issue(&ms, mk, NULL, mk);
			orsp_cert *noski = certmint_to_orsp(mx);
			orsp_ec_key *mkey = NULL;
			unsigned char *kder = NULL;
			int kder_len = i2d_PrivateKey(mk, &kder);
			assert_true(kder_len > 0);
			ok(orsp_ec_load_private(kder, (size_t)kder_len, &mkey));
			if (curves[ci] == ORSP_CURVE_P256)
				expect(orsp_cert_issue(&t, other, mkey, noski, &c), ORSP_E_USAGE,
				       "subjectKeyIdentifier");
			OPENSSL_clear_free(kder, (size_t)kder_len);
			orsp_ec_free(mkey);
			orsp_cert_free(noski);
			X509_free(mx);
			EVP_PKEY_free(mk);
		}
		/* The issuer must be a CA (until session 58 an end-entity certificate issued
		 * what verifies under no chain), and one of pathLenConstraint 0 (the EUM's)
		 * issues no CA certificate; an eUICC's under the EUM is the control. */
		template_for(DPPB, false, NULL, &t);
		expect(orsp_cert_issue(&t, other, p.k[DPAUTH], p.c[DPAUTH], &c), ORSP_E_USAGE,
		       "not a CA's");
		template_for(EUICC, false, SGP26_EID, &t);
		expect(orsp_cert_issue(&t, other, p.k[EUICC], p.c[EUICC], &c), ORSP_E_USAGE,
		       "not a CA's");
		template_for(EUM, false, NULL, &t);
		expect(orsp_cert_issue(&t, other, p.k[EUM], p.c[EUM], &c), ORSP_E_USAGE,
		       "pathLenConstraint is 0");
		assert_null(c);
		template_for(EUICC, false, SGP26_EID, &t);
		ok(orsp_cert_issue(&t, other, p.k[EUM], p.c[EUM], &c));
		orsp_cert_free(c);
		c = NULL;
		orsp_ec_free(pub);
		orsp_ec_free(other);
		orsp_ec_free(foreign);
		orsp_ci_store_free(s);
		pki_free(&p);
	}
}

/* ----- permittedEins (SGP.22 v3) ----- */

static void test_permitted_eins(void **state)
{
	static const char *const eins[] = {"89049032", NULL};
	static const char *const two[] = {"89049031", "8904903212345", NULL};
	/* SEQUENCE { PrintableString "89049032" } */
	static const uint8_t want_der[] = {0x30, 0x0a, 0x13, 0x08, '8', '9',
	                                   '0',  '4',  '9',  '0',  '3', '2'};
	pki p = {0};
	orsp_cert_template t;
	orsp_ec_key *k = new_key(ORSP_CURVE_P256), *k2 = new_key(ORSP_CURVE_P256);
	orsp_cert *eum, *euicc, *eum2, *euicc2;
	orsp_ci_store *s;
	X509 *x;
	ASN1_OBJECT *oid = OBJ_txt2obj("2.23.146.1.2.2.0", 1);
	X509_EXTENSION *ext;
	const ASN1_OCTET_STRING *v;
	char eid[33];
	(void)state;

	pki_issue(&p, ORSP_CURVE_P256, false, SGP26_EID);
	s = store_with(p.c[CI]);
	/* nameConstraints and permittedEins together. */
	template_for(EUM, false, NULL, &t);
	t.permitted_eins = eins;
	eum = issue(&t, k, p.k[CI], p.c[CI]);
	x = to_x509(eum);
	ext = X509_get_ext(x, X509_get_ext_by_OBJ(x, oid, -1));
	assert_non_null(ext);
	assert_false(X509_EXTENSION_get_critical(ext));
	v = X509_EXTENSION_get_data(ext);
	assert_int_equal(ASN1_STRING_length(v), sizeof(want_der));
	assert_bytes_equal(ASN1_STRING_get0_data(v), want_der, sizeof(want_der));
	X509_free(x);
	template_for(EUICC, false, SGP26_EID, &t);
	euicc = issue(&t, k2, k, eum);
	ok(orsp_rsp_verify_euicc_chain(s, eum, euicc, 0, NULL));
	orsp_cert_free(euicc);

	/* permittedEins alone, two prefixes: the verifier reads the v3 extension. */
	template_for(EUM, false, NULL, &t);
	t.eid_prefix = NULL;
	t.nc_org = NULL;
	t.permitted_eins = two;
	eum2 = issue(&t, k, p.k[CI], p.c[CI]);
	x = to_x509(eum2);
	assert_int_equal(X509_get_ext_by_NID(x, NID_name_constraints, -1), -1);
	X509_free(x);
	template_for(EUICC, false, SGP26_EID, &t);
	euicc2 = issue(&t, k2, k, eum2);
	ok(orsp_rsp_verify_euicc_chain(s, eum2, euicc2, 0, NULL));
	orsp_cert_free(euicc2);
	ok(orsp_eid_generate("89049032", eid)); /* almost surely not under 8904903212345 */
	if (strncmp(eid, "8904903212345", 13) != 0) {
		template_for(EUICC, false, eid, &t);
		euicc2 = issue(&t, k2, k, eum2);
		expect(orsp_rsp_verify_euicc_chain(s, eum2, euicc2, 0, NULL), ORSP_E_POLICY,
		       "permittedEins");
		orsp_cert_free(euicc2);
	}

	ASN1_OBJECT_free(oid);
	orsp_cert_free(eum);
	orsp_cert_free(eum2);
	orsp_ec_free(k);
	orsp_ec_free(k2);
	orsp_ci_store_free(s);
	pki_free(&p);
}

/* ----- the profile compared with SGP.26 ----- */

static X509_EXTENSION *ext_of(X509 *x, int nid)
{
	int i = X509_get_ext_by_NID(x, nid, -1);
	return i < 0 ? NULL : X509_get_ext(x, i);
}

/* Same criticality and the same extnValue bytes. */
static void same_ext(X509 *ours, X509 *ref, int nid, const char *what)
{
	X509_EXTENSION *a = ext_of(ours, nid), *b = ext_of(ref, nid);
	const ASN1_OCTET_STRING *va, *vb;

	if (!a || !b)
		fail_msg("%s: %s missing in %s", what, OBJ_nid2ln(nid), a ? "SGP.26" : "ours");
	if (X509_EXTENSION_get_critical(a) != X509_EXTENSION_get_critical(b))
		fail_msg("%s: %s criticality differs", what, OBJ_nid2ln(nid));
	va = X509_EXTENSION_get_data(a);
	vb = X509_EXTENSION_get_data(b);
	if (ASN1_STRING_length(va) != ASN1_STRING_length(vb))
		fail_msg("%s: %s value length differs", what, OBJ_nid2ln(nid));
	assert_bytes_equal(ASN1_STRING_get0_data(va), ASN1_STRING_get0_data(vb),
	                   (size_t)ASN1_STRING_length(va));
}

static bool name_der_equal(const X509_NAME *a, const X509_NAME *b)
{
	unsigned char *da = NULL, *db = NULL;
	int la = i2d_X509_NAME(a, &da), lb = i2d_X509_NAME(b, &db);
	bool eq = la > 0 && la == lb && memcmp(da, db, (size_t)la) == 0;
	OPENSSL_free(da);
	OPENSSL_free(db);
	return eq;
}

static void test_profile_matches_sgp26(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < ORSP_ARRAY_LEN(curves); ci++) {
		pki p = {0};
		pki_issue(&p, curves[ci], true, SGP26_EID);
		for (int i = 0; i < N_CERTS; i++) {
			char rel[128], what[160];
			X509 *ours = to_x509(p.c[i]), *ref;
			sgp26_path(rel, i, curve_tags[ci]);
			snprintf(what, sizeof(what), "%s", rel);
			ref = certmint_cert_load(rel);

			/* Every extension of SGP.26 is in ours, byte for byte, except the key
			 * identifiers (keys differ; checked for presence here and for value
			 * above). */
			for (int e = 0; e < X509_get_ext_count(ref); e++) {
				int nid =
				    OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(ref, e)));
				switch (nid) {
				case NID_subject_key_identifier:
				case NID_authority_key_identifier:
					assert_non_null(ext_of(ours, nid));
					break;
				default:
					same_ext(ours, ref, nid, what);
				}
			}
			/* Ours has nothing else (the CI's AKI, its own SKI, until session 71). */
			for (int e = 0; e < X509_get_ext_count(ours); e++) {
				int nid =
				    OBJ_obj2nid(X509_EXTENSION_get_object(X509_get_ext(ours, e)));
				if (!ext_of(ref, nid))
					fail_msg("%s: extra extension %s", what, OBJ_nid2ln(nid));
			}
			/* The same decoded view as well: policies, key usage, CA, EKU. */
			assert_int_equal(X509_get_key_usage(ours), X509_get_key_usage(ref));
			assert_int_equal(X509_get_extended_key_usage(ours),
			                 X509_get_extended_key_usage(ref));
			assert_int_equal(X509_get_pathlen(ours), X509_get_pathlen(ref));
			assert_int_equal(X509_check_ca(ours), X509_check_ca(ref));
			assert_int_equal(X509_get_version(ours), X509_get_version(ref));
			assert_int_equal(X509_get_signature_nid(ours), X509_get_signature_nid(ref));
			assert_int_equal(EVP_PKEY_get_bits(X509_get0_pubkey(ours)),
			                 EVP_PKEY_get_bits(X509_get0_pubkey(ref)));
			{
				char g1[64] = "", g2[64] = "";
				size_t l1 = 0, l2 = 0;
				assert_int_equal(EVP_PKEY_get_group_name(X509_get0_pubkey(ours), g1,
				                                         sizeof(g1), &l1),
				                 1);
				assert_int_equal(EVP_PKEY_get_group_name(X509_get0_pubkey(ref), g2,
				                                         sizeof(g2), &l2),
				                 1);
				assert_string_equal(g1, g2);
			}
			/* Names in the same attribute order and string types (the SGP.26 CI
			 * lists its attributes in reverse, which our fixed order does not). */
			if (i != CI && !name_der_equal(X509_get_subject_name(ours),
			                               X509_get_subject_name(ref)))
				fail_msg("%s: subject differs", what);
			if (i == EUICC &&
			    !name_der_equal(X509_get_issuer_name(ours), X509_get_issuer_name(ref)))
				fail_msg("%s: issuer differs", what);
			X509_free(ours);
			X509_free(ref);
		}
		pki_free(&p);
	}
}

/* Certificates issued by this API under the published SGP.26 CI and EUM keys verify
 * against the published SGP.26 chain. */
static void test_issue_under_sgp26(void **state)
{
	(void)state;
	for (size_t ci = 0; ci < ORSP_ARRAY_LEN(curves); ci++) {
		char rel[128];
		orsp_ec_key *ci_key, *eum_key, *k = new_key(curves[ci]);
		orsp_cert *ci_cert, *eum_cert, *euicc, *dp;
		orsp_ci_store *s;
		orsp_cert_template t;
		char eid[33], got[33];

		snprintf(rel, sizeof(rel), "sgp26/CertificateIssuer/SK_CI_ECDSA_%s.pem",
		         curve_tags[ci]);
		ci_key = test_load_key(rel);
		snprintf(rel, sizeof(rel), "sgp26/EUM/SK_EUM_ECDSA_%s.pem", curve_tags[ci]);
		eum_key = test_load_key(rel);
		sgp26_path(rel, CI, curve_tags[ci]);
		ci_cert = test_load_cert(rel);
		sgp26_path(rel, EUM, curve_tags[ci]);
		eum_cert = test_load_cert(rel);
		s = store_with(ci_cert);

		ok(orsp_eid_generate("89049032", eid));
		template_for(EUICC, true, eid, &t);
		euicc = issue(&t, k, eum_key, eum_cert);
		ok(orsp_rsp_verify_euicc_chain(s, eum_cert, euicc, 0, got));
		assert_string_equal(got, eid);
		template_for(DPAUTH, true, NULL, &t);
		dp = issue(&t, k, ci_key, ci_cert);
		ok(orsp_rsp_verify_server_cert(s, dp, ORSP_ROLE_DP_AUTH, NULL, 0));
		/* The SGP.26 EUM range (89049032) refuses an EID of another range. */
		orsp_cert_free(euicc);
		ok(orsp_eid_generate("89049099", eid));
		template_for(EUICC, true, eid, &t);
		euicc = issue(&t, k, eum_key, eum_cert);
		expect(orsp_rsp_verify_euicc_chain(s, eum_cert, euicc, 0, NULL), ORSP_E_POLICY,
		       "outside");
		/* The CI key against the EUM certificate: refused. */
		orsp_cert_free(dp);
		dp = NULL;
		expect(orsp_cert_issue(&t, k, ci_key, eum_cert, &dp), ORSP_E_USAGE,
		       "does not belong");

		orsp_cert_free(euicc);
		orsp_cert_free(dp);
		orsp_cert_free(ci_cert);
		orsp_cert_free(eum_cert);
		orsp_ci_store_free(s);
		orsp_ec_free(ci_key);
		orsp_ec_free(eum_key);
		orsp_ec_free(k);
	}
}

/* ----- template checks ----- */

/* orsp_cert_crl_urls: the SGP.26 certificates' points read back; a certificate without the
 * extension; points that are not a complete CRL's, and URLs that are not http(s), skipped. */
static void test_crl_urls(void **state)
{
	char urls[ORSP_CERT_MAX_CRL_URLS][ORSP_CERT_URL_MAX + 1];
	static const char *const four[] = {"HTTPS://ca.example/x.crl?a=1", "http://b.example/y.crl",
	                                   "http://c.example:8080/z", "http://d.example/w", NULL};
	orsp_cert_template t;
	orsp_ec_key *k = new_key(ORSP_CURVE_P256);
	orsp_cert *c, *c2;
	X509 *x;
	X509_EXTENSION *ext;
	EVP_PKEY *kk = certmint_key_new("prime256v1");
	size_t n = 9;
	(void)state;

	x = certmint_cert_load("sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
	c = certmint_to_orsp(x);
	X509_free(x);
	ok(orsp_cert_crl_urls(c, urls, ORSP_CERT_MAX_CRL_URLS, &n));
	assert_int_equal(n, 2);
	assert_string_equal(urls[0], sgp26_ci_crls[0]);
	assert_string_equal(urls[1], sgp26_ci_crls[1]);
	ok(orsp_cert_crl_urls(c, urls, 1, &n)); /* room for one: the first */
	assert_int_equal(n, 1);
	assert_string_equal(urls[0], sgp26_ci_crls[0]);
	expect(orsp_cert_crl_urls(NULL, urls, 1, &n), ORSP_E_USAGE, "bad arguments");
	expect(orsp_cert_crl_urls(c, NULL, 1, &n), ORSP_E_USAGE, "bad arguments");
	orsp_cert_free(c);
	x = certmint_cert_load("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der");
	c = certmint_to_orsp(x);
	X509_free(x);
	expect(orsp_cert_crl_urls(c, urls, ORSP_CERT_MAX_CRL_URLS, &n), ORSP_E_NOT_FOUND,
	       "no cRLDistributionPoints");
	assert_int_equal(n, 0);
	orsp_cert_free(c);

	/* four of ours, in their order */
	template_for(DPAUTH, false, NULL, &t);
	t.crl_urls = four;
	c = issue(&t, k, k, NULL);
	ok(orsp_cert_crl_urls(c, urls, ORSP_CERT_MAX_CRL_URLS, &n));
	assert_int_equal(n, 4);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(urls[i], four[i]);

	/* another writer's points: ldap and a relative name skipped, a point with reasons and
	 * one with a cRLIssuer skipped, the http one kept; then none left; then undecodable */
	static const char *const exts[] = {"URI:ldap://a.example/cn=CI,URI:http://a.example/ci.crl",
	                                   "dp_reasons", "dp_issuer", "dp_relative",
	                                   "URI:ldap://a.example/cn=CI"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(exts); i++) {
		CONF *conf = NCONF_new(NULL);
		X509V3_CTX ctx;
		long eline = 0;
		BIO *b = BIO_new_mem_buf("[dp_reasons]\nfullname=URI:http://r.example/r.crl\n"
		                         "reasons=keyCompromise\n"
		                         "[dp_issuer]\nfullname=URI:http://i.example/i.crl\n"
		                         "CRLissuer=dirName:issuer_dn\n"
		                         "[issuer_dn]\nCN=Other\n"
		                         "[dp_relative]\nrelativename=rel_dn\n"
		                         "[rel_dn]\nCN=CRL1\n",
		                         -1);
		assert_true(NCONF_load_bio(conf, b, &eline) == 1);
		BIO_free(b);
		X509V3_set_ctx(&ctx, NULL, NULL, NULL, NULL, 0);
		X509V3_set_nconf(&ctx, conf);
		x = to_x509(c);
		X509_EXTENSION_free(
		    X509_delete_ext(x, X509_get_ext_by_NID(x, NID_crl_distribution_points, -1)));
		ext = X509V3_EXT_nconf_nid(conf, &ctx, NID_crl_distribution_points, exts[i]);
		if (!ext)
			fail_msg("extension %zu (%s) not made", i, exts[i]);
		assert_int_equal(X509_add_ext(x, ext, -1), 1);
		X509_EXTENSION_free(ext);
		NCONF_free(conf);
		assert_true(X509_sign(x, kk, EVP_sha256()) > 0); /* encoded anew */
		c2 = certmint_to_orsp(x);
		if (i == 0) {
			ok(orsp_cert_crl_urls(c2, urls, ORSP_CERT_MAX_CRL_URLS, &n));
			assert_int_equal(n, 1);
			assert_string_equal(urls[0], "http://a.example/ci.crl");
		} else {
			expect(orsp_cert_crl_urls(c2, urls, ORSP_CERT_MAX_CRL_URLS, &n),
			       ORSP_E_NOT_FOUND, "no http(s) URL of a complete CRL");
		}
		orsp_cert_free(c2);
		X509_free(x);
	}
	orsp_cert_free(c);
	orsp_ec_free(k);
	EVP_PKEY_free(kk);
}

static void test_template_checks(void **state)
{
	static const char *const nine[] = {"1", "2", "3", "4", "5", "6", "7", "8", "9", NULL};
	static const char *const empty[] = {NULL};
	static const char *const bad_ein[] = {"8904x", NULL};
	static const char *const five_urls[] = {"http://a.example/1", "http://a.example/2",
	                                        "http://a.example/3", "http://a.example/4",
	                                        "http://a.example/5", NULL};
	static char long_url[ORSP_CERT_URL_MAX + 2];
	const char *const bad_urls[] = {"",
	                                "ftp://a.example/c.crl",
	                                "ldap://a.example/cn=CI",
	                                "http://",
	                                "http:///c.crl",
	                                "https://:443/c.crl",
	                                "http//a.example/c.crl",
	                                "http://a.example/a b.crl",
	                                "http://a.example/\x01",
	                                "http://a.example/caf\xc3\xa9",
	                                "http://a.example/<x>",
	                                "http://a.example/{x}",
	                                long_url};
	static const char *const bad_fqdn[] = {"",
	                                       "a..b",
	                                       ".a.b",
	                                       "a.b.",
	                                       "-a.b",
	                                       "a-.b",
	                                       "a_b.c",
	                                       "a b.c",
	                                       "a.b/c",
	                                       "a\x01.b",
	                                       "xn--\xc3\xa9.example",
	                                       "a.b:443",
	                                       "*.example.com",
	                                       "1.2.3.4",
	                                       "smdp.example.123",
	                                       "smdp",
	                                       "123abc"};
	static const char *const bad_rid[] = {"",     "2",    "2.",    ".2.1",    "2..1",
	                                      "02.1", "2.01", "a.b",   "2.999.x", "3.1",
	                                      "1.40", "0.40", "1.100", "0.99.1"};
	char long_label[80], long_fqdn[300], long_cn[80];
	orsp_ec_key *k = new_key(ORSP_CURVE_P256);
	orsp_cert_template t;
	orsp_cert *c = NULL;
	(void)state;

#define BAD(field_change, word)                                                                    \
	do {                                                                                       \
		template_for(DPTLS, false, NULL, &t);                                              \
		field_change;                                                                      \
		expect(orsp_cert_issue(&t, k, k, NULL, &c), ORSP_E_USAGE, word);                   \
		assert_null(c);                                                                    \
	} while (0)

	/* The unchanged template issues (self-signed, only to exercise the checks). */
	template_for(DPTLS, false, NULL, &t);
	c = issue(&t, k, k, NULL);
	orsp_cert_free(c);
	c = NULL;

	BAD(t.role = (orsp_rsp_role)8, "role");
	BAD(t.role = (orsp_rsp_role)-1, "role");
	BAD((t.org = NULL, t.common_name = NULL), "empty");
	BAD(t.country = "X", "two capital");
	BAD(t.country = "XXX", "two capital");
	BAD(t.country = "xx", "two capital");
	BAD(t.org = "", "O must");
	memset(long_cn, 'a', 65);
	long_cn[65] = '\0';
	BAD(t.common_name = long_cn, "CN must");
	BAD(t.org_unit = "caf\xc3\xa9", "OU has");
	BAD(t.serial_number = "8904@", "PrintableString");
	BAD(t.serial_number = "a_b", "PrintableString");
	BAD(t.not_after = t.not_before, "notBefore");
	BAD(t.key_usage = 0, "keyUsage");
	BAD(t.key_usage = 1u << 7, "keyUsage");
	BAD(t.key_usage |= ORSP_KU_KEY_CERT_SIGN, "keyCertSign needs");
	BAD(t.ext_key_usage = 1u << 2, "extendedKeyUsage");
	BAD(t.path_len = 0, "pathLen");
	BAD((t.ca = true, t.path_len = -2), "pathLen");
	BAD(t.nc_org = "ACME", "without an EID prefix");
	BAD(t.eid_prefix = "", "EID prefix");
	BAD(t.eid_prefix = "8904x032", "EID prefix");
	BAD(t.eid_prefix = "123456789012345678901234567890123", "EID prefix");
	BAD(t.permitted_eins = nine, "permittedEins");
	BAD(t.permitted_eins = empty, "permittedEins");
	BAD(t.permitted_eins = bad_ein, "permittedEins");
	memcpy(long_url, "http://a.example/", 17);
	memset(long_url + 17, 'x', ORSP_CERT_URL_MAX + 1 - 17); /* 513 bytes */
	BAD(t.crl_urls = five_urls, "at most 4 CRL distribution points");
	BAD(t.crl_urls = empty, "without any URL");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_urls); i++) {
		const char *const one[] = {bad_urls[i], NULL};
		BAD(t.crl_urls = one, "CRL distribution point 1");
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_fqdn); i++)
		BAD(t.san_dns = bad_fqdn[i], "FQDN");
	memset(long_label, 'a', 64);
	memcpy(long_label + 64, ".com", 5);
	BAD(t.san_dns = long_label, "FQDN");
	for (size_t i = 0; i < 63; i++)
		memcpy(long_fqdn + 4 * i, "abc.", 4);
	memcpy(long_fqdn + 252, "ab", 3); /* 254 characters */
	BAD(t.san_dns = long_fqdn, "FQDN");
	long_fqdn[253] = '\0'; /* 253: the longest allowed */
	template_for(DPTLS, false, NULL, &t);
	t.san_dns = long_fqdn;
	c = issue(&t, k, k, NULL);
	orsp_cert_free(c);
	c = NULL;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_rid); i++)
		BAD(t.san_rid = bad_rid[i], "OID");
#undef BAD
	/* the same checks, exported for early validation */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_fqdn); i++)
		assert_false(orsp_cert_dns_name_ok(bad_fqdn[i]));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_rid); i++)
		assert_false(orsp_cert_oid_ok(bad_rid[i]));
	assert_false(orsp_cert_dns_name_ok(NULL));
	assert_false(orsp_cert_oid_ok(NULL));
	assert_true(orsp_cert_dns_name_ok(long_fqdn));
	assert_true(orsp_cert_dns_name_ok("1.2.3.example"));
	assert_true(orsp_cert_dns_name_ok("a.123abc"));
	assert_true(orsp_cert_oid_ok("1.39.7"));
	assert_true(orsp_cert_oid_ok("0.0"));
	assert_true(orsp_cert_oid_ok("2.999.10"));
	assert_true(orsp_cert_oid_ok("2.100.3"));
	expect(orsp_cert_template_init(&t, (orsp_rsp_role)8), ORSP_E_USAGE, "role");
	expect(orsp_cert_template_init(NULL, ORSP_ROLE_CI), ORSP_E_USAGE, NULL);
	template_for(CI, false, NULL, &t);
	expect(orsp_cert_issue(NULL, k, k, NULL, &c), ORSP_E_USAGE, NULL);
	expect(orsp_cert_issue(&t, NULL, k, NULL, &c), ORSP_E_USAGE, NULL);
	expect(orsp_cert_issue(&t, k, NULL, NULL, &c), ORSP_E_USAGE, NULL);
	expect(orsp_cert_issue(&t, k, k, NULL, NULL), ORSP_E_USAGE, NULL);
	orsp_ec_free(k);
}

/* orsp_cert_oid_ok is its own syntax, never looser than OpenSSL's (which it also asked, by
 * OBJ_txt2obj, whose NULL for a failed allocation made a good OID "not a valid
 * dotted-decimal OID"): a good OID stays good with OpenSSL out of memory, and an issue with a
 * registeredID never calls it bad then. */
static void test_oid_out_of_memory(void **state)
{
	static const struct {
		const char *oid;
		bool ok;
	} oids[] = {{"2.999.10", true},
	            {"1.39.7", true},
	            {"0.0", true},
	            {"2.100.3", true},
	            {"1.3.6.1.4.1.99999.123456789012345678901234567890", true},
	            {"2.18446744073709551616.1", true},
	            {"2..1", false},
	            {"02.1", false},
	            {"1.40", false},
	            {"3.1", false},
	            {"2.-1", false},
	            {"2.1 ", false},
	            {"2.1+", false}};
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(oids); i++) {
		ASN1_OBJECT *o = OBJ_txt2obj(oids[i].oid, 1);
		ERR_clear_error();
		if (oids[i].ok)
			assert_non_null(o);
		ASN1_OBJECT_free(o);
		assert_int_equal(orsp_cert_oid_ok(oids[i].oid), oids[i].ok);
		test_ossl_fail_at(1);
		bool ok_oom = orsp_cert_oid_ok(oids[i].oid);
		test_ossl_fail_at(0);
		assert_int_equal(ok_oom, oids[i].ok);
	}
}

/* The role defaults, as SGP.22 v2 lists them (docs/pki.md). */
static void test_template_defaults(void **state)
{
	static const struct {
		orsp_rsp_role role;
		unsigned ku, eku;
		bool ca;
		int path_len;
		bool policy_critical;
	} want[] = {
	    {ORSP_ROLE_CI, ORSP_KU_KEY_CERT_SIGN | ORSP_KU_CRL_SIGN, 0, true, -1, true},
	    {ORSP_ROLE_EUICC, ORSP_KU_DIGITAL_SIGNATURE, 0, false, -1, true},
	    {ORSP_ROLE_EUM, ORSP_KU_KEY_CERT_SIGN, 0, true, 0, true},
	    {ORSP_ROLE_DP_TLS, ORSP_KU_DIGITAL_SIGNATURE,
	     ORSP_EKU_SERVER_AUTH | ORSP_EKU_CLIENT_AUTH, false, -1, false},
	    {ORSP_ROLE_DP_AUTH, ORSP_KU_DIGITAL_SIGNATURE, 0, false, -1, true},
	    {ORSP_ROLE_DP_PB, ORSP_KU_DIGITAL_SIGNATURE, 0, false, -1, true},
	    {ORSP_ROLE_DS_TLS, ORSP_KU_DIGITAL_SIGNATURE,
	     ORSP_EKU_SERVER_AUTH | ORSP_EKU_CLIENT_AUTH, false, -1, false},
	    {ORSP_ROLE_DS_AUTH, ORSP_KU_DIGITAL_SIGNATURE, 0, false, -1, true},
	};
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(want); i++) {
		orsp_cert_template t;
		memset(&t, 0xa5, sizeof(t));
		ok(orsp_cert_template_init(&t, want[i].role));
		assert_int_equal(t.role, want[i].role);
		assert_int_equal(t.key_usage, want[i].ku);
		assert_int_equal(t.ext_key_usage, want[i].eku);
		assert_int_equal(t.ca, want[i].ca);
		assert_int_equal(t.path_len, want[i].path_len);
		assert_int_equal(t.policy_critical, want[i].policy_critical);
		assert_null(t.common_name);
		assert_null(t.eid_prefix);
		assert_null(t.san_dns);
		assert_int_equal(t.not_after, 0);
	}
}

/* ----- saving ----- */

static void test_save(void **state)
{
	const char *dir = test_tmpdir("pki_save");
	char der_path[4200], pem_path[4200], up_path[4200], key_path[4200], link_path[4200],
	    missing[4200];
	orsp_ec_key *k = new_key(ORSP_CURVE_BRAINPOOLP256R1);
	orsp_cert_template t;
	orsp_cert *c, *back = NULL;
	orsp_slice a, b;
	struct stat st;
	size_t len;
	uint8_t *text;
	(void)state;

	template_for(CI, false, NULL, &t);
	c = issue(&t, k, k, NULL);
	snprintf(der_path, sizeof(der_path), "%s/ci.der", dir);
	snprintf(pem_path, sizeof(pem_path), "%s/ci.pem", dir);
	snprintf(up_path, sizeof(up_path), "%s/CI.PEM", dir);
	snprintf(key_path, sizeof(key_path), "%s/ci_key.pem", dir);
	snprintf(link_path, sizeof(link_path), "%s/link.der", dir);
	snprintf(missing, sizeof(missing), "%s/no/such/dir.der", dir);

	ok(orsp_cert_save(c, der_path));
	ok(orsp_cert_save(c, pem_path));
	ok(orsp_cert_save(c, up_path));
	ok(orsp_ec_save_private_pem(k, key_path));
	a = orsp_cert_der(c);
	/* DER is the certificate itself. */
	text = test_read_file(der_path, &len);
	assert_int_equal(len, a.len);
	assert_bytes_equal(text, a.p, len);
	free(text);
	/* PEM (either case of the suffix) loads back to the same DER. */
	text = test_read_file(pem_path, &len);
	assert_true(len > 28 && memcmp(text, "-----BEGIN CERTIFICATE-----\n", 28) == 0);
	free(text);
	ok(orsp_cert_load_file(up_path, &back));
	b = orsp_cert_der(back);
	assert_int_equal(a.len, b.len);
	assert_bytes_equal(a.p, b.p, a.len);
	orsp_cert_free(back);
	/* Modes: certificates 0644 (less umask), the key 0600. */
	assert_int_equal(stat(der_path, &st), 0);
	assert_int_equal(st.st_mode & 0022, 0);
	assert_int_equal(st.st_mode & 0400, 0400);
	assert_int_equal(stat(key_path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
	/* The umask narrows a certificate's mode as it narrows open(2)'s. */
	{
		char masked[4200];
		mode_t old = umask(077);
		snprintf(masked, sizeof(masked), "%s/masked.der", dir);
		ok(orsp_cert_save(c, masked));
		umask(old);
		assert_int_equal(stat(masked, &st), 0);
		assert_int_equal(st.st_mode & 0777, 0600);
		unlink(masked);
	}
	/* Never overwritten, links not followed, failures leave nothing. */
	expect(orsp_cert_save(c, der_path), ORSP_E_EXISTS, "exists");
	expect(orsp_cert_save(c, pem_path), ORSP_E_EXISTS, "exists");
	assert_int_equal(symlink("target.der", link_path), 0);
	expect(orsp_cert_save(c, link_path), ORSP_E_EXISTS, NULL);
	assert_int_equal(lstat(link_path, &st), 0);
	assert_true(S_ISLNK(st.st_mode));
	snprintf(missing, sizeof(missing), "%s/target.der", dir);
	assert_int_equal(access(missing, F_OK), -1);
	snprintf(missing, sizeof(missing), "%s/no/such/dir.der", dir);
	expect(orsp_cert_save(c, missing), ORSP_E_IO, "cannot create");
	expect(orsp_cert_save(NULL, der_path), ORSP_E_USAGE, NULL);
	expect(orsp_cert_save(c, NULL), ORSP_E_USAGE, NULL);

	unlink(der_path);
	unlink(pem_path);
	unlink(up_path);
	unlink(key_path);
	unlink(link_path);
	rmdir(dir);
	orsp_cert_free(c);
	orsp_ec_free(k);
}

int main(void)
{
	/* before OpenSSL's first allocation, or it refuses */
	if (!test_ossl_alloc_install())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_oid_out_of_memory), cmocka_unit_test(test_eid_check),
	    cmocka_unit_test(test_eid_generate),      cmocka_unit_test(test_hierarchy_verifies),
	    cmocka_unit_test(test_long_validity),     cmocka_unit_test(test_eid_outside_range),
	    cmocka_unit_test(test_wrong_issuer_key),  cmocka_unit_test(test_permitted_eins),
	    cmocka_unit_test(test_crl_urls),          cmocka_unit_test(test_profile_matches_sgp26),
	    cmocka_unit_test(test_issue_under_sgp26), cmocka_unit_test(test_template_checks),
	    cmocka_unit_test(test_template_defaults), cmocka_unit_test(test_save),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
