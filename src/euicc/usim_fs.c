/* The USIM's and the ISIM's file systems and AKA parameters, taken from the profile package
 * once at load (docs/usim.md, docs/isim.md). File-system PEs name each file by its PE member
 * ("ef-imsi") and carry only what differs from the TCA template (eUICC Profile Package:
 * Interoperable Format, Annex A): pkg.h's orsp_pkg_tpl_files holds the template values (FID,
 * structure, record length, size, SFI, default content) of the files this card serves; an
 * Fcp in the package overrides them. The package validator checks files against the same
 * table and layout rules (orsp_pkg_ef_layout_check). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "openrsp/pkg.h"
#include "apdu_internal.h"

/* The ADF of the NAA whose file-system PE this is: MF files, ADF.USIM or ADF.ISIM. */
static uint8_t pe_df(orsp_pe_type type)
{
	if (type == ORSP_PE_ISIM || type == ORSP_PE_OPT_ISIM)
		return ORSP_USIM_DF_ISIM;
	return type == ORSP_PE_MF ? ORSP_USIM_DF_MF : ORSP_USIM_DF_ADF;
}

/* What one File member of a PE says, beyond orsp_pkg_file: the Fcp as TS 102 222 codes it
 * (PEDefinitions Fcp, AUTOMATIC TAGS: 82 descriptor, 83 FID, 84 dfName, 8A LCSI, 8B security
 * attributes, 88 short EF identifier). */
typedef struct raw_fcp {
	bool has_fd;
	uint8_t fd;
	uint16_t rec_len;
	bool has_lcsi;
	uint8_t lcsi;
	uint8_t arr[3];
	uint8_t arr_len;
	bool has_sfi;
	uint8_t sfi;
	orsp_slice df_name;
	orsp_slice fill, repeat; /* proprietaryEFInfo fillPattern / repeatPattern */
	orsp_slice members;      /* the File's members: fillFileOffset / fillFileContent */
} raw_fcp;

static orsp_err parse_fcp(orsp_slice fcp, raw_fcp *out)
{
	orsp_reader r;
	orsp_tlv t;
	orsp_err e;

	orsp_reader_init(&r, fcp.p, fcp.len);
	while (orsp_reader_remaining(&r) > 0) {
		if ((e = orsp_der_read(&r, &t)) != ORSP_OK)
			return e;
		const uint8_t *v = t.value.p;
		size_t n = t.value.len;
		switch (t.tag) {
		case 0x82:
			if (n < 2 || n > 4 || n == 3)
				return orsp_errf(ORSP_E_MALFORMED,
				                 "Fcp: file descriptor of %zu bytes", n);
			out->has_fd = true;
			out->fd = v[0];
			out->rec_len = n == 4 ? (uint16_t)(v[2] << 8 | v[3]) : 0;
			break;
		case 0x84:
			out->df_name = t.value;
			break;
		case 0xA5: { /* proprietaryEFInfo: C1 fillPattern, C2 repeatPattern */
			orsp_reader pr;
			orsp_tlv pt;
			orsp_reader_init(&pr, t.value.p, t.value.len);
			while (orsp_reader_remaining(&pr) > 0) {
				if ((e = orsp_der_read(&pr, &pt)) != ORSP_OK)
					return e;
				if (pt.tag == 0xC1)
					out->fill = pt.value;
				else if (pt.tag == 0xC2)
					out->repeat = pt.value;
			}
			break;
		}
		case 0x8A:
			if (n != 1)
				return orsp_errf(ORSP_E_MALFORMED, "Fcp: LCSI of %zu bytes", n);
			out->has_lcsi = true;
			out->lcsi = v[0];
			break;
		case 0x8B:
			if (n < 1 || n > 3)
				return orsp_errf(ORSP_E_MALFORMED,
				                 "Fcp: security attributes of %zu bytes", n);
			memcpy(out->arr, v, n);
			out->arr_len = (uint8_t)n;
			break;
		case 0x88:
			/* PEDefinitions: empty means "no SFI"; else b8..b4 (TS 102 222). */
			if (n > 1)
				return orsp_errf(ORSP_E_MALFORMED,
				                 "Fcp: short EF identifier of %zu bytes", n);
			out->has_sfi = true;
			out->sfi = n ? (uint8_t)(v[0] >> 3) : 0;
			break;
		default:
			break;
		}
	}
	return ORSP_OK;
}

/* The Fcp of the i-th File member present in file-system PE raw (header and templateID come
 * first, then the File members in module order, the order orsp_pkg_get_files lists them). */
static orsp_err member_fcp(orsp_slice raw, size_t i, raw_fcp *out, bool *do_not_create)
{
	orsp_tlv pe, t;
	orsp_reader r, fr;
	orsp_err e;

	memset(out, 0, sizeof(*out));
	*do_not_create = false;
	if ((e = orsp_der_parse_one(raw, &pe)) != ORSP_OK)
		return e;
	orsp_reader_init(&r, pe.value.p, pe.value.len);
	for (size_t k = 0; k < i + 3; k++) {
		if ((e = orsp_der_read(&r, &t)) != ORSP_OK)
			return orsp_errf(ORSP_E_MALFORMED, "file-system PE: member %zu missing", i);
	}
	out->members = t.value;
	orsp_reader_init(&fr, t.value.p, t.value.len);
	while (orsp_reader_remaining(&fr) > 0) {
		orsp_tlv m;
		if ((e = orsp_der_read(&fr, &m)) != ORSP_OK)
			return e;
		if (m.tag == 0x80) /* [0] doNotCreate */
			*do_not_create = true;
		else if (m.tag == 0xA1 && (e = parse_fcp(m.value, out)) != ORSP_OK) /* [1] Fcp */
			return e;
	}
	return ORSP_OK;
}

/* The File's fillFileOffset / fillFileContent members over dst (PEDefinitions: an offset
 * counts from the end of the previous content); *end: past the last content byte, or 0. */
