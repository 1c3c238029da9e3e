/* Profile packages: decode a sequence of DER ProfileElements into the model, encode it back,
 * free it with every secret wiped (TCA eUICC Profile Package Interoperable Format v3.3.1). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "openrsp/der.h"

#include "pkg_internal.h"

static const char *const pe_names[ORSP_PE__COUNT] = {
    "unknown",
    "header",
    "genericFileManagement",
    "pinCodes",
    "pukCodes",
    "akaParameter",
    "cdmaParameter",
    "securityDomain",
    "rfm",
    "application",
    "nonStandard",
    "end",
    "rfu1",
    "rfu2",
    "rfu3",
    "rfu4",
    "rfu5",
    "mf",
    "cd",
    "telecom",
    "usim",
    "opt-usim",
    "isim",
    "opt-isim",
    "phonebook",
    "gsm-access",
    "csim",
    "opt-csim",
    "eap",
    "df-5gs",
    "df-saip",
    "df-snpn",
    "df-5gprose",
    "iot",
    "opt-iot",
};

const char *orsp_pe_type_name(orsp_pe_type t)
{
	return (unsigned)t < ORSP_PE__COUNT ? pe_names[t] : pe_names[0];
}

orsp_err pe_errf(size_t i, orsp_pe_type t, orsp_err e, const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return orsp_errf(e, "PE #%zu (%s): %s", i, orsp_pe_type_name(t), msg);
}

void *pe_body(ProfileElement_t *pe, asn_TYPE_descriptor_t **td)
{
	asn_TYPE_member_t *m;

	if (!pe || pe->present <= ProfileElement_PR_NOTHING ||
	    (int)pe->present > asn_DEF_ProfileElement.elements_count)
		return NULL;
	m = &asn_DEF_ProfileElement.elements[pe->present - 1];
	if (td)
		*td = m->type;
	return (char *)pe + m->memb_offset;
}

PEHeader_t *pe_header(ProfileElement_t *pe)
{
	asn_TYPE_descriptor_t *td = NULL;
	char *body = pe_body(pe, &td);

	/* Every PE but the ProfileHeader starts with its PEHeader (PE-RFM's is tagged [0]). */
	if (!body || td->elements_count < 1 || td->elements[0].type != &asn_DEF_PEHeader ||
	    (td->elements[0].flags & ATF_POINTER))
		return NULL;
	return (PEHeader_t *)(body + td->elements[0].memb_offset);
}

long pkg_find(const orsp_pkg *pkg, orsp_pe_type t, size_t nth)
{
	for (size_t i = 0; i < pkg->n; i++)
		if (pkg->pe[i].type == t && nth-- == 0)
			return (long)i;
	return -1;
}

static void os_wipe(OCTET_STRING_t *os)
{
	if (os && os->buf)
		orsp_wipe(os->buf, (size_t)os->size);
}

/* Every OCTET STRING of a SEQUENCE OF OCTET STRING. */
static void os_list_wipe(void *list)
{
	const asn_anonymous_sequence_ *l = _A_CSEQUENCE_FROM_VOID(list);

	for (int i = 0; l && i < l->count; i++)
		os_wipe(l->array[i]);
}

/* A file's content: TS 31.102 keeps keys in files (EF.Keys, EF.KeysPS, applet data). */
static void file_wipe(const File_t *f)
{
	for (int i = 0; f && i < f->list.count; i++)
		if (f->list.array[i] &&
		    f->list.array[i]->present == File__Member_PR_fillFileContent)
			os_wipe(&f->list.array[i]->choice.fillFileContent);
}

/* Install parameters and personalisation APDUs (STORE DATA) may carry an applet's keys. */
static void instance_wipe(ApplicationInstance_t *ai)
{
	if (!ai)
		return;
	os_wipe(&ai->applicationSpecificParametersC9);
	os_list_wipe(ai->processData);
}

