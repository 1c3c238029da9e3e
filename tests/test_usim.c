/* USIM side and SQN management: AUTS rows (milenage_auts.tsv), AuC -> USIM round trips for
 * Milenage and TUAK, and the TS 33.102 Annex C freshness rules: replay with a valid AUTS,
 * age limit L, delta, per-IND acceptance, MAC failure without state change, resync. */
#include <stdlib.h>
#include <string.h>

#include "openrsp/aka.h"
#include "testutil.h"

static void col(const tsv *t, size_t r, const char *name, uint8_t *out, size_t n)
{
	assert_int_equal(tsv_hex(t, r, name, out, n), n);
}

static void test_auts_vectors(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage_auts.tsv");
	assert_int_equal(tsv_rows(t), 5);
	size_t ok_rows = 0, neg_rows = 0;
	for (size_t r = 0; r < tsv_rows(t); r++) {
		uint8_t k[16], opc[16], rand[16], auts[14], sqn_ms[6], built[14];
		col(t, r, "k", k, 16);
		col(t, r, "opc", opc, 16);
		col(t, r, "rand", rand, 16);
		col(t, r, "auts", auts, 14);
		orsp_aka_subscriber s;
		assert_int_equal(orsp_aka_subscriber_init(&s, ORSP_AKA_MILENAGE, k, 16, opc, 16),
		                 ORSP_OK);
		uint64_t got = 12345;
		orsp_err e = orsp_aka_auts_verify(&s, rand, auts, &got);
		if (strcmp(tsv_get(t, r, "expected_result"), "ok") == 0) {
			assert_int_equal(e, ORSP_OK);
			col(t, r, "sqn_ms", sqn_ms, 6);
			assert_true(got == orsp_get_be48(sqn_ms));
			/* The USIM side rebuilds the same AUTS from SQN_MS. */
			assert_int_equal(orsp_aka_auts_build(&s, rand, got, built), ORSP_OK);
			assert_bytes_equal(built, auts, 14);
			ok_rows++;
		} else {
			assert_string_equal(tsv_get(t, r, "expected_result"), "mac_failure");
			assert_int_equal(e, ORSP_E_VERIFY);
			assert_true(got == 0);
			neg_rows++;
		}
		/* Any flipped bit of a valid AUTS breaks MAC-S (or the recovered SQN_MS). */
		if (e == ORSP_OK) {
			for (int i = 0; i < 14; i++) {
				auts[i] ^= 0x01;
				assert_int_equal(orsp_aka_auts_verify(&s, rand, auts, &got),
				                 ORSP_E_VERIFY);
				auts[i] ^= 0x01;
			}
		}
		orsp_aka_subscriber_wipe(&s);
	}
	assert_int_equal(ok_rows, 4);
	assert_int_equal(neg_rows, 1);
	tsv_free(t);
}

/* Subscribers from published sets: Milenage TS 35.208 set 1, TUAK TS 35.233 set 1 (default
 * lengths) and set 6 (256-bit K, MAC, RES, CK, IK; two Keccak iterations). */
static void milenage_sub(orsp_aka_subscriber *s)
{
	uint8_t k[16], opc[16];
	tsv *t = tsv_load("milenage.tsv");
	col(t, 0, "k", k, 16);
	col(t, 0, "opc", opc, 16);
	tsv_free(t);
	assert_int_equal(orsp_aka_subscriber_init(s, ORSP_AKA_MILENAGE, k, 16, opc, 16), ORSP_OK);
}

static void tuak_sub(orsp_aka_subscriber *s, size_t row)
{
	uint8_t k[32], topc[32];
	tsv *t = tsv_load("tuak.tsv");
	size_t k_len = strtoul(tsv_get(t, row, "k_bits"), NULL, 10) / 8;
	col(t, row, "k", k, k_len);
	col(t, row, "topc", topc, 32);
	assert_int_equal(orsp_aka_subscriber_init(s, ORSP_AKA_TUAK, k, k_len, topc, 32), ORSP_OK);
	s->tuak.keccak_iterations =
	    (unsigned)strtoul(tsv_get(t, row, "keccak_iterations"), NULL, 10);
	s->tuak.mac_bits = (unsigned)strtoul(tsv_get(t, row, "mac_bits"), NULL, 10);
	s->tuak.res_bits = (unsigned)strtoul(tsv_get(t, row, "res_bits"), NULL, 10);
	s->tuak.ck_bits = (unsigned)strtoul(tsv_get(t, row, "ck_bits"), NULL, 10);
	s->tuak.ik_bits = (unsigned)strtoul(tsv_get(t, row, "ik_bits"), NULL, 10);
	tsv_free(t);
}

