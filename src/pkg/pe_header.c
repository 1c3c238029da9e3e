/* PE-Header (ProfileHeader): version, profile type, ICCID, the services and templates the
 * eUICC must support to install the profile. */
#include <stdlib.h>
#include <string.h>

#include "pkg_internal.h"

/* ServicesList member names (PEDefinitions v3.3.1), in orsp_pkg_service order. */
static const char *const svc_names[ORSP_SVC__COUNT] = {
    "contactless",
    "usim",
    "isim",
    "csim",
    "milenage",
    "tuak128",
    "cave",
    "gba-usim",
    "gba-isim",
    "mbms",
    "eap",
    "javacard",
    "multos",
    "multiple-usim",
    "multiple-isim",
    "multiple-csim",
    "tuak256",
    "usim-test-algorithm",
    "ber-tlv",
    "dfLink",
    "cat-tp",
    "get-identity",
    "profile-a-x25519",
    "profile-b-p256",
    "suciCalculatorApi",
    "dns-resolution",
    "scp11ac",
    "scp11c-authorization-mechanism",
    "s16mode",
    "eaka",
};

const char *orsp_pkg_service_name(orsp_pkg_service s)
{
	return (unsigned)s < ORSP_SVC__COUNT ? svc_names[s] : "?";
}

/* UICCCapability (SGP.22 §5.7.8) bit of each ServicesList member, in the enum's order: the
 * two lists share names but not order (CAVE and TUAK are swapped, TUAK-256 sits at 7). */
static const signed char svc_cap_bits[ORSP_SVC__COUNT] = {
    0,  1, 2,  3,  4,  6,  5,  10, 11, 12, 13, 14, 15, 16, 17,
    18, 7, -1, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30,
};

static const char *const cap_names[ORSP_UICC_CAPABILITY_BITS] = {
    "contactlessSupport",
    "usimSupport",
    "isimSupport",
    "csimSupport",
    "akaMilenage",
    "akaCave",
    "akaTuak128",
    "akaTuak256",
    "rfu1",
    "rfu2",
    "gbaAuthenUsim",
    "gbaAuthenISim",
    "mbmsAuthenUsim",
    "eapClient",
    "javacard",
    "multos",
    "multipleUsimSupport",
    "multipleIsimSupport",
    "multipleCsimSupport",
    "berTlvFileSupport",
    "dfLinkSupport",
    "catTp",
    "getIdentity",
    "profile-a-x25519",
    "profile-b-p256",
    "suciCalculatorApi",
    "dns-resolution",
    "scp11ac",
    "scp11c-authorization-mechanism",
    "s16mode",
    "eaka",
};

int orsp_pkg_service_capability(orsp_pkg_service s)
{
	return (unsigned)s < ORSP_SVC__COUNT ? svc_cap_bits[s] : -1;
}

const char *orsp_uicc_capability_name(unsigned b)
{
	return b < ORSP_UICC_CAPABILITY_BITS ? cap_names[b] : NULL;
}

ServicesList_t *hdr_services(ProfileHeader_t *h)
{
	return h ? &h->eUICC_Mandatory_services : NULL;
}

/* Offset of a service's NULL_t* member in the generated struct, found by name; -1 if none. */
static long svc_offset(orsp_pkg_service svc)
{
	if ((unsigned)svc >= ORSP_SVC__COUNT)
		return -1;
	for (int i = 0; i < asn_DEF_ServicesList.elements_count; i++) {
		asn_TYPE_member_t *m = &asn_DEF_ServicesList.elements[i];
		if ((m->flags & ATF_POINTER) && strcmp(m->name, svc_names[svc]) == 0)
			return m->memb_offset;
	}
	return -1;
}

bool svc_get(const ServicesList_t *s, orsp_pkg_service svc)
{
	long off = svc_offset(svc);
	return s && off >= 0 && *(NULL_t *const *)((const char *)s + off) != NULL;
}

orsp_err svc_set(ServicesList_t *s, orsp_pkg_service svc, bool on)
{
	long off = svc_offset(svc);
	NULL_t **slot;

	if (!s || off < 0)
		return orsp_errf(ORSP_E_USAGE, "no service %s", orsp_pkg_service_name(svc));
	slot = (NULL_t **)((char *)s + off);
	if (on && !*slot) {
		*slot = calloc(1, sizeof(**slot));
		if (!*slot)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	} else if (!on && *slot) {
		ASN_STRUCT_FREE(asn_DEF_NULL, *slot);
		*slot = NULL;
	}
	return ORSP_OK;
}

orsp_err orsp_pkg_get_header(const orsp_pkg *pkg, orsp_pkg_header *out)
{
	long i;
	ProfileHeader_t *h;

	if (!pkg || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_header: NULL argument");
	memset(out, 0, sizeof(*out));
	i = pkg_find(pkg, ORSP_PE_HEADER, 0);
	if (i < 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "the package has no ProfileHeader");
	h = &pkg->pe[i].asn->choice.header;
	out->pe_index = (size_t)i;
	out->major = (unsigned)h->major_version;
	out->minor = (unsigned)h->minor_version;
	if (h->profileType) {
		size_t n = (size_t)h->profileType->size;
		if (n >= sizeof(out->profile_type))
			n = sizeof(out->profile_type) - 1;
		out->has_profile_type = true;
		memcpy(out->profile_type, h->profileType->buf, n);
		out->profile_type[n] = '\0';
	}
	if (h->iccid.size == 10) {
		memcpy(out->iccid_raw, h->iccid.buf, 10);
		if (orsp_iccid_decode_header(h->iccid.buf, out->iccid) != ORSP_OK)
			out->iccid[0] = '\0';
	}
	for (int s = 0; s < ORSP_SVC__COUNT; s++)
		if (svc_get(&h->eUICC_Mandatory_services, (orsp_pkg_service)s))
			out->services |= ORSP_SVC_BIT(s);
	out->n_gfste = (size_t)h->eUICC_Mandatory_GFSTEList.list.count;
	for (size_t g = 0; g < out->n_gfste && g < ORSP_PKG_MAX_GFSTE; g++)
		oid_text(h->eUICC_Mandatory_GFSTEList.list.array[g], out->gfste[g],
		         sizeof(out->gfste[g]));
	out->n_mandatory_aids =
	    h->eUICC_Mandatory_AIDs ? (size_t)h->eUICC_Mandatory_AIDs->list.count : 0;
	out->has_pol = h->pol != NULL;
	out->has_connectivity_parameters = h->connectivityParameters != NULL;
	out->has_iot_options = h->iotOptions != NULL;
	return ORSP_OK;
}
