/* End to end: `openrsp lpa`'s library against the real parties. The SM-DP+ is the ES9+
 * handler module (orsp_es9p_handle) behind an orsp_http_server, with the SGP.26 test keys
 * (DPauth, DPpb under the SGP.26 NIST CI) and the GSMA TS.48 v7 profile imported and ordered;
 * the eUICC is the software eUICC core in a sealed directory (orsp_euicc_host) provisioned with
 * the SGP.26 test eUICC identity, reached through the local transport. Download -> installed
 * (disabled) -> enable -> notifications delivered and removed; the SM-DP+ records each
 * notification after checking the eUICC's signature. A package whose answer is lost (the
 * profile Downloaded at the SM-DP+, nothing on the eUICC) is downloaded again with the same
 * activation code, as the eUICC's retry. Negative: a wrong matching ID, a wrong
 * confirmation code (eUICC unchanged both times), a CC order, and deletion. Profile Policy
 * Rules: a profile the operator imported with PPR1 and PPR2 (the software eUICC's RAT allows
 * them for any operator with consent) is postponed with nobody to consent, installed with consent
 * (and the eUICC then enforces PPR1), and ends the order when consent is refused; an SM-DP+
 * that shows the profile without them and puts them into the package is refused before the
 * eUICC gets any of it. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/http.h"
#include "openrsp/lpa.h"
#include "openrsp/pkg.h"
#include "openrsp/smdp.h"
#include "openrsp/store.h"
#include "testutil.h"

#define FQDN "testsmdpplus1.example.com"
#define OID "2.999.10"
#define EID "89049032123451234512345678901235"
#define UPP_FILE "saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der"

typedef struct fx {
	char db[1200], dir[1200];
	orsp_secret kek;
	orsp_smdp *s;
	orsp_smdp_service svc;
	orsp_smdp_profile prof;
	orsp_http_server *srv;
	char base[64];
	orsp_lpa_route route;
	orsp_lpa_server server;
	orsp_lpa_transport t;
	orsp_lpa_card c;
	int fail_gbpp; /* answer this many getBoundProfilePackage with 503 (server trouble) */
	/* lose this many getBoundProfilePackage answers after the SM-DP+ served them (503 to
	 * the LPA: the network dropped), and this many cancelSession requests before the
	 * SM-DP+ gets them */
	int lose_gbpp, lose_cancel;
	/* lose this many handleNotification requests before the SM-DP+ gets them (503: it was
	 * killed after the load, the installation result stays on the eUICC) */
	int lose_notification;
	int edit_bpp;  /* what to do to the BPP getBoundProfilePackage answers (BPP_*) */
	bool bad_sig2; /* authenticateClient's smdpSignature2 altered: PrepareDownload fails */
	bool package_anyway; /* getBoundProfilePackage answers a package whatever happened */
	/* DER fields (hex) the SM-DP+ adds to the profile's metadata once authenticateClient
	 * has shown it, before it builds the BPP: a package with other metadata than shown */
	const char *meta_after_auth;
	/* the cancelSessionResponse of the last cancelSession request the SM-DP+ got */
	uint8_t csr[512];
	size_t csr_len;
} fx;

static void metadata_add(fx *f, const char *extra_hex);

enum { BPP_AS_IS, BPP_BAD_SMDP_SIGN, BPP_NOT_BF36 };

/* The BPP of a getBoundProfilePackage answer changed as f->edit_bpp says (a faulty SM-DP+). */
static void edit_bpp(fx *f, orsp_smdp_reply *r)
{
	json_t *j = NULL;
	uint8_t *b = NULL;
	size_t bl = 0;
	char *out = NULL;
	size_t ol = 0;
	orsp_tlv top, iscr;
	orsp_reader rr;

	assert_int_equal(orsp_json_parse(r->body, r->body_len, 1 << 24, &j), ORSP_OK);
	assert_int_equal(orsp_json_get_base64_alloc(j, "boundProfilePackage", 1 << 22, &b, &bl),
	                 ORSP_OK);
	if (f->edit_bpp == BPP_BAD_SMDP_SIGN) {
		/* one bit of BF23's last field, the smdpSign signature */
		assert_int_equal(orsp_der_parse_one(orsp_slice_make(b, bl), &top), ORSP_OK);
		orsp_reader_init(&rr, top.value.p, top.value.len);
		assert_int_equal(orsp_der_expect(&rr, 0xBF23, &iscr), ORSP_OK);
		b[(size_t)(iscr.raw.p - b) + iscr.raw.len - 1] ^= 1;
	} else if (f->edit_bpp == BPP_NOT_BF36) {
		b[0] = 0x30;
		b[1] = 0x00;
		bl = 2;
	}
	assert_int_equal(orsp_json_put_base64(j, "boundProfilePackage", b, bl), ORSP_OK);
	assert_int_equal(orsp_json_dump(j, &out, &ol), ORSP_OK);
	free(r->body);
	r->body = out;
	r->body_len = ol;
	json_decref(j);
	free(b);
}

/* The answer r altered as f says: one bit of smdpSignature2 (an SM-DP+ whose signature the
 * eUICC refuses in PrepareDownload), or, to getBoundProfilePackage, a success with a package
 * whatever the handler answered (an SM-DP+ that sends one after the eUICC's error). */
static void edit_answer(fx *f, const char *fn, orsp_smdp_reply *r)
{
	json_t *j = NULL;
	uint8_t *b = NULL;
	size_t bl = 0, ol = 0;
	char *out = NULL;

	if (f->bad_sig2 && !strcmp(fn, "authenticateClient") && r->body) {
		assert_int_equal(orsp_json_parse(r->body, r->body_len, 1 << 24, &j), ORSP_OK);
		assert_int_equal(orsp_json_get_base64_alloc(j, "smdpSignature2", 1024, &b, &bl),
		                 ORSP_OK);
		b[bl - 1] ^= 1;
		assert_int_equal(orsp_json_put_base64(j, "smdpSignature2", b, bl), ORSP_OK);
	} else if (f->package_anyway && !strcmp(fn, "getBoundProfilePackage")) {
		j = json_object();
		assert_non_null(j);
		assert_int_equal(orsp_json_header_put_success(j), ORSP_OK);
		assert_int_equal(orsp_json_put_base64(j, "boundProfilePackage",
		                                      (const uint8_t *)"\xBF\x36\x00", 3),
		                 ORSP_OK);
		r->http_status = 200;
	} else {
		return;
	}
	assert_int_equal(orsp_json_dump(j, &out, &ol), ORSP_OK);
	free(r->body);
	r->body = out;
	r->body_len = ol;
	json_decref(j);
	free(b);
}

static orsp_err es9p(void *ctx, const orsp_http_request *req, orsp_http_response *resp)
{
	fx *f = ctx;
	orsp_smdp_reply r = {0};
	const char *fn = strrchr(req->path, '/') + 1;
	orsp_err e;
	if (f->fail_gbpp > 0 && strcmp(fn, "getBoundProfilePackage") == 0) {
		f->fail_gbpp--;
		return orsp_http_response_set_body(resp, 503, NULL, NULL, 0);
	}
	if (f->lose_cancel > 0 && strcmp(fn, "cancelSession") == 0) {
		f->lose_cancel--;
		return orsp_http_response_set_body(resp, 503, NULL, NULL, 0);
	}
	if (f->lose_notification > 0 && strcmp(fn, "handleNotification") == 0) {
		f->lose_notification--;
		return orsp_http_response_set_body(resp, 503, NULL, NULL, 0);
	}
	if (strcmp(fn, "cancelSession") == 0) {
		json_t *j = NULL;
		f->csr_len = 0;
		if (!orsp_json_parse(req->body, req->body_len, 65536, &j) &&
		    orsp_json_get_base64(j, "cancelSessionResponse", f->csr, sizeof(f->csr),
		                         &f->csr_len))
			f->csr_len = 0;
		json_decref(j);
	}
	if (f->meta_after_auth && strcmp(fn, "getBoundProfilePackage") == 0) {
		metadata_add(f, f->meta_after_auth);
		f->meta_after_auth = NULL;
	}
	e = orsp_es9p_handle(&f->svc, f->s, fn, req->body, req->body_len, &r);
	if (!e && f->lose_gbpp > 0 && strcmp(fn, "getBoundProfilePackage") == 0) {
		f->lose_gbpp--;
		orsp_smdp_reply_free(&r);
		return orsp_http_response_set_body(resp, 503, NULL, NULL, 0);
	}
	if (!e && f->edit_bpp && r.body && strcmp(fn, "getBoundProfilePackage") == 0)
		edit_bpp(f, &r);
	if (!e)
		edit_answer(f, fn, &r);
	if (!e)
		e = orsp_http_response_set_body(
		    resp, r.http_status, r.body ? "application/json" : NULL, r.body, r.body_len);
	if (!e)
		e = orsp_http_response_add_header(resp, "X-Admin-Protocol", "gsma/rsp/v2.2.0");
	orsp_smdp_reply_free(&r);
	return e;
}

