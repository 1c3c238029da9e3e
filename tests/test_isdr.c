/* openrsp tests: the eUICC ISD-R core (ES10a/b/c, SGP.22 v2.2 §5.7) driven the way an LPA
 * drives a card — STORE DATA in 120-byte blocks through the APDU layer, the bound profile
 * package split as lpac splits it — with the test playing the SM-DP+ (SGP.26 test PKI,
 * bound profile packages from TS.48 profiles built with orsp_bsp_bpp_build). Every signature
 * the card returns is verified here with the public key of the SGP.26 CERT.EUICC.
 *
 * Every response is also decoded with the asn1c RSPDefinitions codec. Persistence goes to an
 * in-memory record store that can fail its Nth commit (crash injection). tests/
 * test_isdr_download.c is an independent second test of the same core.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "openrsp/aka.h"
#include "openrsp/bsp.h"
#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/euicc.h"
#include "openrsp/pkg.h"
#include "orsp_asn1_rsp.h"

#define SGP26 "sgp26/"
#define EID "89049032123451234512345678901235"
#define SMDP_ADDR "testsmdpplus1.example.com"
#define NOTIF_ADDR "notify.example.com"
#define UPP_VECTOR "saip/gsma-ts48/v2/TS48_V2_eSIM_GTP_SAIP2.3_NoBERTLV.der"
#define ICCID_A "89000123456789012341" /* the TS.48 template's own */
#define ICCID_B "89000123456789012358"
#define ICCID_C "89000123456789012366"

static const uint8_t isdr_aid[16] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10, 0xFF,
                                     0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00, 0x01, 0x00};

/* ---------------------------------------------------------------- in-memory storage ----- */

#define MS_MAX 40
typedef struct mem_store {
	struct {
		char name[ORSP_EUICC_RECORD_NAME_MAX + 1];
		uint8_t *data;
		size_t len;
	} r[MS_MAX];
	int calls;   /* commit calls so far */
	int fail_at; /* the commit call with this number fails (nothing changes); 0: never */
} mem_store;

static int ms_find(mem_store *s, const char *name)
{
	for (int i = 0; i < MS_MAX; i++)
		if (s->r[i].data && !strcmp(s->r[i].name, name))
			return i;
	return -1;
}

static orsp_err ms_commit(void *user, const orsp_euicc_record *recs, size_t n)
{
	mem_store *s = user;

	s->calls++;
	if (s->fail_at && s->calls == s->fail_at)
		return ORSP_E_STORAGE; /* the crash: the store keeps every old value */
	for (size_t i = 0; i < n; i++) {
		int k = ms_find(s, recs[i].name);
		assert_true(strlen(recs[i].name) <= ORSP_EUICC_RECORD_NAME_MAX);
		if (k >= 0) {
			free(s->r[k].data);
			s->r[k].data = NULL;
		}
		if (!recs[i].data)
			continue;
		for (k = 0; k < MS_MAX && s->r[k].data; k++)
			;
		assert_true(k < MS_MAX);
		snprintf(s->r[k].name, sizeof(s->r[k].name), "%s", recs[i].name);
		s->r[k].data = malloc(recs[i].len ? recs[i].len : 1);
		assert_non_null(s->r[k].data);
		memcpy(s->r[k].data, recs[i].data, recs[i].len);
		s->r[k].len = recs[i].len;
	}
	return ORSP_OK;
}

static orsp_err ms_read(void *user, const char *name, uint8_t *buf, size_t cap, size_t *len)
{
	mem_store *s = user;
	int k = ms_find(s, name);

	if (k < 0)
		return ORSP_E_NOT_FOUND;
	*len = s->r[k].len;
	if (cap < s->r[k].len)
		return ORSP_E_RESOURCE;
	memcpy(buf, s->r[k].data, s->r[k].len);
	return ORSP_OK;
}

static void ms_free(mem_store *s)
{
	for (int i = 0; i < MS_MAX; i++)
		free(s->r[i].data);
	memset(s, 0, sizeof(*s));
}

static int ms_count_prefix(mem_store *s, const char *prefix)
{
	int n = 0;
	for (int i = 0; i < MS_MAX; i++)
		n += s->r[i].data && !strncmp(s->r[i].name, prefix, strlen(prefix));
	return n;
}

static const orsp_euicc_storage_ops ms_ops = {ms_commit, ms_read};

/* ---------------------------------------------------------------- the card -------------- */

typedef struct card {
	mem_store st;
	orsp_euicc e;
	orsp_euicc_apdu_ctx apdu;
	uint8_t cmd[ORSP_EUICC_MAX_COMMAND], rsp[ORSP_EUICC_MAX_RESPONSE];
	uint8_t out[ORSP_EUICC_MAX_RESPONSE];
	size_t out_len;
	uint16_t sw;
	bool is_open;
	/* the SM-DP+ */
	orsp_ec_key *auth_sk, *pb_sk, *euicc_pk;
	uint8_t *auth_cert, *pb_cert, *euicc_cert;
	size_t auth_cert_len, pb_cert_len, euicc_cert_len;
	uint8_t ci_ski[32];
	size_t ci_ski_len;
	uint8_t tid[16], echal[16], schal[16], sig1[64], smdp_sig2[64], otpk[65];
	size_t tid_len; /* 16 except in the no-session case */
	uint8_t *upp;
	size_t upp_len;
	bool bpp_all_sent; /* the last load_bpp sent every piece (the answer came at the end) */
} card;

/* Send one command APDU; collect the response data through GET RESPONSE. */
static void xfer(card *c, const uint8_t *capdu, size_t n)
{
	uint8_t r[ORSP_EUICC_RAPDU_MAX];
	size_t rl = 0;

	c->out_len = 0;
	assert_int_equal(orsp_euicc_apdu_process(&c->apdu, capdu, n, r, sizeof(r), &rl), ORSP_OK);
	assert_true(rl >= 2);
	for (;;) {
		memcpy(c->out + c->out_len, r, rl - 2);
		c->out_len += rl - 2;
		c->sw = (uint16_t)(r[rl - 2] << 8 | r[rl - 1]);
		if (r[rl - 2] != 0x61)
			break;
		/* GET RESPONSE on the command's channel (0-3 in CLA b2b1) */
		uint8_t gr[5] = {(uint8_t)(capdu[0] & 0x03), 0xC0, 0x00, 0x00, r[rl - 1]};
		assert_int_equal(orsp_euicc_apdu_process(&c->apdu, gr, 5, r, sizeof(r), &rl),
		                 ORSP_OK);
		assert_true(c->out_len + rl - 2 <= sizeof(c->out));
	}
}

/* The logical channel the ISD-R is selected on: 0 (basic), or 2 as lpac does with a
 * channel it opens (MANAGE CHANNEL; channel 1 is left for the USIM checks). */
static uint8_t isdr_channel;

/* One STORE DATA command (one piece of an ES10 function), 120-byte blocks as lpac. */
static uint16_t store_data(card *c, const uint8_t *d, size_t n)
{
	uint8_t capdu[5 + 120];
	size_t off = 0;
	uint8_t blk = 0;

	do {
		size_t k = n - off > 120 ? 120 : n - off;
		bool last = off + k == n;
		capdu[0] = (uint8_t)(0x80 | isdr_channel);
		capdu[1] = 0xE2;
		capdu[2] = last ? 0x91 : 0x11;
		capdu[3] = blk++;
		capdu[4] = (uint8_t)k;
		memcpy(capdu + 5, d + off, k);
		xfer(c, capdu, 5 + k);
		off += k;
		if (!last)
			assert_int_equal(c->sw, 0x9000);
	} while (off < n);
	return c->sw;
}

static uint16_t es10_hex(card *c, const char *hex)
{
	uint8_t b[512];
	size_t n = strlen(hex) / 2;
	assert_true(n <= sizeof(b));
	assert_int_equal(orsp_hex_decode_exact(hex, b, n), ORSP_OK);
	return store_data(c, b, n);
}

static void select_isdr(card *c)
{
	uint8_t capdu[5 + 16 + 1] = {isdr_channel, 0xA4, 0x04, 0x00, 16};
	if (isdr_channel) {
		uint8_t open[4] = {0x00, 0x70, 0x00, isdr_channel};
		xfer(c, open, sizeof(open));
		assert_int_equal(c->sw, 0x9000);
	}
	memcpy(capdu + 5, isdr_aid, 16);
	xfer(c, capdu, sizeof(capdu));
	assert_int_equal(c->sw, 0x9000);
}

static void card_attach(card *c)
{
	assert_int_equal(orsp_euicc_open(&c->e, &ms_ops, &c->st), ORSP_OK);
	c->is_open = true;
	assert_int_equal(
	    orsp_euicc_apdu_init(&c->apdu, c->cmd, sizeof(c->cmd), c->rsp, sizeof(c->rsp)),
	    ORSP_OK);
	assert_int_equal(orsp_euicc_attach(&c->e, &c->apdu), ORSP_OK);
	select_isdr(c);
}

/* Power cycle: close the core and open it again from the store. */
static void card_reopen(card *c)
{
	orsp_euicc_close(&c->e);
	c->is_open = false;
	card_attach(c);
}

static uint8_t *load_der(const char *rel, size_t *len)
{
	char p[160];
	snprintf(p, sizeof(p), SGP26 "%s", rel);
	return test_read_vector(p, len);
}

static orsp_ec_key *load_key(const char *rel)
{
	size_t n;
	uint8_t *b = load_der(rel, &n);
	orsp_ec_key *k = NULL;
	assert_int_equal(orsp_ec_load_private(b, n, &k), ORSP_OK);
	orsp_wipe(b, n);
	free(b);
	return k;
}

/* Milenage K and OPc given to packages made with milenage set (3GPP TS 35.208 set 1). */
#define MIL_K "465B5CE8B199B49FAA5F0A2EE238A6BC"
#define MIL_OPC "CD63CB71954A9F4E48A5994E37A02BAF"
static bool upp_milenage;

/* A TS.48 package with the given ICCID (personalised), with Milenage keys when
 * upp_milenage is set (TS.48 has the usim-test-algorithm). */
