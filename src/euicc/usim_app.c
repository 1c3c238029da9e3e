/* The USIM and ISIM applications and the UICC file system behind the APDU layer
 * (docs/usim.md, docs/isim.md): SELECT by FID, path, parent and child DF, STATUS, READ
 * BINARY, READ RECORD, the PIN commands (VERIFY, CHANGE, DISABLE, ENABLE, UNBLOCK PIN) and
 * AUTHENTICATE, per ETSI TS 102 221 §11,
 * 3GPP TS 31.102 §7 and TS 31.103 §7. The files are read only. One orsp_usim serves the USIM
 * (orsp_usim_app_ops, under the ADF.USIM AID), the ISIM (orsp_isim_app_ops, under the ADF.ISIM AID)
 * and the MF handler (orsp_usim_mf_ops); each logical channel has its own current application (at
 * most one of the two) and DF/EF/record. */
#include <string.h>

#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "apdu_internal.h"

#define INS_VERIFY 0x20
#define INS_CHANGE_PIN 0x24
#define INS_DISABLE_PIN 0x26
#define INS_ENABLE_PIN 0x28
#define INS_UNBLOCK_PIN 0x2C
#define INS_AUTHENTICATE 0x88
#define INS_SEARCH_RECORD 0xA2
#define INS_SELECT 0xA4
#define INS_READ_BINARY 0xB0
#define INS_READ_RECORD 0xB2
#define INS_UPDATE_BINARY 0xD6
#define INS_UPDATE_RECORD 0xDC
#define INS_INCREASE 0x32
#define INS_STATUS 0xF2

#define SW_INCOMPATIBLE_STRUCTURE 0x6981
#define SW_PIN_BLOCKED 0x6983    /* TS 102 221 §10.2.1.5: authentication method blocked */
#define SW_PIN_NOT_USABLE 0x6984 /* reference data not usable */
#define SW_PIN_TRIES(n) ((uint16_t)(0x63C0 | (n))) /* verification failed, n tries left */
#define SW_NO_EF_SELECTED 0x6986
#define SW_WRONG_OFFSET 0x6B00
#define SW_RECORD_NOT_FOUND 0x6A83
#define SW_LC_INCONSISTENT 0x6A87  /* TS 102 221 §10.2.1.5: Lc inconsistent with P1 to P2 */
#define SW_AUTH_MAC_FAILURE 0x9862 /* TS 31.102 §7.3.1: authentication error, incorrect MAC */
/* TS 31.102 §7.3.1 (TS 31.103 §7.3): authentication error, security context not supported */
#define SW_AUTH_CONTEXT_NOT_SUPPORTED 0x9864

#define FID_MF 0x3F00
#define FID_ADF 0x7FFF

#define EF_STRUCT(f) ((f)->descriptor & 0x07)
#define EF_TRANSPARENT 1
#define EF_LINEAR 2
#define EF_CYCLIC 6

/* UICC characteristics (TS 102 221 §11.1.1.4.6.1): clock stop allowed, voltage classes A-C. */
static const uint8_t uicc_characteristics = 0x71;

static orsp_usim_channel *chan(orsp_usim *u, uint8_t ch)
{
	return ch < ORSP_EUICC_MAX_CHANNELS ? &u->ch[ch] : NULL;
}

static int find_child(const orsp_usim *u, uint8_t df, uint16_t fid)
{
	for (size_t i = 0; i < u->n_files; i++) {
		const orsp_usim_file *f = &u->files[i];
		if (!f->is_df && f->df == df && f->fid == fid)
			return (int)i;
	}
	return -1;
}

static int find_sfi(const orsp_usim *u, uint8_t df, uint8_t sfi)
{
	for (size_t i = 0; i < u->n_files; i++) {
		const orsp_usim_file *f = &u->files[i];
		if (!f->is_df && f->df == df && f->sfi == sfi)
			return (int)i;
	}
	return -1;
}

/* ---------------------------------------------------------------- FCP ------------------ */

/* Security attributes in the expanded format (TS 102 221 §9.2.5, ISO/IEC 7816-4 §9.3.3):
 * two AM DOs '84' (command description: INS) READ BINARY and READ RECORD, each with SC DO
 * '90' always, and nothing else. That is what this card does with a file the profile gives
 * no EF.ARR reference (file_arr): it is readable without PIN, nothing can be written, and
 * SEARCH RECORD is refused (6982), which the AM byte's b1 ("READ, SEARCH") would have
 * allowed. */
static void put_security(orsp_writer *w)
{
	static const uint8_t rule[] = {0x84, 0x01, INS_READ_BINARY, 0x90, 0x00,
	                               0x84, 0x01, INS_READ_RECORD, 0x90, 0x00};
	orsp_der_put_tlv(w, 0xAB, rule, sizeof(rule));
}

/* The EF.ARR record that holds file f's access rule, from the profile's
 * securityAttributesReferenced (SAIP Fcp): EF.ARR FID and record number, or the record number
 * alone with the FID "implicitly known from the context: File ID 2F06 [...] for [...] the MF
 * and all files directly located under the MF, '6F06' for any other files". false: the
 * profile gives none, or 2 bytes, which are neither form. */
static bool file_arr(const orsp_usim_file *f, uint16_t *fid, uint8_t *rec)
{
	if (f->arr_len == 3) {
		*fid = (uint16_t)(f->arr[0] << 8 | f->arr[1]);
		*rec = f->arr[2];
		return true;
	}
	if (f->arr_len != 1)
		return false;
	*fid = f->df == ORSP_USIM_DF_MF ? 0x2F06 : 0x6F06;
	*rec = f->arr[0];
	return true;
}

/* A file's (an EF's, the MF's) security attributes (TS 102 221 §11.1.1.4.7): the EF.ARR
 * reference the profile gives, in the referenced format '8B' 03 FID record (§11.1.1.4.7.3);
 * without one, the expanded format of put_security. */
static void put_file_security(const orsp_usim_file *f, orsp_writer *w)
{
	uint16_t fid;
	uint8_t ref[3];

	if (!file_arr(f, &fid, &ref[2])) {
		put_security(w);
		return;
	}
	ref[0] = (uint8_t)(fid >> 8);
	ref[1] = (uint8_t)fid;
	orsp_der_put_tlv(w, 0x8B, ref, sizeof(ref));
}

/* The MF's or an ADF's security attributes, exactly one of '8B', '8C', 'AB' as for any file
 * (TS 102 221 §11.1.1.4.7): the EF.ARR reference the profile gives the DF (PE-MF's mf,
 * PE-USIM's adf-usim, PE-ISIM's adf-isim; TS.48: '2F0601' for each), else put_security's.
 * An ADF's record number alone stays 'AB': the SAIP rule completes it with 2F06 for "the MF
 * and all files directly located under the MF" and 6F06 for any other file, and whether an
 * ADF is one under the MF it does not say. */
static void put_df_security(const orsp_usim *u, uint8_t df, orsp_writer *w)
{
	bool isim = df == ORSP_USIM_DF_ISIM;

	if (df == ORSP_USIM_DF_MF) {
		for (size_t i = 0; i < u->n_files; i++) {
			if (u->files[i].is_df) {
				put_file_security(&u->files[i], w);
				return;
			}
		}
		put_security(w);
	} else if ((isim ? u->isim.arr_len : u->adf_arr_len) == 3) {
		orsp_der_put_tlv(w, 0x8B, isim ? u->isim.arr : u->adf_arr, 3);
	} else {
		put_security(w);
	}
}

/* ---------------------------------------------------------------- PINs ----------------- */

/* The PIN or PUK entry for key reference ref where scope is the application (ORSP_USIM_DF_ADF
 * or _ISIM; ORSP_USIM_DF_MF: none) whose local PINs (second PIN Appl 1-8, '81'-'88') apply;
 * global key references are the MF's. -1 if the profile defines none. */
