/* openrsp crypto: the only module that calls OpenSSL.
 *
 * Hashes, AES modes, MACs, KDFs (3GPP TS 33.220 Annex B, ANSI X9.63), ECDSA with raw r||s
 * signatures (BSI TR-03111) and ECKA on NIST P-256 and brainpoolP256r1, X.509 path
 * validation for the GSMA RSP certificate hierarchy (SGP.22 §4.5), and the CSPRNG.
 * Functions return ORSP_E_CRYPTO when OpenSSL itself fails, ORSP_E_USAGE for bad lengths.
 */
#ifndef OPENRSP_CRYPTO_H
#define OPENRSP_CRYPTO_H

#include <time.h>

#include "openrsp/core.h"

/* ----- the library ----- */
/* The OpenSSL in use, as it names itself ("OpenSSL 3.0.17 1 Jul 2025"): `openrsp --version`. */
const char *orsp_crypto_library_version(void);

/* ----- random ----- */
ORSP_MUST_CHECK orsp_err orsp_random(void *out, size_t n);

/* ----- hashes and MACs ----- */
#define ORSP_SHA256_LEN 32
ORSP_MUST_CHECK orsp_err orsp_sha256(const void *data, size_t n, uint8_t out[ORSP_SHA256_LEN]);
ORSP_MUST_CHECK orsp_err orsp_hmac_sha256(const uint8_t *key, size_t key_len, const void *data,
                                          size_t n, uint8_t out[ORSP_SHA256_LEN]);
/* AES-CMAC (NIST SP 800-38B), key of 16 or 32 bytes, full 16-byte tag. */
ORSP_MUST_CHECK orsp_err orsp_aes_cmac(const uint8_t *key, size_t key_len, const void *data,
                                       size_t n, uint8_t out[16]);
/* AES-CMAC under one key for many messages (a BSP session's S-MAC): keyed once, then each
 * MAC costs only its blocks. NULL for a bad key length or no memory. Not thread-safe; freeing
 * clears the key. */
typedef struct orsp_aes_cmac_key orsp_aes_cmac_key;
orsp_aes_cmac_key *orsp_aes_cmac_key_new(const uint8_t *key, size_t key_len);
ORSP_MUST_CHECK orsp_err orsp_aes_cmac_key_mac(orsp_aes_cmac_key *k, const void *data, size_t n,
                                               uint8_t out[16]);
void orsp_aes_cmac_key_free(orsp_aes_cmac_key *k);
/* HMAC-SHA-256 under one key for many messages: keyed once (no per-call algorithm lookup,
 * no key setup), then each MAC costs only its blocks. NULL for an empty key or no memory.
 * Not thread-safe; freeing clears the key. */
typedef struct orsp_hmac_key orsp_hmac_key;
orsp_hmac_key *orsp_hmac_key_new(const uint8_t *key, size_t key_len);
ORSP_MUST_CHECK orsp_err orsp_hmac_key_mac(orsp_hmac_key *k, const void *data, size_t n,
                                           uint8_t out[ORSP_SHA256_LEN]);
void orsp_hmac_key_free(orsp_hmac_key *k);

/* ----- AES ----- */

/* A keyed AES-ECB encryption context: the key schedule is computed once, so encrypting
 * many blocks under one key (Milenage, TUAK-less AKA) costs only the block operations.
 * Not thread-safe; one per thread. */
typedef struct orsp_aes_ecb orsp_aes_ecb;
/* key_len 16 or 32. Returns NULL on failure (bad length, out of memory). */
orsp_aes_ecb *orsp_aes_ecb_new(const uint8_t *key, size_t key_len);
/* Re-key an existing context (cheaper than free + new). */
ORSP_MUST_CHECK orsp_err orsp_aes_ecb_rekey(orsp_aes_ecb *c, const uint8_t *key, size_t key_len);
/* Encrypt nblocks 16-byte blocks from in to out (may alias exactly). */
ORSP_MUST_CHECK orsp_err orsp_aes_ecb_encrypt(orsp_aes_ecb *c, const uint8_t *in, uint8_t *out,
                                              size_t nblocks);
/* Decrypt with a one-shot key (rarely needed; not performance critical). */
ORSP_MUST_CHECK orsp_err orsp_aes_ecb_decrypt_once(const uint8_t *key, size_t key_len,
                                                   const uint8_t *in, uint8_t *out, size_t nblocks);
/* Wipes the key schedule. NULL-safe. */
void orsp_aes_ecb_free(orsp_aes_ecb *c);

/* AES-CBC without padding; n must be a multiple of 16. iv is 16 bytes. */
ORSP_MUST_CHECK orsp_err orsp_aes_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                                              const uint8_t *in, size_t n, uint8_t *out);
ORSP_MUST_CHECK orsp_err orsp_aes_cbc_decrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                                              const uint8_t *in, size_t n, uint8_t *out);

/* AES-GCM with a 12-byte IV and a 16-byte tag. open() returns ORSP_E_VERIFY on a bad tag
 * and then leaves out zeroed. */
ORSP_MUST_CHECK orsp_err orsp_aes_gcm_seal(const uint8_t *key, size_t key_len, const uint8_t iv[12],
                                           const void *aad, size_t aad_len, const uint8_t *in,
                                           size_t n, uint8_t *out, uint8_t tag[16]);
ORSP_MUST_CHECK orsp_err orsp_aes_gcm_open(const uint8_t *key, size_t key_len, const uint8_t iv[12],
                                           const void *aad, size_t aad_len, const uint8_t *in,
                                           size_t n, const uint8_t tag[16], uint8_t *out);

/* ----- key derivation ----- */

/* 3GPP generic KDF (TS 33.220 Annex B.2): HMAC-SHA-256(key, FC || P0 || L0 || ... ), where
 * each Li is the 2-byte big-endian length of Pi. Output 32 bytes. */
typedef struct orsp_kdf_param {
	const uint8_t *p;
	size_t len; /* at most 65535 */
} orsp_kdf_param;
ORSP_MUST_CHECK orsp_err orsp_kdf_3gpp(const uint8_t *key, size_t key_len, uint8_t fc,
                                       const orsp_kdf_param *params, size_t nparams,
                                       uint8_t out[ORSP_SHA256_LEN]);

/* ANSI X9.63 KDF with SHA-256: out = H(Z || counter32 || SharedInfo), counter from 1. */
ORSP_MUST_CHECK orsp_err orsp_kdf_x963_sha256(const uint8_t *z, size_t z_len, const uint8_t *info,
                                              size_t info_len, uint8_t *out, size_t out_len);

/* ----- elliptic curves ----- */

typedef enum orsp_curve {
	ORSP_CURVE_NONE = 0,
	ORSP_CURVE_P256,            /* NIST P-256 / prime256v1 */
	ORSP_CURVE_BRAINPOOLP256R1, /* brainpoolP256r1 (RFC 5639) */
} orsp_curve;

#define ORSP_EC_POINT_LEN 65 /* uncompressed 04 || X || Y */
#define ORSP_EC_SIG_LEN 64   /* raw r || s, 32 bytes each, BSI TR-03111 */
#define ORSP_ECKA_LEN 32     /* shared secret: the X coordinate */

