/* Personalisation: write one subscriber's values into a template package, all or nothing.
 * docs/pkg.md maps every field to the PE and file it changes. */
#include <stdlib.h>
#include <string.h>

#include "openrsp/crypto.h"

#include "pkg_internal.h"

void orsp_pkg_perso_init(orsp_pkg_perso *p)
{
	memset(p, 0, sizeof(*p));
	p->algorithm_options = -1;
	p->spn_display = -1;
}

void orsp_pkg_perso_wipe(orsp_pkg_perso *p)
{
	orsp_wipe(p, sizeof(*p));
}

static bool digits(const char *s, size_t min, size_t max)
{
	size_t n = strlen(s);

	if (n < min || n > max)
		return false;
	for (size_t i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return false;
	return true;
}

/* Characters of a UTF-8 string, or -1 if it is not valid UTF-8 as RFC 3629 §4 defines it: no
 * overlong forms, no surrogates (U+D800..DFFF), nothing above U+10FFFF. The name becomes
 * SGP.22's profileName (a UTF8String) and JSON output, which need real characters. */
/* The characters of s; -1 if it is not UTF-8, -2 if it holds a control character (an LPA
 * or a terminal shows the name: an escape sequence there is the operator's to send) */
static long utf8_chars(const char *s)
{
	return orsp_utf8_text_chars((const uint8_t *)s, strlen(s));
}

/* A PIN/ADM/PUK value as TS 102 221 §9.5.1 stores it: ASCII digits, 'FF' padded to 8. */
static void pin_bytes(const char *s, uint8_t out[8])
{
	size_t n = strlen(s);

	memset(out, 0xFF, 8);
	memcpy(out, s, n);
}

static orsp_err check_inputs(const orsp_pkg_perso *p)
{
	uint8_t tmp[17];
	static const struct {
		size_t off, min, max;
		const char *name;
	} pins[] = {
	    {offsetof(orsp_pkg_perso, pin1), 4, 8, "pin1"},
	    {offsetof(orsp_pkg_perso, pin2), 4, 8, "pin2"},
	    {offsetof(orsp_pkg_perso, puk1), 8, 8, "puk1"},
	    {offsetof(orsp_pkg_perso, puk2), 8, 8, "puk2"},
	    {offsetof(orsp_pkg_perso, adm1), 4, 8, "adm1"},
	    {offsetof(orsp_pkg_perso, adm2), 4, 8, "adm2"},
	};
	orsp_err e;

	if (p->iccid && (e = orsp_iccid_check(p->iccid)) != ORSP_OK)
		return orsp_errf(e, "iccid: %s", orsp_err_detail());
	if (p->imsi && (e = orsp_imsi_encode_ef(p->imsi, tmp)) != ORSP_OK)
		return orsp_errf(e, "imsi: %s", orsp_err_detail());
	if (p->mnc_len != 0 && p->mnc_len != 2 && p->mnc_len != 3)
		return orsp_errf(ORSP_E_USAGE, "mnc_len: %u, must be 2 or 3", p->mnc_len);
	if (p->ims_mnc_len != 0 && p->ims_mnc_len != 2 && p->ims_mnc_len != 3)
		return orsp_errf(ORSP_E_USAGE, "ims_mnc_len: %u, must be 2 or 3", p->ims_mnc_len);
	if (p->set_aka) {
		if (p->alg == ORSP_AKA_MILENAGE) {
			if (p->k.len != 16)
				return orsp_errf(ORSP_E_USAGE,
				                 "k: Milenage needs 16 bytes, got %zu", p->k.len);
			if (p->opc.len != 16)
				return orsp_errf(ORSP_E_USAGE,
				                 "%s: Milenage needs 16 bytes, got %zu",
				                 p->op_given ? "op" : "opc", p->opc.len);
			for (int i = 0; p->custom_consts && i < 5; i++)
				if (p->consts.r[i] > 127)
					return orsp_errf(ORSP_E_USAGE, "r%d: %u exceeds 127 bits",
					                 i + 1, p->consts.r[i]);
		} else if (p->alg == ORSP_AKA_TUAK) {
			if (p->k.len != 16 && p->k.len != 32)
				return orsp_errf(ORSP_E_USAGE,
				                 "k: TUAK needs 16 or 32 bytes, got %zu", p->k.len);
			if (p->opc.len != 32)
				return orsp_errf(ORSP_E_USAGE, "%s: TUAK needs 32 bytes, got %zu",
				                 p->op_given ? "top" : "topc", p->opc.len);
			if (p->keccak > 255)
				return orsp_errf(ORSP_E_USAGE, "keccak: %u exceeds 255", p->keccak);
		} else {
			return orsp_errf(ORSP_E_USAGE, "alg: %d is neither Milenage nor TUAK",
			                 (int)p->alg);
		}
		if (p->algorithm_options < -1 || p->algorithm_options > 255)
			return orsp_errf(ORSP_E_USAGE, "algorithm_options: %d out of 0..255",
			                 p->algorithm_options);
	}
	if (p->set_sqn && (p->sqn_delta > AKA_SQN_MAX || p->sqn_age_limit > AKA_SQN_MAX))
		return orsp_errf(ORSP_E_USAGE, "sqn: delta and age limit are at most 07FFFFFFFFFF");
	if (p->set_sqn_delta && p->sqn_delta > AKA_SQN_MAX)
		return orsp_errf(ORSP_E_USAGE, "sqn_delta: at most 07FFFFFFFFFF");
	for (int i = 0; p->set_sqn_init && i < 32; i++)
		if (p->sqn_init[i] > AKA_SQN_MAX)
			return orsp_errf(ORSP_E_USAGE, "sqn_init[%d] exceeds 07FFFFFFFFFF", i);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(pins); i++) {
		const char *v = *(const char *const *)((const char *)p + pins[i].off);
		if (v && !digits(v, pins[i].min, pins[i].max))
			return orsp_errf(ORSP_E_USAGE, "%s: must be %zu to %zu decimal digits",
			                 pins[i].name, pins[i].min, pins[i].max);
	}
	if (p->spn && (e = orsp_spn_encode_ef(p->spn, 0, tmp, sizeof(tmp))) != ORSP_OK)
		return orsp_errf(e, "spn: %s", orsp_err_detail());
	if (p->spn_display < -1 || p->spn_display > 255)
		return orsp_errf(ORSP_E_USAGE, "spn_display: %d out of 0..255", p->spn_display);
	if (p->profile_name) {
		long n = utf8_chars(p->profile_name);
		if (n == -2)
			return orsp_errf(ORSP_E_USAGE,
			                 "profile_name: holds a control character (shown to the "
			                 "end user: text only)");
		if (n < 0)
			return orsp_errf(ORSP_E_USAGE,
			                 "profile_name: not valid UTF-8 (RFC 3629: no overlong "
			                 "forms, surrogates or code points above U+10FFFF)");
		if (n < 1 || n > 100)
			return orsp_errf(ORSP_E_USAGE,
			                 "profile_name: must be 1 to 100 UTF-8 characters");
	}
	if ((unsigned)p->profile_class > ORSP_PKG_CLASS_OPERATIONAL)
		return orsp_errf(ORSP_E_USAGE, "profile_class: %d unknown", (int)p->profile_class);
	return ORSP_OK;
}

