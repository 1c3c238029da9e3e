/* Activation codes (SGP.22 §4.1) and hashCc (§3.1.3). Positive rows are activation codes
 * as printed by SM-DP+ operators and in SGP.22 / lpac documentation; negatives cover every
 * check of the parser. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <string.h>

#include <cmocka.h>

#include "openrsp/lpa.h"
#include "testutil.h"

typedef struct ac_row {
	const char *in;
	const char *fqdn, *mid, *oid;
	bool cc;
} ac_row;

static const ac_row good[] = {
    /* SGP.22 §4.1 examples */
    {"1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815", "SMDP.GSMA.COM", "04386-AGYFT-A74Y8-3F815", "",
     false},
    {"1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$$1", "SMDP.GSMA.COM", "04386-AGYFT-A74Y8-3F815", "",
     true},
    {"1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746$1", "SMDP.GSMA.COM",
     "04386-AGYFT-A74Y8-3F815", "1.3.6.1.4.1.31746", true},
    {"1$SMDP.GSMA.COM$04386-AGYFT-A74Y8-3F815$1.3.6.1.4.1.31746", "SMDP.GSMA.COM",
     "04386-AGYFT-A74Y8-3F815", "1.3.6.1.4.1.31746", false},
    /* with the QR-code scheme */
    {"LPA:1$rsp.truphone.com$QRF-SPEEDTEST", "rsp.truphone.com", "QRF-SPEEDTEST", "", false},
    /* a URI scheme in any case (RFC 3986 §3.1) */
    {"lpa:1$smdp.example.com$ABC", "smdp.example.com", "ABC", "", false},
    {"Lpa:1$smdp.example.com$ABC", "smdp.example.com", "ABC", "", false},
    /* SGP.26 test SM-DP+ */
    {"LPA:1$testsmdpplus1.example.com$TS48V2-SAIP2-1-BERTLV-UNIQUE", "testsmdpplus1.example.com",
     "TS48V2-SAIP2-1-BERTLV-UNIQUE", "", false},
    /* empty matching ID (default SM-DP+ style), empty flag */
    {"1$smdp.example.org$", "smdp.example.org", "", "", false},
    {"1$smdp.example.org$ABC$$", "smdp.example.org", "ABC", "", false},
    {"1$a-b.c0$x", "a-b.c0", "x", "", false},
    /* OIDs: a second arc up to 39 under 0 and 1, any under 2 (the SGP.26 SM-DP+'s), an arc
     * of more than 10 digits (a UUID under 2.25, X.667) as the SM-DP+ configuration takes
     * it */
    {"1$smdp.example.com$ABC$1.39.1", "smdp.example.com", "ABC", "1.39.1", false},
    {"1$smdp.example.com$ABC$0.0", "smdp.example.com", "ABC", "0.0", false},
    {"1$smdp.example.com$ABC$2.999.10", "smdp.example.com", "ABC", "2.999.10", false},
    {"1$smdp.example.com$ABC$2.25.329800735698586629295641978511506172918$1", "smdp.example.com",
     "ABC", "2.25.329800735698586629295641978511506172918", true},
};

