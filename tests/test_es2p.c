/* ES2+ handlers of the SM-DP+ (src/smdp/es2p_handler.c) called directly: the order
 * lifecycle through every state, and a refusal for each check. */
#define _GNU_SOURCE /* memmem */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "testutil.h"

#include "openrsp/http.h"
#include "openrsp/pkg.h"
#include "openrsp/smdp.h"

/* The header of a call named by its line: each call of the tests is another call of the
 * operator's (a downloadOrder whose call identifier was used before is answered as a replay
 * since session 70, test_order_replay), but for one written once and run in a loop. */
#define HDR_STR2(x) #x
#define HDR_STR(x) HDR_STR2(x)
#define HDR_CALL(id)                                                                               \
	"\"header\":{\"functionRequesterIdentifier\":\"op\","                                      \
	"\"functionCallIdentifier\":\"" id "\"}"
#define HDR HDR_CALL(HDR_STR(__LINE__))
#define ICCID "89000123456789012341"
#define EID "89049032123451234512345678901235"
/* cancelOrder of ICCID's order back to Available (a call of its own: HDR's line) */
#define CANCEL_TO_AVAILABLE                                                                        \
	"{" HDR ",\"iccid\":\"" ICCID "\",\"finalProfileStatusIndicator\":\"Available\"}"

typedef struct fx {
	orsp_smdp *s;
	orsp_smdp_service svc;
	char db[1200]; /* the store's file (reopen) */
} fx;

static int setup(void **state)
{
	static fx f;
	orsp_secret kek = {.len = 32};
	uint8_t *upp;
	size_t n;

	memset(&f, 0, sizeof(f));
	memset(kek.v, 3, 32);
	snprintf(f.db, sizeof(f.db), "%s/smdp.db", test_tmpdir("es2p"));
	assert_int_equal(orsp_smdp_open(f.db, &kek, &f.s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(f.s), ORSP_OK);
	upp = test_read_vector("saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der", &n);
	assert_int_equal(orsp_smdp_import(f.s, upp, n, NULL), ORSP_OK);
	free(upp);
	snprintf(f.svc.fqdn, sizeof(f.svc.fqdn), "smdp.example.org");
	snprintf(f.svc.oid, sizeof(f.svc.oid), "2.999.10");
	*state = &f;
	return 0;
}

static int teardown(void **state)
{
	fx *f = *state;
	orsp_smdp_close(f->s);
	return 0;
}

/* Call fn with body: an HTTP 200 answer, parsed (caller frees), its functionExecutionStatus
 * in *st and the subject code of its log line in logged. */
static json_t *answer(fx *f, const char *fn, const char *body, orsp_json_status *st,
                      char logged[16])
{
	orsp_smdp_reply r;
	json_error_t je;
	json_t *o;

	assert_int_equal(
	    orsp_es2p_handle(&f->svc, f->s, fn, (const uint8_t *)body, strlen(body), &r), ORSP_OK);
	assert_int_equal(r.http_status, 200);
	o = json_loads(r.body, 0, &je);
	memcpy(logged, r.subject_code, sizeof(r.subject_code));
	orsp_smdp_reply_free(&r);
	assert_non_null(o);
	assert_int_equal(orsp_json_header_get(o, st), ORSP_OK);
	return o;
}

/* Call fn with body; returns the parsed answer (caller frees) and checks the status. */
static json_t *call(fx *f, const char *fn, const char *body, const char *subject,
                    const char *reason)
{
	orsp_json_status st;
	char logged[16];
	json_t *o = answer(f, fn, body, &st, logged);

	if (!subject) {
		if (st.status != ORSP_FES_SUCCESS)
			fail_msg("%s: %s/%s %s", fn, st.subject_code, st.reason_code, st.message);
	} else if (st.status != ORSP_FES_FAILED || strcmp(st.subject_code, subject) ||
	           strcmp(st.reason_code, reason)) {
		fail_msg("%s: expected %s/%s, got %s %s/%s", fn, subject, reason,
		         orsp_json_fes_str(st.status), st.subject_code, st.reason_code);
	}
	return o;
}

static orsp_smdp_state state_of(fx *f)
{
	orsp_smdp_profile p;
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	return p.state;
}

static void test_lifecycle(void **state)
{
	fx *f = *state;
	const char *mid;
	size_t n;
	json_t *o;

	/* downloadOrder by profile type, no EID: Allocated */
	o = call(f, "downloadOrder",
	         "{" HDR ",\"profileType\":\"GSMA Generic eUICC Test Profile\"}", NULL, NULL);
	assert_int_equal(orsp_json_get_string(o, "iccid", 20, &mid, &n), ORSP_OK);
	assert_string_equal(mid, ICCID);
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
	/* no profile of that type left: unavailable (SGP.22 §5.3.1), and a type never
	 * imported: unknown */
	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"profileType\":\"GSMA Generic eUICC Test Profile\"}", "8.2.5",
	                 "3.7"));
	json_decref(
	    call(f, "downloadOrder", "{" HDR ",\"profileType\":\"No Such Type\"}", "8.2.5", "3.9"));
	/* confirmOrder without release: Confirmed, with a confirmation code */
	o = call(f, "confirmOrder",
	         "{" HDR ",\"iccid\":\"" ICCID
	         "\",\"confirmationCode\":\"12345678\",\"releaseFlag\":false}",
	         NULL, NULL);
	assert_int_equal(orsp_json_get_string(o, "matchingId", 64, &mid, &n), ORSP_OK);
	assert_int_equal(orsp_smdp_matching_id_check(mid), ORSP_OK);
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_CONFIRMED);
	/* releaseProfile: Released */
	json_decref(call(f, "releaseProfile", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	/* released again: the target profile cannot be released, Invalid Transition (SGP.22
	 * §5.3.4; it was 8.2.1/3.3, Already in Use) */
	json_decref(call(f, "releaseProfile", "{" HDR ",\"iccid\":\"" ICCID "\"}", "8.2.1", "3.5"));
	/* cancelOrder to Unavailable, then nothing is possible; an empty EID (an operator
	 * system sending its empty optional fields) is no EID, as in confirmOrder */
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"\","
	                 "\"finalProfileStatusIndicator\":\"Unavailable\"}",
	                 NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", "8.2.1", "3.3"));
}

/* The last audit row's action, states and detail. */
typedef struct last_audit {
	orsp_smdp_audit_row r;
} last_audit;

static int keep_last(const orsp_smdp_audit_row *r, void *arg)
{
	((last_audit *)arg)->r = *r;
	return 0;
}

static void call_msg(fx *f, const char *fn, const char *body, const char *subject,
                     const char *reason, const char *needle);

/* The package delivered to eid, as getBoundProfilePackage's transaction does (the delivery
 * counted on the profile). */
static orsp_err deliver_to(fx *f, const char *eid)
{
	orsp_smdp_profile p;
	orsp_err e;

	assert_int_equal(orsp_db_begin(orsp_smdp_db(f->s)), ORSP_OK);
	e = orsp_smdp_get(f->s, ICCID, &p);
	if (!e)
		e = orsp_smdp_deliver(f->s, &p, eid);
	if (e) {
		orsp_db_rollback(orsp_smdp_db(f->s));
		return e;
	}
	return orsp_db_commit(orsp_smdp_db(f->s));
}

/* A client certificate's long subject and the header's identifiers at their limit: the audit
 * row names them whole (the actor was cut at 200 bytes until session 68, the call identifier
 * cut or left out). */
static void test_actor_whole(void **state)
{
	fx *f = *state;
	char body[1024], want[300], req[257], call_id[257];
	last_audit a;

	memset(req, 'r', 256);
	req[256] = '\0';
	memset(call_id, 'c', 255);
	call_id[255] = 'Z';
	call_id[256] = '\0';
	orsp_smdp_set_auth(f->s,
	                   "certificate CN = es2-client.rsp-operations.operator-a.example.com,"
	                   " OU = Remote SIM Provisioning Operations, O = Operator A Mobile"
	                   " Telecommunications Ltd, C = GB");
	snprintf(body, sizeof(body),
	         "{\"header\":{\"functionRequesterIdentifier\":\"%s\",\"functionCallIdentifier\":"
	         "\"%s\"},\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\"}",
	         req, call_id);
	json_decref(call(f, "downloadOrder", body, NULL, NULL));
	orsp_smdp_set_auth(f->s, NULL);
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, keep_last, &a, NULL), ORSP_OK);
	assert_non_null(strstr(a.r.detail, "C = GB: "));
	assert_non_null(strstr(a.r.detail, req));
	snprintf(want, sizeof(want), " call \"%s\"", call_id);
	assert_true(strlen(a.r.detail) > strlen(want));
	assert_string_equal(a.r.detail + strlen(a.r.detail) - strlen(want), want);
}

/* The header's identifiers are quoted in the actor, '"' and '\\' in them escaped: a requester
 * "mvno-a call 17; by certificate ...: operator-b" made the row read as if another operator's
 * certificate had vouched for it (a review find). With the longest authentication and
 * identifiers of 256 escaped characters each the row is still whole. */
static void test_actor_quoted(void **state)
{
	fx *f = *state;
	static const char *const order =
	    "{\"header\":{\"functionRequesterIdentifier\":\"mvno-a call 17; by certificate C=XX,"
	    " O=Operator B, CN=es2.operator-b.example: operator-b\",\"functionCallIdentifier\":"
	    "\"x\\\"y\\\\z\"},\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\"}";
	static const char want[] =
	    "; by token: requester \"mvno-a call 17; by certificate C=XX, O=Operator B,"
	    " CN=es2.operator-b.example: operator-b\" call \"x\\\"y\\\\z\"";
	char auth[ORSP_SMDP_AUTH_MAX], body[2048], tail[ORSP_SMDP_ACTOR_MAX + 8];
	size_t n = 0;
	last_audit a;

	orsp_smdp_set_auth(f->s, "token");
	json_decref(call(f, "downloadOrder", order, NULL, NULL));
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, keep_last, &a, NULL), ORSP_OK);
	assert_true(strlen(a.r.detail) > strlen(want));
	assert_string_equal(a.r.detail + strlen(a.r.detail) - strlen(want), want);

	memset(auth, 'C', sizeof(auth) - 1);
	auth[sizeof(auth) - 1] = '\0';
	orsp_smdp_set_auth(f->s, auth);
	n = (size_t)snprintf(body, sizeof(body), "{\"header\":{\"functionRequesterIdentifier\":\"");
	for (int i = 0; i < 256; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\\\"");
	n += (size_t)snprintf(body + n, sizeof(body) - n, "\",\"functionCallIdentifier\":\"");
	for (int i = 0; i < 256; i++)
		n += (size_t)snprintf(body + n, sizeof(body) - n, "\\\\");
	snprintf(body + n, sizeof(body) - n,
	         "\"},\"iccid\":\"" ICCID "\",\"finalProfileStatusIndicator\":\"Available\"}");
	json_decref(call(f, "cancelOrder", body, NULL, NULL));
	orsp_smdp_set_auth(f->s, NULL);
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, keep_last, &a, NULL), ORSP_OK);
	n = (size_t)snprintf(tail, sizeof(tail), "by %s: requester \"", auth);
	for (int i = 0; i < 256; i++)
		n += (size_t)snprintf(tail + n, sizeof(tail) - n, "\\\"");
	n += (size_t)snprintf(tail + n, sizeof(tail) - n, "\" call \"");
	for (int i = 0; i < 256; i++)
		n += (size_t)snprintf(tail + n, sizeof(tail) - n, "\\\\");
	snprintf(tail + n, sizeof(tail) - n, "\"");
	assert_true(strlen(a.r.detail) >= strlen(tail));
	assert_string_equal(a.r.detail + strlen(a.r.detail) - strlen(tail), tail);
}

/* cancelOrder of an order delivered with no installation result yet (Downloaded: the eUICC
 * never reported), to either final state as from Released; the audit row keeps the EID the
 * package went to (final Available clears it from the profile). An order with its result
 * (Installed) is not cancelled: 8.2.1/3.3, nothing changes. */
