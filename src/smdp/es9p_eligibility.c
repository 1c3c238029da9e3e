/* openrsp smdp: what authenticateClient judges in the eUICC's euiccInfo2 and the device's
 * deviceInfo (SGP.22 §5.7.8, §5.7.13): the mandatory fields, the shape of deviceInfo, and
 * eligibility for a profile. Pure functions of their input; docs/smdp-es9p.md. */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "es9p_internal.h"
#include "openrsp/der.h"
#include "openrsp/pkg.h"

/* EUICCInfo2 (SGP.22 §5.7.8) must carry its mandatory fields, in their order: what the
 * eUICC does not say cannot be judged for eligibility. NULL when complete, otherwise what
 * is missing. The optional fields between them and any extension are let through. */
const char *es9p_info2_missing(orsp_slice info2)
{
	static const struct {
		uint32_t tag;
		const char *what;
	} need[] = {
	    {0x81, "euiccInfo2: no profileVersion"},
	    {0x82, "euiccInfo2: no svn"},
	    {0x83, "euiccInfo2: no euiccFirmwareVer"},
	    {0x84, "euiccInfo2: no extCardResource"},
	    {0x85, "euiccInfo2: no uiccCapability"},
	    {0x88, "euiccInfo2: no rspCapability"},
	    {0xA9, "euiccInfo2: no euiccCiPKIdListForVerification"},
	    {0xAA, "euiccInfo2: no euiccCiPKIdListForSigning"},
	    {0x04, "euiccInfo2: no ppVersion"},
	    {0x0C, "euiccInfo2: no sasAcreditationNumber"},
	};
	orsp_reader r;
	orsp_tlv t;
	size_t i = 0;

	if (!info2.p)
		return "euiccSigned1: no euiccInfo2";
	orsp_reader_init(&r, info2.p, info2.len);
	while (i < ORSP_ARRAY_LEN(need) && orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, &t) != ORSP_OK) {
			orsp_err_clear();
			return "euiccInfo2: not DER";
		}
		if (t.tag == need[i].tag)
			i++;
	}
	return i < ORSP_ARRAY_LEN(need) ? need[i].what : NULL;
}

/* DeviceInfo (SGP.22 §5.7.13) { tac [0] Octet4, deviceCapabilities [1], imei [2] Octet8
 * OPTIONAL, ... }: NULL when it has that shape, else what is wrong. The capabilities and
 * the fields SGP.22 v3 adds after imei are not judged. (pySim's rsp.asn, copied to
 * src/asn1/modules, says Octet8 for the TAC; SGP.22, lpac and pySim's own es9p_client use
 * four bytes.) */
const char *es9p_device_info_bad(orsp_slice di)
{
	orsp_reader r;
	orsp_tlv t;
	const char *bad = NULL;

	orsp_reader_init(&r, di.p, di.len);
	if (orsp_der_read(&r, &t) != ORSP_OK || t.tag != 0x80 || t.value.len != 4)
		bad = "deviceInfo: no TAC of 4 bytes";
	else if (orsp_der_read(&r, &t) != ORSP_OK || t.tag != 0xA1)
		bad = "deviceInfo: no deviceCapabilities";
	else if (orsp_reader_remaining(&r) && orsp_der_read(&r, &t) == ORSP_OK && t.tag == 0x82 &&
	         t.value.len != 8)
		bad = "deviceInfo: imei is not 8 bytes";
	orsp_err_clear(); /* a TLV that does not read is reported as the field it should be */
	return bad;
}

/* The AKA algorithms among the services: an eUICC that cannot run the profile's algorithm
 * cannot attach to the network with it, so they are always compared with its
 * uiccCapability; the other services only with `eligibility = services`. */
static bool aka_service(orsp_pkg_service s)
{
	return s == ORSP_SVC_MILENAGE || s == ORSP_SVC_CAVE || s == ORSP_SVC_TUAK128 ||
	       s == ORSP_SVC_TUAK256;
}