static int pin_index(const orsp_usim *u, uint8_t scope, bool puk, uint8_t ref)
{
	bool local = !puk && ref >= 0x81 && ref <= 0x88;

	if (local && scope == ORSP_USIM_DF_MF)
		return -1;
	return orsp__usim_pin_find(u, puk, local ? scope : ORSP_USIM_PIN_GLOBAL, ref);
}

/* The application whose local PINs a channel uses: the one selected on it. */
static uint8_t chan_scope(const orsp_usim_channel *c)
{
	if (c->isim_active)
		return ORSP_USIM_DF_ISIM;
	return c->adf_active ? ORSP_USIM_DF_ADF : ORSP_USIM_DF_MF;
}

/* PIN status template DO (TS 102 221 §9.5.2) of the MF (scope ORSP_USIM_DF_MF: its global
 * PINs) or an ADF (the global PIN Appl and ADM key references and the application's local
 * PINs): PS_DO '90', one bit per key reference listed after it, b8 of its first byte for the
 * first, set when that PIN is enabled; then '83' 01 key reference each. A profile without
 * PE-PINCodes: PIN1 listed, disabled. */
static void put_pin_status(const orsp_usim *u, uint8_t scope, orsp_writer *w)
{
	static const uint8_t order[] = {0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x81,
	                                0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x0A, 0x0B,
	                                0x0C, 0x0D, 0x0E, 0x8A, 0x8B, 0x8C, 0x8D, 0x8E, 0x11};
	uint8_t ps[(sizeof(order) + 7) / 8] = {0}, refs[sizeof(order)];
	size_t n = 0;

	for (size_t i = 0; i < sizeof(order); i++) {
		int k = pin_index(u, scope, false, order[i]);
		if (k < 0)
			continue;
		if (u->pins[k].enabled)
			ps[n / 8] |= (uint8_t)(0x80 >> (n % 8));
		refs[n++] = order[i];
	}
	if (n == 0)
		refs[n++] = 0x01;
	orsp_der_mark m = orsp_der_begin(w, 0xC6);
	orsp_der_put_tlv(w, 0x90, ps, (n + 7) / 8);
	for (size_t i = 0; i < n; i++)
		orsp_der_put_tlv(w, 0x83, &refs[i], 1);
	orsp_der_end(w, m);
}

/* FCP of the MF or an ADF (TS 102 221 §11.1.1.3.1); df is ORSP_USIM_DF_*. */
static void fcp_df(const orsp_usim *u, uint8_t df, orsp_writer *w)
{
	static const uint8_t fd[] = {0x78, 0x21};
	static const uint8_t lcsi = 0x05;
	bool adf = df != ORSP_USIM_DF_MF;
	uint8_t fid[2] = {adf ? 0x7F : 0x3F, adf ? 0xFF : 0x00};

	orsp_der_mark m = orsp_der_begin(w, 0x62);
	orsp_der_put_tlv(w, 0x82, fd, sizeof(fd));
	orsp_der_put_tlv(w, 0x83, fid, sizeof(fid));
	if (df == ORSP_USIM_DF_ISIM)
		orsp_der_put_tlv(w, 0x84, u->isim.aid, u->isim.aid_len);
	else if (adf)
		orsp_der_put_tlv(w, 0x84, u->aid, u->aid_len);
	orsp_der_mark p = orsp_der_begin(w, 0xA5);
	orsp_der_put_tlv(w, 0x80, &uicc_characteristics, 1);
	orsp_der_end(w, p);
	orsp_der_put_tlv(w, 0x8A, &lcsi, 1);
	put_df_security(u, df, w);
	put_pin_status(u, df, w);
	orsp_der_end(w, m);
}

/* FCP of an EF (TS 102 221 §11.1.1.3.2): descriptor (with record length and count for
 * record files), FID, LCSI, security attributes, size, total size, SFI. */
static void fcp_ef(const orsp_usim_file *f, orsp_writer *w)
{
	uint8_t fd[5] = {f->descriptor, 0x21, 0, 0, 0};
	size_t fd_len = 2;
	uint8_t fid[2] = {(uint8_t)(f->fid >> 8), (uint8_t)f->fid};
	uint8_t size[2] = {(uint8_t)(f->size >> 8), (uint8_t)f->size};
	uint8_t sfi = (uint8_t)(f->sfi << 3);

	if (EF_STRUCT(f) != EF_TRANSPARENT) {
		fd[2] = (uint8_t)(f->rec_len >> 8);
		fd[3] = (uint8_t)f->rec_len;
		fd[4] = (uint8_t)(f->size / f->rec_len);
		fd_len = 5;
	}
	orsp_der_mark m = orsp_der_begin(w, 0x62);
	orsp_der_put_tlv(w, 0x82, fd, fd_len);
	orsp_der_put_tlv(w, 0x83, fid, sizeof(fid));
	orsp_der_put_tlv(w, 0x8A, &f->lcsi, 1);
	put_file_security(f, w);
	orsp_der_put_tlv(w, 0x80, size, sizeof(size));
	orsp_der_put_tlv(w, 0x81, size, sizeof(size));
	/* '88' empty: no SFI (TS 102 221 §11.1.1.4.8) */
	orsp_der_put_tlv(w, 0x88, &sfi, f->sfi ? 1 : 0);
	orsp_der_end(w, m);
}

/* ---------------------------------------------------------------- SELECT --------------- */

/* Select the file fid relative to the current DF (TS 102 221 §8.4.1): the MF, the current
 * application's ADF (7FFF: ADF.USIM or ADF.ISIM), or a child EF of the current DF. A DF
 * result sets *df_out; an EF *ef_out. */
static uint16_t resolve(const orsp_usim *u, const orsp_usim_channel *c, uint8_t cur_df,
                        uint16_t fid, uint8_t *df_out, int *ef_out)
{
	*ef_out = -1;
	if (fid == FID_MF) {
		*df_out = ORSP_USIM_DF_MF;
		return ORSP_SW_OK;
	}
	if (fid == FID_ADF) {
		if (!c->adf_active && !c->isim_active)
			return ORSP_SW_NOT_FOUND;
		*df_out = c->isim_active ? ORSP_USIM_DF_ISIM : ORSP_USIM_DF_ADF;
		return ORSP_SW_OK;
	}
	int i = find_child(u, cur_df, fid);
	if (i < 0)
		return ORSP_SW_NOT_FOUND;
	*df_out = cur_df;
	*ef_out = i;
	return ORSP_SW_OK;
}

/* The child DF fid of the current DF (TS 102 221 §11.1.1.2, P1 01). The only DFs served
 * are the MF and the ADFs, and the ADF is the MF's child (P1 03 from it selects the MF): the
 * current application's ADF, by its FID 7FFF, from the MF. */
static uint16_t child_df(const orsp_usim_channel *c, uint16_t fid, uint8_t *df_out)
{
	if (c->df != ORSP_USIM_DF_MF || fid != FID_ADF || (!c->adf_active && !c->isim_active))
		return ORSP_SW_NOT_FOUND;
	*df_out = c->isim_active ? ORSP_USIM_DF_ISIM : ORSP_USIM_DF_ADF;
	return ORSP_SW_OK;
}

