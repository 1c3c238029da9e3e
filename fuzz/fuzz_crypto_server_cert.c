/* libFuzzer target for the checks of server certificates issued by a CI (src/crypto/x509.c):
 * orsp_rsp_verify_server_cert, which an eUICC applies to CERT.DPauth and CERT.DPpb and an
 * LPA and the SM-DP+ to CERT.DPtls, and orsp_cert_rsp_role.
 *
 * The first byte chooses the role (bits 0-2, modulo 5: DPauth, DPpb, DPtls, DSauth, DStls),
 * the FQDN given with it (bits 3-5: none, the SGP.26 TLS name, the same in other case, with a
 * trailing dot, another name, "", a wildcard, a prefix) and the CI that signs (bit 6: the
 * SGP.26 NIST or brainpoolP256r1 Test CI; both are trusted). The rest is tried twice: as a
 * whole certificate, and as the TBSCertificate of one, signed here with the chosen CI's
 * published private key (and, when that parses, signed again: a twin differing only in the
 * signature's random nonce, which must parse too). A change to a signed certificate breaks
 * its CI's signature, so only the second form reaches the checks after the signature; the
 * seed corpus holds the SGP.26 DPauth, DPpb and DPtls certificates and their TBSs, and TBSs
 * made with Python's cryptography under the SGP.26 CIs (DSauth, DStls, a compressed key, a
 * CA, keyCertSign, a P-256 key under the brainpool CI). A fixed verification time
 * (2026-01-01). For each certificate that parses (a refusal of orsp_cert_parse is
 * ORSP_E_MALFORMED):
 *  - a refusal is ORSP_E_VERIFY, ORSP_E_POLICY or ORSP_E_MALFORMED (docs/crypto.md) with a
 *    printable detail, and ORSP_E_VERIFY only when OpenSSL's X509_verify under the CI the
 *    authorityKeyIdentifier names fails;
 *  - an acceptance holds, checked with OpenSSL's own accessors on a certificate decoded
 *    apart: v3, ecdsa-with-SHA256 (outer and TBS), issuer name, AKI and signature of a
 *    trusted CI, the key on that CI's curve as a compressed or uncompressed point, CI and
 *    certificate valid now, exactly one id-rspRole policy (none other under that arc, no
 *    policy twice) and it is the role's, no basicConstraints cA, keyUsage present with
 *    digitalSignature and without keyCertSign, no extension twice, no critical extension but
 *    the processed ones (extendedKeyUsage only for the TLS roles); for DPtls and DStls an
 * extendedKeyUsage, if any, with serverAuth, and a given FQDN equal (ignoring case) to a dNSName;
 * orsp_cert_rsp_role gives the role and orsp_cert_public_key the key;
 *  - at most one server role accepts a certificate; the FQDN changes nothing for the other
 *    roles; for the TLS roles, a certificate accepted without an FQDN is accepted with one
 *    exactly when a dNSName equals it (ignoring case, same length, no NUL);
 *  - the verdict is a function of the bytes: the same after the certificate was verified
 *    under every role (which fills its memos: role, curve, verified signature), after a
 *    second orsp_cert_parse (a hit in the process-wide parse cache), and for the twin warmed
 *    up the same way before its first check under the chosen role.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "openrsp/crypto.h"
#include "sgp26_certs.h"
#include "sgp26_ci.h"
#include "sign_tbs.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define TBS_MAX 4096
#define NOW ((time_t)1767225600) /* 2026-01-01: the SGP.26 DPtls are valid until 2026-08 */
#define NROLES 5
#define NCIS 2

static const orsp_rsp_role roles[NROLES] = {ORSP_ROLE_DP_AUTH, ORSP_ROLE_DP_PB, ORSP_ROLE_DP_TLS,
                                            ORSP_ROLE_DS_AUTH, ORSP_ROLE_DS_TLS};
static const char *const fqdns[8] = {
    NULL,
    "testsmdpplus1.example.com",
    "TestSMDPplus1.EXAMPLE.com",
    "testsmdpplus1.example.com.",
    "testsmdpplus2.example.com",
    "",
    "*.example.com",
    "testsmdpplus1.example.co",
};

