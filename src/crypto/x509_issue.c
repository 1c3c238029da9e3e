/* Certificate issuing for a private GSMA-RSP-style PKI (SGP.22 v2 §4.5.2 profile), and EID
 * check digits (SGP.29, ISO/IEC 7064 MOD 97-10).
 *
 * Every extension is built from OpenSSL's ASN.1 structures, never from configuration-string
 * syntax, so a name, FQDN or OID given by a user cannot inject further extension text. The
 * finished certificate goes back through orsp_cert_parse(), so whatever is issued here also
 * passes the strict reader that x509.c applies to certificates from outside.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "ec_internal.h"

#define EID_LEN 32
#define NAME_MAX_CHARS 64 /* RFC 5280 Appendix A upper bounds (ub-common-name etc.) */
#define OID_TEXT_MAX 128
#define SERIAL_LEN 16
/* 2.23.146.1.2.2.0, SGP.22 v3 permittedEins (the same OID x509.c recognises). */
#define PERMITTED_EINS_OID "2.23.146.1.2.2.0"

static bool all_digits(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* ---------------------------------------------------------------- EIDs --------------- */

/* The 32-digit (or shorter) decimal number modulo 97, digit by digit. */
static unsigned mod97(const char *digits, size_t n)
{
	unsigned r = 0;
	for (size_t i = 0; i < n; i++)
		r = (r * 10 + (unsigned)(digits[i] - '0')) % 97;
	return r;
}

orsp_err orsp_eid_check(const char *eid)
{
	if (!eid)
		return orsp_errf(ORSP_E_USAGE, "orsp_eid_check: NULL argument");
	if (strnlen(eid, EID_LEN + 1) != EID_LEN || !all_digits(eid, EID_LEN))
		return orsp_errf(ORSP_E_MALFORMED, "an EID is 32 decimal digits");
	/* SGP.29 §2.2 / ISO/IEC 7064 MOD 97-10: the whole number is 1 modulo 97. */
	if (mod97(eid, EID_LEN) != 1)
		return orsp_errf(ORSP_E_MALFORMED, "EID check digits are wrong (MOD 97-10)");
	return ORSP_OK;
}

orsp_err orsp_eid_generate(const char *prefix, char out[33])
{
	size_t plen, i;
	unsigned check;
	uint8_t rnd[32];
	orsp_err e = ORSP_OK;

	if (!prefix || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_eid_generate: NULL argument");
	out[0] = '\0';
	plen = strnlen(prefix, EID_LEN + 1);
	if (plen < 1 || plen > EID_LEN - 2 || !all_digits(prefix, plen))
		return orsp_errf(ORSP_E_USAGE, "an EID prefix is 1 to %d decimal digits",
		                 EID_LEN - 2);
	memcpy(out, prefix, plen);
	i = plen;
	/* Uniform digits: bytes 250..255 are rejected, so byte % 10 has no bias. */
	while (i < EID_LEN - 2) {
		e = orsp_random(rnd, sizeof(rnd));
		if (e != ORSP_OK)
			goto out;
		for (size_t j = 0; j < sizeof(rnd) && i < EID_LEN - 2; j++)
			if (rnd[j] < 250)
				out[i++] = (char)('0' + rnd[j] % 10);
	}
	/* ISO/IEC 7064 MOD 97-10: check = 98 - (N * 100 mod 97), so N || check = 1 mod 97. */
	check = 98 - (mod97(out, EID_LEN - 2) * 100) % 97;
	out[EID_LEN - 2] = (char)('0' + check / 10);
	out[EID_LEN - 1] = (char)('0' + check % 10);
	out[EID_LEN] = '\0';
out:
	orsp_wipe(rnd, sizeof(rnd));
	if (e != ORSP_OK)
		out[0] = '\0';
	return e;
}

/* ---------------------------------------------------------------- templates ---------- */

orsp_err orsp_cert_template_init(orsp_cert_template *t, orsp_rsp_role role)
{
	if (!t)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_template_init: NULL argument");
	memset(t, 0, sizeof(*t));
	t->role = role;
	t->path_len = -1;
	t->policy_critical = true;
	/* SGP.22 §4.5.2.1.0.x and the SGP.26 test certificates of each role. */
	switch (role) {
	case ORSP_ROLE_CI:
		t->key_usage = ORSP_KU_KEY_CERT_SIGN | ORSP_KU_CRL_SIGN;
		t->ca = true;
		break;
	case ORSP_ROLE_EUM:
		t->key_usage = ORSP_KU_KEY_CERT_SIGN;
		t->ca = true;
		t->path_len = 0;
		break;
	case ORSP_ROLE_EUICC:
	case ORSP_ROLE_DP_AUTH:
	case ORSP_ROLE_DP_PB:
	case ORSP_ROLE_DS_AUTH:
		t->key_usage = ORSP_KU_DIGITAL_SIGNATURE;
		break;
	case ORSP_ROLE_DP_TLS:
	case ORSP_ROLE_DS_TLS:
		/* SGP.26 TLS certificates: EKU serverAuth+clientAuth (critical), policy not
		 * critical (generic TLS stacks see the certificate too). */
		t->key_usage = ORSP_KU_DIGITAL_SIGNATURE;
		t->ext_key_usage = ORSP_EKU_SERVER_AUTH | ORSP_EKU_CLIENT_AUTH;
		t->ext_key_usage_critical = true;
		t->policy_critical = false;
		break;
	default:
		return orsp_errf(ORSP_E_USAGE, "unknown RSP role %d", (int)role);
	}
	return ORSP_OK;
}

/* Printable ASCII only (x509.c reads names back the same way). */
static bool printable_ascii(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* X.680 PrintableString: letters, digits, space and '()+,-./:=? */
static bool printable_string(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		      strchr(" '()+,-./:=?", c)))
			return false;
	}
	return true;
}

