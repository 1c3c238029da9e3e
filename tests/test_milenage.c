/* Milenage against published data: TS 35.208 test sets 1-20 (milenage.tsv), OPc pairs
 * (milenage_opc.tsv), TS 55.205 GSM-Milenage (milenage_gsm.tsv) and complete project AKA
 * vectors with AUTN and 2G conversions (milenage_aka_project.tsv); plus the configurable
 * constants r1..r5 / c1..c5 checked against an independent bit-level rotation. */
#include <stdlib.h>
#include <string.h>

#include "openrsp/aka.h"
#include "openrsp/crypto.h"
#include "testutil.h"

static void col(const tsv *t, size_t r, const char *name, uint8_t *out, size_t n)
{
	assert_int_equal(tsv_hex(t, r, name, out, n), n);
}

/* TS 35.208 sets 1-20: OPc from OP, then f1, f1*, f2, f3, f4, f5, f5*. */
static void test_ts35208_sets(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	assert_int_equal(tsv_rows(t), 20);
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t k[16], rand[16], sqn[6], amf[2], op[16], opc[16], opc_calc[16];
		uint8_t mac_a[8], mac_s[8], res[8], ck[16], ik[16], ak[6], ak_star[6];
		col(t, r, "k", k, 16);
		col(t, r, "rand", rand, 16);
		col(t, r, "sqn", sqn, 6);
		col(t, r, "amf", amf, 2);
		col(t, r, "op", op, 16);
		col(t, r, "opc", opc, 16);
		col(t, r, "f1_mac_a", mac_a, 8);
		col(t, r, "f1star_mac_s", mac_s, 8);
		col(t, r, "f2_res", res, 8);
		col(t, r, "f3_ck", ck, 16);
		col(t, r, "f4_ik", ik, 16);
		col(t, r, "f5_ak", ak, 6);
		col(t, r, "f5star_ak_star", ak_star, 6);

		assert_int_equal(orsp_milenage_opc(k, op, opc_calc), ORSP_OK);
		assert_bytes_equal(opc_calc, opc, 16);

		orsp_milenage *m = orsp_milenage_new(k, opc, NULL);
		assert_non_null(m);
		orsp_milenage_out o;
		assert_int_equal(orsp_milenage_compute(m, rand, sqn, amf, &o), ORSP_OK);
		assert_bytes_equal(o.mac_a, mac_a, 8);
		assert_bytes_equal(o.mac_s, mac_s, 8);
		assert_bytes_equal(o.res, res, 8);
		assert_bytes_equal(o.ck, ck, 16);
		assert_bytes_equal(o.ik, ik, 16);
		assert_bytes_equal(o.ak, ak, 6);
		assert_bytes_equal(o.ak_star, ak_star, 6);

		/* Without SQN/AMF: f1/f1* skipped (zero), the rest unchanged. */
		static const uint8_t zero[8];
		assert_int_equal(orsp_milenage_compute(m, rand, NULL, amf, &o), ORSP_OK);
		assert_bytes_equal(o.mac_a, zero, 8);
		assert_bytes_equal(o.mac_s, zero, 8);
		assert_bytes_equal(o.res, res, 8);
		assert_bytes_equal(o.ck, ck, 16);
		assert_bytes_equal(o.ik, ik, 16);
		assert_bytes_equal(o.ak, ak, 6);
		assert_bytes_equal(o.ak_star, ak_star, 6);
		orsp_milenage_free(m);
	}
	tsv_free(t);
}

/* The batched call equals one call per vector, for every count across the chunk size, with
 * per-vector RAND and SQN (taken from the 20 TS 35.208 sets, under the set 1 key). */
