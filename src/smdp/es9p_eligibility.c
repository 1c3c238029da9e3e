/* openrsp smdp: what authenticateClient judges in the eUICC's euiccInfo2 and the device's
 * deviceInfo (SGP.22 §5.7.8, §5.7.13): the mandatory fields, the shape of deviceInfo, and
 * eligibility for a profile. Pure functions of their input; docs/smdp-es9p.md. */
#include <inttypes.h>
#include <stdio.h>

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

/* Whether the eUICC that euiccInfo2 describes can take a profile of upp_len bytes asking for
 * *needs: the SAIP version it supports (profileVersion) at least the profile's, its free
 * memory (extCardResource) at least the package, and in its uiccCapability the profile's
 * AKA algorithm (all_services: every mandatory service with a bit). ES9P_OK
 * if so; otherwise why not, in buf. */
es9p_code es9p_ineligible(orsp_slice info2, size_t upp_len, const es9p_needs *needs,
                          bool all_services, char *buf, size_t cap)
{
	orsp_reader r;
	orsp_tlv t;

	orsp_reader_init(&r, info2.p, info2.len);
	while (orsp_reader_remaining(&r) && orsp_der_read(&r, &t) == ORSP_OK) {
		if (t.tag == 0x81) {
			const uint8_t *v = t.value.p;
			if (t.value.len != 3) { /* VersionType: OCTET STRING (SIZE(3)) */
				snprintf(buf, cap, "euiccInfo2: profileVersion of %zu bytes",
				         t.value.len);
				return ES9P_MALFORMED;
			}
			if (v[0] < needs->saip_major ||
			    (v[0] == needs->saip_major && v[1] < needs->saip_minor)) {
				snprintf(buf, cap,
				         "the eUICC supports SAIP %u.%u, the profile is %u.%u",
				         v[0], v[1], needs->saip_major, needs->saip_minor);
				return ES9P_NOT_ELIGIBLE;
			}
		} else if (t.tag == 0x84) {
			/* extCardResource: ETSI TS 102 226 §8.2.1.7.2 TLVs, 81 installed
			 * applications, 82 free non-volatile memory, 83 free volatile memory, each
			 * an unsigned big-endian number (not a DER INTEGER: free memory may have
			 * its top bit set, and cards send it in a fixed 2 or 4 bytes) */
			orsp_reader r2;
			orsp_tlv h;
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
				if (h.tag == 0x82 && n < upp_len) {
					snprintf(buf, cap,
					         "the eUICC has %" PRIu64
					         " bytes free, the profile %zu",
					         n, upp_len);
					return ES9P_INSUFFICIENT_MEMORY;
				}
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
			/* a bit past the v2 set that the eUICC's string does not reach may be one
			 * its SGP.22 version does not define: not judged */
			for (int sv = 0; sv < ORSP_SVC__COUNT; sv++) {
				int bit = orsp_pkg_service_capability((orsp_pkg_service)sv);
				bool aka = aka_service((orsp_pkg_service)sv);
				if (bit < 0 || !(needs->services & ORSP_SVC_BIT(sv)) ||
				    (!aka && !all_services) ||
				    (bit >= CAP_BITS_V2 && (size_t)bit >= nbits) ||
				    (caps >> bit & 1))
					continue;
				snprintf(buf, cap, "%s %s",
				         aka ? "the profile's AKA algorithm needs"
				             : "the profile needs",
				         orsp_uicc_capability_name((unsigned)bit));
				return ES9P_NOT_ELIGIBLE;
			}
		}
	}
	orsp_err_clear();
	return ES9P_OK;
}
