/* AKA key derivations: KASME (TS 33.401 A.2) and the other kdf_lte.tsv rows through the
 * generic KDF, 5G RES*, HXRES*, KAUSF, KSEAF (TS 33.501 Annex A, kdf_5g.tsv), RFC 5448 CK'/IK'
 * (kdf_eap_aka_prime.tsv), PLMN identity and serving network name encodings. */
#include <stdlib.h>
#include <string.h>

#include "openrsp/aka.h"
#include "openrsp/crypto.h"
#include "testutil.h"

static void hx(const char *hex, uint8_t *out, size_t n)
{
	assert_int_equal(orsp_hex_decode_exact(hex, out, n), ORSP_OK);
}

/* Split a KDF input string S = FC || P0 || L0 || ... || Pn || Ln from its end. */
typedef struct kdf_s {
	uint8_t buf[512];
	size_t len;
	uint8_t fc;
	orsp_kdf_param p[8];
	size_t n;
} kdf_s;

static void split_s(const tsv *t, size_t r, kdf_s *s)
{
	s->len = tsv_hex(t, r, "s", s->buf, sizeof(s->buf));
	assert_true(s->len >= 1);
	s->fc = s->buf[0];
	orsp_kdf_param rev[8];
	size_t n = 0, end = s->len;
	while (end > 1) {
		assert_true(end >= 3 && n < 8);
		size_t l = (size_t)s->buf[end - 2] << 8 | s->buf[end - 1];
		assert_true(l + 2 <= end - 1);
		rev[n].p = s->buf + end - 2 - l;
		rev[n].len = l;
		n++;
		end -= 2 + l;
	}
	assert_int_equal(end, 1);
	s->n = n;
	for (size_t i = 0; i < n; i++)
		s->p[i] = rev[n - 1 - i];
}

/* Every kdf_lte.tsv row through orsp_kdf_3gpp; the KASME row also through orsp_kdf_kasme. */
static void test_kdf_lte(void **state)
{
	(void)state;
	tsv *t = tsv_load("kdf_lte.tsv");
	assert_int_equal(tsv_rows(t), 13);
	size_t kasme_rows = 0;
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t key[32], want[32], out[32];
		kdf_s s;
		assert_int_equal(tsv_hex(t, r, "key", key, 32), 32);
		assert_int_equal(tsv_hex(t, r, "output", want, 32), 32);
		split_s(t, r, &s);
		assert_int_equal(orsp_kdf_3gpp(key, 32, s.fc, s.p, s.n, out), ORSP_OK);
		assert_bytes_equal(out, want, 32);

		if (s.fc == 0x10) {
			/* P0 = SN id, P1 = SQN xor AK */
			assert_int_equal(s.n, 2);
			assert_int_equal(s.p[0].len, 3);
			assert_int_equal(s.p[1].len, 6);
			assert_int_equal(orsp_kdf_kasme(key, key + 16, s.p[0].p, s.p[1].p, out),
			                 ORSP_OK);
			assert_bytes_equal(out, want, 32);
			/* The row's SN id is MCC 001 / MNC 01. */
			uint8_t plmn[3];
			assert_int_equal(orsp_plmn_encode("00101", plmn), ORSP_OK);
			assert_bytes_equal(plmn, s.p[0].p, 3);
			kasme_rows++;
		}
	}
	assert_int_equal(kasme_rows, 1);
	tsv_free(t);
}

static const char *row_with(const tsv *t, size_t *row, const char *prefix)
{
	for (size_t r = 0; r < tsv_rows(t); r++)
		if (strncmp(tsv_get(t, r, "derivation"), prefix, strlen(prefix)) == 0) {
			*row = r;
			return tsv_get(t, r, "id");
		}
	fail_msg("no row for %s", prefix);
	return NULL;
}