static void test_cancel_downloaded(void **state)
{
	fx *f = *state;
	static const char *const order =
	    "{" HDR_CALL("1") ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\"}";
	static const char *const release = "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":true}";
	static const char *const to_available = "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID
	                                        "\",\"finalProfileStatusIndicator\":\"Available\"}";
	last_audit a;
	orsp_smdp_profile p;

	json_decref(call(f, "downloadOrder", order, NULL, NULL));
	/* the order's row names the EID, and the request it was made for (the operator and
	 * its call: since session 56) */
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, keep_last, &a, NULL), ORSP_OK);
	assert_string_equal(a.r.to, "linked");
	char want[160];
	snprintf(want, sizeof(want), "%s, EID %s; by requester \"op\" call \"1\"", p.matching_id,
	         EID);
	assert_string_equal(a.r.detail, want);
	json_decref(call(f, "confirmOrder", release, NULL, NULL));
	assert_int_equal(deliver_to(f, EID), ORSP_OK);
	/* delivered: that eUICC may hold the profile, so it is never made Available (to be
	 * handed to another eUICC); refused, nothing changes */
	call_msg(f, "cancelOrder", to_available, "8.2.1", "3.3", "only make it Unavailable");
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_DOWNLOADED);
	assert_string_equal(p.eid, EID);
	/* nor once a postponement made it Released again (the delivery still counted) */
	assert_int_equal(orsp_smdp_reopen(f->s, ICCID, "postponed"), ORSP_OK);
	/* a change made outside ES2+ names nobody: the actor was the requests' only */
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, keep_last, &a, NULL), ORSP_OK);
	assert_string_equal(a.r.detail, "postponed");
	call_msg(f, "cancelOrder", to_available, "8.2.1", "3.3", "only make it Unavailable");
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);
	assert_string_equal(p.eid, EID);
	assert_int_equal(p.download_attempts, 1);
	/* Unavailable is taken, and the audit keeps the eUICC the package went to */
	json_decref(call(f, "cancelOrder",
	                 "{" HDR_CALL("1") ",\"iccid\":\"" ICCID "\","
	                                   "\"finalProfileStatusIndicator\":\"Unavailable\"}",
	                 NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, keep_last, &a, NULL), ORSP_OK);
	assert_string_equal(a.r.action, "cancelOrder(unavailable)");
	assert_string_equal(a.r.from, "released");
	assert_string_equal(a.r.detail, "delivered to EID " EID
	                                ", no installation result; by requester \"op\" call \"1\"");
}

/* An installed profile's order is over: cancelOrder refuses it and changes nothing. */
static void test_cancel_installed(void **state)
{
	fx *f = *state;

	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\"}", NULL, NULL));
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":true}", NULL, NULL));
	assert_int_equal(orsp_smdp_mark_downloaded(f->s, ICCID), ORSP_OK);
	assert_int_equal(orsp_smdp_mark_installed(f->s, ICCID), ORSP_OK);
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\","
	                 "\"finalProfileStatusIndicator\":\"Available\"}",
	                 "8.2.1", "3.3"));
	assert_int_equal(state_of(f), ORSP_SMDP_INSTALLED);
}

static void test_order_with_eid(void **state)
{
	fx *f = *state;
	json_t *o;

	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\"}", NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_LINKED);
	/* confirmOrder naming another (well-formed) EID: it does not match (SGP.22 §5.3.2) */
	assert_int_equal(orsp_eid_check("89049032123451234512345678901332"), ORSP_OK);
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"eid\":\"89049032123451234512345678901332\",\"releaseFlag\":true}",
	                 "8.1.1", "3.10"));
	/* a malformed one is invalid */
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"eid\":\"89049032123451234512345678901234\",\"releaseFlag\":true}",
	                 "8.1.1", "2.1"));
	assert_int_equal(state_of(f), ORSP_SMDP_LINKED);
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"smdsAddress\":\"ds.example\",\"releaseFlag\":true}",
	                 "8.9", "5.1"));
	o = call(f, "confirmOrder",
	         "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\",\"releaseFlag\":true}", NULL,
	         NULL);
	assert_string_equal(json_string_value(json_object_get(o, "eid")), EID);
	assert_string_equal(json_string_value(json_object_get(o, "smdpAddress")),
	                    "smdp.example.org");
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	/* a matching ID other than the order's is refused (8.2.6/3.10), the order unchanged */
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"matchingId\":\"NOT-THIS-ORDER\","
	                 "\"finalProfileStatusIndicator\":\"Unavailable\"}",
	                 "8.2.6", "3.10"));
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	/* cancelOrder naming another EID (SGP.22 §5.3.4): 8.1.1/3.8; a malformed one 8.1.1/2.1;
	 * the order unchanged */
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"eid\":\"89049032123451234512345678901332\","
	                 "\"finalProfileStatusIndicator\":\"Available\"}",
	                 "8.1.1", "3.10"));
	/* another EID and another matching ID: the EID is said (compared first) */
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"eid\":\"89049032123451234512345678901332\","
	                 "\"matchingId\":\"NOT-THIS-ORDER\","
	                 "\"finalProfileStatusIndicator\":\"Available\"}",
	                 "8.1.1", "3.10"));
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"123\","
	                 "\"finalProfileStatusIndicator\":\"Available\"}",
	                 "8.1.1", "2.1"));
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
	/* cancel back to Available: EID and order cleared */
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID
	                 "\",\"finalProfileStatusIndicator\":\"Available\"}",
	                 NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
}

/* cancelOrder naming an EID of an order placed without one: 8.1.1/3.10 (the EID is not the
 * order's), saying the order names none, not that another EID is associated (until session
 * 67); the order unchanged. */
static void test_cancel_eid_of_order_without(void **state)
{
	fx *f = *state;
	orsp_json_status st;
	char logged[16];
	json_t *o;

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
	o = answer(f, "cancelOrder",
	           "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\","
	           "\"finalProfileStatusIndicator\":\"Available\"}",
	           &st, logged);
	assert_int_equal(st.status, ORSP_FES_FAILED);
	assert_string_equal(st.subject_code, "8.1.1");
	assert_string_equal(st.reason_code, "3.10");
	assert_string_equal(st.message,
	                    "a different EID is associated with this ICCID: none is: the order "
	                    "names no EID");
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
}

/* cancelOrder and another process: the link wraps orsp_smdp_get (tests/CMakeLists.txt), and
 * with reorder_eid set, right after the handler's read of the order, the order is cancelled
 * and the profile ordered again for reorder_eid, as another process may do then. */
#define EID2 "89049032123451234512345678901332"
static orsp_smdp *reorder_s;
static const char *reorder_eid;

orsp_err __real_orsp_smdp_get(orsp_smdp *s, const char *iccid, orsp_smdp_profile *out);
orsp_err __wrap_orsp_smdp_get(orsp_smdp *s, const char *iccid, orsp_smdp_profile *out);

orsp_err __wrap_orsp_smdp_get(orsp_smdp *s, const char *iccid, orsp_smdp_profile *out)
{
	orsp_err e = __real_orsp_smdp_get(s, iccid, out);
	orsp_smdp_order o = {.iccid = iccid};

	if (e || !reorder_eid)
		return e;
	o.eid = reorder_eid;
	reorder_eid = NULL;
	assert_int_equal(orsp_smdp_cancel_order(reorder_s, iccid, NULL, NULL, true), ORSP_OK);
	assert_int_equal(orsp_smdp_download_order(reorder_s, &o, NULL), ORSP_OK);
	return e;
}

/* A cancelOrder naming the EID of an order that was cancelled and placed again for another
 * eUICC after the handler read it: refused as another EID (8.1.1/3.8), the new order kept. It
 * was cancelled: the EID was compared with the handler's read, outside the cancel's
 * transaction. */
static void test_cancel_reordered_meanwhile(void **state)
{
	fx *f = *state;
	orsp_smdp_profile p;

	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\"}", NULL, NULL));
	reorder_s = f->s;
	reorder_eid = EID2;
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\","
	                 "\"finalProfileStatusIndicator\":\"Unavailable\"}",
	                 "8.1.1", "3.10"));
	assert_null(reorder_eid); /* the other process did run */
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_LINKED);
	assert_string_equal(p.eid, EID2);
}

/* Import the TS.48 profile once more as iccid, with IMSI imsi. */
static void import_as(fx *f, const char *iccid, const char *imsi)
{
	size_t tlen = 0, len = 0;
	uint8_t *tmpl =
	    test_read_vector("saip/gsma-ts48/v7/TS48_V7.0_eSIM_GTP_SAIP2.3_NoBERTLV.der", &tlen);
	orsp_pkg *pkg = NULL;
	orsp_pkg_perso p;
	uint8_t *u = NULL;

	assert_non_null(tmpl);
	orsp_pkg_perso_init(&p);
	p.iccid = iccid;
	p.imsi = imsi;
	assert_int_equal(orsp_pkg_decode(tmpl, tlen, &pkg), ORSP_OK);
	assert_int_equal(orsp_pkg_personalise(pkg, &p), ORSP_OK);
	assert_int_equal(orsp_pkg_encode(pkg, 0, &u, &len), ORSP_OK);
	assert_int_equal(orsp_smdp_import(f->s, u, len, NULL), ORSP_OK);
	orsp_pkg_buf_free(u, len);
	orsp_pkg_free(pkg);
	free(tmpl);
}

/* ... as ICCID2 (another IMSI). */
#define ICCID2 "89000123456789012358"
static void import_second(fx *f)
{
	import_as(f, ICCID2, "001010000000002");
}

/* Call as call() does, and check that the answer's message names what it refuses. */
static void call_msg(fx *f, const char *fn, const char *body, const char *subject,
                     const char *reason, const char *needle)
{
	json_t *o = call(f, fn, body, subject, reason);
	orsp_json_status st;

	assert_int_equal(orsp_json_header_get(o, &st), ORSP_OK);
	if (!strstr(st.message, needle))
		fail_msg("%s %s: message \"%s\" does not name %s", fn, body, st.message, needle);
	json_decref(o);
}

/* What the operator may add at confirmOrder (SGP.22 §5.3.2): an EID for an order placed
 * without one (bound from then on), and a matching ID of its own instead of the generated
 * one (unique among orders). Refusals change nothing. */
/* The reply names the order's EID for the request's log line (docs/smdp-server.md): confirmOrder
 * the one it bound, cancelOrder the order's; until session 60 only downloadOrder did. */
static void expect_reply_eid(fx *f, const char *fn, const char *body, const char *eid)
{
	orsp_smdp_reply r;

	assert_int_equal(
	    orsp_es2p_handle(&f->svc, f->s, fn, (const uint8_t *)body, strlen(body), &r), ORSP_OK);
	assert_int_equal(r.http_status, 200);
	assert_string_equal(r.eid, eid);
	orsp_smdp_reply_free(&r);
}

static void test_reply_eid(void **state)
{
	fx *f = *state;

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	expect_reply_eid(
	    f, "confirmOrder",
	    "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\",\"releaseFlag\":false}", EID);
	expect_reply_eid(
	    f, "cancelOrder",
	    "{" HDR ",\"iccid\":\"" ICCID "\",\"finalProfileStatusIndicator\":\"Available\"}", EID);
	assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
}