/* PE i is about to change: refuse if the model would lose part of it. */
static orsp_err touch(orsp_pkg *c, size_t i)
{
	if (!c->pe[i].lossless || !c->pe[i].asn)
		return pe_errf(
		    i, c->pe[i].type, ORSP_E_POLICY,
		    "holds content this decoder does not represent; refusing to change it");
	c->pe[i].dirty = true;
	return ORSP_OK;
}

static orsp_err set_file(orsp_pkg *c, size_t i, File_t *f, const char *name, const uint8_t *p,
                         size_t n)
{
	orsp_err e = touch(c, i);

	if (e)
		return e;
	e = file_set_content(f, p, n);
	if (e)
		return pe_errf(i, c->pe[i].type, e, "%s: %s", name, orsp_err_detail());
	return ORSP_OK;
}

static orsp_err apply_iccid(orsp_pkg *c, const char *iccid)
{
	uint8_t hdr[10], ef[10];
	long h = pkg_find(c, ORSP_PE_HEADER, 0);
	size_t files = 0;
	orsp_err e;

	if (h < 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "iccid: the template has no ProfileHeader");
	e = orsp_iccid_encode_header(iccid, hdr);
	if (!e)
		e = orsp_iccid_encode_ef(iccid, ef);
	if (!e)
		e = touch(c, (size_t)h);
	if (!e)
		e = os_set(&c->pe[h].asn->choice.header.iccid, hdr, sizeof(hdr));
	for (size_t i = 0; !e && i < c->n; i++) {
		File_t *f;
		if (c->pe[i].type != ORSP_PE_MF && c->pe[i].type != ORSP_PE_IOT)
			continue;
		f = fs_file(c->pe[i].asn, "ef-iccid");
		if (!f)
			continue;
		e = set_file(c, i, f, "ef-iccid", ef, sizeof(ef));
		files++;
	}
	if (!e && files == 0)
		e = orsp_errf(ORSP_E_NOT_FOUND, "iccid: the template has no EF.ICCID (PE-MF)");
	return e;
}