static orsp_err put_content(orsp_slice members, uint8_t *dst, size_t cap, size_t *end)
{
	orsp_reader r;
	orsp_tlv m;
	orsp_err e;
	size_t pos = 0;

	*end = 0;
	orsp_reader_init(&r, members.p, members.len);
	while (orsp_reader_remaining(&r) > 0) {
		if ((e = orsp_der_read(&r, &m)) != ORSP_OK)
			return e;
		if (m.tag == 0x82) { /* [2] fillFileOffset */
			uint64_t off = 0;
			if ((e = orsp_der_uint(m.value, &off)) != ORSP_OK)
				return e;
			if (off > cap - pos)
				return orsp_errf(ORSP_E_RESOURCE, "file contents exceed %d bytes",
				                 ORSP_USIM_DATA_MAX);
			pos += (size_t)off;
		} else if (m.tag == 0x83) { /* [3] fillFileContent */
			if (m.value.len > cap - pos)
				return orsp_errf(ORSP_E_RESOURCE, "file contents exceed %d bytes",
				                 ORSP_USIM_DATA_MAX);
			memcpy(dst + pos, m.value.p, m.value.len);
			pos += m.value.len;
			if (pos > *end)
				*end = pos;
		}
	}
	return ORSP_OK;
}

static orsp_err add_file(orsp_usim *u, orsp_pe_type type, const orsp_pkg_file *pf,
                         const raw_fcp *fcp, const orsp_pkg_tpl_file *t, const char *oid)
{
	orsp_usim_file *f;
	size_t size, room, len = 0;
	orsp_err e;

	if (u->n_files >= ORSP_USIM_MAX_FILES)
		return orsp_errf(ORSP_E_RESOURCE, "more than %d files", ORSP_USIM_MAX_FILES);
	f = &u->files[u->n_files];
	memset(f, 0, sizeof(*f));
	snprintf(f->name, sizeof(f->name), "%s", t ? t->name : pf->name);
	f->df = pe_df(type);
	f->fid = pf && pf->has_fid ? pf->fid : t ? t->fid : 0;
	f->descriptor = fcp && fcp->has_fd ? fcp->fd : t ? t->fd : 0;
	f->rec_len = fcp && fcp->has_fd && fcp->rec_len ? fcp->rec_len : t ? t->rec_len : 0;
	f->sfi = fcp && fcp->has_sfi ? fcp->sfi : t ? t->sfi : 0;
	f->lcsi = fcp && fcp->has_lcsi ? fcp->lcsi : 0x05;
	if (fcp && fcp->arr_len) {
		memcpy(f->arr, fcp->arr, fcp->arr_len);
		f->arr_len = fcp->arr_len;
	}
	if (f->fid == 0)
		return ORSP_OK; /* not a file this card can address: skipped */
	if ((f->descriptor & 0x38) == 0x38) {
		/* DFs other than the MF, and a DF 3F00 in any PE but PE-MF (no MF of an NAA's):
		 * not served (docs/usim.md) */
		if (f->fid != 0x3F00 || type != ORSP_PE_MF)
			return ORSP_OK;
		f->is_df = true;
		f->descriptor = 0x78; /* TS 102 221 Table 11.5: DF, shareable */
		f->off = u->data_len; /* no content: where it would start, as for an EF */
		u->n_files++;
		return ORSP_OK;
	}
	if ((f->descriptor & 0x07) != 1 && (f->descriptor & 0x07) != 2 &&
	    (f->descriptor & 0x07) != 6)
		return ORSP_OK; /* BER-TLV EFs and others: not served */
	room = ORSP_USIM_DATA_MAX - u->data_len;
	uint8_t *dst = u->data + u->data_len;
	size = pf && pf->has_size ? pf->size : t ? orsp_pkg_tpl_size(t, oid) : 0;
	if (size == 0)
		return ORSP_OK; /* neither the package nor the template gives a size: skipped */
	bool record = (f->descriptor & 0x07) != 1;
	/* a template of one record (ISIM's EF.IMPU, TCA Annex A): its length is the size */
	if (record && f->rec_len == 0 && t && t->one_record && size <= 0xFF)
		f->rec_len = (uint16_t)size;
	/* The package's pattern; else the template's default content (a fill pattern, TCA
	 * Annex A), also under content the package gives for part of the file; else 'FF'. */
	const uint8_t *pat = NULL;
	size_t plen = 0;
	bool repeat = false;
	uint8_t tpat[40];
	if (fcp && fcp->fill.len) {
		pat = fcp->fill.p;
		plen = fcp->fill.len;
	} else if (fcp && fcp->repeat.len) {
		pat = fcp->repeat.p;
		plen = fcp->repeat.len;
		repeat = true;
	} else if (t && t->fill && orsp_hex_decode(t->fill, tpat, sizeof(tpat), &plen) == ORSP_OK) {
		pat = tpat;
	} else {
		plen = 0;
	}
	if (size > room)
		return orsp_errf(ORSP_E_RESOURCE, "file contents exceed %d bytes",
		                 ORSP_USIM_DATA_MAX);
	orsp_pkg_fill_pattern(dst, size, record ? f->rec_len : 0, pat, plen, repeat);
	if (pf && pf->n_content && fcp) {
		/* content on top of the pattern; bytes past the size extend the file, 'FF'
		 * between */
		memset(dst + size, 0xFF, room - size);
		if ((e = put_content(fcp->members, dst, room, &len)) != ORSP_OK)
			return e;
		if (len > size)
			size = len;
	}
	if ((e = orsp_pkg_ef_layout_check(f->name, f->descriptor, f->rec_len, size)) != ORSP_OK)
		return e;
	/* TS 102 221 §8.3: one FID, and one SFI, per directory; 3F00 and 7FFF name no EF. A
	 * second file would be shadowed by the first (find_child, find_sfi). */
	if (orsp_pkg_fid_reserved(f->fid))
		return orsp_errf(ORSP_E_MALFORMED, "%s: reserved file ID %04X", f->name, f->fid);
	for (size_t k = 0; k < u->n_files; k++) {
		const orsp_usim_file *o = &u->files[k];
		if (o->is_df || o->df != f->df)
			continue;
		if (o->fid == f->fid)
			return orsp_errf(ORSP_E_MALFORMED, "%s: file ID %04X is also %s's", f->name,
			                 f->fid, o->name);
		if (f->sfi && o->sfi == f->sfi)
			return orsp_errf(ORSP_E_MALFORMED, "%s: SFI %02X is also %s's", f->name,
			                 f->sfi, o->name);
	}
	f->off = u->data_len;
	f->size = (uint32_t)size;
	u->data_len += (uint32_t)size;
	u->n_files++;
	return ORSP_OK;
}

/* Take aid as the USIM's (isim false) or the ISIM's AID if it has that NAA's prefix. An AID
 * shorter than the prefix (ORSP_EUICC_AID_MIN is 5, the prefix 7) has not got it: the prefix
 * is never compared past the value. */
