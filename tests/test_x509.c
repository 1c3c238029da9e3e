/* X.509 for the GSMA RSP hierarchy: SGP.26 test PKI (CI -> EUM -> eUICC on both curves, SM-DP+
 * DPauth/DPpb/DPtls, expired TLS certificates), a production SM-DP+ certificate under the
 * GSMA RSP2 Root CI1, and certificates minted here with OpenSSL for every rejection the
 * published material does not cover. */
#include "testutil.h"

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "certmint.h"
#include "openrsp/crypto.h"

#define SGP26_EID "89049032123451234512345678901235" /* SGP.26 test eUICC (README) */

#define P_CI "2.23.146.1.2.1.0"
#define P_EUICC "2.23.146.1.2.1.1"
#define P_EUM "2.23.146.1.2.1.2"
#define P_DPAUTH "2.23.146.1.2.1.4"

static orsp_cert *load(const char *rel)
{
	orsp_cert *c = NULL;
	if (orsp_cert_load_file(test_vector_path(rel), &c) != ORSP_OK)
		fail_msg("%s: %s", rel, orsp_err_detail());
	return c;
}

/* Every chain check here runs both paths: the full one (its result is returned, its error
 * detail kept) and the fast acceptance of CERT.EUICC from its DER, which may only accept
 * what the full path accepts, with the same EID and key. */
static atomic_int fast_accepts; /* counted by the cache test's threads too */

/* orsp_rsp_verify_euicc_chain_untimed against the timed verdict (slow, its EID eid and its
 * detail) at now: the same unless a validity period was what failed (the untimed check
 * skips only those), and whatever the timed one accepts it accepts with the same EID. */
static void untimed_agrees(const orsp_ci_store *cis, const orsp_cert *eum, const orsp_cert *euicc,
                           time_t now, orsp_err slow, const char *eid, const char *detail)
{
	orsp_chain_fault f = {ORSP_CHAIN_CERT_NONE, ORSP_CHAIN_OK};
	char e3[33] = "x";
	orsp_err u;

	assert_int_equal(orsp_rsp_verify_euicc_chain_fault(cis, eum, euicc, now, NULL, &f), slow);
	u = orsp_rsp_verify_euicc_chain_untimed(cis, eum, euicc, e3);
	if (f.why == ORSP_CHAIN_EXPIRED || f.why == ORSP_CHAIN_NOT_YET_VALID)
		return;
	if (u != slow)
		fail_msg("untimed answers %s, timed %s (%s)", orsp_err_str(u), orsp_err_str(slow),
		         detail);
	if (slow == ORSP_OK)
		assert_string_equal(e3, eid);
	else if (strcmp(orsp_err_detail(), detail) != 0)
		fail_msg("untimed says \"%s\", timed \"%s\"", orsp_err_detail(), detail);
}

static orsp_err chain_both(const orsp_ci_store *cis, const orsp_cert *eum, const orsp_cert *euicc,
                           time_t now, char eid[33])
{
	char e1[33] = "", e2[33] = "", detail[512];
	orsp_ec_key *pub = NULL, *pub2 = NULL;
	orsp_err fast = ORSP_E_NOT_FOUND, slow;

	if (eum && euicc) {
		orsp_slice d = orsp_cert_der(euicc);
		fast = orsp_rsp_euicc_fast_accept(cis, eum, d.p, d.len, now, e1, &pub);
		assert_true(fast == ORSP_OK || fast == ORSP_E_NOT_FOUND);
	}
	slow = orsp_rsp_verify_euicc_chain(cis, eum, euicc, now, e2);
	snprintf(detail, sizeof(detail), "%s", orsp_err_detail());
	untimed_agrees(cis, eum, euicc, now, slow, e2, detail);
	if (fast == ORSP_OK) {
		uint8_t p1[ORSP_EC_POINT_LEN], p2[ORSP_EC_POINT_LEN];
		fast_accepts++;
		if (slow != ORSP_OK)
			fail_msg("fast path accepted what the full path refuses: %s", detail);
		assert_string_equal(e1, e2);
		assert_int_equal(orsp_cert_public_key(euicc, &pub2), ORSP_OK);
		assert_int_equal(orsp_ec_public_point(pub, p1), ORSP_OK);
		assert_int_equal(orsp_ec_public_point(pub2, p2), ORSP_OK);
		assert_memory_equal(p1, p2, sizeof(p1));
		assert_int_equal(orsp_ec_curve(pub), orsp_ec_curve(pub2));
	}
	orsp_ec_free(pub);
	orsp_ec_free(pub2);
	if (eid)
		memcpy(eid, e2, sizeof(e2));
	(void)orsp_errf(ORSP_OK, "%s", detail);
	return slow;
}

static orsp_ci_store *store_of(const char *const *rels)
{
	orsp_ci_store *s = NULL;
	assert_int_equal(orsp_ci_store_new(&s), ORSP_OK);
	for (size_t i = 0; rels[i]; i++) {
		orsp_cert *c = load(rels[i]);
		if (orsp_ci_store_add(s, c) != ORSP_OK)
			fail_msg("%s: %s", rels[i], orsp_err_detail());
		orsp_cert_free(c);
	}
	return s;
}

static const char *const both_cis[] = {"sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der",
                                       "sgp26/CertificateIssuer/CERT_CI_ECDSA_BRP.der", NULL};
static const char *const nist_ci[] = {"sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der", NULL};
static const char *const brp_ci[] = {"sgp26/CertificateIssuer/CERT_CI_ECDSA_BRP.der", NULL};

/* Expect err, and a detail that contains `word`. */
#define expect(call, err, word) expect_((call), (err), (word), __LINE__)
static void expect_(orsp_err got, orsp_err want, const char *word, int line)
{
	if (got != want)
		fail_msg("line %d: got %s, want %s (%s)", line, orsp_err_str(got),
		         orsp_err_str(want), orsp_err_detail());
	if (word && !strstr(orsp_err_detail(), word))
		fail_msg("line %d: detail \"%s\" lacks \"%s\"", line, orsp_err_detail(), word);
}

/* The detail of the error just returned contains `word`. */
#define expect_detail(word) expect_detail_((word), __LINE__)
static void expect_detail_(const char *word, int line)
{
	if (!strstr(orsp_err_detail(), word))
		fail_msg("line %d: detail \"%s\" lacks \"%s\"", line, orsp_err_detail(), word);
}

static orsp_cert *flip_last_byte(const orsp_cert *c)
{
	orsp_slice d = orsp_cert_der(c);
	uint8_t *copy = malloc(d.len);
	orsp_cert *out = NULL;
	memcpy(copy, d.p, d.len);
	copy[d.len - 1] ^= 0x01; /* the last byte of s in the signature */
	assert_int_equal(orsp_cert_parse(copy, d.len, &out), ORSP_OK);
	free(copy);
	return out;
}

/* ----- the published chains ----- */

static void test_sgp26_chains(void **state)
{
	static const char *const curves[] = {"NIST", "BRP"};
	orsp_ci_store *s = store_of(both_cis);
	(void)state;
	assert_int_equal(orsp_ci_store_count(s), 2);
	for (size_t i = 0; i < 2; i++) {
		char p[128], eid[33];
		snprintf(p, sizeof(p), "sgp26/EUM/CERT_EUM_ECDSA_%s.der", curves[i]);
		orsp_cert *eum = load(p);
		snprintf(p, sizeof(p), "sgp26/eUICC/CERT_EUICC_ECDSA_%s.der", curves[i]);
		orsp_cert *euicc = load(p);
		memset(eid, 'x', sizeof(eid));
		expect(chain_both(s, eum, euicc, 0, eid), ORSP_OK, NULL);
		assert_string_equal(eid, SGP26_EID);
		expect(chain_both(s, eum, euicc, certmint_time(2025, 1, 1), NULL), ORSP_OK, NULL);
		/* Each curve's chain needs its own CI. */
		orsp_ci_store *other = store_of(i == 0 ? brp_ci : nist_ci);
		memset(eid, 'x', sizeof(eid));
		expect(chain_both(other, eum, euicc, 0, eid), ORSP_E_POLICY, "unknown CI");
		assert_int_equal(eid[0], '\0');
		/* The chain the wrong way round. */
		expect(chain_both(s, euicc, eum, 0, NULL), ORSP_E_POLICY, NULL);
		orsp_ci_store_free(other);
		orsp_cert_free(euicc);
		orsp_cert_free(eum);
	}
	orsp_ci_store_free(s);
}

static void test_cert_accessors(void **state)
{
	orsp_cert *ci = load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	orsp_cert *ci_pem = load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.pem");
	orsp_cert *eum = load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	orsp_cert *euicc = load("sgp26/eUICC/CERT_EUICC_ECDSA_BRP.der");
	uint8_t id[32], want[20];
	size_t len, flen;
	char serial[40];
	orsp_rsp_role role;
	(void)state;

	/* The CI key ids listed in the SGP.26 README. */
	assert_int_equal(orsp_cert_ski(ci, id, sizeof(id), &len), ORSP_OK);
	assert_int_equal(
	    orsp_hex_decode_exact("f54172bdf98a95d65cbeb88a38a1c11d800a85c3", want, 20), ORSP_OK);
	assert_int_equal(len, 20);
	assert_bytes_equal(id, want, 20);
	expect(orsp_cert_aki(ci, id, sizeof(id), &len), ORSP_E_NOT_FOUND, NULL);
	assert_int_equal(orsp_cert_aki(eum, id, sizeof(id), &len), ORSP_OK);
	assert_bytes_equal(id, want, 20);
	/* a value longer than the caller takes is the certificate's fault, as for every
	 * accessor below: ORSP_E_MALFORMED, not ORSP_E_RESOURCE, which a caller checking a
	 * peer's certificate reads as its own shortage of memory (the eUICC's AuthenticateServer
	 * did, test_isdr's test_server_cert_oid_too_long) */
	expect(orsp_cert_ski(ci, id, 19, &len), ORSP_E_MALFORMED, "does not fit");
	assert_null(orsp_ci_store_find(NULL, want, 20));

	/* PEM and DER copies are the same certificate; the DER is kept as read. */
	uint8_t *file = test_read_vector("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der", &flen);
	assert_int_equal(orsp_cert_der(ci).len, flen);
	assert_bytes_equal(orsp_cert_der(ci).p, file, flen);
	assert_int_equal(orsp_cert_der(ci_pem).len, flen);
	assert_bytes_equal(orsp_cert_der(ci_pem).p, file, flen);
	free(file);

	assert_int_equal(orsp_cert_rsp_role(ci, &role), ORSP_OK);
	assert_int_equal(role, ORSP_ROLE_CI);
	assert_int_equal(orsp_cert_rsp_role(eum, &role), ORSP_OK);
	assert_int_equal(role, ORSP_ROLE_EUM);
	assert_int_equal(orsp_cert_rsp_role(euicc, &role), ORSP_OK);
	assert_int_equal(role, ORSP_ROLE_EUICC);

	assert_int_equal(orsp_cert_subject_serial(euicc, serial, sizeof(serial)), ORSP_OK);
	assert_string_equal(serial, SGP26_EID);
	expect(orsp_cert_subject_serial(euicc, serial, 32), ORSP_E_MALFORMED, "does not fit");
	expect(orsp_cert_subject_serial(eum, serial, sizeof(serial)), ORSP_E_NOT_FOUND, NULL);
	/* the O (the bench gives its eUICCs their EUM's) */
	assert_int_equal(orsp_cert_subject_org(euicc, serial, sizeof(serial)), ORSP_OK);
	assert_string_equal(serial, "RSP Test EUM");
	expect(orsp_cert_subject_org(euicc, serial, 12), ORSP_E_MALFORMED, "subject O");
	expect(orsp_cert_subject_org(NULL, serial, sizeof(serial)), ORSP_E_USAGE, NULL);
	{
		certmint_spec sp = {.subject = "/O=One/O=Two/CN=x"};
		EVP_PKEY *k = certmint_key_new("prime256v1");
		X509 *x = certmint_issue(&sp, k, NULL, k);
		orsp_cert *c = certmint_to_orsp(x);
		expect(orsp_cert_subject_org(c, serial, sizeof(serial)), ORSP_E_MALFORMED,
		       "several O");
		orsp_cert_free(c);
		X509_free(x);
		sp.subject = "/CN=x";
		x = certmint_issue(&sp, k, NULL, k);
		c = certmint_to_orsp(x);
		expect(orsp_cert_subject_org(c, serial, sizeof(serial)), ORSP_E_NOT_FOUND, "no O");
		orsp_cert_free(c);
		X509_free(x);
		EVP_PKEY_free(k);
	}

	/* the subject for people, as `openssl x509 -subject -nameopt oneline` prints it */
	{
		char subj[128];
		assert_int_equal(orsp_cert_subject_text(ci, subj, sizeof(subj)), ORSP_OK);
		assert_string_equal(subj, "CN = Test CI, OU = TESTCERT, O = RSPTEST, C = IT");
		expect(orsp_cert_subject_text(ci, subj, 20), ORSP_E_MALFORMED, "does not fit");
		assert_string_equal(subj, "");
	}
	/* an empty subject (RFC 5280 §4.1.2.6: the holder named in its subjectAltName) prints as
	 * nothing; the BIO's data is NULL then, which went to memcpy (UBSan: a null pointer
	 * passed, until session 68) */
	{
		certmint_spec sp = {.subject = ""};
		EVP_PKEY *k = certmint_key_new("prime256v1");
		X509 *x = certmint_issue(&sp, k, NULL, k);
		orsp_cert *oc = certmint_to_orsp(x);
		char subj[16] = "x";
		assert_int_equal(orsp_cert_subject_text(oc, subj, sizeof(subj)), ORSP_OK);
		assert_string_equal(subj, "");
		orsp_cert_free(oc);
		X509_free(x);
		EVP_PKEY_free(k);
	}
	/* a name from a file goes to a terminal: its control characters escaped, not sent */
	{
		certmint_spec sp = {.subject = "/O=RSP\x1b[2J Test/CN=DP\x07tls"};
		EVP_PKEY *k = certmint_key_new("prime256v1");
		X509 *x = certmint_issue(&sp, k, NULL, k);
		orsp_cert *oc = certmint_to_orsp(x);
		char subj[128];
		assert_int_equal(orsp_cert_subject_text(oc, subj, sizeof(subj)), ORSP_OK);
		assert_string_equal(subj, "O = RSP\\1B[2J Test, CN = DP\\07tls");
		orsp_cert_free(oc);
		X509_free(x);
		EVP_PKEY_free(k);
	}

	/* The SM-DP+ OID (registeredID) of CERT.DPauth, 2.999.10 in the SGP.26 certificates;
	 * found, it leaves no error detail behind (the vpcd trace printed "certificate has no
	 * registeredID" after every successful AuthenticateServer and PrepareDownload) */
	orsp_cert *dpauth = load("sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
	const uint8_t rid_want[] = {0x88, 0x37, 0x0A};
	orsp_err_clear();
	assert_int_equal(orsp_cert_rid(dpauth, id, sizeof(id), &len), ORSP_OK);
	assert_int_equal(len, sizeof(rid_want));
	assert_bytes_equal(id, rid_want, sizeof(rid_want));
	assert_string_equal(orsp_err_detail(), "");
	expect(orsp_cert_rid(euicc, id, sizeof(id), &len), ORSP_E_NOT_FOUND, "registeredID");
	expect(orsp_cert_rid(dpauth, id, 2, &len), ORSP_E_MALFORMED, "too long");
	/* the same in dotted decimal, as an activation code names it */
	{
		char t[16];
		orsp_err_clear();
		assert_int_equal(orsp_cert_rid_text(dpauth, 0, t, sizeof(t)), ORSP_OK);
		assert_string_equal(t, "2.999.10");
		assert_string_equal(orsp_err_detail(), "");
		expect(orsp_cert_rid_text(euicc, 0, t, sizeof(t)), ORSP_E_NOT_FOUND,
		       "registeredID");
		assert_string_equal(t, "");
		expect(orsp_cert_rid_text(dpauth, 0, t, 8), ORSP_E_MALFORMED, "too long");
		assert_string_equal(t, "");
		assert_int_equal(orsp_cert_rid_text(dpauth, 0, t, 9), ORSP_OK);
		assert_string_equal(t, "2.999.10");
		expect(orsp_cert_rid_text(dpauth, 1, t, sizeof(t)), ORSP_E_NOT_FOUND,
		       "no registeredID number 2");
		assert_string_equal(t, "");
	}
	orsp_cert_free(dpauth);

	orsp_cert_free(euicc);
	orsp_cert_free(eum);
	orsp_cert_free(ci_pem);
	orsp_cert_free(ci);
}

static void test_parse_rejects(void **state)
{
	size_t len;
	uint8_t *der = test_read_vector("sgp26/EUM/CERT_EUM_ECDSA_NIST.der", &len);
	uint8_t *longer = malloc(len + 1);
	orsp_cert *c = NULL;
	(void)state;

	memcpy(longer, der, len);
	longer[len] = 0x00;
	expect(orsp_cert_parse(longer, len + 1, &c), ORSP_E_MALFORMED, "after the certificate");
	expect(orsp_cert_parse(der, len - 1, &c), ORSP_E_MALFORMED, NULL);
	expect(orsp_cert_parse(der, 0, &c), ORSP_E_MALFORMED, NULL);
	expect(orsp_cert_parse("\x30\x03\x02\x01\x01", 5, &c), ORSP_E_MALFORMED, NULL);
	/* Non-minimal outer length (0x82 form for a length that fits in 0x82 anyway is fine;
	 * make it 0x83 00 xx xx). */
	assert_true(der[1] == 0x82);
	uint8_t *nonmin = malloc(len + 1);
	nonmin[0] = 0x30;
	nonmin[1] = 0x83;
	nonmin[2] = 0x00;
	memcpy(nonmin + 3, der + 2, len - 2);
	expect(orsp_cert_parse(nonmin, len + 1, &c), ORSP_E_MALFORMED, NULL);
	assert_null(c);
	expect(orsp_cert_load_file("/nonexistent/cert.der", &c), ORSP_E_NOT_FOUND, NULL);
	expect(orsp_cert_load_file(test_vector_path("sgp26/EUM/PK_EUM_ECDSA_NIST.pem"), &c),
	       ORSP_E_MALFORMED, NULL);
	expect(orsp_cert_load_file(test_vector_path("sgp22/ecka.tsv"), &c), ORSP_E_MALFORMED, NULL);
	/* not a regular file: a FIFO blocked the open for ever, waiting for a writer (here a
	 * thread opens it for writing, so that the old reader read it as empty instead); a
	 * directory or a device is refused alike */
	{
		const char *dir = test_tmpdir("x509_not_regular");
		char fifo[4200];
		test_fifo_writer w = {.path = fifo};
		pthread_t t;
		orsp_err e;

		snprintf(fifo, sizeof(fifo), "%s/ci.der", dir);
		assert_int_equal(mkfifo(fifo, 0600), 0);
		atomic_init(&w.done, false);
		assert_int_equal(pthread_create(&t, NULL, test_fifo_write_main, &w), 0);
		e = orsp_cert_load_file(fifo, &c);
		atomic_store(&w.done, true);
		pthread_join(t, NULL);
		expect(e, ORSP_E_IO, "ci.der is not a regular file");
		expect(orsp_cert_load_file(dir, &c), ORSP_E_IO, "is not a regular file");
		expect(orsp_cert_load_file("/dev/zero", &c), ORSP_E_IO,
		       "/dev/zero is not a regular file");
		assert_null(c);
		unlink(fifo);
	}
	/* a file past the reader's limit (128 KiB) is refused whole, not cut to a certificate; one
	 * at the limit is read and judged as a certificate */
	{
		char big[4200];
		size_t lim = 2 * 65536;
		uint8_t *z = calloc(1, lim + 1);
		FILE *f;

		assert_non_null(z);
		snprintf(big, sizeof(big), "%s/big.der", test_tmpdir("x509_big_file"));
		for (int extra = 0; extra <= 1; extra++) {
			f = fopen(big, "wb");
			assert_non_null(f);
			assert_int_equal(fwrite(z, 1, lim + (size_t)extra, f), lim + (size_t)extra);
			assert_int_equal(fclose(f), 0);
			if (extra)
				expect(orsp_cert_load_file(big, &c), ORSP_E_MALFORMED,
				       "is too large for a certificate");
			else
				assert_int_equal(orsp_cert_load_file(big, &c), ORSP_E_MALFORMED);
			assert_null(c);
			if (!extra)
				assert_null(strstr(orsp_err_detail(), "too large"));
		}
		unlink(big);
		free(z);
	}
	free(nonmin);
	free(longer);
	free(der);
	/* DER throughout, but a known extension whose value is not of its type: keyUsage as an
	 * OCTET STRING where a BIT STRING belongs. d2i_X509 takes it, OpenSSL flags the
	 * extension invalid when it decodes it, and the parse refuses it; the same bits as a
	 * BIT STRING are the control. */
	{
		static const uint8_t ku[][4] = {{0x03, 0x02, 0x07, 0x80}, {0x04, 0x02, 0x07, 0x80}};
		EVP_PKEY *k = certmint_key_new("prime256v1");
		certmint_spec u = {0};
		u.subject = "/C=ES/O=RSP Test EUM/serialNumber=" SGP26_EID "/CN=Test eUICC";
		u.policy = P_EUICC;
		for (size_t i = 0; i < ORSP_ARRAY_LEN(ku); i++) {
			X509 *x = certmint_issue(&u, k, NULL, k);
			ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
			X509_EXTENSION *ext;
			assert_int_equal(ASN1_OCTET_STRING_set(val, ku[i], sizeof(ku[i])), 1);
			ext = X509_EXTENSION_create_by_NID(NULL, NID_key_usage, 1, val);
			assert_non_null(ext);
			assert_int_equal(X509_add_ext(x, ext, -1), 1);
			assert_true(X509_sign(x, k, EVP_sha256()) > 0);
			der = certmint_der(x, &len);
			if (i == 0) {
				expect(orsp_cert_parse(der, len, &c), ORSP_OK, NULL);
			} else {
				expect(orsp_cert_parse(der, len, &c), ORSP_E_MALFORMED,
				       "certificate has invalid or duplicate extensions");
				assert_null(c);
			}
			orsp_cert_free(c);
			c = NULL;
			free(der);
			X509_EXTENSION_free(ext);
			ASN1_OCTET_STRING_free(val);
			X509_free(x);
		}
		EVP_PKEY_free(k);
	}

	/* A PEM bundle as a TLS library reads it: certificates counted, text and other blocks
	 * skipped; no certificate, or one that does not parse, refused. */
	size_t n = 9;
	assert_int_equal(orsp_cert_pem_bundle_check(
	                     test_vector_path("sgp26/DPtls/CERT_S_SM_DP_TLS_NIST.pem"), &n),
	                 ORSP_OK);
	assert_int_equal(n, 1);
	{
		const char *dir = test_tmpdir("x509_bundle");
		char path[4200];
		size_t pl = 0;
		uint8_t *pem = test_read_vector("sgp26/DPtls/CERT_S_SM_DP_TLS_NIST.pem", &pl);
		FILE *f;

		snprintf(path, sizeof(path), "%s/b.pem", dir);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("a comment\n", f);
		fwrite(pem, 1, pl, f);
		fputs("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n", f);
		fwrite(pem, 1, pl, f);
		fclose(f);
		assert_int_equal(orsp_cert_pem_bundle_check(path, &n), ORSP_OK);
		assert_int_equal(n, 2);
		f = fopen(path, "w");
		assert_non_null(f);
		fputs("-----BEGIN CERTIFICATE-----\nMAMCAQE=\n-----END CERTIFICATE-----\n", f);
		fclose(f);
		expect(orsp_cert_pem_bundle_check(path, &n), ORSP_E_MALFORMED, "does not parse");
		/* a good certificate, then a block cut short or not base64: OpenSSL's CA file
		 * loader (libcurl's) refuses the whole file, and so does the check */
		static const char *const tails[] = {
		    "-----BEGIN CERTIFICATE-----\nMIIB\n",
		    "-----BEGIN CERTIFICATE-----\n!!!!notbase64\n-----END CERTIFICATE-----\n"};
		for (size_t t = 0; t < ORSP_ARRAY_LEN(tails); t++) {
			f = fopen(path, "w");
			assert_non_null(f);
			fwrite(pem, 1, pl, f);
			fputs(tails[t], f);
			fclose(f);
			expect(orsp_cert_pem_bundle_check(path, &n), ORSP_E_MALFORMED, "PEM block");
		}
		/* the same certificate with RFC 1421 encapsulated headers before its base64: not
		 * taken as a certificate, though OpenSSL reads the block; without them, the
		 * control */
		{
			static const char begin[] = "-----BEGIN CERTIFICATE-----\n";
			static const char headers[] =
			    "Proc-Type: 4,ENCRYPTED\n"
			    "DEK-Info: AES-128-CBC,00112233445566778899AABBCCDDEEFF\n\n";
			uint8_t *with = malloc(pl + sizeof(headers));
			orsp_cert *one = NULL;
			assert_non_null(with);
			assert_memory_equal(pem, begin, sizeof(begin) - 1);
			memcpy(with, pem, sizeof(begin) - 1);
			memcpy(with + sizeof(begin) - 1, headers, sizeof(headers) - 1);
			memcpy(with + sizeof(begin) - 1 + sizeof(headers) - 1,
			       pem + sizeof(begin) - 1, pl - (sizeof(begin) - 1));
			expect(orsp_cert_load_mem(with, pl + sizeof(headers) - 1, &one),
			       ORSP_E_MALFORMED, "PEM certificate with headers is not accepted");
			assert_null(one);
			expect(orsp_cert_load_mem(pem, pl, &one), ORSP_OK, NULL);
			orsp_cert_free(one);
			free(with);
		}
		/* the file read once: the bytes checked are those the certificate is taken from */
		{
			uint8_t *got = NULL, *cert = NULL;
			size_t gl = 0, dl = 0;
			orsp_cert *one = NULL;
			f = fopen(path, "w");
			assert_non_null(f);
			fputs("# a comment\n", f);
			fwrite(pem, 1, pl, f);
			fwrite(pem, 1, pl, f);
			fclose(f);
			assert_int_equal(orsp_cert_pem_bundle_read(path, &got, &gl), ORSP_OK);
			assert_int_equal(gl, 2 * pl + 12);
			assert_int_equal(got[gl], 0);
			assert_int_equal(orsp_cert_pem_bundle_check_mem(got, gl, &n), ORSP_OK);
			assert_int_equal(n, 2);
			assert_int_equal(orsp_cert_load_mem(got, gl, &one), ORSP_OK);
			cert = test_read_vector("sgp26/DPtls/CERT_S_SM_DP_TLS_NIST.der", &dl);
			assert_int_equal(orsp_cert_der(one).len, dl);
			assert_memory_equal(orsp_cert_der(one).p, cert, dl);
			orsp_cert_free(one);
			one = NULL;
			/* DER bytes are a certificate too, and no PEM bundle */
			assert_int_equal(orsp_cert_load_mem(cert, dl, &one), ORSP_OK);
			orsp_cert_free(one);
			one = NULL;
			expect(orsp_cert_pem_bundle_check_mem(cert, dl, &n), ORSP_E_MALFORMED,
			       "no PEM certificate");
			assert_int_equal(n, 0);
			/* a good certificate with a bad one after it: the first is taken, the
			 * bundle refused */
			memcpy(got + gl - pl + 40, "!!!!", 4);
			expect(orsp_cert_pem_bundle_check_mem(got, gl, &n), ORSP_E_MALFORMED, NULL);
			assert_int_equal(orsp_cert_load_mem(got, gl, &one), ORSP_OK);
			orsp_cert_free(one);
			one = NULL;
			expect(orsp_cert_load_mem(got, 12, &one), ORSP_E_MALFORMED,
			       "no DER or PEM certificate");
			assert_null(one);
			expect(orsp_cert_load_mem(cert, dl - 1, &one), ORSP_E_MALFORMED, NULL);
			assert_null(one);
			expect(orsp_cert_pem_bundle_check_mem(got, 0, &n), ORSP_E_MALFORMED,
			       "no PEM certificate");
			expect(orsp_cert_load_mem(NULL, 1, &one), ORSP_E_USAGE, NULL);
			free(got);
			free(cert);
			/* a directory is no file to read */
			expect(orsp_cert_pem_bundle_read(dir, &got, &gl), ORSP_E_IO,
			       "is not a regular file");
			assert_null(got);
		}
		unlink(path);
		free(pem);
	}
	expect(orsp_cert_pem_bundle_check(test_vector_path("sgp22/ecka.tsv"), &n), ORSP_E_MALFORMED,
	       "no PEM certificate");
	expect(orsp_cert_pem_bundle_check("/nonexistent/ca.pem", &n), ORSP_E_IO, NULL);
}

/* A DPtls/DPauth/DPpb certificate and a time inside its validity window. */
static const struct server_case {
	const char *rel;
	orsp_rsp_role role;
	const char *fqdn;
	int y, m, d; /* 0: now */
} servers[] = {
    {"sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der", ORSP_ROLE_DP_AUTH, NULL, 2025, 1, 1},
    {"sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_BRP.der", ORSP_ROLE_DP_AUTH, NULL, 2025, 1, 1},
    {"sgp26/DPauth/CERT_S_SM_DP2auth_ECDSA_NIST.der", ORSP_ROLE_DP_AUTH, NULL, 2025, 1, 1},
    {"sgp26/DPauth/CERT_S_SM_DP2auth_ECDSA_BRP.der", ORSP_ROLE_DP_AUTH, NULL, 2025, 1, 1},
    {"sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der", ORSP_ROLE_DP_PB, NULL, 2025, 1, 1},
    {"sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_BRP.der", ORSP_ROLE_DP_PB, NULL, 2025, 1, 1},
    {"sgp26/DPpb/CERT_S_SM_DP2pb_ECDSA_NIST.der", ORSP_ROLE_DP_PB, NULL, 2025, 1, 1},
    {"sgp26/DPpb/CERT_S_SM_DP2pb_ECDSA_BRP.der", ORSP_ROLE_DP_PB, NULL, 2025, 1, 1},
    {"sgp26/DPtls/CERT_S_SM_DP_TLS_NIST.der", ORSP_ROLE_DP_TLS, "testsmdpplus1.example.com", 2026,
     1, 1},
    {"sgp26/DPtls/CERT_S_SM_DP_TLS_BRP.der", ORSP_ROLE_DP_TLS, "testsmdpplus1.example.com", 2026, 1,
     1},
    {"sgp26/DPtls/CERT_S_SM_DP2_TLS.der", ORSP_ROLE_DP_TLS, "testsmdpplus2.example.com", 2026, 1,
     1},
    {"sgp26/DPtls/CERT_S_SM_DP4_TLS.der", ORSP_ROLE_DP_TLS, "testsmdpplus4.example.com", 2026, 1,
     1},
    {"sgp26/DPtls/CERT_S_SM_DP8_TLS.der", ORSP_ROLE_DP_TLS, "TestSMDPplus8.Example.COM", 2026, 1,
     1},
    {"sgp26/DPtls/CERT_S_SM_DP_VARO_TLS_NIST.der", ORSP_ROLE_DP_TLS, "testsmdpplus1.example.com",
     2026, 12, 1},
    {"sgp26/DPtls/CERT_S_SM_DP_VARO_TLS_BRP.der", ORSP_ROLE_DP_TLS, "testsmdpplus1.example.com",
     2026, 12, 1},
    {"sgp26/DPtls/Old_TLS_Validity/Expired 2022/CERT_S_SM_DP_TLS_NIST.der", ORSP_ROLE_DP_TLS,
     "testsmdpplus1.example.com", 2022, 1, 1},
    {"sgp26/DPtls/Old_TLS_Validity/Expired 2023/CERT_S_SM_DP_TLS_BRP.der", ORSP_ROLE_DP_TLS,
     "testsmdpplus1.example.com", 2023, 1, 1},
    {"sgp26/DPtls/Old_TLS_Validity/Expired 2024/CERT_S_SM_DP4_TLS.der", ORSP_ROLE_DP_TLS,
     "testsmdpplus4.example.com", 2024, 1, 1},
};

static void test_server_certs(void **state)
{
	orsp_ci_store *s = store_of(both_cis);
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(servers); i++) {
		const struct server_case *sc = &servers[i];
		orsp_cert *c = load(sc->rel);
		time_t now = certmint_time(sc->y, sc->m, sc->d);
		orsp_err e = orsp_rsp_verify_server_cert(s, c, sc->role, sc->fqdn, now);
		if (e != ORSP_OK)
			fail_msg("%s: %s", sc->rel, orsp_err_detail());
		/* Also without the FQDN check. */
		expect(orsp_rsp_verify_server_cert(s, c, sc->role, NULL, now), ORSP_OK, NULL);
		/* Ten years later, every one of them has expired. */
		expect(
		    orsp_rsp_verify_server_cert(s, c, sc->role, sc->fqdn, now + 10 * 366 * 86400),
		    ORSP_E_POLICY, "expired");
		/* And before 2020 none was valid yet. */
		expect(orsp_rsp_verify_server_cert(s, c, sc->role, sc->fqdn,
		                                   certmint_time(2019, 6, 1)),
		       ORSP_E_POLICY, "not valid before");
		orsp_cert_free(c);
	}
	orsp_ci_store_free(s);
}

