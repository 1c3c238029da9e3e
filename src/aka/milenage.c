/* Milenage (3GPP TS 35.206) with operator-chosen r1..r5 / c1..c5, OPc derivation,
 * the GSM conversion functions c2/c3 (TS 33.102 §6.8.1.2) and GSM-Milenage (TS 55.205).
 *
 * One orsp_milenage holds the AES key schedule of K, so a vector costs two AES calls:
 * TEMP = E_K(RAND xor OPc), then OUT1..OUT5 as five independent ECB blocks in one call.
 */
#include <stdlib.h>
#include <string.h>

#include "openrsp/aka.h"
#include "openrsp/crypto.h"

/* A 128-bit value as two big-endian 64-bit halves: hi = octets 0..7 (bit 0 = MSB). */
typedef struct u128 {
	uint64_t hi, lo;
} u128;

struct orsp_milenage {
	orsp_aes_ecb *aes;
	u128 opc;
	u128 c[5];
	unsigned r[5];
};

/* Big-endian 64-bit loads/stores through memcpy, which compilers turn into one move
 * (plus a byte swap on little-endian hosts). */
static inline uint64_t load_be64(const uint8_t *b)
{
	uint64_t v;
	memcpy(&v, b, 8);
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	return v;
}

static inline void store_be64(uint8_t *b, uint64_t v)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	v = __builtin_bswap64(v);
#endif
	memcpy(b, &v, 8);
}

static inline u128 load128(const uint8_t b[16])
{
	u128 v = {load_be64(b), load_be64(b + 8)};
	return v;
}

static inline void store128(uint8_t b[16], u128 v)
{
	store_be64(b, v.hi);
	store_be64(b + 8, v.lo);
}

static inline u128 xor128(u128 a, u128 b)
{
	u128 v = {a.hi ^ b.hi, a.lo ^ b.lo};
	return v;
}

/* rot(x, r) of TS 35.206: cyclic rotation by r bit positions towards the most
 * significant bit, rot(x, r)[i] = x[(i + r) mod 128]. r is any value in 0..127. */
static inline u128 rot128(u128 x, unsigned r)
{
	if (r & 64) {
		uint64_t t = x.hi;
		x.hi = x.lo;
		x.lo = t;
	}
	r &= 63;
	if (r) {
		u128 v = {(x.hi << r) | (x.lo >> (64 - r)), (x.lo << r) | (x.hi >> (64 - r))};
		return v;
	}
	return x;
}

void orsp_milenage_default_consts(orsp_milenage_consts *c)
{
	static const uint8_t r[5] = {64, 0, 32, 64, 96};

	memset(c, 0, sizeof(*c));
	memcpy(c->r, r, sizeof(r));
	/* c1 = 0, c2 = ...01, c3 = ...02, c4 = ...04, c5 = ...08 (TS 35.206) */
	c->c[1][15] = 1;
	c->c[2][15] = 2;
	c->c[3][15] = 4;
	c->c[4][15] = 8;
}

orsp_err orsp_milenage_opc(const uint8_t k[16], const uint8_t op[16], uint8_t opc[16])
{
	orsp_aes_ecb *aes = NULL;
	uint8_t t[16];
	orsp_err e;

	if (!k || !op || !opc)
		return orsp_errf(ORSP_E_USAGE, "Milenage OPc: missing argument");
	aes = orsp_aes_ecb_new(k, 16);
	if (!aes) {
		e = orsp_errf(ORSP_E_CRYPTO, "Milenage OPc: AES key setup failed");
		goto out;
	}
	/* TS 35.206: OPc = OP xor E_K(OP) */
	e = orsp_aes_ecb_encrypt(aes, op, t, 1);
	if (e != ORSP_OK)
		goto out;
	for (int i = 0; i < 16; i++)
		opc[i] = (uint8_t)(t[i] ^ op[i]);
out:
	orsp_wipe(t, sizeof(t));
	orsp_aes_ecb_free(aes);
	return e;
}