static bool take_aid(orsp_usim *u, orsp_slice aid, bool isim)
{
	if (!orsp_pkg_naa_aid(isim ? ORSP_PE_ISIM : ORSP_PE_USIM, aid.p, aid.len) ||
	    aid.len < ORSP_EUICC_AID_MIN || aid.len > ORSP_EUICC_AID_MAX)
		return false;
	memcpy(isim ? u->isim.aid : u->aid, aid.p, aid.len);
	if (isim)
		u->isim.aid_len = aid.len;
	else
		u->aid_len = aid.len;
	return true;
}

/* One file-system PE: every File it lists, and for created-by-default templates (MF, USIM,
 * ISIM) every template file it does not list (TCA: created with the template's defaults). */
static orsp_err load_fs_pe(orsp_usim *u, const orsp_pkg *pkg, size_t pe, orsp_pe_type type,
                           orsp_pkg_fs *fs)
{
	const orsp_pkg_tpl_file *tpl;
	size_t n_tpl = 0;
	orsp_pe_info info;
	orsp_err e;

	if ((e = orsp_pkg_pe(pkg, pe, &info)) != ORSP_OK)
		return e;
	if ((e = orsp_pkg_get_files(pkg, pe, fs)) != ORSP_OK)
		return e;
	for (size_t i = 0; i < fs->n_files && i < ORSP_PKG_MAX_FILES; i++) {
		const orsp_pkg_file *pf = &fs->files[i];
		raw_fcp fcp;
		bool dnc;
		if ((e = member_fcp(info.raw, i, &fcp, &dnc)) != ORSP_OK)
			return orsp_errf(e, "PE #%zu (%s): %s", pe, pf->name, orsp_err_detail());
		if (dnc || pf->do_not_create)
			continue;
		/* The ADFs are no entries in the file table (their AIDs name them): their
		 * EF.ARR reference is kept for their FCP. */
		if (type == ORSP_PE_USIM && strcmp(pf->name, "adf-usim") == 0) {
			if (fcp.df_name.len && !take_aid(u, fcp.df_name, false))
				return orsp_errf(ORSP_E_MALFORMED,
				                 "PE #%zu: ADF.USIM AID is not a "
				                 "USIM AID",
				                 pe);
			memcpy(u->adf_arr, fcp.arr, sizeof(u->adf_arr));
			u->adf_arr_len = fcp.arr_len;
			continue;
		}
		if (type == ORSP_PE_ISIM && strcmp(pf->name, "adf-isim") == 0) {
			if (fcp.df_name.len && !take_aid(u, fcp.df_name, true))
				return orsp_errf(ORSP_E_MALFORMED,
				                 "PE #%zu: ADF.ISIM AID is not an ISIM AID", pe);
			memcpy(u->isim.arr, fcp.arr, sizeof(u->isim.arr));
			u->isim.arr_len = fcp.arr_len;
			continue;
		}
		const orsp_pkg_tpl_file *t = orsp_pkg_tpl_find(type, pf->name);
		if (!t && !(fcp.has_fd && pf->has_fid))
			continue; /* neither template nor full Fcp: not served */
		if ((e = add_file(u, type, pf, &fcp, t, fs->template_oid)) != ORSP_OK)
			return e;
	}
	if (type != ORSP_PE_MF && type != ORSP_PE_USIM && type != ORSP_PE_ISIM)
		return ORSP_OK;
	tpl = orsp_pkg_tpl_files(&n_tpl);
	for (size_t k = 0; k < n_tpl; k++) {
		bool listed = false;
		if (tpl[k].pe != type)
			continue;
		for (size_t i = 0; i < fs->n_files && !listed; i++)
			listed = strcmp(fs->files[i].name, tpl[k].name) == 0;
		if (listed || tpl[k].size == 0)
			continue;
		if ((e = add_file(u, type, NULL, NULL, &tpl[k], fs->template_oid)) != ORSP_OK)
			return e;
	}
	return ORSP_OK;
}

/* EF.DIR records (TS 102 221 §13.1): '61' application template with '4F' AID; the first
 * with the USIM's (isim false) or the ISIM's prefix. */
static void aid_from_dir(orsp_usim *u, bool isim)
{
	for (size_t i = 0; i < u->n_files; i++) {
		const orsp_usim_file *f = &u->files[i];
		if (f->df != ORSP_USIM_DF_MF || f->fid != 0x2F00 || f->rec_len == 0)
			continue;
		for (uint32_t off = 0; off + f->rec_len <= f->size; off += f->rec_len) {
			const uint8_t *rec = u->data + f->off + off;
			orsp_tlv t, a;
			orsp_reader r;
			if (rec[0] != 0x61)
				continue;
			orsp_reader_init(&r, rec, f->rec_len);
			if (orsp_der_read(&r, &t) != ORSP_OK)
				continue;
			orsp_reader_init(&r, t.value.p, t.value.len);
			while (orsp_reader_remaining(&r) > 0 && orsp_der_read(&r, &a) == ORSP_OK) {
				if (a.tag == 0x4F && take_aid(u, a.value, isim))
					return;
			}
		}
	}
}

/* ---------------------------------------------------------------- SQN state ------------ */

orsp_err orsp_usim_sqn_save(const orsp_usim_sqn *st, uint8_t *out, size_t cap, size_t *len)
{
	orsp_writer w;
	uint8_t b[6];

	if (!st || !out || !len || st->ind_bits > ORSP_SQN_MAX_IND_BITS)
		return orsp_errf(ORSP_E_USAGE, "usim_sqn_save: bad arguments");
	/* Never write what orsp_usim_sqn_parse refuses: the card would lose its USIM on the
	 * next load. */
	if (st->delta > ORSP_AKA_SQN_MAX || st->age_limit > ORSP_AKA_SQN_MAX)
		return orsp_errf(ORSP_E_USAGE, "usim_sqn_save: delta or age limit above 48 bits");
	for (size_t i = 0; i < (1u << st->ind_bits); i++)
		if (st->seq[i] >> (48 - st->ind_bits))
			return orsp_errf(ORSP_E_USAGE, "usim_sqn_save: SEQ %zu above %u bits", i,
			                 48 - st->ind_bits);
	orsp_writer_init(&w, out, cap);
	orsp_write_u8(&w, 'S');
	orsp_write_u8(&w, 'Q');
	orsp_write_u8(&w, ORSP_USIM_SQN_STATE_VERSION);
	orsp_write_u8(&w, (uint8_t)st->ind_bits);
	orsp_put_be48(b, st->delta);
	orsp_write_bytes(&w, b, 6);
	orsp_put_be48(b, st->age_limit);
	orsp_write_bytes(&w, b, 6);
	for (size_t i = 0; i < (1u << st->ind_bits); i++) {
		orsp_put_be48(b, st->seq[i]);
		orsp_write_bytes(&w, b, 6);
	}
	*len = w.len;
	return orsp_writer_status(&w);
}