static orsp_err check_name_attr(const char *what, const char *v, bool printable)
{
	size_t n;

	if (!v)
		return ORSP_OK;
	n = strnlen(v, NAME_MAX_CHARS + 1);
	if (n < 1 || n > NAME_MAX_CHARS)
		return orsp_errf(ORSP_E_USAGE, "subject %s must have 1 to %d characters", what,
		                 NAME_MAX_CHARS);
	if (printable ? !printable_string(v, n) : !printable_ascii(v, n))
		return orsp_errf(ORSP_E_USAGE, "subject %s has a character outside %s", what,
		                 printable ? "PrintableString" : "printable ASCII");
	return ORSP_OK;
}

static bool eid_prefix_ok(const char *p)
{
	size_t n;

	if (!p)
		return false;
	n = strnlen(p, EID_LEN + 1);
	return n >= 1 && n <= EID_LEN && all_digits(p, n);
}

/* An FQDN for dNSName (RFC 5280 §4.2.1.6): orsp_fqdn_check's rule, the one the SM-DP+'s
 * fqdn and the LPA's activation codes follow, so a DPtls certificate can be issued for every
 * name they take and for no other. */
bool orsp_cert_dns_name_ok(const char *s)
{
	return s && orsp_fqdn_check(s, strnlen(s, ORSP_FQDN_MAX + 1)) == ORSP_OK;
}

/* A dotted-decimal OID: at least two arcs, no empty arc, no leading zero, the first arc
 * 0, 1 or 2 and under 0 and 1 a second arc below 40 (X.660 §A.2, X.690 §8.19.4), and
 * one OpenSSL converts. */
bool orsp_cert_oid_ok(const char *s)
{
	size_t n, arcs = 0, arc_len = 0;

	if (!s)
		return false;
	n = strnlen(s, OID_TEXT_MAX + 1);
	if (n < 3 || n > OID_TEXT_MAX || s[0] < '0' || s[0] > '2' || s[1] != '.')
		return false;
	for (size_t i = 0; i <= n; i++) {
		char c = s[i];
		if (c == '.' || c == '\0') {
			if (arc_len == 0)
				return false;
			arcs++;
			arc_len = 0;
			continue;
		}
		if (c < '0' || c > '9' || (arc_len == 1 && s[i - 1] == '0'))
			return false;
		arc_len++;
	}
	if (arcs < 2)
		return false;
	/* the second arc: s + 2 up to the next '.' or the end. These are all of
	 * OBJ_txt2obj's rules for a dotted OID (arcs of any size), so it is not asked: its NULL
	 * is also its answer to a failed allocation, which made a good OID a bad one. */
	if (s[0] != '2') {
		size_t len = strcspn(s + 2, ".");
		if (len > 2 || (len == 2 && s[2] >= '4'))
			return false;
	}
	return true;
}

bool orsp_cert_crl_url_ok(const char *s)
{
	size_t n, host;

	if (!s) {
		(void)orsp_errf(ORSP_E_USAGE, "no URL");
		return false;
	}
	n = strnlen(s, ORSP_CERT_URL_MAX + 1);
	if (n > ORSP_CERT_URL_MAX) {
		(void)orsp_errf(ORSP_E_USAGE, "the URL is longer than %d bytes", ORSP_CERT_URL_MAX);
		return false;
	}
	if (strncasecmp(s, "http://", 7) == 0)
		host = 7;
	else if (strncasecmp(s, "https://", 8) == 0)
		host = 8;
	else {
		(void)orsp_errf(ORSP_E_USAGE, "not an http:// or https:// URL");
		return false;
	}
	if (strchr("/?#:", s[host])) { /* also the end: strchr finds the terminator */
		(void)orsp_errf(ORSP_E_USAGE, "the URL names no host");
		return false;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c < 0x21 || c > 0x7e || strchr("\"<>\\^`{|}", c)) {
			(void)orsp_errf(ORSP_E_USAGE,
			                "the URL holds a character a URL cannot (byte %zu: 0x%02x)",
			                i, c);
			return false;
		}
	}
	return true;
}

