/* Structure rules of a profile package (TCA eUICC Profile Package Interoperable Format, §8
 * "Profile Elements" and the PEDefinitions comments), each reported against the PE that breaks
 * it. docs/pkg.md lists the rules and where they come from. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/der.h"
#include "pkg_internal.h"

typedef struct vctx {
	const orsp_pkg *pkg;
	orsp_pkg_report *rep;
	unsigned flags; /* ORSP_PKG_VALIDATE_* */
	char first[256];
} vctx;

static void add(vctx *v, bool error, long pe, const char *fmt, ...) ORSP_PRINTF(4, 5);

static void add(vctx *v, bool error, long pe, const char *fmt, ...)
{
	orsp_pkg_report *r = v->rep;
	orsp_pkg_issue tmp, *is;
	va_list ap;

	if (error)
		r->errors++;
	else
		r->warnings++;
	is = r->n < ORSP_PKG_MAX_ISSUES ? &r->issue[r->n++] : &tmp;
	if (is == &tmp)
		r->truncated = true;
	memset(is, 0, sizeof(*is));
	is->error = error;
	is->pe = pe;
	is->type = pe >= 0 ? v->pkg->pe[pe].type : ORSP_PE_UNKNOWN;
	va_start(ap, fmt);
	vsnprintf(is->msg, sizeof(is->msg), fmt, ap);
	va_end(ap);
	if (error && !v->first[0])
		orsp_pkg_issue_format(is, v->first, sizeof(v->first));
}

void orsp_pkg_issue_format(const orsp_pkg_issue *is, char *buf, size_t cap)
{
	if (is->pe >= 0)
		snprintf(buf, cap, "%s: PE #%ld (%s): %s", is->error ? "error" : "warning", is->pe,
		         orsp_pe_type_name(is->type), is->msg);
	else
		snprintf(buf, cap, "%s: package: %s", is->error ? "error" : "warning", is->msg);
}

static size_t count_type(const orsp_pkg *pkg, orsp_pe_type t)
{
	size_t n = 0;
	for (size_t i = 0; i < pkg->n; i++)
		n += pkg->pe[i].type == t;
	return n;
}

static long first_of(const orsp_pkg *pkg, orsp_pe_type t)
{
	return pkg_find(pkg, t, 0);
}

/* A known PE that does not re-encode to its received bytes. X.690 §8.3.2, §11: the values
 * must be DER too, not only the TLV structure orsp_der_validate checks; asn1c decodes BER, so
 * re-encoding is the check. An element of a later PEDefinitions, which the decoder drops,
 * cannot be told apart. (asn1c keeps a value equal to its DEFAULT as given, so that passes:
 * GSMA's TS.48 profiles encode lcsi '05'H and the like.) */
static void check_lossy(vctx *v, size_t i)
{
	const PEHeader_t *h;

	if (!(v->flags & ORSP_PKG_VALIDATE_INSTALL)) {
		/* who vouches for the package cannot check what the model drops */
		add(v, true, (long)i,
		    "not DER: re-encoding it gives other bytes (a non-minimal INTEGER, a "
		    "BOOLEAN not 00/FF, a constructed string, or an element this "
		    "PEDefinitions version does not know)");
		return;
	}
	/* TCA SAIP error handling: a PE the eUICC cannot fully process is a warning and
	 * installation goes on, unless its PEHeader marks it mandated */
	h = pe_header(v->pkg->pe[i].asn);
	if (h && h->mandated)
		add(v, true, (long)i,
		    "mandated, and holds what this eUICC cannot process: re-encoding it gives "
		    "other bytes (an element this PEDefinitions version does not know, or a "
		    "value that is not DER)");
	else
		add(v, false, (long)i,
		    "processed without what re-encoding drops (an element this PEDefinitions "
		    "version does not know, or a value that is not DER); not mandated");
}

/* PE-Header first and once, PE-End last and once, reserved (rfu) and unknown PEs, PEs that
 * are not DER. */
static void check_order(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;

	if (pkg->n == 0) {
		add(v, true, -1, "no profile elements");
		return;
	}
	if (pkg->pe[0].type != ORSP_PE_HEADER)
		add(v, true, 0, "the first PE must be the ProfileHeader (PE-Header)");
	if (pkg->pe[pkg->n - 1].type != ORSP_PE_END)
		add(v, true, (long)pkg->n - 1, "the last PE must be PE-End");
	for (size_t i = 0; i < pkg->n; i++) {
		const pkg_pe *p = &pkg->pe[i];
		if (p->type == ORSP_PE_HEADER && i > 0)
			add(v, true, (long)i,
			    "a ProfileHeader after PE #0: it must be first and unique");
		if (p->type == ORSP_PE_END && i + 1 < pkg->n)
			add(v, true, (long)i,
			    "PE-End before the last PE: it must be last and unique");
		if (p->type >= ORSP_PE_RFU1 && p->type <= ORSP_PE_RFU5)
			add(v, true, (long)i,
			    "a reserved alternative (PEDefinitions keeps rfu1..rfu5 for future "
			    "PEs; none is defined)");
		else if (p->type == ORSP_PE_UNKNOWN && p->unknown_mandated)
			/* TCA SAIP error handling: a mandated PE the eUICC cannot process stops
			 * the installation; nor can who vouches for the package check it */
			add(v, true, (long)i,
			    "mandated, and an alternative this PEDefinitions version does not "
			    "know: it cannot be processed");
		else if (p->type == ORSP_PE_UNKNOWN)
			add(v, false, (long)i,
			    "an alternative this PEDefinitions version does not know; kept as "
			    "received");
		else if (!p->lossless)
			check_lossy(v, i);
	}
}

/* PEHeader.identification: unique within the package. GSMA TS.48 packages number their PEs
 * out of order (PE-PINCodes 2 after PE-PUKCodes 5), so order is not required. */
static void check_ids(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;

	for (size_t i = 0; i < pkg->n; i++) {
		PEHeader_t *h = pe_header(pkg->pe[i].asn);
		if (!h)
			continue;
		for (size_t j = 0; j < i; j++) {
			PEHeader_t *g = pe_header(pkg->pe[j].asn);
			if (g && g->identification == h->identification) {
				add(v, true, (long)i, "identification %ld already used by PE #%zu",
				    h->identification, j);
				break;
			}
		}
	}
}

/* Whether the package gives file f content (buf, its len bytes as the file system would hold
 * them): a fill pattern or fillFileContent, and not only 'FF' (a file left empty). Content
 * in part of the file, the rest 'FF', is content, judged whole. */
static bool content_defined(const File_t *f, const uint8_t *buf, size_t len)
{
	if (!file_defines_content(f))
		return false;
	for (size_t k = 0; k < len; k++)
		if (buf[k] != 0xFF)
			return true;
	return false;
}

/* EF.ICCID of file-system PE i (PE-MF, or PE-IoT's for the IoT Minimal Profile), if it has
 * one: 10 bytes (TS 102 221 §13.2) holding the header's ICCID, or left undefined. */
static void check_ef_iccid(vctx *v, size_t i, const char *iccid)
{
	uint8_t buf[64];
	size_t len = 0;
	char ef[21];
	File_t *f = fs_file(v->pkg->pe[i].asn, "ef-iccid");

	if (!f)
		return;
	/* One this check cannot read is not skipped. */
	if (file_content(&v->pkg->pe[i], f, "ef-iccid", buf, sizeof(buf), &len) != ORSP_OK) {
		add(v, true, (long)i, "cannot check ef-iccid (10 bytes in TS 102 221 §13.2): %s",
		    orsp_err_detail());
		return;
	}
	/* the file the template creates has the wrong size, whatever its content */
	if (len != 10) {
		add(v, true, (long)i, "ef-iccid is %zu bytes, TS 102 221 §13.2 makes it 10", len);
		return;
	}
	if (!content_defined(f, buf, len))
		return; /* not defined by the package: personalisation writes it */
	if (orsp_iccid_decode_ef(buf, ef) != ORSP_OK)
		add(v, true, (long)i, "ef-iccid: content is not a BCD ICCID");
	else if (strcmp(ef, iccid) != 0)
		add(v, true, (long)i, "ef-iccid holds %s, the ProfileHeader %s", ef, iccid);
}

static void check_header(vctx *v, const ProfileHeader_t *h, long hi)
{
	const orsp_pkg *pkg = v->pkg;
	char iccid[21];

	if (h->major_version != 2 && h->major_version != 3)
		add(v, true, hi, "PEDefinitions version %ld.%ld is not supported (2.x, 3.x)",
		    h->major_version, h->minor_version);
	/* profileType: the SM-DP+ sends it as the profile's name (StoreMetadata), which an LPA
	 * shows to the end user: UTF-8 text, no control character (an escape sequence there is
	 * the package's to send to a terminal; `generate --name` refuses them too). An error for
	 * who vouches for the package (import took it until session 57), a warning for an eUICC
	 * installing it (the name is the SM-DP+'s, shown cleaned by openrsp's LPA) */
	if (h->profileType) {
		long chars =
		    orsp_utf8_text_chars(h->profileType->buf, (size_t)h->profileType->size);
		if (chars < 0)
			add(v, !(v->flags & ORSP_PKG_VALIDATE_INSTALL), hi,
			    "profileType: %s (the profile's name, shown to the end user: text only)",
			    chars == -2 ? "holds a control character" : "not UTF-8");
	}
	/* ITU-T E.118: up to 20 digits, the last a Luhn check digit. */
	if (orsp_iccid_decode_header(h->iccid.buf, iccid) != ORSP_OK) {
		add(v, true, hi, "iccid is not BCD digits followed by 'F' padding");
		return;
	}
	if (orsp_iccid_check(iccid) != ORSP_OK)
		add(v, true, hi, "iccid %s: %s", iccid, orsp_err_detail());
	/* every EF.ICCID personalisation writes (apply_iccid) */
	for (size_t i = 0; i < pkg->n; i++)
		if (pkg->pe[i].type == ORSP_PE_MF || pkg->pe[i].type == ORSP_PE_IOT)
			check_ef_iccid(v, i, iccid);
}

