/* Bound Profile Package: build on the SM-DP+ side, streaming unwrap on the eUICC side
 * (SGP.22 §2.5.4, §2.5.5, ES8+ §5.5).
 *
 * Outside data: the SGP.26 DPpb (and DPauth/DP2pb, as wrong keys) test keys and
 * certificates of both curves, and pySim's test profile, ConfigureISDP, StoreMetadata and
 * PPKs (sgp22/bpp/). The built package is checked independently of the unwrap: the test
 * parses it with the DER reader, verifies smdpSign with the DPpb certificate key and
 * recomputes every C-MAC and the ConfigureISDP/ReplaceSessionKeys plaintexts from the
 * §2.6.4 text (hand_* below). Then: round trips on both curves with and without
 * ReplaceSessionKeys, fed whole, one byte at a time, in the §2.5.5 segments and split in
 * two at every byte offset; and one negative test per check the unwrap makes.
 */
#include "testutil.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "openrsp/bsp.h"
#include "openrsp/crypto.h"
#include "openrsp/der.h"

/* ---------------------------------------------------------------- failure injection ----- */

/* The build's segments are encrypted through orsp_aes_cbc_encrypt, wrapped here
 * (tests/CMakeLists.txt, --wrap): the cbc_fail_at-th call from now fails as an OpenSSL
 * failure would (0: never). */
orsp_err __real_orsp_aes_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                                     const uint8_t *in, size_t n, uint8_t *out);
orsp_err __wrap_orsp_aes_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                                     const uint8_t *in, size_t n, uint8_t *out);
static int cbc_calls, cbc_fail_at;

orsp_err __wrap_orsp_aes_cbc_encrypt(const uint8_t *key, size_t key_len, const uint8_t iv[16],
                                     const uint8_t *in, size_t n, uint8_t *out)
{
	if (cbc_fail_at && ++cbc_calls == cbc_fail_at)
		return orsp_errf(ORSP_E_CRYPTO, "injected AES-CBC failure");
	return __real_orsp_aes_cbc_encrypt(key, key_len, iv, in, n, out);
}

static void cbc_fail(int at)
{
	cbc_calls = 0;
	cbc_fail_at = at;
}

/* ---------------------------------------------------------------- fixture --------------- */

typedef struct fx {
	orsp_curve curve;
	orsp_ec_key *dppb_sk, *dppb_pk, *dpauth_sk, *dp2pb_pk;
	orsp_ec_key *euicc_otsk, *smdp_otsk;
	uint8_t euicc_otpk[ORSP_EC_POINT_LEN];
	uint8_t eid[16], tid[16], hid[8];
	uint8_t cfg[64], smd[256];
	size_t cfg_len, smd_len;
	uint8_t *upp;
	size_t upp_len;
	orsp_bsp_keys ppk;
	uint8_t *ppp;
	size_t ppp_len;
} fx;

static orsp_ec_key *load_sk(const char *rel)
{
	size_t len;
	uint8_t *pem = test_read_vector(rel, &len);
	orsp_ec_key *k = NULL;
	assert_int_equal(orsp_ec_load_private(pem, len, &k), ORSP_OK);
	free(pem);
	return k;
}

static orsp_ec_key *load_cert_pk(const char *rel)
{
	size_t len;
	uint8_t *der = test_read_vector(rel, &len);
	orsp_cert *c = NULL;
	orsp_ec_key *k = NULL;
	assert_int_equal(orsp_cert_parse(der, len, &c), ORSP_OK);
	assert_int_equal(orsp_cert_public_key(c, &k), ORSP_OK);
	orsp_cert_free(c);
	free(der);
	return k;
}

static size_t expected_item(const char *item, uint8_t *out, size_t cap)
{
	tsv *t = tsv_load("sgp22/bpp/keys_and_expected.tsv");
	size_t n = SIZE_MAX;
	for (size_t r = 0; r < tsv_rows(t); r++)
		if (!strcmp(tsv_get(t, r, "item"), item))
			n = tsv_hex(t, r, "value", out, cap);
	tsv_free(t);
	assert_true(n != SIZE_MAX);
	return n;
}

static fx *fx_new(orsp_curve curve)
{
	static const char eid_hex[] = "89049032123451234512345678901235"; /* SGP.26 test EID */
	fx *f = calloc(1, sizeof(*f));
	const char *sfx = curve == ORSP_CURVE_P256 ? "NIST" : "BRP";
	char path[128];
	uint8_t k[3][16];

	assert_non_null(f);
	f->curve = curve;
	snprintf(path, sizeof(path), "sgp26/DPpb/SK_S_SM_DPpb_ECDSA_%s.pem", sfx);
	f->dppb_sk = load_sk(path);
	snprintf(path, sizeof(path), "sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_%s.der", sfx);
	f->dppb_pk = load_cert_pk(path);
	snprintf(path, sizeof(path), "sgp26/DPauth/SK_S_SM_DPauth_ECDSA_%s.pem", sfx);
	f->dpauth_sk = load_sk(path);
	snprintf(path, sizeof(path), "sgp26/DPpb/CERT_S_SM_DP2pb_ECDSA_%s.der", sfx);
	f->dp2pb_pk = load_cert_pk(path);
	assert_int_equal(orsp_ec_curve(f->dppb_sk), curve);
	assert_int_equal(orsp_ec_generate(curve, &f->euicc_otsk), ORSP_OK);
	assert_int_equal(orsp_ec_generate(curve, &f->smdp_otsk), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(f->euicc_otsk, f->euicc_otpk), ORSP_OK);
	assert_int_equal(orsp_hex_decode_exact(eid_hex, f->eid, 16), ORSP_OK);
	for (int i = 0; i < 16; i++)
		f->tid[i] = (uint8_t)(0xd0 + i);
	memset(f->hid, 0x80, sizeof(f->hid));
	f->cfg_len = expected_item("expected_firstSequenceOf87_plaintext", f->cfg, sizeof(f->cfg));
	f->smd_len = expected_item("expected_sequenceOf88_plaintext", f->smd, sizeof(f->smd));
	f->upp = test_read_vector("sgp22/bpp/expected_upp.der", &f->upp_len);
	expected_item("ppk_enc", k[0], 16);
	expected_item("ppk_mac", k[1], 16);
	expected_item("ppk_initial_mcv", k[2], 16);
	assert_int_equal(orsp_bsp_keys_set(&f->ppk, k[0], k[1], k[2]), ORSP_OK);

	orsp_writer w;
	f->ppp = malloc(orsp_bsp_ppp_len(f->upp_len));
	assert_non_null(f->ppp);
	orsp_writer_init(&w, f->ppp, orsp_bsp_ppp_len(f->upp_len));
	assert_int_equal(orsp_bsp_ppp_build(&f->ppk, orsp_slice_make(f->upp, f->upp_len), &w),
	                 ORSP_OK);
	assert_int_equal(w.len, orsp_bsp_ppp_len(f->upp_len));
	f->ppp_len = w.len;
	return f;
}

static void fx_free(fx *f)
{
	orsp_ec_free(f->dppb_sk);
	orsp_ec_free(f->dppb_pk);
	orsp_ec_free(f->dpauth_sk);
	orsp_ec_free(f->dp2pb_pk);
	orsp_ec_free(f->euicc_otsk);
	orsp_ec_free(f->smdp_otsk);
	orsp_bsp_keys_wipe(&f->ppk);
	free(f->upp);
	free(f->ppp);
	free(f);
}

static orsp_bsp_bpp_params params(const fx *f, bool rsk)
{
	orsp_bsp_bpp_params p = {
	    .dppb = f->dppb_sk,
	    .smdp_otsk = f->smdp_otsk,
	    .euicc_otpk = orsp_slice_make(f->euicc_otpk, sizeof(f->euicc_otpk)),
	    .transaction_id = orsp_slice_make(f->tid, sizeof(f->tid)),
	    .host_id = orsp_slice_make(f->hid, sizeof(f->hid)),
	    .eid = f->eid,
	    .configure_isdp = orsp_slice_make(f->cfg, f->cfg_len),
	    .store_metadata = orsp_slice_make(f->smd, f->smd_len),
	    .profile =
	        rsk ? orsp_slice_make(f->ppp, f->ppp_len) : orsp_slice_make(f->upp, f->upp_len),
	    .ppk = rsk ? &f->ppk : NULL,
	};
	return p;
}

static uint8_t *build_p(const orsp_bsp_bpp_params *p, size_t *len)
{
	size_t n = 0;
	orsp_writer w;
	assert_int_equal(orsp_bsp_bpp_size(p, &n), ORSP_OK);
	uint8_t *b = malloc(n + 8);
	assert_non_null(b);
	orsp_writer_init(&w, b, n);
	if (orsp_bsp_bpp_build(p, &w) != ORSP_OK)
		fail_msg("build: %s", orsp_err_detail());
	assert_int_equal(w.len, n);
	*len = n;
	return b;
}

static uint8_t *build(const fx *f, bool rsk, size_t *len)
{
	orsp_bsp_bpp_params p = params(f, rsk);
	return build_p(&p, len);
}

/* ---------------------------------------------------------------- output sink ----------- */

typedef struct sink {
	uint8_t cfg[1024], smd[ORSP_BSP_MAX_STORE_METADATA];
	size_t cfg_len, smd_len;
	int cfg_calls, smd_calls, rsk_calls, prof_calls;
	uint8_t *prof;
	size_t prof_len, prof_cap;
	int order; /* 1 cfg, 2 smd, 3 rsk, 4 profile: must not go backwards */
	bool order_ok;
	int refuse_at; /* profile_data call number that returns ORSP_E_STORAGE, 0 = never */
} sink;

static void sink_init(sink *s)
{
	memset(s, 0, sizeof(*s));
	s->prof_cap = 64 * 1024;
	s->prof = malloc(s->prof_cap);
	assert_non_null(s->prof);
	s->order_ok = true;
}

static void sink_reset(sink *s)
{
	uint8_t *p = s->prof;
	size_t cap = s->prof_cap;
	memset(s, 0, sizeof(*s));
	s->prof = p;
	s->prof_cap = cap;
	s->order_ok = true;
}

static void sink_free(sink *s)
{
	free(s->prof);
}

static void step_to(sink *s, int o)
{
	if (o < s->order)
		s->order_ok = false;
	s->order = o;
}

static orsp_err on_cfg(void *arg, orsp_slice d)
{
	sink *s = arg;
	step_to(s, 1);
	if (d.len > sizeof(s->cfg))
		return ORSP_E_RESOURCE;
	memcpy(s->cfg, d.p, d.len);
	s->cfg_len = d.len;
	s->cfg_calls++;
	return ORSP_OK;
}

static orsp_err on_smd(void *arg, orsp_slice d)
{
	sink *s = arg;
	step_to(s, 2);
	if (d.len > sizeof(s->smd))
		return ORSP_E_RESOURCE;
	memcpy(s->smd, d.p, d.len);
	s->smd_len = d.len;
	s->smd_calls++;
	return ORSP_OK;
}

static orsp_err on_rsk(void *arg)
{
	sink *s = arg;
	step_to(s, 3);
	s->rsk_calls++;
	return ORSP_OK;
}

static orsp_err on_prof(void *arg, orsp_slice d)
{
	sink *s = arg;
	step_to(s, 4);
	s->prof_calls++;
	if (s->refuse_at && s->prof_calls == s->refuse_at)
		return orsp_errf(ORSP_E_STORAGE, "test: profile store full");
	if (d.len > s->prof_cap - s->prof_len)
		return ORSP_E_RESOURCE;
	memcpy(s->prof + s->prof_len, d.p, d.len);
	s->prof_len += d.len;
	return ORSP_OK;
}

