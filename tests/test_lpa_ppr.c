/* Profile Policy Rules in the LPA (src/lpa/ppr.c): the GetRAT answer parsed strictly, owners
 * matched against a rule's allowed operators (wildcard digits 'E', GIDs), a profile's PPRs
 * checked against the RAT, the rules as text. Every valid vector is also decoded by the
 * generated RSPDefinitions codec (asn1c) and re-encoded to the same bytes, so the vectors are
 * the DER of the ASN.1 module and not only what this parser takes. Also the ICCID of
 * authenticateClient's profileMetadata (lpa_metadata_of, download.c). */
#include "testutil.h"

#include <stdlib.h>
#include <string.h>

#include "orsp_asn1_rsp.h"

#include "../src/lpa/lpa_internal.h" /* lpa_metadata_of: authenticateClient's profileMetadata */
#include "openrsp/der.h"
#include "openrsp/lpa.h"

/* The software eUICC's RAT (docs/euicc.md): ppr1, ppr2 for every operator, consent */
#define RAT_ANY_CONSENT "BF4315A013301180020560A10730058003EEEEEE82020780"

static uint8_t *hex(const char *h, size_t *n)
{
	uint8_t *b = malloc(strlen(h) / 2 + 1);
	assert_non_null(b);
	assert_int_equal(orsp_hex_decode(h, b, strlen(h) / 2 + 1, n), ORSP_OK);
	return b;
}

static orsp_err parse_hex(const char *h, orsp_lpa_rat *rat)
{
	size_t n = 0;
	uint8_t *b = hex(h, &n);
	orsp_err e = orsp_lpa_rat_parse(orsp_slice_make(b, n), rat);
	free(b);
	return e;
}

/* asn1c decodes h as a GetRatResponse within its constraints and re-encodes the same DER. */
static void assert_asn1_der(const char *h)
{
	size_t n = 0;
	uint8_t *b = hex(h, &n), *again;
	GetRatResponse_t *v = NULL;
	asn_dec_rval_t r = ber_decode(NULL, &asn_DEF_GetRatResponse, (void **)&v, b, n);
	asn_enc_rval_t e;
	char err[128];
	size_t err_len = sizeof(err);

	assert_int_equal(r.code, RC_OK);
	assert_int_equal(r.consumed, n);
	assert_int_equal(asn_check_constraints(&asn_DEF_GetRatResponse, v, err, &err_len), 0);
	again = malloc(n);
	assert_non_null(again);
	e = der_encode_to_buffer(&asn_DEF_GetRatResponse, v, again, n);
	assert_int_equal(e.encoded, (ssize_t)n);
	assert_bytes_equal(again, b, n);
	ASN_STRUCT_FREE(asn_DEF_GetRatResponse, v);
	free(again);
	free(b);
}

static orsp_lpa_operator op_of(const char *mcc_mnc, const char *gid1, const char *gid2)
{
	orsp_lpa_operator o;
	size_t n = 0;
	memset(&o, 0, sizeof(o));
	assert_int_equal(orsp_hex_decode_exact(mcc_mnc, o.mcc_mnc, 3), ORSP_OK);
	if (gid1) {
		assert_int_equal(orsp_hex_decode(gid1, o.gid1, sizeof(o.gid1), &n), ORSP_OK);
		o.has_gid1 = true;
		o.gid1_len = (uint8_t)n;
	}
	if (gid2) {
		assert_int_equal(orsp_hex_decode(gid2, o.gid2, sizeof(o.gid2), &n), ORSP_OK);
		o.has_gid2 = true;
		o.gid2_len = (uint8_t)n;
	}
	return o;
}