static void test_compute_many(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	uint8_t k[16], opc[16], amf[2], rand[20][16], sqn[20][6];
	col(t, 0, "k", k, 16);
	col(t, 0, "opc", opc, 16);
	col(t, 0, "amf", amf, 2);
	for (size_t r = 0; r < 20; r++) {
		col(t, r, "rand", rand[r], 16);
		col(t, r, "sqn", sqn[r], 6);
	}
	orsp_milenage *m = orsp_milenage_new(k, opc, NULL);
	assert_non_null(m);
	for (size_t n = 0; n <= 20; n++) {
		for (int with_sqn = 0; with_sqn < 2; with_sqn++) {
			orsp_milenage_out many[20], one;
			memset(many, 0xa5, sizeof(many));
			assert_int_equal(orsp_milenage_compute_many(m, n, rand, with_sqn ? sqn : NULL,
			                                            amf, many),
			                 ORSP_OK);
			for (size_t i = 0; i < n; i++) {
				assert_int_equal(orsp_milenage_compute(m, rand[i],
				                                       with_sqn ? sqn[i] : NULL, amf, &one),
				                 ORSP_OK);
				assert_bytes_equal(&many[i], &one, sizeof(one));
			}
		}
	}
	orsp_milenage_out o;
	assert_int_equal(orsp_milenage_compute_many(NULL, 1, rand, sqn, amf, &o), ORSP_E_USAGE);
	assert_int_equal(orsp_milenage_compute_many(m, 1, NULL, sqn, amf, &o), ORSP_E_USAGE);
	orsp_milenage_free(m);
	tsv_free(t);
}

static void test_opc_pairs(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage_opc.tsv");
	assert_int_equal(tsv_rows(t), 4);
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t k[16], op[16], opc[16], out[16];
		col(t, r, "k", k, 16);
		col(t, r, "op", op, 16);
		col(t, r, "opc", opc, 16);
		assert_int_equal(orsp_milenage_opc(k, op, out), ORSP_OK);
		assert_bytes_equal(out, opc, 16);
	}
	tsv_free(t);
}

/* TS 55.205 sets 1-19: SRES#2 and Kc from orsp_gsm_milenage; SRES#1 = c2 over RES. */
static void test_gsm_milenage(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage_gsm.tsv");
	assert_int_equal(tsv_rows(t), 19);
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t k[16], rand[16], opc[16], sres1[4], sres2[4], kc[8], s[4], c[8];
		col(t, r, "k", k, 16);
		col(t, r, "rand", rand, 16);
		col(t, r, "opc", opc, 16);
		col(t, r, "sres1", sres1, 4);
		col(t, r, "sres2", sres2, 4);
		col(t, r, "kc", kc, 8);
		assert_int_equal(orsp_gsm_milenage(k, opc, rand, s, c), ORSP_OK);
		assert_bytes_equal(s, sres2, 4);
		assert_bytes_equal(c, kc, 8);

		orsp_milenage *m = orsp_milenage_new(k, opc, NULL);
		assert_non_null(m);
		orsp_milenage_out o;
		assert_int_equal(orsp_milenage_compute(m, rand, NULL, NULL, &o), ORSP_OK);
		orsp_gsm_sres_c2(o.res, 8, s);
		assert_bytes_equal(s, sres1, 4);
		orsp_gsm_kc_c3(o.ck, o.ik, c);
		assert_bytes_equal(c, kc, 8);
		orsp_milenage_free(m);
	}
	tsv_free(t);
}

