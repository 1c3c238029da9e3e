/* The objects src/crypto fetches from OpenSSL once and keeps (the AES ciphers, SHA-256 with
 * HMAC and CMAC, the EC public key templates): a fetch that fails (out of memory) is tried
 * again at the next call. Each was a pthread_once that left NULL for the process's life, and
 * every later call failed: an SM-DP+ then refused every download as "eUICC signature
 * invalid" until restarted (fault-injection review find). The fetches are failed through
 * wrapped EVP_CIPHER_fetch, EVP_MAC_fetch and EC_GROUP_new_by_curve_name (GNU ld --wrap;
 * tests/CMakeLists.txt), each once when armed; this program's first crypto calls. */
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <string.h>

#include "openrsp/crypto.h"
#include "testutil.h"

static bool fail_cipher, fail_mac, fail_group;

EVP_CIPHER *__real_EVP_CIPHER_fetch(OSSL_LIB_CTX *ctx, const char *alg, const char *props);
EVP_CIPHER *__wrap_EVP_CIPHER_fetch(OSSL_LIB_CTX *ctx, const char *alg, const char *props);
EVP_CIPHER *__wrap_EVP_CIPHER_fetch(OSSL_LIB_CTX *ctx, const char *alg, const char *props)
{
	if (fail_cipher) {
		fail_cipher = false;
		return NULL;
	}
	return __real_EVP_CIPHER_fetch(ctx, alg, props);
}

EVP_MAC *__real_EVP_MAC_fetch(OSSL_LIB_CTX *ctx, const char *alg, const char *props);
EVP_MAC *__wrap_EVP_MAC_fetch(OSSL_LIB_CTX *ctx, const char *alg, const char *props);
EVP_MAC *__wrap_EVP_MAC_fetch(OSSL_LIB_CTX *ctx, const char *alg, const char *props)
{
	if (fail_mac) {
		fail_mac = false;
		return NULL;
	}
	return __real_EVP_MAC_fetch(ctx, alg, props);
}

EC_GROUP *__real_EC_GROUP_new_by_curve_name(int nid);
EC_GROUP *__wrap_EC_GROUP_new_by_curve_name(int nid);
EC_GROUP *__wrap_EC_GROUP_new_by_curve_name(int nid)
{
	if (fail_group) {
		fail_group = false;
		return NULL;
	}
	return __real_EC_GROUP_new_by_curve_name(nid);
}

static void test_cipher_fetch_retried(void **state)
{
	(void)state;
	uint8_t key[16] = {1}, iv[12] = {2}, in[16] = {3}, out[16], tag[16];

	fail_cipher = true;
	assert_int_equal(orsp_aes_gcm_seal(key, 16, iv, NULL, 0, in, 16, out, tag),
	                 ORSP_E_RESOURCE);
	assert_non_null(strstr(orsp_err_detail(), "cannot fetch AES-128-GCM"));
	assert_false(fail_cipher);
	assert_int_equal(orsp_aes_gcm_seal(key, 16, iv, NULL, 0, in, 16, out, tag), ORSP_OK);
	/* a key of another length is still said to be one */
	assert_int_equal(orsp_aes_gcm_seal(key, 15, iv, NULL, 0, in, 16, out, tag), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "16 or 32 bytes, not 15"));
}

static void test_mac_fetch_retried(void **state)
{
	(void)state;
	uint8_t out[ORSP_SHA256_LEN];

	fail_mac = true;
	assert_int_not_equal(orsp_sha256("abc", 3, out), ORSP_OK);
	assert_false(fail_mac);
	assert_int_equal(orsp_sha256("abc", 3, out), ORSP_OK);
	assert_int_equal(out[0], 0xba); /* SHA-256("abc") = ba7816bf... */
	assert_int_equal(out[1], 0x78);
}

static void test_pub_template_retried(void **state)
{
	(void)state;
	/* the P-256 generator, uncompressed */
	static const char g[] = "046b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296"
	                        "4fe342e2fe1a7f9b8ee7eb4a7c0f9e162bce33576b315ececbb6406837bf51f5";
	uint8_t pt[ORSP_EC_POINT_LEN];
	orsp_ec_key *k = NULL;

	assert_int_equal(orsp_hex_decode_exact(g, pt, sizeof(pt)), ORSP_OK);
	fail_group = true;
	assert_int_equal(orsp_ec_from_public_point(ORSP_CURVE_P256, pt, sizeof(pt), &k),
	                 ORSP_E_RESOURCE);
	assert_null(k);
	assert_false(fail_group);
	assert_int_equal(orsp_ec_from_public_point(ORSP_CURVE_P256, pt, sizeof(pt), &k), ORSP_OK);
	assert_non_null(k);
	orsp_ec_free(k);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cipher_fetch_retried),
	    cmocka_unit_test(test_mac_fetch_retried),
	    cmocka_unit_test(test_pub_template_retried),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