static const uint8_t test_amf[2] = {0x80, 0x00};

static void make_rand(uint8_t rand[16], unsigned n)
{
	for (int i = 0; i < 16; i++)
		rand[i] = (uint8_t)(n * 31 + (unsigned)i * 7);
}

/* AuC builds a vector for sqn, USIM authenticates it. */
static orsp_err present(const orsp_aka_subscriber *s, orsp_usim_sqn *st, uint64_t sqn,
                        orsp_aka_vector *av, orsp_usim_result *res)
{
	uint8_t rand[16], sqn_b[6];
	make_rand(rand, (unsigned)sqn);
	orsp_put_be48(sqn_b, sqn);
	assert_int_equal(orsp_aka_generate(s, rand, sqn_b, test_amf, av), ORSP_OK);
	return orsp_usim_authenticate(s, st, rand, av->autn, res);
}

static void round_trip(const orsp_aka_subscriber *s)
{
	orsp_usim_sqn st;
	orsp_usim_sqn_init(&st, 5);
	uint64_t sqn = 0;
	for (unsigned i = 0; i < 40; i++) {
		orsp_aka_vector av;
		orsp_usim_result res;
		/* The AuC walks through the IND values (Annex C.3). */
		assert_int_equal(orsp_auc_next_sqn(sqn, 5, i % 32, &sqn), ORSP_OK);
		assert_int_equal(present(s, &st, sqn, &av, &res), ORSP_OK);
		assert_int_equal(res.res_len, av.xres_len);
		assert_int_equal(res.ck_len, av.ck_len);
		assert_int_equal(res.ik_len, av.ik_len);
		assert_true(orsp_ct_eq(res.res, av.xres, av.xres_len));
		assert_bytes_equal(res.ck, av.ck, av.ck_len);
		assert_bytes_equal(res.ik, av.ik, av.ik_len);
		assert_true(orsp_usim_sqn_ms(&st) == sqn);
		orsp_aka_vector_wipe(&av);
	}
}

static void test_round_trip_milenage(void **state)
{
	(void)state;
	orsp_aka_subscriber s;
	milenage_sub(&s);
	round_trip(&s);
	orsp_aka_subscriber_wipe(&s);
}

static void test_round_trip_tuak(void **state)
{
	(void)state;
	orsp_aka_subscriber s;
	tuak_sub(&s, 0);
	round_trip(&s);
	orsp_aka_subscriber_wipe(&s);
	tuak_sub(&s, 5);
	assert_int_equal(s.tuak.res_bits, 256);
	assert_int_equal(s.tuak.keccak_iterations, 2);
	round_trip(&s);
	orsp_aka_subscriber_wipe(&s);
}

/* A replayed SQN: sync failure with an AUTS that the AuC accepts, carrying SQN_MS. */
static void replay(const orsp_aka_subscriber *s)
{
	orsp_usim_sqn st;
	orsp_aka_vector av;
	orsp_usim_result res;
	uint8_t rand[16];
	const uint64_t sqn = (UINT64_C(77) << 5) | 3;

	orsp_usim_sqn_init(&st, 5);
	assert_int_equal(present(s, &st, sqn, &av, &res), ORSP_OK);
	assert_int_equal(present(s, &st, sqn, &av, &res), ORSP_E_STATE);
	static const uint8_t zero[32];
	assert_bytes_equal(res.res, zero, 32); /* nothing but AUTS on a sync failure */
	assert_int_equal(res.res_len, 0);
	make_rand(rand, (unsigned)sqn);
	uint64_t sqn_ms = 0;
	assert_int_equal(orsp_aka_auts_verify(s, rand, res.auts, &sqn_ms), ORSP_OK);
	assert_true(sqn_ms == sqn);
	assert_true(sqn_ms == orsp_usim_sqn_ms(&st));
	/* The AUTS is bound to its RAND. */
	rand[0] ^= 1;
	assert_int_equal(orsp_aka_auts_verify(s, rand, res.auts, &sqn_ms), ORSP_E_VERIFY);
}