/* Project vectors: AUTN through orsp_aka_generate, plus whatever else the source gives. */
static void test_aka_project(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage_aka_project.tsv");
	assert_int_equal(tsv_rows(t), 4);
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t k[16], op[16], opc[16], rand[16], sqn[6], amf[2], autn[16], v[16];
		col(t, r, "k", k, 16);
		col(t, r, "opc", opc, 16);
		col(t, r, "rand", rand, 16);
		col(t, r, "sqn", sqn, 6);
		col(t, r, "amf", amf, 2);
		col(t, r, "autn", autn, 16);
		if (!tsv_absent(t, r, "op")) {
			col(t, r, "op", op, 16);
			assert_int_equal(orsp_milenage_opc(k, op, v), ORSP_OK);
			assert_bytes_equal(v, opc, 16);
		}
		orsp_aka_subscriber s;
		assert_int_equal(orsp_aka_subscriber_init(&s, ORSP_AKA_MILENAGE, k, 16, opc, 16),
		                 ORSP_OK);
		orsp_aka_vector av;
		assert_int_equal(orsp_aka_generate(&s, rand, sqn, amf, &av), ORSP_OK);
		assert_bytes_equal(av.autn, autn, 16);
		assert_int_equal(av.xres_len, 8);
		assert_int_equal(av.ck_len, 16);
		assert_int_equal(av.ik_len, 16);
		if (!tsv_absent(t, r, "mac_a")) {
			col(t, r, "mac_a", v, 8);
			assert_bytes_equal(av.mac_a, v, 8);
		}
		if (!tsv_absent(t, r, "res")) {
			col(t, r, "res", v, 8);
			assert_bytes_equal(av.xres, v, 8);
		}
		if (!tsv_absent(t, r, "ck")) {
			col(t, r, "ck", v, 16);
			assert_bytes_equal(av.ck, v, 16);
		}
		if (!tsv_absent(t, r, "ik")) {
			col(t, r, "ik", v, 16);
			assert_bytes_equal(av.ik, v, 16);
		}
		if (!tsv_absent(t, r, "ak")) {
			col(t, r, "ak", v, 6);
			assert_bytes_equal(av.ak, v, 6);
		}
		if (!tsv_absent(t, r, "mac_s") || !tsv_absent(t, r, "ak_star")) {
			orsp_milenage *m = orsp_milenage_new(k, opc, NULL);
			assert_non_null(m);
			orsp_milenage_out o;
			assert_int_equal(orsp_milenage_compute(m, rand, sqn, amf, &o), ORSP_OK);
			if (!tsv_absent(t, r, "mac_s")) {
				col(t, r, "mac_s", v, 8);
				assert_bytes_equal(o.mac_s, v, 8);
			}
			if (!tsv_absent(t, r, "ak_star")) {
				col(t, r, "ak_star", v, 6);
				assert_bytes_equal(o.ak_star, v, 6);
			}
			orsp_milenage_free(m);
		}
		if (!tsv_absent(t, r, "sres_c2")) {
			uint8_t s2[4], inplace[16];
			col(t, r, "sres_c2", v, 4);
			orsp_gsm_sres_c2(av.xres, av.xres_len, s2);
			assert_bytes_equal(s2, v, 4);
			/* in place of RES (it was cleared first: SRES 00000000) */
			memcpy(inplace, av.xres, av.xres_len);
			orsp_gsm_sres_c2(inplace, av.xres_len, inplace);
			assert_bytes_equal(inplace, v, 4);
		}
		{
			/* the vector made again from its own RAND, SQN and AMF: the same (out was
			 * cleared before they were read: a vector for zeros) */
			orsp_aka_vector again = av;
			assert_int_equal(
			    orsp_aka_generate(&s, again.rand, again.sqn, again.amf, &again),
			    ORSP_OK);
			assert_bytes_equal(again.autn, av.autn, 16);
			assert_bytes_equal(again.xres, av.xres, av.xres_len);
			orsp_aka_vector_wipe(&again);
		}
		if (!tsv_absent(t, r, "kc_c3")) {
			uint8_t kc[8];
			col(t, r, "kc_c3", v, 8);
			orsp_gsm_kc_c3(av.ck, av.ik, kc);
			assert_bytes_equal(kc, v, 8);
		}
		orsp_aka_vector_wipe(&av);
		orsp_aka_subscriber_wipe(&s);
	}
	tsv_free(t);
}

/* Set 1 inputs, used by the constant tests below. */
static void set1(uint8_t k[16], uint8_t opc[16], uint8_t rand[16], uint8_t sqn[6], uint8_t amf[2])
{
	tsv *t = tsv_load("milenage.tsv");
	col(t, 0, "k", k, 16);
	col(t, 0, "opc", opc, 16);
	col(t, 0, "rand", rand, 16);
	col(t, 0, "sqn", sqn, 6);
	col(t, 0, "amf", amf, 2);
	tsv_free(t);
}

static void compute_with(const orsp_milenage_consts *c, orsp_milenage_out *o)
{
	uint8_t k[16], opc[16], rand[16], sqn[6], amf[2];
	set1(k, opc, rand, sqn, amf);
	orsp_milenage *m = orsp_milenage_new(k, opc, c);
	assert_non_null(m);
	assert_int_equal(orsp_milenage_compute(m, rand, sqn, amf, o), ORSP_OK);
	orsp_milenage_free(m);
}

/* The TS 35.206 defaults, written out here from the spec text (r1..r5 = 64, 0, 32, 64, 96;
 * c1 = 0, c2..c5 = 1, 2, 4, 8), behave exactly like consts = NULL. */