static void order(fx *f, const char *mid, const char *cc)
{
	orsp_smdp_order o = {0};
	o.iccid = f->prof.iccid;
	o.eid = EID;
	o.matching_id = mid;
	assert_int_equal(orsp_smdp_download_order(f->s, &o, &f->prof), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(f->s, f->prof.matching_id, cc, true), ORSP_OK);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &f->prof), ORSP_OK);
}

/* The fixture with the TS.48 profile imported with the options o (NULL: none). */
static int setup_with(void **state, const orsp_smdp_import_opts *o)
{
	static const char *const fns[] = {"initiateAuthentication", "authenticateClient",
	                                  "getBoundProfilePackage", "handleNotification",
	                                  "cancelSession"};
	static char paths[5][64];
	fx *f = calloc(1, sizeof(*f));
	orsp_http_route routes[5];
	orsp_http_server_config cfg = {0};
	orsp_euicc_identity id = {0};
	uint8_t *sk, *ce, *cm, *ci, *upp;
	size_t skl, cel, cml, cil, uppl;

	assert_non_null(f);
	/* SM-DP+ */
	snprintf(f->db, sizeof(f->db), "%s/smdp.db", test_tmpdir("lpa_e2e"));
	remove(f->db);
	f->kek.len = 32;
	memset(f->kek.v, 0x42, 32);
	assert_int_equal(orsp_smdp_open(f->db, &f->kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(f->s), ORSP_OK);
	upp = test_read_vector(UPP_FILE, &uppl);
	assert_non_null(upp);
	assert_int_equal(orsp_smdp_import_with(f->s, upp, uppl, o, &f->prof), ORSP_OK);
	free(upp);
	snprintf(f->svc.fqdn, sizeof(f->svc.fqdn), "%s", FQDN);
	snprintf(f->svc.oid, sizeof(f->svc.oid), "%s", OID);
	f->svc.sets[0].ci = test_load_cert("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	f->svc.sets[0].dpauth_cert = test_load_cert("sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
	f->svc.sets[0].dpauth_key = test_load_key("sgp26/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem");
	f->svc.sets[0].dppb_cert = test_load_cert("sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der");
	f->svc.sets[0].dppb_key = test_load_key("sgp26/DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem");
	f->svc.n_sets = 1;
	assert_int_equal(orsp_ci_store_new(&f->svc.cis), ORSP_OK);
	assert_int_equal(orsp_ci_store_add(f->svc.cis, f->svc.sets[0].ci), ORSP_OK);
	for (int i = 0; i < 5; i++) {
		snprintf(paths[i], sizeof(paths[i]), "/gsma/rsp2/es9plus/%s", fns[i]);
		routes[i] = (orsp_http_route){"POST", paths[i], es9p, f};
	}
	cfg.routes = routes;
	cfg.n_routes = 5;
	cfg.threads = 1; /* the handlers share one database handle */
	assert_int_equal(orsp_http_server_start(&cfg, &f->srv), ORSP_OK);
	snprintf(f->base, sizeof(f->base), "http://127.0.0.1:%u", orsp_http_server_port(f->srv));
	f->route.fqdn = FQDN;
	f->route.base_url = f->base;
	f->server.routes = &f->route;
	f->server.n_routes = 1;
	f->server.insecure = true; /* plain HTTP */

	/* eUICC: the SGP.26 test identity in a sealed directory */
	snprintf(f->dir, sizeof(f->dir), "%s/euicc", test_tmpdir("lpa_e2e"));
	sk = test_read_vector("sgp26/eUICC/SK_EUICC_ECDSA_NIST.pem", &skl);
	ce = test_read_vector("sgp26/eUICC/CERT_EUICC_ECDSA_NIST.der", &cel);
	cm = test_read_vector("sgp26/EUM/CERT_EUM_ECDSA_NIST.der", &cml);
	ci = test_read_vector("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der", &cil);
	assert_true(sk && ce && cm && ci);
	id.eid = EID;
	id.sk_euicc = orsp_slice_make(sk, skl);
	id.cert_euicc = orsp_slice_make(ce, cel);
	id.cert_eum = orsp_slice_make(cm, cml);
	id.ci_certs[0] = orsp_slice_make(ci, cil);
	id.n_ci = 1;
	{
		char cmd[1300];
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", f->dir);
		assert_int_equal(system(cmd), 0);
	}
	assert_int_equal(orsp_euicc_host_create(f->dir, &id), ORSP_OK);
	orsp_wipe(sk, skl);
	free(sk);
	free(ce);
	free(cm);
	free(ci);
	assert_int_equal(orsp_lpa_transport_local(f->dir, &f->t), ORSP_OK);
	assert_int_equal(orsp_lpa_card_open(&f->c, &f->t), ORSP_OK);
	*state = f;
	return 0;
}

static int setup(void **state)
{
	return setup_with(state, NULL);
}

/* The operator imported the profile with PPR1 and PPR2 (`smdp profile import --ppr
 * ppr1,ppr2`): its metadata names them and its owner, MCC 001 MNC 01 from the IMSI. */
static int setup_test_class(void **state)
{
	static const orsp_smdp_import_opts o = {.profile_class = ORSP_PKG_CLASS_TEST};
	return setup_with(state, &o);
}

static int setup_provisioning_class(void **state)
{
	static const orsp_smdp_import_opts o = {.profile_class = ORSP_PKG_CLASS_PROVISIONING};
	return setup_with(state, &o);
}

static int setup_ppr(void **state)
{
	static const orsp_smdp_import_opts o = {.ppr = ORSP_SMDP_PPR1 | ORSP_SMDP_PPR2};
	return setup_with(state, &o);
}

static int teardown(void **state)
{
	fx *f = *state;
	orsp_lpa_card_close(&f->c);
	orsp_lpa_transport_close(&f->t);
	orsp_http_server_stop(f->srv, 1000);
	orsp_smdp_close(f->s);
	orsp_cert_free(f->svc.sets[0].ci);
	orsp_cert_free(f->svc.sets[0].dpauth_cert);
	orsp_ec_free(f->svc.sets[0].dpauth_key);
	orsp_cert_free(f->svc.sets[0].dppb_cert);
	orsp_ec_free(f->svc.sets[0].dppb_key);
	orsp_ci_store_free(f->svc.cis);
	free(f);
	return 0;
}

static orsp_err download_at(fx *f, const char *fqdn, const char *mid, const char *cc,
                            char iccid[21])
{
	char acs[200];
	orsp_lpa_ac ac;
	orsp_lpa_download_opts o = {0};
	orsp_err e;

	snprintf(acs, sizeof(acs), "LPA:1$%s$%s", fqdn, mid);
	assert_int_equal(orsp_lpa_ac_parse(acs, &ac), ORSP_OK);
	o.ac = &ac;
	o.cc = cc;
	o.server = &f->server;
	e = orsp_lpa_download(&f->c, &o, iccid);
	if (e)
		fprintf(stderr, "download: %s\n", orsp_err_detail());
	return e;
}

static orsp_err download(fx *f, const char *mid, const char *cc, char iccid[21])
{
	return download_at(f, FQDN, mid, cc, iccid);
}

/* The profile's metadata at the SM-DP+ with the DER fields extra_hex appended (profileOwner,
 * profilePolicyRules), patched into its cached row (es9p_metadata), from which the SM-DP+
 * builds both authenticateClient's profileMetadata and the BPP's StoreMetadataRequest: an
 * SM-DP+ whose metadata changes between the two (test_e2e_bpp_metadata_mismatch). The PPRs of
 * a profile are otherwise set at its import (setup_ppr). */
static void metadata_add(fx *f, const char *extra_hex)
{
	orsp_db *db = orsp_smdp_db(f->s);
	orsp_stmt *st = NULL;
	bool row = false;
	uint8_t old[4096], out[4200], extra[64];
	size_t old_len = 0, extra_len = 0;
	orsp_tlv t;
	orsp_writer w;
	orsp_der_mark m;

	assert_int_equal(orsp_es9p_warm(&f->svc, f->s, f->prof.iccid), ORSP_OK);
	assert_int_equal(orsp_db_prepare(db,
	                                 "SELECT metadata FROM es9p_metadata WHERE iccid = ?1 AND"
	                                 " fqdn = ?2",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_bind_text(st, 1, f->prof.iccid), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_text(st, 2, FQDN), ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	{
		orsp_slice b = orsp_stmt_column_blob(st, 0);
		assert_true(b.len <= sizeof(old));
		memcpy(old, b.p, b.len);
		old_len = b.len;
	}
	orsp_stmt_finalize(st);
	assert_int_equal(orsp_der_parse_one(orsp_slice_make(old, old_len), &t), ORSP_OK);
	assert_int_equal(t.tag, 0xBF25);
	assert_int_equal(orsp_hex_decode(extra_hex, extra, sizeof(extra), &extra_len), ORSP_OK);
	orsp_writer_init(&w, out, sizeof(out));
	m = orsp_der_begin(&w, 0xBF25);
	orsp_write_bytes(&w, t.value.p, t.value.len);
	orsp_write_bytes(&w, extra, extra_len);
	orsp_der_end(&w, m);
	assert_int_equal(orsp_writer_status(&w), ORSP_OK);
	assert_int_equal(orsp_db_prepare(db,
	                                 "UPDATE es9p_metadata SET metadata = ?1 WHERE iccid = ?2"
	                                 " AND fqdn = ?3",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_bind_blob(st, 1, out, w.len), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_text(st, 2, f->prof.iccid), ORSP_OK);
	assert_int_equal(orsp_stmt_bind_text(st, 3, FQDN), ORSP_OK);
	assert_int_equal(orsp_stmt_run(st), ORSP_OK);
	orsp_stmt_finalize(st);
}

static size_t smdp_notifications(fx *f, const char *event)
{
	size_t n = 0;
	assert_int_equal(orsp_es9p_notification_count(f->s, f->prof.iccid, event, &n), ORSP_OK);
	return n;
}

/* How many profiles the eUICC holds. */
static size_t euicc_profiles(fx *f)
{
	static orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	size_t n = 0;
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	return n;
}

/* How many notifications the eUICC holds. */
static size_t euicc_notifications(fx *f)
{
	static orsp_lpa_notification no[ORSP_LPA_MAX_NOTIFICATIONS];
	size_t n = 0;
	assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_LPA_MAX_NOTIFICATIONS, &n),
	                 ORSP_OK);
	return n;
}

/* The state at the SM-DP+ of the order with matching ID mid. */
static orsp_smdp_state order_state(fx *f, const char *mid)
{
	orsp_smdp_profile sp;
	assert_int_equal(orsp_smdp_lookup(f->s, mid, &sp), ORSP_OK);
	return sp.state;
}

/* A download of the fixture's order fails with e and the message detail, and the eUICC holds
 * no profile; iccid gets what the download gave. */
static void download_fails(fx *f, orsp_err e, const char *detail, char iccid[21])
{
	assert_int_equal(download(f, f->prof.matching_id, NULL, iccid), e);
	assert_string_equal(orsp_err_detail(), detail);
	assert_int_equal(euicc_profiles(f), 0);
}

/* A download of the fixture's order installs its profile. */
static void download_installs(fx *f)
{
	char iccid[21];
	assert_int_equal(download(f, f->prof.matching_id, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, f->prof.iccid);
}

/* The state at the SM-DP+ of the fixture's profile. */
static orsp_smdp_state profile_state(fx *f)
{
	orsp_smdp_profile sp;
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	return sp.state;
}

static void test_e2e(void **state)
{
	fx *f = *state;
	char eid[33], iccid[21];
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	orsp_lpa_notification no[ORSP_LPA_MAX_NOTIFICATIONS];
	size_t n = 0, sent = 0;

	assert_int_equal(orsp_lpa_get_eid(&f->c, eid), ORSP_OK);
	assert_string_equal(eid, EID);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);

	/* a matching ID the SM-DP+ does not know: refused, nothing installed; the SM-DP+ ended
	 * its session when it refused (its answer to cancelSession: unknown transactionId), so
	 * the session is gone on both sides */
	order(f, NULL, NULL);
	assert_int_equal(download(f, "NOT-THE-RIGHT-ONE", NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "SM-DP+ refused authenticateClient (Failed 8.2.6/3.8 matching ID "
	                    "refused): the matching ID is unknown or already used: ask the "
	                    "operator for a new activation code (session cancelled)");
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);

	/* the real download */
	assert_int_equal(download(f, f->prof.matching_id, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, f->prof.iccid);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(p[0].iccid, f->prof.iccid);
	assert_false(p[0].enabled);
	/* the installation result reached the SM-DP+ and left the eUICC */
	assert_int_equal(smdp_notifications(f, "install"), 1);
	assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_LPA_MAX_NOTIFICATIONS, &n),
	                 ORSP_OK);
	assert_int_equal(n, 0);

	/* enable: a notification for the SM-DP+, delivered by process */
	assert_int_equal(orsp_lpa_enable(&f->c, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_true(p[0].enabled);
	assert_int_equal(orsp_lpa_enable(&f->c, iccid), ORSP_E_STATE); /* already enabled */
	assert_string_equal(orsp_err_detail(),
	                    "the profile is enabled already (profileNotInDisabledState)");
	assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_LPA_MAX_NOTIFICATIONS, &n),
	                 ORSP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(no[0].event, "enable");
	assert_string_equal(no[0].address, FQDN);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	assert_int_equal(smdp_notifications(f, "enable"), 1);
	assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_LPA_MAX_NOTIFICATIONS, &n),
	                 ORSP_OK);
	assert_int_equal(n, 0);

	/* nickname (SGP.22 counts its 64 in characters: 64 four-byte ones fit, and come back
	 * whole; 65, a control character or a byte that is not UTF-8 do not), disable, delete */
	{
		char nick[4 * 65 + 1] = "";
		for (int i = 0; i < 64; i++)
			strcat(nick, "\xF0\x9F\x98\x80"); /* U+1F600 */
		assert_int_equal(orsp_lpa_set_nickname(&f->c, iccid, nick), ORSP_OK);
		assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
		assert_string_equal(p[0].nickname, nick);
		strcat(nick, "a");
		assert_int_equal(orsp_lpa_set_nickname(&f->c, iccid, nick), ORSP_E_USAGE);
		assert_string_equal(orsp_err_detail(), "65 characters, at most 64");
		assert_int_equal(orsp_lpa_set_nickname(&f->c, iccid, "a\x1b[2J"), ORSP_E_USAGE);
		assert_string_equal(orsp_err_detail(), "control character U+001B at byte 2");
		assert_int_equal(orsp_lpa_set_nickname(&f->c, iccid, "\xC3"), ORSP_E_USAGE);
		assert_string_equal(orsp_err_detail(), "not UTF-8 at byte 1");
		/* a C1 control, well-formed UTF-8, and a cut sequence after a character */
		assert_int_equal(orsp_lpa_nickname_check("ab\xC2\x9B"), ORSP_E_USAGE);
		assert_string_equal(orsp_err_detail(), "control character U+009B at byte 3");
		assert_int_equal(orsp_lpa_nickname_check("\xC3\xA9\xF0\x9F\x98"), ORSP_E_USAGE);
		assert_string_equal(orsp_err_detail(), "not UTF-8 at byte 3");
		assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
		assert_int_equal((int)strlen(p[0].nickname), 256); /* unchanged by the refusals */
	}
	assert_int_equal(orsp_lpa_set_nickname(&f->c, iccid, "e2e"), ORSP_OK);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_string_equal(p[0].nickname, "e2e");
	assert_int_equal(orsp_lpa_delete(&f->c, iccid), ORSP_E_STATE); /* enabled: not deletable */
	assert_string_equal(orsp_err_detail(),
	                    "the profile is enabled: disable it first (profileNotInDisabledState)");
	assert_int_equal(orsp_lpa_disable(&f->c, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_disable(&f->c, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "the profile is disabled already (profileNotInEnabledState)");
	assert_int_equal(orsp_lpa_delete(&f->c, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, 2);
	assert_int_equal(smdp_notifications(f, "disable"), 1);
	assert_int_equal(smdp_notifications(f, "delete"), 1);
}

/* Notifications of a genuine eUICC about a profile this SM-DP+ delivered to another EID (or
 * never had) are recorded as such and not accepted: the order is bound to another eUICC
 * here, as if this one held a copy. */
static void test_e2e_foreign_notifications(void **state)
{
	fx *f = *state;
	char iccid[21];
	size_t sent = 0;
	orsp_db *db = orsp_smdp_db(f->s);
	orsp_stmt *st = NULL;
	bool row = false;

	order(f, NULL, NULL);
	assert_int_equal(download(f, f->prof.matching_id, NULL, iccid), ORSP_OK);
	assert_int_equal(orsp_db_exec(db, "UPDATE smdp_profile SET eid ="
	                                  " '89049032123451234512345678908801'"),
	                 ORSP_OK);
	assert_int_equal(orsp_lpa_enable(&f->c, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	assert_int_equal(smdp_notifications(f, "enable"), 0);
	/* and one about a profile it never had */
	assert_int_equal(orsp_db_exec(db, "UPDATE smdp_profile SET iccid = '89000000000000000000'"),
	                 ORSP_OK);
	assert_int_equal(orsp_lpa_disable(&f->c, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	assert_int_equal(orsp_db_prepare(db,
	                                 "SELECT group_concat(event || ':' || result, ',') FROM"
	                                 " (SELECT event, result FROM es9p_notification"
	                                 " WHERE event <> 'install' ORDER BY id)",
	                                 &st),
	                 ORSP_OK);
	assert_int_equal(orsp_stmt_step(st, &row), ORSP_OK);
	assert_true(row);
	assert_string_equal(orsp_stmt_column_text(st, 0),
	                    "enable:profile of another eUICC,disable:unknown profile");
	orsp_stmt_finalize(st);
}

/* A full notification list: the eUICC refuses the next enable (it must record its
 * notification and has no room), the LPA's message says so and what to do, and once the
 * notifications are delivered the enable goes through. */
static void test_e2e_notifications_full(void **state)
{
	fx *f = *state;
	char iccid[21];
	size_t sent = 0, pending = 0;
	orsp_lpa_notification no[ORSP_LPA_MAX_NOTIFICATIONS];
	orsp_err e;

	order(f, NULL, NULL);
	assert_int_equal(download(f, f->prof.matching_id, NULL, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	for (;;) {
		assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_ARRAY_LEN(no), &pending),
		                 ORSP_OK);
		if (pending == ORSP_EUICC_MAX_NOTIFICATIONS)
			break;
		assert_int_equal(pending % 2 == 0 ? orsp_lpa_enable(&f->c, iccid)
		                                  : orsp_lpa_disable(&f->c, iccid),
		                 ORSP_OK);
	}
	/* 16 pending, the profile disabled: enabling it needs a 17th */
	e = orsp_lpa_enable(&f->c, iccid);
	assert_int_equal(e, ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "undefinedError (127) with 16 notifications "
	                                          "pending (16 for " FQDN "): its notification "
	                                          "list likely has no room for this change's "
	                                          "notifications"));
	/* the command that delivers them, named as everywhere else */
	assert_non_null(strstr(orsp_err_detail(), "deliver them (`openrsp lpa notification "
	                                          "process`) or remove some"));
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, ORSP_EUICC_MAX_NOTIFICATIONS);
	assert_int_equal(orsp_lpa_enable(&f->c, iccid), ORSP_OK);
}

/* eUICCMemoryReset deletes the profile and leaves its delete notification, which reaches the
 * operator's SM-DP+; with the list full the reset is refused with the LPA's message and
 * changes nothing. */
static void test_e2e_memory_reset(void **state)
{
	fx *f = *state;
	char iccid[21];
	size_t sent = 0, pending = 0, n = 0;
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	orsp_lpa_notification no[ORSP_LPA_MAX_NOTIFICATIONS];
	orsp_err e;
	bool on = false;

	order(f, NULL, NULL);
	assert_int_equal(download(f, f->prof.matching_id, NULL, iccid), ORSP_OK);
	for (;;) {
		assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_ARRAY_LEN(no), &pending),
		                 ORSP_OK);
		if (pending == ORSP_EUICC_MAX_NOTIFICATIONS)
			break;
		assert_int_equal(
		    on ? orsp_lpa_disable(&f->c, iccid) : orsp_lpa_enable(&f->c, iccid), ORSP_OK);
		on = !on;
	}
	e = orsp_lpa_memory_reset(&f->c, ORSP_LPA_RESET_OPERATIONAL);
	assert_int_equal(e, ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "the eUICC answered undefinedError (127) with 16 "
	                                          "notifications pending"));
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, ORSP_EUICC_MAX_NOTIFICATIONS);
	assert_int_equal(smdp_notifications(f, "delete"), 0);

	assert_int_equal(orsp_lpa_memory_reset(&f->c, ORSP_LPA_RESET_OPERATIONAL), ORSP_OK);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_ARRAY_LEN(no), &pending), ORSP_OK);
	assert_int_equal(pending, 1);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	assert_int_equal(smdp_notifications(f, "delete"), 1);
	/* nothing left to delete */
	assert_int_equal(orsp_lpa_memory_reset(&f->c, ORSP_LPA_RESET_OPERATIONAL),
	                 ORSP_E_NOT_FOUND);
}

