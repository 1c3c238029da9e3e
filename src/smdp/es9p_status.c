/* openrsp smdp: the one table from ES9+ and ES2+ failures to SGP.22 status codes (subjectCode /
 * reasonCode of functionExecutionStatus.statusCodeData, SGP.22 §6.5.2.x and the function
 * tables of §5.6). Every ES9+ failure answer is made from this table and nowhere else. */
#include <stdio.h>

#include "es9p_internal.h"
#include "openrsp/http.h"

static const struct {
	const char *subject, *reason, *message;
} table[ES9P__COUNT] = {
    [ES9P_OK] = {"", "", ""},
    /* a request that does not parse: JSON, base64 or ASN.1 (mandatory element invalid) */
    [ES9P_MALFORMED] = {"1.2", "2.1", "invalid request data"},
    [ES9P_BAD_ADDRESS] = {"8.8.1", "3.8", "invalid SM-DP+ address"},
    /* initiateAuthentication: no CI of euiccCiPKIdListForSigning that we trust, then no
     * CERT.DPauth under a CI of ...ForVerification (SGP.22 §5.6.1) */
    [ES9P_NO_CI] = {"8.8.2", "3.1", "no supported CI public key identifier"},
    [ES9P_NO_DPAUTH] = {"8.8.4", "3.7", "no CERT.DPauth chaining to a CI the eUICC verifies with"},
    [ES9P_SVN] = {"8.8.3", "3.1", "SGP.22 version not supported"},
    [ES9P_UNKNOWN_TID] = {"8.10.1", "3.9", "unknown or finished transaction"},
    [ES9P_EUICC_SIGNATURE] = {"8.1", "6.1", "eUICC signature invalid"},
    [ES9P_SERVER_CHALLENGE] = {"8.1", "6.1", "server challenge or session data mismatch"},
    [ES9P_EUM_INVALID] = {"8.1.2", "6.1", "EUM certificate invalid"},
    [ES9P_EUM_EXPIRED] = {"8.1.2", "6.3", "EUM certificate expired"},
    [ES9P_EUICC_INVALID] = {"8.1.3", "6.1", "eUICC certificate invalid"},
    [ES9P_EUICC_EXPIRED] = {"8.1.3", "6.3", "eUICC certificate expired"},
    [ES9P_CI_UNKNOWN] = {"8.11.1", "3.9", "unknown CI public key"},
    [ES9P_MATCHING_ID] = {"8.2.6", "3.8", "matching ID refused"},
    /* cancelSession's smdpOid (the code of pySim's osmo-smdpp) */
    [ES9P_BAD_OID] = {"8.8", "3.10", "invalid SM-DP+ OID"},
    [ES9P_EID_MISMATCH] = {"8.1.1", "3.8", "EID does not match the order"},
    [ES9P_NOT_ELIGIBLE] = {"8.2.5", "4.3", "eUICC not eligible for the profile"},
    /* eUICC / Insufficient Memory: AuthenticateClient's code for an eUICC without room for
     * the profile (SGP.22 §5.6.3; lpac's es9p_errors table, OpenEUICC and Android's ONS
     * read it as memory full, ONS then deletes opportunistic profiles to make room) */
    [ES9P_INSUFFICIENT_MEMORY] = {"8.1", "4.8",
                                  "eUICC does not have sufficient space for this profile"},
    [ES9P_ORDER_EXPIRED] = {"8.8.5", "4.10", "order expired"},
    [ES9P_CC_MISSING] = {"8.2.7", "2.2", "confirmation code missing"},
    [ES9P_CC_REFUSED] = {"8.2.7", "3.8", "confirmation code refused"},
    [ES9P_CC_EXHAUSTED] = {"8.2.7", "6.4", "confirmation code retries exceeded"},
    [ES9P_DL_EXHAUSTED] = {"8.8.5", "6.4", "download retries exceeded"},
    /* authenticateClient: "Profile has not yet been released" */
    [ES9P_PROFILE_STATE] = {"8.2", "1.2", "profile not available for download"},
    /* getBoundProfilePackage: the session's order ended, or went to another eUICC */
    [ES9P_BPP_UNAVAILABLE] = {"8.2", "3.7", "BPP is not available for a new binding"},
    /* the eUICC's own error answer (AuthenticateResponseError, downloadResponseError), for
     * which SGP.22's function tables list no code: eUICC (8.1) / Execution Error (4.2), as
     * "8.9/4.2 Root SM-DS has raised an error" for the SM-DS; not 8.1/4.8, which LPAs show
     * as memory full */
    [ES9P_DOWNLOAD_ERROR] = {"8.1", "4.2", "the eUICC refused the download"},
    [ES9P_UNKNOWN_FUNCTION] = {"1.6", "3.8", "unknown function"},
    [ES9P_INTERNAL] = {"1.2", "4.2", "SM-DP+ internal error"},
    [ES2P_UNAUTHORISED] = {"1.1", "1.2", "function requester not authorised"},
    [ES2P_ICCID_UNKNOWN] = {"8.2.1", "3.9", "unknown ICCID"},
    [ES2P_PROFILE_TYPE_UNKNOWN] = {"8.2.5", "3.9", "unknown profile type"},
    [ES2P_PROFILE_TYPE_UNAVAILABLE] = {"8.2.5", "3.7", "no more profiles of that type available"},
    [ES2P_EID_INVALID] = {"8.1.1", "2.1", "invalid EID"},
    [ES2P_WRONG_STATE] = {"8.2.1", "3.3", "profile not in a state for this function"},
    [ES2P_MATCHING_ID_CONFLICT] = {"8.2.6", "3.3", "matching ID already in use or different"},
    [ES2P_CC_INVALID] = {"8.2.7", "2.1", "invalid confirmation code"},
    /* releaseProfile of an order not Confirmed: Profile ICCID / Invalid Transition (SGP.22
     * §5.3.4, "the target Profile cannot be released"), not 3.3, which says the ICCID is
     * already in use */
    [ES2P_NOT_RELEASABLE] = {"8.2.1", "3.5", "the target profile cannot be released"},
    /* downloadOrder naming an ICCID and a profile type that is not its profile's (SGP.22
     * §5.3.1) */
    [ES2P_PROFILE_TYPE_MISMATCH] = {"8.2.5", "3.8",
                                    "profile type not that of the profile of the ICCID"},
    /* confirmOrder and cancelOrder naming another EID or matching ID than the order's:
     * Invalid Association (SGP.22 §5.3.2, §5.3.3; pySim's and lpac's code tables), not
     * authenticateClient's 8.1.1/3.8 and 8.2.6/3.8 ("Refused"), which they answered before
     * session 51 */
    [ES2P_EID_ASSOCIATION] = {"8.1.1", "3.10", "a different EID is associated with this ICCID"},
    [ES2P_MATCHING_ID_ASSOCIATION] = {"8.2.6", "3.10",
                                      "a different matching ID is associated with this ICCID"},
    /* confirmOrder with an empty matchingId (no activation code: the eUICC comes through
     * its default SM-DP+ address) for an order without an EID (SGP.22 §5.3.2; pySim's and
     * lpac's code tables) */
    [ES2P_EID_MISSING] = {"8.1.1", "2.2",
                          "the EID is missing in the context of this order (the matching ID "
                          "is empty)"},
    /* confirmOrder with an smdsAddress: openrsp registers no event with an SM-DS, so none
     * is reachable (SGP.22 §5.3.2 "Inaccessible SM-DS"; osmo-ttcn3-hacks' ES2+ suite expects
     * it for an SM-DS it cannot reach; 1.2/2.1 until session 65) */
    [ES2P_SMDS_INACCESSIBLE] = {"8.9", "5.1", "SM-DS inaccessible"},
};

