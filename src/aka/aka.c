/* One subscriber, either algorithm: AuC vector generation (TS 33.102 §6.3.2) and the
 * AUTS of re-synchronisation (TS 33.102 §6.3.3 and §6.3.5). */
#include <string.h>

#include "aka_internal.h"

/* Whether the n bytes at p share memory with *s (addresses compared as integers: they may
 * belong to different objects). */
static bool overlaps(const uint8_t *p, size_t n, const orsp_aka_subscriber *s)
{
	uintptr_t a = (uintptr_t)p, b = (uintptr_t)s;
	return p && n && a < b + sizeof(*s) && b < a + n;
}

orsp_err orsp_aka_subscriber_init(orsp_aka_subscriber *s, orsp_aka_alg alg, const uint8_t *k,
                                  size_t k_len, const uint8_t *opc, size_t opc_len)
{
	orsp_err e;

	if (!s)
		return orsp_errf(ORSP_E_USAGE, "AKA subscriber: missing argument");
	/* K or OPc inside *s (its own key, say) would be cleared below before it is read */
	if (overlaps(k, k_len, s) || overlaps(opc, opc_len, s))
		return orsp_errf(ORSP_E_USAGE, "AKA subscriber: K or OPc lies in the subscriber");
	memset(s, 0, sizeof(*s));
	if (!k || !opc) {
		e = orsp_errf(ORSP_E_USAGE, "AKA subscriber: missing K or OPc");
		goto out;
	}
	s->alg = alg;
	orsp_milenage_default_consts(&s->milenage);
	orsp_tuak_default_params(&s->tuak);
	e = orsp_secret_set(&s->k, k, k_len);
	if (e != ORSP_OK)
		goto out;
	e = orsp_secret_set(&s->opc, opc, opc_len);
	if (e != ORSP_OK)
		goto out;
	e = aka_check_subscriber(s);
out:
	if (e != ORSP_OK)
		orsp_aka_subscriber_wipe(s);
	return e;
}

void orsp_aka_subscriber_wipe(orsp_aka_subscriber *s)
{
	if (s)
		orsp_wipe(s, sizeof(*s));
}

void orsp_aka_vector_wipe(orsp_aka_vector *v)
{
	if (v)
		orsp_wipe(v, sizeof(*v));
}

orsp_err aka_check_subscriber(const orsp_aka_subscriber *s)
{
	if (!s)
		return orsp_errf(ORSP_E_USAGE, "AKA subscriber missing");
	switch (s->alg) {
	case ORSP_AKA_MILENAGE:
		if (s->k.len != 16 || s->opc.len != 16)
			return orsp_errf(ORSP_E_USAGE,
			                 "Milenage needs a 16-octet K and OPc (have %zu, %zu)",
			                 s->k.len, s->opc.len);
		return ORSP_OK;
	case ORSP_AKA_TUAK:
		if ((s->k.len != 16 && s->k.len != 32) || s->opc.len != 32)
			return orsp_errf(
			    ORSP_E_USAGE,
			    "TUAK needs a 16- or 32-octet K and a 32-octet TOPc (have %zu, %zu)",
			    s->k.len, s->opc.len);
		return orsp_tuak_check_params(&s->tuak);
	default:
		return orsp_errf(ORSP_E_USAGE, "unknown AKA algorithm %d", (int)s->alg);
	}
}