static void test_confirm_eid_and_matching_id(void **state)
{
	fx *f = *state;
	orsp_smdp_profile p;
	json_t *o;
	static const struct {
		const char *body, *subject, *reason;
	} refused[] = {
	    {"{" HDR ",\"iccid\":\"" ICCID
	     "\",\"eid\":\"89049032123451234512345678901234\",\"releaseFlag\":true}",
	     "8.1.1", "2.1"},
	    {"{" HDR ",\"iccid\":\"" ICCID "\",\"matchingId\":\"op-lower\",\"releaseFlag\":true}",
	     "1.2", "2.1"},
	    {"{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID
	     "\",\"matchingId\":\"OP-CHOSEN-1\",\"releaseFlag\":true}",
	     "8.2.6", "3.3"},
	};
	static const char *const late[] = {
	    "{" HDR ",\"iccid\":\"" ICCID "\",\"matchingId\":\"OP-CHOSEN-3\",\"releaseFlag\":true}",
	    "{" HDR ",\"iccid\":\"" ICCID2 "\",\"eid\":\"" EID "\",\"releaseFlag\":true}",
	};

	import_second(f);
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID2 "\"}", NULL, NULL));
	o = call(f, "confirmOrder",
	         "{" HDR_CALL("1") ",\"iccid\":\"" ICCID2
	                           "\",\"matchingId\":\"OP-CHOSEN-1\",\"releaseFlag\":true}",
	         NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "matchingId")), "OP-CHOSEN-1");
	assert_null(json_object_get(o, "eid"));
	json_decref(o);
	/* the audit names the operator's matching ID, the one the LPAs use */
	last_audit a;
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID2, keep_last, &a, NULL), ORSP_OK);
	assert_string_equal(a.r.to, "released");
	assert_string_equal(
	    a.r.detail,
	    "matching ID from the operator: OP-CHOSEN-1; by requester \"op\" call \"1\"");
	assert_int_equal(orsp_smdp_lookup(f->s, "OP-CHOSEN-1", &p), ORSP_OK);
	assert_string_equal(p.iccid, ICCID2);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	/* a malformed EID or matching ID, a matching ID another order has */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(refused); i++)
		json_decref(call(f, "confirmOrder", refused[i].body, refused[i].subject,
		                 refused[i].reason));
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_ALLOCATED);
	assert_string_equal(p.eid, "");
	assert_string_not_equal(p.matching_id, "OP-CHOSEN-1");
	/* both at once: bound, renamed, released */
	o = call(f, "confirmOrder",
	         "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID
	         "\",\"matchingId\":\"OP-CHOSEN-2\",\"releaseFlag\":true}",
	         NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "eid")), EID);
	assert_string_equal(json_string_value(json_object_get(o, "matchingId")), "OP-CHOSEN-2");
	json_decref(o);
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);
	assert_string_equal(p.eid, EID);
	assert_string_equal(p.matching_id, "OP-CHOSEN-2");
	/* the default SM-DP+ case finds it by the EID now */
	assert_int_equal(orsp_smdp_find_released(f->s, EID, &p), ORSP_OK);
	assert_string_equal(p.iccid, ICCID);
	/* once confirmed, neither can change */
	for (size_t i = 0; i < ORSP_ARRAY_LEN(late); i++)
		json_decref(call(f, "confirmOrder", late[i], "8.2.1", "3.3"));
	assert_int_equal(orsp_smdp_get(f->s, ICCID2, &p), ORSP_OK);
	assert_string_equal(p.eid, "");
}

/* A refused header says which member is wrong and how (until session 60 every such refusal
 * said both were "required", a present but over-long one too). */
static void test_header_refusals(void **state)
{
	fx *f = *state;
	char body[700], id[301];
	/* the header is head, then 300 bytes of 'a' if long_id, then tail */
	static const struct {
		const char *head;
		bool long_id;
		const char *tail, *says;
	} cases[] = {
	    {"", false, "",
	     "header (functionRequesterIdentifier and functionCallIdentifier): missing"},
	    {"\"header\":[],", false, "",
	     "header (functionRequesterIdentifier and functionCallIdentifier): "
	     "missing or not an object"},
	    {"\"header\":{\"functionCallIdentifier\":\"1\"},", false, "",
	     "header.functionRequesterIdentifier: missing"},
	    {"\"header\":{\"functionRequesterIdentifier\":7,\"functionCallIdentifier\":\"1\"},",
	     false, "", "header.functionRequesterIdentifier: not a string"},
	    {"\"header\":{\"functionRequesterIdentifier\":\"op\",\"functionCallIdentifier\":\"",
	     true, "\"},", "header.functionCallIdentifier: 300 bytes, longer than 256"},
	};

	memset(id, 'a', 300);
	id[300] = '\0';
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		orsp_json_status st;
		json_t *o;
		snprintf(body, sizeof(body), "{%s%s%s\"iccid\":\"" ICCID "\"}", cases[i].head,
		         cases[i].long_id ? id : "", cases[i].tail);
		o = call(f, "downloadOrder", body, "1.2", "2.1");
		assert_int_equal(orsp_json_header_get(o, &st), ORSP_OK);
		if (!strstr(st.message, cases[i].says))
			fail_msg("case %zu: \"%s\" does not say \"%s\"", i, st.message,
			         cases[i].says);
		json_decref(o);
	}
	assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
}

static void test_refusals(void **state)
{
	fx *f = *state;
	orsp_smdp_reply r;
	static const struct {
		const char *fn, *body, *subject, *reason;
	} cases[] = {
	    {"downloadOrder", "{", "1.2", "2.1"},
	    {"downloadOrder", "[1]", "1.2", "2.1"},
	    {"downloadOrder", "{\"iccid\":\"" ICCID "\"}", "1.2", "2.1"}, /* no header */
	    {"downloadOrder",
	     "{\"header\":{\"functionRequesterIdentifier\":\"op\"},\"iccid\":\"" ICCID "\"}", "1.2",
	     "2.1"},
	    {"downloadOrder", "{" HDR "}", "1.2", "2.1"}, /* neither */
	    {"downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"123\"}", "8.1.1", "2.1"},
	    {"downloadOrder", "{" HDR ",\"iccid\":\"89000000000000000000\"}", "8.2.1", "3.9"},
	    {"downloadOrder", "{" HDR ",\"iccid\":7}", "1.2", "2.1"},
	    {"confirmOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", "1.2",
	     "2.1"}, /* no releaseFlag */
	    {"confirmOrder", "{" HDR ",\"iccid\":\"89000000000000000000\",\"releaseFlag\":true}",
	     "8.2.1", "3.9"},
	    {"confirmOrder", "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":true}", "8.2.1",
	     "3.3"},
	    {"cancelOrder",
	     "{" HDR ",\"iccid\":\"" ICCID "\",\"finalProfileStatusIndicator\":\"Gone\"}", "1.2",
	     "2.1"},
	    {"cancelOrder",
	     "{" HDR
	     ",\"iccid\":\"89000000000000000000\",\"finalProfileStatusIndicator\":\"Available\"}",
	     "8.2.1", "3.9"},
	    /* a matching ID, and the profile has no order: its state, 8.2.1/3.3, as without
	     * one (8.2.6/3.10 "a different matching ID is associated" until session 54:
	     * test_cancel_without_order) */
	    {"cancelOrder",
	     "{" HDR ",\"iccid\":\"" ICCID "\",\"matchingId\":\"NOT-THIS\","
	     "\"finalProfileStatusIndicator\":\"Available\"}",
	     "8.2.1", "3.3"},
	    {"releaseProfile", "{" HDR "}", "1.2", "2.1"},
	    /* no order to release (Available): Invalid Transition, SGP.22 §5.3.4 */
	    {"releaseProfile", "{" HDR ",\"iccid\":\"" ICCID "\"}", "8.2.1", "3.5"},
	    {"releaseProfile", "{" HDR ",\"iccid\":\"89000000000000000000\"}", "8.2.1", "3.9"},
	    /* an empty ICCID is malformed, not a server failure */
	    {"downloadOrder", "{" HDR ",\"iccid\":\"\"}", "1.2", "2.1"},
	    {"confirmOrder", "{" HDR ",\"iccid\":\"\",\"releaseFlag\":true}", "1.2", "2.1"},
	    {"cancelOrder",
	     "{" HDR ",\"iccid\":\"\",\"finalProfileStatusIndicator\":\"Available\"}", "1.2",
	     "2.1"},
	    {"releaseProfile", "{" HDR ",\"iccid\":\"\"}", "1.2", "2.1"},
	};
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++)
		json_decref(call(f, cases[i].fn, cases[i].body, cases[i].subject, cases[i].reason));
	/* an unknown function, and a body over the limit */
	assert_int_equal(orsp_es2p_handle(&f->svc, f->s, "frob", (const uint8_t *)"{}", 2, &r),
	                 ORSP_OK);
	assert_int_equal(r.http_status, 404);
	orsp_smdp_reply_free(&r);
	f->svc.max_body = 16;
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", "1.2", "2.1"));
	f->svc.max_body = 0;
	assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
}

/* downloadOrder may name both an ICCID and a profile type (SGP.22 §5.3.1): the order is for
 * that ICCID, and a type that is not its profile's is 8.2.5/3.8 (both were refused as
 * malformed, 1.2/2.1); an unknown ICCID stays 8.2.1/3.9. Only the ICCID's profile is
 * ordered, not another Available one of the type. */
static void test_order_iccid_and_type(void **state)
{
	fx *f = *state;
	const char *v;
	size_t n;
	json_t *o;

	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"profileType\":\"x\"}", "8.2.5",
	                 "3.8"));
	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"iccid\":\"89000000000000000000\","
	                 "\"profileType\":\"GSMA Generic eUICC Test Profile\"}",
	                 "8.2.1", "3.9"));
	assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
	import_second(f);
	o = call(f, "downloadOrder",
	         "{" HDR ",\"iccid\":\"" ICCID2 "\","
	         "\"profileType\":\"GSMA Generic eUICC Test Profile\"}",
	         NULL, NULL);
	assert_int_equal(orsp_json_get_string(o, "iccid", 20, &v, &n), ORSP_OK);
	assert_string_equal(v, ICCID2);
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
	/* ordered now: not Available, as an order by ICCID alone */
	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID2 "\","
	                 "\"profileType\":\"GSMA Generic eUICC Test Profile\"}",
	                 "8.2.1", "3.3"));
}

/* An order past its expiry that the background sweep has not reached yet: confirmOrder and
 * releaseProfile refuse it as expired (8.8.5/4.10) and leave it Unavailable, as the sweep
 * would have; the same call sent again is answered so again (until session 73 with the
 * state's code, 8.2.1/3.3 and 3.5). */
static void test_expired_order(void **state)
{
	fx *f = *state;
	int64_t t0 = orsp_smdp_now(f->s);
	int64_t later = t0 + ORSP_SMDP_DEFAULT_VALIDITY_S + 86400;

	/* confirmOrder, with an empty matchingId and no EID too: the expiry first, not
	 * 8.1.1/2.2 */
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	orsp_smdp_set_clock(f->s, later);
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"matchingId\":\"\",\"releaseFlag\":true}",
	                 "8.8.5", "4.10"));
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	/* and again so, the order ended by its expiry */
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"matchingId\":\"\",\"releaseFlag\":true}",
	                 "8.8.5", "4.10"));
	/* releaseProfile of an order confirmed in time */
	import_second(f);
	orsp_smdp_set_clock(f->s, t0);
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID2 "\"}", NULL, NULL));
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID2 "\",\"releaseFlag\":false}", NULL, NULL));
	orsp_smdp_set_clock(f->s, later);
	json_decref(
	    call(f, "releaseProfile", "{" HDR ",\"iccid\":\"" ICCID2 "\"}", "8.8.5", "4.10"));
	{
		orsp_smdp_profile p;
		size_t n = 0;
		assert_int_equal(orsp_smdp_get(f->s, ICCID2, &p), ORSP_OK);
		assert_int_equal(p.state, ORSP_SMDP_UNAVAILABLE);
		/* nothing left for the sweep */
		assert_int_equal(orsp_smdp_expire(f->s, &n), ORSP_OK);
		assert_int_equal(n, 0);
	}
	/* and a third call as the second */
	json_decref(
	    call(f, "releaseProfile", "{" HDR ",\"iccid\":\"" ICCID2 "\"}", "8.8.5", "4.10"));
}

#define ICCID3 "89000123456789012366"
#define ICCID4 "89000123456789012374"
/* An order the background sweep ended by its expiry (Unavailable, its `expire` audit row):
 * confirmOrder and releaseProfile answer it 8.8.5/4.10, as before the sweep reached it and as
 * ES9+ answers it (orsp_smdp_ended_by_expiry); before, 8.2.1/3.3 and 8.2.1/3.5 after the
 * sweep, so an operator's retry got either code by timing. An order cancelled to Unavailable,
 * after its expiry passed or before, did not end by its expiry: the state's codes. */