/* EF.AD as the TCA template creates it (Annex A, ADF.USIM: default content '00000002', a
 * fill pattern whose last byte repeats; size 4 unless the package gives one) into ad; the
 * length. The USIM serves the same bytes (src/euicc/usim_fs.c). A size the package gives is
 * kept, also below 4: the file has no byte 4 then, and content past its end is no file. */
static size_t ad_template_default(uint8_t ad[static 4], size_t len)
{
	if (len == 0)
		len = 4;
	memset(ad, 0x02, len);
	ad[0] = ad[1] = ad[2] = 0x00;
	return len;
}

/* EF.ACC (TS 31.102 §4.2.15: byte 1 b8..b1 classes 15..8, byte 2 b8..b1 classes 7..0) of
 * PE i, where the template has it: the access class 0-9 of the IMSI's last digit (TS 22.011
 * §4.2: every subscriber in one of ten populations, for access barring; pySim derives it
 * so), the template's classes 10-15 kept. A template's one class for a whole batch put every
 * subscriber in the same population. */
static orsp_err apply_acc(orsp_pkg *c, size_t i, const char *imsi)
{
	File_t *f = fs_file(c->pe[i].asn, "ef-acc");
	uint8_t acc[16] = {0};
	size_t len = 0;
	unsigned d = (unsigned)(imsi[strlen(imsi) - 1] - '0');
	orsp_err e;

	if (!f)
		return ORSP_OK;
	/* a file the package does not create (doNotCreate, PEDefinitions File) is not the
	 * template's to derive: writing it would be refused, and with it the whole IMSI */
	if (file_do_not_create(f))
		return ORSP_OK;
	e = file_content(&c->pe[i], f, "ef-acc", acc, sizeof(acc), &len);
	if (e)
		return e;
	if (!file_defines_content(f) || len < 2) {
		memset(acc, 0, sizeof(acc));
		len = 2;
	}
	acc[0] &= 0xFC; /* classes 8, 9 */
	acc[1] = 0;     /* classes 0..7 */
	if (d < 8)
		acc[1] = (uint8_t)(1u << d);
	else
		acc[0] |= (uint8_t)(1u << (d - 8));
	return set_file(c, i, f, "ef-acc", acc, len);
}

static orsp_err apply_usim(orsp_pkg *c, const orsp_pkg_perso *p)
{
	size_t n = 0;
	orsp_err e = ORSP_OK;

	for (size_t i = 0; !e && i < c->n; i++) {
		ProfileElement_t *pe = c->pe[i].asn;
		if (c->pe[i].type != ORSP_PE_USIM && c->pe[i].type != ORSP_PE_IOT)
			continue;
		n++;
		if (p->imsi) {
			uint8_t ef[9];
			File_t *f = fs_file(pe, "ef-imsi");
			e = orsp_imsi_encode_ef(p->imsi, ef);
			if (!e && !f)
				e = pe_errf(i, c->pe[i].type, ORSP_E_NOT_FOUND, "no ef-imsi");
			if (!e)
				e = set_file(c, i, f, "ef-imsi", ef, sizeof(ef));
		}
		if (!e && p->imsi)
			e = apply_acc(c, i, p->imsi);
		if (!e && p->mnc_len) {
			uint8_t ad[256];
			size_t len = 0;
			/* one marked doNotCreate (PEDefinitions File) the eUICC does not create: no
			 * EF.AD either (writing it would be refused, ORSP_E_POLICY) */
			File_t *f = file_created(fs_file(pe, "ef-ad"));
			if (!f)
				e = pe_errf(i, c->pe[i].type, ORSP_E_NOT_FOUND,
				            "no ef-ad in the template: cannot set the MNC length");
			if (!e)
				e = file_content(&c->pe[i], f, "ef-ad", ad, sizeof(ad), &len);
			if (!e && !file_defines_content(f))
				len = ad_template_default(ad, len); /* only a size, or nothing */
			if (!e && len < 4)
				e = pe_errf(i, c->pe[i].type, ORSP_E_NOT_FOUND,
				            "ef-ad has %zu bytes: no byte 4 for the MNC length "
				            "(TS 31.102 §4.2.18)",
				            len);
			if (!e) {
				/* TS 31.102 §4.2.18: byte 4 b1..b4 is the MNC length. */
				ad[3] = (uint8_t)((ad[3] & 0xF0) | p->mnc_len);
				e = set_file(c, i, f, "ef-ad", ad, len);
			}
		}
	}
	if (!e && n == 0)
		e = orsp_errf(ORSP_E_NOT_FOUND, "imsi: the template has no PE-USIM or PE-IoT");
	return e;
}