static orsp_err run_milenage(const orsp_aka_subscriber *s, const uint8_t rand[16],
                             const uint8_t *sqn, const uint8_t *amf, aka_outputs *o)
{
	orsp_milenage *m = NULL;
	orsp_milenage_out mo;
	orsp_err e;

	memset(&mo, 0, sizeof(mo));
	m = orsp_milenage_new(s->k.v, s->opc.v, &s->milenage);
	if (!m) {
		e = orsp_errf(ORSP_E_CRYPTO, "Milenage: AES key setup failed");
		goto out;
	}
	e = orsp_milenage_compute(m, rand, sqn, amf, &mo);
	if (e != ORSP_OK)
		goto out;
	memcpy(o->mac_a, mo.mac_a, 8);
	memcpy(o->mac_s, mo.mac_s, 8);
	memcpy(o->res, mo.res, 8);
	o->res_len = 8;
	memcpy(o->ck, mo.ck, 16);
	memcpy(o->ik, mo.ik, 16);
	o->ck_len = o->ik_len = 16;
	memcpy(o->ak, mo.ak, 6);
	memcpy(o->ak_star, mo.ak_star, 6);
out:
	orsp_wipe(&mo, sizeof(mo));
	orsp_milenage_free(m);
	return e;
}

static orsp_err run_tuak(const orsp_aka_subscriber *s, const uint8_t rand[16], const uint8_t *sqn,
                         const uint8_t *amf, aka_outputs *o)
{
	orsp_tuak_out to;
	orsp_err e;

	e = orsp_tuak_compute(s->k.v, s->k.len, s->opc.v, &s->tuak, rand, sqn, amf, &to);
	if (e != ORSP_OK)
		goto out;
	/* AUTN and AUTS carry 64-bit MACs (TS 33.102 §6.3.2/§6.3.3): a longer TUAK MAC is
	 * truncated to its first 64 bits, the same way on the AuC and the USIM side. */
	memcpy(o->mac_a, to.mac_a, 8);
	memcpy(o->mac_s, to.mac_s, 8);
	o->res_len = s->tuak.res_bits / 8;
	o->ck_len = s->tuak.ck_bits / 8;
	o->ik_len = s->tuak.ik_bits / 8;
	memcpy(o->res, to.res, o->res_len);
	memcpy(o->ck, to.ck, o->ck_len);
	memcpy(o->ik, to.ik, o->ik_len);
	memcpy(o->ak, to.ak, 6);
	memcpy(o->ak_star, to.ak_star, 6);
out:
	orsp_wipe(&to, sizeof(to));
	return e;
}

orsp_err aka_run(const orsp_aka_subscriber *s, const uint8_t rand[16], const uint8_t *sqn,
                 const uint8_t *amf, aka_outputs *o)
{
	orsp_err e;

	if (!rand || !o)
		return orsp_errf(ORSP_E_USAGE, "AKA: missing argument");
	memset(o, 0, sizeof(*o));
	e = aka_check_subscriber(s);
	if (e != ORSP_OK)
		return e;
	if (s->alg == ORSP_AKA_MILENAGE)
		e = run_milenage(s, rand, sqn, amf, o);
	else
		e = run_tuak(s, rand, sqn, amf, o);
	if (e != ORSP_OK)
		orsp_wipe(o, sizeof(*o));
	return e;
}

orsp_err orsp_aka_generate(const orsp_aka_subscriber *s, const uint8_t rand[16],
                           const uint8_t sqn[6], const uint8_t amf[2], orsp_aka_vector *out)
{
	aka_outputs o;
	uint8_t in_rand[16], in_sqn[6], in_amf[2];
	orsp_err e;

	if (!out)
		return orsp_errf(ORSP_E_USAGE, "AKA generate: missing output");
	if (!rand || !sqn || !amf) {
		memset(out, 0, sizeof(*out));
		return orsp_errf(ORSP_E_USAGE, "AKA generate: missing RAND, SQN or AMF");
	}
	/* copied before out is cleared: the inputs may be out's own fields (a vector made
	 * again from its RAND, SQN and AMF), which the clear zeroed first */
	memcpy(in_rand, rand, 16);
	memcpy(in_sqn, sqn, 6);
	memcpy(in_amf, amf, 2);
	rand = in_rand;
	sqn = in_sqn;
	amf = in_amf;
	memset(out, 0, sizeof(*out));
	e = aka_run(s, rand, sqn, amf, &o);
	if (e != ORSP_OK)
		goto out;
	memcpy(out->rand, rand, 16);
	memcpy(out->sqn, sqn, 6);
	memcpy(out->amf, amf, 2);
	memcpy(out->mac_a, o.mac_a, 8);
	memcpy(out->xres, o.res, o.res_len);
	out->xres_len = o.res_len;
	memcpy(out->ck, o.ck, o.ck_len);
	memcpy(out->ik, o.ik, o.ik_len);
	out->ck_len = o.ck_len;
	out->ik_len = o.ik_len;
	memcpy(out->ak, o.ak, 6);
	/* TS 33.102 §6.3.2: AUTN = SQN xor AK || AMF || MAC */
	for (int i = 0; i < 6; i++)
		out->autn[i] = (uint8_t)(sqn[i] ^ o.ak[i]);
	memcpy(out->autn + 6, amf, 2);
	memcpy(out->autn + 8, o.mac_a, 8);
out:
	orsp_wipe(&o, sizeof(o));
	orsp_wipe(in_sqn, sizeof(in_sqn));
	if (e != ORSP_OK)
		orsp_aka_vector_wipe(out);
	return e;
}