/* countryName: an ISO 3166 alpha-2 code (RFC 5280 Appendix A, X.520). */
static bool country_ok(const char *c)
{
	return strnlen(c, 3) == 2 && c[0] >= 'A' && c[0] <= 'Z' && c[1] >= 'A' && c[1] <= 'Z';
}

static orsp_err check_template(const orsp_cert_template *t)
{
	orsp_err e;
	size_t n;

	if ((unsigned)t->role > ORSP_ROLE_DS_AUTH)
		return orsp_errf(ORSP_E_USAGE, "unknown RSP role %d", (int)t->role);
	if (!t->country && !t->org && !t->org_unit && !t->serial_number && !t->common_name)
		return orsp_errf(ORSP_E_USAGE, "the subject name is empty");
	if (t->country && !country_ok(t->country))
		return orsp_errf(ORSP_E_USAGE, "subject C must be two capital letters");
	if ((e = check_name_attr("O", t->org, false)) != ORSP_OK ||
	    (e = check_name_attr("OU", t->org_unit, false)) != ORSP_OK ||
	    (e = check_name_attr("serialNumber", t->serial_number, true)) != ORSP_OK ||
	    (e = check_name_attr("CN", t->common_name, false)) != ORSP_OK ||
	    (e = check_name_attr("nameConstraints O", t->nc_org, false)) != ORSP_OK)
		return e;
	if (t->not_before >= t->not_after)
		return orsp_errf(ORSP_E_USAGE, "notBefore must be earlier than notAfter");
	if (t->key_usage == 0 || t->key_usage > ORSP_KU_CRL_SIGN * 2 - 1)
		return orsp_errf(ORSP_E_USAGE, "keyUsage %#x is empty or has unknown bits",
		                 t->key_usage);
	/* RFC 5280 §4.2.1.3: keyCertSign asserted means cA asserted too */
	if ((t->key_usage & ORSP_KU_KEY_CERT_SIGN) && !t->ca)
		return orsp_errf(ORSP_E_USAGE, "keyUsage keyCertSign needs basicConstraints cA");
	if (t->ext_key_usage & ~(ORSP_EKU_SERVER_AUTH | ORSP_EKU_CLIENT_AUTH))
		return orsp_errf(ORSP_E_USAGE, "extendedKeyUsage %#x has unknown bits",
		                 t->ext_key_usage);
	if (t->path_len < -1 || (t->path_len >= 0 && !t->ca))
		return orsp_errf(ORSP_E_USAGE, "pathLenConstraint needs a CA and a value >= 0");
	if (t->nc_org && !t->eid_prefix)
		return orsp_errf(ORSP_E_USAGE, "nameConstraints O given without an EID prefix");
	if (t->eid_prefix && !eid_prefix_ok(t->eid_prefix))
		return orsp_errf(ORSP_E_USAGE, "the EID prefix must be 1 to %d digits", EID_LEN);
	if (t->permitted_eins) {
		for (n = 0; t->permitted_eins[n]; n++)
			if (n == ORSP_CERT_MAX_EINS || !eid_prefix_ok(t->permitted_eins[n]))
				return orsp_errf(ORSP_E_USAGE,
				                 "permittedEins takes 1 to %d prefixes of 1 to %d "
				                 "digits",
				                 ORSP_CERT_MAX_EINS, EID_LEN);
		if (n == 0)
			return orsp_errf(ORSP_E_USAGE, "permittedEins without any prefix");
	}
	if (t->san_dns && !orsp_cert_dns_name_ok(t->san_dns))
		return orsp_errf(ORSP_E_USAGE, "the DNS name is not a valid FQDN: %s",
		                 orsp_err_detail());
	if (t->san_rid && !orsp_cert_oid_ok(t->san_rid))
		return orsp_errf(ORSP_E_USAGE,
		                 "the registeredID is not a valid dotted-decimal OID");
	if (t->crl_urls) {
		for (n = 0; t->crl_urls[n]; n++) {
			if (n == ORSP_CERT_MAX_CRL_URLS)
				return orsp_errf(ORSP_E_USAGE, "at most %d CRL distribution points",
				                 ORSP_CERT_MAX_CRL_URLS);
			if (!orsp_cert_crl_url_ok(t->crl_urls[n]))
				return orsp_errf(ORSP_E_USAGE, "CRL distribution point %zu: %s",
				                 n + 1, orsp_err_detail());
		}
		if (n == 0)
			return orsp_errf(ORSP_E_USAGE, "cRLDistributionPoints without any URL");
	}
	return ORSP_OK;
}