static void test_replay_gives_auts(void **state)
{
	(void)state;
	orsp_aka_subscriber s;
	milenage_sub(&s);
	replay(&s);
	orsp_aka_subscriber_wipe(&s);
	tuak_sub(&s, 3);
	replay(&s);
	orsp_aka_subscriber_wipe(&s);
}

#define SQN(seq, ind) ((UINT64_C(seq) << 5) | (ind))

/* C.2.2 age limit: with L = 10 and SEQ_MS = 100, an unused IND accepts SEQ 91..99 only. */
static void test_age_limit(void **state)
{
	(void)state;
	orsp_usim_sqn st;
	orsp_usim_sqn_init(&st, 5);
	st.age_limit = 10;
	orsp_usim_sqn_accept(&st, SQN(100, 0));
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(50, 1)), ORSP_E_STATE);
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(90, 1)), ORSP_E_STATE); /* 10, not < L */
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(91, 1)), ORSP_OK);
	st.age_limit = 0; /* no limit */
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(1, 1)), ORSP_OK);

	/* Through AUTHENTICATE: the too-old SQN gives AUTS with SQN_MS. */
	orsp_aka_subscriber s;
	orsp_aka_vector av;
	orsp_usim_result res;
	milenage_sub(&s);
	st.age_limit = 10;
	orsp_usim_sqn before = st;
	assert_int_equal(present(&s, &st, SQN(80, 7), &av, &res), ORSP_E_STATE);
	assert_memory_equal(&st, &before, sizeof(st));
	uint8_t rand[16];
	uint64_t sqn_ms = 0;
	make_rand(rand, (unsigned)SQN(80, 7));
	assert_int_equal(orsp_aka_auts_verify(&s, rand, res.auts, &sqn_ms), ORSP_OK);
	assert_true(sqn_ms == SQN(100, 0));
	assert_int_equal(present(&s, &st, SQN(95, 7), &av, &res), ORSP_OK);
	orsp_aka_subscriber_wipe(&s);
}

/* C.2.1 delta: SEQ - SEQ_MS <= delta. */
static void test_delta(void **state)
{
	(void)state;
	orsp_usim_sqn st;
	orsp_usim_sqn_init(&st, 5);
	assert_true(st.delta == (UINT64_C(1) << 28));
	assert_true(st.age_limit == 0);
	st.delta = 1000;
	orsp_usim_sqn_accept(&st, SQN(100, 2));
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(1101, 2)), ORSP_E_STATE);
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(1101, 9)), ORSP_E_STATE);
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(1100, 2)), ORSP_OK);

	orsp_aka_subscriber s;
	orsp_aka_vector av;
	orsp_usim_result res;
	milenage_sub(&s);
	assert_int_equal(present(&s, &st, SQN(5000, 1), &av, &res), ORSP_E_STATE);
	assert_int_equal(present(&s, &st, SQN(1100, 1), &av, &res), ORSP_OK);
	/* the default delta 2^28 */
	orsp_usim_sqn_init(&st, 5);
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(268435457, 0)), ORSP_E_STATE);
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(268435456, 0)), ORSP_OK);
	orsp_aka_subscriber_wipe(&s);
}

/* C.2.2: SEQ is compared with SEQ_MS(IND) only. */
static void test_per_ind(void **state)
{
	(void)state;
	orsp_aka_subscriber s;
	orsp_aka_vector av;
	orsp_usim_result res;
	orsp_usim_sqn st;
	milenage_sub(&s);
	orsp_usim_sqn_init(&st, 5);
	assert_int_equal(present(&s, &st, SQN(10, 3), &av, &res), ORSP_OK);
	/* lower SEQ, unused IND: accepted */
	assert_int_equal(present(&s, &st, SQN(5, 4), &av, &res), ORSP_OK);
	/* lower SEQ, same IND: rejected; equal SEQ on the used IND: replay */
	assert_int_equal(present(&s, &st, SQN(5, 3), &av, &res), ORSP_E_STATE);
	assert_int_equal(present(&s, &st, SQN(5, 4), &av, &res), ORSP_E_STATE);
	assert_int_equal(present(&s, &st, SQN(6, 4), &av, &res), ORSP_OK);
	assert_true(st.seq[3] == 10 && st.seq[4] == 6);
	/* SQN_MS is the highest SEQ with its IND */
	assert_true(orsp_usim_sqn_ms(&st) == SQN(10, 3));
	/* SEQ 0 is never fresh (SEQ_MS(i) starts at zero) */
	assert_int_equal(orsp_usim_sqn_check(&st, SQN(0, 9)), ORSP_E_STATE);
	orsp_aka_subscriber_wipe(&s);
}