/* The class the operator set at import reaches the eUICC: a provisioning profile installs
 * as one (and a memory reset of operational profiles leaves it); a test profile is not
 * downloaded to openrsp's eUICC, which announces no testProfileSupport: the SM-DP+ refuses it
 * as not eligible (8.2.5/4.3) and the order stays Released (until session 55 it was
 * delivered, the eUICC refused it, unsupportedProfileClass, and the order went to Error);
 * nothing is installed. */
static void test_e2e_provisioning_class(void **state)
{
	fx *f = *state;
	char iccid[21];
	size_t n = 0;
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];

	order(f, NULL, NULL);
	assert_int_equal(download(f, f->prof.matching_id, NULL, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].profile_class, 1); /* provisioning */
	assert_int_equal(orsp_lpa_memory_reset(&f->c, ORSP_LPA_RESET_OPERATIONAL),
	                 ORSP_E_NOT_FOUND);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 1);
}

static void test_e2e_test_class(void **state)
{
	fx *f = *state;
	char iccid[21];
	size_t n = 0;
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];

	orsp_smdp_profile sp;

	order(f, NULL, NULL);
	assert_int_not_equal(download(f, f->prof.matching_id, NULL, iccid), ORSP_OK);
	if (!strstr(orsp_err_detail(), "no testProfileSupport"))
		fail_msg("'%s'", orsp_err_detail());
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_RELEASED);
}