void pe_wipe_secrets(ProfileElement_t *pe)
{
	asn_TYPE_descriptor_t *td = NULL;
	char *body;

	if (!pe)
		return;
	body = pe_body(pe, &td);
	/* File-system PEs: the content of every File member (the largest PE, PE-OPT-USIM, has
	 * 86, within ORSP_PKG_MAX_FILES: test_pkg test_fs_members_fit). */
	if (body && orsp_pe_type_is_fs((orsp_pe_type)pe->present)) {
		fs_member m[ORSP_PKG_MAX_FILES];
		size_t n = fs_members(pe, m, ORSP_ARRAY_LEN(m));
		for (size_t i = 0; i < n && i < ORSP_ARRAY_LEN(m); i++)
			file_wipe(m[i].file);
		return;
	}
	switch (pe->present) {
	case ProfileElement_PR_genericFileManagement: {
		PE_GenericFileManagement_t *g = &pe->choice.genericFileManagement;
		for (int i = 0; i < g->fileManagementCMD.list.count; i++) {
			FileManagement_t *fm = g->fileManagementCMD.list.array[i];
			for (int j = 0; fm && j < fm->list.count; j++)
				if (fm->list.array[j] &&
				    fm->list.array[j]->present ==
				        FileManagement__Member_PR_fillFileContent)
					os_wipe(&fm->list.array[j]->choice.fillFileContent);
		}
		break;
	}
	case ProfileElement_PR_akaParameter: {
		PE_AKAParameter_t *a = &pe->choice.akaParameter;
		if (a->algoConfiguration.present ==
		    PE_AKAParameter__algoConfiguration_PR_algoParameter) {
			os_wipe(&a->algoConfiguration.choice.algoParameter.key);
			os_wipe(&a->algoConfiguration.choice.algoParameter.opc);
		}
		break;
	}
	case ProfileElement_PR_cdmaParameter: {
		PE_CDMAParameter_t *c = &pe->choice.cdmaParameter;
		os_wipe(&c->authenticationKey);
		os_wipe(c->ssd);
		os_wipe(c->hrpdAccessAuthenticationData);
		os_wipe(c->simpleIPAuthenticationData);
		os_wipe(c->mobileIPAuthenticationData);
		break;
	}
	case ProfileElement_PR_securityDomain: {
		PE_SecurityDomain_t *sd = &pe->choice.securityDomain;
		for (int i = 0; sd->keyList && i < sd->keyList->list.count; i++) {
			KeyObject_t *k = sd->keyList->list.array[i];
			for (int j = 0; k && j < k->keyComponents.list.count; j++)
				if (k->keyComponents.list.array[j])
					os_wipe(&k->keyComponents.list.array[j]->keyData);
		}
		/* SAIP §8.6.4: STORE DATA content for the SD, which may set keys. */
		os_list_wipe(sd->sdPersoData);
		instance_wipe(&sd->instance);
		break;
	}
	case ProfileElement_PR_application: {
		PE_Application_t *app = &pe->choice.application;
		for (int i = 0; app->instanceList && i < app->instanceList->list.count; i++)
			instance_wipe(app->instanceList->list.array[i]);
		break;
	}
	case ProfileElement_PR_nonStandard:
		os_wipe(&pe->choice.nonStandard.content); /* meaning unknown: may be secret */
		break;
	case ProfileElement_PR_pinCodes: {
		PE_PINCodes_t *p = &pe->choice.pinCodes;
		if (p->pinCodes.present != PE_PINCodes__pinCodes_PR_pinconfig)
			break;
		for (int i = 0; i < p->pinCodes.choice.pinconfig.list.count; i++)
			if (p->pinCodes.choice.pinconfig.list.array[i])
				os_wipe(&p->pinCodes.choice.pinconfig.list.array[i]->pinValue);
		break;
	}
	case ProfileElement_PR_pukCodes: {
		PE_PUKCodes_t *p = &pe->choice.pukCodes;
		for (int i = 0; i < p->pukCodes.list.count; i++)
			if (p->pukCodes.list.array[i])
				os_wipe(&p->pukCodes.list.array[i]->pukValue);
		break;
	}
	default:
		break;
	}
}

orsp_err os_set(OCTET_STRING_t *os, const uint8_t *p, size_t n)
{
	uint8_t *b;

	if (n > (size_t)INT32_MAX)
		return orsp_errf(ORSP_E_RESOURCE, "value too long");
	b = malloc(n + 1); /* asn1c keeps OCTET STRINGs NUL-terminated */
	if (!b)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	if (n)
		memcpy(b, p, n);
	b[n] = 0;
	os_wipe(os);
	free(os->buf);
	os->buf = b;
	os->size = (int)n;
	return ORSP_OK;
}

