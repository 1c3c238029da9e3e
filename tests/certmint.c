#include "certmint.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "testutil.h"

static void fail_ossl(const char *what)
{
	char buf[256];
	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	fail_msg("certmint: %s failed: %s", what, buf);
}

time_t certmint_time(int y, int m, int d)
{
	struct tm tm = {0};
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	return timegm(&tm);
}

EVP_PKEY *certmint_key_new(const char *group)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "EC", group);
	if (!pk)
		fail_ossl("EC key generation");
	return pk;
}

EVP_PKEY *certmint_key_load(const char *rel)
{
	size_t len;
	uint8_t *pem = test_read_vector(rel, &len);
	BIO *bio = BIO_new_mem_buf(pem, (int)len);
	EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL) : NULL;
	BIO_free(bio);
	free(pem);
	if (!pk)
		fail_ossl(rel);
	return pk;
}

X509 *certmint_cert_load(const char *rel)
{
	size_t len;
	uint8_t *der = test_read_vector(rel, &len);
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);
	free(der);
	if (!x)
		fail_ossl(rel);
	return x;
}

/* The n bytes OpenSSL encoded into der (what: the i2d function, for a failure) as a
 * malloc'ed copy; der freed. */
static uint8_t *der_copy(unsigned char *der, int n, const char *what, size_t *len)
{
	uint8_t *copy;
	if (n <= 0)
		fail_ossl(what);
	copy = malloc((size_t)n);
	assert_non_null(copy);
	memcpy(copy, der, (size_t)n);
	OPENSSL_free(der);
	*len = (size_t)n;
	return copy;
}

uint8_t *certmint_der(X509 *x, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(x, &der);
	return der_copy(der, n, "i2d_X509", len);
}

orsp_cert *certmint_to_orsp(X509 *x)
{
	size_t len;
	uint8_t *der = certmint_der(x, &len);
	orsp_cert *c = NULL;
	orsp_err e = orsp_cert_parse(der, len, &c);
	free(der);
	if (e != ORSP_OK)
		fail_msg("orsp_cert_parse of a minted certificate: %s", orsp_err_detail());
	return c;
}

/* "/K=V/K=V" into an X509_NAME. */
static X509_NAME *parse_name(const char *text)
{
	X509_NAME *name = X509_NAME_new();
	char *copy = strdup(text), *save = NULL;
	assert_non_null(name);
	assert_non_null(copy);
	for (char *tok = strtok_r(copy, "/", &save); tok; tok = strtok_r(NULL, "/", &save)) {
		char *eq = strchr(tok, '='), *hash;
		int type = MBSTRING_ASC;
		assert_non_null(eq);
		*eq = '\0';
		/* "x500UniqueIdentifier#bits=..." : the value as a BIT STRING, no directory string
		 */
		if ((hash = strchr(tok, '#')) != NULL && strcmp(hash, "#bits") == 0) {
			*hash = '\0';
			type = V_ASN1_BIT_STRING;
		}
		if (X509_NAME_add_entry_by_txt(name, tok, type, (const unsigned char *)eq + 1, -1,
		                               -1, 0) != 1)
			fail_ossl("X509_NAME_add_entry_by_txt");
	}
	free(copy);
	return name;
}

static void add_conf_ext(X509 *x, X509V3_CTX *ctx, int nid, const char *value)
{
	X509_EXTENSION *ext = X509V3_EXT_nconf_nid(NULL, ctx, nid, value);
	if (!ext || X509_add_ext(x, ext, -1) != 1)
		fail_ossl(value);
	X509_EXTENSION_free(ext);
}

static void add_raw_ext(X509 *x, const char *oid, int critical, const uint8_t *der, size_t len)
{
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	if (!obj || !os || ASN1_OCTET_STRING_set(os, der, (int)len) != 1)
		fail_ossl("raw extension");
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, os);
	if (!ext || X509_add_ext(x, ext, -1) != 1)
		fail_ossl("X509_add_ext");
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

static void add_policies(X509 *x, const char *p1, const char *p2)
{
	CERTIFICATEPOLICIES *pols = CERTIFICATEPOLICIES_new();
	const char *oids[2] = {p1, p2};
	for (int i = 0; i < 2; i++) {
		POLICYINFO *pi;
		if (!oids[i])
			continue;
		pi = POLICYINFO_new();
		ASN1_OBJECT_free(pi->policyid);
		pi->policyid = OBJ_txt2obj(oids[i], 1);
		if (!pi->policyid || !sk_POLICYINFO_push(pols, pi))
			fail_ossl("policy");
	}
	if (X509_add1_ext_i2d(x, NID_certificate_policies, pols, 1, X509V3_ADD_DEFAULT) != 1)
		fail_ossl("certificatePolicies");
	CERTIFICATEPOLICIES_free(pols);
}

