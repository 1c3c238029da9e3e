/* Symmetric crypto against published vectors: FIPS-197, SP 800-38A, GCM spec, RFC 4493,
 * RFC 4231, 3GPP KDF rows (kdf_lte.tsv, kdf_eap_aka_prime.tsv, kdf_5g.tsv) and the SGP.22
 * BSP X9.63 and ciphering rows (pySim). */
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>

#include "openrsp/crypto.h"
#include "testutil.h"

static void hx(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(orsp_hex_decode_exact(hex, out, n), ORSP_OK);
}

/* FIPS-197 Appendix C.1 and C.3. */
static void test_aes_ecb_fips197(void **state)
{
	(void)state;
	uint8_t k128[16], k256[32], pt[16], ct[16], out[16];
	hx("000102030405060708090a0b0c0d0e0f", k128, 16);
	hx("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", k256, 32);
	hx("00112233445566778899aabbccddeeff", pt, 16);

	orsp_aes_ecb *c = orsp_aes_ecb_new(k128, 16);
	assert_non_null(c);
	assert_int_equal(orsp_aes_ecb_encrypt(c, pt, out, 1), ORSP_OK);
	hx("69c4e0d86a7b0430d8cdb78070b4c55a", ct, 16);
	assert_bytes_equal(out, ct, 16);
	/* Re-key to 256 bits on the same context. */
	assert_int_equal(orsp_aes_ecb_rekey(c, k256, 32), ORSP_OK);
	assert_int_equal(orsp_aes_ecb_encrypt(c, pt, out, 1), ORSP_OK);
	hx("8ea2b7ca516745bfeafc49904b496089", ct, 16);
	assert_bytes_equal(out, ct, 16);
	/* ... and back to 128. */
	assert_int_equal(orsp_aes_ecb_rekey(c, k128, 16), ORSP_OK);
	assert_int_equal(orsp_aes_ecb_encrypt(c, pt, out, 1), ORSP_OK);
	hx("69c4e0d86a7b0430d8cdb78070b4c55a", ct, 16);
	assert_bytes_equal(out, ct, 16);
	orsp_aes_ecb_free(c);

	hx("8ea2b7ca516745bfeafc49904b496089", ct, 16);
	assert_int_equal(orsp_aes_ecb_decrypt_once(k256, 32, ct, out, 1), ORSP_OK);
	assert_bytes_equal(out, pt, 16);

	assert_null(orsp_aes_ecb_new(k128, 24));
	orsp_aes_ecb_free(NULL);
	/* No key is no object (before, one without a key behind it); a block count whose byte
	 * count wraps is refused, not one block decrypted and success reported. Refusals leave
	 * OpenSSL's error queue empty. */
	assert_null(orsp_aes_ecb_new(NULL, 16));
	assert_int_equal(orsp_aes_ecb_decrypt_once(k256, 32, ct, out, ((size_t)1 << 60) + 1),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_aes_ecb_decrypt_once(NULL, 32, ct, out, 1), ORSP_E_USAGE);
	assert_int_equal(orsp_aes_cbc_encrypt(k128, 16, NULL, pt, 16, out), ORSP_E_USAGE);
	assert_int_equal(ERR_peek_error(), 0);
}

/* Several blocks in one call equal block-by-block encryption (Milenage relies on it). */
static void test_aes_ecb_multiblock(void **state)
{
	(void)state;
	uint8_t key[16] = {1, 2, 3}, in[96], one[96], many[96];
	for (size_t i = 0; i < sizeof(in); i++)
		in[i] = (uint8_t)(i * 7);
	orsp_aes_ecb *c = orsp_aes_ecb_new(key, 16);
	assert_non_null(c);
	for (int b = 0; b < 6; b++)
		assert_int_equal(orsp_aes_ecb_encrypt(c, in + 16 * b, one + 16 * b, 1), ORSP_OK);
	assert_int_equal(orsp_aes_ecb_encrypt(c, in, many, 6), ORSP_OK);
	assert_bytes_equal(one, many, 96);
	orsp_aes_ecb_free(c);
}