orsp_err os_opt_set(OCTET_STRING_t **slot, const uint8_t *p, size_t n)
{
	if (!p) {
		if (*slot) {
			os_wipe(*slot);
			ASN_STRUCT_FREE(asn_DEF_OCTET_STRING, *slot);
			*slot = NULL;
		}
		return ORSP_OK;
	}
	if (!*slot) {
		*slot = calloc(1, sizeof(**slot));
		if (!*slot)
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	}
	return os_set(*slot, p, n);
}

void oid_text(const OBJECT_IDENTIFIER_t *oid, char *out, size_t cap)
{
	unsigned long arcs[24];
	int n;
	size_t o = 0;

	out[0] = '\0';
	if (!oid)
		return;
	n = OBJECT_IDENTIFIER_get_arcs(oid, arcs, sizeof(arcs[0]), ORSP_ARRAY_LEN(arcs));
	if (n < 1 || n > (int)ORSP_ARRAY_LEN(arcs))
		return;
	for (int i = 0; i < n; i++) {
		int w = snprintf(out + o, cap - o, i ? ".%lu" : "%lu", arcs[i]);
		if (w < 0 || (size_t)w >= cap - o) {
			out[0] = '\0';
			return;
		}
		o += (size_t)w;
	}
}

static void pe_release(pkg_pe *p)
{
	if (p->asn) {
		pe_wipe_secrets(p->asn);
		ASN_STRUCT_FREE(asn_DEF_ProfileElement, p->asn);
		p->asn = NULL;
	}
	if (p->own) {
		orsp_wipe(p->own, p->raw_len);
		free(p->own);
		p->own = NULL;
	}
}

void orsp_pkg_free(orsp_pkg *pkg)
{
	if (!pkg)
		return;
	for (size_t i = 0; i < pkg->n; i++)
		pe_release(&pkg->pe[i]);
	free(pkg->pe);
	if (pkg->buf) {
		orsp_wipe(pkg->buf, pkg->buf_len);
		free(pkg->buf);
	}
	orsp_wipe(pkg, sizeof(*pkg));
	free(pkg);
}

void orsp_pkg_buf_free(uint8_t *buf, size_t len)
{
	if (!buf)
		return;
	orsp_wipe(buf, len);
	free(buf);
}

/* asn1c output callback into an orsp_writer. Used instead of der_encode_to_buffer(), whose
 * callback passes the NULL buffer of an empty OCTET STRING to memcpy. */
static int put_bytes(const void *p, size_t n, void *key)
{
	orsp_writer *w = key;

	if (n)
		orsp_write_bytes(w, p, n);
	return w->overflow ? -1 : 0;
}

/* DER of one ProfileElement into a new buffer of exactly its size. */
static orsp_err asn_encode(ProfileElement_t *asn, uint8_t **out, size_t *len)
{
	asn_enc_rval_t r = der_encode(&asn_DEF_ProfileElement, asn, NULL, NULL);
	orsp_writer w;
	uint8_t *b;

	*out = NULL;
	*len = 0;
	if (r.encoded < 0)
		return orsp_errf(ORSP_E_MALFORMED, "cannot encode %s",
		                 r.failed_type && r.failed_type->name ? r.failed_type->name
		                                                      : "value");
	b = orsp_wipe_malloc((size_t)r.encoded ? (size_t)r.encoded : 1);
	if (!b)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	orsp_writer_init(&w, b, (size_t)r.encoded);
	r = der_encode(&asn_DEF_ProfileElement, asn, put_bytes, &w);
	if (r.encoded < 0 || (size_t)r.encoded != w.len) {
		orsp_wipe(b, w.len);
		free(b);
		return orsp_errf(ORSP_E_MALFORMED, "cannot encode %s",
		                 r.failed_type && r.failed_type->name ? r.failed_type->name
		                                                      : "value");
	}
	*out = b;
	*len = (size_t)r.encoded;
	return ORSP_OK;
}

