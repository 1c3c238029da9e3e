/* openrsp smdp: the reply of one ES9+ / ES2+ request. */
#include <stdlib.h>
#include <string.h>

#include "openrsp/core.h"
#include "openrsp/smdp.h"

#include "es9p_internal.h"

void orsp_smdp_reply_free(orsp_smdp_reply *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}

size_t smdp_reply_log_warnings(const orsp_smdp_reply *r)
{
	size_t n = 0;

	/* proof of a rolled-back or cloned eUICC: said also with `quiet`, which silences the
	 * request lines only; the audit row (eUICCSequenceReused) has the whole detail */
	if (r->sequence_reused) {
		orsp_log_line(
		    "openrsp smdp: warning: eUICC %s signed two notifications with one seqNumber"
		    " (%s): its state was rolled back, or it was cloned (audit "
		    "eUICCSequenceReused)",
		    r->eid[0] ? r->eid : "-", r->note);
		n++;
	}
	/* a profile the operator cancelled is on an eUICC after all (or failed to install
	 * there): also said with `quiet`; the audit row and the report have the detail */
	if (r->result_after_cancel) {
		orsp_log_line(
		    "openrsp smdp: warning: %s (audit pir(...,cancelled); reported to the "
		    "operator when callback_url is set)",
		    r->note);
		n++;
	}
	return n;
}
