/* The SHO AuC: subscriber table, vectors and SQN (TS 33.102 Annex C), resynchronisation,
 * secrets at rest, atomicity across processes and under injected failures. */
#include <dirent.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "faulty_vfs.h"
#include "testutil.h"

#include "openrsp/auc.h"
#include "openrsp/crypto.h"

static char dir[4096];
static orsp_secret kek;

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s", test_tmpdir("auc"));
	unsetenv("ORSP_KEK");
	kek.len = 32;
	for (int i = 0; i < 32; i++)
		kek.v[i] = (uint8_t)(0x40 + i);
	return 0;
}

static const char *db_path(const char *name)
{
	static char p[4200];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static orsp_auc *open_auc(const char *name)
{
	orsp_auc *a = NULL;
	orsp_err e = orsp_auc_open(db_path(name), &kek, &a);
	if (e)
		fail_msg("orsp_auc_open: %s: %s", orsp_err_str(e), orsp_err_detail());
	return a;
}

/* A Milenage subscriber from TS 35.208 test set `row` of milenage.tsv. */
static void new_from_tsv(orsp_auc_new *n, const char *imsi, const tsv *t, size_t row, bool use_op)
{
	uint8_t k[16], o[16];
	orsp_auc_new_init(n);
	n->imsi = imsi;
	assert_int_equal(tsv_hex(t, row, "k", k, sizeof(k)), 16);
	assert_int_equal(tsv_hex(t, row, use_op ? "op" : "opc", o, sizeof(o)), 16);
	assert_int_equal(orsp_aka_subscriber_init(&n->sub, ORSP_AKA_MILENAGE, k, 16, o, 16),
	                 ORSP_OK);
	n->op_given = use_op;
	orsp_wipe(k, sizeof(k));
	orsp_wipe(o, sizeof(o));
}

static int64_t query_int(orsp_auc *a, const char *sql)
{
	orsp_stmt *st = NULL;
	bool row = false;
	assert_int_equal(orsp_db_prepare(orsp_auc_db(a), sql, &st), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	int64_t v = orsp_stmt_column_int64(st, 0);
	orsp_stmt_finalize(st);
	return v;
}

static uint64_t sqn_of(orsp_auc *a, const char *imsi)
{
	orsp_auc_info info;
	assert_int_equal(orsp_auc_get(a, imsi, &info), ORSP_OK);
	return info.sqn;
}

/* The stored SQN, read past the row checks (for a row they refuse). */
static uint64_t sqn_of_row(orsp_auc *a, const char *imsi)
{
	char sql[96];
	snprintf(sql, sizeof(sql), "SELECT sqn FROM auc_subscriber WHERE imsi = '%s'", imsi);
	return (uint64_t)query_int(a, sql);
}

/* The USIM side accepts a vector from the AuC: AUTN verifies, RES = XRES, keys agree. */
static void usim_accepts(const orsp_aka_subscriber *sub, orsp_usim_sqn *st,
                         const orsp_aka_vector *v)
{
	orsp_usim_result r;
	orsp_err e = orsp_usim_authenticate(sub, st, v->rand, v->autn, &r);
	if (e)
		fail_msg("USIM rejected vector: %s: %s", orsp_err_str(e), orsp_err_detail());
	assert_int_equal(r.res_len, v->xres_len);
	assert_bytes_equal(r.res, v->xres, r.res_len);
	assert_int_equal(r.ck_len, v->ck_len);
	assert_bytes_equal(r.ck, v->ck, r.ck_len);
	assert_bytes_equal(r.ik, v->ik, r.ik_len);
}

static bool contains(const uint8_t *hay, size_t n, const uint8_t *needle, size_t m)
{
	for (size_t i = 0; i + m <= n; i++)
		if (memcmp(hay + i, needle, m) == 0)
			return true;
	return false;
}

/* Add `imsi` with the keys of milenage.tsv row 0 (with OP or OPc) and set up its USIM. */
static void add_with_usim(orsp_auc *a, const char *imsi, const tsv *t, bool use_op,
                          orsp_aka_subscriber *usim)
{
	orsp_auc_new n;
	uint8_t k[16], opc[16];
	new_from_tsv(&n, imsi, t, 0, use_op);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	tsv_hex(t, 0, "k", k, 16);
	tsv_hex(t, 0, "opc", opc, 16);
	assert_int_equal(orsp_aka_subscriber_init(usim, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	orsp_wipe(k, sizeof(k));
	orsp_wipe(opc, sizeof(opc));
}

/* ----- tests ----- */

static int count_cb(const orsp_auc_info *info, void *arg)
{
	int *n = arg;
	(void)info;
	(*n)++;
	return 0;
}

static int stop_cb(const orsp_auc_info *info, void *arg)
{
	int *n = arg;
	(void)info;
	(*n)++;
	return 1;
}

static void test_add_get_list_delete(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("crud.db");
	orsp_auc_new n;
	orsp_auc_info info;
	int count = 0;

	new_from_tsv(&n, "001010000000001", t, 0, false);
	n.amf[0] = 0xb9;
	n.amf[1] = 0xb9;
	n.sqn = 0x20;
	n.ind_bits = 4;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	/* Duplicate IMSI. */
	assert_int_equal(orsp_auc_add(a, &n), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "001010000000001"));
	n.imsi = "001010000000002";
	n.sub.alg = ORSP_AKA_MILENAGE;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);

	assert_int_equal(orsp_auc_get(a, "001010000000001", &info), ORSP_OK);
	assert_string_equal(info.imsi, "001010000000001");
	assert_int_equal(info.alg, ORSP_AKA_MILENAGE);
	assert_int_equal(info.k_len, 16);
	assert_int_equal(info.amf[0], 0xb9);
	assert_int_equal(info.amf[1], 0xb9);
	assert_true(info.sqn == 0x20);
	assert_int_equal(info.ind_bits, 4);
	assert_true(info.created > 0 && info.updated >= info.created);
	orsp_milenage_consts def;
	orsp_milenage_default_consts(&def);
	assert_memory_equal(&info.milenage, &def, sizeof(def));

	assert_int_equal(orsp_auc_list(a, count_cb, &count), ORSP_OK);
	assert_int_equal(count, 2);
	count = 0;
	assert_int_equal(orsp_auc_list(a, stop_cb, &count), ORSP_OK);
	assert_int_equal(count, 1);

	assert_int_equal(orsp_auc_delete(a, "001010000000002"), ORSP_OK);
	assert_int_equal(orsp_auc_get(a, "001010000000002", &info), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_auc_delete(a, "001010000000002"), ORSP_E_NOT_FOUND);
	count = 0;
	assert_int_equal(orsp_auc_list(a, count_cb, &count), ORSP_OK);
	assert_int_equal(count, 1);

	/* Every change is audited: 2 adds and a delete (the duplicate add left nothing). */
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), 3);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'delete'"
	                              " AND imsi = '001010000000002' AND result = 'ok'"),
	                 1);
	orsp_auc_close(a);
	tsv_free(t);
}

static void test_invalid_input(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("invalid.db");
	orsp_auc_new n;
	orsp_auc_info info;
	orsp_aka_vector v[2], zero[2];
	const char *bad_imsi[] = {"0010", "0010100000000012", "00101000000000a", "", "00101 0000"};
	uint8_t rand[16] = {0}, auts[14] = {0};

	memset(zero, 0, sizeof(zero));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_imsi); i++) {
		new_from_tsv(&n, bad_imsi[i], t, 0, false);
		assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
		assert_int_equal(orsp_auc_get(a, bad_imsi[i], &info), ORSP_E_USAGE);
		/* auc.h: on any failure out[] is wiped (stale vectors of an earlier call in it
		 * included) */
		memset(v, 0xa5, sizeof(v));
		assert_int_equal(orsp_auc_vectors(a, bad_imsi[i], 0, 2, v), ORSP_E_USAGE);
		assert_memory_equal(v, zero, sizeof(v));
		assert_int_equal(orsp_auc_delete(a, bad_imsi[i]), ORSP_E_USAGE);
		assert_int_equal(orsp_auc_resync(a, bad_imsi[i], rand, auts, NULL, NULL),
		                 ORSP_E_USAGE);
		orsp_auc_new_wipe(&n);
	}
	assert_true(orsp_imsi_valid("00101"));
	assert_true(orsp_imsi_valid("001010123456789"));
	memset(v, 0xa5, sizeof(v));
	assert_int_equal(
	    orsp_auc_vectors_for(a, "001010000000009", (orsp_auc_vector_use)7, 0, 2, v),
	    ORSP_E_USAGE);
	assert_memory_equal(v, zero, sizeof(v));

	new_from_tsv(&n, "001010000000009", t, 0, false);
	n.ind_bits = 9;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
	n.ind_bits = 5;
	n.sqn = ORSP_AKA_SQN_MAX + 1;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
	n.sqn = 0;
	n.sub.k.len = 15;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
	n.sub.k.len = 16;
	n.sub.opc.len = 32;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
	n.sub.opc.len = 16;
	n.sub.alg = (orsp_aka_alg)7;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
	n.sub.alg = ORSP_AKA_MILENAGE;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);

	/* Milenage rotations over 127 bits, TUAK K and TOP/TOPc of other lengths: refused at
	 * add, naming the parameter, nothing stored or audited (the CLI checks its options
	 * before; a library caller sets the fields directly) */
	{
		uint8_t k[32] = {1}, o[32] = {2};
		int64_t audited = query_int(a, "SELECT COUNT(*) FROM auc_audit");
		static const struct {
			orsp_aka_alg alg;
			size_t k_len, opc_len;
			bool op;
			int r3; /* Milenage r3, -1: the default */
			const char *why;
		} bad[] = {
		    {ORSP_AKA_MILENAGE, 16, 16, false, 128, "Milenage r3 must be 0..127"},
		    {ORSP_AKA_MILENAGE, 16, 16, false, 255, "Milenage r3 must be 0..127"},
		    {ORSP_AKA_TUAK, 24, 32, false, -1, "TUAK K must be 16 or 32 bytes"},
		    {ORSP_AKA_TUAK, 15, 32, false, -1, "TUAK K must be 16 or 32 bytes"},
		    {ORSP_AKA_TUAK, 32, 16, false, -1, "TUAK TOPc must be 32 bytes"},
		    {ORSP_AKA_TUAK, 16, 31, true, -1, "TUAK TOP must be 32 bytes"},
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
			orsp_auc_new_init(&n);
			n.imsi = "001010000000010";
			assert_int_equal(
			    orsp_aka_subscriber_init(&n.sub, bad[i].alg, k,
			                             bad[i].alg == ORSP_AKA_TUAK ? 32 : 16, o,
			                             bad[i].alg == ORSP_AKA_TUAK ? 32 : 16),
			    ORSP_OK);
			n.sub.k.len = bad[i].k_len;
			n.sub.opc.len = bad[i].opc_len;
			n.op_given = bad[i].op;
			if (bad[i].r3 >= 0)
				n.sub.milenage.r[2] = (uint8_t)bad[i].r3;
			assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
			assert_string_equal(orsp_err_detail(), bad[i].why);
			orsp_auc_new_wipe(&n);
			assert_int_equal(orsp_auc_get(a, "001010000000010", &info),
			                 ORSP_E_NOT_FOUND);
		}
		assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), audited);
		/* r 127 is a rotation */
		orsp_auc_new_init(&n);
		n.imsi = "001010000000010";
		assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, o, 16),
		                 ORSP_OK);
		n.sub.milenage.r[2] = 127;
		assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
		orsp_auc_new_wipe(&n);
	}

	/* Count and IND limits. */
	assert_int_equal(orsp_auc_vectors(a, "001010000000009", 0, 0, v), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_vectors(a, "001010000000009", 0, ORSP_AUC_MAX_VECTORS + 1, v),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_auc_vectors(a, "001010000000009", 32, 1, v), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_vectors(a, "001010000000008", 0, 1, v), ORSP_E_NOT_FOUND);
	assert_true(sqn_of(a, "001010000000009") == 0);
	orsp_auc_close(a);
	tsv_free(t);
}

/* TUAK takes 1 to 255 Keccak iterations (a profile's numberOfKeccak is a UInt8; vectors are
 * computed inside the write transaction): more is refused at add, with TOPc or TOP, nothing
 * stored, and a stored row with more (versions before the limit took 65536) is corrupt. */
static void test_tuak_keccak_limit(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("keccak.db");
	orsp_auc_new n;
	orsp_auc_info info;
	orsp_aka_vector v;
	uint8_t k[32] = {1}, top[32] = {2};
	const char *imsi = "001010000000007";

	orsp_auc_new_init(&n);
	n.imsi = imsi;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_TUAK, k, 32, top, 32), ORSP_OK);
	for (int op = 0; op < 2; op++) {
		n.op_given = op;
		n.sub.tuak.keccak_iterations = ORSP_TUAK_MAX_KECCAK + 1;
		assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
		assert_non_null(strstr(orsp_err_detail(), "Keccak iterations 256 above 255"));
		n.sub.tuak.keccak_iterations = 65536;
		assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
		assert_int_equal(orsp_auc_get(a, imsi, &info), ORSP_E_NOT_FOUND);
	}
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), 0);
	n.sub.tuak.keccak_iterations = ORSP_TUAK_MAX_KECCAK;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_auc_get(a, imsi, &info), ORSP_OK);
	assert_int_equal(info.tuak.keccak_iterations, 255);
	assert_int_equal(orsp_auc_vectors(a, imsi, 0, 1, &v), ORSP_OK);
	orsp_aka_vector_wipe(&v);
	/* a row with more: refused as corrupt, naming the IMSI; the SQN kept */
	static const char *const more[] = {
	    "UPDATE auc_subscriber SET tuak_keccak = 256 WHERE imsi = '001010000000007'",
	    "UPDATE auc_subscriber SET tuak_keccak = 65536 WHERE imsi = '001010000000007'",
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(more); i++) {
		assert_int_equal(orsp_db_exec(orsp_auc_db(a), more[i]), ORSP_OK);
		assert_int_equal(orsp_auc_vectors(a, imsi, 0, 1, &v), ORSP_E_MALFORMED);
		assert_non_null(strstr(orsp_err_detail(), "001010000000007: corrupt row (TUAK "
		                                          "Keccak iterations above 255)"));
		assert_int_equal(orsp_auc_get(a, imsi, &info), ORSP_E_MALFORMED);
		assert_true(sqn_of_row(a, imsi) == 1u << 5);
	}
	/* it can be deleted (and added again) */
	assert_int_equal(orsp_auc_delete(a, imsi), ORSP_OK);
	orsp_auc_close(a);
}

/* Vectors verify on the USIM side with the published keys, SQN = SEQ || IND advances by
 * one SEQ per vector, never repeats, and is persisted. */
static void test_vectors_sqn(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("vec.db");
	orsp_aka_vector v[ORSP_AUC_MAX_VECTORS];
	orsp_aka_subscriber usim;
	orsp_usim_sqn ust;
	uint64_t seen[64];
	size_t nseen = 0;

	/* Added with OP: the AuC derives OPc; the USIM uses the published OPc. */
	add_with_usim(a, "001010000000011", t, true, &usim);
	orsp_usim_sqn_init(&ust, 5);

	assert_int_equal(orsp_auc_vectors(a, "001010000000011", 0, 3, v), ORSP_OK);
	for (int i = 0; i < 3; i++) {
		uint64_t s = orsp_get_be48(v[i].sqn);
		/* Annex C.3.2: SEQ = 1, 2, 3 with IND 0 in the 5 low bits. */
		assert_true(s == ((uint64_t)(i + 1) << 5));
		assert_int_equal(v[i].amf[0], 0x80);
		usim_accepts(&usim, &ust, &v[i]);
		seen[nseen++] = s;
	}
	assert_memory_not_equal(v[0].rand, v[1].rand, 16);
	assert_true(sqn_of(a, "001010000000011") == (3u << 5));

	/* Another IND: SEQ continues, IND bits replaced. */
	assert_int_equal(orsp_auc_vectors(a, "001010000000011", 7, 2, v), ORSP_OK);
	assert_true(orsp_get_be48(v[0].sqn) == ((4u << 5) | 7));
	assert_true(orsp_get_be48(v[1].sqn) == ((5u << 5) | 7));
	for (int i = 0; i < 2; i++) {
		usim_accepts(&usim, &ust, &v[i]);
		seen[nseen++] = orsp_get_be48(v[i].sqn);
	}
	orsp_auc_close(a);

	/* Persisted across close and reopen. */
	a = open_auc("vec.db");
	assert_true(sqn_of(a, "001010000000011") == ((5u << 5) | 7));
	assert_int_equal(orsp_auc_vectors(a, "001010000000011", 1, ORSP_AUC_MAX_VECTORS, v),
	                 ORSP_OK);
	for (int i = 0; i < ORSP_AUC_MAX_VECTORS; i++)
		seen[nseen++] = orsp_get_be48(v[i].sqn);
	usim_accepts(&usim, &ust, &v[0]);
	for (size_t i = 0; i < nseen; i++)
		for (size_t j = i + 1; j < nseen; j++)
			assert_true(seen[i] != seen[j]);
	/* Replaying an old vector is rejected by the USIM: the SQNs really advanced. */
	orsp_usim_result r;
	assert_int_equal(orsp_usim_authenticate(&usim, &ust, v[0].rand, v[0].autn, &r),
	                 ORSP_E_STATE);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'vectors'"),
	                 3);
	orsp_auc_close(a);
	orsp_aka_subscriber_wipe(&usim);
	tsv_free(t);
}