static void test_expired_order_after_sweep(void **state)
{
	static const struct {
		const char *iccid;
		bool confirmed; /* confirmed (not released) before the expiry */
		bool cancelled; /* cancelled to Unavailable, not expired */
		bool in_time;   /* the cancel before the expiry */
	} cases[] = {
	    {ICCID, false, false, false},
	    {ICCID2, true, false, false},
	    {ICCID3, false, true, false},
	    {ICCID4, true, true, true},
	};
	fx *f = *state;
	int64_t t0 = orsp_smdp_now(f->s);
	int64_t later = t0 + ORSP_SMDP_DEFAULT_VALIDITY_S + 86400;
	char body[256];
	size_t n = 0;

	import_second(f);
	import_as(f, ICCID3, "001010000000003");
	import_as(f, ICCID4, "001010000000004");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		snprintf(body, sizeof(body), "{" HDR ",\"iccid\":\"%s\"}", cases[i].iccid);
		json_decref(call(f, "downloadOrder", body, NULL, NULL));
		snprintf(body, sizeof(body), "{" HDR ",\"iccid\":\"%s\",\"releaseFlag\":false}",
		         cases[i].iccid);
		if (cases[i].confirmed)
			json_decref(call(f, "confirmOrder", body, NULL, NULL));
		snprintf(body, sizeof(body),
		         "{" HDR
		         ",\"iccid\":\"%s\",\"finalProfileStatusIndicator\":\"Unavailable\"}",
		         cases[i].iccid);
		if (cases[i].cancelled && cases[i].in_time)
			json_decref(call(f, "cancelOrder", body, NULL, NULL));
	}
	orsp_smdp_set_clock(f->s, later);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		snprintf(body, sizeof(body),
		         "{" HDR
		         ",\"iccid\":\"%s\",\"finalProfileStatusIndicator\":\"Unavailable\"}",
		         cases[i].iccid);
		if (cases[i].cancelled && !cases[i].in_time)
			json_decref(call(f, "cancelOrder", body, NULL, NULL));
	}
	/* the background expiry: the two open orders */
	assert_int_equal(orsp_smdp_expire(f->s, &n), ORSP_OK);
	assert_int_equal(n, 2);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++) {
		bool expired = !cases[i].cancelled;
		orsp_smdp_profile p;

		assert_int_equal(orsp_smdp_get(f->s, cases[i].iccid, &p), ORSP_OK);
		assert_int_equal(p.state, ORSP_SMDP_UNAVAILABLE);
		snprintf(body, sizeof(body), "{" HDR ",\"iccid\":\"%s\",\"releaseFlag\":true}",
		         cases[i].iccid);
		json_decref(call(f, "confirmOrder", body, expired ? "8.8.5" : "8.2.1",
		                 expired ? "4.10" : "3.3"));
		snprintf(body, sizeof(body), "{" HDR ",\"iccid\":\"%s\"}", cases[i].iccid);
		json_decref(call(f, "releaseProfile", body, expired ? "8.8.5" : "8.2.1",
		                 expired ? "4.10" : "3.5"));
		/* nothing changed by the refusals */
		assert_int_equal(orsp_smdp_get(f->s, cases[i].iccid, &p), ORSP_OK);
		assert_int_equal(p.state, ORSP_SMDP_UNAVAILABLE);
	}
}

/* SGP.22's JSON ICCID is ^[0-9]{19}[0-9F]?$: a 19-digit ICCID may come with its 'F' pad
 * (pySim's ES2+ client always sends it), and every function takes it as the 19-digit ICCID
 * the inventory keeps; downloadOrder answers the digits. Other shapes are malformed. */
#define ICCID19 "8900012345678901230"
static void test_iccid_f_pad(void **state)
{
	fx *f = *state;
	orsp_smdp_profile p;
	const char *v;
	size_t n;
	json_t *o;
	static const char *bad[] = {
	    "8900012345678901230FF", "890001234567890123F",
	    "89000123456789012341F", "8900012345678901230E",
	    "F8900012345678901230",  "89000123456789O1230F",
	    "8900012345678901230 ",  "12345",
	};

	import_as(f, ICCID19, "001010000000003");
	o = call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID19 "F\"}", NULL, NULL);
	assert_int_equal(orsp_json_get_string(o, "iccid", 20, &v, &n), ORSP_OK);
	assert_string_equal(v, ICCID19);
	json_decref(o);
	assert_int_equal(orsp_smdp_get(f->s, ICCID19, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_ALLOCATED);
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID19 "f\",\"releaseFlag\":false}", NULL, NULL));
	json_decref(call(f, "releaseProfile", "{" HDR ",\"iccid\":\"" ICCID19 "F\"}", NULL, NULL));
	assert_int_equal(orsp_smdp_get(f->s, ICCID19, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID19
	                 "F\",\"finalProfileStatusIndicator\":\"Available\"}",
	                 NULL, NULL));
	assert_int_equal(orsp_smdp_get(f->s, ICCID19, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_AVAILABLE);
	/* without the pad as before; a known 18-digit prefix is another, unknown, ICCID */
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID19 "\"}", NULL, NULL));
	json_decref(
	    call(f, "downloadOrder", "{" HDR ",\"iccid\":\"890001234567890123\"}", "8.2.1", "3.9"));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(bad); i++) {
		char body[4][256];
		snprintf(body[0], sizeof(body[0]), "{" HDR ",\"iccid\":\"%s\"}", bad[i]);
		snprintf(body[1], sizeof(body[1]),
		         "{" HDR ",\"iccid\":\"%s\",\"releaseFlag\":true}", bad[i]);
		snprintf(body[2], sizeof(body[2]),
		         "{" HDR ",\"iccid\":\"%s\",\"finalProfileStatusIndicator\":\"Available\"}",
		         bad[i]);
		snprintf(body[3], sizeof(body[3]), "{" HDR ",\"iccid\":\"%s\"}", bad[i]);
		call_msg(f, "downloadOrder", body[0], "1.2", "2.1", "iccid");
		call_msg(f, "confirmOrder", body[1], "1.2", "2.1", "iccid");
		call_msg(f, "cancelOrder", body[2], "1.2", "2.1", "iccid");
		call_msg(f, "releaseProfile", body[3], "1.2", "2.1", "iccid");
	}
	assert_int_equal(orsp_smdp_get(f->s, ICCID19, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_ALLOCATED);
}

/* Each optional field of confirmOrder and cancelOrder is refused for itself, with its own
 * status code (docs/smdp-server.md): an EID 8.1.1/2.1 whatever its length, a confirmation
 * code 8.2.7/2.1, a matching ID 1.2/2.1 in confirmOrder and 8.2.6/3.8 (not the order's) in
 * cancelOrder, a member of the wrong type 1.2/2.1 naming it. Nothing changes. */
#define CC70 "0123456789012345678901234567890123456789012345678901234567890123456789"
#define MID69 "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
#define EID33 "890490321234512345123456789012350"
#define EID31 "8904903212345123451234567890123"
#define CONFIRM(x) "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":true," x "}"
#define CANCEL(x)                                                                                  \
	"{" HDR ",\"iccid\":\"" ICCID "\",\"finalProfileStatusIndicator\":\"Available\"," x "}"
static void test_field_refusals(void **state)
{
	fx *f = *state;
	static const struct {
		const char *fn, *body, *subject, *reason, *needle;
	} cases[] = {
	    {"downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID33 "\"}", "8.1.1",
	     "2.1", "eid"},
	    {"confirmOrder", CONFIRM("\"confirmationCode\":\"" CC70 "\""), "8.2.7", "2.1",
	     "confirmationCode"},
	    {"confirmOrder", CONFIRM("\"confirmationCode\":\"\""), "8.2.7", "2.1",
	     "confirmationCode"},
	    {"confirmOrder", CONFIRM("\"confirmationCode\":\"12 34\""), "8.2.7", "2.1",
	     "confirmationCode"},
	    {"confirmOrder", CONFIRM("\"confirmationCode\":1234"), "1.2", "2.1",
	     "confirmationCode"},
	    {"confirmOrder", CONFIRM("\"matchingId\":\"" MID69 "\""), "1.2", "2.1", "matchingId"},
	    {"confirmOrder", CONFIRM("\"matchingId\":\"lower\""), "1.2", "2.1", "matchingId"},
	    {"confirmOrder", CONFIRM("\"eid\":\"" EID33 "\""), "8.1.1", "2.1", "eid"},
	    {"confirmOrder", CONFIRM("\"eid\":\"" EID31 "\""), "8.1.1", "2.1", "eid"},
	    {"confirmOrder", CONFIRM("\"eid\":7"), "1.2", "2.1", "eid"},
	    {"confirmOrder", CONFIRM("\"smdsAddress\":[]"), "1.2", "2.1", "smdsAddress"},
	    {"confirmOrder", "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":\"yes\"}", "1.2",
	     "2.1", "releaseFlag"},
	    {"confirmOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", "1.2", "2.1", "releaseFlag"},
	    {"confirmOrder", "{" HDR ",\"releaseFlag\":true}", "1.2", "2.1", "iccid"},
	    /* an ICCID's message names what is wrong: a non-digit (it counted bytes and said
	     * 19 or 20 digits, though 18 are taken), or the number of digits */
	    {"confirmOrder",
	     "{" HDR ",\"iccid\":\"89882470000000100\xc3\xa9\",\"releaseFlag\":true}", "1.2", "2.1",
	     "iccid: a character other than a digit at byte 18"},
	    {"confirmOrder", "{" HDR ",\"iccid\":\"89882470000000100\",\"releaseFlag\":true}",
	     "1.2", "2.1", "iccid: 17 digits, expected 18 to 20"},
	    {"cancelOrder", CANCEL("\"eid\":\"" EID33 "\""), "8.1.1", "2.1", "eid"},
	    {"cancelOrder", CANCEL("\"eid\":\"" EID31 "\""), "8.1.1", "2.1", "eid"},
	    {"cancelOrder", CANCEL("\"matchingId\":\"" MID69 "\""), "8.2.6", "3.10", "matching ID"},
	    {"cancelOrder", CANCEL("\"matchingId\":false"), "1.2", "2.1", "matchingId"},
	    {"cancelOrder", "{" HDR ",\"iccid\":\"" ICCID "\",\"finalProfileStatusIndicator\":1}",
	     "1.2", "2.1", "finalProfileStatusIndicator"},
	    {"cancelOrder", "{" HDR ",\"finalProfileStatusIndicator\":\"Available\"}", "1.2", "2.1",
	     "iccid"},
	};

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(cases); i++)
		call_msg(f, cases[i].fn, cases[i].body, cases[i].subject, cases[i].reason,
		         cases[i].needle);
	/* the same codes for values of any length (over 1024 characters they were 1.2/2.1, a
	 * string too long): the body limit bounds them, each field's check judges them */
	static const struct {
		const char *fn, *member, *subject, *reason, *needle;
		char fill;
	} longs[] = {
	    {"downloadOrder", "eid", "8.1.1", "2.1", "eid", '8'},
	    {"confirmOrder", "eid", "8.1.1", "2.1", "eid", '8'},
	    {"confirmOrder", "confirmationCode", "8.2.7", "2.1", "confirmationCode", '1'},
	    {"cancelOrder", "eid", "8.1.1", "2.1", "eid", '8'},
	    {"cancelOrder", "matchingId", "8.2.6", "3.10", "matching ID", 'A'},
	};
	static char value[1501], body[2048];
	for (size_t i = 0; i < ORSP_ARRAY_LEN(longs); i++) {
		memset(value, longs[i].fill, sizeof(value) - 1);
		snprintf(body, sizeof(body), "{" HDR ",\"iccid\":\"" ICCID "\",%s\"%s\":\"%s\"}",
		         !strcmp(longs[i].fn, "confirmOrder")  ? "\"releaseFlag\":true,"
		         : !strcmp(longs[i].fn, "cancelOrder") ? "\"finalProfileStatusIndicator\":"
		                                                 "\"Available\","
		                                               : "",
		         longs[i].member, value);
		call_msg(f, longs[i].fn, body, longs[i].subject, longs[i].reason, longs[i].needle);
	}
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
}

/* An empty optional member is an absent one, in every ES2+ function (releaseProfile has
 * none): downloadOrder refused "eid":"" as an invalid EID (8.1.1/2.1) and cancelOrder
 * "matchingId":"" as not the order's (8.2.6/3.8), where confirmOrder took both as absent.
 * An empty confirmation code stays refused (test_field_refusals). */
