/* TUAK (TS 35.231) against published data: Keccak-f[1600] permutation sets
 * (tuak_keccak.tsv, TS 35.232) and TUAK test sets 1-6 (tuak.tsv, TS 35.233): TOPc, f1,
 * f1*, f2..f5 at their lengths and f5*; plus rejection of bad parameters. */
#include <stdlib.h>
#include <string.h>

#include "openrsp/aka.h"
#include "testutil.h"

static void col(const tsv *t, size_t r, const char *name, uint8_t *out, size_t n)
{
	assert_int_equal(tsv_hex(t, r, name, out, n), n);
}

static unsigned ucol(const tsv *t, size_t r, const char *name)
{
	return (unsigned)strtoul(tsv_get(t, r, name), NULL, 10);
}

static void test_keccak_sets(void **state)
{
	(void)state;
	tsv *t = tsv_load("tuak_keccak.tsv");
	assert_int_equal(tsv_rows(t), 6);
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t st[200], want[200];
		col(t, r, "input", st, 200);
		col(t, r, "output", want, 200);
		orsp_keccak_f1600(st);
		assert_bytes_equal(st, want, 200);
	}
	tsv_free(t);
}

static void test_tuak_sets(void **state)
{
	(void)state;
	tsv *t = tsv_load("tuak.tsv");
	assert_int_equal(tsv_rows(t), 6);
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t k[32], rand[16], sqn[6], amf[2], top[32], topc[32], v[32], calc[32];
		size_t k_len = ucol(t, r, "k_bits") / 8;
		orsp_tuak_params p;
		p.keccak_iterations = ucol(t, r, "keccak_iterations");
		p.mac_bits = ucol(t, r, "mac_bits");
		p.res_bits = ucol(t, r, "res_bits");
		p.ck_bits = ucol(t, r, "ck_bits");
		p.ik_bits = ucol(t, r, "ik_bits");
		assert_int_equal(orsp_tuak_check_params(&p), ORSP_OK);

		col(t, r, "k", k, k_len);
		col(t, r, "rand", rand, 16);
		col(t, r, "sqn", sqn, 6);
		col(t, r, "amf", amf, 2);
		col(t, r, "top", top, 32);
		col(t, r, "topc", topc, 32);

		assert_int_equal(orsp_tuak_topc(k, k_len, top, p.keccak_iterations, calc), ORSP_OK);
		assert_bytes_equal(calc, topc, 32);

		orsp_tuak_out o;
		assert_int_equal(orsp_tuak_compute(k, k_len, topc, &p, rand, sqn, amf, &o),
		                 ORSP_OK);
		col(t, r, "f1_mac_a", v, p.mac_bits / 8);
		assert_bytes_equal(o.mac_a, v, p.mac_bits / 8);
		col(t, r, "f1star_mac_s", v, p.mac_bits / 8);
		assert_bytes_equal(o.mac_s, v, p.mac_bits / 8);
		col(t, r, "f2_res", v, p.res_bits / 8);
		assert_bytes_equal(o.res, v, p.res_bits / 8);
		col(t, r, "f3_ck", v, p.ck_bits / 8);
		assert_bytes_equal(o.ck, v, p.ck_bits / 8);
		col(t, r, "f4_ik", v, p.ik_bits / 8);
		assert_bytes_equal(o.ik, v, p.ik_bits / 8);
		col(t, r, "f5_ak", v, 6);
		assert_bytes_equal(o.ak, v, 6);
		col(t, r, "f5star_ak_star", v, 6);
		assert_bytes_equal(o.ak_star, v, 6);

		/* Through the subscriber API: AUTN = SQN xor AK || AMF || first 64 bits of MAC. */
		orsp_aka_subscriber s;
		assert_int_equal(orsp_aka_subscriber_init(&s, ORSP_AKA_TUAK, k, k_len, topc, 32),
		                 ORSP_OK);
		s.tuak = p;
		orsp_aka_vector av;
		assert_int_equal(orsp_aka_generate(&s, rand, sqn, amf, &av), ORSP_OK);
		assert_int_equal(av.xres_len, p.res_bits / 8);
		assert_int_equal(av.ck_len, p.ck_bits / 8);
		assert_int_equal(av.ik_len, p.ik_bits / 8);
		col(t, r, "f2_res", v, p.res_bits / 8);
		assert_bytes_equal(av.xres, v, av.xres_len);
		col(t, r, "f5_ak", v, 6);
		for (int i = 0; i < 6; i++)
			assert_int_equal(av.autn[i], sqn[i] ^ v[i]);
		assert_bytes_equal(av.autn + 6, amf, 2);
		col(t, r, "f1_mac_a", v, p.mac_bits / 8);
		assert_bytes_equal(av.autn + 8, v, 8);
		orsp_aka_vector_wipe(&av);
		orsp_aka_subscriber_wipe(&s);
	}
	tsv_free(t);
}

