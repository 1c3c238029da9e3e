/* openrsp lpa: Profile Policy Rules (SGP.22 §2.9) — the eUICC's Rules Authorisation Table
 * (ES10b GetRAT) parsed strictly, and a profile's PPRs checked against it for the profile's
 * owner, as the LPA does before it installs a profile with PPRs (§3.1.3). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "lpa_internal.h"
#include "openrsp/der.h"
#include "openrsp/lpa.h"

/* The largest GetRAT answer the limits allow: 16 rules of 16 operators with two 32-byte GIDs
 * each is about 20 KiB. */
#define RAT_ANSWER_MAX (24 * 1024)

orsp_err lpa_ppr_bits(orsp_slice v, uint32_t *out)
{
	uint64_t first = 0;
	size_t nbits = 0;

	*out = 0;
	if (orsp_der_bits(v, &first, &nbits)) {
		orsp_err_clear();
		return ORSP_E_MALFORMED;
	}
	/* orsp_der_bits refuses a set padding bit (X.690 §11.2.1). Trailing zero bits of a
	 * named-bit list (§11.2.2) are taken: they change nothing. */
	/* contents octets 1..4 hold bits 0..31; a set bit beyond is no rule the LPA knows */
	for (size_t i = 5; i < v.len; i++)
		if (v.p[i])
			return ORSP_E_MALFORMED;
	*out = (uint32_t)first;
	return ORSP_OK;
}

orsp_err lpa_operator_parse(orsp_slice v, orsp_lpa_operator *op)
{
	orsp_reader r;
	orsp_tlv f;

	memset(op, 0, sizeof(*op));
	orsp_reader_init(&r, v.p, v.len);
	/* OperatorID ::= SEQUENCE { mccMnc [0] (3 bytes), gid1 [1] OPTIONAL, gid2 [2] OPTIONAL } */
	if (orsp_der_read(&r, &f) || f.tag != 0x80 || f.value.len != 3) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, "OperatorID without a 3-byte mccMnc");
	}
	memcpy(op->mcc_mnc, f.value.p, 3);
	while (orsp_reader_remaining(&r)) {
		bool g1;
		if (orsp_der_read(&r, &f)) {
			orsp_err_clear();
			return orsp_errf(ORSP_E_MALFORMED, "OperatorID");
		}
		g1 = f.tag == 0x81 && !op->has_gid1 && !op->has_gid2;
		if (!g1 && (f.tag != 0x82 || op->has_gid2))
			return orsp_errf(ORSP_E_MALFORMED, "OperatorID: unexpected field %X",
			                 (unsigned)f.tag);
		if (f.value.len > ORSP_LPA_GID_MAX)
			return orsp_errf(ORSP_E_RESOURCE,
			                 "OperatorID: a GID of %zu bytes (the LPA takes %d)",
			                 f.value.len, ORSP_LPA_GID_MAX);
		if (g1) {
			op->has_gid1 = true;
			op->gid1_len = (uint8_t)f.value.len;
			memcpy(op->gid1, f.value.p, f.value.len);
		} else {
			op->has_gid2 = true;
			op->gid2_len = (uint8_t)f.value.len;
			memcpy(op->gid2, f.value.p, f.value.len);
		}
	}
	return ORSP_OK;
}

/* ProfilePolicyAuthorisationRule ::= SEQUENCE { pprIds [0] PprIds, allowedOperators [1]
 * SEQUENCE OF OperatorID, pprFlags [2] BIT STRING { consentRequired(0) } }; the detail
 * names the field that is wrong. */