static void test_empty_optional_members(void **state)
{
	fx *f = *state;
	orsp_smdp_profile p;
	char mid[ORSP_SMDP_MATCHING_ID_MAX + 1];
	json_t *o;

	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"\",\"profileType\":\"\"}",
	                 NULL, NULL));
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_ALLOCATED);
	assert_string_equal(p.eid, "");
	snprintf(mid, sizeof(mid), "%s", p.matching_id);
	/* except confirmOrder's matchingId: "" asks for no activation code (SGP.22 §5.3.2), the
	 * eUICC coming through its default SM-DP+ address, so the order needs an EID: none in
	 * the order or the request is 8.1.1/2.2 (it was confirmed, and released with
	 * releaseFlag, under the matching ID kept: an activation code for any eUICC) */
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"\",\"matchingId\":\"\","
	                 "\"smdsAddress\":\"\",\"releaseFlag\":true}",
	                 "8.1.1", "2.2"));
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
	/* absent, it is the one downloadOrder made, as before */
	o = call(f, "confirmOrder",
	         "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"\","
	         "\"smdsAddress\":\"\",\"releaseFlag\":false}",
	         NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "matchingId")), mid);
	assert_null(json_object_get(o, "eid"));
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_CONFIRMED);
	/* an order no longer waiting for its confirmation answers with its state, whatever
	 * the matchingId (it was 8.1.1/2.2 for "") */
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"matchingId\":\"\","
	                 "\"releaseFlag\":true}",
	                 "8.2.1", "3.3"));
	assert_int_equal(state_of(f), ORSP_SMDP_CONFIRMED);
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"\",\"matchingId\":\"\","
	                 "\"finalProfileStatusIndicator\":\"Available\"}",
	                 NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
	/* an empty iccid in downloadOrder: by profile type */
	o = call(f, "downloadOrder",
	         "{" HDR ",\"iccid\":\"\",\"eid\":\"\","
	         "\"profileType\":\"GSMA Generic eUICC Test Profile\"}",
	         NULL, NULL);
	assert_string_equal(json_string_value(json_object_get(o, "iccid")), ICCID);
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"finalProfileStatusIndicator\":\"Available\"}",
	                 NULL, NULL));
	/* confirmOrder's empty matchingId with the EID in the request: the order bound to it
	 * and confirmed, for the eUICC's default SM-DP+ address (it keeps the matching ID
	 * downloadOrder made, which authenticateClient takes from that eUICC alone) */
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\",\"matchingId\":\"\","
	                 "\"releaseFlag\":true}",
	                 NULL, NULL));
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_int_equal(p.state, ORSP_SMDP_RELEASED);
	assert_string_equal(p.eid, EID);
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID
	                 "\",\"finalProfileStatusIndicator\":\"Available\"}",
	                 NULL, NULL));
	/* both empty is neither: refused as before, nothing ordered */
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"\",\"profileType\":\"\"}", "1.2",
	                 "2.1"));
	assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
	/* required members stay required: an empty iccid or finalProfileStatusIndicator */
	json_decref(call(f, "releaseProfile", "{" HDR ",\"iccid\":\"\"}", "1.2", "2.1"));
	json_decref(
	    call(f, "confirmOrder", "{" HDR ",\"iccid\":\"\",\"releaseFlag\":true}", "1.2", "2.1"));
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"finalProfileStatusIndicator\":\"\"}",
	                 "1.2", "2.1"));
}

/* cancelOrder of a profile without an order answers with its state, 8.2.1/3.3, whatever eid
 * or matchingId it names: with one of them it answered that it was not the order's
 * (8.1.1/3.10, 8.2.6/3.10), for a profile that has no order. The same once an order ended. */
static void test_cancel_without_order(void **state)
{
	fx *f = *state;
	static const char *const named[] = {"", ",\"eid\":\"" EID "\"",
	                                    ",\"matchingId\":\"ABC-123\"",
	                                    ",\"eid\":\"" EID "\",\"matchingId\":\"ABC-123\""};
	char body[512];

	for (int round = 0; round < 2; round++) {
		for (size_t i = 0; i < ORSP_ARRAY_LEN(named); i++) {
			snprintf(body, sizeof(body),
			         "{" HDR ",\"iccid\":\"" ICCID "\"%s,"
			         "\"finalProfileStatusIndicator\":\"Unavailable\"}",
			         named[i]);
			json_decref(call(f, "cancelOrder", body, "8.2.1", "3.3"));
		}
		/* round 2: an order for another eUICC, cancelled for good (Unavailable) */
		if (round == 0) {
			assert_int_equal(state_of(f), ORSP_SMDP_AVAILABLE);
			json_decref(call(f, "downloadOrder",
			                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID2 "\"}",
			                 NULL, NULL));
			json_decref(call(f, "cancelOrder",
			                 "{" HDR ",\"iccid\":\"" ICCID "\","
			                 "\"finalProfileStatusIndicator\":\"Unavailable\"}",
			                 NULL, NULL));
		}
	}
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
}

/* No block jansson frees holds the confirmation code's plaintext, whether confirmOrder
 * succeeds or refuses, and whichever reader parsed the body: every block is wiped before it
 * is released (json.c), and the release is watched here, counting each block that still
 * holds the code. */
#define CC_MARK "CC-SECRET-7f3a9e21"
static bool cc_watch;
static int cc_left;

static void watch_release(void *p)
{
	if (p && cc_watch && memmem(p, malloc_usable_size(p), CC_MARK, strlen(CC_MARK)))
		cc_left++;
	free(p);
}

static void test_cc_wiped(void **state)
{
	fx *f = *state;

	orsp__json_release_hook(watch_release);
	cc_watch = true;
	/* the check sees a block released with the code in it */
	{
		char *p = malloc(64);
		assert_non_null(p);
		snprintf(p, 64, "x%s", CC_MARK);
		watch_release(p);
		assert_int_equal(cc_left, 1);
		cc_left = 0;
	}
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	/* refused before the store (a malformed EID), confirmed, refused by the store */
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"123\","
	                 "\"confirmationCode\":\"" CC_MARK "\",\"releaseFlag\":true}",
	                 "8.1.1", "2.1"));
	/* a body the fast reader gives up on after the code (an escape in a later string):
	 * jansson reads it again, and the tree the fast reader had built is freed too */
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"confirmationCode\":\"" CC_MARK
	                 "\",\"eid\":\"\\u0031\\u0032\\u0033\",\"releaseFlag\":true}",
	                 "8.1.1", "2.1"));
	/* a body neither reader accepts, broken after the code: jansson frees what it built */
	{
		static const char bad[] =
		    "{" HDR ",\"iccid\":\"" ICCID "\",\"confirmationCode\":\"" CC_MARK
		    "\",\"releaseFlag\":tru}";
		orsp_smdp_reply r;
		assert_int_equal(orsp_es2p_handle(&f->svc, f->s, "confirmOrder",
		                                  (const uint8_t *)bad, strlen(bad), &r),
		                 ORSP_OK);
		assert_int_not_equal(r.http_status, 0);
		orsp_smdp_reply_free(&r);
	}
	/* the code's own string broken (cut short, a control byte, a bad escape): jansson's
	 * message quotes the token it stopped in ("near '...'"); neither the answer nor the
	 * error detail may carry it */
	{
		static const char *const broken[] = {
		    "{" HDR ",\"iccid\":\"" ICCID "\",\"confirmationCode\":\"" CC_MARK,
		    "{" HDR ",\"iccid\":\"" ICCID "\",\"confirmationCode\":\"" CC_MARK
		    "\x01\",\"releaseFlag\":true}",
		    "{" HDR ",\"iccid\":\"" ICCID "\",\"confirmationCode\":\"" CC_MARK
		    "\\q\",\"releaseFlag\":true}",
		};
		for (size_t i = 0; i < ORSP_ARRAY_LEN(broken); i++) {
			orsp_smdp_reply r;
			assert_int_equal(orsp_es2p_handle(&f->svc, f->s, "confirmOrder",
			                                  (const uint8_t *)broken[i],
			                                  strlen(broken[i]), &r),
			                 ORSP_OK);
			assert_non_null(r.body);
			if (!strstr(r.body, "\"1.2\"") || !strstr(r.body, "JSON: ") ||
			    strstr(r.body, "CC-SECRET") || strstr(orsp_err_detail(), "CC-SECRET"))
				fail_msg("case %zu: %s (detail: %s)", i, r.body, orsp_err_detail());
			orsp_smdp_reply_free(&r);
		}
	}
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"confirmationCode\":\"" CC_MARK
	                 "\",\"releaseFlag\":true}",
	                 NULL, NULL));
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"confirmationCode\":\"" CC_MARK
	                 "\",\"releaseFlag\":true}",
	                 "8.2.1", "3.3"));
	cc_watch = false;
	orsp__json_release_hook(NULL);
	assert_int_equal(cc_left, 0);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
}

static int last_report(const orsp_smdp_report_row *row, void *arg)
{
	*(orsp_smdp_report_row *)arg = *row;
	return 0;
}

/* An order that lapses is reported to the operator (docs/smdp-server.md, "Order expiry"):
 * point 1 Failed with 8.8.5/4.10, whether the sweep ends it or releaseProfile finds it past
 * its validity, queued in the transaction that ends it. */
static void test_expiry_reported(void **state)
{
	fx *f = *state;
	int64_t t0 = orsp_smdp_now(f->s);
	orsp_smdp_report_row row;
	size_t n = 0;

	json_decref(call(f, "downloadOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID "\"}", NULL, NULL));
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":true}", NULL, NULL));
	orsp_smdp_set_clock(f->s, t0 + ORSP_SMDP_DEFAULT_VALIDITY_S + 86400);
	assert_int_equal(orsp_smdp_expire(f->s, &n), ORSP_OK);
	assert_int_equal(n, 1);
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
	memset(&row, 0, sizeof(row));
	assert_int_equal(orsp_smdp_report_walk(f->s, ICCID, last_report, &row, NULL), ORSP_OK);
	assert_int_equal(row.point, 1);
	assert_false(row.success);
	assert_string_equal(row.subject, "8.8.5");
	assert_string_equal(row.reason, "4.10");
	assert_string_equal(row.eid, EID);
	assert_string_equal(row.detail, "order expired");
	assert_int_equal(row.done, 0);
	/* ended by releaseProfile */
	import_second(f);
	orsp_smdp_set_clock(f->s, t0);
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID2 "\"}", NULL, NULL));
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID2 "\",\"releaseFlag\":false}", NULL, NULL));
	orsp_smdp_set_clock(f->s, t0 + ORSP_SMDP_DEFAULT_VALIDITY_S + 86400);
	json_decref(
	    call(f, "releaseProfile", "{" HDR ",\"iccid\":\"" ICCID2 "\"}", "8.8.5", "4.10"));
	memset(&row, 0, sizeof(row));
	assert_int_equal(orsp_smdp_report_walk(f->s, ICCID2, last_report, &row, NULL), ORSP_OK);
	assert_int_equal(row.point, 1);
	assert_false(row.success);
	assert_string_equal(row.reason, "4.10");
}

/* Call fn with body for a request the handler cannot answer (a stored row it cannot read):
 * it returns want, with HTTP 500, no body, and a detail that names needle. */
static void call_fails(fx *f, const char *fn, const char *body, orsp_err want, const char *needle)
{
	orsp_smdp_reply r;

	assert_int_equal(
	    orsp_es2p_handle(&f->svc, f->s, fn, (const uint8_t *)body, strlen(body), &r), want);
	assert_int_equal(r.http_status, 500);
	assert_null(r.body);
	if (!strstr(orsp_err_detail(), needle))
		fail_msg("%s %s: detail \"%s\" does not name %s", fn, body, orsp_err_detail(),
		         needle);
	orsp_err_clear();
	orsp_smdp_reply_free(&r);
}

/* The audit rows of the profile ICCID. */
static int count_audit_rows(const orsp_smdp_audit_row *r, void *arg)
{
	(void)r;
	++*(size_t *)arg;
	return 0;
}

/* A profile row the inventory cannot read back (written by another process or program: a
 * counter out of range, a matching ID too long) is the SM-DP+'s failure, not the operator's:
 * every ES2+ function answers HTTP 500, none a Failed status blaming the request (a
 * downloadOrder by profile type and a releaseProfile answered 1.2/2.1 "invalid request
 * data"), and nothing of the profile changes. */
