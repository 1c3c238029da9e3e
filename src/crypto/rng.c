/* The CSPRNG: OpenSSL's private DRBG (seeded from the OS, reseeded after fork). */
#include <limits.h>

#include <openssl/rand.h>

#include "ec_internal.h"
#include "openrsp/crypto.h"

orsp_err orsp_random(void *out, size_t n)
{
	uint8_t *p = out;

	if (!out && n)
		return orsp_errf(ORSP_E_USAGE, "orsp_random: NULL output");
	/* RAND_priv_bytes takes an int: draw large requests in chunks. The private DRBG is
	 * kept apart from the public one, so nonces never share state with key material. */
	while (n) {
		size_t chunk = n > (size_t)INT_MAX ? (size_t)INT_MAX : n;
		if (RAND_priv_bytes(p, (int)chunk) != 1) {
			orsp_wipe(out, (size_t)(p - (uint8_t *)out));
			return orsp__ossl_fail(ORSP_E_CRYPTO,
			                       "the random generator failed (not seeded?)");
		}
		p += chunk;
		n -= chunk;
	}
	return ORSP_OK;
}