static void test_parse(void **state)
{
	orsp_lpa_rat *rat = malloc(sizeof(*rat));
	const orsp_lpa_rat_rule *r;
	/* two rules: ppr1 with consent for MCC 20x (wildcards), then ppr2 for MCC 208 MNC 01
	 * with GID1 AB and GID2 CDEF, no consent */
	static const char two[] = "BF432EA02C301180020640A1073005800302EEEE82020780301780020520A10E"
	                          "300C800302F8108101AB8202CDEF820100";
	(void)state;
	assert_non_null(rat);

	assert_asn1_der(RAT_ANY_CONSENT);
	assert_int_equal(parse_hex(RAT_ANY_CONSENT, rat), ORSP_OK);
	assert_int_equal(rat->n_rules, 1);
	r = &rat->rules[0];
	assert_int_equal(r->ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	assert_true(r->consent_required);
	assert_int_equal(r->n_ops, 1);
	assert_memory_equal(r->ops[0].mcc_mnc, "\xEE\xEE\xEE", 3);
	assert_false(r->ops[0].has_gid1 || r->ops[0].has_gid2);

	assert_asn1_der(two);
	assert_int_equal(parse_hex(two, rat), ORSP_OK);
	assert_int_equal(rat->n_rules, 2);
	assert_int_equal(rat->rules[0].ppr, ORSP_LPA_PPR1);
	assert_true(rat->rules[0].consent_required);
	assert_memory_equal(rat->rules[0].ops[0].mcc_mnc, "\x02\xEE\xEE", 3);
	r = &rat->rules[1];
	assert_int_equal(r->ppr, ORSP_LPA_PPR2);
	assert_false(r->consent_required);
	assert_int_equal(r->n_ops, 1);
	assert_memory_equal(r->ops[0].mcc_mnc, "\x02\xF8\x10", 3);
	assert_true(r->ops[0].has_gid1 && r->ops[0].has_gid2);
	assert_int_equal(r->ops[0].gid1_len, 1);
	assert_int_equal(r->ops[0].gid1[0], 0xAB);
	assert_int_equal(r->ops[0].gid2_len, 2);
	assert_memory_equal(r->ops[0].gid2, "\xCD\xEF", 2);

	/* an empty RAT; a rule for no operator */
	assert_asn1_der("BF4302A000");
	assert_int_equal(parse_hex("BF4302A000", rat), ORSP_OK);
	assert_int_equal(rat->n_rules, 0);
	assert_asn1_der("BF430DA00B300980020560A100820100");
	assert_int_equal(parse_hex("BF430DA00B300980020560A100820100", rat), ORSP_OK);
	assert_int_equal(rat->n_rules, 1);
	assert_int_equal(rat->rules[0].n_ops, 0);
	/* trailing zero bits of a named-bit list (not minimal, the same meaning) are taken */
	assert_int_equal(parse_hex("BF4316A01430128003056000A10730058003EEEEEE82020780", rat),
	                 ORSP_OK);
	assert_int_equal(rat->rules[0].ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	/* bit 31, a PPR SGP.22 does not define, is kept (no rule allows it unless named) */
	assert_int_equal(parse_hex("BF4317A015301380050000000001A10730058003EEEEEE820100", rat),
	                 ORSP_OK);
	assert_int_equal(rat->rules[0].ppr, 0x80000000u);
	free(rat);
}

/* Each malformed answer: ORSP_E_MALFORMED naming what is wrong, nothing left in the table. */
static void test_parse_malformed(void **state)
{
	static const struct {
		const char *hex, *detail;
	} t[] = {
	    /* not a GetRatResponse: another tag, a trailing byte, no [0], an indefinite and a
	     * non-minimal length, [1] instead of [0], nothing */
	    {"BF4415A013301180020560A10730058003EEEEEE82020780",
	     "the answer is not a GetRatResponse"},
	    {RAT_ANY_CONSENT "00", "the answer is not a GetRatResponse"},
	    {"BF4313301180020560A10730058003EEEEEE82020780", "the answer is not a GetRatResponse"},
	    {"BF4380A0000000", "the answer is not a GetRatResponse"},
	    {"BF438102A000", "the answer is not a GetRatResponse"},
	    {"BF4302A100", "the answer is not a GetRatResponse"},
	    {"", "the answer is not a GetRatResponse"},
	    /* a rule that is not a SEQUENCE; fields missing, out of order, one too many */
	    {"BF4304A0023100", "rule 1 is not a ProfilePolicyAuthorisationRule"},
	    {"BF4304A0023000", "rule 1: pprIds"},
	    {"BF4311A00F300D80020560A10730058003EEEEEE", "rule 1: pprFlags"},
	    {"BF430DA00B3009A10080020560820100", "rule 1: pprIds"},
	    {"BF430BA009300780020560820100", "rule 1: allowedOperators"},
	    {"BF4310A00E300C80020560A100820100830100", "rule 1: a field after pprFlags"},
	    /* bit strings: padding bits not zero, no unused-bits octet, 8 unused bits, unused
	     * bits without a bit octet, a set bit beyond 31 */
	    {"BF4315A013301180020561A10730058003EEEEEE82020780", "rule 1: pprIds"},
	    {"BF4313A011300F8000A10730058003EEEEEE82020780", "rule 1: pprIds"},
	    {"BF4315A013301180020860A10730058003EEEEEE82020780", "rule 1: pprIds"},
	    {"BF4314A0123010800105A10730058003EEEEEE82020780", "rule 1: pprIds"},
	    {"BF4318A01630148006000000000080A10730058003EEEEEE820100", "rule 1: pprIds"},
	    {"BF4315A013301180020560A10730058003EEEEEE82020781", "rule 1: pprFlags"},
	    /* operators: not a SEQUENCE, a 2-byte and a 4-byte mccMnc, GIDs out of order or
	     * repeated, another field */
	    {"BF4315A013301180020560A10731058003EEEEEE82020780",
	     "rule 1: allowedOperators: not an OperatorID"},
	    {"BF4314A012301080020560A1063004800202F882020780",
	     "rule 1: OperatorID without a 3-byte mccMnc"},
	    {"BF4316A014301280020560A1083006800402F8100082020780",
	     "rule 1: OperatorID without a 3-byte mccMnc"},
	    {"BF431BA019301780020560A10D300B800302F8108201CD8101AB82020780",
	     "rule 1: OperatorID: unexpected field 81"},
	    {"BF431BA019301780020560A10D300B800302F8108101AB8101AB82020780",
	     "rule 1: OperatorID: unexpected field 81"},
	    {"BF4318A016301480020560A10A3008800302F8108301AB82020780",
	     "rule 1: OperatorID: unexpected field 83"},
	    /* the second rule is the bad one */
	    {"BF4327A025301180020560A10730058003EEEEEE82020780301080020560A1063004800262E282020780",
	     "rule 2: OperatorID without a 3-byte mccMnc"},
	};
	orsp_lpa_rat *rat = malloc(sizeof(*rat));
	char want[200];
	(void)state;
	assert_non_null(rat);

	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		memset(rat, 0x5A, sizeof(*rat));
		if (parse_hex(t[i].hex, rat) != ORSP_E_MALFORMED)
			fail_msg("vector %zu: %s", i, orsp_err_detail());
		snprintf(want, sizeof(want), "card: GetRAT: %s", t[i].detail);
		if (strcmp(orsp_err_detail(), want))
			fail_msg("vector %zu: \"%s\", expected \"%s\"", i, orsp_err_detail(), want);
		assert_int_equal(rat->n_rules, 0);
	}
	free(rat);
}

/* A RAT of n_rules rules of n_ops operators (each MCC 208 MNC 01 with a GID1 of gid bytes)
 * into buf. */
static size_t build_rat(uint8_t *buf, size_t cap, size_t n_rules, size_t n_ops, size_t gid)
{
	orsp_writer w;
	orsp_der_mark top, rat, rule, ops, op;
	uint8_t g[64];

	memset(g, 0xAB, sizeof(g));
	orsp_writer_init(&w, buf, cap);
	top = orsp_der_begin(&w, 0xBF43);
	rat = orsp_der_begin(&w, 0xA0);
	for (size_t i = 0; i < n_rules; i++) {
		rule = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, "\x05\x60", 2);
		ops = orsp_der_begin(&w, 0xA1);
		for (size_t k = 0; k < n_ops; k++) {
			op = orsp_der_begin(&w, 0x30);
			orsp_der_put_tlv(&w, 0x80, "\x02\xF8\x10", 3);
			orsp_der_put_tlv(&w, 0x81, g, gid);
			orsp_der_end(&w, op);
		}
		orsp_der_end(&w, ops);
		orsp_der_put_tlv(&w, 0x82, "\x07\x80", 2);
		orsp_der_end(&w, rule);
	}
	orsp_der_end(&w, rat);
	orsp_der_end(&w, top);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return w.len;
}