/* NIST SP 800-38A F.2.1 / F.2.2 (CBC-AES128), first two blocks. */
static void test_aes_cbc_sp800_38a(void **state)
{
	(void)state;
	uint8_t key[16], iv[16], pt[32], ct[32], out[32];
	hx("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	hx("000102030405060708090a0b0c0d0e0f", iv, 16);
	hx("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e51", pt, 32);
	hx("7649abac8119b246cee98e9b12e9197d5086cb9b507219ee95db113a917678b2", ct, 32);
	assert_int_equal(orsp_aes_cbc_encrypt(key, 16, iv, pt, 32, out), ORSP_OK);
	assert_bytes_equal(out, ct, 32);
	assert_int_equal(orsp_aes_cbc_decrypt(key, 16, iv, ct, 32, out), ORSP_OK);
	assert_bytes_equal(out, pt, 32);
	assert_int_equal(orsp_aes_cbc_encrypt(key, 16, iv, pt, 31, out), ORSP_E_USAGE);
	assert_int_equal(orsp_aes_cbc_encrypt(key, 15, iv, pt, 32, out), ORSP_E_USAGE);
}

/* McGrew & Viega GCM spec, Test Case 4 (AES-128, 60-byte plaintext, 20-byte AAD). */
static void test_aes_gcm(void **state)
{
	(void)state;
	uint8_t key[16], iv[12], aad[20], pt[60], ct[60], tag[16], out[60], t[16];
	hx("feffe9928665731c6d6a8f9467308308", key, 16);
	hx("cafebabefacedbaddecaf888", iv, 12);
	hx("feedfacedeadbeeffeedfacedeadbeefabaddad2", aad, 20);
	hx("d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a721c3c0c95956809532fcf0e24"
	   "49a6b525b16aedf5aa0de657ba637b39",
	   pt, 60);
	hx("42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e21d514b25466931c7d8f6a5a"
	   "ac84aa051ba30b396a0aac973d58e091",
	   ct, 60);
	hx("5bc94fbc3221a5db94fae95ae7121a47", tag, 16);
	assert_int_equal(orsp_aes_gcm_seal(key, 16, iv, aad, 20, pt, 60, out, t), ORSP_OK);
	assert_bytes_equal(out, ct, 60);
	assert_bytes_equal(t, tag, 16);
	assert_int_equal(orsp_aes_gcm_open(key, 16, iv, aad, 20, ct, 60, tag, out), ORSP_OK);
	assert_bytes_equal(out, pt, 60);

	/* Any change to tag, ciphertext or AAD fails, and the output is wiped. */
	tag[0] ^= 1;
	assert_int_equal(orsp_aes_gcm_open(key, 16, iv, aad, 20, ct, 60, tag, out), ORSP_E_VERIFY);
	uint8_t zero[60] = {0};
	assert_bytes_equal(out, zero, 60);
	tag[0] ^= 1;
	ct[59] ^= 0x80;
	assert_int_equal(orsp_aes_gcm_open(key, 16, iv, aad, 20, ct, 60, tag, out), ORSP_E_VERIFY);
	assert_int_equal(ERR_peek_error(), 0);
	ct[59] ^= 0x80;
	aad[0] ^= 1;
	assert_int_equal(orsp_aes_gcm_open(key, 16, iv, aad, 20, ct, 60, tag, out), ORSP_E_VERIFY);

	/* Empty plaintext, 256-bit key: seal/open round trip. */
	uint8_t k256[32] = {9};
	assert_int_equal(orsp_aes_gcm_seal(k256, 32, iv, "x", 1, NULL, 0, NULL, t), ORSP_OK);
	assert_int_equal(orsp_aes_gcm_open(k256, 32, iv, "x", 1, NULL, 0, t, NULL), ORSP_OK);
	assert_int_equal(orsp_aes_gcm_open(k256, 32, iv, "y", 1, NULL, 0, t, NULL), ORSP_E_VERIFY);

	/* A missing key, IV, tag or buffer is a usage error (docs/crypto.md), never a success:
	 * OpenSSL alone draws an IV for a NULL one and takes a NULL output for AAD. */
	assert_int_equal(orsp_aes_gcm_seal(k256, 32, NULL, "x", 1, pt, 60, out, t), ORSP_E_USAGE);
	assert_int_equal(orsp_aes_gcm_seal(k256, 32, iv, "x", 1, pt, 60, NULL, t), ORSP_E_USAGE);
	assert_int_equal(orsp_aes_gcm_seal(NULL, 32, iv, "x", 1, pt, 60, out, t), ORSP_E_USAGE);
	assert_int_equal(orsp_aes_gcm_seal(k256, 32, iv, "x", 1, pt, 60, out, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_aes_gcm_open(k256, 32, iv, "x", 1, ct, 60, NULL, out), ORSP_E_USAGE);
}

/* RFC 4493 §4 examples 1-4. */
static void test_aes_cmac_rfc4493(void **state)
{
	(void)state;
	uint8_t key[16], msg[64], mac[16], exp[16];
	hx("2b7e151628aed2a6abf7158809cf4f3c", key, 16);
	hx("6bc1bee22e409f96e93d7e117393172aae2d8a571e03ac9c9eb76fac45af8e5130c81c46a35ce411e5fbc119"
	   "1a0a52eff69f2445df4f9b17ad2b417be66c3710",
	   msg, 64);
	static const struct {
		size_t len;
		const char *mac;
	} cases[] = {{0, "bb1d6929e95937287fa37d129b756746"},
	             {16, "070a16b46b4d4144f79bdd9dd04a287c"},
	             {40, "dfa66747de9ae63030ca32611497c827"},
	             {64, "51f0bebf7e3b9d92fc49741779363cfe"}};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		hx(cases[i].mac, exp, 16);
		assert_int_equal(orsp_aes_cmac(key, 16, msg, cases[i].len, mac), ORSP_OK);
		assert_bytes_equal(mac, exp, 16);
	}
	assert_int_equal(orsp_aes_cmac(key, 8, msg, 16, mac), ORSP_E_USAGE);
	/* The keyed object gives the same MACs, one after another under one key, in any order. */
	orsp_aes_cmac_key *k = orsp_aes_cmac_key_new(key, 16);
	assert_non_null(k);
	for (int round = 0; round < 2; round++)
		for (size_t j = 0; j < ORSP_ARRAY_LEN(cases); j++) {
			size_t i = round ? ORSP_ARRAY_LEN(cases) - 1 - j : j;
			hx(cases[i].mac, exp, 16);
			assert_int_equal(orsp_aes_cmac_key_mac(k, msg, cases[i].len, mac), ORSP_OK);
			assert_bytes_equal(mac, exp, 16);
		}
	assert_int_equal(orsp_aes_cmac_key_mac(k, NULL, 5, mac), ORSP_E_USAGE);
	assert_int_equal(orsp_aes_cmac_key_mac(NULL, msg, 5, mac), ORSP_E_USAGE);
	orsp_aes_cmac_key_free(k);
	orsp_aes_cmac_key_free(NULL);
	assert_null(orsp_aes_cmac_key_new(key, 8));
	assert_null(orsp_aes_cmac_key_new(NULL, 16));
}

/* RFC 4231 test cases 1 and 2, and SHA-256 of "abc" (FIPS 180-2). */
static void test_sha256_hmac(void **state)
{
	(void)state;
	uint8_t out[32], exp[32], key[20];
	assert_int_equal(orsp_sha256("abc", 3, out), ORSP_OK);
	hx("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", exp, 32);
	assert_bytes_equal(out, exp, 32);

	memset(key, 0x0b, 20);
	assert_int_equal(orsp_hmac_sha256(key, 20, "Hi There", 8, out), ORSP_OK);
	hx("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", exp, 32);
	assert_bytes_equal(out, exp, 32);
	assert_int_equal(orsp_hmac_sha256((const uint8_t *)"Jefe", 4, "what do ya want for nothing?", 28,
	                                  out),
	                 ORSP_OK);
	hx("5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843", exp, 32);
	assert_bytes_equal(out, exp, 32);

	/* The keyed object: the same MACs, several in a row under one key. */
	orsp_hmac_key *k = orsp_hmac_key_new(key, 20);
	assert_non_null(k);
	for (int i = 0; i < 3; i++) {
		assert_int_equal(orsp_hmac_key_mac(k, "Hi There", 8, out), ORSP_OK);
		hx("b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7", exp, 32);
		assert_bytes_equal(out, exp, 32);
	}
	assert_int_equal(orsp_hmac_key_mac(k, NULL, 5, out), ORSP_E_USAGE);
	assert_int_equal(orsp_hmac_key_mac(NULL, "x", 1, out), ORSP_E_USAGE);
	orsp_hmac_key_free(k);
	orsp_hmac_key_free(NULL);
	assert_null(orsp_hmac_key_new(NULL, 20));
	assert_null(orsp_hmac_key_new(key, 0));
}

/* Split S = FC || P0 || L0 || ... || Pn || Ln from the end (each Li says how long Pi is), then
 * feed the parts to orsp_kdf_3gpp and compare with the vector's output. */
static void kdf_rows(const char *file, const char *key_col, const char *s_col, const char *out_col)
{
	tsv *t = tsv_load(file);
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t key[64], s[512], exp[32], out[32];
		size_t slen = tsv_hex(t, r, s_col, s, sizeof(s));
		size_t olen = tsv_hex(t, r, out_col, exp, sizeof(exp));
		if (tsv_absent(t, r, key_col)) {
			/* No key: a plain hash row (HXRES* = 128 LSB of SHA-256(RAND || XRES*)). */
			assert_int_equal(orsp_sha256(s, slen, out), ORSP_OK);
			assert_bytes_equal(out + 32 - olen, exp, olen);
			continue;
		}
		size_t klen = tsv_hex(t, r, key_col, key, sizeof(key));
		orsp_kdf_param p[16];
		size_t np = 0, end = slen;
		while (end > 1) {
			assert_true(end >= 3 && np < 16);
			size_t l = ((size_t)s[end - 2] << 8) | s[end - 1];
			assert_true(l + 2 <= end - 1);
			p[np].p = s + end - 2 - l;
			p[np].len = l;
			np++;
			end -= l + 2;
		}
		assert_int_equal(end, 1);
		for (size_t i = 0; i < np / 2; i++) { /* reverse into P0..Pn order */
			orsp_kdf_param tmp = p[i];
			p[i] = p[np - 1 - i];
			p[np - 1 - i] = tmp;
		}
		assert_int_equal(orsp_kdf_3gpp(key, klen, s[0], p, np, out), ORSP_OK);
		/* 128-bit outputs (RES*) are the 128 least significant bits (TS 33.501 A.4). */
		assert_bytes_equal(out + 32 - olen, exp, olen);
	}
	tsv_free(t);
}