typedef struct unwrap_opts {
	const orsp_ec_key *dppb;  /* NULL: the fixture's DPpb certificate key */
	const uint8_t *tid, *eid; /* NULL: the fixture's */
	size_t tid_len;           /* 0: 16 */
} unwrap_opts;

static orsp_bsp_unwrap *unwrap_new(const fx *f, sink *s, const unwrap_opts *o)
{
	orsp_bsp_unwrap_params p = {
	    .euicc_otsk = f->euicc_otsk,
	    .dppb = o && o->dppb ? o->dppb : f->dppb_pk,
	    .eid = o && o->eid ? o->eid : f->eid,
	    .transaction_id =
	        orsp_slice_make(o && o->tid ? o->tid : f->tid, o && o->tid_len ? o->tid_len : 16),
	    .cb = {s, on_cfg, on_smd, on_rsk, on_prof},
	};
	orsp_bsp_unwrap *u = NULL;
	assert_int_equal(orsp_bsp_unwrap_new(&p, &u), ORSP_OK);
	return u;
}

/* Feed bpp cut at the given offsets (ascending), then finish. The first error, or OK. */
static orsp_err unwrap_cuts(const fx *f, const uint8_t *bpp, size_t len, const size_t *cuts,
                            size_t ncuts, sink *s, const unwrap_opts *o, orsp_bsp_reason *reason,
                            orsp_bsp_step *step)
{
	orsp_bsp_unwrap *u = unwrap_new(f, s, o);
	size_t at = 0;
	orsp_err e = ORSP_OK;

	for (size_t i = 0; i <= ncuts && e == ORSP_OK; i++) {
		size_t end = i < ncuts ? cuts[i] : len;
		e = orsp_bsp_unwrap_feed(u, bpp + at, end - at);
		at = end;
	}
	if (e == ORSP_OK)
		e = orsp_bsp_unwrap_finish(u);
	orsp_bsp_step st = (orsp_bsp_step)-1;
	orsp_bsp_reason r = orsp_bsp_unwrap_reason(u, &st);
	if (reason)
		*reason = r;
	if (step)
		*step = st;
	if (e != ORSP_OK) {
		/* a failure is final */
		assert_int_equal(orsp_bsp_unwrap_feed(u, bpp, 1), ORSP_E_STATE);
		assert_int_equal(orsp_bsp_unwrap_finish(u), ORSP_E_STATE);
		assert_int_equal(orsp_bsp_unwrap_reason(u, NULL), r);
		assert_int_not_equal(r, ORSP_BSP_OK);
	} else {
		assert_int_equal(r, ORSP_BSP_OK);
	}
	orsp_bsp_unwrap_free(u);
	return e;
}

static orsp_err unwrap_all(const fx *f, const uint8_t *bpp, size_t len, sink *s,
                           orsp_bsp_reason *reason, orsp_bsp_step *step)
{
	return unwrap_cuts(f, bpp, len, NULL, 0, s, NULL, reason, step);
}

static void check_sink(const fx *f, const sink *s, bool rsk)
{
	assert_true(s->order_ok);
	assert_int_equal(s->cfg_calls, 1);
	assert_int_equal(s->cfg_len, f->cfg_len);
	assert_bytes_equal(s->cfg, f->cfg, f->cfg_len);
	assert_int_equal(s->smd_calls, 1);
	assert_int_equal(s->smd_len, f->smd_len);
	assert_bytes_equal(s->smd, f->smd, f->smd_len);
	assert_int_equal(s->rsk_calls, rsk ? 1 : 0);
	assert_int_equal(s->prof_calls, (int)((f->upp_len + ORSP_BSP_MAX_ENC_PAYLOAD - 1) /
	                                      ORSP_BSP_MAX_ENC_PAYLOAD));
	assert_int_equal(s->prof_len, f->upp_len);
	assert_bytes_equal(s->prof, f->upp, f->upp_len);
}

static void expect_fail(const fx *f, const uint8_t *bpp, size_t len, sink *s, orsp_err want_e,
                        orsp_bsp_reason want_r, orsp_bsp_step want_step)
{
	orsp_bsp_reason r;
	orsp_bsp_step st;
	orsp_err e = unwrap_all(f, bpp, len, s, &r, &st);
	if (e != want_e || r != want_r || st != want_step)
		fail_msg("got %s / %s / step %d, want %s / %s / step %d (%s)", orsp_err_str(e),
		         orsp_bsp_reason_str(r), (int)st, orsp_err_str(want_e),
		         orsp_bsp_reason_str(want_r), (int)want_step, orsp_err_detail());
	assert_true(s->order_ok);
}

/* ---------------------------------------------------------------- BPP parts ------------- */

#define MAX_EL 64

/* The parts of a BPP as raw TLVs (borrowed from the buffer). seq[i] is A0+i. */
typedef struct parts {
	orsp_slice bf36_hdr, iscr;
	bool has[4];
	orsp_slice el[4][MAX_EL];
	size_t n[4];
} parts;

static void split(const uint8_t *bpp, size_t len, parts *p)
{
	orsp_tlv bf36, t, e;
	orsp_reader r, s;

	memset(p, 0, sizeof(*p));
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(bpp, len), &bf36), ORSP_OK);
	assert_int_equal(bf36.tag, 0xBF36);
	p->bf36_hdr = orsp_slice_make(bpp, (size_t)(bf36.value.p - bpp));
	orsp_reader_init(&r, bf36.value.p, bf36.value.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &t), ORSP_OK);
	p->iscr = t.raw;
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &t), ORSP_OK);
		assert_true(t.tag >= 0xA0 && t.tag <= 0xA3);
		int i = (int)(t.tag - 0xA0);
		p->has[i] = true;
		orsp_reader_init(&s, t.value.p, t.value.len);
		while (orsp_reader_remaining(&s)) {
			assert_int_equal(orsp_der_read(&s, &e), ORSP_OK);
			assert_true(p->n[i] < MAX_EL);
			p->el[i][p->n[i]++] = e.raw;
		}
	}
}

/* BF36 { BF23, then the sequences in `order` (indexes 0..3, those with has[]) }. */
static size_t assemble(const parts *p, const int *order, size_t norder, uint8_t *out, size_t cap)
{
	static const int def[] = {0, 1, 2, 3};
	orsp_writer w;
	if (!order) {
		order = def;
		norder = 4;
	}
	orsp_writer_init(&w, out, cap);
	orsp_der_mark m = orsp_der_begin(&w, 0xBF36);
	orsp_write_bytes(&w, p->iscr.p, p->iscr.len);
	for (size_t k = 0; k < norder; k++) {
		int i = order[k];
		if (!p->has[i])
			continue;
		orsp_der_mark ms = orsp_der_begin(&w, 0xA0 + (uint32_t)i);
		for (size_t j = 0; j < p->n[i]; j++)
			orsp_write_bytes(&w, p->el[i][j].p, p->el[i][j].len);
		orsp_der_end(&w, ms);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return w.len;
}

/* ---------------------------------------------------------------- independent checks ---- */

static void icv_for(const uint8_t enc[16], uint64_t counter, uint8_t icv[16])
{
	memset(icv, 0, 16);
	for (int i = 0; i < 8; i++)
		icv[15 - i] = (uint8_t)(counter >> (8 * i));
	orsp_aes_ecb *a = orsp_aes_ecb_new(enc, 16);
	assert_non_null(a);
	assert_int_equal(orsp_aes_ecb_encrypt(a, icv, icv, 1), ORSP_OK);
	orsp_aes_ecb_free(a);
}

/* C-MAC of one received segment from the §2.6.4.5 text; advances mcv. */
static bool hand_mac_ok(const uint8_t mac[16], uint8_t mcv[16], orsp_slice seg)
{
	uint8_t buf[16 + 1100], cm[16];
	assert_true(seg.len >= 8 && seg.len - 8 <= 1100);
	memcpy(buf, mcv, 16);
	memcpy(buf + 16, seg.p, seg.len - 8);
	assert_int_equal(orsp_aes_cmac(mac, 16, buf, 16 + seg.len - 8, cm), ORSP_OK);
	memcpy(mcv, cm, 16);
	return memcmp(cm, seg.p + seg.len - 8, 8) == 0;
}

/* Decrypt an encrypted segment by hand (counter given); returns plaintext length. */
static size_t hand_decrypt(const uint8_t enc[16], uint64_t counter, orsp_slice seg, uint8_t *out)
{
	orsp_tlv t;
	uint8_t icv[16];
	assert_int_equal(orsp_der_parse_one(seg, &t), ORSP_OK);
	size_t dl = t.value.len - 8;
	icv_for(enc, counter, icv);
	assert_int_equal(orsp_aes_cbc_decrypt(enc, 16, icv, t.value.p, dl, out), ORSP_OK);
	size_t i = dl;
	while (i > 0 && out[i - 1] == 0)
		i--;
	assert_true(i > 0 && out[i - 1] == 0x80 && dl - i < 16);
	return i - 1;
}

/* A segment built by hand (for the wrong-counter cases). */
static size_t hand_segment(const uint8_t enc[16], const uint8_t mac[16], uint8_t mcv[16],
                           uint64_t counter, uint8_t tag, const uint8_t *data, size_t n,
                           uint8_t *out)
{
	uint8_t buf[16 + 4 + 1100], icv[16], cm[16];
	size_t dl = (n / 16 + 1) * 16, vl = dl + 8, hl;
	assert_true(dl <= 1000);
	uint8_t *d = buf + 20;
	memcpy(d, data, n);
	d[n] = 0x80;
	memset(d + n + 1, 0, dl - n - 1);
	icv_for(enc, counter, icv);
	assert_int_equal(orsp_aes_cbc_encrypt(enc, 16, icv, d, dl, d), ORSP_OK);
	if (vl < 0x80) {
		hl = 2;
		d[-1] = (uint8_t)vl;
	} else if (vl < 0x100) {
		hl = 3;
		d[-2] = 0x81;
		d[-1] = (uint8_t)vl;
	} else {
		hl = 4;
		d[-3] = 0x82;
		d[-2] = (uint8_t)(vl >> 8);
		d[-1] = (uint8_t)vl;
	}
	d[-(int)hl] = tag;
	memcpy(d - hl - 16, mcv, 16);
	assert_int_equal(orsp_aes_cmac(mac, 16, d - hl - 16, 16 + hl + dl, cm), ORSP_OK);
	memcpy(mcv, cm, 16);
	memcpy(out, d - hl, hl + dl);
	memcpy(out + hl + dl, cm, 8);
	return hl + dl + 8;
}

/* The session keys the eUICC side derives, computed here from the BF23 of p. */
static void session_keys(const fx *f, const parts *p, orsp_bsp_keys *k)
{
	orsp_tlv bf23, x;
	orsp_reader r;
	uint8_t ss[32];
	assert_int_equal(orsp_der_parse_one(p->iscr, &bf23), ORSP_OK);
	orsp_reader_init(&r, bf23.value.p, bf23.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x82, &x), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x80, &x), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0xA6, &x), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F49, &x), ORSP_OK);
	assert_int_equal(orsp_ecka(f->euicc_otsk, x.value.p, x.value.len, ss), ORSP_OK);
	assert_int_equal(orsp_bsp_derive_keys(ss, 32, 0x88, 16, f->hid, sizeof(f->hid), f->eid, k),
	                 ORSP_OK);
	orsp_wipe(ss, sizeof(ss));
}

/* The built package, read without the unwrap: structure, smdpSign, every C-MAC, the block
 * counter across '88', the segment sizes, the plaintexts of A0 and A2. */