/* The certificates SGP.26 retired: expired at today's date (now = 0). */
static void test_old_tls_expired(void **state)
{
	static const char *const years[] = {"2022", "2023", "2024"};
	static const char *const files[] = {"CERT_S_SM_DP_TLS_NIST.der", "CERT_S_SM_DP_TLS_BRP.der",
	                                    "CERT_S_SM_DP2_TLS.der", "CERT_S_SM_DP4_TLS.der",
	                                    "CERT_S_SM_DP8_TLS.der"};
	orsp_ci_store *s = store_of(both_cis);
	(void)state;
	for (size_t y = 0; y < ORSP_ARRAY_LEN(years); y++) {
		for (size_t f = 0; f < ORSP_ARRAY_LEN(files); f++) {
			char rel[256];
			snprintf(rel, sizeof(rel), "sgp26/DPtls/Old_TLS_Validity/Expired %s/%s",
			         years[y], files[f]);
			orsp_cert *c = load(rel);
			expect(orsp_rsp_verify_server_cert(s, c, ORSP_ROLE_DP_TLS, NULL, 0),
			       ORSP_E_POLICY, "expired");
			orsp_cert_free(c);
		}
	}
	/* The "Expired 2021" set actually runs to 2030 (README): expired only after that. */
	orsp_cert *c = load("sgp26/DPtls/Old_TLS_Validity/Expired 2021/CERT_S_SM_DP_TLS_NIST.der");
	expect(orsp_rsp_verify_server_cert(s, c, ORSP_ROLE_DP_TLS, "testsmdpplus1.example.com",
	                                   certmint_time(2029, 1, 1)),
	       ORSP_OK, NULL);
	expect(orsp_rsp_verify_server_cert(s, c, ORSP_ROLE_DP_TLS, NULL, certmint_time(2030, 4, 1)),
	       ORSP_E_POLICY, "expired");
	orsp_cert_free(c);
	orsp_ci_store_free(s);
}

static void test_server_negative(void **state)
{
	orsp_ci_store *s = store_of(both_cis), *brp = store_of(brp_ci);
	orsp_cert *auth = load("sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
	orsp_cert *pb = load("sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_BRP.der");
	orsp_cert *tls = load("sgp26/DPtls/CERT_S_SM_DP_VARO_TLS_NIST.der");
	orsp_cert *bad;
	time_t t = certmint_time(2026, 12, 1);
	(void)state;

	/* Wrong role. */
	expect(orsp_rsp_verify_server_cert(s, auth, ORSP_ROLE_DP_PB, NULL, t), ORSP_E_POLICY,
	       "expected DPpb");
	expect(orsp_rsp_verify_server_cert(s, pb, ORSP_ROLE_DP_AUTH, NULL, t), ORSP_E_POLICY,
	       "policy is DPpb");
	expect(orsp_rsp_verify_server_cert(s, auth, ORSP_ROLE_DP_TLS, NULL, t), ORSP_E_POLICY,
	       NULL);
	expect(orsp_rsp_verify_server_cert(s, tls, ORSP_ROLE_DP_AUTH, NULL, t), ORSP_E_POLICY,
	       NULL);
	expect(orsp_rsp_verify_server_cert(s, auth, ORSP_ROLE_EUM, NULL, t), ORSP_E_USAGE, NULL);
	expect(orsp_rsp_verify_server_cert(s, auth, ORSP_ROLE_CI, NULL, t), ORSP_E_USAGE, NULL);
	/* Unknown CI. */
	expect(orsp_rsp_verify_server_cert(brp, auth, ORSP_ROLE_DP_AUTH, NULL, t), ORSP_E_POLICY,
	       "unknown CI");
	/* Bad signature. */
	bad = flip_last_byte(auth);
	expect(orsp_rsp_verify_server_cert(s, bad, ORSP_ROLE_DP_AUTH, NULL, t), ORSP_E_VERIFY,
	       "signature");
	orsp_cert_free(bad);
	bad = flip_last_byte(tls);
	expect(orsp_rsp_verify_server_cert(s, bad, ORSP_ROLE_DP_TLS, NULL, t), ORSP_E_VERIFY, NULL);
	orsp_cert_free(bad);
	/* FQDN mismatches: another host, a prefix, a suffix, a trailing dot, a wildcard. */
	static const char *const wrong[] = {"testsmdpplus2.example.com",
	                                    "testsmdpplus1.example.co",
	                                    "xtestsmdpplus1.example.com",
	                                    "testsmdpplus1.example.com.",
	                                    "*.example.com",
	                                    "example.com",
	                                    ""};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(wrong); i++)
		expect(orsp_rsp_verify_server_cert(s, tls, ORSP_ROLE_DP_TLS, wrong[i], t),
		       ORSP_E_POLICY, "subjectAltName");
	expect(
	    orsp_rsp_verify_server_cert(s, tls, ORSP_ROLE_DP_TLS, "TESTSMDPPLUS1.EXAMPLE.COM", t),
	    ORSP_OK, NULL);
	orsp_cert_free(tls);
	orsp_cert_free(pb);
	orsp_cert_free(auth);
	orsp_ci_store_free(brp);
	orsp_ci_store_free(s);
}

/* A production SM-DP+ (Thales) DPauth certificate under the production GSMA RSP2 Root CI1. */
static void test_production_dpauth(void **state)
{
	size_t jlen, len;
	char *json = (char *)test_read_vector(
	    "sgp22/es9p/thales_initiateAuthentication_response.json", &jlen);
	const char *key = "\"serverCertificate\":\"";
	char *p = strstr(json, key), *end;
	uint8_t der[2048];
	orsp_cert *c = NULL;
	static const char *const root[] = {"sgp22/es9p/gsma_rsp2_root_ci1.pem", NULL};
	orsp_ci_store *prod, *test;
	(void)state;

	assert_non_null(p);
	p += strlen(key);
	end = strchr(p, '"');
	assert_non_null(end);
	assert_int_equal(orsp_base64_decode(p, (size_t)(end - p), der, sizeof(der), &len), ORSP_OK);
	assert_int_equal(orsp_cert_parse(der, len, &c), ORSP_OK);
	prod = store_of(root);
	test = store_of(both_cis);
	/* Valid 2024-09-26 .. 2027-09-25. */
	expect(orsp_rsp_verify_server_cert(prod, c, ORSP_ROLE_DP_AUTH, NULL,
	                                   certmint_time(2025, 6, 1)),
	       ORSP_OK, NULL);
	expect(orsp_rsp_verify_server_cert(prod, c, ORSP_ROLE_DP_AUTH, NULL,
	                                   certmint_time(2028, 1, 1)),
	       ORSP_E_POLICY, "expired");
	expect(orsp_rsp_verify_server_cert(test, c, ORSP_ROLE_DP_AUTH, NULL,
	                                   certmint_time(2025, 6, 1)),
	       ORSP_E_POLICY, "unknown CI");
	orsp_ci_store_free(test);
	orsp_ci_store_free(prod);
	orsp_cert_free(c);
	free(json);
}