static uint16_t cmd_select(orsp_usim *u, orsp_usim_channel *c, const orsp_apdu *a, orsp_writer *rsp)
{
	uint8_t df;
	int ef = -1;
	uint16_t sw;
	orsp_slice d = a->data;

	if (a->p2 != 0x04 && a->p2 != 0x0C)
		return ORSP_SW_INCORRECT_P1P2;
	switch (a->p1) {
	case 0x00: /* by FID (TS 102 221 §11.1.1.2) */
		if (d.len != 2)
			return ORSP_SW_WRONG_LENGTH;
		sw = resolve(u, c, c->df, (uint16_t)(d.p[0] << 8 | d.p[1]), &df, &ef);
		break;
	case 0x01: /* a child DF of the current DF by FID */
		if (d.len != 2)
			return ORSP_SW_WRONG_LENGTH;
		sw = child_df(c, (uint16_t)(d.p[0] << 8 | d.p[1]), &df);
		break;
	case 0x03: /* the parent DF of the current DF: no data; the MF has none */
		if (d.len != 0)
			return SW_LC_INCONSISTENT;
		df = ORSP_USIM_DF_MF;
		sw = c->df == ORSP_USIM_DF_MF ? ORSP_SW_NOT_FOUND : ORSP_SW_OK;
		break;
	case 0x08:   /* path from the MF, MF's FID left out */
	case 0x09: { /* path from the current DF */
		if (d.len < 2 || d.len % 2 != 0)
			return ORSP_SW_WRONG_LENGTH;
		df = a->p1 == 0x08 ? ORSP_USIM_DF_MF : c->df;
		sw = ORSP_SW_OK;
		for (size_t i = 0; i < d.len && sw == ORSP_SW_OK; i += 2) {
			uint16_t fid = (uint16_t)(d.p[i] << 8 | d.p[i + 1]);
			if (ef >= 0 || fid == FID_MF) /* nothing below an EF; MF is not in a path */
				sw = ORSP_SW_NOT_FOUND;
			else
				sw = resolve(u, c, df, fid, &df, &ef);
		}
		break;
	}
	default:
		return ORSP_SW_INCORRECT_P1P2;
	}
	if (sw != ORSP_SW_OK)
		return sw; /* the current file stays (ISO/IEC 7816-4 §7.1.1) */
	c->df = df;
	c->ef = (int16_t)ef;
	c->rec = 0;
	if (a->p2 == 0x0C)
		return ORSP_SW_OK;
	if (ef >= 0)
		fcp_ef(&u->files[ef], rsp);
	else
		fcp_df(u, df, rsp);
	return ORSP_SW_OK;
}

/* STATUS (TS 102 221 §11.1.2): P1 00/01/02 (application state indications), P2 00 FCP of
 * the current DF, 01 the DF name of the current application (the USIM's or the ISIM's,
 * wherever the current DF is; none without an application: 6A88), 0C nothing. */
static uint16_t cmd_status(orsp_usim *u, orsp_usim_channel *c, const orsp_apdu *a, orsp_writer *rsp)
{
	if (a->p1 > 0x02 || (a->p2 != 0x00 && a->p2 != 0x01 && a->p2 != 0x0C))
		return ORSP_SW_INCORRECT_P1P2;
	if (a->data.len != 0)
		return ORSP_SW_WRONG_LENGTH;
	if (a->p2 == 0x00)
		fcp_df(u, c->df, rsp);
	else if (a->p2 == 0x01) {
		if (c->isim_active)
			orsp_der_put_tlv(rsp, 0x84, u->isim.aid, u->isim.aid_len);
		else if (c->adf_active)
			orsp_der_put_tlv(rsp, 0x84, u->aid, u->aid_len);
		else
			return ORSP_SW_REFERENCED_DATA_NOT_FOUND; /* no application selected */
	}
	return ORSP_SW_OK;
}

/* ---------------------------------------------------------------- access conditions ---- */

/* What a security condition (SC DO, ISO/IEC 7816-4 §9.3.5; TS 102 221 §9.2.7) comes to here:
 * met, a PIN that is enabled and not verified, or anything else this card does not enforce
 * ('97' never, '9E', secure messaging templates...: the files stay readable, as before PINs
 * were checked; docs/usim.md). */
enum { SC_MET, SC_PIN, SC_OTHER };

static int sc_eval(const orsp_usim *u, uint8_t scope, uint8_t tag, const uint8_t *v, size_t n,
                   int depth);

/* The SC DOs in v (an OR or AND template's content, or what follows an AM DO): or_ when they
 * are alternatives. */
static int sc_list(const orsp_usim *u, uint8_t scope, const uint8_t *v, size_t n, bool or_,
                   int depth)
{
	bool any_met = false, any_pin = false, any_other = false;
	size_t i = 0;

	while (i + 2 <= n && v[i] != 0xFF && v[i] != 0x00 && v[i + 1] < 0x80 &&
	       v[i + 1] <= n - i - 2) {
		int r = sc_eval(u, scope, v[i], v + i + 2, v[i + 1], depth);
		any_met |= r == SC_MET;
		any_pin |= r == SC_PIN;
		any_other |= r == SC_OTHER;
		i += 2 + (size_t)v[i + 1];
	}
	if (or_)
		return any_met ? SC_MET : any_other || !any_pin ? SC_OTHER : SC_PIN;
	return any_pin ? SC_PIN : any_other ? SC_OTHER : SC_MET;
}

static int sc_eval(const orsp_usim *u, uint8_t scope, uint8_t tag, const uint8_t *v, size_t n,
                   int depth)
{
	if (tag == 0x90)
		return SC_MET;
	if ((tag == 0xA0 || tag == 0xAF) && depth < 4)
		return sc_list(u, scope, v, n, tag == 0xA0, depth + 1);
	if (tag != 0xA4)
		return SC_OTHER;
	/* CRT for user authentication: '83' 01 key reference ('95' usage qualifier 08) */
	for (size_t i = 0; i + 3 <= n && v[i + 1] < 0x80; i += 2 + (size_t)v[i + 1]) {
		if (v[i] == 0x83 && v[i + 1] == 1) {
			int k = pin_index(u, scope, false, v[i + 2]);
			if (k < 0)
				return SC_OTHER; /* a PIN the profile does not define */
			const orsp_usim_pin *p = &u->pins[k];
			return !p->enabled || p->verified ? SC_MET : SC_PIN;
		}
	}
	return SC_OTHER;
}

/* READ BINARY and READ RECORD of EF f (TS 102 221 §9.2.7, §9.5.1): refused (6982) only when
 * the EF.ARR record its security attributes reference (file_arr; EF.ARR in the EF's DF, else
 * the MF) grants READ (AM DO '80' with b1, or '84' with the INS) under conditions that are
 * all PINs enabled and not verified (disabled or verified: met). Any other rule, and a
 * reference or record this card cannot read, leaves the EF readable. */
static bool read_allowed(const orsp_usim *u, const orsp_usim_file *f, uint8_t ins)
{
	const orsp_usim_file *arr;
	const uint8_t *v;
	size_t n, i = 0;
	uint16_t fid;
	uint8_t rec;
	int ai;

	if (!file_arr(f, &fid, &rec))
		return true;
	if ((ai = find_child(u, f->df, fid)) < 0 && (ai = find_child(u, ORSP_USIM_DF_MF, fid)) < 0)
		return true;
	arr = &u->files[ai];
	if (EF_STRUCT(arr) != EF_LINEAR || rec == 0 || rec > arr->size / arr->rec_len)
		return true;
	v = u->data + arr->off + (size_t)(rec - 1) * arr->rec_len;
	n = arr->rec_len;
	/* AM DO, then its SC DOs (alternatives), then the next AM DO */
	while (i + 2 <= n && v[i] != 0xFF && v[i] != 0x00 && v[i + 1] < 0x80 &&
	       v[i + 1] <= n - i - 2) {
		uint8_t tag = v[i], len = v[i + 1];
		bool read = (tag == 0x80 && len == 1 && !(v[i + 2] & 0x80) && (v[i + 2] & 0x01)) ||
		            (tag == 0x84 && len == 1 && v[i + 2] == ins);
		size_t j = i + 2 + len, sc = j;
		while (j + 2 <= n && (v[j] & 0xF0) != 0x80 && v[j] != 0xFF && v[j] != 0x00 &&
		       v[j + 1] < 0x80 && v[j + 1] <= n - j - 2)
			j += 2 + (size_t)v[j + 1];
		if (read)
			return sc_list(u, f->df, v + sc, j - sc, true, 0) != SC_PIN;
		i = j;
	}
	return true;
}