static void check_built(const fx *f, const uint8_t *bpp, size_t len, bool rsk)
{
	parts p;
	orsp_tlv bf23, op, tid, crt, a, b, c, otpk, sign;
	orsp_reader r, cr;
	uint8_t tbs[512], point[65], plain[1100], mcv[16];
	orsp_bsp_keys k;
	orsp_writer w;
	uint64_t counter = 1;

	split(bpp, len, &p);
	assert_true(p.has[0] && p.has[1] && p.has[3]);
	assert_int_equal(p.has[2], rsk);

	/* BF23 fields in the order of §5.5.1 */
	assert_int_equal(orsp_der_parse_one(p.iscr, &bf23), ORSP_OK);
	orsp_reader_init(&r, bf23.value.p, bf23.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x82, &op), ORSP_OK);
	assert_int_equal(op.value.len, 1);
	assert_int_equal(op.value.p[0], 1);
	assert_int_equal(orsp_der_expect(&r, 0x80, &tid), ORSP_OK);
	assert_int_equal(tid.value.len, 16);
	assert_bytes_equal(tid.value.p, f->tid, 16);
	assert_int_equal(orsp_der_expect(&r, 0xA6, &crt), ORSP_OK);
	orsp_reader_init(&cr, crt.value.p, crt.value.len);
	assert_int_equal(orsp_der_expect(&cr, 0x80, &a), ORSP_OK);
	assert_int_equal(orsp_der_expect(&cr, 0x81, &b), ORSP_OK);
	assert_int_equal(orsp_der_expect(&cr, 0x84, &c), ORSP_OK);
	assert_int_equal(orsp_reader_remaining(&cr), 0);
	assert_true(a.value.len == 1 && a.value.p[0] == 0x88);
	assert_true(b.value.len == 1 && b.value.p[0] == 0x10);
	assert_int_equal(c.value.len, sizeof(f->hid));
	assert_int_equal(orsp_der_expect(&r, 0x5F49, &otpk), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(f->smdp_otsk, point), ORSP_OK);
	assert_int_equal(otpk.value.len, 65);
	assert_bytes_equal(otpk.value.p, point, 65);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sign), ORSP_OK);
	assert_int_equal(sign.value.len, 64);
	assert_int_equal(orsp_reader_remaining(&r), 0);

	/* smdpSign over 82..5F49 as encoded, then 5F49 41 euiccOtpk */
	orsp_writer_init(&w, tbs, sizeof(tbs));
	orsp_write_bytes(&w, op.raw.p, (size_t)(sign.raw.p - op.raw.p));
	orsp_write_u8(&w, 0x5F);
	orsp_write_u8(&w, 0x49);
	orsp_write_u8(&w, 0x41);
	orsp_write_bytes(&w, f->euicc_otpk, 65);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(f->dppb_pk, tbs, w.len, sign.value.p), ORSP_OK);
	tbs[w.len - 1] ^= 1; /* another eUICC key: the signature no longer covers it */
	assert_int_equal(orsp_ecdsa_verify(f->dppb_pk, tbs, w.len, sign.value.p), ORSP_E_VERIFY);

	/* segments: one MAC chain and one counter over A0, A1, A2; A3 under PPKs if A2 */
	session_keys(f, &p, &k);
	memcpy(mcv, k.mcv.v, 16);
	static const uint8_t tags[4] = {0x87, 0x88, 0x87, 0x86};
	for (int i = 0; i < 4; i++) {
		if (!p.has[i])
			continue;
		if (i == 3 && rsk) {
			memcpy(mcv, f->ppk.mcv.v, 16);
			counter = 1;
		}
		const orsp_bsp_keys *kk = (i == 3 && rsk) ? &f->ppk : &k;
		for (size_t j = 0; j < p.n[i]; j++) {
			orsp_slice s = p.el[i][j];
			assert_int_equal(s.p[0], tags[i]);
			/* what we send: SGP.22's 1020 at most, whatever the unwrap accepts */
			assert_true(s.len <= 1020);
			assert_true(s.len <= ORSP_BSP_MAX_SEGMENT);
			if (j + 1 < p.n[i])
				assert_int_equal(s.len, ORSP_BSP_MAX_SEGMENT); /* filled */
			assert_true(hand_mac_ok(kk->mac.v, mcv, s));
			if (i == 0) {
				size_t n = hand_decrypt(kk->enc.v, counter, s, plain);
				assert_int_equal(n, f->cfg_len);
				assert_bytes_equal(plain, f->cfg, n);
			} else if (i == 2) {
				size_t n = hand_decrypt(kk->enc.v, counter, s, plain);
				assert_int_equal(n, 3 + 3 * 18);
				assert_int_equal(plain[0], 0xBF);
				assert_int_equal(plain[1], 0x26);
				assert_bytes_equal(plain + 5, f->ppk.mcv.v, 16);
				assert_bytes_equal(plain + 23, f->ppk.enc.v, 16);
				assert_bytes_equal(plain + 41, f->ppk.mac.v, 16);
			} else if (i == 3 && j == 0) {
				size_t n = hand_decrypt(kk->enc.v, counter, s, plain);
				assert_int_equal(n, ORSP_BSP_MAX_ENC_PAYLOAD);
				assert_bytes_equal(plain, f->upp, n);
			}
			counter++;
		}
	}
	if (rsk) {
		/* A3 is the PPP exactly as built before binding */
		size_t off = 0;
		for (size_t j = 0; j < p.n[3]; j++) {
			assert_bytes_equal(p.el[3][j].p, f->ppp + off, p.el[3][j].len);
			off += p.el[3][j].len;
		}
		assert_int_equal(off, f->ppp_len);
	}
	orsp_bsp_keys_wipe(&k);
}

/* ---------------------------------------------------------------- round trips ----------- */

static void round_trip(orsp_curve curve, bool rsk)
{
	fx *f = fx_new(curve);
	sink s;
	size_t len;
	uint8_t *bpp = build(f, rsk, &len);

	check_built(f, bpp, len, rsk);
	sink_init(&s);
	assert_int_equal(unwrap_all(f, bpp, len, &s, NULL, NULL), ORSP_OK);
	check_sink(f, &s, rsk);

	/* one byte at a time */
	size_t *cuts = malloc(len * sizeof(size_t));
	assert_non_null(cuts);
	for (size_t i = 0; i + 1 < len; i++)
		cuts[i] = i + 1;
	sink_reset(&s);
	assert_int_equal(unwrap_cuts(f, bpp, len, cuts, len - 1, &s, NULL, NULL, NULL), ORSP_OK);
	check_sink(f, &s, rsk);

	/* the segments of §2.5.5, as an LPA sends them: BF36+BF23 header, A0 header with the
	 * first '87', further '87's, A1 header, each '88', A2 header with its first '87', A3
	 * header, each '86' */
	parts p;
	size_t nc = 0;
	split(bpp, len, &p);
	cuts[nc++] = (size_t)(p.iscr.p + p.iscr.len - bpp);
	for (int i = 0; i < 4; i++) {
		if (!p.has[i])
			continue;
		bool header_alone = i == 1 || i == 3;
		if (header_alone)
			cuts[nc++] = (size_t)(p.el[i][0].p - bpp);
		for (size_t j = 0; j < p.n[i]; j++)
			cuts[nc++] = (size_t)(p.el[i][j].p + p.el[i][j].len - bpp);
	}
	assert_int_equal(cuts[nc - 1], len);
	nc--;
	sink_reset(&s);
	assert_int_equal(unwrap_cuts(f, bpp, len, cuts, nc, &s, NULL, NULL, NULL), ORSP_OK);
	check_sink(f, &s, rsk);

	free(cuts);
	sink_free(&s);
	free(bpp);
	fx_free(f);
}

/* A rebuild with the same one-time key and the first build's smdpSign gives the same bytes
 * (the SM-DP+'s answer to a getBoundProfilePackage retry); without it only smdpSign differs. */
static void test_rebuild_same_bytes(void **state)
{
	(void)state;
	for (int curve = 0; curve < 2; curve++) {
		fx *f = fx_new(curve ? ORSP_CURVE_BRAINPOOLP256R1 : ORSP_CURVE_P256);
		orsp_bsp_bpp_params p = params(f, false);
		uint8_t sig[ORSP_EC_SIG_LEN], sig2[ORSP_EC_SIG_LEN];
		size_t n1 = 0, n2 = 0, n3 = 0, diff = 0;
		p.smdp_sign_out = sig;
		uint8_t *a = build_p(&p, &n1);
		p.smdp_sign = sig;
		p.smdp_sign_out = sig2;
		uint8_t *b = build_p(&p, &n2);
		assert_int_equal(n1, n2);
		assert_memory_equal(a, b, n1);
		assert_memory_equal(sig, sig2, sizeof(sig));
		p.smdp_sign = NULL;
		p.smdp_sign_out = NULL;
		uint8_t *c = build_p(&p, &n3);
		assert_int_equal(n1, n3);
		for (size_t i = 0; i < n1; i++)
			diff += a[i] != c[i];
		assert_true(diff > 0 && diff <= ORSP_EC_SIG_LEN);
		free(a);
		free(b);
		free(c);
		fx_free(f);
	}
}

static void test_round_trip_p256(void **state)
{
	(void)state;
	round_trip(ORSP_CURVE_P256, false);
}

static void test_round_trip_p256_rsk(void **state)
{
	(void)state;
	round_trip(ORSP_CURVE_P256, true);
}

static void test_round_trip_brainpool(void **state)
{
	(void)state;
	round_trip(ORSP_CURVE_BRAINPOOLP256R1, false);
}

static void test_round_trip_brainpool_rsk(void **state)
{
	(void)state;
	round_trip(ORSP_CURVE_BRAINPOOLP256R1, true);
}

/* Two chunks, cut at every stride-th offset 0..len (stride 1: every offset): the same
 * verified output every time. */
static void split_everywhere(orsp_curve curve, bool rsk, size_t stride)
{
	fx *f = fx_new(curve);
	sink s;
	size_t len;
	uint8_t *bpp = build(f, rsk, &len);

	sink_init(&s);
	for (size_t k = 0; k <= len; k += stride) {
		sink_reset(&s);
		if (unwrap_cuts(f, bpp, len, &k, 1, &s, NULL, NULL, NULL) != ORSP_OK)
			fail_msg("split at %zu: %s", k, orsp_err_detail());
		check_sink(f, &s, rsk);
	}
	sink_free(&s);
	free(bpp);
	fx_free(f);
}

/* Every offset with ReplaceSessionKeys: every state of the unwrap sees a cut at each of
 * its bytes. The curve does not change the state machine, and brainpoolP256r1 ECDSA/ECKA
 * cost ~2 ms per unwrap in OpenSSL, so that curve is cut at every 7th offset. */
static void test_split_everywhere_p256_rsk(void **state)
{
	(void)state;
	split_everywhere(ORSP_CURVE_P256, true, 1);
}

static void test_split_every_7th_brainpool(void **state)
{
	(void)state;
	split_everywhere(ORSP_CURVE_BRAINPOOLP256R1, false, 7);
}

/* ---------------------------------------------------------------- rejections ------------ */

typedef struct neg {
	fx *f;
	sink s;
	uint8_t *bpp, *buf;
	size_t len, cap;
	parts p;
} neg;

static void neg_setup(neg *n, orsp_curve curve, bool rsk)
{
	n->f = fx_new(curve);
	sink_init(&n->s);
	n->bpp = build(n->f, rsk, &n->len);
	n->cap = n->len + 8192;
	n->buf = malloc(n->cap);
	assert_non_null(n->buf);
	split(n->bpp, n->len, &n->p);
}

static void neg_teardown(neg *n)
{
	sink_free(&n->s);
	free(n->bpp);
	free(n->buf);
	fx_free(n->f);
}

static size_t off_of(const neg *n, const uint8_t *p)
{
	return (size_t)(p - n->bpp);
}

