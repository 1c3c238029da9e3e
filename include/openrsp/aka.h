/* openrsp aka: 3GPP authentication and key agreement.
 *
 * Milenage (TS 35.206) with configurable rotation r1..r5 and constants c1..c5, OPc from OP,
 * GSM conversions (TS 33.102 c2/c3, GSM-Milenage TS 55.205); TUAK (TS 35.231) with
 * 128/256-bit K, 1 to ORSP_TUAK_MAX_KECCAK Keccak iterations and all output lengths; USIM-side AUTN
 * verification with SQN freshness (TS 33.102 Annex C.2: SEQ array indexed by IND, delta,
 * age limit L) and AUTS generation; AuC-side vectors (UMTS quintets, EPS KASME per
 * TS 33.401 A.2, 5G RES* and XRES*, HXRES*, KAUSF, KSEAF per TS 33.501 Annex A) and AUTS
 * verification for resynchronisation.
 *
 * Secrets (K, OPc/TOPc) travel in orsp_aka_subscriber; callers wipe it with
 * orsp_aka_subscriber_wipe(). Output keys (CK, IK, KASME, KAUSF...) are secrets too.
 */
#ifndef OPENRSP_AKA_H
#define OPENRSP_AKA_H

#include "openrsp/core.h"

#define ORSP_AKA_RAND_LEN 16
#define ORSP_AKA_SQN_LEN 6
#define ORSP_AKA_AMF_LEN 2
/* The AMF separation bit (TS 33.102 Annex H: AMF bit 0, the most significant, in amf[0]): 1 in
 * every AUTN for E-UTRAN (TS 33.401 §6.1.1) or 5G (TS 33.501 §6.1.3.2). */
#define ORSP_AKA_AMF_SEPARATION 0x80
#define ORSP_AKA_AK_LEN 6
#define ORSP_AKA_AUTN_LEN 16
#define ORSP_AKA_AUTS_LEN 14
#define ORSP_AKA_MAX_OUT 32 /* TUAK RES/CK/IK up to 256 bits */
#define ORSP_AKA_MAX_MAC 8  /* ... but MAC in AUTN is at most 64 bits on the wire */
#define ORSP_AKA_SQN_MAX UINT64_C(0xffffffffffff)

typedef enum orsp_aka_alg {
	ORSP_AKA_MILENAGE = 1,
	ORSP_AKA_TUAK = 2,
} orsp_aka_alg;

/* ----- Milenage (TS 35.206) ----- */

typedef struct orsp_milenage_consts {
	uint8_t r[5];     /* rotations in bits, r1..r5 (multiples of 8 not required) */
	uint8_t c[5][16]; /* xor constants c1..c5 */
} orsp_milenage_consts;

/* The TS 35.206 defaults: r = 64, 0, 32, 64, 96; c1 = 0, c2..c5 = 1, 2, 4, 8 in the LSB. */
void orsp_milenage_default_consts(orsp_milenage_consts *c);

/* OPc = OP xor E_K(OP). */
ORSP_MUST_CHECK orsp_err orsp_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16]);

/* All Milenage outputs for one (RAND, SQN, AMF). */
typedef struct orsp_milenage_out {
	uint8_t mac_a[8], mac_s[8];   /* f1, f1* */
	uint8_t res[8];               /* f2 */
	uint8_t ck[16], ik[16];       /* f3, f4 */
	uint8_t ak[6], ak_star[6];    /* f5, f5* */
} orsp_milenage_out;

/* A keyed Milenage instance: holds the AES key schedule of K and OPc; reuse it for many
 * vectors of one subscriber. Create with orsp_milenage_new(), free (and wipe) with
 * orsp_milenage_free(). consts NULL = defaults. */
typedef struct orsp_milenage orsp_milenage;
orsp_milenage *orsp_milenage_new(const uint8_t k[16], const uint8_t opc[16],
                                 const orsp_milenage_consts *consts);
void orsp_milenage_free(orsp_milenage *m);
/* f1..f5* in one go (6 AES blocks). sqn/amf may be NULL to skip f1/f1* (then 5 blocks). */
ORSP_MUST_CHECK orsp_err orsp_milenage_compute(orsp_milenage *m, const uint8_t rand[16],
                                               const uint8_t sqn[6], const uint8_t amf[2],
                                               orsp_milenage_out *out);