static void test_e2e_cc(void **state)
{
	fx *f = *state;
	char iccid[21];
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	size_t n = 0;

	order(f, NULL, "12345678");
	/* wrong code: the SM-DP+ refuses getBoundProfilePackage; the session is cancelled and
	 * the eUICC holds no profile */
	assert_int_equal(download(f, f->prof.matching_id, "87654321", iccid), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "session cancelled"));
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
	/* the right code */
	assert_int_equal(download(f, f->prof.matching_id, "12345678", iccid), ORSP_OK);
	assert_string_equal(iccid, f->prof.iccid);
}

/* An activation code whose SM-DP+ address differs from the server's own only in case: the
 * SM-DP+ signs its own spelling in serverSigned1, which the LPA accepts (addresses compare
 * without case), and the profile is installed. */
static void test_e2e_address_case(void **state)
{
	fx *f = *state;
	char iccid[21];

	order(f, NULL, NULL);
	assert_int_equal(
	    download_at(f, "TestSMDPplus1.EXAMPLE.com", f->prof.matching_id, NULL, iccid), ORSP_OK);
	assert_string_equal(iccid, f->prof.iccid);
}

/* The reason of the last cancelSessionResponse the SM-DP+ got: BF41 { A0 {
 * euiccCancelSessionSigned 30 { 80 transactionId, 06 smdpOid, 82 reason }, 5F37 } }. */
static uint64_t csr_reason(const fx *f)
{
	orsp_tlv t, ok, sd, fl;
	orsp_reader r;
	uint64_t reason = 999;

	assert_int_equal(orsp_der_parse_one(orsp_slice_make(f->csr, f->csr_len), &t), ORSP_OK);
	assert_int_equal(t.tag, 0xBF41);
	assert_int_equal(orsp_der_parse_one(t.value, &ok), ORSP_OK);
	assert_int_equal(ok.tag, 0xA0);
	orsp_reader_init(&r, ok.value.p, ok.value.len);
	assert_int_equal(orsp_der_read(&r, &sd), ORSP_OK);
	orsp_reader_init(&r, sd.value.p, sd.value.len);
	while (orsp_reader_remaining(&r) && !orsp_der_read(&r, &fl))
		if (fl.tag == 0x82)
			assert_int_equal(orsp_der_uint(fl.value, &reason), ORSP_OK);
	return reason;
}