const char *orsp_curve_name(orsp_curve c);

/* An EC key pair or public key (wraps an OpenSSL EVP_PKEY). Private parts are freed with
 * OpenSSL's clearing free. */
typedef struct orsp_ec_key orsp_ec_key;

ORSP_MUST_CHECK orsp_err orsp_ec_generate(orsp_curve curve, orsp_ec_key **out);
/* Private key from PEM (SEC1 "EC PRIVATE KEY" or PKCS#8) or DER bytes: at most
 * ORSP_EC_KEY_FILE_MAX of them (a key file, text around a PEM block included). */
#define ORSP_EC_KEY_FILE_MAX 16384
ORSP_MUST_CHECK orsp_err orsp_ec_load_private(const void *data, size_t n, orsp_ec_key **out);
/* A private key file (PEM or DER, as orsp_ec_load_private takes it) read whole into buf, which
 * holds ORSP_EC_KEY_FILE_MAX bytes; *len its length. A regular file only: the errors of
 * orsp_file_open_regular (a FIFO does not block), ORSP_E_IO "cannot read PATH: <reason>",
 * ORSP_E_RESOURCE "PATH is larger than ORSP_EC_KEY_FILE_MAX bytes" (refused, not cut). buf
 * holds key material: the caller wipes it after use (orsp_wipe); on failure nothing read is
 * left in it. */
ORSP_MUST_CHECK orsp_err orsp_ec_read_private_file(const char *path,
                                                   uint8_t buf[ORSP_EC_KEY_FILE_MAX], size_t *len);
/* orsp_ec_read_private_file, then orsp_ec_load_private, the bytes read wiped: the errors of
 * both (reading: ORSP_E_NOT_FOUND, ORSP_E_IO, ORSP_E_RESOURCE for a larger file; parsing:
 * ORSP_E_MALFORMED, ORSP_E_POLICY). */
ORSP_MUST_CHECK orsp_err orsp_ec_load_private_file(const char *path, orsp_ec_key **out);
/* Private key from a raw 32-byte scalar. */
ORSP_MUST_CHECK orsp_err orsp_ec_from_private_scalar(orsp_curve curve, const uint8_t d[32],
                                                     orsp_ec_key **out);
/* The private scalar d of a key pair, as 32 big-endian bytes in out (wiped by the caller
 * after use, e.g. with orsp_secret_wipe). ORSP_E_USAGE for a public key. */
ORSP_MUST_CHECK orsp_err orsp_ec_private_scalar(const orsp_ec_key *k, orsp_secret *out);
/* Public key from an uncompressed point 04||X||Y; the point must be on the curve. */
ORSP_MUST_CHECK orsp_err orsp_ec_from_public_point(orsp_curve curve, const uint8_t *point,
                                                   size_t n, orsp_ec_key **out);
orsp_curve orsp_ec_curve(const orsp_ec_key *k);
/* The uncompressed public point. */
ORSP_MUST_CHECK orsp_err orsp_ec_public_point(const orsp_ec_key *k, uint8_t out[ORSP_EC_POINT_LEN]);
/* Write the private key as PKCS#8 PEM to path with mode 0600 (fails if it exists). */
ORSP_MUST_CHECK orsp_err orsp_ec_save_private_pem(const orsp_ec_key *k, const char *path);
void orsp_ec_free(orsp_ec_key *k);

/* A private key held in a PKCS#11 token (an HSM), named by an RFC 7512 URI whose query gives
 * the module and the PIN:
 *   pkcs11:token=T;object=LABEL?module-path=/usr/lib/.../libX.so&pin-source=/etc/x/pin
 * (id= may name the key instead of or beside object=; pin-value= gives the PIN itself;
 * pin-source is a file of the owner's alone). The token must hold the key's public half as
 * well (same id, else same label); a signature of the token is checked with it once here.
 * The key then signs with orsp_ecdsa_sign inside the token, from any thread; ECKA, the
 * private scalar, saving and issuing certificates are refused (docs/crypto.md). */
ORSP_MUST_CHECK orsp_err orsp_ec_load_pkcs11(const char *uri, orsp_ec_key **out);
/* The checks orsp_ec_load_pkcs11 makes of a private key's URI before it opens the token: its
 * syntax (RFC 7512, as p11-kit parses it), attributes openrsp knows, an absolute module-path,
 * no module-name, the key named (object= or id=), type=private or none, a pin-value of 1 to
 * 256 bytes, not with a pin-source. Nothing is loaded, no token is opened or logged in to,
 * and a pin-source is not read (its file is checked when the key is loaded). ORSP_E_USAGE
 * naming what is wrong, never the PIN. */
ORSP_MUST_CHECK orsp_err orsp_ec_pkcs11_uri_check(const char *uri);
/* The same checks of a secret (AES) key's URI, as orsp_p11_aes_gcm_seal and _open take it:
 * type=secret-key or none instead of type=private. Nothing is loaded or opened, a pin-source
 * is not read. ORSP_E_USAGE naming what is wrong, never the PIN. */
ORSP_MUST_CHECK orsp_err orsp_p11_secret_uri_check(const char *uri);
/* AES-GCM with a secret (AES) key in a PKCS#11 token, named by a URI as orsp_ec_load_pkcs11's
 * (type=secret-key or no type): for sealing a KEK at rest. seal writes n + 16 bytes
 * (ciphertext || tag) to out; open takes ciphertext || tag (n bytes) and writes n - 16,
 * ORSP_E_VERIFY if the tag does not match (another key, changed data). iv is 12 bytes, never
 * used twice with one key (draw it at random); aad at most 256 bytes, n at most 4096. The
 * token is opened (logged in) for the call and closed again; the key never leaves it. */
ORSP_MUST_CHECK orsp_err orsp_p11_aes_gcm_seal(const char *uri, const uint8_t iv[12],
                                               const uint8_t *aad, size_t aad_len,
                                               const uint8_t *in, size_t n, uint8_t *out,
                                               size_t cap);
ORSP_MUST_CHECK orsp_err orsp_p11_aes_gcm_open(const char *uri, const uint8_t iv[12],
                                               const uint8_t *aad, size_t aad_len,
                                               const uint8_t *in, size_t n, uint8_t *out,
                                               size_t cap);
/* s starts with "pkcs11:" (a key to load with orsp_ec_load_pkcs11, not a file). */
bool orsp_ec_pkcs11_uri(const char *s);
/* The URI s gives a PIN itself (pin-value), however written: the URI's parser drops white
 * space anywhere in it first ("pin- value =1234" is a pin-value), and the name is matched in
 * any case, so a check before a PIN is written to a file or a command line errs on the side of
 * refusing. */
bool orsp_ec_pkcs11_uri_has_pin(const char *s);
/* k is a key in a PKCS#11 token. */
bool orsp_ec_in_token(const orsp_ec_key *k);

/* ECDSA with SHA-256 over msg; signature as raw r||s (each left-padded to 32 bytes). */
ORSP_MUST_CHECK orsp_err orsp_ecdsa_sign(const orsp_ec_key *k, const void *msg, size_t n,
                                         uint8_t sig[ORSP_EC_SIG_LEN]);