/* Subtrees of one directoryName "O=org, serialNumber=serial" (serial NULL: "O=org"). */
static STACK_OF(GENERAL_SUBTREE) * dirname_subtrees(const char *org, const char *serial)
{
	STACK_OF(GENERAL_SUBTREE) *sts = sk_GENERAL_SUBTREE_new_null();
	GENERAL_SUBTREE *st = GENERAL_SUBTREE_new();
	GENERAL_NAME *gn = GENERAL_NAME_new();
	X509_NAME *dn = X509_NAME_new();
	assert_true(sts && st && gn && dn);
	if (org)
		X509_NAME_add_entry_by_txt(dn, "O", MBSTRING_ASC, (const unsigned char *)org, -1,
		                           -1, 0);
	if (serial)
		X509_NAME_add_entry_by_txt(dn, "serialNumber", MBSTRING_ASC,
		                           (const unsigned char *)serial, -1, -1, 0);
	GENERAL_NAME_set0_value(gn, GEN_DIRNAME, dn);
	GENERAL_NAME_free(st->base);
	st->base = gn;
	assert_true(sk_GENERAL_SUBTREE_push(sts, st) > 0);
	return sts;
}

static void add_name_constraints(X509 *x, const certmint_spec *s)
{
	NAME_CONSTRAINTS *nc = NAME_CONSTRAINTS_new();
	const char *excluded_org = s->nc_excluded_org ? s->nc_excluded_org : s->nc_org;
	assert_non_null(nc);
	nc->permittedSubtrees = dirname_subtrees(s->nc_org, s->nc_no_serial ? NULL : s->nc_serial);
	if (s->nc_excluded_serial || s->nc_excluded_no_serial)
		nc->excludedSubtrees = dirname_subtrees(
		    excluded_org, s->nc_excluded_no_serial ? NULL : s->nc_excluded_serial);
	if (s->nc_excluded_dns) {
		GENERAL_SUBTREE *st = GENERAL_SUBTREE_new();
		ASN1_IA5STRING *dns = ASN1_IA5STRING_new();
		assert_true(st && dns);
		assert_int_equal(ASN1_STRING_set(dns, s->nc_excluded_dns, -1), 1);
		GENERAL_NAME_set0_value(st->base, GEN_DNS, dns);
		if (!nc->excludedSubtrees)
			nc->excludedSubtrees = sk_GENERAL_SUBTREE_new_null();
		assert_true(nc->excludedSubtrees &&
		            sk_GENERAL_SUBTREE_push(nc->excludedSubtrees, st) > 0);
	}
	if (X509_add1_ext_i2d(x, NID_name_constraints, nc, 1, X509V3_ADD_DEFAULT) != 1)
		fail_ossl("nameConstraints");
	NAME_CONSTRAINTS_free(nc);
}

/* SEQUENCE OF PrintableString written byte by byte (short lengths only; test data). */
static void add_permitted_eins(X509 *x, const char *const *eins, bool critical, bool bad_type)
{
	uint8_t der[512];
	size_t len = 2;
	for (size_t i = 0; eins[i]; i++) {
		size_t n = strlen(eins[i]);
		assert_true(n < 128 && len + 2 + n < sizeof(der));
		der[len++] = bad_type ? 0x0C : 0x13;
		der[len++] = (uint8_t)n;
		memcpy(der + len, eins[i], n);
		len += n;
	}
	assert_true(len - 2 < 128);
	der[0] = 0x30;
	der[1] = (uint8_t)(len - 2);
	add_raw_ext(x, "2.23.146.1.2.2.0", critical, der, len);
}