static void test_reject_flipped_mac(void **state)
{
	(void)state;
	neg n;
	neg_setup(&n, ORSP_CURVE_P256, false);
	/* the last MAC byte of the second '86' */
	orsp_slice s = n.p.el[3][1];
	memcpy(n.buf, n.bpp, n.len);
	n.buf[off_of(&n, s.p) + s.len - 1] ^= 0x01;
	expect_fail(n.f, n.buf, n.len, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_MAC,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	assert_int_equal(n.s.prof_calls, 1); /* only the verified first segment */
	assert_bytes_equal(n.s.prof, n.f->upp, n.s.prof_len);

	/* a ciphertext bit of the ConfigureISDP segment: nothing is delivered */
	sink_reset(&n.s);
	memcpy(n.buf, n.bpp, n.len);
	n.buf[off_of(&n, n.p.el[0][0].p) + 3] ^= 0x80;
	expect_fail(n.f, n.buf, n.len, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_MAC,
	            ORSP_BSP_STEP_CONFIGURE_ISDP);
	assert_int_equal(n.s.cfg_calls + n.s.smd_calls + n.s.prof_calls, 0);

	/* a StoreMetadata byte ('88' is not encrypted, only MACed) */
	sink_reset(&n.s);
	memcpy(n.buf, n.bpp, n.len);
	n.buf[off_of(&n, n.p.el[1][0].p) + 5] ^= 0x20;
	expect_fail(n.f, n.buf, n.len, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_MAC,
	            ORSP_BSP_STEP_STORE_METADATA);
	assert_int_equal(n.s.cfg_calls, 1);
	assert_int_equal(n.s.smd_calls, 0);
	neg_teardown(&n);
}

static void test_reject_swapped_duplicated_dropped(void **state)
{
	(void)state;
	neg n;
	size_t l;
	neg_setup(&n, ORSP_CURVE_P256, true);
	assert_true(n.p.n[3] >= 3);

	/* swap the first two '86' (both 1020 bytes, so every length still fits) */
	parts q = n.p;
	q.el[3][0] = n.p.el[3][1];
	q.el[3][1] = n.p.el[3][0];
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	assert_int_equal(l, n.len);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_MAC,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	assert_int_equal(n.s.prof_calls, 0);
	assert_int_equal(n.s.rsk_calls, 1);

	/* duplicate the first '86' */
	q = n.p;
	memmove(&q.el[3][1], &q.el[3][0], q.n[3] * sizeof(orsp_slice));
	q.n[3]++;
	sink_reset(&n.s);
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_MAC,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	assert_int_equal(n.s.prof_calls, 1);

	/* drop a middle '86', lengths made consistent */
	q = n.p;
	memmove(&q.el[3][1], &q.el[3][2], (q.n[3] - 2) * sizeof(orsp_slice));
	q.n[3]--;
	sink_reset(&n.s);
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_MAC,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);

	/* drop the last '86' from the byte stream: the BPP is incomplete */
	orsp_slice last = n.p.el[3][n.p.n[3] - 1];
	sink_reset(&n.s);
	expect_fail(n.f, n.bpp, n.len - last.len, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	assert_int_equal(n.s.prof_calls, (int)n.p.n[3] - 1);

	/* swap the two '87' sequences' roles: ReplaceSessionKeys' segment placed in A0 */
	q = n.p;
	q.el[0][0] = n.p.el[2][0];
	q.el[2][0] = n.p.el[0][0];
	sink_reset(&n.s);
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_MAC,
	            ORSP_BSP_STEP_CONFIGURE_ISDP);
	neg_teardown(&n);
}

/* Cut off inside every kind of part: finish() reports the part being read. */
static void test_reject_truncated(void **state)
{
	(void)state;
	neg n;
	neg_setup(&n, ORSP_CURVE_P256, true);
	const struct {
		size_t at;
		orsp_bsp_step step;
		int prof_calls;
	} cases[] = {
	    {0, ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL, 0},
	    {1, ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL, 0},
	    {off_of(&n, n.p.iscr.p) + 10, ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL, 0},
	    {off_of(&n, n.p.el[0][0].p) + 1, ORSP_BSP_STEP_CONFIGURE_ISDP, 0},
	    {off_of(&n, n.p.el[1][0].p) + 7, ORSP_BSP_STEP_STORE_METADATA, 0},
	    {off_of(&n, n.p.el[2][0].p) + 30, ORSP_BSP_STEP_REPLACE_SESSION_KEYS, 0},
	    {off_of(&n, n.p.el[3][0].p), ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS, 0},
	    {off_of(&n, n.p.el[3][2].p) + 2, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS, 2},
	    {n.len - 1, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS, (int)n.p.n[3] - 1},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		sink_reset(&n.s);
		expect_fail(n.f, n.bpp, cases[i].at, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
		            cases[i].step);
		assert_int_equal(n.s.prof_calls, cases[i].prof_calls);
	}
	neg_teardown(&n);
}

static void test_reject_bad_signature(void **state)
{
	(void)state;
	neg n;
	neg_setup(&n, ORSP_CURVE_BRAINPOOLP256R1, false);

	/* one bit of smdpSign */
	memcpy(n.buf, n.bpp, n.len);
	n.buf[off_of(&n, n.p.iscr.p) + n.p.iscr.len - 10] ^= 0x04;
	expect_fail(n.f, n.buf, n.len, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_SIGNATURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
	assert_int_equal(n.s.cfg_calls + n.s.smd_calls + n.s.prof_calls, 0);

	/* one bit of the signed hostId */
	sink_reset(&n.s);
	memcpy(n.buf, n.bpp, n.len);
	const uint8_t *h = memchr(n.p.iscr.p, 0x84, n.p.iscr.len);
	assert_non_null(h);
	n.buf[off_of(&n, h) + 3] ^= 0x01;
	expect_fail(n.f, n.buf, n.len, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_SIGNATURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);

	/* verified with another SM-DP+'s DPpb key */
	sink_reset(&n.s);
	unwrap_opts o = {.dppb = n.f->dp2pb_pk};
	orsp_bsp_reason r;
	orsp_bsp_step st;
	assert_int_equal(unwrap_cuts(n.f, n.bpp, n.len, NULL, 0, &n.s, &o, &r, &st), ORSP_E_VERIFY);
	assert_int_equal(r, ORSP_BSP_R_SIGNATURE);

	/* signed with the DPauth key instead of DPpb */
	orsp_bsp_bpp_params p = params(n.f, false);
	p.dppb = n.f->dpauth_sk;
	size_t l;
	uint8_t *b = build_p(&p, &l);
	sink_reset(&n.s);
	expect_fail(n.f, b, l, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_SIGNATURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
	free(b);

	/* a package bound to another eUICC's one-time key */
	orsp_ec_key *other = NULL;
	uint8_t other_pk[65];
	assert_int_equal(orsp_ec_generate(n.f->curve, &other), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(other, other_pk), ORSP_OK);
	p = params(n.f, false);
	p.euicc_otpk = orsp_slice_make(other_pk, 65);
	b = build_p(&p, &l);
	sink_reset(&n.s);
	expect_fail(n.f, b, l, &n.s, ORSP_E_VERIFY, ORSP_BSP_R_SIGNATURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
	free(b);
	orsp_ec_free(other);
	neg_teardown(&n);
}

/* Session mismatch: transactionId and EID. */
static void test_reject_session_mismatch(void **state)
{
	(void)state;
	neg n;
	uint8_t other[16];
	orsp_bsp_reason r;
	orsp_bsp_step st;
	neg_setup(&n, ORSP_CURVE_P256, false);

	memcpy(other, n.f->tid, 16);
	other[0] ^= 1;
	unwrap_opts o = {.tid = other};
	assert_int_equal(unwrap_cuts(n.f, n.bpp, n.len, NULL, 0, &n.s, &o, &r, &st), ORSP_E_POLICY);
	assert_int_equal(r, ORSP_BSP_R_TRANSACTION_ID);
	assert_int_equal(st, ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);

	/* another EID: other session keys, the first C-MAC fails */
	memcpy(other, n.f->eid, 16);
	other[15] ^= 1;
	unwrap_opts o2 = {.eid = other};
	sink_reset(&n.s);
	assert_int_equal(unwrap_cuts(n.f, n.bpp, n.len, NULL, 0, &n.s, &o2, &r, &st),
	                 ORSP_E_VERIFY);
	assert_int_equal(r, ORSP_BSP_R_MAC);
	assert_int_equal(st, ORSP_BSP_STEP_CONFIGURE_ISDP);
	neg_teardown(&n);
}

/* The fields of a BF23 built here, as their content octets; a slice with p == NULL is the
 * normal value (remoteOpId 1, the fixture's transactionId and hostId, keyType 88, keyLen 10,
 * the SM-DP+'s one-time key). crt_extra is appended inside A6; sign_adjust adds that many
 * zero bytes to smdpSign's value (or, negative, drops its last bytes). */
typedef struct iscr_fields {
	orsp_slice op, tid, ktype, klen, hid, crt_extra, otpk;
	int sign_adjust;
} iscr_fields;

static orsp_slice or_default(orsp_slice v, const void *p, size_t n)
{
	return v.p ? v : orsp_slice_make(p, n);
}

/* A BF23 built here from x and signed with the DPpb key over its fields as encoded. */
static size_t make_iscr_fields(const fx *f, const iscr_fields *x, uint8_t *out, size_t cap)
{
	static const uint8_t op1 = 1, aes = 0x88, k16 = 0x10;
	uint8_t fields[300], tbs[400], sig[64 + 4] = {0}, pt[65];
	orsp_slice v;
	orsp_writer w, t, o;
	assert_int_equal(orsp_ec_public_point(f->smdp_otsk, pt), ORSP_OK);
	orsp_writer_init(&w, fields, sizeof(fields));
	v = or_default(x->op, &op1, 1);
	orsp_der_put_tlv(&w, 0x82, v.p, v.len);
	v = or_default(x->tid, f->tid, 16);
	orsp_der_put_tlv(&w, 0x80, v.p, v.len);
	orsp_der_mark m = orsp_der_begin(&w, 0xA6);
	v = or_default(x->ktype, &aes, 1);
	orsp_der_put_tlv(&w, 0x80, v.p, v.len);
	v = or_default(x->klen, &k16, 1);
	orsp_der_put_tlv(&w, 0x81, v.p, v.len);
	v = or_default(x->hid, f->hid, sizeof(f->hid));
	orsp_der_put_tlv(&w, 0x84, v.p, v.len);
	if (x->crt_extra.p)
		orsp_write_bytes(&w, x->crt_extra.p, x->crt_extra.len);
	orsp_der_end(&w, m);
	v = or_default(x->otpk, pt, 65);
	orsp_der_put_tlv(&w, 0x5F49, v.p, v.len);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	orsp_writer_init(&t, tbs, sizeof(tbs));
	orsp_write_bytes(&t, fields, w.len);
	orsp_der_put_tlv(&t, 0x5F49, f->euicc_otpk, 65);
	assert_int_equal(orsp_writer_status(&t), ORSP_OK);
	assert_int_equal(orsp_ecdsa_sign(f->dppb_sk, tbs, t.len, sig), ORSP_OK);
	assert_true(x->sign_adjust > -64 && x->sign_adjust <= 4);
	orsp_writer_init(&o, out, cap);
	m = orsp_der_begin(&o, 0xBF23);
	orsp_write_bytes(&o, fields, w.len);
	orsp_der_put_tlv(&o, 0x5F37, sig, (size_t)(64 + x->sign_adjust));
	orsp_der_end(&o, m);
	assert_int_equal(orsp_writer_status(&o), ORSP_OK);
	return o.len;
}

/* The package with the BF23 made from x, unwrapped under o: the result wanted, found at
 * InitialiseSecureChannel (before anything is delivered) unless it is ORSP_OK. */
static void expect_iscr(neg *n, const iscr_fields *x, const unwrap_opts *o, orsp_err want_e,
                        orsp_bsp_reason want_r)
{
	uint8_t iscr[400];
	parts q = n->p;
	orsp_bsp_reason r;
	orsp_bsp_step st;
	orsp_err e;

	q.iscr = orsp_slice_make(iscr, make_iscr_fields(n->f, x, iscr, sizeof(iscr)));
	size_t l = assemble(&q, NULL, 0, n->buf, n->cap);
	sink_reset(&n->s);
	e = unwrap_cuts(n->f, n->buf, l, NULL, 0, &n->s, o, &r, &st);
	if (e != want_e || r != want_r)
		fail_msg("got %s / %s, want %s / %s (%s)", orsp_err_str(e), orsp_bsp_reason_str(r),
		         orsp_err_str(want_e), orsp_bsp_reason_str(want_r), orsp_err_detail());
	assert_true(n->s.order_ok);
	if (want_e == ORSP_OK) {
		check_sink(n->f, &n->s, false);
	} else {
		assert_int_equal(st, ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
		assert_int_equal(n->s.cfg_calls, 0);
	}
}

static void test_reject_iscr_values(void **state)
{
	(void)state;
	neg n;
	uint8_t pt[65], bad[65], longer[66], tid17[17];
	size_t l;
	parts q;
	neg_setup(&n, ORSP_CURVE_P256, false);
	assert_int_equal(orsp_ec_public_point(n.f->smdp_otsk, pt), ORSP_OK);
	memcpy(bad, pt, 65);
	bad[64] ^= 1; /* (x, y+-1) is not on the curve */
	memcpy(longer, pt, 65);
	longer[65] = 0;
	memcpy(tid17, n.f->tid, 16);
	tid17[16] = 0;
#define V(...)                                                                                     \
	orsp_slice_make((const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))
#define EMPTY orsp_slice_make(pt, 0)

	/* control: a BF23 made here with the normal values is accepted */
	expect_iscr(&n, &(iscr_fields){0}, NULL, ORSP_OK, ORSP_BSP_OK);

	const struct {
		iscr_fields x;
		orsp_err e;
		orsp_bsp_reason r;
	} cases[] = {
	    {{.op = V(2)}, ORSP_E_POLICY, ORSP_BSP_R_REMOTE_OP},
	    {{.ktype = V(0x80)}, ORSP_E_POLICY, ORSP_BSP_R_CRT},
	    {{.klen = V(0x20)}, ORSP_E_POLICY, ORSP_BSP_R_CRT},
	    {{.otpk = orsp_slice_make(bad, 65)}, ORSP_E_MALFORMED, ORSP_BSP_R_KEY_AGREEMENT},
	    /* remoteOpId 1 in two octets: not DER */
	    {{.op = V(0x00, 0x01)}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    /* every field of a wrong size; each is signed, so only the size check refuses it
	     * (without it: accepted, or refused later for another reason) */
	    {{.ktype = EMPTY}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.ktype = V(0x88, 0x00)}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.klen = EMPTY}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.klen = V(0x10, 0x00)}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.hid = EMPTY}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.hid = orsp_slice_make(tid17, 17)}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.tid = EMPTY}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.tid = orsp_slice_make(tid17, 17)}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.otpk = orsp_slice_make(pt, 64)}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.otpk = orsp_slice_make(longer, 66)}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.sign_adjust = 1}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE}, /* r||s, then 00 */
	    {{.sign_adjust = -1}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    /* a field in controlRefTemplate after hostId: a later version's is skipped (the
	     * rsp module is EXTENSIBILITY IMPLIED), hostId again or keyType after one is not */
	    {{.crt_extra = V(0x85, 0x00)}, ORSP_OK, ORSP_BSP_OK},
	    {{.crt_extra = V(0xA5, 0x03, 0x04, 0x01, 0xAA)}, ORSP_OK, ORSP_BSP_OK},
	    {{.crt_extra = V(0x84, 0x01, 0x00)}, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE},
	    {{.crt_extra = V(0x85, 0x00, 0x80, 0x01, 0x88)},
	     ORSP_E_MALFORMED,
	     ORSP_BSP_R_STRUCTURE},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++)
		expect_iscr(&n, &cases[i].x, NULL, cases[i].e, cases[i].r);

	/* A session whose transactionId is 8 bytes: a BF23 with those 8 is accepted, one with
	 * 9 that start with them is not. */
	unwrap_opts o8 = {.tid_len = 8};
	expect_iscr(&n, &(iscr_fields){.tid = orsp_slice_make(n.f->tid, 8)}, &o8, ORSP_OK,
	            ORSP_BSP_OK);
	expect_iscr(&n, &(iscr_fields){.tid = orsp_slice_make(n.f->tid, 9)}, &o8, ORSP_E_POLICY,
	            ORSP_BSP_R_TRANSACTION_ID);