/* The same over a SHA-256 digest the caller computed (n = 32), for a protocol that hashes
 * itself (a TLS handshake signature): raw r||s. */
ORSP_MUST_CHECK orsp_err orsp_ecdsa_sign_digest(const orsp_ec_key *k, const uint8_t *dg, size_t n,
                                                uint8_t sig[ORSP_EC_SIG_LEN]);
/* ORSP_E_VERIFY on a bad signature, ORSP_E_MALFORMED if r or s is out of range;
 * ORSP_E_RESOURCE, whatever OpenSSL said, when an allocation failed meanwhile (counted by
 * orsp_wipe_alloc_failures: OpenSSL allocating through the wiping allocator). */
ORSP_MUST_CHECK orsp_err orsp_ecdsa_verify(const orsp_ec_key *pub, const void *msg, size_t n,
                                           const uint8_t sig[ORSP_EC_SIG_LEN]);
/* Accounting of the CPU time spent in ECDSA, key generation, ECKA and BPP building, over all
 * threads (the outermost call of a thread counts, from its CPU clock). Off by default. */
void orsp_crypto_account(bool on);
uint64_t orsp_crypto_cpu_ns(void);
/* For the accounted functions (src/crypto, src/bsp): pass begin's value to end. */
uint64_t orsp__crypto_acct_begin(void);
void orsp__crypto_acct_end(uint64_t t0);

/* Convert between raw r||s and the DER Ecdsa-Sig-Value used inside X.509. */
ORSP_MUST_CHECK orsp_err orsp_ecdsa_sig_to_der(const uint8_t sig[ORSP_EC_SIG_LEN], uint8_t *der,
                                               size_t cap, size_t *der_len);
ORSP_MUST_CHECK orsp_err orsp_ecdsa_sig_from_der(const uint8_t *der, size_t n,
                                                 uint8_t sig[ORSP_EC_SIG_LEN]);

/* ECKA-DH (BSI TR-03111 §4.3.1): shared secret = X coordinate of d * Q. The peer point is
 * uncompressed and must be on the private key's curve. */
ORSP_MUST_CHECK orsp_err orsp_ecka(const orsp_ec_key *priv, const uint8_t *peer_point, size_t n,
                                   uint8_t out[ORSP_ECKA_LEN]);

/* ----- X.509 for the GSMA RSP hierarchy (SGP.22 §4.5.2, RFC 5280 profile) ----- */

/* Certificate policy OIDs, id-rspRole (2.23.146.1.2.1.x). */
typedef enum orsp_rsp_role {
	ORSP_ROLE_CI = 0,      /* 2.23.146.1.2.1.0 */
	ORSP_ROLE_EUICC = 1,   /* .1 */
	ORSP_ROLE_EUM = 2,     /* .2 */
	ORSP_ROLE_DP_TLS = 3,  /* .3 */
	ORSP_ROLE_DP_AUTH = 4, /* .4 */
	ORSP_ROLE_DP_PB = 5,   /* .5 */
	ORSP_ROLE_DS_TLS = 6,  /* .6 */
	ORSP_ROLE_DS_AUTH = 7, /* .7 */
} orsp_rsp_role;

typedef struct orsp_cert orsp_cert;

/* Parse one DER certificate (strict: exactly one certificate, no trailing bytes).
 * ORSP_E_RESOURCE when an allocation failed meanwhile (orsp_wipe_alloc_failures), whatever
 * OpenSSL made of the certificate. */
ORSP_MUST_CHECK orsp_err orsp_cert_parse(const void *der, size_t n, orsp_cert **out);
/* Load a certificate file, DER or PEM. Every error's detail names the file. A FIFO, a device
 * or a directory is refused (ORSP_E_IO "PATH is not a regular file ..."), a FIFO without
 * waiting for a writer. */
ORSP_MUST_CHECK orsp_err orsp_cert_load_file(const char *path, orsp_cert **out);
/* The certificate of a file's bytes, as orsp_cert_load_file reads them: DER, or the first
 * CERTIFICATE block of PEM text (other blocks and text around it skipped, headers refused).
 * ORSP_E_MALFORMED when there is none or it does not parse. */
ORSP_MUST_CHECK orsp_err orsp_cert_load_mem(const void *data, size_t n, orsp_cert **out);
/* A PEM file as a TLS library reads one (a CA bundle, a certificate and its chain), read
 * whole so that what is checked (orsp_cert_pem_bundle_check_mem) and used are the same bytes:
 * *pem (malloc'ed, NUL-terminated, the caller frees it) and *len. A regular file of at most
 * 64 MiB: the errors of orsp_file_open_regular (ORSP_E_NOT_FOUND, ORSP_E_IO), ORSP_E_MALFORMED
 * for a larger file, ORSP_E_IO when it cannot be read or grew while read, ORSP_E_RESOURCE. */
ORSP_MUST_CHECK orsp_err orsp_cert_pem_bundle_read(const char *path, uint8_t **pem, size_t *len);
/* PEM text as a TLS library reads a CA bundle: *n gets the number of certificates it holds,
 * read as OpenSSL reads them (other PEM blocks skipped). ORSP_E_MALFORMED when it holds no
 * certificate, a certificate block that does not parse, or a block cut short. */
ORSP_MUST_CHECK orsp_err orsp_cert_pem_bundle_check_mem(const void *pem, size_t len, size_t *n);
/* orsp_cert_pem_bundle_check_mem, and of the *n certificates *current are within their
 * validity at now (notBefore <= now <= notAfter; one whose dates do not decode is not),
 * *soonest the earliest notAfter of those (0 when none is). *current and *soonest are 0 on an
 * error. */
ORSP_MUST_CHECK orsp_err orsp_cert_pem_bundle_validity(const void *pem, size_t len, time_t now,
                                                       size_t *n, size_t *current, time_t *soonest);
/* The certificates of PEM text as orsp_cert_pem_bundle_check_mem reads them, each as
 * orsp_cert_parse takes it (one it refuses, not DER say, is left out): *certs (free with
 * orsp_cert_list_free; NULL when none is taken) and *n. The errors of
 * orsp_cert_pem_bundle_check_mem; ORSP_E_RESOURCE out of memory. */
ORSP_MUST_CHECK orsp_err orsp_cert_pem_bundle_certs(const void *pem, size_t len, orsp_cert ***certs,
                                                    size_t *n);
/* Free n certificates and the array holding them (NULL-safe). */
void orsp_cert_list_free(orsp_cert **certs, size_t n);
/* orsp_cert_pem_bundle_read, then orsp_cert_pem_bundle_check_mem, every detail naming the
 * file. ORSP_E_IO when it cannot be read, ORSP_E_MALFORMED otherwise. */
ORSP_MUST_CHECK orsp_err orsp_cert_pem_bundle_check(const char *path, size_t *n);
void orsp_cert_free(orsp_cert *c);
/* The DER encoding as parsed (borrowed, valid while c lives). */
orsp_slice orsp_cert_der(const orsp_cert *c);
/* Whether issuer issued c: c's issuer name is issuer's subject, c's authorityKeyIdentifier
 * (when both are there) issuer's subjectKeyIdentifier, and issuer's key verifies c's
 * signature (remembered with c, as the chain checks do). No other check (dates,
 * basicConstraints): for a chain the caller or its TLS library verified, to find which of
 * several CAs issued its first certificate. */
