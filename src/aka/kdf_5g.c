/* 5G AKA key derivations, TS 33.501 Annex A: RES* and XRES* (A.4), HXRES* (A.5), KAUSF (A.2),
 * KSEAF (A.6), and the serving network name (TS 24.501 §9.12.1). */
#include <stdio.h>
#include <string.h>

#include "aka_internal.h"
#include "openrsp/crypto.h"

/* Longest SNN: "5G:mncXXX.mccYYY.3gppnetwork.org" is 32 characters; a caller-supplied SNN
 * may be longer (e.g. with an NID) but stays far below the KDF limit. */
#define SNN_MAX 255

orsp_err orsp_snn_from_plmn(const char *mccmnc, char *out, size_t cap)
{
	uint8_t mcc[3], mnc[3];
	size_t mnc_len = 0;
	orsp_err e;
	int n;

	if (!out || !cap)
		return orsp_errf(ORSP_E_USAGE, "SNN: missing output");
	out[0] = '\0';
	e = aka_parse_plmn(mccmnc, mcc, mnc, &mnc_len);
	if (e != ORSP_OK)
		return e;
	/* TS 33.501 §6.1.1.4, TS 24.501 §9.12.1: a two-digit MNC gets a leading zero. */
	unsigned mcc_v = mcc[0] * 100u + mcc[1] * 10u + mcc[2];
	unsigned mnc_v =
	    mnc_len == 3 ? mnc[0] * 100u + mnc[1] * 10u + mnc[2] : mnc[0] * 10u + mnc[1];
	n = snprintf(out, cap, "5G:mnc%03u.mcc%03u.3gppnetwork.org", mnc_v, mcc_v);
	if (n < 0 || (size_t)n >= cap) {
		out[0] = '\0';
		return orsp_errf(ORSP_E_RESOURCE, "SNN needs %d bytes, buffer has %zu", n + 1, cap);
	}
	return ORSP_OK;
}

static orsp_err snn_check(const char *snn, size_t *len)
{
	if (!snn)
		return orsp_errf(ORSP_E_USAGE, "SNN missing");
	*len = strnlen(snn, SNN_MAX + 1);
	if (*len == 0 || *len > SNN_MAX)
		return orsp_errf(ORSP_E_USAGE, "SNN must be 1..%d characters", SNN_MAX);
	return ORSP_OK;
}

orsp_err orsp_kdf_res_star(const uint8_t ck[16], const uint8_t ik[16], const char *snn,
                           const uint8_t rand[16], const uint8_t *res, size_t res_len,
                           uint8_t res_star[16])
{
	uint8_t key[32], out[32];
	size_t snn_len = 0;
	orsp_err e;

	if (!ck || !ik || !rand || !res || !res_star)
		return orsp_errf(ORSP_E_USAGE, "RES*: missing argument");
	e = snn_check(snn, &snn_len);
	if (e != ORSP_OK)
		return e;
	/* RES is 32..128 bits for Milenage/5G; TUAK allows up to 256. */
	if (res_len < 4 || res_len > ORSP_AKA_MAX_OUT)
		return orsp_errf(ORSP_E_USAGE, "RES of %zu octets not in 4..%d", res_len,
		                 ORSP_AKA_MAX_OUT);
	/* TS 33.501 A.4: FC = 0x6B, P0 = SNN, P1 = RAND, P2 = RES; RES* = the 128 least
	 * significant bits of the output. */
	const orsp_kdf_param p[3] = {{(const uint8_t *)snn, snn_len}, {rand, 16}, {res, res_len}};
	memcpy(key, ck, 16);
	memcpy(key + 16, ik, 16);
	e = orsp_kdf_3gpp(key, sizeof(key), 0x6b, p, 3, out);
	if (e == ORSP_OK)
		memcpy(res_star, out + 16, 16);
	orsp_wipe(key, sizeof(key));
	orsp_wipe(out, sizeof(out));
	return e;
}

orsp_err orsp_kdf_hxres_star(const uint8_t rand[16], const uint8_t xres_star[16],
                             uint8_t hxres_star[16])
{
	uint8_t in[32], out[ORSP_SHA256_LEN];
	orsp_err e;

	if (!rand || !xres_star || !hxres_star)
		return orsp_errf(ORSP_E_USAGE, "HXRES*: missing argument");
	/* TS 33.501 A.5: S = RAND || XRES*, HXRES* = the 128 least significant bits of
	 * SHA-256(S). */
	memcpy(in, rand, 16);
	memcpy(in + 16, xres_star, 16);
	e = orsp_sha256(in, sizeof(in), out);
	if (e == ORSP_OK)
		memcpy(hxres_star, out + 16, 16);
	orsp_wipe(in, sizeof(in));
	orsp_wipe(out, sizeof(out));
	return e;
}

orsp_err orsp_kdf_kausf(const uint8_t ck[16], const uint8_t ik[16], const char *snn,
                        const uint8_t sqn_xor_ak[6], uint8_t kausf[32])
{
	uint8_t key[32];
	size_t snn_len = 0;
	orsp_err e;

	if (!ck || !ik || !sqn_xor_ak || !kausf)
		return orsp_errf(ORSP_E_USAGE, "KAUSF: missing argument");
	e = snn_check(snn, &snn_len);
	if (e != ORSP_OK)
		return e;
	/* TS 33.501 A.2: key = CK || IK, FC = 0x6A, P0 = SNN, P1 = SQN xor AK */
	const orsp_kdf_param p[2] = {{(const uint8_t *)snn, snn_len}, {sqn_xor_ak, 6}};
	memcpy(key, ck, 16);
	memcpy(key + 16, ik, 16);
	e = orsp_kdf_3gpp(key, sizeof(key), 0x6a, p, 2, kausf);
	orsp_wipe(key, sizeof(key));
	return e;
}

orsp_err orsp_kdf_kseaf(const uint8_t kausf[32], const char *snn, uint8_t kseaf[32])
{
	size_t snn_len = 0;
	orsp_err e;

	if (!kausf || !kseaf)
		return orsp_errf(ORSP_E_USAGE, "KSEAF: missing argument");
	e = snn_check(snn, &snn_len);
	if (e != ORSP_OK)
		return e;
	/* TS 33.501 A.6: key = KAUSF, FC = 0x6C, P0 = SNN */
	const orsp_kdf_param p[1] = {{(const uint8_t *)snn, snn_len}};
	return orsp_kdf_3gpp(kausf, 32, 0x6c, p, 1, kseaf);
}
