/* openrsp smdp: ES2+ (SGP.22 v2.2 §5.3, JSON binding §6.5) — the operator-facing functions
 * downloadOrder, confirmOrder, cancelOrder and releaseProfile over the inventory and state
 * machine of smdp_store.c. Authentication of the operator (API token or mutual TLS) is the
 * server's job (smdp_server.c); failures use the one status table (es9p_status.c). */
#include <stdarg.h>
#include <stdint.h>
#include <string.h>

#include "es9p_internal.h"
#include "smdp_internal.h"
#include "openrsp/crypto.h"
#include "openrsp/http.h"

typedef struct req {
	const orsp_smdp_service *svc;
	orsp_smdp *s;
	json_t *body;
	orsp_smdp_reply *out;
	bool unflushed; /* done, but not durably: flushed_only */
} req;

/* No length cap on a string member read before its own check (the body limit bounds it): an
 * EID, confirmation code or matching ID of any wrong length is refused by that check, with
 * the status code of its field, not as a string too long (1.2/2.1, over 1024 characters
 * until the cap went). */
#define FIELD_MAX SIZE_MAX

/* An optional string member as it came: NULL when absent; ORSP_E_MALFORMED when not a
 * string. */
static orsp_err opt_member(json_t *o, const char *k, size_t max, const char **out)
{
	size_t n;

	*out = NULL;
	if (!json_object_get(o, k))
		return ORSP_OK;
	return orsp_json_get_string(o, k, max, out, &n);
}

/* An optional string member: NULL when absent or empty, in every ES2+ function (an operator's
 * system may send its unused optional members as ""; required members keep their checks).
 * The one exception is the confirmation code (opt_member): an empty one is refused, not
 * taken as none, which would release a profile the operator meant to protect without it. */
static orsp_err opt_string(json_t *o, const char *k, size_t max, const char **out)
{
	orsp_err e = opt_member(o, k, max, out);

	if (!e && *out && !**out)
		*out = NULL;
	return e;
}

/* A refusal naming the field: "<table message>: field: <the check's detail>". */
static orsp_err fail_field(req *r, es9p_code code, const char *field)
{
	char m[320];

	snprintf(m, sizeof(m), "%s: %s", field, orsp_err_detail());
	return smdp_reply_fail(r->out, code, m);
}

/* The member "iccid" as the inventory keeps it. SGP.22 v2.2 §6.5.2 (ES2+ JSON) gives the
 * pattern ^[0-9]{19}[0-9F]?$: 20 digits, or 19 alone or followed by the 'F' that pads them
 * to ten BCD bytes (pySim's ES2+ client always sends that pad). The inventory keeps the
 * digits only (as the ProfileHeader's BCD decodes), so 19 digits and 'F' (or 'f') are the
 * 19-digit ICCID; 18 digits are taken too, as the inventory's schema allows them. Anything
 * else is malformed: ORSP_E_MALFORMED naming the field. */
static orsp_err iccid_of(json_t *o, char out[21])
{
	const char *v;
	size_t n;

	out[0] = '\0';
	if (orsp_json_get_string(o, "iccid", FIELD_MAX, &v, &n))
		return ORSP_E_MALFORMED;
	if (n == 20 && (v[19] == 'F' || v[19] == 'f') && strspn(v, "0123456789") == 19)
		n = 19;
	else if (strspn(v, "0123456789") != n)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "iccid: a character other than a digit at byte %zu (18 to 20 "
		                 "digits, or 19 digits and F)",
		                 strspn(v, "0123456789") + 1);
	else if (n < 18 || n > 20)
		return orsp_errf(ORSP_E_MALFORMED,
		                 "iccid: %zu digits, expected 18 to 20, or 19 digits and F", n);
	memcpy(out, v, n);
	out[n] = '\0';
	return ORSP_OK;
}

/* The header's identifiers are at most this long (check_header). */
#define ID_MAX 256