bool orsp_cert_signed_by(const orsp_cert *c, const orsp_cert *issuer);
/* Subject / authority key identifiers (20 bytes usually); ORSP_E_NOT_FOUND if absent,
 * ORSP_E_MALFORMED if longer than cap. A value of the certificate that does not fit in cap
 * is the certificate's fault in every accessor below too (ORSP_E_MALFORMED, until session 76
 * ORSP_E_RESOURCE): their ORSP_E_RESOURCE is a failed allocation only. */
ORSP_MUST_CHECK orsp_err orsp_cert_ski(const orsp_cert *c, uint8_t *out, size_t cap, size_t *len);
ORSP_MUST_CHECK orsp_err orsp_cert_aki(const orsp_cert *c, uint8_t *out, size_t cap, size_t *len);
/* The public key (caller frees with orsp_ec_free). */
ORSP_MUST_CHECK orsp_err orsp_cert_public_key(const orsp_cert *c, orsp_ec_key **out);
/* The validity period (RFC 5280 §4.1.2.5) as seconds since the epoch, UTC: either pointer
 * may be NULL. ORSP_E_MALFORMED if a date does not decode. */
ORSP_MUST_CHECK orsp_err orsp_cert_validity(const orsp_cert *c, time_t *not_before,
                                            time_t *not_after);
/* The RSP role from the certificate policies; ORSP_E_POLICY if none or several (a policy
 * under 2.23.146.1.2.1 other than .0 to .7 counts as one), ORSP_E_MALFORMED for a policy
 * listed twice (RFC 5280 §4.2.1.4). */
ORSP_MUST_CHECK orsp_err orsp_cert_rsp_role(const orsp_cert *c, orsp_rsp_role *out);
/* The subject serialNumber attribute (the EID of an eUICC certificate, 32 digits). */
ORSP_MUST_CHECK orsp_err orsp_cert_subject_serial(const orsp_cert *c, char *out, size_t cap);
/* The subject organizationName (O; of an eUICC certificate, its EUM's organisation). Both:
 * ORSP_E_NOT_FOUND if the subject has none, ORSP_E_MALFORMED if several, one with a
 * non-printable character or one that does not fit in cap. */
ORSP_MUST_CHECK orsp_err orsp_cert_subject_org(const orsp_cert *c, char *out, size_t cap);
/* The subject as one line for people ("C = IT, O = RSPTEST, CN = ..."), as `openssl x509
 * -subject` prints it: control characters and bytes above 0x7e escaped as \XX.
 * ORSP_E_MALFORMED if it does not fit in cap (out then ""), ORSP_E_RESOURCE out of memory. */
ORSP_MUST_CHECK orsp_err orsp_cert_subject_text(const orsp_cert *c, char *out, size_t cap);
/* The issuer name, as orsp_cert_subject_text writes the subject. */
ORSP_MUST_CHECK orsp_err orsp_cert_issuer_text(const orsp_cert *c, char *out, size_t cap);
/* Whether c's issuer name is ca's subject name (X509_NAME_cmp): by name only, no key or
 * signature (orsp_cert_signed_by judges those); orsp_cert_issuer_is(c, c) for a self-issued
 * c. False for NULL. */
bool orsp_cert_issuer_is(const orsp_cert *c, const orsp_cert *ca);
/* The subjectAltName registeredID (the SM-DP+ OID of CERT.DPauth/DPpb/DPtls) as the contents
 * octets of its DER OBJECT IDENTIFIER. ORSP_E_NOT_FOUND if there is none, ORSP_E_MALFORMED if
 * it does not fit in cap, ORSP_E_RESOURCE "out of memory in OpenSSL while reading the
 * certificate's registeredID" when an allocation failed meanwhile (orsp_wipe_alloc_failures;
 * it was "no registeredID" until session 75). */
ORSP_MUST_CHECK orsp_err orsp_cert_rid(const orsp_cert *c, uint8_t *out, size_t cap, size_t *len);
/* The registeredID number i (0: the first, the one orsp_cert_rid gives) of the subjectAltName
 * in dotted decimal ("2.999.10"), in the form orsp_cert_oid_ok takes (no leading zeros), so
 * that a dotted OID that passes it compares with strcmp. ORSP_E_NOT_FOUND if there are not
 * i + 1 of them, ORSP_E_MALFORMED if it does not fit in cap or does not read as an OID,
 * ORSP_E_RESOURCE if an allocation failed meanwhile, as for orsp_cert_rid (out is "" on any
 * failure). */
ORSP_MUST_CHECK orsp_err orsp_cert_rid_text(const orsp_cert *c, size_t i, char *out, size_t cap);
#define ORSP_CERT_MAX_CRL_URLS 4 /* cRLDistributionPoints in one template */
#define ORSP_CERT_URL_MAX 512    /* a distribution point's URL, in bytes */
/* The URLs of the certificate's cRLDistributionPoints (RFC 5280 §4.2.1.13) in their order: of
 * each DistributionPoint without reasons and without cRLIssuer (a CRL of some reasons only,
 * or an indirect one, is not the issuer's complete CRL), the fullName's
 * uniformResourceIdentifiers that orsp_cert_crl_url_ok accepts (http and https; ldap: and
 * others skipped); up to max of them into urls, *n how many. ORSP_E_NOT_FOUND when there is no
 * such URL (or no extension), ORSP_E_MALFORMED when the extension does not decode. */
ORSP_MUST_CHECK orsp_err orsp_cert_crl_urls(const orsp_cert *c, char (*urls)[ORSP_CERT_URL_MAX + 1],
                                            size_t max, size_t *n);

/* Trusted CI certificates (several CIs and both curves may be trusted at once). */
typedef struct orsp_ci_store orsp_ci_store;
ORSP_MUST_CHECK orsp_err orsp_ci_store_new(orsp_ci_store **out);
/* Add a CI certificate: it must be self-signed, carry the CI policy and keyCertSign. */
ORSP_MUST_CHECK orsp_err orsp_ci_store_add(orsp_ci_store *s, const orsp_cert *ci);
/* Find a CI by subject key identifier; NULL if none, and for an empty identifier. */
const orsp_cert *orsp_ci_store_find(const orsp_ci_store *s, const uint8_t *ski, size_t ski_len);
size_t orsp_ci_store_count(const orsp_ci_store *s);
/* The i-th CI in the order they were added; NULL when i >= orsp_ci_store_count(s). */
const orsp_cert *orsp_ci_store_at(const orsp_ci_store *s, size_t i);
void orsp_ci_store_free(orsp_ci_store *s);