/* The AMF used for MAC-S: TS 33.102 §6.3.3 uses a dummy AMF of all zeros. */
static const uint8_t auts_amf[2] = {0, 0};

orsp_err orsp_aka_auts_build(const orsp_aka_subscriber *s, const uint8_t rand[16], uint64_t sqn_ms,
                             uint8_t auts[14])
{
	aka_outputs o;
	uint8_t sqn[6];
	orsp_err e;

	if (!rand || !auts)
		return orsp_errf(ORSP_E_USAGE, "AUTS: missing argument");
	if (sqn_ms > ORSP_AKA_SQN_MAX)
		return orsp_errf(ORSP_E_USAGE, "SQN_MS exceeds 48 bits");
	orsp_put_be48(sqn, sqn_ms);
	e = aka_run(s, rand, sqn, auts_amf, &o);
	if (e != ORSP_OK)
		goto out;
	/* TS 33.102 §6.3.3: AUTS = Conc(SQN_MS) || MAC-S, Conc(SQN_MS) = SQN_MS xor AK* */
	for (int i = 0; i < 6; i++)
		auts[i] = (uint8_t)(sqn[i] ^ o.ak_star[i]);
	memcpy(auts + 6, o.mac_s, 8);
out:
	orsp_wipe(&o, sizeof(o));
	orsp_wipe(sqn, sizeof(sqn)); /* SQN_MS, which AK* is there to hide */
	return e;
}

orsp_err orsp_aka_auts_verify(const orsp_aka_subscriber *s, const uint8_t rand[16],
                              const uint8_t auts[14], uint64_t *sqn_ms)
{
	aka_outputs o;
	uint8_t sqn[6];
	orsp_err e;

	if (!rand || !auts || !sqn_ms)
		return orsp_errf(ORSP_E_USAGE, "AUTS: missing argument");
	*sqn_ms = 0;
	/* TS 33.102 §6.3.5: recover SQN_MS with AK* = f5*(RAND) ... */
	e = aka_run(s, rand, NULL, NULL, &o);
	if (e != ORSP_OK)
		goto out;
	for (int i = 0; i < 6; i++)
		sqn[i] = (uint8_t)(auts[i] ^ o.ak_star[i]);
	/* ... and check MAC-S = f1*(SQN_MS, RAND, AMF = 0000). */
	e = aka_run(s, rand, sqn, auts_amf, &o);
	if (e != ORSP_OK)
		goto out;
	if (!orsp_ct_eq(o.mac_s, auts + 6, 8)) {
		e = orsp_errf(ORSP_E_VERIFY, "AUTS: MAC-S mismatch");
		goto out;
	}
	*sqn_ms = orsp_get_be48(sqn);
out:
	orsp_wipe(&o, sizeof(o));
	orsp_wipe(sqn, sizeof(sqn));
	return e;
}