X509 *certmint_issue(const certmint_spec *s, EVP_PKEY *subject_key, X509 *issuer,
                     EVP_PKEY *issuer_key)
{
	X509 *x = X509_new();
	X509_NAME *subject = parse_name(s->subject);
	X509_NAME *iname = s->issuer_name ? parse_name(s->issuer_name) : NULL;
	const EVP_MD *md = s->digest ? EVP_get_digestbyname(s->digest) : EVP_sha256();
	X509V3_CTX ctx;
	time_t nb = s->not_before ? s->not_before : certmint_time(2020, 1, 1);
	time_t na = s->not_after ? s->not_after : certmint_time(2050, 1, 1);

	assert_non_null(x);
	assert_non_null(md);
	assert_true(s->version >= 0 && s->version <= 3);
	if (X509_set_version(x, s->version ? s->version - 1 : X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), s->serial ? s->serial : 1) != 1 ||
	    X509_set_subject_name(x, subject) != 1 ||
	    X509_set_issuer_name(x, iname    ? iname
	                            : issuer ? X509_get_subject_name(issuer)
	                                     : subject) != 1 ||
	    !ASN1_TIME_set(X509_getm_notBefore(x), nb) ||
	    !ASN1_TIME_set(X509_getm_notAfter(x), na) || X509_set_pubkey(x, subject_key) != 1)
		fail_ossl("certificate fields");
	X509_NAME_free(subject);
	X509_NAME_free(iname);

	X509V3_set_ctx(&ctx, issuer ? issuer : x, x, NULL, NULL, 0);
	if (!s->no_ski)
		add_conf_ext(x, &ctx, NID_subject_key_identifier, "hash");
	if (!s->no_aki)
		add_conf_ext(x, &ctx, NID_authority_key_identifier, "keyid:always");
	if (s->key_usage)
		add_conf_ext(x, &ctx, NID_key_usage, s->key_usage);
	if (s->basic_constraints)
		add_conf_ext(x, &ctx, NID_basic_constraints, s->basic_constraints);
	if (s->policy)
		add_policies(x, s->policy, s->policy2);
	if (s->san)
		add_conf_ext(x, &ctx, NID_subject_alt_name, s->san);
	if (s->ext_key_usage)
		add_conf_ext(x, &ctx, NID_ext_key_usage, s->ext_key_usage);
	if (s->nc_serial)
		add_name_constraints(x, s);
	if (s->eins)
		add_permitted_eins(x, s->eins, s->eins_critical, s->eins_bad_type);
	if (s->eins_der)
		add_raw_ext(x, "2.23.146.1.2.2.0", s->eins_critical, s->eins_der, s->eins_der_len);
	if (s->critical_unknown_oid) {
		static const uint8_t null_der[] = {0x05, 0x00};
		add_raw_ext(x, s->critical_unknown_oid, 1, null_der, sizeof(null_der));
	}
	if (X509_sign(x, issuer_key, md) <= 0)
		fail_ossl("X509_sign");
	return x;
}

X509 *certmint_redate(const char *rel, time_t not_before, time_t not_after, EVP_PKEY *key)
{
	X509 *x = certmint_cert_load(rel);

	if ((not_before && !ASN1_TIME_set(X509_getm_notBefore(x), not_before)) ||
	    (not_after && !ASN1_TIME_set(X509_getm_notAfter(x), not_after)))
		fail_ossl("validity dates");
	if (X509_sign(x, key, EVP_sha256()) <= 0)
		fail_ossl("X509_sign");
	return x;
}

/* An extension oid with the value der (n bytes; NULL: the DER of NULL), on a CRL (c) or on a
 * CRL entry (r). */
static void add_crl_raw_ext(X509_CRL *c, X509_REVOKED *r, const char *oid, int critical,
                            const uint8_t *der, size_t n)
{
	static const uint8_t null_der[] = {0x05, 0x00};
	ASN1_OBJECT *obj = OBJ_txt2obj(oid, 1);
	ASN1_OCTET_STRING *os = ASN1_OCTET_STRING_new();
	X509_EXTENSION *ext = NULL;
	if (!der) {
		der = null_der;
		n = sizeof(null_der);
	}
	if (!obj || !os || ASN1_OCTET_STRING_set(os, der, (int)n) != 1)
		fail_ossl("raw CRL extension");
	ext = X509_EXTENSION_create_by_OBJ(NULL, obj, critical, os);
	if (!ext || (c ? X509_CRL_add_ext(c, ext, -1) : X509_REVOKED_add_ext(r, ext, -1)) != 1)
		fail_ossl("X509_CRL_add_ext");
	X509_EXTENSION_free(ext);
	ASN1_OCTET_STRING_free(os);
	ASN1_OBJECT_free(obj);
}