static orsp_err rule_parse(orsp_slice v, orsp_lpa_rat_rule *rule)
{
	orsp_reader r, ro;
	orsp_tlv ids, ops, flags, one;
	uint32_t fl = 0;
	orsp_err e;

	orsp_reader_init(&r, v.p, v.len);
	if (orsp_der_read(&r, &ids) || ids.tag != 0x80 || lpa_ppr_bits(ids.value, &rule->ppr)) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, "pprIds");
	}
	if (orsp_der_read(&r, &ops) || ops.tag != 0xA1) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, "allowedOperators");
	}
	if (orsp_der_read(&r, &flags) || flags.tag != 0x82 || lpa_ppr_bits(flags.value, &fl)) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED, "pprFlags");
	}
	if (orsp_reader_remaining(&r))
		return orsp_errf(ORSP_E_MALFORMED, "a field after pprFlags");
	rule->consent_required = fl & 1u;
	orsp_reader_init(&ro, ops.value.p, ops.value.len);
	while (orsp_reader_remaining(&ro)) {
		if (orsp_der_read(&ro, &one) || one.tag != 0x30) {
			orsp_err_clear();
			return orsp_errf(ORSP_E_MALFORMED, "allowedOperators: not an OperatorID");
		}
		if (rule->n_ops == ORSP_LPA_RAT_MAX_OPERATORS)
			return orsp_errf(ORSP_E_RESOURCE,
			                 "more than %d allowedOperators (the LPA takes %d)",
			                 ORSP_LPA_RAT_MAX_OPERATORS, ORSP_LPA_RAT_MAX_OPERATORS);
		if ((e = lpa_operator_parse(one.value, &rule->ops[rule->n_ops])))
			return e;
		rule->n_ops++;
	}
	return ORSP_OK;
}

orsp_err orsp_lpa_rat_parse(orsp_slice der, orsp_lpa_rat *out)
{
	orsp_tlv t, rat, rule;
	orsp_reader r;
	char detail[160];
	orsp_err e = ORSP_OK;

	if (!out || (!der.p && der.len))
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(out, 0, sizeof(*out));
	/* GetRatResponse ::= [67] SEQUENCE { rat [0] RulesAuthorisationTable } */
	if (orsp_der_parse_one(der, &t) || t.tag != 0xBF43 || orsp_der_parse_one(t.value, &rat) ||
	    rat.tag != 0xA0) {
		orsp_err_clear();
		return orsp_errf(ORSP_E_MALFORMED,
		                 "card: GetRAT: the answer is not a GetRatResponse");
	}
	orsp_reader_init(&r, rat.value.p, rat.value.len);
	while (!e && orsp_reader_remaining(&r)) {
		size_t i = out->n_rules;
		if (orsp_der_read(&r, &rule) || rule.tag != 0x30) {
			orsp_err_clear();
			e = orsp_errf(
			    ORSP_E_MALFORMED,
			    "card: GetRAT: rule %zu is not a ProfilePolicyAuthorisationRule",
			    i + 1);
		} else if (i == ORSP_LPA_RAT_MAX_RULES) {
			e = orsp_errf(ORSP_E_RESOURCE,
			              "card: GetRAT: more than %d rules (the LPA takes %d)",
			              ORSP_LPA_RAT_MAX_RULES, ORSP_LPA_RAT_MAX_RULES);
		} else if ((e = rule_parse(rule.value, &out->rules[i]))) {
			orsp_err_detail_copy(detail, sizeof(detail));
			e = orsp_errf(e, "card: GetRAT: rule %zu: %s", i + 1, detail);
		} else {
			out->n_rules++;
		}
	}
	if (e) /* no half table for a caller that ignores the error */
		memset(out, 0, sizeof(*out));
	return e;
}

orsp_err orsp_lpa_get_rat(orsp_lpa_card *c, orsp_lpa_rat *out)
{
	static const uint8_t req[] = {0xBF, 0x43, 0x00};
	uint8_t *rsp;
	size_t rl = 0;
	orsp_err e;

	if (!c || !out)
		return orsp_errf(ORSP_E_USAGE, "lpa: bad arguments");
	memset(out, 0, sizeof(*out));
	if (!(rsp = malloc(RAT_ANSWER_MAX)))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	e = orsp_lpa_es10(c, req, sizeof(req), rsp, RAT_ANSWER_MAX, &rl);
	if (e) {
		char detail[200];
		orsp_err_detail_copy(detail, sizeof(detail));
		e = orsp_errf(e, "card: GetRAT: %s", detail);
	} else {
		e = orsp_lpa_rat_parse(orsp_slice_make(rsp, rl), out);
	}
	free(rsp);
	return e;
}

