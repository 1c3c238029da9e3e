/* libFuzzer target for the PKCS#11 URI parsing of src/crypto/pkcs11.c (RFC 7512): the URIs
 * an operator writes in the SM-DP+'s configuration (dpauth_key, tls_key, ...) and the KEK's.
 *
 * The input (cut at the first NUL; bit 0 of its first byte picks a private or a secret key)
 * is prefixed with "pkcs11:" and given to orsp__p11_uri_parse, which does what
 * orsp_ec_load_pkcs11 does before it loads the module: the URI's pin-values cut out
 * (uri_without_pin), p11-kit's parse, the checks of the parts (uri_take). Properties:
 *  - it fails only with ORSP_E_USAGE, ORSP_E_IO, ORSP_E_POLICY or ORSP_E_MALFORMED (the last
 *    three for a pin-source file);
 *  - p11-kit is never given a PIN (pkcs11.c: it does not wipe its copies): the URI it gets
 *    has no white space p11-kit drops, and p11-kit finds no pin-value in it;
 *  - a pin-value cut out is one orsp_ec_pkcs11_uri_has_pin() sees in the URI as written (the
 *    configuration loaders refuse a file others can read when it holds one), and is a PIN of
 *    1 to 256 bytes when the URI is accepted;
 *  - the same URI gives the same answer twice.
 * A violated property calls abort(). No module is loaded. Deterministic but for a pin-source
 * the input names (read as a file, O_NONBLOCK).
 *
 * Seeds (fuzz/corpus/crypto_pkcs11_uri/): URIs of docs/crypto.md and tests/test_pkcs11.c.
 */
#include <stdlib.h>
#include <string.h>

#include <p11-kit/uri.h>

#include "../src/crypto/ec_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define IN_MAX 4200

static void check(bool ok)
{
	if (!ok)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char uri[IN_MAX + 8], bare[4097], bare2[4097];
	bool secret, pv = false, pv2 = false;
	size_t n, pin_len = 0, pin_len2 = 0;
	orsp_err e, e2;

	if (size < 1)
		return 0;
	secret = data[0] & 1;
	data++;
	size--;
	n = strnlen((const char *)data, size < IN_MAX ? size : IN_MAX);
	memcpy(uri, "pkcs11:", 7);
	memcpy(uri + 7, data, n);
	uri[7 + n] = '\0';

	e = orsp__p11_uri_parse(uri, secret, bare, &pv, &pin_len);
	orsp_err_clear();
	e2 = orsp__p11_uri_parse(uri, secret, bare2, &pv2, &pin_len2);
	orsp_err_clear();
	check(e == e2 && pv == pv2 && pin_len == pin_len2 && !strcmp(bare, bare2));
	check(e == ORSP_OK || e == ORSP_E_USAGE || e == ORSP_E_IO || e == ORSP_E_POLICY ||
	      e == ORSP_E_MALFORMED);
	check(memchr(bare, 0, sizeof(bare)) != NULL);
	if (pv)
		check(orsp_ec_pkcs11_uri_has_pin(uri));
	if (!e && pv)
		check(pin_len >= 1 && pin_len <= 256);
	if (bare[0]) {
		P11KitUri *u = p11_kit_uri_new();
		int rc;
		check(u != NULL);
		check(strcspn(bare, " \n\r\v") == strlen(bare));
		rc = p11_kit_uri_parse(bare,
		                       P11_KIT_URI_FOR_OBJECT_ON_TOKEN_AND_MODULE |
		                           P11_KIT_URI_FOR_SLOT |
		                           P11_KIT_URI_FOR_MODULE_WITH_VERSION,
		                       u);
		/* accepted: p11-kit read the URI; whatever it read, it holds no PIN */
		check(e || rc == P11_KIT_URI_OK);
		check(!p11_kit_uri_get_pin_value(u) || !p11_kit_uri_get_pin_value(u)[0]);
		p11_kit_uri_free(u);
	}
	return 0;
}