/* TS 23.003 §13 IMS identity of p->imsi into every PE-ISIM (TS 31.103 §4.2.2-4.2.4). Runs
 * after apply_usim, so an MNC length it wrote to EF.AD is the one read here; ims_mnc_len
 * only stands in for an EF.AD that gives none. */
static orsp_err apply_ims(orsp_pkg *c, const orsp_pkg_perso *p)
{
	static const struct {
		const char *file, *what;
		bool records;
	} files[] = {
	    {"ef-impi", "IMPI", false},
	    {"ef-domain", "home network domain", false},
	    {"ef-impu", "IMPU", true},
	};
	orsp_ims_identity id;
	orsp_pkg_usim u;
	unsigned mnc_len = p->mnc_len;
	bool ad_dnc = false;
	uint8_t buf[4096];
	size_t len = 0;
	orsp_err e = ORSP_OK;

	if (pkg_find(c, ORSP_PE_ISIM, 0) < 0)
		return ORSP_OK;
	/* EF.AD's MNC length is the one the device splits the IMSI with (TS 31.102 §4.2.18);
	 * one marked doNotCreate gives none (orsp_pkg_get_usim: 0), and no MNC length is
	 * assumed then: a 3-digit MNC taken as 2 is another network's domain (TS 23.003 §13.2) */
	if (orsp_pkg_get_usim(c, 0, &u) == ORSP_OK) {
		if (!mnc_len)
			mnc_len = u.mnc_len;
		ad_dnc = file_do_not_create(fs_file(c->pe[u.pe_index].asn, "ef-ad"));
	}
	if (mnc_len && p->ims_mnc_len && p->ims_mnc_len != mnc_len)
		return orsp_errf(ORSP_E_USAGE,
		                 "ims_mnc_len: %u, but EF.AD gives a %u-digit MNC for the "
		                 "ISIM's IMS domain",
		                 p->ims_mnc_len, mnc_len);
	if (!mnc_len)
		mnc_len = p->ims_mnc_len;
	/* worded for every caller: a CLI adds the option that gives the length */
	if (!mnc_len)
		return orsp_errf(ORSP_E_NOT_FOUND,
		                 "imsi: the IMS domain of an ISIM needs the MNC length, which is "
		                 "unknown (EF.AD %s)",
		                 ad_dnc ? "is marked doNotCreate" : "gives none");
	e = orsp_ims_identity_derive(p->imsi, mnc_len, &id);
	for (size_t i = 0; !e && i < c->n; i++) {
		if (c->pe[i].type != ORSP_PE_ISIM)
			continue;
		for (size_t k = 0; !e && k < ORSP_ARRAY_LEN(files); k++) {
			const char *text = k == 0 ? id.impi : k == 1 ? id.domain : id.impu;
			File_t *f = fs_file(c->pe[i].asn, files[k].file);
			if (!f) {
				e = pe_errf(i, c->pe[i].type, ORSP_E_NOT_FOUND, "no %s",
				            files[k].file);
				break;
			}
			/* TCA's ISIM template fixes no size for these files, and GSMA's TS.48
			 * gives EF.IMPI and EF.DOMAIN 32 bytes, which no IMSI-based IMPI (40 to
			 * 49 characters) or domain (33) fits: a transparent file grows to its
			 * identity. A record cannot without moving the others. */
			e = touch(c, i);
			if (e)
				break;
			if (!files[k].records)
				e = isim_fit_file(f, files[k].file, text);
			if (!e)
				e = isim_file_bytes(f, files[k].file, files[k].what, text,
				                    files[k].records, buf, sizeof(buf), &len);
			if (e) {
				e = pe_errf(i, c->pe[i].type, e, "%s%s", orsp_err_detail(),
				            e == ORSP_E_USAGE
				                ? " (or keep the template's IMS identity)"
				                : "");
				break;
			}
			e = set_file(c, i, f, files[k].file, buf, len);
		}
	}
	return e;
}