/* The SM-DP+ fails in the middle of a download (getBoundProfilePackage answers 503): the LPA
 * cancels the session with undefinedReason (127, signed by the eUICC: euiccCancelSessionSigned
 * reason 82 01 7F; postponed until session 70, as if the End User had put it off), nothing is
 * installed, the order stays downloadable; the retry with the same activation code installs
 * exactly one profile. */
static void test_e2e_server_trouble(void **state)
{
	fx *f = *state;
	char iccid[21];
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	orsp_smdp_profile sp;
	size_t n = 0;

	order(f, "RETRY-1", NULL);
	f->fail_gbpp = 1;
	assert_int_not_equal(download(f, "RETRY-1", NULL, iccid), ORSP_OK);
	assert_non_null(strstr(orsp_err_detail(), "session cancelled"));
	assert_int_equal(csr_reason(f), 127);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_RELEASED);
	assert_int_equal(download(f, "RETRY-1", NULL, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_INSTALLED);
	assert_int_equal(smdp_notifications(f, "install"), 1);
	/* and the same activation code cannot install it twice */
	assert_int_not_equal(download(f, "RETRY-1", NULL, iccid), ORSP_OK);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 1);
}

/* The getBoundProfilePackage answer is lost after the SM-DP+ delivered the package (the
 * network drops, and the LPA's cancelSession does not get through either): nothing on the
 * eUICC, the profile Downloaded at the SM-DP+. The LPA starts over with the same activation
 * code: the SM-DP+ takes the new session as the eUICC's retry (it refused it, 8.2/1.2, and
 * the profile stayed Downloaded for good), binds anew, and the eUICC installs the profile,
 * once. */
static void test_e2e_lost_package(void **state)
{
	fx *f = *state;
	char iccid[21];
	orsp_smdp_profile sp;

	order(f, "LOST-1", NULL);
	f->lose_gbpp = 1;
	f->lose_cancel = 1;
	assert_int_not_equal(download(f, "LOST-1", NULL, iccid), ORSP_OK);
	assert_int_equal(euicc_profiles(f), 0);
	assert_int_equal(profile_state(f), ORSP_SMDP_DOWNLOADED);
	download_installs(f);
	assert_int_equal(euicc_profiles(f), 1);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_INSTALLED);
	assert_int_equal(sp.download_attempts, 2);
	assert_int_equal(smdp_notifications(f, "install"), 1);
	/* and not a second time */
	assert_int_not_equal(download(f, "LOST-1", NULL, iccid), ORSP_OK);
	assert_int_equal(euicc_profiles(f), 1);
}

/* The eUICC's transport of the killed download: the process dies (kill -9) at the kill_at-th
 * STORE DATA APDU from the first of LoadBoundProfilePackage on, a block of an '86' segment. */
static orsp_lpa_transport killed_inner;
static int kill_at, bpp_apdus;

static orsp_err kill_transmit(void *user, const uint8_t *capdu, size_t n, uint8_t *rapdu,
                              size_t cap, size_t *rlen)
{
	if (n > 6 && capdu[1] == 0xE2 && (bpp_apdus || (capdu[5] == 0xBF && capdu[6] == 0x36)) &&
	    ++bpp_apdus == kill_at)
		kill(getpid(), SIGKILL);
	return killed_inner.transmit(user, capdu, n, rapdu, cap, rlen);
}

/* One request to the SM-DP+'s HTTP server and its answer (a 404), from this thread: ThreadSanitizer
 * takes a socket's write and read for a release and an acquire, so the server's handler thread
 * and this one then see each other's uses of the one store handle f->s in order (a download of
 * this process does the same; one in a forked child does not, and TSan reported a race between
 * order() here and the handler's authenticateClient). */
static void server_round_trip(fx *f)
{
	static const char req[] = "GET /sync HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
	struct sockaddr_in a = {.sin_family = AF_INET,
	                        .sin_port = htons(orsp_http_server_port(f->srv))};
	char buf[512];
	int fd = socket(AF_INET, SOCK_STREAM, 0);

	assert_true(fd >= 0);
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(send(fd, req, sizeof(req) - 1, 0), (ssize_t)(sizeof(req) - 1));
	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	close(fd);
}

/* The process running the LPA with the eUICC in-process (`openrsp lpa --euicc local:DIR`, or
 * `euicc serve` under it) killed with SIGKILL in the middle of the package's '86' segments:
 * after the restart the eUICC holds no profile and the interruption PIR {loadProfileElements
 * (5), installFailedDueToInterruption (11)}, which `lpa notification process` delivers; the
 * SM-DP+ takes it (handleNotification) and the order ends in Error, as after a card reset at
 * that point. Until session 74 nothing was pending after the restart and the order stayed
 * Downloaded until its expiry. */
static void test_e2e_killed_in_load(void **state)
{
	fx *f = *state;
	char iccid[21];
	static orsp_lpa_notification no[ORSP_LPA_MAX_NOTIFICATIONS];
	size_t sent = 0, n = 0;
	int status = 0;
	pid_t pid;

	order(f, "KILL-1", NULL);
	server_round_trip(f);
	killed_inner = f->t;
	kill_at = 40;
	bpp_apdus = 0;
	fflush(NULL);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		orsp_lpa_transport t = f->t;
		t.transmit = kill_transmit;
		if (orsp_lpa_card_open(&f->c, &t) == ORSP_OK)
			(void)download(f, "KILL-1", NULL, iccid);
		_exit(4); /* never killed */
	}
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFSIGNALED(status));
	assert_int_equal(WTERMSIG(status), SIGKILL);
	server_round_trip(f); /* after the handler's uses of f->s for the child's requests */
	assert_int_equal(profile_state(f), ORSP_SMDP_DOWNLOADED);

	/* the restart */
	orsp_lpa_card_close(&f->c);
	orsp_lpa_transport_close(&f->t);
	assert_int_equal(orsp_lpa_transport_local(f->dir, &f->t), ORSP_OK);
	assert_int_equal(orsp_lpa_card_open(&f->c, &f->t), ORSP_OK);
	assert_int_equal(euicc_profiles(f), 0);
	assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_LPA_MAX_NOTIFICATIONS, &n),
	                 ORSP_OK);
	assert_int_equal(n, 1);
	assert_string_equal(no[0].event, "install");
	assert_string_equal(no[0].iccid, f->prof.iccid); /* past StoreMetadata */
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	assert_int_equal(euicc_notifications(f), 0);
	assert_int_equal(profile_state(f), ORSP_SMDP_ERROR);
}

/* A download of the order mid with the out fields of o (its ac and server set here). */
static orsp_err download_opts(fx *f, const char *mid, orsp_lpa_download_opts *o, char iccid[21])
{
	char acs[200];
	orsp_lpa_ac ac;
	orsp_err e;

	snprintf(acs, sizeof(acs), "LPA:1$%s$%s", FQDN, mid);
	assert_int_equal(orsp_lpa_ac_parse(acs, &ac), ORSP_OK);
	o->ac = &ac;
	o->server = &f->server;
	e = orsp_lpa_download(&f->c, o, iccid);
	if (e)
		fprintf(stderr, "download: %s\n", orsp_err_detail());
	o->ac = NULL;
	return e;
}

/* The SM-DP+'s profile is in state st with attempts download attempts counted. */
static void smdp_profile_is(fx *f, orsp_smdp_state st, unsigned attempts)
{
	orsp_smdp_profile sp;
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, st);
	assert_int_equal(sp.download_attempts, attempts);
}

/* The order mid downloaded with its installation result lost (the SM-DP+ killed after the
 * load: its first lose handleNotification answers lost): the profile installed on the eUICC,
 * its result pending there, Downloaded at the SM-DP+ after one download attempt. */
static void result_lost(fx *f, const char *mid, int lose)
{
	char iccid[21] = "";
	bool pending = false, already = false;
	orsp_lpa_download_opts o = {.result_pending = &pending, .already_installed = &already};

	order(f, mid, NULL);
	f->lose_notification = lose;
	assert_int_equal(download_opts(f, mid, &o, iccid), ORSP_OK);
	assert_string_equal(iccid, f->prof.iccid);
	assert_true(pending);
	assert_false(already);
	assert_int_equal(euicc_profiles(f), 1);
	assert_int_equal(euicc_notifications(f), 1);
	smdp_profile_is(f, ORSP_SMDP_DOWNLOADED, 1);
}

/* The same activation code again (the user's retry): *already and *delivered the
 * download's already_installed and results_delivered; its iccid compared when it succeeds. */