/* ---------------------------------------------------------------- building ----------- */

static orsp_err add_entry(X509_NAME *name, int nid, int type, const char *v)
{
	if (!v)
		return ORSP_OK;
	if (X509_NAME_add_entry_by_NID(name, nid, type, (const unsigned char *)v, -1, -1, 0) != 1)
		return orsp__ossl_fail(ORSP_E_CRYPTO, "building the subject name failed");
	return ORSP_OK;
}

/* The subject in a fixed order; C and serialNumber are PrintableString (X.520), the others
 * UTF8String (RFC 5280 §4.1.2.6), as in the SGP.26 certificates. */
static orsp_err build_subject(const orsp_cert_template *t, X509_NAME **out)
{
	X509_NAME *name = X509_NAME_new();
	orsp_err e;

	*out = NULL;
	if (!name)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	if ((e = add_entry(name, NID_countryName, V_ASN1_PRINTABLESTRING, t->country)) ||
	    (e = add_entry(name, NID_organizationName, V_ASN1_UTF8STRING, t->org)) ||
	    (e = add_entry(name, NID_organizationalUnitName, V_ASN1_UTF8STRING, t->org_unit)) ||
	    (e = add_entry(name, NID_serialNumber, V_ASN1_PRINTABLESTRING, t->serial_number)) ||
	    (e = add_entry(name, NID_commonName, V_ASN1_UTF8STRING, t->common_name))) {
		X509_NAME_free(name);
		return e;
	}
	*out = name;
	return ORSP_OK;
}

/* RFC 5280 §4.1.2.2: a positive serial of at most 20 octets. 16 random octets with the top
 * bits 01 keep the encoding exactly 16 octets and positive (126 random bits). */
static orsp_err set_serial(X509 *x)
{
	uint8_t sn[SERIAL_LEN];
	BIGNUM *bn = NULL;
	orsp_err e;

	e = orsp_random(sn, sizeof(sn));
	if (e != ORSP_OK)
		return e;
	sn[0] = (uint8_t)((sn[0] & 0x3f) | 0x40);
	bn = BN_bin2bn(sn, sizeof(sn), NULL);
	if (!bn || !BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x)))
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "setting the serial number failed");
	BN_free(bn);
	return e;
}