/* TUAK subscriber added with TOP (TS 35.233 test sets): vectors verify with the published
 * TOPc and have the configured lengths. */
static void test_vectors_tuak(void **state)
{
	(void)state;
	tsv *t = tsv_load("tuak.tsv");
	orsp_auc *a = open_auc("tuak.db");

	for (size_t row = 0; row < tsv_rows(t); row++) {
		uint8_t k[32], top[32], topc[32];
		char imsi[32];
		size_t klen = tsv_hex(t, row, "k", k, sizeof(k));
		orsp_auc_new n;
		orsp_aka_subscriber usim;
		orsp_usim_sqn ust;
		orsp_aka_vector v[2];
		orsp_auc_info info;

		assert_int_equal(tsv_hex(t, row, "top", top, 32), 32);
		assert_int_equal(tsv_hex(t, row, "topc", topc, 32), 32);
		snprintf(imsi, sizeof(imsi), "0010100000001%02u", (unsigned)row);
		orsp_auc_new_init(&n);
		n.imsi = imsi;
		n.op_given = true;
		assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_TUAK, k, klen, top, 32),
		                 ORSP_OK);
		n.sub.tuak.keccak_iterations = (unsigned)strtoul(tsv_get(t, row, "keccak_iterations"), NULL, 10);
		n.sub.tuak.mac_bits = (unsigned)strtoul(tsv_get(t, row, "mac_bits"), NULL, 10);
		n.sub.tuak.res_bits = (unsigned)strtoul(tsv_get(t, row, "res_bits"), NULL, 10);
		n.sub.tuak.ck_bits = (unsigned)strtoul(tsv_get(t, row, "ck_bits"), NULL, 10);
		n.sub.tuak.ik_bits = (unsigned)strtoul(tsv_get(t, row, "ik_bits"), NULL, 10);
		assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);

		assert_int_equal(orsp_auc_get(a, imsi, &info), ORSP_OK);
		assert_int_equal(info.alg, ORSP_AKA_TUAK);
		assert_int_equal(info.k_len, klen);
		assert_memory_equal(&info.tuak, &n.sub.tuak, sizeof(info.tuak));

		assert_int_equal(orsp_aka_subscriber_init(&usim, ORSP_AKA_TUAK, k, klen, topc, 32),
		                 ORSP_OK);
		usim.tuak = n.sub.tuak;
		orsp_auc_new_wipe(&n);
		orsp_usim_sqn_init(&ust, 5);
		assert_int_equal(orsp_auc_vectors(a, imsi, 3, 2, v), ORSP_OK);
		for (int i = 0; i < 2; i++) {
			assert_int_equal(v[i].xres_len, info.tuak.res_bits / 8);
			assert_int_equal(v[i].ck_len, info.tuak.ck_bits / 8);
			usim_accepts(&usim, &ust, &v[i]);
		}
		orsp_aka_subscriber_wipe(&usim);
		orsp_wipe(k, sizeof(k));
	}
	orsp_auc_close(a);
	tsv_free(t);
}

/* Resynchronisation with published AUTS values (milenage_auts.tsv): SQN_MS recovered, the
 * SQN reset to it (out of range), the next vector has SEQ_MS + 1; a bad MAC-S leaves the SQN
 * unchanged and is audited. */
static void test_resync(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage_auts.tsv");
	orsp_auc *a = open_auc("resync.db");
	size_t good = 0, bad = 0;

	for (size_t row = 0; row < tsv_rows(t); row++) {
		uint8_t k[16], opc[16], rand[16], auts[14];
		char imsi[32];
		orsp_auc_new n;
		orsp_aka_vector v[1];
		uint64_t sqn_ms = 0;
		bool reset = false;

		snprintf(imsi, sizeof(imsi), "0010100000002%02u", (unsigned)row);
		tsv_hex(t, row, "k", k, 16);
		tsv_hex(t, row, "opc", opc, 16);
		tsv_hex(t, row, "rand", rand, 16);
		assert_int_equal(tsv_hex(t, row, "auts", auts, 14), 14);
		orsp_auc_new_init(&n);
		n.imsi = imsi;
		/* SEQ 2^42: below the largest SEQ_MS in the file and more than Δ = 2^28 above
		 * the others, so no published AUTS finds SQN_HE in range: each one resets. */
		n.sqn = UINT64_C(1) << 47;
		assert_int_equal(
		    orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16), ORSP_OK);
		assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
		orsp_auc_new_wipe(&n);

		if (strcmp(tsv_get(t, row, "expected_result"), "ok") == 0) {
			uint8_t expect[6];
			tsv_hex(t, row, "sqn_ms", expect, 6);
			assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, &reset),
			                 ORSP_OK);
			assert_true(sqn_ms == orsp_get_be48(expect));
			assert_true(reset);
			assert_true(sqn_of(a, imsi) == sqn_ms);
			/* C.3.4: continue from SEQ_MS; the next vector (IND 2) has SEQ_MS + 1. */
			assert_int_equal(orsp_auc_vectors(a, imsi, 2, 1, v), ORSP_OK);
			assert_true(orsp_get_be48(v[0].sqn) == ((((sqn_ms >> 5) + 1) << 5) | 2));

			/* The same AUTS with one bit of MAC-S flipped fails; SQN unchanged. */
			uint64_t before = sqn_of(a, imsi);
			auts[13] ^= 0x80;
			assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, NULL),
			                 ORSP_E_VERIFY);
			assert_non_null(strstr(orsp_err_detail(), "MAC-S"));
			assert_true(sqn_of(a, imsi) == before);
			/* ... and so does another RAND. */
			auts[13] ^= 0x80;
			rand[0] ^= 1;
			assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, NULL, NULL),
			                 ORSP_E_VERIFY);
			assert_true(sqn_of(a, imsi) == before);
			good++;
		} else {
			assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, NULL),
			                 ORSP_E_VERIFY);
			assert_true(sqn_of(a, imsi) == UINT64_C(1) << 47);
			bad++;
		}
		orsp_wipe(k, sizeof(k));
		orsp_wipe(opc, sizeof(opc));
	}
	assert_true(good >= 4);
	assert_true(bad >= 1);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'resync'"
	                              " AND result = 'verify failed'"),
	                 (int64_t)(2 * good + bad));
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'resync'"
	                              " AND result = 'ok'"),
	                 (int64_t)good);
	assert_int_equal(
	    orsp_auc_resync(a, "001019999999999", (uint8_t[16]){0}, (uint8_t[14]){0}, NULL, NULL),
	    ORSP_E_NOT_FOUND);
	orsp_auc_close(a);
	tsv_free(t);
}

/* TS 33.102 §6.3.5: the AuC resets SQN_HE to SQN_MS only if its next SQN would not be
 * accepted by the USIM (SEQ_HE + 1 <= SEQ_MS, or more than Δ above it). An AUTS with SQN_MS
 * below SQN_HE within Δ, old or replayed, must not roll SQN_HE back: SQNs never repeat. */
static void test_resync_in_range(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("resync_range.db");
	const char *imsi = "001010000000031", *imsi2 = "001010000000032";
	orsp_auc_new n;
	orsp_aka_subscriber usim;
	orsp_usim_sqn ust;
	orsp_aka_vector v[10];
	uint64_t first[10], sqn_ms = 0;
	uint8_t rand[16], auts[14], forged[14];
	bool reset = true;

	add_with_usim(a, imsi, t, false, &usim);

	/* SEQ 1..10 with IND 0 */
	assert_int_equal(orsp_auc_vectors(a, imsi, 0, 10, v), ORSP_OK);
	for (int i = 0; i < 10; i++) {
		first[i] = orsp_get_be48(v[i].sqn);
		assert_true(first[i] == (uint64_t)(i + 1) << 5);
	}
	assert_true(sqn_of(a, imsi) == 10u << 5);

	/* (a) a genuine AUTS from a USIM that has seen SEQ 2: SEQ_HE + 1 = 11 is in range, so
	 * SQN_HE is kept, not rolled back to 0x40. */
	assert_int_equal(orsp_random(rand, sizeof(rand)), ORSP_OK);
	assert_int_equal(orsp_aka_auts_build(&usim, rand, 2u << 5, auts), ORSP_OK);
	assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, &reset), ORSP_OK);
	assert_true(sqn_ms == 2u << 5);
	assert_true(sqn_of(a, imsi) == 10u << 5);
	assert_false(reset);
	assert_int_equal(query_int(a, "SELECT detail LIKE '% in range of SQN_MS %, kept'"
	                              " FROM auc_audit ORDER BY id DESC LIMIT 1"),
	                 1);
	/* The next vectors repeat no SQN of the first batch, and that USIM accepts them. */
	orsp_usim_sqn_init(&ust, 5);
	orsp_usim_sqn_accept(&ust, 2u << 5);
	assert_int_equal(orsp_auc_vectors(a, imsi, 0, 10, v), ORSP_OK);
	for (int i = 0; i < 10; i++) {
		assert_true(orsp_get_be48(v[i].sqn) == (uint64_t)(i + 11) << 5);
		for (int j = 0; j < 10; j++)
			assert_true(orsp_get_be48(v[i].sqn) != first[j]);
	}
	usim_accepts(&usim, &ust, &v[0]);

	/* (b) replaying that (RAND, AUTS) changes nothing. */
	reset = true;
	assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, &reset), ORSP_OK);
	assert_true(sqn_of(a, imsi) == 20u << 5);
	assert_false(reset);
	assert_int_equal(orsp_auc_vectors(a, imsi, 0, 1, v), ORSP_OK);
	assert_true(orsp_get_be48(v[0].sqn) == 21u << 5);

	/* (d) a forged AUTS (one bit of MAC-S flipped) is refused, in range or not. */
	memcpy(forged, auts, sizeof(forged));
	forged[13] ^= 0x01;
	assert_int_equal(orsp_auc_resync(a, imsi, rand, forged, NULL, NULL), ORSP_E_VERIFY);
	assert_non_null(strstr(orsp_err_detail(), "MAC-S"));
	assert_int_equal(orsp_aka_auts_build(&usim, rand, (1000u << 5) | 3, forged), ORSP_OK);
	forged[8] ^= 0x40;
	assert_int_equal(orsp_auc_resync(a, imsi, rand, forged, NULL, NULL), ORSP_E_VERIFY);
	assert_true(sqn_of(a, imsi) == 21u << 5);

	/* (c) the USIM ahead: SEQ_HE + 1 = 22 <= SEQ_MS, so SQN_HE is reset as before ... */
	assert_int_equal(orsp_aka_auts_build(&usim, rand, (1000u << 5) | 3, auts), ORSP_OK);
	assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, &reset), ORSP_OK);
	assert_true(reset);
	assert_true(sqn_ms == ((1000u << 5) | 3));
	assert_true(sqn_of(a, imsi) == ((1000u << 5) | 3));
	orsp_usim_sqn_init(&ust, 5);
	orsp_usim_sqn_accept(&ust, (1000u << 5) | 3);
	assert_int_equal(orsp_auc_vectors(a, imsi, 1, 1, v), ORSP_OK);
	assert_true(orsp_get_be48(v[0].sqn) == ((1001u << 5) | 1));
	usim_accepts(&usim, &ust, &v[0]);
	/* ... also when it is just one ahead (the USIM would refuse SEQ_HE + 1 as replayed) */
	assert_int_equal(orsp_aka_auts_build(&usim, rand, 1002u << 5, auts), ORSP_OK);
	assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, NULL, &reset), ORSP_OK);
	assert_true(reset);
	assert_true(sqn_of(a, imsi) == 1002u << 5);

	/* The Δ boundary: SEQ_HE = Δ. SEQ_MS = 1 is in range (the USIM accepts SEQ Δ + 1),
	 * SEQ_MS = 0 is not (the USIM refuses it as too far ahead), so that one resets. */
	new_from_tsv(&n, imsi2, t, 0, false);
	n.sqn = ORSP_SQN_DEFAULT_DELTA << 5;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	orsp_usim_sqn_init(&ust, 5);
	orsp_usim_sqn_accept(&ust, 1u << 5);
	assert_int_equal(orsp_usim_sqn_check(&ust, (ORSP_SQN_DEFAULT_DELTA + 1) << 5), ORSP_OK);
	assert_int_equal(orsp_aka_auts_build(&usim, rand, 1u << 5, auts), ORSP_OK);
	assert_int_equal(orsp_auc_resync(a, imsi2, rand, auts, NULL, &reset), ORSP_OK);
	assert_false(reset);
	assert_true(sqn_of(a, imsi2) == ORSP_SQN_DEFAULT_DELTA << 5);
	orsp_usim_sqn_init(&ust, 5);
	assert_int_equal(orsp_usim_sqn_check(&ust, (ORSP_SQN_DEFAULT_DELTA + 1) << 5),
	                 ORSP_E_STATE);
	assert_int_equal(orsp_aka_auts_build(&usim, rand, 0, auts), ORSP_OK);
	assert_int_equal(orsp_auc_resync(a, imsi2, rand, auts, NULL, &reset), ORSP_OK);
	assert_true(reset);
	assert_true(sqn_of(a, imsi2) == 0);

	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'resync'"
	                              " AND result = 'ok'"),
	                 6);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'resync'"
	                              " AND result = 'ok' AND detail LIKE '%kept'"),
	                 3);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'resync'"
	                              " AND result = 'verify failed'"),
	                 2);
	orsp_aka_subscriber_wipe(&usim);
	orsp_auc_close(a);
	tsv_free(t);
}

static size_t read_blob(orsp_auc *a, const char *col, const char *imsi, uint8_t *out, size_t cap)
{
	char sql[128];
	orsp_stmt *st = NULL;
	bool row = false;
	snprintf(sql, sizeof(sql), "SELECT %s FROM auc_subscriber WHERE imsi = ?1", col);
	assert_int_equal(orsp_db_prepare(orsp_auc_db(a), sql, &st), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_text(st, 1, imsi), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	orsp_slice s = orsp_stmt_column_blob(st, 0);
	assert_true(s.len <= cap);
	memcpy(out, s.p, s.len);
	orsp_stmt_finalize(st);
	return s.len;
}

/* Scan a file (and its WAL, if any) for a byte string. */
static bool file_contains(const char *path, const uint8_t *needle, size_t m)
{
	bool found = false;
	char wal[4300];
	struct stat sb;
	size_t n = 0;
	uint8_t *buf = test_read_file(path, &n);
	found = contains(buf, n, needle, m);
	free(buf);
	snprintf(wal, sizeof(wal), "%s-wal", path);
	if (stat(wal, &sb) == 0) {
		buf = test_read_file(wal, &n);
		found = found || contains(buf, n, needle, m);
		free(buf);
	}
	return found;
}

static void test_no_plaintext_at_rest(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("rest.db");
	uint8_t k[16], op[16], opc[16];
	uint8_t wrapped[4][ORSP_WRAP_MAX];
	size_t wrapped_len[4];
	char path[4200], imsis[4][32];
	snprintf(path, sizeof(path), "%s", db_path("rest.db"));

	for (size_t row = 0; row < 4; row++) {
		orsp_auc_new n;
		const char *imsi = imsis[row];
		orsp_aka_vector v[4];
		snprintf(imsis[row], sizeof(imsis[row]), "0010100000003%02u", (unsigned)row);
		new_from_tsv(&n, imsi, t, row, row % 2 == 0);
		assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
		orsp_auc_new_wipe(&n);
		assert_int_equal(orsp_auc_vectors(a, imsi, 0, 4, v), ORSP_OK);
		wrapped_len[row] = read_blob(a, "k_wrapped", imsi, wrapped[row], ORSP_WRAP_MAX);
		assert_int_equal(wrapped_len[row], 16 + ORSP_WRAP_OVERHEAD);
	}
	/* While open (data possibly still in the WAL) and after close. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t row = 0; row < 4; row++) {
			/* The search can fail: what is stored as it is, the IMSI and the wrapped
			 * K (whole, and 8 bytes of its ciphertext), is found. */
			assert_true(file_contains(path, (const uint8_t *)imsis[row], 15));
			assert_true(file_contains(path, wrapped[row], wrapped_len[row]));
			assert_true(
			    file_contains(path, wrapped[row] + 1 + ORSP_WRAP_IV_LEN + 4, 8));
			tsv_hex(t, row, "k", k, 16);
			tsv_hex(t, row, "op", op, 16);
			tsv_hex(t, row, "opc", opc, 16);
			assert_false(file_contains(path, k, 16));
			assert_false(file_contains(path, op, 16));
			assert_false(file_contains(path, opc, 16));
			/* Not even half of a key. */
			assert_false(file_contains(path, k, 8));
			assert_false(file_contains(path, k + 8, 8));
			assert_false(file_contains(path, opc + 4, 8));
		}
		if (pass == 0)
			orsp_auc_close(a);
	}
	/* The database file is private. */
	struct stat sb;
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 077, 0);
	tsv_free(t);
}