static orsp_err check_constraints(const pkg_pe *p, size_t i)
{
	char msg[160];
	size_t msg_len = sizeof(msg);

	msg[0] = '\0';
	if (asn_check_constraints(&asn_DEF_ProfileElement, p->asn, msg, &msg_len) != 0)
		return pe_errf(i, p->type, ORSP_E_MALFORMED,
		               "violates the module's constraints: %s", msg);
	return ORSP_OK;
}

orsp_err pe_reencode(pkg_pe *p, size_t i)
{
	uint8_t *b = NULL;
	size_t n = 0;
	orsp_err e;

	if (!p->asn)
		return pe_errf(i, p->type, ORSP_E_USAGE, "an unknown PE cannot be re-encoded");
	e = check_constraints(p, i);
	if (e)
		return e;
	e = asn_encode(p->asn, &b, &n);
	if (e)
		return pe_errf(i, p->type, e, "%s", orsp_err_detail());
	if (p->own) {
		orsp_wipe(p->own, p->raw_len);
		free(p->own);
	}
	p->own = b;
	p->raw = b;
	p->raw_len = n;
	p->dirty = false;
	p->lossless = true;
	return ORSP_OK;
}

/* Value forms. asn1c 0.9.28 reads an INTEGER of no contents octets as 0 (a ProfileHeader
 * with major-version `80 00` was version 0.x), a BOOLEAN of any length, a NULL with contents
 * as a NULL. Those forms are invalid in BER too, and the re-encoding check (`lossless`)
 * only says "not DER" of them, after the model has taken the wrong value. Under the module's
 * AUTOMATIC TAGS a tag does not say its type, so the TLVs are walked along the generated
 * type descriptors (tag2el of SEQUENCE and CHOICE, the element of SEQUENCE OF, the
 * universal tag each type ends in) before decoding. What the walk cannot place (an unknown
 * extension, a TLV of the wrong form, which asn1c then refuses) is not judged. */
typedef struct vf_bad {
	const char *name; /* the innermost named element, "" if none */
	const char *what;
	const char *ref; /* X.690 clause */
	size_t at;       /* offset of the TLV in the PE */
} vf_bad;

static bool vf_type(const asn_TYPE_descriptor_t *td, const orsp_tlv *t, const char *name,
                    const uint8_t *base, int depth, vf_bad *bad);

/* The element of a SEQUENCE or CHOICE whose outmost tag is the TLV's, or -1. */
static int vf_find(const asn_TYPE_tag2member_t *map, int n, const orsp_tlv *t)
{
	ber_tlv_tag_t tag;

	if (t->number > (UINT32_MAX >> 2))
		return -1;
	tag = (ber_tlv_tag_t)(t->number << 2) | (ber_tlv_tag_t)(t->cls >> 6);
	for (int k = 0; map && k < n; k++)
		if (map[k].el_tag == tag)
			return map[k].el_no;
	return -1;
}

static bool vf_member(const asn_TYPE_member_t *m, const orsp_tlv *t, const char *name,
                      const uint8_t *base, int depth, vf_bad *bad)
{
	orsp_tlv in;

	if (m->name && *m->name)
		name = m->name;
	if (m->flags & ATF_OPEN_TYPE)
		return true;
	if (m->tag_mode > 0) { /* EXPLICIT: the type's own encoding inside */
		if (!t->constructed || orsp_der_parse_one(t->value, &in) != ORSP_OK)
			return true;
		t = &in;
	}
	return vf_type(m->type, t, name, base, depth + 1, bad);
}