X509_CRL *certmint_crl(const certmint_crl_spec *s, X509 *issuer, EVP_PKEY *key)
{
	X509_CRL *c = X509_CRL_new();
	X509_NAME *iname = s->issuer_name ? parse_name(s->issuer_name) : NULL;
	const EVP_MD *md = s->digest ? EVP_get_digestbyname(s->digest) : EVP_sha256();
	ASN1_TIME *t1 =
	    ASN1_TIME_set(NULL, s->this_update ? s->this_update : certmint_time(2020, 1, 1));
	ASN1_TIME *t2 =
	    ASN1_TIME_set(NULL, s->next_update ? s->next_update : certmint_time(2050, 1, 1));
	X509V3_CTX ctx;

	assert_non_null(c);
	assert_non_null(md);
	if (X509_CRL_set_version(c, s->v1 ? X509_CRL_VERSION_1 : X509_CRL_VERSION_2) != 1 ||
	    X509_CRL_set_issuer_name(c, iname ? iname : X509_get_subject_name(issuer)) != 1 ||
	    X509_CRL_set1_lastUpdate(c, t1) != 1 ||
	    (!s->no_next_update && X509_CRL_set1_nextUpdate(c, t2) != 1))
		fail_ossl("CRL fields");
	X509_NAME_free(iname);
	for (size_t i = 0; i < s->n; i++) {
		X509_REVOKED *r = X509_REVOKED_new();
		BIGNUM *bn = NULL;
		ASN1_INTEGER *sn = NULL;
		if (!BN_hex2bn(&bn, s->serials[i]) || !(sn = BN_to_ASN1_INTEGER(bn, NULL)))
			fail_ossl("CRL entry serial");
		BN_free(bn);
		if (!r || X509_REVOKED_set_serialNumber(r, sn) != 1 ||
		    X509_REVOKED_set_serialNumber(r, sn) != 1 ||
		    X509_REVOKED_set_revocationDate(r, t1) != 1)
			fail_ossl("CRL entry");
		if (s->reason) {
			ASN1_ENUMERATED *en = ASN1_ENUMERATED_new();
			if (!en || ASN1_ENUMERATED_set(en, s->reason) != 1 ||
			    X509_REVOKED_add1_ext_i2d(r, NID_crl_reason, en, 0, 0) != 1)
				fail_ossl("reasonCode");
			ASN1_ENUMERATED_free(en);
		}
		if (s->entry_critical)
			add_crl_raw_ext(NULL, r, "1.3.6.1.4.1.99999.2", 1, NULL, 0);
		if (s->entry_ext_oid)
			add_crl_raw_ext(NULL, r, s->entry_ext_oid, 0, s->entry_ext_der,
			                s->entry_ext_len);
		if (X509_CRL_add0_revoked(c, r) != 1)
			fail_ossl("X509_CRL_add0_revoked");
		ASN1_INTEGER_free(sn);
	}
	X509V3_set_ctx(&ctx, issuer, NULL, NULL, c, 0);
	if (!s->no_aki && X509_get0_subject_key_id(issuer)) {
		X509_EXTENSION *ext =
		    X509V3_EXT_nconf_nid(NULL, &ctx, NID_authority_key_identifier, "keyid:always");
		if (!ext || X509_CRL_add_ext(c, ext, -1) != 1)
			fail_ossl("CRL authorityKeyIdentifier");
		X509_EXTENSION_free(ext);
	} else if (!s->no_aki) {
		/* an issuer without a subjectKeyIdentifier: the key identifier of RFC 5280
		 * §4.2.1.2 method 1 (SHA-1 of its subjectPublicKey), which OpenSSL takes only from
		 * the issuer's extension */
		unsigned char kid[EVP_MAX_MD_SIZE];
		unsigned int md_len = 0;
		AUTHORITY_KEYID *ak = AUTHORITY_KEYID_new();
		if (!ak || X509_pubkey_digest(issuer, EVP_sha1(), kid, &md_len) != 1 ||
		    !(ak->keyid = ASN1_OCTET_STRING_new()) ||
		    ASN1_OCTET_STRING_set(ak->keyid, kid, (int)md_len) != 1 ||
		    X509_CRL_add1_ext_i2d(c, NID_authority_key_identifier, ak, 0, 0) != 1)
			fail_ossl("CRL authorityKeyIdentifier from the issuer's key");
		AUTHORITY_KEYID_free(ak);
	}
	if (s->number) {
		ASN1_INTEGER *num = ASN1_INTEGER_new();
		if (!num || ASN1_INTEGER_set(num, s->number) != 1 ||
		    X509_CRL_add1_ext_i2d(c, NID_crl_number, num, 0, 0) != 1)
			fail_ossl("cRLNumber");
		ASN1_INTEGER_free(num);
	}
	if (s->critical_unknown_oid)
		add_crl_raw_ext(c, NULL, s->critical_unknown_oid, 1, NULL, 0);
	if (s->ext_oid)
		add_crl_raw_ext(c, NULL, s->ext_oid, 0, s->ext_der, s->ext_len);
	ASN1_TIME_free(t1);
	ASN1_TIME_free(t2);
	if (X509_CRL_sort(c) != 1 || X509_CRL_sign(c, key, md) <= 0)
		fail_ossl("X509_CRL_sign");
	return c;
}

uint8_t *certmint_crl_der(X509_CRL *c, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509_CRL(c, &der);
	return der_copy(der, n, "i2d_X509_CRL", len);
}