void es9p_status(es9p_code c, const char **subject, const char **reason, const char **message)
{
	if ((unsigned)c >= ES9P__COUNT)
		c = ES9P_INTERNAL;
	*subject = table[c].subject;
	*reason = table[c].reason;
	*message = table[c].message;
}

/* SGP.22 §5.6.3 (authenticateClient) names the certificate and Verification failed (6.1) or
 * Expired (6.3); it has no code for a certificate not valid yet (invalid, 6.1) nor for an EID
 * outside its EUM's range: that is the eUICC certificate failing the name constraints its
 * EUM puts on it (RFC 5280 §4.2.1.10 applies them to the certificates below), 8.1.3/6.1 (not
 * osmo-smdpp's 8.1.4/6.1, which SGP.22 v2.2 and lpac's table do not have). A range the EUM
 * lacks, or one that does not decode, is the EUM's (8.1.2/6.1). A CI that no trusted one is,
 * or that cannot be used now (expired, a path length that forbids an EUM), is not a trusted
 * root for this SM-DP+: 8.11.1/3.9. */
es9p_code es9p_chain_code(const orsp_chain_fault *f)
{
	switch (f->cert) {
	case ORSP_CHAIN_CERT_CI:
		return ES9P_CI_UNKNOWN;
	case ORSP_CHAIN_CERT_EUM:
		return f->why == ORSP_CHAIN_EXPIRED ? ES9P_EUM_EXPIRED : ES9P_EUM_INVALID;
	case ORSP_CHAIN_CERT_EUICC:
		return f->why == ORSP_CHAIN_EXPIRED ? ES9P_EUICC_EXPIRED : ES9P_EUICC_INVALID;
	case ORSP_CHAIN_CERT_NONE:
		break;
	}
	return ES9P_INTERNAL; /* no certificate named: the arguments, never a request's */
}