static void test_kdf_3gpp_lte(void **state)
{
	(void)state;
	kdf_rows("kdf_lte.tsv", "key", "s", "output");
}

static void test_kdf_3gpp_5g(void **state)
{
	(void)state;
	kdf_rows("kdf_5g.tsv", "key", "s", "output");
}

/* RFC 5448 CK'/IK' = KDF(CK||IK, FC 0x20, network name, SQN xor AK): 256 bits split. */
static void test_kdf_3gpp_eap_aka_prime(void **state)
{
	(void)state;
	tsv *t = tsv_load("kdf_eap_aka_prime.tsv");
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t key[32], sqnak[6], ckp[16], ikp[16], out[32];
		tsv_hex(t, r, "ck", key, 16);
		tsv_hex(t, r, "ik", key + 16, 16);
		tsv_hex(t, r, "sqn_xor_ak", sqnak, 6);
		tsv_hex(t, r, "ck_prime", ckp, 16);
		tsv_hex(t, r, "ik_prime", ikp, 16);
		const char *name = tsv_get(t, r, "network_name");
		orsp_kdf_param p[2] = {{(const uint8_t *)name, strlen(name)}, {sqnak, 6}};
		assert_int_equal(orsp_kdf_3gpp(key, 32, 0x20, p, 2, out), ORSP_OK);
		assert_bytes_equal(out, ckp, 16);
		assert_bytes_equal(out + 16, ikp, 16);
	}
	tsv_free(t);
}