/* ---------------------------------------------------------------- READ ------------------ */

/* The EF a command addresses: by SFI in the current DF, or the current EF. Nothing on the
 * channel changes here: a command that goes on to fail leaves the current EF and the record
 * pointer as they were (TS 102 221 §11.1.5.1), and one that succeeds by SFI makes the EF
 * current through use_ef. */
static uint16_t target_ef(const orsp_usim *u, const orsp_usim_channel *c, uint8_t sfi, int *idx)
{
	if (sfi) {
		int i = find_sfi(u, c->df, sfi);
		if (i < 0)
			return ORSP_SW_NOT_FOUND;
		*idx = i;
		return ORSP_SW_OK;
	}
	if (c->ef < 0)
		return SW_NO_EF_SELECTED;
	*idx = c->ef;
	return ORSP_SW_OK;
}

/* The record pointer as it applies to EF i: another EF than the current one has none yet. */
static uint16_t rec_of(const orsp_usim_channel *c, int i)
{
	return c->ef == i ? c->rec : 0;
}

/* A command on EF i succeeded: i is the current EF, with rec as the record pointer. */
static void use_ef(orsp_usim_channel *c, int i, uint16_t rec)
{
	c->ef = (int16_t)i;
	c->rec = rec;
}

/* How many bytes the command asks for: Ne, or (no Le, T=0 style) everything up to 256. */
static size_t wanted(const orsp_apdu *a)
{
	return a->le_present ? a->ne : ORSP_EUICC_CHUNK;
}

/* P1 P2 of READ BINARY and UPDATE BINARY (TS 102 221 §11.1.3, §11.1.4): P1 b8 set: SFI in
 * b5..b1 (b7b6 00; SFI 0 and 1F name no file) and the offset in P2; else a 15-bit offset.
 * *sfi 0: the current EF. */
static uint16_t binary_p1p2(const orsp_apdu *a, uint8_t *sfi, size_t *off)
{
	*sfi = 0;
	if (!(a->p1 & 0x80)) {
		*off = (size_t)a->p1 << 8 | a->p2;
		return ORSP_SW_OK;
	}
	if (a->p1 & 0x60)
		return ORSP_SW_INCORRECT_P1P2;
	*sfi = a->p1 & 0x1F;
	if (*sfi == 0 || *sfi == 0x1F)
		return ORSP_SW_INCORRECT_P1P2;
	*off = a->p2;
	return ORSP_SW_OK;
}

/* READ BINARY (TS 102 221 §11.1.3). */
static uint16_t cmd_read_binary(orsp_usim *u, orsp_usim_channel *c, const orsp_apdu *a,
                                orsp_writer *rsp)
{
	uint8_t sfi;
	size_t off;
	int i;
	uint16_t sw;

	if (a->data.len != 0)
		return ORSP_SW_WRONG_LENGTH;
	if ((sw = binary_p1p2(a, &sfi, &off)) != ORSP_SW_OK)
		return sw;
	if ((sw = target_ef(u, c, sfi, &i)) != ORSP_SW_OK)
		return sw;
	const orsp_usim_file *f = &u->files[i];
	if (EF_STRUCT(f) != EF_TRANSPARENT)
		return SW_INCOMPATIBLE_STRUCTURE;
	if (!read_allowed(u, f, INS_READ_BINARY))
		return ORSP_SW_SECURITY_STATUS;
	if (off >= f->size)
		return SW_WRONG_OFFSET;
	size_t n = f->size - off;
	if (n > wanted(a))
		n = wanted(a);
	if (n > rsp->cap - rsp->len)
		n = rsp->cap - rsp->len; /* an extended Le beyond the layer's response buffer */
	orsp_write_bytes(rsp, u->data + f->off + off, n);
	use_ef(c, i, rec_of(c, i));
	return ORSP_SW_OK;
}

/* READ RECORD (TS 102 221 §11.1.5): P1 record number (00: current), P2 b8..b4 SFI (0:
 * current EF), b3..b1 mode: 100 absolute/current (the record pointer stays), 010 next, 011
 * previous. */
static uint16_t cmd_read_record(orsp_usim *u, orsp_usim_channel *c, const orsp_apdu *a,
                                orsp_writer *rsp)
{
	uint8_t sfi = a->p2 >> 3, mode = a->p2 & 0x07;
	int i;
	uint16_t sw, rec;

	if (a->data.len != 0)
		return ORSP_SW_WRONG_LENGTH;
	if (sfi == 0x1F || (mode != 0x04 && mode != 0x02 && mode != 0x03))
		return ORSP_SW_INCORRECT_P1P2;
	if (mode != 0x04 && a->p1 != 0)
		return ORSP_SW_INCORRECT_P1P2;
	if (a->p1 == 0xFF)
		return ORSP_SW_INCORRECT_P1P2;
	if ((sw = target_ef(u, c, sfi, &i)) != ORSP_SW_OK)
		return sw;
	const orsp_usim_file *f = &u->files[i];
	if (EF_STRUCT(f) != EF_LINEAR && EF_STRUCT(f) != EF_CYCLIC)
		return SW_INCOMPATIBLE_STRUCTURE;
	if (!read_allowed(u, f, INS_READ_RECORD))
		return ORSP_SW_SECURITY_STATUS;
	uint16_t nrec = (uint16_t)(f->size / f->rec_len);
	uint16_t cur = rec_of(c, i);
	bool cyclic = EF_STRUCT(f) == EF_CYCLIC;
	if (mode == 0x04) {
		rec = a->p1 ? a->p1 : cur;
		if (rec == 0 || rec > nrec)
			return SW_RECORD_NOT_FOUND;
	} else if (mode == 0x02) { /* next */
		if (cur == 0)
			rec = 1;
		else if (cur < nrec)
			rec = (uint16_t)(cur + 1);
		else if (cyclic)
			rec = 1;
		else
			return SW_RECORD_NOT_FOUND;
	} else { /* previous */
		if (cur == 0)
			rec = nrec;
		else if (cur > 1)
			rec = (uint16_t)(cur - 1);
		else if (cyclic)
			rec = nrec;
		else
			return SW_RECORD_NOT_FOUND;
	}
	/* Le must cover the record (00 does); a shorter Le is a wrong length. */
	if (a->le_present && a->ne < f->rec_len)
		return ORSP_SW_WRONG_LENGTH;
	/* TS 102 221 §11.1.5: next and previous move the record pointer; absolute mode leaves it
	 * where it was (and the current record, P1 00, is where it is). */
	use_ef(c, i, mode != 0x04 ? rec : cur);
	orsp_write_bytes(rsp, u->data + f->off + (size_t)(rec - 1) * f->rec_len, f->rec_len);
	return ORSP_SW_OK;
}

/* UPDATE BINARY / UPDATE RECORD / SEARCH RECORD / INCREASE: the file system is the profile
 * as installed and read only; the structure is checked (INCREASE works on a cyclic EF only,
 * TS 102 221 §11.1.8), then 6982 (security status not satisfied: no access condition grants
 * it). */