/* false, with *bad, at the first value of a form its type does not allow. */
static bool vf_type(const asn_TYPE_descriptor_t *td, const orsp_tlv *t, const char *name,
                    const uint8_t *base, int depth, vf_bad *bad)
{
	orsp_tlv cur = *t, in;
	orsp_reader r;
	ber_tlv_tag_t univ;
	size_t n;

	if (depth > 4 * ORSP_PKG_MAX_DEPTH)
		return true;
	for (int k = 1; k < td->tags_count; k++) { /* the type's own EXPLICIT tags */
		if (!cur.constructed || orsp_der_parse_one(cur.value, &in) != ORSP_OK)
			return true;
		cur = in;
	}
	if (td->tags_count == 0) {
		const asn_CHOICE_specifics_t *s = td->specifics;
		int el;
		if (td->ber_decoder != CHOICE_decode_ber || !s)
			return true;
		el = vf_find(s->tag2el, s->tag2el_count, &cur);
		if (el < 0 || el >= td->elements_count)
			return true; /* an extension */
		return vf_member(&td->elements[el], &cur, name, base, depth, bad);
	}
	if (!td->all_tags || td->all_tags_count < 1)
		return true;
	univ = td->all_tags[td->all_tags_count - 1];
	if (BER_TAG_CLASS(univ) != ASN_TAG_CLASS_UNIVERSAL)
		return true;
	n = cur.value.len;
	bad->name = name;
	bad->at = (size_t)(cur.raw.p - base);
	switch (BER_TAG_VALUE(univ)) {
	case 16: /* SEQUENCE, SEQUENCE OF */
	case 17: /* SET OF */
		if (!cur.constructed)
			return true;
		orsp_reader_init(&r, cur.value.p, cur.value.len);
		while (orsp_reader_remaining(&r) > 0) {
			orsp_tlv c;
			int el = -1;
			if (orsp_der_read(&r, &c) != ORSP_OK)
				return true;
			if (td->ber_decoder == SET_OF_decode_ber && td->elements_count == 1) {
				el = 0;
			} else if (td->ber_decoder == SEQUENCE_decode_ber && td->specifics) {
				const asn_SEQUENCE_specifics_t *s = td->specifics;
				el = vf_find(s->tag2el, s->tag2el_count, &c);
			}
			if (el < 0 || el >= td->elements_count)
				continue; /* an extension, or a type not walked */
			if (!vf_member(&td->elements[el], &c, name, base, depth, bad))
				return false;
		}
		return true;
	case 2: /* INTEGER */
		bad->what = cur.constructed ? "a constructed INTEGER" : "an empty INTEGER";
		bad->ref = "§8.3.1: primitive, one or more contents octets";
		return !cur.constructed && n > 0;
	case 10: /* ENUMERATED */
		bad->what = cur.constructed ? "a constructed ENUMERATED" : "an empty ENUMERATED";
		bad->ref = "§8.4: as an INTEGER, primitive, one or more contents octets";
		return !cur.constructed && n > 0;
	case 1: /* BOOLEAN */
		bad->what = cur.constructed ? "a constructed BOOLEAN"
		                            : "a BOOLEAN not of one contents octet";
		bad->ref = "§8.2.1: primitive, one contents octet";
		return !cur.constructed && n == 1;
	case 5: /* NULL */
		bad->what = cur.constructed ? "a constructed NULL" : "a NULL with contents";
		bad->ref = "§8.8: primitive, no contents octets";
		return !cur.constructed && n == 0;
	case 6:  /* OBJECT IDENTIFIER */
	case 13: /* RELATIVE-OID */
		bad->what = cur.constructed ? "a constructed OBJECT IDENTIFIER"
		                            : "an OBJECT IDENTIFIER of no subidentifiers or an "
		                              "unfinished last one";
		bad->ref = "§8.19: primitive, subidentifiers each ending in an octet with bit 8 0";
		return !cur.constructed && n > 0 && !(cur.value.p[n - 1] & 0x80);
	case 3: /* BIT STRING: a primitive one (a constructed one is BER, the decoder's) */
		bad->what = "a BIT STRING without its initial octet, or more than 7 unused bits";
		bad->ref = "§8.6.2: an initial octet of 0 to 7 unused bits, 0 if no others";
		return cur.constructed ||
		       (n > 0 && cur.value.p[0] <= 7 && (n > 1 || cur.value.p[0] == 0));
	default:
		return true;
	}
}

/* Whether a PE of an alternative this PEDefinitions version does not know says mandated:
 * every PE but the ProfileHeader begins with its PEHeader, [0] under AUTOMATIC TAGS, whose
 * first element is mandated [0] NULL OPTIONAL (`BF28 07 A0 05 80 00 81 01 63`). That is how
 * an eUICC tells a PE it must refuse from one it may skip (TCA SAIP error handling). */