/* The common request header (§6.5.1.2): functionRequesterIdentifier and
 * functionCallIdentifier, both mandatory strings (of at most 256 bytes here) that name the
 * requester and its call: an empty one, or one of spaces alone, names neither (until session
 * 74 it was taken, and with es2_call_replay two downloadOrders of the same body with empty
 * identifiers were merged into one). The error says which member is wrong and how: missing,
 * not a string, too long, holding a NUL, empty or blank. */
static orsp_err check_header(json_t *o)
{
	static const char *const names[] = {"functionRequesterIdentifier",
	                                    "functionCallIdentifier"};
	json_t *h = json_object_get(o, "header");
	char why[ORSP_ERR_DETAIL_MAX];
	const char *v;
	size_t n;

	if (!json_is_object(h))
		return orsp_errf(ORSP_E_MALFORMED,
		                 "header (functionRequesterIdentifier and functionCallIdentifier): "
		                 "missing or not an object");
	for (size_t i = 0; i < ORSP_ARRAY_LEN(names); i++) {
		if (orsp_json_get_string(h, names[i], ID_MAX, &v, &n)) {
			snprintf(why, sizeof(why), "%s", orsp_err_detail());
			return orsp_errf(ORSP_E_MALFORMED, "header.%s", why);
		}
		if (n == 0)
			return orsp_errf(ORSP_E_MALFORMED, "header.%s: empty", names[i]);
		if (strspn(v, " \t\n\r\f\v") == n)
			return orsp_errf(ORSP_E_MALFORMED, "header.%s: white space alone",
			                 names[i]);
	}
	return ORSP_OK;
}

static es9p_code code_of(orsp_err e)
{
	switch (e) {
	case ORSP_E_NOT_FOUND:
		return ES2P_ICCID_UNKNOWN;
	case ORSP_E_STATE:
		return ES2P_WRONG_STATE;
	case ORSP_E_EXISTS:
		return ES2P_MATCHING_ID_CONFLICT;
	case ORSP_E_USAGE:
		return ES9P_MALFORMED;
	default:
		return ES9P_INTERNAL;
	}
}

/* Whether the store call that returned *e committed and failed only in its flush
 * (orsp_db_unflushed): what it did stands, as the console commands say it with a warning, and
 * is answered as done, Executed-WithWarning (docs/deploy.md; the failure's detail, which
 * names the database's file, is not told to the operator); *e becomes ORSP_OK, or with p the
 * result of reading the profile of iccid again into p (the store's output is not filled
 * then). Until session 65 an HTTP 500: an order placed so, and the ICCID it took, were never
 * told to the operator. The process begins no write from then on. */
static bool flushed_only(req *r, orsp_err *e, const char *iccid, orsp_smdp_profile *p)
{
	if (!orsp_db_unflushed(orsp_smdp_db(r->s), *e))
		return false;
	r->unflushed = true;
	orsp_err_clear();
	*e = p ? orsp_smdp_get(r->s, iccid, p) : ORSP_OK;
	return true;
}

/* Done: Executed-Success with obj's members, or Executed-WithWarning after flushed_only. */
static orsp_err reply_done(req *r, json_t *obj)
{
	return r->unflushed ? smdp_reply_warn(r->out, obj, ES9P_INTERNAL,
	                                      "the transaction was committed but may not survive "
	                                      "a power cut (the database's flush failed)")
	                    : smdp_reply_ok(r->out, obj);
}

/* After a store call: internal failures are returned (HTTP 500), refusals answered from the
 * table; *answered tells the caller to stop. The request's fields were checked before the
 * call, so ORSP_E_MALFORMED from the store is a stored row it cannot read back: the SM-DP+'s
 * failure (HTTP 500, as where the handlers read the row themselves), not 1.2/2.1. */
static orsp_err refused(req *r, orsp_err e, bool *answered)
{
	*answered = e != ORSP_OK;
	if (smdp_internal_error(e) || e == ORSP_E_MALFORMED)
		return e;
	return e ? smdp_reply_fail(r->out, code_of(e), orsp_err_detail()) : ORSP_OK;
}

/* Executed-Success with no member, or with one string member k = v. */
static orsp_err reply_ok(req *r, const char *k, const char *v)
{
	json_t *obj = json_object();
	orsp_err e = obj ? ORSP_OK : orsp_errf(ORSP_E_RESOURCE, "out of memory");

	if (!e && k)
		e = orsp_json_put_string(obj, k, v);
	if (!e)
		e = reply_done(r, obj);
	json_decref(obj);
	return e;
}