static const char *const bad[] = {
    "",
    "LPA:",
    "1",
    "1$smdp.example.org",      /* no matching ID field */
    "2$smdp.example.org$ABC",  /* AC_Format 2 */
    "01$smdp.example.org$ABC", /* AC_Format not exactly "1" */
    "LPA:LPA:1$smdp.example.org$ABC",
    "lpa:lpa:1$smdp.example.org$ABC",
    "LPA1$smdp.example.org$ABC", /* no colon */
    "1$$ABC",                    /* empty FQDN */
    "1$localhost$ABC",           /* one label */
    "1$1.2.3.4$ABC",             /* an IPv4 address: the last label all digits */
    "1$192.0.2.1$ABC",
    "1$smdp.example.123$ABC",
    "1$smdp..example.org$ABC", /* empty label */
    "1$.smdp.example.org$ABC",
    "1$smdp.example.org.$ABC",
    "1$-smdp.example.org$ABC",     /* label starts with a hyphen */
    "1$smdp-.example.org$ABC",     /* label ends with a hyphen */
    "1$smdp_x.example.org$ABC",    /* underscore */
    "1$smdp.example.org:8443$ABC", /* port */
    "1$https://smdp.example.org$ABC",
    "1$0123456789012345678901234567890123456789012345678901234567890123.org$A", /* 64 */
    "1$smdp.example.org$AB C",                                                  /* space */
    "1$smdp.example.org$AB_C", /* matching ID charset */
    "1$smdp.example.org$AB.C",
    "1$smdp.example.org$AB\xC3\xA9",
    /* a matching ID of 65 characters */
    "1$smdp.example.org$12345678901234567890123456789012345678901234567890123456789012345",
    "1$smdp.example.org$ABC$1.3.6.$1", /* OID with an empty arc */
    "1$smdp.example.org$ABC$1$1",      /* OID of one arc */
    "1$smdp.example.org$ABC$3.1$1",    /* first arc above 2 */
    "1$smdp.example.org$ABC$1.03.6$1", /* leading zero */
    "1$smdp.example.org$ABC$1.x.6$1",
    /* X.660 §A.2: under the first arcs 0 and 1 the second is at most 39 (X.690 §8.19.4
     * codes both in one subidentifier, 40 * first + second: 1.40 would be 2.0) */
    "1$smdp.example.org$ABC$1.40$1",
    "1$smdp.example.org$ABC$0.40.1",
    "1$smdp.example.org$ABC$1.100.3",
    /* 64 characters: longer than the LPA keeps */
    "1$smdp.example.org$ABC$2.999.1234567890.1234567890.1234567890.1234567890.1234567890.123",
    "1$smdp.example.org$ABC$$0", /* CC flag 0 */
    "1$smdp.example.org$ABC$$11",
    "1$smdp.example.org$ABC$$true",
    /* after the flag, later versions' fields: the flag itself is still checked, and each
     * is printable ASCII */
    "1$smdp.example.org$ABC$$0$x",
    "1$smdp.example.org$ABC$1.3.6$true$",
    "1$smdp.example.org$ABC$$1$a b",
    "1$smdp.example.org$ABC$$1$x$\x7f",
    "1$smdp.example.org$ABC$$1$x$\xc3\xa9",
    "1$smdp.example.org$ABC\n",
};

/* The code of row i, parsed; fails the test if it is refused. */
static orsp_lpa_ac parse_ok(size_t i, const char *in)
{
	orsp_lpa_ac ac;

	if (orsp_lpa_ac_parse(in, &ac))
		fail_msg("row %zu: %s: %s", i, in, orsp_err_detail());
	return ac;
}

static void test_ac_good(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		orsp_lpa_ac ac = parse_ok(i, good[i].in);
		assert_string_equal(ac.fqdn, good[i].fqdn);
		assert_string_equal(ac.matching_id, good[i].mid);
		assert_string_equal(ac.oid, good[i].oid);
		assert_int_equal(ac.cc_required, good[i].cc);
		assert_int_equal(ac.ignored_fields, 0);
	}
}

/* SGP.22 v3 adds fields after the Confirmation Code Required Flag (the CI Public Key
 * indicator, the Delete Notification for Device Change; sysmocom's SGP.32 IPA reads both):
 * an LPA of v2.2 takes such a code and ignores them, up to 16 fields in all. They were
 * refused ("more than 5 fields"). */
static void test_ac_later_fields(void **state)
{
	static const struct {
		const char *in;
		bool cc;
		unsigned ignored;
	} v[] = {
	    {"LPA:1$smdp.example.com$ABC$1.3.6.1.4.1.31746$1$"
	     "F54172BDF98A95D65CBEB88A38A1C11D800A85C3",
	     true, 1},
	    {"1$smdp.example.com$ABC$$$", false, 1},
	    {"1$smdp.example.com$ABC$$1$$", true, 2},
	    {"1$smdp.example.com$ABC$$$81370F5125D0B1D408D4C3B232E6D25E795BEBFB$1", false, 2},
	    {"1$smdp.example.com$ABC$$1$a$b$c$d$e$f$g$h$i$j$k", true, 11},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		orsp_lpa_ac ac = parse_ok(i, v[i].in);
		assert_string_equal(ac.fqdn, "smdp.example.com");
		assert_string_equal(ac.matching_id, "ABC");
		assert_int_equal(ac.cc_required, v[i].cc);
		assert_int_equal(ac.ignored_fields, v[i].ignored);
	}
}