static orsp_err add_key_usage(X509 *x, unsigned bits)
{
	ASN1_BIT_STRING *ku = ASN1_BIT_STRING_new();
	orsp_err e = ORSP_OK;

	if (!ku)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	for (int b = 0; b <= 6; b++)
		if ((bits & (1u << b)) && ASN1_BIT_STRING_set_bit(ku, b, 1) != 1)
			e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	/* RFC 5280 §4.2.1.3: conforming CAs SHOULD mark keyUsage critical; SGP.22 does. */
	if (e == ORSP_OK && X509_add1_ext_i2d(x, NID_key_usage, ku, 1, X509V3_ADD_DEFAULT) != 1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding keyUsage failed");
	ASN1_BIT_STRING_free(ku);
	return e;
}

static orsp_err add_basic_constraints(X509 *x, int path_len)
{
	BASIC_CONSTRAINTS *bc = BASIC_CONSTRAINTS_new();
	orsp_err e = ORSP_OK;

	if (!bc)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	bc->ca = 0xff;
	if (path_len >= 0) {
		bc->pathlen = ASN1_INTEGER_new();
		if (!bc->pathlen || ASN1_INTEGER_set(bc->pathlen, path_len) != 1)
			e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	}
	/* RFC 5280 §4.2.1.9: critical in CA certificates. */
	if (e == ORSP_OK &&
	    X509_add1_ext_i2d(x, NID_basic_constraints, bc, 1, X509V3_ADD_DEFAULT) != 1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding basicConstraints failed");
	BASIC_CONSTRAINTS_free(bc);
	return e;
}

/* SGP.22 §4.5.2.1.0.1: the role is the policy id-rspRole.<role> = 2.23.146.1.2.1.<role>. */
static orsp_err add_policy(X509 *x, orsp_rsp_role role, bool critical)
{
	CERTIFICATEPOLICIES *pols = sk_POLICYINFO_new_null();
	POLICYINFO *pi = NULL;
	char oid[32];
	orsp_err e = ORSP_OK;

	snprintf(oid, sizeof(oid), "2.23.146.1.2.1.%d", (int)role);
	if (!pols || !(pi = POLICYINFO_new())) {
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	ASN1_OBJECT_free(pi->policyid);
	pi->policyid = OBJ_txt2obj(oid, 1);
	if (!pi->policyid || !sk_POLICYINFO_push(pols, pi)) {
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "building certificatePolicies failed");
		goto out;
	}
	pi = NULL;
	if (X509_add1_ext_i2d(x, NID_certificate_policies, pols, critical ? 1 : 0,
	                      X509V3_ADD_DEFAULT) != 1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding certificatePolicies failed");
out:
	POLICYINFO_free(pi);
	sk_POLICYINFO_pop_free(pols, POLICYINFO_free);
	return e;
}

static orsp_err add_ext_key_usage(X509 *x, unsigned bits, bool critical)
{
	EXTENDED_KEY_USAGE *eku;
	orsp_err e = ORSP_OK;

	if (!bits)
		return ORSP_OK;
	eku = sk_ASN1_OBJECT_new_null();
	if (!eku)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	if (((bits & ORSP_EKU_SERVER_AUTH) &&
	     !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_server_auth))) ||
	    ((bits & ORSP_EKU_CLIENT_AUTH) &&
	     !sk_ASN1_OBJECT_push(eku, OBJ_nid2obj(NID_client_auth))))
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	if (e == ORSP_OK &&
	    X509_add1_ext_i2d(x, NID_ext_key_usage, eku, critical ? 1 : 0, X509V3_ADD_DEFAULT) != 1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding extendedKeyUsage failed");
	/* OBJ_nid2obj() objects are static; ASN1_OBJECT_free leaves them alone. */
	sk_ASN1_OBJECT_pop_free(eku, ASN1_OBJECT_free);
	return e;
}

/* A GENERAL_NAME of the given type taking ownership of value (freed on failure). */
static orsp_err push_general_name(GENERAL_NAMES *names, int type, void *value)
{
	GENERAL_NAME *gn = GENERAL_NAME_new();

	if (!gn) {
		if (type == GEN_DNS || type == GEN_URI)
			ASN1_IA5STRING_free(value);
		else if (type == GEN_RID)
			ASN1_OBJECT_free(value);
		else if (type == GEN_DIRNAME)
			X509_NAME_free(value);
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	}
	GENERAL_NAME_set0_value(gn, type, value);
	if (!sk_GENERAL_NAME_push(names, gn)) {
		GENERAL_NAME_free(gn);
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	}
	return ORSP_OK;
}

/* subjectAltName: dNSName = the server FQDN, registeredID = the SM-DP+ OID (SGP.22
 * §4.5.2.1.0.x: servers are identified by their RID, compared as smdpOid). */
static orsp_err add_san(X509 *x, const char *dns, const char *rid)
{
	GENERAL_NAMES *names;
	ASN1_IA5STRING *ia5 = NULL;
	ASN1_OBJECT *obj = NULL;
	orsp_err e = ORSP_OK;

	if (!dns && !rid)
		return ORSP_OK;
	names = sk_GENERAL_NAME_new_null();
	if (!names)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	if (dns) {
		ia5 = ASN1_IA5STRING_new();
		if (!ia5 || ASN1_STRING_set(ia5, dns, (int)strlen(dns)) != 1) {
			ASN1_IA5STRING_free(ia5);
			e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		if ((e = push_general_name(names, GEN_DNS, ia5)) != ORSP_OK)
			goto out;
	}
	if (rid) {
		/* rid passed orsp_cert_oid_ok (check_template): only memory can fail here */
		obj = OBJ_txt2obj(rid, 1);
		if (!obj) {
			e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
			goto out;
		}
		if ((e = push_general_name(names, GEN_RID, obj)) != ORSP_OK)
			goto out;
	}
	if (X509_add1_ext_i2d(x, NID_subject_alt_name, names, 0, X509V3_ADD_DEFAULT) != 1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding subjectAltName failed");
out:
	GENERAL_NAMES_free(names);
	return e;
}

/* cRLDistributionPoints (RFC 5280 §4.2.1.13, not critical): one DistributionPoint per URL,
 * its distributionPoint a fullName with the URL as uniformResourceIdentifier, no reasons, no
 * cRLIssuer: the issuer's complete CRL, as the SGP.26 certificates name their CI's. */
static orsp_err add_crl_dps(X509 *x, const char *const *urls)
{
	CRL_DIST_POINTS *dps = sk_DIST_POINT_new_null();
	orsp_err e = ORSP_OK;

	if (!dps)
		return orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	for (size_t i = 0; urls[i] && e == ORSP_OK; i++) {
		DIST_POINT *dp = DIST_POINT_new();
		ASN1_IA5STRING *ia5 = NULL;

		if (!dp || !sk_DIST_POINT_push(dps, dp)) {
			DIST_POINT_free(dp);
			e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
			break;
		}
		dp->distpoint = DIST_POINT_NAME_new();
		if (!dp->distpoint || !(dp->distpoint->name.fullname = GENERAL_NAMES_new()) ||
		    !(ia5 = ASN1_IA5STRING_new()) ||
		    ASN1_STRING_set(ia5, urls[i], (int)strlen(urls[i])) != 1) {
			ASN1_IA5STRING_free(ia5);
			e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
			break;
		}
		dp->distpoint->type = 0; /* fullName */
		e = push_general_name(dp->distpoint->name.fullname, GEN_URI, ia5);
	}
	if (e == ORSP_OK &&
	    X509_add1_ext_i2d(x, NID_crl_distribution_points, dps, 0, X509V3_ADD_DEFAULT) != 1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding cRLDistributionPoints failed");
	CRL_DIST_POINTS_free(dps);
	return e;
}

/* SGP.22 v2 §4.5.2.1.0.2: the EUM's nameConstraints permit one directoryName subtree
 * "O=<EUM organisation>, serialNumber=<EID prefix>"; RSP verifiers read the serialNumber
 * as "the EID starts with". Critical, as RFC 5280 §4.2.1.10 requires. */
static orsp_err add_name_constraints(X509 *x, const char *org, const char *prefix)
{
	NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
	GENERAL_SUBTREE *st = NULL;
	GENERAL_NAME *gn = NULL;
	X509_NAME *dn = NULL;
	orsp_err e = ORSP_OK;

	if (!nc || !(st = GENERAL_SUBTREE_new()) || !(gn = GENERAL_NAME_new()) ||
	    !(dn = X509_NAME_new()) || !(nc->permittedSubtrees = sk_GENERAL_SUBTREE_new_null())) {
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	if ((e = add_entry(dn, NID_organizationName, V_ASN1_UTF8STRING, org)) != ORSP_OK ||
	    (e = add_entry(dn, NID_serialNumber, V_ASN1_PRINTABLESTRING, prefix)) != ORSP_OK)
		goto out;
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
	dn = NULL;
	GENERAL_NAME_free(st->base);
	st->base = gn;
	gn = NULL;
	if (!sk_GENERAL_SUBTREE_push(nc->permittedSubtrees, st)) {
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	st = NULL;
	if (X509_add1_ext_i2d(x, NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT) != 1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding nameConstraints failed");
out:
	X509_NAME_free(dn);
	GENERAL_NAME_free(gn);
	GENERAL_SUBTREE_free(st);
	NAME_CONSTRAINTS_free(nc);
	return e;
}

/* DER length octets, minimal (X.690 §8.1.3.5); values here stay below 65536. */
static void der_put_len(orsp_writer *w, size_t len)
{
	if (len < 0x80) {
		orsp_write_u8(w, (uint8_t)len);
	} else if (len < 0x100) {
		orsp_write_u8(w, 0x81);
		orsp_write_u8(w, (uint8_t)len);
	} else {
		orsp_write_u8(w, 0x82);
		orsp_write_be16(w, (uint16_t)len);
	}
}

/* SGP.22 v3 permittedEins ::= SEQUENCE OF PrintableString (EID prefixes), not critical so
 * that verifiers without v3 support still accept the EUM (nameConstraints stays). */
static orsp_err add_permitted_eins(X509 *x, const char *const *eins)
{
	uint8_t der[4 + ORSP_CERT_MAX_EINS * (2 + EID_LEN)];
	size_t body = 0, n;
	orsp_writer w;
	ASN1_OCTET_STRING *os = NULL;
	ASN1_OBJECT *oid = NULL;
	X509_EXTENSION *ext = NULL;
	orsp_err e = ORSP_OK;

	for (n = 0; eins[n]; n++)
		body += 2 + strlen(eins[n]);
	orsp_writer_init(&w, der, sizeof(der));
	orsp_write_u8(&w, 0x30);
	der_put_len(&w, body);
	for (size_t i = 0; i < n; i++) {
		orsp_write_u8(&w, 0x13); /* PrintableString */
		orsp_write_u8(&w, (uint8_t)strlen(eins[i]));
		orsp_write_bytes(&w, eins[i], strlen(eins[i]));
	}
	if (orsp_writer_status(&w) != ORSP_OK)
		return orsp_errf(ORSP_E_USAGE, "permittedEins too long");
	os = ASN1_OCTET_STRING_new();
	oid = OBJ_txt2obj(PERMITTED_EINS_OID, 1);
	if (!os || !oid || ASN1_OCTET_STRING_set(os, der, (int)w.len) != 1 ||
	    !(ext = X509_EXTENSION_create_by_OBJ(NULL, oid, 0, os)) ||
	    X509_add_ext(x, ext, -1) != 1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding permittedEins failed");
	X509_EXTENSION_free(ext);
	ASN1_OBJECT_free(oid);
	ASN1_OCTET_STRING_free(os);
	return e;
}

/* RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING value. */
static orsp_err add_ski(X509 *x)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int md_len = 0;
	ASN1_OCTET_STRING *ski = NULL;
	orsp_err e = ORSP_OK;

	if (X509_pubkey_digest(x, EVP_sha1(), md, &md_len) != 1 ||
	    !(ski = ASN1_OCTET_STRING_new()) || ASN1_OCTET_STRING_set(ski, md, (int)md_len) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "computing the subjectKeyIdentifier failed");
		goto out;
	}
	if (X509_add1_ext_i2d(x, NID_subject_key_identifier, ski, 0, X509V3_ADD_DEFAULT) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding subjectKeyIdentifier failed");
		goto out;
	}
out:
	ASN1_OCTET_STRING_free(ski);
	return e;
}

/* authorityKeyIdentifier with keyIdentifier only (as SGP.26; eUICCs select CIs by key id). */
static orsp_err add_aki(X509 *x, const ASN1_OCTET_STRING *issuer_ski)
{
	AUTHORITY_KEYID *akid = AUTHORITY_KEYID_new();
	orsp_err e = ORSP_OK;

	if (!akid || !(akid->keyid = ASN1_OCTET_STRING_dup(issuer_ski)))
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
	else if (X509_add1_ext_i2d(x, NID_authority_key_identifier, akid, 0, X509V3_ADD_DEFAULT) !=
	         1)
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "adding authorityKeyIdentifier failed");
	AUTHORITY_KEYID_free(akid);
	return e;
}

/* The issuer certificate as an OpenSSL X509, with the issuer key checks. */
static orsp_err load_issuer(const orsp_cert *issuer, EVP_PKEY *issuer_pk, bool ca, X509 **out)
{
	orsp_slice der = orsp_cert_der(issuer);
	const unsigned char *p = der.p;
	X509 *ix = d2i_X509(NULL, &p, (long)der.len);
	EVP_PKEY *ipub;

	*out = NULL;
	if (!ix)
		return orsp__ossl_fail(ORSP_E_MALFORMED, "the issuer certificate does not decode");
	ipub = X509_get0_pubkey(ix);
	if (!ipub || EVP_PKEY_eq(ipub, issuer_pk) != 1) {
		X509_free(ix);
		return orsp__ossl_fail(ORSP_E_USAGE, "the issuer key does not belong to the issuer "
		                                     "certificate");
	}
	if (!X509_get0_subject_key_id(ix)) {
		X509_free(ix);
		return orsp__ossl_fail(ORSP_E_USAGE, "the issuer certificate has no "
		                                     "subjectKeyIdentifier");
	}
	/* RFC 5280 §4.2.1.9, §4.2.1.3: only a CA (basicConstraints cA, and keyCertSign when it
	 * has a keyUsage) issues certificates; what it issued otherwise verifies under no
	 * chain. A CA certificate with pathLenConstraint 0 issues end-entity certificates only. */
	if (!(X509_get_extension_flags(ix) & EXFLAG_CA) ||
	    ((X509_get_extension_flags(ix) & EXFLAG_KUSAGE) &&
	     !(X509_get_key_usage(ix) & KU_KEY_CERT_SIGN))) {
		X509_free(ix);
		ERR_clear_error();
		return orsp_errf(ORSP_E_USAGE, "the issuer certificate is not a CA's "
		                               "(basicConstraints cA and keyUsage keyCertSign)");
	}
	if (ca && X509_get_pathlen(ix) == 0) {
		X509_free(ix);
		ERR_clear_error();
		return orsp_errf(ORSP_E_USAGE,
		                 "the issuer certificate's pathLenConstraint is 0: it issues no CA "
		                 "certificate");
	}
	*out = ix;
	return ORSP_OK;
}

orsp_err orsp_cert_issue(const orsp_cert_template *t, const orsp_ec_key *subject_pub,
                         const orsp_ec_key *issuer_key, const orsp_cert *issuer, orsp_cert **out)
{
	EVP_PKEY *spk, *ipk;
	X509 *x = NULL, *ix = NULL;
	X509_NAME *subject = NULL;
	unsigned char *der = NULL;
	int der_len;
	bool priv;
	orsp_err e;

	if (!t || !subject_pub || !issuer_key || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_issue: NULL argument");
	*out = NULL;
	e = check_template(t);
	if (e != ORSP_OK)
		return e;
	spk = orsp__ec_pkey(subject_pub);
	ipk = orsp__ec_pkey(issuer_key);
	/* One RSP hierarchy is on one curve (as the SGP.26 NIST and brainpool sets). */
	if (orsp_ec_curve(subject_pub) != orsp_ec_curve(issuer_key))
		return orsp_errf(ORSP_E_USAGE,
		                 "subject and issuer keys on different curves (%s, %s)",
		                 orsp_curve_name(orsp_ec_curve(subject_pub)),
		                 orsp_curve_name(orsp_ec_curve(issuer_key)));
	if (orsp_ec_in_token(issuer_key))
		return orsp_errf(ORSP_E_USAGE, "the issuer key is in a PKCS#11 token, which only "
		                               "signs: openrsp issues certificates with keys in "
		                               "memory only");
	if ((e = orsp__ec_pkey_has_private(ipk, &priv)))
		return e;
	if (!priv)
		return orsp_errf(ORSP_E_USAGE, "the issuer key has no private part");
	if (issuer) {
		e = load_issuer(issuer, ipk, t->ca, &ix);
		if (e != ORSP_OK)
			return e;
	} else if (EVP_PKEY_eq(spk, ipk) != 1) {
		ERR_clear_error();
		return orsp_errf(ORSP_E_USAGE,
		                 "a self-signed certificate needs the subject's own key");
	}

	e = build_subject(t, &subject);
	if (e != ORSP_OK)
		goto out;
	x = X509_new();
	if (!x) {
		e = orsp__ossl_fail(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	if (X509_set_version(x, X509_VERSION_3) != 1 || X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, ix ? X509_get_subject_name(ix) : subject) != 1 ||
	    X509_set_pubkey(x, spk) != 1) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "building the certificate failed");
		goto out;
	}
	/* RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050 (ASN1_TIME_set). */
	if (!ASN1_TIME_set(X509_getm_notBefore(x), t->not_before) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), t->not_after)) {
		e = orsp__ossl_fail(ORSP_E_USAGE, "validity dates out of range");
		goto out;
	}
	/* a self-signed certificate (the CI) has no authorityKeyIdentifier, as SGP.26's CIs:
	 * SGP.22 gives CERT.CI the subjectKeyIdentifier alone (RFC 5280 §4.2.1.1 lets a
	 * self-signed certificate leave it out); until session 71 it named its own SKI */
	if ((e = set_serial(x)) != ORSP_OK || (e = add_ski(x)) != ORSP_OK ||
	    (ix && (e = add_aki(x, X509_get0_subject_key_id(ix))) != ORSP_OK) ||
	    (e = add_key_usage(x, t->key_usage)) != ORSP_OK ||
	    (e = add_policy(x, t->role, t->policy_critical)) != ORSP_OK ||
	    (t->ca && (e = add_basic_constraints(x, t->path_len)) != ORSP_OK) ||
	    (e = add_ext_key_usage(x, t->ext_key_usage, t->ext_key_usage_critical)) != ORSP_OK ||
	    (e = add_san(x, t->san_dns, t->san_rid)) != ORSP_OK ||
	    (t->eid_prefix && (e = add_name_constraints(x, t->nc_org, t->eid_prefix)) != ORSP_OK) ||
	    (t->permitted_eins && (e = add_permitted_eins(x, t->permitted_eins)) != ORSP_OK) ||
	    (t->crl_urls && (e = add_crl_dps(x, t->crl_urls)) != ORSP_OK))
		goto out;
	/* SGP.22 §4.5.2.1: ecdsa-with-SHA256 throughout. */
	if (X509_sign(x, ipk, EVP_sha256()) <= 0) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "signing the certificate failed");
		goto out;
	}
	der_len = i2d_X509(x, &der);
	if (der_len <= 0) {
		e = orsp__ossl_fail(ORSP_E_CRYPTO, "encoding the certificate failed");
		goto out;
	}
	e = orsp_cert_parse(der, (size_t)der_len, out);
out:
	OPENSSL_free(der);
	X509_NAME_free(subject);
	X509_free(x);
	X509_free(ix);
	return e;
}

/* ---------------------------------------------------------------- saving ------------- */

orsp_err orsp_cert_save(const orsp_cert *c, const char *path)
{
	orsp_slice der;

	if (!c || !path)
		return orsp_errf(ORSP_E_USAGE, "orsp_cert_save: NULL argument");
	der = orsp_cert_der(c);
	return orsp__der_save(der.p, der.len, path, PEM_STRING_X509);
}
