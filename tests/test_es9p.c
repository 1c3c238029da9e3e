/* ES9+ handlers of the SM-DP+: complete downloads driven by an in-test ES9+ client with a
 * software eUICC (the SGP.26 test eUICC's key and certificates) that builds the ES10 answers
 * the way a card does, checks every server signature, and decrypts the bound profile package
 * to the exact package the SM-DP+ holds. Then a negative test for every check. */
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <string.h>

#include <jansson.h>
#include <openssl/pem.h>

#include "certmint.h"
#include "euicc_info1.h"
#include "faulty_vfs.h"
#include "testutil.h"

#include "openrsp/bsp.h"
#include "openrsp/der.h"
#include "openrsp/http.h"
#include "openrsp/pkg.h"
#include "openrsp/smdp.h"

#include "orsp_asn1_rsp.h"
#include "../src/smdp/smdp_internal.h" /* smdp_set_es9p_keys_done: a new handle's search */
#include "../src/store/db_internal.h"  /* orsp__db_test_count_steps: a sweep's work */

#define FQDN "testsmdpplus1.example.com"
#define OID "2.999.10"
#define EID "89049032123451234512345678901235"
#define UPP_FILE "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"

/* ---------------------------------------------------------------- fixture --------------- */

typedef struct fx {
	char db[1200];
	orsp_secret kek;
	orsp_smdp *s;
	orsp_smdp_service svc;
	orsp_smdp_profile prof;
	uint8_t *upp;
	size_t upp_len;
	/* the software eUICC */
	orsp_ec_key *sk_euicc;
	uint8_t *cert_euicc, *cert_eum;
	size_t cert_euicc_len, cert_eum_len;
	uint8_t ci_ski[32];
	size_t ci_ski_len;
	orsp_ec_key *dpauth_pub, *dppb_pub;
} fx;

/* Order the fixture's profile and release it; limit 0: the default download limit. */
static void order_limit(fx *f, const char *eid, const char *mid, const char *cc, unsigned limit)
{
	orsp_smdp_order o = {0};
	o.iccid = f->prof.iccid;
	o.eid = eid;
	o.matching_id = mid;
	o.download_limit = limit;
	assert_int_equal(orsp_smdp_download_order(f->s, &o, &f->prof), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(f->s, f->prof.matching_id, cc, true), ORSP_OK);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &f->prof), ORSP_OK);
}

static void order(fx *f, const char *eid, const char *mid, const char *cc)
{
	order_limit(f, eid, mid, cc, 0);
}

/* The SGP.26 key set of curve ("NIST" or "BRP"): CI, DPauth and DPpb, into ks. */
static void load_keyset(orsp_smdp_keyset *ks, const char *curve)
{
	char p[128];

	snprintf(p, sizeof(p), "sgp26/CertificateIssuer/CERT_CI_ECDSA_%s.der", curve);
	ks->ci = test_load_cert(p);
	snprintf(p, sizeof(p), "sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_%s.der", curve);
	ks->dpauth_cert = test_load_cert(p);
	snprintf(p, sizeof(p), "sgp26/DPauth/SK_S_SM_DPauth_ECDSA_%s.pem", curve);
	ks->dpauth_key = test_load_key(p);
	snprintf(p, sizeof(p), "sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_%s.der", curve);
	ks->dppb_cert = test_load_cert(p);
	snprintf(p, sizeof(p), "sgp26/DPpb/SK_S_SM_DPpb_ECDSA_%s.pem", curve);
	ks->dppb_key = test_load_key(p);
}

/* The fixture: the TS.48 package imported with the options o (NULL: none), its database
 * opened through the fault-injecting VFS when `faulty` (tests/faulty_vfs.h). */
static int setup_on(void **state, const orsp_smdp_import_opts *o, bool faulty)
{
	fx *f = calloc(1, sizeof(*f));
	orsp_cert *c;
	char path[1100];
	assert_non_null(f);
	snprintf(path, sizeof(path), "%s/smdp.db", test_tmpdir("es9p"));
	if (faulty) {
		faulty_vfs_register();
		faulty_vfs_uri(path, f->db, sizeof(f->db));
	} else {
		snprintf(f->db, sizeof(f->db), "%s", path);
	}
	f->kek.len = 32;
	memset(f->kek.v, 0x42, 32);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(f->s), ORSP_OK);
	f->upp = test_read_vector(UPP_FILE, &f->upp_len);
	assert_non_null(f->upp);
	assert_int_equal(orsp_smdp_import_with(f->s, f->upp, f->upp_len, o, &f->prof), ORSP_OK);

	snprintf(f->svc.fqdn, sizeof(f->svc.fqdn), "%s", FQDN);
	snprintf(f->svc.oid, sizeof(f->svc.oid), "%s", OID);
	load_keyset(&f->svc.sets[0], "NIST");
	f->svc.n_sets = 1;
	assert_int_equal(orsp_ci_store_new(&f->svc.cis), ORSP_OK);
	assert_int_equal(orsp_ci_store_add(f->svc.cis, f->svc.sets[0].ci), ORSP_OK);
	c = test_load_cert("sgp26/CertificateIssuer/CERT_CI_ECDSA_BRP.der");
	assert_int_equal(orsp_ci_store_add(f->svc.cis, c), ORSP_OK);
	orsp_cert_free(c);
	assert_int_equal(orsp_cert_ski(f->svc.sets[0].ci, f->ci_ski, sizeof(f->ci_ski),
	                               &f->ci_ski_len),
	                 ORSP_OK);
	assert_int_equal(orsp_cert_public_key(f->svc.sets[0].dpauth_cert, &f->dpauth_pub), ORSP_OK);
	assert_int_equal(orsp_cert_public_key(f->svc.sets[0].dppb_cert, &f->dppb_pub), ORSP_OK);

	f->sk_euicc = test_load_key("sgp26/eUICC/SK_EUICC_ECDSA_NIST.pem");
	f->cert_euicc = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &f->cert_euicc_len);
	f->cert_eum = test_read_vector("sgp26/EUM/CERT_EUM_ECDSA_NIST.der", &f->cert_eum_len);
	*state = f;
	return 0;
}

static int setup_with(void **state, const orsp_smdp_import_opts *o)
{
	return setup_on(state, o, false);
}

static int setup(void **state)
{
	return setup_with(state, NULL);
}

static int setup_faulty(void **state)
{
	return setup_on(state, NULL, true);
}

/* The fixture's profile with PPR1 and PPR2 */
static int setup_ppr(void **state)
{
	static const orsp_smdp_import_opts o = {.ppr = ORSP_SMDP_PPR1 | ORSP_SMDP_PPR2};
	return setup_with(state, &o);
}

static int setup_class(void **state)
{
	static const orsp_smdp_import_opts o = {.profile_class = ORSP_PKG_CLASS_TEST};
	return setup_with(state, &o);
}

static int setup_class_operational(void **state)
{
	static const orsp_smdp_import_opts o = {.profile_class = ORSP_PKG_CLASS_OPERATIONAL};
	return setup_with(state, &o);
}

static int setup_class_ppr(void **state)
{
	static const orsp_smdp_import_opts o = {.ppr = ORSP_SMDP_PPR1 | ORSP_SMDP_PPR2,
	                                        .profile_class = ORSP_PKG_CLASS_PROVISIONING};
	return setup_with(state, &o);
}

static int teardown(void **state)
{
	fx *f = *state;
	orsp_smdp_close(f->s);
	for (size_t i = 0; i < f->svc.n_sets; i++) {
		orsp_cert_free(f->svc.sets[i].ci);
		orsp_cert_free(f->svc.sets[i].dpauth_cert);
		orsp_ec_free(f->svc.sets[i].dpauth_key);
		orsp_cert_free(f->svc.sets[i].dppb_cert);
		orsp_ec_free(f->svc.sets[i].dppb_key);
	}
	orsp_ci_store_free(f->svc.cis);
	orsp_ec_free(f->sk_euicc);
	orsp_ec_free(f->dpauth_pub);
	orsp_ec_free(f->dppb_pub);
	free(f->cert_euicc);
	free(f->cert_eum);
	free(f->upp);
	free(f);
	return 0;
}

/* ---------------------------------------------------------------- the client ------------ */

/* Every message this test builds or receives is also decoded with the asn1c codec generated
 * from the RSPDefinitions module: an independent check of the encodings (tags, nesting). */
static void asn1_ok(asn_TYPE_descriptor_t *td, const uint8_t *p, size_t n)
{
	void *v = NULL;
	asn_dec_rval_t r = ber_decode(NULL, td, &v, p, n);
	if (r.code != RC_OK || r.consumed != n)
		fail_msg("%s does not decode with the RSPDefinitions codec (code %d, %zu of %zu)",
		         td->name, (int)r.code, r.consumed, n);
	ASN_STRUCT_FREE(*td, v);
}

/* The platform policy item that refused the last call's eUICC (the reply's), or "". */
static char last_policy[32];
/* The last call's note for the log line (the reply's), or "". */
static char last_note[160];
/* Whether the last call found a seqNumber reused (the reply's sequence_reused). */
static bool last_seq_reused;
/* Whether the last call took a result after cancelOrder (the reply's result_after_cancel). */
static bool last_after_cancel;

/* POST one request to the server process on database handle s, which may fail internally:
 * what orsp_es9p_handle returned in *e (a failure is an HTTP 500 with no body); returns the
 * parsed answer (NULL for 204 or none) and the reply's HTTP status. */
static json_t *call_on_any(fx *f, orsp_smdp *s, const char *fn, json_t *req, int *http, orsp_err *e)
{
	char *body = json_dumps(req, JSON_COMPACT);
	orsp_smdp_reply rep;
	json_t *out = NULL;
	assert_non_null(body);
	*e = orsp_es9p_handle(&f->svc, s, fn, (const uint8_t *)body, strlen(body), &rep);
	*http = rep.http_status;
	snprintf(last_policy, sizeof(last_policy), "%s", rep.policy);
	snprintf(last_note, sizeof(last_note), "%s", rep.note);
	last_seq_reused = rep.sequence_reused;
	last_after_cancel = rep.result_after_cancel;
	if (rep.body) {
		json_error_t err;
		out = json_loads(rep.body, 0, &err);
		assert_non_null(out);
	}
	orsp_smdp_reply_free(&rep);
	free(body);
	json_decref(req);
	return out;
}

/* call_on_any that must not fail internally */
static json_t *call_on(fx *f, orsp_smdp *s, const char *fn, json_t *req, int *http)
{
	orsp_err e;
	json_t *out = call_on_any(f, s, fn, req, http, &e);

	assert_int_equal(e, ORSP_OK);
	return out;
}

/* call_on the fixture's handle */
static json_t *call(fx *f, const char *fn, json_t *req, int *http)
{
	return call_on(f, f->s, fn, req, http);
}

/* A request the server fails internally: an error, HTTP 500 and no body. */
static void call_internal_error(fx *f, const char *fn, json_t *req)
{
	char *body = json_dumps(req, JSON_COMPACT);
	orsp_smdp_reply rep;
	assert_non_null(body);
	assert_int_not_equal(orsp_es9p_handle(&f->svc, f->s, fn, (const uint8_t *)body,
	                                      strlen(body), &rep),
	                     ORSP_OK);
	assert_int_equal(rep.http_status, 500);
	assert_null(rep.body);
	orsp_smdp_reply_free(&rep);
	free(body);
	json_decref(req);
}

/* Expect a Failed answer with the given codes. */
static void expect_fail(json_t *rsp, const char *subject, const char *reason)
{
	orsp_json_status st;
	assert_non_null(rsp);
	assert_int_equal(orsp_json_header_get(rsp, &st), ORSP_OK);
	if (st.status != ORSP_FES_FAILED || strcmp(st.subject_code, subject) != 0 ||
	    strcmp(st.reason_code, reason) != 0)
		fail_msg("expected Failed %s/%s, got %s %s/%s (%s)", subject, reason,
		         orsp_json_fes_str(st.status), st.subject_code, st.reason_code, st.message);
	json_decref(rsp);
}

/* expect_fail, and the message names `what` */
static void expect_fail_msg(json_t *rsp, const char *subject, const char *reason, const char *what)
{
	orsp_json_status st;
	assert_non_null(rsp);
	assert_int_equal(orsp_json_header_get(rsp, &st), ORSP_OK);
	if (!strstr(st.message, what))
		fail_msg("expected a message naming \"%s\", got \"%s\"", what, st.message);
	expect_fail(rsp, subject, reason);
}

static void expect_ok(json_t *rsp)
{
	orsp_json_status st;
	assert_non_null(rsp);
	assert_int_equal(orsp_json_header_get(rsp, &st), ORSP_OK);
	if (st.status != ORSP_FES_SUCCESS)
		fail_msg("expected success, got %s/%s (%s)", st.subject_code, st.reason_code,
		         st.message);
}

static void put_b64(json_t *o, const char *k, const uint8_t *p, size_t n)
{
	assert_int_equal(orsp_json_put_base64(o, k, p, n), ORSP_OK);
}

static size_t get_b64(json_t *o, const char *k, uint8_t *out, size_t cap)
{
	size_t n = 0;
	assert_int_equal(orsp_json_get_base64(o, k, out, cap, &n), ORSP_OK);
	return n;
}

static void sign(orsp_ec_key *k, const uint8_t *m, size_t n, uint8_t tlv[67])
{
	tlv[0] = 0x5F;
	tlv[1] = 0x37;
	tlv[2] = 0x40;
	assert_int_equal(orsp_ecdsa_sign(k, m, n, tlv + 3), ORSP_OK);
}

/* The state of one download as the software eUICC sees it. */
typedef struct dl {
	char tid_hex[33];
	uint8_t tid[16];
	size_t tid_len;
	uint8_t schal[16], echal[16];
	uint8_t sig1[67], sig2_smdp[67];
	bool cc_required;
	orsp_ec_key *otk;
	uint8_t otpk[65];
	uint8_t bpp[64 * 1024];
	size_t bpp_len;
	uint8_t meta[4096]; /* authenticateClient's profileMetadata */
	size_t meta_len;
} dl;

/* initiateAuthentication's request with one CI in euiccCiPKIdListForVerification (verif) and
 * one in ...ForSigning (sig) */
static json_t *info1_lists(dl *d, const char *addr, const uint8_t *verif, size_t verif_len,
                           const uint8_t *sig, size_t sig_len)
{
	uint8_t info1[128];
	size_t info1_len = test_euicc_info1(info1, sizeof(info1), verif, verif_len, sig, sig_len);
	json_t *req = json_object();

	assert_true(info1_len > 0);
	assert_int_equal(orsp_random(d->echal, 16), ORSP_OK);
	put_b64(req, "euiccChallenge", d->echal, 16);
	put_b64(req, "euiccInfo1", info1, info1_len);
	assert_int_equal(orsp_json_put_string(req, "smdpAddress", addr), ORSP_OK);
	return req;
}

/* info1_lists with the CI ski (NULL: the fixture's) in both lists */
static json_t *info1_request(fx *f, dl *d, const char *addr, const uint8_t *ski, size_t ski_len)
{
	return info1_lists(d, addr, ski ? ski : f->ci_ski, ski ? ski_len : f->ci_ski_len,
	                   ski ? ski : f->ci_ski, ski ? ski_len : f->ci_ski_len);
}

/* initiateAuthentication with request req, checking serverSignature1 as an eUICC does and
 * that euiccCiPKIdToBeUsed is the CI want (want_len bytes). */
static void initiate_req(fx *f, dl *d, json_t *req, const uint8_t *want, size_t want_len)
{
	int http;
	json_t *rsp = call(f, "initiateAuthentication", req, &http);
	uint8_t s1[256], sig[80], pkid[40], cert[2048];
	const char *tid;
	size_t n1, ns, np, nc, tl;
	orsp_tlv t, fld;
	orsp_reader r;

	assert_int_equal(http, 200);
	expect_ok(rsp);
	assert_int_equal(orsp_json_get_string(rsp, "transactionId", 32, &tid, &tl), ORSP_OK);
	snprintf(d->tid_hex, sizeof(d->tid_hex), "%s", tid);
	assert_int_equal(orsp_hex_decode(tid, d->tid, 16, &d->tid_len), ORSP_OK);
	n1 = get_b64(rsp, "serverSigned1", s1, sizeof(s1));
	ns = get_b64(rsp, "serverSignature1", sig, sizeof(sig));
	np = get_b64(rsp, "euiccCiPKIdToBeUsed", pkid, sizeof(pkid));
	nc = get_b64(rsp, "serverCertificate", cert, sizeof(cert));
	assert_int_equal(ns, 67);
	assert_int_equal(np, 2 + want_len);
	assert_int_equal(pkid[0], 0x04);
	assert_memory_equal(pkid + 2, want, want_len);
	assert_true(nc > 100);
	assert_int_equal(orsp_ecdsa_verify(f->dpauth_pub, s1, n1, sig + 3), ORSP_OK);
	asn1_ok(&asn_DEF_ServerSigned1, s1, n1);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(s1, n1), &t), ORSP_OK);
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &fld), ORSP_OK);
		if (fld.tag == 0x81)
			assert_memory_equal(fld.value.p, d->echal, 16);
		if (fld.tag == 0x84)
			memcpy(d->schal, fld.value.p, 16);
		if (fld.tag == 0x80)
			assert_memory_equal(fld.value.p, d->tid, d->tid_len);
	}
	json_decref(rsp);
}

/* initiateAuthentication, the fixture's CI in both lists */
static void initiate(fx *f, dl *d)
{
	initiate_req(f, d, info1_request(f, d, FQDN, NULL, 0), f->ci_ski, f->ci_ski_len);
}

typedef struct auth_opts {
	const char *mid;          /* NULL: absent */
	size_t mid_len;           /* 0: strlen(mid) */
	const char *address;      /* NULL: FQDN */
	bool bad_challenge, bad_signature;
	const uint8_t *cert;      /* NULL: the SGP.26 eUICC */
	size_t cert_len;
	const uint8_t *eum;
	size_t eum_len;
	orsp_ec_key *key;         /* NULL: SK.EUICC */
	const char *tid_hex;      /* NULL: the session's */
	uint64_t free_nvm;        /* 0: 1 MiB */
	const char *ecr;          /* extCardResource's contents (ecr_len bytes); NULL: free_nvm */
	size_t ecr_len;
	bool no_info2;            /* euiccSigned1 without euiccInfo2 */
	uint32_t info2_drop;      /* this mandatory field left out of euiccInfo2 */
	const char *saip;         /* profileVersion (saip_len bytes); NULL: 2.3.1 */
	size_t saip_len;
	const char *uicc_cap; /* uiccCapability (uicc_cap_len bytes); NULL: usim, Milenage, TUAK */
	size_t uicc_cap_len;
	const char *rsp_cap; /* rspCapability (rsp_cap_len bytes); NULL: with testProfileSupport */
	size_t rsp_cap_len;
	bool not_asn1;      /* a field is malformed on purpose */
	const char *device; /* deviceInfo's contents (device_len bytes); NULL: TAC, no caps */
	size_t device_len;
	bool no_device; /* ctxParams1 without deviceInfo */
	bool no_ctx;    /* euiccSigned1 without ctxParams1 */
	/* the platform facts (3 bytes each unless *_len says otherwise); NULL: the defaults,
	 * svn 2.2.2, euiccFirmwareVer 1.0.0, ppVersion 0.1.0, no globalplatformVersion,
	 * sasAcreditationNumber "openrsp-test" */
	const char *svn, *fw, *pp, *gp, *sas;
	size_t fw_len;
	const char *fw_unsigned; /* euiccFirmwareVer changed to this after signing */
	/* forbiddenProfilePolicyRules' contents (forbidden_ppr_len bytes, a PprIds BIT STRING);
	 * NULL: absent */
	const char *forbidden_ppr;
	size_t forbidden_ppr_len;
	/* bytes after eumCertificate (a later version's fields: v3's otherCertsInChain [0]) */
	const uint8_t *ext;
	size_t ext_len;
	/* bytes at the end of euiccInfo2 (a later version's fields) */
	const uint8_t *info2_ext;
	size_t info2_ext_len;
} auth_opts;

static json_t *auth_request(fx *f, dl *d, const auth_opts *o)
{
	uint8_t s1[512], asr[4096];
	orsp_writer w;
	orsp_der_mark m;
	json_t *req = json_object();
	const char *addr = o->address ? o->address : FQDN;
	size_t s1_len;

	orsp_writer_init(&w, s1, sizeof(s1));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_put_tlv(&w, 0x80, d->tid, d->tid_len);
	orsp_der_put_tlv(&w, 0x83, addr, strlen(addr));
	{
		uint8_t ch[16];
		memcpy(ch, d->schal, 16);
		if (o->bad_challenge)
			ch[3] ^= 1;
		orsp_der_put_tlv(&w, 0x84, ch, 16);
	}
	{
		/* EUICCInfo2 with every mandatory field (SGP.22 §5.7.8), unless the test drops one
		 * (info2_drop) or all of it (no_info2) */
		orsp_der_mark i2 = orsp_der_begin(&w, 0xBF22), ecr, l;
#define PUT(tag, v, n)                                                                             \
	do {                                                                                       \
		if (o->info2_drop != (tag))                                                        \
			orsp_der_put_tlv(&w, (tag), (v), (n));                                     \
	} while (0)
		if (o->saip)
			orsp_der_put_tlv(&w, 0x81, o->saip, o->saip_len);
		else
			PUT(0x81, "\x02\x03\x01", 3);
		PUT(0x82, o->svn ? o->svn : "\x02\x02\x02", 3);
		PUT(0x83, o->fw ? o->fw : "\x01\x00\x00", o->fw ? (o->fw_len ? o->fw_len : 3) : 3);
		if (o->ecr)
			orsp_der_put_tlv(&w, 0x84, o->ecr, o->ecr_len);
		else if (o->info2_drop != 0x84) {
			ecr = orsp_der_begin(&w, 0x84);
			orsp_der_put_uint(&w, 0x81, 0);
			orsp_der_put_uint(&w, 0x82, o->free_nvm ? o->free_nvm : 1u << 20);
			orsp_der_end(&w, ecr);
		}
		if (o->uicc_cap)
			orsp_der_put_tlv(&w, 0x85, o->uicc_cap, o->uicc_cap_len);
		else
			PUT(0x85, "\x00\x4B", 2); /* uiccCapability: usim, Milenage, TUAK-128/256 */
		PUT(0x86, "\x03\x00\x00", 3); /* javacardVersion (optional) */
		if (o->gp)                    /* globalplatformVersion (optional) */
			orsp_der_put_tlv(&w, 0x87, o->gp, 3);
		if (o->rsp_cap) /* rspCapability */
			orsp_der_put_tlv(&w, 0x88, o->rsp_cap, o->rsp_cap_len);
		else /* additionalProfile, crlSupport, testProfileSupport */
			PUT(0x88, "\x04\xD0", 2);
		if (o->info2_drop != 0xA9) {
			l = orsp_der_begin(&w, 0xA9);
			orsp_der_put_tlv(&w, 0x04, f->ci_ski, f->ci_ski_len);
			orsp_der_end(&w, l);
		}
		if (o->info2_drop != 0xAA) {
			l = orsp_der_begin(&w, 0xAA);
			orsp_der_put_tlv(&w, 0x04, f->ci_ski, f->ci_ski_len);
			orsp_der_end(&w, l);
		}
		PUT(0x8B, "\x02", 1);          /* euiccCategory (optional) */
		if (o->forbidden_ppr)          /* forbiddenProfilePolicyRules (optional) */
			orsp_der_put_tlv(&w, 0x99, o->forbidden_ppr, o->forbidden_ppr_len);
		PUT(0x04, o->pp ? o->pp : "\x00\x01\x00", 3); /* ppVersion */
		PUT(0x0C, o->sas ? o->sas : "openrsp-test",
		    strlen(o->sas ? o->sas : "openrsp-test")); /* sasAcreditationNumber */
		if (o->info2_ext)
			orsp_write_bytes(&w, o->info2_ext, o->info2_ext_len);
#undef PUT
		orsp_der_end(&w, i2);
		if (o->no_info2) /* take the whole BF22 back out */
			w.len = i2.start;
	}
	if (!o->no_ctx) {
		/* ctxParams1: ctxParamsForCommonAuthentication [0] { matchingId, deviceInfo [1] } */
		orsp_der_mark ctx = orsp_der_begin(&w, 0xA0), di;
		if (o->mid)
			orsp_der_put_tlv(&w, 0x80, o->mid,
			                 o->mid_len ? o->mid_len : strlen(o->mid));
		if (o->device)
			orsp_der_put_tlv(&w, 0xA1, o->device, o->device_len);
		else if (!o->no_device) {
			di = orsp_der_begin(&w, 0xA1);
			orsp_der_put_tlv(&w, 0x80, "\x35\x29\x06\x11", 4);
			orsp_der_put_tlv(&w, 0xA1, NULL, 0);
			orsp_der_end(&w, di);
		}
		orsp_der_end(&w, ctx);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	s1_len = w.len;
	if (!o->no_info2 && !o->info2_drop && !o->not_asn1) /* else not valid ASN.1, on purpose */
		asn1_ok(&asn_DEF_EuiccSigned1, s1, s1_len);
	sign(o->key ? o->key : f->sk_euicc, s1, s1_len, d->sig1);
	if (o->fw_unsigned) { /* the facts changed on the way, the signature left as it was */
		orsp_tlv t, i2, fld;
		orsp_reader r;
		assert_int_equal(orsp_der_parse_one(orsp_slice_make(s1, s1_len), &t), ORSP_OK);
		orsp_reader_init(&r, t.value.p, t.value.len);
		do
			assert_int_equal(orsp_der_read(&r, &i2), ORSP_OK);
		while (i2.tag != 0xBF22);
		orsp_reader_init(&r, i2.value.p, i2.value.len);
		do
			assert_int_equal(orsp_der_read(&r, &fld), ORSP_OK);
		while (fld.tag != 0x83);
		memcpy(s1 + (fld.value.p - s1), o->fw_unsigned, 3);
	}
	if (o->bad_signature)
		d->sig1[10] ^= 1;
	orsp_writer_init(&w, asr, sizeof(asr));
	m = orsp_der_begin(&w, 0xBF38);
	{
		orsp_der_mark ok = orsp_der_begin(&w, 0xA0);
		orsp_write_bytes(&w, s1, s1_len);
		orsp_write_bytes(&w, d->sig1, 67);
		if (o->cert)
			orsp_write_bytes(&w, o->cert, o->cert_len);
		else
			orsp_write_bytes(&w, f->cert_euicc, f->cert_euicc_len);
		if (o->eum)
			orsp_write_bytes(&w, o->eum, o->eum_len);
		else
			orsp_write_bytes(&w, f->cert_eum, f->cert_eum_len);
		if (o->ext)
			orsp_write_bytes(&w, o->ext, o->ext_len);
		orsp_der_end(&w, ok);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	/* (the whole AuthenticateServerResponse is not checked: the generated PKIX codec does
	 * not decode the SGP.26 eUICC certificate; its signed part is) */
	assert_int_equal(orsp_json_put_string(req, "transactionId",
	                                      o->tid_hex ? o->tid_hex : d->tid_hex),
	                 ORSP_OK);
	put_b64(req, "authenticateServerResponse", asr, w.len);
	return req;
}

/* authenticateClient as o says, checking smdpSignature2 and the metadata. */
static void authenticate_with(fx *f, dl *d, const auth_opts *o)
{
	int http;
	json_t *rsp = call(f, "authenticateClient", auth_request(f, d, o), &http);
	uint8_t meta[4096], s2[256], sig[80], msg[400], cert[2048];
	size_t nm, n2, ns, nc;
	orsp_tlv t, fld;
	orsp_reader r;
	bool iccid_seen = false;

	expect_ok(rsp);
	nm = get_b64(rsp, "profileMetadata", meta, sizeof(meta));
	n2 = get_b64(rsp, "smdpSigned2", s2, sizeof(s2));
	ns = get_b64(rsp, "smdpSignature2", sig, sizeof(sig));
	nc = get_b64(rsp, "smdpCertificate", cert, sizeof(cert));
	assert_int_equal(ns, 67);
	assert_true(nc > 100);
	memcpy(msg, s2, n2);
	memcpy(msg + n2, d->sig1, 67);
	assert_int_equal(orsp_ecdsa_verify(f->dppb_pub, msg, n2 + 67, sig + 3), ORSP_OK);
	memcpy(d->sig2_smdp, sig, 67);
	asn1_ok(&asn_DEF_SmdpSigned2, s2, n2);
	asn1_ok(&asn_DEF_StoreMetadataRequest, meta, nm);
	memcpy(d->meta, meta, nm);
	d->meta_len = nm;
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(s2, n2), &t), ORSP_OK);
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &fld), ORSP_OK);
		if (fld.tag == 0x01)
			d->cc_required = fld.value.p[0] != 0;
	}
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(meta, nm), &t), ORSP_OK);
	assert_int_equal(t.tag, 0xBF25);
	orsp_reader_init(&r, t.value.p, t.value.len);
	while (orsp_reader_remaining(&r)) {
		assert_int_equal(orsp_der_read(&r, &fld), ORSP_OK);
		if (fld.tag == 0x5A) {
			char iccid[21];
			assert_int_equal(orsp_iccid_decode_ef(fld.value.p, iccid), ORSP_OK);
			assert_string_equal(iccid, f->prof.iccid);
			iccid_seen = true;
		}
	}
	assert_true(iccid_seen);
	json_decref(rsp);
}

/* authenticateClient for matching ID mid, checked as authenticate_with does. */
static void authenticate(fx *f, dl *d, const char *mid)
{
	auth_opts o = {.mid = mid};
	authenticate_with(f, d, &o);
}

/* How a getBoundProfilePackage request departs from the eUICC's (gbpp_request_with). */
typedef struct gbpp_opts {
	const dl *signed_for; /* euiccSigned2 names this session's transactionId (NULL: d's),
	                       * still signed over d's smdpSignature2 */
	bool no_otpk;         /* euiccOtpk left out */
	size_t otpk_len;      /* euiccOtpk of this many bytes (at most 65); 0: 65 */
	size_t cc_len;        /* hashCc of this many bytes (at most 32; its first ones); 0: 32 */
	const uint8_t *ext;   /* bytes after euiccSignature2 (a later version's fields) */
	size_t ext_len;
} gbpp_opts;

static json_t *gbpp_request_with(fx *f, dl *d, const char *cc, bool new_key, bool bad_sig,
                                 const gbpp_opts *o)
{
	static const gbpp_opts none;
	uint8_t s2[256], pdr[512], sig[67], msg[400];
	orsp_writer w;
	orsp_der_mark m;
	json_t *req = json_object();
	const dl *named;
	(void)f;

	if (!o)
		o = &none;
	named = o->signed_for ? o->signed_for : d;

	if (new_key || !d->otk) {
		orsp_ec_free(d->otk);
		d->otk = NULL;
		assert_int_equal(orsp_ec_generate(ORSP_CURVE_P256, &d->otk), ORSP_OK);
		assert_int_equal(orsp_ec_public_point(d->otk, d->otpk), ORSP_OK);
	}
	orsp_writer_init(&w, s2, sizeof(s2));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_put_tlv(&w, 0x80, named->tid, named->tid_len);
	if (!o->no_otpk)
		orsp_der_put_tlv(&w, 0x5F49, d->otpk, o->otpk_len ? o->otpk_len : 65);
	if (cc) {
		uint8_t h1[32], in[48], h[32];
		assert_int_equal(orsp_sha256(cc, strlen(cc), h1), ORSP_OK);
		memcpy(in, h1, 32);
		memcpy(in + 32, named->tid, named->tid_len);
		assert_int_equal(orsp_sha256(in, 32 + named->tid_len, h), ORSP_OK);
		orsp_der_put_tlv(&w, 0x04, h, o->cc_len ? o->cc_len : 32);
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	memcpy(msg, s2, w.len);
	memcpy(msg + w.len, d->sig2_smdp, 67);
	sign(f->sk_euicc, msg, w.len + 67, sig);
	if (bad_sig)
		sig[20] ^= 1;
	{
		size_t s2_len = w.len;
		orsp_der_mark ok;
		orsp_writer_init(&w, pdr, sizeof(pdr));
		m = orsp_der_begin(&w, 0xBF21);
		ok = orsp_der_begin(&w, 0xA0);
		orsp_write_bytes(&w, s2, s2_len);
		orsp_write_bytes(&w, sig, 67);
		if (o->ext)
			orsp_write_bytes(&w, o->ext, o->ext_len);
		orsp_der_end(&w, ok);
		orsp_der_end(&w, m);
	}
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	/* else not valid ASN.1, on purpose; the generated codec does not skip a later
	 * version's fields there */
	if (!o->no_otpk && !o->cc_len && !o->ext)
		asn1_ok(&asn_DEF_PrepareDownloadResponse, pdr, w.len);
	assert_int_equal(orsp_json_put_string(req, "transactionId", d->tid_hex), ORSP_OK);
	put_b64(req, "prepareDownloadResponse", pdr, w.len);
	return req;
}

static json_t *gbpp_request(fx *f, dl *d, const char *cc, bool new_key, bool bad_sig)
{
	return gbpp_request_with(f, d, cc, new_key, bad_sig, NULL);
}

/* A request of d's session (its transactionId) whose base64 member `field` holds n bytes p:
 * for the checks of a signed answer's shape, made by hand. */
static json_t *raw_request(const dl *d, const char *field, const uint8_t *p, size_t n)
{
	json_t *req = json_object();
	assert_int_equal(orsp_json_put_string(req, "transactionId", d->tid_hex), ORSP_OK);
	put_b64(req, field, p, n);
	return req;
}

/* req sent with the transactionId tid_hex instead */
static json_t *with_tid(json_t *req, const char *tid_hex)
{
	assert_int_equal(orsp_json_put_string(req, "transactionId", tid_hex), ORSP_OK);
	return req;
}

/* One element of a hand-made answer (shaped): a TLV with tag and len bytes of contents,
 * zeros, but a SEQUENCE's, which are one OCTET STRING making up the len (so the answer is
 * valid DER). {0x30, 0}: an empty SEQUENCE; {0x5F37, 64}: a signature (of zeros). */
typedef struct part {
	uint32_t tag;
	size_t len;
} part;

/* outer { choice { parts } } (choice 0: the parts straight inside outer), into out; returns
 * its length. */
static size_t shaped(uint8_t *out, size_t cap, uint32_t outer, uint32_t choice, const part *p,
                     size_t n)
{
	static const uint8_t zeros[1024];
	orsp_writer w;
	orsp_der_mark m, c = {0};

	orsp_writer_init(&w, out, cap);
	m = orsp_der_begin(&w, outer);
	if (choice)
		c = orsp_der_begin(&w, choice);
	for (size_t i = 0; i < n; i++) {
		assert_true(p[i].len <= sizeof(zeros));
		if (p[i].tag == 0x30 && p[i].len) {
			size_t l = p[i].len; /* minus the OCTET STRING's own header */
			l -= l - 2 < 0x80 ? 2 : l - 3 < 0x100 ? 3 : 4;
			orsp_der_mark s = orsp_der_begin(&w, 0x30);
			orsp_der_put_tlv(&w, 0x04, zeros, l);
			orsp_der_end(&w, s);
		} else {
			orsp_der_put_tlv(&w, p[i].tag, zeros, p[i].len);
		}
	}
	if (choice)
		orsp_der_end(&w, c);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	return w.len;
}

/* expect_fail, and the message is exactly msg (where one detail is a prefix of another's) */
static void expect_fail_is(json_t *rsp, const char *subject, const char *reason, const char *msg)
{
	orsp_json_status st;
	assert_non_null(rsp);
	assert_int_equal(orsp_json_header_get(rsp, &st), ORSP_OK);
	if (strcmp(st.message, msg) != 0)
		fail_msg("expected the message \"%s\", got \"%s\"", msg, st.message);
	expect_fail(rsp, subject, reason);
}

/* fn's base64 member `field` missing, not a string, not base64, and decoding to more than
 * 64 KiB: each 1.2/2.1 with a message naming the field and the fault. tid_hex: the
 * transactionId sent beside it (NULL: none). */
static void b64_member_refused(fx *f, const char *fn, const char *field, const char *tid_hex)
{
	enum { BIG = (64 * 1024 + 2) / 3 * 4 + 4 }; /* base64 of more than 64 KiB */
	char *big = malloc(BIG + 1), what[96];
	int http;

	assert_non_null(big);
	memset(big, 'A', BIG);
	big[BIG] = '\0';
	for (int i = 0; i < 4; i++) {
		json_t *req = json_object();
		static const char *faults[] = {"missing", "not a string", "bad base64",
		                               "decodes to more than 65536 bytes"};
		if (tid_hex)
			assert_int_equal(orsp_json_put_string(req, "transactionId", tid_hex),
			                 ORSP_OK);
		if (i == 1)
			assert_int_equal(json_object_set_new(req, field, json_integer(7)), 0);
		else if (i == 2)
			assert_int_equal(orsp_json_put_string(req, field, "AAA!"), ORSP_OK);
		else if (i == 3)
			assert_int_equal(orsp_json_put_string(req, field, big), ORSP_OK);
		snprintf(what, sizeof(what), "%s: %s", field, faults[i]);
		expect_fail_msg(call(f, fn, req, &http), "1.2", "2.1", what);
	}
	free(big);
}

/* A hand-made answer (shaped) and the message it is refused with: "eUICC signature invalid"
 * (8.1/6.1: the shape passed, only the zero signature is wrong), anything else 1.2/2.1. */
typedef struct shape_case {
	uint32_t outer, choice;
	part p[5];
	size_t n;
	const char *msg;
} shape_case;

/* Each case sent to `fn` as d's base64 member `field`, answered as it says; then the answer
 * under its outer `tag` not DER, and with an inner TLV longer than its SEQUENCE (failing the
 * walk of the whole): both 1.2/2.1 naming `field`. */
static void shapes_refused(fx *f, const dl *d, const char *fn, const char *field, uint16_t tag,
                           const shape_case *c, size_t nc)
{
	const uint8_t t0 = (uint8_t)(tag >> 8), t1 = (uint8_t)tag;
	const uint8_t not_der[] = {t0, t1, 0x05, 0xA0};
	const uint8_t inner[] = {t0, t1, 0x05, 0xA0, 0x03, 0x30, 0x05, 0x00};
	uint8_t b[1024];
	char what[96];
	int http;

	for (size_t i = 0; i < nc; i++) {
		size_t n = shaped(b, sizeof(b), c[i].outer, c[i].choice, c[i].p, c[i].n);
		bool sig = c[i].msg[0] == 'e';
		expect_fail_is(call(f, fn, raw_request(d, field, b, n), &http), sig ? "8.1" : "1.2",
		               sig ? "6.1" : "2.1", c[i].msg);
	}
	snprintf(what, sizeof(what), "invalid request data: %s", field);
	expect_fail_is(call(f, fn, raw_request(d, field, not_der, sizeof(not_der)), &http), "1.2",
	               "2.1", what);
	expect_fail_is(call(f, fn, raw_request(d, field, inner, sizeof(inner)), &http), "1.2",
	               "2.1", what);
}

static void get_bpp(fx *f, dl *d, const char *cc, bool new_key)
{
	int http;
	json_t *rsp = call(f, "getBoundProfilePackage", gbpp_request(f, d, cc, new_key, false), &http);
	expect_ok(rsp);
	d->bpp_len = get_b64(rsp, "boundProfilePackage", d->bpp, sizeof(d->bpp));
	asn1_ok(&asn_DEF_BoundProfilePackage, d->bpp, d->bpp_len);
	json_decref(rsp);
}

/* ----- unwrapping the BPP as the eUICC does ----- */

typedef struct collect {
	uint8_t buf[64 * 1024];
	size_t len;
	bool overflow;
	uint8_t smr[4096]; /* the StoreMetadataRequest */
	size_t smr_len;
} collect;

static orsp_err cb_store_metadata(void *arg, orsp_slice der)
{
	collect *c = arg;
	if (der.len > sizeof(c->smr))
		return ORSP_E_RESOURCE;
	memcpy(c->smr, der.p, der.len);
	c->smr_len = der.len;
	return ORSP_OK;
}

static orsp_err cb_profile(void *arg, orsp_slice data)
{
	collect *c = arg;
	if (c->len + data.len > sizeof(c->buf)) {
		c->overflow = true;
		return ORSP_E_RESOURCE;
	}
	memcpy(c->buf + c->len, data.p, data.len);
	c->len += data.len;
	return ORSP_OK;
}

static orsp_err cb_ignore(void *arg, orsp_slice der)
{
	(void)arg;
	(void)der;
	return ORSP_OK;
}

static void check_bpp(fx *f, dl *d)
{
	static collect c;
	uint8_t eid[16];
	orsp_bsp_unwrap *u = NULL;
	orsp_bsp_unwrap_params p = {0};

	memset(&c, 0, sizeof(c));
	assert_int_equal(orsp_hex_decode_exact(EID, eid, 16), ORSP_OK);
	p.euicc_otsk = d->otk;
	p.dppb = f->dppb_pub;
	p.eid = eid;
	p.transaction_id = orsp_slice_make(d->tid, d->tid_len);
	p.cb.arg = &c;
	p.cb.configure_isdp = cb_ignore;
	p.cb.store_metadata = cb_store_metadata;
	p.cb.profile_data = cb_profile;
	assert_int_equal(orsp_bsp_unwrap_new(&p, &u), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_feed(u, d->bpp, d->bpp_len), ORSP_OK);
	assert_int_equal(orsp_bsp_unwrap_finish(u), ORSP_OK);
	orsp_bsp_unwrap_free(u);
	assert_int_equal(c.len, f->upp_len);
	assert_memory_equal(c.buf, f->upp, f->upp_len);
	/* the eUICC stores the metadata the LPA was shown, byte for byte */
	asn1_ok(&asn_DEF_StoreMetadataRequest, c.smr, c.smr_len);
	if (d->meta_len) {
		assert_int_equal(c.smr_len, d->meta_len);
		assert_memory_equal(c.smr, d->meta, d->meta_len);
	}
}

/* How an installation result departs from the eUICC's (pir_request_with). */
typedef struct pir_opts {
	uint32_t drop;   /* this field of profileInstallationResultData left out (80, BF2F, A2) */
	const char *seq; /* seqNumber's contents (seq_len bytes); NULL: the session's number */
	size_t seq_len;
	bool other_oid; /* smdpOid 2.999.11, another SM-DP+'s */
	bool no_sig;    /* euiccSignPIR left out */
	size_t sig_len; /* euiccSignPIR of this many bytes (at most 64, zeros); 0: the signature */
	bool no_session; /* a failure {initialiseSecureChannel, invalidTransactionId}, seq 0 */
} pir_opts;

static json_t *pir_request_with(fx *f, dl *d, bool success, bool bad_sig, const pir_opts *o)
{
	static const pir_opts none;
	uint8_t data[512], pir[700], sig[67];
	orsp_writer w;
	orsp_der_mark m, meta, res, choice;
	json_t *req = json_object();
	static const uint8_t oid[] = {0x88, 0x37, 0x0A};   /* 2.999.10 */
	static const uint8_t other[] = {0x88, 0x37, 0x0B}; /* 2.999.11 */

	if (!o)
		o = &none;
	orsp_writer_init(&w, data, sizeof(data));
	m = orsp_der_begin(&w, 0xBF27);
	if (o->drop != 0x80)
		orsp_der_put_tlv(&w, 0x80, d->tid, d->tid_len);
	meta = orsp_der_begin(&w, 0xBF2F);
	/* the eUICC numbers its notifications: one number per session here (the random part
	 * of the transactionId), the same for a notification sent again */
	if (o->seq)
		orsp_der_put_tlv(&w, 0x80, o->seq, o->seq_len);
	else if (o->no_session)
		orsp_der_put_uint(&w, 0x80, 0);
	else
		orsp_der_put_uint(
		    &w, 0x80, ((uint64_t)d->tid[0] << 16) | ((uint64_t)d->tid[1] << 8) | d->tid[2]);
	orsp_der_put_tlv(&w, 0x81, "\x07\x80", 2);
	orsp_der_put_tlv(&w, 0x0C, FQDN, strlen(FQDN));
	orsp_der_end(&w, meta);
	if (o->drop == 0xBF2F)
		w.len = meta.start;
	orsp_der_put_tlv(&w, 0x06, o->other_oid ? other : oid, sizeof(oid));
	res = orsp_der_begin(&w, 0xA2);
	if (success) {
		choice = orsp_der_begin(&w, 0xA0);
		orsp_der_put_tlv(&w, 0x4F, "\xA0\x00\x00\x05\x59\x10\x10\xFF\xFF\xFF\xFF\x89\x00\x00\x10\x00", 16);
		orsp_der_put_tlv(&w, 0x04, "\x30\x07\xA0\x05\x30\x03\x80\x01\x00", 9);
	} else {
		choice = orsp_der_begin(&w, 0xA1);
		orsp_der_put_uint(&w, 0x80, o->no_session ? 0 : 3);
		orsp_der_put_uint(&w, 0x81, o->no_session ? 3 : 9);
	}
	orsp_der_end(&w, choice);
	orsp_der_end(&w, res);
	if (o->drop == 0xA2)
		w.len = res.start;
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	sign(f->sk_euicc, data, w.len, sig);
	if (bad_sig)
		sig[30] ^= 1;
	{
		size_t dl_ = w.len;
		orsp_writer_init(&w, pir, sizeof(pir));
		m = orsp_der_begin(&w, 0xBF37);
		orsp_write_bytes(&w, data, dl_);
		if (o->sig_len)
			orsp_der_put_tlv(&w, 0x5F37, sig + 3, o->sig_len);
		else if (!o->no_sig)
			orsp_write_bytes(&w, sig, 67);
		orsp_der_end(&w, m);
	}
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	if (!o->drop && !o->seq && !o->no_sig && !o->sig_len) /* else not valid, on purpose */
		asn1_ok(&asn_DEF_ProfileInstallationResult, pir, w.len);
	put_b64(req, "pendingNotification", pir, w.len);
	return req;
}

static json_t *pir_request(fx *f, dl *d, bool success, bool bad_sig)
{
	return pir_request_with(f, d, success, bad_sig, NULL);
}

static orsp_smdp_state state_of(fx *f)
{
	orsp_smdp_profile p;
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	return p.state;
}

static unsigned download_attempts_of(fx *f)
{
	orsp_smdp_profile p;
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	return p.download_attempts;
}

/* The one number a query of the SM-DP+'s database returns. */
static int64_t count_of(fx *f, const char *sql)
{
	orsp_stmt *st = NULL;
	bool row = false;
	int64_t n;
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(f->s), sql, &st), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	n = orsp_stmt_column_int64(st, 0);
	orsp_stmt_finalize(st);
	return n;
}

/* Sessions that keep a wrapped one-time key. */
static int64_t kept_keys(fx *f)
{
	return count_of(f, "SELECT count(*) FROM es9p_session WHERE otsk_wrapped IS NOT NULL");
}

/* The step of d's session (5: delivered, then superseded by a retry). */
static int64_t step_of(fx *f, const dl *d)
{
	char sql[160];
	snprintf(sql, sizeof(sql), "SELECT step FROM es9p_session WHERE upper(tid) = upper('%s')",
	         d->tid_hex);
	return count_of(f, sql);
}

/* The sweep of sessions nobody can use any more (orsp_es9p_sweep). */
static size_t sweep(fx *f, size_t max)
{
	size_t n = 99;
	assert_int_equal(orsp_es9p_sweep(&f->svc, f->s, max, &n), ORSP_OK);
	return n;
}

#define SESSIONS "SELECT count(*) FROM es9p_session"

/* Deliveries audited as new bindings. */
static int64_t new_bindings(fx *f)
{
	return count_of(f, "SELECT count(*) FROM smdp_audit WHERE detail LIKE 'new binding%'");
}

static void dl_free(dl *d)
{
	orsp_ec_free(d->otk);
	d->otk = NULL;
}

/* A new session for d: its first, or another after one ended (an ineligible refusal uses up
 * its transactionId); a one-time key d still holds is freed. */
static void reinitiate(fx *f, dl *d)
{
	dl_free(d);
	memset(d, 0, sizeof(*d));
	initiate(f, d);
}

/* d's session, authenticated, for the fixture's profile ordered with matching ID mid,
 * confirmation code code (or none) and download limit limit (0: the default). */
static void authenticated_session(fx *f, dl *d, const char *mid, const char *code, unsigned limit)
{
	order_limit(f, EID, mid, code, limit);
	reinitiate(f, d);
	authenticate(f, d, mid);
}

/* A whole download, its metadata returned in d (checked against the BPP by check_bpp). */
static void download_all(fx *f, dl *d, const char *mid)
{
	memset(d, 0, sizeof(*d));
	order(f, EID, mid, NULL);
	initiate(f, d);
	authenticate(f, d, mid);
	get_bpp(f, d, NULL, true);
	check_bpp(f, d);
}

/* d's installation result (success or not), sent: answered 204 and recorded with the
 * judgment `result`. */
static void pir_judged(fx *f, dl *d, bool success, const char *result)
{
	int http;
	char sql[256];

	assert_null(call(f, "handleNotification", pir_request(f, d, success, false), &http));
	assert_int_equal(http, 204);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM es9p_notification WHERE upper(tid) = upper('%s')"
	         " AND result = '%s'",
	         d->tid_hex, result);
	assert_int_equal(count_of(f, sql), 1);
}

/* ---------------------------------------------------------------- the happy paths ------- */

static void test_full_download(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	size_t n = 0;
	json_t *rsp;

	memset(&d, 0, sizeof(d));
	order(f, EID, NULL, NULL);
	initiate(f, &d);
	authenticate(f, &d, f->prof.matching_id);
	assert_false(d.cc_required);
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(kept_keys(f), 1);
	{
		json_t *req = pir_request(f, &d, true, false);
		char sql[1200];
		/* the operator's report of the installation carries the result as sent */
		snprintf(sql, sizeof(sql),
		         "SELECT count(*) FROM smdp_progress WHERE point_id = 4 AND success = 1"
		         " AND result_data = '%s'",
		         json_string_value(json_object_get(req, "pendingNotification")));
		rsp = call(f, "handleNotification", req, &http);
		assert_null(rsp);
		assert_int_equal(http, 204);
		assert_int_equal(count_of(f, sql), 1);
	}
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	/* the one-time key is gone with the session */
	assert_int_equal(kept_keys(f), 0);
	assert_int_equal(orsp_es9p_notification_count(f->s, f->prof.iccid, "install", &n), ORSP_OK);
	assert_int_equal(n, 1);
	/* the same notification again: accepted, not counted twice */
	rsp = call(f, "handleNotification", pir_request(f, &d, true, false), &http);
	assert_int_equal(http, 204);
	assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n), ORSP_OK);
	assert_int_equal(n, 1);
	/* the session is over */
	rsp = call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, false, false), &http);
	expect_fail(rsp, "8.10.1", "3.9");
	/* and the profile cannot be downloaded again */
	{
		static dl d2;
		auth_opts o = {.mid = f->prof.matching_id};
		memset(&d2, 0, sizeof(d2));
		initiate(f, &d2);
		rsp = call(f, "authenticateClient", auth_request(f, &d2, &o), &http);
		expect_fail(rsp, "8.2", "1.2");
		dl_free(&d2);
	}
	dl_free(&d);
}

/* A database whose ES9+ tables a newer openrsp migrated (a backup it made, in rollback-journal
 * mode), its inventory one step behind this program's, is refused by the inventory's open
 * before anything is written to it: the inventory's migration and the switch to WAL ran
 * before, and orsp_es9p_prepare refused the file only once they had changed it. */
static void test_newer_es9p_untouched(void **state)
{
	fx *f = *state;
	orsp_db *db = NULL;
	uint8_t *bytes;
	size_t len = 0;

	orsp_smdp_close(f->s);
	f->s = NULL;
	assert_int_equal(orsp_db_open(f->db, &db), ORSP_OK);
	assert_int_equal(
	    orsp_db_exec(db, "PRAGMA journal_mode=DELETE;"
	                     "DROP INDEX smdp_progress_pending;"
	                     "DELETE FROM schema_migrations WHERE module = 'smdp' AND version = 16;"
	                     "INSERT INTO schema_migrations VALUES ('smdp_es9p', 99, 'future', 0)"),
	    ORSP_OK);
	orsp_db_close(db);
	bytes = test_read_file(f->db, &len);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_E_STATE);
	assert_null(f->s);
	assert_non_null(strstr(orsp_err_detail(), "smdp_es9p schema version 99 is newer"));
	test_file_check(f->db, bytes, len);
	free(bytes);
}

/* es9p migration 15 undone: the mark of the sessions the sweep kept, its index and triggers */
#define ES9P_UNDO_V15                                                                              \
	"DROP TRIGGER es9p_session_kept_changed;"                                                  \
	"DROP TRIGGER es9p_session_profile_changed;"                                               \
	"DROP TRIGGER es9p_session_profile_deleted;"                                               \
	"DROP INDEX es9p_session_unkept;"                                                          \
	"ALTER TABLE es9p_session DROP COLUMN sweep_kept;"                                         \
	"DELETE FROM schema_migrations WHERE module = 'smdp_es9p' AND version = 15;"

/* es9p migration 14 undone (after 15): the count of unverified notifications and its
 * triggers */
#define ES9P_UNDO_V14                                                                              \
	ES9P_UNDO_V15                                                                              \
	"DROP TRIGGER es9p_unverified_added;"                                                      \
	"DROP TRIGGER es9p_unverified_deleted;"                                                    \
	"DROP TRIGGER es9p_unverified_changed;"                                                    \
	"DROP TABLE es9p_unverified_count;"                                                        \
	"DELETE FROM schema_migrations WHERE module = 'smdp_es9p' AND version = 14;"

/* Migration 4 of the ES9+ tables from the layout before it (notifications with
 * AUTOINCREMENT): the rows are kept and a repeated notification is still counted once. */
static void test_notification_migration(void **state)
{
	fx *f = *state;
	static dl d;
	orsp_db *db = NULL;
	int http, v = 0;
	size_t n = 0;

	memset(&d, 0, sizeof(d));
	order(f, EID, NULL, NULL);
	initiate(f, &d);
	authenticate(f, &d, f->prof.matching_id);
	get_bpp(f, &d, NULL, true);
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(http, 204);
	orsp_smdp_close(f->s);
	f->s = NULL; /* not closed twice by the teardown when a check below fails */
	assert_int_equal(orsp_db_open(f->db, &db), ORSP_OK);
	assert_int_equal(
	    orsp_db_exec(db,
	                 "BEGIN;" ES9P_UNDO_V14
	                 /* two unverified records, made before migration 14 counts them */
	                 "INSERT INTO es9p_notification (received_at, eid, iccid, event, seq,"
	                 " result) VALUES (1, 'E', '', 'install', 1, 'bad signature'),"
	                 " (1, 'E', '', 'install', 2, 'unknown session');"
	                 "CREATE TABLE n3 (id INTEGER PRIMARY KEY AUTOINCREMENT,"
	                 " received_at INTEGER NOT NULL, eid TEXT NOT NULL, iccid TEXT NOT NULL,"
	                 " event TEXT NOT NULL, seq INTEGER NOT NULL,"
	                 " tid TEXT NOT NULL DEFAULT '', result TEXT NOT NULL,"
	                 " UNIQUE (eid, seq, event));"
	                 "INSERT INTO n3 SELECT * FROM es9p_notification;"
	                 "DROP TABLE es9p_notification;"
	                 "ALTER TABLE n3 RENAME TO es9p_notification;"
	                 "DROP INDEX es9p_session_created;"
	                 "DROP INDEX es9p_session_iccid;"
	                 "CREATE INDEX es9p_session_otsk ON es9p_session (created_at)"
	                 " WHERE otsk_wrapped IS NOT NULL;"
	                 "ALTER TABLE es9p_session ADD COLUMN attempts INTEGER NOT NULL"
	                 " DEFAULT 0;"
	                 "DROP INDEX es9p_session_pir;"
	                 "ALTER TABLE es9p_session DROP COLUMN pir;"
	                 "ALTER TABLE es9p_session DROP COLUMN keyset_id;"
	                 "DELETE FROM schema_migrations WHERE module = 'smdp_es9p' AND"
	                 " version IN (4, 6, 7, 8, 9, 10, 11, 12, 13);"
	                 "COMMIT;"),
	    ORSP_OK);
	orsp_db_close(db);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(f->s), ORSP_OK);
	assert_int_equal(orsp_db_schema_version(orsp_smdp_db(f->s), "smdp_es9p", &v), ORSP_OK);
	assert_int_equal(v, 15);
	assert_int_equal(count_of(f, "SELECT count(*) FROM sqlite_master WHERE name IN"
	                             " ('es9p_notification_unverified', 'es9p_session_created',"
	                             " 'es9p_session_iccid', 'es9p_session_unkept',"
	                             " 'es9p_session_kept_changed', 'es9p_session_profile_changed',"
	                             " 'es9p_session_profile_deleted')"),
	                 7);
	assert_int_equal(count_of(f, "SELECT n FROM es9p_unverified_count"), 2);
	/* migration 9 dropped the index of the sessions holding a one-time key */
	assert_int_equal(
	    count_of(f, "SELECT count(*) FROM sqlite_master WHERE name = 'es9p_session_otsk'"), 0);
	assert_int_equal(orsp_es9p_notification_count(f->s, f->prof.iccid, "install", &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n), ORSP_OK);
	assert_int_equal(n, 1);
	dl_free(&d);
}

/* The columns of es9p_session, "name type notnull default" each, one a line, into out. */
static void session_columns(fx *f, char *out, size_t cap)
{
	orsp_stmt *st = NULL;
	bool row = false;
	size_t len = 0;

	out[0] = '\0';
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(f->s),
	                                 "SELECT name, type, \"notnull\", dflt_value"
	                                 " FROM pragma_table_info('es9p_session') ORDER BY cid",
	                                 &st),
	                 ORSP_OK);
	while (orsp_stmt_step(st, &row) == ORSP_OK && row) {
		const char *d = orsp_stmt_column_text(st, 3);
		int n = snprintf(out + len, cap - len, "%s %s %d %s\n",
		                 orsp_stmt_column_text(st, 0), orsp_stmt_column_text(st, 1),
		                 (int)orsp_stmt_column_int64(st, 2), d ? d : "-");
		assert_true(n > 0 && (size_t)n < cap - len);
		len += (size_t)n;
	}
	orsp_stmt_finalize(st);
}

/* Migration 11 of the ES9+ tables from the layout before it: es9p_session's attempts column,
 * which nothing read or wrote, is gone, the table has the columns of a new database, and a
 * session begun before the upgrade keeps its row and completes. */
static void test_session_attempts_migration(void **state)
{
	fx *f = *state;
	static dl d;
	static char fresh[4096], migrated[4096];
	orsp_db *db = NULL;
	int v = 0;

	memset(&d, 0, sizeof(d));
	session_columns(f, fresh, sizeof(fresh));
	assert_null(strstr(fresh, "attempts"));
	order(f, EID, NULL, NULL);
	initiate(f, &d);
	authenticate(f, &d, f->prof.matching_id);
	orsp_smdp_close(f->s);
	f->s = NULL;
	assert_int_equal(orsp_db_open(f->db, &db), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "BEGIN;" ES9P_UNDO_V14
	                                  "ALTER TABLE es9p_session ADD COLUMN attempts INTEGER"
	                                  " NOT NULL DEFAULT 0;"
	                                  "UPDATE es9p_session SET attempts = 2;"
	                                  "DROP INDEX es9p_session_pir;"
	                                  "ALTER TABLE es9p_session DROP COLUMN pir;"
	                                  "ALTER TABLE es9p_session DROP COLUMN keyset_id;"
	                                  "DELETE FROM schema_migrations WHERE module = 'smdp_es9p'"
	                                  " AND version IN (11, 12, 13);"
	                                  "COMMIT;"),
	                 ORSP_OK);
	orsp_db_close(db);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_db_schema_version(orsp_smdp_db(f->s), "smdp_es9p", &v), ORSP_OK);
	assert_int_equal(v, 10);
	assert_int_equal(orsp_es9p_prepare(f->s), ORSP_OK);
	assert_int_equal(orsp_db_schema_version(orsp_smdp_db(f->s), "smdp_es9p", &v), ORSP_OK);
	assert_int_equal(v, 15);
	session_columns(f, migrated, sizeof(migrated));
	assert_string_equal(migrated, fresh);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 2"), 1);
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	dl_free(&d);
}

/* Default SM-DP+ case without an order for this eUICC: the only released profile is for
 * another EID, so the request is refused, the EID's (8.1.1/3.8: the request names no matching
 * ID; 8.2.6/3.8 until session 57), and that profile stays Released. */
static void test_default_smdp_other_eid(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o = {0};
	orsp_smdp_profile p;

	order(f, "89049032123451234512345678908801", NULL, NULL);
	reinitiate(f, &d);
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1.1", "3.8");
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);
}

/* Default SM-DP+ case: no matching ID, a profile released for this EID. Confirmation code.
 * The session survives closing and reopening the database between steps. */
static void test_default_smdp_cc_restart(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	json_t *rsp;

	memset(&d, 0, sizeof(d));
	order(f, EID, NULL, "1234");
	initiate(f, &d);
	orsp_smdp_close(f->s);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	authenticate(f, &d, NULL);
	assert_true(d.cc_required);
	orsp_smdp_close(f->s);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	/* no CC, a wrong CC, then the right one */
	rsp = call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http);
	expect_fail(rsp, "8.2.7", "2.2");
	rsp = call(f, "getBoundProfilePackage", gbpp_request(f, &d, "9999", true, false), &http);
	expect_fail(rsp, "8.2.7", "3.8");
	get_bpp(f, &d, "1234", true);
	check_bpp(f, &d);
	dl_free(&d);
}

/* A retry of getBoundProfilePackage with the same one-time key gets the same binding; with a
 * new key, a new one. */
static void test_gbpp_retry(void **state)
{
	fx *f = *state;
	static dl d;
	static uint8_t first[64 * 1024];
	size_t first_len;

	memset(&d, 0, sizeof(d));
	order(f, NULL, "RETRY-1", NULL);
	initiate(f, &d);
	authenticate(f, &d, "RETRY-1");
	get_bpp(f, &d, NULL, true);
	memcpy(first, d.bpp, d.bpp_len);
	first_len = d.bpp_len;
	get_bpp(f, &d, NULL, false);
	assert_int_equal(d.bpp_len, first_len);
	assert_memory_equal(d.bpp, first, first_len);
	get_bpp(f, &d, NULL, true);
	assert_true(d.bpp_len != first_len || memcmp(d.bpp, first, first_len) != 0);
	check_bpp(f, &d);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(kept_keys(f), 1);
	/* the first delivery and the new binding are audited, the same binding again is not */
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'downloadAttempt'"),
	                 2);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE detail ="
	                             " 'new binding for EID " EID "'"),
	                 1);
	dl_free(&d);
}

/* A retry with the same one-time key is answered only once the binding it was read from is
 * flushed (orsp_db_sync): the first request's flush may still be under way, or the binding
 * another process's, and the package must not reach the eUICC before its binding survives a
 * power cut (the power-loss review of session 77 saw the retry's answer go out before the
 * first request's flush ended). With that flush failing: a 500, no package; the profile
 * stays Downloaded for the first delivery. */
static void test_gbpp_retry_flushes(void **state)
{
	fx *f = *state;
	static dl d;

	memset(&d, 0, sizeof(d));
	order(f, NULL, "RETRY-SYNC", NULL);
	initiate(f, &d);
	authenticate(f, &d, "RETRY-SYNC");
	get_bpp(f, &d, NULL, true);
	orsp_db_inject_sync_failure(orsp_smdp_db(f->s));
	call_internal_error(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, false, false));
	assert_true(orsp_db_flush_failed(orsp_smdp_db(f->s)));
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	dl_free(&d);
}

/* What getBoundProfilePackage refuses as the client's (1.2/2.1) and what is its own failure
 * (500): an otPK.EUICC that is not a point of the curve is the client's; a package that does
 * not build from the SM-DP+'s own data (here a damaged cached StoreMetadataRequest) is a 500
 * that counts and changes nothing, so the LPA's retry works once the data is right. */
static void test_gbpp_build_failure(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	memset(&d, 0, sizeof(d));
	order(f, EID, "BUILD-1", NULL);
	initiate(f, &d);
	authenticate(f, &d, "BUILD-1");
	assert_int_equal(orsp_ec_generate(ORSP_CURVE_P256, &d.otk), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(d.otk, d.otpk), ORSP_OK);
	d.otpk[64] ^= 1; /* off the curve */
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, false, false), &http),
	    "1.2", "2.1");
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), "UPDATE es9p_metadata SET metadata ="
	                                                  " x'3000'"),
	                 ORSP_OK);
	call_internal_error(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false));
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(count_of(f, "SELECT download_attempts FROM smdp_profile"), 0);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 2"), 1);
	/* the cache dropped, the metadata is built again and the same session delivers */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), "DELETE FROM es9p_metadata"), ORSP_OK);
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	dl_free(&d);
}

/* The kept one-time key: a tampered one fails the retry (500, nothing answered); a new
 * binding then works; keys of sessions that expired without ending are dropped. */
static void test_gbpp_kept_key(void **state)
{
	fx *f = *state;
	static dl d;

	memset(&d, 0, sizeof(d));
	order(f, NULL, "KEPT-1", NULL);
	initiate(f, &d);
	authenticate(f, &d, "KEPT-1");
	get_bpp(f, &d, NULL, true);
	/* one byte of the wrapped key changed (to 00, or to 01 where it was 00 already: a
	 * constant would leave one run in 256 with the key intact) */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s),
	                              "UPDATE es9p_session SET otsk_wrapped = substr(otsk_wrapped,"
	                              " 1, 20) || CASE WHEN substr(otsk_wrapped, 21, 1) = x'00'"
	                              " THEN x'01' ELSE x'00' END || substr(otsk_wrapped, 22)"),
	                 ORSP_OK);
	call_internal_error(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, false, false));
	/* an unbound key of the wrong length, as a damaged row would hold */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s),
	                              "UPDATE es9p_session SET otsk_wrapped = x'01'"),
	                 ORSP_OK);
	call_internal_error(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, false, false));
	/* a session from before migration 3 (its BPP was kept, now dropped): a retry with the
	 * same key binds anew, and the new BPP decrypts */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), "UPDATE es9p_session SET"
	                                                  " otsk_wrapped = NULL, smdp_sign = NULL"),
	                 ORSP_OK);
	get_bpp(f, &d, NULL, false);
	check_bpp(f, &d);
	assert_int_equal(kept_keys(f), 1);
	/* an abandoned session of long ago that still holds a key */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s),
	                              "INSERT INTO es9p_session (tid, step, keyset,"
	                              " euicc_challenge, server_challenge, created_at, updated_at,"
	                              " otsk_wrapped) VALUES ('00', 3, 0, x'', x'', 1, 1, x'0102')"),
	                 ORSP_OK);
	assert_int_equal(kept_keys(f), 2);
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	/* a delivery no longer looks for it; the sweep deletes it with its row, and leaves the
	 * key of the delivered session, within the TTL */
	assert_int_equal(kept_keys(f), 2);
	assert_int_equal(sweep(f, 0), 1);
	assert_int_equal(kept_keys(f), 1);
	dl_free(&d);
}

/* A database failure at any point of getBoundProfilePackage: the request fails (500) or
 * succeeds, and a retry completes with exactly one download and a BPP that decrypts. */
static void test_gbpp_failure_injection(void **state)
{
	fx *f = *state;
	static dl d;
	int failed = 0;

	memset(&d, 0, sizeof(d));
	order_limit(f, EID, "INJECT-1", NULL, 100);
	initiate(f, &d);
	authenticate(f, &d, "INJECT-1");
	for (int k = 0; k < 40; k++) {
		char *body;
		json_t *req = gbpp_request(f, &d, NULL, true, false);
		orsp_smdp_reply rep;
		orsp_err e;
		body = json_dumps(req, JSON_COMPACT);
		json_decref(req);
		orsp_db_inject_failure(orsp_smdp_db(f->s), k);
		e = orsp_es9p_handle(&f->svc, f->s, "getBoundProfilePackage", (const uint8_t *)body,
		                     strlen(body), &rep);
		orsp_db_inject_failure(orsp_smdp_db(f->s), -1);
		free(body);
		if (e != ORSP_OK) {
			assert_int_equal(rep.http_status, 500);
			assert_null(rep.body);
			failed++;
			orsp_smdp_reply_free(&rep);
			continue;
		}
		orsp_smdp_reply_free(&rep);
	}
	assert_true(failed > 3);
	get_bpp(f, &d, NULL, false);
	check_bpp(f, &d);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	dl_free(&d);
}

/* call_on_any the fixture's handle */
static json_t *call_any(fx *f, const char *fn, json_t *req, int *http, orsp_err *e)
{
	return call_on_any(f, f->s, fn, req, http, e);
}

/* The disk full under the SM-DP+ (SQLite's own writes to its log fail, tests/faulty_vfs.c),
 * from the k-th write of getBoundProfilePackage on, for every k until the request meets no
 * fault, then under the installation result: every failed request is a 500 (the LPA tries
 * again), and leaves the profile where it was, neither delivered nor counted nor audited;
 * once the disk has room again the same session delivers, once, and the notification sent
 * again is recorded, once. */
static void test_disk_full(void **state)
{
	fx *f = *state;
	static dl d;
	unsigned k, failed = 1;
	size_t n = 99;

	memset(&d, 0, sizeof(d));
	order(f, EID, "FULL-1", NULL);
	initiate(f, &d);
	authenticate(f, &d, "FULL-1");
	assert_int_equal(orsp_ec_generate(ORSP_CURVE_P256, &d.otk), ORSP_OK);
	assert_int_equal(orsp_ec_public_point(d.otk, d.otpk), ORSP_OK);
	for (k = 1; failed; k++) {
		int http = 0;
		orsp_err e;
		json_t *rsp;
		faulty_vfs_arm(FAULTY_WRITE, "-wal", k, true, SQLITE_FULL);
		rsp = call_any(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, false, false),
		               &http, &e);
		failed = faulty_vfs_failed();
		faulty_vfs_disarm();
		if (!failed) {
			assert_int_equal(e, ORSP_OK);
			expect_ok(rsp);
			json_decref(rsp);
			break;
		}
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_null(rsp);
		assert_int_equal(http, 500);
		assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
		assert_int_equal(download_attempts_of(f), 0);
		assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
		                             " 'downloadAttempt'"),
		                 0);
		assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 2"),
		                 1);
	}
	assert_true(k > 1);
	/* delivered: the retry of the same request gives the same package, counted once */
	get_bpp(f, &d, NULL, false);
	check_bpp(f, &d);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(download_attempts_of(f), 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'downloadAttempt'"),
	                 1);

	for (k = 1, failed = 1; failed; k++) {
		int http = 0;
		orsp_err e;
		json_t *rsp;
		faulty_vfs_arm(FAULTY_WRITE, "-wal", k, true, SQLITE_FULL);
		rsp = call_any(f, "handleNotification", pir_request(f, &d, true, false), &http, &e);
		failed = faulty_vfs_failed();
		faulty_vfs_disarm();
		assert_null(rsp);
		if (!failed) {
			assert_int_equal(e, ORSP_OK);
			assert_int_equal(http, 204);
			break;
		}
		assert_int_equal(e, ORSP_E_STORAGE);
		assert_int_equal(http, 500);
		assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
		assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n), ORSP_OK);
		assert_int_equal(n, 0);
		assert_int_equal(
		    count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"), 0);
	}
	assert_true(k > 1);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(orsp_es9p_notification_count(f->s, f->prof.iccid, "install", &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"), 1);
	assert_int_equal(kept_keys(f), 0);
	dl_free(&d);
}

/* One request under a database failure at its k-th operation: true when the server failed
 * internally (HTTP 500, no body), false when the request succeeded. A Failed answer (an
 * SGP.22 code, which the LPA takes as final) fails the test. */
static bool injected_call(fx *f, const char *fn, json_t *req, int k)
{
	char *body = json_dumps(req, JSON_COMPACT);
	orsp_smdp_reply rep;
	orsp_err e;

	assert_non_null(body);
	json_decref(req);
	orsp_db_inject_failure(orsp_smdp_db(f->s), k);
	e = orsp_es9p_handle(&f->svc, f->s, fn, (const uint8_t *)body, strlen(body), &rep);
	orsp_db_inject_failure(orsp_smdp_db(f->s), -1);
	free(body);
	if (e != ORSP_OK) {
		assert_int_equal(rep.http_status, 500);
		assert_null(rep.body);
		orsp_err_clear();
	} else if (rep.http_status != 200 || !rep.body || !strstr(rep.body, "Executed-Success"))
		fail_msg("%s, failure at operation %d: HTTP %d %s", fn, k, rep.http_status,
		         rep.body ? rep.body : "");
	orsp_smdp_reply_free(&rep);
	return e != ORSP_OK;
}

/* A database failure at each operation of authenticateClient, by matching ID and in the
 * default SM-DP+ case: a 500 every time (never the final 8.2.6/3.8 of an unknown order),
 * no session written, the order as it was; once no operation fails, the session starts. */
static void test_authenticate_failure_injection(void **state)
{
	fx *f = *state;
	static dl d;
	static const char *const mids[] = {"INJECT-AUTH", NULL};

	order(f, EID, "INJECT-AUTH", "1234");
	/* the profile metadata built once (not part of the counted operations after) */
	assert_int_equal(orsp_es9p_warm(&f->svc, f->s, f->prof.iccid), ORSP_OK);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(mids); i++) {
		auth_opts o = {.mid = mids[i]};
		int k = 0;
		int64_t before = count_of(f, "SELECT count(*) FROM es9p_session");
		for (;; k++) {
			assert_true(k < 40);
			reinitiate(f, &d);
			if (!injected_call(f, "authenticateClient", auth_request(f, &d, &o), k))
				break;
			assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), before);
			assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
		}
		/* the session's search, the order's, the INSERT and its transaction at least */
		assert_true(k >= 6);
		assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), before + 1);
	}
	dl_free(&d);
}

/* getBoundProfilePackage with d's request carrying cc, called straight after the stack was
 * cleared: whether hashCc (of cc and d's transactionId) was left in a dead frame of the
 * handler. Its JSON body is made before, on a stack the handler then overwrites. */
static bool gbpp_hash_cc_on_stack(fx *f, dl *d, const char *cc, const char *subject,
                                  const char *reason)
{
	static uint8_t h1[32], in[48], want[32];
	orsp_smdp_reply rep;
	json_t *req = gbpp_request(f, d, cc, true, false), *out;
	char *body = json_dumps(req, JSON_COMPACT);
	bool found;
	orsp_err e;

	assert_non_null(body);
	json_decref(req);
	assert_int_equal(orsp_sha256(cc, strlen(cc), h1), ORSP_OK);
	memcpy(in, h1, 32);
	memcpy(in + 32, d->tid, d->tid_len);
	assert_int_equal(orsp_sha256(in, 32 + d->tid_len, want), ORSP_OK);
	test_stack_clear();
	e = orsp_es9p_handle(&f->svc, f->s, "getBoundProfilePackage", (const uint8_t *)body,
	                     strlen(body), &rep);
	found = test_stack_find(want, sizeof(want));
	free(body);
	assert_int_equal(e, ORSP_OK);
	assert_non_null(rep.body);
	out = json_loads(rep.body, 0, NULL);
	assert_non_null(out);
	orsp_smdp_reply_free(&rep);
	if (subject) {
		expect_fail(out, subject, reason);
	} else {
		expect_ok(out);
		json_decref(out);
	}
	return found;
}

/* hashCc, the eUICC's answer to the confirmation code, is no more left on the stack than in
 * the heap (the decoded request is wiped): the handler's copy of it and of euiccSigned2 (its
 * signed message) are wiped, for a wrong code and for the right one (both were left there
 * before): with the transactionId a short code is found from hashCc by trying them all. */
static void test_gbpp_hash_cc_not_left_on_stack(void **state)
{
	fx *f = *state;
	static dl d;

	if (!test_stack_scan_works)
		skip();
	order(f, EID, "STACK-CC", "1234");
	reinitiate(f, &d);
	authenticate(f, &d, "STACK-CC");
	assert_false(gbpp_hash_cc_on_stack(f, &d, "9999", "8.2.7", "3.8"));
	assert_false(gbpp_hash_cc_on_stack(f, &d, "1234", NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	dl_free(&d);
}

/* A database failure at each operation of getBoundProfilePackage with a confirmation code
 * (its check is a transaction of its own): a 500 every time (never the final 8.2/3.7 with
 * the database's error text), the order Released with no attempt counted and the session
 * where it was; then the delivery. A stored code that does not decrypt is a 500 too. */
static void test_gbpp_cc_failure_injection(void **state)
{
	fx *f = *state;
	static dl d;
	orsp_smdp_profile p;
	int k;

	order(f, EID, "INJECT-CC", "1234");
	reinitiate(f, &d);
	authenticate(f, &d, "INJECT-CC");
	/* a damaged stored code: the store's failure, not a wrong code (no attempt counted) */
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(f->s),
	                 "CREATE TEMP TABLE kept AS SELECT cc_wrapped FROM smdp_profile;"
	                 "UPDATE smdp_profile SET cc_wrapped = x'0102'"),
	    ORSP_OK);
	call_internal_error(f, "getBoundProfilePackage", gbpp_request(f, &d, "1234", true, false));
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.cc_attempts, 0);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), "UPDATE smdp_profile SET cc_wrapped ="
	                                                  " (SELECT cc_wrapped FROM kept)"),
	                 ORSP_OK);
	for (k = 0;; k++) {
		assert_true(k < 60);
		if (!injected_call(f, "getBoundProfilePackage",
		                   gbpp_request(f, &d, "1234", true, false), k))
			break;
		assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
		assert_int_equal(p.state, ORSP_SMDP_RELEASED);
		assert_int_equal(p.cc_attempts, 0);
		assert_int_equal(p.download_attempts, 0);
		assert_int_equal(count_of(f, "SELECT step FROM es9p_session"), 2);
	}
	assert_true(k >= 15);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	dl_free(&d);
}

/* Sessions of authenticateClient are deleted once older than the TTL and the clock skew
 * between server processes (60 s), in bounded batches: before, the row refuses a replayed
 * transactionId; after, its age does. Delivered sessions stay while their profile is
 * Downloaded for them, and take their installation result; then they go too. */
static void test_session_sweep(void **state)
{
	fx *f = *state;
	static dl d, a1, a2;
	int64_t t0 = time(NULL);
	auth_opts o = {.mid = "SWEEP-1"};
	int http;

	order_limit(f, EID, "SWEEP-1", NULL, 10);
	for (int i = 0; i < 5; i++) {
		reinitiate(f, &d);
		authenticate(f, &d, "SWEEP-1");
	}
	/* two sessions of the eUICC both delivered (an LPA that started over) */
	reinitiate(f, &a1);
	authenticate(f, &a1, "SWEEP-1");
	reinitiate(f, &a2);
	authenticate(f, &a2, "SWEEP-1");
	get_bpp(f, &a1, NULL, true);
	get_bpp(f, &a2, NULL, true);
	assert_int_equal(count_of(f, SESSIONS), 7);
	/* within the TTL nothing goes: the row refuses the replay */
	orsp_smdp_set_clock(f->s, t0 + 300);
	assert_int_equal(sweep(f, 0), 0);
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.10.1",
	                "3.9", "done already");
	/* so does it past the TTL but within the skew */
	orsp_smdp_set_clock(f->s, t0 + 600 + 30);
	assert_int_equal(sweep(f, 0), 0);
	/* past both: the five undelivered ones, two per call when asked for two */
	orsp_smdp_set_clock(f->s, t0 + 600 + 60 + 5);
	assert_int_equal(sweep(f, 2), 2);
	assert_int_equal(count_of(f, SESSIONS), 5);
	assert_int_equal(sweep(f, 0), 3);
	assert_int_equal(count_of(f, SESSIONS), 2);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 3"), 2);
	/* the replay is refused by its age now */
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.10.1", "3.9");
	/* the delivered sessions stay, and one takes its installation result */
	assert_int_equal(sweep(f, 0), 0);
	assert_null(call(f, "handleNotification", pir_request(f, &a1, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	/* then the finished one and the other delivered one (its profile left Downloaded) go */
	assert_int_equal(sweep(f, 0), 2);
	assert_int_equal(count_of(f, SESSIONS), 0);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&d);
	dl_free(&a1);
	dl_free(&a2);
}

/* The transactionId's 4-byte creation time wraps on 2106-02-07 06:28:16 UTC (2^32 s): its age
 * is taken modulo 2^32, so a transactionId made before the wrap and used after it, or made
 * after it, is within the TTL as on any other day, and one too old or too far ahead across it
 * is refused as such. Before, every transactionId made from the wrap on was too old
 * (8.10.1/3.9: the clock review's exp9 at 2106). */
static void test_tid_time_wraps(void **state)
{
	fx *f = *state;
	static dl made_before, made_after, old, ahead, skewed;
	const int64_t wrap = (int64_t)1 << 32;
	auth_opts o = {.mid = "WRAP-1"};
	int http;

	orsp_smdp_set_clock(f->s, wrap - 400);
	order_limit(f, EID, "WRAP-1", NULL, 10);
	reinitiate(f, &old);
	orsp_smdp_set_clock(f->s, wrap - 10);
	reinitiate(f, &made_before);
	orsp_smdp_set_clock(f->s, wrap + 10);
	authenticate(f, &made_before, "WRAP-1");
	orsp_smdp_set_clock(f->s, wrap + 20);
	reinitiate(f, &made_after);
	orsp_smdp_set_clock(f->s, wrap + 30);
	authenticate(f, &made_after, "WRAP-1");
	/* 601 s old, the TTL 600 */
	orsp_smdp_set_clock(f->s, wrap + 201);
	expect_fail(call(f, "authenticateClient", auth_request(f, &old, &o), &http), "8.10.1",
	            "3.9");
	/* made after the wrap by a process whose clock is ahead: 60 s (the skew allowed) is
	 * taken, 61 s is not */
	orsp_smdp_set_clock(f->s, wrap + 30);
	reinitiate(f, &ahead);
	reinitiate(f, &skewed);
	orsp_smdp_set_clock(f->s, wrap - 30);
	authenticate(f, &ahead, "WRAP-1");
	orsp_smdp_set_clock(f->s, wrap - 31);
	expect_fail(call(f, "authenticateClient", auth_request(f, &skewed, &o), &http), "8.10.1",
	            "3.9");
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&made_before);
	dl_free(&made_after);
	dl_free(&old);
	dl_free(&ahead);
	dl_free(&skewed);
}

/* A transactionId made by a process whose clock is ahead of this one's by more than the 60 s
 * allowed is refused 8.10.1/3.9 as before, and the reply's note (the log line's reason="...")
 * says by how much, pointing at the clocks: before, nothing did (the clock review's exp5, two
 * servers 2 minutes apart). Not for a refusal for another cause: one too old, or one whose tag
 * is not ours (a client that makes up a creation time ahead is not believed). */
static void test_tid_ahead_noted(void **state)
{
	fx *f = *state;
	static dl ahead, old, forged;
	int64_t t0 = time(NULL);
	auth_opts o = {.mid = "AHEAD-1"};
	int http;

	orsp_smdp_set_clock(f->s, t0);
	order_limit(f, EID, "AHEAD-1", NULL, 10);
	reinitiate(f, &old);
	orsp_smdp_set_clock(f->s, t0 + 125);
	reinitiate(f, &ahead);
	orsp_smdp_set_clock(f->s, t0);
	expect_fail(call(f, "authenticateClient", auth_request(f, &ahead, &o), &http), "8.10.1",
	            "3.9");
	assert_string_equal(last_note, "the transactionId was made 125 s ahead of this process's "
	                               "clock (clocks of the server processes not synchronised?)");
	/* its tag changed: not ours, whatever its time says */
	forged = ahead;
	forged.otk = NULL;
	forged.tid[15] ^= 1;
	assert_int_equal(orsp_hex_encode(forged.tid, 16, forged.tid_hex, sizeof(forged.tid_hex)),
	                 ORSP_OK);
	expect_fail(call(f, "authenticateClient", auth_request(f, &forged, &o), &http), "8.10.1",
	            "3.9");
	assert_string_equal(last_note, "");
	/* too old: refused without a note */
	orsp_smdp_set_clock(f->s, t0 + 601);
	expect_fail(call(f, "authenticateClient", auth_request(f, &old, &o), &http), "8.10.1",
	            "3.9");
	assert_string_equal(last_note, "");
	/* the one ahead, once this clock is within the 60 s of it: taken */
	orsp_smdp_set_clock(f->s, t0 + 65);
	authenticate(f, &ahead, "AHEAD-1");
	assert_string_equal(last_note, "");
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&ahead);
	dl_free(&old);
}

/* A delivered session whose eUICC never reports is kept `delivered_session_days`, then
 * deleted even though its profile is still Downloaded; a result after that is recorded as
 * for an unknown session. */
/* d delivered (at t0) under order mid, then its order cancelled to Unavailable when
 * `cancel`: with `delivered_session_days` 2, kept a day later, deleted past 2 days. */
static void kept_two_days(fx *f, dl *d, const char *mid, bool cancel)
{
	int64_t t0 = time(NULL);

	/* the session is delivered at t0 exactly: on the real clock a second could tick between
	 * t0 and the delivery, and the sweep a second past 2 days would then find it 2 days old,
	 * not older (it failed so once) */
	orsp_smdp_set_clock(f->s, t0);
	order(f, EID, mid, NULL);
	reinitiate(f, d);
	authenticate(f, d, mid);
	get_bpp(f, d, NULL, true);
	if (cancel)
		assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, mid, false),
		                 ORSP_OK);
	f->svc.delivered_session_days = 2;
	orsp_smdp_set_clock(f->s, t0 + 86400);
	assert_int_equal(sweep(f, 0), 0);
	orsp_smdp_set_clock(f->s, t0 + 2 * 86400 + 1);
	assert_int_equal(sweep(f, 0), 1);
	assert_int_equal(count_of(f, SESSIONS), 0);
}

static void test_session_retention(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	kept_two_days(f, &d, "KEEP-1", false);
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'unknown session'"),
	                 1);
	orsp_smdp_set_clock(f->s, 0);
	f->svc.delivered_session_days = 0;
	dl_free(&d);
}

/* A session that had delivered when cancelOrder made its profile Unavailable is kept as a
 * delivered one for its result, a day later still verified and reported to the operator
 * (until session 75 the sweep deleted it past the TTL as a finished session, and the result
 * was then an unknown session's, unverified); once the result came it goes, and one whose
 * eUICC never reports goes after `delivered_session_days`. */
static void test_cancelled_session_retention(void **state)
{
	fx *f = *state;
	static dl a;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	download_all(f, &a, "KEEP-CANCEL-1");
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "KEEP-CANCEL-1", false),
	                 ORSP_OK);
	orsp_smdp_set_clock(f->s, t0 + 86400);
	assert_int_equal(sweep(f, 0), 0);
	pir_judged(f, &a, true, "installed, order cancelled");
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"
	                             " AND success = 1"),
	                 1);
	assert_int_equal(sweep(f, 0), 1);
	assert_int_equal(count_of(f, SESSIONS), 0);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&a);
}

/* The same session with no result: kept `delivered_session_days`, then deleted. */
static void test_cancelled_session_lapses(void **state)
{
	fx *f = *state;
	static dl a;

	kept_two_days(f, &a, "KEEP-CANCEL-2", true);
	orsp_smdp_set_clock(f->s, 0);
	f->svc.delivered_session_days = 0;
	dl_free(&a);
}

/* A delivered session past the TTL keeps its row for its installation result, but its
 * one-time key goes with the next sweep (nothing can bind with it any more), oldest first and
 * `max` at a time; the result is still taken. After a complete search a handle looks only at
 * the sessions that came of age since (a key is written within the TTL of its session's
 * creation); a new handle, as after a restart, searches them all once. */
static void test_sweep_forgets_keys(void **state)
{
	fx *f = *state;
	static dl d, e;
	int64_t t0 = time(NULL);
	int http;
	char sql[160];

	orsp_smdp_set_clock(f->s, t0);
	order_limit(f, EID, "KEYS-1", NULL, 10);
	reinitiate(f, &d);
	authenticate(f, &d, "KEYS-1");
	/* a second session a second later, both delivered (an LPA that started over) */
	orsp_smdp_set_clock(f->s, t0 + 1);
	reinitiate(f, &e);
	authenticate(f, &e, "KEYS-1");
	get_bpp(f, &d, NULL, true);
	get_bpp(f, &e, NULL, true);
	assert_int_equal(kept_keys(f), 2);
	/* within the TTL the keys stay: a getBoundProfilePackage sent again gets its package */
	orsp_smdp_set_clock(f->s, t0 + 600);
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(kept_keys(f), 2);
	/* past it, only the older one's goes at first (the younger one is still within it) */
	orsp_smdp_set_clock(f->s, t0 + 601);
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(kept_keys(f), 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE otsk_wrapped IS NOT"
	                             " NULL AND created_at = (SELECT max(created_at) FROM"
	                             " es9p_session)"),
	                 1);
	/* `max` at a time: a key put back on the older one, then one per sweep, oldest first */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s),
	                              "UPDATE es9p_session SET otsk_wrapped = x'0102' WHERE"
	                              " otsk_wrapped IS NULL"),
	                 ORSP_OK);
	smdp_set_es9p_keys_done(f->s, 0); /* as a new handle */
	orsp_smdp_set_clock(f->s, t0 + 630);
	assert_int_equal(sweep(f, 1), 0);
	assert_int_equal(kept_keys(f), 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE otsk_wrapped IS NOT"
	                             " NULL AND created_at = (SELECT max(created_at) FROM"
	                             " es9p_session)"),
	                 1);
	assert_int_equal(sweep(f, 1), 0);
	assert_int_equal(kept_keys(f), 0);
	assert_int_equal(count_of(f, SESSIONS), 2);
	/* a search that found fewer than `max` is complete: a key of a session of long ago is
	 * not looked for again by this handle (nor is any while the cutoff stays), but by one
	 * whose clock was set back, and by a new handle */
	assert_int_equal(sweep(f, 0), 0);
	snprintf(sql, sizeof(sql),
	         "UPDATE es9p_session SET otsk_wrapped = x'0102', created_at = %lld WHERE"
	         " created_at = %lld",
	         (long long)t0 - 1000, (long long)t0);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), sql), ORSP_OK);
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(kept_keys(f), 1);
	orsp_smdp_set_clock(f->s, t0 + 500);
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(kept_keys(f), 0);
	/* that search was complete up to t0 - 100: the next, at t0 + 630, starts at t0 - 160 */
	snprintf(sql, sizeof(sql),
	         "UPDATE es9p_session SET otsk_wrapped = x'0102' WHERE"
	         " created_at = %lld",
	         (long long)t0 - 1000);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), sql), ORSP_OK);
	orsp_smdp_set_clock(f->s, t0 + 630);
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(kept_keys(f), 1);
	orsp_smdp_close(f->s);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(f->s), ORSP_OK);
	orsp_smdp_set_clock(f->s, t0 + 630);
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(kept_keys(f), 0);
	assert_int_equal(count_of(f, SESSIONS), 2);
	/* a sweep that fails at any of its database operations forgets no key and leaves the
	 * search where it was: the next one still finds the key */
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), "UPDATE es9p_session SET otsk_wrapped ="
	                                                  " x'0102'"),
	                 ORSP_OK);
	smdp_set_es9p_keys_done(f->s, 0);
	for (int k = 0;; k++) {
		size_t n = 0;
		orsp_err err;
		assert_true(k < 100);
		orsp_db_inject_failure(orsp_smdp_db(f->s), k);
		err = orsp_es9p_sweep(&f->svc, f->s, 0, &n);
		orsp_db_inject_failure(orsp_smdp_db(f->s), -1);
		orsp_err_clear();
		if (err == ORSP_OK) {
			assert_int_equal(kept_keys(f), 0);
			assert_int_equal(smdp_es9p_keys_done(f->s), t0 + 30);
			break;
		}
		assert_int_equal(kept_keys(f), 2);
		assert_int_equal(smdp_es9p_keys_done(f->s), 0);
	}
	/* the rows stay for the result, which is taken */
	assert_null(call(f, "handleNotification", pir_request(f, &e, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&d);
	dl_free(&e);
}

/* The sessions the sweep keeps for their installation result (2,048 delivered to one order
 * whose profile stays Downloaded) are read once: a sweep with nothing new to delete reads
 * none of them again. Before session 79 every batch read them all again (12 ms a batch with
 * 5,000, the review): some 20 steps of its statements for each. Counted as the steps of the
 * sweep's statements (orsp__db_test_count_steps), never timed. Once the result comes (here
 * through another handle, as another process's) they all go, in batches of the sweep's size,
 * also by a handle opened after a restart. */
static void test_sweep_kept_read_once(void **state)
{
	enum { KEPT = 2048 };
	fx *f = *state;
	static dl d;
	orsp_smdp *other = NULL, *mine;
	int64_t t0 = time(NULL), steps = 0;
	int http;

	orsp_smdp_set_clock(f->s, t0);
	download_all(f, &d, "KEPT-1");
	/* d's session copied under new transactionIds, doubling 11 times */
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(f->s), "CREATE TEMP TABLE c AS SELECT * FROM es9p_session"),
	    ORSP_OK);
	for (int k = 0; k < 11; k++)
		assert_int_equal(
		    orsp_db_exec(orsp_smdp_db(f->s),
		                 "DELETE FROM c; INSERT INTO c SELECT * FROM es9p_session;"
		                 "UPDATE c SET tid = lower(hex(randomblob(16)));"
		                 "INSERT INTO es9p_session SELECT * FROM c;"),
		    ORSP_OK);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), "DROP TABLE c"), ORSP_OK);
	assert_int_equal(count_of(f, SESSIONS), KEPT);
	/* past the TTL they are all kept: the first sweeps read them and forget their keys,
	 * 1,000 a sweep */
	orsp_smdp_set_clock(f->s, t0 + 3600);
	for (int k = 0; k < 3; k++)
		assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(kept_keys(f), 0);
	/* the next, a second later, reads none of them */
	orsp_smdp_set_clock(f->s, t0 + 3601);
	orsp__db_test_count_steps(&steps);
	assert_int_equal(sweep(f, 0), 0);
	orsp__db_test_count_steps(NULL);
	if (steps >= KEPT / 8)
		fail_msg("a sweep that deleted nothing took %lld steps with %d sessions kept",
		         (long long)steps, KEPT);
	assert_int_equal(count_of(f, SESSIONS), KEPT);
	/* the result, through another handle */
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &other), ORSP_OK);
	orsp_smdp_set_clock(other, t0 + 3601);
	mine = f->s;
	f->s = other;
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	f->s = mine;
	orsp_smdp_close(other);
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	/* a restart, and they go, 1,000 a batch */
	orsp_smdp_close(f->s);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(f->s), ORSP_OK);
	orsp_smdp_set_clock(f->s, t0 + 3602);
	assert_int_equal(sweep(f, 0), 1000);
	assert_int_equal(sweep(f, 0), 1000);
	assert_int_equal(sweep(f, 0), KEPT - 2000);
	assert_int_equal(count_of(f, SESSIONS), 0);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&d);
}

/* A kept session goes at the next sweep once its profile's row is gone (no request deletes
 * one; an operator's hand on the database could): the mark is taken off by migration 15's
 * trigger, as it is when the profile's state changes. */
static void test_sweep_kept_profile_gone(void **state)
{
	fx *f = *state;
	static dl d;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	download_all(f, &d, "KEPT-2");
	orsp_smdp_set_clock(f->s, t0 + 3600);
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE sweep_kept = 1"), 1);
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(f->s), "DELETE FROM smdp_upp; DELETE FROM smdp_profile"),
	    ORSP_OK);
	assert_int_equal(sweep(f, 0), 1);
	assert_int_equal(count_of(f, SESSIONS), 0);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&d);
}

/* ---------------------------------------------------------------- negative paths -------- */

static void test_initiate_checks(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	static const uint8_t other_ski[20] = {1, 2, 3};
	json_t *rsp, *req;

	rsp = call(f, "initiateAuthentication", info1_request(f, &d, "other.example.com", NULL, 0),
	           &http);
	expect_fail(rsp, "8.8.1", "3.8");
	/* the address is compared without case */
	rsp = call(f, "initiateAuthentication",
	           info1_request(f, &d, "TestSmdpPlus1.Example.COM", NULL, 0), &http);
	expect_ok(rsp);
	json_decref(rsp);
	rsp = call(f, "initiateAuthentication", info1_request(f, &d, FQDN, other_ski, 20), &http);
	expect_fail(rsp, "8.8.2", "3.1");
	/* malformed: JSON, base64, ASN.1, a missing field */
	{
		orsp_smdp_reply rep;
		static const char *bad[] = {
		    "{", "[]", "{\"euiccChallenge\":1}",
		    "{\"euiccChallenge\":\"!!!\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"" FQDN "\"}",
		    "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"MAA=\","
		    "\"smdpAddress\":\"" FQDN "\"}",
		    "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAAAA==\",\"euiccInfo1\":\"vyAFggMCAg==\","
		    "\"smdpAddress\":\"" FQDN "\"}",
		    "{\"euiccChallenge\":\"AAAA\",\"euiccInfo1\":\"vyAA\",\"smdpAddress\":\"" FQDN "\"}",
		    /* the parser's error quotes the body: invalid UTF-8 must not reach the answer
		     * (found by fuzz_smdp_es9p) */
		    "\"\\\xd8\xa4\xe0\"",
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
			json_t *o;
			json_error_t je;
			assert_int_equal(orsp_es9p_handle(&f->svc, f->s, "initiateAuthentication",
			                                  (const uint8_t *)bad[i], strlen(bad[i]), &rep),
			                 ORSP_OK);
			assert_int_equal(rep.http_status, 200);
			o = json_loads(rep.body, 0, &je);
			orsp_smdp_reply_free(&rep);
			expect_fail(o, "1.2", "2.1");
		}
		/* a challenge of another length than 16 bytes, a transactionId empty, missing, not
		 * a string, of more than 32 characters: the message names the field, not a detail
		 * the caller's thread kept from an earlier error; one not hex (of an odd length,
		 * with a non-hex digit) is named by its fault */
		static const struct {
			const char *fn, *body, *field;
		} named[] = {
		    {"initiateAuthentication",
		     "{\"euiccChallenge\":\"AAAAAAAAAAAAAAAAAAAA\",\"euiccInfo1\":\"vyAA\","
		     "\"smdpAddress\":\"" FQDN "\"}",
		     "euiccChallenge"},
		    {"authenticateClient",
		     "{\"transactionId\":\"\",\"authenticateServerResponse\":\"\"}",
		     "transactionId"},
		    {"getBoundProfilePackage",
		     "{\"transactionId\":\"\",\"prepareDownloadResponse\":\"\"}", "transactionId"},
		    {"cancelSession", "{\"transactionId\":\"\",\"cancelSessionResponse\":\"\"}",
		     "transactionId"},
		    {"authenticateClient", "{\"authenticateServerResponse\":\"\"}",
		     "transactionId: missing"},
		    {"getBoundProfilePackage",
		     "{\"transactionId\":7,\"prepareDownloadResponse\":\"\"}",
		     "transactionId: not a string"},
		    {"cancelSession",
		     "{\"transactionId\":\"00112233445566778899AABBCCDDEEFF00\","
		     "\"cancelSessionResponse\":\"\"}",
		     "transactionId: 34 bytes, longer than 32"},
		    {"authenticateClient",
		     "{\"transactionId\":\"00112233445566778899AABBCCDDEEF\","
		     "\"authenticateServerResponse\":\"\"}",
		     "transactionId: odd number of hex digits (31)"},
		    {"getBoundProfilePackage",
		     "{\"transactionId\":\"0011223344556677889XAABBCCDDEEFF\","
		     "\"prepareDownloadResponse\":\"\"}",
		     "transactionId: invalid hex digit"},
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(named); i++) {
			json_t *o;
			json_error_t je;
			orsp_json_status st;
			(void)orsp_errf(ORSP_E_STORAGE, "earlier: /srv/smdp/stale.db is locked");
			assert_int_equal(orsp_es9p_handle(&f->svc, f->s, named[i].fn,
			                                  (const uint8_t *)named[i].body,
			                                  strlen(named[i].body), &rep),
			                 ORSP_OK);
			o = json_loads(rep.body, 0, &je);
			orsp_smdp_reply_free(&rep);
			assert_non_null(o);
			assert_int_equal(orsp_json_header_get(o, &st), ORSP_OK);
			if (strstr(st.message, "stale"))
				fail_msg("%s: \"%s\"", named[i].fn, st.message);
			expect_fail_msg(o, "1.2", "2.1", named[i].field);
		}
		/* euiccInfo1 with an svn not of 3 bytes or not 2.x.x: 8.8.3/3.1; without one of its
		 * CI lists or without an svn (mandatory: it was taken): 1.2/2.1 */
		{
			static const struct {
				const char *svn;
				size_t svn_len;
				bool verif, sig;
				const char *subject, *reason, *msg;
			} info1[] = {
			    {"\x01\x02\x02", 3, true, true, "8.8.3", "3.1",
			     "SGP.22 version not supported"},
			    {"\x03\x00\x00", 3, true, true, "8.8.3", "3.1",
			     "SGP.22 version not supported"},
			    {"\x02\x02", 2, true, true, "8.8.3", "3.1",
			     "SGP.22 version not supported"},
			    {"\x02\x02\x02\x00", 4, true, true, "8.8.3", "3.1",
			     "SGP.22 version not supported"},
			    {"\x02\x02\x02", 3, false, true, "1.2", "2.1",
			     "invalid request data: euiccInfo1: CI lists missing"},
			    {"\x02\x02\x02", 3, true, false, "1.2", "2.1",
			     "invalid request data: euiccInfo1: CI lists missing"},
			    {NULL, 0, true, true, "1.2", "2.1",
			     "invalid request data: euiccInfo1: svn missing"},
			};
			for (size_t i = 0; i < ORSP_ARRAY_LEN(info1); i++) {
				uint8_t b[128];
				orsp_writer w;
				orsp_der_mark m, l;
				orsp_writer_init(&w, b, sizeof(b));
				m = orsp_der_begin(&w, 0xBF20);
				if (info1[i].svn)
					orsp_der_put_tlv(&w, 0x82, info1[i].svn, info1[i].svn_len);
				if (info1[i].verif) {
					l = orsp_der_begin(&w, 0xA9);
					orsp_der_put_tlv(&w, 0x04, f->ci_ski, f->ci_ski_len);
					orsp_der_end(&w, l);
				}
				if (info1[i].sig) {
					l = orsp_der_begin(&w, 0xAA);
					orsp_der_put_tlv(&w, 0x04, f->ci_ski, f->ci_ski_len);
					orsp_der_end(&w, l);
				}
				orsp_der_end(&w, m);
				assert_int_equal(orsp_writer_status(&w), ORSP_OK);
				req = info1_request(f, &d, FQDN, NULL, 0);
				put_b64(req, "euiccInfo1", b, w.len);
				expect_fail_is(call(f, "initiateAuthentication", req, &http),
				               info1[i].subject, info1[i].reason, info1[i].msg);
			}
		}
		/* a body over the limit */
		f->svc.max_body = 64;
		req = info1_request(f, &d, FQDN, NULL, 0);
		rsp = call(f, "initiateAuthentication", req, &http);
		expect_fail(rsp, "1.2", "2.1");
		f->svc.max_body = 0;
		/* unknown function */
		assert_int_equal(orsp_es9p_handle(&f->svc, f->s, "frobnicate", (const uint8_t *)"{}", 2,
		                                  &rep),
		                 ORSP_OK);
		assert_int_equal(rep.http_status, 404);
		orsp_smdp_reply_free(&rep);
	}
}

/* The two CI lists of euiccInfo1 are judged apart (SGP.22 §5.6.1): a trusted CI in
 * euiccCiPKIdListForSigning (the eUICC's certificate chain), else 8.8.2/3.1; then a key set
 * whose CERT.DPauth chains to a CI of ...ForVerification, else 8.8.4/3.7. An eUICC that
 * verifies with one CI and signs under another gets the key set of the first and, as
 * euiccCiPKIdToBeUsed, the second; its chain must then end at that one. */
static void test_ci_lists(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	static const uint8_t other_ski[20] = {9, 9, 9};
	uint8_t brp_ski[32], *brp_cert, *brp_eum;
	size_t brp_ski_len = 0, brp_cert_len = 0, brp_eum_len = 0;
	orsp_cert *brp_ci = test_load_cert("sgp26/CertificateIssuer/CERT_CI_ECDSA_BRP.der");
	orsp_ec_key *brp_key = test_load_key("sgp26/eUICC/SK_EUICC_ECDSA_BRP.pem");
	auth_opts o;

	assert_int_equal(orsp_cert_ski(brp_ci, brp_ski, sizeof(brp_ski), &brp_ski_len), ORSP_OK);
	brp_cert = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_BRP.der", &brp_cert_len);
	brp_eum = test_read_vector("sgp26/EUM/CERT_EUM_ECDSA_BRP.der", &brp_eum_len);
	/* our CI only for signing: no CERT.DPauth the eUICC can verify */
	expect_fail(call(f, "initiateAuthentication",
	                 info1_lists(&d, FQDN, other_ski, 20, f->ci_ski, f->ci_ski_len), &http),
	            "8.8.4", "3.7");
	/* our CI only for verification, no CI we trust for signing */
	expect_fail(call(f, "initiateAuthentication",
	                 info1_lists(&d, FQDN, f->ci_ski, f->ci_ski_len, other_ski, 20), &http),
	            "8.8.2", "3.1");
	/* neither: the signing list is judged first */
	expect_fail(call(f, "initiateAuthentication",
	                 info1_lists(&d, FQDN, other_ski, 20, other_ski, 20), &http),
	            "8.8.2", "3.1");
	/* the key set's CI (NIST) to verify, the other trusted CI (brainpool, no key set of its
	 * own) to sign: the NIST CERT.DPauth, the brainpool CI to be used */
	order(f, EID, "CI-LISTS", NULL);
	memset(&d, 0, sizeof(d));
	initiate_req(f, &d, info1_lists(&d, FQDN, f->ci_ski, f->ci_ski_len, brp_ski, brp_ski_len),
	             brp_ski, brp_ski_len);
	/* the eUICC's chain under the NIST CI is not the one it was told to use */
	o = (auth_opts){.mid = "CI-LISTS"};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.11.1", "3.9");
	/* its brainpool chain is */
	memset(&d, 0, sizeof(d));
	initiate_req(f, &d, info1_lists(&d, FQDN, f->ci_ski, f->ci_ski_len, brp_ski, brp_ski_len),
	             brp_ski, brp_ski_len);
	o = (auth_opts){.mid = "CI-LISTS",
	                .cert = brp_cert,
	                .cert_len = brp_cert_len,
	                .eum = brp_eum,
	                .eum_len = brp_eum_len,
	                .key = brp_key};
	{
		json_t *rsp = call(f, "authenticateClient", auth_request(f, &d, &o), &http);
		expect_ok(rsp);
		json_decref(rsp);
	}
	/* and the same eUICC with both in both lists gets the key set's own CI */
	memset(&d, 0, sizeof(d));
	initiate(f, &d);
	orsp_cert_free(brp_ci);
	orsp_ec_free(brp_key);
	free(brp_cert);
	free(brp_eum);
}

/* A copy of the fixture's package with another ICCID and AKA algorithm, imported. */
static void import_with_alg(fx *f, const char *iccid, const char *imsi, orsp_aka_alg alg,
                            size_t k_len, orsp_smdp_profile *out)
{
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	uint8_t *der = NULL;
	size_t der_len = 0;

	assert_int_equal(orsp_pkg_decode(f->upp, f->upp_len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.iccid = iccid;
	p.imsi = imsi;
	p.set_aka = true;
	p.alg = alg;
	p.k.len = k_len;
	memset(p.k.v, 0x11, k_len);
	p.opc.len = k_len;
	memset(p.opc.v, 0x22, k_len);
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	orsp_pkg_perso_wipe(&p);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &der, &der_len), ORSP_OK);
	orsp_pkg_free(pkg);
	assert_int_equal(orsp_smdp_import(f->s, der, der_len, out), ORSP_OK);
	orsp_pkg_buf_free(der, der_len);
}

/* authenticateClient succeeds, in session d (NULL: a new one); the session is freed. */
static void auth_accepted(fx *f, dl *d, const auth_opts *o)
{
	static dl fresh;
	int http;
	json_t *rsp;

	if (!d) {
		memset(&fresh, 0, sizeof(fresh));
		d = &fresh;
		initiate(f, d);
	}
	rsp = call(f, "authenticateClient", auth_request(f, d, o), &http);
	expect_ok(rsp);
	json_decref(rsp);
	dl_free(d);
}

/* Eligibility in authenticateClient: the SAIP version the eUICC supports, the AKA algorithm
 * of the profile among its uiccCapability (8.2.5/4.3 naming what is missing), malformed
 * fields (1.2/2.1); an eUICC that can take the profile then gets it. */
static void test_eligibility(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o;
	orsp_smdp_profile mil, tuak;
	static const struct {
		const char *mid, *cap;
		size_t cap_len;
		const char *missing; /* what the refusal names */
	} alg_cases[] = {
	    /* Milenage profile: TUAK-128 only (bit 6), nothing, USIM only (bit 1) */
	    {"ELIG-M", "\x01\x02", 2, "akaMilenage"},
	    {"ELIG-M", "\x00", 1, "akaMilenage"},
	    {"ELIG-M", "\x06\x40", 2, "akaMilenage"},
	    /* TUAK with a 256-bit K: Milenage and TUAK-128 are not enough */
	    {"ELIG-T", "\x01\x0A", 2, "akaTuak256"},
	};

	import_with_alg(f, "8900012345678901230", "001010000000101", ORSP_AKA_MILENAGE, 16, &mil);
	import_with_alg(f, "8900012345678901248", "001010000000102", ORSP_AKA_TUAK, 32, &tuak);
	order(f, EID, "ELIG-1", NULL); /* the TS.48 package: SAIP 2.3, usim-test-algorithm */
	{
		orsp_smdp_order ord = {.iccid = mil.iccid, .eid = EID, .matching_id = "ELIG-M"};
		assert_int_equal(orsp_smdp_download_order(f->s, &ord, &mil), ORSP_OK);
		assert_int_equal(orsp_smdp_confirm_order(f->s, "ELIG-M", NULL, true), ORSP_OK);
		ord = (orsp_smdp_order){.iccid = tuak.iccid, .eid = EID, .matching_id = "ELIG-T"};
		assert_int_equal(orsp_smdp_download_order(f->s, &ord, &tuak), ORSP_OK);
		assert_int_equal(orsp_smdp_confirm_order(f->s, "ELIG-T", NULL, true), ORSP_OK);
	}
	reinitiate(f, &d);
	/* SAIP 2.2.9 and 1.9.0 are older than the profile's 2.3 */
	o = (auth_opts){.mid = "ELIG-1", .saip = "\x02\x02\x09", .saip_len = 3};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.5",
	                "4.3", "SAIP 2.2");
	/* the transactionId is used up: the same answer again is refused, and neither audited
	 * nor reported twice */
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.10.1", "3.9");
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'"),
	                 1);
	reinitiate(f, &d);
	o = (auth_opts){.mid = "ELIG-1", .saip = "\x01\x09\x00", .saip_len = 3};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.5",
	                "4.3", "SAIP 1.9");
	reinitiate(f, &d);
	/* additionalEuiccProfilePackageVersions [15] SEQUENCE OF VersionType, a later version's
	 * field at the end of euiccInfo2 (SGP.22 v3, SGP.32), is read too: with 1.0.0 and 2.2.0
	 * the eUICC stays ineligible, with 2.3.1 it takes the SAIP 2.3 profile; a version in it
	 * not of 3 bytes is malformed */
	o = (auth_opts){.mid = "ELIG-1",
	                .saip = "\x02\x02\x09",
	                .saip_len = 3,
	                .info2_ext = (const uint8_t *)"\xAF\x0A\x04\x03\x01\x00\x00"
	                                              "\x04\x03\x02\x02\x00",
	                .info2_ext_len = 12};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.5",
	                "4.3", "SAIP 2.2");
	reinitiate(f, &d);
	o.info2_ext = (const uint8_t *)"\xAF\x09\x04\x03\x01\x00\x00\x04\x02\x02\x03";
	o.info2_ext_len = 11;
	o.not_asn1 = true;
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	                "additionalEuiccProfilePackageVersions");
	o.info2_ext = (const uint8_t *)"\xAF\x0A\x04\x03\x01\x00\x00\x04\x03\x02\x03\x01";
	o.info2_ext_len = 12;
	o.not_asn1 = false;
	auth_accepted(f, NULL, &o);
	/* a profileVersion that is not three bytes, a uiccCapability that is not a BIT STRING */
	o = (auth_opts){.mid = "ELIG-1", .saip = "\x02\x03", .saip_len = 2, .not_asn1 = true};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	                "profileVersion");
	o = (auth_opts){
	    .mid = "ELIG-1", .uicc_cap = "\x08\xFF", .uicc_cap_len = 2, .not_asn1 = true};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	                "uiccCapability");
	o = (auth_opts){.mid = "ELIG-1", .uicc_cap = "\x03", .uicc_cap_len = 1, .not_asn1 = true};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	                "uiccCapability");
	/* {01 4B}: seven bits (usim, Milenage, TUAK-128), the one unused bit set; DER has it
	 * zero (X.690 §11.2.1) */
	o = (auth_opts){
	    .mid = "ELIG-1", .uicc_cap = "\x01\x4B", .uicc_cap_len = 2, .not_asn1 = true};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	                "uiccCapability");
	/* the AKA algorithm */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(alg_cases); i++) {
		o = (auth_opts){.mid = alg_cases[i].mid,
		                .uicc_cap = alg_cases[i].cap,
		                .uicc_cap_len = alg_cases[i].cap_len};
		expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http),
		                "8.2.5", "4.3", alg_cases[i].missing);
		reinitiate(f, &d);
	}
	/* nothing was changed by the refusals; the ineligible ones were audited (three SAIP
	 * versions, four AKA algorithms), the malformed ones not */
	assert_int_equal(orsp_smdp_get(f->s, mil.iccid, &mil), ORSP_OK);
	assert_int_equal(mil.state, ORSP_SMDP_RELEASED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'"),
	                 3 + ORSP_ARRAY_LEN(alg_cases));
	/* free memory in extCardResource is an unsigned big-endian number (TS 102 226), not a
	 * DER INTEGER: its top bit set (128), leading zero bytes (256 in four bytes); empty or
	 * longer than 8 bytes, missing, or not TLV, it is malformed, not skipped */
	{
		static const struct {
			const char *ecr;
			size_t len;
			const char *subject, *reason, *what;
		} ecr_cases[] = {
		    {"\x81\x01\x00\x82\x01\x80", 6, "8.1", "4.8", "has 128 bytes free"},
		    {"\x81\x01\x00\x82\x04\x00\x00\x01\x00", 9, "8.1", "4.8", "has 256 bytes free"},
		    {"\x82\x00", 2, "1.2", "2.1", "extCardResource tag 82 of 0 bytes"},
		    {"\x82\x09\x00\x00\x00\x00\x00\x00\x00\x00\x01", 11, "1.2", "2.1",
		     "extCardResource tag 82 of 9 bytes"},
		    {"\x81\x00\x82\x02\x9C\x40", 6, "1.2", "2.1",
		     "extCardResource tag 81 of 0 bytes"},
		    {"\x82\x02\x9C", 3, "1.2", "2.1", "extCardResource is not TLV"},
		    /* tag 82 is mandatory (TS 102 226 §8.2.1.7.2): without it, or empty, the
		     * free memory is unknown, not enough */
		    {"\x81\x01\x00", 3, "1.2", "2.1", "no free non-volatile memory (tag 82)"},
		    {"\x81\x01\x00\x83\x02\x9C\x40", 7, "1.2", "2.1",
		     "no free non-volatile memory (tag 82)"},
		    {"", 0, "1.2", "2.1", "no free non-volatile memory (tag 82)"},
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(ecr_cases); i++) {
			o = (auth_opts){
			    .mid = "ELIG-1", .ecr = ecr_cases[i].ecr, .ecr_len = ecr_cases[i].len};
			expect_fail_msg(
			    call(f, "authenticateClient", auth_request(f, &d, &o), &http),
			    ecr_cases[i].subject, ecr_cases[i].reason, ecr_cases[i].what);
			if (strcmp(ecr_cases[i].subject, "1.2") != 0)
				reinitiate(f, &d);
		}
		/* the two refused for memory were audited as ineligible, and reported to the
		 * operator with the code the eUICC was answered (they were 8.2.5/4.3) */
		assert_int_equal(
		    count_of(f, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'"),
		    3 + ORSP_ARRAY_LEN(alg_cases) + 2);
		assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 1"
		                             " AND subject_code = '8.1' AND reason_code = '4.8'"
		                             " AND detail LIKE '%bytes free%'"),
		                 2);
		assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress"
		                             " WHERE subject_code = '8.2.5'"
		                             " AND detail LIKE '%bytes free%'"),
		                 0);
		/* 40000 free (82 02 9C 40), more than the package */
		o = (auth_opts){
		    .mid = "ELIG-1", .ecr = "\x81\x01\x00\x82\x02\x9C\x40", .ecr_len = 7};
		auth_accepted(f, NULL, &o);
	}
	/* usim-test-algorithm has no capability bit: a newer SAIP and no algorithm will do */
	o = (auth_opts){.mid = "ELIG-1",
	                .saip = "\x03\x00\x00",
	                .saip_len = 3,
	                .uicc_cap = "\x06\x40",
	                .uicc_cap_len = 2};
	auth_accepted(f, &d, &o);
	/* the Milenage profile to an eUICC with Milenage (and TUAK-128) */
	o = (auth_opts){.mid = "ELIG-M", .uicc_cap = "\x01\x4A", .uicc_cap_len = 2};
	auth_accepted(f, NULL, &o);
	/* the TUAK-256 profile to the default eUICC (usim, Milenage, TUAK-128/256) */
	o = (auth_opts){.mid = "ELIG-T"};
	auth_accepted(f, NULL, &o);
	/* rows cached before es9p migration 5 (without what the profile asks) are built again */
	{
		orsp_db *db = orsp_smdp_db(f->s);
		orsp_stmt *st = NULL;
		bool row = false;
		assert_int_equal(orsp_db_exec(db, "UPDATE es9p_metadata SET saip_major = NULL,"
		                                  " saip_minor = NULL, services = NULL"),
		                 ORSP_OK);
		memset(&d, 0, sizeof(d));
		initiate(f, &d);
		o = (auth_opts){.mid = "ELIG-M", .uicc_cap = "\x01\x02", .uicc_cap_len = 2};
		expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http),
		                "8.2.5", "4.3", "akaMilenage");
		dl_free(&d);
		assert_int_equal(orsp_db_prepare(db,
		                                 "SELECT saip_major, saip_minor FROM es9p_metadata"
		                                 " WHERE iccid = ?1",
		                                 &st),
		                 ORSP_OK);
		assert_int_equal(orsp_stmt_bind_text(st, 1, mil.iccid), ORSP_OK);
		assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
		assert_true(row);
		assert_int_equal(orsp_stmt_column_int64(st, 0), 2);
		assert_int_equal(orsp_stmt_column_int64(st, 1), 3);
		orsp_stmt_finalize(st);
	}
}

typedef struct services_case {
	const char *cap;
	size_t len;
	const char *missing; /* NULL: eligible */
} services_case;

/* authenticateClient with uiccCapability c->cap (svn NULL: the default, 2.2.2): refused
 * naming c->missing, or accepted */
static void services_try(fx *f, dl *d, const services_case *c, const char *svn)
{
	int http;
	auth_opts o = {.mid = "SVC-1", .uicc_cap = c->cap, .uicc_cap_len = c->len, .svn = svn};

	if (c->missing) {
		expect_fail_msg(call(f, "authenticateClient", auth_request(f, d, &o), &http),
		                "8.2.5", "4.3", c->missing);
		reinitiate(f, d);
	} else
		auth_accepted(f, NULL, &o);
}

/* eligibility = services: every mandatory service with a capability bit the eUICC knows. The
 * TS.48 profile asks for usim, isim, csim, get-identity (bit 22), profile-a-x25519 (23) and
 * profile-b-p256 (24); bits from 19 on are judged, for an eUICC before SGP.22 v2.3 (svn), only
 * where its string reaches; for one of v2.3 or later always, as DER drops the clear bits at
 * the end (until session 57 such an eUICC lacking them all was never refused). */
static void test_eligibility_services(void **state)
{
	fx *f = *state;
	static dl d;
	static const services_case cases[] = {
	    {"\x00\x4B", 2, "isimSupport"},                  /* usim, Milenage, TUAK */
	    {"\x04\x50", 2, "isimSupport"},                  /* usim, csim */
	    {"\x07\x70\x00\x02\x80", 5, "profile-a-x25519"}, /* reaches 24: 23 missing */
	    {"\x07\x70\x00\x00\x80", 5, "getIdentity"},      /* 22 and 23 missing */
	    {"\x04\x70", 2, NULL},             /* NAAs; bits 22-24 not reached, not judged */
	    {"\x01\x70\x00\x02", 4, NULL},     /* reaches 22 only */
	    {"\x07\x70\x00\x03\x80", 5, NULL}, /* everything */
	};
	/* svn 2.3.0: the string's length is no excuse */
	static const services_case v23[] = {
	    {"\x04\x70", 2, "getIdentity"},
	    {"\x01\x70\x00\x02", 4, "profile-a-x25519"},
	    {"\x07\x70\x00\x03\x80", 5, NULL},
	};

	f->svc.eligibility_all_services = true;
	order(f, EID, "SVC-1", NULL);
	reinitiate(f, &d);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++)
		services_try(f, &d, &cases[i], NULL);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(v23); i++)
		services_try(f, &d, &v23[i], "\x02\x03\x00");
	dl_free(&d);
}

/* authenticateClient refuses eUICC d's answer o for the platform policy item `item`, with
 * 8.2.5/4.3 and a message naming `what`; the request's reply names the item. */
static void plat_refused(fx *f, const auth_opts *o, const char *item, const char *what)
{
	static dl d;
	int http;

	reinitiate(f, &d);
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, o), &http), "8.2.5",
	                "4.3", what);
	assert_string_equal(last_policy, item);
	dl_free(&d);
}

/* The operator's platform policy (TR 33.812 platform validation on euiccInfo2's signed facts
 * and the EUM): each item accepts an eUICC that meets it and refuses one that does not, with
 * 8.2.5/4.3, an audit row and a progress report naming the item; versions compare as three
 * numbers; a fact the policy asks about and the eUICC does not state is refused; facts
 * changed after the eUICC signed them fail the signature first. */
static void test_platform_policy(void **state)
{
	fx *f = *state;
	orsp_smdp_platform_policy *pol = &f->svc.platform;
	static dl d;
	int http;
	auth_opts o;
	size_t refusals = 0;
	uint8_t eum_ski[32];
	size_t eum_ski_len = 0;

	order(f, EID, "PLAT-1", NULL);
	/* no policy: the fixture's eUICC (firmware 1.0.0, PP 0.1.0, no GP version) passes */
	o = (auth_opts){.mid = "PLAT-1"};
	auth_accepted(f, NULL, &o);
	assert_string_equal(last_policy, "");

	/* min_euicc_firmware: major, minor, revision as numbers (1.10.0 is above 1.2.0) */
	*pol = (orsp_smdp_platform_policy){.min_firmware = {true, {1, 2, 0}}};
	{
		static const char *const ok[] = {"\x01\x02\x00", "\x01\x0A\x00", "\x01\x02\xFF",
		                                 "\x02\x00\x00"};
		static const struct {
			const char *fw, *what;
		} refused[] = {
		    {"\x01\x01\xFF", "min_euicc_firmware: euiccFirmwareVer 1.1.255 is below 1.2.0"},
		    {"\x00\xFF\xFF", "euiccFirmwareVer 0.255.255 is below 1.2.0"},
		    {"\x01\x00\x00", "euiccFirmwareVer 1.0.0 is below 1.2.0"},
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(ok); i++) {
			o = (auth_opts){.mid = "PLAT-1", .fw = ok[i]};
			auth_accepted(f, NULL, &o);
		}
		for (size_t i = 0; i < ORSP_ARRAY_LEN(refused); i++) {
			o = (auth_opts){.mid = "PLAT-1", .fw = refused[i].fw};
			plat_refused(f, &o, "min_euicc_firmware", refused[i].what);
			refusals++;
		}
	}
	/* a euiccFirmwareVer that is not 3 bytes is malformed, not a policy verdict */
	reinitiate(f, &d);
	o = (auth_opts){.mid = "PLAT-1", .fw = "\x01\x02", .fw_len = 2, .not_asn1 = true};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	                "euiccFirmwareVer of 2 bytes");
	assert_string_equal(last_policy, "");
	/* the facts are the eUICC's signed word: changed after signing, in either direction,
	 * the signature fails before the policy looks at them */
	reinitiate(f, &d);
	o = (auth_opts){.mid = "PLAT-1", .fw = "\x01\x00\x00", .fw_unsigned = "\x01\x02\x00"};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1", "6.1");
	reinitiate(f, &d);
	o = (auth_opts){.mid = "PLAT-1", .fw = "\x01\x02\x00", .fw_unsigned = "\x01\x00\x00"};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1", "6.1");
	assert_string_equal(last_policy, "");

	/* euicc_firmware_denied: exactly those versions, also above the minimum */
	pol->firmware_denied[0][0] = 1;
	pol->firmware_denied[0][1] = 3;
	pol->firmware_denied[0][2] = 1;
	pol->firmware_denied[1][0] = 1;
	pol->firmware_denied[1][1] = 3;
	pol->firmware_denied[1][2] = 2;
	pol->n_firmware_denied = 2;
	o = (auth_opts){.mid = "PLAT-1", .fw = "\x01\x03\x01"};
	plat_refused(f, &o, "euicc_firmware_denied",
	             "euicc_firmware_denied: euiccFirmwareVer 1.3.1 is denied");
	o = (auth_opts){.mid = "PLAT-1", .fw = "\x01\x03\x02"};
	plat_refused(f, &o, "euicc_firmware_denied", "1.3.2 is denied");
	refusals += 2;
	o = (auth_opts){.mid = "PLAT-1", .fw = "\x01\x03\x00"};
	auth_accepted(f, NULL, &o);
	o = (auth_opts){.mid = "PLAT-1", .fw = "\x01\x03\x03"};
	auth_accepted(f, NULL, &o);
	/* the deny list alone (no minimum) and a euiccFirmwareVer of 2 or 4 bytes: malformed
	 * (1.2/2.1), not a policy verdict. (One absent is refused before, as a mandatory field
	 * of euiccInfo2.) */
	*pol = (orsp_smdp_platform_policy){.n_firmware_denied = 1, .firmware_denied = {{1, 3, 1}}};
	{
		static const struct {
			const char *fw;
			size_t len;
		} odd[] = {{"\x01\x03", 2}, {"\x01\x03\x01\x00", 4}};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(odd); i++) {
			reinitiate(f, &d);
			o = (auth_opts){.mid = "PLAT-1",
			                .fw = odd[i].fw,
			                .fw_len = odd[i].len,
			                .not_asn1 = true};
			expect_fail_is(
			    call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2",
			    "2.1",
			    "invalid request data: euiccInfo2: euiccFirmwareVer not of 3 bytes");
			assert_string_equal(last_policy, "");
		}
	}

	/* min_pp_version, min_svn */
	*pol = (orsp_smdp_platform_policy){.min_pp = {true, {1, 0, 0}}};
	o = (auth_opts){.mid = "PLAT-1"};
	plat_refused(f, &o, "min_pp_version", "min_pp_version: ppVersion 0.1.0 is below 1.0.0");
	o = (auth_opts){.mid = "PLAT-1", .pp = "\x01\x00\x00"};
	auth_accepted(f, NULL, &o);
	*pol = (orsp_smdp_platform_policy){.min_svn = {true, {2, 2, 0}}};
	o = (auth_opts){.mid = "PLAT-1", .svn = "\x02\x01\x00"};
	plat_refused(f, &o, "min_svn", "min_svn: svn 2.1.0 is below 2.2.0");
	o = (auth_opts){.mid = "PLAT-1"}; /* 2.2.2 */
	auth_accepted(f, NULL, &o);
	refusals += 2;

	/* min_gp_version: globalplatformVersion is optional; an eUICC that does not state it
	 * is refused (the operator asked for it) */
	*pol = (orsp_smdp_platform_policy){.min_gp = {true, {2, 3, 0}}};
	o = (auth_opts){.mid = "PLAT-1"};
	plat_refused(f, &o, "min_gp_version",
	             "min_gp_version 2.3.0: the eUICC does not state its globalplatformVersion");
	o = (auth_opts){.mid = "PLAT-1", .gp = "\x02\x02\x09"};
	plat_refused(f, &o, "min_gp_version", "globalplatformVersion 2.2.9 is below 2.3.0");
	o = (auth_opts){.mid = "PLAT-1", .gp = "\x02\x03\x01"};
	auth_accepted(f, NULL, &o);
	refusals += 2;

	/* sas_accreditation: one of the list, exactly (case and spaces count) */
	*pol = (orsp_smdp_platform_policy){.n_sas = 2};
	snprintf(pol->sas[0], sizeof(pol->sas[0]), "ACME-01");
	snprintf(pol->sas[1], sizeof(pol->sas[1]), "OTHER-02");
	o = (auth_opts){.mid = "PLAT-1"};
	plat_refused(f, &o, "sas_accreditation",
	             "sas_accreditation: sasAcreditationNumber 'openrsp-test' is not accepted");
	{
		static const char *const near[] = {"acme-01", "ACME-01 ", "ACME-0", "ACME-011", ""};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(near); i++) {
			o = (auth_opts){.mid = "PLAT-1", .sas = near[i]};
			plat_refused(f, &o, "sas_accreditation", "is not accepted");
		}
		refusals += 1 + ORSP_ARRAY_LEN(near);
	}
	o = (auth_opts){.mid = "PLAT-1", .sas = "OTHER-02"};
	auth_accepted(f, NULL, &o);
	o = (auth_opts){.mid = "PLAT-1", .sas = "ACME-01"};
	auth_accepted(f, NULL, &o);

	/* eum_allowed: CERT.EUM's subjectKeyIdentifier in the list */
	{
		orsp_cert *eum = NULL;
		char hex[65];
		assert_int_equal(orsp_cert_parse(f->cert_eum, f->cert_eum_len, &eum), ORSP_OK);
		assert_int_equal(orsp_cert_ski(eum, eum_ski, sizeof(eum_ski), &eum_ski_len),
		                 ORSP_OK);
		orsp_cert_free(eum);
		assert_int_equal(orsp_hex_encode(eum_ski, eum_ski_len, hex, sizeof(hex)), ORSP_OK);
		/* another EUM's, and the same with a byte less: refused, naming this EUM's */
		*pol = (orsp_smdp_platform_policy){.n_eum = 2};
		memcpy(pol->eum_ski[0], eum_ski, eum_ski_len);
		pol->eum_ski[0][0] ^= 1;
		pol->eum_ski_len[0] = eum_ski_len;
		memcpy(pol->eum_ski[1], eum_ski, eum_ski_len - 1);
		pol->eum_ski_len[1] = eum_ski_len - 1;
		o = (auth_opts){.mid = "PLAT-1"};
		plat_refused(f, &o, "eum_allowed", hex);
		refusals++;
		memcpy(pol->eum_ski[1], eum_ski, eum_ski_len);
		pol->eum_ski_len[1] = eum_ski_len;
		auth_accepted(f, NULL, &o);
	}

	/* every item at once, met */
	*pol = (orsp_smdp_platform_policy){.min_firmware = {true, {1, 2, 0}},
	                                   .min_pp = {true, {1, 0, 0}},
	                                   .min_svn = {true, {2, 2, 0}},
	                                   .min_gp = {true, {2, 3, 0}},
	                                   .n_firmware_denied = 1,
	                                   .firmware_denied = {{1, 3, 1}},
	                                   .n_sas = 1,
	                                   .sas = {"ACME-01"},
	                                   .n_eum = 1,
	                                   .eum_ski_len = {eum_ski_len}};
	memcpy(pol->eum_ski[0], eum_ski, eum_ski_len);
	o = (auth_opts){.mid = "PLAT-1",
	                .fw = "\x01\x0A\x00",
	                .pp = "\x01\x00\x00",
	                .gp = "\x02\x03\x00",
	                .sas = "ACME-01"};
	auth_accepted(f, NULL, &o);
	assert_string_equal(last_policy, "");
	/* a refusal uses up the transactionId: the same answer again is not judged twice */
	reinitiate(f, &d);
	o.sas = "OTHER-02";
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.5",
	                "4.3", "sas_accreditation");
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.10.1", "3.9");
	refusals++;
	dl_free(&d);

	/* each refusal was audited and reported to the operator (point 1, 8.2.5/4.3), naming
	 * the item; the order is untouched */
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'"
	                             " AND detail LIKE 'platform policy %'"),
	                 (int64_t)refusals);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 1 AND"
	                             " subject_code = '8.2.5' AND reason_code = '4.3' AND"
	                             " detail LIKE 'platform policy %'"),
	                 (int64_t)refusals);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'"),
	                 (int64_t)refusals);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	memset(pol, 0, sizeof(*pol));
}

/* ctxParams1.deviceInfo must be there with a 4-byte TAC, deviceCapabilities and, if
 * present, an 8-byte IMEI (1.2/2.1 naming what is wrong); fields after them are let through. */
static void test_device_info(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o;
	static const struct {
		const char *di;
		size_t len;
		const char *what;
	} bad[] = {
	    {"\x80\x03\x35\x29\x06\xA1\x00", 7, "TAC"},
	    {"\x80\x08\x35\x29\x06\x11\x00\x00\x00\x00\xA1\x00", 12, "TAC"},
	    {"\xA1\x00", 2, "TAC"},
	    {"\x80\x04\x35\x29\x06\x11", 6, "deviceCapabilities"},
	    {"\x80\x04\x35\x29\x06\x11\x82\x08\x01\x02\x03\x04\x05\x06\x07\x08", 16,
	     "deviceCapabilities"},
	    {"\x80\x04\x35\x29\x06\x11\xA1\x00\x82\x07\x01\x02\x03\x04\x05\x06\x07", 17, "imei"},
	};

	order(f, EID, "DEV-1", NULL);
	reinitiate(f, &d);
	o = (auth_opts){.mid = "DEV-1", .no_device = true, .not_asn1 = true};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	                "no deviceInfo");
	/* euiccSigned1 without ctxParams1 at all */
	o = (auth_opts){.mid = "DEV-1", .no_ctx = true, .not_asn1 = true};
	expect_fail_is(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	               "invalid request data: ctxParams1");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		o = (auth_opts){.mid = "DEV-1",
		                .device = bad[i].di,
		                .device_len = bad[i].len,
		                .not_asn1 = true};
		expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http),
		                "1.2", "2.1", bad[i].what);
	}
	/* an IMEI, capabilities with an E-UTRAN release, and a field of a later SGP.22 after them */
	o = (auth_opts){.mid = "DEV-1",
	                .device = "\x80\x04\x35\x29\x06\x11\xA1\x05\x85\x03\x0F\x00\x00"
	                          "\x82\x08\x01\x02\x03\x04\x05\x06\x07\x08\xA3\x00",
	                .device_len = 25,
	                .not_asn1 = true};
	auth_accepted(f, &d, &o);
}

/* es9p_handler.c's label of the key transactionIds are tagged under: the test holds the
 * KEK, so it can make transactionIds the SM-DP+ never issued, their tag valid, to reach the
 * checks behind the tag. */
#define TID_KEY_LABEL "openrsp es9p transactions v1"

/* cert's identity in a tag (the first 16 bytes of its DER's SHA-256) appended to buf at *n */
static void id_put(const orsp_cert *cert, uint8_t *buf, size_t *n)
{
	orsp_slice der = orsp_cert_der(cert);
	uint8_t h[32];

	assert_int_equal(orsp_sha256(der.p, der.len, h), ORSP_OK);
	memcpy(buf + *n, h, 16);
	*n += 16;
}

/* d as initiateAuthentication leaves it, for a transactionId made by hand (as tid_make
 * does, or in the form before when old_form) with CIs byte cis (its low 3 bits: the key set,
 * bits 3-7: 1 + a trusted CI's index, 0 the key set's own) and creation time created. A key
 * set not configured has no identifiers. */
static void forge_session(fx *f, dl *d, uint8_t cis, int64_t created, bool old_form)
{
	const orsp_smdp_keyset *ks = (cis & 7) < f->svc.n_sets ? &f->svc.sets[cis & 7] : NULL;
	uint8_t buf[160], mac[32];
	size_t n = 0;

	memset(d, 0, sizeof(*d));
	assert_int_equal(orsp_random(d->tid, 7), ORSP_OK);
	d->tid[7] = (uint8_t)(created >> 24);
	d->tid[8] = (uint8_t)(created >> 16);
	d->tid[9] = (uint8_t)(created >> 8);
	d->tid[10] = (uint8_t)created;
	d->tid[11] = cis;
	if (old_form) {
		memcpy(buf, "tid", 3);
		memcpy(buf + 3, d->tid, 12);
		n = 15;
	} else {
		/* the hint: the first byte of CERT.DPauth's identity */
		if (ks) {
			id_put(ks->dpauth_cert, buf, &n);
			d->tid[6] = buf[0];
		}
		memcpy(buf, "tid2", 4);
		memcpy(buf + 4, d->tid, 12);
		n = 16;
		if (ks) {
			id_put(ks->dpauth_cert, buf, &n);
			id_put(ks->dppb_cert, buf, &n);
		}
		if (cis >> 3)
			id_put(orsp_ci_store_at(f->svc.cis, (size_t)(cis >> 3) - 1), buf, &n);
	}
	assert_int_equal(orsp_smdp_label_mac(f->s, TID_KEY_LABEL, buf, n, mac), ORSP_OK);
	memcpy(d->tid + 12, mac, 4);
	d->tid_len = 16;
	memcpy(buf, "challenge", 9);
	memcpy(buf + 9, d->tid, 16);
	assert_int_equal(orsp_smdp_label_mac(f->s, TID_KEY_LABEL, buf, 25, mac), ORSP_OK);
	memcpy(d->schal, mac, 16);
	assert_int_equal(orsp_hex_encode(d->tid, 16, d->tid_hex, sizeof(d->tid_hex)), ORSP_OK);
}

static void test_authenticate_checks(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	json_t *rsp;
	auth_opts o;

	order(f, EID, "AUTH-1", NULL);
	reinitiate(f, &d);
	/* unknown transaction */
	o = (auth_opts){.mid = "AUTH-1", .tid_hex = "00112233445566778899AABBCCDDEEFF"};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.10.1", "3.9");
	/* bad signature, wrong challenge, wrong address */
	o = (auth_opts){.mid = "AUTH-1", .bad_signature = true};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1", "6.1");
	o = (auth_opts){.mid = "AUTH-1", .bad_challenge = true};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1", "6.1");
	o = (auth_opts){.mid = "AUTH-1", .address = "evil.example.com"};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1", "6.1");
	/* signed by another key than CERT.EUICC's */
	{
		orsp_ec_key *k = NULL;
		assert_int_equal(orsp_ec_generate(ORSP_CURVE_P256, &k), ORSP_OK);
		o = (auth_opts){.mid = "AUTH-1", .key = k};
		expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1",
		            "6.1");
		orsp_ec_free(k);
	}
	/* euiccSigned1 naming another live session's transactionId (d's) beside this session's
	 * (e's) serverChallenge, sent as e's: 8.1/6.1 naming the transactionId */
	{
		static dl e, x;
		memset(&e, 0, sizeof(e));
		initiate(f, &e);
		x = e;
		memcpy(x.tid, d.tid, sizeof(x.tid));
		o = (auth_opts){.mid = "AUTH-1"};
		expect_fail_is(call(f, "authenticateClient", auth_request(f, &x, &o), &http), "8.1",
		               "6.1", "server challenge or session data mismatch: transactionId");
	}
	/* an authenticateServerResponse of another shape, sent with d's live transactionId:
	 * 1.2/2.1 naming the part that is wrong */
	{
		static const shape_case bad[] = {
		    /* not BF38 */
		    {0x30,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x30, 0}, {0x30, 0}},
		     4,
		     "invalid request data: authenticateServerResponse"},
		    /* BF38 with nothing inside */
		    {0xBF38, 0, {{0}}, 0, "invalid request data: authenticateServerResponse"},
		    /* neither authenticateResponseOk [0] nor authenticateResponseError [1] */
		    {0xBF38,
		     0xA2,
		     {{0x30, 0}, {0x5F37, 64}, {0x30, 0}, {0x30, 0}},
		     4,
		     "invalid request data: authenticateResponseOk"},
		    /* authenticateResponseOk without euiccSigned1, without the signature, with a
		     * signature of 63 bytes or not 5F37, without the certificates or the EUM's,
		     * with a known field after the EUM's (a third certificate, a second
		     * signature: no later version's field) */
		    {0xBF38,
		     0xA0,
		     {{0x5F37, 64}, {0x30, 0}, {0x30, 0}},
		     3,
		     "invalid request data: authenticateResponseOk"},
		    {0xBF38,
		     0xA0,
		     {{0x30, 0}, {0x30, 0}, {0x30, 0}},
		     3,
		     "invalid request data: authenticateResponseOk"},
		    {0xBF38,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 63}, {0x30, 0}, {0x30, 0}},
		     4,
		     "invalid request data: authenticateResponseOk"},
		    {0xBF38,
		     0xA0,
		     {{0x30, 0}, {0x04, 64}, {0x30, 0}, {0x30, 0}},
		     4,
		     "invalid request data: authenticateResponseOk"},
		    {0xBF38,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}},
		     2,
		     "invalid request data: authenticateResponseOk"},
		    {0xBF38,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x30, 0}},
		     3,
		     "invalid request data: authenticateResponseOk"},
		    {0xBF38,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x30, 0}, {0x30, 0}, {0x30, 0}},
		     5,
		     "invalid request data: authenticateResponseOk"},
		    {0xBF38,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x30, 0}, {0x30, 0}, {0x5F37, 64}},
		     5,
		     "invalid request data: authenticateResponseOk"},
		};
		static const part right[] = {{0x30, 0}, {0x5F37, 64}, {0x30, 0}, {0x30, 0}};
		/* and with an element a later version adds (the module is EXTENSIBILITY
		 * IMPLIED), here a NULL */
		static const part right_ext[] = {
		    {0x30, 0}, {0x5F37, 64}, {0x30, 0}, {0x30, 0}, {0x05, 0}};
		uint8_t asr[256];
		size_t n;
		shapes_refused(f, &d, "authenticateClient", "authenticateServerResponse", 0xBF38,
		               bad, ORSP_ARRAY_LEN(bad));
		/* the right shape passes them: its (empty) EUM certificate is refused next */
		n = shaped(asr, sizeof(asr), 0xBF38, 0xA0, right, ORSP_ARRAY_LEN(right));
		expect_fail(call(f, "authenticateClient",
		                 raw_request(&d, "authenticateServerResponse", asr, n), &http),
		            "8.1.2", "6.1");
		n = shaped(asr, sizeof(asr), 0xBF38, 0xA0, right_ext, ORSP_ARRAY_LEN(right_ext));
		expect_fail(call(f, "authenticateClient",
		                 raw_request(&d, "authenticateServerResponse", asr, n), &http),
		            "8.1.2", "6.1");
	}
	b64_member_refused(f, "authenticateClient", "authenticateServerResponse", d.tid_hex);
	/* none of these wrote a session */
	assert_int_equal(count_of(f, SESSIONS), 0);
	/* a wrong matching ID, then a too small eUICC */
	o = (auth_opts){.mid = "NO-SUCH-ORDER"};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.6", "3.8");
	/* eUICC / Insufficient Memory (SGP.22 §5.6.3), not 8.2.5/4.3, the other refusals' */
	o = (auth_opts){.mid = "AUTH-1", .free_nvm = 100};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1", "4.8",
	                "sufficient space");
	reinitiate(f, &d);
	/* euiccInfo2 missing, or without one of its mandatory fields: invalid request data */
	o = (auth_opts){.mid = "AUTH-1", .no_info2 = true};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1");
	{
		static const uint32_t mandatory[] = {0x81, 0x82, 0x83, 0x84, 0x85,
		                                     0x88, 0xA9, 0xAA, 0x04, 0x0C};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(mandatory); i++) {
			o = (auth_opts){.mid = "AUTH-1", .info2_drop = mandatory[i]};
			expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http),
			            "1.2", "2.1");
		}
	}
	/* the order expired */
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(f->s), "UPDATE smdp_profile SET expires_at = 5, due_at = 5"),
	    ORSP_OK);
	o = (auth_opts){.mid = "AUTH-1"};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.8.5", "4.10");
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(f->s), "UPDATE smdp_profile SET expires_at = 0, due_at = 0"),
	    ORSP_OK);
	/* now it works, and a replay of the same step is refused */
	o = (auth_opts){.mid = "AUTH-1"};
	rsp = call(f, "authenticateClient", auth_request(f, &d, &o), &http);
	expect_ok(rsp);
	json_decref(rsp);
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.10.1", "3.9");
	/* an expired session */
	{
		static dl d2;
		memset(&d2, 0, sizeof(d2));
		initiate(f, &d2);
		/* the transactionId carries its creation time: a day later it is unknown */
		orsp_smdp_set_clock(f->s, (int64_t)time(NULL) + 100000);
		o = (auth_opts){.mid = "AUTH-1"};
		expect_fail(call(f, "authenticateClient", auth_request(f, &d2, &o), &http), "8.10.1",
		            "3.9");
		orsp_smdp_set_clock(f->s, 0);
		/* a transactionId we did not make (one byte changed) is unknown too */
		d2.tid_hex[0] = d2.tid_hex[0] == 'A' ? 'B' : 'A';
		expect_fail(call(f, "authenticateClient", auth_request(f, &d2, &o), &http), "8.10.1",
		            "3.9");
		/* one of another length than 16 bytes: d2's first 15 */
		d2.tid_hex[0] = d2.tid_hex[0] == 'A' ? 'B' : 'A';
		d2.tid_hex[30] = '\0';
		expect_fail(call(f, "authenticateClient", auth_request(f, &d2, &o), &http),
		            "8.10.1", "3.9");
	}
	/* transactionIds with a valid tag the SM-DP+ never issued (the test holds the KEK):
	 * made now for key set 0 it is taken; for a key set not configured (1, with a CI that
	 * is: the first trusted) in either form, or made an hour from now, it is unknown
	 * (8.10.1/3.9) and nothing is written (the form before, taken: test_tid_old_form) */
	{
		static dl x;
		int64_t now = orsp_smdp_now(f->s);
		int64_t n0 = count_of(f, SESSIONS);
		forge_session(f, &x, 1 | 1 << 3, now, false);
		expect_fail(call(f, "authenticateClient", auth_request(f, &x, &o), &http), "8.10.1",
		            "3.9");
		forge_session(f, &x, 1 | 1 << 3, now, true);
		expect_fail(call(f, "authenticateClient", auth_request(f, &x, &o), &http), "8.10.1",
		            "3.9");
		forge_session(f, &x, 0, now + 3600, false);
		expect_fail(call(f, "authenticateClient", auth_request(f, &x, &o), &http), "8.10.1",
		            "3.9");
		assert_int_equal(count_of(f, SESSIONS), n0);
		forge_session(f, &x, 0, now, false);
		authenticate(f, &x, "AUTH-1");
		assert_int_equal(step_of(f, &x), 2);
	}
	dl_free(&d);
}

/* A matchingId (UTF8String) with a NUL byte names no order: it was cut at the NUL, so
 * "NUL-1\0X" took the order NUL-1 and a lone NUL the default SM-DP+ case. 8.2.6/3.8, and
 * no session is written. */
static void test_matching_id_nul(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o;

	order(f, EID, "NUL-1", NULL);
	reinitiate(f, &d);
	o = (auth_opts){.mid = "NUL-1\0X", .mid_len = 7, .not_asn1 = true};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.6", "3.8");
	o = (auth_opts){.mid = "\0", .mid_len = 1, .not_asn1 = true};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.6", "3.8");
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 0);
	authenticate(f, &d, "NUL-1");
	dl_free(&d);
}

/* A matchingId longer than ORSP_SMDP_MATCHING_ID_MAX (65 characters), or with a character
 * no matching ID has (lower case, a space): 8.2.6/3.8, and no session is written; one of 64
 * characters is looked up (no such order, the same answer without the detail). */
static void test_matching_id_refused(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o;
	char mid[ORSP_SMDP_MATCHING_ID_MAX + 2];

	order(f, EID, "MID-1", NULL);
	reinitiate(f, &d);
	memset(mid, 'A', ORSP_SMDP_MATCHING_ID_MAX + 1);
	mid[ORSP_SMDP_MATCHING_ID_MAX + 1] = '\0';
	o = (auth_opts){.mid = mid};
	expect_fail_is(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.6",
	               "3.8", "matching ID refused: too long");
	mid[ORSP_SMDP_MATCHING_ID_MAX] = '\0';
	expect_fail_is(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.6",
	               "3.8", "matching ID refused");
	o = (auth_opts){.mid = "mid-1"};
	expect_fail_is(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.6",
	               "3.8", "matching ID refused");
	o = (auth_opts){.mid = "MID 1"};
	expect_fail_is(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.6",
	               "3.8", "matching ID refused");
	assert_int_equal(count_of(f, SESSIONS), 0);
	authenticate(f, &d, "MID-1");
	dl_free(&d);
}

/* An order that exists but waits for its confirmation or release (Allocated, Linked,
 * Confirmed): "Profile has not yet been released" (8.2/1.2, SGP.22 §5.6.2), not a refused
 * matching ID; the order is unchanged and downloads once released. An order that has ended
 * refuses its matching ID (8.2.6/3.8). */
static void test_order_not_released(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o = {.mid = "WAIT-1"};
	orsp_smdp_order ord = {0};
	json_t *rsp;

	ord.iccid = f->prof.iccid;
	ord.matching_id = "WAIT-1";
	assert_int_equal(orsp_smdp_download_order(f->s, &ord, NULL), ORSP_OK); /* Allocated */
	reinitiate(f, &d);
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2", "1.2",
	                "not released yet");
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, "WAIT-1", true),
	                 ORSP_OK);
	ord.eid = EID;
	assert_int_equal(orsp_smdp_download_order(f->s, &ord, NULL), ORSP_OK); /* Linked */
	reinitiate(f, &d);
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2", "1.2");
	assert_int_equal(state_of(f), ORSP_SMDP_LINKED);
	assert_int_equal(orsp_smdp_confirm_order(f->s, "WAIT-1", NULL, false), ORSP_OK);
	reinitiate(f, &d);
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2", "1.2");
	assert_int_equal(state_of(f), ORSP_SMDP_CONFIRMED);
	assert_int_equal(orsp_smdp_release(f->s, f->prof.iccid), ORSP_OK);
	reinitiate(f, &d);
	rsp = call(f, "authenticateClient", auth_request(f, &d, &o), &http);
	expect_ok(rsp);
	json_decref(rsp);
	/* ended: the matching ID is refused */
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, "WAIT-1", false),
	                 ORSP_OK);
	reinitiate(f, &d);
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.6", "3.8");
	dl_free(&d);
}

/* An OpenSSL key as an orsp key, for signing as that eUICC. */
static orsp_ec_key *orsp_key_of(EVP_PKEY *k)
{
	unsigned char *pem = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	orsp_ec_key *out = NULL;
	long n;

	assert_non_null(b);
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(b, &pem);
	assert_int_equal(orsp_ec_load_private(pem, (size_t)n, &out), ORSP_OK);
	BIO_free(b);
	return out;
}

/* authenticateClient for order mid with an eUICC certificate for EID (key k, the same as
 * ok) under an EUM minted from es (its own fresh key), issued by CI ci with ci_key. */
static json_t *auth_minted_eum(fx *f, dl *d, const char *mid, const certmint_spec *es, X509 *ci,
                               EVP_PKEY *ci_key, EVP_PKEY *k, orsp_ec_key *ok)
{
	certmint_spec us = {0};
	EVP_PKEY *ek = certmint_key_new("prime256v1");
	X509 *m = certmint_issue(es, ek, ci, ci_key), *x;
	uint8_t *der, *eder;
	size_t len, elen;
	int http;
	auth_opts o;
	json_t *rsp;

	us.subject = "/C=ES/O=RSP Test EUM/serialNumber=" EID "/CN=Test eUICC";
	us.policy = "2.23.146.1.2.1.1";
	us.key_usage = "critical,digitalSignature";
	x = certmint_issue(&us, k, m, ek);
	der = certmint_der(x, &len);
	eder = certmint_der(m, &elen);
	o = (auth_opts){
	    .mid = mid, .cert = der, .cert_len = len, .eum = eder, .eum_len = elen, .key = ok};
	rsp = call(f, "authenticateClient", auth_request(f, d, &o), &http);
	free(der);
	free(eder);
	X509_free(x);
	X509_free(m);
	EVP_PKEY_free(ek);
	return rsp;
}

/* An EUM's certificate spec as SGP.26's, for the EID prefix 89049032 */
static certmint_spec minted_eum_spec(void)
{
	certmint_spec es = {0};
	es.subject = "/C=ES/O=RSP Test EUM/CN=Minted EUM";
	es.policy = "2.23.146.1.2.1.2";
	es.key_usage = "critical,keyCertSign";
	es.basic_constraints = "critical,CA:TRUE,pathlen:0";
	es.nc_org = "RSP Test EUM";
	es.nc_serial = "89049032";
	return es;
}

/* What authenticateClient requests need for an EUM and an eUICC certificate minted anew
 * for each (neither from the parse cache, nor their signatures from the signature memo):
 * the SGP.26 NIST CI, the eUICC's key, and the certificates' specs. */
typedef struct minting {
	EVP_PKEY *ci_key, *k;
	X509 *ci;
	orsp_ec_key *key;
	certmint_spec es, us;
} minting;

/* CERT.EUICC with keyUsage key_usage */
static void minting_init(minting *m, const char *key_usage)
{
	m->ci_key = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	m->ci = certmint_cert_load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	m->k = certmint_key_new("prime256v1");
	m->key = orsp_key_of(m->k);
	m->es = minted_eum_spec();
	m->us = (certmint_spec){0};
	m->us.subject = "/C=ES/O=RSP Test EUM/serialNumber=" EID "/CN=Test eUICC";
	m->us.policy = "2.23.146.1.2.1.1";
	m->us.key_usage = key_usage;
}

static void minting_free(minting *m)
{
	orsp_ec_free(m->key);
	EVP_PKEY_free(m->k);
	X509_free(m->ci);
	EVP_PKEY_free(m->ci_key);
}

/* authenticateClient for mid in d's session, its certificates minted by m, with the at-th of
 * OpenSSL's allocations failing and no other: the handler's result and *rep (the caller
 * frees it), *failed whether an allocation failed. */
static orsp_err minted_auth_failing(fx *f, dl *d, const minting *m, const char *mid, unsigned at,
                                    orsp_smdp_reply *rep, bool *failed)
{
	EVP_PKEY *ek = certmint_key_new("prime256v1");
	X509 *eum = certmint_issue(&m->es, ek, m->ci, m->ci_key);
	X509 *x = certmint_issue(&m->us, m->k, eum, ek);
	size_t len, elen;
	uint8_t *der = certmint_der(x, &len), *eder = certmint_der(eum, &elen);
	auth_opts o = {.mid = mid, .key = m->key};
	o.cert = der;
	o.cert_len = len;
	o.eum = eder;
	o.eum_len = elen;
	json_t *req = auth_request(f, d, &o);
	char *body = json_dumps(req, JSON_COMPACT);
	unsigned before = test_ossl_failures();

	assert_non_null(body);
	test_ossl_fail_only(at);
	orsp_err e = orsp_es9p_handle(&f->svc, f->s, "authenticateClient", (const uint8_t *)body,
	                              strlen(body), rep);
	test_ossl_fail_at(0);
	*failed = test_ossl_failures() != before;
	free(body);
	json_decref(req);
	free(der);
	free(eder);
	X509_free(x);
	X509_free(eum);
	EVP_PKEY_free(ek);
	return e;
}

/* authenticateClient with the Nth of OpenSSL's allocations failing, and no other, for every
 * N until it succeeds; an EUM and an eUICC certificate minted for each request, so that
 * neither comes from the parse cache. A failure for want of memory is a 500 (the LPA may try
 * again), never a permanent 8.1.2 or 8.1.3 for good certificates: an EUM whose key OpenSSL
 * had failed to decode was "key is not on P-256 or brainpoolP256r1", 8.1.2/6.1 (the limits
 * review), and a check that said "out of memory" answered 8.1.x too. (The other checks that
 * lose an allocation: test_authenticate_chain_out_of_memory.) */
static void test_authenticate_out_of_memory(void **state)
{
	fx *f = *state;
	static dl d;
	minting m;
	unsigned at, internal = 0;
	bool done = false;

	minting_init(&m, "critical,digitalSignature");
	order(f, EID, "OOM-1", NULL);
	reinitiate(f, &d);
	for (at = 1; !done; at++) {
		orsp_smdp_reply rep;
		bool failed;
		orsp_err e = minted_auth_failing(f, &d, &m, "OOM-1", at, &rep, &failed);
		if (e != ORSP_OK) {
			assert_int_equal(rep.http_status, 500);
			internal++;
			orsp_err_clear();
		} else {
			assert_non_null(rep.body);
			done = strstr(rep.body, "Executed-Success") != NULL;
			if (strstr(rep.body, "not on P-256") || strstr(rep.body, "out of memory") ||
			    strstr(rep.body, "did not decode"))
				fail_msg("allocation #%u failing: %s", at, rep.body);
		}
		if (!failed && !done)
			fail_msg("no allocation failed (#%u), yet: %s", at,
			         rep.body ? rep.body : orsp_err_detail());
		orsp_smdp_reply_free(&rep);
	}
	assert_true(internal > 0);
	dl_free(&d);
	minting_free(&m);
}

/* One sweep of test_authenticate_chain_out_of_memory, CERT.EUICC with keyUsage key_usage:
 * the number of requests answered 500 (*internal) and Executed-Success (*ok). */
static void auth_chain_sweep(fx *f, const char *key_usage, unsigned *internal, unsigned *ok)
{
	static dl d;
	minting m;
	bool failed = true;

	minting_init(&m, key_usage);
	reinitiate(f, &d);
	for (unsigned at = 1; failed; at++) {
		orsp_smdp_reply rep;
		orsp_err e = minted_auth_failing(f, &d, &m, "OOM-CHAIN", at, &rep, &failed);
		if (e != ORSP_OK) {
			if (rep.http_status != 500)
				fail_msg("keyUsage %s, allocation #%u failing: HTTP %d, %s",
				         key_usage, at, rep.http_status, orsp_err_detail());
			(*internal)++;
			orsp_err_clear();
		} else if (!rep.body || !strstr(rep.body, "Executed-Success")) {
			/* 8.1.2/6.1, 8.1.3/6.1, 8.1/6.1 (euiccSignature1): a good eUICC refused */
			fail_msg("keyUsage %s, allocation #%u failing: %s", key_usage, at,
			         rep.body ? rep.body : "no body");
		} else {
			(*ok)++;
			reinitiate(f, &d); /* this one is authenticated */
		}
		orsp_smdp_reply_free(&rep);
	}
	dl_free(&d);
	minting_free(&m);
}

/* authenticateClient with the Nth of OpenSSL's allocations failing, and no other, for every
 * N until a request runs with none failing (so every allocation the request makes has failed
 * once), with an EUM and an eUICC certificate minted for each request (neither from the
 * parse cache, nor their signatures from the signature memo). Each request is answered 500
 * "out of memory" (the LPA tries again) or succeeds, never with an SGP.22 code that blames the
 * eUICC: OpenSSL keeps no trace of some failed allocations, and a certificate signature that
 * "does not verify", an extension that "does not decode", a parse that "is not a DER X.509
 * certificate" or an euiccSignature1 that does not verify were 8.1.2/6.1, 8.1.3/6.1 or 8.1/6.1
 * for good certificates until session 75. Now src/crypto reads this thread's count of failed
 * allocations (orsp_wipe_alloc_failures) before and after each of those steps. CERT.EUICC
 * with a critical keyUsage takes the fast path (orsp_rsp_euicc_fast_accept), which the
 * full chain check follows when it fails; with a non-critical one, only the full one. */
static void test_authenticate_chain_out_of_memory(void **state)
{
	fx *f = *state;
	unsigned internal = 0, ok = 0;

	order_limit(f, EID, "OOM-CHAIN", NULL, 100);
	auth_chain_sweep(f, "critical,digitalSignature", &internal, &ok);
	assert_true(internal > 0 && ok > 0);
	internal = 0;
	auth_chain_sweep(f, "digitalSignature", &internal, &ok);
	assert_true(internal > 0);
}

/* The status of a certificate that fails follows from which one failed and why
 * (orsp_rsp_verify_euicc_chain_fault), not from words in the error text, which quotes the
 * certificates' CNs: an eUICC certificate whose CN names the EUM, an unknown CI or a
 * permitted range is still the eUICC's (8.1.3), an EUM's fault is 8.1.2. */
static void test_certificate_codes(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o;
	EVP_PKEY *ci_key = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	EVP_PKEY *eum_key = certmint_key_load("sgp26/EUM/SK_EUM_ECDSA_NIST.pem");
	X509 *ci = certmint_cert_load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	X509 *eum = certmint_cert_load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	EVP_PKEY *k = certmint_key_new("prime256v1"), *other = certmint_key_new("prime256v1");
	orsp_ec_key *ok = orsp_key_of(k);
	/* a permittedEins value whose SEQUENCE's length is in the long form: not DER */
	static const uint8_t non_der[] = {0x30, 0x81, 0x0A, 0x13, 0x08, '8', '9',
	                                  '0',  '4',  '9',  '0',  '3',  '2'};
	static const struct {
		const char *what, *cn;
		bool forged, expired, not_yet;
		const char *subject, *reason;
		bool non_der_ext;
	} euiccs[] = {
	    /* signed by another key than the EUM's, under its names */
	    {"forged signature", "Test eUICC", true, false, false, "8.1.3", "6.1", false},
	    {"expired, CN naming the EUM", "EUM-provisioned eUICC", false, true, false, "8.1.3",
	     "6.3", false},
	    {"expired, CN naming an unknown CI", "unknown CI eUICC", false, true, false, "8.1.3",
	     "6.3", false},
	    {"not valid yet, CN with outside/permitted", "EUM outside permitted", false, false,
	     true, "8.1.3", "6.1", false},
	    /* signed by the EUM, but an extension's value is not DER (orsp_cert_parse) */
	    {"an extension not DER", "Test eUICC", false, false, false, "8.1.3", "6.1", true},
	};

	order(f, EID, "CODES-1", NULL);
	reinitiate(f, &d);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(euiccs); i++) {
		char subject[160];
		certmint_spec s = {0};
		X509 *x;
		uint8_t *der;
		size_t len;
		json_t *rsp;
		orsp_json_status st;
		snprintf(subject, sizeof(subject),
		         "/C=ES/O=RSP Test EUM/serialNumber=" EID "/CN=%s", euiccs[i].cn);
		s.subject = subject;
		s.policy = "2.23.146.1.2.1.1";
		s.key_usage = "critical,digitalSignature";
		if (euiccs[i].expired) {
			s.not_before = certmint_time(2019, 1, 1);
			s.not_after = certmint_time(2020, 1, 1);
		}
		if (euiccs[i].not_yet)
			s.not_before = certmint_time(2045, 1, 1);
		if (euiccs[i].non_der_ext) {
			s.eins_der = non_der;
			s.eins_der_len = sizeof(non_der);
		}
		x = certmint_issue(&s, k, eum, euiccs[i].forged ? other : eum_key);
		der = certmint_der(x, &len);
		o = (auth_opts){.mid = "CODES-1", .cert = der, .cert_len = len, .key = ok};
		rsp = call(f, "authenticateClient", auth_request(f, &d, &o), &http);
		assert_int_equal(orsp_json_header_get(rsp, &st), ORSP_OK);
		if (strcmp(st.subject_code, euiccs[i].subject) ||
		    strcmp(st.reason_code, euiccs[i].reason))
			fail_msg("%s: expected %s/%s, got %s/%s (%s)", euiccs[i].what,
			         euiccs[i].subject, euiccs[i].reason, st.subject_code,
			         st.reason_code, st.message);
		json_decref(rsp);
		free(der);
		X509_free(x);
	}
	/* the EUM's faults, under the SGP.26 CI with a sound eUICC below: expired (8.1.2/6.3),
	 * without an EID range, which is the EUM's, not the eUICC's (8.1.2/6.1), and with an
	 * extension's value that is not DER (8.1.2/6.1) */
	{
		certmint_spec es = minted_eum_spec();
		es.not_before = certmint_time(2018, 1, 1);
		es.not_after = certmint_time(2021, 1, 1);
		expect_fail(auth_minted_eum(f, &d, "CODES-1", &es, ci, ci_key, k, ok), "8.1.2",
		            "6.3");
		es = minted_eum_spec();
		es.nc_serial = NULL;
		expect_fail(auth_minted_eum(f, &d, "CODES-1", &es, ci, ci_key, k, ok), "8.1.2",
		            "6.1");
		es = minted_eum_spec();
		es.eins_der = non_der;
		es.eins_der_len = sizeof(non_der);
		expect_fail(auth_minted_eum(f, &d, "CODES-1", &es, ci, ci_key, k, ok), "8.1.2",
		            "6.1");
	}
	/* the genuine eUICC still gets in with the same transactionId (nothing was written) */
	authenticate(f, &d, "CODES-1");
	orsp_ec_free(ok);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	EVP_PKEY_free(eum_key);
	EVP_PKEY_free(ci_key);
	X509_free(eum);
	X509_free(ci);
	dl_free(&d);
}

static const char *other_notification(fx *f, unsigned seq, const char *address, const char *iccid);
static json_t *other_notification_req(fx *f, unsigned seq, const char *address, const char *iccid,
                                      bool bad_sig);

/* Revocation (configuration `crl`): the CI's CRL listing the SGP.26 EUM refuses it
 * (8.1.2/6.1), the EUM's listing the eUICC refuses that (8.1.3/6.1); a CRL past its
 * nextUpdate leaves the status unknown (1.2/4.2) unless crl_stale = accept, which still
 * refuses a listed certificate; an EUM's CRL that its key does not verify is 1.2/4.2. The
 * message names the serial number, never the CRL's file. Nothing is written by a refusal:
 * the same transactionId then authenticates, under CRLs that list neither. */
static void test_revocation(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	X509 *ci = certmint_cert_load("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	X509 *eum = certmint_cert_load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	EVP_PKEY *ci_key = certmint_key_load("sgp26/CertificateIssuer/SK_CI_ECDSA_NIST.pem");
	EVP_PKEY *eum_key = certmint_key_load("sgp26/EUM/SK_EUM_ECDSA_NIST.pem");
	EVP_PKEY *other = certmint_key_new("prime256v1");
	const char *eum_sn[] = {"12345678"}, *euicc_sn[] = {"020000000000000001"}, *none[] = {"05"};
	time_t t0 = certmint_time(2024, 1, 1), t1 = certmint_time(2024, 2, 1);
	const struct {
		certmint_crl_spec s;
		bool by_eum, forged, accept;
		const char *subject, *reason, *says;
	} cases[] = {
	    {{.serials = eum_sn, .n = 1, .reason = 1},
	     false,
	     false,
	     false,
	     "8.1.2",
	     "6.1",
	     "EUM certificate serial 12345678 is revoked (keyCompromise, since 2020-01-01"},
	    {{.serials = euicc_sn, .n = 1, .reason = 4},
	     true,
	     false,
	     false,
	     "8.1.3",
	     "6.1",
	     "eUICC certificate serial 020000000000000001 is revoked (superseded"},
	    {{.serials = none, .n = 1, .this_update = t0, .next_update = t1},
	     false,
	     false,
	     false,
	     "1.2",
	     "4.2",
	     "status of the EUM certificate is unknown: the CRL of its issuer is past"},
	    {{.serials = none, .n = 1, .this_update = t0, .next_update = t1},
	     true,
	     false,
	     false,
	     "1.2",
	     "4.2",
	     "status of the eUICC certificate is unknown"},
	    {{.serials = euicc_sn, .n = 1, .this_update = t0, .next_update = t1},
	     true,
	     false,
	     true,
	     "8.1.3",
	     "6.1",
	     "is revoked"},
	    {{.serials = none, .n = 1},
	     true,
	     true,
	     false,
	     "1.2",
	     "4.2",
	     "does not verify with its key"},
	};

	order(f, EID, "REV-1", NULL);
	reinitiate(f, &d);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		X509_CRL *c = certmint_crl(&cases[i].s, cases[i].by_eum ? eum : ci,
		                           cases[i].forged   ? other
		                           : cases[i].by_eum ? eum_key
		                                             : ci_key);
		size_t len = 0;
		uint8_t *der = certmint_crl_der(c, &len);
		auth_opts o = {.mid = "REV-1"};
		orsp_json_status st;
		json_t *rsp;
		assert_int_equal(orsp_crl_store_new(&f->svc.crls), ORSP_OK);
		assert_int_equal(orsp_crl_store_add_mem(f->svc.crls, der, len, "/etc/secret/x.crl"),
		                 ORSP_OK);
		assert_int_equal(orsp_crl_store_bind(f->svc.crls, f->svc.cis, NULL), ORSP_OK);
		f->svc.crl_accept_stale = cases[i].accept;
		rsp = call(f, "authenticateClient", auth_request(f, &d, &o), &http);
		assert_int_equal(orsp_json_header_get(rsp, &st), ORSP_OK);
		if (strcmp(st.subject_code, cases[i].subject) ||
		    strcmp(st.reason_code, cases[i].reason) || !strstr(st.message, cases[i].says) ||
		    strstr(st.message, "secret"))
			fail_msg("case %zu: expected %s/%s \"%s\", got %s/%s (%s)", i,
			         cases[i].subject, cases[i].reason, cases[i].says, st.subject_code,
			         st.reason_code, st.message);
		json_decref(rsp);
		orsp_crl_store_free(f->svc.crls);
		f->svc.crls = NULL;
		free(der);
		X509_CRL_free(c);
	}
	/* a fresh CI CRL and a stale EUM one, neither listing these, with crl_stale = accept */
	{
		X509_CRL *a =
		    certmint_crl(&(certmint_crl_spec){.serials = none, .n = 1}, ci, ci_key);
		X509_CRL *b = certmint_crl(
		    &(certmint_crl_spec){
		        .serials = none, .n = 1, .this_update = t0, .next_update = t1},
		    eum, eum_key);
		size_t la = 0, lb = 0;
		uint8_t *da = certmint_crl_der(a, &la), *db = certmint_crl_der(b, &lb);
		assert_int_equal(orsp_crl_store_new(&f->svc.crls), ORSP_OK);
		assert_int_equal(orsp_crl_store_add_mem(f->svc.crls, da, la, "ci.crl"), ORSP_OK);
		assert_int_equal(orsp_crl_store_add_mem(f->svc.crls, db, lb, "eum.crl"), ORSP_OK);
		assert_int_equal(orsp_crl_store_bind(f->svc.crls, f->svc.cis, NULL), ORSP_OK);
		f->svc.crl_accept_stale = true;
		authenticate(f, &d, "REV-1");
		/* a notification outside the session from the same eUICC, once a newer CRL of
		 * the EUM lists it: its certificate is refused */
		{
			X509_CRL *r = certmint_crl(
			    &(certmint_crl_spec){
			        .serials = euicc_sn, .n = 1, .number = 2, .this_update = t1},
			    eum, eum_key);
			size_t lr = 0;
			uint8_t *dr = certmint_crl_der(r, &lr);
			assert_string_equal(other_notification(f, 21, FQDN, NULL),
			                    "unknown profile");
			assert_int_equal(orsp_crl_store_add_mem(f->svc.crls, dr, lr, "eum2.crl"),
			                 ORSP_OK);
			assert_string_equal(other_notification(f, 22, FQDN, NULL),
			                    "certificate refused");
			free(dr);
			X509_CRL_free(r);
		}
		/* the stale EUM CRL not accepted: the eUICC's status is unknown, a 500 with
		 * nothing recorded, so that the LPA keeps the notification (it was recorded
		 * "certificate refused" and answered 204) */
		{
			size_t n = 9;
			orsp_crl_store_free(f->svc.crls);
			assert_int_equal(orsp_crl_store_new(&f->svc.crls), ORSP_OK);
			assert_int_equal(orsp_crl_store_add_mem(f->svc.crls, da, la, "ci.crl"),
			                 ORSP_OK);
			assert_int_equal(orsp_crl_store_add_mem(f->svc.crls, db, lb, "eum.crl"),
			                 ORSP_OK);
			assert_int_equal(orsp_crl_store_bind(f->svc.crls, f->svc.cis, NULL),
			                 ORSP_OK);
			f->svc.crl_accept_stale = false;
			assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n),
			                 ORSP_OK);
			size_t before = n;
			call_internal_error(f, "handleNotification",
			                    other_notification_req(f, 23, FQDN, NULL, false));
			assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n),
			                 ORSP_OK);
			assert_int_equal(n, before);
			assert_int_equal(
			    count_of(f, "SELECT count(*) FROM es9p_notification WHERE seq = 23"),
			    0);
		}
		orsp_crl_store_free(f->svc.crls);
		f->svc.crls = NULL;
		f->svc.crl_accept_stale = false;
		free(da);
		free(db);
		X509_CRL_free(a);
		X509_CRL_free(b);
	}
	EVP_PKEY_free(other);
	EVP_PKEY_free(eum_key);
	EVP_PKEY_free(ci_key);
	X509_free(eum);
	X509_free(ci);
	dl_free(&d);
}

/* Certificates: an order for another EID, an eUICC outside its EUM's range, an expired eUICC
 * certificate, an EUM under an unknown CI. */
static void test_certificate_checks(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o;
	EVP_PKEY *eum_key = certmint_key_load("sgp26/EUM/SK_EUM_ECDSA_NIST.pem");
	X509 *eum = certmint_cert_load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	EVP_PKEY *k = certmint_key_new("prime256v1");
	orsp_ec_key *ok = NULL;
	uint8_t *der;
	size_t len;

	order(f, "89049032123451234512345678901235", "CERT-1", NULL);
	reinitiate(f, &d);
	ok = orsp_key_of(k);
	/* EID outside the EUM's range 89049032 */
	{
		certmint_spec s = {0};
		X509 *x;
		s.subject = "/C=ES/O=RSP Test EUM/serialNumber=89049033123451234512345678901236"
		            "/CN=Test eUICC";
		s.policy = "2.23.146.1.2.1.1";
		s.key_usage = "critical,digitalSignature";
		x = certmint_issue(&s, k, eum, eum_key);
		der = certmint_der(x, &len);
		o = (auth_opts){.mid = "CERT-1", .cert = der, .cert_len = len, .key = ok};
		expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1.3",
		            "6.1");
		free(der);
		X509_free(x);
	}
	/* an expired eUICC certificate */
	{
		certmint_spec s = {0};
		X509 *x;
		s.subject = "/C=ES/O=RSP Test EUM/serialNumber=89049032123451234512345678901235"
		            "/CN=Test eUICC";
		s.policy = "2.23.146.1.2.1.1";
		s.key_usage = "critical,digitalSignature";
		s.not_before = certmint_time(2019, 1, 1);
		s.not_after = certmint_time(2020, 1, 1);
		x = certmint_issue(&s, k, eum, eum_key);
		der = certmint_der(x, &len);
		o = (auth_opts){.mid = "CERT-1", .cert = der, .cert_len = len, .key = ok};
		expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1.3",
		            "6.3");
		free(der);
		X509_free(x);
	}
	/* an EUM under a CI nobody trusts */
	{
		EVP_PKEY *ci_key = certmint_key_new("prime256v1");
		certmint_spec cs = {0}, es = minted_eum_spec();
		X509 *ci;
		cs.subject = "/C=XX/O=Rogue/CN=Rogue CI";
		cs.policy = "2.23.146.1.2.1.0";
		cs.key_usage = "critical,keyCertSign,cRLSign";
		cs.basic_constraints = "critical,CA:TRUE";
		ci = certmint_issue(&cs, ci_key, NULL, ci_key);
		es.subject = "/C=XX/O=RSP Test EUM/CN=Rogue EUM";
		expect_fail(auth_minted_eum(f, &d, "CERT-1", &es, ci, ci_key, k, ok), "8.11.1",
		            "3.9");
		X509_free(ci);
		EVP_PKEY_free(ci_key);
	}
	/* the genuine eUICC, but the order is linked to another EID: "EID doesn't match the
	 * expected value" (SGP.22 §5.6.2) */
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, NULL, true), ORSP_OK);
	order(f, "89049032123451234512345678901332", "CERT-2", NULL);
	o = (auth_opts){.mid = "CERT-2"};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1.1",
	                "3.8", "EID does not match");
	orsp_ec_free(ok);
	EVP_PKEY_free(k);
	EVP_PKEY_free(eum_key);
	X509_free(eum);
	dl_free(&d);
}

static void test_gbpp_checks(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order(f, EID, "GBPP-1", "4321");
	reinitiate(f, &d);
	/* before authenticateClient */
	expect_fail(call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	            "8.10.1", "3.9");
	authenticate(f, &d, "GBPP-1");
	expect_fail(call(f, "getBoundProfilePackage", gbpp_request(f, &d, "4321", true, true), &http),
	            "8.1", "6.1");
	/* euiccSigned2 of another live session of this eUICC (b) */
	{
		static dl b;
		gbpp_opts go;
		memset(&b, 0, sizeof(b));
		initiate(f, &b);
		authenticate(f, &b, "GBPP-1");
		/* b's whole prepareDownloadResponse sent with d's transactionId: signed over b's
		 * smdpSignature2, so d's signature check refuses it */
		expect_fail_is(call(f, "getBoundProfilePackage",
		                    with_tid(gbpp_request(f, &b, "4321", true, false), d.tid_hex),
		                    &http),
		               "8.1", "6.1", "eUICC signature invalid");
		/* signed over d's smdpSignature2, but naming b's transactionId: 8.1/6.1, the
		 * transactionId named */
		go = (gbpp_opts){.signed_for = &b};
		expect_fail_is(call(f, "getBoundProfilePackage",
		                    gbpp_request_with(f, &d, "4321", true, false, &go), &http),
		               "8.1", "6.1",
		               "server challenge or session data mismatch: transactionId");
		/* neither session moved, nothing bound */
		assert_int_equal(step_of(f, &d), 2);
		assert_int_equal(step_of(f, &b), 2);
		assert_int_equal(kept_keys(f), 0);
		dl_free(&b);
	}
	/* signed, but euiccOtpk (5F49, 65 bytes) absent or of another length: 1.2/2.1 */
	{
		static const gbpp_opts otpk[] = {{.no_otpk = true}, {.otpk_len = 64}};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(otpk); i++)
			expect_fail_is(call(f, "getBoundProfilePackage",
			                    gbpp_request_with(f, &d, "4321", true, false, &otpk[i]),
			                    &http),
			               "1.2", "2.1", "invalid request data: euiccOtpk");
	}
	/* prepareDownloadResponse of another shape, sent with d's transactionId: 1.2/2.1 naming
	 * the part that is wrong; the shape checks come before the signature's */
	{
		static const shape_case bad[] = {
		    /* not BF21 */
		    {0x30,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}},
		     2,
		     "invalid request data: prepareDownloadResponse"},
		    /* BF21 with nothing inside */
		    {0xBF21, 0, {{0}}, 0, "invalid request data: prepareDownloadResponse"},
		    /* neither downloadResponseOk [0] nor downloadResponseError [1] */
		    {0xBF21,
		     0xA2,
		     {{0x30, 0}, {0x5F37, 64}},
		     2,
		     "invalid request data: downloadResponseOk"},
		    /* no euiccSigned2 */
		    {0xBF21, 0xA0, {{0x5F37, 64}}, 1, "invalid request data: downloadResponseOk"},
		    /* no euiccSignature2 */
		    {0xBF21, 0xA0, {{0x30, 0}}, 1, "invalid request data: downloadResponseOk"},
		    /* a signature of 63 bytes, one not 5F37 */
		    {0xBF21,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 63}},
		     2,
		     "invalid request data: downloadResponseOk"},
		    {0xBF21,
		     0xA0,
		     {{0x30, 0}, {0x04, 64}},
		     2,
		     "invalid request data: downloadResponseOk"},
		    /* a known field after the signature: a second signature, euiccSigned2
		     * again after a later version's field */
		    {0xBF21,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x5F37, 64}},
		     3,
		     "invalid request data: downloadResponseOk"},
		    {0xBF21,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x05, 0}, {0x30, 0}},
		     4,
		     "invalid request data: downloadResponseOk"},
		    /* a later version's field after the signature is skipped (the module is
		     * EXTENSIBILITY IMPLIED): only the (zero) signature is wrong */
		    {0xBF21,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x05, 0}},
		     3,
		     "eUICC signature invalid"},
		    /* euiccSigned2 of 446 bytes, longer than the signed message holds */
		    {0xBF21,
		     0xA0,
		     {{0x30, 442}, {0x5F37, 64}},
		     2,
		     "invalid request data: euiccSigned2 too long"},
		    /* the right shape, at the longest euiccSigned2 (445 bytes): only the (zero)
		     * signature is wrong */
		    {0xBF21, 0xA0, {{0x30, 441}, {0x5F37, 64}}, 2, "eUICC signature invalid"},
		    {0xBF21, 0xA0, {{0x30, 0}, {0x5F37, 64}}, 2, "eUICC signature invalid"},
		};
		shapes_refused(f, &d, "getBoundProfilePackage", "prepareDownloadResponse", 0xBF21,
		               bad, ORSP_ARRAY_LEN(bad));
	}
	/* the base64 member itself */
	b64_member_refused(f, "getBoundProfilePackage", "prepareDownloadResponse", d.tid_hex);
	/* none of these counted a confirmation code try nor moved the session */
	assert_int_equal(step_of(f, &d), 2);
	assert_int_equal(kept_keys(f), 0);
	/* CC retries: the limit (5) moves the profile to Error */
	for (int i = 0; i < 4; i++)
		expect_fail(call(f, "getBoundProfilePackage", gbpp_request(f, &d, "0000", true, false),
		                 &http),
		            "8.2.7", "3.8");
	expect_fail(call(f, "getBoundProfilePackage", gbpp_request(f, &d, "0000", true, false), &http),
	            "8.2.7", "6.4");
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	dl_free(&d);
}

static void test_download_retry_limit(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order_limit(f, NULL, "LIMIT-1", NULL, 2);
	reinitiate(f, &d);
	authenticate(f, &d, "LIMIT-1");
	get_bpp(f, &d, NULL, true);
	/* retries with the same one-time key are the same binding: not counted */
	for (int i = 0; i < 3; i++)
		get_bpp(f, &d, NULL, false);
	get_bpp(f, &d, NULL, true);
	expect_fail(call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	            "8.8.5", "6.4");
	dl_free(&d);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &f->prof), ORSP_OK);
	assert_int_equal(f->prof.state, ORSP_SMDP_ERROR);
}

/* authenticateClient for d, matching ID mid (NULL: the default SM-DP+ case) on a new
 * session: refused with subject/reason. */
static void auth_refused(fx *f, dl *d, const char *mid, const char *subject, const char *reason)
{
	int http;
	auth_opts o = {.mid = mid};
	reinitiate(f, d);
	expect_fail(call(f, "authenticateClient", auth_request(f, d, &o), &http), subject, reason);
}

/* The limit found inside getBoundProfilePackage's transaction: a Released profile whose
 * counter is already at the limit (an earlier attempt counted) is refused, and the
 * refusal is kept: the profile is in Error afterwards, not Released again. */
static void test_download_limit_released(void **state)
{
	fx *f = *state;
	static dl d;

	order_limit(f, NULL, "LIMIT-2", NULL, 1);
	assert_int_equal(orsp_smdp_download_attempt(f->s, f->prof.iccid), ORSP_OK);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &f->prof), ORSP_OK);
	assert_int_equal(f->prof.state, ORSP_SMDP_RELEASED);
	/* refused before the end user confirms anything (until session 68 at
	 * getBoundProfilePackage, counted as a second attempt) */
	auth_refused(f, &d, "LIMIT-2", "8.8.5", "6.4");
	dl_free(&d);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &f->prof), ORSP_OK);
	assert_int_equal(f->prof.state, ORSP_SMDP_ERROR);
	assert_int_equal(f->prof.download_attempts, 1);
}

/* An order that expires between authenticateClient and getBoundProfilePackage is not
 * delivered (8.8.5/4.10), the session ends, nothing is counted; once delivered, a new
 * binding is not refused for the expiry. */
static void test_gbpp_order_expired(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	const char *exp = "UPDATE smdp_profile SET expires_at = strftime('%s', 'now') + 60,"
	                  " due_at = strftime('%s', 'now') + 60";

	order(f, EID, "EXP-2", NULL);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), exp), ORSP_OK);
	reinitiate(f, &d);
	authenticate(f, &d, "EXP-2");
	orsp_smdp_set_clock(f->s, time(NULL) + 120);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.8.5", "4.10");
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &f->prof), ORSP_OK);
	assert_int_equal(f->prof.state, ORSP_SMDP_RELEASED);
	assert_int_equal(f->prof.download_attempts, 0);
	/* the session is over */
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.10.1", "3.9");
	dl_free(&d);
	/* delivered before the expiry: a new binding afterwards is a retry, still served */
	orsp_smdp_set_clock(f->s, 0);
	reinitiate(f, &d);
	authenticate(f, &d, "EXP-2");
	get_bpp(f, &d, NULL, true);
	orsp_smdp_set_clock(f->s, time(NULL) + 120);
	get_bpp(f, &d, NULL, true);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&d);
}

/* An order its expiry ended is refused as expired (8.8.5/4.10) after the background expiry
 * has made it Unavailable too, not only until then: getBoundProfilePackage of a session
 * authenticated before (the session ends) and authenticateClient of a new one. With
 * clock_back, by a process whose clock is behind the one that expired the order (a second
 * server process) or was set back since (an NTP step): its answers go by what the expiry
 * recorded, not by its own clock, which puts the order still in its validity (8.2/3.7 and
 * 8.2.6/3.8 until session 77, where ES2+ answered 4.10; the clock review). */
static void expired_after_sweep(fx *f, const char *mid, bool clock_back)
{
	static dl d, d2;
	int http;
	size_t n = 0;
	auth_opts o = {.mid = mid};
	const char *exp = "UPDATE smdp_profile SET expires_at = strftime('%s', 'now') + 60,"
	                  " due_at = strftime('%s', 'now') + 60";

	order(f, EID, mid, NULL);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), exp), ORSP_OK);
	reinitiate(f, &d);
	authenticate(f, &d, mid);
	orsp_smdp_set_clock(f->s, time(NULL) + 120);
	assert_int_equal(orsp_smdp_expire(f->s, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	if (clock_back)
		orsp_smdp_set_clock(f->s, 0); /* before the order's expiry again */
	expect_fail_msg(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.8.5", "4.10", "order expired");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.10.1", "3.9");
	reinitiate(f, &d2);
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d2, &o), &http), "8.8.5",
	                "4.10", "order expired");
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&d);
	dl_free(&d2);
}

static void test_order_expired_after_sweep(void **state)
{
	expired_after_sweep(*state, "EXP-S", false);
}

static void test_order_expired_clock_behind(void **state)
{
	expired_after_sweep(*state, "EXP-B", true);
}

/* An order the operator cancelled to Unavailable after its expiry passed, before the
 * background expiry reached it, ended by the cancel (it has no `expire` row in the audit log):
 * its matching ID is refused (8.2.6/3.8) and its session, which the cancel ended, is refused
 * as such (8.10.1/3.9), not as expired. */
static void test_order_cancelled_after_expiry(void **state)
{
	fx *f = *state;
	static dl d, d2;
	int http;
	auth_opts o = {.mid = "EXP-C"};
	const char *exp = "UPDATE smdp_profile SET expires_at = strftime('%s', 'now') + 60,"
	                  " due_at = strftime('%s', 'now') + 60";
	bool expired = true;

	order(f, EID, "EXP-C", NULL);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), exp), ORSP_OK);
	reinitiate(f, &d);
	authenticate(f, &d, "EXP-C");
	orsp_smdp_set_clock(f->s, time(NULL) + 120);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, NULL, false), ORSP_OK);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &f->prof), ORSP_OK);
	assert_int_equal(f->prof.state, ORSP_SMDP_UNAVAILABLE);
	assert_true(f->prof.updated_at > f->prof.expires_at); /* only the audit log tells */
	assert_int_equal(orsp_smdp_ended_by_expiry(f->s, &f->prof, &expired), ORSP_OK);
	assert_false(expired);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.10.1", "3.9");
	reinitiate(f, &d2);
	expect_fail(call(f, "authenticateClient", auth_request(f, &d2, &o), &http), "8.2.6", "3.8");
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&d);
	dl_free(&d2);
}

/* The default SM-DP+ case (no matching ID) answers an expired order of the eUICC as the
 * matching-ID case does, 8.8.5/4.10 (SGP.22 §5.6.3, Download order / Time to Live Expired;
 * SGP.23's AuthenticateClient error sequence #16), before the background expiry and after it;
 * it answered 8.1.1/3.8, as if the eUICC had no order. An order cancelled after its expiry
 * ended by the cancel: 8.1.1/3.8, no order for the EID. */
static void test_default_order_expired(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	size_t n = 0;
	auth_opts o = {.mid = NULL};
	const char *exp = "UPDATE smdp_profile SET expires_at = strftime('%s', 'now') + 60,"
	                  " due_at = strftime('%s', 'now') + 60";

	order(f, EID, NULL, NULL);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), exp), ORSP_OK);
	orsp_smdp_set_clock(f->s, time(NULL) + 120);
	/* past its validity, still Released: the background expiry has not run */
	reinitiate(f, &d);
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.8.5",
	                "4.10", "order expired");
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	/* made Unavailable by the background expiry */
	assert_int_equal(orsp_smdp_expire(f->s, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	reinitiate(f, &d);
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.8.5",
	                "4.10", "order expired");
	dl_free(&d);
	orsp_smdp_set_clock(f->s, 0);
}

/* The same order cancelled to Unavailable once its expiry had passed (no `expire` row): no
 * order of the eUICC, 8.1.1/3.8, as for an eUICC that never had one. */
static void test_default_order_cancelled_after_expiry(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o = {.mid = NULL};
	const char *exp = "UPDATE smdp_profile SET expires_at = strftime('%s', 'now') + 60,"
	                  " due_at = strftime('%s', 'now') + 60";

	order(f, EID, NULL, NULL);
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), exp), ORSP_OK);
	orsp_smdp_set_clock(f->s, time(NULL) + 120);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, NULL, false), ORSP_OK);
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	reinitiate(f, &d);
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1.1", "3.8");
	dl_free(&d);
	orsp_smdp_set_clock(f->s, 0);
}

/* reason: CancelSessionReason, or CANCEL_NO_REASON, CANCEL_NEGATIVE_REASON,
 * CANCEL_EMPTY_REASON for a reason left out or not a non-negative INTEGER (still signed) */
enum { CANCEL_NO_REASON = -1, CANCEL_NEGATIVE_REASON = -2, CANCEL_EMPTY_REASON = -3 };

/* cancel_request with ext_len bytes ext after euiccCancelSessionSignature (a later
 * version's fields; ext NULL: none). */
static json_t *cancel_request_ext(fx *f, dl *d, int reason, const char *oid_dotted, bool bad_sig,
                                  const uint8_t *ext, size_t ext_len)
{
	uint8_t sd[128], csr[256], sig[67], oid[16];
	size_t oid_len = 0;
	orsp_writer w;
	orsp_der_mark m, ok;
	json_t *req = json_object();

	if (strcmp(oid_dotted, "2.999.10") == 0) {
		memcpy(oid, "\x88\x37\x0A", 3);
		oid_len = 3;
	} else {
		memcpy(oid, "\x88\x37\x0B", 3);
		oid_len = 3;
	}
	orsp_writer_init(&w, sd, sizeof(sd));
	m = orsp_der_begin(&w, 0x30);
	orsp_der_put_tlv(&w, 0x80, d->tid, d->tid_len);
	orsp_der_put_tlv(&w, 0x81, oid, oid_len);
	if (reason >= 0)
		orsp_der_put_uint(&w, 0x82, (uint64_t)reason);
	else if (reason == CANCEL_NEGATIVE_REASON)
		orsp_der_put_tlv(&w, 0x82, (const uint8_t *)"\xFF", 1);
	else if (reason == CANCEL_EMPTY_REASON)
		orsp_der_put_tlv(&w, 0x82, NULL, 0);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	sign(f->sk_euicc, sd, w.len, sig);
	if (bad_sig)
		sig[40] ^= 1;
	{
		size_t sl = w.len;
		orsp_writer_init(&w, csr, sizeof(csr));
		m = orsp_der_begin(&w, 0xBF41);
		ok = orsp_der_begin(&w, 0xA0);
		orsp_write_bytes(&w, sd, sl);
		orsp_write_bytes(&w, sig, 67);
		if (ext)
			orsp_write_bytes(&w, ext, ext_len);
		orsp_der_end(&w, ok);
		orsp_der_end(&w, m);
	}
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	if (reason >= 0 && !ext) /* with ext, as for gbpp_request_with's */
		asn1_ok(&asn_DEF_CancelSessionResponse, csr, w.len);
	assert_int_equal(orsp_json_put_string(req, "transactionId", d->tid_hex), ORSP_OK);
	put_b64(req, "cancelSessionResponse", csr, w.len);
	return req;
}

static json_t *cancel_request(fx *f, dl *d, int reason, const char *oid_dotted, bool bad_sig)
{
	return cancel_request_ext(f, d, reason, oid_dotted, bad_sig, NULL, 0);
}

/* The eUICC's signed cancelSession of d's session with reason (1 postponed, 2 timeout ...),
 * this SM-DP+'s OID: accepted. */
static void cancel_ok(fx *f, dl *d, int reason)
{
	int http;
	json_t *rsp = call(f, "cancelSession", cancel_request(f, d, reason, OID, false), &http);
	expect_ok(rsp);
	json_decref(rsp);
}

/* Every delivery counts on the profile's counter: a new binding is not forgotten when a
 * cancelSession (postponed) reopens the profile and ends its session, so with limit 2 a
 * first delivery, a new binding and a reopen leave no third delivery (the counter was the
 * session's, and the next session got the whole limit again: L(L+1)/2 packages in all). */
static void test_download_limit_after_reopen(void **state)
{
	fx *f = *state;
	static dl d;

	order_limit(f, EID, "LIMIT-3", NULL, 2);
	reinitiate(f, &d);
	authenticate(f, &d, "LIMIT-3");
	get_bpp(f, &d, NULL, true);
	get_bpp(f, &d, NULL, true);
	assert_int_equal(download_attempts_of(f), 2);
	cancel_ok(f, &d, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(download_attempts_of(f), 2);
	/* no download left, and no package out: refused before the end user confirms
	 * anything, the order ended (it was refused at getBoundProfilePackage) */
	auth_refused(f, &d, "LIMIT-3", "8.8.5", "6.4");
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE to_state = 'error'"
	                             " AND detail LIKE '%download retries exceeded%'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'downloadAttempt'"),
	                 2);
	dl_free(&d);
}

/* Sessions a and b of the eUICC, both authenticated for the order mid before either
 * delivers. */
static void parallel_sessions(fx *f, dl *a, dl *b, const char *mid)
{
	memset(a, 0, sizeof(*a));
	memset(b, 0, sizeof(*b));
	initiate(f, a);
	authenticate(f, a, mid);
	initiate(f, b);
	authenticate(f, b, mid);
}

/* Sessions of one eUICC authenticated in parallel while the profile was Released (an LPA
 * that started over) share the profile's limit: with limit 2, session A's delivery and new
 * binding leave session B none (each session had a budget of its own: 1 + N(L-1)). */
static void test_download_limit_parallel_sessions(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;

	order_limit(f, EID, "LIMIT-4", NULL, 2);
	parallel_sessions(f, &a, &b, "LIMIT-4");
	get_bpp(f, &a, NULL, true);
	get_bpp(f, &a, NULL, true);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, NULL, true, false), &http),
	    "8.8.5", "6.4");
	/* b ends; the profile stays Downloaded for a's result, whose package is out (it went
	 * to Error, and a's success was `profile not downloaded`, until session 66) */
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(download_attempts_of(f), 2);
	assert_int_equal(step_of(f, &b), 4);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* A new binding over the download limit (a delivered session asking again with a new
 * one-time key, limit 1) is refused with the profile in Error, written whole or answered 500:
 * a failure of its writes (the Error state, its audit row, the operator's report, the commit)
 * at each step in turn leaves the profile Downloaded and the session as it was, and the same
 * request sent again is refused with all of it written. Until session 66 such a failure was
 * answered 8.8.5/6.4 all the same, the session ended, and the profile stayed Downloaded with
 * no report (review find). */
static void test_download_limit_failure_injection(void **state)
{
	fx *f = *state;
	static dl a;
	int failed = 0, http;
	orsp_err e;
	json_t *req, *rsp = NULL;

	authenticated_session(f, &a, "LIMIT-INJ", NULL, 1);
	get_bpp(f, &a, NULL, true);
	for (int k = 0; k < 40 && !rsp; k++) {
		req = gbpp_request(f, &a, NULL, true, false);
		orsp_db_inject_failure(orsp_smdp_db(f->s), k);
		rsp = call_any(f, "getBoundProfilePackage", req, &http, &e);
		orsp_db_inject_failure(orsp_smdp_db(f->s), -1);
		if (e != ORSP_OK) {
			assert_int_equal(http, 500);
			assert_null(rsp);
			assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
			failed++;
			orsp_err_clear();
		}
	}
	assert_true(failed > 2);
	expect_fail(rsp, "8.8.5", "6.4");
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE to_state = 'error'"
	                             " AND detail LIKE '%download retries exceeded%'"),
	                 1);
	dl_free(&a);
}

/* Sessions A and B of one eUICC authenticated while the order with a confirmation code was
 * Released; A delivers. B's getBoundProfilePackage still has to give the code (missing:
 * 8.2.7/2.2, wrong: 8.2.7/3.8, counted), and with it binds anew, counted on the profile: it
 * was refused 8.2/1.2, the code being checked only while the order was Released. */
static void test_parallel_session_cc(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;
	orsp_smdp_profile p;

	order(f, EID, "PAR-CC-1", "1234");
	parallel_sessions(f, &a, &b, "PAR-CC-1");
	get_bpp(f, &a, "1234", true);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, NULL, true, false), &http),
	    "8.2.7", "2.2");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, "9999", true, false), &http),
	    "8.2.7", "3.8");
	get_bpp(f, &b, "1234", true);
	check_bpp(f, &b);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(p.download_attempts, 2);
	assert_int_equal(p.cc_attempts, 1);
	assert_int_equal(new_bindings(f), 1);
	dl_free(&a);
	dl_free(&b);
}

/* Session d gives a wrong confirmation code to the limit (8.2.7/3.8, then 6.4) while another
 * session of the eUICC has its package out: the profile stays in `kept`, audited so. */
static void cc_exhausted_kept(fx *f, dl *d, orsp_smdp_state kept)
{
	int http;
	char sql[200];

	for (int i = 1; i < ORSP_SMDP_DEFAULT_CC_LIMIT; i++)
		expect_fail(call(f, "getBoundProfilePackage",
		                 gbpp_request(f, d, "9999", true, false), &http),
		            "8.2.7", "3.8");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, d, "9999", true, false), &http),
	    "8.2.7", "6.4");
	assert_int_equal(state_of(f), kept);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM smdp_audit WHERE detail = 'mismatch, retries exhausted:"
	         " kept for an earlier session''s package' AND to_state = '%s'",
	         orsp_smdp_state_name(kept));
	assert_int_equal(count_of(f, sql), 1);
}

/* Session b, authenticated in parallel with a, mistypes the confirmation code to the limit
 * after a's delivery: b's answer is 8.2.7/6.4 and no code is compared any more, but the
 * profile stays Downloaded for a's result, the eUICC may hold it from a's package (as for a
 * retry's, test_retry_cc_exhausted_keeps_earlier); a's success installs it. Until session
 * 66 the profile went to Error, final, and that success was `profile not downloaded`. */
static void test_parallel_cc_exhausted_keeps_other(void **state)
{
	fx *f = *state;
	static dl a, b;

	order(f, EID, "PAR-CC-X", "1234");
	parallel_sessions(f, &a, &b, "PAR-CC-X");
	get_bpp(f, &a, "1234", true);
	cc_exhausted_kept(f, &b, ORSP_SMDP_DOWNLOADED);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

static void test_cancel_session(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order(f, EID, "CANCEL-1", NULL);
	/* postponed: the order stays downloadable */
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-1");
	expect_fail(call(f, "cancelSession", cancel_request(f, &d, 1, "2.999.10", true), &http),
	            "8.1", "6.1");
	/* the eUICC's signed cancel of another live session (b), sent with d's transactionId:
	 * 8.1/6.1 naming the transactionId, and neither session ends */
	{
		static dl b;
		memset(&b, 0, sizeof(b));
		initiate(f, &b);
		authenticate(f, &b, "CANCEL-1");
		expect_fail_is(
		    call(f, "cancelSession",
		         with_tid(cancel_request(f, &b, 1, OID, false), d.tid_hex), &http),
		    "8.1", "6.1", "server challenge or session data mismatch: transactionId");
		assert_int_equal(step_of(f, &d), 2);
		assert_int_equal(step_of(f, &b), 2);
		cancel_ok(f, &b, 1);
		dl_free(&b);
	}
	/* another SM-DP+'s OID: 8.8/3.10, as pySim's osmo-smdpp answers */
	expect_fail_msg(
	    call(f, "cancelSession", cancel_request(f, &d, 1, "2.999.11", false), &http), "8.8",
	    "3.10", "SM-DP+ OID");
	cancel_ok(f, &d, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	expect_fail(call(f, "cancelSession", cancel_request(f, &d, 1, "2.999.10", false), &http),
	            "8.10.1", "3.9");
	dl_free(&d);
	/* end user rejection: the order ends in Error */
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-1");
	cancel_ok(f, &d, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	/* the operator's report of the end carries status codes, as every Failed one must */
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 3 AND"
	                             " success = 0 AND subject_code = '8.1' AND reason_code ="
	                             " '3.8' AND detail = 'cancelled: end user rejection'"),
	                 1);
	dl_free(&d);
}

/* pprNotAllowed ends the order too, reported as the profile's rules refused (8.2/3.8). */
static void test_cancel_ppr_not_allowed(void **state)
{
	fx *f = *state;
	static dl d;

	order(f, EID, "CANCEL-3", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-3");
	cancel_ok(f, &d, 3);
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 3 AND"
	                             " success = 0 AND subject_code = '8.2' AND reason_code ="
	                             " '3.8' AND detail = 'cancelled: PPR not allowed'"),
	                 1);
	dl_free(&d);
}

/* SGP.22 §5.6.5: the SM-DP+ notifies the operator of every cancelled session, also when the
 * reason (postponed, timeout, undefinedReason) leaves the order downloadable: point 3, Failed,
 * 8.1/4.2, the message naming the reason, before and after the delivery (no report was
 * queued, so the operator of a Downloaded profile reopened never heard of it). */
static void test_cancel_postponed_reported(void **state)
{
	fx *f = *state;
	static dl d;

	order(f, NULL, "CANCEL-5", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-5");
	cancel_ok(f, &d, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(count_of(f,
	                          "SELECT count(*) FROM smdp_progress WHERE point_id = 3 AND"
	                          " success = 0 AND subject_code = '8.1' AND reason_code ="
	                          " '4.2' AND detail = 'cancelled: postponed' AND eid = '" EID "'"),
	                 1);
	dl_free(&d);
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-5");
	get_bpp(f, &d, NULL, true);
	cancel_ok(f, &d, 2);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 3 AND"
	                             " success = 0 AND detail = 'cancelled: timeout'"),
	                 1);
	dl_free(&d);
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-5");
	cancel_ok(f, &d, 127);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 3 AND"
	                             " success = 0 AND detail = 'cancelled: reason 127'"),
	                 1);
	dl_free(&d);
}

/* SGP.22 §5.3.5: a report names the eUICC whenever the SM-DP+ knows it. For an order placed
 * without an EID and not delivered yet, the eUICC of the session that ended it (here a cancel
 * by the end user) is known only from that session: its EID goes into the report, as the
 * eligibility report's does (the report went out without one). */
static void test_unbound_reports_name_eid(void **state)
{
	fx *f = *state;
	static dl d;

	order(f, NULL, "NOEID-1", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "NOEID-1");
	cancel_ok(f, &d, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 3 AND"
	                             " success = 0 AND eid = '" EID "'"),
	                 1);
	dl_free(&d);
}

/* The same for the report of the confirmation code retries (5) used up (point 2). */
static void test_unbound_cc_report_names_eid(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order(f, NULL, "NOEID-2", "4321");
	reinitiate(f, &d);
	authenticate(f, &d, "NOEID-2");
	for (int i = 0; i < 4; i++)
		expect_fail(call(f, "getBoundProfilePackage",
		                 gbpp_request(f, &d, "0000", true, false), &http),
		            "8.2.7", "3.8");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, "0000", true, false), &http),
	    "8.2.7", "6.4");
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 2 AND"
	                             " success = 0 AND eid = '" EID "'"),
	                 1);
	dl_free(&d);
}

/* reason is mandatory in euiccCancelSessionSigned: one left out, negative or empty is
 * 1.2/2.1 and changes nothing (it was taken as undefinedReason (127), which after delivery
 * reopened the profile as postponed does); the session is still there for a proper cancel. */
static void test_cancel_without_reason(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	static const int bad[] = {CANCEL_NO_REASON, CANCEL_NEGATIVE_REASON, CANCEL_EMPTY_REASON};

	order(f, EID, "CANCEL-2", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-2");
	get_bpp(f, &d, NULL, true);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		expect_fail_msg(
		    call(f, "cancelSession", cancel_request(f, &d, bad[i], OID, false), &http),
		    "1.2", "2.1", "reason");
		assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
		assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 3"),
		                 1);
	}
	cancel_ok(f, &d, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	dl_free(&d);
}

/* The eUICC's own error answer to CancelSession (cancelSessionResponseError, [1] INTEGER:
 * invalidTransactionId) is well formed: answered 8.1/4.2 as its other error answers are, not
 * 1.2/2.1 "invalid request data"; unsigned, it ends nothing and a signed cancel still works. */
static void test_cancel_error_answer(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	json_t *req = json_object();
	static const uint8_t csr[] = {0xBF, 0x41, 0x03, 0x81, 0x01, 0x05};

	order(f, EID, "CANCEL-4", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-4");
	asn1_ok(&asn_DEF_CancelSessionResponse, csr, sizeof(csr));
	assert_int_equal(orsp_json_put_string(req, "transactionId", d.tid_hex), ORSP_OK);
	put_b64(req, "cancelSessionResponse", csr, sizeof(csr));
	expect_fail(call(f, "cancelSession", req, &http), "8.1", "4.2");
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 2"), 1);
	/* a cancelSessionResponse of another shape: 1.2/2.1 naming the part that is wrong, the
	 * session left open */
	{
		static const shape_case bad[] = {
		    /* not BF41 */
		    {0x30,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}},
		     2,
		     "invalid request data: cancelSessionResponse"},
		    /* BF41 with nothing inside */
		    {0xBF41, 0, {{0}}, 0, "invalid request data: cancelSessionResponse"},
		    /* neither cancelSessionResponseOk [0] nor cancelSessionResponseError [1] */
		    {0xBF41,
		     0xA2,
		     {{0x30, 0}, {0x5F37, 64}},
		     2,
		     "invalid request data: cancelSessionResponse"},
		    /* its ok part without euiccCancelSessionSigned, without the signature, with a
		     * signature of 63 bytes or not 5F37 */
		    {0xBF41,
		     0xA0,
		     {{0x5F37, 64}},
		     1,
		     "invalid request data: cancelSessionResponseOk"},
		    {0xBF41, 0xA0, {{0x30, 0}}, 1, "invalid request data: cancelSessionResponseOk"},
		    {0xBF41,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 63}},
		     2,
		     "invalid request data: cancelSessionResponseOk"},
		    {0xBF41,
		     0xA0,
		     {{0x30, 0}, {0x04, 64}},
		     2,
		     "invalid request data: cancelSessionResponseOk"},
		    /* a known field after the signature: euiccCancelSessionSigned again, the
		     * signature again after a later version's field */
		    {0xBF41,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x30, 0}},
		     3,
		     "invalid request data: cancelSessionResponseOk"},
		    {0xBF41,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x85, 0}, {0x5F37, 64}},
		     4,
		     "invalid request data: cancelSessionResponseOk"},
		    /* a later version's field after the signature is skipped (the module is
		     * EXTENSIBILITY IMPLIED): only the (zero) signature is wrong */
		    {0xBF41,
		     0xA0,
		     {{0x30, 0}, {0x5F37, 64}, {0x85, 0}},
		     3,
		     "eUICC signature invalid"},
		    /* the right shape: only the (zero) signature is wrong */
		    {0xBF41, 0xA0, {{0x30, 0}, {0x5F37, 64}}, 2, "eUICC signature invalid"},
		};
		shapes_refused(f, &d, "cancelSession", "cancelSessionResponse", 0xBF41, bad,
		               ORSP_ARRAY_LEN(bad));
		b64_member_refused(f, "cancelSession", "cancelSessionResponse", d.tid_hex);
		assert_int_equal(step_of(f, &d), 2);
	}
	cancel_ok(f, &d, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	dl_free(&d);
}

/* A transactionId of the form before (7 random bytes, the tag of "tid" and its 12 bytes
 * alone), as an older process makes it in a rolling upgrade: taken by its indexes, and the
 * download goes on to a package signed with the key set's CERT.DPpb. */
static void test_tid_old_form(void **state)
{
	fx *f = *state;
	static dl d;

	order(f, EID, "OLD-TID-1", NULL);
	forge_session(f, &d, 0, orsp_smdp_now(f->s), true);
	authenticate(f, &d, "OLD-TID-1");
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	dl_free(&d);
}

/* A whole download with key sets a and b configured: initiateAuthentication and
 * getBoundProfilePackage at a process listing a first, authenticateClient at one listing b
 * first (one removed, or moved, in a rolling change). The eUICC (NIST's) checks that
 * serverSigned1, smdpSigned2 and the package are signed by the NIST key set's CERT.DPauth
 * and CERT.DPpb (the fixture's), and the profile ends Installed. */
static void download_keysets_swapped(fx *f, const char *mid, orsp_smdp_keyset a, orsp_smdp_keyset b)
{
	static dl d;

	f->svc.n_sets = 2;
	f->svc.sets[0] = a;
	f->svc.sets[1] = b;
	memset(&d, 0, sizeof(d));
	order(f, EID, mid, NULL);
	initiate(f, &d);
	f->svc.sets[0] = b;
	f->svc.sets[1] = a;
	authenticate(f, &d, mid);
	f->svc.sets[0] = a;
	f->svc.sets[1] = b;
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	pir_judged(f, &d, true, "installed");
	dl_free(&d);
}

/* Key sets in another order: the SGP.26 NIST and BRP key sets, NIST listed first where the
 * session begins. authenticateClient finds the key set the transactionId was made for by the
 * identities its tag covers (tid_find), getBoundProfilePackage by those the session row keeps
 * (keyset_id; the tag until migration 13), not by the row's index. Each took the index as its
 * own before session 63: authenticateClient then signed with BRP's DPpb, and with that fixed
 * alone, getBoundProfilePackage read the row's index 1, BRP's in its order. */
static void test_keysets_reordered(void **state)
{
	fx *f = *state;
	orsp_smdp_keyset brp;

	load_keyset(&brp, "BRP");
	download_keysets_swapped(f, "REORDERED-1", f->svc.sets[0], brp);
}

/* Two key sets with one CERT.DPauth (so one hint byte) and their own CERT.DPpb: NIST's, and
 * a DPpb renewed (brainpool's) under the kept DPauth. A session the old set began goes on at
 * a process listing the renewed one first: tid_find takes the set whose tag the
 * transactionId carries, not the first whose hint matches, and smdpSigned2 is signed with
 * the old set's CERT.DPpb. */
static void test_keysets_sharing_hint(void **state)
{
	fx *f = *state;
	orsp_smdp_keyset renewed, brp;

	load_keyset(&renewed, "NIST");
	load_keyset(&brp, "BRP");
	orsp_cert_free(renewed.dppb_cert);
	orsp_ec_free(renewed.dppb_key);
	renewed.dppb_cert = brp.dppb_cert;
	renewed.dppb_key = brp.dppb_key;
	orsp_cert_free(brp.ci);
	orsp_cert_free(brp.dpauth_cert);
	orsp_ec_free(brp.dpauth_key);
	download_keysets_swapped(f, "SHARED-HINT-1", f->svc.sets[0], renewed);
}

/* Trusted CIs in another order (one removed or moved in a rolling change): an eUICC that
 * verifies with the key set's CI (NIST) and signs under the other trusted CI (brainpool, index
 * 1 where initiateAuthentication ran) is authenticated by a process listing brainpool first,
 * which finds the CI by the identity the tag covers. Taking the index as its own, it checked
 * the chain against NIST's CI: 8.11.1/3.9. */
static void test_trusted_cis_reordered(void **state)
{
	fx *f = *state;
	static dl d;
	uint8_t brp_ski[32];
	size_t brp_ski_len = 0;
	orsp_ci_store *mine = f->svc.cis, *moved = NULL;
	orsp_cert *brp_ci = test_load_cert("sgp26/CertificateIssuer/CERT_CI_ECDSA_BRP.der");
	orsp_ec_key *brp_key = test_load_key("sgp26/eUICC/SK_EUICC_ECDSA_BRP.pem");
	size_t cert_len = 0, eum_len = 0;
	uint8_t *cert = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_BRP.der", &cert_len);
	uint8_t *eum = test_read_vector("sgp26/EUM/CERT_EUM_ECDSA_BRP.der", &eum_len);
	auth_opts o = {.mid = "CIS-MOVED-1",
	               .cert = cert,
	               .cert_len = cert_len,
	               .eum = eum,
	               .eum_len = eum_len,
	               .key = brp_key};

	assert_int_equal(orsp_cert_ski(brp_ci, brp_ski, sizeof(brp_ski), &brp_ski_len), ORSP_OK);
	assert_int_equal(orsp_ci_store_new(&moved), ORSP_OK);
	assert_int_equal(orsp_ci_store_add(moved, brp_ci), ORSP_OK);
	assert_int_equal(orsp_ci_store_add(moved, f->svc.sets[0].ci), ORSP_OK);
	order(f, EID, "CIS-MOVED-1", NULL);
	memset(&d, 0, sizeof(d));
	initiate_req(f, &d, info1_lists(&d, FQDN, f->ci_ski, f->ci_ski_len, brp_ski, brp_ski_len),
	             brp_ski, brp_ski_len);
	assert_int_equal(d.tid[11] >> 3, 2); /* made with brainpool's index, 1 */
	f->svc.cis = moved;
	auth_accepted(f, &d, &o);
	f->svc.cis = mine;
	orsp_ci_store_free(moved);
	orsp_cert_free(brp_ci);
	orsp_ec_free(brp_key);
	free(cert);
	free(eum);
}

/* A KEK rotated (smdp rekey) in the middle of two sessions. The transactionIds' tags were made
 * under a key derived from the old KEK and no longer verify: a session that had only begun
 * (initiateAuthentication) is 8.10.1/3.9 at authenticateClient and starts over. One past
 * authenticateClient has its row (its key set's identity and index, CERT.EUICC, the one-time
 * key re-wrapped), which is what getBoundProfilePackage and the installation result go by:
 * the delivered package is sent again (rebuilt with the re-wrapped key), by the key set's
 * identity and, for a row without one (written before ES9+ migration 13), by the row's index
 * (the NIST key set, listed second), then bound anew, and the signed result installs the
 * profile. */
static void test_sessions_across_rekey(void **state)
{
	fx *f = *state;
	static dl d, begun;
	char kek_path[1300];
	orsp_db_guard *g = NULL;
	int http;
	auth_opts o = {.mid = "REKEYED-1"};

	f->svc.sets[1] = f->svc.sets[0];
	load_keyset(&f->svc.sets[0], "BRP");
	f->svc.n_sets = 2;
	download_all(f, &d, "REKEYED-1");
	memset(&begun, 0, sizeof(begun));
	initiate(f, &begun);
	snprintf(kek_path, sizeof(kek_path), "%s.new.kek", f->db);
	orsp_smdp_close(f->s);
	f->s = NULL;
	assert_int_equal(orsp_db_guard_open(f->db, &g), ORSP_OK);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_smdp_rekey(f->s, g, kek_path, NULL, NULL), ORSP_OK);
	orsp_smdp_close(f->s);
	f->s = NULL;
	orsp_db_guard_close(g);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_E_VERIFY);
	assert_int_equal(orsp_kek_load_existing(kek_path, &f->kek), ORSP_OK);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(f->s), ORSP_OK);
	expect_fail(call(f, "authenticateClient", auth_request(f, &begun, &o), &http), "8.10.1",
	            "3.9");
	dl_free(&begun);
	/* the package sent again: rebuilt with the one-time key the rotation re-wrapped */
	get_bpp(f, &d, NULL, false);
	check_bpp(f, &d);
	/* a row from before ES9+ migration 13 (no keyset_id): the tag no longer verifies, so
	 * the row's index, 1 */
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(f->s), "UPDATE es9p_session SET keyset_id = NULL"), ORSP_OK);
	get_bpp(f, &d, NULL, false);
	check_bpp(f, &d);
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	pir_judged(f, &d, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&d);
}

/* A key set removed from the configuration in the middle of a session, another now at its
 * index (NIST's set, index 0 where authenticateClient ran; then brainpool's alone): the
 * session keeps its key set's identity (keyset_id), which no configured set has, so a binding
 * is 8.10.1/3.9, not a package signed with brainpool's CERT.DPpb (the row's index 0 taken as
 * this process's, before ES9+ migration 13). With NIST's set back (at index 1), the same
 * session binds with it. */
static void test_keyset_removed_index_taken(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	orsp_smdp_keyset nist = f->svc.sets[0];

	memset(&d, 0, sizeof(d));
	order(f, EID, "KEYSET-TAKEN-1", NULL);
	initiate(f, &d);
	authenticate(f, &d, "KEYSET-TAKEN-1");
	load_keyset(&f->svc.sets[0], "BRP");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.10.1", "3.9");
	f->svc.sets[1] = nist;
	f->svc.n_sets = 2;
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	pir_judged(f, &d, true, "installed");
	dl_free(&d);
}

/* A delivered session waits for its installation result or cancel at any age, and neither
 * needs a key set (the eUICC's signature is checked with the CERT.EUICC the session keeps):
 * a key set removed from the configuration since the delivery (here: the only one, taken
 * away around those calls) does not make the eUICC's cancel 8.10.1/3.9, nor its signed
 * result an `unknown session`, answered 204 and lost with the profile left Downloaded. A new
 * binding, which needs the key set, is still 8.10.1/3.9. */
static void test_result_after_keyset_removed(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	download_all(f, &d, "KEYSET-GONE-1");
	f->svc.n_sets = 0; /* the key set gone from the configuration */
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.10.1", "3.9");
	f->svc.n_sets = 1;
	cancel_ok(f, &d, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	reinitiate(f, &d);
	authenticate(f, &d, "KEYSET-GONE-1");
	get_bpp(f, &d, NULL, true);
	f->svc.n_sets = 0;
	pir_judged(f, &d, true, "installed");
	f->svc.n_sets = 1;
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&d);
}

/* A failure {initialiseSecureChannel, invalidTransactionId} for a session whose package is
 * out: what an eUICC signs for any transactionId named outside a download session (a reset
 * before the load, or an LPA asking after the package installed, holding its success back).
 * Recorded, the profile still Downloaded and the session open: the success that comes after
 * installs it (it went to Error, final, and the success was "session ended"). */
static void test_pir_no_session(void **state)
{
	fx *f = *state;
	static dl d;
	static const pir_opts none_o = {.no_session = true};
	int http;

	order(f, EID, "PIR-NS", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "PIR-NS");
	get_bpp(f, &d, NULL, true);
	assert_null(
	    call(f, "handleNotification", pir_request_with(f, &d, false, false, &none_o), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification"
	                             " WHERE result = 'no session on the eUICC'"),
	                 1);
	pir_judged(f, &d, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
}

static void test_pir_checks(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	size_t n = 9;

	order(f, EID, "PIR-1", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "PIR-1");
	get_bpp(f, &d, NULL, true);
	/* a PIR without transactionId, notificationMetadata or finalResult, with a seqNumber
	 * that is not an unsigned INTEGER, without its signature or with one of 63 bytes:
	 * 1.2/2.1, nothing recorded, the profile still Downloaded */
	{
		static const pir_opts bad[] = {
		    {.drop = 0x80},
		    {.drop = 0xBF2F},
		    {.drop = 0xA2},
		    {.seq = "\xFF", .seq_len = 1},
		    {.seq = "", .seq_len = 0},
		    {.no_sig = true},
		    {.sig_len = 63},
		};
		/* euiccSignPIR without profileInstallationResultData before it; a pending
		 * notification that is DER but neither a PIR (BF37) nor another notification
		 * (30): an OCTET STRING, a SET with what an otherSignedNotification holds; one
		 * whose inner TLV is longer than its SEQUENCE */
		static const part sig_only[] = {{0x5F37, 64}};
		static const uint8_t octets[] = {0x04, 0x00};
		static const uint8_t set[] = {0x31, 0x52, 0xBF,        0x2F, 0x08, 0x80, 0x02,
		                              0x01, 0x00, 0x81,        0x02, 0x07, 0x80, 0x5F,
		                              0x37, 0x40, [80] = 0x30, 0x00, 0x30, 0x00};
		static const uint8_t inner[] = {0x30, 0x03, 0x30, 0x05, 0x00};
		uint8_t b[128];
		json_t *req;
		for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++)
			expect_fail_is(call(f, "handleNotification",
			                    pir_request_with(f, &d, true, false, &bad[i]), &http),
			               "1.2", "2.1", "invalid request data: pendingNotification");
		req = json_object();
		put_b64(req, "pendingNotification", b,
		        shaped(b, sizeof(b), 0xBF37, 0, sig_only, ORSP_ARRAY_LEN(sig_only)));
		expect_fail_is(call(f, "handleNotification", req, &http), "1.2", "2.1",
		               "invalid request data: pendingNotification");
		req = json_object();
		put_b64(req, "pendingNotification", octets, sizeof(octets));
		expect_fail_is(call(f, "handleNotification", req, &http), "1.2", "2.1",
		               "invalid request data: pendingNotification");
		req = json_object();
		put_b64(req, "pendingNotification", set, sizeof(set));
		expect_fail_is(call(f, "handleNotification", req, &http), "1.2", "2.1",
		               "invalid request data: pendingNotification");
		req = json_object();
		put_b64(req, "pendingNotification", inner, sizeof(inner));
		expect_fail_is(call(f, "handleNotification", req, &http), "1.2", "2.1",
		               "invalid request data: pendingNotification");
		b64_member_refused(f, "handleNotification", "pendingNotification", NULL);
		assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification"), 0);
		assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	}
	/* a PIR, signed, for another SM-DP+'s OID: recorded as `wrong smdpOid`, 204, and the
	 * profile stays Downloaded */
	{
		static const pir_opts other = {.other_oid = true};
		assert_null(call(f, "handleNotification",
		                 pir_request_with(f, &d, true, false, &other), &http));
		assert_int_equal(http, 204);
		assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
		                             " 'wrong smdpOid'"),
		                 1);
		assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	}
	/* a forged PIR changes nothing */
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, true), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n), ORSP_OK);
	assert_int_equal(n, 0);
	/* a failed installation moves the profile to Error; its record replaces the forged
	 * one's (same eUICC, seqNumber and event), which did not take its place */
	assert_null(call(f, "handleNotification", pir_request(f, &d, false, false), &http));
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n), ORSP_OK);
	assert_int_equal(n, 1);
	/* reported with the code of its errorReason and both numbers in the message */
	assert_int_equal(
	    count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4 AND success = 0"
	                " AND subject_code = '8.2.1' AND reason_code = '3.3' AND detail ="
	                " 'profile installation failed: errorReason 9"
	                " (installFailedDueToIccidAlreadyExistsOnEuicc) at bppCommandId 3'"),
	    1);
	/* and a forged copy sent after it changes nothing */
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, true), &http));
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'installation failed'"),
	                 1);
	/* garbage */
	{
		json_t *req = json_object();
		put_b64(req, "pendingNotification", (const uint8_t *)"\x30\x03\x02\x01", 4);
		expect_fail(call(f, "handleNotification", req, &http), "1.2", "2.1");
	}
	dl_free(&d);
}

/* An installation result whose session cannot be read (a database failure) is answered 500
 * and recorded nowhere, so the LPA keeps it and sends it again; that copy installs. A 204
 * would have made the LPA delete it, and the result would be lost. */
static void test_pir_storage_failure(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order(f, EID, "PIR-FAIL", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "PIR-FAIL");
	get_bpp(f, &d, NULL, true);
	orsp_db_inject_failure(orsp_smdp_db(f->s), 0); /* the session's read */
	call_internal_error(f, "handleNotification", pir_request(f, &d, true, false));
	orsp_db_inject_failure(orsp_smdp_db(f->s), -1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification"), 0);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'installed'"),
	                 1);
	dl_free(&d);
}

/* handleNotification with a notification whose certificates do not parse (recorded as
 * "certificate refused"), sequence number seq */
static void refused_notification(fx *f, unsigned seq)
{
	uint8_t n[] = {0x30,         0x52, 0xBF, 0x2F, 0x08, 0x80, 0x02, (uint8_t)(seq >> 8),
	               (uint8_t)seq, 0x81, 0x02, 0x07, 0x80, 0x5F, 0x37, 0x40,
	               [80] = 0x30,  0x00, 0x30, 0x00};
	json_t *req = json_object();
	int http;
	_Static_assert(sizeof(n) == 2 + 0x52, "the notification's length");
	assert_true(seq >= 0x100 && seq < 0x8000); /* two bytes of DER INTEGER */
	put_b64(req, "pendingNotification", n, sizeof(n));
	assert_null(call(f, "handleNotification", req, &http));
	assert_int_equal(http, 204);
}

/* A handleNotification request with an otherSignedNotification of the fixture's eUICC
 * (SGP.26 NIST key and certificates): NotificationMetadata {seq, the event whose
 * profileManagementOperation bit is op (0x40 enable, 0x20 disable, 0x10 delete),
 * notificationAddress address, iccid when not NULL}, signed (the signature broken if
 * bad_sig). */
static json_t *other_notification_op_req(fx *f, unsigned seq, uint8_t op, const char *address,
                                         const char *iccid, bool bad_sig)
{
	uint8_t meta[128], n[2048], sig[67], ef[10];
	orsp_writer w;
	orsp_der_mark m;
	json_t *req = json_object();
	size_t ml;

	orsp_writer_init(&w, meta, sizeof(meta));
	m = orsp_der_begin(&w, 0xBF2F);
	orsp_der_put_uint(&w, 0x80, seq);
	orsp_der_put_tlv(&w, 0x81, ((const uint8_t[]){op == 0x40 ? 6 : op == 0x20 ? 5 : 4, op}), 2);
	orsp_der_put_tlv(&w, 0x0C, address, strlen(address));
	if (iccid) {
		assert_int_equal(orsp_iccid_encode_ef(iccid, ef), ORSP_OK);
		orsp_der_put_tlv(&w, 0x5A, ef, sizeof(ef));
	}
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	ml = w.len;
	sign(f->sk_euicc, meta, ml, sig);
	if (bad_sig)
		sig[20] ^= 1;
	orsp_writer_init(&w, n, sizeof(n));
	m = orsp_der_begin(&w, 0x30);
	orsp_write_bytes(&w, meta, ml);
	orsp_write_bytes(&w, sig, sizeof(sig));
	orsp_write_bytes(&w, f->cert_euicc, f->cert_euicc_len);
	orsp_write_bytes(&w, f->cert_eum, f->cert_eum_len);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	put_b64(req, "pendingNotification", n, w.len);
	return req;
}

/* other_notification_op_req of an enable */
static json_t *other_notification_req(fx *f, unsigned seq, const char *address, const char *iccid,
                                      bool bad_sig)
{
	return other_notification_op_req(f, seq, 0x40, address, iccid, bad_sig);
}

/* other_notification_req sent, answered 204. Returns how it was judged. */
static const char *other_notification_sig(fx *f, unsigned seq, const char *address,
                                          const char *iccid, bool bad_sig)
{
	static char result[64];
	orsp_stmt *st = NULL;
	bool row = false;
	int http;

	assert_null(call(f, "handleNotification",
	                 other_notification_req(f, seq, address, iccid, bad_sig), &http));
	assert_int_equal(http, 204);
	assert_int_equal(orsp_db_prepare(orsp_smdp_db(f->s),
	                                 "SELECT result FROM es9p_notification WHERE seq = ?1",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_bind_int64(st, 1, seq), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	snprintf(result, sizeof(result), "%s", orsp_stmt_column_text(st, 0));
	orsp_stmt_finalize(st);
	return result;
}

static const char *other_notification(fx *f, unsigned seq, const char *address, const char *iccid)
{
	return other_notification_sig(f, seq, address, iccid, false);
}

/* A verified otherSignedNotification is accepted only when it is addressed to this SM-DP+
 * (notificationAddress, compared without case) and names (ICCID) a profile this SM-DP+
 * delivered to that eUICC: one for another SM-DP+ is `other SM-DP+`, with no ICCID
 * `unknown profile`, about a profile delivered to no eUICC `profile not delivered` (all
 * three were `accepted`). */
static void test_other_notification_checks(void **state)
{
	fx *f = *state;
	static dl d;
	size_t n = 9;

	assert_string_equal(other_notification(f, 1, "other.example", NULL), "other SM-DP+");
	assert_string_equal(other_notification(f, 2, FQDN, NULL), "unknown profile");
	assert_string_equal(other_notification(f, 3, FQDN, f->prof.iccid), "profile not delivered");
	/* ordered for this very eUICC, but not delivered yet (it was `accepted`) */
	order(f, EID, "OTHER-1", NULL);
	assert_string_equal(other_notification(f, 4, FQDN, f->prof.iccid), "profile not delivered");
	reinitiate(f, &d);
	authenticate(f, &d, "OTHER-1");
	get_bpp(f, &d, NULL, true);
	assert_string_equal(other_notification(f, 5, "other.example", f->prof.iccid),
	                    "other SM-DP+");
	assert_string_equal(other_notification(f, 6, "", f->prof.iccid), "other SM-DP+");
	assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n), ORSP_OK);
	assert_int_equal(n, 0);
	/* its certificates chain, but the signature is not theirs */
	assert_string_equal(other_notification_sig(f, 8, FQDN, f->prof.iccid, true),
	                    "bad signature");
	assert_string_equal(other_notification(f, 7, "TESTSMDPPLUS1.example.com", f->prof.iccid),
	                    "accepted");
	assert_int_equal(orsp_es9p_notification_count(f->s, f->prof.iccid, "enable", &n), ORSP_OK);
	assert_int_equal(n, 1);
	dl_free(&d);
}

/* other_notification_op_req of a notification addressed to this SM-DP+, sent: 204; whether
 * the reply says its seqNumber was reused. */
static bool other_op(fx *f, unsigned seq, uint8_t op, const char *iccid, bool bad_sig)
{
	int http;

	assert_null(call(f, "handleNotification",
	                 other_notification_op_req(f, seq, op, FQDN, iccid, bad_sig), &http));
	assert_int_equal(http, 204);
	return last_seq_reused;
}

/* How notification seq of event was recorded ("" when it was not). */
static const char *recorded_as(fx *f, unsigned seq, const char *event)
{
	static char result[64];
	orsp_stmt *st = NULL;
	bool row = false;

	assert_int_equal(orsp_db_prepare(orsp_smdp_db(f->s),
	                                 "SELECT result FROM es9p_notification WHERE seq = ?1 AND"
	                                 " event = ?2",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_bind_int64(st, 1, seq), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_text(st, 2, event), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	snprintf(result, sizeof(result), "%s", row ? orsp_stmt_column_text(st, 0) : "");
	orsp_stmt_finalize(st);
	return result;
}

static int64_t reuse_audits(fx *f)
{
	return count_of(f, "SELECT count(*) FROM smdp_audit WHERE action = 'eUICCSequenceReused'");
}

/* The review's rollback: the eUICC signs a delete under seqNumber 40, its storage is put back,
 * and it signs an enable under 40 again. Two verified notifications of one eUICC with one
 * seqNumber and another event or ICCID are proof of a rolled-back or cloned eUICC: audited
 * (eUICCSequenceReused, naming both), the reply flagged for the server's warning and counter,
 * answered 204 as any other; the second is not `accepted`. The same notification sent again is
 * no reuse, nor is a number below one seen (notifications arrive out of order), nor an
 * unverified notification. An installation result under a reused number is applied (its
 * transactionId binds it to its session) and reported too. (Until session 74 both were
 * `accepted` and nothing said; a delete of another ICCID under 40 was silently dropped.) */
static void test_seq_reused(void **state)
{
	fx *f = *state;
	static dl d;
	static const char other_iccid[] = "8900012345678901230";
	uint8_t seq40[] = {40};
	pir_opts o = {.seq = (const char *)seq40, .seq_len = 1};
	char detail[512];
	orsp_stmt *st = NULL;
	bool row = false;
	size_t n = 9;

	order(f, EID, "REUSE-1", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "REUSE-1");
	get_bpp(f, &d, NULL, true);
	assert_false(other_op(f, 40, 0x10, f->prof.iccid, false));
	assert_string_equal(recorded_as(f, 40, "delete"), "accepted");
	/* sent again (its 204 lost): the same notification, no reuse */
	assert_false(other_op(f, 40, 0x10, f->prof.iccid, false));
	assert_int_equal(reuse_audits(f), 0);
	/* below the highest number seen: normal (held back, sent late) */
	assert_false(other_op(f, 39, 0x20, f->prof.iccid, false));
	assert_string_equal(recorded_as(f, 39, "disable"), "accepted");
	/* a copy that fails verification proves nothing */
	assert_false(other_op(f, 40, 0x20, f->prof.iccid, true));
	assert_string_equal(recorded_as(f, 40, "disable"), "bad signature");
	assert_int_equal(reuse_audits(f), 0);

	/* the storage put back: an enable signed under 40 again */
	assert_true(other_op(f, 40, 0x40, f->prof.iccid, false));
	assert_string_equal(recorded_as(f, 40, "enable"), "sequence reused");
	assert_non_null(strstr(last_note, "seqNumber 40 reused: delete of"));
	assert_int_equal(reuse_audits(f), 1);
	assert_int_equal(
	    orsp_db_prepare(orsp_smdp_db(f->s),
	                    "SELECT iccid, from_state, to_state, detail FROM smdp_audit"
	                    " WHERE action = 'eUICCSequenceReused'",
	                    &st),
	    ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	assert_string_equal(orsp_stmt_column_text(st, 0), f->prof.iccid);
	assert_string_equal(orsp_stmt_column_text(st, 1), "downloaded");
	assert_string_equal(orsp_stmt_column_text(st, 2), "downloaded");
	snprintf(detail, sizeof(detail),
	         "eUICC %s signed seqNumber 40 twice: delete of %s (recorded accepted), now enable"
	         " of %s (recorded sequence reused); its state was rolled back, or it was cloned",
	         EID, f->prof.iccid, f->prof.iccid);
	assert_string_equal(orsp_stmt_column_text(st, 3), detail);
	orsp_stmt_finalize(st);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	/* not taken as the eUICC's word */
	assert_int_equal(orsp_es9p_notification_count(f->s, f->prof.iccid, "enable", &n), ORSP_OK);
	assert_int_equal(n, 0);
	/* either one sent again: said once */
	assert_false(other_op(f, 40, 0x40, f->prof.iccid, false));
	assert_false(other_op(f, 40, 0x10, f->prof.iccid, false));
	assert_int_equal(reuse_audits(f), 1);
	assert_string_equal(recorded_as(f, 40, "delete"), "accepted");

	/* the same event under 40, another ICCID: no row of its own (one per EID, number and
	 * event), the audit row says it */
	assert_true(other_op(f, 40, 0x10, other_iccid, false));
	assert_int_equal(reuse_audits(f), 2);
	assert_int_equal(
	    count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                " 'eUICCSequenceReused' AND iccid = '8900012345678901230'"
	                " AND from_state = '' AND detail LIKE '%delete of 8900012345678901230"
	                " (recorded unknown profile)%'"),
	    1);

	/* an installation result under 40: applied, and reported */
	{
		int http;
		assert_null(
		    call(f, "handleNotification", pir_request_with(f, &d, true, false, &o), &http));
		assert_int_equal(http, 204);
	}
	assert_true(last_seq_reused);
	assert_string_equal(recorded_as(f, 40, "install"), "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'eUICCSequenceReused' AND from_state = 'installed'"
	                             " AND detail LIKE '%now install of %(recorded installed)%'"),
	                 1);
	dl_free(&d);
}

/* handleNotification with the n bytes p, which do not parse: 1.2/2.1, nothing recorded (the
 * table empty before and after) */
static void malformed_notification(fx *f, const uint8_t *p, size_t n)
{
	json_t *req = json_object();
	int http;

	put_b64(req, "pendingNotification", p, n);
	expect_fail(call(f, "handleNotification", req, &http), "1.2", "2.1");
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification"), 0);
}

/* A notification's profileManagementOperation is a DER BIT STRING: {07 C0} (install, and
 * enable in a set unused bit) does not parse, 1.2/2.1, nothing recorded (it was recorded as
 * an install); {07 80} parses. */
static void test_notification_event_der(void **state)
{
	fx *f = *state;
	uint8_t n[] = {0x30, 0x52, 0xBF, 0x2F, 0x08, 0x80, 0x02,        0x01, 0x00, 0x81,
	               0x02, 0x07, 0xC0, 0x5F, 0x37, 0x40, [80] = 0x30, 0x00, 0x30, 0x00};
	_Static_assert(sizeof(n) == 2 + 0x52, "the notification's length");

	malformed_notification(f, n, sizeof(n));
	refused_notification(f, 0x100); /* the same bytes with 81 02 07 80 */
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE event ="
	                             " 'install' AND result = 'certificate refused'"),
	                 1);
}

/* A seqNumber past INT64_MAX does not fit the record's key: 1.2/2.1, nothing recorded (it
 * was kept without its top bit, so 2^63 + 5 was taken for a repeat of 5); INT64_MAX itself is
 * recorded as it is. */
static void test_notification_seq_range(void **state)
{
	fx *f = *state;
	/* 80 09 00 80 00 00 00 00 00 00 05: 2^63 + 5, minimal DER */
	uint8_t n[] = {0x30, 0x59, 0xBF, 0x2F, 0x0F, 0x80,        0x09, 0x00, 0x80,
	               0x00, 0x00, 0x00, 0x00, 0x00, 0x00,        0x05, 0x81, 0x02,
	               0x07, 0x80, 0x5F, 0x37, 0x40, [87] = 0x30, 0x00, 0x30, 0x00};
	json_t *req;
	int http;
	_Static_assert(sizeof(n) == 2 + 0x59, "the notification's length");

	malformed_notification(f, n, sizeof(n));
	/* 80 08 7F FF FF FF FF FF FF FF: INT64_MAX */
	memmove(n + 7, n + 8, sizeof(n) - 8);
	n[1] = 0x58;
	n[4] = 0x0E;
	n[6] = 0x08;
	memset(n + 7, 0xFF, 8);
	n[7] = 0x7F;
	req = json_object();
	put_b64(req, "pendingNotification", n, sizeof(n) - 1);
	assert_null(call(f, "handleNotification", req, &http));
	assert_int_equal(http, 204);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification"
	                             " WHERE seq = 9223372036854775807"),
	                 1);
}

/* An ES9+ refusal (8.x) may describe what another process committed and has not flushed
 * (the race review of session 78: authenticateClient refused 8.2.6/3.8 for an order whose
 * cancelOrder another server had committed, 3 s before that cancel was durable): it is
 * flushed before it is said, so a flush failing then is a 500, not the refusal; a malformed
 * request (1.2) and initiateAuthentication's refusals are answered without a flush. */
static void test_es9p_refusal_flushed(void **state)
{
	fx *f = *state;
	static dl d;
	auth_opts o = {.mid = "NO-SUCH-ORDER"};
	json_t *bad = json_object();
	int http;

	memset(&d, 0, sizeof(d));
	order(f, EID, "FLUSHED-1", NULL);
	reinitiate(f, &d);
	orsp_db_inject_sync_failure(orsp_smdp_db(f->s));
	json_object_set_new(bad, "transactionId", json_integer(1));
	expect_fail(call(f, "authenticateClient", bad, &http), "1.2", "2.1");
	assert_false(orsp_db_flush_failed(orsp_smdp_db(f->s)));
	/* initiateAuthentication's refusals judge the request and the configuration only:
	 * anyone can send them, and none is flushed (the diff review of session 78) */
	expect_fail(call(f, "initiateAuthentication",
	                 info1_request(f, &d, "other.example.com", NULL, 0), &http),
	            "8.8.1", "3.8");
	assert_false(orsp_db_flush_failed(orsp_smdp_db(f->s)));
	call_internal_error(f, "authenticateClient", auth_request(f, &d, &o));
	assert_true(orsp_db_flush_failed(orsp_smdp_db(f->s)));
	dl_free(&d);
}

/* es9p_handler.c's prune term (the partial index's) */
#define UNVERIFIED_RESULT ES9P_UNVERIFIED_RESULT("result")
#define UNVERIFIED_COUNT "SELECT count(*) FROM es9p_notification WHERE " UNVERIFIED_RESULT
#define UNVERIFIED_COUNTED "SELECT n FROM es9p_unverified_count"

/* Anyone can send notifications that fail verification, each with a new sequence number:
 * the newest max_unverified_notifications are kept (pruned every 32nd), verified records are
 * never pruned, and with ORSP_SMDP_KEEP_NO_UNVERIFIED none is recorded. */
static void test_unverified_bounded(void **state)
{
	fx *f = *state;
	static dl d;
	const char *unv =
	    "SELECT count(*) FROM es9p_notification WHERE result = 'certificate refused'";
	int64_t n;
	int http;

	/* a verified record first */
	order(f, EID, "UNV-1", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "UNV-1");
	get_bpp(f, &d, NULL, true);
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification"), 1);

	f->svc.max_unverified_notifications = 5;
	for (unsigned i = 1; i <= 200; i++) {
		refused_notification(f, 1000 + i);
		assert_true(count_of(f, unv) <= 5 + 31);
	}
	/* the newest are kept, without a gap (the counter that times the pruning is the
	 * process's, so how many came after the last one depends on the tests before) */
	n = count_of(f, unv);
	assert_true(n >= 5);
	assert_int_equal(count_of(f, "SELECT min(seq) FROM es9p_notification"
	                             " WHERE result = 'certificate refused'"),
	                 1000 + 200 - n + 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'installed'"),
	                 1);
	/* the prune goes by the number es9p migration 14's triggers keep: counted up and down
	 * with the rows, and when a verified notification takes a forged copy's place */
	n = count_of(f, UNVERIFIED_COUNT);
	assert_int_equal(count_of(f, UNVERIFIED_COUNTED), n);
	assert_false(other_op(f, 7000, 0x20, f->prof.iccid, true));
	assert_int_equal(count_of(f, UNVERIFIED_COUNT), n + 1);
	assert_int_equal(count_of(f, UNVERIFIED_COUNTED), n + 1);
	assert_false(other_op(f, 7000, 0x20, f->prof.iccid, false));
	assert_int_equal(count_of(f, UNVERIFIED_COUNT), n);
	assert_int_equal(count_of(f, UNVERIFIED_COUNTED), n);
	/* a limit below the number kept: the next prune deletes the oldest down to it */
	f->svc.max_unverified_notifications = 2;
	for (unsigned i = 1; i <= 32; i++)
		refused_notification(f, 8000 + i);
	assert_true(count_of(f, UNVERIFIED_COUNT) <= 2 + 31);
	assert_int_equal(count_of(f, UNVERIFIED_COUNTED), count_of(f, UNVERIFIED_COUNT));
	assert_int_equal(
	    count_of(f, "SELECT min(seq) FROM es9p_notification WHERE " UNVERIFIED_RESULT),
	    8000 + 32 - count_of(f, UNVERIFIED_COUNT) + 1);
	/* the partial index names the results one by one (es9p migration 10), and the prune's
	 * search goes through it, the deletion by id */
	assert_int_equal(count_of(f, "SELECT count(*) FROM sqlite_master WHERE name ="
	                             " 'es9p_notification_unverified' AND instr(sql, ' IN ') = 0"
	                             " AND instr(sql, 'result = ''wrong smdpOid''') > 0"),
	                 1);
	{
		orsp_stmt *st = NULL;
		bool row = false;
		int indexed = 0;
		int scans = 0;
		assert_int_equal(orsp_db_prepare(orsp_smdp_db(f->s),
		                                 "EXPLAIN QUERY PLAN " ES9P_SQL_PRUNE_UNVERIFIED,
		                                 &st),
		                 ORSP_OK);
		while (orsp_stmt_step(st, &row) == ORSP_OK && row) {
			const char *plan = orsp_stmt_column_text(st, 3);
			indexed += strstr(plan, "es9p_notification_unverified") != NULL;
			scans += strcmp(plan, "SCAN es9p_notification") == 0;
		}
		orsp_stmt_finalize(st);
		assert_int_equal(indexed, 1);
		assert_int_equal(scans, 0);
	}
	/* none kept */
	f->svc.max_unverified_notifications = ORSP_SMDP_KEEP_NO_UNVERIFIED;
	n = count_of(f, "SELECT count(*) FROM es9p_notification");
	for (unsigned i = 1; i <= 40; i++)
		refused_notification(f, 5000 + i);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification"), n);
	f->svc.max_unverified_notifications = 0;
	dl_free(&d);
}

/* An eUICC minted under the SGP.26 EUM with this EID: its certificate and key. */
static void other_euicc(const char *eid, uint8_t **der, size_t *len, orsp_ec_key **key)
{
	EVP_PKEY *eum_key = certmint_key_load("sgp26/EUM/SK_EUM_ECDSA_NIST.pem");
	X509 *eum = certmint_cert_load("sgp26/EUM/CERT_EUM_ECDSA_NIST.der");
	EVP_PKEY *k = certmint_key_new("prime256v1");
	certmint_spec s = {0};
	char subject[128];
	X509 *x;

	*key = orsp_key_of(k);
	snprintf(subject, sizeof(subject), "/C=ES/O=RSP Test EUM/serialNumber=%s/CN=Test eUICC",
	         eid);
	s.subject = subject;
	s.policy = "2.23.146.1.2.1.1";
	s.key_usage = "critical,digitalSignature";
	x = certmint_issue(&s, k, eum, eum_key);
	*der = certmint_der(x, len);
	X509_free(x);
	X509_free(eum);
	EVP_PKEY_free(eum_key);
	EVP_PKEY_free(k);
}

/* authenticateClient as the eUICC with this certificate and key. */
static void authenticate_as(fx *f, dl *d, const char *mid, const uint8_t *der, size_t len,
                            orsp_ec_key *key)
{
	int http;
	auth_opts o = {.mid = mid, .cert = der, .cert_len = len, .key = key};
	json_t *rsp = call(f, "authenticateClient", auth_request(f, d, &o), &http);
	expect_ok(rsp);
	assert_int_equal(get_b64(rsp, "smdpSignature2", d->sig2_smdp, sizeof(d->sig2_smdp)), 67);
	json_decref(rsp);
}

/* An order without an EID whose activation code two eUICCs use: both may authenticate while
 * the profile is Released, but the first to get a Bound Profile Package has it. The profile
 * is bound to that EID at delivery: the other eUICC's getBoundProfilePackage is refused
 * (8.2/3.7 "BPP is not available for a new binding", getBoundProfilePackage's code in SGP.22
 * §5.6.2 and lpac's table; it was 8.2/1.2, authenticateClient's "Profile has not yet been
 * released"; its session ended, nothing counted) and its cancelSession (end user rejection)
 * leaves the profile alone; the first eUICC's new binding and installation still work. */
static void test_two_euiccs_one_order(void **state)
{
	fx *f = *state;
	static dl a, b, b2;
	int http;
	orsp_ec_key *kb = NULL, *ka = f->sk_euicc;
	uint8_t *der;
	size_t len, n = 0;
	orsp_smdp_profile p;
	json_t *rsp;

	other_euicc("89049032123451234512345678909965", &der, &len, &kb);
	order(f, NULL, "TWO-1", NULL);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	memset(&b2, 0, sizeof(b2));
	initiate(f, &a);
	authenticate(f, &a, "TWO-1");
	initiate(f, &b);
	authenticate_as(f, &b, "TWO-1", der, len, kb);
	initiate(f, &b2);
	authenticate_as(f, &b2, "TWO-1", der, len, kb);
	get_bpp(f, &a, NULL, true);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_DOWNLOADED);
	assert_string_equal(p.eid, EID);
	/* the other eUICC, signing with its own key */
	f->sk_euicc = kb;
	cancel_ok(f, &b, 0);
	expect_fail_msg(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b2, NULL, true, false), &http),
	    "8.2", "3.7", "delivered to another eUICC");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b2, NULL, true, false), &http),
	    "8.10.1", "3.9");
	f->sk_euicc = ka;
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(p.download_attempts, 1);
	/* the first eUICC's new binding is a retry of its own, and it installs */
	get_bpp(f, &a, NULL, true);
	check_bpp(f, &a);
	rsp = call(f, "handleNotification", pir_request(f, &a, true, false), &http);
	assert_null(rsp);
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(orsp_es9p_notification_count(f->s, f->prof.iccid, "install", &n), ORSP_OK);
	assert_int_equal(n, 1);
	dl_free(&a);
	dl_free(&b);
	dl_free(&b2);
	free(der);
	orsp_ec_free(kb);
}

/* An eUICC certificate whose EID is inside its EUM's range but fails its check digits (mod 97
 * is 30, not 1; no EUM issues it): refused at authenticateClient as an EID outside the range
 * is (8.1.3/6.1), nothing written. It was accepted for an order without an EID, and every
 * getBoundProfilePackage was then a 500 (orsp_smdp_deliver refuses such an EID). */
static void test_eid_check_digits(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	orsp_ec_key *k = NULL;
	uint8_t *der;
	size_t len;
	auth_opts o;

	other_euicc("89049032123451234512345678909994", &der, &len, &k);
	order(f, NULL, "CHECK-1", NULL);
	reinitiate(f, &d);
	o = (auth_opts){.mid = "CHECK-1", .cert = der, .cert_len = len, .key = k};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.1.3",
	                "6.1", "check digits");
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 0);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	dl_free(&d);
	free(der);
	orsp_ec_free(k);
}

/* Sessions of an order that the operator cancelled and placed again (a new matching ID):
 * the cancel ended them, so getBoundProfilePackage and cancelSession are refused as for an
 * ended session (8.10.1/3.9) and leave the new order alone. */
static void test_reordered_profile(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;
	orsp_smdp_profile p;

	order(f, NULL, "OLD-1", NULL);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	initiate(f, &a);
	authenticate(f, &a, "OLD-1");
	initiate(f, &b);
	authenticate(f, &b, "OLD-1");
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, "OLD-1", true), ORSP_OK);
	order(f, NULL, "NEW-1", NULL);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &a, NULL, true, false), &http),
	    "8.10.1", "3.9");
	expect_fail(call(f, "cancelSession", cancel_request(f, &b, 0, OID, false), &http), "8.10.1",
	            "3.9");
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);
	assert_string_equal(p.matching_id, "NEW-1");
	assert_int_equal(p.download_attempts, 0);
	/* the new order downloads */
	reinitiate(f, &a);
	authenticate(f, &a, "NEW-1");
	get_bpp(f, &a, NULL, true);
	check_bpp(f, &a);
	dl_free(&a);
	dl_free(&b);
}

/* An installation result sent long after the session began (the LPA keeps it until it can
 * send it) still installs the profile: nothing else would take it out of Downloaded. */
static void test_late_pir(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order(f, EID, "LATE-1", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "LATE-1");
	get_bpp(f, &d, NULL, true);
	orsp_smdp_set_clock(f->s, time(NULL) + 7 * 86400);
	/* the session is over for everything else */
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.10.1", "3.9");
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&d);
}

/* The confirmation code is the order's as it is now: a session of an order without one,
 * cancelled and placed again under the same matching ID with a code, ended with the cancel
 * (8.10.1/3.9, with or without the code); a new session must give the code; a new binding
 * after delivery in a session that gave it does not ask again. */
static void test_cc_of_current_order(void **state)
{
	fx *f = *state;
	static dl a;
	int http;

	order(f, NULL, "SAME-1", NULL);
	reinitiate(f, &a);
	authenticate(f, &a, "SAME-1");
	assert_false(a.cc_required);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, "SAME-1", true),
	                 ORSP_OK);
	order(f, NULL, "SAME-1", "1234");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &a, "1234", true, false), &http),
	    "8.10.1", "3.9");
	reinitiate(f, &a);
	authenticate(f, &a, "SAME-1");
	assert_true(a.cc_required);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &a, NULL, true, false), &http),
	    "8.2.7", "2.2");
	get_bpp(f, &a, "1234", true);
	check_bpp(f, &a);
	/* a new one-time key: a new binding, without the code again */
	get_bpp(f, &a, NULL, true);
	check_bpp(f, &a);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	dl_free(&a);
}

/* Two sessions of one eUICC both got a package (an LPA that started over): a success decides
 * (a failure does not while the other's package is out: test_parallel_failure_keeps_other);
 * the other result is recorded, answered 204, and ends its session. */
static void test_second_pir(void **state)
{
	fx *f = *state;
	static dl a1, a2;
	int http;

	order(f, EID, "TWICE-1", NULL);
	memset(&a1, 0, sizeof(a1));
	memset(&a2, 0, sizeof(a2));
	initiate(f, &a1);
	authenticate(f, &a1, "TWICE-1");
	initiate(f, &a2);
	authenticate(f, &a2, "TWICE-1");
	get_bpp(f, &a1, NULL, true);
	get_bpp(f, &a2, NULL, true);
	assert_null(call(f, "handleNotification", pir_request(f, &a1, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_null(call(f, "handleNotification", pir_request(f, &a2, false, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'profile not downloaded'"),
	                 1);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &a2, NULL, true, false), &http),
	    "8.10.1", "3.9");
	dl_free(&a1);
	dl_free(&a2);
}

/* Two sessions of one eUICC both got a package; A's result installs the profile. B's
 * getBoundProfilePackage sent again with its same one-time key is no longer answered with
 * its package (it was, for the session's TTL, until session 56): the order is over, 8.2/3.7
 * as for a new key, and the session ends. */
static void test_same_key_after_installed(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;

	order(f, EID, "SK-INST-1", NULL);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	initiate(f, &a);
	authenticate(f, &a, "SK-INST-1");
	initiate(f, &b);
	authenticate(f, &b, "SK-INST-1");
	get_bpp(f, &a, NULL, true);
	get_bpp(f, &b, NULL, true);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, NULL, false, false), &http),
	    "8.2", "3.7");
	/* the session ended with it */
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, NULL, false, false), &http),
	    "8.10.1", "3.9");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* An installation result of a session whose order has ended changes no state: eUICC 1's
 * sessions A and B both get a package, A cancels (postponed; B's package is still out, so
 * the order stays Downloaded). The operator may not cancel the delivered order to Available
 * (refused, nothing changes), and cancels it to Unavailable; eUICC 1's signed result for B
 * (failed, then installed), whose session the cancel ended, leaves the profile Unavailable:
 * the failure is reported to the operator once (`installation failed, order cancelled`,
 * result_after_cancel), the success after it is B's second word, not reported (it was
 * `session ended`, unreported, until session 75). */
static void test_pir_of_ended_order(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;

	order(f, NULL, "ENDED-ORDER-1", NULL);
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	initiate(f, &a);
	authenticate(f, &a, "ENDED-ORDER-1");
	initiate(f, &b);
	authenticate(f, &b, "ENDED-ORDER-1");
	get_bpp(f, &a, NULL, true);
	get_bpp(f, &b, NULL, true);
	cancel_ok(f, &a, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, "ENDED-ORDER-1", true),
	                 ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "only make it Unavailable"));
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, "ENDED-ORDER-1", false),
	                 ORSP_OK);
	for (int i = 0; i < 2; i++) {
		assert_null(
		    call(f, "handleNotification", pir_request(f, &b, i == 1, false), &http));
		assert_int_equal(http, 204);
		assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	}
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'installation failed, order cancelled'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"), 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"
	                             " AND success = 0"),
	                 1);
	dl_free(&a);
	dl_free(&b);
}

/* The operator cancels an order delivered with no installation result (ES2+ cancelOrder from
 * Downloaded): to Available it is refused and changes nothing (that eUICC may hold the
 * profile, which would be handed to another); to Unavailable the cancel ends the delivered
 * session: its new binding is refused as for an ended session (8.10.1/3.9), nothing counted,
 * and its installation result leaves the profile Unavailable (`installed, order cancelled`:
 * test_result_after_cancel). */
static void test_cancel_order_downloaded(void **state)
{
	fx *f = *state;
	static dl a;
	int http;
	orsp_smdp_profile p;

	download_all(f, &a, "CANCEL-DL-1");
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "CANCEL-DL-1", true),
	                 ORSP_E_STATE);
	assert_int_equal(kept_keys(f), 1);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_DOWNLOADED);
	assert_string_equal(p.eid, EID);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, NULL, false), ORSP_OK);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &a, NULL, true, false), &http),
	    "8.10.1", "3.9");
	pir_judged(f, &a, true, "installed, order cancelled");
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(p.download_attempts, 1);
	dl_free(&a);
}

/* The installation result of a session whose order the operator cancelled after its
 * delivery (Downloaded → Unavailable): the profile stays Unavailable, but the operator, who
 * last heard the package was delivered, learns that the eUICC holds the profile: an audit
 * row pir(success,cancelled) naming the EID, and the report of point 4 (Executed-Success,
 * the result as sent) that a Downloaded profile's result makes. Once: the same result sent
 * again queues nothing more. An eUICC's "no session of this transactionId" before it says
 * nothing of the package and is not reported. Until session 75 all of it was `session
 * ended`, neither audited nor reported. */
static void test_result_after_cancel(void **state)
{
	fx *f = *state;
	static dl a;
	static const pir_opts no_session = {.no_session = true};
	json_t *req;
	char sql[1400];
	int http;

	download_all(f, &a, "LATE-PIR-1");
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "LATE-PIR-1", false),
	                 ORSP_OK);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"), 0);
	assert_null(call(f, "handleNotification",
	                 pir_request_with(f, &a, false, false, &no_session), &http));
	assert_int_equal(http, 204);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'no session on the eUICC'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"), 0);
	req = pir_request(f, &a, true, false);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM smdp_progress WHERE point_id = 4 AND success = 1"
	         " AND eid = '%s' AND result_data = '%s'",
	         EID, json_string_value(json_object_get(req, "pendingNotification")));
	for (int i = 0; i < 2; i++) {
		assert_null(call(f, "handleNotification", json_incref(req), &http));
		assert_int_equal(http, 204);
		/* the server's warning line: the first time only */
		assert_int_equal(last_after_cancel, i == 0);
		if (i == 0 && (!strstr(last_note, f->prof.iccid) || !strstr(last_note, EID) ||
		               !strstr(last_note, "installed")))
			fail_msg("the note does not name the profile and eUICC: %s", last_note);
		assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
		assert_int_equal(count_of(f, sql), 1);
		assert_int_equal(
		    count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"), 1);
		assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
		                             " 'pir(success,cancelled)' AND from_state ="
		                             " 'unavailable' AND to_state = 'unavailable'"
		                             " AND detail LIKE '%" EID "%cancelOrder%'"),
		                 1);
	}
	json_decref(req);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'installed, order cancelled'"),
	                 1);
	dl_free(&a);
}

/* The same for a failed installation (errorReason 9): reported Failed with the codes the
 * failure has for a Downloaded profile (8.2.1/3.3), audited pir(failure,cancelled); the
 * profile stays Unavailable. */
static void test_failure_after_cancel(void **state)
{
	fx *f = *state;
	static dl a;

	download_all(f, &a, "LATE-PIR-2");
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "LATE-PIR-2", false),
	                 ORSP_OK);
	pir_judged(f, &a, false, "installation failed, order cancelled");
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"
	                             " AND success = 0 AND subject_code = '8.2.1'"
	                             " AND reason_code = '3.3' AND detail LIKE"
	                             " 'profile installation failed: errorReason 9 %cancelOrder%'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'pir(failure,cancelled)'"),
	                 1);
	dl_free(&a);
}

/* Without reports (no callback_url) the result after the cancel is audited all the same,
 * and nothing is queued. */
static void test_result_after_cancel_no_reports(void **state)
{
	fx *f = *state;
	static dl a;

	orsp_smdp_set_progress(f->s, false);
	download_all(f, &a, "LATE-PIR-3");
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "LATE-PIR-3", false),
	                 ORSP_OK);
	pir_judged(f, &a, true, "installed, order cancelled");
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'pir(success,cancelled)'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress"), 0);
	orsp_smdp_set_progress(f->s, true);
	dl_free(&a);
}

/* cancelOrder ends every live session of the profile in its transaction, with its one-time
 * key: a session authenticated for a Released order, cancelled and placed again under its
 * matching ID, cannot bind; a delivered session's getBoundProfilePackage sent again with the
 * same one-time key (which otherwise gets the same package again) is refused 8.10.1/3.9 once
 * the order is cancelled. */
static void test_cancel_order_ends_sessions(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;

	/* a session of a Released order, cancelled and placed again under its matching ID */
	authenticated_session(f, &b, "CANCEL-END-3", NULL, 0);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "CANCEL-END-3", true),
	                 ORSP_OK);
	order(f, EID, "CANCEL-END-3", NULL);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, NULL, true, false), &http),
	    "8.10.1", "3.9");
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(download_attempts_of(f), 0);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, NULL, true), ORSP_OK);
	/* a delivered session */
	download_all(f, &a, "CANCEL-END-1");
	assert_int_equal(kept_keys(f), 1);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "CANCEL-END-1", false),
	                 ORSP_OK);
	assert_int_equal(step_of(f, &a), 4);
	assert_int_equal(kept_keys(f), 0);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &a, NULL, false, false), &http),
	    "8.10.1", "3.9");
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(download_attempts_of(f), 1);
	dl_free(&a);
	dl_free(&b);
}

/* A cancel to Available of a delivered order is refused and leaves everything as it was:
 * the delivered session's cancelSession (postponed) still reopens the order, and once
 * reopened (Released again, the delivery counted) the cancel to Available is still refused;
 * the eUICC's retry downloads and its result installs. */
static void test_cancel_available_after_delivery(void **state)
{
	fx *f = *state;
	static dl a, b;

	download_all(f, &a, "CANCEL-SAME-1");
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "CANCEL-SAME-1", true),
	                 ORSP_E_STATE);
	cancel_ok(f, &a, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(download_attempts_of(f), 1);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "CANCEL-SAME-1", true),
	                 ORSP_E_STATE);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	reinitiate(f, &b);
	authenticate(f, &b, "CANCEL-SAME-1");
	get_bpp(f, &b, NULL, true);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	pir_judged(f, &b, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* cancelSession (end user rejection) under a failure at each store operation in turn: a
 * failed call (500) leaves both the session and the order as they were, so the LPA's retry
 * still ends them; the first call that succeeds does both. */
static void test_cancel_failure_injection(void **state)
{
	fx *f = *state;
	static dl d;
	int failed = 0, http;
	bool done = false;

	memset(&d, 0, sizeof(d));
	order(f, EID, "CANCEL-INJ", NULL);
	initiate(f, &d);
	authenticate(f, &d, "CANCEL-INJ");
	for (int k = 0; k < 40 && !done; k++) {
		json_t *req = cancel_request(f, &d, 0, OID, false);
		char *body = json_dumps(req, JSON_COMPACT);
		orsp_smdp_reply rep;
		orsp_err e;
		json_decref(req);
		orsp_db_inject_failure(orsp_smdp_db(f->s), k);
		e = orsp_es9p_handle(&f->svc, f->s, "cancelSession", (const uint8_t *)body,
		                     strlen(body), &rep);
		orsp_db_inject_failure(orsp_smdp_db(f->s), -1);
		free(body);
		if (e != ORSP_OK) {
			assert_int_equal(rep.http_status, 500);
			assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
			failed++;
		} else {
			assert_int_equal(rep.http_status, 200);
			if (!strstr(rep.body, "Executed-Success"))
				fail_msg("k=%d: %s", k, rep.body);
			done = true;
		}
		orsp_smdp_reply_free(&rep);
	}
	assert_true(done);
	assert_true(failed >= 3);
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	/* the session is over */
	expect_fail(call(f, "cancelSession", cancel_request(f, &d, 0, OID, false), &http), "8.10.1",
	            "3.9");
	dl_free(&d);
}

/* A request of d's session carrying an unsigned error answer: `field` holds tag { A1 { 80
 * tid, 02 01, then ext_len bytes ext } }, tid n bytes; n = 0: tag { A1 { } } */
static json_t *error_request_ext(dl *d, uint32_t tag, const char *field, const uint8_t *tid,
                                 size_t n, const uint8_t *ext, size_t ext_len)
{
	uint8_t der[64];
	orsp_writer w;
	orsp_der_mark m, e;
	json_t *req = json_object();

	orsp_writer_init(&w, der, sizeof(der));
	m = orsp_der_begin(&w, tag);
	e = orsp_der_begin(&w, 0xA1);
	if (n) {
		orsp_der_put_tlv(&w, 0x80, tid, n);
		orsp_der_put_uint(&w, 0x02, 1);
		if (ext)
			orsp_write_bytes(&w, ext, ext_len);
	}
	orsp_der_end(&w, e);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(orsp_json_put_string(req, "transactionId", d->tid_hex), ORSP_OK);
	put_b64(req, field, der, w.len);
	return req;
}

static json_t *error_request_for(dl *d, uint32_t tag, const char *field, const uint8_t *tid,
                                 size_t n)
{
	return error_request_ext(d, tag, field, tid, n, NULL, 0);
}

/* The eUICC's unsigned error answer (PrepareDownloadResponseError, AuthenticateResponseError)
 * for d's session: tag { A1 { 80 tid, 02 01 } }. */
static json_t *error_request(dl *d, uint32_t tag, const char *field)
{
	return error_request_for(d, tag, field, d->tid, d->tid_len);
}

/* An error answer must be the eUICC's form and name the session: one naming another
 * transactionId is 8.1/6.1 and one without contents 1.2/2.1, and neither ends the session
 * (either ended it before delivery); a hashCc that is not 32 bytes is 1.2/2.1, not taken for
 * no code (it was skipped). */
static void test_error_answers_checked(void **state)
{
	fx *f = *state;
	static dl d;
	uint8_t other[16];
	gbpp_opts o = {.cc_len = 31};
	int http;

	order(f, EID, "ERRC-1", NULL);
	reinitiate(f, &d);
	memcpy(other, d.tid, d.tid_len);
	other[0] ^= 1;
	expect_fail(
	    call(f, "authenticateClient",
	         error_request_for(&d, 0xBF38, "authenticateServerResponse", other, d.tid_len),
	         &http),
	    "8.1", "6.1");
	expect_fail(call(f, "authenticateClient",
	                 error_request_for(&d, 0xBF38, "authenticateServerResponse", NULL, 0),
	                 &http),
	            "1.2", "2.1");
	authenticate(f, &d, "ERRC-1");
	expect_fail(call(f, "getBoundProfilePackage",
	                 error_request_for(&d, 0xBF21, "prepareDownloadResponse", other, d.tid_len),
	                 &http),
	            "8.1", "6.1");
	expect_fail(call(f, "getBoundProfilePackage",
	                 error_request_for(&d, 0xBF21, "prepareDownloadResponse", NULL, 0), &http),
	            "1.2", "2.1");
	expect_fail(call(f, "getBoundProfilePackage",
	                 gbpp_request_with(f, &d, "1234", true, false, &o), &http),
	            "1.2", "2.1");
	/* the session goes on */
	get_bpp(f, &d, NULL, true);
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&d);
}

/* After delivery, an unsigned PrepareDownloadResponseError (an LPA's retry, or anyone with
 * the transactionId) is answered but ends nothing: the eUICC's installation result still
 * installs the profile. Before delivery it ends the session. */
static void test_download_error_after_delivery(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order(f, EID, "ERR-1", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "ERR-1");
	get_bpp(f, &d, NULL, true);
	expect_fail(call(f, "getBoundProfilePackage",
	                 error_request(&d, 0xBF21, "prepareDownloadResponse"), &http),
	            "8.1", "4.2");
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&d);
}

/* cancelSession with postponed after this session's delivery: the eUICC dropped the package,
 * so the profile is Released again and downloads with the same activation code (the
 * delivery counted against the limit). timeout before delivery leaves it Released. */
static void test_postponed_after_delivery(void **state)
{
	fx *f = *state;
	static dl d;
	orsp_smdp_profile p;

	order(f, EID, "POSTPONE-1", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "POSTPONE-1");
	cancel_ok(f, &d, 2);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	reinitiate(f, &d);
	authenticate(f, &d, "POSTPONE-1");
	get_bpp(f, &d, NULL, true);
	cancel_ok(f, &d, 1);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);
	assert_int_equal(p.download_attempts, 1);
	reinitiate(f, &d);
	authenticate(f, &d, "POSTPONE-1");
	get_bpp(f, &d, NULL, true);
	check_bpp(f, &d);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(p.download_attempts, 2);
	dl_free(&d);
}

/* cancelSession of a delivered session is taken at any age, as its installation result is:
 * (an LPA may send it long after the session began, and nothing else takes the profile out of
 * Downloaded); before delivery the session TTL still applies. */
static void test_cancel_after_ttl(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	orsp_smdp_profile p;

	order(f, EID, "CANCEL-TTL", NULL);
	/* not delivered: over with the TTL */
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-TTL");
	orsp_smdp_set_clock(f->s, time(NULL) + 601);
	expect_fail(call(f, "cancelSession", cancel_request(f, &d, 1, OID, false), &http), "8.10.1",
	            "3.9");
	orsp_smdp_set_clock(f->s, 0);
	/* delivered: postponed a week later makes the profile downloadable again */
	reinitiate(f, &d);
	authenticate(f, &d, "CANCEL-TTL");
	get_bpp(f, &d, NULL, true);
	orsp_smdp_set_clock(f->s, time(NULL) + 7 * 86400);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.10.1", "3.9");
	cancel_ok(f, &d, 1);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);
	expect_fail(call(f, "cancelSession", cancel_request(f, &d, 1, OID, false), &http), "8.10.1",
	            "3.9");
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&d);
}

/* ---------------------------------------------------------------- retry across sessions - */

/* The order mid for the eUICC with confirmation code cc (or none) and download limit limit
 * (0: the default); session a delivered (its answer lost), then the eUICC's retry b
 * authenticated; b delivers too when deliver. */
static void retried(fx *f, dl *a, dl *b, const char *mid, const char *cc, unsigned limit,
                    bool deliver)
{
	authenticated_session(f, a, mid, cc, limit);
	get_bpp(f, a, cc, true);
	reinitiate(f, b);
	authenticate(f, b, mid);
	if (deliver)
		get_bpp(f, b, cc, true);
}

/* The reviewer's case: the getBoundProfilePackage answer of session A never reached the
 * device (network loss, the LPA crashed), the profile stays Downloaded. The LPA starts over
 * with the same activation code: session B of the same eUICC is a retry (it was 8.2/1.2 and
 * the profile stuck for good). A's session ends with it: its new binding and its cancel are
 * 8.10.1/3.9 and its one-time key is gone. B binds anew (a new package the eUICC decrypts to
 * the profile, counted as a download) and installs; then the profile is installed once: a
 * third session is refused 8.2/1.2 and A's late success changes nothing. */
static void test_retry_across_sessions(void **state)
{
	fx *f = *state;
	static dl a, b, c;
	int http;
	orsp_smdp_profile p;

	retried(f, &a, &b, "RETRY-X-1", NULL, 0, false); /* A's answer is lost */
	assert_int_equal(step_of(f, &a), 5);
	assert_int_equal(kept_keys(f), 0);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &a, NULL, true, false), &http),
	    "8.10.1", "3.9");
	expect_fail(call(f, "cancelSession", cancel_request(f, &a, 1, OID, false), &http), "8.10.1",
	            "3.9");
	get_bpp(f, &b, NULL, true);
	check_bpp(f, &b);
	assert_true(memcmp(a.bpp, b.bpp, 256) != 0);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_DOWNLOADED);
	assert_int_equal(p.download_attempts, 2);
	assert_int_equal(new_bindings(f), 1);
	pir_judged(f, &b, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	auth_refused(f, &c, "RETRY-X-1", "8.2", "1.2");
	pir_judged(f, &a, true, "profile not downloaded");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'pir(success)'"),
	                 1);
	dl_free(&a);
	dl_free(&b);
	dl_free(&c);
}

/* The same in the default SM-DP+ case (no matching ID): the eUICC's Downloaded order is found
 * when it has no Released one, and a Released one goes first. */
static void test_retry_default_smdp(void **state)
{
	fx *f = *state;
	static dl a, b;

	order(f, EID, NULL, NULL);
	reinitiate(f, &a);
	authenticate(f, &a, NULL);
	get_bpp(f, &a, NULL, true);
	reinitiate(f, &b);
	authenticate(f, &b, NULL);
	assert_int_equal(step_of(f, &a), 5);
	get_bpp(f, &b, NULL, true);
	check_bpp(f, &b);
	pir_judged(f, &b, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* A retry is the eUICC's own: another eUICC with the activation code of an order delivered
 * (bound at delivery to the first one) is refused as before, 8.1.1/3.8 by matching ID, and in
 * the default SM-DP+ case has no order (8.1.1/3.8 as well); the delivered session lives on. */
static void test_retry_other_eid(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;
	uint8_t *der;
	size_t len;
	orsp_ec_key *k2 = NULL, *k1 = f->sk_euicc;
	auth_opts o = {.mid = "RETRY-X-2"};

	other_euicc("89049032123451234512345678909965", &der, &len, &k2);
	order(f, NULL, "RETRY-X-2", NULL);
	reinitiate(f, &a);
	authenticate(f, &a, "RETRY-X-2");
	get_bpp(f, &a, NULL, true);
	f->sk_euicc = k2;
	o.cert = der;
	o.cert_len = len;
	o.key = k2;
	reinitiate(f, &b);
	expect_fail(call(f, "authenticateClient", auth_request(f, &b, &o), &http), "8.1.1", "3.8");
	o.mid = NULL;
	reinitiate(f, &b);
	expect_fail(call(f, "authenticateClient", auth_request(f, &b, &o), &http), "8.1.1", "3.8");
	f->sk_euicc = k1;
	assert_int_equal(step_of(f, &a), 3);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 1);
	get_bpp(f, &a, NULL, false);
	dl_free(&a);
	dl_free(&b);
	free(der);
	orsp_ec_free(k2);
}

/* Retries count against the order's download limit: with limit 2, A's delivery and retry B's
 * new binding use it up; retry C is refused at authenticateClient, 8.8.5/6.4 (maximum number
 * of retries exceeded): C bound nothing, and B's package may be installed, so the profile
 * stays Downloaded, and B's success makes it Installed. The first refusal is told to the
 * operator (one audit row, one report of point 1, 8.8.5/6.4, naming the EID), marked by a
 * finished session row; two more refusals write nothing (until session 79 none was told: an
 * order whose package was lost before its installation began waited unnoticed). */
static void test_retry_limit(void **state)
{
	fx *f = *state;
	static dl a, b, c;

	retried(f, &a, &b, "RETRY-X-3", NULL, 2, true);
	assert_int_equal(download_attempts_of(f), 2);
	for (int i = 0; i < 3; i++)
		auth_refused(f, &c, "RETRY-X-3", "8.8.5", "6.4");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(download_attempts_of(f), 2);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE subject_code ="
	                             " '8.8.5' AND reason_code = '6.4' AND point_id = 1"
	                             " AND success = 0 AND eid <> ''"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE subject_code ="
	                             " '8.8.5'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'downloadRetriesExceeded' AND from_state = 'downloaded'"
	                             " AND to_state = 'downloaded'"
	                             " AND detail LIKE '%2 of 2 downloads used%'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'downloadRetriesExceeded'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 3);
	pir_judged(f, &b, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	auth_refused(f, &c, "RETRY-X-3", "8.2", "1.2");
	dl_free(&a);
	dl_free(&b);
	dl_free(&c);
}

/* Download limit 1: the package delivered in A, its result not in yet, the eUICC scans the
 * activation code again (retry C, refused 8.8.5/6.4 at the limit): A's signed success that
 * follows still makes the profile Installed (it went to Error at C, and A's success was
 * `profile not downloaded`). */
static void test_retry_limit_keeps_delivery(void **state)
{
	fx *f = *state;
	static dl a, c;

	authenticated_session(f, &a, "RETRY-X-9", NULL, 1);
	get_bpp(f, &a, NULL, true);
	auth_refused(f, &c, "RETRY-X-9", "8.8.5", "6.4");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&c);
}

/* A retry of an order with a confirmation code asks for it again: smdpSigned2's
 * ccRequiredFlag is set, getBoundProfilePackage without the code is 8.2.7/2.2, with a wrong
 * one 8.2.7/3.8 (counted on the order's counter), with the right one it binds anew. */
static void test_retry_cc(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;

	retried(f, &a, &b, "RETRY-X-4", "1234", 0, false);
	assert_true(b.cc_required);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, NULL, true, false), &http),
	    "8.2.7", "2.2");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, "9999", true, false), &http),
	    "8.2.7", "3.8");
	assert_int_equal(count_of(f, "SELECT cc_attempts FROM smdp_profile"), 1);
	get_bpp(f, &b, "1234", true);
	check_bpp(f, &b);
	assert_int_equal(download_attempts_of(f), 2);
	dl_free(&a);
	dl_free(&b);
}

/* The installation result of a session a retry superseded (the eUICC kept it from before the
 * retry: the LPA crashed during the load, or after it): a failure changes nothing, the retry
 * decides (recorded `retried`, the old session ends); the retry then installs. */
static void test_retry_old_failure(void **state)
{
	fx *f = *state;
	static dl a, b;

	retried(f, &a, &b, "RETRY-X-5", NULL, 0, true);
	pir_judged(f, &a, false, "retried");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(step_of(f, &a), 4);
	pir_judged(f, &b, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* The superseded session's failure once the retry that authenticated after it has passed its
 * TTL without a package (its LPA gave up, sent no cancelSession): that retry can no longer
 * bind or cancel, so it decides nothing, and the failure is that session's own, Error. It was
 * `retried` while the dead retry's row waited for the sweep, which left the profile
 * Downloaded with no session to decide it. */
static void test_retry_expired_then_earlier_fails(void **state)
{
	fx *f = *state;
	static dl a, b;
	int64_t t0;
	int http;

	retried(f, &a, &b, "RETRY-X-EXP", NULL, 0, false);
	t0 = time(NULL);                         /* after b was made, however long that took */
	orsp_smdp_set_clock(f->s, t0 + 600 + 5); /* b past the TTL, its row not swept yet */
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, NULL, true, false), &http),
	    "8.10.1", "3.9");
	pir_judged(f, &a, false, "installation failed");
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&a);
	dl_free(&b);
}

/* Session a of the order mid superseded by its retry b (retried), and a's failed result
 * sent while b is live: recorded `retried`, the profile still Downloaded. *pending: the
 * pendingNotification as sent (the operator's report of the failure carries it), malloc'd. */
static void retried_failure(fx *f, dl *a, dl *b, const char *mid, char **pending)
{
	int http;
	json_t *req;
	char sql[256];

	retried(f, a, b, mid, NULL, 0, false);
	req = pir_request(f, a, false, false);
	*pending = strdup(json_string_value(json_object_get(req, "pendingNotification")));
	assert_non_null(*pending);
	assert_null(call(f, "handleNotification", req, &http));
	assert_int_equal(http, 204);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM es9p_notification WHERE upper(tid) = upper('%s')"
	         " AND result = 'retried'",
	         a->tid_hex);
	assert_int_equal(count_of(f, sql), 1);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
}

/* The profile's pir(failure) audit rows: each a failure that decided. */
static int64_t pir_failures(fx *f)
{
	return count_of(f, "SELECT count(*) FROM smdp_audit WHERE action = 'pir(failure)'");
}

/* The failure recorded `retried` has decided, as one arriving with no retry left would:
 * Error, audited pir(failure) once, reported (point 4, Failed) once with the result as the
 * eUICC sent it. */
static void earlier_failure_decided(fx *f, const char *pending)
{
	char sql[1200];

	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'pir(failure)' AND from_state = 'downloaded'"
	                             " AND to_state = 'error'"),
	                 1);
	snprintf(sql, sizeof(sql),
	         "SELECT count(*) FROM smdp_progress WHERE point_id = 4 AND success = 0"
	         " AND subject_code = '8.2.1' AND reason_code = '3.3' AND result_data = '%s'",
	         pending);
	assert_int_equal(count_of(f, sql), 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"), 1);
}

/* a's failure came while its retry b was live (`retried`); then b passed its TTL without a
 * package and without a cancel. Nobody is left to decide: when the sweep deletes b, a's
 * failure decides, as it does when it arrives after b lapsed
 * (test_retry_expired_then_earlier_fails). It left the profile Downloaded for good, until
 * the operator's cancelOrder. Within the skew after the TTL, b's row not swept, nothing
 * changes yet. */
static void test_retry_lapsed_after_earlier_failure(void **state)
{
	fx *f = *state;
	static dl a, b;
	char *pending = NULL;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	retried_failure(f, &a, &b, "RETRY-LAPSE-1", &pending);
	orsp_smdp_set_clock(f->s, t0 + 300); /* b live: the sweep keeps it, nothing decided */
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	orsp_smdp_set_clock(f->s, t0 + 600 + 5); /* b past its TTL, not past the skew */
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	orsp_smdp_set_clock(f->s, t0 + 600 + 60 + 5);
	assert_int_equal(sweep(f, 0), 2); /* b, and a, whose result has decided */
	earlier_failure_decided(f, pending);
	assert_int_equal(sweep(f, 0), 0);
	assert_int_equal(pir_failures(f), 1);
	orsp_smdp_set_clock(f->s, 0);
	free(pending);
	dl_free(&a);
	dl_free(&b);
}

/* The same with a chain of retries: b superseded by c before it delivered, c lapses. */
static void test_retry_chain_lapsed_after_earlier_failure(void **state)
{
	fx *f = *state;
	static dl a, b, c;
	char *pending = NULL;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	retried_failure(f, &a, &b, "RETRY-LAPSE-2", &pending);
	orsp_smdp_set_clock(f->s, t0 + 300);
	reinitiate(f, &c);
	authenticate(f, &c, "RETRY-LAPSE-2");
	/* b's row goes, but c is live */
	orsp_smdp_set_clock(f->s, t0 + 600 + 60 + 5);
	assert_int_equal(sweep(f, 0), 1);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	orsp_smdp_set_clock(f->s, t0 + 300 + 600 + 60 + 5);
	assert_int_equal(sweep(f, 0), 2);
	earlier_failure_decided(f, pending);
	orsp_smdp_set_clock(f->s, 0);
	free(pending);
	dl_free(&a);
	dl_free(&b);
	dl_free(&c);
}

/* a's failure `retried`, b lapsed, and the eUICC retries again (c) before the sweep came: c
 * is live and decides; its delivery and success make the profile Installed, and the sweep
 * of b meanwhile decides nothing. */
static void test_retry_lapsed_new_retry_decides(void **state)
{
	fx *f = *state;
	static dl a, b, c;
	char *pending = NULL;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	retried_failure(f, &a, &b, "RETRY-LAPSE-3", &pending);
	orsp_smdp_set_clock(f->s, t0 + 600 + 30);
	reinitiate(f, &c);
	authenticate(f, &c, "RETRY-LAPSE-3");
	orsp_smdp_set_clock(f->s, t0 + 600 + 60 + 5);
	(void)sweep(f, 0); /* b */
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	get_bpp(f, &c, NULL, true);
	pir_judged(f, &c, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(pir_failures(f), 0);
	orsp_smdp_set_clock(f->s, 0);
	free(pending);
	dl_free(&a);
	dl_free(&b);
	dl_free(&c);
}

/* A delivered and was retried by R1, which delivered and was retried in turn by R2; R2 is
 * cancelled before its delivery (postponed), deciding nothing. A's failure then is not the
 * last word: R1's package is out, and its result may be the success. It is kept (`retried`,
 * the profile Downloaded), and R1's success installs the profile. Until session 65 A's
 * failure put the profile in Error, and R1's success was `profile not downloaded`. */
static void test_retry_superseded_delivery_waits(void **state)
{
	fx *f = *state;
	static dl a, r1, r2;

	retried(f, &a, &r1, "RETRY-CHAIN-4", NULL, 0, true);
	reinitiate(f, &r2);
	authenticate(f, &r2, "RETRY-CHAIN-4");
	assert_int_equal(step_of(f, &r1), 5);
	cancel_ok(f, &r2, 1);
	pir_judged(f, &a, false, "retried");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(pir_failures(f), 0);
	pir_judged(f, &r1, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(pir_failures(f), 0);
	dl_free(&a);
	dl_free(&r1);
	dl_free(&r2);
}

/* a's failure `retried`; then b is cancelled before its delivery with a reason that leaves an
 * order open (postponed): b ends without deciding, so a's failure decides in the cancel's
 * transaction (Error), and the cancel is still reported. */
static void test_retry_cancelled_after_earlier_failure(void **state)
{
	fx *f = *state;
	static dl a, b;
	char *pending = NULL;

	retried_failure(f, &a, &b, "RETRY-CANCEL-1", &pending);
	cancel_ok(f, &b, 1);
	earlier_failure_decided(f, pending);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 3"
	                             " AND detail = 'cancelled: postponed'"),
	                 1);
	free(pending);
	dl_free(&a);
	dl_free(&b);
}

/* The same when b's eUICC answers PrepareDownloadResponseError before any delivery, which
 * ends b. */
static void test_retry_download_error_after_earlier_failure(void **state)
{
	fx *f = *state;
	static dl a, b;
	char *pending = NULL;
	int http;

	retried_failure(f, &a, &b, "RETRY-ERR-1", &pending);
	expect_fail(call(f, "getBoundProfilePackage",
	                 error_request(&b, 0xBF21, "prepareDownloadResponse"), &http),
	            "8.1", "4.2");
	earlier_failure_decided(f, pending);
	free(pending);
	dl_free(&a);
	dl_free(&b);
}

/* Controls. b delivered after a's failure: b decides, whatever the sweep does meanwhile; its
 * success installs the profile. */
static void test_retry_delivered_after_earlier_failure(void **state)
{
	fx *f = *state;
	static dl a, b;
	char *pending = NULL;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	retried_failure(f, &a, &b, "RETRY-DELIV-1", &pending);
	get_bpp(f, &b, NULL, true);
	orsp_smdp_set_clock(f->s, t0 + 86400);
	(void)sweep(f, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	pir_judged(f, &b, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(pir_failures(f), 0);
	orsp_smdp_set_clock(f->s, 0);
	free(pending);
	dl_free(&a);
	dl_free(&b);
}

/* b delivered after a's failure, then cancelled (postponed): the order is downloadable again
 * (Released), as for any cancel after delivery, and a's failure no longer decides anything:
 * not at the cancel, not when a new session of the order is cancelled before its delivery,
 * nor at the sweep. */
static void test_retry_reopened_after_earlier_failure(void **state)
{
	fx *f = *state;
	static dl a, b, c;
	char *pending = NULL;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	retried_failure(f, &a, &b, "RETRY-REOPEN-1", &pending);
	get_bpp(f, &b, NULL, true);
	cancel_ok(f, &b, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	reinitiate(f, &c);
	authenticate(f, &c, "RETRY-REOPEN-1");
	cancel_ok(f, &c, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	orsp_smdp_set_clock(f->s, t0 + 86400);
	(void)sweep(f, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(pir_failures(f), 0);
	orsp_smdp_set_clock(f->s, 0);
	free(pending);
	dl_free(&a);
	dl_free(&b);
	dl_free(&c);
}

/* a's failure `retried`, then the operator cancels the Downloaded order (Unavailable, the
 * only end ES2+ cancelOrder gives a Downloaded profile): b ends with it, and neither its
 * cancel (8.10.1/3.9) nor the sweep moves the profile again. */
static void test_retry_earlier_failure_then_cancel_order(void **state)
{
	fx *f = *state;
	static dl a, b;
	char *pending = NULL;
	int http;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	retried_failure(f, &a, &b, "RETRY-ORDER-1", &pending);
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, NULL, NULL, false), ORSP_OK);
	expect_fail(call(f, "cancelSession", cancel_request(f, &b, 1, OID, false), &http), "8.10.1",
	            "3.9");
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	orsp_smdp_set_clock(f->s, t0 + 86400);
	assert_int_equal(sweep(f, 0), 2);
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(pir_failures(f), 0);
	orsp_smdp_set_clock(f->s, 0);
	free(pending);
	dl_free(&a);
	dl_free(&b);
}

/* Session a delivered, the eUICC's retry b authenticated (order mid with the code 1234);
 * b's code wrong to the limit: 8.2.7/3.8, then 8.2.7/6.4, the profile still Downloaded. */
static void retry_cc_exhausted(fx *f, dl *a, dl *b, const char *mid)
{
	int http;

	retried(f, a, b, mid, "1234", 0, false);
	for (int i = 1; i < ORSP_SMDP_DEFAULT_CC_LIMIT; i++)
		expect_fail(call(f, "getBoundProfilePackage",
		                 gbpp_request(f, b, "9999", true, false), &http),
		            "8.2.7", "3.8");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, b, "9999", true, false), &http),
	    "8.2.7", "6.4");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
}

/* The retry's confirmation code mistyped to the limit while the superseded session has its
 * package out and no result: the retry ends (8.2.7/6.4), but the profile stays Downloaded,
 * so that the earlier session's success installs it (it went to Error, final, and that
 * success was `profile not downloaded`, until session 56). The code is asked no more: the
 * right one is refused too in a further retry. */
static void test_retry_cc_exhausted_keeps_earlier(void **state)
{
	fx *f = *state;
	static dl a, b, c;
	int http;

	retry_cc_exhausted(f, &a, &b, "RETRY-CC-X");
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE detail ="
	                             " 'mismatch, retries exhausted: kept for an earlier"
	                             " session''s package'"),
	                 1);
	/* a further retry with the right code: no more tries */
	reinitiate(f, &c);
	authenticate(f, &c, "RETRY-CC-X");
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &c, "1234", true, false), &http),
	    "8.2.7", "6.4");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
	dl_free(&c);
}

/* Session a delivered, the eUICC's retry b authenticated (order mid); b cancelled by the end
 * user (endUserRejection): answered, the profile still Downloaded. */
static void retry_rejected(fx *f, dl *a, dl *b, const char *mid)
{
	int http;
	json_t *rsp;

	retried(f, a, b, mid, NULL, 0, false);
	rsp = call(f, "cancelSession", cancel_request(f, b, 0, OID, false), &http);
	expect_ok(rsp);
	json_decref(rsp);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
}

/* The retry rejected by the end user (cancelSession endUserRejection) while the superseded
 * session has its package out and no result: the retry's session ends, the cancel is
 * reported, and the profile stays Downloaded for the earlier session's result (it went to
 * Error, and a success then was `profile not downloaded`, until session 56). */
static void test_retry_reject_keeps_earlier(void **state)
{
	fx *f = *state;
	static dl a, b;

	retry_rejected(f, &a, &b, "RETRY-REJ-X");
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* The same two, then the superseded session's result is a failure: nobody is left to
 * decide (the retry ended without deciding), so that failure puts the profile in Error, as
 * a failure of the session itself does (recorded `retried`, it left the profile Downloaded
 * for good, no session open: found in review, session 56). While the retry is live it
 * decides, and the failure is `retried` (test_retry_old_failure). */
static void test_retry_kept_then_earlier_fails_cc(void **state)
{
	fx *f = *state;
	static dl a, b;

	retry_cc_exhausted(f, &a, &b, "RETRY-KF-1");
	pir_judged(f, &a, false, "installation failed");
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	dl_free(&a);
	dl_free(&b);
}

static void test_retry_kept_then_earlier_fails_reject(void **state)
{
	fx *f = *state;
	static dl a, b;

	retry_rejected(f, &a, &b, "RETRY-KF-2");
	pir_judged(f, &a, false, "installation failed");
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	dl_free(&a);
	dl_free(&b);
}

/* A success of the superseded session is the eUICC's word that it holds the profile:
 * Installed; the retry's package is then refused (8.2/1.2, the order is over) and, had it
 * been delivered, its result (the eUICC refusing a second copy of the ICCID) would be
 * `profile not downloaded`. */
static void test_retry_old_success(void **state)
{
	fx *f = *state;
	static dl a, b;
	int http;

	retried(f, &a, &b, "RETRY-X-6", NULL, 0, false);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &b, NULL, true, false), &http), "8.2",
	    "3.7");
	dl_free(&a);
	dl_free(&b);
}

/* An installation result sent again (the LPA lost the 204 and resends it; so does a copy
 * after a failed one): one record, the first judgement, with the eUICC's EID; the session
 * that ended is still read for it. It was recorded a second time as `unknown session` with no
 * EID. A forged copy of it (another signature) does not replace it either. */
static void test_pir_sent_again(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	download_all(f, &d, "AGAIN-1");
	pir_judged(f, &d, true, "installed");
	for (int i = 0; i < 2; i++) {
		assert_null(call(f, "handleNotification", pir_request(f, &d, true, i == 1), &http));
		assert_int_equal(http, 204);
	}
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification"), 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'installed' AND eid = '" EID "'"),
	                 1);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&d);
}

/* A's package installed but its result not sent yet; the eUICC's retry B delivered and was
 * then postponed (cancelSession, reason postponed): the order is Released again. A's success
 * coming after that is still the eUICC's word that it holds the profile: Installed (audit
 * pir(success,reopened), the operator's report of point 4), not "profile not downloaded"
 * with the profile left downloadable. */
static void test_retry_old_success_after_reopen(void **state)
{
	fx *f = *state;
	static dl a, b, c;

	retried(f, &a, &b, "RETRY-X-12", NULL, 0, true);
	cancel_ok(f, &b, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action ="
	                             " 'pir(success,reopened)' AND from_state = 'released'"
	                             " AND to_state = 'installed'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4 AND"
	                             " success = 1"),
	                 1);
	/* the order is over: no further session */
	auth_refused(f, &c, "RETRY-X-12", "8.2", "1.2");
	dl_free(&a);
	dl_free(&b);
	dl_free(&c);
}

/* A retry (b) of the order mid (confirmation code cc, download limit limit) delivered and
 * postponed reopens the order while the session it superseded (a) has its package out. */
static void reopened_after_retry(fx *f, dl *a, dl *b, const char *mid, const char *cc,
                                 unsigned limit)
{
	retried(f, a, b, mid, cc, limit, true);
	cancel_ok(f, b, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(step_of(f, a), 5);
}

/* What a third session c did kept the order for a's package, Downloaded again: a's success
 * installs the profile, its failure ends the order in Error (the order stayed Released, and
 * a failure decided nothing, until session 68). */
static void earlier_decides(fx *f, dl *a, dl *b, dl *c, bool success)
{
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE to_state ="
	                             " 'downloaded' AND detail LIKE '%kept for an earlier"
	                             " session''s package%'"),
	                 1);
	pir_judged(f, a, success, success ? "installed" : "installation failed");
	assert_int_equal(state_of(f), success ? ORSP_SMDP_INSTALLED : ORSP_SMDP_ERROR);
	dl_free(a);
	dl_free(b);
	dl_free(c);
}

/* What a third session C does on a reopened order must not end it before A's result. With no
 * download left C is refused at authenticateClient, 8.8.5/6.4, before the end user confirms
 * anything (it went through, and its getBoundProfilePackage put the profile in Error, A's
 * success then `profile not downloaded`). */
static void test_reopened_at_limit_keeps_earlier(void **state)
{
	fx *f = *state;
	static dl a, b, c;

	reopened_after_retry(f, &a, &b, "REOPEN-LIM-1", NULL, 2);
	assert_int_equal(download_attempts_of(f), 2);
	auth_refused(f, &c, "REOPEN-LIM-1", "8.8.5", "6.4");
	earlier_decides(f, &a, &b, &c, true);
}

/* With downloads left: C's end-user rejection (here), or its confirmation code wrong to the
 * limit (below), ends C alone while A's package is out (each put the profile in Error). */
static void test_reopened_rejection_keeps_earlier(void **state)
{
	fx *f = *state;
	static dl a, b, c;

	reopened_after_retry(f, &a, &b, "REOPEN-LIM-2", NULL, 5);
	reinitiate(f, &c);
	authenticate(f, &c, "REOPEN-LIM-2");
	cancel_ok(f, &c, 0);
	earlier_decides(f, &a, &b, &c, false);
}

static void test_reopened_cc_exhausted_keeps_earlier(void **state)
{
	fx *f = *state;
	static dl a, b, c;

	reopened_after_retry(f, &a, &b, "REOPEN-LIM-3", "1234", 5);
	reinitiate(f, &c);
	authenticate(f, &c, "REOPEN-LIM-3");
	cc_exhausted_kept(f, &c, ORSP_SMDP_DOWNLOADED);
	earlier_decides(f, &a, &b, &c, true);
}

/* Its failure leaves the reopened order as it is: downloadable again. Recorded `profile not
 * downloaded`, as any session's result once the profile has left Downloaded (it was
 * `retried`, the word for a failure a live retry decides, until session 66). */
static void test_retry_old_failure_after_reopen(void **state)
{
	fx *f = *state;
	static dl a, b;

	retried(f, &a, &b, "RETRY-X-13", NULL, 0, true);
	cancel_ok(f, &b, 1);
	pir_judged(f, &a, false, "profile not downloaded");
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(step_of(f, &a), 4);
	dl_free(&a);
	dl_free(&b);
}

/* The retry installed first; the superseded session's failure after it changes nothing and is
 * `profile not downloaded`, as its success would be (test_retry_across_sessions): no retry is
 * left to decide (it was `retried` until session 66). */
static void test_retry_old_failure_after_install(void **state)
{
	fx *f = *state;
	static dl a, b;

	retried(f, &a, &b, "RETRY-X-14", NULL, 0, true);
	pir_judged(f, &b, true, "installed");
	pir_judged(f, &a, false, "profile not downloaded");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(step_of(f, &a), 4);
	dl_free(&a);
	dl_free(&b);
}

/* The same for a session a retry superseded: recorded, that session still open, so its
 * success installs the profile (it was `retried`, the session ended, and the success after
 * it `session ended`). */
static void test_pir_no_session_retried(void **state)
{
	fx *f = *state;
	static dl a, b;
	static const pir_opts none_o = {.no_session = true};
	int http;

	retried(f, &a, &b, "RETRY-NS-1", NULL, 0, true);
	assert_null(
	    call(f, "handleNotification", pir_request_with(f, &a, false, false, &none_o), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* A retry's package refused for installFailedDueToIccidAlreadyExistsOnEuicc (pir_request's
 * failure) while the session it superseded has delivered and not reported (the first package
 * installed, its success result held back): recorded, the retry's session ended, the profile
 * still Downloaded, and the first session's success installs it (the profile went to Error,
 * and that success was `profile not downloaded`). test_pir_checks: without such a session,
 * Error as before. */
static void test_pir_iccid_exists(void **state)
{
	fx *f = *state;
	static dl a, b;

	retried(f, &a, &b, "RETRY-IE-1", NULL, 0, true);
	pir_judged(f, &b, false, "ICCID already on the eUICC");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"), 0);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* Sessions A and B authenticated in parallel; A delivers, then B binds (a new package, the
 * second download). A's cancelSession (postponed) ends A but does not reopen the order while
 * B's package is out (before, the order went back to Released and B's success was recorded as
 * "profile not downloaded", the profile left downloadable): B's result decides, or B's own
 * cancel reopens it. */
static void parallel_delivered(fx *f, dl *a, dl *b, const char *mid)
{
	order(f, EID, mid, NULL);
	parallel_sessions(f, a, b, mid);
	get_bpp(f, a, NULL, true);
	get_bpp(f, b, NULL, true);
	assert_int_equal(download_attempts_of(f), 2);
	assert_int_equal(step_of(f, a), 3);
	assert_int_equal(step_of(f, b), 3);
}

static void parallel_both_delivered(fx *f, dl *a, dl *b, const char *mid)
{
	json_t *rsp;
	int http;

	parallel_delivered(f, a, b, mid);
	rsp = call(f, "cancelSession", cancel_request(f, a, 1, OID, false), &http);
	expect_ok(rsp);
	json_decref(rsp);
	assert_int_equal(step_of(f, a), 4);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
}

static void test_parallel_cancel_keeps_other(void **state)
{
	fx *f = *state;
	static dl a, b;

	parallel_both_delivered(f, &a, &b, "RETRY-X-14");
	pir_judged(f, &b, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* Parallel sessions of one eUICC, both delivered: a failure of one while the other's package
 * is out changes no state (the other's result or cancel decides, as for a cancel after
 * delivery); the other's success then makes the profile Installed. Before, the first failure
 * put the profile in Error at once, and the success the eUICC signed after it was recorded
 * as "profile not downloaded". When both fail, the second failure (no package left out) puts
 * the profile in Error. */
static void test_parallel_failure_keeps_other(void **state)
{
	fx *f = *state;
	static dl a, b;

	parallel_delivered(f, &a, &b, "RETRY-X-16");
	pir_judged(f, &a, false, "installation failed, another package still out");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(step_of(f, &a), 4);
	pir_judged(f, &b, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

static void test_parallel_failures_both(void **state)
{
	fx *f = *state;
	static dl c, d;

	parallel_delivered(f, &c, &d, "RETRY-X-17");
	pir_judged(f, &c, false, "installation failed, another package still out");
	pir_judged(f, &d, false, "installation failed");
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	dl_free(&c);
	dl_free(&d);
}

static void test_parallel_cancel_both(void **state)
{
	fx *f = *state;
	static dl a, b;

	parallel_both_delivered(f, &a, &b, "RETRY-X-15");
	cancel_ok(f, &b, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	dl_free(&a);
	dl_free(&b);
}

/* Parallel sessions of one eUICC, one delivered: the other's endUserRejection (or
 * pprNotAllowed) while that package is out ends its own session only, reported to the
 * operator as a cancel, and the delivered session's success then makes the profile Installed.
 * Before, the rejection put the profile in Error, and that success, the eUICC holding the
 * profile, was recorded as "profile not downloaded". Once no other package is out, a
 * rejection ends the order as before. */
static void test_parallel_reject_keeps_other(void **state)
{
	fx *f = *state;
	static dl a, b;

	order(f, EID, "RETRY-X-18", NULL);
	parallel_sessions(f, &a, &b, "RETRY-X-18");
	get_bpp(f, &a, NULL, true);
	cancel_ok(f, &b, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(step_of(f, &b), 4);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 3 AND"
	                             " success = 0 AND detail = 'cancelled: end user rejection'"),
	                 1);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&a);
	dl_free(&b);
}

/* Both delivered: pprNotAllowed from one leaves the other's package to decide; its failure,
 * no package out then, puts the profile in Error. */
static void test_parallel_ppr_then_failure(void **state)
{
	fx *f = *state;
	static dl a, b;

	parallel_delivered(f, &a, &b, "RETRY-X-19");
	cancel_ok(f, &b, 3);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	pir_judged(f, &a, false, "installation failed");
	assert_int_equal(state_of(f), ORSP_SMDP_ERROR);
	dl_free(&a);
	dl_free(&b);
}

/* A retry ends every older live session of the order of this eUICC, also one authenticated
 * while the profile was Released that has not delivered (it would otherwise bind a second
 * package): 8.10.1/3.9, nothing counted. */
static void test_retry_ends_parallel(void **state)
{
	fx *f = *state;
	static dl a, p, b;
	int http;

	order(f, EID, "RETRY-X-8", NULL);
	parallel_sessions(f, &a, &p, "RETRY-X-8");
	get_bpp(f, &a, NULL, true);
	reinitiate(f, &b);
	authenticate(f, &b, "RETRY-X-8");
	assert_int_equal(step_of(f, &a), 5);
	assert_int_equal(step_of(f, &p), 4);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &p, NULL, true, false), &http),
	    "8.10.1", "3.9");
	assert_int_equal(download_attempts_of(f), 1);
	get_bpp(f, &b, NULL, true);
	assert_int_equal(download_attempts_of(f), 2);
	/* the older sessions are found through the index on the ICCID, not by a scan of all
	 * the sessions kept */
	{
		orsp_stmt *st = NULL;
		bool row = false, indexed = false;
		assert_int_equal(
		    orsp_db_prepare(orsp_smdp_db(f->s),
		                    "EXPLAIN QUERY PLAN UPDATE es9p_session SET step = 4"
		                    " WHERE iccid = ?1 AND eid = ?2 AND"
		                    " matching_id = ?3 AND step IN (2, 3)",
		                    &st),
		    ORSP_OK);
		while (orsp_stmt_step(st, &row) == ORSP_OK && row)
			indexed |=
			    strstr(orsp_stmt_column_text(st, 3), "es9p_session_iccid") != NULL;
		orsp_stmt_finalize(st);
		assert_true(indexed);
	}
	dl_free(&a);
	dl_free(&p);
	dl_free(&b);
}

/* A database failure at each operation of a retry's authenticateClient: a 500 each time,
 * and nothing of it stays (the old session still delivered, no new session, the order as it
 * was); then the retry. */
static void test_retry_failure_injection(void **state)
{
	fx *f = *state;
	static dl a, b;
	auth_opts o = {.mid = "RETRY-X-9"};
	int k;

	download_all(f, &a, "RETRY-X-9");
	for (k = 0;; k++) {
		assert_true(k < 40);
		reinitiate(f, &b);
		if (!injected_call(f, "authenticateClient", auth_request(f, &b, &o), k))
			break;
		assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 1);
		assert_int_equal(step_of(f, &a), 3);
		assert_int_equal(kept_keys(f), 1);
		assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
		assert_int_equal(download_attempts_of(f), 1);
	}
	assert_true(k >= 6);
	assert_int_equal(step_of(f, &a), 5);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 2);
	dl_free(&a);
	dl_free(&b);
}

/* A session a retry superseded is kept as a delivered one is, for its installation result,
 * while its profile is Downloaded to its order: a day after (past the TTL) the sweep leaves
 * it, and its result still counts; once the order is over it goes. */
static void test_retry_sweep(void **state)
{
	fx *f = *state;
	static dl a, b;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	retried(f, &a, &b, "RETRY-X-10", NULL, 0, true);
	orsp_smdp_set_clock(f->s, t0 + 86400);
	assert_int_equal(sweep(f, 0), 0);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(sweep(f, 0), 2);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&a);
	dl_free(&b);
}

/* The superseded session A kept by the sweep while its retry B's cancel (postponed) has
 * reopened the order (Released, the same EID and matching ID): A's success, sent after the
 * sweep of a TTL later, still makes the profile Installed, not "unknown session" with the
 * order left open to another delivery. The sweep deletes B (ended) and, once A's result has
 * come, A. */
static void test_retry_reopen_sweep(void **state)
{
	fx *f = *state;
	static dl a, b;
	int64_t t0 = time(NULL);

	orsp_smdp_set_clock(f->s, t0);
	retried(f, &a, &b, "RETRY-X-14", NULL, 0, true);
	cancel_ok(f, &b, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	orsp_smdp_set_clock(f->s, t0 + 1200);
	assert_int_equal(sweep(f, 0), 1);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(sweep(f, 0), 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 0);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&a);
	dl_free(&b);
}

/* The order's expiry set to a minute from now, and the store's clock two minutes on: the
 * order has expired (orsp_smdp_set_clock(f->s, 0) puts the clock back). */
static void past_expiry(fx *f)
{
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), "UPDATE smdp_profile SET expires_at ="
	                                                  " strftime('%s', 'now') + 60, due_at ="
	                                                  " strftime('%s', 'now') + 60"),
	                 ORSP_OK);
	orsp_smdp_set_clock(f->s, time(NULL) + 120);
}

/* A retry is a download made in time, as getBoundProfilePackage judges a new binding after
 * delivery: an order past its validity by then (the expiry leaves Downloaded alone) is not
 * refused for it. */
static void test_retry_after_expiry(void **state)
{
	fx *f = *state;
	static dl a, b;

	download_all(f, &a, "RETRY-X-11");
	past_expiry(f);
	reinitiate(f, &b);
	authenticate(f, &b, "RETRY-X-11");
	get_bpp(f, &b, NULL, true);
	check_bpp(f, &b);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&a);
	dl_free(&b);
}

/* A retry postponed after its delivery while the session it superseded has its package out,
 * the eUICC perhaps holding the profile from it; then the order's expiry and an expiry round,
 * then that session's success, which installs the profile. The retry came past the expiry
 * (expired_first): reopened, the order would have expired at that round, Unavailable, final,
 * and the success been `profile not downloaded` (so until session 66): it stays Downloaded.
 * Or before the expiry: reopened (Released, as a postponed delivery is), the round ended it
 * so (until session 67): the round makes it Downloaded again, without a report. */
static void postponed_retry_keeps_earlier(fx *f, const char *mid, bool expired_first)
{
	static dl a, b;
	size_t n = 0;

	authenticated_session(f, &a, mid, NULL, 0);
	get_bpp(f, &a, NULL, true);
	if (expired_first)
		past_expiry(f);
	reinitiate(f, &b);
	authenticate(f, &b, mid);
	get_bpp(f, &b, NULL, true);
	cancel_ok(f, &b, 1);
	assert_int_equal(state_of(f), expired_first ? ORSP_SMDP_DOWNLOADED : ORSP_SMDP_RELEASED);
	if (!expired_first)
		past_expiry(f);
	assert_int_equal(orsp_smdp_expire(f->s, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE detail = "
	                             "'order expired: kept for an earlier session''s package'"),
	                 expired_first ? 0 : 1);
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&a);
	dl_free(&b);
}

static void test_retry_postponed_after_expiry_keeps_earlier(void **state)
{
	postponed_retry_keeps_earlier(*state, "RETRY-X-15", true);
}

static void test_retry_postponed_before_expiry_keeps_earlier(void **state)
{
	postponed_retry_keeps_earlier(*state, "RETRY-X-17", false);
}

/* The same reopened order past its expiry, before the round: an operator's releaseProfile or
 * confirmOrder(release), which a Released order does not take, is refused for the state and
 * changes nothing; each ended the order Unavailable (until session 68), and that session's
 * success was `profile not downloaded`. */
static void test_reopened_past_expiry_operator_refused(void **state)
{
	fx *f = *state;
	static dl a, b;
	orsp_smdp_confirmation c = {.release = true};

	authenticated_session(f, &a, "RETRY-X-18", NULL, 0);
	get_bpp(f, &a, NULL, true);
	reinitiate(f, &b);
	authenticate(f, &b, "RETRY-X-18");
	get_bpp(f, &b, NULL, true);
	cancel_ok(f, &b, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	past_expiry(f);
	/* refused for the state it is in (they named the Downloaded state the keep had put it
	 * in before rolling back, until session 68) */
	assert_int_equal(orsp_smdp_release(f->s, f->prof.iccid), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "in state released"));
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(orsp_smdp_confirm(f->s, f->prof.iccid, &c, NULL), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "in state released"));
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	orsp_err_clear();
	pir_judged(f, &a, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&a);
	dl_free(&b);
}

/* Without such a session the eUICC dropped the only package out: reopened, then the sweep
 * ends the expired order (Unavailable), as before. */
static void test_retry_postponed_after_expiry_alone(void **state)
{
	fx *f = *state;
	static dl a;
	size_t n = 0;

	authenticated_session(f, &a, "RETRY-X-16", NULL, 0);
	get_bpp(f, &a, NULL, true);
	past_expiry(f);
	cancel_ok(f, &a, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(orsp_smdp_expire(f->s, &n), ORSP_OK);
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	orsp_smdp_set_clock(f->s, 0);
	dl_free(&a);
}

/* ---------------------------------------------------------------- racing requests ------- */

/* A race: one request of a session (the watched one) answered in a thread of its own (cmocka
 * asserts only in the main one), held at a point of its handling while the main thread serves
 * other requests of the session on other, a second handle on the same database (another
 * server process), then let go on.
 *
 * The points: the write lock (other holds a write transaction: the watched request waits
 * for it after its first read of the session), or where getBoundProfilePackage reads the
 * profile or checks the confirmation code. The link wraps orsp_db_begin, orsp_smdp_get and
 * smdp_check_cc (-Wl,--wrap, tests/CMakeLists.txt) so that the main thread knows,
 * without a sleep, that the watched thread got there. */
enum { HOLD_NONE, HOLD_WRITE_LOCK, HOLD_PROFILE_READ, HOLD_CC_CHECK };

typedef struct race {
	fx *f;
	const char *fn;
	char *body;
	orsp_err e;
	orsp_smdp_reply rep;
	orsp_smdp *other;
	pthread_t th;
	int point;
} race;

static _Thread_local bool begin_watched;
static atomic_int begins_seen;
static atomic_int hold_at; /* where the watched thread is to wait */
static atomic_int held;    /* it waits there */

orsp_err __real_orsp_db_begin(orsp_db *db);
orsp_err __wrap_orsp_db_begin(orsp_db *db);

orsp_err __wrap_orsp_db_begin(orsp_db *db)
{
	if (begin_watched)
		atomic_fetch_add(&begins_seen, 1);
	return __real_orsp_db_begin(db);
}

/* handleNotification's transaction (orsp_db_begin_flat calls orsp_db_begin inside the store
 * library, which the link does not wrap) */
orsp_err __real_orsp_db_begin_flat(orsp_db *db);
orsp_err __wrap_orsp_db_begin_flat(orsp_db *db);

orsp_err __wrap_orsp_db_begin_flat(orsp_db *db)
{
	if (begin_watched)
		atomic_fetch_add(&begins_seen, 1);
	return __real_orsp_db_begin_flat(db);
}

static void hold_point(int point)
{
	if (!begin_watched || atomic_load(&hold_at) != point)
		return;
	atomic_store(&held, 1);
	/* a minute at most, so that a test that failed meanwhile still ends */
	for (int i = 0; atomic_load(&hold_at) == point && i < 60000; i++)
		nanosleep(&(struct timespec){0, 1000 * 1000}, NULL);
}

orsp_err __real_orsp_smdp_get(orsp_smdp *s, const char *iccid, orsp_smdp_profile *out);
orsp_err __wrap_orsp_smdp_get(orsp_smdp *s, const char *iccid, orsp_smdp_profile *out);
orsp_err __real_smdp_check_cc(orsp_smdp *s, const char *tid_hex, const char *eid,
                              const char *matching_id, const orsp_smdp_profile *seen,
                              const uint8_t hash_cc[32], const uint8_t *tid, size_t tid_len);
orsp_err __wrap_smdp_check_cc(orsp_smdp *s, const char *tid_hex, const char *eid,
                              const char *matching_id, const orsp_smdp_profile *seen,
                              const uint8_t hash_cc[32], const uint8_t *tid, size_t tid_len);

/* test_signature_not_judged: while set, every orsp_ecdsa_verify fails inside OpenSSL's part
 * (ORSP_E_CRYPTO), as out of memory there does */
static atomic_int verify_fails;
orsp_err __real_orsp_ecdsa_verify(const orsp_ec_key *pub, const void *msg, size_t n,
                                  const uint8_t sig[ORSP_EC_SIG_LEN]);
orsp_err __wrap_orsp_ecdsa_verify(const orsp_ec_key *pub, const void *msg, size_t n,
                                  const uint8_t sig[ORSP_EC_SIG_LEN]);

orsp_err __wrap_orsp_ecdsa_verify(const orsp_ec_key *pub, const void *msg, size_t n,
                                  const uint8_t sig[ORSP_EC_SIG_LEN])
{
	if (atomic_load(&verify_fails))
		return orsp_errf(ORSP_E_CRYPTO, "ECDSA verification failed internally (injected)");
	return __real_orsp_ecdsa_verify(pub, msg, n, sig);
}

/* An eUICC signature the server could not judge (OpenSSL failing, out of memory) is the
 * SM-DP+'s own failure: a 500 that changes nothing, at each of authenticateClient,
 * getBoundProfilePackage, the installation result and a notification outside a session; the
 * same request then goes through (each was "eUICC signature invalid", 8.1/6.1, or recorded
 * "bad signature", answered 204, and the notification lost: fault-injection review find). */
static void test_signature_not_judged(void **state)
{
	fx *f = *state;
	static dl d;
	size_t n = 9;

	memset(&d, 0, sizeof(d));
	order(f, EID, NULL, NULL);
	initiate(f, &d);
	atomic_store(&verify_fails, 1);
	call_internal_error(f, "authenticateClient",
	                    auth_request(f, &d, &(auth_opts){.mid = f->prof.matching_id}));
	atomic_store(&verify_fails, 0);
	authenticate(f, &d, f->prof.matching_id);
	atomic_store(&verify_fails, 1);
	call_internal_error(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false));
	atomic_store(&verify_fails, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	get_bpp(f, &d, NULL, true);
	atomic_store(&verify_fails, 1);
	call_internal_error(f, "handleNotification", pir_request(f, &d, true, false));
	atomic_store(&verify_fails, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(orsp_es9p_notification_count(f->s, NULL, NULL, &n), ORSP_OK);
	assert_int_equal(n, 0);
	pir_judged(f, &d, true, "installed");
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	atomic_store(&verify_fails, 1);
	call_internal_error(f, "handleNotification",
	                    other_notification_req(f, 31, FQDN, f->prof.iccid, false));
	atomic_store(&verify_fails, 0);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE seq = 31"), 0);
	assert_string_equal(other_notification(f, 31, FQDN, f->prof.iccid), "accepted");
	dl_free(&d);
}

orsp_err __wrap_orsp_smdp_get(orsp_smdp *s, const char *iccid, orsp_smdp_profile *out)
{
	hold_point(HOLD_PROFILE_READ);
	return __real_orsp_smdp_get(s, iccid, out);
}

orsp_err __wrap_smdp_check_cc(orsp_smdp *s, const char *tid_hex, const char *eid,
                              const char *matching_id, const orsp_smdp_profile *seen,
                              const uint8_t hash_cc[32], const uint8_t *tid, size_t tid_len)
{
	hold_point(HOLD_CC_CHECK);
	return __real_smdp_check_cc(s, tid_hex, eid, matching_id, seen, hash_cc, tid, tid_len);
}

static void *race_main(void *arg)
{
	race *r = arg;
	begin_watched = true;
	r->e = orsp_es9p_handle(&r->f->svc, r->f->s, r->fn, (const uint8_t *)r->body,
	                        strlen(r->body), &r->rep);
	return NULL;
}

/* Waits (a minute at most) until *flag is set. */
static void wait_for(atomic_int *flag, const char *what)
{
	for (int i = 0; atomic_load(flag) == 0; i++) {
		if (i == 6000)
			fail_msg("the request did not reach %s within 60 s", what);
		nanosleep(&(struct timespec){0, 10 * 1000 * 1000}, NULL);
	}
}

/* Opens r->other and starts fn with the body req (still the caller's) in the watched thread;
 * returns once that thread waits at point. */
static void race_start(fx *f, race *r, const char *fn, const json_t *req, int point)
{
	memset(r, 0, sizeof(*r));
	r->f = f;
	r->fn = fn;
	r->point = point;
	r->body = json_dumps(req, JSON_COMPACT);
	assert_non_null(r->body);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &r->other), ORSP_OK);
	if (point == HOLD_WRITE_LOCK) {
		assert_int_equal(orsp_db_begin(orsp_smdp_db(r->other)), ORSP_OK);
		atomic_store(&begins_seen, 0);
		assert_int_equal(pthread_create(&r->th, NULL, race_main, r), 0);
		wait_for(&begins_seen, "its transaction");
	} else {
		atomic_store(&held, 0);
		atomic_store(&hold_at, point);
		assert_int_equal(pthread_create(&r->th, NULL, race_main, r), 0);
		wait_for(&held, "its hold point");
	}
}

/* Lets the watched request go on (other's transaction committed, or its hold point left),
 * waits for its answer and closes other. */
static void race_finish(race *r)
{
	if (r->point == HOLD_WRITE_LOCK)
		assert_int_equal(orsp_db_commit(orsp_smdp_db(r->other)), ORSP_OK);
	else
		atomic_store(&hold_at, HOLD_NONE);
	assert_int_equal(pthread_join(r->th, NULL), 0);
	assert_int_equal(r->e, ORSP_OK);
	orsp_smdp_close(r->other);
	r->other = NULL;
}

/* The watched request's answer: HTTP 200, its body as JSON (NULL if it is not); the reply is
 * freed. */
static json_t *race_answer(race *r)
{
	json_t *rsp;

	assert_int_equal(r->rep.http_status, 200);
	rsp = json_loadb(r->rep.body, r->rep.body_len, 0, NULL);
	orsp_smdp_reply_free(&r->rep);
	free(r->body);
	r->body = NULL;
	return rsp;
}

/* getBoundProfilePackage with req on h (it takes req): Executed-Success; returns the length
 * of its package, put in bpp[cap] (bpp NULL: not looked at, 0). */
static size_t gbpp_on(fx *f, orsp_smdp *h, json_t *req, uint8_t *bpp, size_t cap)
{
	json_t *rsp;
	size_t n = 0;
	int http;

	rsp = call_on(f, h, "getBoundProfilePackage", req, &http);
	expect_ok(rsp);
	if (bpp)
		n = get_b64(rsp, "boundProfilePackage", bpp, cap);
	json_decref(rsp);
	return n;
}

/* cancelSession (postponed) of d's session on h: Executed-Success. */
static void cancel_on(fx *f, dl *d, orsp_smdp *h)
{
	int http;
	json_t *rsp = call_on(f, h, "cancelSession", cancel_request(f, d, 1, OID, false), &http);
	expect_ok(rsp);
	json_decref(rsp);
}

/* authenticateClient of d for mid on the database handle h (another server process). */
static void authenticate_on(fx *f, orsp_smdp *h, dl *d, const char *mid)
{
	orsp_smdp *keep = f->s;
	f->s = h;
	authenticate(f, d, mid);
	f->s = keep;
}

/* Session A's new binding waits for the write lock of its binding's transaction while the
 * eUICC's retry B authenticates in another process: the transaction reads A again, finds it
 * superseded and answers 8.10.1/3.9, nothing counted; only B delivers. */
static void test_retry_racing_old_binding(void **state)
{
	fx *f = *state;
	static dl a, b;
	race r;
	json_t *req;

	download_all(f, &a, "RETRY-R-1");
	reinitiate(f, &b);
	req = gbpp_request(f, &a, NULL, true, false);
	race_start(f, &r, "getBoundProfilePackage", req, HOLD_WRITE_LOCK);
	json_decref(req);
	authenticate_on(f, r.other, &b, "RETRY-R-1");
	race_finish(&r);
	expect_fail(race_answer(&r), "8.10.1", "3.9");
	assert_int_equal(download_attempts_of(f), 1);
	assert_int_equal(new_bindings(f), 0);
	get_bpp(f, &b, NULL, true);
	assert_int_equal(download_attempts_of(f), 2);
	dl_free(&a);
	dl_free(&b);
}

/* Session A's installation result (success), read before the retry B authenticates in
 * another process and written after: judged by A's step as it is then, superseded, whose
 * success still counts (Installed); it was `session ended` and the profile stayed
 * Downloaded. */
static void test_retry_racing_old_result(void **state)
{
	fx *f = *state;
	static dl a, b;
	race r;
	json_t *req;

	download_all(f, &a, "RETRY-R-2");
	reinitiate(f, &b);
	req = pir_request(f, &a, true, false);
	race_start(f, &r, "handleNotification", req, HOLD_WRITE_LOCK);
	json_decref(req);
	authenticate_on(f, r.other, &b, "RETRY-R-2");
	race_finish(&r);
	assert_int_equal(r.rep.http_status, 204);
	orsp_smdp_reply_free(&r.rep);
	free(r.body);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'installed'"),
	                 1);
	dl_free(&a);
	dl_free(&b);
}

/* The installation result of delivered session A waits for the write lock of its
 * transaction while another process cancels A's order (to Unavailable: delivered, it may not
 * become Available): the transaction reads A again, finds it ended by the cancel and records
 * `session ended`; the profile stays Unavailable. */
static void test_cancel_racing_old_result(void **state)
{
	fx *f = *state;
	static dl a;
	race r;
	json_t *req;
	orsp_smdp *keep = f->s;

	download_all(f, &a, "CANCEL-R-1");
	req = pir_request(f, &a, true, false);
	race_start(f, &r, "handleNotification", req, HOLD_WRITE_LOCK);
	json_decref(req);
	f->s = r.other;
	assert_int_equal(orsp_smdp_cancel_order(f->s, f->prof.iccid, EID, "CANCEL-R-1", false),
	                 ORSP_OK);
	f->s = keep;
	race_finish(&r);
	assert_int_equal(r.rep.http_status, 204);
	orsp_smdp_reply_free(&r.rep);
	free(r.body);
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_notification WHERE result ="
	                             " 'installed, order cancelled'"),
	                 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 4"
	                             " AND success = 1"),
	                 1);
	dl_free(&a);
}

/* In the retry B (an order with a confirmation code, Downloaded when B read it), a request
 * with a wrong code held before its code check while another request of B with the right
 * code binds anew: the check finds the order moved on (one more download counted), reads
 * again and takes it as a new binding of a session that gave the code, not asked again (it
 * was asked, 8.2.7/3.8, counted: a Downloaded order looks the same before and after its new
 * binding). */
static void test_retry_cc_racing_binding(void **state)
{
	fx *f = *state;
	static dl a, b;
	race r;
	json_t *req, *rsp;

	retried(f, &a, &b, "RETRY-R-3", "1234", 0, false);
	req = gbpp_request(f, &b, "9999", true, false);
	race_start(f, &r, "getBoundProfilePackage", req, HOLD_CC_CHECK);
	json_decref(req);
	gbpp_on(f, r.other, gbpp_request(f, &b, "1234", true, false), NULL, 0);
	race_finish(&r);
	rsp = race_answer(&r);
	expect_ok(rsp);
	json_decref(rsp);
	assert_int_equal(download_attempts_of(f), 3);
	assert_int_equal(count_of(f, "SELECT cc_attempts FROM smdp_profile"), 0);
	dl_free(&a);
	dl_free(&b);
}

/* A request of session A with a wrong confirmation code held before the code check while the
 * operator cancels A's order (which ends A) and places it again under the same matching ID,
 * with the same code and a limit of one attempt, and confirms it: the new order is Released
 * with no package counted, as A saw its own. The check reads the session in its transaction
 * and finds it ended: 8.10.1/3.9, nothing counted on the new order (not Error). */
static void test_cancel_racing_cc(void **state)
{
	fx *f = *state;
	static dl a;
	race r;
	json_t *req, *rsp;
	orsp_smdp_order o = {0};
	orsp_smdp_profile p;

	order(f, EID, "CANCEL-CC-1", "1234");
	reinitiate(f, &a);
	authenticate(f, &a, "CANCEL-CC-1");
	req = gbpp_request(f, &a, "9999", true, false);
	race_start(f, &r, "getBoundProfilePackage", req, HOLD_CC_CHECK);
	json_decref(req);
	assert_int_equal(orsp_smdp_cancel_order(r.other, f->prof.iccid, EID, "CANCEL-CC-1", true),
	                 ORSP_OK);
	o.iccid = f->prof.iccid;
	o.eid = EID;
	o.matching_id = "CANCEL-CC-1";
	o.cc_limit = 1;
	assert_int_equal(orsp_smdp_download_order(r.other, &o, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(r.other, "CANCEL-CC-1", "1234", true), ORSP_OK);
	race_finish(&r);
	rsp = race_answer(&r);
	expect_fail(rsp, "8.10.1", "3.9");
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(count_of(f, "SELECT cc_attempts FROM smdp_profile"), 0);
	dl_free(&a);
}

/* The getBoundProfilePackage request req held at point while the order expires (from
 * another server process): 8.8.5/4.10, the order still Released (the background expiry
 * ends it). */
static void gbpp_as_order_expires(fx *f, json_t *req, int point)
{
	race r;

	race_start(f, &r, "getBoundProfilePackage", req, point);
	json_decref(req);
	assert_int_equal(
	    orsp_db_exec(orsp_smdp_db(r.other),
	                 "UPDATE smdp_profile SET expires_at = strftime('%s', 'now') - 5"),
	    ORSP_OK);
	race_finish(&r);
	expect_fail(race_answer(&r), "8.8.5", "4.10");
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
}

/* An order that expires while getBoundProfilePackage builds its package (checked before the
 * build) and waits for the write lock of its binding: not delivered after its expiry, the
 * binding's transaction reads the order again. 8.8.5/4.10, nothing counted, the profile
 * still Released (the background expiry ends it), the session ended. It was delivered and
 * Downloaded. */
static void test_expiry_racing_binding(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order(f, EID, "EXP-RACE-1", NULL);
	reinitiate(f, &d);
	authenticate(f, &d, "EXP-RACE-1");
	gbpp_as_order_expires(f, gbpp_request(f, &d, NULL, true, false), HOLD_WRITE_LOCK);
	assert_int_equal(download_attempts_of(f), 0);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 3"), 0);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, NULL, true, false), &http),
	    "8.10.1", "3.9");
	dl_free(&d);
}

/* The same with a confirmation code, the order expiring while the request with a wrong code
 * waits before its check: no attempt counted (a limit of one would put the order in Error,
 * and tell the operator the retries were exhausted), 8.8.5/4.10. */
static void test_expiry_racing_cc(void **state)
{
	fx *f = *state;
	static dl d;

	order(f, EID, "EXP-RACE-2", "1234");
	assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), "UPDATE smdp_profile SET cc_limit = 1"),
	                 ORSP_OK);
	reinitiate(f, &d);
	authenticate(f, &d, "EXP-RACE-2");
	gbpp_as_order_expires(f, gbpp_request(f, &d, "9999", true, false), HOLD_CC_CHECK);
	assert_int_equal(count_of(f, "SELECT cc_attempts FROM smdp_profile"), 0);
	dl_free(&d);
}

/* authenticateClient racing ES2+ cancelOrder in another server process: it reads the order,
 * and while it waits for the write lock the operator cancels the order (which ends the
 * sessions that exist, not this one, not written yet) and places it again under the same
 * matching ID for the same eUICC, now with a confirmation code. The session is not written
 * for the order placed again: 8.10.1/3.9, and the LPA starts over and meets the new order.
 * Before, it was written and delivered the new order, with the old order's ccRequiredFlag. */
static void test_auth_racing_cancel_order(void **state)
{
	fx *f = *state;
	static dl a, d;
	race r;
	json_t *req, *rsp;
	auth_opts o = {.mid = "AUTH-CO-1"};
	orsp_smdp_order ord = {0};
	int http;

	/* a first session, so that authenticateClient's first write is its session's */
	order(f, EID, "AUTH-CO-1", NULL);
	reinitiate(f, &a);
	authenticate(f, &a, "AUTH-CO-1");
	reinitiate(f, &d);
	req = auth_request(f, &d, &o);
	race_start(f, &r, "authenticateClient", req, HOLD_WRITE_LOCK);
	json_decref(req);
	assert_int_equal(orsp_smdp_cancel_order(r.other, f->prof.iccid, EID, "AUTH-CO-1", true),
	                 ORSP_OK);
	ord.iccid = f->prof.iccid;
	ord.eid = EID;
	ord.matching_id = "AUTH-CO-1";
	assert_int_equal(orsp_smdp_download_order(r.other, &ord, NULL), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(r.other, "AUTH-CO-1", "5678", true), ORSP_OK);
	race_finish(&r);
	rsp = race_answer(&r);
	expect_fail(rsp, "8.10.1", "3.9");
	assert_int_equal(step_of(f, &a), 4); /* ended by the cancel */
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 2"), 0);
	expect_fail(
	    call(f, "getBoundProfilePackage", gbpp_request(f, &d, "5678", true, false), &http),
	    "8.10.1", "3.9");
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	dl_free(&a);
	dl_free(&d);
}

/* A retry's authenticateClient (d) reads the Downloaded profile with one download of its
 * limit of 2 left, and while it waits for the write lock the delivered session's new binding
 * (another server process) uses that one up. The retry is not written: 8.10.1/3.9, and the
 * delivered session is not superseded (its newest package may be installed); the LPA
 * starting over is refused 8.8.5/6.4 and nothing is written. Before, the retry was written,
 * ended the delivered session, and its getBoundProfilePackage put the profile in Error. */
static void test_auth_retry_racing_rebind(void **state)
{
	fx *f = *state;
	static dl a, d, e;
	race r;
	json_t *req, *rsp;
	auth_opts o = {.mid = "AUTH-RB-1"};
	orsp_smdp_profile p;

	authenticated_session(f, &a, "AUTH-RB-1", NULL, 2);
	get_bpp(f, &a, NULL, true);
	reinitiate(f, &d);
	req = auth_request(f, &d, &o);
	race_start(f, &r, "authenticateClient", req, HOLD_WRITE_LOCK);
	json_decref(req);
	assert_int_equal(orsp_smdp_get(r.other, f->prof.iccid, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_rebind(r.other, &p, EID), ORSP_OK);
	race_finish(&r);
	rsp = race_answer(&r);
	expect_fail(rsp, "8.10.1", "3.9");
	assert_int_equal(step_of(f, &a), 3); /* still delivered, not superseded */
	assert_int_equal(download_attempts_of(f), 2);
	auth_refused(f, &e, "AUTH-RB-1", "8.8.5", "6.4");
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	pir_judged(f, &a, true, "installed");
	dl_free(&a);
	dl_free(&d);
	dl_free(&e);
}

/* cancelSession (postponed) racing this session's getBoundProfilePackage in another server
 * process: the cancel reads the session before the delivery and waits for the write lock
 * while the delivery commits. It ends the session as it is then, delivered: the profile goes
 * back to Released, not stranded in Downloaded by a cancel refused as unknown. */
static void test_cancel_racing_delivery(void **state)
{
	fx *f = *state;
	static dl d;
	race r;
	json_t *req, *rsp;

	authenticated_session(f, &d, "RACE-1", NULL, 0);
	req = cancel_request(f, &d, 1, OID, false);
	race_start(f, &r, "cancelSession", req, HOLD_WRITE_LOCK);
	json_decref(req);
	gbpp_on(f, r.other, gbpp_request(f, &d, NULL, true, false), NULL, 0);
	race_finish(&r);
	rsp = race_answer(&r);
	expect_ok(rsp);
	json_decref(rsp);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(download_attempts_of(f), 1);
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session WHERE step = 4"), 1);
	dl_free(&d);
}

/* The same getBoundProfilePackage sent twice at once (an LPA that timed out sends it again
 * while the first is still served, perhaps by another server process; download limit 1,
 * confirmation code code or none), the second held at point while the first delivers: it is
 * the same-key retry (SGP.22 §3.1.3.3), answered with the same package and counted
 * nowhere. */
static void same_key_held(fx *f, const char *mid, const char *code, int point)
{
	static dl d;
	static uint8_t first[64 * 1024];
	race r;
	json_t *req, *rsp;
	int http;

	authenticated_session(f, &d, mid, code, 1);
	assert_int_equal(d.cc_required, code != NULL);
	req = gbpp_request(f, &d, code, true, false);
	race_start(f, &r, "getBoundProfilePackage", req, point);
	d.bpp_len = gbpp_on(f, r.other, req, first, sizeof(first));
	race_finish(&r);
	rsp = race_answer(&r);
	assert_non_null(rsp);
	expect_ok(rsp);
	assert_int_equal(get_b64(rsp, "boundProfilePackage", d.bpp, sizeof(d.bpp)), d.bpp_len);
	assert_memory_equal(d.bpp, first, d.bpp_len);
	json_decref(rsp);
	check_bpp(f, &d);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(download_attempts_of(f), 1);
	assert_int_equal(new_bindings(f), 0);
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&d);
}

/* Both read the session before either binds, the second then waiting for the write lock:
 * it was a second binding counted as a new attempt, which with a download limit of 1 put the
 * delivered profile in Error (and its installation result was judged "profile not
 * downloaded"). */
static void test_gbpp_same_key_racing(void **state)
{
	same_key_held(*state, "SAME-1", NULL, HOLD_WRITE_LOCK);
}

/* The second read the session before the first delivered and the profile after: it took the
 * delivery for a new binding over the limit and put the profile it delivered in Error
 * (8.8.5/6.4). */
static void test_gbpp_same_key_late_profile_read(void **state)
{
	same_key_held(*state, "SAME-2", NULL, HOLD_PROFILE_READ);
}

/* The same with a confirmation code: the code was checked against the order already
 * delivered (8.2/3.7 "the order of this session has changed", final for the LPA). */
static void test_gbpp_same_key_late_cc(void **state)
{
	same_key_held(*state, "SAME-3", "1234", HOLD_PROFILE_READ);
}

/* The second read the profile (Released) and the session before the first delivered, and
 * checks the code after: the check finds the order delivered, and the second reads both again
 * instead of answering 8.2/3.7. */
static void test_gbpp_same_key_cc_after_delivery(void **state)
{
	same_key_held(*state, "SAME-4", "1234", HOLD_CC_CHECK);
}

/* Two getBoundProfilePackage of one session with two otPK.EUICC at once (confirmation code,
 * download limit 2), the second held at its profile read while the first delivers: it is a
 * new binding after that delivery, as if it came after it: counted on the profile, the code
 * not asked again (before, the code was checked against the delivered order: 8.2/1.2). */
static void test_gbpp_new_key_late_cc(void **state)
{
	fx *f = *state;
	static dl d;
	static uint8_t first[64 * 1024], second[64 * 1024];
	race r;
	json_t *rsp;
	size_t n;

	authenticated_session(f, &d, "NEWKEY-1", "1234", 2);
	rsp = gbpp_request(f, &d, "1234", true, false);
	race_start(f, &r, "getBoundProfilePackage", rsp, HOLD_PROFILE_READ);
	json_decref(rsp);
	n = gbpp_on(f, r.other, gbpp_request(f, &d, "1234", true, false), first, sizeof(first));
	race_finish(&r);
	rsp = race_answer(&r);
	assert_non_null(rsp);
	expect_ok(rsp);
	assert_true(get_b64(rsp, "boundProfilePackage", second, sizeof(second)) != n ||
	            memcmp(first, second, n) != 0);
	json_decref(rsp);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(download_attempts_of(f), 2);
	assert_int_equal(new_bindings(f), 1);
	assert_int_equal(count_of(f, "SELECT cc_attempts FROM smdp_profile"), 0);
	dl_free(&d);
}

/* A new binding of a delivered session (another otPK.EUICC) that passes the session's TTL
 * between the step's age check and the binding (held at its profile read meanwhile) is made,
 * but stores no one-time key: no request may bind with it again, and the sweep looks for keys
 * only among the sessions that came of age since its last search. (An undelivered session is
 * refused then: the binding's transaction reads it again with its age.) */
static void test_gbpp_late_binding_no_key(void **state)
{
	fx *f = *state;
	static dl d;
	race r;
	json_t *rsp;

	authenticated_session(f, &d, "LATE-1", NULL, 2);
	get_bpp(f, &d, NULL, true);
	assert_int_equal(kept_keys(f), 1);
	rsp = gbpp_request(f, &d, NULL, true, false);
	race_start(f, &r, "getBoundProfilePackage", rsp, HOLD_PROFILE_READ);
	json_decref(rsp);
	orsp_smdp_set_clock(f->s, time(NULL) + 700);
	race_finish(&r);
	rsp = race_answer(&r);
	assert_non_null(rsp);
	expect_ok(rsp);
	json_decref(rsp);
	orsp_smdp_set_clock(f->s, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	assert_int_equal(download_attempts_of(f), 2);
	assert_int_equal(kept_keys(f), 0);
	dl_free(&d);
}

/* What the watched getBoundProfilePackage answers when its session ended meanwhile: the
 * session is unknown, and the profile stays Released with its one attempt (limit 1), not put
 * in Error by a delivery counted over the limit for a session that no longer exists. */
static void expect_ended_untouched(fx *f, race *r)
{
	expect_fail(race_answer(r), "8.10.1", "3.9");
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	assert_int_equal(download_attempts_of(f), 1);
}

/* getBoundProfilePackage held at point while its session ends on other (the same request
 * sent again delivers, then cancelSession, postponed, puts the profile back in Released). */
static void session_ended_held(fx *f, const char *mid, int point)
{
	static dl d;
	race r;
	json_t *req;

	authenticated_session(f, &d, mid, NULL, 1);
	req = gbpp_request(f, &d, NULL, true, false);
	race_start(f, &r, "getBoundProfilePackage", req, point);
	gbpp_on(f, r.other, req, NULL, 0);
	cancel_on(f, &d, r.other);
	race_finish(&r);
	expect_ended_untouched(f, &r);
	dl_free(&d);
}

/* The session ends between the request's first read of the session and its read of the
 * profile. */
static void test_gbpp_session_ended_before_profile_read(void **state)
{
	session_ended_held(*state, "ENDED-1", HOLD_PROFILE_READ);
}

/* With a confirmation code: the request held before its profile read, with a wrong code,
 * while the same session delivers (the right code) and is cancelled: it reads the session
 * again before checking the code and answers 8.10.1/3.9, counting no code attempt for the
 * session that ended (the shortcut that skips the second read is for orders without a
 * code only). */
static void test_gbpp_session_ended_cc(void **state)
{
	fx *f = *state;
	static dl d;
	race r;
	json_t *req;

	authenticated_session(f, &d, "ENDED-CC", "1234", 1);
	req = gbpp_request(f, &d, "9999", true, false);
	race_start(f, &r, "getBoundProfilePackage", req, HOLD_PROFILE_READ);
	json_decref(req); /* race_start keeps its text */
	gbpp_on(f, r.other, gbpp_request(f, &d, "1234", true, false), NULL, 0);
	cancel_on(f, &d, r.other);
	race_finish(&r);
	expect_ended_untouched(f, &r);
	assert_int_equal(count_of(f, "SELECT cc_attempts FROM smdp_profile"), 0);
	dl_free(&d);
}

/* The same, the session ending while the request, its checks passed and its package built,
 * waits for the write lock of its binding's transaction: that transaction reads the session
 * again and finds it ended (before, it delivered on the Released profile, the attempt over
 * the limit put it in Error: 8.8.5/6.4). */
static void test_gbpp_session_ended_before_binding(void **state)
{
	session_ended_held(*state, "ENDED-2", HOLD_WRITE_LOCK);
}

/* A new binding over the download limit (limit 1, delivered once) waits for the write lock
 * while a cancelSession (postponed) of its session commits: it answers as for a session that
 * ended and leaves the profile Released; before, its refusal, decided before the lock,
 * put the profile the cancel had just released in Error (8.8.5/6.4). */
static void test_gbpp_over_limit_cancel_racing(void **state)
{
	fx *f = *state;
	static dl d;
	race r;
	json_t *req;

	authenticated_session(f, &d, "ENDED-3", NULL, 1);
	get_bpp(f, &d, NULL, true);
	req = gbpp_request(f, &d, NULL, true, false);
	race_start(f, &r, "getBoundProfilePackage", req, HOLD_WRITE_LOCK);
	json_decref(req);
	cancel_on(f, &d, r.other);
	race_finish(&r);
	expect_ended_untouched(f, &r);
	dl_free(&d);
}

/* The rsp module is EXTENSIBILITY IMPLIED (X.680 §52): the fields a later version adds after
 * the ones the SM-DP+ knows (v3's otherCertsInChain [0] after eumCertificate, others after a
 * signature or an error code) are skipped, each a well-formed TLV, and the answer is taken as
 * it is without them, its signature checked over the bytes received; one cut short, or a
 * known field again, is still refused (1.2/2.1). */
static void test_extensions_skipped(void **state)
{
	fx *f = *state;
	static dl d, e;
	/* otherCertsInChain [0] { SEQUENCE }, then a field of a tag of more octets */
	static const uint8_t ext[] = {0xA0, 0x02, 0x30, 0x00, 0x9F, 0x20, 0x01, 0xAA};
	/* in an error answer, where [0] is the transactionId's tag: [5], then the same */
	static const uint8_t err_ext[] = {0x85, 0x00, 0x9F, 0x20, 0x01, 0xAA};
	static const uint8_t tid_again[] = {0xA0, 0x00};   /* [0] in the other form */
	static const uint8_t cut[] = {0x85, 0x02, 0x00};   /* two octets said, one given */
	static const uint8_t code2[] = {0x02, 0x01, 0x01}; /* the error code again */
	auth_opts o;
	gbpp_opts go;
	json_t *rsp;
	int http;

	order(f, EID, "EXT-1", NULL);
	reinitiate(f, &d);
	/* AuthenticateResponseError: answered as without the field (8.1/4.2), nothing written */
	expect_fail(call(f, "authenticateClient",
	                 error_request_ext(&d, 0xBF38, "authenticateServerResponse", d.tid,
	                                   d.tid_len, err_ext, sizeof(err_ext)),
	                 &http),
	            "8.1", "4.2");
	expect_fail(call(f, "authenticateClient",
	                 error_request_ext(&d, 0xBF38, "authenticateServerResponse", d.tid,
	                                   d.tid_len, tid_again, sizeof(tid_again)),
	                 &http),
	            "1.2", "2.1");
	expect_fail(call(f, "authenticateClient",
	                 error_request_ext(&d, 0xBF38, "authenticateServerResponse", d.tid,
	                                   d.tid_len, cut, sizeof(cut)),
	                 &http),
	            "1.2", "2.1");
	expect_fail(call(f, "authenticateClient",
	                 error_request_ext(&d, 0xBF38, "authenticateServerResponse", d.tid,
	                                   d.tid_len, code2, sizeof(code2)),
	                 &http),
	            "1.2", "2.1");
	/* AuthenticateResponseOk: a field cut short, the EUM certificate again */
	o = (auth_opts){.mid = "EXT-1", .ext = cut, .ext_len = sizeof(cut)};
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1");
	o = (auth_opts){.mid = "EXT-1", .ext = f->cert_eum, .ext_len = f->cert_eum_len};
	expect_fail_is(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	               "invalid request data: authenticateResponseOk");
	assert_int_equal(count_of(f, SESSIONS), 0);
	o = (auth_opts){.mid = "EXT-1", .ext = ext, .ext_len = sizeof(ext)};
	authenticate_with(f, &d, &o);
	assert_int_equal(step_of(f, &d), 2);
	/* PrepareDownloadResponseOk: cut short refused, else the package is bound */
	go = (gbpp_opts){.ext = cut, .ext_len = sizeof(cut)};
	expect_fail(call(f, "getBoundProfilePackage",
	                 gbpp_request_with(f, &d, NULL, true, false, &go), &http),
	            "1.2", "2.1");
	go = (gbpp_opts){.ext = ext, .ext_len = sizeof(ext)};
	rsp = call(f, "getBoundProfilePackage", gbpp_request_with(f, &d, NULL, true, false, &go),
	           &http);
	expect_ok(rsp);
	d.bpp_len = get_b64(rsp, "boundProfilePackage", d.bpp, sizeof(d.bpp));
	asn1_ok(&asn_DEF_BoundProfilePackage, d.bpp, d.bpp_len);
	json_decref(rsp);
	assert_int_equal(state_of(f), ORSP_SMDP_DOWNLOADED);
	/* CancelSessionResponseOk (postponed): cut short refused, else the profile is released */
	expect_fail(call(f, "cancelSession",
	                 cancel_request_ext(f, &d, 1, OID, false, cut, sizeof(cut)), &http),
	            "1.2", "2.1");
	rsp = call(f, "cancelSession", cancel_request_ext(f, &d, 1, OID, false, ext, sizeof(ext)),
	           &http);
	expect_ok(rsp);
	json_decref(rsp);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	/* PrepareDownloadResponseError before delivery: ends the session as without the field */
	reinitiate(f, &e);
	authenticate(f, &e, "EXT-1");
	expect_fail(call(f, "getBoundProfilePackage",
	                 error_request_ext(&e, 0xBF21, "prepareDownloadResponse", e.tid, e.tid_len,
	                                   code2, sizeof(code2)),
	                 &http),
	            "1.2", "2.1");
	assert_int_equal(step_of(f, &e), 2);
	expect_fail(call(f, "getBoundProfilePackage",
	                 error_request_ext(&e, 0xBF21, "prepareDownloadResponse", e.tid, e.tid_len,
	                                   err_ext, sizeof(err_ext)),
	                 &http),
	            "8.1", "4.2");
	assert_int_not_equal(step_of(f, &e), 2);
	dl_free(&d);
	dl_free(&e);
}

/* An AuthenticateResponseError (unsigned) is answered 8.1/4.2 (eUICC: execution error; not
 * 8.1/4.8, insufficient memory) and writes nothing: no session
 * row, and the transactionId still serves the eUICC's signed answer. */
static void test_authenticate_error_writes_nothing(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	order(f, EID, "AERR-1", NULL);
	reinitiate(f, &d);
	expect_fail(call(f, "authenticateClient",
	                 error_request(&d, 0xBF38, "authenticateServerResponse"), &http),
	            "8.1", "4.2");
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 0);
	authenticate(f, &d, "AERR-1");
	assert_int_equal(count_of(f, "SELECT count(*) FROM es9p_session"), 1);
	dl_free(&d);
}

/* ---------------------------------------------------------------- profile policy rules -- */

/* The fixture package's StoreMetadataRequest for FQDN as the SM-DP+ built it before it could
 * set PPRs (captured from that code): ICCID, serviceProviderName "GSMA_TEST", profileName,
 * notificationConfigurationInfo naming FQDN. A profile without PPRs keeps these bytes. */
#define META_TS48_HEAD                                                                             \
	"5A0A98001032547698103214910947534D415F54455354921F47534D412047656E6572696320655549434320" \
	"546573742050726F66696C65"
#define META_TS48_NOTIF                                                                            \
	"B621301F800204F0811974657374736D6470706C7573312E6578616D706C652E"                         \
	"636F6D"
#define META_TS48_BODY META_TS48_HEAD META_TS48_NOTIF
#define META_TS48 "BF255B" META_TS48_BODY

static void expect_meta(const dl *d, const char *hex)
{
	uint8_t want[4096];
	size_t n = 0;
	assert_int_equal(orsp_hex_decode(hex, want, sizeof(want), &n), ORSP_OK);
	assert_int_equal(d->meta_len, n);
	assert_memory_equal(d->meta, want, n);
}

/* Without PPRs the metadata is the same as before, byte for byte (and so is the BPP's). */
static void test_metadata_without_ppr(void **state)
{
	fx *f = *state;
	static dl d;

	download_all(f, &d, "META-1");
	expect_meta(&d, META_TS48);
	dl_free(&d);
}

/* The fields of metadata m decoded by the RSPDefinitions codec: profileOwner's mccMnc
 * (3 bytes), gid1 and gid2 (hex, "" when absent), profilePolicyRules's octet and unused bits. */
static void expect_policy(const uint8_t *m, size_t n, const char *mcc_mnc_hex, const char *gid1,
                          const char *gid2, uint8_t bits, int unused)
{
	StoreMetadataRequest_t *v = NULL;
	char hex[80];
	asn_dec_rval_t r = ber_decode(NULL, &asn_DEF_StoreMetadataRequest, (void **)&v, m, n);

	assert_int_equal(r.code, RC_OK);
	assert_int_equal(r.consumed, n);
	assert_non_null(v->profileOwner);
	assert_int_equal(v->profileOwner->mccMnc.size, 3);
	assert_int_equal(orsp_hex_encode(v->profileOwner->mccMnc.buf, 3, hex, sizeof(hex)),
	                 ORSP_OK);
	assert_string_equal(hex, mcc_mnc_hex);
	if (gid1[0]) {
		assert_non_null(v->profileOwner->gid1);
		assert_int_equal(orsp_hex_encode(v->profileOwner->gid1->buf,
		                                 (size_t)v->profileOwner->gid1->size, hex,
		                                 sizeof(hex)),
		                 ORSP_OK);
		assert_string_equal(hex, gid1);
	} else
		assert_null(v->profileOwner->gid1);
	if (gid2[0]) {
		assert_non_null(v->profileOwner->gid2);
		assert_int_equal(orsp_hex_encode(v->profileOwner->gid2->buf,
		                                 (size_t)v->profileOwner->gid2->size, hex,
		                                 sizeof(hex)),
		                 ORSP_OK);
		assert_string_equal(hex, gid2);
	} else
		assert_null(v->profileOwner->gid2);
	assert_non_null(v->profilePolicyRules);
	assert_int_equal(v->profilePolicyRules->size, 1);
	assert_int_equal(v->profilePolicyRules->buf[0], bits);
	assert_int_equal(v->profilePolicyRules->bits_unused, unused);
	ASN_STRUCT_FREE(asn_DEF_StoreMetadataRequest, v);
}

/* PPR1 and PPR2 set at import: the metadata is the one without PPRs followed by profileOwner
 * (MCC 001 MNC 01: the IMSI 001010123456789 with EF.AD's 2-digit MNC, no GIDs: EF.GID1/2 are
 * 'FFFF') and profilePolicyRules (bits 1 and 2: '05 60'), in the order of the SEQUENCE's
 * fields; the BPP's StoreMetadataRequest is the same; the profile installs. */
static void test_metadata_ppr(void **state)
{
	fx *f = *state;
	static dl d;
	int http;

	download_all(f, &d, "META-PPR");
	expect_meta(&d, "BF2566" META_TS48_BODY "B705800300F110"
	                "99020560");
	expect_policy(d.meta, d.meta_len, "00f110", "", "", 0x60, 5);
	assert_null(call(f, "handleNotification", pir_request(f, &d, true, false), &http));
	assert_int_equal(http, 204);
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
	dl_free(&d);
}

/* euiccInfo2.forbiddenProfilePolicyRules (PprIds): an eUICC that forbids a rule the profile
 * has (PPR1 and PPR2 here) is not eligible, 8.2.5/4.3 naming the rules, audited and reported
 * as other refusals, the order kept (its LPA would otherwise cancel with pprNotAllowed, which
 * ends the order in Error); rules the profile does not have are no reason; a value that is
 * not a BIT STRING is 1.2/2.1. */
static void test_forbidden_ppr(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o;
	static const struct {
		const char *bits;
		size_t len;
		const char *named;
	} forbid[] = {
	    {"\x06\x40", 2, "has ppr1, which the eUICC forbids"},
	    {"\x05\x20", 2, "has ppr2, which"},
	    {"\x04\x70", 2, "has ppr1,ppr2, which"}, /* with ppr3 */
	};

	order(f, EID, "PPR-F", NULL);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(forbid); i++) {
		reinitiate(f, &d);
		o = (auth_opts){.mid = "PPR-F",
		                .forbidden_ppr = forbid[i].bits,
		                .forbidden_ppr_len = forbid[i].len};
		expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http),
		                "8.2.5", "4.3", forbid[i].named);
		/* the transactionId is used up, as for every refusal of a verified answer */
		expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.10.1",
		            "3.9");
	}
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_audit WHERE action = 'ineligible'"
	                             " AND detail LIKE '%forbiddenProfilePolicyRules%'"),
	                 3);
	assert_int_equal(count_of(f, "SELECT count(*) FROM smdp_progress WHERE point_id = 1 AND"
	                             " subject_code = '8.2.5' AND reason_code = '4.3' AND"
	                             " detail LIKE '%forbiddenProfilePolicyRules%'"),
	                 3);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	/* more than 7 unused bits: not a BIT STRING */
	reinitiate(f, &d);
	o = (auth_opts){
	    .mid = "PPR-F", .forbidden_ppr = "\x08\x80", .forbidden_ppr_len = 2, .not_asn1 = true};
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1",
	                "forbiddenProfilePolicyRules");
	/* pprUpdateControl and ppr3 forbidden, none of the profile's rules: accepted */
	o = (auth_opts){.mid = "PPR-F", .forbidden_ppr = "\x04\x90", .forbidden_ppr_len = 2};
	auth_accepted(f, &d, &o);
}

/* A profile without PPRs is no concern of an eUICC that forbids them all. */
static void test_forbidden_ppr_none(void **state)
{
	fx *f = *state;
	auth_opts o = {.mid = "PPR-N", .forbidden_ppr = "\x04\xF0", .forbidden_ppr_len = 2};

	order(f, EID, "PPR-N", NULL);
	auth_accepted(f, NULL, &o);
}

/* PPR1 on a copy of the package with a GID1 ('BA01') and a 3-digit MNC in EF.AD: the owner
 * carries MCC 001 MNC 010 ('00 01 10') and the GID1, no GID2 (EF.GID2 is 'FFFF'); PPR1
 * alone is bit 1: '06 40'. */
static void test_metadata_ppr_gid(void **state)
{
	fx *f = *state;
	static dl d;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	orsp_smdp_import_opts o = {.ppr = ORSP_SMDP_PPR1};
	uint8_t *der = NULL;
	size_t der_len = 0, tail_len = 0;
	uint8_t tail[16];

	assert_int_equal(orsp_pkg_decode(f->upp, f->upp_len, &pkg), ORSP_OK);
	orsp_pkg_perso_init(&p);
	p.iccid = "89000123456789012358";
	p.imsi = "001010000000777";
	p.mnc_len = 3;
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &der, &der_len), ORSP_OK);
	orsp_pkg_free(pkg);
	test_patch_der(der, der_len, "6f3e8b036f0604800102a5008302ffff",
	               "6f3e8b036f0604800102a5008302ba01");
	assert_int_equal(orsp_smdp_import_with(f->s, der, der_len, &o, &f->prof), ORSP_OK);
	free(f->upp); /* check_bpp compares the package with this one */
	f->upp = malloc(der_len);
	assert_non_null(f->upp);
	memcpy(f->upp, der, der_len);
	f->upp_len = der_len;
	orsp_pkg_buf_free(der, der_len);

	download_all(f, &d, "META-GID");
	assert_int_equal(
	    orsp_hex_decode("B70980030001108102BA0199020640", tail, sizeof(tail), &tail_len),
	    ORSP_OK);
	assert_true(d.meta_len > tail_len);
	assert_memory_equal(d.meta + d.meta_len - tail_len, tail, tail_len);
	expect_policy(d.meta, d.meta_len, "000110", "ba01", "", 0x40, 6);
	dl_free(&d);
}

/* The profileClass [21] of metadata m decoded by the RSPDefinitions codec; -1 when absent. */
static long class_of(const uint8_t *m, size_t n)
{
	StoreMetadataRequest_t *v = NULL;
	asn_dec_rval_t r = ber_decode(NULL, &asn_DEF_StoreMetadataRequest, (void **)&v, m, n);
	long cls = -1;

	assert_int_equal(r.code, RC_OK);
	assert_int_equal(r.consumed, n);
	if (v->profileClass)
		cls = *v->profileClass;
	ASN_STRUCT_FREE(asn_DEF_StoreMetadataRequest, v);
	return cls;
}

/* A class set at import: profileClass [21] after profileName and before
 * notificationConfigurationInfo ('95 01 00' for test), alone or with PPRs (then profileOwner
 * and profilePolicyRules after it, in the SEQUENCE's order); the BPP's StoreMetadataRequest
 * is the same bytes; without a class there is none (test_metadata_without_ppr). */
static void test_metadata_class(void **state)
{
	fx *f = *state;
	static dl d;

	download_all(f, &d, "META-CLASS");
	expect_meta(&d, "BF255E" META_TS48_HEAD "950100" META_TS48_NOTIF);
	assert_int_equal(class_of(d.meta, d.meta_len), 0);
	dl_free(&d);
}

/* A test profile goes only to an eUICC whose rspCapability has testProfileSupport (SGP.21
 * TPRO1): without it 8.2.5/4.3 and the order stays Released (it was delivered, the eUICC
 * refused to install it and the order went to Error); an rspCapability that is not DER is
 * 1.2/2.1. An operational profile does not read it (test_metadata_class_operational). */
static void test_test_profile_support(void **state)
{
	fx *f = *state;
	static dl d;
	int http;
	auth_opts o = {.mid = "TEST-CLASS", .rsp_cap = "\x06\xC0", .rsp_cap_len = 2};

	order(f, EID, "TEST-CLASS", NULL);
	reinitiate(f, &d);
	expect_fail_msg(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "8.2.5",
	                "4.3", "no testProfileSupport");
	reinitiate(f, &d);
	o.rsp_cap = "\x04\xD1"; /* a padding bit set */
	o.not_asn1 = true;
	expect_fail(call(f, "authenticateClient", auth_request(f, &d, &o), &http), "1.2", "2.1");
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	reinitiate(f, &d);
	authenticate(f, &d, "TEST-CLASS");
	dl_free(&d);
}

/* operational is profileClass's DEFAULT: DER leaves it out (X.690 §11.5), so the metadata is
 * that of a profile without a class */
static void test_metadata_class_operational(void **state)
{
	fx *f = *state;
	static dl d;

	download_all(f, &d, "META-CLASS-OP");
	expect_meta(&d, META_TS48);
	assert_int_equal(class_of(d.meta, d.meta_len), -1);
	dl_free(&d);
}

static void test_metadata_class_ppr(void **state)
{
	fx *f = *state;
	static dl d;

	download_all(f, &d, "META-CLASS-PPR");
	expect_meta(&d, "BF2569" META_TS48_HEAD "950101" META_TS48_NOTIF "B705800300F110"
	                "99020560");
	assert_int_equal(class_of(d.meta, d.meta_len), 1);
	expect_policy(d.meta, d.meta_len, "00f110", "", "", 0x60, 5);
	dl_free(&d);
}

/* a failed assertion returns before the test's own test_ossl_fail_at(0) */
static int teardown_ossl(void **state)
{
	test_ossl_fail_at(0);
	return teardown(state);
}

int main(void)
{
	/* before OpenSSL's first allocation, or it refuses */
	if (!test_ossl_alloc_install())
		return 1;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_full_download, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_authenticate_out_of_memory, setup, teardown_ossl),
	    cmocka_unit_test_setup_teardown(test_authenticate_chain_out_of_memory, setup,
	                                    teardown_ossl),
	    cmocka_unit_test_setup_teardown(test_metadata_without_ppr, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metadata_ppr, setup_ppr, teardown),
	    cmocka_unit_test_setup_teardown(test_forbidden_ppr, setup_ppr, teardown),
	    cmocka_unit_test_setup_teardown(test_forbidden_ppr_none, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metadata_ppr_gid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_metadata_class, setup_class, teardown),
	    cmocka_unit_test_setup_teardown(test_test_profile_support, setup_class, teardown),
	    cmocka_unit_test_setup_teardown(test_metadata_class_operational,
	                                    setup_class_operational, teardown),
	    cmocka_unit_test_setup_teardown(test_metadata_class_ppr, setup_class_ppr, teardown),
	    cmocka_unit_test_setup_teardown(test_notification_migration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_attempts_migration, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_newer_es9p_untouched, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_smdp_other_eid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_smdp_cc_restart, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_retry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_retry_flushes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_kept_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_build_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_failure_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_disk_full, setup_faulty, teardown),
	    cmocka_unit_test_setup_teardown(test_authenticate_failure_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_cc_failure_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_hash_cc_not_left_on_stack, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_initiate_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_ci_lists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_authenticate_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_matching_id_nul, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_matching_id_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eligibility, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_device_info, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_platform_policy, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eligibility_services, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certificate_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_certificate_codes, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_revocation, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_signature_not_judged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_not_released, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_download_retry_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_download_limit_after_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_download_limit_parallel_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_download_limit_failure_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_session_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_cc_exhausted_keeps_other, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_download_limit_released, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_two_euiccs_one_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_eid_check_digits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reordered_profile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_late_pir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cc_of_current_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_second_pir, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_same_key_after_installed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pir_of_ended_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_order_downloaded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_result_after_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_failure_after_cancel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_result_after_cancel_no_reports, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_order_ends_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_available_after_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_racing_old_result, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_across_sessions, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_default_smdp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_other_eid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_limit, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_limit_keeps_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_old_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_expired_then_earlier_fails, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_lapsed_after_earlier_failure, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_chain_lapsed_after_earlier_failure, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_lapsed_new_retry_decides, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_superseded_delivery_waits, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_cancelled_after_earlier_failure, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_download_error_after_earlier_failure, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_delivered_after_earlier_failure, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_reopened_after_earlier_failure, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_earlier_failure_then_cancel_order, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_cc_exhausted_keeps_earlier, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_reject_keeps_earlier, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_kept_then_earlier_fails_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_kept_then_earlier_fails_reject, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_old_success, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pir_sent_again, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_old_success_after_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopened_at_limit_keeps_earlier, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopened_rejection_keeps_earlier, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reopened_cc_exhausted_keeps_earlier, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_reopen_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_old_failure_after_reopen, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_old_failure_after_install, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_cancel_keeps_other, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_failure_keeps_other, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_failures_both, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_cancel_both, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_reject_keeps_other, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_parallel_ppr_then_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_ends_parallel, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_failure_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_after_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_postponed_after_expiry_keeps_earlier, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_postponed_after_expiry_alone, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_postponed_before_expiry_keeps_earlier, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_reopened_past_expiry_operator_refused, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_retry_racing_old_binding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_racing_old_result, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_cc_racing_binding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_racing_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_racing_binding, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_racing_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_racing_cancel_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_auth_retry_racing_rebind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_failure_injection, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_download_error_after_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_postponed_after_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_postponed_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_racing_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_same_key_racing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_same_key_late_profile_read, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_same_key_late_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_same_key_cc_after_delivery, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_new_key_late_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_late_binding_no_key, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_session_ended_before_profile_read, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_session_ended_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_session_ended_before_binding, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_over_limit_cancel_racing, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_after_ttl, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_authenticate_error_writes_nothing, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_ppr_not_allowed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unbound_reports_name_eid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unbound_cc_report_names_eid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unverified_bounded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_es9p_refusal_flushed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_gbpp_order_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_expired_after_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_expired_clock_behind, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_order_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_default_order_cancelled_after_expiry, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_order_cancelled_after_expiry, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_without_reason, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_error_answer, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_result_after_keyset_removed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keysets_reordered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keysets_sharing_hint, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_trusted_cis_reordered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sessions_across_rekey, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_keyset_removed_index_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tid_old_form, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pir_no_session, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pir_no_session_retried, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pir_iccid_exists, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pir_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_other_notification_checks, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_seq_reused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notification_event_der, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_notification_seq_range, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_error_answers_checked, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_extensions_skipped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_pir_storage_failure, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_session_retention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancelled_session_retention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancelled_session_lapses, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tid_time_wraps, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_tid_ahead_noted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_forgets_keys, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_kept_read_once, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_sweep_kept_profile_gone, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
