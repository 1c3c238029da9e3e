/* PRIVATE to src/crypto: shared between the files of src/crypto. Not installed, not for other
 * modules. */
#ifndef ORSP_CRYPTO_EC_INTERNAL_H
#define ORSP_CRYPTO_EC_INTERNAL_H

#include <pthread.h>
#include <sys/types.h>

#include <openssl/evp.h>
#include <openssl/types.h>

#include "openrsp/crypto.h"
#include "openrsp/der.h"

/* The curve of an EVP_PKEY: P-256 or brainpoolP256r1, ORSP_CURVE_NONE for anything else
 * (other curves, explicit parameters, non-EC keys, pk NULL). ORSP_E_RESOURCE "out of memory
 * while reading the key's curve" or ORSP_E_CRYPTO when OpenSSL's query failed: the curve is
 * not known then, which is no reason to call the key another curve's. */
ORSP_MUST_CHECK orsp_err orsp__ec_curve_query(const EVP_PKEY *pk, orsp_curve *out);
/* Whether pk holds its private scalar (*has). ORSP_E_RESOURCE "out of memory while reading
 * the private key" when OpenSSL's query failed for want of memory (a key without the scalar
 * is no failure). OpenSSL's error queue cleared. */
ORSP_MUST_CHECK orsp_err orsp__ec_pkey_has_private(const EVP_PKEY *pk, bool *has);
/* The supported curve of an OpenSSL curve NID; ORSP_CURVE_NONE for any other. */
orsp_curve orsp__ec_curve_of_nid(int nid);
/* Whether point (n octets, compressed 02/03||X or uncompressed 04||X||Y, the caller having
 * checked the form) is a point of curve c: *on. ORSP_E_RESOURCE when OpenSSL ran out of
 * memory deciding it (*on false then: not known), ORSP_E_CRYPTO when it failed otherwise.
 * OpenSSL's error queue cleared. */
ORSP_MUST_CHECK orsp_err orsp__ec_point_on_curve(orsp_curve c, const uint8_t *point, size_t n,
                                                 bool *on);
/* The same, a failed query counted as ORSP_CURVE_NONE (for callers that only need to know
 * whether a key is on a supported curve and report a failure of their own). */
orsp_curve orsp__ec_curve_of_pkey(const EVP_PKEY *pk);

/* Wrap a public EC key taken from a certificate: takes a new reference to pk (the caller
 * keeps its own). ORSP_E_POLICY if the key is not on a supported curve. */
ORSP_MUST_CHECK orsp_err orsp__ec_wrap_public(EVP_PKEY *pk, orsp_ec_key **out);
/* The same for a key whose curve the caller already knows (asking OpenSSL for a key's group
 * name costs a provider parameter query); ORSP_CURVE_NONE gives the same ORSP_E_POLICY. */
ORSP_MUST_CHECK orsp_err orsp__ec_wrap_public_as(EVP_PKEY *pk, orsp_curve curve, orsp_ec_key **out);

/* *slot, made by make(arg) under mu the first time it is asked for and kept: a failure (out of
 * memory) leaves it NULL and the next call tries again (a pthread_once left it NULL for the
 * process's life: every later download refused, fault-injection review find). One acquire
 * load once made. */
void *orsp__lazy(void *_Atomic *slot, pthread_mutex_t *mu, void *(*make)(const void *arg),
                 const void *arg);

/* An OpenSSL call failed: its error queue cleared (no stale entry for the next caller to
 * read), e with the detail what; ORSP_E_RESOURCE "out of memory in OpenSSL (the step that
 * failed: what)" when the queue held an allocation failure (ERR_R_MALLOC_FAILURE), which
 * says nothing of the input. The module's one way of reporting such a failure. */
orsp_err orsp__ossl_fail(orsp_err e, const char *what);
/* e, the result of a step that calls OpenSSL (what: "verifying the eUICC's chain"), since
 * the caller's orsp_wipe_alloc_failures() taken before it: a failure of the step during
 * which an allocation failed is ORSP_E_RESOURCE "out of memory in OpenSSL while what (it
 * said: the step's detail)", whatever the step said. OpenSSL drops some of its allocation
 * failures, or reads them as the input's fault (a signature that "does not verify", an
 * extension that "does not decode"), and nothing on its error queue tells; the count does,
 * when OpenSSL allocates through the wiping allocator (the openrsp program's main; tests'
 * failure injection). ORSP_OK and ORSP_E_RESOURCE are passed on as they are. An allocation
 * failed meanwhile, OpenSSL's error queue is cleared, whatever e. */
orsp_err orsp__oom_since(unsigned long since, orsp_err e, const char *what);

/* Save der (a certificate or a CRL) to path with orsp_file_create (openrsp/core.h), mode
 * 0644: PEM with the label pem_name ("CERTIFICATE", "X509 CRL") if path ends in ".pem" (any
 * case), else DER. */
ORSP_MUST_CHECK orsp_err orsp__der_save(const uint8_t *der, size_t len, const char *path,
                                        const char *pem_name);

/* a as seconds since the epoch. ORSP_E_MALFORMED "WHAT do not decode" or "WHAT out of
 * range" (what: "certificate validity dates"; crl.c gives its own message after it).
 * src/crypto/x509.c. */