static orsp_err retry(fx *f, const char *mid, bool *already, size_t *delivered)
{
	char iccid[21] = "";
	bool pending = true;
	orsp_lpa_download_opts o = {.result_pending = &pending,
	                            .already_installed = already,
	                            .results_delivered = delivered};
	orsp_err e = download_opts(f, mid, &o, iccid);

	assert_false(pending);
	if (!e)
		assert_string_equal(iccid, f->prof.iccid);
	return e;
}

/* The installation result does not reach the SM-DP+, so the profile is installed on the
 * eUICC, Downloaded at the SM-DP+, and the result pending on the eUICC. The user downloads
 * again with the same activation code: the LPA finds the ICCID on the eUICC once
 * authenticateClient has shown it, cancels the session before anything is bound
 * (undefinedReason: the order stays as it was, no download attempt counted) and delivers the
 * pending result, which makes the profile Installed at the SM-DP+. Until session 72 each
 * retry bound a new package (a download attempt), which the eUICC refused (ErrorReason 9,
 * iccid already exists), until the order's download limit was reached with the profile
 * installed on the eUICC. */
static void test_e2e_retry_after_lost_result(void **state)
{
	fx *f = *state;
	bool already = false;
	size_t delivered = 0;

	result_lost(f, "PIR-LOST-1", 1);
	assert_int_equal(retry(f, "PIR-LOST-1", &already, &delivered), ORSP_OK);
	assert_true(already);
	assert_int_equal(delivered, 1);
	assert_int_equal(csr_reason(f), 127); /* undefinedReason */
	assert_int_equal(euicc_profiles(f), 1);
	assert_int_equal(euicc_notifications(f), 0);
	smdp_profile_is(f, ORSP_SMDP_INSTALLED, 1);
	assert_int_equal(smdp_notifications(f, "install"), 1);
}

/* As above, but the SM-DP+ does not take the result at the retry either (each of
 * notification_send's three tries lost): the download fails saying the profile is installed
 * and how to send its result, nothing bound, no attempt counted; `notification process` then
 * sends it. */
static void test_e2e_retry_result_undelivered(void **state)
{
	fx *f = *state;
	bool already = false;
	size_t delivered = 9, sent = 0;

	result_lost(f, "PIR-LOST-2", 1 + 3);
	assert_int_equal(retry(f, "PIR-LOST-2", &already, &delivered), ORSP_E_IO);
	assert_non_null(strstr(orsp_err_detail(), "the profile "));
	assert_non_null(strstr(orsp_err_detail(),
	                       " is already installed on this eUICC, nothing was downloaded "
	                       "(session cancelled); its installation result has not reached "
	                       "the SM-DP+ and could not be delivered now (`openrsp lpa "
	                       "notification process` sends it): notification "));
	assert_true(already);
	assert_int_equal(delivered, 0);
	assert_int_equal(euicc_notifications(f), 1);
	smdp_profile_is(f, ORSP_SMDP_DOWNLOADED, 1);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, 1);
	smdp_profile_is(f, ORSP_SMDP_INSTALLED, 1);
}

/* A result the eUICC no longer keeps (removed): nothing to deliver, so nothing the retry
 * could resume: it fails saying the SM-DP+ offered a profile the eUICC holds
 * (results_delivered 0), nothing bound; the SM-DP+ still has the profile Downloaded, its
 * attempts unchanged. Until session 74 it succeeded, which a hostile SM-DP+ offering an
 * installed profile's metadata for another order could use. */
static void test_e2e_retry_result_dropped(void **state)
{
	fx *f = *state;
	bool already = false;
	size_t delivered = 9, n = 0;
	orsp_lpa_notification no[ORSP_LPA_MAX_NOTIFICATIONS];

	result_lost(f, "PIR-LOST-3", 1);
	assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_LPA_MAX_NOTIFICATIONS, &n),
	                 ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(orsp_lpa_notification_remove(&f->c, no[0].seq), ORSP_OK);
	assert_int_equal(retry(f, "PIR-LOST-3", &already, &delivered), ORSP_E_STATE);
	if (!strstr(orsp_err_detail(), ", which this eUICC already holds; nothing downloaded "
	                               "(session cancelled)"))
		fail_msg("%s", orsp_err_detail());
	assert_int_equal(csr_reason(f), 127); /* undefinedReason */
	assert_true(already);
	assert_int_equal(delivered, 0);
	smdp_profile_is(f, ORSP_SMDP_DOWNLOADED, 1);
}

static bool refuse(void *arg, const orsp_lpa_profile *meta)
{
	(void)arg;
	assert_true(meta->iccid[0] != '\0');
	return false;
}

/* The user refuses the profile after seeing its metadata: the eUICC and the SM-DP+ both
 * cancel the session (endUserRejection); the order ends in Error at the SM-DP+. */
static void test_e2e_refused(void **state)
{
	fx *f = *state;
	char acs[200], iccid[21];
	orsp_lpa_ac ac;
	orsp_lpa_download_opts o = {0};
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	orsp_smdp_profile sp;
	size_t n = 0;

	order(f, "REFUSE-1", NULL);
	snprintf(acs, sizeof(acs), "LPA:1$%s$REFUSE-1", FQDN);
	assert_int_equal(orsp_lpa_ac_parse(acs, &ac), ORSP_OK);
	o.ac = &ac;
	o.server = &f->server;
	o.confirm = refuse;
	assert_int_equal(orsp_lpa_download(&f->c, &o, iccid), ORSP_E_POLICY);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_ERROR);
}

/* owner MCC 001 MNC 01 (the TS.48 profile's IMSI), PPR1 and PPR2: the fields the SM-DP+
 * writes for a profile imported with both rules */
#define OWNER_PPR12                                                                                \
	"B705800300F110"                                                                           \
	"99020560"

typedef struct consent_log {
	int calls;
	uint32_t ppr;
	bool answer;
} consent_log;

static bool consent(void *arg, const orsp_lpa_profile *meta, uint32_t ppr)
{
	consent_log *l = arg;
	assert_int_equal(meta->ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	l->calls++;
	l->ppr = ppr;
	return l->answer;
}

static orsp_err download_consent(fx *f, const char *mid, consent_log *l, char iccid[21])
{
	char acs[200];
	orsp_lpa_ac ac;
	orsp_lpa_download_opts o = {0};
	orsp_err e;

	snprintf(acs, sizeof(acs), "LPA:1$%s$%s", FQDN, mid);
	assert_int_equal(orsp_lpa_ac_parse(acs, &ac), ORSP_OK);
	o.ac = &ac;
	o.server = &f->server;
	o.consent = consent;
	o.arg = l;
	e = orsp_lpa_download(&f->c, &o, iccid);
	if (e)
		fprintf(stderr, "download: %s\n", orsp_err_detail());
	return e;
}

static orsp_err download_preconsent(fx *f, const char *mid, uint32_t ppr, char iccid[21])
{
	char acs[200];
	orsp_lpa_ac ac;
	orsp_lpa_download_opts o = {0};

	snprintf(acs, sizeof(acs), "LPA:1$%s$%s", FQDN, mid);
	assert_int_equal(orsp_lpa_ac_parse(acs, &ac), ORSP_OK);
	o.ac = &ac;
	o.server = &f->server;
	o.preconsent = ppr;
	return orsp_lpa_download(&f->c, &o, iccid);
}

/* PPR1 and PPR2 set by the operator at import: with nobody to ask, the download is postponed
 * (nothing installed, the order stays Released); with the end user's consent it installs
 * (the package's metadata is the one shown, or the LPA would refuse it), the eUICC keeps the
 * rules (GetProfilesInfo) and enforces PPR1. */
static void test_e2e_ppr(void **state)
{
	fx *f = *state;
	char iccid[21];
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	orsp_smdp_profile sp;
	consent_log l = {.answer = true};
	size_t n = 0;

	order(f, "PPR-1", NULL);
	assert_int_equal(download(f, "PPR-1", NULL, iccid), ORSP_E_USAGE);
	assert_non_null(strstr(orsp_err_detail(), "need the end user's consent"));
	assert_non_null(strstr(orsp_err_detail(), "(session cancelled)"));
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_RELEASED);
	/* consent given beforehand to PPR1 alone (--accept-ppr ppr1) and nobody to ask about
	 * PPR2: postponed as well, the order stays for the retry below */
	assert_int_equal(download_preconsent(f, "PPR-1", ORSP_LPA_PPR1, iccid), ORSP_E_USAGE);
	assert_string_equal(orsp_err_detail(),
	                    "this profile's policy rules PPR2 (no deletion) need the end user's "
	                    "consent: ask with --ask, or pre-authorise them with --accept-ppr "
	                    "(session cancelled)");
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_RELEASED);

	assert_int_equal(download_consent(f, "PPR-1", &l, iccid), ORSP_OK);
	assert_string_equal(iccid, f->prof.iccid);
	assert_int_equal(l.calls, 1);
	assert_int_equal(l.ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_INSTALLED);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	assert_int_equal(orsp_lpa_enable(&f->c, iccid), ORSP_OK);
	/* PPR1, enforced by openrsp's eUICC: the message names the way past it, which works */
	assert_int_equal(orsp_lpa_disable(&f->c, iccid), ORSP_E_POLICY);
	assert_non_null(strstr(orsp_err_detail(), "forbid disabling it (PPR1, disallowedByPolicy)"
	                                          ": only a memory reset of the eUICC's "
	                                          "operational profiles removes it (`openrsp lpa "
	                                          "chip reset --operational --yes`)"));
	assert_int_equal(orsp_lpa_memory_reset(&f->c, ORSP_LPA_RESET_OPERATIONAL), ORSP_OK);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
}