static uint64_t get48(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 6; i++)
		v = v << 8 | p[i];
	return v;
}

orsp_err orsp_usim_sqn_parse(const uint8_t *in, size_t len, orsp_usim_sqn *st)
{
	if (!in || !st)
		return orsp_errf(ORSP_E_USAGE, "usim_sqn_parse: NULL argument");
	if (len < 16 || in[0] != 'S' || in[1] != 'Q')
		return orsp_errf(ORSP_E_MALFORMED, "SQN state: not an SQ record");
	if (in[2] != ORSP_USIM_SQN_STATE_VERSION)
		return orsp_errf(ORSP_E_MALFORMED, "SQN state: version %u unknown", in[2]);
	if (in[3] > ORSP_SQN_MAX_IND_BITS)
		return orsp_errf(ORSP_E_MALFORMED, "SQN state: %u IND bits", in[3]);
	size_t n = (size_t)1 << in[3];
	if (len != 16 + 6 * n)
		return orsp_errf(ORSP_E_MALFORMED, "SQN state: %zu bytes, %zu expected", len,
		                 16 + 6 * n);
	orsp_usim_sqn_init(st, in[3]);
	st->delta = get48(in + 4);
	st->age_limit = get48(in + 10);
	for (size_t i = 0; i < n; i++) {
		st->seq[i] = get48(in + 16 + 6 * i);
		/* SEQ is SQN without IND: at most 48 - ind_bits bits. */
		if (st->seq[i] >> (48 - in[3]))
			return orsp_errf(ORSP_E_MALFORMED, "SQN state: SEQ %zu out of range", i);
	}
	return ORSP_OK;
}

/* ---------------------------------------------------------------- AKA parameters ------- */

/* The NAA's own PE-AKAParameter (the one in its run of PEs, or the one its mappingParameter
 * names: orsp_pkg_naa_aka), not merely the package's first: an ISIM's K is not the USIM's.
 * naa_pe is the PE-USIM or PE-ISIM; *ok, sub and sqn are that NAA's; *aka_pe the index of the
 * PE-AKAParameter it resolved to (SIZE_MAX: none). sqn is initialised here, on every path
 * (the initial state when the NAA has no AKA parameters): the callers do not. */
static orsp_err load_aka(const orsp_pkg *pkg, size_t naa_pe, bool *ok, orsp_aka_subscriber *sub,
                         orsp_usim_sqn *sqn, size_t *aka_pe)
{
	orsp_pkg_aka aka;
	orsp_err e;
	size_t i = 0;

	*aka_pe = SIZE_MAX;
	orsp_usim_sqn_init(sqn, 5);
	e = orsp_pkg_naa_aka(pkg, naa_pe, &i);
	if (e == ORSP_E_NOT_FOUND) {
		orsp_err_clear();
		return ORSP_OK; /* no AKA parameters: AUTHENTICATE refused (docs/usim.md) */
	}
	if (e != ORSP_OK || (e = orsp_pkg_get_aka(pkg, i, &aka)) != ORSP_OK)
		goto out;
	*aka_pe = i;
	/* TS 33.102 C.3.2: 32 sqnInit values, one per IND (5 bits). Each is a SEQ, at most 43
	 * bits (PEDefinitions: '07FFFFFFFFFF'); a larger one would be persisted by the first
	 * AUTHENTICATE as a state no load accepts (the profile would lose its USIM), and AUTS
	 * would carry an SQN_MS that does not fit: the package is refused. */
	sqn->delta = aka.sqn_delta;
	sqn->age_limit = aka.sqn_age_limit;
	for (size_t j = 0; j < aka.n_sqn_init && j < 32; j++) {
		if (aka.sqn_init[j] >> (48 - 5)) {
			e = orsp_errf(ORSP_E_MALFORMED,
			              "PE-AKAParameter: sqnInit[%zu] exceeds 07FFFFFFFFFF", j);
			goto out;
		}
		sqn->seq[j] = aka.sqn_init[j];
	}
	if (aka.algorithm != ORSP_PKG_ALG_MILENAGE && aka.algorithm != ORSP_PKG_ALG_TUAK)
		goto out; /* usim-test-algorithm: AUTHENTICATE refused (docs/usim.md) */
	if ((e = orsp_pkg_aka_subscriber(pkg, i, &aka, sub)) != ORSP_OK)
		goto out;
	*ok = true;
out:
	return e;
}

/* Whether a challenge one NAA accepts verifies on the other too: then they must share one
 * SQN state. Milenage: AK is f5 (OUT2: r2, c2) and MAC-A f1 (OUT1: r1, c1), so the
 * algorithm, K, OPc, r1, c1, r2 and c2 decide it; r3-r5 and c3-c5 only change CK, IK and
 * f5* (an ISIM differing only there still accepts every USIM challenge). Rotations compare
 * mod 128, as Milenage applies them. TUAK: its INSTANCE byte carries the output sizes and
 * Keccak iterations into every function, so all parameters. Constant time throughout. */
static bool same_subscriber(const orsp_aka_subscriber *a, const orsp_aka_subscriber *b)
{
	int eq = a->alg == b->alg && a->k.len == b->k.len && a->opc.len == b->opc.len &&
	         a->k.len <= sizeof(a->k.v) && a->opc.len <= sizeof(a->opc.v);

	if (!eq)
		return false;
	eq &= orsp_ct_eq(a->k.v, b->k.v, a->k.len);
	eq &= orsp_ct_eq(a->opc.v, b->opc.v, a->opc.len);
	if (a->alg == ORSP_AKA_MILENAGE) {
		eq &= (a->milenage.r[0] % 128u) == (b->milenage.r[0] % 128u);
		eq &= (a->milenage.r[1] % 128u) == (b->milenage.r[1] % 128u);
		eq &= orsp_ct_eq(a->milenage.c[0], b->milenage.c[0], 16);
		eq &= orsp_ct_eq(a->milenage.c[1], b->milenage.c[1], 16);
	} else {
		eq &= a->tuak.keccak_iterations == b->tuak.keccak_iterations &&
		      a->tuak.mac_bits == b->tuak.mac_bits &&
		      a->tuak.res_bits == b->tuak.res_bits && a->tuak.ck_bits == b->tuak.ck_bits &&
		      a->tuak.ik_bits == b->tuak.ik_bits;
	}
	return eq != 0;
}