/* The call this request is (orsp_smdp_call), when the operator's call identifiers are to be
 * replayed (es2_call_replay; otherwise NULL and nothing is recorded): the header's names, and
 * the SHA-256 of the text fmt makes of the fields the call depends on, as they were read
 * (absent and empty alike unless said), each with its length, so that no two bodies give the
 * same text. The ICCID is the inventory's digits: with or without the 'F' pad it is the same
 * request. A text longer than the buffer on the stack (a field the call checks later, such as
 * cancelOrder's matchingId, can be as long as the body) is made on the heap: until session 79
 * it was refused as an error, HTTP 500, where the same request without replays had its SGP.22
 * refusal. */
ORSP_PRINTF(3, 4)
static orsp_err call_of(req *r, orsp_smdp_call *c, const char *fmt, ...)
{
	json_t *h = json_object_get(r->body, "header");
	char text[700], *big = NULL;
	va_list ap;
	int n;
	orsp_err e;

	c->requester = json_string_value(json_object_get(h, "functionRequesterIdentifier"));
	c->id = json_string_value(json_object_get(h, "functionCallIdentifier"));
	va_start(ap, fmt);
	n = vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	if (n < 0)
		return orsp_errf(ORSP_E_RESOURCE, "%s: cannot make the call's text",
		                 r->out->function);
	if ((size_t)n >= sizeof(text)) {
		if (!(big = malloc((size_t)n + 1)))
			return orsp_errf(ORSP_E_RESOURCE, "out of memory");
		va_start(ap, fmt);
		n = vsnprintf(big, (size_t)n + 1, fmt, ap);
		va_end(ap);
	}
	e = orsp_sha256(big ? big : text, (size_t)n, c->body_hash);
	free(big);
	return e;
}

/* A field of a call's text (call_of) as "%zu:%s": its length and itself, NULL as "". */
static size_t len_of(const char *v)
{
	return v ? strlen(v) : 0;
}

static const char *text_of(const char *v)
{
	return v ? v : "";
}

#define LEN_STR(v) len_of(v), text_of(v)

static orsp_err download_order(req *r)
{
	const char *eid, *type, *by_iccid;
	char iccid[21];
	orsp_smdp_call call = {0};
	/* a replay only when the operator says its call identifiers are unique per requester
	 * (es2_call_replay); otherwise every downloadOrder is executed */
	orsp_smdp_order o = {.call = r->svc->es2_call_replay ? &call : NULL};
	orsp_smdp_profile p;
	bool answered;
	orsp_err e;

	/* iccid, profileType or both (absent or empty: not given) */
	if (opt_string(r->body, "eid", FIELD_MAX, &eid) ||
	    opt_string(r->body, "iccid", FIELD_MAX, &by_iccid) ||
	    opt_string(r->body, "profileType", 400, &type))
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	if (!by_iccid && !type)
		return smdp_reply_fail(r->out, ES9P_MALFORMED, "give iccid or profileType");
	if (by_iccid && iccid_of(r->body, iccid))
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	if (eid && orsp_eid_check(eid))
		return fail_field(r, ES2P_EID_INVALID, "eid");
	if (o.call && (e = call_of(r, &call, "eid %zu:%s iccid %zu:%s profileType %zu:%s",
	                           LEN_STR(eid), LEN_STR(by_iccid ? iccid : NULL), LEN_STR(type))))
		return e;
	/* SGP.22 §5.3.1: with both, the order is for that ICCID, whose profile must be of that
	 * type (8.2.5/3.8 otherwise). A profile's type is fixed at its import, so it is read
	 * here, before the store's transaction orders it by ICCID. */
	if (by_iccid && type) {
		e = orsp_smdp_get(r->s, iccid, &p);
		if (e == ORSP_E_NOT_FOUND)
			return smdp_reply_fail(r->out, ES2P_ICCID_UNKNOWN, NULL);
		if (e)
			return e;
		if (strcmp(p.profile_type, type) != 0)
			return smdp_reply_fail(r->out, ES2P_PROFILE_TYPE_MISMATCH, NULL);
		type = NULL;
	}
	o.iccid = by_iccid ? iccid : NULL;
	o.profile_type = type;
	o.eid = eid;
	e = orsp_smdp_download_order(r->s, &o, &p);
	(void)flushed_only(r, &e, NULL, NULL); /* p was read in the transaction */
	/* a call executed before with another body: refused, nothing placed; the same body
	 * is answered below as it was then (docs/smdp-server.md, "A repeated downloadOrder is
	 * a replay") */
	if (e == ORSP_E_EXISTS && call.conflict)
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	/* the same body, but the profile the call took has been ordered again since: its ICCID
	 * is no longer this call's order to answer (SGP.22 §5.3.1 has no code of its own for
	 * it: 8.2.1/3.3, the profile is not in a state for this call's order) */
	if (e == ORSP_E_STATE && call.ended)
		return smdp_reply_fail(r->out, ES2P_WRONG_STATE, orsp_err_detail());
	if (e == ORSP_E_NOT_FOUND && type)
		return smdp_reply_fail(r->out, ES2P_PROFILE_TYPE_UNKNOWN, NULL);
	if (e == ORSP_E_STATE && type) /* the type is known, none of it Available */
		return smdp_reply_fail(r->out, ES2P_PROFILE_TYPE_UNAVAILABLE, NULL);
	if ((e = refused(r, e, &answered)) || answered)
		return e;
	if (eid)
		snprintf(r->out->eid, sizeof(r->out->eid), "%s", eid);
	/* the ICCID as the inventory keeps it: digits, without an 'F' pad the request had */
	return reply_ok(r, "iccid", p.iccid);
}