/* The EC public key of a DER certificate, read with the DER reader alone (no X.509
 * checks, no OpenSSL parse): for a certificate validated earlier, e.g. the CERT.EUICC an
 * SM-DP+ session keeps. P-256 or brainpoolP256r1, an uncompressed point; any other
 * certificate (another point form, which RFC 5480 §2.2 allows, or a TBS that is not DER)
 * is read as orsp_cert_parse + orsp_cert_public_key read it, so that whatever the full
 * path accepted gives its key here. ORSP_E_MALFORMED for a key neither reads, ORSP_E_POLICY
 * for another curve. */
ORSP_MUST_CHECK orsp_err orsp_cert_der_public_key(const void *der, size_t len, orsp_ec_key **out);

/* The fast acceptance of a CERT.EUICC given as DER under an (already parsed) EUM: the
 * same checks as orsp_cert_parse + orsp_rsp_verify_euicc_chain for the one shape SGP.22
 * eUICC certificates have, read with the strict DER reader instead of OpenSSL's slow
 * parser. ORSP_OK: accepted, eid_out (33 bytes) and *pub_out (the eUICC key, the caller's)
 * set. ORSP_E_NOT_FOUND: not decided here (an unusual shape, or any check failed); use the
 * full path, which also gives the precise error. It never rejects what the full path
 * accepts wrongly: its accept set is contained in the full path's. */
ORSP_MUST_CHECK orsp_err orsp_rsp_euicc_fast_accept(const orsp_ci_store *cis, const orsp_cert *eum,
                                                    const void *der, size_t len, time_t now,
                                                    char eid_out[33], orsp_ec_key **pub_out);

/* Verify CI -> EUM -> eUICC at time `now` (0 = the current time): signatures, validity
 * dates, policies (EUM .2, eUICC .1), key usage and basic constraints, AKI/SKI linkage,
 * and the EID (eUICC subject serialNumber) inside the EUM's permitted range: the v2
 * nameConstraints EID-prefix rule or the v3 permittedEins extension (SGP.22 §4.5.2.1.0.2).
 * On success copies the EID (33 bytes with NUL) to eid_out if not NULL.
 * Errors: ORSP_E_VERIFY (signature), ORSP_E_POLICY (unknown CI, expired, EID out of range,
 * wrong policy/usage), ORSP_E_MALFORMED (unparseable). orsp_err_detail() says which. */
ORSP_MUST_CHECK orsp_err orsp_rsp_verify_euicc_chain(const orsp_ci_store *cis, const orsp_cert *eum,
                                                     const orsp_cert *euicc, time_t now,
                                                     char eid_out[33]);

/* Which certificate of CI -> EUM -> eUICC failed, and why: a verdict to act on (an SM-DP+
 * answers with its status code), where orsp_err_detail() is for people and quotes the
 * certificates' names. */
typedef enum orsp_chain_cert {
	ORSP_CHAIN_CERT_NONE = 0, /* nothing failed, or the arguments */
	ORSP_CHAIN_CERT_CI,       /* the CI above the EUM: none trusted, or unusable now */
	ORSP_CHAIN_CERT_EUM,
	ORSP_CHAIN_CERT_EUICC,
} orsp_chain_cert;

typedef enum orsp_chain_why {
	ORSP_CHAIN_OK = 0,
	ORSP_CHAIN_UNKNOWN_CI,    /* the EUM's authorityKeyIdentifier names no trusted CI */
	ORSP_CHAIN_SIGNATURE,     /* its signature does not verify with its issuer's key */
	ORSP_CHAIN_EXPIRED,       /* after its notAfter */
	ORSP_CHAIN_NOT_YET_VALID, /* before its notBefore */
	ORSP_CHAIN_EID_OUTSIDE,   /* (eUICC) its EID is not in the range its EUM may issue */
	ORSP_CHAIN_INVALID,       /* anything else: encoding, profile, policy, key usage, issuer
	                           * linkage; for an EUM also an EID range it lacks or that does
	                           * not decode */
} orsp_chain_why;

typedef struct orsp_chain_fault {
	orsp_chain_cert cert;
	orsp_chain_why why;
} orsp_chain_fault;

/* orsp_rsp_verify_euicc_chain, and *fault (may be NULL) says which certificate failed and
 * why ({NONE, OK} on success, for ORSP_E_USAGE, and for ORSP_E_RESOURCE when an allocation
 * failed meanwhile, orsp_wipe_alloc_failures: no certificate's fault). */
ORSP_MUST_CHECK orsp_err orsp_rsp_verify_euicc_chain_fault(const orsp_ci_store *cis,
                                                           const orsp_cert *eum,
                                                           const orsp_cert *euicc, time_t now,
                                                           char eid_out[33],
                                                           orsp_chain_fault *fault);

/* orsp_rsp_verify_euicc_chain without the validity periods: every other check, the same
 * errors; of notBefore and notAfter only that they decode (ORSP_E_MALFORMED). For an eUICC
 * judging its own identity (the software eUICC when it is provisioned and each time it
 * opens): it has no trusted clock (SGP.22 §4.5.2.2 notes that the eUICC and the Device may
 * not have reliable access to the current time), and the validity of CERT.EUICC and
 * CERT.EUM is the SM-DP+'s to judge when the eUICC presents them (docs/euicc.md). */
ORSP_MUST_CHECK orsp_err orsp_rsp_verify_euicc_chain_untimed(const orsp_ci_store *cis,
                                                             const orsp_cert *eum,
                                                             const orsp_cert *euicc,
                                                             char eid_out[33]);

/* Verify a server certificate issued directly by a trusted CI for the given role
 * (DPauth, DPpb, DPtls, ...): signature, validity, policy, key usage. For ORSP_ROLE_DP_TLS
 * a non-NULL fqdn must appear as a DNS subjectAltName. */
ORSP_MUST_CHECK orsp_err orsp_rsp_verify_server_cert(const orsp_ci_store *cis, const orsp_cert *cert,
                                                     orsp_rsp_role role, const char *fqdn,
                                                     time_t now);

/* orsp_rsp_verify_server_cert for a server certificate issued under a trusted CI through
 * n_subcas sub-CAs (SGP.22 v3's CI SubCA and SM-DP+ SubCA): subcas[0] issued cert,
 * subcas[i + 1] issued subcas[i], and a CI of cis (named by the last one's
 * authorityKeyIdentifier) issued the last. Each sub-CA must be issued by the certificate above
 * it (AKI = SKI, issuer name = subject name, same curve, signature), valid at now, of the RSP
 * profile (X.509 v3, ecdsa-with-SHA256, P-256 or brainpoolP256r1, no critical extension left
 * unprocessed), a CA (basicConstraints cA, keyUsage keyCertSign), and within the
 * pathLenConstraint of every CA above it; its certificate policy is not checked (SGP.22 v3's
 * sub-CA role policies are not known here). cert is checked as orsp_rsp_verify_server_cert
 * checks it, with subcas[0] as its issuer. n_subcas 0 is orsp_rsp_verify_server_cert. */
ORSP_MUST_CHECK orsp_err orsp_rsp_verify_server_path(const orsp_ci_store *cis,
                                                     const orsp_cert *const *subcas,
                                                     size_t n_subcas, const orsp_cert *cert,
                                                     orsp_rsp_role role, const char *fqdn,
                                                     time_t now);

/* ----- certificate revocation lists (RFC 5280 §5; src/crypto/crl.c, docs/crypto.md) ----- */

