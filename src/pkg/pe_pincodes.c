/* PE-PINCodes and PE-PUKCodes: PIN, ADM and PUK configurations (TS 102 221 §9.4). Values are
 * exposed only as an orsp_secret (orsp_pkg_get_pin_value, for the eUICC's USIM), never in the
 * configurations orsp_pkg_get_pins lists. */
#include <string.h>

#include "pkg_internal.h"

const char *orsp_pkg_pin_ref_name(long ref, bool puk)
{
	/* PINKeyReferenceValue / PUKKeyReferenceValue (PEDefinitions). */
	static const char *const pin[] = {"pinAppl1", "pinAppl2", "pinAppl3", "pinAppl4",
	                                  "pinAppl5", "pinAppl6", "pinAppl7", "pinAppl8"};
	static const char *const pin2[] = {"secondPINAppl1", "secondPINAppl2", "secondPINAppl3",
	                                   "secondPINAppl4", "secondPINAppl5", "secondPINAppl6",
	                                   "secondPINAppl7", "secondPINAppl8"};
	static const char *const pk[] = {"pukAppl1", "pukAppl2", "pukAppl3", "pukAppl4",
	                                 "pukAppl5", "pukAppl6", "pukAppl7", "pukAppl8"};
	static const char *const pk2[] = {"secondPUKAppl1", "secondPUKAppl2", "secondPUKAppl3",
	                                  "secondPUKAppl4", "secondPUKAppl5", "secondPUKAppl6",
	                                  "secondPUKAppl7", "secondPUKAppl8"};
	static const char *const adm[] = {"adm1", "adm2", "adm3", "adm4", "adm5",
	                                  "adm6", "adm7", "adm8", "adm9", "adm10"};

	if (ref >= 1 && ref <= 8)
		return puk ? pk[ref - 1] : pin[ref - 1];
	if (ref >= 0x81 && ref <= 0x88)
		return puk ? pk2[ref - 0x81] : pin2[ref - 0x81];
	if (!puk && ref >= 10 && ref <= 14)
		return adm[ref - 10];
	if (!puk && ref >= 0x8A && ref <= 0x8E)
		return adm[ref - 0x8A + 5];
	if (!puk && ref == 0x11)
		return "universalPIN";
	return "?";
}

pin_ref_kind pin_ref_kind_of(long ref, bool puk)
{
	if ((ref >= 1 && ref <= 8) ||
	    (!puk && ((ref >= 0x0A && ref <= 0x0E) || (ref >= 0x8A && ref <= 0x8E) || ref == 0x11)))
		return PIN_REF_GLOBAL;
	if (ref >= 0x81 && ref <= 0x88)
		return PIN_REF_LOCAL;
	return PIN_REF_NONE;
}

void pin_tries(const long *v, long dflt, unsigned *max, unsigned *left)
{
	long x = v ? *v : dflt;
	*max = (unsigned)(x >> 4) & 0x0F;
	*left = (unsigned)x & 0x0F;
}

orsp_err orsp_pkg_get_pins(const orsp_pkg *pkg, orsp_pkg_pin *out, size_t cap, size_t *n)
{
	size_t k = 0;

	if (!pkg || !n || (!out && cap))
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_pins: NULL argument");
	for (size_t i = 0; i < pkg->n; i++) {
		const ProfileElement_t *pe = pkg->pe[i].asn;
		if (pkg->pe[i].type == ORSP_PE_PIN_CODES &&
		    pe->choice.pinCodes.pinCodes.present == PE_PINCodes__pinCodes_PR_pinconfig) {
			const struct PE_PINCodes__pinCodes__pinconfig *l =
			    &pe->choice.pinCodes.pinCodes.choice.pinconfig;
			for (int j = 0; j < l->list.count; j++, k++) {
				const PINConfiguration_t *c = l->list.array[j];
				orsp_pkg_pin *o = k < cap ? &out[k] : NULL;
				if (!o || !c)
					continue;
				memset(o, 0, sizeof(*o));
				o->pe_index = i;
				o->key_reference = c->keyReference;
				o->value_len = (size_t)c->pinValue.size;
				o->has_unblock = c->unblockingPINReference != NULL;
				o->unblock_reference =
				    c->unblockingPINReference ? *c->unblockingPINReference : 0;
				o->attributes = c->pinAttributes ? (unsigned)*c->pinAttributes : 7;
				pin_tries(c->maxNumOfAttemps_retryNumLeft, PIN_TRIES_DEFAULT,
				          &o->max_attempts, &o->retries_left);
			}
		} else if (pkg->pe[i].type == ORSP_PE_PUK_CODES) {
			const struct PE_PUKCodes__pukCodes *l = &pe->choice.pukCodes.pukCodes;
			for (int j = 0; j < l->list.count; j++, k++) {
				const PUKConfiguration_t *c = l->list.array[j];
				orsp_pkg_pin *o = k < cap ? &out[k] : NULL;
				if (!o || !c)
					continue;
				memset(o, 0, sizeof(*o));
				o->pe_index = i;
				o->puk = true;
				o->key_reference = c->keyReference;
				o->value_len = (size_t)c->pukValue.size;
				pin_tries(c->maxNumOfAttemps_retryNumLeft, PUK_TRIES_DEFAULT,
				          &o->max_attempts, &o->retries_left);
			}
		}
	}
	*n = k;
	return ORSP_OK;
}

orsp_err orsp_pkg_get_pin_value(const orsp_pkg *pkg, size_t n, orsp_secret *out)
{
	size_t k = 0;

	if (!pkg || !out)
		return orsp_errf(ORSP_E_USAGE, "orsp_pkg_get_pin_value: NULL argument");
	orsp_secret_wipe(out);
	for (size_t i = 0; i < pkg->n; i++) {
		const ProfileElement_t *pe = pkg->pe[i].asn;
		const OCTET_STRING_t *v = NULL;
		size_t count = 0;
		if (pkg->pe[i].type == ORSP_PE_PIN_CODES &&
		    pe->choice.pinCodes.pinCodes.present == PE_PINCodes__pinCodes_PR_pinconfig) {
			const struct PE_PINCodes__pinCodes__pinconfig *l =
			    &pe->choice.pinCodes.pinCodes.choice.pinconfig;
			count = (size_t)l->list.count;
			if (n - k < count && l->list.array[n - k])
				v = &l->list.array[n - k]->pinValue;
		} else if (pkg->pe[i].type == ORSP_PE_PUK_CODES) {
			const struct PE_PUKCodes__pukCodes *l = &pe->choice.pukCodes.pukCodes;
			count = (size_t)l->list.count;
			if (n - k < count && l->list.array[n - k])
				v = &l->list.array[n - k]->pukValue;
		}
		if (n >= k && n - k < count) {
			if (!v)
				break;
			if (v->size < 0 || (size_t)v->size > ORSP_SECRET_MAX)
				return pe_errf(i, pkg->pe[i].type, ORSP_E_MALFORMED,
				               "PIN or PUK value of %d bytes", v->size);
			return orsp_secret_set(out, v->buf, (size_t)v->size);
		}
		k += count;
	}
	return orsp_errf(ORSP_E_NOT_FOUND, "no PIN or PUK configuration #%zu", n);
}