ORSP_MUST_CHECK orsp_err orsp__asn1_time(const ASN1_TIME *a, const char *what, time_t *out);

/* A Time's TLV (t: UTCTime YYMMDDHHMMSSZ, RFC 5280 §4.1.2.5.1's 50..99 as 19xx, or
 * GeneralizedTime YYYYMMDDHHMMSSZ; exactly these forms, a real date) as seconds since the
 * epoch; false for anything else. src/crypto/x509.c. */
bool orsp__der_time(const orsp_tlv *t, time_t *out);

/* The next Extension ::= SEQUENCE { extnID, critical BOOLEAN DEFAULT FALSE, extnValue } of r,
 * read as DER: *critical when the flag is there (TRUE, FF; FALSE is left out), *value the
 * OCTET STRING. EXT_BAD_FLAG for a flag that is not FF (an explicit FALSE included),
 * EXT_UNREADABLE for any other structure. src/crypto/x509.c. */
typedef enum { EXT_OK, EXT_UNREADABLE, EXT_BAD_FLAG } ext_read;
ext_read orsp__read_extension(orsp_reader *r, orsp_tlv *oid, bool *critical, orsp_tlv *value);

/* The commonName of name into out (cap > 0 bytes, cut to fit): printable ASCII, '?' for any
 * other byte; "" without one. src/crypto/x509.c. */
void orsp__name_cn(const X509_NAME *name, char *out, size_t cap);

/* The OpenSSL certificate behind c (borrowed; never changed once parsed): for crl.c. */
X509 *orsp__cert_x509(const orsp_cert *c);
/* Whether the certificate's public key is a point in compressed or uncompressed form, of
 * 32-octet coordinates (RFC 5480 §2.2; not the point at infinity). src/crypto/x509.c. */
bool orsp__cert_point_ok(const orsp_cert *c);

/* The wrapped EVP_PKEY (borrowed). */
EVP_PKEY *orsp__ec_pkey(const orsp_ec_key *k);

/* Keys shared between threads through a cache (x509.c's public keys by point). OpenSSL counts
 * an EVP_PKEY's references with atomics that ThreadSanitizer cannot see in an uninstrumented
 * libcrypto: a thread that used the key and dropped its reference, and another that dropped
 * the last one and freed it, looked unordered, a race in free (a CI run). Every drop of a
 * reference to such a key goes through one lock instead, so the last one is ordered after
 * every use. orsp__ec_mark_shared: k's reference is dropped that way by orsp_ec_free;
 * orsp__ec_pkey_free_shared: the cache's own. */
void orsp__ec_mark_shared(orsp_ec_key *k);
void orsp__ec_pkey_free_shared(EVP_PKEY *pk);

/* A private key in a PKCS#11 token (src/crypto/pkcs11.c). */
struct orsp__p11_key;
/* ECDSA in the token over a SHA-256 digest computed by the caller, into raw r || s. */
ORSP_MUST_CHECK orsp_err orsp__p11_sign_digest(struct orsp__p11_key *k, const uint8_t dg[32],
                                               uint8_t sig[ORSP_EC_SIG_LEN]);
void orsp__p11_free(struct orsp__p11_key *k);
/* For the tests: as a token reset would, end every session of the key, after keeping `idle`
 * open ones in its pool (whose handles stay there, dead). */
void orsp__p11_reset_sessions(struct orsp__p11_key *k, size_t idle);
/* For the tests: as a token that ends one session alone would (an idle timeout, an operator),
 * fill the key's pool to `idle` (at least 1) open sessions and end the one the next signature
 * takes, its handle left in the pool. */
void orsp__p11_end_session(struct orsp__p11_key *k, size_t idle);
/* For the tests: the handles of the key's idle sessions (at most cap) into out; how many. */
size_t orsp__p11_pool(struct orsp__p11_key *k, unsigned long *out, size_t cap);
/* For the tests: how many times the key logged in (C_Login calls). */
unsigned orsp__p11_login_count(struct orsp__p11_key *k);
/* For fuzz/fuzz_crypto_pkcs11_uri.c: what orsp_ec_load_pkcs11 (secret: orsp_p11_aes_gcm_*)
 * makes of uri before it loads the module: the URI without white space and its pin-values
 * into bare (4097 bytes, the URI given to p11-kit; "" when it was refused before), then
 * p11-kit's parse and the checks of its parts (a pin-source is read). *pin_value: a
 * pin-value was cut out; *pin_len: the PIN's length (from the pin-value or the pin-source),
 * 0 when none. No module is loaded. */
ORSP_MUST_CHECK orsp_err orsp__p11_uri_parse(const char *uri, bool secret, char bare[4097],
                                             bool *pin_value, size_t *pin_len);
/* Make the public key k the face of the token's key p11 (k then owns it). */
ORSP_MUST_CHECK orsp_err orsp__ec_attach_p11(orsp_ec_key *k, struct orsp__p11_key *p11);
/* The token's key behind k, or NULL for a key of our own. */
struct orsp__p11_key *orsp__ec_p11(const orsp_ec_key *k);

#endif