static bool unknown_mandated(const orsp_tlv *tlv)
{
	orsp_reader r, h;
	orsp_tlv first, f;
	bool m;

	orsp_reader_init(&r, tlv->value.p, tlv->value.len);
	if (orsp_der_read(&r, &first) || first.tag != 0xA0) {
		orsp_err_clear();
		return false;
	}
	orsp_reader_init(&h, first.value.p, first.value.len);
	m = orsp_der_read(&h, &f) == ORSP_OK && f.tag == 0x80 && f.value.len == 0;
	orsp_err_clear();
	return m;
}

/* Decode one PE whose DER TLV has already been checked. */
static orsp_err decode_pe(pkg_pe *p, size_t i, const orsp_tlv *tlv)
{
	asn_dec_rval_t r;
	uint8_t *again = NULL;
	size_t again_len = 0;
	orsp_err e;

	/* ProfileElement is a CHOICE under AUTOMATIC TAGS: alternative k is [k-1] constructed. */
	p->type = ORSP_PE_UNKNOWN;
	if (tlv->cls == ORSP_DER_CLASS_CONTEXT && tlv->constructed &&
	    tlv->number + 1 < (uint32_t)ORSP_PE__COUNT)
		p->type = (orsp_pe_type)(tlv->number + 1);
	if (tlv->cls != ORSP_DER_CLASS_CONTEXT || !tlv->constructed)
		return pe_errf(i, p->type, ORSP_E_MALFORMED,
		               "tag %X is not a ProfileElement (context-specific, constructed)",
		               (unsigned)tlv->tag);
	if (p->type == ORSP_PE_UNKNOWN) {
		/* A later PEDefinitions alternative (the CHOICE is extensible): keep it as is. */
		p->lossless = false;
		p->unknown_mandated = unknown_mandated(tlv);
		return ORSP_OK;
	}

	/* asn1c's own stack guard (30000 bytes by default, measured between stack addresses)
	 * misfires under sanitizers; the nesting depth is already bounded by the DER check
	 * (ORSP_PKG_MAX_DEPTH), so it is switched off with max_stack_size 0. */
	asn_codec_ctx_t ctx = {0};
	vf_bad bad = {.name = ""};
	if (!vf_type(&asn_DEF_ProfileElement, tlv, "", tlv->raw.p, 0, &bad))
		return pe_errf(i, p->type, ORSP_E_MALFORMED, "%s%s%s at byte %zu (X.690 %s)",
		               bad.name, *bad.name ? ": " : "", bad.what, bad.at, bad.ref);
	unsigned long failed = orsp_wipe_alloc_failures();
	r = ber_decode(&ctx, &asn_DEF_ProfileElement, (void **)&p->asn, tlv->raw.p, tlv->raw.len);
	if (r.code != RC_OK && orsp_wipe_alloc_failures() != failed)
		return pe_errf(i, p->type, ORSP_E_RESOURCE,
		               "out of memory while decoding (at byte %zu of %zu)", r.consumed,
		               tlv->raw.len);
	if (r.code != RC_OK || r.consumed != tlv->raw.len)
		return pe_errf(i, p->type, ORSP_E_MALFORMED,
		               "does not decode as a ProfileElement (stopped at byte %zu of %zu)",
		               r.consumed, tlv->raw.len);
	if ((int)p->asn->present != (int)p->type)
		return pe_errf(i, p->type, ORSP_E_MALFORMED, "decoded as another alternative");
	e = check_constraints(p, i);
	if (e)
		return e;
	/* Lossless: the model re-encodes to the same bytes (it would not if the PE carried
	 * extensions this module version does not know, or non-canonical encodings). */
	e = asn_encode(p->asn, &again, &again_len);
	if (e)
		return pe_errf(i, p->type, e, "%s", orsp_err_detail());
	p->lossless = again_len == tlv->raw.len && memcmp(again, tlv->raw.p, again_len) == 0;
	orsp_wipe(again, again_len);
	free(again);
	return ORSP_OK;
}