/* f1/f1* are skipped without SQN or AMF; the other outputs do not change. */
static void test_tuak_no_f1(void **state)
{
	(void)state;
	tsv *t = tsv_load("tuak.tsv");
	uint8_t k[16], rand[16], topc[32], v[16];
	static const uint8_t zero[32];
	col(t, 0, "k", k, 16);
	col(t, 0, "rand", rand, 16);
	col(t, 0, "topc", topc, 32);
	orsp_tuak_params p;
	orsp_tuak_default_params(&p);
	p.res_bits = ucol(t, 0, "res_bits");
	orsp_tuak_out o;
	assert_int_equal(orsp_tuak_compute(k, 16, topc, &p, rand, NULL, NULL, &o), ORSP_OK);
	assert_bytes_equal(o.mac_a, zero, 32);
	assert_bytes_equal(o.mac_s, zero, 32);
	col(t, 0, "f3_ck", v, 16);
	assert_bytes_equal(o.ck, v, 16);
	col(t, 0, "f5star_ak_star", v, 6);
	assert_bytes_equal(o.ak_star, v, 6);
	tsv_free(t);
}

static void test_defaults(void **state)
{
	(void)state;
	orsp_tuak_params p;
	orsp_tuak_default_params(&p);
	assert_int_equal(p.keccak_iterations, 1);
	assert_int_equal(p.mac_bits, 64);
	assert_int_equal(p.res_bits, 64);
	assert_int_equal(p.ck_bits, 128);
	assert_int_equal(p.ik_bits, 128);
	assert_int_equal(orsp_tuak_check_params(&p), ORSP_OK);
}

static void test_bad_params(void **state)
{
	(void)state;
	uint8_t k[32] = {0}, topc[32] = {0}, rand[16] = {0}, out[32];
	orsp_tuak_params p;
	orsp_tuak_out o;

	assert_int_equal(orsp_tuak_check_params(NULL), ORSP_E_USAGE);
	static const struct {
		unsigned it, mac, res, ck, ik;
	} bad[] = {
	    {0, 64, 64, 128, 128},     {1, 32, 64, 128, 128}, {1, 96, 64, 128, 128},
	    {1, 512, 64, 128, 128},    {1, 64, 16, 128, 128}, {1, 64, 48, 128, 128},
	    {1, 64, 512, 128, 128},    {1, 64, 64, 64, 128},  {1, 64, 64, 192, 128},
	    {1, 64, 64, 128, 0},       {1, 64, 64, 128, 512}, {256, 64, 64, 128, 128},
	    {65536, 64, 64, 128, 128},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		p.keccak_iterations = bad[i].it;
		p.mac_bits = bad[i].mac;
		p.res_bits = bad[i].res;
		p.ck_bits = bad[i].ck;
		p.ik_bits = bad[i].ik;
		assert_int_equal(orsp_tuak_check_params(&p), ORSP_E_USAGE);
		assert_int_equal(orsp_tuak_compute(k, 16, topc, &p, rand, NULL, NULL, &o),
		                 ORSP_E_USAGE);
	}

	/* at most 255 Keccak iterations (numberOfKeccak is a UInt8): TOPc too */
	orsp_tuak_default_params(&p);
	p.keccak_iterations = ORSP_TUAK_MAX_KECCAK;
	assert_int_equal(ORSP_TUAK_MAX_KECCAK, 255);
	assert_int_equal(orsp_tuak_check_params(&p), ORSP_OK);
	assert_int_equal(orsp_tuak_compute(k, 16, topc, &p, rand, NULL, NULL, &o), ORSP_OK);
	assert_int_equal(orsp_tuak_topc(k, 16, topc, 255, out), ORSP_OK);
	assert_int_equal(orsp_tuak_topc(k, 16, topc, 256, out), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "256 above 255"));
	assert_int_equal(orsp_tuak_topc(k, 16, topc, 65536, out), ORSP_E_USAGE);

	orsp_tuak_default_params(&p);
	/* K of 24 or 0 octets */
	assert_int_equal(orsp_tuak_compute(k, 24, topc, &p, rand, NULL, NULL, &o), ORSP_E_USAGE);
	assert_int_equal(orsp_tuak_compute(k, 0, topc, &p, rand, NULL, NULL, &o), ORSP_E_USAGE);
	assert_int_equal(orsp_tuak_topc(k, 24, topc, 1, out), ORSP_E_USAGE);
	assert_int_equal(orsp_tuak_topc(k, 16, topc, 0, out), ORSP_E_USAGE);
	assert_int_equal(orsp_tuak_compute(NULL, 16, topc, &p, rand, NULL, NULL, &o), ORSP_E_USAGE);
	assert_int_equal(orsp_tuak_compute(k, 16, topc, NULL, rand, NULL, NULL, &o), ORSP_E_USAGE);

	/* Subscriber: TOPc must be 32 octets, K 16 or 32; bad params caught at generate. */
	orsp_aka_subscriber s;
	assert_int_equal(orsp_aka_subscriber_init(&s, ORSP_AKA_TUAK, k, 16, topc, 16),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_aka_subscriber_init(&s, ORSP_AKA_TUAK, k, 20, topc, 32),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_aka_subscriber_init(&s, ORSP_AKA_TUAK, k, 32, topc, 32), ORSP_OK);
	s.tuak.res_bits = 48;
	orsp_aka_vector av;
	uint8_t sqn[6] = {0}, amf[2] = {0};
	assert_int_equal(orsp_aka_generate(&s, rand, sqn, amf, &av), ORSP_E_USAGE);
	orsp_aka_subscriber_wipe(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_keccak_sets), cmocka_unit_test(test_tuak_sets),
	    cmocka_unit_test(test_tuak_no_f1),  cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_bad_params),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