/* The end user refuses the PPRs: endUserRejection, nothing installed, the order ends in
 * Error at the SM-DP+. */
static void test_e2e_ppr_refused(void **state)
{
	fx *f = *state;
	char iccid[21];
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	orsp_smdp_profile sp;
	consent_log l = {.answer = false};
	size_t n = 0;

	order(f, "PPR-2", NULL);
	assert_int_equal(download_consent(f, "PPR-2", &l, iccid), ORSP_E_POLICY);
	assert_string_equal(orsp_err_detail(),
	                    "the profile's policy rules PPR1 (no disabling), "
	                    "PPR2 (no deletion) were refused (session cancelled)");
	assert_int_equal(l.calls, 1);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 0);
	assert_int_equal(orsp_smdp_get(f->s, f->prof.iccid, &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_ERROR);
}

/* Another profile of the template with its own ICCID and IMSI, imported, ordered for the EID
 * under matching ID mid and released. */
static void add_profile(fx *f, unsigned i, const char *mid)
{
	size_t n, ul = 0;
	uint8_t *tpl = test_read_vector(UPP_FILE, &n), *upp = NULL;
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso pp;
	orsp_smdp_profile p;
	orsp_smdp_order o = {0};
	char body[24], iccid[32], imsi[24];

	snprintf(body, sizeof(body), "8988247000000300%02u", i);
	snprintf(iccid, sizeof(iccid), "%s%d", body, orsp_luhn_digit(body, 18));
	snprintf(imsi, sizeof(imsi), "0010190000030%02u", i);
	orsp_pkg_perso_init(&pp);
	pp.iccid = iccid;
	pp.imsi = imsi;
	assert_int_equal(orsp_pkg_decode(tpl, n, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_personalise(pkg, &pp), ORSP_OK);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &upp, &ul), ORSP_OK);
	assert_int_equal(orsp_smdp_import(f->s, upp, ul, &p), ORSP_OK);
	o.iccid = p.iccid;
	o.eid = EID;
	o.matching_id = mid;
	assert_int_equal(orsp_smdp_download_order(f->s, &o, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_confirm_order(f->s, mid, NULL, true), ORSP_OK);
	orsp_pkg_buf_free(upp, ul);
	orsp_pkg_free(pkg);
	free(tpl);
}

/* A notification list with room for one more, not full: enabling a second profile while the
 * first is enabled records two (the first's disable, the second's enable), so the eUICC
 * refuses it; the LPA's message says that the list lacks room for this change's notifications
 * (it said "a full notification list" until session 72), for which SM-DP+ address they are,
 * and how to remove those of an SM-DP+ that keeps refusing them (until session 74 only
 * "remove some": one by one by seqNumber). Removed by that address (in another case), all
 * of them go, and the enable goes through. */
static void test_e2e_notifications_no_room(void **state)
{
	fx *f = *state;
	char a[21], b[21];
	size_t sent = 0, n = 9;
	orsp_lpa_notification gone[ORSP_LPA_MAX_NOTIFICATIONS];

	order(f, NULL, NULL);
	assert_int_equal(download(f, f->prof.matching_id, NULL, a), ORSP_OK);
	add_profile(f, 1, "NROOM-1");
	assert_int_equal(download(f, "NROOM-1", NULL, b), ORSP_OK);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	while (euicc_notifications(f) < ORSP_EUICC_MAX_NOTIFICATIONS - 1)
		assert_int_equal(euicc_notifications(f) % 2 == 0 ? orsp_lpa_enable(&f->c, a)
		                                                 : orsp_lpa_disable(&f->c, a),
		                 ORSP_OK);
	/* 15 pending, a enabled: enabling b needs 2 places, the list has 1 */
	assert_int_equal(orsp_lpa_enable(&f->c, b), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC answered undefinedError (127) with 15 notifications "
	                    "pending (15 for " FQDN "): its notification list likely has no room "
	                    "for this change's notifications (an eUICC refuses a change it could "
	                    "not record): deliver them (`openrsp lpa notification process`) or "
	                    "remove some, then try again; those of an SM-DP+ that keeps refusing "
	                    "them: `openrsp lpa notification remove --address " FQDN "` removes "
	                    "them unsent");
	assert_int_equal(euicc_notifications(f), ORSP_EUICC_MAX_NOTIFICATIONS - 1);
	/* another address: nothing removed */
	assert_int_equal(orsp_lpa_notification_remove_address(&f->c, "smdp.other.example", gone,
	                                                      ORSP_ARRAY_LEN(gone), &n),
	                 ORSP_E_NOT_FOUND);
	assert_string_equal(orsp_err_detail(),
	                    "no notification for smdp.other.example on the eUICC");
	assert_int_equal(n, 0);
	assert_int_equal(euicc_notifications(f), ORSP_EUICC_MAX_NOTIFICATIONS - 1);
	/* its address in capitals: every one removed, the first 4 copied */
	assert_int_equal(
	    orsp_lpa_notification_remove_address(&f->c, "TESTSMDPPLUS1.EXAMPLE.COM", gone, 4, &n),
	    ORSP_OK);
	assert_int_equal(n, ORSP_EUICC_MAX_NOTIFICATIONS - 1);
	for (size_t i = 0; i < 4; i++)
		assert_string_equal(gone[i].address, FQDN);
	assert_string_equal(gone[0].event, "enable");
	assert_int_equal(euicc_notifications(f), 0);
	assert_int_equal(orsp_lpa_enable(&f->c, b), ORSP_OK);
	assert_int_equal(euicc_notifications(f), 2);
}

/* A full eUICC: it announces no free memory in its EUICCInfo2, the SM-DP+'s eligibility
 * check refuses the download (8.1/4.8, insufficient memory) before anything is bound, the session
 * is cancelled, and the order stays downloadable for when room is made; nothing else changes. */
static void test_e2e_euicc_full(void **state)
{
	fx *f = *state;
	char iccid[21], mid[16];
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	size_t n = 0;
	unsigned i;

	for (i = 0; i < ORSP_EUICC_MAX_PROFILES; i++) {
		snprintf(mid, sizeof(mid), "FULL-%u", i);
		add_profile(f, i, mid);
		assert_int_equal(download(f, mid, NULL, iccid), ORSP_OK);
	}
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, ORSP_EUICC_MAX_PROFILES);
	snprintf(mid, sizeof(mid), "FULL-%u", i);
	add_profile(f, i, mid);
	assert_int_equal(download(f, mid, NULL, iccid), ORSP_E_STATE);
	assert_non_null(strstr(orsp_err_detail(), "8.1/4.8"));
	assert_non_null(strstr(orsp_err_detail(), "delete a profile"));
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, ORSP_EUICC_MAX_PROFILES);
	assert_int_equal(order_state(f, mid), ORSP_SMDP_RELEASED);
	/* room made: the same order now installs */
	assert_int_equal(orsp_lpa_delete(&f->c, p[0].iccid), ORSP_OK);
	assert_int_equal(download(f, mid, NULL, iccid), ORSP_OK);
	assert_int_equal(order_state(f, mid), ORSP_SMDP_INSTALLED);
}

/* A download to an eUICC whose notification list is full: the eUICC refuses PrepareDownload
 * (undefinedError), as it could not keep the installation result; the error goes to the
 * SM-DP+, which ends the session and keeps the order (Released); the LPA says how many
 * notifications are pending and what to do. Once they are delivered the same activation code
 * installs the profile, and its result reaches the SM-DP+. */