static void test_ci_store(void **state)
{
	orsp_ci_store *s = store_of(nist_ci);
	orsp_cert *ci = load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	orsp_cert *eum = load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	orsp_cert *dp = load("sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
	orsp_cert *bad = flip_last_byte(ci);
	uint8_t ski[20];
	(void)state;

	expect(orsp_ci_store_add(s, ci), ORSP_E_EXISTS, NULL);
	expect(orsp_ci_store_add(s, eum), ORSP_E_POLICY, NULL);
	expect(orsp_ci_store_add(s, dp), ORSP_E_POLICY, NULL);
	assert_int_equal(orsp_ci_store_count(s), 1);
	assert_int_equal(orsp_hex_decode_exact("f54172bdf98a95d65cbeb88a38a1c11d800a85c3", ski, 20),
	                 ORSP_OK);
	assert_non_null(orsp_ci_store_find(s, ski, 20));
	assert_null(orsp_ci_store_find(s, ski, 19));
	assert_null(orsp_ci_store_find(s, ski, 0));
	assert_null(orsp_ci_store_find(s, NULL, 0));
	/* by index, in the order added */
	assert_ptr_equal(orsp_ci_store_at(s, 0), orsp_ci_store_find(s, ski, 20));
	assert_null(orsp_ci_store_at(s, 1));
	assert_null(orsp_ci_store_at(NULL, 0));
	ski[0] ^= 1;
	assert_null(orsp_ci_store_find(s, ski, 20));
	/* A CI whose self-signature is broken. */
	orsp_ci_store *fresh = NULL;
	assert_int_equal(orsp_ci_store_new(&fresh), ORSP_OK);
	expect(orsp_ci_store_add(fresh, bad), ORSP_E_VERIFY, "self-signature");
	assert_int_equal(orsp_ci_store_count(fresh), 0);
	/* Minted CIs as the SM-DP+'s `ci` settings or `euicc --ci-cert` hand them in: without
	 * a subjectKeyIdentifier (no key id to find it by), and with an authorityKeyIdentifier
	 * naming another key (the SGP.26 CI's) though self-issued and signed by its own key:
	 * not self-signed. Both refused, the store left empty; the same CI with its own key
	 * ids is the control. */
	{
		certmint_spec cs = {0};
		EVP_PKEY *ck = certmint_key_new("prime256v1");
		X509 *other = certmint_cert_load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
		X509 *x;
		orsp_cert *c;
		orsp_ci_store *own = NULL;
		cs.subject = "/C=XX/O=Elsewhere/CN=Minted CI";
		cs.policy = P_CI;
		cs.key_usage = "critical,keyCertSign,cRLSign";
		cs.basic_constraints = "critical,CA:TRUE";
		assert_int_equal(orsp_ci_store_new(&own), ORSP_OK);
		cs.no_ski = cs.no_aki = true;
		x = certmint_issue(&cs, ck, NULL, ck);
		c = certmint_to_orsp(x);
		expect(orsp_ci_store_add(own, c), ORSP_E_POLICY,
		       "CI certificate \"Minted CI\": no subjectKeyIdentifier");
		orsp_cert_free(c);
		X509_free(x);
		cs.no_ski = cs.no_aki = false;
		cs.issuer_name = cs.subject;
		x = certmint_issue(&cs, ck, other, ck);
		c = certmint_to_orsp(x);
		expect(orsp_ci_store_add(own, c), ORSP_E_POLICY,
		       "CI certificate \"Minted CI\": not self-signed (AKI differs from SKI)");
		assert_int_equal(orsp_ci_store_count(own), 0);
		orsp_cert_free(c);
		X509_free(x);
		cs.issuer_name = NULL;
		x = certmint_issue(&cs, ck, NULL, ck);
		c = certmint_to_orsp(x);
		expect(orsp_ci_store_add(own, c), ORSP_OK, NULL);
		assert_int_equal(orsp_ci_store_count(own), 1);
		orsp_cert_free(c);
		X509_free(x);
		orsp_ci_store_free(own);
		X509_free(other);
		EVP_PKEY_free(ck);
	}
	/* The store keeps its own copy. */
	assert_int_equal(orsp_ci_store_add(fresh, ci), ORSP_OK);
	orsp_cert_free(ci);
	ci = NULL;
	orsp_cert *euicc = load("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der");
	expect(chain_both(fresh, eum, euicc, 0, NULL), ORSP_OK, NULL);
	orsp_cert_free(euicc);
	orsp_ci_store_free(fresh);
	orsp_cert_free(bad);
	orsp_cert_free(dp);
	orsp_cert_free(eum);
	orsp_ci_store_free(s);
}

/* ----- minted certificates ----- */

typedef struct pki {
	EVP_PKEY *ci_key, *eum_key, *euicc_key;
	X509 *ci, *eum;
	orsp_cert *eum_c;
	orsp_ci_store *store; /* both SGP.26 CIs */
} pki;

/* The SGP.26 NIST CI and EUM with their private keys. */
static void pki_load(pki *p)
{
	p->ci_key = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	p->eum_key = certmint_key_load("sgp26/EUM/SK_EUM_ECDSA_NIST.pem");
	p->euicc_key = certmint_key_new("prime256v1");
	p->ci = certmint_cert_load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	p->eum = certmint_cert_load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	p->eum_c = certmint_to_orsp(p->eum);
	p->store = store_of(both_cis);
}

/* A certificate minted from s with key k by issuer (its key ikey), verified as a server
 * certificate of role (for fqdn): want, with word in the detail. */
#define expect_minted_server(p, s, k, issuer, ikey, role, fqdn, want, word)                        \
	expect_minted_server_((p), (s), (k), (issuer), (ikey), (role), (fqdn), (want), (word),     \
	                      __LINE__)
static void expect_minted_server_(const pki *p, const certmint_spec *s, EVP_PKEY *k, X509 *issuer,
                                  EVP_PKEY *ikey, orsp_rsp_role role, const char *fqdn,
                                  orsp_err want, const char *word, int line)
{
	X509 *x = certmint_issue(s, k, issuer, ikey);
	orsp_cert *c = certmint_to_orsp(x);
	expect_(orsp_rsp_verify_server_cert(p->store, c, role, fqdn, 0), want, word, line);
	orsp_cert_free(c);
	X509_free(x);
}

static void pki_free(pki *p)
{
	orsp_ci_store_free(p->store);
	orsp_cert_free(p->eum_c);
	X509_free(p->eum);
	X509_free(p->ci);
	EVP_PKEY_free(p->euicc_key);
	EVP_PKEY_free(p->eum_key);
	EVP_PKEY_free(p->ci_key);
}

static certmint_spec euicc_spec(const char *eid)
{
	static char subject[128];
	certmint_spec s = {0};
	snprintf(subject, sizeof(subject), "/C=ES/O=RSP Test EUM/serialNumber=%s/CN=Test eUICC",
	         eid);
	s.subject = subject;
	s.policy = P_EUICC;
	s.key_usage = "critical,digitalSignature";
	return s;
}

static certmint_spec eum_spec(void)
{
	certmint_spec s = {0};
	s.subject = "/C=ES/O=RSP Test EUM/CN=Minted EUM";
	s.policy = P_EUM;
	s.key_usage = "critical,keyCertSign";
	s.basic_constraints = "critical,CA:TRUE,pathlen:0";
	s.nc_org = "RSP Test EUM";
	s.nc_serial = "89049032";
	return s;
}

/* Verify minted eUICC (spec u) under minted EUM (spec m, signed by the SGP.26 CI key). */
static orsp_err verify_minted(pki *p, const certmint_spec *m, const certmint_spec *u, char eid[33])
{
	EVP_PKEY *eum_key = certmint_key_new("prime256v1");
	X509 *eum = certmint_issue(m, eum_key, p->ci, p->ci_key);
	X509 *euicc = certmint_issue(u, p->euicc_key, eum, eum_key);
	orsp_cert *ce = certmint_to_orsp(eum), *cu = certmint_to_orsp(euicc);
	orsp_err e = chain_both(p->store, ce, cu, 0, eid);
	orsp_cert_free(cu);
	orsp_cert_free(ce);
	X509_free(euicc);
	X509_free(eum);
	EVP_PKEY_free(eum_key);
	return e;
}

/* orsp_cert_parse of an EUM minted from m under the SGP.26 CI. */
static orsp_err parse_minted_eum(pki *p, const certmint_spec *m)
{
	EVP_PKEY *key = certmint_key_new("prime256v1");
	X509 *x = certmint_issue(m, key, p->ci, p->ci_key);
	size_t len;
	uint8_t *der = certmint_der(x, &len);
	orsp_cert *c = NULL;
	orsp_err e = orsp_cert_parse(der, len, &c);
	orsp_cert_free(c);
	free(der);
	X509_free(x);
	EVP_PKEY_free(key);
	return e;
}

/* Verify a minted eUICC under the published SGP.26 EUM (signed with its published key). */
static orsp_err verify_under_sgp26_eum(pki *p, const certmint_spec *u, char eid[33])
{
	X509 *euicc = certmint_issue(u, p->euicc_key, p->eum, p->eum_key);
	orsp_cert *cu = certmint_to_orsp(euicc);
	orsp_err e = chain_both(p->store, p->eum_c, cu, 0, eid);
	orsp_cert_free(cu);
	X509_free(euicc);
	return e;
}

static void test_eid_range(void **state)
{
	pki p;
	char eid[33];
	certmint_spec u;
	(void)state;
	pki_load(&p);

	/* Control: an EID inside 89049032 passes, so the failures below are the EID's. */
	u = euicc_spec("89049032000000000000000000000017");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
	assert_string_equal(eid, "89049032000000000000000000000017");
	/* Outside the EUM's range. */
	u = euicc_spec("89049033123451234512345678901235");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "outside");
	assert_int_equal(eid[0], '\0');
	u = euicc_spec("99049032123451234512345678901235");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "outside");
	/* The EUM's decoded range is kept with the (cached) certificate: the same answers
	 * again, either way round. */
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "outside");
	u = euicc_spec("89049032000000000000000000000017");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
	u = euicc_spec("89049033123451234512345678901235");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "outside");
	/* Not a 32-digit EID. */
	u = euicc_spec("8904903212345123451234567890123");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "32-digit");
	u = euicc_spec("890490321234512345123456789012355");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "32-digit");
	u = euicc_spec("8904903212345123451234567890123A");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "32-digit");
	/* longer than the chain's buffer for it (40): no EID either, the same refusal */
	u = euicc_spec("890490321234512345123456789012358904903212345");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "32-digit");
	/* No serialNumber at all. */
	u = euicc_spec("x");
	u.subject = "/C=ES/O=RSP Test EUM/CN=Test eUICC";
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "serialNumber");
	/* Two serialNumber attributes, both in the range: which is the EID? */
	u.subject = "/C=ES/O=RSP Test EUM/serialNumber=89049032000000000000000000000017"
	            "/serialNumber=89049032123451234512345678901235/CN=Test eUICC";
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_MALFORMED, "several serialNumber");
	assert_int_equal(eid[0], '\0');
	/* An EUM whose nameConstraints permit "O=RSP Test EUM" without a serialNumber: no EID
	 * prefix granted, so no EID is in its range (the EUM's fault, not the eUICC's). */
	{
		certmint_spec m = eum_spec();
		m.nc_no_serial = true;
		u = euicc_spec(SGP26_EID);
		expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY,
		       "EUM certificate \"Minted EUM\": nameConstraints permit no EID prefix");
		assert_int_equal(eid[0], '\0');
	}
	pki_free(&p);
}

static void test_bad_signatures(void **state)
{
	pki p;
	orsp_cert *eum = load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	orsp_cert *euicc = load("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der");
	orsp_cert *bad;
	(void)state;
	pki_load(&p);

	bad = flip_last_byte(euicc);
	expect(chain_both(p.store, eum, bad, 0, NULL), ORSP_E_VERIFY, "eUICC");
	orsp_cert_free(bad);
	bad = flip_last_byte(eum);
	expect(chain_both(p.store, bad, euicc, 0, NULL), ORSP_E_VERIFY, "EUM");
	orsp_cert_free(bad);

	/* An impostor EUM: the SGP.26 EUM's names and key ids, signed by a key that is not the
	 * CI's (its AKI still points at the SGP.26 CI). */
	EVP_PKEY *rogue = certmint_key_new("prime256v1");
	certmint_spec m = eum_spec();
	X509 *imp = certmint_issue(&m, p.eum_key, p.ci, rogue);
	orsp_cert *ci_imp = certmint_to_orsp(imp);
	certmint_spec u = euicc_spec(SGP26_EID);
	X509 *uc = certmint_issue(&u, p.euicc_key, imp, p.eum_key);
	orsp_cert *cu = certmint_to_orsp(uc);
	expect(chain_both(p.store, ci_imp, cu, 0, NULL), ORSP_E_VERIFY, "EUM");
	/* An eUICC signed by a key other than the EUM's. */
	X509 *uc2 = certmint_issue(&u, p.euicc_key, p.eum, rogue);
	orsp_cert *cu2 = certmint_to_orsp(uc2);
	expect(chain_both(p.store, eum, cu2, 0, NULL), ORSP_E_VERIFY, "eUICC");
	orsp_cert_free(cu2);
	X509_free(uc2);
	orsp_cert_free(cu);
	X509_free(uc);
	orsp_cert_free(ci_imp);
	X509_free(imp);
	EVP_PKEY_free(rogue);
	orsp_cert_free(euicc);
	orsp_cert_free(eum);
	pki_free(&p);
}

/* The structured verdict of orsp_rsp_verify_euicc_chain_fault for eUICC x (issued by EUM m
 * under CI ci with their keys; x NULL: the SGP.26 eUICC) at now, in store s (NULL: p's):
 * refused with the same error as orsp_rsp_verify_euicc_chain. */
static orsp_chain_fault fault_of(const orsp_ci_store *s, const orsp_cert *eum, X509 *x, time_t now)
{
	orsp_chain_fault f = {ORSP_CHAIN_CERT_NONE, ORSP_CHAIN_OK};
	orsp_cert *u = x ? certmint_to_orsp(x) : load("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der");
	orsp_err plain = orsp_rsp_verify_euicc_chain(s, eum, u, now, NULL);
	orsp_err e = orsp_rsp_verify_euicc_chain_fault(s, eum, u, now, NULL, &f);
	assert_int_equal(e, plain);
	assert_int_not_equal(e, ORSP_OK);
	orsp_cert_free(u);
	return f;
}

/* fault_of for a sound eUICC (SGP.26's EID) under an EUM minted from m with key ek, issued by
 * ci and signed with signer. */
static orsp_chain_fault minted_eum_fault(pki *p, const orsp_ci_store *s, const certmint_spec *m,
                                         EVP_PKEY *ek, X509 *ci, EVP_PKEY *signer)
{
	certmint_spec u = euicc_spec(SGP26_EID);
	X509 *mx = certmint_issue(m, ek, ci, signer);
	orsp_cert *mc = certmint_to_orsp(mx);
	X509 *x = certmint_issue(&u, p->euicc_key, mx, ek);
	orsp_chain_fault f = fault_of(s, mc, x, 0);
	X509_free(x);
	orsp_cert_free(mc);
	X509_free(mx);
	return f;
}

#define FAULT(f, c, w)                                                                             \
	do {                                                                                       \
		orsp_chain_fault got_ = (f);                                                       \
		assert_int_equal(got_.cert, (c));                                                  \
		assert_int_equal(got_.why, (w));                                                   \
	} while (0)

/* The EUM's nameConstraints name its organisation with the EID prefix (SGP.22 §4.5.2.1.0.2:
 * O and serialNumber in one directoryName): an eUICC of the range must also carry that O,
 * compared as directory strings are (case and insignificant spaces aside). */
static void test_eid_range_org(void **state)
{
	pki p;
	char eid[33];
	certmint_spec u = euicc_spec(SGP26_EID);
	int before;
	(void)state;
	pki_load(&p);

#define WITH_SUBJECT(o) "/C=ES" o "/serialNumber=" SGP26_EID "/CN=Test eUICC"
	/* Control: the EUM's O, through the fast path too. */
	before = fast_accepts;
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
	assert_int_equal(fast_accepts, before + 1);
	/* Another organisation's eUICC with an EID of the range. */
	static const char *const refused[] = {
	    WITH_SUBJECT("/O=Another EUM"),   WITH_SUBJECT(""), /* no O at all */
	    WITH_SUBJECT("/O=RSP Test EUM2"), WITH_SUBJECT("/O=RSP Test"),
	    WITH_SUBJECT("/O=RSPTest EUM"),   WITH_SUBJECT("/OU=RSP Test EUM"),
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(refused); i++) {
		u.subject = refused[i];
		expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY,
		       "nameConstraints admit EID " SGP26_EID
		       " but not the eUICC subject's other attributes (O)");
		assert_int_equal(eid[0], '\0');
		/* the eUICC's fault, as an EID outside the range */
		X509 *x = certmint_issue(&u, p.euicc_key, p.eum, p.eum_key);
		FAULT(fault_of(p.store, p.eum_c, x, 0), ORSP_CHAIN_CERT_EUICC,
		      ORSP_CHAIN_EID_OUTSIDE);
		X509_free(x);
	}
	/* The same O as a directory string: case, leading, trailing and repeated spaces do
	 * not count; one of two O attributes suffices. */
	static const char *const held[] = {
	    WITH_SUBJECT("/O=rsp test eum"),
	    WITH_SUBJECT("/O=  RSP   Test EUM "),
	    WITH_SUBJECT("/O=Another EUM/O=RSP Test EUM"),
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(held); i++) {
		u.subject = held[i];
		before = fast_accepts;
		expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
		assert_string_equal(eid, SGP26_EID);
		assert_int_equal(fast_accepts, before + 1);
	}
	/* Other white space counts as a space (RFC 4518 maps it so), as OpenSSL's canonical
	 * names take it. */
	u.subject = WITH_SUBJECT("/O=RSP\tTest \r\nEUM");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
	/* A subject of more attributes than the fast path keeps goes to the full path, which
	 * reads them all: the O last of 20 still counts, and its absence still refuses. */
	u.subject = "/C=ES/OU=1/OU=2/OU=3/OU=4/OU=5/OU=6/OU=7/OU=8/OU=9/OU=10/OU=11/OU=12/OU=13"
	            "/OU=14/OU=15/OU=16/serialNumber=" SGP26_EID "/CN=Test eUICC/O=RSP Test EUM";
	before = fast_accepts;
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
	assert_int_equal(fast_accepts, before);
	u.subject = "/C=ES/OU=1/OU=2/OU=3/OU=4/OU=5/OU=6/OU=7/OU=8/OU=9/OU=10/OU=11/OU=12/OU=13"
	            "/OU=14/OU=15/OU=16/serialNumber=" SGP26_EID "/CN=Test eUICC/OU=RSP Test EUM";
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "(O)");
	/* An attribute that is no directory string is no reason to refuse; it equals nothing. */
	u.subject = WITH_SUBJECT("/O=RSP Test EUM/x500UniqueIdentifier#bits=AB");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
	u.subject = WITH_SUBJECT("/O#bits=RSP Test EUM");
	expect(verify_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "(O)");
	/* An excluded subtree holds an eUICC on its EID prefix alone: the subject's O is the
	 * constrained EUM's to write, so another O must not take an EID out of the excluded
	 * range. */
	{
		certmint_spec m = eum_spec();
		m.nc_excluded_serial = "890490321";
		u = euicc_spec(SGP26_EID);
		expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "excluded");
		m.nc_excluded_org = "Other EUM";
		expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "excluded");
		/* ... also where the permitted subtree names no O the subject must carry */
		m.nc_org = NULL;
		m.nc_excluded_org = "RSP Test EUM";
		u.subject = WITH_SUBJECT("/O=Evil");
		expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "excluded");
		u.subject = WITH_SUBJECT("");
		expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "excluded");
		/* and outside the excluded range such an EUM admits any O */
		u.subject = "/C=ES/O=Evil/serialNumber=89049032000000000000000000000017/CN=x";
		expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
	}
	/* An excluded subtree without a serialNumber holds every subject with its O (RFC 5280
	 * §4.2.1.10), whatever the EID; until session 70 it held none. */
	{
		certmint_spec m = eum_spec();
		m.nc_org = NULL;
		m.nc_excluded_no_serial = true;
		m.nc_excluded_org = "Banned EUM";
		u = euicc_spec(SGP26_EID);
		u.subject = WITH_SUBJECT("/O=Banned EUM");
		expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "excluded");
		u.subject = WITH_SUBJECT("/O=RSP Test EUM");
		expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
	}
	/* A subjectAltName name of a form the EUM's nameConstraints constrain is not processed:
	 * the eUICC certificate is refused (RFC 5280 §4.2.1.10), as it is with a directoryName
	 * there; one of a form they leave alone, or none, passes. */
	{
		certmint_spec m = eum_spec();
		m.nc_excluded_dns = "example.com";
		u = euicc_spec(SGP26_EID);
		expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
		u.san = "DNS:euicc.example.com";
		expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "GeneralName [2]");
		u.san = "RID:2.999.10";
		expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
		m.nc_excluded_dns = NULL;
		u.san = "email:a@example.com";
		expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
	}
#undef WITH_SUBJECT
	pki_free(&p);
}

/* A CI of its own, "Old CI" with key k, valid from nb to na (0: certmint's dates), and in *s
 * a new store trusting it alone. */
static X509 *old_ci(EVP_PKEY *k, time_t nb, time_t na, orsp_ci_store **s)
{
	certmint_spec cs = {0};
	X509 *ci;
	orsp_cert *c;

	cs.subject = "/C=XX/O=Elsewhere/CN=Old CI";
	cs.policy = P_CI;
	cs.key_usage = "critical,keyCertSign,cRLSign";
	cs.basic_constraints = "critical,CA:TRUE";
	cs.no_aki = true;
	cs.not_before = nb;
	cs.not_after = na;
	ci = certmint_issue(&cs, k, NULL, k);
	c = certmint_to_orsp(ci);
	assert_int_equal(orsp_ci_store_new(s), ORSP_OK);
	assert_int_equal(orsp_ci_store_add(*s, c), ORSP_OK);
	orsp_cert_free(c);
	return ci;
}

/* Which certificate failed and why, whatever the certificates' names say: an SM-DP+ answers
 * its status code from this, never from the error text (which quotes the CN). */