/* The CRLs an SM-DP+ holds: a CI's, listing revoked EUM (and server) certificates, and an
 * EUM's, listing revoked eUICC certificates. Filled at start, then read by any thread; new
 * CRLs are put in force with orsp_crl_store_swap. */
typedef struct orsp_crl_store orsp_crl_store;

ORSP_MUST_CHECK orsp_err orsp_crl_store_new(orsp_crl_store **out);
void orsp_crl_store_free(orsp_crl_store *s);
/* Add the CRL of data: one DER CertificateList, or PEM text whose "X509 CRL" blocks are each
 * one (other blocks and text skipped; at least one). `name` (a file's path) names it in
 * errors and in the checks' verdicts. Refused (ORSP_E_MALFORMED, nothing added): bytes that
 * are not DER or not a CRL, trailing bytes, a version other than v2, a signature algorithm
 * other than ecdsa-with-SHA256, no authorityKeyIdentifier or no nextUpdate, thisUpdate after
 * nextUpdate, a negative cRLNumber; ORSP_E_POLICY: a critical extension of the CRL or of an
 * entry, or a delta, partitioned, SGP.22 partial or indirect CRL, critical or not (this one is
 * complete and direct), or a second CRL with the same issuer, key and CRL number (twice in
 * data, or held already), but for a copy of the very same bytes under another name (a
 * second distribution point's): that one is held once, under the first name. The signature
 * is checked by orsp_crl_store_bind (a CI's) or at the first check under its issuer (an
 * EUM's). */
ORSP_MUST_CHECK orsp_err orsp_crl_store_add_mem(orsp_crl_store *s, const void *data, size_t n,
                                                const char *name);
/* orsp_crl_store_add_mem of a file (a regular file of at most 64 MiB). */
ORSP_MUST_CHECK orsp_err orsp_crl_store_add_file(orsp_crl_store *s, const char *path);
/* Verify now each CRL issued by a trusted CI (its issuer name and authorityKeyIdentifier
 * those of one of cis): ORSP_E_VERIFY naming the CRL when its signature does not verify
 * with that CI's key. *by_ci (may be NULL) gets how many were. The others are an EUM's,
 * verified with the key of the first EUM certificate they are checked under. */
ORSP_MUST_CHECK orsp_err orsp_crl_store_bind(orsp_crl_store *s, const orsp_ci_store *cis,
                                             size_t *by_ci);
/* Verify now each CRL issued by one of the n certificates cas, the CAs of an SM-DP+'s ES2+
 * client certificates (es2_client_ca: its operators'), as orsp_crl_store_bind does a CI's:
 * its issuer name one's subject, its authorityKeyIdentifier that one's subjectKeyIdentifier
 * (a CA without one issues no CRL taken here). ORSP_E_VERIFY naming the CRL and the CA when
 * its signature does not verify with that CA's key; else they are marked an operator CA's
 * (orsp_crl_info.by_client_ca) and *bound (may be NULL) gets how many were. */
ORSP_MUST_CHECK orsp_err orsp_crl_store_bind_client_cas(orsp_crl_store *s, orsp_cert *const *cas,
                                                        size_t n, size_t *bound);
/* Put the CRLs of fresh in force in live, at once for every thread checking with live (no
 * check sees part of each), and leave live's former CRLs in fresh for the caller to free.
 * fresh must be the caller's alone (added to and bound, not yet shared). For a server that
 * reads its CRL files again while it serves. ORSP_E_USAGE for NULL or the same store. */
ORSP_MUST_CHECK orsp_err orsp_crl_store_swap(orsp_crl_store *live, orsp_crl_store *fresh);
size_t orsp_crl_store_count(const orsp_crl_store *s);
/* Two cRLNumbers as orsp_crl_info.number gives them (hex of their INTEGERs' contents, a
 * leading 00 possible, either case) compared as numbers: <0, 0, >0. */
int orsp_crl_number_cmp(const char *a, const char *b);
/* The earliest nextUpdate of the CRLs held that no newer CRL of their issuer supersedes (0
 * when none): when the first one goes stale. */
time_t orsp_crl_store_next_update(const orsp_crl_store *s);
/* The i-th CRL held, for people, as `smdp serve --check` prints it: "NAME: ISSUER-CN (a CI's
 * | an operator CA's | an EUM's), N revoked, next update YYYY-MM-DDTHH:MM:SSZ" and ", STALE"
 * once past it at `now` (0: the current time); cut to fit cap. ORSP_E_NOT_FOUND when i >= the
 * count. */
ORSP_MUST_CHECK orsp_err orsp_crl_store_describe(const orsp_crl_store *s, size_t i, time_t now,
                                                 char *out, size_t cap);
/* The i-th CRL not held for being the very same bytes as one held from another file (two
 * distribution points' copies), for people: "NAME: the same CRL as HELD-NAME (the same
 * bytes), held once"; cut to fit cap. ORSP_E_NOT_FOUND when i >= the count of such copies. */
ORSP_MUST_CHECK orsp_err orsp_crl_store_describe_copy(const orsp_crl_store *s, size_t i, char *out,
                                                      size_t cap);

/* The i-th CRL held, as fields (orsp_crl_store_describe writes them for people; /metrics
 * gives them to a monitor). ORSP_E_NOT_FOUND when i >= the count. */
#define ORSP_CRL_NAME_MAX 1024
typedef struct orsp_crl_info {
	char name[ORSP_CRL_NAME_MAX]; /* as given to add (a file's path), cut to fit */
	char issuer_cn[64]; /* the issuer's commonName, printable ASCII ('?' for the rest) */
	bool by_ci;         /* a trusted CI's (orsp_crl_store_bind); else taken for an EUM's */
	bool by_client_ca;  /* an operator CA's (orsp_crl_store_bind_client_cas), not an EUM's */
	size_t revoked;     /* entries */
	time_t this_update, next_update;
	char number[2 * 21 + 1]; /* the cRLNumber in hex (its INTEGER's contents), "" without */
	char key[2 * 64 + 1];    /* its authorityKeyIdentifier in hex (the issuer's key) */
	char digest[2 * 8 + 1];  /* the first 8 bytes of the SHA-256 of its DER, in hex */
	bool superseded;         /* another CRL held of the same issuer (name and key identifier) is
	                          * newer: a higher cRLNumber, or a later thisUpdate without one */
} orsp_crl_info;
ORSP_MUST_CHECK orsp_err orsp_crl_store_info(const orsp_crl_store *s, size_t i, orsp_crl_info *out);
/* Every CRL held, as orsp_crl_store_info gives each, read under one lock: an
 * orsp_crl_store_swap meanwhile (a reload) does not mix two lists, as reading them one index
 * at a time may. *out is malloc'd (free() it; NULL when none or s is NULL), *n of them. */
ORSP_MUST_CHECK orsp_err orsp_crl_store_infos(const orsp_crl_store *s, orsp_crl_info **out,
                                              size_t *n);

