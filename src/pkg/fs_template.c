/* The TCA file templates (eUICC Profile Package: Interoperable Format, Annex A) as far as
 * openrsp uses them, and the layout rules of a working EF. Shared by the package validator
 * (pkg_validate.c) and the eUICC's USIM/ISIM loader (src/euicc/usim_fs.c), so that what the
 * validator lets through is what the eUICC can create. */
#include <string.h>

#include "pkg_internal.h"

#define FD_DF ORSP_PKG_FD_DF
#define FD_TR ORSP_PKG_FD_TR
#define FD_LF ORSP_PKG_FD_LF

/* Annex A: §9.2 files at MF, §9.5.1 ADF.USIM (created by default), §9.5.2 optional USIM files
 * (a subset), §9.6.1 ADF.ISIM (created by default), §9.6.2 optional ISIM files (those that
 * are not BER-TLV EFs). FIDs and sizes per TS 102 221 §13, TS 31.102 §4.2 and TS 31.103
 * §4.2; a size 0 is one the package gives. */
static const orsp_pkg_tpl_file tpl[] = {
    {ORSP_PE_MF, "mf", 0x3F00, FD_DF, 0, 0, 0, NULL, false},
    {ORSP_PE_MF, "ef-pl", 0x2F05, FD_TR, 0, 2, 0x05, "FF", false},
    {ORSP_PE_MF, "ef-iccid", 0x2FE2, FD_TR, 0, 10, 0, NULL, false},
    {ORSP_PE_MF, "ef-dir", 0x2F00, FD_LF, 0, 0, 0x1E, NULL, false},
    {ORSP_PE_MF, "ef-arr", 0x2F06, FD_LF, 0, 0, 0, NULL, false},
    {ORSP_PE_MF, "ef-umpc", 0x2F08, FD_TR, 0, 5, 0x08, NULL, false},
    {ORSP_PE_USIM, "ef-imsi", 0x6F07, FD_TR, 0, 9, 0x07, NULL, false},
    {ORSP_PE_USIM, "ef-arr", 0x6F06, FD_LF, 0, 0, 0x17, NULL, false},
    {ORSP_PE_USIM, "ef-keys", 0x6F08, FD_TR, 0, 33, 0x08, "07FF", false},
    {ORSP_PE_USIM, "ef-keysPS", 0x6F09, FD_TR, 0, 33, 0x09, "07FF", false},
    {ORSP_PE_USIM, "ef-hpplmn", 0x6F31, FD_TR, 0, 1, 0x12, "0A", false},
    /* 14 in the first ADF.USIM template (2.23.143.1.2.4, every TS.48 package's), 17 in its
     * second (2.23.143.1.2.4.2): orsp_pkg_tpl_size */
    {ORSP_PE_USIM, "ef-ust", 0x6F38, FD_TR, 0, 14, 0x04, NULL, false},
    {ORSP_PE_USIM, "ef-fdn", 0x6F3B, FD_LF, 26, 20 * 26, 0, "FF", false},
    {ORSP_PE_USIM, "ef-sms", 0x6F3C, FD_LF, 176, 10 * 176, 0, "00FF", false},
    {ORSP_PE_USIM, "ef-smsp", 0x6F42, FD_LF, 38, 38, 0, "FF", false},
    {ORSP_PE_USIM, "ef-smss", 0x6F43, FD_TR, 0, 2, 0, "FF", false},
    {ORSP_PE_USIM, "ef-spn", 0x6F46, FD_TR, 0, 17, 0, NULL, false},
    {ORSP_PE_USIM, "ef-est", 0x6F56, FD_TR, 0, 1, 0x05, NULL, false},
    {ORSP_PE_USIM, "ef-start-hfn", 0x6F5B, FD_TR, 0, 6, 0x0F, "F00000F00000", false},
    {ORSP_PE_USIM, "ef-threshold", 0x6F5C, FD_TR, 0, 3, 0x10, "FF", false},
    {ORSP_PE_USIM, "ef-psloci", 0x6F73, FD_TR, 0, 14, 0x0C, "FFFFFFFFFFFFFFFFFFFF0000FF01", false},
    {ORSP_PE_USIM, "ef-acc", 0x6F78, FD_TR, 0, 2, 0x06, NULL, false},
    {ORSP_PE_USIM, "ef-fplmn", 0x6F7B, FD_TR, 0, 12, 0x0D, "FF", false},
    {ORSP_PE_USIM, "ef-loci", 0x6F7E, FD_TR, 0, 11, 0x0B, "FFFFFFFFFFFFFF0000FF01", false},
    {ORSP_PE_USIM, "ef-ad", 0x6FAD, FD_TR, 0, 4, 0x03, "00000002", false},
    {ORSP_PE_USIM, "ef-ecc", 0x6FB7, FD_LF, 4, 4, 0x01, NULL, false},
    {ORSP_PE_USIM, "ef-netpar", 0x6FC4, FD_TR, 0, 128, 0, "FF", false},
    {ORSP_PE_USIM, "ef-epsloci", 0x6FE3, FD_TR, 0, 18, 0x1E, "FFFFFFFFFFFFFFFFFFFFFFFFFFFFFF000001",
     false},
    {ORSP_PE_USIM, "ef-epsnsc", 0x6FE4, FD_LF, 80, 80, 0x18, "FF", false},
    {ORSP_PE_OPT_USIM, "ef-li", 0x6F05, FD_TR, 0, 6, 0x02, "FF", false},
    {ORSP_PE_OPT_USIM, "ef-gid1", 0x6F3E, FD_TR, 0, 8, 0, NULL, false},
    {ORSP_PE_OPT_USIM, "ef-gid2", 0x6F3F, FD_TR, 0, 8, 0, NULL, false},
    {ORSP_PE_OPT_USIM, "ef-msisdn", 0x6F40, FD_LF, 24, 24, 0, "FF", false},
    {ORSP_PE_OPT_USIM, "ef-cbmid", 0x6F48, FD_TR, 0, 10, 0x0E, "FF", false},
    {ORSP_PE_OPT_USIM, "ef-plmnwact", 0x6F60, FD_TR, 0, 40, 0x0A, NULL, false},
    {ORSP_PE_OPT_USIM, "ef-oplmnwact", 0x6F61, FD_TR, 0, 40, 0x11, NULL, false},
    {ORSP_PE_OPT_USIM, "ef-hplmnwact", 0x6F62, FD_TR, 0, 5, 0x13, NULL, false},
    {ORSP_PE_OPT_USIM, "ef-pnn", 0x6FC5, FD_LF, 16, 10 * 16, 0x19, NULL, false},
    {ORSP_PE_OPT_USIM, "ef-opl", 0x6FC6, FD_LF, 8, 5 * 8, 0x1A, NULL, false},
    {ORSP_PE_OPT_USIM, "ef-spdi", 0x6FCD, FD_TR, 0, 17, 0x1B, NULL, false},
    {ORSP_PE_OPT_USIM, "ef-ehplmn", 0x6FD9, FD_TR, 0, 15, 0x1D, "FF", false},
    {ORSP_PE_ISIM, "ef-impi", 0x6F02, FD_TR, 0, 0, 0x02, NULL, false},
    {ORSP_PE_ISIM, "ef-domain", 0x6F03, FD_TR, 0, 0, 0x05, NULL, false},
    {ORSP_PE_ISIM, "ef-impu", 0x6F04, FD_LF, 0, 0, 0x04, NULL, true},
    {ORSP_PE_ISIM, "ef-arr", 0x6F06, FD_LF, 0, 0, 0x06, NULL, false},
    {ORSP_PE_ISIM, "ef-ist", 0x6F07, FD_TR, 0, 14, 0x07, "00", false},
    {ORSP_PE_ISIM, "ef-ad", 0x6FAD, FD_TR, 0, 3, 0x03, "00", false},
    {ORSP_PE_OPT_ISIM, "ef-pcscf", 0x6F09, FD_LF, 0, 0, 0, NULL, true},
    {ORSP_PE_OPT_ISIM, "ef-sms", 0x6F3C, FD_LF, 176, 10 * 176, 0, "00FF", false},
    {ORSP_PE_OPT_ISIM, "ef-smsp", 0x6F42, FD_LF, 38, 38, 0, "FF", false},
    {ORSP_PE_OPT_ISIM, "ef-smss", 0x6F43, FD_TR, 0, 2, 0, "FF", false},
    {ORSP_PE_OPT_ISIM, "ef-smsr", 0x6F47, FD_LF, 30, 10 * 30, 0, "00FF", false},
    {ORSP_PE_OPT_ISIM, "ef-gbabp", 0x6FD5, FD_TR, 0, 0, 0, "FF", false},
    {ORSP_PE_OPT_ISIM, "ef-gbanl", 0x6FD7, FD_LF, 0, 0, 0, "FF", false},
    {ORSP_PE_OPT_ISIM, "ef-nafkca", 0x6FDD, FD_LF, 0, 0, 0, "FF", false},
    {ORSP_PE_OPT_ISIM, "ef-uicciari", 0x6FE7, FD_LF, 0, 0, 0, NULL, false},
    {ORSP_PE_OPT_ISIM, "ef-frompreferred", 0x6FF7, FD_TR, 0, 1, 0, "00", false},
};

