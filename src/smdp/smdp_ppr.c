/* openrsp smdp: Profile Policy Rules (SGP.22 §2.9) as the operator sets them on a profile —
 * the rules named on the command line, the profile owner taken from the package, and both
 * in the profile's StoreMetadataRequest — and the profile class (§2.4.4), also set at
 * import. */
#include <stdio.h>
#include <string.h>

#include "openrsp/aka.h"
#include "smdp_internal.h"

/* The names of ORSP_SMDP_PPR1 and ORSP_SMDP_PPR2: PprIds bits 1 and 2, so name i is bit
 * i + 1 (bit 0, pprUpdateControl, is not set by this SM-DP+). */
static const char *const ppr_names[] = {"ppr1", "ppr2"};

orsp_err orsp_smdp_ppr_parse(const char *list, unsigned *out)
{
	uint32_t set = 0;

	if (!list || !out)
		return orsp_errf(ORSP_E_USAGE, "PPRs: NULL argument");
	*out = 0;
	if (orsp_name_set_parse(list, ppr_names, ORSP_ARRAY_LEN(ppr_names), &set))
		return orsp_errf(ORSP_E_USAGE,
		                 "expected ppr1, ppr2 or ppr1,ppr2, each once (this SM-DP+ sets no "
		                 "pprUpdateControl or ppr3), not \"%.64s\"",
		                 list);
	*out = set << 1;
	return ORSP_OK;
}

void orsp_smdp_ppr_str(unsigned ppr, char *out, size_t cap)
{
	size_t len = 0;

	if (!out || !cap)
		return;
	out[0] = '\0';
	for (size_t i = 0; i < ORSP_ARRAY_LEN(ppr_names); i++) {
		int n;
		if (!(ppr & (ORSP_SMDP_PPR1 << i)))
			continue;
		n = snprintf(out + len, cap - len, "%s%s", len ? "," : "", ppr_names[i]);
		if (n < 0 || (size_t)n >= cap - len) {
			out[len] = '\0'; /* cut after the last whole name */
			return;
		}
		len += (size_t)n;
	}
}

/* The first optional-files PE (PE-OPT-USIM, PE-OPT-IoT) after the USIM at index usim and
 * before the next USIM; -1 if none. */
static long opt_files_pe(const orsp_pkg *pkg, size_t usim)
{
	for (size_t i = usim + 1; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info pe;
		if (orsp_pkg_pe(pkg, i, &pe) != ORSP_OK)
			return -1;
		if (pe.type == ORSP_PE_USIM || pe.type == ORSP_PE_IOT)
			return -1;
		if (pe.type == ORSP_PE_OPT_USIM || pe.type == ORSP_PE_OPT_IOT)
			return (long)i;
	}
	return -1;
}

/* EF.GID1 / EF.GID2 (TS 31.102 §4.2.10, §4.2.11: operator-defined, unused bytes 'FF') of PE
 * pe: the content up to its last byte that is not 'FF'; *len 0 when the PE has no such file
 * or the file holds only 'FF'. */
static orsp_err gid_read(const orsp_pkg *pkg, long pe, const char *name, uint8_t gid[], size_t *len)
{
	uint8_t buf[256];
	size_t n = 0;
	orsp_err e;

	*len = 0;
	if (pe < 0)
		return ORSP_OK;
	e = orsp_pkg_file_read(pkg, (size_t)pe, name, buf, sizeof(buf), &n);
	if (e == ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		return ORSP_OK;
	}
	if (e)
		return orsp_errf(ORSP_E_POLICY, "profile owner: %s: %s", name, orsp_err_detail());
	while (n > 0 && buf[n - 1] == 0xFF)
		n--;
	if (n > ORSP_SMDP_GID_MAX)
		return orsp_errf(
		    ORSP_E_POLICY,
		    "profile owner: %s holds %zu bytes, more than the %d a GID may have", name, n,
		    ORSP_SMDP_GID_MAX);
	memcpy(gid, buf, n);
	*len = n;
	return ORSP_OK;
}