/* Bits 0..18 are in every SGP.22 v2 UICCCapability; later versions added the rest. */
#define CAP_BITS_V2 19
/* RspCapability's testProfileSupport (SGP.22 §5.7.8) */
#define RSP_CAP_TEST_PROFILE 3

/* Whether version v (a VersionType's 3 bytes) is at least the profile's SAIP version. */
static bool saip_covers(const uint8_t *v, const es9p_needs *needs)
{
	return v[0] > needs->saip_major || (v[0] == needs->saip_major && v[1] >= needs->saip_minor);
}

/* Whether the fields of euiccInfo2 left in r hold additionalEuiccProfilePackageVersions with
 * a version at least the profile's: 1 if so, 0 if not (or there is no such field), -1 when
 * one of its versions is not 3 bytes. The field is [15] SEQUENCE OF VersionType (tag AF), a
 * later version's addition after certificationDataObject: SGP.22 v3's and SGP.32's
 * EUICCInfo2 have it, the v2.2 module (tests/vectors/asn1/rsp) does not. */
static int saip_additional(orsp_reader r, const es9p_needs *needs)
{
	orsp_tlv t, v;
	while (orsp_reader_remaining(&r) && orsp_der_read(&r, &t) == ORSP_OK) {
		orsp_reader vr;
		int found = 0;
		if (t.tag != 0xAF)
			continue;
		orsp_reader_init(&vr, t.value.p, t.value.len);
		while (orsp_reader_remaining(&vr)) {
			if (orsp_der_read(&vr, &v) != ORSP_OK || v.tag != 0x04 ||
			    v.value.len != 3) {
				orsp_err_clear();
				return -1;
			}
			if (saip_covers(v.value.p, needs))
				found = 1;
		}
		return found;
	}
	orsp_err_clear();
	return 0;
}

/* Whether the eUICC that euiccInfo2 describes can take a profile of upp_len bytes asking for
 * *needs: the SAIP version it supports (profileVersion, or one of the
 * additionalEuiccProfilePackageVersions a later version lists) at least the profile's, its
 * free memory (extCardResource) at least the package, in its uiccCapability the profile's AKA
 * algorithm (all_services: every mandatory service with a bit), none of the profile's PPRs
 * among those it forbids (forbiddenProfilePolicyRules), and for a test profile
 * testProfileSupport in its rspCapability (SGP.21 TPRO1: no test profile is downloaded to an
 * eUICC without it, which would refuse its installation and put the order in Error).
 * ES9P_OK if so; otherwise why not, in buf. */