/* A confirmOrder or releaseProfile the store refused for the state of the profile of iccid
 * (ORSP_E_STATE): answered `code` with the refusal's message, but 8.8.5/4.10 when the order
 * ended by its expiry (Unavailable with the expiry's audit row, orsp_smdp_ended_by_expiry, as
 * ES9+ asks), as the call was answered before the background expiry reached the order; until
 * session 73 the same call got 8.8.5/4.10 before the round and the state's code after it,
 * by timing. The profile is read again: the store's transaction may have seen an expiry the
 * handler's read did not. */
static orsp_err refused_state(req *r, const char *iccid, es9p_code code)
{
	char why[ORSP_ERR_DETAIL_MAX];
	orsp_smdp_profile p;
	bool expired = false;
	orsp_err e;

	snprintf(why, sizeof(why), "%s", orsp_err_detail());
	e = orsp_smdp_get(r->s, iccid, &p);
	if (!e)
		e = orsp_smdp_ended_by_expiry(r->s, &p, &expired);
	/* the profile gone meanwhile (purged), or the read failed: the state's refusal stands,
	 * not a 500 */
	if (e) {
		orsp_err_clear();
		expired = false;
	}
	return expired ? smdp_reply_fail(r->out, ES9P_ORDER_EXPIRED, NULL)
	               : smdp_reply_fail(r->out, code, why);
}

/* The label of the key under which a confirmation code is put in its call's hash
 * (confirm_call_of; orsp_smdp_label_mac). */
#define CALL_CC_LABEL "openrsp es2 call confirmationCode v1"

/* The call this confirmOrder is (call_of). The confirmation code is in its text as its HMAC
 * under a key derived from the KEK, never as itself or a plain hash: smdp_call keeps the
 * hash, and a short code would be found from a plain one by trying them all (the profile
 * keeps it wrapped). An empty matchingId (need_eid) is not an absent one. */