static orsp_err apply_spn(orsp_pkg *c, const orsp_pkg_perso *p)
{
	size_t n = 0;
	orsp_err e = ORSP_OK;

	for (size_t i = 0; !e && i < c->n; i++) {
		uint8_t cur[256], spn[256];
		size_t len = 0, size;
		File_t *f;
		int display = p->spn_display;
		if (c->pe[i].type != ORSP_PE_USIM && c->pe[i].type != ORSP_PE_OPT_IOT)
			continue;
		/* a file the package does not create (doNotCreate, PEDefinitions File) is no
		 * EF.SPN, as one the PE leaves out: writing it would be refused, and with it the
		 * SPN another PE's EF.SPN takes */
		f = file_created(fs_file(c->pe[i].asn, "ef-spn"));
		if (!f)
			continue;
		n++;
		/* efFileSize of any length (a 2-byte '0011' is as good as '11'), else the
		 * TS 31.102 §4.2.12 size of 17. */
		size = file_size(f, "ef-spn");
		if (size > sizeof(spn)) {
			e = pe_errf(i, c->pe[i].type, ORSP_E_POLICY,
			            "ef-spn: a file of %zu bytes, more than the %zu handled", size,
			            sizeof(spn));
			break;
		}
		if (display < 0) {
			/* Keep the template's display condition when it defines one. */
			display = 0;
			if (file_content(&c->pe[i], f, "ef-spn", cur, sizeof(cur), &len) ==
			        ORSP_OK &&
			    len > 0 && cur[0] != 0xFF)
				display = cur[0];
		}
		e = orsp_spn_encode_ef(p->spn, (uint8_t)display, spn, size);
		if (e)
			e = pe_errf(i, c->pe[i].type, e, "ef-spn: %s", orsp_err_detail());
		else
			e = set_file(c, i, f, "ef-spn", spn, size);
	}
	if (!e && n == 0)
		e = orsp_errf(ORSP_E_NOT_FOUND, "spn: the template has no EF.SPN");
	return e;
}

static orsp_err apply_algo(AlgoParameter_t *a, const orsp_pkg_perso *p, const orsp_secret *opc)
{
	orsp_milenage_consts dflt;
	uint8_t rot[5], xr[80];
	unsigned keccak = p->keccak ? p->keccak : 1;
	orsp_err e;

	a->algorithmID = p->alg == ORSP_AKA_TUAK ? ORSP_PKG_ALG_TUAK : ORSP_PKG_ALG_MILENAGE;
	if (p->algorithm_options >= 0) {
		uint8_t o = (uint8_t)p->algorithm_options;
		e = os_set(&a->algorithmOptions, &o, 1);
		if (e)
			return e;
	}
	e = os_set(&a->key, p->k.v, p->k.len);
	if (!e)
		e = os_set(&a->opc, opc->v, opc->len);
	if (e)
		return e;
	/* DER (X.690 §11.5) leaves out a value equal to its DEFAULT. */
	orsp_milenage_default_consts(&dflt);
	if (p->alg == ORSP_AKA_MILENAGE && p->custom_consts &&
	    memcmp(p->consts.r, dflt.r, sizeof(dflt.r)) != 0) {
		memcpy(rot, p->consts.r, sizeof(rot));
		e = os_opt_set(&a->rotationConstants, rot, sizeof(rot));
	} else {
		e = os_opt_set(&a->rotationConstants, NULL, 0);
	}
	if (e)
		return e;
	if (p->alg == ORSP_AKA_MILENAGE && p->custom_consts &&
	    memcmp(p->consts.c, dflt.c, sizeof(dflt.c)) != 0) {
		memcpy(xr, p->consts.c, sizeof(xr));
		e = os_opt_set(&a->xoringConstants, xr, sizeof(xr));
	} else {
		e = os_opt_set(&a->xoringConstants, NULL, 0);
	}
	if (e)
		return e;
	if (p->alg == ORSP_AKA_TUAK && keccak != 1) {
		if (!a->numberOfKeccak) {
			a->numberOfKeccak = calloc(1, sizeof(*a->numberOfKeccak));
			if (!a->numberOfKeccak)
				return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		}
		*a->numberOfKeccak = (long)keccak;
	} else {
		free(a->numberOfKeccak);
		a->numberOfKeccak = NULL;
	}
	return ORSP_OK;
}

/* The header's AKA algorithm services become exactly those the algoParameters use. */
static orsp_err sync_alg_services(orsp_pkg *c)
{
	bool used[ORSP_SVC__COUNT] = {false};
	static const orsp_pkg_service algs[] = {ORSP_SVC_MILENAGE, ORSP_SVC_TUAK128,
	                                        ORSP_SVC_TUAK256, ORSP_SVC_USIM_TEST_ALGORITHM};
	long h = pkg_find(c, ORSP_PE_HEADER, 0);
	ServicesList_t *s;
	orsp_err e = ORSP_OK;

	if (h < 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "the template has no ProfileHeader");
	for (size_t i = 0; i < c->n; i++) {
		const PE_AKAParameter_t *a;
		const AlgoParameter_t *p;
		if (c->pe[i].type != ORSP_PE_AKA_PARAMETER)
			continue;
		a = &c->pe[i].asn->choice.akaParameter;
		if (a->algoConfiguration.present !=
		    PE_AKAParameter__algoConfiguration_PR_algoParameter)
			continue;
		p = &a->algoConfiguration.choice.algoParameter;
		if (p->algorithmID == ORSP_PKG_ALG_MILENAGE)
			used[ORSP_SVC_MILENAGE] = true;
		else if (p->algorithmID == ORSP_PKG_ALG_TUAK)
			used[p->key.size == 32 ? ORSP_SVC_TUAK256 : ORSP_SVC_TUAK128] = true;
		else if (p->algorithmID == ORSP_PKG_ALG_TEST)
			used[ORSP_SVC_USIM_TEST_ALGORITHM] = true;
	}
	s = hdr_services(&c->pe[h].asn->choice.header);
	e = touch(c, (size_t)h);
	for (size_t k = 0; !e && k < ORSP_ARRAY_LEN(algs); k++)
		e = svc_set(s, algs[k], used[algs[k]]);
	return e;
}