static uint8_t *make_upp(const char *iccid, size_t *len)
{
	size_t n;
	uint8_t *t = test_read_vector(UPP_VECTOR, &n), *out = NULL;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso pp;

	assert_int_equal(orsp_pkg_decode(t, n, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&pp);
	pp.iccid = iccid;
	if (upp_milenage) {
		pp.set_aka = true;
		pp.alg = ORSP_AKA_MILENAGE;
		assert_int_equal(orsp_secret_from_hex(&pp.k, MIL_K), ORSP_OK);
		assert_int_equal(orsp_secret_from_hex(&pp.opc, MIL_OPC), ORSP_OK);
	}
	assert_int_equal(orsp_pkg_personalise(pkg, &pp), ORSP_OK);
	orsp_pkg_perso_wipe(&pp);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &out, len), ORSP_OK);
	uint8_t *copy = malloc(*len);
	assert_non_null(copy);
	memcpy(copy, out, *len);
	orsp_pkg_buf_free(out, *len);
	orsp_pkg_free(pkg);
	free(t);
	return copy;
}

typedef enum { PKI_NIST, PKI_BRP } pki;

static card *card_new_pki(pki which)
{
	card *c = calloc(1, sizeof(*c));
	const char *sfx = which == PKI_NIST ? "NIST" : "BRP";
	char p[128];
	size_t sk_len, eum_len, ci_len;
	orsp_cert *ci = NULL, *ec = NULL;

	assert_non_null(c);
	snprintf(p, sizeof(p), "eUICC/SK_EUICC_ECDSA_%s.pem", sfx);
	uint8_t *sk = load_der(p, &sk_len);
	snprintf(p, sizeof(p), "eUICC/CERT_EUICC_ECDSA_%s.der", sfx);
	c->euicc_cert = load_der(p, &c->euicc_cert_len);
	snprintf(p, sizeof(p), "EUM/CERT_EUM_ECDSA_%s.der", sfx);
	uint8_t *eum = load_der(p, &eum_len);
	snprintf(p, sizeof(p), "CertificateIssuer/CERT_CI_ECDSA_%s.der", sfx);
	uint8_t *cid = load_der(p, &ci_len);
	orsp_euicc_identity id = {
	    .eid = EID,
	    .sk_euicc = orsp_slice_make(sk, sk_len),
	    .cert_euicc = orsp_slice_make(c->euicc_cert, c->euicc_cert_len),
	    .cert_eum = orsp_slice_make(eum, eum_len),
	    .ci_certs = {orsp_slice_make(cid, ci_len)},
	    .n_ci = 1,
	    .default_dp = SMDP_ADDR,
	};
	assert_int_equal(orsp_euicc_provision(&ms_ops, &c->st, &id), ORSP_OK);
	/* a second provisioning of the same store is refused */
	assert_int_equal(orsp_euicc_provision(&ms_ops, &c->st, &id), ORSP_E_EXISTS);
	orsp_err_clear();

	assert_int_equal(orsp_cert_parse(cid, ci_len, &ci), ORSP_OK);
	assert_int_equal(orsp_cert_ski(ci, c->ci_ski, sizeof(c->ci_ski), &c->ci_ski_len), ORSP_OK);
	assert_int_equal(orsp_cert_parse(c->euicc_cert, c->euicc_cert_len, &ec), ORSP_OK);
	assert_int_equal(orsp_cert_public_key(ec, &c->euicc_pk), ORSP_OK);
	orsp_cert_free(ci);
	orsp_cert_free(ec);
	orsp_wipe(sk, sk_len);
	free(sk);
	free(eum);
	free(cid);

	snprintf(p, sizeof(p), "DPauth/SK_S_SM_DPauth_ECDSA_%s.pem", sfx);
	c->auth_sk = load_key(p);
	snprintf(p, sizeof(p), "DPpb/SK_S_SM_DPpb_ECDSA_%s.pem", sfx);
	c->pb_sk = load_key(p);
	snprintf(p, sizeof(p), "DPauth/CERT_S_SM_DPauth_ECDSA_%s.der", sfx);
	c->auth_cert = load_der(p, &c->auth_cert_len);
	snprintf(p, sizeof(p), "DPpb/CERT_S_SM_DPpb_ECDSA_%s.der", sfx);
	c->pb_cert = load_der(p, &c->pb_cert_len);
	card_attach(c);
	return c;
}

static card *card_new(void)
{
	return card_new_pki(PKI_NIST);
}

static void card_free(card *c)
{
	if (c->is_open)
		orsp_euicc_close(&c->e);
	ms_free(&c->st);
	orsp_ec_free(c->auth_sk);
	orsp_ec_free(c->pb_sk);
	orsp_ec_free(c->euicc_pk);
	free(c->auth_cert);
	free(c->pb_cert);
	free(c->euicc_cert);
	free(c->upp);
	free(c);
}

/* ---------------------------------------------------------------- response parsing ------ */

/* Every response is also decoded with the asn1c codec generated from the RSPDefinitions
 * module (src/asn1/modules/rsp/rsp.asn): an independent check of tags and nesting. */
static void asn1_ok(asn_TYPE_descriptor_t *td, const uint8_t *p, size_t n)
{
	void *v = NULL;
	asn_dec_rval_t r = ber_decode(NULL, td, &v, p, n);
	if (r.code != RC_OK || r.consumed != n)
		fail_msg("%s does not decode with the RSPDefinitions codec (code %d, %zu of %zu)",
		         td->name, (int)r.code, r.consumed, n);
	ASN_STRUCT_FREE(*td, v);
}

static asn_TYPE_descriptor_t *asn1_type(uint32_t tag)
{
	switch (tag) {
	case 0xBF2E:
		return &asn_DEF_GetEuiccChallengeResponse;
	case 0xBF20:
		return &asn_DEF_EUICCInfo1;
	case 0xBF22:
		return &asn_DEF_EUICCInfo2;
	case 0xBF38:
		return NULL; /* certificates: below */
	case 0xBF21:
		return &asn_DEF_PrepareDownloadResponse;
	case 0xBF37:
		return &asn_DEF_ProfileInstallationResult;
	case 0xBF41:
		return &asn_DEF_CancelSessionResponse;
	case 0xBF2D:
		return &asn_DEF_ProfileInfoListResponse;
	case 0xBF31:
		return &asn_DEF_EnableProfileResponse;
	case 0xBF32:
		return &asn_DEF_DisableProfileResponse;
	case 0xBF33:
		return &asn_DEF_DeleteProfileResponse;
	case 0xBF28:
		return &asn_DEF_ListNotificationResponse;
	case 0xBF2B:
		return NULL;
	case 0xBF30:
		return &asn_DEF_NotificationSentResponse;
	case 0xBF34:
		return &asn_DEF_EuiccMemoryResetResponse;
	case 0xBF3E:
		return &asn_DEF_GetEuiccDataResponse;
	case 0xBF29:
		return &asn_DEF_SetNicknameResponse;
	case 0xBF3C:
		return &asn_DEF_EuiccConfiguredAddressesResponse;
	case 0xBF3F:
		return &asn_DEF_SetDefaultDpAddressResponse;
	case 0xBF43:
		return &asn_DEF_GetRatResponse;
	default:
		fail_msg("no RSPDefinitions type for %04X", (unsigned)tag);
	}
	return NULL;
}

/* The response as one TLV with the given tag; returns its value. */
static orsp_slice rsp_value(card *c, uint32_t tag)
{
	orsp_tlv t;
	assert_int_equal(c->sw, 0x9000);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(c->out, c->out_len), &t), ORSP_OK);
	assert_int_equal(t.tag, tag);
	if (asn1_type(tag)) {
		asn1_ok(asn1_type(tag), c->out, c->out_len);
	} else {
		/* The generated PKIX Certificate type does not decode the SGP.26 certificates, so
		 * what carries certificates is checked without them. */
		orsp_tlv x, y, z;
		orsp_reader r;
		assert_int_equal(orsp_der_parse_one(t.value, &x), ORSP_OK);
		orsp_reader_init(&r, x.value.p, x.value.len);
		if (tag == 0xBF38 && x.tag == 0xA1) {
			asn1_ok(&asn_DEF_AuthenticateServerResponse, c->out, c->out_len);
		} else if (tag == 0xBF38) {
			assert_int_equal(orsp_der_read(&r, &y), ORSP_OK);
			asn1_ok(&asn_DEF_EuiccSigned1, y.raw.p, y.raw.len);
		} else if (x.tag == 0x81) {
			asn1_ok(&asn_DEF_RetrieveNotificationsListResponse, c->out, c->out_len);
		}
		while (tag == 0xBF2B && x.tag == 0xA0 && orsp_reader_remaining(&r)) {
			assert_int_equal(orsp_der_read(&r, &y), ORSP_OK);
			if (y.tag == 0xBF37) {
				asn1_ok(&asn_DEF_ProfileInstallationResult, y.raw.p, y.raw.len);
			} else {
				assert_int_equal(y.tag, 0x30);
				orsp_reader zr;
				orsp_reader_init(&zr, y.value.p, y.value.len);
				assert_int_equal(orsp_der_read(&zr, &z), ORSP_OK);
				asn1_ok(&asn_DEF_NotificationMetadata, z.raw.p, z.raw.len);
			}
		}
	}
	return t.value;
}

/* Find the first TLV with this tag at the top level of v. */
static bool find_tlv(orsp_slice v, uint32_t tag, orsp_tlv *out)
{
	orsp_reader r;
	orsp_reader_init(&r, v.p, v.len);
	while (orsp_reader_remaining(&r)) {
		if (orsp_der_read(&r, out))
			return false;
		if (out->tag == tag)
			return true;
	}
	return false;
}

/* A result code response: tag { 80 code } (SetNickname, Enable, ...). */
static int rsp_code(card *c, uint32_t tag)
{
	orsp_tlv f;
	uint64_t v;
	assert_true(find_tlv(rsp_value(c, tag), 0x80, &f));
	assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
	return (int)v;
}

/* AuthenticateResponseError / PrepareDownload error: tag { A1 { 80 tid, 02 code } }. */
static int rsp_error(card *c, uint32_t tag)
{
	orsp_tlv a1, f;
	uint64_t v;
	assert_true(find_tlv(rsp_value(c, tag), 0xA1, &a1));
	assert_true(find_tlv(a1.value, 0x02, &f));
	assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
	return (int)v;
}

/* ---------------------------------------------------------------- the SM-DP+ side ------- */

