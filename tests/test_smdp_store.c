/* SM-DP+ inventory: the state table, import of the TS.48 profiles, the ES2+ lifecycle,
 * concurrent orders, CC and download limits, expiry, encryption at rest, failure injection. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sqlite3.h> /* a search's steps: sqlite3_stmt_status */

#include "openrsp/auc.h"
#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/pkg.h"
#include "openrsp/lpa.h"
#include "openrsp/smdp.h"
#include "testutil.h"
#include "../src/smdp/smdp_internal.h" /* smdp_filter_sql: the plans of the listing */
#include "../src/store/db_internal.h"  /* the hook between the open's two reads */

#define TS48_V1A "saip/pysim-unique/TS48V1-A-UNIQUE.der"
#define TS48_V1B "saip/pysim-unique/TS48V1-B-UNIQUE.der"
#define TS48_V7 "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"
/* A valid EID (SGP.29 check digits): the SGP.26 test EUM prefix. */
#define EID1 "89049032123451234512345678901235"
#define EID2 "89049032123451234512345678908801"

static orsp_secret test_kek;
static char db_path[512];
static int db_seq;

/* A database file gone with its -wal and -shm (a new file of the same name would otherwise
 * take the old log's frames as its own). */
static void remove_db(const char *path)
{
	char f[sizeof(db_path) + 16];
	static const char *const ext[] = {"", "-wal", "-shm", "-journal"};

	for (size_t i = 0; i < ORSP_ARRAY_LEN(ext); i++) {
		snprintf(f, sizeof(f), "%s%s", path, ext[i]);
		unlink(f);
	}
}

static orsp_smdp *open_new(void)
{
	orsp_smdp *s = NULL;
	snprintf(db_path, sizeof(db_path), "%s/smdp-%d-%d.db", test_tmpdir("smdp"), (int)getpid(),
	         db_seq++);
	unlink(db_path);
	assert_int_equal(orsp_smdp_open(db_path, &test_kek, &s), ORSP_OK);
	return s;
}

/* The template personalised with a fresh ICCID / IMSI / profile type (TS.48 profiles all
 * share one IMSI, so only personalised copies can coexist). */
static uint8_t *make_upp(const char *rel, unsigned n, const char *type, size_t *len)
{
	size_t tlen = 0;
	uint8_t *tmpl = test_read_vector(rel, &tlen);
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	char iccid[21], imsi[16];
	uint8_t *out = NULL;

	assert_non_null(tmpl);
	snprintf(iccid, sizeof(iccid), "89494400000000%04u", n);
	int d = orsp_luhn_digit(iccid, strlen(iccid));
	assert_true(d >= 0);
	snprintf(iccid + 18, 3, "%d", d);
	snprintf(imsi, sizeof(imsi), "00101%010u", n);
	orsp_pkg_perso_init(&p);
	p.iccid = iccid;
	p.imsi = imsi;
	p.profile_name = type;
	assert_int_equal(orsp_pkg_decode(tmpl, tlen, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, len), ORSP_OK);
	orsp_pkg_free(pkg);
	free(tmpl);
	return out;
}

static void import_n(orsp_smdp *s, unsigned first, unsigned count, const char *type)
{
	for (unsigned i = 0; i < count; i++) {
		size_t len = 0;
		uint8_t *u = make_upp(TS48_V7, first + i, type, &len);
		assert_int_equal(orsp_smdp_import(s, u, len, NULL), ORSP_OK);
		orsp_pkg_buf_free(u, len);
	}
}

static int64_t count_rows(orsp_smdp *s, const char *sql)
{
	orsp_stmt *st = NULL;
	bool row = false;
	int64_t v;
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(s), sql, &st), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	v = orsp_stmt_column_int64(st, 0);
	orsp_stmt_finalize(st);
	return v;
}

/* ----- the state table, written out independently from the brief (rsp-notes §A.1) ----- */

static void test_state_table(void **state)
{
	enum { AV, AL, LI, CO, RE, DO, IN, ER, UN, X = -1 };
	/* rows: states; columns: ORDER, ORDER_EID, CONFIRM, CONFIRM_RELEASE, RELEASE,
	 * CANCEL_AVAILABLE, CANCEL_UNAVAILABLE, EXPIRE, DOWNLOADED, PIR_OK, PIR_FAIL, FAIL,
	 * REOPEN, PIR_OK_REOPENED */
	static const int expect[ORSP_SMDP_STATE__COUNT][ORSP_SMDP_EVENT__COUNT] = {
	    [AV] = {AL, LI, X, X, X, X, X, X, X, X, X, X, X, X},
	    [AL] = {X, X, CO, RE, X, AV, UN, UN, X, X, X, X, X, X},
	    [LI] = {X, X, CO, RE, X, AV, UN, UN, X, X, X, X, X, X},
	    [CO] = {X, X, X, X, RE, AV, UN, UN, X, X, X, X, X, X},
	    [RE] = {X, X, X, X, X, AV, UN, UN, DO, X, X, ER, X, IN},
	    [DO] = {X, X, X, X, X, X, UN, X, X, IN, ER, ER, RE, X},
	    [IN] = {X, X, X, X, X, X, X, X, X, X, X, X, X, X},
	    [ER] = {X, X, X, X, X, X, X, X, X, X, X, X, X, X},
	    [UN] = {X, X, X, X, X, X, X, X, X, X, X, X, X, X},
	};
	unsigned legal = 0, illegal = 0;
	(void)state;
	for (int s = 0; s < ORSP_SMDP_STATE__COUNT; s++) {
		for (int e = 0; e < ORSP_SMDP_EVENT__COUNT; e++) {
			orsp_smdp_state next = ORSP_SMDP_STATE__COUNT;
			orsp_err err =
			    orsp_smdp_transition((orsp_smdp_state)s, (orsp_smdp_event)e, &next);
			if (expect[s][e] == X) {
				assert_int_equal(err, ORSP_E_STATE);
				assert_non_null(strstr(orsp_err_detail(),
				                       orsp_smdp_state_name((orsp_smdp_state)s)));
				illegal++;
			} else {
				assert_int_equal(err, ORSP_OK);
				assert_int_equal(next, expect[s][e]);
				legal++;
			}
		}
	}
	assert_int_equal(legal, 27);
	/* the final states are those nothing leads out of */
	for (int s = 0; s < ORSP_SMDP_STATE__COUNT; s++) {
		bool out = false;
		for (int e = 0; e < ORSP_SMDP_EVENT__COUNT; e++)
			out = out || expect[s][e] != X;
		assert_int_equal(!out, (ORSP_SMDP_FINAL_STATES >> s) & 1u);
	}
	assert_int_equal(legal + illegal, ORSP_SMDP_STATE__COUNT * ORSP_SMDP_EVENT__COUNT);
	orsp_smdp_state next;
	assert_int_equal(orsp_smdp_transition(ORSP_SMDP_STATE__COUNT, ORSP_SMDP_EV_ORDER, &next),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_transition(ORSP_SMDP_AVAILABLE, ORSP_SMDP_EVENT__COUNT, &next),
	                 ORSP_E_USAGE);
	/* names round-trip; unknown names refused */
	for (int s = 0; s < ORSP_SMDP_STATE__COUNT; s++) {
		assert_int_equal(
		    orsp_smdp_state_parse(orsp_smdp_state_name((orsp_smdp_state)s), &next),
		    ORSP_OK);
		assert_int_equal(next, s);
	}
	assert_int_equal(orsp_smdp_state_parse("Available", &next), ORSP_E_MALFORMED);
}

/* ----- activation code and identifiers ----- */

static void test_activation_code(void **state)
{
	char ac[ORSP_SMDP_AC_MAX], mid[ORSP_SMDP_MATCHING_ID_MAX + 1];
	char long_label[80];
	(void)state;
	assert_int_equal(
	    orsp_smdp_activation_code("smdp.example.com", "ABC-123", false, ac, sizeof(ac)),
	    ORSP_OK);
	assert_string_equal(ac, "LPA:1$smdp.example.com$ABC-123");
	/* an order with a confirmation code: SGP.22 §4.1's CC required flag, after an empty
	 * OID, which openrsp's LPA reads as such (it then asks for the code) */
	{
		orsp_lpa_ac pac;
		char fqdn[ORSP_SMDP_FQDN_MAX + 1];
		assert_int_equal(
		    orsp_smdp_activation_code("smdp.example.com", "ABC-123", true, ac, sizeof(ac)),
		    ORSP_OK);
		assert_string_equal(ac, "LPA:1$smdp.example.com$ABC-123$$1");
		assert_int_equal(orsp_lpa_ac_parse(ac, &pac), ORSP_OK);
		assert_true(pac.cc_required);
		assert_string_equal(pac.fqdn, "smdp.example.com");
		assert_string_equal(pac.matching_id, "ABC-123");
		assert_string_equal(pac.oid, "");
		assert_int_equal(
		    orsp_smdp_activation_code("smdp.example.com", "ABC-123", false, ac, sizeof(ac)),
		    ORSP_OK);
		assert_int_equal(orsp_lpa_ac_parse(ac, &pac), ORSP_OK);
		assert_false(pac.cc_required);
		/* the longest code fits ORSP_SMDP_AC_MAX */
		memset(fqdn, 'a', ORSP_SMDP_FQDN_MAX); /* labels of 63, 63, 63 and 61 */
		fqdn[63] = fqdn[127] = fqdn[191] = '.';
		fqdn[ORSP_SMDP_FQDN_MAX] = '\0';
		memset(mid, 'M', ORSP_SMDP_MATCHING_ID_MAX);
		mid[ORSP_SMDP_MATCHING_ID_MAX] = '\0';
		assert_int_equal(orsp_smdp_activation_code(fqdn, mid, true, ac, sizeof(ac)),
		                 ORSP_OK);
		assert_int_equal(strlen(ac), ORSP_SMDP_AC_MAX - 1);
	}
	static const char *const bad_fqdn[] = {"",          "a..b",
	                                       ".a",        "a.",
	                                       "-a.b",      "a-.b",
	                                       "a_b.c",     "a$b",
	                                       "a b",       "smdp.example.com:443",
	                                       "192.0.2.1", "smdp.example.123",
	                                       "42",        "smdp",
	                                       "localhost", "1.2.3.4"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_fqdn); i++)
		assert_int_equal(
		    orsp_smdp_activation_code(bad_fqdn[i], "ABC", false, ac, sizeof(ac)),
		    ORSP_E_USAGE);
	/* one label is no FQDN: the LPA would refuse the activation code (orsp_fqdn_check) */
	assert_int_equal(orsp_smdp_fqdn_check("smdp"), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "not a DNS name: one label only"));
	assert_int_equal(orsp_smdp_fqdn_check("1.2.3.4"), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "last label is all digits"));
	memset(long_label, 'a', 64);
	memcpy(long_label + 64, ".example", 9);
	assert_int_equal(orsp_smdp_fqdn_check(long_label), ORSP_E_USAGE);
	memmove(long_label + 63, long_label + 64, 9); /* a label of 63 */
	assert_int_equal(orsp_smdp_fqdn_check(long_label), ORSP_OK);
	assert_int_equal(orsp_smdp_fqdn_check("1.2.3.example"), ORSP_OK);
	assert_int_equal(orsp_smdp_fqdn_check("smdp.example.1a"), ORSP_OK);
	static const char *const bad_mid[] = {
	    "",
	    "abc",
	    "AB$C",
	    "AB C",
	    "AB_C",
	    "ÄB",
	    "0123456789012345678901234567890123456789012345678901234567890123X"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_mid); i++)
		assert_int_equal(orsp_smdp_activation_code("a.b", bad_mid[i], true, ac, sizeof(ac)),
		                 ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_activation_code("smdp.example.com", "ABC", false, ac, 10),
	                 ORSP_E_RESOURCE);
	assert_string_equal(ac, "");
	/* generated IDs: 23 characters, accepted by the checker, different each time */
	char mid2[ORSP_SMDP_MATCHING_ID_MAX + 1];
	assert_int_equal(orsp_smdp_matching_id_generate(mid), ORSP_OK);
	assert_int_equal(orsp_smdp_matching_id_generate(mid2), ORSP_OK);
	assert_int_equal(strlen(mid), 23);
	assert_true(strlen(mid) >= 20);
	assert_int_equal(orsp_smdp_matching_id_check(mid), ORSP_OK);
	assert_string_not_equal(mid, mid2);
}

/* ----- import ----- */

static void test_import_ts48(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_profile p;
	size_t len = 0;
	uint8_t *der = test_read_vector(TS48_V1A, &len);
	(void)state;
	assert_non_null(der);
	assert_int_equal(orsp_smdp_import(s, der, len, &p), ORSP_OK);
	/* values from pySim's file name/README (ICCID) and GSMA's .txt dump (EF.IMSI
	 * '080910101032540636', profileType) */
	assert_string_equal(p.iccid, "8949449999999990023");
	assert_string_equal(p.imsi, "001010123456063");
	assert_string_equal(p.profile_type, "GSMA Generic eUICC Test Profile");
	assert_int_equal(p.state, ORSP_SMDP_AVAILABLE);
	assert_int_equal(p.upp_len, len);
	assert_string_equal(p.eid, "");
	assert_false(p.cc_required);
	/* the same file again: ICCID duplicate */
	assert_int_equal(orsp_smdp_import(s, der, len, NULL), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "ICCID"));
	free(der);
	/* another ICCID, the same TS.48 IMSI */
	der = test_read_vector(TS48_V1B, &len);
	assert_int_equal(orsp_smdp_import(s, der, len, NULL), ORSP_E_EXISTS);
	assert_non_null(strstr(orsp_err_detail(), "IMSI"));
	free(der);
	/* garbage and a truncated package are refused, nothing stored */
	uint8_t junk[16] = {0x30, 0x03, 0x01};
	assert_int_not_equal(orsp_smdp_import(s, junk, sizeof(junk), NULL), ORSP_OK);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile"), 1);
	/* an element of a later PEDefinitions ([1] in PE-End), which the decoder drops: the
	 * SM-DP+ cannot vouch for it (an eUICC installs it unless the PE is mandated) */
	{
		static const uint8_t end[] = {0xAA, 0x0A, 0xA0, 0x05, 0x80, 0x00,
		                              0x81, 0x01, 0x1F, 0x81, 0x01, 0x00};
		uint8_t *u = make_upp(TS48_V7, 99, "ext", &len), *x = malloc(len + 3);
		assert_non_null(x);
		assert_true(len > 9);
		assert_memory_equal(u + len - 9, "\xAA\x07\xA0\x05\x80\x00\x81\x01\x1F", 9);
		memcpy(x, u, len - 9);
		memcpy(x + len - 9, end, sizeof(end));
		assert_int_equal(orsp_smdp_import(s, x, len + 3, NULL), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "PE #29 (end): not DER"));
		orsp_pkg_buf_free(u, len);
		orsp_pkg_buf_free(x, len + 3);
	}
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile"), 1);
	/* every TS.48 version personalised to unique identities imports */
	static const char *const versions[] = {
	    "saip/gsma-ts48/v1/GSMA_TS48_eSIM_GTP_v1A.der",
	    "saip/gsma-ts48/v2/TS48_V2_eSIM_GTP_SAIP2.3_NoBERTLV.der",
	    "saip/gsma-ts48/v3/TS48_V3.0_eSIM_GTP_SAIP2.3_BERTLV.der",
	    "saip/gsma-ts48/v4/TS48_V4.0_eSIM_GTP_SAIP2.1A_NoBERTLV.der",
	    "saip/gsma-ts48/v5/TS48_V5.0_eSIM_GTP_SAIP2.3_BERTLV_SUCI.der",
	    "saip/gsma-ts48/v6/TS48_V6.0_eSIM_GTP_SAIP2.3_NoBERTLV.der",
	    TS48_V7,
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(versions); i++) {
		uint8_t *u = make_upp(versions[i], 100 + (unsigned)i, "ts48", &len);
		assert_int_equal(orsp_smdp_import(s, u, len, &p), ORSP_OK);
		assert_string_equal(p.profile_type, "ts48");
		orsp_pkg_buf_free(u, len);
	}
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile"), 8);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'import'"),
	                 8);
	orsp_smdp_close(s);
}

/* ----- Profile Policy Rules ----- */

/* TS.48 v7's EF.AD (PE-USIM: MNC length 2) and EF.GID1, EF.GID2 (PE-OPT-USIM: 'FFFF'), as
 * the package codes them: file ID, then the fillFileContent '83'. */
#define TS48_EF_AD "6fad8b036f0607a500830480000002"
#define TS48_EF_GID1 "6f3e8b036f0604800102a5008302ffff"
#define TS48_EF_GID2 "6f3f8b036f0604800102a5008302ffff"

static void test_ppr_parse(void **state)
{
	static const struct {
		const char *in;
		unsigned ppr;
	} good[] = {
	    {"ppr1", ORSP_SMDP_PPR1},         {"ppr2", ORSP_SMDP_PPR2},
	    {"ppr1,ppr2", ORSP_SMDP_PPR_ALL}, {"ppr2,ppr1", ORSP_SMDP_PPR_ALL},
	    {"PPR1", ORSP_SMDP_PPR1},
	};
	/* pprUpdateControl (ES6) and ppr3 are refused, as is anything not exactly a list */
	static const char *const bad[] = {
	    "",           "ppr3",      "pprUpdateControl",
	    "ppr0",       "ppr1,",     ",ppr1",
	    "ppr1,,ppr2", "ppr12",     "ppr",
	    "ppr1 ",      " ppr1",     "ppr1;ppr2",
	    "1",          "ppr1,ppr1", "ppr1,ppr3",
	    "ppr1,PPR1",
	};
	char out[32];
	unsigned v;
	(void)state;
	for (size_t i = 0; i < ORSP_ARRAY_LEN(good); i++) {
		assert_int_equal(orsp_smdp_ppr_parse(good[i].in, &v), ORSP_OK);
		assert_int_equal(v, good[i].ppr);
	}
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		v = 99;
		if (orsp_smdp_ppr_parse(bad[i], &v) != ORSP_E_USAGE)
			fail_msg("\"%s\" was taken", bad[i]);
		assert_int_equal(v, 0);
		assert_non_null(strstr(orsp_err_detail(), "expected ppr1, ppr2 or ppr1,ppr2"));
	}
	assert_int_equal(orsp_smdp_ppr_parse(NULL, &v), ORSP_E_USAGE);
	orsp_smdp_ppr_str(ORSP_SMDP_PPR_ALL, out, sizeof(out));
	assert_string_equal(out, "ppr1,ppr2");
	orsp_smdp_ppr_str(ORSP_SMDP_PPR2, out, sizeof(out));
	assert_string_equal(out, "ppr2");
	orsp_smdp_ppr_str(0, out, sizeof(out));
	assert_string_equal(out, "");
	orsp_smdp_ppr_str(ORSP_SMDP_PPR_ALL, out, 6);
	assert_string_equal(out, "ppr1");
}

/* The first audit row's detail */
static int first_detail(const orsp_smdp_audit_row *r, void *arg)
{
	snprintf(arg, 256, "%.255s", r->detail);
	return 1;
}

/* The last audit row's detail, whole */
static int last_detail(const orsp_smdp_audit_row *r, void *arg)
{
	snprintf(arg, sizeof(r->detail), "%s", r->detail);
	return 0;
}

/* An audit row's detail is read whole: an order placed for a request whose actor is long (a
 * client certificate's DN and a call identifier) ends "by ACTOR" in smdp audit too; it was cut
 * at 255 bytes, and with it the call identifier that ties the change to the request (review
 * find). */
static void test_audit_detail_whole(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile p;
	char actor[ORSP_SMDP_ACTOR_MAX], want[ORSP_SMDP_ACTOR_MAX + 8];
	static char detail[sizeof(((orsp_smdp_audit_row *)0)->detail)];
	(void)state;

	import_n(s, 401, 1, "A");
	memset(actor, 'a', sizeof(actor) - 6);
	memcpy(actor + sizeof(actor) - 6, "call9", 6);
	orsp_smdp_set_actor(s, actor);
	o.profile_type = "A";
	o.matching_id = "AUDIT-LONG-1-0123456789-0123456789-0123456789-0123456789-012345";
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_audit_walk(s, p.iccid, last_detail, detail, NULL), ORSP_OK);
	snprintf(want, sizeof(want), "by %s", actor);
	assert_true(strlen(detail) > 255);
	assert_string_equal(detail + strlen(detail) - strlen(want), want);
	orsp_smdp_close(s);
}

/* PPRs set at import are kept with the profile, with its owner from the package (MCC/MNC
 * from the IMSI and EF.AD, GIDs from EF.GID1/EF.GID2 without the unused 'FF'), audited;
 * a profile without is as before. */