static void test_chain_fault(void **state)
{
	pki p;
	certmint_spec u, m;
	EVP_PKEY *rogue = certmint_key_new("prime256v1"), *ek = certmint_key_new("prime256v1");
	orsp_chain_fault f = {ORSP_CHAIN_CERT_EUM, ORSP_CHAIN_INVALID};
	orsp_cert *eum = load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	orsp_cert *euicc = load("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der");
	X509 *x;
	(void)state;
	pki_load(&p);

	/* verified: nothing named; NULL fault allowed */
	assert_int_equal(orsp_rsp_verify_euicc_chain_fault(p.store, eum, euicc, 0, NULL, &f),
	                 ORSP_OK);
	FAULT(f, ORSP_CHAIN_CERT_NONE, ORSP_CHAIN_OK);
	assert_int_equal(orsp_rsp_verify_euicc_chain_fault(p.store, eum, euicc, 0, NULL, NULL),
	                 ORSP_OK);
	/* the eUICC: signed by another key than the EUM's, under the EUM's names */
	u = euicc_spec(SGP26_EID);
	x = certmint_issue(&u, p.euicc_key, p.eum, rogue);
	FAULT(fault_of(p.store, eum, x, 0), ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_SIGNATURE);
	X509_free(x);
	/* expired, its CN naming the EUM (the text says "EUM", the verdict does not) */
	u = euicc_spec(SGP26_EID);
	u.subject = "/C=ES/O=RSP Test EUM/serialNumber=" SGP26_EID "/CN=EUM expired outside";
	u.not_before = certmint_time(2019, 1, 1);
	u.not_after = certmint_time(2020, 1, 1);
	x = certmint_issue(&u, p.euicc_key, p.eum, p.eum_key);
	FAULT(fault_of(p.store, eum, x, 0), ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_EXPIRED);
	X509_free(x);
	/* not valid yet */
	u = euicc_spec(SGP26_EID);
	u.not_before = certmint_time(2040, 1, 1);
	x = certmint_issue(&u, p.euicc_key, p.eum, p.eum_key);
	FAULT(fault_of(p.store, eum, x, 0), ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_NOT_YET_VALID);
	X509_free(x);
	/* an EID outside the EUM's range (a CN that says "permitted" changes nothing) */
	u = euicc_spec("89049033123451234512345678901235");
	u.subject = "/C=ES/O=RSP Test EUM/serialNumber=89049033123451234512345678901235"
	            "/CN=permitted EUM";
	x = certmint_issue(&u, p.euicc_key, p.eum, p.eum_key);
	FAULT(fault_of(p.store, eum, x, 0), ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_EID_OUTSIDE);
	X509_free(x);
	/* not an eUICC certificate (the EUM's policy) */
	u = euicc_spec(SGP26_EID);
	u.policy = P_EUM;
	x = certmint_issue(&u, p.euicc_key, p.eum, p.eum_key);
	FAULT(fault_of(p.store, eum, x, 0), ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_INVALID);
	X509_free(x);
	/* no authorityKeyIdentifier on the eUICC (signed by the EUM's key, under its name):
	 * check_issued does not guess its issuer, the eUICC is invalid */
	u = euicc_spec(SGP26_EID);
	u.no_aki = true;
	x = certmint_issue(&u, p.euicc_key, p.eum, p.eum_key);
	FAULT(fault_of(p.store, eum, x, 0), ORSP_CHAIN_CERT_EUICC, ORSP_CHAIN_INVALID);
	expect_detail("eUICC certificate \"Test eUICC\": no authorityKeyIdentifier");
	X509_free(x);
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY,
	       "eUICC certificate \"Test eUICC\": no authorityKeyIdentifier");
	/* the EUM: an impostor (not signed by the CI), expired, without an EID range; the
	 * eUICCs below them are sound */
	m = eum_spec();
	FAULT(minted_eum_fault(&p, p.store, &m, ek, p.ci, rogue), ORSP_CHAIN_CERT_EUM,
	      ORSP_CHAIN_SIGNATURE);
	m.not_before = certmint_time(2018, 1, 1);
	m.not_after = certmint_time(2021, 1, 1);
	FAULT(minted_eum_fault(&p, p.store, &m, ek, p.ci, p.ci_key), ORSP_CHAIN_CERT_EUM,
	      ORSP_CHAIN_EXPIRED);
	m = eum_spec();
	m.nc_serial = NULL;
	FAULT(minted_eum_fault(&p, p.store, &m, ek, p.ci, p.ci_key), ORSP_CHAIN_CERT_EUM,
	      ORSP_CHAIN_INVALID);
	/* no authorityKeyIdentifier: it names no CI, its own fault */
	m = eum_spec();
	m.no_aki = true;
	FAULT(minted_eum_fault(&p, p.store, &m, ek, p.ci, p.ci_key), ORSP_CHAIN_CERT_EUM,
	      ORSP_CHAIN_INVALID);
	/* no subjectKeyIdentifier (otherwise sound, issued by the CI): the EUM is invalid,
	 * before its eUICC is looked at (which has no key id to name it by, OpenSSL mints no
	 * authorityKeyIdentifier without the issuer's) */
	{
		X509 *mx;
		orsp_cert *mc;
		m = eum_spec();
		m.no_ski = true;
		mx = certmint_issue(&m, ek, p.ci, p.ci_key);
		mc = certmint_to_orsp(mx);
		u = euicc_spec(SGP26_EID);
		u.no_aki = true;
		x = certmint_issue(&u, p.euicc_key, mx, ek);
		FAULT(fault_of(p.store, mc, x, 0), ORSP_CHAIN_CERT_EUM, ORSP_CHAIN_INVALID);
		expect_detail("EUM certificate \"Minted EUM\": no subjectKeyIdentifier");
		X509_free(x);
		orsp_cert_free(mc);
		X509_free(mx);
	}
	/* the CI: none trusted for the EUM; one expired */
	{
		EVP_PKEY *ck = certmint_key_new("prime256v1");
		X509 *ci, *mx;
		orsp_cert *mc;
		orsp_ci_store *s = NULL;
		ci = old_ci(ck, 0, certmint_time(2021, 1, 1), &s);
		FAULT(fault_of(s, eum, NULL, 0), ORSP_CHAIN_CERT_CI, ORSP_CHAIN_UNKNOWN_CI);
		m = eum_spec();
		FAULT(minted_eum_fault(&p, s, &m, ek, ci, ck), ORSP_CHAIN_CERT_CI,
		      ORSP_CHAIN_EXPIRED);
		mx = certmint_issue(&m, ek, ci, ck);
		mc = certmint_to_orsp(mx);
		u = euicc_spec(SGP26_EID);
		x = certmint_issue(&u, p.euicc_key, mx, ek);
		{
			/* the same chain while the CI was valid: the expiry was the fault */
			orsp_cert *uc = certmint_to_orsp(x);
			assert_int_equal(orsp_rsp_verify_euicc_chain_fault(
			                     s, mc, uc, certmint_time(2020, 6, 1), NULL, &f),
			                 ORSP_OK);
			FAULT(f, ORSP_CHAIN_CERT_NONE, ORSP_CHAIN_OK);
			orsp_cert_free(uc);
		}
		X509_free(x);
		orsp_cert_free(mc);
		X509_free(mx);
		orsp_ci_store_free(s);
		X509_free(ci);
		EVP_PKEY_free(ck);
	}
	orsp_cert_free(euicc);
	orsp_cert_free(eum);
	EVP_PKEY_free(ek);
	EVP_PKEY_free(rogue);
	pki_free(&p);
}

/* Parsed certificates are shared by their bytes (a cache in src/crypto/x509.c): each
 * caller owns a reference, the object outlives any one of them, threads may share it, and
 * a different byte is a different certificate. */
typedef struct cache_arg {
	const orsp_ci_store *cis;
	const uint8_t *eum, *euicc;
	size_t eum_len, euicc_len;
	int failures;
} cache_arg;

static void *cache_worker(void *p)
{
	cache_arg *a = p;
	for (int i = 0; i < 200; i++) {
		orsp_cert *m = NULL, *u = NULL;
		char eid[33];
		if (orsp_cert_parse(a->eum, a->eum_len, &m) ||
		    orsp_cert_parse(a->euicc, a->euicc_len, &u) ||
		    chain_both(a->cis, m, u, 0, eid) || strcmp(eid, SGP26_EID))
			a->failures++;
		orsp_cert_free(u);
		orsp_cert_free(m);
	}
	return NULL;
}

static void test_parse_cache(void **state)
{
	(void)state;
	size_t ml, ul;
	uint8_t *m = test_read_vector("sgp26/EUM/CERT_EUM_ECDSA_NIST.der", &ml);
	uint8_t *u = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &ul);
	orsp_ci_store *cis = store_of(nist_ci);
	orsp_cert *a = NULL, *b = NULL;
	pthread_t th[4];
	cache_arg args[4];

	assert_int_equal(orsp_cert_parse(u, ul, &a), ORSP_OK);
	assert_int_equal(orsp_cert_parse(u, ul, &b), ORSP_OK);
	assert_int_equal(orsp_cert_der(a).len, ul);
	assert_memory_equal(orsp_cert_der(b).p, u, ul);
	orsp_cert_free(a); /* b stays usable */
	{
		char serial[40];
		assert_int_equal(orsp_cert_subject_serial(b, serial, sizeof(serial)), ORSP_OK);
		assert_string_equal(serial, SGP26_EID);
	}
	orsp_cert_free(b);
	/* one changed byte (the signature's last) is another certificate: no shared object */
	u[ul - 1] ^= 1;
	assert_int_equal(orsp_cert_parse(u, ul, &a), ORSP_OK);
	u[ul - 1] ^= 1;
	assert_int_equal(orsp_cert_parse(u, ul, &b), ORSP_OK);
	assert_ptr_not_equal(a, b);
	assert_memory_not_equal(orsp_cert_der(a).p, orsp_cert_der(b).p, ul);
	orsp_cert_free(a);
	orsp_cert_free(b);
	for (int i = 0; i < 4; i++) {
		args[i] = (cache_arg){cis, m, u, ml, ul, 0};
		assert_int_equal(pthread_create(&th[i], NULL, cache_worker, &args[i]), 0);
	}
	for (int i = 0; i < 4; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].failures, 0);
	}
	orsp_ci_store_free(cis);
	free(m);
	free(u);
}

/* The fast path recognises the published SGP.26 eUICCs (both curves) and the minted shape;
 * a bad signature, another EUM or an unknown CI are left to the full path. */
static void test_fast_path_accepts(void **state)
{
	(void)state;
	static const char *const curves[][2] = {
	    {"sgp26/EUM/CERT_EUM_ECDSA_NIST.der", "sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der"},
	    {"sgp26/EUM/CERT_EUM_ECDSA_BRP.der", "sgp26/eUICC/CERT_EUICC_ECDSA_BRP.der"},
	};
	orsp_ci_store *cis = store_of(both_cis);
	for (size_t i = 0; i < 2; i++) {
		orsp_cert *m = load(curves[i][0]), *u = load(curves[i][1]),
		          *bad = flip_last_byte(u);
		orsp_slice d = orsp_cert_der(u);
		orsp_ec_key *pub = NULL;
		char eid[33];
		int before = fast_accepts;
		assert_int_equal(chain_both(cis, m, u, 0, eid), ORSP_OK);
		assert_int_equal(fast_accepts, before + 1);
		assert_string_equal(eid, SGP26_EID);
		assert_int_equal(chain_both(cis, m, bad, 0, NULL), ORSP_E_VERIFY);
		/* under the other curve's EUM, or with only the other CI trusted */
		{
			orsp_cert *other = load(curves[1 - i][0]);
			assert_int_equal(
			    orsp_rsp_euicc_fast_accept(cis, other, d.p, d.len, 0, eid, &pub),
			    ORSP_E_NOT_FOUND);
			orsp_cert_free(other);
		}
		{
			orsp_ci_store *only_other = store_of(i ? nist_ci : brp_ci);
			assert_int_equal(
			    orsp_rsp_euicc_fast_accept(only_other, m, d.p, d.len, 0, eid, &pub),
			    ORSP_E_NOT_FOUND);
			orsp_ci_store_free(only_other);
		}
		/* truncated and extended DER */
		assert_int_equal(orsp_rsp_euicc_fast_accept(cis, m, d.p, d.len - 1, 0, eid, &pub),
		                 ORSP_E_NOT_FOUND);
		assert_null(pub);
		orsp_cert_free(bad);
		orsp_cert_free(u);
		orsp_cert_free(m);
	}
	orsp_ci_store_free(cis);
}

/* ----- CERT.EUICC re-signed by the published SGP.26 EUM key -----
 * The SGP.26 eUICC's TBS changed byte by byte and signed again, so that only the change
 * decides (a change to the signed bytes alone breaks the signature, which both paths
 * refuse). DER is read and written here by hand, not with src/der. */

/* Header of the TLV at p (short or 0x81/0x82 long form): its length in *hl, the value's
 * in *vl. */
static void tlv_header(const uint8_t *p, size_t *hl, size_t *vl)
{
	if (p[1] < 0x80) {
		*hl = 2;
		*vl = p[1];
	} else if (p[1] == 0x81) {
		*hl = 3;
		*vl = p[2];
	} else {
		assert_int_equal(p[1], 0x82);
		*hl = 4;
		*vl = (size_t)p[2] << 8 | p[3];
	}
}

/* Append tag, DER length, value to out at *n. */
static void put_tlv(uint8_t *out, size_t *n, uint8_t tag, const uint8_t *v, size_t vl)
{
	out[(*n)++] = tag;
	if (vl >= 0x100) {
		out[(*n)++] = 0x82;
		out[(*n)++] = (uint8_t)(vl >> 8);
	} else if (vl >= 0x80) {
		out[(*n)++] = 0x81;
	}
	out[(*n)++] = (uint8_t)vl;
	memcpy(out + *n, v, vl);
	*n += vl;
}

/* The TBS of a DER certificate: a malloc'ed copy. */
static uint8_t *tbs_of(const uint8_t *der, size_t *len)
{
	size_t hl, vl, thl, tvl;
	uint8_t *t;
	tlv_header(der, &hl, &vl);
	tlv_header(der + hl, &thl, &tvl);
	*len = thl + tvl;
	t = malloc(*len);
	assert_non_null(t);
	memcpy(t, der + hl, *len);
	return t;
}

/* Certificate { tbs, ecdsa-with-SHA256, signature by key over tbs } in a malloc'ed buffer. */
static uint8_t *sign_tbs(const uint8_t *tbs, size_t tbs_len, EVP_PKEY *key, size_t *len)
{
	static const uint8_t alg[] = {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86,
	                              0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
	uint8_t sig[1 + 80], *body, *der;
	size_t sl = sizeof(sig) - 1, bl = 0;
	EVP_MD_CTX *md = EVP_MD_CTX_new();

	assert_non_null(md);
	assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
	assert_int_equal(EVP_DigestSign(md, sig + 1, &sl, tbs, tbs_len), 1);
	EVP_MD_CTX_free(md);
	sig[0] = 0; /* no unused bits */
	body = malloc(tbs_len + sizeof(alg) + sizeof(sig) + 4);
	der = malloc(tbs_len + sizeof(alg) + sizeof(sig) + 8);
	assert_non_null(body);
	assert_non_null(der);
	memcpy(body, tbs, tbs_len);
	bl = tbs_len;
	memcpy(body + bl, alg, sizeof(alg));
	bl += sizeof(alg);
	put_tlv(body, &bl, 0x03, sig, sl + 1);
	*len = 0;
	put_tlv(der, len, 0x30, body, bl);
	free(body);
	return der;
}

/* The fast path must refuse whatever the full path refuses: the SGP.26 eUICC with one
 * change in its subject, re-signed by the EUM. The unchanged TBS re-signed is the control
 * (both paths accept it). */
static void test_fast_path_resigned(void **state)
{
	static const uint8_t cn[] = "\x06\x03\x55\x04\x03\x0C\x0ATest eUICC";
	static const struct {
		size_t at; /* offset in cn */
		uint8_t to;
		bool full_refuses; /* by orsp_cert_parse (OpenSSL's d2i_X509): the finding's
		                    * cases; for the others either way, as OpenSSL decides */
	} changes[] = {
	    {0, 0, false},     /* control: no change */
	    {14, 0xFF, true},  /* CN "Test eUIC\xFF": not UTF-8 */
	    {4, 0x83, true},   /* CN OID 55 04 83: last subidentifier not terminated */
	    {3, 0x80, true},   /* CN OID 55 80 03: non-minimal subidentifier */
	    {15, 0x80, false}, /* CN "Test eUIC\x80" (a lone continuation byte) */
	    {14, 0xC3, false}, /* CN "Test eUIC\xC3" (cut sequence) */
	    {5, 0x13, false},  /* CN "Test eUICC" as a PrintableString */
	    {5, 0x16, false},  /* ... as an IA5String */
	    {5, 0x14, false},  /* ... as a T61String */
	    {4, 0x41, false},  /* attribute 2.5.4.65 (pseudonym) */
	};
	pki p;
	size_t cert_len, tbs_len;
	uint8_t *cert = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &cert_len);
	uint8_t *tbs = tbs_of(cert, &tbs_len);
	uint8_t *at = NULL;
	(void)state;
	pki_load(&p);

	for (size_t i = 0; !at && i + sizeof(cn) - 1 <= tbs_len; i++)
		if (memcmp(tbs + i, cn, sizeof(cn) - 1) == 0)
			at = tbs + i;
	assert_non_null(at);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(changes); i++) {
		uint8_t keep = at[changes[i].at], *der;
		size_t n;
		orsp_cert *u = NULL;
		orsp_ec_key *pub = NULL;
		char eid[33];
		orsp_err parsed, fast;

		if (i > 0)
			at[changes[i].at] = changes[i].to;
		der = sign_tbs(tbs, tbs_len, p.eum_key, &n);
		at[changes[i].at] = keep;
		fast = orsp_rsp_euicc_fast_accept(p.store, p.eum_c, der, n, 0, eid, &pub);
		orsp_ec_free(pub);
		parsed = orsp_cert_parse(der, n, &u);
		if (changes[i].full_refuses && parsed == ORSP_OK)
			fail_msg("change %zu: the full path parses it", i);
		if (parsed != ORSP_OK) {
			if (fast != ORSP_E_NOT_FOUND)
				fail_msg("change %zu: the fast path accepts what orsp_cert_parse "
				         "refuses (%s)",
				         i, orsp_err_detail());
		} else {
			/* chain_both fails if the fast path accepts and the full refuses */
			int before = fast_accepts;
			orsp_err full = chain_both(p.store, p.eum_c, u, 0, eid);
			if (i == 0) {
				assert_int_equal(full, ORSP_OK);
				assert_int_equal(fast_accepts, before + 1);
			}
		}
		orsp_cert_free(u);
		free(der);
	}
	free(tbs);
	free(cert);
	pki_free(&p);
}

/* The key of a stored certificate read with the DER reader (and the key cache behind it):
 * the same point and curve as OpenSSL's parse, twice; refusals for other shapes. */
static void test_der_public_key(void **state)
{
	(void)state;
	static const char *const rels[] = {"sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der",
	                                   "sgp26/eUICC/CERT_EUICC_ECDSA_BRP.der",
	                                   "sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(rels); i++) {
		orsp_cert *c = load(rels[i]);
		orsp_slice d = orsp_cert_der(c);
		orsp_ec_key *ref = NULL, *k = NULL;
		uint8_t p1[ORSP_EC_POINT_LEN], p2[ORSP_EC_POINT_LEN];
		assert_int_equal(orsp_cert_public_key(c, &ref), ORSP_OK);
		assert_int_equal(orsp_ec_public_point(ref, p1), ORSP_OK);
		for (int round = 0; round < 2; round++) {
			assert_int_equal(orsp_cert_der_public_key(d.p, d.len, &k), ORSP_OK);
			assert_int_equal(orsp_ec_curve(k), orsp_ec_curve(ref));
			assert_int_equal(orsp_ec_public_point(k, p2), ORSP_OK);
			assert_memory_equal(p1, p2, sizeof(p1));
			orsp_ec_free(k);
			k = NULL;
		}
		assert_int_equal(orsp_cert_der_public_key(d.p, d.len - 1, &k), ORSP_E_MALFORMED);
		assert_null(k);
		orsp_ec_free(ref);
		orsp_cert_free(c);
	}
	{
		/* a P-384 key is refused */
		EVP_PKEY *key = certmint_key_new("secp384r1");
		certmint_spec u = euicc_spec(SGP26_EID);
		X509 *x = certmint_issue(&u, key, NULL, key);
		size_t n;
		uint8_t *der = certmint_der(x, &n);
		orsp_ec_key *k = NULL;
		expect(orsp_cert_der_public_key(der, n, &k), ORSP_E_POLICY, "P-256");
		free(der);
		X509_free(x);
		EVP_PKEY_free(key);
	}
}

/* The key cache shares an EVP_PKEY between threads: one uses a cached key and drops it, another
 * pushes it out of its slot with a new key and so drops the last reference. Ordered only by
 * OpenSSL's own reference count, which ThreadSanitizer cannot see, the free looked like a race
 * with the use (a CI run under load). The threads here are ordered by a relaxed flag, which
 * orders nothing for ThreadSanitizer either: under make test-tsan this fails without the
 * drops under one lock (ec_internal.h); elsewhere it checks that both keys work. */
typedef struct key_cache_arg {
	const uint8_t *der;
	size_t len;
	atomic_int *used;
	int failures;
} key_cache_arg;

static uint64_t point_slot(EVP_PKEY *key)
{
	uint8_t pt[ORSP_EC_POINT_LEN];
	size_t n = 0;
	uint64_t h = 0xcbf29ce484222325ULL; /* x509.c's slot: FNV-1a of the point, mod 128 */
	if (EVP_PKEY_get_octet_string_param(key, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt), &n) !=
	        1 ||
	    n != sizeof(pt))
		return UINT64_MAX;
	for (size_t i = 0; i < n; i++)
		h = (h ^ pt[i]) * 0x100000001b3ULL;
	return h % 128;
}

static void *key_cache_user(void *p)
{
	key_cache_arg *a = p;
	orsp_ec_key *k = NULL;
	uint8_t sig[ORSP_EC_SIG_LEN] = {0};
	uint8_t pt[ORSP_EC_POINT_LEN];

	sig[ORSP_EC_SIG_LEN / 2 - 1] = sig[ORSP_EC_SIG_LEN - 1] =
	    1; /* r = s = 1: in range, wrong */
	if (orsp_cert_der_public_key(a->der, a->len, &k) || orsp_ec_public_point(k, pt) ||
	    orsp_ecdsa_verify(k, "m", 1, sig) != ORSP_E_VERIFY)
		a->failures++;
	orsp_ec_free(k);
	atomic_store_explicit(a->used, 1, memory_order_relaxed);
	return NULL;
}