/* The same for n vectors of one subscriber (an AuC request for several vectors): the AES
 * blocks of up to 8 vectors go through the cipher together. sqn NULL skips f1/f1*; amf is
 * shared by all vectors. out[i] corresponds to rand[i] and sqn[i]. */
ORSP_MUST_CHECK orsp_err orsp_milenage_compute_many(orsp_milenage *m, size_t n,
                                                    const uint8_t (*rand)[16],
                                                    const uint8_t (*sqn)[6], const uint8_t amf[2],
                                                    orsp_milenage_out *out);

/* GSM conversions (TS 33.102 §6.8.1.2): c2 SRES = RES[0..3] xor RES[4..7] (for 64-bit RES),
 * c3 Kc = CK1 xor CK2 xor IK1 xor IK2. */
void orsp_gsm_sres_c2(const uint8_t *res, size_t res_len, uint8_t sres[4]);
void orsp_gsm_kc_c3(const uint8_t ck[16], const uint8_t ik[16], uint8_t kc[8]);
/* GSM-Milenage (TS 55.205): SRES = first 4 bytes of RES ("SRES#2") and Kc from c3. */
ORSP_MUST_CHECK orsp_err orsp_gsm_milenage(const uint8_t k[16], const uint8_t opc[16],
                                           const uint8_t rand[16], uint8_t sres[4], uint8_t kc[8]);

/* ----- TUAK (TS 35.231) ----- */

/* Keccak-f[1600] on a 200-byte state in the byte order of TS 35.231 (lane i = bytes 8i..8i+7,
 * little-endian within the lane). */
void orsp_keccak_f1600(uint8_t state[200]);

/* The most Keccak iterations taken. TS 35.231 leaves the count to the operator, but a profile
 * can carry at most 255 (PE-AKAParameter numberOfKeccak is a UInt8, SGP.22's PEDefinitions),
 * and every vector costs four times the count in permutations (the AuC computes them inside
 * its write transaction: 65536 iterations held it for seconds). */
#define ORSP_TUAK_MAX_KECCAK 255

typedef struct orsp_tuak_params {
	unsigned keccak_iterations; /* 1..ORSP_TUAK_MAX_KECCAK */
	unsigned mac_bits;          /* 64, 128 or 256 */
	unsigned res_bits;          /* 32, 64, 128 or 256 */
	unsigned ck_bits;           /* 128 or 256 */
	unsigned ik_bits;           /* 128 or 256 */
} orsp_tuak_params;

/* Defaults: 1 iteration, MAC 64, RES 64, CK 128, IK 128. */
void orsp_tuak_default_params(orsp_tuak_params *p);
ORSP_MUST_CHECK orsp_err orsp_tuak_check_params(const orsp_tuak_params *p);

/* TOPc from TOP (32 bytes) and K (16 or 32 bytes), with 1..ORSP_TUAK_MAX_KECCAK iterations
 * (else ORSP_E_USAGE). */
ORSP_MUST_CHECK orsp_err orsp_tuak_topc(const uint8_t *k, size_t k_len, const uint8_t top[32],
                                        unsigned keccak_iterations, uint8_t topc[32]);

typedef struct orsp_tuak_out {
	uint8_t mac_a[32], mac_s[32]; /* mac_bits/8 valid */
	uint8_t res[32];              /* res_bits/8 valid */
	uint8_t ck[32], ik[32];       /* ck_bits/8, ik_bits/8 valid */
	uint8_t ak[6], ak_star[6];
} orsp_tuak_out;

/* f1, f1* (needs sqn and amf; skipped when NULL), f2345 and f5*. */
ORSP_MUST_CHECK orsp_err orsp_tuak_compute(const uint8_t *k, size_t k_len, const uint8_t topc[32],
                                           const orsp_tuak_params *p, const uint8_t rand[16],
                                           const uint8_t sqn[6], const uint8_t amf[2],
                                           orsp_tuak_out *out);

/* ----- one subscriber, either algorithm ----- */