static orsp_err set_sqn48(OCTET_STRING_t **slot, uint64_t v, uint64_t dflt)
{
	uint8_t b[6];

	if (v == dflt)
		return os_opt_set(slot, NULL, 0);
	orsp_put_be48(b, v);
	return os_opt_set(slot, b, sizeof(b));
}

/* The descriptor of a named member (the generated code gives anonymous types no name). */
static asn_TYPE_descriptor_t *member_type(const asn_TYPE_descriptor_t *td, const char *name)
{
	for (int i = 0; i < td->elements_count; i++)
		if (strcmp(td->elements[i].name, name) == 0)
			return td->elements[i].type;
	return NULL;
}

static orsp_err apply_sqn(PE_AKAParameter_t *a, const orsp_pkg_perso *p)
{
	orsp_err e = ORSP_OK;

	if (p->set_sqn) {
		uint8_t o = p->sqn_options;
		e = o == 0x02 ? os_opt_set(&a->sqnOptions, NULL, 0)
		              : os_opt_set(&a->sqnOptions, &o, 1);
		if (!e)
			e = set_sqn48(&a->sqnDelta, p->sqn_delta, UINT64_C(0x000010000000));
		if (!e)
			e = set_sqn48(&a->sqnAgeLimit, p->sqn_age_limit, UINT64_C(0x000010000000));
	} else if (p->set_sqn_delta) {
		e = set_sqn48(&a->sqnDelta, p->sqn_delta, UINT64_C(0x000010000000));
	}
	if (!e && p->set_sqn_init) {
		bool zero = true;
		for (int i = 0; i < 32; i++)
			zero = zero && p->sqn_init[i] == 0;
		if (a->sqnInit) {
			ASN_STRUCT_FREE(*member_type(&asn_DEF_PE_AKAParameter, "sqnInit"),
			                a->sqnInit);
			a->sqnInit = NULL;
		}
		if (zero)
			return ORSP_OK;
		a->sqnInit = calloc(1, sizeof(*a->sqnInit));
		if (!a->sqnInit)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		for (int i = 0; !e && i < 32; i++) {
			OCTET_STRING_t *os = calloc(1, sizeof(*os));
			uint8_t b[6];
			orsp_put_be48(b, p->sqn_init[i]);
			if (!os || os_set(os, b, sizeof(b)) != ORSP_OK ||
			    ASN_SEQUENCE_ADD(&a->sqnInit->list, os)) {
				if (os)
					ASN_STRUCT_FREE(asn_DEF_OCTET_STRING, os);
				e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
			}
		}
	}
	return e;
}

static orsp_err apply_aka(orsp_pkg *c, const orsp_pkg_perso *p)
{
	orsp_secret opc;
	size_t algos = 0, akas = 0;
	orsp_err e = ORSP_OK;

	memset(&opc, 0, sizeof(opc));
	if (p->set_aka) {
		if (!p->op_given)
			e = orsp_secret_set(&opc, p->opc.v, p->opc.len);
		else if (p->alg == ORSP_AKA_MILENAGE)
			e = orsp_milenage_opc(p->k.v, p->opc.v, opc.v); /* TS 35.206 §4.1 */
		else
			e = orsp_tuak_topc(p->k.v, p->k.len, p->opc.v, p->keccak ? p->keccak : 1,
			                   opc.v); /* TS 35.231 §6.2 */
		if (!e && p->op_given)
			opc.len = p->opc.len;
		if (e)
			goto out;
	}
	for (size_t i = 0; !e && i < c->n; i++) {
		PE_AKAParameter_t *a;
		if (c->pe[i].type != ORSP_PE_AKA_PARAMETER)
			continue;
		akas++;
		a = &c->pe[i].asn->choice.akaParameter;
		e = touch(c, i);
		if (e)
			break;
		if (p->set_aka && a->algoConfiguration.present ==
		                      PE_AKAParameter__algoConfiguration_PR_algoParameter) {
			algos++;
			e = apply_algo(&a->algoConfiguration.choice.algoParameter, p, &opc);
		}
		if (!e)
			e = apply_sqn(a, p);
		if (e)
			e = pe_errf(i, ORSP_PE_AKA_PARAMETER, e, "%s", orsp_err_detail());
	}
	if (!e && akas == 0)
		e = orsp_errf(ORSP_E_NOT_FOUND, "the template has no PE-AKAParameter");
	else if (!e && p->set_aka && algos == 0)
		e = orsp_errf(ORSP_E_NOT_FOUND, "the template has no algoParameter to set keys in");
	if (!e && p->set_aka)
		e = sync_alg_services(c);
out:
	orsp_secret_wipe(&opc);
	return e;
}