static void test_der_public_key_cache_threads(void **state)
{
	(void)state;
	certmint_spec u = euicc_spec(SGP26_EID);
	EVP_PKEY *k1 = certmint_key_new("prime256v1"), *k2 = NULL;
	X509 *x1 = certmint_issue(&u, k1, NULL, k1), *x2;
	size_t n1, n2;
	uint8_t *d1 = certmint_der(x1, &n1), *d2;
	atomic_int used = 0;
	key_cache_arg a = {d1, n1, &used, 0};
	pthread_t th;
	orsp_ec_key *k = NULL;
	uint8_t pt[ORSP_EC_POINT_LEN];

	/* a second key in the first one's slot */
	for (int i = 0; i < 5000; i++) {
		k2 = certmint_key_new("prime256v1");
		if (point_slot(k2) == point_slot(k1))
			break;
		EVP_PKEY_free(k2);
		k2 = NULL;
	}
	assert_non_null(k2);
	x2 = certmint_issue(&u, k2, NULL, k2);
	d2 = certmint_der(x2, &n2);
	assert_int_equal(pthread_create(&th, NULL, key_cache_user, &a), 0);
	while (!atomic_load_explicit(&used, memory_order_relaxed))
		usleep(1000);
	/* pushes the first key out: the last reference to it */
	assert_int_equal(orsp_cert_der_public_key(d2, n2, &k), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(k, pt), ORSP_OK);
	orsp_ec_free(k);
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(a.failures, 0);
	free(d1);
	free(d2);
	X509_free(x1);
	X509_free(x2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k2);
}

/* Forms of the SGP.26 NIST eUICC's point (SEC 1 §2.3.3): compressed 02/03 || X, which RFC
 * 5480 §2.2 allows; hybrid 06/07 || X || Y and the point at infinity (the one octet 00),
 * which OpenSSL reads and RFC 5480 §2.2 refuses ("MUST be rejected"); and broken ones: 33
 * bytes starting 04, a compressed X >= p, a hybrid prefix with Y's parity wrong. */
enum point_form { PF_COMPRESSED, PF_HYBRID, PF_INFINITY, PF_BAD_PREFIX, PF_X_FF, PF_BAD_PARITY };

/* The SGP.26 NIST eUICC with its point in `form`, re-signed by the SGP.26 EUM: malloc'ed
 * DER. */
static uint8_t *euicc_point_form(EVP_PKEY *eum_key, enum point_form form, size_t *len)
{
	size_t cert_len, tbs_len, hl, vl, off, n = 0, key_len;
	uint8_t *cert = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &cert_len);
	uint8_t *tbs = tbs_of(cert, &tbs_len), *out = malloc(tbs_len), *body = malloc(tbs_len);
	uint8_t spki[128], key[1 + ORSP_EC_POINT_LEN];
	size_t sl = 0, bl = 0;
	uint8_t *der;

	assert_non_null(out);
	assert_non_null(body);
	tlv_header(tbs, &hl, &vl);
	off = hl;
	/* version, serialNumber, signature, issuer, validity, subject: copied */
	for (int i = 0; i < 6; i++) {
		size_t fh, fv;
		tlv_header(tbs + off, &fh, &fv);
		memcpy(body + bl, tbs + off, fh + fv);
		bl += fh + fv;
		off += fh + fv;
	}
	{
		/* SEQUENCE { algorithm, BIT STRING 00 04||X||Y } -> the point in `form` */
		size_t sh, sv, ah, av, kh, kv;
		const uint8_t *alg, *bits;
		uint8_t odd;
		tlv_header(tbs + off, &sh, &sv);
		alg = tbs + off + sh;
		tlv_header(alg, &ah, &av);
		bits = alg + ah + av;
		tlv_header(bits, &kh, &kv);
		assert_int_equal(kv, 1 + ORSP_EC_POINT_LEN);
		assert_int_equal(bits[kh + 1], 0x04);
		odd = bits[kh + kv - 1] & 1;
		memcpy(key, bits + kh, kv); /* 00 04 X Y */
		key_len = kv;
		if (form == PF_HYBRID || form == PF_BAD_PARITY) {
			key[1] = (uint8_t)(0x06 | (form == PF_HYBRID ? odd : !odd));
		} else if (form == PF_INFINITY) {
			key[1] = 0x00;
			key_len = 2;
		} else {
			key[1] = form == PF_BAD_PREFIX ? 0x04 : (uint8_t)(0x02 | odd);
			if (form == PF_X_FF)
				memset(key + 2, 0xFF, 32);
			key_len = 2 + 32;
		}
		if (ah + av + 3 + key_len > sizeof(spki)) {
			fail_msg("algorithm of %zu bytes: no room in spki", ah + av);
			return NULL;
		}
		memcpy(spki, alg, ah + av);
		sl = ah + av;
		put_tlv(spki, &sl, 0x03, key, key_len);
		put_tlv(body, &bl, 0x30, spki, sl);
		off += sh + sv;
	}
	/* the extensions */
	memcpy(body + bl, tbs + off, tbs_len - off);
	bl += tbs_len - off;
	put_tlv(out, &n, 0x30, body, bl);
	der = sign_tbs(out, n, eum_key, len);
	free(body);
	free(out);
	free(tbs);
	free(cert);
	return der;
}

/* A CERT.EUICC whose key is a compressed point: the full path accepts it, so the SM-DP+'s
 * later reads of its key (orsp_cert_der_public_key) must take it too, as the same key. A
 * hybrid point and the point at infinity are refused by both (under the point at infinity the
 * signature (x(G), H(m)) verifies for any message: anyone could have signed as that eUICC;
 * until session 51 both forms were taken), and so are the broken forms. */
static void test_der_public_key_point_forms(void **state)
{
	pki p;
	size_t n;
	uint8_t *der;
	orsp_cert *u = NULL;
	orsp_ec_key *ref = NULL, *k = NULL, *fast = NULL;
	uint8_t p1[ORSP_EC_POINT_LEN], p2[ORSP_EC_POINT_LEN];
	char eid[33];
	(void)state;
	pki_load(&p);

	for (int form = PF_COMPRESSED; form <= PF_COMPRESSED; form++) {
		der = euicc_point_form(p.eum_key, form, &n);
		assert_int_equal(orsp_cert_parse(der, n, &u), ORSP_OK);
		expect(chain_both(p.store, p.eum_c, u, 0, eid), ORSP_OK, NULL);
		assert_string_equal(eid, SGP26_EID);
		/* left to the full path, which is fine */
		assert_int_equal(
		    orsp_rsp_euicc_fast_accept(p.store, p.eum_c, der, n, 0, eid, &fast),
		    ORSP_E_NOT_FOUND);
		assert_int_equal(orsp_cert_public_key(u, &ref), ORSP_OK);
		assert_int_equal(orsp_ec_public_point(ref, p1), ORSP_OK);
		expect(orsp_cert_der_public_key(der, n, &k), ORSP_OK, NULL);
		assert_int_equal(orsp_ec_curve(k), ORSP_CURVE_P256);
		assert_int_equal(orsp_ec_public_point(k, p2), ORSP_OK);
		assert_memory_equal(p1, p2, sizeof(p1));
		{
			/* the key verifies what the eUICC's published private key signs */
			EVP_PKEY *sk = certmint_key_load("sgp26/eUICC/SK_EUICC_ECDSA_NIST.pem");
			EVP_MD_CTX *md = EVP_MD_CTX_new();
			uint8_t sig[80], raw[ORSP_EC_SIG_LEN];
			const uint8_t *sp = sig;
			size_t sl = sizeof(sig);
			ECDSA_SIG *es;
			const BIGNUM *r, *s;
			assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, sk), 1);
			assert_int_equal(EVP_DigestSign(md, sig, &sl, (const uint8_t *)"data", 4),
			                 1);
			es = d2i_ECDSA_SIG(NULL, &sp, (long)sl);
			assert_non_null(es);
			ECDSA_SIG_get0(es, &r, &s);
			assert_int_equal(BN_bn2binpad(r, raw, 32), 32);
			assert_int_equal(BN_bn2binpad(s, raw + 32, 32), 32);
			assert_int_equal(orsp_ecdsa_verify(k, (const uint8_t *)"data", 4, raw),
			                 ORSP_OK);
			ECDSA_SIG_free(es);
			EVP_MD_CTX_free(md);
			EVP_PKEY_free(sk);
		}
		orsp_ec_free(k);
		k = NULL;
		orsp_ec_free(ref);
		ref = NULL;
		orsp_cert_free(u);
		u = NULL;
		free(der);
	}
	for (int form = PF_HYBRID; form <= PF_INFINITY; form++) {
		der = euicc_point_form(p.eum_key, form, &n);
		assert_int_equal(orsp_cert_parse(der, n, &u), ORSP_OK);
		expect(chain_both(p.store, p.eum_c, u, 0, eid), ORSP_E_POLICY,
		       "compressed or uncompressed");
		expect(orsp_cert_public_key(u, &k), ORSP_E_POLICY, "compressed or uncompressed");
		assert_null(k);
		expect(orsp_cert_der_public_key(der, n, &k), ORSP_E_POLICY,
		       "compressed or uncompressed");
		assert_null(k);
		orsp_cert_free(u);
		u = NULL;
		free(der);
	}
	for (int form = PF_BAD_PREFIX; form <= PF_BAD_PARITY; form++) {
		der = euicc_point_form(p.eum_key, form, &n);
		if (orsp_cert_parse(der, n, &u) == ORSP_OK)
			assert_int_not_equal(chain_both(p.store, p.eum_c, u, 0, eid), ORSP_OK);
		expect(orsp_cert_der_public_key(der, n, &k), ORSP_E_MALFORMED, "public key");
		assert_null(k);
		orsp_cert_free(u);
		u = NULL;
		free(der);
	}
	pki_free(&p);
}

/* orsp_cert_der_public_key reads a key only from a certificate the full path accepts: the
 * SGP.26 NIST eUICC with its issuer Name tagged 10 (a primitive SEQUENCE, not DER), which
 * OpenSSL's d2i_X509 takes, re-signed by the SGP.26 EUM. The fast path leaves it to the
 * full path, which refuses it, and so does the key reader. */
static void test_der_public_key_follows_full_path(void **state)
{
	pki p;
	size_t cert_len, tbs_len, hl, vl, off, n;
	uint8_t *cert = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &cert_len);
	uint8_t *tbs = tbs_of(cert, &tbs_len), *der;
	orsp_cert *u = NULL;
	orsp_ec_key *ref = NULL, *k = NULL;
	uint8_t p1[ORSP_EC_POINT_LEN], p2[ORSP_EC_POINT_LEN];
	char eid[33];
	(void)state;
	pki_load(&p);

	tlv_header(tbs, &hl, &vl);
	off = hl;
	for (int i = 0; i < 3; i++) { /* version, serialNumber, signature */
		size_t fh, fv;
		tlv_header(tbs + off, &fh, &fv);
		off += fh + fv;
	}
	assert_int_equal(tbs[off], 0x30); /* the issuer */
	tbs[off] = 0x10;
	der = sign_tbs(tbs, tbs_len, p.eum_key, &n);
	assert_int_equal(orsp_rsp_euicc_fast_accept(p.store, p.eum_c, der, n, 0, eid, &k),
	                 ORSP_E_NOT_FOUND);
	assert_null(k);
	expect(orsp_cert_parse(der, n, &u), ORSP_E_MALFORMED, "primitive SEQUENCE");
	expect(orsp_cert_der_public_key(der, n, &k), ORSP_E_MALFORMED, "primitive SEQUENCE");
	assert_null(k);
	/* the control: the same TBS unchanged, signed again, gives the eUICC's own key */
	tbs[off] = 0x30;
	free(der);
	der = sign_tbs(tbs, tbs_len, p.eum_key, &n);
	expect(orsp_cert_parse(der, n, &u), ORSP_OK, NULL);
	expect(chain_both(p.store, p.eum_c, u, 0, eid), ORSP_OK, NULL);
	assert_int_equal(orsp_cert_public_key(u, &ref), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(ref, p1), ORSP_OK);
	expect(orsp_cert_der_public_key(der, n, &k), ORSP_OK, NULL);
	assert_int_equal(orsp_ec_public_point(k, p2), ORSP_OK);
	assert_memory_equal(p1, p2, sizeof(p1));
	orsp_ec_free(k);
	orsp_ec_free(ref);
	orsp_cert_free(u);
	free(der);
	free(tbs);
	free(cert);
	pki_free(&p);
}

/* A copy of the TLVs in p[0..len) into out at *n with DER lengths, but for the TLV whose
 * header starts at offset `at` (counted from base): its length, under 128, is written in
 * the long form 0x81 although the short one fits, one byte more there and in every TLV
 * around it. Descends only into the TLV that holds `at`,
 * primitive ones included (an extension's value is DER inside an OCTET STRING). */
static void long_form_at(const uint8_t *p, size_t len, const uint8_t *base, size_t at, uint8_t *out,
                         size_t *n)
{
	for (size_t off = 0; off < len;) {
		size_t hl, vl, pos = (size_t)(p + off - base);
		tlv_header(p + off, &hl, &vl);
		if (pos == at) {
			assert_true(vl < 0x80);
			out[(*n)++] = p[off];
			out[(*n)++] = 0x81;
			out[(*n)++] = (uint8_t)vl;
			memcpy(out + *n, p + off + hl, vl);
			*n += vl;
		} else if (at > pos && at < pos + hl + vl) {
			uint8_t inner[2048];
			size_t in = 0;
			long_form_at(p + off + hl, vl, base, at, inner, &in);
			put_tlv(out, n, p[off], inner, in);
		} else {
			memcpy(out + *n, p + off, hl + vl);
			*n += hl + vl;
		}
		off += hl + vl;
	}
}

/* orsp_cert_parse refuses a TBS that is not DER though d2i_X509 takes it and the signature
 * over it is right: the SGP.26 NIST eUICC changed and re-signed by the SGP.26 EUM, with a
 * length in the long form where the short one fits, in the TBS (the validity) and inside an
 * extension's value (the authorityKeyIdentifier's keyIdentifier); with keyUsage's critical
 * flag as 01 instead of FF, and as an explicit FALSE (00). The unchanged TBS re-signed, and
 * the copy without a target, are the controls. (A Name tagged as a primitive SEQUENCE:
 * test_der_public_key_follows_full_path.) */
static void test_parse_non_der_tbs(void **state)
{
	static const uint8_t aki_oid[] = {0x06, 0x03, 0x55, 0x1D, 0x23};
	pki p;
	size_t cert_len, tbs_len, hl, vl, off, n, validity = 0, aki_kid = 0;
	uint8_t *cert = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &cert_len);
	uint8_t *tbs = tbs_of(cert, &tbs_len), *der, copy[2048];
	orsp_cert *u = NULL;
	char eid[33];
	(void)state;
	pki_load(&p);
	assert_true(tbs_len < sizeof(copy) - 8);

	/* the validity: the fifth field of the TBS */
	tlv_header(tbs, &hl, &vl);
	off = hl;
	for (int i = 0; i < 5; i++) {
		size_t fh, fv;
		validity = off;
		tlv_header(tbs + off, &fh, &fv);
		off += fh + fv;
	}
	assert_int_equal(tbs[validity], 0x30);
	/* the keyIdentifier [0] in the authorityKeyIdentifier's value:
	 * OID, OCTET STRING { SEQUENCE { [0] ... } } */
	for (size_t i = 0; i + sizeof(aki_oid) < tbs_len; i++)
		if (memcmp(tbs + i, aki_oid, sizeof(aki_oid)) == 0)
			aki_kid = i + sizeof(aki_oid) + 4;
	assert_true(aki_kid > 0);
	assert_int_equal(tbs[aki_kid - 4], 0x04);
	assert_int_equal(tbs[aki_kid - 2], 0x30);
	assert_int_equal(tbs[aki_kid], 0x80);

	/* controls: the copy without a target is the TBS itself, and it parses and verifies */
	n = 0;
	long_form_at(tbs, tbs_len, tbs, SIZE_MAX, copy, &n);
	assert_int_equal(n, tbs_len);
	assert_memory_equal(copy, tbs, n);
	der = sign_tbs(tbs, tbs_len, p.eum_key, &n);
	expect(orsp_cert_parse(der, n, &u), ORSP_OK, NULL);
	expect(chain_both(p.store, p.eum_c, u, 0, eid), ORSP_OK, NULL);
	orsp_cert_free(u);
	u = NULL;
	free(der);

	const struct {
		size_t at;
		const char *detail;
	} cases[] = {
	    {validity, "not DER encoded: DER: length"},
	    {aki_kid, "not DER encoded: the value of extension"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		size_t cn = 0;
		long_form_at(tbs, tbs_len, tbs, cases[i].at, copy, &cn);
		assert_true(cn > tbs_len);
		der = sign_tbs(copy, cn, p.eum_key, &n);
		expect(orsp_cert_parse(der, n, &u), ORSP_E_MALFORMED, cases[i].detail);
		assert_null(u);
		free(der);
	}

	/* keyUsage: OID, critical TRUE (01 01 FF), its value */
	static const uint8_t ku_critical[] = {0x06, 0x03, 0x55, 0x1D, 0x0F, 0x01, 0x01, 0xFF};
	uint8_t *flag = NULL;
	for (size_t i = 0; !flag && i + sizeof(ku_critical) <= tbs_len; i++)
		if (memcmp(tbs + i, ku_critical, sizeof(ku_critical)) == 0)
			flag = tbs + i + sizeof(ku_critical) - 1;
	assert_non_null(flag);
	static const uint8_t flags[] = {0x01, 0x00};
	for (size_t i = 0; i < sizeof(flags); i++) {
		*flag = flags[i];
		der = sign_tbs(tbs, tbs_len, p.eum_key, &n);
		expect(orsp_cert_parse(der, n, &u), ORSP_E_MALFORMED,
		       "not DER encoded: the critical flag of extension");
		assert_null(u);
		free(der);
	}
	*flag = 0xFF;
	free(tbs);
	free(cert);
	pki_free(&p);
}

/* ----- what the fast path declines -----
 * The SGP.26 NIST eUICC changed in one TLV of its TBS, or in its signature's encoding, and
 * signed again by the SGP.26 EUM. Each change is one the fast path does not take (it
 * returns ORSP_E_NOT_FOUND, no key); the verdict is then the full path's (orsp_cert_parse,
 * orsp_rsp_verify_euicc_chain), pinned here as OpenSSL gives it: a refusal with its error, or
 * an acceptance of a certificate the fast path leaves alone. */

/* A copy of the TLVs in p[0..len) into out at *n, the TLV whose header starts at offset `at`
 * (counted from base) replaced by the rl bytes of repl (any TLVs), every TLV around it given
 * its new DER length. Descends only into the TLV that holds `at`, as long_form_at does. */
static void splice_at(const uint8_t *p, size_t len, const uint8_t *base, size_t at,
                      const uint8_t *repl, size_t rl, uint8_t *out, size_t *n)
{
	for (size_t off = 0; off < len;) {
		size_t hl, vl, pos = (size_t)(p + off - base);
		tlv_header(p + off, &hl, &vl);
		if (pos == at) {
			memcpy(out + *n, repl, rl);
			*n += rl;
		} else if (at > pos && at < pos + hl + vl) {
			uint8_t inner[2048];
			size_t in = 0;
			splice_at(p + off + hl, vl, base, at, repl, rl, inner, &in);
			put_tlv(out, n, p[off], inner, in);
		} else {
			memcpy(out + *n, p + off, hl + vl);
			*n += hl + vl;
		}
		off += hl + vl;
	}
}

/* The offset of the first occurrence of pat in p[0..len). */
static size_t find_bytes(const uint8_t *p, size_t len, const char *pat, size_t pl)
{
	for (size_t i = 0; i + pl <= len; i++)
		if (memcmp(p + i, pat, pl) == 0)
			return i;
	fail_msg("pattern not found");
	return 0;
}

/* How a fast-path case changes the certificate. */
enum fp_edit {
	FP_REPLACE,   /* the TLV at the pattern becomes `repl` */
	FP_TWICE,     /* the TLV at the pattern appears twice */
	FP_APPEND,    /* NULL (05 00) appended to the value of the TLV at the pattern */
	FP_BYTE0,     /* the first value byte of the TLV at the pattern becomes repl[0] */
	FP_SIGNATURE, /* the TBS unchanged; the signature as `sig` says */
};

/* Signature encodings: ECDSA-Sig-Value ::= SEQUENCE { r INTEGER, s INTEGER } in the BIT
 * STRING of the Certificate. */
enum fp_sig {
	SIG_DER,            /* as signed: the control */
	SIG_R_NON_MINIMAL,  /* 00 || r where r's top bit is clear */
	SIG_S_NON_MINIMAL,  /* s likewise */
	SIG_R_NEGATIVE,     /* r >= 2^255 without its 00 sign octet: a negative INTEGER */
	SIG_R_EMPTY,        /* r with no content octets */
	SIG_R_TOO_LONG,     /* 01 || r in 32 bytes: 33 significant bytes */
	SIG_UNUSED_BITS,    /* the BIT STRING's unused-bits octet 01, the unused bit 0 */
	SIG_UNUSED_BIT_SET, /* ... the unused bit 1 (OpenSSL clears it: not DER) */
	SIG_TRAILING,       /* a 00 after the SEQUENCE inside the BIT STRING */
	SIG_SET,            /* the SEQUENCE tagged as a SET */
	SIG_THREE,          /* a third INTEGER after s */
	SIG_R_ONLY,         /* no s */
	SIG_CERT_TRAILING,  /* NULL after the signature in the Certificate SEQUENCE */
};