#undef V
#undef EMPTY

	/* structure: a field missing, an extra field, a BF23 over the 512-byte bound */
	static const uint8_t short_iscr[] = {0xBF, 0x23, 0x03, 0x82, 0x01, 0x01};
	q = n.p;
	q.iscr = orsp_slice_make(short_iscr, sizeof(short_iscr));
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	sink_reset(&n.s);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);

	uint8_t big[700];
	orsp_writer w;
	orsp_tlv it;
	assert_int_equal(orsp_der_parse_one(n.p.iscr, &it), ORSP_OK);
	orsp_writer_init(&w, big, sizeof(big));
	orsp_der_mark m = orsp_der_begin(&w, 0xBF23);
	orsp_write_bytes(&w, it.value.p, it.value.len);
	orsp_der_put_header(&w, 0x04, 500);
	for (int i = 0; i < 500; i++)
		orsp_write_u8(&w, 0);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	q = n.p;
	q.iscr = orsp_slice_make(big, w.len);
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	sink_reset(&n.s);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_LIMIT,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);

	/* a field after smdpSign (a 10-byte OCTET STRING, within the bound): a later version's,
	 * skipped (the rsp module is EXTENSIBILITY IMPLIED); smdpSign or transactionId again,
	 * or one cut short, is refused */
	{
		static const struct {
			const char *hex;
			bool ok;
		} after[] = {
		    {"040A30313233343536373839", true},
		    {"A5020500", true},
		    {"A0020500", false}, /* [0]: transactionId's tag, in the other form */
		    {"5F3700", false},
		    {"800100", false},
		    {"04050102", false},
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(after); i++) {
			uint8_t x[16];
			size_t xn = 0;
			orsp_bsp_reason r;
			orsp_bsp_step st;
			assert_int_equal(orsp_hex_decode(after[i].hex, x, sizeof(x), &xn), ORSP_OK);
			orsp_writer_init(&w, big, sizeof(big));
			m = orsp_der_begin(&w, 0xBF23);
			orsp_write_bytes(&w, it.value.p, it.value.len);
			orsp_write_bytes(&w, x, xn);
			orsp_der_end(&w, m);
			assert_int_equal(orsp_writer_status(&w), ORSP_OK);
			q = n.p;
			q.iscr = orsp_slice_make(big, w.len);
			l = assemble(&q, NULL, 0, n.buf, n.cap);
			sink_reset(&n.s);
			if (after[i].ok) {
				assert_int_equal(
				    unwrap_cuts(n.f, n.buf, l, NULL, 0, &n.s, NULL, &r, &st),
				    ORSP_OK);
				check_sink(n.f, &n.s, false);
			} else
				expect_fail(n.f, n.buf, l, &n.s, ORSP_E_MALFORMED,
				            ORSP_BSP_R_STRUCTURE,
				            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
		}
	}
	neg_teardown(&n);
}

/* n's package (built with ReplaceSessionKeys) with its session-key part protected again by
 * a context that makes segments of up to 2048 bytes: A0 and A2 carry what they carried, A1
 * carries smd in two '88' segments, the first of `first` bytes. Every C-MAC verifies. */
static size_t with_88(neg *n, const uint8_t *smd, size_t smd_len, size_t first, uint8_t *segs,
                      size_t cap)
{
	orsp_bsp_keys k;
	orsp_bsp_ctx *c = NULL;
	orsp_writer w;
	parts q = n->p;
	uint8_t rsk[80];
	size_t at, rl;

	session_keys(n->f, &n->p, &k);
	rl = hand_decrypt(k.enc.v, 3, n->p.el[2][0], rsk); /* after one '87' and one '88' */
	assert_int_equal(orsp_bsp_ctx_new(&k, 2048, &c), ORSP_OK);
	orsp_bsp_keys_wipe(&k);
	orsp_writer_init(&w, segs, cap);
	assert_int_equal(orsp_bsp_protect(c, 0x87, n->f->cfg, n->f->cfg_len, &w), ORSP_OK);
	q.el[0][0] = orsp_slice_make(segs, w.len);
	at = w.len;
	assert_int_equal(orsp_bsp_protect(c, 0x88, smd, first, &w), ORSP_OK);
	q.el[1][0] = orsp_slice_make(segs + at, w.len - at);
	at = w.len;
	assert_int_equal(orsp_bsp_protect(c, 0x88, smd + first, smd_len - first, &w), ORSP_OK);
	q.el[1][1] = orsp_slice_make(segs + at, w.len - at);
	at = w.len;
	assert_int_equal(orsp_bsp_protect(c, 0x87, rsk, rl, &w), ORSP_OK);
	q.el[2][0] = orsp_slice_make(segs + at, w.len - at);
	q.n[0] = q.n[2] = 1;
	q.n[1] = 2;
	orsp_bsp_ctx_free(c);
	orsp_wipe(rsk, sizeof(rsk));
	return assemble(&q, NULL, 0, n->buf, n->cap);
}

/* The receive limit, ORSP_BSP_MAX_RECV_SEGMENT: segments of 1036 bytes, as osmo-smdpp cuts
 * the profile (1008 plaintext bytes per '86'), are taken and deliver the whole profile; a
 * segment of 1037 bytes is refused as soon as its header is in. What the builder sends stays
 * at 1020 (check_built). */
