/* PE-AKAParameter: the NAA's authentication algorithm (Milenage with its rotation and xor
 * constants, TUAK with its Keccak iteration count, or the TS 34.108 test algorithm), K and
 * OPc/TOPc, and the USIM's SQN freshness settings (TS 33.102 Annex C). K and OPc leave this
 * file only as orsp_secret. */
#include <string.h>

#include "pkg_internal.h"

uint64_t aka_u48(const OCTET_STRING_t *os, uint64_t dflt)
{
	if (!os || os->size != 6)
		return dflt;
	return orsp_get_be48(os->buf);
}

const char *orsp_pkg_alg_name(long algorithm_id)
{
	switch (algorithm_id) {
	case ORSP_PKG_ALG_MILENAGE:
		return "milenage";
	case ORSP_PKG_ALG_TUAK:
		return "tuak";
	case ORSP_PKG_ALG_TEST:
		return "usim-test-algorithm";
	default:
		return "?";
	}
}

size_t orsp_pkg_aka_count(const orsp_pkg *pkg)
{
	size_t n = 0;

	for (size_t i = 0; pkg && i < pkg->n; i++)
		if (pkg->pe[i].type == ORSP_PE_AKA_PARAMETER)
			n++;
	return n;
}

static const PE_AKAParameter_t *nth_aka(const orsp_pkg *pkg, size_t n, long *index)
{
	long i = pkg ? pkg_find(pkg, ORSP_PE_AKA_PARAMETER, n) : -1;

	if (i < 0)
		return NULL;
	*index = i;
	return &pkg->pe[i].asn->choice.akaParameter;
}

orsp_err orsp_pkg_get_aka(const orsp_pkg *pkg, size_t n, orsp_pkg_aka *out)
{
	const PE_AKAParameter_t *a;
	long idx = -1;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_aka: NULL argument");
	memset(out, 0, sizeof(*out));
	a = nth_aka(pkg, n, &idx);
	if (!a)
		return orsp_errf(ORSP_E_NOT_FOUND, "no PE-AKAParameter #%zu", n);
	out->pe_index = (size_t)idx;
	out->id = (unsigned)a->aka_header.identification;
	if (a->algoConfiguration.present ==
	    PE_AKAParameter__algoConfiguration_PR_mappingParameter) {
		const MappingParameter_t *m = &a->algoConfiguration.choice.mappingParameter;
		size_t len = (size_t)m->mappingSource.size;
		out->is_mapping = true;
		out->mapping_options = m->mappingOptions.size == 1 ? m->mappingOptions.buf[0] : 0;
		if (len > sizeof(out->mapping_source))
			len = sizeof(out->mapping_source);
		memcpy(out->mapping_source, m->mappingSource.buf, len);
		out->mapping_source_len = len;
	} else if (a->algoConfiguration.present ==
	           PE_AKAParameter__algoConfiguration_PR_algoParameter) {
		const AlgoParameter_t *p = &a->algoConfiguration.choice.algoParameter;
		out->algorithm = p->algorithmID;
		out->algorithm_options =
		    p->algorithmOptions.size == 1 ? p->algorithmOptions.buf[0] : 0;
		out->key_len = (size_t)p->key.size;
		out->opc_len = (size_t)p->opc.size;
		orsp_milenage_default_consts(&out->milenage);
		if (p->rotationConstants) {
			out->has_rotation = true;
			for (int i = 0; i < 5 && i < p->rotationConstants->size; i++)
				out->milenage.r[i] = p->rotationConstants->buf[i];
		}
		if (p->xoringConstants) {
			out->has_xoring = true;
			if (p->xoringConstants->size == 80)
				memcpy(out->milenage.c, p->xoringConstants->buf, 80);
		}
		if (p->authCounterMax && p->authCounterMax->size == 3) {
			out->has_auth_counter_max = true;
			memcpy(out->auth_counter_max, p->authCounterMax->buf, 3);
		}
		out->has_keccak = p->numberOfKeccak != NULL;
		out->keccak = p->numberOfKeccak ? (unsigned)*p->numberOfKeccak : 1;
	}
	/* PEDefinitions defaults: sqnOptions '02', sqnDelta = sqnAgeLimit = 2^28 ('000010000000'),
	 * sqnInit 32 x zero. */
	out->has_sqn_options = a->sqnOptions != NULL;
	out->sqn_options = a->sqnOptions && a->sqnOptions->size == 1 ? a->sqnOptions->buf[0] : 0x02;
	out->has_sqn_delta = a->sqnDelta != NULL;
	out->sqn_delta = aka_u48(a->sqnDelta, UINT64_C(0x000010000000));
	out->has_sqn_age_limit = a->sqnAgeLimit != NULL;
	out->sqn_age_limit = aka_u48(a->sqnAgeLimit, UINT64_C(0x000010000000));
	out->has_sqn_init = a->sqnInit != NULL;
	out->n_sqn_init = 32;
	for (int i = 0; a->sqnInit && i < a->sqnInit->list.count && i < 32; i++)
		out->sqn_init[i] = aka_u48(a->sqnInit->list.array[i], 0);
	if (a->sqnInit)
		out->n_sqn_init = (size_t)a->sqnInit->list.count;
	return ORSP_OK;
}