static void test_import_ppr(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_import_opts o = {.ppr = ORSP_SMDP_PPR1};
	orsp_smdp_profile p, q;
	char detail[256];
	size_t len = 0;
	uint8_t *u = make_upp(TS48_V7, 201, "P", &len);
	(void)state;

	assert_int_equal(orsp_smdp_import_with(s, u, len, &o, &p), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	assert_int_equal(p.ppr, ORSP_SMDP_PPR1);
	assert_string_equal(p.owner.mcc_mnc, "00101"); /* EF.AD: a 2-digit MNC */
	assert_int_equal(p.owner.gid1_len, 0);         /* EF.GID1 is 'FFFF' */
	assert_int_equal(p.owner.gid2_len, 0);
	assert_int_equal(orsp_smdp_get(s, p.iccid, &q), ORSP_OK);
	assert_int_equal(q.ppr, ORSP_SMDP_PPR1);
	assert_string_equal(q.owner.mcc_mnc, "00101");
	assert_int_equal(orsp_smdp_audit_walk(s, p.iccid, first_detail, detail, NULL), ORSP_OK);
	assert_string_equal(detail, "PPRs ppr1, owner MCC 001 MNC 01");

	/* both rules, GIDs in the package */
	u = make_upp(TS48_V7, 202, "P", &len);
	test_patch_der(u, len, TS48_EF_GID1, "6f3e8b036f0604800102a5008302ba01");
	test_patch_der(u, len, TS48_EF_GID2, "6f3f8b036f0604800102a500830212ff");
	o.ppr = ORSP_SMDP_PPR1 | ORSP_SMDP_PPR2;
	assert_int_equal(orsp_smdp_import_with(s, u, len, &o, &p), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	assert_int_equal(orsp_smdp_get(s, p.iccid, &q), ORSP_OK);
	assert_int_equal(q.ppr, ORSP_SMDP_PPR_ALL);
	assert_int_equal(q.owner.gid1_len, 2);
	assert_memory_equal(q.owner.gid1, "\xBA\x01", 2);
	assert_int_equal(q.owner.gid2_len, 1);
	assert_memory_equal(q.owner.gid2, "\x12", 1);
	assert_int_equal(orsp_smdp_audit_walk(s, p.iccid, first_detail, detail, NULL), ORSP_OK);
	assert_string_equal(detail, "PPRs ppr1,ppr2, owner MCC 001 MNC 01 GID1 GID2");

	/* EF.AD without the MNC length: the operator gives it */
	u = make_upp(TS48_V7, 203, "P", &len);
	test_patch_der(u, len, TS48_EF_AD, "6fad8b036f0607a500830480000000");
	o.ppr = ORSP_SMDP_PPR2;
	o.mnc_len = 3;
	assert_int_equal(orsp_smdp_import_with(s, u, len, &o, &p), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	assert_string_equal(p.owner.mcc_mnc, "001010");

	/* without PPRs: no owner, nothing in the audit */
	u = make_upp(TS48_V7, 204, "P", &len);
	assert_int_equal(orsp_smdp_import_with(s, u, len, NULL, &p), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	assert_int_equal(p.ppr, 0);
	assert_string_equal(p.owner.mcc_mnc, "");
	assert_int_equal(orsp_smdp_audit_walk(s, p.iccid, first_detail, detail, NULL), ORSP_OK);
	assert_string_equal(detail, "");
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE ppr = 0 AND"
	                               " owner_mcc_mnc IS NULL AND owner_gid1 IS NULL"),
	                 1);
	orsp_smdp_close(s);
}

/* A copy of package der whose EF.GID1 (PE-OPT-USIM) has n bytes of content and size n: the
 * file's TLV is rebuilt and its PE's length adjusted. */
static uint8_t *with_gid1(const uint8_t *der, size_t len, const uint8_t *gid, size_t n,
                          size_t *out_len)
{
	static const uint8_t fcp[] = {0xA1, 0x12, 0x82, 0x02, 0x41, 0x21, 0x83, 0x02, 0x6F,
	                              0x3E, 0x8B, 0x03, 0x6F, 0x06, 0x04, 0x80, 0x01};
	uint8_t file[128], *out;
	size_t at = 0, hits = 0, old_len = 0x1A, fl, pe_start = 0;
	orsp_writer w;
	orsp_reader r;
	orsp_tlv pe;

	assert_true(n < 0x40);
	for (size_t i = 2; i + sizeof(fcp) <= len; i++)
		if (der[i - 2] == 0xA5 && der[i - 1] == 0x18 &&
		    !memcmp(der + i, fcp, sizeof(fcp))) {
			at = i - 2;
			hits++;
		}
	assert_int_equal(hits, 1);
	/* A5 { fileDescriptor with efFileSize n, the A5 proprietary part; fillFileContent } */
	orsp_writer_init(&w, file, sizeof(file));
	orsp_der_put_header(&w, 0xA5, 0x14 + 2 + n);
	orsp_write_bytes(&w, fcp, sizeof(fcp));
	orsp_write_bytes(&w, (const uint8_t[]){(uint8_t)n, 0xA5, 0x00}, 3);
	orsp_der_put_tlv(&w, 0x83, gid, n);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	fl = w.len;
	/* the top-level PE around it */
	orsp_reader_init(&r, der, len);
	for (;;) {
		pe_start = r.off;
		assert_int_equal(orsp_der_read(&r, &pe), ORSP_OK);
		if (at < r.off)
			break;
	}
	assert_true(pe.value.len + fl - old_len < 0x10000 && pe.raw.len - pe.value.len == 4);
	*out_len = len + fl - old_len;
	out = malloc(*out_len);
	assert_non_null(out);
	memcpy(out, der, at);
	memcpy(out + at, file, fl);
	memcpy(out + at + fl, der + at + old_len, len - at - old_len);
	/* the PE header: one tag byte, '82' and a 2-byte length */
	out[pe_start + 2] = (uint8_t)((pe.value.len + fl - old_len) >> 8);
	out[pe_start + 3] = (uint8_t)(pe.value.len + fl - old_len);
	return out;
}

/* orsp_smdp_import_check judges a package as the import does, with no store: a package the
 * import would take passes (a duplicate too: only the store knows), and every refusal the
 * import makes of the bytes or the options is made, with the same code. */
static void test_import_check(void **state)
{
	static const uint8_t junk[16] = {0x30, 0x03, 0x01};
	orsp_smdp_import_opts o = {.mnc_len = 2};
	size_t len = 0, nad = 0;
	uint8_t *u = make_upp(TS48_V7, 401, "chk", &len);
	uint8_t *no_ad = make_upp(TS48_V7, 402, "chk", &nad);
	(void)state;

	assert_int_equal(orsp_smdp_import_check(u, len, NULL), ORSP_OK);
	assert_int_equal(orsp_smdp_import_check(junk, sizeof(junk), NULL), ORSP_E_MALFORMED);
	assert_int_equal(orsp_smdp_import_check(u, 0, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_import_check(u, len, &o), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "only for the owner of a profile with PPRs"));
	/* the owner is found from the package: no MNC length anywhere */
	test_patch_der(no_ad, nad, TS48_EF_AD, "6fad8b036f0607a500830480000000");
	o = (orsp_smdp_import_opts){.ppr = ORSP_SMDP_PPR1};
	assert_int_equal(orsp_smdp_import_check(no_ad, nad, &o), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "does not give the MNC length"));
	o.mnc_len = 2;
	assert_int_equal(orsp_smdp_import_check(no_ad, nad, &o), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	orsp_pkg_buf_free(no_ad, nad);
}

/* Every refused import names its reason and stores nothing. */
static void test_import_ppr_refused(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_import_opts o;
	orsp_smdp_profile p;
	size_t len = 0, nad = 0, gl = 0;
	uint8_t *u = make_upp(TS48_V7, 301, "R", &len);
	uint8_t *no_ad = make_upp(TS48_V7, 302, "R", &nad);
	uint8_t *g33 = NULL, *g32 = NULL, gid[33];
	orsp_pkg *pkg = NULL;
	/* pprUpdateControl, PPR3, other bits */
	static const unsigned bad_ppr[] = {0x01, 0x08, 0x03, 0x10, 0x80000000u};
	(void)state;

	test_patch_der(no_ad, nad, TS48_EF_AD, "6fad8b036f0607a500830480000000");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad_ppr); i++) {
		o = (orsp_smdp_import_opts){.ppr = bad_ppr[i]};
		assert_int_equal(orsp_smdp_import_with(s, u, len, &o, NULL), ORSP_E_USAGE);
		assert_non_null(strstr(orsp_err_detail(), "PPRs other than PPR1 and PPR2"));
	}
	o = (orsp_smdp_import_opts){.mnc_len = 2};
	assert_int_equal(orsp_smdp_import_with(s, u, len, &o, NULL), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "only for the owner of a profile with PPRs"));
	o = (orsp_smdp_import_opts){.ppr = ORSP_SMDP_PPR1, .mnc_len = 4};
	assert_int_equal(orsp_smdp_import_with(s, u, len, &o, NULL), ORSP_E_USAGE);
	/* an MNC length that contradicts EF.AD */
	o.mnc_len = 3;
	assert_int_equal(orsp_smdp_import_with(s, u, len, &o, NULL), ORSP_E_POLICY);
	assert_string_equal(orsp_err_detail(),
	                    "profile owner: the package's EF.AD gives a 2-digit MNC, not 3");
	/* no MNC length anywhere */
	o.mnc_len = 0;
	assert_int_equal(orsp_smdp_import_with(s, no_ad, nad, &o, NULL), ORSP_E_POLICY);
	assert_string_equal(orsp_err_detail(),
	                    "profile owner: the package's EF.AD does not give the MNC length of "
	                    "IMSI 001010000000302; give it (2 or 3)");
	/* a GID longer than an owner's may be: EF.GID1 of 33 bytes */
	memset(gid, 0x01, sizeof(gid));
	g33 = with_gid1(u, len, gid, sizeof(gid), &gl);
	assert_int_equal(orsp_pkg_decode(g33, gl, &pkg), ORSP_OK); /* still a package */
	orsp_pkg_free(pkg);
	assert_int_equal(orsp_smdp_import_with(s, g33, gl, &o, NULL), ORSP_E_POLICY);
	assert_string_equal(
	    orsp_err_detail(),
	    "profile owner: ef-gid1 holds 33 bytes, more than the 32 a GID may have");
	orsp_pkg_buf_free(g33, gl);
	/* a package whose EF.IMSI the package leaves undefined ('FF' bytes, for
	 * personalisation to write): no IMSI to keep the profile by, with or without PPRs */
	{
		uint8_t ef[9], *no_imsi = make_upp(TS48_V7, 303, "R", &gl);
		char from[2 * sizeof(ef) + 5] = "8309", to[sizeof(from)] = "8309";
		assert_int_equal(orsp_imsi_encode_ef("001010000000303", ef), ORSP_OK);
		assert_int_equal(orsp_hex_encode(ef, sizeof(ef), from + 4, sizeof(from) - 4),
		                 ORSP_OK);
		memset(to + 4, 'F', 2 * sizeof(ef));
		test_patch_der(no_imsi, gl, from, to);
		assert_int_equal(orsp_smdp_import_check(no_imsi, gl, NULL), ORSP_E_POLICY);
		assert_string_equal(orsp_err_detail(), "the package defines no EF.IMSI");
		assert_int_equal(orsp_smdp_import_with(s, no_imsi, gl, &o, NULL), ORSP_E_POLICY);
		assert_string_equal(orsp_err_detail(), "the package defines no EF.IMSI");
		orsp_pkg_buf_free(no_imsi, gl);
	}
	/* nor EF.ICCID: the eUICC serves the package's bytes, and its EF.ICCID would say
	 * nothing of the ICCID the SM-DP+ delivers it as (taken until session 66) */
	{
		uint8_t ef[10], *no_iccid = make_upp(TS48_V7, 304, "R", &gl);
		char from[2 * sizeof(ef) + 5] = "830A", to[sizeof(from)] = "830A", iccid[21];
		snprintf(iccid, sizeof(iccid), "89494400000000%04u", 304u);
		snprintf(iccid + 18, 3, "%d", orsp_luhn_digit(iccid, 18));
		assert_int_equal(orsp_iccid_encode_ef(iccid, ef), ORSP_OK);
		assert_int_equal(orsp_hex_encode(ef, sizeof(ef), from + 4, sizeof(from) - 4),
		                 ORSP_OK);
		memset(to + 4, 'F', 2 * sizeof(ef));
		test_patch_der(no_iccid, gl, from, to);
		assert_int_equal(orsp_smdp_import_check(no_iccid, gl, NULL), ORSP_E_POLICY);
		assert_non_null(strstr(orsp_err_detail(), "defines no EF.ICCID"));
		assert_int_equal(orsp_smdp_import_with(s, no_iccid, gl, &o, NULL), ORSP_E_POLICY);
		orsp_pkg_buf_free(no_iccid, gl);
	}
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile"), 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), 0);
	/* 32 bytes and an unused 'FF' after them are taken */
	gid[32] = 0xFF;
	g32 = with_gid1(u, len, gid, sizeof(gid), &gl);
	assert_int_equal(orsp_smdp_import_with(s, g32, gl, &o, &p), ORSP_OK);
	assert_int_equal(p.owner.gid1_len, 32);
	assert_memory_equal(p.owner.gid1, gid, 32);
	orsp_pkg_buf_free(g32, gl);
	/* the package without the MNC length imports without PPRs */
	assert_int_equal(orsp_smdp_import_with(s, no_ad, nad, NULL, NULL), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	orsp_pkg_buf_free(no_ad, nad);
	orsp_smdp_close(s);
}

/* ----- lifecycle ----- */

static void test_lifecycle(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_profile p, q;
	orsp_smdp_order o = {0};
	size_t len = 0, ulen = 0;
	uint8_t *u = make_upp(TS48_V7, 1, "t", &len), *back = NULL;
	uint8_t hcc[32], buf[40], tid[16] = {1, 2, 3};
	(void)state;

	assert_int_equal(orsp_smdp_import(s, u, len, &p), ORSP_OK);
	/* illegal before an order */
	assert_int_equal(orsp_smdp_release(s, p.iccid), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_mark_downloaded(s, p.iccid), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_cancel_order(s, p.iccid, NULL, NULL, true), ORSP_E_STATE);
	/* usage errors */
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_E_USAGE);
	o.iccid = p.iccid;
	o.eid = "89049032123451234512345678901234"; /* bad check digits */
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_E_USAGE);
	o.eid = EID1;
	o.matching_id = "bad id";
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_E_USAGE);
	o.matching_id = "MID-0001";
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_LINKED);
	assert_string_equal(q.eid, EID1);
	assert_string_equal(q.matching_id, "MID-0001");
	/* a second order for the same profile */
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_lookup(s, "MID-0001", &q), ORSP_OK);
	assert_string_equal(q.iccid, p.iccid);
	assert_int_equal(orsp_smdp_lookup(s, "MID-9999", &q), ORSP_E_NOT_FOUND);
	/* the operator's additions at confirmation, refused: another EID than the order's, a
	 * malformed EID or matching ID, no arguments; nothing of them stays */
	{
		orsp_smdp_confirmation c = {.eid = EID2, .matching_id = "MID-0002"};
		assert_int_equal(orsp_smdp_confirm(s, p.iccid, &c, NULL), ORSP_E_POLICY);
		c.eid = "8904903212345123451234567890123";
		assert_int_equal(orsp_smdp_confirm(s, p.iccid, &c, NULL), ORSP_E_USAGE);
		c.eid = EID1;
		c.matching_id = "mid-0002";
		assert_int_equal(orsp_smdp_confirm(s, p.iccid, &c, NULL), ORSP_E_USAGE);
		assert_int_equal(orsp_smdp_confirm(NULL, p.iccid, &c, NULL), ORSP_E_USAGE);
		assert_int_equal(orsp_smdp_confirm(s, NULL, &c, NULL), ORSP_E_USAGE);
		assert_int_equal(orsp_smdp_confirm(s, p.iccid, NULL, NULL), ORSP_E_USAGE);
		assert_int_equal(orsp_smdp_get(s, p.iccid, &q), ORSP_OK);
		assert_int_equal(q.state, ORSP_SMDP_LINKED);
		assert_string_equal(q.matching_id, "MID-0001");
	}
	/* confirm with a CC, then release */
	assert_int_equal(orsp_smdp_confirm_order(s, "MID-0001", "", false), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_confirm_order(s, "MID-0001", "1234", false), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, "MID-0001", "1234", false), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_get(s, p.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_CONFIRMED);
	assert_true(q.cc_required);
	assert_int_equal(orsp_smdp_release(s, p.iccid), ORSP_OK);
	/* hashCc = SHA-256(SHA-256("1234") || tid), computed here from the SGP.22 formula */
	assert_int_equal(orsp_sha256("1234", 4, buf), ORSP_OK);
	memcpy(buf + 32, tid, 8);
	assert_int_equal(orsp_sha256(buf, 40, hcc), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, "MID-0001", NULL, hcc, tid, 8), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, "MID-0001", NULL, hcc, tid, 9), ORSP_E_VERIFY);
	assert_int_equal(orsp_smdp_check_cc(s, "MID-0001", NULL, hcc, tid, 0), ORSP_E_USAGE);
	/* the UPP comes back intact */
	assert_int_equal(orsp_smdp_get_upp(s, p.iccid, &back, &ulen), ORSP_OK);
	assert_int_equal(ulen, len);
	assert_bytes_equal(back, u, len);
	orsp_pkg_buf_free(back, ulen);
	assert_int_equal(orsp_smdp_download_attempt(s, p.iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_installed(s, p.iccid), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_mark_downloaded(s, p.iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_installed(s, p.iccid), ORSP_OK);
	/* an installed profile's order is over (a delivered one without its result is not:
	 * test_es2p test_cancel_downloaded) */
	assert_int_equal(orsp_smdp_cancel_order(s, p.iccid, NULL, NULL, true), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_get(s, p.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_INSTALLED);
	assert_int_equal(orsp_smdp_mark_error(s, p.iccid, ORSP_SMDP_FAIL_INSTALL, "late"),
	                 ORSP_E_STATE);
	/* one audit row per state change: import, order, confirm, release, checkCc x2,
	 * downloadAttempt, downloaded, pir */
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), 9);
	/* the audit table is append-only */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_audit SET detail = 'x'"),
	                 ORSP_E_STORAGE);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "DELETE FROM smdp_audit"), ORSP_E_STORAGE);
	/* ... also for a replacing insert, which deletes without the DELETE trigger */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s),
	                              "INSERT OR REPLACE INTO smdp_audit (id, at, action, iccid,"
	                              " from_state, to_state) VALUES (1, 0, 'forged', '', '', '')"),
	                 ORSP_E_STORAGE);
	assert_non_null(strstr(orsp_err_detail(), "append-only"));
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s),
	                              "REPLACE INTO smdp_audit (id, at, action, iccid,"
	                              " from_state, to_state) VALUES (1, 0, 'forged', '', '', '')"),
	                 ORSP_E_STORAGE);
	orsp_err_clear();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE id = 1 AND"
	                               " action = 'import' AND at > 0"),
	                 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), 9);
	orsp_pkg_buf_free(u, len);
	orsp_smdp_close(s);
}

/* Whether the plan SQLite makes for sql names the index `index`. */
static bool plan_uses(orsp_smdp *s, const char *sql, const char *index)
{
	char plan[1100];
	orsp_stmt *st = NULL;
	bool row = false, found = false;

	snprintf(plan, sizeof(plan), "EXPLAIN QUERY PLAN %s", sql);
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(s), plan, &st), ORSP_OK);
	while (orsp_stmt_step(st, &row) == ORSP_OK && row)
		found |= strstr(orsp_stmt_column_text(st, 3), index) != NULL;
	orsp_stmt_finalize(st);
	return found;
}

/* A downloadOrder by a profile type with none Available tells an unknown type (8.2.5/3.9)
 * from one ordered out (3.7) through the type index, not a scan of the inventory (the scale
 * review of session 77: 50-70 ms a request with 265,000 profiles, and it slowed every
 * download beside it). */
static void test_type_known_indexed(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "T"};
	orsp_smdp_profile p;
	(void)state;

	assert_true(plan_uses(s, SMDP_SQL_TYPE_KNOWN, "smdp_profile_type"));
	/* and the search for an Available one keeps to the Available index: SQLite would take
	 * the type's for the equality, and walk every profile of the type */
	assert_true(
	    plan_uses(s, "SELECT iccid" SMDP_SQL_FIRST_AVAILABLE_FROM, "smdp_profile_available"));
	import_n(s, 60, 1, "T");
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "all are ordered"));
	o.profile_type = "NOSUCH";
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "unknown profile type"));
	orsp_smdp_close(s);
}

/* The default SM-DP+ case: an eUICC without a matching ID gets the first Released order
 * for its EID, found through the EID index (the query plan says so), not by a scan. Then
 * the profiles counted by state. */
static void test_find_released(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_profile p[4], q;
	static const char *const eids[4] = {EID1, EID1, EID1, EID2};
	(void)state;

	import_n(s, 90, 4, "R");
	assert_int_equal(orsp_smdp_find_released(s, EID1, &q), ORSP_E_NOT_FOUND);
	for (int i = 0; i < 4; i++) {
		orsp_smdp_order o = {.profile_type = "R", .eid = eids[i]};
		assert_int_equal(orsp_smdp_download_order(s, &o, &p[i]), ORSP_OK);
	}
	/* p[0] stays Linked; p[1] and p[2] (EID1) and p[3] (EID2) are released */
	for (int i = 1; i < 4; i++)
		assert_int_equal(orsp_smdp_confirm_order(s, p[i].matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_find_released(s, EID1, &q), ORSP_OK);
	assert_string_equal(q.iccid, p[1].iccid);
	assert_int_equal(q.state, ORSP_SMDP_RELEASED);
	assert_int_equal(orsp_smdp_find_released(s, EID2, &q), ORSP_OK);
	assert_string_equal(q.iccid, p[3].iccid);
	/* once p[1] is downloaded, the next one */
	assert_int_equal(orsp_smdp_download_attempt(s, p[1].iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_downloaded(s, p[1].iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_find_released(s, EID1, &q), ORSP_OK);
	assert_string_equal(q.iccid, p[2].iccid);
	/* an EID with no order, and no EID at all */
	assert_int_equal(orsp_smdp_find_released(s, "89049032123451234512345678909965", &q),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_smdp_find_released(s, "89049032123451234512345678909966", &q),
	                 ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_find_released(s, "", &q), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_find_released(s, NULL, &q), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_find_released(NULL, EID1, &q), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_find_released(s, EID1, NULL), ORSP_E_USAGE);
	assert_true(plan_uses(s,
	                      "SELECT id FROM smdp_profile WHERE eid = ?1 AND state = 'released'"
	                      " ORDER BY id LIMIT 1",
	                      "smdp_profile_eid"));
	/* the counts by state, as /metrics gives them */
	{
		size_t n[ORSP_SMDP_STATE__COUNT];
		assert_int_equal(orsp_smdp_count_states(s, n), ORSP_OK);
		assert_int_equal(n[ORSP_SMDP_AVAILABLE], 0);
		assert_int_equal(n[ORSP_SMDP_LINKED], 1);
		assert_int_equal(n[ORSP_SMDP_RELEASED], 2);
		assert_int_equal(n[ORSP_SMDP_DOWNLOADED], 1);
		assert_int_equal(n[ORSP_SMDP_INSTALLED], 0);
		assert_int_equal(orsp_smdp_count_states(NULL, n), ORSP_E_USAGE);
		assert_int_equal(orsp_smdp_count_states(s, NULL), ORSP_E_USAGE);
	}
	orsp_smdp_close(s);
}

/* The default SM-DP+ case with a download to retry: the eUICC's first Released order, else
 * its first Downloaded one, through the EID index; an order of another eUICC, or installed,
 * is not one. */
static void test_find_order(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_profile p[3], q;
	static const char *const eids[3] = {EID1, EID1, EID2};
	(void)state;

	import_n(s, 90, 3, "R");
	for (int i = 0; i < 3; i++) {
		orsp_smdp_order o = {.profile_type = "R", .eid = eids[i]};
		assert_int_equal(orsp_smdp_download_order(s, &o, &p[i]), ORSP_OK);
		assert_int_equal(orsp_smdp_confirm_order(s, p[i].matching_id, NULL, true), ORSP_OK);
	}
	assert_int_equal(orsp_smdp_mark_downloaded(s, p[0].iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_downloaded(s, p[2].iccid), ORSP_OK);
	/* a Released order first, though it came later */
	assert_int_equal(orsp_smdp_find_order(s, EID1, &q), ORSP_OK);
	assert_string_equal(q.iccid, p[1].iccid);
	assert_int_equal(orsp_smdp_mark_downloaded(s, p[1].iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_find_order(s, EID1, &q), ORSP_OK);
	assert_string_equal(q.iccid, p[0].iccid);
	assert_int_equal(q.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(orsp_smdp_mark_installed(s, p[0].iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_find_order(s, EID1, &q), ORSP_OK);
	assert_string_equal(q.iccid, p[1].iccid);
	assert_int_equal(orsp_smdp_mark_installed(s, p[1].iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_find_order(s, EID1, &q), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_smdp_find_order(s, EID2, &q), ORSP_OK);
	assert_string_equal(q.iccid, p[2].iccid);
	assert_int_equal(orsp_smdp_find_order(s, "89049032123451234512345678909966", &q),
	                 ORSP_E_USAGE);
	assert_true(plan_uses(s,
	                      "SELECT id FROM smdp_profile WHERE eid = ?1 AND state = 'downloaded'"
	                      " ORDER BY id LIMIT 1",
	                      "smdp_profile_eid"));
	/* none of them expired; orsp_smdp_find_expired_order goes through the EID index too,
	 * and the expiry's audit rows through theirs */
	assert_int_equal(orsp_smdp_find_expired_order(s, EID1, &q), ORSP_E_NOT_FOUND);
	assert_true(
	    plan_uses(s,
	              "SELECT id FROM smdp_profile WHERE eid = ?1 AND expires_at IS NOT NULL"
	              " AND ((state = 'released' AND expires_at < ?2)"
	              " OR (state = 'unavailable' AND updated_at > expires_at"
	              " AND EXISTS (SELECT 1 FROM smdp_audit"
	              " WHERE smdp_audit.iccid = smdp_profile.iccid AND action = 'expire')))"
	              " ORDER BY id DESC LIMIT 1",
	              "smdp_profile_eid"));
	orsp_smdp_close(s);
}

static void test_cancel_and_reorder(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q;
	(void)state;
	import_n(s, 10, 2, "T");
	o.profile_type = "T";
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_ALLOCATED);
	assert_int_equal(strlen(q.matching_id), ORSP_SMDP_MATCHING_ID_GEN_LEN);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_cancel_order(s, q.iccid, NULL, "WRONG", true), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_smdp_cancel_order(s, q.iccid, NULL, q.matching_id, true), ORSP_OK);
	char iccid[21];
	memcpy(iccid, q.iccid, sizeof(iccid));
	assert_int_equal(orsp_smdp_get(s, iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_AVAILABLE);
	assert_string_equal(q.matching_id, "");
	assert_string_equal(q.eid, "");
	/* the same profile again (first Available by import order), then cancel for good */
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_string_equal(q.iccid, iccid);
	assert_int_equal(orsp_smdp_cancel_order(s, iccid, NULL, NULL, false), ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_string_not_equal(q.iccid, iccid);
	/* a matching ID in use */
	orsp_smdp_order o2 = {0};
	import_n(s, 12, 1, "T");
	o2.profile_type = "T";
	o2.matching_id = q.matching_id;
	assert_int_equal(orsp_smdp_download_order(s, &o2, NULL), ORSP_E_EXISTS);
	o.profile_type = "T";
	assert_int_equal(orsp_smdp_download_order(s, &o, NULL), ORSP_OK);
	/* none of the type left (all ordered or used), and a type never imported */
	assert_int_equal(orsp_smdp_download_order(s, &o, NULL), ORSP_E_STATE);
	o.profile_type = "other";
	assert_int_equal(orsp_smdp_download_order(s, &o, NULL), ORSP_E_NOT_FOUND);
	orsp_smdp_close(s);
}

/* cancelOrder's EID is compared in the cancel's transaction, as its matching ID: the order
 * the caller read (for EID1) was cancelled and the profile ordered again for EID2 since, and
 * a cancel naming EID1 must not cancel EID2's order. It was compared by the ES2+ handler with
 * its read of the order, before the cancel's transaction. orsp_smdp_cancel_order_why says
 * which was refused (ES2+ tells "another EID" from "the order names none" by it). */
static void test_cancel_checks_eid(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q, now;
	orsp_smdp_mismatch why;
	(void)state;
	import_n(s, 30, 1, "T");
	o.profile_type = "T";
	o.eid = EID1;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	/* meanwhile, another process: cancelled, ordered again for another eUICC */
	assert_int_equal(orsp_smdp_cancel_order(s, q.iccid, NULL, NULL, true), ORSP_OK);
	o.eid = EID2;
	assert_int_equal(orsp_smdp_download_order(s, &o, &now), ORSP_OK);
	assert_string_equal(now.iccid, q.iccid);
	/* the cancel for EID1's order: refused, EID2's order stays */
	assert_int_equal(orsp_smdp_cancel_order_why(s, q.iccid, EID1, NULL, true, &why),
	                 ORSP_E_POLICY);
	assert_int_equal(why, ORSP_SMDP_MISMATCH_EID);
	assert_int_equal(orsp_smdp_cancel_order(s, q.iccid, EID1, now.matching_id, false),
	                 ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_cancel_order_why(s, q.iccid, EID2, "NOT-ITS-1", false, &why),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(why, ORSP_SMDP_MISMATCH_MATCHING_ID);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_LINKED);
	assert_string_equal(q.eid, EID2);
	assert_string_equal(q.matching_id, now.matching_id);
	/* the right EID and matching ID cancel it; an order without an EID has none to match */
	assert_int_equal(orsp_smdp_cancel_order(s, q.iccid, EID2, now.matching_id, true), ORSP_OK);
	o.eid = NULL;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_cancel_order_why(s, q.iccid, EID1, NULL, true, &why),
	                 ORSP_E_POLICY);
	assert_int_equal(why, ORSP_SMDP_MISMATCH_NO_EID);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_ALLOCATED);
	why = ORSP_SMDP_MISMATCH_EID;
	assert_int_equal(orsp_smdp_cancel_order_why(s, q.iccid, NULL, NULL, false, &why), ORSP_OK);
	assert_int_equal(why, ORSP_SMDP_MISMATCH_NONE);
	orsp_smdp_close(s);
}

static void test_cc_retry_limit(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q;
	uint8_t wrong[32] = {0}, tid[4] = {9, 9, 9, 9};
	(void)state;
	import_n(s, 20, 1, "T");
	o.profile_type = "T";
	o.cc_limit = 3;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	/* no CC set: nothing to check */
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, NULL, wrong, tid, 4), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_cancel_order(s, q.iccid, NULL, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, "secret-cc", true), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, NULL, wrong, tid, 4), ORSP_E_VERIFY);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, NULL, wrong, tid, 4), ORSP_E_VERIFY);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, NULL, wrong, tid, 4), ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_lookup(s, q.matching_id, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_ERROR);
	assert_int_equal(q.cc_attempts, 3);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, NULL, wrong, tid, 4), ORSP_E_STATE);
	orsp_smdp_close(s);
}

/* A stored confirmation code hash that decrypts under the KEK but is not a SHA-256 (another
 * program's row, 16 bytes): the store's failure, no attempt counted, the order kept. */