/* An INTEGER of r's magnitude mag (ml bytes, big-endian, no leading zero) as DER would
 * write it (a 00 sign octet before a top bit) into out at *n. */
static void put_int(uint8_t *out, size_t *n, const uint8_t *mag, size_t ml)
{
	uint8_t v[34];
	size_t vl = 0;
	if (mag[0] & 0x80)
		v[vl++] = 0;
	memcpy(v + vl, mag, ml);
	put_tlv(out, n, 0x02, v, vl + ml);
}

/* Certificate { tbs, ecdsa-with-SHA256, the signature by key over tbs encoded as `form` }:
 * malloc'ed DER. */
static uint8_t *sign_tbs_as(const uint8_t *tbs, size_t tbs_len, EVP_PKEY *key, enum fp_sig form,
                            size_t *len)
{
	static const uint8_t alg[] = {0x30, 0x0A, 0x06, 0x08, 0x2A, 0x86,
	                              0x48, 0xCE, 0x3D, 0x04, 0x03, 0x02};
	uint8_t r[32], s[32], ints[128], seq[160], bits[170], *body, *der;
	size_t rl, sl, il = 0, ql = 0, bl = 0, n = 0;

	for (;;) {
		uint8_t sig[80];
		const uint8_t *sp = sig;
		size_t siglen = sizeof(sig);
		EVP_MD_CTX *md = EVP_MD_CTX_new();
		ECDSA_SIG *es;
		const BIGNUM *br, *bs;
		assert_non_null(md);
		assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, key), 1);
		assert_int_equal(EVP_DigestSign(md, sig, &siglen, tbs, tbs_len), 1);
		EVP_MD_CTX_free(md);
		es = d2i_ECDSA_SIG(NULL, &sp, (long)siglen);
		assert_non_null(es);
		ECDSA_SIG_get0(es, &br, &bs);
		rl = (size_t)BN_bn2bin(br, r);
		sl = (size_t)BN_bn2bin(bs, s);
		ECDSA_SIG_free(es);
		/* a negative r needs r's top bit set, a non-minimal r or s (00 || 32 bytes) a
		 * top bit clear, so that the value is the signature's and only its encoding
		 * is not DER: signed again until so (1 in 2) */
		if (form == SIG_R_NEGATIVE       ? rl == 32 && (r[0] & 0x80)
		    : form == SIG_R_NON_MINIMAL  ? rl == 32 && !(r[0] & 0x80)
		    : form == SIG_S_NON_MINIMAL  ? sl == 32 && !(s[0] & 0x80)
		    : form == SIG_UNUSED_BITS    ? !(s[sl - 1] & 1)
		    : form == SIG_UNUSED_BIT_SET ? (s[sl - 1] & 1)
		                                 : true)
			break;
	}
	switch (form) {
	case SIG_R_NON_MINIMAL:
	case SIG_S_NON_MINIMAL: {
		uint8_t v[33] = {0};
		memcpy(v + 1, form == SIG_R_NON_MINIMAL ? r : s, 32);
		if (form == SIG_S_NON_MINIMAL)
			put_int(ints, &il, r, rl);
		put_tlv(ints, &il, 0x02, v, sizeof(v));
		if (form == SIG_R_NON_MINIMAL)
			put_int(ints, &il, s, sl);
		break;
	}
	case SIG_R_NEGATIVE:
		put_tlv(ints, &il, 0x02, r, rl);
		put_int(ints, &il, s, sl);
		break;
	case SIG_R_EMPTY:
		put_tlv(ints, &il, 0x02, r, 0);
		put_int(ints, &il, s, sl);
		break;
	case SIG_R_TOO_LONG: {
		uint8_t v[33] = {0x01};
		memcpy(v + 1 + 32 - rl, r, rl);
		put_tlv(ints, &il, 0x02, v, sizeof(v));
		put_int(ints, &il, s, sl);
		break;
	}
	case SIG_R_ONLY:
		put_int(ints, &il, r, rl);
		break;
	default:
		put_int(ints, &il, r, rl);
		put_int(ints, &il, s, sl);
		if (form == SIG_THREE)
			put_int(ints, &il, s, sl);
		break;
	}
	put_tlv(seq, &ql, form == SIG_SET ? 0x31 : 0x30, ints, il);
	bits[bl++] = form == SIG_UNUSED_BITS || form == SIG_UNUSED_BIT_SET ? 0x01 : 0x00;
	memcpy(bits + bl, seq, ql);
	bl += ql;
	if (form == SIG_TRAILING)
		bits[bl++] = 0x00;
	body = malloc(tbs_len + sizeof(alg) + sizeof(bits) + 8);
	der = malloc(tbs_len + sizeof(alg) + sizeof(bits) + 16);
	assert_non_null(body);
	assert_non_null(der);
	memcpy(body, tbs, tbs_len);
	n = tbs_len;
	memcpy(body + n, alg, sizeof(alg));
	n += sizeof(alg);
	put_tlv(body, &n, 0x03, bits, bl);
	if (form == SIG_CERT_TRAILING) {
		body[n++] = 0x05;
		body[n++] = 0x00;
	}
	*len = 0;
	put_tlv(der, len, 0x30, body, n);
	free(body);
	return der;
}

#define FP_BYTES(lit) lit, sizeof(lit) - 1

static void test_fast_path_declines(void **state)
{
	static const struct fp_case {
		const char *what;
		enum fp_edit edit;
		const char *pat; /* where in the TBS: the TLV that starts with these bytes */
		size_t pat_len;
		const char *repl;
		size_t repl_len;
		enum fp_sig sig;
		bool fast_accepts; /* the controls */
		orsp_err full;     /* the full path's verdict */
		const char *word;  /* in its detail */
	} cases[] = {
	    /* controls: the TBS signed again as it is, a notBefore of 29 February in a leap
	     * year */
	    {"unchanged", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_DER, true, ORSP_OK, NULL},
	    {"notBefore 2024-02-29", FP_REPLACE, FP_BYTES("\x17\r200401094858Z"),
	     FP_BYTES("\x17\r240229094858Z"), SIG_DER, true, ORSP_OK, NULL},
	    /* the signature value: int_to_fixed and the ECDSA-Sig-Value around it; OpenSSL
	     * verifies only the DER of a signature in range */
	    {"r non-minimal", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_R_NON_MINIMAL, false,
	     ORSP_E_VERIFY, "eUICC certificate \"Test eUICC\": signature does not verify"},
	    {"s non-minimal", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_S_NON_MINIMAL, false,
	     ORSP_E_VERIFY, "signature does not verify"},
	    {"r negative", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_R_NEGATIVE, false, ORSP_E_VERIFY,
	     "signature does not verify"},
	    {"r empty", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_R_EMPTY, false, ORSP_E_VERIFY,
	     "signature does not verify"},
	    {"r of 33 bytes", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_R_TOO_LONG, false, ORSP_E_VERIFY,
	     "signature does not verify"},
	    {"an unused bit 0", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_UNUSED_BITS, false,
	     ORSP_E_VERIFY, "signature does not verify"},
	    {"an unused bit 1", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_UNUSED_BIT_SET, false,
	     ORSP_E_MALFORMED, "certificate is not DER encoded"},
	    {"byte after the signature", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_TRAILING, false,
	     ORSP_E_VERIFY, "signature does not verify"},
	    {"signature a SET", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_SET, false, ORSP_E_VERIFY,
	     "signature does not verify"},
	    {"three INTEGERs", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_THREE, false, ORSP_E_VERIFY,
	     "signature does not verify"},
	    {"r only", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_R_ONLY, false, ORSP_E_VERIFY,
	     "signature does not verify"},
	    {"element after the signature", FP_SIGNATURE, NULL, 0, NULL, 0, SIG_CERT_TRAILING,
	     false, ORSP_E_MALFORMED, "not a DER X.509 certificate"},
	    /* validity (fast_time; "\x17\r": UTCTime of 13 characters): OpenSSL does not
	     * decode such a time either */
	    {"notBefore not digits", FP_REPLACE, FP_BYTES("\x17\r200401094858Z"),
	     FP_BYTES("\x17\r2A0401094858Z"), SIG_DER, false, ORSP_E_MALFORMED,
	     "validity dates do not decode"},
	    {"notBefore month 13", FP_REPLACE, FP_BYTES("\x17\r200401094858Z"),
	     FP_BYTES("\x17\r201301094858Z"), SIG_DER, false, ORSP_E_MALFORMED,
	     "validity dates do not decode"},
	    {"notBefore hour 24", FP_REPLACE, FP_BYTES("\x17\r200401094858Z"),
	     FP_BYTES("\x17\r200401244858Z"), SIG_DER, false, ORSP_E_MALFORMED,
	     "validity dates do not decode"},
	    {"notBefore 2023-02-29", FP_REPLACE, FP_BYTES("\x17\r200401094858Z"),
	     FP_BYTES("\x17\r230229094858Z"), SIG_DER, false, ORSP_E_MALFORMED,
	     "validity dates do not decode"},
	    /* the subject (fast_string, fast_subject) */
	    {"CN PrintableString with @", FP_REPLACE, FP_BYTES("\x0C\x0ATest eUICC"),
	     FP_BYTES("\x13\x0ATest@eUICC"), SIG_DER, false, ORSP_OK, NULL},
	    {"CN PrintableString with NUL", FP_REPLACE, FP_BYTES("\x0C\x0ATest eUICC"),
	     FP_BYTES("\x13\x0ATest\0eUICC"), SIG_DER, false, ORSP_OK, NULL},
	    {"RDN of two attributes", FP_REPLACE, FP_BYTES("\x30\x11\x06\x03\x55\x04\x03"),
	     FP_BYTES("\x30\x0B\x06\x03\x55\x04\x41\x13\x04Test"
	              "\x30\x11\x06\x03\x55\x04\x03\x0C\x0ATest eUICC"),
	     SIG_DER, false, ORSP_OK, NULL},
	    {"RDN holding a string", FP_REPLACE, FP_BYTES("\x30\x11\x06\x03\x55\x04\x03"),
	     FP_BYTES("\x13\x04Test"), SIG_DER, false, ORSP_E_MALFORMED,
	     "not a DER X.509 certificate"},
	    {"attribute without value", FP_REPLACE, FP_BYTES("\x30\x11\x06\x03\x55\x04\x03"),
	     FP_BYTES("\x30\x05\x06\x03\x55\x04\x03"), SIG_DER, false, ORSP_E_MALFORMED,
	     "not a DER X.509 certificate"},
	    {"attribute with a third element", FP_APPEND, FP_BYTES("\x30\x11\x06\x03\x55\x04\x03"),
	     NULL, 0, SIG_DER, false, ORSP_E_MALFORMED, "not a DER X.509 certificate"},
	    /* subjectKeyIdentifier (fast_extensions) */
	    {"SKI critical", FP_REPLACE, FP_BYTES("\x06\x03\x55\x1D\x0E"),
	     FP_BYTES("\x06\x03\x55\x1D\x0E\x01\x01\xFF"), SIG_DER, false, ORSP_OK, NULL},
	    {"SKI empty", FP_REPLACE, FP_BYTES("\x04\x16\x04\x14"), FP_BYTES("\x04\x02\x04\x00"),
	     SIG_DER, false, ORSP_OK, NULL},
	    {"SKI twice", FP_TWICE, FP_BYTES("\x30\x1D\x06\x03\x55\x1D\x0E"), NULL, 0, SIG_DER,
	     false, ORSP_E_MALFORMED, "an extension twice"},
	    /* subjectPublicKeyInfo (spki_point) */
	    {"element after the key", FP_APPEND, FP_BYTES("\x30\x59\x30\x13"), NULL, 0, SIG_DER,
	     false, ORSP_E_MALFORMED, "not a DER X.509 certificate"},
	    {"key with an unused bit", FP_BYTE0, FP_BYTES("\x03\x42\x00\x04"), FP_BYTES("\x01"),
	     SIG_DER, false, ORSP_E_POLICY, "key is not on P-256 or brainpoolP256r1"},
	    {"key of no octets", FP_REPLACE, FP_BYTES("\x03\x42\x00\x04"), FP_BYTES("\x03\x01\x00"),
	     SIG_DER, false, ORSP_E_POLICY, "key is not on P-256 or brainpoolP256r1"},
	};
	pki p;
	size_t cert_len, tbs_len;
	uint8_t *cert = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &cert_len);
	uint8_t *tbs = tbs_of(cert, &tbs_len);
	(void)state;
	pki_load(&p);

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		const struct fp_case *c = &cases[i];
		uint8_t edited[2048], repl[512], *der;
		size_t el = 0, n, at;
		orsp_cert *u = NULL;
		orsp_ec_key *pub = NULL;
		char eid[33] = "", eid2[33] = "";
		orsp_err fast, full;

		if (c->edit == FP_SIGNATURE) {
			der = sign_tbs_as(tbs, tbs_len, p.eum_key, c->sig, &n);
		} else {
			size_t hl, vl, rl = 0;
			at = find_bytes(tbs, tbs_len, c->pat, c->pat_len);
			tlv_header(tbs + at, &hl, &vl);
			switch (c->edit) {
			case FP_REPLACE:
				memcpy(repl, c->repl, c->repl_len);
				rl = c->repl_len;
				break;
			case FP_TWICE:
				memcpy(repl, tbs + at, hl + vl);
				memcpy(repl + hl + vl, tbs + at, hl + vl);
				rl = 2 * (hl + vl);
				break;
			case FP_APPEND: {
				uint8_t v[256];
				memcpy(v, tbs + at + hl, vl);
				v[vl] = 0x05;
				v[vl + 1] = 0x00;
				put_tlv(repl, &rl, tbs[at], v, vl + 2);
				break;
			}
			case FP_BYTE0:
				memcpy(repl, tbs + at, hl + vl);
				repl[hl] = (uint8_t)c->repl[0];
				rl = hl + vl;
				break;
			default:
				fail();
			}
			splice_at(tbs, tbs_len, tbs, at, repl, rl, edited, &el);
			der = sign_tbs_as(edited, el, p.eum_key, c->sig, &n);
		}
		fast = orsp_rsp_euicc_fast_accept(p.store, p.eum_c, der, n, 0, eid, &pub);
		full = orsp_cert_parse(der, n, &u);
		if (full == ORSP_OK)
			full = orsp_rsp_verify_euicc_chain(p.store, p.eum_c, u, 0, eid2);
		if (fast != (c->fast_accepts ? ORSP_OK : ORSP_E_NOT_FOUND))
			fail_msg("%s: the fast path answers %s", c->what, orsp_err_str(fast));
		if (full != c->full)
			fail_msg("%s: the full path answers %s (%s), want %s", c->what,
			         orsp_err_str(full), orsp_err_detail(), orsp_err_str(c->full));
		if (c->word && !strstr(orsp_err_detail(), c->word))
			fail_msg("%s: detail \"%s\" lacks \"%s\"", c->what, orsp_err_detail(),
			         c->word);
		/* none of these is about the time: the untimed check answers the same, dates
		 * that do not decode too */
		if (u) {
			orsp_err un =
			    orsp_rsp_verify_euicc_chain_untimed(p.store, p.eum_c, u, NULL);
			if (un != c->full || (c->word && !strstr(orsp_err_detail(), c->word)))
				fail_msg("%s: untimed answers %s (%s)", c->what, orsp_err_str(un),
				         orsp_err_detail());
		}
		if (c->fast_accepts) {
			assert_non_null(pub);
			assert_string_equal(eid, eid2);
		} else {
			assert_null(pub);
		}
		if (full == ORSP_OK)
			assert_string_equal(eid2, SGP26_EID);
		orsp_ec_free(pub);
		orsp_cert_free(u);
		free(der);
	}
	free(tbs);
	free(cert);
	pki_free(&p);
}

static void test_unknown_ci(void **state)
{
	pki p;
	(void)state;
	pki_load(&p);
	/* A freshly minted CI, trusted alone; the SGP.26 chain does not lead to it. */
	EVP_PKEY *k = certmint_key_new("prime256v1");
	certmint_spec cs = {0};
	cs.subject = "/C=XX/O=Elsewhere/CN=Other CI";
	cs.policy = P_CI;
	cs.key_usage = "critical,keyCertSign,cRLSign";
	cs.basic_constraints = "critical,CA:TRUE";
	cs.no_aki = true;
	X509 *ci = certmint_issue(&cs, k, NULL, k);
	orsp_cert *cic = certmint_to_orsp(ci);
	orsp_ci_store *s = NULL;
	assert_int_equal(orsp_ci_store_new(&s), ORSP_OK);
	expect(orsp_ci_store_add(s, cic), ORSP_OK, NULL);
	orsp_cert *euicc = load("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der");
	expect(chain_both(s, p.eum_c, euicc, 0, NULL), ORSP_E_POLICY, "unknown CI");
	/* Positive control for the minted CI: an EUM + eUICC under it verify. */
	certmint_spec m = eum_spec();
	EVP_PKEY *ek = certmint_key_new("prime256v1");
	X509 *eum = certmint_issue(&m, ek, ci, k);
	certmint_spec u = euicc_spec(SGP26_EID);
	X509 *uc = certmint_issue(&u, p.euicc_key, eum, ek);
	orsp_cert *ce = certmint_to_orsp(eum), *cu = certmint_to_orsp(uc);
	expect(chain_both(s, ce, cu, 0, NULL), ORSP_OK, NULL);
	expect(chain_both(p.store, ce, cu, 0, NULL), ORSP_E_POLICY, "unknown CI");
	/* A CI whose pathLenConstraint is 0 allows no EUM (a CA) below it. */
	{
		certmint_spec c0 = cs;
		c0.basic_constraints = "critical,CA:TRUE,pathlen:0";
		X509 *ci0 = certmint_issue(&c0, k, NULL, k);
		orsp_cert *ci0c = certmint_to_orsp(ci0);
		orsp_ci_store *s0 = NULL;
		assert_int_equal(orsp_ci_store_new(&s0), ORSP_OK);
		expect(orsp_ci_store_add(s0, ci0c), ORSP_OK, NULL);
		expect(chain_both(s0, ce, cu, 0, NULL), ORSP_E_POLICY,
		       "pathLenConstraint 0 allows no EUM");
		orsp_ci_store_free(s0);
		orsp_cert_free(ci0c);
		X509_free(ci0);
	}
	/* A CI signed with its own key and naming its own key (no AKI, or AKI = SKI) but
	 * another issuer is not self-issued: not taken as a trust anchor. */
	{
		certmint_spec c1 = cs;
		orsp_ci_store *s1 = NULL;
		assert_int_equal(orsp_ci_store_new(&s1), ORSP_OK);
		c1.issuer_name = "/C=XX/O=Elsewhere/CN=Another CI";
		for (int with_aki = 0; with_aki < 2; with_aki++) {
			c1.no_aki = !with_aki;
			X509 *ci1 = certmint_issue(&c1, k, NULL, k);
			orsp_cert *ci1c = certmint_to_orsp(ci1);
			expect(orsp_ci_store_add(s1, ci1c), ORSP_E_POLICY, "not self-issued");
			orsp_cert_free(ci1c);
			X509_free(ci1);
		}
		assert_int_equal(orsp_ci_store_count(s1), 0);
		orsp_ci_store_free(s1);
	}
	/* An EUM without AKI cannot name its CI. */
	m.no_aki = true;
	X509 *eum2 = certmint_issue(&m, ek, ci, k);
	orsp_cert *ce2 = certmint_to_orsp(eum2);
	expect(chain_both(s, ce2, cu, 0, NULL), ORSP_E_POLICY, "authorityKeyIdentifier");
	orsp_cert_free(ce2);
	X509_free(eum2);
	orsp_cert_free(cu);
	orsp_cert_free(ce);
	X509_free(uc);
	X509_free(eum);
	EVP_PKEY_free(ek);
	orsp_cert_free(euicc);
	orsp_ci_store_free(s);
	orsp_cert_free(cic);
	X509_free(ci);
	EVP_PKEY_free(k);
	pki_free(&p);
}

static void test_validity(void **state)
{
	pki p;
	orsp_cert *euicc = load("sgp26/eUICC/CERT_EUICC_ECDSA_BRP.der");
	orsp_cert *eum = load("sgp26/EUM/CERT_EUM_ECDSA_BRP.der");
	(void)state;
	pki_load(&p);
	/* EUM notAfter 2054-03-24; CI notAfter 2055-04-01; all notBefore 2020-04-01. */
	expect(chain_both(p.store, eum, euicc, certmint_time(2054, 6, 1), NULL), ORSP_E_POLICY,
	       "EUM certificate \"EUM Test\": expired");
	expect(chain_both(p.store, eum, euicc, certmint_time(2060, 1, 1), NULL), ORSP_E_POLICY,
	       "CI certificate");
	expect(chain_both(p.store, eum, euicc, certmint_time(2019, 1, 1), NULL), ORSP_E_POLICY,
	       "not valid before");
	expect(chain_both(p.store, eum, euicc, certmint_time(2054, 1, 1), NULL), ORSP_OK, NULL);
	/* A minted eUICC that expired yesterday, and one not valid until 2040. */
	certmint_spec u = euicc_spec(SGP26_EID);
	u.not_after = certmint_time(2024, 12, 31);
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY, "eUICC certificate");
	u.not_after = 0;
	u.not_before = certmint_time(2040, 1, 1);
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY, "not valid before");
	orsp_cert_free(eum);
	orsp_cert_free(euicc);
	pki_free(&p);
}