/* Opening a database already at the program's version writes nothing, so it costs no flush
 * of the log: the migrations' bookkeeping transaction and the KEK check used to be committed,
 * empty, and flushed at every open, a read-only command's included. A write is still flushed
 * (the counter sees flushes). */
static void test_open_writes_nothing(void **state)
{
	(void)state;
	char uri[4300];
	orsp_auc *a = open_auc("quiet.db"); /* created: migrated, check value stored */

	orsp_auc_close(a);
	a = NULL;
	faulty_vfs_register();
	faulty_vfs_arm(FAULTY_SYNC, "-wal", 0, false, 0);
	assert_int_equal(
	    orsp_auc_open(faulty_vfs_uri(db_path("quiet.db"), uri, sizeof(uri)), &kek, &a),
	    ORSP_OK);
	assert_int_equal(faulty_vfs_calls(), 0);
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "CREATE TABLE quiet (x INTEGER)"), ORSP_OK);
	assert_true(faulty_vfs_calls() >= 1);
	orsp_auc_close(a);
	faulty_vfs_disarm();
}

static void test_wrong_kek(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("kek.db");
	orsp_auc_new n;
	orsp_secret other = kek;
	new_from_tsv(&n, "001010000000401", t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	orsp_auc_close(a);

	other.v[0] ^= 0xff;
	a = NULL;
	assert_int_equal(orsp_auc_open(db_path("kek.db"), &other, &a), ORSP_E_VERIFY);
	assert_null(a);
	assert_non_null(strstr(orsp_err_detail(), "wrong KEK"));
	/* refused before the migration writes to the database: one in rollback-journal mode (a
	 * backup, an older program's) was switched to WAL, and an older one upgraded, first */
	{
		orsp_db *db = NULL;
		uint8_t *bytes;
		size_t len = 0;

		assert_int_equal(orsp_db_open(db_path("kek.db"), &db), ORSP_OK);
		assert_int_equal(orsp_db_exec(db, "PRAGMA journal_mode=DELETE"), ORSP_OK);
		orsp_db_close(db);
		bytes = test_read_file(db_path("kek.db"), &len);
		assert_int_equal(orsp_auc_open(db_path("kek.db"), &other, &a), ORSP_E_VERIFY);
		assert_null(a);
		test_file_check(db_path("kek.db"), bytes, len);
		free(bytes);
	}
	other.len = 16;
	assert_int_equal(orsp_auc_open(db_path("kek.db"), &other, &a), ORSP_E_USAGE);
	orsp_secret_wipe(&other);

	/* The right KEK still works. */
	a = open_auc("kek.db");
	assert_true(sqn_of(a, "001010000000401") == 0);
	/* A database with subscribers that lost its check value (damage, a partial restore) is
	 * refused whatever the KEK: it used to take the next KEK given as its own, which then
	 * locked out the real one. */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "DELETE FROM auc_kek_check"), ORSP_OK);
	orsp_auc_close(a);
	other = kek;
	other.v[0] ^= 0xff;
	for (int i = 0; i < 2; i++) {
		a = NULL;
		assert_int_equal(orsp_auc_open(db_path("kek.db"), i ? &kek : &other, &a),
		                 ORSP_E_VERIFY);
		assert_null(a);
		assert_non_null(strstr(orsp_err_detail(), "no KEK check value in auc_kek_check, but"
		                                          " the database holds data"));
	}
	orsp_secret_wipe(&other);
	tsv_free(t);
}

static orsp_err exec_blob(orsp_auc *a, const char *sql, const uint8_t *p, size_t n,
                          const char *imsi)
{
	orsp_stmt *st = NULL;
	orsp_err e = orsp_db_prepare(orsp_auc_db(a), sql, &st);
	if (!e)
		e = orsp_stmt_bind_blob(st, 1, p, n);
	if (!e)
		e = orsp_stmt_bind_text(st, 2, imsi);
	if (!e)
		e = orsp_stmt_run(st);
	orsp_stmt_finalize(st);
	return e;
}

/* A tampered ciphertext, or a blob moved from another subscriber, is detected; nothing is
 * handed out and the SQN stays. */
static void test_tampered_record(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("tamper.db");
	orsp_auc_new n;
	orsp_aka_vector v[2];
	uint8_t blob[ORSP_WRAP_MAX], other[ORSP_WRAP_MAX], zero[sizeof(v)];
	size_t len, olen;
	memset(zero, 0, sizeof(zero));

	new_from_tsv(&n, "001010000000501", t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	new_from_tsv(&n, "001010000000502", t, 1, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);

	static const char *const cols[] = {"k_wrapped", "opc_wrapped"};
	for (int c = 0; c < 2; c++) {
		char sql[128];
		snprintf(sql, sizeof(sql), "UPDATE auc_subscriber SET %s = ?1 WHERE imsi = ?2",
		         cols[c]);
		len = read_blob(a, cols[c], "001010000000501", blob, sizeof(blob));
		uint64_t before = sqn_of(a, "001010000000501");
		/* Flip a bit in the ciphertext, in the tag, in the IV. */
		const size_t pos[] = {1 + ORSP_WRAP_IV_LEN + 3, len - 1, 2};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(pos); i++) {
			blob[pos[i]] ^= 0x10;
			assert_int_equal(exec_blob(a, sql, blob, len, "001010000000501"), ORSP_OK);
			memset(v, 0xee, sizeof(v));
			assert_int_equal(orsp_auc_vectors(a, "001010000000501", 0, 2, v),
			                 ORSP_E_VERIFY);
			assert_non_null(strstr(orsp_err_detail(), "001010000000501"));
			assert_memory_equal(v, zero, sizeof(v));
			assert_true(sqn_of(a, "001010000000501") == before);
			blob[pos[i]] ^= 0x10;
		}
		/* Truncated. */
		assert_int_equal(exec_blob(a, sql, blob, 5, "001010000000501"), ORSP_OK);
		assert_int_equal(orsp_auc_vectors(a, "001010000000501", 0, 1, v), ORSP_E_MALFORMED);
		/* Moved from another subscriber: a valid blob, but of another record. */
		olen = read_blob(a, cols[c], "001010000000502", other, sizeof(other));
		assert_int_equal(exec_blob(a, sql, other, olen, "001010000000501"), ORSP_OK);
		assert_int_equal(orsp_auc_vectors(a, "001010000000501", 0, 1, v), ORSP_E_VERIFY);
		assert_true(sqn_of(a, "001010000000501") == before);
		/* Restored: works again. */
		assert_int_equal(exec_blob(a, sql, blob, len, "001010000000501"), ORSP_OK);
		assert_int_equal(orsp_auc_vectors(a, "001010000000501", 0, 1, v), ORSP_OK);
	}
	/* A corrupt non-secret column is an error, not a crash. */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "UPDATE auc_subscriber SET milenage_c3 = x'00'"
	                              " WHERE imsi = '001010000000502'"),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_vectors(a, "001010000000502", 0, 1, v), ORSP_E_MALFORMED);
	/* The audit table is append-only. */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "UPDATE auc_audit SET result = 'x'"),
	                 ORSP_E_STORAGE);
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "DELETE FROM auc_audit"), ORSP_E_STORAGE);
	/* ... also for a replacing insert, which deletes without the DELETE trigger */
	int64_t audits = query_int(a, "SELECT COUNT(*) FROM auc_audit");
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "INSERT OR REPLACE INTO auc_audit (id, at, action, imsi,"
	                              " result) VALUES (1, 0, 'forged', '001010000000501', 'ok')"),
	                 ORSP_E_STORAGE);
	assert_non_null(strstr(orsp_err_detail(), "append-only"));
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "REPLACE INTO auc_audit (id, at, action, imsi,"
	                              " result) VALUES (1, 0, 'forged', '001010000000501', 'ok')"),
	                 ORSP_E_STORAGE);
	orsp_err_clear();
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE id = 1"
	                              " AND action = 'add' AND at > 0"),
	                 1);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), audits);
	orsp_auc_close(a);
	tsv_free(t);
}

static int list_nothing(const orsp_auc_info *info, void *arg)
{
	(void)info;
	(void)arg;
	return 0;
}

/* One column of a stored row out of range (the schema's CHECKs switched off, as an edited
 * file or another program could leave it): orsp_auc_get, orsp_auc_list and orsp_auc_vectors
 * refuse it as corrupt, naming the IMSI and the column; nothing is handed out, stored or
 * audited. Each row is put back after its case, and then gives vectors again. */
static void test_corrupt_columns(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("columns.db");
	orsp_db *db = orsp_auc_db(a);
	orsp_auc_new n;
	orsp_auc_info info;
	orsp_aka_vector v, zero;
	uint8_t k[32] = {3}, top[32] = {4};
	char sql[256];
#define M "001010000000521"
#define TU "001010000000522"
	static const struct {
		const char *imsi, *set, *what;
	} bad[] = {
	    {M, "alg = 'xor'", M ": corrupt row (algorithm)"},
	    {M, "k_len = 32", M ": corrupt row (key length)"},
	    {TU, "k_len = 24", TU ": corrupt row (key length)"},
	    {M, "amf = -1", M ": corrupt row (AMF)"},
	    {M, "amf = 65536", M ": corrupt row (AMF)"},
	    {M, "sqn = -1", M ": corrupt row (SQN)"},
	    {M, "sqn = 281474976710656", M ": corrupt row (SQN)"},
	    {M, "ind_bits = -1", M ": corrupt row (IND length)"},
	    {M, "ind_bits = 9", M ": corrupt row (IND length)"},
	    {TU, "ind_bits = 9", TU ": corrupt row (IND length)"},
	    {M, "sqn_delta = -1", M ": corrupt row (SQN delta)"},
	    {M, "sqn_delta = 281474976710656", M ": corrupt row (SQN delta)"},
	    {M, "milenage_r1 = 128", M ": corrupt row (Milenage constants)"},
	    {M, "milenage_r5 = -1", M ": corrupt row (Milenage constants)"},
	    {M, "milenage_r2 = NULL", M ": corrupt row (Milenage constants)"},
	    {M, "milenage_c1 = x'00'", M ": corrupt row (Milenage constants)"},
	    {M, "milenage_c5 = NULL", M ": corrupt row (Milenage constants)"},
	    {TU, "tuak_keccak = 0", TU ": corrupt row (TUAK parameters)"},
	    {TU, "tuak_keccak = NULL", TU ": corrupt row (TUAK parameters)"},
	    {TU, "tuak_keccak = 256", TU ": corrupt row (TUAK Keccak iterations above 255)"},
	    {TU, "tuak_mac_bits = 96", TU ": corrupt row (TUAK parameters)"},
	    {TU, "tuak_res_bits = 16", TU ": corrupt row (TUAK parameters)"},
	    {TU, "tuak_ck_bits = 192", TU ": corrupt row (TUAK parameters)"},
	    {TU, "tuak_ik_bits = 0", TU ": corrupt row (TUAK parameters)"},
	    {TU, "tuak_ik_bits = 4294967552", TU ": corrupt row (TUAK parameters)"},
	};

	memset(&zero, 0, sizeof(zero));
	new_from_tsv(&n, M, t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	orsp_auc_new_init(&n);
	n.imsi = TU;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_TUAK, k, 32, top, 32), ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_db_exec(db, "CREATE TEMP TABLE kept AS SELECT * FROM auc_subscriber"),
	                 ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "PRAGMA ignore_check_constraints = ON"), ORSP_OK);
	const int64_t audits = query_int(a, "SELECT COUNT(*) FROM auc_audit");

	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		snprintf(sql, sizeof(sql), "UPDATE auc_subscriber SET %s WHERE imsi = '%s'",
		         bad[i].set, bad[i].imsi);
		assert_int_equal(orsp_db_exec(db, sql), ORSP_OK);
		assert_int_equal(orsp_db_changes(db), 1);
		assert_int_equal(orsp_auc_get(a, bad[i].imsi, &info), ORSP_E_MALFORMED);
		if (!strstr(orsp_err_detail(), bad[i].what))
			fail_msg("%s: '%s', want '%s'", bad[i].set, orsp_err_detail(), bad[i].what);
		assert_int_equal(orsp_auc_list(a, list_nothing, NULL), ORSP_E_MALFORMED);
		assert_non_null(strstr(orsp_err_detail(), bad[i].what));
		memset(&v, 0xa5, sizeof(v));
		assert_int_equal(orsp_auc_vectors(a, bad[i].imsi, 0, 1, &v), ORSP_E_MALFORMED);
		assert_non_null(strstr(orsp_err_detail(), bad[i].what));
		assert_memory_equal(&v, &zero, sizeof(v));
		assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), audits);
		/* put back as it was */
		assert_int_equal(orsp_db_exec(db, "DELETE FROM auc_subscriber"), ORSP_OK);
		assert_int_equal(
		    orsp_db_exec(db, "INSERT INTO auc_subscriber SELECT * FROM temp.kept"),
		    ORSP_OK);
	}
	/* an IMSI that is not digits: found by no lookup, refused by the list */
	assert_int_equal(orsp_db_exec(db, "UPDATE auc_subscriber SET imsi = '00101000000052x'"
	                                  " WHERE imsi = '" M "'"),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_list(a, list_nothing, NULL), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "corrupt subscriber row (IMSI)"));
	assert_int_equal(orsp_db_exec(db, "DELETE FROM auc_subscriber"), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "INSERT INTO auc_subscriber SELECT * FROM temp.kept"),
	                 ORSP_OK);
	/* the rows as they were: taken again */
	assert_int_equal(orsp_auc_vectors(a, M, 0, 1, &v), ORSP_OK);
	orsp_aka_vector_wipe(&v);
	assert_int_equal(orsp_auc_vectors(a, TU, 0, 1, &v), ORSP_OK);
	orsp_aka_vector_wipe(&v);
	assert_int_equal(orsp_auc_list(a, list_nothing, NULL), ORSP_OK);
#undef M
#undef TU
	orsp_auc_close(a);
	tsv_free(t);
}

/* N processes take vectors from one database at the same time: every SQN is handed out
 * exactly once. */
#define CHILDREN 4
#define ROUNDS 25
#define PER_CALL 3

static void child_run(int fd)
{
	orsp_auc *a = NULL;
	orsp_aka_vector v[PER_CALL];
	if (orsp_auc_open(db_path("conc.db"), &kek, &a) != ORSP_OK)
		_exit(10);
	for (int r = 0; r < ROUNDS; r++) {
		if (orsp_auc_vectors(a, "001010000000601", (unsigned)r % 32, PER_CALL, v) !=
		    ORSP_OK)
			_exit(11);
		uint64_t s[PER_CALL];
		for (int i = 0; i < PER_CALL; i++)
			s[i] = orsp_get_be48(v[i].sqn);
		if (write(fd, s, sizeof(s)) != (ssize_t)sizeof(s))
			_exit(12);
	}
	orsp_auc_close(a);
	_exit(0);
}