static orsp_ci_store *cis;
static X509 *ci_x[NCIS];       /* the CIs as OpenSSL decodes them, for the oracle */
static EVP_PKEY *ci_key[NCIS]; /* their private keys */

static void check(bool ok)
{
	if (!ok)
		abort();
}

static EVP_PKEY *pem_key(const char *pem)
{
	BIO *b = BIO_new_mem_buf(pem, (int)strlen(pem));
	EVP_PKEY *k;

	check(b != NULL);
	k = PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
	BIO_free(b);
	check(k != NULL);
	return k;
}

static void add_ci(size_t i, const unsigned char *der, size_t n, const char *sk)
{
	const unsigned char *p = der;
	orsp_cert *c = NULL;

	check(orsp_cert_parse(der, n, &c) == ORSP_OK && orsp_ci_store_add(cis, c) == ORSP_OK);
	orsp_cert_free(c);
	ci_x[i] = d2i_X509(NULL, &p, (long)n);
	check(ci_x[i] != NULL);
	ci_key[i] = pem_key(sk);
}

static void setup(void)
{
	check(orsp_ci_store_new(&cis) == ORSP_OK);
	add_ci(0, cert_ci_ecdsa_nist, sizeof(cert_ci_ecdsa_nist), sk_ci_ecdsa_nist_pem);
	add_ci(1, cert_ci_ecdsa_brp, sizeof(cert_ci_ecdsa_brp), sk_ci_ecdsa_brp_pem);
}

static bool is_tls(orsp_rsp_role r)
{
	return r == ORSP_ROLE_DP_TLS || r == ORSP_ROLE_DS_TLS;
}

/* ----- the oracle: OpenSSL's accessors on the certificate decoded apart ----- */

/* The trusted CI whose subjectKeyIdentifier the certificate's authorityKeyIdentifier names,
 * or -1. */
static int oracle_ci(X509 *x)
{
	AUTHORITY_KEYID *aki = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	int found = -1;

	for (int i = 0; aki && aki->keyid && i < NCIS && found < 0; i++) {
		ASN1_OCTET_STRING *ski =
		    X509_get_ext_d2i(ci_x[i], NID_subject_key_identifier, NULL, NULL);
		if (ski && ASN1_OCTET_STRING_cmp(ski, aki->keyid) == 0)
			found = i;
		ASN1_OCTET_STRING_free(ski);
	}
	AUTHORITY_KEYID_free(aki);
	return found;
}

/* The id-rspRole policies (2.23.146.1.2.1.r, r < 8) as a bit mask, bit 31 for any other
 * policy under id-rspRole (a role not known, never one role only) and bit 30 for a policy
 * listed twice (RFC 5280 §4.2.1.4); false if the certificatePolicies do not decode. */
static bool oracle_role_mask(X509 *x, unsigned *mask)
{
	static const char arc[] = "2.23.146.1.2.1.";
	CERTIFICATEPOLICIES *pols;
	int crit = -1;

	*mask = 0;
	pols = X509_get_ext_d2i(x, NID_certificate_policies, &crit, NULL);
	if (!pols)
		return crit == -1;
	for (int i = 0; i < sk_POLICYINFO_num(pols); i++) {
		char t[128];
		const POLICYINFO *pi = sk_POLICYINFO_value(pols, i);
		int n = OBJ_obj2txt(t, sizeof(t), pi->policyid, 1);
		if (n == (int)sizeof(arc) && strncmp(t, arc, sizeof(arc) - 1) == 0 &&
		    t[n - 1] >= '0' && t[n - 1] <= '7')
			*mask |= 1u << (t[n - 1] - '0');
		else if (n >= (int)sizeof(arc) && strncmp(t, arc, sizeof(arc) - 1) == 0)
			*mask |= 1u << 31;
		for (int j = 0; j < i; j++)
			if (OBJ_cmp(pi->policyid, sk_POLICYINFO_value(pols, j)->policyid) == 0)
				*mask |= 1u << 30;
	}
	CERTIFICATEPOLICIES_free(pols);
	return true;
}