bool smdp_internal_error(orsp_err e)
{
	return e == ORSP_E_STORAGE || e == ORSP_E_RESOURCE || e == ORSP_E_CRYPTO || e == ORSP_E_IO;
}

orsp_err smdp_reply_ok(orsp_smdp_reply *out, json_t *obj)
{
	orsp_err e = orsp_json_header_put_success(obj);

	if (!e)
		e = orsp_json_dump(obj, &out->body, &out->body_len);
	if (!e)
		out->http_status = 200;
	return e;
}

orsp_err smdp_reply_warn(orsp_smdp_reply *out, json_t *obj, es9p_code code, const char *message)
{
	orsp_json_status st = {.status = ORSP_FES_WARNING, .has_status_code_data = true};
	const char *subject, *reason, *text;
	orsp_err e;

	es9p_status(code, &subject, &reason, &text);
	snprintf(st.subject_code, sizeof(st.subject_code), "%s", subject);
	snprintf(st.reason_code, sizeof(st.reason_code), "%s", reason);
	snprintf(st.message, sizeof(st.message), "%.200s", message);
	orsp_ascii_printable(st.message);
	snprintf(out->subject_code, sizeof(out->subject_code), "%s", subject);
	snprintf(out->reason_code, sizeof(out->reason_code), "%s", reason);
	e = orsp_json_header_put(obj, &st);
	if (!e)
		e = orsp_json_dump(obj, &out->body, &out->body_len);
	if (!e)
		out->http_status = 200;
	return e;
}

orsp_err smdp_reply_fail(orsp_smdp_reply *out, es9p_code code, const char *detail)
{
	const char *subject, *reason, *message;
	char msg[ORSP_JSON_MESSAGE_MAX];
	json_t *obj = json_object();
	orsp_err e;

	if (!obj)
		return orsp_errf(ORSP_E_RESOURCE, "out of memory");
	es9p_status(code, &subject, &reason, &message);
	snprintf(msg, sizeof(msg), "%s%s%.180s", message, detail && detail[0] ? ": " : "",
	         detail ? detail : "");
	/* A detail may quote the request (a parser's "near '...'") or be cut inside a UTF-8
	 * sequence: the message is printable ASCII, always valid JSON text. */
	orsp_ascii_printable(msg);
	snprintf(out->subject_code, sizeof(out->subject_code), "%s", subject);
	snprintf(out->reason_code, sizeof(out->reason_code), "%s", reason);
	e = orsp_json_header_put_failed(obj, subject, reason, msg);
	if (!e)
		e = orsp_json_dump(obj, &out->body, &out->body_len);
	if (!e)
		out->http_status = 200;
	json_decref(obj);
	return e;
}