static uint16_t cmd_write(orsp_usim *u, orsp_usim_channel *c, const orsp_apdu *a)
{
	uint8_t sfi = 0;
	size_t off;
	int i;
	uint16_t sw;

	/* each carries command data (TS 102 221 §11.1.4, §11.1.6-§11.1.8: case 3 or 4) */
	if (a->data.len == 0)
		return ORSP_SW_WRONG_LENGTH;
	if (a->ins == INS_UPDATE_BINARY) {
		/* P1 P2 as READ BINARY's; the offset is not looked at: nothing is written */
		if ((sw = binary_p1p2(a, &sfi, &off)) != ORSP_SW_OK)
			return sw;
	} else {
		uint8_t mode = a->p2 & 0x07;
		sfi = a->p2 >> 3;
		if (sfi == 0x1F)
			return ORSP_SW_INCORRECT_P1P2;
		/* UPDATE RECORD's mode and record number as READ RECORD's (§11.1.6); SEARCH
		 * RECORD's mode 100/101 simple, 110 enhanced, 111 proprietary (§11.1.7); INCREASE
		 * P1 00 and P2 b3..b1 000 (§11.1.8) */
		if (a->ins == INS_UPDATE_RECORD &&
		    ((mode != 0x04 && mode != 0x02 && mode != 0x03) ||
		     (mode != 0x04 && a->p1 != 0) || a->p1 == 0xFF))
			return ORSP_SW_INCORRECT_P1P2;
		if (a->ins == INS_SEARCH_RECORD && mode < 0x04)
			return ORSP_SW_INCORRECT_P1P2;
		if (a->ins == INS_INCREASE && (a->p1 != 0 || mode != 0))
			return ORSP_SW_INCORRECT_P1P2;
	}
	if ((sw = target_ef(u, c, sfi, &i)) != ORSP_SW_OK)
		return sw;
	bool transparent = EF_STRUCT(&u->files[i]) == EF_TRANSPARENT;
	if (transparent != (a->ins == INS_UPDATE_BINARY))
		return SW_INCOMPATIBLE_STRUCTURE;
	if (a->ins == INS_INCREASE && EF_STRUCT(&u->files[i]) != EF_CYCLIC)
		return SW_INCOMPATIBLE_STRUCTURE;
	return ORSP_SW_SECURITY_STATUS;
}

/* A key reference of TS 102 221 Table 9.3: PIN Appl 1-8 (01-08), ADM1-5 (0A-0E), universal PIN
 * (11), second PIN Appl 1-8 (81-88), ADM6-10 (8A-8E). */
static bool key_reference(uint8_t p2)
{
	uint8_t r = p2 & 0x7F;

	if (p2 == 0x11)
		return true;
	return (r >= 0x01 && r <= 0x08) || (r >= 0x0A && r <= 0x0E);
}

static bool is_adm(uint8_t ref)
{
	uint8_t r = ref & 0x7F;
	return r >= 0x0A && r <= 0x0E;
}

/* A new PIN value (TS 102 221 §9.5.1): 4 to 8 digits ('30'-'39') padded with 'FF' to 8 bytes.
 * ADM values are the operator's and not checked. */
static bool pin_format_ok(uint8_t ref, const uint8_t *v)
{
	size_t n = 0;

	if (is_adm(ref))
		return true;
	while (n < ORSP_USIM_PIN_LEN && v[n] >= 0x30 && v[n] <= 0x39)
		n++;
	if (n < 4)
		return false;
	for (size_t i = n; i < ORSP_USIM_PIN_LEN; i++)
		if (v[i] != 0xFF)
			return false;
	return true;
}

/* Hand the PIN state to the persist callback. */
static orsp_err pin_persist(orsp_usim *u)
{
	size_t len = 0;
	orsp_err e;

	if (!u->pin_persist)
		return orsp_errf(ORSP_E_STATE, "no PIN state persist");
	e = orsp_usim_pin_save(u, u->pin_state, sizeof(u->pin_state), &len);
	if (!e)
		e = u->pin_persist(u->pin_persist_user, u->pin_state, len);
	orsp_wipe(u->pin_state, sizeof(u->pin_state));
	return e;
}

/* Check value against PIN or PUK k (TS 102 221 §9.5.1): blocked: 6983; else its counter is
 * decremented and stored before the comparison (a card pulled during the command has spent
 * the try), and a wrong value answers 63Cx with the tries left (the PIN's security status
 * ended). A right one: 9000, *spent the entry as stored (the try spent) and k's counter back
 * at its maximum in memory only: the caller stores that with its change (commit_pins). A
 * failed store: 6581, nothing compared, nothing changed. */
static uint16_t pin_check(orsp_usim *u, orsp_usim_pin *k, const uint8_t *value,
                          orsp_usim_pin *spent)
{
	if (k->left == 0)
		return SW_PIN_BLOCKED;
	k->left--;
	if (pin_persist(u) != ORSP_OK) {
		orsp_err_clear();
		k->left++;
		return ORSP_SW_MEMORY_PROBLEM;
	}
	if (!orsp_ct_eq(k->value.v, value, ORSP_USIM_PIN_LEN)) {
		k->verified = false;
		return SW_PIN_TRIES(k->left);
	}
	*spent = *k;
	k->left = k->max_tries;
	return ORSP_SW_OK;
}

/* Store the state after a right value (pin_check) and the command's change: 9000, or 6581
 * with a and b (b may be NULL) put back to spent_a and spent_b, as stored before. */
static uint16_t commit_pins(orsp_usim *u, orsp_usim_pin *a, const orsp_usim_pin *spent_a,
                            orsp_usim_pin *b, const orsp_usim_pin *spent_b)
{
	if (pin_persist(u) == ORSP_OK)
		return ORSP_SW_OK;
	orsp_err_clear();
	*a = *spent_a;
	if (b)
		*b = *spent_b;
	return ORSP_SW_MEMORY_PROBLEM;
}

/* P1 P2 and the PIN a PIN command names: P1 00 and P2 a key reference of TS 102 221 Table 9.3
 * (else 6A86) that this profile defines where the channel is (else 6A88). */
static uint16_t pin_target(orsp_usim *u, const orsp_usim_channel *c, const orsp_apdu *a,
                           orsp_usim_pin **p)
{
	int i;

	if (a->p1 != 0x00 || !key_reference(a->p2))
		return ORSP_SW_INCORRECT_P1P2;
	if ((i = pin_index(u, chan_scope(c), false, a->p2)) < 0)
		return ORSP_SW_REFERENCED_DATA_NOT_FOUND;
	*p = &u->pins[i];
	return ORSP_SW_OK;
}

/* VERIFY PIN (TS 102 221 §11.1.9). No data: 9000 when the PIN is disabled or verified, else
 * 63Cx (6983 blocked). A value (8 bytes, §9.5.1 coding) for a disabled PIN: 6984 (GSM's
 * "in contradiction with CHV status"); else checked (pin_check), and a right one verifies
 * the PIN until the card is reset (a local PIN: or its application is selected on no channel,
 * end_local_pins). */
static uint16_t cmd_verify(orsp_usim *u, const orsp_usim_channel *c, const orsp_apdu *a)
{
	orsp_usim_pin *p = NULL, spent;
	uint16_t sw;

	if ((sw = pin_target(u, c, a, &p)) == ORSP_SW_INCORRECT_P1P2)
		return sw;
	if (a->data.len != 0 && a->data.len != ORSP_USIM_PIN_LEN)
		return ORSP_SW_WRONG_LENGTH;
	if (sw != ORSP_SW_OK)
		return sw;
	if (a->data.len == 0) {
		if (p->left == 0)
			return SW_PIN_BLOCKED;
		return !p->enabled || p->verified ? ORSP_SW_OK : SW_PIN_TRIES(p->left);
	}
	if (!p->enabled)
		return SW_PIN_NOT_USABLE;
	if ((sw = pin_check(u, p, a->data.p, &spent)) == ORSP_SW_OK &&
	    (sw = commit_pins(u, p, &spent, NULL, NULL)) == ORSP_SW_OK)
		p->verified = true;
	orsp_wipe(&spent, sizeof(spent));
	return sw;
}

/* CHANGE PIN (§11.1.10): old PIN || new PIN, 8 bytes each. A disabled PIN: 6984; a new value
 * not in the §9.5.1 format: 6A80, before the old one is checked. Right: the new value,
 * stored, and the PIN verified. */