static int cmp_u64(const void *x, const void *y)
{
	uint64_t a = *(const uint64_t *)x, b = *(const uint64_t *)y;
	return a < b ? -1 : a > b;
}

static void test_concurrent_processes(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("conc.db");
	orsp_auc_new n;
	int fds[2];
	pid_t pids[CHILDREN];
	static uint64_t got[CHILDREN * ROUNDS * PER_CALL + 1];
	size_t ngot = 0;

	new_from_tsv(&n, "001010000000601", t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	orsp_auc_close(a); /* no connection crosses fork() */
	assert_int_equal(pipe(fds), 0);
	for (int i = 0; i < CHILDREN; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			close(fds[0]);
			child_run(fds[1]);
		}
	}
	close(fds[1]);
	for (;;) {
		ssize_t r = read(fds[0], (uint8_t *)got + ngot * 8, sizeof(got) - ngot * 8);
		if (r <= 0)
			break;
		assert_int_equal(r % 8, 0);
		ngot += (size_t)r / 8;
	}
	close(fds[0]);
	for (int i = 0; i < CHILDREN; i++) {
		int status = 0;
		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
	}
	assert_int_equal(ngot, CHILDREN * ROUNDS * PER_CALL);
	qsort(got, ngot, sizeof(got[0]), cmp_u64);
	for (size_t i = 1; i < ngot; i++)
		assert_true(got[i] != got[i - 1]);
	/* Every SEQ from 1 to the total was used once, and the last one is stored. */
	for (size_t i = 0; i < ngot; i++)
		assert_true((got[i] >> 5) == i + 1);
	a = open_auc("conc.db");
	assert_true((sqn_of(a, "001010000000601") >> 5) == ngot);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'vectors'"),
	                 CHILDREN * ROUNDS);
	orsp_auc_close(a);
	tsv_free(t);
}

/* Fail each database operation of an AuC call in turn: until the call succeeds, every
 * failure leaves the subscriber and the audit table exactly as they were. */
/* Resync 001010000000701 failing each database operation in turn until it succeeds: each
 * failure leaves the SQN and the `audits` audit rows as they were. Returns the failures. */
static int resync_failing(orsp_auc *a, const uint8_t rand[16], const uint8_t auts[14], uint64_t sqn,
                          int64_t audits)
{
	orsp_db *db = orsp_auc_db(a);
	int fails;
	for (fails = 0;; fails++) {
		orsp_db_inject_failure(db, fails);
		orsp_err e = orsp_auc_resync(a, "001010000000701", rand, auts, NULL, NULL);
		orsp_db_inject_failure(db, -1);
		if (e == ORSP_OK)
			return fails;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_true(sqn_of(a, "001010000000701") == sqn);
		assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), audits);
	}
}

/* milenage_auts.tsv's wmnsk-ts35207-1-auts: SQN_MS ff9bb4d0b607, far ahead of a new
 * subscriber's SQN, so a resync with it resets. */
static void far_auts(const tsv *t, uint8_t k[16], uint8_t opc[16], uint8_t rand[16],
                     uint8_t auts[14])
{
	assert_string_equal(tsv_get(t, 2, "id"), "wmnsk-ts35207-1-auts");
	tsv_hex(t, 2, "k", k, 16);
	tsv_hex(t, 2, "opc", opc, 16);
	tsv_hex(t, 2, "rand", rand, 16);
	tsv_hex(t, 2, "auts", auts, 14);
}

static void test_failure_injection(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage_auts.tsv");
	orsp_auc *a = open_auc("inject.db");
	orsp_db *db = orsp_auc_db(a);
	orsp_auc_new n;
	orsp_aka_vector v[3], zero[3];
	orsp_auc_info before, after;
	uint8_t k[16], opc[16], rand[16], auts[14];
	int fails;
	orsp_err e;
	memset(zero, 0, sizeof(zero));

	far_auts(t, k, opc, rand, auts);

	/* add */
	orsp_auc_new_init(&n);
	n.imsi = "001010000000701";
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	for (fails = 0;; fails++) {
		orsp_db_inject_failure(db, fails);
		e = orsp_auc_add(a, &n);
		orsp_db_inject_failure(db, -1);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_equal(orsp_auc_get(a, "001010000000701", &after), ORSP_E_NOT_FOUND);
		assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), 0);
		assert_false(orsp_db_in_transaction(db));
	}
	assert_true(fails >= 4);
	orsp_auc_new_wipe(&n);

	/* vectors */
	assert_int_equal(orsp_auc_get(a, "001010000000701", &before), ORSP_OK);
	for (fails = 0;; fails++) {
		memset(v, 0xa5, sizeof(v));
		orsp_db_inject_failure(db, fails);
		e = orsp_auc_vectors(a, "001010000000701", 0, 3, v);
		orsp_db_inject_failure(db, -1);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_memory_equal(v, zero, sizeof(v)); /* nothing handed out */
		assert_int_equal(orsp_auc_get(a, "001010000000701", &after), ORSP_OK);
		assert_true(after.sqn == before.sqn);
		assert_true(after.updated == before.updated);
		assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), 1);
	}
	assert_true(fails >= 6); /* begin, select, update, audit, commit... each failed once */
	assert_true(sqn_of(a, "001010000000701") == (3u << 5));

	/* resync: SQN_MS far ahead, reset */
	assert_true(resync_failing(a, rand, auts, 3u << 5, 2) >= 6);
	assert_true(sqn_of(a, "001010000000701") == UINT64_C(0xff9bb4d0b607));
	/* the same AUTS again: now in range, kept (audited, no UPDATE) */
	assert_true(resync_failing(a, rand, auts, UINT64_C(0xff9bb4d0b607), 3) >= 4);
	assert_true(sqn_of(a, "001010000000701") == UINT64_C(0xff9bb4d0b607));

	/* delete */
	for (fails = 0;; fails++) {
		orsp_db_inject_failure(db, fails);
		e = orsp_auc_delete(a, "001010000000701");
		orsp_db_inject_failure(db, -1);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_equal(orsp_auc_get(a, "001010000000701", &after), ORSP_OK);
		assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), 4);
	}
	assert_true(fails >= 4);
	orsp_wipe(k, sizeof(k));
	orsp_wipe(opc, sizeof(opc));
	orsp_auc_close(a);
	tsv_free(t);
}

/* The AuC's writes nest in a caller's transaction (cli/cmd_smdp.c adds a subscriber and its
 * card secrets together with the SM-DP+ import). One that fails, wherever it fails (its own
 * begin, a statement, its commit), undoes only its own level: the caller's transaction stays
 * open with what it did before. (What hands something out is refused inside one:
 * test_nested_refused.) */
typedef enum nested_op { NESTED_ADD, NESTED_SET_SECRET, NESTED_DELETE, NESTED__COUNT } nested_op;

static orsp_err nested_run(orsp_auc *a, nested_op op, const orsp_auc_new *n)
{
	orsp_secret v = {0};
	orsp_err e;

	switch (op) {
	case NESTED_ADD:
		return orsp_auc_add(a, n);
	case NESTED_SET_SECRET:
		assert_int_equal(orsp_secret_set(&v, "12345678", 8), ORSP_OK);
		e = orsp_auc_set_card_secret(a, n->imsi, ORSP_AUC_PUK1, &v);
		orsp_secret_wipe(&v);
		return e;
	default:
		return orsp_auc_delete(a, n->imsi);
	}
}

static void test_nested_failure(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage_auts.tsv");
	orsp_auc *a = open_auc("nested.db");
	orsp_db *db = orsp_auc_db(a);
	orsp_auc_new first, second;
	orsp_auc_info info;
	uint8_t k[16], opc[16];
	const char *count_first = "SELECT COUNT(*) FROM auc_subscriber"
	                          " WHERE imsi = '001010000000801'";

	tsv_hex(t, 2, "k", k, 16);
	tsv_hex(t, 2, "opc", opc, 16);
	orsp_auc_new_init(&first);
	first.imsi = "001010000000801";
	assert_int_equal(orsp_aka_subscriber_init(&first.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	orsp_auc_new_init(&second);
	second.imsi = "001010000000802";
	assert_int_equal(orsp_aka_subscriber_init(&second.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);

	assert_int_equal(orsp_db_begin(db), ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &first), ORSP_OK);
	for (int op = 0; op < NESTED__COUNT; op++) {
		int fails;
		for (fails = 0;; fails++) {
			orsp_db_inject_failure(db, fails);
			orsp_err e = nested_run(a, (nested_op)op, &second);
			orsp_db_inject_failure(db, -1);
			if (e == ORSP_OK)
				break;
			assert_int_equal(e, ORSP_E_STORAGE);
			assert_true(orsp_db_in_transaction(db));
			assert_int_equal(query_int(a, count_first), 1);
		}
		assert_true(fails >= 3); /* at least the begin, a statement and the commit */
	}
	assert_int_equal(orsp_db_commit(db), ORSP_OK);
	assert_false(orsp_db_in_transaction(db));
	assert_int_equal(orsp_auc_get(a, "001010000000801", &info), ORSP_OK);
	assert_int_equal(orsp_auc_get(a, "001010000000802", &info), ORSP_E_NOT_FOUND);
	/* add, add, secret set, delete: once each */
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), 4);
	orsp_auc_new_wipe(&first);
	orsp_auc_new_wipe(&second);
	orsp_wipe(k, sizeof(k));
	orsp_wipe(opc, sizeof(opc));
	orsp_auc_close(a);
	tsv_free(t);
}

/* The refusal of one function that hands something out, called inside the caller's
 * transaction: ORSP_E_STATE naming the transaction, the caller's transaction still open. */
static void refused_nested(orsp_err e)
{
	assert_int_equal(e, ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "a transaction is open"));
}

/* What hands something out (vectors, a resync, a card secret, keys) is refused inside a
 * caller's transaction, whose rollback would undo the stored SQN or the audit row after the
 * output had left (the same SQN handed out twice, a read not audited): nothing comes out,
 * nothing is stored or audited, no export file is created. Outside one, each works. */
static void test_nested_refused(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage_auts.tsv");
	orsp_auc *a = open_auc("refused.db");
	orsp_db *db = orsp_auc_db(a);
	orsp_auc_new n;
	orsp_aka_vector v[2], zero[2];
	orsp_secret puk = {0}, got, k, opc;
	uint8_t key[16], o[16], rand[16], auts[14];
	const char *imsi = "001010000000811", *const one[] = {imsi};
	char out[4200];
	uint64_t sqn_ms = 7;
	bool reset = true;
	size_t count = 9;
	struct stat sb;
	int fd;

	far_auts(t, key, o, rand, auts);
	orsp_auc_new_init(&n);
	n.imsi = imsi;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, key, 16, o, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_secret_set(&puk, "12345678", 8), ORSP_OK);
	assert_int_equal(orsp_auc_set_card_secret(a, imsi, ORSP_AUC_PUK1, &puk), ORSP_OK);
	const int64_t audits = query_int(a, "SELECT COUNT(*) FROM auc_audit");
	snprintf(out, sizeof(out), "%s", db_path("refused.vty"));
	unlink(out);
	fd = open(db_path("refused.fd"), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	assert_true(fd >= 0);
	memset(zero, 0, sizeof(zero));

	assert_int_equal(orsp_db_begin(db), ORSP_OK);
	memset(v, 0xa5, sizeof(v));
	refused_nested(orsp_auc_vectors(a, imsi, 0, 2, v));
	assert_memory_equal(v, zero, sizeof(v));
	memset(v, 0xa5, sizeof(v));
	refused_nested(orsp_auc_vectors_for(a, imsi, ORSP_AUC_FOR_EPS_5G, 0, 2, v));
	assert_memory_equal(v, zero, sizeof(v));
	refused_nested(orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, &reset));
	assert_true(sqn_ms == 7 && reset);
	auts[13] ^= 0x80; /* a forged AUTS: its audit row could be rolled back too */
	refused_nested(orsp_auc_resync(a, imsi, rand, auts, NULL, NULL));
	auts[13] ^= 0x80;
	memset(&got, 0xa5, sizeof(got));
	refused_nested(orsp_auc_get_secret(a, imsi, "puk1", &got));
	assert_int_equal(got.len, 0);
	memset(&got, 0xa5, sizeof(got));
	refused_nested(orsp_auc_get_card_secret(a, imsi, ORSP_AUC_PUK1, &got));
	assert_int_equal(got.len, 0);
	memset(&k, 0xa5, sizeof(k));
	memset(&opc, 0xa5, sizeof(opc));
	refused_nested(orsp_auc_export_keys(a, imsi, "test", NULL, &k, &opc));
	assert_int_equal(k.len, 0);
	assert_int_equal(opc.len, 0);
	refused_nested(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, one, 1, out, -1, NULL, &count));
	assert_int_equal(count, 0);
	assert_int_equal(stat(out, &sb), -1); /* not even created */
	refused_nested(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, NULL, 0, NULL, fd, NULL, NULL));
	assert_int_equal(fstat(fd, &sb), 0);
	assert_int_equal(sb.st_size, 0);
	/* the caller's transaction is open and holds nothing of them */
	assert_true(orsp_db_in_transaction(db));
	assert_true(sqn_of(a, imsi) == 0);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), audits);
	orsp_db_rollback(db); /* the caller's later step failed */

	/* outside a transaction each works, the first vector with SQN 1 (IND 0, 5 IND bits) */
	assert_int_equal(orsp_auc_vectors(a, imsi, 0, 2, v), ORSP_OK);
	assert_true(orsp_get_be48(v[0].sqn) == 1u << 5);
	orsp_aka_vector_wipe(&v[0]);
	orsp_aka_vector_wipe(&v[1]);
	assert_int_equal(orsp_auc_resync(a, imsi, rand, auts, &sqn_ms, &reset), ORSP_OK);
	assert_true(reset);
	assert_int_equal(orsp_auc_get_secret(a, imsi, "puk1", &got), ORSP_OK);
	assert_true(got.len == 8 && orsp_ct_eq(got.v, puk.v, 8));
	orsp_secret_wipe(&got);
	assert_int_equal(orsp_auc_export_keys(a, imsi, "test", NULL, &k, &opc), ORSP_OK);
	assert_true(k.len == 16 && orsp_ct_eq(k.v, key, 16));
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&opc);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, one, 1, out, -1, NULL, &count),
	    ORSP_OK);
	assert_int_equal(count, 1);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), audits + 5);
	unlink(out);
	close(fd);
	orsp_secret_wipe(&puk);
	orsp_wipe(key, sizeof(key));
	orsp_wipe(o, sizeof(o));
	orsp_auc_close(a);
	tsv_free(t);
}

static void test_schema_versions(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("schema.db");
	int v = 0;
	assert_int_equal(orsp_db_schema_version(orsp_auc_db(a), "auc", &v), ORSP_OK);
	assert_int_equal(v, 5);
	/* A database from a newer program is refused, not half-used. */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "INSERT INTO schema_migrations VALUES"
	                                              " ('auc', 6, 'future', 0)"),
	                 ORSP_OK);
	orsp_auc_close(a);
	a = NULL;
	assert_int_equal(orsp_auc_open(db_path("schema.db"), &kek, &a), ORSP_E_STATE);
	assert_null(a);
}

/* ORSP_DB_OPEN_READONLY (the verbs that only read): an AuC of an older schema is left at its
 * version, byte for byte, and says which (orsp_auc_schema); it reads, every write fails; a
 * wrong KEK is refused as by every open; one that is no AuC or is not there is not found. */