/* A bad MAC (any bit of SQN^AK, AMF or MAC flipped, or the wrong K) gives ORSP_E_VERIFY,
 * no AUTS, no output, and leaves the SQN array alone. */
static void test_wrong_mac(void **state)
{
	(void)state;
	orsp_aka_subscriber s, other;
	orsp_aka_vector av;
	orsp_usim_result res;
	orsp_usim_sqn st;
	uint8_t rand[16];
	static const uint8_t zero[sizeof(orsp_usim_result)];

	milenage_sub(&s);
	tuak_sub(&other, 0);
	orsp_usim_sqn_init(&st, 5);
	assert_int_equal(present(&s, &st, SQN(3, 1), &av, &res), ORSP_OK);
	orsp_usim_sqn before = st;

	uint8_t sqn_b[6];
	orsp_put_be48(sqn_b, SQN(4, 1));
	make_rand(rand, 4);
	assert_int_equal(orsp_aka_generate(&s, rand, sqn_b, test_amf, &av), ORSP_OK);
	for (int i = 0; i < 16; i++) {
		uint8_t autn[16];
		memcpy(autn, av.autn, 16);
		autn[i] ^= 0x40;
		memset(&res, 0xa5, sizeof(res));
		assert_int_equal(orsp_usim_authenticate(&s, &st, rand, autn, &res), ORSP_E_VERIFY);
		assert_memory_equal(&res, zero, sizeof(res));
		assert_memory_equal(&st, &before, sizeof(st));
	}
	/* right AUTN, wrong subscriber key */
	assert_int_equal(orsp_usim_authenticate(&other, &st, rand, av.autn, &res), ORSP_E_VERIFY);
	assert_memory_equal(&st, &before, sizeof(st));
	/* and the untouched AUTN still works */
	assert_int_equal(orsp_usim_authenticate(&s, &st, rand, av.autn, &res), ORSP_OK);
	orsp_aka_subscriber_wipe(&s);
	orsp_aka_subscriber_wipe(&other);
}

/* Resync (TS 33.102 §6.3.5, Annex C): the USIM is ahead of the AuC; after verifying AUTS
 * the AuC continues from SQN_MS and its next vector is accepted. */
static void resync(const orsp_aka_subscriber *s)
{
	orsp_usim_sqn st;
	orsp_aka_vector av;
	orsp_usim_result res;
	uint8_t rand[16];
	orsp_usim_sqn_init(&st, 5);
	/* The USIM has seen SEQ 500 (e.g. vectors from another AuC). */
	assert_int_equal(present(s, &st, SQN(500, 6), &av, &res), ORSP_OK);

	/* The AuC is behind at SEQ 20. */
	uint64_t auc_sqn = SQN(20, 0), next;
	assert_int_equal(orsp_auc_next_sqn(auc_sqn, 5, 6, &next), ORSP_OK);
	assert_true(next == SQN(21, 6));
	assert_int_equal(present(s, &st, next, &av, &res), ORSP_E_STATE);
	make_rand(rand, (unsigned)next);
	uint64_t sqn_ms = 0;
	assert_int_equal(orsp_aka_auts_verify(s, rand, res.auts, &sqn_ms), ORSP_OK);
	assert_true(sqn_ms == SQN(500, 6));
	assert_int_equal(orsp_auc_next_sqn(sqn_ms, 5, 6, &next), ORSP_OK);
	assert_true(next == SQN(501, 6));
	assert_int_equal(present(s, &st, next, &av, &res), ORSP_OK);
	assert_bytes_equal(res.res, av.xres, av.xres_len);
}