static orsp_err confirm_call_of(req *r, const char *iccid, const char *eid, const char *mid,
                                bool need_eid, const char *cc, bool release, orsp_smdp_call *c)
{
	uint8_t mac[32];
	char hex[2 * sizeof(mac) + 1] = "";
	orsp_err e = ORSP_OK;

	if (cc && !(e = orsp_smdp_label_mac(r->s, CALL_CC_LABEL, cc, strlen(cc), mac)))
		e = orsp_hex_encode(mac, sizeof(mac), hex, sizeof(hex));
	orsp_wipe(mac, sizeof(mac));
	if (!e)
		e = call_of(r, c,
		            "iccid %zu:%s eid %zu:%s matchingId %s%zu:%s confirmationCode %zu:%s"
		            " releaseFlag %d",
		            LEN_STR(iccid), LEN_STR(eid), need_eid ? "empty " : "", LEN_STR(mid),
		            LEN_STR(cc ? hex : NULL), release);
	orsp_wipe(hex, sizeof(hex));
	return e;
}

/* confirmOrder's Executed-Success: the order's matching ID, its EID ("": none) and this
 * SM-DP+'s address; the request's log line names the EID (bound now or by downloadOrder). */
static orsp_err confirm_answer(req *r, const char *mid, const char *eid)
{
	json_t *obj = json_object();
	orsp_err e;

	snprintf(r->out->eid, sizeof(r->out->eid), "%s", eid);
	if (!obj)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	e = orsp_json_put_string(obj, "matchingId", mid);
	if (!e && eid[0])
		e = orsp_json_put_string(obj, "eid", eid);
	if (!e)
		e = orsp_json_put_string(obj, "smdpAddress", r->svc->fqdn);
	if (!e)
		e = reply_done(r, obj);
	json_decref(obj);
	return e;
}