static void test_cc_hash_damaged(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "T", .cc_limit = 3};
	orsp_smdp_profile q;
	orsp_secret h = {.len = 16};
	uint8_t blob[ORSP_WRAP_MAX], hcc[32], tid[4] = {9, 9, 9, 9};
	size_t n = 0;
	char aad[64];
	orsp_stmt *st = NULL;
	(void)state;
	import_n(s, 21, 1, "T");
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, "secret-cc", true), ORSP_OK);
	memset(h.v, 0x5A, h.len);
	snprintf(aad, sizeof(aad), "smdp:cc:%s", q.iccid);
	assert_int_equal(orsp_smdp_wrap(s, aad, &h, blob, sizeof(blob), &n), ORSP_OK);
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(s),
	                                 "UPDATE smdp_profile SET cc_wrapped = ?1 WHERE iccid = ?2",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_bind_blob(st, 1, blob, n), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_text(st, 2, q.iccid), ORSP_OK);
	assert_int_equal(orsp_stmt_run(st), ORSP_OK);
	orsp_stmt_finalize(st);
	/* the right code's hash is refused as well: the stored one cannot be compared */
	assert_int_equal(orsp_sha256("secret-cc", 9, hcc), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, NULL, hcc, tid, 4), ORSP_E_MALFORMED);
	assert_string_equal(orsp_err_detail(), "stored CC hash has a bad length");
	assert_int_equal(orsp_smdp_lookup(s, q.matching_id, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_RELEASED);
	assert_int_equal(q.cc_attempts, 0);
	orsp_smdp_close(s);
}

/* The confirmation code of an order as its caller read it: a Downloaded order's too (the
 * eUICC retries its download in a new session), its attempts audited in that state and on the
 * same counter, the attempt at the limit to Error; an order that moved on since it was read
 * (another state, one more download counted) is not checked and nothing is counted. */
static void test_cc_as_seen(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q, seen;
	uint8_t h[32], in[36], wrong[32] = {0}, tid[4] = {9, 9, 9, 9};
	(void)state;
	import_n(s, 20, 1, "T");
	o.profile_type = "T";
	o.eid = EID1;
	o.cc_limit = 3;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, "secret-cc", true), ORSP_OK);
	assert_int_equal(orsp_sha256("secret-cc", 9, in), ORSP_OK);
	memcpy(in + 32, tid, 4);
	assert_int_equal(orsp_sha256(in, 36, h), ORSP_OK);
	assert_int_equal(orsp_smdp_lookup(s, q.matching_id, &seen), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, &seen, h, tid, 4), ORSP_OK);
	/* delivered since it was read: not checked, nothing counted */
	assert_int_equal(orsp_smdp_mark_downloaded(s, q.iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, &seen, wrong, tid, 4), ORSP_E_STATE);
	/* without what the caller saw, only a Released order */
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, NULL, h, tid, 4), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_lookup(s, q.matching_id, &seen), ORSP_OK);
	assert_int_equal(seen.cc_attempts, 0);
	/* Downloaded, as read */
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, &seen, h, tid, 4), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, &seen, wrong, tid, 4), ORSP_E_VERIFY);
	assert_int_equal(count_rows(s,
	                            "SELECT count(*) FROM smdp_audit WHERE action = 'checkCc'"
	                            " AND from_state = 'downloaded' AND to_state = 'downloaded'"),
	                 2);
	/* one more download counted since it was read (a new binding) */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET download_attempts"
	                                               " = download_attempts + 1"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, &seen, wrong, tid, 4), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_lookup(s, q.matching_id, &seen), ORSP_OK);
	assert_int_equal(seen.cc_attempts, 1);
	/* the same counter as before the delivery: its limit moves the Downloaded order to Error */
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, &seen, wrong, tid, 4), ORSP_E_VERIFY);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, &seen, wrong, tid, 4), ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_lookup(s, q.matching_id, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_ERROR);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, &q, h, tid, 4), ORSP_E_STATE);
	orsp_smdp_close(s);
}

/* The last progress report queued: point, success, subject/reason codes, EID, detail. */
static void expect_report(orsp_smdp *s, int point, bool ok, const char *subject, const char *reason,
                          const char *eid, const char *detail)
{
	orsp_stmt *st = NULL;
	bool row = false;
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(s),
	                                 "SELECT point_id, success, subject_code, reason_code, eid,"
	                                 " detail FROM smdp_progress ORDER BY id DESC LIMIT 1",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	assert_int_equal(orsp_stmt_column_int64(st, 0), point);
	assert_int_equal(orsp_stmt_column_int64(st, 1), ok);
	assert_string_equal(orsp_stmt_column_text(st, 2), subject);
	assert_string_equal(orsp_stmt_column_text(st, 3), reason);
	assert_string_equal(orsp_stmt_column_text(st, 4), eid);
	assert_string_equal(orsp_stmt_column_text(st, 5), detail);
	orsp_stmt_finalize(st);
}

typedef struct walk_count {
	size_t n, stop_at;
	int64_t last_id;
	char last[128];
} walk_count;

static int count_audit(const orsp_smdp_audit_row *r, void *arg)
{
	walk_count *w = arg;
	assert_true(r->id > w->last_id); /* oldest first */
	w->last_id = r->id;
	snprintf(w->last, sizeof(w->last), "%s", r->action);
	return ++w->n == w->stop_at ? 7 : 0;
}

static int count_report(const orsp_smdp_report_row *r, void *arg)
{
	walk_count *w = arg;
	assert_true(r->id > w->last_id);
	w->last_id = r->id;
	snprintf(w->last, sizeof(w->last), "%d %s/%s %s %d", r->point, r->subject, r->reason,
	         r->eid, r->done);
	return ++w->n == w->stop_at ? 7 : 0;
}

/* The notificationPointId of each report (SGP.22 §5.3.5) and the status codes of failures:
 * 1 eligibility and retry limit check, 2 confirmation failure, 3 BPP download, 4 BPP
 * installation. An ineligible eUICC is reported and audited, and its order stays. */
static void test_progress_points(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q;
	uint8_t wrong[32] = {0}, tid[4] = {9, 9, 9, 9};
	int64_t audits, reports;
	(void)state;
	import_n(s, 90, 20, "R");
	orsp_smdp_set_progress(s, true);
	o.profile_type = "R";
	/* confirmation code retries exhausted: point 2, 8.2.7/6.4 */
	o.cc_limit = 1;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, "secret-cc", true), ORSP_OK);
	assert_int_equal(orsp_smdp_check_cc(s, q.matching_id, NULL, wrong, tid, 4), ORSP_E_POLICY);
	expect_report(s, 2, false, "8.2.7", "6.4", "", "confirmation code retries exhausted");
	/* download attempts exhausted: point 1, 8.8.5/6.4 */
	o.cc_limit = 0;
	o.download_limit = 1;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_download_attempt(s, q.iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_download_attempt(s, q.iccid), ORSP_E_POLICY);
	expect_report(s, 1, false, "8.8.5", "6.4", "", "download attempts exhausted");
	/* delivered, then each way of failing after it */
	o.download_limit = 0;
	o.eid = EID1;
	for (int why = 0; why < 4; why++) {
		/* every failure with its codes: cancelSession's endUserRejection and
		 * pprNotAllowed, a failed installation without its result */
		static const struct {
			orsp_smdp_failure why;
			int point;
			const char *subject, *reason;
		} f[] = {
		    {ORSP_SMDP_FAIL_REJECTED, 3, "8.1", "3.8"},
		    {ORSP_SMDP_FAIL_RETRIES, 1, "8.8.5", "6.4"},
		    {ORSP_SMDP_FAIL_INSTALL, 4, "8.1", "4.2"},
		    {ORSP_SMDP_FAIL_PPR, 3, "8.2", "3.8"},
		};
		assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
		assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
		assert_int_equal(orsp_smdp_mark_downloaded(s, q.iccid), ORSP_OK);
		expect_report(s, 3, true, "", "", EID1, "");
		assert_int_equal(orsp_smdp_mark_error(s, q.iccid, f[why].why, "why"), ORSP_OK);
		expect_report(s, f[why].point, false, f[why].subject, f[why].reason, EID1, "why");
	}
	assert_int_equal(orsp_smdp_mark_error(s, q.iccid, (orsp_smdp_failure)7, "x"), ORSP_E_USAGE);
	/* the installation result goes with its report, base64; one above 1 KiB does not. A
	 * failure's codes follow its errorResult's errorReason (BF37 { BF27 { A2 { A1 { 80
	 * bppCommandId, 81 errorReason } } }, 5F37 }), 8.1/4.2 when it has no code of its own
	 * or the result gives none */
	{
		static uint8_t big[1025];
#define PIR_ERROR(reason)                                                                          \
	(const uint8_t *)"\xBF\x37\x10\xBF\x27\x0A\xA2\x08\xA1\x06\x80\x01\x05\x81\x01" reason     \
	                 "\x5F\x37\x00",                                                           \
	    19
		static const struct {
			bool ok;
			const uint8_t *pir;
			size_t len;
			const char *b64, *subject, *reason, *detail;
		} r[] = {
		    {true, (const uint8_t *)"\xBF\x37\x01\x00", 4, "vzcBAA==", "", "", ""},
		    {false, (const uint8_t *)"\xBF\x37\x02\x00\x01", 5, "vzcCAAE=", "8.1", "4.2",
		     "profile installation failed"},
		    {true, big, sizeof(big), "", "", "", ""},
		    {false, PIR_ERROR("\x0A"), "vzcQvycKogihBoABBYEBCl83AA==", "8.1", "4.8",
		     "profile installation failed: errorReason 10"
		     " (installFailedDueToInsufficientMemoryForProfile) at bppCommandId 5"},
		    {false, PIR_ERROR("\x09"), "vzcQvycKogihBoABBYEBCV83AA==", "8.2.1", "3.3",
		     "profile installation failed: errorReason 9"
		     " (installFailedDueToIccidAlreadyExistsOnEuicc) at bppCommandId 5"},
		    {false, PIR_ERROR("\x07"), "vzcQvycKogihBoABBYEBB183AA==", "8.1", "4.2",
		     "profile installation failed: errorReason 7 (scp03tStructureError) at"
		     " bppCommandId 5"},
		    {false, PIR_ERROR("\x7F"), "vzcQvycKogihBoABBYEBf183AA==", "8.1", "4.2",
		     "profile installation failed: errorReason 127"
		     " (installFailedDueToUnknownError) at bppCommandId 5"},
		    {false, PIR_ERROR("\x63"), "vzcQvycKogihBoABBYEBY183AA==", "8.1", "4.2",
		     "profile installation failed: errorReason 99 at bppCommandId 5"},
		    /* results the failure's codes cannot be read from (8.1/4.2, none named): a
		     * finalResult of successResult [0] (the fields of an errorResult in it), */
		    {false,
		     (const uint8_t *)"\xBF\x37\x10\xBF\x27\x0A\xA2\x08\xA0\x06\x80\x01\x05"
		                      "\x81\x01\x0A\x5F\x37\x00",
		     19, "vzcQvycKogigBoABBYEBCl83AA==", "8.1", "4.2",
		     "profile installation failed"},
		    /* a field after the errorResult that overruns its
		       ProfileInstallationResultData, */
		    {false,
		     (const uint8_t *)"\xBF\x37\x13\xBF\x27\x0D\xA2\x08\xA1\x06\x80\x01\x05"
		                      "\x81\x01\x0A\x81\x05\x00\x5F\x37\x00",
		     22, "vzcTvycNogihBoABBYEBCoEFAF83AA==", "8.1", "4.2",
		     "profile installation failed"},
		    /* an errorResult whose errorReason has another tag than [1] */
		    {false,
		     (const uint8_t *)"\xBF\x37\x10\xBF\x27\x0A\xA2\x08\xA1\x06\x80\x01\x05"
		                      "\x82\x01\x0A\x5F\x37\x00",
		     19, "vzcQvycKogihBoABBYIBCl83AA==", "8.1", "4.2",
		     "profile installation failed"},
		};
#undef PIR_ERROR
		for (size_t i = 0; i < ORSP_ARRAY_LEN(r); i++) {
			assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
			assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true),
			                 ORSP_OK);
			assert_int_equal(orsp_smdp_mark_downloaded(s, q.iccid), ORSP_OK);
			assert_int_equal(
			    orsp_smdp_mark_pir(s, q.iccid, NULL, NULL, r[i].ok, r[i].pir, r[i].len),
			    ORSP_OK);
			expect_report(s, 4, r[i].ok, r[i].subject, r[i].reason, EID1, r[i].detail);
			assert_int_equal(count_rows(s,
			                            "SELECT count(*) FROM smdp_progress WHERE id ="
			                            " (SELECT max(id) FROM smdp_progress) AND"
			                            " result_data = '' "),
			                 r[i].b64[0] ? 0 : 1);
			if (r[i].b64[0]) {
				char sql[200];
				snprintf(
				    sql, sizeof(sql),
				    "SELECT count(*) FROM smdp_progress WHERE result_data = '%s'",
				    r[i].b64);
				assert_int_equal(count_rows(s, sql), 1);
			}
			if (r[i].ok) {
				assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
				assert_int_equal(q.state, ORSP_SMDP_INSTALLED);
			}
		}
		/* the result of another order (cancelled and placed again) or another eUICC
		 * changes nothing */
		assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
		assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
		assert_int_equal(orsp_smdp_mark_downloaded(s, q.iccid), ORSP_OK);
		assert_int_equal(orsp_smdp_mark_pir(s, q.iccid, "OLD-ORDER", EID1, false, NULL, 0),
		                 ORSP_E_STATE);
		assert_int_equal(
		    orsp_smdp_mark_pir(s, q.iccid, q.matching_id, EID2, false, NULL, 0),
		    ORSP_E_STATE);
		assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
		assert_int_equal(q.state, ORSP_SMDP_DOWNLOADED);
		assert_int_equal(orsp_smdp_mark_pir(s, q.iccid, q.matching_id, EID1, true, NULL, 0),
		                 ORSP_OK);
		assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
		assert_int_equal(q.state, ORSP_SMDP_INSTALLED);
		assert_int_equal(orsp_smdp_mark_pir(s, q.iccid, NULL, NULL, true, NULL, 4),
		                 ORSP_E_USAGE);
		orsp_err_clear();
	}
	/* not eligible: the eUICC's EID when the order has none; the order stays Released */
	o.eid = NULL;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	audits = count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'");
	assert_int_equal(audits, 0);
	assert_int_equal(orsp_smdp_report_ineligible(s, q.iccid, EID2, "SAIP 2.2 only"), ORSP_OK);
	expect_report(s, 1, false, "8.2.5", "4.3", EID2, "SAIP 2.2 only");
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'"
	                               " AND detail = 'SAIP 2.2 only'"),
	                 1);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_RELEASED);
	/* an unknown profile: nothing written */
	reports = count_rows(s, "SELECT count(*) FROM smdp_progress");
	assert_int_equal(orsp_smdp_report_ineligible(s, "8949440000000000000", EID2, "x"),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_smdp_report_ineligible(s, q.iccid, NULL, "x"), ORSP_E_USAGE);
	orsp_err_clear();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress"), reports);
	/* reports off: audited, not queued */
	orsp_smdp_set_progress(s, false);
	assert_int_equal(orsp_smdp_report_ineligible(s, q.iccid, EID2, "again"), ORSP_OK);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress"), reports);
	assert_int_equal(
	    count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'"), 2);
	/* the walks behind `smdp audit` and `smdp reports`: all, one profile, stopped */
	{
		walk_count w = {0};
		int stopped = -1;
		assert_int_equal(orsp_smdp_audit_walk(s, NULL, count_audit, &w, &stopped), ORSP_OK);
		assert_int_equal(stopped, 0);
		assert_int_equal(w.n, count_rows(s, "SELECT count(*) FROM smdp_audit"));
		assert_string_equal(w.last, "ineligible");
		w = (walk_count){0};
		assert_int_equal(orsp_smdp_audit_walk(s, q.iccid, count_audit, &w, NULL), ORSP_OK);
		assert_int_equal(w.n, 5); /* import, order, confirm, ineligible twice */
		w = (walk_count){.stop_at = 2};
		assert_int_equal(orsp_smdp_audit_walk(s, q.iccid, count_audit, &w, &stopped),
		                 ORSP_OK);
		assert_int_equal(stopped, 7);
		assert_int_equal(w.n, 2);
		/* a limit (`smdp audit --limit`): the newest rows only, still oldest first (the
		 * first two of the profile's five are import and the order) */
		w = (walk_count){0};
		assert_int_equal(orsp_smdp_audit_walk_ex(s, q.iccid, 2, count_audit, &w, NULL),
		                 ORSP_OK);
		assert_int_equal(w.n, 2);
		assert_string_equal(w.last, "ineligible");
		w = (walk_count){0};
		assert_int_equal(orsp_smdp_audit_walk_ex(s, NULL, 1, count_audit, &w, NULL),
		                 ORSP_OK);
		assert_int_equal(w.n, 1);
		assert_int_equal(w.last_id, count_rows(s, "SELECT max(id) FROM smdp_audit"));
		w = (walk_count){0};
		assert_int_equal(orsp_smdp_audit_walk_ex(s, q.iccid, 99, count_audit, &w, NULL),
		                 ORSP_OK);
		assert_int_equal(w.n, 5);
		w = (walk_count){0};
		assert_int_equal(orsp_smdp_report_walk(s, NULL, count_report, &w, NULL), ORSP_OK);
		assert_int_equal(w.n, reports);
		w = (walk_count){0};
		assert_int_equal(orsp_smdp_report_walk(s, q.iccid, count_report, &w, NULL),
		                 ORSP_OK);
		assert_int_equal(w.n, 1);
		assert_string_equal(w.last, "1 8.2.5/4.3 " EID2 " 0");
		w = (walk_count){0};
		assert_int_equal(orsp_smdp_report_walk(s, "1", count_report, &w, NULL), ORSP_OK);
		assert_int_equal(w.n, 0);
		/* nothing was sent: all pending; one given up, one delivered */
		{
			size_t pending = 9, given_up = 9;
			assert_int_equal(orsp_smdp_count_undelivered(s, &pending, &given_up),
			                 ORSP_OK);
			assert_int_equal(pending, reports);
			assert_int_equal(given_up, 0);
			assert_int_equal(
			    orsp_db_exec(orsp_smdp_db(s),
			                 "UPDATE smdp_progress SET done = 2 WHERE id = 1;"
			                 "UPDATE smdp_progress SET done = 1 WHERE id = 2"),
			    ORSP_OK);
			assert_int_equal(orsp_smdp_count_undelivered(s, &pending, &given_up),
			                 ORSP_OK);
			assert_int_equal(pending, reports - 2);
			assert_int_equal(given_up, 1);
			assert_int_equal(orsp_smdp_count_undelivered(s, NULL, &given_up),
			                 ORSP_E_USAGE);
		}
		assert_int_equal(orsp_smdp_audit_walk(s, NULL, NULL, NULL, NULL), ORSP_E_USAGE);
		assert_int_equal(orsp_smdp_report_walk(NULL, NULL, count_report, &w, NULL),
		                 ORSP_E_USAGE);
		orsp_err_clear();
	}
	orsp_smdp_close(s);
}

static void test_download_limit(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q;
	(void)state;
	import_n(s, 30, 1, "T");
	o.profile_type = "T";
	o.download_limit = 2;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_download_attempt(s, q.iccid), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_download_attempt(s, q.iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_download_attempt(s, q.iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_download_attempt(s, q.iccid), ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_ERROR);
	orsp_smdp_close(s);
}

/* ES9+ delivery: one update counts the attempt and moves Released to Downloaded, inside the
 * caller's transaction only; an order without an EID is bound to the eUICC it goes to; the
 * attempt past the limit moves the profile to Error. */
static void test_deliver(void **state)
{
	orsp_smdp *s = open_new();
	orsp_db *db = orsp_smdp_db(s);
	orsp_smdp_order o = {0};
	orsp_smdp_profile q, r;
	(void)state;
	import_n(s, 50, 3, "D");
	o.profile_type = "D";
	o.download_limit = 2;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_deliver(s, &q, EID1), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_deliver(NULL, &q, EID1), ORSP_E_USAGE);
	assert_int_equal(orsp_db_begin(db), ORSP_OK);
	assert_int_equal(orsp_smdp_deliver(s, NULL, EID1), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_deliver(s, &q, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_deliver(s, &q, "8904903212345123451234567890123"), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_deliver(s, &q, "89049032123451234512345678901234"),
	                 ORSP_E_USAGE); /* check digits */
	assert_string_equal(q.eid, "");
	assert_int_equal(orsp_smdp_deliver(s, &q, EID1), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(q.download_attempts, 1);
	assert_string_equal(q.eid, EID1);
	/* a second delivery of the same profile is refused, to its eUICC or another; a new
	 * binding only for its eUICC, and only inside a transaction */
	assert_int_equal(orsp_smdp_deliver(s, &q, EID1), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_deliver(s, &q, EID2), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_rebind(s, &q, EID2), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_rebind(s, &q, NULL), ORSP_E_USAGE);
	/* a new binding counts on the profile, as the first delivery did (limit 2) */
	r = q;
	assert_int_equal(orsp_smdp_rebind(s, &q, EID1), ORSP_OK);
	assert_int_equal(q.download_attempts, 2);
	/* at the limit: refused, nothing written; with a count read before another binding
	 * committed: refused */
	assert_int_equal(orsp_smdp_rebind(s, &q, EID1), ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_rebind(s, &r, EID1), ORSP_E_STATE);
	assert_int_equal(orsp_db_commit(db), ORSP_OK);
	assert_int_equal(orsp_smdp_rebind(s, &q, EID1), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &r), ORSP_OK);
	assert_int_equal(r.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(r.download_attempts, 2);
	assert_string_equal(r.eid, EID1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'bindEid'"
	                               " AND detail = 'EID " EID1 "'"),
	                 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action ="
	                               " 'downloadAttempt'"),
	                 2);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action ="
	                               " 'downloaded' AND to_state = 'downloaded'"),
	                 1);
	/* an order for one eUICC is not delivered to another */
	o.eid = EID2;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_db_begin(db), ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_deliver(s, &q, EID1), ORSP_E_STATE);
	assert_int_equal(orsp_smdp_deliver(s, &q, EID2), ORSP_OK);
	assert_int_equal(orsp_db_commit(db), ORSP_OK);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'bindEid'"),
	                 1);
	o.eid = NULL;
	/* rolled back with the caller's transaction: nothing of it stays */
	o.download_limit = 1;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_db_begin(db), ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_deliver(s, &q, EID1), ORSP_OK);
	orsp_db_rollback(db);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &r), ORSP_OK);
	assert_int_equal(r.state, ORSP_SMDP_RELEASED);
	assert_string_equal(r.eid, "");
	assert_int_equal(r.download_attempts, 0);
	/* past the limit: Error */
	assert_int_equal(orsp_smdp_download_attempt(s, q.iccid), ORSP_OK);
	assert_int_equal(orsp_db_begin(db), ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_deliver(s, &q, EID1), ORSP_E_POLICY);
	assert_int_equal(q.state, ORSP_SMDP_ERROR);
	assert_int_equal(orsp_db_commit(db), ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, q.iccid, &r), ORSP_OK);
	assert_int_equal(r.state, ORSP_SMDP_ERROR);
	assert_int_equal(r.download_attempts, 2);
	orsp_smdp_close(s);
}

/* State changes queue progress reports unless they are turned off (no callback URL). */
static void test_progress_switch(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q;
	(void)state;
	import_n(s, 40, 2, "P");
	o.profile_type = "P";
	orsp_smdp_set_progress(s, false);
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_downloaded(s, q.iccid), ORSP_OK);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress"), 0);
	orsp_smdp_set_progress(s, true);
	assert_int_equal(orsp_smdp_mark_installed(s, q.iccid), ORSP_OK);
	assert_true(count_rows(s, "SELECT count(*) FROM smdp_progress") >= 1);
	orsp_smdp_close(s);
}

/* orsp_smdp_label_mac = HMAC-SHA256(orsp_smdp_derive_key(label), data), whichever label
 * came before; a label that does not fit is refused. */
static void test_label_mac(void **state)
{
	orsp_smdp *s = open_new();
	uint8_t k[32], exp[32], got[32];
	char long_label[80];
	(void)state;
	for (int round = 0; round < 2; round++) {
		static const char *const labels[] = {"label a", "label b", "label b", "label a"};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(labels); i++) {
			assert_int_equal(orsp_smdp_derive_key(s, labels[i], k), ORSP_OK);
			assert_int_equal(orsp_hmac_sha256(k, sizeof(k), "data", 4, exp), ORSP_OK);
			assert_int_equal(orsp_smdp_label_mac(s, labels[i], "data", 4, got),
			                 ORSP_OK);
			assert_memory_equal(got, exp, 32);
		}
	}
	memset(long_label, 'x', sizeof(long_label) - 1);
	long_label[sizeof(long_label) - 1] = '\0';
	assert_int_equal(orsp_smdp_label_mac(s, long_label, "data", 4, got), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_label_mac(s, "label a", NULL, 4, got), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_label_mac(NULL, "label a", "data", 4, got), ORSP_E_USAGE);
	/* the keyed MAC kept from before still answers */
	assert_int_equal(orsp_smdp_derive_key(s, "label a", k), ORSP_OK);
	assert_int_equal(orsp_hmac_sha256(k, sizeof(k), "data", 4, exp), ORSP_OK);
	assert_int_equal(orsp_smdp_label_mac(s, "label a", "data", 4, got), ORSP_OK);
	assert_memory_equal(got, exp, 32);
	orsp_smdp_close(s);
}

static void test_expiry(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile a, b;
	size_t n = 99;
	(void)state;
	import_n(s, 40, 3, "T");
	orsp_smdp_set_clock(s, 1000000);
	o.profile_type = "T";
	o.validity_s = 100;
	assert_int_equal(orsp_smdp_download_order(s, &o, &a), ORSP_OK);
	assert_int_equal(a.expires_at, 1000100);
	o.validity_s = 500;
	assert_int_equal(orsp_smdp_download_order(s, &o, &b), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, b.matching_id, NULL, true), ORSP_OK);
	orsp_smdp_set_clock(s, 1000100); /* not yet past */
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 0);
	orsp_smdp_set_clock(s, 1000101);
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_smdp_get(s, a.iccid, &a), ORSP_OK);
	assert_int_equal(a.state, ORSP_SMDP_UNAVAILABLE);
	orsp_smdp_set_clock(s, 2000000);
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_smdp_get(s, b.iccid, &b), ORSP_OK);
	assert_int_equal(b.state, ORSP_SMDP_UNAVAILABLE);
	/* Available profiles never expire */
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state='available'"),
	                 1);
	orsp_smdp_close(s);
}

/* A batch whose commit took place but whose flush failed expired its orders: counted (the
 * server's "N order(s) expired" line left them out until session 65). */