es9p_code es9p_ineligible(orsp_slice info2, size_t upp_len, const es9p_needs *needs,
                          bool all_services, char *buf, size_t cap)
{
	orsp_reader r;
	orsp_tlv t;
	/* euiccInfo2.svn (before uiccCapability, in the SEQUENCE's order) at least 2.3.0: the
	 * version whose UICCCapability defines the bits from 19 on */
	bool svn_v23 = false;

	orsp_reader_init(&r, info2.p, info2.len);
	while (orsp_reader_remaining(&r) && orsp_der_read(&r, &t) == ORSP_OK) {
		if (t.tag == 0x82 && t.value.len == 3) {
			const uint8_t *v = t.value.p;
			svn_v23 = v[0] > 2 || (v[0] == 2 && v[1] >= 3);
		} else if (t.tag == 0x81) {
			const uint8_t *v = t.value.p;
			if (t.value.len != 3) { /* VersionType: OCTET STRING (SIZE(3)) */
				snprintf(buf, cap, "euiccInfo2: profileVersion of %zu bytes",
				         t.value.len);
				return ES9P_MALFORMED;
			}
			int covered = saip_covers(v, needs) ? 1 : saip_additional(r, needs);
			if (covered < 0) {
				snprintf(buf, cap,
				         "euiccInfo2: additionalEuiccProfilePackageVersions"
				         " holds a version not of 3 bytes");
				return ES9P_MALFORMED;
			}
			if (!covered) {
				snprintf(buf, cap,
				         "the eUICC supports SAIP %u.%u, the profile is %u.%u",
				         v[0], v[1], needs->saip_major, needs->saip_minor);
				return ES9P_NOT_ELIGIBLE;
			}
		} else if (t.tag == 0x84) {
			/* extCardResource: ETSI TS 102 226 §8.2.1.7.2 TLVs, 81 installed
			 * applications, 82 free non-volatile memory, 83 free volatile memory, each
			 * an unsigned big-endian number (not a DER INTEGER: free memory may have
			 * its top bit set, and cards send it in a fixed 2 or 4 bytes). All three
			 * are mandatory there; 82 is the one judged, so one without it (an empty
			 * extCardResource too) is malformed, not an eUICC with room enough. */
			orsp_reader r2;
			orsp_tlv h;
			bool free_nvm = false;
			orsp_reader_init(&r2, t.value.p, t.value.len);
			while (orsp_reader_remaining(&r2)) {
				uint64_t n = 0;
				if (orsp_der_read(&r2, &h) != ORSP_OK) {
					orsp_err_clear();
					snprintf(buf, cap,
					         "euiccInfo2: extCardResource is not TLV");
					return ES9P_MALFORMED;
				}
				if (h.tag < 0x81 || h.tag > 0x83)
					continue;
				if (h.value.len < 1 || h.value.len > 8) {
					snprintf(buf, cap,
					         "euiccInfo2: extCardResource tag %02" PRIX32
					         " of %zu bytes",
					         h.tag, h.value.len);
					return ES9P_MALFORMED;
				}
				for (size_t k = 0; k < h.value.len; k++)
					n = n << 8 | h.value.p[k];
				if (h.tag == 0x82)
					free_nvm = true;
				if (h.tag == 0x82 && n < upp_len) {
					snprintf(buf, cap,
					         "the eUICC has %" PRIu64
					         " bytes free, the profile %zu",
					         n, upp_len);
					return ES9P_INSUFFICIENT_MEMORY;
				}
			}
			if (!free_nvm) {
				snprintf(buf, cap,
				         "euiccInfo2: extCardResource has no free non-volatile"
				         " memory (tag 82)");
				return ES9P_MALFORMED;
			}
		} else if (t.tag == 0x85) {
			uint64_t caps = 0;
			size_t nbits = 0;
			if (orsp_der_bits(t.value, &caps, &nbits) != ORSP_OK) {
				orsp_err_clear();
				snprintf(buf, cap,
				         "euiccInfo2: uiccCapability is not a BIT STRING");
				return ES9P_MALFORMED;
			}
			/* a bit past the v2.2 set is judged for an eUICC of SGP.22 v2.3 or later
			 * (svn), whose version defines it: one it lacks is cleared, and DER drops
			 * the clear bits at the end, so the string's length says nothing (until
			 * session 57 a bit the string did not reach was not judged, so no such
			 * eUICC was ever refused for one); for an earlier eUICC, only where its
			 * string reaches it */
			for (int sv = 0; sv < ORSP_SVC__COUNT; sv++) {
				int bit = orsp_pkg_service_capability((orsp_pkg_service)sv);
				bool aka = aka_service((orsp_pkg_service)sv);
				if (bit < 0 || !(needs->services & ORSP_SVC_BIT(sv)) ||
				    (!aka && !all_services) ||
				    (bit >= CAP_BITS_V2 && !svn_v23 && (size_t)bit >= nbits) ||
				    (caps >> bit & 1))
					continue;
				snprintf(buf, cap, "%s %s",
				         aka ? "the profile's AKA algorithm needs"
				             : "the profile needs",
				         orsp_uicc_capability_name((unsigned)bit));
				return ES9P_NOT_ELIGIBLE;
			}
		} else if (t.tag == 0x88 && needs->test_profile) {
			/* rspCapability, read for a test profile only */
			uint64_t caps = 0;
			size_t nbits = 0;
			if (orsp_der_bits(t.value, &caps, &nbits) != ORSP_OK) {
				orsp_err_clear();
				snprintf(buf, cap, "euiccInfo2: rspCapability is not a BIT STRING");
				return ES9P_MALFORMED;
			}
			if (!(caps >> RSP_CAP_TEST_PROFILE & 1)) {
				snprintf(buf, cap,
				         "the profile is a test profile, and the eUICC has no "
				         "testProfileSupport (rspCapability)");
				return ES9P_NOT_ELIGIBLE;
			}
		} else if (t.tag == 0x99) {
			/* forbiddenProfilePolicyRules [25] PprIds (SGP.22 §5.7.8): the eUICC takes
			 * no profile with these rules, and its LPA would cancel the download
			 * (pprNotAllowed), which ends the order; refused here, the order kept */
			uint64_t forbidden = 0;
			size_t nbits = 0;
			char names[32];
			if (orsp_der_bits(t.value, &forbidden, &nbits) != ORSP_OK) {
				orsp_err_clear();
				snprintf(
				    buf, cap,
				    "euiccInfo2: forbiddenProfilePolicyRules is not a BIT STRING");
				return ES9P_MALFORMED;
			}
			if (forbidden & needs->ppr) {
				orsp_smdp_ppr_str((unsigned)(forbidden & needs->ppr), names,
				                  sizeof(names));
				snprintf(buf, cap,
				         "the profile has %s, which the eUICC forbids"
				         " (forbiddenProfilePolicyRules)",
				         names);
				return ES9P_NOT_ELIGIBLE;
			}
		}
	}
	orsp_err_clear();
	return ES9P_OK;
}