static void test_e2e_download_notifications_full(void **state)
{
	fx *f = *state;
	char iccid[21], first[21];
	size_t sent = 0, pending = 0;
	orsp_lpa_notification no[ORSP_LPA_MAX_NOTIFICATIONS];
	orsp_smdp_profile sp;

	order(f, NULL, NULL);
	assert_int_equal(download(f, f->prof.matching_id, NULL, first), ORSP_OK);
	for (;;) {
		assert_int_equal(orsp_lpa_notifications(&f->c, no, ORSP_ARRAY_LEN(no), &pending),
		                 ORSP_OK);
		if (pending == ORSP_EUICC_MAX_NOTIFICATIONS)
			break;
		assert_int_equal(pending % 2 == 0 ? orsp_lpa_enable(&f->c, first)
		                                  : orsp_lpa_disable(&f->c, first),
		                 ORSP_OK);
	}
	add_profile(f, 1, "NFULL-1");
	assert_int_equal(download(f, "NFULL-1", NULL, iccid), ORSP_E_STATE);
	assert_string_equal(orsp_err_detail(),
	                    "the eUICC refused the profile's download (PrepareDownload error 127, "
	                    "undefinedError) with 16 notifications pending (16 for " FQDN "): "
	                    "the eUICC's notification list likely has no room for this "
	                    "download's installation result (an eUICC refuses a download it "
	                    "could not report); nothing was installed: deliver them (`openrsp "
	                    "lpa notification process`), then download again with the same "
	                    "activation code; those of an SM-DP+ that keeps refusing them: "
	                    "`openrsp lpa notification remove --address " FQDN "` removes them "
	                    "unsent");
	assert_string_equal(iccid, "");
	assert_int_equal(euicc_profiles(f), 1);
	assert_int_equal(euicc_notifications(f), ORSP_EUICC_MAX_NOTIFICATIONS);
	assert_int_equal(orsp_smdp_lookup(f->s, "NFULL-1", &sp), ORSP_OK);
	assert_int_equal(sp.state, ORSP_SMDP_RELEASED);
	assert_int_equal(sp.download_attempts, 0);
	assert_int_equal(orsp_lpa_process_notifications(&f->c, &f->server, &sent), ORSP_OK);
	assert_int_equal(sent, ORSP_EUICC_MAX_NOTIFICATIONS);
	assert_int_equal(download(f, "NFULL-1", NULL, iccid), ORSP_OK);
	assert_int_equal(euicc_profiles(f), 2);
	assert_int_equal(order_state(f, "NFULL-1"), ORSP_SMDP_INSTALLED);
	assert_int_equal(euicc_notifications(f), 0);
}

/* The SM-DP+'s smdpSign in BF23 is wrong: the eUICC answers the first piece of the BPP with
 * its error result; the LPA sends nothing more, delivers the result to the SM-DP+ (the order
 * ends in Error there, the result leaves the eUICC) and names the eUICC's reason. */
static void test_e2e_bad_smdp_sign(void **state)
{
	fx *f = *state;
	char iccid[21];

	order(f, NULL, NULL);
	f->edit_bpp = BPP_BAD_SMDP_SIGN;
	download_fails(f, ORSP_E_STATE,
	               "the eUICC could not install the profile: ErrorReason 2 "
	               "(invalidSignature) at BppCommandId 0 (initialiseSecureChannel)",
	               iccid);
	assert_string_equal(iccid, "");
	assert_int_equal(smdp_notifications(f, "install"), 1);
	assert_int_equal(euicc_notifications(f), 0);
	assert_int_equal(order_state(f, f->prof.matching_id), ORSP_SMDP_ERROR);
}

/* The eUICC refuses the SM-DP+'s smdpSignature2 in PrepareDownload: it ends its session
 * there, its error goes to the SM-DP+ with getBoundProfilePackage, which ends the session
 * too and sends nothing; the user gets the eUICC's reason. An SM-DP+ that sends a package all
 * the same: nothing of it reaches the eUICC, whose answer to CancelSession
 * (invalidTransactionId) says the session is gone there. Either way nothing is installed,
 * the order stays downloadable, and the retry installs the profile. */
static void test_e2e_prepare_download_error(void **state)
{
	fx *f = *state;
	char iccid[21];

	order(f, NULL, NULL);
	f->bad_sig2 = true;
	download_fails(f, ORSP_E_VERIFY,
	               "the eUICC refused the profile's download (PrepareDownload error 2, "
	               "invalidSignature: the SM-DP+ signature (smdpSignature2) is invalid)",
	               iccid);
	assert_int_equal(order_state(f, f->prof.matching_id), ORSP_SMDP_RELEASED);

	f->package_anyway = true;
	download_fails(f, ORSP_E_VERIFY,
	               "the eUICC refused the profile's download (PrepareDownload error 2, "
	               "invalidSignature: the SM-DP+ signature (smdpSignature2) is "
	               "invalid); the SM-DP+ sent a package all the same: nothing of it was "
	               "sent to the eUICC (the eUICC had already ended the session)",
	               iccid);
	assert_int_equal(order_state(f, f->prof.matching_id), ORSP_SMDP_RELEASED);

	f->bad_sig2 = f->package_anyway = false;
	download_installs(f);
}

/* The SM-DP+ sends something that is not a BPP: nothing reaches the eUICC, the session is
 * cancelled on both sides (undefinedReason), the order is downloadable again (Released) and
 * the retry installs the profile. */
static void test_e2e_bad_bpp(void **state)
{
	fx *f = *state;
	char iccid[21];

	order(f, NULL, NULL);
	f->edit_bpp = BPP_NOT_BF36;
	download_fails(f, ORSP_E_MALFORMED,
	               "bound profile package: not a BF36 TLV (session cancelled)", iccid);
	assert_int_equal(order_state(f, f->prof.matching_id), ORSP_SMDP_RELEASED);
	f->edit_bpp = BPP_AS_IS;
	download_installs(f);
}

/* The SM-DP+ shows the profile without PPRs (nobody is asked) and builds its package with
 * PPR1, PPR2 and an owner in the StoreMetadataRequest (correctly MACed: the eUICC would store
 * them): the LPA refuses the package before any of it reaches the eUICC and cancels the
 * session on both sides; the eUICC holds no profile and no result, the order is downloadable
 * again (Released), and the retry, whose metadata now shows the rules, installs with the
 * end user's consent. */
static void test_e2e_bpp_metadata_mismatch(void **state)
{
	fx *f = *state;
	char iccid[21];
	orsp_lpa_profile p[ORSP_LPA_MAX_PROFILES];
	consent_log l = {.answer = true};
	size_t n = 0;

	order(f, "META-1", NULL);
	f->meta_after_auth = OWNER_PPR12;
	assert_int_equal(download(f, "META-1", NULL, iccid), ORSP_E_VERIFY);
	assert_string_equal(orsp_err_detail(),
	                    "the package's metadata differs from the one the SM-DP+ showed: "
	                    "profilePolicyRules PPR1 (no disabling), PPR2 (no deletion) instead "
	                    "of none; profileOwner; nothing of it was sent to the eUICC (session "
	                    "cancelled)");
	assert_string_equal(iccid, "");
	assert_int_equal(euicc_profiles(f), 0);
	assert_int_equal(euicc_notifications(f), 0);
	assert_int_equal(smdp_notifications(f, "install"), 0);
	assert_int_equal(profile_state(f), ORSP_SMDP_RELEASED);

	assert_int_equal(download_consent(f, "META-1", &l, iccid), ORSP_OK);
	assert_string_equal(iccid, f->prof.iccid);
	assert_int_equal(l.calls, 1);
	assert_int_equal(orsp_lpa_profiles(&f->c, p, ORSP_LPA_MAX_PROFILES, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(p[0].ppr, ORSP_LPA_PPR1 | ORSP_LPA_PPR2);
	assert_int_equal(profile_state(f), ORSP_SMDP_INSTALLED);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_e2e, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_foreign_notifications, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_notifications_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_download_notifications_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_memory_reset, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_provisioning_class, setup_provisioning_class,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_test_class, setup_test_class, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_cc, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_address_case, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_server_trouble, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_lost_package, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_killed_in_load, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_retry_after_lost_result, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_retry_result_undelivered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_retry_result_dropped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_refused, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_euicc_full, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_notifications_no_room, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_bad_smdp_sign, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_bad_bpp, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_prepare_download_error, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_ppr, setup_ppr, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_ppr_refused, setup_ppr, teardown),
	    cmocka_unit_test_setup_teardown(test_e2e_bpp_metadata_mismatch, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