/* The PEs that start an NAA's run of PEs (pySim's pes_by_naa groups them the same way): the
 * MF's and each network access application's. */
static bool naa_start(orsp_pe_type t)
{
	return t == ORSP_PE_MF || t == ORSP_PE_USIM || t == ORSP_PE_ISIM || t == ORSP_PE_CSIM ||
	       t == ORSP_PE_IOT;
}

/* The first PE-AKAParameter in the run of PEs of NAA PE naa (up to the next NAA), or -1. */
static long naa_aka_pe(const orsp_pkg *pkg, size_t naa)
{
	for (size_t i = naa + 1; i < pkg->n && !naa_start(pkg->pe[i].type); i++)
		if (pkg->pe[i].type == ORSP_PE_AKA_PARAMETER)
			return (long)i;
	return -1;
}

/* Whether NAA PE i has an ADF whose dfName is aid (the ADF is the first member with one). */
static bool naa_has_aid(const orsp_pkg *pkg, size_t i, const OCTET_STRING_t *aid)
{
	fs_member m[ORSP_PKG_MAX_FILES];
	size_t n;

	if (!pkg->pe[i].asn)
		return false;
	n = fs_members(pkg->pe[i].asn, m, ORSP_ARRAY_LEN(m));
	for (size_t k = 0; k < n && k < ORSP_ARRAY_LEN(m); k++) {
		const Fcp_t *f = file_fcp(m[k].file);
		if (f && f->dfName)
			return f->dfName->size == aid->size &&
			       memcmp(f->dfName->buf, aid->buf, (size_t)aid->size) == 0;
	}
	return false;
}

orsp_err orsp_pkg_naa_aka(const orsp_pkg *pkg, size_t naa_pe, size_t *n)
{
	const PE_AKAParameter_t *a;
	const OCTET_STRING_t *src;
	long idx, own;

	if (!pkg || !n)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_naa_aka: NULL argument");
	if (naa_pe >= pkg->n || pkg->pe[naa_pe].type == ORSP_PE_MF ||
	    !naa_start(pkg->pe[naa_pe].type))
		return orsp_errf(ORSP_E_USAGE, "PE #%zu is not an NAA's application PE", naa_pe);
	own = idx = naa_aka_pe(pkg, naa_pe);
	if (idx < 0)
		return orsp_errf(ORSP_E_NOT_FOUND, "PE #%zu (%s) has no PE-AKAParameter", naa_pe,
		                 orsp_pe_type_name(pkg->pe[naa_pe].type));
	a = &pkg->pe[idx].asn->choice.akaParameter;
	if (a->algoConfiguration.present ==
	    PE_AKAParameter__algoConfiguration_PR_mappingParameter) {
		/* mappingParameter: the NAA uses the parameters of the NAA with that AID */
		src = &a->algoConfiguration.choice.mappingParameter.mappingSource;
		idx = -1;
		for (size_t i = 0; i < pkg->n && idx < 0; i++)
			if (i != naa_pe && pkg->pe[i].type != ORSP_PE_MF &&
			    naa_start(pkg->pe[i].type) && naa_has_aid(pkg, i, src))
				idx = naa_aka_pe(pkg, i);
		if (idx < 0)
			return pe_errf((size_t)own, ORSP_PE_AKA_PARAMETER, ORSP_E_NOT_FOUND,
			               "mappingSource names no NAA with a PE-AKAParameter");
		a = &pkg->pe[idx].asn->choice.akaParameter;
		if (a->algoConfiguration.present !=
		    PE_AKAParameter__algoConfiguration_PR_algoParameter)
			return pe_errf((size_t)own, ORSP_PE_AKA_PARAMETER, ORSP_E_MALFORMED,
			               "mappingSource names an NAA without an algoParameter");
	}
	*n = 0;
	for (long i = 0; i < idx; i++)
		if (pkg->pe[i].type == ORSP_PE_AKA_PARAMETER)
			(*n)++;
	return ORSP_OK;
}