/* The policy items, named as the configuration keys that set them. */
static const char P_EUM[] = "eum_allowed", P_SVN[] = "min_svn", P_FW[] = "min_euicc_firmware",
                  P_FW_DENIED[] = "euicc_firmware_denied", P_PP[] = "min_pp_version",
                  P_GP[] = "min_gp_version", P_SAS[] = "sas_accreditation";

/* One VersionType field of euiccInfo2 (found: whether the eUICC gave it) against a minimum:
 * ES9P_OK, ES9P_MALFORMED when it is not 3 bytes, ES9P_NOT_ELIGIBLE when absent or lower. */
static es9p_code version_at_least(const orsp_smdp_version *min, bool found, orsp_slice v,
                                  const char *field, const char *item, const char **refused,
                                  char *buf, size_t cap)
{
	if (!min->set)
		return ES9P_OK;
	if (!found) {
		snprintf(buf, cap, "platform policy %s %u.%u.%u: the eUICC does not state its %s",
		         item, min->v[0], min->v[1], min->v[2], field);
		*refused = item;
		return ES9P_NOT_ELIGIBLE;
	}
	if (v.len != 3) { /* VersionType: OCTET STRING (SIZE(3)) */
		snprintf(buf, cap, "euiccInfo2: %s of %zu bytes", field, v.len);
		return ES9P_MALFORMED;
	}
	/* major, minor, revision each one unsigned byte: byte order is version order */
	if (memcmp(v.p, min->v, 3) < 0) {
		snprintf(buf, cap, "platform policy %s: %s %u.%u.%u is below %u.%u.%u", item, field,
		         v.p[0], v.p[1], v.p[2], min->v[0], min->v[1], min->v[2]);
		*refused = item;
		return ES9P_NOT_ELIGIBLE;
	}
	return ES9P_OK;
}