/* PIN/ADM (PE-PINCodes) or PUK (PE-PUKCodes) value for one key reference, everywhere. */
static orsp_err apply_pin(orsp_pkg *c, long ref, bool puk, const char *value, const char *field)
{
	uint8_t v[8];
	size_t n = 0;
	orsp_err e = ORSP_OK;

	pin_bytes(value, v);
	for (size_t i = 0; !e && i < c->n; i++) {
		ProfileElement_t *pe = c->pe[i].asn;
		if (!puk && c->pe[i].type == ORSP_PE_PIN_CODES &&
		    pe->choice.pinCodes.pinCodes.present == PE_PINCodes__pinCodes_PR_pinconfig) {
			struct PE_PINCodes__pinCodes__pinconfig *l =
			    &pe->choice.pinCodes.pinCodes.choice.pinconfig;
			for (int j = 0; !e && j < l->list.count; j++) {
				if (l->list.array[j]->keyReference != ref)
					continue;
				e = touch(c, i);
				if (!e)
					e = os_set(&l->list.array[j]->pinValue, v, sizeof(v));
				n++;
			}
		} else if (puk && c->pe[i].type == ORSP_PE_PUK_CODES) {
			struct PE_PUKCodes__pukCodes *l = &pe->choice.pukCodes.pukCodes;
			for (int j = 0; !e && j < l->list.count; j++) {
				if (l->list.array[j]->keyReference != ref)
					continue;
				e = touch(c, i);
				if (!e)
					e = os_set(&l->list.array[j]->pukValue, v, sizeof(v));
				n++;
			}
		}
	}
	orsp_wipe(v, sizeof(v));
	if (!e && n == 0)
		e = orsp_errf(ORSP_E_NOT_FOUND, "%s: the template defines no %s", field,
		              orsp_pkg_pin_ref_name(ref, puk));
	return e;
}

static orsp_err apply_name(orsp_pkg *c, const char *name)
{
	long h = pkg_find(c, ORSP_PE_HEADER, 0);
	orsp_err e;

	if (h < 0)
		return orsp_errf(ORSP_E_NOT_FOUND,
		                 "profile_name: the template has no ProfileHeader");
	e = touch(c, (size_t)h);
	if (!e)
		e = os_opt_set(&c->pe[h].asn->choice.header.profileType, (const uint8_t *)name,
		               strlen(name));
	return e;
}

/* Odd parity in the low bit of each byte, as DES keys are written (FIPS 46-3); cards that
 * ignore the parity bits lose nothing by it. */
static void des_parity(uint8_t *k, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		unsigned ones = 0;
		for (int b = 1; b < 8; b++)
			ones += (k[i] >> b) & 1u;
		k[i] = (uint8_t)((k[i] & 0xFE) | ((ones & 1u) ? 0 : 1));
	}
}

/* sd_keys: fresh random keyData for every symmetric key of every security domain (the
 * template's, e.g. GSMA TS.48's, are published test keys), every other field kept. */
static orsp_err apply_sd_keys(orsp_pkg *c)
{
	uint8_t key[ORSP_SECRET_MAX];
	orsp_err e = ORSP_OK;

	for (size_t i = 0; !e && i < c->n; i++) {
		PE_SecurityDomain_t *s;
		if (c->pe[i].type != ORSP_PE_SECURITY_DOMAIN || !c->pe[i].asn)
			continue;
		s = &c->pe[i].asn->choice.securityDomain;
		for (int j = 0; !e && s->keyList && j < s->keyList->list.count; j++) {
			KeyObject_t *ko = s->keyList->list.array[j];
			/* keyVersionNumber and keyIdentifier are SIZE (1): the decoder checked */
			unsigned kvn = ko ? ko->keyVersionNumber.buf[0] : 0;
			unsigned kid = ko ? ko->keyIdentifier.buf[0] : 0;
			for (int m = 0; !e && ko && m < ko->keyComponents.list.count; m++) {
				struct KeyObject__keyComponents__Member *kc =
				    ko->keyComponents.list.array[m];
				orsp_pkg_sd_key_kind kind;
				size_t len;
				char why[128];
				if (!kc)
					continue;
				kind = sd_key_kind_of(&kc->keyType);
				len = (size_t)kc->keyData.size;
				if (kind == ORSP_PKG_SD_KEY_PRIVATE)
					e = pe_errf(
					    i, c->pe[i].type, ORSP_E_POLICY,
					    "key KVN %02X KID %02X: keyType %02X is part of a "
					    "private key, which cannot be drawn at random",
					    kvn, kid, (unsigned)kc->keyType.buf[0]);
				else if (!ORSP_PKG_SD_KEY_SYMMETRIC(kind))
					continue;
				else if (sd_key_refused(s, j, m, why, sizeof(why)))
					e = pe_errf(i, c->pe[i].type, ORSP_E_POLICY, "%s", why);
				if (e)
					break;
				e = touch(c, i);
				if (!e)
					e = orsp_random(key, len);
				if (!e && kind == ORSP_PKG_SD_KEY_DES)
					des_parity(key, len);
				if (!e)
					e = os_set(&kc->keyData, key, len);
			}
		}
	}
	orsp_wipe(key, sizeof(key));
	return e;
}

