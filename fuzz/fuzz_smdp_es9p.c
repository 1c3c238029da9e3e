/* libFuzzer target for the ES9+ and ES2+ request handlers (src/smdp/es9p_handler.c,
 * src/smdp/es2p_handler.c).
 *
 * The first input byte picks the function (the five ES9+ functions, the four ES2+ ones, or
 * an unknown name), the rest is the HTTP body. Properties: the handler never crashes, and
 * either answers
 * (ORSP_OK with 200 and a JSON body, 204 without one, or 404) or reports an internal failure
 * (a storage, resource, crypto or I/O error, as smdp_internal_error) with a 500 and no body:
 * malformed or unexpected input never gets a 500. The SM-DP+ runs on a database in memory
 * (SQLite's memdb) as testsmdpplus1.example.com (OID 2.999.10) with SGP.26's NIST CI, DPauth
 * and DPpb (tests/vectors) and one imported, released profile (the GSMA TS.48 test profile of
 * tests/vectors, ICCID 89000123456789012341, matching ID FUZZ-1), so that bodies that get past
 * the JSON and ASN.1 checks reach the session and order logic; a setup that fails aborts at
 * once instead of leaving an empty inventory. Until session 74 the CI, DPauth and DPpb were
 * made at start-up with new random keys, so no stored input could name the CI's key
 * identifier: initiateAuthentication stopped at choose_cis (8.8.2/3.1), and the certificate
 * chain of every notification was refused; now an euiccInfo1 naming SGP.26's CI gets a
 * transactionId and serverSigned1 (seed init-sgp26), and a notification signed with SGP.26's
 * eUICC key reaches its signature check. Every input starts from the database as the setup
 * left it (restored from a copy, as fuzz_smdp_es9p_session does): until session 57 the
 * inventory carried over from one input to the next (a cancelOrder in the corpus cancelled the
 * one order for all that followed), so an input's answer, and a finding, depended on what ran
 * before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memdb.h"
#include "openrsp/smdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIVE "file:/orsp-fuzz-es9p?vfs=memdb"
#define TEMPLATE "file:/orsp-fuzz-es9p-template?vfs=memdb"

static orsp_smdp *smdp;
static orsp_smdp_service svc;
static sqlite3 *live, *tmpl; /* held open: a memdb lives while a connection does */

/* The largest package read at start-up (tests/vectors' path, ORSP_FUZZ_VECTORS, comes from
 * fuzz/CMakeLists.txt). */
#define UPP_MAX (256 * 1024)

static void check(bool ok)
{
	if (!ok)
		abort();
}

/* tests/vectors/<rel>, read whole into a buffer of cap bytes (free it) */
static uint8_t *vector(const char *rel, size_t cap, size_t *n)
{
	char path[1024];
	uint8_t *b = malloc(cap);
	FILE *f;

	check(snprintf(path, sizeof(path), "%s/%s", ORSP_FUZZ_VECTORS, rel) < (int)sizeof(path));
	f = fopen(path, "rb");
	check(b && f);
	*n = fread(b, 1, cap, f);
	check(*n > 0 && *n < cap && fclose(f) == 0);
	return b;
}

static orsp_cert *cert(const char *rel)
{
	size_t n;
	uint8_t *b = vector(rel, 8192, &n);
	orsp_cert *c = NULL;

	check(orsp_cert_parse(b, n, &c) == ORSP_OK);
	free(b);
	return c;
}

static orsp_ec_key *key(const char *rel)
{
	char path[1024];
	orsp_ec_key *k = NULL;

	check(snprintf(path, sizeof(path), "%s/%s", ORSP_FUZZ_VECTORS, rel) < (int)sizeof(path));
	check(orsp_ec_load_private_file(path, &k) == ORSP_OK);
	return k;
}

static void init(void)
{
	orsp_secret kek = {.len = 32};
	orsp_smdp_order o = {0};
	orsp_smdp_profile p;
	uint8_t *upp;
	size_t n;

	memset(kek.v, 7, 32);
	live = memdb_open(LIVE);
	tmpl = memdb_open(TEMPLATE);
	check(orsp_smdp_open(LIVE, &kek, &smdp) == ORSP_OK);
	check(orsp_es9p_prepare(smdp) == ORSP_OK);
	/* the names of SGP.26's DPauth certificate, as fuzz_smdp_server's configuration */
	strcpy(svc.fqdn, "testsmdpplus1.example.com");
	strcpy(svc.oid, "2.999.10");
	svc.sets[0].ci = cert("sgp26/CertificateIssuer/CERT_CI_ECDSA_NIST.der");
	svc.sets[0].dpauth_cert = cert("sgp26/DPauth/CERT_S_SM_DPauth_ECDSA_NIST.der");
	svc.sets[0].dpauth_key = key("sgp26/DPauth/SK_S_SM_DPauth_ECDSA_NIST.pem");
	svc.sets[0].dppb_cert = cert("sgp26/DPpb/CERT_S_SM_DPpb_ECDSA_NIST.der");
	svc.sets[0].dppb_key = key("sgp26/DPpb/SK_S_SM_DPpb_ECDSA_NIST.pem");
	svc.n_sets = 1;
	check(orsp_ci_store_new(&svc.cis) == ORSP_OK);
	check(orsp_ci_store_add(svc.cis, svc.sets[0].ci) == ORSP_OK);
	upp = vector("saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der", UPP_MAX, &n);
	check(orsp_smdp_import(smdp, upp, n, &p) == ORSP_OK);
	free(upp);
	o.iccid = p.iccid;
	o.matching_id = "FUZZ-1";
	check(orsp_smdp_download_order(smdp, &o, &p) == ORSP_OK);
	check(orsp_smdp_confirm_order(smdp, "FUZZ-1", NULL, true) == ORSP_OK);
	memdb_copy(tmpl, live);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const fns[] = {
	    "initiateAuthentication", "authenticateClient", "getBoundProfilePackage",
	    "handleNotification",     "cancelSession",      "nosuchFunction",
	    "downloadOrder",          "confirmOrder",       "cancelOrder",
	    "releaseProfile",
	};
	orsp_smdp_reply rep;
	orsp_err e;

	if (!smdp)
		init();
	if (size < 1)
		return 0;
	memdb_copy(live, tmpl); /* from the database as init() left it */
	if (data[0] % 10 < 6)
		e = orsp_es9p_handle(&svc, smdp, fns[data[0] % 10], data + 1, size - 1, &rep);
	else
		e = orsp_es2p_handle(&svc, smdp, fns[data[0] % 10], data + 1, size - 1, &rep);
	if (e == ORSP_OK) {
		check(rep.http_status == 200 || rep.http_status == 204 || rep.http_status == 404);
		check((rep.http_status == 200) == (rep.body != NULL));
	} else {
		check(rep.http_status == 500 && rep.body == NULL);
		check(e == ORSP_E_STORAGE || e == ORSP_E_RESOURCE || e == ORSP_E_CRYPTO ||
		      e == ORSP_E_IO);
	}
	orsp_smdp_reply_free(&rep);
	return 0;
}