static orsp_err confirm_order(req *r)
{
	const char *eid, *mid, *cc, *smds;
	char iccid[21];
	json_t *flag = json_object_get(r->body, "releaseFlag");
	orsp_smdp_call call = {0};
	orsp_smdp_profile p;
	bool answered;
	orsp_err e;

	/* each field refused for itself: a missing or malformed iccid or releaseFlag, or an
	 * optional member that is no string, is 1.2/2.1 naming it; the format of an EID,
	 * matching ID and confirmation code is checked below, once the order is known */
	if (iccid_of(r->body, iccid) || opt_string(r->body, "eid", FIELD_MAX, &eid) ||
	    opt_string(r->body, "matchingId", FIELD_MAX, &mid) ||
	    opt_member(r->body, "confirmationCode", FIELD_MAX, &cc) ||
	    opt_string(r->body, "smdsAddress", FIELD_MAX, &smds))
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	if (!json_is_boolean(flag))
		return smdp_reply_fail(r->out, ES9P_MALFORMED,
		                       flag ? "releaseFlag: not a boolean"
		                            : "releaseFlag: missing");
	e = orsp_smdp_get(r->s, iccid, &p);
	if (e == ORSP_E_NOT_FOUND)
		return smdp_reply_fail(r->out, ES2P_ICCID_UNKNOWN, NULL);
	if (e)
		return e;
	/* SGP.22 §5.3.2: an EID named here binds an order placed without one, and must be the
	 * order's otherwise; a matching ID named here replaces the one downloadOrder made up
	 * (unique among orders; an empty one keeps it). Both only while the order waits for
	 * this confirmation. The store checks the state and the order's EID in its
	 * transaction (ORSP_E_POLICY below); only the formats are checked here, where a
	 * malformed value gets its own status code: an EID 8.1.1/2.1, a matching ID 1.2/2.1,
	 * a confirmation code 8.2.7/2.1 (docs/smdp-server.md). */
	if (eid && orsp_eid_check(eid))
		return fail_field(r, ES2P_EID_INVALID, "eid");
	if (mid && orsp_smdp_matching_id_check(mid))
		return fail_field(r, ES9P_MALFORMED, "matchingId");
	if (cc && orsp_smdp_cc_check(cc))
		return fail_field(r, ES2P_CC_INVALID, "confirmationCode");
	if (smds)
		return smdp_reply_fail(r->out, ES2P_SMDS_INACCESSIBLE,
		                       "SM-DS registration is not supported");
	/* SGP.22 §5.3.2: a matchingId of zero length asks for no activation code, the eUICC
	 * coming through its default SM-DP+ address, which finds its order by the EID: without
	 * one, in the request or the order, none could ever download it (and the matching ID
	 * kept would be an activation code for any eUICC), 8.1.1/2.2, judged by the store after
	 * the state and the expiry (need_eid). With one, the order keeps the matching ID it has,
	 * for the EID's order alone. */
	bool need_eid = !mid && json_is_string(json_object_get(r->body, "matchingId"));
	if (r->svc->es2_call_replay &&
	    (e = confirm_call_of(r, iccid, eid, mid, need_eid, cc, json_is_true(flag), &call)))
		return e;
	/* a call's replay is judged by the store first: the profile may hold no order now */
	if (!p.matching_id[0] && !r->svc->es2_call_replay)
		return smdp_reply_fail(r->out, ES2P_WRONG_STATE, orsp_smdp_state_name(p.state));
	{
		orsp_smdp_confirmation conf = {.eid = eid,
		                               .matching_id = mid,
		                               .cc = cc,
		                               .release = json_is_true(flag),
		                               .need_eid = need_eid,
		                               .call = r->svc->es2_call_replay ? &call : NULL};
		e = orsp_smdp_confirm(r->s, p.iccid, &conf, &p);
	}
	/* an expiry committed so is the refusal it would have been (a replay commits its audit
	 * row alone) */
	if (flushed_only(r, &e, iccid, &p) && !e && !call.replayed &&
	    p.state == ORSP_SMDP_UNAVAILABLE)
		e = ORSP_E_POLICY;
	/* the call executed before with another body: refused, nothing done; the same body is
	 * answered as it was then (docs/smdp-server.md, "A repeated confirmOrder, cancelOrder
	 * or releaseProfile is a replay too") */
	if (e == ORSP_E_EXISTS && call.conflict)
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	if (!e && call.replayed)
		return confirm_answer(r, call.matching_id, call.eid);
	if (e == ORSP_E_NOT_FOUND && need_eid) /* the ICCID was known above */
		return smdp_reply_fail(r->out, ES2P_EID_MISSING, NULL);
	if (e == ORSP_E_USAGE) /* the formats were checked above */
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	if (e == ORSP_E_EXISTS)
		return smdp_reply_fail(r->out, ES2P_MATCHING_ID_CONFLICT, NULL);
	if (e == ORSP_E_POLICY && p.state == ORSP_SMDP_UNAVAILABLE) /* it expired */
		return smdp_reply_fail(r->out, ES9P_ORDER_EXPIRED, NULL);
	if (e == ORSP_E_POLICY) /* SGP.22 §5.3.2: 8.1.1/3.10, the EID does not match */
		return smdp_reply_fail(r->out, ES2P_EID_ASSOCIATION, NULL);
	if (e == ORSP_E_STATE)
		return refused_state(r, p.iccid, ES2P_WRONG_STATE);
	if ((e = refused(r, e, &answered)) || answered)
		return e;
	if (json_is_true(flag) && orsp_es9p_warm(r->svc, r->s, p.iccid))
		orsp_err_clear(); /* the download builds it otherwise */
	return confirm_answer(r, p.matching_id, p.eid);
}