/* The limits: 16 rules, 16 operators a rule, 32-byte GIDs taken; one more is
 * ORSP_E_RESOURCE naming the limit, not a shorter table. */
static void test_parse_limits(void **state)
{
	static const struct {
		size_t rules, ops, gid;
		orsp_err e;
		const char *detail;
	} t[] = {
	    {ORSP_LPA_RAT_MAX_RULES, ORSP_LPA_RAT_MAX_OPERATORS, ORSP_LPA_GID_MAX, ORSP_OK, ""},
	    {ORSP_LPA_RAT_MAX_RULES + 1, 1, 1, ORSP_E_RESOURCE,
	     "card: GetRAT: more than 16 rules (the LPA takes 16)"},
	    {1, ORSP_LPA_RAT_MAX_OPERATORS + 1, 1, ORSP_E_RESOURCE,
	     "card: GetRAT: rule 1: more than 16 allowedOperators (the LPA takes 16)"},
	    {2, 1, ORSP_LPA_GID_MAX + 1, ORSP_E_RESOURCE,
	     "card: GetRAT: rule 1: OperatorID: a GID of 33 bytes (the LPA takes 32)"},
	};
	size_t cap = 32 * 1024, n;
	uint8_t *buf = malloc(cap);
	orsp_lpa_rat *rat = malloc(sizeof(*rat));
	(void)state;
	assert_non_null(buf);
	assert_non_null(rat);

	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		n = build_rat(buf, cap, t[i].rules, t[i].ops, t[i].gid);
		orsp_err_clear();
		assert_int_equal(orsp_lpa_rat_parse(orsp_slice_make(buf, n), rat), t[i].e);
		assert_string_equal(orsp_err_detail(), t[i].detail);
		if (!t[i].e) {
			assert_int_equal(rat->n_rules, t[i].rules);
			assert_int_equal(rat->rules[t[i].rules - 1].n_ops, t[i].ops);
			assert_int_equal(rat->rules[0].ops[0].gid1_len, t[i].gid);
		} else {
			assert_int_equal(rat->n_rules, 0);
		}
	}
	free(rat);
	free(buf);
}