orsp_milenage *orsp_milenage_new(const uint8_t k[16], const uint8_t opc[16],
                                 const orsp_milenage_consts *consts)
{
	orsp_milenage_consts def;
	orsp_milenage *m;

	if (!k || !opc)
		return NULL;
	m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	m->aes = orsp_aes_ecb_new(k, 16);
	if (!m->aes) {
		free(m);
		return NULL;
	}
	if (!consts) {
		orsp_milenage_default_consts(&def);
		consts = &def;
	}
	m->opc = load128(opc);
	for (int i = 0; i < 5; i++) {
		m->r[i] = consts->r[i] % 128u; /* rotation is cyclic: r and r mod 128 agree */
		m->c[i] = load128(consts->c[i]);
	}
	return m;
}

void orsp_milenage_free(orsp_milenage *m)
{
	if (!m)
		return;
	orsp_aes_ecb_free(m->aes);
	orsp_wipe(m, sizeof(*m));
	free(m);
}

/* Up to MILENAGE_CHUNK vectors share two AES calls: all TEMP blocks in one, then all OUT1..OUT5
 * blocks in the other, so the AES unit pipelines independent blocks instead of waiting on one. */
#define MILENAGE_CHUNK 8

/* rand: n * 16 bytes, sqn: n * 6 bytes or NULL. */
static orsp_err milenage_chunk(orsp_milenage *m, size_t n, const uint8_t *rand, const uint8_t *sqn,
                               const uint8_t amf[2], orsp_milenage_out *out)
{
	/* Everything secret lives here and is wiped once at the end. */
	struct {
		uint8_t blk[MILENAGE_CHUNK * 5][16]; /* OUT inputs, then outputs, packed */
		uint8_t temp[MILENAGE_CHUNK][16];
		uint8_t in1[16];
	} w;
	const bool f1 = sqn && amf;
	const size_t per = f1 ? 5 : 4; /* OUT1 only when f1/f1* are wanted */
	orsp_err e;

	/* TEMP = E_K(RAND xor OPc) */
	for (size_t v = 0; v < n; v++)
		store128(w.temp[v], xor128(load128(rand + 16 * v), m->opc));
	e = orsp_aes_ecb_encrypt(m->aes, w.temp[0], w.temp[0], n);
	if (e != ORSP_OK)
		goto out;

	for (size_t v = 0; v < n; v++) {
		const u128 temp = load128(w.temp[v]);
		uint8_t(*b)[16] = &w.blk[v * per];
		if (f1) {
			/* IN1 = SQN || AMF || SQN || AMF;
			 * OUT1 = E_K(TEMP xor rot(IN1 xor OPc, r1) xor c1) xor OPc */
			memcpy(w.in1, sqn + 6 * v, 6);
			memcpy(w.in1 + 6, amf, 2);
			memcpy(w.in1 + 8, w.in1, 8);
			const u128 x = rot128(xor128(load128(w.in1), m->opc), m->r[0]);
			store128(*b++, xor128(xor128(temp, x), m->c[0]));
		}
		/* OUTk = E_K(rot(TEMP xor OPc, rk) xor ck) xor OPc, k = 2..5 */
		const u128 top = xor128(temp, m->opc);
		for (unsigned i = 1; i < 5; i++)
			store128(*b++, xor128(rot128(top, m->r[i]), m->c[i]));
	}
	e = orsp_aes_ecb_encrypt(m->aes, w.blk[0], w.blk[0], n * per);
	if (e != ORSP_OK)
		goto out;

	for (size_t v = 0; v < n; v++) {
		uint8_t(*b)[16] = &w.blk[v * per];
		orsp_milenage_out *o = &out[v];
		for (size_t i = 0; i < per; i++)
			store128(b[i], xor128(load128(b[i]), m->opc));
		if (f1) {
			memcpy(o->mac_a, b[0], 8);     /* f1 = OUT1[0..63] */
			memcpy(o->mac_s, b[0] + 8, 8); /* f1* = OUT1[64..127] */
			b++;
		} else {
			memset(o->mac_a, 0, sizeof(o->mac_a));
			memset(o->mac_s, 0, sizeof(o->mac_s));
		}
		memcpy(o->ak, b[0], 6);      /* f5 = OUT2[0..47] */
		memcpy(o->res, b[0] + 8, 8); /* f2 = OUT2[64..127] */
		memcpy(o->ck, b[1], 16);     /* f3 = OUT3 */
		memcpy(o->ik, b[2], 16);     /* f4 = OUT4 */
		memcpy(o->ak_star, b[3], 6); /* f5* = OUT5[0..47] */
	}
out:
	orsp_wipe(&w, sizeof(w));
	return e;
}

