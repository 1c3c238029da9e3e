/* libFuzzer target for the ES9+ and ES2+ request handlers (src/smdp/es9p_handler.c,
 * src/smdp/es2p_handler.c).
 *
 * The first input byte picks the function (the five ES9+ functions, the four ES2+ ones, or
 * an unknown name), the rest is the HTTP body. Properties: the handler never crashes, and
 * either answers
 * (ORSP_OK with 200 and a JSON body, 204 without one, or 404) or reports an internal failure
 * (a storage, resource, crypto or I/O error, as smdp_internal_error) with a 500 and no body:
 * malformed or unexpected input never gets a 500. The SM-DP+ runs on a database in memory
 * (SQLite's memdb) with a private PKI made at start-up (CI, DPauth, DPpb) and one imported,
 * released profile (the GSMA TS.48 test profile of tests/vectors, ICCID 89000123456789012341,
 * matching ID FUZZ-1), so that bodies that get past the JSON and ASN.1 checks reach the
 * session and order logic; a setup that fails aborts at once instead of leaving an empty
 * inventory. Every input starts from the database as the setup left it (restored from a copy,
 * as fuzz_smdp_es9p_session does): until session 57 the inventory carried over from one input
 * to the next (a cancelOrder in the corpus cancelled the one order for all that followed), so
 * an input's answer, and a finding, depended on what ran before it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "memdb.h"
#include "openrsp/smdp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define LIVE "file:/orsp-fuzz-es9p?vfs=memdb"
#define TEMPLATE "file:/orsp-fuzz-es9p-template?vfs=memdb"

static orsp_smdp *smdp;
static orsp_smdp_service svc;
static sqlite3 *live, *tmpl; /* held open: a memdb lives while a connection does */

/* The package imported at start-up: its path comes from fuzz/CMakeLists.txt. */
#define UPP_MAX (256 * 1024)

static void check(bool ok)
{
	if (!ok)
		abort();
}

static orsp_cert *issue(orsp_rsp_role role, orsp_ec_key *key, orsp_ec_key *ci_key,
                        orsp_cert *ci)
{
	orsp_cert_template t;
	orsp_cert *c = NULL;

	check(orsp_cert_template_init(&t, role) == ORSP_OK);
	t.org = "fuzz";
	t.common_name = "fuzz";
	t.not_before = time(NULL) - 3600;
	t.not_after = time(NULL) + 86400;
	if (role != ORSP_ROLE_CI)
		t.san_rid = "2.999.10";
	check(orsp_cert_issue(&t, key, ci_key, ci, &c) == ORSP_OK);
	return c;
}

static void init(void)
{
	orsp_secret kek = {.len = 32};
	orsp_ec_key *ci_key = NULL;
	orsp_smdp_order o = {0};
	orsp_smdp_profile p;
	FILE *upp_f;
	uint8_t *upp;
	size_t n;

	memset(kek.v, 7, 32);
	live = memdb_open(LIVE);
	tmpl = memdb_open(TEMPLATE);
	check(orsp_smdp_open(LIVE, &kek, &smdp) == ORSP_OK);
	check(orsp_es9p_prepare(smdp) == ORSP_OK);
	strcpy(svc.fqdn, "smdp.fuzz.example");
	strcpy(svc.oid, "2.999.10");
	check(orsp_ec_generate(ORSP_CURVE_P256, &ci_key) == ORSP_OK);
	svc.sets[0].ci = issue(ORSP_ROLE_CI, ci_key, ci_key, NULL);
	check(orsp_ec_generate(ORSP_CURVE_P256, &svc.sets[0].dpauth_key) == ORSP_OK);
	svc.sets[0].dpauth_cert = issue(ORSP_ROLE_DP_AUTH, svc.sets[0].dpauth_key, ci_key,
	                                svc.sets[0].ci);
	check(orsp_ec_generate(ORSP_CURVE_P256, &svc.sets[0].dppb_key) == ORSP_OK);
	svc.sets[0].dppb_cert = issue(ORSP_ROLE_DP_PB, svc.sets[0].dppb_key, ci_key,
	                              svc.sets[0].ci);
	svc.n_sets = 1;
	check(orsp_ci_store_new(&svc.cis) == ORSP_OK);
	check(orsp_ci_store_add(svc.cis, svc.sets[0].ci) == ORSP_OK);
	orsp_ec_free(ci_key);
	upp_f = fopen(ORSP_FUZZ_UPP, "rb");
	check(upp_f != NULL);
	upp = malloc(UPP_MAX);
	check(upp != NULL);
	n = fread(upp, 1, UPP_MAX, upp_f);
	check(n > 0 && n < UPP_MAX && fclose(upp_f) == 0);
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