static void test_stored_row_damaged(void **state)
{
	fx *f = *state;
	static const struct {
		const char *fn, *body;
	} cases[] = {
	    /* downloadOrder by profile type: the store's read of the Available profile */
	    {"downloadOrder", "{" HDR ",\"profileType\":\"GSMA Generic eUICC Test Profile\"}"},
	    /* downloadOrder by ICCID: the store's load */
	    {"downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}"},
	    /* downloadOrder by ICCID and type: the handler's read of the profile's type */
	    {"downloadOrder", "{" HDR ",\"iccid\":\"" ICCID
	                      "\",\"profileType\":\"GSMA Generic eUICC Test Profile\"}"},
	    /* confirmOrder, cancelOrder: the handler's read of the order */
	    {"confirmOrder", "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":true}"},
	    {"cancelOrder",
	     "{" HDR ",\"iccid\":\"" ICCID "\",\"finalProfileStatusIndicator\":\"Available\"}"},
	    /* releaseProfile: the store's load */
	    {"releaseProfile", "{" HDR ",\"iccid\":\"" ICCID "\"}"},
	};
	/* first: the first case of cases that reaches the row (a profile type of 401
	 * characters, one more than a request may name, is no longer found by type: 8.2.5/3.9) */
	static const struct {
		const char *damage, *needle;
		size_t first;
	} rows[] = {
	    {"UPDATE smdp_profile SET cc_attempts = -1", "stored counter out of range", 0},
	    {"UPDATE smdp_profile SET download_limit = 1000001", "stored counter out of range", 0},
	    {"UPDATE smdp_profile SET upp_len = 0", "stored UPP length out of range", 0},
	    {"UPDATE smdp_profile SET matching_id = '" /* 65 characters */
	     "ABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDEFGHIJABCDE'",
	     "stored matching ID is too long", 0},
	    {"UPDATE smdp_profile SET profile_type = profile_type || printf('%.401c', 'x')",
	     "stored profile type is too long", 1},
	};
	char type[460];
	orsp_smdp_profile p;
	char undo[200];
	size_t audits = 0, after;

	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	snprintf(undo, sizeof(undo),
	         "UPDATE smdp_profile SET cc_attempts = %u, download_limit = %u, upp_len = %zu,"
	         " matching_id = NULL",
	         p.cc_attempts, p.download_limit, p.upp_len);
	snprintf(type, sizeof(type), "UPDATE smdp_profile SET profile_type = '%s'", p.profile_type);
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, count_audit_rows, &audits, NULL),
	                 ORSP_OK);
	for (size_t k = 0; k < ORSP_ARRAY_LEN(rows); k++) {
		assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), rows[k].damage), ORSP_OK);
		for (size_t i = rows[k].first; i < ORSP_ARRAY_LEN(cases); i++)
			call_fails(f, cases[i].fn, cases[i].body, ORSP_E_MALFORMED, rows[k].needle);
		assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), undo), ORSP_OK);
		assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), type), ORSP_OK);
		/* nothing changed: still Available, no order, no audit row */
		assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
		assert_int_equal(p.state, ORSP_SMDP_AVAILABLE);
		assert_string_equal(p.matching_id, "");
		after = 0;
		assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, count_audit_rows, &after, NULL),
		                 ORSP_OK);
		assert_int_equal(after, audits);
	}
	/* the row readable again: ordered as ever */
	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
}

/* fn with body after the database's next flush fails (the commit itself takes place): what
 * the store did stands and is answered as done, Executed-WithWarning 1.2/4.2 saying the
 * transaction may not survive a power cut (it was an HTTP 500 until session 65, and an order
 * placed so was never told to the operator). Returns the parsed answer (caller frees). */
static json_t *call_unflushed(fx *f, const char *fn, const char *body)
{
	orsp_json_status st;
	char logged[16];
	json_t *o;

	orsp_db_inject_sync_failure(orsp_smdp_db(f->s));
	o = answer(f, fn, body, &st, logged);
	if (st.status != ORSP_FES_WARNING || strcmp(st.subject_code, "1.2") ||
	    strcmp(st.reason_code, "4.2") ||
	    !strstr(st.message, "committed but may not survive a power cut"))
		fail_msg("%s: expected Executed-WithWarning 1.2/4.2, got %s %s/%s %s", fn,
		         orsp_json_fes_str(st.status), st.subject_code, st.reason_code, st.message);
	assert_string_equal(logged, "1.2"); /* the log line's result */
	return o;
}

/* downloadOrder whose flush fails: the ICCID it took is answered, the profile Allocated. */
static void test_unflushed_download_order(void **state)
{
	fx *f = *state;
	const char *v;
	size_t n;
	json_t *o;

	o = call_unflushed(f, "downloadOrder",
	                   "{" HDR ",\"profileType\":\"GSMA Generic eUICC Test Profile\"}");
	assert_int_equal(orsp_json_get_string(o, "iccid", 20, &v, &n), ORSP_OK);
	assert_string_equal(v, ICCID);
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_ALLOCATED);
}

/* confirmOrder: its matching ID and EID answered from the profile read again (the store's
 * output is not filled when the commit fails); an expiry committed so is the refusal. */
static void test_unflushed_confirm(void **state)
{
	fx *f = *state;
	const char *v;
	size_t n;
	json_t *o;

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	o = call_unflushed(f, "confirmOrder",
	                   "{" HDR ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID
	                   "\",\"matchingId\":\"UNFLUSHED-1\",\"releaseFlag\":true}");
	assert_int_equal(orsp_json_get_string(o, "matchingId", 64, &v, &n), ORSP_OK);
	assert_string_equal(v, "UNFLUSHED-1");
	assert_int_equal(orsp_json_get_string(o, "eid", 32, &v, &n), ORSP_OK);
	assert_string_equal(v, EID);
	json_decref(o);
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
}

static void test_unflushed_confirm_expired(void **state)
{
	fx *f = *state;

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	orsp_smdp_set_clock(f->s, orsp_smdp_now(f->s) + ORSP_SMDP_DEFAULT_VALIDITY_S + 86400);
	orsp_db_inject_sync_failure(orsp_smdp_db(f->s));
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":true}", "8.8.5",
	                 "4.10"));
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
}

/* A refusal for the order's state may describe what another request (another process's)
 * committed and has not flushed: it is flushed before it is said, so a flush failing then
 * is a 500, not the refusal (the power-loss review of session 77: confirmOrder refused "in
 * state released" 751 ms before that release was durable). */
static void test_refusal_flushed(void **state)
{
	fx *f = *state;
	const char *confirm = "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":true}";
	orsp_smdp_reply rep;

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	json_decref(call(f, "confirmOrder", confirm, NULL, NULL));
	json_decref(call(f, "confirmOrder", confirm, "8.2.1", "3.3"));
	orsp_db_inject_sync_failure(orsp_smdp_db(f->s));
	assert_int_not_equal(orsp_es2p_handle(&f->svc, f->s, "confirmOrder",
	                                      (const uint8_t *)confirm, strlen(confirm), &rep),
	                     ORSP_OK);
	assert_int_equal(rep.http_status, 500);
	assert_null(rep.body);
	orsp_smdp_reply_free(&rep);
	assert_true(orsp_db_flush_failed(orsp_smdp_db(f->s)));
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
}

/* releaseProfile and cancelOrder: done, answered with the warning alone. */
static void test_unflushed_release(void **state)
{
	fx *f = *state;

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	json_decref(call(f, "confirmOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID "\",\"releaseFlag\":false}", NULL, NULL));
	json_decref(call_unflushed(f, "releaseProfile", "{" HDR ",\"iccid\":\"" ICCID "\"}"));
	assert_int_equal(state_of(f), ORSP_SMDP_RELEASED);
}

static void test_unflushed_cancel(void **state)
{
	fx *f = *state;

	json_decref(call(f, "downloadOrder", "{" HDR ",\"iccid\":\"" ICCID "\"}", NULL, NULL));
	json_decref(call_unflushed(f, "cancelOrder",
	                           "{" HDR ",\"iccid\":\"" ICCID
	                           "\",\"finalProfileStatusIndicator\":\"Unavailable\"}"));
	assert_int_equal(state_of(f), ORSP_SMDP_UNAVAILABLE);
}

/* ----- a downloadOrder sent again (its answer lost) ----- */

#define TYPE "\"profileType\":\"GSMA Generic eUICC Test Profile\""

/* downloadOrder answers Executed-Success with iccid. */
static void order_gets(fx *f, const char *body, const char *iccid)
{
	json_t *o = call(f, "downloadOrder", body, NULL, NULL);

	assert_string_equal(json_string_value(json_object_get(o, "iccid")), iccid);
	json_decref(o);
}

static orsp_smdp_state state_at(fx *f, const char *iccid)
{
	orsp_smdp_profile p;

	assert_int_equal(orsp_smdp_get(f->s, iccid, &p), ORSP_OK);
	return p.state;
}

/* Close the store and open it again, as a server's restart does. */
static void reopen(fx *f)
{
	orsp_secret kek = {.len = 32};

	memset(kek.v, 3, 32);
	orsp_smdp_close(f->s);
	f->s = NULL;
	assert_int_equal(orsp_smdp_open(f->db, &kek, &f->s), ORSP_OK);
	assert_int_equal(orsp_es9p_prepare(f->s), ORSP_OK);
}

/* SGP.22 §6.5.1.2 makes both identifiers of the header mandatory: an empty one, or one of
 * white space alone, is refused 1.2/2.1 naming it, in every ES2+ function, and nothing is
 * done. Until session 74 they were taken, and with es2_call_replay two downloadOrders of the
 * same body and empty identifiers were one order, the second caller given the first's
 * ICCID. */
static void test_header_blank(void **state)
{
	fx *f = *state;
	static const char *const fns[] = {"downloadOrder", "confirmOrder", "cancelOrder",
	                                  "releaseProfile"};
	static const struct {
		const char *requester, *id, *says;
	} cases[] = {
	    {"", "c1", "header.functionRequesterIdentifier: empty"},
	    {"op", "", "header.functionCallIdentifier: empty"},
	    {"", "", "header.functionRequesterIdentifier: empty"},
	    {" ", "c1", "header.functionRequesterIdentifier: white space alone"},
	    {"op", " \\t\\r\\n", "header.functionCallIdentifier: white space alone"},
	};
	char body[400];

	f->svc.es2_call_replay = true;
	import_second(f);
	for (size_t i = 0; i < ORSP_ARRAY_LEN(fns); i++)
		for (size_t j = 0; j < ORSP_ARRAY_LEN(cases); j++) {
			snprintf(body, sizeof(body),
			         "{\"header\":{\"functionRequesterIdentifier\":\"%s\","
			         "\"functionCallIdentifier\":\"%s\"},\"iccid\":\"" ICCID "\","
			         "\"releaseFlag\":true,\"finalProfileStatusIndicator\":"
			         "\"Available\"}",
			         cases[j].requester, cases[j].id);
			call_msg(f, fns[i], body, "1.2", "2.1", cases[j].says);
		}
	/* the reviewer's pair: two downloadOrders by type, empty identifiers */
	for (int k = 0; k < 2; k++)
		call_msg(f, "downloadOrder",
		         "{\"header\":{\"functionRequesterIdentifier\":\"\","
		         "\"functionCallIdentifier\":\"\"}," TYPE "}",
		         "1.2", "2.1", "header.functionRequesterIdentifier: empty");
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_AVAILABLE);
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_AVAILABLE);
	/* an identifier with spaces around other characters is one */
	order_gets(f,
	           "{\"header\":{\"functionRequesterIdentifier\":\" op \","
	           "\"functionCallIdentifier\":\" 1 \"}," TYPE "}",
	           ICCID);
}

/* The same downloadOrder call (requester and call identifier) sent again, as an operator
 * does whose answer was lost: the same ICCID, and no second profile taken (each call took
 * one until session 70); audited as downloadOrderReplay. The identifier used for another
 * body is refused; another identifier is another order; a restart forgets nothing. */
