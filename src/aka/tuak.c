/* TUAK (3GPP TS 35.231): TOPc, f1, f1*, f2345 and f5* over Keccak-f[1600].
 *
 * TS 35.231 numbers the bits of the 1600-bit input INP from 0 and places every field
 * "most significant bit last" in the byte order used by the permutation; in octets this
 * means each field is written byte-reversed into the state, and every output is read back
 * byte-reversed. Layout of the 200-octet state:
 *
 *   [0, 32)    TOP or TOPc             [32]        INSTANCE
 *   [33, 40)   ALGONAME "TUAK1.0"      [40, 56)    RAND
 *   [56, 58)   AMF                     [58, 64)    SQN
 *   [64, 96)   K (128-bit K padded with zero octets)
 *   [96]       0x1f (padding start)    [135]       0x80 (padding end)
 *   everything else zero.
 *
 * Unused inputs (RAND/AMF/SQN for TOPc, AMF/SQN for f2345 and f5*) are zero. The
 * permutation is applied keccak_iterations times (TS 35.231, configurable per
 * operator); libosmocore keeps that count in a global, here it is a parameter.
 */
#include <string.h>

#include "openrsp/aka.h"

#define TUAK_STATE_LEN 200

/* INSTANCE octet (TS 35.231): bit 7/6 select the function, bits 5..3
 * the MAC or RES length, bit 2 CK 256, bit 1 IK 256, bit 0 K 256. */
#define TUAK_INST_F1 0x00u
#define TUAK_INST_F1STAR 0x80u
#define TUAK_INST_F2345 0x40u
#define TUAK_INST_F5STAR 0xc0u
#define TUAK_INST_CK256 0x04u
#define TUAK_INST_IK256 0x02u
#define TUAK_INST_K256 0x01u

static const uint8_t tuak_algoname[7] = {'T', 'U', 'A', 'K', '1', '.', '0'};

void orsp_tuak_default_params(orsp_tuak_params *p)
{
	p->keccak_iterations = 1;
	p->mac_bits = 64;
	p->res_bits = 64;
	p->ck_bits = 128;
	p->ik_bits = 128;
}

orsp_err orsp_tuak_check_params(const orsp_tuak_params *p)
{
	if (!p)
		return orsp_errf(ORSP_E_USAGE, "TUAK parameters missing");
	if (p->keccak_iterations < 1)
		return orsp_errf(ORSP_E_USAGE, "TUAK needs at least one Keccak iteration");
	if (p->keccak_iterations > ORSP_TUAK_MAX_KECCAK)
		return orsp_errf(ORSP_E_USAGE,
		                 "TUAK Keccak iterations %u above %d (a profile's numberOfKeccak)",
		                 p->keccak_iterations, ORSP_TUAK_MAX_KECCAK);
	if (p->mac_bits != 64 && p->mac_bits != 128 && p->mac_bits != 256)
		return orsp_errf(ORSP_E_USAGE, "TUAK MAC length %u bits not 64, 128 or 256",
		                 p->mac_bits);
	if (p->res_bits != 32 && p->res_bits != 64 && p->res_bits != 128 && p->res_bits != 256)
		return orsp_errf(ORSP_E_USAGE, "TUAK RES length %u bits not 32, 64, 128 or 256",
		                 p->res_bits);
	if (p->ck_bits != 128 && p->ck_bits != 256)
		return orsp_errf(ORSP_E_USAGE, "TUAK CK length %u bits not 128 or 256", p->ck_bits);
	if (p->ik_bits != 128 && p->ik_bits != 256)
		return orsp_errf(ORSP_E_USAGE, "TUAK IK length %u bits not 128 or 256", p->ik_bits);
	return ORSP_OK;
}

/* Length bits 5..3 of INSTANCE for a MAC or RES of `bits` (32 -> 000, 64 -> 001,
 * 128 -> 010, 256 -> 100). Only called with checked lengths. */
static uint8_t tuak_len_code(unsigned bits)
{
	switch (bits) {
	case 64:
		return 0x08;
	case 128:
		return 0x10;
	case 256:
		return 0x20;
	default:
		return 0x00;
	}
}

static void put_reversed(uint8_t *dst, const uint8_t *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = src ? src[n - 1 - i] : 0;
}

/* Fill the state for one TUAK function and run the permutation. NULL rand/amf/sqn = zero. */
static void tuak_core(uint8_t st[TUAK_STATE_LEN], const uint8_t top[32], uint8_t instance,
                      const uint8_t *rand, const uint8_t *amf, const uint8_t *sqn, const uint8_t *k,
                      size_t k_len, unsigned iterations)
{
	memset(st, 0, TUAK_STATE_LEN);
	put_reversed(st, top, 32);
	st[32] = instance;
	put_reversed(st + 33, tuak_algoname, sizeof(tuak_algoname));
	put_reversed(st + 40, rand, 16);
	put_reversed(st + 56, amf, 2);
	put_reversed(st + 58, sqn, 6);
	put_reversed(st + 64, k, k_len);
	st[96] = 0x1f;
	st[135] = 0x80;
	for (unsigned i = 0; i < iterations; i++)
		orsp_keccak_f1600(st);
}