static bool oracle_critical_ok(X509 *x, bool tls)
{
	for (int i = 0; i < X509_get_ext_count(x); i++) {
		X509_EXTENSION *ext = X509_get_ext(x, i);
		int nid = OBJ_obj2nid(X509_EXTENSION_get_object(ext));
		/* no extension twice (RFC 5280 §4.2) */
		for (int j = i + 1; j < X509_get_ext_count(x); j++)
			if (OBJ_cmp(X509_EXTENSION_get_object(ext),
			            X509_EXTENSION_get_object(X509_get_ext(x, j))) == 0)
				return false;
		if (!X509_EXTENSION_get_critical(ext))
			continue;
		if (nid != NID_key_usage && nid != NID_basic_constraints &&
		    nid != NID_certificate_policies && nid != NID_subject_alt_name &&
		    nid != NID_subject_key_identifier && nid != NID_authority_key_identifier &&
		    !(tls && nid == NID_ext_key_usage))
			return false;
	}
	return true;
}

static bool oracle_key_usage(X509 *x)
{
	BASIC_CONSTRAINTS *bc;
	ASN1_BIT_STRING *ku;
	int crit = -1;
	bool ok;

	bc = X509_get_ext_d2i(x, NID_basic_constraints, &crit, NULL);
	if (!bc && crit != -1)
		return false;
	ok = !bc || !bc->ca;
	BASIC_CONSTRAINTS_free(bc);
	ku = X509_get_ext_d2i(x, NID_key_usage, NULL, NULL);
	ok = ok && ku && ASN1_BIT_STRING_get_bit(ku, 0) && !ASN1_BIT_STRING_get_bit(ku, 5);
	ASN1_BIT_STRING_free(ku);
	return ok;
}

static bool oracle_server_auth(X509 *x)
{
	EXTENDED_KEY_USAGE *eku;
	int crit = -1;
	bool ok = false;

	eku = X509_get_ext_d2i(x, NID_ext_key_usage, &crit, NULL);
	if (!eku)
		return crit == -1;
	for (int i = 0; i < sk_ASN1_OBJECT_num(eku); i++)
		ok = ok || OBJ_obj2nid(sk_ASN1_OBJECT_value(eku, i)) == NID_server_auth;
	EXTENDED_KEY_USAGE_free(eku);
	return ok;
}

/* A dNSName equal to fqdn, ignoring ASCII case (same length, no NUL). */
static bool oracle_dns(X509 *x, const char *fqdn)
{
	GENERAL_NAMES *sans = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	size_t n = strlen(fqdn);
	bool found = false;

	for (int i = 0; i < sk_GENERAL_NAME_num(sans); i++) {
		const GENERAL_NAME *g = sk_GENERAL_NAME_value(sans, i);
		const unsigned char *p;
		if (g->type != GEN_DNS)
			continue;
		p = ASN1_STRING_get0_data(g->d.dNSName);
		if ((size_t)ASN1_STRING_length(g->d.dNSName) == n && n > 0 && !memchr(p, 0, n) &&
		    strncasecmp((const char *)p, fqdn, n) == 0)
			found = true;
	}
	GENERAL_NAMES_free(sans);
	return found;
}

/* The curve name of an EC key, or "". */
static void group_of(EVP_PKEY *k, char out[64])
{
	size_t len;

	out[0] = '\0';
	if (!k || EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    !EVP_PKEY_get_group_name(k, out, 64, &len))
		out[0] = '\0';
}

static bool valid_at(X509 *x, time_t now)
{
	int nb = ASN1_TIME_cmp_time_t(X509_get0_notBefore(x), now);
	int na = ASN1_TIME_cmp_time_t(X509_get0_notAfter(x), now);

	return (nb == -1 || nb == 0) && (na == 0 || na == 1);
}