static void test_expiry_counted_unflushed(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "T", .validity_s = 100};
	orsp_smdp_profile a;
	size_t n = 99;
	(void)state;
	import_n(s, 40, 2, "T");
	orsp_smdp_set_clock(s, 1000000);
	assert_int_equal(orsp_smdp_download_order(s, &o, &a), ORSP_OK);
	orsp_smdp_set_clock(s, 1000101);
	orsp_db_inject_sync_failure(orsp_smdp_db(s));
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_E_STORAGE);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_smdp_get(s, a.iccid, &a), ORSP_OK);
	assert_int_equal(a.state, ORSP_SMDP_UNAVAILABLE);
	orsp_smdp_close(s);
}

static bool stop_at_once(void *arg)
{
	(void)arg;
	return false;
}

/* Expiry finds due orders through the index of open orders (the plans say so: a scan read
 * every profile every round) and ends the earliest due first, whatever the import order; an
 * order still open after its expiry (here a trigger reopens it) stops the round with an
 * error instead of finding the same order again and again. */
static void test_expiry_indexed(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile late, early;
	orsp_stmt *st = NULL;
	bool row = false, indexed;
	size_t n = 9;
	static const char *const plans[3][2] = {
	    {"EXPLAIN QUERY PLAN " SMDP_SQL_ANY_DUE, "smdp_profile_due"},
	    {"EXPLAIN QUERY PLAN SELECT id" SMDP_SQL_NEXT_DUE_WHERE, "smdp_profile_due"},
	    /* orsp_smdp_ended_by_expiry's lookup of the expiry's audit row */
	    {"EXPLAIN QUERY PLAN " SMDP_SQL_EXPIRED_ROW, "smdp_audit_expired"},
	};
	char term[64];
	(void)state;

	for (int i = 0; i < 3; i++) {
		indexed = false;
		assert_int_equal(orsp_db_prepare(orsp_smdp_db(s), plans[i][0], &st), ORSP_OK);
		while (orsp_stmt_step(st, &row) == ORSP_OK && row)
			indexed |= strstr(orsp_stmt_column_text(st, 3), plans[i][1]) != NULL;
		orsp_stmt_finalize(st);
		assert_true(indexed);
	}
	/* the index's term names the expiry's audit action */
	snprintf(term, sizeof(term), "action = '%s'", orsp_smdp_event_name(ORSP_SMDP_EV_EXPIRE));
	assert_string_equal(term, SMDP_EXPIRE_ROW);
	import_n(s, 70, 3, "X");
	orsp_smdp_set_clock(s, 1000000);
	o.profile_type = "X";
	o.validity_s = 500; /* ordered first, due last */
	assert_int_equal(orsp_smdp_download_order(s, &o, &late), ORSP_OK);
	o.validity_s = 100;
	assert_int_equal(orsp_smdp_download_order(s, &o, &early), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, early.matching_id, NULL, true), ORSP_OK);
	orsp_smdp_set_clock(s, 2000000);
	/* one batch of one, then stop: the earlier expiry went */
	assert_int_equal(orsp_smdp_expire_with(s, 1, stop_at_once, NULL, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_smdp_get(s, early.iccid, &early), ORSP_OK);
	assert_int_equal(early.state, ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(orsp_smdp_get(s, late.iccid, &late), ORSP_OK);
	assert_int_equal(late.state, ORSP_SMDP_ALLOCATED);
	/* the other one stays open whatever expiry does to it */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s),
	                              "CREATE TRIGGER keep_open AFTER UPDATE OF state ON"
	                              " smdp_profile WHEN NEW.state = 'unavailable'"
	                              " BEGIN UPDATE smdp_profile SET state = 'allocated',"
	                              " due_at = expires_at WHERE id = NEW.id; END;"),
	                 ORSP_OK);
	n = 9;
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "still due after the round looked at it"));
	assert_int_equal(n, 0);
	/* nothing of the failed batch stayed: no audit row, no report */
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'expire'"),
	                 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress"), 1);
	orsp_smdp_close(s);
}

/* `between` of orsp_smdp_expire_with reopens the order the batch before only cleared (a
 * delivered one: cancelSession, postponed, came meanwhile): the next batch finds it due again
 * and expires it, not an error that the round found the same order twice. */
static orsp_smdp *reopen_s;
static const char *reopen_iccid;
static bool reopen_between(void *arg)
{
	(void)arg;
	if (reopen_iccid) {
		assert_int_equal(orsp_smdp_reopen(reopen_s, reopen_iccid, "postponed"), ORSP_OK);
		reopen_iccid = NULL;
	}
	return true;
}

static void test_expiry_reopened_between(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "R", .validity_s = 100};
	orsp_smdp_profile x, q;
	size_t n = 9;
	(void)state;

	import_n(s, 85, 1, "R");
	orsp_smdp_set_clock(s, 1000000);
	assert_int_equal(orsp_smdp_download_order(s, &o, &x), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, x.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_downloaded(s, x.iccid), ORSP_OK);
	orsp_smdp_set_clock(s, 2000000);
	reopen_s = s;
	reopen_iccid = x.iccid;
	assert_int_equal(orsp_smdp_expire_with(s, 1, reopen_between, NULL, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_smdp_get(s, x.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_UNAVAILABLE);
	orsp_smdp_set_clock(s, 0);
	orsp_smdp_close(s);
}

/* Migration 14: an order's due time does not move when it is delivered, so a download's
 * commit writes no page of the index; the round clears the delivered orders' entries once
 * due, changing nothing else, and an order reopened after that (cancelSession, postponed) is
 * due again and expires. */
static void test_expiry_delivered(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "D", .validity_s = 100};
	orsp_smdp_profile a, b, c, q;
	size_t n = 9;
	bool expired = false;
	const char *due = "SELECT count(*) FROM smdp_profile WHERE due_at IS NOT NULL";
	(void)state;

	import_n(s, 80, 4, "D");
	orsp_smdp_set_clock(s, 1000000);
	assert_int_equal(orsp_smdp_download_order(s, &o, &a), ORSP_OK);
	assert_int_equal(orsp_smdp_download_order(s, &o, &b), ORSP_OK);
	assert_int_equal(orsp_smdp_download_order(s, &o, &c), ORSP_OK);
	assert_int_equal(count_rows(s, due), 3);
	assert_int_equal(orsp_smdp_confirm_order(s, b.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, c.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_downloaded(s, b.iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_downloaded(s, c.iccid), ORSP_OK);
	assert_int_equal(count_rows(s, due), 3);
	/* before the due time the round does nothing */
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count_rows(s, due), 3);
	/* after it: the open order expires, the delivered ones only leave the index */
	orsp_smdp_set_clock(s, 2000000);
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_rows(s, due), 0);
	assert_int_equal(orsp_smdp_get(s, a.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(orsp_smdp_get(s, b.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(q.expires_at, 1000100);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'expire'"),
	                 1);
	/* reopened: due again, expired by the next round */
	assert_int_equal(orsp_smdp_reopen(s, c.iccid, "postponed"), ORSP_OK);
	assert_int_equal(count_rows(s, due), 1);
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_smdp_get(s, c.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(orsp_smdp_ended_by_expiry(s, &q, &expired), ORSP_OK);
	assert_true(expired);
	assert_int_equal(orsp_smdp_get(s, b.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(count_rows(s, due), 0);
	/* an order found past its expiry by a request (here confirmOrder) expires there, and
	 * leaves the index with it */
	orsp_smdp_set_clock(s, 1000000);
	assert_int_equal(orsp_smdp_download_order(s, &o, &a), ORSP_OK);
	assert_int_equal(count_rows(s, due), 1);
	orsp_smdp_set_clock(s, 2000000);
	assert_int_equal(orsp_smdp_confirm_order(s, a.matching_id, NULL, true), ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_get(s, a.iccid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(count_rows(s, due), 0);
	orsp_smdp_set_clock(s, 0);
	orsp_smdp_close(s);
}

/* Between two batches of expiry: another connection on the file takes the write lock at
 * once (busy timeout 0) and sees the batches committed so far, each order with its audit
 * row and report. */
typedef struct between_probe {
	int calls;
	int stop_after; /* answer false at this call (0: never) */
	int64_t seen[4];
} between_probe;

static bool take_lock_between(void *arg)
{
	between_probe *b = arg;
	orsp_db *db = NULL;
	orsp_stmt *st = NULL;
	bool row = false;

	assert_int_equal(orsp_db_open(db_path, &db), ORSP_OK);
	assert_int_equal(orsp_db_set_busy_timeout(db, 0), ORSP_OK);
	assert_int_equal(orsp_db_begin(db), ORSP_OK); /* BEGIN IMMEDIATE: the write lock */
	assert_int_equal(orsp_db_prepare(db,
	                                 "SELECT (SELECT count(*) FROM smdp_profile WHERE state ="
	                                 " 'unavailable'), (SELECT count(*) FROM smdp_audit WHERE"
	                                 " action = 'expire'), (SELECT count(*) FROM smdp_progress"
	                                 " WHERE point_id = 1 AND reason_code = '4.10')",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	assert_true(b->calls < 4);
	b->seen[b->calls] = orsp_stmt_column_int64(st, 0);
	assert_int_equal(orsp_stmt_column_int64(st, 1), b->seen[b->calls]);
	assert_int_equal(orsp_stmt_column_int64(st, 2), b->seen[b->calls]);
	orsp_stmt_finalize(st);
	assert_int_equal(orsp_db_commit(db), ORSP_OK);
	orsp_db_close(db);
	return ++b->calls != b->stop_after;
}

/* Expiry works in batches, each its own transaction: every due order ends, audited and
 * reported once; another writer takes the lock between batches; the call can end between
 * them, the next one ends the rest; and a failure anywhere keeps the batches committed before
 * it whole and changes nothing of its own batch. (One transaction for all due orders held
 * the write lock for seconds.) */
static void test_expiry_batches(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q;
	between_probe b = {0};
	bool seen[6] = {false};
	size_t n = 99;
	(void)state;
	import_n(s, 130, 10, "X");
	orsp_smdp_set_progress(s, true);
	orsp_smdp_set_clock(s, 1000000);
	o.profile_type = "X";
	o.validity_s = 100;
	for (int i = 0; i < 5; i++)
		assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	orsp_smdp_set_clock(s, 2000000);
	/* 5 orders in batches of 2: the lock is taken after the first and the second */
	assert_int_equal(orsp_smdp_expire_with(s, 2, take_lock_between, &b, &n), ORSP_OK);
	assert_int_equal(n, 5);
	assert_int_equal(b.calls, 2);
	assert_int_equal(b.seen[0], 2);
	assert_int_equal(b.seen[1], 4);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state ="
	                               " 'unavailable'"),
	                 5);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'expire'"),
	                 5);
	assert_int_equal(count_rows(s, "SELECT count(DISTINCT iccid) FROM smdp_progress WHERE"
	                               " point_id = 1 AND subject_code = '8.8.5' AND reason_code ="
	                               " '4.10'"),
	                 5);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress"), 5);
	/* ended by `between` after the first batch: the next call takes the rest */
	orsp_smdp_set_clock(s, 1000000);
	for (int i = 0; i < 5; i++)
		assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	orsp_smdp_set_clock(s, 2000000);
	b = (between_probe){.stop_after = 1};
	assert_int_equal(orsp_smdp_expire_with(s, 2, take_lock_between, &b, &n), ORSP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(b.seen[0], 7);
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 3);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress"), 10);
	assert_int_equal(count_rows(s, "SELECT count(DISTINCT iccid) FROM smdp_progress"), 10);
	/* a failure at each database operation in turn, the same 5 orders due again each time */
	for (int k = 0;; k++) {
		orsp_err e;
		int64_t audits, expired;
		assert_true(k < 1000);
		assert_int_equal(
		    orsp_db_exec(orsp_smdp_db(s),
		                 "UPDATE smdp_profile SET state = 'allocated', due_at = expires_at"
		                 " WHERE iccid IN (SELECT iccid FROM smdp_profile ORDER BY id"
		                 " LIMIT 5);"
		                 "DELETE FROM smdp_progress"),
		    ORSP_OK);
		audits = count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'expire'");
		orsp_db_inject_failure(orsp_smdp_db(s), k);
		e = orsp_smdp_expire_with(s, 2, NULL, NULL, &n);
		orsp_db_inject_failure(orsp_smdp_db(s), -1);
		orsp_err_clear();
		expired = count_rows(s, "SELECT count(*) FROM smdp_progress");
		assert_int_equal(n, expired);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action ="
		                               " 'expire'") -
		                     audits,
		                 expired);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state ="
		                               " 'allocated'"),
		                 5 - expired);
		if (e == ORSP_OK) {
			assert_int_equal(expired, 5);
			break;
		}
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_equal(expired % 2, 0); /* whole batches only */
		seen[expired] = true;
		/* the next run ends the rest, each reported once */
		assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
		assert_int_equal(n, 5 - expired);
		assert_int_equal(count_rows(s, "SELECT count(DISTINCT iccid) FROM smdp_progress"),
		                 5);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress"), 5);
	}
	/* failures in the second and third batch kept the batches before them */
	assert_true(seen[0] && seen[2] && seen[4]);
	orsp_smdp_close(s);
}

/* The default SM-DP+ case does not find a Released order past its expiry (before the expiry
 * job has run), and so finds a newer one for the same EID. */
static void test_find_released_skips_expired(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile a, b, p;
	size_t n = 9;
	(void)state;
	import_n(s, 60, 2, "F");
	orsp_smdp_set_clock(s, 1000000);
	o.profile_type = "F";
	o.eid = EID1;
	o.validity_s = 100;
	assert_int_equal(orsp_smdp_download_order(s, &o, &a), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, a.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_find_released(s, EID1, &p), ORSP_OK);
	assert_string_equal(p.iccid, a.iccid);
	orsp_smdp_set_clock(s, 1000200);
	assert_int_equal(orsp_smdp_find_released(s, EID1, &p), ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_smdp_download_order(s, &o, &b), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, b.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_find_released(s, EID1, &p), ORSP_OK);
	assert_string_equal(p.iccid, b.iccid);
	/* both expired later: one expiry run ends both, and then there is nothing to do */
	orsp_smdp_set_clock(s, 2000000);
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state ="
	                               " 'unavailable'"),
	                 2);
	orsp_smdp_close(s);
}

/* ----- concurrency ----- */

#define CHILDREN 4
#define CREATE_ROUNDS 25
#define PER_CHILD 3

/* Forks n children, each exiting with child(out, go, arg): out the write end of a pipe whose
 * read end this returns, go the read end of a pipe closed here once all are forked (its read
 * answers 0 then: children that wait for it start together). reap_children waits for them,
 * each to exit 0. */
typedef int (*child_fn)(int out, int go, void *arg);

static int fork_children(int n, child_fn child, void *arg)
{
	int fds[2], go[2];

	assert_int_equal(pipe(fds), 0);
	assert_int_equal(pipe(go), 0);
	for (int c = 0; c < n; c++) {
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			close(go[1]);
			_exit(child(fds[1], go[0], arg));
		}
	}
	close(fds[1]);
	close(go[0]);
	close(go[1]);
	return fds[0];
}

static void reap_children(int n)
{
	for (int c = 0; c < n; c++) {
		int st = 0;
		assert_true(wait(&st) > 0);
		assert_true(WIFEXITED(st));
		assert_int_equal(WEXITSTATUS(st), 0);
	}
}

/* test_concurrent_orders' child: PER_CHILD orders, each ICCID a 21-byte line */
static int order_child(int out, int go, void *arg)
{
	orsp_smdp *cs = NULL;
	int rc = 0;
	(void)go;
	(void)arg;

	if (orsp_smdp_open(db_path, &test_kek, &cs))
		return 2;
	for (int i = 0; i < PER_CHILD; i++) {
		orsp_smdp_order o = {.profile_type = "C"};
		orsp_smdp_profile q;
		char line[22];
		if (orsp_smdp_download_order(cs, &o, &q)) {
			rc = 3;
			break;
		}
		snprintf(line, sizeof(line), "%-20s\n", q.iccid);
		if (write(out, line, 21) != 21)
			rc = 4;
	}
	orsp_smdp_close(cs);
	return rc;
}

static void test_concurrent_orders(void **state)
{
	orsp_smdp *s = open_new();
	int in;
	char seen[CHILDREN * PER_CHILD][21];
	size_t nseen = 0;
	(void)state;
	import_n(s, 50, CHILDREN * PER_CHILD, "C");
	orsp_smdp_close(s);
	in = fork_children(CHILDREN, order_child, NULL);
	char line[21];
	while (read(in, line, 21) == 21) {
		assert_true(nseen < CHILDREN * PER_CHILD);
		line[20] = '\0';
		char *sp = strchr(line, ' ');
		if (sp)
			*sp = '\0';
		for (size_t i = 0; i < nseen; i++)
			assert_string_not_equal(seen[i], line); /* never the same profile twice */
		memcpy(seen[nseen++], line, 21);
	}
	close(in);
	reap_children(CHILDREN);
	assert_int_equal(nseen, CHILDREN * PER_CHILD);
	assert_int_equal(orsp_smdp_open(db_path, &test_kek, &s), ORSP_OK);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state='allocated'"),
	                 CHILDREN * PER_CHILD);
	orsp_smdp_order o = {.profile_type = "C"};
	assert_int_equal(orsp_smdp_download_order(s, &o, NULL), ORSP_E_STATE); /* none left */
	orsp_smdp_close(s);
}

/* Processes given the same ES2+ downloadOrder call at once (two servers on one database, its
 * operator sending it again after a timeout): one profile is ordered, and every process
 * answers its ICCID (each took a profile until session 70). */
/* test_concurrent_replays' child: the one call, once every child is ready; its ICCID */
static int replay_child(int out, int go, void *arg)
{
	orsp_smdp *cs = NULL;
	orsp_smdp_call call = {.requester = "op", .id = "same"};
	orsp_smdp_order o = {.call = &call, .profile_type = "R"};
	orsp_smdp_profile q;
	char b, line[21];
	(void)arg;

	if (orsp_smdp_open(db_path, &test_kek, &cs))
		return 2;
	if (read(go, &b, 1) != 0) /* all start when the parent closes it */
		return 5;
	if (orsp_smdp_download_order(cs, &o, &q))
		return 3;
	snprintf(line, sizeof(line), "%-20s", q.iccid);
	if (write(out, line, 20) != 20)
		return 4;
	orsp_smdp_close(cs);
	return 0;
}

static void test_concurrent_replays(void **state)
{
	orsp_smdp *s = open_new();
	int in;
	char first[21] = "", line[21];
	size_t n = 0;
	(void)state;
	import_n(s, 70, 2, "R");
	orsp_smdp_close(s);
	in = fork_children(CHILDREN, replay_child, NULL);
	while (read(in, line, 20) == 20) {
		line[20] = '\0';
		if (!first[0])
			memcpy(first, line, 21);
		assert_string_equal(line, first);
		n++;
	}
	close(in);
	reap_children(CHILDREN);
	assert_int_equal(n, CHILDREN);
	assert_int_equal(orsp_smdp_open(db_path, &test_kek, &s), ORSP_OK);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state='allocated'"),
	                 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE"
	                               " action = 'downloadOrderReplay'"),
	                 CHILDREN - 1);
	orsp_smdp_close(s);
}

/* The order of call `id` (requester "op"), placed on a profile of type "P" with the clock at
 * `at`, its ICCID into iccid; *replayed whether it was answered as a replay. */
static void call_order(orsp_smdp *s, const char *id, int64_t at, char iccid[21], bool *replayed)
{
	orsp_smdp_call call = {.requester = "op", .id = id};
	orsp_smdp_order o = {.call = &call, .profile_type = "P"};
	orsp_smdp_profile p;

	orsp_smdp_set_clock(s, at);
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	snprintf(iccid, 21, "%s", p.iccid);
	*replayed = call.replayed;
}

/* The ES2+ calls older than the retention are deleted, in batches of at most max rows read,
 * the younger kept (they grew by one row per downloadOrder for ever until session 71); a
 * call deleted, sent again, places a new order, a kept one is still a replay. */
static void test_call_prune(void **state)
{
	orsp_smdp *s = open_new();
	const int64_t t0 = 1000000, day = 86400;
	char ids[6][8], iccid[6][21], again[21];
	bool replayed = true;
	size_t n = 99;
	(void)state;

	import_n(s, 100, 8, "P");
	/* c0..c4 on days 0..4 (c4 at the very cutoff below), c5 on day 20 (a process whose
	 * clock is ahead) */
	for (int i = 0; i < 6; i++) {
		snprintf(ids[i], sizeof(ids[i]), "c%d", i);
		call_order(s, ids[i], t0 + (i < 5 ? i : 20) * day, iccid[i], &replayed);
		assert_false(replayed);
	}
	/* each row of the first two read is old: a batch of two deletes two */
	orsp_smdp_set_clock(s, t0 + 4 * day + 7 * day);
	assert_int_equal(orsp_smdp_call_prune(s, 7 * day, 2, &n), ORSP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call"), 4);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call WHERE call_id IN"
	                               " ('c0', 'c1')"),
	                 0);
	/* then c2, c3; c4 is exactly 7 days old, not older: the batch ends short */
	assert_int_equal(orsp_smdp_call_prune(s, 7 * day, 10, &n), ORSP_OK);
	assert_int_equal(n, 2);
	assert_int_equal(orsp_smdp_call_prune(s, 7 * day, 10, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call"), 2);
	/* c0 deleted: a new order, another profile; c4 kept: its order again, no other */
	call_order(s, ids[0], t0 + 11 * day, again, &replayed);
	assert_false(replayed);
	assert_string_not_equal(again, iccid[0]);
	call_order(s, ids[4], t0 + 11 * day, again, &replayed);
	assert_true(replayed);
	assert_string_equal(again, iccid[4]);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state ="
	                               " 'allocated'"),
	                 7);
	/* the new c0 is young: kept; c4 once past the cutoff goes, c5 stays */
	orsp_smdp_set_clock(s, t0 + 4 * day + 7 * day + 1);
	assert_int_equal(orsp_smdp_call_prune(s, 7 * day, 0, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call WHERE call_id IN"
	                               " ('c0', 'c5')"),
	                 2);
	/* a row written with a clock ahead (c5) is kept, the older one after it deleted */
	orsp_smdp_set_clock(s, t0 + 19 * day);
	assert_int_equal(orsp_smdp_call_prune(s, 7 * day, 0, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call WHERE call_id = 'c5'"), 1);
	assert_int_equal(orsp_smdp_call_prune(s, 0, 0, &n), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_call_prune(s, 7 * day, 0, NULL), ORSP_E_USAGE);
	orsp_smdp_close(s);
}

/* Processes opening one new database at once: every open succeeds (the switch to WAL
 * answered SQLITE_BUSY past the busy handler, and the first migration's tables seen before
 * its version were taken for another program's: "holds no SM-DP+ inventory but other
 * tables"), and exactly one of them made the inventory (orsp_smdp_created, what `smdp
 * serve` announces), none of the later opens or views. */
/* test_created_once's child: '1' when its open made the inventory, '0' when not */
static int create_child(int out, int go, void *arg)
{
	orsp_smdp *cs = NULL;
	char c;
	(void)go;

	if (orsp_smdp_open(db_path, &test_kek, &cs)) {
		fprintf(stderr, "round %d: %s\n", *(const int *)arg, orsp_err_detail());
		return 2;
	}
	c = orsp_smdp_created(cs) ? '1' : '0';
	orsp_smdp_close(cs);
	return write(out, &c, 1) == 1 ? 0 : 3;
}

static void test_created_once(void **state)
{
	orsp_smdp *s = open_new(), *v = NULL;
	int in, made;
	char c;
	(void)state;

	assert_true(orsp_smdp_created(s));
	orsp_smdp_close(s);
	/* rounds: the opens race for the journal mode's switch and the first migration, which
	 * a single round rarely shows */
	for (int round = 0; round < CREATE_ROUNDS; round++) {
		remove_db(db_path);
		made = 0;
		in = fork_children(CHILDREN, create_child, &round);
		while (read(in, &c, 1) == 1)
			made += c == '1';
		close(in);
		reap_children(CHILDREN);
		assert_int_equal(made, 1);
	}
	assert_int_equal(orsp_smdp_open(db_path, &test_kek, &s), ORSP_OK);
	assert_false(orsp_smdp_created(s));
	assert_int_equal(orsp_smdp_open_view(s, &v), ORSP_OK);
	assert_false(orsp_smdp_created(v));
	orsp_smdp_close(v);
	orsp_smdp_close(s);
	assert_false(orsp_smdp_created(NULL));
}

/* The race test_created_once meets by chance, made to happen: another open makes the
 * inventory between this open's read of the smdp version and its look for other tables (the
 * store's test hook, db_internal.h). This open takes the database as the SM-DP+'s, not as
 * another program's ("holds no SM-DP+ inventory but other tables"), and did not make it. */
static void open_between(void *p)
{
	bool *made = p;
	orsp_smdp *o = NULL;

	orsp__db_test_state_hook(NULL, NULL); /* this open's own reads go on undisturbed */
	assert_int_equal(orsp_smdp_open(db_path, &test_kek, &o), ORSP_OK);
	*made = orsp_smdp_created(o);
	orsp_smdp_close(o);
}

static void test_created_between_reads(void **state)
{
	orsp_smdp *s = open_new();
	bool made = false;
	orsp_err err;
	(void)state;

	orsp_smdp_close(s);
	s = NULL;
	remove_db(db_path);
	orsp__db_test_state_hook(open_between, &made);
	err = orsp_smdp_open(db_path, &test_kek, &s);
	orsp__db_test_state_hook(NULL, NULL);
	if (err)
		fprintf(stderr, "%s\n", orsp_err_detail());
	assert_int_equal(err, ORSP_OK);
	assert_true(made);
	assert_false(orsp_smdp_created(s));
	orsp_smdp_close(s);
}

/* Handles on one connection (orsp_smdp_open_view), as the server's threads use them:
 * orders placed in four threads at once never get the same profile, and a view reads what
 * the KEK protects once the handle it came from is closed. */
#define VIEWS 4
#define PER_VIEW 5

typedef struct view_arg {
	orsp_smdp *v;
	char iccid[PER_VIEW][21];
	orsp_err err;
} view_arg;

static void *view_orders(void *p)
{
	view_arg *a = p;
	for (int i = 0; !a->err && i < PER_VIEW; i++) {
		orsp_smdp_order o = {.profile_type = "V"};
		orsp_smdp_profile q;
		a->err = orsp_smdp_download_order(a->v, &o, &q);
		if (!a->err)
			snprintf(a->iccid[i], sizeof(a->iccid[i]), "%s", q.iccid);
	}
	return NULL;
}

static void test_views(void **state)
{
	orsp_smdp *s = open_new(), *v = NULL;
	view_arg args[VIEWS] = {0};
	pthread_t th[VIEWS];
	uint8_t *upp = NULL, *again = NULL;
	size_t len = 0, len2 = 0;
	(void)state;

	assert_int_equal(orsp_smdp_open_view(NULL, &v), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_open_view(s, NULL), ORSP_E_USAGE);
	import_n(s, 80, VIEWS * PER_VIEW, "V");
	for (int i = 0; i < VIEWS; i++)
		assert_int_equal(orsp_smdp_open_view(s, &args[i].v), ORSP_OK);
	for (int i = 0; i < VIEWS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, view_orders, &args[i]), 0);
	for (int i = 0; i < VIEWS; i++) {
		assert_int_equal(pthread_join(th[i], NULL), 0);
		assert_int_equal(args[i].err, ORSP_OK);
	}
	for (int i = 0; i < VIEWS * PER_VIEW; i++)
		for (int j = i + 1; j < VIEWS * PER_VIEW; j++)
			assert_string_not_equal(args[i / PER_VIEW].iccid[i % PER_VIEW],
			                        args[j / PER_VIEW].iccid[j % PER_VIEW]);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state='allocated'"),
	                 VIEWS * PER_VIEW);
	assert_int_equal(orsp_smdp_get_upp(s, args[0].iccid[0], &upp, &len), ORSP_OK);
	/* the views hold the handle's KEK, not copies of it */
	assert_non_null(smdp_kek_in(s));
	for (int i = 0; i < VIEWS; i++)
		assert_ptr_equal(smdp_kek_in(args[i].v), smdp_kek_in(s));
	orsp_smdp_close(s);
	assert_int_equal(orsp_smdp_get_upp(args[0].v, args[0].iccid[0], &again, &len2), ORSP_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(again, upp, len);
	orsp_pkg_buf_free(upp, len);
	orsp_pkg_buf_free(again, len2);
	/* a view that lets go of the KEK refuses what needs it; the others go on */
	smdp_drop_kek(args[1].v);
	assert_null(smdp_kek_in(args[1].v));
	assert_int_equal(orsp_smdp_get_upp(args[1].v, args[0].iccid[0], &again, &len2),
	                 ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "holds no KEK"));
	assert_int_equal(orsp_smdp_open_view(args[1].v, &v), ORSP_OK);
	assert_null(smdp_kek_in(v));
	orsp_smdp_close(v);
	assert_int_equal(orsp_smdp_get_upp(args[2].v, args[0].iccid[0], &again, &len2), ORSP_OK);
	orsp_pkg_buf_free(again, len2);
	for (int i = 0; i < VIEWS; i++)
		orsp_smdp_close(args[i].v);
}