/* The alternative a PE's tag names, for errors before it is decoded. */
static orsp_pe_type tlv_pe_type(const orsp_tlv *tlv)
{
	return tlv->cls == ORSP_DER_CLASS_CONTEXT && tlv->number + 1 < ORSP_PE__COUNT
	           ? (orsp_pe_type)(tlv->number + 1)
	           : ORSP_PE_UNKNOWN;
}

orsp_err orsp_pkg_decode(const uint8_t *der, size_t len, orsp_pkg **out)
{
	orsp_pkg *pkg = NULL;
	orsp_reader r;
	size_t cap = 0, tlvs_left = ORSP_PKG_MAX_TLVS, tlvs = 0;
	orsp_err e = ORSP_OK;

	if (!out || (!der && len))
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_decode: NULL argument");
	*out = NULL;
	if (len == 0)
		return orsp_errf(ORSP_E_MALFORMED, "empty profile package");
	if (len > ORSP_PKG_MAX_SIZE)
		return orsp_errf(ORSP_E_RESOURCE, "profile package of %zu bytes exceeds %u", len,
		                 ORSP_PKG_MAX_SIZE);
	/* a failed allocation counted (orsp_wipe_alloc_failures), as asn1c's below are: the
	 * caller tells it from the package's limits, ORSP_E_RESOURCE too (orsp_pkg_decode) */
	pkg = orsp_wipe_calloc(1, sizeof(*pkg));
	if (!pkg)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	pkg->buf = orsp_wipe_malloc(len);
	if (!pkg->buf) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	memcpy(pkg->buf, der, len);
	pkg->buf_len = len;

	orsp_reader_init(&r, pkg->buf, len);
	while (orsp_reader_remaining(&r) > 0) {
		size_t i = pkg->n, off = r.off;
		orsp_tlv tlv;
		pkg_pe *p;

		if (i == ORSP_PKG_MAX_PES) {
			e = orsp_errf(ORSP_E_RESOURCE, "more than %d profile elements",
			              ORSP_PKG_MAX_PES);
			goto out;
		}
		if (i == cap) {
			size_t ncap = cap ? cap * 2 : 32;
			pkg_pe *np = orsp_wipe_realloc(pkg->pe, ncap * sizeof(*np));
			if (!np) {
				e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
				goto out;
			}
			memset(np + cap, 0, (ncap - cap) * sizeof(*np));
			pkg->pe = np;
			cap = ncap;
		}
		p = &pkg->pe[i];
		e = orsp_der_read(&r, &tlv);
		if (e) {
			char why[160];
			orsp_err_detail_copy(why, sizeof(why));
			e = orsp_errf(ORSP_E_MALFORMED, "PE #%zu (at byte %zu): %s", i, off, why);
			goto out;
		}
		pkg->n++;
		p->raw = tlv.raw.p;
		p->raw_len = tlv.raw.len;
		e = orsp_der_validate_count(tlv.raw, ORSP_PKG_MAX_DEPTH, &tlvs);
		if (e) {
			char why[160];
			orsp_err_detail_copy(why, sizeof(why));
			e = pe_errf(i, tlv_pe_type(&tlv), ORSP_E_MALFORMED, "not DER: %s", why);
			goto out;
		}
		/* Bounds the model's memory before asn1c allocates it, item by item: the TLVs
		 * the walk above met, every level */
		if (tlvs > tlvs_left) {
			e = pe_errf(i, tlv_pe_type(&tlv), ORSP_E_RESOURCE,
			            "the package holds more than %d TLVs (ORSP_PKG_MAX_TLVS)",
			            ORSP_PKG_MAX_TLVS);
			goto out;
		}
		tlvs_left -= tlvs;
		e = decode_pe(p, i, &tlv);
		if (e)
			goto out;
	}
	*out = pkg;
	pkg = NULL;
out:
	orsp_pkg_free(pkg);
	return e;
}

