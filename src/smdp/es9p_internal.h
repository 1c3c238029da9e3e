/* openrsp smdp: ES9+ internals shared by es9p*.c. */
#ifndef ORSP_ES9P_INTERNAL_H
#define ORSP_ES9P_INTERNAL_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "openrsp/crypto.h"
#include "openrsp/der.h"
#include "openrsp/smdp.h"

typedef enum es9p_code {
	ES9P_OK = 0,
	ES9P_MALFORMED,
	ES9P_BAD_ADDRESS,
	ES9P_NO_CI,
	ES9P_NO_DPAUTH,
	ES9P_SVN,
	ES9P_UNKNOWN_TID,
	ES9P_EUICC_SIGNATURE,
	ES9P_SERVER_CHALLENGE,
	ES9P_EUM_INVALID,
	ES9P_EUM_EXPIRED,
	ES9P_EUICC_INVALID,
	ES9P_EUICC_EXPIRED,
	ES9P_CI_UNKNOWN,
	ES9P_MATCHING_ID,
	ES9P_BAD_OID,
	ES9P_EID_MISMATCH,
	ES9P_NOT_ELIGIBLE,
	ES9P_INSUFFICIENT_MEMORY,
	ES9P_ORDER_EXPIRED,
	ES9P_CC_MISSING,
	ES9P_CC_REFUSED,
	ES9P_CC_EXHAUSTED,
	ES9P_DL_EXHAUSTED,
	ES9P_PROFILE_STATE,
	ES9P_BPP_UNAVAILABLE,
	ES9P_DOWNLOAD_ERROR,
	ES9P_UNKNOWN_FUNCTION,
	ES9P_INTERNAL,
	/* ES2+ (SGP.22 §5.3) */
	ES2P_UNAUTHORISED,
	ES2P_ICCID_UNKNOWN,
	ES2P_PROFILE_TYPE_UNKNOWN,
	ES2P_PROFILE_TYPE_UNAVAILABLE,
	ES2P_EID_INVALID,
	ES2P_WRONG_STATE,
	ES2P_MATCHING_ID_CONFLICT,
	ES2P_CC_INVALID,
	ES2P_NOT_RELEASABLE,
	ES2P_PROFILE_TYPE_MISMATCH,
	ES2P_EID_ASSOCIATION,
	ES2P_MATCHING_ID_ASSOCIATION,
	ES2P_EID_MISSING,
	ES2P_SMDS_INACCESSIBLE,
	ES9P__COUNT
} es9p_code;

void es9p_status(es9p_code c, const char **subject, const char **reason, const char **message);
/* The code of an eUICC certificate chain that failed verification, from the certificate that
 * failed and why (orsp_rsp_verify_euicc_chain_fault). */
es9p_code es9p_chain_code(const orsp_chain_fault *f);
/* Whether e is a failure of the SM-DP+ itself (database, memory, crypto library, I/O), not a
 * verdict on the request: answered HTTP 500 with no body, its detail only in the server's
 * log, never with an SGP.22 status code, which the LPA takes as final. */
bool smdp_internal_error(orsp_err e);
/* The server's warning lines for a reply handled without internal failure: a seqNumber
 * reused (sequence_reused), an installation result after cancelOrder (result_after_cancel),
 * each naming r->note; written with `log = no` too, through orsp_log_line (a line that
 * cannot be written is counted in openrsp_log_lines_dropped_total). How many lines. */
size_t smdp_reply_log_warnings(const orsp_smdp_reply *r);
/* Success: header Executed-Success added to obj, body = obj, 200. */
orsp_err smdp_reply_ok(orsp_smdp_reply *out, json_t *obj);
/* Failed with the codes of `code`; detail (never secret) is appended to the message. */
orsp_err smdp_reply_fail(orsp_smdp_reply *out, es9p_code code, const char *detail);
/* Done, but with a warning: header Executed-WithWarning with the codes of `code` and the
 * message (never secret) added to obj, body = obj, 200; the codes go to the log line too. */
orsp_err smdp_reply_warn(orsp_smdp_reply *out, json_t *obj, es9p_code code, const char *message);

/* ----- es9p_eligibility.c: euiccInfo2 and deviceInfo (input need not be valid DER) ----- */

/* What a profile asks of the eUICC: from its ProfileHeader the SAIP version and the
 * eUICC-Mandatory-services, as ORSP_SVC_BIT() bits; and the Profile Policy Rules it carries
 * (ORSP_SMDP_PPR*, PprIds bits: set at import, not from the package). */
typedef struct es9p_needs {
	unsigned saip_major, saip_minor;
	uint64_t services;
	unsigned ppr;
	bool test_profile; /* profileClass test (set at import) */
} es9p_needs;

/* NULL when euiccInfo2's contents (NULL slice: absent) carry every mandatory field in order;
 * otherwise what is missing ("euiccInfo2: no svn", a static string). */
const char *es9p_info2_missing(orsp_slice info2);
/* NULL when deviceInfo's contents have the shape SGP.22 asks; otherwise what is wrong. */
const char *es9p_device_info_bad(orsp_slice di);
/* ES9P_OK when the eUICC can take a profile of upp_len bytes asking for *needs (and does not
 * forbid its PPRs: euiccInfo2.forbiddenProfilePolicyRules);
 * ES9P_INSUFFICIENT_MEMORY (too little free memory), ES9P_NOT_ELIGIBLE (anything else it
 * lacks) or ES9P_MALFORMED with the reason in buf (cap > 0) otherwise.
 * all_services: `eligibility = services`. */
es9p_code es9p_ineligible(orsp_slice info2, size_t upp_len, const es9p_needs *needs,
                          bool all_services, char *buf, size_t cap);

/* ES9P_OK when the platform facts euiccInfo2 signs (svn, euiccFirmwareVer, ppVersion,
 * globalplatformVersion, sasAcreditationNumber) and the EUM's subjectKeyIdentifier
 * (eum_ski_len 0: none) meet the operator's policy *pol; otherwise ES9P_NOT_ELIGIBLE with
 * *item the policy item (its configuration key, a static string) that refused, or
 * ES9P_MALFORMED (*item NULL) for a field the policy judges that is not 3 bytes, the reason
 * in buf (cap > 0) either way. A field the policy asks about that the eUICC does not give is
 * refused. Only for an answer whose signature is verified: the facts are the eUICC's word. */
es9p_code es9p_platform_refused(const orsp_smdp_platform_policy *pol, orsp_slice info2,
                                const uint8_t *eum_ski, size_t eum_ski_len, const char **item,
                                char *buf, size_t cap);
/* *pol in one line ("min_svn 2.2.0; sas_accreditation ACME-01, OTHER-02"), "" for no policy;
 * cut with "..." at cap. */
void es9p_platform_describe(const orsp_smdp_platform_policy *pol, char *buf, size_t cap);

#endif