/* ----- secrets at rest ----- */

static bool file_contains(const char *path, const uint8_t *needle, size_t n)
{
	size_t len = 0;
	uint8_t *data;
	bool found = false;
	if (access(path, F_OK) != 0)
		return false; /* no WAL file (checkpointed and removed) */
	data = test_read_file(path, &len);
	assert_non_null(data);
	for (size_t i = 0; !found && i + n <= len; i++)
		found = memcmp(data + i, needle, n) == 0;
	free(data);
	return found;
}

static void test_upp_encrypted_at_rest(void **state)
{
	orsp_smdp *s = open_new();
	size_t len = 0;
	uint8_t *u = make_upp(TS48_V7, 60, "T", &len);
	orsp_pkg *pkg = NULL;
	orsp_pe_info pe;
	char wal[600];
	(void)state;
	assert_int_equal(orsp_smdp_import(s, u, len, NULL), ORSP_OK);
	orsp_smdp_order o = {.profile_type = "T"};
	orsp_smdp_profile q;
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, "CC-CODE-4711", false), ORSP_OK);
	/* needles: the whole akaParameter PE (holds K and OPc) and 64 bytes of the UPP */
	assert_int_equal(orsp_pkg_decode(u, len, &pkg), ORSP_OK);
	bool have_aka = false;
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		assert_int_equal(orsp_pkg_pe(pkg, i, &pe), ORSP_OK);
		if (pe.type == ORSP_PE_AKA_PARAMETER) {
			have_aka = true;
			break;
		}
	}
	assert_true(have_aka);
	snprintf(wal, sizeof(wal), "%s-wal", db_path);
	uint8_t cch[32];
	assert_int_equal(orsp_sha256("CC-CODE-4711", 12, cch), ORSP_OK);
	for (int pass = 0; pass < 2; pass++) {
		/* pass 0: database and WAL while open; pass 1: after close (checkpointed) */
		assert_false(file_contains(db_path, pe.raw.p, pe.raw.len));
		assert_false(file_contains(wal, pe.raw.p, pe.raw.len));
		assert_false(file_contains(db_path, u + 200, 64));
		assert_false(file_contains(wal, u + 200, 64));
		assert_false(file_contains(db_path, (const uint8_t *)"CC-CODE-4711", 12));
		assert_false(file_contains(wal, (const uint8_t *)"CC-CODE-4711", 12));
		assert_false(file_contains(db_path, cch, 32));
		assert_false(file_contains(wal, cch, 32));
		/* the test can fail: the ICCID is stored in clear */
		assert_true(file_contains(db_path, (const uint8_t *)q.iccid, strlen(q.iccid)) ||
		            file_contains(wal, (const uint8_t *)q.iccid, strlen(q.iccid)));
		if (pass == 0)
			orsp_smdp_close(s);
	}
	/* a tampered blob does not authenticate; a wrong KEK cannot open the database */
	orsp_secret other = test_kek;
	other.v[0] ^= 1;
	assert_int_equal(orsp_smdp_open(db_path, &other, &s), ORSP_E_VERIFY);
	assert_int_equal(orsp_smdp_open(db_path, &test_kek, &s), ORSP_OK);
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(s),
	                 "UPDATE smdp_upp SET upp_sealed = substr(upp_sealed, 1, 100) ||"
	                 " CASE WHEN substr(upp_sealed, 101, 1) = x'00' THEN x'01' ELSE x'00'"
	                 " END || substr(upp_sealed, 102)"), /* a byte changed, whatever it was */
	    ORSP_OK);
	uint8_t *back = NULL;
	size_t blen = 0;
	assert_int_equal(orsp_smdp_get_upp(s, q.iccid, &back, &blen), ORSP_E_VERIFY);
	assert_null(back);
	/* its check value lost, a database that holds profiles binds to no KEK, not even one
	 * that unwraps nothing of it */
	{
		orsp_smdp *s2 = NULL;
		assert_int_equal(orsp_db_exec(orsp_smdp_db(s),
		                              "CREATE TEMP TABLE temp_kek_keep AS SELECT * FROM"
		                              " smdp_kek_check; DELETE FROM smdp_kek_check"),
		                 ORSP_OK);
		assert_int_equal(orsp_smdp_open(db_path, &other, &s2), ORSP_E_VERIFY);
		assert_null(s2);
		assert_non_null(strstr(orsp_err_detail(), "no KEK check value in smdp_kek_check"));
		assert_int_equal(
		    orsp_db_exec(orsp_smdp_db(s),
		                 "INSERT INTO smdp_kek_check SELECT * FROM temp_kek_keep"),
		    ORSP_OK);
	}
	/* a wrapped key too long for any key, or cut short; a sealed package of another
	 * length than the profile's: refused, nothing handed out. (SQL's || makes text, on
	 * which substr counts characters, not bytes: a cut of 20 characters of the random
	 * bytes was sometimes long enough to reach the unwrap, ORSP_E_VERIFY; hence the casts.) */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s),
	                              "UPDATE smdp_upp SET dek_wrapped ="
	                              " CAST(dek_wrapped || zeroblob(200) AS BLOB)"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get_upp(s, q.iccid, &back, &blen), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "key has a bad length"));
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_upp SET dek_wrapped ="
	                                               " substr(CAST(dek_wrapped AS BLOB), 1, 20)"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get_upp(s, q.iccid, &back, &blen), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "bad length 20"));
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_upp SET upp_sealed ="
	                                               " substr(upp_sealed, 1, 50)"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get_upp(s, q.iccid, &back, &blen), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "UPP has a bad length"));
	assert_null(back);
	assert_int_equal(blen, 0);
	orsp_pkg_free(pkg);
	orsp_pkg_buf_free(u, len);
	orsp_smdp_close(s);
}

/* ----- schema migration ----- */

#define SMDP_LATEST 21 /* the smdp schema version this program migrates to */

/* SQL that takes a current database back before migration 21 (the answers of recorded ES2+
 * confirmOrder calls) */
#define UNDO_V21                                                                                   \
	"ALTER TABLE smdp_call DROP COLUMN eid;"                                                   \
	"ALTER TABLE smdp_call DROP COLUMN matching_id;"                                           \
	"DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 21;"
/* ... and before migration 20 (progress report leases, profiles by type) */
#define UNDO_V20                                                                                   \
	UNDO_V21 "DROP INDEX smdp_profile_type;"                                                   \
	         "ALTER TABLE smdp_progress DROP COLUMN next_by;"                                  \
	         "ALTER TABLE smdp_progress DROP COLUMN lease;"                                    \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 20;"
/* ... and before migration 19 (the order an ES2+ call placed) */
#define UNDO_V19                                                                                   \
	UNDO_V20 "ALTER TABLE smdp_call DROP COLUMN order_seq;"                                    \
	         "ALTER TABLE smdp_profile DROP COLUMN order_seq;"                                 \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 19;"
/* ... and before migration 18 (the undelivered reports in order) */
#define UNDO_V18                                                                                   \
	UNDO_V19 "DROP INDEX smdp_progress_queue;"                                                 \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 18;"
/* ... and before migration 17 (the executed ES2+ calls) */
#define UNDO_V17                                                                                   \
	UNDO_V18 "DROP TABLE smdp_call;"                                                           \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 17;"
/* ... and before migration 16 (the undelivered reports by ICCID) */
#define UNDO_V16                                                                                   \
	UNDO_V17 "DROP INDEX smdp_progress_pending;"                                               \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 16;"
/* ... and before migration 15 (the state's CHECK) */
#define UNDO_V15                                                                                   \
	UNDO_V16 "PRAGMA writable_schema = ON;"                                                    \
	         "UPDATE sqlite_master SET sql = replace(sql, " SMDP_STATE_CHECK_V15               \
	         ", " SMDP_STATE_CHECK_V1 ") WHERE type = 'table' AND name = 'smdp_profile';"      \
	         "PRAGMA writable_schema = RESET;"                                                 \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 15;"
/* ... and before migration 14 (orders by due time) */
#define UNDO_V14                                                                                   \
	UNDO_V15 "DROP INDEX smdp_profile_due;"                                                    \
	         "ALTER TABLE smdp_profile DROP COLUMN due_at;"                                    \
	         "CREATE INDEX smdp_profile_open_expiry ON smdp_profile (expires_at) "             \
	         "WHERE " SMDP_OPEN_ORDER ";"                                                      \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 14;"
/* ... and before migration 13 (the index of the expiry's audit rows) */
#define UNDO_V13                                                                                   \
	UNDO_V14 "DROP INDEX smdp_audit_expired;"                                                  \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 13;"
/* ... and before migration 12 (the index of open orders by expiry) */
#define UNDO_V12                                                                                   \
	UNDO_V13 "DROP INDEX smdp_profile_open_expiry;"                                            \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 12;"
/* ... and before migration 11 (codes of failed reports: a change of rows only) */
#define UNDO_V11 UNDO_V12 "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 11;"
/* ... and before migration 10 (profile class) */
#define UNDO_V10                                                                                   \
	UNDO_V11 "ALTER TABLE smdp_profile DROP COLUMN profile_class;"                             \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 10;"
/* ... and before migration 9 (no replacing audit rows) */
#define UNDO_V9                                                                                    \
	UNDO_V10 "DROP TRIGGER smdp_audit_no_replace;"                                             \
	         "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 9;"
/* ... and before migration 8 (PPRs and profile owner) */
#define UNDO_V8                                                                                    \
	UNDO_V9 "ALTER TABLE smdp_profile DROP COLUMN ppr;"                                        \
	        "ALTER TABLE smdp_profile DROP COLUMN owner_mcc_mnc;"                              \
	        "ALTER TABLE smdp_profile DROP COLUMN owner_gid1;"                                 \
	        "ALTER TABLE smdp_profile DROP COLUMN owner_gid2;"                                 \
	        "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 8;"

/* The schema of a database file, "type name, ..." in name order. */
static void schema_of(const char *path, char *out, size_t cap)
{
	orsp_db *db = NULL;
	orsp_stmt *st = NULL;
	bool row = false;
	assert_int_equal(orsp_db_open_ex(path, ORSP_DB_OPEN_EXISTING, &db), ORSP_OK);
	assert_int_equal(orsp_db_prepare(db,
	                                 "SELECT group_concat(type || ' ' || name, ', ') FROM"
	                                 " (SELECT type, name FROM sqlite_master ORDER BY name)",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	snprintf(out, cap, "%s", orsp_stmt_column_text(st, 0));
	orsp_stmt_finalize(st);
	orsp_db_close(db);
}

/* The SM-DP+ keeps a database of its own, as the AuC does: one that holds the AuC (the
 * subscriber keys' database) or another program's tables is refused before any SM-DP+
 * table is added to it; an empty one is taken. */
static void test_own_database(void **state)
{
	const char *dir = test_tmpdir("smdp-own");
	char path[600], before[4096], after[4096];
	orsp_smdp *s = NULL;
	orsp_auc *a = NULL;
	orsp_db *db = NULL;
	size_t len = 0;
	uint8_t *bytes;
	int v = -1;
	(void)state;

	/* another program's file in rollback-journal mode: not a byte changed */
	snprintf(path, sizeof(path), "%s/foreign.sqlite", dir);
	bytes = test_foreign_db_create(path, &len);
	assert_int_equal(orsp_smdp_open(path, &test_kek, &s), ORSP_E_POLICY);
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "foreign.sqlite holds no SM-DP+ inventory but "
	                                          "other tables"));
	assert_non_null(strstr(orsp_err_detail(), "needs a database of its own"));
	test_foreign_db_check(path, bytes, len);
	free(bytes);

	/* an AuC's database, named with the sqlite: scheme */
	snprintf(path, sizeof(path), "%s/auc.db", dir);
	assert_int_equal(orsp_auc_open(path, &test_kek, &a), ORSP_OK);
	orsp_auc_close(a);
	schema_of(path, before, sizeof(before));
	assert_non_null(strstr(before, "table auc_"));
	snprintf(path, sizeof(path), "sqlite:%s/auc.db", dir);
	assert_int_equal(orsp_smdp_open(path, &test_kek, &s), ORSP_E_POLICY);
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "auc.db holds no SM-DP+ inventory"));
	assert_null(strstr(orsp_err_detail(), "sqlite:"));
	schema_of(path, after, sizeof(after));
	assert_string_equal(after, before);
	assert_int_equal(orsp_db_open_ex(path, ORSP_DB_OPEN_EXISTING, &db), ORSP_OK);
	assert_int_equal(orsp_db_schema_version(db, "smdp", &v), ORSP_OK);
	assert_int_equal(v, 0);
	orsp_db_close(db);

	/* an empty database is taken, and is the SM-DP+'s from then on */
	snprintf(path, sizeof(path), "%s/empty.db", dir);
	assert_int_equal(orsp_db_open(path, &db), ORSP_OK);
	orsp_db_close(db);
	assert_int_equal(orsp_smdp_open(path, &test_kek, &s), ORSP_OK);
	orsp_smdp_close(s);
	s = NULL;
	assert_int_equal(orsp_smdp_open(path, &test_kek, &s), ORSP_OK);
	orsp_smdp_close(s);
}

/* A wrong KEK is refused before the inventory's migration writes to the database: an older
 * one (in rollback-journal mode, as a backup is, one step behind) was upgraded and switched to
 * WAL by an open that then refused it. */
static void test_wrong_kek_untouched(void **state)
{
	const char *dir = test_tmpdir("smdp-wrong-kek");
	char path[600];
	orsp_smdp *s = NULL;
	orsp_db *db = NULL;
	orsp_secret other = test_kek;
	uint8_t *bytes;
	size_t len = 0;
	(void)state;

	snprintf(path, sizeof(path), "%s/smdp.db", dir);
	assert_int_equal(orsp_smdp_open(path, &test_kek, &s), ORSP_OK);
	orsp_smdp_close(s);
	s = NULL;
	assert_int_equal(orsp_db_open(path, &db), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "PRAGMA journal_mode=DELETE;" UNDO_V21), ORSP_OK);
	orsp_db_close(db);
	bytes = test_read_file(path, &len);
	other.v[0] ^= 1;
	for (int i = 0; i < 3; i++) {
		static const orsp_db_open_mode modes[] = {
		    ORSP_DB_OPEN_CREATE, ORSP_DB_OPEN_EXISTING, ORSP_DB_OPEN_READONLY};
		assert_int_equal(orsp_smdp_open_ex(path, modes[i], &other, &s), ORSP_E_VERIFY);
		assert_null(s);
		assert_non_null(strstr(orsp_err_detail(), "wrong KEK"));
		test_file_check(path, bytes, len);
	}
	/* read-only with the right KEK (`smdp serve --check`): opened at its version, which it
	 * keeps, and read */
	{
		orsp_smdp_schema_info sc = {0};
		size_t n[ORSP_SMDP_STATE__COUNT] = {0};
		assert_int_equal(orsp_smdp_open_ex(path, ORSP_DB_OPEN_READONLY, &test_kek, &s),
		                 ORSP_OK);
		assert_int_equal(orsp_smdp_schema(s, &sc), ORSP_OK);
		assert_int_equal(sc.smdp, SMDP_LATEST - 1);
		assert_int_equal(sc.smdp_latest, SMDP_LATEST);
		assert_int_equal(sc.es9p, 0); /* orsp_es9p_prepare never ran on it */
		assert_true(sc.es9p_latest > 0);
		assert_int_equal(orsp_smdp_count_states(s, n), ORSP_OK);
		orsp_smdp_close(s);
		s = NULL;
		test_file_check(path, bytes, len);
	}
	free(bytes);
	/* ... and one of a newer program refused as the migration refuses it, untouched */
	assert_int_equal(orsp_db_open(path, &db), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "INSERT INTO schema_migrations (module, version, "
	                                  "description, applied_at) VALUES ('smdp', 99, 'x', 0)"),
	                 ORSP_OK);
	orsp_db_close(db);
	bytes = test_read_file(path, &len);
	assert_int_equal(orsp_smdp_open_ex(path, ORSP_DB_OPEN_READONLY, &test_kek, &s),
	                 ORSP_E_STATE);
	assert_null(s);
	assert_non_null(
	    strstr(orsp_err_detail(), "smdp schema version 99 is newer than this program"));
	test_file_check(path, bytes, len);
	free(bytes);
	assert_int_equal(orsp_db_open(path, &db), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "DELETE FROM schema_migrations WHERE version = 99"),
	                 ORSP_OK);
	orsp_db_close(db);
	/* the right KEK upgrades it */
	assert_int_equal(orsp_smdp_open(path, &test_kek, &s), ORSP_OK);
	orsp_smdp_close(s);
}

/* An open for a verb that works on the inventory there (ORSP_DB_OPEN_EXISTING) and the probe
 * before it create nothing and write nothing into a database that holds no inventory: a
 * path that does not exist (plain, sqlite:, file: URI) is not created, a 0-byte file is not
 * made an SQLite database, a file that is not SQLite and an AuC's or another program's
 * database are refused with the same bytes and no -wal/-shm files; an inventory opens. */
static void test_open_existing(void **state)
{
	static const char *const forms[] = {"", "sqlite:", "file:"};
	const char *dir = test_tmpdir("smdp-existing");
	char path[600], uri[700];
	orsp_smdp *s = NULL;
	orsp_auc *a = NULL;
	uint8_t junk[4096], *bytes;
	size_t len = 0;
	FILE *f;
	(void)state;

	/* not there: refused by the open itself, nothing created */
	snprintf(path, sizeof(path), "%s/none.db", dir);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(forms); i++) {
		snprintf(uri, sizeof(uri), "%s%s", forms[i], path);
		assert_int_equal(orsp_smdp_open_ex(uri, ORSP_DB_OPEN_EXISTING, &test_kek, &s),
		                 ORSP_E_NOT_FOUND);
		assert_null(s);
		assert_non_null(strstr(orsp_err_detail(), "no database at "));
		assert_int_equal(orsp_smdp_probe(uri), ORSP_E_NOT_FOUND);
		assert_int_equal(access(path, F_OK), -1);
	}

	/* a 0-byte file: no inventory, and still 0 bytes */
	snprintf(path, sizeof(path), "%s/zero.db", dir);
	f = fopen(path, "wb");
	assert_non_null(f);
	fclose(f);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(forms); i++) {
		snprintf(uri, sizeof(uri), "%s%s", forms[i], path);
		assert_int_equal(orsp_smdp_probe(uri), ORSP_E_NOT_FOUND);
		assert_non_null(strstr(orsp_err_detail(), "zero.db holds no SM-DP+ inventory"));
		test_file_check(path, (const uint8_t *)"", 0);
		assert_int_equal(orsp_smdp_open_ex(uri, ORSP_DB_OPEN_EXISTING, &test_kek, &s),
		                 ORSP_E_NOT_FOUND);
		assert_null(s);
		assert_non_null(strstr(orsp_err_detail(), "zero.db holds no SM-DP+ inventory"));
		test_file_check(path, (const uint8_t *)"", 0);
	}

	/* a file that is not SQLite */
	snprintf(path, sizeof(path), "%s/junk.db", dir);
	for (size_t i = 0; i < sizeof(junk); i++)
		junk[i] = (uint8_t)(i * 7 + 3);
	f = fopen(path, "wb");
	assert_non_null(f);
	assert_int_equal(fwrite(junk, 1, sizeof(junk), f), sizeof(junk));
	fclose(f);
	assert_int_equal(orsp_smdp_probe(path), ORSP_E_STORAGE);
	assert_int_equal(orsp_smdp_open_ex(path, ORSP_DB_OPEN_EXISTING, &test_kek, &s),
	                 ORSP_E_STORAGE);
	assert_null(s);
	test_file_check(path, junk, sizeof(junk));

	/* another program's database, and the AuC's */
	snprintf(path, sizeof(path), "%s/foreign.sqlite", dir);
	bytes = test_foreign_db_create(path, &len);
	assert_int_equal(orsp_smdp_probe(path), ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_open_ex(path, ORSP_DB_OPEN_EXISTING, &test_kek, &s),
	                 ORSP_E_POLICY);
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "foreign.sqlite holds no SM-DP+ inventory but "
	                                          "other tables"));
	test_foreign_db_check(path, bytes, len);
	free(bytes);
	snprintf(path, sizeof(path), "%s/auc.db", dir);
	assert_int_equal(orsp_auc_open(path, &test_kek, &a), ORSP_OK);
	orsp_auc_close(a);
	bytes = test_read_file(path, &len);
	assert_int_equal(orsp_smdp_probe(path), ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_open_ex(path, ORSP_DB_OPEN_EXISTING, &test_kek, &s),
	                 ORSP_E_POLICY);
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "auc.db holds no SM-DP+ inventory but other"));
	test_file_check(path, bytes, len);
	free(bytes);

	/* another program's database with a "schema_migrations" of its own (Rails): refused as
	 * another program's, not by an SQL error reading it as openrsp's */
	snprintf(path, sizeof(path), "%s/rails.db", dir);
	{
		orsp_db *db = NULL;
		assert_int_equal(orsp_db_open(path, &db), ORSP_OK);
		assert_int_equal(orsp_db_exec(db, "CREATE TABLE schema_migrations (version TEXT"
		                                  " PRIMARY KEY)"),
		                 ORSP_OK);
		orsp_db_close(db);
	}
	assert_int_equal(orsp_smdp_probe(path), ORSP_E_POLICY);
	assert_int_equal(orsp_smdp_open(path, &test_kek, &s), ORSP_E_POLICY);
	assert_null(s);
	assert_non_null(strstr(orsp_err_detail(), "rails.db holds no SM-DP+ inventory but other"));

	/* an inventory: found, and opened */
	snprintf(path, sizeof(path), "%s/smdp.db", dir);
	assert_int_equal(orsp_smdp_open(path, &test_kek, &s), ORSP_OK);
	orsp_smdp_close(s);
	s = NULL;
	assert_int_equal(orsp_smdp_probe(path), ORSP_OK);
	assert_int_equal(orsp_smdp_open_ex(path, ORSP_DB_OPEN_EXISTING, &test_kek, &s), ORSP_OK);
	orsp_smdp_close(s);
	s = NULL;
	assert_int_equal(orsp_smdp_open_ex(path, (orsp_db_open_mode)4, &test_kek, &s),
	                 ORSP_E_USAGE);
	assert_null(s);
}

/* Take the closed database at db_path back with the SQL undo (one transaction) and check it
 * then records smdp schema version `version`. */
static void undo_to(const char *undo, int version)
{
	orsp_db *db = NULL;
	int v = 0;

	assert_int_equal(orsp_db_open(db_path, &db), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "BEGIN;"), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, undo), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "COMMIT;"), ORSP_OK);
	assert_int_equal(orsp_db_schema_version(db, "smdp", &v), ORSP_OK);
	assert_int_equal(v, version);
	orsp_db_close(db);
}

/* Open the database at db_path again, which runs the migrations it lacks, and check that it
 * then records the latest smdp schema version. */
static orsp_smdp *reopen_migrated(void)
{
	orsp_smdp *s = NULL;
	int v = 0;

	assert_int_equal(orsp_smdp_open(db_path, &test_kek, &s), ORSP_OK);
	assert_int_equal(orsp_db_schema_version(orsp_smdp_db(s), "smdp", &v), ORSP_OK);
	assert_int_equal(v, SMDP_LATEST);
	return s;
}

/* A database of schema version 2 (the sealed package in smdp_profile's own columns) opens
 * with its packages intact: migration 3 moves them to smdp_upp. The version-2 layout is
 * made from a current database by hand, as the code of that version wrote it. */