static void test_open_readonly(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("ro.db");
	orsp_secret other = kek;
	orsp_auc_new n;
	orsp_auc_info info;
	orsp_db *db = NULL;
	uint8_t *bytes;
	size_t len = 0;
	int v = 0, latest = 0;

	new_from_tsv(&n, "001010000000501", t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_auc_schema(a, &v, &latest), ORSP_OK);
	assert_int_equal(v, latest);
	assert_int_equal(orsp_auc_schema(NULL, &v, &latest), ORSP_E_USAGE);
	/* one migration behind, in rollback-journal mode, as a backup of an older program's */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "PRAGMA journal_mode=DELETE;"
	                                              "DELETE FROM schema_migrations WHERE"
	                                              " module = 'auc' AND version = 5"),
	                 ORSP_OK);
	orsp_auc_close(a);
	a = NULL;
	bytes = test_read_file(db_path("ro.db"), &len);

	assert_int_equal(orsp_auc_open_ex(db_path("ro.db"), ORSP_DB_OPEN_READONLY, &kek, &a),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_schema(a, &v, &latest), ORSP_OK);
	assert_int_equal(v, 4);
	assert_int_equal(latest, 5);
	assert_int_equal(orsp_auc_get(a, "001010000000501", &info), ORSP_OK);
	assert_int_equal(orsp_auc_delete(a, "001010000000501"), ORSP_E_STORAGE);
	orsp_auc_close(a);
	a = NULL;
	test_file_check(db_path("ro.db"), bytes, len);

	other.v[0] ^= 0xff;
	assert_int_equal(orsp_auc_open_ex(db_path("ro.db"), ORSP_DB_OPEN_READONLY, &other, &a),
	                 ORSP_E_VERIFY);
	assert_null(a);
	orsp_secret_wipe(&other);
	test_file_check(db_path("ro.db"), bytes, len);
	free(bytes);

	assert_int_equal(orsp_auc_open_ex(db_path("ro-none.db"), ORSP_DB_OPEN_READONLY, &kek, &a),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_db_open(db_path("ro-empty.db"), &db), ORSP_OK);
	orsp_db_close(db);
	assert_int_equal(orsp_auc_open_ex(db_path("ro-empty.db"), ORSP_DB_OPEN_READONLY, &kek, &a),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_auc_probe(db_path("ro-empty.db"), ORSP_DB_OPEN_READONLY),
	                 ORSP_E_NOT_FOUND);
	assert_null(a);
	/* the writing open migrates it */
	a = open_auc("ro.db");
	assert_int_equal(orsp_auc_schema(a, &v, &latest), ORSP_OK);
	assert_int_equal(v, latest);
	/* a subscriber and no check value (damaged, partly restored): the writing verbs refuse
	 * it whatever the KEK, and so does a read-only open (until the session 73 review it
	 * read it with any KEK) */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "DELETE FROM auc_kek_check"), ORSP_OK);
	orsp_auc_close(a);
	a = NULL;
	bytes = test_read_file(db_path("ro.db"), &len);
	other = kek;
	other.v[0] ^= 0xff;
	assert_int_equal(orsp_auc_open_ex(db_path("ro.db"), ORSP_DB_OPEN_READONLY, &other, &a),
	                 ORSP_E_VERIFY);
	assert_null(a);
	assert_int_equal(orsp_auc_open_ex(db_path("ro.db"), ORSP_DB_OPEN_READONLY, &kek, &a),
	                 ORSP_E_VERIFY);
	assert_null(a);
	orsp_secret_wipe(&other);
	test_file_check(db_path("ro.db"), bytes, len);
	free(bytes);
	tsv_free(t);
}

/* The AuC keeps a database of its own: opening one that exists without creating anything
 * refuses a database without the AuC's schema, adding nothing to it; creating the AuC in a
 * database another module uses (the SM-DP+'s) is refused, in an empty one allowed. */
static const orsp_migration other_module[] = {
    {1, "one", "CREATE TABLE smdp_profile (iccid TEXT)", NULL},
};

static int64_t tables_in(const char *name)
{
	orsp_db *db = NULL;
	orsp_stmt *st = NULL;
	bool row = false;
	int64_t n;
	assert_int_equal(orsp_db_open_ex(db_path(name), ORSP_DB_OPEN_EXISTING, &db), ORSP_OK);
	assert_int_equal(orsp_db_prepare(db, "SELECT COUNT(*) FROM sqlite_master", &st), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	n = orsp_stmt_column_int64(st, 0);
	orsp_stmt_finalize(st);
	orsp_db_close(db);
	return n;
}

static void test_own_database(void **state)
{
	(void)state;
	orsp_db *db = NULL;
	orsp_auc *a = NULL;
	int64_t before;

	/* another module's database */
	assert_int_equal(orsp_db_open(db_path("other.db"), &db), ORSP_OK);
	assert_int_equal(orsp_db_migrate(db, "smdp", other_module, 1), ORSP_OK);
	orsp_db_close(db);
	before = tables_in("other.db");
	assert_int_equal(orsp_auc_open_ex(db_path("other.db"), ORSP_DB_OPEN_EXISTING, &kek, &a),
	                 ORSP_E_NOT_FOUND);
	assert_null(a);
	assert_non_null(strstr(orsp_err_detail(), "other.db holds no AuC"));
	assert_int_equal(tables_in("other.db"), before);
	assert_int_equal(orsp_auc_open(db_path("other.db"), &kek, &a), ORSP_E_POLICY);
	assert_null(a);
	assert_non_null(strstr(orsp_err_detail(), "needs a database of its own"));
	assert_int_equal(tables_in("other.db"), before);

	/* an empty database: not an AuC until created, then opened as one */
	assert_int_equal(orsp_db_open(db_path("empty.db"), &db), ORSP_OK);
	orsp_db_close(db);
	assert_int_equal(orsp_auc_open_ex(db_path("empty.db"), ORSP_DB_OPEN_EXISTING, &kek, &a),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(tables_in("empty.db"), 0);
	a = open_auc("empty.db");
	orsp_auc_close(a);
	a = NULL;
	assert_int_equal(orsp_auc_open_ex(db_path("empty.db"), ORSP_DB_OPEN_EXISTING, &kek, &a),
	                 ORSP_OK);
	orsp_auc_close(a);
}

/* Another program's SQLite file in rollback-journal mode, named by mistake: refused
 * without a trace, not switched to WAL on the way (the switch is persistent). */
static void test_foreign_file(void **state)
{
	(void)state;
	const char *path = db_path("foreign.sqlite");
	orsp_auc *a = NULL;
	size_t len = 0;
	uint8_t *bytes = test_foreign_db_create(path, &len);

	assert_int_equal(orsp_auc_open_ex(path, ORSP_DB_OPEN_EXISTING, &kek, &a), ORSP_E_NOT_FOUND);
	assert_null(a);
	assert_non_null(strstr(orsp_err_detail(), "foreign.sqlite holds no AuC"));
	test_foreign_db_check(path, bytes, len);
	assert_int_equal(orsp_auc_open(path, &kek, &a), ORSP_E_POLICY);
	assert_null(a);
	assert_non_null(strstr(orsp_err_detail(), "needs a database of its own"));
	test_foreign_db_check(path, bytes, len);
	free(bytes);
}

/* An SQLite file: URI with nolock (or vfs=unix-none) turns SQLite's file locks off: BEGIN
 * IMMEDIATE then excludes no other process, and two processes taking vectors would read and
 * hand out the same SQN (a database that cannot use WAL without locks stays in rollback-journal
 * mode, where nothing else stops them). Such a URI is refused, by add too, before anything is
 * created or written; one that leaves the locks on opens. */
static void test_unlocked_uri(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	char path[4300], newp[4300], uri[4400];
	orsp_auc *a = open_auc("locks.db");
	orsp_auc_new n;
	uint8_t *before;
	size_t len = 0, now_len = 0;
	struct stat sb;
	/* each turns the locks off, as SQLite reads the query (checked with SQLite 3.40: each
	 * fails to open a WAL database, which needs them), but for the repeated name: SQLite
	 * takes the first, the refusal any (a later nolock=1 is taken as meant) */
	static const char *const off[] = {
	    "?nolock=1",          "?mode=rw&nolock=yes",
	    "?nolock=TRUE",       "?%6Eolock=on",
	    "?nolock=%31",        "?cache=private&nolock=007",
	    "?nolock=0&nolock=1", "?vfs=unix-none",
	    "?nolock=1#fragment", "?nolock=00000000000000000000000001",
	};
	/* these leave them on */
	static const char *const on[] = {"?nolock=0",    "?nolock=off", "?mode=rw",
	                                 "?no%00lock=1", "?xnolock=1",  "#?nolock=1"};

	snprintf(path, sizeof(path), "%s", db_path("locks.db"));
	snprintf(newp, sizeof(newp), "%s", db_path("locks-new.db"));
	new_from_tsv(&n, "001010000000951", t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	/* as a database made without locks is: no WAL */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "PRAGMA journal_mode=DELETE"), ORSP_OK);
	orsp_auc_close(a);
	a = NULL;
	before = test_read_file(path, &len);

	for (size_t i = 0; i < ORSP_ARRAY_LEN(off); i++) {
		snprintf(uri, sizeof(uri), "file:%s%s", path, off[i]);
		assert_int_equal(orsp_auc_open_ex(uri, ORSP_DB_OPEN_EXISTING, &kek, &a),
		                 ORSP_E_USAGE);
		assert_null(a);
		assert_non_null(strstr(orsp_err_detail(), "turns SQLite's file locks off"));
		assert_int_equal(orsp_auc_probe(uri, ORSP_DB_OPEN_EXISTING), ORSP_E_USAGE);
		/* a new database is not created */
		snprintf(uri, sizeof(uri), "file:%s%s", newp, off[i]);
		assert_int_equal(orsp_auc_open(uri, &kek, &a), ORSP_E_USAGE);
		assert_int_equal(stat(newp, &sb), -1);
	}
	/* the file as it was: not written, not switched to WAL */
	uint8_t *now = test_read_file(path, &now_len);
	assert_int_equal(now_len, len);
	assert_memory_equal(now, before, len);
	free(now);
	free(before);

	for (size_t i = 0; i < ORSP_ARRAY_LEN(on); i++) {
		orsp_aka_vector v;
		snprintf(uri, sizeof(uri), "file:%s%s", path, on[i]);
		assert_int_equal(orsp_auc_open_ex(uri, ORSP_DB_OPEN_EXISTING, &kek, &a), ORSP_OK);
		assert_int_equal(orsp_auc_vectors(a, "001010000000951", 0, 1, &v), ORSP_OK);
		orsp_aka_vector_wipe(&v);
		orsp_auc_close(a);
		a = NULL;
	}
	tsv_free(t);
}

/* The reviewer's scenario: a profile whose PE-AKAParameter sqnDelta (1000) is below 2^28,
 * 1280 vectors handed out and lost (a VLR that never used them). The USIM refuses the next
 * one as too far ahead; one resynchronisation must bring the AuC back into the USIM's range,
 * so the vector after it is accepted. With the AuC assuming 2^28 it kept SQN_HE ("in range")
 * and authentication failed for ever. */
static void test_resync_profile_delta(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("delta.db");
	const char *imsi = "001010000000001";
	uint8_t k[16], opc[16];
	orsp_auc_new n;
	orsp_auc_info info;
	orsp_aka_subscriber usim;
	orsp_usim_sqn ust;
	orsp_usim_result r;
	orsp_aka_vector v[ORSP_AUC_MAX_VECTORS];
	uint64_t sqn_ms = 0;
	bool reset = false;

	memset(k, 0x11, sizeof(k));
	memset(opc, 0x22, sizeof(opc));
	orsp_auc_new_init(&n);
	assert_true(n.sqn_delta == ORSP_SQN_DEFAULT_DELTA);
	n.imsi = imsi;
	n.sqn_delta = 1000;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_auc_get(a, imsi, &info), ORSP_OK);
	assert_true(info.sqn_delta == 1000);

	assert_int_equal(orsp_aka_subscriber_init(&usim, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	orsp_usim_sqn_init(&ust, 5);
	ust.delta = 1000;
	ust.age_limit = ORSP_SQN_DEFAULT_DELTA;
	for (int i = 0; i < 40; i++)
		assert_int_equal(orsp_auc_vectors(a, imsi, 0, ORSP_AUC_MAX_VECTORS, v), ORSP_OK);

	assert_int_equal(orsp_auc_vectors(a, imsi, 0, 1, v), ORSP_OK);
	assert_int_equal(orsp_usim_authenticate(&usim, &ust, v[0].rand, v[0].autn, &r),
	                 ORSP_E_STATE);
	assert_int_equal(orsp_auc_resync(a, imsi, v[0].rand, r.auts, &sqn_ms, &reset), ORSP_OK);
	assert_true(reset);
	assert_true(sqn_ms == 0);
	assert_int_equal(orsp_auc_vectors(a, imsi, 0, 1, v), ORSP_OK);
	usim_accepts(&usim, &ust, &v[0]);

	/* Δ = 0 (no upper bound in the USIM): any SQN_HE ahead of SQN_MS is kept. */
	orsp_auc_new_init(&n);
	n.imsi = "001010000000002";
	n.sqn_delta = 0;
	n.sqn = UINT64_C(1) << 40;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	uint8_t rand[16] = {1}, auts[14];
	assert_int_equal(orsp_aka_auts_build(&usim, rand, 1u << 5, auts), ORSP_OK);
	assert_int_equal(orsp_auc_resync(a, "001010000000002", rand, auts, NULL, &reset), ORSP_OK);
	assert_false(reset);
	assert_true(sqn_of(a, "001010000000002") == UINT64_C(1) << 40);

	/* A delta over 48 bits is refused. */
	orsp_auc_new_init(&n);
	n.imsi = "001010000000003";
	n.sqn_delta = ORSP_AKA_SQN_MAX + 1;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_E_USAGE);
	orsp_auc_new_wipe(&n);

	orsp_aka_subscriber_wipe(&usim);
	orsp_auc_close(a);
}

/* A subscriber stored before migration 2 gets Δ = 2^28, what resync assumed for it then. */
static void test_migration_sqn_delta(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("mig2.db");
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc_new n;
	orsp_auc_info info;

	new_from_tsv(&n, "001010000000009", t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	/* Back to the version 1 schema, as an older program left it. */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "DROP TRIGGER auc_audit_no_replace;"
	                              "ALTER TABLE auc_subscriber DROP COLUMN sqn_delta;"
	                              "DROP TABLE auc_card_secret;"
	                              "DELETE FROM schema_migrations WHERE module = 'auc'"
	                              " AND version >= 2;"),
	                 ORSP_OK);
	orsp_auc_close(a);
	a = open_auc("mig2.db");
	assert_int_equal(orsp_auc_get(a, "001010000000009", &info), ORSP_OK);
	assert_true(info.sqn_delta == ORSP_SQN_DEFAULT_DELTA);
	orsp_auc_close(a);
	tsv_free(t);
}

/* PUK/ADM values stored per subscriber: wrapped (not in the file in clear), bound to IMSI and
 * name, read back audited, removed with the subscriber. */
static void test_card_secrets(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("card.db");
	tsv *t = tsv_load("milenage.tsv");
	const char *imsi = "001010000000077";
	orsp_auc_new n;
	orsp_secret v = {0}, got = {0};

	new_from_tsv(&n, imsi, t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_secret_set(&v, "73915048", 8), ORSP_OK);
	assert_int_equal(orsp_auc_set_card_secret(a, "001010000000078", ORSP_AUC_PUK1, &v),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_auc_set_card_secret(a, imsi, (orsp_auc_card_secret)4, &v),
	                 ORSP_E_USAGE);
	/* PUK and ADM values are digits (8 for a PUK, 4 to 8 for an ADM): a terminal's control
	 * sequence, other bytes or a short PUK are refused (`auc secret` prints the value) */
	{
		static const struct {
			orsp_auc_card_secret which;
			const char *v;
		} bad[] = {{ORSP_AUC_PUK1, "\x1b]2;X\a12"}, {ORSP_AUC_PUK2, "1234"},
		           {ORSP_AUC_ADM1, "12a4"},         {ORSP_AUC_ADM2, "123"},
		           {ORSP_AUC_PUK1, "1234567 "},     {ORSP_AUC_ADM1, "123456789"}};
		orsp_secret b = {0};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			assert_int_equal(orsp_secret_set(&b, bad[i].v, strlen(bad[i].v)), ORSP_OK);
			assert_int_equal(orsp_auc_set_card_secret(a, imsi, bad[i].which, &b),
			                 ORSP_E_USAGE);
			assert_non_null(strstr(orsp_err_detail(), "ASCII digits"));
		}
		orsp_secret_wipe(&b);
	}
	assert_int_equal(orsp_auc_set_card_secret(a, imsi, ORSP_AUC_PUK1, &v), ORSP_OK);
	assert_int_equal(orsp_auc_get_card_secret(a, imsi, ORSP_AUC_PUK1, &got), ORSP_OK);
	assert_int_equal(got.len, 8);
	assert_memory_equal(got.v, "73915048", 8);
	orsp_secret_wipe(&got);
	assert_int_equal(orsp_auc_get_card_secret(a, imsi, ORSP_AUC_ADM1, &got), ORSP_E_NOT_FOUND);
	/* a blob moved to another name does not unwrap there */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "UPDATE auc_card_secret SET name = 'adm1'"),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_get_card_secret(a, imsi, ORSP_AUC_ADM1, &got), ORSP_E_VERIFY);
	assert_int_equal(got.len, 0);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action ="
	                              " 'card secret read' AND result = 'ok'"),
	                 1);
	assert_int_equal(orsp_auc_delete(a, imsi), ORSP_OK);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_card_secret"), 0);
	orsp_auc_close(a);

	/* never in the database file in clear */
	FILE *f = fopen(db_path("card.db"), "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_false(contains(buf, len, (const uint8_t *)"73915048", 8));
	orsp_secret_wipe(&v);
	tsv_free(t);
}

