/* The OpenSSL in use, for `openrsp --version`. */
#include <openssl/crypto.h>

#include "openrsp/crypto.h"

const char *orsp_crypto_library_version(void)
{
	return OpenSSL_version(OPENSSL_VERSION);
}