/* ---------------------------------------------------------------- load ----------------- */

/* The file-system PEs of one pass: the MF, the first USIM and its PE-OPT-USIMs (isim false),
 * or the first ISIM and its PE-OPT-ISIMs (isim true). TCA: a PE-OPT-USIM belongs to the USIM
 * whose PE-USIM it follows, before the next NAA's PE: only the first USIM's are served; the
 * same for a PE-OPT-ISIM and the first ISIM. *naa_pe: that NAA's PE, SIZE_MAX if none. */
static orsp_err load_pass(orsp_usim *u, const orsp_pkg *pkg, orsp_pkg_fs *fs, bool isim,
                          size_t *naa_pe)
{
	orsp_pe_type naa = isim ? ORSP_PE_ISIM : ORSP_PE_USIM;
	orsp_pe_type opt = isim ? ORSP_PE_OPT_ISIM : ORSP_PE_OPT_USIM;
	bool in_naa = false;
	orsp_err e;

	*naa_pe = SIZE_MAX;
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info info;
		if ((e = orsp_pkg_pe(pkg, i, &info)) != ORSP_OK)
			return e;
		if (info.type == ORSP_PE_MF || info.type == ORSP_PE_ISIM ||
		    info.type == ORSP_PE_CSIM || info.type == ORSP_PE_IOT ||
		    info.type == ORSP_PE_USIM)
			in_naa = false;
		if (info.type == naa) {
			if (*naa_pe != SIZE_MAX)
				continue; /* the first one is the one served */
			in_naa = true;
			*naa_pe = i;
		} else if (info.type == opt) {
			if (!in_naa)
				continue;
		} else if (info.type != ORSP_PE_MF || isim) {
			continue;
		}
		if ((e = load_fs_pe(u, pkg, i, info.type, fs)) != ORSP_OK)
			return e;
	}
	return ORSP_OK;
}

/* The ISIM: its files, AID and AKA parameters (usim_aka: the USIM's PE-AKAParameter). */
static orsp_err load_isim(orsp_usim *u, const orsp_pkg *pkg, orsp_pkg_fs *fs, size_t usim_aka)
{
	size_t isim_pe, isim_aka = SIZE_MAX;
	orsp_err e;

	if ((e = load_pass(u, pkg, fs, true, &isim_pe)) != ORSP_OK)
		return e;
	if (isim_pe == SIZE_MAX)
		return ORSP_OK; /* no PE-ISIM: no ISIM */
	u->isim.loaded = true;
	if (u->isim.aid_len == 0)
		aid_from_dir(u, true);
	if (u->isim.aid_len == 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "no ADF.ISIM AID in the PE-ISIM or EF.DIR");
	/* The ISIM's AKA parameters. TS 33.203 §6.1's SQN_ISIM apart from the USIM's SQN
	 * assumes the ISIM's own K: with the USIM's algoParameter (a mappingParameter) or
	 * parameters that verify the same challenges (same_subscriber), a challenge one NAA
	 * accepted would be accepted again by the other (RAND and AUTN travel in clear), so
	 * the ISIM then uses the USIM's SQN state and persist (TS 33.102 §6.3, Annex C: each
	 * SQN accepted once). Its own state (from the sqnInit of the PE-AKAParameter it
	 * resolves to) only with a K of its own. */
	if ((e = load_aka(pkg, isim_pe, &u->isim.aka_ok, &u->isim.sub, &u->isim.sqn, &isim_aka)) !=
	    ORSP_OK)
		return e;
	if ((isim_aka != SIZE_MAX && isim_aka == usim_aka) ||
	    (u->aka_ok && u->isim.aka_ok && same_subscriber(&u->sub, &u->isim.sub))) {
		u->isim.shared_sqn = true;
		orsp_usim_sqn_init(&u->isim.sqn, 5); /* unused */
	}
	return ORSP_OK;
}

/* ---------------------------------------------------------------- PINs ----------------- */

/* The PE that gives a PE-PINCodes its context (TCA SAIP: the PINs of a PE-PINCodes belong to
 * the DF the file-system PEs before it created, global ones to the MF): the nearest one
 * before pe that is no PIN, PUK, AKA or CDMA parameter PE. SIZE_MAX if none. */
static size_t pin_context(const orsp_pkg *pkg, size_t pe)
{
	while (pe-- > 0) {
		orsp_pe_info info;
		if (orsp_pkg_pe(pkg, pe, &info) != ORSP_OK)
			return SIZE_MAX;
		if (info.type != ORSP_PE_PIN_CODES && info.type != ORSP_PE_PUK_CODES &&
		    info.type != ORSP_PE_AKA_PARAMETER && info.type != ORSP_PE_CDMA_PARAMETER)
			return pe;
	}
	return SIZE_MAX;
}

/* The first PE of an NAA (PE-USIM, PE-ISIM) and the end of its run, up to the next NAA's
 * application PE (as load_pass takes them). */
static void naa_run(const orsp_pkg *pkg, orsp_pe_type naa, size_t *first, size_t *end)
{
	*first = *end = SIZE_MAX;
	for (size_t i = 0; i < orsp_pkg_count(pkg); i++) {
		orsp_pe_info info;
		if (orsp_pkg_pe(pkg, i, &info) != ORSP_OK)
			return;
		bool app = info.type == ORSP_PE_MF || info.type == ORSP_PE_USIM ||
		           info.type == ORSP_PE_ISIM || info.type == ORSP_PE_CSIM ||
		           info.type == ORSP_PE_IOT;
		if (*first == SIZE_MAX && info.type == naa)
			*first = i;
		else if (*first != SIZE_MAX && app) {
			*end = i;
			return;
		}
	}
	if (*first != SIZE_MAX)
		*end = orsp_pkg_count(pkg);
}

/* Where a PIN of the package applies: ORSP_USIM_PIN_GLOBAL for a global key reference (PIN
 * Appl 1-8, ADM1-10, universal PIN) and a PUK, ORSP_USIM_DF_ADF / _ISIM for a second PIN
 * Appl (81-88) of a PE-PINCodes in the served USIM's / ISIM's run, 0xFF for any other (a
 * local PIN of DF.TELECOM, the CSIM...: not served). */
