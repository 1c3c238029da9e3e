/* openrsp smdp: the reply of one ES9+ / ES2+ request. */
#include <stdlib.h>
#include <string.h>

#include "openrsp/smdp.h"

void orsp_smdp_reply_free(orsp_smdp_reply *r)
{
	if (!r)
		return;
	free(r->body);
	r->body = NULL;
	r->body_len = 0;
}
