/* The ISIM's IMS identity (TS 31.103 §4.2.2-4.2.4) as a PE-ISIM defines it: EF.IMPI and
 * EF.DOMAIN (transparent) and EF.IMPU (linear fixed), each identity a tag-'80' TLV padded
 * with 'FF'. Read for `profile inspect`, written by personalisation (pkg_perso.c). */
#include <string.h>

#include "pkg_internal.h"

orsp_err isim_fit_file(File_t *f, const char *name, const char *text)
{
	Fcp_t *fcp = file_fcp(f);
	size_t n = text ? strlen(text) : 0;
	size_t need = n + (n < 0x80 ? 2 : 3); /* the tag-'80' TLV orsp_ims_encode_ef writes */
	uint8_t b[2];

	if (!fcp || !fcp->efFileSize || file_size(f, name) >= need)
		return ORSP_OK;
	/* PEDefinitions: efFileSize on the minimum number of octets. */
	b[0] = (uint8_t)(need >> 8);
	b[1] = (uint8_t)need;
	return need > 0xFF ? os_opt_set(&fcp->efFileSize, b, 2)
	                   : os_opt_set(&fcp->efFileSize, b + 1, 1);
}

orsp_err isim_file_bytes(const File_t *f, const char *name, const char *what, const char *text,
                         bool records, uint8_t *buf, size_t cap, size_t *len)
{
	size_t size = file_size(f, name), rec;
	orsp_err e;

	*len = 0;
	if (size == 0)
		return orsp_errf(ORSP_E_NOT_FOUND,
		                 "%s: the template gives no file size (efFileSize): no room known "
		                 "for the %s",
		                 name, what);
	if (size > cap)
		return orsp_errf(ORSP_E_POLICY,
		                 "%s: a file of %zu bytes, more than the %zu handled", name, size,
		                 cap);
	rec = records ? file_record_len(f, size) : size;
	/* TS 102 222: a linear fixed file holds whole records. Writing a record longer than the
	 * file would give a file the card reads no record of (nor does orsp_pkg_get_isim). */
	if (rec > size)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s: records of %zu bytes (fileDescriptor) in a file of %zu bytes",
		                 name, rec, size);
	/* nor one whose size is no whole number of records: the eUICC refuses such a file
	 * (orsp_pkg_ef_layout_check), and the validator too */
	if (size % rec != 0)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s: %zu bytes is not a whole number of records of %zu bytes",
		                 name, size, rec);
	/* Record 1 gets the identity, every other record is cleared: the template's other
	 * IMPUs belong to another subscriber. */
	memset(buf, 0xFF, size);
	e = orsp_ims_encode_ef(text, buf, rec);
	if (e)
		return orsp_errf(ORSP_E_USAGE, "%s: the %s %s does not fit the %s of %zu bytes: %s",
		                 name, what, text, records ? "record" : "file", rec,
		                 orsp_err_detail());
	*len = size;
	return ORSP_OK;
}

orsp_err orsp_pkg_get_isim(const orsp_pkg *pkg, size_t n, orsp_pkg_isim *out)
{
	uint8_t buf[4096];
	size_t len = 0, rec;
	long i;
	ProfileElement_t *pe;
	File_t *f;

	if (!pkg || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_isim: NULL argument");
	memset(out, 0, sizeof(*out));
	i = pkg_find(pkg, ORSP_PE_ISIM, n);
	if (i < 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "no PE-ISIM #%zu", n);
	out->pe_index = (size_t)i;
	pe = pkg->pe[i].asn;

	f = fs_file(pe, "ef-impi");
	if (f && file_content(&pkg->pe[i], f, "ef-impi", buf, sizeof(buf), &len) == ORSP_OK &&
	    orsp_ims_decode_ef(buf, len, out->impi, sizeof(out->impi)) == ORSP_OK)
		out->has_impi = true;
	f = fs_file(pe, "ef-domain");
	if (f && file_content(&pkg->pe[i], f, "ef-domain", buf, sizeof(buf), &len) == ORSP_OK &&
	    orsp_ims_decode_ef(buf, len, out->domain, sizeof(out->domain)) == ORSP_OK)
		out->has_domain = true;
	f = fs_file(pe, "ef-impu");
	if (f && file_content(&pkg->pe[i], f, "ef-impu", buf, sizeof(buf), &len) == ORSP_OK &&
	    len > 0) {
		rec = file_record_len(f, len);
		for (size_t r = 0; rec && r < len / rec && out->n_impu < ORSP_PKG_MAX_IMPU; r++) {
			if (orsp_ims_decode_ef(buf + r * rec, rec, out->impu[out->n_impu],
			                       sizeof(out->impu[0])) != ORSP_OK)
				continue;
			out->impu_record[out->n_impu++] = (unsigned)r + 1;
		}
	}
	orsp_err_clear();
	return ORSP_OK;
}