orsp_err orsp_pkg_encode(const orsp_pkg *pkg, unsigned flags, uint8_t **out, size_t *out_len)
{
	uint8_t **fresh = NULL;
	size_t *fresh_len = NULL;
	uint8_t *b = NULL;
	size_t total = 0, o = 0;
	orsp_err e = ORSP_OK;

	if (!pkg || !out || !out_len)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_encode: NULL argument");
	*out = NULL;
	*out_len = 0;
	if (pkg->n == 0)
		return orsp_errf(ORSP_E_USAGE, "empty profile package");
	fresh = calloc(pkg->n, sizeof(*fresh));
	fresh_len = calloc(pkg->n, sizeof(*fresh_len));
	if (!fresh || !fresh_len) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < pkg->n; i++) {
		const pkg_pe *p = &pkg->pe[i];
		if ((flags & ORSP_PKG_ENCODE_REENCODE) || p->dirty) {
			if (!p->asn) {
				e = pe_errf(i, p->type, ORSP_E_USAGE,
				            "an unknown PE cannot be re-encoded");
				goto out;
			}
			e = asn_encode(p->asn, &fresh[i], &fresh_len[i]);
			if (e) {
				e = pe_errf(i, p->type, e, "%s", orsp_err_detail());
				goto out;
			}
			total += fresh_len[i];
		} else {
			total += p->raw_len;
		}
	}
	b = malloc(total);
	if (!b) {
		e = orsp_errf(ORSP_E_RESOURCE, "out of memory");
		goto out;
	}
	for (size_t i = 0; i < pkg->n; i++) {
		const uint8_t *src = fresh[i] ? fresh[i] : pkg->pe[i].raw;
		size_t n = fresh[i] ? fresh_len[i] : pkg->pe[i].raw_len;
		memcpy(b + o, src, n);
		o += n;
	}
	*out = b;
	*out_len = total;
	b = NULL;
out:
	/* fresh_len NULL (its calloc failed): nothing was encoded into fresh[] */
	for (size_t i = 0; fresh && fresh_len && i < pkg->n; i++)
		orsp_pkg_buf_free(fresh[i], fresh_len[i]);
	free(fresh);
	free(fresh_len);
	orsp_pkg_buf_free(b, total);
	return e;
}

size_t orsp_pkg_count(const orsp_pkg *pkg)
{
	return pkg ? pkg->n : 0;
}

orsp_err orsp_pkg_pe(const orsp_pkg *pkg, size_t i, orsp_pe_info *out)
{
	const pkg_pe *p;
	PEHeader_t *h;

	if (!pkg || !out || i >= pkg->n)
		return orsp_errf(ORSP_E_USAGE, "no PE #%zu", i);
	p = &pkg->pe[i];
	memset(out, 0, sizeof(*out));
	out->type = p->type;
	out->raw = orsp_slice_make(p->raw, p->raw_len);
	out->lossless = p->lossless;
	h = pe_header(p->asn);
	if (h) {
		out->has_header = true;
		out->id = (unsigned)h->identification;
		out->mandated = h->mandated != NULL;
	}
	if (p->type == ORSP_PE_UNKNOWN)
		out->mandated = p->unknown_mandated;
	return ORSP_OK;
}

orsp_pkg_class orsp_pkg_get_class(const orsp_pkg *pkg)
{
	return pkg ? pkg->profile_class : ORSP_PKG_CLASS_UNSET;
}

const char *orsp_pkg_class_name(orsp_pkg_class c)
{
	switch (c) {
	case ORSP_PKG_CLASS_TEST:
		return "test";
	case ORSP_PKG_CLASS_PROVISIONING:
		return "provisioning";
	case ORSP_PKG_CLASS_OPERATIONAL:
		return "operational";
	default:
		return "unset";
	}
}

orsp_err orsp_pkg_class_parse(const char *text, orsp_pkg_class *out)
{
	static const orsp_pkg_class classes[] = {ORSP_PKG_CLASS_TEST, ORSP_PKG_CLASS_PROVISIONING,
	                                         ORSP_PKG_CLASS_OPERATIONAL};

	if (!text || !out)
		return orsp_errf(ORSP_E_USAGE, "profile class: missing arguments");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(classes); i++)
		if (strcasecmp(text, orsp_pkg_class_name(classes[i])) == 0) {
			*out = classes[i];
			return ORSP_OK;
		}
	return orsp_errf(ORSP_E_USAGE,
	                 "profile class \"%.40s\": expected test, provisioning or operational",
	                 text);
}