es9p_code es9p_platform_refused(const orsp_smdp_platform_policy *pol, orsp_slice info2,
                                const uint8_t *eum_ski, size_t eum_ski_len, const char **item,
                                char *buf, size_t cap)
{
	/* svn [2], euiccFirmwareVer [3], globalplatformVersion [7], ppVersion (universal
	 * OCTET STRING), sasAcreditationNumber (UTF8String): the first of each at the top level
	 * of EUICCInfo2 */
	static const uint32_t tags[] = {0x82, 0x83, 0x87, 0x04, 0x0C};
	enum { F_SVN, F_FW, F_GP, F_PP, F_SAS };
	orsp_slice v[ORSP_ARRAY_LEN(tags)] = {{0}};
	bool found[ORSP_ARRAY_LEN(tags)] = {false};
	orsp_reader r;
	orsp_tlv t;
	es9p_code code;

	*item = NULL;
	/* no policy (the usual configuration): nothing to read */
	if (!pol->n_eum && !pol->min_svn.set && !pol->min_firmware.set && !pol->min_pp.set &&
	    !pol->min_gp.set && !pol->n_firmware_denied && !pol->n_sas)
		return ES9P_OK;
	if (pol->n_eum) {
		bool listed = false;
		for (size_t i = 0; i < pol->n_eum && !listed; i++)
			listed = eum_ski_len && pol->eum_ski_len[i] == eum_ski_len &&
			         memcmp(pol->eum_ski[i], eum_ski, eum_ski_len) == 0;
		if (!listed) {
			char hex[2 * 32 + 1] = "none";
			if (eum_ski_len && eum_ski_len <= 32 &&
			    orsp_hex_encode(eum_ski, eum_ski_len, hex, sizeof(hex)) != ORSP_OK) {
				orsp_err_clear();
				snprintf(hex, sizeof(hex), "?");
			}
			snprintf(
			    buf, cap,
			    "platform policy %s: the EUM (CERT.EUM subjectKeyIdentifier %s) is not "
			    "allowed",
			    P_EUM, hex);
			*item = P_EUM;
			return ES9P_NOT_ELIGIBLE;
		}
	}
	orsp_reader_init(&r, info2.p, info2.len);
	while (orsp_reader_remaining(&r) && orsp_der_read(&r, &t) == ORSP_OK)
		for (size_t i = 0; i < ORSP_ARRAY_LEN(tags); i++)
			if (t.tag == tags[i] && !found[i]) {
				found[i] = true;
				v[i] = t.value;
			}
	orsp_err_clear(); /* what does not read is not stated */
	if ((code = version_at_least(&pol->min_svn, found[F_SVN], v[F_SVN], "svn", P_SVN, item, buf,
	                             cap)) != ES9P_OK)
		return code;
	if ((code = version_at_least(&pol->min_firmware, found[F_FW], v[F_FW], "euiccFirmwareVer",
	                             P_FW, item, buf, cap)) != ES9P_OK)
		return code;
	if (pol->n_firmware_denied) {
		if (!found[F_FW] || v[F_FW].len != 3) {
			snprintf(buf, cap, "euiccInfo2: euiccFirmwareVer %s",
			         found[F_FW] ? "not of 3 bytes" : "absent");
			return ES9P_MALFORMED;
		}
		for (size_t i = 0; i < pol->n_firmware_denied; i++)
			if (memcmp(v[F_FW].p, pol->firmware_denied[i], 3) == 0) {
				snprintf(buf, cap,
				         "platform policy %s: euiccFirmwareVer %u.%u.%u is denied",
				         P_FW_DENIED, v[F_FW].p[0], v[F_FW].p[1], v[F_FW].p[2]);
				*item = P_FW_DENIED;
				return ES9P_NOT_ELIGIBLE;
			}
	}
	if ((code = version_at_least(&pol->min_pp, found[F_PP], v[F_PP], "ppVersion", P_PP, item,
	                             buf, cap)) != ES9P_OK)
		return code;
	if ((code = version_at_least(&pol->min_gp, found[F_GP], v[F_GP], "globalplatformVersion",
	                             P_GP, item, buf, cap)) != ES9P_OK)
		return code;
	if (pol->n_sas) {
		char shown[ORSP_SMDP_SAS_MAX + 1];
		size_t n = found[F_SAS] ? v[F_SAS].len : 0;
		for (size_t i = 0; i < pol->n_sas; i++)
			if (found[F_SAS] && strlen(pol->sas[i]) == n &&
			    memcmp(pol->sas[i], v[F_SAS].p, n) == 0)
				return ES9P_OK;
		/* the eUICC's bytes, printable ASCII only, for the message and the audit log */
		if (n > ORSP_SMDP_SAS_MAX)
			n = ORSP_SMDP_SAS_MAX;
		for (size_t k = 0; k < n; k++)
			shown[k] =
			    v[F_SAS].p[k] >= 0x20 && v[F_SAS].p[k] < 0x7f && v[F_SAS].p[k] != '\''
			        ? (char)v[F_SAS].p[k]
			        : '?';
		shown[n] = '\0';
		if (found[F_SAS])
			snprintf(buf, cap,
			         "platform policy %s: sasAcreditationNumber '%s'%s is not accepted",
			         P_SAS, shown, v[F_SAS].len > ORSP_SMDP_SAS_MAX ? "..." : "");
		else
			snprintf(buf, cap,
			         "platform policy %s: the eUICC does not state its "
			         "sasAcreditationNumber",
			         P_SAS);
		*item = P_SAS;
		return ES9P_NOT_ELIGIBLE;
	}
	return ES9P_OK;
}