static orsp_err cancel_order(req *r)
{
	const char *eid, *mid, *fpsi;
	char iccid[21];
	orsp_smdp_profile p;
	orsp_smdp_mismatch why;
	orsp_smdp_call call = {0};
	bool answered;
	size_t n;
	orsp_err e;

	if (iccid_of(r->body, iccid) || opt_string(r->body, "eid", FIELD_MAX, &eid) ||
	    opt_string(r->body, "matchingId", FIELD_MAX, &mid))
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	if (orsp_json_get_string(r->body, "finalProfileStatusIndicator", 16, &fpsi, &n) ||
	    (strcmp(fpsi, "Available") != 0 && strcmp(fpsi, "Unavailable") != 0))
		return smdp_reply_fail(r->out, ES9P_MALFORMED,
		                       "finalProfileStatusIndicator: Available or Unavailable "
		                       "is required");
	e = orsp_smdp_get(r->s, iccid, &p);
	if (e == ORSP_E_NOT_FOUND)
		return smdp_reply_fail(r->out, ES2P_ICCID_UNKNOWN, NULL);
	if (e)
		return e;
	/* SGP.22 §5.3.3: a malformed EID is invalid (8.1.1/2.1), another one than the order's
	 * is an invalid association (8.1.1/3.10) */
	if (eid && orsp_eid_check(eid))
		return fail_field(r, ES2P_EID_INVALID, "eid");
	/* the order's EID and matching ID are compared by the store, in the transaction that
	 * cancels it: another process may have cancelled the order read above and placed one
	 * for another eUICC since. A matching ID that is not the order's (whatever its form)
	 * is refused as such, not as an unknown ICCID (known above). */
	if (r->svc->es2_call_replay &&
	    (e = call_of(r, &call,
	                 "iccid %zu:%s eid %zu:%s matchingId %zu:%s finalProfileStatusIndicator %s",
	                 LEN_STR(iccid), LEN_STR(eid), LEN_STR(mid), fpsi)))
		return e;
	e = orsp_smdp_cancel_order_call(r->s, iccid, eid, mid, strcmp(fpsi, "Available") == 0, &why,
	                                r->svc->es2_call_replay ? &call : NULL);
	(void)flushed_only(r, &e, NULL, NULL);
	/* a call executed before: with another body refused, nothing done; with the same
	 * answered as it was then, whatever order the profile holds now */
	if (e == ORSP_E_EXISTS && call.conflict)
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	/* an order placed without an EID is not "a different EID": the message says so */
	if (e == ORSP_E_POLICY)
		return smdp_reply_fail(
		    r->out, ES2P_EID_ASSOCIATION,
		    why == ORSP_SMDP_MISMATCH_NO_EID ? "none is: the order names no EID" : NULL);
	if (e == ORSP_E_NOT_FOUND && mid)
		return smdp_reply_fail(r->out, ES2P_MATCHING_ID_ASSOCIATION,
		                       "not the matching ID of the order");
	if ((e = refused(r, e, &answered)) || answered)
		return e;
	/* the log line's EID: the one the store matched, or the order's as read above */
	snprintf(r->out->eid, sizeof(r->out->eid), "%s", eid ? eid : p.eid);
	return reply_ok(r, NULL, NULL);
}

static orsp_err release_profile(req *r)
{
	char iccid[21];
	orsp_smdp_call call = {0};
	orsp_smdp_profile p;
	bool answered;
	orsp_err e;

	if (iccid_of(r->body, iccid))
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	if (r->svc->es2_call_replay && (e = call_of(r, &call, "iccid %zu:%s", LEN_STR(iccid))))
		return e;
	e = orsp_smdp_release_call(r->s, iccid, r->svc->es2_call_replay ? &call : NULL);
	if (flushed_only(r, &e, iccid, &p) && !e && !call.replayed &&
	    p.state == ORSP_SMDP_UNAVAILABLE)
		e = ORSP_E_POLICY; /* an expiry committed so */
	/* a call executed before: with another body refused, nothing done; with the same
	 * answered as it was then */
	if (e == ORSP_E_EXISTS && call.conflict)
		return smdp_reply_fail(r->out, ES9P_MALFORMED, orsp_err_detail());
	if (!e && call.replayed)
		return reply_ok(r, NULL, NULL);
	if (e == ORSP_E_POLICY)    /* the order expired: the profile is Unavailable now */
		return smdp_reply_fail(r->out, ES9P_ORDER_EXPIRED, NULL);
	/* SGP.22 §5.3.4: a profile that is not Confirmed cannot be released (8.2.1/3.5) */
	if (e == ORSP_E_STATE)
		return refused_state(r, iccid, ES2P_NOT_RELEASABLE);
	if ((e = refused(r, e, &answered)) || answered)
		return e;
	if (orsp_es9p_warm(r->svc, r->s, iccid))
		orsp_err_clear();
	return reply_ok(r, NULL, NULL);
}

static const struct {
	const char *name;
	orsp_err (*fn)(req *r);
} functions[] = {
    {"downloadOrder", download_order},
    {"confirmOrder", confirm_order},
    {"cancelOrder", cancel_order},
    {"releaseProfile", release_profile},
};