const orsp_pkg_tpl_file *orsp_pkg_tpl_files(size_t *n)
{
	if (n)
		*n = ORSP_ARRAY_LEN(tpl);
	return tpl;
}

size_t orsp_pkg_tpl_size(const orsp_pkg_tpl_file *t, const char *oid)
{
	if (t->pe == ORSP_PE_USIM && strcmp(t->name, "ef-ust") == 0 && oid &&
	    strcmp(oid, ORSP_PKG_TPL_USIM_V2) == 0)
		return 17;
	return t->size;
}

const orsp_pkg_tpl_file *orsp_pkg_tpl_find(orsp_pe_type pe, const char *name)
{
	for (size_t i = 0; name && i < ORSP_ARRAY_LEN(tpl); i++)
		if (tpl[i].pe == pe && strcmp(tpl[i].name, name) == 0)
			return &tpl[i];
	return NULL;
}

void orsp_pkg_fill_pattern(uint8_t *dst, size_t n, size_t rec_len, const uint8_t *pat, size_t plen,
                           bool repeat)
{
	size_t unit = rec_len ? rec_len : n;

	memset(dst, 0xFF, n);
	if (!pat || plen == 0)
		return;
	for (size_t r = 0; r < n; r += unit)
		for (size_t b = 0; b < unit && r + b < n; b++)
			dst[r + b] = repeat ? pat[b % plen] : b < plen ? pat[b] : pat[plen - 1];
}