/* cdma_keys: fresh CDMA secrets in every PE-CDMAParameter (a TS.48 template's are published
 * test values, and no AuC of openrsp's keeps CDMA keys). */
static orsp_err apply_cdma_keys(orsp_pkg *c)
{
	orsp_err e = ORSP_OK;

	for (size_t i = 0; !e && i < c->n; i++) {
		if (c->pe[i].type != ORSP_PE_CDMA_PARAMETER || !c->pe[i].asn)
			continue;
		e = touch(c, i);
		if (!e)
			e = cdma_draw(&c->pe[i].asn->choice.cdmaParameter, i);
	}
	return e;
}

static orsp_err apply(orsp_pkg *c, const orsp_pkg_perso *p)
{
	static const struct {
		size_t off;
		long ref;
		bool puk;
		const char *name;
	} pins[] = {
	    {offsetof(orsp_pkg_perso, pin1), 0x01, false, "pin1"},
	    {offsetof(orsp_pkg_perso, pin2), 0x81, false, "pin2"},
	    {offsetof(orsp_pkg_perso, adm1), 0x0A, false, "adm1"},
	    {offsetof(orsp_pkg_perso, adm2), 0x0B, false, "adm2"},
	    {offsetof(orsp_pkg_perso, puk1), 0x01, true, "puk1"},
	    {offsetof(orsp_pkg_perso, puk2), 0x81, true, "puk2"},
	};
	orsp_err e = ORSP_OK;

	if (p->iccid)
		e = apply_iccid(c, p->iccid);
	if (!e && (p->imsi || p->mnc_len))
		e = apply_usim(c, p);
	if (!e && p->imsi && !p->keep_ims_identity)
		e = apply_ims(c, p);
	if (!e && (p->set_aka || p->set_sqn || p->set_sqn_delta || p->set_sqn_init))
		e = apply_aka(c, p);
	for (size_t i = 0; !e && i < ORSP_ARRAY_LEN(pins); i++) {
		const char *v = *(const char *const *)((const char *)p + pins[i].off);
		if (v)
			e = apply_pin(c, pins[i].ref, pins[i].puk, v, pins[i].name);
	}
	if (!e && p->spn)
		e = apply_spn(c, p);
	if (!e && p->profile_name)
		e = apply_name(c, p->profile_name);
	if (!e && p->profile_class != ORSP_PKG_CLASS_UNSET)
		c->profile_class = p->profile_class;
	if (!e && p->sd_keys)
		e = apply_sd_keys(c);
	if (!e && p->cdma_keys)
		e = apply_cdma_keys(c);
	for (size_t i = 0; !e && i < c->n; i++)
		if (c->pe[i].dirty)
			e = pe_reencode(&c->pe[i], i);
	return e;
}

orsp_err orsp_pkg_personalise(orsp_pkg *pkg, const orsp_pkg_perso *p)
{
	orsp_pkg *c = NULL;
	uint8_t *der = NULL;
	size_t der_len = 0;
	orsp_pkg tmp;
	orsp_err e;

	if (!pkg || !p)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_personalise: NULL argument");
	e = check_inputs(p);
	if (e)
		return e;
	/* Work on a copy so that a failure half-way leaves the package as it was. */
	e = orsp_pkg_encode(pkg, 0, &der, &der_len);
	if (!e)
		e = orsp_pkg_decode(der, der_len, &c);
	if (e)
		goto out;
	c->profile_class = pkg->profile_class;
	e = apply(c, p);
	if (e)
		goto out;
	tmp = *pkg;
	*pkg = *c;
	*c = tmp;
out:
	orsp_pkg_free(c);
	orsp_pkg_buf_free(der, der_len);
	return e;
}