static uint8_t pin_scope(const orsp_usim *u, const orsp_pkg *pkg, const orsp_pkg_pin *c)
{
	size_t ctx, first, end;

	if (c->puk || c->key_reference < 0x81 || c->key_reference > 0x88)
		return ORSP_USIM_PIN_GLOBAL;
	ctx = pin_context(pkg, c->pe_index);
	naa_run(pkg, ORSP_PE_USIM, &first, &end);
	if (ctx != SIZE_MAX && ctx >= first && ctx < end)
		return ORSP_USIM_DF_ADF;
	naa_run(pkg, ORSP_PE_ISIM, &first, &end);
	if (u->isim.loaded && ctx != SIZE_MAX && ctx >= first && ctx < end)
		return ORSP_USIM_DF_ISIM;
	return 0xFF;
}

int orsp__usim_pin_find(const orsp_usim *u, bool puk, uint8_t scope, long ref)
{
	for (size_t i = 0; i < u->n_pins; i++)
		if (u->pins[i].puk == puk && u->pins[i].scope == scope && u->pins[i].ref == ref)
			return (int)i;
	return -1;
}

/* pinAttributes (PEDefinitions PINConfiguration, DEFAULT 7): b1 the PIN is enabled when
 * installed, b3 it may be disabled (docs/usim.md "PINs": GSMA TS.48 gives PIN1, shipped
 * disabled, 6; ADM1 and PIN2, never disabled, 3). b2 is not applied. */
#define PIN_ATTR_ENABLED 0x01
#define PIN_ATTR_DISABLE_ALLOWED 0x04

/* The PINs and PUKs of the package the USIM and ISIM use (PE-PUKCodes first, so that each
 * PIN can name its PUK), with their values; the first definition of a key reference in a
 * scope counts. */
static orsp_err load_pins(orsp_usim *u, const orsp_pkg *pkg)
{
	orsp_pkg_pin *cfg = NULL;
	size_t n = 0;
	orsp_err e;

	if ((e = orsp_pkg_get_pins(pkg, NULL, 0, &n)) != ORSP_OK || n == 0)
		return e;
	if (!(cfg = orsp_wipe_calloc(n, sizeof(*cfg))))
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if ((e = orsp_pkg_get_pins(pkg, cfg, n, &n)) != ORSP_OK)
		goto out;
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < n; i++) {
			const orsp_pkg_pin *c = &cfg[i];
			uint8_t scope;
			if (c->puk != (pass == 0) || c->key_reference <= 0 ||
			    c->key_reference > 0xFF)
				continue;
			if ((scope = pin_scope(u, pkg, c)) == 0xFF ||
			    orsp__usim_pin_find(u, c->puk, scope, c->key_reference) >= 0)
				continue;
			if (u->n_pins == ORSP_USIM_MAX_PINS) {
				e = orsp_errf(ORSP_E_RESOURCE, "more than %d PINs and PUKs",
				              ORSP_USIM_MAX_PINS);
				goto out;
			}
			orsp_usim_pin *p = &u->pins[u->n_pins];
			if ((e = orsp_pkg_get_pin_value(pkg, i, &p->value)) != ORSP_OK)
				goto out;
			if (p->value.len != ORSP_USIM_PIN_LEN) {
				e = orsp_errf(ORSP_E_MALFORMED, "%s: a value of %zu bytes",
				              orsp_pkg_pin_ref_name(c->key_reference, c->puk),
				              p->value.len);
				goto out;
			}
			p->ref = (uint8_t)c->key_reference;
			p->scope = scope;
			p->puk = c->puk;
			p->max_tries = (uint8_t)c->max_attempts;
			p->left = (uint8_t)(c->retries_left < c->max_attempts ? c->retries_left
			                                                      : c->max_attempts);
			p->enabled = c->puk || (c->attributes & PIN_ATTR_ENABLED) != 0;
			p->disable_ok = !c->puk && (c->attributes & PIN_ATTR_DISABLE_ALLOWED) != 0;
			p->unblock = -1;
			if (!c->puk && c->has_unblock)
				p->unblock = (int8_t)orsp__usim_pin_find(
				    u, true, ORSP_USIM_PIN_GLOBAL, c->unblock_reference);
			u->n_pins++;
		}
	}
out:
	orsp_wipe(cfg, n * sizeof(*cfg));
	free(cfg);
	return e;
}

/* kind byte of the PIN state: 0..2 a PIN of that scope, 3 a PUK */
#define PIN_KIND_PUK 3
#define PIN_FLAG_ENABLED 0x01
#define PIN_FLAG_CHANGED 0x02

orsp_err orsp_usim_pin_save(const orsp_usim *u, uint8_t *out, size_t cap, size_t *len)
{
	size_t need;

	if (!u || !out || !len)
		return orsp_errf(ORSP_E_USAGE, "usim_pin_save: NULL argument");
	need = 4 + 12 * u->n_pins;
	if (cap < need)
		return orsp_errf(ORSP_E_RESOURCE, "PIN state: %zu bytes needed", need);
	out[0] = 'P';
	out[1] = 'N';
	out[2] = ORSP_USIM_PIN_STATE_VERSION;
	out[3] = (uint8_t)u->n_pins;
	for (size_t i = 0; i < u->n_pins; i++) {
		const orsp_usim_pin *p = &u->pins[i];
		uint8_t *o = out + 4 + 12 * i;
		o[0] = p->ref;
		o[1] = p->puk ? PIN_KIND_PUK : p->scope;
		o[2] = (uint8_t)((p->enabled ? PIN_FLAG_ENABLED : 0) |
		                 (p->changed ? PIN_FLAG_CHANGED : 0));
		o[3] = p->left;
		if (p->changed)
			memcpy(o + 4, p->value.v, ORSP_USIM_PIN_LEN);
		else
			memset(o + 4, 0, ORSP_USIM_PIN_LEN);
	}
	*len = need;
	return ORSP_OK;
}

