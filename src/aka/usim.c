/* USIM side of AKA (TS 33.102 §6.3.3): verify AUTN, check SQN freshness (Annex C.2),
 * answer with RES/CK/IK or with AUTS on a synchronisation failure. */
#include <string.h>

#include "aka_internal.h"

orsp_err orsp_usim_authenticate(const orsp_aka_subscriber *s, orsp_usim_sqn *st,
                                const uint8_t rand[16], const uint8_t autn[16],
                                orsp_usim_result *out)
{
	aka_outputs o;
	uint8_t sqn[6];
	uint64_t sqn_v;
	orsp_err e;

	memset(&o, 0, sizeof(o));
	if (!out)
		return orsp_errf(ORSP_E_USAGE, "USIM: missing output");
	memset(out, 0, sizeof(*out));
	if (!st || !rand || !autn)
		return orsp_errf(ORSP_E_USAGE, "USIM: missing argument");
	if (st->ind_bits > ORSP_SQN_MAX_IND_BITS)
		return orsp_errf(ORSP_E_USAGE, "USIM: IND length above %d bits",
		                 ORSP_SQN_MAX_IND_BITS);

	/* 1. AK = f5(RAND), SQN = (SQN xor AK) xor AK */
	e = aka_run(s, rand, NULL, NULL, &o);
	if (e != ORSP_OK)
		goto out;
	for (int i = 0; i < 6; i++)
		sqn[i] = (uint8_t)(autn[i] ^ o.ak[i]);

	/* 2. XMAC = f1(SQN, RAND, AMF), compared with MAC in constant time. A mismatch is a
	 * MAC failure: no AUTS, and the SQN state is left alone. */
	e = aka_run(s, rand, sqn, autn + 6, &o);
	if (e != ORSP_OK)
		goto out;
	if (!orsp_ct_eq(o.mac_a, autn + 8, 8)) {
		e = orsp_errf(ORSP_E_VERIFY, "AUTN: MAC mismatch");
		goto out;
	}

	/* 3. SQN freshness (Annex C.2). On failure: AUTS with SQN_MS (§6.3.3). */
	sqn_v = orsp_get_be48(sqn);
	e = orsp_usim_sqn_check(st, sqn_v);
	if (e == ORSP_E_STATE) {
		orsp_err e2 = orsp_aka_auts_build(s, rand, orsp_usim_sqn_ms(st), out->auts);
		if (e2 != ORSP_OK)
			e = e2;
		goto out;
	}
	if (e != ORSP_OK)
		goto out;

	/* 4. Accept: record SEQ under its IND, hand out RES, CK, IK. */
	orsp_usim_sqn_accept(st, sqn_v);
	memcpy(out->res, o.res, o.res_len);
	out->res_len = o.res_len;
	memcpy(out->ck, o.ck, o.ck_len);
	memcpy(out->ik, o.ik, o.ik_len);
	out->ck_len = o.ck_len;
	out->ik_len = o.ik_len;
out:
	if (e != ORSP_OK) {
		/* keep only the AUTS of a synchronisation failure */
		uint8_t auts[ORSP_AKA_AUTS_LEN];
		memcpy(auts, out->auts, sizeof(auts));
		orsp_wipe(out, sizeof(*out));
		if (e == ORSP_E_STATE)
			memcpy(out->auts, auts, sizeof(auts));
	}
	orsp_wipe(&o, sizeof(o));
	orsp_wipe(sqn, sizeof(sqn));
	return e;
}