static void test_kdf_5g(void **state)
{
	(void)state;
	tsv *t = tsv_load("kdf_5g.tsv");
	char snn[64];
	assert_int_equal(orsp_snn_from_plmn("00101", snn, sizeof(snn)), ORSP_OK);
	size_t res_rows = 0;

	for (size_t r = 0; r < tsv_rows(t); r++) {
		const char *d = tsv_get(t, r, "derivation");
		uint8_t key[32], want[32], out[32];
		kdf_s s;
		size_t want_len = tsv_hex(t, r, "output", want, sizeof(want));
		if (strncmp(d, "HXRES*", 6) == 0)
			continue; /* S = RAND || XRES* is not a KDF string; checked below */
		split_s(t, r, &s);
		assert_int_equal(tsv_hex(t, r, "key", key, 32), 32);
		/* The generic KDF over the row's S; RES* keeps the 128 least significant bits. */
		assert_int_equal(orsp_kdf_3gpp(key, 32, s.fc, s.p, s.n, out), ORSP_OK);
		assert_bytes_equal(out + 32 - want_len, want, want_len);

		if (strncmp(d, "RES*", 4) == 0) {
			assert_int_equal(s.fc, 0x6b);
			assert_int_equal(s.n, 3);
			/* P0 is the SNN for MCC 001 / MNC 01 */
			assert_int_equal(s.p[0].len, strlen(snn));
			assert_memory_equal(s.p[0].p, snn, strlen(snn));
			assert_int_equal(s.p[1].len, 16);
			assert_int_equal(want_len, 16);
			assert_int_equal(orsp_kdf_res_star(key, key + 16, snn, s.p[1].p, s.p[2].p,
			                                   s.p[2].len, out),
			                 ORSP_OK);
			assert_bytes_equal(out, want, 16);
			res_rows++;
		}
	}
	assert_int_equal(res_rows, 2);

	size_t r = 0;
	uint8_t in[32], want[32], out[32], key[32];
	/* HXRES* (A.5) */
	row_with(t, &r, "HXRES*");
	assert_int_equal(tsv_hex(t, r, "s", in, 32), 32);
	assert_int_equal(tsv_hex(t, r, "output", want, 16), 16);
	assert_int_equal(orsp_kdf_hxres_star(in, in + 16, out), ORSP_OK);
	assert_bytes_equal(out, want, 16);

	/* KAUSF (A.2): S = 6A || SNN || L || SQN xor AK || 0006 */
	kdf_s s;
	row_with(t, &r, "KAUSF");
	split_s(t, r, &s);
	assert_int_equal(s.n, 2);
	assert_int_equal(s.p[1].len, 6);
	assert_int_equal(tsv_hex(t, r, "key", key, 32), 32);
	assert_int_equal(tsv_hex(t, r, "output", want, 32), 32);
	assert_int_equal(orsp_kdf_kausf(key, key + 16, snn, s.p[1].p, out), ORSP_OK);
	assert_bytes_equal(out, want, 32);

	/* KSEAF (A.6), keyed with the KAUSF above */
	uint8_t kausf[32];
	memcpy(kausf, want, 32);
	row_with(t, &r, "KSEAF");
	assert_int_equal(tsv_hex(t, r, "key", key, 32), 32);
	assert_bytes_equal(key, kausf, 32);
	assert_int_equal(tsv_hex(t, r, "output", want, 32), 32);
	assert_int_equal(orsp_kdf_kseaf(kausf, snn, out), ORSP_OK);
	assert_bytes_equal(out, want, 32);
	tsv_free(t);
}

/* RFC 5448 Appendix C: CK' || IK' = KDF(CK || IK, 0x20, network name, SQN xor AK). */
static void test_eap_aka_prime(void **state)
{
	(void)state;
	tsv *t = tsv_load("kdf_eap_aka_prime.tsv");
	assert_int_equal(tsv_rows(t), 4);
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t key[32], sqn_ak[6], want[32], out[32];
		kdf_s s;
		assert_int_equal(tsv_hex(t, r, "ck", key, 16), 16);
		assert_int_equal(tsv_hex(t, r, "ik", key + 16, 16), 16);
		assert_int_equal(tsv_hex(t, r, "sqn_xor_ak", sqn_ak, 6), 6);
		assert_int_equal(tsv_hex(t, r, "ck_prime", want, 16), 16);
		assert_int_equal(tsv_hex(t, r, "ik_prime", want + 16, 16), 16);
		const char *name = tsv_get(t, r, "network_name");
		split_s(t, r, &s);
		assert_int_equal(s.fc, 0x20);
		assert_int_equal(s.n, 2);
		assert_memory_equal(s.p[0].p, name, strlen(name));
		assert_memory_equal(s.p[1].p, sqn_ak, 6);
		assert_int_equal(orsp_kdf_3gpp(key, 32, s.fc, s.p, s.n, out), ORSP_OK);
		assert_bytes_equal(out, want, 32);
	}
	tsv_free(t);
}

/* TS 24.008 §10.5.1.3 PLMN identity: expected octets written from the spec layout (and
 * the well-known identities of 262-01 and 310-260). */