/* Whether the i-th CRL held is issuer's (its issuer name issuer's subject, its
 * authorityKeyIdentifier issuer's subjectKeyIdentifier) and issuer's key verifies its
 * signature: ORSP_OK; ORSP_E_POLICY "NAME is not a CRL of CN"; ORSP_E_VERIFY "NAME: the CRL's
 * signature does not verify with the key of CN"; ORSP_E_NOT_FOUND when i >= the count. For a
 * CRL taken from elsewhere before it is put in a server's hands (`openrsp pki crl-fetch`). */
ORSP_MUST_CHECK orsp_err orsp_crl_store_issued_by(const orsp_crl_store *s, size_t i,
                                                  const orsp_cert *issuer);
/* Whether the i-th CRL held is of the CA that issued c by name: its issuer name is c's issuer
 * name (no key identifier or signature judged). For a CRL that could revoke c if c were judged
 * under its issuer. False when i >= the count or for NULL. */
bool orsp_crl_store_of_issuer_of(const orsp_crl_store *s, size_t i, const orsp_cert *c);

typedef enum orsp_crl_status {
	ORSP_CRL_GOOD = 0,   /* in no CRL of its issuer (or no CRL of its issuer is held) */
	ORSP_CRL_REVOKED,    /* listed by a CRL of its issuer */
	ORSP_CRL_STALE,      /* not listed, but its issuer's current CRL (the newest held) is
	                      * past its nextUpdate, or not yet valid (thisUpdate ahead) */
	ORSP_CRL_UNVERIFIED, /* a CRL of its issuer does not verify with the issuer's key */
} orsp_crl_status;

/* The status at `now` (0: the current time) of the certificate `cert` (DER) that `issuer`
 * issued (the caller verified that signature): the CRLs held whose issuer name is issuer's
 * subject and whose authorityKeyIdentifier is issuer's subjectKeyIdentifier decide, the
 * newest of those issuer's key verifies (highest cRLNumber; without numbers, the latest
 * thisUpdate) alone, older ones superseded; any that does not verify makes it UNVERIFIED
 * unless the newest lists the certificate. ORSP_OK
 * with *st = ORSP_CRL_GOOD; else ORSP_E_POLICY, *st saying why and orsp_err_detail() naming
 * the certificate's serial number, the CRL, and for a revoked one when and why (the
 * reasonCode). A listed certificate is REVOKED even by a stale CRL. ORSP_E_MALFORMED when
 * cert's serial number does not read. A NULL store holds no CRL: ORSP_OK, GOOD. */
ORSP_MUST_CHECK orsp_err orsp_crl_check(const orsp_crl_store *s, const orsp_cert *issuer,
                                        const void *cert, size_t len, time_t now,
                                        orsp_crl_status *st);

/* What decided a verdict other than GOOD, as fields, for a caller that words its own message
 * (the SM-DP+ tells a device the serial number, reason and date of a revocation, never the
 * CRL's file name on the server). */
typedef struct orsp_crl_why {
	char serial[2 * 32 + 1];     /* the certificate's serial number in hex */
	char reason[32];             /* REVOKED: the CRLReason's name, "no reason given" without
	                                a reasonCode; "" for the other verdicts */
	char when[32];               /* REVOKED: the revocationDate; STALE: the CRL's nextUpdate
	                                (its thisUpdate when that is ahead of `now`);
	                                "YYYY-MM-DD HH:MM:SSZ" */
	char crl[ORSP_CRL_NAME_MAX]; /* the CRL that decided: its name as given to add */
	bool ahead;                  /* STALE: not yet valid (its thisUpdate after `now`) */
} orsp_crl_why;
/* orsp_crl_check, and *why (when not NULL) filled for a verdict other than GOOD (left as it
 * was for GOOD and for an error before a verdict). */
ORSP_MUST_CHECK orsp_err orsp_crl_check_why(const orsp_crl_store *s, const orsp_cert *issuer,
                                            const void *cert, size_t len, time_t now,
                                            orsp_crl_status *st, orsp_crl_why *why);

/* One certificate to list in a new CRL: its serial number (the INTEGER's contents octets, as
 * orsp_cert_der_serial gives them), when it was revoked, and a CRLReason (RFC 5280 §5.3.1: 1
 * keyCompromise, 2 cACompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation,
 * 6 certificateHold, 9 privilegeWithdrawn, 10 aACompromise; 0 unspecified is not written,
 * as RFC 5280 asks). */
typedef struct orsp_crl_revoked {
	const uint8_t *serial;
	size_t serial_len;
	time_t when;
	int reason;
} orsp_crl_revoked;

/* Issue a v2 CRL signed by issuer_key (a key in a file, matching issuer's certificate):
 * issuer name and authorityKeyIdentifier from issuer, thisUpdate and nextUpdate, cRLNumber
 * `number`, the n entries. *der (malloc'ed, the caller's) and *len. ORSP_E_USAGE for bad
 * arguments (next_update not after this_update, a reason out of range, an empty or over-long
 * serial, an issuer without SKI, a key that is not issuer's). */
ORSP_MUST_CHECK orsp_err orsp_crl_issue(const orsp_cert *issuer, const orsp_ec_key *issuer_key,
                                        const orsp_crl_revoked *rev, size_t n, time_t this_update,
                                        time_t next_update, uint64_t number, uint8_t **der,
                                        size_t *len);

/* Write a CRL (der, len: as orsp_crl_issue made it) to path: PEM ("X509 CRL") if path ends
 * in ".pem" (any case), else DER, as orsp_cert_save writes a certificate: mode 0644, never
 * over an existing file (ORSP_E_EXISTS, symbolic links not followed), ORSP_E_IO on other
 * failures with nothing left behind. */
ORSP_MUST_CHECK orsp_err orsp_crl_save(const uint8_t *der, size_t len, const char *path);

/* The serial number of a DER certificate: the contents octets of its INTEGER (borrowed from
 * der). ORSP_E_MALFORMED if the certificate's first fields do not read. */
ORSP_MUST_CHECK orsp_err orsp_cert_der_serial(const void *der, size_t len, orsp_slice *serial);

/* ----- certificate issuing: a private GSMA-RSP-style PKI (SGP.22 v2 §4.5.2 profile) ----- */

/* keyUsage bits (RFC 5280 §4.2.1.3), as 1 << bit number. */
#define ORSP_KU_DIGITAL_SIGNATURE (1u << 0)
#define ORSP_KU_NON_REPUDIATION (1u << 1)
#define ORSP_KU_KEY_ENCIPHERMENT (1u << 2)
#define ORSP_KU_DATA_ENCIPHERMENT (1u << 3)
#define ORSP_KU_KEY_AGREEMENT (1u << 4)
#define ORSP_KU_KEY_CERT_SIGN (1u << 5)
#define ORSP_KU_CRL_SIGN (1u << 6)

/* extendedKeyUsage purposes. */
#define ORSP_EKU_SERVER_AUTH (1u << 0) /* id-kp-serverAuth */
#define ORSP_EKU_CLIENT_AUTH (1u << 1) /* id-kp-clientAuth */

#define ORSP_CERT_MAX_EINS 8 /* permittedEins prefixes in one template */