/* orsp_rsp_verify_euicc_chain_untimed under the SGP.26 EUM for minted eUICC u: its verdict,
 * EID into eid. */
static orsp_err untimed_under_sgp26_eum(pki *p, const certmint_spec *u, char eid[33])
{
	X509 *euicc = certmint_issue(u, p->euicc_key, p->eum, p->eum_key);
	orsp_cert *cu = certmint_to_orsp(euicc);
	orsp_err e = orsp_rsp_verify_euicc_chain_untimed(p->store, p->eum_c, cu, eid);
	orsp_cert_free(cu);
	X509_free(euicc);
	return e;
}

/* A sound eUICC (SGP.26's EID, not valid before 2090) under an EUM minted from m with key ek,
 * issued by ci and signed with signer, verified in store s untimed, or with timed at the
 * current time: the verdict, the EID into eid. */
static orsp_err minted_untimed(pki *p, const orsp_ci_store *s, const certmint_spec *m, EVP_PKEY *ek,
                               X509 *ci, EVP_PKEY *signer, bool timed, char eid[33])
{
	certmint_spec u = euicc_spec(SGP26_EID);
	X509 *mx = certmint_issue(m, ek, ci, signer), *x;
	orsp_cert *mc = certmint_to_orsp(mx), *uc;
	orsp_err e;

	u.not_before = certmint_time(2090, 1, 1);
	x = certmint_issue(&u, p->euicc_key, mx, ek);
	uc = certmint_to_orsp(x);
	e = timed ? orsp_rsp_verify_euicc_chain(s, mc, uc, 0, eid)
	          : orsp_rsp_verify_euicc_chain_untimed(s, mc, uc, eid);
	orsp_cert_free(uc);
	X509_free(x);
	orsp_cert_free(mc);
	X509_free(mx);
	return e;
}

/* The check an eUICC makes of its own identity (it has no trusted clock, SGP.22 §4.5.2.2):
 * CI, EUM and eUICC outside their validity periods pass it, where the timed check refuses
 * them; everything else it refuses as the timed check does (chain_both compares the two on
 * every chain of this file): a bad signature, an EID outside the EUM's range, an unknown CI,
 * also on certificates outside their periods. */
static void test_untimed(void **state)
{
	pki p;
	certmint_spec u, m;
	char eid[33];
	EVP_PKEY *rogue = certmint_key_new("prime256v1"), *ek = certmint_key_new("prime256v1");
	EVP_PKEY *ck = certmint_key_new("prime256v1");
	orsp_cert *sgp26 = load("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der");
	orsp_ci_store *s = NULL;
	X509 *ci, *x;
	orsp_cert *uc;
	(void)state;
	pki_load(&p);

	/* the eUICC expired, and not yet valid */
	u = euicc_spec(SGP26_EID);
	u.not_before = certmint_time(2000, 1, 1);
	u.not_after = certmint_time(2001, 1, 1);
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY,
	       "eUICC certificate \"Test eUICC\": expired");
	expect(untimed_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
	assert_string_equal(eid, SGP26_EID);
	u.not_before = certmint_time(2090, 1, 1);
	u.not_after = certmint_time(2099, 1, 1);
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY, "not valid before");
	expect(untimed_under_sgp26_eum(&p, &u, eid), ORSP_OK, NULL);
	assert_string_equal(eid, SGP26_EID);
	/* ... with its EID outside the EUM's range, or signed by another key than the EUM's */
	u = euicc_spec("89049033123451234512345678901235");
	u.not_after = certmint_time(2001, 1, 1);
	u.not_before = certmint_time(2000, 1, 1);
	expect(untimed_under_sgp26_eum(&p, &u, eid), ORSP_E_POLICY, "outside");
	assert_int_equal(eid[0], '\0');
	u = euicc_spec(SGP26_EID);
	u.not_before = certmint_time(2090, 1, 1);
	x = certmint_issue(&u, p.euicc_key, p.eum, rogue);
	uc = certmint_to_orsp(x);
	expect(orsp_rsp_verify_euicc_chain_untimed(p.store, p.eum_c, uc, eid), ORSP_E_VERIFY,
	       "eUICC certificate \"Test eUICC\": signature does not verify");
	orsp_cert_free(uc);
	X509_free(x);

	/* a CI and an EUM of their own, expired, the eUICC under them not yet valid */
	ci = old_ci(ck, certmint_time(2000, 1, 1), certmint_time(2001, 1, 1), &s);
	m = eum_spec();
	m.not_before = certmint_time(2000, 1, 1);
	m.not_after = certmint_time(2001, 1, 1);
	expect(minted_untimed(&p, s, &m, ek, ci, ck, true, eid), ORSP_E_POLICY,
	       "CI certificate \"Old CI\": expired on 2001-01-01 00:00:00Z");
	expect(minted_untimed(&p, s, &m, ek, ci, ck, false, eid), ORSP_OK, NULL);
	assert_string_equal(eid, SGP26_EID);
	/* ... under a store that does not trust that CI; the EUM signed by another key */
	expect(minted_untimed(&p, p.store, &m, ek, ci, ck, false, eid), ORSP_E_POLICY,
	       "unknown CI");
	assert_int_equal(eid[0], '\0');
	expect(minted_untimed(&p, s, &m, ek, ci, rogue, false, NULL), ORSP_E_VERIFY,
	       "EUM certificate \"Minted EUM\": signature does not verify");
	expect(orsp_rsp_verify_euicc_chain_untimed(NULL, p.eum_c, sgp26, NULL), ORSP_E_USAGE, NULL);
	expect(orsp_rsp_verify_euicc_chain_untimed(s, NULL, sgp26, NULL), ORSP_E_USAGE, NULL);
	expect(orsp_rsp_verify_euicc_chain_untimed(s, p.eum_c, NULL, NULL), ORSP_E_USAGE, NULL);
	orsp_ci_store_free(s);
	X509_free(ci);
	orsp_cert_free(sgp26);
	EVP_PKEY_free(ck);
	EVP_PKEY_free(ek);
	EVP_PKEY_free(rogue);
	pki_free(&p);
}

static void test_wrong_policy_and_usage(void **state)
{
	pki p;
	certmint_spec m, u;
	char eid[33];
	(void)state;
	pki_load(&p);

	/* Control: the minted EUM + eUICC pair verifies (by the fast path too). */
	m = eum_spec();
	u = euicc_spec(SGP26_EID);
	{
		int before = fast_accepts;
		expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
		assert_int_equal(fast_accepts, before + 1);
	}
	assert_string_equal(eid, SGP26_EID);

	m.policy = P_EUICC;
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "expected EUM");
	m.policy = NULL;
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "no RSP role");
	m.policy = P_EUM;
	m.policy2 = P_DPAUTH;
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "several");
	m = eum_spec();
	u.policy = P_DPAUTH;
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "expected eUICC");
	u = euicc_spec(SGP26_EID);
	u.policy = "1.2.3.4";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "no RSP role");

	/* EUM without keyCertSign, without cA, without pathlen 0, without keyUsage. */
	u = euicc_spec(SGP26_EID);
	m.key_usage = "critical,digitalSignature";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "keyCertSign");
	m.key_usage = NULL;
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "keyCertSign");
	m = eum_spec();
	m.basic_constraints = "critical,CA:FALSE";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "cA");
	m.basic_constraints = NULL;
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "cA");
	m.basic_constraints = "critical,CA:TRUE";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "pathLen");
	m.basic_constraints = "critical,CA:TRUE,pathlen:1";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "pathLen");

	/* eUICC without digitalSignature, or marked as a CA. */
	m = eum_spec();
	u.key_usage = "critical,keyAgreement";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "digitalSignature");
	u.key_usage = NULL;
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "digitalSignature");
	u = euicc_spec(SGP26_EID);
	u.basic_constraints = "critical,CA:TRUE";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "CA");
	/* keyCertSign without cA (RFC 5280 §4.2.1.3, §4.2.1.9): with no basicConstraints, and
	 * with cA FALSE */
	u = euicc_spec(SGP26_EID);
	u.key_usage = "critical,digitalSignature,keyCertSign";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "keyCertSign without");
	u.basic_constraints = "critical,CA:FALSE";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "keyCertSign without");
	/* on an EUM (an issuer) it is the missing cA that is refused */
	u = euicc_spec(SGP26_EID);
	m.basic_constraints = "critical,CA:FALSE";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "cA is not set");
	m = eum_spec();

	/* A critical extension nobody processes, on the eUICC and on the EUM; nameConstraints
	 * on an eUICC is not processed either. */
	u = euicc_spec(SGP26_EID);
	u.critical_unknown_oid = "1.3.6.1.4.1.99999.1";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "critical extension");
	u = euicc_spec(SGP26_EID);
	m.critical_unknown_oid = "1.3.6.1.4.1.99999.1";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "critical extension");
	m = eum_spec();
	u.nc_serial = "89049032";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "2.5.29.30");
	/* a critical extendedKeyUsage is evaluated for TLS certificates only: on an EUM or an
	 * eUICC it restricts the certificate to purposes nobody checks, so it is refused */
	u = euicc_spec(SGP26_EID);
	m.ext_key_usage = "critical,emailProtection";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "critical extension 2.5.29.37");
	m = eum_spec();
	u.ext_key_usage = "critical,clientAuth";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "critical extension 2.5.29.37");
	u.ext_key_usage = "clientAuth"; /* not critical: ignored, as before */
	expect(verify_minted(&p, &m, &u, NULL), ORSP_OK, NULL);
	pki_free(&p);
}

/* The fields every RSP certificate shares: X.509 v3, ecdsa-with-SHA256, and an issuer name
 * that is its issuer's subject (the AKI alone matching is not enough). */
static void test_certificate_fields(void **state)
{
	pki p;
	certmint_spec m, u;
	(void)state;
	pki_load(&p);

	/* Controls: the fields spelled out as the defaults are. */
	u = euicc_spec(SGP26_EID);
	u.version = 3;
	u.digest = "SHA256";
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_OK, NULL);
	u.issuer_name = "/C=ES/O=RSP Test EUM/CN=EUM Test";
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_OK, NULL);

	u = euicc_spec(SGP26_EID);
	u.version = 2;
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY, "not an X.509 v3");
	u.version = 1;
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY, "not an X.509 v3");
	u = euicc_spec(SGP26_EID);
	u.digest = "SHA384";
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY, "ecdsa-with-SHA256");
	u = euicc_spec(SGP26_EID);
	u.issuer_name = "/C=ES/O=RSP Test EUM/CN=EUM Other";
	expect(verify_under_sgp26_eum(&p, &u, NULL), ORSP_E_POLICY, "issuer name");
	/* the same on the EUM */
	u = euicc_spec(SGP26_EID);
	m = eum_spec();
	m.digest = "SHA384";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "ecdsa-with-SHA256");
	m = eum_spec();
	m.version = 2;
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "not an X.509 v3");
	m = eum_spec();
	m.issuer_name = "/C=XX/O=Elsewhere/CN=Other CI";
	expect(verify_minted(&p, &m, &u, NULL), ORSP_E_POLICY, "issuer name");

	/* The EID (the subject serialNumber) with a control character (its last digit 01,
	 * still a PrintableString) or a byte above 0x7e (é as a UTF8String): both OpenSSL
	 * reads, the EID is refused as not printable, the eUICC invalid. The SGP.26 eUICC
	 * changed and signed again by the EUM. */
	{
		static const char serial[] = "\x06\x03\x55\x04\x05\x13\x20";
		static const char *const eids[] = {
		    "\x13\x20"
		    "8904903212345123451234567890123\x01",
		    "\x0C\x21"
		    "8904903212345123451234567890123\xC3\xA9",
		};
		size_t cert_len, tbs_len, at, el, n;
		uint8_t *cert =
		    test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &cert_len);
		uint8_t *tbs = tbs_of(cert, &tbs_len), edited[2048], *der;
		at = find_bytes(tbs, tbs_len, serial, sizeof(serial) - 1) + 5;
		for (size_t i = 0; i < ORSP_ARRAY_LEN(eids); i++) {
			orsp_cert *c = NULL;
			orsp_chain_fault f;
			char eid[33] = "x";
			el = 0;
			splice_at(tbs, tbs_len, tbs, at, (const uint8_t *)eids[i],
			          2 + (size_t)(uint8_t)eids[i][1], edited, &el);
			der = sign_tbs(edited, el, p.eum_key, &n);
			expect(orsp_cert_parse(der, n, &c), ORSP_OK, NULL);
			expect(chain_both(p.store, p.eum_c, c, 0, eid), ORSP_E_MALFORMED,
			       "eUICC certificate \"Test eUICC\": subject serialNumber has a "
			       "non-printable character");
			assert_string_equal(eid, "");
			assert_int_equal(
			    orsp_rsp_verify_euicc_chain_fault(p.store, p.eum_c, c, 0, NULL, &f),
			    ORSP_E_MALFORMED);
			assert_int_equal(f.cert, ORSP_CHAIN_CERT_EUICC);
			assert_int_equal(f.why, ORSP_CHAIN_INVALID);
			orsp_cert_free(c);
			free(der);
		}
		free(tbs);
		free(cert);
	}

	/* RFC 5280 §4.2: no extension twice. OpenSSL flags only those it caches (a second SKI),
	 * so a private extension or authorityInfoAccess twice parsed and verified. Once each: a
	 * control. */
	static const char *const twice[] = {"1.3.6.1.4.1.99999.1", "1.3.6.1.5.5.7.1.1"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(twice); i++)
		for (int copies = 1; copies <= 2; copies++) {
			X509 *x;
			ASN1_OBJECT *obj = OBJ_txt2obj(twice[i], 1);
			ASN1_OCTET_STRING *val = ASN1_OCTET_STRING_new();
			orsp_cert *c = NULL;
			uint8_t *der;
			size_t len;

			u = euicc_spec(SGP26_EID);
			x = certmint_issue(&u, p.euicc_key, p.eum, p.eum_key);
			/* a DER value of both types' form: SEQUENCE { NULL } */
			assert_int_equal(ASN1_OCTET_STRING_set(
			                     val, (const unsigned char *)"\x30\x02\x05\x00", 4),
			                 1);
			for (int k = 0; k < copies; k++) {
				X509_EXTENSION *ext =
				    X509_EXTENSION_create_by_OBJ(NULL, obj, 0, val);
				assert_non_null(ext);
				assert_int_equal(X509_add_ext(x, ext, -1), 1);
				X509_EXTENSION_free(ext);
			}
			assert_true(X509_sign(x, p.eum_key, EVP_sha256()) > 0);
			der = certmint_der(x, &len);
			if (copies == 1) {
				expect(orsp_cert_parse(der, len, &c), ORSP_OK, NULL);
				expect(chain_both(p.store, p.eum_c, c, 0, NULL), ORSP_OK, NULL);
			} else {
				expect(orsp_cert_parse(der, len, &c), ORSP_E_MALFORMED,
				       "an extension twice");
				assert_null(c);
			}
			orsp_cert_free(c);
			free(der);
			ASN1_OCTET_STRING_free(val);
			ASN1_OBJECT_free(obj);
			X509_free(x);
		}
	pki_free(&p);
}

/* SGP.22 v3 permittedEins (2.23.146.1.2.2.0) on a minted EUM. */
static void test_permitted_eins(void **state)
{
	pki p;
	certmint_spec m, u;
	char eid[33];
	static const char *const ok_list[] = {"89049099", "89049032", NULL};
	static const char *const wrong_list[] = {"89049099", "8904910", NULL};
	static const char *const exact[] = {SGP26_EID, NULL};
	static const char *const hex_list[] = {"8904903A", NULL};
	static const char *const empty[] = {NULL};
	(void)state;
	pki_load(&p);
	u = euicc_spec(SGP26_EID);

	/* v3 style: permittedEins, no nameConstraints. */
	m = eum_spec();
	m.nc_serial = NULL;
	m.eins = ok_list;
	expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
	assert_string_equal(eid, SGP26_EID);
	m.eins_critical = true;
	expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
	m.eins = exact;
	expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
	m.eins = wrong_list;
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "permittedEins");
	m.eins = empty;
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "permittedEins is empty");
	m.eins = hex_list;
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_MALFORMED, "permittedEins");
	m.eins = ok_list;
	m.eins_bad_type = true;
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_MALFORMED, "permittedEins");

	/* Both ranges present: both must admit the EID. */
	m = eum_spec();
	m.eins = wrong_list;
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "permittedEins");
	m.eins = ok_list;
	expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
	m.nc_serial = "89049033";
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "nameConstraints");

	/* nameConstraints excludedSubtrees: an EID under an excluded prefix is refused even
	 * though a permitted one admits it; one that excludes another prefix is no matter. */
	m = eum_spec();
	m.nc_excluded_serial = "890490321234";
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "excluded");
	m.nc_excluded_serial = "890490329";
	expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);

	/* permittedEins encoded here byte by byte: long-form lengths only where DER needs
	 * them (a SEQUENCE of 13 and of 26 prefixes: 130 and 260 bytes), never for less */
	{
		uint8_t der[300];
		size_t n;
		m = eum_spec();
		m.nc_serial = NULL;
		m.eins_der = der;
		for (size_t count = 13; count <= 26; count += 13) {
			n = count * 10 > 255 ? 4 : 3;
			der[0] = 0x30;
			der[1] = (uint8_t)(0x80 | (n - 2));
			der[n - 1] = (uint8_t)(count * 10);
			if (n == 4)
				der[2] = (uint8_t)(count * 10 >> 8);
			for (size_t i = 0; i < count; i++, n += 10)
				memcpy(der + n,
				       "\x13\x08"
				       "89049032",
				       10);
			m.eins_der_len = n;
			expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
		}
		static const struct {
			uint8_t der[16];
			size_t len;
		} non_minimal[] = {
		    {{0x30, 0x81, 0x0A, 0x13, 0x08, '8', '9', '0', '4', '9', '0', '3', '2'}, 13},
		    {{0x30, 0x82, 0x00, 0x0A, 0x13, 0x08, '8', '9', '0', '4', '9', '0', '3', '2'},
		     14},
		    {{0x30, 0x0B, 0x13, 0x81, 0x08, '8', '9', '0', '4', '9', '0', '3', '2'}, 13},
		    {{0x30, 0x0C, 0x13, 0x82, 0x00, 0x08, '8', '9', '0', '4', '9', '0', '3', '2'},
		     14},
		};
		/* not DER: refused by the parse already, before the EID range is looked at */
		for (size_t i = 0; i < ORSP_ARRAY_LEN(non_minimal); i++) {
			m.eins_der = non_minimal[i].der;
			m.eins_der_len = non_minimal[i].len;
			expect(parse_minted_eum(&p, &m), ORSP_E_MALFORMED,
			       "not DER encoded: the value of extension");
		}
		/* DER, but not a SEQUENCE OF: a lone PrintableString, a SET of one; refused as the
		 * EUM's range, whatever the prefix inside admits */
		static const struct {
			uint8_t der[12];
			size_t len;
		} not_seq[] = {
		    {{0x13, 0x08, '8', '9', '0', '4', '9', '0', '3', '2'}, 10},
		    {{0x31, 0x0A, 0x13, 0x08, '8', '9', '0', '4', '9', '0', '3', '2'}, 12},
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(not_seq); i++) {
			m.eins_der = not_seq[i].der;
			m.eins_der_len = not_seq[i].len;
			expect(verify_minted(&p, &m, &u, eid), ORSP_E_MALFORMED,
			       "\"Minted EUM\": permittedEins is not a DER SEQUENCE OF");
		}
		/* a SEQUENCE with a TLV after it: refused by the parse already (the check of the
		 * range never sees trailing bytes, nor a length of more than 2 octets, which no
		 * certificate of at most 64 KiB holds) */
		static const uint8_t trailing[] = {0x30, 0x0A, 0x13, 0x08, '8', '9',  '0',
		                                   '4',  '9',  '0',  '3',  '2', 0x05, 0x00};
		m.eins_der = trailing;
		m.eins_der_len = sizeof(trailing);
		expect(parse_minted_eum(&p, &m), ORSP_E_MALFORMED, "trailing bytes");
		/* the extension twice, both admitting the EID */
		static const uint8_t one[] = {0x30, 0x0A, 0x13, 0x08, '8', '9',
		                              '0',  '4',  '9',  '0',  '3', '2'};
		m.eins_der = one;
		m.eins_der_len = sizeof(one);
		expect(verify_minted(&p, &m, &u, eid), ORSP_OK, NULL);
		m.eins = ok_list;
		/* refused by the parse already: no extension twice (RFC 5280 §4.2) */
		expect(parse_minted_eum(&p, &m), ORSP_E_MALFORMED, "an extension twice");
	}

	/* Neither: refused. */
	m = eum_spec();
	m.nc_serial = NULL;
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_POLICY, "no EID range");
	/* nameConstraints whose directoryName carries a non-digit serialNumber. */
	m.nc_serial = "8904-032";
	expect(verify_minted(&p, &m, &u, eid), ORSP_E_MALFORMED, "nameConstraints");
	pki_free(&p);
}