static void test_default_consts(void **state)
{
	(void)state;
	orsp_milenage_consts c, d;
	memset(&c, 0, sizeof(c));
	c.r[0] = 64;
	c.r[1] = 0;
	c.r[2] = 32;
	c.r[3] = 64;
	c.r[4] = 96;
	c.c[1][15] = 1;
	c.c[2][15] = 2;
	c.c[3][15] = 4;
	c.c[4][15] = 8;
	orsp_milenage_default_consts(&d);
	assert_memory_equal(&c, &d, sizeof(c));

	orsp_milenage_out a, b;
	compute_with(NULL, &a);
	compute_with(&c, &b);
	assert_memory_equal(&a, &b, sizeof(a));
}

/* Changing one constant changes exactly the outputs that depend on it. */
static void test_custom_consts_change_output(void **state)
{
	(void)state;
	orsp_milenage_out base, o;
	orsp_milenage_consts c;
	compute_with(NULL, &base);

	/* c1 only feeds OUT1 (f1, f1*). */
	orsp_milenage_default_consts(&c);
	c.c[0][0] = 0x80;
	compute_with(&c, &o);
	assert_memory_not_equal(o.mac_a, base.mac_a, 8);
	assert_memory_not_equal(o.mac_s, base.mac_s, 8);
	assert_memory_equal(o.res, base.res, 8);
	assert_memory_equal(o.ck, base.ck, 16);
	assert_memory_equal(o.ik, base.ik, 16);
	assert_memory_equal(o.ak_star, base.ak_star, 6);

	/* r2 only feeds OUT2 (f2, f5). */
	orsp_milenage_default_consts(&c);
	c.r[1] = 8;
	compute_with(&c, &o);
	assert_memory_not_equal(o.res, base.res, 8);
	assert_memory_not_equal(o.ak, base.ak, 6);
	assert_memory_equal(o.mac_a, base.mac_a, 8);
	assert_memory_equal(o.ck, base.ck, 16);

	/* c3 -> CK, r4 -> IK, c5 -> AK*. */
	orsp_milenage_default_consts(&c);
	c.c[2][15] = 0x22;
	compute_with(&c, &o);
	assert_memory_not_equal(o.ck, base.ck, 16);
	assert_memory_equal(o.ik, base.ik, 16);
	orsp_milenage_default_consts(&c);
	c.r[3] = 65;
	compute_with(&c, &o);
	assert_memory_not_equal(o.ik, base.ik, 16);
	assert_memory_equal(o.ck, base.ck, 16);
	orsp_milenage_default_consts(&c);
	c.c[4][7] = 0x01;
	compute_with(&c, &o);
	assert_memory_not_equal(o.ak_star, base.ak_star, 6);
	assert_memory_equal(o.ak, base.ak, 6);
	assert_memory_equal(o.res, base.res, 8);

	/* Rotation is cyclic over 128 bits: r and r + 128 agree. */
	orsp_milenage_default_consts(&c);
	c.r[0] = 64 + 128;
	c.r[2] = 32 + 128;
	compute_with(&c, &o);
	assert_memory_equal(&o, &base, sizeof(o));
}

/* Independent check of rot() for rotations that are not whole octets: rebuild OUTk with
 * a bit-by-bit rotation (TS 35.206: rot(x, r)[i] = x[(i + r) mod 128], bit 0 = MSB of
 * octet 0) and plain AES-ECB. */
static void rot_bits(const uint8_t in[16], unsigned r, uint8_t out[16])
{
	memset(out, 0, 16);
	for (unsigned i = 0; i < 128; i++) {
		unsigned j = (i + r) % 128;
		unsigned bit = (in[j / 8] >> (7 - j % 8)) & 1;
		out[i / 8] |= (uint8_t)(bit << (7 - i % 8));
	}
}