bool orsp_pkg_fid_reserved(uint16_t fid)
{
	return fid == 0x3F00 || fid == 0x7FFF || fid == 0xFFFF;
}

orsp_err orsp_pkg_ef_layout_check(const char *name, uint8_t fd, size_t rec_len, size_t size)
{
	unsigned structure = fd & 0x07;

	/* TS 102 221 §11.1.1.4.3: b6-b4 111 is a DF (or a BER-TLV EF); structure 1 is a
	 * transparent EF, 2 linear fixed, 6 cyclic. Other files have no such layout. */
	if ((fd & ORSP_PKG_FD_DF) == ORSP_PKG_FD_DF ||
	    (structure != 1 && structure != 2 && structure != 6))
		return ORSP_OK;
	/* the FCP's file size (tag 80) is 2 bytes */
	if (size == 0 || size > 0xFFFF)
		return orsp_errf(ORSP_E_MALFORMED, "%s: a file of %zu bytes (1 to 65535)", name,
		                 size);
	if (structure == 1)
		return ORSP_OK;
	/* TS 102 221 §11.1.1.4.3: the record length is 1 byte of the descriptor's 2 (records of
	 * 1 to 255 bytes), the number of records 1 byte (1 to 254, FF being reserved); a
	 * linear fixed or cyclic file holds whole records. */
	if (rec_len == 0)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s: a record file without a record length (the fileDescriptor "
		                 "gives none, nor does the template)",
		                 name);
	if (rec_len > 255)
		return orsp_errf(ORSP_E_MALFORMED, "%s: records of %zu bytes (at most 255)", name,
		                 rec_len);
	if (size % rec_len != 0)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "%s: %zu bytes is not a whole number of records of %zu bytes",
		                 name, size, rec_len);
	if (size / rec_len > 254)
		return orsp_errf(ORSP_E_MALFORMED, "%s: %zu records of %zu bytes (at most 254)",
		                 name, size / rec_len, rec_len);
	return ORSP_OK;
}

bool orsp_pkg_naa_aid(orsp_pe_type naa, const uint8_t *aid, size_t len)
{
	/* TS 101 220 Annex E: the 3GPP RID and the application code, USIM 1002 (TS 31.102 Annex
	 * A), ISIM 1004 (TS 31.103 Annex A); an AID of at most 16 bytes (ISO/IEC 7816-4) */
	static const uint8_t prefix[] = {0xA0, 0x00, 0x00, 0x00, 0x87, 0x10};
	uint8_t code = naa == ORSP_PE_USIM ? 0x02 : naa == ORSP_PE_ISIM ? 0x04 : 0;

	if (!aid || !code || len < sizeof(prefix) + 1 || len > 16)
		return false;
	return memcmp(aid, prefix, sizeof(prefix)) == 0 && aid[sizeof(prefix)] == code;
}