typedef struct orsp_aka_subscriber {
	orsp_aka_alg alg;
	orsp_secret k;   /* 16 bytes (Milenage, TUAK) or 32 (TUAK) */
	orsp_secret opc; /* OPc (16) or TOPc (32) */
	orsp_milenage_consts milenage;
	orsp_tuak_params tuak;
} orsp_aka_subscriber;

/* Milenage subscriber with default constants, or TUAK with default params. */
ORSP_MUST_CHECK orsp_err orsp_aka_subscriber_init(orsp_aka_subscriber *s, orsp_aka_alg alg,
                                                  const uint8_t *k, size_t k_len,
                                                  const uint8_t *opc, size_t opc_len);
void orsp_aka_subscriber_wipe(orsp_aka_subscriber *s);

/* An authentication vector as produced by the AuC. Lengths follow the algorithm. */
typedef struct orsp_aka_vector {
	uint8_t rand[16];
	uint8_t sqn[6];
	uint8_t amf[2];
	uint8_t mac_a[8];
	uint8_t xres[32];
	size_t xres_len;
	uint8_t ck[32], ik[32];
	size_t ck_len, ik_len;
	uint8_t ak[6];
	uint8_t autn[16]; /* (SQN xor AK) || AMF || MAC-A (first 64 bits for TUAK longer MACs) */
} orsp_aka_vector;

/* Compute a vector for the given RAND, SQN and AMF. */
ORSP_MUST_CHECK orsp_err orsp_aka_generate(const orsp_aka_subscriber *s, const uint8_t rand[16],
                                           const uint8_t sqn[6], const uint8_t amf[2],
                                           orsp_aka_vector *out);
void orsp_aka_vector_wipe(orsp_aka_vector *v);

/* AuC side of resynchronisation (TS 33.102 §6.3.5): AUTS = (SQN_MS xor AK*) || MAC-S, with
 * MAC-S = f1*(SQN_MS, RAND, AMF = 0000). Returns ORSP_E_VERIFY if MAC-S does not match,
 * otherwise SQN_MS in *sqn_ms. */
ORSP_MUST_CHECK orsp_err orsp_aka_auts_verify(const orsp_aka_subscriber *s, const uint8_t rand[16],
                                              const uint8_t auts[14], uint64_t *sqn_ms);
/* Build an AUTS for SQN_MS (USIM side). */
ORSP_MUST_CHECK orsp_err orsp_aka_auts_build(const orsp_aka_subscriber *s, const uint8_t rand[16],
                                             uint64_t sqn_ms, uint8_t auts[14]);

/* ----- SQN management (TS 33.102 Annex C) ----- */

#define ORSP_SQN_MAX_IND_BITS 8
/* Δ (TS 33.102 Annex C.2.1): the USIM refuses a SEQ more than Δ above SEQ_MS. The default of
 * orsp_usim_sqn_init() and of a new AuC subscriber's sqn_delta (orsp_auc_new_init; the
 * PE-AKAParameter default); on resynchronisation the AuC uses each subscriber's own sqn_delta. */
#define ORSP_SQN_DEFAULT_DELTA (UINT64_C(1) << 28)

/* USIM side: the array SEQ_MS(i) of the highest SEQ accepted per IND value i. */
typedef struct orsp_usim_sqn {
	unsigned ind_bits;   /* IND length in bits (TS 33.102 C.3.2 suggests 5); 0..8 */
	uint64_t delta;      /* SEQ - SEQ_MS must not exceed delta (C.2.1); 0 = no limit; default 2^28 */
	uint64_t age_limit;  /* L (C.2.2): accept only SEQ_MS - SEQ < L; 0 = no limit (default) */
	uint64_t seq[1u << ORSP_SQN_MAX_IND_BITS];
} orsp_usim_sqn;

void orsp_usim_sqn_init(orsp_usim_sqn *st, unsigned ind_bits);
/* Highest SQN accepted so far (SEQ_MS || IND of the largest SEQ), used for AUTS. */
uint64_t orsp_usim_sqn_ms(const orsp_usim_sqn *st);
/* Freshness check of Annex C.2.2 without updating: ORSP_OK if SQN would be accepted,
 * ORSP_E_STATE if it is replayed or too old, or its SEQ more than delta ahead of the highest
 * accepted (C.2.1), or older than the age limit L (then the USIM answers with AUTS). */