/* Operator matching (SGP.22 §2.9.2): each digit of the rule's MCC/MNC, 'E' any; a GID the
 * rule names must be the owner's, byte for byte; an absent owner only by a rule for all. */
static void test_operator_matches(void **state)
{
	static const struct {
		const char *rule, *rg1, *rg2;
		const char *owner, *og1, *og2; /* owner NULL: the profile names none */
		bool match;
	} t[] = {
	    {"EEEEEE", NULL, NULL, "02F810", NULL, NULL, true},
	    {"EEEEEE", NULL, NULL, "02F810", "AB", "CD", true},
	    {"EEEEEE", NULL, NULL, NULL, NULL, NULL, true},
	    {"02F810", NULL, NULL, "02F810", NULL, NULL, true},
	    {"02F810", NULL, NULL, "02F820", NULL, NULL, false}, /* MNC 02 */
	    {"02F810", NULL, NULL, "020810", NULL, NULL, false}, /* 3-digit MNC 010 */
	    {"02F8EE", NULL, NULL, "02F899", NULL, NULL, true},  /* any 2-digit MNC */
	    {"02EEEE", NULL, NULL, "02F810", NULL, NULL, true},  /* MCC 20x */
	    {"02EEEE", NULL, NULL, "12F810", NULL, NULL, false}, /* MCC 21x */
	    {"E2F8EE", NULL, NULL, "92F810", NULL, NULL, true},  /* MCC 2x8 */
	    {"E2F8EE", NULL, NULL, "93F810", NULL, NULL, false}, /* MCC 398 */
	    {"02F810", NULL, NULL, NULL, NULL, NULL, false},
	    {"EEEEEE", "AB", NULL, NULL, NULL, NULL, false},
	    {"02F810", "AB", NULL, "02F810", "AB", NULL, true},
	    {"02F810", "AB", NULL, "02F810", "AB", "CD", true},
	    {"02F810", "AB", NULL, "02F810", NULL, NULL, false},
	    {"02F810", "AB", NULL, "02F810", "AC", NULL, false},
	    {"02F810", "AB", NULL, "02F810", "AB00", NULL, false},
	    {"02F810", "", NULL, "02F810", "", NULL, true}, /* an empty GID is a value */
	    {"02F810", "", NULL, "02F810", NULL, NULL, false},
	    {"02F810", NULL, "CD", "02F810", "AB", "CD", true},
	    {"02F810", NULL, "CD", "02F810", "CD", NULL, false}, /* GID1 is not GID2 */
	    {"02F810", "AB", "CD", "02F810", "AB", "CE", false},
	};
	(void)state;

	for (size_t i = 0; i < ORSP_ARRAY_LEN(t); i++) {
		orsp_lpa_operator rule = op_of(t[i].rule, t[i].rg1, t[i].rg2), owner;
		if (t[i].owner)
			owner = op_of(t[i].owner, t[i].og1, t[i].og2);
		if (orsp_lpa_operator_matches(&rule, t[i].owner ? &owner : NULL) != t[i].match)
			fail_msg("case %zu: expected %s", i, t[i].match ? "a match" : "no match");
	}
	assert_false(orsp_lpa_operator_matches(NULL, NULL));
}