static void test_segment_receive_limit(void **state)
{
	(void)state;
	neg n;
	neg_setup(&n, ORSP_CURVE_P256, true);
	uint8_t *ppp = malloc(16 * 1100), *cut = malloc(n.cap), segs[4096];
	size_t *cuts = malloc(n.cap * sizeof(*cuts));
	orsp_bsp_ctx *wide = NULL;
	orsp_writer w;
	parts q = n.p;
	size_t l, off;
	assert_non_null(ppp);
	assert_non_null(cut);
	assert_non_null(cuts);

	/* 1008 plaintext bytes per segment -> 1036-byte '86' TLVs, under the PPKs */
	assert_int_equal(orsp_bsp_ctx_new(&n.f->ppk, 2048, &wide), ORSP_OK);
	orsp_writer_init(&w, ppp, 16 * 1100);
	q.n[3] = 0;
	for (size_t at = 0; at < n.f->upp_len; at += 1008) {
		size_t start = w.len, k = n.f->upp_len - at < 1008 ? n.f->upp_len - at : 1008;
		assert_int_equal(orsp_bsp_protect(wide, 0x86, n.f->upp + at, k, &w), ORSP_OK);
		q.el[3][q.n[3]++] = orsp_slice_make(ppp + start, w.len - start);
	}
	orsp_bsp_ctx_free(wide);
	assert_int_equal(q.el[3][0].len, 1036);
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	/* fed whole, then one byte at a time: the whole profile arrives */
	for (int bytewise = 0; bytewise < 2; bytewise++) {
		for (size_t i = 0; i + 1 < l; i++)
			cuts[i] = i + 1;
		sink_reset(&n.s);
		assert_int_equal(
		    unwrap_cuts(n.f, n.buf, l, cuts, bytewise ? l - 1 : 0, &n.s, NULL, NULL, NULL),
		    ORSP_OK);
		assert_true(n.s.order_ok);
		assert_int_equal(n.s.cfg_calls, 1);
		assert_int_equal(n.s.smd_calls, 1);
		assert_int_equal(n.s.rsk_calls, 1);
		assert_int_equal(n.s.prof_calls, (int)q.n[3]);
		assert_int_equal(n.s.prof_len, n.f->upp_len);
		assert_bytes_equal(n.s.prof, n.f->upp, n.f->upp_len);
	}

	/* a first '86' whose header says 1037 bytes (86 82 04 09): refused on its last header
	 * byte, for its size; the 1036-byte one's header (86 82 04 08) is taken */
	split(n.buf, l, &q);
	off = (size_t)(q.el[3][0].p - n.buf);
	static const uint8_t h1036[] = {0x86, 0x82, 0x04, 0x08};
	assert_memory_equal(n.buf + off, h1036, sizeof(h1036));
	memcpy(cut, n.buf, off + 4);
	cut[off + 3] = 0x09;
	sink_reset(&n.s);
	orsp_bsp_unwrap *u = unwrap_new(n.f, &n.s, NULL);
	assert_int_equal(orsp_bsp_unwrap_feed(u, n.buf, off + 4), ORSP_OK);
	orsp_bsp_unwrap_free(u);
	sink_reset(&n.s);
	u = unwrap_new(n.f, &n.s, NULL);
	assert_int_equal(orsp_bsp_unwrap_feed(u, cut, off + 3), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_feed(u, cut + off + 3, 1), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "of 1037 bytes exceeds 1036"));
	orsp_bsp_step st;
	assert_int_equal(orsp_bsp_unwrap_reason(u, &st), ORSP_BSP_R_STRUCTURE);
	assert_int_equal(st, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	assert_int_equal(n.s.prof_calls, 0);
	orsp_bsp_unwrap_free(u);

	/* '88' segments with good C-MACs: 1024 bytes of data (1036 in all) are taken, 1025
	 * (1037) are refused before the C-MAC is looked at. The StoreMetadata they carry: the
	 * fixture's fields and a 1500-byte one after them. */
	uint8_t smd[1600];
	orsp_tlv t;
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(n.f->smd, n.f->smd_len), &t), ORSP_OK);
	orsp_writer_init(&w, smd, sizeof(smd));
	orsp_der_mark m = orsp_der_begin(&w, 0xBF25);
	orsp_write_bytes(&w, t.value.p, t.value.len);
	orsp_der_put_header(&w, 0x94, 1300);
	for (size_t i = 0; i < 1300; i++)
		orsp_write_u8(&w, (uint8_t)i);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	size_t smd_len = w.len;

	l = with_88(&n, smd, smd_len, 1024, segs, sizeof(segs));
	split(n.buf, l, &q);
	assert_int_equal(q.el[1][0].len, 1036);
	sink_reset(&n.s);
	assert_int_equal(unwrap_all(n.f, n.buf, l, &n.s, NULL, NULL), ORSP_OK);
	assert_int_equal(n.s.smd_len, smd_len);
	assert_bytes_equal(n.s.smd, smd, smd_len);
	assert_int_equal(n.s.prof_len, n.f->upp_len);

	l = with_88(&n, smd, smd_len, 1025, segs, sizeof(segs));
	split(n.buf, l, &q);
	assert_int_equal(q.el[1][0].len, 1037);
	sink_reset(&n.s);
	u = unwrap_new(n.f, &n.s, NULL);
	assert_int_equal(orsp_bsp_unwrap_feed(u, n.buf, l), ORSP_E_MALFORMED);
	assert_non_null(strstr(orsp_err_detail(), "of 1037 bytes exceeds 1036"));
	assert_int_equal(orsp_bsp_unwrap_reason(u, &st), ORSP_BSP_R_STRUCTURE);
	assert_int_equal(st, ORSP_BSP_STEP_STORE_METADATA);
	orsp_bsp_unwrap_free(u);
	sink_reset(&n.s);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_STORE_METADATA);
	assert_int_equal(n.s.cfg_calls, 1);
	assert_int_equal(n.s.smd_calls, 0);
	free(cuts);
	free(cut);
	free(ppp);
	neg_teardown(&n);
}

/* A segment encrypted under a wrong block counter (the C-MAC still verifies, the first
 * block decrypts to garbage): caught by the structure checks of what it carries. The
 * classic mistake: not counting the MAC-only '88' segments. */
static void test_reject_wrong_counter(void **state)
{
	(void)state;
	neg n;
	orsp_bsp_keys k;
	uint8_t mcv[16], seg[128], rsk[80];
	parts q;
	size_t l;
	neg_setup(&n, ORSP_CURVE_BRAINPOOLP256R1, true);
	session_keys(n.f, &n.p, &k);

	/* ReplaceSessionKeys with counter 2 (correct: 3, after one '87' and one '88') */
	memcpy(mcv, k.mcv.v, 16);
	assert_true(hand_mac_ok(k.mac.v, mcv, n.p.el[0][0]));
	assert_true(hand_mac_ok(k.mac.v, mcv, n.p.el[1][0]));
	size_t rl = hand_decrypt(k.enc.v, 3, n.p.el[2][0], rsk);
	assert_int_equal(rl, 57);
	q = n.p;
	q.el[2][0] =
	    orsp_slice_make(seg, hand_segment(k.enc.v, k.mac.v, mcv, 2, 0x87, rsk, rl, seg));
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_REPLACE_SESSION_KEYS);
	assert_int_equal(n.s.rsk_calls, 0);

	/* control: the same by hand with counter 3 is accepted */
	memcpy(mcv, k.mcv.v, 16);
	assert_true(hand_mac_ok(k.mac.v, mcv, n.p.el[0][0]));
	assert_true(hand_mac_ok(k.mac.v, mcv, n.p.el[1][0]));
	q.el[2][0] =
	    orsp_slice_make(seg, hand_segment(k.enc.v, k.mac.v, mcv, 3, 0x87, rsk, rl, seg));
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	sink_reset(&n.s);
	assert_int_equal(unwrap_all(n.f, n.buf, l, &n.s, NULL, NULL), ORSP_OK);
	check_sink(n.f, &n.s, true);

	/* ConfigureISDP with counter 0 and 2 (correct: 1) */
	for (uint64_t c = 0; c <= 2; c += 2) {
		memcpy(mcv, k.mcv.v, 16);
		q = n.p;
		q.el[0][0] = orsp_slice_make(
		    seg, hand_segment(k.enc.v, k.mac.v, mcv, c, 0x87, n.f->cfg, n.f->cfg_len, seg));
		l = assemble(&q, NULL, 0, n.buf, n.cap);
		sink_reset(&n.s);
		expect_fail(n.f, n.buf, l, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
		            ORSP_BSP_STEP_CONFIGURE_ISDP);
		assert_int_equal(n.s.cfg_calls, 0);
	}
	orsp_bsp_keys_wipe(&k);
	neg_teardown(&n);
}

/* The package of n with A0, A1 and A2 replaced by single segments protected with
 * orsp_bsp_protect under the session keys the eUICC derives: cfg in '87', the fixture's
 * StoreMetadata in '88', rsk in '87'. Every C-MAC verifies, so only the checks of what the
 * plaintext carries can refuse it. A3 is under the PPKs and stays as built. */
static size_t with_87(neg *n, const uint8_t *cfg, size_t cfg_len, const uint8_t *rsk,
                      size_t rsk_len, uint8_t *segs, size_t cap)
{
	orsp_bsp_keys k;
	orsp_bsp_ctx *c = NULL;
	orsp_writer w;
	parts q = n->p;
	size_t at = 0;

	session_keys(n->f, &n->p, &k);
	assert_int_equal(orsp_bsp_ctx_new(&k, 0, &c), ORSP_OK);
	orsp_bsp_keys_wipe(&k);
	orsp_writer_init(&w, segs, cap);
	assert_int_equal(orsp_bsp_protect(c, 0x87, cfg, cfg_len, &w), ORSP_OK);
	q.el[0][0] = orsp_slice_make(segs, w.len);
	at = w.len;
	assert_int_equal(orsp_bsp_protect(c, 0x88, n->f->smd, n->f->smd_len, &w), ORSP_OK);
	q.el[1][0] = orsp_slice_make(segs + at, w.len - at);
	at = w.len;
	assert_int_equal(orsp_bsp_protect(c, 0x87, rsk, rsk_len, &w), ORSP_OK);
	q.el[2][0] = orsp_slice_make(segs + at, w.len - at);
	q.n[0] = q.n[1] = q.n[2] = 1;
	orsp_bsp_ctx_free(c);
	return assemble(&q, NULL, 0, n->buf, n->cap);
}

/* A ReplaceSessionKeysRequest-like TLV: outer { tags[i] with lens[i] bytes }, the values
 * taken from the fixture's MCV, PPK-ENC, PPK-MAC (then 0x5A). */