orsp_err orsp_pkg_get_aka_keys(const orsp_pkg *pkg, size_t n, orsp_secret *k, orsp_secret *opc)
{
	const PE_AKAParameter_t *a;
	const AlgoParameter_t *p;
	long idx = -1;
	orsp_err e;

	if (!k || !opc)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_aka_keys: NULL argument");
	orsp_secret_wipe(k);
	orsp_secret_wipe(opc);
	a = nth_aka(pkg, n, &idx);
	if (!a)
		return orsp_errf(ORSP_E_NOT_FOUND, "no PE-AKAParameter #%zu", n);
	if (a->algoConfiguration.present != PE_AKAParameter__algoConfiguration_PR_algoParameter)
		return pe_errf((size_t)idx, ORSP_PE_AKA_PARAMETER, ORSP_E_NOT_FOUND,
		               "a mappingParameter carries no keys");
	p = &a->algoConfiguration.choice.algoParameter;
	if (p->key.size > ORSP_SECRET_MAX || p->opc.size > ORSP_SECRET_MAX)
		return pe_errf((size_t)idx, ORSP_PE_AKA_PARAMETER, ORSP_E_MALFORMED,
		               "key of %d or opc of %d bytes is too long", p->key.size,
		               p->opc.size);
	e = orsp_secret_set(k, p->key.buf, (size_t)p->key.size);
	if (!e)
		e = orsp_secret_set(opc, p->opc.buf, (size_t)p->opc.size);
	if (e) {
		orsp_secret_wipe(k);
		orsp_secret_wipe(opc);
	}
	return e;
}

orsp_err orsp_pkg_aka_subscriber(const orsp_pkg *pkg, size_t n, const orsp_pkg_aka *aka,
                                 orsp_aka_subscriber *sub)
{
	orsp_secret k, opc;
	orsp_err e;

	if (!aka || !sub)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_aka_subscriber: NULL argument");
	if (aka->algorithm != ORSP_PKG_ALG_MILENAGE && aka->algorithm != ORSP_PKG_ALG_TUAK)
		return orsp_errf(ORSP_E_POLICY, "algorithm %s: neither Milenage nor TUAK",
		                 orsp_pkg_alg_name(aka->algorithm));
	memset(&k, 0, sizeof(k));
	memset(&opc, 0, sizeof(opc));
	e = orsp_pkg_get_aka_keys(pkg, n, &k, &opc);
	if (!e)
		e = orsp_aka_subscriber_init(
		    sub, aka->algorithm == ORSP_PKG_ALG_TUAK ? ORSP_AKA_TUAK : ORSP_AKA_MILENAGE,
		    k.v, k.len, opc.v, opc.len);
	if (!e && aka->algorithm == ORSP_PKG_ALG_MILENAGE)
		sub->milenage = aka->milenage;
	else if (!e)
		sub->tuak.keccak_iterations = aka->keccak ? aka->keccak : 1;
	orsp_secret_wipe(&k);
	orsp_secret_wipe(&opc);
	return e;
}
