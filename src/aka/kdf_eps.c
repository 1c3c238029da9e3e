/* EPS key derivation for AKA: KASME (TS 33.401 Annex A.2) and the serving network
 * identity (PLMN identity encoded as in TS 24.008 §10.5.1.3). */
#include <string.h>

#include "aka_internal.h"
#include "openrsp/crypto.h"

orsp_err aka_parse_plmn(const char *mccmnc, uint8_t mcc[3], uint8_t mnc[3], size_t *mnc_len)
{
	char digits[7];
	size_t n = 0, len;

	if (!mccmnc)
		return orsp_errf(ORSP_E_USAGE, "PLMN: missing argument");
	len = strnlen(mccmnc, 8);
	for (size_t i = 0; i < len; i++) {
		char c = mccmnc[i];
		if (c == '-' && i == 3 && (len == 6 || len == 7))
			continue; /* "MCC-MNC" */
		if (c < '0' || c > '9' || n >= 6)
			return orsp_errf(ORSP_E_MALFORMED,
			                 "PLMN must be MCC and MNC digits (\"00101\", "
			                 "\"001-001\")");
		digits[n++] = c;
	}
	if (n != 5 && n != 6)
		return orsp_errf(ORSP_E_MALFORMED, "PLMN must have 5 or 6 digits, not %zu", n);
	for (int i = 0; i < 3; i++)
		mcc[i] = (uint8_t)(digits[i] - '0');
	*mnc_len = n - 3;
	for (size_t i = 0; i < 3; i++)
		mnc[i] = i < *mnc_len ? (uint8_t)(digits[3 + i] - '0') : 0;
	return ORSP_OK;
}

orsp_err orsp_plmn_encode(const char *mccmnc, uint8_t out[3])
{
	uint8_t mcc[3], mnc[3];
	size_t mnc_len = 0;
	orsp_err e;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "PLMN: missing output");
	e = aka_parse_plmn(mccmnc, mcc, mnc, &mnc_len);
	if (e != ORSP_OK)
		return e;
	/* TS 24.008 §10.5.1.3: octet 1 = MCC2 MCC1, octet 2 = MNC3 MCC3, octet 3 = MNC2 MNC1
	 * (high nibble first); MNC3 = 'F' filler for a two-digit MNC. */
	out[0] = (uint8_t)(mcc[1] << 4 | mcc[0]);
	out[1] = (uint8_t)((mnc_len == 3 ? mnc[2] : 0xf) << 4 | mcc[2]);
	out[2] = (uint8_t)(mnc[1] << 4 | mnc[0]);
	return ORSP_OK;
}

orsp_err orsp_kdf_kasme(const uint8_t ck[16], const uint8_t ik[16], const uint8_t plmn[3],
                        const uint8_t sqn_xor_ak[6], uint8_t kasme[32])
{
	uint8_t key[32];
	orsp_err e;

	if (!ck || !ik || !plmn || !sqn_xor_ak || !kasme)
		return orsp_errf(ORSP_E_USAGE, "KASME: missing argument");
	/* TS 33.401 A.2: key = CK || IK, FC = 0x10, P0 = SN id, P1 = SQN xor AK */
	const orsp_kdf_param p[2] = {{plmn, 3}, {sqn_xor_ak, 6}};
	memcpy(key, ck, 16);
	memcpy(key + 16, ik, 16);
	e = orsp_kdf_3gpp(key, sizeof(key), 0x10, p, 2, kasme);
	orsp_wipe(key, sizeof(key));
	return e;
}