/* The PEs the header's eUICC-Mandatory-services need, and their dependencies. */
static void check_services(vctx *v, const ProfileHeader_t *h, long hi)
{
	const orsp_pkg *pkg = v->pkg;
	const ServicesList_t *s = &h->eUICC_Mandatory_services;
	bool usim = svc_get(s, ORSP_SVC_USIM), isim = svc_get(s, ORSP_SVC_ISIM);
	bool csim = svc_get(s, ORSP_SVC_CSIM);
	size_t n_usim = count_type(pkg, ORSP_PE_USIM) + count_type(pkg, ORSP_PE_IOT);
	size_t n_isim = count_type(pkg, ORSP_PE_ISIM), n_csim = count_type(pkg, ORSP_PE_CSIM);
	static const struct {
		orsp_pkg_service svc, needs;
	} deps[] = {
	    {ORSP_SVC_GBA_USIM, ORSP_SVC_USIM},      {ORSP_SVC_MULTIPLE_USIM, ORSP_SVC_USIM},
	    {ORSP_SVC_GBA_ISIM, ORSP_SVC_ISIM},      {ORSP_SVC_MULTIPLE_ISIM, ORSP_SVC_ISIM},
	    {ORSP_SVC_MULTIPLE_CSIM, ORSP_SVC_CSIM},
	};

	if (usim && n_usim == 0)
		add(v, true, hi, "mandatory service usim but no PE-USIM (or PE-IoT)");
	if (isim && n_isim == 0)
		add(v, true, hi, "mandatory service isim but no PE-ISIM");
	if (csim && n_csim == 0)
		add(v, true, hi, "mandatory service csim but no PE-CSIM");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(deps); i++)
		if (svc_get(s, deps[i].svc) && !svc_get(s, deps[i].needs))
			add(v, true, hi, "mandatory service %s needs service %s",
			    orsp_pkg_service_name(deps[i].svc),
			    orsp_pkg_service_name(deps[i].needs));
	for (int x = ORSP_SVC_GET_IDENTITY; x <= ORSP_SVC_SUCI_CALCULATOR_API; x++)
		if (svc_get(s, (orsp_pkg_service)x) && !usim && !isim)
			add(v, true, hi, "mandatory service %s needs service usim or isim",
			    orsp_pkg_service_name((orsp_pkg_service)x));
	if (count_type(pkg, ORSP_PE_USIM) > 1 && !svc_get(s, ORSP_SVC_MULTIPLE_USIM))
		add(v, true, pkg_find(pkg, ORSP_PE_USIM, 1),
		    "a second PE-USIM without the multiple-usim service");
	if (n_isim > 1 && !svc_get(s, ORSP_SVC_MULTIPLE_ISIM))
		add(v, true, pkg_find(pkg, ORSP_PE_ISIM, 1),
		    "a second PE-ISIM without the multiple-isim service");
	if (n_csim > 1 && !svc_get(s, ORSP_SVC_MULTIPLE_CSIM))
		add(v, true, pkg_find(pkg, ORSP_PE_CSIM, 1),
		    "a second PE-CSIM without the multiple-csim service");
}

/* File-system PEs: the MF comes first, once; an NAA's optional and sub-directory PEs follow
 * the NAA PE they extend. */
static void check_fs_order(vctx *v)
{
	static const struct {
		orsp_pe_type t, parent;
	} needs[] = {
	    {ORSP_PE_OPT_USIM, ORSP_PE_USIM},   {ORSP_PE_PHONEBOOK, ORSP_PE_USIM},
	    {ORSP_PE_GSM_ACCESS, ORSP_PE_USIM}, {ORSP_PE_DF_5GS, ORSP_PE_USIM},
	    {ORSP_PE_DF_SAIP, ORSP_PE_USIM},    {ORSP_PE_DF_SNPN, ORSP_PE_USIM},
	    {ORSP_PE_DF_5GPROSE, ORSP_PE_USIM}, {ORSP_PE_OPT_ISIM, ORSP_PE_ISIM},
	    {ORSP_PE_OPT_CSIM, ORSP_PE_CSIM},   {ORSP_PE_OPT_IOT, ORSP_PE_IOT},
	};
	const orsp_pkg *pkg = v->pkg;
	long mf = first_of(pkg, ORSP_PE_MF);
	orsp_pe_type naa = ORSP_PE__COUNT; /* the last NAA's PE: none yet */

	if (mf < 0 && first_of(pkg, ORSP_PE_IOT) < 0)
		add(v, true, -1, "no PE-MF: the MF and its files are not created");
	for (orsp_pe_type t = ORSP_PE_MF; t <= ORSP_PE_TELECOM; t++)
		if (count_type(pkg, t) > 1)
			add(v, true, pkg_find(pkg, t, 1), "a second PE-%s", orsp_pe_type_name(t));
	for (size_t i = 0; i < pkg->n; i++) {
		orsp_pe_type t = pkg->pe[i].type;
		if (orsp_pe_type_is_fs(t) && t != ORSP_PE_MF && mf >= 0 && (long)i < mf)
			add(v, true, (long)i, "a file-system PE before PE-MF");
		/* the NAA's PE itself, and no other NAA's after it: its files go into that
		 * NAA's ADF, up to the next NAA's PE (an eUICC, openrsp's too, puts them
		 * nowhere else) */
		for (size_t k = 0; k < ORSP_ARRAY_LEN(needs); k++)
			if (needs[k].t == t && naa != needs[k].parent)
				add(v, true, (long)i,
				    naa == ORSP_PE__COUNT || first_of(pkg, needs[k].parent) < 0 ||
				            first_of(pkg, needs[k].parent) > (long)i
				        ? "needs a preceding PE-%s"
				        : "needs a preceding PE-%s with no other NAA's PE between "
				          "them",
				    orsp_pe_type_name(needs[k].parent));
		if (t == ORSP_PE_USIM || t == ORSP_PE_ISIM || t == ORSP_PE_CSIM || t == ORSP_PE_IOT)
			naa = t;
	}
}

/* The ADF dfName of a PE-USIM or PE-ISIM: that NAA's AID (TS 101 220 Annex E), the one the
 * eUICC registers the application under. */
static void check_adf_aid(vctx *v, size_t i, bool err, const char *name, const Fcp_t *fcp)
{
	orsp_pe_type t = v->pkg->pe[i].type;
	const OCTET_STRING_t *aid = fcp ? fcp->dfName : NULL;
	char hex[2 * 16 + 1] = "";

	if (!aid || !((t == ORSP_PE_USIM && strcmp(name, "adf-usim") == 0) ||
	              (t == ORSP_PE_ISIM && strcmp(name, "adf-isim") == 0)))
		return;
	if (orsp_pkg_naa_aid(t, aid->buf, (size_t)aid->size))
		return;
	if (orsp_hex_encode(aid->buf, (size_t)aid->size, hex, sizeof(hex)) != ORSP_OK)
		hex[0] = '\0';
	add(v, err, (long)i, "%s: dfName %s is not a%s AID (TS 101 220 Annex E: %s...)", name, hex,
	    t == ORSP_PE_USIM ? " USIM" : "n ISIM",
	    t == ORSP_PE_USIM ? "A0000000871002" : "A0000000871004");
}

/* Whether openrsp's eUICC, creating file `name` of a PE of type pe (src/euicc/usim_fs.c,
 * add_file), leaves it out, its content with it, for want of a size: a transparent, linear
 * fixed or cyclic EF of its template table (PE-MF's, the USIM's and the ISIM's and some of
 * their optional files) whose Fcp has no efFileSize and whose template gives no size (EF.DIR,
 * EF.ARR, EF.IMPI, ...). PEDefinitions Fcp.efFileSize: "Mandatory for EF file types". A file
 * the table does not know is not judged: its TCA template may give the size (TS.48 gives
 * EF.ACMmax none); the eUICC serves such a file only with a complete Fcp (docs/usim.md). An
 * efFileSize given is judged by its value (orsp_pkg_ef_layout_check). */
static bool ef_unsized(const char *name, const Fcp_t *fcp, const orsp_pkg_tpl_file *t)
{
	const OCTET_STRING_t *fd = fcp ? fcp->fileDescriptor : NULL;
	const OCTET_STRING_t *id = fcp ? fcp->fileID : NULL;
	uint8_t d;

	if (!t || t->size != 0 || (fcp && fcp->efFileSize))
		return false;
	/* the ADFs: no file of the eUICC's tables */
	if (strcmp(name, "adf-usim") == 0 || strcmp(name, "adf-isim") == 0)
		return false;
	if (id && id->size == 2 ? (id->buf[0] | id->buf[1]) == 0 : t->fid == 0)
		return false; /* not addressable: not created whatever its size */
	d = fd && fd->size > 0 ? fd->buf[0] : t->fd;
	/* a DF, a BER-TLV EF: no such size */
	return (d & 0x38) != 0x38 && ((d & 0x07) == 1 || (d & 0x07) == 2 || (d & 0x07) == 6);
}

/* A File as the eUICC creates it (TCA Annex A template values under the PE's Fcp, as
 * src/euicc/usim_fs.c takes them): the fileDescriptor 2 bytes, or 4 with the record length
 * (TS 102 222 §6.3.2.1); fillFileOffset a UInt16; the contents within the file's size; the
 * layout of a working EF (orsp_pkg_ef_layout_check). For who vouches for the package these
 * are errors; an eUICC installing has its trial load decide (docs/euicc.md): warnings. */
