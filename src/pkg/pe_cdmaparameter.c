/* PE-CDMAParameter: the CSIM's CDMA secrets (PEDefinitions): the CAVE A-Key, the shared
 * secret data SSD_A || SSD_B, and the HRPD, Simple IP and Mobile IP shared secrets coded as
 * 3GPP2 C.S0016 §4.5.7.10, §4.5.7.7 and §4.5.7.8 code them. Values never leave as plain bytes:
 * the summary gives lengths, and personalisation draws new ones (cdma_draw). */
#include <string.h>

#include "openrsp/crypto.h"

#include "pkg_internal.h"

static size_t os_len(const OCTET_STRING_t *os)
{
	return os ? (size_t)os->size : 0;
}

orsp_err orsp_pkg_get_cdma(const orsp_pkg *pkg, size_t n, orsp_pkg_cdma *out)
{
	const PE_CDMAParameter_t *c;
	long i;

	if (!pkg || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_cdma: NULL argument");
	memset(out, 0, sizeof(*out));
	i = pkg_find(pkg, ORSP_PE_CDMA_PARAMETER, n);
	if (i < 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "no PE-CDMAParameter #%zu", n);
	c = &pkg->pe[i].asn->choice.cdmaParameter;
	out->pe_index = (size_t)i;
	out->a_key_len = os_len(&c->authenticationKey);
	out->ssd_len = os_len(c->ssd);
	out->hrpd_len = os_len(c->hrpdAccessAuthenticationData);
	out->simple_ip_len = os_len(c->simpleIPAuthenticationData);
	out->mobile_ip_len = os_len(c->mobileIPAuthenticationData);
	out->n_secrets = 1 + (c->ssd != NULL) + (c->hrpdAccessAuthenticationData != NULL) +
	                 (c->simpleIPAuthenticationData != NULL) +
	                 (c->mobileIPAuthenticationData != NULL);
	return ORSP_OK;
}

/* A bit cursor over one of the C.S0016 parameter blocks (most significant bit first). */
typedef struct bitpos {
	uint8_t *p;
	size_t bits, at;
} bitpos;

static bool bits_get(bitpos *b, unsigned n, unsigned *v)
{
	*v = 0;
	if (b->bits - b->at < n)
		return false;
	for (unsigned k = 0; k < n; k++, b->at++)
		*v = (*v << 1) | ((b->p[b->at / 8] >> (7 - b->at % 8)) & 1u);
	return true;
}

static void bits_put_byte(bitpos *b, uint8_t v)
{
	for (unsigned k = 0; k < 8; k++, b->at++) {
		uint8_t m = (uint8_t)(0x80u >> (b->at % 8));
		if ((v >> (7 - k)) & 1u)
			b->p[b->at / 8] |= m;
		else
			b->p[b->at / 8] &= (uint8_t)~m;
	}
}

/* How C.S0016 lays out the shared secrets of one block. HRPD (§4.5.7.10): SS_LENGTH (5
 * bits), SS (SS_LENGTH octets). Simple IP (§4.5.7.7): NUM_NAI (4 bits), then per NAI:
 * NAI_ENTRY_INDEX (4 bits), SS_LENGTH (5), CHAP_SS. Mobile IP (§4.5.7.8): NUM_NAI (4), then
 * per NAI: NAI_ENTRY_INDEX (4), MN-AAA_SS_LENGTH (5), MN-AAA_SS, MN-HA_SS_LENGTH (5),
 * MN-HA_SS. Each block ends with fewer than 8 reserved bits to the octet boundary. (The
 * PEDefinitions size limits, 2..32, 3..483 and 5..957 octets, are those of one secret of 1
 * to 31 octets, or 1 to 15 NAIs of them.) */
typedef struct cdma_block {
	const char *field, *clause;
	bool nai;         /* a NUM_NAI count and an index per entry */
	unsigned secrets; /* per entry */
} cdma_block;

static const cdma_block hrpd_block = {"hrpdAccessAuthenticationData", "4.5.7.10", false, 1};
static const cdma_block simple_ip_block = {"simpleIPAuthenticationData", "4.5.7.7", true, 1};
static const cdma_block mobile_ip_block = {"mobileIPAuthenticationData", "4.5.7.8", true, 2};

/* Every secret of block l in p[0..len) replaced by random octets of its length; lengths,
 * indexes and reserved bits kept. ORSP_E_POLICY if the bytes do not follow the layout. */
static orsp_err block_draw(uint8_t *p, size_t len, const cdma_block *l, size_t pe)
{
	bitpos b = {p, len * 8, 0};
	uint8_t r[31];
	unsigned entries = 1, v, ss;
	orsp_err e = ORSP_OK;

	if (l->nai && !bits_get(&b, 4, &entries))
		goto bad;
	for (unsigned k = 0; k < entries; k++) {
		if (l->nai && !bits_get(&b, 4, &v))
			goto bad;
		for (unsigned s = 0; s < l->secrets; s++) {
			if (!bits_get(&b, 5, &ss) || b.bits - b.at < (size_t)ss * 8)
				goto bad;
			e = orsp_random(r, ss);
			for (unsigned o = 0; !e && o < ss; o++)
				bits_put_byte(&b, r[o]);
			if (e)
				goto out;
		}
	}
	if (b.bits - b.at < 8)
		goto out;
bad:
	e = pe_errf(pe, ORSP_PE_CDMA_PARAMETER, ORSP_E_POLICY,
	            "%s: %zu bytes that do not follow C.S0016 §%s (a length running past the "
	            "end, or more than 7 bits after the last secret): its secrets cannot be "
	            "drawn",
	            l->field, len, l->clause);
out:
	orsp_wipe(r, sizeof(r));
	return e;
}

/* A copy of os with its secrets drawn afresh (the whole value when l is NULL) replaces it. */
static orsp_err value_draw(OCTET_STRING_t *os, const cdma_block *l, size_t pe)
{
	uint8_t v[1024];
	size_t n;
	orsp_err e;

	if (!os)
		return ORSP_OK;
	n = (size_t)os->size;
	if (n > sizeof(v)) /* PEDefinitions: at most 957 bytes, which the decoder checked */
		return pe_errf(pe, ORSP_PE_CDMA_PARAMETER, ORSP_E_POLICY,
		               "a value of %zu bytes, more than the %zu handled", n, sizeof(v));
	if (l) {
		memcpy(v, os->buf, n);
		e = block_draw(v, n, l, pe);
	} else {
		e = orsp_random(v, n);
	}
	if (!e)
		e = os_set(os, v, n);
	orsp_wipe(v, sizeof(v));
	return e;
}

orsp_err cdma_draw(PE_CDMAParameter_t *c, size_t pe)
{
	/* A failure half-way leaves values drawn: orsp_pkg_personalise works on a copy. */
	const struct {
		OCTET_STRING_t *os;
		const cdma_block *l;
	} vals[] = {
	    {c->hrpdAccessAuthenticationData, &hrpd_block},
	    {c->simpleIPAuthenticationData, &simple_ip_block},
	    {c->mobileIPAuthenticationData, &mobile_ip_block},
	    {&c->authenticationKey, NULL},
	    {c->ssd, NULL},
	};
	orsp_err e = ORSP_OK;

	for (size_t k = 0; !e && k < ORSP_ARRAY_LEN(vals); k++)
		e = value_draw(vals[k].os, vals[k].l, pe);
	return e;
}