static size_t rsk_tlv(const fx *f, uint32_t outer, const uint32_t *tags, const size_t *lens,
                      size_t nf, uint8_t *out, size_t cap)
{
	const uint8_t *v[3] = {f->ppk.mcv.v, f->ppk.enc.v, f->ppk.mac.v};
	uint8_t val[32];
	orsp_writer w;

	orsp_writer_init(&w, out, cap);
	orsp_der_mark m = orsp_der_begin(&w, outer);
	for (size_t i = 0; i < nf; i++) {
		assert_true(lens[i] <= sizeof(val));
		memset(val, 0x5A, sizeof(val));
		memcpy(val, v[i % 3], lens[i] < 16 ? lens[i] : 16);
		orsp_der_put_tlv(&w, tags[i], val, lens[i]);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return w.len;
}

/* Authenticated but malformed '87' plaintext: ConfigureISDP not exactly one DER BF24,
 * ReplaceSessionKeys not exactly BF26 { 80, 81, 82 } of 16 bytes each. */
static void test_reject_bad_87_plaintext(void **state)
{
	(void)state;
	static const uint32_t t3[] = {0x80, 0x81, 0x82}, swapped[] = {0x81, 0x80, 0x82},
	                      t4[] = {0x80, 0x81, 0x82, 0x83}, again[] = {0x80, 0x81, 0x82, 0x80};
	static const size_t l3[] = {16, 16, 16};
	uint8_t segs[4096], cfg[128], rsk[128];
	size_t l, rl, good_rl;
	neg n;
	neg_setup(&n, ORSP_CURVE_P256, true);
	assert_int_equal(n.p.n[0], 1);
	assert_int_equal(n.p.n[1], 1);
	assert_int_equal(n.p.n[2], 1);
	assert_true(n.f->cfg_len + 1 <= sizeof(cfg));
	assert_int_equal(n.f->cfg[0], 0xBF);
	assert_int_equal(n.f->cfg[1], 0x24);
	uint8_t good_rsk[128];
	good_rl = rsk_tlv(n.f, 0xBF26, t3, l3, 3, good_rsk, sizeof(good_rsk));

	/* control: the same construction with the real plaintexts is accepted */
	l = with_87(&n, n.f->cfg, n.f->cfg_len, good_rsk, good_rl, segs, sizeof(segs));
	assert_int_equal(l, n.len);
	assert_bytes_equal(n.buf, n.bpp, l);
	assert_int_equal(unwrap_all(n.f, n.buf, l, &n.s, NULL, NULL), ORSP_OK);
	check_sink(n.f, &n.s, true);

	/* ConfigureISDP: a trailing byte, another tag (BF25), a non-DER child (04 81 01) */
	static const uint8_t non_der[] = {0xBF, 0x24, 0x04, 0x04, 0x81, 0x01, 0x00};
	memcpy(cfg, n.f->cfg, n.f->cfg_len);
	cfg[n.f->cfg_len] = 0x00;
	for (int i = 0; i < 3; i++) {
		const uint8_t *c = cfg;
		size_t cl = n.f->cfg_len + 1;
		if (i == 1) {
			memcpy(cfg, n.f->cfg, n.f->cfg_len);
			cfg[1] = 0x25;
			cl = n.f->cfg_len;
		} else if (i == 2) {
			c = non_der;
			cl = sizeof(non_der);
		}
		l = with_87(&n, c, cl, good_rsk, good_rl, segs, sizeof(segs));
		sink_reset(&n.s);
		expect_fail(n.f, n.buf, l, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
		            ORSP_BSP_STEP_CONFIGURE_ISDP);
		assert_int_equal(n.s.cfg_calls, 0);
	}

	/* a fourth field, a later version's, is skipped (the rsp module is EXTENSIBILITY
	 * IMPLIED): the keys are the three */
	rl = rsk_tlv(n.f, 0xBF26, t4, (const size_t[]){16, 16, 16, 16}, 4, rsk, sizeof(rsk));
	l = with_87(&n, n.f->cfg, n.f->cfg_len, rsk, rl, segs, sizeof(segs));
	sink_reset(&n.s);
	assert_int_equal(unwrap_all(n.f, n.buf, l, &n.s, NULL, NULL), ORSP_OK);
	check_sink(n.f, &n.s, true);

	/* ReplaceSessionKeys: each field 15 and 17 bytes long, fields swapped, a known field
	 * again after the three, a field missing, a trailing byte, another tag (BF27) */
	struct {
		uint32_t outer;
		const uint32_t *tags;
		size_t lens[4], nf;
		bool trailing;
	} cases[] = {
	    {0xBF26, t3, {15, 16, 16}, 3, false},      {0xBF26, t3, {16, 17, 16}, 3, false},
	    {0xBF26, t3, {16, 16, 15}, 3, false},      {0xBF26, t3, {17, 16, 16}, 3, false},
	    {0xBF26, swapped, {16, 16, 16}, 3, false}, {0xBF26, again, {16, 16, 16, 16}, 4, false},
	    {0xBF26, t3, {16, 16}, 2, false},          {0xBF26, t3, {16, 16, 16}, 3, true},
	    {0xBF27, t3, {16, 16, 16}, 3, false},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		rl = rsk_tlv(n.f, cases[i].outer, cases[i].tags, cases[i].lens, cases[i].nf, rsk,
		             sizeof(rsk) - 1);
		if (cases[i].trailing)
			rsk[rl++] = 0x00;
		l = with_87(&n, n.f->cfg, n.f->cfg_len, rsk, rl, segs, sizeof(segs));
		sink_reset(&n.s);
		orsp_bsp_reason r;
		orsp_bsp_step st;
		orsp_err e = unwrap_all(n.f, n.buf, l, &n.s, &r, &st);
		if (e != ORSP_E_MALFORMED || r != ORSP_BSP_R_STRUCTURE ||
		    st != ORSP_BSP_STEP_REPLACE_SESSION_KEYS)
			fail_msg("case %zu: %s / %s / step %d (%s)", i, orsp_err_str(e),
			         orsp_bsp_reason_str(r), (int)st, orsp_err_detail());
		assert_int_equal(n.s.cfg_calls, 1);
		assert_int_equal(n.s.smd_calls, 1);
		assert_int_equal(n.s.rsk_calls, 0);
		assert_int_equal(n.s.prof_calls, 0);
	}
	neg_teardown(&n);
}

static void test_reject_missing_and_out_of_order(void **state)
{
	(void)state;
	neg n;
	size_t l;
	parts q;
	neg_setup(&n, ORSP_CURVE_P256, true);
	const struct {
		int order[4];
		size_t norder;
		orsp_bsp_step step;
	} cases[] = {
	    {{1, 2, 3}, 3, ORSP_BSP_STEP_CONFIGURE_ISDP},           /* no A0 */
	    {{0, 2, 3}, 3, ORSP_BSP_STEP_STORE_METADATA},           /* no A1 */
	    {{0, 1, 2}, 3, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS},    /* no A3 */
	    {{0, 1}, 2, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS},       /* no A2, A3 */
	    {{1, 0, 2, 3}, 4, ORSP_BSP_STEP_CONFIGURE_ISDP},        /* A1 first */
	    {{0, 2, 1, 3}, 4, ORSP_BSP_STEP_STORE_METADATA},        /* A2 before A1 */
	    {{0, 1, 3, 2}, 4, ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS}, /* A2 after A3 */
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		l = assemble(&n.p, cases[i].order, cases[i].norder, n.buf, n.cap);
		sink_reset(&n.s);
		orsp_bsp_reason r;
		orsp_bsp_step st;
		orsp_err e = unwrap_all(n.f, n.buf, l, &n.s, &r, &st);
		assert_int_not_equal(e, ORSP_OK);
		if (st != cases[i].step)
			fail_msg("case %zu: step %d, want %d (%s)", i, (int)st, (int)cases[i].step,
			         orsp_err_detail());
		/* A3 right after A1 is read as a package without A2, so its '86' fail the
		 * C-MAC under the session keys; everything else is a structure error */
		assert_int_equal(r, i == 6 ? ORSP_BSP_R_MAC : ORSP_BSP_R_STRUCTURE);
	}

	/* an empty A0, and a BF23 missing altogether */
	q = n.p;
	q.n[0] = 0;
	l = assemble(&q, NULL, 0, n.buf, n.cap);
	sink_reset(&n.s);
	expect_fail(n.f, n.buf, l, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_CONFIGURE_ISDP);
	orsp_writer w;
	orsp_writer_init(&w, n.buf, n.cap);
	orsp_der_mark m = orsp_der_begin(&w, 0xBF36);
	orsp_der_put_tlv(&w, 0xA0, n.p.el[0][0].p, n.p.el[0][0].len);
	orsp_der_end(&w, m);
	sink_reset(&n.s);
	expect_fail(n.f, n.buf, w.len, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
	neg_teardown(&n);
}

static void test_reject_trailing_and_non_der(void **state)
{
	(void)state;
	neg n;
	neg_setup(&n, ORSP_CURVE_P256, false);

	/* a byte after BF36 */
	memcpy(n.buf, n.bpp, n.len);
	n.buf[n.len] = 0x00;
	expect_fail(n.f, n.buf, n.len + 1, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	check_sink(n.f, &n.s, false); /* everything before it was verified and delivered */

	/* a second BPP glued on */
	memcpy(n.buf + n.len, n.bpp, 16);
	sink_reset(&n.s);
	expect_fail(n.f, n.buf, n.len + 16, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);

	/* a TLV inside BF36 after A3 (lengths consistent) */
	orsp_writer w;
	uint8_t *again = malloc(n.cap);
	assert_non_null(again);
	orsp_writer_init(&w, again, n.cap);
	orsp_der_mark m = orsp_der_begin(&w, 0xBF36);
	orsp_write_bytes(&w, n.bpp + n.p.bf36_hdr.len, n.len - n.p.bf36_hdr.len);
	orsp_der_put_tlv(&w, 0x04, "x", 1);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	sink_reset(&n.s);
	expect_fail(n.f, again, w.len, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	assert_int_equal(n.s.prof_len, n.f->upp_len);
	/* BF36's length one byte past the end of A3, the stream ending right after A3: refused
	 * on A3's last byte, not taken as complete */
	orsp_writer_init(&w, again, n.cap);
	orsp_der_put_header(&w, 0xBF36, n.len - n.p.bf36_hdr.len + 1);
	orsp_write_bytes(&w, n.bpp + n.p.bf36_hdr.len, n.len - n.p.bf36_hdr.len);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	sink_reset(&n.s);
	expect_fail(n.f, again, w.len, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	assert_int_equal(n.s.prof_len, n.f->upp_len);
	free(again);

	/* A0 header with a non-minimal length: 'A0 81 1C' instead of 'A0 1C' */
	size_t a0 = off_of(&n, n.p.el[0][0].p) - 2;
	assert_int_equal(n.bpp[a0], 0xA0);
	assert_true(n.bpp[a0 + 1] < 0x80);
	orsp_writer_init(&w, n.buf, n.cap);
	m = orsp_der_begin(&w, 0xBF36);
	orsp_write_bytes(&w, n.bpp + n.p.bf36_hdr.len, a0 - n.p.bf36_hdr.len);
	orsp_write_u8(&w, 0xA0);
	orsp_write_u8(&w, 0x81);
	orsp_write_bytes(&w, n.bpp + a0 + 1, n.len - a0 - 1);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	sink_reset(&n.s);
	expect_fail(n.f, n.buf, w.len, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_CONFIGURE_ISDP);

	/* indefinite length on BF36; a child running past BF36's end */
	memcpy(n.buf, n.bpp, n.len);
	n.buf[2] = 0x80;
	sink_reset(&n.s);
	expect_fail(n.f, n.buf, n.len, &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
	static const uint8_t over[] = {0xBF, 0x36, 0x05, 0xBF, 0x23, 0x10, 0x00, 0x00};
	sink_reset(&n.s);
	expect_fail(n.f, over, sizeof(over), &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
	/* a child whose four-octet length plus its header passes 2^32: with a 32-bit size_t
	 * the sum used to wrap to 1, pass every bound and start a leaf of 2^32 - 6 bytes
	 * copied into a 1020-byte buffer. Refused on its header, by the feed (on 64 bits the
	 * sum never wrapped, so there this case passed before the fix too) */
	static const uint8_t wrap[] = {0xBF, 0x36, 0x84, 0x7F, 0xFF, 0xFF, 0xFF,
	                               0xBF, 0x23, 0x84, 0xFF, 0xFF, 0xFF, 0xFA};
	sink_reset(&n.s);
	orsp_bsp_unwrap *u = unwrap_new(n.f, &n.s, NULL);
	assert_int_equal(orsp_bsp_unwrap_feed(u, wrap, sizeof(wrap)), ORSP_E_MALFORMED);
	assert_int_equal(orsp_bsp_unwrap_reason(u, NULL), ORSP_BSP_R_STRUCTURE);
	orsp_bsp_unwrap_free(u);
	/* a wrong outer tag */
	static const uint8_t wrong[] = {0xBF, 0x37, 0x00};
	sink_reset(&n.s);
	expect_fail(n.f, wrong, sizeof(wrong), &n.s, ORSP_E_MALFORMED, ORSP_BSP_R_STRUCTURE,
	            ORSP_BSP_STEP_INITIALISE_SECURE_CHANNEL);
	neg_teardown(&n);
}

/* A callback that refuses stops the unwrap with its error; the failure is final. */
static void test_callback_refuses(void **state)
{
	(void)state;
	neg n;
	neg_setup(&n, ORSP_CURVE_P256, false);
	n.s.refuse_at = 2;
	expect_fail(n.f, n.bpp, n.len, &n.s, ORSP_E_STORAGE, ORSP_BSP_R_REFUSED,
	            ORSP_BSP_STEP_LOAD_PROFILE_ELEMENTS);
	assert_int_equal(n.s.prof_calls, 2);
	neg_teardown(&n);
}

/* StoreMetadata larger than the unwrap accepts (the builder has no such limit). */
static void test_reject_metadata_too_large(void **state)
{
	(void)state;
	fx *f = fx_new(ORSP_CURVE_P256);
	sink s;
	size_t big_len = ORSP_BSP_MAX_STORE_METADATA + 100, l;
	uint8_t *big = calloc(1, big_len + 16);
	orsp_writer w;
	assert_non_null(big);
	orsp_writer_init(&w, big, big_len + 16);
	orsp_der_mark m = orsp_der_begin(&w, 0xBF25);
	orsp_der_put_header(&w, 0x94, big_len - 8);
	for (size_t i = 0; i < big_len - 8; i++)
		orsp_write_u8(&w, (uint8_t)i);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	orsp_bsp_bpp_params p = params(f, false);
	p.store_metadata = orsp_slice_make(big, w.len);
	uint8_t *b = build_p(&p, &l);
	sink_init(&s);
	expect_fail(f, b, l, &s, ORSP_E_RESOURCE, ORSP_BSP_R_LIMIT, ORSP_BSP_STEP_STORE_METADATA);
	assert_int_equal(s.smd_calls, 0);
	sink_free(&s);
	free(b);
	free(big);
	fx_free(f);
}

/* ---------------------------------------------------------------- API misuse ------------ */

static void test_build_rejects(void **state)
{
	(void)state;
	fx *f = fx_new(ORSP_CURVE_P256);
	orsp_bsp_bpp_params p;
	size_t n;
	uint8_t small[64], pt[65];
	orsp_writer w;

	p = params(f, false);
	p.dppb = NULL;
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_USAGE);
	p = params(f, false);
	p.transaction_id.len = 17;
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_USAGE);
	p = params(f, false);
	p.host_id.len = 0;
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_USAGE);
	p = params(f, false);
	p.euicc_otpk.len = 64;
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_USAGE);
	p = params(f, false);
	p.configure_isdp = orsp_slice_make(f->smd, f->smd_len); /* BF25, not BF24 */
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_MALFORMED);
	p = params(f, false);
	p.store_metadata.len--; /* not one TLV */
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_MALFORMED);
	p = params(f, true);
	p.profile = orsp_slice_make(f->upp, f->upp_len); /* not a PPP */
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_MALFORMED);
	/* '86' segments of a shape no eUICC unprotects: no AES block, a part block, the MAC
	 * alone; the smallest one that is a block and the MAC passes */
	static const uint8_t seg0[] = {0x86, 0x01, 0x00};
	uint8_t seg[2 + 16 + 8] = {0x86};
	static const size_t bad_len[] = {8, 9, 23, 25, 16 + 15 + 8};
	p = params(f, true);
	p.profile = orsp_slice_make(seg0, sizeof(seg0));
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_MALFORMED);
	for (size_t i = 0; i < sizeof(bad_len) / sizeof(bad_len[0]); i++) {
		uint8_t *big = calloc(1, 2 + bad_len[i]);
		assert_non_null(big);
		big[0] = 0x86;
		big[1] = (uint8_t)bad_len[i];
		p.profile = orsp_slice_make(big, 2 + bad_len[i]);
		assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_MALFORMED);
		free(big);
	}
	seg[1] = 24;
	p.profile = orsp_slice_make(seg, 26);
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_OK);
	/* a part over the bound is refused by its length, before its bytes are read (so the
	 * slices may claim more than their buffers hold) */
	for (int i = 0; i < 4; i++) {
		p = params(f, i == 1); /* the UPP, the PPP, StoreMetadata, ConfigureISDP */
		orsp_slice *part[] = {&p.profile, &p.profile, &p.store_metadata, &p.configure_isdp};
		part[i]->len = ORSP_BSP_MAX_BUILD_PART + 1;
		assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_E_USAGE);
	}

	/* no room: refused before any work, writer untouched */
	p = params(f, false);
	orsp_writer_init(&w, small, sizeof(small));
	assert_int_equal(orsp_bsp_bpp_build(&p, &w), ORSP_E_RESOURCE);
	assert_int_equal(w.len, 0);

	/* an eUICC point off the curve: nothing written */
	memcpy(pt, f->euicc_otpk, 65);
	pt[40] ^= 1;
	p.euicc_otpk = orsp_slice_make(pt, 65);
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_OK);
	uint8_t *b = malloc(n);
	assert_non_null(b);
	orsp_writer_init(&w, b, n);
	assert_int_equal(orsp_bsp_bpp_build(&p, &w), ORSP_E_MALFORMED);
	assert_int_equal(w.len, 0);
	free(b);

	/* a key on the other curve */
	orsp_ec_key *bp = NULL;
	assert_int_equal(orsp_ec_generate(ORSP_CURVE_BRAINPOOLP256R1, &bp), ORSP_OK);
	p = params(f, false);
	p.smdp_otsk = bp;
	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_OK);
	b = malloc(n);
	assert_non_null(b);
	orsp_writer_init(&w, b, n);
	assert_int_not_equal(orsp_bsp_bpp_build(&p, &w), ORSP_OK);
	assert_int_equal(w.len, 0);
	free(b);
	orsp_ec_free(bp);

	/* PPP build */
	orsp_writer_init(&w, small, sizeof(small));
	assert_int_equal(orsp_bsp_ppp_build(&f->ppk, orsp_slice_make(f->upp, f->upp_len), &w),
	                 ORSP_E_RESOURCE);
	assert_int_equal(orsp_bsp_ppp_build(NULL, orsp_slice_make(f->upp, f->upp_len), &w),
	                 ORSP_E_USAGE);
	assert_int_equal(
	    orsp_bsp_ppp_build(&f->ppk, orsp_slice_make(f->upp, ORSP_BSP_MAX_BUILD_PART + 1), &w),
	    ORSP_E_USAGE);
	fx_free(f);
}