static void test_migration_upp_table(void **state)
{
	orsp_smdp *s = open_new();
	size_t len = 0, blen = 0;
	uint8_t *u = make_upp(TS48_V7, 61, "T", &len), *back = NULL;
	orsp_smdp_profile q;
	orsp_db *db = NULL;
	int v = 0;
	(void)state;
	assert_int_equal(orsp_smdp_import(s, u, len, &q), ORSP_OK);
	import_n(s, 62, 2, "T");
	orsp_smdp_close(s);

	assert_int_equal(orsp_db_open(db_path, &db), ORSP_OK);
	assert_int_equal(
	    orsp_db_exec(db,
	                 "BEGIN;" UNDO_V8 "DROP INDEX smdp_profile_eid;"
	                 "ALTER TABLE smdp_profile ADD COLUMN dek_wrapped BLOB;"
	                 "ALTER TABLE smdp_profile ADD COLUMN upp_sealed BLOB;"
	                 "UPDATE smdp_profile SET"
	                 " dek_wrapped = (SELECT dek_wrapped FROM smdp_upp WHERE profile_id = id),"
	                 " upp_sealed = (SELECT upp_sealed FROM smdp_upp WHERE profile_id = id);"
	                 "DROP TABLE smdp_upp;"
	                 "DROP INDEX smdp_profile_available;"
	                 "CREATE INDEX smdp_profile_type_state ON smdp_profile"
	                 " (profile_type, state);"
	                 "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 3;"
	                 "COMMIT;"),
	    ORSP_OK);
	assert_int_equal(orsp_db_schema_version(db, "smdp", &v), ORSP_OK);
	assert_int_equal(v, 2);
	orsp_db_close(db);

	s = reopen_migrated();
	assert_int_equal(
	    count_rows(s, "SELECT count(*) FROM sqlite_master WHERE name = 'smdp_profile_eid'"), 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_upp"), 3);
	assert_int_equal(orsp_smdp_get_upp(s, q.iccid, &back, &blen), ORSP_OK);
	assert_int_equal(blen, len);
	assert_memory_equal(back, u, len);
	orsp_pkg_buf_free(back, blen);
	/* the old columns are gone, so no second copy of the package is kept */
	assert_int_not_equal(orsp_db_exec(orsp_smdp_db(s), "SELECT upp_sealed FROM smdp_profile"),
	                     ORSP_OK);
	orsp_err_clear();
	orsp_pkg_buf_free(u, len);
	orsp_smdp_close(s);
}

/* Migration 4 from the layout before it (AUTOINCREMENT audit and progress tables, the
 * (profile_type, state) index): every row and id kept, the audit table still append-only,
 * new ids continue after the old ones, the order search uses the new partial index. */
static void test_migration_plain_rowids(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {0};
	orsp_smdp_profile q;
	orsp_db *db = NULL;
	int64_t audits, progress, max_id;
	int v = 0;
	(void)state;
	import_n(s, 80, 3, "M");
	orsp_smdp_set_progress(s, true);
	o.profile_type = "M";
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, q.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_downloaded(s, q.iccid), ORSP_OK);
	audits = count_rows(s, "SELECT count(*) FROM smdp_audit");
	progress = count_rows(s, "SELECT count(*) FROM smdp_progress");
	max_id = count_rows(s, "SELECT max(id) FROM smdp_audit");
	assert_true(audits >= 5);
	assert_true(progress >= 1);
	orsp_smdp_close(s);

	/* back to the version-3 layout, rows and ids as they are */
	assert_int_equal(orsp_db_open(db_path, &db), ORSP_OK);
	assert_int_equal(
	    orsp_db_exec(
	        db,
	        "BEGIN;" UNDO_V8 "DROP INDEX smdp_profile_eid;"
	        "DROP INDEX smdp_profile_available;"
	        "CREATE INDEX smdp_profile_type_state ON smdp_profile (profile_type, state);"
	        "CREATE TABLE a3 (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
	        " action TEXT NOT NULL, iccid TEXT NOT NULL, from_state TEXT NOT NULL,"
	        " to_state TEXT NOT NULL, detail TEXT NOT NULL DEFAULT '');"
	        "INSERT INTO a3 SELECT * FROM smdp_audit;"
	        "DROP TABLE smdp_audit;"
	        "ALTER TABLE a3 RENAME TO smdp_audit;"
	        "CREATE TRIGGER smdp_audit_no_update BEFORE UPDATE ON smdp_audit"
	        " BEGIN SELECT RAISE(ABORT, 'smdp_audit is append-only'); END;"
	        "CREATE TRIGGER smdp_audit_no_delete BEFORE DELETE ON smdp_audit"
	        " BEGIN SELECT RAISE(ABORT, 'smdp_audit is append-only'); END;"
	        "CREATE TABLE p3 (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL,"
	        " iccid TEXT NOT NULL, eid TEXT NOT NULL DEFAULT '', profile_type TEXT NOT NULL,"
	        " point_id INTEGER NOT NULL, success INTEGER NOT NULL,"
	        " detail TEXT NOT NULL DEFAULT '', attempts INTEGER NOT NULL DEFAULT 0,"
	        " next_at INTEGER NOT NULL, done INTEGER NOT NULL DEFAULT 0);"
	        "INSERT INTO p3 SELECT id, at, iccid, eid, profile_type, point_id, success, detail,"
	        " attempts, next_at, done FROM smdp_progress;"
	        "DROP TABLE smdp_progress;"
	        "ALTER TABLE p3 RENAME TO smdp_progress;"
	        "CREATE INDEX smdp_progress_due ON smdp_progress (done, next_at);"
	        "DELETE FROM schema_migrations WHERE module = 'smdp' AND version >= 4;"
	        "COMMIT;"),
	    ORSP_OK);
	assert_int_equal(orsp_db_schema_version(db, "smdp", &v), ORSP_OK);
	assert_int_equal(v, 3);
	orsp_db_close(db);

	s = reopen_migrated();
	assert_int_equal(
	    count_rows(s, "SELECT count(*) FROM sqlite_master WHERE name = 'smdp_profile_eid'"), 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), audits);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress"), progress);
	assert_int_equal(count_rows(s, "SELECT max(id) FROM smdp_audit"), max_id);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM sqlite_sequence WHERE name IN"
	                               " ('smdp_audit', 'smdp_progress')"),
	                 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM sqlite_master WHERE name ="
	                               " 'smdp_profile_type_state'"),
	                 0);
	/* still append-only */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_audit SET detail = 'x'"),
	                 ORSP_E_STORAGE);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "DELETE FROM smdp_audit"), ORSP_E_STORAGE);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "REPLACE INTO smdp_audit (id, at, action,"
	                                               " iccid, from_state, to_state)"
	                                               " VALUES (1, 0, 'x', '', '', '')"),
	                 ORSP_E_STORAGE);
	orsp_err_clear();
	/* an order after the migration (the search uses the new index): audit ids go on */
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_ALLOCATED);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), audits + 1);
	assert_int_equal(count_rows(s, "SELECT max(id) FROM smdp_audit"), max_id + 1);
	orsp_smdp_close(s);
}

/* Whether the plan of the progress sender's search (SMDP_SQL_NEXT_REPORT) finds a profile's
 * earlier undelivered report through smdp_progress_pending. */
static bool next_report_indexed(orsp_smdp *s)
{
	orsp_stmt *st = NULL;
	bool row = false, indexed = false;

	assert_int_equal(
	    orsp_db_prepare(orsp_smdp_db(s), "EXPLAIN QUERY PLAN " SMDP_SQL_NEXT_REPORT, &st),
	    ORSP_OK);
	while (orsp_stmt_step(st, &row) == ORSP_OK && row)
		indexed |= strstr(orsp_stmt_column_text(st, 3), "smdp_progress_pending") != NULL;
	orsp_stmt_finalize(st);
	return indexed;
}

/* Migration 16 (the undelivered progress reports by ICCID): the sender's search for the next
 * report asks, for each due report, whether its profile has an earlier one still to send.
 * Without the index that read every undelivered report (smdp_progress_due has no ICCID): a
 * backlog of n reports cost n * n rows per report sent, 1.8 s for 2,300 of them, so the
 * senders of two servers under load, or after an operator outage, delivered a report every
 * two seconds and held their read snapshot (the log's checkpoints) as long. A database made
 * before it gets the index, holding the undelivered reports only. */
static void test_migration_progress_pending(void **state)
{
	orsp_smdp *s = open_new();
	orsp_stmt *st = NULL;
	bool row = false;
	(void)state;

	assert_true(next_report_indexed(s));
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(s),
	                 "INSERT INTO smdp_progress (at, iccid, profile_type, point_id,"
	                 " success, next_at, done) VALUES"
	                 " (1, '8988247000000000001', 'T', 3, 1, 1, 1),"
	                 " (1, '8988247000000000001', 'T', 4, 1, 1, 0),"
	                 " (1, '8988247000000000002', 'T', 3, 1, 1, 0)"),
	    ORSP_OK);
	orsp_smdp_close(s);
	undo_to(UNDO_V16, 15);
	s = reopen_migrated();
	assert_true(next_report_indexed(s));
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress INDEXED BY"
	                               " smdp_progress_pending WHERE " SMDP_PROGRESS_PENDING
	                               " AND iccid > ''"),
	                 2);
	/* the first due report of a profile whose earlier reports went */
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(s), SMDP_SQL_NEXT_REPORT, &st), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_int64(st, 1, 2), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_int64(st, 2, 2 + SMDP_PROGRESS_AHEAD_MAX_S), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	assert_int_equal(orsp_stmt_column_int64(st, 0), 2);
	orsp_stmt_finalize(st);
	orsp_smdp_close(s);
}

/* The id of the report the progress sender takes next at `now` (SMDP_SQL_NEXT_REPORT, bound
 * as sender_round binds it), 0 when none is due. */
static int64_t next_report_at(orsp_smdp *s, int64_t now)
{
	orsp_stmt *st = NULL;
	bool row = false;
	int64_t id = 0;

	assert_int_equal(orsp_db_prepare(orsp_smdp_db(s), SMDP_SQL_NEXT_REPORT, &st), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_int64(st, 1, now), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_int64(st, 2, now + SMDP_PROGRESS_AHEAD_MAX_S), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_text(st, 3, "clock-a"), ORSP_OK); /* this process's */
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	if (row)
		id = orsp_stmt_column_int64(st, 0);
	orsp_stmt_finalize(st);
	return id;
}

/* n progress reports after the table's last, one per ICCID (8988247 and i in 13 digits, i
 * from `first` on), next_at `next_at`: a backlog made in one statement. */
static void add_reports(orsp_smdp *s, int first, int n, int64_t next_at)
{
	char sql[512];

	snprintf(sql, sizeof(sql),
	         "WITH RECURSIVE k(i) AS (SELECT %d UNION ALL SELECT i + 1 FROM k WHERE i < %d)"
	         " INSERT INTO smdp_progress (at, iccid, profile_type, point_id, success, next_at)"
	         " SELECT 1, printf('8988247%%013d', i), 'T', 1, 1, %lld FROM k",
	         first, first + n - 1, (long long)next_at);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), sql), ORSP_OK);
}

/* A report's next_at further ahead than any process writes one (the longest back-off plus a
 * margin), written on this clock (next_by '' or its name, here "clock-a"), was written before
 * it was set back: due now. Before, a clock set back by 31 days held the report (its retry, or
 * a claim) 31 more days, and the later reports of its ICCID behind it (the clock review's
 * exp3). A back-off as written is not due, up to the limit itself; one written on another
 * machine's clock (its skew) is not due until this clock reaches it, up to a day more
 * (SMDP_PROGRESS_FOREIGN_MAX_S), and a claim never (it is
 * being sent; migration 20). Both of the search's ways
 * (SMDP_SQL_NEXT_REPORT) decide alike: with few reports due, and with
 * SMDP_PROGRESS_FEW_DUE more of other ICCIDs due after them, then the first of those when
 * report 1 is not due. */
#define NEXT_REPORT_NOW 1700000000
static void test_next_report_clock_set_back(void **state)
{
	static const struct {
		int64_t ahead; /* next_at - now */
		bool due;      /* written on this clock ('' or its name) */
		bool due_other; /* written on another machine's clock */
	} cases[] = {
	    {-1, true, true},
	    {0, true, true},
	    {1, false, false},
	    {SMDP_PROGRESS_LEASE_S, false, false},
	    {SMDP_PROGRESS_BACKOFF_MAX_S, false, false}, /* the longest back-off */
	    {SMDP_PROGRESS_AHEAD_MAX_S, false, false},
	    /* another machine's clock ahead: its skew, not a clock set back (before migration 20
	     * due at once, and two processes so far apart used a report's retries in 2 s) */
	    {SMDP_PROGRESS_AHEAD_MAX_S + 1, true, false},
	    {3600, true, false},
	    {SMDP_PROGRESS_AHEAD_MAX_S + SMDP_PROGRESS_FOREIGN_MAX_S, true, false},
	    /* ... but no two clocks on one database are a day apart: a clock whose name changed
	     * (a container made anew without a machine-id) is not left to wait it out (it was,
	     * 31 days here, in the diff review of session 77) */
	    {SMDP_PROGRESS_AHEAD_MAX_S + SMDP_PROGRESS_FOREIGN_MAX_S + 1, true, true},
	    {31 * 86400, true, true},
	    /* a claim: being sent, due on no clock */
	    {SMDP_PROGRESS_CLAIMED - NEXT_REPORT_NOW, false, false},
	};
	static const char *const by[] = {"", "clock-a", "clock-b"};
	const int64_t now = NEXT_REPORT_NOW;
	orsp_smdp *s = open_new();
	char sql[256];
	(void)state;

	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(s),
	                 "INSERT INTO smdp_progress (at, iccid, profile_type, point_id,"
	                 " success, next_at) VALUES"
	                 " (1, '8988247000000000001', 'T', 3, 1, 0),"
	                 " (1, '8988247000000000001', 'T', 4, 1, 0)"),
	    ORSP_OK);
	for (int many = 0; many < 2; many++) {
		/* the second time with reports 3 ... of other ICCIDs, due */
		if (many)
			add_reports(s, 100, SMDP_PROGRESS_FEW_DUE, 0);
		for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++)
			for (size_t b = 0; b < ORSP_ARRAY_LEN(by); b++) {
				bool due = b == 2 ? cases[i].due_other : cases[i].due;
				int64_t want = due ? 1 : many ? 3 : 0;
				snprintf(sql, sizeof(sql),
				         "UPDATE smdp_progress SET next_at = %lld, next_by = '%s'"
				         " WHERE id = 1",
				         (long long)(now + cases[i].ahead), by[b]);
				assert_int_equal(orsp_db_exec(orsp_smdp_db(s), sql), ORSP_OK);
				/* the report's own, and never the later one of its ICCID before it
				 */
				if (next_report_at(s, now) != want)
					fail_msg("next_at %lld s ahead by '%s', %s: want %lld, "
					         "taken %lld",
					         (long long)cases[i].ahead, by[b],
					         many ? "many due" : "few due", (long long)want,
					         (long long)next_report_at(s, now));
			}
	}
	orsp_smdp_close(s);
}

/* The report SMDP_SQL_NEXT_REPORT takes at `now` from the database at db_path (0: none), and
 * in *steps the virtual machine instructions that took (SQLITE_STMTSTATUS_VM_STEP: the work
 * of the search, which the machine's speed and load do not change), through a connection of
 * its own (the store's statements do not show their counters). */
static int64_t next_report_steps(int64_t now, int *steps)
{
	sqlite3 *raw = NULL;
	sqlite3_stmt *st = NULL;
	int64_t id = 0;
	int rc;

	assert_int_equal(sqlite3_open(db_path, &raw), SQLITE_OK);
	rc = sqlite3_prepare_v2(raw, SMDP_SQL_NEXT_REPORT, -1, &st, NULL);
	if (rc != SQLITE_OK)
		fail_msg("SMDP_SQL_NEXT_REPORT: %s", sqlite3_errmsg(raw));
	assert_int_equal(sqlite3_bind_int64(st, 1, now), SQLITE_OK);
	assert_int_equal(sqlite3_bind_int64(st, 2, now + SMDP_PROGRESS_AHEAD_MAX_S), SQLITE_OK);
	rc = sqlite3_step(st);
	if (rc == SQLITE_ROW)
		id = sqlite3_column_int64(st, 0);
	else
		assert_int_equal(rc, SQLITE_DONE);
	*steps = sqlite3_stmt_status(st, SQLITE_STMTSTATUS_VM_STEP, 0);
	assert_int_equal(sqlite3_finalize(st), SQLITE_OK);
	assert_int_equal(sqlite3_close(raw), SQLITE_OK);
	return id;
}

/* The search for the next report costs the same with 20,000 reports waiting as with 200: each
 * outbox is made twice, with 200 and with 20,000 reports of other ICCIDs after what the case
 * puts first, and the search must take the same report in no more steps. Before, it took
 * every due report from smdp_progress_due and sorted them by id for each report sent, about
 * 26 steps per due report: 8 ms of CPU per report with 19,000 waiting (the multi-process
 * review), hours to report 200,000 orders expiring together. Walking every undelivered report
 * instead would cost as much to a server whose reports all wait for their retries (an
 * operator outage): the "waiting" cases. */
static void test_next_report_backlog(void **state)
{
	enum { SMALL = 200, BIG = 20000 };
	const int64_t now = 1700000000;
	static const struct {
		const char *name;
		int64_t rest_next_at; /* of the reports after the first ones */
		const char *first;    /* the first ones (ids 1 ...), or NULL */
		int64_t want;         /* the report taken; -1: the last one (ids differ) */
	} cases[] = {
	    /* orders expired together: one report each, all due */
	    {"all due", 0, NULL, 1},
	    /* the two before were claimed by other processes (a lease ahead); the third report's
	     * ICCID has one of them before it */
	    {"claims ahead", 0,
	     "(1, '8988247000000000001', 'T', 3, 1, 1700000060),"
	     " (1, '8988247000000000002', 'T', 3, 1, 1700000060),"
	     " (1, '8988247000000000001', 'T', 4, 1, 0)",
	     4},
	    /* reports delivered and given up before, never walked */
	    {"delivered before", 0,
	     "(1, '8988247000000000001', 'T', 3, 1, 0),"
	     " (1, '8988247000000000002', 'T', 3, 1, 0)",
	     3},
	    /* an operator outage: every report waits for its retry */
	    {"waiting, none due", 1700000100, NULL, 0},
	    /* ... and a new download's report, due, comes last */
	    {"waiting, a new one", 1700000100, NULL, -1},
	};
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		int steps[2] = {0, 0};
		for (int big = 0; big < 2; big++) {
			orsp_smdp *s = open_new();
			int n = big ? BIG : SMALL, first = 0;
			int64_t want = cases[i].want, got;
			char sql[512];

			if (cases[i].first) {
				snprintf(
				    sql, sizeof(sql),
				    "INSERT INTO smdp_progress (at, iccid, profile_type, point_id,"
				    " success, next_at) VALUES %s",
				    cases[i].first);
				assert_int_equal(orsp_db_exec(orsp_smdp_db(s), sql), ORSP_OK);
				first = (int)count_rows(s, "SELECT count(*) FROM smdp_progress");
			}
			if (strcmp(cases[i].name, "delivered before") == 0)
				assert_int_equal(
				    orsp_db_exec(
				        orsp_smdp_db(s),
				        "UPDATE smdp_progress SET done = id WHERE id <= 2"),
				    ORSP_OK);
			add_reports(s, 100, n, cases[i].rest_next_at);
			if (want < 0) {
				add_reports(s, 100 + n, 1, 0);
				want = first + n + 1;
			}
			orsp_smdp_close(s);
			got = next_report_steps(now, &steps[big]);
			if (got != want)
				fail_msg("%s, %d reports: took %lld, want %lld", cases[i].name, n,
				         (long long)got, (long long)want);
		}
		print_message("%s: %d steps with %d reports, %d with %d\n", cases[i].name, steps[0],
		              SMALL, steps[1], BIG);
		if (steps[1] > steps[0])
			fail_msg("%s: %d steps with %d reports waiting, %d with %d", cases[i].name,
			         steps[0], SMALL, steps[1], BIG);
	}
}

/* Migration 18 (the undelivered progress reports in order): a database made before it gets
 * the index, holding the undelivered reports only, and the search walks it once many reports
 * are due; without it the search does not prepare (it names the index) rather than sort. */
static void test_migration_progress_queue(void **state)
{
	orsp_smdp *s = open_new();
	sqlite3 *raw = NULL;
	sqlite3_stmt *st = NULL;
	int steps = 0;
	(void)state;

	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(s),
	                 "INSERT INTO smdp_progress (at, iccid, profile_type, point_id,"
	                 " success, next_at, done) VALUES"
	                 " (1, '8988247000000000001', 'T', 3, 1, 0, 1),"
	                 " (1, '8988247000000000002', 'T', 3, 1, 0, 2),"
	                 " (1, '8988247000000000003', 'T', 3, 1, 0, 0)"),
	    ORSP_OK);
	add_reports(s, 100, SMDP_PROGRESS_FEW_DUE, 0);
	orsp_smdp_close(s);
	undo_to(UNDO_V18, 17);
	assert_int_equal(sqlite3_open(db_path, &raw), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(raw, SMDP_SQL_NEXT_REPORT, -1, &st, NULL),
	                 SQLITE_ERROR);
	assert_non_null(strstr(sqlite3_errmsg(raw), "smdp_progress_queue"));
	assert_int_equal(sqlite3_close(raw), SQLITE_OK);
	s = reopen_migrated();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress INDEXED BY"
	                               " smdp_progress_queue WHERE " SMDP_PROGRESS_PENDING),
	                 1 + SMDP_PROGRESS_FEW_DUE);
	orsp_smdp_close(s);
	assert_int_equal(next_report_steps(1700000000, &steps), 3);
}

/* Migration 17: a database made before it gets the table of executed ES2+ calls, and an
 * order recorded there is answered again, not placed twice. */
static void test_migration_call(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_call c = {.requester = "op", .id = "c1"};
	orsp_smdp_order o = {.call = &c, .profile_type = "T"};
	orsp_smdp_profile p, again;
	(void)state;

	orsp_smdp_close(s);
	undo_to(UNDO_V17, 16);
	s = reopen_migrated();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call"), 0);
	import_n(s, 1, 2, "T");
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	assert_false(c.replayed);
	assert_int_equal(orsp_smdp_download_order(s, &o, &again), ORSP_OK);
	assert_true(c.replayed);
	assert_string_equal(again.iccid, p.iccid);
	assert_string_equal(again.matching_id, p.matching_id);
	/* another body under that call: refused */
	c.replayed = false;
	c.body_hash[0] ^= 1;
	assert_int_equal(orsp_smdp_download_order(s, &o, &again), ORSP_E_EXISTS);
	assert_true(c.conflict);
	assert_false(c.replayed);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call"), 1);
	assert_int_equal(
	    count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state = 'available'"), 1);
	orsp_smdp_close(s);
}

/* Migration 19: a call recorded before it has no order_seq, and sent again is refused
 * (ORSP_E_STATE, ended, nothing written) rather than answered with a profile that may have
 * been ordered again since; a call recorded after it is answered, and refused once its
 * profile is ordered again (until session 74 every replay answered the recorded ICCID). */
static void test_migration_order_seq(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_call c1 = {.requester = "op", .id = "c1"}, c2 = {.requester = "op", .id = "c2"},
	               c3 = {.requester = "op", .id = "c3"};
	orsp_smdp_order o = {.call = &c1, .profile_type = "T"};
	orsp_smdp_profile p, again;
	int64_t audits;
	(void)state;

	import_n(s, 1, 1, "T");
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	orsp_smdp_close(s);
	undo_to(UNDO_V19, 18);
	s = reopen_migrated();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call WHERE order_seq IS NULL"),
	                 1);
	assert_int_equal(count_rows(s, "SELECT max(order_seq) FROM smdp_profile"), 0);
	audits = count_rows(s, "SELECT count(*) FROM smdp_audit");
	assert_int_equal(orsp_smdp_download_order(s, &o, &again), ORSP_E_STATE);
	assert_true(c1.ended);
	assert_false(c1.replayed);
	assert_non_null(strstr(orsp_err_detail(), p.iccid));
	assert_non_null(strstr(orsp_err_detail(), "recorded before the schema's migration 19"));
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), audits);
	/* cancelled to Available, ordered by c2: its count recorded, and a replay answered */
	assert_int_equal(orsp_smdp_cancel_order(s, p.iccid, NULL, NULL, true), ORSP_OK);
	o.call = &c2;
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	assert_int_equal(count_rows(s, "SELECT order_seq FROM smdp_call WHERE call_id = 'c2'"), 1);
	assert_int_equal(count_rows(s, "SELECT order_seq FROM smdp_profile"), 1);
	assert_int_equal(orsp_smdp_download_order(s, &o, &again), ORSP_OK);
	assert_true(c2.replayed);
	assert_false(c2.ended);
	assert_string_equal(again.iccid, p.iccid);
	/* ... until the profile is ordered again, by c3 */
	assert_int_equal(orsp_smdp_cancel_order(s, p.iccid, NULL, NULL, true), ORSP_OK);
	o.call = &c3;
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	o.call = &c2;
	c2.replayed = false;
	assert_int_equal(orsp_smdp_download_order(s, &o, &again), ORSP_E_STATE);
	assert_true(c2.ended);
	assert_false(c2.replayed);
	assert_non_null(strstr(orsp_err_detail(), "ordered again since"));
	o.call = &c3;
	assert_int_equal(orsp_smdp_download_order(s, &o, &again), ORSP_OK);
	assert_true(c3.replayed);
	orsp_smdp_close(s);
}

/* Migration 21: a database made before it (a downloadOrder call recorded) gets the columns of
 * a confirmOrder's answer, NULL for that call; then confirmOrder, cancelOrder and
 * releaseProfile calls are recorded with what they acted on, and a repeat of one is a replay
 * that acts on nothing, whatever order the profile holds now (each was executed again until
 * session 79): the confirmOrder's answer as recorded, audited as <function>Replay; another
 * body is ORSP_E_EXISTS and conflict. */