/* What to put in a certificate. Strings are borrowed for the call only; NULL = absent.
 * orsp_cert_template_init() fills in the SGP.22 profile of a role (policy, keyUsage, CA,
 * pathLen, EKU, criticality, as in the SGP.26 test certificates); the caller then adds the
 * names, the validity and the role's data (EID prefix, DNS name, RID). */
typedef struct orsp_cert_template {
	orsp_rsp_role role; /* certificatePolicies = 2.23.146.1.2.1.<role> */
	bool policy_critical;
	/* Subject, encoded in this order (C, O, OU, serialNumber, CN). C is 2 letters; the
	 * others 1..64 printable ASCII characters; serialNumber is a PrintableString (the EID
	 * of an eUICC, SGP.22 §4.5.2.1.0.3). At least one must be given. */
	const char *country, *org, *org_unit, *serial_number, *common_name;
	time_t not_before, not_after;   /* not_before < not_after */
	unsigned key_usage;             /* ORSP_KU_* bits, non-zero; always critical */
	bool ca;                        /* basicConstraints cA (critical) */
	int path_len;                   /* pathLenConstraint, -1 = none (CA only) */
	unsigned ext_key_usage;         /* ORSP_EKU_* bits, 0 = no extension */
	bool ext_key_usage_critical;
	/* EUM only (SGP.22 §4.5.2.1.0.2): nameConstraints (critical) with one permitted
	 * directoryName subtree "O=<nc_org>, serialNumber=<eid_prefix>" (the GSMA EID-prefix
	 * rule), nc_org optional; eid_prefix 1..32 digits. NULL = no nameConstraints. */
	const char *nc_org;
	const char *eid_prefix;
	/* Optional SGP.22 v3 permittedEins (2.23.146.1.2.2.0, SEQUENCE OF PrintableString,
	 * not critical): up to ORSP_CERT_MAX_EINS prefixes of 1..32 digits, NULL-terminated.
	 * NULL = no extension. */
	const char *const *permitted_eins;
	/* subjectAltName (not critical): dNSName (an FQDN, orsp_cert_dns_name_ok) and/or
	 * registeredID (a dotted OID, orsp_cert_oid_ok, e.g. the SM-DP+ OID "2.999.10"). Both
	 * NULL = no extension. */
	const char *san_dns;
	const char *san_rid;
	/* cRLDistributionPoints (RFC 5280 §4.2.1.13, not critical): where the issuer publishes
	 * the CRL that would list this certificate, one DistributionPoint per URL, each a
	 * fullName uniformResourceIdentifier (orsp_cert_crl_url_ok), as in the SGP.26 test
	 * certificates; up to ORSP_CERT_MAX_CRL_URLS, NULL-terminated. NULL = no extension. */
	const char *const *crl_urls;
} orsp_cert_template;

/* The checks orsp_cert_issue applies to san_dns and san_rid, for callers that refuse bad
 * input before anything else happens. orsp_cert_dns_name_ok: orsp_fqdn_check's rule (core.h):
 * 1..253 characters, labels of 1..63 letters, digits and '-' (not first or last), at least
 * two labels, the last not all digits (RFC 3696 §2: no IPv4 literal); when false,
 * orsp_err_detail() names the problem. orsp_cert_oid_ok: dotted decimal, at least two arcs, no
 * leading zero, first arc 0..2, second arc below 40 under 0 and 1 (X.660), at most 128
 * characters. NULL is refused. */
bool orsp_cert_dns_name_ok(const char *s);
bool orsp_cert_oid_ok(const char *s);
/* A CRL distribution point's URL as orsp_cert_issue takes it and orsp_cert_crl_urls gives
 * it: "http://" or "https://" (the scheme in any case), a host, at most ORSP_CERT_URL_MAX
 * bytes of printable ASCII without space, quote, '<', '>', '\\', '^', '`', '{', '|', '}'
 * (RFC 3986's characters: an IA5String, as RFC 5280 §4.2.1.13 stores it). NULL is refused;
 * when false, orsp_err_detail() names the problem. */
bool orsp_cert_crl_url_ok(const char *s);

/* Zero t and fill in the SGP.22 v2 profile of role:
 *   CI      keyCertSign+cRLSign, cA, no pathLen, policy .0 critical
 *   EUM     keyCertSign, cA pathLen 0, policy .2 critical
 *   eUICC   digitalSignature, policy .1 critical
 *   DPauth  digitalSignature, policy .4 critical;  DPpb the same with .5
 *   DPtls   digitalSignature, EKU serverAuth+clientAuth critical, policy .3 not critical
 *   DSauth / DStls  as DPauth / DPtls with .7 / .6
 * path_len is -1 unless stated. ORSP_E_USAGE for an unknown role. */
ORSP_MUST_CHECK orsp_err orsp_cert_template_init(orsp_cert_template *t, orsp_rsp_role role);

/* Issue an X.509 v3 certificate for subject_pub (its public part is used) with the fields
 * of t, signed ecdsa-with-SHA256 by issuer_key. issuer is the issuer's certificate (its
 * subject becomes the issuer name, its SKI the AKI key id); NULL = self-signed, then
 * issuer_key must be the subject's own key pair. Every certificate gets a random positive
 * 16-byte serial number (orsp_random), a subjectKeyIdentifier (SHA-1 of the public key,
 * RFC 5280 §4.2.1.2 method 1) and an authorityKeyIdentifier. The result is re-parsed with
 * orsp_cert_parse and owned by the caller (orsp_cert_free).
 * Errors: ORSP_E_USAGE for a bad template, an issuer_key without its private part or not
 * matching issuer's public key, keys on different curves, an issuer without SKI, an issuer
 * that is no CA (basicConstraints cA, keyCertSign when it has a keyUsage), or a CA template
 * under an issuer whose pathLenConstraint is 0;
 * ORSP_E_CRYPTO when OpenSSL fails. */
ORSP_MUST_CHECK orsp_err orsp_cert_issue(const orsp_cert_template *t, const orsp_ec_key *subject_pub,
                                         const orsp_ec_key *issuer_key, const orsp_cert *issuer,
                                         orsp_cert **out);

/* Write c to path: PEM ("CERTIFICATE") if path ends in ".pem" (any case), else DER. The
 * file is created with mode 0644 and never overwritten: ORSP_E_EXISTS if it exists
 * (symbolic links are not followed); ORSP_E_IO on other failures (nothing is left behind). */
ORSP_MUST_CHECK orsp_err orsp_cert_save(const orsp_cert *c, const char *path);

/* EIDs (GSMA SGP.29): 32 decimal digits whose last two are check digits per ISO/IEC 7064
 * MOD 97-10, i.e. the 32-digit number is congruent to 1 modulo 97.
 * orsp_eid_check: ORSP_OK, or ORSP_E_MALFORMED (not 32 digits, or a wrong check digit).
 * orsp_eid_generate: prefix (1..30 digits) followed by random digits (orsp_random, no
 * modulo bias) and the two check digits; out gets 32 digits and a NUL. */
ORSP_MUST_CHECK orsp_err orsp_eid_check(const char *eid);
ORSP_MUST_CHECK orsp_err orsp_eid_generate(const char *prefix, char out[33]);

#endif