/* The audit log read back: every action in order with its IMSI, result and detail, one
 * subscriber's rows, the newest N (oldest first), a stop, no key; reading writes no row. */
typedef struct audit_seen {
	size_t n;
	orsp_auc_audit_row r[16];
	int stop_at; /* stop after this many rows (0: never) */
} audit_seen;

static int audit_cb(const orsp_auc_audit_row *r, void *arg)
{
	audit_seen *s = arg;
	if (s->n < 16)
		s->r[s->n] = *r;
	s->n++;
	return s->stop_at && (int)s->n == s->stop_at;
}

static void test_audit_walk(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("audit.db");
	tsv *t = tsv_load("milenage.tsv");
	const char *i1 = "001010000000081", *i2 = "001010000000082";
	orsp_auc_new n;
	orsp_secret v = {0}, got = {0};
	orsp_aka_vector vec[2];
	audit_seen s;

	new_from_tsv(&n, i1, t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	new_from_tsv(&n, i2, t, 1, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_auc_vectors(a, i1, 0, 2, vec), ORSP_OK);
	orsp_aka_vector_wipe(&vec[0]);
	orsp_aka_vector_wipe(&vec[1]);
	assert_int_equal(orsp_secret_set(&v, "\x01\x02\x03\x04\x05\x06\x07\x08", 8), ORSP_OK);
	assert_int_equal(orsp_auc_set_secret(a, i1, "sd1-kvn01-kid01", &v), ORSP_OK);
	assert_int_equal(orsp_auc_get_secret(a, i1, "sd1-kvn01-kid01", &got), ORSP_OK);
	orsp_secret_wipe(&got);
	assert_int_equal(orsp_auc_delete(a, i2), ORSP_OK);

	static const char *const want[][4] = {
	    {"add", "001010000000081", "ok", "milenage"},
	    {"add", "001010000000082", "ok", "milenage"},
	    {"vectors", "001010000000081", "ok", "2 vector(s), IND 0, last SQN 000000000040"},
	    {"card secret set", "001010000000081", "ok", "sd1-kvn01-kid01"},
	    {"card secret read", "001010000000081", "ok", "sd1-kvn01-kid01"},
	    {"delete", "001010000000082", "ok", ""},
	};
	memset(&s, 0, sizeof(s));
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 0, audit_cb, &s), ORSP_OK);
	assert_int_equal(s.n, 6);
	for (size_t i = 0; i < 6; i++) {
		assert_string_equal(s.r[i].action, want[i][0]);
		assert_string_equal(s.r[i].imsi, want[i][1]);
		assert_string_equal(s.r[i].result, want[i][2]);
		assert_string_equal(s.r[i].detail, want[i][3]);
		assert_true(s.r[i].at > 0);
		if (i)
			assert_true(s.r[i].id > s.r[i - 1].id);
	}
	/* one subscriber: its rows only */
	memset(&s, 0, sizeof(s));
	assert_int_equal(orsp_auc_audit_walk(a, i2, 0, audit_cb, &s), ORSP_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[0].action, "add");
	assert_string_equal(s.r[1].action, "delete");
	/* the newest 2, oldest first; a limit above the count gives all */
	memset(&s, 0, sizeof(s));
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 2, audit_cb, &s), ORSP_OK);
	assert_int_equal(s.n, 2);
	assert_string_equal(s.r[0].action, "card secret read");
	assert_string_equal(s.r[1].action, "delete");
	memset(&s, 0, sizeof(s));
	assert_int_equal(orsp_auc_audit_walk(a, i1, 100, audit_cb, &s), ORSP_OK);
	assert_int_equal(s.n, 4);
	assert_string_equal(s.r[0].action, "add");
	/* fn stops the walk */
	memset(&s, 0, sizeof(s));
	s.stop_at = 1;
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 0, audit_cb, &s), ORSP_OK);
	assert_int_equal(s.n, 1);
	/* an IMSI with no rows: none; a bad IMSI: a usage error */
	memset(&s, 0, sizeof(s));
	assert_int_equal(orsp_auc_audit_walk(a, "00101", 0, audit_cb, &s), ORSP_OK);
	assert_int_equal(s.n, 0);
	assert_int_equal(orsp_auc_audit_walk(a, "0010", 0, audit_cb, &s), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 0, NULL, &s), ORSP_E_USAGE);
	/* reading the log wrote nothing to it */
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), 6);
	/* a control character read back is shown as '?' */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "INSERT INTO auc_audit (at, action, imsi, result, detail)"
	                              " VALUES (1, 'export', '001010000000081', 'ok',"
	                              " 'osmo-hlr-vty to /tmp/a' || char(10) || char(27) || 'b')"),
	                 ORSP_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 1, audit_cb, &s), ORSP_OK);
	assert_int_equal(s.n, 1);
	assert_string_equal(s.r[0].detail, "osmo-hlr-vty to /tmp/a??b");
	/* so is a byte that is not UTF-8, a C1 control (U+009B, CSI, as UTF-8), an overlong or
	 * surrogate sequence and a sequence cut short; other characters are kept */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "INSERT INTO auc_audit (at, action, imsi, result, detail)"
	                              " VALUES (1, 'export', '001010000000081', 'ok',"
	                              " 'to /' || CAST(x'ff' AS TEXT) || '/' || char(155) || '/' ||"
	                              " CAST(x'c080eda080e282' AS TEXT) || '/' ||"
	                              " char(255) || char(8364) || char(128512))"),
	                 ORSP_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 1, audit_cb, &s), ORSP_OK);
	assert_string_equal(s.r[0].detail, "to /?/?/???????"
	                                   "/\xc3\xbf\xe2\x82\xac\xf0\x9f\x98\x80");
	/* a character the field has no room for is not cut in two */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "INSERT INTO auc_audit (at, action, imsi, result, detail)"
	                              " VALUES (1, 'export', '001010000000081', 'ok',"
	                              " replace(hex(zeroblob(2079)), '0', 'a') || char(8364))"),
	                 ORSP_OK);
	memset(&s, 0, sizeof(s));
	assert_int_equal(orsp_auc_audit_walk(a, NULL, 1, audit_cb, &s), ORSP_OK);
	assert_int_equal(strlen(s.r[0].detail), ORSP_AUC_AUDIT_DETAIL_MAX - 1);
	assert_int_equal(s.r[0].detail[ORSP_AUC_AUDIT_DETAIL_MAX - 2], '?');
	assert_int_equal(s.r[0].detail[ORSP_AUC_AUDIT_DETAIL_MAX - 3], 'a');
	orsp_secret_wipe(&v);
	orsp_auc_close(a);
	tsv_free(t);
}

/* ----- export to osmo-hlr ----- */

/* A Milenage subscriber with K = k0, k0+1, ... and OPc = o0, o0+1, ... (bytes). */
static void add_milenage(orsp_auc *a, const char *imsi, uint8_t k0, uint8_t o0, unsigned ind_bits,
                         uint16_t amf)
{
	orsp_auc_new n;
	uint8_t k[16], o[16];

	for (int i = 0; i < 16; i++) {
		k[i] = (uint8_t)(k0 + i);
		o[i] = (uint8_t)(o0 + i);
	}
	orsp_auc_new_init(&n);
	n.imsi = imsi;
	n.ind_bits = ind_bits;
	n.amf[0] = (uint8_t)(amf >> 8);
	n.amf[1] = (uint8_t)amf;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, o, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
}

static int64_t count_exports(orsp_auc *a, const char *result)
{
	char sql[160];
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM auc_audit WHERE action = 'export' AND result = '%s'",
	         result);
	return query_int(a, sql);
}

static const char export_header[] =
    "! openrsp auc export --format osmo-hlr-vty: K and OPc IN THE CLEAR.\n"
    "! osmo-hlr VTY commands (enable mode); delete this file once osmo-hlr has them.\n";
static const char export_sub1[] =
    "subscriber imsi 001010000000101 create\n"
    "subscriber imsi 001010000000101 update aud3g milenage k 000102030405060708090a0b0c0d0e0f"
    " opc f0f1f2f3f4f5f6f7f8f9fafbfcfdfeff ind-bitlen 5\n";
static const char export_sub2[] =
    "subscriber imsi 26201123456789 create\n"
    "subscriber imsi 26201123456789 update aud3g milenage k a5a6a7a8a9aaabacadaeafb0b1b2b3b4"
    " opc 3c3d3e3f404142434445464748494a4b ind-bitlen 0\n";

static void assert_file_text(const char *path, const char *want)
{
	struct stat st;
	size_t len = 0;
	uint8_t *got = test_read_file(path, &len);

	assert_non_null(got);
	assert_int_equal(len, strlen(want));
	assert_memory_equal(got, want, len);
	orsp_wipe(got, len);
	free(got);
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 0777, 0600);
}

/* Vectors for EPS/5G carry the AMF separation bit whatever AMF the subscriber has (TS 33.401
 * §6.1.2, TS 33.501 §6.1.3.2, as osmo-hlr sets it for E-UTRAN): in out[].amf, in AUTN and in
 * MAC-A (the USIM verifies them), the stored AMF unchanged, the use in the audit row; UMTS
 * vectors keep the stored AMF; an AMF that has the bit is used as it is. */
static void test_vectors_eps_amf(void **state)
{
	(void)state;
	static const struct {
		const char *imsi;
		uint8_t stored[2], eps[2];
	} cases[] = {
	    {"001010000000021", {0x00, 0x00}, {0x80, 0x00}},
	    {"001010000000022", {0x12, 0x34}, {0x92, 0x34}},
	    {"001010000000023", {0xb9, 0xb9}, {0xb9, 0xb9}},
	};
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("eps_amf.db");
	orsp_aka_vector v[2], want;
	orsp_aka_subscriber usim;
	orsp_usim_sqn ust;
	orsp_auc_info info;
	audit_seen s;
	char detail[96];

	for (size_t c = 0; c < ORSP_ARRAY_LEN(cases); c++) {
		orsp_auc_new n;
		uint8_t k[16], opc[16];
		new_from_tsv(&n, cases[c].imsi, t, 0, false);
		memcpy(n.amf, cases[c].stored, 2);
		assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
		orsp_auc_new_wipe(&n);
		tsv_hex(t, 0, "k", k, 16);
		tsv_hex(t, 0, "opc", opc, 16);
		assert_int_equal(orsp_aka_subscriber_init(&usim, ORSP_AKA_MILENAGE, k, 16, opc, 16),
		                 ORSP_OK);
		orsp_usim_sqn_init(&ust, 5);

		assert_int_equal(
		    orsp_auc_vectors_for(a, cases[c].imsi, ORSP_AUC_FOR_EPS_5G, 0, 2, v), ORSP_OK);
		for (int i = 0; i < 2; i++) {
			assert_memory_equal(v[i].amf, cases[c].eps, 2);
			assert_memory_equal(v[i].autn + 6, cases[c].eps, 2);
			assert_int_equal(
			    orsp_aka_generate(&usim, v[i].rand, v[i].sqn, cases[c].eps, &want),
			    ORSP_OK);
			assert_memory_equal(v[i].mac_a, want.mac_a, 8);
			assert_memory_equal(v[i].autn, want.autn, 16);
			orsp_aka_vector_wipe(&want);
			usim_accepts(&usim, &ust, &v[i]);
		}
		assert_int_equal(orsp_auc_get(a, cases[c].imsi, &info), ORSP_OK);
		assert_memory_equal(info.amf, cases[c].stored, 2);
		memset(&s, 0, sizeof(s));
		assert_int_equal(orsp_auc_audit_walk(a, cases[c].imsi, 1, audit_cb, &s), ORSP_OK);
		snprintf(detail, sizeof(detail),
		         "2 vector(s), IND 0, last SQN 000000000040, for EPS/5G, AMF %02x%02x",
		         cases[c].eps[0], cases[c].eps[1]);
		assert_string_equal(s.r[0].detail, detail);

		/* UMTS (orsp_auc_vectors_for and orsp_auc_vectors): the AMF as stored. */
		assert_int_equal(orsp_auc_vectors_for(a, cases[c].imsi, ORSP_AUC_FOR_UMTS, 1, 1, v),
		                 ORSP_OK);
		assert_memory_equal(v[0].amf, cases[c].stored, 2);
		assert_memory_equal(v[0].autn + 6, cases[c].stored, 2);
		usim_accepts(&usim, &ust, &v[0]);
		assert_int_equal(orsp_auc_vectors(a, cases[c].imsi, 2, 1, v), ORSP_OK);
		assert_memory_equal(v[0].amf, cases[c].stored, 2);
		usim_accepts(&usim, &ust, &v[0]);
		memset(&s, 0, sizeof(s));
		assert_int_equal(orsp_auc_audit_walk(a, cases[c].imsi, 1, audit_cb, &s), ORSP_OK);
		assert_string_equal(s.r[0].detail, "1 vector(s), IND 2, last SQN 000000000082");
		orsp_aka_subscriber_wipe(&usim);
		orsp_wipe(k, sizeof(k));
		orsp_wipe(opc, sizeof(opc));
	}
	/* An unknown use: refused before anything is read or spent. */
	assert_int_equal(orsp_auc_vectors_for(a, cases[0].imsi, (orsp_auc_vector_use)7, 0, 1, v),
	                 ORSP_E_USAGE);
	assert_true(sqn_of(a, cases[0].imsi) == 0x82);
	for (int i = 0; i < 2; i++)
		orsp_aka_vector_wipe(&v[i]);
	orsp_auc_close(a);
	tsv_free(t);
}

/* The exact osmo-hlr VTY text for known K/OPc, one or several subscribers, by IMSI or all,
 * to a file (new, 0600) or a descriptor; each subscriber read is audited without its keys. */
static void test_export_osmo_hlr(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("export.db");
	char path[4300], want[4800];
	const char *one[] = {"001010000000101"};
	const char *both[] = {"26201123456789", "001010000000101"};
	size_t count = 0;

	add_milenage(a, "001010000000101", 0x00, 0xf0, 5, 0x8000);
	add_milenage(a, "26201123456789", 0xa5, 0x3c, 0, 0x0000);

	snprintf(path, sizeof(path), "%s/one.vty", dir);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, one, 1, path, -1, NULL, &count),
	    ORSP_OK);
	assert_int_equal(count, 1);
	snprintf(want, sizeof(want), "%s%s", export_header, export_sub1);
	assert_file_text(path, want);
	assert_int_equal(count_exports(a, "ok"), 1);
	/* the destination as an absolute name: the real path of its directory and the name */
	char real[4096], cwd[4096];
	assert_non_null(realpath(dir, real));
	snprintf(want, sizeof(want),
	         "SELECT COUNT(*) FROM auc_audit WHERE action = 'export' AND imsi ="
	         " '001010000000101' AND detail = 'osmo-hlr-vty to %s/one.vty'",
	         real);
	assert_int_equal(query_int(a, want), 1);
	/* a relative --out, with a detour: the row still says where the file is */
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(mkdir(db_path("sub"), 0700), 0);
	assert_int_equal(chdir(db_path("sub")), 0);
	assert_int_equal(orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, one, 1,
	                                 "../sub/./rel.vty", -1, NULL, &count),
	                 ORSP_OK);
	assert_int_equal(chdir(cwd), 0);
	snprintf(want, sizeof(want),
	         "SELECT COUNT(*) FROM auc_audit WHERE action = 'export' AND imsi ="
	         " '001010000000101' AND detail = 'osmo-hlr-vty to %s/sub/rel.vty'",
	         real);
	assert_int_equal(query_int(a, want), 1);
	assert_int_equal(count_exports(a, "ok"), 2);
	/* never a key in the audit table */
	assert_int_equal(query_int(a,
	                           "SELECT COUNT(*) FROM auc_audit WHERE detail LIKE '%0001020304%'"
	                           " OR detail LIKE '%f0f1f2f3%'"),
	                 0);

	/* in the order given */
	snprintf(path, sizeof(path), "%s/both.vty", dir);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, both, 2, path, -1, NULL, &count),
	    ORSP_OK);
	assert_int_equal(count, 2);
	snprintf(want, sizeof(want), "%s%s%s", export_header, export_sub2, export_sub1);
	assert_file_text(path, want);

	/* all: in IMSI order */
	snprintf(path, sizeof(path), "%s/all.vty", dir);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, NULL, 0, path, -1, NULL, &count),
	    ORSP_OK);
	assert_int_equal(count, 2);
	snprintf(want, sizeof(want), "%s%s%s", export_header, export_sub1, export_sub2);
	assert_file_text(path, want);
	assert_int_equal(count_exports(a, "ok"), 6);

	/* to a descriptor */
	int p[2];
	char buf[1024];
	assert_int_equal(pipe(p), 0);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, one, 1, NULL, p[1], NULL, NULL),
	    ORSP_OK);
	close(p[1]);
	ssize_t r = read(p[0], buf, sizeof(buf));
	close(p[0]);
	snprintf(want, sizeof(want), "%s%s", export_header, export_sub1);
	assert_int_equal(r, (ssize_t)strlen(want));
	assert_memory_equal(buf, want, strlen(want));
	assert_int_equal(count_exports(a, "ok"), 7);
	orsp_auc_close(a);
}