static uint16_t cmd_change_pin(orsp_usim *u, const orsp_usim_channel *c, const orsp_apdu *a)
{
	orsp_usim_pin *p = NULL, spent;
	uint16_t sw;

	if ((sw = pin_target(u, c, a, &p)) == ORSP_SW_INCORRECT_P1P2)
		return sw;
	if (a->data.len != 2 * ORSP_USIM_PIN_LEN)
		return ORSP_SW_WRONG_LENGTH;
	if (sw != ORSP_SW_OK)
		return sw;
	if (!p->enabled)
		return SW_PIN_NOT_USABLE;
	if (!pin_format_ok(p->ref, a->data.p + ORSP_USIM_PIN_LEN))
		return ORSP_SW_INCORRECT_DATA;
	if ((sw = pin_check(u, p, a->data.p, &spent)) == ORSP_SW_OK) {
		memcpy(p->value.v, a->data.p + ORSP_USIM_PIN_LEN, ORSP_USIM_PIN_LEN);
		p->changed = true;
		if ((sw = commit_pins(u, p, &spent, NULL, NULL)) == ORSP_SW_OK)
			p->verified = true;
	}
	orsp_wipe(&spent, sizeof(spent));
	return sw;
}

/* DISABLE PIN (§11.1.11) and ENABLE PIN (§11.1.12): the PIN's value, 8 bytes. DISABLE's P1
 * b8 set (replace the PIN by the alternative global key reference in P1 b5..b1, the universal
 * PIN) is not supported: 6A86. A PIN whose pinAttributes do not allow disabling it (b3), and
 * ADM1-10, which are never disabled: 6985. Disabling a disabled PIN or enabling an enabled
 * one: 6984 ("in contradiction with CHV status"). Right: the state stored; an enabled PIN
 * verified. */
static uint16_t cmd_enable_pin(orsp_usim *u, const orsp_usim_channel *c, const orsp_apdu *a,
                               bool enable)
{
	orsp_usim_pin *p = NULL, spent;
	uint16_t sw;

	if ((sw = pin_target(u, c, a, &p)) == ORSP_SW_INCORRECT_P1P2)
		return sw;
	if (a->data.len != ORSP_USIM_PIN_LEN)
		return ORSP_SW_WRONG_LENGTH;
	if (sw != ORSP_SW_OK)
		return sw;
	if (is_adm(p->ref) || (!enable && !p->disable_ok))
		return ORSP_SW_CONDITIONS_NOT_SATISFIED;
	if (p->enabled == enable)
		return SW_PIN_NOT_USABLE;
	if ((sw = pin_check(u, p, a->data.p, &spent)) == ORSP_SW_OK) {
		p->enabled = enable;
		if ((sw = commit_pins(u, p, &spent, NULL, NULL)) == ORSP_SW_OK)
			p->verified = enable;
	}
	orsp_wipe(&spent, sizeof(spent));
	return sw;
}

/* UNBLOCK PIN (§11.1.13): P2 the PIN; no data: the tries left of its PUK, 63Cx (6983 the PUK
 * blocked); PUK || new PIN, 8 bytes each: the PUK checked as a PIN is (pin_check, its own
 * counter). A PIN without a PUK (no unblockingPINReference, or one PE-PUKCodes lacks): 6A88.
 * Right: the new value, the PIN's counter at its maximum, and "the PIN is enabled and the
 * relevant access condition level is satisfied" (§11.1.13.1.1): a disabled PIN is enabled
 * (stored with the value) and verified. */
static uint16_t cmd_unblock_pin(orsp_usim *u, const orsp_usim_channel *c, const orsp_apdu *a)
{
	orsp_usim_pin *p = NULL, *k, spent_k, old_p;
	uint16_t sw;

	if ((sw = pin_target(u, c, a, &p)) == ORSP_SW_INCORRECT_P1P2)
		return sw;
	if (a->data.len != 0 && a->data.len != 2 * ORSP_USIM_PIN_LEN)
		return ORSP_SW_WRONG_LENGTH;
	if (sw != ORSP_SW_OK)
		return sw;
	if (p->unblock < 0)
		return ORSP_SW_REFERENCED_DATA_NOT_FOUND;
	k = &u->pins[p->unblock];
	if (a->data.len == 0)
		return k->left == 0 ? SW_PIN_BLOCKED : SW_PIN_TRIES(k->left);
	if (!pin_format_ok(p->ref, a->data.p + ORSP_USIM_PIN_LEN))
		return ORSP_SW_INCORRECT_DATA;
	old_p = *p;
	if ((sw = pin_check(u, k, a->data.p, &spent_k)) == ORSP_SW_OK) {
		memcpy(p->value.v, a->data.p + ORSP_USIM_PIN_LEN, ORSP_USIM_PIN_LEN);
		p->changed = true;
		p->left = p->max_tries;
		p->enabled = true;
		if ((sw = commit_pins(u, k, &spent_k, p, &old_p)) == ORSP_SW_OK)
			p->verified = true;
	}
	orsp_wipe(&spent_k, sizeof(spent_k));
	orsp_wipe(&old_p, sizeof(old_p));
	return sw;
}

/* ---------------------------------------------------------------- AUTHENTICATE --------- */

/* Service n available in EF.UST (TS 31.102 §4.2.8: service n is bit (n-1)%8 of byte
 * (n-1)/8). */
static bool ust_has(const orsp_usim *u, unsigned n)
{
	int i = find_child(u, ORSP_USIM_DF_ADF, 0x6F38);
	if (i < 0 || (n - 1) / 8 >= u->files[i].size)
		return false;
	return (u->data[u->files[i].off + (n - 1) / 8] >> ((n - 1) % 8)) & 1;
}
/* TS 31.102 §4.2.8: n°27 GSM Access (the 3G context's answer carries Kc, §7.1.2.1), n°38 GSM
 * security context (the USIM supports AUTHENTICATE P2 80, §7.1.2). */
#define UST_GSM_ACCESS 27
#define UST_GSM_SECURITY_CONTEXT 38

/* Kc = c3(CK, IK) (TS 33.102 §6.8.1.2); TUAK 256-bit keys use their first 128 bits. */
static void kc_from(const uint8_t *ck, const uint8_t *ik, uint8_t kc[8])
{
	orsp_gsm_kc_c3(ck, ik, kc);
}

static uint16_t auth_gsm(orsp_usim *u, const orsp_apdu *a, orsp_writer *rsp)
{
	static const uint8_t zero[6] = {0};
	orsp_aka_vector v;
	uint8_t sres[4], kc[8];
	uint16_t sw = ORSP_SW_OK;

	/* TS 31.102 §7.1.2.1: Lc 17, '10' RAND. */
	if (a->data.len != 17)
		return ORSP_SW_WRONG_LENGTH;
	if (a->data.p[0] != 16)
		return ORSP_SW_INCORRECT_DATA;
	if (orsp_aka_generate(&u->sub, a->data.p + 1, zero, zero, &v) != ORSP_OK) {
		sw = ORSP_SW_TECHNICAL_PROBLEM;
		goto out;
	}
	/* TS 33.102 §6.8.1.2: SRES = c2(RES), Kc = c3(CK, IK). */
	orsp_gsm_sres_c2(v.xres, v.xres_len, sres);
	kc_from(v.ck, v.ik, kc);
	orsp_write_u8(rsp, 4);
	orsp_write_bytes(rsp, sres, 4);
	orsp_write_u8(rsp, 8);
	orsp_write_bytes(rsp, kc, 8);
out:
	orsp_aka_vector_wipe(&v);
	orsp_wipe(kc, sizeof(kc));
	orsp_wipe(sres, sizeof(sres));
	return sw;
}

/* 3G security context of the USIM (TS 31.102 §7.1.2.1) or IMS AKA of the ISIM (TS 31.103
 * §7.1.2.1): the same command and answer, each NAA with its own K (and SQN state unless the
 * K is the same), no Kc from the ISIM. */