/* Everything an accepted certificate promises for role and fqdn. */
static void oracle_accepted(X509 *x, orsp_rsp_role role, const char *fqdn)
{
	const X509_ALGOR *outer;
	const ASN1_BIT_STRING *sig;
	const ASN1_BIT_STRING *pt = X509_get0_pubkey_bitstr(x);
	const unsigned char *p = pt ? ASN1_STRING_get0_data(pt) : NULL;
	int pn = pt ? ASN1_STRING_length(pt) : 0;
	int ci = oracle_ci(x);
	char g[64], cg[64];
	unsigned mask;

	check(X509_get_version(x) == X509_VERSION_3);
	X509_get0_signature(&sig, &outer, x);
	check(OBJ_obj2nid(outer->algorithm) == NID_ecdsa_with_SHA256);
	check(X509_ALGOR_cmp(outer, X509_get0_tbs_sigalg(x)) == 0);
	check(ci >= 0);
	check(X509_NAME_cmp(X509_get_issuer_name(x), X509_get_subject_name(ci_x[ci])) == 0);
	check(X509_verify(x, X509_get0_pubkey(ci_x[ci])) == 1);
	group_of(X509_get0_pubkey(x), g);
	group_of(X509_get0_pubkey(ci_x[ci]), cg);
	check(g[0] && strcmp(g, cg) == 0);
	check(p && ((pn == 65 && p[0] == 4) || (pn == 33 && (p[0] == 2 || p[0] == 3))));
	check(valid_at(x, NOW) && valid_at(ci_x[ci], NOW));
	check(oracle_role_mask(x, &mask) && mask == 1u << role);
	check(oracle_key_usage(x));
	check(oracle_critical_ok(x, is_tls(role)));
	if (is_tls(role)) {
		check(oracle_server_auth(x));
		if (fqdn)
			check(oracle_dns(x, fqdn));
	}
	ERR_clear_error();
}

/* ----- the checks under test ----- */

static orsp_err verify(const orsp_cert *c, orsp_rsp_role role, const char *fqdn)
{
	orsp_err e = orsp_rsp_verify_server_cert(cis, c, role, fqdn, NOW);

	check(e == ORSP_OK || e == ORSP_E_VERIFY || e == ORSP_E_POLICY || e == ORSP_E_MALFORMED);
	if (e != ORSP_OK) {
		const char *d = orsp_err_detail();
		check(d[0] != '\0');
		for (; *d; d++)
			check(*d >= 0x20 && *d < 0x7f);
	}
	return e;
}

/* Verify c under every role, with and without fqdn, and read its role: fills its memos. */
static void warm_up(const orsp_cert *c, const char *fqdn)
{
	orsp_rsp_role r;

	for (int i = 0; i < NROLES; i++) {
		(void)verify(c, roles[i], NULL);
		(void)verify(c, roles[i], fqdn);
	}
	(void)orsp_cert_rsp_role(c, &r);
}

/* The last TBS signed, and its two certificates (i = 0, 1: two signatures, two nonces).
 * libFuzzer runs an input again when it allocated more than it freed (as adding new
 * certificates to the parse cache does) before it looks for a leak: the same bytes then hit
 * the cache instead of adding two more, and no leak check is needed. */
static struct {
	EVP_PKEY *key;
	uint8_t tbs[TBS_MAX];
	size_t n, len[2];
	uint8_t der[2][TBS_MAX + 128];
} last;

static const uint8_t *signed_cert(EVP_PKEY *key, const uint8_t *tbs, size_t n, int i, size_t *len)
{
	if (last.key != key || last.n != n || memcmp(last.tbs, tbs, n) != 0) {
		last.key = key;
		last.n = n;
		memcpy(last.tbs, tbs, n);
		last.len[0] = last.len[1] = 0;
	}
	if (!last.len[i])
		last.len[i] = sign_tbs(key, tbs, n, last.der[i]);
	*len = last.len[i];
	return last.der[i];
}

/* der under roles[ri] and fqdn. When key is not NULL, der is tbs signed with it, and the
 * twin (tbs signed again: another nonce, other bytes) is warmed up before its first check. */