typedef struct export_run {
	orsp_auc *a;
	const char *path;
	volatile sig_atomic_t *stop;
	orsp_err err;
	char detail[256];
} export_run;

static void *export_thread(void *arg)
{
	export_run *r = arg;
	const char *both[] = {"001010000000101", "26201123456789"};

	r->err = orsp_auc_export(r->a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, both, 2, r->path, -1, r->stop,
	                         NULL);
	snprintf(r->detail, sizeof(r->detail), "%s", orsp_err_detail());
	return NULL;
}

/* A write to a pipe whose reader leaves after reading part of the text: the reader got the
 * first subscribers' K and OPc, so their export is audited "partly written", not "not
 * written" (every subscriber was, until session 56), and the rest "not written". */
static void *partial_reader(void *arg)
{
	int fd = *(int *)arg;
	static char got[4001]; /* 4000 bytes read, a NUL after them */
	size_t n = 0;
	while (n < sizeof(got) - 1) {
		ssize_t r = read(fd, got + n, sizeof(got) - 1 - n);
		if (r <= 0)
			break;
		n += (size_t)r;
	}
	close(fd);
	return strstr(got, "subscriber imsi 001010000000001 update aud3g milenage k ") ? got : NULL;
}

static void test_export_partial_pipe(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("export_partial.db");
	char imsi[16], sql[256];
	int p[2];
	pthread_t th;
	void *res = NULL;

	assert_int_equal(orsp_db_begin(orsp_auc_db(a)), ORSP_OK);
	for (int i = 1; i <= 600; i++) {
		snprintf(imsi, sizeof(imsi), "00101%010d", i);
		add_milenage(a, imsi, (uint8_t)i, (uint8_t)(i + 7), 5, 0x8000);
	}
	assert_int_equal(orsp_db_commit(orsp_auc_db(a)), ORSP_OK);
	assert_int_equal(pipe(p), 0);
	assert_int_equal(pthread_create(&th, NULL, partial_reader, &p[0]), 0);
	orsp_err e =
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, NULL, 0, NULL, p[1], NULL, NULL);
	close(p[1]);
	assert_int_equal(pthread_join(th, &res), 0);
	assert_int_equal(e, ORSP_E_IO);
	/* the reader holds subscriber 1's keys ... */
	assert_non_null(res);
	snprintf(sql, sizeof(sql),
	         "SELECT COUNT(*) FROM auc_audit WHERE action = 'export' AND imsi = "
	         "'001010000000001' AND result = 'not written'");
	/* ... so its export must not be said "not written" */
	assert_int_equal(query_int(a, sql), 0);
	orsp_auc_close(a);
}

/* A stop (the CLI's SIGINT, SIGTERM, SIGHUP) before the text is written ends the export with
 * nothing written: the file it created is removed and no key is read, so no audit row. Before,
 * the CLI was killed by the signal's default action and left the file behind, empty, or cut in
 * the middle of a long write; and a stop could not end the library's export at all. Here it
 * comes while the export waits for the write lock another handle holds, with its file made. */

static void test_export_interrupted(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("export_stop.db"), *b = open_auc("export_stop.db");
	volatile sig_atomic_t stop = 1;
	char path[4300];
	const char *one[] = {"001010000000101"};
	size_t count = 7;
	struct stat st;
	pthread_t th;
	export_run r;

	add_milenage(a, "001010000000101", 0x00, 0xf0, 5, 0x8000);
	add_milenage(a, "26201123456789", 0xa5, 0x3c, 0, 0x0000);
	snprintf(path, sizeof(path), "%s/stopped.vty", dir);

	/* asked before: nothing created */
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, one, 1, path, -1, &stop, &count),
	    ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "interrupted: nothing exported"));
	assert_int_equal(count, 0);
	assert_int_equal(stat(path, &st), -1);

	/* asked while the export waits, its file open: nothing named, no key read. The file
	 * has no name until it is complete (an unnamed file linked in place at the end): one
	 * killed outright leaves none (until session 67 the name was there from the start) */
	stop = 0;
	memset(&r, 0, sizeof(r));
	r.a = a;
	r.path = path;
	r.stop = &stop;
	assert_int_equal(orsp_db_begin(orsp_auc_db(b)), ORSP_OK);
	assert_int_equal(pthread_create(&th, NULL, export_thread, &r), 0);
	usleep(300 * 1000); /* the export waits for b's write lock by then */
	assert_int_equal(stat(path, &st), -1);
	/* atomic, as a signal handler's store: the export thread polls it (orsp_stop_set) */
	__atomic_store_n(&stop, 1, __ATOMIC_RELAXED);
	orsp_db_rollback(orsp_auc_db(b));
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.err, ORSP_E_STATE);
	assert_non_null(strstr(r.detail, "interrupted: nothing exported"));
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(count_exports(a, "ok"), 0);
	assert_int_equal(count_exports(a, "not written"), 0);

	/* without a stop the same export goes through */
	stop = 0;
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, one, 1, path, -1, &stop, &count),
	    ORSP_OK);
	assert_int_equal(count, 1);
	assert_int_equal(count_exports(a, "ok"), 1);

	/* a file made at the name while the export waits is not overwritten: refused at the
	 * end, the keys audited "not written", the other file as it was */
	snprintf(path, sizeof(path), "%s/meanwhile.vty", dir);
	memset(&r, 0, sizeof(r));
	r.a = a;
	r.path = path;
	assert_int_equal(orsp_db_begin(orsp_auc_db(b)), ORSP_OK);
	assert_int_equal(pthread_create(&th, NULL, export_thread, &r), 0);
	usleep(300 * 1000);
	FILE *f = fopen(path, "wx");
	assert_non_null(f);
	assert_int_equal(fputs("mine\n", f) >= 0, 1);
	assert_int_equal(fclose(f), 0);
	orsp_db_rollback(orsp_auc_db(b));
	assert_int_equal(pthread_join(th, NULL), 0);
	assert_int_equal(r.err, ORSP_E_EXISTS);
	assert_non_null(strstr(r.detail, "was made meanwhile (not overwritten)"));
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_size, 5);
	assert_int_equal(count_exports(a, "not written"), 2);
	orsp_auc_close(b);
	orsp_auc_close(a);
}

/* What osmo-hlr cannot take is refused naming the IMSI and why; an unknown IMSI, an IMSI given
 * twice, an existing output file too: nothing written, the existing file untouched, no key read
 * and nothing audited. */
static void test_export_refused(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("export_refused.db");
	char path[4300];
	orsp_auc_new n;
	uint8_t k[32] = {1}, o[32] = {2};
	struct stat st;
	size_t count = 7;

	/* every subscriber asked for, and the database holds none: no file, nothing audited */
	snprintf(path, sizeof(path), "%s/export_none.vty", dir);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, NULL, 0, path, -1, NULL, &count),
	    ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "no subscribers to export"));
	assert_int_equal(count, 0);
	assert_int_equal(stat(path, &st), -1);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit"), 0);

	add_milenage(a, "001010000000201", 0x10, 0x20, 5, 0x8000);
	/* TUAK */
	orsp_auc_new_init(&n);
	n.imsi = "001010000000202";
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_TUAK, k, 16, o, 32), ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	/* Milenage with another c3 */
	orsp_auc_new_init(&n);
	n.imsi = "001010000000203";
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, o, 16),
	                 ORSP_OK);
	n.sub.milenage.c[2][15] ^= 0x40;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	/* Milenage with another rotation */
	orsp_auc_new_init(&n);
	n.imsi = "001010000000204";
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_MILENAGE, k, 16, o, 16),
	                 ORSP_OK);
	n.sub.milenage.r[0] = 8;
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	/* an AMF osmo-hlr does not send */
	add_milenage(a, "001010000000205", 0x30, 0x40, 5, 0x8001);
	/* an IMSI the AuC takes (5 digits) but osmo-hlr does not (osmo_imsi_str_valid: 6..15);
	 * added last and sorting after the others, so --all below still stops at the TUAK one */
	add_milenage(a, "00102", 0x50, 0x60, 5, 0x8000);

	static const struct {
		const char *imsi, *why;
		orsp_err err;
	} cases[] = {
	    {"001010000000202", "subscriber 001010000000202: TUAK", ORSP_E_POLICY},
	    {"001010000000203", "subscriber 001010000000203: Milenage with other r1..r5/c1..c5",
	     ORSP_E_POLICY},
	    {"001010000000204", "subscriber 001010000000204: Milenage with other r1..r5/c1..c5",
	     ORSP_E_POLICY},
	    {"001010000000205", "subscriber 001010000000205: AMF 8001", ORSP_E_POLICY},
	    {"00102",
	     "subscriber 00102: an IMSI of 5 digits cannot be exported to osmo-hlr (it takes 6 "
	     "to 15)",
	     ORSP_E_POLICY},
	    {"001010000000299", "no subscriber with IMSI 001010000000299", ORSP_E_NOT_FOUND},
	    {"0010x00", "IMSI '0010x00'", ORSP_E_USAGE},
	};
	snprintf(path, sizeof(path), "%s/refused.vty", dir);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		/* the good subscriber first: it is not written either */
		const char *imsis[] = {"001010000000201", cases[i].imsi};
		orsp_err e = orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, imsis, 2, path, -1,
		                             NULL, NULL);
		assert_int_equal(e, cases[i].err);
		if (strncmp(orsp_err_detail(), cases[i].why, strlen(cases[i].why)) != 0)
			fail_msg("case %zu: %s", i, orsp_err_detail());
		assert_int_equal(stat(path, &st), -1);
	}
	/* all: refused for the first one osmo-hlr cannot take */
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, NULL, 0, path, -1, NULL, NULL),
	    ORSP_E_POLICY);
	assert_string_equal(orsp_err_detail(), "subscriber 001010000000202: TUAK cannot be exported"
	                                       " to osmo-hlr (its aud3g takes Milenage only)");
	assert_int_equal(stat(path, &st), -1);
	/* the same IMSI twice */
	const char *twice[] = {"001010000000201", "001010000000201"};
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, twice, 2, path, -1, NULL, NULL),
	    ORSP_E_USAGE);
	assert_int_equal(stat(path, &st), -1);

	/* an existing file: refused before anything is read, left as it was */
	FILE *f = fopen(path, "w");
	assert_non_null(f);
	fputs("keep me\n", f);
	fclose(f);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, twice, 1, path, -1, NULL, NULL),
	    ORSP_E_EXISTS);
	size_t len = 0;
	uint8_t *got = test_read_file(path, &len);
	assert_non_null(got);
	assert_int_equal(len, 8);
	assert_memory_equal(got, "keep me\n", 8);
	free(got);
	/* a symbolic link is not followed (nor its target created) */
	char link_path[4300], target[4300];
	snprintf(link_path, sizeof(link_path), "%s/link.vty", dir);
	snprintf(target, sizeof(target), "%s/target.vty", dir);
	assert_int_equal(symlink(target, link_path), 0);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, twice, 1, link_path, -1, NULL, NULL),
	    ORSP_E_EXISTS);
	assert_int_equal(stat(target, &st), -1);

	assert_int_equal(count_exports(a, "ok"), 0);
	orsp_auc_close(a);

	/* an IND length above osmo-hlr's 28 bits (its `ind-bitlen <0-28>`): the AuC stores at
	 * most ORSP_SQN_MAX_IND_BITS, so only a caller's own orsp_auc_info has one; 28 passes */
	{
		orsp_auc_info info;
		memset(&info, 0, sizeof(info));
		snprintf(info.imsi, sizeof(info.imsi), "001010000000209");
		info.alg = ORSP_AKA_MILENAGE;
		info.k_len = 16;
		orsp_milenage_default_consts(&info.milenage);
		info.amf[0] = 0x80;
		info.ind_bits = 29;
		assert_int_equal(orsp_auc_export_check(ORSP_AUC_EXPORT_OSMO_HLR_VTY, &info),
		                 ORSP_E_POLICY);
		assert_string_equal(orsp_err_detail(),
		                    "subscriber 001010000000209: IND length 29 is "
		                    "above osmo-hlr's 28 bits");
		info.ind_bits = 28;
		assert_int_equal(orsp_auc_export_check(ORSP_AUC_EXPORT_OSMO_HLR_VTY, &info),
		                 ORSP_OK);
	}
}

/* orsp_auc_export_keys gives the keys stored, audited; a write failing after the audit is
 * followed by a "not written" row. */
static void test_export_keys(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("export_keys.db");
	orsp_secret k = {0}, opc = {0};
	orsp_auc_info info;
	uint8_t want_k[16], want_o[16];

	for (int i = 0; i < 16; i++) {
		want_k[i] = (uint8_t)(0x50 + i);
		want_o[i] = (uint8_t)(0x60 + i);
	}
	add_milenage(a, "001010000000301", 0x50, 0x60, 4, 0x8000);
	assert_int_equal(orsp_auc_export_keys(a, "001010000000301", "test", &info, &k, &opc),
	                 ORSP_OK);
	assert_int_equal(k.len, 16);
	assert_int_equal(opc.len, 16);
	assert_true(orsp_ct_eq(k.v, want_k, 16));
	assert_true(orsp_ct_eq(opc.v, want_o, 16));
	assert_int_equal(info.ind_bits, 4);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action = 'export' AND"
	                              " imsi = '001010000000301' AND detail = 'test'"),
	                 1);
	/* an unknown IMSI: nothing returned (the outputs are wiped), nothing audited */
	assert_int_equal(orsp_auc_export_keys(a, "001010000000302", "test", NULL, &k, &opc),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(k.len, 0);
	assert_int_equal(opc.len, 0);
	assert_false(orsp_ct_eq(k.v, want_k, 16));
	assert_int_equal(count_exports(a, "ok"), 1);

	/* a reader gone: EPIPE after the commit, with SIGPIPE's default action (the process
	 * would die) left as it is: the library blocks it for the write and takes off the one
	 * the write raised, then restores the caller's mask */
	int p[2];
	const char *one[] = {"001010000000301"};
	sigset_t mask, pending;
	struct sigaction sa;
	assert_int_equal(sigaction(SIGPIPE, NULL, &sa), 0);
	assert_ptr_equal(sa.sa_handler, SIG_DFL);
	assert_int_equal(pipe(p), 0);
	close(p[0]);
	assert_int_equal(
	    orsp_auc_export(a, ORSP_AUC_EXPORT_OSMO_HLR_VTY, one, 1, NULL, p[1], NULL, NULL),
	    ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "write to the output failed: Broken pipe"));
	close(p[1]);
	assert_int_equal(sigpending(&pending), 0);
	assert_int_equal(sigismember(&pending, SIGPIPE), 0);
	assert_int_equal(pthread_sigmask(SIG_BLOCK, NULL, &mask), 0);
	assert_int_equal(sigismember(&mask, SIGPIPE), 0);
	assert_int_equal(count_exports(a, "ok"), 2);
	assert_int_equal(count_exports(a, "not written"), 1);
	orsp_auc_close(a);
}