static void test_ac_bad(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		orsp_lpa_ac ac;
		orsp_err e = orsp_lpa_ac_parse(bad[i], &ac);
		if (e != ORSP_E_MALFORMED)
			fail_msg("row %zu accepted or wrong error: \"%s\" -> %d", i, bad[i],
			         (int)e);
		assert_non_null(strstr(orsp_err_detail(), "activation code"));
	}
	/* sixteen '$' (seventeen fields, empty ones too, one with a space after the
	 * sixteenth '$'): refused while splitting, before any field is read */
	static const struct {
		const char *in, *detail;
	} fields[] = {
	    {"1$smdp.example.org$ABC$1.3.6$1$a$b$c$d$e$f$g$h$i$j$k$l",
	     "activation code: more than 16 '$'-separated fields"},
	    {"LPA:$$$$$$$$$$$$$$$$", "activation code: more than 16 '$'-separated fields"},
	    {"1$smdp.example.org$ABC$1.3.6$1$a$b$c$d$e$f$g$h$i$j$k$a b",
	     "activation code: more than 16 '$'-separated fields"},
	    {"1$smdp.example.org$ABC$1.3.6$1$x$a b",
	     "activation code: field 7 has a space or a non-ASCII character"},
	    {"1$smdp.example.org$ABC$1.3.6$0$x",
	     "activation code: the confirmation code flag must be 1 or empty"},
	};
	for (size_t i = 0; i < sizeof(fields) / sizeof(fields[0]); i++) {
		orsp_lpa_ac ac;
		assert_int_equal(orsp_lpa_ac_parse(fields[i].in, &ac), ORSP_E_MALFORMED);
		assert_string_equal(orsp_err_detail(), fields[i].detail);
	}
}

static void test_ac_long(void **state)
{
	char buf[1100];
	orsp_lpa_ac ac;
	(void)state;
	memset(buf, 'A', sizeof(buf) - 1);
	buf[sizeof(buf) - 1] = '\0';
	memcpy(buf, "1$a.b$", 6);
	assert_int_equal(orsp_lpa_ac_parse(buf, &ac), ORSP_E_MALFORMED);
	assert_int_equal(orsp_lpa_ac_parse(NULL, &ac), ORSP_E_USAGE);
	/* 253 characters of FQDN is the maximum */
	memset(buf, 0, sizeof(buf));
	strcpy(buf, "1$");
	for (int i = 0; i < 4; i++) {
		size_t l = strlen(buf), k = i < 3 ? 63 : 61; /* 63+63+63+61 + 3 dots = 253 */
		if (i)
			buf[l++] = '.';
		memset(buf + l, 'a', k);
	}
	strcat(buf, "$X");
	assert_int_equal(strlen(buf) - 4, 253);
	assert_int_equal(orsp_lpa_ac_parse(buf, &ac), ORSP_OK);
	buf[2] = 'a';
	memmove(buf + 3, buf + 2, strlen(buf + 2) + 1); /* 254 */
	assert_int_equal(orsp_lpa_ac_parse(buf, &ac), ORSP_E_MALFORMED);
}

/* hashCc = SHA-256(SHA-256(CC) | TransactionID). Expected values computed outside this code
 * base with `openssl dgst -sha256` (and Python hashlib); the first transaction ID is the one
 * of the real Thales initiateAuthentication in tests/vectors/sgp22/es9p. */
static void test_hash_cc(void **state)
{
	static const struct {
		const char *cc, *tid, *want;
	} v[] = {
	    {"12345678", "E4F6996D64A543FC8A7F6F8F97F9428D",
	     "f05dbc18961d2c36099644eaeb428bfcd05c64337486afc9aeac48c54eb4be5d"},
	    {"0000", "00112233445566778899AABBCCDDEEFF",
	     "77ce016117b885c6c1142122c40babb171f42b606bb874d45e5abd058553731d"},
	};
	(void)state;
	for (size_t i = 0; i < 2; i++) {
		uint8_t tid[16], want[32], got[32];
		assert_int_equal(orsp_hex_decode_exact(v[i].tid, tid, 16), ORSP_OK);
		assert_int_equal(orsp_hex_decode_exact(v[i].want, want, 32), ORSP_OK);
		assert_int_equal(orsp_lpa_hash_cc(v[i].cc, tid, 16, got), ORSP_OK);
		assert_bytes_equal(got, want, 32);
	}
	{
		uint8_t tid[17] = {0}, out[32];
		assert_int_equal(orsp_lpa_hash_cc("1", tid, 0, out), ORSP_E_USAGE);
		assert_int_equal(orsp_lpa_hash_cc("1", tid, 17, out), ORSP_E_USAGE);
		assert_int_equal(orsp_lpa_hash_cc(NULL, tid, 16, out), ORSP_E_USAGE);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_ac_good), cmocka_unit_test(test_ac_later_fields),
	    cmocka_unit_test(test_ac_bad),  cmocka_unit_test(test_ac_long),
	    cmocka_unit_test(test_hash_cc),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