static void check_layout(vctx *v, size_t i, const char *name, const File_t *f)
{
	bool err = !(v->flags & ORSP_PKG_VALIDATE_INSTALL);
	const orsp_pkg_tpl_file *t = orsp_pkg_tpl_find(v->pkg->pe[i].type, name);
	const Fcp_t *fcp = file_fcp(f);
	const OCTET_STRING_t *fd = fcp ? fcp->fileDescriptor : NULL;
	const OCTET_STRING_t *fs = fcp ? fcp->efFileSize : NULL;
	bool has_fd = t != NULL;
	uint8_t d = t ? t->fd : 0;
	char oid[ORSP_PKG_OID_MAX];
	size_t rec = 0, size, pos = 0, end = 0;

	oid_text(fs_template(v->pkg->pe[i].asn), oid, sizeof(oid));
	size = t ? orsp_pkg_tpl_size(t, oid) : file_default_size(name);

	check_adf_aid(v, i, err, name, fcp);
	if (fd && fd->size != 2 && fd->size != 4) {
		add(v, err, (long)i,
		    "%s: fileDescriptor of %d bytes (TS 102 222: 2, or 4 with the record length)",
		    name, fd->size);
		return;
	}
	if (fd) {
		has_fd = true;
		d = fd->buf[0];
		if (fd->size == 4)
			rec = (size_t)(fd->buf[2] << 8 | fd->buf[3]);
	}
	if (rec == 0 && t)
		rec = t->rec_len;
	if (fs && (fs->size < 1 || fs->size > 4)) {
		add(v, err, (long)i, "%s: efFileSize of %d bytes", name, fs->size);
		return;
	}
	/* PEDefinitions Fcp.efFileSize: "on the minimum number of octets possible" */
	if (fs && fs->size > 1 && fs->buf[0] == 0)
		add(v, err, (long)i, "%s: efFileSize %s not in the fewest bytes (a leading 00)",
		    name, fs->size == 2 ? "of 2 bytes" : "of 3 or 4 bytes");
	/* EF.IMSI (TS 31.102 §4.2.2) and EF.ICCID (TS 102 221 §13.2) are transparent: as a
	 * record file a terminal's READ BINARY finds neither */
	if (has_fd && (strcmp(name, "ef-imsi") == 0 || strcmp(name, "ef-iccid") == 0) &&
	    (d & 0x07) != 1)
		add(v, err, (long)i, "%s: not a transparent file (fileDescriptor %02x)", name, d);
	if (fs)
		size = file_size(f, name);
	/* a template of one record (ISIM's EF.IMPU): its length is the size, as the eUICC
	 * creates it (usim_fs.c) */
	if (rec == 0 && t && t->one_record)
		rec = size;
	for (int j = 0; j < f->list.count; j++) {
		const struct File__Member *m = f->list.array[j];
		if (m && m->present == File__Member_PR_fillFileOffset) {
			if (m->choice.fillFileOffset < 0 || m->choice.fillFileOffset > 0xFFFF) {
				add(v, err, (long)i,
				    "%s: fillFileOffset %ld is not 0 to 65535 (UInt16)", name,
				    m->choice.fillFileOffset);
				return;
			}
			pos += (size_t)m->choice.fillFileOffset;
		} else if (m && m->present == File__Member_PR_fillFileContent) {
			pos += (size_t)m->choice.fillFileContent.size;
			end = pos;
		}
	}
	/* an EF the eUICC would leave out, no size known (EF.DIR with no efFileSize: the
	 * template gives none); another file of no known structure or size is not judged */
	if (ef_unsized(name, fcp, t))
		add(v, err, (long)i,
		    "%s: an EF of no size (no efFileSize, and the template gives none): it would "
		    "not be created",
		    name);
	if (has_fd && (size || fs) && orsp_pkg_ef_layout_check(name, d, rec, size) != ORSP_OK)
		add(v, err, (long)i, "%s", orsp_err_detail());
	orsp_err_clear();
	if (size && end > size)
		add(v, err, (long)i, "%s: its content ends at byte %zu, past the file's %zu bytes",
		    name, end, size);
}

/* Whether member `name` of a PE of type t is a file of the MF: all of PE-MF's, and PE-IoT's
 * before its adf-usim (PEDefinitions PE-IoT: the IoT Minimal Profile's MF, EF.PL, EF.ICCID,
 * EF.DIR, EF.ARR, EF.UMPC). */
static bool mf_member(orsp_pe_type t, const char *name)
{
	static const char *const iot[] = {"mf", "ef-pl", "ef-iccid", "ef-dir", "ef-arr", "ef-umpc"};

	if (t == ORSP_PE_MF)
		return true;
	for (size_t k = 0; t == ORSP_PE_IOT && k < ORSP_ARRAY_LEN(iot); k++)
		if (strcmp(name, iot[k]) == 0)
			return true;
	return false;
}

/* Each File: doNotCreate stands alone; at most one Fcp, and it comes first; its layout. */
static void check_files(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;

	for (size_t i = 0; i < pkg->n; i++) {
		fs_member m[ORSP_PKG_MAX_FILES];
		size_t n;
		if (!orsp_pe_type_is_fs(pkg->pe[i].type))
			continue;
		n = fs_members(pkg->pe[i].asn, m, ORSP_ARRAY_LEN(m));
		for (size_t k = 0; k < n && k < ORSP_ARRAY_LEN(m); k++) {
			const File_t *f = m[k].file;
			int fcps = 0, dnc = 0;
			if (!f)
				continue;
			for (int j = 0; j < f->list.count; j++) {
				const struct File__Member *e = f->list.array[j];
				if (!e)
					continue;
				if (e->present == File__Member_PR_doNotCreate)
					dnc++;
				if (e->present == File__Member_PR_fileDescriptor) {
					if (j != 0)
						add(v, true, (long)i,
						    "%s: fileDescriptor must come first",
						    m[k].name);
					fcps++;
				}
			}
			if (dnc && f->list.count != 1)
				add(v, true, (long)i, "%s: doNotCreate must be the only element",
				    m[k].name);
			/* PEDefinitions File.doNotCreate: "no effect for the creation of files in
			 * the MF and shall not be used for all the files listed in a 'Not Created
			 * by Default' template" (the OPT- PEs). An eUICC that heeded it in the MF
			 * (openrsp's does, in any PE) would go without the file, EF.ICCID say, and
			 * personalisation refuses to write one: refused in both, in PE-MF and for
			 * PE-IoT's files of the MF alike (PE-IoT's were taken until this fix).
			 */
			if (dnc && pkg->pe[i].type == ORSP_PE_MF)
				add(v, true, (long)i,
				    "%s: doNotCreate in PE-MF (it has no effect there)", m[k].name);
			else if (dnc && mf_member(pkg->pe[i].type, m[k].name))
				add(v, true, (long)i,
				    "%s: doNotCreate on a file of the MF (it has no effect there)",
				    m[k].name);
			if (dnc && (pkg->pe[i].type == ORSP_PE_OPT_USIM ||
			            pkg->pe[i].type == ORSP_PE_OPT_ISIM ||
			            pkg->pe[i].type == ORSP_PE_OPT_CSIM ||
			            pkg->pe[i].type == ORSP_PE_OPT_IOT))
				add(v, true, (long)i,
				    "%s: doNotCreate in a template of files not created by default",
				    m[k].name);
			if (fcps > 1)
				add(v, true, (long)i, "%s: more than one fileDescriptor",
				    m[k].name);
			if (!dnc)
				check_layout(v, i, m[k].name, f);
		}
	}
}

/* A directory as its path from the MF, as PE-GenericFileManagement's filePath names it: the
 * FIDs below the MF, an ADF by its temporary file ID (PEDefinitions Fcp.fileID). A DF whose
 * FID neither the package nor openrsp's template table gives stands in by a number above
 * 0xFFFF of its own: no filePath reaches it, and no FID equals it. name and pe: the
 * file-system PE member that is this DF, for messages (NULL: none). */
#define FID_DEPTH 6
typedef struct fid_dir {
	uint32_t p[FID_DEPTH];
	uint8_t n;
	bool known;
	const char *name;
	long pe;
} fid_dir;

/* A file the package creates with a known FID, in a known directory. */
typedef struct fid_file {
	fid_dir dir;
	long pe;
	const char *name; /* its PE member; NULL: a genericFileManagement createFCP */
	size_t cmd;       /* createFCP number within its PE, from 1 */
	bool tpl;         /* not listed by its PE: created by the template */
	uint16_t fid;
	/* an EF's short file identifier (Fcp shortEFID, else the template's); 0: none */
	uint8_t sfi;
	size_t seq; /* package order */
} fid_file;

typedef struct fid_list {
	fid_file *f;
	size_t n, cap;
	bool oom;
} fid_list;

static void fid_push(fid_list *l, fid_file *f)
{
	if (l->oom)
		return;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 256;
		fid_file *p = orsp_wipe_realloc(l->f, cap * sizeof(*p));
		if (!p) {
			l->oom = true;
			return;
		}
		l->f = p;
		l->cap = cap;
	}
	f->seq = l->n;
	l->f[l->n++] = *f;
}

/* parent's child id; unknown past FID_DEPTH or under an unknown parent */
static fid_dir fid_child(const fid_dir *parent, uint32_t id)
{
	fid_dir d = {.known = false};

	if (!parent->known || parent->n >= FID_DEPTH)
		return d;
	d = *parent;
	d.p[d.n++] = id;
	d.name = NULL;
	return d;
}

static bool fcp_fid(const Fcp_t *fcp, uint16_t *fid)
{
	if (!fcp || !fcp->fileID || fcp->fileID->size != 2)
		return false;
	*fid = (uint16_t)(fcp->fileID->buf[0] << 8 | fcp->fileID->buf[1]);
	return true;
}

/* An EF's SFI as the eUICC takes it: the Fcp's shortEFID (empty: none; else b8..b4, TS 102
 * 222), else the template's; 0 for none. */
static uint8_t fcp_sfi(const Fcp_t *fcp, const orsp_pkg_tpl_file *tf)
{
	if (fcp && fcp->shortEFID)
		return fcp->shortEFID->size == 1 ? (uint8_t)(fcp->shortEFID->buf[0] >> 3) : 0;
	return tf ? tf->sfi : 0;
}

/* The files of file-system PE i. PEDefinitions lists each DF's EFs after it: a DF member,
 * present or not, is the directory of the EF members that follow. The PE's first DF is under
 * the MF (PE-CD, -TELECOM, the NAAs' ADFs) or under the ADF of the NAA's PE before it (the
 * NAA's optional files and DFs); PE-TELECOM's other DFs are under DF.TELECOM, PE-IoT's ADF
 * under its MF. naa: the ADF of the last NAA's PE. */