static void test_plmn_encode(void **state)
{
	(void)state;
	static const struct {
		const char *in, *hex;
	} ok[] = {
	    {"00101", "00f110"},   {"001-01", "00f110"}, {"26201", "62f210"},  {"310260", "130062"},
	    {"310-260", "130062"}, {"001001", "001100"}, {"999999", "999999"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(ok); i++) {
		uint8_t out[3], want[3];
		hx(ok[i].hex, want, 3);
		assert_int_equal(orsp_plmn_encode(ok[i].in, out), ORSP_OK);
		assert_bytes_equal(out, want, 3);
	}
	static const char *const bad[] = {"",        "0010",    "0010011", "00a01",  "001-0",
	                                  "001--01", "-00101",  "00101-",  "0010-1", " 00101",
	                                  "001 01",  "00101\n", "001-0011"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		uint8_t out[3];
		assert_int_equal(orsp_plmn_encode(bad[i], out), ORSP_E_MALFORMED);
	}
	uint8_t out[3];
	assert_int_equal(orsp_plmn_encode(NULL, out), ORSP_E_USAGE);
}

static void test_snn(void **state)
{
	(void)state;
	char snn[64];
	assert_int_equal(orsp_snn_from_plmn("00101", snn, sizeof(snn)), ORSP_OK);
	assert_string_equal(snn, "5G:mnc001.mcc001.3gppnetwork.org");
	assert_int_equal(orsp_snn_from_plmn("310260", snn, sizeof(snn)), ORSP_OK);
	assert_string_equal(snn, "5G:mnc260.mcc310.3gppnetwork.org");
	assert_int_equal(orsp_snn_from_plmn("262-01", snn, sizeof(snn)), ORSP_OK);
	assert_string_equal(snn, "5G:mnc001.mcc262.3gppnetwork.org");
	/* 32 characters need 33 bytes */
	assert_int_equal(orsp_snn_from_plmn("00101", snn, 33), ORSP_OK);
	assert_int_equal(orsp_snn_from_plmn("00101", snn, 32), ORSP_E_RESOURCE);
	assert_string_equal(snn, "");
	assert_int_equal(orsp_snn_from_plmn("0010", snn, sizeof(snn)), ORSP_E_MALFORMED);
	assert_int_equal(orsp_snn_from_plmn("00101", NULL, 10), ORSP_E_USAGE);
}

static void test_kdf_bad_args(void **state)
{
	(void)state;
	uint8_t ck[16] = {0}, ik[16] = {0}, rand[16] = {0}, res[32] = {0}, out[32], k[32] = {0};
	const char *snn = "5G:mnc001.mcc001.3gppnetwork.org";
	assert_int_equal(orsp_kdf_res_star(ck, ik, snn, rand, res, 3, out), ORSP_E_USAGE);
	assert_int_equal(orsp_kdf_res_star(ck, ik, snn, rand, res, 33, out), ORSP_E_USAGE);
	assert_int_equal(orsp_kdf_res_star(ck, ik, "", rand, res, 8, out), ORSP_E_USAGE);
	assert_int_equal(orsp_kdf_res_star(ck, ik, NULL, rand, res, 8, out), ORSP_E_USAGE);
	assert_int_equal(orsp_kdf_res_star(ck, ik, snn, rand, res, 4, out), ORSP_OK);
	assert_int_equal(orsp_kdf_kausf(ck, ik, "", res, out), ORSP_E_USAGE);
	assert_int_equal(orsp_kdf_kseaf(k, "", out), ORSP_E_USAGE);
	assert_int_equal(orsp_kdf_kseaf(NULL, snn, out), ORSP_E_USAGE);
	assert_int_equal(orsp_kdf_hxres_star(NULL, res, out), ORSP_E_USAGE);
	assert_int_equal(orsp_kdf_kasme(ck, ik, NULL, res, out), ORSP_E_USAGE);
	/* An SNN longer than 255 characters is refused. */
	char longsnn[300];
	memset(longsnn, 'a', sizeof(longsnn) - 1);
	longsnn[sizeof(longsnn) - 1] = '\0';
	assert_int_equal(orsp_kdf_kseaf(k, longsnn, out), ORSP_E_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kdf_lte),       cmocka_unit_test(test_kdf_5g),
	    cmocka_unit_test(test_eap_aka_prime), cmocka_unit_test(test_plmn_encode),
	    cmocka_unit_test(test_snn),           cmocka_unit_test(test_kdf_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