static void test_migration_call_answers(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_call d1 = {.requester = "op", .id = "d1"}, d2 = {.requester = "op2", .id = "d2"},
	               c1 = {.requester = "op", .id = "c1"}, r1 = {.requester = "op", .id = "r1"},
	               x1 = {.requester = "op", .id = "x1"};
	orsp_smdp_order o = {.call = &d1, .profile_type = "T"};
	orsp_smdp_confirmation conf = {.eid = "89049032123451234512345678901235", .call = &c1};
	orsp_smdp_profile p, now;
	char mid[ORSP_SMDP_MATCHING_ID_MAX + 1];
	(void)state;

	import_n(s, 1, 1, "T");
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	orsp_smdp_close(s);
	undo_to(UNDO_V21, 20);
	s = reopen_migrated();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call WHERE matching_id IS NULL"
	                               " AND eid IS NULL"),
	                 1);
	/* confirmOrder: recorded with its answer */
	assert_int_equal(orsp_smdp_confirm(s, p.iccid, &conf, &p), ORSP_OK);
	assert_false(c1.replayed);
	snprintf(mid, sizeof(mid), "%s", p.matching_id);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call WHERE function ="
	                               " 'confirmOrder' AND order_seq = 1 AND eid ="
	                               " '89049032123451234512345678901235' AND matching_id IS NOT"
	                               " NULL"),
	                 1);
	assert_int_equal(orsp_smdp_release_call(s, p.iccid, &r1), ORSP_OK);
	assert_int_equal(orsp_smdp_cancel_order_call(s, p.iccid, NULL, NULL, true, NULL, &x1),
	                 ORSP_OK);
	/* ordered again by another call: every retry leaves that order as it is */
	o.call = &d2;
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm(s, p.iccid, &conf, &now), ORSP_OK);
	assert_true(c1.replayed);
	assert_string_equal(c1.matching_id, mid);
	assert_string_equal(c1.eid, "89049032123451234512345678901235");
	assert_int_equal(now.state, ORSP_SMDP_ALLOCATED);
	assert_string_equal(now.matching_id, p.matching_id);
	assert_int_equal(orsp_smdp_cancel_order_call(s, p.iccid, NULL, NULL, true, NULL, &x1),
	                 ORSP_OK);
	assert_true(x1.replayed);
	assert_int_equal(orsp_smdp_release_call(s, p.iccid, &r1), ORSP_OK);
	assert_true(r1.replayed);
	assert_int_equal(orsp_smdp_get(s, p.iccid, &now), ORSP_OK);
	assert_int_equal(now.state, ORSP_SMDP_ALLOCATED);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action IN"
	                               " ('confirmOrderReplay', 'cancelOrderReplay',"
	                               " 'releaseProfileReplay')"),
	                 3);
	/* another body under the call: refused, nothing done */
	x1.replayed = false;
	x1.body_hash[0] ^= 1;
	assert_int_equal(orsp_smdp_cancel_order_call(s, p.iccid, NULL, NULL, true, NULL, &x1),
	                 ORSP_E_EXISTS);
	assert_true(x1.conflict);
	assert_false(x1.replayed);
	assert_int_equal(orsp_smdp_get(s, p.iccid, &now), ORSP_OK);
	assert_int_equal(now.state, ORSP_SMDP_ALLOCATED);
	/* a refusal is not recorded: the call sent again is executed again */
	assert_int_equal(
	    orsp_smdp_release_call(s, p.iccid, &(orsp_smdp_call){.requester = "op", .id = "r2"}),
	    ORSP_E_STATE);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_call WHERE call_id = 'r2'"), 0);
	orsp_smdp_close(s);
}

/* Migration 11: the undelivered Failed reports queued without status codes get the codes
 * they would be queued with now, by point (and detail where the point has several); reports
 * delivered or given up, successes and reports with codes are left as they are. */
static void test_migration_failed_codes(void **state)
{
	orsp_smdp *s = open_new();
	orsp_db *db = NULL;
	int v = 0;
	orsp_stmt *st = NULL;
	bool row = false;
	(void)state;

	orsp_smdp_close(s);
	assert_int_equal(orsp_db_open(db_path, &db), ORSP_OK);
	assert_int_equal(
	    orsp_db_exec(db,
	                 "BEGIN;" UNDO_V11
	                 "INSERT INTO smdp_progress (id, at, iccid, profile_type, point_id,"
	                 " success, detail, next_at, done, subject_code, reason_code) VALUES"
	                 " (1, 0, 'a', 'T', 4, 0, 'profile installation failed', 0, 0, '', ''),"
	                 " (2, 0, 'b', 'T', 3, 0, 'cancelled: PPR not allowed', 0, 0, '', ''),"
	                 " (3, 0, 'c', 'T', 3, 0, 'cancelled: end user rejection', 0, 0, '', ''),"
	                 " (4, 0, 'd', 'T', 1, 0, 'download attempts exhausted', 0, 0, '', ''),"
	                 " (5, 0, 'e', 'T', 1, 0, 'SAIP 2.2 only', 0, 0, '', ''),"
	                 " (6, 0, 'f', 'T', 2, 0, 'x', 0, 0, '', ''),"
	                 " (7, 0, 'g', 'T', 4, 0, 'given up', 0, 2, '', ''),"
	                 " (8, 0, 'h', 'T', 4, 0, 'delivered', 0, 1, '', ''),"
	                 " (9, 0, 'i', 'T', 4, 1, '', 0, 0, '', ''),"
	                 " (10, 0, 'j', 'T', 1, 0, 'order expired', 0, 0, '8.8.5', '4.10');"
	                 "COMMIT;"),
	    ORSP_OK);
	assert_int_equal(orsp_db_schema_version(db, "smdp", &v), ORSP_OK);
	assert_int_equal(v, 10);
	orsp_db_close(db);

	s = reopen_migrated();
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(s),
	                                 "SELECT group_concat(subject_code || '/' || reason_code,"
	                                 " ' ') FROM (SELECT * FROM smdp_progress ORDER BY id)",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	assert_string_equal(orsp_stmt_column_text(st, 0), "8.1/4.2 8.2/3.8 8.1/3.8 8.8.5/6.4 "
	                                                  "8.2.5/4.3 8.2.7/6.4 / / / 8.8.5/4.10");
	orsp_stmt_finalize(st);
	orsp_smdp_close(s);
}

/* Migration 8 from the layout before it: the profiles and their orders are kept, without
 * PPRs or owner; a profile with PPRs can be imported after it; the table refuses rules other
 * than PPR1/PPR2, and a stored row with rules but no owner is refused when read. */
static void test_migration_ppr(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "M8", .eid = EID1};
	orsp_smdp_import_opts io = {.ppr = ORSP_SMDP_PPR2};
	orsp_smdp_profile q, r;
	size_t len = 0;
	uint8_t *u;
	(void)state;
	import_n(s, 90, 2, "M8");
	assert_int_equal(orsp_smdp_download_order(s, &o, &q), ORSP_OK);
	orsp_smdp_close(s);

	undo_to(UNDO_V8, 7);

	s = reopen_migrated();
	assert_int_equal(orsp_smdp_get(s, q.iccid, &r), ORSP_OK);
	assert_int_equal(r.state, ORSP_SMDP_LINKED);
	assert_string_equal(r.matching_id, q.matching_id);
	assert_int_equal(r.ppr, 0);
	assert_string_equal(r.owner.mcc_mnc, "");
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE ppr = 0 AND"
	                               " owner_mcc_mnc IS NULL"),
	                 2);
	u = make_upp(TS48_V7, 92, "M8", &len);
	assert_int_equal(orsp_smdp_import_with(s, u, len, &io, &r), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	assert_int_equal(r.ppr, ORSP_SMDP_PPR2);
	/* the table takes no other rule */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET ppr = 1"),
	                 ORSP_E_STORAGE);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET owner_mcc_mnc ="
	                                               " '0010' WHERE ppr = 4"),
	                 ORSP_E_STORAGE);
	orsp_err_clear();
	/* rows read back are checked: rules without an owner, an owner without rules */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET owner_mcc_mnc ="
	                                               " NULL WHERE ppr = 4"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, r.iccid, &q), ORSP_E_MALFORMED);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET ppr = 0,"
	                                               " owner_mcc_mnc = '00101' WHERE ppr = 4"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, r.iccid, &q), ORSP_E_MALFORMED);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET ppr = 4,"
	                                               " owner_gid1 = zeroblob(33)"
	                                               " WHERE owner_mcc_mnc IS NOT NULL"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, r.iccid, &q), ORSP_E_MALFORMED);
	/* an owner of the table's length (5 or 6) that is not MCC+MNC digits: refused when
	 * read, as it could not be coded in the profile's metadata */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET owner_gid1 = NULL,"
	                                               " owner_mcc_mnc = '0010A' WHERE ppr = 4"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, r.iccid, &q), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "stored profile owner is malformed"));
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET owner_mcc_mnc ="
	                                               " '00101' WHERE ppr = 4"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, r.iccid, &q), ORSP_OK);
	assert_string_equal(q.owner.mcc_mnc, "00101");
	orsp_smdp_close(s);
}

/* Migration 14 (orders by due time): an open order's due time is its expiry, a delivered
 * one has none (nothing to expire); the index of open orders is replaced. */
static void test_migration_due(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "M14", .validity_s = 100};
	orsp_smdp_profile a, b;
	size_t n = 9;
	(void)state;

	import_n(s, 97, 2, "M14");
	orsp_smdp_set_clock(s, 1000000);
	assert_int_equal(orsp_smdp_download_order(s, &o, &a), ORSP_OK);
	assert_int_equal(orsp_smdp_download_order(s, &o, &b), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(s, b.matching_id, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_downloaded(s, b.iccid), ORSP_OK);
	orsp_smdp_close(s);
	undo_to(UNDO_V14, 13);

	s = reopen_migrated();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE due_at = 1000100"
	                               " AND state = 'allocated'"),
	                 1);
	assert_int_equal(
	    count_rows(s, "SELECT count(*) FROM smdp_profile WHERE due_at IS NOT NULL"), 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM sqlite_master WHERE name ="
	                               " 'smdp_profile_open_expiry'"),
	                 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM sqlite_master WHERE name ="
	                               " 'smdp_profile_due'"),
	                 1);
	orsp_smdp_set_clock(s, 2000000);
	assert_int_equal(orsp_smdp_expire(s, &n), ORSP_OK);
	assert_int_equal(n, 1);
	orsp_smdp_set_clock(s, 0);
	orsp_smdp_close(s);
}

/* Migration 15 (the state's CHECK without an IN list): a database made before it has the new
 * text after it, with its profiles; the CHECK still refuses a state that is not one; a
 * connection opened on the file before the migration reloads the table's definition. */
static void test_migration_state_check(void **state)
{
	static const char old_check[] = "state IN ('available'";
	static const char new_check[] = "state = 'available' OR state = 'allocated'";
	orsp_smdp *s = open_new();
	orsp_db *before = NULL;
	orsp_stmt *st = NULL;
	bool row = false;
	(void)state;

	import_n(s, 93, 2, "M15");
	/* a new database gets the new text through migration 15 */
	assert_int_equal(count_rows(s, "SELECT count(*) FROM sqlite_master WHERE name ="
	                               " 'smdp_profile' AND instr(sql, 'state IN') = 0"
	                               " AND instr(sql, 'state = ''unavailable'')') > 0"),
	                 1);
	orsp_smdp_close(s);
	undo_to(UNDO_V15, 14);
	/* a connection that read the old definition, then the migration by another one */
	assert_int_equal(orsp_db_open(db_path, &before), ORSP_OK);
	assert_int_equal(orsp_db_exec(before, "UPDATE smdp_profile SET state = 'bogus'"),
	                 ORSP_E_STORAGE);
	assert_non_null(strstr(orsp_err_detail(), old_check));
	s = reopen_migrated();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM sqlite_master WHERE name ="
	                               " 'smdp_profile' AND instr(sql, 'state IN') = 0"),
	                 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE profile_type ="
	                               " 'M15' AND state = 'available'"),
	                 2);
	/* the migrating connection and the other one both check the new text */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET state = 'bogus'"),
	                 ORSP_E_STORAGE);
	assert_non_null(strstr(orsp_err_detail(), new_check));
	assert_int_equal(orsp_db_exec(before, "UPDATE smdp_profile SET state = 'Available'"),
	                 ORSP_E_STORAGE);
	assert_non_null(strstr(orsp_err_detail(), new_check));
	assert_int_equal(orsp_db_exec(before, "UPDATE smdp_profile SET state = NULL"),
	                 ORSP_E_STORAGE);
	/* every state still is one */
	assert_int_equal(orsp_db_exec(before, "BEGIN;"
	                                      "UPDATE smdp_profile SET state = 'unavailable';"
	                                      "UPDATE smdp_profile SET state = 'error';"
	                                      "UPDATE smdp_profile SET state = 'available';"
	                                      "COMMIT;"),
	                 ORSP_OK);
	assert_int_equal(orsp_db_prepare(before, "PRAGMA integrity_check", &st), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	assert_string_equal(orsp_stmt_column_text(st, 0), "ok");
	orsp_stmt_finalize(st);
	orsp_db_close(before);
	orsp_smdp_close(s);
}

/* Migration 10 (profile class): profiles imported before have none; the class set at import
 * is read back; the column takes SGP.22's codes only; the names parse in any case. */
static void test_migration_class(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_import_opts io = {.profile_class = ORSP_PKG_CLASS_TEST};
	orsp_smdp_profile r, q;
	orsp_pkg_class c = ORSP_PKG_CLASS_UNSET;
	size_t len = 0;
	uint8_t *u;
	(void)state;

	import_n(s, 95, 1, "M10");
	orsp_smdp_close(s);
	undo_to(UNDO_V10, 9);

	s = reopen_migrated();
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile"
	                               " WHERE profile_class IS NULL"),
	                 1);
	u = make_upp(TS48_V7, 96, "M10", &len);
	assert_int_equal(orsp_smdp_import_with(s, u, len, &io, &r), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	assert_int_equal(r.profile_class, ORSP_PKG_CLASS_TEST);
	assert_int_equal(orsp_smdp_get(s, r.iccid, &q), ORSP_OK);
	assert_int_equal(q.profile_class, ORSP_PKG_CLASS_TEST);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE profile_class = 0"),
	                 1);
	/* an unknown class is refused before anything is written */
	io.profile_class = (orsp_pkg_class)4;
	u = make_upp(TS48_V7, 97, "M10", &len);
	assert_int_equal(orsp_smdp_import_with(s, u, len, &io, &r), ORSP_E_USAGE);
	orsp_pkg_buf_free(u, len);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile"), 2);
	/* the table takes SGP.22's codes only */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET profile_class = 3"),
	                 ORSP_E_STORAGE);
	orsp_err_clear();
	orsp_smdp_close(s);

	assert_int_equal(orsp_pkg_class_parse("test", &c), ORSP_OK);
	assert_int_equal(c, ORSP_PKG_CLASS_TEST);
	assert_int_equal(orsp_pkg_class_parse("Provisioning", &c), ORSP_OK);
	assert_int_equal(c, ORSP_PKG_CLASS_PROVISIONING);
	assert_int_equal(orsp_pkg_class_parse("OPERATIONAL", &c), ORSP_OK);
	assert_int_equal(c, ORSP_PKG_CLASS_OPERATIONAL);
	static const char *const bad[] = {"", "tst", "operational ", "2", "testing"};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++)
		assert_int_equal(orsp_pkg_class_parse(bad[i], &c), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "\"testing\""));
	orsp_err_clear();
	assert_string_equal(orsp_pkg_class_name(ORSP_PKG_CLASS_PROVISIONING), "provisioning");
}

/* ----- failure injection ----- */

static void test_failure_injection(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_profile q;
	int n;
	(void)state;
	import_n(s, 70, 1, "T");
	int64_t audits = count_rows(s, "SELECT count(*) FROM smdp_audit");
	for (n = 0; n < 100; n++) {
		orsp_smdp_order o = {.profile_type = "T", .eid = EID1};
		orsp_db_inject_failure(orsp_smdp_db(s), n);
		orsp_err err = orsp_smdp_download_order(s, &o, NULL);
		orsp_db_inject_failure(orsp_smdp_db(s), -1);
		if (err == ORSP_OK)
			break;
		assert_int_equal(err, ORSP_E_STORAGE);
		assert_false(orsp_db_in_transaction(orsp_smdp_db(s)));
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE"
		                               " state = 'available' AND eid IS NULL AND"
		                               " matching_id IS NULL"),
		                 1);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), audits);
	}
	assert_true(n >= 4 && n < 100); /* begin, select, update, update, audit, commit */
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state = 'linked'"),
	                 1);
	/* confirmOrder with a CC under injection: the CC is never stored without the state */
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), audits + 1);
	orsp_stmt *st = NULL;
	bool row = false;
	char mid[ORSP_SMDP_MATCHING_ID_MAX + 1];
	assert_int_equal(
	    orsp_db_prepare(orsp_smdp_db(s), "SELECT matching_id FROM smdp_profile", &st), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	snprintf(mid, sizeof(mid), "%s", orsp_stmt_column_text(st, 0));
	orsp_stmt_finalize(st);
	for (n = 0; n < 100; n++) {
		orsp_db_inject_failure(orsp_smdp_db(s), n);
		orsp_err err = orsp_smdp_confirm_order(s, mid, "1234", true);
		orsp_db_inject_failure(orsp_smdp_db(s), -1);
		if (err == ORSP_OK)
			break;
		assert_int_equal(err, ORSP_E_STORAGE);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE"
		                               " state = 'linked' AND cc_wrapped IS NULL"),
		                 1);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), audits + 1);
	}
	assert_true(n >= 4 && n < 100);
	assert_int_equal(orsp_smdp_lookup(s, mid, &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_RELEASED);
	assert_true(q.cc_required);
	orsp_smdp_close(s);
}

/* What the listing's walk saw: the ICCIDs in order; stops after stop_after rows (0: never). */
typedef struct seen {
	char iccid[8][21];
	size_t n, stop_after;
} seen;

static int seen_one(const orsp_smdp_profile *p, void *arg)
{
	seen *w = arg;
	assert_true(w->n < 8);
	memcpy(w->iccid[w->n++], p->iccid, 21);
	return w->stop_after && w->n == w->stop_after ? 7 : 0;
}

/* list f and compare with the profiles want[] (indexes into ic, -1 ends), in that order */
static void expect_list(orsp_smdp *s, const orsp_smdp_filter *f, char ic[6][21], const int *want,
                        bool want_more)
{
	seen w = {0};
	bool more = !want_more;
	int stopped = -1;
	size_t n = 0;

	assert_int_equal(orsp_smdp_list_where(s, f, seen_one, &w, &stopped, &more), ORSP_OK);
	for (; want[n] >= 0; n++) {
		assert_true(n < w.n);
		assert_string_equal(w.iccid[n], ic[want[n]]);
	}
	assert_int_equal(w.n, n);
	assert_int_equal(more, want_more);
	assert_int_equal(stopped, 0);
}

/* Whether the plan SQLite makes for the listing of f (count: its count) names `what`. */
static bool plan_has(orsp_smdp *s, const orsp_smdp_filter *f, bool count, const char *what)
{
	char sql[1024];

	assert_int_equal(
	    smdp_filter_sql(f, count ? SMDP_FILTER_COUNT : SMDP_FILTER_LIST, sql, sizeof(sql)),
	    ORSP_OK);
	/* the values are parameters, never part of the text */
	if (f->iccid)
		assert_null(strstr(sql, f->iccid));
	if (f->eid)
		assert_null(strstr(sql, f->eid));
	return plan_uses(s, sql, what);
}

#define BIT(st) (1u << (st))

/* ----- purging the packages of ended profiles ----- */

/* `between` of a purge: on before the first batch, a stop before the second */
static bool purge_stop_after_one(void *arg)
{
	return ++*(int *)arg == 1;
}

static bool purge_stop_at_once(void *arg)
{
	(*(int *)arg)++;
	return false;
}

/* Every profile holds a package exactly when its upp_len is not 0, and each purged one has
 * one `purge` audit row: nothing half done. */
static void assert_purge_consistent(orsp_smdp *s)
{
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile p WHERE (p.upp_len = 0)"
	                               " = EXISTS (SELECT 1 FROM smdp_upp u"
	                               " WHERE u.profile_id = p.id)"),
	                 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile WHERE upp_len = 0"),
	                 count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'purge'"));
}

static void test_purge(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_profile p, q;
	orsp_smdp_filter f = {0};
	size_t n[ORSP_SMDP_STATE__COUNT], len = 0;
	uint8_t *upp = NULL;
	char ic[6][21];
	seen w = {0};
	(void)state;

	/* 0 installed at 2000, 1 installed at 3000, 2 in Error, 3 Unavailable (cancelled for
	 * good), 4 Downloaded (its installation result to come), 5 Available */
	orsp_smdp_set_clock(s, 1000);
	import_n(s, 80, 6, "P");
	assert_int_equal(orsp_smdp_list(s, seen_one, &w, NULL), ORSP_OK);
	assert_int_equal(w.n, 6);
	memcpy(ic, w.iccid, sizeof(ic));
	static const int64_t at[5] = {2000, 3000, 3000, 3000, 3000};
	for (int i = 0; i < 5; i++) {
		orsp_smdp_order o = {.iccid = ic[i], .eid = EID1};
		orsp_smdp_set_clock(s, at[i]);
		assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
		if (i == 3) {
			assert_int_equal(orsp_smdp_cancel_order(s, ic[i], NULL, NULL, false),
			                 ORSP_OK);
			continue;
		}
		assert_int_equal(orsp_smdp_confirm_order(s, p.matching_id, NULL, true), ORSP_OK);
		assert_int_equal(orsp_smdp_download_attempt(s, ic[i]), ORSP_OK);
		assert_int_equal(orsp_smdp_mark_downloaded(s, ic[i]), ORSP_OK);
		if (i < 2)
			assert_int_equal(orsp_smdp_mark_installed(s, ic[i]), ORSP_OK);
		else if (i == 2)
			assert_int_equal(
			    orsp_smdp_mark_error(s, ic[i], ORSP_SMDP_FAIL_INSTALL, "x"), ORSP_OK);
	}
	assert_int_equal(orsp_smdp_get(s, ic[3], &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_UNAVAILABLE);
	orsp_smdp_set_clock(s, 5000);

	/* refused, nothing written: no state, a state that is not final, a bad filter */
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "name the states"));
	for (int st = 0; st < ORSP_SMDP_STATE__COUNT; st++) {
		if (st == ORSP_SMDP_INSTALLED || st == ORSP_SMDP_ERROR ||
		    st == ORSP_SMDP_UNAVAILABLE)
			continue;
		f.states = BIT(ORSP_SMDP_INSTALLED) | BIT(st);
		assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_E_USAGE);
		assert_non_null(strstr(orsp_err_detail(), "is not a final state"));
		assert_non_null(strstr(orsp_err_detail(), orsp_smdp_state_name(st)));
	}
	f.states = BIT(ORSP_SMDP_INSTALLED);
	f.iccid = "89x";
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_E_USAGE);
	f.iccid = NULL;
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_purge(NULL, &f, false, NULL, NULL, n), ORSP_E_USAGE);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_upp"), 6);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'purge'"),
	                 0);

	/* a dry run counts and writes nothing */
	f.states = BIT(ORSP_SMDP_INSTALLED) | BIT(ORSP_SMDP_ERROR) | BIT(ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(orsp_smdp_purge(s, &f, true, NULL, NULL, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_INSTALLED], 2);
	assert_int_equal(n[ORSP_SMDP_ERROR], 1);
	assert_int_equal(n[ORSP_SMDP_UNAVAILABLE], 1);
	assert_int_equal(n[ORSP_SMDP_DOWNLOADED] + n[ORSP_SMDP_AVAILABLE], 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_upp"), 6);

	/* Installed, last changed before 2500: profile 0 only */
	f.states = BIT(ORSP_SMDP_INSTALLED);
	f.changed_before = 2500;
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_INSTALLED], 1);
	assert_int_equal(orsp_smdp_get_upp(s, ic[0], &upp, &len), ORSP_E_NOT_FOUND);
	assert_non_null(strstr(orsp_err_detail(), "purged"));
	assert_null(upp);
	assert_int_equal(orsp_smdp_get_upp(s, ic[1], &upp, &len), ORSP_OK);
	orsp_pkg_buf_free(upp, len);
	upp = NULL;
	/* the row stays, its state and last change as they were; it reads with no package */
	assert_int_equal(orsp_smdp_get(s, ic[0], &q), ORSP_OK);
	assert_int_equal(q.state, ORSP_SMDP_INSTALLED);
	assert_int_equal(q.upp_len, 0);
	assert_int_equal(q.updated_at, 2000);
	assert_string_equal(q.eid, EID1);
	assert_purge_consistent(s);
	/* the same again: nothing left to purge there */
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_INSTALLED], 0);

	/* a limit: the first in id order that still holds a package (1, not 0) */
	f.changed_before = 0;
	f.states = BIT(ORSP_SMDP_INSTALLED) | BIT(ORSP_SMDP_ERROR);
	f.limit = 1;
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_INSTALLED], 1);
	assert_int_equal(n[ORSP_SMDP_ERROR], 0);
	assert_int_equal(orsp_smdp_get(s, ic[1], &q), ORSP_OK);
	assert_int_equal(q.upp_len, 0);
	/* by ICCID: the Unavailable one */
	f.limit = 0;
	f.states = BIT(ORSP_SMDP_UNAVAILABLE);
	f.iccid = ic[3];
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_UNAVAILABLE], 1);
	f.iccid = NULL;
	/* every final state: the Error one is what is left */
	f.states = BIT(ORSP_SMDP_INSTALLED) | BIT(ORSP_SMDP_ERROR) | BIT(ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_ERROR], 1);
	assert_int_equal(n[ORSP_SMDP_INSTALLED] + n[ORSP_SMDP_UNAVAILABLE], 0);
	assert_purge_consistent(s);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action = 'purge'"
	                               " AND from_state = to_state AND detail LIKE"
	                               " 'package deleted (% bytes)'"),
	                 4);
	/* what /metrics gives: by state, and of them those holding their package */
	{
		size_t cnt[ORSP_SMDP_STATE__COUNT], held[ORSP_SMDP_STATE__COUNT];
		int64_t age[ORSP_SMDP_STATE__COUNT];
		assert_int_equal(orsp_smdp_state_ages(s, cnt, age, held), ORSP_OK);
		assert_int_equal(cnt[ORSP_SMDP_INSTALLED], 2);
		assert_int_equal(held[ORSP_SMDP_INSTALLED], 0);
		assert_int_equal(cnt[ORSP_SMDP_ERROR] + cnt[ORSP_SMDP_UNAVAILABLE], 2);
		assert_int_equal(held[ORSP_SMDP_ERROR] + held[ORSP_SMDP_UNAVAILABLE], 0);
		assert_int_equal(cnt[ORSP_SMDP_DOWNLOADED], 1);
		assert_int_equal(held[ORSP_SMDP_DOWNLOADED], 1);
		assert_int_equal(held[ORSP_SMDP_AVAILABLE], 1);
	}

	/* what is not final keeps its package, and the rest still works: the Downloaded
	 * profile's result, the Available one's order */
	assert_int_equal(orsp_smdp_get_upp(s, ic[4], &upp, &len), ORSP_OK);
	orsp_pkg_buf_free(upp, len);
	upp = NULL;
	assert_int_equal(orsp_smdp_get_upp(s, ic[5], &upp, &len), ORSP_OK);
	orsp_pkg_buf_free(upp, len);
	upp = NULL;
	assert_int_equal(orsp_smdp_mark_installed(s, ic[4]), ORSP_OK);
	{
		orsp_smdp_order o = {.iccid = ic[5]};
		assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	}
	/* a purged profile's ICCID and IMSI still refuse a second import of its package */
	{
		uint8_t *u = make_upp(TS48_V7, 80, "P", &len);
		assert_int_equal(orsp_smdp_import(s, u, len, NULL), ORSP_E_EXISTS);
		orsp_pkg_buf_free(u, len);
	}
	/* the listing reads purged rows */
	memset(&w, 0, sizeof(w));
	assert_int_equal(orsp_smdp_list(s, seen_one, &w, NULL), ORSP_OK);
	assert_int_equal(w.n, 6);
	/* a package-less row in a state that is not final is damage, not a purge */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(s),
	                              "UPDATE smdp_profile SET upp_len = 0 WHERE state IN"
	                              " ('allocated', 'linked', 'confirmed', 'released')"),
	                 ORSP_OK);
	assert_int_equal(orsp_smdp_get(s, ic[5], &q), ORSP_E_MALFORMED);
	orsp_smdp_close(s);
	remove_db(db_path);
}