static void test_kdf_3gpp_limits(void **state)
{
	(void)state;
	static uint8_t big[70000];
	uint8_t key[32] = {0}, out[32];
	orsp_kdf_param p = {big, sizeof(big)};
	assert_int_equal(orsp_kdf_3gpp(key, 32, 0x10, &p, 1, out), ORSP_E_USAGE);
	p.len = 600; /* fits a length field, but S is longer than the KDF accepts */
	assert_int_equal(orsp_kdf_3gpp(key, 32, 0x10, &p, 1, out), ORSP_E_USAGE);
}

/* SGP.22 §2.6.4.x BSP key derivation: X9.63-SHA-256 over the ECKA shared secret. */
static void test_kdf_x963_bsp(void **state)
{
	(void)state;
	tsv *t = tsv_load("sgp22/bsp_kdf.tsv");
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t z[32], host[16], eid[16], exp[48], out[48], info[64];
		size_t zl = tsv_hex(t, r, "shared_secret", z, sizeof(z));
		size_t hl = tsv_hex(t, r, "host_id", host, sizeof(host));
		size_t el = tsv_hex(t, r, "eid", eid, sizeof(eid));
		uint8_t kt, klen = 0;
		tsv_hex(t, r, "key_type", &kt, 1);
		klen = (uint8_t)atoi(tsv_get(t, r, "key_length"));
		tsv_hex(t, r, "initial_mcv", exp, 16);
		tsv_hex(t, r, "s_enc", exp + 16, 16);
		tsv_hex(t, r, "s_mac", exp + 32, 16);
		orsp_writer w;
		orsp_writer_init(&w, info, sizeof(info));
		orsp_write_u8(&w, kt);
		orsp_write_u8(&w, klen);
		orsp_write_u8(&w, (uint8_t)hl);
		orsp_write_bytes(&w, host, hl);
		orsp_write_u8(&w, (uint8_t)el);
		orsp_write_bytes(&w, eid, el);
		assert_int_equal(orsp_writer_status(&w), ORSP_OK);
		assert_int_equal(orsp_kdf_x963_sha256(z, zl, info, w.len, out, 48), ORSP_OK);
		assert_bytes_equal(out, exp, 48);
	}
	tsv_free(t);
}