static void check_cert(const uint8_t *der, size_t n, const uint8_t *tbs, size_t tbs_len,
                       EVP_PKEY *key, int ri, const char *fqdn)
{
	const orsp_rsp_role role = roles[ri];
	orsp_cert *c = NULL, *c2 = NULL;
	orsp_err pe, v, all[NROLES], rr;
	orsp_rsp_role got = ORSP_ROLE_CI;
	orsp_ec_key *key_out = NULL;
	X509 *x = NULL;
	int accepted = 0;
	bool need_oracle = false;

	pe = orsp_cert_parse(der, n, &c);
	check(pe == ORSP_OK ? c != NULL : c == NULL);
	if (pe != ORSP_OK) {
		check(pe == ORSP_E_MALFORMED);
		return;
	}
	v = verify(c, role, fqdn); /* c is new, unless these bytes came before (signed_cert) */
	if (key) {
		size_t tn;
		const uint8_t *twin = signed_cert(key, tbs, tbs_len, 1, &tn);
		check(orsp_cert_parse(twin, tn, &c2) == ORSP_OK);
		warm_up(c2, fqdn);
		check(verify(c2, role, fqdn) == v);
		orsp_cert_free(c2);
	}
	if (v == ORSP_E_VERIFY) {
		/* the signature is checked before anything that depends on the role */
		check(verify(c, roles[(ri + 1) % NROLES], NULL) == v);
		all[ri] = v;
	} else {
		for (int i = 0; i < NROLES; i++) {
			all[i] = verify(c, roles[i], NULL);
			accepted += all[i] == ORSP_OK;
			need_oracle = need_oracle || all[i] == ORSP_OK;
		}
		check(accepted <= 1);
		if (!is_tls(role))
			check(all[ri] == v);
		else if (v == ORSP_OK)
			check(all[ri] == ORSP_OK);
	}
	check(verify(c, role, fqdn) == v);
	check(orsp_cert_parse(der, n, &c2) == ORSP_OK);
	check(verify(c2, role, fqdn) == v);
	orsp_cert_free(c2);

	rr = orsp_cert_rsp_role(c, &got);
	check(rr == ORSP_OK || rr == ORSP_E_POLICY || rr == ORSP_E_MALFORMED);
	for (int i = 0; i < NROLES && v != ORSP_E_VERIFY; i++)
		if (all[i] == ORSP_OK) {
			check(rr == ORSP_OK && got == roles[i]);
			check(orsp_cert_public_key(c, &key_out) == ORSP_OK && key_out != NULL);
			orsp_ec_free(key_out);
		}

	if (need_oracle || v == ORSP_OK || v == ORSP_E_VERIFY) {
		const unsigned char *p = der;
		x = d2i_X509(NULL, &p, (long)n);
		check(x != NULL);
		for (int i = 0; i < NROLES && v != ORSP_E_VERIFY; i++)
			if (all[i] == ORSP_OK)
				oracle_accepted(x, roles[i], NULL);
		if (v == ORSP_OK)
			oracle_accepted(x, role, fqdn);
		if (v == ORSP_E_VERIFY) {
			int ci = oracle_ci(x);
			check(ci >= 0 && X509_verify(x, X509_get0_pubkey(ci_x[ci])) != 1);
		}
		/* the FQDN rule is exactly the documented one */
		if (is_tls(role) && fqdn && all[ri] == ORSP_OK)
			check((v == ORSP_OK) == oracle_dns(x, fqdn));
		X509_free(x);
	}
	orsp_cert_free(c);
	ERR_clear_error();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int ri;
	const char *fqdn;
	EVP_PKEY *key;

	if (!cis)
		setup();
	if (size < 2)
		return 0;
	ri = (data[0] & 7) % NROLES;
	fqdn = fqdns[(data[0] >> 3) & 7];
	key = ci_key[(data[0] >> 6) & 1];
	data++;
	size--;
	check_cert(data, size, NULL, 0, NULL, ri, fqdn);
	/* only a SEQUENCE can be a TBSCertificate: not worth a signature otherwise */
	if (size <= TBS_MAX && data[0] == 0x30) {
		size_t n;
		const uint8_t *cert = signed_cert(key, data, size, 0, &n);
		check_cert(cert, n, data, size, key, ri, fqdn);
	}
	orsp_err_clear();
	return 0;
}
