/* PRIVATE to src/crypto: shared between ec.c and x509.c. Not installed, not for other modules. */
#ifndef ORSP_CRYPTO_EC_INTERNAL_H
#define ORSP_CRYPTO_EC_INTERNAL_H

#include <openssl/evp.h>

#include "openrsp/crypto.h"

/* The curve of an EVP_PKEY: P-256 or brainpoolP256r1, ORSP_CURVE_NONE for anything else
 * (other curves, explicit parameters, non-EC keys). */
orsp_curve orsp__ec_curve_of_pkey(const EVP_PKEY *pk);

/* Wrap a public EC key taken from a certificate: takes a new reference to pk (the caller
 * keeps its own). ORSP_E_POLICY if the key is not on a supported curve. */
ORSP_MUST_CHECK orsp_err orsp__ec_wrap_public(EVP_PKEY *pk, orsp_ec_key **out);
/* The same for a key whose curve the caller already knows (asking OpenSSL for a key's group
 * name costs a provider parameter query); ORSP_CURVE_NONE gives the same ORSP_E_POLICY. */
ORSP_MUST_CHECK orsp_err orsp__ec_wrap_public_as(EVP_PKEY *pk, orsp_curve curve, orsp_ec_key **out);

/* The wrapped EVP_PKEY (borrowed). */
EVP_PKEY *orsp__ec_pkey(const orsp_ec_key *k);

#endif
