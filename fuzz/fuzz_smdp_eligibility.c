/* libFuzzer target for what authenticateClient judges in euiccInfo2 and deviceInfo
 * (src/smdp/es9p_eligibility.c): es9p_info2_missing, es9p_device_info_bad,
 * es9p_ineligible and es9p_platform_refused, called on the input as it comes (not validated
 * as DER first).
 *
 * Input: byte 0 sets `eligibility = services` (bit 0) and the profile's PPRs (bits 1-2,
 * ORSP_SMDP_PPR1 and PPR2); bytes 1-2 are the profile's SAIP
 * major.minor, bytes 3-6 its eUICC-Mandatory-services (ORSP_SVC_BIT bits), bytes 7-8 the
 * package length in KiB; the rest is the contents of euiccInfo2, and of deviceInfo. The
 * platform policy is made from bytes 1-8 too: byte 0's bits 1-6 choose its items, the
 * versions are bytes 1-3 and 4-6, the denied firmware and the EUM SKI bytes 4-8, the SAS
 * number "SAS-" and byte 7 in hex.
 * Properties: no crash or sanitizer report; a missing field or a malformed deviceInfo is
 * named by a message of its own; the eligibility result is one of OK, NOT_ELIGIBLE,
 * INSUFFICIENT_MEMORY and MALFORMED, with a non-empty, NUL-terminated reason exactly when not OK;
 * the platform policy's result is OK, NOT_ELIGIBLE (naming its item) or MALFORMED (naming
 * none), with a reason when not OK; the same input gives the same answer twice. A violated property
 * calls abort().
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../src/smdp/es9p_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(bool ok)
{
	if (!ok)
		abort();
}

static void platform(const uint8_t *data, orsp_slice body)
{
	orsp_smdp_platform_policy pol;
	char why[200], again[200];
	const char *item = NULL, *item2 = NULL;
	es9p_code c, c2;

	memset(&pol, 0, sizeof(pol));
	if (data[0] & 2) {
		pol.min_firmware.set = true;
		memcpy(pol.min_firmware.v, data + 1, 3);
	}
	if (data[0] & 4) {
		pol.min_svn.set = pol.min_pp.set = true;
		memcpy(pol.min_svn.v, data + 4, 3);
		memcpy(pol.min_pp.v, data + 1, 3);
	}
	if (data[0] & 8) {
		pol.min_gp.set = true;
		memcpy(pol.min_gp.v, data + 4, 3);
	}
	if (data[0] & 16) {
		memcpy(pol.firmware_denied[0], data + 4, 3);
		pol.n_firmware_denied = 1;
	}
	if (data[0] & 32) {
		snprintf(pol.sas[0], sizeof(pol.sas[0]), "SAS-%02X", data[7]);
		pol.n_sas = 1;
	}
	if (data[0] & 64) {
		memcpy(pol.eum_ski[0], data + 4, 5);
		pol.eum_ski_len[0] = 5;
		pol.n_eum = 1;
	}
	memset(why, 0x55, sizeof(why));
	/* the EUM's SKI: the policy's own when byte 0's top bit is set, else another */
	c = es9p_platform_refused(&pol, body, data + ((data[0] & 128) ? 4 : 3), 5, &item, why,
	                          sizeof(why));
	check(c == ES9P_OK || c == ES9P_NOT_ELIGIBLE || c == ES9P_MALFORMED);
	check((c == ES9P_NOT_ELIGIBLE) == (item != NULL));
	if (c != ES9P_OK) {
		check(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
		c2 = es9p_platform_refused(&pol, body, data + ((data[0] & 128) ? 4 : 3), 5, &item2,
		                           again, sizeof(again));
		check(c2 == c && item2 == item && strcmp(why, again) == 0);
	}
	orsp_err_clear();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	es9p_needs needs;
	orsp_slice body;
	char why[160], again[160];
	const char *m;
	es9p_code c, c2;
	bool all;
	size_t upp_len;

	if (size < 9)
		return 0;
	all = data[0] & 1;
	needs.saip_major = data[1];
	needs.saip_minor = data[2];
	needs.services =
	    (uint64_t)data[3] << 24 | (uint64_t)data[4] << 16 | (uint64_t)data[5] << 8 | data[6];
	needs.ppr = data[0] & ORSP_SMDP_PPR_ALL;
	needs.test_profile = data[0] & 0x80; /* rspCapability read for a test profile */
	upp_len = ((size_t)data[7] << 8 | data[8]) * 1024;
	body = orsp_slice_make(data + 9, size - 9);

	m = es9p_info2_missing(body);
	check(!m || strncmp(m, "euiccInfo2: ", 12) == 0);
	m = es9p_device_info_bad(body);
	check(!m || strncmp(m, "deviceInfo: ", 12) == 0);

	memset(why, 0x55, sizeof(why));
	c = es9p_ineligible(body, upp_len, &needs, all, why, sizeof(why));
	check(c == ES9P_OK || c == ES9P_NOT_ELIGIBLE || c == ES9P_INSUFFICIENT_MEMORY ||
	      c == ES9P_MALFORMED);
	if (c != ES9P_OK) {
		check(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
		c2 = es9p_ineligible(body, upp_len, &needs, all, again, sizeof(again));
		check(c2 == c && strcmp(why, again) == 0);
	}
	orsp_err_clear();
	platform(data, body);
	return 0;
}