/* A build that fails after it wrote segments leaves the writer as it found it: the bytes
 * before it kept, its own wiped, the length back where it started. */
#define KEEP 5
#define UNTOUCHED 0xA5

static void expect_rolled_back(const orsp_writer *w, const uint8_t *buf, size_t cap)
{
	size_t wiped = 0;
	assert_int_equal(w->len, KEEP);
	for (size_t i = 0; i < KEEP; i++)
		assert_int_equal(buf[i], 0x11);
	for (size_t i = KEEP; i < cap; i++) {
		assert_true(buf[i] == 0 || buf[i] == UNTOUCHED);
		wiped += buf[i] == 0;
	}
	assert_true(wiped > 1000); /* the segments written before the failure (see cbc_calls) */
}

static void test_build_failure_leaves_nothing(void **state)
{
	(void)state;
	fx *f = fx_new(ORSP_CURVE_P256);
	orsp_bsp_bpp_params p = params(f, false);
	size_t cap = KEEP + orsp_bsp_ppp_len(f->upp_len), n;
	uint8_t *buf;
	orsp_writer w;

	assert_int_equal(orsp_bsp_bpp_size(&p, &n), ORSP_OK);
	buf = malloc(KEEP + (n > cap ? n : cap));
	assert_non_null(buf);

	/* PPP: the third '86' segment's encryption fails */
	memset(buf, UNTOUCHED, cap);
	orsp_writer_init(&w, buf, cap);
	orsp_write_bytes(&w, (const uint8_t[KEEP]){0x11, 0x11, 0x11, 0x11, 0x11}, KEEP);
	cbc_fail(3);
	assert_int_equal(orsp_bsp_ppp_build(&f->ppk, orsp_slice_make(f->upp, f->upp_len), &w),
	                 ORSP_E_CRYPTO);
	assert_int_equal(cbc_calls, 3);
	expect_rolled_back(&w, buf, cap);
	/* control: without the failure the same writer takes the whole PPP */
	cbc_fail(0);
	assert_int_equal(orsp_bsp_ppp_build(&f->ppk, orsp_slice_make(f->upp, f->upp_len), &w),
	                 ORSP_OK);
	assert_int_equal(w.len, cap);
	assert_memory_equal(buf + KEEP, f->ppp, f->ppp_len);

	/* BPP: the first '87' of A0, then the second '86' of A3, whose encryption fails */
	cap = KEEP + n;
	memset(buf, UNTOUCHED, cap);
	orsp_writer_init(&w, buf, cap);
	orsp_write_bytes(&w, (const uint8_t[KEEP]){0x11, 0x11, 0x11, 0x11, 0x11}, KEEP);
	cbc_fail(3);
	assert_int_equal(orsp_bsp_bpp_build(&p, &w), ORSP_E_CRYPTO);
	assert_int_equal(cbc_calls, 3);
	expect_rolled_back(&w, buf, cap);
	cbc_fail(0);
	assert_int_equal(orsp_bsp_bpp_build(&p, &w), ORSP_OK);
	assert_int_equal(w.len, cap);
	free(buf);
	fx_free(f);
}

static void test_unwrap_api(void **state)
{
	(void)state;
	fx *f = fx_new(ORSP_CURVE_P256);
	orsp_bsp_unwrap *u = NULL;
	orsp_bsp_unwrap_params p = {
	    .euicc_otsk = f->euicc_otsk,
	    .dppb = f->dppb_pk,
	    .eid = f->eid,
	    .transaction_id = orsp_slice_make(f->tid, 16),
	};
	assert_int_equal(orsp_bsp_unwrap_new(NULL, &u), ORSP_E_USAGE);
	p.transaction_id.len = 0;
	assert_int_equal(orsp_bsp_unwrap_new(&p, &u), ORSP_E_USAGE);
	p.transaction_id.len = 17;
	assert_int_equal(orsp_bsp_unwrap_new(&p, &u), ORSP_E_USAGE);
	p.transaction_id.len = 16;
	p.dppb = NULL;
	assert_int_equal(orsp_bsp_unwrap_new(&p, &u), ORSP_E_USAGE);
	assert_null(u);
	p.dppb = f->dppb_pk;

	/* no callbacks at all: verification only */
	size_t len;
	uint8_t *bpp = build(f, false, &len);
	assert_int_equal(orsp_bsp_unwrap_new(&p, &u), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_feed(u, NULL, 0), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_feed(u, NULL, 1), ORSP_E_USAGE);
	assert_int_equal(orsp_bsp_unwrap_finish(u), ORSP_E_MALFORMED); /* nothing fed yet */
	orsp_bsp_unwrap_free(u);
	assert_int_equal(orsp_bsp_unwrap_new(&p, &u), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_feed(u, bpp, len), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_finish(u), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_finish(u), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_feed(u, bpp, 0), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_reason(u, NULL), ORSP_BSP_OK);
	orsp_bsp_unwrap_free(u);
	orsp_bsp_unwrap_free(NULL);

	for (int r = ORSP_BSP_OK; r <= ORSP_BSP_R_INTERNAL; r++)
		assert_string_not_equal(orsp_bsp_reason_str((orsp_bsp_reason)r), "unknown");
	assert_string_equal(orsp_bsp_reason_str((orsp_bsp_reason)99), "unknown");
	free(bpp);
	fx_free(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_round_trip_p256),
	    cmocka_unit_test(test_rebuild_same_bytes),
	    cmocka_unit_test(test_round_trip_p256_rsk),
	    cmocka_unit_test(test_round_trip_brainpool),
	    cmocka_unit_test(test_round_trip_brainpool_rsk),
	    cmocka_unit_test(test_split_everywhere_p256_rsk),
	    cmocka_unit_test(test_split_every_7th_brainpool),
	    cmocka_unit_test(test_reject_flipped_mac),
	    cmocka_unit_test(test_reject_swapped_duplicated_dropped),
	    cmocka_unit_test(test_reject_truncated),
	    cmocka_unit_test(test_reject_bad_signature),
	    cmocka_unit_test(test_reject_session_mismatch),
	    cmocka_unit_test(test_reject_iscr_values),
	    cmocka_unit_test(test_segment_receive_limit),
	    cmocka_unit_test(test_reject_wrong_counter),
	    cmocka_unit_test(test_reject_bad_87_plaintext),
	    cmocka_unit_test(test_reject_missing_and_out_of_order),
	    cmocka_unit_test(test_reject_trailing_and_non_der),
	    cmocka_unit_test(test_callback_refuses),
	    cmocka_unit_test(test_reject_metadata_too_large),
	    cmocka_unit_test(test_build_rejects),
	    cmocka_unit_test(test_build_failure_leaves_nothing),
	    cmocka_unit_test(test_unwrap_api),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