/* A sub-CA minted from spec (serial, subject) by issuer (key ikey), for key k. */
static orsp_cert *mint_subca(const certmint_spec *spec, EVP_PKEY *k, X509 *issuer, EVP_PKEY *ikey,
                             X509 **x_out)
{
	X509 *x = certmint_issue(spec, k, issuer, ikey);
	orsp_cert *c = certmint_to_orsp(x);
	if (x_out)
		*x_out = x;
	else
		X509_free(x);
	return c;
}

/* orsp_rsp_verify_server_path: a server certificate under a CI through sub-CAs (SGP.22 v3
 * hierarchies), each sub-CA a CA issued by the one above it, within every pathLenConstraint;
 * and every way a sub-CA can fail that. */
static void test_server_path(void **state)
{
	pki p;
	EVP_PKEY *k = certmint_key_new("prime256v1"), *k1 = certmint_key_new("prime256v1"),
	         *k2 = certmint_key_new("prime256v1");
	certmint_spec ca = {.subject = "/O=ACME/CN=Sub CA 1",
	                    .serial = 11,
	                    .key_usage = "critical,keyCertSign,cRLSign",
	                    .basic_constraints = "critical,CA:TRUE"};
	certmint_spec leaf = {.subject = "/O=ACME/CN=minted.example.com",
	                      .serial = 12,
	                      .policy = "2.23.146.1.2.1.3",
	                      .key_usage = "critical,digitalSignature",
	                      .san = "DNS:minted.example.com"};
	X509 *x1, *x2, *xl;
	orsp_cert *sub1, *sub2, *tls, *bad;
	orsp_ci_store *brp = store_of(brp_ci);
	(void)state;
	pki_load(&p);

	/* CI -> sub1 -> DPtls */
	sub1 = mint_subca(&ca, k1, p.ci, p.ci_key, &x1);
	xl = certmint_issue(&leaf, k, x1, k1);
	tls = certmint_to_orsp(xl);
	X509_free(xl);
	expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){sub1}, 1, tls,
	                                   ORSP_ROLE_DP_TLS, "minted.example.com", 0),
	       ORSP_OK, NULL);
	expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){sub1}, 1, tls,
	                                   ORSP_ROLE_DP_TLS, "other.example.com", 0),
	       ORSP_E_POLICY, "no DNS subjectAltName matches");
	/* a sub-CA with the CI's role policy, or one SGP.22 v2 does not know (v3's): taken */
	for (int i = 0; i < 2; i++) {
		certmint_spec c = ca;
		X509 *xc;
		c.subject = "/O=ACME/CN=Sub CA P";
		c.serial = 15 + i;
		c.policy = i ? "2.23.146.1.2.1.0" : "2.23.146.1.2.1.9";
		orsp_cert *subp = mint_subca(&c, k1, p.ci, p.ci_key, &xc);
		xl = certmint_issue(&leaf, k, xc, k1);
		orsp_cert *tlsp = certmint_to_orsp(xl);
		X509_free(xl);
		expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){subp}, 1,
		                                   tlsp, ORSP_ROLE_DP_TLS, NULL, 0),
		       ORSP_OK, NULL);
		orsp_cert_free(tlsp);
		orsp_cert_free(subp);
		X509_free(xc);
	}
	/* the sub-CA left out: its key is no CI's */
	expect(orsp_rsp_verify_server_path(p.store, NULL, 0, tls, ORSP_ROLE_DP_TLS, NULL, 0),
	       ORSP_E_POLICY, "issued by an unknown CI");
	expect(orsp_rsp_verify_server_cert(p.store, tls, ORSP_ROLE_DP_TLS, NULL, 0), ORSP_E_POLICY,
	       "issued by an unknown CI");
	/* the CI above the sub-CA not trusted */
	expect(orsp_rsp_verify_server_path(brp, (const orsp_cert *const[]){sub1}, 1, tls,
	                                   ORSP_ROLE_DP_TLS, NULL, 0),
	       ORSP_E_POLICY, "sub-CA certificate \"Sub CA 1\": issued by an unknown CI");
	/* another role asked for */
	expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){sub1}, 1, tls,
	                                   ORSP_ROLE_DP_AUTH, NULL, 0),
	       ORSP_E_POLICY, "expected DPauth");
	expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){NULL}, 1, tls,
	                                   ORSP_ROLE_DP_TLS, NULL, 0),
	       ORSP_E_USAGE, NULL);
	expect(orsp_rsp_verify_server_path(p.store, NULL, 1, tls, ORSP_ROLE_DP_TLS, NULL, 0),
	       ORSP_E_USAGE, NULL);
	orsp_cert_free(tls);

	/* CI -> sub1 -> sub2 -> DPtls; in the wrong order refused */
	ca.subject = "/O=ACME/CN=Sub CA 2";
	ca.serial = 13;
	sub2 = mint_subca(&ca, k2, x1, k1, &x2);
	xl = certmint_issue(&leaf, k, x2, k2);
	tls = certmint_to_orsp(xl);
	X509_free(xl);
	expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){sub2, sub1}, 2, tls,
	                                   ORSP_ROLE_DP_TLS, "minted.example.com", 0),
	       ORSP_OK, NULL);
	expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){sub1, sub2}, 2, tls,
	                                   ORSP_ROLE_DP_TLS, NULL, 0),
	       ORSP_E_POLICY, "issued by an unknown CI");
	/* sub1 in place of sub2: the leaf names sub2's key */
	expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){sub1}, 1, tls,
	                                   ORSP_ROLE_DP_TLS, NULL, 0),
	       ORSP_E_POLICY,
	       "authorityKeyIdentifier does not match the sub-CA subjectKeyIdentifier");
	orsp_cert_free(tls);
	orsp_cert_free(sub2);
	X509_free(x2);

	/* the sub-CA above sub2 with pathLenConstraint 0: sub2 is one CA too many */
	{
		certmint_spec c0 = ca;
		X509 *x0;
		c0.subject = "/O=ACME/CN=Sub CA 0";
		c0.serial = 14;
		c0.basic_constraints = "critical,CA:TRUE,pathlen:0";
		orsp_cert *sub0 = mint_subca(&c0, k1, p.ci, p.ci_key, &x0);
		sub2 = mint_subca(&ca, k2, x0, k1, &x2);
		xl = certmint_issue(&leaf, k, x2, k2);
		tls = certmint_to_orsp(xl);
		X509_free(xl);
		expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){sub2, sub0},
		                                   2, tls, ORSP_ROLE_DP_TLS, NULL, 0),
		       ORSP_E_POLICY,
		       "sub-CA certificate \"Sub CA 0\": basicConstraints pathLenConstraint 0 "
		       "allows fewer than the 1 sub-CA(s) below it");
		/* and under it one sub-CA is fine */
		orsp_cert_free(tls);
		xl = certmint_issue(&leaf, k, x0, k1);
		tls = certmint_to_orsp(xl);
		X509_free(xl);
		expect(orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){sub0}, 1,
		                                   tls, ORSP_ROLE_DP_TLS, NULL, 0),
		       ORSP_OK, NULL);
		orsp_cert_free(tls);
		orsp_cert_free(sub2);
		orsp_cert_free(sub0);
		X509_free(x2);
		X509_free(x0);
	}

	/* a sub-CA that is not one: each refused, the leaf under it otherwise right */
	{
		static const struct {
			const char *bc, *ku, *digest, *detail;
			int nb_y, na_y;
			const char *policy;
		} t[] = {
		    {NULL, "critical,keyCertSign,cRLSign", NULL, "basicConstraints cA is not set",
		     0, 0, NULL},
		    {"critical,CA:FALSE", "critical,keyCertSign", NULL,
		     "basicConstraints cA is not set", 0, 0, NULL},
		    {"critical,CA:TRUE", "critical,digitalSignature", NULL,
		     "keyUsage lacks keyCertSign", 0, 0, NULL},
		    {"critical,CA:TRUE", NULL, NULL, "keyUsage lacks keyCertSign", 0, 0, NULL},
		    {"critical,CA:TRUE", "critical,keyCertSign", "SHA384",
		     "signature algorithm is not ecdsa-with-SHA256", 0, 0, NULL},
		    {"critical,CA:TRUE", "critical,keyCertSign", NULL, "expired", 2020, 2021, NULL},
		    /* a CA of another role: an EUM (pathLenConstraint 0 allows the leaf under it)
		     * issues no DPtls certificate (accepted until the session 71 review) */
		    {"critical,CA:TRUE,pathlen:0", "critical,keyCertSign,cRLSign", NULL,
		     "policy is EUM (2.23.146.1.2.1.2): a CA of that role issues no server "
		     "certificate",
		     0, 0, "2.23.146.1.2.1.2"},
		    {"critical,CA:TRUE", "critical,keyCertSign", NULL, "policy is DPauth", 0, 0,
		     "2.23.146.1.2.1.4"},
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
			certmint_spec b = ca;
			b.subject = "/O=ACME/CN=Not a sub-CA";
			b.serial = 20 + (long)i;
			b.basic_constraints = t[i].bc;
			b.key_usage = t[i].ku;
			b.digest = t[i].digest;
			b.policy = t[i].policy;
			b.not_before = t[i].nb_y ? certmint_time(t[i].nb_y, 1, 1) : 0;
			b.not_after = t[i].na_y ? certmint_time(t[i].na_y, 1, 1) : 0;
			bad = mint_subca(&b, k2, p.ci, p.ci_key, &x2);
			xl = certmint_issue(&leaf, k, x2, k2);
			tls = certmint_to_orsp(xl);
			X509_free(xl);
			orsp_err e =
			    orsp_rsp_verify_server_path(p.store, (const orsp_cert *const[]){bad}, 1,
			                                tls, ORSP_ROLE_DP_TLS, NULL, 0);
			if (e != ORSP_E_POLICY ||
			    !strstr(orsp_err_detail(), "sub-CA certificate") ||
			    !strstr(orsp_err_detail(), t[i].detail))
				fail_msg("case %zu: %d %s", i, e, orsp_err_detail());
			orsp_err_clear();
			orsp_cert_free(tls);
			orsp_cert_free(bad);
			X509_free(x2);
		}
	}

	orsp_cert_free(sub1);
	X509_free(x1);
	orsp_ci_store_free(brp);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k1);
	EVP_PKEY_free(k);
	pki_free(&p);
}

static void test_minted_server_certs(void **state)
{
	pki p;
	orsp_cert *c;
	X509 *x;
	EVP_PKEY *k = certmint_key_new("prime256v1");
	certmint_spec s = {0};
	(void)state;
	pki_load(&p);

	s.subject = "/O=ACME/CN=minted.example.com";
	s.policy = "2.23.146.1.2.1.3";
	s.key_usage = "critical,digitalSignature";
	s.san = "DNS:minted.example.com";
	s.ext_key_usage = "critical,serverAuth,clientAuth";
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_TLS, "minted.example.com",
	                     ORSP_OK, NULL);
	/* keyCertSign on an end entity (no cA): refused, for DPtls and DPauth alike */
	s.key_usage = "critical,digitalSignature,keyCertSign";
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_TLS, "minted.example.com",
	                     ORSP_E_POLICY, "keyCertSign without");
	s.policy = P_DPAUTH;
	s.ext_key_usage = NULL;
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_E_POLICY,
	                     "keyCertSign without");
	s.policy = "2.23.146.1.2.1.3";
	s.key_usage = "critical,digitalSignature";
	s.ext_key_usage = "critical,serverAuth,clientAuth";
	/* extendedKeyUsage without serverAuth. */
	s.ext_key_usage = "critical,clientAuth";
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_TLS, NULL, ORSP_E_POLICY,
	                     "serverAuth");
	/* No subjectAltName at all. */
	s.ext_key_usage = NULL;
	s.san = NULL;
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_TLS, "minted.example.com",
	                     ORSP_E_POLICY, "subjectAltName");
	/* One RSP role policy: another policy under id-rspRole (2.23.146.1.2.1) that SGP.22 v2
	 * does not define (a later role, a v3 Variant O arc) makes the role ambiguous, and a
	 * policy listed twice is not a certificatePolicies extension (RFC 5280 §4.2.1.4); a
	 * policy outside id-rspRole is ignored (the control). */
	s.ext_key_usage = NULL;
	s.san = "RID:2.999.10";
	s.policy = P_DPAUTH;
	s.policy2 = "1.3.6.1.4.1.99999.7";
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_OK, NULL);
	s.policy2 = "2.23.146.1.2.1.9";
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_E_POLICY,
	                     "2.23.146.1.2.1.9");
	s.policy2 = "2.23.146.1.2.1.0.0.1.2";
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_E_POLICY,
	                     "2.23.146.1.2.1.0.0.1.2");
	s.policy2 = P_DPAUTH;
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_E_MALFORMED,
	                     "twice");
	s.policy = "2.23.146.1.2.1.9";
	s.policy2 = NULL;
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_E_POLICY,
	                     "2.23.146.1.2.1.9");
	s.policy2 = NULL;
	/* Decided, not an omission (docs/crypto.md): a keyUsage not marked critical and a
	 * missing subjectKeyIdentifier on an end entity are profile departures that change no
	 * check (keyUsage is read either way; a leaf's SKI names nothing), so they pass. */
	s.policy = P_DPAUTH;
	s.key_usage = "digitalSignature";
	s.no_ski = true;
	expect_minted_server(&p, &s, k, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_OK, NULL);
	s.key_usage = "critical,digitalSignature";
	s.no_ski = false;
	/* A DPauth issued by the EUM instead of the CI: its AKI names no CI. */
	s.policy = P_DPAUTH;
	expect_minted_server(&p, &s, k, p.eum, p.eum_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_E_POLICY,
	                     "unknown CI");
	/* A DPauth on an unsupported curve. */
	EVP_PKEY *p384 = certmint_key_new("secp384r1");
	x = certmint_issue(&s, p384, p.ci, p.ci_key);
	c = certmint_to_orsp(x);
	expect(orsp_rsp_verify_server_cert(p.store, c, ORSP_ROLE_DP_AUTH, NULL, 0), ORSP_E_POLICY,
	       "P-256");
	orsp_ec_key *pub = NULL;
	expect(orsp_cert_public_key(c, &pub), ORSP_E_POLICY, NULL);
	assert_null(pub);
	orsp_cert_free(c);
	X509_free(x);
	EVP_PKEY_free(p384);
	EVP_PKEY_free(k);
	pki_free(&p);
}

/* One hierarchy is on one curve: a brainpoolP256r1 key certified by a P-256 issuer (the EUM
 * under the CI, the eUICC under the EUM, a DPauth under the CI) is refused by both paths. */
static void test_curve_mismatch(void **state)
{
	pki p;
	orsp_cert *c;
	X509 *x, *eum;
	EVP_PKEY *bp = certmint_key_new("brainpoolP256r1");
	certmint_spec s = {0}, m = eum_spec(), u = euicc_spec(SGP26_EID);
	char eid[33];
	(void)state;
	pki_load(&p);

	/* A brainpool eUICC under the SGP.26 P-256 EUM (the control is test_eid_range's). */
	x = certmint_issue(&u, bp, p.eum, p.eum_key);
	c = certmint_to_orsp(x);
	expect(chain_both(p.store, p.eum_c, c, 0, eid), ORSP_E_POLICY, "brainpoolP256r1");
	assert_int_equal(eid[0], '\0');
	orsp_cert_free(c);
	X509_free(x);
	/* A brainpool EUM under the P-256 CI, with a brainpool eUICC below it. */
	eum = certmint_issue(&m, bp, p.ci, p.ci_key);
	x = certmint_issue(&u, bp, eum, bp);
	{
		orsp_cert *ce = certmint_to_orsp(eum);
		c = certmint_to_orsp(x);
		expect(chain_both(p.store, ce, c, 0, eid), ORSP_E_POLICY, "EUM certificate");
		orsp_cert_free(ce);
		orsp_cert_free(c);
	}
	X509_free(x);
	X509_free(eum);
	/* A brainpool DPauth under the P-256 CI; the same on P-256 verifies. */
	s.subject = "/O=ACME/CN=TEST SM-DP+";
	s.policy = P_DPAUTH;
	s.key_usage = "critical,digitalSignature";
	expect_minted_server(&p, &s, p.euicc_key, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_OK,
	                     NULL);
	expect_minted_server(&p, &s, bp, p.ci, p.ci_key, ORSP_ROLE_DP_AUTH, NULL, ORSP_E_POLICY,
	                     "brainpoolP256r1");
	EVP_PKEY_free(bp);
	pki_free(&p);
}

/* A P-256 key whose SPKI carries the curve as explicit parameters (a SEQUENCE with p, a, b,
 * G, n) instead of the named-curve OID. OpenSSL 3 still names the group of such a key. */
static EVP_PKEY *explicit_params_key(void)
{
	EVP_PKEY *k = certmint_key_new("prime256v1");
	unsigned char *spki = NULL;
	int n;

	assert_int_equal(EVP_PKEY_set_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING,
	                                                OSSL_PKEY_EC_ENCODING_EXPLICIT),
	                 1);
	static const uint8_t p256_oid[] = {0x06, 0x08, 0x2A, 0x86, 0x48,
	                                   0xCE, 0x3D, 0x03, 0x01, 0x07};

	n = i2d_PUBKEY(k, &spki);
	assert_true(n > 91); /* 91 bytes with the named curve */
	for (size_t i = 0; i + sizeof(p256_oid) <= (size_t)n; i++) /* no named-curve OID */
		assert_memory_not_equal(spki + i, p256_oid, sizeof(p256_oid));
	OPENSSL_free(spki);
	return k;
}

/* Keys with explicit curve parameters are refused everywhere (docs/crypto.md): the full path
 * must not accept a certificate whose key orsp_cert_der_public_key then refuses. */
static void test_explicit_curve_parameters(void **state)
{
	pki p;
	orsp_cert *c;
	orsp_ec_key *pub = NULL;
	X509 *x;
	EVP_PKEY *xk = explicit_params_key();
	certmint_spec s = {0}, u;
	char eid[33];
	(void)state;
	pki_load(&p);

	/* A DPpb certificate under the SGP.26 CI. */
	s.subject = "/O=ACME/CN=minted dppb";
	s.policy = "2.23.146.1.2.1.5";
	s.key_usage = "critical,digitalSignature";
	/* control: named curve */
	expect_minted_server(&p, &s, p.euicc_key, p.ci, p.ci_key, ORSP_ROLE_DP_PB, NULL, ORSP_OK,
	                     NULL);
	x = certmint_issue(&s, xk, p.ci, p.ci_key);
	c = certmint_to_orsp(x);
	expect(orsp_rsp_verify_server_cert(p.store, c, ORSP_ROLE_DP_PB, NULL, 0), ORSP_E_POLICY,
	       "P-256");
	expect(orsp_cert_public_key(c, &pub), ORSP_E_POLICY, NULL);
	assert_null(pub);
	orsp_cert_free(c);
	X509_free(x);

	/* An eUICC certificate under the SGP.26 EUM (the control is test_eid_range's). */
	u = euicc_spec("89049032000000000000000000000017");
	x = certmint_issue(&u, xk, p.eum, p.eum_key);
	c = certmint_to_orsp(x);
	expect(chain_both(p.store, p.eum_c, c, 0, eid), ORSP_E_POLICY, "P-256");
	assert_int_equal(eid[0], '\0');
	{
		orsp_slice d = orsp_cert_der(c);
		expect(orsp_cert_der_public_key(d.p, d.len, &pub), ORSP_E_POLICY, "named curve");
		assert_null(pub);
	}
	orsp_cert_free(c);
	X509_free(x);
	EVP_PKEY_free(xk);
	pki_free(&p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_sgp26_chains),
	    cmocka_unit_test(test_cert_accessors),
	    cmocka_unit_test(test_parse_rejects),
	    cmocka_unit_test(test_server_certs),
	    cmocka_unit_test(test_old_tls_expired),
	    cmocka_unit_test(test_server_negative),
	    cmocka_unit_test(test_production_dpauth),
	    cmocka_unit_test(test_ci_store),
	    cmocka_unit_test(test_eid_range),
	    cmocka_unit_test(test_eid_range_org),
	    cmocka_unit_test(test_chain_fault),
	    cmocka_unit_test(test_bad_signatures),
	    cmocka_unit_test(test_parse_cache),
	    cmocka_unit_test(test_fast_path_accepts),
	    cmocka_unit_test(test_fast_path_resigned),
	    cmocka_unit_test(test_der_public_key),
	    cmocka_unit_test(test_der_public_key_cache_threads),
	    cmocka_unit_test(test_der_public_key_point_forms),
	    cmocka_unit_test(test_der_public_key_follows_full_path),
	    cmocka_unit_test(test_parse_non_der_tbs),
	    cmocka_unit_test(test_fast_path_declines),
	    cmocka_unit_test(test_unknown_ci),
	    cmocka_unit_test(test_validity),
	    cmocka_unit_test(test_untimed),
	    cmocka_unit_test(test_wrong_policy_and_usage),
	    cmocka_unit_test(test_certificate_fields),
	    cmocka_unit_test(test_permitted_eins),
	    cmocka_unit_test(test_minted_server_certs),
	    cmocka_unit_test(test_server_path),
	    cmocka_unit_test(test_explicit_curve_parameters),
	    cmocka_unit_test(test_curve_mismatch),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