orsp_err orsp_milenage_compute_many(orsp_milenage *m, size_t n, const uint8_t (*rand)[16],
                                    const uint8_t (*sqn)[6], const uint8_t amf[2],
                                    orsp_milenage_out *out)
{
	if (!m || (n && (!rand || !out)))
		return orsp_errf(ORSP_E_USAGE, "Milenage: missing argument");
	for (size_t done = 0; done < n;) {
		size_t c = n - done < MILENAGE_CHUNK ? n - done : MILENAGE_CHUNK;
		orsp_err e = milenage_chunk(m, c, rand[done], sqn ? sqn[done] : NULL, amf, out + done);
		if (e != ORSP_OK)
			return e;
		done += c;
	}
	return ORSP_OK;
}

orsp_err orsp_milenage_compute(orsp_milenage *m, const uint8_t rand[16], const uint8_t sqn[6],
                               const uint8_t amf[2], orsp_milenage_out *out)
{
	if (!m || !rand || !out)
		return orsp_errf(ORSP_E_USAGE, "Milenage: missing argument");
	return milenage_chunk(m, 1, rand, sqn && amf ? sqn : NULL, amf, out);
}

void orsp_gsm_sres_c2(const uint8_t *res, size_t res_len, uint8_t sres[4])
{
	/* TS 33.102 §6.8.1.2 c2: RES zero-padded to a multiple of 32 bits, SRES = the xor of
	 * its 32-bit words (RES1 xor RES2 for a 64-bit RES). */
	uint8_t x[4] = {0, 0, 0, 0};

	/* into x first: sres may be res itself (SRES made in place of RES) */
	for (size_t i = 0; res && i < res_len; i++)
		x[i % 4] ^= res[i];
	memcpy(sres, x, 4);
}

void orsp_gsm_kc_c3(const uint8_t ck[16], const uint8_t ik[16], uint8_t kc[8])
{
	/* TS 33.102 §6.8.1.2 c3: Kc = CK1 xor CK2 xor IK1 xor IK2 (64-bit halves). */
	for (int i = 0; i < 8; i++)
		kc[i] = (uint8_t)(ck[i] ^ ck[i + 8] ^ ik[i] ^ ik[i + 8]);
}

orsp_err orsp_gsm_milenage(const uint8_t k[16], const uint8_t opc[16], const uint8_t rand[16],
                           uint8_t sres[4], uint8_t kc[8])
{
	orsp_milenage *m = NULL;
	orsp_milenage_out o;
	orsp_err e;

	memset(&o, 0, sizeof(o));
	if (!k || !opc || !rand || !sres || !kc)
		return orsp_errf(ORSP_E_USAGE, "GSM-Milenage: missing argument");
	m = orsp_milenage_new(k, opc, NULL);
	if (!m) {
		e = orsp_errf(ORSP_E_CRYPTO, "GSM-Milenage: AES key setup failed");
		goto out;
	}
	e = orsp_milenage_compute(m, rand, NULL, NULL, &o);
	if (e != ORSP_OK)
		goto out;
	/* TS 55.205: SRES#2 = the first 32 bits of RES (OUT2 bits 64..95), Kc from c3 over
	 * CK and IK. SRES#1 (= c2 over RES) is available through orsp_gsm_sres_c2(). */
	memcpy(sres, o.res, 4);
	orsp_gsm_kc_c3(o.ck, o.ik, kc);
out:
	orsp_wipe(&o, sizeof(o));
	orsp_milenage_free(m);
	return e;
}