typedef struct dl_opts {
	const char *iccid;      /* NULL: ICCID_A */
	const char *meta_iccid; /* metadata ICCID if different from the package's */
	uint8_t ppr;            /* PprIds bits (0x40 ppr1, 0x20 ppr2) */
	bool no_notif_config;
	/* AuthenticateServer */
	bool bad_sig1, wrong_echal, unknown_ci, wrong_auth_cert, no_challenge;
	bool untrusted_auth_cert; /* CERT.DPauth under a CI the eUICC does not trust */
	/* PrepareDownload */
	bool bad_sig2, wrong_tid2, cc_required, hash_cc, pb_cert_as_auth;
	bool other_smdp_pb;      /* CERT.DPpb of another SM-DP+ (SGP.26 DP2, OID 2.999.12) */
	const uint8_t *bpp_otpk; /* bppEuiccOtpk in smdpSigned2 (a retry), 65 bytes */
	/* LoadBoundProfilePackage */
	bool tamper_mac, wrong_tid_bpp, truncate;
	bool drop_end_pe; /* the package without its PE-End: decodes, breaks the rules */
	bool whole_bpp;   /* the BPP as one request to orsp_euicc_es10 (no APDU layer) */
} dl_opts;

static void get_challenge(card *c)
{
	orsp_tlv f;
	assert_int_equal(es10_hex(c, "BF2E00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2E), 0x80, &f));
	assert_int_equal(f.value.len, 16);
	memcpy(c->echal, f.value.p, 16);
}

/* AuthenticateServer; returns the card's status word (response in c->out). */
static uint16_t authenticate(card *c, const dl_opts *o)
{
	uint8_t s1[256], req[4096], sig[64];
	orsp_writer w;
	orsp_der_mark m, ctx, di;

	assert_int_equal(orsp_random(c->tid, 16), ORSP_OK);
	c->tid_len = 16;
	assert_int_equal(orsp_random(c->schal, 16), ORSP_OK);
	orsp_writer_init(&w, s1, sizeof(s1));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_put_tlv(&w, 0x80, c->tid, 16);
	uint8_t ech[16];
	memcpy(ech, c->echal, 16);
	if (o->wrong_echal)
		ech[3] ^= 1;
	orsp_der_put_tlv(&w, 0x81, ech, 16);
	orsp_der_put_tlv(&w, 0x83, SMDP_ADDR, strlen(SMDP_ADDR));
	orsp_der_put_tlv(&w, 0x84, c->schal, 16);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	size_t s1_len = w.len;
	assert_int_equal(orsp_ecdsa_sign(c->auth_sk, s1, s1_len, sig), ORSP_OK);
	if (o->bad_sig1)
		sig[10] ^= 0x01;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF38);
	orsp_write_bytes(&w, s1, s1_len);
	orsp_der_put_tlv(&w, 0x5F37, sig, 64);
	uint8_t ski[32];
	memcpy(ski, c->ci_ski, c->ci_ski_len);
	if (o->unknown_ci)
		ski[0] ^= 0xFF;
	orsp_der_put_tlv(&w, 0x04, ski, c->ci_ski_len);
	if (o->wrong_auth_cert) {
		orsp_write_bytes(&w, c->pb_cert, c->pb_cert_len); /* DPpb where DPauth belongs */
	} else if (o->untrusted_auth_cert) {
		/* the brainpool CI's DPauth, to a card that trusts only the NIST CI */
		size_t n;
		uint8_t *x = load_der("DPauth/CERT_S_SM_DPauth_ECDSA_BRP.der", &n);
		orsp_write_bytes(&w, x, n);
		free(x);
	} else
		orsp_write_bytes(&w, c->auth_cert, c->auth_cert_len);
	ctx = orsp_der_begin(&w, 0xA0); /* ctxParams1: ctxParamsForCommonAuthentication */
	orsp_der_put_tlv(&w, 0x80, "", 0);
	di = orsp_der_begin(&w, 0xA1);
	orsp_der_put_tlv(&w, 0x80, "\x35\x29\x06\x11", 4);
	orsp_der_put_tlv(&w, 0xA1, "", 0);
	orsp_der_end(&w, di);
	orsp_der_end(&w, ctx);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return store_data(c, req, w.len);
}

/* Check an AuthenticateResponseOk and keep euiccSignature1. */
static void check_auth_ok(card *c)
{
	orsp_tlv a0, s1, sig, f, cert, eum;
	orsp_reader r;

	assert_true(find_tlv(rsp_value(c, 0xBF38), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x30, &s1), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x30, &cert), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x30, &eum), ORSP_OK);
	assert_int_equal(orsp_reader_remaining(&r), 0);
	assert_int_equal(sig.value.len, 64);
	assert_int_equal(cert.raw.len, c->euicc_cert_len);
	assert_bytes_equal(cert.raw.p, c->euicc_cert, c->euicc_cert_len);
	/* euiccSignature1 over the raw euiccSigned1 */
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, s1.raw.p, s1.raw.len, sig.value.p),
	                 ORSP_OK);
	memcpy(c->sig1, sig.value.p, 64);
	/* euiccSigned1 { transactionId, serverAddress, serverChallenge, euiccInfo2, ctxParams1 } */
	orsp_reader_init(&r, s1.value.p, s1.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x80, &f), ORSP_OK);
	assert_bytes_equal(f.value.p, c->tid, 16);
	assert_int_equal(orsp_der_expect(&r, 0x83, &f), ORSP_OK);
	assert_int_equal(f.value.len, strlen(SMDP_ADDR));
	assert_int_equal(orsp_der_expect(&r, 0x84, &f), ORSP_OK);
	assert_bytes_equal(f.value.p, c->schal, 16);
	assert_int_equal(orsp_der_expect(&r, 0xBF22, &f), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0xA0, &f), ORSP_OK);
	assert_int_equal(orsp_reader_remaining(&r), 0);
}

static uint16_t prepare(card *c, const dl_opts *o)
{
	uint8_t s2[128], msg[256], req[2048];
	orsp_writer w;
	orsp_der_mark m;

	orsp_writer_init(&w, s2, sizeof(s2));
	m = orsp_der_begin(&w, 0x30);
	uint8_t tid[16];
	memcpy(tid, c->tid, 16);
	if (o->wrong_tid2)
		tid[0] ^= 0x80;
	orsp_der_put_tlv(&w, 0x80, tid, 16);
	orsp_der_put_tlv(&w, 0x01, o->cc_required ? "\xFF" : "\x00", 1);
	if (o->bpp_otpk)
		orsp_der_put_tlv(&w, 0x5F49, o->bpp_otpk, 65);
	orsp_der_end(&w, m);
	size_t n = w.len;
	memcpy(msg, s2, n);
	memcpy(msg + n, "\x5F\x37\x40", 3);
	memcpy(msg + n + 3, c->sig1, 64);
	orsp_ec_key *pb = c->pb_sk;
	uint8_t *pb_cert = c->pb_cert;
	size_t pb_cert_len = c->pb_cert_len;
	if (o->other_smdp_pb) {
		pb = load_key("DPpb/SK_S_SM_DP2pb_ECDSA_NIST.pem");
		pb_cert = load_der("DPpb/CERT_S_SM_DP2pb_ECDSA_NIST.der", &pb_cert_len);
	}
	assert_int_equal(orsp_ecdsa_sign(pb, msg, n + 67, c->smdp_sig2), ORSP_OK);
	uint8_t sig[64];
	memcpy(sig, c->smdp_sig2, 64);
	if (o->bad_sig2)
		sig[5] ^= 0x10;

	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF21);
	orsp_write_bytes(&w, s2, n);
	orsp_der_put_tlv(&w, 0x5F37, sig, 64);
	if (o->hash_cc)
		orsp_der_put_tlv(&w, 0x04, "0123456789abcdef0123456789abcdef", 32);
	if (o->pb_cert_as_auth)
		orsp_write_bytes(&w, c->auth_cert, c->auth_cert_len);
	else
		orsp_write_bytes(&w, pb_cert, pb_cert_len);
	orsp_der_end(&w, m);
	if (o->other_smdp_pb) {
		orsp_ec_free(pb);
		free(pb_cert);
	}
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return store_data(c, req, w.len);
}

static void check_prepare_ok(card *c, bool hash_cc)
{
	orsp_tlv a0, s2, sig, f;
	orsp_reader r;
	uint8_t msg[256];

	assert_true(find_tlv(rsp_value(c, 0xBF21), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x30, &s2), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(sig.value.len, 64);
	/* euiccSignature2 over DER(EUICCSigned2) || 5F37 40 || smdpSignature2 */
	assert_true(s2.raw.len + 67 <= sizeof(msg));
	memcpy(msg, s2.raw.p, s2.raw.len);
	memcpy(msg + s2.raw.len, "\x5F\x37\x40", 3);
	memcpy(msg + s2.raw.len + 3, c->smdp_sig2, 64);
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, msg, s2.raw.len + 67, sig.value.p),
	                 ORSP_OK);
	orsp_reader_init(&r, s2.value.p, s2.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x80, &f), ORSP_OK);
	assert_bytes_equal(f.value.p, c->tid, 16);
	assert_int_equal(orsp_der_expect(&r, 0x5F49, &f), ORSP_OK);
	assert_int_equal(f.value.len, 65);
	assert_int_equal(f.value.p[0], 0x04);
	memcpy(c->otpk, f.value.p, 65);
	if (hash_cc) {
		assert_int_equal(orsp_der_expect(&r, 0x04, &f), ORSP_OK);
		assert_int_equal(f.value.len, 32);
	}
	assert_int_equal(orsp_reader_remaining(&r), 0);
}

