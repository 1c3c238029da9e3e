/* Test helpers that mint X.509 certificates and EC keys directly with OpenSSL, for the
 * negative path-validation cases no published vector covers (a foreign CI, an EID outside
 * the EUM range, a wrong policy, a missing keyUsage, the v3 permittedEins extension).
 * Independent of src/crypto on purpose: a test must not build its inputs with the code it
 * checks. Every helper fails the running cmocka test on error. */
#ifndef ORSP_TEST_CERTMINT_H
#define ORSP_TEST_CERTMINT_H

#include <stdbool.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

#include "openrsp/crypto.h"

typedef struct certmint_spec {
	/* "/C=ES/O=RSP Test EUM/serialNumber=8904.../CN=Test eUICC"; a type ending in "#bits"
	 * ("/x500UniqueIdentifier#bits=AB") has its value as a BIT STRING */
	const char *subject;
	long serial;                   /* 0: 1 */
	time_t not_before, not_after;  /* 0: 2020-01-01 and 2050-01-01 */
	const char *policy;            /* dotted OID, added as critical; NULL: none */
	const char *policy2;           /* a second policy OID; NULL: none */
	const char *key_usage;         /* OpenSSL syntax, "critical,keyCertSign"; NULL: none */
	const char *basic_constraints; /* "critical,CA:TRUE,pathlen:0"; NULL: none */
	const char *san;               /* "DNS:host.example.com"; NULL: none */
	const char *ext_key_usage;     /* "critical,clientAuth"; NULL: none */
	/* nameConstraints permitted directoryName "O=nc_org, serialNumber=nc_serial"; with
	 * nc_excluded_serial also excluded "O=nc_org, serialNumber=nc_excluded_serial". */
	const char *nc_org;
	const char *nc_serial; /* NULL: no nameConstraints */
	const char *nc_excluded_serial;
	const char *nc_excluded_org; /* the excluded subtree's O; NULL: nc_org */
	bool nc_no_serial; /* with nc_serial: the permitted directoryName is "O=nc_org" only */
	/* with nc_serial: an excluded directoryName "O=nc_excluded_org" (or nc_org) only */
	bool nc_excluded_no_serial;
	const char *nc_excluded_dns; /* with nc_serial: also an excluded dNSName subtree */
	/* permittedEins (2.23.146.1.2.2.0) prefixes, NULL-terminated; NULL: no extension.
	 * eins_bad_type encodes them as UTF8String instead of PrintableString. */
	const char *const *eins;
	bool eins_critical;
	bool eins_bad_type;
	/* A permittedEins extension whose value is these bytes as given (after the one from
	 * eins, if both are set); NULL: none. */
	const uint8_t *eins_der;
	size_t eins_der_len;
	int version;             /* 1, 2 or 3; 0: 3 */
	const char *digest;      /* the signature's hash, "SHA384"; NULL: SHA-256 */
	const char *issuer_name; /* "/K=V..." instead of the issuer's subject; NULL: that */
	const char *critical_unknown_oid; /* a critical extension nobody processes; NULL: none */
	bool no_ski, no_aki;
} certmint_spec;

/* Issue a certificate for subject_key, signed by issuer_key (ecdsa-with-SHA256). issuer NULL
 * makes it self-issued. The result is owned by the caller (X509_free). */
X509 *certmint_issue(const certmint_spec *s, EVP_PKEY *subject_key, X509 *issuer,
                     EVP_PKEY *issuer_key);

/* The certificate of the vector tree ($ORSP_VECTORS/<rel>) with the validity period
 * not_before .. not_after (either 0: its own date), signed again by key (its issuer's, or
 * another to break the signature); everything else as published. The caller's (X509_free). */
X509 *certmint_redate(const char *rel, time_t not_before, time_t not_after, EVP_PKEY *key);

/* What to put in a CRL (RFC 5280 §5) minted by certmint_crl. */
typedef struct certmint_crl_spec {
	const char *const *serials; /* the revoked serial numbers in hex, n of them */
	size_t n;
	int reason;                      /* CRLReason of every entry; 0: no reasonCode */
	time_t this_update, next_update; /* 0: 2020-01-01 and 2050-01-01 */
	long number;                     /* cRLNumber; 0: none */
	bool v1, no_next_update, no_aki;
	const char *digest;               /* NULL: SHA-256 */
	const char *critical_unknown_oid; /* a critical CRL extension; NULL: none */
	bool entry_critical;              /* a critical unknown extension on every entry */
	/* a non-critical extension with this DER value, on the CRL and on every entry; NULL:
	 * none */
	const char *ext_oid, *entry_ext_oid;
	const uint8_t *ext_der, *entry_ext_der;
	size_t ext_len, entry_ext_len;
	const char *issuer_name;          /* "/K=V..." instead of the issuer's subject */
} certmint_crl_spec;

/* A CRL of issuer signed by key (the caller's: X509_CRL_free). */
X509_CRL *certmint_crl(const certmint_crl_spec *s, X509 *issuer, EVP_PKEY *key);
/* DER of a CRL into a malloc'ed buffer. */
uint8_t *certmint_crl_der(X509_CRL *c, size_t *len);

/* A fresh EC key on an OpenSSL group ("prime256v1", "brainpoolP256r1", "secp384r1"). */
EVP_PKEY *certmint_key_new(const char *group);
/* A PEM private key from the vector tree ($ORSP_VECTORS/<rel>). */
EVP_PKEY *certmint_key_load(const char *rel);
/* A DER certificate from the vector tree. */
X509 *certmint_cert_load(const char *rel);
/* The certificate as an orsp_cert (via orsp_cert_parse of its DER). */
orsp_cert *certmint_to_orsp(X509 *x);
/* DER of x into a malloc'ed buffer. */
uint8_t *certmint_der(X509 *x, size_t *len);
/* Seconds since the epoch of y-m-d 00:00:00 UTC. */
time_t certmint_time(int y, int m, int d);

#endif