/* The policy in one line for the server's start (nothing secret in it); "" when none. */
void es9p_platform_describe(const orsp_smdp_platform_policy *pol, char *buf, size_t cap)
{
	size_t n = 0;

#define ADD(...)                                                                                   \
	do {                                                                                       \
		if (n < cap) {                                                                     \
			int k = snprintf(buf + n, cap - n, __VA_ARGS__);                           \
			n += k > 0 ? (size_t)k : 0;                                                \
		}                                                                                  \
	} while (0)
	if (!cap)
		return;
	buf[0] = '\0';
	{
		const struct {
			const char *name;
			const orsp_smdp_version *v;
		} mins[] = {{P_SVN, &pol->min_svn},
		            {P_FW, &pol->min_firmware},
		            {P_PP, &pol->min_pp},
		            {P_GP, &pol->min_gp}};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(mins); i++)
			if (mins[i].v->set)
				ADD("%s%s %u.%u.%u", n ? "; " : "", mins[i].name, mins[i].v->v[0],
				    mins[i].v->v[1], mins[i].v->v[2]);
	}
	for (size_t i = 0; i < pol->n_firmware_denied; i++) {
		if (!i)
			ADD("%s%s ", n ? "; " : "", P_FW_DENIED);
		ADD("%s%u.%u.%u", i ? ", " : "", pol->firmware_denied[i][0],
		    pol->firmware_denied[i][1], pol->firmware_denied[i][2]);
	}
	for (size_t i = 0; i < pol->n_sas; i++) {
		if (!i)
			ADD("%s%s ", n ? "; " : "", P_SAS);
		ADD("%s%s", i ? ", " : "", pol->sas[i]);
	}
	for (size_t i = 0; i < pol->n_eum; i++) {
		char hex[2 * 32 + 1];
		if (!i)
			ADD("%s%s ", n ? "; " : "", P_EUM);
		if (orsp_hex_encode(pol->eum_ski[i], pol->eum_ski_len[i], hex, sizeof(hex))) {
			orsp_err_clear();
			snprintf(hex, sizeof(hex), "?");
		}
		ADD("%s%s", i ? ", " : "", hex);
	}
#undef ADD
	if (n >= cap && cap > 4)
		snprintf(buf + cap - 4, 4, "...");
}