/* s (at most ID_MAX bytes: more is cut) between double quotes, a '"' or '\\' in it after a
 * '\\', into out: an identifier the request chose cannot end its quote and go on as the actor's
 * own words (a requester "op call 1; by certificate ...: op-b" read as if another operator's
 * certificate had vouched for the row). */
static void quote_id(char out[static 2 * ID_MAX + 3], const char *s)
{
	size_t n = 0;

	out[n++] = '"';
	for (; *s && n + 2 <= 2 * ID_MAX + 1; s++) {
		if (*s == '"' || *s == '\\')
			out[n++] = '\\';
		out[n++] = *s;
	}
	out[n++] = '"';
	out[n] = '\0';
}

_Static_assert(ORSP_SMDP_ACTOR_MAX >=
                   ORSP_SMDP_AUTH_MAX + sizeof(": requester  call ") + 2 * (2 * ID_MAX + 2),
               "an ES2+ actor is cut");

orsp_err orsp_es2p_handle(const orsp_smdp_service *svc, orsp_smdp *s, const char *function,
                          const uint8_t *body, size_t len, orsp_smdp_reply *out)
{
	size_t max = svc && svc->max_body ? svc->max_body : 256 * 1024;
	req r = {.svc = svc, .s = s, .out = out};
	orsp_err e;

	if (!svc || !s || !function || !out || (!body && len))
		return orsp_errf(ORSP_E_USAGE, "es2p: bad arguments");
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < ORSP_ARRAY_LEN(functions); i++) {
		if (strcmp(function, functions[i].name) != 0)
			continue;
		snprintf(out->function, sizeof(out->function), "%s", function);
		if (len > max)
			return smdp_reply_fail(out, ES9P_MALFORMED, "request body too large");
		if (orsp_json_parse(body, len, max, &r.body) != ORSP_OK)
			return smdp_reply_fail(out, ES9P_MALFORMED, orsp_err_detail());
		if (check_header(r.body) != ORSP_OK)
			e = smdp_reply_fail(out, ES9P_MALFORMED, orsp_err_detail());
		else {
			/* every audit row of the request names it: the operator and the call */
			json_t *h = json_object_get(r.body, "header");
			char actor[ORSP_SMDP_ACTOR_MAX], rq[2 * ID_MAX + 3],
			    call_id[2 * ID_MAX + 3];
			const char *auth = orsp_smdp_auth(s);
			/* what vouched for the request first (the header is the request's own
			 * word), then the header's names, quoted */
			quote_id(rq, json_string_value(
			                 json_object_get(h, "functionRequesterIdentifier")));
			quote_id(call_id,
			         json_string_value(json_object_get(h, "functionCallIdentifier")));
			snprintf(actor, sizeof(actor), "%s%srequester %s call %s", auth,
			         auth[0] ? ": " : "", rq, call_id);
			orsp_smdp_set_actor(s, actor);
			e = functions[i].fn(&r);
			orsp_smdp_set_actor(s, NULL);
			/* A refusal for what the order is (8.x: its state, its EID, its expiry, a
			 * matching ID taken) may describe what another request committed and has
			 * not flushed yet (another process's: a confirmOrder refused "in state
			 * released" 751 ms before that release was durable, the power-loss review
			 * of session 77): flushed before it is said, as every success is after its
			 * own commit's flush. 1.2 (the request itself, or a warning after a failed
			 * flush) is not, nor anything once a flush of the file failed: what the
			 * request did is then answered as done, with no flush to come
			 * (test_unflushed_confirm_expired). */
			if (!e && out->subject_code[0] &&
			    strncmp(out->subject_code, "1.", 2) != 0 &&
			    !orsp_db_flush_failed(orsp_smdp_db(s)))
				e = orsp_db_sync(orsp_smdp_db(s));
		}
		/* a confirmation code in it is wiped as jansson frees it (json.c) */
		json_decref(r.body);
		if (e) {
			orsp_smdp_reply_free(out);
			out->http_status = 500;
		}
		return e;
	}
	snprintf(out->function, sizeof(out->function), "unknown");
	out->http_status = 404;
	return ORSP_OK;
}