/* StoreMetadataRequest for iccid, with the notification configuration and PPRs. */
static size_t metadata(const dl_opts *o, const char *iccid, uint8_t *buf, size_t cap)
{
	orsp_writer w;
	orsp_der_mark m, nc, op;
	uint8_t ef[10];

	assert_int_equal(orsp_iccid_encode_ef(iccid, ef), ORSP_OK);
	orsp_writer_init(&w, buf, cap);
	m = orsp_der_begin(&w, 0xBF25);
	orsp_der_put_tlv(&w, 0x5A, ef, 10);
	orsp_der_put_tlv(&w, 0x91, "GSMA Test", 9);
	orsp_der_put_tlv(&w, 0x92, "TS.48 test", 10);
	orsp_der_put_tlv(&w, 0x95, "\x02", 1); /* operational */
	if (!o->no_notif_config) {
		nc = orsp_der_begin(&w, 0xB6);
		op = orsp_der_begin(&w, 0x30);
		orsp_der_put_tlv(&w, 0x80, "\x04\xF0", 2); /* install, enable, disable, delete */
		orsp_der_put_tlv(&w, 0x81, NOTIF_ADDR, strlen(NOTIF_ADDR));
		orsp_der_end(&w, op);
		orsp_der_end(&w, nc);
	}
	if (o->ppr) {
		uint8_t b[2] = {0x05, o->ppr};
		orsp_der_put_tlv(&w, 0x99, b, 2);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return w.len;
}

/* Build the BPP for the session and send it in lpac's pieces; returns the last SW. */
static uint16_t load_bpp(card *c, const dl_opts *o)
{
	const char *iccid = o->iccid ? o->iccid : ICCID_A;
	uint8_t meta[512], eid[16];
	orsp_ec_key *otsk = NULL;
	size_t size = 0;
	orsp_writer w;

	free(c->upp);
	c->upp = make_upp(iccid, &c->upp_len);
	if (o->drop_end_pe) {
		orsp_reader ur;
		orsp_tlv pe;
		size_t last = 0;
		orsp_reader_init(&ur, c->upp, c->upp_len);
		while (orsp_reader_remaining(&ur)) {
			last = c->upp_len - orsp_reader_remaining(&ur);
			assert_int_equal(orsp_der_read(&ur, &pe), ORSP_OK);
		}
		c->upp_len = last;
	}
	size_t meta_len = metadata(o, o->meta_iccid ? o->meta_iccid : iccid, meta, sizeof(meta));
	assert_int_equal(orsp_hex_decode_exact(EID, eid, 16), ORSP_OK);
	assert_int_equal(orsp_ec_generate(orsp_ec_curve(c->pb_sk), &otsk), ORSP_OK);
	uint8_t tid[16];
	memcpy(tid, c->tid, 16);
	if (o->wrong_tid_bpp)
		tid[15] ^= 1;
	orsp_bsp_bpp_params p = {
	    .dppb = c->pb_sk,
	    .smdp_otsk = otsk,
	    .euicc_otpk = orsp_slice_make(c->otpk, 65),
	    .transaction_id = orsp_slice_make(tid, 16),
	    .host_id = orsp_slice_make("openrsp-test", 12),
	    .eid = eid,
	    .configure_isdp = orsp_slice_make("\xBF\x24\x00", 3),
	    .store_metadata = orsp_slice_make(meta, meta_len),
	    .profile = orsp_slice_make(c->upp, c->upp_len),
	};
	assert_int_equal(orsp_bsp_bpp_size(&p, &size), ORSP_OK);
	uint8_t *bpp = malloc(size);
	assert_non_null(bpp);
	orsp_writer_init(&w, bpp, size);
	assert_int_equal(orsp_bsp_bpp_build(&p, &w), ORSP_OK);
	orsp_ec_free(otsk);

	/* BF36 header + BF23; A0 whole; A1 header, each 88; A2 whole; A3 header, each 86 */
	orsp_tlv top, part, seg;
	orsp_reader r, sr = {0};
	uint16_t sw = 0;
	size_t n86 = 0;
	bool skipped = false;
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(bpp, w.len), &top), ORSP_OK);
	assert_int_equal(top.tag, 0xBF36);
	if (o->whole_bpp) {
		orsp_writer rw;
		orsp_writer_init(&rw, c->out, sizeof(c->out));
		assert_int_equal(orsp_euicc_es10(&c->e, orsp_slice_make(bpp, w.len), &rw), ORSP_OK);
		c->out_len = rw.len;
		c->sw = 0x9000;
		c->bpp_all_sent = true;
		free(bpp);
		return c->sw;
	}
	orsp_reader_init(&r, top.value.p, top.value.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF23, &part), ORSP_OK);
	sw = store_data(c, bpp, (size_t)(part.raw.p + part.raw.len - bpp));
	while (sw == 0x9000 && c->out_len == 0 && orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &part), ORSP_OK);
		if (part.tag == 0xA0 || part.tag == 0xA2) {
			sw = store_data(c, part.raw.p, part.raw.len);
			continue;
		}
		sw = store_data(c, part.raw.p, (size_t)(part.value.p - part.raw.p));
		orsp_reader_init(&sr, part.value.p, part.value.len);
		while (sw == 0x9000 && c->out_len == 0 && orsp_reader_remaining(&sr)) {
			assert_int_equal(orsp_der_read(&sr, &seg), ORSP_OK);
			uint8_t s[1100];
			memcpy(s, seg.raw.p, seg.raw.len);
			if (seg.tag == 0x86 && o->tamper_mac && ++n86 == 2)
				s[seg.raw.len - 1] ^= 1; /* last byte of the C-MAC */
			if (seg.tag == 0x86 && o->truncate && !orsp_reader_remaining(&sr) &&
			    !orsp_reader_remaining(&r)) {
				skipped = true;
				break; /* the last segment never comes */
			}
			sw = store_data(c, s, seg.raw.len);
		}
	}
	c->bpp_all_sent = !skipped && !orsp_reader_remaining(&r) && !orsp_reader_remaining(&sr);
	free(bpp);
	return sw;
}

/* The PIR: verify euiccSignPIR; return the finalResult (A0 success / A1 error) and, for an
 * error, bppCommandId and errorReason. */
static uint32_t check_pir(card *c, int *cmd, int *reason, uint8_t aid[16])
{
	orsp_tlv d, sig, f, fr, res, x;
	orsp_reader r;
	uint64_t v;

	orsp_slice pir = rsp_value(c, 0xBF37);
	orsp_reader_init(&r, pir.p, pir.len);
	assert_int_equal(orsp_der_expect(&r, 0xBF27, &d), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, d.raw.p, d.raw.len, sig.value.p), ORSP_OK);
	assert_true(find_tlv(d.value, 0x80, &f));
	assert_int_equal(f.value.len, c->tid_len);
	assert_bytes_equal(f.value.p, c->tid, c->tid_len);
	assert_true(find_tlv(d.value, 0xBF2F, &f));
	assert_true(find_tlv(d.value, 0xA2, &fr));
	assert_int_equal(orsp_der_parse_one(fr.value, &res), ORSP_OK);
	if (res.tag == 0xA0) {
		assert_true(find_tlv(res.value, 0x4F, &x));
		assert_int_equal(x.value.len, 16);
		if (aid)
			memcpy(aid, x.value.p, 16);
	} else {
		assert_int_equal(res.tag, 0xA1);
		assert_true(find_tlv(res.value, 0x80, &x));
		assert_int_equal(orsp_der_uint(x.value, &v), ORSP_OK);
		*cmd = (int)v;
		assert_true(find_tlv(res.value, 0x81, &x));
		assert_int_equal(orsp_der_uint(x.value, &v), ORSP_OK);
		*reason = (int)v;
	}
	return res.tag;
}

/* The whole download; returns the PIR's result tag (A0 / A1). */
static uint32_t download(card *c, const dl_opts *o, int *cmd, int *reason, uint8_t aid[16])
{
	get_challenge(c);
	assert_int_equal(authenticate(c, o), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, o), 0x9000);
	check_prepare_ok(c, o->hash_cc);
	assert_int_equal(load_bpp(c, o), 0x9000);
	uint32_t res = check_pir(c, cmd, reason, aid);
	if (res == 0xA0)
		assert_true(c->bpp_all_sent); /* intermediate pieces: 9000, no data */
	return res;
}

static void install_ok(card *c, const char *iccid, uint8_t ppr, uint8_t aid[16])
{
	dl_opts o = {.iccid = iccid, .ppr = ppr};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &o, &cmd, &reason, aid), 0xA0);
}

static void install_fails(card *c, const dl_opts *o, int want_cmd, int want_reason)
{
	int cmd = -1, reason = -1;
	size_t before = orsp_euicc_profile_count(&c->e);
	assert_int_equal(download(c, o, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(cmd, want_cmd);
	assert_int_equal(reason, want_reason);
	assert_int_equal(orsp_euicc_profile_count(&c->e), before);
}

/* ---------------------------------------------------------------- ES10 helpers ---------- */

static uint16_t by_iccid(card *c, uint32_t fn, const char *iccid)
{
	uint8_t ef[10], req[32];
	orsp_writer w;
	orsp_der_mark m, a;
	assert_int_equal(orsp_iccid_encode_ef(iccid, ef), ORSP_OK);
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, fn);
	if (fn == 0xBF33) {
		orsp_der_put_tlv(&w, 0x5A, ef, 10);
	} else {
		a = orsp_der_begin(&w, 0xA0);
		orsp_der_put_tlv(&w, 0x5A, ef, 10);
		orsp_der_end(&w, a);
		orsp_der_put_tlv(&w, 0x81, "\x00", 1); /* refreshFlag false */
	}
	orsp_der_end(&w, m);
	return store_data(c, req, w.len);
}

static uint16_t by_aid(card *c, uint32_t fn, const uint8_t aid[16])
{
	uint8_t req[40];
	orsp_writer w;
	orsp_der_mark m, a;
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, fn);
	if (fn == 0xBF33) {
		orsp_der_put_tlv(&w, 0x4F, aid, 16);
	} else {
		a = orsp_der_begin(&w, 0xA0);
		orsp_der_put_tlv(&w, 0x4F, aid, 16);
		orsp_der_end(&w, a);
		orsp_der_put_tlv(&w, 0x81, "\x00", 1);
	}
	orsp_der_end(&w, m);
	return store_data(c, req, w.len);
}

static int enable(card *c, const char *iccid)
{
	assert_int_equal(by_iccid(c, 0xBF31, iccid), 0x9000);
	return rsp_code(c, 0xBF31);
}

static int disable(card *c, const char *iccid)
{
	assert_int_equal(by_iccid(c, 0xBF32, iccid), 0x9000);
	return rsp_code(c, 0xBF32);
}

static int delete (card *c, const char *iccid)
{
	assert_int_equal(by_iccid(c, 0xBF33, iccid), 0x9000);
	return rsp_code(c, 0xBF33);
}

/* The enabled profile's ICCID per orsp_euicc_profile_get, "" when none. */
static const char *enabled_iccid(card *c)
{
	static orsp_euicc_profile_info pi;
	for (size_t i = 0; i < orsp_euicc_profile_count(&c->e); i++) {
		assert_int_equal(orsp_euicc_profile_get(&c->e, i, &pi), ORSP_OK);
		if (pi.enabled)
			return pi.iccid;
	}
	return "";
}