static uint16_t auth_3g(orsp_usim *u, bool isim, const orsp_apdu *a, orsp_writer *rsp)
{
	const orsp_aka_subscriber *sub = isim ? &u->isim.sub : &u->sub;
	/* An ISIM with the USIM's K uses the USIM's SQN state (docs/isim.md): one state, one
	 * persist, so that no challenge is accepted twice. */
	bool own = isim && !u->isim.shared_sqn;
	orsp_usim_sqn *cur = own ? &u->isim.sqn : &u->sqn;
	orsp_usim_persist_fn persist = own ? u->isim.persist : u->persist;
	void *persist_user = own ? u->isim.persist_user : u->persist_user;
	orsp_usim_sqn next;
	orsp_usim_result r;
	uint8_t kc[8];
	size_t len = 0;
	uint16_t sw = ORSP_SW_OK;
	orsp_err e;

	memset(&r, 0, sizeof(r));
	/* TS 31.102 §7.1.2.1: Lc 34, '10' RAND '10' AUTN. */
	if (a->data.len != 34)
		return ORSP_SW_WRONG_LENGTH;
	if (a->data.p[0] != 16 || a->data.p[17] != 16)
		return ORSP_SW_INCORRECT_DATA;
	next = *cur;
	e = orsp_usim_authenticate(sub, &next, a->data.p + 1, a->data.p + 18, &r);
	if (e == ORSP_E_VERIFY) {
		sw = SW_AUTH_MAC_FAILURE;
		goto out;
	}
	if (e == ORSP_E_STATE) {
		/* Synchronisation failure: 'DC' L AUTS (TS 31.102 §7.1.2.1). */
		orsp_write_u8(rsp, 0xDC);
		orsp_write_u8(rsp, ORSP_AKA_AUTS_LEN);
		orsp_write_bytes(rsp, r.auts, ORSP_AKA_AUTS_LEN);
		goto out;
	}
	if (e != ORSP_OK) {
		sw = ORSP_SW_TECHNICAL_PROBLEM;
		goto out;
	}
	/* The accepted SQN is stored before RES leaves the card, so that a crash cannot make
	 * the card accept the same challenge twice (TS 33.102 C.2). */
	if (!persist || orsp_usim_sqn_save(&next, u->state, sizeof(u->state), &len) != ORSP_OK ||
	    persist(persist_user, u->state, len) != ORSP_OK) {
		sw = ORSP_SW_MEMORY_PROBLEM;
		goto out;
	}
	*cur = next;
	orsp_write_u8(rsp, 0xDB);
	orsp_write_u8(rsp, (uint8_t)r.res_len);
	orsp_write_bytes(rsp, r.res, r.res_len);
	orsp_write_u8(rsp, (uint8_t)r.ck_len);
	orsp_write_bytes(rsp, r.ck, r.ck_len);
	orsp_write_u8(rsp, (uint8_t)r.ik_len);
	orsp_write_bytes(rsp, r.ik, r.ik_len);
	if (!isim && ust_has(u, UST_GSM_ACCESS) && r.ck_len >= 16 && r.ik_len >= 16) {
		kc_from(r.ck, r.ik, kc);
		orsp_write_u8(rsp, 8);
		orsp_write_bytes(rsp, kc, 8);
	}
out:
	orsp_wipe(&r, sizeof(r));
	orsp_wipe(kc, sizeof(kc));
	orsp_wipe(&next, sizeof(next));
	return sw;
}

/* AUTHENTICATE of the ISIM (TS 31.103 §7.1.1): P1 00, P2 81 IMS AKA. The other security
 * contexts of the ISIM (82 HTTP Digest, 84 GBA, 86 Local Key Establishment; any other '8x'
 * with b3..b1 set is no context the ISIM has either) are not supported: 9864. */
static uint16_t cmd_authenticate_isim(orsp_usim *u, const orsp_apdu *a, orsp_writer *rsp)
{
	if (a->p1 != 0x00 || (a->p2 & 0xF8) != 0x80 || a->p2 == 0x80)
		return ORSP_SW_INCORRECT_P1P2;
	if (a->p2 != 0x81)
		return SW_AUTH_CONTEXT_NOT_SUPPORTED;
	if (!u->isim.aka_ok)
		return ORSP_SW_FUNCTION_NOT_SUPPORTED; /* usim-test-algorithm, as the USIM */
	return auth_3g(u, true, a, rsp);
}

/* AUTHENTICATE (TS 31.102 §7.1.2): P1 00, P2 80 GSM context, 81 3G/EPS context; the
 * USIM's other security contexts (82 VGCS/VBS, 84 GBA, 85 MBMS, 86 Local Key Establishment;
 * 83 and 87 are none) are not supported: 9864, as the ISIM answers. The GSM context is
 * supported only when EF.UST has service n°38 (GSM security context), else 9864 too;
 * service n°27 (GSM Access) only adds Kc to the 3G answer. Without the USIM selected on the
 * channel 6985 before the context is looked at: there is no USIM to have one. On a channel
 * where the ISIM is selected, the ISIM's. */
static uint16_t cmd_authenticate(orsp_usim *u, orsp_usim_channel *c, const orsp_apdu *a,
                                 orsp_writer *rsp)
{
	if (c->isim_active)
		return cmd_authenticate_isim(u, a, rsp);
	if (a->p1 != 0x00 || (a->p2 & 0xF8) != 0x80)
		return ORSP_SW_INCORRECT_P1P2;
	if (!c->adf_active)
		return ORSP_SW_CONDITIONS_NOT_SATISFIED; /* no USIM session on this channel */
	if (a->p2 != 0x80 && a->p2 != 0x81)
		return SW_AUTH_CONTEXT_NOT_SUPPORTED;
	if (a->p2 == 0x80 && !ust_has(u, UST_GSM_SECURITY_CONTEXT))
		return SW_AUTH_CONTEXT_NOT_SUPPORTED;
	if (!u->aka_ok)
		return ORSP_SW_FUNCTION_NOT_SUPPORTED; /* usim-test-algorithm: see docs/usim.md */
	return a->p2 == 0x81 ? auth_3g(u, false, a, rsp) : auth_gsm(u, a, rsp);
}

/* ---------------------------------------------------------------- dispatch ------------- */

static uint16_t usim_process(void *user, uint8_t ch, const orsp_apdu *a, orsp_writer *rsp)
{
	orsp_usim *u = user;
	orsp_usim_channel *c = u ? chan(u, ch) : NULL;
	bool proprietary = (a->cla & 0x80) != 0;

	if (!c || !u->loaded)
		return ORSP_SW_TECHNICAL_PROBLEM;
	/* an instruction this application does not have is 6D00 in either class (TERMINAL
	 * PROFILE, FETCH, ENVELOPE are '8X' and were 6E00, a wrong class) */
	switch (a->ins) {
	case INS_SELECT:
	case INS_STATUS:
	case INS_READ_BINARY:
	case INS_READ_RECORD:
	case INS_UPDATE_BINARY:
	case INS_UPDATE_RECORD:
	case INS_SEARCH_RECORD:
	case INS_INCREASE:
	case INS_VERIFY:
	case INS_CHANGE_PIN:
	case INS_DISABLE_PIN:
	case INS_ENABLE_PIN:
	case INS_UNBLOCK_PIN:
	case INS_AUTHENTICATE:
		break;
	default:
		return ORSP_SW_INS_NOT_SUPPORTED;
	}
	/* TS 102 221 Table 10.5: STATUS and INCREASE are '8X' (and 'CX', 'EX'); the others here
	 * '0X'. */
	if ((a->ins == INS_STATUS || a->ins == INS_INCREASE) != proprietary)
		return ORSP_SW_CLA_NOT_SUPPORTED;
	switch (a->ins) {
	case INS_SELECT:
		return cmd_select(u, c, a, rsp);
	case INS_STATUS:
		return cmd_status(u, c, a, rsp);
	case INS_READ_BINARY:
		return cmd_read_binary(u, c, a, rsp);
	case INS_READ_RECORD:
		return cmd_read_record(u, c, a, rsp);
	case INS_UPDATE_BINARY:
	case INS_UPDATE_RECORD:
	case INS_SEARCH_RECORD:
	case INS_INCREASE:
		return cmd_write(u, c, a);
	case INS_VERIFY:
		return cmd_verify(u, c, a);
	case INS_CHANGE_PIN:
		return cmd_change_pin(u, c, a);
	case INS_DISABLE_PIN:
		if (a->p1 & 0x80)
			return ORSP_SW_INCORRECT_P1P2; /* replacement by the universal PIN: not
			                                  supported */
		return cmd_enable_pin(u, c, a, false);
	case INS_ENABLE_PIN:
		return cmd_enable_pin(u, c, a, true);
	case INS_UNBLOCK_PIN:
		return cmd_unblock_pin(u, c, a);
	case INS_AUTHENTICATE:
		return cmd_authenticate(u, c, a, rsp);
	default:
		return ORSP_SW_INS_NOT_SUPPORTED;
	}
}