static void fids_fs(vctx *v, size_t i, fid_list *l, fid_dir *naa)
{
	orsp_pe_type t = v->pkg->pe[i].type;
	fs_member m[ORSP_PKG_MAX_FILES];
	size_t n = fs_members(v->pkg->pe[i].asn, m, ORSP_ARRAY_LEN(m));
	const fid_dir mf = {.n = 0, .known = true, .pe = -1};
	fid_dir parent0 = {.known = false}, root = {.known = false}, cur;
	bool first_df = true;

	switch (t) {
	case ORSP_PE_CD:
	case ORSP_PE_TELECOM:
	case ORSP_PE_USIM:
	case ORSP_PE_ISIM:
	case ORSP_PE_CSIM:
		parent0 = mf;
		break;
	case ORSP_PE_MF:
	case ORSP_PE_IOT:
	case ORSP_PE_EAP: /* DF.EAP's parent is not known here */
		break;
	default: /* the optional files and DFs of an NAA */
		parent0 = *naa;
		break;
	}
	cur = parent0;
	for (size_t k = 0; k < n && k < ORSP_ARRAY_LEN(m); k++) {
		const char *name = m[k].name;
		const File_t *f = m[k].file;
		const orsp_pkg_tpl_file *tf = orsp_pkg_tpl_find(t, name);
		bool is_df = strcmp(name, "mf") == 0 || strncmp(name, "df-", 3) == 0 ||
		             strncmp(name, "adf-", 4) == 0;
		uint16_t fid = 0;
		bool has_fid = f && fcp_fid(file_fcp(f), &fid);
		fid_file e = {.pe = (long)i, .name = name, .tpl = f == NULL};

		if (!has_fid && tf) {
			fid = tf->fid;
			has_fid = true;
		}
		if (strcmp(name, "mf") == 0) {
			if (has_fid && fid != 0x3F00)
				add(v, !(v->flags & ORSP_PKG_VALIDATE_INSTALL), (long)i,
				    "mf: file ID %04X (TS 102 221 §8.3: the MF's is 3F00)", fid);
			cur = root = mf;
			first_df = false;
			continue;
		}
		if (is_df) {
			fid_dir parent = first_df               ? parent0
			                 : t == ORSP_PE_TELECOM ? root
			                 : t == ORSP_PE_IOT     ? mf
			                                        : parent0;
			uint32_t id =
			    has_fid ? fid : 0x10000u + (uint32_t)(i * ORSP_PKG_MAX_FILES + k);
			fid_dir self = fid_child(&parent, id);
			if (!parent.known) /* a directory of its own */
				self = (fid_dir){.p = {id}, .n = 1, .known = true};
			self.name = name;
			self.pe = (long)i;
			if (has_fid && parent.known && f && !file_do_not_create(f)) {
				e.dir = parent;
				e.fid = fid;
				fid_push(l, &e);
			}
			if (first_df)
				root = self;
			first_df = false;
			if (strncmp(name, "adf-", 4) == 0)
				*naa = self;
			cur = self;
			continue;
		}
		/* an EF, listed; or not listed in a template created by default (openrsp knows
		 * the FIDs of the MF's, USIM's and ISIM's) */
		if (!f && !(tf && (t == ORSP_PE_MF || t == ORSP_PE_USIM || t == ORSP_PE_ISIM)))
			continue;
		if (!has_fid || !cur.known || file_do_not_create(f))
			continue;
		e.dir = cur;
		e.fid = fid;
		e.sfi = fcp_sfi(f ? file_fcp(f) : NULL, tf);
		fid_push(l, &e);
	}
}

/* A filePath's FIDs as given (PEDefinitions FileManagement.filePath: the path from the MF
 * without 3F00, an ADF by its temporary file ID); unknown if not whole FIDs, or too deep. */
static fid_dir gfm_path_fids(const OCTET_STRING_t *p)
{
	fid_dir d = {.known = p->size % 2 == 0 && p->size / 2 <= FID_DEPTH, .pe = -1};

	for (int k = 0; d.known && k + 1 < p->size; k += 2)
		d.p[d.n++] = (uint16_t)(p->buf[k] << 8 | p->buf[k + 1]);
	return d;
}

/* The file a filePath selects, for what a fillFileContent then writes: its last FID, in the
 * directory the FIDs before it name. Unlike the directory of a createFCP (fids_gfm), the MF
 * spelt out first (3F00) is taken as the MF, and 7FFF first as the current ADF, whichever it
 * is (gfm_identity matches it with every ADF): an eUICC may take either, and what this
 * follows is a write over the profile's identity. */
static fid_file gfm_selected(const fid_dir *path)
{
	fid_file f = {.dir = *path};
	uint8_t skip = path->n > 0 && path->p[0] == 0x3F00;

	f.dir.n = 0;
	f.dir.known = path->known && path->n > skip;
	for (uint8_t k = skip; f.dir.known && k < path->n; k++) {
		uint16_t id = (uint16_t)path->p[k];
		if (orsp_pkg_fid_reserved(id) && !(id == 0x7FFF && k == skip && k + 1 < path->n))
			f.dir.known = false;
		else if (k + 1 < path->n)
			f.dir.p[f.dir.n++] = id;
		else
			f.fid = id;
	}
	return f;
}

/* The files a PE-GenericFileManagement creates: each createFCP in the DF its filePath
 * selected (empty: the MF; the first FID may be an ADF's temporary file ID). Where a
 * createFCP goes after one that created a DF, without a filePath between, is not assumed,
 * nor before a FileManagement's first filePath. Into w, the files its fillFileContents
 * write: the file the filePath before them selected, or the createFCP's (the first
 * fillFileContent after each, numbered in cmd). */
static void fids_gfm(vctx *v, size_t i, fid_list *l, fid_list *w)
{
	const PE_GenericFileManagement_t *g = &v->pkg->pe[i].asn->choice.genericFileManagement;
	size_t cmd = 0, fills = 0;

	for (int a = 0; a < g->fileManagementCMD.list.count; a++) {
		const FileManagement_t *fm = g->fileManagementCMD.list.array[a];
		fid_dir cur = {.known = false};
		fid_file sel = {.dir.known = false};
		for (int b = 0; fm && b < fm->list.count; b++) {
			const struct FileManagement__Member *c = fm->list.array[b];
			if (!c)
				continue;
			if (c->present == FileManagement__Member_PR_filePath) {
				cur = gfm_path_fids(&c->choice.filePath);
				sel = gfm_selected(&cur);
				/* 3F00 is left out, 7FFF is whichever ADF is current */
				for (size_t k = 0; cur.known && k < cur.n; k++)
					if (orsp_pkg_fid_reserved((uint16_t)cur.p[k]))
						cur.known = false;
			} else if (c->present == FileManagement__Member_PR_createFCP) {
				const Fcp_t *fcp = &c->choice.createFCP;
				fid_file e = {.pe = (long)i};
				e.cmd = ++cmd;
				sel.dir.known = false;
				if (cur.known && fcp_fid(fcp, &e.fid)) {
					e.dir = cur;
					e.sfi = fcp_sfi(fcp, NULL);
					fid_push(l, &e);
					sel = e;
				}
				/* a DF (TS 102 221 Table 11.5: b6-b4 111, b1-b3 000) */
				if (fcp->fileDescriptor && fcp->fileDescriptor->size >= 1 &&
				    (fcp->fileDescriptor->buf[0] & 0xBF) == 0x38)
					cur.known = false;
			} else if (c->present == FileManagement__Member_PR_fillFileContent) {
				fills++;
				if (sel.dir.known) {
					sel.pe = (long)i;
					sel.cmd = fills;
					fid_push(w, &sel);
				}
				sel.dir.known = false;
			}
		}
	}
}

/* directories in a total order: by depth, then their FIDs from the top */
static int dir_cmp(const fid_dir *a, const fid_dir *b)
{
	if (a->n != b->n)
		return a->n < b->n ? -1 : 1;
	for (size_t k = 0; k < a->n; k++)
		if (a->p[k] != b->p[k])
			return a->p[k] < b->p[k] ? -1 : 1;
	return 0;
}