static bool has_profile(card *c, const char *iccid)
{
	orsp_euicc_profile_info pi;
	for (size_t i = 0; i < orsp_euicc_profile_count(&c->e); i++) {
		assert_int_equal(orsp_euicc_profile_get(&c->e, i, &pi), ORSP_OK);
		if (!strcmp(pi.iccid, iccid))
			return true;
	}
	return false;
}

/* Number of E3 entries of GetProfilesInfo. */
static size_t profiles_info_count(card *c, const char *req_hex)
{
	orsp_tlv a0, e3;
	orsp_reader r;
	size_t n = 0;
	assert_int_equal(es10_hex(c, req_hex), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_expect(&r, 0xE3, &e3), ORSP_OK);
		n++;
	}
	return n;
}

/* SELECT of the TS.48 USIM (ADF.USIM AID from the package): the status word. */
static uint16_t select_usim(card *c)
{
	/* the package's ADF.USIM dfName (TS48_V2 ... NoBERTLV.txt): A0000000871002FF49FF0589 */
	static const uint8_t sel[] = {0x00, 0xA4, 0x04, 0x04, 0x0C, 0xA0, 0x00, 0x00, 0x00,
	                              0x87, 0x10, 0x02, 0xFF, 0x49, 0xFF, 0x05, 0x89, 0x00};
	uint8_t capdu[sizeof(sel)];
	memcpy(capdu, sel, sizeof(sel));
	capdu[0] = 0x01; /* on channel 1, after MANAGE CHANNEL open */
	static const uint8_t open[] = {0x00, 0x70, 0x00, 0x01};
	xfer(c, open, sizeof(open));
	if (c->sw != 0x9000)
		return c->sw;
	xfer(c, capdu, sizeof(capdu));
	uint16_t sw = c->sw;
	static const uint8_t close_ch[] = {0x00, 0x70, 0x80, 0x01};
	xfer(c, close_ch, sizeof(close_ch));
	return sw;
}

/* ---------------------------------------------------------------- tests ----------------- */

static void test_info(void **state)
{
	card *c = card_new();
	orsp_tlv f, a9;
	(void)state;

	/* GetEID: the EID of the identity */
	assert_int_equal(es10_hex(c, "BF3E035C015A"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3E), 0x5A, &f));
	uint8_t eid[16];
	assert_int_equal(orsp_hex_decode_exact(EID, eid, 16), ORSP_OK);
	assert_int_equal(f.value.len, 16);
	assert_bytes_equal(f.value.p, eid, 16);
	assert_string_equal(orsp_euicc_eid(&c->e), EID);

	/* GetEUICCInfo1: the CI's SKI in both lists */
	assert_int_equal(es10_hex(c, "BF2000"), 0x9000);
	orsp_slice v = rsp_value(c, 0xBF20);
	assert_true(find_tlv(v, 0x82, &f));
	assert_true(find_tlv(v, 0xA9, &a9));
	assert_true(find_tlv(a9.value, 0x04, &f));
	assert_int_equal(f.value.len, c->ci_ski_len);
	assert_bytes_equal(f.value.p, c->ci_ski, c->ci_ski_len);
	assert_true(find_tlv(v, 0xAA, &a9));
	assert_true(find_tlv(a9.value, 0x04, &f));
	assert_bytes_equal(f.value.p, c->ci_ski, c->ci_ski_len);

	/* GetEUICCInfo2 */
	assert_int_equal(es10_hex(c, "BF2200"), 0x9000);
	v = rsp_value(c, 0xBF22);
	assert_true(find_tlv(v, 0x81, &f)); /* profileVersion */
	assert_true(find_tlv(v, 0x82, &f)); /* svn */
	assert_true(find_tlv(v, 0xA9, &f));
	assert_true(find_tlv(v, 0xAA, &f));

	/* GetEUICCChallenge: 16 bytes, fresh each time */
	get_challenge(c);
	uint8_t first[16];
	memcpy(first, c->echal, 16);
	get_challenge(c);
	assert_memory_not_equal(first, c->echal, 16);

	/* GetEuiccConfiguredAddresses: the default SM-DP+; SetDefaultDpAddress changes it */
	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	assert_int_equal(f.value.len, strlen(SMDP_ADDR));
	assert_memory_equal(f.value.p, SMDP_ADDR, f.value.len);
	assert_int_equal(es10_hex(c, "BF3F0580036E6577"), 0x9000); /* "new" */
	assert_int_equal(rsp_code(c, 0xBF3F), 0);
	card_reopen(c);
	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	assert_int_equal(f.value.len, 3);
	assert_memory_equal(f.value.p, "new", 3);

	/* GetRAT answers */
	assert_int_equal(es10_hex(c, "BF4300"), 0x9000);
	(void)rsp_value(c, 0xBF43);

	/* an unknown function, malformed TLVs: refused with a status word, never a crash */
	assert_int_equal(es10_hex(c, "BF7F00"), 0x6A81);
	assert_int_not_equal(es10_hex(c, "BF2E05"), 0x9000);     /* length beyond the data */
	assert_int_not_equal(es10_hex(c, "BF2E000000"), 0x9000); /* trailing bytes */
	assert_int_not_equal(es10_hex(c, "BF2E8100"), 0x9000);   /* non-minimal length */
	card_free(c);
}

static void run_download(pki which)
{
	card *c = card_new_pki(which);
	uint8_t aid[16];
	int calls = c->st.calls;

	install_ok(c, ICCID_A, 0, aid);
	assert_int_equal(c->st.calls, calls + 1); /* one commit: upp + isdr */
	/* the ISD-P AID A0000005591010FFFFFFFF89000010nn */
	static const uint8_t base[14] = {0xA0, 0x00, 0x00, 0x05, 0x59, 0x10, 0x10,
	                                 0xFF, 0xFF, 0xFF, 0xFF, 0x89, 0x00, 0x00};
	assert_memory_equal(aid, base, 14);
	assert_int_equal(aid[14], 0x10);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	assert_true(has_profile(c, ICCID_A));
	assert_string_equal(enabled_iccid(c), "");
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 1);

	/* survives a power cycle */
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	orsp_euicc_profile_info pi;
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_string_equal(pi.iccid, ICCID_A);
	assert_string_equal(pi.name, "TS.48 test");
	assert_string_equal(pi.spn, "GSMA Test");
	assert_int_equal(pi.profile_class, 2);
	assert_memory_equal(pi.aid, aid, 16);
	assert_int_equal(orsp_euicc_profile_get(&c->e, 1, &pi), ORSP_E_NOT_FOUND);
	orsp_err_clear();

	/* GetProfilesInfo: all, by ICCID, by AID, with a tagList */
	assert_int_equal(profiles_info_count(c, "BF2D00"), 1);
	assert_int_equal(profiles_info_count(c, "BF2D0EA00C5A0A98001032547698103214"), 1);
	assert_int_equal(profiles_info_count(c, "BF2D0EA00C5A0A98001032547698103285"), 0);
	char hex[80];
	snprintf(hex, sizeof(hex), "BF2D14A0124F10");
	assert_int_equal(orsp_hex_encode(aid, 16, hex + strlen(hex), sizeof(hex) - strlen(hex)),
	                 ORSP_OK);
	assert_int_equal(profiles_info_count(c, hex), 1);
	assert_int_equal(profiles_info_count(c, "BF2D05A003950102"), 1); /* operational */
	assert_int_equal(profiles_info_count(c, "BF2D05A003950100"), 0); /* test */
	assert_int_equal(es10_hex(c, "BF2D035C015A"), 0x9000);
	{
		orsp_tlv a0, e3, f;
		assert_true(find_tlv(rsp_value(c, 0xBF2D), 0xA0, &a0));
		assert_int_equal(orsp_der_parse_one(a0.value, &e3), ORSP_OK);
		assert_int_equal(orsp_der_parse_one(e3.value, &f), ORSP_OK);
		assert_int_equal(f.tag, 0x5A); /* only what the tagList asked for */
		assert_int_equal(f.raw.len, e3.value.len);
	}

	/* enable: state 1, the USIM appears */
	assert_int_equal(select_usim(c), 0x6A82);
	calls = c->st.calls;
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(c->st.calls, calls + 1);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_not_equal(select_usim(c), 0x6A82);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_not_equal(select_usim(c), 0x6A82);
	/* enabling it again, deleting it while enabled */
	assert_int_equal(enable(c, ICCID_A), 2);
	assert_int_equal(delete (c, ICCID_A), 2);
	/* disable: the USIM goes */
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_string_equal(enabled_iccid(c), "");
	assert_int_equal(select_usim(c), 0x6A82);
	assert_int_equal(disable(c, ICCID_A), 2);
	/* SetNickname */
	assert_int_equal(es10_hex(c, "BF2914"
	                             "5A0A98001032547698103214"
	                             "9006"
	                             "4D7950686F6E"),
	                 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_get(&c->e, 0, &pi), ORSP_OK);
	assert_string_equal(pi.nickname, "MyPhon");
	assert_int_equal(es10_hex(c, "BF2914"
	                             "5A0A98001032547698103285"
	                             "9006"
	                             "4D7950686F6E"),
	                 0x9000);
	assert_int_equal(rsp_code(c, 0xBF29), 1);
	/* delete by AID */
	calls = c->st.calls;
	assert_int_equal(by_aid(c, 0xBF33, aid), 0x9000);
	assert_int_equal(c->st.calls, calls + 1); /* isdr + upp + sqn removal together */
	assert_int_equal(rsp_code(c, 0xBF33), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	/* unknown ICCID / AID */
	assert_int_equal(enable(c, ICCID_A), 1);
	assert_int_equal(disable(c, ICCID_B), 1);
	assert_int_equal(delete (c, ICCID_A), 1);
	assert_int_equal(by_aid(c, 0xBF31, aid), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF31), 1);
	card_free(c);
}

static void test_download_nist(void **state)
{
	(void)state;
	run_download(PKI_NIST);
}

static void test_download_brainpool(void **state)
{
	(void)state;
	isdr_channel = 2; /* and on a logical channel */
	run_download(PKI_BRP);
	isdr_channel = 0;
}