static void test_resync(void **state)
{
	(void)state;
	orsp_aka_subscriber s;
	milenage_sub(&s);
	resync(&s);
	orsp_aka_subscriber_wipe(&s);
	tuak_sub(&s, 1);
	resync(&s);
	orsp_aka_subscriber_wipe(&s);
}

static void test_auc_next_sqn(void **state)
{
	(void)state;
	uint64_t n = 1;
	assert_int_equal(orsp_auc_next_sqn(0, 5, 0, &n), ORSP_OK);
	assert_true(n == SQN(1, 0));
	assert_int_equal(orsp_auc_next_sqn(SQN(7, 31), 5, 2, &n), ORSP_OK);
	assert_true(n == SQN(8, 2));
	assert_int_equal(orsp_auc_next_sqn(41, 0, 0, &n), ORSP_OK);
	assert_true(n == 42);
	assert_int_equal(orsp_auc_next_sqn(ORSP_AKA_SQN_MAX - 1, 0, 0, &n), ORSP_OK);
	assert_true(n == ORSP_AKA_SQN_MAX);
	/* SEQ would wrap */
	assert_int_equal(orsp_auc_next_sqn(ORSP_AKA_SQN_MAX, 0, 0, &n), ORSP_E_RESOURCE);
	assert_int_equal(orsp_auc_next_sqn(ORSP_AKA_SQN_MAX, 5, 0, &n), ORSP_E_RESOURCE);
	assert_int_equal(orsp_auc_next_sqn(ORSP_AKA_SQN_MAX - 31, 5, 0, &n), ORSP_E_RESOURCE);
	/* the last SEQ of a 43-bit counter is still usable */
	assert_int_equal(orsp_auc_next_sqn(ORSP_AKA_SQN_MAX - 32, 5, 3, &n), ORSP_OK);
	assert_true(n == (ORSP_AKA_SQN_MAX & ~UINT64_C(31)) + 3);
	/* bad IND / lengths */
	assert_int_equal(orsp_auc_next_sqn(0, 5, 32, &n), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_next_sqn(0, 9, 0, &n), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_next_sqn(ORSP_AKA_SQN_MAX + 1, 5, 0, &n), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_next_sqn(0, 5, 0, NULL), ORSP_E_USAGE);
}

static void test_bad_args(void **state)
{
	(void)state;
	orsp_usim_sqn st;
	orsp_usim_sqn_init(&st, 5);
	assert_int_equal(orsp_usim_sqn_check(&st, ORSP_AKA_SQN_MAX + 1), ORSP_E_USAGE);
	assert_int_equal(orsp_usim_sqn_check(NULL, 1), ORSP_E_USAGE);
	st.ind_bits = 9;
	assert_int_equal(orsp_usim_sqn_check(&st, 1), ORSP_E_USAGE);

	orsp_aka_subscriber s;
	orsp_usim_result res;
	uint8_t rand[16] = {0}, autn[16] = {0}, auts[14];
	milenage_sub(&s);
	assert_int_equal(orsp_usim_authenticate(&s, &st, rand, autn, &res), ORSP_E_USAGE);
	orsp_usim_sqn_init(&st, 5);
	assert_int_equal(orsp_usim_authenticate(&s, &st, NULL, autn, &res), ORSP_E_USAGE);
	assert_int_equal(orsp_usim_authenticate(NULL, &st, rand, autn, &res), ORSP_E_USAGE);
	assert_int_equal(orsp_aka_auts_build(&s, rand, ORSP_AKA_SQN_MAX + 1, auts), ORSP_E_USAGE);
	uint64_t v;
	assert_int_equal(orsp_aka_auts_verify(&s, rand, NULL, &v), ORSP_E_USAGE);
	orsp_aka_subscriber_wipe(&s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_auts_vectors),    cmocka_unit_test(test_round_trip_milenage),
	    cmocka_unit_test(test_round_trip_tuak), cmocka_unit_test(test_replay_gives_auts),
	    cmocka_unit_test(test_age_limit),       cmocka_unit_test(test_delta),
	    cmocka_unit_test(test_per_ind),         cmocka_unit_test(test_wrong_mac),
	    cmocka_unit_test(test_resync),          cmocka_unit_test(test_auc_next_sqn),
	    cmocka_unit_test(test_bad_args),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