/* SGP.22 BSP step 1 (pySim mode51 trace): ICV = AES(S-ENC, counter 1), CBC with 80-padding,
 * C-MAC = first 8 bytes of CMAC(S-MAC, MCV || tag || length || ciphertext). */
static void test_bsp_step1_primitives(void **state)
{
	(void)state;
	tsv *t = tsv_load("sgp22/bsp_ciphering.tsv");
	uint8_t senc[16], smac[16], mcv[16], pt[16] = {0}, exp[64], ctr[16] = {0}, icv[16], ct[16];
	tsv_hex(t, 0, "s_enc", senc, 16);
	tsv_hex(t, 0, "s_mac", smac, 16);
	tsv_hex(t, 0, "initial_mcv_of_session", mcv, 16);
	size_t pl = tsv_hex(t, 0, "plaintext", pt, sizeof(pt));
	size_t el = tsv_hex(t, 0, "protected_tlv", exp, sizeof(exp));
	assert_true(pl < 16 && el == 2 + 16 + 8);
	pt[pl] = 0x80;
	ctr[15] = 1;
	assert_int_equal(orsp_aes_cbc_encrypt(senc, 16, (uint8_t[16]){0}, ctr, 16, icv), ORSP_OK);
	assert_int_equal(orsp_aes_cbc_encrypt(senc, 16, icv, pt, 16, ct), ORSP_OK);
	assert_bytes_equal(ct, exp + 2, 16);
	uint8_t macin[16 + 2 + 16], mac[16];
	memcpy(macin, mcv, 16);
	macin[16] = exp[0];
	macin[17] = exp[1];
	memcpy(macin + 18, ct, 16);
	assert_int_equal(orsp_aes_cmac(smac, 16, macin, sizeof(macin), mac), ORSP_OK);
	assert_bytes_equal(mac, exp + 18, 8);
	tsv_free(t);
}

static void test_random(void **state)
{
	(void)state;
	uint8_t a[32] = {0}, b[32] = {0}, zero[32] = {0};
	assert_int_equal(orsp_random(a, sizeof(a)), ORSP_OK);
	assert_int_equal(orsp_random(b, sizeof(b)), ORSP_OK);
	assert_false(memcmp(a, b, 32) == 0);
	assert_false(memcmp(a, zero, 32) == 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_aes_ecb_fips197),
		cmocka_unit_test(test_aes_ecb_multiblock),
		cmocka_unit_test(test_aes_cbc_sp800_38a),
		cmocka_unit_test(test_aes_gcm),
		cmocka_unit_test(test_aes_cmac_rfc4493),
		cmocka_unit_test(test_sha256_hmac),
		cmocka_unit_test(test_kdf_3gpp_lte),
		cmocka_unit_test(test_kdf_3gpp_5g),
		cmocka_unit_test(test_kdf_3gpp_eap_aka_prime),
		cmocka_unit_test(test_kdf_3gpp_limits),
		cmocka_unit_test(test_kdf_x963_bsp),
		cmocka_unit_test(test_bsp_step1_primitives),
		cmocka_unit_test(test_random),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