orsp_err orsp_usim_pin_state(orsp_usim *u, const uint8_t *state, size_t len,
                             orsp_usim_persist_fn persist, void *user)
{
	orsp_usim_pin *pins = NULL;
	orsp_err e = ORSP_OK;

	if (!u || (len && !state))
		return orsp_errf(ORSP_E_USAGE, "usim_pin_state: NULL argument");
	if (!u->loaded)
		return orsp_errf(ORSP_E_STATE, "USIM not loaded");
	if (len) {
		if (len != 4 + 12 * u->n_pins || state[0] != 'P' || state[1] != 'N' ||
		    state[2] != ORSP_USIM_PIN_STATE_VERSION || state[3] != u->n_pins)
			return orsp_errf(
			    ORSP_E_MALFORMED,
			    "PIN state of %zu bytes does not match the profile's %zu PINs", len,
			    u->n_pins);
		/* all checked on a copy first: a bad entry changes nothing */
		if (!(pins = orsp_wipe_malloc(sizeof(u->pins))))
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		memcpy(pins, u->pins, sizeof(u->pins));
		for (size_t i = 0; i < u->n_pins && !e; i++) {
			const uint8_t *s = state + 4 + 12 * i;
			orsp_usim_pin *p = &pins[i];
			if (s[0] != p->ref || s[1] != (p->puk ? PIN_KIND_PUK : p->scope) ||
			    (s[2] & ~(PIN_FLAG_ENABLED | PIN_FLAG_CHANGED)) ||
			    s[3] > p->max_tries || (p->puk && !(s[2] & PIN_FLAG_ENABLED))) {
				e = orsp_errf(ORSP_E_MALFORMED,
				              "PIN state: entry %zu does not match", i);
				break;
			}
			p->enabled = (s[2] & PIN_FLAG_ENABLED) != 0;
			p->changed = (s[2] & PIN_FLAG_CHANGED) != 0;
			p->left = s[3];
			if (p->changed &&
			    (e = orsp_secret_set(&p->value, s + 4, ORSP_USIM_PIN_LEN)))
				break;
		}
		if (!e)
			memcpy(u->pins, pins, sizeof(u->pins));
		orsp_wipe(pins, sizeof(u->pins));
		free(pins);
		if (e)
			return e;
	}
	u->pin_persist = persist;
	u->pin_persist_user = user;
	return ORSP_OK;
}

/* EF.UST as this card serves it. PEDefinitions (PE-USIM, ef-ust): the eUICC sets to zero the
 * bits of the services it does not support. Services n°122 on (TS 31.102 §4.2.8: 122 5GS
 * mobility management information, 123 5G security parameters, 124 subscription identifier
 * privacy, 125 SUCI calculation by the USIM, 126 UAC access identities, and the later 5G
 * ones) need DF.5GS or GET IDENTITY, which this card has not (docs/usim.md, "Not done"): a
 * 5G terminal reading them set would select files that are not there, or ask the card for a
 * SUCI it cannot give. Cleared in the file served; the package stored is not changed. Until
 * session 57 EF.UST was served as the package gave it (TS.48 v7's sets 122-126). */
#define UST_FIRST_UNSERVED 122
static void mask_ust(orsp_usim *u)
{
	for (size_t i = 0; i < u->n_files; i++) {
		const orsp_usim_file *f = &u->files[i];
		uint8_t *d = u->data + f->off;
		if (f->is_df || f->df != ORSP_USIM_DF_ADF || f->fid != 0x6F38)
			continue;
		/* service n is bit (n - 1) % 8 of byte (n - 1) / 8 */
		for (size_t n = UST_FIRST_UNSERVED; (n - 1) / 8 < f->size; n++)
			d[(n - 1) / 8] &= (uint8_t) ~(1u << ((n - 1) % 8));
	}
}

static orsp_err load_pkg(orsp_usim *u, const orsp_pkg *pkg, const uint8_t *sqn_state,
                         size_t sqn_len, orsp_usim_persist_fn persist, void *user)
{
	orsp_pkg_fs *fs = NULL;
	orsp_pkg_header hdr;
	orsp_err e;
	size_t usim_pe, usim_aka = SIZE_MAX;

	memset(u, 0, sizeof(*u));
	if (orsp_pkg_get_header(pkg, &hdr) == ORSP_OK)
		memcpy(u->iccid, hdr.iccid, sizeof(u->iccid));
	fs = orsp_wipe_malloc(sizeof(*fs)); /* large; load time only, like the package itself */
	if (!fs) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	/* The MF and the USIM first: whatever the ISIM holds cannot take them away. */
	if ((e = load_pass(u, pkg, fs, false, &usim_pe)) != ORSP_OK)
		goto out;
	if (usim_pe == SIZE_MAX) {
		e = orsp_errf(ORSP_E_NOT_FOUND, "the profile has no PE-USIM");
		goto out;
	}
	if (u->aid_len == 0)
		aid_from_dir(u, false);
	if (u->aid_len == 0) {
		e = orsp_errf(ORSP_E_NOT_FOUND, "no ADF.USIM AID in the PE-USIM or EF.DIR");
		goto out;
	}
	mask_ust(u);
	if ((e = load_aka(pkg, usim_pe, &u->aka_ok, &u->sub, &u->sqn, &usim_aka)) != ORSP_OK)
		goto out;
	if (sqn_len && (e = orsp_usim_sqn_parse(sqn_state, sqn_len, &u->sqn)) != ORSP_OK)
		goto out;
	/* Then the ISIM, on its own: a PE-ISIM this card cannot serve (an AID that is no ISIM
	 * AID, none at all, records add_file refuses, AKA parameters refused: a mapping onto
	 * an NAA without algoParameter, a sqnInit too large; tables full) leaves the USIM as
	 * it is and the profile without ISIM (SELECT 6A82); the reason is logged
	 * (docs/isim.md). No AKA parameters, or a mapping naming no NAA that has them, is no
	 * error: the ISIM loads and AUTHENTICATE answers 6A81. Where the USIM's tables end is
	 * kept for orsp_usim_isim_drop, not inferred from the ISIM's entries. */
	u->isim.first_file = u->n_files;
	u->isim.data_off = u->data_len;
	if ((e = load_isim(u, pkg, fs, usim_aka)) != ORSP_OK) {
		orsp_log(ORSP_LOG_WARN, "profile %s: its ISIM is not served: %s: %s", u->iccid,
		         orsp_err_str(e), orsp_err_detail());
		orsp_err_clear();
		orsp_usim_isim_drop(u);
		e = ORSP_OK;
	}
	if ((e = load_pins(u, pkg)) != ORSP_OK)
		goto out;
	u->persist = persist;
	u->persist_user = user;
	for (size_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++) {
		u->ch[ch].ef = -1;
		u->ch[ch].df = ORSP_USIM_DF_MF;
	}
	u->loaded = true;
out:
	free(fs);
	if (e != ORSP_OK)
		orsp_wipe(u, sizeof(*u));
	return e;
}