bool orsp_lpa_operator_matches(const orsp_lpa_operator *op, const orsp_lpa_operator *owner)
{
	if (!op)
		return false;
	/* no owner: only a rule for every operator (mccMnc all wildcards, no GID) covers it */
	if (!owner)
		return op->mcc_mnc[0] == 0xEE && op->mcc_mnc[1] == 0xEE && op->mcc_mnc[2] == 0xEE &&
		       !op->has_gid1 && !op->has_gid2;
	/* SGP.22 §2.9.2: 'E' in a digit of the rule's MCC/MNC matches any value */
	for (int i = 0; i < 3; i++) {
		uint8_t rh = op->mcc_mnc[i] >> 4, rl = op->mcc_mnc[i] & 0x0F;
		if ((rh != 0xE && rh != owner->mcc_mnc[i] >> 4) ||
		    (rl != 0xE && rl != (owner->mcc_mnc[i] & 0x0F)))
			return false;
	}
	/* a GID the rule names must be the owner's; one it leaves out matches any */
	if (op->has_gid1 && (!owner->has_gid1 || owner->gid1_len != op->gid1_len ||
	                     memcmp(owner->gid1, op->gid1, op->gid1_len) != 0))
		return false;
	if (op->has_gid2 && (!owner->has_gid2 || owner->gid2_len != op->gid2_len ||
	                     memcmp(owner->gid2, op->gid2, op->gid2_len) != 0))
		return false;
	return true;
}

void orsp_lpa_rat_check(const orsp_lpa_rat *rat, uint32_t ppr, const orsp_lpa_operator *owner,
                        uint32_t *not_allowed, uint32_t *consent)
{
	uint32_t na = 0, co = 0;

	ppr &= ORSP_LPA_PPR_RULES;
	for (unsigned b = 0; b < 32; b++) {
		uint32_t bit = 1u << b;
		const orsp_lpa_rat_rule *hit = NULL;
		if (!(ppr & bit))
			continue;
		/* the first rule that lists this PPR and admits the owner decides */
		for (size_t i = 0; rat && !hit && i < rat->n_rules; i++) {
			const orsp_lpa_rat_rule *rule = &rat->rules[i];
			for (size_t k = 0; !hit && (rule->ppr & bit) && k < rule->n_ops; k++)
				if (orsp_lpa_operator_matches(&rule->ops[k], owner))
					hit = rule;
		}
		if (!hit)
			na |= bit;
		else if (hit->consent_required)
			co |= bit;
	}
	if (not_allowed)
		*not_allowed = na;
	if (consent)
		*consent = co;
}

void orsp_lpa_ppr_str(uint32_t ppr, char *out, size_t cap)
{
	static const char *const names[] = {"pprUpdateControl", "PPR1 (no disabling)",
	                                    "PPR2 (no deletion)", "PPR3 (deleted once disabled)"};
	size_t len = 0;

	if (!out || !cap)
		return;
	out[0] = '\0';
	if (!ppr) {
		snprintf(out, cap, "none");
		return;
	}
	for (unsigned b = 0; b < 32 && len < cap; b++) {
		int n;
		if (!(ppr & (1u << b)))
			continue;
		if (b < ORSP_ARRAY_LEN(names))
			n = snprintf(out + len, cap - len, "%s%s", len ? ", " : "", names[b]);
		else
			n = snprintf(out + len, cap - len, "%sPPR%u (unknown)", len ? ", " : "", b);
		if (n < 0)
			break;
		len += (size_t)n;
	}
}