/* A profile's PPRs against a RAT: for each, the first rule that lists it and admits the
 * owner decides; pprUpdateControl is no rule; a PPR no rule admits is not allowed. */
static void test_check(void **state)
{
	orsp_lpa_rat rat;
	orsp_lpa_operator owner = op_of("02F810", NULL, NULL), other = op_of("62F220", NULL, NULL);
	uint32_t na = 99, co = 99;
	(void)state;

	memset(&rat, 0, sizeof(rat));
	/* 1: ppr1 for MCC 208 MNC 01 without consent; 2: ppr1, ppr2 for all, consent */
	rat.rules[0].ppr = ORSP_LPA_PPR1;
	rat.rules[0].ops[0] = owner;
	rat.rules[0].n_ops = 1;
	rat.rules[1].ppr = ORSP_LPA_PPR1 | ORSP_LPA_PPR2;
	rat.rules[1].ops[0] = op_of("EEEEEE", NULL, NULL);
	rat.rules[1].n_ops = 1;
	rat.rules[1].consent_required = true;
	rat.n_rules = 2;

	orsp_lpa_rat_check(&rat, ORSP_LPA_PPR1 | ORSP_LPA_PPR2, &owner, &na, &co);
	assert_int_equal(na, 0);
	assert_int_equal(co, ORSP_LPA_PPR2); /* PPR1 decided by rule 1 */
	orsp_lpa_rat_check(&rat, ORSP_LPA_PPR1 | ORSP_LPA_PPR2, &other, &na, &co);
	assert_int_equal(na, 0);
	assert_int_equal(co, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	orsp_lpa_rat_check(&rat, ORSP_LPA_PPR1, NULL, &na, &co);
	assert_int_equal(na, 0);
	assert_int_equal(co, ORSP_LPA_PPR1);
	/* pprUpdateControl needs nothing; PPR3 and an unknown bit no rule lists */
	orsp_lpa_rat_check(&rat, ORSP_LPA_PPR_UPDATE_CONTROL, &owner, &na, &co);
	assert_int_equal(na, 0);
	assert_int_equal(co, 0);
	orsp_lpa_rat_check(&rat, ORSP_LPA_PPR3 | 0x80000000u | ORSP_LPA_PPR1, &owner, &na, &co);
	assert_int_equal(na, ORSP_LPA_PPR3 | 0x80000000u);
	assert_int_equal(co, 0);
	/* the rule for all is gone: only MCC 208 MNC 01 may set PPR1 */
	rat.n_rules = 1;
	orsp_lpa_rat_check(&rat, ORSP_LPA_PPR1, &other, &na, &co);
	assert_int_equal(na, ORSP_LPA_PPR1);
	orsp_lpa_rat_check(&rat, ORSP_LPA_PPR1, NULL, &na, &co);
	assert_int_equal(na, ORSP_LPA_PPR1);
	/* an empty RAT or none allows no PPR */
	rat.n_rules = 0;
	orsp_lpa_rat_check(&rat, ORSP_LPA_PPR2, &owner, &na, &co);
	assert_int_equal(na, ORSP_LPA_PPR2);
	orsp_lpa_rat_check(NULL, ORSP_LPA_PPR1 | ORSP_LPA_PPR_UPDATE_CONTROL, &owner, &na, &co);
	assert_int_equal(na, ORSP_LPA_PPR1);
	assert_int_equal(co, 0);
	orsp_lpa_rat_check(NULL, 0, &owner, NULL, NULL); /* outputs optional */
}

static void test_ppr_str(void **state)
{
	char s[160], small[12];
	(void)state;

	orsp_lpa_ppr_str(0, s, sizeof(s));
	assert_string_equal(s, "none");
	orsp_lpa_ppr_str(ORSP_LPA_PPR1 | ORSP_LPA_PPR2, s, sizeof(s));
	assert_string_equal(s, "PPR1 (no disabling), PPR2 (no deletion)");
	orsp_lpa_ppr_str(ORSP_LPA_PPR_UPDATE_CONTROL | ORSP_LPA_PPR3 | 1u << 9, s, sizeof(s));
	assert_string_equal(s, "pprUpdateControl, PPR3 (deleted once disabled), PPR9 (unknown)");
	/* cut, still terminated */
	memset(small, 'x', sizeof(small));
	orsp_lpa_ppr_str(0xFFFFFFFFu, small, sizeof(small));
	assert_int_equal(strlen(small), sizeof(small) - 1);
	orsp_lpa_ppr_str(ORSP_LPA_PPR1, NULL, 0); /* no room: nothing written */
}

/* authenticateClient's profileMetadata (lpa_metadata_of): its ICCID is 19 or 20 digits; one of
 * 'F' nibbles from the start (none) or cut short was shown and reported installed */
static void test_metadata_iccid(void **state)
{
	(void)state;
	static const char *const bad[] = {
	    "BF250C5A0AFFFFFFFFFFFFFFFFFFFF", /* no digit */
	    "BF250C5A0A980010FFFFFFFFFFFFFF", /* 890001 */
	    "BF250C5A0A980010325476981032FF", /* 18 digits */
	    "BF250C5A0A98001032547698103F14", /* a digit after the filler */
	    "BF25005A0A9800103254769810321F", /* not one TLV */
	};
	orsp_lpa_profile p;
	orsp_lpa_operator owner;
	bool has_owner;
	uint8_t *b;
	size_t n = 0;

	b = hex("BF25105A0A9800103254769810321491009200", &n); /* names empty */
	assert_int_equal(lpa_metadata_of(b, n, &p, &owner, &has_owner), ORSP_OK);
	assert_string_equal(p.iccid, "89000123456789012341");
	free(b);
	b = hex("BF25105A0A980010325476981032F491009200", &n);
	assert_int_equal(lpa_metadata_of(b, n, &p, &owner, &has_owner), ORSP_OK);
	assert_string_equal(p.iccid, "8900012345678901234");
	free(b);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		b = hex(bad[i], &n);
		assert_int_equal(lpa_metadata_of(b, n, &p, &owner, &has_owner), ORSP_E_MALFORMED);
		orsp_err_clear();
		free(b);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_parse),          cmocka_unit_test(test_parse_malformed),
	    cmocka_unit_test(test_parse_limits),   cmocka_unit_test(test_operator_matches),
	    cmocka_unit_test(test_check),          cmocka_unit_test(test_ppr_str),
	    cmocka_unit_test(test_metadata_iccid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