static void test_order_replay(void **state)
{
	fx *f = *state;

	f->svc.es2_call_replay = true;
	const char *by_type = "{" HDR_CALL("r1") "," TYPE "}";
	last_audit a;

	import_second(f);
	order_gets(f, by_type, ICCID);
	order_gets(f, by_type, ICCID);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_AVAILABLE);
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, keep_last, &a, NULL), ORSP_OK);
	assert_string_equal(a.r.action, "downloadOrderReplay");
	assert_string_equal(a.r.from, "allocated");
	assert_string_equal(a.r.to, "allocated");
	assert_string_equal(a.r.detail, "by requester \"op\" call \"r1\"");
	/* the identifier of that call for another request: refused, nothing ordered */
	call_msg(f, "downloadOrder", "{" HDR_CALL("r1") "," TYPE ",\"eid\":\"" EID "\"}", "1.2",
	         "2.1", "functionCallIdentifier r1 was used for another request");
	call_msg(f, "downloadOrder", "{" HDR_CALL("r1") ",\"iccid\":\"" ICCID2 "\"}", "1.2", "2.1",
	         "functionCallIdentifier r1 was used for another request");
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_AVAILABLE);
	/* another call identifier, or another requester's: another call */
	order_gets(f, "{" HDR_CALL("r2") "," TYPE "}", ICCID2);
	json_decref(call(f, "downloadOrder",
	                 "{\"header\":{\"functionRequesterIdentifier\":\"op2\","
	                 "\"functionCallIdentifier\":\"r1\"}," TYPE "}",
	                 "8.2.5", "3.7"));
	/* after a restart */
	reopen(f);
	order_gets(f, by_type, ICCID);
	order_gets(f, "{" HDR_CALL("r2") "," TYPE "}", ICCID2);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
}

/* A downloadOrder by ICCID sent again: the same answer (8.2.1/3.3 until session 70); an order ended
 * since is still answered, as it was placed, and nothing is ordered again (the operator learns its
 * end from the next function on it), as long as the profile was not ordered again
 * (test_order_replay_reordered). */
static void test_order_replay_ended(void **state)
{
	fx *f = *state;

	f->svc.es2_call_replay = true;
	const char *order = "{" HDR_CALL("i1") ",\"iccid\":\"" ICCID "\"}";

	order_gets(f, order, ICCID);
	order_gets(f, order, ICCID);
	json_decref(call(f, "cancelOrder", CANCEL_TO_AVAILABLE, NULL, NULL));
	order_gets(f, order, ICCID);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_AVAILABLE);
}

/* The reviewer's case of session 74: a call's order (by type) cancelled to Available, the
 * profile ordered by another call, then the first call sent again with the same body. Until
 * then the replay answered the ICCID, now the second call's order, and the operator's
 * confirmOrder for the first customer acted on it; it is refused (8.2.1/3.3 naming the
 * profile), nothing written, and the second call is still answered as its own. By ICCID
 * the same. */
static void test_order_replay_reordered(void **state)
{
	fx *f = *state;

	f->svc.es2_call_replay = true;
	const char *cust1 = "{" HDR_CALL("cust1-order") "," TYPE "}";
	const char *cust2 = "{" HDR_CALL("cust2-order") "," TYPE "}";
	last_audit a;

	import_second(f);
	order_gets(f, cust1, ICCID);
	json_decref(call(f, "cancelOrder", CANCEL_TO_AVAILABLE, NULL, NULL));
	order_gets(f, cust2, ICCID);
	call_msg(f, "downloadOrder", cust1, "8.2.1", "3.3",
	         "the order this call placed (profile " ICCID
	         ") has ended, and the profile was ordered again since");
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_AVAILABLE);
	assert_int_equal(orsp_smdp_audit_walk(f->s, ICCID, keep_last, &a, NULL), ORSP_OK);
	assert_string_equal(a.r.action, "downloadOrder");
	assert_string_equal(a.r.detail + strlen(a.r.detail) -
	                        strlen("by requester \"op\" call \"cust2-order\""),
	                    "by requester \"op\" call \"cust2-order\"");
	order_gets(f, cust2, ICCID);
	/* by ICCID: the second order, then the first call again */
	const char *by1 = "{" HDR_CALL("i-1") ",\"iccid\":\"" ICCID2 "\"}";
	order_gets(f, by1, ICCID2);
	json_decref(call(f, "cancelOrder",
	                 "{" HDR ",\"iccid\":\"" ICCID2
	                 "\",\"finalProfileStatusIndicator\":\"Available\"}",
	                 NULL, NULL));
	order_gets(f, "{" HDR_CALL("i-2") ",\"iccid\":\"" ICCID2 "\"}", ICCID2);
	call_msg(f, "downloadOrder", by1, "8.2.1", "3.3", "ordered again since");
	/* ... and after a restart */
	reopen(f);
	call_msg(f, "downloadOrder", cust1, "8.2.1", "3.3", "ordered again since");
	order_gets(f, cust2, ICCID);
}

/* Without es2_call_replay (the default), confirmOrder, releaseProfile and cancelOrder are
 * executed again when sent again: a retry after a lost answer is refused as
 * docs/smdp-server.md says ("Without es2_call_replay"), although the first call succeeded; a
 * cancelOrder retried with the old order's EID or matching ID leaves a later order of the
 * profile alone, one without them cancels it. With replays on until session 79 too; now
 * those are replays (test_cancel_replay, test_confirm_replay, test_release_replay). */
/* fn with body done, then the same call sent again refused with code subject/reason, its
 * message saying says. */
static void done_then_refused(fx *f, const char *fn, const char *body, const char *subject,
                              const char *reason, const char *says)
{
	json_decref(call(f, fn, body, NULL, NULL));
	call_msg(f, fn, body, subject, reason, says);
}

static void test_retry_not_replayed(void **state)
{
	fx *f = *state;

	const char *confirm = "{" HDR_CALL("c1") ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID
	                                         "\",\"releaseFlag\":false}";
	const char *release = "{" HDR_CALL("r1") ",\"iccid\":\"" ICCID "\"}";
	const char *confirm2 = "{" HDR_CALL("c2") ",\"iccid\":\"" ICCID2 "\",\"eid\":\"" EID
	                                          "\",\"releaseFlag\":true}";
	const char *cancel2 =
	    "{" HDR_CALL("x2") ",\"iccid\":\"" ICCID2
	                       "\",\"finalProfileStatusIndicator\":\"Available\"}";
	const char *cancel1 =
	    "{" HDR_CALL("x1") ",\"iccid\":\"" ICCID
	                       "\",\"finalProfileStatusIndicator\":\"Unavailable\"}";
	char body[400], mid[ORSP_SMDP_MATCHING_ID_MAX + 1];
	json_t *o;

	import_second(f);
	order_gets(f, "{" HDR_CALL("d1") ",\"iccid\":\"" ICCID "\"}", ICCID);
	done_then_refused(f, "confirmOrder", confirm, "8.2.1", "3.3",
	                  "confirmOrder is not allowed in state confirmed");
	done_then_refused(f, "releaseProfile", release, "8.2.1", "3.5",
	                  "releaseProfile is not allowed in state released");
	done_then_refused(f, "cancelOrder", cancel1, "8.2.1", "3.3",
	                  "cancelOrder(unavailable) is not allowed in state unavailable");

	order_gets(f, "{" HDR_CALL("d2") ",\"iccid\":\"" ICCID2 "\"}", ICCID2);
	o = call(f, "confirmOrder", confirm2, NULL, NULL);
	snprintf(mid, sizeof(mid), "%s", json_string_value(json_object_get(o, "matchingId")));
	json_decref(o);
	call_msg(f, "confirmOrder", confirm2, "8.2.1", "3.3",
	         "confirmOrder(release) is not allowed in state released");
	done_then_refused(f, "cancelOrder", cancel2, "8.2.1", "3.3",
	                  "cancelOrder(available) is not allowed in state available");
	/* ordered again (no EID, another matching ID): the old order's retries leave it */
	order_gets(f, "{" HDR_CALL("d3") ",\"iccid\":\"" ICCID2 "\"}", ICCID2);
	json_decref(call(f, "cancelOrder",
	                 "{" HDR_CALL("x2") ",\"iccid\":\"" ICCID2 "\",\"eid\":\"" EID
	                                    "\",\"finalProfileStatusIndicator\":\"Available\"}",
	                 "8.1.1", "3.10"));
	snprintf(body, sizeof(body),
	         "{" HDR_CALL("x2") ",\"iccid\":\"" ICCID2 "\",\"matchingId\":\"%s\","
	                            "\"finalProfileStatusIndicator\":\"Available\"}",
	         mid);
	json_decref(call(f, "cancelOrder", body, "8.2.6", "3.10"));
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_ALLOCATED);
	/* ... and the bare retry cancels it */
	json_decref(call(f, "cancelOrder", cancel2, NULL, NULL));
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_AVAILABLE);
}

/* ----- confirmOrder, cancelOrder and releaseProfile sent again (es2_call_replay) ----- */

/* The header of call `id` of requester `rq`. */
#define HDR_RQ(rq, id)                                                                             \
	"\"header\":{\"functionRequesterIdentifier\":\"" rq "\","                                  \
	"\"functionCallIdentifier\":\"" id "\"}"

/* cancelOrder of iccid to `final` (Available or Unavailable), call `id` of requester `rq` */
#define CANCEL_BY(rq, id, iccid, final)                                                            \
	"{" HDR_RQ(rq, id) ",\"iccid\":\"" iccid "\",\"finalProfileStatusIndicator\":\"" final "\"}"
/* confirmOrder of iccid with releaseFlag `release`, call `id` of requester `rq` */
#define CONFIRM_BY(rq, id, iccid, release)                                                         \
	"{" HDR_RQ(rq, id) ",\"iccid\":\"" iccid "\",\"releaseFlag\":" release "}"

/* fn with body answers Executed-Success. */
static void done(fx *f, const char *fn, const char *body)
{
	json_decref(call(f, fn, body, NULL, NULL));
}

/* The profile's last audit row is `action`, its detail ending with `tail`. */
static void last_row_is(fx *f, const char *iccid, const char *action, const char *tail)
{
	last_audit a;
	size_t n = strlen(tail), m;

	assert_int_equal(orsp_smdp_audit_walk(f->s, iccid, keep_last, &a, NULL), ORSP_OK);
	assert_string_equal(a.r.action, action);
	m = strlen(a.r.detail);
	if (m < n || strcmp(a.r.detail + m - n, tail) != 0)
		fail_msg("%s: detail \"%s\" does not end with \"%s\"", action, a.r.detail, tail);
}

/* confirmOrder answers Executed-Success: its matchingId into mid, and its eid (absent: ""). */
static void confirm_gets(fx *f, const char *body, char mid[ORSP_SMDP_MATCHING_ID_MAX + 1],
                         const char *eid)
{
	json_t *o = call(f, "confirmOrder", body, NULL, NULL);
	json_t *e = json_object_get(o, "eid");

	snprintf(mid, ORSP_SMDP_MATCHING_ID_MAX + 1, "%s",
	         json_string_value(json_object_get(o, "matchingId")));
	assert_true(mid[0]);
	assert_string_equal(e ? json_string_value(e) : "", eid);
	json_decref(o);
}

/* The review's case of session 79: operator A's cancelOrder done, its answer lost; operator B
 * orders the same profile (by type, no EID); A's retry, the same request byte for byte, was
 * executed again and cancelled B's order (Executed-Success), and B's confirmOrder then acted
 * on whatever order came next (operator C's, with an EID). Now the retry is a replay:
 * Executed-Success as first answered, audited as cancelOrderReplay, B's order left as it is;
 * C gets another profile, B confirms its own. The call identifier with another body is
 * refused 1.2/2.1, nothing done; a restart forgets nothing. */
