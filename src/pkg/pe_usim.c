/* The USIM as the package defines it: EF.IMSI, EF.AD and EF.SPN of each PE-USIM (or of the
 * IoT Minimal Profile's PE-IoT / PE-OPT-IoT), read through the file linearisation. */
#include <string.h>

#include "pkg_internal.h"

/* The n-th PE-USIM or PE-IoT index, or -1. */
static long nth_usim(const orsp_pkg *pkg, size_t n)
{
	for (size_t i = 0; i < pkg->n; i++)
		if ((pkg->pe[i].type == ORSP_PE_USIM || pkg->pe[i].type == ORSP_PE_IOT) && n-- == 0)
			return (long)i;
	return -1;
}

/* EF.SPN of a PE-IoT lives in the PE-OPT-IoT that follows it; *owner the PE it is in. */
static File_t *spn_file(const orsp_pkg *pkg, size_t usim, const pkg_pe **owner)
{
	*owner = &pkg->pe[usim];
	if (pkg->pe[usim].type == ORSP_PE_USIM)
		return fs_file(pkg->pe[usim].asn, "ef-spn");
	for (size_t i = usim + 1; i < pkg->n; i++) {
		if (pkg->pe[i].type == ORSP_PE_USIM || pkg->pe[i].type == ORSP_PE_IOT)
			break;
		*owner = &pkg->pe[i];
		if (pkg->pe[i].type == ORSP_PE_OPT_IOT)
			return fs_file(pkg->pe[i].asn, "ef-spn");
	}
	return NULL;
}

orsp_err orsp_pkg_get_usim(const orsp_pkg *pkg, size_t n, orsp_pkg_usim *out)
{
	uint8_t buf[256];
	size_t len = 0;
	long i;
	ProfileElement_t *pe;
	const pkg_pe *owner = NULL;
	File_t *f;

	if (!pkg || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_usim: NULL argument");
	memset(out, 0, sizeof(*out));
	i = nth_usim(pkg, n);
	if (i < 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "no PE-USIM #%zu", n);
	out->pe_index = (size_t)i;
	pe = pkg->pe[i].asn;

	f = file_created(fs_file(pe, "ef-imsi"));
	if (f && file_content(&pkg->pe[i], f, "ef-imsi", buf, sizeof(buf), &len) == ORSP_OK &&
	    orsp_imsi_decode_ef(buf, len, out->imsi) == ORSP_OK)
		out->has_imsi = true;

	f = fs_file(pe, "ef-ad");
	/* An EF.AD the package leaves out, or gives only a size, has the TCA template's
	 * content '00000002' (Annex A, ADF.USIM): a 2-digit MNC, as the USIM serves it
	 * (src/euicc/usim_fs.c) and as personalisation assumes it (pkg_perso.c). One marked
	 * doNotCreate is no EF.AD (has_ad false), and the template's content is that of a file
	 * it creates: nothing gives the MNC length (0; it read as 2, which split a 3-digit
	 * MNC's IMSI wrongly, into the ISIM's IMS domain say). */
	if (!f || (!file_do_not_create(f) && !file_defines_content(f)))
		out->mnc_len = 2;
	f = file_created(f);
	if (f && file_content(&pkg->pe[i], f, "ef-ad", buf, sizeof(buf), &len) == ORSP_OK &&
	    len > 0) {
		out->has_ad = true;
		out->ad_len = len < sizeof(out->ad) ? len : sizeof(out->ad);
		memcpy(out->ad, buf, out->ad_len);
		/* TS 31.102 §4.2.18: byte 4, b1..b4 = number of MNC digits. */
		if (len >= 4 && ((buf[3] & 0x0F) == 2 || (buf[3] & 0x0F) == 3))
			out->mnc_len = buf[3] & 0x0Fu;
	}

	f = file_created(spn_file(pkg, (size_t)i, &owner));
	if (f && file_content(owner, f, "ef-spn", buf, sizeof(buf), &len) == ORSP_OK &&
	    orsp_spn_decode_ef(buf, len, &out->spn_display, out->spn, sizeof(out->spn)) == ORSP_OK)
		out->has_spn = true;
	orsp_err_clear();
	return ORSP_OK;
}