/* Notifications: install (the PIR), enable, disable, delete, with sequence numbers. */
static void test_notifications(void **state)
{
	card *c = card_new();
	orsp_tlv a0, n, f;
	orsp_reader r;
	uint64_t seqs[8];
	uint8_t events[8];
	size_t k = 0;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_int_equal(delete (c, ICCID_A), 0);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 4);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 4);

	/* ListNotification: four NotificationMetadata, increasing sequence numbers */
	assert_int_equal(es10_hex(c, "BF2800"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF28), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_expect(&r, 0xBF2F, &n), ORSP_OK);
		assert_true(find_tlv(n.value, 0x80, &f));
		assert_int_equal(orsp_der_uint(f.value, &seqs[k]), ORSP_OK);
		assert_true(find_tlv(n.value, 0x81, &f));
		assert_int_equal(f.value.len, 2);
		events[k] = f.value.p[1];
		assert_true(find_tlv(n.value, 0x0C, &f));
		assert_int_equal(f.value.len, strlen(NOTIF_ADDR));
		assert_memory_equal(f.value.p, NOTIF_ADDR, f.value.len);
		if (k)
			assert_true(seqs[k] > seqs[k - 1]);
		k++;
	}
	assert_int_equal(k, 4);
	assert_int_equal(events[0], 0x80);
	assert_int_equal(events[1], 0x40);
	assert_int_equal(events[2], 0x20);
	assert_int_equal(events[3], 0x10);
	/* with a filter: only the enable one */
	assert_int_equal(es10_hex(c, "BF280481020640"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF28), 0xA0, &a0));
	assert_int_equal(orsp_der_parse_one(a0.value, &n), ORSP_OK);
	assert_int_equal(n.raw.len, a0.value.len);

	/* RetrieveNotificationsList: the PIR and three signed other notifications */
	assert_int_equal(es10_hex(c, "BF2B00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2B), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	k = 0;
	while (orsp_reader_remaining(&r)) {
		orsp_tlv md, sig, ce, eu;
		orsp_reader nr;
		assert_int_equal(orsp_der_read(&r, &n), ORSP_OK);
		orsp_reader_init(&nr, n.value.p, n.value.len);
		if (k == 0) {
			assert_int_equal(n.tag, 0xBF37);
			assert_int_equal(orsp_der_expect(&nr, 0xBF27, &md), ORSP_OK);
		} else {
			assert_int_equal(n.tag, 0x30);
			assert_int_equal(orsp_der_expect(&nr, 0xBF2F, &md), ORSP_OK);
		}
		assert_int_equal(orsp_der_expect(&nr, 0x5F37, &sig), ORSP_OK);
		assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, md.raw.p, md.raw.len, sig.value.p),
		                 ORSP_OK);
		if (k) {
			assert_int_equal(orsp_der_expect(&nr, 0x30, &ce), ORSP_OK);
			assert_int_equal(orsp_der_expect(&nr, 0x30, &eu), ORSP_OK);
			assert_int_equal(ce.raw.len, c->euicc_cert_len);
		}
		assert_int_equal(orsp_reader_remaining(&nr), 0);
		k++;
	}
	assert_int_equal(k, 4);
	/* by sequence number */
	char hex[64];
	snprintf(hex, sizeof(hex), "BF2B05A003800%d%02X", 1, (unsigned)seqs[2]);
	assert_int_equal(es10_hex(c, hex), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2B), 0xA0, &a0));
	assert_int_equal(orsp_der_parse_one(a0.value, &n), ORSP_OK);
	assert_int_equal(n.raw.len, a0.value.len);

	/* RemoveNotificationFromList: each once, then nothingToDelete */
	for (size_t i = 0; i < 4; i++) {
		snprintf(hex, sizeof(hex), "BF3003800%d%02X", 1, (unsigned)seqs[i]);
		assert_int_equal(es10_hex(c, hex), 0x9000);
		assert_int_equal(rsp_code(c, 0xBF30), 0);
		assert_int_equal(es10_hex(c, hex), 0x9000);
		assert_int_equal(rsp_code(c, 0xBF30), 1);
	}
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	/* nothing left: noResultAvailable */
	assert_int_equal(es10_hex(c, "BF2B00"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF2B), 0x81, &f));

	/* a profile without notificationConfigurationInfo: the PIR goes to the SM-DP+ of the
	 * session, enable and disable make no notification */
	dl_opts quiet = {.iccid = ICCID_B, .no_notif_config = true};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &quiet, &cmd, &reason, NULL), 0xA0);
	assert_int_equal(enable(c, ICCID_B), 0);
	assert_int_equal(disable(c, ICCID_B), 0);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 1);
	assert_int_equal(es10_hex(c, "BF2800"), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF28), 0xA0, &a0));
	assert_int_equal(orsp_der_parse_one(a0.value, &n), ORSP_OK);
	assert_true(find_tlv(n.value, 0x0C, &f));
	assert_int_equal(f.value.len, strlen(SMDP_ADDR));
	assert_memory_equal(f.value.p, SMDP_ADDR, f.value.len);
	card_free(c);
}

/* The notification list is full: enable and disable still work, nothing more is recorded
 * until the LPA removes some. */
static void test_notifications_full(void **state)
{
	card *c = card_new();
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	for (size_t i = 0; i < ORSP_EUICC_MAX_NOTIFICATIONS; i++) {
		assert_int_equal(enable(c, ICCID_A), 0);
		assert_int_equal(disable(c, ICCID_A), 0);
	}
	assert_int_equal(orsp_euicc_notification_count(&c->e), ORSP_EUICC_MAX_NOTIFICATIONS);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), ORSP_EUICC_MAX_NOTIFICATIONS);
	assert_int_equal(es10_hex(c, "BF2800"), 0x9000);
	(void)rsp_value(c, 0xBF28);
	card_free(c);
}

/* AuthenticateServer: one failing check at a time, with its AuthenticateErrorCode. */
static void test_authenticate_errors(void **state)
{
	static const struct {
		dl_opts o;
		int code;
	} cases[] = {
	    {{.bad_sig1 = true}, 2},            /* invalidSignature */
	    {{.unknown_ci = true}, 7},          /* ciPKUnknown */
	    {{.wrong_echal = true}, 6},         /* euiccChallengeMismatch */
	    {{.wrong_auth_cert = true}, 1},     /* invalidCertificate: DPpb is not DPauth */
	    {{.no_challenge = true}, 4},        /* noSessionContext */
	    {{.untrusted_auth_cert = true}, 1}, /* invalidCertificate: another CI's DPauth */
	};
	card *c = card_new();
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (!cases[i].o.no_challenge)
			get_challenge(c);
		else
			memset(c->echal, 0, 16);
		assert_int_equal(authenticate(c, &cases[i].o), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF38), cases[i].code);
		/* the session is gone: PrepareDownload finds no context */
		dl_opts ok = {0};
		assert_int_equal(prepare(c, &ok), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), 4);
	}
	/* a challenge is used once */
	dl_opts ok = {0};
	get_challenge(c);
	assert_int_equal(authenticate(c, &ok), 0x9000);
	check_auth_ok(c);
	/* malformed AuthenticateServer requests: no session afterwards either */
	static const char *const bad[] = {"BF3800", "BF380430020500", "BF38053003800101",
	                                  "BF380A3003800101"
	                                  "5F370100"
	                                  "0400"};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		get_challenge(c);
		uint16_t sw = es10_hex(c, bad[i]);
		if (sw == 0x9000)
			assert_int_equal(rsp_error(c, 0xBF38), 127); /* undefinedError */
		else
			assert_int_equal(sw, 0x6A80);
		dl_opts ok2 = {0};
		assert_int_equal(prepare(c, &ok2), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), 4);
	}
	card_free(c);
}

static void test_prepare_errors(void **state)
{
	static const struct {
		dl_opts o;
		int code;
	} cases[] = {
	    {{.bad_sig2 = true}, 2},        /* invalidSignature */
	    {{.wrong_tid2 = true}, 5},      /* invalidTransactionId */
	    {{.pb_cert_as_auth = true}, 1}, /* invalidCertificate */
	    {{.other_smdp_pb = true}, 1},   /* CERT.DPpb of another SM-DP+ than CERT.DPauth's */
	    {{.cc_required = true}, 127},   /* hashCc missing although required */
	    {{.hash_cc = true}, 127},       /* hashCc given although not required */
	};
	card *c = card_new();
	(void)state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		get_challenge(c);
		assert_int_equal(authenticate(c, &cases[i].o), 0x9000);
		check_auth_ok(c);
		assert_int_equal(prepare(c, &cases[i].o), 0x9000);
		assert_int_equal(rsp_error(c, 0xBF21), cases[i].code);
	}
	/* with a confirmation code: hashCc comes back in EUICCSigned2 */
	dl_opts cc = {.cc_required = true, .hash_cc = true};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &cc, &cmd, &reason, NULL), 0xA0);
	card_free(c);
}

static void test_install_errors(void **state)
{
	card *c = card_new();
	(void)state;

	/* a C-MAC of a profile segment tampered with: loadProfileElements(5), security (8) */
	dl_opts mac = {.tamper_mac = true};
	install_fails(c, &mac, 5, 8);
	/* the BPP's transactionId is not the session's: initialiseSecureChannel(0) */
	dl_opts tid = {.wrong_tid_bpp = true};
	install_fails(c, &tid, 0, 3);
	/* metadata for another ICCID than the package's: data mismatch */
	dl_opts mm = {.iccid = ICCID_A, .meta_iccid = ICCID_B};
	install_fails(c, &mm, 5, 13);
	/* the whole BPP in one request (an LPA that does not split it) installs too */
	dl_opts whole = {.iccid = ICCID_C, .whole_bpp = true};
	int wcmd = -1, wreason = -1;
	assert_int_equal(download(c, &whole, &wcmd, &wreason, NULL), 0xA0);
	assert_true(has_profile(c, ICCID_C));
	assert_int_equal(delete (c, ICCID_C), 0);
	/* a package that breaks the package rules (no PE-End): PE processing error */
	dl_opts noend = {.drop_end_pe = true};
	install_fails(c, &noend, 5, 12);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	/* every failure left a PIR notification */
	assert_true(orsp_euicc_notification_count(&c->e) >= 3);

	/* an unfinished package (the last '86' never comes), then another command: nothing is
	 * installed, nothing answered before the end */
	dl_opts tr = {.truncate = true};
	get_challenge(c);
	assert_int_equal(authenticate(c, &tr), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &tr), 0x9000);
	check_prepare_ok(c, false);
	assert_int_equal(load_bpp(c, &tr), 0x9000);
	assert_int_equal(c->out_len, 0);
	assert_false(c->bpp_all_sent);
	assert_int_equal(profiles_info_count(c, "BF2D00"), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);

	/* the ICCID exists already: storeMetadata(2), iccidAlreadyExists(9) */
	install_ok(c, ICCID_A, 0, NULL);
	dl_opts dup = {.iccid = ICCID_A};
	install_fails(c, &dup, 2, 9);

	/* LoadBoundProfilePackage without a session */
	assert_int_equal(es10_hex(c, "BF360A"
	                             "BF2307"
	                             "820101"
	                             "800142"
	                             "A600"),
	                 0x9000);
	{
		int cmd = -1, reason = -1;
		c->tid[0] = 0x42; /* the PIR names BF23's transactionId */
		c->tid_len = 1;
		assert_int_equal(check_pir(c, &cmd, &reason, NULL), 0xA1);
		assert_int_equal(cmd, 0);
	}
	card_free(c);
}