orsp_err orsp_usim_load(orsp_usim *u, const uint8_t *upp, size_t upp_len, const uint8_t *sqn_state,
                        size_t sqn_len, orsp_usim_persist_fn persist, void *user)
{
	orsp_pkg *pkg = NULL;
	orsp_err e;

	if (!u || !upp || (sqn_len && !sqn_state))
		return orsp_errf(ORSP_E_USAGE, "usim_load: NULL argument");
	memset(u, 0, sizeof(*u));
	if ((e = orsp_pkg_decode(upp, upp_len, &pkg)) != ORSP_OK)
		return e;
	e = load_pkg(u, pkg, sqn_state, sqn_len, persist, user);
	orsp_pkg_free(pkg);
	return e;
}

void orsp_usim_isim_drop(orsp_usim *u)
{
	size_t n;
	uint32_t data_len;

	if (!u)
		return;
	/* the ISIM's files follow the MF's and the USIM's (load_isim runs last): back to the
	 * counts orsp_usim_load recorded before them */
	n = u->isim.first_file < u->n_files ? u->isim.first_file : u->n_files;
	data_len = u->isim.data_off < u->data_len ? u->isim.data_off : u->data_len;
	/* to the tables' end: a file that failed was written past the counts (its entry,
	 * content put before the overflow showed) */
	orsp_wipe(u->files + n, (ORSP_USIM_MAX_FILES - n) * sizeof(u->files[0]));
	orsp_wipe(u->data + data_len, ORSP_USIM_DATA_MAX - data_len);
	u->n_files = n;
	u->data_len = data_len;
	orsp_aka_subscriber_wipe(&u->isim.sub);
	orsp_wipe(&u->isim, sizeof(u->isim)); /* not loaded: its select answers 6A82 */
	/* where its files would go, so that a second drop changes nothing */
	u->isim.first_file = n;
	u->isim.data_off = data_len;
	for (size_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++) {
		orsp_usim_channel *c = &u->ch[ch];
		if (c->isim_active || c->df == ORSP_USIM_DF_ISIM) {
			c->isim_active = false;
			c->df = ORSP_USIM_DF_MF;
			c->ef = -1;
			c->rec = 0;
		}
	}
}

orsp_err orsp_usim_check_pkg(const orsp_pkg *pkg)
{
	orsp_usim *u = NULL;
	bool has_usim = false;
	orsp_err e;

	if (!pkg)
		return orsp_errf(ORSP_E_USAGE, "usim_check: NULL argument");
	for (size_t i = 0; i < orsp_pkg_count(pkg) && !has_usim; i++) {
		orsp_pe_info info;
		has_usim = orsp_pkg_pe(pkg, i, &info) == ORSP_OK && info.type == ORSP_PE_USIM;
	}
	if (!has_usim)
		return ORSP_OK; /* nothing this card would serve, nothing to refuse */
	/* about 26 KiB: the live one serves the enabled profile */
	u = orsp_wipe_malloc(sizeof(*u));
	if (!u)
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
	else
		e = load_pkg(u, pkg, NULL, 0, NULL, NULL);
	orsp_usim_unload(u);
	free(u);
	return e;
}

orsp_err orsp_usim_check(const uint8_t *upp, size_t upp_len)
{
	orsp_pkg *pkg = NULL;
	orsp_err e;

	if (!upp)
		return orsp_errf(ORSP_E_USAGE, "usim_check: NULL argument");
	if ((e = orsp_pkg_decode(upp, upp_len, &pkg)) != ORSP_OK)
		return e;
	e = orsp_usim_check_pkg(pkg);
	orsp_pkg_free(pkg);
	return e;
}

void orsp_usim_unload(orsp_usim *u)
{
	if (!u)
		return;
	orsp_aka_subscriber_wipe(&u->sub);
	orsp_aka_subscriber_wipe(&u->isim.sub);
	orsp_wipe(u, sizeof(*u));
}

orsp_err orsp_usim_aid(const orsp_usim *u, uint8_t aid[16], size_t *len)
{
	if (!u || !aid || !len)
		return orsp_errf(ORSP_E_USAGE, "usim_aid: NULL argument");
	if (!u->loaded)
		return orsp_errf(ORSP_E_STATE, "USIM not loaded");
	memcpy(aid, u->aid, u->aid_len);
	*len = u->aid_len;
	return ORSP_OK;
}

orsp_err orsp_usim_isim_aid(const orsp_usim *u, uint8_t aid[16], size_t *len)
{
	if (!u || !aid || !len)
		return orsp_errf(ORSP_E_USAGE, "usim_isim_aid: NULL argument");
	if (!u->loaded)
		return orsp_errf(ORSP_E_STATE, "USIM not loaded");
	if (!u->isim.loaded)
		return orsp_errf(ORSP_E_NOT_FOUND, "the profile has no ISIM");
	memcpy(aid, u->isim.aid, u->isim.aid_len);
	*len = u->isim.aid_len;
	return ORSP_OK;
}

orsp_err orsp_usim_isim_state(orsp_usim *u, const uint8_t *sqn_state, size_t sqn_len,
                              orsp_usim_persist_fn persist, void *user)
{
	orsp_usim_sqn st;
	orsp_err e;

	if (!u || (sqn_len && !sqn_state))
		return orsp_errf(ORSP_E_USAGE, "usim_isim_state: NULL argument");
	if (!u->loaded)
		return orsp_errf(ORSP_E_STATE, "USIM not loaded");
	if (!u->isim.loaded)
		return orsp_errf(ORSP_E_NOT_FOUND, "the profile has no ISIM");
	if (u->isim.shared_sqn) {
		/* the USIM's state and persist serve the ISIM: a state of its own would be
		 * dropped, so it is refused rather than ignored */
		if (sqn_len)
			return orsp_errf(ORSP_E_STATE,
			                 "the ISIM shares the USIM's K and its SQN state");
		return ORSP_OK;
	}
	if (sqn_len) {
		if ((e = orsp_usim_sqn_parse(sqn_state, sqn_len, &st)) != ORSP_OK)
			return orsp_errf(e, "ISIM %s", orsp_err_detail());
		u->isim.sqn = st;
		orsp_wipe(&st, sizeof(st));
	}
	u->isim.persist = persist;
	u->isim.persist_user = user;
	return ORSP_OK;
}

bool orsp_usim_isim_shares_sqn(const orsp_usim *u)
{
	return u && u->loaded && u->isim.loaded && u->isim.shared_sqn;
}