static void test_cancel_replay(void **state)
{
	fx *f = *state;
	const char *a2 = CANCEL_BY("opA", "a-2", ICCID, "Available");
	char mid[ORSP_SMDP_MATCHING_ID_MAX + 1];
	orsp_smdp_profile p;

	f->svc.es2_call_replay = true;
	import_second(f);
	order_gets(f, "{" HDR_RQ("opA", "a-1") "," TYPE "}", ICCID);
	done(f, "cancelOrder", a2);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_AVAILABLE);
	order_gets(f, "{" HDR_RQ("opB", "b-1") "," TYPE "}", ICCID);
	/* A's retry */
	done(f, "cancelOrder", a2);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
	last_row_is(f, ICCID, "cancelOrderReplay",
	            "the profile holds a later order: left as it is; by requester \"opA\" call "
	            "\"a-2\"");
	/* C's order takes the other profile; B confirms its own */
	order_gets(f, "{" HDR_RQ("opC", "c-1") "," TYPE ",\"eid\":\"" EID "\"}", ICCID2);
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	confirm_gets(f, CONFIRM_BY("opB", "b-2", ICCID, "true"), mid, "");
	assert_string_equal(mid, p.matching_id);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_RELEASED);
	/* the identifier of A's call for another request: refused, nothing done */
	call_msg(f, "cancelOrder", CANCEL_BY("opA", "a-2", ICCID, "Unavailable"), "1.2", "2.1",
	         "functionCallIdentifier a-2 was used for another request");
	call_msg(f, "cancelOrder",
	         "{" HDR_RQ("opA", "a-2") ",\"iccid\":\"" ICCID "\",\"eid\":\"" EID
	                                  "\",\"finalProfileStatusIndicator\":\"Available\"}",
	         "1.2", "2.1", "functionCallIdentifier a-2 was used for another request");
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_RELEASED);
	/* after a restart, with the ICCID's 'F'-less form it always had: still a replay */
	reopen(f);
	done(f, "cancelOrder", a2);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_RELEASED);
	/* another call identifier is another call: B's order cancelled by B */
	done(f, "cancelOrder", CANCEL_BY("opB", "b-3", ICCID, "Unavailable"));
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_UNAVAILABLE);
	last_row_is(f, ICCID, "cancelOrder(unavailable)", "by requester \"opB\" call \"b-3\"");
}

/* With replays on, a cancelOrder whose matchingId is longer than the call's text buffer (the
 * field is judged by the store, after the call is recorded) has the refusal it has with them
 * off, 8.2.6/3.10 (a matching ID that is not the order's); until session 79 it was an error,
 * HTTP 500 ("request fields too long to hash"). Nothing changes. */
static void test_cancel_replay_long_field(void **state)
{
	fx *f = *state;
	static char value[1501], body[2048];

	f->svc.es2_call_replay = true;
	order_gets(f, "{" HDR_RQ("opA", "a-1") ",\"iccid\":\"" ICCID "\"}", ICCID);
	memset(value, 'A', sizeof(value) - 1);
	snprintf(body, sizeof(body),
	         "{" HDR_RQ("opA", "a-2") ",\"iccid\":\"" ICCID "\","
	                                  "\"finalProfileStatusIndicator\":\"Available\","
	                                  "\"matchingId\":\"%s\"}",
	         value);
	call_msg(f, "cancelOrder", body, "8.2.6", "3.10", "matching ID");
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
}

/* A confirmOrder done, its answer lost; the order cancelled to Available and the profile
 * ordered by operator B; the retry of the confirmOrder confirmed B's order and answered B's
 * matching ID until session 79. Now it is answered as it was (A's matching ID, no EID), B's
 * order left Allocated; with an EID and a confirmation code the same (the code is part of the
 * call: another one is another body, refused). */
static void test_confirm_replay(void **state)
{
	fx *f = *state;
	const char *a2 = CONFIRM_BY("opA", "a-2", ICCID, "false");
	const char *k1 =
	    "{" HDR_RQ("opA", "k-1") ",\"iccid\":\"" ICCID2 "\",\"eid\":\"" EID
	                             "\",\"confirmationCode\":\"1234\",\"releaseFlag\":true}";
	char mid_a[ORSP_SMDP_MATCHING_ID_MAX + 1], again[ORSP_SMDP_MATCHING_ID_MAX + 1];
	orsp_smdp_profile p;

	f->svc.es2_call_replay = true;
	import_second(f);
	order_gets(f, "{" HDR_RQ("opA", "a-1") ",\"iccid\":\"" ICCID "\"}", ICCID);
	confirm_gets(f, a2, mid_a, "");
	done(f, "cancelOrder", CANCEL_BY("opA", "a-3", ICCID, "Available"));
	order_gets(f, "{" HDR_RQ("opB", "b-1") "," TYPE "}", ICCID);
	assert_int_equal(orsp_smdp_get(f->s, ICCID, &p), ORSP_OK);
	assert_string_not_equal(p.matching_id, mid_a);
	/* A's retry: A's answer, B's order untouched */
	confirm_gets(f, a2, again, "");
	assert_string_equal(again, mid_a);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
	last_row_is(f, ICCID, "confirmOrderReplay",
	            "the profile holds a later order: left as it is; by requester \"opA\" call "
	            "\"a-2\"");
	/* another body under that identifier: refused, nothing done */
	call_msg(f, "confirmOrder", CONFIRM_BY("opA", "a-2", ICCID, "true"), "1.2", "2.1",
	         "functionCallIdentifier a-2 was used for another request");
	call_msg(f, "confirmOrder",
	         "{" HDR_RQ("opA", "a-2") ",\"iccid\":\"" ICCID
	                                  "\",\"matchingId\":\"\",\"eid\":\"" EID
	                                  "\",\"releaseFlag\":false}",
	         "1.2", "2.1", "was used for another request");
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
	/* B's own confirmOrder is B's order */
	confirm_gets(f, CONFIRM_BY("opB", "b-2", ICCID, "true"), again, "");
	assert_string_equal(again, p.matching_id);
	/* with an EID and a confirmation code: the EID answered again, the code part of the call */
	order_gets(f, "{" HDR_RQ("opA", "k-0") ",\"iccid\":\"" ICCID2 "\"}", ICCID2);
	confirm_gets(f, k1, mid_a, EID);
	reopen(f);
	confirm_gets(f, k1, again, EID);
	assert_string_equal(again, mid_a);
	last_row_is(f, ICCID2, "confirmOrderReplay", "by requester \"opA\" call \"k-1\"");
	call_msg(f, "confirmOrder",
	         "{" HDR_RQ("opA", "k-1") ",\"iccid\":\"" ICCID2 "\",\"eid\":\"" EID
	                                  "\",\"confirmationCode\":\"1235\",\"releaseFlag\":true}",
	         "1.2", "2.1", "functionCallIdentifier k-1 was used for another request");
	/* smdp_call keeps the call's hash with the code's HMAC in it, not one of the code as
	 * itself, which a search of short codes would find */
	{
		static const char plain[] = "iccid 20:" ICCID2 " eid 32:" EID
		                            " matchingId 0: confirmationCode 4:1234 releaseFlag 1";
		uint8_t h[32];
		char sql[200], hex[65];

		assert_int_equal(orsp_sha256(plain, strlen(plain), h), ORSP_OK);
		assert_int_equal(orsp_hex_encode(h, sizeof(h), hex, sizeof(hex)), ORSP_OK);
		snprintf(sql, sizeof(sql), "DELETE FROM smdp_call WHERE body_hash = x'%s'", hex);
		assert_int_equal(orsp_db_exec(orsp_smdp_db(f->s), sql), ORSP_OK);
		assert_int_equal(orsp_db_changes(orsp_smdp_db(f->s)), 0);
	}
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_RELEASED);
}

/* A releaseProfile done, its answer lost; the order cancelled to Available, the profile
 * ordered and confirmed by operator B; the retry released B's order until session 79. Now it
 * is answered Executed-Success and B's order stays Confirmed; another ICCID under that
 * identifier is refused. */
static void test_release_replay(void **state)
{
	fx *f = *state;
	const char *a3 = "{" HDR_RQ("opA", "a-3") ",\"iccid\":\"" ICCID "\"}";

	f->svc.es2_call_replay = true;
	import_second(f);
	order_gets(f, "{" HDR_RQ("opA", "a-1") "," TYPE "}", ICCID);
	done(f, "confirmOrder", CONFIRM_BY("opA", "a-2", ICCID, "false"));
	done(f, "releaseProfile", a3);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_RELEASED);
	done(f, "cancelOrder", CANCEL_BY("opA", "a-4", ICCID, "Available"));
	order_gets(f, "{" HDR_RQ("opB", "b-1") "," TYPE "}", ICCID);
	done(f, "confirmOrder", CONFIRM_BY("opB", "b-2", ICCID, "false"));
	/* A's retry */
	done(f, "releaseProfile", a3);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_CONFIRMED);
	last_row_is(f, ICCID, "releaseProfileReplay",
	            "the profile holds a later order: left as it is; by requester \"opA\" call "
	            "\"a-3\"");
	call_msg(f, "releaseProfile", "{" HDR_RQ("opA", "a-3") ",\"iccid\":\"" ICCID2 "\"}", "1.2",
	         "2.1", "functionCallIdentifier a-3 was used for another request");
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_AVAILABLE);
	/* B releases its own */
	done(f, "releaseProfile", "{" HDR_RQ("opB", "b-3") ",\"iccid\":\"" ICCID "\"}");
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_RELEASED);
}

/* A call older than the retention, its record deleted (orsp_smdp_call_prune, the server's
 * background thread), is no longer a replay: sent again, it places a new order, or for an
 * ICCID no longer Available is refused as a new order would be; a younger call is still a
 * replay (the records were kept for ever until session 71). */
static void test_order_replay_after_retention(void **state)
{
	fx *f = *state;

	f->svc.es2_call_replay = true;
	const int64_t t0 = 1000000, day = 86400;
	const char *by_iccid = "{" HDR_CALL("old-i") ",\"iccid\":\"" ICCID "\"}";
	size_t n = 0;

	import_second(f);
	orsp_smdp_set_clock(f->s, t0);
	order_gets(f, by_iccid, ICCID);
	orsp_smdp_set_clock(f->s, t0 + 20 * day);
	order_gets(f, "{" HDR_CALL("young") "," TYPE "}", ICCID2);
	orsp_smdp_set_clock(f->s, t0 + 31 * day);
	assert_int_equal(orsp_smdp_call_prune(f->s, 30 * day, 0, &n), ORSP_OK);
	assert_int_equal(n, 1);
	/* the young call is answered as before, nothing ordered */
	order_gets(f, "{" HDR_CALL("young") "," TYPE "}", ICCID2);
	/* the old one is a new downloadOrder of an ICCID that is not Available */
	json_decref(call(f, "downloadOrder", by_iccid, "8.2.1", "3.3"));
	/* cancelled to Available, it is ordered again by the same call */
	json_decref(call(f, "cancelOrder", CANCEL_TO_AVAILABLE, NULL, NULL));
	order_gets(f, by_iccid, ICCID);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
}

/* Without es2_call_replay (the default) every downloadOrder is executed: the same requester,
 * call identifier and body twice, as two pySim es2p clients started in the same second send
 * (each numbers its calls from 1), are two orders of two profiles, nothing recorded. With
 * replays on by default (session 70) they were merged into one, both callers given the one
 * ICCID as an order of their own. */
static void test_order_replay_off(void **state)
{
	fx *f = *state;
	const char *by_type = "{" HDR_CALL("FCI-1796612676-1") "," TYPE "}";

	import_second(f);
	order_gets(f, by_type, ICCID);
	order_gets(f, by_type, ICCID2);
	assert_int_equal(state_at(f, ICCID), ORSP_SMDP_ALLOCATED);
	assert_int_equal(state_at(f, ICCID2), ORSP_SMDP_ALLOCATED);
	/* none left of the type: refused as such, not answered as a replay */
	json_decref(call(f, "downloadOrder", by_type, "8.2.5", "3.7"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_lifecycle, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_replay_ended, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_replay_reordered, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_retry_not_replayed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_replay_long_field, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_confirm_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_release_replay, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_replay_after_retention, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_replay_off, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_header_blank, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reply_eid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_with_eid, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_eid_of_order_without, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actor_whole, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_actor_quoted, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_downloaded, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_installed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_reordered_meanwhile, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_confirm_eid_and_matching_id, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_order_iccid_and_type, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expired_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expired_order_after_sweep, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_iccid_f_pad, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_field_refusals, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_empty_optional_members, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cancel_without_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_cc_wiped, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_expiry_reported, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_stored_row_damaged, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unflushed_download_order, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unflushed_confirm, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unflushed_confirm_expired, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unflushed_release, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_refusal_flushed, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_unflushed_cancel, setup, teardown),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