/* A retry of the same binding (SGP.22 §5.7.5): with bppEuiccOtpk the eUICC answers with
 * the one-time key it kept from the earlier session, and the BPP bound to it installs;
 * after an installation the key is gone. */
static void test_otpk_reuse(void **state)
{
	card *c = card_new();
	dl_opts o = {0};
	uint8_t first[65], other[65];
	int cmd = -1, reason = -1;
	(void)state;

	get_challenge(c);
	assert_int_equal(authenticate(c, &o), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &o), 0x9000);
	check_prepare_ok(c, false);
	memcpy(first, c->otpk, 65);
	/* the LPA lost the BPP: a new session, the SM-DP+ asks for the same key */
	dl_opts retry = {.bpp_otpk = first};
	get_challenge(c);
	assert_int_equal(authenticate(c, &retry), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &retry), 0x9000);
	check_prepare_ok(c, false);
	assert_memory_equal(c->otpk, first, 65);
	/* an otPK the eUICC does not hold: a fresh key */
	memcpy(other, first, 65);
	other[40] ^= 1;
	dl_opts wrong = {.bpp_otpk = other};
	get_challenge(c);
	assert_int_equal(authenticate(c, &wrong), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &wrong), 0x9000);
	check_prepare_ok(c, false);
	assert_memory_not_equal(c->otpk, first, 65);
	memcpy(first, c->otpk, 65);
	/* retry with that one, and the BPP bound to it installs */
	get_challenge(c);
	assert_int_equal(authenticate(c, &retry), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &retry), 0x9000);
	check_prepare_ok(c, false);
	assert_memory_equal(c->otpk, first, 65);
	assert_int_equal(load_bpp(c, &retry), 0x9000);
	assert_int_equal(check_pir(c, &cmd, &reason, NULL), 0xA0);
	/* installed: asking for the same key again gets a new one */
	get_challenge(c);
	assert_int_equal(authenticate(c, &retry), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &retry), 0x9000);
	check_prepare_ok(c, false);
	assert_memory_not_equal(c->otpk, first, 65);
	card_free(c);
}

/* The memory is full: installFailedDueToInsufficientMemoryForProfile (10). */
static void test_memory_full(void **state)
{
	static const char *iccids[] = {
	    "89000123456789012341", "89000123456789012358", "89000123456789012366",
	    "89000123456789012374", "89000123456789012382", "89000123456789012390",
	    "89000123456789012408", "89000123456789012416", "89000123456789012424",
	};
	card *c = card_new();
	(void)state;

	_Static_assert(ORSP_EUICC_MAX_PROFILES < sizeof(iccids) / sizeof(iccids[0]),
	               "enough ICCIDs");
	for (size_t i = 0; i < ORSP_EUICC_MAX_PROFILES; i++)
		install_ok(c, iccids[i], 0, NULL);
	dl_opts full = {.iccid = iccids[ORSP_EUICC_MAX_PROFILES]};
	int cmd = -1, reason = -1;
	assert_int_equal(download(c, &full, &cmd, &reason, NULL), 0xA1);
	assert_int_equal(reason, 10);
	assert_int_equal(orsp_euicc_profile_count(&c->e), ORSP_EUICC_MAX_PROFILES);
	card_free(c);
}

/* PPR1: the enabled profile cannot be disabled; PPR2: the profile cannot be deleted. */
static void test_ppr(void **state)
{
	card *c = card_new();
	(void)state;

	install_ok(c, ICCID_A, 0x40, NULL); /* ppr1 */
	install_ok(c, ICCID_B, 0x20, NULL); /* ppr2 */
	install_ok(c, ICCID_C, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(disable(c, ICCID_A), 3);
	assert_int_equal(enable(c, ICCID_C), 3); /* would disable A */
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(delete (c, ICCID_B), 3);
	assert_true(has_profile(c, ICCID_B));
	assert_int_equal(delete (c, ICCID_C), 0);
	/* at most one enabled profile */
	card_free(c);

	c = card_new();
	install_ok(c, ICCID_A, 0, NULL);
	install_ok(c, ICCID_B, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(enable(c, ICCID_B), 0);
	assert_string_equal(enabled_iccid(c), ICCID_B);
	assert_int_equal(profiles_info_count(c, "BF2D00"), 2);
	size_t n_enabled = 0;
	orsp_euicc_profile_info pi;
	for (size_t i = 0; i < 2; i++) {
		assert_int_equal(orsp_euicc_profile_get(&c->e, i, &pi), ORSP_OK);
		n_enabled += pi.enabled;
	}
	assert_int_equal(n_enabled, 1);
	card_free(c);
}

/* Crash injection: the Nth commit fails; reopening gives exactly the old state, and with
 * the commit succeeding exactly the new one. */
static void test_crash(void **state)
{
	card *c = card_new();
	(void)state;

	/* install */
	c->st.fail_at = c->st.calls + 1;
	dl_opts o = {.iccid = ICCID_A};
	get_challenge(c);
	assert_int_equal(authenticate(c, &o), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &o), 0x9000);
	check_prepare_ok(c, false);
	uint16_t sw = load_bpp(c, &o);
	assert_int_not_equal(sw, 0x9000);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	/* a failed installation whose error PIR cannot be recorded: no phantom notification */
	dl_opts mac = {.tamper_mac = true};
	get_challenge(c);
	assert_int_equal(authenticate(c, &mac), 0x9000);
	check_auth_ok(c);
	assert_int_equal(prepare(c, &mac), 0x9000);
	check_prepare_ok(c, false);
	c->st.fail_at = c->st.calls + 1;
	assert_int_equal(load_bpp(c, &mac), 0x6581);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);
	card_reopen(c);
	assert_int_equal(orsp_euicc_notification_count(&c->e), 0);

	install_ok(c, ICCID_A, 0, NULL);
	install_ok(c, ICCID_B, 0, NULL);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 2);
	size_t notifs = orsp_euicc_notification_count(&c->e);

	/* enable */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(by_iccid(c, 0xBF31, ICCID_A), 0x9000);
	assert_string_equal(enabled_iccid(c), "");
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), "");
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(enable(c, ICCID_A), 0);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	notifs = orsp_euicc_notification_count(&c->e);

	/* enable another (disables A in the same commit) */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(by_iccid(c, 0xBF31, ICCID_B), 0x9000);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);

	/* disable */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(by_iccid(c, 0xBF32, ICCID_A), 0x9000);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(disable(c, ICCID_A), 0);
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), "");

	/* delete: profile, upp and sqn records go together or not at all */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(by_iccid(c, 0xBF33, ICCID_B), 0x9000);
	assert_true(has_profile(c, ICCID_B));
	card_reopen(c);
	assert_true(has_profile(c, ICCID_B));
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 2);
	assert_int_equal(delete (c, ICCID_B), 0);
	card_reopen(c);
	assert_false(has_profile(c, ICCID_B));
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 1);
	card_free(c);
}

/* CancelSession: a signed EuiccCancelSessionSigned for the session's transactionId. */
static void test_cancel_session(void **state)
{
	card *c = card_new();
	dl_opts o = {0};
	orsp_tlv a0, s, sig, f;
	orsp_reader r;
	uint8_t req[64];
	orsp_writer w;
	orsp_der_mark m;
	(void)state;

	get_challenge(c);
	assert_int_equal(authenticate(c, &o), 0x9000);
	check_auth_ok(c);
	/* a wrong transactionId */
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	orsp_der_put_tlv(&w, 0x80, "\x01\x02", 2);
	orsp_der_put_uint(&w, 0x81, 0);
	orsp_der_end(&w, m);
	assert_int_equal(store_data(c, req, w.len), 0x9000);
	assert_false(find_tlv(rsp_value(c, 0xBF41), 0xA0, &a0));
	/* the right one */
	orsp_writer_init(&w, req, sizeof(req));
	m = orsp_der_begin(&w, 0xBF41);
	orsp_der_put_tlv(&w, 0x80, c->tid, 16);
	orsp_der_put_uint(&w, 0x81, 1); /* postponed */
	orsp_der_end(&w, m);
	assert_int_equal(store_data(c, req, w.len), 0x9000);
	assert_true(find_tlv(rsp_value(c, 0xBF41), 0xA0, &a0));
	orsp_reader_init(&r, a0.value.p, a0.value.len);
	assert_int_equal(orsp_der_expect(&r, 0x30, &s), ORSP_OK);
	assert_int_equal(orsp_der_expect(&r, 0x5F37, &sig), ORSP_OK);
	assert_int_equal(orsp_ecdsa_verify(c->euicc_pk, s.raw.p, s.raw.len, sig.value.p), ORSP_OK);
	assert_true(find_tlv(s.value, 0x80, &f));
	assert_bytes_equal(f.value.p, c->tid, 16);
	assert_true(find_tlv(s.value, 0x82, &f));
	/* the session is over */
	assert_int_equal(prepare(c, &o), 0x9000);
	assert_int_equal(rsp_error(c, 0xBF21), 4);
	card_free(c);
}

/* AUTHENTICATE (3G context) through the USIM of the enabled profile on channel 1; the
 * status word. */