static int fid_cmp(const void *pa, const void *pb)
{
	const fid_file *a = pa, *b = pb;
	int d = dir_cmp(&a->dir, &b->dir);

	if (d)
		return d;
	if (a->fid != b->fid)
		return a->fid < b->fid ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* by directory, then SFI, then package order */
static int sfi_cmp(const void *pa, const void *pb)
{
	const fid_file *a = pa, *b = pb;
	int d = dir_cmp(&a->dir, &b->dir);

	if (d)
		return d;
	if (a->sfi != b->sfi)
		return a->sfi < b->sfi ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* One file given twice: both the template EF of one name, or one PE's member */
static bool fid_one_file(const fid_file *h, const fid_file *f)
{
	return h->name && f->name && strcmp(h->name, f->name) == 0 &&
	       (h->pe == f->pe || strncmp(f->name, "ef-", 3) == 0);
}

/* the same directory and FID */
static bool fid_same(const fid_file *a, const fid_file *b)
{
	return a->dir.n == b->dir.n && a->fid == b->fid &&
	       memcmp(a->dir.p, b->dir.p, a->dir.n * sizeof(a->dir.p[0])) == 0;
}

static void fid_file_name(const fid_file *f, char *buf, size_t cap)
{
	if (!f->name)
		snprintf(buf, cap, "createFCP #%zu", f->cmd);
	else if (f->tpl)
		snprintf(buf, cap, "%s (created by the template)", f->name);
	else
		snprintf(buf, cap, "%s", f->name);
}

static void fid_dir_name(const fid_dir *d, char *buf, size_t cap)
{
	size_t o;

	if (d->n == 0) {
		snprintf(buf, cap, "the MF");
		return;
	}
	if (d->name) {
		snprintf(buf, cap, "%s (PE #%ld)", d->name, d->pe);
		return;
	}
	o = (size_t)snprintf(buf, cap, "DF ");
	for (size_t k = 0; k < d->n && o < cap; k++)
		o += (size_t)snprintf(buf + o, cap - o, "%s%04X", k ? "/" : "", (unsigned)d->p[k]);
}

/* A genericFileManagement's write into the profile's identity: EF.ICCID of the MF (PE-MF's,
 * PE-IoT's), EF.IMSI of a PE-USIM's or PE-IoT's ADF, reached by a filePath (7FFF first: any
 * ADF) or as the file a createFCP made (which check_fids names a second file of its FID).
 * PEDefinitions runs the genericFileManagement after the PEs before it, so the card would
 * hold another ICCID or IMSI than the one personalisation wrote, the SM-DP+ recorded from
 * the package (orsp_pkg_get_usim) and the AuC keys the subscriber by; check_imsi reads only
 * the PEs' own files. An error for who vouches for the package; for an eUICC installing it
 * a warning, as check_fids's (openrsp's runs no genericFileManagement: docs/usim.md); a
 * warning too through 7FFF, where the current ADF may be another one. */
static void gfm_identity(vctx *v, const fid_list *l, const fid_list *w)
{
	bool err = !(v->flags & ORSP_PKG_VALIDATE_INSTALL);

	for (size_t k = 0; k < w->n; k++) {
		const fid_file *f = &w->f[k];
		for (size_t j = 0; j < l->n; j++) {
			const fid_file *t = &l->f[j];
			orsp_pe_type pt = t->pe >= 0 ? v->pkg->pe[t->pe].type : ORSP_PE_UNKNOWN;
			bool iccid = t->name && strcmp(t->name, "ef-iccid") == 0 &&
			             (pt == ORSP_PE_MF || pt == ORSP_PE_IOT);
			bool imsi = t->name && strcmp(t->name, "ef-imsi") == 0 &&
			            (pt == ORSP_PE_USIM || pt == ORSP_PE_IOT);
			bool any_adf = f->dir.n > 0 && f->dir.p[0] == 0x7FFF && t->dir.name &&
			               strncmp(t->dir.name, "adf-", 4) == 0;
			char dn[64];
			if (!(iccid || imsi) || f->fid != t->fid || f->dir.n != t->dir.n ||
			    memcmp(f->dir.p + (any_adf ? 1 : 0), t->dir.p + (any_adf ? 1 : 0),
			           (f->dir.n - (any_adf ? 1u : 0u)) * sizeof(f->dir.p[0])) != 0)
				continue;
			fid_dir_name(&t->dir, dn, sizeof(dn));
			/* through 7FFF, whichever ADF is current: that one's 6F07 may be another
			 * file (EF.IST in ADF.ISIM, TS 31.103), so a warning only */
			add(v, err && !any_adf, f->pe,
			    "fillFileContent #%zu %s %s in %s%s: a profile's identity is "
			    "written by its PE-MF/PE-USIM/PE-IoT, which personalisation writes "
			    "and the SM-DP+ records",
			    f->cmd, any_adf ? "may write" : "writes", t->name, dn,
			    any_adf ? " (7FFF: if it is the current ADF)" : "");
			break;
		}
	}
}

/* TS 102 221 §8.3: the files under one parent have distinct FIDs; no file has the FID of a DF
 * above it; 3F00 is the MF's, 7FFF (the current ADF) and FFFF are reserved. An ADF's
 * temporary file ID is unique in the profile (PEDefinitions Fcp.fileID): ADFs are counted
 * with the MF's files, as filePath names them. One template file a PE gives again (its Fcp,
 * its content) is one file; so is an EF of one name that two PEs give in one directory
 * (PE-MF's and PE-IoT's EF.ICCID): the TCA templates name each file. A DF is each PE's own
 * (two PE-USIMs, two ADFs). Errors for who vouches for the package; for an eUICC installing
 * it warnings, as check_layout's (its trial load decides). Before, two files of one FID passed and
 * openrsp's eUICC served both, and the file whose FID was taken not at all. */
static void check_fids(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;
	fid_list l = {0}, w = {0};
	fid_dir naa = {.known = false};
	bool err = !(v->flags & ORSP_PKG_VALIDATE_INSTALL);

	for (size_t i = 0; i < pkg->n; i++) {
		if (orsp_pe_type_is_fs(pkg->pe[i].type))
			fids_fs(v, i, &l, &naa);
		else if (pkg->pe[i].type == ORSP_PE_GENERIC_FILE_MANAGEMENT)
			fids_gfm(v, i, &l, &w);
	}
	if (l.oom || w.oom) {
		add(v, true, -1, "cannot check the file IDs: out of memory");
		free(l.f);
		free(w.f);
		return;
	}
	gfm_identity(v, &l, &w);
	for (size_t k = 0; k < l.n; k++) {
		const fid_file *f = &l.f[k];
		char fn[64], dn[64];
		fid_file_name(f, fn, sizeof(fn));
		if (orsp_pkg_fid_reserved(f->fid)) {
			add(v, err, f->pe,
			    "%s: file ID %04X is reserved (TS 102 221 §8.3: 3F00 the MF's, 7FFF "
			    "the current ADF's, FFFF)",
			    fn, f->fid);
			continue;
		}
		for (size_t a = 0; a < f->dir.n; a++)
			if (f->dir.p[a] == f->fid) {
				fid_dir up = f->dir;
				up.n = (uint8_t)(a + 1);
				if (a + 1 != f->dir.n)
					up.name = NULL;
				fid_dir_name(&up, dn, sizeof(dn));
				add(v, err, f->pe,
				    "%s: file ID %04X is that of %s above it (TS 102 221 §8.3)", fn,
				    f->fid, dn);
				break;
			}
	}
	if (l.n > 1)
		qsort(l.f, l.n, sizeof(l.f[0]), fid_cmp);
	/* each file against the first of its directory and FID, unless both are the template
	 * EF of one name, or one PE's member */
	for (size_t k = 1, head = 0; k < l.n; k++) {
		const fid_file *f = &l.f[k], *h = &l.f[head];
		char fn[64], hn[64], dn[64];
		if (!fid_same(h, f)) {
			head = k;
			continue;
		}
		if (fid_one_file(h, f) || orsp_pkg_fid_reserved(f->fid))
			continue;
		fid_file_name(f, fn, sizeof(fn));
		fid_file_name(h, hn, sizeof(hn));
		fid_dir_name(h->dir.name ? &h->dir : &f->dir, dn, sizeof(dn));
		add(v, err, f->pe,
		    "%s: file ID %04X in %s is also that of %s, PE #%ld (TS 102 221 §8.3: one "
		    "per directory)",
		    fn, f->fid, dn, hn, h->pe);
	}
	/* the same for SFIs (TS 102 221 §8.3: a file is reached by its SFI within the current
	 * DF; a second of one SFI is shadowed by the first, or shadows it). Until session 57
	 * nothing checked them, and the eUICC served the first */
	if (l.n > 1)
		qsort(l.f, l.n, sizeof(l.f[0]), sfi_cmp);
	for (size_t k = 1, head = 0; k < l.n; k++) {
		const fid_file *f = &l.f[k], *h = &l.f[head];
		char fn[64], hn[64], dn[64];
		if (!h->sfi || h->sfi != f->sfi || dir_cmp(&h->dir, &f->dir) != 0) {
			head = k;
			continue;
		}
		if (fid_one_file(h, f))
			continue;
		fid_file_name(f, fn, sizeof(fn));
		fid_file_name(h, hn, sizeof(hn));
		fid_dir_name(h->dir.name ? &h->dir : &f->dir, dn, sizeof(dn));
		add(v, err, f->pe,
		    "%s: SFI %02X in %s is also that of %s, PE #%ld (TS 102 221 §8.3: one per "
		    "directory)",
		    fn, f->sfi, dn, hn, h->pe);
	}
	free(l.f);
	free(w.f);
}

/* Each PE-USIM's AID: the dfName of its adf-usim, else an application record of EF.DIR (PE-MF)
 * with a USIM AID, where the eUICC takes it from (usim_fs.c); with neither, the eUICC cannot
 * register the USIM and refuses the install. */
static void check_usim_aid(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;
	long mf = first_of(pkg, ORSP_PE_MF);
	bool dir_aid = false;

	if (mf >= 0) {
		File_t *dir = fs_file(pkg->pe[mf].asn, "ef-dir");
		enum { DIR_MAX = 8192 };
		uint8_t *buf = dir ? orsp_wipe_malloc(DIR_MAX) : NULL;
		size_t len = 0, rec;

		if (buf &&
		    file_content(&pkg->pe[mf], dir, "ef-dir", buf, DIR_MAX, &len) == ORSP_OK &&
		    (rec = file_record_len(dir, len)) > 0) {
			for (size_t off = 0; off + rec <= len && !dir_aid; off += rec) {
				orsp_reader r;
				orsp_tlv t, a;
				orsp_reader_init(&r, buf + off, rec);
				if (buf[off] != 0x61 || orsp_der_read(&r, &t) != ORSP_OK)
					continue;
				orsp_reader_init(&r, t.value.p, t.value.len);
				while (!dir_aid && orsp_reader_remaining(&r) > 0 &&
				       orsp_der_read(&r, &a) == ORSP_OK)
					dir_aid =
					    a.tag == 0x4F &&
					    orsp_pkg_naa_aid(ORSP_PE_USIM, a.value.p, a.value.len);
			}
		}
		free(buf);
		orsp_err_clear();
	}
	for (size_t i = 0; i < pkg->n && !dir_aid; i++) {
		const File_t *adf;
		const Fcp_t *fcp;
		if (pkg->pe[i].type != ORSP_PE_USIM)
			continue;
		adf = fs_file(pkg->pe[i].asn, "adf-usim");
		fcp = adf ? file_fcp(adf) : NULL;
		if (!fcp || !fcp->dfName || fcp->dfName->size == 0)
			add(v, true, (long)i,
			    "no USIM AID: adf-usim has no dfName and EF.DIR no USIM application");
	}
}

/* The ADF `name` of NAA PE i (PE-USIM's or PE-IoT's adf-usim, PE-ISIM's adf-isim) is
 * created: the PE's files are that ADF's, and personalisation writes the IMSI and the IMS
 * identity into them. Marked doNotCreate, the NAA's files would be under an ADF never
 * created; judged as EF.IMSI is (an error for who vouches for the package, a warning for an
 * eUICC installing it, whose USIM and ISIM serve the files all the same: src/euicc/usim_fs.c).
 * Until session 68 it passed. */
static void check_adf_created(vctx *v, size_t i, const char *name)
{
	if (file_do_not_create(fs_file(v->pkg->pe[i].asn, name)))
		add(v, !(v->flags & ORSP_PKG_VALIDATE_INSTALL), (long)i,
		    "%s: doNotCreate on the NAA's ADF: the PE's files would be under an ADF "
		    "never created",
		    name);
}

/* EF.IMSI of each PE-USIM and PE-IoT: 9 bytes holding an IMSI, or left undefined; where
 * several define one, the same one. A profile is one subscription: personalisation writes one
 * IMSI into each of them, and the SM-DP+ and the AuC record one per profile, while the eUICC
 * serves the first PE-USIM's. Two that differ are an error for who vouches for the package, a
 * warning for an eUICC installing it (which serves the first PE-USIM's). One marked
 * doNotCreate, the same (there is none to serve); EF.AD marked doNotCreate, a warning. */
static void check_imsi(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;
	char first[16] = "";
	size_t first_pe = 0;

	for (size_t i = 0; i < pkg->n; i++) {
		uint8_t buf[64];
		size_t len = 0;
		char imsi[16];
		File_t *f;
		if (pkg->pe[i].type != ORSP_PE_USIM && pkg->pe[i].type != ORSP_PE_IOT)
			continue;
		check_adf_created(v, i, "adf-usim");
		/* TS 31.102 §4.2.18: EF.AD is mandatory, and gives the terminal the MNC length */
		if (file_do_not_create(fs_file(pkg->pe[i].asn, "ef-ad")))
			add(v, false, (long)i,
			    "ef-ad: doNotCreate leaves the USIM without EF.AD, mandatory in TS "
			    "31.102 "
			    "(it gives the MNC length)");
		f = fs_file(pkg->pe[i].asn, "ef-imsi");
		if (!f)
			continue;
		/* TS 31.102 §4.2.2: EF.IMSI is mandatory; without it the USIM has no subscription
		 * to attach with, and personalisation cannot write one */
		if (file_do_not_create(f)) {
			add(v, !(v->flags & ORSP_PKG_VALIDATE_INSTALL), (long)i,
			    "ef-imsi: doNotCreate leaves the USIM without EF.IMSI, mandatory in TS "
			    "31.102");
			continue;
		}
		if (file_content(&pkg->pe[i], f, "ef-imsi", buf, sizeof(buf), &len) != ORSP_OK) {
			/* TS 31.102 §4.2.2: 9 bytes; one this check cannot read is not skipped */
			add(v, true, (long)i, "cannot check ef-imsi (9 bytes in TS 31.102): %s",
			    orsp_err_detail());
			continue;
		}
		if (!content_defined(f, buf, len))
			continue; /* not defined by the package: personalisation writes it */
		if (orsp_imsi_decode_ef(buf, len, imsi) != ORSP_OK) {
			add(v, true, (long)i, "%s", orsp_err_detail());
		} else if (!first[0]) {
			memcpy(first, imsi, sizeof(first));
			first_pe = i;
		} else if (strcmp(imsi, first) != 0) {
			add(v, !(v->flags & ORSP_PKG_VALIDATE_INSTALL), (long)i,
			    "ef-imsi holds %s, PE #%zu's %s: a profile is one subscription (one "
			    "IMSI in each PE-USIM and PE-IoT)",
			    imsi, first_pe, first);
		}
	}
}

/* TS 31.103 §4.2.2-4.2.4: EF.IMPI, EF.DOMAIN and EF.IMPU are mandatory in the ISIM, and
 * personalisation writes the IMS identity there: one marked doNotCreate is judged as EF.IMSI
 * is (an error for who vouches for the package, a warning for an eUICC installing it; until
 * session 66 it passed, and `smdp profile generate` then failed on the file's missing size). */
static void check_isim_files(vctx *v)
{
	static const char *const mandatory[] = {"ef-impi", "ef-domain", "ef-impu"};
	const orsp_pkg *pkg = v->pkg;

	for (size_t i = 0; i < pkg->n; i++) {
		if (pkg->pe[i].type != ORSP_PE_ISIM)
			continue;
		check_adf_created(v, i, "adf-isim");
		for (size_t k = 0; k < ORSP_ARRAY_LEN(mandatory); k++)
			if (file_do_not_create(fs_file(pkg->pe[i].asn, mandatory[k])))
				add(v, !(v->flags & ORSP_PKG_VALIDATE_INSTALL), (long)i,
				    "%s: doNotCreate leaves the ISIM without it, mandatory in TS "
				    "31.103",
				    mandatory[k]);
	}
}

static void check_aka_one(vctx *v, const ServicesList_t *svc, size_t i, const PE_AKAParameter_t *a)
{
	if (a->algoConfiguration.present == PE_AKAParameter__algoConfiguration_PR_algoParameter) {
		const AlgoParameter_t *p = &a->algoConfiguration.choice.algoParameter;
		orsp_pkg_service need = ORSP_SVC__COUNT;
		switch (p->algorithmID) {
		case ORSP_PKG_ALG_MILENAGE:
			/* TS 35.206: 128-bit K and OPc; rotations are bit counts below 128. */
			need = ORSP_SVC_MILENAGE;
			if (p->key.size != 16)
				add(v, true, (long)i, "Milenage key is %d bytes, must be 16",
				    p->key.size);
			if (p->opc.size != 16)
				add(v, true, (long)i, "Milenage OPc is %d bytes, must be 16",
				    p->opc.size);
			for (int r = 0; p->rotationConstants && r < p->rotationConstants->size; r++)
				if (p->rotationConstants->buf[r] > 127)
					add(v, true, (long)i,
					    "rotation constant r%d = %u exceeds 127 bits", r + 1,
					    p->rotationConstants->buf[r]);
			break;
		case ORSP_PKG_ALG_TUAK:
			/* TS 35.231: K of 128 or 256 bits, TOPc of 256 bits, at least one Keccak;
			 * at most 255 (PEDefinitions UInt8), which decoding checks already: each
			 * AUTHENTICATE runs every iteration. */
			need = p->key.size == 32 ? ORSP_SVC_TUAK256 : ORSP_SVC_TUAK128;
			if (p->key.size != 16 && p->key.size != 32)
				add(v, true, (long)i, "TUAK key is %d bytes, must be 16 or 32",
				    p->key.size);
			if (p->opc.size != 32)
				add(v, true, (long)i, "TUAK TOPc is %d bytes, must be 32",
				    p->opc.size);
			if (p->numberOfKeccak &&
			    (*p->numberOfKeccak < 1 || *p->numberOfKeccak > 255))
				add(v, true, (long)i, "numberOfKeccak is %ld, must be 1 to 255",
				    *p->numberOfKeccak);
			break;
		case ORSP_PKG_ALG_TEST:
			/* TS 34.108 §8.1.2: the test algorithm uses a 128-bit K (OPc is ignored).
			 */
			need = ORSP_SVC_USIM_TEST_ALGORITHM;
			if (p->key.size != 16)
				add(v, true, (long)i, "test algorithm key is %d bytes, must be 16",
				    p->key.size);
			break;
		default:
			add(v, true, (long)i,
			    "algorithmID %ld is not milenage(1), tuak(2) or usim-test-algorithm(3)",
			    p->algorithmID);
			break;
		}
		if (need != ORSP_SVC__COUNT && svc && !svc_get(svc, need))
			add(v, true, (long)i,
			    "uses %s but the ProfileHeader does not list it in "
			    "eUICC-Mandatory-services",
			    orsp_pkg_service_name(need));
	}
	/* PEDefinitions: "maximum value for sqnDelta and sqnAgeLimit is '07FFFFFFFFFF'H",
	 * the same for every sqnInit value. */
	if (aka_u48(a->sqnDelta, 0) > AKA_SQN_MAX)
		add(v, true, (long)i, "sqnDelta exceeds 07FFFFFFFFFF");
	if (aka_u48(a->sqnAgeLimit, 0) > AKA_SQN_MAX)
		add(v, true, (long)i, "sqnAgeLimit exceeds 07FFFFFFFFFF");
	for (int k = 0; a->sqnInit && k < a->sqnInit->list.count; k++)
		if (aka_u48(a->sqnInit->list.array[k], 0) > AKA_SQN_MAX)
			add(v, true, (long)i, "sqnInit[%d] exceeds 07FFFFFFFFFF", k);
}

/* Every USIM has AKA parameters of its own, or a mappingParameter that leads to another
 * NAA's: the eUICC serves the USIM's AUTHENTICATE with them (orsp_pkg_naa_aka), and a USIM
 * without them answers every challenge 6A81. (A CSIM carries a cdmaParameter only, an ISIM
 * may have none: neither is checked.) */
static void check_usim_aka(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;

	for (size_t i = 0; i < pkg->n; i++) {
		size_t n;
		orsp_err e;
		if (pkg->pe[i].type != ORSP_PE_USIM)
			continue;
		e = orsp_pkg_naa_aka(pkg, i, &n);
		if (e == ORSP_E_NOT_FOUND)
			add(v, true, (long)i,
			    "the USIM has no AKA parameters: no PE-AKAParameter follows it, or its "
			    "mappingParameter names no NAA that has an algoParameter");
		else if (e)
			add(v, true, (long)i, "the USIM's AKA parameters: %s", orsp_err_detail());
	}
	orsp_err_clear();
}

/* PIN or PUK `ref` of PE i: a key reference PEDefinitions names; its
 * maxNumOfAttemps-retryNumLeft (val, or the DEFAULT dflt) a maximum of at least 1 attempt (of
 * 0 it is blocked from the start, as no verification can be tried) and no more retries left
 * than the maximum. */
static void check_key(vctx *v, size_t i, long ref, bool puk, const long *val, long dflt)
{
	static const char pins[] = "PINKeyReferenceValue: 01-08, 0A-0E, 81-88, 8A-8E; TS 102 "
	                           "221's universal PIN 11";
	static const char puks[] = "PUKKeyReferenceValue: 01-08, 81-88";
	const char *what = puk ? "PUK" : "PIN";
	long x = val ? *val : dflt;
	unsigned max, left;

	if (pin_ref_kind_of(ref, puk) == PIN_REF_NONE) {
		add(v, true, (long)i,
		    "%s keyReference %ld is no %s key reference (PEDefinitions %s)", what, ref,
		    what, puk ? puks : pins);
		return;
	}
	pin_tries(val, dflt, &max, &left);
	if (max == 0)
		add(v, true, (long)i,
		    "%s %s: maxNumOfAttemps-retryNumLeft %02lX gives a maximum of 0 attempts", what,
		    orsp_pkg_pin_ref_name(ref, puk), x);
	else if (left > max)
		add(v, true, (long)i,
		    "%s %s: maxNumOfAttemps-retryNumLeft %02lX gives %u retries left of a maximum "
		    "of %u",
		    what, orsp_pkg_pin_ref_name(ref, puk), x, left, max);
}

/* PIN and PUK key references: each one PEDefinitions names (PINKeyReferenceValue, and
 * TS 102 221's universal PIN 11; PUKKeyReferenceValue), unique per PE, with a maximum number
 * of attempts and no more retries left than it; every unblocking reference names a PUK; one
 * PE-PUKCodes at most (TCA SAIP: it holds every PUK of the profile). Until session 68 a key
 * reference 09 or 00, a PIN of 15 retries left of 10, and a second PE-PUKCodes passed. */
static void check_pins(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;
	long first_puk = first_of(pkg, ORSP_PE_PUK_CODES);

	for (size_t i = 0; i < pkg->n; i++) {
		ProfileElement_t *pe = pkg->pe[i].asn;
		if (pkg->pe[i].type == ORSP_PE_PUK_CODES) {
			const struct PE_PUKCodes__pukCodes *l = &pe->choice.pukCodes.pukCodes;
			if ((long)i != first_puk)
				add(v, true, (long)i,
				    "a second PE-PUKCodes (the first is PE #%ld): one holds "
				    "every PUK of the profile",
				    first_puk);
			for (int a = 0; a < l->list.count; a++) {
				const PUKConfiguration_t *c = l->list.array[a];
				for (int b = 0; b < a; b++)
					if (c->keyReference == l->list.array[b]->keyReference)
						add(v, true, (long)i, "PUK %s defined twice",
						    orsp_pkg_pin_ref_name(c->keyReference, true));
				check_key(v, i, c->keyReference, true,
				          c->maxNumOfAttemps_retryNumLeft, PUK_TRIES_DEFAULT);
			}
		}
		if (pkg->pe[i].type != ORSP_PE_PIN_CODES ||
		    pe->choice.pinCodes.pinCodes.present != PE_PINCodes__pinCodes_PR_pinconfig)
			continue;
		const struct PE_PINCodes__pinCodes__pinconfig *l =
		    &pe->choice.pinCodes.pinCodes.choice.pinconfig;
		for (int a = 0; a < l->list.count; a++) {
			const PINConfiguration_t *c = l->list.array[a];
			bool found = false;
			for (int b = 0; b < a; b++)
				if (c->keyReference == l->list.array[b]->keyReference)
					add(v, true, (long)i, "PIN %s defined twice",
					    orsp_pkg_pin_ref_name(c->keyReference, false));
			check_key(v, i, c->keyReference, false, c->maxNumOfAttemps_retryNumLeft,
			          PIN_TRIES_DEFAULT);
			if (!c->unblockingPINReference)
				continue;
			for (size_t j = 0; j < pkg->n && !found; j++) {
				const struct PE_PUKCodes__pukCodes *pl;
				if (pkg->pe[j].type != ORSP_PE_PUK_CODES)
					continue;
				pl = &pkg->pe[j].asn->choice.pukCodes.pukCodes;
				for (int b = 0; b < pl->list.count && !found; b++)
					found = pl->list.array[b]->keyReference ==
					        *c->unblockingPINReference;
			}
			if (!found)
				add(v, true, (long)i,
				    "PIN %s is unblocked by PUK %s, which no PE-PUKCodes defines",
				    orsp_pkg_pin_ref_name(c->keyReference, false),
				    orsp_pkg_pin_ref_name(*c->unblockingPINReference, true));
		}
	}
}

/* A PIN context (TCA SAIP, PE-PINCodes): the directory whose PINs a PE-PINCodes defines, the
 * first DF or ADF the last PE that creates one created (PEDefinitions PINConfiguration: the
 * MF's PE-PINCodes defines global PINs only, a DF's or ADF's local ones only). Each DF of a
 * file-system PE is one, whose pinStatusTemplateDO names the key references it uses. */
typedef struct pin_ctx {
	long pe;          /* the PE that made it; -1: none (a PE-PINCodes before any DF) */
	const char *name; /* its DF, the PE's member; NULL: a genericFileManagement's, or none */
	const OCTET_STRING_t *ps; /* its Fcp's pinStatusTemplateDO, if the PE gives one */
	long parent;              /* the context of the DF above it; -1: the MF, or not known */
	bool mf;                  /* the MF's */
	/* where the PINs of a PE-PINCodes in it go, or the DF above it, is what the TCA ordering
	 * rules say: not for a genericFileManagement's DF (which this check does not follow),
	 * PE-EAP's DF (its ADF is not named) or PE-IoT's DFs */
	bool sure;
	bool shared;     /* a PE-PINCodes filePath: it shares another ADF's PINs (not followed) */
	uint8_t def[32]; /* the key references its PE-PINCodes define, a bit each */
} pin_ctx;

typedef struct pin_ctxs {
	pin_ctx *c;
	size_t n, cap;
	bool oom;
} pin_ctxs;

static long ctx_new(pin_ctxs *l, long pe, const char *name, long parent, bool sure)
{
	if (l->oom)
		return -1;
	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 64;
		pin_ctx *p = orsp_wipe_realloc(l->c, cap * sizeof(*p));
		if (!p) {
			l->oom = true;
			return -1;
		}
		l->c = p;
		l->cap = cap;
	}
	memset(&l->c[l->n], 0, sizeof(l->c[0]));
	l->c[l->n].pe = pe;
	l->c[l->n].name = name;
	l->c[l->n].parent = parent;
	l->c[l->n].sure = sure && (parent < 0 || l->c[parent].sure);
	return (long)l->n++;
}

/* A set of key references (one byte each), a bit each */
static bool ref_in(const uint8_t set[32], long ref)
{
	return ref >= 0 && ref <= 0xFF && (set[ref / 8] >> (ref % 8) & 1);
}

static void ref_add(uint8_t set[32], long ref)
{
	if (ref >= 0 && ref <= 0xFF)
		set[ref / 8] |= (uint8_t)(1u << (ref % 8));
}

/* "adm2 (0B)"; a reference PEDefinitions does not name, its value alone */
static const char *ref_text(long ref, char *buf, size_t cap)
{
	if (pin_ref_kind_of(ref, false) == PIN_REF_NONE)
		snprintf(buf, cap, "%02lX", ref);
	else
		snprintf(buf, cap, "%s (%02lX)", orsp_pkg_pin_ref_name(ref, false), ref);
	return buf;
}

/* Whether a genericFileManagement creates a DF or ADF (a createFCP whose fileDescriptor says
 * so, TS 102 221 Table 11.5), which fixes the PIN context of the PE-PINCodes after it. */
static bool gfm_creates_df(const ProfileElement_t *pe)
{
	const PE_GenericFileManagement_t *g = &pe->choice.genericFileManagement;

	for (int a = 0; a < g->fileManagementCMD.list.count; a++) {
		const FileManagement_t *fm = g->fileManagementCMD.list.array[a];
		for (int b = 0; fm && b < fm->list.count; b++) {
			const struct FileManagement__Member *c = fm->list.array[b];
			const OCTET_STRING_t *fd =
			    c && c->present == FileManagement__Member_PR_createFCP
			        ? c->choice.createFCP.fileDescriptor
			        : NULL;
			if (fd && fd->size >= 1 && (fd->buf[0] & 0xBF) == 0x38)
				return true;
		}
	}
	return false;
}

/* The PIN contexts of file-system PE i's DFs (its first DF's the context of the PE-PINCodes
 * after it: the return, or -1 if it creates none). Its first DF is under the MF (PE-CD,
 * -TELECOM, the NAAs' ADFs) or the ADF of the NAA's PE before it (naa); PE-TELECOM's others
 * are under DF.TELECOM, PE-IoT's ADF under its MF. */
static long ctx_fs(vctx *v, size_t i, pin_ctxs *l, long *mf, long *naa)
{
	orsp_pe_type t = v->pkg->pe[i].type;
	fs_member m[ORSP_PKG_MAX_FILES];
	size_t n = fs_members(v->pkg->pe[i].asn, m, ORSP_ARRAY_LEN(m));
	long first = -1;
	bool sure = t != ORSP_PE_EAP && t != ORSP_PE_IOT;

	for (size_t k = 0; k < n && k < ORSP_ARRAY_LEN(m); k++) {
		const char *name = m[k].name;
		const Fcp_t *fcp;
		long c, parent;
		if (!(strcmp(name, "mf") == 0 || strncmp(name, "df-", 3) == 0 ||
		      strncmp(name, "adf-", 4) == 0) ||
		    !m[k].file || file_do_not_create(m[k].file))
			continue;
		if (first >= 0)
			parent = first;
		else if (t == ORSP_PE_MF || t == ORSP_PE_IOT)
			parent = -1;
		else if (t == ORSP_PE_CD || t == ORSP_PE_TELECOM || t == ORSP_PE_USIM ||
		         t == ORSP_PE_ISIM || t == ORSP_PE_CSIM)
			parent = *mf;
		else /* the NAA's optional DFs, and DF.EAP */
			parent = *naa;
		if ((c = ctx_new(l, (long)i, name, parent, sure)) < 0)
			return -1;
		fcp = file_fcp(m[k].file);
		l->c[c].ps = fcp ? fcp->pinStatusTemplateDO : NULL;
		l->c[c].mf = strcmp(name, "mf") == 0;
		if (l->c[c].mf && *mf < 0)
			*mf = c;
		if (strncmp(name, "adf-", 4) == 0)
			*naa = c;
		if (first < 0)
			first = c;
	}
	return first;
}

/* PE-PINCodes i in context c: what it defines there; in a context the ordering rules fix, only
 * global PINs in the MF's and only local ones in a DF's or ADF's (PEDefinitions
 * PINConfiguration). */
static void ctx_pins(vctx *v, size_t i, pin_ctx *c)
{
	const ProfileElement_t *pe = v->pkg->pe[i].asn;
	const struct PE_PINCodes__pinCodes__pinconfig *l;
	char rt[40];

	if (pe->choice.pinCodes.pinCodes.present != PE_PINCodes__pinCodes_PR_pinconfig) {
		c->shared = true;
		return;
	}
	l = &pe->choice.pinCodes.pinCodes.choice.pinconfig;
	for (int a = 0; a < l->list.count; a++) {
		long ref = l->list.array[a]->keyReference;
		pin_ref_kind k = pin_ref_kind_of(ref, false);
		if (k == PIN_REF_NONE)
			continue; /* check_pins says so */
		ref_add(c->def, ref);
		if (c->sure && c->mf && k == PIN_REF_LOCAL)
			add(v, true, (long)i,
			    "PIN %s is local, in the MF's PIN context (after PE #%ld): only global "
			    "PINs are defined there",
			    ref_text(ref, rt, sizeof(rt)), c->pe);
		else if (c->sure && !c->mf && k == PIN_REF_GLOBAL)
			add(v, true, (long)i,
			    "PIN %s is global, in the PIN context of %s (PE #%ld): a DF's or ADF's "
			    "defines only local PINs (secondPINAppl1-8)",
			    ref_text(ref, rt, sizeof(rt)), c->name, c->pe);
	}
}

/* Key reference ref of the pinStatusTemplateDO of context c's DF: defined by a PE-PINCodes of
 * the MF's PIN context (a global one) or of its DF's or a DF's above it (a local one). An
 * error (TCA SAIP: the eUICC aborts the installation, pin-code-missing), or a warning where a
 * PE-PINCodes in a context the ordering rules do not fix here defines it, where its DF's
 * context is not fixed so, and for the universal PIN (11), which PINKeyReferenceValue does not
 * name. Whether it said something. */
static bool ctx_ref(vctx *v, const pin_ctxs *l, long mf, const pin_ctx *c, long ref)
{
	pin_ref_kind k = pin_ref_kind_of(ref, false);
	bool sure = true, elsewhere = false;
	char rt[40];

	if (k == PIN_REF_NONE) {
		add(v, true, c->pe,
		    "%s: pinStatusTemplateDO names key reference %02lX, no PIN's (TS 102 221 Table "
		    "9.3; PEDefinitions PINKeyReferenceValue)",
		    c->name, ref);
		return true;
	}
	if (k == PIN_REF_GLOBAL) {
		if (mf < 0 || l->c[mf].shared || ref_in(l->c[mf].def, ref))
			return false;
		sure = l->c[mf].sure && ref != 0x11;
	} else {
		for (long p = c - l->c; p >= 0; p = l->c[p].parent) {
			if (l->c[p].shared || ref_in(l->c[p].def, ref))
				return false;
			sure = sure && l->c[p].sure;
		}
	}
	for (size_t j = 0; j < l->n; j++)
		elsewhere = elsewhere || (!l->c[j].sure && ref_in(l->c[j].def, ref));
	if (k == PIN_REF_GLOBAL)
		add(v, sure && !elsewhere, c->pe,
		    "%s: pinStatusTemplateDO names %s, a global PIN no PE-PINCodes defines in the "
		    "MF's PIN context (after PE #%ld): pin-code-missing%s",
		    c->name, ref_text(ref, rt, sizeof(rt)), l->c[mf].pe,
		    ref == 0x11          ? "; PINKeyReferenceValue has none"
		    : !sure || elsewhere ? "; some PE-PINCodes' context is not followed"
		                         : "");
	else
		add(v, sure && !elsewhere, c->pe,
		    "%s: pinStatusTemplateDO names %s, a local PIN no PE-PINCodes defines in its "
		    "DF's PIN context or one above: pin-code-missing%s",
		    c->name, ref_text(ref, rt, sizeof(rt)),
		    !sure || elsewhere ? "; some PE-PINCodes' context is not followed" : "");
	return true;
}

/* TCA SAIP PE-PINCodes: each key reference of the pinStatusTemplateDO of the MF, a DF or an
 * ADF of a file-system PE is defined by a PE-PINCodes of its PIN context, a global PIN in the
 * MF's and a local one in its DF's or a DF's above it (the NAA's ADF for its optional DFs);
 * each PE-PINCodes defines global PINs in the MF's context, local ones in a DF's or an ADF's.
 * A genericFileManagement's DFs are not judged. Until session 68 neither was checked, and a
 * package whose DF.TELECOM used adm2 while the MF's PE-PINCodes defined none passed. */
static void check_pin_contexts(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;
	pin_ctxs l = {0};
	long cur = -1, mf = -1, naa = -1;
	uint8_t said[32];

	for (size_t i = 0; i < pkg->n; i++) {
		orsp_pe_type t = pkg->pe[i].type;
		long c = -1;
		if (!pkg->pe[i].asn)
			continue;
		if (orsp_pe_type_is_fs(t))
			c = ctx_fs(v, i, &l, &mf, &naa);
		else if (t == ORSP_PE_GENERIC_FILE_MANAGEMENT && gfm_creates_df(pkg->pe[i].asn))
			c = ctx_new(&l, (long)i, NULL, -1, false);
		else if (t == ORSP_PE_PIN_CODES && cur < 0)
			c = ctx_new(&l, -1, NULL, -1, false);
		if (c >= 0)
			cur = c;
		if (t == ORSP_PE_PIN_CODES && cur >= 0)
			ctx_pins(v, i, &l.c[cur]);
	}
	if (l.oom) {
		add(v, true, -1, "cannot check the PIN contexts: out of memory");
		free(l.c);
		return;
	}
	/* one issue for each PE and key reference, naming the first DF of the PE that names it */
	for (size_t j = 0; j < l.n; j++) {
		if (j == 0 || l.c[j].pe != l.c[j - 1].pe)
			memset(said, 0, sizeof(said));
		for (int b = 0; l.c[j].ps && b < l.c[j].ps->size; b++)
			if (!ref_in(said, l.c[j].ps->buf[b]) &&
			    ctx_ref(v, &l, mf, &l.c[j], l.c[j].ps->buf[b]))
				ref_add(said, l.c[j].ps->buf[b]);
	}
	free(l.c);
}

/* Every symmetric key of a PE-SecurityDomain's keyList is one the security domain can hold
 * (sd_key_refused, the rule personalisation's sd_keys applies): a length its type allows, and
 * a KVN and KID no other symmetric key has. An error for who vouches for the package (until
 * session 68 check and the SM-DP+'s import took an AES key of 15 bytes, which `smdp profile
 * generate` then refused); a warning for an eUICC installing it, which does not use the keys. */
static void check_sd_keys(vctx *v)
{
	const orsp_pkg *pkg = v->pkg;

	for (size_t i = 0; i < pkg->n; i++) {
		const PE_SecurityDomain_t *s;
		if (pkg->pe[i].type != ORSP_PE_SECURITY_DOMAIN || !pkg->pe[i].asn)
			continue;
		s = &pkg->pe[i].asn->choice.securityDomain;
		for (int j = 0; s->keyList && j < s->keyList->list.count; j++) {
			const KeyObject_t *ko = s->keyList->list.array[j];
			char why[128];
			for (int m = 0; ko && m < ko->keyComponents.list.count; m++)
				if (ko->keyComponents.list.array[m] &&
				    sd_key_refused(s, j, m, why, sizeof(why)))
					add(v, !(v->flags & ORSP_PKG_VALIDATE_INSTALL), (long)i,
					    "keyList: %s", why);
		}
	}
}

orsp_err orsp_pkg_validate(const orsp_pkg *pkg, orsp_pkg_report *rep)
{
	return orsp_pkg_validate_flags(pkg, 0, rep);
}

orsp_err orsp_pkg_validate_flags(const orsp_pkg *pkg, unsigned flags, orsp_pkg_report *rep)
{
	orsp_pkg_report local;
	vctx v;
	long hi;
	const ServicesList_t *svc = NULL;

	if (!pkg)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_validate: NULL package");
	if (flags & ~ORSP_PKG_VALIDATE_INSTALL)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_validate: unknown flags %#x", flags);
	memset(&v, 0, sizeof(v));
	v.pkg = pkg;
	v.flags = flags;
	v.rep = rep ? rep : &local;
	memset(v.rep, 0, sizeof(*v.rep));

	check_order(&v);
	check_ids(&v);
	hi = first_of(pkg, ORSP_PE_HEADER);
	if (hi >= 0) {
		const ProfileHeader_t *h = &pkg->pe[hi].asn->choice.header;
		svc = &h->eUICC_Mandatory_services;
		check_header(&v, h, hi);
		check_services(&v, h, hi);
	}
	check_fs_order(&v);
	check_files(&v);
	check_fids(&v);
	check_usim_aid(&v);
	check_imsi(&v);
	check_isim_files(&v);
	for (size_t i = 0; i < pkg->n; i++)
		if (pkg->pe[i].type == ORSP_PE_AKA_PARAMETER)
			check_aka_one(&v, svc, i, &pkg->pe[i].asn->choice.akaParameter);
	check_usim_aka(&v);
	check_pins(&v);
	check_pin_contexts(&v);
	check_sd_keys(&v);

	if (v.rep->errors)
		return orsp_errf(ORSP_E_POLICY, "%s", v.first + strlen("error: "));
	orsp_err_clear();
	return ORSP_OK;
}