static int collect_name(const char *name, void *arg)
{
	char *out = arg;
	size_t n = strlen(out);
	snprintf(out + n, 256 - n, "%s%s", n ? "," : "", name);
	return 0;
}

/* A security domain's keys by name: stored, listed (names only), read back audited; names
 * that are not card secrets refused; wrapped bound to the name. */
static void test_sd_key_secrets(void **state)
{
	static const char *const bad[] = {
	    "sd0-kvn01-kid01",
	    "sd01-kvn01-kid01",
	    "sd1000-kvn01-kid01",
	    "sd1-kvn1-kid01",
	    "sd1-kvn01-kid0g",
	    "sd1-kvn01-kid011",
	    "sd1-kvn01",
	    "sd-kvn01-kid01",
	    "sd1-kvn01-kid01 ",
	    "puk3",
	    "",
	    "sd1_kvn01_kid01",
	};
	(void)state;
	orsp_auc *a = open_auc("sdkeys.db");
	tsv *t = tsv_load("milenage.tsv");
	const char *imsi = "001010000000081";
	char name[ORSP_AUC_SECRET_NAME_MAX], names[256] = "";
	orsp_auc_new n;
	orsp_secret k = {0}, got = {0}, pin = {0};

	assert_int_equal(orsp_auc_sd_key_name(1, 0x01, 0x02, name), ORSP_OK);
	assert_string_equal(name, "sd1-kvn01-kid02");
	assert_int_equal(orsp_auc_sd_key_name(999, 0xFF, 0xAB, name), ORSP_OK);
	assert_string_equal(name, "sd999-kvnff-kidab");
	assert_int_equal(orsp_auc_sd_key_name(0, 1, 1, name), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_sd_key_name(1000, 1, 1, name), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_secret_name_parse("SD12-KVN0A-kidFF", name), ORSP_OK);
	assert_string_equal(name, "sd12-kvn0a-kidff");
	assert_int_equal(orsp_auc_secret_name_parse("Adm2", name), ORSP_OK);
	assert_string_equal(name, "adm2");
	assert_int_equal(orsp_auc_secret_name_parse("sd999-kvnff-kidff0", name), ORSP_E_USAGE);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		if (orsp_auc_secret_name_parse(bad[i], name) != ORSP_E_USAGE)
			fail_msg("\"%s\" accepted as %s", bad[i], name);
		assert_string_equal(name, "");
	}

	new_from_tsv(&n, imsi, t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_secret_set(&k,
	                                 "\x1f\x2e\x3d\x4c\x5b\x6a\x79\x88\x97\xa6\xb5\xc4\xd3"
	                                 "\xe2\xf1\x00",
	                                 16),
	                 ORSP_OK);
	assert_int_equal(orsp_secret_set(&pin, "12345678", 8), ORSP_OK);
	/* unknown names, a name not in its parsed form, a bad length, an unknown IMSI */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++)
		assert_int_equal(orsp_auc_set_secret(a, imsi, bad[i], &k), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_set_secret(a, imsi, "sd1-kvn0A-kid01", &k), ORSP_E_USAGE);
	assert_int_equal(orsp_auc_get_secret(a, imsi, "puk3", &got), ORSP_E_USAGE);
	k.len = 7;
	assert_int_equal(orsp_auc_set_secret(a, imsi, "sd1-kvn01-kid01", &k), ORSP_E_USAGE);
	k.len = 16;
	assert_int_equal(orsp_auc_set_secret(a, "001010000000082", "sd1-kvn01-kid01", &k),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_auc_list_secrets(a, "001010000000082", collect_name, names),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_card_secret"), 0);

	/* stored (the longest name too: its additional data is longer than K's), listed */
	assert_int_equal(orsp_auc_set_secret(a, imsi, "sd1-kvn01-kid01", &k), ORSP_OK);
	assert_int_equal(orsp_auc_set_secret(a, imsi, "sd999-kvnff-kidff", &k), ORSP_OK);
	assert_int_equal(orsp_auc_set_card_secret(a, imsi, ORSP_AUC_PUK1, &pin), ORSP_OK);
	assert_int_equal(orsp_auc_list_secrets(a, imsi, collect_name, names), ORSP_OK);
	assert_string_equal(names, "puk1,sd1-kvn01-kid01,sd999-kvnff-kidff");
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action ="
	                              " 'card secret read'"),
	                 0); /* listing reads no value */
	/* read back, audited with the name */
	assert_int_equal(orsp_auc_get_secret(a, imsi, "sd999-kvnff-kidff", &got), ORSP_OK);
	assert_int_equal(got.len, 16);
	assert_memory_equal(got.v, k.v, 16);
	orsp_secret_wipe(&got);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action ="
	                              " 'card secret read' AND detail = 'sd999-kvnff-kidff'"),
	                 1);
	assert_int_equal(orsp_auc_get_secret(a, imsi, "sd1-kvn02-kid01", &got), ORSP_E_NOT_FOUND);
	/* a value moved to another key's name does not unwrap there */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "DELETE FROM auc_card_secret WHERE name ="
	                                              " 'sd999-kvnff-kidff';"
	                                              "UPDATE auc_card_secret SET name ="
	                                              " 'sd999-kvnff-kidff' WHERE name ="
	                                              " 'sd1-kvn01-kid01'"),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_get_secret(a, imsi, "sd999-kvnff-kidff", &got), ORSP_E_VERIFY);
	assert_int_equal(got.len, 0);
	/* the table refuses a name that is no card secret, even written directly */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "UPDATE auc_card_secret SET name = 'kic'"),
	                 ORSP_E_STORAGE);
	/* deleted with the subscriber */
	assert_int_equal(orsp_auc_delete(a, imsi), ORSP_OK);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_card_secret"), 0);
	orsp_auc_close(a);

	/* never in the database file in clear */
	FILE *f = fopen(db_path("sdkeys.db"), "rb");
	assert_non_null(f);
	static uint8_t buf[1 << 20];
	size_t len = fread(buf, 1, sizeof(buf), f);
	fclose(f);
	assert_false(contains(buf, len, k.v, 16));
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&pin);
	tsv_free(t);
}

/* Rows that pass the column checks but disagree with what they wrap, or card secret rows not
 * in the form the AuC writes (an edited file, another program): refused as corrupt, nothing
 * handed out, the SQN kept. */
static void test_corrupt_wrapped(void **state)
{
	(void)state;
	tsv *t = tsv_load("milenage.tsv");
	orsp_auc *a = open_auc("wrapped.db");
	orsp_db *db = orsp_auc_db(a);
	orsp_auc_new n;
	orsp_auc_info info;
	orsp_aka_vector v, zero;
	orsp_secret pin = {0}, got = {0};
	uint8_t k[32] = {5}, top[32] = {6}, w[ORSP_WRAP_MAX];
	size_t w_len = 0;
	char names[256] = "";
#define TU "001010000000531"
#define M "001010000000532"

	memset(&zero, 0, sizeof(zero));
	orsp_auc_new_init(&n);
	n.imsi = TU;
	assert_int_equal(orsp_aka_subscriber_init(&n.sub, ORSP_AKA_TUAK, k, 32, top, 32), ORSP_OK);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	new_from_tsv(&n, M, t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	const uint64_t sqn = sqn_of(a, TU);

	/* k_len 16, a length TUAK allows, over a wrapped 32-byte K: the row reads, the key is
	 * refused once unwrapped, no vector */
	assert_int_equal(orsp_db_exec(db, "UPDATE auc_subscriber SET k_len = 16"
	                                  " WHERE imsi = '" TU "'"),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_get(a, TU, &info), ORSP_OK);
	memset(&v, 0xa5, sizeof(v));
	assert_int_equal(orsp_auc_vectors(a, TU, 0, 1, &v), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), TU ": corrupt row (key length)"));
	assert_memory_equal(&v, &zero, sizeof(v));
	assert_true(sqn_of(a, TU) == sqn);
	assert_int_equal(orsp_db_exec(db, "UPDATE auc_subscriber SET k_len = 32"
	                                  " WHERE imsi = '" TU "'"),
	                 ORSP_OK);
	assert_int_equal(orsp_auc_vectors(a, TU, 0, 1, &v), ORSP_OK);
	orsp_aka_vector_wipe(&v);

	/* a PUK wrapped under the right KEK for its own name, but not digits (written past
	 * orsp_auc_set_card_secret): not handed out to be printed, the read not audited as ok */
	assert_int_equal(orsp_secret_set(&pin, "7391504\x1b", 8), ORSP_OK);
	assert_int_equal(orsp_kek_wrap(&kek, "auc:puk1:" M, &pin, w, sizeof(w), &w_len), ORSP_OK);
	assert_int_equal(exec_blob(a,
	                           "INSERT INTO auc_card_secret (wrapped, imsi, name)"
	                           " VALUES (?1, ?2, 'puk1')",
	                           w, w_len, M),
	                 ORSP_OK);
	memset(&got, 0xa5, sizeof(got));
	assert_int_equal(orsp_auc_get_card_secret(a, M, ORSP_AUC_PUK1, &got), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "puk1 stored for IMSI " M " is not digits"));
	assert_int_equal(got.len, 0);
	assert_int_equal(query_int(a, "SELECT COUNT(*) FROM auc_audit WHERE action ="
	                              " 'card secret read'"),
	                 0);

	/* a card secret name the table's coarse CHECK lets through ('sd1x-...' matches its
	 * GLOB), and one with a terminal's control sequence (the CHECK switched off): the
	 * listing refuses the row, the callback never gets the name */
	static const char *const bad_names[] = {"sd1x-kvn01-kid01", "\x1b]2;X\a"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_names); i++) {
		char sql[160];
		if (i == 1)
			assert_int_equal(orsp_db_exec(db, "PRAGMA ignore_check_constraints = ON"),
			                 ORSP_OK);
		snprintf(sql, sizeof(sql),
		         "UPDATE auc_card_secret SET name = '%s' WHERE imsi = '" M "'",
		         bad_names[i]);
		assert_int_equal(orsp_db_exec(db, sql), ORSP_OK);
		assert_int_equal(orsp_db_changes(db), 1);
		names[0] = '\0';
		assert_int_equal(orsp_auc_list_secrets(a, M, collect_name, names),
		                 ORSP_E_MALFORMED);
		assert_non_null(
		    strstr(orsp_err_detail(), "subscriber " M ": corrupt card secret name"));
		assert_string_equal(names, "");
	}
	assert_int_equal(orsp_db_exec(db, "PRAGMA ignore_check_constraints = OFF"), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "UPDATE auc_card_secret SET name = 'puk2'"), ORSP_OK);
	assert_int_equal(orsp_auc_list_secrets(a, M, collect_name, names), ORSP_OK);
	assert_string_equal(names, "puk2");

	/* the KEK check value replaced by another value wrapped under this KEK for the same
	 * record (what no open of the AuC writes): the next open refuses the KEK */
	assert_int_equal(orsp_secret_set(&pin, "not the AuC's check value", 25), ORSP_OK);
	assert_int_equal(orsp_kek_wrap(&kek, "auc:kek-check", &pin, w, sizeof(w), &w_len), ORSP_OK);
	assert_int_equal(exec_blob(a, "UPDATE auc_kek_check SET wrapped = ?1 WHERE id = 1 AND ?2",
	                           w, w_len, "1"),
	                 ORSP_OK);
	assert_int_equal(orsp_db_changes(db), 1);
	orsp_auc_close(a);
	a = (orsp_auc *)1;
	assert_int_equal(orsp_auc_open(db_path("wrapped.db"), &kek, &a), ORSP_E_VERIFY);
	assert_null(a);
	assert_non_null(strstr(orsp_err_detail(), "wrong KEK: check value does not match"));
#undef TU
#undef M
	orsp_secret_wipe(&pin);
	tsv_free(t);
}

/* A version 4 database keeps its card secrets through migration 5, which then takes the
 * security domains' keys. */
static void test_migration_sd_key_names(void **state)
{
	(void)state;
	orsp_auc *a = open_auc("mig5.db");
	tsv *t = tsv_load("milenage.tsv");
	const char *imsi = "001010000000083";
	orsp_auc_new n;
	orsp_secret v = {0}, got = {0};

	new_from_tsv(&n, imsi, t, 0, false);
	assert_int_equal(orsp_auc_add(a, &n), ORSP_OK);
	orsp_auc_new_wipe(&n);
	assert_int_equal(orsp_secret_set(&v, "73915048", 8), ORSP_OK);
	assert_int_equal(orsp_auc_set_card_secret(a, imsi, ORSP_AUC_ADM1, &v), ORSP_OK);
	/* Back to the version 4 table, as an older program left it. */
	assert_int_equal(orsp_db_exec(orsp_auc_db(a),
	                              "CREATE TABLE v4 ("
	                              " imsi TEXT NOT NULL,"
	                              " name TEXT NOT NULL CHECK (name IN ('puk1', 'puk2',"
	                              " 'adm1', 'adm2')),"
	                              " wrapped BLOB NOT NULL,"
	                              " PRIMARY KEY (imsi, name));"
	                              "INSERT INTO v4 SELECT imsi, name, wrapped"
	                              " FROM auc_card_secret;"
	                              "DROP TABLE auc_card_secret;"
	                              "ALTER TABLE v4 RENAME TO auc_card_secret;"
	                              "DELETE FROM schema_migrations WHERE module = 'auc'"
	                              " AND version >= 5;"),
	                 ORSP_OK);
	assert_int_equal(orsp_db_exec(orsp_auc_db(a), "INSERT INTO auc_card_secret VALUES"
	                                              " ('1', 'sd1-kvn01-kid01', x'00')"),
	                 ORSP_E_STORAGE);
	orsp_auc_close(a);
	a = open_auc("mig5.db");
	assert_int_equal(orsp_auc_get_card_secret(a, imsi, ORSP_AUC_ADM1, &got), ORSP_OK);
	assert_int_equal(got.len, 8);
	assert_memory_equal(got.v, "73915048", 8);
	orsp_secret_wipe(&got);
	assert_int_equal(orsp_auc_set_secret(a, imsi, "sd2-kvn30-kid01", &v), ORSP_OK);
	assert_int_equal(orsp_auc_get_secret(a, imsi, "sd2-kvn30-kid01", &got), ORSP_OK);
	orsp_secret_wipe(&got);
	orsp_secret_wipe(&v);
	orsp_auc_close(a);
	tsv_free(t);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_add_get_list_delete),
	    cmocka_unit_test(test_invalid_input),
	    cmocka_unit_test(test_tuak_keccak_limit),
	    cmocka_unit_test(test_vectors_sqn),
	    cmocka_unit_test(test_vectors_tuak),
	    cmocka_unit_test(test_resync),
	    cmocka_unit_test(test_resync_in_range),
	    cmocka_unit_test(test_resync_profile_delta),
	    cmocka_unit_test(test_migration_sqn_delta),
	    cmocka_unit_test(test_card_secrets),
	    cmocka_unit_test(test_audit_walk),
	    cmocka_unit_test(test_vectors_eps_amf),
	    cmocka_unit_test(test_export_osmo_hlr),
	    cmocka_unit_test(test_export_interrupted),
	    cmocka_unit_test(test_export_partial_pipe),
	    cmocka_unit_test(test_export_refused),
	    cmocka_unit_test(test_export_keys),
	    cmocka_unit_test(test_sd_key_secrets),
	    cmocka_unit_test(test_corrupt_wrapped),
	    cmocka_unit_test(test_migration_sd_key_names),
	    cmocka_unit_test(test_no_plaintext_at_rest),
	    cmocka_unit_test(test_wrong_kek),
	    cmocka_unit_test(test_open_writes_nothing),
	    cmocka_unit_test(test_tampered_record),
	    cmocka_unit_test(test_corrupt_columns),
	    cmocka_unit_test(test_concurrent_processes),
	    cmocka_unit_test(test_failure_injection),
	    cmocka_unit_test(test_nested_failure),
	    cmocka_unit_test(test_nested_refused),
	    cmocka_unit_test(test_schema_versions),
	    cmocka_unit_test(test_open_readonly),
	    cmocka_unit_test(test_own_database),
	    cmocka_unit_test(test_foreign_file),
	    cmocka_unit_test(test_unlocked_uri),
	};
	return cmocka_run_group_tests(tests, setup, NULL);
}