/* Batches of 100, each committed whole: `between` before each, a failure at any statement
 * rolls its batch back and keeps those before. */
/* A batch whose commit took place but whose flush failed purged its profiles: counted (not
 * until session 65, when `smdp profile purge` said fewer than it had dropped). */
static void test_purge_counted_unflushed(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "P"};
	orsp_smdp_filter f = {.states = 1u << ORSP_SMDP_UNAVAILABLE};
	orsp_smdp_profile p;
	size_t n[ORSP_SMDP_STATE__COUNT] = {0};
	(void)state;
	import_n(s, 90, 1, "P");
	assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_cancel_order(s, p.iccid, NULL, NULL, false), ORSP_OK);
	orsp_db_inject_sync_failure(orsp_smdp_db(s));
	assert_int_equal(orsp_smdp_purge(s, &f, false, NULL, NULL, n), ORSP_E_STORAGE);
	assert_int_equal(n[ORSP_SMDP_UNAVAILABLE], 1);
	assert_int_equal(orsp_smdp_get(s, p.iccid, &p), ORSP_OK);
	assert_int_equal(p.upp_len, 0);
	orsp_smdp_close(s);
}

static void test_purge_batches(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_filter f = {.states = BIT(ORSP_SMDP_INSTALLED)};
	size_t n[ORSP_SMDP_STATE__COUNT], total = 0;
	int calls = 0, k;
	(void)state;

	import_n(s, 200, 230, "B");
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(s), "UPDATE smdp_profile SET state = 'installed'"), ORSP_OK);
	/* a stop before the first batch purges nothing (the CLI's signal during the open: it
	 * purged a batch before session 54) */
	assert_int_equal(orsp_smdp_purge(s, &f, false, purge_stop_at_once, &calls, n), ORSP_OK);
	assert_int_equal(calls, 1);
	assert_int_equal(n[ORSP_SMDP_INSTALLED], 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_upp"), 230);
	/* stopped after the first batch */
	calls = 0;
	assert_int_equal(orsp_smdp_purge(s, &f, false, purge_stop_after_one, &calls, n), ORSP_OK);
	assert_int_equal(calls, 2);
	assert_int_equal(n[ORSP_SMDP_INSTALLED], 100);
	/* exactly a batch left, and no batch after it: `between` only for the one with rows
	 * (it was asked before the empty one too, so a stop there read as an unfinished purge) */
	{
		orsp_smdp *s2 = open_new();
		import_n(s2, 600, 100, "C");
		assert_int_equal(
		    orsp_db_exec(orsp_smdp_db(s2), "UPDATE smdp_profile SET state = 'installed'"),
		    ORSP_OK);
		calls = 0;
		assert_int_equal(orsp_smdp_purge(s2, &f, false, purge_stop_after_one, &calls, n),
		                 ORSP_OK);
		assert_int_equal(calls, 1);
		assert_int_equal(n[ORSP_SMDP_INSTALLED], 100);
		assert_int_equal(count_rows(s2, "SELECT count(*) FROM smdp_upp"), 0);
		orsp_smdp_close(s2);
	}
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_upp"), 130);
	assert_purge_consistent(s);
	/* a failure injected at each statement in turn: the batch it hits is rolled back whole,
	 * the committed ones counted */
	for (k = 0;; k++) {
		orsp_err e;
		orsp_db_inject_failure(orsp_smdp_db(s), k);
		e = orsp_smdp_purge(s, &f, false, NULL, NULL, n);
		orsp_db_inject_failure(orsp_smdp_db(s), -1);
		total += n[ORSP_SMDP_INSTALLED];
		assert_int_equal(n[ORSP_SMDP_INSTALLED] % 100 == 0 || e == ORSP_OK, true);
		assert_purge_consistent(s);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_upp"),
		                 130 - (int64_t)total);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
	}
	assert_true(k > 0);
	assert_int_equal(total, 130);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_upp"), 0);
	orsp_smdp_close(s);
	remove_db(db_path);
}

/* A failure at any statement of downloadOrder or of an import that reads its profile back:
 * either the call succeeds, or it fails and nothing of it was kept. An order committed and
 * then reported failed (the read-back after the commit) would have the operator's retry by
 * profile type allocate a second profile and orphan the first. */
static void test_order_import_fail_whole(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_order o = {.profile_type = "F"};
	orsp_smdp_profile p;
	int k;
	(void)state;

	import_n(s, 300, 3, "F");
	for (k = 0;; k++) {
		orsp_err e;
		memset(&p, 0, sizeof(p));
		orsp_db_inject_failure(orsp_smdp_db(s), k);
		e = orsp_smdp_download_order(s, &o, &p);
		orsp_db_inject_failure(orsp_smdp_db(s), -1);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_equal(
		    count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state <> 'available'"),
		    0);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), 3);
	}
	assert_true(k > 0);
	assert_int_equal(p.state, ORSP_SMDP_ALLOCATED);
	assert_int_equal(
	    count_rows(s, "SELECT count(*) FROM smdp_profile WHERE state = 'allocated'"), 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), 4);

	for (k = 0;; k++) {
		size_t len = 0;
		uint8_t *u = make_upp(TS48_V7, 310, "F", &len);
		orsp_err e;
		memset(&p, 0, sizeof(p));
		orsp_db_inject_failure(orsp_smdp_db(s), k);
		e = orsp_smdp_import(s, u, len, &p);
		orsp_db_inject_failure(orsp_smdp_db(s), -1);
		orsp_pkg_buf_free(u, len);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile"), 3);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_upp"), 3);
	}
	assert_true(k > 0);
	assert_int_equal(p.state, ORSP_SMDP_AVAILABLE);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_profile"), 4);
	orsp_smdp_close(s);
	remove_db(db_path);
}

/* orsp_smdp_report_resend: the given-up reports (done 2) of one ICCID, then all, due again
 * with their attempts from 0, one audit row each time; delivered and pending ones untouched;
 * a failure at any statement changes nothing. */
static void test_report_resend(void **state)
{
	orsp_smdp *s = open_new();
	size_t n = 9;
	int k;
	(void)state;

	orsp_smdp_set_clock(s, 5000);
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(s),
	                 "INSERT INTO smdp_progress (at, iccid, profile_type, point_id, success,"
	                 " attempts, next_at, done) VALUES"
	                 " (1, '89000000000000000018', 't', 3, 1, 10, 900, 2),"
	                 " (2, '89000000000000000026', 't', 3, 0, 1, 900, 2),"
	                 " (3, '89000000000000000026', 't', 4, 1, 10, 900, 2),"
	                 " (4, '89000000000000000026', 't', 1, 1, 1, 900, 1),"
	                 " (5, '89000000000000000034', 't', 1, 1, 3, 6000, 0)"),
	    ORSP_OK);
	assert_int_equal(orsp_smdp_report_resend(s, "89x", &n), ORSP_E_USAGE);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_smdp_report_resend(s, "", &n), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_report_resend(NULL, NULL, &n), ORSP_E_USAGE);
	/* a failure at any statement: nothing queued, no audit row */
	for (k = 0;; k++) {
		orsp_err e;
		orsp_db_inject_failure(orsp_smdp_db(s), k);
		e = orsp_smdp_report_resend(s, "89000000000000000026", &n);
		orsp_db_inject_failure(orsp_smdp_db(s), -1);
		if (e == ORSP_OK)
			break;
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_equal(n, 0);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress WHERE done = 2"),
		                 3);
		assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), 0);
	}
	assert_true(k > 0);
	assert_int_equal(n, 2);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress WHERE done = 0 AND"
	                               " attempts = 0 AND next_at = 5000 AND iccid ="
	                               " '89000000000000000026'"),
	                 2);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action ="
	                               " 'reportsResent' AND iccid = '89000000000000000026' AND"
	                               " detail = '2 progress reports given up queued again'"),
	                 1);
	/* all the others: one; delivered and pending ones as they were */
	assert_int_equal(orsp_smdp_report_resend(s, NULL, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress WHERE done = 2"), 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress WHERE at = 4 AND"
	                               " done = 1 AND attempts = 1 AND next_at = 900"),
	                 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_progress WHERE at = 5 AND"
	                               " done = 0 AND attempts = 3 AND next_at = 6000"),
	                 1);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit WHERE action ="
	                               " 'reportsResent' AND iccid = '' AND"
	                               " detail = '1 progress report given up queued again'"),
	                 1);
	/* none left: no audit row */
	assert_int_equal(orsp_smdp_report_resend(s, NULL, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(count_rows(s, "SELECT count(*) FROM smdp_audit"), 2);
	orsp_smdp_close(s);
	remove_db(db_path);
}

static void test_list_where(void **state)
{
	orsp_smdp *s = open_new();
	orsp_smdp_profile p;
	orsp_smdp_filter f;
	char ic[6][21];
	size_t n[ORSP_SMDP_STATE__COUNT];
	seen w = {0};
	int stopped = 0;
	bool more = false;
	(void)state;

	/* six profiles imported at 1000 (import order 0..5), then:
	 * 0 downloaded for EID1 at 2000 (never installed), 1 downloaded for EID1 at 3000,
	 * 2 installed for EID2 at 3000, 3 allocated at 4000, 4 and 5 still available */
	orsp_smdp_set_clock(s, 1000);
	import_n(s, 60, 6, "L");
	w.stop_after = 0;
	assert_int_equal(orsp_smdp_list(s, seen_one, &w, NULL), ORSP_OK);
	assert_int_equal(w.n, 6);
	memcpy(ic, w.iccid, sizeof(ic));
	static const int64_t at[3] = {2000, 3000, 3000};
	static const char *const eid[3] = {EID1, EID1, EID2};
	for (int i = 0; i < 3; i++) {
		orsp_smdp_order o = {.iccid = ic[i], .eid = eid[i]};
		orsp_smdp_set_clock(s, at[i]);
		assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
		assert_int_equal(orsp_smdp_confirm_order(s, p.matching_id, NULL, true), ORSP_OK);
		assert_int_equal(orsp_smdp_download_attempt(s, ic[i]), ORSP_OK);
		assert_int_equal(orsp_smdp_mark_downloaded(s, ic[i]), ORSP_OK);
	}
	assert_int_equal(orsp_smdp_mark_installed(s, ic[2]), ORSP_OK);
	orsp_smdp_set_clock(s, 4000);
	{
		orsp_smdp_order o = {.iccid = ic[3]};
		assert_int_equal(orsp_smdp_download_order(s, &o, &p), ORSP_OK);
	}

	/* no filter, NULL or zeroed: every profile in import order */
	memset(&f, 0, sizeof(f));
	expect_list(s, NULL, ic, (const int[]){0, 1, 2, 3, 4, 5, -1}, false);
	expect_list(s, &f, ic, (const int[]){0, 1, 2, 3, 4, 5, -1}, false);
	/* by state; several states */
	f.states = BIT(ORSP_SMDP_DOWNLOADED);
	expect_list(s, &f, ic, (const int[]){0, 1, -1}, false);
	f.states = BIT(ORSP_SMDP_AVAILABLE) | BIT(ORSP_SMDP_ALLOCATED);
	expect_list(s, &f, ic, (const int[]){3, 4, 5, -1}, false);
	f.states = BIT(ORSP_SMDP_ERROR);
	expect_list(s, &f, ic, (const int[]){-1}, false);
	/* downloads stuck on a device: Downloaded, no installation result, last change before
	 * 2500 (strictly before: 2000 is not before 2000) */
	f.states = BIT(ORSP_SMDP_DOWNLOADED);
	f.changed_before = 2500;
	expect_list(s, &f, ic, (const int[]){0, -1}, false);
	f.changed_before = 2000;
	expect_list(s, &f, ic, (const int[]){-1}, false);
	f.changed_before = 3001;
	expect_list(s, &f, ic, (const int[]){0, 1, -1}, false);
	/* the time alone: the imports (1000) and the change at 2000 */
	f.states = 0;
	f.changed_before = 2001;
	expect_list(s, &f, ic, (const int[]){0, 4, 5, -1}, false);
	/* by EID, with a state */
	memset(&f, 0, sizeof(f));
	f.eid = EID1;
	expect_list(s, &f, ic, (const int[]){0, 1, -1}, false);
	f.eid = EID2;
	expect_list(s, &f, ic, (const int[]){2, -1}, false);
	f.states = BIT(ORSP_SMDP_DOWNLOADED);
	expect_list(s, &f, ic, (const int[]){-1}, false);
	f.eid = EID1;
	f.changed_before = 2500;
	expect_list(s, &f, ic, (const int[]){0, -1}, false);
	f.eid = "89049032123451234512345678909965"; /* valid, no profile */
	f.states = 0;
	f.changed_before = 0;
	expect_list(s, &f, ic, (const int[]){-1}, false);
	/* by ICCID, with a state */
	memset(&f, 0, sizeof(f));
	f.iccid = ic[2];
	expect_list(s, &f, ic, (const int[]){2, -1}, false);
	f.states = BIT(ORSP_SMDP_INSTALLED);
	expect_list(s, &f, ic, (const int[]){2, -1}, false);
	f.states = BIT(ORSP_SMDP_DOWNLOADED);
	expect_list(s, &f, ic, (const int[]){-1}, false);
	f.iccid = "89000000000000000000"; /* no such profile */
	f.states = 0;
	expect_list(s, &f, ic, (const int[]){-1}, false);
	f.iccid = ""; /* as NULL */
	f.eid = "";
	expect_list(s, &f, ic, (const int[]){0, 1, 2, 3, 4, 5, -1}, false);
	/* the limit: says whether it cut the list */
	memset(&f, 0, sizeof(f));
	f.limit = 2;
	expect_list(s, &f, ic, (const int[]){0, 1, -1}, true);
	f.limit = 6;
	expect_list(s, &f, ic, (const int[]){0, 1, 2, 3, 4, 5, -1}, false);
	f.limit = 5;
	expect_list(s, &f, ic, (const int[]){0, 1, 2, 3, 4, -1}, true);
	f.limit = SIZE_MAX;
	expect_list(s, &f, ic, (const int[]){0, 1, 2, 3, 4, 5, -1}, false);
	f.limit = 3; /* exactly as many as match: not cut */
	f.states = BIT(ORSP_SMDP_AVAILABLE) | BIT(ORSP_SMDP_ALLOCATED);
	expect_list(s, &f, ic, (const int[]){3, 4, 5, -1}, false);
	f.limit = 1;
	f.changed_before = 2001;
	expect_list(s, &f, ic, (const int[]){4, -1}, true);
	/* the callback stops the walk: no "more" claimed */
	memset(&f, 0, sizeof(f));
	memset(&w, 0, sizeof(w));
	w.stop_after = 2;
	f.limit = 4;
	assert_int_equal(orsp_smdp_list_where(s, &f, seen_one, &w, &stopped, &more), ORSP_OK);
	assert_int_equal(w.n, 2);
	assert_int_equal(stopped, 7);
	assert_false(more);

	/* counts per state, with the same filters */
	assert_int_equal(orsp_smdp_count_where(s, NULL, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_AVAILABLE], 2);
	assert_int_equal(n[ORSP_SMDP_ALLOCATED], 1);
	assert_int_equal(n[ORSP_SMDP_DOWNLOADED], 2);
	assert_int_equal(n[ORSP_SMDP_INSTALLED], 1);
	assert_int_equal(n[ORSP_SMDP_RELEASED], 0);
	memset(&f, 0, sizeof(f));
	f.changed_before = 2500;
	assert_int_equal(orsp_smdp_count_where(s, &f, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_AVAILABLE], 2);
	assert_int_equal(n[ORSP_SMDP_DOWNLOADED], 1);
	assert_int_equal(n[ORSP_SMDP_ALLOCATED] + n[ORSP_SMDP_INSTALLED], 0);
	f.eid = EID1;
	f.changed_before = 0;
	f.states = BIT(ORSP_SMDP_DOWNLOADED) | BIT(ORSP_SMDP_INSTALLED);
	assert_int_equal(orsp_smdp_count_where(s, &f, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_DOWNLOADED], 2);
	assert_int_equal(n[ORSP_SMDP_INSTALLED] + n[ORSP_SMDP_AVAILABLE], 0);
	f.eid = NULL;
	f.iccid = ic[2];
	assert_int_equal(orsp_smdp_count_where(s, &f, n), ORSP_OK);
	assert_int_equal(n[ORSP_SMDP_INSTALLED], 1);
	assert_int_equal(n[ORSP_SMDP_DOWNLOADED], 0);
	f.limit = 1; /* a count has no limit */
	assert_int_equal(orsp_smdp_count_where(s, &f, n), ORSP_E_USAGE);

	/* the oldest last state change per state, as /metrics gives it (the clock at 4000) */
	{
		int64_t age[ORSP_SMDP_STATE__COUNT];
		assert_int_equal(orsp_smdp_state_ages(s, n, age, NULL), ORSP_OK);
		assert_int_equal(n[ORSP_SMDP_DOWNLOADED], 2);
		assert_int_equal(age[ORSP_SMDP_DOWNLOADED], 2000); /* the one of 2000 */
		assert_int_equal(age[ORSP_SMDP_AVAILABLE], 3000);
		assert_int_equal(age[ORSP_SMDP_INSTALLED], 1000);
		assert_int_equal(age[ORSP_SMDP_ALLOCATED], 0);
		assert_int_equal(age[ORSP_SMDP_RELEASED], -1); /* none */
		orsp_smdp_set_clock(s, 1500);                  /* set back: never negative */
		assert_int_equal(orsp_smdp_state_ages(s, n, age, NULL), ORSP_OK);
		assert_int_equal(age[ORSP_SMDP_DOWNLOADED], 0);
		assert_int_equal(age[ORSP_SMDP_AVAILABLE], 500);
		orsp_smdp_set_clock(s, 4000);
		assert_int_equal(orsp_smdp_state_ages(s, n, NULL, NULL), ORSP_E_USAGE);
		assert_int_equal(orsp_smdp_state_ages(s, NULL, age, NULL), ORSP_E_USAGE);
		assert_int_equal(orsp_smdp_state_ages(NULL, n, age, NULL), ORSP_E_USAGE);
	}

	/* refused filters: nothing walked */
	static const orsp_smdp_filter bad[] = {
	    {.states = BIT(ORSP_SMDP_STATE__COUNT)},
	    {.states = 1u << 31},
	    {.iccid = "8949440000000000001a"},
	    {.iccid = "894944000000000000012"}, /* 21 digits */
	    {.iccid = "-1"},
	    {.eid = "89049032123451234512345678909966"}, /* check digits */
	    {.eid = "8904903212345123451234567890123"},  /* 31 digits */
	    {.eid = "' OR 1=1 --"},
	    {.changed_before = -1},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		memset(&w, 0, sizeof(w));
		assert_int_equal(orsp_smdp_list_where(s, &bad[i], seen_one, &w, NULL, NULL),
		                 ORSP_E_USAGE);
		assert_int_equal(w.n, 0);
		assert_int_equal(orsp_smdp_count_where(s, &bad[i], n), ORSP_E_USAGE);
	}
	assert_int_equal(orsp_smdp_list_where(NULL, NULL, seen_one, &w, NULL, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_list_where(s, NULL, NULL, &w, NULL, NULL), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_count_where(NULL, NULL, n), ORSP_E_USAGE);
	assert_int_equal(orsp_smdp_count_where(s, NULL, NULL), ORSP_E_USAGE);

	/* the plans: an ICCID or EID goes through its index, with other filters too; states and
	 * times alone read the table (no index follows the state: migration 4 dropped the one
	 * that did, a page write per state change) */
	memset(&f, 0, sizeof(f));
	f.iccid = ic[0];
	assert_true(plan_has(s, &f, false, "sqlite_autoindex_smdp_profile_1 (iccid=?)"));
	f.states = BIT(ORSP_SMDP_DOWNLOADED);
	f.changed_before = 5;
	f.limit = 3;
	assert_true(plan_has(s, &f, false, "sqlite_autoindex_smdp_profile_1 (iccid=?)"));
	assert_true(plan_has(s, &(orsp_smdp_filter){.iccid = ic[0]}, true,
	                     "sqlite_autoindex_smdp_profile_1 (iccid=?)"));
	memset(&f, 0, sizeof(f));
	f.eid = EID1;
	assert_true(plan_has(s, &f, false, "smdp_profile_eid (eid=?)"));
	f.states = BIT(ORSP_SMDP_DOWNLOADED) | BIT(ORSP_SMDP_RELEASED);
	f.changed_before = 5;
	assert_true(plan_has(s, &f, false, "smdp_profile_eid (eid=?)"));
	assert_true(plan_has(s, &f, true, "smdp_profile_eid (eid=?)"));
	memset(&f, 0, sizeof(f));
	f.states = BIT(ORSP_SMDP_DOWNLOADED);
	f.changed_before = 5;
	assert_true(plan_has(s, &f, false, "SCAN smdp_profile"));
	orsp_smdp_close(s);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_state_table),
	    cmocka_unit_test(test_activation_code),
	    cmocka_unit_test(test_import_ts48),
	    cmocka_unit_test(test_import_check),
	    cmocka_unit_test(test_ppr_parse),
	    cmocka_unit_test(test_import_ppr),
	    cmocka_unit_test(test_audit_detail_whole),
	    cmocka_unit_test(test_import_ppr_refused),
	    cmocka_unit_test(test_lifecycle),
	    cmocka_unit_test(test_type_known_indexed),
	    cmocka_unit_test(test_find_released),
	    cmocka_unit_test(test_find_order),
	    cmocka_unit_test(test_list_where),
	    cmocka_unit_test(test_purge),
	    cmocka_unit_test(test_purge_counted_unflushed),
	    cmocka_unit_test(test_purge_batches),
	    cmocka_unit_test(test_order_import_fail_whole),
	    cmocka_unit_test(test_report_resend),
	    cmocka_unit_test(test_cancel_and_reorder),
	    cmocka_unit_test(test_cancel_checks_eid),
	    cmocka_unit_test(test_cc_retry_limit),
	    cmocka_unit_test(test_cc_hash_damaged),
	    cmocka_unit_test(test_cc_as_seen),
	    cmocka_unit_test(test_progress_points),
	    cmocka_unit_test(test_download_limit),
	    cmocka_unit_test(test_deliver),
	    cmocka_unit_test(test_progress_switch),
	    cmocka_unit_test(test_expiry),
	    cmocka_unit_test(test_expiry_counted_unflushed),
	    cmocka_unit_test(test_find_released_skips_expired),
	    cmocka_unit_test(test_expiry_indexed),
	    cmocka_unit_test(test_expiry_delivered),
	    cmocka_unit_test(test_expiry_reopened_between),
	    cmocka_unit_test(test_expiry_batches),
	    cmocka_unit_test(test_concurrent_orders),
	    cmocka_unit_test(test_concurrent_replays),
	    cmocka_unit_test(test_call_prune),
	    cmocka_unit_test(test_created_once),
	    cmocka_unit_test(test_created_between_reads),
	    cmocka_unit_test(test_views),
	    cmocka_unit_test(test_upp_encrypted_at_rest),
	    cmocka_unit_test(test_own_database),
	    cmocka_unit_test(test_wrong_kek_untouched),
	    cmocka_unit_test(test_open_existing),
	    cmocka_unit_test(test_migration_upp_table),
	    cmocka_unit_test(test_migration_plain_rowids),
	    cmocka_unit_test(test_migration_ppr),
	    cmocka_unit_test(test_migration_class),
	    cmocka_unit_test(test_migration_due),
	    cmocka_unit_test(test_migration_state_check),
	    cmocka_unit_test(test_migration_progress_pending),
	    cmocka_unit_test(test_next_report_clock_set_back),
	    cmocka_unit_test(test_next_report_backlog),
	    cmocka_unit_test(test_migration_progress_queue),
	    cmocka_unit_test(test_migration_call),
	    cmocka_unit_test(test_migration_order_seq),
	    cmocka_unit_test(test_migration_call_answers),
	    cmocka_unit_test(test_migration_failed_codes),
	    cmocka_unit_test(test_failure_injection),
	    cmocka_unit_test(test_label_mac),
	};
	test_kek.len = ORSP_KEK_LEN;
	if (orsp_random(test_kek.v, test_kek.len))
		return 1;
	return cmocka_run_group_tests(tests, NULL, NULL);
}