orsp_err smdp_owner_of(const orsp_pkg *pkg, const orsp_pkg_usim *u, unsigned mnc_len,
                       orsp_smdp_owner *out)
{
	unsigned mnc;
	long opt;
	orsp_err e;

	memset(out, 0, sizeof(*out));
	/* The MNC length is what the device reads from EF.AD to find the home network in the
	 * IMSI (TS 31.102 §4.2.18); the operator's value only stands in where EF.AD says
	 * nothing, and must not contradict it. */
	if (u->mnc_len && mnc_len && u->mnc_len != mnc_len)
		return orsp_errf(ORSP_E_POLICY,
		                 "profile owner: the package's EF.AD gives a %u-digit MNC, not %u",
		                 u->mnc_len, mnc_len);
	mnc = u->mnc_len ? u->mnc_len : mnc_len;
	if (mnc != 2 && mnc != 3)
		return orsp_errf(ORSP_E_POLICY,
		                 "profile owner: the package's EF.AD does not give the MNC length "
		                 "of IMSI %s; give it (2 or 3)",
		                 u->imsi);
	if (strlen(u->imsi) < 3 + mnc)
		return orsp_errf(ORSP_E_POLICY, "profile owner: IMSI %s is too short", u->imsi);
	memcpy(out->mcc_mnc, u->imsi, 3 + mnc);
	out->mcc_mnc[3 + mnc] = '\0';
	opt = opt_files_pe(pkg, u->pe_index);
	e = gid_read(pkg, opt, "ef-gid1", out->gid1, &out->gid1_len);
	if (!e)
		e = gid_read(pkg, opt, "ef-gid2", out->gid2, &out->gid2_len);
	return e;
}

orsp_err smdp_owner_check(const orsp_smdp_owner *o)
{
	size_t n = strlen(o->mcc_mnc);

	if ((n != 5 && n != 6) || strspn(o->mcc_mnc, "0123456789") != n ||
	    o->gid1_len > ORSP_SMDP_GID_MAX || o->gid2_len > ORSP_SMDP_GID_MAX)
		return orsp_errf(ORSP_E_MALFORMED, "stored profile owner is malformed");
	return ORSP_OK;
}

orsp_err smdp_put_policy(orsp_writer *w, const orsp_smdp_profile *p)
{
	uint8_t plmn[3], bits[2];
	unsigned top = 0;
	orsp_der_mark m;

	if (!p->ppr)
		return ORSP_OK;
	if ((p->ppr & ~ORSP_SMDP_PPR_ALL) || smdp_owner_check(&p->owner) ||
	    orsp_plmn_encode(p->owner.mcc_mnc, plmn))
		return orsp_errf(ORSP_E_MALFORMED, "profile %s: its PPRs or owner do not encode",
		                 p->iccid);
	/* profileOwner [23] OperatorID { mccMnc [0] (TS 24.008 coding), gid1 [1], gid2 [2] } */
	m = orsp_der_begin(w, 0xB7);
	orsp_der_put_tlv(w, 0x80, plmn, sizeof(plmn));
	if (p->owner.gid1_len)
		orsp_der_put_tlv(w, 0x81, p->owner.gid1, p->owner.gid1_len);
	if (p->owner.gid2_len)
		orsp_der_put_tlv(w, 0x82, p->owner.gid2, p->owner.gid2_len);
	orsp_der_end(w, m);
	/* profilePolicyRules [25] PprIds: a named-bit list, so DER drops the trailing zero bits
	 * (X.690 §11.2.2): bits 0..top in one octet, bit b at 0x80 >> b */
	for (unsigned b = 0; b < 8; b++)
		if (p->ppr & (1u << b))
			top = b;
	bits[0] = (uint8_t)(7 - top);
	bits[1] = 0;
	for (unsigned b = 0; b <= top; b++)
		if (p->ppr & (1u << b))
			bits[1] |= (uint8_t)(0x80u >> b);
	orsp_der_put_tlv(w, 0x99, bits, sizeof(bits));
	return orsp_writer_status(w);
}
