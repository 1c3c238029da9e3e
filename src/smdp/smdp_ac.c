/* Matching IDs, FQDNs and the activation code string (SGP.22 §4.1 Activation Code). */
#include <stdio.h>
#include <string.h>

#include "openrsp/crypto.h"
#include "openrsp/smdp.h"
#include "smdp_internal.h"

/* The AC token alphabet we accept: upper-case alphanumerics and '-' (lpac refuses
 * anything outside alphanumerics and '-'; upper case keeps QR codes in alphanumeric mode). */
static bool mid_char(char c)
{
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'Z') || c == '-';
}

orsp_err orsp_smdp_matching_id_check(const char *mid)
{
	size_t n;

	if (!mid)
		return orsp_errf(ORSP_E_USAGE, "matching ID missing");
	n = strlen(mid);
	if (n == 0 || n > ORSP_SMDP_MATCHING_ID_MAX)
		return orsp_errf(ORSP_E_USAGE, "matching ID must have 1..%d characters",
		                 ORSP_SMDP_MATCHING_ID_MAX);
	for (size_t i = 0; i < n; i++)
		if (!mid_char(mid[i]))
			return orsp_errf(ORSP_E_USAGE,
			                 "matching ID character %zu is not one of [0-9A-Z-]",
			                 i + 1);
	return ORSP_OK;
}

orsp_err orsp_smdp_matching_id_generate(char out[ORSP_SMDP_MATCHING_ID_MAX + 1])
{
	/* 32 symbols: 256 is a multiple of 32, so (byte & 31) is uniform. No 0/O, 1/I. */
	static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";
	uint8_t rnd[20];
	size_t o = 0;
	orsp_err err;

	err = orsp_random(rnd, sizeof(rnd));
	if (err)
		return err;
	for (size_t i = 0; i < sizeof(rnd); i++) {
		if (i && i % 5 == 0)
			out[o++] = '-';
		out[o++] = alphabet[rnd[i] & 31];
	}
	out[o] = '\0';
	orsp_wipe(rnd, sizeof(rnd));
	return ORSP_OK;
}

/* orsp_fqdn_check's rule, the one openrsp's LPA applies to the activation codes made here. */
orsp_err orsp_smdp_fqdn_check(const char *fqdn)
{
	size_t n;

	if (!fqdn)
		return orsp_errf(ORSP_E_USAGE, "FQDN missing");
	n = strlen(fqdn);
	if (n == 0 || n > ORSP_SMDP_FQDN_MAX)
		return orsp_errf(ORSP_E_USAGE, "FQDN must have 1..%d characters",
		                 ORSP_SMDP_FQDN_MAX);
	if (orsp_fqdn_check(fqdn, n))
		return orsp_errf(ORSP_E_USAGE, "not a DNS name: %s", orsp_err_detail());
	return ORSP_OK;
}

orsp_err orsp_smdp_oid_check(const char *oid)
{
	uint8_t der[64];
	size_t len = 0;

	if (!oid || strlen(oid) > ORSP_SMDP_OID_MAX || !orsp_cert_oid_ok(oid) ||
	    smdp_oid_der(oid, der, sizeof(der), &len) != ORSP_OK) {
		orsp_err_clear();
		return orsp_errf(
		    ORSP_E_USAGE,
		    "expected a dotted OID of at most %d characters (e.g. 2.999.10: at "
		    "least two arcs, no empty arc, no leading zero, the first arc 0, 1 "
		    "or 2, the second below 40 under 0 and 1, no arc over 64 bits)",
		    ORSP_SMDP_OID_MAX);
	}
	return ORSP_OK;
}

orsp_err orsp_smdp_activation_code(const char *fqdn, const char *matching_id, bool cc_required,
                                   char *out, size_t cap)
{
	orsp_err err;
	int n;

	if (!out || cap == 0)
		return orsp_errf(ORSP_E_USAGE, "activation code: no output buffer");
	out[0] = '\0';
	err = orsp_smdp_fqdn_check(fqdn);
	if (err)
		return err;
	err = orsp_smdp_matching_id_check(matching_id);
	if (err)
		return err;
	/* "LPA:" prefix + AC_Format "1" + '$'-separated SM-DP+ address and AC token; for an
	 * order with a confirmation code, SGP.22 §4.1's fifth field, the Confirmation Code
	 * Required Flag "1", after an empty SM-DP+ OID, so that the LPA asks the user for the
	 * code before it starts the download. */
	n = snprintf(out, cap, "LPA:1$%s$%s%s", fqdn, matching_id, cc_required ? "$$1" : "");
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return orsp_errf(ORSP_E_RESOURCE, "activation code needs %d bytes", n + 1);
	}
	return ORSP_OK;
}