static orsp_err tuak_check_key(size_t k_len, uint8_t *k_bit)
{
	if (k_len == 16)
		*k_bit = 0;
	else if (k_len == 32)
		*k_bit = TUAK_INST_K256;
	else
		return orsp_errf(ORSP_E_USAGE, "TUAK K must be 128 or 256 bits, not %zu octets",
		                 k_len);
	return ORSP_OK;
}

orsp_err orsp_tuak_topc(const uint8_t *k, size_t k_len, const uint8_t top[32],
                        unsigned keccak_iterations, uint8_t topc[32])
{
	uint8_t st[TUAK_STATE_LEN];
	uint8_t k_bit = 0;
	orsp_err e;

	if (!k || !top || !topc)
		return orsp_errf(ORSP_E_USAGE, "TUAK TOPc: missing argument");
	e = tuak_check_key(k_len, &k_bit);
	if (e != ORSP_OK)
		return e;
	if (keccak_iterations < 1)
		return orsp_errf(ORSP_E_USAGE, "TUAK needs at least one Keccak iteration");
	if (keccak_iterations > ORSP_TUAK_MAX_KECCAK)
		return orsp_errf(ORSP_E_USAGE,
		                 "TUAK Keccak iterations %u above %d (a profile's numberOfKeccak)",
		                 keccak_iterations, ORSP_TUAK_MAX_KECCAK);

	/* TS 35.231 TOPc: INSTANCE = 0 except the K-length bit; RAND, AMF, SQN zero. */
	tuak_core(st, top, k_bit, NULL, NULL, NULL, k, k_len, keccak_iterations);
	put_reversed(topc, st, 32);
	orsp_wipe(st, sizeof(st));
	return ORSP_OK;
}

orsp_err orsp_tuak_compute(const uint8_t *k, size_t k_len, const uint8_t topc[32],
                           const orsp_tuak_params *p, const uint8_t rand[16], const uint8_t sqn[6],
                           const uint8_t amf[2], orsp_tuak_out *out)
{
	uint8_t st[TUAK_STATE_LEN];
	uint8_t k_bit = 0, inst;
	orsp_err e;

	if (!k || !topc || !rand || !out)
		return orsp_errf(ORSP_E_USAGE, "TUAK: missing argument");
	memset(out, 0, sizeof(*out));
	e = tuak_check_key(k_len, &k_bit);
	if (e != ORSP_OK)
		return e;
	e = orsp_tuak_check_params(p);
	if (e != ORSP_OK)
		return e;

	if (sqn && amf) {
		/* f1 and f1* */
		inst = (uint8_t)(TUAK_INST_F1 | tuak_len_code(p->mac_bits) | k_bit);
		tuak_core(st, topc, inst, rand, amf, sqn, k, k_len, p->keccak_iterations);
		put_reversed(out->mac_a, st, p->mac_bits / 8);
		inst = (uint8_t)(TUAK_INST_F1STAR | tuak_len_code(p->mac_bits) | k_bit);
		tuak_core(st, topc, inst, rand, amf, sqn, k, k_len, p->keccak_iterations);
		put_reversed(out->mac_s, st, p->mac_bits / 8);
	}

	/* f2345: RES at octet 0, CK at 32, IK at 64, AK at 96 (all reversed). */
	inst = (uint8_t)(TUAK_INST_F2345 | tuak_len_code(p->res_bits) |
	                 (p->ck_bits == 256 ? TUAK_INST_CK256 : 0) |
	                 (p->ik_bits == 256 ? TUAK_INST_IK256 : 0) | k_bit);
	tuak_core(st, topc, inst, rand, NULL, NULL, k, k_len, p->keccak_iterations);
	put_reversed(out->res, st, p->res_bits / 8);
	put_reversed(out->ck, st + 32, p->ck_bits / 8);
	put_reversed(out->ik, st + 64, p->ik_bits / 8);
	put_reversed(out->ak, st + 96, 6);

	/* f5*: AK* at octet 96. */
	inst = (uint8_t)(TUAK_INST_F5STAR | k_bit);
	tuak_core(st, topc, inst, rand, NULL, NULL, k, k_len, p->keccak_iterations);
	put_reversed(out->ak_star, st + 96, 6);

	orsp_wipe(st, sizeof(st));
	return ORSP_OK;
}