static void test_odd_rotations(void **state)
{
	(void)state;
	uint8_t k[16], opc[16], rand[16], sqn[6], amf[2];
	set1(k, opc, rand, sqn, amf);
	orsp_milenage_consts c;
	orsp_milenage_default_consts(&c);
	static const uint8_t rs[5] = {13, 1, 77, 127, 100};
	memcpy(c.r, rs, 5);
	for (int i = 0; i < 5; i++)
		for (int j = 0; j < 16; j++)
			c.c[i][j] = (uint8_t)(0x11 * (i + 1) + j);

	orsp_milenage *m = orsp_milenage_new(k, opc, &c);
	assert_non_null(m);
	orsp_milenage_out o;
	assert_int_equal(orsp_milenage_compute(m, rand, sqn, amf, &o), ORSP_OK);
	orsp_milenage_free(m);

	orsp_aes_ecb *aes = orsp_aes_ecb_new(k, 16);
	assert_non_null(aes);
	uint8_t temp[16], x[16], y[16], out[5][16];
	for (int i = 0; i < 16; i++)
		temp[i] = rand[i] ^ opc[i];
	assert_int_equal(orsp_aes_ecb_encrypt(aes, temp, temp, 1), ORSP_OK);
	/* OUT1 */
	uint8_t in1[16];
	memcpy(in1, sqn, 6);
	memcpy(in1 + 6, amf, 2);
	memcpy(in1 + 8, in1, 8);
	for (int i = 0; i < 16; i++)
		x[i] = in1[i] ^ opc[i];
	rot_bits(x, rs[0], y);
	for (int i = 0; i < 16; i++)
		x[i] = temp[i] ^ y[i] ^ c.c[0][i];
	assert_int_equal(orsp_aes_ecb_encrypt(aes, x, out[0], 1), ORSP_OK);
	/* OUT2..OUT5 */
	for (int n = 1; n < 5; n++) {
		for (int i = 0; i < 16; i++)
			x[i] = temp[i] ^ opc[i];
		rot_bits(x, rs[n], y);
		for (int i = 0; i < 16; i++)
			y[i] ^= c.c[n][i];
		assert_int_equal(orsp_aes_ecb_encrypt(aes, y, out[n], 1), ORSP_OK);
	}
	for (int n = 0; n < 5; n++)
		for (int i = 0; i < 16; i++)
			out[n][i] ^= opc[i];
	orsp_aes_ecb_free(aes);

	assert_bytes_equal(o.mac_a, out[0], 8);
	assert_bytes_equal(o.mac_s, out[0] + 8, 8);
	assert_bytes_equal(o.ak, out[1], 6);
	assert_bytes_equal(o.res, out[1] + 8, 8);
	assert_bytes_equal(o.ck, out[2], 16);
	assert_bytes_equal(o.ik, out[3], 16);
	assert_bytes_equal(o.ak_star, out[4], 6);
}

static void test_bad_args(void **state)
{
	(void)state;
	uint8_t k[16] = {0}, opc[16] = {0}, rand[16] = {0}, s[4], kc[8];
	orsp_milenage_out o;
	assert_null(orsp_milenage_new(NULL, opc, NULL));
	assert_null(orsp_milenage_new(k, NULL, NULL));
	assert_int_equal(orsp_milenage_compute(NULL, rand, NULL, NULL, &o), ORSP_E_USAGE);
	orsp_milenage *m = orsp_milenage_new(k, opc, NULL);
	assert_non_null(m);
	assert_int_equal(orsp_milenage_compute(m, NULL, NULL, NULL, &o), ORSP_E_USAGE);
	assert_int_equal(orsp_milenage_compute(m, rand, NULL, NULL, NULL), ORSP_E_USAGE);
	orsp_milenage_free(m);
	orsp_milenage_free(NULL);
	assert_int_equal(orsp_milenage_opc(NULL, opc, opc), ORSP_E_USAGE);
	assert_int_equal(orsp_gsm_milenage(k, opc, NULL, s, kc), ORSP_E_USAGE);

	/* Subscriber with wrong lengths or an unknown algorithm. */
	orsp_aka_subscriber sub;
	uint8_t k32[32] = {0};
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k32, 32, opc, 16),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, k32, 32),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_aka_subscriber_init(&sub, (orsp_aka_alg)7, k, 16, opc, 16),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, NULL, 16, opc, 16),
	                 ORSP_E_USAGE);
	/* K or OPc taken from the subscriber being set up: refused, not read after clearing */
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, sub.k.v, 16, opc, 16),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, sub.opc.v, 16),
	                 ORSP_E_USAGE);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ts35208_sets),
	    cmocka_unit_test(test_compute_many),
	    cmocka_unit_test(test_opc_pairs),
	    cmocka_unit_test(test_gsm_milenage),
	    cmocka_unit_test(test_aka_project),
	    cmocka_unit_test(test_default_consts),
	    cmocka_unit_test(test_custom_consts_change_output),
	    cmocka_unit_test(test_odd_rotations),
	    cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