ORSP_MUST_CHECK orsp_err orsp_usim_sqn_check(const orsp_usim_sqn *st, uint64_t sqn);
/* Record an accepted SQN. */
void orsp_usim_sqn_accept(orsp_usim_sqn *st, uint64_t sqn);

/* The USIM AUTHENTICATE logic (TS 33.102 §6.3.3): recover SQN from AUTN, verify MAC-A
 * (constant time), check freshness, and on success return RES/CK/IK and record SQN.
 * Results: ORSP_OK with res/ck/ik filled; ORSP_E_VERIFY on a MAC failure (no AUTS);
 * ORSP_E_STATE on a synchronisation failure, with auts filled. */
typedef struct orsp_usim_result {
	uint8_t res[32];
	size_t res_len;
	uint8_t ck[32], ik[32];
	size_t ck_len, ik_len;
	uint8_t auts[14];
} orsp_usim_result;
ORSP_MUST_CHECK orsp_err orsp_usim_authenticate(const orsp_aka_subscriber *s, orsp_usim_sqn *st,
                                                const uint8_t rand[16], const uint8_t autn[16],
                                                orsp_usim_result *out);

/* AuC side (Annex C.1/C.3): the next SQN after `last` for the given IND: SEQ(last)+1 with
 * the IND bits replaced. ORSP_E_RESOURCE if SEQ would wrap. */
ORSP_MUST_CHECK orsp_err orsp_auc_next_sqn(uint64_t last, unsigned ind_bits, unsigned ind,
                                           uint64_t *next);
/* After a resync to SQN_MS: the AuC continues from SEQ_MS (the next vector is SEQ_MS + 1). */

/* ----- key derivations ----- */

/* Serving network identity from MCC/MNC digits ("001", "01" or "001"); TS 24.301 PLMN
 * identity encoding (3 bytes). */
ORSP_MUST_CHECK orsp_err orsp_plmn_encode(const char *mccmnc, uint8_t out[3]);
/* Serving network name "5G:mncXXX.mccYYY.3gppnetwork.org" from MCC/MNC. */
ORSP_MUST_CHECK orsp_err orsp_snn_from_plmn(const char *mccmnc, char *out, size_t cap);

/* KASME (TS 33.401 A.2): KDF(CK||IK, FC=0x10, SN id, SQN xor AK). */
ORSP_MUST_CHECK orsp_err orsp_kdf_kasme(const uint8_t ck[16], const uint8_t ik[16],
                                        const uint8_t plmn[3], const uint8_t sqn_xor_ak[6],
                                        uint8_t kasme[32]);
/* RES* and XRES* (TS 33.501 A.4): last 128 bits of KDF(CK||IK, FC=0x6B, SNN, RAND, RES). */
ORSP_MUST_CHECK orsp_err orsp_kdf_res_star(const uint8_t ck[16], const uint8_t ik[16], const char *snn,
                                           const uint8_t rand[16], const uint8_t *res,
                                           size_t res_len, uint8_t res_star[16]);
/* HXRES* (TS 33.501 A.5): last 128 bits of SHA-256(RAND || XRES*). */
ORSP_MUST_CHECK orsp_err orsp_kdf_hxres_star(const uint8_t rand[16], const uint8_t xres_star[16],
                                             uint8_t hxres_star[16]);
/* KAUSF (TS 33.501 A.2): KDF(CK||IK, FC=0x6A, SNN, SQN xor AK). */
ORSP_MUST_CHECK orsp_err orsp_kdf_kausf(const uint8_t ck[16], const uint8_t ik[16], const char *snn,
                                        const uint8_t sqn_xor_ak[6], uint8_t kausf[32]);
/* KSEAF (TS 33.501 A.6): KDF(KAUSF, FC=0x6C, SNN). */
ORSP_MUST_CHECK orsp_err orsp_kdf_kseaf(const uint8_t kausf[32], const char *snn, uint8_t kseaf[32]);

#endif