/* SELECT by AID of ADF.USIM: the ADF becomes the current DF of the channel. */
static uint16_t usim_select(void *user, uint8_t ch, orsp_writer *fci_prop)
{
	orsp_usim *u = user;
	orsp_usim_channel *c = u ? chan(u, ch) : NULL;

	if (!c || !u->loaded)
		return ORSP_SW_NOT_FOUND;
	u->ch_undo[ch] = *c;
	c->adf_active = true;
	c->isim_active = false;
	c->df = ORSP_USIM_DF_ADF;
	c->ef = -1;
	c->rec = 0;
	orsp_der_put_tlv(fci_prop, 0x80, &uicc_characteristics, 1);
	return ORSP_SW_OK;
}

/* SELECT by AID of ADF.ISIM: the ADF becomes the current DF of the channel. A profile
 * without a PE-ISIM has no ISIM (6A82; its AID is not registered either). */
static uint16_t isim_select(void *user, uint8_t ch, orsp_writer *fci_prop)
{
	orsp_usim *u = user;
	orsp_usim_channel *c = u ? chan(u, ch) : NULL;

	if (!c || !u->loaded || !u->isim.loaded)
		return ORSP_SW_NOT_FOUND;
	u->ch_undo[ch] = *c;
	c->isim_active = true;
	c->adf_active = false;
	c->df = ORSP_USIM_DF_ISIM;
	c->ef = -1;
	c->rec = 0;
	orsp_der_put_tlv(fci_prop, 0x80, &uicc_characteristics, 1);
	return ORSP_SW_OK;
}

/* The channel back at the MF with no application (the MF handler's deselect). */
static void mf_deselect(void *user, uint8_t ch)
{
	orsp_usim *u = user;
	orsp_usim_channel *c = u ? chan(u, ch) : NULL;

	if (!c)
		return;
	c->adf_active = false;
	c->isim_active = false;
	c->df = ORSP_USIM_DF_MF;
	c->ef = -1;
	c->rec = 0;
}

/* The application (ORSP_USIM_DF_ADF or _ISIM) has just been left on a channel: once it is
 * selected on no channel its session has ended, and with it the verification of its local
 * PINs (second PIN Appl, '81'-'88', which no other application uses). TS 102 221 §9.4.1:
 * the universal PIN "does not belong to any application, e.g. its verification status
 * cannot be reset by the application activation or termination procedures" -- a PIN that
 * does belong to the application has its status reset by them. While the application is
 * still selected on another channel its session goes on there, and a verification is
 * "valid regardless on which logical channel" it was done (§11.1.9.1.1): nothing ends.
 * Global PINs (PIN Appl 1-8, ADM, the universal PIN) are kept: the USIM and ISIM share
 * them, and only a card reset ends theirs (naa_reset). */
static void end_local_pins(orsp_usim *u, uint8_t app)
{
	for (size_t ch = 0; ch < ORSP_EUICC_MAX_CHANNELS; ch++)
		if (chan_scope(&u->ch[ch]) == app)
			return;
	for (size_t i = 0; i < u->n_pins; i++)
		if (!u->pins[i].puk && u->pins[i].scope == app)
			u->pins[i].verified = false;
}

/* An application's deselect (app ORSP_USIM_DF_ADF or _ISIM): the layer calls it after the
 * next application's select ran on the channel (select.c), so it ends the channel's state
 * only while it is still this application's: USIM -> ISIM on one channel leaves the ISIM
 * selected (and the USIM left). */
static void naa_deselect(void *user, uint8_t ch, uint8_t app)
{
	orsp_usim *u = user;
	orsp_usim_channel *c = u ? chan(u, ch) : NULL;

	if (!c)
		return;
	if (chan_scope(c) == app)
		mf_deselect(user, ch);
	end_local_pins(u, app);
}

static void usim_deselect(void *user, uint8_t ch)
{
	naa_deselect(user, ch, ORSP_USIM_DF_ADF);
}

static void isim_deselect(void *user, uint8_t ch)
{
	naa_deselect(user, ch, ORSP_USIM_DF_ISIM);
}

/* A SELECT by AID of the USIM or the ISIM withdrawn by the layer (its FCI did not fit):
 * the channel as before it, whichever NAA had it with its current EF and record. */
static void naa_select_undo(void *user, uint8_t ch)
{
	orsp_usim *u = user;
	orsp_usim_channel *c = u ? chan(u, ch) : NULL;

	if (c)
		*c = u->ch_undo[ch];
}

/* A channel opened from another where the USIM or ISIM is selected: that channel's current
 * DF (the MF, or the application's ADF), no current EF. */
static void naa_opened_from(void *user, uint8_t from, uint8_t ch)
{
	orsp_usim *u = user;
	orsp_usim_channel *f = u ? chan(u, from) : NULL, *c = u ? chan(u, ch) : NULL;

	if (!f || !c)
		return;
	c->df = f->df;
	c->ef = -1;
	c->rec = 0;
}

/* The FCP the layer builds for SELECT by AID gets the ADF's security attributes and PIN
 * status template (mandatory in TS 102 221 Table 11.3). */
static void usim_fcp(void *user, uint8_t ch, orsp_writer *w)
{
	orsp_usim *u = user;
	orsp_usim_channel *c = u ? chan(u, ch) : NULL;

	if (!c) {
		put_security(w);
		return;
	}
	put_df_security(u, chan_scope(c), w);
	put_pin_status(u, chan_scope(c), w);
}

/* A card reset ends every PIN's security status (TS 102 221 §9.5.1: verification holds for
 * the session; the counters and values are the stored state). */
static void naa_reset(void *user)
{
	orsp_usim *u = user;

	for (size_t i = 0; u && i < u->n_pins; i++)
		u->pins[i].verified = false;
}

const orsp_euicc_app_ops orsp_usim_app_ops = {
    .select = usim_select,
    .deselect = usim_deselect,
    .store_data = NULL,
    .process = usim_process,
    .fcp = usim_fcp,
    .select_undo = naa_select_undo,
    .reset = naa_reset,
    .opened_from = naa_opened_from,
};

/* The ISIM: the same commands on its ADF (the process function reads which application the
 * channel has), AUTHENTICATE in the IMS AKA context. */
const orsp_euicc_app_ops orsp_isim_app_ops = {
    .select = isim_select,
    .deselect = isim_deselect,
    .store_data = NULL,
    .process = usim_process,
    .fcp = usim_fcp,
    .select_undo = naa_select_undo,
    .reset = naa_reset,
    .opened_from = naa_opened_from,
};

/* The MF handler's deselect (channel closed, reset) puts the channel back on the MF. */
const orsp_euicc_app_ops orsp_usim_mf_ops = {
    .select = NULL,
    .deselect = mf_deselect,
    .store_data = NULL,
    .process = usim_process,
};