static uint16_t usim_auth(card *c, const uint8_t rand[16], const uint8_t autn[16])
{
	static const uint8_t open[] = {0x00, 0x70, 0x00, 0x01};
	static const uint8_t close_ch[] = {0x00, 0x70, 0x80, 0x01};
	uint8_t sel[] = {0x01, 0xA4, 0x04, 0x04, 0x0C, 0xA0, 0x00, 0x00, 0x00,
	                 0x87, 0x10, 0x02, 0xFF, 0x49, 0xFF, 0x05, 0x89, 0x00};
	uint8_t cmd[5 + 34 + 1] = {0x01, 0x88, 0x00, 0x81, 34, 16};
	uint16_t sw;

	memcpy(cmd + 6, rand, 16);
	cmd[22] = 16;
	memcpy(cmd + 23, autn, 16);
	xfer(c, open, sizeof(open));
	assert_int_equal(c->sw, 0x9000);
	xfer(c, sel, sizeof(sel));
	assert_int_equal(c->sw, 0x9000);
	xfer(c, cmd, sizeof(cmd));
	sw = c->sw;
	if (sw == 0x9000)
		assert_true(c->out_len > 0 && (c->out[0] == 0xDB || c->out[0] == 0xDC));
	uint8_t tag = c->out_len ? c->out[0] : 0;
	xfer(c, close_ch, sizeof(close_ch));
	return sw == 0x9000 ? (uint16_t)(0x9000 | tag) : sw; /* 90DB success, 90DC resync */
}

/* The USIM of the enabled profile keeps its SQN state in "sqn.<isdp>" through the persist
 * callback: an AUTHENTICATE accepted once is a replay after a power cycle, and a failing
 * commit keeps RES from leaving the card (6581). */
static void test_usim_sqn(void **state)
{
	card *c = card_new();
	orsp_aka_subscriber sub;
	orsp_aka_vector v;
	uint8_t k[16], opc[16], rand[16] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
	static const uint8_t sqn1[6] = {0, 0, 0, 0, 0, 0x40}, sqn2[6] = {0, 0, 0, 0, 0, 0x80};
	static const uint8_t amf[2] = {0x80, 0x00};
	(void)state;

	upp_milenage = true;
	install_ok(c, ICCID_A, 0, NULL);
	upp_milenage = false;
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	assert_int_equal(orsp_hex_decode_exact(MIL_K, k, 16), ORSP_OK);
	assert_int_equal(orsp_hex_decode_exact(MIL_OPC, opc, 16), ORSP_OK);
	assert_int_equal(orsp_aka_subscriber_init(&sub, ORSP_AKA_MILENAGE, k, 16, opc, 16),
	                 ORSP_OK);
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn1, amf, &v), ORSP_OK);
	assert_int_equal(usim_auth(c, rand, v.autn), 0x90DB);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 1);
	card_reopen(c);
	/* the same SQN again: synchronisation failure (the state came back from the store) */
	assert_int_equal(usim_auth(c, rand, v.autn), 0x90DC);
	/* a fresh SQN, but the commit fails: no RES */
	assert_int_equal(orsp_aka_generate(&sub, rand, sqn2, amf, &v), ORSP_OK);
	c->st.fail_at = c->st.calls + 1;
	assert_int_equal(usim_auth(c, rand, v.autn), 0x6581);
	assert_int_equal(usim_auth(c, rand, v.autn), 0x90DB);
	/* disable: the USIM is gone; delete removes the sqn record with the profile */
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_int_equal(select_usim(c), 0x6A82);
	assert_int_equal(delete (c, ICCID_A), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	orsp_aka_vector_wipe(&v);
	orsp_aka_subscriber_wipe(&sub);
	card_free(c);
}

/* eUICCMemoryReset: operational profiles and their records go, in one commit. */
static void test_memory_reset(void **state)
{
	card *c = card_new();
	orsp_tlv f;
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	install_ok(c, ICCID_B, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	/* the commit fails: everything is still there, after a power cycle too */
	c->st.fail_at = c->st.calls + 1;
	assert_int_not_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 2);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 2);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 2);
	/* deleteOperationalProfiles */
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	assert_int_equal(ms_count_prefix(&c->st, "upp."), 0);
	assert_int_equal(ms_count_prefix(&c->st, "sqn."), 0);
	assert_int_equal(select_usim(c), 0x6A82);
	card_reopen(c);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	/* again: nothingToDelete */
	assert_int_equal(es10_hex(c, "BF340482020780"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 1);
	/* resetDefaultSmdpAddress */
	assert_int_equal(es10_hex(c, "BF340482020520"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 0);
	card_reopen(c);
	assert_int_equal(es10_hex(c, "BF3C00"), 0x9000);
	assert_false(find_tlv(rsp_value(c, 0xBF3C), 0x80, &f));
	/* no resetOptions */
	assert_int_equal(es10_hex(c, "BF3400"), 0x9000);
	assert_int_equal(rsp_code(c, 0xBF34), 127);
	card_free(c);
}

/* Malformed requests of every function: refused with a status word or an error code, and
 * the state is unchanged. */
static void test_malformed(void **state)
{
	/* request, the function's response tag and the code it must carry; code -1: the
	 * request is refused with 6A80 (not one well-formed TLV, or no such function 6A81) */
	static const struct {
		const char *hex;
		uint32_t tag;
		int code;
	} bad[] = {
	    {"BF3103A00100", 0, -1},                         /* A0 holding half a TLV */
	    {"BF3105A0035A0101", 0xBF31, 1},                 /* ICCID of 1 byte: not found */
	    {"BF31025A00", 0xBF31, 1},                       /* no A0 */
	    {"BF3204A0024F00", 0xBF32, 1},                   /* empty AID */
	    {"BF33035A0112", 0xBF33, 1},                     /* short ICCID */
	    {"BF33024F00", 0xBF33, 1},                       /* empty AID */
	    {"BF330100", 0, -1},                             /* not a TLV inside */
	    {"BF2903800100", 0xBF29, 127},                   /* SetNickname without the ICCID */
	    {"BF290C5A0A98001032547698103214", 0xBF29, 127}, /* no nickname */
	    {"BF30028100", 0xBF30, 127},                     /* wrong tag */
	    {"BF3003800201", 0, -1},                         /* length beyond the data */
	    {"BF3F03810100", 0xBF3F, 127},                   /* SetDefaultDpAddress: wrong tag */
	    {"BF41028000", 0xBF41, 5},                       /* CancelSession, no session */
	    {"BF21023000", 0xBF21, 127}, /* PrepareDownload: not its structure */
	    {"BF2D025C", 0, -1},         /* truncated */
	    {"BF36", 0, -1},
	    {"BF3601", 0, -1},
	    {"BF2E", 0, -1},
	    {"BF", 0, -1},
	    {"00", 0, -1},
	};
	card *c = card_new();
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	size_t notifs = orsp_euicc_notification_count(&c->e);
	int calls = c->st.calls;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		uint16_t sw = es10_hex(c, bad[i].hex);
		if (bad[i].code < 0) {
			assert_int_equal(sw, 0x6A80);
			continue;
		}
		assert_int_equal(sw, 0x9000);
		if (bad[i].tag == 0xBF41) {
			orsp_tlv f;
			uint64_t v;
			assert_true(find_tlv(rsp_value(c, 0xBF41), 0x81, &f));
			assert_int_equal(orsp_der_uint(f.value, &v), ORSP_OK);
			assert_int_equal((int)v, bad[i].code);
		} else if (bad[i].tag == 0xBF21) {
			assert_int_equal(rsp_error(c, 0xBF21), bad[i].code);
		} else {
			assert_int_equal(rsp_code(c, bad[i].tag), bad[i].code);
		}
	}
	/* an unknown function is 6A81; a TLV that is not ES10 too */
	assert_int_equal(es10_hex(c, "30020500"), 0x6A81);
	/* nothing changed, nothing was written */
	assert_int_equal(c->st.calls, calls);
	assert_int_equal(orsp_euicc_notification_count(&c->e), notifs);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 1);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	/* GetProfilesInfo with an ICCID that matches nothing: an empty list */
	assert_int_equal(profiles_info_count(c, "BF2D04A0025A00"), 0);
	card_free(c);
}

/* The enabled profile's package record is damaged: the card still opens, the ISD-R still
 * answers, the USIM is absent, and the profile can be disabled and deleted. */
static void test_damaged_upp(void **state)
{
	card *c = card_new();
	(void)state;

	install_ok(c, ICCID_A, 0, NULL);
	assert_int_equal(enable(c, ICCID_A), 0);
	assert_int_not_equal(select_usim(c), 0x6A82);
	for (int i = 0; i < MS_MAX; i++)
		if (c->st.r[i].data && !strncmp(c->st.r[i].name, "upp.", 4))
			c->st.r[i].len /= 2;
	card_reopen(c);
	assert_string_equal(enabled_iccid(c), ICCID_A);
	assert_int_equal(select_usim(c), 0x6A82);
	assert_int_equal(disable(c, ICCID_A), 0);
	assert_int_equal(delete (c, ICCID_A), 0);
	assert_int_equal(orsp_euicc_profile_count(&c->e), 0);
	card_free(c);
}

/* A damaged or missing store. */
static void test_open_errors(void **state)
{
	static orsp_euicc e;
	mem_store st = {0};
	(void)state;

	assert_int_equal(orsp_euicc_open(&e, &ms_ops, &st), ORSP_E_NOT_FOUND);
	orsp_err_clear();
	uint8_t junk[] = {0x30, 0x03, 0x5A, 0x01, 0x00};
	orsp_euicc_record r[2] = {{"ecasd", junk, sizeof(junk)}, {"isdr", junk, sizeof(junk)}};
	assert_int_equal(ms_commit(&st, r, 2), ORSP_OK);
	assert_int_not_equal(orsp_euicc_open(&e, &ms_ops, &st), ORSP_OK);
	orsp_err_clear();
	ms_free(&st);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_info),
	    cmocka_unit_test(test_download_nist),
	    cmocka_unit_test(test_download_brainpool),
	    cmocka_unit_test(test_notifications),
	    cmocka_unit_test(test_notifications_full),
	    cmocka_unit_test(test_authenticate_errors),
	    cmocka_unit_test(test_prepare_errors),
	    cmocka_unit_test(test_install_errors),
	    cmocka_unit_test(test_memory_full),
	    cmocka_unit_test(test_otpk_reuse),
	    cmocka_unit_test(test_ppr),
	    cmocka_unit_test(test_crash),
	    cmocka_unit_test(test_cancel_session),
	    cmocka_unit_test(test_memory_reset),
	    cmocka_unit_test(test_usim_sqn),
	    cmocka_unit_test(test_open_errors),
	    cmocka_unit_test(test_damaged_upp),
	    cmocka_unit_test(test_malformed),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
